"""What the entry form holds, as typed, turned into the raw incident that validation checks.

The form keeps every field as the text or choice the monitor left in it (a dict of JSON values,
which is also what a draft stores). This module reads that dict: wall-clock times become UTC,
positions and bearings in any notation become numbers, zone and sector are worked out from the
position; :func:`db.model.validation.validate_incident` then has the last word. No Qt here, so the
rules are plain functions over dicts.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from db.core.errors import ValidationError
from db.model import geo
from db.model.incident import Incident
from db.model.local_time import AmbiguousTimeError, NonexistentTimeError, to_local, to_utc
from db.model.theatre import Placement, Theatre

# The text fields handed to validation as typed: it reads numbers with a decimal comma too.
TEXT_FIELDS = (
    "place",
    "dist_min_km",
    "dist_max_km",
    "calibre_mm",
    "civ_killed",
    "civ_injured",
    "mil_killed",
    "mil_injured",
    "actor1",
    "actor2",
    "narrative",
)
CHOICE_FIELDS = (
    "time_precision",
    "zone_id",
    "sector_id",
    "geo_precision",
    "category",
    "obs_type",
    "explosion_kind",
    "weapon_class",
    "count_qualifier",
    "means",
    "source_reliability",
    "info_credibility",
    "verification_state",
    "attribution",
)
POSITIONS = {"observer_position": ("observer_lat", "observer_lon"), "event_position": ("event_lat", "event_lon")}
TIMES = ("observed_start", "observed_end")

# Where a problem of an incident field is shown, when the form shows it under another name.
_PROBLEM_FIELD = {lat: name for name, pair in POSITIONS.items() for lat in pair}


def problem_field(incident_field: str) -> str:
    """The form field that shows problems of ``incident_field``."""
    return _PROBLEM_FIELD.get(incident_field, incident_field)


@dataclass(frozen=True)
class LocalTime:
    """One wall-clock time of the form, read in the display zone.

    ``ambiguous`` is set when the time happened twice and nobody has said which yet; ``utc`` then
    holds the first occurrence, so validation can go on while the question waits for the save.
    """

    local: datetime.datetime | None
    utc: str | None = None
    problem: str | None = None
    ambiguous: AmbiguousTimeError | None = None


@dataclass
class Reading:
    """The form's values read: the raw incident, and what reading the text found on the way."""

    raw: dict[str, Any]
    problems: dict[str, str] = field(default_factory=dict)
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    bearing: float | None = None
    times: dict[str, LocalTime] = field(default_factory=dict)
    placement: Placement | None = None


def read_time(date: str, clock: str, tz: ZoneInfo, fold: int | None) -> LocalTime:
    try:
        local = datetime.datetime.fromisoformat(f"{date}T{clock}")
    except ValueError:
        return LocalTime(None, problem=f"'{date} {clock}' is not a date and time")
    try:
        return LocalTime(local, to_utc(local, tz, fold=fold))
    except NonexistentTimeError as error:
        return LocalTime(local, problem=str(error))
    except AmbiguousTimeError as error:
        return LocalTime(local, error.candidates[0].utc, ambiguous=error)


def fold_for(folds: Mapping[str, Any], name: str, local: str) -> int | None:
    """The occurrence the monitor chose for field ``name``, if it was chosen for this very time."""
    answer = folds.get(name)
    if isinstance(answer, list | tuple) and len(answer) == 2 and answer[0] == local and answer[1] in (0, 1):
        return int(answer[1])
    return None


def read_form(values: Mapping[str, Any], tz: ZoneInfo, theatre: Theatre) -> Reading:
    """Read every field of ``values`` (the form's snapshot) into the raw dict for validation."""
    reading = Reading(raw={})
    raw = reading.raw
    folds = values.get("folds") or {}
    for name in TIMES:
        if name == "observed_end" and not values.get("observed_end_known"):
            raw[name] = None
            continue
        date, clock = str(values.get(f"{name}_date", "")), str(values.get(f"{name}_time", ""))
        reading.times[name] = moment = read_time(date, clock, tz, fold_for(folds, name, f"{date}T{clock}"))
        raw[name] = moment.utc
        if moment.problem:
            reading.problems[name] = moment.problem
    for name, (lat_field, lon_field) in POSITIONS.items():
        raw[lat_field] = raw[lon_field] = None
        text = str(values.get(name) or "").strip()
        if not text:
            continue
        try:
            lat, lon = geo.parse_position(text, name)
        except ValidationError as error:
            reading.problems[name] = error.problems[0].reason
            continue
        reading.positions[name] = (lat, lon)
        raw[lat_field], raw[lon_field] = lat, lon
    position = reading.positions.get("event_position") or reading.positions.get("observer_position")
    if position is not None:
        reading.placement = theatre.assign(*position)
    raw["bearing_deg"] = None
    bearing_text = str(values.get("bearing_deg") or "").strip()
    if bearing_text:
        try:
            raw["bearing_deg"] = reading.bearing = geo.parse_bearing(bearing_text)
        except ValidationError as error:
            reading.problems["bearing_deg"] = error.problems[0].reason
    for name in CHOICE_FIELDS:
        raw[name] = values.get(name)
    for name in TEXT_FIELDS:
        raw[name] = values.get(name) or None
    raw["narrative"] = values.get("narrative") or ""
    raw["count"] = values.get("count")
    raw["weapon_assessed"] = bool(values.get("weapon_assessed"))
    # Fields that do not apply are greyed out but keep their text (the monitor may switch back);
    # what is greyed out is not part of the incident.
    if raw["obs_type"] != "explosion":
        raw["explosion_kind"] = None
    if not raw["weapon_assessed"]:
        raw["calibre_mm"] = None
    # Computed from the position; without one an edited incident keeps the relation it had.
    raw["dmz_relation"] = reading.placement.dmz_relation if reading.placement else values.get("dmz_relation")
    return reading


# ---------------------------------------------------------------------------------------------
# From stored values back to what the form shows
# ---------------------------------------------------------------------------------------------


def number_text(value: float | int | None) -> str:
    """A stored number as a monitor would type it: 3, 5.5, 120 (never 3.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def coordinate_text(lat: float | None, lon: float | None) -> str:
    if lat is None or lon is None:
        return ""
    return f"{_degrees(lat)}, {_degrees(lon)}"


def _degrees(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def spaced_mgrs(reference: str) -> str:
    """``37UDQ1234567890`` as people write it: ``37U DQ 12345 67890``."""
    head = 3 if reference[:2].isdigit() else 2
    digits = reference[head + 2 :]
    half = len(digits) // 2
    return f"{reference[:head]} {reference[head : head + 2]} {digits[:half]} {digits[half:]}".strip()


def position_hint(lat: float, lon: float) -> str:
    """The position as read, in the two notations the monitor did not necessarily type."""
    return f"{geo.format_dms(lat, lon)} · {spaced_mgrs(geo.to_mgrs(lat, lon))}"


def utc_hint(moment: LocalTime) -> str:
    """What a typed local time means in UTC, or the question it raises (which is asked on saving).

    Short enough for the room beside the time at 150 % scaling: "= 23:30 UTC −1 d" when UTC is
    on the day before, and a problem in two or three words (the problem list says the rest).
    """
    if moment.ambiguous is not None:
        return "⚠ happens twice"
    if moment.problem is not None:
        return "⚠ " + ("clocks skip it" if "does not exist" in moment.problem else "not a time")
    if moment.utc is None or moment.local is None:
        return ""
    utc = datetime.datetime.fromisoformat(moment.utc.replace("Z", "+00:00"))
    days = (utc.date() - moment.local.date()).days
    return f"= {utc:%H:%M} UTC" + (f" {'+' if days > 0 else '−'}{abs(days)} d" if days else "")


def clock_text(moment: datetime.datetime) -> str:
    """``21:15``, or ``21:15:30`` when the stored time has seconds, so an edit never drops them."""
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


def values_of_incident(incident: Incident, tz: ZoneInfo) -> dict[str, Any]:
    """The form's values for a stored incident (what an edit starts from)."""
    start = to_local(incident.observed_start, tz)
    values: dict[str, Any] = {
        "observed_start_date": start.date().isoformat(),
        "observed_start_time": clock_text(start),
        "observed_end_known": incident.observed_end is not None,
        "observer_position": coordinate_text(incident.observer_lat, incident.observer_lon),
        "event_position": coordinate_text(incident.event_lat, incident.event_lon),
        "bearing_deg": number_text(incident.bearing_deg),
        "count": incident.count,
        "weapon_assessed": incident.weapon_assessed,
        "dmz_relation": incident.dmz_relation,
        "narrative": incident.narrative,
        "reason": "",
    }
    folds: dict[str, list[Any]] = {"observed_start": [f"{start.date().isoformat()}T{clock_text(start)}", start.fold]}
    end = to_local(incident.observed_end or incident.observed_start, tz)
    values["observed_end_date"], values["observed_end_time"] = end.date().isoformat(), clock_text(end)
    if incident.observed_end is not None:
        folds["observed_end"] = [f"{end.date().isoformat()}T{clock_text(end)}", end.fold]
    # The stored times are unambiguous: keep which occurrence they were, so an edit never asks.
    values["folds"] = folds
    for name in CHOICE_FIELDS:
        values[name] = getattr(incident, name)
    for name in TEXT_FIELDS:
        value = getattr(incident, name)
        values[name] = number_text(value) if isinstance(value, int | float) else (value or "")
    return values
