"""The mission's own map layers: checked like any outside file, kept with the theatre, drawn beneath incidents."""

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from db.map.layers import LayerError, add_layer, parse_layer, read_layer, remove_layer, stored_layers
from db.model.theatre import parse_theatre
from desktop.map.view import MapView
from desktop.window.settings_dialog import SettingsDialog

POSTS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "OP Toretsk-2"},
            "geometry": {"type": "Point", "coordinates": [37.7, 48.4]},
        },
        {
            "type": "Feature",
            "properties": {"name": "Patrol route A"},
            "geometry": {"type": "LineString", "coordinates": [[37.6, 48.3], [37.7, 48.4], [37.9, 48.5]]},
        },
        {
            "type": "Feature",
            "properties": None,
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[37.5, 48.2], [37.6, 48.2], [37.6, 48.3], [37.5, 48.3], [37.5, 48.2]]],
            },
        },
    ],
}


def _file(tmp_path: Path, data: object, name: str = "posts.geojson") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_a_qgis_layer_is_read_with_its_points_lines_and_polygons(tmp_path) -> None:  # type: ignore[no-untyped-def]
    layer = read_layer(_file(tmp_path, POSTS))
    assert layer.name == "posts"
    assert [f.kind for f in layer.features] == ["point", "line", "polygon"]
    assert layer.features[0].name == "OP Toretsk-2" and layer.features[0].parts == ((((37.7, 48.4),),),)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ({"type": "Feature"}, "not a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "no features"),
        (
            {"type": "FeatureCollection", "features": [{"geometry": {"type": "Circle", "coordinates": [1, 2]}}]},
            "feature 1: geometry 'Circle'",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [{"geometry": {"type": "Point", "coordinates": [4187000, 5360000]}}],
            },
            "feature 1: .* is not a WGS84 longitude, latitude",
        ),
        (
            '{"type": "FeatureCollection", "features": [{"geometry": {"type": "Point", "coordinates": [NaN, 1]}}]}',
            "JSON",
        ),
        (
            {"type": "FeatureCollection", "features": [{"geometry": {"type": "LineString", "coordinates": [[1, 2]]}}]},
            "feature 1: a line or ring needs at least 2 positions",
        ),
        ({"type": "FeatureCollection", "features": [{"geometry": {"type": "Point"}}]}, "feature 1: .*no coordinates"),
    ],
)
def test_a_bad_layer_is_refused_with_the_reason(tmp_path, content, reason) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LayerError, match=reason):
        read_layer(_file(tmp_path, content))


def test_a_layer_is_kept_with_its_theatre(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    layer = read_layer(_file(tmp_path, POSTS))
    add_layer(store.conn, store.theatre, layer)
    add_layer(store.conn, store.theatre, layer)  # the same name again replaces it
    assert [kept.name for kept in stored_layers(store.conn, store.theatre)] == ["posts"]
    other = json.loads(store.theatre.geojson_text)
    other["name"] = "Another mission"
    assert stored_layers(store.conn, parse_theatre(json.dumps(other), "other")) == []
    assert remove_layer(store.conn, store.theatre, "posts") == []
    assert stored_layers(store.conn, store.theatre) == []


def test_settings_add_a_layer_and_the_map_draws_it_beneath_the_incidents(qtbot, store, monitor, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(store, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(dialog)
    assert dialog.add_layer_file(_file(tmp_path, POSTS))
    assert dialog.layers_changed and dialog.layers_label.text() == "posts"
    view = MapView(store)
    qtbot.addWidget(view)
    assert len(view.canvas.user_layer_items) >= 4  # polygon, line, points and a name
    assert max(item.zValue() for item in view.canvas.user_layer_items) < view.canvas.point_slots[0].zValue()
    dialog.remove_layer_named("posts")
    view.reload_layers()
    assert view.canvas.user_layer_items == []


def test_settings_refuse_a_bad_layer_and_change_nothing(qtbot, store, monitor, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    dialog = SettingsDialog(store, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(dialog)
    assert not dialog.add_layer_file(_file(tmp_path, {"type": "Feature"}, "bad.geojson"))
    assert "bad: not a GeoJSON FeatureCollection" in warnings[0] and "nothing changed" in warnings[0]
    assert not dialog.layers_changed and stored_layers(store.conn, store.theatre) == []


def test_parse_layer_keeps_names_short() -> None:
    assert len(parse_layer(json.dumps(POSTS), "x" * 300).name) == 80


def test_another_theatre_is_drawn_with_its_own_layers(qtbot, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from db.model.theatre import parse_theatre
    from db.storage.store import switch_theatre

    add_layer(store.conn, store.theatre, read_layer(_file(tmp_path, POSTS)))
    view = MapView(store)
    qtbot.addWidget(view)
    assert view.canvas.user_layer_items
    data = json.loads(store.theatre.geojson_text)
    for feature in data["features"]:
        if feature["properties"]["id"] == "EAST":
            feature["properties"]["name"] = "Orient"
    switch_theatre(store, parse_theatre(json.dumps(data), "renamed.geojson"), "renamed.geojson")
    view.reload_theatre()
    assert "Orient" in [label.toPlainText() for label in view.canvas.zone_labels]
    assert len(view.canvas.zone_labels) == len(store.theatre.zones)
    assert view.canvas.user_layer_items == []  # the layers were the other theatre's
