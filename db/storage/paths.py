"""Every path Truceline touches, from one place: the data directory object.

The data directory comes from ``--data-dir`` (via :func:`set_data_dir`), else the
``TRUCELINE_DATA_DIR`` environment variable (tests point it at a temporary directory), else the
platform's user data directory from platformdirs. :class:`DataDir` names everything inside it; no
other module spells a file or folder name of the data directory.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from db.core.identity import APP_NAME, ORGANISATION

ENV_DATA_DIR = "TRUCELINE_DATA_DIR"
DATABASE_NAME = "truceline.db"
# Where damaged databases and retired device keys are kept, never deleted (db/storage/recovery.py).
DAMAGED_DIR = "damaged"
SETTINGS_NAME = "truceline.ini"

_override: Path | None = None


@dataclass(frozen=True)
class DataDir:
    """One data directory and the name of everything in it (ARCHITECTURE.md §4)."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / DATABASE_NAME

    @property
    def live_files(self) -> tuple[Path, ...]:
        """The database and the files SQLite keeps beside it while it is in use: never opened by hand."""
        return tuple(self.root / f"{DATABASE_NAME}{suffix}" for suffix in ("", "-wal", "-shm", "-journal"))

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def drafts(self) -> Path:
        return self.root / "drafts"

    @property
    def damaged(self) -> Path:
        """Set-aside damaged databases and retired keys, each in a folder named by its time."""
        return self.root / DAMAGED_DIR

    @property
    def device_key(self) -> Path:
        return self.root / "device_key.pem"

    @property
    def cipher_key(self) -> Path:
        """The data key, locked with the passphrase, and the KDF's settings (db/storage/cipher.py)."""
        return self.root / "key.json"

    @property
    def erased_note(self) -> Path:
        """Left by an emergency erase: the key material is gone, the records cannot be read."""
        return self.root / "key-erased.txt"

    @property
    def held_seal_key(self) -> Path:
        """The mission's private sealing key, passphrase-protected, on a supervisor's laptop only."""
        return self.root / "mission-seal-key.json"

    @property
    def users_lock(self) -> Path:
        """Held shared by every open store and exclusively by a restore (db/storage/usage_lock.py)."""
        return self.root / "truceline.users"

    @property
    def window_lock(self) -> Path:
        """One window per data directory (desktop/window/instance_lock.py)."""
        return self.root / "truceline.lock"

    @property
    def damage_note(self) -> Path:
        """Left when damage was found, until ``truceline check`` finds the file sound (db/storage/damage.py)."""
        return self.root / "DAMAGE-FOUND.txt"

    @property
    def logs(self) -> Path:
        """The rotating log (db/core/activity_log.py): in the data directory, so it travels with the data."""
        return self.root / "logs"

    @property
    def cache(self) -> Path:
        """What can be rebuilt from shipped data (settlements near the theatre), never records."""
        return self.root / "cache"

    @property
    def config(self) -> Path:
        """Window geometry and preferences; beside the data when the data directory was chosen."""
        if _override is not None or os.environ.get(ENV_DATA_DIR):
            return self.root / "config"
        return Path(platformdirs.user_config_dir(APP_NAME, ORGANISATION))

    @property
    def settings(self) -> Path:
        return self.config / SETTINGS_NAME


def set_data_dir(path: Path | None) -> None:
    """Use ``path`` as the data directory for the rest of the process (``--data-dir``)."""
    global _override
    _override = path


def data_dir() -> Path:
    """The directory holding the database, backups, drafts and the device key."""
    if _override is not None:
        return _override
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir(APP_NAME, ORGANISATION))


def current() -> DataDir:
    """The data directory this process uses."""
    return DataDir(data_dir())


def database_path() -> Path:
    return current().database


def backups_dir() -> Path:
    return current().backups


def config_dir() -> Path:
    return current().config


def log_dir() -> Path:
    return current().logs
