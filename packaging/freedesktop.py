"""Write Truceline's freedesktop.org files: desktop entry, AppStream metainfo and hicolor icons.

The templates beside this file hold the words; the id, name, version and release date come from
db/core/identity.py, so the desktop files can never disagree with ``truceline --version`` or the window
title. packaging/build.py calls :func:`write_share` for the bundle's ``share/`` folder, which
packaging/install.sh copies into place; tests render the same templates and validate them.

Usage: ``python packaging/freedesktop.py SHARE_DIR``
"""

import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.core.identity import APP_ID, APP_NAME, DIST_NAME, ORGANISATION, RELEASE_DATE, VERSION  # noqa: E402
from db.core.resources import ICON_SIZES, icon_png, icon_svg  # noqa: E402

HERE = Path(__file__).resolve().parent
DESKTOP_TEMPLATE = HERE / "truceline.desktop.in"
METAINFO_TEMPLATE = HERE / "truceline.metainfo.xml.in"
DESKTOP_FILE = f"{APP_ID}.desktop"
METAINFO_FILE = f"{APP_ID}.metainfo.xml"

FIELDS = {
    "APP_ID": APP_ID,
    "APP_NAME": APP_NAME,
    "DIST_NAME": DIST_NAME,
    "VERSION": VERSION,
    "RELEASE_DATE": RELEASE_DATE,
    "ORGANISATION": ORGANISATION,
    "DEVELOPER_ID": APP_ID.rsplit(".", 1)[0],  # reverse DNS of the publisher, as AppStream asks
    # Where the publisher serves resources/screenshots/ (made by packaging/screenshots.py);
    # AppStream wants screenshots as URLs, and the publisher's domain is the app id reversed.
    "SCREENSHOTS_URL": "https://" + ".".join(reversed(APP_ID.split(".")[:-1])) + "/screenshots",
}


def render(template: Path) -> str:
    """The template's text with every ``@FIELD@`` filled in; an unknown field is an error, not a blank."""
    text = template.read_text(encoding="utf-8")
    unknown = sorted(set(re.findall(r"@([A-Z_]+)@", text)) - FIELDS.keys())
    if unknown:
        raise SystemExit(f"freedesktop: {template.name} uses unknown field(s): {', '.join(unknown)}")
    return re.sub(r"@([A-Z_]+)@", lambda match: FIELDS[match.group(1)], text)


def write_share(share: Path) -> list[Path]:
    """Write the desktop entry, metainfo and icons under ``share`` (laid out as ``/usr/share``)."""
    written = [
        _write(share / "applications" / DESKTOP_FILE, render(DESKTOP_TEMPLATE)),
        _write(share / "metainfo" / METAINFO_FILE, render(METAINFO_TEMPLATE)),
    ]
    icons = [(icon_svg(), share / "icons/hicolor/scalable/apps" / f"{APP_ID}.svg")]
    icons += [(icon_png(size), share / f"icons/hicolor/{size}x{size}/apps" / f"{APP_ID}.png") for size in ICON_SIZES]
    for source, target in icons:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python packaging/freedesktop.py SHARE_DIR")
    for path in write_share(Path(sys.argv[1])):
        print(path)
