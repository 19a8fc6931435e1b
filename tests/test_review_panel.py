"""The supervisors' review panel: selecting a batch, deciding, returning, and conflicts kept apart."""

from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from support import make_conflict, save, version_count

from db.records.incidents import Saved, get_incident, incident_history
from db.records.monitors import Monitor, update_monitor
from db.records.review import queue_counts
from db.storage.store import Store
from db.storage.versions import Writer
from desktop.review.conflict_dialog import ConflictDialog
from desktop.review.panel import NOT_SUPERVISOR, ReviewPanel
from desktop.review.queue_model import COL_STATE, ReviewQueueModel


@pytest.fixture(autouse=True)
def no_blocking_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The panel reports inline; a message box would block the test, so any is a failure."""
    for name in ("warning", "information", "critical", "question"):
        monkeypatch.setattr(QMessageBox, name, lambda *args, _n=name: pytest.fail(f"unexpected message box {_n}"))


@pytest.fixture
def queued(store: Store, writer: Writer, supervisor: Monitor) -> list[Saved]:
    """Four queued incidents (oldest first), one verified, and one in conflict.

    States beyond "submitted" are a supervisor's decisions (db/records/roles.py)."""
    judge = store.writer(supervisor.monitor_id)
    out = [
        save(
            store,
            writer if state == "submitted" else judge,
            observed_start=f"2026-04-0{day}T10:00:00Z",
            observed_end=None,
            verification_state=state,
        )
        for day, state in ((1, "submitted"), (2, "under_review"), (3, "returned"), (4, "submitted"))
    ]
    save(store, judge, observed_start="2026-03-01T10:00:00Z", observed_end=None, verification_state="verified")
    conflicted = save(store, writer, observed_start="2026-03-02T10:00:00Z", observed_end=None)
    make_conflict(store, writer, conflicted)
    return [*out, conflicted]


def make_panel(qtbot: Any, store: Store, reviewer: Monitor) -> ReviewPanel:
    panel = ReviewPanel(store, reviewer)
    qtbot.addWidget(panel)
    panel.resize(1280, 640)
    with qtbot.waitActive(panel):
        panel.show()
        panel.activateWindow()
    return panel


def click_row(
    qtbot: Any, panel: ReviewPanel, row: int, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    rect = panel.table.visualRect(panel.model.index(row, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_the_queue_model_lists_the_queue_oldest_first_without_conflicts(store: Store, queued: list[Saved]) -> None:
    model = ReviewQueueModel(store)
    assert model.rowCount() == 4
    assert [model.record_at(r).incident_id for r in range(4)] == [s.incident_id for s in queued[:4]]  # type: ignore[union-attr]
    assert model.index(1, COL_STATE).data() == "Under review"
    assert model.row_of(queued[4].incident_id) is None


def test_the_queue_model_reads_more_when_the_view_reaches_the_end(store: Store, queued: list[Saved]) -> None:
    model = ReviewQueueModel(store, page_size=3)
    assert model.rowCount() == 3 and model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 4 and not model.canFetchMore()
    assert model.record_at(3).incident_id == queued[3].incident_id  # type: ignore[union-attr]


def test_a_supervisor_verifies_three_selected_incidents(
    qtbot: Any, store: Store, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    assert panel.counts_label.text() == "Submitted 2 · Under review 1 · Returned 1 · Conflicts 1"
    assert panel.state.currentData() == "verified"

    click_row(qtbot, panel, 0)
    click_row(qtbot, panel, 1, Qt.KeyboardModifier.ControlModifier)
    click_row(qtbot, panel, 3, Qt.KeyboardModifier.ControlModifier)
    chosen = [queued[0], queued[1], queued[3]]
    assert panel.selected_ids() == [s.incident_id for s in chosen]
    assert panel.apply_button.text().replace("&", "") == "Apply to 3 selected"
    assert not panel.apply_button.isEnabled()  # no reason yet

    panel.reliability.setCurrentIndex(panel.reliability.findData("B"))
    qtbot.keyClicks(panel.reason, "cross-checked with OP-2 log")
    assert panel.apply_button.isEnabled()
    before = {s.incident_id: get_incident(store.conn, s.incident_id).head_version_id for s in chosen}
    with qtbot.waitSignal(panel.reviewed, timeout=1000) as signal:
        qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)

    assert signal.args == [3]
    for saved in chosen:
        record = get_incident(store.conn, saved.incident_id)
        assert record.incident.verification_state == "verified" and record.incident.source_reliability == "B"
        last = incident_history(store.conn, saved.incident_id)[-1]
        assert last.version.author_id == supervisor.monitor_id
        assert last.version.reason == "cross-checked with OP-2 log"
        assert last.version.parent_ids == (before[saved.incident_id],)
    assert panel.status.text() == "Verified 3 incidents."
    assert not panel.error.isVisible()
    assert panel.model.rowCount() == 1 and panel.model.record_at(0).incident_id == queued[2].incident_id  # type: ignore[union-attr]
    assert panel.counts_label.text() == "Submitted 0 · Under review 0 · Returned 1 · Conflicts 1"
    assert panel.selected_ids() == [] and panel.reason.text() == ""
    assert panel.apply_button.text().replace("&", "") == "Apply to selected" and not panel.apply_button.isEnabled()


def test_ctrl_a_and_ctrl_enter_decide_the_whole_queue_from_the_keyboard(
    qtbot: Any, store: Store, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(panel.selected_ids()) == 4
    panel.state.setCurrentIndex(panel.state.findData("disputed"))
    panel.reason.setFocus()
    qtbot.keyClicks(panel.reason, "two patrols disagree")
    with qtbot.waitSignal(panel.reviewed, timeout=1000) as signal:
        qtbot.keyClick(panel.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert signal.args == [4]
    assert {get_incident(store.conn, s.incident_id).incident.verification_state for s in queued[:4]} == {"disputed"}
    assert panel.status.text() == "Marked 4 incidents disputed."


def test_tab_goes_from_the_queue_through_the_decision_to_apply(
    qtbot: Any, store: Store, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    expected = [
        panel.state,
        panel.attribution,
        panel.actor1,
        panel.actor2,
        panel.reliability,
        panel.credibility,
        panel.reason,
        panel.apply_button,
    ]
    # Apply is a Tab stop only when enabled: select and give a reason first.
    panel.table.selectRow(0)
    panel.reason.setText("ok")
    panel.table.setFocus()
    for widget in expected:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is widget


def test_apply_needs_a_selection_and_a_reason(
    qtbot: Any, store: Store, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    before = version_count(store)
    panel.reason.setText("looks right")
    assert not panel.apply_button.isEnabled() and not panel.return_button.isEnabled()
    assert panel.apply() is False
    assert panel.error.isVisible() and panel.error.text() == "Select at least one incident in the queue."

    panel.reason.clear()
    panel.table.selectRow(0)
    assert not panel.apply_button.isEnabled()
    assert panel.apply() is False and panel.return_to_monitor() is False
    assert panel.error.text().startswith("Give a reason for the decision")
    panel.reason.setText("   ")
    assert not panel.apply_button.isEnabled()
    assert version_count(store) == before


def test_a_monitor_reads_the_queue_but_the_decision_is_disabled_saying_who_may_decide(
    qtbot: Any, store: Store, monitor: Monitor, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, monitor)
    sentence = (
        "Only a supervisor can review incidents (on this laptop: Ingrid Solberg (SOLB)); "
        "Amelia Hart (HART) is a monitor."
    )
    assert panel.notice.isVisible() and panel.notice.text() == sentence
    # Said before any click: the buttons are off and their tooltips give the same sentence.
    assert not panel.decision_box.isEnabled() and not panel.apply_button.isEnabled()
    assert panel.apply_button.toolTip() == sentence and panel.return_button.toolTip() == sentence
    # The queue and the conflicts stay readable; a conflict opens for comparison only.
    assert panel.table.isEnabled() and panel.model.rowCount() == 4
    assert panel.conflicts.resolve_button.text() == "Compare versions…"
    panel.table.selectRow(0)
    panel.reason.setText("sneaky")
    assert not panel.apply_button.isEnabled()
    assert panel.apply() is False and panel.error.text() == NOT_SUPERVISOR
    assert get_incident(store.conn, queued[0].incident_id).incident.verification_state == "submitted"
    dialog = panel.open_conflict(queued[4].incident_id)
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.notice.text() == sentence.replace("review incidents", "resolve this conflict")
    assert not dialog.save_button.isEnabled()
    dialog.reject()


def test_the_decision_follows_a_change_of_role_without_reopening_the_panel(
    qtbot: Any, store: Store, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    assert panel.decision_box.isEnabled() and not panel.notice.isVisible()
    store.conn.execute("UPDATE monitors SET role = 'monitor' WHERE monitor_id = ?", (supervisor.monitor_id,))
    panel.refresh()  # what every committed change (an import, a roster) brings
    assert not panel.decision_box.isEnabled() and panel.notice.isVisible()
    assert "Ingrid Solberg (SOLB) is a monitor" in panel.apply_button.toolTip()
    store.conn.execute("UPDATE monitors SET role = 'supervisor' WHERE monitor_id = ?", (supervisor.monitor_id,))
    panel.refresh()
    assert panel.decision_box.isEnabled() and not panel.notice.isVisible()
    assert panel.apply_button.toolTip().startswith("Record this decision")


def test_the_database_refuses_a_supervisor_who_was_demoted_meanwhile(
    qtbot: Any, store: Store, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    update_monitor(store.conn, supervisor.monitor_id, supervisor.name, supervisor.callsign, "monitor")
    before = version_count(store)
    panel.table.selectRow(0)
    panel.reason.setText("still a supervisor?")
    with qtbot.assertNotEmitted(panel.reviewed):
        assert panel.apply() is False
    assert panel.error.isVisible()
    assert panel.error.text() == "Only a supervisor can review incidents; Ingrid Solberg (SOLB) is a monitor."
    assert version_count(store) == before


def test_an_invalid_decision_is_one_sentence_naming_the_incident_and_field(
    qtbot: Any, store: Store, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    panel.table.selectRow(0)
    panel.attribution.setCurrentIndex(panel.attribution.findData("attributed"))
    panel.reason.setText("attributed")
    assert panel.apply() is False
    assert panel.error.text() == f"{queued[0].ref}: Actor 1 is required when the incident is attributed."
    panel.actor1.setText("Party A")
    assert panel.apply() is True
    incident = get_incident(store.conn, queued[0].incident_id).incident
    assert (incident.attribution, incident.actor1, incident.actor2) == ("attributed", "Party A", None)
    assert incident.source_reliability == "A" and incident.info_credibility == 2  # "leave as is"
    assert panel.status.text() == f"Verified {queued[0].ref}." and not panel.error.isVisible()


def test_return_to_monitor_sets_returned_with_the_reason(
    qtbot: Any, store: Store, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    panel.table.selectRow(0)
    panel.attribution.setCurrentIndex(panel.attribution.findData("could_not_be_attributed"))
    qtbot.keyClicks(panel.reason, "bearing missing; please add it")
    with qtbot.waitSignal(panel.reviewed, timeout=1000) as signal:
        qtbot.mouseClick(panel.return_button, Qt.MouseButton.LeftButton)
    assert signal.args == [1]
    record = get_incident(store.conn, queued[0].incident_id)
    # Returning changes the state only: the monitor corrects the rest.
    assert record.incident.verification_state == "returned" and record.incident.attribution == "not_assessed"
    last = incident_history(store.conn, queued[0].incident_id)[-1]
    assert last.version.reason == "bearing missing; please add it" and last.changed == ("verification_state",)
    assert panel.status.text() == f"Returned {queued[0].ref} to the monitors."
    assert queue_counts(store.conn)["returned"] == 2
    row = panel.model.row_of(queued[0].incident_id)
    assert row is not None and panel.model.index(row, COL_STATE).data() == "Returned"


def test_conflicts_are_listed_apart_and_never_in_the_queue(
    qtbot: Any, store: Store, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    conflicted = queued[4]
    assert panel.conflict_ids() == [conflicted.incident_id]
    assert conflicted.ref in panel.conflicts.list.item(0).text() and "2 versions" in panel.conflicts.list.item(0).text()
    assert panel.model.row_of(conflicted.incident_id) is None
    panel.table.selectAll()
    # Selecting a conflict does not add it to the decision.
    panel.conflicts.list.setCurrentRow(0, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert conflicted.incident_id not in panel.selected_ids() and len(panel.selected_ids()) == 4
    assert panel.apply_button.text().replace("&", "") == "Apply to 4 selected"


def test_a_conflict_row_opens_the_conflict_dialog_and_its_resolution_refreshes(
    qtbot: Any, store: Store, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    conflicted = queued[4]
    rect = panel.conflicts.list.visualItemRect(panel.conflicts.list.item(0))
    # A double-click on the same item as the press before it (as a real one is).
    qtbot.mouseClick(panel.conflicts.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.conflicts.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialogs = [w for w in panel.findChildren(ConflictDialog) if w.isVisible()]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert conflicted.ref in dialog.windowTitle()
    dialog.choose("count", 1)
    dialog.reason.setText("counted again")
    with qtbot.waitSignal(panel.conflictResolved, timeout=1000) as signal:
        assert dialog.save() is True
    assert signal.args == [conflicted.incident_id]
    assert panel.conflict_ids() == [] and panel.conflicts.empty.isVisible() and not panel.conflicts.list.isVisible()
    assert panel.model.row_of(conflicted.incident_id) is not None  # submitted: now reviewable
    assert panel.counts_label.text().endswith("Conflicts 0")
    assert panel.status.text().startswith(f"Resolved the conflict in {conflicted.ref}")


def test_double_clicking_a_queued_incident_asks_the_window_to_show_it(
    qtbot: Any, store: Store, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    rect = panel.table.visualRect(panel.model.index(2, 1))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(panel.incidentActivated, timeout=1000) as signal:
        qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert signal.args == [queued[2].incident_id]


def test_a_stale_queue_is_read_again_when_an_incident_went_into_conflict(
    qtbot: Any, store: Store, writer: Writer, supervisor: Monitor, queued: list[Saved]
) -> None:
    panel = make_panel(qtbot, store, supervisor)
    panel.table.selectRow(0)
    make_conflict(store, writer, queued[0])  # e.g. a bundle imported meanwhile
    panel.reason.setText("fine")
    before = version_count(store)
    assert panel.apply() is False
    assert panel.error.text().startswith(f"{queued[0].ref} is in conflict (2 versions)")
    assert version_count(store) == before
    assert queued[0].incident_id in panel.conflict_ids() and panel.model.row_of(queued[0].incident_id) is None


def test_an_empty_queue_says_so(qtbot: Any, store: Store, supervisor: Monitor) -> None:
    panel = make_panel(qtbot, store, supervisor)
    assert panel.model.rowCount() == 0 and panel.conflicts.empty.isVisible()
    assert panel.counts_label.text() == "Submitted 0 · Under review 0 · Returned 0 · Conflicts 0"
