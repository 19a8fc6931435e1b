"""The ACLED-compatible CSV: the ACLED codebook's columns, filled from our fields (ARCHITECTURE.md §7).

Analysts merge mission data with ACLED's public data set, so this format uses the codebook's
column names, order and codes. ACLED records *events* by date; we record *observations*, so the
mapping below is a judgement, written down here and in the README so an analyst can check it:

- ``event_id_cnty``: our readable reference (``DMZ-04-K7QD-000123``), stable across laptops.
- ``event_date``, ``year``: the local date in the mission time zone (``obs_day``).
- ``time_precision``: 1 (day known) for exact, approximate and day precision; 2 for week.
- ``disorder_type``, ``event_type``, ``sub_event_type``: from category and weapon, see
  :data:`EVENT_TYPES` and :func:`_event_sql`.
- ``actor1``, ``actor2``: ours; ``assoc_actor_*``, ``inter*``, ``interaction`` stay empty (we do
  not code actors with ACLED's scheme). ``civilian_targeting``: "Civilian targeting" for the
  civilian-harm category.
- ``iso``, ``region``, ``country``, ``admin1..3``: empty; mission zones and sectors are not
  administrative units, so they go into ``tags`` instead.
- ``location``: our place; ``latitude``/``longitude``: the event position when estimated, else
  the observer's; ``geo_precision``: exact and settlement 1, near 2, region 3.
- ``source``: "Ceasefire monitoring mission" and the means of observation; ``source_scale``:
  "International".
- ``notes``: our narrative. ``fatalities``: civilians plus military killed (unknown counts as 0,
  as ACLED does).
- ``tags``: ``zone=…; sector=…; weapon=…; count=…; verification=…`` (what ACLED has no column for).
- ``timestamp``: Unix time of the incident's last change (``updated_at``).

This format is for reading and analysis only; it cannot be imported (the native format can).
"""

from db.csv_io.columns import sql_literal, sql_number_cell, sql_text_cell
from db.model import enums

ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)

POLITICAL_VIOLENCE = "Political violence"
STRATEGIC = "Strategic developments"
REMOTE = "Explosions/Remote violence"

# Fire, by weapon: (event_type, sub_event_type). Weapons not listed (small arms, machine guns,
# undetermined) are an armed clash.
FIRE_BY_WEAPON: dict[str, tuple[str, str]] = {
    "grenade_launcher": (REMOTE, "Grenade"),
    "rpg_recoilless": (REMOTE, "Shelling/artillery/missile attack"),
    "cannon": (REMOTE, "Shelling/artillery/missile attack"),
    "tank_gun": (REMOTE, "Shelling/artillery/missile attack"),
    "mortar": (REMOTE, "Shelling/artillery/missile attack"),
    "tube_artillery": (REMOTE, "Shelling/artillery/missile attack"),
    "mlrs": (REMOTE, "Shelling/artillery/missile attack"),
    "atgm": (REMOTE, "Shelling/artillery/missile attack"),
    "drone_munition": (REMOTE, "Air/drone strike"),
}
FIRE_OTHERWISE = ("Battles", "Armed clash")
# Every other category: (event_type, sub_event_type).
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "heavy_weapon_in_restricted_area": (STRATEGIC, "Other"),
    "military_presence": (STRATEGIC, "Other"),
    "mine_or_uxo": (STRATEGIC, "Other"),
    "uav_activity": (STRATEGIC, "Other"),
    "access_restriction": (STRATEGIC, "Other"),
    "threat_to_monitors": (STRATEGIC, "Other"),
    "civilian_harm": ("Violence against civilians", "Attack"),
    "infrastructure_damage": (STRATEGIC, "Looting/property destruction"),
    "other": (STRATEGIC, "Other"),
}
TIME_PRECISION = {"exact": 1, "approximate": 1, "day": 1, "week": 2}
GEO_PRECISION = {"exact": 1, "settlement": 1, "near": 2, "region": 3}
SOURCE_SCALE = "International"


def event_type(category: str, weapon_class: str) -> tuple[str, str, str]:
    """``(disorder_type, event_type, sub_event_type)`` for one incident (the rule the SQL follows)."""
    kind, sub = FIRE_BY_WEAPON.get(weapon_class, FIRE_OTHERWISE) if category == "fire" else EVENT_TYPES[category]
    return (STRATEGIC if kind == STRATEGIC else POLITICAL_VIOLENCE), kind, sub


def _case(column: str, mapping: dict[str, str], default: str) -> str:
    branches = " ".join(f"WHEN {sql_literal(key)} THEN {sql_literal(value)}" for key, value in mapping.items())
    return f"CASE {column} {branches} ELSE {sql_literal(default)} END"


def _event_sql(part: int) -> str:
    """SQL for part 0 (disorder type), 1 (event type) or 2 (sub-event type) of :func:`event_type`."""
    fire = {weapon: event_type("fire", weapon)[part] for weapon in enums.WEAPON_CLASS}
    other = {category: event_type(category, "undetermined")[part] for category in EVENT_TYPES}
    fire_default = event_type("fire", "undetermined")[part]
    return (
        f"CASE WHEN category = 'fire' THEN {_case('weapon_class', fire, fire_default)} "
        f"ELSE {_case('category', other, '')} END"
    )


def acled_cells() -> list[str]:
    """One SQL expression per ACLED column, over a row of ``incidents``."""
    source = _case("means", {k: f"Ceasefire monitoring mission ({v.lower()})" for k, v in enums.MEANS.items()}, "")
    tags = (
        "'zone=' || zone_id || coalesce('; sector=' || sector_id, '') || '; weapon=' || weapon_class "
        "|| '; count=' || count || ' (' || count_qualifier || '); verification=' || verification_state"
    )
    lat = "coalesce(event_lat, observer_lat)"
    lon = "CASE WHEN event_lat IS NOT NULL THEN event_lon ELSE observer_lon END"
    fatalities = "coalesce(civ_killed, 0) + coalesce(mil_killed, 0)"
    cells = {
        "event_id_cnty": sql_text_cell("ref"),
        "event_date": "obs_day",
        "year": "substr(obs_day, 1, 4)",
        "time_precision": _case("time_precision", {k: str(v) for k, v in TIME_PRECISION.items()}, "1"),
        "disorder_type": _event_sql(0),
        "event_type": _event_sql(1),
        "sub_event_type": _event_sql(2),
        "actor1": sql_text_cell("actor1"),
        "actor2": sql_text_cell("actor2"),
        "civilian_targeting": "CASE WHEN category = 'civilian_harm' THEN 'Civilian targeting' ELSE '' END",
        "location": sql_text_cell("place"),
        "latitude": sql_number_cell(lat),
        "longitude": sql_number_cell(lon),
        "geo_precision": _case("geo_precision", {k: str(v) for k, v in GEO_PRECISION.items()}, "3"),
        "source": sql_text_cell(source),
        "source_scale": sql_literal(SOURCE_SCALE),
        "notes": sql_text_cell("narrative"),
        "fatalities": fatalities,
        "tags": sql_text_cell(tags),
        "timestamp": "CAST(strftime('%s', updated_at) AS INTEGER)",
    }
    return [cells.get(column, "''") for column in ACLED_COLUMNS]
