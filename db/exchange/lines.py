"""The versions of a bundle read one line at a time, each checked before it becomes a Version.

``versions.jsonl`` may be two gibibytes; it is never held whole. :func:`stream_versions` inflates
the member in chunks, cuts lines no longer than :data:`MAX_LINE_BYTES`, parses each one under the
depth cap (a version line nests two levels: its columns and its parent ids), checks every column's
type, length and range, and hashes what it reads: at the end of the member the SHA-256 must be the
one the signed manifest gives, or the whole read is refused (so a file changed while it was being
read is refused too, even when the caller has already begun to use its lines).
"""

import hashlib
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from db.exchange.bundle_file import VERSIONS, BundleError, BundleFile
from db.exchange.sealed import SealError
from db.model.payload_check import MAX_JSON_INT, load_capped_json
from db.storage.versions import VERSION_COLUMNS, Version

# A version line: the payload is one JSON string of a flat object, the narrative its largest
# part, every quote escaped once more.
MAX_LINE_BYTES = 512 << 10
MAX_PARENTS = 16
MAX_ID_CHARS = 64
MAX_REASON = 4000  # characters; validate_reason allows 1000 after normalising
# Device sequence numbers stay far below SQLite's 2^63, so "one more" still fits.
MAX_SEQUENCE = MAX_JSON_INT
_CHUNK = 1 << 20
_TEXT_COLUMNS = tuple(name for name in VERSION_COLUMNS if name not in ("parent_ids", "device_seq", "reason"))
_ID_COLUMNS = ("version_id", "incident_id", "device_id", "author_id")
_RECORDED_AT = re.compile(r"(?:199\d|2\d{3})-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\dZ")
_EXPECTED = frozenset(VERSION_COLUMNS)


def stream_versions(bundle: BundleFile) -> Iterator[Version]:
    """Every version of the bundle, in file order; a BundleError names the first bad line."""
    for number, line in _lines(bundle):
        yield parse_version_line(line, number, bundle)


def parse_version_line(line: bytes, number: int, bundle: BundleFile) -> Version:
    """One line as a Version: exactly the columns, each of its type, length and range."""
    path = bundle.path
    try:
        record = load_capped_json(line, max_bytes=MAX_LINE_BYTES, max_depth=2)
    except ValueError as error:
        raise BundleError(f"{path}: {VERSIONS} line {number} is not a version ({error})") from None
    if type(record) is not dict or record.keys() != _EXPECTED:
        raise BundleError(f"{path}: {VERSIONS} line {number} does not hold exactly the columns of a version")
    parents = record["parent_ids"]
    seq = record["device_seq"]
    reason = record["reason"]
    # One combined test on the fast path; the slow path names the column at fault.
    if not (
        type(parents) is list
        and len(parents) <= MAX_PARENTS
        and type(seq) is int
        and 1 <= seq <= MAX_SEQUENCE
        and (reason is None or type(reason) is str)
        and all(type(record[name]) is str for name in _TEXT_COLUMNS)
        and all(type(parent) is str for parent in parents)
    ) or not _well_formed(record):
        wrong = _wrong_column(record)
        raise BundleError(f"{path}: {VERSIONS} line {number}: {wrong} has the wrong type or is out of range")
    record["parent_ids"] = tuple(parents)
    return Version(*[record[name] for name in VERSION_COLUMNS])


def _lines(bundle: BundleFile) -> Iterator[tuple[int, bytes]]:
    """Numbered non-empty lines of versions.jsonl, inflated chunk by chunk, checked against the manifest."""
    path = bundle.path
    digest = hashlib.sha256()
    size = 0
    number = 0
    pending = b""
    try:
        with bundle.open() as handle, zipfile.ZipFile(handle) as archive, archive.open(VERSIONS) as member:
            declared = archive.getinfo(VERSIONS).file_size
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                if size > declared:
                    raise BundleError(f"{path}: {VERSIONS} holds more than the {declared:,} bytes it declares")
                digest.update(chunk)
                pieces = (pending + chunk).split(b"\n")
                pending = pieces.pop()
                if len(pending) > MAX_LINE_BYTES:
                    raise BundleError(f"{path}: {VERSIONS} line {number + 1} is longer than {MAX_LINE_BYTES:,} bytes")
                for piece in pieces:
                    number += 1
                    if piece:
                        yield number, piece
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, struct.error, KeyError) as error:
        raise BundleError(f"{path}: {VERSIONS} cannot be read (damaged: {error})") from None
    except SealError as error:
        raise BundleError(f"{path}: {error}") from None
    except OSError as error:
        raise BundleError(f"{path}: cannot read the bundle: {error}") from None
    if size != declared:
        raise BundleError(f"{path}: {VERSIONS} is shorter than it declares (truncated)")
    if digest.hexdigest() != bundle.versions_sha256:
        raise BundleError(f"{path}: {VERSIONS} does not match the SHA-256 in the manifest (changed or damaged)")
    if pending:
        yield number + 1, pending


def _well_formed(record: dict[str, Any]) -> bool:
    """Identifiers of a sane length and a recorded time that parses (types already checked)."""
    ids = (record[name] for name in _ID_COLUMNS)
    return (
        all(0 < len(text) <= MAX_ID_CHARS for text in ids)
        and all(0 < len(parent) <= MAX_ID_CHARS for parent in record["parent_ids"])
        and _RECORDED_AT.fullmatch(record["recorded_at"]) is not None
        and (record["reason"] is None or len(record["reason"]) <= MAX_REASON)
    )


def _wrong_column(record: dict[str, Any]) -> str:
    """The first column at fault, for the message: its type, then its range or form."""
    parents = record["parent_ids"]
    if type(parents) is not list or not all(type(parent) is str for parent in parents) or len(parents) > MAX_PARENTS:
        return "parent_ids"
    seq = record["device_seq"]
    if type(seq) is not int or not 1 <= seq <= MAX_SEQUENCE:
        return "device_seq"
    reason = record["reason"]
    if not (reason is None or (type(reason) is str and len(reason) <= MAX_REASON)):
        return "reason"
    wrong_type = next((name for name in _TEXT_COLUMNS if type(record[name]) is not str), None)
    if wrong_type is not None:
        return wrong_type
    if any(not 0 < len(parent) <= MAX_ID_CHARS for parent in parents):
        return "parent_ids"
    if _RECORDED_AT.fullmatch(record["recorded_at"]) is None:
        return "recorded_at"
    return next((name for name in _ID_COLUMNS if not 0 < len(record[name]) <= MAX_ID_CHARS), "a column")
