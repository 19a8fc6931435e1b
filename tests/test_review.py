"""The review workflow: the supervisors' queue, their decisions as versions, and submitting drafts."""

from typing import Any

import pytest
from support import make_conflict, save, version_count

from db.core.errors import NotFoundError, ValidationError
from db.records.incidents import Saved, get_incident, incident_history
from db.records.monitors import Monitor, update_monitor
from db.records.queries import Cursor
from db.records.review import (
    DecisionInvalidError,
    IncidentsInConflictError,
    NotSubmittableError,
    NotSupervisorError,
    ReviewDecision,
    conflicts,
    queue_counts,
    review_incidents,
    review_queue,
    submit_incidents,
)
from db.storage.integrity import check_projection, verify_chains
from db.storage.store import Store
from db.storage.versions import Writer

VERIFY = ReviewDecision("verified", source_reliability="B", info_credibility=2)


@pytest.fixture
def queued(store: Store, writer: Writer, supervisor: Monitor) -> dict[str, Saved]:
    """Incidents in every kind of state, with observation times out of insertion order.

    The states beyond "submitted" are a supervisor's to set (db/records/roles.py)."""
    judge = store.writer(supervisor.monitor_id)
    return {
        "submitted": save(store, writer, observed_start="2026-04-03T10:00:00Z", observed_end=None),
        "under_review": save(
            store, judge, verification_state="under_review", observed_start="2026-04-01T10:00:00Z", observed_end=None
        ),
        "returned": save(
            store, judge, verification_state="returned", observed_start="2026-04-02T10:00:00Z", observed_end=None
        ),
        "same_time": save(store, writer, observed_start="2026-04-02T10:00:00Z", observed_end=None),
        "verified": save(
            store, judge, verification_state="verified", observed_start="2026-03-01T10:00:00Z", observed_end=None
        ),
        "draft": save(
            store, writer, verification_state="draft", observed_start="2026-03-01T10:00:00Z", observed_end=None
        ),
        "conflicted": save(store, writer, observed_start="2026-03-02T10:00:00Z", observed_end=None),
    }


def test_the_queue_is_oldest_first_and_keeps_conflicts_apart(
    store: Store, writer: Writer, queued: dict[str, Saved]
) -> None:
    make_conflict(store, writer, queued["conflicted"])
    tied = sorted([queued["returned"].incident_id, queued["same_time"].incident_id])
    expected = [queued["under_review"].incident_id, *tied, queued["submitted"].incident_id]

    assert [r.incident_id for r in review_queue(store.conn)] == expected
    first = review_queue(store.conn, limit=2)
    last = first[-1]
    rest = review_queue(store.conn, limit=2, after=Cursor(last.incident.observed_start, last.incident_id))
    assert [r.incident_id for r in first + rest] == expected

    (conflict,) = conflicts(store.conn)
    assert conflict.incident_id == queued["conflicted"].incident_id and conflict.heads == 2


def test_queue_counts_per_state_without_the_conflicts(store: Store, writer: Writer, queued: dict[str, Saved]) -> None:
    make_conflict(store, writer, queued["conflicted"])
    assert queue_counts(store.conn) == {"submitted": 2, "under_review": 1, "returned": 1, "conflicts": 1}


def test_a_supervisor_verifies_three_incidents_at_once(
    store: Store, writer: Writer, supervisor: Monitor, queued: dict[str, Saved]
) -> None:
    chosen = [queued[name] for name in ("submitted", "under_review", "returned")]
    before = {s.incident_id: get_incident(store.conn, s.incident_id).head_version_id for s in chosen}

    saved = review_incidents(
        store.conn,
        supervisor,
        writer,
        [s.incident_id for s in chosen],
        VERIFY,
        "cross-checked with OP-2",
        store.calendar,
    )

    assert [s.ref for s in saved] == [s.ref for s in chosen]
    for result in saved:
        record = get_incident(store.conn, result.incident_id)
        assert record.incident.verification_state == "verified" and record.incident.source_reliability == "B"
        assert record.head_version_id == result.version_id
        last = incident_history(store.conn, result.incident_id)[-1]
        assert last.version.reason == "cross-checked with OP-2"
        # The writer fixture signs in the monitor; the review's author is still the supervisor.
        assert last.version.author_id == supervisor.monitor_id and last.author_name == "Ingrid Solberg (SOLB)"
        assert last.version.parent_ids == (before[result.incident_id],)
        assert last.version.recorded_at.endswith("Z")
    # The form graded them A / 2; the supervisor regrades the source and keeps the credibility.
    assert {incident_history(store.conn, s.incident_id)[-1].changed for s in saved} == {
        ("source_reliability", "verification_state")
    }
    assert check_projection(store.conn, store.calendar) == [] and verify_chains(store.conn) == []
    assert queue_counts(store.conn)["under_review"] == 0


def test_a_decision_changes_only_what_it_names(store: Store, writer: Writer, supervisor: Monitor) -> None:
    saved = save(store, writer, actor2="Party B")
    decision = ReviewDecision("disputed", attribution="attributed", actor1="Party A", source_reliability="c")
    review_incidents(
        store.conn, supervisor, writer, [saved.incident_id], decision, "two sources disagree", store.calendar
    )
    incident = get_incident(store.conn, saved.incident_id).incident
    assert (incident.attribution, incident.actor1, incident.actor2) == ("attributed", "Party A", "Party B")
    assert incident.source_reliability == "C" and incident.info_credibility == 2 and incident.count == 12
    assert incident_history(store.conn, saved.incident_id)[-1].changed == (
        "source_reliability",
        "verification_state",
        "attribution",
        "actor1",
    )
    cleared = ReviewDecision("verified", actor2="")
    review_incidents(store.conn, supervisor, writer, [saved.incident_id], cleared, "B was not involved", store.calendar)
    assert get_incident(store.conn, saved.incident_id).incident.actor2 is None


def test_a_monitor_cannot_review_and_nothing_changes(
    store: Store, writer: Writer, monitor: Monitor, queued: dict[str, Saved]
) -> None:
    before = version_count(store)
    with pytest.raises(NotSupervisorError) as caught:
        review_incidents(
            store.conn, monitor, writer, [queued["submitted"].incident_id], VERIFY, "looks fine", store.calendar
        )
    assert str(caught.value) == "Only a supervisor can review incidents; Amelia Hart (HART) is a monitor."
    assert version_count(store) == before
    assert get_incident(store.conn, queued["submitted"].incident_id).incident.verification_state == "submitted"


def test_the_stored_role_decides_not_the_callers_copy(store: Store, writer: Writer, supervisor: Monitor) -> None:
    saved = save(store, writer)
    update_monitor(store.conn, supervisor.monitor_id, supervisor.name, supervisor.callsign, "monitor")
    with pytest.raises(NotSupervisorError, match="Ingrid Solberg"):
        review_incidents(
            store.conn, supervisor, writer, [saved.incident_id], VERIFY, "still a supervisor?", store.calendar
        )


@pytest.mark.parametrize("state", ["verified", "returned", "under_review"])
def test_one_conflict_refuses_the_whole_batch(
    store: Store, writer: Writer, supervisor: Monitor, queued: dict[str, Saved], state: str
) -> None:
    make_conflict(store, writer, queued["conflicted"])
    before = version_count(store)
    ids = [queued["submitted"].incident_id, queued["conflicted"].incident_id, queued["returned"].incident_id]
    with pytest.raises(IncidentsInConflictError) as caught:
        review_incidents(store.conn, supervisor, writer, ids, ReviewDecision(state), "batch", store.calendar)
    ref = queued["conflicted"].ref
    assert str(caught.value) == f"{ref} is in conflict (2 versions); resolve the conflict before reviewing it"
    assert caught.value.refs == [ref]
    assert version_count(store) == before
    assert get_incident(store.conn, queued["submitted"].incident_id).incident.verification_state == "submitted"


def test_an_invalid_decision_names_the_incident_and_the_field(
    store: Store, writer: Writer, supervisor: Monitor, queued: dict[str, Saved]
) -> None:
    before = version_count(store)
    ids = [queued["submitted"].incident_id, queued["returned"].incident_id]
    with pytest.raises(DecisionInvalidError) as caught:
        review_incidents(
            store.conn,
            supervisor,
            writer,
            ids,
            ReviewDecision("verified", attribution="attributed"),
            "x",
            store.calendar,
        )
    error = caught.value
    assert error.ref == queued["submitted"].ref and error.fields == ["actor1"] and error.others == 1
    assert str(error) == (
        f"{queued['submitted'].ref}: actor1: is required when the incident is attributed (and 1 more incident)"
    )
    assert isinstance(error, ValidationError)
    assert version_count(store) == before


def test_an_unknown_incident_refuses_the_batch(
    store: Store, writer: Writer, supervisor: Monitor, queued: dict[str, Saved]
) -> None:
    before = version_count(store)
    with pytest.raises(NotFoundError, match="incident no-such-id does not exist"):
        review_incidents(
            store.conn, supervisor, writer, [queued["submitted"].incident_id, "no-such-id"], VERIFY, "x", store.calendar
        )
    assert version_count(store) == before


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_review_needs_a_reason(
    store: Store, writer: Writer, supervisor: Monitor, queued: dict[str, Saved], reason: Any
) -> None:
    before = version_count(store)
    with pytest.raises(ValidationError) as caught:
        review_incidents(
            store.conn, supervisor, writer, [queued["submitted"].incident_id], VERIFY, reason, store.calendar
        )
    assert caught.value.fields == ["reason"]
    assert version_count(store) == before


@pytest.mark.parametrize("state", ["approved", "draft", "submitted"])
def test_a_decision_needs_a_state_a_supervisor_may_set(state: str) -> None:
    with pytest.raises(ValidationError, match=f"verification_state: '{state}' is not one of: verified, "):
        ReviewDecision(state)


def test_a_monitor_submits_their_drafts(
    store: Store, writer: Writer, monitor: Monitor, queued: dict[str, Saved]
) -> None:
    ids = [queued["draft"].incident_id, queued["returned"].incident_id]
    saved = submit_incidents(store.conn, writer, ids, store.calendar)
    assert [s.incident_id for s in saved] == ids
    for incident_id in ids:
        assert get_incident(store.conn, incident_id).incident.verification_state == "submitted"
        last = incident_history(store.conn, incident_id)[-1]
        assert last.version.reason == "submitted for review" and last.version.author_id == monitor.monitor_id
        assert last.changed == ("verification_state",)
    assert queue_counts(store.conn)["submitted"] == 5  # with the three already submitted


def test_only_drafts_and_returned_incidents_can_be_submitted(
    store: Store, writer: Writer, queued: dict[str, Saved]
) -> None:
    before = version_count(store)
    ids = [queued["draft"].incident_id, queued["verified"].incident_id, queued["under_review"].incident_id]
    with pytest.raises(NotSubmittableError) as caught:
        submit_incidents(store.conn, writer, ids, store.calendar)
    assert str(caught.value) == (
        f"{queued['verified'].ref} is verified, {queued['under_review'].ref} is under review; "
        "only a draft or a returned incident can be submitted for review"
    )
    assert version_count(store) == before


def test_a_conflicted_draft_cannot_be_submitted(store: Store, writer: Writer) -> None:
    saved = save(store, writer, verification_state="draft")
    make_conflict(store, writer, saved)
    with pytest.raises(IncidentsInConflictError, match="resolve the conflict before submitting it"):
        submit_incidents(store.conn, writer, [saved.incident_id], store.calendar)


def test_the_queue_reads_indexes_never_the_whole_table(store: Store) -> None:
    """A million incidents stay fast only if no query walks the table or sorts the whole queue."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)  # SQL with its parameters filled in
    review_queue(store.conn, after=Cursor("2026-01-01T00:00:00Z", "x"))
    conflicts(store.conn)
    queue_counts(store.conn)
    store.conn.set_trace_callback(None)
    plans = {sql: [row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}")] for sql in statements}
    assert len(plans) == 4
    for sql, plan in plans.items():
        assert not [step for step in plan if step.startswith("SCAN incidents")], (sql, plan)
    queue_plan = plans[statements[0]]
    assert "MERGE (UNION ALL)" in queue_plan and "USE TEMP B-TREE FOR ORDER BY" not in queue_plan
    assert all("incidents_state (verification_state=? AND observed_start>?)" in s for s in queue_plan if "SEARCH" in s)
