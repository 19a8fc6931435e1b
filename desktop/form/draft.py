"""The entry form's draft: what is typed, written to a file about a second after typing stops.

A crash or a power cut then loses nothing; the next start offers the draft back
(:mod:`db.storage.drafts`). Kept apart from :mod:`desktop.form.incident_form`, which decides when the form
changed; this keeps the timer, the file and the "Draft kept 21:14:05" note beside Save.
"""

import datetime
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel

from db.core.clock import new_id
from db.storage.drafts import Draft, delete_draft, save_draft

DRAFT_DELAY_MS = 1000


class DraftKeeper(QObject):
    """Writes ``content()`` (None: nothing worth keeping) as draft ``draft_id`` once typing pauses."""

    def __init__(
        self,
        drafts_dir: Path,
        draft_id: str | None,
        content: Callable[[str], Draft | None],
        tz: ZoneInfo,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._dir = drafts_dir
        self.draft_id = draft_id or new_id()
        self._on_disk = draft_id is not None  # a draft given back is on disk until saved or dropped
        self._content = content
        self._tz = tz
        self.label = QLabel()
        self.label.setStyleSheet("color: palette(placeholder-text);")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DRAFT_DELAY_MS)
        self._timer.timeout.connect(self.write)

    def reserve_label_room(self) -> None:
        """Room for the note, so it appearing never moves the buttons beside it."""
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("Draft kept 00:00:00"))

    def schedule(self, changed: bool) -> None:
        """After an edit: write once typing pauses, or, back where it started, drop the draft."""
        if changed:
            self._timer.start()  # restarted by every keystroke: written once typing pauses
            return
        # Back to where it started: a draft would only restore what the form shows anyway.
        self._timer.stop()
        self.drop()

    def stop(self) -> None:
        self._timer.stop()

    def flush(self) -> None:
        """Write a pending draft now (the window is being locked: nothing typed may wait on a timer)."""
        if self._timer.isActive():
            self._timer.stop()
            self.write()

    def write(self) -> None:
        draft = self._content(self.draft_id)
        if draft is None:
            return
        try:
            save_draft(self._dir, draft)
        except OSError as error:
            self.label.setText(f"Draft could not be written: {error.strerror or error}")
            return
        self._on_disk = True
        self.label.setText(f"Draft kept {datetime.datetime.now(self._tz):%H:%M:%S}")

    def drop(self) -> None:
        if self._on_disk:
            try:
                delete_draft(self._dir, self.draft_id)
            except OSError:
                return  # left for later: a stale draft is harmless, a lost one is not
            self._on_disk = False
            self.label.setText("")

    def start_new(self) -> None:
        """A new incident in the same form (Save and new): a draft of its own, none on disk yet."""
        self.draft_id = new_id()
        self._on_disk = False
        self.label.setText("")
