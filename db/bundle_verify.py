"""Verifying a bundle on its own: the exporter's signature, every hash, every chain link, every signed head.

Nothing here reads the database: a bundle that passes is internally consistent and signed by the
keys it names. Whether those keys are the ones this laptop already knows, and whether the
versions agree with the ones it holds, is checked by :mod:`db.bundle_import` before anything is
written. Export re-reads its own file through :func:`verify_bundle` too, so a bundle that would
be refused never leaves the laptop.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from db.bundle_chain import SignedHead, head_is_valid, signature_is_valid
from db.bundle_file import (
    MAX_SEQUENCE,
    VERSIONS,
    BundleError,
    BundleFile,
    file_statement,
    parse_versions,
    read_bundle_file,
    unb64,
)
from db.errors import FieldProblem, TrucelineError, ValidationError
from db.hashing import GENESIS_CHAIN
from db.incident import Incident
from db.integrity import check_version
from db.monitors import checked_monitor
from db.payload_check import validate_payload
from db.theatre import Theatre
from db.untrusted_text import escaped
from db.validation import validate_reason
from db.versions import Version

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


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle whose signatures, hashes and chains all hold; versions ordered by device and sequence."""

    path: Path
    sha256: str
    created_at: str
    exporter: DeviceEntry
    devices: tuple[DeviceEntry, ...]
    authors: tuple[AuthorEntry, ...]
    versions: tuple[Version, ...]
    contents: dict[str, Incident]  # each version's incident, by version id, as read while verifying


def verify_bundle(
    path: Path, progress: Callable[[int, int], bool] | None = None, *, theatre: Theatre | None = None
) -> VerifiedBundle:
    """Read and verify ``path``; a BundleError names the file and the first fault found.

    With a ``theatre``, every version's payload and reason must also pass the validation a form
    applies (:func:`db.payload_check.validate_payload`): a signature says which laptop wrote a
    version, not that its software checked it. ``progress(done, total)`` is called every few
    thousand versions; returning False stops with :class:`BundleCancelled`.
    """
    raw = read_bundle_file(path)
    manifest = raw.manifest
    exporter = _device(manifest.get("exporter"), path, runs_required=False)
    exporter_key = unb64(exporter.public_key, "the exporter's key", path)
    if not signature_is_valid(exporter_key, raw.signature, file_statement(raw.signed_sha256)):
        raise BundleError(
            f"{path}: the bundle's signature does not match the exporting device's key: it was changed or damaged "
            "after it was exported"
        )
    devices = _devices(manifest, path)
    versions = parse_versions(raw.versions_bytes, path)
    declared = _files_entry(raw).get("versions")
    if declared != len(versions):
        raise BundleError(f"{path}: the manifest announces {declared} versions, {VERSIONS} holds {len(versions)}")
    contents = _verify_chains(devices, versions, path, progress)
    if theatre is not None:
        _validate_contents(devices, versions, contents, theatre, path)
    return VerifiedBundle(
        path,
        raw.sha256,
        str(manifest.get("created_at", "")),
        exporter,
        devices,
        _authors(manifest.get("monitors", []), path),
        tuple(sorted(versions, key=lambda v: (v.device_id, v.device_seq))),
        contents,
    )


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
        out.append(AuthorEntry(monitor_id, checked[0], checked[1], str(role)))
    return tuple(out)


def _verify_chains(
    devices: tuple[DeviceEntry, ...],
    versions: list[Version],
    path: Path,
    progress: Callable[[int, int], bool] | None,
) -> dict[str, Incident]:
    """Every version belongs to a run of its device; every link and every signed head holds."""
    contents: dict[str, Incident] = {}
    by_device: dict[str, dict[int, Version]] = {d.device_id: {} for d in devices}
    seen_ids: set[str] = set()
    for version in versions:
        held = by_device.get(version.device_id)
        if held is None:
            raise BundleError(f"{path}: version {version.version_id} is from device {version.device_id}, not listed")
        if version.device_seq in held or version.version_id in seen_ids:
            raise BundleError(f"{path}: device {version.device_id} version {version.device_seq} appears twice")
        held[version.device_seq] = version
        seen_ids.add(version.version_id)
    checked = 0
    for device in devices:
        held = by_device[device.device_id]
        key = unb64(device.public_key, f"the public key of device {device.device_id}", path)
        carried = 0
        for run in device.runs:
            if run.seq_from == 1 and run.previous_chain != GENESIS_CHAIN:
                raise BundleError(f"{path}: device {device.name}: version 1 does not start the chain")
            previous = run.previous_chain
            for seq in range(run.seq_from, run.seq_to + 1):
                found = held.get(seq)
                if found is None:
                    raise BundleError(
                        f"{path}: device {device.name}: version {seq} is missing from the middle of a signed run "
                        f"({run.seq_from}–{run.seq_to})"
                    )
                wrong, incident = check_version(found, previous)
                if wrong or incident is None:
                    raise BundleError(
                        f"{path}: device {device.name}, version {seq} ({found.version_id}): {'; '.join(wrong)}"
                    )
                previous = found.chain_sha256
                contents[found.version_id] = incident
                carried += 1
                checked += 1
                stop = progress is not None and checked % _PROGRESS_EVERY == 0 and not progress(checked, len(versions))
                if stop:
                    raise BundleCancelled(f"{path}: cancelled before it was verified")
            if previous != run.head.chain_sha256:
                raise BundleError(
                    f"{path}: device {device.name}: the chain does not reach its signed head {run.seq_to}"
                )
            if not head_is_valid(key, run.head):
                raise BundleError(
                    f"{path}: device {device.name}: the signature of chain head {run.seq_to} does not match the "
                    "device's key"
                )
        if carried != len(held):
            raise BundleError(f"{path}: device {device.name}: versions outside its signed runs")
    if progress is not None and not progress(checked, len(versions)):
        raise BundleCancelled(f"{path}: cancelled before it was verified")
    return contents


def _validate_contents(
    devices: tuple[DeviceEntry, ...],
    versions: list[Version],
    contents: dict[str, Incident],
    theatre: Theatre,
    path: Path,
) -> None:
    """Every version as the form would have it: fields, ranges, zones of this theatre, its reason."""
    names = {d.device_id: d.name for d in devices}
    now = datetime.now(UTC)
    for version in versions:
        try:
            validate_payload(contents[version.version_id].to_payload(), theatre=theatre, now=now)
            if version.reason is not None and validate_reason(version.reason) != version.reason:
                raise ValidationError([FieldProblem("reason", "is not in the form Truceline stores it")])
        except ValidationError as error:
            problem = error.problems[0]
            raise BundleError(
                f"{path}: device {names[version.device_id]}, version {version.device_seq} ({version.version_id}): "
                f"field {problem.field} {problem.reason}; nothing from this bundle was applied"
            ) from None
