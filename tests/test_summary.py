"""The OSCE SMM-style period summary: exact sentences for a small data set counted by hand."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from support import record_events

from db.records.queries import IncidentFilter
from db.storage.store import Store
from db.storage.versions import Writer
from db.trends.summary import Tally, period_summary, running_total, sentence

KYIV = ZoneInfo("Europe/Kyiv")
FIRST, LAST = date(2026, 5, 10), date(2026, 5, 16)  # the previous period is 3 to 9 May


@pytest.fixture
def events(store: Store, writer: Writer) -> Store:
    record_events(store, writer)
    return store


def test_the_period_sentence_in_local_days(events: Store) -> None:
    summary = period_summary(events.conn, IncidentFilter(), FIRST, LAST, tz=KYIV)
    # A 3 + B 2 + C 5 + D 10 + E 1; explosions A, B, C, E. Previous: H 1 + I 1 + K 1; explosions I, K.
    assert summary.sentence == (
        "21 ceasefire violations, including 11 explosions (3 impacts, 2 airbursts, 5 outgoing, 1 undetermined); "
        "in the previous period, 3 ceasefire violations, including 2 explosions."
    )
    assert summary.current == Tally(21, (3, 2, 5, 1)) and summary.previous == Tally(3, (1, 1, 0, 0))
    assert (summary.previous_first, summary.previous_last, summary.days) == (date(2026, 5, 3), date(2026, 5, 9), 7)


def test_the_period_sentence_in_reporting_days(events: Store) -> None:
    summary = period_summary(events.conn, IncidentFilter(), FIRST, LAST, tz=KYIV, cutoff=time(19, 30))
    # E (19:45 on the 16th) moves out to the 17th; K (19:40 on the 9th) moves in to the 10th.
    assert summary.sentence == (
        "21 ceasefire violations, including 11 explosions (3 impacts, 3 airbursts, 5 outgoing); "
        "in the previous period, 2 ceasefire violations, including 1 explosion."
    )
    assert "reporting days ending at 19:30 Europe/Kyiv" in summary.period_line


def test_lines_per_zone_and_per_sector(events: Store) -> None:
    by_zone = period_summary(events.conn, IncidentFilter(), FIRST, LAST, tz=KYIV, by="zone")
    lines = {area.area_id: area.line for area in by_zone.areas}
    assert list(lines) == ["BEYOND", "CENTRE", "EAST", "NORTH", "SOUTH", "WEST"]
    assert lines["EAST"] == (
        "EAST (East): 6 ceasefire violations, including 6 explosions (3 impacts, 2 airbursts, 1 undetermined); "
        "in the previous period, 2 ceasefire violations, including 1 explosion."
    )
    assert lines["SOUTH"] == (
        "SOUTH (South): 15 ceasefire violations, including 5 explosions (5 outgoing); "
        "in the previous period, 1 ceasefire violation, including 1 explosion."
    )
    assert (
        lines["CENTRE"] == "CENTRE (Centre): no ceasefire violations; in the previous period, no ceasefire violations."
    )

    by_sector = period_summary(events.conn, IncidentFilter(), FIRST, LAST, tz=KYIV, by="sector")
    sectors = {area.area_id: area.line for area in by_sector.areas}
    assert list(sectors)[-1] is None and len(sectors) == 11
    assert sectors["DMZ-09"] == (
        "DMZ-09 (DMZ sector 9 (Nova Kakhovka)): 5 ceasefire violations, including 5 explosions (5 outgoing); "
        "in the previous period, 1 ceasefire violation, including 1 explosion."
    )
    assert sectors[None] == (
        "Outside the DMZ sectors: 10 ceasefire violations, including no explosions; "
        "in the previous period, no ceasefire violations."
    )
    only = period_summary(events.conn, IncidentFilter(sector_ids=("DMZ-04",)), FIRST, LAST, tz=KYIV, by="sector")
    assert [a.area_id for a in only.areas] == ["DMZ-04"]
    assert only.sentence.startswith("6 ceasefire violations, including 6 explosions")


def test_singular_plural_and_zero() -> None:
    assert Tally(1, (1, 0, 0, 0)).phrase() == "1 ceasefire violation, including 1 explosion (1 impact)"
    assert Tally(2, (0, 1, 0, 0)).phrase() == "2 ceasefire violations, including 1 explosion (1 airburst)"
    assert Tally(1, (0, 0, 1, 0)).phrase() == "1 ceasefire violation, including 1 explosion (1 outgoing)"
    assert Tally(1234, (0, 0, 0, 2)).phrase() == "1,234 ceasefire violations, including 2 explosions (2 undetermined)"
    assert Tally(7).phrase() == "7 ceasefire violations, including no explosions"
    assert Tally().phrase() == "no ceasefire violations"
    assert sentence(Tally(), Tally()) == "no ceasefire violations; in the previous period, no ceasefire violations."
    assert sentence(Tally(1, (1, 0, 0, 0)), Tally(5, (2, 0, 3, 0))) == (
        "1 ceasefire violation, including 1 explosion (1 impact); "
        "in the previous period, 5 ceasefire violations, including 5 explosions."
    )


def test_an_empty_period_reads_as_a_sentence(events: Store) -> None:
    summary = period_summary(events.conn, IncidentFilter(), date(2026, 1, 1), date(2026, 1, 31), tz=KYIV)
    assert summary.sentence == "No ceasefire violations; in the previous period, no ceasefire violations."
    assert summary.change_line == "Change: ceasefire violations unchanged; explosions unchanged."


def test_the_text_for_an_email(events: Store) -> None:
    text = period_summary(events.conn, IncidentFilter(), FIRST, LAST, tz=KYIV, by="zone").as_text()
    lines = text.splitlines()
    assert lines[0].startswith("21 ceasefire violations, including 11 explosions")
    assert lines[1] == (
        "Period: 2026-05-10 to 2026-05-16 (7 days, local days in Europe/Kyiv); "
        "previous period: 2026-05-03 to 2026-05-09."
    )
    assert lines[2] == "Change: ceasefire violations up 18 (+600%); explosions up 9 (+450%)."
    assert lines[3:5] == ["", "By zone, ranked by the change in ceasefire violations:"]
    assert lines[5:9] == [
        "1. SOUTH (South): 15 (previous 1), up 14 (+1400%), escalated",
        "2. EAST (East): 6 (previous 2), up 4 (+200%)",
        "Escalated: SOUTH.",
        "No ceasefire violations in either period: BEYOND, CENTRE, NORTH, WEST.",
    ]
    assert lines[10] == "Each zone:" and lines[11].startswith("BEYOND (Beyond the contact line): no ceasefire")
    assert text.endswith("\n") and "\t" not in text


def test_running_total_since_a_chosen_date(events: Store) -> None:
    total = running_total(events.conn, IncidentFilter(), date(2026, 5, 1), LAST, KYIV)
    # J 2 + H 1 + I 1 + K 1 + the period's 21; explosions J, I, K, A, B, C, E.
    assert total.tally == Tally(26, (4, 5, 5, 1))
    assert total.line("Ceasefire in force") == (
        "Since 2026-05-01 (Ceasefire in force), to 2026-05-16: 26 ceasefire violations, "
        "including 15 explosions (4 impacts, 5 airbursts, 5 outgoing, 1 undetermined)."
    )
    assert (
        running_total(events.conn, IncidentFilter(), LAST + timedelta(days=2), date(2026, 6, 1), KYIV).tally == Tally()
    )


def test_filters_the_rollups_cannot_express_give_the_same_counts(events: Store) -> None:
    """Text search is answered from incidents; every narrative says "heard", so nothing changes."""
    for by in (None, "zone", "sector"):
        for cutoff in (None, time(19, 30)):
            fast = period_summary(events.conn, IncidentFilter(), FIRST, LAST, tz=KYIV, by=by, cutoff=cutoff)  # type: ignore[arg-type]
            slow = period_summary(events.conn, IncidentFilter(text="heard"), FIRST, LAST, tz=KYIV, by=by, cutoff=cutoff)  # type: ignore[arg-type]
            assert fast == slow
    explosions = period_summary(events.conn, IncidentFilter(text="explosion"), FIRST, LAST, tz=KYIV)
    assert explosions.current == Tally(11, (3, 2, 5, 1))
    conflicts = period_summary(events.conn, IncidentFilter(conflicts_only=True), FIRST, LAST, tz=KYIV)
    assert conflicts.current == Tally() and conflicts.previous == Tally()


def test_a_period_that_ends_before_it_starts_is_refused(events: Store) -> None:
    with pytest.raises(ValueError, match="before it starts"):
        period_summary(events.conn, IncidentFilter(), LAST, FIRST, tz=KYIV)
