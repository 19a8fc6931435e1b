"""Sealed bundles: only the mission (and the laptop that wrote one) can read them; anything odd is refused.

A monitor's laptop trusts the mission's public sealing key; its bundles are then encrypted. A
colleague's laptop cannot read them, the supervisor holding the private half imports them as
before, and a lost stick shows neither a narrative nor a coordinate.
"""

import base64
import io
import json
import os
import re
import struct
import subprocess
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from laptops import Laptop

from db.core.errors import TrucelineError
from db.exchange.bundle_file import MANIFEST, VERSIONS
from db.exchange.importing import import_bundle
from db.exchange.seal_keys import (
    KEY_FILE,
    PUBLIC_FILE,
    SealKeyError,
    create_seal_key,
    held_seal_key,
    hold_seal_key,
    opening_keys,
    read_seal_public_file,
    trust_seal_key,
    trusted_seal_key,
    unlock_seal_key,
)
from db.exchange.sealed import (
    CHUNK_BYTES,
    DEVICE,
    MAGIC,
    MISSION,
    NOT_FOR_US,
    NOT_THIS_MISSION,
    Recipient,
    SealedReader,
    SealingWriter,
    device_seal_key,
    device_seal_public,
    is_sealed,
    needs_other_key,
    open_bundle_bytes,
    raw_public,
)
from db.exchange.verify import verify_bundle

PASSPHRASE = "field notes under the bridge"
MARKER = "NARRATIVE-MARKER-7Q4Z"
LAT, LON = 48.431234, 37.812345
FAST = 10  # scrypt cost for tests: the file records it, unlocking follows it


@pytest.fixture
def mission(tmp_path: Path) -> Path:
    """Headquarters' stick with the mission's sealing key pair."""
    create_seal_key(tmp_path / "hq", PASSPHRASE, log_n=FAST)
    return tmp_path / "hq"


@pytest.fixture
def laptops(tmp_path: Path, mission: Path) -> Iterator[dict[str, Laptop]]:
    """A monitor and a colleague trusting the mission's public key, and a supervisor holding the private one."""
    made = {name: Laptop(tmp_path, name) for name in ("hart", "vale")}
    made["sup"] = Laptop(tmp_path, "sup", role="supervisor")
    public = read_seal_public_file(mission / PUBLIC_FILE)
    for name in ("hart", "vale"):
        trust_seal_key(made[name].store.conn, public)
    hold_seal_key(made["sup"].store.conn, made["sup"].store.data_dir, mission / KEY_FILE, PASSPHRASE)
    yield made
    for laptop in made.values():
        laptop.close()


def _supervisor_keys(sup: Laptop) -> tuple[X25519PrivateKey, ...]:
    held = held_seal_key(sup.store.data_dir)
    assert held is not None
    return opening_keys(sup.store.device, unlock_seal_key(held, PASSPHRASE))


def _sealed_export(hart: Laptop, incidents: int = 3) -> Path:
    for n in range(incidents):
        hart.record(narrative=f"{MARKER} impact {n}", event_lat=LAT, event_lon=LON)
    return hart.export()


def test_the_supervisor_reads_a_sealed_bundle_a_colleague_cannot(laptops: dict[str, Laptop]) -> None:
    hart, vale, sup = laptops["hart"], laptops["vale"], laptops["sup"]
    bundle = _sealed_export(hart)
    assert is_sealed(bundle)
    before = vale.snapshot()
    with pytest.raises(TrucelineError) as refused:
        vale.receive(bundle)
    assert str(refused.value) == f"{bundle}: {NOT_FOR_US}"
    assert vale.snapshot() == before

    result = import_bundle(sup.store.conn, sup.store.calendar, bundle, keys=_supervisor_keys(sup))
    assert result.added == 3
    assert sup.projection() == hart.projection()
    # The laptop that wrote it can read it back with its own key, without the mission's.
    assert verify_bundle(bundle, keys=opening_keys(hart.store.device)).count == 3


def test_the_supervisor_seals_its_bundle_back_for_the_laptops_it_knows(
    laptops: dict[str, Laptop], tmp_path: Path, mission: Path
) -> None:
    hart, vale, sup = laptops["hart"], laptops["vale"], laptops["sup"]
    keys = _supervisor_keys(sup)
    for laptop in (hart, vale):
        import_bundle(sup.store.conn, sup.store.calendar, _sealed_export(laptop, 1), keys=keys)
    back = sup.export()
    assert is_sealed(back)
    assert [r.added for r in hart.receive(back)] == [1] and [r.added for r in vale.receive(back)] == [1]
    assert hart.state() == vale.state() == sup.state()
    # A laptop the supervisor never heard from cannot read it, though it trusts the same mission key.
    kova = Laptop(tmp_path, "kova")
    trust_seal_key(kova.store.conn, read_seal_public_file(mission / PUBLIC_FILE))
    with pytest.raises(TrucelineError, match=NOT_FOR_US):
        kova.receive(back)
    kova.close()


def test_a_device_seals_for_the_key_its_public_half_gives_others() -> None:
    for _ in range(20):
        signing = Ed25519PrivateKey.generate()
        public = signing.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        derived = device_seal_public(public)
        assert derived is not None and raw_public(derived) == raw_public(device_seal_key(signing).public_key())
    assert device_seal_public(b"\x01" + bytes(31)) is None  # y = 1: the neutral point, no sealing key
    assert device_seal_public(b"\xff" * 32) is None  # not reduced modulo p
    assert device_seal_public(b"short") is None


def test_a_lost_stick_shows_no_narrative_and_no_coordinate(laptops: dict[str, Laptop], tmp_path: Path) -> None:
    bundle = _sealed_export(laptops["hart"])
    for needle in (MARKER, f"{LAT}", f"{LON}", "Торецьк"):
        found = subprocess.run(["grep", "-r", "-a", "-c", needle, str(bundle.parent)], capture_output=True, text=True)
        assert found.returncode == 1, (needle, found.stdout)
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(bundle)
    # The same file, unsealed with the supervisor's key, holds them (the grep above is not vacuous).
    with open_bundle_bytes(bundle, _supervisor_keys(laptops["sup"])) as inner, zipfile.ZipFile(inner) as archive:
        versions = archive.read(VERSIONS).decode()
        assert MARKER in versions and f"{LAT}" in versions and archive.read(MANIFEST)


def test_a_plain_bundle_still_imports_and_a_laptop_without_a_key_writes_plain(
    laptops: dict[str, Laptop], tmp_path: Path
) -> None:
    old = Laptop(tmp_path, "old")
    old.record(narrative="from before the seal")
    bundle = old.export()
    assert not is_sealed(bundle) and zipfile.is_zipfile(bundle)
    sup = laptops["sup"]
    assert import_bundle(sup.store.conn, sup.store.calendar, bundle, keys=_supervisor_keys(sup)).added == 1
    assert laptops["vale"].receive(bundle)[0].added == 1
    old.close()


def test_the_wrong_mission_key_opens_nothing(laptops: dict[str, Laptop], tmp_path: Path) -> None:
    create_seal_key(tmp_path / "other", PASSPHRASE, log_n=FAST)
    stranger = unlock_seal_key(tmp_path / "other" / KEY_FILE, PASSPHRASE)
    bundle = _sealed_export(laptops["hart"])
    sup = laptops["sup"]
    assert needs_other_key(bundle, opening_keys(sup.store.device))
    assert not needs_other_key(bundle, _supervisor_keys(sup))
    before = sup.snapshot()
    with pytest.raises(TrucelineError, match=re.escape(NOT_THIS_MISSION)):
        import_bundle(sup.store.conn, sup.store.calendar, bundle, keys=opening_keys(sup.store.device, stranger))
    assert sup.snapshot() == before


def _cut(data: bytes, at: int) -> bytes:
    return data[:at]


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def _header_end(data: bytes) -> int:
    return len(MAGIC) + 4 + struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])[0]


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda d: _flip(d, len(MAGIC) + 30), "header"),  # a byte of the header's JSON
        (lambda d: _flip(d, _header_end(d) + 5), "changed or damaged"),  # the first chunk
        (lambda d: _flip(d, _header_end(d) + CHUNK_BYTES + 40), "changed or damaged"),  # a middle chunk
        (lambda d: _flip(d, len(d) - 3), "changed or damaged"),  # the last chunk's tag
        (lambda d: _cut(d, _header_end(d) + CHUNK_BYTES + 16), "changed or damaged"),  # cut at a chunk's end
        (lambda d: _cut(d, len(d) - 100), "changed or damaged"),  # cut inside the last chunk
        (lambda d: _cut(d, _header_end(d) + 7), "truncated"),  # cut inside the first tag
        (lambda d: _cut(d, _header_end(d)), "truncated"),  # no payload at all
        (lambda d: _cut(d, 40), "header"),  # cut inside the header
        (lambda d: d + b"\0" * 17, "changed or damaged"),  # bytes appended
        (lambda d: d[: _header_end(d)] + d[_header_end(d) + CHUNK_BYTES + 16 :], "changed or damaged"),  # a chunk gone
    ],
)
def test_a_damaged_sealed_bundle_is_refused_in_one_sentence_and_changes_nothing(
    laptops: dict[str, Laptop], tmp_path: Path, damage: object, why: str
) -> None:
    hart, sup = laptops["hart"], laptops["sup"]
    for n in range(20):  # enough hardly compressible text for several chunks
        hart.record(narrative=f"{MARKER} {n} " + base64.b64encode(os.urandom(11_000)).decode())
    bundle = hart.export()
    data = bundle.read_bytes()
    assert len(data) > 3 * CHUNK_BYTES
    bad = tmp_path / "bad.zip"
    bad.write_bytes(damage(data))  # type: ignore[operator]
    before = sup.snapshot()
    with pytest.raises(TrucelineError) as refused:
        import_bundle(sup.store.conn, sup.store.calendar, bad, keys=_supervisor_keys(sup))
    message = str(refused.value)
    assert message.startswith(f"{bad}: ") and why in message and "\n" not in message
    assert sup.snapshot() == before


def _hostile(header: bytes, *, length: int | None = None, tail: bytes = b"\0" * 64) -> bytes:
    return MAGIC + struct.pack(">I", len(header) if length is None else length) + header + tail


def _recipient(**changes: object) -> bytes:
    entry = {"to": "mission", "ephemeral": "A" * 43 + "=", "wrapped": "A" * 64, **changes}
    document = {"kind": "truceline-sealed-bundle", "version": 1, "chunk_bytes": CHUNK_BYTES, "recipients": [entry]}
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (_hostile(b"{}", length=0xFFFFFFFF), "more than allowed"),  # a length that would exhaust memory
        (_hostile(b"[" * 5000 + b"]" * 5000), "nested"),  # deep JSON
        (_hostile(b"{" + b'"a":1,' * 20_000 + b'"b":2}'), "more than allowed"),  # a header over the cap
        (_hostile(b"\xff\xfe not json"), "not valid"),
        (_hostile(b'{"kind": "truceline-sealed-bundle", "version": 2}'), "format"),
        (_hostile(_recipient().replace(b"65536", b"1")), "format"),  # a chunk size of its own choosing
        (_hostile(_recipient(wrapped="!!")), "wrong length"),
        (_hostile(_recipient(to="everyone")), "not valid"),
        (_hostile(_recipient(ephemeral="A" * 5000)), "wrong length"),
        (_hostile(_recipient()), NOT_THIS_MISSION),  # well formed, for a key nobody here holds
        (_hostile(_recipient(to="device")), "sealed for another laptop"),  # only for the laptop that wrote it
        (MAGIC + b"\0\0", "not a sealed"),
    ],
)
def test_a_hostile_header_is_refused_before_anything_is_decrypted(
    laptops: dict[str, Laptop], tmp_path: Path, content: bytes, why: str
) -> None:
    sup = laptops["sup"]
    keys = _supervisor_keys(sup)
    bad = tmp_path / "hostile.zip"
    bad.write_bytes(content)
    before = sup.snapshot()
    tracemalloc.start()
    try:
        with pytest.raises(TrucelineError) as refused:
            import_bundle(sup.store.conn, sup.store.calendar, bad, keys=keys)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert why in str(refused.value) and "\n" not in str(refused.value)
    assert peak < 4 << 20
    assert sup.snapshot() == before
    assert needs_other_key(bad, ()) == (why == NOT_THIS_MISSION)


@pytest.mark.parametrize("size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17])
def test_the_stream_gives_back_every_byte_and_seeks_anywhere(size: int, tmp_path: Path) -> None:
    mission, device = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    plain = os.urandom(size)
    sealed = io.BytesIO()
    writer = SealingWriter(sealed, [Recipient(MISSION, mission.public_key()), Recipient(DEVICE, device.public_key())])
    for start in range(0, size, 10_000):
        writer.write(plain[start : start + 10_000])
    writer.finish()
    assert len(plain) < 64 or plain[:64] not in sealed.getvalue()
    path = tmp_path / "stream.bin"
    path.write_bytes(sealed.getvalue())
    for key in (mission, device):
        with io.BufferedReader(SealedReader(path.open("rb"), [key])) as reader:
            assert reader.read() == plain
            if size:
                reader.seek(size // 2)
                assert reader.read(100) == plain[size // 2 : size // 2 + 100]
                assert reader.seek(-1, io.SEEK_END) == size - 1 and reader.read() == plain[-1:]


def test_sealing_and_unsealing_hold_a_few_chunks_in_memory_whatever_the_size(tmp_path: Path) -> None:
    key = X25519PrivateKey.generate()
    target = tmp_path / "big.sealed"
    piece = os.urandom(1 << 20)
    tracemalloc.start()
    try:
        with target.open("wb") as out:
            writer = SealingWriter(out, [Recipient(MISSION, key.public_key())])
            for _ in range(24):
                writer.write(piece)
            writer.finish()
        writing_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with open_bundle_bytes(target, [key]) as handle:
            while handle.read(1 << 20):
                pass
        reading_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert os.path.getsize(target) > 24 << 20
    assert writing_peak < 4 << 20 and reading_peak < 4 << 20  # the 1 MiB piece, a chunk or two, and the reads


def test_the_private_key_opens_only_with_its_passphrase_and_nothing_is_kept_otherwise(
    mission: Path, tmp_path: Path
) -> None:
    sup = Laptop(tmp_path, "sup2", role="supervisor")
    with pytest.raises(SealKeyError, match="the passphrase does not unlock"):
        hold_seal_key(sup.store.conn, sup.store.data_dir, mission / KEY_FILE, "not the passphrase")
    assert held_seal_key(sup.store.data_dir) is None and trusted_seal_key(sup.store.conn) is None
    key_text = (mission / KEY_FILE).read_text()
    assert PASSPHRASE not in key_text and oct((mission / KEY_FILE).stat().st_mode)[-3:] == "600"
    with pytest.raises(SealKeyError, match="too short"):
        create_seal_key(tmp_path / "weak", "short")
    assert not (tmp_path / "weak").exists()
    with pytest.raises(SealKeyError, match="already there"):
        create_seal_key(mission, PASSPHRASE, log_n=FAST)
    sup.close()


def test_a_laptop_seals_for_one_mission_key_and_refuses_another(laptops: dict[str, Laptop], tmp_path: Path) -> None:
    create_seal_key(tmp_path / "rogue", PASSPHRASE, log_n=FAST)
    hart = laptops["hart"]
    trusted = trusted_seal_key(hart.store.conn)
    with pytest.raises(SealKeyError, match="another key"):
        trust_seal_key(hart.store.conn, read_seal_public_file(tmp_path / "rogue" / PUBLIC_FILE))
    assert trusted_seal_key(hart.store.conn) == trusted


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b'{"kind": "truceline-mission-seal-key", "public_key": "AAAA"}', b"[" * 100 + b"]" * 100],
)
def test_a_bad_public_key_file_is_refused_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pub"
    path.write_bytes(content)
    with pytest.raises(SealKeyError) as refused:
        read_seal_public_file(path)
    assert str(refused.value).startswith(f"{path}: ")
