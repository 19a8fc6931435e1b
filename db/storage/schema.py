"""The numbered schema steps (sqlite-utils ``Migrations``), each frozen: written out as literal SQL.

A step is never edited once released, and never computed from today's code (field lists, the
rollup definitions of :mod:`db.storage.rollup_schema`, the projection): what ``m001_initial`` created on
the first laptops must be what it creates on a blank database today, or a database migrated
years from now would differ from one created today in ways no test sees. The table below is in
ARCHITECTURE.md ("Schema steps"); ``tests/test_schema.py`` compares a freshly migrated database
with a literal expected schema and migrates a database built by ``m001`` alone.
:func:`db.storage.store.migrate` backs the file up before applying any pending step.

The SQL text is kept exactly as the released steps wrote it into ``sqlite_master``, long lines
included (hence ruff's E501 is off for this file).
"""

import json
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("truceline")

# -- m001_initial: the model of the first release --------------------------------------------------

M001_STATEMENTS = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    public_key TEXT NOT NULL,
    first_seen TEXT NOT NULL
)""",
    """CREATE TABLE monitors (
    monitor_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    callsign TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('monitor', 'supervisor')),
    created_at TEXT NOT NULL
)""",
    """CREATE TABLE zones (
    zone_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_uk TEXT NOT NULL,
    lead_nation TEXT
)""",
    """CREATE TABLE sectors (
    sector_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_uk TEXT NOT NULL
)""",
    """CREATE TABLE incident_versions (
    version_id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    parent_ids TEXT NOT NULL,
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    device_seq INTEGER NOT NULL CHECK (device_seq >= 1),
    author_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    reason TEXT,
    payload TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    version_sha256 TEXT NOT NULL,
    chain_sha256 TEXT NOT NULL,
    UNIQUE (device_id, device_seq)
)""",
    "CREATE INDEX incident_versions_incident ON incident_versions (incident_id)",
    """CREATE TRIGGER incident_versions_no_update BEFORE UPDATE ON incident_versions
BEGIN SELECT RAISE(ABORT, 'incident_versions is append-only: versions cannot be changed'); END""",
    """CREATE TRIGGER incident_versions_no_delete BEFORE DELETE ON incident_versions
BEGIN SELECT RAISE(ABORT, 'incident_versions is append-only: versions cannot be deleted'); END""",
    """CREATE TABLE incidents (
    incident_id TEXT PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    head_version_id TEXT NOT NULL,
    heads INTEGER NOT NULL CHECK (heads >= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    obs_day TEXT NOT NULL,
    observed_start TEXT,
    observed_end TEXT,
    time_precision TEXT,
    zone_id TEXT,
    sector_id TEXT,
    dmz_relation TEXT,
    observer_lat REAL,
    observer_lon REAL,
    event_lat REAL,
    event_lon REAL,
    geo_precision TEXT,
    place TEXT,
    bearing_deg REAL,
    dist_min_km REAL,
    dist_max_km REAL,
    category TEXT,
    obs_type TEXT,
    explosion_kind TEXT,
    weapon_class TEXT,
    weapon_assessed INTEGER,
    calibre_mm REAL,
    count INTEGER,
    count_qualifier TEXT,
    means TEXT,
    source_reliability TEXT,
    info_credibility INTEGER,
    civ_killed INTEGER,
    civ_injured INTEGER,
    mil_killed INTEGER,
    mil_injured INTEGER,
    verification_state TEXT,
    attribution TEXT,
    actor1 TEXT,
    actor2 TEXT,
    narrative TEXT
)""",
    "CREATE INDEX incidents_observed ON incidents (observed_start, incident_id)",
    "CREATE INDEX incidents_zone ON incidents (zone_id, observed_start)",
    "CREATE INDEX incidents_sector ON incidents (sector_id, observed_start)",
    "CREATE INDEX incidents_category ON incidents (category, observed_start)",
    "CREATE INDEX incidents_state ON incidents (verification_state, observed_start)",
    "CREATE INDEX incidents_conflicts ON incidents (heads) WHERE heads > 1",
    """CREATE TABLE incident_heads (
    incident_id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    PRIMARY KEY (incident_id, version_id)
) WITHOUT ROWID""",
    """CREATE TABLE daily_counts (
    day TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    sector_id TEXT NOT NULL,
    category TEXT NOT NULL,
    obs_type TEXT NOT NULL,
    explosion_kind TEXT NOT NULL,
    weapon_class TEXT NOT NULL,
    verification_state TEXT NOT NULL,
    incidents INTEGER NOT NULL,
    violations INTEGER NOT NULL,
    PRIMARY KEY (day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state)
) WITHOUT ROWID""",
    """CREATE TRIGGER incidents_rollup_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO daily_counts (day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state, incidents, violations)
    VALUES (NEW.obs_day, NEW.zone_id, coalesce(NEW.sector_id, ''), NEW.category, NEW.obs_type, coalesce(NEW.explosion_kind, ''), NEW.weapon_class, NEW.verification_state, 1, NEW.count)
    ON CONFLICT DO UPDATE SET incidents = incidents + 1, violations = violations + excluded.violations;
END""",
    """CREATE TRIGGER incidents_rollup_delete AFTER DELETE ON incidents BEGIN
    UPDATE daily_counts SET incidents = incidents - 1, violations = violations - OLD.count
    WHERE day = OLD.obs_day AND zone_id = OLD.zone_id AND sector_id = coalesce(OLD.sector_id, '') AND category = OLD.category AND obs_type = OLD.obs_type AND explosion_kind = coalesce(OLD.explosion_kind, '') AND weapon_class = OLD.weapon_class AND verification_state = OLD.verification_state;
    DELETE FROM daily_counts WHERE incidents = 0 AND day = OLD.obs_day AND zone_id = OLD.zone_id AND sector_id = coalesce(OLD.sector_id, '') AND category = OLD.category AND obs_type = OLD.obs_type AND explosion_kind = coalesce(OLD.explosion_kind, '') AND weapon_class = OLD.weapon_class AND verification_state = OLD.verification_state;
END""",
    """CREATE TRIGGER incidents_rollup_update AFTER UPDATE ON incidents BEGIN
    UPDATE daily_counts SET incidents = incidents - 1, violations = violations - OLD.count
    WHERE day = OLD.obs_day AND zone_id = OLD.zone_id AND sector_id = coalesce(OLD.sector_id, '') AND category = OLD.category AND obs_type = OLD.obs_type AND explosion_kind = coalesce(OLD.explosion_kind, '') AND weapon_class = OLD.weapon_class AND verification_state = OLD.verification_state;
    DELETE FROM daily_counts WHERE incidents = 0 AND day = OLD.obs_day AND zone_id = OLD.zone_id AND sector_id = coalesce(OLD.sector_id, '') AND category = OLD.category AND obs_type = OLD.obs_type AND explosion_kind = coalesce(OLD.explosion_kind, '') AND weapon_class = OLD.weapon_class AND verification_state = OLD.verification_state;
    INSERT INTO daily_counts (day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state, incidents, violations)
    VALUES (NEW.obs_day, NEW.zone_id, coalesce(NEW.sector_id, ''), NEW.category, NEW.obs_type, coalesce(NEW.explosion_kind, ''), NEW.weapon_class, NEW.verification_state, 1, NEW.count)
    ON CONFLICT DO UPDATE SET incidents = incidents + 1, violations = violations + excluded.violations;
END""",
    """CREATE VIRTUAL TABLE incidents_fts USING fts5(
    narrative, place, content='incidents', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2', detail=none
)""",
    """CREATE TABLE imports (
    import_id TEXT PRIMARY KEY,
    bundle_sha256 TEXT NOT NULL,
    device_id TEXT NOT NULL,
    seq_from INTEGER,
    seq_to INTEGER,
    added INTEGER NOT NULL,
    duplicate INTEGER NOT NULL,
    conflicting INTEGER NOT NULL,
    imported_at TEXT NOT NULL
)""",
]


@migrations()
def m001_initial(db: Database) -> None:
    for statement in M001_STATEMENTS:
        db.execute(statement)


# -- m002_reporting_day: incidents.report_day and the rollups that count by it ---------------------

M002_RESHAPE = [
    "DROP TRIGGER incidents_rollup_insert",
    "DROP TRIGGER incidents_rollup_delete",
    "DROP TRIGGER incidents_rollup_update",
    "DROP TABLE daily_counts",
    "ALTER TABLE incidents ADD COLUMN report_day TEXT",
]
M002_TABLES = [
    """CREATE TABLE daily_counts (
    day TEXT NOT NULL,
    report_day TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    sector_id TEXT NOT NULL,
    category TEXT NOT NULL,
    obs_type TEXT NOT NULL,
    explosion_kind TEXT NOT NULL,
    weapon_class TEXT NOT NULL,
    verification_state TEXT NOT NULL,
    incidents INTEGER NOT NULL,
    violations INTEGER NOT NULL,
    PRIMARY KEY (day, report_day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state)
) WITHOUT ROWID""",
    """CREATE TABLE daily_what_counts (
    day TEXT NOT NULL,
    category TEXT NOT NULL,
    obs_type TEXT NOT NULL,
    explosion_kind TEXT NOT NULL,
    weapon_class TEXT NOT NULL,
    verification_state TEXT NOT NULL,
    incidents INTEGER NOT NULL,
    violations INTEGER NOT NULL,
    incidents_late INTEGER NOT NULL,
    violations_late INTEGER NOT NULL,
    PRIMARY KEY (day, category, obs_type, explosion_kind, weapon_class, verification_state)
) WITHOUT ROWID""",
    """CREATE TABLE daily_area_counts (
    day TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    sector_id TEXT NOT NULL,
    category TEXT NOT NULL,
    verification_state TEXT NOT NULL,
    incidents INTEGER NOT NULL,
    violations INTEGER NOT NULL,
    incidents_late INTEGER NOT NULL,
    violations_late INTEGER NOT NULL,
    impacts INTEGER NOT NULL,
    airbursts INTEGER NOT NULL,
    outgoing INTEGER NOT NULL,
    undetermined INTEGER NOT NULL,
    impacts_late INTEGER NOT NULL,
    airbursts_late INTEGER NOT NULL,
    outgoing_late INTEGER NOT NULL,
    undetermined_late INTEGER NOT NULL,
    PRIMARY KEY (day, zone_id, sector_id, category, verification_state)
) WITHOUT ROWID""",
    """CREATE TABLE daily_area_what_counts (
    day TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    sector_id TEXT NOT NULL,
    category TEXT NOT NULL,
    obs_type TEXT NOT NULL,
    explosion_kind TEXT NOT NULL,
    weapon_class TEXT NOT NULL,
    incidents INTEGER NOT NULL,
    violations INTEGER NOT NULL,
    incidents_late INTEGER NOT NULL,
    violations_late INTEGER NOT NULL,
    PRIMARY KEY (day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class)
) WITHOUT ROWID""",
    """CREATE TABLE rollup_stale (
    day TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    sector_id TEXT NOT NULL,
    category TEXT NOT NULL,
    obs_type TEXT NOT NULL,
    explosion_kind TEXT NOT NULL,
    weapon_class TEXT NOT NULL,
    verification_state TEXT NOT NULL,
    PRIMARY KEY (day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state)
) WITHOUT ROWID""",
]
# Filled by one GROUP BY each (daily_counts first; the narrow rollups from it) before the indexes
# and triggers exist: seconds, not minutes, on a million incidents.
M002_FILL = [
    "INSERT INTO daily_counts (day, report_day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state, incidents, violations) SELECT incidents.obs_day, incidents.report_day, incidents.zone_id, coalesce(incidents.sector_id, ''), incidents.category, incidents.obs_type, coalesce(incidents.explosion_kind, ''), incidents.weapon_class, incidents.verification_state, count(*), sum(count) FROM incidents GROUP BY incidents.obs_day, incidents.report_day, incidents.zone_id, coalesce(incidents.sector_id, ''), incidents.category, incidents.obs_type, coalesce(incidents.explosion_kind, ''), incidents.weapon_class, incidents.verification_state",
    "INSERT INTO daily_what_counts (day, category, obs_type, explosion_kind, weapon_class, verification_state, incidents, violations, incidents_late, violations_late) SELECT day, category, obs_type, explosion_kind, weapon_class, verification_state, sum(incidents), sum(violations), sum(iif(report_day > day, incidents, 0)), sum(iif(report_day > day, violations, 0)) FROM daily_counts GROUP BY day, category, obs_type, explosion_kind, weapon_class, verification_state",
    "INSERT INTO daily_area_counts (day, zone_id, sector_id, category, verification_state, incidents, violations, incidents_late, violations_late, impacts, airbursts, outgoing, undetermined, impacts_late, airbursts_late, outgoing_late, undetermined_late) SELECT day, zone_id, sector_id, category, verification_state, sum(incidents), sum(violations), sum(iif(report_day > day, incidents, 0)), sum(iif(report_day > day, violations, 0)), sum(iif(obs_type = 'explosion' AND explosion_kind = 'impact', violations, 0)), sum(iif(obs_type = 'explosion' AND explosion_kind = 'airburst', violations, 0)), sum(iif(obs_type = 'explosion' AND explosion_kind = 'outgoing', violations, 0)), sum(iif(obs_type = 'explosion' AND coalesce(explosion_kind, '') NOT IN ('impact', 'airburst', 'outgoing'), violations, 0)), sum(iif(report_day > day AND obs_type = 'explosion' AND explosion_kind = 'impact', violations, 0)), sum(iif(report_day > day AND obs_type = 'explosion' AND explosion_kind = 'airburst', violations, 0)), sum(iif(report_day > day AND obs_type = 'explosion' AND explosion_kind = 'outgoing', violations, 0)), sum(iif(report_day > day AND obs_type = 'explosion' AND coalesce(explosion_kind, '') NOT IN ('impact', 'airburst', 'outgoing'), violations, 0)) FROM daily_counts GROUP BY day, zone_id, sector_id, category, verification_state",
    "INSERT INTO daily_area_what_counts (day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, incidents, violations, incidents_late, violations_late) SELECT day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, sum(incidents), sum(violations), sum(iif(report_day > day, incidents, 0)), sum(iif(report_day > day, violations, 0)) FROM daily_counts GROUP BY day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class",
]
M002_INDEXES_AND_TRIGGERS = [
    "CREATE INDEX daily_what_counts_obs_type ON daily_what_counts (obs_type, day, incidents, violations, incidents_late, violations_late)",
    "CREATE INDEX daily_what_counts_weapon_class ON daily_what_counts (weapon_class, day, incidents, violations, incidents_late, violations_late)",
    "CREATE INDEX daily_what_counts_verification_state ON daily_what_counts (verification_state, day, incidents, violations, incidents_late, violations_late)",
    "CREATE INDEX daily_area_counts_sector_id ON daily_area_counts (sector_id, day, incidents, violations, incidents_late, violations_late)",
    "CREATE INDEX daily_area_counts_category ON daily_area_counts (category, day, incidents, violations, incidents_late, violations_late)",
    "CREATE INDEX daily_area_counts_verification_state ON daily_area_counts (verification_state, day, incidents, violations, incidents_late, violations_late)",
    "CREATE INDEX daily_area_what_counts_sector_id ON daily_area_what_counts (sector_id, day, incidents, violations, incidents_late, violations_late)",
    "CREATE INDEX daily_area_what_counts_obs_type ON daily_area_what_counts (obs_type, day, incidents, violations, incidents_late, violations_late)",
    "CREATE INDEX daily_area_what_counts_weapon_class ON daily_area_what_counts (weapon_class, day, incidents, violations, incidents_late, violations_late)",
    """CREATE TRIGGER incidents_rollup_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO daily_counts (day, report_day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state, incidents, violations) VALUES (NEW.obs_day, NEW.report_day, NEW.zone_id, coalesce(NEW.sector_id, ''), NEW.category, NEW.obs_type, coalesce(NEW.explosion_kind, ''), NEW.weapon_class, NEW.verification_state, 1, NEW.count)
    ON CONFLICT DO UPDATE SET incidents = incidents + 1, violations = violations + excluded.violations;
    INSERT INTO rollup_stale (day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state) VALUES (NEW.obs_day, NEW.zone_id, coalesce(NEW.sector_id, ''), NEW.category, NEW.obs_type, coalesce(NEW.explosion_kind, ''), NEW.weapon_class, NEW.verification_state) ON CONFLICT DO NOTHING;
END""",
    """CREATE TRIGGER incidents_rollup_delete AFTER DELETE ON incidents BEGIN
    UPDATE daily_counts SET incidents = incidents - 1, violations = violations - OLD.count WHERE day = OLD.obs_day AND report_day = OLD.report_day AND zone_id = OLD.zone_id AND sector_id = coalesce(OLD.sector_id, '') AND category = OLD.category AND obs_type = OLD.obs_type AND explosion_kind = coalesce(OLD.explosion_kind, '') AND weapon_class = OLD.weapon_class AND verification_state = OLD.verification_state;
    DELETE FROM daily_counts WHERE incidents = 0 AND day = OLD.obs_day AND report_day = OLD.report_day AND zone_id = OLD.zone_id AND sector_id = coalesce(OLD.sector_id, '') AND category = OLD.category AND obs_type = OLD.obs_type AND explosion_kind = coalesce(OLD.explosion_kind, '') AND weapon_class = OLD.weapon_class AND verification_state = OLD.verification_state;
    INSERT INTO rollup_stale (day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state) VALUES (OLD.obs_day, OLD.zone_id, coalesce(OLD.sector_id, ''), OLD.category, OLD.obs_type, coalesce(OLD.explosion_kind, ''), OLD.weapon_class, OLD.verification_state) ON CONFLICT DO NOTHING;
END""",
    """CREATE TRIGGER incidents_rollup_update AFTER UPDATE ON incidents WHEN OLD.obs_day IS NOT NEW.obs_day OR OLD.report_day IS NOT NEW.report_day OR OLD.zone_id IS NOT NEW.zone_id OR OLD.sector_id IS NOT NEW.sector_id OR OLD.category IS NOT NEW.category OR OLD.obs_type IS NOT NEW.obs_type OR OLD.explosion_kind IS NOT NEW.explosion_kind OR OLD.weapon_class IS NOT NEW.weapon_class OR OLD.verification_state IS NOT NEW.verification_state OR OLD.count IS NOT NEW.count BEGIN
    UPDATE daily_counts SET incidents = incidents - 1, violations = violations - OLD.count WHERE day = OLD.obs_day AND report_day = OLD.report_day AND zone_id = OLD.zone_id AND sector_id = coalesce(OLD.sector_id, '') AND category = OLD.category AND obs_type = OLD.obs_type AND explosion_kind = coalesce(OLD.explosion_kind, '') AND weapon_class = OLD.weapon_class AND verification_state = OLD.verification_state;
    DELETE FROM daily_counts WHERE incidents = 0 AND day = OLD.obs_day AND report_day = OLD.report_day AND zone_id = OLD.zone_id AND sector_id = coalesce(OLD.sector_id, '') AND category = OLD.category AND obs_type = OLD.obs_type AND explosion_kind = coalesce(OLD.explosion_kind, '') AND weapon_class = OLD.weapon_class AND verification_state = OLD.verification_state;
    INSERT INTO rollup_stale (day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state) VALUES (OLD.obs_day, OLD.zone_id, coalesce(OLD.sector_id, ''), OLD.category, OLD.obs_type, coalesce(OLD.explosion_kind, ''), OLD.weapon_class, OLD.verification_state) ON CONFLICT DO NOTHING;
    INSERT INTO daily_counts (day, report_day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state, incidents, violations) VALUES (NEW.obs_day, NEW.report_day, NEW.zone_id, coalesce(NEW.sector_id, ''), NEW.category, NEW.obs_type, coalesce(NEW.explosion_kind, ''), NEW.weapon_class, NEW.verification_state, 1, NEW.count)
    ON CONFLICT DO UPDATE SET incidents = incidents + 1, violations = violations + excluded.violations;
    INSERT INTO rollup_stale (day, zone_id, sector_id, category, obs_type, explosion_kind, weapon_class, verification_state) VALUES (NEW.obs_day, NEW.zone_id, coalesce(NEW.sector_id, ''), NEW.category, NEW.obs_type, coalesce(NEW.explosion_kind, ''), NEW.weapon_class, NEW.verification_state) ON CONFLICT DO NOTHING;
END""",
]
# What m002 assumed when the database held no theatre yet: the default theatre of that release.
M002_DEFAULT_TIME_ZONE = "Europe/Kyiv"
M002_DEFAULT_CUTOFF = "19:30"


def m002_report_day(time_zone: str, cutoff_text: str) -> Callable[[str], str]:
    """m002's reporting day of a UTC ``...Z`` time: the local date, or the next one at or after the cut-off.

    Frozen with the step (db.storage.projection.Calendar computes the same for new rows today).
    """
    tz = ZoneInfo(time_zone)
    hours, minutes = cutoff_text.split(":")
    cutoff = time(int(hours), int(minutes))

    def report_day(observed_start: str) -> str:
        local = datetime.fromisoformat(observed_start.replace("Z", "+00:00")).astimezone(tz)
        day = local.date() + timedelta(days=1) if local.time() >= cutoff else local.date()
        return day.isoformat()

    return report_day


def m002_calendar(stored_theatre: str | None) -> tuple[str, str]:
    """The time zone and cut-off m002 used: the stored theatre's settings, else the default's."""
    if stored_theatre is None:
        return M002_DEFAULT_TIME_ZONE, M002_DEFAULT_CUTOFF
    settings = json.loads(stored_theatre)["settings"]
    return str(settings["time_zone"]), str(settings["reporting_cutoff"])


@migrations()
def m002_reporting_day(db: Database) -> None:
    """Reporting days: ``incidents.report_day``, and rollups that can count by it.

    Existing rows get their reporting day from the theatre stored in the database (its time zone
    and cut-off), or the default theatre when none was stored yet.
    """
    conn = db.conn
    stored = conn.execute("SELECT value FROM meta WHERE key = 'theatre_geojson'").fetchone()
    report_day = m002_report_day(*m002_calendar(stored[0] if stored else None))
    for statement in M002_RESHAPE:
        conn.execute(statement)
    conn.create_function("truceline_report_day", 1, report_day, deterministic=True)
    try:
        conn.execute("UPDATE incidents SET report_day = truceline_report_day(observed_start)")
    finally:
        conn.create_function("truceline_report_day", 1, None)
    for statement in (*M002_TABLES, *M002_FILL, *M002_INDEXES_AND_TRIGGERS):
        conn.execute(statement)


# -- m003_chain_heads: relaying other laptops' versions verifiably ---------------------------------

# ``chain_heads`` holds every chain head a device signed that this laptop has seen (one per bundle
# run): a relaying laptop hands the device's own signature on. ``chain_anchors`` holds, for a
# version whose predecessor in its device's chain had not arrived with it, the chain hash before
# it, so that the version can be re-exported with the link the signed head covers.
M003_STATEMENTS = [
    """CREATE TABLE chain_heads (
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    device_seq INTEGER NOT NULL CHECK (device_seq >= 1),
    chain_sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (device_id, device_seq)
) WITHOUT ROWID""",
    """CREATE TABLE chain_anchors (
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    device_seq INTEGER NOT NULL CHECK (device_seq > 1),
    previous_chain_sha256 TEXT NOT NULL,
    PRIMARY KEY (device_id, device_seq)
) WITHOUT ROWID""",
    "CREATE INDEX imports_time ON imports (imported_at)",
]


@migrations()
def m003_chain_heads(db: Database) -> None:
    for statement in M003_STATEMENTS:
        db.execute(statement)


# -- m004_rollup_days: what the timeline's in-memory copies reload ---------------------------------

M004_STATEMENTS = [
    "CREATE TABLE rollup_days (\n    day TEXT PRIMARY KEY,\n    gen INTEGER NOT NULL\n) WITHOUT ROWID",
    "CREATE INDEX rollup_days_gen ON rollup_days (gen)",
    "INSERT INTO rollup_days (day, gen) SELECT DISTINCT day, 1 FROM daily_counts",
]


@migrations()
def m004_rollup_days(db: Database) -> None:
    """The generation at which each day of ``daily_counts`` last changed, and the rollups' epoch.

    The timeline keeps ``daily_counts`` in memory (db/trends/day_cube.py) and reloads only the days
    stamped with a newer generation than its copy; a new epoch (a rebuilt projection) reloads all.
    """
    for statement in M004_STATEMENTS:
        db.conn.execute(statement)
    db.conn.execute(
        "INSERT INTO meta (key, value) VALUES ('rollup_epoch', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(uuid.uuid4()),),
    )


# -- m005_sort_indexes: sorting the incident table through an index --------------------------------

# Every other column the incident table sorts by, in the shape of m001's: (column, time), so that
# a sorted page walks an index in order instead of sorting every matching row: half a second per
# page on a million incidents without them.
M005_STATEMENTS = [
    "CREATE INDEX incidents_obs_type ON incidents (obs_type, observed_start)",
    "CREATE INDEX incidents_weapon_class ON incidents (weapon_class, observed_start)",
    "CREATE INDEX incidents_count ON incidents (count, observed_start)",
    "CREATE INDEX incidents_means ON incidents (means, observed_start)",
    "CREATE INDEX incidents_place ON incidents (place, observed_start)",
    "CREATE INDEX incidents_updated_at ON incidents (updated_at, observed_start)",
]


@migrations()
def m005_sort_indexes(db: Database) -> None:
    for statement in M005_STATEMENTS:
        db.conn.execute(statement)


MONITOR_DEVICE_STATEMENTS = [
    "ALTER TABLE monitors ADD COLUMN device_id TEXT",
    "ALTER TABLE monitors ADD COLUMN signature TEXT",
]


@migrations()
def m006_monitor_devices(db: Database) -> None:
    """Each monitor belongs to the laptop that registered it, which signs the record (db/records/monitor_records.py).

    Existing monitors are given the device of their first version, or else this laptop's own
    device; their signatures are made when this laptop next exports (only its own monitors').
    """
    for statement in MONITOR_DEVICE_STATEMENTS:
        db.conn.execute(statement)
    db.conn.execute(
        "UPDATE monitors SET device_id = coalesce("
        "(SELECT v.device_id FROM incident_versions v WHERE v.author_id = monitors.monitor_id "
        "ORDER BY v.rowid LIMIT 1), (SELECT value FROM meta WHERE key = 'local_device_id'))"
    )


PERFORMANCE_INDEX_STATEMENTS = [
    "CREATE INDEX incident_versions_state ON incident_versions (version_id, version_sha256)",
    """CREATE INDEX incidents_map_position ON incidents (
    coalesce(event_lat, observer_lat),
    CASE WHEN event_lat IS NOT NULL THEN event_lon ELSE observer_lon END,
    observed_start
)""",
]


@migrations()
def m007_performance_indexes(db: Database) -> None:
    """Indexes for the state hash and for the map's area filter.

    ``incident_versions_state`` covers the state hash (db/exchange/log.py), which otherwise reads
    every version's whole row (payload included) in version id order. ``incidents_map_position``
    is the map position of db.records.queries.MAP_LAT and MAP_LON (the same expressions, so that SQLite
    matches them), then the time: an area's count, and its rows in time order, come from a range
    of the index instead of every row of the table.
    """
    for statement in PERFORMANCE_INDEX_STATEMENTS:
        db.conn.execute(statement)


# -- m008_roster: the mission's signed roster, and versions kept apart until it allows them ---------

ROSTER_STATEMENTS = [
    """CREATE TABLE rosters (
    number INTEGER PRIMARY KEY CHECK (number >= 1),
    signed TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    source TEXT NOT NULL
)""",
    """CREATE TABLE quarantined_versions (
    version_id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    parent_ids TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device_seq INTEGER NOT NULL CHECK (device_seq >= 1),
    author_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    reason TEXT,
    payload TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    version_sha256 TEXT NOT NULL,
    chain_sha256 TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('laptop', 'decision', 'descent')),
    why TEXT NOT NULL,
    bundle_sha256 TEXT NOT NULL,
    quarantined_at TEXT NOT NULL,
    UNIQUE (device_id, device_seq)
)""",
    "ALTER TABLE imports ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0",
]


@migrations()
def m008_roster(db: Database) -> None:
    """The roster (db/records/roster.py) and the quarantine (db/exchange/quarantine.py).

    ``rosters`` keeps every signed roster loaded, as received: the one in force is the highest
    number, checked against the mission authority's signature whenever it is read, so an edit of
    this table is noticed. ``quarantined_versions`` holds versions from laptops the roster does not
    name (or revoked) and decisions nobody can check yet: kept, never projected, released into
    ``incident_versions`` when a roster allows them.
    """
    for statement in ROSTER_STATEMENTS:
        db.conn.execute(statement)


# -- m009_incident_count: the table's unfiltered count kept by triggers -----------------------------

INCIDENT_COUNT_STATEMENTS = [
    """CREATE TABLE incident_count (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    incidents INTEGER NOT NULL CHECK (incidents >= 0)
)""",
    "INSERT INTO incident_count (only, incidents) SELECT 1, count(*) FROM incidents",
    """CREATE TRIGGER incidents_count_insert AFTER INSERT ON incidents BEGIN
    UPDATE incident_count SET incidents = incidents + 1 WHERE only = 1;
END""",
    """CREATE TRIGGER incidents_count_delete AFTER DELETE ON incidents BEGIN
    UPDATE incident_count SET incidents = incidents - 1 WHERE only = 1;
END""",
    "DROP INDEX IF EXISTS incident_versions_state",
]


@migrations()
def m009_incident_count(db: Database) -> None:
    """The number of rows of ``incidents`` in one row, kept by triggers; m007's state-hash index dropped.

    The incident table counts its rows at the window's start and after every save and import
    (db.records.queries.count_incidents): a bare ``count(*)`` walks a whole index, 17 ms plain and
    about 50 ms encrypted on a million incidents with a cold cache. Read from ``incident_count`` it
    is one page; a save pays one page to keep it. An upsert that updates fires neither trigger, a
    REPLACE's delete fires the delete trigger (connections run with ``recursive_triggers``).
    ``incident_versions_state`` served the state hash, which now comes from the devices' chains: no
    query reads it, and every save wrote into it.
    """
    for statement in INCIDENT_COUNT_STATEMENTS:
        db.conn.execute(statement)
