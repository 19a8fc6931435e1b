"""Bundles a rogue laptop would send: validly signed by their own device, carrying what no form allows.

The signature only proves which laptop sent a version. Every case here is signed correctly by
the rogue's key, so a refusal is the validation's doing; each must be one sentence naming the
device, the version and the field, and must leave the receiving laptop exactly as it was.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from laptops import Laptop, forge_bundle, rehashed, rewrite_bundle, signed_monitors

from db.core.clock import new_id
from db.core.errors import TrucelineError
from db.core.hashing import GENESIS_CHAIN, b64, canonical_json, sha256_hex
from db.core.untrusted_text import escaped
from db.csv_io.export import export_csv
from db.exchange.bundle_file import FORMAT, FORMAT_VERSION, VERSIONS, version_line, write_bundle_file
from db.model.incident import FIELD_NAMES
from db.records.queries import IncidentFilter
from db.storage.chain import sign_head
from db.storage.device import public_key_text
from db.storage.integrity import check_database
from db.storage.versions import SELECT_VERSIONS, Version
from desktop.cli.main import main

DEEP = 100_000


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Laptop, Laptop]]:
    rogue, sup = Laptop(tmp_path, "rogue"), Laptop(tmp_path, "supervisor")
    sup.record()
    yield rogue, sup
    rogue.close()
    sup.close()


def first_version(laptop: Laptop) -> Version:
    rows = laptop.store.conn.execute(f"{SELECT_VERSIONS} ORDER BY device_seq LIMIT 1")
    return Version.from_row(rows.fetchone())


def signed(rogue: Laptop, out: Path, version: Version) -> Path:
    """A bundle of ``version`` alone, every hash and signature made with the rogue's own key."""
    device = rogue.store.device
    return forge_bundle(out, device.private_key, device.device_id, "laptop-rogue", [version])


def with_payload(rogue: Laptop, out: Path, text: str) -> Path:
    return signed(rogue, out, rehashed(first_version(rogue), GENESIS_CHAIN, payload=text))


def with_fields(rogue: Laptop, out: Path, **changes: Any) -> Path:
    payload = json.loads(first_version(rogue).payload)
    payload.update(changes)
    return with_payload(rogue, out, canonical_json(payload).decode())


def refused(sup: Laptop, bundle: Path, *words: str) -> str:
    before, state = sup.snapshot(), sup.state()
    with pytest.raises(TrucelineError) as error:
        sup.receive(bundle)
    message = str(error.value)
    assert "\n" not in message and len(message) < 600, message
    for word in words:
        assert word in message, message
    assert sup.snapshot() == before and sup.state() == state
    return message


FIELD_CASES = [
    ({"category": "teleportation"}, "category"),
    ({"count": -5}, "count"),
    ({"count": "many"}, "count"),
    ({"count": "5"}, "count"),
    ({"count": True}, "count"),
    ({"count": 2**64}, "count"),
    ({"civ_killed": 10**400}, "civ_killed"),
    ({"zone_id": "MARS"}, "zone_id"),
    ({"narrative": "x" * 50_000}, "narrative"),
    ({"narrative": "  not trimmed  "}, "narrative"),
    ({"observed_start": "not a date"}, "observed_start"),
    ({"observed_start": "0001-01-01T00:00:00Z"}, "observed_start"),
    ({"observed_start": "2999-01-01T00:00:00Z", "observed_end": "2999-01-01T01:00:00Z"}, "observed_start"),
    ({"observer_lat": 95.5}, "observer_lat"),
    ({"weapon_assessed": "yes"}, "weapon_assessed"),
    ({"verification_state": "sort of"}, "verification_state"),
    ({"place": "two\nlines"}, "place"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(
    ("changes", "field"), FIELD_CASES, ids=[case[1] + str(i) for i, case in enumerate(FIELD_CASES)]
)
def test_a_version_the_form_would_refuse_is_refused_whole(
    pair: tuple[Laptop, Laptop], tmp_path: Path, changes: dict[str, Any], field: str
) -> None:
    rogue, sup = pair
    rogue.record()
    rogue.record(count=3)  # a valid version beside it: the bundle is refused whole
    bundle = with_fields(rogue, tmp_path / "rogue.zip", **changes)
    device_id = rogue.store.device.device_id
    refused(sup, bundle, device_id, "version 1", field)


@pytest.mark.parametrize("text", ["[]", "[1,2]", "5", '"text"', "null", "true", "[" * DEEP + "]" * DEEP, "{" * DEEP])
def test_a_payload_that_is_not_an_object_is_refused(pair: tuple[Laptop, Laptop], tmp_path: Path, text: str) -> None:
    rogue, sup = pair
    rogue.record()
    refused(sup, with_payload(rogue, tmp_path / "rogue.zip", text), rogue.store.device.device_id, "payload")


@pytest.mark.parametrize("seq", [2**63 - 1, 2**63, 2**64])
def test_a_sequence_number_beyond_sqlite_is_refused(pair: tuple[Laptop, Laptop], tmp_path: Path, seq: int) -> None:
    rogue, sup = pair
    rogue.record()
    version = rehashed(first_version(rogue), GENESIS_CHAIN, device_seq=seq)
    refused(sup, signed(rogue, tmp_path / "rogue.zip", version), rogue.store.device.device_id, "sequence")


def _deep_bundle(rogue: Laptop, out: Path, *, deep_manifest: bool) -> Path:
    """A bundle whose manifest or whose version line nests 100,000 levels (written by hand: json cannot)."""
    device = rogue.store.device
    version = first_version(rogue)
    line = version_line(version)
    if not deep_manifest:
        line = line[:-2] + b',"x":' + b"[" * DEEP + b"]" * DEEP + b"}\n"
    head = sign_head(device.private_key, device.device_id, 1, version.chain_sha256)
    public = public_key_text(device.private_key)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": "2026-05-02T00:00:00Z",
        "exporter": {"device_id": device.device_id, "label": "rogue", "public_key": public},
        "devices": [
            {
                "device_id": device.device_id,
                "label": "rogue",
                "public_key": public,
                "seq_from": 1,
                "seq_to": 1,
                "runs": [
                    {
                        "seq_from": 1,
                        "seq_to": 1,
                        "previous_chain": GENESIS_CHAIN,
                        "chain_sha256": head.chain_sha256,
                        "signature": b64(head.signature),
                    }
                ],
            }
        ],
        "monitors": signed_monitors(device.private_key, device.device_id, [version]),
        "files": {VERSIONS: {"sha256": sha256_hex(line), "versions": 1}},
    }
    manifest_bytes = canonical_json(manifest)
    if deep_manifest:
        manifest_bytes = manifest_bytes[:-1] + b',"x":' + b"[" * DEEP + b"]" * DEEP + b"}"
    write_bundle_file(out, manifest_bytes, line, device.private_key)
    return out


@pytest.mark.parametrize("deep_manifest", [True, False], ids=["manifest", "line"])
def test_json_nested_100000_deep_is_refused_before_parsing(
    pair: tuple[Laptop, Laptop], tmp_path: Path, deep_manifest: bool
) -> None:
    rogue, sup = pair
    rogue.record()
    bundle = _deep_bundle(rogue, tmp_path / "deep.zip", deep_manifest=deep_manifest)
    refused(sup, bundle, "nested more than")


def test_the_command_line_says_one_sentence_and_export_still_works(
    pair: tuple[Laptop, Laptop], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rogue, sup = pair
    rogue.record()
    bundles = [
        with_fields(rogue, tmp_path / "year.zip", observed_start="0001-01-01T00:00:00Z"),
        with_fields(rogue, tmp_path / "lat.zip", observer_lat=95.5),
        with_payload(rogue, tmp_path / "list.zip", "[]"),
        _deep_bundle(rogue, tmp_path / "deep.zip", deep_manifest=True),
    ]
    data = str(sup.root / sup.name)
    sup.close()
    capsys.readouterr()
    assert main(["--data-dir", data, "bundle", "import", *map(str, bundles)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == len(bundles) + 1  # one sentence per bundle, then the count
    assert main(["--data-dir", data, "export-csv", str(tmp_path / "out.csv")]) == 0
    sup.store = Laptop.reopen(sup.root, sup.name).store


# ---------------------------------------------------------------------------------------------
# Property: whatever a signed payload holds, the import refuses it or merges a valid record.
# ---------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
field_values = st.dictionaries(st.sampled_from(FIELD_NAMES + ("extra",)), json_values, max_size=6)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Laptop, Laptop, Path]]:
    root = tmp_path_factory.mktemp("prop")
    rogue, sup = Laptop(root, "rogue"), Laptop(root, "supervisor")
    rogue.record()
    yield rogue, sup, root
    rogue.close()
    sup.close()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=field_values, whole=st.one_of(st.none(), json_values))
@example(changes={}, whole={"\n": None})  # found under load: a field named by a newline made the refusal two lines
@example(changes={}, whole={"\x1b[31m" + "x" * 500: 1})  # an escape sequence, and a name longer than a line
def test_any_signed_payload_is_refused_or_merged_valid(
    shared: tuple[Laptop, Laptop, Path], changes: dict[str, Any], whole: Any
) -> None:
    rogue, sup, root = shared
    if whole is not None:
        payload = whole
    else:
        payload = json.loads(first_version(rogue).payload)
        payload.update(changes)
    try:
        text = canonical_json(payload).decode()
    except ValueError:  # beyond what RFC 8785 can write (a float beside an integer above 2^53): plain JSON
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Each example is a new rogue laptop (its own key and device) with a new incident.
    key, device_id = Ed25519PrivateKey.generate(), new_id()
    version = rehashed(
        first_version(rogue),
        GENESIS_CHAIN,
        payload=text,
        device_id=device_id,
        version_id=new_id(),
        incident_id=new_id(),
    )
    bundle = forge_bundle(root / "p.zip", key, device_id, "rogue", [version])
    before, incidents = sup.state(), len(sup.projection())
    try:
        sup.receive(bundle)
    except TrucelineError as error:
        assert "\n" not in str(error)
        assert sup.state() == before
        return
    assert len(sup.projection()) == incidents + 1
    assert check_database(sup.store.conn, sup.store.calendar).ok
    result = export_csv(sup.store.conn, IncidentFilter(), root / "out.csv", tz=sup.store.calendar.tz)
    assert result.rows == incidents + 1


# ---------------------------------------------------------------------------------------------
# Text from elsewhere reaches the terminal escaped, never executed.
# ---------------------------------------------------------------------------------------------


def test_escaped_makes_controls_escapes_and_direction_overrides_visible() -> None:
    assert escaped("Торецьк, OP-2") == "Торецьк, OP-2"
    assert escaped("\x1b[2J\nState hash: 000") == "\\x1b[2J\\nState hash: 000"
    assert escaped("abc\u202egnp.exe\u2066") == "abc\\u202egnp.exe\\u2066"
    assert escaped("a\rb\tc\x00\x9b") == "a\\rb\\tc\\x00\\x9b"


def test_a_label_with_escape_sequences_is_refused_and_a_direction_override_is_printed_escaped(
    pair: tuple[Laptop, Laptop], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rogue, sup = pair
    rogue.record()
    device = rogue.store.device
    version = first_version(rogue)
    key, device_id = device.private_key, device.device_id
    refused(sup, forge_bundle(tmp_path / "ansi.zip", key, device_id, "\x1b[2J\nState hash: 000", [version]), "label")
    bidi = forge_bundle(tmp_path / "bidi.zip", key, device_id, "kova\u202eexe.", [version])
    data = str(sup.root / sup.name)
    sup.close()
    capsys.readouterr()
    assert main(["--data-dir", data, "bundle", "import", str(bidi)]) == 0
    assert "kova\\u202eexe." in capsys.readouterr().out
    # A label stored before labels were checked on import, as the log then prints it.
    reopened = Laptop.reopen(sup.root, sup.name)
    reopened.store.conn.execute(
        "UPDATE devices SET label = ? WHERE device_id = ?", ("x\x1b[2J\nState hash: 000", device_id)
    )
    reopened.close()
    assert main(["--data-dir", data, "bundle", "log"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "x\\x1b[2J\\nState hash: 000" in out
    assert [line for line in out.splitlines() if line.startswith("State hash: 000")] == []
    sup.store = Laptop.reopen(sup.root, sup.name).store


# ---------------------------------------------------------------------------------------------
# Authors bound to devices: a laptop writes only under the names of its own monitors.
# ---------------------------------------------------------------------------------------------


def _as_author(rogue: Laptop, author_id: str, out: Path, monitors: list[dict[str, str]] | None = None) -> Path:
    """The rogue's first version re-signed under ``author_id``, with ``monitors`` as its records."""
    device = rogue.store.device
    version = rehashed(first_version(rogue), GENESIS_CHAIN, author_id=author_id)
    bundle = forge_bundle(out, device.private_key, device.device_id, "laptop-rogue", [version])
    if monitors is None:
        return bundle
    return rewrite_bundle(
        bundle, out.with_suffix(".b.zip"), device.private_key, lambda m, _l: m.update(monitors=monitors)
    )


def test_a_version_under_another_laptops_supervisor_is_refused_as_impersonation(
    pair: tuple[Laptop, Laptop], tmp_path: Path
) -> None:
    rogue, sup = pair
    rogue.record()
    boss = sup.monitor.monitor_id
    # The rogue registers the supervisor's id as its own monitor, signed with its own key.
    message = refused(sup, _as_author(rogue, boss, tmp_path / "a.zip"), "impersonation")
    assert "registered here on laptop" in message
    # Without any record: the id is known here as the supervisor laptop's monitor.
    refused(sup, _as_author(rogue, boss, tmp_path / "b.zip", monitors=[]), "impersonation", sup.monitor.name)


def test_a_monitor_record_not_signed_by_its_laptop_is_refused(pair: tuple[Laptop, Laptop], tmp_path: Path) -> None:
    rogue, sup = pair
    rogue.record()
    device = rogue.store.device
    author = first_version(rogue).author_id
    (record,) = signed_monitors(device.private_key, device.device_id, [first_version(rogue)])
    claimed = dict(record, device_id=sup.store.device.device_id)  # names another laptop, signed by the rogue
    refused(sup, _as_author(rogue, author, tmp_path / "a.zip", monitors=[claimed]), "not signed by the laptop")
    altered = dict(record, role="supervisor")  # changed after its laptop signed it
    refused(sup, _as_author(rogue, author, tmp_path / "b.zip", monitors=[altered]), "not signed by the laptop")
    refused(sup, _as_author(rogue, new_id(), tmp_path / "c.zip", monitors=[]), "no laptop has registered")


def test_a_profile_registered_on_another_laptop_cannot_be_used_or_changed_here(tmp_path: Path) -> None:
    from db.records.monitors import ForeignMonitorError, get_monitor, set_local_profile, update_monitor

    hart, sup = Laptop(tmp_path, "hart"), Laptop(tmp_path, "sup", role="supervisor")
    try:
        hart.record()
        sup.receive(hart.export())
        foreign = get_monitor(sup.store.conn, hart.monitor.monitor_id)
        with pytest.raises(ForeignMonitorError, match="registered on another laptop"):
            set_local_profile(sup.store.conn, foreign)
        with pytest.raises(ForeignMonitorError, match="registered on another laptop"):
            update_monitor(sup.store.conn, foreign.monitor_id, "Someone Else", "ELSE", "supervisor")
        assert get_monitor(sup.store.conn, foreign.monitor_id) == foreign
    finally:
        hart.close()
        sup.close()
