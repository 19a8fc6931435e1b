"""The incident table's unfiltered count, kept in ``incident_count`` by triggers (schema step m009).

What the table shows as its number of rows must be the number of rows, whichever way incidents
arrive (a save, an amendment, a CSV import, a bundle merged with a conflict, a rebuilt projection),
and a count that was made wrong behind Truceline's back is damage that ``truceline check`` names
and a rebuild mends.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from laptops import Laptop, laptops_named
from support import make_conflict, save, valid_raw

from db.csv_io.export import export_csv
from db.csv_io.importing import import_csv
from db.model.validation import validate_incident
from db.records.incidents import amend_incident, record_incidents
from db.records.queries import IncidentFilter, count_incidents
from db.storage import projection
from db.storage.connection import transaction
from db.storage.integrity import check_database
from db.storage.projection import kept_incident_count, rebuild_projection
from db.storage.store import Store, open_store
from db.storage.versions import Writer
from desktop.cli.main import main as cli_main


def rows(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0])


def shown(store: Store) -> int:
    """What the incident table shows unfiltered (its row count)."""
    return count_incidents(store.conn, IncidentFilter())


def test_the_count_follows_saves_amendments_conflicts_and_a_rebuild(store: Store, writer: Writer) -> None:
    assert shown(store) == 0
    first = save(store, writer, count=3)
    save(store, writer, count=4)
    assert shown(store) == rows(store) == 2
    amend_incident(
        store.conn,
        writer,
        first.incident_id,
        validate_incident(valid_raw(count=5), theatre=store.theatre),
        "recounted",
        store.calendar,
    )
    assert shown(store) == rows(store) == 2  # an amendment changes a row, it adds none
    batch = [validate_incident(valid_raw(count=n), theatre=store.theatre) for n in range(1, 6)]
    record_incidents(store.conn, writer, batch, store.calendar)
    assert shown(store) == rows(store) == 7
    make_conflict(store, writer, first)
    assert shown(store) == rows(store) == 7
    with transaction(store.conn):
        assert rebuild_projection(store.conn, store.calendar) == 7
    assert shown(store) == rows(store) == 7
    assert check_database(store.conn, store.calendar).ok


def test_a_save_that_fails_after_its_row_was_written_leaves_the_count_as_it_was(
    store: Store, writer: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(store, writer)

    def fail(conn: object) -> None:
        assert shown(store) == 2  # the row and its count are in, not yet committed
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(projection, "refresh_rollups", fail)
    with pytest.raises(RuntimeError, match="disk filled up"):
        save(store, writer)
    assert shown(store) == rows(store) == 1


def test_the_count_follows_a_csv_import_and_its_repetition(store: Store, writer: Writer, tmp_path: Path) -> None:
    for n in range(4):
        save(store, writer, count=n + 1)
    path = tmp_path / "all.csv"
    export_csv(store.conn, IncidentFilter(), path, tz=store.tz)
    other = open_store(tmp_path / "elsewhere")
    try:
        other_writer = other.writer(writer.author_id)
        import_csv(other.conn, other_writer, path, theatre=other.theatre, calendar=other.calendar)
        assert shown(other) == rows(other) == 4
        import_csv(other.conn, other_writer, path, theatre=other.theatre, calendar=other.calendar)
        assert shown(other) == rows(other) == 4  # the same incidents again: nothing new
    finally:
        other.close()


@pytest.fixture
def laptops(tmp_path: Path) -> Iterator[dict[str, Laptop]]:
    with laptops_named(tmp_path, "hart", "kova", "supervisor") as made:
        yield made


def test_the_count_follows_bundles_merged_with_a_conflict(laptops: dict[str, Laptop]) -> None:
    hart, kova, sup = laptops["hart"], laptops["kova"], laptops["supervisor"]
    shared = hart.record(count=2)
    hart.record(count=3)
    kova.receive(hart.export())
    assert shown(kova.store) == 2
    kova.record(count=7)
    hart.amend(shared.incident_id, "recounted by hart", count=4)
    kova.amend(shared.incident_id, "recounted by kova", count=5)

    sup.receive(hart.export(everything=True))
    sup.receive(kova.export(everything=True))
    assert shown(sup.store) == rows(sup.store) == 3  # the incident both amended is one row, in conflict
    assert count_incidents(sup.store.conn, IncidentFilter(conflicts_only=True)) == 1
    sup.receive(hart.export(everything=True))  # again: duplicates only
    assert shown(sup.store) == rows(sup.store) == 3
    assert check_database(sup.store.conn, sup.store.calendar).ok


KEPT = "the incident count kept for the table"


@pytest.mark.parametrize(
    ("corrupt", "said"),
    [
        ("UPDATE incident_count SET incidents = 0", f"{KEPT} says 0, but the incidents table holds 3"),
        ("UPDATE incident_count SET incidents = 1000", f"{KEPT} says 1,000, but the incidents table holds 3"),
        ("DELETE FROM incident_count", f"{KEPT} is missing (the incidents table holds 3)"),
    ],
)
def test_a_wrong_count_is_damage_that_check_names_and_a_rebuild_mends(
    store: Store, writer: Writer, data_dir: Path, capsys: pytest.CaptureFixture[str], corrupt: str, said: str
) -> None:
    for n in range(3):
        save(store, writer, count=n + 1)
    store.conn.execute(corrupt)  # behind Truceline's back, as a tool editing the file would

    report = check_database(store.conn, store.calendar)
    assert [p.what for p in report.damage] == [said]
    assert shown(store) == (3 if kept_incident_count(store.conn) is None else kept_incident_count(store.conn))
    store.close()
    assert cli_main(["--data-dir", str(data_dir), "check"]) == 1
    assert said in capsys.readouterr().out

    mended = open_store(data_dir)
    try:
        with transaction(mended.conn):
            rebuild_projection(mended.conn, mended.calendar)  # counts down from the table, not from the wrong count
        assert kept_incident_count(mended.conn) == shown(mended) == rows(mended) == 3
        assert check_database(mended.conn, mended.calendar).ok
    finally:
        mended.close()
