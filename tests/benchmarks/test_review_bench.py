"""Budgets of the review workflow on a full database: the queue's pages and a supervisor's bulk decision."""

import time
from pathlib import Path

from benchutil import report

from db.records.monitors import add_monitor
from db.records.queries import Cursor
from db.records.review import ReviewDecision, conflicts, queue_counts, review_incidents, review_queue
from db.storage.store import open_store

BULK = 1000
BULK_REVIEW_BUDGET_S = 2.0
# The queue is a table the supervisor opens: the table's first-paint budget (ARCHITECTURE.md §10).
QUEUE_PAGE_BUDGET_MS = 150.0


def test_review_queue_and_bulk_review(million: Path) -> None:
    store = open_store(million)
    try:
        supervisor = add_monitor(store.conn, "Bench Reviewer", "BREV", "supervisor")
        writer = store.writer(supervisor.monitor_id)
        total = store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]

        started = time.perf_counter()
        page = review_queue(store.conn)
        first_page = time.perf_counter() - started
        last = page[-1]
        started = time.perf_counter()
        review_queue(store.conn, after=Cursor(last.incident.observed_start, last.incident_id))
        next_page = time.perf_counter() - started
        started = time.perf_counter()
        counts = queue_counts(store.conn)
        counting = time.perf_counter() - started
        started = time.perf_counter()
        conflicts(store.conn)
        listing_conflicts = time.perf_counter() - started

        ids = [record.incident_id for record in review_queue(store.conn, limit=BULK)]
        assert len(ids) == BULK, "the benchmark database has too few queued incidents"
        started = time.perf_counter()
        saved = review_incidents(
            store.conn, supervisor, writer, ids, ReviewDecision("verified"), "bench: verified in bulk", store.calendar
        )
        bulk = time.perf_counter() - started
        assert len(saved) == BULK
    finally:
        store.close()

    report(
        f"review on {total:,} incidents ({sum(v for k, v in counts.items() if k != 'conflicts'):,} queued)",
        [
            ("queue, first page of 500", f"{first_page * 1000:.1f} ms (budget {QUEUE_PAGE_BUDGET_MS:.0f} ms)"),
            ("queue, next page of 500", f"{next_page * 1000:.1f} ms"),
            ("queue counts per state", f"{counting * 1000:.1f} ms"),
            (f"conflicts ({counts['conflicts']:,})", f"{listing_conflicts * 1000:.1f} ms"),
            (f"bulk review of {BULK:,}, one transaction", f"{bulk:.2f} s (budget {BULK_REVIEW_BUDGET_S:.0f} s)"),
        ],
    )
    assert first_page * 1000 < QUEUE_PAGE_BUDGET_MS
    assert next_page * 1000 < QUEUE_PAGE_BUDGET_MS
    assert bulk < BULK_REVIEW_BUDGET_S
