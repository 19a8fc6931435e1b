"""A long-lived writer for the torture test: it behaves like the open window, not like a script.

Run as ``python torture_writer.py DATA_DIR [--step] [--pace SECONDS]``. It holds the window's
instance lock (so ``restore`` must refuse to run), keeps one store open, and after every save
opens and closes a second connection through ``db.storage.connection.connect``, as the window's worker
threads do (start-up check, exports, backups, imports). That second connection is what once made
another process believe it was alone and delete the WAL (issue 12).

A line on stdout holding an incident id is an acknowledgement: the commit returned, so the user
would have read "Saved". A save refused (busy) prints "not saved: <why>" instead.
``--unlock`` reads the passphrase of an encrypted directory from stdin's first line.
``--step`` saves once per line read on stdin (for a test that needs an exact order of events);
otherwise it saves until killed, ``--pace`` seconds apart, as a busy monitor might.
"""

import argparse
import sys
import time
from pathlib import Path

from db.core.sql_driver import sqlite3

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from db.core.errors import TrucelineError  # noqa: E402
from db.model.validation import validate_incident  # noqa: E402
from db.records.incidents import record_incident  # noqa: E402
from db.records.monitors import add_monitor, local_profile, set_local_profile  # noqa: E402
from db.storage import cipher, paths  # noqa: E402
from db.storage.connection import connect  # noqa: E402
from db.storage.store import Store, open_store  # noqa: E402
from desktop.window.instance_lock import InstanceLock  # noqa: E402


def save(store: Store, author_id: str, n: int) -> str:
    incident = validate_incident(
        {
            "observed_start": "2026-05-01T21:15:00Z",
            "zone_id": "EAST",
            "category": "fire",
            "obs_type": "burst",
            "means": "heard",
            "count": 1 + n % 50,
            "narrative": f"torture test save {n}",
        },
        theatre=store.theatre,
    )
    return record_incident(store.conn, store.writer(author_id), incident, store.calendar).incident_id


def glance(database: Path) -> None:
    """What a worker thread does: its own connection, one read, closed again. A worker that fails
    reports it and the window goes on saving, so this writer does too (on stderr)."""
    try:
        conn = connect(database, readonly=True)
    except TrucelineError as error:
        print(f"second connection failed: {error}", file=sys.stderr, flush=True)
        return
    try:
        conn.execute("SELECT count(*) FROM incidents").fetchone()
    except sqlite3.Error as error:
        print(f"second connection failed: {error}", file=sys.stderr, flush=True)
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--step", action="store_true")
    parser.add_argument("--pace", type=float, default=0.0)
    parser.add_argument("--unlock", action="store_true", help="the first line of stdin is the passphrase")
    args = parser.parse_args()
    if args.unlock:
        cipher.unlock(args.data_dir, sys.stdin.readline().rstrip("\n"))
    lock = InstanceLock(args.data_dir)
    lock.acquire()
    store = open_store(args.data_dir)
    store.checkpoint_in_background()  # as the window does: SIGKILL may land in a checkpoint
    profile = local_profile(store.conn)
    if profile is None:  # the first start, as the profile dialog would do it
        # A supervisor: the loop imports another laptop's CSV, whose reviewed states only a supervisor may bring in.
        profile = add_monitor(store.conn, "Torture Test", "TORT", "supervisor")
        set_local_profile(store.conn, profile)
    database = args.data_dir / paths.DATABASE_NAME
    glance(database)
    print("ready", flush=True)
    n = 0
    while not args.step or sys.stdin.readline():
        n += 1
        try:
            incident_id = save(store, profile.monitor_id, n)
        except TrucelineError as error:  # busy: the window would say so and keep the form
            print(f"not saved: {error}", flush=True)
            continue
        sys.stdout.write(incident_id + "\n")
        sys.stdout.flush()
        glance(database)
        if args.pace:
            time.sleep(args.pace)  # the pace of a busy monitor; nothing waits on it


if __name__ == "__main__":
    main()
