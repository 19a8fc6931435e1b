"""Show that a lost laptop's data directory gives nothing away: a script a reviewer can run.

    .venv/bin/python packaging/prove_encryption.py [--keep DIR]

It creates an encrypted data directory (``truceline init``, the passphrase through
``--passphrase-fd``), saves incidents whose narratives hold a unique marker at a known coordinate
(through the same ``db`` functions as the form), leaves a draft, exports CSV to a folder elsewhere
(where the marker must be found: the search works), takes a backup, exports a bundle sealed for a
mission key made for the proof, has a CSV import refused for a cell holding the marker (the log
records the refusal) and runs ``check``. Then: ``grep`` over the bundle, and ``grep -r`` over the data
directory, finds neither the marker nor the coordinate; the ``sqlite3``
shell cannot read the database; a wrong passphrase is refused in words and changes no file. Each
claim prints PASS or FAIL; the exit status is 0 only if all pass. ``tests/test_encryption_proof.py``
runs it.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from db.model.validation import validate_incident  # noqa: E402
from db.records.incidents import record_incident  # noqa: E402
from db.records.monitors import add_monitor, set_local_profile  # noqa: E402
from db.storage import cipher  # noqa: E402
from db.storage.drafts import Draft, save_draft  # noqa: E402
from db.storage.store import open_store  # noqa: E402

PASSPHRASE = "seven quiet rivers before dawn"
SEAL_PASSPHRASE = "the mission key's own words"
MARKER = "PROOF-MARKER-5b0f2d"
LATITUDE, LONGITUDE = "48.412345", "37.712345"


def truceline(
    data: Path, *args: str, passphrase: str | None = PASSPHRASE, seal: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the command line with the passphrase on a pipe (``--passphrase-fd``), never as an argument;
    ``seal`` is the mission sealing key's passphrase, on a pipe of its own (``--seal-passphrase-fd``)."""
    env = {k: v for k, v in os.environ.items() if k != cipher.ENV_PLAIN}
    command = [sys.executable, "-m", "desktop", "--data-dir", str(data)]
    fds: list[int] = []
    try:
        if passphrase is not None:
            command += ["--passphrase-fd", str(_pipe(fds, passphrase))]
        command += args
        if seal is not None:
            command += ["--seal-passphrase-fd", str(_pipe(fds, seal))]
        return subprocess.run(
            command, capture_output=True, text=True, env=env, pass_fds=tuple(fds), check=False, cwd=ROOT
        )
    finally:
        for fd in fds:
            os.close(fd)


def _pipe(fds: list[int], secret: str) -> int:
    """A pipe holding ``secret`` twice (a new passphrase is typed twice), its reading end kept in ``fds``."""
    read, write = os.pipe()
    os.write(write, f"{secret}\n{secret}\n".encode())
    os.close(write)
    fds.append(read)
    return read


def save_incidents(data: Path, count: int) -> None:
    cipher.unlock(data, PASSPHRASE)
    store = open_store(data)
    try:
        person = add_monitor(store.conn, "Amelia Hart", "HART", "monitor")
        set_local_profile(store.conn, person)
        writer = store.writer(person.monitor_id)
        for n in range(count):
            raw = {
                "observed_start": f"2026-05-{1 + n % 28:02d}T21:15:00Z",
                "time_precision": "exact",
                "observer_lat": float(LATITUDE),
                "observer_lon": float(LONGITUDE),
                "geo_precision": "exact",
                "category": "fire",
                "obs_type": "explosion",
                "explosion_kind": "impact",
                "weapon_class": "mortar",
                "count": 1 + n,
                "count_qualifier": "exact",
                "means": "heard_and_seen",
                "verification_state": "submitted",
                "narrative": f"Impact {n} heard near OP 2. {MARKER}",
            }
            record_incident(store.conn, writer, validate_incident(raw, theatre=store.theatre), store.calendar)
        draft = {"narrative": f"half typed {MARKER}", "observer_position": f"{LATITUDE}, {LONGITUDE}"}
        save_draft(data / "drafts", Draft("proof-draft", None, None, draft, "2026-05-01T00:00:00Z"))
    finally:
        store.close()
        cipher.forget(data)


def fingerprints(data: Path) -> dict[str, str]:
    """Every file's hash but the log's (a refused passphrase is logged on purpose)."""
    return {
        str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data.rglob("*"))
        if p.is_file() and "logs" not in p.relative_to(data).parts
    }


def prove(base: Path) -> list[tuple[bool, str]]:
    data, elsewhere = base / "data", base / "elsewhere"
    elsewhere.mkdir(parents=True)
    results: list[tuple[bool, str]] = []

    def claim(ok: bool, text: str) -> None:
        results.append((ok, text))
        print(f"{'PASS' if ok else 'FAIL'}  {text}", flush=True)

    done = truceline(data, "init")
    claim(done.returncode == 0, f"truceline init created an encrypted data directory ({done.stdout.strip()})")
    save_incidents(data, 20)
    exported = truceline(data, "export-csv", str(elsewhere / "incidents.csv"))
    claim(exported.returncode == 0, "CSV exported to a folder outside the data directory")
    found_outside = subprocess.run(["grep", "-rl", MARKER, str(elsewhere)], capture_output=True, text=True)
    claim(found_outside.returncode == 0, "grep finds the marker in the exported CSV (the search itself works)")
    claim(truceline(data, "backup").returncode == 0, "a verified backup was taken")
    hq, bundle = base / "hq", base / "usb" / "bundle.zip"
    made = truceline(data, "mission", "seal-key", "create", str(hq), passphrase=None, seal=SEAL_PASSPHRASE)
    trusted = truceline(data, "mission", "seal-key", "trust", str(hq / "mission-seal.pub"))
    claim(made.returncode == 0 and trusted.returncode == 0, "the laptop trusts the mission's sealing key")
    sent = truceline(data, "bundle", "export", str(bundle))
    claim(
        sent.returncode == 0 and "sealed for the mission" in sent.stdout,
        f"a bundle was exported: {sent.stdout.strip()}",
    )
    for needle in (MARKER, LATITUDE, LONGITUDE):
        grep = subprocess.run(["grep", "-c", needle, str(bundle)], capture_output=True, text=True)
        claim(grep.returncode == 1, f"grep {needle} over the sealed bundle finds nothing")
    header, first, *rest = (elsewhere / "incidents.csv").read_text(encoding="utf-8").splitlines()
    cells = first.split(",")
    cells[header.split(",").index("observed_start")] = f"{MARKER} {LATITUDE}"
    (base / "tampered.csv").write_text("\n".join([header, ",".join(cells), *rest]) + "\n", encoding="utf-8")
    refused = truceline(data, "import-csv", str(base / "tampered.csv"))
    claim(
        refused.returncode == 2 and MARKER in refused.stderr,
        "a CSV import refused for a cell holding the marker and the coordinate names the value on the terminal",
    )
    checked = truceline(data, "check")
    claim(checked.returncode == 0 and "result: ok" in checked.stdout, "truceline check passes on the encrypted data")
    for needle in (MARKER, LATITUDE, LONGITUDE):
        grep = subprocess.run(["grep", "-rl", needle, str(data)], capture_output=True, text=True)
        claim(
            grep.returncode == 1,
            f"grep -r {needle} over the data directory, its log included, finds nothing {grep.stdout.split()}",
        )
    shell = shutil.which("sqlite3")
    if shell is None:
        print("SKIP  the sqlite3 shell is not installed", flush=True)
    else:
        read = subprocess.run(
            [shell, str(data / "truceline.db"), "SELECT count(*) FROM incidents;"], text=True, capture_output=True
        )
        claim(
            read.returncode != 0 and "not a database" in read.stderr,
            f"the sqlite3 shell cannot read it: {read.stderr.strip()}",
        )
    before = fingerprints(data)
    wrong = truceline(data, "check", passphrase="seven loud rivers after dusk")
    claim(
        wrong.returncode == 2 and "the passphrase is wrong: nothing was opened or changed" in wrong.stderr,
        f"a wrong passphrase is refused in words: {wrong.stderr.strip()}",
    )
    claim(fingerprints(data) == before, "the wrong passphrase changed no file")
    none = truceline(data, "check", passphrase=None)
    claim(none.returncode == 2 and "--passphrase-fd" in none.stderr, "without a terminal or --passphrase-fd it asks")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR (kept) instead of a temporary one")
    args = parser.parse_args(argv)
    if args.keep is not None:
        results = prove(args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="truceline-proof-") as scratch:
            results = prove(Path(scratch))
    failed = [text for ok, text in results if not ok]
    print(f"{len(results) - len(failed)} of {len(results)} claims hold")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
