"""The preferences file (window geometry, last folder, display choices) of the data directory in use."""

from PySide6.QtCore import QSettings

from db.storage import paths


def settings() -> QSettings:
    """Preferences in the data directory's config folder (beside the data when the directory was chosen)."""
    data = paths.current()
    data.config.mkdir(parents=True, exist_ok=True)
    return QSettings(str(data.settings), QSettings.Format.IniFormat)
