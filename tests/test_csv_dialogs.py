"""The CSV dialogs: export with the window's filter, progress and Cancel; import with a preview first."""

import csv
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from support import save, valid_raw, version_count

from db.csv_io.columns import PRESETS
from db.csv_io.export import export_csv
from db.csv_io.importing import import_csv
from db.model.validation import validate_incident
from db.records.incidents import amend_incident, get_incident
from db.records.monitors import Monitor, add_monitor
from db.records.queries import IncidentFilter
from db.storage.store import Store, open_store
from db.storage.versions import Writer
from desktop.files.csv_export_dialog import CsvExportDialog
from desktop.files.csv_import_dialog import CsvImportDialog
from desktop.review.conflict_dialog import ConflictDialog
from desktop.window.main_window import MainWindow


def finish(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: dialog.task is not None and dialog.task.isFinished(), timeout=30_000)
    # The task posted its end-of-task signal before it finished: deliver it now, no guessed delay.
    QApplication.sendPostedEvents()


def test_export_writes_the_filtered_incidents_with_progress(
    qtbot, store: Store, writer: Writer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    save(store, writer, sector_id="DMZ-04")
    save(store, writer, category="uav_activity", obs_type="none", explosion_kind=None)
    dialog = CsvExportDialog(store, IncidentFilter(categories=("fire",)), None)
    qtbot.addWidget(dialog)
    assert "Exports the 1 incident the filter bar selects" in dialog.scope.text()
    out = tmp_path / "fire.csv"
    dialog.path.setText(str(out))
    with qtbot.waitSignal(dialog.exported, timeout=30_000) as signal:
        dialog.export_button.click()
    assert signal.args[0].rows == 1
    assert dialog.progress.value() == dialog.progress.maximum()
    assert f"Exported 1 incident to {out}" in dialog.message.text()
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["category"] for row in rows] == ["fire"]
    finish(qtbot, dialog)


def test_export_acled_summary_preset_and_no_bom(qtbot, store: Store, writer: Writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    save(store, writer)
    dialog = CsvExportDialog(store, IncidentFilter(), None)
    qtbot.addWidget(dialog)
    dialog.preset.setCurrentIndex(dialog.preset.findData("summary"))
    dialog.bom.setChecked(False)
    dialog.path.setText(str(tmp_path / "summary.csv"))
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        dialog.export_button.click()
    first = (tmp_path / "summary.csv").read_bytes().split(b"\r\n")[0].decode()
    assert first == ",".join(PRESETS["summary"])
    finish(qtbot, dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("acled"))
    assert not dialog.preset.isEnabled()  # ACLED columns are fixed
    dialog.path.setText(str(tmp_path / "acled.csv"))
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        dialog.export_button.click()
    assert (tmp_path / "acled.csv").read_bytes().startswith(b"event_id_cnty,")
    finish(qtbot, dialog)


def test_cancel_stops_the_export_and_leaves_no_file(  # type: ignore[no-untyped-def]
    qtbot, store: Store, writer: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(store, writer)
    release = threading.Event()

    def held_export(*args, **kwargs):  # type: ignore[no-untyped-def]
        release.wait(10)  # the export starts only after Cancel was pressed
        return export_csv(*args, **kwargs)

    monkeypatch.setattr("desktop.files.csv_export_dialog.export_csv", held_export)
    dialog = CsvExportDialog(store, IncidentFilter(), None)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(tmp_path / "never.csv"))
    dialog.export_button.click()
    try:
        assert not dialog.progress.isHidden() and not dialog.export_button.isEnabled()
        dialog.cancel_button.click()
        assert dialog.message.text() == "Cancelling…"
    finally:
        release.set()
    finish(qtbot, dialog)
    assert dialog.message.text() == "Export cancelled; no file was written"
    assert dialog.export_button.isEnabled()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_export_error_is_shown_and_no_file_left(qtbot, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = CsvExportDialog(store, IncidentFilter(), None)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(tmp_path / "missing" / "x.csv"))
    dialog.export_button.click()
    finish(qtbot, dialog)
    assert "no such folder; nothing was written" in dialog.message.text()


@pytest.fixture
def importer(tmp_path: Path) -> tuple[Store, Monitor]:
    target = open_store(tmp_path / "elsewhere")
    person = add_monitor(target.conn, "Olena Koval", "KOVA", "supervisor")
    yield target, person  # type: ignore[misc]
    target.close()


def test_import_previews_then_imports(qtbot, store: Store, writer: Writer, tmp_path: Path, importer) -> None:  # type: ignore[no-untyped-def]
    for count in (1, 2):
        save(store, writer, count=count)
    out = tmp_path / "two.csv"
    export_csv(store.conn, IncidentFilter(), out, tz=store.tz)
    target, person = importer
    dialog = CsvImportDialog(target, person, None)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(out))
    assert not dialog.import_button.isEnabled()
    dialog.check_button.click()
    finish(qtbot, dialog)
    assert "would add 2; 0 already present" in dialog.summary.text()
    assert dialog.import_button.isEnabled() and version_count(target) == 0
    with qtbot.waitSignal(dialog.imported, timeout=30_000):
        dialog.import_button.click()
    finish(qtbot, dialog)
    assert "added 2" in dialog.summary.text() and version_count(target) == 2
    assert dialog.cancel_button.text() == "Close"


def test_import_preview_lists_every_problem_and_import_stays_off(  # type: ignore[no-untyped-def]
    qtbot, store: Store, writer: Writer, tmp_path: Path, importer
) -> None:
    save(store, writer)
    out = tmp_path / "one.csv"
    export_csv(store.conn, IncidentFilter(), out, tz=store.tz)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("count")] = "many"
    rows[1][rows[0].index("means")] = "rumour"
    with out.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    target, person = importer
    dialog = CsvImportDialog(target, person, None)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(out))
    dialog.check_button.click()
    finish(qtbot, dialog)
    assert "2 problem(s), so nothing would be imported" in dialog.summary.text()
    cells = [[dialog.problems.item(r, c).text() for c in range(4)] for r in range(dialog.problems.rowCount())]
    assert [cell[:3] for cell in cells] == [["2", "count", "many"], ["2", "means", "rumour"]]
    assert "is not a number" in cells[0][3]
    assert not dialog.import_button.isEnabled() and version_count(target) == 0


def test_import_refuses_an_acled_file_in_words(qtbot, store: Store, writer: Writer, tmp_path: Path, importer) -> None:  # type: ignore[no-untyped-def]
    save(store, writer)
    out = tmp_path / "acled.csv"
    export_csv(store.conn, IncidentFilter(), out, tz=store.tz, fmt="acled")
    target, person = importer
    dialog = CsvImportDialog(target, person, None)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(out))
    dialog.check_button.click()
    finish(qtbot, dialog)
    assert "ACLED-format file" in dialog.problems.item(0, 3).text()
    assert not dialog.import_button.isEnabled()


def test_window_file_menu_opens_both_with_the_filter(
    qtbot, store: Store, monitor, writer: Writer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    save(store, writer)
    window = MainWindow(store, QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(window)
    titles = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "Export &CSV…" in titles and "&Import CSV…" in titles
    window.filter_bar.category.setCurrentIndex(window.filter_bar.category.findData("uav_activity"))
    export = window.export_csv()
    assert "Exports the 0 incidents" in export.scope.text()
    export.reject()
    dialog = window.import_csv()
    assert dialog.isVisible()
    dialog.reject()


def test_an_imported_conflict_resolves_in_the_conflict_dialog(  # type: ignore[no-untyped-def]
    qtbot, store: Store, writer: Writer, supervisor: Monitor, tmp_path: Path
) -> None:
    saved = save(store, writer, count=12)
    out = tmp_path / "old.csv"
    export_csv(store.conn, IncidentFilter(), out, tz=store.tz)
    changed = validate_incident(valid_raw(count=30), theatre=store.theatre)
    amend_incident(store.conn, writer, saved.incident_id, changed, "recount", store.calendar)
    import_csv(store.conn, writer, out, theatre=store.theatre, calendar=store.calendar)
    dialog = ConflictDialog(store, supervisor, saved.incident_id)
    qtbot.addWidget(dialog)
    assert dialog.differing_fields() == ["count"]
    dialog.choose_all(0)
    dialog.reason.setText("the recount stands")
    with qtbot.waitSignal(dialog.resolved, timeout=1000):
        assert dialog.save()
    record = get_incident(store.conn, saved.incident_id)
    assert record.heads == 1 and record.incident.count == 30  # the first head is the older one: the recount
