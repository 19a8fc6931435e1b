"""The report as HTML: one markup for the PDF (through QTextDocument) and for the HTML file.

QTextDocument reads a subset of HTML 4 and CSS 2, so the markup keeps to what it lays out well:
headings, paragraphs, lists and tables with ``cellpadding``. Everything that came from a record
(places, narratives, names) is escaped: it is text typed on another laptop, never markup.
"""

from html import escape

from db.report import NotableIncident, Report
from db.summary import AreaSummary

TIMELINE_IMAGE = "truceline-timeline.png"
MAP_IMAGE = "truceline-map.png"
IN_FULL = 60
"""Notable incidents shown in full; beyond (a busy month), one line each so the report stays readable."""
IMAGE_WIDTH = 640  # CSS pixels: the width of the text on A4 with the report's margins

STYLE = """
body { color: #1a1a1a; }
h1 { font-size: 18pt; margin: 0; }
h2 { font-size: 13pt; color: #1f3a5f; margin-top: 16px; margin-bottom: 4px; }
h3 { font-size: 10.5pt; margin-top: 10px; margin-bottom: 2px; }
p { margin-top: 2px; margin-bottom: 4px; }
.marking { color: #a01c1c; font-weight: bold; text-align: center; font-size: 11pt; }
.lead { font-size: 11pt; font-weight: bold; }
.muted { color: #555555; }
.caption { color: #555555; font-size: 8.5pt; }
.key { color: #555555; font-weight: bold; }
.mono { font-family: monospace; font-size: 8pt; }
td { vertical-align: top; }
.nowrap { white-space: nowrap; }
th { text-align: left; background-color: #e8eef5; }
"""


def report_html(
    report: Report, *, images: dict[str, str], standalone: bool = False, marking_in_body: bool = True
) -> str:
    """The whole report; ``images`` maps TIMELINE_IMAGE and MAP_IMAGE to their ``src`` (missing: left out).

    ``marking_in_body`` False leaves the marking to the pages' own header and footer (the PDF).
    """
    parts = [_title_block(report, marking_in_body), _summary(report), _areas(report)]
    parts.append(_figures(report, images))
    parts += [_notable(report), _methods(report), _provenance(report)]
    head = f"<meta charset='utf-8'><title>{escape(report.title)}, {escape(report.period_text)}</title>"
    css = STYLE
    if standalone:
        css += (
            "body { font-family: 'DejaVu Sans', 'Noto Sans', Arial, sans-serif; font-size: 10pt; max-width: 48em; "
            "margin: 2em auto; } img { max-width: 100%; height: auto; } @page { size: A4; margin: 18mm; }"
        )
    return f"<html><head>{head}<style>{css}</style></head><body>{''.join(parts)}</body></html>"


def _title_block(report: Report, marking_in_body: bool) -> str:
    p = report.provenance
    marking = f"<p class='marking'>{escape(report.marking)}</p>" if report.marking and marking_in_body else ""
    scope = f"<p>{escape(report.scope)}</p>" if report.scope else ""
    rows = [
        ("Period", report.period_text),
        ("Produced", f"{p.produced_local} ({p.produced_utc}) by {p.author}"),
        ("Laptop", f"{p.device_label or 'unnamed'} ({p.device_id})"),
        ("Theatre", p.theatre),
    ]
    table = "".join(f"<tr><td class='key'>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)
    return (
        f"{marking}<h1>{escape(report.title)}</h1>"
        "<p class='muted'>Truceline ceasefire monitoring report</p>"
        f"<table cellpadding='2' cellspacing='0' width='100%'>{table}</table>{scope}"
    )


def _summary(report: Report) -> str:
    s = report.summary
    lines = [f"<p class='lead'>{escape(s.sentence)}</p>", f"<p>{escape(s.period_line)}</p>"]
    lines.append(f"<p>{escape(s.change_line)}</p>")
    if report.running is not None:
        lines.append(f"<p>{escape(report.running.line(report.running_label))}</p>")
    if report.is_empty:
        lines.append(
            "<p><b>No incidents were recorded in this period"
            + (" within the scope above" if report.scope else "")
            + ".</b> The numbers above are zero because nothing was entered, not because data is missing: "
            "check that every laptop's bundle was imported before sending.</p>"
        )
    elif report.counted.incidents:
        lines.append(
            f"<p class='muted'>The numbers count {report.counted.incidents:,} entries of ceasefire violations "
            "(their references are listed under Provenance).</p>"
        )
    return "<h2>Summary</h2>" + "".join(lines)


def _areas(report: Report) -> str:
    sections = []
    for title, areas in (("Zones", report.zones), ("DMZ sectors", report.sectors)):
        active = [a for a in areas if a.current.violations or a.previous.violations]
        quiet = [a for a in areas if not (a.current.violations or a.previous.violations)]
        items = "".join(f"<li>{escape(a.line)} <span class='muted'>{escape(_change(a))}</span></li>" for a in active)
        body = f"<ol>{items}</ol>" if items else ""
        if quiet:
            names = ", ".join(a.label for a in quiet)
            body += f"<p class='muted'>No ceasefire violations in either period: {escape(names)}.</p>"
        sections.append(f"<h3>{title}</h3>{body}")
    return "<h2>Areas, ranked by change</h2>" + "".join(sections)


def _change(area: AreaSummary) -> str:
    now, before = area.current.violations, area.previous.violations
    if now == before:
        return "Unchanged."
    word = "Up" if now > before else "Down"
    share = f" ({(now - before) / before:+.0%})" if before else ""
    return f"{word} {abs(now - before):,}{share}."


def _figures(report: Report, images: dict[str, str]) -> str:
    parts = []
    if TIMELINE_IMAGE in images:
        parts.append(
            "<h2>Timeline</h2>"
            f"<p><img src='{images[TIMELINE_IMAGE]}' width='{IMAGE_WIDTH}'></p>"
            "<p class='caption'>Ceasefire violations (category fire) per day by zone, as the Trends view shows them; "
            "a short period is shown within the 30 days that end with it, shaded.</p>"
        )
    if MAP_IMAGE in images:
        notice = f" {report.theatre_notice}" if report.theatre_notice else ""
        parts.append(
            "<h2>Map</h2>"
            f"<p><img src='{images[MAP_IMAGE]}' width='{IMAGE_WIDTH}'></p>"
            "<p class='caption'>Incidents of the period at their estimated positions (else the observer's), "
            f"gathered in squares of about 2 km; notable incidents as diamonds.{escape(notice)}</p>"
        )
    return "".join(parts)


def _notable(report: Report) -> str:
    if not report.notable:
        return (
            "<h2>Notable incidents</h2><p>No notable incidents (civilian harm, casualties, threats to monitors, "
            "restrictions of movement, heavy weapons in the DMZ) were recorded in the period.</p>"
        )
    blocks = "".join(_incident(n) for n in report.notable[:IN_FULL])
    rest = report.notable[IN_FULL:]
    if rest:
        rows = "".join(
            f"<tr><td class='nowrap'>{escape(n.local_time)}</td><td class='nowrap'>{escape(n.ref)}</td>"
            f"<td>{escape(', '.join(n.reasons))}</td>"
            f"<td>{escape(n.place)}</td><td>{escape(n.verification)}</td></tr>"
            for n in rest
        )
        blocks += (
            f"<h3>Further notable incidents ({len(rest):,}), one line each</h3>"
            "<table cellpadding='2' cellspacing='0' width='100%' border='1' style='border-color: #c8d2de'>"
            "<tr><th>Time</th><th>Reference</th><th>Why</th><th>Where</th><th>Verification</th></tr>"
            f"{rows}</table>"
        )
    lead = (
        f"<p class='muted'>The gravest {IN_FULL} in full, the others one line each; every one is listed once.</p>"
        if rest
        else ""
    )
    return f"<h2>Notable incidents ({len(report.notable):,})</h2>{lead}{blocks}"


def _incident(n: NotableIncident) -> str:
    rows = [
        ("Where", n.place + (f" · {n.grid}" if n.grid else "") + f" · {n.area}"),
        ("Observed", n.observed),
    ]
    if n.harm:
        rows.append(("Harm", n.harm))
    rows += [("Verification", n.verification), ("Account", n.narrative or "—")]
    body = "".join(f"<tr><td class='key' width='18%'>{k}</td><td>{escape(v)}</td></tr>" for k, v in rows)
    head = f"{escape(n.local_time)} · {escape(', '.join(n.reasons))} · {escape(n.ref)}"
    return (
        "<table cellpadding='3' cellspacing='0' width='100%' style='margin-top: 8px; border-color: #c8d2de' "
        f"border='1'><tr><th colspan='2'>{head}</th></tr>{body}</table>"
    )


def _methods(report: Report) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in report.methods)
    return f"<h2>Methods</h2><ul>{items}</ul>"


def _provenance(report: Report) -> str:
    p, c = report.provenance, report.counted
    rows = [
        ("Produced by", p.author),
        ("Produced at", f"{p.produced_local} ({p.produced_utc})"),
        ("Laptop", f"{p.device_label or 'unnamed'} (device {p.device_id})"),
        ("State hash", f"{p.state_hash} over {p.versions:,} versions"),
        ("Theatre file", f"{p.theatre} (SHA-256 {p.theatre_sha256})"),
        ("Entries counted", f"{c.incidents:,} (digest of references and versions: {c.digest})"),
    ]
    table = "".join(f"<tr><td class='key' width='22%'>{k}</td><td>{escape(v)}</td></tr>" for k, v in rows)
    if c.refs:
        refs = f"<p class='mono'>{escape(', '.join(c.refs))}</p>"
    elif c.incidents:
        refs = (
            f"<p>{c.incidents:,} references are too many to print; the same selection is exported, with every "
            "reference and version, by File → Export CSV with this period and scope.</p>"
        )
    else:
        refs = ""
    return (
        "<h2>Provenance</h2><p>Two laptops holding the same versions show the same state hash; any number above "
        f"can be traced to the entries below.</p><table cellpadding='2' cellspacing='0' width='100%'>{table}</table>"
        f"{'<h3>References of the entries counted</h3>' + refs if refs else ''}"
    )
