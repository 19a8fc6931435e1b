"""Every enumeration of the incident model, with its English label.

The form, the table, the filters and the exports all read the values and labels from here, so a
value added here appears everywhere at once. Values are stored; labels are only shown.
"""

from types import MappingProxyType
from typing import Final

Labels = MappingProxyType


def _labels(*pairs: tuple[str, str]) -> MappingProxyType[str, str]:
    return MappingProxyType(dict(pairs))


TIME_PRECISION: Final = _labels(
    ("exact", "Exact"),
    ("approximate", "Approximate"),
    ("day", "Day only"),
    ("week", "Week only"),
)

DMZ_RELATION: Final = _labels(
    ("inside", "Inside the DMZ"),
    ("edge", "On the DMZ edge"),
    ("outside", "Outside the DMZ"),
)

GEO_PRECISION: Final = _labels(
    ("exact", "Exact"),
    ("near", "Near (within a few km)"),
    ("settlement", "Settlement"),
    ("region", "Region"),
)

CATEGORY: Final = _labels(
    ("fire", "Fire (ceasefire violation)"),
    ("heavy_weapon_in_restricted_area", "Heavy weapon in restricted area"),
    ("military_presence", "Military presence"),
    ("mine_or_uxo", "Mine or UXO"),
    ("uav_activity", "UAV activity"),
    ("access_restriction", "Access restriction"),
    ("threat_to_monitors", "Threat to monitors"),
    ("civilian_harm", "Civilian harm"),
    ("infrastructure_damage", "Infrastructure damage"),
    ("other", "Other"),
)

OBS_TYPE: Final = _labels(
    ("explosion", "Explosion"),
    ("projectile_in_flight", "Projectile in flight"),
    ("muzzle_flash", "Muzzle flash"),
    ("illumination_flare", "Illumination flare"),
    ("burst", "Burst"),
    ("single_shot", "Single shot"),
    ("none", "None"),
)

EXPLOSION_KIND: Final = _labels(
    ("impact", "Impact"),
    ("airburst", "Airburst"),
    ("outgoing", "Outgoing"),
    ("undetermined", "Undetermined"),
)

WEAPON_CLASS: Final = _labels(
    ("small_arms", "Small arms"),
    ("heavy_machine_gun", "Heavy machine gun"),
    ("grenade_launcher", "Grenade launcher"),
    ("rpg_recoilless", "RPG / recoilless"),
    ("cannon", "Cannon"),
    ("tank_gun", "Tank gun"),
    ("mortar", "Mortar"),
    ("tube_artillery", "Tube artillery"),
    ("mlrs", "MLRS"),
    ("atgm", "ATGM"),
    ("drone_munition", "Drone munition"),
    ("undetermined", "Undetermined"),
)

COUNT_QUALIFIER: Final = _labels(
    ("exact", "Exactly"),
    ("approx", "About"),
    ("at_least", "At least"),
    ("uncountable", "Uncountable"),
)

MEANS: Final = _labels(
    ("heard", "Heard"),
    ("seen", "Seen"),
    ("heard_and_seen", "Heard and seen"),
    ("camera", "Camera"),
    ("uav", "UAV"),
    ("crater_analysis", "Crater analysis"),
    ("party_report", "Report by a party"),
    ("civilian_report", "Civilian report"),
)

SOURCE_RELIABILITY: Final = _labels(
    ("A", "A: completely reliable"),
    ("B", "B: usually reliable"),
    ("C", "C: fairly reliable"),
    ("D", "D: not usually reliable"),
    ("E", "E: unreliable"),
    ("F", "F: reliability cannot be judged"),
)

INFO_CREDIBILITY: Final = MappingProxyType(
    {
        1: "1: confirmed by other sources",
        2: "2: probably true",
        3: "3: possibly true",
        4: "4: doubtful",
        5: "5: improbable",
        6: "6: truth cannot be judged",
    }
)

VERIFICATION_STATE: Final = _labels(
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("under_review", "Under review"),
    ("returned", "Returned"),
    ("verified", "Verified"),
    ("unverified", "Unverified"),
    ("disputed", "Disputed"),
    ("not_a_violation", "Not a violation"),
    ("archived", "Archived"),
)

ATTRIBUTION: Final = _labels(
    ("not_assessed", "Not assessed"),
    ("attributed", "Attributed"),
    ("could_not_be_attributed", "Could not be attributed"),
)

ROLE: Final = _labels(
    ("monitor", "Monitor"),
    ("supervisor", "Supervisor"),
)


# Which enumeration each incident field takes its values from (info_credibility is an integer scale).
FIELD_ENUMS: Final = MappingProxyType(
    {
        "time_precision": TIME_PRECISION,
        "dmz_relation": DMZ_RELATION,
        "geo_precision": GEO_PRECISION,
        "category": CATEGORY,
        "obs_type": OBS_TYPE,
        "explosion_kind": EXPLOSION_KIND,
        "weapon_class": WEAPON_CLASS,
        "count_qualifier": COUNT_QUALIFIER,
        "means": MEANS,
        "source_reliability": SOURCE_RELIABILITY,
        "info_credibility": INFO_CREDIBILITY,
        "verification_state": VERIFICATION_STATE,
        "attribution": ATTRIBUTION,
    }
)
