"""Versions kept apart, browsable from the import log: whose, which incident, which bundle, and why.

The laptops are real (tests/laptops.py): every bundle is validly signed, so what is kept apart is
the roster's doing. The list is read a page at a time, agrees with the count the import log gives,
and shows text from the other laptop escaped, never obeyed.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from laptops import Laptop, Mission
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.exchange.quarantine import count_apart, kept_apart_page
from db.exchange.roster_file import load_roster
from db.model.display import local_time_text
from db.records.incidents import get_incident
from db.records.review import ReviewDecision, review_incidents
from db.storage.connection import transaction
from db.storage.device import set_device_label
from db.storage.store import Store
from desktop.files.import_log_view import ImportLogDialog
from desktop.files.kept_apart_view import (
    COL_AUTHOR,
    COL_CATEGORY,
    COL_IMPORTED,
    COL_INCIDENT,
    COL_LAPTOP,
    COL_OBSERVED,
    COL_REASON,
    COL_ZONE,
    PAGE_SIZE,
    KeptApartDialog,
    KeptApartModel,
)

HOSTILE_LABEL = "\u202etxt.exe\u200b" + "x" * 150
EDITED_LABEL = "\x1b[2J\x1b[31mred\nState hash: 000"


@pytest.fixture
def hq(tmp_path: Path) -> Mission:
    return Mission(tmp_path)


@pytest.fixture
def team(tmp_path: Path) -> Any:
    laptops = {"hart": Laptop(tmp_path, "hart"), "solb": Laptop(tmp_path, "solb", role="supervisor")}
    yield laptops
    for laptop in laptops.values():
        laptop.close()


def load(laptop: Laptop, path: Path) -> None:
    load_roster(laptop.store.conn, laptop.store.calendar, path)


def texts(model: KeptApartModel, column: int) -> list[str]:
    return [model.index(row, column).data() for row in range(model.rowCount())]


def all_rows(model: KeptApartModel) -> int:
    while model.canFetchMore():
        model.fetchMore()
    return model.rowCount()


def test_versions_of_a_laptop_not_on_the_roster_are_listed_with_whose_they_are_and_why(
    hq: Mission, team: dict[str, Laptop]
) -> None:
    hart, solb = team["hart"], team["solb"]
    hq.trust(solb)
    load(solb, hq.roster([solb], supervisors=[solb]))
    first = hart.record()
    hart.record(count=3, observed_start="2026-05-02T08:00:00Z", observed_end=None)
    solb.receive(hart.export())
    model = KeptApartModel(solb.store, solb.store.tz)
    assert model.rowCount() == count_apart(solb.store.conn) == 2 and not model.canFetchMore()
    paged = KeptApartModel(solb.store, solb.store.tz, page_size=1)
    assert paged.rowCount() == 1 and all_rows(paged) == 2
    tag = model.entry_at(0).device_tag  # type: ignore[union-attr]
    assert texts(model, COL_LAPTOP) == [f"laptop-hart · {tag}"] * 2
    assert texts(model, COL_AUTHOR) == ["Monitor hart (HART)"] * 2
    # The reference every laptop gives the incident, though it is not shown here yet.
    assert model.index(0, COL_INCIDENT).data() == get_incident(hart.store.conn, first.incident_id).ref
    assert texts(model, COL_CATEGORY) == ["Fire (ceasefire violation)"] * 2
    assert texts(model, COL_ZONE)[0] == get_incident(hart.store.conn, first.incident_id).incident.zone_id
    assert texts(model, COL_OBSERVED)[1] == local_time_text("2026-05-02T08:00:00Z", solb.store.tz)
    imported = solb.store.conn.execute("SELECT imported_at, bundle_sha256 FROM imports").fetchone()
    assert texts(model, COL_IMPORTED) == [local_time_text(imported[0], solb.store.tz)] * 2
    assert imported[1] in model.index(0, COL_IMPORTED).data(Qt.ItemDataRole.ToolTipRole)
    assert texts(model, COL_REASON) == ["laptop not on the mission's roster 1"] * 2
    # The reason as recorded, whole, in the tooltip.
    assert model.index(0, COL_REASON).data(Qt.ItemDataRole.ToolTipRole) == (
        f"laptop {hart.store.device.device_id} is not on the mission's roster 1"
    )
    # A roster naming hart's laptop releases them: the list is empty, as the count is.
    load(solb, hq.roster([solb, hart], supervisors=[solb]))
    assert KeptApartModel(solb.store, solb.store.tz).rowCount() == count_apart(solb.store.conn) == 0


def test_after_a_revocation_the_list_names_the_roster_and_the_first_version_refused(
    hq: Mission, team: dict[str, Laptop]
) -> None:
    hart, solb = team["hart"], team["solb"]
    hq.trust(solb)
    load(solb, hq.roster([solb, hart], supervisors=[solb]))
    for count in (1, 2, 3, 4):
        hart.record(count=count)
    solb.receive(hart.export())
    assert count_apart(solb.store.conn) == 0
    load(solb, hq.roster([solb, hart], supervisors=[solb], revoked={hart: 6}))
    for count in (5, 6, 7):
        hart.record(count=count)
    solb.receive(hart.export())
    model = KeptApartModel(solb.store, solb.store.tz)
    assert [model.entry_at(r).device_seq for r in range(model.rowCount())] == [6, 7]  # type: ignore[union-attr]
    assert texts(model, COL_REASON) == ["laptop revoked from its version 6 on by roster 2"] * 2
    assert model.rowCount() == count_apart(solb.store.conn)


def test_without_a_roster_a_decision_from_elsewhere_is_listed_as_one_nobody_can_check(
    team: dict[str, Laptop],
) -> None:
    hart, solb = team["hart"], team["solb"]
    saved = hart.record()
    solb.receive(hart.export())
    review_incidents(
        solb.store.conn,
        solb.monitor,
        solb.writer,
        [saved.incident_id],
        ReviewDecision("verified"),
        "seen on camera",
        solb.store.calendar,
    )
    solb.amend(saved.incident_id, "recount", count=20, verification_state="verified")  # built on the decision
    hart.receive(solb.export())
    model = KeptApartModel(hart.store, hart.store.tz)
    assert model.rowCount() == count_apart(hart.store.conn) == 2
    assert texts(model, COL_AUTHOR) == ["Monitor solb (SOLB)"] * 2
    assert texts(model, COL_REASON) == [
        "a decision from another laptop: no roster here yet to check its author",
        "builds on a version kept apart",
    ]
    assert texts(model, COL_INCIDENT) == [get_incident(hart.store.conn, saved.incident_id).ref] * 2


def test_text_from_the_other_laptop_is_shown_escaped_on_one_line(
    hq: Mission, team: dict[str, Laptop], qtbot: Any
) -> None:
    hart, solb = team["hart"], team["solb"]
    hq.trust(solb)
    load(solb, hq.roster([solb], supervisors=[solb]))
    # What a bundle may carry (control characters are refused on arrival): a direction override,
    # an invisible space, and a label long enough to push every other column off the screen.
    set_device_label(hart.store.conn, hart.store.device.device_id, HOSTILE_LABEL)
    hart.record()
    solb.receive(hart.export())
    dialog = KeptApartDialog(solb.store)
    qtbot.addWidget(dialog)
    cell = dialog.model.index(0, COL_LAPTOP).data()
    assert cell.startswith("\\u202etxt.exe\\u200b") and "…" in cell and len(cell) < 40
    tooltip = dialog.model.index(0, COL_LAPTOP).data(Qt.ItemDataRole.ToolTipRole)
    for shown in (cell, tooltip, dialog.details.text()):
        assert not any(ch in shown for ch in "\u202e\u200b"), shown
    assert "\\u202etxt.exe\\u200b" + "x" * 150 in dialog.details.text()
    # And if this laptop's own tables were edited: an escape sequence and a newline stay visible escapes.
    solb.store.conn.execute(
        "UPDATE devices SET label = ? WHERE device_id = ?", (EDITED_LABEL, hart.store.device.device_id)
    )
    edited = KeptApartDialog(solb.store)
    qtbot.addWidget(edited)
    cell = edited.model.index(0, COL_LAPTOP).data()
    assert cell.startswith("\\x1b[2J\\x1b[31mred\\") and "\x1b" not in cell and "\n" not in cell
    assert "\n" not in edited.details.text() and "\x1b" not in edited.details.text()


def test_100000_versions_kept_apart_open_at_once_and_scrolling_reads_the_next_page(store: Store, qtbot: Any) -> None:
    """100,000 versions kept apart: the dialog reads one page, and scrolling reads the rest."""
    total = 100_000
    rows = [
        (
            f"v{n:06d}",
            f"i{n:06d}",
            "[]",
            "rogue-device",
            n,
            "nobody",
            "2026-05-01T00:00:00Z",
            None,
            json.dumps({"category": "fire", "zone_id": "Z1", "observed_start": "2026-05-01T21:15:00Z"}),
            "p",
            "v",
            "c",
            "laptop",
            "laptop rogue-device is not on the mission's roster 1",
            "b" * 64,
            "2026-05-01T00:00:00Z",
        )
        for n in range(1, total + 1)
    ]
    with transaction(store.conn):
        store.conn.executemany(f"INSERT INTO quarantined_versions VALUES ({', '.join('?' * 16)})", rows)
    dialog = KeptApartDialog(store)
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == PAGE_SIZE and dialog.model.canFetchMore()
    assert dialog.summary.text().startswith("100,000 versions kept apart")
    # No roster here: the recorded reason is shown as it is; no monitor is known by that id.
    assert dialog.model.index(0, COL_REASON).data() == "laptop rogue-device is not on the mission's roster 1"
    assert dialog.model.index(0, COL_AUTHOR).data() == "unknown (nobody)"
    # Scrolling to the end reads the next page from where the last one ended.
    dialog.table.scrollToBottom()
    qtbot.waitUntil(lambda: dialog.model.rowCount() > PAGE_SIZE)
    tail = kept_apart_page(store.conn, after=total - 5)
    assert [entry.version_id for entry in tail] == [f"v{n:06d}" for n in range(total - 4, total + 1)]


def test_the_import_log_opens_the_list_with_enter_and_esc_closes_it(
    hq: Mission, team: dict[str, Laptop], qtbot: Any
) -> None:
    hart, solb = team["hart"], team["solb"]
    hq.trust(solb)
    load(solb, hq.roster([solb], supervisors=[solb]))
    hart.record()
    hart.record(count=2)
    solb.receive(hart.export())
    log = ImportLogDialog(solb.store)
    qtbot.addWidget(log)
    with qtbot.waitActive(log):
        log.show()
        log.activateWindow()
    assert log.apart_button.isEnabled() and log.apart_button.text().replace("&", "") == "Show versions kept apart (2)…"
    log.table.setFocus()
    qtbot.keyClick(log.table, Qt.Key.Key_Return)
    listing = log.kept_apart
    assert listing is not None and listing.isVisible() and listing.model.rowCount() == 2
    assert listing.details.text().startswith("Version ")
    with qtbot.waitSignal(listing.finished):
        qtbot.keyClick(listing.table, Qt.Key.Key_Escape)
    assert log.isVisible()
    # Alt+K, the button's mnemonic, opens it too.
    with qtbot.waitActive(log):
        log.activateWindow()
    qtbot.keyClick(QApplication.focusWidget(), "k", Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: log.kept_apart is not listing)
    assert log.kept_apart is not None and log.kept_apart.isVisible()
    with qtbot.waitSignal(log.kept_apart.finished):
        qtbot.keyClick(log.kept_apart.table, Qt.Key.Key_Escape)


def test_with_nothing_kept_apart_the_button_is_disabled_and_says_why(store: Store, qtbot: Any) -> None:
    log = ImportLogDialog(store)
    qtbot.addWidget(log)
    assert not log.apart_button.isEnabled()
    assert log.apart_button.toolTip() == "No versions are kept apart on this laptop"
    empty = KeptApartDialog(store)
    qtbot.addWidget(empty)
    assert empty.summary.text() == "No versions are kept apart on this laptop." and empty.model.rowCount() == 0
