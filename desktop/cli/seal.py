"""``truceline mission seal-key create|trust|hold|show``, and the passphrase of the mission's sealing key.

``create`` runs at headquarters (or on the supervisor's machine) and needs no data directory: it
writes the key pair into a directory of its own. ``trust`` gives a field laptop the public half,
so that its bundles are sealed for the mission from then on. ``hold`` keeps the (still
passphrase-protected) private half in a supervisor's data directory, so that ``bundle import``
can open sealed bundles after asking for the passphrase.

A passphrase is read from the terminal (without echo), or from a file descriptor given with
``--seal-passphrase-fd`` (for scripts), never from an argument: arguments show in the process list.
It is read by :class:`desktop.cli.passphrase.Passphrases`, the one reader of every secret.
"""

import argparse
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from db.core.errors import TrucelineError
from db.core.untrusted_text import escaped
from db.exchange.mission import fingerprint
from db.exchange.seal_keys import (
    KEY_FILE,
    PUBLIC_FILE,
    create_seal_key,
    held_seal_key,
    hold_seal_key,
    read_seal_public_file,
    trust_seal_key,
    trusted_seal_key,
    unlock_seal_key,
)
from db.storage.store import Store
from desktop.cli.passphrase import Passphrases

EXIT_ERROR = 2


def add_parser(actions: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    seal = actions.add_parser(
        "seal-key",
        help="the mission's sealing key: bundles only headquarters or the supervisor can read",
        description="Bundles are sealed (encrypted) for the mission's sealing key once a laptop trusts it: "
        "only a laptop holding the private half, unlocked with its passphrase, can read them.",
    )
    seal_actions = seal.add_subparsers(dest="seal_command", metavar="ACTION", required=True)
    create = seal_actions.add_parser("create", help="create the sealing key pair in DIR (headquarters, not a laptop)")
    create.add_argument("directory", type=Path, metavar="DIR", help="where to write it, e.g. /media/hq-stick/mission")
    add_passphrase_fd(create)
    trust = seal_actions.add_parser("trust", help=f"seal this laptop's bundles for the key of FILE ({PUBLIC_FILE})")
    trust.add_argument("file", type=Path, metavar="FILE", help=f"the sealing key's public file, {PUBLIC_FILE}")
    hold = seal_actions.add_parser(
        "hold", help=f"keep the private key FILE ({KEY_FILE}) here, to import sealed bundles (supervisor)"
    )
    hold.add_argument("file", type=Path, metavar="FILE", help=f"the passphrase-protected private key, {KEY_FILE}")
    add_passphrase_fd(hold)
    seal_actions.add_parser("show", help="the sealing key this laptop seals for, and whether it holds the private key")


SEAL_FD_OPTION = "--seal-passphrase-fd"


def add_passphrase_fd(parser: argparse.ArgumentParser) -> None:
    """The sealing key's passphrase has an option of its own: ``--passphrase-fd`` is the data directory's."""
    parser.add_argument(
        SEAL_FD_OPTION,
        dest="seal_passphrase_fd",
        type=int,
        metavar="N",
        help="read the sealing key's passphrase from file descriptor N (one line) instead of the terminal",
    )


def needs_no_store(args: argparse.Namespace) -> bool:
    return getattr(args, "seal_command", None) == "create"


def seal_passphrases(fd: int | None) -> Passphrases:
    return Passphrases(fd, SEAL_FD_OPTION)


def create(args: argparse.Namespace) -> int:
    """Runs without opening a data directory: the private key never belongs to a field laptop."""
    directory = args.directory.expanduser()
    try:
        if args.seal_passphrase_fd is None:
            print("The passphrase protects the mission's private sealing key. Use a few words nobody would guess,")
            print("and keep it apart from the key.")
        passphrase = seal_passphrases(args.seal_passphrase_fd).new(lost="no sealed bundle can be read")
        shown = create_seal_key(directory, passphrase)
    except TrucelineError as error:
        print(f"truceline: {escaped(error)}", file=sys.stderr)
        return EXIT_ERROR
    print(f"Mission sealing key created in {directory}: keep {directory / KEY_FILE} off the field laptops.")
    print(f"Give every laptop {directory / PUBLIC_FILE} (truceline mission seal-key trust FILE).")
    print(f"Fingerprint: {shown}")
    return 0


def run(store: Store, args: argparse.Namespace) -> int:
    if args.seal_command == "show":
        key = trusted_seal_key(store.conn)
        if key is None:
            print("No mission sealing key trusted yet: bundles are written unsealed.")
        else:
            print(f"Bundles are sealed for the mission key {fingerprint(key)}.")
        if held_seal_key(store.data_dir) is not None:
            print("This laptop holds the mission's private sealing key: it can import sealed bundles.")
        return 0
    path = args.file.expanduser()
    if args.seal_command == "trust":
        shown = trust_seal_key(store.conn, read_seal_public_file(path))
        print(f"This laptop now seals its bundles for the mission key of {escaped(path)}.")
    else:
        passphrase = seal_passphrases(args.seal_passphrase_fd).ask(f"Passphrase of {path}: ")
        shown = hold_seal_key(store.conn, store.data_dir, path, passphrase)
        print("This laptop holds the mission's private sealing key: it can import sealed bundles.")
    print(f"Fingerprint: {shown}")
    print("Compare it, group by group, with the fingerprint headquarters reads out.")
    return 0


def mission_key_for_import(store: Store, key_file: Path | None, fd: int | None) -> X25519PrivateKey | None:
    """The mission's private sealing key, unlocked, if this laptop holds one (or ``key_file`` names one)."""
    path = key_file.expanduser() if key_file is not None else held_seal_key(store.data_dir)
    if path is None:
        return None
    return unlock_seal_key(path, seal_passphrases(fd).ask(f"Passphrase of the mission sealing key ({path}): "))
