"""Sealed bundles: a bundle file encrypted so that only the mission (and the laptop that wrote it) can read it.

A bundle travels on USB sticks through checkpoints; a lost stick must not give away a single
record. The whole bundle file (zip, manifest, versions and the exporter's signature, unchanged
inside) is encrypted with a random file key, and that file key is wrapped once per recipient:
the mission's public sealing key (headquarters or the supervisor hold the private half) and the
exporting laptop's own key, so that export can read back and verify what it wrote (the
supervisor's bundle back to the monitors adds their laptops: :func:`db.exchange.seal_keys.seal_recipients`).

The construction is the one of ``age`` (X25519 key agreement with a fresh ephemeral key per
recipient, HKDF-SHA256, ChaCha20-Poly1305), all from ``cryptography``:

    MAGIC (16 bytes) | header length (4 bytes, big-endian) | header (canonical JSON) | chunks

The header names no key (a seized stick does not say which laptop wrote it); each recipient
entry holds an ephemeral public key and the wrapped file key. The payload key is derived from the
file key with the header's SHA-256 as salt, so changing any header byte makes every chunk fail.
The payload is cut into chunks of :data:`CHUNK_BYTES`, each sealed on its own with a nonce made
of its index and a flag on the last chunk (the STREAM construction): chunks cannot be reordered,
dropped or cut off without being noticed, and any chunk can be decrypted alone. That makes the
sealed file readable as a seekable stream (:class:`SealedReader`) which the zip reader walks as
it walks a plain file: neither writing nor reading ever holds the bundle in memory, and no
plaintext of it touches the disk.
"""

import base64
import binascii
import hashlib
import io
import os
import struct
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

import nacl.bindings as nacl_bindings
import nacl.exceptions
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from db.core.errors import TrucelineError
from db.core.hashing import canonical_json
from db.model.payload_check import load_capped_json

MAGIC = b"TRUCELINE-SEAL1\n"
KIND = "truceline-sealed-bundle"
CHUNK_BYTES = 64 << 10
TAG_BYTES = 16
MAX_HEADER_BYTES = 96 << 10  # room for a supervisor's bundle back to a few hundred laptops
MAX_RECIPIENTS = 512
MAX_HEADER_DEPTH = 3
MISSION = "mission"  # the recipient whose private half headquarters or the supervisor holds
DEVICE = "device"  # a laptop: the exporting one, and on the supervisor's bundle back every laptop it knows
_LENGTH = struct.Struct(">I")
_PREFIX = len(MAGIC) + _LENGTH.size
_WRAP_INFO = b"truceline sealed bundle: file key"
_PAYLOAD_INFO = b"truceline sealed bundle: payload"
_CACHED_CHUNKS = 4

NOT_FOR_US = "sealed for the mission; only a laptop holding the mission's private key can read it"
NOT_THIS_MISSION = (
    "sealed for the mission, but the mission key held here does not open it (sealed for another mission's key, "
    "or its header was damaged)"
)


class SealError(TrucelineError):
    """A sealed bundle could not be opened or written; the message says why in one sentence (without the path)."""


def raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def device_seal_key(signing_key: Ed25519PrivateKey) -> X25519PrivateKey:
    """The laptop's own sealing key: its Ed25519 device key converted to Curve25519 by libsodium.

    The standard conversion (``crypto_sign_ed25519_sk_to_curve25519``, as age's ssh-ed25519
    recipients use it): no second secret to keep or lose, and every laptop that knows a device's
    public key can seal for it (:func:`device_seal_public`), so the supervisor's bundle back to the
    monitors is readable by their laptops and nobody else's.
    """
    seed = signing_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = signing_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return X25519PrivateKey.from_private_bytes(nacl_bindings.crypto_sign_ed25519_sk_to_curve25519(seed + public))


def device_seal_public(ed25519_public: bytes) -> X25519PublicKey | None:
    """The sealing key of a device known by its Ed25519 public key (libsodium's conversion).

    None for bytes that are not the encoding of a point libsodium accepts.
    """
    if len(ed25519_public) != 32:
        return None
    try:
        converted = nacl_bindings.crypto_sign_ed25519_pk_to_curve25519(ed25519_public)
    except (nacl.exceptions.RuntimeError, nacl.exceptions.ValueError, nacl.exceptions.TypeError):
        return None
    return X25519PublicKey.from_public_bytes(converted)


def _hkdf(secret: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _wrap_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return _hkdf(shared, ephemeral + recipient, _WRAP_INFO)


def is_sealed(path: Path) -> bool:
    """Whether ``path`` starts like a sealed bundle (an unreadable file is left for the reader to report)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


@dataclass(frozen=True)
class Recipient:
    """Who a sealed bundle is for: a role (:data:`MISSION` or :data:`DEVICE`) and its X25519 public key."""

    role: str
    public_key: X25519PublicKey


class SealingWriter(io.RawIOBase):
    """A write-only stream that seals what it is given into ``sink``, a chunk at a time.

    It is not seekable, so ``zipfile`` writes through it with data descriptors; :meth:`finish`
    seals the last chunk. ``sink`` is the caller's, left open.
    """

    def __init__(self, sink: IO[bytes], recipients: Sequence[Recipient]) -> None:
        super().__init__()
        file_key = os.urandom(32)
        entries = []
        for recipient in recipients:
            ephemeral = X25519PrivateKey.generate()
            ephemeral_public = raw_public(ephemeral.public_key())
            shared = ephemeral.exchange(recipient.public_key)
            wrap = _wrap_key(shared, ephemeral_public, raw_public(recipient.public_key))
            wrapped = ChaCha20Poly1305(wrap).encrypt(bytes(12), file_key, None)
            entries.append({"to": recipient.role, "ephemeral": _b64(ephemeral_public), "wrapped": _b64(wrapped)})
        header = canonical_json({"kind": KIND, "version": 1, "chunk_bytes": CHUNK_BYTES, "recipients": entries})
        prefix = MAGIC + _LENGTH.pack(len(header)) + header
        self._aead = ChaCha20Poly1305(_hkdf(file_key, hashlib.sha256(prefix).digest(), _PAYLOAD_INFO))
        self._sink = sink
        self._pending = bytearray()
        self._index = 0
        self._written = 0
        sink.write(prefix)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._pending += data
        self._written += len(data)
        # Keep at least one byte back: only :meth:`finish` knows which chunk is the last.
        full = (len(self._pending) - 1) // CHUNK_BYTES
        if full:
            with memoryview(self._pending) as view:
                for start in range(0, full * CHUNK_BYTES, CHUNK_BYTES):
                    self._seal(view[start : start + CHUNK_BYTES], last=False)
            del self._pending[: full * CHUNK_BYTES]  # one move per write, not one per chunk
        return len(data)

    def tell(self) -> int:
        return self._written

    def finish(self) -> None:
        self._seal(bytes(self._pending), last=True)
        self._pending.clear()

    def _seal(self, chunk: bytes | memoryview, last: bool) -> None:
        self._sink.write(self._aead.encrypt(_nonce(self._index, last), chunk, None))
        self._index += 1


class SealedReader(io.RawIOBase):
    """The plaintext of a sealed file as a read-only, seekable stream; each chunk is authenticated when read.

    The size is known from the file's length; the last chunk is checked on opening, so a file cut
    at a chunk boundary is refused before anything is parsed. A few decrypted chunks are kept, so
    the zip reader's small seeks and reads cost little and memory stays bounded.
    """

    def __init__(self, handle: BinaryIO, keys: Sequence[X25519PrivateKey]) -> None:
        super().__init__()
        self._handle = handle
        size = os.fstat(handle.fileno()).st_size
        header = _read_header(handle, size)
        self._start = _PREFIX + len(header.raw)
        self._aead = ChaCha20Poly1305(_hkdf(_unwrap(header, keys), header.digest, _PAYLOAD_INFO))
        body = size - self._start
        sealed = CHUNK_BYTES + TAG_BYTES
        self._chunks = max(1, -(-body // sealed))
        last_bytes = body - (self._chunks - 1) * sealed
        if last_bytes < TAG_BYTES:
            raise SealError("the sealed bundle is truncated (it ends inside a chunk's tag)")
        self._size = body - self._chunks * TAG_BYTES
        self._position = 0
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._chunk(self._chunks - 1)  # a missing tail fails here, before any parsing

    @property
    def size(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("negative seek position in a sealed bundle")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._position < self._size:
            index, offset = divmod(self._position, CHUNK_BYTES)
            chunk = self._chunk(index)
            piece = chunk[offset : offset + len(view) - done]
            view[done : done + len(piece)] = piece
            done += len(piece)
            self._position += len(piece)
        return done

    def _chunk(self, index: int) -> bytes:
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        last = index == self._chunks - 1
        self._handle.seek(self._start + index * (CHUNK_BYTES + TAG_BYTES))
        sealed = self._handle.read(CHUNK_BYTES + TAG_BYTES)
        try:
            chunk = self._aead.decrypt(_nonce(index, last), sealed, None)
        except InvalidTag:
            where = "its end is missing or" if last else f"part {index + 1} of {self._chunks}"
            raise SealError(
                f"the sealed bundle was changed or damaged after it was sealed ({where} does not authenticate)"
            ) from None
        self._cache[index] = chunk
        if len(self._cache) > _CACHED_CHUNKS:
            self._cache.popitem(last=False)
        return chunk

    def close(self) -> None:
        self._cache.clear()
        self._handle.close()
        super().close()


@dataclass(frozen=True)
class _Header:
    raw: bytes
    digest: bytes  # SHA-256 of magic, length and header: the payload key's salt
    recipients: tuple[tuple[str, bytes, bytes], ...]  # role, ephemeral public key, wrapped file key


def _read_header(handle: BinaryIO, size: int) -> _Header:
    """The header, checked before anything is decrypted: its length is capped before it is read."""
    handle.seek(0)
    prefix = handle.read(_PREFIX)
    if len(prefix) < _PREFIX or not prefix.startswith(MAGIC):
        raise SealError("not a sealed Truceline bundle")
    (length,) = _LENGTH.unpack(prefix[len(MAGIC) :])
    if length > MAX_HEADER_BYTES or _PREFIX + length > size:
        raise SealError(f"the sealed bundle's header declares {length:,} bytes, more than allowed or held")
    raw = handle.read(length)
    try:
        document = load_capped_json(raw, max_bytes=MAX_HEADER_BYTES, max_depth=MAX_HEADER_DEPTH)
    except (ValueError, UnicodeDecodeError) as error:
        raise SealError(f"the sealed bundle's header is not valid ({error})") from None
    if (
        not isinstance(document, dict)
        or document.get("kind") != KIND
        or document.get("version") != 1
        or document.get("chunk_bytes") != CHUNK_BYTES
    ):
        raise SealError("the sealed bundle's header is not of a format this Truceline reads (update it?)")
    entries = document.get("recipients")
    if not isinstance(entries, list) or not 0 < len(entries) <= MAX_RECIPIENTS:
        raise SealError("the sealed bundle's header does not list its recipients")
    recipients = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("to") not in (MISSION, DEVICE):
            raise SealError("the sealed bundle's header holds a recipient that is not valid")
        ephemeral, wrapped = _unb64(entry.get("ephemeral")), _unb64(entry.get("wrapped"))
        if len(ephemeral) != 32 or len(wrapped) != 32 + TAG_BYTES:
            raise SealError("the sealed bundle's header holds a recipient key of the wrong length")
        recipients.append((str(entry["to"]), ephemeral, wrapped))
    return _Header(raw, hashlib.sha256(prefix + raw).digest(), tuple(recipients))


def _unwrap(header: _Header, keys: Sequence[X25519PrivateKey]) -> bytes:
    """The file key from the first recipient entry one of ``keys`` opens."""
    for key in keys:
        own = raw_public(key.public_key())
        for _role, ephemeral, wrapped in header.recipients:
            try:
                shared = key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
                return ChaCha20Poly1305(_wrap_key(shared, ephemeral, own)).decrypt(bytes(12), wrapped, None)
            except (InvalidTag, ValueError):  # ValueError: a low-order point gives no shared secret
                continue
    if any(role == MISSION for role, _e, _w in header.recipients):
        # Beside its own key, a laptop tries the mission's only if it holds it (seal_keys.opening_keys).
        raise SealError(NOT_THIS_MISSION if len(keys) > 1 else NOT_FOR_US)
    raise SealError("sealed for another laptop; no key held here can read it")


def needs_other_key(path: Path, keys: Sequence[X25519PrivateKey]) -> bool:
    """Whether ``path`` is sealed for the mission and none of ``keys`` opens it (so the mission key is needed).

    A file that is not sealed, or whose header is not valid, needs no key: reading it reports why.
    """
    try:
        with path.open("rb") as handle:
            header = _read_header(handle, os.fstat(handle.fileno()).st_size)
    except (OSError, SealError):
        return False
    try:
        _unwrap(header, keys)
    except SealError:
        return any(role == MISSION for role, _e, _w in header.recipients)
    return False


def open_bundle_bytes(path: Path, keys: Sequence[X25519PrivateKey] = ()) -> BinaryIO:
    """``path`` opened for reading: the file itself, or the plaintext of a sealed one. The caller closes it."""
    handle = path.open("rb")
    try:
        if handle.read(len(MAGIC)) != MAGIC:
            handle.seek(0)
            return handle
        return io.BufferedReader(SealedReader(handle, keys), buffer_size=CHUNK_BYTES)
    except BaseException:
        handle.close()
        raise


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str) or len(text) > 200:
        return b""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return b""
