"""Locking the window (Ctrl+L, idle time) and the passphrase dialogs at start."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel
from test_window import open_form, type_into

from db.core.identity import APP_NAME, VERSION
from db.records.monitors import Monitor, add_monitor, set_local_profile
from db.storage import cipher
from db.storage.drafts import load_drafts
from db.storage.store import Store, open_store
from desktop.window.main_window import MainWindow
from desktop.window.passphrase_dialog import NewPassphraseDialog, UnlockDialog
from desktop.window.screen_lock import SETTING_IDLE_MINUTES

FAST = cipher.KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
PASSPHRASE = "olive tractor under moonlight"


@pytest.fixture
def encrypted(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.delenv(cipher.ENV_PLAIN, raising=False)
    cipher.create_key(data_dir, PASSPHRASE, FAST)
    store = open_store(data_dir)
    yield store
    store.close()
    cipher._unlocked.clear()


@pytest.fixture
def person(encrypted: Store) -> Monitor:
    monitor = add_monitor(encrypted.conn, "Amelia Hart", "HART", "monitor")
    set_local_profile(encrypted.conn, monitor)
    return monitor


def make_window(qtbot, store: Store, person: Monitor, tmp_path: Path, idle: int = 10) -> MainWindow:  # type: ignore[no-untyped-def]
    settings = QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat)
    settings.setValue(SETTING_IDLE_MINUTES, idle)
    win = MainWindow(store, settings, person)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    win.screen_lock.panel.prompt.throttle.first = 0.05  # the waits themselves are tested in test_encryption
    return win


def test_an_encrypted_window_says_nothing_of_plain(qtbot, encrypted: Store, person: Monitor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, encrypted, person, tmp_path)
    assert window.windowTitle() == f"{APP_NAME} {VERSION}"
    texts = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert {"Loc&k", "Change &passphrase…", "E&mergency erase…"} <= set(texts)


def test_ctrl_l_hides_every_record_and_the_form_until_the_passphrase(  # type: ignore[no-untyped-def]
    qtbot, encrypted: Store, person: Monitor, tmp_path: Path
) -> None:
    window = make_window(qtbot, encrypted, person, tmp_path)
    form = open_form(qtbot, window)
    type_into(qtbot, form, "narrative", "typed before the checkpoint")
    qtbot.keyClick(form, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.screen_lock.locked)
    assert not form.isVisible() and not window.tabs.isVisible() and not window.filter_bar.isVisible()
    assert window.screen_lock.panel.isVisible()
    assert not window.new_action.isEnabled() and not window.export_csv_action.isEnabled()
    assert load_drafts(encrypted.data_dir / "drafts"), "the typed form is kept as a draft"

    prompt = window.screen_lock.panel.prompt
    qtbot.keyClicks(prompt.field, "olive tractor under sunlight")
    qtbot.keyClick(prompt.field, Qt.Key.Key_Return)
    assert "passphrase is wrong; nothing was opened or changed" in prompt.message.text()
    assert window.screen_lock.locked and not prompt.field.isEnabled()
    qtbot.waitUntil(prompt.field.isEnabled)
    qtbot.keyClicks(prompt.field, PASSPHRASE)
    qtbot.keyClick(prompt.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.screen_lock.locked)
    assert window.tabs.isVisible() and window.new_action.isEnabled()
    qtbot.waitUntil(form.isVisible)
    assert "typed before the checkpoint" in form.field_widget("narrative").toPlainText()


def test_the_window_locks_itself_when_idle(qtbot, encrypted: Store, person: Monitor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(qtbot, encrypted, person, tmp_path, idle=10)
    assert window.screen_lock.idle.isActive() and window.screen_lock.idle.interval() == 10 * 60_000
    with qtbot.waitSignal(window.screen_lock.lockedChanged, timeout=5000):
        window.screen_lock.idle.setInterval(1)  # ten minutes, shortened
        window.screen_lock.idle.start()
    assert window.screen_lock.locked and not window.tabs.isVisible()


def test_the_first_start_asks_a_repeated_passphrase(qtbot, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(cipher.ENV_PLAIN, raising=False)
    dialog = NewPassphraseDialog(data_dir)
    qtbot.addWidget(dialog)
    assert "cannot be recovered" in dialog.findChildren(type(dialog.strength))[0].text()
    qtbot.keyClicks(dialog.first, "short")
    assert "too short" in dialog.strength.text()
    dialog.accept()
    assert "too short" in dialog.problem.text() and not cipher.is_encrypted(data_dir)
    dialog.first.setText(PASSPHRASE)
    dialog.second.setText(PASSPHRASE + "x")
    dialog.accept()
    assert "the two entries differ" in dialog.problem.text() and not cipher.is_encrypted(data_dir)
    dialog.second.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.accepted):
        dialog.accept()
    assert cipher.is_encrypted(data_dir) and cipher.is_unlocked(data_dir)
    cipher._unlocked.clear()


def test_later_starts_unlock_and_a_wrong_passphrase_waits(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    cipher.create_key(data_dir, PASSPHRASE, FAST)
    cipher.forget(data_dir)
    dialog = UnlockDialog(data_dir)
    qtbot.addWidget(dialog)
    dialog.prompt.throttle.first = 0.05
    dialog.prompt.field.setText("wrong words entirely")
    dialog.prompt.button.click()
    assert "passphrase is wrong" in dialog.prompt.message.text() and not cipher.is_unlocked(data_dir)
    qtbot.waitUntil(dialog.prompt.field.isEnabled)
    dialog.prompt.field.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.accepted):
        dialog.prompt.button.click()
    assert cipher.is_unlocked(data_dir)
    cipher._unlocked.clear()


def test_the_emergency_erase_needs_the_word_and_closes_the_window(  # type: ignore[no-untyped-def]
    qtbot, encrypted: Store, person: Monitor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.window.key_dialogs import EraseDialog

    window = make_window(qtbot, encrypted, person, tmp_path)
    dialog = EraseDialog(encrypted.data_dir, window)
    qtbot.addWidget(dialog)
    assert "not yet exported in a bundle" in dialog.findChildren(QLabel)[0].text()
    qtbot.keyClicks(dialog.word, "erase")
    assert not dialog.erase_button.isEnabled()
    dialog.accept()
    assert cipher.is_unlocked(encrypted.data_dir) and (encrypted.data_dir / "key.json").exists()
    dialog.word.setText(cipher.ERASE_WORD)
    with qtbot.waitSignal(dialog.accepted):
        dialog.erase_button.click()
    assert not (encrypted.data_dir / "key.json").exists() and cipher.is_erased(encrypted.data_dir)
    window._erased()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert window.erased


def test_changing_the_passphrase_in_the_window(qtbot, encrypted: Store, person: Monitor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from desktop.window.key_dialogs import ChangePassphraseDialog

    dialog = ChangePassphraseDialog(encrypted.data_dir)
    qtbot.addWidget(dialog)
    dialog.current.setText("not the passphrase")
    dialog.first.setText("a brand new passphrase")
    dialog.second.setText("a brand new passphrase")
    dialog.accept()
    assert "current passphrase is wrong; nothing was changed" in dialog.problem.text()
    dialog.current.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.accepted):
        dialog.accept()
    cipher.forget(encrypted.data_dir)
    cipher.unlock(encrypted.data_dir, "a brand new passphrase")


def test_an_encrypted_file_menu_underlines_each_letter_once(
    qtbot, encrypted: Store, person: Monitor, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from test_mnemonics import letter

    window = make_window(qtbot, encrypted, person, tmp_path)
    texts = [a.text() for a in window.menuBar().actions()[0].menu().actions() if not a.isSeparator()]
    letters = [letter(t) for t in texts]
    assert len(set(letters)) == len(letters) and None not in letters, texts
