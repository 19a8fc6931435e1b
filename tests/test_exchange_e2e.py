"""The issue's "done when", end to end through the command line.

Three monitors' laptops record and amend offline (two of them the same incident); the supervisor
imports their bundles in a muddled order, some twice, sees every record once and the conflict
listed, resolves it, and sends one bundle back that brings every laptop to the same state.
"""

import re
from pathlib import Path

import pytest
from laptops import Laptop, Mission
from support import valid_raw

from db.model.validation import validate_incident
from db.records.incidents import resolve_conflict
from desktop.cli.main import main


def cli(capsys: pytest.CaptureFixture[str], laptop: Laptop, *args: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(laptop.store.data_dir), "bundle", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def state_of(out: str) -> str:
    found = re.search(r"State hash: ([0-9a-f]{64})", out)
    assert found, out
    return found.group(1)


def test_three_laptops_and_a_supervisor_end_in_the_same_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hart, kova, lee = (Laptop(tmp_path, name) for name in ("hart", "kova", "lee"))
    sup = Laptop(tmp_path, "sup", role="supervisor")
    usb = tmp_path / "usb"
    # The mission's set-up: every laptop trusts the authority; the roster, loaded on the supervisor's
    # laptop, names the four laptops and the supervisor, and travels to the others in sup's bundle.
    hq = Mission(tmp_path)
    hq.trust(hart, kova, lee, sup)
    hq.load(sup, hq.roster([hart, kova, lee, sup], supervisors=[sup]))
    try:
        shared = hart.record(count=12, place="Торецьк")
        hart.record(count=2)
        assert cli(capsys, hart, "export", str(usb / "hart-1.zip"))[0] == 0
        assert cli(capsys, kova, "import", str(usb / "hart-1.zip"))[0] == 0  # Kova met Hart at the OP
        hart.amend(shared.incident_id, "Hart recounted", count=14)
        kova.amend(shared.incident_id, "Kova recounted", count=15)
        kova.record(count=1)
        lee_first = lee.record(count=7)
        lee.amend(lee_first.incident_id, "Lee: airburst, not impact", explosion_kind="airburst")
        for laptop, name in ((hart, "hart-2"), (kova, "kova-1"), (lee, "lee-1")):
            status, out, _err = cli(capsys, laptop, "export", str(usb / f"{name}.zip"))
            assert status == 0 and "verified after writing" in out

        order = ["lee-1", "hart-2", "lee-1", "kova-1", "hart-1", "hart-2"]
        status, out, err = cli(capsys, sup, "import", *(str(usb / f"{n}.zip") for n in order))

        assert status == 0, err
        assert "lee-1.zip from laptop-lee: 2 added, 0 already here" in out
        assert "lee-1.zip from laptop-lee: 0 added, 2 already here" in out
        assert "Incidents in conflict: 1" in out
        incidents = sup.store.conn.execute("SELECT count(*), count(DISTINCT ref) FROM incidents").fetchone()
        assert incidents == (4, 4)  # every record once
        assert len(sup.version_ids()) == 7  # no version lost: 3 + 2 + 2
        status, out, _err = cli(capsys, sup, "log")
        assert status == 0 and out.count("from laptop-") == 6

        resolved = validate_incident(valid_raw(count=14, place="Торецьк"), theatre=sup.store.theatre)
        store = sup.store
        resolve_conflict(store.conn, sup.writer, shared.incident_id, resolved, "Hart's count, agreed", store.calendar)
        assert cli(capsys, sup, "export", str(usb / "sup-1.zip"))[0] == 0

        states = set()
        for laptop in (hart, kova, lee):
            status, out, _err = cli(capsys, laptop, "import", str(usb / "sup-1.zip"))
            assert status == 0 and "Incidents in conflict: 0" in out
            states.add(state_of(out))
        states.add(state_of(cli(capsys, sup, "log")[1]))
        assert len(states) == 1
        for laptop in (hart, kova, lee):
            assert laptop.projection() == sup.projection() and laptop.heads() == sup.heads()
    finally:
        for laptop in (hart, kova, lee, sup):
            laptop.close()


def test_help_documents_the_bundle_actions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["bundle", "--help"])
    out = capsys.readouterr().out
    assert all(action in out for action in ("export", "import", "log"))
    with pytest.raises(SystemExit):
        main(["bundle", "export", "--help"])
    assert "--all" in capsys.readouterr().out


def test_cli_errors_are_one_line_and_a_non_zero_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hart = Laptop(tmp_path, "hart")
    try:
        hart.record()
        assert cli(capsys, hart, "export", str(tmp_path / "a.zip"))[0] == 0
        status, _out, err = cli(capsys, hart, "export", str(tmp_path / "b.zip"))
        assert status == 2 and err.strip().endswith("use --all to send every version again")
        assert len(err.strip().splitlines()) == 1 and not (tmp_path / "b.zip").exists()
        assert cli(capsys, hart, "export", "--all", str(tmp_path / "b.zip"))[0] == 0
        bad = tmp_path / "bad.zip"
        bad.write_bytes(b"PK not really")
        status, out, err = cli(capsys, hart, "import", str(bad), str(tmp_path / "a.zip"))
        assert status == 2
        assert f"truceline: {bad}: not a Truceline bundle" in err
        assert "1 of 2 bundles refused" in err and "a.zip from laptop-hart: 0 added, 1 already here" in out
    finally:
        hart.close()
