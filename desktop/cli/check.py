"""``truceline check``: what is damaged and what is not, and ``--rebuild`` for damage to what the versions derive.

The exit status is what scripts act on (README, "What ``truceline check`` says"): 0 nothing damaged,
1 damage, 2 the check could not run.
"""

import argparse
from collections.abc import MutableMapping
from typing import Any

from db.core.errors import BusyError
from db.core.sql_driver import sqlite3
from db.core.untrusted_text import escaped
from db.storage import paths
from db.storage.backup import list_backups
from db.storage.damage import clear_damage, damage_noted
from db.storage.recovery import verified_backups
from db.storage.store import Store

EXIT_PROBLEMS = 1


def register(sub: Any, commands: MutableMapping[str, Any]) -> None:
    """Add the subcommand to the parser's subcommands and its handler to ``commands``."""
    parser = sub.add_parser(
        "check", help="verify database integrity, every version's hashes and chains, and the projection"
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="if the only damage is in what the versions derive (the incident table, its counts, rollups, search "
        "index), back the file up and derive it again from the versions; the window must be closed",
    )
    commands["check"] = cmd_check


def _print_kept_apart(store: Store) -> None:
    """Versions the roster does not (yet) allow: held, not shown or counted; not damage."""
    from db.exchange.quarantine import count_apart, kept_apart

    apart = count_apart(store.conn)
    if not apart:
        return
    print(f"kept apart: {apart:,} version(s), not shown or counted until the mission's roster allows them")
    for kept in kept_apart(store.conn, 200):
        print(
            f"kept apart: device {escaped(kept.device_id)} version {kept.device_seq} ({kept.version_id}): "
            f"{escaped(kept.why)}"
        )
    if apart > 200:
        print(f"… and {apart - 200} more kept apart")


def cmd_check(store: Store, args: argparse.Namespace) -> int:
    """Exit 0 when nothing is damaged (open sequence gaps are notes), 1 for damage, 2 when the check
    could not run (a busy database: try again)."""
    from db.storage.integrity import CHECK_BUSY, Problem, check_database
    from db.storage.lost_records import find_lost_records

    try:
        report = check_database(store.conn, store.calendar)
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise BusyError(CHECK_BUSY) from error
        raise
    lost = find_lost_records(store.conn, paths.backups_dir())
    report.problems.extend(Problem(str(finding)) for finding in lost)
    noted = damage_noted(store.data_dir)
    backups = list_backups(paths.backups_dir())
    print(f"database: {store.data_dir / paths.DATABASE_NAME}")
    print(f"integrity: {report.integrity}")
    print(f"versions: {report.versions:,} from {report.devices} device(s); incidents: {report.incidents:,}")
    print(f"latest verified backup: {backups[0].path.name if backups else 'none yet'}")
    for note in report.notes[:200]:
        print(f"note: {escaped(note)}")
    _print_kept_apart(store)
    damage = report.damage
    for problem in damage[:200]:
        print(f"problem: {escaped(problem)}")
    if len(damage) > 200:
        print(f"… and {len(damage) - 200} more problems")
    if noted is not None:
        if report.ok:
            clear_damage(store.data_dir)
            print(f"damage noted earlier ({escaped(noted)}) is no longer found: the note was cleared")
        else:
            print(f"damage noted earlier: {escaped(noted)}")
    print("result: ok" if report.ok else f"result: {len(damage) or 1} problem(s) found")
    if args.rebuild and report.ok:
        print("rebuild: not needed, nothing is damaged")
    elif args.rebuild and not report.only_derived:
        print(
            "rebuild: not done, nothing was changed: the damage is in the file or the versions themselves, "
            "which a rebuild from the versions cannot mend; 'truceline restore' puts back the latest verified backup"
        )
    elif args.rebuild:
        return _rebuild(store)
    return 0 if report.ok else EXIT_PROBLEMS


def _rebuild(store: Store) -> int:
    """``check --rebuild``: the incident table and all derived from the versions again, the window closed."""
    from db.storage.integrity import check_database
    from db.storage.store import rebuild_from_versions
    from desktop.window.instance_lock import InstanceLock

    with InstanceLock(store.data_dir):  # the rebuild holds the database for minutes on a large mission
        backup, rebuilt = rebuild_from_versions(store)
    print(f"rebuilt {rebuilt:,} incidents from their versions (the file as it was: backups/{backup.path.name})")
    after = check_database(store.conn, store.calendar)
    for problem in after.damage[:200]:
        print(f"problem: {escaped(problem)}")
    if after.ok and damage_noted(store.data_dir) is not None:
        clear_damage(store.data_dir)
    print(
        "result after the rebuild: ok" if after.ok else f"result after the rebuild: {len(after.damage) or 1} problem(s)"
    )
    return 0 if after.ok else EXIT_PROBLEMS


def report_damage() -> int:
    """``check`` on a database that cannot be opened: what there is to restore, and how."""
    backups = verified_backups(paths.data_dir())
    print(f"database: {paths.database_path()}")
    print("integrity: damaged (see above); the file was not changed")
    if backups:
        print(f"latest verified backup: {backups[0].path.name}")
        print("to recover: truceline restore  (the damaged file is kept in damaged/, never deleted)")
    else:
        print("latest verified backup: none")
    print("result: 1 problem(s) found")
    return EXIT_PROBLEMS
