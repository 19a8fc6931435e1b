"""The import log: every bundle imported here, newest first, with the sequence gaps and the state hash.

A supervisor answers "did Kova's stick arrive, and is anything of Hart's still missing?" here.
The state hash is computed on request (from the devices' chains: milliseconds): two laptops showing
the same hash hold the same history.
"""

from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.exchange.log import ImportRecord, import_log, sequence_gaps, state_hash
from db.exchange.quarantine import count_apart
from db.model.display import local_time_text
from db.records.roles import roles_note
from db.storage.store import Store
from desktop.files.kept_apart_view import KeptApartDialog

COLUMNS = (
    "Imported",
    "From laptop",
    "Its versions",
    "Added",
    "Already here",
    "In conflict",
    "Kept apart",
    "Bundle SHA-256",
)
COL_TIME, COL_DEVICE, COL_RANGE, COL_ADDED, COL_DUPLICATE, COL_CONFLICT, COL_APART, COL_HASH = range(len(COLUMNS))
_NUMERIC = (COL_ADDED, COL_DUPLICATE, COL_CONFLICT, COL_APART)
_Index = QModelIndex | QPersistentModelIndex


class ImportLogModel(QAbstractTableModel):
    """Rows of :class:`~db.exchange.log.ImportRecord`; the records come from the dialog, not from SQL here."""

    def __init__(self, records: list[ImportRecord], tz: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._records = records
        self._tz = tz

    def set_records(self, records: list[ImportRecord]) -> None:
        self.beginResetModel()
        self._records = records
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        record = self._records[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(record, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_DEVICE:
                return f"Device {record.device_id}"
            if column == COL_HASH:
                return record.bundle_sha256
        return None

    def _text(self, record: ImportRecord, column: int) -> str:
        if column == COL_TIME:
            return local_time_text(record.imported_at, self._tz)
        if column == COL_DEVICE:
            return record.device_label or record.device_id
        if column == COL_RANGE:
            return "—" if record.seq_from is None else f"{record.seq_from}–{record.seq_to}"
        if column == COL_ADDED:
            return f"{record.added:,}"
        if column == COL_DUPLICATE:
            return f"{record.duplicate:,}"
        if column == COL_CONFLICT:
            return f"{record.conflicting:,}"
        if column == COL_APART:
            return f"{record.quarantined:,}"
        return record.bundle_sha256[:16] + "…"


class ImportLogDialog(QDialog):
    """The log table, the gaps still open, and the state hash on request."""

    def __init__(self, store: Store, parent: QWidget | None = None, *, display_tz: ZoneInfo | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._tz = display_tz or store.tz
        self.setWindowTitle("Import log")
        self.model = ImportLogModel(import_log(store.conn), self._tz, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Imported bundles")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.empty = QLabel("No bundle has been imported on this laptop yet.")
        self.empty.setVisible(self.model.rowCount() == 0)
        gaps = sequence_gaps(store.conn)
        self.gaps = QLabel(
            "Missing versions (sequence gaps):\n" + "\n".join(f"  {gap}" for gap in gaps)
            if gaps
            else "No sequence gaps: every device's versions up to its latest are here."
        )
        self.gaps.setWordWrap(True)
        self.gaps.setTextFormat(Qt.TextFormat.PlainText)
        self.gaps.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # What the mission's roster keeps apart, and whether roles can be checked at all yet.
        self.roles = QLabel(_roles_text(store))
        self.roles.setWordWrap(True)
        self.roles.setTextFormat(Qt.TextFormat.PlainText)
        self.hash_field = QLineEdit()
        self.hash_field.setReadOnly(True)
        self.hash_field.setPlaceholderText("compare with another laptop: the same hash means the same history")
        self.hash_button = QPushButton("Compute &state hash")
        self.hash_button.clicked.connect(self.compute_state_hash)
        hash_row = QHBoxLayout()
        hash_row.addWidget(QLabel("State hash:"))
        hash_row.addWidget(self.hash_field, 1)
        hash_row.addWidget(self.hash_button)
        # Which versions the roster keeps apart, whose and why: the default button while there are any.
        apart = count_apart(store.conn)
        self.apart_button = QPushButton(f"Show versions &kept apart ({apart:,})…")
        self.apart_button.clicked.connect(self.show_kept_apart)
        self.apart_button.setEnabled(apart > 0)
        self.apart_button.setToolTip(
            "Which laptop and person each comes from, its incident, the bundle that brought it, and why it waits"
            if apart
            else "No versions are kept apart on this laptop"
        )
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        close.setAutoDefault(False)
        if apart:
            self.apart_button.setDefault(True)
        else:
            close.setDefault(True)
        self.kept_apart: KeptApartDialog | None = None
        buttons = QHBoxLayout()
        buttons.addWidget(self.apart_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.gaps)
        layout.addWidget(self.roles)
        layout.addLayout(hash_row)
        layout.addLayout(buttons)
        self.resize(900, 420)

    def show_kept_apart(self) -> KeptApartDialog:
        """Open the list of versions kept apart (not blocking); Esc there comes back here."""
        dialog = KeptApartDialog(self._store, self, display_tz=self._tz)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.kept_apart = dialog
        return dialog

    def compute_state_hash(self) -> str:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            value = state_hash(self._store.conn)
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.hash_field.setText(value)
        return value


def _roles_text(store: Store) -> str:
    apart = count_apart(store.conn)
    lines = [
        f"Versions kept apart (not shown or counted until the mission's roster allows them): {apart:,}; "
        "Show versions kept apart lists them."
        if apart
        else "No versions kept apart."
    ]
    note = roles_note(store.conn)
    if note:
        lines.append(f"{note}: decisions from other laptops are kept apart until then.")
    return "\n".join(lines)
