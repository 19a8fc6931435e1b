"""The passphrase on the command line: asked on the terminal or read from a file descriptor, never an argument.

An argument would be visible to every user of the machine (``ps``) and kept in shell history;
``--passphrase-fd N`` reads it, one per line, from a descriptor the caller opened (a pipe from a
password manager, a file only the user can read). Subcommands for the key itself: ``init`` (a new
encrypted data directory), ``encrypt`` (convert a plain one), ``passphrase`` (change it) and
``erase`` (destroy the key: every encrypted file becomes unreadable at once).
"""

import argparse
import getpass
import os
import sys
import time
from pathlib import Path
from typing import BinaryIO

from db.core.errors import DatabaseError, TrucelineError, WrongPassphraseError
from db.core.untrusted_text import escaped
from db.storage import cipher, paths
from db.storage.conversion import encrypt_directory
from db.storage.usage_lock import using_data_dir

EXIT_ERROR = 2
ERASE_WORD = cipher.ERASE_WORD
TERMINAL_TRIES = 3
# Seconds before a wrong passphrase is reported (tests make it 0); on a terminal it doubles per try.
throttle_first_s = 1.0


def add_arguments(parser: argparse.ArgumentParser, sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser.add_argument(
        "--passphrase-fd",
        type=int,
        metavar="N",
        help="read the passphrase (and, for 'passphrase', the new one on the next line) from file descriptor N "
        "instead of asking on the terminal; it is never taken as an argument",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="create a new data directory without encryption (demonstration or training only; says so everywhere)",
    )
    sub.add_parser("init", help="create a new encrypted data directory: asks for a passphrase twice")
    sub.add_parser(
        "encrypt",
        help="encrypt a plain data directory: verified copy first, then the plain files replaced",
    )
    sub.add_parser("passphrase", help="change the passphrase (the old one is needed; the data key stays)")
    sub.add_parser(
        "erase",
        help=f"EMERGENCY: destroy the key so that every encrypted file is unreadable at once (type {ERASE_WORD})",
        description="Destroys key.json: the database, backups, drafts and the device key become unreadable for "
        "anyone, including you. Records not yet exported in a bundle to a supervisor are lost for good.",
    )


class Passphrases:
    """Where the passphrases of one secret come from: lines of the descriptor given by ``option``, or the terminal.

    The one reader for every secret the command line asks for (the data directory's passphrase with
    ``--passphrase-fd``, the mission sealing key's with ``--seal-passphrase-fd``). A line is read only when
    it is asked for, so a pipe kept open by a password manager does not block; the descriptor stays the
    caller's (not closed here); a line is at most 1 KiB of UTF-8.
    """

    MAX_LINE = 1024

    def __init__(self, fd: int | None, option: str = "--passphrase-fd") -> None:
        self._option = option
        self._stream: BinaryIO | None = None
        if fd is not None:
            try:
                os.fstat(fd)
                self._stream = os.fdopen(fd, "rb", buffering=0, closefd=False)  # byte by byte: no read-ahead
            except OSError as error:
                raise TrucelineError(f"{option} {fd}: cannot read it: {error.strerror or error}") from None

    def _line(self, stream: BinaryIO) -> str:
        try:
            raw = stream.readline(self.MAX_LINE + 2)
        except OSError as error:
            raise TrucelineError(f"{self._option}: cannot read it: {error.strerror or error}") from None
        if not raw:
            raise TrucelineError(f"{self._option}: it holds no (further) passphrase line")
        line = raw.rstrip(b"\r\n")
        if len(line) > self.MAX_LINE:
            raise TrucelineError(f"{self._option}: a passphrase line is longer than {self.MAX_LINE} bytes")
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            raise TrucelineError(f"{self._option}: the passphrase line is not UTF-8 text") from None

    @property
    def from_terminal(self) -> bool:
        return self._stream is None

    def ask(self, prompt: str) -> str:
        if self._stream is not None:
            return self._line(self._stream)
        self._need_terminal()
        return getpass.getpass(prompt)

    def _need_terminal(self) -> None:
        if not sys.stdin.isatty():
            raise TrucelineError(
                f"this needs a passphrase and there is no terminal to ask it on; give it with {self._option} N"
            )

    def new(self, lost: str = "the records are lost") -> str:
        """A new passphrase (two lines from a descriptor), with its strength and a confirmation on the terminal;
        refused if too short or not repeated. ``lost`` says what a forgotten one costs."""
        if self.from_terminal:
            self._need_terminal()  # refused in one line, before any advice is printed
            print(f"The passphrase cannot be recovered: if it is forgotten, {lost}.", file=sys.stderr)
        first = self.ask("New passphrase: ")
        problem = cipher.passphrase_problem(first)
        if problem is not None:
            raise TrucelineError(f"new passphrase: {problem}; nothing was changed")
        if self.from_terminal:
            print(f"strength: {cipher.strength_hint(first)}", file=sys.stderr)
        if self.ask("Repeat the new passphrase: ") != first:
            raise TrucelineError("new passphrase: the two entries differ; nothing was changed")
        return first


def unlock_if_needed(args: argparse.Namespace) -> None:
    """Unlock the data directory before a subcommand opens it (a wrong passphrase changes nothing)."""
    directory = paths.data_dir()
    if not cipher.is_encrypted(directory) or cipher.is_unlocked(directory):
        return
    source = Passphrases(args.passphrase_fd)
    throttle = cipher.Throttle(first=throttle_first_s)
    tries = TERMINAL_TRIES if source.from_terminal else 1
    for attempt in range(tries):
        try:
            cipher.unlock(directory, source.ask(f"Passphrase for {directory}: "))
            return
        except WrongPassphraseError:
            time.sleep(throttle.failed())
            if attempt + 1 == tries:
                raise
            print("truceline: the passphrase is wrong; try again", file=sys.stderr)


def unlocked(args: argparse.Namespace) -> int:
    """:func:`unlock_if_needed` as an exit status for ``_guarded`` (0: unlocked or nothing to unlock)."""
    unlock_if_needed(args)
    return 0


def run(args: argparse.Namespace) -> int:
    """``init``, ``encrypt``, ``passphrase`` and ``erase``; errors are one line on stderr."""
    try:
        return int(_COMMANDS[args.command](args, paths.data_dir()))
    except TrucelineError as error:
        print(f"truceline: {escaped(error)}", file=sys.stderr)
        return EXIT_ERROR


def cmd_init(args: argparse.Namespace, directory: Path) -> int:
    if cipher.is_encrypted(directory) or (directory / paths.DATABASE_NAME).exists():
        raise DatabaseError(f"{directory}: there is already a data directory here; nothing was changed")
    if args.plain:
        from db.storage.store import open_store

        open_store(directory, plain=True).close()
        print(f"Created a PLAIN data directory (not encrypted, for demonstration or training): {directory}")
        return 0
    cipher.create_key(directory, Passphrases(args.passphrase_fd).new())
    from db.storage.store import open_store

    open_store(directory).close()
    print(f"Created an encrypted data directory: {directory}")
    return 0


def cmd_encrypt(args: argparse.Namespace, directory: Path) -> int:
    if cipher.is_encrypted(directory):
        raise DatabaseError(f"{directory}: this data directory is already encrypted; nothing was changed")
    with using_data_dir(directory, alone=True):
        pass  # in use (the window, a command): said before the passphrase is typed, and checked again below
    result = encrypt_directory(directory, Passphrases(args.passphrase_fd).new())
    print(
        f"Encrypted {directory}: the database (verified with the full check), {result.backups} backup(s), "
        f"{result.damaged_copies} set-aside copy(ies), {result.drafts} draft(s) and the device key."
    )
    for path in result.left_plain:
        print(f"not encrypted (it cannot be read as a database; move it away or delete it): {escaped(path)}")
    return 0


def cmd_passphrase(args: argparse.Namespace, directory: Path) -> int:
    if not cipher.is_encrypted(directory):
        raise DatabaseError(f"{directory}: this data directory is not encrypted; run 'truceline encrypt' first")
    source = Passphrases(args.passphrase_fd)
    old = source.ask("Current passphrase: ")
    new = source.new()
    try:
        cipher.change_passphrase(directory, old, new)
    except WrongPassphraseError:
        time.sleep(throttle_first_s)
        raise
    print("The passphrase was changed; the old one no longer opens this data directory.")
    return 0


def cmd_erase(args: argparse.Namespace, directory: Path) -> int:
    if not cipher.is_encrypted(directory):
        raise DatabaseError(f"{directory}: this data directory is not encrypted: there is no key to destroy")
    if Passphrases(args.passphrase_fd).ask(f"Type {ERASE_WORD} to destroy the key of {directory}: ") != ERASE_WORD:
        raise TrucelineError(f"erase: the word typed was not {ERASE_WORD}; nothing was destroyed")
    cipher.erase_key(directory)
    print("The key was destroyed: the records in this data directory can no longer be read by anyone.")
    return 0


_COMMANDS = {"init": cmd_init, "encrypt": cmd_encrypt, "passphrase": cmd_passphrase, "erase": cmd_erase}
COMMAND_NAMES = frozenset(_COMMANDS)
