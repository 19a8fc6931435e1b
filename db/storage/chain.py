"""Signed chain heads: how a device vouches for its versions, even when another laptop carries them.

Each device's versions form a hash chain (``chain_sha256``, ARCHITECTURE.md §3). A device signs the
head of its chain (device id, sequence number, chain hash) with its Ed25519 key when it exports;
the signature covers every version up to that head, because each chain hash covers the one
before it. A laptop that imports the versions keeps the signed head (table ``chain_heads``) and
hands it on unchanged when it exports them again, so the supervisor can verify a monitor's
versions that came through a colleague's laptop without trusting the colleague.

A bundle carries a device's versions as *runs*: contiguous sequence ranges, each ending at a
signed head and starting from the chain hash before its first version (``previous``). The run's
first link is checked from ``previous``; every following link and the signature at its end tie
every version of the run to the device's key. When the version before a run is missing here
(a sequence gap), ``previous`` is kept in ``chain_anchors`` so that the run can be re-exported;
when the missing version arrives later, its link to the versions after it is checked then.
"""

import base64
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from db.core.hashing import b64, canonical_json
from db.core.sql_driver import sqlite3

HEAD_KIND = "truceline-chain-head"


@dataclass(frozen=True)
class SignedHead:
    """A device's statement "my chain reached ``chain_sha256`` at version ``device_seq``"."""

    device_id: str
    device_seq: int
    chain_sha256: str
    signature: bytes


def head_statement(device_id: str, device_seq: int, chain_sha256: str) -> bytes:
    """The exact bytes a device signs for a chain head (canonical JSON, so every laptop agrees)."""
    return canonical_json(
        {"kind": HEAD_KIND, "device_id": device_id, "device_seq": device_seq, "chain_sha256": chain_sha256}
    )


def sign_head(key: Ed25519PrivateKey, device_id: str, device_seq: int, chain_sha256: str) -> SignedHead:
    signature = key.sign(head_statement(device_id, device_seq, chain_sha256))
    return SignedHead(device_id, device_seq, chain_sha256, signature)


def head_is_valid(public_key: bytes, head: SignedHead) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            head.signature, head_statement(head.device_id, head.device_seq, head.chain_sha256)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def signature_is_valid(public_key: bytes, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def store_heads(conn: sqlite3.Connection, heads: list[SignedHead]) -> None:
    """Remember signed heads (inside the caller's transaction); one already known is kept as it is."""
    conn.executemany(
        "INSERT INTO chain_heads (device_id, device_seq, chain_sha256, signature) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [(h.device_id, h.device_seq, h.chain_sha256, b64(h.signature)) for h in heads],
    )


def stored_head_seqs(conn: sqlite3.Connection, device_id: str) -> list[int]:
    rows = conn.execute("SELECT device_seq FROM chain_heads WHERE device_id = ? ORDER BY 1", (device_id,))
    return [r[0] for r in rows]


def stored_head(conn: sqlite3.Connection, device_id: str, device_seq: int) -> SignedHead | None:
    row = conn.execute(
        "SELECT chain_sha256, signature FROM chain_heads WHERE device_id = ? AND device_seq = ?",
        (device_id, device_seq),
    ).fetchone()
    return None if row is None else SignedHead(device_id, device_seq, row[0], base64.b64decode(row[1]))


def store_anchor(conn: sqlite3.Connection, device_id: str, device_seq: int, previous_chain: str) -> None:
    conn.execute(
        "INSERT INTO chain_anchors (device_id, device_seq, previous_chain_sha256) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (device_id, device_seq, previous_chain),
    )


def stored_anchor(conn: sqlite3.Connection, device_id: str, device_seq: int) -> str | None:
    row = conn.execute(
        "SELECT previous_chain_sha256 FROM chain_anchors WHERE device_id = ? AND device_seq = ?",
        (device_id, device_seq),
    ).fetchone()
    return None if row is None else str(row[0])
