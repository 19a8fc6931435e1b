"""Verifying a bundle on its own: the exporter's signature, every hash, every chain link, every signed head.

Nothing here reads the database: a bundle that passes is internally consistent and signed by the
keys it names. Whether those keys are the ones this laptop already knows, and whether the
versions agree with the ones it holds, is checked by :mod:`db.exchange.importing` before anything is
written. Export re-reads its own file through :func:`verify_bundle` too, so a bundle that would
be refused never leaves the laptop.
"""

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from db.core.errors import FieldProblem, TrucelineError, ValidationError
from db.core.hashing import GENESIS_CHAIN
from db.core.untrusted_text import escaped
from db.exchange.bundle_file import VERSIONS, BundleError, BundleFile, read_bundle_file, unb64
from db.exchange.lines import MAX_SEQUENCE, stream_versions
from db.exchange.quarantine import Judged, needs_judging
from db.model.incident import Incident
from db.model.payload_check import validate_payload
from db.model.theatre import Theatre
from db.model.validation import validate_reason
from db.records.monitor_records import MonitorRecord
from db.records.monitors import checked_monitor
from db.records.roster import MAX_ROSTER_BYTES
from db.storage.chain import SignedHead, head_is_valid
from db.storage.integrity import check_version
from db.storage.versions import Version

_HEX64 = re.compile(r"[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PROGRESS_EVERY = 2000


class BundleCancelled(TrucelineError):
    """The person stopped reading a bundle; nothing from it was applied."""


@dataclass(frozen=True)
class Run:
    """Versions ``seq_from``..``seq_to`` of one device, chained from ``previous_chain`` to a signed head."""

    seq_from: int
    seq_to: int
    previous_chain: str
    head: SignedHead


@dataclass(frozen=True)
class DeviceEntry:
    """One device whose versions a bundle carries: its key, its label, and its runs in order."""

    device_id: str
    label: str
    public_key: str
    runs: tuple[Run, ...]

    @property
    def seq_from(self) -> int:
        return self.runs[0].seq_from

    @property
    def seq_to(self) -> int:
        return self.runs[-1].seq_to

    @property
    def name(self) -> str:
        return f"{self.label} ({self.device_id})" if self.label else self.device_id


@dataclass(frozen=True)
class AuthorEntry:
    """A monitor named as the author of carried versions, so the receiver can say who changed what."""

    monitor_id: str
    name: str
    callsign: str
    role: str
    device_id: str = ""  # the laptop that registered the monitor and signed this record
    signature: str = ""

    def record(self) -> MonitorRecord:
        return MonitorRecord(self.monitor_id, self.name, self.callsign, self.role, self.device_id, self.signature)


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle whose signatures, hashes, chains and fields all hold; its versions are read again on demand.

    A bundle may hold two gibibytes of versions, so they are not kept: :meth:`chunks` reads them
    again from the file, in file order (device by device, in sequence), and the read is refused
    at its end if the file changed since it was verified.
    """

    path: Path
    sha256: str
    created_at: str
    exporter: DeviceEntry
    devices: tuple[DeviceEntry, ...]
    authors: tuple[AuthorEntry, ...]
    count: int
    file: BundleFile
    authorship: frozenset[tuple[str, str]]  # every (author id, device id) pair of the carried versions
    # The versions that may be decisions (reviewed states, several parents): few, kept for the import's gate.
    judged: Mapping[str, Judged] = field(default_factory=dict)
    roster: bytes | None = None  # the signed roster the exporter held, checked by the import

    def chunks(self, size: int = 10_000, max_bytes: int = 32 << 20) -> Iterator[list[Version]]:
        """The versions in lists of at most ``size`` versions or about ``max_bytes`` of payload."""
        chunk: list[Version] = []
        held = 0
        for version in stream_versions(self.file):
            chunk.append(version)
            held += len(version.payload)
            if len(chunk) >= size or held >= max_bytes:
                yield chunk
                chunk = []
                held = 0
        if chunk:
            yield chunk

    @property
    def versions(self) -> list[Version]:
        """Every version at once: for small bundles and tests only."""
        return [version for chunk in self.chunks() for version in chunk]


def verify_bundle(
    path: Path,
    progress: Callable[[int, int], bool] | None = None,
    *,
    theatre: Theatre | None = None,
    keys: Sequence[X25519PrivateKey] = (),
) -> VerifiedBundle:
    """Read and verify ``path``; a BundleError names the file and the first fault found.

    The file signature is checked over the raw bytes first (:func:`read_bundle_file`), then the
    versions stream through once: hashes, chain links, signed heads, and with a ``theatre`` the
    validation a form applies (:func:`db.model.payload_check.validate_payload`), because a signature
    says which laptop wrote a version, not that its software checked it. ``progress(done,
    total)`` is called every few thousand versions; returning False stops with
    :class:`BundleCancelled`. A sealed bundle is opened with one of ``keys`` (:mod:`db.exchange.sealed`).
    """
    raw = read_bundle_file(path, keys)
    manifest = raw.manifest
    exporter = _device(manifest.get("exporter"), path, runs_required=False)
    devices = _devices(manifest, path)
    authors = _authors(manifest.get("monitors", []), path)
    declared = _files_entry(raw).get("versions")
    if type(declared) is not int or declared < 0:
        raise BundleError(f"{path}: the manifest does not say how many versions it carries")
    walk = _ChainWalk(devices, path, theatre)
    count = 0
    for version in stream_versions(raw):
        walk.check(version)
        count += 1
        if progress is not None and count % _PROGRESS_EVERY == 0 and not progress(count, max(declared, count)):
            raise BundleCancelled(f"{path}: cancelled before it was verified")
    if declared != count:
        raise BundleError(f"{path}: the manifest announces {declared} versions, {VERSIONS} holds {count}")
    walk.finish()
    if progress is not None and not progress(count, count):
        raise BundleCancelled(f"{path}: cancelled before it was verified")
    created = str(manifest.get("created_at", ""))
    return VerifiedBundle(
        path,
        raw.sha256,
        created,
        exporter,
        devices,
        authors,
        count,
        raw,
        frozenset(walk.authorship),
        walk.judged,
        _roster(manifest.get("roster"), path),
    )


def _roster(value: object, path: Path) -> bytes | None:
    """The roster text a manifest carries (optional); its signature is the import's to check."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_ROSTER_BYTES:
        raise BundleError(f"{path}: the manifest's roster is not a signed roster")
    return value.encode("utf-8")


def _files_entry(raw: BundleFile) -> dict[str, Any]:
    entry = raw.manifest["files"][VERSIONS]
    return entry if isinstance(entry, dict) else {}


def _text(value: object, what: str, path: Path, *, empty: bool = False) -> str:
    """One line of text without control characters (an id, a label, a hash), at most 200 characters."""
    if not isinstance(value, str) or (not value and not empty) or len(value) > 200 or _CONTROL.search(value):
        raise BundleError(f"{path}: the manifest's {escaped(what)} is missing or not valid text")
    return value


def _seq(value: object, what: str, path: Path) -> int:
    if type(value) is not int or not 1 <= value <= MAX_SEQUENCE:
        raise BundleError(f"{path}: the manifest's {what} is not a sequence number")
    return value


def _device(entry: object, path: Path, *, runs_required: bool = True) -> DeviceEntry:
    if not isinstance(entry, dict):
        raise BundleError(f"{path}: the manifest's device entry is not an object")
    device_id = _text(entry.get("device_id"), "device id", path)
    public_key = _text(entry.get("public_key"), f"public key of device {device_id}", path)
    if len(unb64(public_key, f"the public key of device {device_id}", path)) != 32:
        raise BundleError(f"{path}: the public key of device {device_id} is not an Ed25519 key")
    label = _text(entry.get("label", ""), f"label of device {device_id}", path, empty=True)
    runs: list[Run] = []
    for item in entry.get("runs", []) if runs_required else []:
        if not isinstance(item, dict):
            raise BundleError(f"{path}: device {device_id}: a run is not an object")
        first = _seq(item.get("seq_from"), f"run start of device {device_id}", path)
        last = _seq(item.get("seq_to"), f"run end of device {device_id}", path)
        previous = _text(item.get("previous_chain"), f"previous chain of device {device_id}", path)
        chain = _text(item.get("chain_sha256"), f"chain head of device {device_id}", path)
        if not (_HEX64.fullmatch(previous) and _HEX64.fullmatch(chain)) or last < first:
            raise BundleError(f"{path}: device {device_id}: run {first}–{last} is malformed")
        if runs and first <= runs[-1].seq_to + 1:
            raise BundleError(f"{path}: device {device_id}: runs overlap or touch ({first} after {runs[-1].seq_to})")
        signature = unb64(item.get("signature"), f"the chain head signature of device {device_id}", path)
        runs.append(Run(first, last, previous, SignedHead(device_id, last, chain, signature)))
    if runs_required and not runs:
        raise BundleError(f"{path}: device {device_id} is listed without any versions")
    if runs and (entry.get("seq_from"), entry.get("seq_to")) != (runs[0].seq_from, runs[-1].seq_to):
        raise BundleError(f"{path}: device {device_id}: its sequence range does not match its runs")
    return DeviceEntry(device_id, label, public_key, tuple(runs))


def _devices(manifest: dict[str, Any], path: Path) -> tuple[DeviceEntry, ...]:
    entries = manifest.get("devices")
    if not isinstance(entries, list):
        raise BundleError(f"{path}: the manifest does not list the devices whose versions it carries")
    devices = tuple(_device(entry, path) for entry in entries)
    ids = [d.device_id for d in devices]
    if len(set(ids)) != len(ids):
        raise BundleError(f"{path}: the manifest lists a device twice")
    return devices


def _authors(entries: object, path: Path) -> tuple[AuthorEntry, ...]:
    if not isinstance(entries, list):
        raise BundleError(f"{path}: the manifest's monitors are not a list")
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise BundleError(f"{path}: a monitor in the manifest is not an object")
        monitor_id = _text(entry.get("monitor_id"), "monitor id", path)
        name, callsign, role = entry.get("name"), entry.get("callsign"), entry.get("role")
        try:
            # The same checks as a profile typed on this laptop.
            checked = checked_monitor(name, callsign, role)  # type: ignore[arg-type]
        except (ValidationError, TypeError) as error:
            why = error.problems[0] if isinstance(error, ValidationError) else "a field is not text"
            raise BundleError(f"{path}: monitor {escaped(monitor_id)} in the manifest: {why}") from None
        if checked != (name, callsign):
            raise BundleError(f"{path}: monitor {escaped(monitor_id)} in the manifest: its name is not in stored form")
        device_id = _text(entry.get("device_id", ""), f"device of monitor {monitor_id}", path, empty=True)
        signature = _text(entry.get("signature", ""), f"signature of monitor {monitor_id}", path, empty=True)
        out.append(AuthorEntry(monitor_id, checked[0], checked[1], str(role), device_id, signature))
    return tuple(out)


class _ChainWalk:
    """Follows each device's runs while versions stream past, holding one position per device.

    Versions of a device must come in sequence order (as every export writes them); each must
    link to the one before it, each run must reach the head its device signed, and nothing may
    lie outside the runs.
    """

    def __init__(self, devices: tuple[DeviceEntry, ...], path: Path, theatre: Theatre | None) -> None:
        self.path = path
        self.theatre = theatre
        self.now = datetime.now(UTC)
        self.devices = {d.device_id: d for d in devices}
        self.keys = {d.device_id: unb64(d.public_key, f"the public key of device {d.device_id}", path) for d in devices}
        # device id -> [index of its current run, next sequence number expected, previous chain hash]
        self.position: dict[str, list[Any]] = {}
        self.seen: set[str] = set()
        self.authorship: set[tuple[str, str]] = set()
        self.judged: dict[str, Judged] = {}
        for device in devices:
            self._start_run(device, 0)

    def _start_run(self, device: DeviceEntry, index: int) -> None:
        run = device.runs[index]
        if run.seq_from == 1 and run.previous_chain != GENESIS_CHAIN:
            raise BundleError(f"{self.path}: device {device.name}: version 1 does not start the chain")
        self.position[device.device_id] = [index, run.seq_from, run.previous_chain]

    def _end_run(self, device: DeviceEntry, index: int, previous: str) -> None:
        run = device.runs[index]
        if previous != run.head.chain_sha256:
            raise BundleError(
                f"{self.path}: device {device.name}: the chain does not reach its signed head {run.seq_to}"
            )
        if not head_is_valid(self.keys[device.device_id], run.head):
            raise BundleError(
                f"{self.path}: device {device.name}: the signature of chain head {run.seq_to} does not match the "
                "device's key"
            )

    def check(self, version: Version) -> None:
        path = self.path
        device = self.devices.get(version.device_id)
        if device is None:
            raise BundleError(f"{path}: version {version.version_id} is from device {version.device_id}, not listed")
        if version.version_id in self.seen:
            raise BundleError(f"{path}: device {device.device_id} version {version.device_seq} appears twice")
        self.seen.add(version.version_id)
        self.authorship.add((version.author_id, version.device_id))
        index, expected, previous = self.position[device.device_id]
        run = device.runs[index]
        if expected > run.seq_to and version.device_seq >= expected:
            self._end_run(device, index, previous)
            if index + 1 == len(device.runs):
                raise BundleError(f"{path}: device {device.name}: versions outside its signed runs")
            self._start_run(device, index + 1)
            index, expected, previous = self.position[device.device_id]
            run = device.runs[index]
        if version.device_seq < expected:
            raise BundleError(f"{path}: device {device.device_id} version {version.device_seq} appears twice")
        if version.device_seq > expected:
            if expected <= run.seq_to:
                raise BundleError(
                    f"{path}: device {device.name}: version {expected} is missing from the middle of a signed run "
                    f"({run.seq_from}–{run.seq_to})"
                )
            raise BundleError(f"{path}: device {device.name}: versions outside its signed runs")
        wrong, incident = check_version(version, previous)
        where = f"{path}: device {device.name}, version {version.device_seq} ({version.version_id})"
        if wrong or incident is None:
            raise BundleError(f"{where}: {'; '.join(wrong)}")
        if self.theatre is not None:
            self._validate(version, incident, where)
        if needs_judging(incident.verification_state, version.parent_ids):
            self.judged[version.version_id] = Judged(
                incident.verification_state,
                version.author_id,
                version.device_id,
                version.device_seq,
                version.parent_ids,
            )
        self.position[device.device_id] = [index, expected + 1, version.chain_sha256]

    def _validate(self, version: Version, incident: Incident, where: str) -> None:
        """The version as the form would have it: fields, ranges, zones of this theatre, its reason."""
        assert self.theatre is not None
        try:
            validate_payload(incident.to_payload(), theatre=self.theatre, now=self.now)
            if version.reason is not None and validate_reason(version.reason) != version.reason:
                raise ValidationError([FieldProblem("reason", "is not in the form Truceline stores it")])
        except ValidationError as error:
            problem = error.problems[0]
            raise BundleError(
                f"{where}: field {problem.field} {problem.reason}; nothing from this bundle was applied"
            ) from None

    def finish(self) -> None:
        """Every run of every device was walked to its signed head."""
        for device_id, (index, expected, previous) in self.position.items():
            device = self.devices[device_id]
            run = device.runs[index]
            if expected <= run.seq_to or index + 1 < len(device.runs):
                missing = expected if expected <= run.seq_to else device.runs[index + 1].seq_from
                raise BundleError(
                    f"{self.path}: device {device.name}: version {missing} is missing from the middle of a signed run "
                    f"({run.seq_from}–{run.seq_to})"
                )
            self._end_run(device, index, previous)
