"""Converting a plain data directory to an encrypted one: everything encrypted, verified, and a SIGKILL at
any moment loses nothing (either the plain directory as it was, or the encrypted one, complete)."""

import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import laptop_with_backup

import db.storage.conversion as conversion
from db.core.errors import DatabaseError, InUseError
from db.storage import cipher
from db.storage.conversion import Step, encrypt_directory, is_plain_database
from db.storage.drafts import Draft, load_drafts, save_draft
from db.storage.integrity import check_database
from db.storage.projection import kept_incident_count
from db.storage.store import open_store
from db.storage.usage_lock import using_data_dir

FAST = cipher.KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
PASSPHRASE = "olive tractor under moonlight"
HELPER = Path(__file__).parent / "helpers" / "encrypt_directory.py"


@pytest.fixture(autouse=True)
def forget_keys() -> Iterator[None]:
    yield
    cipher._unlocked.clear()


def plain_laptop(data_dir: Path) -> tuple[str, list[str]]:
    device, ids = laptop_with_backup(data_dir)
    save_draft(data_dir / "drafts", Draft("d1", None, None, {"narrative": "half typed"}, "2026-05-01"))
    return device, ids


def contents(data_dir: Path) -> tuple[str, list[str], bool]:
    store = open_store(data_dir)
    try:
        ids = [r[0] for r in store.conn.execute("SELECT incident_id FROM incidents ORDER BY incident_id")]
        return store.device.device_id, ids, check_database(store.conn, store.calendar).ok
    finally:
        store.close()


def test_a_plain_directory_is_encrypted_whole_and_keeps_every_record(data_dir: Path) -> None:
    device, ids = plain_laptop(data_dir)
    result = encrypt_directory(data_dir, PASSPHRASE, FAST)
    assert (result.backups, result.drafts, result.left_plain) == (1, 1, ())
    assert not is_plain_database(data_dir / "truceline.db")
    assert not any(is_plain_database(p) for p in (data_dir / "backups").iterdir())
    assert b"ENCRYPTED PRIVATE KEY" in (data_dir / "device_key.pem").read_bytes()
    assert b"half typed" not in next((data_dir / "drafts").iterdir()).read_bytes()
    cipher.forget(data_dir)
    cipher.unlock(data_dir, PASSPHRASE)
    assert contents(data_dir) == (device, sorted(ids), True)
    store = open_store(data_dir)
    try:  # sqlcipher_export copies the rows before it makes the triggers: the kept count is not doubled
        assert kept_incident_count(store.conn) == len(ids)
    finally:
        store.close()
    assert load_drafts(data_dir / "drafts")[0].fields == {"narrative": "half typed"}


def test_encrypting_twice_or_nothing_is_refused_and_changes_nothing(data_dir: Path) -> None:
    with pytest.raises(DatabaseError, match="no database to encrypt"):
        encrypt_directory(data_dir, PASSPHRASE, FAST)
    plain_laptop(data_dir)
    with pytest.raises(DatabaseError, match="passphrase: the passphrase is too short"):
        encrypt_directory(data_dir, "short", FAST)
    assert not cipher.is_encrypted(data_dir)
    encrypt_directory(data_dir, PASSPHRASE, FAST)
    with pytest.raises(DatabaseError, match="already encrypted"):
        encrypt_directory(data_dir, PASSPHRASE, FAST)


def test_a_conversion_killed_at_any_moment_loses_nothing(data_dir: Path, tmp_path: Path) -> None:
    device, ids = plain_laptop(data_dir)
    original = tmp_path / "original"
    shutil.copytree(data_dir, original)
    rng = random.Random(17)
    outcomes = set()
    for delay in [0.0, *(rng.uniform(0.05, 1.5) for _ in range(5)), None]:
        shutil.rmtree(data_dir)
        shutil.copytree(original, data_dir)
        cipher.forget(data_dir)
        with subprocess.Popen(
            [sys.executable, str(HELPER), str(data_dir), PASSPHRASE], stdout=subprocess.PIPE, text=True
        ) as proc:
            if delay is None:
                assert proc.stdout is not None and proc.stdout.readline().strip() == "converted"
            else:
                time.sleep(delay)  # the point of the test is to kill it at an arbitrary moment
                proc.send_signal(signal.SIGKILL)
            proc.wait()
        if cipher.is_encrypted(data_dir):
            cipher.unlock(data_dir, PASSPHRASE)
            outcomes.add("encrypted")
        else:
            outcomes.add("plain")
        assert contents(data_dir) == (device, sorted(ids), True), f"killed after {delay} s"
        assert len(load_drafts(data_dir / "drafts")) == 1
    assert "encrypted" in outcomes


def test_each_step_is_reported_and_a_refusal_or_failure_before_the_switch_leaves_no_half_copy(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain_laptop(data_dir)
    with using_data_dir(data_dir):  # another Truceline has the directory open
        with pytest.raises(InUseError, match="another Truceline"):
            encrypt_directory(data_dir, PASSPHRASE, FAST)

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(conversion, "_verify_copy", full)
        with pytest.raises(OSError, match="No space left"):
            encrypt_directory(data_dir, PASSPHRASE, FAST)
    assert not cipher.is_encrypted(data_dir) and is_plain_database(data_dir / "truceline.db")
    assert sorted(p.name for p in data_dir.iterdir() if p.name.startswith((".key", "truceline.db."))) == []
    steps: list[Step] = []
    encrypt_directory(data_dir, PASSPHRASE, FAST, steps.append)
    assert [s.done for s in steps] == list(range(len(steps))) and all(s.total == len(steps) for s in steps)
    assert [s.what for s in steps][2:4] == [
        "checking the encrypted copy as 'truceline check' does",
        "switching to the encrypted database",
    ]
    assert steps[-1].what == "encrypting the drafts and the device key"
