"""``truceline report OUT.pdf``: the supervisor's daily or weekly report, without the window.

The same steps as File → Report… (:mod:`desktop.report.produce`). Qt draws the chart, the map and
the PDF, so a Qt application is started; with no display (a server, a cron job, CI) it runs on
the offscreen platform. Days are reporting days (to the theatre's cut-off, 19:30 by default)
unless ``--calendar-days``; with neither ``--from`` nor ``--to`` the report covers the last
complete reporting day, as the OSCE SMM's daily report did.
"""

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from db.core.atomic_file import why_not_written
from db.core.errors import FieldProblem, TrucelineError, ValidationError
from db.records.filter_choices import area_filter
from db.report.content import ReportRequest, last_complete_reporting_day
from db.storage.store import Store


def add_parser(sub: Any) -> None:
    report = sub.add_parser(
        "report",
        help="write the daily or weekly report (PDF, one self-contained HTML file, or DOCX to edit)",
        description="The period sentence for the theatre and each zone and DMZ sector (ranked by change), the "
        "timeline chart, a map, every notable incident in full, a methods note and provenance (author, laptop, "
        "state hash, references). Numbers equal 'truceline stats --reporting-days' for the same days. Default "
        "period: the last complete reporting day.",
    )
    report.add_argument("out", type=Path, metavar="OUT", help="the file to write, e.g. report.pdf (replaced)")
    report.add_argument("--from", dest="first", metavar="DATE", help="first day, YYYY-MM-DD (default: --to)")
    report.add_argument(
        "--to", dest="last", metavar="DATE", help="last day, YYYY-MM-DD (default: the last complete reporting day)"
    )
    report.add_argument("--zone", action="append", default=[], metavar="ZONE", help="only this zone (repeatable)")
    report.add_argument(
        "--sector", action="append", default=[], metavar="SECTOR", help="only this DMZ sector (repeatable)"
    )
    days = report.add_mutually_exclusive_group()
    days.add_argument(
        "--reporting-days",
        action="store_true",
        help="count by reporting day, to the theatre's cut-off (the default, as the SMM's reports did)",
    )
    days.add_argument("--calendar-days", action="store_true", help="count by local calendar day instead")
    report.add_argument(
        "--format", choices=("pdf", "html", "docx"), help="default: from OUT's suffix (.pdf, .html, .docx), else pdf"
    )
    report.add_argument(
        "--marking",
        metavar="TEXT",
        help="classification and distribution marking on every page (default: the one chosen in Settings)",
    )


def run(store: Store, args: argparse.Namespace) -> int:
    request = request_of(store, args)
    _offscreen_without_display()
    from desktop.report.document import write_report
    from desktop.report.produce import figures_of, format_of, marking_of, report_of
    from desktop.window.app import make_application, settings

    make_application()
    out = args.out.expanduser().absolute()
    fmt = format_of(out, args.format)
    marking = args.marking if args.marking is not None else marking_of(settings())
    started = time.perf_counter()
    report = report_of(store, store.conn, request, marking)
    try:
        pages = write_report(report, figures_of(store, report), out, fmt)
    except OSError as error:
        raise TrucelineError(f"{out}: the report was not written: {why_not_written(error)}") from error
    seconds = time.perf_counter() - started
    extent = f"{pages} page{'s' if pages != 1 else ''}" if fmt == "pdf" else f"one {fmt.upper()} file"
    print(f"{report.title}, {report.period_text}: {extent} written to {out} in {seconds:.1f} s.")
    print(report.summary.sentence)
    print(f"Notable incidents: {len(report.notable)}; state hash {report.provenance.state_hash}.")
    return 0


def request_of(store: Store, args: argparse.Namespace) -> ReportRequest:
    """The period and scope the options ask for, checked: every error names its option."""
    default_last = last_complete_reporting_day(datetime.now(UTC), store.calendar)
    last = _day("--to", args.last) if args.last else None
    first = _day("--from", args.first) if args.first else None
    last = last or (first if first and first > default_last else default_last)
    first = first or last
    if first > last:
        raise ValidationError([FieldProblem("--from", f"{first} is after --to {last}")])
    flt = area_filter(store.theatre, args.zone, args.sector)
    return ReportRequest(first, last, reporting_days=not args.calendar_days, flt=flt)


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError([FieldProblem(option, f"{text!r} is not a date; write it as YYYY-MM-DD")]) from None


def _offscreen_without_display() -> None:
    """No X11 or Wayland display: draw on Qt's offscreen platform rather than fail to start."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
