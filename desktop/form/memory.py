"""What the entry form carries from one incident to the next.

A monitor reports from the same observation post evening after evening, and one moment often
makes several incidents ("12 explosions and bursts of heavy-machine-gun fire" is two
observations). So a new incident starts from the last one's position, place, zone, sector and
means (kept in the user's settings, not in the database), and "Save and new from this" keeps
everything of the moment and drops what was observed.
"""

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QSettings

from db.model.incident import Incident
from db.model.theatre import Theatre
from db.model.validation import DEFAULTS

SETTING_ZONE = "form/last_zone"
SETTING_SECTOR = "form/last_sector"
SETTING_MEANS = "form/last_means"
SETTING_POSITION = "form/last_position"
SETTING_PLACE = "form/last_place"
# What "Save and new from this" keeps: the same moment, seen from the same place, the same way
# ("12 explosions and bursts of heavy-machine-gun fire" is two observations of one moment).
KEPT_FOR_NEXT = (
    "observed_start_date",
    "observed_start_time",
    "observed_end_known",
    "observed_end_date",
    "observed_end_time",
    "time_precision",
    "folds",
    "observer_position",
    "event_position",
    "zone_id",
    "sector_id",
    "zone_overridden",
    "sector_overridden",
    "dmz_relation",
    "place",
    "bearing_deg",
    "dist_min_km",
    "dist_max_km",
    "geo_precision",
    "category",
    "means",
    "source_reliability",
    "info_credibility",
    "verification_state",
    "attribution",
    "actor1",
    "actor2",
)


def _setting(settings: QSettings, key: str, allowed: frozenset[str] | None = None) -> str | None:
    value = settings.value(key)
    if not isinstance(value, str) or not value or (allowed is not None and value not in allowed):
        return None
    return value


def recalled(settings: QSettings, theatre: Theatre) -> dict[str, Any]:
    """The form values a new incident starts from (a zone or sector the theatre lacks is dropped)."""
    return {
        "zone_id": _setting(settings, SETTING_ZONE, theatre.zone_ids),
        "sector_id": _setting(settings, SETTING_SECTOR, theatre.sector_ids),
        "means": _setting(settings, SETTING_MEANS),
        "observer_position": _setting(settings, SETTING_POSITION) or "",
        "place": _setting(settings, SETTING_PLACE) or "",
    }


def remember(settings: QSettings, incident: Incident, values: Mapping[str, Any]) -> None:
    """After a save: the next new incident starts from this one's position, place, zone, sector and means."""
    settings.setValue(SETTING_ZONE, incident.zone_id)
    settings.setValue(SETTING_SECTOR, incident.sector_id or "")
    settings.setValue(SETTING_MEANS, incident.means)
    settings.setValue(SETTING_POSITION, str(values.get("observer_position") or ""))
    settings.setValue(SETTING_PLACE, incident.place or "")
    settings.sync()


def next_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The form values of the next observation of the same moment: kept fields, the rest as new."""
    fresh: dict[str, Any] = {name: DEFAULTS.get(name) for name in DEFAULTS}
    fresh.update(calibre_mm="", civ_killed="", civ_injured="", mil_killed="", mil_injured="", narrative="")
    fresh.update({name: values[name] for name in KEPT_FOR_NEXT if name in values})
    return fresh
