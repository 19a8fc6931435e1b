"""The command line: every subcommand through the real entry point, and its error paths."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import record_events

from db.core.identity import VERSION
from desktop.cli.main import main


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
    # The last 30 days of the demo (which ends yesterday), compared with the 30 before.
    first = out.splitlines()[0]
    assert re.fullmatch(
        r"[\d,]+ ceasefire violations, including [\d,]+ explosions \(.+\); "
        r"in the previous period, [\d,]+ ceasefire violations, including [\d,]+ explosions\.",
        first,
    ), first
    assert "\nAll recorded incidents: 600 incidents, " in out
    assert "DMZ-01" in out and "EAST" in out
    assert run("--data-dir", data, "check") == 0
    out = capsys.readouterr().out
    assert "integrity: ok" in out and "versions: 600" in out and "result: ok" in out


def test_demo_is_reproducible_by_seed(tmp_path: Path) -> None:
    from db.storage.store import open_store

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
    from db.core.sql_driver import sqlite3

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
    assert result.stdout.startswith("No ceasefire violations; in the previous period, no ceasefire violations.\n")
    assert "All recorded incidents: 0 incidents, 0 violations" in result.stdout


@pytest.fixture
def events_dir(tmp_path: Path) -> Path:
    """A data directory holding the hand-counted events of tests/support.py."""
    from db.records.monitors import add_monitor
    from db.storage.store import open_store

    store = open_store(tmp_path / "events")
    author = add_monitor(store.conn, "Amelia Hart", "HART", "monitor")
    record_events(store, store.writer(author.monitor_id))
    store.close()
    return tmp_path / "events"


def test_stats_for_a_period(events_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run("--data-dir", str(events_dir), "stats", "--from", "2026-05-10", "--to", "2026-05-16", "--by", "zone") == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "21 ceasefire violations, including 11 explosions (3 impacts, 2 airbursts, 5 outgoing, 1 undetermined); "
        "in the previous period, 3 ceasefire violations, including 2 explosions.",
        "Period: 2026-05-10 to 2026-05-16 (7 days, local days in Europe/Kyiv); "
        "previous period: 2026-05-03 to 2026-05-09.",
        "Change: ceasefire violations up 18 (+600%); explosions up 9 (+450%).",
        # From the default theatre's latest key date before --to.
        "Since 2026-04-01 (Ceasefire in force), to 2026-05-16: 26 ceasefire violations, "
        "including 15 explosions (4 impacts, 5 airbursts, 5 outgoing, 1 undetermined).",
    ]
    assert "Each zone:" in lines and "Escalated: SOUTH." in lines
    assert (
        "EAST (East): 6 ceasefire violations, including 6 explosions (3 impacts, 2 airbursts, 1 undetermined); "
        "in the previous period, 2 ceasefire violations, including 1 explosion."
    ) in lines
    assert "All recorded incidents: 11 incidents, 37 violations" in lines
    assert any(line.startswith("DMZ-09 DMZ sector 9 (Nova Kakhovka)") for line in lines)  # the tables follow


def test_stats_for_one_zone_in_reporting_days_with_a_running_total(
    events_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--from", "2026-05-10", "--to", "2026-05-16", "--zone", "EAST", "--reporting-days", "--since", "2026-05-01"]
    assert run("--data-dir", str(events_dir), "stats", *args) == 0
    lines = capsys.readouterr().out.splitlines()
    # EAST in reporting days: A 3 + B 2 + K 1 (19:40 on the 9th); E (19:45 on the 16th) belongs to the 17th.
    assert lines[0] == (
        "6 ceasefire violations, including 6 explosions (3 impacts, 3 airbursts); "
        "in the previous period, 1 ceasefire violation, including no explosions."
    )
    assert "reporting days ending at 19:30 Europe/Kyiv" in lines[1]
    assert lines[2] == "Only zone EAST."
    assert lines[4] == (
        "Since 2026-05-01, to 2026-05-16: 9 ceasefire violations, including 8 explosions (3 impacts, 5 airbursts)."
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-05-41"], "--from: '2026-05-41' is not a date; write it as YYYY-MM-DD"),
        (["--to", "yesterday"], "--to: 'yesterday' is not a date; write it as YYYY-MM-DD"),
        (["--from", "2026-05-20", "--to", "2026-05-10"], "--from: 2026-05-20 is after --to 2026-05-10"),
        (["--zone", "ATLANTIS"], "--zone: ATLANTIS is not in this theatre (known: BEYOND, CENTRE, EAST, NORTH"),
        (["--sector", "DMZ-99"], "--sector: DMZ-99 is not in this theatre (known: DMZ-01, DMZ-02"),
        (["--to", "2026-05-10", "--since", "2026-06-01"], "--since: 2026-06-01 is after --to 2026-05-10"),
    ],
)
def test_stats_refuses_bad_options_in_one_line(
    events_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run("--data-dir", str(events_dir), "stats", *args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"truceline: {message}")


def test_export_csv_then_import_csv_elsewhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from db.records.monitors import add_monitor, set_local_profile
    from db.storage.store import open_store

    source, target = str(tmp_path / "a"), tmp_path / "b"
    assert run("--data-dir", source, "demo", "--incidents", "300", "--seed", "2") == 0
    out = tmp_path / "east.csv"
    capsys.readouterr()
    assert run("--data-dir", source, "export-csv", str(out), "--zone", "EAST", "--state", "verified", "--no-bom") == 0
    printed = capsys.readouterr().out
    exported = int(re.search(r"Exported ([\d,]+) incidents", printed).group(1))  # type: ignore[union-attr]
    assert 0 < exported < 300 and out.read_bytes().startswith(b"incident_id,")
    assert run("--data-dir", source, "export-csv", str(tmp_path / "acled.csv"), "--format", "acled") == 0
    assert "Exported 300 incidents" in capsys.readouterr().out

    store = open_store(target)
    set_local_profile(store.conn, add_monitor(store.conn, "Olena Koval", "KOVA", "supervisor"))
    store.close()
    assert run("--data-dir", str(target), "import-csv", str(out), "--dry-run") == 0
    assert f"would add {exported}" in capsys.readouterr().out
    assert run("--data-dir", str(target), "import-csv", str(out)) == 0
    assert f"added {exported}; 0 already present" in capsys.readouterr().out
    assert run("--data-dir", str(target), "import-csv", str(tmp_path / "acled.csv")) == 2
    assert "ACLED-format file" in capsys.readouterr().err
    assert run("--data-dir", str(target), "check") == 0


def test_export_csv_refuses_unknown_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    assert run("--data-dir", data, "export-csv", str(tmp_path / "x.csv"), "--sector", "DMZ-99") == 2
    assert "--sector: DMZ-99 is not one of" in capsys.readouterr().err
    assert (
        run("--data-dir", data, "export-csv", str(tmp_path / "x.csv"), "--from", "2026-05-09", "--to", "2026-05-01")
        == 2
    )
    assert "--from: 2026-05-09 is after --to 2026-05-01" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_import_csv_with_bad_rows_lists_them_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "d")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,age\nann,3\n", encoding="utf-8")
    assert run("--data-dir", data, "demo", "--incidents", "5") == 0
    assert run("--data-dir", data, "import-csv", str(bad)) == 2
    assert "no monitor is signed in on this laptop" in capsys.readouterr().err
    from db.records.monitors import add_monitor, set_local_profile
    from db.storage.store import open_store

    store = open_store(tmp_path / "d")
    set_local_profile(store.conn, add_monitor(store.conn, "Olena Koval", "KOVA", "supervisor"))
    store.close()
    assert run("--data-dir", data, "import-csv", str(bad)) == 2
    err = capsys.readouterr().err
    assert err.startswith("truceline: bad.csv: nothing was imported: line 1: missing columns: incident_id")
    assert run("--data-dir", data, "check") == 0
    assert "versions: 5 " in capsys.readouterr().out
