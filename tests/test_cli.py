"""The command line: every subcommand through the real entry point, and its error paths."""

import subprocess
import sys
from pathlib import Path

import pytest

from db.identity import VERSION
from desktop.cli import main


def run(*args: str) -> int:
    return main(list(args))


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run("--version")
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"Truceline {VERSION}"


def test_help_documents_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run("--help")
    out = capsys.readouterr().out
    for command in ("demo", "stats", "check", "backup", "--data-dir"):
        assert command in out


def test_demo_then_stats_then_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    assert run("--data-dir", data, "demo", "--incidents", "600", "--seed", "7") == 0
    assert "Added 600 demo incidents" in capsys.readouterr().out
    assert run("--data-dir", data, "stats") == 0
    out = capsys.readouterr().out
    assert out.startswith("600 incidents, ")
    assert "DMZ-01" in out and "EAST" in out
    assert run("--data-dir", data, "check") == 0
    out = capsys.readouterr().out
    assert "integrity: ok" in out and "versions: 600" in out and "result: ok" in out


def test_demo_is_reproducible_by_seed(tmp_path: Path) -> None:
    from db.store import open_store

    contents = []
    for name in ("a", "b"):
        assert run("--data-dir", str(tmp_path / name), "demo", "--incidents", "200", "--seed", "3") == 0
        store = open_store(tmp_path / name)
        contents.append(store.conn.execute("SELECT payload FROM incident_versions ORDER BY device_seq").fetchall())
        store.close()
    assert contents[0] == contents[1]


def test_backup_writes_a_verified_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d"
    assert run("--data-dir", str(data), "demo", "--incidents", "50") == 0
    assert run("--data-dir", str(data), "backup") == 0
    assert "Backup verified and saved" in capsys.readouterr().out
    (copy,) = (data / "backups").glob("truceline-*-manual.db")
    assert copy.stat().st_size > 0
    assert run("--data-dir", str(data), "check") == 0
    assert "latest verified backup: truceline-" in capsys.readouterr().out


def test_check_fails_with_exit_1_on_a_tampered_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    data = tmp_path / "d"
    assert run("--data-dir", str(data), "demo", "--incidents", "20") == 0
    conn = sqlite3.connect(data / "truceline.db")
    conn.execute("DROP TRIGGER incident_versions_no_update")
    conn.execute("UPDATE incident_versions SET recorded_at = '2020-01-01T00:00:00Z' WHERE device_seq = 5")
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert run("--data-dir", str(data), "check") == 1
    out = capsys.readouterr().out
    assert "version 5" in out and "version hash" in out and "problem(s) found" in out


def test_errors_are_one_line_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "truceline.db").write_text("not a database")
    assert run("--data-dir", str(data), "stats") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a Truceline database" in err


def test_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run("demo", "--incidents", "0")
    assert exited.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_the_installed_command_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(tmp_path / "x"), "stats"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("0 incidents, 0 violations")
