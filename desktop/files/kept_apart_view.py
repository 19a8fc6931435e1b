"""The versions kept apart, one row each: which laptop and person, which incident, which bundle, and why.

The import log says how many versions the mission's roster keeps apart; a supervisor then asks
"whose are they, and what would let them in?" This list answers from
:func:`db.exchange.quarantine.kept_apart_page`, a page at a time as the view scrolls, so 100,000
kept versions open as fast as ten. Everything in a row but the reason came from another laptop:
each cell is escaped and cut to one short line (:func:`db.core.untrusted_text.elided`), so a label
holding a newline, an escape sequence or a direction override is shown, never obeyed.
"""

from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.core.untrusted_text import elided, escaped
from db.exchange.quarantine import KeptEntry, count_apart, kept_apart_page
from db.model.display import ENUM_LABELS, counted, local_time_text
from db.storage.store import Store
from desktop.widgets.screen_fit import fit_to_screen

COLUMNS = ("Laptop", "Author", "Incident", "Category", "Zone", "Observed", "Came in", "Reason")
COL_LAPTOP, COL_AUTHOR, COL_INCIDENT, COL_CATEGORY, COL_ZONE, COL_OBSERVED, COL_IMPORTED, COL_REASON = range(
    len(COLUMNS)
)
PAGE_SIZE = 200
# Longest a foreign value may be in a cell; the tooltip and the line below the table say it whole.
_NAME_CHARS = 20
_SHORT_CHARS = 12
_Index = QModelIndex | QPersistentModelIndex


class KeptApartModel(QAbstractTableModel):
    """Rows of :class:`~db.exchange.quarantine.KeptEntry`, read a page at a time (``fetchMore``) in arrival order."""

    def __init__(self, store: Store, tz: ZoneInfo, parent: QWidget | None = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._store = store
        self._tz = tz
        self._page = page_size
        self._entries: list[KeptEntry] = kept_apart_page(store.conn, 0, page_size)
        self._more = len(self._entries) == page_size

    def entry_at(self, row: int) -> KeptEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008, N802 (Qt API)
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008, N802 (Qt API)
        if parent.isValid() or not self._more:
            return
        after = self._entries[-1].position if self._entries else 0
        page = kept_apart_page(self._store.conn, after, self._page)
        self._more = len(page) == self._page
        if page:
            self.beginInsertRows(QModelIndex(), len(self._entries), len(self._entries) + len(page) - 1)
            self._entries.extend(page)
            self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        entry = self.entry_at(index.row()) if index.isValid() else None
        if entry is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(entry, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(entry, index.column())
        return None

    def text(self, entry: KeptEntry, column: int) -> str:
        """What the cell shows: one line, foreign text escaped and cut short."""
        if column == COL_LAPTOP:
            return (
                f"{elided(entry.device_label, _NAME_CHARS)} · {entry.device_tag}"
                if entry.device_label
                else (entry.device_tag)
            )
        if column == COL_AUTHOR:
            if entry.author_name is None:
                return f"unknown ({elided(entry.author_id, _SHORT_CHARS)})"
            return f"{elided(entry.author_name, _NAME_CHARS)} ({elided(entry.author_callsign or '?', _SHORT_CHARS)})"
        if column == COL_INCIDENT:
            return elided(entry.incident_ref, _NAME_CHARS) if entry.incident_ref else "…" + entry.incident_id[-8:]
        if column == COL_CATEGORY:
            known = ENUM_LABELS["category"].get(entry.category) if entry.category else "—"
            return known or elided(entry.category, _NAME_CHARS)  # a label of ours, or the code as received
        if column == COL_ZONE:
            return elided(entry.zone_id, _SHORT_CHARS) if entry.zone_id else "—"
        if column == COL_OBSERVED:
            return self._time(entry.observed_start)
        if column == COL_IMPORTED:
            return self._time(entry.imported_at)
        return escaped(entry.reason)  # ours, but built from what was recorded: an edited table must not inject

    def _time(self, utc_text: str | None) -> str:
        if not utc_text:
            return "—"
        try:
            return local_time_text(utc_text, self._tz)
        except (TypeError, ValueError):  # checked on arrival; shown as received if it does not parse
            return elided(utc_text, _NAME_CHARS)

    def _tooltip(self, entry: KeptEntry, column: int) -> str:
        if column == COL_LAPTOP:
            return f"Laptop {escaped(entry.device_label) or '(no label)'}\nDevice {escaped(entry.device_id)}"
        if column == COL_AUTHOR:
            return f"{escaped(entry.author_name or 'Not known here')}\nMonitor {escaped(entry.author_id)}"
        if column == COL_INCIDENT:
            return f"Incident {escaped(entry.incident_id)}"
        if column == COL_IMPORTED:
            return f"Bundle SHA-256 {entry.bundle_sha256}"
        if column == COL_REASON:
            return escaped(entry.why)
        return self.text(entry, column)


def entry_details(entry: KeptEntry) -> str:
    """The selected row in full, under the table: every id, the bundle, and the reason as recorded."""
    laptop = f"{escaped(entry.device_label)} ({entry.device_id})" if entry.device_label else entry.device_id
    return (
        f"Version {entry.version_id} of incident {escaped(entry.incident_id)}: version {entry.device_seq:,} of "
        f"laptop {laptop}, came in bundle {entry.bundle_sha256}. Kept apart because {escaped(entry.why)}."
    )


class KeptApartDialog(QDialog):
    """The list, how many there are in all, and the selected row in full; Esc closes."""

    def __init__(self, store: Store, parent: QWidget | None = None, *, display_tz: ZoneInfo | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Versions kept apart")
        total = count_apart(store.conn)
        self.model = KeptApartModel(store, display_tz or store.tz, self)
        self.summary = QLabel(
            f"{counted(total, 'version')} kept apart: held here, but not shown, counted or reported until the "
            "mission's roster allows them (a newer roster releases them by itself)."
            if total
            else "No versions are kept apart on this laptop."
        )
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Versions kept apart")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self._size_columns()
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self._show(current.row()))
        close = QPushButton("Close  (Esc)")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self.table.setVisible(total > 0)
        self.details.setVisible(total > 0)
        if self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(0, 0))
        self.table.setFocus()
        fit_to_screen(self, QSize(1320, 560))

    def _size_columns(self) -> None:
        """Each column as wide as its widest cell on the first page, measured once (the reason takes the rest).

        Qt's ResizeToContents would ask every cell for every role again on each page read.
        """
        metrics = self.table.fontMetrics()
        titles = self.table.horizontalHeader().fontMetrics()
        rows = [entry for entry in (self.model.entry_at(r) for r in range(self.model.rowCount())) if entry is not None]
        for column in range(len(COLUMNS) - 1):
            widest = max((metrics.horizontalAdvance(self.model.text(entry, column)) for entry in rows), default=0)
            self.table.setColumnWidth(column, max(widest + 14, titles.horizontalAdvance(COLUMNS[column]) + 24))

    def _show(self, row: int) -> None:
        entry = self.model.entry_at(row)
        self.details.setText(entry_details(entry) if entry is not None else "")
