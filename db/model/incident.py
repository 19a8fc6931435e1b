"""The incident: the fields one version of a record carries (ARCHITECTURE.md §3).

An :class:`Incident` is always valid: build one with :func:`db.model.validation.validate_incident`.
Its payload form (:meth:`Incident.to_payload`) is what is hashed and stored in
``incident_versions.payload``; the ``incidents`` table holds the same fields as columns.
"""

from dataclasses import dataclass, fields
from functools import cached_property
from operator import attrgetter
from typing import Any

from db.core.hashing import canonical_json, sha256_hex

TEXT_FIELDS = ("place", "actor1", "actor2", "narrative")
FLOAT_FIELDS = (
    "observer_lat",
    "observer_lon",
    "event_lat",
    "event_lon",
    "bearing_deg",
    "dist_min_km",
    "dist_max_km",
    "calibre_mm",
)
INT_FIELDS = ("count", "info_credibility", "civ_killed", "civ_injured", "mil_killed", "mil_injured")
BOOL_FIELDS = ("weapon_assessed",)


@dataclass(frozen=True)
class Incident:
    """What was observed, where, when, how and with what judgement: one version's content.

    Not slotted, so the canonical payload can be computed once and cached (the demo computes
    it in a worker process, and the cache travels with the pickled incident).
    """

    observed_start: str
    observed_end: str | None
    time_precision: str
    zone_id: str
    sector_id: str | None
    dmz_relation: str | None
    observer_lat: float | None
    observer_lon: float | None
    event_lat: float | None
    event_lon: float | None
    geo_precision: str
    place: str | None
    bearing_deg: float | None
    dist_min_km: float | None
    dist_max_km: float | None
    category: str
    obs_type: str
    explosion_kind: str | None
    weapon_class: str
    weapon_assessed: bool
    calibre_mm: float | None
    count: int
    count_qualifier: str
    means: str
    source_reliability: str | None
    info_credibility: int | None
    civ_killed: int | None
    civ_injured: int | None
    mil_killed: int | None
    mil_injured: int | None
    verification_state: str
    attribution: str
    actor1: str | None
    actor2: str | None
    narrative: str

    def to_payload(self) -> dict[str, Any]:
        """The dict that is canonicalised and hashed.

        Fields that are None are omitted. Integral floats become ints so that ``json.dumps``
        gives the RFC 8785 form (``45``, not ``45.0``); :meth:`from_payload` turns them back.
        """
        # Unknown (None) fields are left out: a third of the size, and from_payload restores them.
        payload = {name: value for name, value in zip(FIELD_NAMES, self.values(), strict=True) if value is not None}
        for name in FLOAT_FIELDS:
            value = payload.get(name)
            if value is not None and value.is_integer():
                payload[name] = int(value)
        return payload

    def values(self) -> tuple[Any, ...]:
        """Field values in FIELD_NAMES order."""
        values: tuple[Any, ...] = _all_fields(self)
        return values

    @cached_property
    def payload_json(self) -> str:
        """The canonical JSON text stored in ``incident_versions.payload``."""
        return canonical_json(self.to_payload()).decode()

    @cached_property
    def payload_sha256(self) -> str:
        return sha256_hex(self.payload_json.encode())

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "Incident":
        """Rebuild from a stored payload; fields added after it was written default to None."""
        values: dict[str, Any] = {name: payload.get(name) for name in FIELD_NAMES}
        for name in FLOAT_FIELDS:
            if values[name] is not None:
                values[name] = float(values[name])
        return cls(**values)

    def changed_fields(self, other: "Incident") -> list[str]:
        """Names of the fields whose values differ, in display order."""
        return [name for name in FIELD_NAMES if getattr(self, name) != getattr(other, name)]


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Incident))
_all_fields = attrgetter(*FIELD_NAMES)
