"""Who may decide: review decisions, conflict resolutions and roles, checked the same way everywhere.

A *decision* is a version that changes an incident's verification state to anything beyond what a
monitor does with their own records (draft, submitted, or a returned incident sent back), or that
resolves a conflict (several parents). Only a supervisor may write one. With a mission roster
loaded (:mod:`db.records.roster`) a supervisor is a person the roster names, deciding on a laptop the
roster lists for them; ``monitors.role`` then gives nobody anything. Before any roster is loaded a
laptop works as it always did for its own records (its own profiles' roles), and decisions from
other laptops are kept apart until a roster can check them (:mod:`db.exchange.quarantine`).

Every local write of versions (form, review, conflict dialog, CSV import, demo) goes through
:func:`check_local_decisions` in :mod:`db.records.incidents`; the widgets only ask
:func:`decision_refusal` (or :func:`may_decide`) what to offer, and say so before the click.
"""

import json
from collections.abc import Iterable, Sequence

from db.core.errors import TrucelineError
from db.core.sql_driver import sqlite3
from db.core.untrusted_text import escaped
from db.model import enums
from db.records.roster import NO_ROSTER, RosterError, roster_in_force
from db.storage.versions import VersionDraft, Writer

# What a monitor does with their own records: not a decision.
MONITOR_STATES = ("draft", "submitted")
# A monitor may send back what a supervisor returned to them.
_MONITOR_FROM = (*MONITOR_STATES, "returned")


class NotSupervisorError(TrucelineError):
    """A decision by someone who is not a supervisor (here, or by the roster); the message names who and what."""


def is_decision(before: str | None, after: str) -> bool:
    """Whether moving an incident from state ``before`` (None: a first version) to ``after`` is a supervisor's."""
    if before == after:
        return False
    return not (after in MONITOR_STATES and (before is None or before in _MONITOR_FROM))


def supervisor_refusal(conn: sqlite3.Connection, monitor_id: str, device_id: str) -> str | None:
    """Why ``monitor_id`` may not decide on laptop ``device_id`` (a clause naming them), or None when they may.

    With a roster: the roster alone says. Without one: the person's role as registered on this
    laptop (only this laptop's own profiles write here).
    """
    row = conn.execute("SELECT name, callsign, role FROM monitors WHERE monitor_id = ?", (monitor_id,)).fetchone()
    name, callsign, role = row if row is not None else (monitor_id, "?", "monitor")
    who = f"{name} ({callsign})"
    try:
        roster = roster_in_force(conn)
    except RosterError as error:  # an edited roster allows nothing; say why
        return str(error)
    if roster is None:
        if role == "supervisor":
            return None
        return f"{who} is a {enums.ROLE.get(role, role).lower()}"
    if roster.supervises(monitor_id, device_id):
        return None
    if any(s.monitor_id == monitor_id for s in roster.supervisors):
        return f"the mission's roster {roster.number} does not list this laptop ({device_id}) for {who}"
    return f"{who} is not a supervisor on the mission's roster {roster.number}"


def may_decide(conn: sqlite3.Connection, monitor_id: str, device_id: str) -> bool:
    """What the window asks before offering a decision; the write checks again."""
    return supervisor_refusal(conn, monitor_id, device_id) is None


def deciders(conn: sqlite3.Connection, device_id: str) -> list[str]:
    """Who may decide on laptop ``device_id``: the roster's supervisors for it, else this laptop's own supervisors."""
    try:
        roster = roster_in_force(conn)
    except RosterError:  # an edited roster allows nobody
        return []
    if roster is not None:
        return [s.name for s in roster.supervisors if device_id in s.devices]
    rows = conn.execute(
        "SELECT name, callsign FROM monitors WHERE role = 'supervisor' AND device_id = ? ORDER BY name", (device_id,)
    )
    return [f"{name} ({callsign})" for name, callsign in rows]


def decision_refusal(conn: sqlite3.Connection, monitor_id: str, device_id: str, what: str) -> str | None:
    """The window's sentence before the click: who may ``what`` here, and why ``monitor_id`` may not (None: they may).

    The same rule as the write's own check (:func:`supervisor_refusal`), which stays the guard.
    """
    why = supervisor_refusal(conn, monitor_id, device_id)
    if why is None:
        return None
    names = [escaped(name) for name in deciders(conn, device_id)]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    who = f"on this laptop: {shown}" if names else "nobody is named for this laptop yet"
    return f"Only a supervisor can {what} ({who}); {why}."


def roles_note(conn: sqlite3.Connection) -> str | None:
    """What the review panel and the import log say about roles: None once a roster is in force."""
    return None if conn.execute("SELECT 1 FROM rosters LIMIT 1").fetchone() else NO_ROSTER.capitalize()


def parent_states(conn: sqlite3.Connection, version_ids: Iterable[str]) -> dict[str, str]:
    """The verification state of each held version among ``version_ids``."""
    rows = conn.execute(
        "SELECT version_id, json_extract(payload, '$.verification_state') FROM incident_versions "
        "WHERE version_id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(set(version_ids))),),
    )
    return {version_id: str(state) for version_id, state in rows}


def check_local_decisions(conn: sqlite3.Connection, writer: Writer, drafts: Sequence[VersionDraft]) -> None:
    """Refuse (NotSupervisorError, nothing written) versions about to be written here that decide
    something their author may not decide."""
    parents = parent_states(conn, (p for d in drafts for p in d.parent_ids))
    deciding = None
    for draft in drafts:
        after = draft.incident.verification_state
        if len(draft.parent_ids) > 1:
            deciding = "resolve a conflict"
            break
        before = parents.get(draft.parent_ids[0]) if draft.parent_ids else None
        if is_decision(before, after):
            deciding = f"set verification_state to {enums.VERIFICATION_STATE.get(after, after).lower()}"
            break
    if deciding is None:
        return
    why = supervisor_refusal(conn, writer.author_id, writer.device_id)
    if why is not None:
        raise NotSupervisorError(f"Only a supervisor can {deciding}; {why}.")
