"""``truceline mission init|trust|show``: the mission authority's key, from the command line.

``init`` and ``roster sign`` run at headquarters (or on the chief supervisor's machine), never on a field laptop:
it writes the key pair into a directory of its own (a USB stick kept safe) and needs no data
directory. ``trust`` gives a laptop the authority's public file and shows its fingerprint, which
the person setting the laptop up compares with the one headquarters reads out.
"""

import argparse
import sys
from pathlib import Path

from db.core.errors import TrucelineError
from db.core.untrusted_text import escaped
from db.exchange.mission import (
    KEY_FILE,
    PUBLIC_FILE,
    create_authority,
    fingerprint,
    read_public_file,
    trust_authority,
    trusted_authority,
)
from db.exchange.quarantine import count_apart
from db.exchange.roster_file import load_roster, sign_roster
from db.records.roles import roles_note
from db.records.roster import roster_in_force
from db.storage.store import Store
from desktop.cli import seal as cli_seal

EXIT_ERROR = 2


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    mission = sub.add_parser(
        "mission",
        help="the mission authority's key: create it (headquarters), trust it (every laptop), show it",
        description="The mission authority (headquarters or the chief supervisor) holds a key that signs the "
        "mission's roster. Create it once, away from the field laptops; give every laptop its public file.",
    )
    actions = mission.add_subparsers(dest="mission_command", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="create the authority key pair in DIR (not on a field laptop)")
    init.add_argument("directory", type=Path, metavar="DIR", help="where to write it, e.g. /media/hq-stick/mission")
    trust = actions.add_parser("trust", help=f"make this laptop trust the authority of FILE ({PUBLIC_FILE})")
    trust.add_argument("file", type=Path, metavar="FILE", help=f"the authority's public file, {PUBLIC_FILE}")
    actions.add_parser("show", help="the authority this laptop trusts and the roster in force")
    roster = actions.add_parser(
        "roster",
        help="sign the mission's roster (headquarters) or load a signed one (every laptop)",
        description="The roster names the mission's laptops and supervisors and revokes lost laptops; "
        "see the README's 'Mission roster'.",
    )
    steps = roster.add_subparsers(dest="roster_command", metavar="STEP", required=True)
    sign = steps.add_parser("sign", help="sign ROSTER.json with the authority's key (at headquarters)")
    sign.add_argument("source", type=Path, metavar="ROSTER.json", help="the roster as plain JSON")
    sign.add_argument("--key", type=Path, required=True, metavar="KEY", help=f"the authority's {KEY_FILE}")
    sign.add_argument("-o", "--out", type=Path, required=True, metavar="FILE", help="the signed roster to write")
    load = steps.add_parser("load", help="put a signed roster in force on this laptop (a newer number only)")
    load.add_argument("file", type=Path, metavar="FILE", help="the signed roster")
    cli_seal.add_parser(actions)


def needs_no_store(args: argparse.Namespace) -> bool:
    """``init``, ``roster sign`` and ``seal-key create`` make or sign keys away from any laptop's data directory."""
    signing = args.mission_command == "roster" and args.roster_command == "sign"
    return bool(args.mission_command == "init" or signing or cli_seal.needs_no_store(args))


def without_store(args: argparse.Namespace) -> int:
    if args.mission_command == "init":
        return init(args)
    if args.mission_command == "roster":
        return sign(args)
    return cli_seal.create(args)


def init(args: argparse.Namespace) -> int:
    """Runs without opening a data directory: the authority key never belongs to a laptop."""
    directory = args.directory.expanduser()
    try:
        print_fingerprint = create_authority(directory)
    except TrucelineError as error:
        print(f"truceline: {escaped(error)}", file=sys.stderr)
        return EXIT_ERROR
    print(f"Mission authority created in {directory}: keep {directory} off the field laptops.")
    print(f"Give every laptop {directory / PUBLIC_FILE} (truceline mission trust FILE).")
    print(f"Fingerprint: {print_fingerprint}")
    return 0


def sign(args: argparse.Namespace) -> int:
    """Runs without a data directory, like init: signing happens where the authority's key is kept."""
    out = args.out.expanduser()
    try:
        roster = sign_roster(args.source.expanduser(), args.key.expanduser(), out)
    except TrucelineError as error:
        print(f"truceline: {escaped(error)}", file=sys.stderr)
        return EXIT_ERROR
    print(f"Signed {escaped(roster.summary())} into {escaped(out)}.")
    print("Load it on one laptop (truceline mission roster load FILE); bundles carry it to the others.")
    return 0


def run(store: Store, args: argparse.Namespace) -> int:
    if args.mission_command == "seal-key":
        return cli_seal.run(store, args)
    if args.mission_command == "show":
        show(store)
        return 0
    if args.mission_command == "roster":
        loaded = load_roster(store.conn, store.calendar, args.file.expanduser())
        print(escaped(loaded.summary()))
        return 0
    path = args.file.expanduser()
    shown = trust_authority(store.conn, read_public_file(path))
    print(f"This laptop trusts the mission authority of {escaped(path)}.")
    print(f"Fingerprint: {shown}")
    print("Compare it, group by group, with the fingerprint headquarters reads out.")
    return 0


def show(store: Store) -> None:
    """The authority, then the roster in force (or that there is none, and what that means)."""
    key = trusted_authority(store.conn)
    print("No mission authority trusted yet." if key is None else f"Mission authority: {fingerprint(key)}")
    roster = roster_in_force(store.conn)
    note = roles_note(store.conn)
    if roster is None:
        print(f"No roster loaded: {note.lower() if note else ''}.")
        print("Until then this laptop decides on its own records as before; decisions from others are kept apart.")
    else:
        print(f"Roster in force: {escaped(roster.summary())}")
        if roster.mission:
            print(f"Mission: {escaped(roster.mission)}")
        for laptop in roster.laptops:
            revoked = f", revoked from version {laptop.revoked_from}" if laptop.revoked_from is not None else ""
            print(f"  laptop {escaped(laptop.label or '(no label)')} ({escaped(laptop.device_id)}){revoked}")
        for person in roster.supervisors:
            print(
                f"  supervisor {escaped(person.name)} ({escaped(person.monitor_id)}) on {len(person.devices)} laptop(s)"
            )
    apart = count_apart(store.conn)
    if apart:
        print(f"Versions kept apart: {apart:,} (truceline check lists them, as does the window's File → Import log…)")
