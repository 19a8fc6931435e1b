"""Sealed bundles in the window: File → Mission sealing key…, and the passphrase asked before an import."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from laptops import Laptop
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QMessageBox, QWidget
from support import save

from db.exchange import seal_keys
from db.exchange.seal_keys import KEY_FILE, PUBLIC_FILE, create_seal_key, hold_seal_key, trusted_seal_key
from db.exchange.sealed import NOT_FOR_US, is_sealed
from db.storage.store import Store
from db.storage.versions import Writer
from desktop.files import seal_prompt
from desktop.files.exchange_dialog import ExportDialog, ImportDialog
from desktop.files.exchange_menu import ExchangeMenu

PASSPHRASE = "the river at dawn again"


@pytest.fixture
def hq(tmp_path: Path) -> Path:
    create_seal_key(tmp_path / "hq", PASSPHRASE, log_n=10)
    return tmp_path / "hq"


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Message boxes shown, as (kind, text), instead of blocking."""
    shown: list[tuple[str, str]] = []
    for kind in ("warning", "information", "critical", "question"):
        monkeypatch.setattr(QMessageBox, kind, lambda _p, _t, text, *a, _k=kind: shown.append((_k, text)))
    return shown


@pytest.fixture
def menu(qtbot: Any, store: Store) -> ExchangeMenu:
    window = QWidget()
    qtbot.addWidget(window)
    return ExchangeMenu(window, store, lambda: "SUP", lambda: ZoneInfo("Europe/Kyiv"))


@pytest.fixture
def sealed_bundle(tmp_path: Path, hq: Path) -> Iterator[Path]:
    """A monitor's bundle of two incidents, sealed for the mission."""
    hart = Laptop(tmp_path, "hart")
    seal_keys.trust_seal_key(hart.store.conn, seal_keys.read_seal_public_file(hq / PUBLIC_FILE))
    hart.record(narrative="first")
    hart.record(narrative="second")
    bundle = hart.export()
    hart.close()
    assert is_sealed(bundle)
    yield bundle


def test_the_menu_trusts_the_public_file_and_shows_its_fingerprint(
    menu: ExchangeMenu, store: Store, hq: Path, boxes: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(hq / PUBLIC_FILE), ""))
    menu.seal_action.trigger()
    key = trusted_seal_key(store.conn)
    assert key is not None
    kind, text = boxes.pop()
    shown = seal_keys.fingerprint(key)
    assert kind == "information" and shown in text and "only the mission can read them" in text
    menu.seal_action.trigger()  # again: says which key, changes nothing
    assert boxes.pop() == ("information", f"This laptop already seals its bundles for the mission key\n{shown}")


def test_a_bad_public_file_is_refused_and_nothing_is_trusted(
    menu: ExchangeMenu, store: Store, tmp_path: Path, boxes: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_bytes(b"[" * 10_000)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    assert menu.trust_seal_key() is None
    kind, text = boxes.pop()
    assert kind == "warning" and text.startswith(f"The key was not trusted: {bad}: ")
    assert trusted_seal_key(store.conn) is None


def _import(qtbot: Any, menu: ExchangeMenu, bundle: Path, monkeypatch: pytest.MonkeyPatch) -> ImportDialog | None:
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(bundle)], ""))
    dialog = menu.import_bundles()
    if dialog is not None:
        qtbot.waitUntil(dialog.close_button.isEnabled, timeout=20_000)
        dialog.wait()
    return dialog


def test_the_supervisor_types_the_passphrase_and_the_sealed_bundle_imports(
    qtbot: Any,
    menu: ExchangeMenu,
    store: Store,
    hq: Path,
    sealed_bundle: Path,
    boxes: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hold_seal_key(store.conn, store.data_dir, hq / KEY_FILE, PASSPHRASE)
    answers = iter(["not it", PASSPHRASE])
    prompts: list[str] = []

    def typed(_parent: object, problem: str) -> str:
        prompts.append(problem)
        return next(answers)

    monkeypatch.setattr(seal_prompt, "ask_passphrase", typed)
    dialog = _import(qtbot, menu, sealed_bundle, monkeypatch)
    assert dialog is not None
    assert prompts == ["", "That passphrase does not unlock the mission's sealing key; try again."]
    assert dialog.results.toPlainText().startswith(f"✓ {sealed_bundle.name} from laptop-hart: 2 added")
    assert store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 2
    assert boxes == []


def test_cancelling_the_passphrase_or_three_wrong_ones_import_nothing(
    qtbot: Any,
    menu: ExchangeMenu,
    store: Store,
    hq: Path,
    sealed_bundle: Path,
    boxes: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hold_seal_key(store.conn, store.data_dir, hq / KEY_FILE, PASSPHRASE)
    monkeypatch.setattr(seal_prompt, "ask_passphrase", lambda *a: None)
    assert _import(qtbot, menu, sealed_bundle, monkeypatch) is None
    monkeypatch.setattr(seal_prompt, "ask_passphrase", lambda *a: "wrong again")
    assert _import(qtbot, menu, sealed_bundle, monkeypatch) is None
    assert boxes == [("warning", "The passphrase was wrong three times; nothing was imported.")]
    assert store.conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0] == 0


def test_a_laptop_without_the_mission_key_refuses_the_sealed_bundle_without_asking(
    qtbot: Any, menu: ExchangeMenu, store: Store, sealed_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seal_prompt, "ask_passphrase", lambda *a: pytest.fail("no passphrase to ask for"))
    dialog = _import(qtbot, menu, sealed_bundle, monkeypatch)
    assert dialog is not None
    assert dialog.results.toPlainText() == f"✗ Refused {sealed_bundle.name}: {sealed_bundle}: {NOT_FOR_US}"
    assert store.conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0] == 0


def test_the_export_window_says_the_bundle_is_sealed(
    qtbot: Any, store: Store, writer: Writer, hq: Path, tmp_path: Path
) -> None:
    seal_keys.trust_seal_key(store.conn, seal_keys.read_seal_public_file(hq / PUBLIC_FILE))
    save(store, writer)
    out = tmp_path / "usb" / "sealed.zip"
    dialog = ExportDialog(store, out)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.exportedTo, timeout=20_000):
        dialog.start()
    dialog.wait()
    assert "sealed for the mission" in dialog.status.text() and is_sealed(out)


def test_the_passphrase_dialog_hides_what_is_typed_and_says_why_it_asks_again(qtbot: Any) -> None:
    dialog = seal_prompt.SealPassphraseDialog(None, "That passphrase does not unlock the mission's sealing key.")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.problem.isVisible() and dialog.focusWidget() is dialog.passphrase  # typing goes straight in
    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    assert dialog.passphrase.displayText() != PASSPHRASE
    with qtbot.waitSignal(dialog.accepted):
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.passphrase.text() == PASSPHRASE
