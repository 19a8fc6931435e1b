"""The ``truceline`` command: no subcommand opens the window; subcommands do headless work.

Every subcommand calls the same ``db`` functions as the window. Errors are one line on stderr
and a non-zero exit status (2 for bad input or an unusable database, 1 for ``check`` problems).
"""

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from db import paths
from db.backup import list_backups, make_backup
from db.errors import FieldProblem, TrucelineError, ValidationError
from db.identity import APP_NAME, VERSION
from db.store import Store, open_store

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
    stats.add_argument("--to", dest="last", metavar="DATE", help="last day, YYYY-MM-DD (default: yesterday)")
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
    sub.add_parser("check", help="verify database integrity, every version's hashes and chains, and the projection")
    sub.add_parser("backup", help="take a verified backup of the database now")
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
    log = actions.add_parser("log", help="list the bundles imported, newest first, and the sequence gaps")
    log.add_argument("--limit", type=_positive, default=50, metavar="N", help="how many imports to list (default 50)")
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
    if args.command is None:
        from desktop.app import run_window

        return run_window()
    try:
        store = open_store()
    except TrucelineError as error:
        print(f"truceline: {error}", file=sys.stderr)
        return EXIT_ERROR
    try:
        return int(COMMANDS[args.command](store, args))
    except TrucelineError as error:
        print(f"truceline: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("truceline: interrupted", file=sys.stderr)
        return 130
    finally:
        store.close()


def cmd_demo(store: Store, args: argparse.Namespace) -> int:
    from db.demo import generate

    started = time.perf_counter()
    show = sys.stderr.isatty()

    def progress(done: int, total: int) -> bool:
        if show:
            print(f"\r{done:,} / {total:,} incidents", end="", file=sys.stderr, flush=True)
        return True

    written = generate(store, args.incidents, args.seed, progress=progress)
    if show:
        print(file=sys.stderr)
    print(f"Added {written:,} demo incidents in {time.perf_counter() - started:.1f} s (seed {args.seed}).")
    return 0


def cmd_stats(store: Store, args: argparse.Namespace) -> int:
    from db.queries import IncidentFilter
    from db.stats import counts_by_sector, counts_by_zone, totals
    from db.summary import period_summary, running_total

    last = _day_option("--to", args.last) if args.last else datetime.now(store.tz).date() - timedelta(days=1)
    first = _day_option("--from", args.first) if args.first else last - timedelta(days=29)
    if first > last:
        raise ValidationError([FieldProblem("--from", f"{first} is after --to {last}")])
    for option, chosen, known in (
        ("--zone", args.zone, store.theatre.zone_ids),
        ("--sector", args.sector, store.theatre.sector_ids),
    ):
        unknown = [area for area in chosen if area not in known]
        if unknown:
            reason = f"{', '.join(unknown)} is not in this theatre (known: {', '.join(sorted(known))})"
            raise ValidationError([FieldProblem(option, reason)])
    flt = IncidentFilter(zone_ids=tuple(args.zone), sector_ids=tuple(args.sector))
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
    print("\n".join(lines))

    incidents, violations = totals(store.conn)
    print()
    print(f"All recorded incidents: {incidents:,} incidents, {violations:,} violations")
    for title, rows in (("Zone", counts_by_zone(store.conn)), ("DMZ sector", counts_by_sector(store.conn))):
        print()
        width = max([len(title), *(len(f"{r.area_id} {r.name}") for r in rows)])
        print(f"{title:<{width}}  {'incidents':>10}  {'violations':>11}")
        for r in rows:
            print(f"{r.area_id + ' ' + r.name:<{width}}  {r.incidents:>10,}  {r.violations:>11,}")
    return 0


def _day_option(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError([FieldProblem(option, f"{text!r} is not a date; write it as YYYY-MM-DD")]) from None


def _since(store: Store, text: str | None, last: date) -> tuple[date | None, str]:
    """The start of the running total: ``--since``, else the latest key date of the theatre up to ``last``."""
    if text:
        since = _day_option("--since", text)
        if since > last:
            raise ValidationError([FieldProblem("--since", f"{since} is after --to {last}")])
        return since, ""
    earlier = [key for key in store.theatre.key_dates if key.date <= last]
    return (earlier[-1].date, earlier[-1].label) if earlier else (None, "")


def cmd_check(store: Store, args: argparse.Namespace) -> int:
    from db.integrity import check_database

    report = check_database(store.conn, store.calendar)
    backups = list_backups(paths.backups_dir())
    print(f"database: {store.data_dir / paths.DATABASE_NAME}")
    print(f"integrity: {report.integrity}")
    print(f"versions: {report.versions:,} from {report.devices} device(s); incidents: {report.incidents:,}")
    print(f"latest verified backup: {backups[0].path.name if backups else 'none yet'}")
    for problem in report.problems[:200]:
        print(f"problem: {problem}")
    if len(report.problems) > 200:
        print(f"… and {len(report.problems) - 200} more problems")
    print("result: ok" if report.ok else f"result: {len(report.problems) or 1} problem(s) found")
    return 0 if report.ok else EXIT_PROBLEMS


def cmd_backup(store: Store, args: argparse.Namespace) -> int:
    info = make_backup(store.conn, paths.backups_dir(), "manual")
    print(f"Backup verified and saved: {info.path} ({info.size / 1e6:.1f} MB)")
    return 0


def cmd_bundle(store: Store, args: argparse.Namespace) -> int:
    from desktop import cli_bundle

    return cli_bundle.run(store, args)


COMMANDS = {"demo": cmd_demo, "stats": cmd_stats, "check": cmd_check, "backup": cmd_backup, "bundle": cmd_bundle}
