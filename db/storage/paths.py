"""Every path Truceline touches, from one place.

The data directory comes from ``--data-dir`` (via :func:`set_data_dir`), else the
``TRUCELINE_DATA_DIR`` environment variable (tests point it at a temporary directory), else the
platform's user data directory from platformdirs.
"""

import os
from pathlib import Path

import platformdirs

from db.core.identity import APP_NAME, ORGANISATION

ENV_DATA_DIR = "TRUCELINE_DATA_DIR"
DATABASE_NAME = "truceline.db"
# Where damaged databases and retired device keys are kept, never deleted (db/storage/recovery.py).
DAMAGED_DIR = "damaged"

_override: Path | None = None


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


def database_path() -> Path:
    return data_dir() / DATABASE_NAME


def backups_dir() -> Path:
    return data_dir() / "backups"


def drafts_dir() -> Path:
    return data_dir() / "drafts"


def device_key_path() -> Path:
    return data_dir() / "device_key.pem"


def config_dir() -> Path:
    """Window geometry and preferences; kept beside the data when the data dir is overridden."""
    if _override is not None or os.environ.get(ENV_DATA_DIR):
        return data_dir() / "config"
    return Path(platformdirs.user_config_dir(APP_NAME, ORGANISATION))


def log_dir() -> Path:
    """The rotating log (db/core/activity_log.py): in the data directory, so it travels with the data."""
    return data_dir() / "logs"
