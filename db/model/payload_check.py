"""A payload from elsewhere (a bundle from another laptop) checked as strictly as one typed here.

A version's payload is JSON another laptop wrote. Its signature proves which laptop wrote it,
never that the laptop's software was honest, so before it is merged it goes through the same
:func:`db.model.validation.validate_incident` the form and the CSV import use, plus what only a stored
payload needs: a JSON object (not a list, number, string or null), only known fields, each of
its JSON type (``count`` a number, never ``"5"`` or ``true``), integers that fit SQLite, and the
canonical form the validation itself produces (so nothing that the form would have changed,
trimmed or filled in is stored as it came). Nesting depth and size are capped before parsing.
"""

import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.core.errors import FieldProblem, ValidationError
from db.core.untrusted_text import elided
from db.model.incident import BOOL_FIELDS, FIELD_NAMES, FLOAT_FIELDS, INT_FIELDS, Incident
from db.model.validation import validate_incident

if TYPE_CHECKING:
    from db.model.theatre import Theatre

# A payload is a flat object: the narrative (20,000 characters, up to 6 bytes each when escaped)
# is by far its largest part.
MAX_PAYLOAD_BYTES = 160_000
# Integers beyond 2^53 lose precision as JSON numbers elsewhere, and SQLite stops at 2^63.
MAX_JSON_INT = (1 << 53) - 1
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")


def json_depth(data: bytes) -> int:
    """How deeply ``data`` nests arrays and objects, counted without parsing it (no recursion).

    Strings are removed first (brackets inside them do not count); what is left of a legitimate
    line is a handful of brackets, so this costs two regular-expression passes.
    """
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b'""', data))
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def load_capped_json(data: bytes, *, max_bytes: int, max_depth: int) -> Any:
    """``json.loads`` after the size and depth caps; ValueError (with the reason) otherwise."""
    if len(data) > max_bytes:
        raise ValueError(f"{len(data):,} bytes, more than the {max_bytes:,} allowed")
    if json_depth(data) > max_depth:
        raise ValueError(f"nested more than {max_depth} levels deep")
    return json.loads(data)


def read_capped_json(path: Path, *, max_bytes: int, max_depth: int) -> Any:
    """A small JSON file (a key, a roster): never more than ``max_bytes`` + 1 read, whatever its size on disk.

    OSError if it cannot be read; ValueError or UnicodeDecodeError (with the reason) if it is not
    JSON within the caps. Callers say which file it was in their own words.
    """
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    return load_capped_json(data, max_bytes=max_bytes, max_depth=max_depth)


def _json_type_problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not of the JSON type field ``name`` is stored as (None when it is)."""
    if name in INT_FIELDS:
        if type(value) is not int:
            return "must be a whole number"
        if abs(value) > MAX_JSON_INT:
            return f"is out of range ({value})" if len(str(value)) < 30 else "is out of range"
        return None
    if name in FLOAT_FIELDS:
        if type(value) not in (int, float):
            return "must be a number"
        if type(value) is int and abs(value) > MAX_JSON_INT:
            return "is out of range"
        return None
    if name in BOOL_FIELDS:
        return None if type(value) is bool else "must be true or false"
    return None if type(value) is str else "must be text"


def shape_problems(payload: object) -> list[FieldProblem]:
    """What makes ``payload`` not the shape of a stored incident (an object of known, typed fields)."""
    if not isinstance(payload, dict):
        kind = {list: "a list", str: "text", bool: "true or false", type(None): "null"}.get(type(payload), "a number")
        return [FieldProblem("payload", f"is {kind}, not an object of incident fields")]
    # A foreign name is shown escaped and cut: a newline in it must not make a refusal two lines.
    unknown = [name for name in payload if name not in FIELD_NAMES]
    problems = [FieldProblem(elided(name, 60), "is not an incident field") for name in unknown]
    for name, value in payload.items():
        if name in FIELD_NAMES:
            why = _json_type_problem(name, value)
            if why is not None:
                problems.append(FieldProblem(name, why))
    return problems


def validate_payload(payload: object, *, theatre: "Theatre", now: datetime | None = None) -> Incident:
    """The incident a stored payload describes, validated as the form validates; ValidationError otherwise."""
    problems = shape_problems(payload)
    if problems:
        raise ValidationError(problems)
    assert isinstance(payload, Mapping)
    incident = validate_incident(payload, theatre=theatre, now=now)
    # The validation's own output is the only accepted form: what it would have trimmed,
    # normalised or filled in means the payload did not come from it.
    stored = incident.to_payload()
    if stored != payload:
        changed = [name for name in FIELD_NAMES if stored.get(name) != payload.get(name)]
        raise ValidationError([FieldProblem(changed[0], "is not in the form Truceline stores it")])
    return incident
