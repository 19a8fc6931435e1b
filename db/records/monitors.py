"""Monitors (the people who record and review) and this laptop's signed-in profile."""

from dataclasses import dataclass

from db.core.clock import new_id, utc_now_text
from db.core.errors import FieldProblem, NotFoundError, TrucelineError, ValidationError
from db.core.sql_driver import sqlite3
from db.model import enums
from db.model.validation import check_text_field
from db.records.roster import NO_ROSTER, roster_in_force
from db.storage.connection import transaction
from db.storage.device import META_DEVICE_ID
from db.storage.meta import get_meta, set_meta

META_PROFILE = "local_monitor_id"


@dataclass(frozen=True)
class Monitor:
    """A person who records or reviews incidents."""

    monitor_id: str
    name: str
    callsign: str
    role: str

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


def checked_monitor(name: str, callsign: str, role: str) -> tuple[str, str]:
    """Clean name and callsign, or a ValidationError naming every bad field (also for monitors in bundles)."""
    problems: list[FieldProblem] = []
    clean_name = check_text_field("name", name, 100, problems)
    clean_call = check_text_field("callsign", callsign, 30, problems)
    if not clean_name and "name" not in {p.field for p in problems}:
        problems.append(FieldProblem("name", "is required"))
    if not clean_call and "callsign" not in {p.field for p in problems}:
        problems.append(FieldProblem("callsign", "is required"))
    if role not in enums.ROLE:
        problems.append(FieldProblem("role", f"'{role}' is not one of: {', '.join(enums.ROLE)}"))
    if problems:
        raise ValidationError(problems)
    return clean_name or "", clean_call or ""


def add_monitor(conn: sqlite3.Connection, name: str, callsign: str, role: str) -> Monitor:
    """Create a monitor after checking every field (nothing is written on an error)."""
    clean_name, clean_call = checked_monitor(name, callsign, role)
    monitor = Monitor(new_id(), clean_name, clean_call, role)
    with transaction(conn):
        if role == "supervisor" and roster_in_force(conn) is not None:
            raise RoleChangeError(
                f"{clean_name} cannot be registered as a supervisor: the mission's roster names the supervisors. "
                "Register as a monitor and ask headquarters to name you in the roster."
            )
        # Registered by this laptop, which signs the record when it next exports (db/records/monitor_records.py).
        conn.execute(
            "INSERT INTO monitors (monitor_id, name, callsign, role, created_at, device_id) "
            "VALUES (?, ?, ?, ?, ?, (SELECT value FROM meta WHERE key = ?))",
            (monitor.monitor_id, monitor.name, monitor.callsign, monitor.role, utc_now_text(), META_DEVICE_ID),
        )
    return monitor


def update_monitor(conn: sqlite3.Connection, monitor_id: str, name: str, callsign: str, role: str) -> Monitor:
    """Correct a monitor's name, callsign or role; versions keep pointing at the same id."""
    clean_name, clean_call = checked_monitor(name, callsign, role)
    with transaction(conn):
        _require_own(conn, monitor_id)
        _check_promotion(conn, monitor_id, clean_name, role)
        # The old signature no longer covers the record: it is signed again at the next export.
        conn.execute(
            "UPDATE monitors SET name = ?, callsign = ?, role = ?, signature = NULL WHERE monitor_id = ?",
            (clean_name, clean_call, role, monitor_id),
        )
    return Monitor(monitor_id, clean_name, clean_call, role)


def get_monitor(conn: sqlite3.Connection, monitor_id: str) -> Monitor:
    row = conn.execute(
        "SELECT monitor_id, name, callsign, role FROM monitors WHERE monitor_id = ?", (monitor_id,)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"monitor {monitor_id} does not exist")
    return Monitor(*row)


def local_profile(conn: sqlite3.Connection) -> Monitor | None:
    """The monitor who uses this laptop, or None before the first-start dialog."""
    monitor_id = get_meta(conn, META_PROFILE)
    return None if monitor_id is None else get_monitor(conn, monitor_id)


class RoleChangeError(TrucelineError):
    """A role a person tried to give themself: supervisors are named by the mission's roster."""


def _check_promotion(conn: sqlite3.Connection, monitor_id: str, name: str, role: str) -> None:
    """A monitor becomes a supervisor only when the roster in force names them for this laptop."""
    row = conn.execute("SELECT role FROM monitors WHERE monitor_id = ?", (monitor_id,)).fetchone()
    if role != "supervisor" or row is None or row[0] == "supervisor":
        return
    roster = roster_in_force(conn)
    local = conn.execute("SELECT value FROM meta WHERE key = ?", (META_DEVICE_ID,)).fetchone()
    if roster is not None and local is not None and roster.supervises(monitor_id, local[0]):
        return
    why = NO_ROSTER if roster is None else f"the mission's roster {roster.number} does not name them for this laptop"
    raise RoleChangeError(f"{name} cannot make themself a supervisor: {why}.")


class ForeignMonitorError(TrucelineError):
    """A monitor registered on another laptop: only that laptop may write as them or change their record."""


def _require_own(conn: sqlite3.Connection, monitor_id: str) -> None:
    row = conn.execute(
        "SELECT m.name, m.device_id, (SELECT value FROM meta WHERE key = ?) FROM monitors m WHERE monitor_id = ?",
        (META_DEVICE_ID, monitor_id),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"monitor {monitor_id} does not exist")
    name, device_id, local = row
    if device_id is not None and device_id != local:
        raise ForeignMonitorError(
            f"{name} is registered on another laptop ({device_id}); only that laptop can write as them or "
            "change their record"
        )


def set_local_profile(conn: sqlite3.Connection, monitor: Monitor) -> None:
    with transaction(conn):
        _require_own(conn, monitor.monitor_id)
        set_meta(conn, META_PROFILE, monitor.monitor_id)
