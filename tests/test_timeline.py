"""The timeline against a plain count of the incidents, for random data, filters and bins.

The expected numbers are computed here from each incident's ``observed_start`` converted with
``zoneinfo``, never from the rollups or the stored days, around the 19:30 cut-off and both DST
changes of Europe/Kyiv in 2026 (29 March, 25 October).
"""

import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import valid_raw

from db.core.sql_driver import sqlite3
from db.model.incident import Incident
from db.model.validation import validate_incident
from db.records.incidents import record_incidents
from db.records.monitors import add_monitor
from db.records.queries import IncidentFilter, day_bounds
from db.storage.integrity import check_projection
from db.storage.projection import refresh_rollups
from db.storage.store import Store, open_store
from db.trends.timeline import DIMENSION_COLUMNS, Timeline, moving_average, timeline

KYIV = ZoneInfo("Europe/Kyiv")
CUTOFF = time(19, 30)
ZONES = ("EAST", "SOUTH", "NORTH")
SECTORS = (None, "DMZ-01", "DMZ-04", "DMZ-09")
CATEGORIES = ("fire", "uav_activity", "mine_or_uxo")
OBSERVED = (("explosion", "impact"), ("explosion", "airburst"), ("burst", None), ("none", None))
WEAPONS = ("mortar", "small_arms", "undetermined")
STATES = ("verified", "submitted", "disputed")
WORDS = ("shelling", "tracer", "quiet", "drone")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Instants worth landing near: 19:30 local on days around both DST changes, a month's end and a
# week's end; local midnights either side of the changes; the changes themselves.
ANCHORS = [
    utc("2026-03-28T17:30:00"),  # 19:30 local, UTC+2
    utc("2026-03-29T16:30:00"),  # 19:30 local, UTC+3 (the day is 23 hours long)
    utc("2026-03-30T16:30:00"),
    utc("2026-10-24T16:30:00"),
    utc("2026-10-25T17:30:00"),  # 19:30 local, UTC+2 again (the day is 25 hours long)
    utc("2026-10-26T17:30:00"),
    utc("2026-05-31T16:30:00"),  # 19:30 on the last day of May
    utc("2026-06-28T16:30:00"),  # 19:30 on a Sunday
    utc("2026-03-28T22:00:00"),  # local midnight starting 29 March
    utc("2026-03-29T21:00:00"),  # local midnight starting 30 March
    utc("2026-10-24T21:00:00"),  # local midnight starting 25 October
    utc("2026-10-25T22:00:00"),  # local midnight starting 26 October
    utc("2026-03-29T01:00:00"),  # clocks go forward (03:00 -> 04:00)
    utc("2026-10-25T01:00:00"),  # clocks go back (04:00 -> 03:00)
]

moments = st.one_of(
    st.builds(lambda a, s: a + timedelta(seconds=s), st.sampled_from(ANCHORS), st.integers(-5400, 5400)),
    st.builds(lambda a, s: a + timedelta(seconds=s), st.sampled_from(ANCHORS), st.sampled_from([-1, 0, 1])),
    st.datetimes(datetime(2026, 3, 15), datetime(2026, 11, 10), timezones=st.just(UTC)).map(
        lambda m: m.replace(microsecond=0)
    ),
)


@dataclass(frozen=True)
class Spec:
    """One random incident: only what the timeline looks at."""

    start: datetime
    zone: str
    sector: str | None
    category: str
    observed: tuple[str, str | None]
    weapon: str
    state: str
    count: int
    words: tuple[str, ...]


specs = st.builds(
    Spec,
    moments,
    st.sampled_from(ZONES),
    st.sampled_from(SECTORS),
    st.sampled_from(CATEGORIES),
    st.sampled_from(OBSERVED),
    st.sampled_from(WEAPONS),
    st.sampled_from(STATES),
    st.integers(1, 40),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(tuple),
)


def text_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def bounds(draw: st.DrawFn) -> tuple[str | None, str | None]:
    """A period as the filter bar gives it (whole local days), or any two instants, or open."""
    kind = draw(st.sampled_from(["days", "instants", "start only", "end only", "open"]))
    if kind == "days":
        first = draw(st.dates(date(2026, 3, 20), date(2026, 11, 5)))
        last = first + timedelta(days=draw(st.integers(0, 80)))
        return day_bounds(first, last, KYIV)
    a, b = sorted([draw(moments), draw(moments)])
    if a == b:
        b += timedelta(seconds=1)
    return {
        "instants": (text_of(a), text_of(b)),
        "start only": (text_of(a), None),
        "end only": (None, text_of(b)),
        "open": (None, None),
    }[kind]


def subset(values: tuple[str | None, ...]) -> st.SearchStrategy[tuple[str, ...]]:
    present = [v for v in values if v is not None]
    return st.one_of(st.just(()), st.lists(st.sampled_from(present), min_size=1, max_size=2, unique=True).map(tuple))


filters = st.builds(
    lambda period, zones, sectors, categories, weapons, states, text, conflicts: IncidentFilter(
        *period, zones, sectors, categories, weapons, states, text, conflicts
    ),
    bounds(),
    subset(ZONES),
    subset(SECTORS),
    subset(CATEGORIES),
    subset(WEAPONS),
    subset(STATES),
    st.one_of(st.just(""), st.just(""), st.sampled_from([*WORDS, "shel", "  ", "tracer drone"])),
    st.sampled_from([False, False, False, True]),
)
queries = st.tuples(
    filters,
    st.sampled_from(["day", "week", "month"]),
    st.sampled_from([None, *DIMENSION_COLUMNS]),
    st.sampled_from(["violations", "incidents"]),
    st.booleans(),
)


def incident_of(template: Incident, spec: Spec) -> Incident:
    obs_type, kind = spec.observed
    return replace(
        template,
        observed_start=text_of(spec.start),
        zone_id=spec.zone,
        sector_id=spec.sector,
        category=spec.category,
        obs_type=obs_type,
        explosion_kind=kind,
        weapon_class=spec.weapon,
        verification_state=spec.state,
        count=spec.count,
        place=None,
        narrative=" ".join(spec.words),
    )


@contextmanager
def fresh_store(incidents: list[Spec]) -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as directory:
        store = open_store(Path(directory) / "data")
        try:
            template = validate_incident(valid_raw(observed_end=None), theatre=store.theatre)
            if incidents:
                # Reviewed states are a supervisor's decisions (db/records/roles.py).
                author = add_monitor(store.conn, "Test Author", "AUTH", "supervisor").monitor_id
                record_incidents(
                    store.conn, store.writer(author), [incident_of(template, s) for s in incidents], store.calendar
                )
            yield store
        finally:
            store.close()


# ---------------------------------------------------------------------------------------------
# The independent count
# ---------------------------------------------------------------------------------------------


def days_of(moment: datetime) -> tuple[date, date]:
    local = moment.astimezone(KYIV)
    return local.date(), local.date() + timedelta(days=1 if local.time() >= CUTOFF else 0)


def selected(spec: Spec, flt: IncidentFilter) -> bool:
    if flt.conflicts_only:
        return False  # every incident here has a single head
    if flt.start_utc and spec.start < datetime.fromisoformat(flt.start_utc):
        return False
    if flt.end_utc and spec.start >= datetime.fromisoformat(flt.end_utc):
        return False
    for wanted, value in (
        (flt.zone_ids, spec.zone),
        (flt.sector_ids, spec.sector),
        (flt.categories, spec.category),
        (flt.weapon_classes, spec.weapon),
        (flt.states, spec.state),
    ):
        if wanted and value not in wanted:
            return False
    # Full-text search: every word typed must start some word of the narrative.
    return all(any(w.startswith(t.lower()) for w in spec.words) for t in re.findall(r"\w+", flt.text))


def value_of(spec: Spec, dimension: str | None) -> str | None:
    if dimension is None:
        return "all"
    return {
        "zone": spec.zone,
        "sector": spec.sector,
        "category": spec.category,
        "obs_type": spec.observed[0],
        "weapon_class": spec.weapon,
        "verification_state": spec.state,
    }[dimension]


def first_of_bin(day: date, bin: str) -> date:
    if bin == "week":
        return date.fromordinal(day.toordinal() - day.weekday())
    if bin == "month":
        return date(day.year, day.month, 1)
    return day


def expected(
    incidents: list[Spec], flt: IncidentFilter, bin: str, dimension: str | None, metric: str, reporting: bool
) -> tuple[tuple[date, ...], dict[str | None, tuple[int, ...]]]:
    found = [s for s in incidents if selected(s, flt)]
    unit = {id(s): days_of(s.start)[1 if reporting else 0] for s in found}
    pick = 1 if reporting else 0
    first = days_of(datetime.fromisoformat(flt.start_utc))[pick] if flt.start_utc else None
    last = days_of(datetime.fromisoformat(flt.end_utc) - timedelta(seconds=1))[pick] if flt.end_utc else None
    if first is None:
        first = min(unit.values(), default=last)
    if last is None:
        last = max(unit.values(), default=first)
    if first is None or last is None:
        return (), ({"all": ()} if dimension is None else {})
    starts: list[date] = []
    day = first
    while day <= last:
        if first_of_bin(day, bin) not in starts:
            starts.append(first_of_bin(day, bin))
        day += timedelta(days=1)
    sums: Counter[tuple[str | None, date]] = Counter()
    for s in found:
        sums[value_of(s, dimension), first_of_bin(unit[id(s)], bin)] += s.count if metric == "violations" else 1
    keys = {key for key, _ in sums} | ({"all"} if dimension is None else set())
    return tuple(starts), {key: tuple(sums[key, start] for start in starts) for key in keys}


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(specs, max_size=40), st.lists(queries, min_size=1, max_size=4))
def test_the_timeline_equals_a_plain_count_of_the_incidents(incidents: list[Spec], asked: list[tuple]) -> None:
    with fresh_store(incidents) as store:
        for flt, bin, dimension, metric, reporting in asked:
            got = timeline(
                store.conn,
                flt,
                tz=store.tz,
                cutoff=store.calendar.cutoff,
                bin=bin,
                dimension=dimension,
                metric=metric,
                reporting_days=reporting,
            )
            starts, series = expected(incidents, flt, bin, dimension, metric, reporting)
            assert got.starts == starts
            assert got.series == series, (flt, bin, dimension, metric, reporting)


def spec(start: str, **changes: object) -> Spec:
    base = Spec(utc(start), "EAST", "DMZ-04", "fire", ("explosion", "impact"), "mortar", "verified", 1, ("quiet",))
    return replace(base, **changes)  # type: ignore[arg-type]


def test_reporting_days_move_the_evening_to_the_next_day() -> None:
    incidents = [
        spec("2026-10-24T16:29:59", count=1),  # 19:29:59 local, 24 October
        spec("2026-10-24T16:30:00", count=2),  # 19:30:00 local: reporting day 25 October
        spec("2026-10-25T17:30:00", count=4),  # 19:30 local after the clocks went back: reporting day 26
    ]
    flt = IncidentFilter(*day_bounds(date(2026, 10, 24), date(2026, 10, 25), KYIV))
    with fresh_store(incidents) as store:
        by_day = timeline(store.conn, flt, tz=store.tz, cutoff=CUTOFF)
        by_report = timeline(store.conn, flt, tz=store.tz, cutoff=CUTOFF, reporting_days=True)
    assert by_day.starts == (date(2026, 10, 24), date(2026, 10, 25))
    assert by_day.series == {"all": (3, 4)}
    assert by_report.starts == (date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26))
    assert by_report.series == {"all": (1, 2, 4)}
    assert by_report.total() == 7 and by_report.bin_totals() == (1, 2, 4)


def test_every_bin_is_present_and_weeks_start_on_monday() -> None:
    incidents = [spec("2026-06-03T09:00:00", sector=None), spec("2026-06-24T09:00:00", count=5)]
    with fresh_store(incidents) as store:
        weeks = timeline(store.conn, IncidentFilter(), tz=store.tz, cutoff=CUTOFF, bin="week", dimension="sector")
        months = timeline(store.conn, IncidentFilter(), tz=store.tz, cutoff=CUTOFF, bin="month", metric="incidents")
    assert weeks.starts == (date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15), date(2026, 6, 22))
    assert weeks.series == {"DMZ-04": (0, 0, 0, 5), None: (1, 0, 0, 0)}
    assert weeks.total("DMZ-04") == 5 and weeks.total(None) == 1 and weeks.total("DMZ-01") == 0
    assert months.starts == (date(2026, 6, 1),) and months.series == {"all": (2,)}


def test_an_empty_database_gives_an_empty_timeline_or_the_filters_bins() -> None:
    with fresh_store([]) as store:
        empty = timeline(store.conn, IncidentFilter(), tz=store.tz, cutoff=CUTOFF)
        period = IncidentFilter(*day_bounds(date(2026, 2, 27), date(2026, 3, 2), KYIV))
        zeros = timeline(store.conn, period, tz=store.tz, cutoff=CUTOFF, dimension="zone")
    assert empty == Timeline((), {"all": ()})
    assert zeros.starts == tuple(date(2026, 2, 27) + timedelta(days=n) for n in range(4)) and zeros.series == {}
    assert zeros.bin_totals() == (0, 0, 0, 0)


def test_unknown_choices_are_refused() -> None:
    with fresh_store([]) as store:
        for wrong in ({"bin": "year"}, {"dimension": "colour"}, {"metric": "kilograms"}):
            with pytest.raises(ValueError):
                timeline(store.conn, IncidentFilter(), tz=store.tz, cutoff=CUTOFF, **wrong)  # type: ignore[arg-type]


def test_a_write_that_skips_the_refresh_is_caught_and_never_miscounted() -> None:
    with fresh_store([spec("2026-06-03T09:00:00", count=3)]) as store:
        # A writer that bypasses db.storage.projection: daily_counts follows (triggers), the narrow rollups cannot.
        store.conn.execute("UPDATE incidents SET count = 10")
        problems = check_projection(store.conn, store.calendar)
        assert any("not refreshed" in str(p) for p in problems)
        assert timeline(store.conn, IncidentFilter(), tz=store.tz, cutoff=CUTOFF).series == {"all": (10,)}
        refresh_rollups(store.conn)
        assert store.conn.execute("SELECT sum(violations) FROM daily_area_counts").fetchone() == (10,)


def test_the_rollups_follow_amendments_and_rebuilds(store, supervisor) -> None:  # type: ignore[no-untyped-def]
    writer = store.writer(supervisor.monitor_id)  # reviewed states are a supervisor's (db/records/roles.py)
    from db.records.incidents import amend_incident
    from db.storage.connection import transaction
    from db.storage.projection import rebuild_projection

    template = validate_incident(valid_raw(observed_end=None), theatre=store.theatre)
    saved = record_incidents(
        store.conn, writer, [incident_of(template, spec("2026-06-03T17:00:00", count=3))], store.calendar
    )
    # 20:00 local: moves to the next reporting day, another sector and state.
    moved = incident_of(template, spec("2026-06-03T17:00:00", count=4, sector="DMZ-01", state="disputed"))
    amend_incident(store.conn, writer, saved[0].incident_id, moved, "recounted", store.calendar)
    with transaction(store.conn):
        rebuild_projection(store.conn, store.calendar)
    assert check_projection(store.conn, store.calendar) == []
    got = timeline(store.conn, IncidentFilter(), tz=store.tz, cutoff=CUTOFF, dimension="sector", reporting_days=True)
    assert got.starts == (date(2026, 6, 4),) and got.series == {"DMZ-01": (4,)}


def test_moving_average_starts_with_the_data() -> None:
    assert moving_average([3, 6, 9, 12], 2) == [3.0, 4.5, 7.5, 10.5]
    assert moving_average([1, 2, 3], 1) == [1.0, 2.0, 3.0]
    assert moving_average([], 7) == []
    assert moving_average([4, 8], 7) == [4.0, 6.0]
    with pytest.raises(ValueError):
        moving_average([1], 0)


def test_rollups_and_incidents_agree_on_the_demo(tmp_path: Path) -> None:
    """The same timeline by the rollups and by incidents (a text every narrative matches)."""
    from db.records.demo import generate

    store = open_store(tmp_path / "demo")
    try:
        generate(store, 1500, seed=5, today=date(2026, 6, 30))
        conn: sqlite3.Connection = store.conn
        for dimension in (None, *DIMENSION_COLUMNS):
            for reporting in (False, True):
                options = {"dimension": dimension, "reporting_days": reporting, "bin": "week"}
                fast = timeline(conn, IncidentFilter(), tz=store.tz, cutoff=CUTOFF, **options)  # type: ignore[arg-type]
                slow = timeline(conn, IncidentFilter(text="near"), tz=store.tz, cutoff=CUTOFF, **options)  # type: ignore[arg-type]
                assert fast == slow and sum(fast.bin_totals()) > 0
    finally:
        store.close()


def test_a_theatre_with_another_cutoff_redates_the_reporting_days(store, supervisor) -> None:  # type: ignore[no-untyped-def]
    writer = store.writer(supervisor.monitor_id)  # reviewed states are a supervisor's (db/records/roles.py)
    from db.model.theatre import parse_theatre
    from db.storage.store import switch_theatre

    template = validate_incident(valid_raw(observed_end=None), theatre=store.theatre)
    record_incidents(store.conn, writer, [incident_of(template, spec("2026-06-03T15:30:00"))], store.calendar)
    assert store.conn.execute("SELECT report_day FROM incidents").fetchone() == ("2026-06-03",)  # 18:30 local
    earlier = parse_theatre(store.theatre.geojson_text.replace('"19:30"', '"18:00"'), "test")
    assert switch_theatre(store, earlier, "test").rebuilt == 1
    assert store.calendar.cutoff == time(18, 0)
    assert store.conn.execute("SELECT report_day FROM incidents").fetchone() == ("2026-06-04",)
    assert check_projection(store.conn, store.calendar) == []
    got = timeline(store.conn, IncidentFilter(), tz=store.tz, cutoff=store.calendar.cutoff, reporting_days=True)
    assert got.starts == (date(2026, 6, 4),)
