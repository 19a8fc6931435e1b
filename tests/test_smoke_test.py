"""What a packaged build relies on in the app: the window icon, the bundle's own X11 libraries, and
the hidden ``--smoke-test`` flag, which must pass on a working window and fail when the timeline
draws nothing.
"""

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QSize
from PySide6.QtWidgets import QApplication

from db.core import resources
from db.records.monitors import Monitor
from db.storage.drafts import Draft, load_drafts, save_draft
from db.storage.store import Store
from desktop.cli.main import main
from desktop.window import app as desktop_app
from desktop.window.main_window import MainWindow


def test_the_main_window_shows_the_application_icon(qtbot, store: Store, monitor: Monitor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(store, QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(window)
    sizes = window.windowIcon().availableSizes()
    for size in resources.ICON_SIZES:
        assert QSize(size, size) in sizes


def test_a_frozen_bundle_counts_its_own_x11_libraries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(desktop_app.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    (tmp_path / "libxcb-cursor.so.0").write_bytes(b"")
    missing = desktop_app.missing_x11_libraries()
    assert "libxcb-cursor0" not in missing
    assert "libxcb-icccm4" in missing


# -- the hidden --smoke-test flag -------------------------------------------------------------------


def test_the_smoke_test_opens_the_window_and_sees_the_timeline_drawn(qapp, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["demo", "--incidents", "300"]) == 0
    capsys.readouterr()
    assert main(["--smoke-test"]) == 0
    out = capsys.readouterr().out
    assert "smoke test: window shown" in out
    assert "timeline painted" in out and "for 300 incidents" in out
    # Gone, not just hidden: its timers would otherwise run against the closed store.
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]


def test_the_smoke_test_fails_when_the_timeline_draws_nothing(  # type: ignore[no-untyped-def]
    qapp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["demo", "--incidents", "300"]) == 0
    monkeypatch.setattr("desktop.trends.plot.TimelinePlot.draw", lambda *args, **kwargs: None)
    capsys.readouterr()
    assert main(["--smoke-test"]) == 1
    err = capsys.readouterr().err
    assert "smoke test failed: the period holds 300 incidents but the timeline drew no bars" in err
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]


def test_the_smoke_flag_is_not_offered_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--smoke-test" not in capsys.readouterr().out


def test_the_smoke_test_leaves_an_unsaved_draft_alone(  # type: ignore[no-untyped-def]
    qapp, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    save_draft(store.data_dir / "drafts", Draft("d1", None, None, {"place": "Stepne"}, "2026-05-01T03:15:00Z"))
    assert main(["--smoke-test"]) == 2
    assert "holds an unsaved incident" in capsys.readouterr().err
    assert [d.draft_id for d in load_drafts(store.data_dir / "drafts")] == ["d1"]
