"""Every window and dialog fits the screen: nothing off-screen, no scroll bar to reach a field, no text cut.

The 1366×768 laptop is the field's common screen and the strict case. 1920×1080 is the office
monitor, also at 150 % scaling (a logical 1280×720): no text may end in "…" there either, and the
incident form's hints are checked with their longest readings (a position, a time on the UTC day
before, a time that happens twice). Each screen needs its own Qt application, so each runs
tests/helpers/layout_check.py in a subprocess on an offscreen screen of that size.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HELPER = Path(__file__).parent / "helpers" / "layout_check.py"


def problems_on(tmp_path: Path, width: int, height: int, scale: float = 1.0) -> dict[str, list[str]]:
    config = tmp_path / "screen.json"
    screen = {"name": "test", "x": 0, "y": 0, "width": width, "height": height, "logicalDpi": 96, "dpr": 1}
    config.write_text(json.dumps({"screens": [screen]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "QT_SCALE_FACTOR": str(scale)}
    done = subprocess.run(
        [sys.executable, str(HELPER)], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    results: dict[str, list[str]] = json.loads(done.stdout)
    return results


@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [(1366, 768, 1.0), (1920, 1080, 1.0), (1920, 1080, 1.5)],
    ids=["laptop-1366x768", "monitor-1920x1080", "monitor-150%"],
)
def test_every_window_and_dialog_fits_the_screen(tmp_path: Path, width: int, height: int, scale: float) -> None:
    results = problems_on(tmp_path, width, height, scale)
    # Every window and dialog was opened: the main window's three views and each dialog.
    assert {"incidents", "trends", "review", "new-incident", "edit-incident", "settings", "conflict"} <= set(results)
    found = {name: problems for name, problems in results.items() if problems}
    assert found == {}


def test_the_check_sees_a_cut_label_a_hidden_field_and_a_window_past_the_screen(qtbot) -> None:  # type: ignore[no-untyped-def]
    from helpers.layout_check import problems_of
    from PySide6.QtWidgets import QDialog, QLabel, QLineEdit

    dialog = QDialog()
    qtbot.addWidget(dialog)
    label = QLabel("A caption far too long for the room it was given", dialog)
    label.setGeometry(0, 0, 60, 20)
    field = QLineEdit(dialog)
    field.setGeometry(150, 150, 100, 20)
    dialog.resize(200, 160)
    dialog.move(0, 0)
    dialog.show()
    problems = problems_of(dialog)
    assert any("is cut" in p and "A caption" in p for p in problems)
    assert any("QLineEdit" in p and "outside the visible area" in p for p in problems)
    dialog.resize(5000, 160)
    assert any("leaves the screen" in p for p in problems_of(dialog))
