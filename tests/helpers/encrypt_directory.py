"""Encrypt the plain data directory argv[1] with a cheap KDF, printing "converted" when done (SIGKILL tests)."""

import sys
from pathlib import Path

from db.storage import cipher
from db.storage.conversion import encrypt_directory

encrypt_directory(Path(sys.argv[1]), sys.argv[2], cipher.KdfParams(time_cost=1, memory_kib=1024, parallelism=1))
print("converted", flush=True)
