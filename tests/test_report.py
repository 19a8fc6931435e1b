"""The report's content (db.report.content): the same numbers as the summary, every notable incident once,
places in words, an empty period, the default period and Cancel."""

import hashlib
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from report_data import record_notable
from support import EVENTS, record_events, save, valid_raw

from db.exchange.log import state_hash
from db.model.validation import validate_incident
from db.records.queries import IncidentFilter
from db.report import content
from db.report.content import Report, ReportCancelled, ReportRequest, build_report, last_complete_reporting_day, ranked
from db.report.places import Gazetteer, Settlement, place_in_words
from db.storage.store import Store
from db.storage.versions import Writer
from db.trends.summary import period_summary

PERIOD = ReportRequest(date(2026, 5, 10), date(2026, 5, 16))
NOW = datetime(2026, 5, 17, 8, 0, tzinfo=UTC)


def report_of(store: Store, request: ReportRequest = PERIOD) -> Report:
    author, device = "Ingrid Solberg (SOLB)", store.device.device_id
    return build_report(store.conn, store.theatre, request, author=author, device_id=device, now_utc=NOW)


def test_numbers_are_the_summary_of_the_same_period(store: Store, writer: Writer) -> None:
    record_events(store, writer)
    report = report_of(store)
    tz, cutoff = store.tz, store.calendar.cutoff
    expected = period_summary(store.conn, IncidentFilter(), PERIOD.first, PERIOD.last, tz=tz, cutoff=cutoff)
    assert report.summary == expected
    # Counted by hand from tests/support.py: A, B, C, D and K (19:40 on the 9th) fall in reporting days 10-16 May;
    # E (19:45 on the 16th) counts on the 17th.
    assert report.summary.current.violations == 3 + 2 + 5 + 10 + 1
    by_zone = period_summary(store.conn, IncidentFilter(), PERIOD.first, PERIOD.last, tz=tz, by="zone", cutoff=cutoff)
    assert set(report.zones) == set(by_zone.areas)
    assert report.zones == ranked(by_zone.areas)
    assert report.counted.incidents == 5
    assert report.running is not None and report.running_label == "Ceasefire in force"


def test_areas_are_ranked_by_the_size_of_their_change(store: Store, writer: Writer) -> None:
    record_events(store, writer)
    changes = [abs(a.current.violations - a.previous.violations) for a in report_of(store).sectors]
    assert changes == sorted(changes, reverse=True)


def test_every_notable_incident_is_listed_once_and_nothing_else(store: Store, writer: Writer) -> None:
    refs = record_notable(store, writer)
    report = report_of(store)
    listed = [n.ref for n in report.notable]
    assert sorted(listed) == sorted(refs[k] for k in ("civilian", "threat", "access", "heavy", "casualty"))
    assert len(listed) == len(set(listed))
    by_ref = {n.ref: n for n in report.notable}
    assert by_ref[refs["civilian"]].harm == "Civilians: 1 killed, 2 injured."
    assert by_ref[refs["casualty"]].reasons == ("Casualties",)
    assert by_ref[refs["threat"]].place == "near Бахмут, 3–5.5 km ENE of the observer"
    assert by_ref[refs["access"]].verification == "Submitted"
    assert by_ref[refs["heavy"]].grid.startswith("37U")
    assert [p.notable for p in report.points].count(True) >= 1
    # The gravest first: harm to people, then the monitors, then weapons.
    assert listed == [refs[k] for k in ("civilian", "casualty", "threat", "access", "heavy")]


def test_past_the_listed_tiers_notable_incidents_are_kept_by_reference(
    store: Store, writer: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy month holds thousands: the few a report prints in words are read in full, the rest stay by
    reference, in the same order (gravest first) and each once."""
    refs = record_notable(store, writer)
    everything = report_of(store).notable
    monkeypatch.setattr(content, "IN_FULL", 1)
    monkeypatch.setattr(content, "IN_ONE_LINE", 2)
    report = report_of(store)
    assert report.tiers == (1, 2)
    assert [n.ref for n in report.notable] == [n.ref for n in everything]
    assert [n.in_words for n in report.notable] == [True, True, True, False, False]
    assert report.notable[:3] == everything[:3]
    for kept, full in zip(report.notable[3:], everything[3:], strict=True):
        assert kept.reasons == full.reasons and kept.incident_id == full.incident_id
        assert not kept.in_words and kept.place == kept.local_time == kept.narrative == ""
    assert report.notable[0].ref == refs["civilian"]


def test_the_entries_counted_and_the_squares_of_the_map_come_from_the_database(store: Store, writer: Writer) -> None:
    record_events(store, writer)
    save(store, writer, observed_start="2026-05-12T06:00:00Z", observed_end=None, count_qualifier="at_least")
    report = report_of(store)
    where = "category = 'fire' AND report_day BETWEEN '2026-05-10' AND '2026-05-16'"
    rows = store.conn.execute(f"SELECT ref, head_version_id, count_qualifier FROM incidents WHERE {where}").fetchall()
    lines = "".join(f"{ref} {head}\n" for ref, head, _ in sorted(rows))
    assert report.counted.incidents == len(rows) == 6
    assert report.counted.refs == tuple(sorted(ref for ref, _, _ in rows))
    assert report.counted.digest == hashlib.sha256(lines.encode()).hexdigest()
    assert report.counted.estimates == sum(q != "exact" for _, _, q in rows) == 1
    placed = "report_day BETWEEN '2026-05-10' AND '2026-05-16' AND coalesce(event_lat, observer_lat) IS NOT NULL"
    assert (
        sum(p.incidents for p in report.points)
        == store.conn.execute(f"SELECT count(*) FROM incidents WHERE {placed}").fetchone()[0]
    )
    assert all(abs(p.lat - round(p.lat / 0.02) * 0.02) < 1e-9 for p in report.points)


def test_the_digest_is_in_ref_order_whatever_order_sqlite_concatenated_in() -> None:
    in_order = content.counted_entries(("EAST-AAAA-000001 v1\nEAST-AAAA-000002 v2\n", 2, 1))
    shuffled = content.counted_entries(("EAST-AAAA-000002 v2\nEAST-AAAA-000001 v1\n", 2, 1))
    assert shuffled == in_order
    assert in_order.refs == ("EAST-AAAA-000001", "EAST-AAAA-000002") and in_order.estimates == 1
    assert in_order.digest == hashlib.sha256(b"EAST-AAAA-000001 v1\nEAST-AAAA-000002 v2\n").hexdigest()


def test_the_scope_narrows_everything(store: Store, writer: Writer) -> None:
    refs = record_notable(store, writer)
    save(store, writer, observed_start="2026-05-12T06:00:00Z", observed_end=None, category="civilian_harm",
         obs_type="none", explosion_kind=None, civ_injured=1, zone_id="SOUTH", sector_id="DMZ-09",
         observer_lat=46.9, observer_lon=33.6, event_lat=None, event_lon=None)  # fmt: skip
    report = report_of(store, ReportRequest(PERIOD.first, PERIOD.last, flt=IncidentFilter(sector_ids=("DMZ-09",))))
    assert refs["civilian"] not in {n.ref for n in report.notable}
    assert len(report.notable) == 1
    assert report.scope == "Only DMZ sector DMZ-09."


def test_an_empty_period_gives_a_short_correct_report(store: Store, writer: Writer) -> None:
    record_events(store, writer)
    report = report_of(store, ReportRequest(date(2025, 1, 1), date(2025, 1, 1)))
    assert report.is_empty
    assert report.summary.sentence == "No ceasefire violations; in the previous period, no ceasefire violations."
    assert report.notable == () and report.counted.incidents == 0 and report.counted.refs == ()
    assert report.title == "Daily report"
    assert report.period_text == "2024-12-31 19:30 to 2025-01-01 19:30 Europe/Kyiv"


def test_provenance_names_the_author_laptop_and_state(store: Store, writer: Writer) -> None:
    record_events(store, writer)
    p = report_of(store).provenance
    assert p.author == "Ingrid Solberg (SOLB)"
    assert p.device_id == store.device.device_id
    assert p.state_hash == state_hash(store.conn)
    assert p.versions == len(EVENTS)
    assert p.produced_utc == "2026-05-17T08:00:00Z" and p.produced_local == "2026-05-17 11:00 Europe/Kyiv"


def test_the_default_period_is_the_last_complete_reporting_day(store: Store) -> None:
    kyiv = ZoneInfo("Europe/Kyiv")
    before = datetime(2026, 5, 16, 19, 29, tzinfo=kyiv)
    after = datetime(2026, 5, 16, 19, 30, tzinfo=kyiv)
    assert last_complete_reporting_day(before.astimezone(UTC), store.calendar) == date(2026, 5, 15)
    assert last_complete_reporting_day(after.astimezone(UTC), store.calendar) == date(2026, 5, 16)


def test_cancel_stops_assembling(store: Store, writer: Writer) -> None:
    record_events(store, writer)
    calls = []

    def progress(done: int, total: int) -> bool:
        calls.append(done)
        return done < 3

    with pytest.raises(ReportCancelled, match="cancelled"):
        build_report(store.conn, store.theatre, PERIOD, author="x", device_id="d", progress=progress)
    assert calls == [1, 2, 3]


def test_a_period_that_ends_before_it_starts_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="ends .* before it starts"):
        report_of(store, ReportRequest(date(2026, 5, 2), date(2026, 5, 1)))


def test_place_from_the_nearest_settlement(store: Store) -> None:
    incident = validate_incident(valid_raw(event_lat=48.427, event_lon=37.85), theatre=store.theatre)
    towns = [Settlement("Toretsk", 48.40, 37.85), Settlement("Pokrovsk", 48.28, 37.18)]
    assert place_in_words(incident, towns) == "3 km N of Toretsk"
    inside = validate_incident(valid_raw(event_lat=48.401, event_lon=37.851), theatre=store.theatre)
    assert place_in_words(inside, towns) == "in Toretsk"


def test_place_from_a_settlement_far_away_and_among_many(store: Store) -> None:
    far = validate_incident(valid_raw(event_lat=48.0, event_lon=38.5), theatre=store.theatre)
    lonely = Gazetteer([Settlement("Far East", 48.0, 39.5), Settlement("Far North", 49.5, 38.5)])
    assert place_in_words(far, lonely) == "74 km W of Far East"
    grid = [Settlement(f"P{n}", 47.0 + (n % 40) * 0.05, 36.0 + (n // 40) * 0.07) for n in range(1600)]
    incident = validate_incident(valid_raw(event_lat=47.512, event_lon=37.4), theatre=store.theatre)
    assert place_in_words(incident, Gazetteer(grid)) == place_in_words(incident, grid) == "1.3 km N of P810"


def test_place_as_recorded_without_settlements(store: Store) -> None:
    plain = validate_incident(valid_raw(bearing_deg=None, dist_min_km=None, dist_max_km=None), theatre=store.theatre)
    assert place_in_words(plain) == "near Торецьк"
    nowhere = validate_incident(
        valid_raw(place=None, bearing_deg=None, dist_min_km=None, dist_max_km=None), theatre=store.theatre
    )
    assert place_in_words(nowhere) == "place not recorded"


def test_the_state_hash_follows_every_version_added(store: Store, writer: Writer) -> None:
    record_events(store, writer)
    before = report_of(store).provenance
    assert report_of(store).provenance.state_hash == before.state_hash == state_hash(store.conn)
    save(store, writer)
    after = report_of(store).provenance
    assert after.state_hash == state_hash(store.conn) != before.state_hash
    assert after.versions == before.versions + 1
