"""A writer for the crash tests: saves incidents forever, printing each id after its commit.

Run as ``python save_forever.py DATA_DIR``. A line on stdout is an acknowledgement: the save
returned, so the user would have been told "saved".
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from db.model.validation import validate_incident  # noqa: E402
from db.records.incidents import record_incident  # noqa: E402
from db.records.monitors import add_monitor  # noqa: E402
from db.storage.store import open_store  # noqa: E402


def main() -> None:
    store = open_store(Path(sys.argv[1]))
    author = add_monitor(store.conn, "Crash Test", "CRSH", "monitor")
    writer = store.writer(author.monitor_id)
    n = 0
    print("ready", flush=True)
    while True:
        n += 1
        incident = validate_incident(
            {
                "observed_start": "2026-05-01T21:15:00Z",
                "zone_id": "EAST",
                "category": "fire",
                "obs_type": "burst",
                "means": "heard",
                "count": 1 + n % 50,
                "narrative": f"crash test save {n} " + "x" * (n % 300),
            },
            theatre=store.theatre,
        )
        saved = record_incident(store.conn, writer, incident, store.calendar)
        sys.stdout.write(saved.incident_id + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
