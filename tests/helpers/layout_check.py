"""Open every window and dialog on a screen of a given size and list what a user could not see.

Run by tests/test_layout.py in a subprocess, because the size of Qt's offscreen screen is fixed
when the application starts: ``QT_QPA_PLATFORM=offscreen:configfile=FILE`` with the screen in
FILE. Prints one JSON object: exhibit name -> list of problems (empty lists when all is well).

A problem is what a person at that screen would meet: a window or its frame past the screen's
edge, a widget lying partly outside what its window shows, a scroll bar needed to reach a
field, a label, button, choice or placeholder cut short, a table that needs horizontal
scrolling or cuts a cell's text.
"""

import json
import os
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QRect, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QFont, QFontMetrics  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStyle,
    QStyleOptionComboBox,
    QTableView,
    QWidget,
)

from db.records.demo import generate  # noqa: E402
from db.records.incidents import amend_incident, get_incident  # noqa: E402
from db.records.monitors import add_monitor, set_local_profile  # noqa: E402
from db.storage.store import Store, open_store  # noqa: E402
from desktop.form.editors import ElidedLabel  # noqa: E402
from desktop.form.incident_form import IncidentForm  # noqa: E402
from desktop.form.typed import position_hint, read_time, utc_hint  # noqa: E402
from desktop.widgets.screen_fit import FRAME  # noqa: E402
from desktop.window.app import make_application  # noqa: E402
from desktop.window.gallery import Context, exhibits  # noqa: E402
from desktop.window.main_window import MainWindow  # noqa: E402

TABLE_ROWS_CHECKED = 40


def seed(store: Store) -> None:
    import dataclasses
    from datetime import date

    generate(store, 400, seed=3, today=date(2026, 11, 30))
    me = add_monitor(store.conn, "Amelia Hart", "HART", "supervisor")
    set_local_profile(store.conn, me)
    other = add_monitor(store.conn, "Bohdan Kovalenko", "KOVA", "monitor")
    incident_id, head = store.conn.execute("SELECT incident_id, head_version_id FROM incidents LIMIT 1").fetchone()
    record = get_incident(store.conn, incident_id)
    for author, count in ((me, 3), (other, 4)):
        changed = dataclasses.replace(record.incident, count=count)
        amend_incident(
            store.conn,
            store.writer(author.monitor_id),
            incident_id,
            changed,
            "recount",
            store.calendar,
            base_version_id=head,
        )
    keep_some_apart(store)


def keep_some_apart(store: Store) -> None:
    """Copies of a few versions as if from a laptop the roster does not name, so the list of versions
    kept apart is measured with its longest cells (a long laptop label and monitor name, a revocation)."""
    from db.storage.connection import transaction
    from db.storage.versions import VERSION_COLUMNS

    columns = ", ".join(VERSION_COLUMNS)
    rows = store.conn.execute(f"SELECT {columns} FROM incident_versions ORDER BY rowid LIMIT 30").fetchall()
    device, bundle, when = "0193a2b4-7c1d-7e2f-9a3b-4c5d6e7f8091", "ab" * 32, "2026-11-29T17:45:00Z"
    why = f"laptop Team 7 laptop, Horlivka crossing ({device}) is revoked from version 1 on by the mission's roster 12"
    with transaction(store.conn):
        store.conn.execute(
            "INSERT INTO devices (device_id, label, public_key, first_seen) VALUES (?, ?, ?, ?)",
            (device, "Team 7 laptop, Horlivka crossing", "AAAA", when),
        )
        store.conn.execute(
            "INSERT INTO monitors (monitor_id, name, callsign, role, created_at, device_id) VALUES (?, ?, ?, ?, ?, ?)",
            ("seeded-monitor", "Oleksandra Vasylenko-Marchenko", "VASY", "monitor", when, device),
        )
        store.conn.execute(
            "INSERT INTO imports (import_id, bundle_sha256, device_id, seq_from, seq_to, added, duplicate, "
            "conflicting, imported_at, quarantined) VALUES ('seeded-import', ?, ?, 1, 30, 0, 0, 0, ?, 30)",
            (bundle, device, when),
        )
        for seq, row in enumerate(rows, start=1):
            store.conn.execute(
                f"INSERT INTO quarantined_versions ({columns}, kind, why, bundle_sha256, quarantined_at) "
                f"VALUES ({', '.join('?' * (len(VERSION_COLUMNS) + 4))})",
                (f"kept-{seq}", row[1], "[]", device, seq, "seeded-monitor", *row[6:], "laptop", why, bundle, when),
            )


def name_of(widget: QWidget) -> str:
    label = widget.objectName() or widget.accessibleName()
    text = getattr(widget, "text", None)
    if not label and callable(text):
        try:
            label = str(text())[:40]
        except TypeError:
            label = ""
    return f"{widget.metaObject().className()} '{label}'"


def visible_rect(widget: QWidget, top: QWidget) -> QRect:
    """The part of ``widget`` (in ``top``'s coordinates) that its ancestors do not clip."""
    rect = QRect(widget.mapTo(top, widget.rect().topLeft()), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        rect = rect.intersected(QRect(parent.mapTo(top, parent.rect().topLeft()), parent.size()))
        parent = parent.parentWidget()
    return rect.intersected(top.rect())


def inside_item_view(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractItemView):
            return True
        parent = parent.parentWidget()
    return False


def problems_of(top: QWidget) -> list[str]:
    out: list[str] = []
    screen = top.screen() or QApplication.primaryScreen()
    area = screen.availableGeometry()
    frame = QRect(top.x(), top.y(), top.width() + FRAME.width(), top.height() + FRAME.height())
    if not area.contains(frame):
        out.append(
            f"window {top.width()}x{top.height()} at {top.x()},{top.y()} (with its frame) leaves the screen {area}"
        )
    for widget in top.findChildren(QWidget):
        if widget.isWindow() or not widget.isVisibleTo(top) or widget.width() <= 0 or widget.height() <= 0:
            continue
        if inside_item_view(widget):
            continue
        seen = visible_rect(widget, top)
        if seen.width() < widget.width() - 1 or seen.height() < widget.height() - 1:
            out.append(f"{name_of(widget)} lies partly outside the visible area")
            continue
        out.extend(cut_text(widget))
    for scroll in top.findChildren(QScrollArea):
        if scroll.isVisibleTo(top):
            for bar in (scroll.horizontalScrollBar(), scroll.verticalScrollBar()):
                if bar.isVisibleTo(top) and bar.maximum() > 0:
                    out.append(f"{name_of(scroll)} needs a scroll bar to reach its fields")
    for table in top.findChildren(QTableView):
        if table.isVisibleTo(top):
            out.extend(table_problems(table))
    return out


def longest_hints() -> dict[str, list[str]]:
    """Per hint beside a field of the incident form, the longest readings it gives.

    A problem's reason may be cut there (the tooltip and the problem list say it whole); a
    reading may not: it is what the monitor checks a position or a time against.
    """
    kyiv = ZoneInfo("Europe/Kyiv")
    moments = (("2026-10-25", "03:30"), ("2026-03-29", "03:30"), ("2026-12-01", "01:30"))  # twice, skipped, UTC −1 d
    times = [utc_hint(read_time(day, clock, kyiv, None)) for day, clock in moments]
    positions = [position_hint(48.30578, 37.08169), position_hint(-48.30578, -137.08169)]
    return {
        "observed_start": times,
        "observed_end": times,
        "observer_position": positions,
        "event_position": positions,
        "bearing_deg": ["= 337.5° (NNW)"],
    }


def longest_hint_problems(form: IncidentForm) -> list[str]:
    """The form's hints, each given its longest readings in turn: none may be cut."""
    fields = form._fields
    out = []
    for name, texts in longest_hints().items():
        shown = fields.hint(name)
        for text in texts:
            fields.set_hint(name, text)
            out.extend(cut_text(fields._hints[name]))
        fields.set_hint(name, shown)
    return out


def cut_text(widget: QWidget) -> list[str]:
    if isinstance(widget, ElidedLabel):
        if widget.text() != widget.full_text():
            return [f"label '{widget.full_text()}' is cut to '{widget.text()}'"]
        return []
    if isinstance(widget, QLabel):
        if not widget.text():
            return []
        if widget.wordWrap():
            if widget.heightForWidth(widget.width()) > widget.height() + 1:
                return [f"label '{widget.text()[:60]}' needs more height than it has"]
        elif widget.minimumSizeHint().width() > widget.width() + 1:
            return [f"label '{widget.text()[:60]}' is cut ({widget.width()} < {widget.minimumSizeHint().width()} px)"]
        return []
    if isinstance(widget, QAbstractButton):
        if widget.text() and widget.sizeHint().width() > widget.width() + 1:
            return [f"button '{widget.text()}' is cut ({widget.width()} < {widget.sizeHint().width()} px)"]
        return []
    if isinstance(widget, QComboBox) and not widget.isEditable():
        option = QStyleOptionComboBox()
        widget.initStyleOption(option)
        field = widget.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, widget
        )
        needed = widget.fontMetrics().horizontalAdvance(widget.currentText())
        if needed > field.width() + 1:
            return [f"choice '{widget.currentText()}' is cut ({field.width()} < {needed} px)"]
        return []
    if isinstance(widget, QLineEdit) and not widget.text() and widget.placeholderText():
        needed = widget.fontMetrics().horizontalAdvance(widget.placeholderText())
        room = widget.contentsRect().width() - 8
        if needed > room + 1:
            return [f"placeholder '{widget.placeholderText()}' is cut ({room} < {needed} px)"]
    return []


def table_problems(table: QTableView) -> list[str]:
    out = []
    if table.horizontalScrollBar().maximum() > 0:
        out.append(f"table {name_of(table)} needs horizontal scrolling")
    model = table.model()
    header = table.horizontalHeader()
    for column in range(model.columnCount()):
        if table.isColumnHidden(column):
            continue
        width = table.columnWidth(column)
        if column == model.columnCount() - 1 and header.stretchLastSection():
            continue  # the last column takes what is left; free text there may be cut with "…"
        for row in range(min(model.rowCount(), TABLE_ROWS_CHECKED)):
            index = model.index(row, column)
            text = index.data()
            font = index.data(Qt.ItemDataRole.FontRole)
            metrics = QFontMetrics(font) if isinstance(font, QFont) else table.fontMetrics()
            if not text:
                continue
            if table.wordWrap():
                bounds = metrics.boundingRect(QRect(0, 0, width - 10, 10_000), Qt.TextFlag.TextWordWrap, str(text))
                if bounds.width() <= width - 8 and bounds.height() <= table.rowHeight(row):
                    continue
            elif metrics.horizontalAdvance(str(text)) + 6 <= width:
                continue
            if True:
                title = model.headerData(column, header.orientation())
                out.append(f"table {name_of(table)} cuts '{text}' in column {title} ({width} px)")
                break
    return out


def main() -> int:
    app = make_application()
    results: dict[str, list[str]] = {}
    # The map's settlement reader may still be filling data/cache/ when the window has closed (by
    # design it finishes in the background); a leftover in the temporary folder is no failure.
    with tempfile.TemporaryDirectory(prefix="truceline-layout-", ignore_cleanup_errors=True) as scratch:
        store = open_store(Path(scratch) / "data")
        try:
            seed(store)
            settings = QSettings(str(Path(scratch) / "s.ini"), QSettings.Format.IniFormat)
            from db.records.monitors import local_profile

            profile = local_profile(store.conn)
            assert profile is not None
            window = MainWindow(store, settings, profile)
            window.show()
            app.processEvents()
            context = Context(window, store, settings, profile)
            for exhibit in exhibits(Path(scratch)):
                shown = exhibit.build(context)
                shown.show()
                for _ in range(3):
                    app.processEvents()
                results[exhibit.name] = problems_of(shown)
                if isinstance(shown, IncidentForm):
                    results[exhibit.name] += longest_hint_problems(shown)
                if isinstance(shown, QDialog):
                    shown.done(0)
                    shown.deleteLater()
                app.processEvents()
            window.close()
        finally:
            store.close()
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
