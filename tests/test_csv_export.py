"""CSV export: what an analyst opening the file sees, and that a failed export leaves nothing behind."""

import csv
import errno
import os
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import save

from db.core.errors import ValidationError
from db.core.sql_driver import sqlite3
from db.csv_io.acled import ACLED_COLUMNS
from db.csv_io.columns import FORMULA_TRIGGERS, NATIVE_COLUMNS, neutralise, restore, sql_text_cell
from db.csv_io.export import ExportCancelled, ExportFailed, export_csv, offset_changes
from db.model.geo import to_mgrs
from db.records.incidents import get_incident
from db.records.queries import IncidentFilter, count_incidents
from db.storage.store import Store
from db.storage.versions import Writer

NUMBER = r"-?\d+(\.\d+)?"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_native_export_has_every_field_ids_local_time_and_mgrs(store: Store, writer: Writer, tmp_path: Path) -> None:
    saved = save(store, writer, place="=SUM(A1:A9)", narrative='Він сказав: "вогонь", двічі\nпотім тиша')
    out = tmp_path / "report.csv"
    result = export_csv(store.conn, IncidentFilter(), out, tz=store.tz)
    assert result.rows == 1
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads UTF-8
    with out.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert tuple(header) == NATIVE_COLUMNS
    row = read_rows(out)[0]
    record = get_incident(store.conn, saved.incident_id)
    assert row["incident_id"] == saved.incident_id
    assert row["head_version_id"] == saved.version_id
    assert row["ref"] == record.ref
    assert row["observed_start"] == "2026-05-01T21:15:00Z"
    assert row["observed_start_local"] == "2026-05-02T00:15:00+03:00"
    assert row["time_zone"] == "Europe/Kyiv"
    assert row["observer_mgrs"] == to_mgrs(48.4, 37.7)
    assert row["event_mgrs"] == to_mgrs(48.42, 37.8)
    assert row["place"] == "'=SUM(A1:A9)"  # shown as text, never run
    assert row["narrative"] == 'Він сказав: "вогонь", двічі\nпотім тиша'
    assert row["count"] == "12" and row["calibre_mm"] == "120.0" and row["weapon_assessed"] == "true"
    assert row["civ_injured"] == "" and row["actor1"] == ""


def test_no_bom_and_crlf_rows(store: Store, writer: Writer, tmp_path: Path) -> None:
    save(store, writer)
    out = tmp_path / "plain.csv"
    export_csv(store.conn, IncidentFilter(), out, tz=store.tz, bom=False)
    raw = out.read_bytes()
    assert raw.startswith(b"incident_id,")
    assert raw.count(b"\r\n") == 2  # header and one row (RFC 4180 line ends)


def test_local_time_follows_daylight_saving(store: Store, writer: Writer, tmp_path: Path) -> None:
    # Kyiv: UTC+2 in winter, UTC+3 in summer; the clocks went forward on 29 March 2026 at 01:00 UTC.
    for start in ("2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z", "2026-01-10T10:00:00Z"):
        save(store, writer, observed_start=start, observed_end=None)
    out = tmp_path / "dst.csv"
    export_csv(store.conn, IncidentFilter(), out, tz=store.tz)
    local = {row["observed_start"]: row["observed_start_local"] for row in read_rows(out)}
    assert local == {
        "2026-01-10T10:00:00Z": "2026-01-10T12:00:00+02:00",
        "2026-03-29T00:59:59Z": "2026-03-29T02:59:59+02:00",
        "2026-03-29T01:00:00Z": "2026-03-29T04:00:00+03:00",
    }


def test_offset_changes_match_zoneinfo() -> None:
    tz = ZoneInfo("America/St_Johns")  # half-hour offsets, negative
    changes = offset_changes(tz, "2020-06-01T00:00:00Z", "2021-06-01T00:00:00Z")
    for start, offset in changes[1:]:
        moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
        assert moment.astimezone(tz).utcoffset() == offset
    assert len(changes) == 1 + 2 * 4  # 2019 to 2022, two changes a year


def test_rows_follow_the_filter_and_the_count_matches(store: Store, writer: Writer, tmp_path: Path) -> None:
    save(store, writer, observed_start="2026-05-01T10:00:00Z", observed_end=None)
    save(store, writer, observed_start="2026-05-03T10:00:00Z", observed_end=None, category="uav_activity")
    save(store, writer, observed_start="2026-05-05T10:00:00Z", observed_end=None)
    flt = IncidentFilter(start_utc="2026-05-02T00:00:00Z", categories=("fire",))
    out = tmp_path / "some.csv"
    result = export_csv(store.conn, flt, out, tz=store.tz)
    assert result.rows == count_incidents(store.conn, flt) == 1
    assert [row["observed_start"] for row in read_rows(out)] == ["2026-05-05T10:00:00Z"]


def test_acled_columns_in_codebook_order_and_mapping(store: Store, writer: Writer, tmp_path: Path) -> None:
    save(store, writer, civ_killed=2, mil_killed=1, actor1="Party A", attribution="attributed")
    save(store, writer, category="uav_activity", obs_type="none", explosion_kind=None, weapon_class="undetermined")
    out = tmp_path / "acled.csv"
    export_csv(store.conn, IncidentFilter(), out, tz=store.tz, fmt="acled")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == [
        "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
        "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
        "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
        "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
    ]  # fmt: skip
    assert tuple(header) == ACLED_COLUMNS
    fire, uav = sorted(read_rows(out), key=lambda row: row["event_type"])
    assert (fire["disorder_type"], fire["event_type"], fire["sub_event_type"]) == (
        "Political violence",
        "Explosions/Remote violence",
        "Shelling/artillery/missile attack",
    )
    assert (uav["disorder_type"], uav["event_type"]) == ("Strategic developments", "Strategic developments")
    assert fire["event_date"] == "2026-05-02" and fire["year"] == "2026"  # local date in Kyiv
    assert fire["fatalities"] == "3" and fire["actor1"] == "Party A"
    assert fire["latitude"] == "48.42" and fire["longitude"] == "37.8"  # the event, not the observer
    assert fire["location"] == "Торецьк" and fire["geo_precision"] == "2"
    assert "zone=EAST" in fire["tags"] and "sector=DMZ-04" in fire["tags"] and "count=12" in fire["tags"]


def test_cancel_leaves_no_file_and_keeps_an_older_one(store: Store, writer: Writer, tmp_path: Path) -> None:
    save(store, writer)
    out = tmp_path / "report.csv"
    out.write_text("the previous report\n")
    with pytest.raises(ExportCancelled, match="no file was written"):
        export_csv(store.conn, IncidentFilter(), out, tz=store.tz, progress=lambda done, total: done == 0)
    assert out.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "report.csv"]


def test_full_disk_leaves_no_partial_file(
    store: Store, writer: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(store, writer)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    out = tmp_path / "report.csv"
    with pytest.raises(ExportFailed, match="the drive is full; the export was not saved and no partial file was left"):
        export_csv(store.conn, IncidentFilter(), out, tz=store.tz)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_database_error_mid_export_leaves_no_file(
    store: Store, writer: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("db.csv_io.export.BATCH", 1)
    for _ in range(3):
        save(store, writer)
    out = tmp_path / "report.csv"

    def break_connection(done: int, total: int) -> bool:
        store.conn.interrupt()  # what a fault in SQLite mid-read looks like to the export
        return True

    with pytest.raises(ExportFailed, match="reading the database failed .*interrupted.*not saved"):
        export_csv(store.conn, IncidentFilter(), out, tz=store.tz, progress=break_connection)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_missing_folder_and_bad_format_are_refused(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ExportFailed, match="no such folder"):
        export_csv(store.conn, IncidentFilter(), tmp_path / "nowhere" / "x.csv", tz=store.tz)
    with pytest.raises(ValidationError, match="format: 'xlsx' is not one of"):
        export_csv(store.conn, IncidentFilter(), tmp_path / "x.csv", tz=store.tz, fmt="xlsx")
    with pytest.raises(ValidationError, match="unknown column secret"):
        export_csv(store.conn, IncidentFilter(), tmp_path / "x.csv", tz=store.tz, columns=["ref", "secret"])
    assert not (tmp_path / "x.csv").exists()


def test_summary_preset_writes_only_its_columns(store: Store, writer: Writer, tmp_path: Path) -> None:
    save(store, writer)
    out = tmp_path / "summary.csv"
    export_csv(store.conn, IncidentFilter(), out, tz=store.tz, columns=["ref", "count", "narrative"])
    rows = read_rows(out)
    assert list(rows[0]) == ["ref", "count", "narrative"] and rows[0]["count"] == "12"


# -- the formula guard, in Python and in SQL -------------------------------------------------------

texts = st.one_of(
    st.text(),
    st.builds(lambda trigger, rest: trigger + rest, st.sampled_from(FORMULA_TRIGGERS), st.text()),
)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_sql_cell_matches_the_python_rule_and_reads_back(text: str) -> None:
    text = text.replace("\x00", "")  # SQLite text cannot hold NUL (validation refuses it anyway)
    conn = sqlite3.connect(":memory:")
    cell = conn.execute(f"WITH t(x) AS (SELECT ?) SELECT {sql_text_cell('x')} FROM t", (text,)).fetchone()[0]
    parsed = next(csv.reader([cell + "\r\n"], strict=True)) if cell != '""' else [""]
    assert parsed == [neutralise(text)]
    assert restore(parsed[0]) == text
    assert not parsed[0].startswith(FORMULA_TRIGGERS[:-1])  # only the guard's own apostrophe may lead


def test_neutralise_covers_every_trigger() -> None:
    for trigger in FORMULA_TRIGGERS:
        assert neutralise(trigger + "x") == "'" + trigger + "x"
        assert restore(neutralise(trigger + "x")) == trigger + "x"
    assert neutralise("ok") == "ok" and restore("''x") == "'x"


def test_cells_never_start_with_a_trigger(store: Store, writer: Writer, tmp_path: Path) -> None:
    for trigger in "=+-@'":
        save(
            store, writer, place=f"{trigger}1+1", actor1=f"{trigger}cmd", actor2=f"{trigger}@x", narrative=f"{trigger}A"
        )
    save(store, writer, narrative=unicodedata.normalize("NFD", "Йде\u202eобстріл"))
    out = tmp_path / "all.csv"
    export_csv(store.conn, IncidentFilter(), out, tz=store.tz)
    for row in read_rows(out):
        for column, cell in row.items():
            if cell and not re.fullmatch(NUMBER, cell):
                assert not cell.startswith(FORMULA_TRIGGERS[:-1]), (column, cell)
