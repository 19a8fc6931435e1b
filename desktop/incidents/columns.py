"""One description of the incident columns, for every table of incidents in the window.

The incident table and the review queue show the same kind of row; each used to keep its own
headers, field map, alignment and tooltips, and the two drifted apart (the queue's tooltips lacked
the time precision and the count qualifier). Here is each column once: its title, the incident
field behind it (what it sorts by), how its cells and tooltips read, and whether it is a number.
A model picks the columns it shows by key (:func:`columns`).
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from db.model import enums
from db.model.display import cell_text, local_time_text
from db.model.theatre import Theatre
from db.records.incidents import IncidentRecord

CONFLICT_MARK = "⚠ "
NO_SECTOR = "Outside the DMZ sectors"
_NARRATIVE_TIP = 300


@dataclass(frozen=True)
class Column:
    """One column: ``key`` names it, ``field`` is the incident field it shows and sorts by."""

    key: str
    title: str
    field: str
    numeric: bool = False


ALL_COLUMNS: tuple[Column, ...] = (
    Column("ref", "Ref", "ref"),
    Column("observed", "Observed", "observed_start"),
    Column("zone", "Zone", "zone_id"),
    Column("sector", "Sector", "sector_id"),
    Column("category", "Category", "category"),
    Column("type", "Type", "obs_type"),
    Column("weapon", "Weapon", "weapon_class"),
    Column("count", "Count", "count", numeric=True),
    Column("means", "Means", "means"),
    Column("state", "State", "verification_state"),
    Column("place", "Place", "place"),
)
_BY_KEY = {column.key: column for column in ALL_COLUMNS}


def columns(*keys: str) -> tuple[Column, ...]:
    """The columns named by ``keys``, in that order."""
    return tuple(_BY_KEY[key] for key in keys)


class CellText:
    """How a cell and its tooltip read: times in the display time zone, areas by the theatre's names."""

    def __init__(self, theatre: Theatre, tz: ZoneInfo) -> None:
        self.tz = tz
        self.set_theatre(theatre)

    def set_theatre(self, theatre: Theatre) -> None:
        self._zone_names = {zone.zone_id: zone.name for zone in theatre.zones}
        self._sector_names = {sector.sector_id: sector.name for sector in theatre.sectors}

    def display(self, column: Column, record: IncidentRecord) -> str:
        incident = record.incident
        if column.key == "ref":
            return CONFLICT_MARK + record.ref if record.in_conflict else record.ref
        if column.key == "observed":
            return local_time_text(incident.observed_start, self.tz)
        return cell_text(column.field, incident)

    def tooltip(self, column: Column, record: IncidentRecord) -> str:
        incident = record.incident
        if column.key == "ref" and record.in_conflict:
            return f"{record.heads} versions in conflict"
        if column.key == "observed":
            start = local_time_text(incident.observed_start, self.tz)
            end = f" – {local_time_text(incident.observed_end, self.tz)}" if incident.observed_end else ""
            precision = enums.TIME_PRECISION.get(incident.time_precision, incident.time_precision)
            return f"{start}{end} ({self.tz.key}), {precision.lower()}"
        if column.key == "zone":
            return self._zone_names.get(incident.zone_id, incident.zone_id)
        if column.key == "sector":
            if incident.sector_id is None:
                return NO_SECTOR
            return self._sector_names.get(incident.sector_id, incident.sector_id)
        if column.key == "count":
            qualifier = enums.COUNT_QUALIFIER.get(incident.count_qualifier, incident.count_qualifier)
            return f"{qualifier} {incident.count}"
        narrative = incident.narrative
        if len(narrative) > _NARRATIVE_TIP:
            narrative = narrative[:_NARRATIVE_TIP].rstrip() + "…"
        return "\n".join(part for part in (incident.place, narrative) if part)

    def header_tooltip(self, column: Column) -> str | None:
        if column.key == "observed":
            return f"Start of the observation, local time ({self.tz.key})"
        return None
