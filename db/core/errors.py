"""Domain errors that carry what the user needs to fix the problem.

The window and the command line turn each into one clear sentence; nothing here knows how it is
shown.
"""

from dataclasses import dataclass

LOGGED_MESSAGE_CHARS = 200  # of an error that is not Truceline's own (a bug): enough to diagnose, not a narrative


class TrucelineError(Exception):
    """Base of every error the user is meant to read."""

    def for_log(self) -> str:
        """The message as the log file keeps it. Errors that quote what a person typed or a file held (a
        refused coordinate, a CSV cell) override this: the log is not encrypted, records are."""
        return str(self)


def log_text(error: BaseException) -> str:
    """What the log keeps of ``error``: :meth:`TrucelineError.for_log`, else the message cut short."""
    if isinstance(error, TrucelineError):
        return error.for_log()
    text = str(error)
    return text if len(text) <= LOGGED_MESSAGE_CHARS else text[: LOGGED_MESSAGE_CHARS - 1] + "…"


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field and why, in words a monitor understands."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class ValidationError(TrucelineError):
    """An incident (or other record) was refused; nothing was written.

    ``problems`` lists every invalid field, so a form can mark each one inline.
    """

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    @property
    def fields(self) -> list[str]:
        return [p.field for p in self.problems]

    def for_log(self) -> str:
        return f"refused field(s): {', '.join(self.fields)} (the values and reasons are not logged)"


class TheatreError(TrucelineError):
    """A theatre configuration file is unreadable or inconsistent."""


class NotFoundError(TrucelineError):
    """A record asked for by id does not exist."""


class DatabaseError(TrucelineError):
    """The database cannot be opened or used (locked, corrupt, too new, unwritable)."""


class DamagedDatabaseError(DatabaseError):
    """The database file is damaged, unreadable or not a Truceline database.

    Unlike a busy or too-new database, this one will not get better by waiting or upgrading: the
    file is kept aside as it is and the latest verified backup is offered (db/storage/recovery.py).
    """


class BusyError(DatabaseError):
    """Another process holds the database for writing: waiting and trying again will do."""


class InUseError(BusyError):
    """Another process (a window, a command) is using the data directory, and the work needs it alone."""


class DiskFullError(DatabaseError):
    """A write failed for lack of disk space; nothing was written."""


class LockedError(DatabaseError):
    """The data directory is encrypted and its passphrase has not been given in this process."""


class WrongPassphraseError(DatabaseError):
    """The passphrase does not open the data directory's key; nothing was opened or changed."""
