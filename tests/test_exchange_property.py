"""Property: laptops that record, amend and swap bundles in any order, with duplicates, converge.

Hypothesis draws a short script of actions for three laptops (record, amend from the current or
an older version, export, import any bundle made so far, possibly twice). At the end every laptop
receives every bundle in its own random order; all must then hold identical state hashes,
projections and heads, with no version lost and the database passing its full check.
"""

import random
import tempfile
from pathlib import Path

from hypothesis import event, given, settings
from hypothesis import strategies as st
from laptops import Laptop, Mission
from support import valid_raw

from db.exchange.export import NothingToExport
from db.model.validation import validate_incident
from db.records.incidents import ConflictError, current_heads, resolve_conflict
from db.storage.integrity import check_database

NAMES = ("hart", "kova", "lee")
# Weighted towards amending and exchanging, so that laptops often edit incidents they share.
KINDS = ("record", "record", "amend", "amend", "amend_old", "amend_old", "resolve", "export", "export", "import") + (
    "import",
) * 3
action = st.tuples(st.sampled_from(KINDS), st.integers(0, 2), st.integers(0, 1000))


@settings(max_examples=25, deadline=None)
@given(script=st.lists(action, min_size=8, max_size=30), seed=st.integers(0, 2**16))
def test_laptops_exchanging_bundles_in_any_order_converge(script: list[tuple[str, int, int]], seed: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="truceline-prop-") as directory:
        laptops = [Laptop(Path(directory), name, role="supervisor") for name in NAMES]
        # Resolving a conflict is a supervisor's decision: the mission's roster names all three,
        # so that every laptop accepts the others' resolutions (db/records/roles.py).
        hq = Mission(Path(directory))
        hq.trust(*laptops)
        signed = hq.roster(laptops, supervisors=laptops)
        for laptop in laptops:
            hq.load(laptop, signed)
        bundles: list[Path] = []
        try:
            for kind, who, value in script:
                _act(laptops[who], kind, value, bundles)
            for laptop in laptops:
                try:
                    bundles.append(laptop.export(everything=True))
                except NothingToExport:
                    pass
            written = set().union(*(laptop.version_ids() for laptop in laptops))
            for laptop in laptops:
                order = bundles + rng.sample(bundles, k=min(2, len(bundles)))  # some twice
                rng.shuffle(order)
                laptop.receive(*order)
            first = laptops[0]
            assert first.version_ids() == written  # nothing lost
            for laptop in laptops:
                assert laptop.state() == first.state()
                assert laptop.projection() == first.projection()
                assert laptop.heads() == first.heads()
            assert check_database(first.store.conn, first.store.calendar).ok
            event(f"incidents in conflict at the end: {min(first.conflicts(), 2)}")
        finally:
            for laptop in laptops:
                laptop.close()


def _act(laptop: Laptop, kind: str, value: int, bundles: list[Path]) -> None:
    incidents = [r[0] for r in laptop.store.conn.execute("SELECT incident_id FROM incidents ORDER BY 1")]
    if kind == "record":
        laptop.record(count=value % 50 + 1)
    elif kind in ("amend", "amend_old") and incidents:
        incident_id = incidents[value % len(incidents)]
        base = None
        if kind == "amend_old":  # an editor who opened the incident before the last change: a conflict
            base = laptop.store.conn.execute(
                "SELECT version_id FROM incident_versions WHERE incident_id = ? ORDER BY version_id LIMIT 1",
                (incident_id,),
            ).fetchone()[0]
        try:
            laptop.amend(incident_id, f"change {value}", base, count=value + 1)
        except ConflictError:
            pass
    elif kind == "resolve" and incidents:
        incident_id = incidents[value % len(incidents)]
        if len(current_heads(laptop.store.conn, [incident_id])[incident_id]) > 1:
            incident = validate_incident(valid_raw(count=value + 1), theatre=laptop.store.theatre)
            store = laptop.store
            resolve_conflict(store.conn, laptop.writer, incident_id, incident, "agreed", store.calendar)
    elif kind == "export":
        try:
            bundles.append(laptop.export(everything=bool(value)))
        except NothingToExport:
            pass
    elif kind == "import" and bundles:
        laptop.receive(bundles[value % len(bundles)])
