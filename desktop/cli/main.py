"""The ``truceline`` command: no subcommand opens the window; subcommands do headless work.

Every subcommand calls the same ``db`` functions as the window. Errors are one line on stderr
and a non-zero exit status (2 for bad input, a busy or unusable database; 1 when ``check`` finds
damage).
"""

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from db.core.activity_log import start_log, stop_log
from db.core.errors import DamagedDatabaseError, FieldProblem, TrucelineError, ValidationError
from db.core.identity import APP_NAME, VERSION
from db.core.sql_driver import sqlite3
from db.core.untrusted_text import escaped
from db.model.display import counted
from db.storage import paths
from db.storage.backup import backup_info, make_backup
from db.storage.damage import is_damage, record_damage
from db.storage.recovery import restore_backup
from db.storage.store import Store, open_store
from desktop.cli import check as cli_check
from desktop.cli import mission as cli_mission
from desktop.cli import passphrase as cli_passphrase
from desktop.cli import profile as cli_profile
from desktop.cli import report as cli_report
from desktop.cli import seal as cli_seal

log = logging.getLogger(__name__)

EXIT_PROBLEMS = 1
EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="truceline",
        description=f"{APP_NAME}: record, merge, review and report ceasefire violations offline. "
        "Without a subcommand, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {VERSION}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=f"data directory holding {paths.DATABASE_NAME}, backups/, drafts/ and the device key "
        f"(default: ${paths.ENV_DATA_DIR} or {paths.data_dir()})",
    )
    # For packagers (DEVELOPERS.md): open the window, wait for the timeline to be drawn, exit 0 or 1.
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="add realistic synthetic incidents (twelve months to today)")
    demo.add_argument("--incidents", type=_positive, default=10_000, metavar="N", help="how many (default 10000)")
    demo.add_argument("--seed", type=int, default=1, metavar="S", help="random seed; the same seed gives the same data")
    stats = sub.add_parser(
        "stats",
        help="summarise a period as the OSCE SMM did, compare it with the previous one, and count per zone and sector",
        description="Ceasefire violations (category fire, sum of counts) and the explosions among them, for local "
        "days FROM to TO of the mission time zone (both included), compared with as many days before; then "
        "all recorded incidents per zone and per DMZ sector.",
    )
    stats.add_argument(
        "--from", dest="first", metavar="DATE", help="first day, YYYY-MM-DD (default: 30 days before --to)"
    )
    stats.add_argument(
        "--to",
        dest="last",
        metavar="DATE",
        help="last day, YYYY-MM-DD (default: yesterday; with --reporting-days, the last whose cut-off has passed)",
    )
    stats.add_argument("--by", choices=("zone", "sector"), help="add one line per zone or per DMZ sector")
    stats.add_argument("--zone", action="append", default=[], metavar="ZONE", help="count only this zone (repeatable)")
    stats.add_argument(
        "--sector", action="append", default=[], metavar="SECTOR", help="count only this DMZ sector (repeatable)"
    )
    stats.add_argument(
        "--since",
        metavar="DATE",
        help="also give the running total from this day to --to (default: the theatre's latest key date before --to)",
    )
    stats.add_argument(
        "--reporting-days",
        action="store_true",
        help="count by reporting day (the theatre's daily cut-off, 19:30 by default) instead of calendar day",
    )
    export = sub.add_parser(
        "export-csv",
        help="write the incidents a filter selects to a CSV file (native and lossless, or ACLED-compatible)",
        description="Native CSV has every field, the incident and head version ids, UTC and local times and MGRS "
        "beside latitude and longitude, and can be imported again. ACLED-compatible CSV uses the ACLED codebook's "
        "columns. Cells that a spreadsheet would run as a formula start with an apostrophe. The file is complete "
        "or not written at all.",
    )
    export.add_argument("out", type=Path, metavar="OUT", help="the CSV file to write (replaced if it exists)")
    export.add_argument("--from", dest="first", metavar="DATE", help="first local day, YYYY-MM-DD (default: all)")
    export.add_argument("--to", dest="last", metavar="DATE", help="last local day, YYYY-MM-DD, included")
    export.add_argument("--zone", action="append", default=[], metavar="ZONE", help="only this zone (repeatable)")
    export.add_argument(
        "--sector", action="append", default=[], metavar="SECTOR", help="only this DMZ sector (repeatable)"
    )
    export.add_argument("--category", action="append", default=[], metavar="CATEGORY", help="only this category")
    export.add_argument("--state", action="append", default=[], metavar="STATE", help="only this verification state")
    export.add_argument("--format", choices=("native", "acled"), default="native", help="default: native")
    export.add_argument(
        "--no-bom", action="store_true", help="no UTF-8 byte order mark (it is there by default, for Excel)"
    )
    imp = sub.add_parser(
        "import-csv",
        help="import a native CSV export: all rows or none, checked like the entry form",
        description="Incidents keep their ids; rows already held are skipped; a row that differs from what is "
        "held becomes a conflict to resolve, never an overwrite. The import is recorded as new versions by the "
        "signed-in monitor with the reason 'imported from FILE'.",
    )
    imp.add_argument("file", type=Path, metavar="IN", help="the native CSV file to import")
    imp.add_argument("--dry-run", action="store_true", help="only show what would be added, skipped and refused")
    cli_profile.register(sub, COMMANDS)
    cli_check.register(sub, COMMANDS)
    sub.add_parser("backup", help="take a verified backup of the database now")
    restore = sub.add_parser(
        "restore",
        help="put a verified backup in place of the database (the current file is kept in damaged/, never deleted)",
    )
    restore.add_argument(
        "backup", nargs="?", type=Path, metavar="FILE", help="the backup to restore (default: the newest verified one)"
    )
    bundle = sub.add_parser(
        "bundle",
        help="exchange signed bundles with other laptops (export, import, log)",
        description="Offline exchange: a bundle is a signed zip of versions carried on a USB stick. Importing "
        "verifies every signature and hash, adds only what is new, and never overwrites: two edits of one "
        "incident become a visible conflict.",
    )
    actions = bundle.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export", help="write every version stored since the last bundle exported (or --all) to OUT"
    )
    export.add_argument("out", type=Path, metavar="OUT", help="the bundle file to write, e.g. /media/usb/hart.zip")
    export.add_argument("--all", action="store_true", help="export every version held, not only the new ones")
    imports = actions.add_parser("import", help="verify and merge one or more bundles, in any order")
    imports.add_argument("files", type=Path, nargs="+", metavar="FILE", help="bundle files to import")
    imports.add_argument(
        "--seal-key",
        type=Path,
        metavar="FILE",
        help="the mission's private sealing key, to open sealed bundles (default: the one this laptop holds)",
    )
    cli_seal.add_passphrase_fd(imports)
    log = actions.add_parser("log", help="list the bundles imported, newest first, and the sequence gaps")
    log.add_argument("--limit", type=_positive, default=50, metavar="N", help="how many imports to list (default 50)")
    cli_report.add_parser(sub)
    cli_mission.add_parser(sub)
    cli_passphrase.add_arguments(parser, sub)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.data_dir is not None:
        paths.set_data_dir(args.data_dir.expanduser().resolve())
    start_log(paths.log_dir())
    try:
        return _run(args)
    except Exception:
        log.exception("unexpected error in 'truceline %s'", args.command or "(window)")
        raise
    finally:
        stop_log()


def _run(args: argparse.Namespace) -> int:
    if args.command is None:
        from desktop.window.app import run_window

        if args.passphrase_fd is not None:  # the window then asks nothing (kiosk set-ups, the smoke test)
            refused = _guarded(lambda: cli_passphrase.unlocked(args))
            if refused:
                return refused
        return run_window(smoke_test=args.smoke_test)
    if args.command == "restore":
        return _guarded(lambda: cmd_restore(args))
    if args.command == "mission" and cli_mission.needs_no_store(args):
        return cli_mission.without_store(args)
    if args.command in cli_passphrase.COMMAND_NAMES:
        return cli_passphrase.run(args)
    try:
        return run_command(args)
    except BrokenPipeError:
        # The reader went away (``truceline stats | head``): what it wanted was printed.
        sys.stdout = None  # no second error while Python flushes at exit
        return 0


def run_command(args: argparse.Namespace) -> int:
    """Open the store and run one subcommand on it; errors become one line on stderr."""
    try:
        cli_passphrase.unlock_if_needed(args)
        store = open_store(despite_damage_note=args.command == "check", plain=args.plain)
    except DamagedDatabaseError as error:
        log.warning("refused to open for 'truceline %s': %s", args.command, error)
        print(f"truceline: {escaped(error)}", file=sys.stderr)
        if args.command == "check":
            return cli_check.report_damage()
        return EXIT_ERROR
    except TrucelineError as error:
        log.warning("refused to open for 'truceline %s': %s", args.command, error)
        print(f"truceline: {escaped(error)}", file=sys.stderr)
        return EXIT_ERROR
    try:
        return int(COMMANDS[args.command](store, args))
    except (TrucelineError, sqlite3.DatabaseError) as error:
        if is_damage(error):
            record_damage(store.data_dir, str(error))
            log.error("damage reported in 'truceline %s': %s", args.command, error)
            print(
                f"truceline: the database reported damage ({escaped(error)}); nothing more was written to it. "
                "Run 'truceline check', then 'truceline restore' if it finds a problem",
                file=sys.stderr,
            )
            return EXIT_ERROR
        if not isinstance(error, TrucelineError):
            raise
        log.warning("refused 'truceline %s': %s", args.command, error)
        print(f"truceline: {escaped(error)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("truceline: interrupted", file=sys.stderr)
        return 130
    finally:
        store.close()


def cmd_demo(store: Store, args: argparse.Namespace) -> int:
    from db.records.demo import generate

    started = time.perf_counter()
    show = sys.stderr.isatty()

    def progress(done: int, total: int) -> bool:
        if show:
            print(f"\r{done:,} / {total:,} incidents", end="", file=sys.stderr, flush=True)
        return True

    try:
        written = generate(store, args.incidents, args.seed, progress=progress)
    finally:
        if show:
            print(file=sys.stderr)  # the error (with what was saved) or the result on a line of its own
    print(f"Added {written:,} demo incidents in {time.perf_counter() - started:.1f} s (seed {args.seed}).")
    return 0


def cmd_stats(store: Store, args: argparse.Namespace) -> int:
    from db.records.filter_choices import area_filter
    from db.trends.stats import counts_by_sector, counts_by_zone, totals
    from db.trends.summary import period_summary, running_total

    last = _day_option("--to", args.last) if args.last else _last_complete_day(store, args.reporting_days)
    first = _day_option("--from", args.first) if args.first else last - timedelta(days=29)
    if first > last:
        raise ValidationError([FieldProblem("--from", f"{first} is after --to {last}")])
    flt = area_filter(store.theatre, args.zone, args.sector)
    cutoff = store.calendar.cutoff if args.reporting_days else None
    summary = period_summary(store.conn, flt, first, last, tz=store.tz, by=args.by, cutoff=cutoff)
    lines = summary.as_text().splitlines()
    only = [f"zone {z}" for z in args.zone] + [f"DMZ sector {s}" for s in args.sector]
    if only:
        lines.insert(2, f"Only {', '.join(only)}.")
    since, label = _since(store, args.since, last)
    if since is not None:
        total = running_total(store.conn, flt, since, last, store.tz, cutoff=cutoff)
        lines.insert(3 + bool(only), total.line(label))
    print("\n".join(escaped(line) for line in lines))

    incidents, violations = totals(store.conn)
    print()
    print(f"All recorded incidents: {incidents:,} incidents, {violations:,} violations")
    for title, rows in (("Zone", counts_by_zone(store.conn)), ("DMZ sector", counts_by_sector(store.conn))):
        print()
        width = max([len(title), *(len(f"{r.area_id} {r.name}") for r in rows)])
        print(f"{title:<{width}}  {'incidents':>10}  {'violations':>11}")
        for r in rows:
            print(f"{escaped(r.area_id + ' ' + r.name):<{width}}  {r.incidents:>10,}  {r.violations:>11,}")
    return 0


def _day_option(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError([FieldProblem(option, f"{text!r} is not a date; write it as YYYY-MM-DD")]) from None


def _last_complete_day(store: Store, reporting_days: bool) -> date:
    """Yesterday, or the last reporting day whose cut-off has passed (as Trends' "Last 30 reporting days" ends)."""
    from db.report.content import last_complete_reporting_day

    now = datetime.now(UTC)
    if reporting_days:
        return last_complete_reporting_day(now, store.calendar)
    return now.astimezone(store.tz).date() - timedelta(days=1)


def _since(store: Store, text: str | None, last: date) -> tuple[date | None, str]:
    """The start of the running total: ``--since``, else the latest key date of the theatre up to ``last``."""
    if text:
        since = _day_option("--since", text)
        if since > last:
            raise ValidationError([FieldProblem("--since", f"{since} is after --to {last}")])
        return since, ""
    earlier = [key for key in store.theatre.key_dates if key.date <= last]
    return (earlier[-1].date, earlier[-1].label) if earlier else (None, "")


def cmd_backup(store: Store, args: argparse.Namespace) -> int:
    info = make_backup(store.conn, paths.backups_dir(), "manual")
    print(f"Backup verified and saved: {info.path} ({info.size / 1e6:.1f} MB)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from desktop.window.instance_lock import InstanceLock

    cli_passphrase.unlock_if_needed(args)
    backup = None
    if args.backup is not None:
        backup = backup_info(args.backup)
    with InstanceLock(paths.data_dir()):
        recovery = restore_backup(paths.data_dir(), backup)
    print("\n".join(recovery.advice()))
    return 0


def _guarded(run: Callable[[], int]) -> int:
    try:
        return run()
    except TrucelineError as error:
        print(f"truceline: {escaped(error)}", file=sys.stderr)
        return EXIT_ERROR


def cmd_export_csv(store: Store, args: argparse.Namespace) -> int:
    from db.csv_io.export import export_csv
    from db.model.enums import CATEGORY, VERIFICATION_STATE
    from db.records.queries import IncidentFilter, day_bounds

    first = _day_option("--from", args.first) if args.first else None
    last = _day_option("--to", args.last) if args.last else None
    if first and last and first > last:
        raise ValidationError([FieldProblem("--from", f"{first} is after --to {last}")])
    for option, chosen, known in (
        ("--zone", args.zone, store.theatre.zone_ids),
        ("--sector", args.sector, store.theatre.sector_ids),
        ("--category", args.category, set(CATEGORY)),
        ("--state", args.state, set(VERIFICATION_STATE)),
    ):
        unknown = [value for value in chosen if value not in known]
        if unknown:
            reason = f"{', '.join(unknown)} is not one of: {', '.join(sorted(known))}"
            raise ValidationError([FieldProblem(option, reason)])
    start, end = day_bounds(first, last, store.tz)
    flt = IncidentFilter(
        start_utc=start,
        end_utc=end,
        zone_ids=tuple(args.zone),
        sector_ids=tuple(args.sector),
        categories=tuple(args.category),
        states=tuple(args.state),
    )
    started = time.perf_counter()
    result = export_csv(
        store.conn,
        flt,
        args.out.expanduser().absolute(),
        tz=store.tz,
        fmt=args.format,
        bom=not args.no_bom,
        progress=_progress("rows"),
    )
    _end_progress()
    print(f"Exported {counted(result.rows, 'incident')} to {result.path} in {time.perf_counter() - started:.1f} s.")
    return 0


def cmd_import_csv(store: Store, args: argparse.Namespace) -> int:
    from db.csv_io.importing import CsvImportError, import_csv
    from db.records.monitors import local_profile

    profile = local_profile(store.conn)
    if profile is None:
        raise TrucelineError(
            "no monitor is signed in on this laptop; create a profile with truceline profile --name … --callsign …"
        )
    try:
        summary = import_csv(
            store.conn,
            store.writer(profile.monitor_id),
            args.file.expanduser(),
            theatre=store.theatre,
            calendar=store.calendar,
            dry_run=args.dry_run,
            progress=_progress("bytes"),
        )
    except CsvImportError as error:
        _end_progress()
        for problem in error.summary.problems[1:]:
            print(f"truceline: {escaped(problem)}", file=sys.stderr)
        raise
    _end_progress()
    print(summary.as_text())
    for problem in summary.problems:
        print(f"problem: {escaped(problem)}")
    if summary.problem_count > len(summary.problems):
        print(f"… and {summary.problem_count - len(summary.problems):,} more problems")
    return 0 if summary.ok else EXIT_ERROR


def _progress(unit: str) -> Callable[[int, int], bool]:
    """Progress on stderr when it is a terminal (never in a pipe or a log)."""
    show = sys.stderr.isatty()

    def report(done: int, total: int) -> bool:
        if show:
            percent = f" ({100 * done // total}%)" if total else ""
            print(f"\r{done:,} / {total:,} {unit}{percent}", end="", file=sys.stderr, flush=True)
        return True

    return report


def _end_progress() -> None:
    if sys.stderr.isatty():
        print(file=sys.stderr)


def cmd_bundle(store: Store, args: argparse.Namespace) -> int:
    from desktop.cli import bundle as cli_bundle

    return cli_bundle.run(store, args)


COMMANDS = {
    "demo": cmd_demo,
    "stats": cmd_stats,
    "export-csv": cmd_export_csv,
    "import-csv": cmd_import_csv,
    "backup": cmd_backup,
    "bundle": cmd_bundle,
    "report": cli_report.run,
    "mission": cli_mission.run,
}
