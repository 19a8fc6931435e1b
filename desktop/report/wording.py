"""The report's fixed sentences and labelled rows, shared by every format (HTML/PDF and DOCX).

Each format lays these out its own way; the words stay the same, so a PDF and a DOCX of one
report say the same thing.
"""

from collections.abc import Sequence

from db.report.content import NotableIncident, Report
from db.trends.summary import AreaSummary

SUBTITLE = "Truceline ceasefire monitoring report"
AREA_SECTIONS = (("Zones", "zones"), ("DMZ sectors", "sectors"))
TIMELINE_CAPTION = (
    "Ceasefire violations (category fire) per day by zone, as the Trends view shows them; a short period is "
    "shown within the 30 days that end with it, shaded."
)
NO_NOTABLE = (
    "No notable incidents (civilian harm, casualties, threats to monitors, restrictions of movement, heavy "
    "weapons in the DMZ) were recorded in the period."
)
PROVENANCE_LEAD = (
    "Two laptops holding the same versions show the same state hash; every number in this report can be traced "
    "to the entries counted."
)
FURTHER_COLUMNS = ("Time", "Reference", "Why", "Where", "Verification")
REFS_PER_LINE = 6


def title_rows(report: Report) -> list[tuple[str, str]]:
    p = report.provenance
    return [
        ("Period", report.period_text),
        ("Produced", f"{p.produced_local} ({p.produced_utc}) by {p.author}"),
        ("Laptop", f"{p.device_label or 'unnamed'} ({p.device_id})"),
        ("Theatre", p.theatre),
    ]


def summary_lines(report: Report) -> list[str]:
    """The period, the change and the running total (the SMM sentence itself comes first, in bold)."""
    s = report.summary
    lines = [s.period_line, s.change_line]
    if report.running is not None:
        lines.append(report.running.line(report.running_label))
    return lines


def empty_note(report: Report) -> tuple[str, str]:
    """For a period with nothing recorded: a bold statement and the advice after it."""
    where = " within the scope above" if report.scope else ""
    return (
        f"No incidents were recorded in this period{where}.",
        " The numbers above are zero because nothing was entered, not because data is missing: check that every "
        "laptop's bundle was imported before sending.",
    )


def counted_note(report: Report) -> str:
    return (
        f"The numbers count {report.counted.incidents:,} entries of ceasefire violations (their references are "
        "listed under Provenance)."
    )


def areas_of(report: Report, section: str) -> tuple[list[AreaSummary], str]:
    """The areas with violations in either period (ranked), and the line naming the quiet ones ("" if none)."""
    areas: tuple[AreaSummary, ...] = getattr(report, section)
    active = [a for a in areas if a.current.violations or a.previous.violations]
    quiet = [a.label for a in areas if not (a.current.violations or a.previous.violations)]
    return active, (f"No ceasefire violations in either period: {', '.join(quiet)}." if quiet else "")


def change_words(area: AreaSummary) -> str:
    now, before = area.current.violations, area.previous.violations
    if now == before:
        return "Unchanged."
    word = "Up" if now > before else "Down"
    share = f" ({(now - before) / before:+.0%})" if before else ""
    return f"{word} {abs(now - before):,}{share}."


def map_caption(report: Report) -> str:
    notice = f" {report.theatre_notice}" if report.theatre_notice else ""
    return (
        "The Map view's map of the period: incidents at their estimated positions (else the observer's), coloured "
        f"by category as in the Map view; counts per cell where too many would hide each other.{notice}"
    )


def notable_heading(report: Report) -> str:
    return f"Notable incidents ({len(report.notable):,})" if report.notable else "Notable incidents"


def notable_tiers(
    report: Report,
) -> tuple[tuple[NotableIncident, ...], tuple[NotableIncident, ...], tuple[NotableIncident, ...]]:
    """The notable incidents in full, one line each, and by reference only (a busy month of demo data
    holds thousands; every one is listed once, the gravest with the most words)."""
    notable, (in_full, in_one_line) = report.notable, report.tiers
    return notable[:in_full], notable[in_full : in_full + in_one_line], notable[in_full + in_one_line :]


def in_full_note(report: Report) -> str:
    full, one_line, by_reference = notable_tiers(report)
    if not one_line:
        return ""
    text = f"The gravest {len(full)} in full, the next {len(one_line):,} one line each"
    if by_reference:
        text += f", the other {len(by_reference):,} by reference"
    return text + "; every one is listed once."


def further_heading(rest: int) -> str:
    return f"Further notable incidents ({rest:,}), one line each"


def by_reference_heading(rest: int) -> str:
    return f"Other notable incidents ({rest:,}), by reference"


def reference_lines(refs: Sequence[str]) -> list[str]:
    """References a few to a line: each line is its own paragraph, so pages break between them."""
    return [", ".join(refs[n : n + REFS_PER_LINE]) for n in range(0, len(refs), REFS_PER_LINE)]


def incident_head(n: NotableIncident) -> str:
    return f"{n.local_time} · {', '.join(n.reasons)} · {n.ref}"


def incident_rows(n: NotableIncident) -> list[tuple[str, str]]:
    rows = [("Where", n.place + (f" · {n.grid}" if n.grid else "") + f" · {n.area}"), ("Observed", n.observed)]
    if n.harm:
        rows.append(("Harm", n.harm))
    return rows + [("Verification", n.verification), ("Account", n.narrative or "—")]


def further_row(n: NotableIncident) -> tuple[str, ...]:
    return (n.local_time, n.ref, ", ".join(n.reasons), n.place, n.verification)


def provenance_rows(report: Report) -> list[tuple[str, str]]:
    p, c = report.provenance, report.counted
    return [
        ("Produced by", p.author),
        ("Produced at", f"{p.produced_local} ({p.produced_utc})"),
        ("Laptop", f"{p.device_label or 'unnamed'} (device {p.device_id})"),
        ("State hash", f"{p.state_hash} over {p.versions:,} versions"),
        ("Theatre file", f"{p.theatre} (SHA-256 {p.theatre_sha256})"),
        ("Entries counted", f"{c.incidents:,} (digest of references and versions: {c.digest})"),
    ]


def references_text(report: Report) -> tuple[list[str], bool]:
    """The references of the entries counted (a few to a line), or why they are not printed; True when it
    is the list itself."""
    c = report.counted
    if c.refs:
        return reference_lines(c.refs), True
    if c.incidents:
        return [
            f"{c.incidents:,} references are too many to print; the same selection is exported, with every "
            "reference and version, by File → Export CSV with this period and scope."
        ], False
    return [], False
