"""The review workflow: the supervisors' queue, their decisions, and monitors submitting drafts.

A review decision is an ordinary version (ARCHITECTURE.md §3): a new version of each incident with the
supervisor as author and a reason, so the history shows who judged what, when and why. A batch of
decisions is one transaction, all or nothing. Incidents in conflict are kept out of the queue and
refused by every decision: a judgement on one of two competing versions would hide the other.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from db.core.errors import FieldProblem, NotFoundError, TrucelineError, ValidationError
from db.core.sql_driver import sqlite3
from db.model import enums
from db.model.incident import FIELD_NAMES, Incident
from db.model.validation import validate_incident, validate_reason
from db.records.incidents import Amendment, ConflictError, IncidentRecord, Saved, record_from_row, write_amendments
from db.records.monitors import Monitor, get_monitor
from db.records.queries import Cursor, IncidentFilter, where_clause
from db.records.roles import NotSupervisorError, supervisor_refusal
from db.storage.connection import transaction
from db.storage.projection import PROJECTION_COLUMNS, Calendar
from db.storage.versions import Writer

QUEUE_STATES = ("submitted", "under_review", "returned")
# What a supervisor's decision may set. "draft" and "submitted" are the monitors' own states;
# returning an incident ("returned") sends it back to them with the reason.
DECISION_STATES = ("verified", "unverified", "disputed", "not_a_violation", "under_review", "archived", "returned")
SUBMITTABLE_STATES = ("draft", "returned")
SUBMIT_REASON = "submitted for review"
# How many incidents an error message names before it only counts the rest.
_NAMED = 5

_COLUMNS = ", ".join(PROJECTION_COLUMNS)


class IncidentsInConflictError(ConflictError):
    """Incidents with several heads must be resolved by a person before anyone judges or submits them."""

    def __init__(self, conflicted: Sequence[tuple[str, int]], doing: str) -> None:
        self.refs = [ref for ref, _ in conflicted]
        if len(conflicted) == 1:
            ref, heads = conflicted[0]
            message = f"{ref} is in conflict ({heads} versions); resolve the conflict before {doing} it"
        else:
            named = _names(f"{ref} ({heads} versions)" for ref, heads in conflicted)
            message = f"{len(conflicted)} incidents are in conflict: {named}; resolve the conflicts before {doing} them"
        super().__init__(message)


class NotSubmittableError(TrucelineError):
    """Only a draft or a returned incident goes (back) to the supervisors."""

    def __init__(self, refused: Sequence[tuple[str, str]]) -> None:
        self.refs = [ref for ref, _ in refused]
        listed = _names(f"{ref} is {_state_label(state)}" for ref, state in refused)
        super().__init__(f"{listed}; only a draft or a returned incident can be submitted for review")


class DecisionInvalidError(ValidationError):
    """The decision would leave an incident invalid; names the incident and every field at fault.

    Only the first such incident is reported in detail, as a form would; ``others`` says how many
    more the same decision would break.
    """

    def __init__(self, incident_id: str, ref: str, problems: list[FieldProblem], others: int = 0) -> None:
        super().__init__(problems)
        self.incident_id = incident_id
        self.ref = ref
        self.others = others
        more = f" (and {others} more incident{'s' if others > 1 else ''})" if others else ""
        self.args = (f"{ref}: {self.args[0]}{more}",)


@dataclass(frozen=True)
class ReviewDecision:
    """What a supervisor decides about one or more incidents.

    ``None`` leaves a field as it is; an empty string clears a text field (an actor, the source
    reliability) or resets ``attribution`` to "not assessed", as an emptied form field would.
    """

    verification_state: str
    attribution: str | None = None
    actor1: str | None = None
    actor2: str | None = None
    source_reliability: str | None = None
    info_credibility: int | None = None

    def __post_init__(self) -> None:
        # Refused here rather than once per incident: the state is wrong whatever the incident.
        if self.verification_state not in DECISION_STATES:
            shown = ", ".join(DECISION_STATES)
            raise ValidationError(
                [FieldProblem("verification_state", f"'{self.verification_state}' is not one of: {shown}")]
            )

    def changes(self) -> dict[str, Any]:
        """The fields this decision sets."""
        fields = {
            "verification_state": self.verification_state,
            "attribution": self.attribution,
            "actor1": self.actor1,
            "actor2": self.actor2,
            "source_reliability": self.source_reliability,
            "info_credibility": self.info_credibility,
        }
        return {name: value for name, value in fields.items() if value is not None}


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------


def review_queue(
    conn: sqlite3.Connection,
    *,
    limit: int = 500,
    after: Cursor | None = None,
    flt: IncidentFilter | None = None,
) -> list[IncidentRecord]:
    """Incidents waiting for a supervisor, oldest observation first, without those in conflict.

    ``flt`` narrows the queue as the window's filter bar does (period, zone, sector, category,
    weapon, words); its states, if any, are intersected with the queue's.

    Continue with ``after=Cursor(last.incident.observed_start, last.incident_id)``. Each state is
    read in order from the ``(verification_state, observed_start)`` index and SQLite merges the
    three ordered streams (``MERGE (UNION ALL)``), so a page costs the same on a million
    incidents; ``verification_state IN (…)`` would sort every queued incident instead.
    """
    keyset = " AND (observed_start, incident_id) > (?, ?)" if after is not None else ""
    narrowing, narrowing_params = where_clause(flt) if flt is not None else ("1", [])
    arm = f"SELECT {_COLUMNS} FROM incidents WHERE verification_state = ? AND heads = 1{keyset} AND ({narrowing})"
    sql = " UNION ALL ".join([arm] * len(QUEUE_STATES)) + " ORDER BY observed_start, incident_id LIMIT ?"
    params: list[Any] = []
    for state in QUEUE_STATES:
        params.append(state)
        if after is not None:
            params.extend([after.value, after.incident_id])
        params.extend(narrowing_params)
    return [record_from_row(row) for row in conn.execute(sql, [*params, limit])]


def conflicts(conn: sqlite3.Connection, limit: int = 500) -> list[IncidentRecord]:
    """Incidents in conflict (several heads), whatever their state, oldest observation first."""
    # The unary + keeps SQLite from walking the time index in order (a scan of every incident
    # looking for rare conflicts); it then reads the partial index of conflicts and sorts those.
    sql = f"SELECT {_COLUMNS} FROM incidents WHERE heads > 1 ORDER BY +observed_start, incident_id LIMIT ?"
    return [record_from_row(row) for row in conn.execute(sql, (limit,))]


def queue_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many incidents wait in each queue state (conflicts excluded), and how many are in conflict."""
    counts = dict.fromkeys(QUEUE_STATES, 0)
    marks = ", ".join("?" * len(QUEUE_STATES))
    # Counted on the state index alone; the conflicts, few, are then taken off their state.
    for state, count in conn.execute(
        f"SELECT verification_state, count(*) FROM incidents WHERE verification_state IN ({marks}) "
        "GROUP BY verification_state",
        QUEUE_STATES,
    ):
        counts[state] = count
    conflicted = 0
    for state, count in conn.execute(
        "SELECT verification_state, count(*) FROM incidents "
        "WHERE rowid IN (SELECT rowid FROM incidents WHERE heads > 1) GROUP BY verification_state"
    ):
        conflicted += count
        if state in counts:
            counts[state] -= count
    counts["conflicts"] = conflicted
    return counts


# ---------------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------------


def review_incidents(
    conn: sqlite3.Connection,
    reviewer: Monitor,
    writer: Writer,
    incident_ids: Sequence[str],
    decision: ReviewDecision,
    reason: str,
    calendar: Calendar,
) -> list[Saved]:
    """Record ``decision`` on every incident of ``incident_ids``: one new version each, one transaction.

    The author of the versions is ``reviewer`` (``writer`` supplies the device). Refused, with
    nothing written, when the reviewer is not a supervisor (by the mission's roster in force, or
    before any roster by the role stored now, not as the caller remembers: db/records/roles.py),
    the reason is missing, an incident does not exist or is in conflict, or the decision would
    make an incident invalid. An id listed twice is reviewed once.
    """
    ids = list(dict.fromkeys(incident_ids))
    with transaction(conn):
        stored = get_monitor(conn, reviewer.monitor_id)
        why = supervisor_refusal(conn, stored.monitor_id, writer.device_id)
        if why is not None:
            raise NotSupervisorError(f"Only a supervisor can review incidents; {why}.")
        reason_text = validate_reason(reason)
        heads = _single_heads(conn, ids, doing="reviewing")
        changes = _decided(heads, decision.changes())
        return write_amendments(conn, replace(writer, author_id=stored.monitor_id), changes, reason_text, calendar)


def submit_incidents(
    conn: sqlite3.Connection, writer: Writer, incident_ids: Sequence[str], calendar: Calendar
) -> list[Saved]:
    """Send drafts (and returned incidents) to the supervisors: state "submitted", one transaction.

    Anyone may submit. Refused, with nothing written, when an incident does not exist, is in
    conflict or is in any other state.
    """
    ids = list(dict.fromkeys(incident_ids))
    with transaction(conn):
        heads = _single_heads(conn, ids, doing="submitting")
        refused = [
            (head.ref, head.incident.verification_state)
            for head in heads
            if head.incident.verification_state not in SUBMITTABLE_STATES
        ]
        if refused:
            raise NotSubmittableError(refused)
        changes = _decided(heads, {"verification_state": "submitted"})
        return write_amendments(conn, writer, changes, SUBMIT_REASON, calendar)


@dataclass(frozen=True, slots=True)
class _Head:
    incident_id: str
    ref: str
    version_id: str
    incident: Incident


def _single_heads(conn: sqlite3.Connection, ids: Sequence[str], *, doing: str) -> list[_Head]:
    """The one head version of each incident, in ``ids`` order; refuses unknown and conflicted ones.

    Read from the versions (the truth), not from the projected row.
    """
    rows = conn.execute(
        "SELECT i.incident_id, i.ref, h.version_id, v.payload FROM incidents AS i "
        "JOIN incident_heads AS h ON h.incident_id = i.incident_id "
        "JOIN incident_versions AS v ON v.version_id = h.version_id "
        "WHERE i.incident_id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),),
    )
    found: dict[str, list[tuple[str, str, str]]] = {}
    for incident_id, ref, version_id, payload in rows:
        found.setdefault(incident_id, []).append((ref, version_id, payload))
    missing = [incident_id for incident_id in ids if incident_id not in found]
    if missing:
        if len(missing) == 1:
            raise NotFoundError(f"incident {missing[0]} does not exist")
        raise NotFoundError(f"{len(missing)} incidents do not exist: {_names(missing)}")
    conflicted = [(found[i][0][0], len(found[i])) for i in ids if len(found[i]) > 1]
    if conflicted:
        raise IncidentsInConflictError(conflicted, doing)
    out = []
    for incident_id in ids:
        ((ref, version_id, payload),) = found[incident_id]
        out.append(_Head(incident_id, ref, version_id, Incident.from_payload(json.loads(payload))))
    return out


def _decided(heads: Sequence[_Head], changes: Mapping[str, Any]) -> list[Amendment]:
    """Each head with ``changes`` applied, validated as a whole incident; built on that head."""
    out: list[Amendment] = []
    failed: list[tuple[_Head, ValidationError]] = []
    for head in heads:
        raw = dict(zip(FIELD_NAMES, head.incident.values(), strict=True))
        raw.update(changes)
        try:
            # No theatre: the incident's place is not under review, and a zone from an earlier
            # theatre file must not block a judgement on what happened there.
            out.append(Amendment(head.incident_id, validate_incident(raw), head.version_id))
        except ValidationError as error:
            failed.append((head, error))
    if failed:
        first, problem = failed[0]
        raise DecisionInvalidError(first.incident_id, first.ref, problem.problems, len(failed) - 1)
    return out


def _state_label(state: str) -> str:
    return enums.VERIFICATION_STATE.get(state, state).lower()


def _names(items: Iterable[str]) -> str:
    """At most a handful of names, then how many more: a message stays one readable line."""
    listed = list(items)
    shown = ", ".join(listed[:_NAMED])
    return f"{shown} and {len(listed) - _NAMED} more" if len(listed) > _NAMED else shown
