"""Budget: a 2 GiB bundle is imported in under 500 MB of memory; an unsigned one is refused before inflating.

Both run ``truceline bundle import`` in a child process and read its peak resident set size
(``ru_maxrss``), so the number is what the laptop would see, interpreter included.

The valid bundle holds about 95,000 versions with 20,000-character narratives (the longest the
form accepts): 1.9 GiB of JSON Lines, every hash, chain link and signature genuine, built once in
the benchmark directory by streaming (it never exists in memory either). The unsigned file holds
2 GiB of zeros (about 2 MB compressed) under the member names a bundle uses.
"""

import dataclasses
import hashlib
import os
import random
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from benchutil import BENCH_DIR, report
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from db.core.clock import new_id
from db.core.hashing import GENESIS_CHAIN, b64, canonical_json, chain_hash, version_hash
from db.exchange.bundle_file import FORMAT, FORMAT_VERSION, MANIFEST, SIGNATURE_CHARS, VERSIONS, file_statement
from db.model.theatre import default_theatre
from db.model.validation import validate_incident
from db.records.monitor_records import MonitorRecord
from db.storage.chain import sign_head
from db.storage.device import public_key_text

BUDGET_BYTES = 500 * 1000 * 1000
# 1.9 GiB of versions by default; smaller (TRUCELINE_BENCH_BUNDLE_BYTES) while working on it.
TARGET_BYTES = int(os.environ.get("TRUCELINE_BENCH_BUNDLE_BYTES", int(1.9 * (1 << 30))))
_RAW = {
    "observed_start": "2026-05-01T21:15:00Z",
    "observer_lat": 48.40,
    "observer_lon": 37.70,
    "category": "fire",
    "obs_type": "explosion",
    "explosion_kind": "impact",
    "means": "heard",
    "verification_state": "submitted",
}


def _peak_rss(*args: str) -> tuple[int, int, str]:
    """Run ``truceline args`` in a child; its exit status, peak RSS in bytes and standard error."""
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
        "print(r.stderr, end='')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "desktop", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    first, _, err = done.stdout.partition("\n")
    status, peak = first.split()
    return int(status), int(peak), err


def _write_signed(path: Path, manifest: bytes, lines_writer: "LinesWriter", key: Ed25519PrivateKey) -> None:
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(MANIFEST, manifest)
        with archive.open(VERSIONS, "w", force_zip64=True) as member:
            lines_writer.write_to(member)
        archive.comment = public.hex().encode() + b"0" * SIGNATURE_CHARS
    digest = hashlib.sha256()
    size = path.stat().st_size
    with path.open("rb") as handle:
        left = size - SIGNATURE_CHARS
        while left > 0:
            chunk = handle.read(min(1 << 20, left))
            digest.update(chunk)
            left -= len(chunk)
    with path.open("r+b") as handle:
        handle.seek(size - SIGNATURE_CHARS)
        handle.write(key.sign(file_statement(digest.hexdigest())).hex().encode())


class LinesWriter:
    """Versions of one device with long narratives, written twice: once to hash, once into the zip."""

    def __init__(self, device_id: str, count: int) -> None:
        self.device_id = device_id
        self.count = count
        base = validate_incident(_RAW, theatre=default_theatre())
        rng = random.Random(7)
        words = [
            "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(4000)
        ]
        self.narratives = []
        for _ in range(16):
            text = " ".join(rng.choice(words) for _ in range(4000))[:19_990].strip()
            self.narratives.append(dataclasses.replace(base, narrative=text))
        self.author = new_id()

    def lines(self) -> Iterator[tuple[bytes, str]]:
        chain = GENESIS_CHAIN
        for seq in range(1, self.count + 1):
            incident = self.narratives[seq % len(self.narratives)]
            fields = {
                "version_id": f"0190{seq:08d}-0000-7000-8000-000000000000",
                "incident_id": f"0191{seq:08d}-0000-7000-8000-000000000000",
                "parent_ids": [],
                "device_id": self.device_id,
                "device_seq": seq,
                "author_id": self.author,
                "recorded_at": "2026-05-02T00:00:00Z",
                "reason": None,
                "payload": incident.payload_json,
                "payload_sha256": incident.payload_sha256,
            }
            header = {k: v for k, v in fields.items() if k != "payload"}
            header["parent_ids"] = ()
            fields["version_sha256"] = version_hash(**header)
            chain = chain_hash(chain, fields["version_sha256"])
            fields["chain_sha256"] = chain
            yield canonical_json(fields) + b"\n", chain

    def write_to(self, member: IO[bytes]) -> None:
        for line, _chain in self.lines():
            member.write(line)


def _author_record(key: Ed25519PrivateKey, device_id: str, author_id: str) -> dict[str, str]:
    record = MonitorRecord(author_id, "Bench Author", "BENCH", "monitor", device_id, "")
    return dataclasses.asdict(dataclasses.replace(record, signature=b64(key.sign(record.statement()))))


@pytest.fixture(scope="module")
def big_bundle() -> Path:
    path = BENCH_DIR / f"bundle-{TARGET_BYTES}-v2.zip"
    if path.exists():
        return path
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    device_id = new_id()
    probe = LinesWriter(device_id, 1)
    line_bytes = len(next(probe.lines())[0])
    writer = LinesWriter(device_id, TARGET_BYTES // line_bytes)
    digest = hashlib.sha256()
    chain = GENESIS_CHAIN
    for line, last in writer.lines():
        digest.update(line)
        chain = last
    head = sign_head(key, device_id, writer.count, chain)
    public = public_key_text(key)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": "2026-05-02T00:00:00Z",
        "exporter": {"device_id": device_id, "label": "big", "public_key": public},
        "devices": [
            {
                "device_id": device_id,
                "label": "big",
                "public_key": public,
                "seq_from": 1,
                "seq_to": writer.count,
                "runs": [
                    {
                        "seq_from": 1,
                        "seq_to": writer.count,
                        "previous_chain": GENESIS_CHAIN,
                        "chain_sha256": chain,
                        "signature": b64(head.signature),
                    }
                ],
            }
        ],
        "monitors": [_author_record(key, device_id, writer.author)],
        "files": {VERSIONS: {"sha256": digest.hexdigest(), "versions": writer.count}},
    }
    partial = path.with_suffix(".part")
    _write_signed(partial, canonical_json(manifest), writer, key)
    partial.rename(path)
    return path


def test_an_unsigned_2_gib_file_is_refused_before_inflating(tmp_path: Path) -> None:
    bomb = tmp_path / "unsigned.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, b"{}")
        with archive.open(VERSIONS, "w", force_zip64=True) as member:
            for _ in range(32):
                member.write(b"\0" * (64 << 20))
    status, peak, err = _peak_rss("--data-dir", str(tmp_path / "d"), "bundle", "import", str(bomb))
    report(
        "Unsigned file declaring 2 GiB",
        [
            ("file size", f"{bomb.stat().st_size:,} bytes"),
            ("exit status", str(status)),
            ("peak RSS", f"{peak / 1e6:.0f} MB"),
            ("message", err.strip().splitlines()[0][-90:]),
        ],
    )
    assert status == 2 and "signature" in err
    assert peak < BUDGET_BYTES


def test_a_2_gib_bundle_is_imported_in_under_500_mb(big_bundle: Path, tmp_path: Path) -> None:
    started = time.perf_counter()
    status, peak, err = _peak_rss("--data-dir", str(tmp_path / "d"), "bundle", "import", str(big_bundle))
    seconds = time.perf_counter() - started
    with zipfile.ZipFile(big_bundle) as archive:
        inflated = archive.getinfo(VERSIONS).file_size
    report(
        "Signed bundle of long narratives",
        [
            ("versions.jsonl inflated", f"{inflated / (1 << 30):.2f} GiB"),
            ("file size", f"{big_bundle.stat().st_size / 1e9:.2f} GB"),
            ("exit status", str(status)),
            ("peak RSS", f"{peak / 1e6:.0f} MB"),
            ("wall time", f"{seconds:.0f} s"),
        ],
    )
    assert status == 0, err
    assert peak < BUDGET_BYTES
