"""What goes into the supervisor's daily or weekly report, decided here and rendered elsewhere.

The OSCE SMM sent headquarters a report for every reporting day (to 19:30) and every week: the
period sentence, the areas, the notable incidents, the restrictions on the monitors, then maps
and charts. This module assembles the content of such a report from the database, as plain
dataclasses; ``desktop.report`` lays it out as PDF or HTML. Every number comes from the same
functions as ``truceline stats`` (:mod:`db.trends.summary`), so the report and the command line agree.

Provenance is part of the content: who produced the report, when, on which laptop, the state
hash of the records (:func:`db.exchange.log.state_hash`, equal on two laptops holding the same
versions) and the references of the incidents counted, so every number can be traced.

A month on a million incidents is read in about a second: the sentences come from the rollups;
the period's incidents are read once (:func:`period_rows`) for the entries counted, the map's
squares and the notable incidents, of which (thousands in a busy month) only those a report prints
in words are read in full.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from db.core.errors import TrucelineError
from db.core.sql_driver import sqlite3
from db.exchange.log import state_hash
from db.model import enums
from db.model.display import local_time_text
from db.model.theatre import Theatre
from db.records.incidents import record_from_row
from db.records.queries import IncidentFilter, day_bounds, where_clause
from db.report.places import Gazetteer, Settlement, grid_reference, place_in_words
from db.report.squares import MapPoint, points_of, square_sql
from db.report.text import describe_filter, harm_text, methods_note, observed_text
from db.storage.device import device_label
from db.storage.projection import PROJECTION_COLUMNS, Calendar
from db.trends.summary import AreaSummary, RunningTotal, Summary, period_summary, running_total

Progress = Callable[[int, int], bool]

NOTABLE_CATEGORIES = {
    "civilian_harm": "Civilian harm",
    "threat_to_monitors": "Threat to monitors",
    "access_restriction": "Restriction of the monitors' movement",
    "heavy_weapon_in_restricted_area": "Heavy weapon in a restricted area (DMZ)",
}
_HARM_COLUMNS = ("civ_killed", "civ_injured", "mil_killed", "mil_injured")
NOTABLE_SQL = (
    f"(category IN ({', '.join(repr(c) for c in NOTABLE_CATEGORIES)}) OR "
    + " OR ".join(f"coalesce({c}, 0) > 0" for c in _HARM_COLUMNS)
    + ")"
)
"""An incident the report lists in full: one of the categories above, or anyone killed or injured."""

SEVERITY = (
    "Civilian harm",
    "Casualties",
    "Threat to monitors",
    "Restriction of the monitors' movement",
    "Heavy weapon in a restricted area (DMZ)",
)
"""The order notable incidents are listed in (by time within each)."""

IN_FULL = 60
"""Notable incidents a report shows in full (the gravest); the next IN_ONE_LINE one line each; any more by
reference only, so only the first IN_FULL + IN_ONE_LINE are put in words (place, what, harm, account)."""
IN_ONE_LINE = 240

LISTED_REFERENCES = 400
"""Up to this many incidents counted, their references are printed; beyond, a digest and a command."""


class ReportCancelled(TrucelineError):
    """The user pressed Cancel while the report was being assembled; nothing was written."""

    def __init__(self) -> None:
        super().__init__("the report was cancelled; nothing was written")


@dataclass(frozen=True)
class ReportRequest:
    """The period (inclusive days) and what to count: the filter bar's selection without its period."""

    first: date
    last: date
    reporting_days: bool = True
    flt: IncidentFilter = field(default_factory=IncidentFilter)


@dataclass(frozen=True)
class NotableIncident:
    """One notable incident: why, and (``in_words``) when, where in words, what, harm, how far it is verified.

    Past the first IN_FULL + IN_ONE_LINE of a report, which it lists by reference only, the words are
    left empty (``in_words`` False): a busy month holds thousands, each costing a place look-up.
    """

    ref: str
    incident_id: str
    reasons: tuple[str, ...]
    in_words: bool = False
    local_time: str = ""
    place: str = ""
    grid: str = ""
    area: str = ""
    observed: str = ""
    harm: str = ""
    verification: str = ""
    narrative: str = ""


@dataclass(frozen=True)
class Counted:
    """The incidents behind the ceasefire-violation numbers, so each can be traced."""

    incidents: int
    estimates: int  # entries whose count is approximate, a lower bound or uncountable
    refs: tuple[str, ...]  # empty when more than LISTED_REFERENCES
    digest: str  # SHA-256 of "ref head_version_id" lines in ref order


@dataclass(frozen=True)
class Provenance:
    """Who made the report, when, where, and from which records."""

    author: str
    produced_utc: str
    produced_local: str
    device_id: str
    device_label: str
    state_hash: str
    versions: int
    theatre: str
    theatre_sha256: str


@dataclass(frozen=True)
class Report:
    """Everything a report shows, in the order it shows it."""

    title: str
    period_text: str
    marking: str
    scope: str
    summary: Summary
    zones: tuple[AreaSummary, ...]
    sectors: tuple[AreaSummary, ...]
    running: RunningTotal | None
    running_label: str
    notable: tuple[NotableIncident, ...]
    tiers: tuple[int, int]  # (IN_FULL, IN_ONE_LINE) when it was built
    points: tuple[MapPoint, ...]
    counted: Counted
    methods: tuple[str, ...]
    provenance: Provenance
    theatre_notice: str
    request: ReportRequest

    @property
    def is_empty(self) -> bool:
        """Nothing recorded in the period: the report says so instead of showing empty tables."""
        return not self.points and not self.counted.incidents and not self.notable


def last_complete_reporting_day(now_utc: datetime, calendar: Calendar) -> date:
    """The latest reporting day whose cut-off (19:30 by default) has passed at ``now_utc``."""
    local = now_utc.astimezone(calendar.tz)
    return local.date() if local.time() >= calendar.cutoff else local.date() - timedelta(days=1)


def build_report(
    conn: sqlite3.Connection,
    theatre: Theatre,
    request: ReportRequest,
    *,
    author: str,
    device_id: str,
    marking: str = "",
    settlements: Sequence[Settlement] = (),
    now_utc: datetime | None = None,
    progress: Progress | None = None,
) -> Report:
    """Assemble the report of ``request`` from ``conn``; raises :class:`ReportCancelled` on Cancel."""
    if request.last < request.first:
        raise ValueError(f"the period ends ({request.last}) before it starts ({request.first})")
    steps = 8
    step = iter(range(1, steps + 1))

    def advance() -> None:
        if progress is not None and not progress(next(step), steps):
            raise ReportCancelled()

    tz = ZoneInfo(theatre.time_zone)
    cutoff = theatre.reporting_cutoff if request.reporting_days else None
    flt, first, last = request.flt, request.first, request.last
    summary = period_summary(conn, flt, first, last, tz=tz, cutoff=cutoff)
    advance()
    zones = ranked(period_summary(conn, flt, first, last, tz=tz, by="zone", cutoff=cutoff).areas)
    advance()
    sectors = ranked(period_summary(conn, flt, first, last, tz=tz, by="sector", cutoff=cutoff).areas)
    advance()
    earlier = [key for key in theatre.key_dates if key.date <= last]
    running, running_label = None, ""
    if earlier:
        running = running_total(conn, flt, earlier[-1].date, last, tz, cutoff=cutoff)
        running_label = earlier[-1].label
    advance()
    fire, squares, notable_rows = period_rows(conn, *period_where(request, tz))
    advance()
    counted = counted_entries(fire)
    points = points_of(squares)
    advance()
    notable = notable_incidents(conn, notable_rows, tz, settlements)
    advance()
    now = now_utc or datetime.now(UTC)
    provenance = Provenance(
        author=author,
        produced_utc=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        produced_local=f"{now.astimezone(tz):%Y-%m-%d %H:%M} {tz.key}",
        device_id=device_id,
        device_label=device_label(conn, device_id),
        state_hash=state_hash(conn),
        versions=conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0],
        theatre=theatre.name,
        theatre_sha256=theatre.source_sha256,
    )
    advance()
    return Report(
        title=report_title(first, last),
        period_text=period_text(first, last, tz, theatre.reporting_cutoff if request.reporting_days else None),
        marking=marking.strip(),
        scope=describe_filter(flt),
        summary=summary,
        zones=zones,
        sectors=sectors,
        running=running,
        running_label=running_label,
        notable=notable,
        tiers=(IN_FULL, IN_ONE_LINE),
        points=points,
        counted=counted,
        methods=methods_note(tz.key, theatre.reporting_cutoff, request.reporting_days, counted.estimates),
        provenance=provenance,
        theatre_notice=theatre.notice if theatre.illustrative else "",
        request=request,
    )


def ranked(areas: Sequence[AreaSummary]) -> tuple[AreaSummary, ...]:
    """Areas by the size of their change (largest rise or fall first), then by violations; quiet ones last."""

    def key(area: AreaSummary) -> tuple[int, int, str]:
        change = area.current.violations - area.previous.violations
        return (-abs(change), -area.current.violations, area.label)

    return tuple(sorted(areas, key=key))


def report_title(first: date, last: date) -> str:
    days = (last - first).days + 1
    if days == 1:
        return "Daily report"
    if days == 7:
        return "Weekly report"
    return f"Report on {days} days"


def period_text(first: date, last: date, tz: ZoneInfo, cutoff: time | None) -> str:
    """The period in words, with its exact start and end when reporting days are used."""
    if cutoff is None:
        span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
        return f"{span} (local days, {tz.key})"
    start = datetime.combine(first - timedelta(days=1), cutoff)
    end = datetime.combine(last, cutoff)
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} {tz.key}"


def period_where(request: ReportRequest, tz: ZoneInfo) -> tuple[str, list[object]]:
    """SQL over ``incidents`` for the request's filter and days (reporting or local, as stored)."""
    # A day wider on each side in UTC, so the time index narrows the rows; the stored day decides.
    start, end = day_bounds(request.first - timedelta(days=1), request.last + timedelta(days=1), tz)
    where, params = where_clause(replace(request.flt, start_utc=start, end_utc=end))
    column = "report_day" if request.reporting_days else "obs_day"
    return (
        f"{where} AND {column} BETWEEN ? AND ?",
        [*params, request.first.isoformat(), request.last.isoformat()],
    )


FireLines = tuple[str, int, int]
"""The period's fire entries: their "ref head_version_id\\n" lines in ref order, how many, how many estimates."""
SquareRow = tuple[float, float, int, int]
"""A square of the map: row, column, incidents in it, 1 if any is notable."""
NotableRow = tuple[str, str, str, str | None, int | None, int | None, int | None, int | None]
"""A notable incident: incident id, ref, observed_start, category, then the harm columns."""


def period_rows(
    conn: sqlite3.Connection, where: str, params: Sequence[object]
) -> tuple[FireLines, list[SquareRow], list[NotableRow]]:
    """The period's fire entries, the map's squares and its notable incidents, from one pass over them.

    Each pass over a month's incidents visits a hundred thousand wide rows (a third of a second of
    CPU), so SQLite keeps the few columns needed once (a MATERIALIZED common table expression) and
    reads that three times, in one statement whose rows say which of the three each is. The fire
    entries, a hundred thousand in a busy month, come as one text of lines concatenated in ref order.
    """
    y, x = square_sql("lat", "lon")
    sql = f"""WITH period AS MATERIALIZED (
        SELECT incident_id, ref, head_version_id, observed_start, category, count_qualifier, {", ".join(_HARM_COLUMNS)},
            coalesce(event_lat, observer_lat) AS lat, coalesce(event_lon, observer_lon) AS lon, {NOTABLE_SQL} AS notable
        FROM incidents WHERE {where})
    SELECT 0, coalesce(group_concat(line, ''), ''), count(*), coalesce(sum(estimate), 0), NULL, NULL, NULL, NULL, NULL
        FROM (SELECT ref || ' ' || head_version_id || char(10) AS line, coalesce(count_qualifier, '') != 'exact'
            AS estimate FROM period WHERE category = 'fire' ORDER BY ref)
    UNION ALL SELECT 1, {y} AS y, {x} AS x, count(*), max(notable), NULL, NULL, NULL, NULL
        FROM period WHERE lat IS NOT NULL AND lon IS NOT NULL GROUP BY y, x
    UNION ALL SELECT 2, incident_id, ref, observed_start, category, {", ".join(_HARM_COLUMNS)}
        FROM period WHERE notable"""
    rows = conn.execute(sql, list(params)).fetchall()
    (fire,) = [(str(row[1]), int(row[2]), int(row[3])) for row in rows if row[0] == 0]
    squares: list[SquareRow] = [row[1:5] for row in rows if row[0] == 1]
    notable: list[NotableRow] = [row[1:] for row in rows if row[0] == 2]
    return fire, squares, notable


def notable_incidents(
    conn: sqlite3.Connection, rows: Sequence[NotableRow], tz: ZoneInfo, settlements: Sequence[Settlement]
) -> tuple[NotableIncident, ...]:
    """Every notable incident of ``rows``, each once, the gravest first (harm to people, then the monitors,
    then weapons, as the SMM's reports did) and by time within each; the first IN_FULL + IN_ONE_LINE in
    words, read in full from ``conn``."""
    rank = {reason: n for n, reason in enumerate(SEVERITY)}
    ranked_rows = []
    for incident_id, ref, start, category, *harm in rows:
        reasons = _reasons(category, harm)
        gravest = min(rank.get(reason, len(rank)) for reason in reasons) if reasons else len(rank)
        ranked_rows.append((gravest, start or "", incident_id, ref, reasons))
    ranked_rows.sort()
    in_words = len(ranked_rows[: IN_FULL + IN_ONE_LINE])
    words = _in_words(conn, [row[2] for row in ranked_rows[:in_words]], tz, Gazetteer(settlements))
    listed = [
        words[incident_id] if n < in_words else NotableIncident(ref, incident_id, reasons)
        for n, (_, _, incident_id, ref, reasons) in enumerate(ranked_rows)
    ]
    return tuple(listed)


def _reasons(category: str | None, harm: Sequence[int | None]) -> tuple[str, ...]:
    reasons = [NOTABLE_CATEGORIES[category]] if category in NOTABLE_CATEGORIES else []
    if any(harm) and category != "civilian_harm":
        reasons.append("Casualties")
    return tuple(reasons)


_SELECT_FULL = f"SELECT {', '.join(PROJECTION_COLUMNS)} FROM incidents WHERE incident_id IN"


def _in_words(
    conn: sqlite3.Connection, incident_ids: Sequence[str], tz: ZoneInfo, gazetteer: Gazetteer
) -> dict[str, NotableIncident]:
    """The incidents ``incident_ids``, read in full and put in words, by incident id."""
    out = {}
    for n in range(0, len(incident_ids), 500):
        chunk = incident_ids[n : n + 500]
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(f"{_SELECT_FULL} ({marks})", chunk):
            record = record_from_row(row)
            incident = record.incident
            harm = [getattr(incident, column) for column in _HARM_COLUMNS]
            out[record.incident_id] = NotableIncident(
                ref=record.ref,
                incident_id=record.incident_id,
                reasons=_reasons(incident.category, harm),
                in_words=True,
                local_time=local_time_text(incident.observed_start, tz) if incident.observed_start else "",
                place=place_in_words(incident, gazetteer),
                grid=grid_reference(incident),
                area=incident.zone_id + (f", {incident.sector_id}" if incident.sector_id else ""),
                observed=observed_text(incident),
                harm=harm_text(incident),
                verification=enums.VERIFICATION_STATE.get(incident.verification_state, incident.verification_state),
                narrative=incident.narrative,
            )
    return out


def counted_entries(fire: FireLines) -> Counted:
    """The fire entries behind the numbers: how many, how many are estimates, their references, and the
    digest of their "ref head_version_id" lines in ref order."""
    text, count, estimates = fire
    lines = text.split("\n")[:-1]
    # SQLite concatenates in the order its subquery reads; that order is checked, not assumed. A ref
    # holds no space or control character (db.storage.projection.make_ref), so lines sort as refs do.
    if lines != sorted(lines):
        lines.sort()
        text = "".join(f"{line}\n" for line in lines)
    refs = tuple(line.split(" ", 1)[0] for line in lines) if count <= LISTED_REFERENCES else ()
    return Counted(count, estimates, refs, hashlib.sha256(text.encode()).hexdigest())
