"""The main window: filter bar, incident table, detail and history pane, menus and status bar.

It receives the open :class:`~db.storage.store.Store`, the settings and the signed-in monitor in its
constructor and never runs SQL itself: the table model, the form and the panes call ``db``.
It owns the change notifier (:mod:`desktop.widgets.changes`) every view follows, and the timers that
use the store; :meth:`MainWindow.shutdown` stops them all before the store closes
(ARCHITECTURE.md §6).
"""

import weakref

import shiboken6
from PySide6.QtCore import QItemSelectionModel, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from db.core.errors import TrucelineError
from db.core.identity import APP_NAME, VERSION
from db.csv_io.importing import ImportSummary
from db.model.display import counted, local_time_text
from db.records.incidents import Saved, get_incident, incident_history
from db.records.monitors import Monitor
from db.storage.backup import BackupInfo
from db.storage.damage import damage_seen
from db.storage.drafts import delete_draft, load_drafts
from db.storage.store import Store
from desktop.files.csv_export_dialog import CsvExportDialog
from desktop.files.csv_import_dialog import CsvImportDialog
from desktop.files.exchange_menu import ExchangeMenu
from desktop.form.draft import DraftKeeper
from desktop.form.incident_form import IncidentForm
from desktop.incidents.detail_pane import DetailPane
from desktop.incidents.filter_bar import FilterBar
from desktop.incidents.table_model import IncidentTableModel, column_samples
from desktop.map.view import MapView
from desktop.report.dialog import ReportDialog
from desktop.review.panel import ReviewPanel
from desktop.trends.summary_panel import SummaryPanel
from desktop.trends.timeline import TimelineView
from desktop.widgets.background_task import BackgroundTask
from desktop.widgets.changes import Changes, DataVersionWatch, Follower
from desktop.widgets.screen_fit import fit_to_screen
from desktop.window.app_icon import application_icon
from desktop.window.backup_schedule import BackupSchedule
from desktop.window.damage_guard import DamageGuard, stop_window
from desktop.window.encrypt_dialog import EncryptionRequest, encrypt_action
from desktop.window.key_dialogs import key_actions
from desktop.window.screen_lock import ScreenLock, idle_minutes, window_title
from desktop.window.settings_dialog import SettingsDialog, display_tz

# Wanted on a first start; fit_to_screen bounds it by the screen the window opens on.
DEFAULT_SIZE = QSize(1280, 800)


class MainWindow(QMainWindow):
    """Top-level window over one data directory."""

    def __init__(self, store: Store, settings: QSettings, profile: Monitor, *, changes: Changes | None = None) -> None:
        super().__init__()
        self._store = store
        self._settings = settings
        self._profile = profile
        self._stopped = False
        # Every committed change is announced here once; every view below follows it.
        self.changes = changes or Changes(self)
        self.setWindowTitle(window_title(store))
        self.setWindowIcon(application_icon())
        self.setMinimumSize(900, 560)

        self.filter_bar = FilterBar(store)
        self.model = IncidentTableModel(store, self)
        self.model.set_display_tz(display_tz(settings, store))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setAccessibleName("Incidents")
        self._size_columns()
        self.table.doubleClicked.connect(lambda _index: self.edit_incident())
        self.detail = DetailPane()

        # The detail pane below the table: every column fits the width of a 1366-pixel screen.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([420, 280])
        self.splitter.setChildrenCollapsible(False)

        tz = display_tz(settings, store)
        self.timeline = TimelineView(store, changes=self.changes)
        self.summary = SummaryPanel(store, changes=self.changes)
        self.trends = QSplitter(Qt.Orientation.Horizontal)
        self.trends.addWidget(self.timeline)
        self.trends.addWidget(self.summary)
        self.trends.setStretchFactor(0, 3)
        self.trends.setStretchFactor(1, 1)
        self.trends.setSizes([900, 400])
        self.review = ReviewPanel(store, profile, display_tz=tz, changes=self.changes)
        # The map, with its own detail pane: a click shows the incident here and selects it in the table.
        self.map = MapView(store, display_tz=tz)
        self.map_detail = DetailPane()
        self.map_split = QSplitter(Qt.Orientation.Horizontal)
        self.map_split.addWidget(self.map)
        self.map_split.addWidget(self.map_detail)
        self.map_split.setStretchFactor(0, 3)
        self.map_split.setStretchFactor(1, 1)
        self.map_split.setSizes([1000, 340])

        # One filter bar above every view: the table, the trends and the review all follow it.
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.splitter, "&Incidents")
        self.tabs.addTab(self.trends, "T&rends")
        self.tabs.addTab(self.review, "R&eview")
        self.tabs.addTab(self.map_split, "&Map")
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.count_label = QLabel()
        self.profile_label = QLabel()
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().addPermanentWidget(self.profile_label)
        self.backups = BackupSchedule(store.data_dir, tz, self)
        self.backups.backupFailed.connect(self._backup_failed)
        self.backups.manualDone.connect(self._manual_backup_done)
        self.backups.manualFailed.connect(self._manual_backup_failed)
        self.statusBar().addPermanentWidget(self.backups.label)
        # Set when the user chose to restore a backup after a failed start-up check: the
        # application closes this window and runs the recovery (desktop/window/app.py).
        self.recovery_requested = False
        # Set by an emergency erase (desktop/window/key_dialogs.py): the window closes without a backup.
        self.erased = False
        # Set when the user chose to encrypt this plain directory: the window closes and the application
        # converts it, then opens it again (desktop/window/encrypt_dialog.py).
        self.encryption: EncryptionRequest | None = None
        # Export for exchange, Import bundles, Import log: File menu entries with their own dialogs.
        self.exchange = ExchangeMenu(
            self, store, lambda: self._profile.callsign, lambda: display_tz(self._settings, self._store)
        )
        self.exchange.imported.connect(lambda _added: self.changes.records("bundle import"))
        self.exchange.message.connect(lambda text: self.statusBar().showMessage(text, 15000))
        # Ctrl+L and the idle time hide every record until the passphrase (desktop/window/screen_lock.py).
        self.screen_lock = ScreenLock(self, store, settings, hide=(self.filter_bar, self.tabs))
        self._build_actions()

        self.filter_bar.filterChanged.connect(self._apply_filter)
        self.timeline.periodSelected.connect(self._period_dragged)
        for check in (self.timeline.reporting_check, self.summary.reporting_check):
            check.toggled.connect(self._reporting_days_toggled)
        self.map.incidentSelected.connect(self._select_from_map)
        self.map.areaChosen.connect(self.filter_bar.set_area)
        self.review.reviewed.connect(self._after_review)
        self.review.incidentActivated.connect(self._show_incident_from_review)
        self._apply_filter(self.filter_bar.current_filter())
        self.model.countChanged.connect(self._show_count)
        self.model.modelReset.connect(self._restore_selection)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())
        self._selected_id: str | None = None
        self._show_count(self.model.rowCount())
        self._show_profile()
        self._restore_layout()
        self.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self._follow_changes()
        # Timers that use the store belong to the window, which stops them in shutdown().
        self._drafts_offer = QTimer(self)
        self._drafts_offer.setSingleShot(True)
        self._drafts_offer.timeout.connect(self.offer_drafts)
        self._drafts_offer.start(0)
        # The WAL is copied into the database on a thread of its own, never inside a save.
        self.checkpointer = store.checkpoint_in_background()
        self.damage = DamageGuard(store, self)
        self.damage.damaged.connect(self._stop_for_damage)
        # The keyboard starts in the table, not in the first filter: there Down would change the
        # period, and every dialog closed would hand the keyboard back to it.
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        # What another process (the command line, a second tool) committed is announced too.
        self.data_version = DataVersionWatch(store.conn, self.changes, self)
        store.before_close(self.shutdown)

    def _follow_changes(self) -> None:
        """The table, the detail pane and the status bar follow every committed change.

        Not deferred while another tab is shown: the status bar's count is always on screen, and
        the table reads its rows only when painted.
        """
        self._table_follower = Follower(
            self.changes,
            self._refresh_table,
            self,
            on_theatre=self._theatre_changed,
            on_settings=self._settings_changed,
        )
        # The map follows too, when it is shown (it reads every incident in view).
        self._map_follower = Follower(self.changes, self.map.refresh, self.map)

    # -- actions -----------------------------------------------------------------------------

    def _build_actions(self) -> None:
        def action(
            text: str,
            slot: object,
            shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
            tip: str = "",
        ) -> QAction:
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.setStatusTip(tip)
            act.setToolTip(tip or text.replace("&", ""))
            act.triggered.connect(slot)
            return act

        self.new_action = action("&New incident…", self.new_incident, "Ctrl+N", "Record a new incident (Ctrl+N)")
        self.edit_action = action(
            "&Edit incident…",
            self.edit_incident,
            "Ctrl+E",
            "Amend the selected incident; the reason is kept in its history (Ctrl+E)",
        )
        self.find_action = action(
            "&Find",
            self.filter_bar.focus_search,
            "Ctrl+F",
            "Search narratives and places (Ctrl+F)",
        )
        self.refresh_action = action("&Refresh", self.refresh, "F5", "Reload the table (F5)")
        self.settings_action = action("&Settings…", self.open_settings, "Ctrl+,", "Profile, time zone, theatre")
        self.export_csv_action = action(
            "Export &CSV…", self.export_csv, None, "Write the incidents the filter bar selects to a CSV file"
        )
        self.import_csv_action = action(
            "&Import CSV…", self.import_csv, None, "Check a native CSV file, then add its incidents"
        )
        self.report_action = action(
            "&Report…", self.open_report, "Ctrl+R", "The daily or weekly report as PDF, HTML or DOCX (Ctrl+R)"
        )
        self.backup_action = action("Back &up now", self.backup_now, None, "Take a verified backup of the database")
        self.quit_action = action("&Quit", self.close, "Ctrl+Q", "Quit Truceline (Ctrl+Q)")
        about = action("&About Truceline", self._about)

        file_menu = self.menuBar().addMenu("&File")
        for act in (
            self.new_action,
            self.edit_action,
            None,
            self.export_csv_action,
            self.import_csv_action,
            self.report_action,
            None,
            *self.exchange.actions,
            None,
            self.backup_action,
        ):
            file_menu.addAction(act) if act else file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        if self._store.encrypted:
            for act in key_actions(self, self._store.data_dir, self._erased):
                file_menu.addAction(act)
        else:
            self.encrypt_action = encrypt_action(self, self.close_to_encrypt)
            file_menu.addAction(self.encrypt_action)
        file_menu.addAction(self.screen_lock.action)
        file_menu.addAction(self.quit_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.find_action)
        view_menu.addAction(self.refresh_action)
        view_menu.addSeparator()
        for number, title in enumerate(("&Incidents", "&Trends", "R&eview", "&Map"), start=1):
            name = title.replace("&", "")
            view_menu.addAction(
                action(
                    title,
                    lambda _=False, n=number: self.show_view(n - 1),
                    f"Ctrl+{number}",
                    f"Show the {name.lower()} view (Ctrl+{number})",
                )
            )
        self.menuBar().addMenu("&Help").addAction(about)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for act in (self.new_action, self.edit_action, self.find_action, self.refresh_action):
            toolbar.addAction(act)

    def show_view(self, index: int) -> None:
        """Ctrl+1 to 4: the view, with the keyboard in it (the table, the plot, the review queue, the map)."""
        self.tabs.setCurrentIndex(index)
        target = (self.table, self.timeline.plot, self.review.table, self.map.canvas)[index]
        (target if target.isEnabled() else self.tabs).setFocus(Qt.FocusReason.ShortcutFocusReason)

    def new_incident(self) -> None:
        self._open_form()

    def edit_incident(self) -> None:
        if self._selected_id is None:
            self.statusBar().showMessage("Select an incident to edit first.", 5000)
            return
        self._open_form(incident_id=self._selected_id)

    def _open_form(self, **kwargs: object) -> IncidentForm:
        form = IncidentForm(
            self._store,
            self._profile,
            self._settings,
            self,
            display_tz=display_tz(self._settings, self._store),
            **kwargs,  # type: ignore[arg-type]
        )
        form.saved.connect(self._on_saved)
        self._return_focus_after(form)
        form.open()
        return form

    def _return_focus_after(self, dialog: QDialog) -> None:
        """When ``dialog`` closes the cursor goes back where it was, never to the first filter (where
        Down would change the period and Ctrl+E then amend another incident than the one meant)."""
        focused = QApplication.focusWidget()
        if focused is None or focused.window() is not self:
            focused = self.table
        # A weak reference: the dialog (a child of this window) must not keep the window alive.
        target = weakref.ref(focused)

        def back(_result: int) -> None:
            widget = target()
            if widget is not None and shiboken6.isValid(widget) and widget.isVisible():
                widget.setFocus(Qt.FocusReason.OtherFocusReason)

        dialog.finished.connect(back)

    def _on_saved(self, saved: Saved) -> None:
        self._selected_id = saved.incident_id
        self.changes.records("save", [saved.incident_id])
        self.statusBar().showMessage(f"Saved {saved.ref}", 10000)

    def export_csv(self) -> CsvExportDialog:
        dialog = CsvExportDialog(self._store, self.filter_bar.current_filter(), self)
        self._return_focus_after(dialog)
        dialog.exported.connect(
            lambda result: self.statusBar().showMessage(
                f"Exported {counted(result.rows, 'incident')} to {result.path}", 10000
            )
        )
        dialog.open()
        return dialog

    def open_report(self) -> ReportDialog:
        flt, period = self.filter_bar.current_filter(), self.filter_bar.period_days()
        dialog = ReportDialog(self._store, self._settings, flt, period, self)
        dialog.saved.connect(lambda path: self.statusBar().showMessage(f"Report saved to {path}", 10000))
        dialog.open()
        return dialog

    def import_csv(self) -> CsvImportDialog:
        dialog = CsvImportDialog(self._store, self._profile, self)
        self._return_focus_after(dialog)
        dialog.imported.connect(self._after_import)
        dialog.open()
        return dialog

    def _after_import(self, summary: ImportSummary) -> None:
        self.changes.records("CSV import")
        self.statusBar().showMessage(summary.as_text(), 10000)

    def offer_drafts(self) -> None:
        """After a crash, offer the incident that was being typed."""
        drafts = load_drafts(self._store.data.drafts)
        if not drafts:
            return
        draft = drafts[0]
        answer = QMessageBox.question(
            self,
            "Restore unsaved incident?",
            f"An incident was being entered and not saved (last typed "
            f"{local_time_text(draft.saved_at, display_tz(self._settings, self._store))}). Restore it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Discard,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._open_form(incident_id=draft.incident_id, draft=draft)
        else:
            delete_draft(self._store.data.drafts, draft.draft_id)

    def refresh(self) -> None:
        """F5: every view reads its data again (the table at once, the others within a moment)."""
        self.changes.records("refresh")
        self._table_follower.flush()

    def _refresh_table(self) -> None:
        """Read the table again, keeping the selected incident and the scroll position."""
        scroll = self.table.verticalScrollBar().value()
        self.model.refresh()  # the reset re-selects the incident (_restore_selection)
        self.table.verticalScrollBar().setValue(scroll)

    def _theatre_changed(self) -> None:
        """Another theatre: the filter bar's zones and sectors, names and times everywhere."""
        self.filter_bar.reload_theatre()
        self.model.reload_theatre()
        self.map.reload_theatre()
        self._settings_changed()

    def _settings_changed(self) -> None:
        tz = display_tz(self._settings, self._store)
        self.model.set_display_tz(tz)
        self.review.set_display_tz(tz)
        self.backups.set_display_tz(tz)
        self.map.set_display_tz(tz)
        self._show_profile()

    def open_settings(self) -> None:
        dialog = SettingsDialog(self._store, self._settings, self._profile, self)
        self._return_focus_after(dialog)
        if dialog.exec():
            self._profile = dialog.profile
            self.screen_lock.set_idle_minutes(idle_minutes(self._settings))
            self.changes.settings()
        if dialog.layers_changed:
            self.map.reload_layers()
        if dialog.theatre_changed:
            self.changes.theatre()
            self.statusBar().showMessage(f"Theatre loaded: {self._store.theatre.name}", 10000)

    def report_startup_check(self, problem: str) -> None:
        """The background start-up check finished: say so, loudly if the database is damaged."""
        if not problem:
            self.statusBar().showMessage("Start-up check: database ok.", 5000)
            return
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "The database failed its start-up check",
            f"{problem}\n\nStop recording on this laptop: what is saved now may not be readable later. "
            "Truceline can keep the damaged file aside (it is never deleted) and restore the latest verified "
            "backup, then tell you which bundles bring back what came after it.",
            parent=self,
        )
        restore = box.addButton("Restore from backup…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is restore:
            self.recovery_requested = True
            self.close()

    def backup_now(self) -> None:
        """A verified backup now, taken off the GUI thread (minutes on a very large database)."""
        worker = self.backups.backup_now()
        if worker is None:
            self.statusBar().showMessage("A backup is already being taken; try again when it is done.", 10000)
            return
        self.statusBar().showMessage("Taking a verified backup…")

    def _manual_backup_done(self, info: BackupInfo) -> None:
        self.statusBar().showMessage(f"Backup verified and saved: {info.path.name}", 10000)

    def _manual_backup_failed(self, error: str) -> None:
        self.statusBar().clearMessage()
        QMessageBox.warning(self, "Backup failed", f"No backup was made.\n\n{error}")

    def _backup_failed(self, error: str) -> None:
        self.statusBar().showMessage(f"The scheduled backup failed: {error}", 30000)

    # -- table and detail ----------------------------------------------------------------------

    def _apply_filter(self, flt: object) -> None:
        self.model.set_filter(flt)  # type: ignore[arg-type]
        self.timeline.set_filter(flt)  # type: ignore[arg-type]
        self.summary.set_filter(flt)  # type: ignore[arg-type]
        self.map.set_filter(flt)  # type: ignore[arg-type]
        self.review.set_filter(flt)  # type: ignore[arg-type]
        first, last = self.filter_bar.period_days()
        self.summary.set_period(first, last)
        self.timeline.show_period(first, last)

    def _reporting_days_toggled(self, on: bool) -> None:
        """One "Reporting days" for Trends: the plot, the summary and the "last N days" presets agree."""
        for check in (self.timeline.reporting_check, self.summary.reporting_check):
            check.setChecked(on)
        self.filter_bar.set_reporting_days(on)

    def _period_dragged(self, first: object, last: object) -> None:
        """A region dragged on the timeline becomes the filter bar's period, so everything follows."""
        self.filter_bar.set_period(first, last)  # type: ignore[arg-type]

    def _after_review(self, decided: int) -> None:
        self.statusBar().showMessage(f"Recorded {decided} review decision{'s' if decided != 1 else ''}.", 10000)

    def _show_incident_from_review(self, incident_id: str) -> None:
        self._selected_id = incident_id
        self.tabs.setCurrentWidget(self.splitter)
        self.model.refresh()

    def _select_from_map(self, incident_id: str) -> None:
        """A point clicked on the map: select that incident in the table and show it."""
        self._selected_id = incident_id
        self._restore_selection()

    def _show_count(self, count: int) -> None:
        self.count_label.setText(f"{count:,} incident{'s' if count != 1 else ''}")

    def _show_profile(self) -> None:
        p = self._profile
        self.profile_label.setText(f"{p.name} ({p.callsign}), {p.role}")

    def _show_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        record = self.model.record_at(rows[0].row()) if rows else None
        if record is None:
            self._selected_id = None
            self.detail.clear()
            self.map_detail.clear()
            self.map.select_incident(None)
            return
        self._selected_id = record.incident_id
        try:
            fresh = get_incident(self._store.conn, record.incident_id)
            history = incident_history(self._store.conn, record.incident_id)
        except TrucelineError as error:
            damage_seen(error)
            self.statusBar().showMessage(str(error), 10000)
            return
        self.detail.show_incident(fresh, history, display_tz(self._settings, self._store))
        self.map_detail.show_incident(fresh, history, display_tz(self._settings, self._store))
        self.map.select_incident(record.incident_id)

    def _restore_selection(self) -> None:
        """Keep the same incident selected across refreshes, filter and sort changes."""
        if self._selected_id is None:
            self.detail.clear()
            return
        row = self.model.row_of(self._selected_id)
        if row is None:
            self._selected_id = None
            self.detail.clear()
            return
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(index, flags)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        self._show_selected()

    def _size_columns(self) -> None:
        """Each column as wide as the longest value it can show, so no cell is cut short."""
        metrics = self.table.fontMetrics()
        header_metrics = self.table.horizontalHeader().fontMetrics()
        for column, samples in enumerate(column_samples(self._store.theatre)):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            widest = max((metrics.horizontalAdvance(text) for text in samples), default=0)
            self.table.setColumnWidth(column, max(widest + 14, header_metrics.horizontalAdvance(title) + 28))

    # -- window state ----------------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self._settings.value("main_window/geometry")
        restored = geometry is not None and self.restoreGeometry(geometry)
        # The preferred size, or one remembered on a larger monitor, is bounded by this screen: on a
        # 1366×768 laptop the status bar (where "Saved …" appears) stays above the screen's edge.
        fit_to_screen(self, self.size() if restored else DEFAULT_SIZE)
        splitter = self._settings.value("main_window/incidents_splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        trends = self._settings.value("main_window/trends_splitter")
        if trends is not None:
            self.trends.restoreState(trends)
        header = self._settings.value("main_window/table_header")
        if header is not None:
            self.table.horizontalHeader().restoreState(header)

    def _stop_for_damage(self, what: str) -> None:
        """SQLite reported damage: nothing more is written, no record is shown (desktop/window/damage_guard.py)."""
        self.checkpointer.stop()
        self.data_version.stop()
        self.backups.stop()
        self.stopped_panel = stop_window(
            self, what, self._store.data_dir, hide=(self.filter_bar, self.tabs), keep=(self.quit_action,)
        )

    def _erased(self) -> None:
        """The key was destroyed: nothing more is shown or written (no backup at closing); close at once."""
        self.erased = True
        self.screen_lock.lock()
        self.close()

    def close_to_encrypt(self, request: EncryptionRequest) -> None:
        """Close so that the application can encrypt the directory: what is being typed is kept as a draft
        (the conversion encrypts drafts) and no form writes another one while the records are converted."""
        for keeper in self.findChildren(DraftKeeper):
            keeper.flush()
            keeper.stop()
        for dialog in self.findChildren(QDialog):
            dialog.hide()
        self.encryption = request
        self.close()

    def shutdown(self) -> None:
        """Stop every timer, worker thread and pending call that uses the store; the store closes next.

        Called when the window closes and, through ``Store.before_close``, whenever the store
        closes first (a restore, another data directory, a test's teardown). Safe to call twice.
        """
        if self._stopped:
            return
        self._stopped = True
        self.damage.uninstall()
        self.screen_lock.stop()
        self.changes.close()  # followers stop their timers; later announcements are ignored
        self.data_version.stop()
        self._drafts_offer.stop()
        self.checkpointer.stop()
        self.filter_bar.blockSignals(True)  # its debounce would otherwise query the closed store
        self.exchange.stop()
        for task in self.findChildren(BackgroundTask):  # a CSV import or export still running
            task.cancel()
            task.wait()
        self.backups.stop()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self._settings.setValue("main_window/geometry", self.saveGeometry())
        self._settings.setValue("main_window/incidents_splitter", self.splitter.saveState())
        self._settings.setValue("main_window/trends_splitter", self.trends.saveState())
        self._settings.setValue("main_window/table_header", self.table.horizontalHeader().saveState())
        self.shutdown()
        super().closeEvent(event)

    def _about(self) -> None:
        theatre = self._store.theatre
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME} {VERSION}</b><p>Offline logging, merging, review and reporting of ceasefire "
            f"violations for monitoring missions.</p><p>Theatre: {theatre.name}<br><i>{theatre.notice}</i></p>"
            f"<p>Data: {self._store.data_dir}</p>",
        )
