"""The selected incident and its full history: every version, who, where, why and what changed.

All text from the database is HTML-escaped before it is shown: a narrative is data, never markup.
"""

from html import escape
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from db.model.display import FIELD_LABELS, format_value, local_time_text
from db.model.incident import FIELD_NAMES, Incident
from db.records.incidents import HistoryEntry, IncidentRecord

GROUPS = (
    ("When", ("observed_start", "observed_end", "time_precision")),
    (
        "Where",
        (
            "zone_id",
            "sector_id",
            "dmz_relation",
            "place",
            "observer_lat",
            "observer_lon",
            "event_lat",
            "event_lon",
            "geo_precision",
            "bearing_deg",
            "dist_min_km",
            "dist_max_km",
        ),
    ),
    ("What", ("category", "obs_type", "explosion_kind", "weapon_class", "weapon_assessed", "calibre_mm")),
    ("How many", ("count", "count_qualifier")),
    ("How known", ("means", "source_reliability", "info_credibility")),
    ("Harm", ("civ_killed", "civ_injured", "mil_killed", "mil_injured")),
    ("Judgement", ("verification_state", "attribution", "actor1", "actor2")),
)


class DetailPane(QWidget):
    """Read-only view of one incident; empty when nothing is selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setAccessibleName("Incident details and history")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.clear()

    def clear(self) -> None:
        self.browser.setHtml("<p style='color: gray'>Select an incident to see its details and history.</p>")

    def show_incident(self, record: IncidentRecord, history: list[HistoryEntry], tz: ZoneInfo) -> None:
        self.browser.setHtml(render_incident(record, history, tz))


def render_incident(record: IncidentRecord, history: list[HistoryEntry], tz: ZoneInfo) -> str:
    incident = record.incident
    parts = [f"<h2>{escape(record.ref)}</h2>"]
    if record.in_conflict:
        parts.append(
            f"<p style='color:#b9770e'><b>In conflict:</b> {record.heads} versions were saved from the same "
            "starting point. A supervisor must resolve it; nothing has been overwritten.</p>"
        )
    rows = []
    for title, names in GROUPS:
        shown = [
            n for n in names if getattr(incident, n) not in (None, "") or n in ("observed_start", "zone_id", "count")
        ]
        if not shown:
            continue
        rows.append(f"<tr><td colspan='2' style='padding-top:8px'><b>{title}</b></td></tr>")
        rows.extend(
            f"<tr><td style='padding-right:12px; color:gray'>{escape(FIELD_LABELS[n])}</td>"
            f"<td>{escape(format_value(n, getattr(incident, n), tz))}</td></tr>"
            for n in shown
        )
    # One table for every group, so that values line up down the whole pane.
    parts.append(f"<table>{''.join(rows)}</table>")
    if incident.narrative:
        parts.append("<h4>Narrative</h4><p>" + escape(incident.narrative).replace("\n", "<br>") + "</p>")
    parts.append(f"<h3>History ({len(history)} version{'s' if len(history) != 1 else ''})</h3>")
    parts.append(render_history(history, tz))
    return "".join(parts)


def render_history(history: list[HistoryEntry], tz: ZoneInfo) -> str:
    by_id = {entry.version.version_id: entry.version.incident() for entry in history}
    items = []
    for number, entry in enumerate(history, start=1):
        version = entry.version
        when = local_time_text(version.recorded_at, tz)
        head = " <b>(current)</b>" if entry.is_head and len(history) > 1 else ""
        title = (
            f"<b>{number}.</b> {escape(when)} · {escape(entry.author_name)} · laptop {escape(entry.device_label)}"
            f" · seq {version.device_seq}{head}"
        )
        if not version.parent_ids:
            body = "Recorded."
        else:
            body = f"Reason: <i>{escape(version.reason or '')}</i>"
            if len(version.parent_ids) > 1:
                body += f"<br>Resolves a conflict between {len(version.parent_ids)} versions."
            body += _changes(entry, by_id, tz)
        items.append(f"<p>{title}<br>{body}</p>")
    return "".join(items)


def _changes(entry: HistoryEntry, by_id: dict[str, Incident], tz: ZoneInfo) -> str:
    if not entry.changed:
        return "<br>No field changed."
    parent = by_id.get(entry.version.parent_ids[0])
    new = by_id[entry.version.version_id]
    lines = []
    for name in entry.changed:
        if name not in FIELD_NAMES:
            continue
        before = format_value(name, getattr(parent, name), tz) if parent else "?"
        after = format_value(name, getattr(new, name), tz)
        if name == "narrative":
            lines.append(f"{escape(FIELD_LABELS[name])} changed")
        else:
            lines.append(f"{escape(FIELD_LABELS[name])}: {escape(before)} → {escape(after)}")
    return "<br>" + "<br>".join(lines)
