"""The mission's signed roster: who belongs to the mission, who may decide, and what is kept apart until then.

Each laptop here is real (tests/laptops.py): its bundles are validly signed, so every refusal is the
roster's doing. A refusal is one sentence naming the laptop, the version and the field, and changes
nothing (the laptop's snapshot and state hash are the same after it).
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from laptops import Laptop, Mission, rewrite_bundle
from support import valid_raw

from db.exchange.bundle_file import BundleError
from db.exchange.mission import KEY_FILE
from db.exchange.quarantine import count_apart, kept_apart
from db.exchange.roster_file import load_roster, sign_roster
from db.model.validation import validate_incident
from db.records.incidents import amend_incident, get_incident
from db.records.monitors import RoleChangeError, update_monitor
from db.records.queries import IncidentFilter, count_incidents
from db.records.review import NotSupervisorError, ReviewDecision, review_incidents
from db.records.roster import RosterError, roster_in_force
from desktop.cli.main import main

VERIFY = ReviewDecision("verified")


@pytest.fixture
def hq(tmp_path: Path) -> Mission:
    return Mission(tmp_path)


@pytest.fixture
def team(tmp_path: Path) -> dict[str, Laptop]:
    laptops = {
        "hart": Laptop(tmp_path, "hart"),
        "solb": Laptop(tmp_path, "solb", role="supervisor"),
        "rogue": Laptop(tmp_path, "rogue", role="supervisor"),  # a laptop that calls its own user a supervisor
    }
    yield laptops
    for laptop in laptops.values():
        laptop.close()


def load(laptop: Laptop, path: Path) -> None:
    load_roster(laptop.store.conn, laptop.store.calendar, path)


def verify(laptop: Laptop, incident_id: str) -> None:
    review_incidents(
        laptop.store.conn, laptop.monitor, laptop.writer, [incident_id], VERIFY, "seen on camera", laptop.store.calendar
    )


def shown(laptop: Laptop) -> int:
    return count_incidents(laptop.store.conn, IncidentFilter())


def test_a_supervisor_named_by_the_roster_decides_and_the_decision_travels(
    hq: Mission, team: dict[str, Laptop]
) -> None:
    hart, solb = team["hart"], team["solb"]
    hq.trust(hart, solb)
    signed = hq.roster([hart, solb], supervisors=[solb])
    load(solb, signed)
    saved = hart.record()
    solb.receive(hart.export())
    verify(solb, saved.incident_id)
    # The supervisor's bundle carries the roster: hart loads it first, then accepts the decision.
    [result] = hart.receive(solb.export())
    assert result.roster is not None and result.roster.roster.number == 1 and result.kept_apart == 0
    assert get_incident(hart.store.conn, saved.incident_id).incident.verification_state == "verified"
    assert roster_in_force(hart.store.conn) == roster_in_force(solb.store.conn)
    assert hart.state() == solb.state()


def test_mission_roster_sign_load_and_show_on_the_command_line(
    hq: Mission, team: dict[str, Laptop], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    solb = team["solb"]
    data_dir = str(solb.root / solb.name)
    hq.trust(solb)
    source = tmp_path / "roster.json"
    device = solb.store.device
    source.write_text(
        json.dumps(
            {
                "number": 7,
                "laptops": [{"device_id": device.device_id, "public_key": device.public_key_b64, "label": "SOLB"}],
                "supervisors": [
                    {"monitor_id": solb.monitor.monitor_id, "name": "Monitor solb", "devices": [device.device_id]}
                ],
            }
        )
    )
    solb.close()
    assert main(["--data-dir", data_dir, "mission", "show"]) == 0
    out = capsys.readouterr().out
    assert "No roster loaded: roles cannot be checked until the mission's roster is loaded." in out
    signed = tmp_path / "roster.signed"
    assert main(["mission", "roster", "sign", str(source), "--key", str(hq.root / KEY_FILE), "-o", str(signed)]) == 0
    assert "Signed roster 7 of " in capsys.readouterr().out
    assert main(["--data-dir", data_dir, "mission", "roster", "load", str(signed)]) == 0
    assert "The mission's roster 7 of " in capsys.readouterr().out
    assert main(["--data-dir", data_dir, "mission", "show"]) == 0
    out = capsys.readouterr().out
    assert "Roster in force: roster 7 of " in out and "1 laptop, 1 supervisor" in out
    assert f"supervisor Monitor solb ({solb.monitor.monitor_id})" in out
    # The same file again: its number is not newer.
    assert main(["--data-dir", data_dir, "mission", "roster", "load", str(signed)]) == 2
    err = capsys.readouterr().err
    assert "roster 7 is not newer than roster 7 in force here" in err and len(err.strip().splitlines()) == 1
    solb.store = Laptop.reopen(solb.root, solb.name).store


def test_an_older_or_equal_roster_is_refused_and_changes_nothing(hq: Mission, team: dict[str, Laptop]) -> None:
    solb = team["solb"]
    hq.trust(solb)
    first = hq.roster([solb], supervisors=[solb])
    second = hq.roster([solb], supervisors=[solb])
    load(solb, second)
    before = solb.store.conn.execute("SELECT * FROM rosters").fetchall()
    for replayed in (first, second):
        with pytest.raises(RosterError, match=r"roster \d is not newer than roster 2 in force here"):
            load(solb, replayed)
    assert solb.store.conn.execute("SELECT * FROM rosters").fetchall() == before


def test_hostile_roster_files_are_refused_in_one_sentence(hq: Mission, team: dict[str, Laptop], tmp_path: Path) -> None:
    solb = team["solb"]
    hq.trust(solb)
    good = hq.roster([solb], supervisors=[solb]).read_bytes()
    other = Mission(tmp_path / "elsewhere")
    signed = json.loads(good)
    tampered = dict(signed, roster={**signed["roster"], "number": 99})
    hostile = {
        "tampered.signed": json.dumps(tampered).encode(),
        "truncated.signed": good[: len(good) // 2],
        "wrong-key.signed": other.roster([solb], supervisors=[solb]).read_bytes(),
        "deep.signed": b"[" * 100_000 + b"]" * 100_000,
        "list.signed": b"[]",
        "huge.signed": b" " * (2 << 20),
    }
    for name, data in hostile.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(RosterError) as caught:
            load(solb, path)
        message = str(caught.value)
        assert name in message and "\n" not in message
    assert "altered, or signed with another key" in _refusal(solb, tmp_path / "wrong-key.signed")
    assert "altered, or signed with another key" in _refusal(solb, tmp_path / "tampered.signed")
    assert "nested more than" in _refusal(solb, tmp_path / "deep.signed")
    assert roster_in_force(solb.store.conn) is None


def _refusal(laptop: Laptop, path: Path) -> str:
    with pytest.raises(RosterError) as caught:
        load(laptop, path)
    return str(caught.value)


def test_a_roster_without_a_trusted_authority_or_with_bad_fields_is_refused(
    hq: Mission, team: dict[str, Laptop], tmp_path: Path
) -> None:
    solb = team["solb"]
    signed = hq.roster([solb], supervisors=[solb])
    with pytest.raises(RosterError, match="trusts no mission authority yet"):
        load(solb, signed)
    source = tmp_path / "bad.json"
    for document, field in (
        ({"number": 0, "laptops": []}, "field number"),
        ({"number": 1, "laptops": [{"device_id": "x", "public_key": "AAAA"}]}, "laptops[0].public_key"),
        ({"number": 1, "laptops": [], "supervisors": [{"monitor_id": "m", "name": "A", "devices": ["y"]}]}, "y"),
        ({"number": 1, "laptops": [], "colour": "red"}, "unknown field colour"),
    ):
        source.write_text(json.dumps(document))
        with pytest.raises(RosterError, match=re.escape(field)):
            sign_roster(source, hq.root / KEY_FILE, tmp_path / "out.signed")
    assert not (tmp_path / "out.signed").exists()


def test_versions_of_a_laptop_not_on_the_roster_are_kept_apart_then_released(
    hq: Mission, team: dict[str, Laptop], capsys: pytest.CaptureFixture[str]
) -> None:
    hart, solb = team["hart"], team["solb"]
    hq.trust(solb)
    load(solb, hq.roster([solb], supervisors=[solb]))
    hart.record()
    hart.record(count=3)
    [result] = solb.receive(hart.export())
    assert (result.added, result.kept_apart) == (0, 2)
    assert "2 kept apart (not shown or counted" in result.summary()
    assert shown(solb) == 0 and count_apart(solb.store.conn) == 2
    kept = kept_apart(solb.store.conn)
    assert [k.device_seq for k in kept] == [1, 2]
    assert kept[0].why == f"laptop {hart.store.device.device_id} is not on the mission's roster 1"
    assert solb.store.conn.execute("SELECT quarantined FROM imports").fetchone()[0] == 2
    # Importing the same bundle again adds nothing and keeps nothing twice.
    [again] = solb.receive(hart.export(everything=True))
    assert (again.added, again.kept_apart, again.duplicate) == (0, 0, 2)
    # The next roster names hart's laptop: released, shown and counted.
    load(solb, hq.roster([solb, hart], supervisors=[solb]))
    assert shown(solb) == 2 and count_apart(solb.store.conn) == 0
    assert not solb.store.conn.execute("SELECT 1 FROM incidents WHERE heads > 1").fetchone()


def test_a_revoked_laptop_is_accepted_up_to_its_revocation(hq: Mission, team: dict[str, Laptop]) -> None:
    hart, solb = team["hart"], team["solb"]
    hq.trust(solb)
    load(solb, hq.roster([solb, hart], supervisors=[solb], revoked={hart: 3}))
    for count in (1, 2, 3, 4):
        hart.record(count=count)
    [result] = solb.receive(hart.export())
    assert (result.added, result.kept_apart) == (2, 2)
    assert [k.device_seq for k in kept_apart(solb.store.conn)] == [3, 4]
    assert "revoked from version 3 on by the mission's roster 1" in kept_apart(solb.store.conn)[0].why
    assert shown(solb) == 2


def test_a_decision_by_someone_the_roster_does_not_name_is_refused_whole(hq: Mission, team: dict[str, Laptop]) -> None:
    """The rogue laptop is on the roster, but its user is not a supervisor: its own "supervisor" role is nothing."""
    rogue, solb = team["rogue"], team["solb"]
    hq.trust(solb)
    load(solb, hq.roster([solb, rogue], supervisors=[solb]))
    saved = rogue.record()
    verify(rogue, saved.incident_id)  # no roster on the rogue laptop: its own role lets it
    before, state = solb.snapshot(), solb.state()
    with pytest.raises(BundleError) as caught:
        solb.receive(rogue.export())
    message = str(caught.value)
    assert f"laptop laptop-rogue ({rogue.store.device.device_id}), version 2" in message
    assert "sets verification_state verified" in message and "is not a supervisor" in message
    assert "nothing from this bundle was applied" in message and "\n" not in message
    assert solb.snapshot() == before and solb.state() == state


def test_without_a_roster_decisions_from_elsewhere_are_kept_apart_until_one_arrives(
    hq: Mission, team: dict[str, Laptop]
) -> None:
    hart, solb, rogue = team["hart"], team["solb"], team["rogue"]
    first = hart.record()
    solb.receive(hart.export())
    verify(solb, first.incident_id)  # solb has no roster either: its own records work as before
    rogue_incident = rogue.record(count=5)
    verify(rogue, rogue_incident.incident_id)
    [from_solb, from_rogue] = hart.receive(solb.export(), rogue.export())
    assert from_solb.kept_apart == 1 and from_rogue.kept_apart == 1
    assert from_solb.note == (
        "Decisions from other laptops were kept apart: roles cannot be checked until the mission's roster is loaded."
    )
    # Neither decision is shown; the rogue's first version (a submission) is.
    assert get_incident(hart.store.conn, first.incident_id).incident.verification_state == "submitted"
    assert get_incident(hart.store.conn, rogue_incident.incident_id).incident.verification_state == "submitted"
    # A roster naming solb (not the rogue's user) as supervisor releases solb's decision only.
    hq.trust(hart)
    load(hart, hq.roster([hart, solb, rogue], supervisors=[solb]))
    assert get_incident(hart.store.conn, first.incident_id).incident.verification_state == "verified"
    # The rogue's stays apart, now saying why.
    [kept] = kept_apart(hart.store.conn)
    assert kept.device_id == rogue.store.device.device_id and kept.kind == "decision"
    assert "is not a supervisor of this laptop on the mission's roster 1" in kept.why
    assert get_incident(hart.store.conn, rogue_incident.incident_id).incident.verification_state == "submitted"


def test_an_amendment_built_on_a_decision_kept_apart_is_kept_apart_too(
    hq: Mission, team: dict[str, Laptop], tmp_path: Path
) -> None:
    """Otherwise a monitor's later amendment would carry the unchecked "verified" into the projection."""
    hart, solb = team["hart"], team["solb"]
    hq.trust(hart, solb)
    load(solb, hq.roster([hart, solb], supervisors=[solb]))
    saved = hart.record()
    solb.receive(hart.export())
    verify(solb, saved.incident_id)
    hart.receive(solb.export())  # hart has the roster (from solb's bundle): the decision is in
    amended = hart.amend(saved.incident_id, "recount", count=20, verification_state="verified")
    bundle = hart.export(everything=True)  # hart's versions, then solb's decision it relays
    newcomer = Laptop(tmp_path, "newcomer")  # no authority, no roster
    try:
        [result] = newcomer.receive(bundle)
        assert result.kept_apart == 2 and result.added == 1
        kinds = {k.version_id: k.kind for k in kept_apart(newcomer.store.conn)}
        assert kinds[amended.version_id] == "descent"
        assert get_incident(newcomer.store.conn, saved.incident_id).incident.verification_state == "submitted"
        # The authority and a roster arrive: both are released, in order.
        hq.trust(newcomer)
        load(newcomer, hq.roster([hart, solb], supervisors=[solb]))
        record = get_incident(newcomer.store.conn, saved.incident_id)
        assert (record.incident.verification_state, record.incident.count, record.heads) == ("verified", 20, 1)
        assert newcomer.state() == hart.state()
    finally:
        newcomer.close()


def test_roles_are_checked_locally_by_the_roster(hq: Mission, team: dict[str, Laptop], tmp_path: Path) -> None:
    hart, solb = team["hart"], team["solb"]
    hq.trust(hart, solb)
    load(solb, hq.roster([solb, hart], supervisors=[hart]))  # hart, not solb, is the supervisor now
    saved = solb.record()
    before = solb.state()
    with pytest.raises(NotSupervisorError) as caught:
        verify(solb, saved.incident_id)
    assert str(caught.value) == (
        "Only a supervisor can review incidents; Monitor solb (SOLB) is not a supervisor on the mission's roster 1."
    )
    # Editing the database's monitors.role changes nothing: the roster decides.
    solb.store.conn.execute("UPDATE monitors SET role = 'supervisor'")
    with pytest.raises(NotSupervisorError):
        verify(solb, saved.incident_id)
    # Nor can the form set a reviewed state.
    verified = validate_incident(valid_raw(verification_state="verified"), theatre=solb.store.theatre)
    with pytest.raises(NotSupervisorError, match="set verification_state to verified"):
        amend_incident(solb.store.conn, solb.writer, saved.incident_id, verified, "looks right", solb.store.calendar)
    assert solb.state() == before


def test_an_edited_roster_in_the_database_allows_nothing(hq: Mission, team: dict[str, Laptop]) -> None:
    solb = team["solb"]
    hq.trust(solb)
    load(solb, hq.roster([solb], supervisors=[]))
    saved = solb.record()
    solb.store.conn.execute(
        "UPDATE rosters SET signed = replace(signed, '\"supervisors\":[]', ?)",
        (
            f'"supervisors":[{{"devices":["{solb.store.device.device_id}"],"monitor_id":"{solb.monitor.monitor_id}",'
            '"name":"Monitor solb"}]',
        ),
    )
    with pytest.raises(NotSupervisorError, match="kept here: the roster is not signed by the mission authority"):
        verify(solb, saved.incident_id)


def test_a_profile_cannot_promote_itself(hq: Mission, team: dict[str, Laptop]) -> None:
    hart = team["hart"]
    with pytest.raises(RoleChangeError, match="cannot make themself a supervisor: roles cannot be checked"):
        update_monitor(hart.store.conn, hart.monitor.monitor_id, hart.monitor.name, "HART", "supervisor")
    hq.trust(hart)
    load(hart, hq.roster([hart], supervisors=[]))
    with pytest.raises(RoleChangeError, match="roster 1 does not name them for this laptop"):
        update_monitor(hart.store.conn, hart.monitor.monitor_id, hart.monitor.name, "HART", "supervisor")
    load(hart, hq.roster([hart], supervisors=[hart]))
    assert update_monitor(
        hart.store.conn, hart.monitor.monitor_id, hart.monitor.name, "HART", "supervisor"
    ).is_supervisor


def test_check_and_the_import_log_list_what_is_kept_apart(
    hq: Mission, team: dict[str, Laptop], capsys: pytest.CaptureFixture[str]
) -> None:
    hart, solb = team["hart"], team["solb"]
    hq.trust(solb)
    load(solb, hq.roster([solb], supervisors=[solb]))
    hart.record()
    bundle = hart.export()
    data_dir = str(solb.root / solb.name)
    solb.close()
    assert main(["--data-dir", data_dir, "bundle", "import", str(bundle)]) == 0
    assert "1 kept apart (not shown or counted" in capsys.readouterr().out
    assert main(["--data-dir", data_dir, "bundle", "log"]) == 0
    out = capsys.readouterr().out
    assert "1 kept apart" in out and "Versions kept apart (not shown or counted): 1" in out
    assert main(["--data-dir", data_dir, "check"]) == 0
    out = capsys.readouterr().out
    assert "kept apart: 1 version(s)" in out and f"device {hart.store.device.device_id} version 1" in out
    solb.store = Laptop.reopen(solb.root, solb.name).store


def test_a_laptop_holding_a_decision_apart_still_exports_and_relays_it(
    hq: Mission, team: dict[str, Laptop], tmp_path: Path
) -> None:
    hart, solb = team["hart"], team["solb"]
    saved = hart.record()
    solb.receive(hart.export())
    verify(solb, saved.incident_id)  # solb's version 1: a decision
    solb.record(count=7)  # solb's version 2: a submission
    [result] = hart.receive(solb.export())
    assert (result.added, result.kept_apart) == (1, 1)
    assert not [gap for gap in result.gaps if gap.device_id == solb.store.device.device_id]
    relayed = hart.export(everything=True)  # solb's version 2 needs version 1's chain hash, held apart
    hq_laptop = Laptop(tmp_path, "hq")
    try:
        hq.trust(hq_laptop)
        load(hq_laptop, hq.roster([hart, solb], supervisors=[solb]))
        [merged] = hq_laptop.receive(relayed)
        assert merged.kept_apart == 0
        assert [(g.device_id, g.first, g.last) for g in merged.gaps] == [(solb.store.device.device_id, 1, 1)]
        # The decision itself comes from solb (or any laptop that accepted it): checked by this roster, merged.
        hq_laptop.receive(solb.export(everything=True))
        assert get_incident(hq_laptop.store.conn, saved.incident_id).incident.verification_state == "verified"
    finally:
        hq_laptop.close()


def test_a_bundle_carrying_a_forged_roster_is_refused_whole(
    hq: Mission, team: dict[str, Laptop], tmp_path: Path
) -> None:
    hart, solb = team["hart"], team["solb"]
    hq.trust(hart, solb)
    load(solb, hq.roster([solb], supervisors=[solb]))
    solb.record()
    genuine = solb.export()

    def promote(manifest: dict[str, Any], _lines: list[dict[str, Any]]) -> None:
        signed = json.loads(manifest["roster"])
        signed["roster"]["number"] = 50  # a higher number, to replace whatever the receiver holds
        manifest["roster"] = json.dumps(signed)

    forged = rewrite_bundle(genuine, tmp_path / "forged.zip", solb.store.device.private_key, promote)
    before, state = hart.snapshot(), hart.state()
    with pytest.raises(BundleError) as caught:
        hart.receive(forged)
    message = str(caught.value)
    assert "the roster in " in message and "altered, or signed with another key" in message
    assert "nothing from this bundle was applied" in message
    assert hart.snapshot() == before and hart.state() == state and roster_in_force(hart.store.conn) is None
    # A laptop that trusts no authority yet cannot check a roster: it passes over it, and keeps none.
    newcomer = Laptop(tmp_path, "newcomer")
    try:
        [result] = newcomer.receive(genuine)
        assert result.roster is None and result.added == 1
        assert newcomer.store.conn.execute("SELECT count(*) FROM rosters").fetchone()[0] == 0
    finally:
        newcomer.close()
    # An older roster in a bundle is passed over silently (bundles carry whatever their laptop had).
    load(hart, hq.roster([solb, hart], supervisors=[solb]))
    [result] = hart.receive(genuine)
    assert result.roster is None and roster_in_force(hart.store.conn).number == 2  # type: ignore[union-attr]
