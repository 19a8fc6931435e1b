"""The folder a file was last chosen in, so every file dialog starts there rather than in the home folder.

A monitor exports to the same USB stick again and again; making them walk there from the home
folder each time is a needless trap (and a default name in the home folder gets overwritten).
Kept in the user's settings file (``db.storage.paths``), shared by every file dialog.
"""

from datetime import datetime
from pathlib import Path

from desktop.widgets.preferences import settings as _settings

KEY = "files/last_folder"


def last_folder() -> Path:
    """The folder last used (if it still exists), else the home folder."""
    value = _settings().value(KEY)
    if isinstance(value, str) and value and Path(value).is_dir():
        return Path(value)
    return Path.home()


def remember_folder(chosen: Path) -> None:
    """Remember the folder of ``chosen`` (a file or a folder) for the next file dialog."""
    folder = chosen if chosen.is_dir() else chosen.parent
    settings = _settings()
    settings.setValue(KEY, str(folder))
    settings.sync()


def fresh_name(stem: str, suffix: str, when: datetime) -> Path:
    """``stem-20261128-2140.suffix`` in the last folder: a new name each time, never yesterday's file."""
    return last_folder() / f"{stem}-{when:%Y%m%d-%H%M}{suffix}"
