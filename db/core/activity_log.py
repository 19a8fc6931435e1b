"""The log file: what was opened, migrated, imported, exported, backed up and refused, and every
unexpected exception with its traceback, in the data directory's ``logs/``.

When a monitor says "it did something odd on Tuesday", the log is what a supervisor can send back
to whoever maintains the laptops. It rotates (a few files of a megabyte) so it never fills a disk.
Much of what is logged came from elsewhere (file names, bundle device labels, CSV cells): every
message is written with control characters escaped (:func:`printable`), so a crafted name cannot
forge log lines or send terminal escape sequences to whoever reads the file.

The log file is not encrypted (it must be readable to find out why a laptop does not open), so it
holds no record: an error passed as an argument or logged with its traceback is written as
:func:`db.core.errors.log_text` gives it: a refused field by name, a refused CSV cell by line and
column, never the value typed or read, and a message from a bug cut to 200 characters.

Modules log through ``logging.getLogger(__name__)``; :func:`start_log` attaches the file to the
``db`` and ``desktop`` loggers once per process (again for another data directory).
"""

import logging
import logging.handlers
import re
import traceback
from pathlib import Path
from types import TracebackType

from db.core.errors import log_text

LOG_NAME = "truceline.log"
MAX_BYTES = 1_000_000
KEEP_FILES = 5
LOGGERS = ("db", "desktop")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# C0 and C1 controls, DEL, and the bidirectional overrides that make text read differently than it is.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\n``, ``\\x1b``, ``\\u202e``)."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class _EscapingFormatter(logging.Formatter):
    """Escapes the message; errors are written as :func:`log_text` gives them, in the message and in a
    traceback, which keeps its line breaks but nothing else unprintable."""

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(arg, BaseException) for arg in args):
            record.args = tuple(log_text(arg) if isinstance(arg, BaseException) else arg for arg in args)
        try:
            return super().format(record)
        finally:
            record.args = args  # other handlers (a test's capture) see the record as it was logged

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging API)
        record.message = printable(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: object) -> str:  # noqa: N802 (logging API)
        error = ei[1] if isinstance(ei, tuple) else None
        text = "".join(_traceback_lines(error, set())).rstrip("\n") if isinstance(error, BaseException) else ""
        return "\n".join(printable(line) for line in text.split("\n"))


def _traceback_lines(error: BaseException, seen: set[int]) -> list[str]:
    """Python's traceback layout, chained exceptions included, with each message as :func:`log_text` gives it."""
    seen.add(id(error))
    lines: list[str] = []
    cause, context = error.__cause__, error.__context__
    if cause is not None and id(cause) not in seen:
        lines += _traceback_lines(cause, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif context is not None and not error.__suppress_context__ and id(context) not in seen:
        lines += _traceback_lines(context, seen)
        lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    tb: TracebackType | None = error.__traceback__
    if tb is not None:
        lines.append("Traceback (most recent call last):\n")
        lines += traceback.format_tb(tb)
    kind = type(error)
    name = (
        kind.__qualname__ if kind.__module__ in ("builtins", "__main__") else f"{kind.__module__}.{kind.__qualname__}"
    )
    message = log_text(error)
    lines.append(f"{name}: {message}\n" if message else f"{name}\n")
    return lines


class _LogFile(logging.handlers.RotatingFileHandler):
    """The handler :func:`start_log` installs; recognised so that a second call replaces it."""


def start_log(directory: Path) -> Path:
    """Log to ``directory``/truceline.log from now on (rotating); returns the file's path.

    A log that cannot be written (read-only medium, full disk) must not stop the application:
    the error goes to stderr once, through logging's own handling, and work goes on.
    """
    stop_log()
    path = directory / LOG_NAME
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handler = _LogFile(path, maxBytes=MAX_BYTES, backupCount=KEEP_FILES, encoding="utf-8", delay=True)
    except OSError as error:
        logging.getLogger(__name__).warning("cannot write the log in %s: %s", directory, error)
        return path
    handler.setFormatter(_EscapingFormatter(FORMAT))
    handler.setLevel(logging.INFO)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
    return path


def stop_log() -> None:
    """Close the log file (before the data directory changes, and at exit)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if isinstance(h, _LogFile)]:
            logger.removeHandler(handler)
            handler.close()


def log_file() -> Path | None:
    """The file being logged to, if any (the error dialog says where it is)."""
    for handler in logging.getLogger(LOGGERS[0]).handlers:
        if isinstance(handler, _LogFile):
            return Path(handler.baseFilename)
    return None
