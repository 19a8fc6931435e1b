"""The native CSV's columns and the cell rules shared by export and import (ARCHITECTURE.md §7).

Spreadsheets evaluate a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and some also act on
a leading tab, CR, LF or NUL), which is how a narrative such as ``=HYPERLINK(...)`` turns into a
live formula on an analyst's machine. Every text cell that begins with one of those characters,
or with ``'`` itself, is written with one extra leading ``'``; import strips exactly one, so the
round trip is exact. Numeric columns are written as plain numbers and need no such guard: a
number is never a formula.

The export builds each CSV line inside SQLite (see :mod:`db.csv_io.export`), so the same rules exist
here twice, as Python (:func:`neutralise`, :func:`restore`) and as SQL (:func:`sql_text_cell`);
a test holds them to the same answers.
"""

from db.model.incident import BOOL_FIELDS, FIELD_NAMES, FLOAT_FIELDS, INT_FIELDS, TEXT_FIELDS

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "'")
_TRIGGER_CODES = ", ".join(str(ord(c)) for c in FORMULA_TRIGGERS)

# Columns written from other columns, for people reading the file; import accepts and ignores them.
DERIVED_COLUMNS = (
    "ref",
    "heads",
    "head_version_id",
    "observed_start_local",
    "observed_end_local",
    "time_zone",
    "observer_mgrs",
    "event_mgrs",
    "created_at",
    "updated_at",
)
# What import reads: the incident id and every incident field.
IMPORTED_COLUMNS = ("incident_id", *FIELD_NAMES)
NUMERIC_COLUMNS = frozenset((*FLOAT_FIELDS, *INT_FIELDS, "heads"))
BOOLEAN_COLUMNS = frozenset(BOOL_FIELDS)
# Ids, enumeration codes and UTC times: validation allows no character in them that needs quoting
# or guarding (ids begin with a letter or digit, codes are fixed words, times begin with a digit), so
# they are written as stored, which keeps the export fast. Free text goes through sql_text_cell.
CODE_COLUMNS = frozenset(
    ("incident_id", "head_version_id", "ref", "created_at", "updated_at")
    + tuple(name for name in FIELD_NAMES if name not in TEXT_FIELDS + FLOAT_FIELDS + INT_FIELDS + BOOL_FIELDS)
)
_AFTER = {
    "observed_start": ("observed_start_local",),
    "observed_end": ("observed_end_local", "time_zone"),
    "observer_lon": ("observer_mgrs",),
    "event_lon": ("event_mgrs",),
}


def _native_columns() -> tuple[str, ...]:
    columns = ["incident_id", "head_version_id", "ref", "heads"]
    for name in FIELD_NAMES:
        columns.append(name)
        columns.extend(_AFTER.get(name, ()))
    columns.extend(("created_at", "updated_at"))
    return tuple(columns)


NATIVE_COLUMNS: tuple[str, ...] = _native_columns()

# Column presets offered by the window. Only the complete one can be imported again.
PRESETS: dict[str, tuple[str, ...]] = {
    "complete": NATIVE_COLUMNS,
    "summary": (
        "ref",
        "observed_start_local",
        "time_zone",
        "zone_id",
        "sector_id",
        "place",
        "observer_mgrs",
        "event_mgrs",
        "category",
        "obs_type",
        "weapon_class",
        "count",
        "count_qualifier",
        "means",
        "civ_killed",
        "civ_injured",
        "verification_state",
        "narrative",
    ),
}
PRESET_LABELS = {
    "complete": "Complete (every field; can be imported again)",
    "summary": "Summary (for reading; cannot be imported)",
}


def neutralise(text: str) -> str:
    """The cell text for ``text``: one leading ``'`` when it begins with a formula trigger."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def restore(cell: str) -> str:
    """Undo :func:`neutralise`: strip exactly one leading ``'``."""
    return cell[1:] if cell.startswith("'") else cell


def sql_text_cell(expr: str) -> str:
    """SQL for one free-text cell: neutralised and always quoted (RFC 4180 allows it); NULL stays NULL.

    ``unicode()`` is the code point of the first character, so the trigger test is one integer
    comparison. Quoting every text cell costs one ``replace`` and spares the scans that would
    decide whether a cell needs quotes.
    """
    guarded = f"CASE WHEN unicode({expr}) IN ({_TRIGGER_CODES}) THEN '''' || {expr} ELSE {expr} END"
    return f"""'"' || replace({guarded}, '"', '""') || '"'"""


def sql_number_cell(expr: str) -> str:
    """SQL for one numeric cell: the stored number as SQLite writes it (lossless), empty for NULL."""
    return f"coalesce({expr}, '')"


def sql_literal(text: str) -> str:
    """A constant as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
