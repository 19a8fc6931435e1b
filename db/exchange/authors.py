"""Authors bound to devices: a bundle may carry a version only under the name of a monitor of its device.

A device's signature proves which laptop wrote a version; the version's ``author_id`` is only a
claim. The claim holds when the author is a monitor registered by that same device: known here
with that device, or carried in the bundle in a record that device signed
(:mod:`db.records.monitor_records`). A version signed by one laptop under the name of another laptop's
monitor is refused as impersonation, and so is a record that names a monitor known here as
another laptop's, or that its laptop did not sign.
"""

import base64
import binascii

from db.core.sql_driver import sqlite3
from db.core.untrusted_text import escaped
from db.exchange.bundle_file import BundleError
from db.exchange.verify import VerifiedBundle
from db.records.monitor_records import monitor_devices

_REFUSED = "refused as impersonation, nothing from this bundle was applied"


def check_authors(conn: sqlite3.Connection, bundle: VerifiedBundle) -> set[str]:
    """Refuse the bundle (BundleError) unless every carried version's author belongs to its device.

    Returns the monitors whose records carry a valid signature of their laptop: only those may be
    stored or update an unsigned record kept here.
    """
    path = bundle.path
    keys = _keys(conn, bundle)
    labels = {d.device_id: d.name for d in (bundle.exporter, *bundle.devices)}
    known = monitor_devices(conn, sorted({author for author, _device in bundle.authorship} | _ids(bundle)))
    carried: dict[str, str] = {}
    signed: set[str] = set()
    for entry in bundle.authors:
        who = f"monitor {escaped(entry.name)} ({escaped(entry.monitor_id)})"
        here = known.get(entry.monitor_id)
        if here is not None and here != entry.device_id:
            raise BundleError(
                f"{path}: the bundle says {who} belongs to laptop {escaped(entry.device_id or '?')}, but that monitor "
                f"is registered here on laptop {escaped(here)}: {_REFUSED}"
            )
        key = keys.get(entry.device_id)
        # A record already bound here to the same laptop needs no signature (one relayed from before
        # records were signed); a new binding does.
        valid = key is not None and entry.record().signed_by(key)
        if valid:
            signed.add(entry.monitor_id)
        elif here is None:
            raise BundleError(
                f"{path}: the record of {who} is not signed by the laptop it names "
                f"({escaped(labels.get(entry.device_id, entry.device_id) or 'none')}): {_REFUSED}"
            )
        carried[entry.monitor_id] = entry.device_id
    for author_id, device_id in sorted(bundle.authorship):
        bound = known.get(author_id) or carried.get(author_id)
        device = escaped(labels.get(device_id, device_id))
        if bound is None:
            raise BundleError(
                f"{path}: versions of laptop {device} name an author no laptop has registered "
                f"({escaped(author_id)}): {_REFUSED}"
            )
        if bound != device_id:
            name = next((a.name for a in bundle.authors if a.monitor_id == author_id), None)
            if name is None:
                row = conn.execute("SELECT name FROM monitors WHERE monitor_id = ?", (author_id,)).fetchone()
                name = row[0] if row else author_id
            raise BundleError(
                f"{path}: versions signed by laptop {device} are written under the name of {escaped(name)} "
                f"({escaped(author_id)}), a monitor of another laptop ({escaped(bound)}): {_REFUSED}"
            )
    return signed


def _ids(bundle: VerifiedBundle) -> set[str]:
    return {entry.monitor_id for entry in bundle.authors}


def _keys(conn: sqlite3.Connection, bundle: VerifiedBundle) -> dict[str, bytes]:
    """Public keys of the devices the bundle names, then of those known here (which win: checked before)."""
    keys: dict[str, bytes] = {}
    texts = {d.device_id: d.public_key for d in (bundle.exporter, *bundle.devices)}
    wanted = {entry.device_id for entry in bundle.authors} - set(texts)
    for device_id in wanted:
        row = conn.execute("SELECT public_key FROM devices WHERE device_id = ?", (device_id,)).fetchone()
        if row is not None:
            texts[device_id] = row[0]
    for device_id, text in texts.items():
        try:
            keys[device_id] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            continue
    return keys
