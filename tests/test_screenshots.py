"""The screenshots the README shows and the AppStream metainfo names are the ones the script makes."""

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from PySide6.QtGui import QImage
from test_packaging import load_freedesktop

from db.core.identity import APP_ID

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "resources" / "screenshots"


def shown_by_script() -> tuple[str, ...]:
    text = (ROOT / "packaging" / "screenshots.py").read_text(encoding="utf-8")
    match = re.search(r"^SHOWN = \(([^)]*)\)", text, re.MULTILINE)
    assert match is not None
    return tuple(re.findall(r'"([^"]+)"', match.group(1)))


def test_each_screenshot_is_a_1366x768_picture_the_readme_shows(qapp) -> None:  # type: ignore[no-untyped-def]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in shown_by_script():
        image = QImage(str(SHOTS / f"{name}.png"))
        assert (image.width(), image.height()) == (1366, 768), name
        assert f"](resources/screenshots/{name}.png)" in readme


def test_the_metainfo_names_every_screenshot_with_a_caption(tmp_path: Path) -> None:
    load_freedesktop().write_share(tmp_path)
    component = ElementTree.parse(tmp_path / "metainfo" / f"{APP_ID}.metainfo.xml").getroot()
    shots = component.findall("screenshots/screenshot")
    images = [shot.findtext("image") or "" for shot in shots]
    assert [Path(url).stem for url in images] == list(shown_by_script())
    assert all(url.startswith("https://") for url in images)
    assert all(shot.findtext("caption") for shot in shots)
    assert shots[0].get("type") == "default"
