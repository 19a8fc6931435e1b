"""Shared test set-up: offscreen Qt, PySide6 for pyqtgraph, and a fresh data directory per test."""

import os

# Before anything imports Qt: no screen in tests, and pyqtgraph must use PySide6.
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["PYQTGRAPH_QT_LIB"] = "PySide6"

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from db import paths  # noqa: E402
from db.monitors import Monitor, add_monitor, set_local_profile  # noqa: E402
from db.store import Store, open_store  # noqa: E402
from db.versions import Writer  # noqa: E402


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own data directory; nothing touches the real user's data."""
    directory = tmp_path / "data"
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(directory))
    paths.set_data_dir(None)
    yield directory
    paths.set_data_dir(None)


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = open_store(data_dir)
    yield opened
    opened.close()


@pytest.fixture
def monitor(store: Store) -> Monitor:
    person = add_monitor(store.conn, "Amelia Hart", "HART", "monitor")
    set_local_profile(store.conn, person)
    return person


@pytest.fixture
def writer(store: Store, monitor: Monitor) -> Writer:
    return store.writer(monitor.monitor_id)


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
