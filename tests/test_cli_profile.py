"""``truceline profile`` makes a laptop usable from the command line alone; bad values change nothing."""

import pytest
from support import valid_raw

from db.records.monitors import local_profile
from db.storage.store import open_store
from desktop.cli.main import main


def read(data_dir):  # type: ignore[no-untyped-def]
    store = open_store(data_dir)
    try:
        from db.storage.device import device_label

        return local_profile(store.conn), device_label(store.conn, store.device.device_id)
    finally:
        store.close()


def test_a_profile_is_created_shown_changed_and_then_import_csv_works(  # type: ignore[no-untyped-def]
    data_dir, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profile"]) == 1
    assert "no profile on this laptop yet" in capsys.readouterr().err
    assert main(["profile", "--name", "Oksana Bondar", "--callsign", "bond", "--laptop", "HQ desk"]) == 0
    out = capsys.readouterr().out
    assert "Profile created." in out and "Callsign: BOND" in out and "Role:     monitor" in out
    profile, label = read(data_dir)
    assert profile is not None and (profile.name, profile.callsign, profile.role, label) == (
        "Oksana Bondar",
        "BOND",
        "monitor",
        "HQ desk",
    )
    # A profile cannot promote itself: supervisors are named by the mission's roster.
    assert main(["profile", "--role", "supervisor"]) != 0
    refused = "Oksana Bondar cannot make themself a supervisor: roles cannot be checked until the mission's roster"
    assert refused in capsys.readouterr().err
    changed, _ = read(data_dir)
    assert changed is not None and (changed.monitor_id, changed.name, changed.role) == (
        profile.monitor_id,
        "Oksana Bondar",
        "monitor",
    )
    # A headquarters machine can now import a CSV export without ever opening the window.
    csv = tmp_path / "in.csv"
    other = tmp_path / "other"
    assert main(["--data-dir", str(other), "profile", "--name", "Amelia Hart", "--callsign", "HART"]) == 0
    from db.model.validation import validate_incident
    from db.records.incidents import record_incident

    store = open_store(other)
    try:
        writer = store.writer(local_profile(store.conn).monitor_id)  # type: ignore[union-attr]
        record_incident(store.conn, writer, validate_incident(valid_raw(), theatre=store.theatre), store.calendar)
    finally:
        store.close()
    assert main(["--data-dir", str(other), "export-csv", str(csv)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "import-csv", str(csv)]) == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--name", "Oksana Bondar"], "callsign: is required to create the profile"),
        (["--name", "Oksana Bondar", "--callsign", " "], "callsign: is required"),
        (["--name", "Oksana Bondar", "--callsign", "BOND", "--laptop", "  "], "laptop: is empty"),
    ],
)
def test_bad_values_are_refused_by_name_and_change_nothing(  # type: ignore[no-untyped-def]
    data_dir, capsys: pytest.CaptureFixture[str], args, says
) -> None:
    assert main(["profile", *args]) == 2
    assert says in capsys.readouterr().err
    assert read(data_dir)[0] is None


def test_a_bad_role_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["profile", "--name", "A", "--callsign", "B", "--role", "general"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'general'" in capsys.readouterr().err
