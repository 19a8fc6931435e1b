"""The period summary in the OSCE SMM's words, ready to copy into a report or an email.

Supervisors wrote the same paragraph every day: this period's ceasefire violations and explosions
against the previous period's, then per zone or DMZ sector, then the total since the ceasefire.
The panel writes it from :func:`db.trends.summary.period_summary` and :func:`db.trends.summary.running_total`
for the filter bar's period and narrowing, and copies it as plain text.

"All time" has no previous period, and the comparison is what the text is for, so with "All
time" the panel summarises the last 30 days (the filter bar's "Last 30 days") and says so in the
text; its period line names the days. Totals over all time by area would also cost a pass over
every day of data, about the whole 100 ms budget on a million incidents (ARCHITECTURE.md §10).

While the panel is hidden (another tab of the window), a new filter is only noted; the text is
computed when the panel is shown, so filtering the table does not pay for a summary nobody sees.
"""

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QMargins, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.model.display import ENUM_LABELS
from db.records.queries import IncidentFilter, day_bounds
from db.storage.store import Store
from db.trends.summary import By, RunningTotal, Summary, Tally, period_summary, running_total
from db.trends.timeline import timeline
from desktop.trends.series import period_of
from desktop.widgets.changes import Changes, Follower
from desktop.widgets.flow_layout import FlowLayout, labelled
from desktop.widgets.refresh_when_shown import RefreshWhenShown

BY: tuple[tuple[str, By], ...] = (("Zone", "zone"), ("DMZ sector", "sector"))
ALL_TIME_DAYS = 30
ALL_TIME_NOTE = (
    f"(All time is chosen in the filter bar and has no previous period: this is the last {ALL_TIME_DAYS} days. "
    "Choose a period to summarise another.)"
)


class SummaryPanel(QWidget):
    """The summary text of one period, with its choices (areas, reporting days, running total) above it.

    It shows nothing until :meth:`set_filter` (or :meth:`set_period`) is called. ``today`` can be
    injected so that tests (and a replay of a past day) control what "the last 30 days" means.
    """

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        today: Callable[[], date] | None = None,
        changes: Changes | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._today = today or (lambda: datetime.now(store.tz).date())
        self._filter = IncidentFilter()
        self._period: tuple[date | None, date | None] = (None, None)
        self._shown = False
        # Hidden (another tab), a change is noted and drawn when the view is shown.
        self._deferred = RefreshWhenShown(self, self.refresh)

        self.by_combo = QComboBox()
        for name, value in BY:
            self.by_combo.addItem(name, value)
        self.by_combo.setToolTip("One line per zone of responsibility or per DMZ sector")
        self.reporting_check = QCheckBox()
        self._show_cutoff()
        self.since_edit = QDateEdit()
        self.since_edit.setCalendarPopup(True)
        self.since_edit.setDisplayFormat("yyyy-MM-dd")
        self.since_edit.setToolTip("The running total counts from this day (by default the first key date)")
        key_dates = store.theatre.key_dates
        start = key_dates[0].date if key_dates else datetime.now(store.tz).date().replace(month=1, day=1)
        self.since_edit.setDate(QDate(start.year, start.month, start.day))
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Put the whole summary on the clipboard as plain text (Ctrl+C)")
        self.text_view = QPlainTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setAccessibleName("Period summary")
        self.text_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

        # The controls wrap onto a second line rather than widen the panel: the plot keeps the room.
        controls = QWidget()
        row = FlowLayout(controls, spacing=10)
        row.setContentsMargins(QMargins(0, 0, 0, 0))
        row.addWidget(labelled("Summary b&y", self.by_combo))
        row.addWidget(self.reporting_check)
        row.addWidget(labelled("Running total si&nce", self.since_edit))
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(QMargins(0, 0, 0, 0))
        layout.setSpacing(4)
        layout.addWidget(controls)
        layout.addWidget(self.text_view, 1)

        # A read-only text view leaves Ctrl+C to this shortcut, which copies the selection if
        # there is one and otherwise everything.
        copy = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), self)
        copy.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        copy.activated.connect(self._copy_shortcut)
        self.copy_button.clicked.connect(self.copy)
        self.by_combo.currentIndexChanged.connect(self._changed)
        self.reporting_check.toggled.connect(self._changed)
        self.since_edit.dateChanged.connect(self._changed)
        # Every committed change (and F5) computes the text again; hidden, when shown.
        self.follower = Follower(changes, self._changed, self, on_theatre=self._show_cutoff)

    # -- public ------------------------------------------------------------------------------

    def set_filter(self, flt: IncidentFilter) -> None:
        """Summarise what ``flt`` selects; its period (none: all time) is the period summarised."""
        cutoff = self._store.calendar.cutoff if self.reporting_check.isChecked() else None
        self._show(flt, period_of(flt, self._store.tz, cutoff))

    def set_period(self, first: date | None, last: date | None) -> None:
        """Summarise days ``first``..``last`` (inclusive) with the current filter's other choices.

        Calling it after :meth:`set_filter` with that filter's own period costs nothing.
        """
        self._show(self._filter, (first, last) if first is not None and last is not None else (None, None))

    def text(self) -> str:
        return self.text_view.toPlainText()

    def copy(self) -> None:
        """Put the whole summary on the clipboard."""
        QGuiApplication.clipboard().setText(self.text())

    def refresh(self) -> None:
        """Compute the text again now (after new incidents, say), shown or not."""
        if self._shown:
            self._deferred.stale = False
            self.text_view.setPlainText(self._compose())

    def _show(self, flt: IncidentFilter, period: tuple[date | None, date | None]) -> None:
        if self._shown and (flt, period) == (self._filter, self._period):
            return
        self._filter, self._period, self._shown = flt, period, True
        self._changed()

    def _changed(self) -> None:
        self._deferred.request()

    def _show_cutoff(self) -> None:
        """The theatre's reporting cut-off in the check box (again after a theatre change)."""
        cutoff = self._store.calendar.cutoff
        self.reporting_check.setText(f"Reporting days (cut-off {cutoff:%H:%M})")
        self.reporting_check.setToolTip(f"Days that end at {cutoff:%H:%M}, as the daily reports count them")

    # -- text ----------------------------------------------------------------------------------

    def _compose(self) -> str:
        store = self._store
        cutoff = store.calendar.cutoff if self.reporting_check.isChecked() else None
        flt = replace(self._filter, start_utc=None, end_utc=None)
        first, last = self._period
        all_time = first is None or last is None
        if first is None or last is None:
            last = self._today()
            first = last - timedelta(days=ALL_TIME_DAYS - 1)
        summary = period_summary(
            store.conn, flt, first, last, tz=store.tz, by=self.by_combo.currentData(), cutoff=cutoff
        )
        lines = summary.as_text().splitlines()
        lines.insert(3, self._definition_line(flt, first, last, summary.cutoff is not None))
        if all_time:
            lines.insert(1, ALL_TIME_NOTE)
        narrowing = _narrowing(flt, store)
        if narrowing:
            lines.insert(1, narrowing)
        lines += ["", self._running_line(flt, summary)]
        return "\n".join(lines) + "\n"

    def _definition_line(self, flt: IncidentFilter, first: date, last: date, reporting_days: bool) -> str:
        """One definition, said: what "ceasefire violations" counts, and the plot's all-category total."""
        store = self._store
        start, end = day_bounds(first, last, store.tz)
        every = timeline(
            store.conn,
            replace(flt, start_utc=start, end_utc=end),
            tz=store.tz,
            cutoff=store.calendar.cutoff,
            bin="month",
            reporting_days=reporting_days,
        )
        total = sum(every.bin_totals())
        return (
            f"(Ceasefire violations: the count of category Fire. All categories, as the timeline counts: "
            f"{total:,} violation{'' if total == 1 else 's'}.)"
        )

    def _running_line(self, flt: IncidentFilter, summary: Summary) -> str:
        qdate = self.since_edit.date()
        since = date(qdate.year(), qdate.month(), qdate.day())
        if since > summary.last:
            return f"Running total: {since.isoformat()} is after the period, which ends {summary.last.isoformat()}."
        total = RunningTotal(since, summary.last, self._running_tally(flt, since, summary))
        labels = [key.label for key in self._store.theatre.key_dates if key.date == since]
        return total.line(labels[0] if labels else "")

    def _running_tally(self, flt: IncidentFilter, since: date, summary: Summary) -> Tally:
        """Everything from ``since`` to the period's end, reading only the days the summary did not count.

        A running total since the ceasefire would otherwise read months of rows again on every
        refresh; the two periods the summary holds are added instead of being read a second time.
        """
        known = [
            (summary.first, summary.current),
            (summary.previous_first, _add(summary.previous, summary.current)),
        ]
        until, tally = summary.last, Tally()
        for start, sums in known:
            if since <= start:
                until, tally = start - timedelta(days=1), sums
        if since > until:
            return tally
        cutoff = summary.cutoff
        rest = running_total(self._store.conn, flt, since, until, self._store.tz, cutoff=cutoff).tally
        return _add(rest, tally)

    def _copy_shortcut(self) -> None:
        cursor = self.text_view.textCursor()
        if cursor.hasSelection():
            # The paragraph separator Qt puts between selected lines is not a newline.
            QGuiApplication.clipboard().setText(cursor.selectedText().replace("\u2029", "\n"))
        else:
            self.copy()


def _add(a: Tally, b: Tally) -> Tally:
    return Tally(a.violations + b.violations, tuple(x + y for x, y in zip(a.kinds, b.kinds, strict=True)))


def _narrowing(flt: IncidentFilter, store: Store) -> str:
    """Which of the filter bar's choices narrow the counts, so a pasted summary says so."""
    zones = {z.zone_id: z.name for z in store.theatre.zones}
    sectors = {s.sector_id: s.name for s in store.theatre.sectors}
    parts = []
    for name, values, labels in (
        ("zone", flt.zone_ids, zones),
        ("DMZ sector", flt.sector_ids, sectors),
        ("category", flt.categories, ENUM_LABELS["category"]),
        ("weapon", flt.weapon_classes, ENUM_LABELS["weapon_class"]),
        ("verification state", flt.states, ENUM_LABELS["verification_state"]),
    ):
        if values:
            parts.append(f"{name} {', '.join(labels.get(v, v) for v in values)}")
    if flt.text:
        parts.append(f'text "{flt.text}"')
    if flt.conflicts_only:
        parts.append("conflicts only")
    return f"Counting only: {'; '.join(parts)}." if parts else ""
