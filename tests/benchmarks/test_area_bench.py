"""The incident table under the map's area filter on a million incidents (issue 16).

A rectangle dragged on the map filters the table: it counts the rows, shows a page, and finds the
selected incident's row. Before m007 each count read every row of ``incidents`` (its map position
is an expression over four columns); now the counts and the small areas' pages come from the index
``incidents_map_position``. The budget is the table's first paint (DESIGN.md §10): count and first
page together. Jumps and positions far down a large area are printed, not budgeted.
"""

from pathlib import Path

from benchutil import report, timed

from db.records.queries import Area, IncidentFilter, count_incidents, page_incidents, position_of
from db.storage.store import open_store

# The table's first-paint budget: a new filter must feel like opening the table.
COUNT_AND_PAGE_BUDGET_MS = 150.0
AREAS = {
    "one observation post": Area(48.38, 37.66, 48.44, 37.74),
    "Toretsk and around": Area(48.2, 37.4, 48.7, 38.2),
    "half the contact line": Area(47.8, 37.0, 49.0, 39.0),
}


def test_area_filtered_count_and_page(million: Path) -> None:
    store = open_store(million)
    rows: list[tuple[str, str]] = []
    slowest = 0.0
    try:
        conn = store.conn
        for name, area in AREAS.items():
            flt = IncidentFilter(area=area)
            matching = count_incidents(conn, flt)
            count_ms, _ = timed(lambda: count_incidents(conn, flt))  # noqa: B023 (called at once)
            page_ms, _ = timed(lambda: page_incidents(conn, flt, matching=matching))  # noqa: B023
            by_count_ms, _ = timed(lambda: page_incidents(conn, flt, sort="count", matching=matching))  # noqa: B023
            oldest = page_incidents(conn, flt, descending=False, limit=1)[0].record.incident_id
            position_ms, _ = timed(lambda: position_of(conn, flt, oldest, matching=matching))  # noqa: B023
            assert position_of(conn, flt, oldest, matching=matching) == matching - 1
            middle_ms, _ = timed(lambda: page_incidents(conn, flt, offset=matching // 2, matching=matching))  # noqa: B023
            slowest = max(slowest, count_ms + page_ms)
            rows.append(
                (
                    f"{name} ({matching:,} incidents)",
                    f"count {count_ms:.1f} ms, first page by time {page_ms:.1f} ms, by count {by_count_ms:.1f} ms; "
                    f"row of the oldest {position_ms:.1f} ms; jump to the middle {middle_ms:.1f} ms",
                )
            )
    finally:
        store.close()
    report("Area filter on the incident table, p50 of 7 (count, pages, a row's position)", rows)
    assert slowest < COUNT_AND_PAGE_BUDGET_MS
