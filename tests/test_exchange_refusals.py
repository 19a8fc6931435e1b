"""Bundles that must be refused, leaving the receiving laptop exactly as it was.

Flipped bytes, a version deleted from the middle of a run, a bundle replayed under another key,
a version id reused with other content, path traversal, zip bombs, unexpected or missing members.
"""

import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from laptops import Laptop, forge_bundle, read_members, rehashed, rewrite_bundle

from db.core.errors import TrucelineError
from db.core.hashing import b64
from db.exchange.bundle_file import SIGNATURE_CHARS, file_statement
from db.exchange.importing import import_bundle
from db.storage.chain import sign_head
from db.storage.device import public_key_text
from db.storage.versions import Version


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Laptop, Laptop]]:
    hart, sup = Laptop(tmp_path, "hart"), Laptop(tmp_path, "supervisor")
    yield hart, sup
    hart.close()
    sup.close()


def refused(laptop: Laptop, bundle: Path, match: str | None) -> None:
    before = laptop.snapshot()
    with pytest.raises(TrucelineError, match=match) as error:
        import_bundle(laptop.store.conn, laptop.store.calendar, bundle)
    assert str(bundle) in str(error.value)  # the message names the file
    assert laptop.snapshot() == before


def stored_versions(laptop: Laptop) -> list[Version]:
    from db.storage.versions import SELECT_VERSIONS

    rows = laptop.store.conn.execute(f"{SELECT_VERSIONS} ORDER BY device_seq")
    return [Version.from_row(r) for r in rows]


@pytest.fixture(scope="module")
def small_bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[bytes, Path]]:
    root = tmp_path_factory.mktemp("flip")
    hart = Laptop(root, "hart")
    saved = hart.record()
    hart.amend(saved.incident_id, "recount", count=4)
    data = hart.export().read_bytes()
    hart.close()
    yield data, root


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), mask=st.integers(min_value=1, max_value=255))
def test_flipping_any_byte_of_a_bundle_is_refused(
    small_bundle: tuple[bytes, Path], position: float, mask: int, tmp_path: Path
) -> None:
    data, root = small_bundle
    index = int(position * len(data))
    damaged = bytearray(data)
    damaged[index] ^= mask
    path = root / f"flipped-{index}-{mask}.zip"
    path.write_bytes(bytes(damaged))
    receiver = Laptop(root, f"receiver-{index}-{mask}")
    try:
        refused(receiver, path, None)
        assert receiver.snapshot()[0] == []  # not one version
    finally:
        receiver.close()


def test_every_byte_position_is_covered(small_bundle: tuple[bytes, Path], tmp_path: Path) -> None:
    """Exhaustively, beyond hypothesis's sample: no single flipped byte is accepted."""
    from db.exchange.verify import verify_bundle

    data, _root = small_bundle
    path = tmp_path / "b.zip"
    for index in range(len(data)):
        damaged = bytearray(data)
        damaged[index] ^= 0x01
        path.write_bytes(bytes(damaged))
        with pytest.raises(TrucelineError):
            verify_bundle(path)


def test_deleting_a_middle_version_is_refused_even_when_the_file_is_signed_again(
    pair: tuple[Laptop, Laptop], tmp_path: Path
) -> None:
    hart, sup = pair
    for count in (1, 2, 3):
        hart.record(count=count)
    bundle = hart.export()

    def drop_second(manifest: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        del lines[1]

    key = hart.store.device.private_key
    refused(sup, rewrite_bundle(bundle, tmp_path / "a.zip", key, drop_second), "version 2 is missing from the middle")

    def drop_and_split(manifest: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        del lines[1]
        run = manifest["devices"][0]["runs"][0]
        first = dict(run, seq_to=1, chain_sha256=lines[0]["chain_sha256"])
        manifest["devices"][0]["runs"] = [first, dict(run, seq_from=3, previous_chain=lines[0]["chain_sha256"])]

    # Claiming a gap instead: the forged head of the first run was never signed by the device.
    refused(sup, rewrite_bundle(bundle, tmp_path / "b.zip", key, drop_and_split), "signature of chain head 1")


def test_a_bundle_replayed_with_another_key_is_refused_with_a_warning(
    pair: tuple[Laptop, Laptop], tmp_path: Path
) -> None:
    hart, sup = pair
    hart.record()
    sup.receive(hart.export())
    hart.record(count=2)
    bundle = hart.export()
    impostor = Ed25519PrivateKey.generate()

    def resign(manifest: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        public = public_key_text(impostor)
        manifest["exporter"]["public_key"] = public
        device = manifest["devices"][0]
        device["public_key"] = public
        for run in device["runs"]:
            head = sign_head(impostor, device["device_id"], run["seq_to"], run["chain_sha256"])
            run["signature"] = b64(head.signature)

    refused(sup, rewrite_bundle(bundle, tmp_path / "replay.zip", impostor, resign), "WARNING: .* another key")


def test_a_version_id_seen_before_with_other_content_is_refused_and_nothing_applied(
    pair: tuple[Laptop, Laptop], tmp_path: Path
) -> None:
    hart, sup = pair
    hart.record(count=5)
    sup.receive(hart.export())
    [original] = stored_versions(hart)
    # Even the device's own key cannot rewrite history: the same id with another count, plus a new version.
    changed = rehashed(original, None, payload=original.payload.replace('"count":5', '"count":50'))
    extra = rehashed(original, changed.chain_sha256, version_id="01900000-0000-7000-8000-000000000001", device_seq=2)
    bundle = forge_bundle(
        tmp_path / "forged.zip", hart.store.device.private_key, original.device_id, "laptop-hart", [changed, extra]
    )
    refused(sup, bundle, "held here with different content: refused as tampering")


def test_a_forked_chain_is_refused(pair: tuple[Laptop, Laptop], tmp_path: Path) -> None:
    hart, sup = pair
    hart.record(count=5)
    sup.receive(hart.export())
    [original] = stored_versions(hart)
    other = rehashed(original, None, version_id="01900000-0000-7000-8000-000000000002")
    bundle = forge_bundle(tmp_path / "fork.zip", hart.store.device.private_key, original.device_id, "x", [other])
    refused(sup, bundle, "differs from the one held here")


# A rogue's own key: the crafted archives below are validly signed, so what refuses them is the
# member and size checks behind the signature, not the signature itself.
ROGUE_KEY = Ed25519PrivateKey.generate()


def _zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.comment = _tail_placeholder()
    return _sign(path)


def _tail_placeholder() -> bytes:
    from cryptography.hazmat.primitives import serialization

    public = ROGUE_KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return public.hex().encode() + b"0" * SIGNATURE_CHARS


def _sign(path: Path) -> Path:
    """(Re-)sign a file whose archive comment is the rogue's key and a signature's room."""
    data = bytearray(path.read_bytes())
    statement = file_statement(hashlib.sha256(data[:-SIGNATURE_CHARS]).hexdigest())
    data[-SIGNATURE_CHARS:] = ROGUE_KEY.sign(statement).hex().encode()
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("../../evil.sh", "unexpected member '../../evil.sh'"),
        ("/etc/cron.d/evil", "unexpected member '/etc/cron.d/evil'"),
        ("sub/manifest.json", "unexpected member"),
        ("manifest.json", "holds a member twice"),
    ],
)
def test_member_names_outside_the_three_expected_are_refused_before_reading(
    pair: tuple[Laptop, Laptop], tmp_path: Path, name: str, match: str
) -> None:
    hart, sup = pair
    hart.record()
    manifest, _lines = read_members(hart.export())
    bundle = tmp_path / "evil.zip"
    with zipfile.ZipFile(hart.root / "usb" / "hart-1.zip") as source, zipfile.ZipFile(bundle, "w") as archive:
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        with pytest.warns(UserWarning) if name == "manifest.json" else _nothing():
            archive.writestr(name, b"#!/bin/sh\n")
        archive.comment = _tail_placeholder()
    refused(sup, _sign(bundle), match)
    assert not (tmp_path.parent / "evil.sh").exists()


class _nothing:  # noqa: N801 (a context manager standing in for pytest.warns)
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_a_zip_bomb_is_refused_before_it_is_expanded(pair: tuple[Laptop, Laptop], tmp_path: Path) -> None:
    _hart, sup = pair
    bomb = _zip(tmp_path / "bomb.zip", {"manifest.json": b"{}", "versions.jsonl": b"\0" * (64 << 20)})
    assert bomb.stat().st_size < 200_000
    refused(sup, bomb, "refused as a zip bomb")


def test_a_member_larger_than_the_cap_is_refused(
    pair: tuple[Laptop, Laptop], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from db.exchange import bundle_file

    _hart, sup = pair
    monkeypatch.setitem(bundle_file.MAX_MEMBER_BYTES, "manifest.json", 1000)
    big = _zip(tmp_path / "big.zip", {"manifest.json": b" " * 5000, "versions.jsonl": b""}, zipfile.ZIP_STORED)
    refused(sup, big, "declares 5,000 bytes, more than 1,000 allowed")


def test_missing_members_and_other_files_are_refused(pair: tuple[Laptop, Laptop], tmp_path: Path) -> None:
    _hart, sup = pair
    refused(sup, _zip(tmp_path / "half.zip", {"manifest.json": b"{}"}), "lacks versions.jsonl")
    text = tmp_path / "notes.zip"
    text.write_text("not a zip at all")
    refused(sup, text, "not a Truceline bundle")
    refused(sup, tmp_path / "absent.zip", "cannot read the bundle")


def test_a_truncated_bundle_is_refused(pair: tuple[Laptop, Laptop], tmp_path: Path) -> None:
    hart, sup = pair
    hart.record()
    data = hart.export().read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    refused(sup, cut, None)


def test_a_header_lying_about_its_compressed_size_is_refused(pair: tuple[Laptop, Laptop], tmp_path: Path) -> None:
    """A bomb may claim a large compressed size to pass the ratio check; the file is too small for it."""
    import struct

    _hart, sup = pair
    bomb = _zip(tmp_path / "liar.zip", {"manifest.json": b"{}", "versions.jsonl": b"\0" * (8 << 20)})
    data = bytearray(bomb.read_bytes())
    central = data.rfind(b"PK\x01\x02")  # the central directory entry of versions.jsonl (written last)
    struct.pack_into("<I", data, central + 20, 50 << 20)  # compressed size: 50 MB, ratio below 100
    bomb.write_bytes(bytes(data))
    refused(sup, _sign(bomb), "more compressed bytes than the file holds")


def test_an_unsigned_file_declaring_2_gib_is_refused_before_anything_is_inflated(
    pair: tuple[Laptop, Laptop], tmp_path: Path
) -> None:
    import struct
    import tracemalloc

    _hart, sup = pair
    # 4 MiB of zeros whose headers declare 2 GiB - 1 (tests/benchmarks inflates a true 2 GiB one).
    bomb = tmp_path / "unsigned.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", b"{}")
        archive.writestr("versions.jsonl", b"\0" * (4 << 20))
    data = bytearray(bomb.read_bytes())
    local = data.find(b"PK\x03\x04", data.find(b"versions.jsonl") - 40)
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, (2 << 30) - 1)
    struct.pack_into("<I", data, central + 24, (2 << 30) - 1)
    bomb.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        refused(sup, bomb, "signature")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, peak  # bytes allocated while refusing it: a few chunks, never the member
