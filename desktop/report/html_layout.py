"""The report as HTML: one markup for the PDF (through QTextDocument) and for the HTML file.

QTextDocument reads a subset of HTML 4 and CSS 2, so the markup keeps to what it lays out well:
headings, paragraphs, lists and tables with ``cellpadding``. Everything that came from a record
(places, narratives, names) is escaped: it is text typed on another laptop, never markup.
"""

from html import escape

from db.report.content import NotableIncident, Report
from desktop.report.wording import (
    AREA_SECTIONS,
    FURTHER_COLUMNS,
    NO_NOTABLE,
    PROVENANCE_LEAD,
    SUBTITLE,
    TIMELINE_CAPTION,
    areas_of,
    by_reference_heading,
    change_words,
    counted_note,
    empty_note,
    further_heading,
    further_row,
    in_full_note,
    incident_head,
    incident_rows,
    map_caption,
    notable_heading,
    notable_tiers,
    provenance_rows,
    reference_lines,
    references_text,
    summary_lines,
    title_rows,
)

TIMELINE_IMAGE = "truceline-timeline.png"
MAP_IMAGE = "truceline-map.png"
NOWRAP = " class='nowrap'"
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
    marking = f"<p class='marking'>{escape(report.marking)}</p>" if report.marking and marking_in_body else ""
    scope = f"<p>{escape(report.scope)}</p>" if report.scope else ""
    table = "".join(f"<tr><td class='key'>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in title_rows(report))
    return (
        f"{marking}<h1>{escape(report.title)}</h1><p class='muted'>{SUBTITLE}</p>"
        f"<table cellpadding='2' cellspacing='0' width='100%'>{table}</table>{scope}"
    )


def _summary(report: Report) -> str:
    lines = [f"<p class='lead'>{escape(report.summary.sentence)}</p>"]
    lines += [f"<p>{escape(line)}</p>" for line in summary_lines(report)]
    if report.is_empty:
        bold, advice = empty_note(report)
        lines.append(f"<p><b>{escape(bold)}</b>{escape(advice)}</p>")
    elif report.counted.incidents:
        lines.append(f"<p class='muted'>{escape(counted_note(report))}</p>")
    return "<h2>Summary</h2>" + "".join(lines)


def _areas(report: Report) -> str:
    sections = []
    for title, section in AREA_SECTIONS:
        active, quiet = areas_of(report, section)
        items = "".join(
            f"<li>{escape(a.line)} <span class='muted'>{escape(change_words(a))}</span></li>" for a in active
        )
        body = f"<ol>{items}</ol>" if items else ""
        if quiet:
            body += f"<p class='muted'>{escape(quiet)}</p>"
        sections.append(f"<h3>{title}</h3>{body}")
    return "<h2>Areas, ranked by change</h2>" + "".join(sections)


def _figures(report: Report, images: dict[str, str]) -> str:
    parts = []
    if TIMELINE_IMAGE in images:
        parts.append(
            f"<h2>Timeline</h2><p><img src='{images[TIMELINE_IMAGE]}' width='{IMAGE_WIDTH}'></p>"
            f"<p class='caption'>{escape(TIMELINE_CAPTION)}</p>"
        )
    if MAP_IMAGE in images:
        parts.append(
            f"<h2>Map</h2><p><img src='{images[MAP_IMAGE]}' width='{IMAGE_WIDTH}'></p>"
            f"<p class='caption'>{escape(map_caption(report))}</p>"
        )
    return "".join(parts)


def _notable(report: Report) -> str:
    heading = f"<h2>{escape(notable_heading(report))}</h2>"
    if not report.notable:
        return f"{heading}<p>{NO_NOTABLE}</p>"
    full, one_line, by_reference = notable_tiers(report)
    blocks = "".join(_incident(n) for n in full)
    if one_line:
        rows = "".join(
            "<tr>"
            + "".join(f"<td{NOWRAP if i < 2 else ''}>{escape(v)}</td>" for i, v in enumerate(further_row(n)))
            + "</tr>"
            for n in one_line
        )
        header = "".join(f"<th>{c}</th>" for c in FURTHER_COLUMNS)
        blocks += (
            f"<h3>{further_heading(len(one_line))}</h3>"
            "<table cellpadding='2' cellspacing='0' width='100%' border='1' style='border-color: #c8d2de'>"
            f"<tr>{header}</tr>{rows}</table>"
        )
    if by_reference:
        lines = reference_lines([n.ref for n in by_reference])
        blocks += f"<h3>{by_reference_heading(len(by_reference))}</h3>" + "".join(
            f"<p class='mono'>{escape(line)}</p>" for line in lines
        )
    note = in_full_note(report)
    return heading + (f"<p class='muted'>{note}</p>" if note else "") + blocks


def _incident(n: NotableIncident) -> str:
    body = "".join(f"<tr><td class='key' width='18%'>{k}</td><td>{escape(v)}</td></tr>" for k, v in incident_rows(n))
    return (
        "<table cellpadding='3' cellspacing='0' width='100%' style='margin-top: 8px; border-color: #c8d2de' "
        f"border='1'><tr><th colspan='2'>{escape(incident_head(n))}</th></tr>{body}</table>"
    )


def _methods(report: Report) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in report.methods)
    return f"<h2>Methods</h2><ul>{items}</ul>"


def _provenance(report: Report) -> str:
    table = "".join(
        f"<tr><td class='key' width='22%'>{k}</td><td>{escape(v)}</td></tr>" for k, v in provenance_rows(report)
    )
    lines, is_list = references_text(report)
    css = " class='mono'" if is_list else ""
    refs = "<h3>References of the entries counted</h3>" + "".join(f"<p{css}>{escape(line)}</p>" for line in lines)
    return (
        f"<h2>Provenance</h2><table cellpadding='2' cellspacing='0' width='100%'>{table}</table>"
        f"<p>{PROVENANCE_LEAD}</p>{refs if lines else ''}"
    )
