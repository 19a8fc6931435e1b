"""From a request to a file: the steps the window and ``truceline report`` share.

The content comes from :func:`db.report.content.build_report` (any thread, its own connection); the
chart and the map are drawn with Qt on the GUI thread; the file is then written whole.
"""

import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QComboBox

from db.core.sql_driver import sqlite3
from db.map.settlements import settlements_near
from db.map.shapes import theatre_bounds
from db.records.monitors import local_profile
from db.records.queries import Area, IncidentFilter, day_bounds, utc_text
from db.report.content import Report, ReportRequest, build_report
from db.report.places import Settlement
from db.storage.store import Store
from desktop.map.render import render_map
from desktop.report.charts import timeline_image
from desktop.report.figures import Figures
from desktop.report.html_layout import MAP_IMAGE, TIMELINE_IMAGE

MARKING_KEY = "report/marking"
DEFAULT_MARKING = "MISSION USE ONLY"
MARKINGS = (
    "UNCLASSIFIED",
    "MISSION USE ONLY",
    "RESTRICTED — MISSION AND HEADQUARTERS ONLY",
    "CONFIDENTIAL — NOT FOR RELEASE TO THE PARTIES",
)
MAP_SIZE = (1100, 900)  # pixels; laid out near the printed width so its text keeps a readable size
FRAME_MARGIN = 0.08  # of the incidents' extent, on each side of the report's map
MIN_PAD_DEG = 0.15  # about 15 km: a single incident still shows the towns around it
FORMAT_SUFFIXES = {".pdf": "pdf", ".html": "html", ".htm": "html", ".docx": "docx"}


def marking_of(settings: QSettings) -> str:
    """The classification and distribution marking chosen in Settings ("" means none)."""
    value = settings.value(MARKING_KEY, DEFAULT_MARKING)
    return value if isinstance(value, str) else DEFAULT_MARKING


def marking_combo(settings: QSettings) -> QComboBox:
    """The Settings field: the usual markings to pick from, or any text typed (empty: no marking)."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.addItems(MARKINGS)
    combo.setCurrentText(marking_of(settings))
    combo.setToolTip("Classification and distribution marking printed at the top of every page of a report")
    return combo


def author_of(store: Store) -> str:
    profile = local_profile(store.conn)
    return f"{profile.name} ({profile.callsign})" if profile else "unknown (no profile on this laptop)"


def report_of(
    store: Store,
    conn: sqlite3.Connection,
    request: ReportRequest,
    marking: str,
    progress: Callable[[int, int], bool] | None = None,
    now_utc: datetime | None = None,
) -> Report:
    """The report of ``request`` read through ``conn`` (the store's, or a thread's own read-only one).

    The map's own data is read when the map is drawn (:func:`map_image`), not beside this: on two cores
    it only slowed the numbers down, and the Map view reads no more than the period needs.
    """
    return build_report(
        conn,
        store.theatre,
        request,
        author=author_of(store),
        device_id=store.device.device_id,
        marking=marking,
        settlements=settlements_of(store),
        now_utc=now_utc or datetime.now(UTC),
        progress=progress,
    )


def settlements_of(store: Store) -> tuple[Settlement, ...]:
    """The places the Map view names (GeoNames, offline, cached in the data directory), for "3 km NNE of
    Toretsk"; none if they cannot be read, and the report then words places as the monitors recorded them."""
    try:
        places = settlements_near(theatre_bounds(store.theatre), store.data.cache)
    except OSError:
        return ()
    return tuple(Settlement(p.name, p.lat, p.lon) for p in places)


def figures_of(store: Store, report: Report) -> Figures:
    """The timeline chart and the map (GUI thread: both are drawn with Qt); left out when they would be empty."""
    return Figures({**chart_figure(store, report), **map_figure(store, report)})


def chart_figure(store: Store, report: Report) -> dict[str, QImage]:
    """The timeline chart of the period, by its name in the layout (none when it would be empty)."""
    request = report.request
    chart = timeline_image(store, request.flt, request.first, request.last, reporting_days=request.reporting_days)
    return {TIMELINE_IMAGE: chart} if chart is not None else {}


def map_figure(store: Store, report: Report) -> dict[str, QImage]:
    """The map of the period, by its name in the layout (none when the period has nothing to map)."""
    return {MAP_IMAGE: map_image(store, report)} if report.points else {}


def period_filter(store: Store, request: ReportRequest) -> IncidentFilter:
    """The request's filter with its period as UTC bounds: reporting day D runs from the cut-off on D-1
    to the cut-off on D; a local day from midnight to midnight."""
    start, end = day_bounds(request.first, request.last, store.tz)
    if request.reporting_days:
        cutoff = store.calendar.cutoff
        start = utc_text(datetime.combine(request.first - timedelta(days=1), cutoff, store.tz))
        end = utc_text(datetime.combine(request.last, cutoff, store.tz))
    return replace(request.flt, start_utc=start, end_utc=end)


def framed(report: Report) -> Area | None:
    """Where the period's incidents are, with a margin: the whole theatre would leave them a corner.
    None (the Map view's own choice) when the filter has an area of its own."""
    if report.request.flt.area is not None or not report.points:
        return None
    lats = [p.lat for p in report.points]
    lons = [p.lon for p in report.points]
    pad_lat = max((max(lats) - min(lats)) * FRAME_MARGIN, MIN_PAD_DEG)
    pad_lon = max((max(lons) - min(lons)) * FRAME_MARGIN, MIN_PAD_DEG)
    return Area(
        south=max(min(lats) - pad_lat, -90),
        west=max(min(lons) - pad_lon, -180),
        north=min(max(lats) + pad_lat, 90),
        east=min(max(lons) + pad_lon, 180),
    )


def map_image(store: Store, report: Report) -> QImage:
    """The Map view's own picture of the period (its colours, legend, scale and settlement names)."""
    with tempfile.TemporaryDirectory(prefix="truceline-report-") as folder:
        path = Path(folder) / "map.png"
        flt = period_filter(store, report.request)
        render_map(store, flt, path, size=MAP_SIZE, view=framed(report), period=report.period_text)
        image = QImage(str(path))
    if image.isNull():
        raise OSError("the report's map could not be drawn")
    return image


def format_of(path: Path, chosen: str | None) -> str:
    """The format asked for, else the one the file name implies, else PDF."""
    return chosen or FORMAT_SUFFIXES.get(path.suffix.lower(), "pdf")
