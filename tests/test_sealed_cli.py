"""Sealed bundles from the command line: headquarters makes the key, laptops seal, the supervisor imports.

The sealing key's passphrase comes from the terminal or from ``--seal-passphrase-fd``, never from an argument.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.exchange import seal_keys
from db.exchange.seal_keys import KEY_FILE, PUBLIC_FILE
from db.exchange.sealed import NOT_FOR_US, is_sealed
from desktop.cli.main import main

PASSPHRASE = "four quiet words here"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key file records its cost; tests make cheap keys, the unlocking code is the same."""
    monkeypatch.setattr(seal_keys, "SCRYPT_LOG_N", 10)


@pytest.fixture
def passphrase_fd() -> Iterator[list[int]]:
    """Makes a readable descriptor holding a line (a pipe), closed at the end."""
    opened: list[int] = []
    yield opened
    for fd in opened:
        os.close(fd)


def _fd(opened: list[int], text: str) -> str:
    read, write = os.pipe()
    os.write(write, text.encode() + b"\n")
    os.close(write)
    opened.append(read)
    return str(read)


def _fingerprint(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("Fingerprint: ")]
    return line.removeprefix("Fingerprint: ")


def _received(out: str) -> int:
    """Versions an import took in: added, plus kept apart (the demo's decisions, until a roster names their author)."""
    found = re.search(r"(\d+) added, \d+ already here(?:, (\d+) kept apart)?", out)
    assert found is not None, out
    return int(found[1]) + int(found[2] or 0)


def test_from_headquarters_to_the_supervisor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], passphrase_fd: list[int]
) -> None:
    hq = tmp_path / "hq"
    new_key = _fd(passphrase_fd, f"{PASSPHRASE}\n{PASSPHRASE}")  # a new passphrase: given twice, as on a terminal
    assert main(["mission", "seal-key", "create", str(hq), "--seal-passphrase-fd", new_key]) == 0
    created = _fingerprint(capsys.readouterr().out)
    assert not (tmp_path / "data" / "truceline.db").exists()  # create never opens a data directory
    monitor, colleague, sup = (str(tmp_path / name) for name in ("monitor", "colleague", "sup"))
    assert main(["--data-dir", monitor, "demo", "--incidents", "20"]) == 0
    assert main(["--data-dir", monitor, "mission", "seal-key", "trust", str(hq / PUBLIC_FILE)]) == 0
    assert _fingerprint(capsys.readouterr().out) == created
    bundle = tmp_path / "usb" / "monitor.zip"
    assert main(["--data-dir", monitor, "bundle", "export", "--all", str(bundle)]) == 0
    assert "sealed for the mission" in capsys.readouterr().out and is_sealed(bundle)

    assert main(["--data-dir", colleague, "bundle", "import", str(bundle)]) == 2
    err = capsys.readouterr().err
    assert f"{bundle}: {NOT_FOR_US}" in err and "Traceback" not in err
    # The key file on headquarters' stick opens it there too, for this import only.
    with_key = ["--data-dir", colleague, "bundle", "import", str(bundle), "--seal-key", str(hq / KEY_FILE)]
    assert main([*with_key, "--seal-passphrase-fd", _fd(passphrase_fd, PASSPHRASE)]) == 0
    assert _received(capsys.readouterr().out) == 20
    assert not (tmp_path / "colleague" / KEY_FILE).exists()

    hold = ["--data-dir", sup, "mission", "seal-key", "hold", str(hq / KEY_FILE)]
    assert main([*hold, "--seal-passphrase-fd", _fd(passphrase_fd, "a wrong passphrase")]) == 2
    assert "the passphrase does not unlock" in capsys.readouterr().err
    assert not (tmp_path / "sup" / KEY_FILE).exists()
    assert main([*hold, "--seal-passphrase-fd", _fd(passphrase_fd, PASSPHRASE)]) == 0
    assert _fingerprint(capsys.readouterr().out) == created
    assert (tmp_path / "sup" / KEY_FILE).read_bytes() == (hq / KEY_FILE).read_bytes()  # still encrypted

    importing = ["--data-dir", sup, "bundle", "import", str(bundle)]
    assert main(importing) == 2  # no terminal and no descriptor: asks for one, imports nothing
    assert "give it with --seal-passphrase-fd" in capsys.readouterr().err
    assert main([*importing, "--seal-passphrase-fd", _fd(passphrase_fd, "a wrong passphrase")]) == 2
    assert "nothing was imported" in capsys.readouterr().err
    assert main([*importing, "--seal-passphrase-fd", _fd(passphrase_fd, PASSPHRASE)]) == 0
    assert _received(capsys.readouterr().out) == 20
    assert main(["--data-dir", sup, "mission", "seal-key", "show"]) == 0
    shown = capsys.readouterr().out
    assert created in shown and "holds the mission's private sealing key" in shown


def test_the_passphrase_is_asked_on_the_terminal_twice_for_a_new_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([PASSPHRASE, "not the same one"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert main(["mission", "seal-key", "create", str(tmp_path / "hq")]) == 2
    assert "the two entries differ" in capsys.readouterr().err
    assert not (tmp_path / "hq").exists()
    answers = iter(["short", "short"])
    assert main(["mission", "seal-key", "create", str(tmp_path / "hq")]) == 2
    assert "too short" in capsys.readouterr().err
    answers = iter([PASSPHRASE, PASSPHRASE])
    assert main(["mission", "seal-key", "create", str(tmp_path / "hq")]) == 0
    assert "cannot be recovered" in capsys.readouterr().err


def test_a_laptop_without_a_key_exports_plain_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "plain")
    assert main(["--data-dir", data, "demo", "--incidents", "5"]) == 0
    assert main(["--data-dir", data, "mission", "seal-key", "show"]) == 0
    assert "bundles are written unsealed" in capsys.readouterr().out
    assert main(["--data-dir", data, "bundle", "export", "--all", str(tmp_path / "plain.zip")]) == 0
    assert "sealed" not in capsys.readouterr().out and not is_sealed(tmp_path / "plain.zip")
