"""Words of the entry form: each field's label and the tooltip that explains it.

Kept apart from the layout code so the wording can be reviewed (and one day translated) as a
whole. Keys are the form's field names (see :mod:`desktop.form.incident_fields`).
"""

LABELS: dict[str, str] = {
    "observed_start": "Start",
    "observed_end": "End",
    "time_precision": "Time precision",
    "observer_position": "Your position",
    "event_position": "Event position",
    "zone_id": "Zone",
    "sector_id": "DMZ sector",
    "dmz_relation": "DMZ relation",
    "place": "Place",
    "bearing_deg": "Bearing",
    "distance": "Distance",
    "dist_min_km": "Minimum distance",
    "dist_max_km": "Maximum distance",
    "geo_precision": "Location precision",
    "category": "Category",
    "obs_type": "Observed",
    "explosion_kind": "Explosion",
    "weapon_class": "Weapon",
    "weapon_assessed": "Weapon assessed",
    "calibre_mm": "Calibre",
    "count": "Count",
    "count_qualifier": "Count qualifier",
    "means": "Means",
    "source_reliability": "Source",
    "info_credibility": "Credibility",
    "civilians": "Civilians",
    "military": "Military",
    "civ_killed": "Civilians killed",
    "civ_injured": "Civilians injured",
    "mil_killed": "Military killed",
    "mil_injured": "Military injured",
    "verification_state": "Verification",
    "attribution": "Attribution",
    "actor1": "Actor 1",
    "actor2": "Actor 2",
    "narrative": "Narrative",
    "reason": "Reason",
}

HELP: dict[str, str] = {
    "observed_start_date": "Day the observation started, in the mission's local time. Type 2026-05-01 or use ↑/↓.",
    "observed_start_time": "Time the observation started, local time, 24-hour clock. Type 21:15 or 2115.",
    "observed_end_known": "Tick (Space) if the observation had a known end, then enter its date and time.",
    "observed_end_date": "Day the observation ended, local time.",
    "observed_end_time": "Time the observation ended, local time, 24-hour clock.",
    "time_precision": "How exactly the time is known: exact, approximate, or only the day or week.",
    "observer_position": (
        "Where you were. Decimal degrees (48.4012, 37.7021), degrees-minutes-seconds "
        "(48°24'04\"N 37°42'08\"E) or MGRS (37U DQ 12345 67890). Latitude first."
    ),
    "event_position": (
        "Where the event happened, if you can estimate it; same notations as your position. "
        "Leave empty if unknown. When given, it decides the zone and sector."
    ),
    "zone_id": (
        "Zone of responsibility. Filled from the position; choose another to override "
        "(a warning shows the mismatch). Type to search."
    ),
    "sector_id": "DMZ sector, filled from the position; None outside the DMZ. Type to search.",
    "dmz_relation": "Computed from the position: inside the DMZ, on its edge, or outside it.",
    "place": "Nearest settlement or landmark, as locals name it (any script).",
    "bearing_deg": "Direction to the event from you: degrees true (0 to 360) or a compass point such as NE or WSW.",
    "dist_min_km": "Nearest the event could be, in km. Leave empty if unknown.",
    "dist_max_km": "Farthest the event could be, in km. Leave empty if unknown.",
    "geo_precision": "How exactly the location is known: exact, within a few km, the settlement, or the region.",
    "category": "What kind of incident this is. Type the first letters to choose.",
    "obs_type": "What was observed. Choose Explosion to record its kind.",
    "explosion_kind": "For explosions only: impact, airburst, outgoing fire, or undetermined.",
    "weapon_class": "Weapon or weapon system, as far as you can tell. Undetermined if you cannot.",
    "weapon_assessed": "Tick (Space) if a qualified monitor assessed the weapon; then the calibre can be entered.",
    "calibre_mm": "Calibre in millimetres (for example 120), only when the weapon was assessed.",
    "count": "How many violations this entry stands for: twelve explosions are 12.",
    "count_qualifier": "Whether the count is exact, approximate, a minimum, or could not be counted.",
    "means": "How you know: heard, seen, camera, UAV, crater analysis, or a report by others.",
    "source_reliability": "Admiralty grading of the source, A (completely reliable) to F (cannot be judged).",
    "info_credibility": "Admiralty grading of the information, 1 (confirmed) to 6 (cannot be judged).",
    "civ_killed": "Civilians killed. Empty means unknown; 0 means none.",
    "civ_injured": "Civilians injured. Empty means unknown; 0 means none.",
    "mil_killed": "Military personnel killed. Empty means unknown; 0 means none.",
    "mil_injured": "Military personnel injured. Empty means unknown; 0 means none.",
    "verification_state": "Where the record is in review. Monitors usually leave Draft or choose Submitted.",
    "attribution": "Whether the violation was attributed to a party. Attributed needs Actor 1.",
    "actor1": "The party responsible, when attributed.",
    "actor2": "The other party involved, if any.",
    "narrative": "What happened, in your words. Tab moves to the next field; Enter starts a new line.",
    "reason": "Why this incident is being changed. Required: it is kept with the new version.",
}

# Fields Tab passes over: defaults that seldom change, reached by their Alt key (the underlined
# letter of their label) or a click. The trial report then takes no Tab to cross them.
RARELY_CHANGED = (
    "observed_start_date",
    "observed_end_known",
    "observed_end_date",
    "time_precision",
    "event_position",
    "zone_id",
    "sector_id",
    "geo_precision",
    "count_qualifier",
    "source_reliability",
    "info_credibility",
    "civ_killed",
    "civ_injured",
    "mil_killed",
    "mil_injured",
    "verification_state",
    "attribution",
    "actor1",
    "actor2",
)
FIRST_FIELD = "observed_start_time"
