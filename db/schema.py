"""Numbered schema migrations (sqlite-utils ``Migrations``), applied before any window opens.

``m001_initial`` creates the whole model of DESIGN.md §4; ``m002_reporting_day`` adds the
reporting day (the theatre's daily cut-off) to incidents and reshapes the rollups
(:mod:`db.rollup_schema`); ``m003_chain_heads`` keeps the signed chain heads and chain anchors that
let exchange bundles relay other laptops' versions verifiably (:mod:`db.bundle_chain`). Later changes are new
steps; a step is never edited once released. :func:`db.store.migrate` backs the file up
before applying any pending step.
"""

from zoneinfo import ZoneInfo

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from db import rollup_schema
from db.incident import BOOL_FIELDS, FIELD_NAMES, FLOAT_FIELDS, INT_FIELDS

migrations = Migrations("truceline")

# m001's rollup key (m002 replaces it with db.rollup_schema.DAILY_COUNTS_KEY): NULL sector and explosion kind are
# stored as '' so the key stays unique.
ROLLUP_KEY = (
    "day",
    "zone_id",
    "sector_id",
    "category",
    "obs_type",
    "explosion_kind",
    "weapon_class",
    "verification_state",
)


def _column_type(name: str) -> str:
    if name in FLOAT_FIELDS:
        return "REAL"
    if name in INT_FIELDS or name in BOOL_FIELDS:
        return "INTEGER"
    return "TEXT"


def _rollup_values(row: str) -> str:
    return (
        f"{row}.obs_day, {row}.zone_id, coalesce({row}.sector_id, ''), {row}.category, {row}.obs_type, "
        f"coalesce({row}.explosion_kind, ''), {row}.weapon_class, {row}.verification_state"
    )


def _rollup_match(row: str) -> str:
    return (
        f"day = {row}.obs_day AND zone_id = {row}.zone_id AND sector_id = coalesce({row}.sector_id, '') "
        f"AND category = {row}.category AND obs_type = {row}.obs_type "
        f"AND explosion_kind = coalesce({row}.explosion_kind, '') AND weapon_class = {row}.weapon_class "
        f"AND verification_state = {row}.verification_state"
    )


def initial_statements() -> list[str]:
    field_columns = ",\n    ".join(f"{name} {_column_type(name)}" for name in FIELD_NAMES)
    key = ", ".join(ROLLUP_KEY)
    return [
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
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
        f"""CREATE TABLE incidents (
    incident_id TEXT PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    head_version_id TEXT NOT NULL,
    heads INTEGER NOT NULL CHECK (heads >= 1),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    obs_day TEXT NOT NULL,
    {field_columns}
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
        f"""CREATE TABLE daily_counts (
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
    PRIMARY KEY ({key})
) WITHOUT ROWID""",
        f"""CREATE TRIGGER incidents_rollup_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO daily_counts ({key}, incidents, violations)
    VALUES ({_rollup_values("NEW")}, 1, NEW.count)
    ON CONFLICT DO UPDATE SET incidents = incidents + 1, violations = violations + excluded.violations;
END""",
        f"""CREATE TRIGGER incidents_rollup_delete AFTER DELETE ON incidents BEGIN
    UPDATE daily_counts SET incidents = incidents - 1, violations = violations - OLD.count
    WHERE {_rollup_match("OLD")};
    DELETE FROM daily_counts WHERE incidents = 0 AND {_rollup_match("OLD")};
END""",
        f"""CREATE TRIGGER incidents_rollup_update AFTER UPDATE ON incidents BEGIN
    UPDATE daily_counts SET incidents = incidents - 1, violations = violations - OLD.count
    WHERE {_rollup_match("OLD")};
    DELETE FROM daily_counts WHERE incidents = 0 AND {_rollup_match("OLD")};
    INSERT INTO daily_counts ({key}, incidents, violations)
    VALUES ({_rollup_values("NEW")}, 1, NEW.count)
    ON CONFLICT DO UPDATE SET incidents = incidents + 1, violations = violations + excluded.violations;
END""",
        # Kept up to date by db.projection, not by triggers: trusted_schema=OFF forbids FTS5 in triggers.
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
    for statement in initial_statements():
        db.execute(statement)


def _m002_reshape() -> list[str]:
    """Drop m001's rollup and its triggers, and give incidents its reporting day."""
    return [
        "DROP TRIGGER incidents_rollup_insert",
        "DROP TRIGGER incidents_rollup_delete",
        "DROP TRIGGER incidents_rollup_update",
        "DROP TABLE daily_counts",
        "ALTER TABLE incidents ADD COLUMN report_day TEXT",
    ]


def reporting_day_statements() -> list[str]:
    """Every schema statement of m002 in order (the migration fills the data between them)."""
    return [*_m002_reshape(), *rollup_schema.table_statements(), *rollup_schema.index_and_trigger_statements()]


@migrations()
def m002_reporting_day(db: Database) -> None:
    """Reporting days: ``incidents.report_day``, and rollups that can count by it (db.rollup_schema).

    Existing rows get their reporting day from the theatre stored in the database (its time zone
    and cut-off), or the default theatre when none was stored yet. The rollups are filled by one
    GROUP BY each, with their indexes and triggers created afterwards, rather than row by row:
    seconds, not minutes, on a million incidents.
    """
    # Imported here: db.projection and db.store import this module.
    from db.projection import Calendar
    from db.store import META_THEATRE
    from db.theatre import default_theatre, parse_theatre

    conn = db.conn
    stored = conn.execute("SELECT value FROM meta WHERE key = ?", (META_THEATRE,)).fetchone()
    theatre = parse_theatre(stored[0], "the database") if stored else default_theatre()
    calendar = Calendar(ZoneInfo(theatre.time_zone), theatre.reporting_cutoff)
    for statement in _m002_reshape():
        conn.execute(statement)
    conn.create_function("truceline_report_day", 1, calendar.report_day, deterministic=True)
    try:
        conn.execute("UPDATE incidents SET report_day = truceline_report_day(observed_start)")
    finally:
        conn.create_function("truceline_report_day", 1, None)
    for statement in rollup_schema.table_statements():
        conn.execute(statement)
    conn.execute(rollup_schema.daily_counts_fill())
    for rollup in rollup_schema.NARROW_ROLLUPS:
        conn.execute(rollup_schema.narrow_fill(rollup))
    for statement in rollup_schema.index_and_trigger_statements():
        conn.execute(statement)


def chain_head_statements() -> list[str]:
    """m003: what a laptop needs to pass other devices' versions on, still verifiable.

    ``chain_heads`` holds every chain head a device signed that this laptop has seen (one per
    bundle run, so a handful per device, not one per version): a relaying laptop hands the
    device's own signature on. ``chain_anchors`` holds, for a version whose predecessor in its
    device's chain had not arrived with it, the chain hash before it, so that the version can be
    re-exported with the link that the signed head covers.
    """
    return [
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
    for statement in chain_head_statements():
        db.execute(statement)


ROLLUP_DAYS_STATEMENTS = [
    "CREATE TABLE rollup_days (\n    day TEXT PRIMARY KEY,\n    gen INTEGER NOT NULL\n) WITHOUT ROWID",
    "CREATE INDEX rollup_days_gen ON rollup_days (gen)",
]


@migrations()
def m004_rollup_days(db: Database) -> None:
    """The generation at which each day of ``daily_counts`` last changed, and the rollups' epoch.

    The timeline keeps ``daily_counts`` in memory (db/day_cube.py) and reloads only the days
    stamped with a newer generation than its copy; a new epoch (a rebuilt projection) reloads all.
    """
    from db.clock import new_id

    for statement in ROLLUP_DAYS_STATEMENTS:
        db.conn.execute(statement)
    db.conn.execute("INSERT INTO rollup_days (day, gen) SELECT DISTINCT day, 1 FROM daily_counts")
    db.conn.execute(
        "INSERT INTO meta (key, value) VALUES ('rollup_epoch', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (new_id(),),
    )


# Every other column the incident table sorts by, in the shape of m001's: (column, time), so that
# a sorted page walks an index in order (db.queries.order_columns) instead of sorting every row.
SORT_INDEX_STATEMENTS = [
    f"CREATE INDEX incidents_{column} ON incidents ({column}, observed_start)"
    for column in ("obs_type", "weapon_class", "count", "means", "place", "updated_at")
]


@migrations()
def m005_sort_indexes(db: Database) -> None:
    """Indexes for sorting the incident table by type, weapon, count, means, place and last change.

    Without them a sort by one of these columns read and sorted every matching row for each page:
    half a second per page on a million incidents.
    """
    for statement in SORT_INDEX_STATEMENTS:
        db.conn.execute(statement)


MONITOR_DEVICE_STATEMENTS = [
    "ALTER TABLE monitors ADD COLUMN device_id TEXT",
    "ALTER TABLE monitors ADD COLUMN signature TEXT",
]


@migrations()
def m006_monitor_devices(db: Database) -> None:
    """Each monitor belongs to the laptop that registered it, which signs the record (db/monitor_records.py).

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

    ``incident_versions_state`` covers the state hash (db/exchange_log.py), which otherwise reads
    every version's whole row (payload included) in version id order. ``incidents_map_position``
    is the map position of db.queries.MAP_LAT and MAP_LON (the same expressions, so that SQLite
    matches them), then the time: an area's count, and its rows in time order, come from a range
    of the index instead of every row of the table.
    """
    for statement in PERFORMANCE_INDEX_STATEMENTS:
        db.conn.execute(statement)
