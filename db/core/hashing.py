"""Canonical JSON and the hashes that make every version tamper-evident (ARCHITECTURE.md §3).

``canonical_json`` produces RFC 8785 (JCS) output for the values Truceline stores: strings,
integers, booleans, null, lists, objects with ASCII keys, and floats that
:meth:`db.model.incident.Incident.to_payload` has turned into ints when integral. For those values
``json.dumps`` with sorted keys is byte-identical to JCS and about five times faster than the
``rfc8785`` package, which is used for the rare float Python formats differently; a property test
compares the two on random payloads.
"""

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import rfc8785

GENESIS_CHAIN = "0" * 64


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes; the ``rfc8785`` package handles the floats Python would write differently."""
    if isinstance(value, dict) and any(type(v) is float and _needs_jcs_number(v) for v in value.values()):
        return rfc8785.dumps(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _needs_jcs_number(number: float) -> bool:
    """Python writes 1e-05 and 1e+16 where ECMAScript writes 0.00001 and 10000000000000000."""
    magnitude = abs(number)
    return (0 < magnitude < 1e-4) or magnitude >= 1e16


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def version_hash(
    *,
    version_id: str,
    incident_id: str,
    parent_ids: Sequence[str],
    device_id: str,
    device_seq: int,
    author_id: str,
    recorded_at: str,
    reason: str | None,
    payload_sha256: str,
) -> str:
    """SHA-256 over every column of a version, so that no part of it can change unnoticed."""
    header = {
        "version_id": version_id,
        "incident_id": incident_id,
        "parent_ids": list(parent_ids),
        "device_id": device_id,
        "device_seq": device_seq,
        "author_id": author_id,
        "recorded_at": recorded_at,
        "reason": reason,
        "payload_sha256": payload_sha256,
    }
    return sha256_hex(canonical_json(header))


def chain_hash(previous_chain: str | None, this_version_hash: str) -> str:
    """SHA-256(previous chain hash of the same device ‖ this version's hash), hex digests as text."""
    return sha256_hex(((previous_chain or GENESIS_CHAIN) + this_version_hash).encode("ascii"))


def b64(data: bytes) -> str:
    """Bytes (a key, a signature) as the base64 text stored in tables and bundles."""
    return base64.b64encode(data).decode("ascii")
