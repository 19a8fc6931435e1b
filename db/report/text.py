"""The report's sentences that are not numbers: what was observed, the harm, the scope, the methods.

Kept apart from :mod:`db.report.content` so the wording can be read and changed in one place; every
label comes from :mod:`db.model.enums`, as in the window and the exports.
"""

from datetime import time

from db.model import enums
from db.model.display import COUNT_PREFIX
from db.model.incident import Incident
from db.records.queries import IncidentFilter


def observed_text(incident: Incident) -> str:
    """``12 × explosion (impact), mortar 120 mm (assessed); heard and seen``."""
    what = enums.OBS_TYPE.get(incident.obs_type, incident.obs_type).lower()
    if incident.obs_type == "none":
        what = enums.CATEGORY.get(incident.category, incident.category).lower()
    text = f"{COUNT_PREFIX.get(incident.count_qualifier, '')}{incident.count} × {what}"
    if incident.explosion_kind:
        text += f" ({enums.EXPLOSION_KIND.get(incident.explosion_kind, incident.explosion_kind).lower()})"
    if incident.weapon_class != "undetermined":
        weapon = enums.WEAPON_CLASS.get(incident.weapon_class, incident.weapon_class).lower()
        if incident.calibre_mm is not None:
            weapon += f" {incident.calibre_mm:g} mm"
        text += f", {weapon}" + (" (assessed)" if incident.weapon_assessed else "")
    means = enums.MEANS.get(incident.means, incident.means).lower()
    return f"{text}; {means}"


def harm_text(incident: Incident) -> str:
    """``Civilians: 1 killed, 2 injured. Military: unknown.``, or "" when nothing was recorded."""
    parts = []
    for who, killed, injured in (
        ("Civilians", incident.civ_killed, incident.civ_injured),
        ("Military", incident.mil_killed, incident.mil_injured),
    ):
        if killed is None and injured is None:
            continue
        words = [f"{n} {label}" for n, label in ((killed, "killed"), (injured, "injured")) if n is not None]
        parts.append(f"{who}: {', '.join(words)}.")
    return " ".join(parts)


def describe_filter(flt: IncidentFilter) -> str:
    """What the report counts, in words ("" when it counts everything in the theatre)."""
    parts = []
    if flt.zone_ids:
        parts.append(f"zone {', '.join(flt.zone_ids)}")
    if flt.sector_ids:
        parts.append(f"DMZ sector {', '.join(flt.sector_ids)}")
    if flt.categories:
        parts.append("categories " + ", ".join(enums.CATEGORY.get(c, c) for c in flt.categories))
    if flt.weapon_classes:
        parts.append("weapons " + ", ".join(enums.WEAPON_CLASS.get(w, w) for w in flt.weapon_classes))
    if flt.states:
        parts.append("verification " + ", ".join(enums.VERIFICATION_STATE.get(s, s) for s in flt.states))
    if flt.text.strip():
        parts.append(f"text matching “{flt.text.strip()}”")
    if flt.conflicts_only:
        parts.append("unresolved conflicts only")
    return f"Only {'; '.join(parts)}." if parts else ""


def methods_note(time_zone: str, cutoff: time, reporting_days: bool, estimates: int) -> tuple[str, ...]:
    """The short methods note every report carries, so a reader knows what a number means."""
    days = (
        f"Days are reporting days: a reporting day ends at {cutoff:%H:%M} {time_zone}, and an observation at "
        f"or after {cutoff:%H:%M} counts in the next day's report."
        if reporting_days
        else f"Days are local calendar days in {time_zone} (midnight to midnight)."
    )
    estimate = (
        f"{estimates:,} of the entries counted in the period are estimates (approximate counts, lower bounds "
        "such as “at least 20”, or uncountable fire recorded at its minimum); they are counted at the number "
        "recorded, so totals are lower bounds."
        if estimates
        else "Every entry counted in the period has an exact count."
    )
    return (
        "A ceasefire violation is one observed event of category fire (a burst, a shot, an explosion, a "
        "projectile in flight, a muzzle flash or a flare); an entry of 12 explosions counts as 12. Other "
        "categories (heavy weapons, UAVs, restrictions, harm) are reported as incidents, not counted as violations.",
        "Explosions are split into impacts, airbursts, outgoing fire and undetermined; an explosion recorded "
        "without a kind counts as undetermined, so the kinds add up to the total.",
        days,
        "The previous period has as many days and ends the day before the period starts. The running total "
        "starts at the theatre's latest key date.",
        estimate,
        f"Times are local ({time_zone}) unless marked UTC. Every verification state is counted unless the scope "
        "says otherwise; each notable incident shows its own.",
    )
