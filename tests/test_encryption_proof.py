"""The reviewer's proof (packaging/prove_encryption.py) holds: nothing readable at rest, a wrong passphrase
refused in words and changing nothing."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "packaging" / "prove_encryption.py"


def test_the_proof_script_finds_every_claim_true(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--keep", str(tmp_path / "proof")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    assert "claims hold" in done.stdout
