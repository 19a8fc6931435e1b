"""A writer for the crash tests that saves through the window, as a monitor does: Ctrl+N, type,
Ctrl+S. Prints each incident's ref when the status bar says "Saved <ref>" (what the monitor sees).

Run as ``python save_forever_window.py DATA_DIR``; offscreen, forever, until killed.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYQTGRAPH_QT_LIB"] = "PySide6"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from db.records.monitors import add_monitor  # noqa: E402
from db.storage.store import open_store  # noqa: E402
from desktop.form.incident_form import IncidentForm  # noqa: E402
from desktop.window.main_window import MainWindow  # noqa: E402

FIELDS = {"observer_position": "48.4, 37.7", "category": "fire", "means": "heard", "count": "3"}


def main() -> None:
    app = QApplication(sys.argv[:1])
    data = Path(sys.argv[1])
    store = open_store(data)
    monitor = add_monitor(store.conn, "Crash Test", "CRSH", "monitor")
    window = MainWindow(store, QSettings(str(data / "crash.ini"), QSettings.Format.IniFormat), monitor)
    window.show()
    window.statusBar().messageChanged.connect(
        lambda text: text.startswith("Saved ") and print(text.removeprefix("Saved "), flush=True)
    )

    def one() -> None:
        form = window._open_form()
        assert isinstance(form, IncidentForm)
        for name, text in FIELDS.items():
            widget = form.field_widget(name)
            widget.setFocus(Qt.FocusReason.TabFocusReason)
            if hasattr(widget, "selectAll"):
                widget.selectAll()
            QTest.keyClicks(widget, text)
        if not form.save():
            raise SystemExit(f"the form refused to save: {form.problems()}")
        QTimer.singleShot(0, one)

    print("ready", flush=True)
    QTimer.singleShot(0, one)
    app.exec()


if __name__ == "__main__":
    main()
