"""The mission authority's key: created off the laptops, trusted on each with its fingerprint shown."""

import json
import stat
from pathlib import Path

import pytest

from db.exchange.mission import KEY_FILE, PUBLIC_FILE
from desktop.cli.main import main


def fingerprint_of(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("Fingerprint: ")]
    return line.removeprefix("Fingerprint: ")


def test_init_then_trust_shows_the_same_fingerprint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hq = tmp_path / "hq-stick"
    assert main(["mission", "init", str(hq)]) == 0
    created = fingerprint_of(capsys.readouterr().out)
    assert len(created.split()) == 10
    assert stat.S_IMODE((hq / KEY_FILE).stat().st_mode) == 0o600
    laptop = str(tmp_path / "laptop")
    assert not (tmp_path / "laptop").exists()  # init never touches a data directory
    assert main(["--data-dir", laptop, "mission", "show"]) == 0
    assert "No mission authority trusted yet." in capsys.readouterr().out
    assert main(["--data-dir", laptop, "mission", "trust", str(hq / PUBLIC_FILE)]) == 0
    assert fingerprint_of(capsys.readouterr().out) == created
    assert main(["--data-dir", laptop, "mission", "trust", str(hq / PUBLIC_FILE)]) == 0  # again: no change
    capsys.readouterr()
    assert main(["--data-dir", laptop, "mission", "show"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Mission authority: {created}"
    assert lines[1] == "No roster loaded: roles cannot be checked until the mission's roster is loaded."


def test_another_authority_and_bad_files_are_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a", "b"):
        assert main(["mission", "init", str(tmp_path / name)]) == 0
    assert main(["mission", "init", str(tmp_path / "a")]) == 2  # never over an existing key
    laptop = str(tmp_path / "laptop")
    assert main(["--data-dir", laptop, "mission", "trust", str(tmp_path / "a" / PUBLIC_FILE)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", laptop, "mission", "trust", str(tmp_path / "b" / PUBLIC_FILE)]) == 2
    err = capsys.readouterr().err
    assert "already trusts the mission authority" in err and len(err.strip().splitlines()) == 1
    bad = {
        "deep.pub": b"[" * 100_000,
        "list.pub": b"[]",
        "short.pub": json.dumps({"kind": "truceline-mission-authority", "public_key": "AAAA"}).encode(),
        "big.pub": b" " * 10_000,
    }
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
        assert main(["--data-dir", laptop, "mission", "trust", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert name in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["--data-dir", laptop, "mission", "trust", str(tmp_path / "absent.pub")]) == 2
    capsys.readouterr()
    assert main(["--data-dir", laptop, "mission", "show"]) == 0
    a_fingerprint = capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path / "other"), "mission", "trust", str(tmp_path / "a" / PUBLIC_FILE)]) == 0
    assert fingerprint_of(capsys.readouterr().out) in a_fingerprint
