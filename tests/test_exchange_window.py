"""The exchange in the window: File → Import bundles… (several files, progress, Cancel), export, the log."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from laptops import Laptop
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from db.exchange.log import import_log, state_hash
from db.records.monitors import Monitor
from db.storage.store import Store
from desktop.files.exchange_dialog import ExportDialog, ImportDialog
from desktop.files.exchange_worker import PERMILLE
from desktop.files.import_log_view import COL_ADDED, COL_DEVICE, COL_DUPLICATE, COL_RANGE, ImportLogDialog
from desktop.window.main_window import MainWindow


@pytest.fixture(autouse=True)
def no_blocking_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("warning", "information", "critical", "question"):
        monkeypatch.setattr(QMessageBox, name, lambda *args, _n=name: pytest.fail(f"unexpected message box {_n}"))


@pytest.fixture
def others(tmp_path: Path) -> Iterator[tuple[Laptop, Laptop]]:
    hart, kova = Laptop(tmp_path, "hart"), Laptop(tmp_path, "kova")
    yield hart, kova
    hart.close()
    kova.close()


@pytest.fixture
def bundles(others: tuple[Laptop, Laptop], tmp_path: Path) -> list[Path]:
    """Hart's and Kova's bundles: three incidents, one of them amended on both laptops (a conflict)."""
    hart, kova = others
    shared = hart.record(count=3)
    hart.record(count=4)
    kova.receive(hart.export())
    hart.amend(shared.incident_id, "Hart's recount", count=5)
    kova.amend(shared.incident_id, "Kova's recount", count=6)
    kova.record(count=8)
    broken = tmp_path / "usb" / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not a bundle")
    return [tmp_path / "usb" / "hart-1.zip", hart.export(), broken, kova.export()]


def run_import(qtbot: Any, store: Store, files: list[Path]) -> ImportDialog:
    dialog = ImportDialog(store, files)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.finishedAll, timeout=20_000):
        dialog.start()
    dialog.wait()
    return dialog


def test_importing_several_bundles_reports_each_and_refuses_the_bad_one(
    qtbot: Any, store: Store, bundles: list[Path]
) -> None:
    dialog = run_import(qtbot, store, bundles)

    lines = dialog.results.toPlainText().splitlines()
    assert lines[0] == "✓ hart-1.zip from laptop-hart: 2 added, 0 already here"
    assert lines[1] == "✓ hart-2.zip from laptop-hart: 1 added, 0 already here"
    assert lines[2].startswith("✗ Refused broken.zip: ") and "not a Truceline bundle" in lines[2]
    assert lines[3] == "✓ kova-1.zip from laptop-kova: 2 added, 2 already here, 1 incident in conflict"
    assert dialog.status.text() == (
        "Imported 3 of 4 bundles: 5 versions added; 1 incident in conflict (Review view); "
        "1 refused (nothing from them was applied)."
    )
    assert dialog.progress.value() == dialog.progress.maximum()
    assert dialog.close_button.isEnabled() and not dialog.cancel_button.isEnabled()
    assert store.conn.execute("SELECT count(*), sum(heads > 1) FROM incidents").fetchone() == (3, 1)


def test_cancel_stops_before_the_next_bundle_and_applies_nothing_more(
    qtbot: Any, store: Store, bundles: list[Path]
) -> None:
    dialog = ImportDialog(store, bundles)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.finishedAll, timeout=20_000):
        dialog.start()
        dialog.cancel()  # at once: the first bundle may or may not be done; the rest are not imported
    dialog.wait()
    assert dialog.cancel_button.text() == "Cancel" and dialog.close_button.isEnabled()
    text = dialog.results.toPlainText()
    assert "■ Stopped" in text and "kova-1.zip" not in text
    assert store.conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0] in (0, 2)


def test_export_writes_a_verified_bundle_then_offers_all_when_nothing_is_new(
    qtbot: Any, store: Store, writer: Any, tmp_path: Path
) -> None:
    from support import save

    save(store, writer)
    out = tmp_path / "stick" / "mine.zip"
    for expected in ("Exported 1 version from 1 device", "Nothing new to export"):
        dialog = ExportDialog(store, out)
        qtbot.addWidget(dialog)
        dialog.show()
        with qtbot.waitSignal(dialog.workDone, timeout=20_000):
            dialog.start()
        dialog.wait()
        assert dialog.status.text().startswith(expected), dialog.status.text()
    assert dialog.all_button.isVisible()
    with qtbot.waitSignal(dialog.exportedTo, timeout=20_000):
        dialog.all_button.click()
    dialog.wait()
    assert out.exists() and "verified after writing" in dialog.status.text().lower()


def test_the_export_bar_rises_while_a_bundle_of_thousands_of_versions_is_written(
    qtbot: Any, store: Store, tmp_path: Path
) -> None:
    from db.records.demo import generate

    generate(store, 3000)
    dialog = ExportDialog(store, tmp_path / "big.zip")
    qtbot.addWidget(dialog)
    dialog.show()
    shown: list[int] = []
    dialog.progress.valueChanged.connect(shown.append)
    with qtbot.waitSignal(dialog.exportedTo, timeout=60_000):
        dialog.start()
    dialog.wait()

    # A real bar, never a busy indicator, that climbs step by step before it is full.
    assert dialog.progress.maximum() == PERMILLE
    assert shown == sorted(shown) and shown[-1] == PERMILLE
    assert len([value for value in shown if 0 < value < PERMILLE]) >= 6


@pytest.fixture
def window(qtbot: Any, store: Store, monitor: Monitor, tmp_path: Path) -> MainWindow:
    win = MainWindow(store, QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_file_menu_imports_bundles_and_the_table_and_conflicts_follow(
    qtbot: Any, window: MainWindow, bundles: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions()]
    assert {"E&xport for exchange…", "Import &bundles…", "Import &log…"} <= set(texts)
    chosen = [str(p) for p in bundles if p.name != "broken.zip"]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args, **kwargs: (chosen, ""))
    window.exchange.import_action.trigger()
    dialog = window.findChild(ImportDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.close_button.isEnabled(), timeout=20_000)
    dialog.wait()
    qtbot.waitUntil(lambda: window.count_label.text() == "3 incidents")
    window.tabs.setCurrentWidget(window.review)  # a hidden tab reads again when shown
    qtbot.waitUntil(lambda: len(window.review.conflicts.incident_ids()) == 1)
    assert "5 versions added" in window.statusBar().currentMessage()


def test_file_menu_export_asks_where_and_writes_there(
    qtbot: Any, window: MainWindow, store: Store, writer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support import save

    save(store, writer)
    target = tmp_path / "usb" / "to-supervisor"  # no suffix typed: .zip is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    window.exchange.export_action.trigger()
    dialog = window.findChild(ExportDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.close_button.isEnabled(), timeout=20_000)
    dialog.wait()
    assert (tmp_path / "usb" / "to-supervisor.zip").exists()
    assert "Exported 1 version" in window.statusBar().currentMessage()


def test_the_import_log_lists_each_bundle_the_gaps_and_the_state_hash(
    qtbot: Any, store: Store, others: tuple[Laptop, Laptop]
) -> None:
    hart, _kova = others
    hart.record()
    early = hart.export()
    hart.record(count=2)
    hart.record(count=3)
    late = hart.export()
    run_import(qtbot, store, [late, late])
    dialog = ImportLogDialog(store)
    qtbot.addWidget(dialog)
    model = dialog.model
    assert model.rowCount() == 2 == len(import_log(store.conn))
    texts = [[model.index(row, c).data() for c in (COL_DEVICE, COL_RANGE, COL_ADDED, COL_DUPLICATE)] for row in (0, 1)]
    assert sorted(texts) == [["laptop-hart", "2–3", "0", "2"], ["laptop-hart", "2–3", "2", "0"]]
    assert "versions 1–1" not in dialog.gaps.text() and "version 1 missing" in dialog.gaps.text()
    assert dialog.compute_state_hash() == state_hash(store.conn) == dialog.hash_field.text()
    run_import(qtbot, store, [early])
    assert "No sequence gaps" in ImportLogDialog(store).gaps.text()


def test_closing_the_window_mid_import_stops_the_worker_cleanly(
    qtbot: Any, window: MainWindow, store: Store, bundles: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from db.storage.integrity import check_database

    chosen = [str(p) for p in bundles if p.name != "broken.zip"]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args, **kwargs: (chosen, ""))
    dialog = window.exchange.import_bundles()
    assert dialog is not None and dialog.windowModality() == Qt.WindowModality.WindowModal
    window.close()
    assert not dialog.running
    assert check_database(store.conn, store.calendar).ok  # whole bundles or nothing of them


def test_the_import_dialog_opens_the_log(qtbot: Any, store: Store, bundles: list[Path]) -> None:
    dialog = run_import(qtbot, store, bundles[:1])
    log = dialog.show_log()
    assert log.model.rowCount() == 1 and log.isVisible()
    log.accept()


def test_an_unexpected_failure_in_the_worker_is_reported_not_swallowed(
    qtbot: Any, store: Store, bundles: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.files import exchange_worker

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(exchange_worker, "import_bundle", broken)
    dialog = run_import(qtbot, store, bundles[:1])
    assert "✗ Refused hart-1.zip: unexpected error, nothing from it was applied: RuntimeError('disk on fire')" in (
        dialog.results.toPlainText()
    )
    assert dialog.status.text().startswith("Imported 0 of 1 bundle: 0 versions added; 1 refused")
