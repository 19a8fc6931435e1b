"""The entry form: one incident, recorded or amended from the keyboard alone (ARCHITECTURE.md §8).

A modal dialog, because a monitor enters one incident at a time and a modal window keeps the
keyboard where the typing is: Esc always means "leave this form" and Enter never saves by
accident (Ctrl+S, Ctrl+Enter do). Every keystroke re-reads the fields and runs the same
validation the command line uses, so Save is enabled exactly when the save would succeed, and
"saved" is only announced after the database call returned. What is typed is also written to a
draft file about a second after the typing stops (desktop/form/draft.py), so a crash or a power cut loses nothing.
"""

import datetime
import html
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from db.core.clock import utc_now_text
from db.core.errors import TrucelineError, ValidationError
from db.core.sql_driver import sqlite3
from db.model.display import problem_sentence
from db.model.geo import compass_point
from db.model.incident import Incident
from db.model.local_time import AmbiguousTimeError
from db.model.validation import DEFAULTS, validate_incident, validate_reason
from db.records.incidents import IncidentRecord, amend_incident, get_incident, incident_history, record_incident
from db.records.monitors import Monitor
from db.records.roles import is_decision, supervisor_refusal
from db.storage.damage import damage_seen
from db.storage.drafts import Draft
from db.storage.store import Store
from desktop.form.button_row import button_row
from desktop.form.draft import DraftKeeper
from desktop.form.editors import INVALID_STYLE
from desktop.form.help_text import LABELS
from desktop.form.incident_fields import IncidentFields
from desktop.form.memory import next_values, recalled, remember
from desktop.form.questions import (
    ask_keeping_focus,
    discard_question,
    occurrence_question,
    outside_question,
    save_failed,
)
from desktop.form.typed import (
    POSITIONS,
    TIMES,
    Reading,
    position_hint,
    problem_field,
    read_form,
    utc_hint,
    values_of_incident,
)
from desktop.map.pick_dialog import MapPickDialog
from desktop.widgets.screen_fit import fit_to_screen

_SHOWN_PROBLEMS = 3
MIN_POINT_SIZE = 11.0
FORM_WIDTH = 1340


class IncidentForm(QDialog):
    """Record a new incident, or amend one (``incident_id=``) with a reason; restore a ``draft=``.

    ``saved`` carries the :class:`~db.records.incidents.Saved` of the commit and ``status`` a sentence
    for the status bar; both are emitted only after the database call returned.
    """

    saved = Signal(object)
    status = Signal(str)

    def __init__(
        self,
        store: Store,
        author: Monitor,
        settings: QSettings,
        parent: QWidget | None = None,
        *,
        incident_id: str | None = None,
        draft: Draft | None = None,
        display_tz: ZoneInfo | None = None,
    ) -> None:
        super().__init__(parent)
        if draft is not None and draft.incident_id is not None:
            if incident_id is not None and incident_id != draft.incident_id:
                raise ValueError(f"the draft edits incident {draft.incident_id}, not {incident_id}")
            incident_id = draft.incident_id
        self._store = store
        self._author = author
        self._settings = settings
        self._tz = display_tz or store.tz
        self._record: IncidentRecord | None = get_incident(store.conn, incident_id) if incident_id else None
        self._base_version_id: str | None = None
        if self._record is not None:
            self._base_version_id = (draft and draft.base_version_id) or self._record.head_version_id
        self._drafts = DraftKeeper(
            store.data.drafts,
            draft.draft_id if draft is not None else None,
            self._draft_content,
            self._tz,
            self,
        )
        self._problems: dict[str, str] = {}
        # Asked of db once (the roster in force, else this laptop's roles); the save checks again.
        self._not_supervisor = supervisor_refusal(store.conn, author.monitor_id, store.device.device_id)
        self._incident: Incident | None = None
        self._reading: Reading | None = None
        self._refreshing = False
        self._fitted = False

        self.setWindowTitle("Edit incident" if self._record else "New incident")
        self.setModal(True)
        # Read in bad light at arm's length: never smaller than 11 pt. Set in the stylesheet, as
        # a widget that a stylesheet styles (an invalid one) ignores fonts set by its parents.
        size = max(self.font().pointSizeF(), MIN_POINT_SIZE)
        self.setStyleSheet(f"QWidget {{ font-size: {size:g}pt; }}\n{INVALID_STYLE}")
        self._fields = IncidentFields(store.theatre, self._tz.key, editing=self._record is not None)
        self._build(self._fields)

        # The baseline is what "nothing changed" means: the defaults, or the incident as loaded.
        self._fields.set_values(self._initial_values())
        self._baseline = self._fields.values()
        if draft is not None:
            self._fields.set_values(draft.fields)
        reading = read_form(self._fields.values(), self._tz, store.theatre)
        self._fields.apply_placement(reading.placement, fill=False)

        self._fields.changed.connect(self._refresh)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence("Ctrl+M"), self, self.pick_on_map, context=context)
        for keys in ("Ctrl+S", "Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.save, context=context)
        if self._record is None:
            QShortcut(QKeySequence("Ctrl+Shift+S"), self, self.save_and_new, context=context)
        self._refresh()
        self._fields.focus_first()

    # -- layout -------------------------------------------------------------------------------

    def _build(self, fields: IncidentFields) -> None:
        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        self._title = QLabel(self._title_text())
        self._title.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self._title, 1)
        # Typing a position stays the first way; the map is for a place known by sight (Ctrl+M).
        self._pick_button = QPushButton("Pick on map…  (Ctrl+M)")
        self._pick_button.setToolTip("Set your position or the event position by a click on the map (Ctrl+M)")
        self._pick_button.setAutoDefault(False)
        self._pick_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # reached by Ctrl+M; the Tab order stays the fields'
        self._pick_button.setObjectName("pick_on_map")
        self._pick_button.clicked.connect(self.pick_on_map)
        top.addWidget(self._pick_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        scroll = QScrollArea()
        scroll.setWidget(fields)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Not a Tab stop of its own: moving between fields scrolls to them.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Only needed on screens smaller than 1366×768 or with large fonts; never the default.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self._scroll = scroll
        layout.addWidget(scroll, 1)
        row = button_row(self._drafts.label, editing=self._record is not None)
        bottom = self._bottom = row.layout
        self._problem_label = row.problems
        self._save_button, self._next_button, self._cancel_button = row.save, row.save_and_new, row.cancel
        self._next_button.clicked.connect(self.save_and_new)
        self._save_button.clicked.connect(self.save)
        self._cancel_button.clicked.connect(self.reject)
        layout.addLayout(bottom)
        QWidget.setTabOrder(fields.tab_chain[-1], self._save_button)
        QWidget.setTabOrder(self._save_button, self._next_button)
        QWidget.setTabOrder(self._next_button, self._cancel_button)

    def _title_text(self) -> str:
        who = f"&nbsp;&nbsp; by {html.escape(self._author.name)} ({html.escape(self._author.callsign)})"
        if self._record is None:
            return f"<b style='font-size: 13pt'>New incident</b>{who}"
        record = self._record
        versions = len(incident_history(self._store.conn, record.incident_id))
        text = f"<b style='font-size: 13pt'>Editing {record.ref} (version {versions})</b>{who}"
        if record.in_conflict:
            text += f"<br><b>In conflict: {record.heads} versions disagree; saving adds another.</b>"
        elif self._base_version_id != record.head_version_id:
            text += "<br><b>Another version was saved since this draft began; saving will show a conflict.</b>"
        return text

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        # Room for the problems shown, in the font the stylesheet set, so Save does not jump.
        self._problem_label.setMinimumHeight(self._problem_label.fontMetrics().lineSpacing() * _SHOWN_PROBLEMS)
        # Wide enough that a problem takes one line: a narrow wrapped label would ask for a taller form.
        self._problem_label.setMinimumWidth(self._problem_label.fontMetrics().averageCharWidth() * 36)
        self._drafts.reserve_label_room()
        if not self._fitted:
            # Every field without scrolling on a 1366×768 laptop (Qt alone would stop at two thirds).
            self._fitted = True
            self.ensurePolished()
            self._fields.prepare()
            for layout in (self._fields.layout(), self._layout):
                if layout is not None:
                    layout.invalidate()
                    layout.activate()
            fit_to_screen(self)
        super().showEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        # A scroll area asks for a token size; ask for room to show every field without it.
        hint = super().sizeHint()
        scroll, inner = self._scroll.sizeHint(), self._fields.sizeHint()
        # At least FORM_WIDTH: room to spare in every column, so a hint or warning never moves a field.
        margins = self._layout.contentsMargins()
        whole = inner.width() + margins.left() + margins.right() + 2 * self._scroll.frameWidth()
        buttons = self._bottom.sizeHint().width() + margins.left() + margins.right()
        hint.setWidth(max(whole, buttons, FORM_WIDTH))
        hint.setHeight(hint.height() - scroll.height() + inner.height())
        return hint

    # -- values -------------------------------------------------------------------------------

    def _initial_values(self) -> dict[str, Any]:
        if self._record is not None:
            values = values_of_incident(self._record.incident, self._tz)
            placement = read_form(values, self._tz, self._store.theatre).placement
            # A stored zone that differs from the position's was an override; keep it one.
            values["zone_overridden"] = bool(placement and placement.zone_id and placement.zone_id != values["zone_id"])
            values["sector_overridden"] = bool(placement and placement.sector_id != values["sector_id"])
            return values
        now = datetime.datetime.now(self._tz).replace(second=0, microsecond=0)
        day, clock = now.date().isoformat(), f"{now:%H:%M}"
        values = {name: DEFAULTS.get(name) for name in DEFAULTS}
        values.update(
            observed_start_date=day,
            observed_start_time=clock,
            observed_end_known=False,
            observed_end_date=day,
            observed_end_time=clock,
            folds={"observed_start": [f"{day}T{clock}", now.fold]},
            category=None,
            **recalled(self._settings, self._store.theatre),
        )
        return values

    def pick_on_map(self) -> MapPickDialog:
        """Open the map to pick the position of the field being typed in (else the observer's)."""
        event = self._fields.widget("event_position")
        field = "event_position" if event.hasFocus() else "observer_position"
        dialog = MapPickDialog(self._store, self, field=field)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._picked(dialog))
        # Back to the field the map was opened from, picked or not (never a button of a closed dialog).
        dialog.rejected.connect(self._fields.widget(field).setFocus)
        dialog.open()
        return dialog

    def _picked(self, dialog: MapPickDialog) -> None:
        """Write the picked position into its field: the zone and sector follow as if typed."""
        widget = self._fields.widget(dialog.field)
        widget.setText(dialog.position_text())  # type: ignore[attr-defined]
        widget.setFocus()

    def field_widget(self, name: str) -> QWidget:
        """The widget of a form field (incident field names; see :mod:`desktop.form.incident_fields`)."""
        return self._fields.widget(name)

    def problems(self) -> dict[str, str]:
        """Current problems by form field: what keeps Save disabled."""
        return dict(self._problems)

    def values(self) -> dict[str, Any]:
        """Every field as typed (what a draft stores)."""
        return self._fields.values()

    @property
    def placement_warning(self) -> str:
        return self._fields.placement_warning

    @property
    def draft_id(self) -> str:
        return self._drafts.draft_id

    def is_changed(self) -> bool:
        return self._fields.values() != self._baseline

    # -- validation ---------------------------------------------------------------------------

    def _refresh(self) -> None:
        if self._refreshing:
            return
        self._refreshing = True
        try:
            self._validate()
        finally:
            self._refreshing = False
        self._drafts.schedule(self.is_changed())

    def _validate(self) -> None:
        fields, theatre = self._fields, self._store.theatre
        reading = read_form(fields.values(), self._tz, theatre)
        if fields.apply_placement(reading.placement):
            reading = read_form(fields.values(), self._tz, theatre)
        self._reading = reading
        self._show_hints(reading)
        problems = dict(reading.problems)
        incident: Incident | None = None
        try:
            incident = validate_incident(reading.raw, theatre=theatre)
        except ValidationError as error:
            for problem in error.problems:
                problems.setdefault(problem_field(problem.field), problem.reason)
        before = self._record.incident.verification_state if self._record is not None else None
        if incident is not None and self._not_supervisor and is_decision(before, incident.verification_state):
            problems.setdefault("verification_state", f"only a supervisor can set this; {self._not_supervisor}")
        if self._record is not None:
            try:
                validate_reason(fields.values().get("reason"))
            except ValidationError as error:
                problems.setdefault("reason", error.problems[0].reason)
        self._problems = problems
        self._incident = None if problems else incident
        fields.show_problems(problems)
        self._save_button.setEnabled(not problems)
        self._next_button.setEnabled(not problems)
        lines = [problem_sentence(LABELS.get(name, name), reason) for name, reason in problems.items()]
        if len(lines) > _SHOWN_PROBLEMS:
            lines = [
                *lines[: _SHOWN_PROBLEMS - 1],
                f"… and {len(lines) - _SHOWN_PROBLEMS + 1} more (Ctrl+S goes to the first)",
            ]
        self._problem_label.setText("\n".join(lines))
        self._problem_label.setStyleSheet("color: #c62828;" if problems else "")

    def _show_hints(self, reading: Reading) -> None:
        fields = self._fields
        for name in TIMES:
            moment = reading.times.get(name)
            fields.set_hint(name, "" if moment is None else utc_hint(moment), error=bool(moment and moment.problem))
        for name in POSITIONS:
            if name in reading.positions:
                fields.set_hint(name, position_hint(*reading.positions[name]))
            else:
                fields.set_hint(name, reading.problems.get(name, ""), error=name in reading.problems)
        bearing = reading.bearing
        fields.set_hint("bearing_deg", "" if bearing is None else f"= {bearing:g}° ({compass_point(bearing)})")

    # -- drafts -------------------------------------------------------------------------------

    def _draft_content(self, draft_id: str) -> Draft | None:
        """What a draft keeps (desktop/form/draft.py), or None when nothing was changed."""
        if not self.is_changed():
            return None
        incident_id = self._record.incident_id if self._record else None
        return Draft(draft_id, incident_id, self._base_version_id, self._fields.values(), utc_now_text())

    # -- saving -------------------------------------------------------------------------------

    def save_and_new(self) -> bool:
        """Save, then stay open for the next observation of the same moment (``form_memory.KEPT_FOR_NEXT``)."""
        return self.save(new_from_this=self._record is None)

    def save(self, new_from_this: bool = False) -> bool:
        """Save if everything is valid (asking about ambiguous times first); True once committed."""
        self._drafts.stop()
        self._refresh()
        if self._problems:
            self._focus_first_problem()
            return False
        if not self._ask_ambiguous_times() or not self._confirm_outside():
            return False
        if self._problems or self._incident is None:  # the occurrence chosen may put the end first
            self._focus_first_problem()
            return False
        incident = self._incident
        self._drafts.write()  # a crash during the save must not lose the form
        writer = self._store.writer(self._author.monitor_id)
        try:
            if self._record is None:
                saved = record_incident(self._store.conn, writer, incident, self._store.calendar)
            else:
                saved = amend_incident(
                    self._store.conn,
                    writer,
                    self._record.incident_id,
                    incident,
                    str(self._fields.values().get("reason", "")),
                    self._store.calendar,
                    base_version_id=self._base_version_id,
                )
        except (TrucelineError, sqlite3.Error) as error:
            damage_seen(error)
            box = save_failed(self, error)
            self._ask(box)
            return False
        self._drafts.drop()
        remember(self._settings, incident, self._fields.values())
        self.saved.emit(saved)
        self.status.emit(f"Saved {saved.ref}" if self._record is None else f"Saved a new version of {saved.ref}")
        if new_from_this:
            self._start_next(saved.ref)
        else:
            self.done(QDialog.DialogCode.Accepted)
        return True

    def _start_next(self, previous_ref: str) -> None:
        """A fresh incident holding what the one just saved shares with it; the cursor on what differs."""
        self._fields.set_values(next_values(self._fields.values()))
        self._baseline = self._fields.values()
        self._drafts.start_new()
        self._title.setText(
            f"<b style='font-size: 13pt'>New incident</b>&nbsp;&nbsp; same moment as {html.escape(previous_ref)}, "
            f"by {html.escape(self._author.name)} ({html.escape(self._author.callsign)})"
        )
        self._refresh()
        self._fields.widget("obs_type").setFocus(Qt.FocusReason.OtherFocusReason)

    def _ask_ambiguous_times(self) -> bool:
        """Ask which occurrence every time in an autumn overlap means; False if the monitor backs out."""
        asked = False
        for name in TIMES:
            moment = self._reading.times.get(name) if self._reading else None
            if moment is None or moment.ambiguous is None or moment.local is None:
                continue
            fold = self._ask_occurrence(name, moment.ambiguous)
            if fold is None:
                return False
            values = self._fields.values()
            self._fields.folds[name] = [f"{values[f'{name}_date']}T{values[f'{name}_time']}", fold]
            asked = True
        if asked:
            self._refresh()
        return True

    def _confirm_outside(self) -> bool:
        """A position outside every zone (swapped coordinates?) is saved only when the monitor says so."""
        placement = self._reading.placement if self._reading else None
        if placement is None or placement.zone_id is not None:
            return True
        where = "far from the DMZ"
        if placement.distance_km is not None:
            where = f"{placement.distance_km:,.0f} km from the contact line"
        box, save = outside_question(self, where)
        self._ask(box)
        if box.clickedButton() is save:
            return True
        widget = self._fields.widget(
            "event_position" if self._reading and "event_position" in self._reading.positions else "observer_position"
        )
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return False

    def _ask_occurrence(self, name: str, error: AmbiguousTimeError) -> int | None:
        box, answers = occurrence_question(self, LABELS[name], error)
        self._ask(box)
        clicked = box.clickedButton()
        return answers.get(clicked) if clicked is not None else None

    def _ask(self, box: QMessageBox) -> None:
        ask_keeping_focus(self, box)

    def _focus_first_problem(self) -> None:
        for name in self._problems:
            widget = self._fields.first_widget_of(name)
            if widget is not None and widget.isEnabled() and widget.focusPolicy() != Qt.FocusPolicy.NoFocus:
                self._scroll.ensureWidgetVisible(widget)
                widget.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    # -- leaving ------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        plain_enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        )
        if plain_enter:
            focused = self.focusWidget()
            if isinstance(focused, QPushButton) and focused.isEnabled():
                focused.click()
            # Anywhere else Enter does nothing: saving takes Ctrl+S or Ctrl+Enter.
            event.accept()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        """Esc, Cancel or the window's close button: ask before throwing typed work away."""
        if self.is_changed():
            box, discard = discard_question(self)
            self._ask(box)
            if box.clickedButton() is not discard:
                return
        self._drafts.stop()
        self._drafts.drop()
        super().reject()

    def done(self, result: int) -> None:
        self._drafts.stop()
        super().done(result)
