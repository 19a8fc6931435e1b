"""The timeline widget: what it draws is db.trends.timeline's numbers, and its controls, legend, region and export work.

Heights, bottoms and lines are read back from the pyqtgraph items themselves, so a test fails if
the plot shows anything other than what :func:`db.trends.timeline.timeline` computed.
"""

import os
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from support import valid_raw

from db.core import atomic_file
from db.model.validation import validate_incident
from db.records.incidents import record_incidents
from db.records.monitors import Monitor
from db.records.queries import IncidentFilter, day_bounds
from db.storage.store import Store
from db.trends.timeline import moving_average, timeline
from desktop.trends.series import MAX_SERIES, OTHER, epoch
from desktop.trends.timeline import TimelineView

KYIV = ZoneInfo("Europe/Kyiv")
WEAPONS = (
    "small_arms",
    "heavy_machine_gun",
    "grenade_launcher",
    "rpg_recoilless",
    "cannon",
    "tank_gun",
    "mortar",
    "tube_artillery",
    "mlrs",
    "atgm",
    "drone_munition",
    "undetermined",
)
ZONES = ("EAST", "SOUTH", "NORTH")
SECTORS = ("DMZ-04", "DMZ-09", None)
STATES = ("verified", "submitted", "disputed")


def kyiv(text: str) -> str:
    """A local Kyiv time as the stored UTC text."""
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=KYIV)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def data(store: Store, supervisor: Monitor) -> Store:
    """36 incidents over 4 to 27 May 2026 (weeks of 4, 11, 18 and 25 May), every weapon, three zones.

    Weapon n has n + 1 incidents' worth of counts so that the ranking (and the fold into Other)
    is known: the two smallest, small arms and heavy machine gun, are folded.
    """
    incidents = []
    for i in range(36):
        day = date(2026, 5, 4) + timedelta(days=(i * 5) % 24)
        hour = 8 + (i * 7) % 14  # some after the 19:30 cut-off
        weapon = WEAPONS[i % len(WEAPONS)]
        raw = valid_raw(
            observed_start=kyiv(f"{day.isoformat()} {hour:02d}:45"),
            observed_end=None,
            zone_id=ZONES[i % 3],
            sector_id=SECTORS[(i // 3) % 3],
            weapon_class=weapon,
            verification_state=STATES[(i // 2) % 3],
            count=1 + WEAPONS.index(weapon) + i % 4,
        )
        incidents.append(validate_incident(raw, theatre=store.theatre))
    # Reviewed states are a supervisor's decisions (db/records/roles.py).
    record_incidents(store.conn, store.writer(supervisor.monitor_id), incidents, store.calendar)
    return store


@pytest.fixture
def view(qtbot, data: Store) -> TimelineView:  # type: ignore[no-untyped-def]
    widget = TimelineView(data)
    qtbot.addWidget(widget)
    widget.resize(1100, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def choose(view: TimelineView, *, bin: str = "day", split: str | None = None, metric: str = "violations") -> None:
    view.bin_combo.setCurrentIndex(view.bin_combo.findData(bin))
    view.split_combo.setCurrentIndex(view.split_combo.findData(split))
    view.metric_combo.setCurrentIndex(view.metric_combo.findData(metric))


def period(first: date, last: date) -> IncidentFilter:
    return IncidentFilter(*day_bounds(first, last, KYIV))


def heights(view: TimelineView, key: str | None) -> list[float]:
    bars = view.bars_of(key)
    assert bars is not None and bars.isVisible()
    return list(bars.opts["height"])


@pytest.mark.parametrize(
    ("bin", "split", "metric", "reporting", "flt"),
    [
        ("day", None, "violations", False, IncidentFilter()),
        ("week", "zone", "violations", False, IncidentFilter()),
        ("month", "sector", "incidents", False, IncidentFilter()),
        ("day", "verification_state", "incidents", True, period(date(2026, 5, 10), date(2026, 5, 20))),
        ("week", "zone", "violations", True, IncidentFilter(states=("verified",))),
    ],
)
def test_the_bars_are_the_timeline_numbers(view, data, bin, split, metric, reporting, flt) -> None:  # type: ignore[no-untyped-def]
    choose(view, bin=bin, split=split, metric=metric)
    view.reporting_check.setChecked(reporting)
    view.set_filter(flt)
    expected = timeline(
        data.conn,
        flt,
        tz=data.tz,
        cutoff=data.calendar.cutoff,
        bin=bin,
        dimension=split,
        metric=metric,
        reporting_days=reporting,
    )
    assert view.current_timeline() == expected
    assert expected.series and len(expected.series) <= 10
    for key, values in expected.series.items():
        assert heights(view, key) == list(values)
        bars = view.bars_of(key)
        # Each bar stands inside its own bin: local midnight to local midnight.
        for start, x0, width in zip(expected.starts, bars.opts["x0"], bars.opts["width"], strict=True):
            end = start + timedelta(days={"day": 1, "week": 7}.get(bin, 0)) if bin != "month" else date(2026, 6, 1)
            assert epoch(start, KYIV) < x0 and x0 + width < epoch(end, KYIV)


def test_stacked_bars_sit_on_each_other(view, data) -> None:  # type: ignore[no-untyped-def]
    choose(view, bin="week", split="zone")
    view.set_filter(IncidentFilter())
    east, north, south = (view.bars_of(zone) for zone in ("EAST", "NORTH", "SOUTH"))
    assert [s.key for s in view.shown_series()] == ["EAST", "NORTH", "SOUTH"]
    assert list(east.opts["y0"]) == [0, 0, 0, 0]
    assert np.array_equal(north.opts["y0"], east.opts["height"])
    assert np.array_equal(south.opts["y0"], east.opts["height"] + north.opts["height"])
    assert np.array_equal(east.opts["x0"], south.opts["x0"])


def test_side_by_side_bars_share_their_bin(view, data) -> None:  # type: ignore[no-untyped-def]
    choose(view, bin="week", split="zone")
    view.stacking_combo.setCurrentIndex(view.stacking_combo.findData(False))
    view.set_filter(IncidentFilter())
    bars = [view.bars_of(zone) for zone in ("EAST", "NORTH", "SOUTH")]
    for bar in bars:
        assert list(bar.opts["y0"]) == [0, 0, 0, 0]
    for left, right in zip(bars, bars[1:], strict=False):
        assert np.allclose(left.opts["x0"] + left.opts["width"], right.opts["x0"])
    assert np.allclose(bars[0].opts["width"], bars[2].opts["width"])


def test_the_stacking_control_waits_for_a_split(view) -> None:  # type: ignore[no-untyped-def]
    assert not view.stacking_combo.isEnabled()
    choose(view, split="weapon_class")
    assert view.stacking_combo.isEnabled()


def test_more_than_ten_values_fold_the_smallest_into_other(view, data) -> None:  # type: ignore[no-untyped-def]
    choose(view, bin="week", split="weapon_class")
    view.set_filter(IncidentFilter())
    expected = view.current_timeline()
    assert expected is not None and len(expected.series) == 12
    shown = view.shown_series()
    assert len(shown) == 11 and shown[-1].key == OTHER and shown[-1].label == "Other (2)"
    assert {s.key for s in shown[:-1]} == set(WEAPONS[2:])
    folded = [a + b for a, b in zip(expected.series["small_arms"], expected.series["heavy_machine_gun"], strict=True)]
    assert heights(view, OTHER) == folded
    assert sum(sum(s.values) for s in shown) == sum(expected.bin_totals())
    assert "Heavy machine gun" not in [label.text for _, label in view.plot.legend.items]
    assert [label.text for _, label in view.plot.legend.items][-1] == "Other (2)"


def test_refreshing_reuses_the_same_items(view, data) -> None:  # type: ignore[no-untyped-def]
    view.set_filter(IncidentFilter())
    children = view.plot.getPlotItem().getViewBox().childGroup.childItems
    items = list(children())
    assert len(items) == MAX_SERIES + 2 + 1 + 1 + 1  # bars, average and comparison, key date, region, hover
    for split in ("zone", "weapon_class", "sector", None, "category"):
        choose(view, split=split, bin="week")
        view.average_combo.setCurrentIndex(2)
        view.compare_check.setChecked(True)
        view.set_filter(period(date(2026, 5, 11), date(2026, 5, 24)))
    assert children() == items


def test_clicking_a_legend_entry_hides_its_series_and_closes_the_stack(qtbot, view, data) -> None:  # type: ignore[no-untyped-def]
    choose(view, bin="week", split="zone")
    view.set_filter(IncidentFilter())
    east, south = view.bars_of("EAST"), view.bars_of("SOUTH")
    sample = next(sample for sample, label in view.plot.legend.items if label.text == "NORTH")
    centre = sample.mapToScene(sample.boundingRect().center())
    where = view.plot.mapFromScene(centre)
    qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(where.x(), where.y()))
    assert not view.bars_of("NORTH").isVisible()
    assert np.array_equal(south.opts["y0"], east.opts["height"])  # South now sits on East
    view.set_filter(IncidentFilter(weapon_classes=("mortar", "mlrs", "atgm")))
    assert not view.bars_of("NORTH").isVisible()  # hidden until shown again
    view.set_series_visible("NORTH", True)
    assert view.bars_of("NORTH").isVisible()


def test_the_moving_average_line(view, data) -> None:  # type: ignore[no-untyped-def]
    assert not view.plot.average_line.isVisible()
    view.average_combo.setCurrentIndex(view.average_combo.findData(7))
    view.set_filter(period(date(2026, 5, 4), date(2026, 5, 27)))
    x, y = view.plot.average_line.getData()
    expected = view.current_timeline()
    assert expected is not None and len(x) == len(y) == len(expected.starts) == 24
    assert list(y) == pytest.approx(moving_average(expected.bin_totals(), 7))
    assert view.plot.average_line.isVisible()
    view.average_combo.setCurrentIndex(view.average_combo.findData(0))
    assert len(view.plot.average_line.getData()[0] or []) == 0 and not view.plot.average_line.isVisible()


def test_the_previous_period_is_laid_over_this_one(view, data) -> None:  # type: ignore[no-untyped-def]
    choose(view, bin="day")
    view.compare_check.setChecked(True)
    view.set_filter(period(date(2026, 5, 18), date(2026, 5, 27)))  # ten days; before: 8 to 17 May
    before = timeline(data.conn, period(date(2026, 5, 8), date(2026, 5, 17)), tz=KYIV, cutoff=data.calendar.cutoff)
    x, y = view.plot.compare_line.getData()
    assert list(y) == list(before.bin_totals()) and len(x) == 10
    assert view.plot.compare_line.opts["pen"].style() == Qt.PenStyle.DashLine
    choose(view, bin="week")  # weeks of 18 and 25 May: days 18-24 and 25-27 moved from 8-14 and 15-17
    x, y = view.plot.compare_line.getData()
    assert list(y) == [sum(before.bin_totals()[:7]), sum(before.bin_totals()[7:])]
    view.set_filter(IncidentFilter())  # all time: nothing before it
    assert view.plot.compare_line.getData()[0] is None or len(view.plot.compare_line.getData()[0]) == 0
    assert "choose a period" in view.title


def test_dragging_the_region_proposes_whole_local_days(qtbot, view) -> None:  # type: ignore[no-untyped-def]
    view.set_filter(IncidentFilter())
    view.region.setRegion((epoch(date(2026, 5, 11), KYIV) + 7200, epoch(date(2026, 5, 18), KYIV) - 3 * 3600))
    with qtbot.waitSignal(view.periodSelected, timeout=500) as blocker:
        view.region.sigRegionChangeFinished.emit(view.region)
    assert blocker.args == [date(2026, 5, 11), date(2026, 5, 17)]
    assert view.region.getRegion() == (epoch(date(2026, 5, 11), KYIV), epoch(date(2026, 5, 18), KYIV))


def test_a_region_in_week_bins_snaps_to_whole_weeks(qtbot, view) -> None:  # type: ignore[no-untyped-def]
    choose(view, bin="week")
    view.set_filter(IncidentFilter())
    view.region.setRegion((epoch(date(2026, 5, 10), KYIV), epoch(date(2026, 5, 23), KYIV)))
    with qtbot.waitSignal(view.periodSelected, timeout=500) as blocker:
        view.region.sigRegionChangeFinished.emit(view.region)
    assert blocker.args == [date(2026, 5, 11), date(2026, 5, 24)]


def test_show_period_moves_the_plot(view) -> None:  # type: ignore[no-untyped-def]
    view.set_filter(IncidentFilter())
    first, end = epoch(date(2026, 5, 11), KYIV), epoch(date(2026, 5, 18), KYIV)
    view.show_period(date(2026, 5, 11), date(2026, 5, 17))
    (left, right), _ = view.plot.getPlotItem().getViewBox().viewRange()
    assert left <= first < end <= right and (right - left) < 1.1 * (end - first)
    assert view.region.getRegion() == (first, end)
    view.show_period(None, None)  # everything drawn: 4 to 27 May
    (left, right), _ = view.plot.getPlotItem().getViewBox().viewRange()
    assert left <= epoch(date(2026, 5, 4), KYIV) and right >= epoch(date(2026, 5, 28), KYIV)


def test_the_filter_period_sets_the_range(view) -> None:  # type: ignore[no-untyped-def]
    view.set_filter(period(date(2026, 5, 1), date(2026, 5, 31)))
    (left, right), _ = view.plot.getPlotItem().getViewBox().viewRange()
    assert left <= epoch(date(2026, 5, 1), KYIV) and right >= epoch(date(2026, 6, 1), KYIV)
    assert view.title.endswith("1 May 2026 to 31 May 2026")


def test_the_key_date_is_marked(view, data) -> None:  # type: ignore[no-untyped-def]
    (key,) = data.theatre.key_dates
    (line,) = view.plot.key_date_lines
    assert line.value() == epoch(key.date, KYIV) == epoch(date(2026, 4, 1), KYIV)
    assert line.label.toPlainText() == "Ceasefire in force" and line.angle == 90
    assert line in view.plot.getPlotItem().getViewBox().childGroup.childItems()


def test_hover_gives_the_dates_and_exact_values(qtbot, view, data) -> None:  # type: ignore[no-untyped-def]
    choose(view, bin="week", split="zone")
    view.set_filter(IncidentFilter())
    expected = view.current_timeline()
    x = epoch(date(2026, 5, 13), KYIV)  # a Wednesday: the week of 11 May
    text = view.hover_at(x)
    assert text is not None
    lines = text.splitlines()
    assert lines[0] == "Week of Mon 11 May 2026 to Sun 17 May 2026"
    assert f"EAST: {expected.series['EAST'][1]:,}" in lines and f"SOUTH: {expected.series['SOUTH'][1]:,}" in lines
    assert f"Total shown: {expected.bin_totals()[1]:,}" in lines
    assert view.hover_at(epoch(date(2026, 4, 1), KYIV)) is None
    # And through the mouse: the proxied scene signal shows the label.
    view_box = view.plot.getPlotItem().getViewBox()
    scene_point = view_box.mapViewToScene(QPointF(x, 1))
    view.plot.scene().sigMouseMoved.emit(scene_point)
    qtbot.waitUntil(view.plot.hover.isVisible, timeout=1000)
    assert view.plot.hover.toPlainText() == text


def test_nothing_to_show(view) -> None:  # type: ignore[no-untyped-def]
    view.set_filter(IncidentFilter(categories=("mine_or_uxo",)))
    assert view.shown_series() == [] and view.title == "Nothing matches the filter"
    assert not any(bar.isVisible() for bar in view.plot.bars)


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_export_writes_a_valid_file(view, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    choose(view, bin="week", split="zone")
    view.set_filter(IncidentFilter())
    target = tmp_path / f"timeline{suffix}"
    view.export_image(target)
    assert os.listdir(tmp_path) == [target.name]  # no temporary file left beside it
    if suffix == ".png":
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = QImage(str(target))
        assert not image.isNull() and image.width() > 500
    else:
        root = ET.parse(target).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert "EAST" in target.read_text(encoding="utf-8")  # the legend is part of the drawing
    assert view.region.isVisible()  # hidden only while exporting


def test_a_failed_export_leaves_nothing(view, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    view.set_filter(IncidentFilter())
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    with pytest.raises(OSError):
        view.export_image(not_a_directory / "timeline.png")
    target = tmp_path / "timeline.svg"
    target.write_text("the previous export")

    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_file.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        view.export_image(target)
    assert sorted(os.listdir(tmp_path)) == ["file", "timeline.svg"]
    assert target.read_text() == "the previous export"
    with pytest.raises(ValueError, match=r"\.jpg"):
        view.export_image(tmp_path / "timeline.jpg")


def test_a_read_only_directory_is_refused_without_a_file(view, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    view.set_filter(IncidentFilter())
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:  # root writes anyway: refuse the file as the kernel would for anyone else

        def refused(*_: object, **__: object) -> None:
            raise PermissionError(13, "Permission denied", str(locked))

        monkeypatch.setattr(atomic_file.tempfile, "mkstemp", refused)
    try:
        with pytest.raises(PermissionError):
            view.export_image(locked / "timeline.png")
        assert os.listdir(locked) == []
    finally:
        locked.chmod(0o700)


def test_a_hidden_view_queries_when_shown(qtbot, data) -> None:  # type: ignore[no-untyped-def]
    view = TimelineView(data)
    qtbot.addWidget(view)
    view.set_filter(IncidentFilter())
    choose(view, bin="week", split="zone")
    assert view.current_timeline() is None  # nothing read for a plot nobody sees
    view.show()
    qtbot.waitExposed(view)
    current = view.current_timeline()
    assert current is not None and current.bin == "week" and current.dimension == "zone"
    view.hide()
    view.refresh()  # an explicit refresh reads even while hidden
    assert view.current_timeline() == current
