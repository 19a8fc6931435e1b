"""The exchange bundle as a file: a zip of a signed manifest and JSON Lines of versions (ARCHITECTURE.md §7).

A bundle arrives on a USB stick from a laptop nobody here controls, so it is read as hostile:
the file size, the member names (exactly the three expected, no paths), each member's declared
and actual uncompressed size and its compression ratio are checked before anything is
decompressed into memory, and reading stops at the declared size. Everything about what the
versions mean (signatures, hashes, chains) is :mod:`db.bundle_verify`'s job; this module only
turns bytes into checked Python values and back.

Layout::

    manifest.json    canonical JSON: format, exporter, devices and their signed runs, file hashes
    versions.jsonl   one version per line, every column of incident_versions
    (zip comment)    the exporter's Ed25519 signature, in hex, of the SHA-256 of every byte before it

The signature sits in the archive comment, the last bytes of the file, so that it covers every
other byte of the file, zip headers included: flipping any byte of a bundle makes it refused,
not just the bytes that hold versions.
"""

import base64
import binascii
import hashlib
import json
import os
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.atomic_file import why_not_written
from db.errors import TrucelineError
from db.hashing import canonical_json, sha256_hex
from db.versions import VERSION_COLUMNS, Version

FORMAT = "truceline-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VERSIONS = "versions.jsonl"
MEMBERS = (MANIFEST, VERSIONS)
SIGNATURE_CHARS = 128  # an Ed25519 signature (64 bytes) in hex
FILE_KIND = "truceline-bundle-file"

# Caps: far above a mission's real bundles (a version is ~1.5 kB: 2 GiB holds ~1.4 million), and
# below what would exhaust a laptop. A zip bomb declares huge sizes or a huge ratio; both refused.
MAX_BUNDLE_BYTES = 2 << 30
MAX_MEMBER_BYTES = {MANIFEST: 64 << 20, VERSIONS: 2 << 30}
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1 << 20  # tiny members may compress well without being a bomb
_CHUNK = 1 << 20
# A fixed member time: the same content gives the same bytes, whenever it is exported.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_HEX_SIGNATURE = re.compile(rb"[0-9a-f]{%d}" % SIGNATURE_CHARS)


class BundleError(TrucelineError):
    """A bundle was refused; nothing from it was applied. The message names the file and the fault."""


@dataclass(frozen=True)
class BundleFile:
    """The checked contents of a bundle file, not yet verified cryptographically."""

    path: Path
    sha256: str
    signed_sha256: str  # of every byte before the signature
    manifest: dict[str, Any]
    signature: bytes
    versions_bytes: bytes


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, what: str, path: Path) -> bytes:
    if not isinstance(text, str):
        raise BundleError(f"{path}: {what} is missing or not text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BundleError(f"{path}: {what} is not valid base64") from None


def version_line(version: Version) -> bytes:
    """One JSON Lines record: every column, ``parent_ids`` as a list, the payload text unchanged."""
    record = dict(zip(VERSION_COLUMNS, version.as_row(), strict=True))
    record["parent_ids"] = list(version.parent_ids)
    return canonical_json(record) + b"\n"


def parse_versions(data: bytes, path: Path) -> list[Version]:
    """Every line of versions.jsonl as a Version, or a BundleError naming the first bad line."""
    out: list[Version] = []
    expected = set(VERSION_COLUMNS)
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise BundleError(f"{path}: {VERSIONS} line {number} is not JSON ({error})") from None
        if type(record) is not dict or record.keys() != expected:
            raise BundleError(f"{path}: {VERSIONS} line {number} does not hold exactly the columns of a version")
        parents = record["parent_ids"]
        seq = record["device_seq"]
        reason = record["reason"]
        # One combined test on the fast path; the slow path below names the column at fault.
        if not (
            type(parents) is list
            and type(seq) is int
            and seq >= 1
            and (reason is None or type(reason) is str)
            and all(type(record[name]) is str for name in _TEXT_COLUMNS)
            and all(type(parent) is str for parent in parents)
        ):
            raise BundleError(f"{path}: {VERSIONS} line {number}: {_wrong_column(record)} has the wrong type")
        record["parent_ids"] = tuple(parents)
        out.append(Version(*[record[name] for name in VERSION_COLUMNS]))
    return out


_TEXT_COLUMNS = tuple(name for name in VERSION_COLUMNS if name not in ("parent_ids", "device_seq", "reason"))


def _wrong_column(record: dict[str, Any]) -> str:
    parents = record["parent_ids"]
    if type(parents) is not list or not all(type(parent) is str for parent in parents):
        return "parent_ids"
    if type(record["device_seq"]) is not int or record["device_seq"] < 1:
        return "device_seq"
    if not (record["reason"] is None or type(record["reason"]) is str):
        return "reason"
    return next(name for name in _TEXT_COLUMNS if type(record[name]) is not str)


def file_statement(signed_sha256: str) -> bytes:
    """The bytes the exporter signs: the SHA-256 of the whole file up to the signature."""
    return canonical_json({"kind": FILE_KIND, "sha256": signed_sha256})


def write_bundle_file(out: Path, manifest_bytes: bytes, versions_bytes: bytes, sign: Callable[[bytes], bytes]) -> str:
    """Write the zip to a temporary file beside ``out``, sign it, flush it to disk, rename it; return its SHA-256.

    A failure at any point leaves no file under the final name (and no temporary file).
    """
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".part", delete=False)
    except OSError as error:
        raise BundleError(f"{out}: the bundle cannot be written there: {error.strerror or error}") from error
    temp = Path(handle.name)
    try:
        with handle:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
                for name, data in ((MANIFEST, manifest_bytes), (VERSIONS, versions_bytes)):
                    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    archive.writestr(info, data)
                # A placeholder of the signature's length, so the end record says how long it is.
                archive.comment = b"0" * SIGNATURE_CHARS
        signed, _whole = _digests(temp)
        with temp.open("r+b") as patch:
            patch.seek(-SIGNATURE_CHARS, os.SEEK_END)
            patch.write(sign(file_statement(signed)).hex().encode("ascii"))
            patch.flush()
            os.fsync(patch.fileno())
        os.replace(temp, out)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            why = why_not_written(error)
            raise BundleError(f"{out}: the bundle could not be written ({why}); no file was left there") from error
        raise
    return file_sha256(out)


def file_sha256(path: Path) -> str:
    return _digests(path)[1]


def _digests(path: Path) -> tuple[str, str]:
    """SHA-256 of the file without its last SIGNATURE_CHARS bytes, and of the whole file."""
    size = path.stat().st_size
    signed = hashlib.sha256()
    whole = hashlib.sha256()
    with path.open("rb") as handle:
        position = 0
        while chunk := handle.read(_CHUNK):
            whole.update(chunk)
            signed.update(chunk[: max(0, size - SIGNATURE_CHARS - position)])
            position += len(chunk)
    return signed.hexdigest(), whole.hexdigest()


def read_bundle_file(path: Path) -> BundleFile:
    """Open ``path`` as a bundle, refusing anything unsafe before decompressing it."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise BundleError(f"{path}: cannot read the bundle: {error.strerror}") from None
    if size > MAX_BUNDLE_BYTES:
        raise BundleError(f"{path}: the bundle is {size:,} bytes, more than the {MAX_BUNDLE_BYTES:,} allowed")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_members(infos, path, size)
            data = {info.filename: _read_member(archive, info, path) for info in infos}
            comment = archive.comment
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, struct.error) as error:
        # A damaged or crafted archive fails in many ways inside zipfile; all mean the same here.
        raise BundleError(f"{path}: not a Truceline bundle, or a damaged one (unreadable zip: {error})") from None
    except OSError as error:
        raise BundleError(f"{path}: cannot read the bundle: {error}") from None
    manifest = _parse_manifest(data[MANIFEST], path)
    with path.open("rb") as handle:
        handle.seek(-min(size, SIGNATURE_CHARS), os.SEEK_END)
        tail = handle.read()
    if comment != tail or not _HEX_SIGNATURE.fullmatch(tail):
        raise BundleError(f"{path}: the bundle's signature is missing or damaged (it must end the file)")
    signature = bytes.fromhex(tail.decode("ascii"))
    files = manifest.get("files")
    entry = files.get(VERSIONS) if isinstance(files, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        raise BundleError(f"{path}: the manifest does not give the SHA-256 of {VERSIONS}")
    if sha256_hex(data[VERSIONS]) != entry["sha256"]:
        raise BundleError(f"{path}: {VERSIONS} does not match the SHA-256 in the manifest (changed or damaged)")
    signed, whole = _digests(path)
    return BundleFile(path, whole, signed, manifest, signature, data[VERSIONS])


def _check_members(infos: Sequence[zipfile.ZipInfo], path: Path, size: int) -> None:
    names = [info.filename for info in infos]
    for name in names:
        if name not in MEMBERS:
            shown = name if len(name) < 80 else name[:80] + "…"
            raise BundleError(f"{path}: unexpected member {shown!r} (a bundle holds only {', '.join(MEMBERS)})")
    if sorted(names) != sorted(MEMBERS):
        missing = [m for m in MEMBERS if m not in names]
        what = f"lacks {', '.join(missing)}" if missing else "holds a member twice"
        raise BundleError(f"{path}: the bundle {what}")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise BundleError(f"{path}: {info.filename} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BundleError(f"{path}: {info.filename} uses an unsupported compression method")
        cap = MAX_MEMBER_BYTES[info.filename]
        if info.file_size > cap:
            raise BundleError(f"{path}: {info.filename} declares {info.file_size:,} bytes, more than {cap:,} allowed")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise BundleError(
                f"{path}: {info.filename} expands {info.file_size / max(info.compress_size, 1):,.0f} times "
                f"(more than {MAX_RATIO}): refused as a zip bomb"
            )
        total += info.file_size
    if total > sum(MAX_MEMBER_BYTES.values()):
        raise BundleError(f"{path}: the bundle declares {total:,} bytes uncompressed, too many")
    # The ratio is only worth checking if the compressed sizes are true: they cannot exceed the file.
    if sum(info.compress_size for info in infos) > size:
        raise BundleError(f"{path}: the bundle declares more compressed bytes than the file holds (forged header)")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """The member's bytes, never more than it declared (a lying header is a zip bomb)."""
    parts: list[bytes] = []
    read = 0
    with archive.open(info) as member:
        while chunk := member.read(min(_CHUNK, info.file_size - read + 1)):
            read += len(chunk)
            if read > info.file_size:
                raise BundleError(f"{path}: {info.filename} holds more than the {info.file_size:,} bytes it declares")
            parts.append(chunk)
    if read != info.file_size:
        raise BundleError(f"{path}: {info.filename} is shorter than it declares (truncated)")
    return b"".join(parts)


def _parse_manifest(data: bytes, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError as error:
        raise BundleError(f"{path}: {MANIFEST} is not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{path}: not a Truceline bundle ({MANIFEST} does not say {FORMAT})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(
            f"{path}: bundle format version {manifest.get('format_version')!r} is not {FORMAT_VERSION}; "
            "update Truceline on this laptop or the one that exported it"
        )
    return manifest
