"""A simple static map for the report: zones, DMZ sectors, the contact line and the period's incidents.

Stand-in for the Map view's export (issue 16): when that view can render itself to an image,
:func:`draw_static_map` is the one function to replace. It draws with QPainter alone, in a plain
equirectangular projection (true enough at theatre scale), framed on the DMZ and the incidents
that matter, so a reader sees where the period's notable incidents were.
"""

import math
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QImage, QPainter, QPainterPath, QPen, QPolygonF

from db.report_map import MapPoint, Outline
from desktop.report.fonts import report_font

ZONE_COLOURS = ("#dbe8f5", "#e4f0dc", "#f6ecd6", "#ece0f0", "#dcefee", "#e6e6dc", "#eeeeee")  # no reds: sectors are red
SECTOR_EDGE = QColor("#a23b2a")
LINE_COLOUR = QColor("#202020")
POINT_COLOUR = QColor(40, 90, 160, 150)
NOTABLE_COLOUR = QColor("#d9480f")
MARGIN = 0.08  # of the framed extent, on each side
LEGEND_WIDTH = 430


def draw_static_map(
    outlines: Sequence[Outline], points: Sequence[MapPoint], width: int = 1400, height: int = 1000, notice: str = ""
) -> QImage:
    """The map as an image of ``width`` x ``height`` pixels (white background, legend and scale bar)."""
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor("#fbfbf8"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    try:
        # The legend has a column of its own, so it never hides a sector or an incident.
        frame = _Frame(_extent(outlines, points), QRectF(0, 0, width - LEGEND_WIDTH - 20, height))
        painter.setClipRect(frame.rect)
        _draw_areas(painter, frame, outlines)
        outside = _draw_points(painter, frame, points)
        _draw_labels(painter, frame, outlines)
        painter.setClipping(False)
        painter.setPen(QPen(QColor("#9a9a9a"), 1))
        painter.drawLine(frame.rect.topRight(), frame.rect.bottomRight())
        _draw_legend(painter, outlines, outside, width)
        _draw_scale(painter, frame, height)
        if notice:
            painter.setFont(report_font(13))
            painter.setPen(QColor("#555555"))
            # Under the legend, in the words of the theatre file: wrapped to the legend's column.
            column = QRectF(width - 10 - LEGEND_WIDTH, height - 200, LEGEND_WIDTH, 180)
            painter.drawText(column, Qt.AlignmentFlag.AlignBottom | Qt.TextFlag.TextWordWrap, notice)
    finally:
        painter.end()
    return image


class _Frame:
    """Degrees to pixels: longitude scaled by the cosine of the mean latitude, the extent centred."""

    def __init__(self, extent: tuple[float, float, float, float], rect: QRectF) -> None:
        west, south, east, north = extent
        self.kx = math.cos(math.radians((south + north) / 2))
        span_x, span_y = (east - west) * self.kx, north - south
        self.scale = min(rect.width() / span_x, rect.height() / span_y)
        self.x0 = west * self.kx - (rect.width() / self.scale - span_x) / 2
        self.y0 = north + (rect.height() / self.scale - span_y) / 2
        self.rect = rect

    def point(self, lon: float, lat: float) -> QPointF:
        return QPointF((lon * self.kx - self.x0) * self.scale, (self.y0 - lat) * self.scale)

    def polygon(self, ring: Iterable[tuple[float, float]]) -> QPolygonF:
        return QPolygonF([self.point(lon, lat) for lon, lat in ring])

    def km_to_pixels(self, km: float) -> float:
        return km / 111.32 * self.scale


def _extent(outlines: Sequence[Outline], points: Sequence[MapPoint]) -> tuple[float, float, float, float]:
    """West, south, east, north of the DMZ sectors, the contact line and the notable incidents."""
    coords = [(lon, lat) for o in outlines if o.kind != "zone" for part in o.parts for lon, lat in part]
    coords += [(p.lon, p.lat) for p in points if p.notable]
    if not coords:
        coords = [(lon, lat) for o in outlines for part in o.parts for lon, lat in part] or [(30.5, 50.4)]
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    pad_x, pad_y = max((east - west) * MARGIN, 0.2), max((north - south) * MARGIN, 0.2)
    return west - pad_x, south - pad_y, east + pad_x, north + pad_y


def _draw_areas(painter: QPainter, frame: _Frame, outlines: Sequence[Outline]) -> None:
    zones = [o for o in outlines if o.kind == "zone"]
    for n, zone in enumerate(zones):
        painter.setBrush(QBrush(QColor(ZONE_COLOURS[n % len(ZONE_COLOURS)])))
        painter.setPen(QPen(QColor("#8a8a8a"), 2))
        for ring in zone.parts:
            painter.drawPolygon(frame.polygon(ring))
    sector_fill = QColor(SECTOR_EDGE)
    sector_fill.setAlpha(40)
    painter.setBrush(QBrush(sector_fill))
    painter.setPen(QPen(SECTOR_EDGE, 2, Qt.PenStyle.DashLine))
    for sector in (o for o in outlines if o.kind == "dmz_sector"):
        for ring in sector.parts:
            painter.drawPolygon(frame.polygon(ring))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(LINE_COLOUR, 4))
    for line in (o for o in outlines if o.kind == "contact_line"):
        for part in line.parts:
            painter.drawPolyline(frame.polygon(part))


def _draw_points(painter: QPainter, frame: _Frame, points: Sequence[MapPoint]) -> int:
    """Incidents as dots sized by how many share a square, notable ones as diamonds on top; returns
    how many incidents fall outside the frame."""
    outside = 0
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(POINT_COLOUR))
    for p in sorted(points, key=lambda p: p.notable):
        centre = frame.point(p.lon, p.lat)
        if not frame.rect.contains(centre):
            outside += p.incidents
            continue
        if p.notable:
            _diamond(painter, centre, 11)
        else:
            r = 3.0 + 2.0 * math.sqrt(min(p.incidents, 100))
            painter.drawEllipse(centre, r, r)
    return outside


def _diamond(painter: QPainter, c: QPointF, r: float) -> None:
    """A notable incident's mark: an orange diamond with a white edge, seen over any fill."""
    painter.setBrush(QBrush(NOTABLE_COLOUR))
    painter.setPen(QPen(QColor("#ffffff"), 2))
    painter.drawPolygon(QPolygonF([c + QPointF(0, -r), c + QPointF(r, 0), c + QPointF(0, r), c + QPointF(-r, 0)]))


def _draw_labels(painter: QPainter, frame: _Frame, outlines: Sequence[Outline]) -> None:
    """Sector ids at the middle of their outline, on a white halo so the dots never hide them."""
    painter.setFont(report_font(14, bold=True))
    for sector in (o for o in outlines if o.kind == "dmz_sector"):
        ring = max(sector.parts, key=len, default=())
        if not ring:
            continue
        box = frame.polygon(ring).boundingRect()
        path = QPainterPath()
        text = sector.area_id
        metrics = QFontMetricsF(painter.font())
        origin = box.center() - QPointF(metrics.horizontalAdvance(text) / 2, -metrics.ascent() / 3)
        path.addText(origin, painter.font(), text)
        painter.strokePath(path, QPen(QColor("#ffffff"), 5))
        painter.fillPath(path, QBrush(SECTOR_EDGE.darker(130)))


def _draw_legend(painter: QPainter, outlines: Sequence[Outline], outside: int, width: int) -> None:
    zones = [o for o in outlines if o.kind == "zone"]
    rows = [("zone", z.name, ZONE_COLOURS[n % len(ZONE_COLOURS)]) for n, z in enumerate(zones)]
    rows += [("sector", "DMZ sector", ""), ("line", "Contact line", "")]
    rows += [("dot", "Incidents (larger: more at one place)", ""), ("notable", "Notable incident", "")]
    if outside:
        rows.append(("text", f"{outside:,} incident{'' if outside == 1 else 's'} outside this map", ""))
    font = report_font(13)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    line = metrics.height() + 8
    box = QRectF(width - 10 - LEGEND_WIDTH, 20, LEGEND_WIDTH, 16 + line * len(rows))
    painter.setPen(QPen(QColor("#9a9a9a"), 1))
    painter.setBrush(QBrush(QColor(255, 255, 255, 235)))
    painter.drawRect(box)
    for n, (kind, label, colour) in enumerate(rows):
        y = box.top() + 8 + n * line + line / 2
        swatch = QRectF(box.left() + 12, y - 9, 30, 18)
        if kind == "zone":
            painter.setBrush(QBrush(QColor(colour)))
            painter.setPen(QPen(QColor("#8a8a8a"), 2))
            painter.drawRect(swatch)
        elif kind == "sector":
            fill = QColor(SECTOR_EDGE)
            fill.setAlpha(40)
            painter.setBrush(QBrush(fill))
            painter.setPen(QPen(SECTOR_EDGE, 2, Qt.PenStyle.DashLine))
            painter.drawRect(swatch)
        elif kind == "line":
            painter.setPen(QPen(LINE_COLOUR, 4))
            painter.drawLine(QPointF(swatch.left(), y), QPointF(swatch.right(), y))
        elif kind == "dot":
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(POINT_COLOUR))
            painter.drawEllipse(swatch.center(), 6, 6)
        elif kind == "notable":
            _diamond(painter, swatch.center(), 10)
        painter.setPen(QColor("#202020"))
        painter.drawText(QPointF(box.left() + 54, y + metrics.ascent() / 2 - 2), label)


def _draw_scale(painter: QPainter, frame: _Frame, height: int) -> None:
    """A 50 km bar (or 10 km on a close frame) and a north arrow, bottom left."""
    km = 50 if frame.km_to_pixels(50) < 400 else 10
    length = frame.km_to_pixels(km)
    x, y = 30.0, height - 50.0
    painter.setPen(QPen(QColor("#202020"), 3))
    painter.drawLine(QPointF(x, y), QPointF(x + length, y))
    for end in (x, x + length):
        painter.drawLine(QPointF(end, y - 8), QPointF(end, y + 8))
    painter.setFont(report_font(13))
    painter.drawText(QPointF(x, y - 14), f"{km} km")
    painter.setFont(report_font(16, bold=True))
    painter.drawText(QPointF(x + 6, y - 60), "N ↑")
