"""Import of native CSV: checked like the entry form, previewed, then all rows or none (ARCHITECTURE.md §7).

A CSV comes from outside (a spreadsheet, an older tool, another mission), so it is read with
care: UTF-8 with or without BOM, strict RFC 4180 quoting, a cap on line and field size (a file
with no line breaks cannot fill the memory), the same header as the native export, and every row
through :func:`db.model.validation.validate_incident`, the form's own check. Every problem is reported
as line, column, value and reason; one problem and nothing is written.

What a row becomes: an incident this database does not hold is added with its own id; one held
with the same content (any of its heads) is "already present", so importing an export again adds
nothing; one held with different content becomes a second head (:func:`db.records.incidents.write_imported`),
a conflict a person resolves, never an overwrite. A CSV carries no signatures or history, so the
import is recorded as new versions by the importing monitor, with the reason
"imported from FILE". Exchange bundles are the way to move full history.
"""

import codecs
import csv
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from db.core.errors import TrucelineError, ValidationError
from db.core.sql_driver import sqlite3
from db.csv_io.acled import ACLED_COLUMNS
from db.csv_io.columns import IMPORTED_COLUMNS, NATIVE_COLUMNS, restore
from db.model.incident import FIELD_NAMES, Incident
from db.model.validation import validate_incident, validate_reason
from db.records.incidents import IncidentRecord, record_from_row, write_imported
from db.records.roles import is_decision, supervisor_refusal
from db.storage.connection import transaction
from db.storage.projection import PROJECTION_COLUMNS, Calendar
from db.storage.versions import SELECT_VERSIONS, Version, Writer

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from db.model.theatre import Theatre

MAX_LINE_CHARS = 262_144  # a physical line; an exported row is far shorter (narratives stop at 20,000)
# One cell, across the lines of a quoted multi-line cell: the csv module's limit (131,072 characters
# unless changed), which it enforces as it reads.
MAX_PROBLEMS_KEPT = 1000
BATCH = 2000
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Progress: (bytes read, file size) -> False to cancel.
Progress = Callable[[int, int], bool]


@dataclass(frozen=True)
class ImportProblem:
    """One refused cell (or row, or file) in words a person can act on."""

    line: int
    column: str
    value: str
    reason: str

    @property
    def where(self) -> str:
        return f"line {self.line}" + (f", column {self.column}" if self.column else "")

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "…"
        return f"{self.where}: {self.reason}" + (f" (value {shown!r})" if self.value else "")


@dataclass(frozen=True)
class ImportSummary:
    """What an import did, or (``dry_run``) would do: the preview the window and the CLI show."""

    file_name: str
    dry_run: bool
    rows: int = 0
    added: int = 0
    present: int = 0
    conflicting: int = 0
    problems: tuple[ImportProblem, ...] = ()
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def as_text(self) -> str:
        verb = "would add" if self.dry_run else "added"
        conflict = "would become" if self.dry_run else "became"
        text = (
            f"{self.file_name}: {self.rows:,} row{'' if self.rows == 1 else 's'}; "
            f"{verb} {self.added:,}; {self.present:,} already present; "
            f"{self.conflicting:,} differ from what is held and {conflict} conflicts to resolve"
        )
        if self.problem_count:
            text += f"; {self.problem_count:,} problem(s), so nothing {'would be' if self.dry_run else 'was'} imported"
        return text


class CsvImportError(TrucelineError):
    """The file was refused; nothing was written. ``summary`` lists every problem found."""

    def __init__(self, summary: ImportSummary) -> None:
        self.summary = summary
        first = summary.problems[0] if summary.problems else None
        self._more = f" (and {summary.problem_count - 1:,} more)" if summary.problem_count > 1 else ""
        super().__init__(f"{summary.file_name}: nothing was imported: {first}{self._more}")

    def for_log(self) -> str:
        """Where the problems are, not the cells' text (a reason may quote the value)."""
        first = self.summary.problems[0].where if self.summary.problems else "no problem listed"
        return f"{self.summary.file_name}: nothing was imported: {first}{self._more} (values not logged)"


class ImportCancelled(TrucelineError):
    """The user cancelled; nothing was imported."""


@dataclass
class _Tally:
    rows: int = 0
    added: int = 0
    present: int = 0
    conflicting: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    problem_count: int = 0
    decider: str | None = None  # "" once the importer is known to be a supervisor

    def refusal(self, conn: sqlite3.Connection, writer: Writer) -> str | None:
        """Why the importer may not decide (asked once per file), or None."""
        if self.decider is None:
            self.decider = supervisor_refusal(conn, writer.author_id, writer.device_id) or ""
        return self.decider or None

    def problem(self, line: int, column: str, value: str, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(ImportProblem(line, column, value, reason))

    def summary(self, name: str, dry_run: bool) -> ImportSummary:
        return ImportSummary(
            name,
            dry_run,
            self.rows,
            self.added,
            self.present,
            self.conflicting,
            tuple(self.problems),
            self.problem_count,
        )


def import_csv(
    conn: sqlite3.Connection,
    writer: Writer,
    path: Path,
    *,
    theatre: "Theatre",
    calendar: Calendar,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Check ``path`` and (unless ``dry_run``) import it in one transaction; raise CsvImportError on any problem.

    A dry run returns the preview, problems included, and raises only when the file cannot be
    read as a native CSV at all.
    """
    path = Path(path)
    try:
        summary = _import(conn, writer, path, theatre, calendar, dry_run, progress)
    except CsvImportError as error:
        log.warning("refused CSV import: %s", error)
        raise
    if not dry_run:
        log.info("imported CSV %s: %s", path, summary.as_text())
    return summary


def _import(
    conn: sqlite3.Connection,
    writer: Writer,
    path: Path,
    theatre: "Theatre",
    calendar: Calendar,
    dry_run: bool,
    progress: Progress | None,
) -> ImportSummary:
    tally = _Tally()
    reason = validate_reason(f"imported from {path.name[:200]}")
    try:
        size = path.stat().st_size
        handle = path.open("rb")
    except OSError as error:
        raise _refused(path, 0, f"cannot read the file: {error.strerror}") from error
    with handle:
        reader = csv.reader(_lines(handle, path, size, progress), strict=True)
        header = _header(reader, path)
        positions = [(name, header.index(name)) for name in IMPORTED_COLUMNS]
        id_column = header.index("incident_id")
        if dry_run:
            conn.execute("BEGIN")  # a consistent snapshot to compare with; nothing is written
            try:
                _run(conn, writer, reader, header, positions, id_column, theatre, calendar, reason, tally, write=False)
            finally:
                conn.execute("ROLLBACK")
            return tally.summary(path.name, dry_run=True)
        with transaction(conn):
            _run(conn, writer, reader, header, positions, id_column, theatre, calendar, reason, tally, write=True)
            if tally.problem_count:
                raise CsvImportError(tally.summary(path.name, dry_run=False))
    return tally.summary(path.name, dry_run=False)


def _run(
    conn: sqlite3.Connection,
    writer: Writer,
    reader: "Iterator[list[str]]",
    header: list[str],
    positions: list[tuple[str, int]],
    id_column: int,
    theatre: "Theatre",
    calendar: Calendar,
    reason: str,
    tally: _Tally,
    *,
    write: bool,
) -> None:
    seen: dict[str, int] = {}
    batch: list[tuple[int, str, Incident]] = []
    line = 2
    try:
        for row in reader:
            start, line = line, reader.line_num + 1  # type: ignore[attr-defined]
            tally.rows += 1
            parsed = _parse_row(row, start, header, positions, id_column, theatre, seen, tally)
            if parsed is not None:
                batch.append(parsed)
            if len(batch) >= BATCH:
                _classify_and_write(conn, writer, batch, calendar, reason, tally, write)
                batch = []
    except csv.Error as error:
        if "field larger" in str(error):
            reason = f"a cell is longer than {csv.field_size_limit():,} characters (an unclosed quote?)"
        else:
            reason = f"is not valid CSV ({error}); check the quotes on this line"
        tally.problem(line, "", "", reason)
    _classify_and_write(conn, writer, batch, calendar, reason, tally, write)


def _parse_row(
    row: list[str],
    line: int,
    header: list[str],
    positions: list[tuple[str, int]],
    id_column: int,
    theatre: "Theatre",
    seen: dict[str, int],
    tally: _Tally,
) -> tuple[int, str, Incident] | None:
    if len(row) != len(header):
        tally.problem(line, "", "", f"has {len(row)} cells where the header has {len(header)}")
        return None
    incident_id = restore(row[id_column])
    ok = True
    if not _UUID.match(incident_id):
        tally.problem(line, "incident_id", incident_id, "is not an incident id (a UUID such as 0190…-7…)")
        ok = False
    elif incident_id in seen:
        first = seen[incident_id]
        tally.problem(line, "incident_id", incident_id, f"appears twice in the file (first on line {first})")
        ok = False
    else:
        seen[incident_id] = line
    # restore() inlined: this runs for every cell of the file.
    raw = {name: row[index][1:] if row[index][:1] == "'" else row[index] for name, index in positions[1:]}
    try:
        incident = validate_incident(raw, theatre=theatre)
    except ValidationError as error:
        for problem in error.problems:
            tally.problem(line, problem.field, str(raw.get(problem.field, "")), problem.reason)
        return None
    return (line, incident_id, incident) if ok else None


def _classify_and_write(
    conn: sqlite3.Connection,
    writer: Writer,
    batch: list[tuple[int, str, Incident]],
    calendar: Calendar,
    reason: str,
    tally: _Tally,
    write: bool,
) -> None:
    if not batch:
        return
    held = _held(conn, [incident_id for _, incident_id, _ in batch])
    new: list[tuple[str, Incident]] = []
    diverging: list[tuple[str, Incident]] = []
    for line, incident_id, incident in batch:
        heads = held.get(incident_id)
        if heads is not None and incident in heads:
            tally.present += 1
            continue
        if is_decision(None, incident.verification_state):
            # A reviewed state written here is this importer's decision (db/records/roles.py).
            why = tally.refusal(conn, writer)
            if why is not None:
                state = incident.verification_state
                tally.problem(line, "verification_state", state, f"only a supervisor can set it; {why}")
                continue
        if heads is None:
            new.append((incident_id, incident))
        else:
            diverging.append((incident_id, incident))
    tally.added += len(new)
    tally.conflicting += len(diverging)
    if write and not tally.problem_count:
        write_imported(conn, writer, new, diverging, reason, calendar)


def _held(conn: sqlite3.Connection, ids: list[str]) -> dict[str, list[Incident]]:
    """The content of every head of each held incident among ``ids``."""
    columns = ", ".join(PROJECTION_COLUMNS)
    records: list[IncidentRecord] = [
        record_from_row(row)
        for row in conn.execute(
            f"SELECT {columns} FROM incidents WHERE incident_id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
        )
    ]
    held = {record.incident_id: [record.incident] for record in records}
    in_conflict = [record.incident_id for record in records if record.heads > 1]
    if in_conflict:
        rows = conn.execute(
            f"{SELECT_VERSIONS} WHERE version_id IN (SELECT version_id FROM incident_heads "
            "WHERE incident_id IN (SELECT value FROM json_each(?)))",
            (json.dumps(in_conflict),),
        )
        for row in rows:
            version = Version.from_row(row)
            held[version.incident_id].append(version.incident())
    return held


def _header(reader: "Iterator[list[str]]", path: Path) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise _refused(path, 1, "the file is empty; a native CSV starts with a header row") from None
    except csv.Error as error:
        raise _refused(path, 1, f"the header is not valid CSV ({error})") from None
    names = [name.strip() for name in header]
    if "event_id_cnty" in names or names[: len(ACLED_COLUMNS)] == list(ACLED_COLUMNS):
        raise _refused(
            path, 1, "this is an ACLED-format file, which is for analysis only; import a Truceline native CSV export"
        )
    missing = [name for name in IMPORTED_COLUMNS if name not in names]
    unknown = [name for name in names if name not in NATIVE_COLUMNS]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    reasons = []
    if missing:
        reasons.append(f"missing columns: {_listed(missing)}")
    if unknown:
        reasons.append(f"unknown columns: {_listed(unknown)}")
    if duplicated:
        reasons.append(f"columns given twice: {_listed(duplicated)}")
    if reasons:
        hint = " (is this a Truceline native CSV export?)" if len(missing) > len(FIELD_NAMES) // 2 else ""
        raise _refused(path, 1, "; ".join(reasons) + hint)
    return names


def _listed(names: list[str]) -> str:
    shown = ", ".join(name[:40] for name in names[:8])
    return shown + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def _lines(handle: BinaryIO, path: Path, size: int, progress: Progress | None) -> Iterator[str]:
    """Decoded physical lines, each at most MAX_LINE_CHARS, refusing what is not UTF-8 text."""
    read = 0
    number = 0
    while True:
        raw = handle.readline(MAX_LINE_CHARS * 4 + 1)
        if not raw:
            return
        number += 1
        read += len(raw)
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if b"\x00" in raw:
            raise _refused(path, number, "the file is not CSV text (it holds binary data)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _refused(
                path,
                number,
                "the file is not UTF-8 CSV text; from a spreadsheet, save it as 'CSV UTF-8' and import that",
            ) from None
        if len(text) > MAX_LINE_CHARS or (len(raw) > MAX_LINE_CHARS * 4 and not raw.endswith(b"\n")):
            raise _refused(path, number, f"the line is longer than {MAX_LINE_CHARS:,} characters")
        if progress is not None and number % 1000 == 1 and not progress(read, size):
            raise ImportCancelled("import cancelled; nothing was imported")
        yield text


def _refused(path: Path, line: int, reason: str) -> CsvImportError:
    problem = ImportProblem(line, "", "", reason)
    return CsvImportError(ImportSummary(path.name, dry_run=False, problems=(problem,), problem_count=1))
