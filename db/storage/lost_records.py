"""Records the database once held and no longer does: what a lost WAL leaves behind.

If the WAL is deleted under an open database, the commits it held vanish without a trace in the
file itself: ``integrity_check`` is ok and every chain that remains is intact. What still knows
better is everything that read the database before the loss. A verified backup reads through the
WAL, so a backup taken after a save holds that save; if the database now lacks versions a backup
holds, or holds other versions under the same device sequence numbers (the laptop went on saving
from the shorter chain), records were lost. Each finding names the device, the sequence numbers
and the backup that has them.
"""

from dataclasses import dataclass
from pathlib import Path

from db.core.sql_driver import sqlite3
from db.storage.backup import BackupInfo, list_backups
from db.storage.connection import open_file

# The newest few backups are enough: an older one is only "ahead" if every newer one is too.
BACKUPS_COMPARED = 5


@dataclass(frozen=True)
class LostRecords:
    """Versions of one device that ``backup`` holds and the database lacks (or holds differently)."""

    device_id: str
    label: str
    seqs: tuple[int, ...]
    backup: Path
    forked: bool  # the database holds other versions under some of these sequence numbers

    def __str__(self) -> str:
        name = f"{self.label} ({self.device_id})" if self.label else self.device_id
        what = (
            "differ from the versions the database holds under the same numbers (records were lost, "
            "and the numbers used again)"
            if self.forked
            else "are missing from the database"
        )
        return (
            f"device {name}: {len(self.seqs):,} version(s), sequence {_ranges(self.seqs)}, are in the backup "
            f"{self.backup.name} but {what}; they can be brought back with 'truceline restore {self.backup.name}' "
            "(the current file is kept in damaged/) followed by importing the bundles received since"
        )


def find_lost_records(conn: sqlite3.Connection, backups_dir: Path) -> list[LostRecords]:
    """Compare the database with its newest verified backups; one finding per device and backup."""
    here = _per_device(conn)
    found: list[LostRecords] = []
    reported: set[str] = set()
    for backup in list_backups(backups_dir)[:BACKUPS_COMPARED]:
        for finding in _compare(conn, here, backup):
            if finding.device_id not in reported:  # the newest backup's view of a device is the fullest
                reported.add(finding.device_id)
                found.append(finding)
    return found


def _per_device(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    rows = conn.execute("SELECT device_id, count(*), max(device_seq) FROM incident_versions GROUP BY device_id")
    return {r[0]: (r[1], r[2]) for r in rows}


def _compare(conn: sqlite3.Connection, here: dict[str, tuple[int, int]], backup: BackupInfo) -> list[LostRecords]:
    try:
        other = open_file(backup.path, query="mode=ro")
    except sqlite3.Error:
        return []
    try:
        there = _per_device(other)
        found = []
        for device_id, (count, last) in there.items():
            if here.get(device_id) == (count, last) and _same_at(conn, other, device_id, last):
                continue
            finding = _device_difference(conn, other, device_id, backup.path)
            if finding is not None:
                found.append(finding)
        return found
    except sqlite3.Error:
        return []  # an unreadable backup is the backup check's business, not evidence of loss
    finally:
        other.close()


def _same_at(conn: sqlite3.Connection, other: sqlite3.Connection, device_id: str, seq: int) -> bool:
    """The chain hash at ``seq`` covers every version of the device up to it."""
    query = "SELECT chain_sha256 FROM incident_versions WHERE device_id = ? AND device_seq = ?"
    mine = conn.execute(query, (device_id, seq)).fetchone()
    theirs = other.execute(query, (device_id, seq)).fetchone()
    return mine is not None and mine == theirs


def _device_difference(
    conn: sqlite3.Connection, other: sqlite3.Connection, device_id: str, backup: Path
) -> LostRecords | None:
    query = "SELECT device_seq, version_id FROM incident_versions WHERE device_id = ?"
    mine = dict(conn.execute(query, (device_id,)).fetchall())
    theirs = dict(other.execute(query, (device_id,)).fetchall())
    missing = sorted(seq for seq in theirs if seq not in mine)
    forked = sorted(seq for seq, version in theirs.items() if seq in mine and mine[seq] != version)
    if not missing and not forked:
        return None
    label_row = other.execute("SELECT label FROM devices WHERE device_id = ?", (device_id,)).fetchone()
    return LostRecords(
        device_id, label_row[0] if label_row else "", tuple(sorted(missing + forked)), backup, bool(forked)
    )


def _ranges(seqs: tuple[int, ...]) -> str:
    """``1–4, 7, 9–10``: sequence numbers as the ranges a person reads."""
    parts: list[str] = []
    start = previous = seqs[0]
    for seq in (*seqs[1:], None):
        if seq is not None and seq == previous + 1:
            previous = seq
            continue
        parts.append(str(start) if start == previous else f"{start}–{previous}")
        if seq is not None:
            start = previous = seq
    return ", ".join(parts)
