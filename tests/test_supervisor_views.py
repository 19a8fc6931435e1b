"""The supervisor's views answer the same question the same way the command line does."""

import re

import pytest

from desktop.cli.main import main
from desktop.incidents.filter_bar import FilterBar


def test_last_30_days_in_trends_is_the_period_of_truceline_stats(
    qtbot, store, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    bar = FilterBar(store)
    qtbot.addWidget(bar)
    bar.period.setCurrentIndex(bar.period.findData("30d"))
    first, last = bar.period_days()
    assert "to yesterday" in bar.period.currentText()
    store.close()
    assert main(["stats"]) == 0
    period = re.search(r"Period: (\S+) to (\S+) \(30 days", capsys.readouterr().out)
    assert period is not None, "stats printed no period"
    assert (str(first), str(last)) == period.groups()


def test_split_by_sector_draws_all_ten_sectors_and_the_rest_without_other() -> None:
    from desktop.trends.series import OTHER, fold

    sectors = {f"DMZ-{n:02d}": [n, 1] for n in range(1, 11)} | {None: [5, 5]}
    shown = fold(sectors, {})
    assert len(shown) == 11 and OTHER not in {s.key for s in shown}  # DMZ-10 is drawn, not folded
    twelve = sectors | {"EXTRA": [0, 1]}
    folded = fold(twelve, {})
    assert len(folded) == 11 and folded[-1].key == OTHER and folded[-1].label == "Other (2)"


def test_the_review_queue_follows_the_filter_bar_and_shows_the_incident(qtbot, store, supervisor, writer) -> None:  # type: ignore[no-untyped-def]
    from support import save

    from db.records.queries import IncidentFilter
    from desktop.review.panel import ReviewPanel

    fire = save(store, writer, verification_state="submitted", narrative="Shelling seen from OP East.")
    save(store, writer, verification_state="submitted", category="uav_activity", obs_type="none", explosion_kind=None)
    panel = ReviewPanel(store, supervisor)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.model.rowCount() == 2
    panel.set_filter(IncidentFilter(categories=("fire",)))
    assert panel.model.rowCount() == 1 and panel.model.record_at(0).incident_id == fire.incident_id  # type: ignore[union-attr]
    panel.table.selectRow(0)
    shown = panel.detail.browser.toPlainText()
    assert "Shelling seen from OP East." in shown and "History (1 version)" in shown


def test_the_period_edges_are_dashed_lines_not_bars(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from desktop.trends.timeline import TimelineView

    view = TimelineView(store)
    qtbot.addWidget(view)
    for line in view.plot.region.lines:
        assert line.pen.style() == Qt.PenStyle.DashLine and line.pen.widthF() <= 1


def test_the_plot_total_is_the_all_categories_total_the_summary_states(qtbot, store, writer) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from support import record_events

    from db.records.queries import IncidentFilter, day_bounds
    from desktop.trends.summary_panel import SummaryPanel
    from desktop.trends.timeline import TimelineView

    record_events(store, writer)
    first, last = date(2026, 5, 10), date(2026, 5, 16)
    flt = IncidentFilter(*day_bounds(first, last, store.tz))
    view = TimelineView(store)
    qtbot.addWidget(view)
    view.show()
    view.set_filter(flt)
    panel = SummaryPanel(store, today=lambda: last)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_filter(flt)
    panel.set_period(first, last)
    qtbot.waitUntil(lambda: "violations (all categories)" in view.title and bool(panel.text()))
    plotted = re.match(r"([\d,]+) violations \(all categories\)", view.title)
    stated = re.search(r"All categories, as the timeline counts: ([\d,]+) violations", panel.text())
    assert plotted is not None and stated is not None
    assert plotted.group(1) == stated.group(1) == "25"
    assert panel.text().startswith("21 ceasefire violations")  # category Fire, and said so
