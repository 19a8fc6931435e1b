"""Take the README's screenshots: every window and dialog on a 1366×768 X server, as a user sees it.

Run under Xvfb with a window manager, so that windows get their frames and are placed the way a
laptop's desktop places them (Debian/Ubuntu: ``apt-get install xvfb openbox``):

    xvfb-run -s "-screen 0 1366x768x24" .venv/bin/python packaging/screenshots.py

It builds a demonstration database in a temporary directory (fixed seed and dates, so the
pictures change only when the window does), opens each exhibit of :mod:`desktop.window.gallery` and
grabs the whole screen into ``resources/screenshots/NAME.png`` (``--out`` elsewhere, ``--only``
for some). Not needed to build or run Truceline; run it again after changing a window.
"""

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QWidget  # noqa: E402

from db.records.demo import generate  # noqa: E402
from db.records.incidents import amend_incident, get_incident  # noqa: E402
from db.records.monitors import add_monitor, local_profile, set_local_profile  # noqa: E402
from db.storage import cipher, paths  # noqa: E402
from db.storage.store import Store, open_store  # noqa: E402
from desktop.window.app import make_application  # noqa: E402
from desktop.window.gallery import Context, exhibits  # noqa: E402
from desktop.window.main_window import MainWindow  # noqa: E402

DEMO_INCIDENTS = 4000
# The pictures the README and the AppStream metainfo show (``--all`` takes every exhibit).
SHOWN = ("incidents", "new-incident", "trends", "review")


def seed(store: Store) -> None:
    """Demonstration incidents, a signed-in monitor and one conflict to resolve."""
    generate(store, DEMO_INCIDENTS, seed=7)  # to yesterday, so "the last 30 days" hold data
    me = add_monitor(store.conn, "Amelia Hart", "HART", "supervisor")
    set_local_profile(store.conn, me)
    other = add_monitor(store.conn, "Bohdan Kovalenko", "KOVA", "monitor")
    first = store.conn.execute("SELECT incident_id, head_version_id FROM incidents LIMIT 1").fetchone()
    record = get_incident(store.conn, first[0])
    for author, count, reason in ((me, record.incident.count + 2, "recount"), (other, 1, "seen from OP 2")):
        changed = dataclasses.replace(record.incident, count=count)
        amend_incident(
            store.conn,
            store.writer(author.monitor_id),
            record.incident_id,
            changed,
            reason,
            store.calendar,
            base_version_id=first[1],
        )


def settle(app: QApplication, ms: int = 400) -> None:
    """Let the window manager place and the widgets paint (the screen is grabbed, not the widget)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    app.processEvents()


def grab(app: QApplication, out: Path) -> None:
    """The whole screen, in 256 colours: a window's flat colours survive, the file stays small."""
    image = app.primaryScreen().grabWindow(0).toImage()
    image.convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither).save(str(out))
    print(f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def start_window_manager() -> subprocess.Popen[bytes] | None:
    if not os.environ.get("DISPLAY") or shutil.which("openbox") is None:
        print("screenshots: no openbox (or no DISPLAY): windows will have no frames", file=sys.stderr)
        return None
    manager = subprocess.Popen(["openbox"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return manager


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    parser.add_argument(
        "--only", nargs="*", default=SHOWN, metavar="NAME", help=f"exhibits (default {' '.join(SHOWN)})"
    )
    parser.add_argument("--all", action="store_true", help="every window and dialog of desktop.window.gallery")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    manager = start_window_manager()
    try:
        with tempfile.TemporaryDirectory(prefix="truceline-shots-") as scratch:
            data = Path(scratch) / "data"
            paths.set_data_dir(data)
            app = make_application()
            # Encrypted, as a real laptop's (a plain directory's title bar says "plain – not encrypted").
            cipher.create_key(data, "screenshots only, thrown away", cipher.KdfParams(1, 1024, 1))
            store = open_store(data)
            try:
                seed(store)
                settings = QSettings(str(Path(scratch) / "truceline.ini"), QSettings.Format.IniFormat)
                profile = local_profile(store.conn)
                assert profile is not None
                window = MainWindow(store, settings, profile)
                window.showMaximized()  # as on a 1366×768 laptop
                window.filter_bar.period.setCurrentIndex(window.filter_bar.period.findData("30d"))
                window.timeline.split_combo.setCurrentIndex(window.timeline.split_combo.findData("zone"))
                window.table.selectRow(2)
                window.review.table.selectRow(0)
                settle(app, 2000)
                context = Context(window, store, settings, profile)
                for exhibit in exhibits(Path(scratch)):
                    if not args.all and exhibit.name not in args.only:
                        continue
                    shown = exhibit.build(context)
                    if shown is not window:
                        shown.show()
                    settle(app)
                    grab(app, args.out / f"{exhibit.name}.png")
                    if isinstance(shown, QDialog):
                        shown.done(0)
                        shown.deleteLater()
                    elif shown is not window and isinstance(shown, QWidget):
                        shown.close()
                window.tabs.setCurrentIndex(0)
                window.close()
            finally:
                store.close()
    finally:
        if manager is not None:
            manager.terminate()
            manager.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
