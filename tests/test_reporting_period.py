"""Trends' "Last 7/30 days" with reporting days on end where `truceline stats --reporting-days` ends.

Both end at the last complete reporting day (19:30 to 19:30, the theatre's cut-off): the 16th from
its 19:30 until the 17th's, then the 17th. The hand-counted events of tests/support.py include E,
observed at 19:45 on 16 May, which belongs to reporting day 17 May.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QSettings
from support import record_events

import desktop.cli.main
from db.storage.store import Store
from db.storage.versions import Writer
from db.trends.timeline import timeline
from desktop.cli.main import main
from desktop.incidents.filter_bar import FilterBar
from desktop.trends.summary_panel import SummaryPanel
from desktop.window.main_window import MainWindow

KYIV = ZoneInfo("Europe/Kyiv")


def frozen_at(moment: datetime) -> type[datetime]:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return moment.astimezone(tz)

    return Frozen


@pytest.mark.parametrize(
    ("now", "last"),
    [
        (datetime(2026, 5, 16, 20, 0, tzinfo=KYIV), date(2026, 5, 16)),  # the 16th's cut-off has just passed
        (datetime(2026, 5, 17, 19, 29, tzinfo=KYIV), date(2026, 5, 16)),  # the 17th is not over yet
        (datetime(2026, 5, 17, 19, 45, tzinfo=KYIV), date(2026, 5, 17)),  # it is: E (19:45 on the 16th) counts
    ],
    ids=["after-cutoff", "before-cutoff", "next-day-after-cutoff"],
)
@pytest.mark.parametrize("preset", ["7d", "30d"])
def test_trends_last_days_agree_with_stats_in_reporting_days(  # type: ignore[no-untyped-def]
    qtbot, store: Store, writer: Writer, monkeypatch, capsys, now: datetime, last: date, preset: str
) -> None:
    record_events(store, writer)
    days = 7 if preset == "7d" else 30
    monkeypatch.setattr(desktop.cli.main, "datetime", frozen_at(now))
    # --to is left to its default; so is --from for 30 days (30 days before --to).
    since = ["--from", str(last - timedelta(days=6))] if preset == "7d" else []
    assert main(["--data-dir", str(store.data_dir), "stats", "--reporting-days", *since]) == 0
    stats = capsys.readouterr().out.splitlines()

    bar = FilterBar(store, today=lambda: now.date(), now=lambda: now)
    qtbot.addWidget(bar)
    bar.period.setCurrentIndex(bar.period.findData(preset))
    bar.set_reporting_days(True)
    assert bar.period.currentText() == f"Last {days} reporting days"
    first, shown_last = bar.period_days()
    assert (first, shown_last) == (last - timedelta(days=days - 1), last)

    panel = SummaryPanel(store, today=lambda: now.date())
    qtbot.addWidget(panel)
    panel.reporting_check.setChecked(True)
    panel.set_filter(bar.current_filter())
    panel.set_period(first, shown_last)
    panel.show()
    qtbot.waitUntil(lambda: panel.text() != "")
    # The same sentence, the same period, the same change: the window and the command line agree.
    assert panel.text().splitlines()[:3] == stats[:3]
    assert f"to {last.isoformat()} ({days} days, reporting days ending at 19:30" in stats[1]

    # The plot's bars are those reporting days, no more: the 17th appears only once it is complete.
    plotted = timeline(
        store.conn, bar.current_filter(), tz=store.tz, cutoff=store.calendar.cutoff, bin="day", reporting_days=True
    )
    assert (plotted.starts[0], plotted.starts[-1]) == (first, last)


def test_one_reporting_days_check_for_trends_and_the_period_presets(qtbot, store: Store, monitor, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(store, QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(window)
    bar = window.filter_bar
    bar.period.setCurrentIndex(bar.period.findData("7d"))
    assert bar.period.currentText() == "Last 7 days to yesterday"

    with qtbot.waitSignal(bar.filterChanged):
        window.timeline.reporting_check.setChecked(True)
    # The summary beside the plot counts the same days; the preset says which days they are.
    assert window.summary.reporting_check.isChecked()
    assert bar.period.currentText() == "Last 7 reporting days"
    before = bar.period_days()[1]
    assert before is not None and abs((before - datetime.now(store.tz).date()).days) <= 1

    with qtbot.waitSignal(bar.filterChanged):
        window.summary.reporting_check.setChecked(False)
    assert not window.timeline.reporting_check.isChecked()
    assert bar.period.currentText() == "Last 7 days to yesterday"
    assert bar.period_days()[1] == datetime.now(store.tz).date() - timedelta(days=1)
