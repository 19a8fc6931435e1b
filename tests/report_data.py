"""Incidents for the report tests: one of each notable kind, an ordinary one, and one outside the period."""

from support import save

from db.storage.store import Store
from db.storage.versions import Writer

NOT_OBSERVED = dict(obs_type="none", explosion_kind=None)


def record_notable(store: Store, writer: Writer) -> dict[str, str]:
    """Notable incidents on 11-15 May 2026, an ordinary one on the 16th, one notable on the 20th; refs by kind."""
    kinds = {
        "civilian": dict(category="civilian_harm", civ_injured=2, civ_killed=1, **NOT_OBSERVED),
        "threat": dict(category="threat_to_monitors", place="Бахмут", **NOT_OBSERVED),
        "access": dict(category="access_restriction", **NOT_OBSERVED),
        "heavy": dict(category="heavy_weapon_in_restricted_area", **NOT_OBSERVED),
        "casualty": dict(mil_injured=3),  # fire that injured soldiers
        "ordinary": dict(),
        "outside": dict(category="civilian_harm", civ_injured=1, **NOT_OBSERVED),
    }
    refs = {}
    for n, (kind, changes) in enumerate(kinds.items()):
        start = "2026-05-20T10:00:00Z" if kind == "outside" else f"2026-05-1{n + 1}T06:00:00Z"
        saved = save(store, writer, observed_start=start, observed_end=None, **changes)  # type: ignore[arg-type]
        refs[kind] = saved.ref
    return refs
