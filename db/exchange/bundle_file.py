"""The exchange bundle as a file: a zip of a signed manifest and JSON Lines of versions (ARCHITECTURE.md §7).

A bundle arrives on a USB stick from a laptop nobody here controls, so it is read as hostile:
first the signature over the file's raw bytes (nothing is inflated or parsed before it holds),
then the member names (exactly the two expected, no paths), each member's declared and actual
uncompressed size and its compression ratio, and reading stops at the declared size. The
versions are read streaming by :mod:`db.exchange.lines`; what they mean (hashes, chains, signed
heads, valid fields) is :mod:`db.exchange.verify`'s job.

Layout::

    manifest.json    canonical JSON: format, exporter, devices and their signed runs, file hashes
    versions.jsonl   one version per line, every column of incident_versions
    (zip comment)    the exporter's Ed25519 public key, then its signature of the SHA-256 of every
                     byte before the signature (the key included), both in hex

The signature sits in the archive comment, the last bytes of the file, so that it covers every
other byte of the file, zip headers included: flipping any byte of a bundle makes it refused,
not just the bytes that hold versions. The key beside it lets the signature be checked before
the archive is opened (format 2; format 1 kept only the signature).

A sealed bundle (:mod:`db.exchange.sealed`) is this same file, encrypted whole: it is written
through the sealing stream (never in plain on the disk) and read back through the unsealing one,
so every check here holds for it unchanged.
"""

import base64
import binascii
import hashlib
import os
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from db.core.atomic_file import mark_in_use, remove_abandoned_beside, why_not_written
from db.core.errors import TrucelineError
from db.core.hashing import canonical_json
from db.exchange.sealed import Recipient, SealError, SealingWriter, is_sealed, open_bundle_bytes
from db.model.payload_check import load_capped_json
from db.storage.versions import VERSION_COLUMNS, Version

FORMAT = "truceline-bundle"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
VERSIONS = "versions.jsonl"
MEMBERS = (MANIFEST, VERSIONS)
KEY_CHARS = 64  # the exporter's Ed25519 public key (32 bytes) in hex
SIGNATURE_CHARS = 128  # an Ed25519 signature (64 bytes) in hex
TAIL_CHARS = KEY_CHARS + SIGNATURE_CHARS  # the archive comment: key, then signature
FILE_KIND = "truceline-bundle-file"

# Caps: far above a mission's real bundles (a version is ~1.5 kB: 2 GiB holds ~1.4 million), and
# below what would exhaust a laptop. A zip bomb declares huge sizes or a huge ratio; both refused.
MAX_BUNDLE_BYTES = 2 << 30
MAX_MEMBER_BYTES = {MANIFEST: 16 << 20, VERSIONS: 2 << 30}
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1 << 20  # tiny members may compress well without being a bomb
MAX_MANIFEST_DEPTH = 8
_CHUNK = 1 << 20
# A fixed member time: the same content gives the same bytes, whenever it is exported.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_HEX_TAIL = re.compile(rb"[0-9a-f]{%d}" % TAIL_CHARS)
_EOCD = struct.Struct("<4s4H2LH")  # zip end of central directory record, before its comment
_EOCD_MAGIC = b"PK\x05\x06"


class BundleError(TrucelineError):
    """A bundle was refused; nothing from it was applied. The message names the file and the fault."""


@dataclass(frozen=True)
class BundleFile:
    """A bundle whose file signature holds and whose manifest was read; its versions are read on demand.

    The signature is verified over the raw bytes before anything is inflated or parsed, with the
    key the file names at its end; whether that key may speak for its device is for the import
    to decide.
    """

    path: Path
    sha256: str
    signed_sha256: str  # of every byte before the signature
    manifest: dict[str, Any]
    public_key: bytes
    versions_sha256: str
    versions_declared: int
    keys: tuple[X25519PrivateKey, ...] = ()  # what opened it, if it is sealed: its versions are read again
    sealed: bool = False

    def open(self) -> BinaryIO:
        """The bundle's bytes again (unsealed as they are read, if it is sealed)."""
        return open_bundle_bytes(self.path, self.keys)


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


def _write_member(
    archive: zipfile.ZipFile, name: str, data: bytes, progress: Callable[[int, int], None] | None
) -> None:
    """One compressed member, written a chunk at a time so that a long write can report how far it got."""
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.file_size = len(data)  # known in advance: zipfile decides on ZIP64 from it
    with archive.open(info, "w") as member:
        for start in range(0, len(data), _CHUNK):
            member.write(data[start : start + _CHUNK])
            if progress is not None:
                progress(min(start + _CHUNK, len(data)), len(data))


def file_statement(signed_sha256: str) -> bytes:
    """The bytes the exporter signs: the SHA-256 of the whole file up to the signature."""
    return canonical_json({"kind": FILE_KIND, "sha256": signed_sha256})


def write_bundle_file(
    out: Path,
    manifest_bytes: bytes,
    versions_bytes: bytes,
    key: Ed25519PrivateKey,
    progress: Callable[[int, int], None] | None = None,
    seal_to: Sequence[Recipient] = (),
) -> str:
    """Write the zip to a temporary file beside ``out``, sign it, flush it to disk, rename it; return its SHA-256.

    With ``seal_to`` the zip is sealed for those recipients as it is written (the SHA-256 is then
    the zip's, inside the seal: the same content sealed twice keeps one identity).

    ``progress(done, total)`` follows the compression of the versions, a chunk at a time (an
    exception it raises, such as a cancellation, stops the write like any failure). A failure at
    any point leaves no file under the final name (and no temporary file).
    """
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned_beside(out)  # what an export of this file that was killed left
        handle = tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".part", delete=False)
        mark_in_use(handle.fileno())
    except OSError as error:
        raise BundleError(f"{out}: the bundle cannot be written there: {error.strerror or error}") from error
    temp = Path(handle.name)
    whole = ""
    try:
        with handle:
            if seal_to:
                whole = _write_sealed(handle, (manifest_bytes, versions_bytes), key, public, progress, seal_to)
            else:
                _write_zip(handle, (manifest_bytes, versions_bytes), public, progress)
        if not seal_to:
            with temp.open("r+b") as patch:
                signed, _whole = _digests(patch, os.fstat(patch.fileno()).st_size)
                patch.seek(-SIGNATURE_CHARS, os.SEEK_END)
                patch.write(key.sign(file_statement(signed)).hex().encode("ascii"))
                patch.flush()
                os.fsync(patch.fileno())
        os.replace(temp, out)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            why = why_not_written(error)
            raise BundleError(f"{out}: the bundle could not be written ({why}); no file was left there") from error
        raise
    if whole:
        return whole
    with out.open("rb") as written:
        return _digests(written, os.fstat(written.fileno()).st_size)[1]


def _write_zip(
    sink: IO[bytes],
    members: tuple[bytes, bytes],
    public: bytes,
    progress: Callable[[int, int], None] | None,
) -> None:
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, data in zip(MEMBERS, members, strict=True):
            _write_member(archive, name, data, progress if name == VERSIONS else None)
        # The key, then a placeholder of the signature's length: the key is signed too.
        archive.comment = public.hex().encode("ascii") + b"0" * SIGNATURE_CHARS


def _write_sealed(
    handle: IO[bytes],
    members: tuple[bytes, bytes],
    key: Ed25519PrivateKey,
    public: bytes,
    progress: Callable[[int, int], None] | None,
    seal_to: Sequence[Recipient],
) -> str:
    """The zip streamed into the seal; its signature is made as the last bytes arrive. Returns the zip's SHA-256."""
    sealer = SealingWriter(handle, seal_to)
    tail = _SignedTail(sealer, key)
    _write_zip(cast(IO[bytes], tail), members, public, progress)
    whole = tail.finish()
    sealer.finish()
    handle.flush()
    os.fsync(handle.fileno())
    return whole


class _SignedTail:
    """A write-only stream that signs what passes through it, for a zip written where it cannot be patched.

    It holds back the last SIGNATURE_CHARS bytes (at the end, the zip comment's placeholder), so
    that :meth:`finish` can put the signature of everything before them in their place.
    """

    def __init__(self, sink: SealingWriter, key: Ed25519PrivateKey) -> None:
        self._sink = sink
        self._key = key
        self._held = b""
        self._signed = hashlib.sha256()
        self._whole = hashlib.sha256()
        self._count = 0

    def write(self, data: bytes) -> int:
        self._count += len(data)
        held = self._held + bytes(data)
        passed, self._held = held[:-SIGNATURE_CHARS], held[-SIGNATURE_CHARS:]
        if passed:
            self._signed.update(passed)
            self._whole.update(passed)
            self._sink.write(passed)
        return len(data)

    def tell(self) -> int:
        return self._count

    def flush(self) -> None:
        """Nothing to flush: the sink is flushed once, when the seal is finished."""

    def finish(self) -> str:
        if self._held != b"0" * SIGNATURE_CHARS:
            raise BundleError("the zip did not end with the signature's placeholder")  # a bug, never input
        signature = self._key.sign(file_statement(self._signed.hexdigest())).hex().encode("ascii")
        self._whole.update(signature)
        self._sink.write(signature)
        return self._whole.hexdigest()


def _digests(handle: BinaryIO, size: int) -> tuple[str, str]:
    """SHA-256 of the open file without its last SIGNATURE_CHARS bytes, and of the whole file."""
    signed = hashlib.sha256()
    whole = hashlib.sha256()
    handle.seek(0)
    position = 0
    while chunk := handle.read(_CHUNK):
        whole.update(chunk)
        signed.update(chunk[: max(0, size - SIGNATURE_CHARS - position)])
        position += len(chunk)
    return signed.hexdigest(), whole.hexdigest()


def read_bundle_file(path: Path, keys: Sequence[X25519PrivateKey] = ()) -> BundleFile:
    """Open ``path`` as a bundle: the signature over its raw bytes first, then the zip, then the manifest.

    Nothing is inflated or parsed before the signature holds, so an unsigned or altered file
    (a zip bomb among them) costs one read of its bytes and a few kilobytes of memory. A sealed
    bundle is opened with the first of ``keys`` it was sealed for, and read the same way.
    """
    try:
        if os.stat(path).st_size > MAX_BUNDLE_BYTES + (1 << 26):  # the seal adds 16 bytes in 64 KiB
            raise BundleError(f"{path}: the bundle is more than the {MAX_BUNDLE_BYTES:,} bytes allowed")
        with open_bundle_bytes(path, keys) as handle:
            size = handle.seek(0, os.SEEK_END)
            if size > MAX_BUNDLE_BYTES:
                raise BundleError(f"{path}: the bundle is {size:,} bytes, more than the {MAX_BUNDLE_BYTES:,} allowed")
            public_key = _signed_tail(handle, size, path)
            signed, whole = _digests(handle, size)
            handle.seek(size - SIGNATURE_CHARS)
            signature = bytes.fromhex(handle.read(SIGNATURE_CHARS).decode("ascii"))
            try:
                Ed25519PublicKey.from_public_bytes(public_key).verify(signature, file_statement(signed))
            except InvalidSignature:
                raise BundleError(
                    f"{path}: the bundle's signature does not match the key it names: it was changed or damaged "
                    "after it was exported, or never signed"
                ) from None
            with zipfile.ZipFile(handle) as archive:
                infos = archive.infolist()
                _check_members(infos, path, size)
                manifest_bytes = _read_member(archive, archive.getinfo(MANIFEST), path)
                declared = archive.getinfo(VERSIONS).file_size
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, struct.error) as error:
        # A damaged or crafted archive fails in many ways inside zipfile; all mean the same here.
        raise BundleError(f"{path}: not a Truceline bundle, or a damaged one (unreadable zip: {error})") from None
    except SealError as error:
        raise BundleError(f"{path}: {error}") from None
    except OSError as error:
        raise BundleError(f"{path}: cannot read the bundle: {error.strerror or error}") from None
    manifest = _parse_manifest(manifest_bytes, path)
    files = manifest.get("files")
    entry = files.get(VERSIONS) if isinstance(files, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        raise BundleError(f"{path}: the manifest does not give the SHA-256 of {VERSIONS}")
    exporter = manifest.get("exporter")
    named = exporter.get("public_key") if isinstance(exporter, dict) else None
    if unb64(named, "the exporter's key", path) != public_key:
        raise BundleError(f"{path}: the manifest names another exporter key than the one that signed the file")
    sealed = is_sealed(path)
    return BundleFile(path, whole, signed, manifest, public_key, entry["sha256"], declared, tuple(keys), sealed)


def _signed_tail(handle: BinaryIO, size: int, path: Path) -> bytes:
    """The exporter's public key from the archive comment, after checking the comment ends the file."""
    if size < _EOCD.size + TAIL_CHARS:
        raise BundleError(f"{path}: not a Truceline bundle (too short to hold a signature)")
    handle.seek(size - _EOCD.size - TAIL_CHARS)
    record = handle.read(_EOCD.size + TAIL_CHARS)
    *head, comment_length = _EOCD.unpack(record[: _EOCD.size])
    tail = record[_EOCD.size :]
    if head[0] != _EOCD_MAGIC or comment_length != TAIL_CHARS or not _HEX_TAIL.fullmatch(tail):
        older = size >= _EOCD.size + SIGNATURE_CHARS and record[-SIGNATURE_CHARS - _EOCD.size :][:4] == _EOCD_MAGIC
        if older:
            raise BundleError(
                f"{path}: a bundle of an older Truceline (format 1); export it again after updating that laptop"
            )
        raise BundleError(f"{path}: not a Truceline bundle, or its signature is missing or damaged (it ends the file)")
    return bytes.fromhex(tail[:KEY_CHARS].decode("ascii"))


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
    """A small member's bytes, never more than it declared (a lying header is a zip bomb)."""
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
        manifest = load_capped_json(data, max_bytes=MAX_MEMBER_BYTES[MANIFEST], max_depth=MAX_MANIFEST_DEPTH)
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
