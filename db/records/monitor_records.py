"""Monitor records bound to the laptop that registered them, and signed by it.

A version names its author by monitor id. Without more, any laptop could sign versions under the
id of another laptop's supervisor. So a monitor record belongs to one device (``monitors.device_id``,
schema step m006), which signs it (``monitors.signature``: Ed25519 over the canonical statement
below), and a version is accepted only when its author is a monitor of the device that signed
the version. The signature travels with the record in bundles, so a laptop that has never seen
the device can check the binding; a relaying laptop cannot alter it.
"""

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from db.core.hashing import canonical_json
from db.core.sql_driver import sqlite3
from db.storage.device import DeviceIdentity

RECORD_KIND = "truceline-monitor"


@dataclass(frozen=True)
class MonitorRecord:
    """A monitor as its device signed it."""

    monitor_id: str
    name: str
    callsign: str
    role: str
    device_id: str
    signature: str  # base64; "" when not yet signed

    def statement(self) -> bytes:
        return canonical_json(
            {
                "kind": RECORD_KIND,
                "monitor_id": self.monitor_id,
                "device_id": self.device_id,
                "name": self.name,
                "callsign": self.callsign,
                "role": self.role,
            }
        )

    def signed_by(self, public_key: bytes) -> bool:
        try:
            signature = base64.b64decode(self.signature.encode("ascii"), validate=True)
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, self.statement())
        except (InvalidSignature, ValueError, binascii.Error, UnicodeEncodeError):
            return False
        return True


def sign_own_monitors(conn: sqlite3.Connection, device: DeviceIdentity) -> None:
    """Sign this laptop's monitors whose record changed since it was last signed (call in a write transaction)."""
    rows = conn.execute(
        "SELECT monitor_id, name, callsign, role FROM monitors WHERE device_id = ? AND signature IS NULL",
        (device.device_id,),
    ).fetchall()
    for monitor_id, name, callsign, role in rows:
        record = MonitorRecord(monitor_id, name, callsign, role, device.device_id, "")
        signature = base64.b64encode(device.private_key.sign(record.statement())).decode("ascii")
        conn.execute("UPDATE monitors SET signature = ? WHERE monitor_id = ?", (signature, monitor_id))


def monitor_devices(conn: sqlite3.Connection, monitor_ids: list[str]) -> dict[str, str | None]:
    """The device each known monitor belongs to (None for a record that predates devices and has no version)."""
    import json

    rows = conn.execute(
        "SELECT monitor_id, device_id FROM monitors WHERE monitor_id IN (SELECT value FROM json_each(?))",
        (json.dumps(monitor_ids),),
    )
    return {monitor_id: device_id for monitor_id, device_id in rows}
