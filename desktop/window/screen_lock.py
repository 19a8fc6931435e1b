"""Locking the window: Ctrl+L, or after a time without input, every record is hidden until the passphrase.

Locking hides the filter bar and the views, every other window of the application (the entry
form among them, which keeps what was typed and its draft on disk) and disables every action; the
lock panel alone remains. Unlocking asks the passphrase of the data directory (db/storage/cipher.py),
slower after each wrong one, and shows everything again as it was. A plain (training) directory
unlocks with the button alone: it has no passphrase, and the panel says its files are readable.
The idle time is a setting (minutes, 0 = never); the timer belongs to the window and stops with it.
"""

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from db.core.identity import APP_NAME, VERSION
from db.storage.store import Store
from desktop.form.draft import DraftKeeper
from desktop.window.passphrase_dialog import PassphrasePrompt

SETTING_IDLE_MINUTES = "security/lock_after_minutes"
DEFAULT_IDLE_MINUTES = 10
PLAIN_TITLE = "plain – not encrypted"
_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


def window_title(store: Store) -> str:
    """The title bar says when a data directory is plain, so nobody takes it for protected."""
    title = f"{APP_NAME} {VERSION}"
    return title if store.encrypted else f"{title} – {PLAIN_TITLE}"


def idle_minutes(settings: QSettings) -> int:
    try:
        value = int(settings.value(SETTING_IDLE_MINUTES, DEFAULT_IDLE_MINUTES))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES
    return max(0, value)


class LockPanel(QWidget):
    """What a locked window shows: no record, only the way back in."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lock_panel")
        text = (
            f"{APP_NAME} is locked. Type the passphrase to show the records again; the entry form and its "
            "draft are kept."
            if store.encrypted
            else f"{APP_NAME} is locked. This data directory is plain (not encrypted): its files are readable "
            "by anyone with the laptop."
        )
        self.title = QLabel(text)
        self.title.setWordWrap(True)
        self.prompt = PassphrasePrompt(store.data_dir, "&Unlock", self)
        self.prompt.field.setVisible(store.encrypted)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.prompt)
        layout.addStretch(2)


class ScreenLock(QObject):
    """Locks ``window`` on Ctrl+L (``action``) or after ``idle_minutes`` without input; emits when it changes."""

    lockedChanged = Signal(bool)

    def __init__(self, window: QMainWindow, store: Store, settings: QSettings, hide: Sequence[QWidget]) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self._hide = tuple(hide)
        self._hidden_windows: list[QWidget] = []
        self._actions: list[QAction] = []
        self.locked = False
        self.panel = LockPanel(store, window)
        self.panel.hide()
        self.panel.prompt.button.clicked.connect(self.try_unlock)
        self.panel.prompt.field.returnPressed.connect(self.try_unlock)
        self.action = QAction("Loc&k", window)
        self.action.setShortcut(QKeySequence("Ctrl+L"))
        # Ctrl+L works from the entry form too: a monitor interrupted mid-entry locks at once.
        self.action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.action.setStatusTip("Hide every record until the passphrase is typed again (Ctrl+L)")
        self.action.triggered.connect(self.lock)
        window.addAction(self.action)
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.timeout.connect(self.lock)
        self.set_idle_minutes(idle_minutes(settings))
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_idle_minutes(self, minutes: int) -> None:
        self.idle.stop()
        self._idle_ms = max(0, minutes) * 60_000
        if self._idle_ms and not self.locked:
            self.idle.start(self._idle_ms)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() not in _INPUT or self.locked:
            return False
        if (
            isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_L
            and event.modifiers() == Qt.KeyboardModifier.ControlModifier
        ):
            # A modal dialog (the entry form) blocks the window's shortcuts; Ctrl+L must still lock.
            self.lock()
            return True
        if self._idle_ms:
            self.idle.start(self._idle_ms)
        return False

    def lock(self) -> None:
        if self.locked:
            return
        self.locked = True
        self.idle.stop()
        for keeper in self._window.findChildren(DraftKeeper):
            keeper.flush()
        for widget in self._hide:
            widget.hide()
        self._hidden_windows = [
            w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not self._window and w.isWindow()
        ]
        for other in self._hidden_windows:
            other.hide()
        self._actions = [a for a in self._window.findChildren(QAction) if a.isEnabled() and a is not self.action]
        for act in self._actions:
            act.setEnabled(False)
        self.action.setEnabled(False)
        central = self._window.centralWidget()
        layout = central.layout() if central is not None else None
        if layout is not None and self.panel.parent() is not central:
            layout.addWidget(self.panel)
        self.panel.show()
        self.panel.prompt.field.setFocus()
        self.lockedChanged.emit(True)

    def try_unlock(self) -> None:
        prompt = self.panel.prompt
        if not self.locked or not prompt.button.isEnabled():
            return
        if self._store.encrypted and not prompt.opens():
            return
        self.unlock()

    def unlock(self) -> None:
        self.locked = False
        self.panel.hide()
        for widget in self._hide:
            widget.show()
        for act in self._actions:
            act.setEnabled(True)
        self.action.setEnabled(True)
        for other in self._hidden_windows:
            other.show()
        self._hidden_windows = []
        if self._idle_ms:
            self.idle.start(self._idle_ms)
        self.lockedChanged.emit(False)

    def stop(self) -> None:
        """The window is closing: no timer or filter outlives it."""
        self.idle.stop()
        self.panel.prompt.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
