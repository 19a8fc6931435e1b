"""A lost database as the window meets it: the recovery dialog, never a silent new database."""

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from support import laptop_with_backup

import desktop.window.app as app_module
from desktop.window.recovery_dialog import RecoveryDialog


def test_the_window_offers_the_restore_for_a_lost_database_and_starts_empty_only_when_asked(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    laptop_with_backup(data)
    key = (data / "device_key.pem").read_bytes()
    (data / "truceline.db").unlink()
    monkeypatch.setattr("db.storage.paths._override", data)
    problems: list[str] = []

    def start_empty(dialog: RecoveryDialog) -> int:
        assert dialog.restore_button is not None  # the backup is offered first
        dialog.choice = RecoveryDialog.START_EMPTY
        return 1

    original_init = RecoveryDialog.__init__

    def remember(self: RecoveryDialog, problem: str, *args: object, **kwargs: object) -> None:
        problems.append(problem)
        original_init(self, problem, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(RecoveryDialog, "__init__", remember)
    monkeypatch.setattr(RecoveryDialog, "exec", start_empty)
    monkeypatch.setattr(QMessageBox, "information", lambda *_args: None)
    store = app_module.open_or_recover()
    assert store is not None
    try:
        assert store.conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0] == 0
    finally:
        store.close()
    assert "missing or empty" in problems[0] and "truceline restore" in problems[0]
    (retired,) = (data / "damaged").glob("*/retired-device_key.pem")
    assert retired.read_bytes() == key
    monkeypatch.setattr(RecoveryDialog, "exec", lambda dialog: pytest.fail("asked again"))
    store = app_module.open_or_recover()  # the next start: the empty database was chosen
    assert store is not None
    store.close()
