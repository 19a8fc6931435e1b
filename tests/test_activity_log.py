"""The log file in the data directory's logs/, and the one dialog an unexpected error in the window shows."""

import logging
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from db.core import activity_log
from db.core.activity_log import LOG_NAME, log_file, printable, start_log, stop_log
from db.records.monitors import Monitor, add_monitor, set_local_profile
from db.storage.store import Store, open_store
from desktop.cli.main import main
from desktop.window.error_dialog import TITLE, UnexpectedErrors
from desktop.window.main_window import MainWindow


def log_text(data_dir: Path) -> str:
    return (data_dir / "logs" / LOG_NAME).read_text(encoding="utf-8")


def test_the_command_line_logs_what_it_opened_migrated_backed_up_exported_and_refused(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-csv", str(tmp_path / "x.csv")]) != 0  # no profile on this laptop yet
    store = open_store(data_dir)
    set_local_profile(store.conn, add_monitor(store.conn, "Amelia Hart", "HART", "monitor"))
    store.close()
    assert main(["backup"]) == 0
    assert main(["export-csv", str(tmp_path / "out.csv")]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,truceline\nexport\x1b[31m,x,y\n", encoding="utf-8")
    assert main(["import-csv", str(bad)]) != 0
    capsys.readouterr()
    text = log_text(data_dir)
    assert "migrated the database: m001_initial, m002_reporting_day" in text
    assert f"opened {data_dir / 'truceline.db'}" in text
    assert "backed up the database to" in text and "(verified)" in text
    assert f"exported 0 incidents as native CSV to {tmp_path / 'out.csv'}" in text
    assert "refused 'truceline import-csv': no monitor is signed in on this laptop" in text
    assert "refused CSV import: bad.csv: nothing was imported" in text
    assert log_file() is None  # the command closed its log


def test_foreign_text_is_written_with_control_characters_escaped(data_dir: Path) -> None:
    path = start_log(data_dir / "logs")
    try:
        logging.getLogger("db.exchange.importing").warning(
            "refused bundle %s", "evil.zip\n2026-01-01 INFO forged\x1b[2J\u202e"
        )
    finally:
        stop_log()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("refused bundle evil.zip\\n2026-01-01 INFO forged\\x1b[2J\\u202e")
    assert printable("Торецьк\tx\r") == "Торецьк\\tx\\r"  # Cyrillic stays readable


def test_the_log_rotates_instead_of_filling_the_disk(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(activity_log, "MAX_BYTES", 2_000)
    path = start_log(data_dir / "logs")
    try:
        for n in range(200):
            logging.getLogger("db.storage.store").info("opened the database, line %d", n)
    finally:
        stop_log()
    kept = sorted(p.name for p in path.parent.iterdir())
    assert kept == [LOG_NAME, *(f"{LOG_NAME}.{n}" for n in range(1, activity_log.KEEP_FILES + 1))]
    assert all(p.stat().st_size <= 2_000 for p in path.parent.iterdir())


def test_an_unexpected_error_in_the_window_shows_one_dialog_and_the_window_goes_on(
    qtbot: Any, store: Store, monitor: Monitor, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[tuple[str, str]] = []

    def modal_box(_parent: object, title: str, text: str) -> None:
        shown.append((title, text))
        QApplication.processEvents()  # what the dialog's own event loop does while it is open

    monkeypatch.setattr(QMessageBox, "critical", modal_box)
    window = MainWindow(store, QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(window)
    window.show()
    start_log(data_dir / "logs")
    errors = UnexpectedErrors(lambda: window)
    try:
        for _ in range(2):  # the second, while the first dialog would still be open, is only logged
            try:
                window.detail.show_incident(None, [], store.tz)  # type: ignore[arg-type]  # a bug in a slot
            except Exception as error:  # noqa: BLE001 (what the excepthook receives)
                errors.handle(type(error), error, error.__traceback__)
        qtbot.waitUntil(lambda: len(shown) == 1)
        qtbot.waitUntil(lambda: not errors.signalsBlocked() and errors._showing is False)
    finally:
        stop_log()
    title, text = shown[0]
    assert title == TITLE
    assert text.startswith("This failed: AttributeError: ") and "(in detail_pane." in text
    assert "Nothing was lost" in text and "kept as a draft" in text
    assert str(data_dir / "logs" / LOG_NAME) in text
    logged = log_text(data_dir)
    assert logged.count("unexpected error in the window") == 2
    assert "Traceback (most recent call last)" in logged
    window.refresh()  # still usable
    assert window.isVisible() and window.count_label.text() == "0 incidents"


MARKER = "MARKER-4f2a-said-by-hart"


def test_a_refused_csv_cell_is_logged_by_line_and_column_never_by_its_value(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The log is not encrypted: what a person typed or a file held stays out of it (issue 17)."""
    store = open_store(data_dir)
    set_local_profile(store.conn, add_monitor(store.conn, "Amelia Hart", "HART", "monitor"))
    store.close()
    assert main(["demo", "--incidents", "2"]) == 0
    exported = tmp_path / "out.csv"
    assert main(["export-csv", str(exported)]) == 0
    header, first, *rest = exported.read_text(encoding="utf-8").splitlines()
    column = header.split(",").index("observed_start")
    cells = first.split(",")
    cells[column] = f"{MARKER} 48.412345"
    tampered = tmp_path / "tampered.csv"
    tampered.write_text("\n".join([header, ",".join(cells), *rest]) + "\n", encoding="utf-8")
    assert main(["import-csv", str(tampered)]) == 2
    said = capsys.readouterr().err
    assert MARKER in said  # the person at the terminal is told which value was refused
    text = log_text(data_dir)
    assert "refused CSV import: tampered.csv: nothing was imported: line 2, column observed_start" in text
    assert MARKER not in text and "48.412345" not in text


def test_errors_and_tracebacks_in_the_log_carry_no_record_values(data_dir: Path) -> None:
    from db.core.errors import FieldProblem, ValidationError

    path = start_log(data_dir / "logs")
    refused = ValidationError([FieldProblem("narrative", f"'{MARKER}' is too long"), FieldProblem("observer_lat", "x")])
    try:
        logging.getLogger("desktop.form").warning("save refused: %s", refused)
        try:
            try:
                raise refused
            except ValidationError as error:
                raise ValueError(f"a bug quoting a narrative: {MARKER} " + "x" * 5000) from error
        except ValueError:
            logging.getLogger("desktop.window").exception("unexpected error in the window")
    finally:
        stop_log()
    text = path.read_text(encoding="utf-8")
    assert "save refused: refused field(s): narrative, observer_lat (the values and reasons are not logged)" in text
    assert "The above exception was the direct cause of the following exception:" in text
    assert "Traceback (most recent call last):" in text and "test_activity_log.py" in text
    assert "db.core.errors.ValidationError: refused field(s): narrative, observer_lat" in text
    assert f"ValueError: a bug quoting a narrative: {MARKER} xxx" in text  # a bug's message: cut, not dropped
    assert text.count(MARKER) == 1 and "x" * 300 not in text
