"""Drafts of the entry form, kept on disk so a crash or power cut loses nothing typed (ARCHITECTURE.md §8).

A draft holds what the monitor typed, as typed (text, not parsed values): half-typed input is
exactly what validation would refuse, and it must come back as it was. Each draft is one small
JSON file in ``drafts/``, replaced atomically, so the file on disk is always either the previous
draft or the new one, never a torn mixture.

Reading is forgiving: a file that cannot be read is reported and left where it is (it may hold
the only copy of someone's notes), never deleted and never fatal.
"""

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.core.atomic_file import write_atomically
from db.storage import cipher

log = logging.getLogger(__name__)

FORMAT = 1
PURPOSE = "drafts"
SUFFIX = ".json"
# Draft ids become file names: UUIDs in practice; anything that could climb out of the directory
# or hide as a dot file is refused.
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Draft:
    """An unsaved entry form: which incident it edits (if any), from which version, and the typed values.

    ``base_version_id`` is the version the edit started from, so saving a restored draft later
    still amends that version (and makes a visible conflict if another was saved meanwhile).
    ``saved_at`` is UTC ISO 8601 text.
    """

    draft_id: str
    incident_id: str | None
    base_version_id: str | None
    fields: dict[str, Any]
    saved_at: str


@dataclass(frozen=True)
class DraftProblem:
    """A file in the drafts directory that could not be read, and why."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def save_draft(directory: Path, draft: Draft) -> None:
    """Write ``draft`` to ``directory`` atomically (temporary file, fsync, rename, fsync of the directory)."""
    path = _path(directory, draft.draft_id)
    directory.mkdir(parents=True, exist_ok=True)
    data = {
        "format": FORMAT,
        "draft_id": draft.draft_id,
        "incident_id": draft.incident_id,
        "base_version_id": draft.base_version_id,
        "saved_at": draft.saved_at,
        "fields": draft.fields,
    }
    # ensure_ascii=False keeps Cyrillic readable if someone has to rescue a draft by hand.
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    # The temporary name starts with a dot and does not end in .json, so a reader never mistakes a
    # half-written file (left by a crash mid-write) for a draft.
    write_atomically(path, _protect(directory, text.encode("utf-8")), private=True)


def _protect(directory: Path, data: bytes) -> bytes:
    """Sealed with the data directory's key when it is encrypted (db/storage/cipher.py); plain otherwise."""
    if cipher.key_for(directory.parent) is None:
        if cipher.is_encrypted(directory.parent):
            # Locked or erased: a draft is never written in plain text into an encrypted directory.
            raise PermissionError(f"{directory}: the data directory's key is not available; the draft was not written")
        return data
    return cipher.seal(directory.parent, PURPOSE, data)


def seal_plain_drafts(directory: Path) -> int:
    """Seal every plain draft of a directory just encrypted (db/storage/conversion.py); how many."""
    drafts, _problems = read_drafts(directory)
    sealed = 0
    for draft in drafts:
        path = _path(directory, draft.draft_id)
        if not cipher.is_sealed(path.read_bytes()):
            save_draft(directory, draft)
            sealed += 1
    return sealed


def read_drafts(directory: Path) -> tuple[list[Draft], list[DraftProblem]]:
    """Every readable draft, newest first, and a problem for every draft file that is not readable."""
    drafts: list[Draft] = []
    problems: list[DraftProblem] = []
    try:
        candidates = sorted(directory.iterdir())
    except FileNotFoundError:
        return [], []
    except OSError as error:
        return [], [DraftProblem(directory, f"cannot list the drafts: {error.strerror or error}")]
    for path in candidates:
        if path.name.startswith(".") or path.suffix != SUFFIX or not path.is_file():
            continue  # temporary files of an interrupted save, and anything that is not a draft
        try:
            drafts.append(_read(path))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            problems.append(DraftProblem(path, str(error)))
    drafts.sort(key=lambda d: (d.saved_at, d.draft_id), reverse=True)
    return drafts, problems


def load_drafts(directory: Path) -> list[Draft]:
    """Every readable draft, newest first; unreadable files are logged and left in place."""
    drafts, problems = read_drafts(directory)
    for problem in problems:
        log.warning("draft skipped: %s", problem)
    return drafts


def delete_draft(directory: Path, draft_id: str) -> None:
    """Remove a draft once its incident was saved or knowingly discarded; a missing draft is fine."""
    _path(directory, draft_id).unlink(missing_ok=True)


def _path(directory: Path, draft_id: str) -> Path:
    if not _ID_PATTERN.fullmatch(draft_id):
        raise ValueError(f"{draft_id!r} is not a usable draft id")
    return directory / f"{draft_id}{SUFFIX}"


def _read(path: Path) -> Draft:
    raw = path.read_bytes()
    if cipher.is_sealed(raw):
        raw = cipher.open_sealed(path.parent.parent, PURPOSE, raw)
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a draft (the file holds no JSON object)")
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown draft format {data.get('format')!r}")
    draft_id, fields, saved_at = data.get("draft_id"), data.get("fields"), data.get("saved_at")
    if not isinstance(draft_id, str) or not _ID_PATTERN.fullmatch(draft_id):
        raise ValueError("the draft has no usable draft_id")
    if not isinstance(fields, dict) or not isinstance(saved_at, str):
        raise ValueError("the draft lacks its fields or the time it was saved")
    incident_id, base_version_id = data.get("incident_id"), data.get("base_version_id")
    for value in (incident_id, base_version_id):
        if value is not None and not isinstance(value, str):
            raise ValueError("the draft's incident or version id is not text")
    return Draft(draft_id, incident_id, base_version_id, fields, saved_at)
