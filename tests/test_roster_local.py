"""Decisions cannot be made locally by someone who is not a supervisor: form, CSV import, conflict dialog, panel.

The rules are db's (db/records/roles.py); the widgets ask and show the refusal. Each refusal names
the field or line, and changes nothing.
"""

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog
from support import make_conflict, save, valid_raw, version_count

from db.csv_io.export import export_csv
from db.csv_io.importing import CsvImportError, import_csv
from db.exchange.log import state_hash
from db.model.validation import validate_incident
from db.records.incidents import get_incident, resolve_conflict
from db.records.monitors import Monitor, add_monitor
from db.records.queries import IncidentFilter
from db.records.roles import NotSupervisorError
from db.storage.store import Store, open_store
from db.storage.versions import Writer
from desktop.form.incident_form import IncidentForm
from desktop.review.panel import ReviewPanel


def test_a_csv_with_reviewed_states_is_refused_on_its_line_for_a_monitor(
    store: Store, writer: Writer, tmp_path: Path
) -> None:
    """A CSV from elsewhere holding "verified": the import would make this monitor its author."""
    source = open_store(tmp_path / "hq")
    judge = add_monitor(source.conn, "Ingrid Solberg", "SOLB", "supervisor")
    save(source, source.writer(judge.monitor_id), verification_state="verified")
    save(source, source.writer(judge.monitor_id), count=3)
    export_csv(source.conn, IncidentFilter(), tmp_path / "in.csv", tz=source.tz)
    source.close()
    before = state_hash(store.conn)
    with pytest.raises(CsvImportError) as caught:
        import_csv(store.conn, writer, tmp_path / "in.csv", theatre=store.theatre, calendar=store.calendar)
    message = str(caught.value)
    assert "column verification_state: only a supervisor can set it; Amelia Hart (HART) is a monitor" in message
    assert "line " in message and "(value 'verified')" in message
    assert state_hash(store.conn) == before and version_count(store) == 0
    # A supervisor imports the same file.
    judge_here = add_monitor(store.conn, "Mykola Petrenko", "PETR", "supervisor")
    summary = import_csv(
        store.conn,
        store.writer(judge_here.monitor_id),
        tmp_path / "in.csv",
        theatre=store.theatre,
        calendar=store.calendar,
    )
    assert summary.added == 2


def test_a_monitor_cannot_resolve_a_conflict(store: Store, writer: Writer) -> None:
    saved = save(store, writer)
    make_conflict(store, writer, saved)
    before = state_hash(store.conn)
    resolved = validate_incident(valid_raw(count=25), theatre=store.theatre)
    with pytest.raises(NotSupervisorError) as caught:
        resolve_conflict(store.conn, writer, saved.incident_id, resolved, "kept both counts", store.calendar)
    assert str(caught.value) == "Only a supervisor can resolve a conflict; Amelia Hart (HART) is a monitor."
    assert state_hash(store.conn) == before and get_incident(store.conn, saved.incident_id).heads == 2


def test_the_form_marks_a_reviewed_state_as_a_supervisors_and_does_not_save_it(
    qtbot: Any, store: Store, monitor: Monitor, tmp_path: Path
) -> None:
    writer = store.writer(monitor.monitor_id)
    saved = save(store, writer)
    settings = QSettings(str(tmp_path / "form.ini"), QSettings.Format.IniFormat)
    form = IncidentForm(store, monitor, settings, incident_id=saved.incident_id)
    qtbot.addWidget(form, before_close_func=lambda w: w.done(QDialog.DialogCode.Rejected))
    form.show()
    qtbot.waitExposed(form)
    combo = form._fields.widget("verification_state")
    combo.setCurrentIndex(combo.findData("verified"))
    assert form.problems()["verification_state"] == "only a supervisor can set this; Amelia Hart (HART) is a monitor"
    before = version_count(store)
    assert form.save() is False
    assert version_count(store) == before
    combo.setCurrentIndex(combo.findData("submitted"))
    assert "verification_state" not in form.problems()


def test_the_review_panel_says_roles_cannot_be_checked_before_a_roster(
    qtbot: Any, store: Store, supervisor: Monitor
) -> None:
    panel = ReviewPanel(store, supervisor)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.roles_note.isVisible()
    assert panel.roles_note.text() == (
        "Roles cannot be checked until the mission's roster is loaded: decisions from other laptops are kept "
        "apart until then."
    )


def test_the_conflict_dialog_asks_the_roster_in_force_before_offering_save(qtbot: Any, tmp_path: Path) -> None:
    """A profile registered here as supervisor is nobody's supervisor once a roster names others."""
    from laptops import Laptop, Mission

    from desktop.review.conflict_dialog import ConflictDialog

    hq = Mission(tmp_path)
    solb, hart = Laptop(tmp_path, "solb", role="supervisor"), Laptop(tmp_path, "hart")
    try:
        saved = save(solb.store, solb.writer)
        make_conflict(solb.store, solb.writer, saved)
        hq.trust(solb)
        hq.load(solb, hq.roster([solb, hart], supervisors=[hart]))
        dialog = ConflictDialog(solb.store, solb.monitor, saved.incident_id)
        qtbot.addWidget(dialog)
        assert dialog.notice.text() == (
            "Only a supervisor can resolve this conflict (nobody is named for this laptop yet); "
            "Monitor solb (SOLB) is not a supervisor on the mission's roster 1."
        )
        assert not dialog.save_button.isEnabled()
        hq.load(solb, hq.roster([solb, hart], supervisors=[solb]))
        allowed = ConflictDialog(solb.store, solb.monitor, saved.incident_id)
        qtbot.addWidget(allowed)
        assert allowed.refusal is None and allowed.reason.isEnabled()
    finally:
        solb.close()
        hart.close()
