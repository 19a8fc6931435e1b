"""Budgets of the supervisor's widgets on a million incidents (ARCHITECTURE.md §10), in real pyqtgraph items.

A timeline step is timed from ``set_filter`` until the plot has received the paint it asked for, so
the query, the folding into series, the ``setOpts``/``setData`` of the items, pyqtgraph's range
and axis updates and the painting of every bar are all inside the number (budget 50 ms). The
summary panel is timed from the call to the text shown, running total since the ceasefire
included (budget 100 ms).
"""

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from benchutil import report, timed
from PySide6.QtCore import QCoreApplication, QEvent, QObject

from db.records.queries import IncidentFilter, day_bounds
from db.storage.store import open_store
from desktop.trends.summary_panel import SummaryPanel
from desktop.trends.timeline import TimelineView

TIMELINE_BUDGET_MS = 50.0
SUMMARY_BUDGET_MS = 100.0


def test_timeline_view_and_summary_panel_budgets(qtbot, million: Path) -> None:  # type: ignore[no-untyped-def]
    store = open_store(million)
    try:
        tz = store.tz
        view = TimelineView(store)
        qtbot.addWidget(view)
        view.resize(1366, 520)
        view.show()
        qtbot.waitExposed(view)
        panel = SummaryPanel(store, today=lambda: last)
        qtbot.addWidget(panel)
        panel.show()
        total = store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
        last = date.fromisoformat(store.conn.execute("SELECT max(day) FROM daily_counts").fetchone()[0])

        def days(n: int, **narrowing: object) -> IncidentFilter:
            return IncidentFilter(*day_bounds(last - timedelta(days=n - 1), last, tz), **narrowing)  # type: ignore[arg-type]

        paints = _PaintCounter()
        view.plot.viewport().installEventFilter(paints)

        def drawn(flt: IncidentFilter, **controls: object) -> Callable[[], object]:
            def step() -> None:
                before = paints.count
                view.set_filter(flt)
                while paints.count == before:  # the update the refresh posted, as the window would see it
                    QCoreApplication.processEvents()

            def timed_step() -> tuple[float, float]:
                _set(view, **controls)
                return timed(step)

            return timed_step

        steps = [
            ("all time, by day", drawn(IncidentFilter())),
            ("all time, by day, stacked by zone", drawn(IncidentFilter(), split="zone")),
            ("all time, by day, by sector, side by side", drawn(IncidentFilter(), split="sector", stacked=False)),
            ("all time, by week, by weapon (10 + Other)", drawn(IncidentFilter(), bin="week", split="weapon_class")),
            (
                "all time, by month, by state, incidents",
                drawn(IncidentFilter(), bin="month", split="verification_state", metric="incidents"),
            ),
            ("all time, by reporting day, by category", drawn(IncidentFilter(), split="category", reporting=True)),
            (
                "30 days, by category, 7-bin average, compared",
                drawn(days(30), split="category", average=7, compare=True),
            ),
            (
                "90 days, by sector, reporting days, compared",
                drawn(days(90), split="sector", reporting=True, compare=True),
            ),
            ("sector DMZ-03, by weapon", drawn(IncidentFilter(sector_ids=("DMZ-03",)), split="weapon_class")),
            (
                "fire + verified, by sector, compared 90 days",
                drawn(days(90, categories=("fire",), states=("verified",)), split="sector", compare=True),
            ),
            (
                "all time, EAST + verified, by obs. type",
                drawn(IncidentFilter(zone_ids=("EAST",), states=("verified",)), split="obs_type"),
            ),
            ("all time, text 'tracer' (200,000 matches), by zone", drawn(IncidentFilter(text="tracer"), split="zone")),
        ]
        timeline_times = [(name, *step()) for name, step in steps]

        def summary(flt: IncidentFilter, by: str = "zone", reporting: bool = False) -> Callable[[], object]:
            def step() -> None:
                panel.by_combo.setCurrentIndex(panel.by_combo.findData(by))
                panel.reporting_check.setChecked(reporting)
                panel.set_filter(flt)
                panel.refresh()  # set_filter skips an unchanged filter; refresh always computes

            return step

        summaries = [
            ("7 days by zone", summary(days(7))),
            ("30 days by sector", summary(days(30), "sector")),
            ("30 reporting days by zone", summary(days(30), reporting=True)),
            ("90 days by sector, verified", summary(days(90, states=("verified",)), "sector")),
            ("182 days by zone, mortar", summary(days(182, weapon_classes=("mortar",)))),
            ("all time (the last 30 days) by zone", summary(IncidentFilter())),
        ]
        summary_times = [(name, *timed(step)) for name, step in summaries]
    finally:
        store.close()

    def rows(results: list[tuple[str, float, float]], budget: float) -> list[tuple[str, str]]:
        return [(name, f"p50 {p50:6.1f} ms, max {worst:6.1f} ms (budget {budget:.0f})") for name, p50, worst in results]

    report(f"timeline widget, set_filter to painted, {total:,} incidents", rows(timeline_times, TIMELINE_BUDGET_MS))
    report(f"summary panel, filter to text, {total:,} incidents", rows(summary_times, SUMMARY_BUDGET_MS))
    assert all(p50 < TIMELINE_BUDGET_MS for _, p50, _ in timeline_times), timeline_times
    assert all(p50 < SUMMARY_BUDGET_MS for _, p50, _ in summary_times), summary_times


class _PaintCounter(QObject):
    """Counts the paint events of the plot, so that a step ends when the new bars are on screen."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def _set(
    view: TimelineView,
    *,
    bin: str = "day",
    split: str | None = None,
    metric: str = "violations",
    stacked: bool = True,
    reporting: bool = False,
    average: int = 0,
    compare: bool = False,
) -> None:
    """Put the controls in place (untimed: each change refreshes with the previous filter)."""
    view.bin_combo.setCurrentIndex(view.bin_combo.findData(bin))
    view.split_combo.setCurrentIndex(view.split_combo.findData(split))
    view.metric_combo.setCurrentIndex(view.metric_combo.findData(metric))
    view.stacking_combo.setCurrentIndex(view.stacking_combo.findData(stacked))
    view.reporting_check.setChecked(reporting)
    view.average_combo.setCurrentIndex(view.average_combo.findData(average))
    view.compare_check.setChecked(compare)
