"""Encrypting a plain data directory from the window (File → Encrypt this laptop's records…), as a user meets it:
the offer, the passphrase refused with the field named, the conversion between two windows, the window
opened again encrypted with the same records and draft, and the refusals and failures that change nothing."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from support import laptop_with_backup
from test_window import open_form, type_into

import db.storage.conversion as conversion
import desktop.window.app as app_module
import desktop.window.encrypt_dialog as encrypt_module
from db.core.identity import APP_NAME, VERSION
from db.records.monitors import Monitor, add_monitor, local_profile, set_local_profile
from db.storage import cipher
from db.storage.conversion import is_plain_database
from db.storage.drafts import load_drafts
from db.storage.store import Store, open_store
from desktop.form.incident_form import IncidentForm
from desktop.window.encrypt_dialog import IN_USE, ConversionDialog, EncryptDialog, EncryptionRequest
from desktop.window.main_window import MainWindow
from desktop.window.passphrase_dialog import UnlockDialog

FAST = cipher.KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
PASSPHRASE = "olive tractor under moonlight"
ENCRYPT = "Encrypt t&his laptop's records…"
HOLD = (
    "import sys\nfrom pathlib import Path\nfrom db.storage.usage_lock import using_data_dir\n"
    "with using_data_dir(Path(sys.argv[1])):\n    print('held', flush=True)\n    sys.stdin.read()\n"
)


@pytest.fixture(autouse=True)
def cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(encrypt_module, "KDF", FAST)
    yield
    cipher._unlocked.clear()


@pytest.fixture
def laptop(data_dir: Path) -> Iterator[Store]:
    """A plain laptop of three incidents and a backup, signed in, as every directory before encryption was."""
    laptop_with_backup(data_dir)
    store = open_store(data_dir)
    (row,) = store.conn.execute("SELECT monitor_id, name, callsign, role FROM monitors").fetchall()
    set_local_profile(store.conn, Monitor(*row))
    yield store
    store.close()


def make_window(qtbot, store: Store, tmp_path: Path, active: bool = True) -> MainWindow:  # type: ignore[no-untyped-def]
    profile = local_profile(store.conn)
    if profile is None:
        profile = add_monitor(store.conn, "Amelia Hart", "HART", "monitor")
        set_local_profile(store.conn, profile)
    window = MainWindow(store, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat), profile)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    if active:  # for the keyboard (a window offering a draft hands it to the form instead)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def file_menu(window: MainWindow) -> list[str]:
    return [a.text() for a in window.menuBar().actions()[0].menu().actions() if not a.isSeparator()]


def answer_with(monkeypatch: pytest.MonkeyPatch, *tries: tuple[str, str]) -> list[str]:
    """Let the encryption dialog be typed into (each try in turn, then Cancel); returns what it said."""
    said: list[str] = []

    def typed(dialog: EncryptDialog) -> int:
        for first, second in tries:
            dialog.fields.first.setText(first)
            dialog.fields.second.setText(second)
            dialog.encrypt_button.click()
            said.append(dialog.fields.problem.text())
            if dialog.result():
                return 1
        dialog.reject()
        return 0

    monkeypatch.setattr(EncryptDialog, "exec", typed)
    return said


def converted(qtbot, data_dir: Path, request: EncryptionRequest) -> ConversionDialog:  # type: ignore[no-untyped-def]
    dialog = ConversionDialog(data_dir, request)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.finished, timeout=60_000):
        dialog.start()
    return dialog


def reopened(monkeypatch: pytest.MonkeyPatch) -> Store:
    """The application's next turn: the same directory opened again, with no passphrase asked."""
    monkeypatch.setattr(UnlockDialog, "exec", lambda _dialog: pytest.fail("the passphrase was asked again"))
    store = app_module.open_or_recover()
    assert store is not None
    return store


def incident_ids(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT incident_id FROM incidents ORDER BY incident_id")]


def test_the_file_menu_offers_encryption_only_for_a_plain_directory(  # type: ignore[no-untyped-def]
    qtbot, laptop: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = make_window(qtbot, laptop, tmp_path)
    assert ENCRYPT in file_menu(plain) and "Change &passphrase…" not in file_menu(plain)
    plain.close()
    other = tmp_path / "encrypted"
    monkeypatch.delenv(cipher.ENV_PLAIN, raising=False)
    cipher.create_key(other, PASSPHRASE, FAST)
    encrypted = open_store(other)
    try:
        window = make_window(qtbot, encrypted, tmp_path)
        assert ENCRYPT not in file_menu(window)
        assert {"Change &passphrase…", "E&mergency erase…", "Loc&k"} <= set(file_menu(window))
        window.close()
    finally:
        encrypted.close()


def test_a_short_or_unrepeated_passphrase_is_refused_by_field_and_nothing_changes(  # type: ignore[no-untyped-def]
    qtbot, laptop: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(qtbot, laptop, tmp_path)
    said = answer_with(monkeypatch, ("short", "short"), (PASSPHRASE, PASSPHRASE + "!"), ("", ""))
    window.encrypt_action.trigger()
    assert said[0].startswith("Passphrase: ") and "too short" in said[0]
    assert said[1].startswith("Repeat: ") and "the two entries differ" in said[1]
    assert said[2].startswith("Passphrase: ") and "empty" in said[2]
    assert window.isVisible() and window.encryption is None
    assert not cipher.is_encrypted(laptop.data_dir) and is_plain_database(laptop.data_dir / "truceline.db")
    assert sorted(p.name for p in laptop.data_dir.iterdir() if "encrypting" in p.name or "pending" in p.name) == []


def test_encrypting_closes_the_window_and_reopens_the_same_records_encrypted_with_the_draft(  # type: ignore[no-untyped-def]
    qtbot, laptop: Store, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(qtbot, laptop, tmp_path)
    before = incident_ids(laptop)
    assert window.count_label.text() == "3 incidents"
    assert window.windowTitle().endswith("plain – not encrypted")
    form = open_form(qtbot, window)
    type_into(qtbot, form, "narrative", "shelling seen from the water tower")
    answer_with(monkeypatch, (PASSPHRASE, PASSPHRASE))
    window.encrypt_action.trigger()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert not form.isVisible()
    request = window.encryption
    assert request is not None and PASSPHRASE not in repr(request)
    laptop.close()  # as run_main_window does once the window closed

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: shown.append(text))
    app_module.encrypt_between_windows(data_dir, request)
    assert shown and "records are encrypted" in shown[0] and "passphrase at every start" in shown[0]
    assert not is_plain_database(data_dir / "truceline.db")
    assert not any(is_plain_database(p) for p in (data_dir / "backups").iterdir())
    (draft_file,) = (data_dir / "drafts").iterdir()
    assert b"water tower" not in draft_file.read_bytes()

    store = reopened(monkeypatch)
    try:
        assert store.encrypted and incident_ids(store) == before
        offered: list[str] = []

        def restore(_parent, _title, text, *_args):  # type: ignore[no-untyped-def]
            offered.append(text)
            return QMessageBox.StandardButton.Yes

        monkeypatch.setattr(QMessageBox, "question", restore)
        again = make_window(qtbot, store, tmp_path, active=False)
        assert again.windowTitle() == f"{APP_NAME} {VERSION}"
        assert {"Change &passphrase…", "E&mergency erase…", "Loc&k"} <= set(file_menu(again))
        assert ENCRYPT not in file_menu(again)
        assert again.count_label.text() == "3 incidents"
        assert {again.model.record_at(r).incident_id for r in range(again.model.rowCount())} == set(before)
        qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), IncidentForm))
        restored = QApplication.activeModalWidget()
        assert isinstance(restored, IncidentForm) and offered
        assert restored.field_widget("narrative").toPlainText() == "shelling seen from the water tower"
        assert load_drafts(data_dir / "drafts")[0].fields["narrative"] == "shelling seen from the water tower"
        restored.done(0)
        again.close()
    finally:
        store.close()


def assert_still_plain(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing changed: the plain database, no half copy, and the window opens the same 3 incidents."""
    assert not cipher.is_encrypted(data_dir) and is_plain_database(data_dir / "truceline.db")
    assert not [p for p in data_dir.iterdir() if "encrypting" in p.name or "pending" in p.name]
    store = reopened(monkeypatch)
    try:
        assert not store.encrypted and len(incident_ids(store)) == 3
    finally:
        store.close()


def test_another_process_using_the_records_makes_it_refuse_in_one_sentence(  # type: ignore[no-untyped-def]
    qtbot, laptop: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    laptop.close()
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as other:
        assert other.stdout is not None and other.stdout.readline().strip() == "held"
        dialog = converted(qtbot, data_dir, EncryptionRequest(PASSPHRASE, FAST))
        assert other.stdin is not None
        other.stdin.close()
        other.wait()
    assert dialog.result_ is None and dialog.outcome() == IN_USE
    assert IN_USE.startswith("Nothing was changed: another program is using this laptop's records")
    assert_still_plain(data_dir, monkeypatch)


def test_a_full_disk_before_the_switch_leaves_the_plain_records_usable_and_says_so(  # type: ignore[no-untyped-def]
    qtbot, laptop: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    laptop.close()

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(conversion, "_verify_copy", full)
    dialog = converted(qtbot, data_dir, EncryptionRequest(PASSPHRASE, FAST))
    text = dialog.outcome()
    assert "were not encrypted" in text and "No space left on device" in text and "as they were, plain" in text
    assert_still_plain(data_dir, monkeypatch)


def test_a_conversion_cut_after_the_switch_is_finished_at_the_next_start(  # type: ignore[no-untyped-def]
    qtbot, laptop: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = incident_ids(laptop)
    laptop.close()
    finish = conversion.finish_conversion

    def killed(*_args: object) -> None:
        raise OSError(5, "Input/output error")  # as if the power went right after the switch

    monkeypatch.setattr(conversion, "finish_conversion", killed)
    dialog = converted(qtbot, data_dir, EncryptionRequest(PASSPHRASE, FAST))
    assert "encrypted, but the last steps did not finish" in dialog.outcome()
    assert is_plain_database(data_dir / "backups" / next((data_dir / "backups").iterdir()).name)
    monkeypatch.setattr(conversion, "finish_conversion", finish)
    cipher.forget(data_dir)  # the next start is another process: the passphrase is asked once

    def unlock(dialog: UnlockDialog) -> int:
        dialog.prompt.field.setText(PASSPHRASE)
        return 1 if dialog.prompt.opens() else 0

    monkeypatch.setattr(UnlockDialog, "exec", unlock)
    store = app_module.open_or_recover()
    assert store is not None
    try:
        assert store.encrypted and incident_ids(store) == before
        assert not is_plain_database(data_dir / "truceline.db")
        assert not any(is_plain_database(p) for p in (data_dir / "backups").iterdir())
        assert not [p for p in data_dir.iterdir() if "encrypting" in p.name or "pending" in p.name]
    finally:
        store.close()


def test_the_application_loop_hands_the_request_on_without_a_backup_at_closing(  # type: ignore[no-untyped-def]
    qtbot, qapp, laptop: Store, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backups = sorted((data_dir / "backups").iterdir())
    request = EncryptionRequest(PASSPHRASE, FAST)

    def ask() -> None:
        (window,) = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        window.close_to_encrypt(request)

    QTimer.singleShot(0, ask)
    code, after = app_module.run_main_window(qapp, laptop)
    assert (code, after) == (0, request)
    assert laptop.closed and sorted((data_dir / "backups").iterdir()) == backups
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)], "the old window is gone"


def test_the_dialog_works_from_the_keyboard_and_says_what_happens(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = EncryptDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    text = dialog.findChildren(QLabel)[0].text()
    for said in ("backups", "drafts", "signing key", "cannot be recovered", "few minutes", "training data"):
        assert said in text, said
    qtbot.waitUntil(dialog.fields.first.hasFocus)
    qtbot.keyClicks(dialog.fields.first, PASSPHRASE)
    assert dialog.fields.strength.text() == "Strength: strong"
    qtbot.keyClick(dialog.fields.first, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.fields.second, PASSPHRASE)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.fields.second, Qt.Key.Key_Return)
    assert dialog.request is not None and dialog.request.passphrase == PASSPHRASE
