"""Every incident field is checked before anything is written, with the field and reason named."""

from datetime import UTC, datetime

import pytest
from support import valid_raw

from db.core.errors import ValidationError
from db.model.validation import validate_incident, validate_reason
from db.records.incidents import record_incident

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def problems_of(raw: dict, **kwargs) -> dict[str, str]:  # type: ignore[type-arg]
    with pytest.raises(ValidationError) as caught:
        validate_incident(raw, now=NOW, **kwargs)
    return {p.field: p.reason for p in caught.value.problems}


def test_a_complete_incident_is_canonicalised() -> None:
    incident = validate_incident(
        valid_raw(
            zone_id="EAST",
            observed_start="2026-05-02T00:15:00+03:00",
            place="  Cafe\u0301  ",
            observer_lat="48.1234567",
        ),
        now=NOW,
    )
    assert incident.observed_start == "2026-05-01T21:15:00Z"
    assert incident.place == "Café"  # NFC and trimmed
    assert incident.observer_lat == 48.123457
    assert incident.calibre_mm == 120.0 and isinstance(incident.calibre_mm, float)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"category": "shelling"}, "category", "not one of"),
        ({"obs_type": "boom"}, "obs_type", "not one of"),
        ({"means": None}, "means", "required"),
        ({"category": ""}, "category", "required"),
        ({"observed_start": None}, "observed_start", "required"),
        ({"observed_start": "2026-05-01T21:15:00"}, "observed_start", "explicit time zone"),
        ({"observed_start": "yesterday"}, "observed_start", "not a date and time"),
        ({"observed_start": "2027-01-01T00:00:00Z"}, "observed_start", "in the future"),
        ({"observed_end": "2026-05-01T20:00:00Z"}, "observed_end", "before the start"),
        ({"observer_lat": 91}, "observer_lat", "between -90 and 90"),
        ({"observer_lon": -180.5}, "observer_lon", "between -180 and 180"),
        ({"event_lat": "north"}, "event_lat", "not a number"),
        ({"event_lon": None}, "event_lon", "needed with the other coordinate"),
        ({"observer_lat": float("nan")}, "observer_lat", "finite"),
        ({"bearing_deg": 361}, "bearing_deg", "between 0 and 360"),
        ({"bearing_deg": -1}, "bearing_deg", "between 0 and 360"),
        ({"count": 0}, "count", "between 1 and"),
        ({"count": 2.5}, "count", "whole number"),
        ({"count": True}, "count", "must be a number"),
        ({"dist_min_km": 6}, "dist_max_km", "smaller than the minimum"),
        ({"dist_min_km": -1}, "dist_min_km", "between 0 and"),
        ({"civ_killed": -1}, "civ_killed", "between 0 and"),
        ({"mil_injured": "many"}, "mil_injured", "not a number"),
        ({"info_credibility": 7}, "info_credibility", "1 to 6"),
        ({"source_reliability": "G"}, "source_reliability", "not one of"),
        ({"explosion_kind": None}, "explosion_kind", "required for an explosion"),
        ({"obs_type": "burst"}, "explosion_kind", "only to explosions"),
        ({"weapon_assessed": False}, "calibre_mm", "only when the weapon was assessed"),
        ({"weapon_assessed": "maybe"}, "weapon_assessed", "yes or no"),
        ({"calibre_mm": 0}, "calibre_mm", "between 1 and"),
        ({"attribution": "attributed"}, "actor1", "required when the incident is attributed"),
        ({"place": "x" * 201}, "place", "longer than 200"),
        ({"place": "two\nlines"}, "place", "single line"),
        ({"narrative": "x" * 20_001}, "narrative", "longer than 20000"),
        ({"narrative": "bell\x07"}, "narrative", "control characters"),
        ({"narrative": "lone \ud800 surrogate"}, "narrative", "not valid Unicode"),
        ({"actor2": 5}, "actor2", "must be text"),
        ({"zone_id": "no spaces allowed"}, "zone_id", "not a zone or sector id"),
        ({"verification_state": "approved"}, "verification_state", "not one of"),
        ({"geo_precision": "gps"}, "geo_precision", "not one of"),
        ({"count_qualifier": "few"}, "count_qualifier", "not one of"),
        ({"time_precision": "hour"}, "time_precision", "not one of"),
        ({"colour": "red"}, "colour", "not an incident field"),
    ],
)
def test_each_invalid_field_is_named_with_its_reason(changes: dict, field: str, reason: str) -> None:  # type: ignore[type-arg]
    raw = valid_raw(**{"zone_id": "EAST", **changes})
    assert reason in problems_of(raw)[field]


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(valid_raw(zone_id="EAST", count=0, bearing_deg=400, category="x"))
    assert set(problems) == {"count", "bearing_deg", "category"}


def test_theatre_fills_zone_sector_and_dmz_relation(store) -> None:  # type: ignore[no-untyped-def]
    incident = validate_incident(valid_raw(), theatre=store.theatre, now=NOW)
    assert incident.zone_id is not None
    assert incident.sector_id is not None and incident.sector_id.startswith("DMZ-")
    assert incident.dmz_relation == "inside"


def test_a_chosen_zone_overrides_the_coordinates(store) -> None:  # type: ignore[no-untyped-def]
    incident = validate_incident(valid_raw(zone_id="NORTH", sector_id=None), theatre=store.theatre, now=NOW)
    assert incident.zone_id == "NORTH" and incident.sector_id is None


def test_unknown_zone_and_sector_are_refused(store) -> None:  # type: ignore[no-untyped-def]
    problems = problems_of(valid_raw(zone_id="MOON", sector_id="DMZ-99"), theatre=store.theatre)
    assert "not a zone of this theatre" in problems["zone_id"]
    assert "not a DMZ sector" in problems["sector_id"]


def test_without_position_or_zone_the_zone_is_required(store) -> None:  # type: ignore[no-untyped-def]
    raw = valid_raw(observer_lat=None, observer_lon=None, event_lat=None, event_lon=None)
    assert problems_of(raw, theatre=store.theatre)["zone_id"] == "is required"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_change_needs_a_reason(reason) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        validate_reason(reason)
    assert caught.value.fields == ["reason"]


def test_an_invalid_incident_changes_nothing(store, writer) -> None:  # type: ignore[no-untyped-def]
    before = store.conn.execute("SELECT (SELECT count(*) FROM incident_versions), (SELECT count(*) FROM incidents)")
    counts = before.fetchone()
    with pytest.raises(ValidationError):
        record_incident(
            store.conn, writer, validate_incident(valid_raw(count=-3), theatre=store.theatre), store.calendar
        )
    after = store.conn.execute("SELECT (SELECT count(*) FROM incident_versions), (SELECT count(*) FROM incidents)")
    assert after.fetchone() == counts


def test_a_foreign_field_name_is_named_escaped_and_cut_in_one_line() -> None:
    """A signed bundle's payload may name any field: the refusal shows the name, never as a second line
    or a terminal escape, and never a page long (found by the rogue-bundle property test under load)."""
    from db.model.payload_check import shape_problems

    said = [str(p) for p in shape_problems({"\n": 1, "\x1b[31mred": 2, "y" * 100: 3})]
    assert said == [
        "\\n: is not an incident field",
        "\\x1b[31mred: is not an incident field",
        "y" * 59 + "…: is not an incident field",
    ]
