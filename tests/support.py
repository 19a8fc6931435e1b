"""Test data shared by the test modules (conftest.py holds only fixtures)."""

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from db.model.validation import validate_incident
from db.records.incidents import Saved, amend_incident, record_incident, record_incidents
from db.records.monitors import add_monitor
from db.storage.backup import make_backup
from db.storage.store import Store, open_store
from db.storage.versions import Writer


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


# (local time in Kyiv, UTC+3 in May; category, obs_type, explosion_kind, count, zone, sector)
EVENTS = [
    # in the period
    ("2026-05-10 10:00", "fire", "explosion", "impact", 3, "EAST", "DMZ-04"),  # A
    ("2026-05-12 12:00", "fire", "explosion", "airburst", 2, "EAST", "DMZ-04"),  # B
    ("2026-05-16 19:29", "fire", "explosion", "outgoing", 5, "SOUTH", "DMZ-09"),  # C: before the cut-off
    ("2026-05-14 08:00", "fire", "burst", None, 10, "SOUTH", None),  # D: not an explosion, no sector
    ("2026-05-16 19:45", "fire", "explosion", "undetermined", 1, "EAST", "DMZ-04"),  # E: reporting day 17 May
    ("2026-05-11 09:00", "uav_activity", "none", None, 4, "EAST", "DMZ-04"),  # F: not a ceasefire violation
    # in the previous period
    ("2026-05-05 09:00", "fire", "single_shot", None, 1, "EAST", "DMZ-04"),  # H
    ("2026-05-09 12:00", "fire", "explosion", "impact", 1, "SOUTH", "DMZ-09"),  # I
    ("2026-05-09 19:40", "fire", "explosion", "airburst", 1, "EAST", "DMZ-04"),  # K: reporting day 10 May
    # outside both
    ("2026-05-02 09:00", "fire", "explosion", "airburst", 2, "EAST", "DMZ-04"),  # J
    ("2026-05-17 00:30", "fire", "explosion", "impact", 7, "EAST", "DMZ-04"),  # G
]


def record_events(store: Store, writer: Writer) -> None:
    """Record EVENTS (the data set the summary tests count by hand)."""
    template = validate_incident(valid_raw(observed_end=None), theatre=store.theatre)
    incidents = []
    for local, category, obs_type, kind, count, zone, sector in EVENTS:
        moment = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Europe/Kyiv"))
        incidents.append(
            replace(
                template,
                observed_start=moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                category=category,
                obs_type=obs_type,
                explosion_kind=kind,
                count=count,
                zone_id=zone,
                sector_id=sector,
                narrative=f"{count} x {obs_type} heard",
            )
        )
    record_incidents(store.conn, writer, incidents, store.calendar)


def save(store: Store, writer: Writer, **changes: Any) -> Saved:
    """Record one valid incident (valid_raw with ``changes``) through the real API."""
    return record_incident(
        store.conn, writer, validate_incident(valid_raw(**changes), theatre=store.theatre), store.calendar
    )


def make_conflict(store: Store, writer: Writer, saved: Saved) -> None:
    """Two editors start from the first version: two heads, a visible conflict."""
    for count in (20, 30):
        changed = validate_incident(valid_raw(count=count), theatre=store.theatre)
        amend_incident(
            store.conn,
            writer,
            saved.incident_id,
            changed,
            f"recount {count}",
            store.calendar,
            base_version_id=saved.version_id,
        )


def version_count(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0])


def damage(path: Path) -> bytes:
    """Overwrite the middle of the file with garbage, as a failing disk might."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8192] = b"\xde\xad\xbe\xef" * 2048
    path.write_bytes(bytes(data))
    return bytes(data)


def laptop_with_backup(data_dir: Path) -> tuple[str, list[str]]:
    """Two incidents, a backup, then a third incident the backup lacks; the database closed."""
    store = open_store(data_dir)
    writer = store.writer(add_monitor(store.conn, "Olena Koval", "OK1", "monitor").monitor_id)
    ids = [save(store, writer, count=n).incident_id for n in (1, 2)]
    make_backup(store.conn, data_dir / "backups", "auto")
    ids.append(save(store, writer, count=3).incident_id)
    device = store.device.device_id
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return device, ids


def small_files(limit: int = 64 * 1024) -> None:
    """For ``subprocess.run(preexec_fn=...)``: writes past ``limit`` bytes fail, as on a full disk."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
