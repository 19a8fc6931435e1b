"""Domain errors as one sentence a supervisor can act on (ARCHITECTURE.md §9).

``db`` errors name fields by their stored names (``actor1: is required…``) so that a form can
mark them; a panel that has no field of that name shows the label instead ("Actor 1 is
required…"), with the incident's reference when the error carries one.
"""

from db.core.errors import ValidationError
from db.core.sql_driver import sqlite3
from db.model.display import FIELD_LABELS
from db.records.review import DecisionInvalidError

_EXTRA_LABELS = {"reason": "Reason"}


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name) or _EXTRA_LABELS.get(name) or name.replace("_", " ").capitalize()


def error_sentence(error: Exception) -> str:
    """``error`` as one sentence: capitalised, fields by their labels, ending with a full stop."""
    if isinstance(error, ValidationError):
        text = "; ".join(f"{field_label(p.field)} {p.reason}" for p in error.problems)
        if isinstance(error, DecisionInvalidError):
            more = f" (and {error.others} more incident{'s' if error.others > 1 else ''})" if error.others else ""
            text = f"{error.ref}: {text}{more}"
    elif isinstance(error, sqlite3.Error):
        text = f"the database refused the change ({error}); nothing was saved"
    else:
        text = str(error) or type(error).__name__
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
