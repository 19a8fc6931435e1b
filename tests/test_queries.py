"""Filters and keyset paging over the incident projection."""

from datetime import date

import pytest
from support import valid_raw

from db.model.validation import validate_incident
from db.records.incidents import record_incidents
from db.records.queries import IncidentFilter, count_incidents, cursor_of, day_bounds, fts_query, list_incidents


@pytest.fixture
def forty(store, writer):  # type: ignore[no-untyped-def]
    """Forty incidents over March 2026, alternating category, with a distinctive word in every fifth."""
    incidents = []
    for n in range(40):
        day, hour = 1 + n % 28, n % 24
        incidents.append(
            validate_incident(
                valid_raw(
                    observed_start=f"2026-03-{day:02d}T{hour:02d}:00:00Z",
                    observed_end=None,
                    category="fire" if n % 2 else "uav_activity",
                    obs_type="explosion" if n % 2 else "none",
                    explosion_kind="impact" if n % 2 else None,
                    count=n + 1,
                    narrative=f"entry {n} " + ("Shahed overhead" if n % 5 == 0 else "quiet"),
                ),
                theatre=store.theatre,
            )
        )
    record_incidents(store.conn, writer, incidents, store.calendar)
    return incidents


def test_counts_follow_each_filter(store, forty) -> None:  # type: ignore[no-untyped-def]
    conn = store.conn
    assert count_incidents(conn, IncidentFilter()) == 40
    assert count_incidents(conn, IncidentFilter(categories=("fire",))) == 20
    assert count_incidents(conn, IncidentFilter(text="shahed")) == 8
    assert count_incidents(conn, IncidentFilter(text="shah")) == 8  # prefix search
    assert count_incidents(conn, IncidentFilter(states=("verified",))) == 0
    sector = forty[0].sector_id
    assert count_incidents(conn, IncidentFilter(sector_ids=(sector,))) == 40
    start, end = day_bounds(date(2026, 3, 1), date(2026, 3, 1), store.tz)
    assert (start, end) == ("2026-02-28T22:00:00Z", "2026-03-01T22:00:00Z")  # Kyiv is UTC+2 in winter
    assert count_incidents(conn, IncidentFilter(start_utc=start, end_utc=end)) == 2


def test_day_bounds_follow_daylight_saving(store) -> None:  # type: ignore[no-untyped-def]
    # 29 March 2026 is 23 hours long in Kyiv.
    assert day_bounds(date(2026, 3, 29), date(2026, 3, 29), store.tz) == (
        "2026-03-28T22:00:00Z",
        "2026-03-29T21:00:00Z",
    )


@pytest.mark.parametrize("sort", ["observed_start", "count", "category", "place", "ref"])
@pytest.mark.parametrize("descending", [True, False])
def test_keyset_pages_cover_every_row_once_in_order(store, forty, sort, descending) -> None:  # type: ignore[no-untyped-def]
    seen = []
    after = None
    while True:
        page = list_incidents(store.conn, IncidentFilter(), sort=sort, descending=descending, after=after, limit=7)
        if not page:
            break
        seen.extend(page)
        after = cursor_of(page[-1], sort)
    assert len(seen) == 40 and len({r.incident_id for r in seen}) == 40

    def key(record):  # type: ignore[no-untyped-def]
        value = record.ref if sort == "ref" else getattr(record.incident, sort)
        return (value or "", record.incident_id)

    assert [key(r) for r in seen] == sorted((key(r) for r in seen), reverse=descending)


def test_a_page_past_the_end_is_empty(store, forty) -> None:  # type: ignore[no-untyped-def]
    last = list_incidents(store.conn, IncidentFilter(), limit=40)[-1]
    assert list_incidents(store.conn, IncidentFilter(), after=cursor_of(last, "observed_start")) == []


def test_search_text_cannot_break_the_query(store, forty) -> None:  # type: ignore[no-untyped-def]
    for hostile in ['"', "NEAR(", "a OR", "*", "'); DROP TABLE incidents; --", "Торецьк"]:
        count_incidents(store.conn, IncidentFilter(text=hostile))
    assert fts_query('say "hi"') == '"say"* "hi"*'
    assert count_incidents(store.conn, IncidentFilter(text="торецьк")) == 40  # place is searched, case-folded


def test_unknown_sort_is_refused(store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        list_incidents(store.conn, IncidentFilter(), sort="payload; DROP")
