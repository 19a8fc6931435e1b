"""The incident table's Qt model: a window onto a million incidents that never loads them all.

A ``QSortFilterProxyModel`` would need every row in memory, so this model pages by keyset
instead (ARCHITECTURE.md §12): ``rowCount`` is the filtered count from SQL, and rows are read in pages
of :data:`PAGE_SIZE` around what the view asks for, kept in a small LRU of pages. A page is read
from its neighbour's edge key when the neighbour is cached (scrolling), from the nearer end of
the order otherwise (the last row is the first row of the reversed order, so "End" costs the
same as "Home"), and only a far jump into the middle skips rows with OFFSET, on the index.
Sorting and filtering are done by SQL (:mod:`db.records.queries`); the model only formats.

A view over it should hide its vertical header: row numbers mean nothing here, and Qt's header
takes seconds to follow a reset that shortens a million-row table scrolled far down.
"""

from collections import OrderedDict
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from db.model.display import ENUM_LABELS
from db.model.theatre import Theatre
from db.records.incidents import IncidentRecord
from db.records.queries import IncidentFilter, KeyedRecord, SortKey, count_incidents, page_incidents, position_of
from db.storage.store import Store
from desktop.incidents.columns import ALL_COLUMNS, CONFLICT_MARK, CellText

COLUMNS = ALL_COLUMNS
(
    COL_REF,
    COL_OBSERVED,
    COL_ZONE,
    COL_SECTOR,
    COL_CATEGORY,
    COL_TYPE,
    COL_WEAPON,
    COL_COUNT,
    COL_MEANS,
    COL_STATE,
    COL_PLACE,
) = range(len(COLUMNS))
# The db.records.queries.SORTABLE name behind each column: its field (every column sorts).
SORT_FIELDS: dict[int, str] = {n: column.field for n, column in enumerate(COLUMNS)}

SORT_KEY_ROLE = Qt.ItemDataRole.UserRole + 1
"""The stored value behind a cell (UTC time, enum value, number), for sorting and tests."""
INCIDENT_ID_ROLE = Qt.ItemDataRole.UserRole + 2
"""The incident id of the cell's row, so selection code need not ask for the whole record."""

PAGE_SIZE = 200
CACHE_PAGES = 16
"""At most 16 pages (3,200 rows, a few MB) are kept: many screens, a bounded memory."""

_CONFLICT_BRUSH = QBrush(QColor(255, 170, 0, 70))
_ALIGN_NUMBER = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ALIGN_TEXT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

_Index = QModelIndex | QPersistentModelIndex


class IncidentTableModel(QAbstractTableModel):
    """Incidents under the current filter and sort, one row each, read from SQL a page at a time.

    Rows are positions in the SQL order; a page is fetched the first time a row of it is asked
    for and forgotten when :data:`CACHE_PAGES` newer pages have been used. Nothing here holds a
    list of all ids, so memory does not grow with the database.
    """

    countChanged = Signal(int)  # noqa: N815 (Qt naming)

    def __init__(
        self,
        store: Store,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
        cache_pages: int = CACHE_PAGES,
    ) -> None:
        super().__init__(parent)
        if page_size < 1 or cache_pages < 2:
            raise ValueError("page_size must be at least 1 and cache_pages at least 2")
        self._store = store
        self._page_size = page_size
        self._cache_pages = cache_pages
        self._cells = CellText(store.theatre, store.tz)
        self._filter = IncidentFilter()
        self._sort = "observed_start"
        self._descending = True  # newest first: what a monitor looks for first
        self._pages: OrderedDict[int, list[KeyedRecord]] = OrderedDict()
        self._count = count_incidents(store.conn, self._filter)

    # -- state -----------------------------------------------------------------------------

    def current_filter(self) -> IncidentFilter:
        return self._filter

    def set_filter(self, flt: IncidentFilter) -> None:
        """Show the incidents ``flt`` selects (a reset: selections and persistent indexes are dropped)."""
        if flt == self._filter:
            return
        self._filter = flt
        self.refresh()

    def refresh(self) -> None:
        """Count again and forget every page, e.g. after a save or an import."""
        self.beginResetModel()
        self._pages.clear()
        self._count = count_incidents(self._store.conn, self._filter)
        self.endResetModel()
        self.countChanged.emit(self._count)

    def current_sort(self) -> tuple[str, bool]:
        """The ``db.records.queries.SORTABLE`` name and whether it is descending."""
        return self._sort, self._descending

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        field = SORT_FIELDS.get(column)
        descending = order == Qt.SortOrder.DescendingOrder
        if field is None or (field, descending) == (self._sort, self._descending):
            return
        # A reset, not a layout change: persistent indexes cannot follow an incident to a page
        # that is not loaded, so views drop them rather than point at the wrong incident.
        self.beginResetModel()
        self._sort, self._descending = field, descending
        self._pages.clear()
        self.endResetModel()

    def reload_theatre(self) -> None:
        """Zone and sector names of the store's current theatre (the next refresh shows them)."""
        self._cells.set_theatre(self._store.theatre)

    def set_display_tz(self, tz: ZoneInfo) -> None:
        """Show observation times in ``tz`` (the mission time zone by default)."""
        self._cells.tz = tz
        if self._count:
            self.dataChanged.emit(self.index(0, COL_OBSERVED), self.index(self._count - 1, COL_OBSERVED))
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, COL_OBSERVED, COL_OBSERVED)

    def display_tz(self) -> ZoneInfo:
        return self._cells.tz

    @property
    def cached_rows(self) -> int:
        """Rows held in memory now; never more than page size × cache pages."""
        return sum(len(page) for page in self._pages.values())

    # -- lookup ----------------------------------------------------------------------------

    def record_at(self, row: int) -> IncidentRecord | None:
        """The incident shown in ``row``, or None outside the table (or if it vanished since the count)."""
        if not 0 <= row < self._count:
            return None
        page = self._page(row // self._page_size)
        offset = row % self._page_size
        return page[offset].record if offset < len(page) else None

    def row_of(self, incident_id: str) -> int | None:
        """Row of ``incident_id`` under the current filter and sort, or None if it is filtered out."""
        row = position_of(
            self._store.conn, self._filter, incident_id, self._sort, self._descending, matching=self._count
        )
        return row if row is not None and row < self._count else None

    # -- Qt model --------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt signature)
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt signature)
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return super().headerData(section, orientation, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._cells.header_tooltip(COLUMNS[section])
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[section].numeric:
            return _ALIGN_NUMBER
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self.record_at(index.row())
        if record is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells.display(COLUMNS[column], record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._cells.tooltip(COLUMNS[column], record)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGN_NUMBER if COLUMNS[column].numeric else _ALIGN_TEXT
        if role == Qt.ItemDataRole.BackgroundRole:
            return _CONFLICT_BRUSH if record.in_conflict else None
        if role == SORT_KEY_ROLE:
            return _sort_value(record, column)
        if role == INCIDENT_ID_ROLE:
            return record.incident_id
        return None

    # -- paging ----------------------------------------------------------------------------

    def _page(self, number: int) -> list[KeyedRecord]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        page = self._fetch(number)
        self._pages[number] = page
        while len(self._pages) > self._cache_pages:
            self._pages.popitem(last=False)
        return page

    def _fetch(self, number: int) -> list[KeyedRecord]:
        """Read page ``number`` by the cheapest route the cache allows."""
        start = number * self._page_size
        size = min(self._page_size, self._count - start)
        if size <= 0:
            return []

        def read(*, backwards: bool = False, after: SortKey | None = None, offset: int = 0) -> list[KeyedRecord]:
            rows = page_incidents(
                self._store.conn,
                self._filter,
                sort=self._sort,
                descending=self._descending != backwards,
                after=after,
                offset=offset,
                limit=size,
                matching=self._count,  # lets SQL choose between walking the sort's or the filter's index
            )
            return rows[::-1] if backwards else rows

        previous, following = self._pages.get(number - 1), self._pages.get(number + 1)
        if number == 0:
            return read()
        if previous and len(previous) == self._page_size:
            return read(after=previous[-1].key)
        if following:
            return read(backwards=True, after=following[0].key)
        from_end = self._count - (start + size)
        if from_end < start:
            # Nearer the end: the reversed order reaches it with a smaller (or no) OFFSET.
            return read(backwards=True, offset=from_end)
        return read(offset=start)


def cell_samples(field: str, theatre: Theatre) -> list[str]:
    """The texts a column of ``field`` can show whose widest its width must hold (any incident table)."""
    if field == "ref":
        return ["DMZ-04-K7QD-000123", CONFLICT_MARK + "DMZ-04-K7QD-000123"]
    if field == "observed_start":
        return ["2026-11-24 23:03"]
    if field == "zone_id":
        return [zone.zone_id for zone in theatre.zones]
    if field == "sector_id":
        return [sector.sector_id for sector in theatre.sectors]
    if field == "count":
        return ["≥1000"]
    return list(ENUM_LABELS[field].values()) if field in ENUM_LABELS else [field.title()]


def column_samples(theatre: Theatre) -> list[list[str]]:
    """For each column of the incident table, the texts its width must hold (the place column stretches)."""
    return [cell_samples(SORT_FIELDS[column], theatre) for column in range(len(COLUMNS))]


def _sort_value(record: IncidentRecord, column: int) -> Any:
    incident = record.incident
    if column == COL_REF:
        return record.ref
    field = SORT_FIELDS.get(column)
    return getattr(incident, field) if field else None
