"""Test data shared by the test modules (conftest.py holds only fixtures)."""

from typing import Any


def valid_raw(**changes: Any) -> dict[str, Any]:
    """A complete, valid incident as a form would submit it (near Toretsk, in the DMZ)."""
    raw: dict[str, Any] = {
        "observed_start": "2026-05-01T21:15:00Z",
        "observed_end": "2026-05-01T21:40:00Z",
        "time_precision": "exact",
        "observer_lat": 48.40,
        "observer_lon": 37.70,
        "event_lat": 48.42,
        "event_lon": 37.80,
        "geo_precision": "near",
        "place": "Торецьк",
        "bearing_deg": 70,
        "dist_min_km": 3,
        "dist_max_km": 5.5,
        "category": "fire",
        "obs_type": "explosion",
        "explosion_kind": "impact",
        "weapon_class": "mortar",
        "weapon_assessed": True,
        "calibre_mm": 120,
        "count": 12,
        "count_qualifier": "exact",
        "means": "heard_and_seen",
        "source_reliability": "A",
        "info_credibility": 2,
        "civ_killed": 0,
        "civ_injured": None,
        "mil_killed": None,
        "mil_injured": None,
        "verification_state": "submitted",
        "attribution": "not_assessed",
        "narrative": "Twelve impacts heard and seen 3–5 km ENE of OP Toretsk-2; assessed 120 mm mortar.",
    }
    raw.update(changes)
    return raw
