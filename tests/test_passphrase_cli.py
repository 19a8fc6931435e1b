"""Secrets on the command line: one reader, one option per secret, and clear refusals naming the option.

``--passphrase-fd`` carries the data directory's passphrase and ``--seal-passphrase-fd`` the mission
sealing key's; a script that needs both gives two descriptors.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.core.errors import TrucelineError
from db.exchange import seal_keys
from db.exchange.seal_keys import KEY_FILE
from db.storage import cipher
from desktop.cli.main import main
from desktop.cli.passphrase import Passphrases

FAST = cipher.KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
DATA_PASSPHRASE = "olive tractor under moonlight"
SEAL_PASSPHRASE = "four quiet words here"


@pytest.fixture(autouse=True)
def encrypted_and_cheap(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(cipher.ENV_PLAIN, raising=False)
    monkeypatch.setattr(seal_keys, "SCRYPT_LOG_N", 10)
    monkeypatch.setattr("desktop.cli.passphrase.throttle_first_s", 0)
    yield
    cipher._unlocked.clear()


@pytest.fixture
def pipes() -> Iterator[list[int]]:
    opened: list[int] = []
    yield opened
    for fd in opened:
        os.close(fd)


def _pipe(opened: list[int], data: bytes, *, keep_writer: bool = False) -> int:
    read, write = os.pipe()
    os.write(write, data)
    opened.append(read)
    if keep_writer:
        opened.append(write)  # a password manager that keeps its end open
    else:
        os.close(write)
    return read


def test_a_line_is_read_when_asked_even_if_the_writer_keeps_the_pipe_open(pipes: list[int]) -> None:
    source = Passphrases(_pipe(pipes, b"first one here\r\nsecond one here\n", keep_writer=True))
    assert source.ask("?") == "first one here"
    assert source.ask("?") == "second one here"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "--seal-passphrase-fd: it holds no (further) passphrase line"),
        (b"x" * 2000 + b"\n", "--seal-passphrase-fd: a passphrase line is longer than 1024 bytes"),
        (b"\xff\xfe not text\n", "--seal-passphrase-fd: the passphrase line is not UTF-8 text"),
    ],
)
def test_a_bad_descriptor_line_is_refused_naming_the_option(pipes: list[int], data: bytes, expected: str) -> None:
    with pytest.raises(TrucelineError) as raised:
        Passphrases(_pipe(pipes, data), "--seal-passphrase-fd").ask("?")
    assert str(raised.value) == expected


def test_a_descriptor_that_is_not_open_is_refused_naming_the_option() -> None:
    read, write = os.pipe()
    os.close(read)
    os.close(write)
    with pytest.raises(TrucelineError, match=rf"^--passphrase-fd {read}: cannot read it: Bad file descriptor"):
        Passphrases(read)


def test_two_secrets_come_from_two_descriptors(
    tmp_path: Path, pipes: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    """A supervisor's encrypted laptop takes the mission's sealing key: both passphrases, each its own option."""
    hq, sup = tmp_path / "hq", tmp_path / "sup"
    new_seal = _pipe(pipes, f"{SEAL_PASSPHRASE}\n{SEAL_PASSPHRASE}\n".encode())
    assert main(["mission", "seal-key", "create", str(hq), "--seal-passphrase-fd", str(new_seal)]) == 0
    sup.mkdir()
    cipher.create_key(sup, DATA_PASSPHRASE, FAST)
    cipher.forget(sup)  # as in a new process
    wrong = _pipe(pipes, b"not the passphrase\n")
    assert main(["--data-dir", str(sup), "--passphrase-fd", str(wrong), "mission", "seal-key", "show"]) == 2
    assert "passphrase" in capsys.readouterr().err and not (sup / "truceline.db").exists()

    data_fd = _pipe(pipes, f"{DATA_PASSPHRASE}\n".encode())
    seal_fd = _pipe(pipes, f"{SEAL_PASSPHRASE}\n".encode())
    hold = ["mission", "seal-key", "hold", str(hq / KEY_FILE), "--seal-passphrase-fd", str(seal_fd)]
    assert main(["--data-dir", str(sup), "--passphrase-fd", str(data_fd), *hold]) == 0
    assert "holds the mission's private sealing key" in capsys.readouterr().out
    assert (sup / KEY_FILE).exists()


def test_a_new_sealing_key_needs_the_same_passphrase_twice_from_a_descriptor(
    tmp_path: Path, pipes: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    once = _pipe(pipes, f"{SEAL_PASSPHRASE}\n".encode())
    assert main(["mission", "seal-key", "create", str(tmp_path / "hq"), "--seal-passphrase-fd", str(once)]) == 2
    assert "--seal-passphrase-fd: it holds no (further) passphrase line" in capsys.readouterr().err
    assert not (tmp_path / "hq").exists()
    short = _pipe(pipes, b"short\nshort\n")
    assert main(["mission", "seal-key", "create", str(tmp_path / "hq"), "--seal-passphrase-fd", str(short)]) == 2
    assert f"at least {cipher.MIN_PASSPHRASE} characters" in capsys.readouterr().err


def test_encrypting_a_directory_in_use_is_refused_before_any_passphrase_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from db.storage.store import open_store
    from db.storage.usage_lock import UsageLock

    data = tmp_path / "plain"
    open_store(data, plain=True).close()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: pytest.fail("asked for a passphrase"))
    window = UsageLock(data)  # the window has this directory open
    try:
        assert main(["--data-dir", str(data), "encrypt"]) == 2
    finally:
        window.release()
    assert "another Truceline (the window or a command) is using this data" in capsys.readouterr().err
    assert not cipher.is_encrypted(data)
