"""Check every incident field before anything is written (ARCHITECTURE.md §3, §4).

:func:`validate_incident` takes what a form, a CSV row or the demo generator supplies (strings
are accepted for numbers, so CSV cells can be passed as they are) and returns a canonical
:class:`~db.model.incident.Incident`, or raises :class:`~db.core.errors.ValidationError` listing every
invalid field with the reason. Text is NFC-normalised; times become UTC ISO 8601 with ``Z``;
coordinates are rounded to 6 decimals.
"""

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from db.core.errors import FieldProblem, ValidationError
from db.model import enums
from db.model.incident import FIELD_NAMES, Incident

if TYPE_CHECKING:
    from db.model.theatre import Theatre

MAX_TEXT = {"place": 200, "actor1": 200, "actor2": 200, "narrative": 20_000}
MAX_REASON = 1000
MAX_COUNT = 1_000_000
MAX_CASUALTIES = 100_000
MAX_DISTANCE_KM = 200.0
MAX_CALIBRE_MM = 1_000.0
EARLIEST_YEAR = 1990
# Allowed drift of a field laptop's clock before an observation counts as "in the future".
FUTURE_TOLERANCE_S = 3600

DEFAULTS: dict[str, Any] = {
    "observed_end": None,
    "time_precision": "exact",
    "sector_id": None,
    "dmz_relation": None,
    "observer_lat": None,
    "observer_lon": None,
    "event_lat": None,
    "event_lon": None,
    "geo_precision": "exact",
    "place": None,
    "bearing_deg": None,
    "dist_min_km": None,
    "dist_max_km": None,
    "obs_type": "none",
    "explosion_kind": None,
    "weapon_class": "undetermined",
    "weapon_assessed": False,
    "calibre_mm": None,
    "count": 1,
    "count_qualifier": "exact",
    "source_reliability": None,
    "info_credibility": None,
    "civ_killed": None,
    "civ_injured": None,
    "mil_killed": None,
    "mil_injured": None,
    "verification_state": "draft",
    "attribution": "not_assessed",
    "actor1": None,
    "actor2": None,
    "narrative": "",
}

# info_credibility has its own integer check.
ENUM_FIELDS: dict[str, Mapping[Any, str]] = {k: v for k, v in enums.FIELD_ENUMS.items() if k != "info_credibility"}
REQUIRED = ("observed_start", "zone_id", "category", "means")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
# Control characters other than tab and newline have no place in a record (and break CSV viewers).
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


class _Problem(Exception):
    """Internal: one field's reason, collected into a ValidationError."""


def validate_incident(
    raw: Mapping[str, Any], *, theatre: "Theatre | None" = None, now: datetime | None = None
) -> Incident:
    """Return the canonical incident for ``raw`` or raise ValidationError naming every bad field.

    With a ``theatre``, coordinates fill an empty zone (and its sector) and the DMZ relation, and
    zone and sector ids must belong to it. The event position decides when given, else the
    observer's. A zone the monitor chose is kept even when the coordinates disagree (an override).
    """
    problems: list[FieldProblem] = []
    unknown = sorted(set(raw) - set(FIELD_NAMES))
    problems.extend(FieldProblem(name, "is not an incident field") for name in unknown)
    values: dict[str, Any] = {}
    for name in FIELD_NAMES:
        value = raw.get(name, DEFAULTS.get(name))
        if value is None and name in _NONE_IS_VALID:
            values[name] = None
            continue
        if isinstance(value, str) and name != "narrative" and value.strip() == "":
            value = DEFAULTS.get(name)
        try:
            values[name] = _CHECKS[name](name, value)
        except _Problem as problem:
            problems.append(FieldProblem(name, str(problem)))
            values[name] = None
    if theatre is not None:
        problems.extend(_place(values, theatre, {p.field for p in problems}))
    problems.extend(_cross_field_problems(values, now or datetime.now(UTC), {p.field for p in problems}))
    if problems:
        raise ValidationError(problems)
    return Incident(**values)


def validate_reason(reason: Any) -> str:
    """The reason every version after the first must carry: required, one to 1000 characters."""
    try:
        text = check_text("reason", reason, max_len=MAX_REASON, multiline=True)
    except _Problem as problem:
        raise ValidationError([FieldProblem("reason", str(problem))]) from None
    if not text:
        raise ValidationError([FieldProblem("reason", "is required when changing an incident")])
    return text


def check_text_field(name: str, value: Any, max_len: int, problems: list[FieldProblem]) -> str | None:
    """Single-line text for records other than incidents; appends a problem instead of raising."""
    try:
        return check_text(name, value, max_len=max_len, multiline=False)
    except _Problem as problem:
        problems.append(FieldProblem(name, str(problem)))
        return None


def check_text(name: str, value: Any, *, max_len: int, multiline: bool) -> str | None:
    """NFC text without stray control characters; None when empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Problem("must be text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Problem("contains characters that are not valid Unicode") from None
    text = unicodedata.normalize("NFC", value).strip()
    if not multiline and ("\n" in text or "\r" in text or "\t" in text):
        raise _Problem("must be a single line")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _BAD_CONTROL.search(text):
        raise _Problem("contains control characters")
    if len(text) > max_len:
        raise _Problem(f"is longer than {max_len} characters ({len(text)})")
    return text or None


def parse_utc(name: str, value: Any) -> str | None:
    """An aware time (ISO text or datetime) as UTC ``YYYY-MM-DDTHH:MM:SSZ``; seconds precision."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise _Problem(f"'{value}' is not a date and time such as 2026-05-01T03:15:00Z") from None
    else:
        raise _Problem("must be a date and time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _Problem("needs an explicit time zone (for example 2026-05-01T03:15:00Z)")
    utc = moment.astimezone(UTC).replace(microsecond=0)
    if utc.year < EARLIEST_YEAR:
        raise _Problem(f"is before {EARLIEST_YEAR}")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Problem("must be a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            raise _Problem(f"'{value}' is not a number") from None
    else:
        raise _Problem("must be a number")
    if not math.isfinite(number):
        raise _Problem("must be a finite number")
    return number


def _integer(name: str, value: Any) -> int | None:
    number = _number(name, value)
    if number is None:
        return None
    if not number.is_integer():
        raise _Problem(f"must be a whole number, not {value}")
    return int(number)


def _ranged(low: float, high: float, digits: int) -> Callable[[str, Any], float | None]:
    def check(name: str, value: Any) -> float | None:
        number = _number(name, value)
        if number is None:
            return None
        if not low <= number <= high:
            raise _Problem(f"must be between {low:g} and {high:g}, not {number:g}")
        rounded = round(number, digits)
        return rounded + 0.0 if rounded != 0 else 0.0  # never store -0.0

    return check


def _bounded_int(low: int, high: int) -> Callable[[str, Any], int | None]:
    def check(name: str, value: Any) -> int | None:
        number = _integer(name, value)
        if number is None:
            return None
        if not low <= number <= high:
            raise _Problem(f"must be between {low} and {high}, not {number}")
        return number

    return check


def _enum(name: str, value: Any) -> Any:
    if value is None:
        return None
    choices = ENUM_FIELDS[name]
    if name == "source_reliability" and isinstance(value, str):
        value = value.strip().upper()
    if value not in choices:
        shown = ", ".join(str(c) for c in choices)
        raise _Problem(f"'{value}' is not one of: {shown}")
    return value


def _credibility(name: str, value: Any) -> int | None:
    number = _integer(name, value)
    if number is not None and number not in enums.INFO_CREDIBILITY:
        raise _Problem(f"must be 1 to 6, not {number}")
    return number


def _boolean(name: str, value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Problem(f"'{value}' is not yes or no")


def _identifier(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not ID_PATTERN.match(value.strip()):
        raise _Problem(f"'{value}' is not a zone or sector id")
    return value.strip()


def _text(max_len: int, multiline: bool = False) -> Callable[[str, Any], str | None]:
    return lambda name, value: check_text(name, value, max_len=max_len, multiline=multiline)


def _narrative(name: str, value: Any) -> str:
    return check_text(name, "" if value is None else value, max_len=MAX_TEXT[name], multiline=True) or ""


_lat = _ranged(-90.0, 90.0, 6)
_lon = _ranged(-180.0, 180.0, 6)
_distance = _ranged(0.0, MAX_DISTANCE_KM, 3)
_casualties = _bounded_int(0, MAX_CASUALTIES)

# Fields whose check turns None into None (every optional field, but not the ones with defaults).
_NONE_IS_VALID = frozenset(FIELD_NAMES) - {"narrative", "weapon_assessed"}

_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "observed_start": parse_utc,
    "observed_end": parse_utc,
    "zone_id": _identifier,
    "sector_id": _identifier,
    "observer_lat": _lat,
    "observer_lon": _lon,
    "event_lat": _lat,
    "event_lon": _lon,
    "place": _text(MAX_TEXT["place"]),
    "bearing_deg": _ranged(0.0, 360.0, 1),
    "dist_min_km": _distance,
    "dist_max_km": _distance,
    "weapon_assessed": _boolean,
    "calibre_mm": _ranged(1.0, MAX_CALIBRE_MM, 1),
    "count": _bounded_int(1, MAX_COUNT),
    "info_credibility": _credibility,
    "civ_killed": _casualties,
    "civ_injured": _casualties,
    "mil_killed": _casualties,
    "mil_injured": _casualties,
    "actor1": _text(MAX_TEXT["actor1"]),
    "actor2": _text(MAX_TEXT["actor2"]),
    "narrative": _narrative,
    **{name: _enum for name in ENUM_FIELDS},
}


def _place(v: dict[str, Any], theatre: "Theatre", failed: set[str]) -> list[FieldProblem]:
    lat, lon = (
        (v["event_lat"], v["event_lon"]) if v["event_lat"] is not None else (v["observer_lat"], v["observer_lon"])
    )
    fill_zone = v["zone_id"] is None and "zone_id" not in failed
    fill_relation = v["dmz_relation"] is None and "dmz_relation" not in failed
    # Placing a point costs polygon tests; a row that names its zone and DMZ relation (an import
    # of a million rows) needs none.
    if lat is not None and lon is not None and (fill_zone or fill_relation):
        placement = theatre.assign(lat, lon)
        if v["zone_id"] is None and "zone_id" not in failed:
            v["zone_id"] = placement.zone_id
            if v["sector_id"] is None and "sector_id" not in failed:
                v["sector_id"] = placement.sector_id
        if v["dmz_relation"] is None and "dmz_relation" not in failed:
            v["dmz_relation"] = placement.dmz_relation
    out = []
    zones = {zone.zone_id for zone in theatre.zones}
    sectors = {sector.sector_id for sector in theatre.sectors}
    if v["zone_id"] is not None and v["zone_id"] not in zones:
        out.append(
            FieldProblem("zone_id", f"'{v['zone_id']}' is not a zone of this theatre ({', '.join(sorted(zones))})")
        )
    if v["sector_id"] is not None and v["sector_id"] not in sectors:
        out.append(FieldProblem("sector_id", f"'{v['sector_id']}' is not a DMZ sector of this theatre"))
    return out


def _cross_field_problems(v: dict[str, Any], now: datetime, failed: set[str]) -> list[FieldProblem]:
    """Rules that involve more than one field; only checked on fields that passed alone."""
    out = [FieldProblem(name, "is required") for name in REQUIRED if v.get(name) is None and name not in failed]
    out += _time_problems(v, now)
    out += _place_problems(v, failed)
    out += _judgement_problems(v)
    return out


def _time_problems(v: dict[str, Any], now: datetime) -> list[FieldProblem]:
    """The observation ends after it starts, and neither end is in the future."""
    out: list[FieldProblem] = []
    start, end = v["observed_start"], v["observed_end"]
    if start and end and end < start:
        out.append(FieldProblem("observed_end", "is before the start of the observation"))
    horizon = now.timestamp() + FUTURE_TOLERANCE_S
    for name in ("observed_start", "observed_end"):
        if v[name] and datetime.fromisoformat(v[name].replace("Z", "+00:00")).timestamp() > horizon:
            out.append(FieldProblem(name, "is in the future"))
    return out


def _place_problems(v: dict[str, Any], failed: set[str]) -> list[FieldProblem]:
    """Both coordinates of a position or neither; the distance range in order."""
    out: list[FieldProblem] = []
    for prefix in ("observer", "event"):
        lat, lon = v[f"{prefix}_lat"], v[f"{prefix}_lon"]
        if {f"{prefix}_lat", f"{prefix}_lon"} & failed:
            continue
        if (lat is None) != (lon is None):
            missing = f"{prefix}_lon" if lon is None else f"{prefix}_lat"
            out.append(FieldProblem(missing, "is needed with the other coordinate"))
    low, high = v["dist_min_km"], v["dist_max_km"]
    if low is not None and high is not None and low > high:
        out.append(FieldProblem("dist_max_km", "is smaller than the minimum distance"))
    return out


def _judgement_problems(v: dict[str, Any]) -> list[FieldProblem]:
    """What was observed and assessed: explosion kinds, calibres and actors only where they apply."""
    out: list[FieldProblem] = []
    if v["obs_type"] == "explosion" and v["explosion_kind"] is None:
        out.append(FieldProblem("explosion_kind", "is required for an explosion"))
    if v["obs_type"] not in ("explosion", None) and v["explosion_kind"] is not None:
        out.append(FieldProblem("explosion_kind", "applies only to explosions"))
    if v["calibre_mm"] is not None and not v["weapon_assessed"]:
        out.append(FieldProblem("calibre_mm", "applies only when the weapon was assessed"))
    if v["attribution"] == "attributed" and not v["actor1"]:
        out.append(FieldProblem("actor1", "is required when the incident is attributed"))
    return out
