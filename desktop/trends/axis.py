"""A date axis in the mission's time zone, whatever the time zone of the laptop showing it.

pyqtgraph's :class:`~pyqtgraph.DateAxisItem` labels epoch seconds in the computer's local time; a
supervisor in Paris reading a Kyiv mission's timeline must still see Kyiv dates under the bars.
Day ticks also carry the month ("04 May" rather than "04"), since a timeline is often read
without a month tick in view, and ticks follow the bars' bin.
"""

from collections import OrderedDict
from datetime import datetime
from zoneinfo import ZoneInfo

import pyqtgraph as pg
from pyqtgraph.graphicsItems.DateAxisItem import (
    DAY_SPACING,
    HOUR_SPACING,
    MONTH_SPACING,
    TickSpec,
    ZoomLevel,
    makeMStepper,
    makeSStepper,
)

from db.trends.timeline import Bin

_DAY = 24 * 3600
_MONDAY = 4 * _DAY  # 1970-01-01 was a Thursday


def _day_stepper(val: float, n: int, first: bool) -> float:
    """Ticks every ``n`` days; every 7 or 14 fall on Mondays, where the week bins start."""
    if not first:
        return val + n * _DAY
    step = n * _DAY
    return float((val - _MONDAY) // step + 1) * step + _MONDAY


def _levels(bin: Bin) -> "OrderedDict[float, ZoomLevel]":
    """pyqtgraph's zoom levels (largest seconds per label, level), coarsest first, for bars of ``bin``.

    Ticks never fall inside a bar of a coarser bin: week bars get Monday ticks, month bars month ticks.
    """
    levels: OrderedDict[float, ZoomLevel] = OrderedDict()
    levels[float("inf")] = ZoomLevel(
        [TickSpec(MONTH_SPACING, makeMStepper(1), "%b %Y", autoSkip=[1, 2, 3, 6, 12])], "MMM YYYY"
    )
    if bin == "month":
        return levels
    # One level of text each: pyqtgraph does not keep the texts of two levels from overlapping.
    skips = [7, 14] if bin == "week" else [1, 7, 14]
    levels[14 * _DAY] = ZoomLevel([TickSpec(DAY_SPACING, _day_stepper, "%d %b", autoSkip=skips)], "00 MMM")
    if bin == "day":
        levels[6 * 3600] = ZoomLevel(
            [
                TickSpec(DAY_SPACING, makeSStepper(DAY_SPACING), "%a %d %b"),
                TickSpec(HOUR_SPACING, makeSStepper(HOUR_SPACING), "%H:%M", autoSkip=[1, 6]),
            ],
            "MMM 00 MMM",
        )
    return levels


class MissionDateAxis(pg.DateAxisItem):
    """Bottom axis of epoch seconds, labelled with dates in ``tz``.

    The offset from UTC is taken at the middle of the visible range, so ticks sit on local
    midnights; across a clock change the ticks of the other half are an hour off the bars, which
    at a day's width is invisible, and the dates they show are still right.
    """

    def __init__(self, tz: ZoneInfo) -> None:
        super().__init__(orientation="bottom")
        self._tz = tz
        self.set_bin("day")

    def set_tz(self, tz: ZoneInfo) -> None:
        """Label local dates of ``tz`` (the theatre's time zone changed)."""
        self._tz = tz
        self.picture = None
        self.update()

    def set_bin(self, bin: Bin) -> None:
        """Label for bars of ``bin``: days, Mondays or months."""
        self.zoomLevels = _levels(bin)
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:  # noqa: N802, N803
        try:
            offset = datetime.fromtimestamp((minVal + maxVal) / 2, self._tz).utcoffset()
        except (OverflowError, OSError, ValueError):
            offset = None
        # pyqtgraph's offset is seconds west of UTC, like time.timezone.
        self.utcOffset = -int(offset.total_seconds()) if offset is not None else None
        return super().tickValues(minVal, maxVal, size)
