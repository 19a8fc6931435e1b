"""The ``meta`` table: one value per key (this laptop's device id, the theatre, epochs, last export)."""

from db.core.sql_driver import sqlite3


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    """The value stored under ``key``, or None when there is none."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key``, replacing what was there; the caller holds the transaction."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
