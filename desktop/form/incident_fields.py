"""The entry form's fields: every incident field in group boxes, in the order a monitor thinks.

When, then where, what, how many, how known, harm, judgement, notes: three columns that fit a
1366×768 laptop screen (inside a scroll area for anything smaller). The Tab order is the visual
order, built from the order the fields are created in. This widget only shows and holds values
(as typed, see :mod:`desktop.form.typed`); the dialog decides what they mean.
"""

from collections.abc import Hashable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from db.model import enums
from db.model.theatre import Placement, Theatre
from db.model.validation import MAX_COUNT, MAX_REASON, MAX_TEXT
from desktop.form.editors import (
    CountEdit,
    DateEdit,
    ElidedLabel,
    TimeEdit,
    mark_invalid,
    set_widget_value,
    widget_value,
)
from desktop.form.field_rows import HINT_STYLE, FieldRows
from desktop.form.help_text import FIRST_FIELD, HELP, RARELY_CHANGED

CHOOSE = "— choose —"
NOT_GRADED = "Not graded"
# Which widgets show the problems of a field the form shows across several widgets.
_PROBLEM_WIDGETS = {
    "observed_start": ("observed_start_date", "observed_start_time"),
    "observed_end": ("observed_end_date", "observed_end_time"),
}
_ERROR_STYLE = "color: #c62828;"
_WARNING_STYLE = "color: #8a4b00; font-weight: bold;"


def _enum_items(labels: Mapping[Any, str], placeholder: str | None = None) -> list[tuple[Hashable, str]]:
    head: list[tuple[Hashable, str]] = [(None, placeholder)] if placeholder else []
    return head + list(labels.items())


class IncidentFields(FieldRows):
    """Every field of one incident, with its tooltip, inline hint and problem marking.

    ``changed`` fires on any edit. Besides the widgets' values, :meth:`values` carries the
    form's own state that a draft must restore: whether the monitor overrode the zone or sector,
    which occurrence of an ambiguous time was meant, and a stored DMZ relation.
    """

    changed = Signal()

    def __init__(self, theatre: Theatre, tz_name: str, *, editing: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._theatre = theatre
        self._loading = False
        self.zone_overridden = False
        self.sector_overridden = False
        self.folds: dict[str, list[Any]] = {}
        self.stored_dmz_relation: str | None = None
        self._placement: Placement | None = None
        self._times: dict[str, tuple[DateEdit, TimeEdit]] = {}
        columns = QHBoxLayout(self)
        columns.setSpacing(14)
        # The first column carries positions and their readings, so it gets the most room.
        for stretch, build in (
            (9, lambda: (self._when(tz_name), self._where())),
            (5, lambda: (self._what(), self._how_many(), self._how_known(), self._harm())),
            (4, lambda: (self._judgement(), self._notes(editing))),
        ):
            column = QVBoxLayout()
            column.setSpacing(10)
            self._labels.append([])
            groups = build()
            for group in groups:
                column.addWidget(group)
            if isinstance(groups[-1], QGroupBox) and groups[-1].title() == "Notes":
                column.setStretchFactor(groups[-1], 1)  # the narrative takes what is left
            else:
                column.addStretch(1)
            columns.addLayout(column, stretch)
        for first, second in zip(self._chain, self._chain[1:], strict=False):
            QWidget.setTabOrder(first, second)
        for name in RARELY_CHANGED:
            # Out of the Tab order, still a click or its Alt key away.
            self._widgets[name].setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._update_enabled()

    def _when(self, tz_name: str) -> QGroupBox:
        box, form = self._group(f"When (local time, {tz_name})")
        # Its short labels are not widened to Where's: the room goes to the UTC hints beside the times.
        self._labels.append([])
        for name in ("observed_start", "observed_end"):
            # The end is optional: its check box stands in the label column, so that both dates
            # line up and Tab reaches the box before the fields it switches on.
            label: str | QWidget = "&Start"
            if name == "observed_end":
                label = self._end_known = QCheckBox("&End:")
                # Connected before the form hears of the change, so the end is filled when it reads it.
                self._end_known.toggled.connect(self._end_switched)
                self._register("observed_end_known", self._end_known, self._end_known.toggled)
            date, clock = DateEdit(), TimeEdit()
            for edit in (date, clock):
                edit.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            self._register(f"{name}_date", date, date.dateChanged)
            self._register(f"{name}_time", clock, clock.timeChanged)
            if name == "observed_start":
                clock.accepts_range = True
                clock.rangeTyped.connect(self._range_typed)
            self._hints[name] = hint = ElidedLabel()
            hint.setStyleSheet(HINT_STYLE)
            self._row(form, label, date, clock, hint, grow=hint)
            self._times[name] = (date, clock)
        self._row(form, "Pre&cision", self._combo("time_precision", _enum_items(enums.TIME_PRECISION)))
        return box

    def _where(self) -> QGroupBox:
        box, form = self._group("Where")
        self._labels.append([])
        self._row(form, "Your &position", self._line("observer_position", "48.4012, 37.7021 · DMS · MGRS"))
        self._hint(form, "observer_position")
        self._row(form, "E&vent position", self._line("event_position", "if known; same notations"))
        self._hint(form, "event_position")
        # Ids first, as the tables, filters, references and reports name them; the name explains.
        zones = [
            (z.zone_id, z.zone_id if z.name.upper() == z.zone_id else f"{z.zone_id} · {z.name}")
            for z in self._theatre.zones
        ]
        self._zone = zone = self._combo("zone_id", [(None, CHOOSE), *zones])
        zone.activated.connect(self._zone_chosen)
        sectors = [(s.sector_id, f"{s.sector_id} · {s.name}") for s in self._theatre.sectors]
        self._sector = sector = self._combo("sector_id", [(None, "None (outside the DMZ)"), *sectors])
        sector.activated.connect(self._sector_chosen)
        # A mismatch with the position is shown beside the combo it concerns.
        # A mismatch with the position is shown on a line of its own below the two combos, kept
        # even when empty, so a warning appearing never moves a field.
        self._mismatch = {"zone_id": ElidedLabel(), "sector_id": ElidedLabel()}
        for name, label in self._mismatch.items():
            label.setObjectName(f"{name}_mismatch")
            label.setStyleSheet(_WARNING_STYLE)
        self._row(form, "&Zone", zone)
        self._row(form, "DMZ secto&r", sector)
        warnings = QHBoxLayout()
        warnings.setSpacing(12)
        warnings.addWidget(self._mismatch["zone_id"], 1)
        warnings.addWidget(self._mismatch["sector_id"], 1)
        form.addRow("", warnings)
        # One line, cut short with "…" rather than wrapped: a second line would push every field down.
        self._dmz = ElidedLabel()
        self._dmz.setObjectName("dmz_relation")
        self._dmz.setToolTip(HELP["dmz_relation"])
        self._widgets["dmz_relation"] = self._dmz
        self._row(form, "DMZ relation", self._dmz)
        self._row(form, "Place", self._line("place", "nearest settlement"))
        bearing = self._line("bearing_deg", "70 or ENE", width=90, max_length=20)
        self._hints["bearing_deg"] = bearing_hint = ElidedLabel()
        bearing_hint.setStyleSheet(HINT_STYLE)
        self._row(form, "Bearin&g", bearing, bearing_hint, grow=bearing_hint)
        self._row(
            form,
            "&Distance",
            self._line("dist_min_km", "min", width=70, max_length=20),
            "to",
            self._line("dist_max_km", "max", width=70, max_length=20),
            "km",
        )
        self._row(form, "Prec&ision", self._combo("geo_precision", _enum_items(enums.GEO_PRECISION)))
        return box

    def _what(self) -> QGroupBox:
        box, form = self._group("What")
        self._row(form, "C&ategory", self._combo("category", _enum_items(enums.CATEGORY, CHOOSE)))
        self._obs_type = self._combo("obs_type", _enum_items(enums.OBS_TYPE))
        self._row(form, "&Observed", self._obs_type)
        self._explosion_kind = self._combo("explosion_kind", _enum_items(enums.EXPLOSION_KIND, CHOOSE))
        self._row(form, "E&xplosion", self._explosion_kind)
        self._row(form, "&Weapon", self._combo("weapon_class", _enum_items(enums.WEAPON_CLASS)))
        self._assessed = self._check("weapon_assessed", "assessed, calibre")
        self._calibre = self._line("calibre_mm", "mm", width=70, max_length=20)
        self._row(form, "Assessment", self._assessed, self._calibre, "mm")
        return box

    def _how_many(self) -> QGroupBox:
        box, form = self._group("How many")
        count = CountEdit()
        # 0 is allowed in the box so that validation can say why it is wrong, rather than the
        # spin box silently refusing the keystroke.
        count.setRange(0, MAX_COUNT)
        count.setFixedWidth(100)
        self._register("count", count, count.valueChanged)
        qualifier = self._combo("count_qualifier", _enum_items(enums.COUNT_QUALIFIER))
        count.qualifierTyped.connect(lambda value: qualifier.set_value(value))
        self._row(form, "Co&unt", count, qualifier)
        return box

    def _how_known(self) -> QGroupBox:
        box, form = self._group("How known")
        self._row(form, "Mea&ns", self._combo("means", _enum_items(enums.MEANS, CHOOSE)))
        self._row(
            form, "Reliabilit&y", self._combo("source_reliability", _enum_items(enums.SOURCE_RELIABILITY, NOT_GRADED))
        )
        self._row(
            form, "Credibili&ty", self._combo("info_credibility", _enum_items(enums.INFO_CREDIBILITY, NOT_GRADED))
        )
        return box

    def _harm(self) -> QGroupBox:
        box, form = self._group("Harm (empty = unknown)")
        for group, prefix in (("Civi&lians", "civ"), ("&Military", "mil")):
            killed = self._line(f"{prefix}_killed", "unknown", width=80, max_length=10)
            injured = self._line(f"{prefix}_injured", "unknown", width=80, max_length=10)
            self._row(form, group, "killed", killed, "injured", injured)
        return box

    def _judgement(self) -> QGroupBox:
        box, form = self._group("Judgement")
        self._row(form, "Veri&fication", self._combo("verification_state", _enum_items(enums.VERIFICATION_STATE)))
        self._row(form, "Attri&bution", self._combo("attribution", _enum_items(enums.ATTRIBUTION)))
        self._row(form, "Actor &1", self._line("actor1", "party responsible", max_length=MAX_TEXT["actor1"]))
        self._row(form, "Actor &2", self._line("actor2", "other party", max_length=MAX_TEXT["actor2"]))
        return box

    def _notes(self, editing: bool) -> QGroupBox:
        box = QGroupBox("Notes")
        layout = QVBoxLayout(box)
        narrative = QPlainTextEdit()
        # Tab leaves the field, as everywhere else in the form; Enter starts a new line.
        narrative.setTabChangesFocus(True)
        narrative.setPlaceholderText("What happened, in your words")
        self._reserved.append((narrative, 7))
        self._register("narrative", narrative, narrative.textChanged)
        layout.addWidget(narrative)
        reason_box = QWidget()
        reason_layout = QVBoxLayout(reason_box)
        reason_layout.setContentsMargins(0, 6, 0, 0)
        caption = QLabel("<b>Reason for t&his change</b> (required):")
        reason = self._line("reason", "why the incident is being changed", max_length=MAX_REASON)
        caption.setBuddy(reason)
        reason_layout.addWidget(caption)
        reason_layout.addWidget(reason)
        layout.addWidget(reason_box)
        reason_box.setVisible(editing)
        reason.setEnabled(editing)
        return box

    # -- reading and writing ------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """Every field as typed, plus the form state a draft must restore (JSON-ready)."""
        out = {name: widget_value(widget) for name, widget in self._widgets.items() if name != "dmz_relation"}
        out["dmz_relation"] = self.stored_dmz_relation
        out["zone_overridden"] = self.zone_overridden
        out["sector_overridden"] = self.sector_overridden
        out["folds"] = {name: list(answer) for name, answer in self.folds.items()}
        return out

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` (as from :meth:`values` or a draft); unknown names are ignored."""
        self._loading = True
        try:
            for name, value in values.items():
                if name in self._widgets and name != "dmz_relation":
                    set_widget_value(self._widgets[name], value)
            if "dmz_relation" in values:
                self.stored_dmz_relation = values["dmz_relation"]
            self.zone_overridden = bool(values.get("zone_overridden", self.zone_overridden))
            self.sector_overridden = bool(values.get("sector_overridden", self.sector_overridden))
            folds = values.get("folds")
            if isinstance(folds, dict):
                self.folds = {str(k): list(v) for k, v in folds.items() if isinstance(v, list | tuple)}
        finally:
            self._loading = False
        self._update_enabled()

    def _on_edit(self) -> None:
        if self._loading:
            return
        self._update_enabled()
        self.changed.emit()

    def _range_typed(self) -> None:
        """ "21:14-21:40" typed in the start time: the dash switches the end on and moves to its time."""
        if not self._end_known.isChecked():
            self._end_known.setChecked(True)
        self._times["observed_end"][1].setFocus(Qt.FocusReason.TabFocusReason)

    def _end_switched(self, on: bool) -> None:
        """Ticking End starts it at the start, never at "now": the monitor types only the end time."""
        if on and not self._loading:
            (start_date, start_time), (end_date, end_time) = self._times["observed_start"], self._times["observed_end"]
            self._loading = True
            try:
                end_date.setDate(start_date.date())
                end_time.setDisplayFormat(start_time.displayFormat())
                end_time.setTime(start_time.time())
            finally:
                self._loading = False

    def _update_enabled(self) -> None:
        """Fields that do not apply are greyed out, and Tab skips them."""
        self._explosion_kind.setEnabled(self._obs_type.value() == "explosion")
        self._calibre.setEnabled(self._assessed.isChecked())
        for edit in self._times["observed_end"]:
            edit.setEnabled(self._end_known.isChecked())

    # -- placement: zone and sector from the position -----------------------------------------

    def _zone_chosen(self) -> None:
        computed = self._placement.zone_id if self._placement else None
        self.zone_overridden = computed is not None and self._zone.value() != computed
        self._show_placement()
        self.changed.emit()

    def _sector_chosen(self) -> None:
        placement = self._placement
        self.sector_overridden = placement is not None and self._sector.value() != placement.sector_id
        self._show_placement()
        self.changed.emit()

    def apply_placement(self, placement: Placement | None, *, fill: bool = True) -> bool:
        """Follow a new position: fill zone and sector unless overridden; True if a combo changed.

        Only a change of position fills the combos, so a choice the monitor just made stands
        until the position moves again (and then stands too, once overridden).
        """
        before = (self._zone.value(), self._sector.value())
        if placement != self._placement:
            self._placement = placement
            if fill and placement is not None:
                self._loading = True
                try:
                    # A position outside every zone leaves the zone as it was: a mistyped
                    # coordinate should not wipe a correct choice.
                    if not self.zone_overridden and placement.zone_id is not None:
                        self._zone.set_value(placement.zone_id)
                    if not self.sector_overridden:
                        self._sector.set_value(placement.sector_id)
                finally:
                    self._loading = False
        self._show_placement()
        return (self._zone.value(), self._sector.value()) != before

    def _show_placement(self) -> None:
        """The DMZ relation, and a warning beside zone or sector when they differ from the position's."""
        placement = self._placement
        warnings = {"zone_id": "", "sector_id": ""}
        if placement is None:
            relation = self.stored_dmz_relation
            self._dmz.set_full_text(enums.DMZ_RELATION.get(relation, relation) if relation else "from the position")
            self._dmz.setStyleSheet("" if relation else HINT_STYLE)
        else:
            text = enums.DMZ_RELATION[placement.dmz_relation]
            if placement.distance_km is not None:
                text += f", {placement.distance_km:.1f} km from the contact line"
            self._dmz.set_full_text(text)
            self._dmz.setStyleSheet("")
            if placement.zone_id is None:
                warnings["zone_id"] = "⚠ outside all zones"
            elif self._zone.value() != placement.zone_id:
                warnings["zone_id"] = f"⚠ position: {placement.zone_id}"
            if placement.zone_id is not None and self._sector.value() != placement.sector_id:
                warnings["sector_id"] = f"⚠ position: {placement.sector_id or 'none'}"
        for name, text in warnings.items():
            self._mismatch[name].set_full_text(text)
            self._mismatch[name].setToolTip(
                "Differs from the zone and sector of the position: an override. Check it, or choose the position's."
                if text
                else ""
            )

    @property
    def placement_warning(self) -> str:
        """The zone and sector mismatch warnings shown, or ""."""
        return " ".join(label.full_text() for label in self._mismatch.values() if label.full_text())

    # -- hints and problems -------------------------------------------------------------------

    def hint(self, name: str) -> str:
        """The whole hint shown beside a field (it may be cut short on screen)."""
        return self._hints[name].full_text()

    def set_hint(self, name: str, text: str, *, error: bool = False) -> None:
        hint = self._hints[name]
        hint.set_full_text(text)
        hint.setStyleSheet(_ERROR_STYLE if error else HINT_STYLE)

    def show_problems(self, problems: Mapping[str, str]) -> None:
        """Mark every field named in ``problems`` (red border, reason as tooltip); clear the rest."""
        marked: dict[str, str] = {}
        for field, reason in problems.items():
            for name in _PROBLEM_WIDGETS.get(field, (field,)):
                marked[name] = reason
        for name, widget in self._widgets.items():
            mark_invalid(widget, marked.get(name), HELP.get(name, ""))

    def first_widget_of(self, field: str) -> QWidget | None:
        names = _PROBLEM_WIDGETS.get(field, (field,))
        return self._widgets.get(names[0])

    def focus_first(self) -> None:
        """The start time: the date is today's far more often than not (Alt+S reaches it)."""
        self._widgets[FIRST_FIELD].setFocus(Qt.FocusReason.TabFocusReason)
