"""The incident table model, tested without any view: counts, cells, keyset pages, sorts, positions."""

import random
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush
from PySide6.QtTest import QAbstractItemModelTester
from support import valid_raw

from db.model import enums
from db.model.incident import Incident
from db.model.validation import validate_incident
from db.records import queries
from db.records.incidents import amend_incident, record_incident, record_incidents
from db.records.queries import IncidentFilter, count_incidents
from desktop.incidents.table_model import (
    COL_CATEGORY,
    COL_COUNT,
    COL_MEANS,
    COL_OBSERVED,
    COL_PLACE,
    COL_REF,
    COL_SECTOR,
    COL_STATE,
    COL_TYPE,
    COL_WEAPON,
    COL_ZONE,
    COLUMNS,
    INCIDENT_ID_ROLE,
    SORT_FIELDS,
    SORT_KEY_ROLE,
    IncidentTableModel,
)

ZONES = ("WEST", "NORTH", "CENTRE", "SOUTH", "EAST")
SECTORS = (None, "DMZ-01", "DMZ-04", "DMZ-10")
CATEGORIES = tuple(enums.CATEGORY)
OBS_TYPES = tuple(enums.OBS_TYPE)
WEAPONS = tuple(enums.WEAPON_CLASS)
MEANS = tuple(enums.MEANS)
STATES = tuple(enums.VERIFICATION_STATE)
DISPLAY = Qt.ItemDataRole.DisplayRole
ASC, DESC = Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder
N = 61  # not a multiple of the small page size, so the last page is short


def varied(n: int, theatre) -> list[Incident]:  # type: ignore[no-untyped-def]
    """``n`` incidents that differ in every sortable column, with ties and empty sectors and places."""
    out = []
    for i in range(n):
        obs_type = OBS_TYPES[i % len(OBS_TYPES)]
        minute = i // 3  # three incidents share each time, so ties are broken by the next key
        out.append(
            validate_incident(
                valid_raw(
                    observed_start=f"2026-03-{1 + minute % 28:02d}T{minute % 24:02d}:{minute % 60:02d}:00Z",
                    observed_end=None,
                    zone_id=ZONES[i % len(ZONES)],
                    sector_id=SECTORS[i % len(SECTORS)],
                    category=CATEGORIES[i % len(CATEGORIES)],
                    obs_type=obs_type,
                    explosion_kind="impact" if obs_type == "explosion" else None,
                    weapon_class=WEAPONS[i % len(WEAPONS)],
                    count=1 + (i * 37) % 11,
                    means=MEANS[i % len(MEANS)],
                    verification_state=STATES[i % len(STATES)],
                    place=None if i % 6 == 0 else f"Place {i % 13:02d}",
                    narrative=f"entry {i}" + (" Shahed overhead" if i % 5 == 0 else ""),
                ),
                theatre=theatre,
            )
        )
    return out


@pytest.fixture
def many(store, supervisor):  # type: ignore[no-untyped-def]
    # Reviewed states are a supervisor's decisions (db/records/roles.py).
    record_incidents(store.conn, store.writer(supervisor.monitor_id), varied(N, store.theatre), store.calendar)
    return N


def expected_ids(store, sort: str, descending: bool, where: str = "1", params: tuple = ()) -> list[str]:  # type: ignore[no-untyped-def]
    """The order the table must show, by a plain ORDER BY over every row."""
    direction = "DESC" if descending else "ASC"
    ties = {"observed_start": ["rowid"], "ref": []}.get(sort, ["observed_start", "rowid"])
    order = ", ".join(f"{column} {direction}" for column in [sort, *ties])
    sql = f"SELECT incident_id FROM incidents WHERE {where} ORDER BY {order}"
    return [row[0] for row in store.conn.execute(sql, params)]


def shown_ids(model: IncidentTableModel, rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [model.record_at(row).incident_id for row in rows]  # type: ignore[union-attr]


def small(store) -> IncidentTableModel:  # type: ignore[no-untyped-def]
    return IncidentTableModel(store, page_size=7, cache_pages=3)


def test_row_count_is_the_filtered_count(qapp, store, many) -> None:  # type: ignore[no-untyped-def]
    model = IncidentTableModel(store)
    assert model.rowCount() == count_incidents(store.conn, IncidentFilter()) == N
    assert model.columnCount() == len(COLUMNS) == 11
    assert model.rowCount(model.index(0, 0)) == 0  # a table: no children
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(COLUMNS))] == [c.title for c in COLUMNS]


def test_cells_show_labels_and_local_time(qapp, store, writer) -> None:  # type: ignore[no-untyped-def]
    raw = valid_raw(sector_id="DMZ-04", zone_id="EAST", count_qualifier="approx")
    saved = record_incident(store.conn, writer, validate_incident(raw, theatre=store.theatre), store.calendar)
    model = IncidentTableModel(store)
    cells = [model.data(model.index(0, column)) for column in range(len(COLUMNS))]
    assert cells == [
        saved.ref,
        "2026-05-02 00:15",  # 21:15 UTC is a quarter past midnight in Kyiv (UTC+3 in summer)
        "EAST",
        "DMZ-04",
        "Fire (ceasefire violation)",
        "Explosion",
        "Mortar",
        "~12",
        "Heard and seen",
        "Submitted",
        "Торецьк",
    ]
    model.set_display_tz(ZoneInfo("UTC"))
    assert model.data(model.index(0, COL_OBSERVED)) == "2026-05-01 21:15"
    assert model.data(model.index(0, COL_OBSERVED), SORT_KEY_ROLE) == "2026-05-01T21:15:00Z"
    assert model.data(model.index(0, COL_CATEGORY), SORT_KEY_ROLE) == "fire"
    assert model.data(model.index(0, COL_COUNT), SORT_KEY_ROLE) == 12
    assert model.data(model.index(0, COL_REF), INCIDENT_ID_ROLE) == saved.incident_id
    assert model.data(model.index(0, COL_COUNT), Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert model.data(model.index(0, COL_ZONE), Qt.ItemDataRole.ToolTipRole) == "East"
    assert model.data(model.index(0, COL_SECTOR), Qt.ItemDataRole.ToolTipRole) == "DMZ sector 4 (Toretsk)"
    place_tip = model.data(model.index(0, COL_PLACE), Qt.ItemDataRole.ToolTipRole)
    assert place_tip.startswith("Торецьк\nTwelve impacts heard and seen")
    assert model.data(model.index(0, COL_REF), Qt.ItemDataRole.BackgroundRole) is None
    assert model.data(model.index(1, 0)) is None and model.data(QModelIndex()) is None


@pytest.mark.parametrize(
    "column", [COL_OBSERVED, COL_REF, COL_ZONE, COL_SECTOR, COL_CATEGORY, COL_COUNT, COL_PLACE, COL_STATE]
)
@pytest.mark.parametrize("order", [ASC, DESC])
def test_every_way_through_the_pages_gives_the_sql_order(qapp, store, many, column, order) -> None:  # type: ignore[no-untyped-def]
    expected = expected_ids(store, SORT_FIELDS[column], order == DESC)
    forward = small(store)
    forward.sort(column, order)
    assert shown_ids(forward, range(N)) == expected
    backward = small(store)
    backward.sort(column, order)
    assert shown_ids(backward, reversed(range(N))) == expected[::-1]
    # Jumps with no neighbouring page cached: the last row, the middle, and page edges (7 ± 1).
    for row in (N - 1, N // 2, 0, 6, 7, 8, 13, 14, 27, 28, N - 2, 34):
        jumper = small(store)
        jumper.sort(column, order)
        assert jumper.record_at(row).incident_id == expected[row], row  # type: ignore[union-attr]
    shuffled = list(range(N))
    random.Random(column).shuffle(shuffled)
    scattered = small(store)
    scattered.sort(column, order)
    assert shown_ids(scattered, shuffled) == [expected[row] for row in shuffled]


@pytest.mark.parametrize("order", [ASC, DESC])
@pytest.mark.parametrize("flt", [IncidentFilter(), IncidentFilter(categories=("fire",), zone_ids=("SOUTH", "EAST"))])
def test_long_jumps_in_time_order_skip_by_time(qapp, store, many, monkeypatch, order, flt) -> None:  # type: ignore[no-untyped-def]
    # On a real database only skips of over 10,000 rows take this path; here every skip does.
    monkeypatch.setattr(queries, "_LONG_SKIP", 0)
    where, params = queries.where_clause(flt)
    expected = expected_ids(store, "observed_start", order == DESC, where, tuple(params))
    for row in range(len(expected)):
        jumper = small(store)
        jumper.set_filter(flt)
        jumper.sort(COL_OBSERVED, order)
        assert jumper.record_at(row).incident_id == expected[row], row  # type: ignore[union-attr]


def test_default_page_size_boundaries(qapp, store, supervisor) -> None:  # type: ignore[no-untyped-def]
    writer = store.writer(supervisor.monitor_id)  # reviewed states are a supervisor's (db/records/roles.py)
    total = 450
    record_incidents(store.conn, writer, varied(total, store.theatre), store.calendar)
    expected = expected_ids(store, "observed_start", True)
    for rows in ([0, 199, 200, 201, 449], [449, 200, 199, 0], [225, 224, 399, 400, 401, 1]):
        model = IncidentTableModel(store)
        assert shown_ids(model, rows) == [expected[row] for row in rows]
    assert model.record_at(total) is None and model.record_at(-1) is None


def test_sorting_changes_the_order_and_ignores_what_cannot_sort(qapp, qtbot, store, many) -> None:  # type: ignore[no-untyped-def]
    model = IncidentTableModel(store)
    assert model.current_sort() == ("observed_start", True)
    newest = model.record_at(0)
    with qtbot.waitSignal(model.modelReset):
        model.sort(COL_OBSERVED, ASC)
    assert model.record_at(N - 1) == newest
    for column, field in ((COL_TYPE, "obs_type"), (COL_WEAPON, "weapon_class"), (COL_MEANS, "means")):
        model.sort(column, DESC)
        assert model.current_sort() == (field, True)
        values = [model.data(model.index(row, column), SORT_KEY_ROLE) for row in range(N)]
        assert values == sorted(values, reverse=True)
    model.sort(99, ASC)
    assert model.current_sort() == ("means", True)


def test_a_filter_change_resets_and_recounts(qapp, qtbot, store, many) -> None:  # type: ignore[no-untyped-def]
    model = small(store)
    model.record_at(40)
    fire = IncidentFilter(categories=("fire",))
    with qtbot.waitSignal(model.modelReset), qtbot.waitSignal(model.countChanged) as counted:
        model.set_filter(fire)
    assert counted.args == [count_incidents(store.conn, fire)]
    assert model.current_filter() == fire
    assert model.rowCount() == count_incidents(store.conn, fire) == 7
    expected = expected_ids(store, "observed_start", True, "category = ?", ("fire",))
    assert shown_ids(model, range(model.rowCount())) == expected
    assert {model.data(model.index(r, COL_CATEGORY)) for r in range(7)} == {"Fire (ceasefire violation)"}
    model.set_filter(IncidentFilter(text="shahed"))
    assert model.rowCount() == 13
    with qtbot.assertNotEmitted(model.modelReset):
        model.set_filter(IncidentFilter(text="shahed"))


def test_refresh_shows_a_new_record(qapp, qtbot, store, writer, many) -> None:  # type: ignore[no-untyped-def]
    model = IncidentTableModel(store)
    model.record_at(0)
    raw = valid_raw(observed_start="2026-04-01T10:00:00Z", observed_end=None, narrative="the newest one")
    saved = record_incident(store.conn, writer, validate_incident(raw, theatre=store.theatre), store.calendar)
    assert model.rowCount() == N  # until told
    with qtbot.waitSignal(model.countChanged) as blocker:
        model.refresh()
    assert blocker.args == [N + 1] and model.rowCount() == N + 1
    # The unfiltered count comes from the row m009's triggers keep: the same as the rows themselves.
    assert store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == N + 1
    assert model.row_of(saved.incident_id) == 0
    assert model.record_at(0).incident_id == saved.incident_id  # type: ignore[union-attr]


def test_an_incident_in_conflict_is_marked(qapp, store, writer) -> None:  # type: ignore[no-untyped-def]
    first = validate_incident(valid_raw(), theatre=store.theatre)
    saved = record_incident(store.conn, writer, first, store.calendar)
    calm = record_incident(
        store.conn, writer, validate_incident(valid_raw(count=2), theatre=store.theatre), store.calendar
    )
    amend_incident(
        store.conn,
        writer,
        saved.incident_id,
        validate_incident(valid_raw(count=13), theatre=store.theatre),
        "recount",
        store.calendar,
    )
    amend_incident(
        store.conn,
        writer,
        saved.incident_id,
        validate_incident(valid_raw(count=14), theatre=store.theatre),
        "recount on another laptop",
        store.calendar,
        base_version_id=saved.version_id,
    )
    model = IncidentTableModel(store)
    row, other = model.row_of(saved.incident_id), model.row_of(calm.incident_id)
    assert row is not None and other is not None
    assert model.data(model.index(row, COL_REF)) == f"⚠ {saved.ref}"
    assert model.data(model.index(row, COL_REF), Qt.ItemDataRole.ToolTipRole) == "2 versions in conflict"
    assert isinstance(model.data(model.index(row, COL_PLACE), Qt.ItemDataRole.BackgroundRole), QBrush)
    assert model.data(model.index(other, COL_REF)) == calm.ref
    assert model.data(model.index(other, COL_PLACE), Qt.ItemDataRole.BackgroundRole) is None


@pytest.mark.parametrize("column", [COL_OBSERVED, COL_REF, COL_SECTOR, COL_COUNT, COL_PLACE])
@pytest.mark.parametrize("order", [ASC, DESC])
def test_row_of_finds_incidents_under_each_sort(qapp, store, many, column, order) -> None:  # type: ignore[no-untyped-def]
    model = IncidentTableModel(store, page_size=7, cache_pages=3)
    model.sort(column, order)
    expected = expected_ids(store, SORT_FIELDS[column], order == DESC)
    for row in (0, 1, 6, 7, 30, N - 2, N - 1):
        assert model.row_of(expected[row]) == row
    model.set_filter(IncidentFilter(zone_ids=("NORTH",)))
    north = expected_ids(store, SORT_FIELDS[column], order == DESC, "zone_id = ?", ("NORTH",))
    assert [model.row_of(incident_id) for incident_id in north] == list(range(len(north)))
    outside = next(i for i in expected if i not in north)
    assert model.row_of(outside) is None
    assert model.row_of("no-such-incident") is None


def test_the_cache_stays_bounded(qapp, store, many) -> None:  # type: ignore[no-untyped-def]
    model = IncidentTableModel(store, page_size=7, cache_pages=3)
    rows = list(range(N)) * 2
    random.Random(3).shuffle(rows)
    for row in rows:
        model.data(model.index(row, COL_PLACE))
        assert model.cached_rows <= 7 * 3
        assert len(model._pages) <= 3
    model.refresh()
    assert model.cached_rows == 0


def test_the_qt_model_tester_finds_nothing_wrong(qapp, store, many) -> None:  # type: ignore[no-untyped-def]
    model = IncidentTableModel(store, page_size=7, cache_pages=3)
    # Warning mode reports through qWarning, which pytest-qt turns into a failure.
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    model.sort(COL_COUNT, ASC)
    model.set_filter(IncidentFilter(categories=("fire",)))
    model.refresh()
    model.set_display_tz(ZoneInfo("UTC"))
    model.set_filter(IncidentFilter(states=("archived",), text="nothing matches this"))
    assert model.rowCount() == 0
    del tester
