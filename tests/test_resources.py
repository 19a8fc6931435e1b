"""Resources and paths are found the same way from a checkout, a wheel and a frozen bundle."""

import sys
from pathlib import Path

import pytest

from db.core import resources
from db.storage import paths


def test_the_checkout_resources_are_found() -> None:
    assert resources.resource_path("theatre", "default.geojson").is_file()


def test_a_frozen_bundle_looks_beside_the_executable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert (
        resources.resource_path("theatre", "default.geojson") == tmp_path / "resources" / "theatre" / "default.geojson"
    )


def test_the_data_directory_follows_flag_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(tmp_path / "env"))
    assert paths.data_dir() == tmp_path / "env"
    paths.set_data_dir(tmp_path / "flag")
    assert paths.database_path() == tmp_path / "flag" / "truceline.db"
    assert paths.backups_dir() == tmp_path / "flag" / "backups"
    assert paths.config_dir() == tmp_path / "flag" / "config"
    monkeypatch.delenv(paths.ENV_DATA_DIR)
    paths.set_data_dir(None)
    assert "Truceline" in str(paths.data_dir())
