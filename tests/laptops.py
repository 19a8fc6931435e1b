"""Simulated laptops for the exchange tests: each one its own data directory, device key and monitor.

Also the tools of an attacker who edits bundles (:func:`rewrite_bundle`, :func:`forge_bundle`),
built on the same file writer as the real export, so a refusal in a test is the verification's
doing and not a broken zip.
"""

import dataclasses
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support import valid_raw

from db.core.hashing import GENESIS_CHAIN, b64, canonical_json, chain_hash, sha256_hex, version_hash
from db.exchange.bundle_file import FORMAT, FORMAT_VERSION, MANIFEST, VERSIONS, version_line, write_bundle_file
from db.exchange.export import export_bundle
from db.exchange.importing import ImportResult, import_bundle
from db.exchange.log import state_hash
from db.exchange.mission import KEY_FILE, PUBLIC_FILE, create_authority, read_public_file, trust_authority
from db.exchange.roster_file import load_roster, sign_roster
from db.exchange.seal_keys import opening_keys
from db.model.validation import validate_incident
from db.records.incidents import Saved, amend_incident, record_incident
from db.records.monitor_records import MonitorRecord
from db.records.monitors import add_monitor, get_monitor
from db.storage.chain import sign_head
from db.storage.device import public_key_text, set_device_label
from db.storage.projection import PROJECTION_COLUMNS
from db.storage.store import Store, open_store
from db.storage.versions import Version


class Laptop:
    """One monitor's laptop: records and amends incidents, exports and imports bundles."""

    def __init__(self, root: Path, name: str, role: str = "monitor") -> None:
        self.name = name
        self.root = root
        self.store: Store = open_store(root / name)
        set_device_label(self.store.conn, self.store.device.device_id, f"laptop-{name}")
        self.monitor = add_monitor(self.store.conn, f"Monitor {name}", name.upper(), role)
        self.writer = self.store.writer(self.monitor.monitor_id)
        self.exports = 0

    @classmethod
    def reopen(cls, root: Path, name: str) -> "Laptop":
        """The same data directory opened again (after a restore, say), writing as its monitor."""
        laptop = cls.__new__(cls)
        laptop.name, laptop.root, laptop.exports = name, root, 100
        laptop.store = open_store(root / name)
        # The first person registered by this laptop's current identity (a restore may have made a new one).
        monitor_id = laptop.store.conn.execute(
            "SELECT monitor_id FROM monitors WHERE device_id = ? ORDER BY rowid LIMIT 1",
            (laptop.store.device.device_id,),
        ).fetchone()[0]
        laptop.monitor = get_monitor(laptop.store.conn, monitor_id)
        laptop.writer = laptop.store.writer(monitor_id)
        return laptop

    def record(self, **changes: Any) -> Saved:
        incident = validate_incident(valid_raw(**changes), theatre=self.store.theatre)
        return record_incident(self.store.conn, self.writer, incident, self.store.calendar)

    def amend(self, incident_id: str, reason: str, base_version_id: str | None = None, **changes: Any) -> Saved:
        incident = validate_incident(valid_raw(**changes), theatre=self.store.theatre)
        return amend_incident(
            self.store.conn,
            self.writer,
            incident_id,
            incident,
            reason,
            self.store.calendar,
            base_version_id=base_version_id,
        )

    def export(self, everything: bool = False) -> Path:
        self.exports += 1
        out = self.root / "usb" / f"{self.name}-{self.exports}.zip"
        export_bundle(self.store.conn, self.store.device, out, everything=everything)
        return out

    def receive(self, *bundles: Path) -> list[ImportResult]:
        keys = opening_keys(self.store.device)  # a bundle sealed for this laptop opens, as in the window
        return [import_bundle(self.store.conn, self.store.calendar, bundle, keys=keys) for bundle in bundles]

    def state(self) -> str:
        return state_hash(self.store.conn)

    def projection(self) -> list[tuple[Any, ...]]:
        columns = ", ".join(PROJECTION_COLUMNS)
        return self.store.conn.execute(f"SELECT {columns} FROM incidents ORDER BY incident_id").fetchall()

    def heads(self) -> list[tuple[str, str]]:
        return self.store.conn.execute("SELECT * FROM incident_heads ORDER BY 1, 2").fetchall()

    def conflicts(self) -> int:
        return int(self.store.conn.execute("SELECT count(*) FROM incidents WHERE heads > 1").fetchone()[0])

    def version_ids(self) -> set[str]:
        return {r[0] for r in self.store.conn.execute("SELECT version_id FROM incident_versions")}

    def snapshot(self) -> tuple[object, ...]:
        """Everything an import may change, to prove a refused one changed nothing."""
        conn = self.store.conn
        tables = ("incident_versions", "incidents", "incident_heads", "devices", "imports", "chain_heads", "monitors")
        return tuple(conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in tables)

    def close(self) -> None:
        self.store.close()


@contextmanager
def laptops_named(root: Path, *names: str) -> Iterator[dict[str, Laptop]]:
    """A laptop per name under ``root``, each closed afterwards."""
    made = {name: Laptop(root, name) for name in names}
    try:
        yield made
    finally:
        for laptop in made.values():
            laptop.close()


def read_members(bundle: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        lines = [json.loads(line) for line in archive.read(VERSIONS).splitlines() if line]
    return manifest, lines


def rewrite_bundle(
    source: Path,
    out: Path,
    key: Ed25519PrivateKey,
    edit: Callable[[dict[str, Any], list[dict[str, Any]]], None],
) -> Path:
    """Re-pack ``source`` after ``edit(manifest, lines)`` and sign the file with ``key``."""
    manifest, lines = read_members(source)
    edit(manifest, lines)
    versions_bytes = b"".join(canonical_json(line) + b"\n" for line in lines)
    manifest["files"][VERSIONS] = {"sha256": sha256_hex(versions_bytes), "versions": len(lines)}
    write_bundle_file(out, canonical_json(manifest), versions_bytes, key)
    return out


def rehashed(version: Version, previous_chain: str | None, **changes: Any) -> Version:
    """A version with ``changes`` and every hash recomputed, as a forger holding the key would make it."""
    fields = {f.name: getattr(version, f.name) for f in dataclasses.fields(Version)}
    fields.update(changes)
    if "payload" in changes:
        fields["payload_sha256"] = sha256_hex(fields["payload"].encode())
    header = {k: fields[k] for k in ("version_id", "incident_id", "parent_ids", "device_id", "device_seq")}
    header.update({k: fields[k] for k in ("author_id", "recorded_at", "reason", "payload_sha256")})
    fields["version_sha256"] = version_hash(**header)
    fields["chain_sha256"] = chain_hash(previous_chain, fields["version_sha256"])
    return Version(**fields)


def signed_monitors(key: Ed25519PrivateKey, device_id: str, versions: list[Version]) -> list[dict[str, str]]:
    """A record for each author of ``versions``, registered by ``device_id`` and signed with ``key``."""
    out = []
    for author_id in sorted({v.author_id for v in versions}):
        record = MonitorRecord(author_id, "Forged Name", "FRG", "monitor", device_id, "")
        signature = b64(key.sign(record.statement()))
        out.append(dataclasses.asdict(dataclasses.replace(record, signature=signature)))
    return out


def forge_bundle(out: Path, key: Ed25519PrivateKey, device_id: str, label: str, versions: list[Version]) -> Path:
    """A bundle of one device's contiguous ``versions`` (from sequence 1), every signature made with ``key``.

    Its authors travel as records signed with ``key`` too, as the rogue laptop would register them.
    """
    head = sign_head(key, device_id, versions[-1].device_seq, versions[-1].chain_sha256)
    public = public_key_text(key)
    versions_bytes = b"".join(version_line(v) for v in versions)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": "2026-05-02T00:00:00Z",
        "exporter": {"device_id": device_id, "label": label, "public_key": public},
        "devices": [
            {
                "device_id": device_id,
                "label": label,
                "public_key": public,
                "seq_from": versions[0].device_seq,
                "seq_to": versions[-1].device_seq,
                "runs": [
                    {
                        "seq_from": versions[0].device_seq,
                        "seq_to": versions[-1].device_seq,
                        "previous_chain": GENESIS_CHAIN,
                        "chain_sha256": head.chain_sha256,
                        "signature": b64(head.signature),
                    }
                ],
            }
        ],
        "monitors": signed_monitors(key, device_id, versions),
        "files": {VERSIONS: {"sha256": sha256_hex(versions_bytes), "versions": len(versions)}},
    }
    write_bundle_file(out, canonical_json(manifest), versions_bytes, key)
    return out


class Mission:
    """Headquarters: the authority's key on its stick, and the rosters it signs."""

    def __init__(self, root: Path) -> None:
        self.root = root / "hq"
        create_authority(self.root)
        self.issued = 0

    def trust(self, *laptops: Laptop) -> None:
        for laptop in laptops:
            trust_authority(laptop.store.conn, read_public_file(self.root / PUBLIC_FILE))

    def roster(
        self,
        laptops: list[Laptop],
        supervisors: list[Laptop] = (),  # type: ignore[assignment]
        revoked: dict[Laptop, int] | None = None,
        number: int | None = None,
    ) -> Path:
        self.issued += 1
        number = self.issued if number is None else number
        document: dict[str, Any] = {
            "number": number,
            "mission": "Resiliency Force East",
            "laptops": [
                {
                    "device_id": lap.store.device.device_id,
                    "public_key": lap.store.device.public_key_b64,
                    "label": lap.name,
                }
                for lap in laptops
            ],
            "supervisors": [
                {"monitor_id": s.monitor.monitor_id, "name": s.monitor.name, "devices": [s.store.device.device_id]}
                for s in supervisors
            ],
            "revoked": [
                {"device_id": lap.store.device.device_id, "from_seq": seq} for lap, seq in (revoked or {}).items()
            ],
        }
        source = self.root / f"roster-{number}.json"
        source.write_text(json.dumps(document))
        out = self.root / f"roster-{number}.signed"
        sign_roster(source, self.root / KEY_FILE, out)
        return out

    def load(self, laptop: Laptop, signed: Path) -> None:
        load_roster(laptop.store.conn, laptop.store.calendar, signed)
