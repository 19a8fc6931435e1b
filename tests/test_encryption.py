"""An encrypted data directory: the key, what is encrypted at rest, wrong passphrases, a change, an erase."""

import hashlib
import json
import os
import shutil
import sqlite3 as stdlib_sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import save

from db.core.errors import DatabaseError, LockedError, WrongPassphraseError
from db.records.monitors import add_monitor, set_local_profile
from db.storage import cipher
from db.storage.backup import list_backups, make_backup
from db.storage.connection import bulk_writes
from db.storage.drafts import Draft, load_drafts, save_draft
from db.storage.recovery import restore_backup
from db.storage.store import Store, open_store

FAST = cipher.KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
PASSPHRASE = "olive tractor under moonlight"
MARKER = "MARKER-7c1e-observed-by-hart"
LATITUDE = "48.412345"


@pytest.fixture(autouse=True)
def encrypted_by_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What a real user gets: new directories are encrypted; keys are forgotten after each test."""
    monkeypatch.delenv(cipher.ENV_PLAIN, raising=False)
    yield
    cipher._unlocked.clear()


def filled(directory: Path) -> Store:
    """An encrypted directory with an incident, a backup and a draft holding the marker."""
    cipher.create_key(directory, PASSPHRASE, FAST)
    store = open_store(directory)
    person = add_monitor(store.conn, "Amelia Hart", "HART", "monitor")
    set_local_profile(store.conn, person)
    save(store, store.writer(person.monitor_id), narrative=f"Shelling seen. {MARKER}", observer_lat=float(LATITUDE))
    make_backup(store.conn, directory / "backups")
    save_draft(directory / "drafts", Draft("d1", None, None, {"narrative": MARKER, "lat": LATITUDE}, "2026-05-01"))
    return store


def incidents(directory: Path) -> int:
    store = open_store(directory)
    try:
        return int(store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0])
    finally:
        store.close()


def files_holding(directory: Path, needle: str) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def snapshot(directory: Path) -> dict[str, str]:
    """Every file's hash, except the log (a refusal is logged on purpose)."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in directory.rglob("*")
        if p.is_file() and "logs" not in p.parts
    }


def test_a_new_data_directory_is_encrypted_and_needs_a_passphrase_first(data_dir: Path) -> None:
    with pytest.raises(LockedError, match="choose a passphrase first"):
        open_store(data_dir)
    assert not (data_dir / "truceline.db").exists()
    cipher.create_key(data_dir, PASSPHRASE, FAST)
    store = open_store(data_dir)
    assert store.encrypted
    store.close()


def test_nothing_readable_is_left_at_rest(data_dir: Path) -> None:
    store = filled(data_dir)
    assert load_drafts(data_dir / "drafts")[0].fields["narrative"] == MARKER  # it reads back with the key
    store.close()
    assert files_holding(data_dir, MARKER) == []
    assert files_holding(data_dir, LATITUDE) == []
    assert b"ENCRYPTED PRIVATE KEY" in (data_dir / "device_key.pem").read_bytes()
    assert PASSPHRASE.encode() not in (data_dir / "key.json").read_bytes()
    for database in (data_dir / "truceline.db", list_backups(data_dir / "backups")[0].path):
        conn = stdlib_sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        with pytest.raises(stdlib_sqlite3.DatabaseError, match="not a database"):
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.close()


def test_a_locked_directory_is_refused_and_a_wrong_passphrase_changes_nothing(data_dir: Path) -> None:
    filled(data_dir).close()
    cipher.forget(data_dir)
    before = snapshot(data_dir)
    with pytest.raises(LockedError, match="passphrase is needed"):
        open_store(data_dir)
    with pytest.raises(WrongPassphraseError, match="the passphrase is wrong: nothing was opened or changed"):
        cipher.unlock(data_dir, "olive tractor under sunlight")
    assert snapshot(data_dir) == before
    assert not cipher.is_unlocked(data_dir)
    cipher.unlock(data_dir, PASSPHRASE)
    assert incidents(data_dir) == 1


def test_a_changed_passphrase_opens_everything_and_the_old_one_nothing(data_dir: Path) -> None:
    filled(data_dir).close()
    cipher.change_passphrase(data_dir, PASSPHRASE, "new words for a new week", FAST)
    cipher.forget(data_dir)
    with pytest.raises(WrongPassphraseError):
        cipher.unlock(data_dir, PASSPHRASE)
    cipher.unlock(data_dir, "new words for a new week")
    # Backups taken under the old passphrase restore: the data key never changed, only its wrapping.
    restore_backup(data_dir)
    assert incidents(data_dir) == 1
    assert load_drafts(data_dir / "drafts")[0].fields["narrative"] == MARKER


def test_a_wrong_old_passphrase_changes_nothing(data_dir: Path) -> None:
    filled(data_dir).close()
    before = (data_dir / "key.json").read_bytes()
    with pytest.raises(WrongPassphraseError):
        cipher.change_passphrase(data_dir, "not the passphrase", "new words for a new week", FAST)
    with pytest.raises(DatabaseError, match="new passphrase: the passphrase is too short"):
        cipher.change_passphrase(data_dir, PASSPHRASE, "short", FAST)
    assert (data_dir / "key.json").read_bytes() == before


def test_an_emergency_erase_makes_every_file_unreadable_at_once(data_dir: Path) -> None:
    filled(data_dir).close()
    copy = data_dir.parent / "before-erase"
    shutil.copytree(data_dir, copy)
    assert cipher.erase_key(data_dir)
    assert not (data_dir / "key.json").exists()
    with pytest.raises(LockedError, match="the key of this data directory was erased"):
        open_store(data_dir)
    with pytest.raises(DatabaseError, match="missing \\(it was erased on purpose\\)"):
        cipher.unlock(data_dir, PASSPHRASE)
    # Even someone who learns the passphrase later cannot read a copy taken after the erase.
    shutil.rmtree(copy)
    shutil.copytree(data_dir, copy)
    assert files_holding(copy, MARKER) == []
    with pytest.raises(LockedError):
        open_store(copy)


def test_a_tampered_key_file_is_refused_in_words(data_dir: Path) -> None:
    filled(data_dir).close()
    cipher.forget(data_dir)
    (data_dir / "key.json").write_text('{"format": "truceline-key-1", "kdf": {"name": "argon2id"}}')
    with pytest.raises(DatabaseError, match="not a Truceline key file"):
        cipher.unlock(data_dir, PASSPHRASE)
    (data_dir / "key.json").write_text("not json")
    with pytest.raises(DatabaseError, match="key file cannot be read"):
        cipher.unlock(data_dir, PASSPHRASE)


def test_new_directories_use_4_kib_pages_and_hmac_sha256_and_say_so_in_the_key_file(data_dir: Path) -> None:
    store = filled(data_dir)
    try:
        assert int(store.conn.execute("PRAGMA page_size").fetchone()[0]) == 4096
        assert store.conn.execute("PRAGMA cipher_hmac_algorithm").fetchone()[0] == "HMAC_SHA256"
        # A checkpoint after as many bytes of WAL as on a plain database (1,000 pages of 4 KiB), bulk work or not.
        with bulk_writes(store.conn):
            pass
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    finally:
        store.close()
    document = json.loads((data_dir / "key.json").read_text())
    assert document["database"] == {"cipher_page_size": 4096, "hmac": "HMAC_SHA256"}
    (backup,) = list_backups(data_dir / "backups")
    cipher.forget(data_dir)
    cipher.change_passphrase(data_dir, PASSPHRASE, "a new passphrase of words", FAST)
    assert json.loads((data_dir / "key.json").read_text())["database"] == document["database"]
    restore_backup(data_dir, backup)  # the backup is keyed the same way
    assert incidents(data_dir) == 1


def test_a_directory_encrypted_by_an_earlier_version_keeps_sqlcipher_4_defaults(data_dir: Path) -> None:
    """Its key.json has no database settings: 4 KiB pages and HMAC-SHA512, as it was written."""
    old = cipher.DataKey(os.urandom(cipher.KEY_BYTES), cipher.SQLCIPHER_4_DEFAULTS)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "key.json").write_bytes(cipher._wrap(old, PASSPHRASE, FAST))
    assert "database" not in json.loads((data_dir / "key.json").read_text())
    cipher.unlock(data_dir, PASSPHRASE)
    store = open_store(data_dir)
    person = add_monitor(store.conn, "Amelia Hart", "HART", "monitor")
    save(store, store.writer(person.monitor_id), narrative=MARKER)
    assert int(store.conn.execute("PRAGMA page_size").fetchone()[0]) == 4096
    assert store.conn.execute("PRAGMA cipher_hmac_algorithm").fetchone()[0] == "HMAC_SHA512"
    store.close()
    cipher.forget(data_dir)
    cipher.change_passphrase(data_dir, PASSPHRASE, "a new passphrase of words", FAST)
    assert "database" not in json.loads((data_dir / "key.json").read_text())
    assert incidents(data_dir) == 1


def test_a_directory_encrypted_with_8_kib_pages_keeps_them(data_dir: Path) -> None:
    """An earlier build encrypted with 8 KiB pages; its key.json says so, and that is what is used."""
    eight = cipher.DataKey(os.urandom(cipher.KEY_BYTES), cipher.DatabaseCipher(8192, "HMAC_SHA256"))
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "key.json").write_bytes(cipher._wrap(eight, PASSPHRASE, FAST))
    cipher.unlock(data_dir, PASSPHRASE)
    store = open_store(data_dir)
    person = add_monitor(store.conn, "Amelia Hart", "HART", "monitor")
    save(store, store.writer(person.monitor_id), narrative=MARKER)
    assert int(store.conn.execute("PRAGMA page_size").fetchone()[0]) == 8192
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 500  # 4 MiB of WAL, as plain
    store.close()
    cipher.forget(data_dir)
    cipher.unlock(data_dir, PASSPHRASE)  # read back with the settings key.json gives
    assert incidents(data_dir) == 1


@pytest.mark.parametrize(
    "settings",
    [{"cipher_page_size": 1000, "hmac": "HMAC_SHA256"}, {"cipher_page_size": 8192, "hmac": "MD5"}, ["x"], {}],
)
def test_key_file_database_settings_are_checked(data_dir: Path, settings: object) -> None:
    filled(data_dir).close()
    cipher.forget(data_dir)
    document = json.loads((data_dir / "key.json").read_text())
    document["database"] = settings
    (data_dir / "key.json").write_text(json.dumps(document))
    with pytest.raises(DatabaseError, match="not a Truceline key file"):
        cipher.unlock(data_dir, PASSPHRASE)


def test_passphrase_rules_and_the_strength_hint() -> None:
    assert cipher.passphrase_problem("") == "the passphrase is empty"
    assert "too short" in (cipher.passphrase_problem("abc") or "")
    assert cipher.strength_hint("abcdefghij").startswith("weak")
    assert cipher.strength_hint("four words make strength").startswith("strong")


def test_wrong_passphrases_wait_longer_each_time() -> None:
    throttle = cipher.Throttle(first=1.0, longest=5.0)
    assert [throttle.failed() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    throttle.succeeded()
    assert throttle.failed() == 1.0


def test_a_plain_directory_stays_plain_and_says_so(data_dir: Path) -> None:
    for plain in (True, False):  # an existing plain directory opens as before
        store = open_store(data_dir, plain=plain)
        assert not store.encrypted
        store.close()
    assert os.path.exists(data_dir / "truceline.db")
