"""Field names and values as people read them, shared by the window, histories and reports.

No Qt here: the detail pane, the history and (later) the reports all call these, so a field is
named and a value written the same way everywhere.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from db.model import enums

FIELD_LABELS: Mapping[str, str] = {
    "observed_start": "Observed from",
    "observed_end": "Observed until",
    "time_precision": "Time precision",
    "zone_id": "Zone",
    "sector_id": "DMZ sector",
    "dmz_relation": "DMZ relation",
    "observer_lat": "Observer latitude",
    "observer_lon": "Observer longitude",
    "event_lat": "Event latitude",
    "event_lon": "Event longitude",
    "geo_precision": "Location precision",
    "place": "Place",
    "bearing_deg": "Bearing (°)",
    "dist_min_km": "Distance min (km)",
    "dist_max_km": "Distance max (km)",
    "category": "Category",
    "obs_type": "Observation",
    "explosion_kind": "Explosion kind",
    "weapon_class": "Weapon",
    "weapon_assessed": "Weapon assessed",
    "calibre_mm": "Calibre (mm)",
    "count": "Count",
    "count_qualifier": "Count is",
    "means": "Means",
    "source_reliability": "Source reliability",
    "info_credibility": "Information credibility",
    "civ_killed": "Civilians killed",
    "civ_injured": "Civilians injured",
    "mil_killed": "Military killed",
    "mil_injured": "Military injured",
    "verification_state": "Verification",
    "attribution": "Attribution",
    "actor1": "Actor 1",
    "actor2": "Actor 2",
    "narrative": "Narrative",
}

ENUM_LABELS: Mapping[str, Mapping[Any, str]] = enums.FIELD_ENUMS
TIME_FIELDS = ("observed_start", "observed_end")


def local_time_text(utc_text: str, tz: ZoneInfo) -> str:
    """``2026-05-01T21:15:00Z`` as ``2026-05-02 00:15`` in ``tz``."""
    moment = datetime.fromisoformat(utc_text.replace("Z", "+00:00")).astimezone(tz)
    return moment.strftime("%Y-%m-%d %H:%M")


def format_value(field: str, value: Any, tz: ZoneInfo) -> str:
    """One field's value for people: labels for codes, local time, "unknown" for nothing."""
    if value is None or value == "":
        return "—"
    if field in TIME_FIELDS:
        return f"{local_time_text(value, tz)} ({tz.key})"
    if field in ENUM_LABELS:
        return ENUM_LABELS[field].get(value, str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


COUNT_PREFIX: Mapping[str, str] = {"exact": "", "approx": "~", "at_least": "≥", "uncountable": "≥"}


def cell_text(field: str, incident: Any) -> str:
    """A field as a short table cell: labels for codes, "~12" / "≥12" for qualified counts, "" for none.

    ``incident`` is a :class:`db.model.incident.Incident`; every table of incidents uses this, so the
    incident table and the review queue show a value the same way.
    """
    value = getattr(incident, field)
    if field == "count":
        return f"{COUNT_PREFIX.get(incident.count_qualifier, '')}{value}"
    if value is None:
        return ""
    if field in ENUM_LABELS:
        return ENUM_LABELS[field].get(value, str(value))
    return str(value)


def counted(number: int, noun: str) -> str:
    """``1 incident``, ``2 incidents``, ``1,000 incidents``: every count the user reads agrees with its noun."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def problem_sentence(label: str, reason: str) -> str:
    """``Category is required``, ``Bearing: 'x' is not a bearing``: a reason that is a predicate follows its field."""
    return f"{label} {reason}" if reason.startswith(("is ", "must ")) else f"{label}: {reason}"
