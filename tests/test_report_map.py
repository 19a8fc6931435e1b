"""The report's map is the Map view's own picture of the period, and its places come from the Map view's
settlements: the same colours, legend and names a supervisor sees in the window."""

from datetime import date
from pathlib import Path

from report_data import record_notable
from support import record_events

from db.report.content import ReportRequest
from db.storage.store import Store
from db.storage.versions import Writer
from desktop.map.render import render_map
from desktop.report.html_layout import MAP_IMAGE
from desktop.report.produce import figures_of, framed, period_filter, report_of

WEEK = ReportRequest(date(2026, 5, 10), date(2026, 5, 16))


def test_the_map_is_the_map_views_picture_of_the_period(qapp, tmp_path: Path, store: Store, writer: Writer) -> None:  # type: ignore[no-untyped-def]
    record_events(store, writer)
    record_notable(store, writer)
    report = report_of(store, store.conn, WEEK, "")
    image = figures_of(store, report).images[MAP_IMAGE]
    assert image.width() >= 900 and image.height() >= 700
    corners = {image.pixelColor(x, y).name() for x in (5, image.width() - 5) for y in (5, image.height() - 5)}
    assert len({image.pixelColor(x, image.height() // 2).name() for x in range(0, image.width(), 7)} - corners) > 3

    # The same drawing as SVG says what it shows: the period's incidents coloured as in the Map view.
    in_period = store.conn.execute(
        "SELECT count(*) FROM incidents WHERE report_day BETWEEN '2026-05-10' AND '2026-05-16' "
        "AND coalesce(event_lat, observer_lat) IS NOT NULL"
    ).fetchone()[0]
    svg = tmp_path / "map.svg"
    render_map(store, period_filter(store, WEEK), svg, view=framed(report), period=report.period_text)
    text = svg.read_text(encoding="utf-8")
    assert f"{in_period} incidents on the map, coloured by category" in text
    assert "2026-05-09 19:30 to 2026-05-16 19:30 Europe/Kyiv" in text
    assert "Fire (ceasefire violation)" in text and "Civilian harm" in text


def test_the_map_is_framed_on_the_periods_incidents(store: Store, writer: Writer) -> None:
    record_events(store, writer)
    report = report_of(store, store.conn, WEEK, "")
    area = framed(report)
    assert area is not None
    assert all(area.south < p.lat < area.north and area.west < p.lon < area.east for p in report.points)
    assert area.north - area.south < 2 and area.east - area.west < 3  # near the incidents, not the whole theatre


def test_notable_places_name_the_map_views_settlements(store: Store, writer: Writer) -> None:
    from db.map.settlements import settlements_near
    from db.map.shapes import theatre_bounds

    refs = record_notable(store, writer)
    report = report_of(store, store.conn, WEEK, "")
    names = {place.name for place in settlements_near(theatre_bounds(store.theatre), store.data.cache)}
    threat = next(n for n in report.notable if n.ref == refs["threat"])
    assert threat.place.split(" of ", 1)[1] in names and " km " in threat.place, threat.place
