"""Shared test set-up: offscreen Qt, PySide6 for pyqtgraph, and a fresh data directory per test."""

import os

# Before anything imports Qt: no screen in tests, and pyqtgraph must use PySide6.
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["PYQTGRAPH_QT_LIB"] = "PySide6"
# New data directories are plain in tests, module fixtures and subprocesses included; the tests of
# encryption remove it to get what a real user gets (db/storage/cipher.py ENV_PLAIN).
os.environ["TRUCELINE_PLAIN"] = "1"

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import live_file_guard  # noqa: E402
import pytest  # noqa: E402

from db.records.monitors import Monitor, add_monitor, set_local_profile  # noqa: E402
from db.storage import paths  # noqa: E402
from db.storage.store import Store, open_store  # noqa: E402
from db.storage.versions import Writer  # noqa: E402

live_file_guard.install()


@pytest.fixture(autouse=True)
def no_plain_access_to_live_database() -> Iterator[None]:
    """Fails any test during which db/ or desktop/ opened truceline.db, -wal or -shm with open()."""
    live_file_guard.violations.clear()
    yield
    found = list(live_file_guard.violations)
    live_file_guard.violations.clear()
    assert not found, "plain file access to a live database (drops SQLite's POSIX locks):\n" + "\n".join(found)


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


@pytest.fixture
def supervisor(store: Store) -> Monitor:
    return add_monitor(store.conn, "Ingrid Solberg", "SOLB", "supervisor")
