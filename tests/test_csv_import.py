"""CSV import: lossless round trip, idempotence, conflicts instead of overwrites, and every refusal changing nothing."""

import csv
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import save, valid_raw, version_count

from db.csv_io.columns import NATIVE_COLUMNS
from db.csv_io.export import export_csv
from db.csv_io.importing import MAX_LINE_CHARS, CsvImportError, ImportCancelled, import_csv
from db.model.validation import validate_incident
from db.records.incidents import amend_incident, get_incident, incident_history, record_incidents, resolve_conflict
from db.records.monitors import add_monitor
from db.records.queries import IncidentFilter
from db.storage.integrity import check_database
from db.storage.store import Store, open_store
from db.storage.versions import Writer


def export_all(store: Store, path: Path) -> Path:
    export_csv(store.conn, IncidentFilter(), path, tz=store.tz)
    return path


def run_import(store: Store, writer: Writer, path: Path, *, dry_run: bool = False):  # type: ignore[no-untyped-def]
    return import_csv(store.conn, writer, path, theatre=store.theatre, calendar=store.calendar, dry_run=dry_run)


def incident_count(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0])


def other_store(tmp_path: Path) -> tuple[Store, Writer]:
    store = open_store(tmp_path / "elsewhere")
    person = add_monitor(store.conn, "Olena Koval", "KOVA", "supervisor")
    return store, store.writer(person.monitor_id)


# -- round trip ------------------------------------------------------------------------------------

ALPHABET = (
    list("abcXYZ019 ,.;:!?\"'()[]{}")
    + list("ЙцукенҐєїіЁЪЫэ")  # Cyrillic, Ukrainian letters included
    + list("Ἀλφαالعربيةעבר中文")  # mixed scripts, right-to-left among them
    + ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u200e"]  # bidi controls
    + ["e\u0301", "\u0439", "\u0438\u0306"]  # NFD input (é, й written as и + breve)
    + ["=", "+", "-", "@", "'", "\t"]
)
line_text = st.lists(st.sampled_from([c for c in ALPHABET if c != "\t"]), max_size=40).map("".join)
narratives = st.lists(st.sampled_from([*ALPHABET, "\n", "\r\n", "\r"]), max_size=120).map("".join)
triggered = st.tuples(st.sampled_from(["", "=", "+", "-", "@", "'", "''", "=HYPERLINK(", "@SUM("]), line_text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(
        st.tuples(triggered, triggered, triggered, st.tuples(st.sampled_from(["", "=", "-", "'"]), narratives)),
        min_size=1,
        max_size=4,
    )
)
def test_round_trip_reproduces_every_field_and_id(
    texts: list[tuple[tuple[str, str], ...]], store: Store, writer: Writer
) -> None:
    incidents = []
    for (p0, p1), (a0, a1), (b0, b1), (n0, n1) in texts:
        raw = valid_raw(place=p0 + p1, actor1=a0 + a1, actor2=b0 + b1, narrative=n0 + n1)
        if not (raw["actor1"] or "").strip():
            raw["actor1"] = None
        incidents.append(validate_incident(raw, theatre=store.theatre))
    with tempfile.TemporaryDirectory(prefix="csv-round-trip-") as scratch:
        directory = Path(scratch)
        saved = record_incidents(store.conn, writer, incidents, store.calendar)
        out = export_all(store, directory / "export.csv")
        with out.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) >= len(saved)
        target, importer = other_store(directory)
        try:
            summary = run_import(target, importer, out)
            assert summary.problem_count == 0 and summary.added == len(rows)
            for item in saved:
                original = get_incident(store.conn, item.incident_id).incident
                copy = get_incident(target.conn, item.incident_id).incident
                assert copy == original
                assert unicodedata.is_normalized("NFC", copy.narrative)
            again = run_import(target, importer, out)
            assert (again.added, again.present, again.conflicting) == (0, len(rows), 0)
        finally:
            target.close()


def test_import_is_recorded_as_a_version_by_the_importer(store: Store, writer: Writer, tmp_path: Path) -> None:
    saved = save(store, writer)
    out = export_all(store, tmp_path / "mission.csv")
    target, importer = other_store(tmp_path)
    try:
        summary = run_import(target, importer, out)
        assert summary.as_text().startswith("mission.csv: 1 row; added 1; 0 already present")
        history = incident_history(target.conn, saved.incident_id)
        assert len(history) == 1
        assert history[0].version.reason == "imported from mission.csv"
        assert history[0].version.author_id == importer.author_id
        assert history[0].version.device_id == importer.device_id
    finally:
        target.close()


def test_reimport_adds_nothing(store: Store, writer: Writer, tmp_path: Path) -> None:
    for count in (1, 2, 3):
        save(store, writer, count=count)
    out = export_all(store, tmp_path / "all.csv")
    before = version_count(store)
    summary = run_import(store, writer, out)
    assert (summary.rows, summary.added, summary.present, summary.conflicting) == (3, 0, 3, 0)
    assert version_count(store) == before


def test_changed_row_becomes_a_conflict_never_an_overwrite(store: Store, writer: Writer, tmp_path: Path) -> None:
    saved = save(store, writer, count=12)
    out = export_all(store, tmp_path / "old.csv")
    changed = validate_incident(valid_raw(count=30), theatre=store.theatre)
    amend_incident(store.conn, writer, saved.incident_id, changed, "recount", store.calendar)
    summary = run_import(store, writer, out)
    assert (summary.added, summary.present, summary.conflicting) == (0, 0, 1)
    record = get_incident(store.conn, saved.incident_id)
    assert record.heads == 2 and record.in_conflict
    contents = {entry.version.incident().count for entry in incident_history(store.conn, saved.incident_id)}
    assert contents == {12, 30}  # both kept
    # Importing the same file again finds the imported head: nothing more.
    assert run_import(store, writer, out).present == 1
    report = check_database(store.conn, store.calendar)  # hashes, chains, projection = versions
    assert report.ok, report.problems
    judge = store.writer(add_monitor(store.conn, "Ingrid Solberg", "SOLB", "supervisor").monitor_id)
    resolve_conflict(store.conn, judge, saved.incident_id, changed, "kept the recount", store.calendar)
    assert get_incident(store.conn, saved.incident_id).heads == 1


def test_dry_run_previews_and_writes_nothing(store: Store, writer: Writer, tmp_path: Path) -> None:
    save(store, writer)
    out = export_all(store, tmp_path / "one.csv")
    target, importer = other_store(tmp_path)
    try:
        preview = run_import(target, importer, out, dry_run=True)
        assert (preview.dry_run, preview.rows, preview.added, preview.ok) == (True, 1, 1, True)
        assert "would add 1" in preview.as_text()
        assert incident_count(target) == 0
    finally:
        target.close()


# -- refusals: each one names the place and changes nothing ----------------------------------------


@pytest.fixture
def exported(store: Store, writer: Writer, tmp_path: Path) -> Path:
    save(store, writer)
    save(store, writer, count=3)
    return export_all(store, tmp_path / "good.csv")


HEADER = (",".join(NATIVE_COLUMNS) + "\r\n").encode()


def read_raw(path: Path) -> str:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return handle.read()


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def refused(store: Store, writer: Writer, path: Path, match: str) -> CsvImportError:
    before = (version_count(store), incident_count(store))
    with pytest.raises(CsvImportError, match=match) as caught:
        run_import(store, writer, path)
    assert (version_count(store), incident_count(store)) == before
    return caught.value


def test_bad_value_names_line_column_value_and_reason(
    store: Store, writer: Writer, exported: Path, tmp_path: Path
) -> None:
    rows = rows_of(exported)
    header = rows[0]
    rows[2][header.index("count")] = "0"
    rows[1][header.index("category")] = "picnic"
    rows[1][header.index("incident_id")] = "01a2128a-daed-7611-a47e-ae55978d9a87"  # new id: would be added
    error = refused(store, writer, write_rows(tmp_path / "bad.csv", rows), "nothing was imported")
    problems = [(p.line, p.column, p.value) for p in error.summary.problems]
    assert problems == [(2, "category", "picnic"), (3, "count", "0")]
    assert "must be between 1 and" in error.summary.problems[1].reason
    assert str(error.summary.problems[0]).startswith("line 2, column category: 'picnic' is not one of")
    preview = run_import(store, writer, tmp_path / "bad.csv", dry_run=True)
    assert preview.problem_count == 2 and not preview.ok


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "line 1: the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "line 1: the file is not (UTF-8 )?CSV text"),
        (HEADER + "x,Київ\n".encode("cp1251"), "line 2: the file is not UTF-8 CSV text"),
        (b"name,age\nann,3\n", "missing columns: incident_id, observed_start.*unknown columns: name, age"),
        (
            b"event_id_cnty,event_date,year\nUKR1,2026-01-01,2026\n",
            "this is an ACLED-format file, which is for analysis only",
        ),
        (b"a" * (MAX_LINE_CHARS + 10) + b"\n", f"line 1: the line is longer than {MAX_LINE_CHARS:,}"),
    ],
)
def test_files_that_are_not_native_csv_are_refused(
    store: Store, writer: Writer, exported: Path, tmp_path: Path, content: bytes, match: str
) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    refused(store, writer, path, match)


def test_missing_and_unknown_columns_are_named(store: Store, writer: Writer, exported: Path, tmp_path: Path) -> None:
    rows = rows_of(exported)
    drop = rows[0].index("narrative")
    rows = [[cell for i, cell in enumerate(row) if i != drop] + ["x"] for row in rows]
    rows[0][-1] = "secret"
    refused(
        store, writer, write_rows(tmp_path / "cols.csv", rows), "missing columns: narrative; unknown columns: secret"
    )


def test_row_shape_duplicates_ids_and_quotes(store: Store, writer: Writer, exported: Path, tmp_path: Path) -> None:
    rows = rows_of(exported)
    rows.append(rows[1])  # the same incident twice
    rows.append(rows[1][:5])  # a short row
    error = refused(store, writer, write_rows(tmp_path / "shape.csv", rows), "nothing was imported")
    reasons = [(p.line, p.reason) for p in error.summary.problems]
    assert (4, "appears twice in the file (first on line 2)") in reasons
    assert (5, f"has 5 cells where the header has {len(rows[0])}") in reasons
    text = read_raw(exported)
    broken = tmp_path / "quotes.csv"
    broken.write_text(text.replace('"Торецьк"', '"Торецьк"x', 1), encoding="utf-8")
    refused(store, writer, broken, "line 2: is not valid CSV")


def test_huge_multiline_cell_is_refused(store: Store, writer: Writer, exported: Path, tmp_path: Path) -> None:
    text = read_raw(exported)
    header, first = text.split("\r\n")[:2]
    huge = tmp_path / "huge.csv"
    huge.write_text(header + "\r\n" + first.replace('"Торецьк"', '"' + "long line\n" * 20_000 + '"'), encoding="utf-8")
    refused(store, writer, huge, "a cell is longer than 131,072 characters")


def test_trailing_problem_rolls_back_rows_already_written(
    store: Store, writer: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("db.csv_io.importing.BATCH", 2)  # the first rows are written before the bad one is read
    for count in range(1, 6):
        save(store, writer, count=count)
    rows = rows_of(export_all(store, tmp_path / "five.csv"))
    target, importer = other_store(tmp_path)
    try:
        rows[5][rows[0].index("observed_start")] = "yesterday"
        error = refused(target, importer, write_rows(tmp_path / "late.csv", rows), "line 6, column observed_start")
        assert error.summary.problem_count == 1
        assert incident_count(target) == 0
    finally:
        target.close()


def test_cancel_imports_nothing(store: Store, writer: Writer, exported: Path, tmp_path: Path) -> None:
    target, importer = other_store(tmp_path)
    try:
        with pytest.raises(ImportCancelled):
            import_csv(
                target.conn,
                importer,
                exported,
                theatre=target.theatre,
                calendar=target.calendar,
                progress=lambda done, total: False,
            )
        assert incident_count(target) == 0
    finally:
        target.close()
