"""Resolving a conflict: differences shown first, nothing chosen for the user, heads joined on save."""

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from support import valid_raw

from db.model.validation import validate_incident
from db.records.incidents import Saved, amend_incident, get_incident, incident_history, record_incident
from db.records.monitors import Monitor, add_monitor
from db.storage.device import set_device_label
from db.storage.integrity import check_projection, verify_chains
from db.storage.store import Store
from db.storage.versions import Writer
from desktop.review.conflict_dialog import CHANGED_MARK, CHOSEN_BRUSH, DIFFERS_BRUSH, DIFFERS_MARK, ConflictDialog


@pytest.fixture(autouse=True)
def no_blocking_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("warning", "information", "critical", "question"):
        monkeypatch.setattr(QMessageBox, name, lambda *args, _n=name: pytest.fail(f"unexpected message box {_n}"))


@pytest.fixture
def conflict(store: Store, writer: Writer) -> Saved:
    """Head A (Amelia Hart): count 20, heard and seen. Head B (Bohdan Kovalenko): count 12, seen, place changed."""
    set_device_label(store.conn, store.device.device_id, "Team 3 laptop")
    other = add_monitor(store.conn, "Bohdan Kovalenko", "KOVA", "monitor")
    first = record_incident(store.conn, writer, validate_incident(valid_raw(), theatre=store.theatre), store.calendar)
    amend(store, writer, first, "recount after the shelling stopped", count=20)
    amend(
        store, store.writer(other.monitor_id), first, "patrol B saw it", count=12, means="seen", place="Торецьк, north"
    )
    return first


def amend(store: Store, writer: Writer, base: Saved, reason: str, **changes: Any) -> None:
    changed = validate_incident(valid_raw(**changes), theatre=store.theatre)
    amend_incident(
        store.conn, writer, base.incident_id, changed, reason, store.calendar, base_version_id=base.version_id
    )


def heads_of(store: Store, incident_id: str) -> list[str]:
    return sorted(e.version.version_id for e in incident_history(store.conn, incident_id) if e.is_head)


def make_dialog(qtbot: Any, store: Store, author: Monitor, incident_id: str) -> ConflictDialog:
    dialog = ConflictDialog(store, author, incident_id)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    return dialog


def test_the_differences_come_first_and_are_highlighted(
    qtbot: Any, store: Store, supervisor: Monitor, conflict: Saved
) -> None:
    dialog = make_dialog(qtbot, store, supervisor, conflict.incident_id)
    assert dialog.differing_fields() == ["place", "count", "means"]
    table = dialog.table
    assert table.columnCount() == 3
    header_a = table.horizontalHeaderItem(1).text()
    header_b = table.horizontalHeaderItem(2).text()
    assert header_a.startswith("A · Amelia Hart (HART)") and "laptop Team 3 laptop" in header_a
    assert header_b.startswith("B · Bohdan Kovalenko (KOVA)")
    for row, label in enumerate(("Place", "Count", "Means")):
        assert table.item(row, 0).text() == DIFFERS_MARK + label
        assert table.item(row, 0).background() == DIFFERS_BRUSH
        assert table.item(row, 1).background() == DIFFERS_BRUSH
    # Who changed what: A changed the count (B kept the first 12); B changed the place and the means.
    assert (table.item(1, 1).text(), table.item(1, 2).text()) == (CHANGED_MARK + "20", "12")
    assert (table.item(0, 1).text(), table.item(0, 2).text()) == ("Торецьк", CHANGED_MARK + "Торецьк, north")
    assert dialog.changed_by("place") == [1] and dialog.changed_by("count") == [0]
    assert "Changed by Bohdan Kovalenko (KOVA) on laptop Team 3 laptop, 20" in table.item(0, 2).toolTip()
    agreeing = table.item(3, 0)
    assert not agreeing.text().startswith(DIFFERS_MARK) and agreeing.background() != DIFFERS_BRUSH
    assert not table.item(3, 1).flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert "recount after the shelling stopped" in dialog.reasons.text() and "patrol B saw it" in dialog.reasons.text()
    assert dialog.chosen() == {}  # no rule picks a winner


def test_saving_is_refused_until_every_difference_is_chosen_and_a_reason_given(
    qtbot: Any, store: Store, supervisor: Monitor, conflict: Saved
) -> None:
    dialog = make_dialog(qtbot, store, supervisor, conflict.incident_id)
    before = heads_of(store, conflict.incident_id)
    assert not dialog.save_button.isEnabled()
    assert dialog.save() is False
    assert dialog.error.isVisible() and dialog.error.text() == "Choose which value to keep for: Place, Count, Means."

    dialog.choose("count", 1)
    dialog.choose("means", 0)
    assert "still to choose: Place" in dialog.progress.text()
    dialog.reason.setText("agreed on the radio")
    assert not dialog.save_button.isEnabled() and dialog.save() is False
    assert dialog.error.text() == "Choose which value to keep for: Place."

    dialog.choose("place", 0)
    dialog.reason.clear()
    assert not dialog.save_button.isEnabled() and dialog.save() is False
    assert dialog.error.text().startswith("Give a reason for this resolution")
    assert heads_of(store, conflict.incident_id) == before


def test_a_resolution_keeps_the_chosen_values_and_joins_both_heads(
    qtbot: Any, store: Store, supervisor: Monitor, conflict: Saved
) -> None:
    dialog = make_dialog(qtbot, store, supervisor, conflict.incident_id)
    heads = heads_of(store, conflict.incident_id)
    table = dialog.table
    # By mouse: a click anywhere in a value cell keeps it; choosing the other value switches.
    for row, column in ((1, 1), (1, 2), (0, 2)):
        rect = table.visualRect(table.model().index(row, column))
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.chosen() == {"count": 1, "place": 1}
    assert table.item(1, 2).checkState() == Qt.CheckState.Checked
    assert table.item(1, 1).checkState() == Qt.CheckState.Unchecked
    assert table.item(1, 2).background() == CHOSEN_BRUSH and table.item(1, 0).background() == CHOSEN_BRUSH
    # By keyboard: Space on the current cell.
    table.setFocus()
    table.setCurrentCell(dialog.row_of("means"), 1)
    qtbot.keyClick(table, Qt.Key.Key_Space)
    assert dialog.chosen() == {"count": 1, "place": 1, "means": 0}
    assert dialog.save_button.isEnabled() is False
    qtbot.keyClicks(dialog.reason, "count and place from patrol B, means from A")
    assert dialog.save_button.isEnabled()

    with qtbot.waitSignal(dialog.resolved, timeout=1000) as signal:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    saved = signal.args[0]
    record = get_incident(store.conn, conflict.incident_id)
    assert record.heads == 1 and record.head_version_id == saved.version_id
    incident = record.incident
    assert (incident.count, incident.place, incident.means) == (12, "Торецьк, north", "heard_and_seen")
    last = incident_history(store.conn, conflict.incident_id)[-1]
    assert sorted(last.version.parent_ids) == heads
    assert last.version.author_id == supervisor.monitor_id
    assert last.version.reason == "count and place from patrol B, means from A"
    assert dialog.result() == dialog.DialogCode.Accepted
    assert check_projection(store.conn, store.calendar) == [] and verify_chains(store.conn) == []


def test_keep_all_from_one_version_is_a_choice_the_user_makes(
    qtbot: Any, store: Store, supervisor: Monitor, conflict: Saved
) -> None:
    dialog = make_dialog(qtbot, store, supervisor, conflict.incident_id)
    qtbot.mouseClick(dialog.take_all_buttons[1], Qt.MouseButton.LeftButton)
    assert dialog.chosen() == {"place": 1, "count": 1, "means": 1}
    dialog.reason.setText("patrol B is right")
    with qtbot.waitSignal(dialog.resolved, timeout=1000):
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert get_incident(store.conn, conflict.incident_id).incident.count == 12


def test_values_that_do_not_fit_together_are_refused_inline(
    qtbot: Any, store: Store, writer: Writer, supervisor: Monitor
) -> None:
    first = record_incident(store.conn, writer, validate_incident(valid_raw(), theatre=store.theatre), store.calendar)
    amend(store, writer, first, "it was an explosion", explosion_kind="airburst")
    amend(store, writer, first, "it was a burst", obs_type="burst", explosion_kind=None)
    dialog = make_dialog(qtbot, store, supervisor, first.incident_id)
    assert dialog.differing_fields() == ["obs_type", "explosion_kind"]
    burst = next(
        i for i in range(2) if dialog.table.item(dialog.row_of("obs_type"), i + 1).text() == CHANGED_MARK + "Burst"
    )
    dialog.choose("obs_type", burst)
    dialog.choose("explosion_kind", 1 - burst)
    dialog.reason.setText("mixed")
    assert dialog.save() is False
    assert dialog.error.text() == "The values chosen do not fit together: Explosion kind applies only to explosions."
    assert get_incident(store.conn, first.incident_id).heads == 2


def test_a_version_arriving_while_the_dialog_is_open_is_never_resolved_unseen(
    qtbot: Any, store: Store, writer: Writer, supervisor: Monitor, conflict: Saved
) -> None:
    dialog = make_dialog(qtbot, store, supervisor, conflict.incident_id)
    dialog.choose_all(0)
    dialog.reason.setText("A is right")
    amend(store, writer, conflict, "a third patrol", count=14)  # e.g. a bundle imported meanwhile
    assert dialog.save() is False
    assert dialog.error.text().endswith("changed while this window was open; close it and open the conflict again.")
    assert get_incident(store.conn, conflict.incident_id).heads == 3


def test_an_incident_no_longer_in_conflict_cannot_be_resolved(
    qtbot: Any, store: Store, writer: Writer, supervisor: Monitor
) -> None:
    saved = record_incident(store.conn, writer, validate_incident(valid_raw(), theatre=store.theatre), store.calendar)
    dialog = make_dialog(qtbot, store, supervisor, saved.incident_id)
    assert dialog.differing_fields() == [] and not dialog.save_button.isEnabled()
    assert dialog.error.isVisible() and "is no longer in conflict" in dialog.error.text()
    dialog.reason.setText("nothing")
    assert dialog.save() is False and len(incident_history(store.conn, saved.incident_id)) == 1


def test_a_monitor_is_told_up_front_who_may_resolve_and_has_no_save(
    qtbot: Any, store: Store, monitor: Monitor, supervisor: Monitor, conflict: Saved
) -> None:
    """The same rule db enforces (db/records/roles.py), asked before anything is chosen; db stays the guard."""
    dialog = make_dialog(qtbot, store, monitor, conflict.incident_id)
    sentence = (
        "Only a supervisor can resolve this conflict (on this laptop: Ingrid Solberg (SOLB)); "
        "Amelia Hart (HART) is a monitor."
    )
    assert dialog.notice.isVisible() and dialog.notice.text() == sentence
    assert not dialog.save_button.isEnabled() and dialog.save_button.toolTip() == sentence
    assert dialog.cancel_button.text() == "Close  (Esc)"
    assert not dialog.reason.isEnabled() and not any(b.isEnabled() for b in dialog.take_all_buttons)
    # The versions stay readable, but nothing invites a choice that could not be saved.
    assert dialog.differing_fields() == ["place", "count", "means"]
    assert not dialog.table.item(dialog.row_of("count"), 1).flags() & Qt.ItemFlag.ItemIsUserCheckable
    rect = dialog.table.visualRect(dialog.table.model().index(dialog.row_of("count"), 1))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog.choose_all(0)
    assert dialog.chosen() == {}
    heads = heads_of(store, conflict.incident_id)
    with qtbot.assertNotEmitted(dialog.resolved):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert dialog.save() is False
    assert heads_of(store, conflict.incident_id) == heads and dialog.isVisible()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Escape)


def test_a_supervisor_sees_no_notice_and_resolves(
    qtbot: Any, store: Store, supervisor: Monitor, conflict: Saved
) -> None:
    dialog = make_dialog(qtbot, store, supervisor, conflict.incident_id)
    assert dialog.refusal is None and not dialog.notice.isVisible()
    assert dialog.reason.isEnabled() and dialog.cancel_button.text() == "Cancel  (Esc)"
    dialog.choose_all(1)
    dialog.reason.setText("patrol B counted closer")
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.resolved):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert get_incident(store.conn, conflict.incident_id).heads == 1
