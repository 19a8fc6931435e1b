"""Streaming CSV export of the incidents a filter selects, native or ACLED (ARCHITECTURE.md §7).

Speed comes from building each CSV line inside SQLite: one ``SELECT`` returns one finished line
per incident (quoting, formula guard, local time and all), so Python only joins and writes
strings, a few thousand lines at a time; memory stays flat for any number of rows. The only
Python per row is the MGRS reference (a C library behind a SQL function).

Safety: the file is written to a temporary name in the target directory, flushed and synced,
then renamed; on cancel or any error the temporary file is removed, so the final name holds a
complete export or nothing new. The rows are counted and read in one read transaction, and the
number written must equal the count.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from db.core.atomic_file import atomic_output, remove_abandoned_beside, why_not_written
from db.core.errors import FieldProblem, TrucelineError, ValidationError
from db.core.sql_driver import sqlite3
from db.csv_io.acled import ACLED_COLUMNS, acled_cells
from db.csv_io.columns import (
    BOOLEAN_COLUMNS,
    CODE_COLUMNS,
    NATIVE_COLUMNS,
    NUMERIC_COLUMNS,
    sql_literal,
    sql_text_cell,
)
from db.model.geo import mgrs_converter
from db.records.queries import IncidentFilter, count_incidents, where_clause

log = logging.getLogger(__name__)

FORMATS = ("native", "acled")
BOM = "\ufeff"
BATCH = 5000
# Progress is reported after each batch; the callback returns False to cancel.
Progress = Callable[[int, int], bool]


class ExportCancelled(TrucelineError):
    """The user cancelled; no file was written under the chosen name."""


class ExportFailed(TrucelineError):
    """The file could not be written (full disk, no permission…); no partial file remains."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int


def export_csv(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    path: Path,
    *,
    tz: ZoneInfo,
    fmt: str = "native",
    bom: bool = True,
    columns: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the incidents ``flt`` selects to ``path``, oldest first; return the rows written.

    ``columns`` picks native columns (default: all, which can be imported again); it must be
    None for ACLED, whose columns are fixed.
    """
    header, line_sql = _line_sql(conn, fmt, columns, tz)
    where, params = where_clause(flt)
    path = Path(path)
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")  # one snapshot for the count and the rows
    try:
        total = count_incidents(conn, flt)  # unfiltered: the kept row, not a walk over every incident
        if progress is not None and not progress(0, total):
            raise ExportCancelled("export cancelled; no file was written")
        # The C converter itself, with no Python frame between SQLite and it: positions in the
        # database passed validation, and NULLs never reach it (see _native_cell).
        conn.create_function("truceline_mgrs", 2, mgrs_converter().toMGRS, deterministic=True)
        # Lines stay UTF-8 bytes from SQLite to the file: no decoding into str and encoding back.
        text_factory = conn.text_factory
        conn.text_factory = bytes
        try:
            cursor = conn.execute(
                f"SELECT {line_sql} FROM incidents WHERE {where} ORDER BY observed_start, incident_id", params
            )
            written = _write_atomically(path, header, cursor, bom, total, progress)
        finally:
            conn.text_factory = text_factory
    finally:
        if began and conn.in_transaction:
            conn.execute("COMMIT")
    if written != total:
        raise ExportFailed(f"{path}: wrote {written} rows but the filter selects {total}")
    log.info("exported %d incidents as %s CSV to %s", written, fmt, path)
    return ExportResult(path, written)


def column_names(fmt: str, columns: Sequence[str] | None = None) -> tuple[str, ...]:
    if fmt == "acled":
        return ACLED_COLUMNS
    return tuple(columns) if columns is not None else NATIVE_COLUMNS


def _line_sql(conn: sqlite3.Connection, fmt: str, columns: Sequence[str] | None, tz: ZoneInfo) -> tuple[str, str]:
    if fmt not in FORMATS:
        raise ValidationError([FieldProblem("format", f"'{fmt}' is not one of: {', '.join(FORMATS)}")])
    if fmt == "acled":
        if columns is not None:
            raise ValidationError([FieldProblem("columns", "the ACLED format has fixed columns")])
        cells = acled_cells()
    else:
        chosen = tuple(columns) if columns is not None else NATIVE_COLUMNS
        unknown = [c for c in chosen if c not in NATIVE_COLUMNS]
        if unknown or not chosen:
            reason = f"unknown column {', '.join(unknown)}" if unknown else "choose at least one column"
            raise ValidationError([FieldProblem("columns", reason)])
        first, last = conn.execute("SELECT min(observed_start), max(observed_start) FROM incidents").fetchone()
        cells = [_native_cell(name, tz, first, last) for name in chosen]
    header = ",".join(column_names(fmt, columns)) + "\r\n"
    # One printf builds the line in one allocation; a chain of || would copy it once per cell.
    # printf writes NULL as an empty cell.
    template = ",".join("%s" for _ in cells)
    return header, f"printf('{template}' || char(13, 10), {', '.join(cells)})"


def _native_cell(name: str, tz: ZoneInfo, first: str | None, last: str | None) -> str:
    if name in NUMERIC_COLUMNS or name in CODE_COLUMNS:
        return name
    if name in BOOLEAN_COLUMNS:
        return f"CASE WHEN {name} THEN 'true' ELSE 'false' END"
    if name.endswith("_local"):
        return local_time_sql(name.removesuffix("_local"), tz, first, last)
    if name == "time_zone":
        return sql_literal(tz.key)
    if name.endswith("_mgrs"):
        lat, lon = (name.replace("_mgrs", suffix) for suffix in ("_lat", "_lon"))
        return f"CASE WHEN {lat} IS NULL OR {lon} IS NULL THEN NULL ELSE truceline_mgrs({lat}, {lon}) END"
    return sql_text_cell(name)


def local_time_sql(column: str, tz: ZoneInfo, first: str | None, last: str | None) -> str:
    """SQL turning a UTC ``...Z`` column into local ISO time with its offset, e.g. ``2026-05-02T00:15:00+03:00``.

    SQLite knows no time zones, and a Python function per row would cost more than the rest of
    the line; so the zone's offset changes over the years the data covers are written into one
    ``CASE`` (two per year where DST applies).
    """
    changes = offset_changes(tz, first, last)
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE {_offset_search(column, changes)} END"


def _offset_search(column: str, changes: list[tuple[str, timedelta]]) -> str:
    """A binary search over the offset periods as nested CASEs: five comparisons for twelve years, not 25."""
    if len(changes) == 1:
        return _shifted(column, changes[0][1])
    middle = len(changes) // 2
    before, after = changes[:middle], changes[middle:]
    return (
        f"CASE WHEN {column} < '{after[0][0]}' THEN {_offset_search(column, before)} "
        f"ELSE {_offset_search(column, after)} END"
    )


def _shifted(column: str, offset: timedelta) -> str:
    seconds = int(offset.total_seconds())
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"strftime('%Y-%m-%dT%H:%M:%S', {column}, '{seconds:+d} seconds') || '{sign}{hours:02d}:{minutes:02d}'"


def offset_changes(tz: ZoneInfo, first: str | None, last: str | None) -> list[tuple[str, timedelta]]:
    """``(UTC start, offset)`` of each period of constant offset from a year before ``first`` to a year after ``last``.

    The first entry's start is empty (it applies before everything).
    """
    now = datetime.now(UTC)
    start_year = int(first[:4]) - 1 if first else now.year - 1
    end_year = int(last[:4]) + 1 if last else now.year + 1
    moment = datetime(start_year, 1, 1, tzinfo=UTC)
    end = datetime(end_year + 1, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(tz).utcoffset() or timedelta(0)
    changes: list[tuple[str, timedelta]] = [("", offset)]
    step = timedelta(hours=6)
    while moment < end:
        following = moment + step
        next_offset = following.astimezone(tz).utcoffset() or timedelta(0)
        if next_offset != offset:
            low, high = moment, following  # the change happens in (low, high]; find it to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            changes.append((high.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"), next_offset))
            offset = next_offset
        moment = following
    return changes


def _write_atomically(
    path: Path, header: str, cursor: sqlite3.Cursor, bom: bool, total: int, progress: Progress | None
) -> int:
    directory = path.parent
    if not directory.is_dir():
        raise ExportFailed(f"{directory}: no such folder; nothing was written")
    remove_abandoned_beside(path)  # what an export of this file that was killed left
    written = 0
    try:
        with atomic_output(path) as out:
            out.write(((BOM if bom else "") + header).encode())
            while rows := cursor.fetchmany(BATCH):
                out.write(b"".join([row[0] for row in rows]))
                written += len(rows)
                if progress is not None and not progress(written, total):
                    raise ExportCancelled("export cancelled; no file was written")
    except OSError as error:
        why = why_not_written(error)
        raise ExportFailed(f"{path}: {why}; the export was not saved and no partial file was left") from error
    except sqlite3.Error as error:
        raise ExportFailed(f"{path}: reading the database failed ({error}); the export was not saved") from error
    return written
