"""Exchange bundles between laptops: export, import, re-import, relays, gaps, conflicts (db level)."""

from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path

import pytest
from laptops import Laptop, laptops_named, read_members

from db.exchange.export import NothingToExport
from db.exchange.log import import_log, sequence_gaps
from db.records.incidents import incident_history
from db.storage.integrity import check_database
from db.storage.store import Store


@pytest.fixture
def laptops(tmp_path: Path) -> Iterator[dict[str, Laptop]]:
    with laptops_named(tmp_path, "hart", "kova", "supervisor") as made:
        yield made


def test_a_bundle_brings_a_fresh_laptop_to_the_same_state(laptops: dict[str, Laptop]) -> None:
    hart, sup = laptops["hart"], laptops["supervisor"]
    first = hart.record(count=3)
    hart.record(count=5, place="Часів Яр")
    hart.amend(first.incident_id, "recounted at dawn", count=4)
    bundle = hart.export()

    [result] = sup.receive(bundle)

    assert (result.added, result.duplicate, result.conflicting) == (3, 0, 0)
    assert result.exporter_label == "laptop-hart" and not result.gaps
    assert sup.state() == hart.state()
    assert sup.projection() == hart.projection()
    assert sup.heads() == hart.heads()
    assert check_database(sup.store.conn, sup.store.calendar).ok
    # Who changed what: the supervisor's history names the monitor and the laptop, not bare ids.
    history = incident_history(sup.store.conn, first.incident_id)
    assert [(e.author_name, e.device_label) for e in history] == [("Monitor hart (HART)", "laptop-hart")] * 2
    [logged] = import_log(sup.store.conn)
    assert (logged.device_label, logged.seq_from, logged.seq_to, logged.added) == ("laptop-hart", 1, 3, 3)
    assert logged.bundle_sha256 == result.bundle_sha256


def test_reimporting_adds_nothing_and_is_logged_as_duplicates(laptops: dict[str, Laptop]) -> None:
    hart, sup = laptops["hart"], laptops["supervisor"]
    hart.record()
    hart.record(count=2)
    bundle = hart.export()
    sup.receive(bundle)
    before = sup.state(), sup.projection()

    [again] = sup.receive(bundle)

    assert (again.added, again.duplicate) == (0, 2)
    assert (sup.state(), sup.projection()) == before
    assert [(r.added, r.duplicate) for r in import_log(sup.store.conn)] == [(0, 2), (2, 0)]


def test_export_by_default_carries_only_what_is_new_and_all_on_request(laptops: dict[str, Laptop]) -> None:
    hart = laptops["hart"]
    hart.record()
    _manifest, first = read_members(hart.export())
    with pytest.raises(NothingToExport, match="nothing new to export"):
        hart.export()
    hart.record(count=9)
    manifest, second = read_members(hart.export())
    assert len(first) == 1 and [line["device_seq"] for line in second] == [2]
    assert manifest["devices"][0]["runs"][0]["seq_from"] == 2
    assert len(read_members(hart.export(everything=True))[1]) == 2


def test_a_failed_export_leaves_no_file_and_keeps_the_mark(laptops: dict[str, Laptop], tmp_path: Path) -> None:
    from db.core.errors import TrucelineError
    from db.exchange.export import export_bundle

    hart = laptops["hart"]
    hart.record()
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the folder should be")
    with pytest.raises((OSError, TrucelineError)):
        export_bundle(hart.store.conn, hart.store.device, blocker / "out.zip")
    assert not list(tmp_path.glob("**/*.part"))
    assert len(read_members(hart.export())[1]) == 1  # still counted as not yet exported


def test_two_laptops_editing_one_incident_make_exactly_one_conflict_and_lose_nothing(
    laptops: dict[str, Laptop],
) -> None:
    hart, kova, sup = laptops["hart"], laptops["kova"], laptops["supervisor"]
    saved = hart.record(count=12)
    kova.receive(hart.export())
    hart.amend(saved.incident_id, "recount by Hart", count=20)
    kova.amend(saved.incident_id, "recount by Kova", count=30)
    from_hart, from_kova = hart.export(), kova.export()

    [from_kova_result] = sup.receive(from_kova)
    [from_hart_result] = sup.receive(from_hart)
    hart.receive(from_kova)
    kova.receive(from_hart)

    assert from_kova_result.added == 2 and not from_kova_result.gaps  # Kova relays Hart's first version
    assert from_hart_result.conflicting == 1
    for laptop in (hart, kova, sup):
        assert laptop.conflicts() == 1
        assert len(laptop.version_ids()) == 3
        assert laptop.state() == sup.state() and laptop.projection() == sup.projection()
        [record] = laptop.projection()
        assert record[3] == 2  # heads


def test_versions_relayed_through_another_laptop_stay_verifiable(laptops: dict[str, Laptop]) -> None:
    hart, kova, sup = laptops["hart"], laptops["kova"], laptops["supervisor"]
    hart.record()
    hart.record(count=2)
    kova.receive(hart.export())
    kova.record(count=7)

    [result] = sup.receive(kova.export())

    assert result.added == 3 and not result.gaps
    labels = dict(sup.store.conn.execute("SELECT label, public_key FROM devices").fetchall())
    assert labels["laptop-hart"] == hart.store.device.public_key_b64
    assert sup.state() == kova.state()
    # Hart's own bundle arriving later adds nothing.
    assert sup.receive(hart.export(everything=True))[0].added == 0


def test_a_sequence_gap_is_reported_and_closes_when_the_missing_versions_arrive(
    laptops: dict[str, Laptop], tmp_path: Path
) -> None:
    hart, kova, sup = laptops["hart"], laptops["kova"], laptops["supervisor"]
    saved = hart.record()
    hart.record(count=2)
    early = hart.export()
    hart.amend(saved.incident_id, "more detail", count=3)
    hart.record(count=4)
    late = hart.export()

    [result] = sup.receive(late)

    device_id = hart.store.device.device_id
    assert [str(g) for g in result.gaps] == [f"device laptop-hart ({device_id}): versions 1–2 missing"]
    # The supervisor passes the late versions on: they remain verifiable after the gap (kept anchor).
    kova_result = kova.receive(sup.export())[0]
    assert kova_result.added == 2 and [(g.first, g.last) for g in kova_result.gaps] == [(1, 2)]
    sup.receive(early)
    assert sequence_gaps(sup.store.conn) == []
    assert sup.state() == hart.state() and sup.projection() == hart.projection()
    assert check_database(sup.store.conn, sup.store.calendar).ok
    kova.receive(early)
    assert kova.state() == hart.state()


def test_any_order_of_the_same_bundles_gives_the_same_database(laptops: dict[str, Laptop], tmp_path: Path) -> None:
    hart, kova, sup = laptops["hart"], laptops["kova"], laptops["supervisor"]
    one = hart.record()
    b1 = hart.export()
    kova.receive(b1)
    hart.amend(one.incident_id, "fix", count=2)
    kova.amend(one.incident_id, "other fix", count=3)
    kova.record(count=5)
    b2, b3 = hart.export(), kova.export()
    sup.receive(b3, b1, b2, b3)
    other = Laptop(tmp_path, "other")
    other.receive(b2, b3, b1)
    assert other.state() == sup.state() and other.projection() == sup.projection() and other.heads() == sup.heads()
    other.close()


def test_stopping_an_import_or_export_midway_applies_nothing(laptops: dict[str, Laptop], tmp_path: Path) -> None:
    from db.exchange.export import export_bundle
    from db.exchange.importing import import_bundle
    from db.exchange.verify import BundleCancelled

    hart, sup = laptops["hart"], laptops["supervisor"]
    for count in range(1, 4):
        hart.record(count=count)
    bundle = hart.export()
    calls: list[tuple[int, int]] = []

    def stop_late(done: int, total: int) -> bool:
        calls.append((done, total))
        return done < total  # refuse only at the very end, inside the write transaction

    before = sup.snapshot()
    with pytest.raises(BundleCancelled, match="nothing from the bundle being read was applied"):
        import_bundle(sup.store.conn, sup.store.calendar, bundle, stop_late)
    assert sup.snapshot() == before and calls[-1][0] == calls[-1][1]

    out = tmp_path / "stopped.zip"
    with pytest.raises(BundleCancelled, match="no bundle was written"):
        export_bundle(hart.store.conn, hart.store.device, out, everything=True, progress=lambda done, total: False)
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_check_verifies_the_version_after_a_gap_and_the_kept_signatures(laptops: dict[str, Laptop]) -> None:
    hart, sup = laptops["hart"], laptops["supervisor"]
    hart.record()
    hart.export()  # never reaches the supervisor
    hart.record(count=2)
    hart.record(count=3)
    sup.receive(hart.export())
    conn = sup.store.conn

    def problems() -> list[str]:
        return [str(p) for p in check_database(conn, sup.store.calendar).problems]

    device_id = hart.store.device.device_id
    gap = f"device {device_id}: versions 1 missing (not received yet: an open sequence gap)"
    assert problems() == [gap]  # only the gap: version 2 is verified
    assert check_database(conn, sup.store.calendar).ok  # another laptop's gap is no damage
    conn.execute("UPDATE chain_anchors SET previous_chain_sha256 = ?", ("0" * 64,))
    assert f"device {device_id}, version 2" in "\n".join(problems())
    conn.execute(
        "UPDATE chain_heads SET signature = ?", (conn.execute("SELECT signature FROM chain_heads").fetchone()[0][::-1],)
    )
    assert "the signature of chain head 3 does not match its key" in "\n".join(problems())


def test_a_laptop_names_itself_and_a_relayed_name_never_overrides(laptops: dict[str, Laptop]) -> None:
    from db.storage.device import device_label, set_device_label

    hart, kova, sup = laptops["hart"], laptops["kova"], laptops["supervisor"]
    hart.record()
    kova.receive(hart.export())
    kova.record(count=2)
    set_device_label(kova.store.conn, hart.store.device.device_id, "kova's name for hart")
    sup.receive(hart.export(everything=True))
    hart_id = hart.store.device.device_id
    set_device_label(hart.store.conn, hart_id, "Team 3 laptop")
    hart.record(count=3)
    sup.receive(hart.export())
    assert device_label(sup.store.conn, hart_id) == "Team 3 laptop"
    sup.receive(kova.export())  # relays Hart's versions under Kova's label for it
    assert device_label(sup.store.conn, hart_id) == "Team 3 laptop"
    assert device_label(sup.store.conn, kova.store.device.device_id) == "laptop-kova"


def test_export_progress_rises_while_reading_writing_and_verifying(store: Store, tmp_path: Path) -> None:
    from db.exchange.export import PASS_WEIGHTS, export_bundle
    from db.records.demo import generate

    generate(store, 3000)
    calls: list[tuple[int, int]] = []

    def follow(done: int, total: int) -> bool:
        calls.append((done, total))
        return True

    result = export_bundle(store.conn, store.device, tmp_path / "big.zip", progress=follow)

    assert result.versions == 3000
    [total] = {total for _done, total in calls}
    values = [done for done, _total in calls]
    assert values == sorted(values) and values[0] == 0 and values[-1] == total
    # The bar moves within each pass (reading, writing, verifying), not only at the end of one.
    ends = list(accumulate(w * total // sum(PASS_WEIGHTS) for w in PASS_WEIGHTS))
    assert [any(start < v < end for v in values) for start, end in zip([0, *ends], ends, strict=False)] == [True] * 3
    assert len({v for v in values if v < total}) >= 6
