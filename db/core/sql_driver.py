"""The SQLite driver every connection of the application uses: SQLCipher's, through ``sqlcipher3``.

One driver for the whole process, whether a data directory is encrypted or plain: ``sqlcipher3``'s
connections and exceptions are classes of their own (not the standard library's), so code that
catches ``sqlite3.DatabaseError`` must mean this module's, or an encrypted database's errors would
slip past every handler. Without a key SQLCipher reads and writes ordinary SQLite files, so plain
(demo and training) directories and every existing database open unchanged.

The ``sqlcipher3`` wheels carry SQLCipher 4 built with FTS5 (manylinux, Windows and macOS; see
DEVELOPERS.md). It ships no type information and mirrors the standard module's API, so type checkers
are shown the standard library's.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3 as sqlite3
else:
    from sqlcipher3 import dbapi2 as sqlite3

__all__ = ["sqlite3"]
