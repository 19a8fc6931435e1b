"""``truceline profile``: who uses this laptop, shown, created or changed from the command line.

Every version records its author, so ``import-csv`` and the other writing commands need a
signed-in monitor. On a laptop or a headquarters machine where the window was never opened, this
is how one is made; the window's first-start dialog and Settings use the same ``db`` functions.
Callsigns are written in capitals, as the window writes them. Nothing is changed unless every
value given is valid.
"""

import argparse
import sys
from collections.abc import MutableMapping
from typing import Any

from db.core.errors import FieldProblem, ValidationError
from db.model import enums
from db.records.monitors import Monitor, add_monitor, local_profile, set_local_profile, update_monitor
from db.storage.device import device_label, set_device_label
from db.storage.store import Store

MAX_LABEL = 100
NO_PROFILE = (
    "no profile on this laptop yet: create one with "
    "truceline profile --name 'Amelia Hart' --callsign HART [--role supervisor] [--laptop 'Team 3 laptop']"
)


def register(sub: Any, commands: MutableMapping[str, Any]) -> None:
    """Add the subcommand to the parser's subcommands and its handler to ``commands``."""
    parser = sub.add_parser(
        "profile",
        help="show, create or change who uses this laptop (name, callsign, role) and the laptop's label",
        description="Without options, show the profile. With options, create it (--name and --callsign "
        "needed) or change only what is given. Every record made on this laptop carries it.",
    )
    parser.add_argument("--name", metavar="NAME", help="full name, as it should appear in reports and histories")
    parser.add_argument("--callsign", metavar="CALLSIGN", help="radio callsign or short name (written in capitals)")
    parser.add_argument("--role", choices=list(enums.ROLE), help="monitor (records) or supervisor (also reviews)")
    parser.add_argument("--laptop", metavar="LABEL", help="a name for this laptop, e.g. its asset tag or team")
    commands["profile"] = run


def run(store: Store, args: argparse.Namespace) -> int:
    current = local_profile(store.conn)
    changes = {key: getattr(args, key) for key in ("name", "callsign", "role", "laptop")}
    if all(value is None for value in changes.values()):
        if current is None:
            print(f"truceline: {NO_PROFILE}", file=sys.stderr)
            return 1
        show(store, current)
        return 0
    if current is None and (args.name is None or args.callsign is None):
        missing = " and ".join(f"--{key}" for key in ("name", "callsign") if getattr(args, key) is None)
        raise ValidationError(
            [FieldProblem(key, "is required to create the profile") for key in ("name", "callsign") if key in missing]
        )
    label = None if args.laptop is None else _checked_label(args.laptop)
    name = args.name if args.name is not None else current.name  # type: ignore[union-attr]
    callsign = (args.callsign if args.callsign is not None else current.callsign).upper()  # type: ignore[union-attr]
    role = args.role or (current.role if current is not None else "monitor")
    # Every value is checked before the first write: the label here, the rest by add/update_monitor.
    if current is None:
        profile = add_monitor(store.conn, name, callsign, role)
    else:
        profile = update_monitor(store.conn, current.monitor_id, name, callsign, role)
    set_local_profile(store.conn, profile)
    if label is not None:
        set_device_label(store.conn, store.device.device_id, label)
    print("Profile created." if current is None else "Profile changed.")
    show(store, profile)
    return 0


def show(store: Store, profile: Monitor) -> None:
    print(f"Name:     {profile.name}")
    print(f"Callsign: {profile.callsign}")
    print(f"Role:     {profile.role}")
    print(f"Laptop:   {device_label(store.conn, store.device.device_id) or '(no label)'}")
    # What headquarters writes into the mission's roster (README, "Mission roster").
    print(f"Person id:  {profile.monitor_id}")
    print(f"Device id:  {store.device.device_id}")
    print(f"Public key: {store.device.public_key_b64}")


def _checked_label(label: str) -> str:
    clean = label.strip()
    if not clean:
        raise ValidationError([FieldProblem("laptop", "is empty")])
    if len(clean) > MAX_LABEL or not clean.isprintable():
        raise ValidationError([FieldProblem("laptop", f"must be printable text of at most {MAX_LABEL} characters")])
    return clean
