"""Drafts of the entry form survive a crash: atomic files, newest first, bad files skipped but kept."""

import json
import logging
from pathlib import Path

import pytest

from db.core.clock import new_id
from db.storage.drafts import Draft, delete_draft, load_drafts, read_drafts, save_draft


def draft(saved_at: str = "2026-05-01T21:15:00Z", **fields: object) -> Draft:
    return Draft(new_id(), None, None, dict(fields), saved_at)


def test_a_draft_round_trips(tmp_path: Path) -> None:
    directory = tmp_path / "drafts"  # created on first save
    original = Draft(
        new_id(),
        "0197a000-0000-7000-8000-000000000001",
        "0197a000-0000-7000-8000-000000000002",
        {"observer_position": "48.4, 37.7", "count": 12, "weapon_assessed": True, "explosion_kind": None},
        "2026-05-01T21:15:00Z",
    )
    save_draft(directory, original)
    assert load_drafts(directory) == [original]


def test_cyrillic_text_is_kept_exactly_and_readable_in_the_file(tmp_path: Path) -> None:
    original = draft(place="Торецьк", narrative="Дванадцять вибухів, 3–5 км на схід\nдругий рядок")
    save_draft(tmp_path, original)
    assert load_drafts(tmp_path) == [original]
    assert "Торецьк" in (tmp_path / f"{original.draft_id}.json").read_text(encoding="utf-8")


def test_saving_again_replaces_the_draft_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    first = draft(place="A")
    save_draft(tmp_path, first)
    second = Draft(first.draft_id, None, None, {"place": "B"}, "2026-05-01T21:16:00Z")
    save_draft(tmp_path, second)
    assert load_drafts(tmp_path) == [second]
    assert [p.name for p in tmp_path.iterdir()] == [f"{first.draft_id}.json"]


def test_drafts_come_newest_first(tmp_path: Path) -> None:
    old, new, newer = draft("2026-05-01T10:00:00Z"), draft("2026-05-01T11:00:00Z"), draft("2026-05-02T09:00:00Z")
    for each in (new, newer, old):
        save_draft(tmp_path, each)
    assert [d.draft_id for d in load_drafts(tmp_path)] == [newer.draft_id, new.draft_id, old.draft_id]


def test_a_leftover_temporary_file_from_a_crash_is_ignored(tmp_path: Path) -> None:
    kept = draft(place="kept")
    save_draft(tmp_path, kept)
    # What a crash between writing and renaming leaves behind: a torn temporary file.
    torn = tmp_path / f".{kept.draft_id}.abc123.tmp"
    torn.write_text('{"format": 1, "draft_id": "', encoding="utf-8")
    drafts, problems = read_drafts(tmp_path)
    assert drafts == [kept] and problems == []
    assert torn.exists()


def test_a_failed_write_keeps_the_previous_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = draft(place="before")
    save_draft(tmp_path, kept)

    def power_cut(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("db.core.atomic_file.os.replace", power_cut)
    with pytest.raises(OSError):
        save_draft(tmp_path, Draft(kept.draft_id, None, None, {"place": "after"}, "2026-05-01T22:00:00Z"))
    monkeypatch.undo()
    assert load_drafts(tmp_path) == [kept]
    assert [p.name for p in tmp_path.iterdir()] == [f"{kept.draft_id}.json"]  # the temporary file is cleaned up


@pytest.mark.parametrize(
    "content",
    [
        b'{"format": 1, "draft_id": "x", "fie',  # torn
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'{"format": 99, "draft_id": "abc", "fields": {}, "saved_at": "2026-05-01T00:00:00Z"}',
        b'{"format": 1, "draft_id": "../../etc", "fields": {}, "saved_at": "2026-05-01T00:00:00Z"}',
        b'{"format": 1, "draft_id": "abc", "fields": [], "saved_at": "2026-05-01T00:00:00Z"}',
    ],
)
def test_a_corrupt_draft_is_skipped_reported_and_kept(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    good = draft(place="good")
    save_draft(tmp_path, good)
    bad = tmp_path / "0197-bad.json"
    bad.write_bytes(content)
    drafts, problems = read_drafts(tmp_path)
    assert drafts == [good]
    assert [p.path for p in problems] == [bad] and problems[0].reason
    with caplog.at_level(logging.WARNING, logger="db.storage.drafts"):
        assert load_drafts(tmp_path) == [good]
    assert "0197-bad.json" in caplog.text
    assert bad.read_bytes() == content  # never deleted: it may be the only copy of someone's notes


def test_a_missing_directory_has_no_drafts(tmp_path: Path) -> None:
    assert load_drafts(tmp_path / "nowhere") == []


def test_deleting_a_draft(tmp_path: Path) -> None:
    one, two = draft(place="one"), draft(place="two")
    save_draft(tmp_path, one)
    save_draft(tmp_path, two)
    delete_draft(tmp_path, one.draft_id)
    delete_draft(tmp_path, one.draft_id)  # twice is harmless: the form may discard after a save
    assert load_drafts(tmp_path) == [two]


@pytest.mark.parametrize("bad_id", ["../escape", ".hidden", "", "a/b"])
def test_a_draft_id_cannot_name_another_file(tmp_path: Path, bad_id: str) -> None:
    with pytest.raises(ValueError, match="draft id"):
        save_draft(tmp_path, Draft(bad_id, None, None, {}, "2026-05-01T00:00:00Z"))
    with pytest.raises(ValueError, match="draft id"):
        delete_draft(tmp_path, bad_id)


def test_the_file_is_plain_json_with_a_format_number(tmp_path: Path) -> None:
    original = draft(count=3)
    save_draft(tmp_path, original)
    data = json.loads((tmp_path / f"{original.draft_id}.json").read_text(encoding="utf-8"))
    assert data["format"] == 1 and data["fields"] == {"count": 3}
