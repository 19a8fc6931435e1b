"""The Map view in the window: drawn from the filter, linked with the table, the filter bar and Trends."""

from datetime import date

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from test_map import spread  # noqa: F401 (a fixture)

from db.records.queries import Area, IncidentFilter, count_incidents
from desktop.map.view import MapView, describe_filter
from desktop.trends.series import colour, fold
from desktop.window.main_window import MainWindow

TORETSK = Area(48.0, 37.0, 49.0, 38.5)


@pytest.fixture
def window(qtbot, store, monitor, tmp_path, spread):  # type: ignore[no-untyped-def]  # noqa: F811
    win = MainWindow(store, QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    return win


def _open_map(qtbot, window: MainWindow) -> MapView:  # type: ignore[no-untyped-def]
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.map_split
    qtbot.waitUntil(lambda: window.map.current_data() is not None)
    return window.map


def _zoom(qtbot, view: MapView, area: Area) -> None:  # type: ignore[no-untyped-def]
    before = view.current_data()
    view.show_area(area)
    qtbot.waitUntil(lambda: view.current_data() is not before)


def test_ctrl_4_shows_every_filtered_incident_coloured_as_trends(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    view = _open_map(qtbot, window)
    _zoom(qtbot, view, TORETSK)
    data = view.current_data()
    assert data is not None and data.points is not None
    assert data.placed == 6 and data.in_view == 4 == len(view.canvas.drawn.rowids)
    assert sum(len(slot.data) for slot in view.canvas.point_slots) == 4
    # Colours by category, ranked and coloured exactly as the timeline's fold does.
    names = {"fire": "Fire", "uav_activity": "UAV", "military_presence": "Mil", "mine_or_uxo": "Mine"}
    series = fold({k: (v,) for k, v in sorted(data.totals.items())}, names)
    expected = {s.key: colour(n, s.key) for n, s in enumerate(series)}
    drawn = {int(r): c for r, c in zip(view.canvas.drawn.rowids, view.canvas.drawn.colours, strict=True)}
    for slot in view.canvas.point_slots:  # each colour's item is painted in that colour
        if slot.isVisible():
            assert slot.opts["brush"].color().name().upper() in set(drawn.values())
    for rowid, key in zip(data.points.rowids.tolist(), data.points.keys, strict=True):
        assert drawn[rowid] == expected[key]
    legend = [label.text for _, label in view.canvas.legend.items]
    assert "Fire (ceasefire violation)" in legend and "UAV activity" in legend
    # The observer→event lines: three incidents have both positions, the fourth only the observer's.
    xs, _ = view.canvas.sight_lines.getData()
    assert len(xs) == 6


def test_a_filter_redraws_the_map_and_the_density_grid_gives_way_to_points(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    view = _open_map(qtbot, window)
    window.filter_bar.category.setCurrentIndex(window.filter_bar.category.findData("fire"))
    qtbot.waitUntil(lambda: view.current_data() is not None and view.current_data().placed == 3)
    assert "category Fire" in view.caption()
    # The Trends period brush sets the filter bar's period; the map follows.
    window._period_dragged(date(2026, 5, 13), date(2026, 5, 31))
    qtbot.waitUntil(lambda: view.current_data().placed == 1)
    assert "13 May 2026 to 31 May 2026" in view.caption()


def test_too_many_points_become_a_grid_with_a_legend(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    view = _open_map(qtbot, window)
    view.max_points = 3
    view.refresh()
    data = view.current_data()
    assert data is not None and data.grid is not None and data.points is None
    assert view.canvas.density.isVisible() and view.canvas.density_bar.isVisible()
    assert "counts per cell" in view.status.text()
    _zoom(qtbot, view, Area(48.41, 37.75, 48.7, 38.0))
    assert view.current_data().points is not None and not view.canvas.density.isVisible()


def test_a_click_selects_the_incident_in_the_table_and_the_detail_pane(qtbot, window, store) -> None:  # type: ignore[no-untyped-def]
    view = _open_map(qtbot, window)
    _zoom(qtbot, view, TORETSK)
    rowid = int(view.current_data().points.rowids[0])
    incident_id = store.conn.execute("SELECT incident_id FROM incidents WHERE rowid = ?", (rowid,)).fetchone()[0]
    ref = store.conn.execute("SELECT ref FROM incidents WHERE rowid = ?", (rowid,)).fetchone()[0]
    with qtbot.waitSignal(view.incidentSelected) as signal:
        view.canvas.pointClicked.emit(rowid)
    assert signal.args == [incident_id]
    rows = window.table.selectionModel().selectedRows()
    assert len(rows) == 1 and window.model.record_at(rows[0].row()).incident_id == incident_id
    assert ref in window.map_detail.browser.toPlainText()
    assert view.canvas.selected_ring.data["x"].size == 1
    assert view.canvas.fan.isVisible()  # its bearing and distances draw the fan


def test_hover_shows_reference_time_type_and_count(qtbot, window, store) -> None:  # type: ignore[no-untyped-def]
    view = _open_map(qtbot, window)
    _zoom(qtbot, view, TORETSK)
    text = view.hover_text(37.80, 48.42)
    ref = store.conn.execute("SELECT ref FROM incidents WHERE count = 12").fetchone()[0]
    assert text is not None
    assert text.splitlines() == [ref, "2026-05-10 12:00", "Fire (ceasefire violation) · Explosion", "12 violations"]
    assert view.hover_text(37.3, 48.9) is None


def test_a_dragged_rectangle_becomes_a_removable_filter_everything_follows(qtbot, window, store) -> None:  # type: ignore[no-untyped-def]
    view = _open_map(qtbot, window)
    area = Area(48.41, 37.79, 48.46, 37.86)
    view.canvas.areaDragged.emit(area)
    chip = window.filter_bar.area_chip
    qtbot.waitUntil(lambda: chip.isVisible())
    assert "48.41–48.46°N" in chip.text()
    assert window.filter_bar.current_filter().area == area
    assert window.model.rowCount() == 2 == count_incidents(store.conn, window.filter_bar.current_filter())
    dialog = window.export_csv()  # the CSV export writes what the filter bar selects, area included
    assert dialog._filter.area == area
    dialog.reject()
    qtbot.waitUntil(lambda: view.current_data().placed == 2)
    assert view.canvas.area_box.isVisible()
    chip.click()
    qtbot.waitUntil(lambda: window.model.rowCount() == 6)
    assert not chip.isVisible() and window.filter_bar.current_filter().area is None


def test_the_keyboard_sets_the_area_shown(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    view = _open_map(qtbot, window)
    _zoom(qtbot, view, TORETSK)
    view.canvas.setFocus()
    qtbot.keyClick(view.canvas, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.filter_bar.area_chip.isVisible())
    area = window.filter_bar.current_filter().area
    assert area is not None and area.south <= 48.0 and area.north >= 49.0
    before = view.canvas.view_area()
    qtbot.keyClick(view.canvas, Qt.Key.Key_Plus)
    after = view.canvas.view_area()
    assert after.east - after.west < before.east - before.west


def test_an_offscreen_screenshot_is_not_blank_and_has_the_legend(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    view = _open_map(qtbot, window)
    view.wait_for_settlements()
    _zoom(qtbot, view, TORETSK)
    image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), dtype=np.uint32).reshape(image.height(), image.bytesPerLine() // 4)
    assert len(np.unique(pixels)) > 50  # a drawn map, not one flat colour
    assert view.canvas.legend.isVisible() and len(view.canvas.legend.items) >= 3
    qtbot.waitUntil(  # names are chosen again once the zoom pauses
        lambda: any(
            label.isVisible() and label.toPlainText() == "Kramatorsk" for label in view.canvas.settlement_labels
        )
    )
    png, svg = tmp_path / "map.png", tmp_path / "map.svg"
    view.export_image(png)
    view.export_image(svg)
    assert QImage(str(png)).width() > 500
    text = svg.read_text(encoding="utf-8")
    assert "Fire (ceasefire violation)" in text and "km" in text and "on the map" in text


def test_the_caption_names_the_filter() -> None:
    flt = IncidentFilter(zone_ids=("EAST",), categories=("fire",), text="mortar", area=Area(48, 37, 49, 38))
    assert (
        describe_filter(flt)
        == "zone EAST; category Fire (ceasefire violation); text “mortar”; area 48.00–49.00°N 37.00–38.00°E"
    )


def test_render_map_writes_an_image_without_a_window(qtbot, store, spread, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from desktop.map.render import render_map

    png = tmp_path / "report-map.png"
    render_map(store, IncidentFilter(area=TORETSK), png, size=(1200, 800))
    image = QImage(str(png))
    assert image.width() >= 1000
    svg = tmp_path / "report-map.svg"
    render_map(store, IncidentFilter(categories=("fire",)), svg, size=(1000, 700), dimension="weapon_class")
    text = svg.read_text(encoding="utf-8")
    assert "Mortar" in text and "3 incidents on the map, coloured by weapon" in text
    with pytest.raises(ValueError, match="png or .svg"):
        render_map(store, IncidentFilter(), tmp_path / "map.gif")
    assert not (tmp_path / "map.gif").exists()


def test_shift_drag_draws_the_area_with_the_mouse(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    view = _open_map(qtbot, window)
    _zoom(qtbot, view, TORETSK)
    box = view.canvas.getPlotItem().getViewBox()
    viewport = view.canvas.viewport()

    def at(lat: float, lon: float) -> QPoint:
        return view.canvas.mapFromScene(box.mapViewToScene(QPointF(lon, lat)))

    shift = Qt.KeyboardModifier.ShiftModifier
    start, end = at(48.6, 37.7), at(48.3, 38.0)
    steps = [start + (end - start) * (n / 8) for n in range(9)]
    kinds = [QMouseEvent.Type.MouseButtonPress, *[QMouseEvent.Type.MouseMove] * 8, QMouseEvent.Type.MouseButtonRelease]
    points = [start, *steps[1:], end]
    for kind, point in zip(kinds, points, strict=True):
        buttons = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
        event = QMouseEvent(
            kind, QPointF(point), QPointF(viewport.mapToGlobal(point)), Qt.MouseButton.LeftButton, buttons, shift
        )
        QApplication.sendEvent(viewport, event)
    qtbot.waitUntil(lambda: window.filter_bar.current_filter().area is not None)
    area = window.filter_bar.current_filter().area
    assert area.south == pytest.approx(48.3, abs=0.01) and area.north == pytest.approx(48.6, abs=0.01)
    assert area.west == pytest.approx(37.7, abs=0.01) and area.east == pytest.approx(38.0, abs=0.01)


def test_hover_times_follow_the_display_time_zone(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    view = _open_map(qtbot, window)
    _zoom(qtbot, view, TORETSK)
    view.set_display_tz(ZoneInfo("UTC"))
    text = view.hover_text(37.80, 48.42)
    assert text is not None and text.splitlines()[1] == "2026-05-10 09:00"
