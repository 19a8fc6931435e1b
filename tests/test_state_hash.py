"""The state hash (db.exchange.log.state_hash): equal exactly when two laptops hold the same versions,
computed from each device's chain without reading every version."""

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from laptops import Laptop, laptops_named

from db.exchange.log import state_hash


@pytest.fixture
def laptops(tmp_path: Path) -> Iterator[dict[str, Laptop]]:
    with laptops_named(tmp_path, "hart", "kova", "supervisor", "relay") as made:
        yield made


def test_a_laptop_without_gaps_hashes_each_device_s_last_chain_link(laptops: dict[str, Laptop]) -> None:
    hart = laptops["hart"]
    saved = hart.record()
    hart.amend(saved.incident_id, "recounted", count=2)
    last = hart.record(count=3)
    conn = hart.store.conn
    chain = conn.execute("SELECT chain_sha256 FROM incident_versions WHERE version_id = ?", (last.version_id,))
    line = f"{hart.store.device.device_id} 1 3 {chain.fetchone()[0]}\n"
    assert hart.state() == hashlib.sha256(line.encode("ascii")).hexdigest()
    hart.record(count=4)
    assert hart.state() != hashlib.sha256(line.encode("ascii")).hexdigest()


def test_the_same_versions_give_the_same_hash_and_other_versions_another(laptops: dict[str, Laptop]) -> None:
    hart, kova, sup, relay = laptops["hart"], laptops["kova"], laptops["supervisor"], laptops["relay"]
    first = hart.record()
    hart.record(count=2)
    early = hart.export()
    hart.amend(first.incident_id, "more detail", count=3)
    hart.record(count=4)
    late = hart.export()
    kova.record(count=7)
    from_kova = kova.export()

    sup.receive(late, from_kova)  # Hart's versions 3-4 (1-2 missing: a gap) and Kova's one
    relay.receive(from_kova, late)
    assert sup.state() == relay.state()
    assert sup.state() != hart.state()

    # As many versions of each device, but not the same ones: versions 1-2 of Hart instead of 3-4.
    other_half = Laptop(hart.root, "other-half")
    try:
        other_half.receive(early, from_kova)
        held = "SELECT device_id, count(*) FROM incident_versions GROUP BY 1 ORDER BY 1"
        assert other_half.store.conn.execute(held).fetchall() == sup.store.conn.execute(held).fetchall()
        assert other_half.state() != sup.state()
    finally:
        other_half.close()

    # The missing versions arrive: the gap closes and the hash is Hart's and Kova's together.
    sup.receive(early)
    relay.receive(early)
    assert sup.state() == relay.state()
    kova.receive(hart.export(everything=True))
    assert kova.state() == sup.state()


def test_an_empty_database_has_the_hash_of_nothing(laptops: dict[str, Laptop]) -> None:
    assert state_hash(laptops["kova"].store.conn) == hashlib.sha256(b"").hexdigest()
