"""Local wall-clock times as monitors type them, turned into the UTC text that is stored.

Monitors enter times in the mission time zone (ARCHITECTURE.md §3, §8), and twice a year the wall clock
misbehaves: in spring an hour does not exist, in autumn an hour happens twice. ``datetime`` with
``zoneinfo`` silently picks an answer in both cases (PEP 495), which would file an observation an
hour off without anyone noticing. :func:`to_utc` refuses the first case and, in the second,
insists on being told which of the two moments was meant.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from db.core.errors import TrucelineError

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_offset(offset: datetime.timedelta) -> str:
    """``UTC+3``, ``UTC-3:30``, ``UTC+5:45`` or ``UTC``: how an offset is named to a monitor."""
    minutes = round(offset.total_seconds() / 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def utc_text(moment: datetime.datetime) -> str:
    """An aware time as stored: UTC, whole seconds, ``Z``."""
    return moment.astimezone(datetime.UTC).strftime(UTC_FORMAT)


@dataclass(frozen=True)
class Candidate:
    """One of the two moments an ambiguous local time can mean.

    ``fold`` is the PEP 495 value that selects it: 0 for the first (earlier) occurrence, 1 for
    the second.
    """

    fold: int
    utc: str
    offset: datetime.timedelta

    @property
    def offset_label(self) -> str:
        return format_offset(self.offset)


class NonexistentTimeError(TrucelineError):
    """A local time in the spring gap: the clocks jumped over it, so nothing was observed then.

    Usually a slip (the monitor meant an hour later, or read a clock that had not been moved on).
    """

    def __init__(self, local: datetime.datetime, tz: ZoneInfo, jump_from: datetime.time, jump_to: datetime.time):
        self.local = local
        self.tz = tz
        self.jump_from = jump_from
        self.jump_to = jump_to
        super().__init__(
            f"{local:%H:%M} on {local:%Y-%m-%d} does not exist in {tz.key}: "
            f"clocks jump from {jump_from:%H:%M} to {jump_to:%H:%M}"
        )


class AmbiguousTimeError(TrucelineError):
    """A local time in the autumn overlap: it happened twice, an hour apart.

    ``candidates`` holds both moments, first then second, so a form can ask which was meant.
    """

    def __init__(self, local: datetime.datetime, tz: ZoneInfo, candidates: tuple[Candidate, Candidate]):
        self.local = local
        self.tz = tz
        self.candidates = candidates
        first, second = candidates
        super().__init__(
            f"{local:%H:%M} on {local:%Y-%m-%d} happens twice in {tz.key} (clocks go back): "
            f"first at {first.offset_label} ({first.utc}), then at {second.offset_label} ({second.utc})"
        )


def to_utc(local: datetime.datetime, tz: ZoneInfo, *, fold: int | None = None) -> str:
    """The stored UTC text for a wall-clock time in ``tz``; seconds are kept, microseconds dropped.

    Raises :class:`NonexistentTimeError` for a time in a spring gap (whatever ``fold`` says) and
    :class:`AmbiguousTimeError` for a time in an autumn overlap unless ``fold`` (0 = first,
    1 = second occurrence) says which one was meant. For any other time ``fold`` changes nothing.
    """
    if local.tzinfo is not None:
        raise ValueError("to_utc takes a naive wall-clock time; an aware time is already unambiguous")
    if fold not in (None, 0, 1):
        raise ValueError(f"fold must be 0, 1 or None, not {fold!r}")
    local = local.replace(microsecond=0)
    first = local.replace(tzinfo=tz, fold=0)
    second = local.replace(tzinfo=tz, fold=1)
    if _round_trip(first) != local:
        raise _nonexistent(local, tz)
    first_offset, second_offset = first.utcoffset(), second.utcoffset()
    assert first_offset is not None and second_offset is not None  # a ZoneInfo always has an offset
    if first_offset == second_offset:
        return utc_text(first)
    if fold is None:
        candidates = (Candidate(0, utc_text(first), first_offset), Candidate(1, utc_text(second), second_offset))
        raise AmbiguousTimeError(local, tz, candidates)
    return utc_text(second if fold else first)


def to_local(utc: str, tz: ZoneInfo) -> datetime.datetime:
    """A stored ``...Z`` time as an aware datetime in ``tz`` (``fold`` set for the second occurrence)."""
    text = utc.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{utc!r} has no time zone; stored times end in Z")
    return moment.astimezone(tz)


def _round_trip(aware: datetime.datetime) -> datetime.datetime:
    """Wall clock -> UTC -> wall clock: a time in a gap comes back different."""
    return aware.astimezone(datetime.UTC).astimezone(aware.tzinfo).replace(tzinfo=None, fold=0)


def _nonexistent(local: datetime.datetime, tz: ZoneInfo) -> NonexistentTimeError:
    """Describe the gap around ``local``: the wall-clock times the clocks jumped from and to."""
    before = local.replace(tzinfo=tz, fold=0).utcoffset()  # the offset in force before the jump
    after = local.replace(tzinfo=tz, fold=1).utcoffset()  # and after it
    assert before is not None and after is not None
    # The jump happened at a UTC instant between the two readings of ``local``; find it to the
    # second, since zoneinfo does not expose its transitions.
    low = int((local - after).replace(tzinfo=datetime.UTC).timestamp())
    high = int((local - before).replace(tzinfo=datetime.UTC).timestamp())
    if low > high:
        low, high = high, low
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.datetime.fromtimestamp(middle, tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    jump = datetime.datetime.fromtimestamp(high, datetime.UTC)
    jump_from = (jump + before).time()
    jump_to = (jump + after).time()
    return NonexistentTimeError(local, tz, jump_from, jump_to)
