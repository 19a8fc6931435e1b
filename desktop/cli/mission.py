"""``truceline mission init|trust|show``: the mission authority's key, from the command line.

``init`` runs at headquarters (or on the chief supervisor's machine), never on a field laptop:
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
    PUBLIC_FILE,
    create_authority,
    fingerprint,
    read_public_file,
    trust_authority,
    trusted_authority,
)
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
    actions.add_parser("show", help="the fingerprint of the authority this laptop trusts")
    cli_seal.add_parser(actions)


def needs_no_store(args: argparse.Namespace) -> bool:
    """``init`` and ``seal-key create`` make keys away from any laptop's data directory."""
    return bool(args.mission_command == "init" or cli_seal.needs_no_store(args))


def init_or_create(args: argparse.Namespace) -> int:
    return init(args) if args.mission_command == "init" else cli_seal.create(args)


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


def run(store: Store, args: argparse.Namespace) -> int:
    if args.mission_command == "seal-key":
        return cli_seal.run(store, args)
    if args.mission_command == "show":
        key = trusted_authority(store.conn)
        print("No mission authority trusted yet." if key is None else f"Mission authority: {fingerprint(key)}")
        return 0
    path = args.file.expanduser()
    shown = trust_authority(store.conn, read_public_file(path))
    print(f"This laptop trusts the mission authority of {escaped(path)}.")
    print(f"Fingerprint: {shown}")
    print("Compare it, group by group, with the fingerprint headquarters reads out.")
    return 0
