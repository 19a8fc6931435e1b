"""``truceline bundle export|import|log``: the offline exchange from the command line.

The same ``db`` functions as File → Export for exchange… and File → Import bundles…. Each
bundle is imported on its own: one refused bundle (one line on stderr saying why) leaves the
others applied, and the exit status is then non-zero. After importing, the state hash lets two
people compare their laptops by reading out a few characters.
"""

import argparse
import logging
import sys
import time

from db.core.errors import TrucelineError
from db.core.untrusted_text import escaped
from db.exchange.export import NothingToExport, export_bundle
from db.exchange.importing import import_bundle
from db.exchange.log import import_log, sequence_gaps, state_hash
from db.exchange.quarantine import count_apart
from db.exchange.seal_keys import opening_keys
from db.exchange.sealed import needs_other_key
from db.model.display import local_time_text
from db.records.queries import IncidentFilter, count_incidents
from db.records.roles import roles_note
from db.storage.store import Store
from desktop.cli.seal import mission_key_for_import

log = logging.getLogger(__name__)

EXIT_ERROR = 2


def run(store: Store, args: argparse.Namespace) -> int:
    actions = {"export": export, "import": import_files, "log": show_log}
    return actions[args.bundle_command](store, args)


def export(store: Store, args: argparse.Namespace) -> int:
    try:
        result = export_bundle(store.conn, store.device, args.out.expanduser(), everything=args.all)
    except NothingToExport as error:
        print(f"truceline: {error}; use --all to send every version again", file=sys.stderr)
        return EXIT_ERROR
    log.info("exported bundle %s: %s", result.path, result.summary())
    print(f"{result.summary()}; verified after writing.")
    return 0


def import_files(store: Store, args: argparse.Namespace) -> int:
    refused = 0
    show = sys.stderr.isatty()
    keys = opening_keys(store.device)
    if any(needs_other_key(path.expanduser(), keys) for path in args.files):
        # Asked once, before anything is imported; without a held key each sealed bundle is refused below.
        try:
            mission = mission_key_for_import(store, args.seal_key, args.seal_passphrase_fd)
        except TrucelineError as error:
            print(f"truceline: {escaped(error)}; nothing was imported", file=sys.stderr)
            return EXIT_ERROR
        keys = opening_keys(store.device, mission)
    for path in args.files:
        started = time.perf_counter()

        def progress(done: int, total: int, name: str = path.name) -> bool:
            if show:
                print(f"\r{escaped(name)}: {100 * done // max(total, 1)} %", end="", file=sys.stderr, flush=True)
            return True

        try:
            result = import_bundle(store.conn, store.calendar, path.expanduser(), progress, keys)
        except TrucelineError as error:
            if show:
                print(file=sys.stderr)
            print(f"truceline: {escaped(error)}", file=sys.stderr)
            log.warning("refused bundle %s: %s", path, error)
            refused += 1
            continue
        if show:
            print(file=sys.stderr)
        print(f"{escaped(result.summary())} ({time.perf_counter() - started:.1f} s)")
        log.info("imported bundle %s: %s", path, escaped(result.summary()))
        if result.roster is not None:
            print(f"  {escaped(result.roster.summary())}")
        if result.note:
            print(f"  {escaped(result.note)}")
        for gap in result.gaps:
            print(f"  gap: {escaped(gap)}")
    conflicts = count_incidents(store.conn, IncidentFilter(conflicts_only=True))
    print(f"Incidents in conflict: {conflicts:,}" + (" (resolve them in the Review view)" if conflicts else ""))
    print(f"State hash: {state_hash(store.conn)}")
    if refused:
        what = f"{refused} of {len(args.files)} bundles refused"
        print(f"truceline: {what}; nothing from them was applied", file=sys.stderr)
        return EXIT_ERROR
    return 0


def show_log(store: Store, args: argparse.Namespace) -> int:
    records = import_log(store.conn, args.limit)
    if not records:
        print("No bundle imported yet.")
    for record in records:
        name = escaped(record.device_label or record.device_id)
        own = f", its versions {record.seq_from}–{record.seq_to}" if record.seq_from is not None else ""
        print(
            f"{local_time_text(record.imported_at, store.tz)}  from {name}{own}: {record.added:,} added, "
            f"{record.duplicate:,} already here, {record.conflicting:,} in conflict"
            + (f", {record.quarantined:,} kept apart" if record.quarantined else "")
            + f"  (bundle {record.bundle_sha256[:16]}…)"
        )
    apart = count_apart(store.conn)
    if apart:
        print(
            f"Versions kept apart (not shown or counted): {apart:,}; "
            "truceline check lists them, as does the window's File → Import log…"
        )
    note = roles_note(store.conn)
    if note:
        print(f"{note}: decisions from other laptops are kept apart until then.")
    for gap in sequence_gaps(store.conn):
        print(f"gap: {escaped(gap)}")
    print(f"State hash: {state_hash(store.conn)}")
    return 0
