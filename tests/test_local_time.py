"""Local times typed in the mission zone become UTC; the DST gap is refused and the overlap asks."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from db.core.errors import TrucelineError
from db.model.local_time import AmbiguousTimeError, NonexistentTimeError, format_offset, to_local, to_utc

KYIV = ZoneInfo("Europe/Kyiv")


def local(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        ("2026-05-02T00:15", "2026-05-01T21:15:00Z"),  # summer, UTC+3
        ("2026-01-15T12:00:30", "2026-01-15T10:00:30Z"),  # winter, UTC+2; seconds kept
        ("2026-03-29T02:59", "2026-03-29T00:59:00Z"),  # just before the spring jump
        ("2026-03-29T04:00", "2026-03-29T01:00:00Z"),  # just after it
        ("2026-10-25T02:59", "2026-10-24T23:59:00Z"),  # just before the autumn overlap
        ("2026-10-25T04:00", "2026-10-25T02:00:00Z"),  # just after it
        ("2026-12-31T23:30:00.999", "2026-12-31T21:30:00Z"),  # microseconds dropped, not rounded
    ],
)
def test_ordinary_times_convert_to_utc(wall: str, expected: str) -> None:
    assert to_utc(local(wall), KYIV) == expected


def test_a_time_in_the_spring_gap_is_refused_with_the_jump_named() -> None:
    with pytest.raises(NonexistentTimeError) as caught:
        to_utc(local("2026-03-29T03:30"), KYIV)
    assert str(caught.value) == "03:30 on 2026-03-29 does not exist in Europe/Kyiv: clocks jump from 03:00 to 04:00"
    assert caught.value.jump_from == datetime.time(3, 0) and caught.value.jump_to == datetime.time(4, 0)
    assert isinstance(caught.value, TrucelineError)


@pytest.mark.parametrize("fold", [0, 1])
def test_a_gap_time_is_refused_whatever_fold_says(fold: int) -> None:
    with pytest.raises(NonexistentTimeError):
        to_utc(local("2026-03-29T03:00"), KYIV, fold=fold)


def test_a_time_in_the_autumn_overlap_offers_both_moments() -> None:
    with pytest.raises(AmbiguousTimeError) as caught:
        to_utc(local("2026-10-25T03:30"), KYIV)
    first, second = caught.value.candidates
    assert (first.fold, first.utc, first.offset_label) == (0, "2026-10-25T00:30:00Z", "UTC+3")
    assert (second.fold, second.utc, second.offset_label) == (1, "2026-10-25T01:30:00Z", "UTC+2")
    message = str(caught.value)
    assert "03:30 on 2026-10-25 happens twice in Europe/Kyiv" in message
    assert "UTC+3 (2026-10-25T00:30:00Z)" in message and "UTC+2 (2026-10-25T01:30:00Z)" in message


def test_fold_chooses_the_occurrence_in_the_overlap() -> None:
    assert to_utc(local("2026-10-25T03:30"), KYIV, fold=0) == "2026-10-25T00:30:00Z"
    assert to_utc(local("2026-10-25T03:30"), KYIV, fold=1) == "2026-10-25T01:30:00Z"
    # Outside the overlap fold changes nothing.
    assert to_utc(local("2026-10-25T12:00"), KYIV, fold=1) == "2026-10-25T10:00:00Z"


@pytest.mark.parametrize(
    ("zone", "gap", "jump"),
    [
        ("America/New_York", "2026-03-08T02:30", ("02:00", "03:00")),
        ("Australia/Lord_Howe", "2026-10-04T02:15", ("02:00", "02:30")),  # a half-hour jump
        ("Europe/London", "2026-03-29T01:30", ("01:00", "02:00")),
    ],
)
def test_gaps_in_other_zones(zone: str, gap: str, jump: tuple[str, str]) -> None:
    with pytest.raises(NonexistentTimeError) as caught:
        to_utc(local(gap), ZoneInfo(zone))
    assert f"clocks jump from {jump[0]} to {jump[1]}" in str(caught.value)


@pytest.mark.parametrize(
    ("zone", "wall", "first", "second"),
    [
        ("America/New_York", "2026-11-01T01:30", ("2026-11-01T05:30:00Z", "UTC-4"), ("2026-11-01T06:30:00Z", "UTC-5")),
        # Dublin's "negative" summer time (IST is standard, GMT the winter offset) behaves the same.
        ("Europe/Dublin", "2026-10-25T01:30", ("2026-10-25T00:30:00Z", "UTC+1"), ("2026-10-25T01:30:00Z", "UTC")),
    ],
)
def test_overlaps_in_other_zones(zone: str, wall: str, first: tuple[str, str], second: tuple[str, str]) -> None:
    with pytest.raises(AmbiguousTimeError) as caught:
        to_utc(local(wall), ZoneInfo(zone))
    assert [(c.utc, c.offset_label) for c in caught.value.candidates] == [first, second]


def test_zones_without_daylight_saving_never_ask() -> None:
    assert to_utc(local("2026-03-29T03:30"), ZoneInfo("Asia/Kolkata")) == "2026-03-28T22:00:00Z"
    assert to_utc(local("2026-10-25T03:30"), ZoneInfo("UTC")) == "2026-10-25T03:30:00Z"


def test_an_aware_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_utc(datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC), KYIV)


def test_to_local_gives_the_wall_clock_and_the_occurrence() -> None:
    summer = to_local("2026-05-01T21:15:00Z", KYIV)
    assert summer.replace(tzinfo=None) == local("2026-05-02T00:15") and summer.utcoffset() == datetime.timedelta(
        hours=3
    )
    first, second = to_local("2026-10-25T00:30:00Z", KYIV), to_local("2026-10-25T01:30:00Z", KYIV)
    assert first.replace(tzinfo=None) == second.replace(tzinfo=None) == local("2026-10-25T03:30")
    assert (first.fold, second.fold) == (0, 1)
    # Round trip through the fold the form keeps.
    assert to_utc(second.replace(tzinfo=None), KYIV, fold=second.fold) == "2026-10-25T01:30:00Z"


def test_to_local_refuses_a_time_without_zone() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        to_local("2026-05-01T21:15:00", KYIV)


@pytest.mark.parametrize(
    ("minutes", "label"), [(180, "UTC+3"), (-210, "UTC-3:30"), (345, "UTC+5:45"), (0, "UTC"), (-300, "UTC-5")]
)
def test_offsets_are_named_as_monitors_read_them(minutes: int, label: str) -> None:
    assert format_offset(datetime.timedelta(minutes=minutes)) == label
