"""What the timeline plot draws, worked out without Qt: series, bar geometry, dates and hover text.

:class:`desktop.trends.timeline.TimelineView` only moves these numbers into pyqtgraph items, so the
arithmetic that decides what a supervisor reads (which series are folded into "Other", where each
bar stands, what the previous period looks like shifted onto this one) is tested on its own.
The x axis is epoch seconds of local midnights in the mission time zone, so a bar's width follows
the real length of its bin, 23 or 25 hours on the days the clocks change included.
"""

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from db.records.queries import IncidentFilter
from db.trends.rollups import parse_utc
from db.trends.timeline import Bin, Timeline, bin_start

MAX_SERIES = 11
"""Series drawn at most, "Other" included: all of them when they fit (ten DMZ sectors and "no
sector" do), else the largest ten and the rest added up as "Other", so colours stay distinguishable."""

OTHER = "\x00other"
"""The key of the folded series (no dimension value can be this)."""

BAR_FILL = 0.8
"""The share of its bin a bar (or a group of side-by-side bars) fills; the rest is the gap."""

# Colour-blind-safe, mid-luminance colours that read on a light and on a dark background:
# Okabe & Ito's palette without black, then three of Paul Tol's "muted" colours. "Other" is grey.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#AA4499",
    "#999933",
    "#44AA99",
    "#882255",
)
OTHER_COLOUR = "#8C8C8C"

Key = str | None


@dataclass(frozen=True)
class Series:
    """One drawn series: its key in the timeline (or :data:`OTHER`), its label and one value per bin."""

    key: Key
    label: str
    values: tuple[int, ...]


def fold(series: Mapping[Key, Sequence[int]], labels: Mapping[Key, str], limit: int = MAX_SERIES) -> list[Series]:
    """Every series if there are at most ``limit``; else the ``limit - 1`` largest, then the rest as "Other".

    Keeping the timeline's order (not the ranking) keeps a stack in the same order from one
    refresh to the next; ties in the ranking go to the earlier key, so the choice is stable too.
    """
    order = list(series)
    ranked = sorted(order, key=lambda key: (-sum(series[key]), order.index(key)))
    kept = set(ranked if len(order) <= limit else ranked[: limit - 1])
    out = [Series(key, labels.get(key, str(key)), tuple(series[key])) for key in order if key in kept]
    rest = [series[key] for key in order if key not in kept]
    if rest:
        out.append(Series(OTHER, f"Other ({len(rest)})", tuple(int(sum(column)) for column in zip(*rest, strict=True))))
    return out


def colour(index: int, key: Key) -> str:
    return OTHER_COLOUR if key == OTHER else PALETTE[index % len(PALETTE)]


# -- dates on the x axis ---------------------------------------------------------------------------


def epoch(day: date, tz: ZoneInfo) -> float:
    """The x value of a day: its local midnight in ``tz``, in epoch seconds."""
    return datetime.combine(day, time(0), tz).timestamp()


def day_at(x: float, tz: ZoneInfo) -> date:
    """The local day that the x value ``x`` falls in."""
    return datetime.fromtimestamp(x, tz).date()


def next_bin(start: date, bin: Bin) -> date:
    """The first day after the bin starting ``start``."""
    if bin == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=7 if bin == "week" else 1)


def snap(x: float, tz: ZoneInfo, bin: Bin) -> date:
    """The bin boundary nearest ``x``, as the first day of the bin that starts there."""
    start = bin_start(day_at(x, tz), bin)
    end = next_bin(start, bin)
    return start if x - epoch(start, tz) <= epoch(end, tz) - x else end


def selected_days(x0: float, x1: float, tz: ZoneInfo, bin: Bin) -> tuple[date, date]:
    """First and last local day (inclusive) of a region dragged from ``x0`` to ``x1``, in whole bins.

    Each edge goes to the nearest bin boundary; a region narrower than half a bin selects the bin
    under its middle rather than nothing.
    """
    x0, x1 = min(x0, x1), max(x0, x1)
    first, end = snap(x0, tz, bin), snap(x1, tz, bin)
    if end <= first:
        first = bin_start(day_at((x0 + x1) / 2, tz), bin)
        end = next_bin(first, bin)
    return first, end - timedelta(days=1)


def period_of(flt: IncidentFilter, tz: ZoneInfo, cutoff: time | None = None) -> tuple[date | None, date | None]:
    """The days (inclusive) of a filter's period: the inverse of :func:`db.records.queries.day_bounds`.

    With ``cutoff``, a period whose bounds both lie at the cut-off is read as reporting days, the
    inverse of :func:`db.records.queries.reporting_day_bounds` (the filter bar's "Last 7 days" with
    reporting days on); any other period stays local days.
    """
    if cutoff is not None and is_reporting_period(flt, tz, cutoff):
        assert flt.start_utc is not None and flt.end_utc is not None  # checked by is_reporting_period
        start, end = parse_utc(flt.start_utc).astimezone(tz), parse_utc(flt.end_utc).astimezone(tz)
        return start.date() + timedelta(days=1), end.date()
    first = parse_utc(flt.start_utc).astimezone(tz).date() if flt.start_utc else None
    last = (parse_utc(flt.end_utc) - timedelta(seconds=1)).astimezone(tz).date() if flt.end_utc else None
    return first, last


def is_reporting_period(flt: IncidentFilter, tz: ZoneInfo, cutoff: time) -> bool:
    """Whether the filter's period is whole reporting days: both of its bounds at the cut-off."""
    bounds = (flt.start_utc, flt.end_utc)
    return all(b is not None and parse_utc(b).astimezone(tz).time() == cutoff for b in bounds)


@dataclass(frozen=True)
class Bins:
    """The bins of a timeline on the x axis: where each starts and ends, in epoch seconds."""

    starts: tuple[date, ...]
    bin: Bin
    x0: np.ndarray
    x1: np.ndarray

    @classmethod
    def of(cls, timeline: Timeline, tz: ZoneInfo) -> "Bins":
        ends = [next_bin(start, timeline.bin) for start in timeline.starts]
        return cls(
            timeline.starts,
            timeline.bin,
            np.array([epoch(day, tz) for day in timeline.starts], dtype=float),
            np.array([epoch(day, tz) for day in ends], dtype=float),
        )

    @property
    def centres(self) -> np.ndarray:
        return (self.x0 + self.x1) / 2

    def index_at(self, x: float) -> int | None:
        """The bin that ``x`` falls in, if any."""
        n = bisect_right(self.x0.tolist(), x) - 1
        return n if 0 <= n < len(self.starts) and x < self.x1[n] else None


@dataclass(frozen=True)
class Bars:
    """Where one series' bars stand: left edges, widths, bottoms and heights (one per bin)."""

    x0: np.ndarray
    width: np.ndarray
    y0: np.ndarray
    height: np.ndarray


def bar_layout(bins: Bins, values: Sequence[Sequence[int]], *, stacked: bool) -> list[Bars]:
    """Bars of the visible series, stacked on each other or side by side within each bin."""
    span = (bins.x1 - bins.x0) * BAR_FILL
    left = bins.x0 + (bins.x1 - bins.x0) * (1 - BAR_FILL) / 2
    out = []
    base = np.zeros(len(bins.starts))
    share = span / max(len(values), 1)
    for n, row in enumerate(values):
        height = np.asarray(row, dtype=float)
        if stacked:
            out.append(Bars(left, span, base, height))
            base = base + height
        else:
            out.append(Bars(left + n * share, share, np.zeros(len(height)), height))
    return out


def shifted_previous(previous: Timeline, days: int, current: Bins) -> list[int]:
    """The previous period's day totals moved ``days`` later and summed into the current bins."""
    sums = [0] * len(current.starts)
    position = {start: n for n, start in enumerate(current.starts)}
    for day, value in zip(previous.starts, previous.bin_totals(), strict=True):
        n = position.get(bin_start(day + timedelta(days=days), current.bin))
        if n is not None:
            sums[n] += value
    return sums


# -- words --------------------------------------------------------------------------------------------


def bin_title(start: date, bin: Bin, *, reporting_days: bool, period: tuple[date, date] | None = None) -> str:
    """The bin's dates as a reader wants them: ``Mon 4 May 2026``, ``Week of Mon 4 May 2026 to …``.

    A bin only partly inside ``period`` (the filter's days) says which of its days were counted.
    """
    last = next_bin(start, bin) - timedelta(days=1)
    if bin == "day":
        text = _day(start)
    elif bin == "week":
        text = f"Week of {_day(start)} to {_day(last)}"
    else:
        text = f"{start:%B %Y}"
    if reporting_days:
        text += " (reporting days)" if bin != "day" else ""
        text = f"Reporting day {text}" if bin == "day" else text
    if period is not None and bin != "day" and (start < period[0] or last > period[1]):
        counted = max(start, period[0]), min(last, period[1])
        text += f"\nCounted: {_day(counted[0])} to {_day(counted[1])} only"
    return text


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def hover_text(
    title: str,
    rows: Sequence[tuple[str, float]],
    *,
    total: int | None = None,
    average: tuple[int, float] | None = None,
    previous: int | None = None,
) -> str:
    """The hover label: the bin's dates, then each visible series' exact value, then the extras."""
    lines = [title, *(f"{label}: {value:,.0f}" for label, value in rows)]
    if total is not None:
        lines.append(f"Total shown: {total:,}")
    if average is not None:
        lines.append(f"{average[0]}-bin average: {average[1]:,.1f}")
    if previous is not None:
        lines.append(f"Previous period: {previous:,}")
    return "\n".join(lines)
