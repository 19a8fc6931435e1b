"""The main window: for now a frame with menus and a status bar over the opened data directory.

Issue 3 fills it with the filter bar, incident table and detail pane; the window receives the
open :class:`~db.store.Store` in its constructor and never runs SQL itself.
"""

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from db.identity import APP_NAME, VERSION
from db.stats import totals
from db.store import Store


class MainWindow(QMainWindow):
    """Top-level window over one data directory."""

    def __init__(self, store: Store, settings: QSettings) -> None:
        super().__init__()
        self._store = store
        self._settings = settings
        self.setWindowTitle(f"{APP_NAME} {VERSION}")
        self.setMinimumSize(900, 600)
        self._build_menus()
        self._summary = QLabel()
        self._summary.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._summary.setWordWrap(True)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self._summary)
        self.setCentralWidget(central)
        self.refresh()
        geometry = settings.value("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Truceline", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def refresh(self) -> None:
        incidents, violations = totals(self._store.conn)
        theatre = self._store.theatre
        self._summary.setText(
            f"<h2>{APP_NAME}</h2><p>{incidents:,} incidents, {violations:,} violations recorded.</p>"
            f"<p>Theatre: {theatre.name}<br><i>{theatre.notice}</i></p>"
        )
        self.statusBar().showMessage(f"Data: {self._store.data_dir}")

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME} {VERSION}</b><p>Offline logging, merging, review and reporting of ceasefire "
            "violations for monitoring missions.</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self._settings.setValue("main_window/geometry", self.saveGeometry())
        super().closeEvent(event)
