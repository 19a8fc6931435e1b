"""The review queue's Qt model: incidents waiting for a supervisor, oldest observation first.

The queue has its own order (oldest first, the order a backlog is worked through) and no
filters, so it does not share the incident table's model. It reads the queue a page at a time
through :func:`db.review.review_queue` and continues by keyset when the view scrolls to the end
(``canFetchMore`` / ``fetchMore``), so a backlog of thousands costs one page at start.
"""

from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from db.display import cell_text, local_time_text
from db.incidents import IncidentRecord
from db.queries import Cursor
from db.review import review_queue
from db.store import Store
from desktop.incident_table_model import INCIDENT_ID_ROLE

COL_REF = 0
COL_OBSERVED = 1
COL_ZONE = 2
COL_SECTOR = 3
COL_CATEGORY = 4
COL_TYPE = 5
COL_COUNT = 6
COL_MEANS = 7
COL_STATE = 8

HEADERS = ("Ref", "Observed", "Zone", "Sector", "Category", "Type", "Count", "Means", "State")

PAGE_SIZE = 200
# The incident field shown in each plain column (ref and observed time are formatted here).
_CELL_FIELDS = {
    COL_ZONE: "zone_id",
    COL_SECTOR: "sector_id",
    COL_CATEGORY: "category",
    COL_TYPE: "obs_type",
    COL_COUNT: "count",
    COL_MEANS: "means",
    COL_STATE: "verification_state",
}
_ALIGN_NUMBER = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ALIGN_TEXT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

_Index = QModelIndex | QPersistentModelIndex


class ReviewQueueModel(QAbstractTableModel):
    """The queued incidents read so far, one row each; more are read as the view reaches the end."""

    def __init__(
        self,
        store: Store,
        parent: QObject | None = None,
        *,
        display_tz: ZoneInfo | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tz = display_tz or store.tz
        self._page_size = page_size
        self._records: list[IncidentRecord] = []
        self._more = False
        self._read_names()
        self.refresh()

    def _read_names(self) -> None:
        self._zone_names = {zone.zone_id: zone.name for zone in self._store.theatre.zones}
        self._sector_names = {sector.sector_id: sector.name for sector in self._store.theatre.sectors}

    def reload_theatre(self) -> None:
        """Zone and sector names of the store's current theatre (the next refresh shows them)."""
        self._read_names()

    def refresh(self) -> None:
        """Read the queue again from its oldest incident, as many rows as were loaded (a reset: the
        view re-selects)."""
        limit = max(self._page_size, len(self._records))
        self.beginResetModel()
        self._records = review_queue(self._store.conn, limit=limit)
        self._more = len(self._records) == limit
        self.endResetModel()

    def set_display_tz(self, tz: ZoneInfo) -> None:
        self._tz = tz
        if self._records:
            self.dataChanged.emit(self.index(0, COL_OBSERVED), self.index(len(self._records) - 1, COL_OBSERVED))

    def record_at(self, row: int) -> IncidentRecord | None:
        return self._records[row] if 0 <= row < len(self._records) else None

    def row_of(self, incident_id: str) -> int | None:
        return next((row for row, r in enumerate(self._records) if r.incident_id == incident_id), None)

    # -- Qt model --------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt signature)
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt signature)
        return 0 if parent.isValid() else len(HEADERS)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008, N802 (Qt signature)
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008, N802 (Qt signature)
        if parent.isValid() or not self._records:
            return
        last = self._records[-1]
        after = Cursor(last.incident.observed_start, last.incident_id)
        page = review_queue(self._store.conn, limit=self._page_size, after=after)
        self._more = len(page) == self._page_size
        if page:
            start = len(self._records)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._records.extend(page)
            self.endInsertRows()

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return super().headerData(section, orientation, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == COL_OBSERVED:
            return f"Start of the observation, local time ({self._tz.key})"
        if role == Qt.ItemDataRole.TextAlignmentRole and section == COL_COUNT:
            return _ALIGN_NUMBER
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        record = self.record_at(index.row()) if index.isValid() else None
        if record is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(record, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGN_NUMBER if index.column() == COL_COUNT else _ALIGN_TEXT
        if role == INCIDENT_ID_ROLE:
            return record.incident_id
        return None

    def _display(self, record: IncidentRecord, column: int) -> str:
        incident = record.incident
        if column == COL_REF:
            return record.ref
        if column == COL_OBSERVED:
            return local_time_text(incident.observed_start, self._tz)
        field = _CELL_FIELDS.get(column)
        return cell_text(field, incident) if field else ""

    def _tooltip(self, record: IncidentRecord, column: int) -> str:
        incident = record.incident
        if column == COL_ZONE:
            return self._zone_names.get(incident.zone_id, incident.zone_id)
        if column == COL_SECTOR:
            if incident.sector_id is None:
                return "Outside the DMZ sectors"
            return self._sector_names.get(incident.sector_id, incident.sector_id)
        if column == COL_OBSERVED:
            return f"{local_time_text(incident.observed_start, self._tz)} ({self._tz.key})"
        return incident.place or ""
