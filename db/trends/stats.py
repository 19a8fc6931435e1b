"""Counts of incidents and violations per zone and per DMZ sector, from the timeline rollup."""

from dataclasses import dataclass

from db.core.sql_driver import sqlite3


@dataclass(frozen=True)
class AreaCount:
    """Incidents and violations (sum of counts) in one zone or sector."""

    area_id: str
    name: str
    incidents: int
    violations: int


def counts_by_zone(conn: sqlite3.Connection) -> list[AreaCount]:
    rows = conn.execute(
        """SELECT z.zone_id, z.name, coalesce(sum(d.incidents), 0), coalesce(sum(d.violations), 0)
           FROM zones z LEFT JOIN daily_counts d ON d.zone_id = z.zone_id
           GROUP BY z.zone_id ORDER BY z.zone_id"""
    )
    return [AreaCount(*row) for row in rows]


def counts_by_sector(conn: sqlite3.Connection) -> list[AreaCount]:
    rows = conn.execute(
        """SELECT s.sector_id, s.name, coalesce(sum(d.incidents), 0), coalesce(sum(d.violations), 0)
           FROM sectors s LEFT JOIN daily_counts d ON d.sector_id = s.sector_id
           GROUP BY s.sector_id ORDER BY s.sector_id"""
    )
    return [AreaCount(*row) for row in rows]


def totals(conn: sqlite3.Connection) -> tuple[int, int]:
    """All incidents and all violations."""
    row = conn.execute("SELECT coalesce(sum(incidents), 0), coalesce(sum(violations), 0) FROM daily_counts").fetchone()
    return int(row[0]), int(row[1])
