"""Realistic synthetic history for demonstrations, training and the performance budgets.

``truceline demo --incidents N --seed S`` writes through the same validation and recording API
as the form, in batches of one transaction each. The same seed gives the same incidents (their
ids and recording times differ). The shape follows what ceasefire monitors saw in Donbas:
most violations at night, a few hot sectors, short escalation episodes, and the OSCE SMM's mix of
bursts and shots (~53 %), explosions (~30 %), projectiles in flight (~16 %) and muzzle flashes
and flares (~1 %), plus rarer heavy weapons in the DMZ, UAV activity and access restrictions.
"""

import json
import math
import os
import random
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from multiprocessing import get_context
from typing import Any
from zoneinfo import ZoneInfo

from db.core.errors import DatabaseError, DiskFullError, ValidationError
from db.core.worker_life import bind_to_parent
from db.model.geo import compass_point
from db.model.incident import Incident
from db.model.theatre import Theatre, parse_theatre
from db.model.validation import validate_incident
from db.records.incidents import record_incident_groups
from db.records.monitors import Monitor, add_monitor
from db.records.roles import is_decision
from db.storage.connection import bulk_writes
from db.storage.store import Store

BATCH = 5000
# Processes drawing and validating batches while this one writes (two cores: the OS shares them).
WORKERS = 2
DAYS = 365
# Local hour weights: quiet at midday, most fire after dusk and before dawn.
HOUR_WEIGHTS = [9, 8, 7, 6, 5, 3, 2, 1.5, 1, 1, 1, 1, 1, 1, 1.2, 1.5, 2, 3, 5, 7, 9, 10, 10, 10]
TOWNS = [
    ("Vovchansk", "Вовчанськ", 50.29, 36.94),
    ("Kupiansk", "Куп'янськ", 49.71, 37.61),
    ("Lyman", "Лиман", 48.99, 37.80),
    ("Siversk", "Сіверськ", 48.87, 38.10),
    ("Chasiv Yar", "Часів Яр", 48.59, 37.84),
    ("Toretsk", "Торецьк", 48.40, 37.85),
    ("Pokrovsk", "Покровськ", 48.28, 37.18),
    ("Kurakhove", "Курахове", 47.98, 37.28),
    ("Velyka Novosilka", "Велика Новосілка", 47.85, 36.83),
    ("Huliaipole", "Гуляйполе", 47.66, 36.26),
    ("Orikhiv", "Оріхів", 47.57, 35.78),
    ("Kamianske", "Кам'янське", 47.49, 35.37),
    ("Enerhodar", "Енергодар", 47.50, 34.65),
    ("Nikopol", "Нікополь", 47.57, 34.39),
    ("Beryslav", "Берислав", 46.84, 33.43),
    ("Kherson", "Херсон", 46.64, 32.61),
]
REAR_BOX = (46.3, 52.2, 22.3, 36.5)  # lat_min, lat_max, lon_min, lon_max of the rear areas
MONITORS = [
    ("Amelia Hart", "HART", "monitor"),
    ("Louis Mercier", "MERC", "monitor"),
    ("Oksana Bondar", "BOND", "monitor"),
    ("James Whitlock", "WHIT", "monitor"),
    ("Camille Durand", "DURA", "monitor"),
    ("Tomasz Nowak", "NOWA", "monitor"),
    ("Ingrid Solberg", "SOLB", "supervisor"),
    ("Mykola Petrenko", "PETR", "supervisor"),
]

FIRE_TYPES = [
    ("burst", 38),
    ("single_shot", 15),
    ("explosion", 30),
    ("projectile_in_flight", 16),
    ("muzzle_flash", 0.6),
    ("illumination_flare", 0.4),
]
OTHER_CATEGORIES = [
    ("fire", 85),
    ("heavy_weapon_in_restricted_area", 4),
    ("uav_activity", 4),
    ("military_presence", 2),
    ("mine_or_uxo", 2),
    ("access_restriction", 1.5),
    ("threat_to_monitors", 0.5),
    ("civilian_harm", 0.5),
    ("infrastructure_damage", 0.4),
    ("other", 0.1),
]
EXPLOSION_KINDS = [("impact", 35), ("airburst", 5), ("outgoing", 25), ("undetermined", 35)]
EXPLOSION_WEAPONS = [
    ("mortar", 35),
    ("tube_artillery", 20),
    ("undetermined", 20),
    ("grenade_launcher", 8),
    ("drone_munition", 7),
    ("tank_gun", 4),
    ("rpg_recoilless", 3),
    ("mlrs", 3),
]
CALIBRES: dict[str, list[float]] = {
    "small_arms": [5.45, 7.62],
    "heavy_machine_gun": [12.7, 14.5],
    "grenade_launcher": [30, 40],
    "mortar": [60, 82, 120],
    "tube_artillery": [122, 152, 155],
    "tank_gun": [125],
    "mlrs": [122, 220],
    "cannon": [23, 30],
}
PARTIES = ("Party East", "Party West")


def _pick(rng: random.Random, table: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


@dataclass
class _Shape:
    """The seeded shape of the year: sector heat, escalation episodes, and the days."""

    days: list[date]
    cells: list[tuple[int, int]]  # (town index, day index)
    cum_weights: list[float]


def _shape(rng: random.Random, today: date) -> _Shape:
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    heat = [rng.choice([0.3, 0.6, 1, 1, 1.5, 2.5, 4]) for _ in TOWNS]
    episodes = [
        (rng.randrange(len(TOWNS)), rng.randrange(DAYS), rng.randint(3, 14), rng.uniform(3, 8)) for _ in range(10)
    ]
    cells: list[tuple[int, int]] = []
    cum: list[float] = []
    total = 0.0
    # Day-major order: a slice of the cumulative weights is a stretch of calendar time.
    for d in range(DAYS):
        for t in range(len(TOWNS)):
            weight = heat[t] * (1 + 0.35 * math.sin(d / 23.0 + t)) * (0.6 + 0.8 * d / DAYS)
            for town, start, length, factor in episodes:
                if town == t and start <= d < start + length:
                    weight *= factor
            total += weight
            cells.append((t, d))
            cum.append(total)
    return _Shape(days, cells, cum)


def _offset(lat: float, lon: float, bearing: float, km: float) -> tuple[float, float]:
    dlat = km * math.cos(math.radians(bearing)) / 111.32
    dlon = km * math.sin(math.radians(bearing)) / (111.32 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def synth_raw(
    rng: random.Random, shape: _Shape, tz_name: str, span: tuple[float, float] = (0.0, 1.0)
) -> dict[str, Any]:
    """One synthetic incident as a form would submit it (before validation).

    ``span`` is the slice of the year's weight to draw the day from (fractions 0 to 1).
    """
    tz = ZoneInfo(tz_name)
    category = _pick(rng, OTHER_CATEGORIES)
    total = shape.cum_weights[-1]
    point = rng.uniform(span[0] * total, span[1] * total)
    town_i, day_i = shape.cells[min(bisect_left(shape.cum_weights, point), len(shape.cells) - 1)]
    town, town_uk, tlat, tlon = TOWNS[town_i]
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = datetime.combine(shape.days[day_i], time(hour, rng.randrange(60), rng.randrange(60)), tz)
    start = local.astimezone(UTC)
    rear = category in ("mine_or_uxo", "infrastructure_damage", "other") and rng.random() < 0.5
    if rear:
        obs_lat, obs_lon = rng.uniform(*REAR_BOX[:2]), rng.uniform(*REAR_BOX[2:])
        place = None
    else:
        # Observation posts sit a few km on the western side of the line near a town.
        obs_lat, obs_lon = _offset(tlat, tlon, rng.uniform(240, 300), rng.uniform(2, 11))
        obs_lat += rng.uniform(-0.08, 0.08)
        place = town if rng.random() < 0.7 else town_uk
    raw: dict[str, Any] = {
        "observed_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_precision": "exact" if rng.random() < 0.9 else "approximate",
        "observer_lat": obs_lat,
        "observer_lon": obs_lon,
        "place": place,
        "category": category,
        "means": "heard",
        "source_reliability": "A",
        "info_credibility": rng.choice([1, 2, 2, 3]),
    }
    obs_type, weapon, count = _what_was_seen(rng, raw, start)
    if weapon in CALIBRES and rng.random() < 0.4:
        raw["weapon_assessed"] = True
        raw["calibre_mm"] = rng.choice(CALIBRES[weapon])
    raw.update(obs_type=obs_type, weapon_class=weapon, count=count)
    if count > 20:
        raw["count_qualifier"] = rng.choice(["approx", "at_least"])
    raw["verification_state"] = _state(rng, day_i)
    if raw["verification_state"] == "verified" and rng.random() < 0.1:
        raw["attribution"] = "attributed"
        raw["actor1"] = rng.choice(PARTIES)
    raw["narrative"] = _narrative(rng, raw, town)
    return raw


def _what_was_seen(rng: random.Random, raw: dict[str, Any], start: datetime) -> tuple[str, str, int]:
    """Observation type, weapon and count for the incident's category; fills the category's own fields."""
    category = raw["category"]
    obs_type, weapon, count = "none", "undetermined", 1
    if category == "fire":
        return _fire(rng, raw, start)
    if category == "heavy_weapon_in_restricted_area":
        weapon = rng.choice(["tank_gun", "tube_artillery", "mlrs", "mortar"])
        count = rng.randint(1, 6)
        raw["means"] = rng.choice(["seen", "uav", "camera"])
    elif category == "uav_activity":
        raw["means"] = rng.choice(["seen", "heard_and_seen", "uav"])
        count = rng.randint(1, 4)
    elif category == "civilian_harm":
        raw["civ_injured"] = rng.randint(1, 3)
        raw["civ_killed"] = rng.choice([None, 0, 0, 1])
        raw["means"] = rng.choice(["civilian_report", "party_report"])
        raw["source_reliability"] = rng.choice(["B", "C", "D"])
    elif category in ("access_restriction", "threat_to_monitors"):
        raw["means"] = "seen"
    return obs_type, weapon, count


def _fire(rng: random.Random, raw: dict[str, Any], start: datetime) -> tuple[str, str, int]:
    """A ceasefire violation: what was observed, with which weapon, how often, and where it landed."""
    weapon, count = "undetermined", 1
    obs_type = _pick(rng, FIRE_TYPES)
    if obs_type in ("burst", "single_shot"):
        weapon = rng.choices(["small_arms", "heavy_machine_gun", "undetermined"], [60, 25, 15])[0]
        count = 1 if obs_type == "single_shot" and rng.random() < 0.5 else min(200, int(rng.expovariate(1 / 8)) + 1)
    elif obs_type == "explosion":
        weapon = _pick(rng, EXPLOSION_WEAPONS)
        count = min(150, int(rng.expovariate(1 / 4)) + 1)
        raw["explosion_kind"] = _pick(rng, EXPLOSION_KINDS)
    elif obs_type == "projectile_in_flight":
        weapon = rng.choices(["mlrs", "tube_artillery", "atgm", "undetermined"], [40, 20, 10, 30])[0]
        count = min(80, int(rng.expovariate(1 / 3)) + 1)
    raw["means"] = rng.choices(["heard", "heard_and_seen", "seen", "camera"], [65, 20, 10, 5])[0]
    bearing = rng.uniform(30, 150)
    dmin = round(rng.uniform(0.5, 6), 1)
    raw.update(bearing_deg=round(bearing, 0), dist_min_km=dmin, dist_max_km=round(dmin + rng.uniform(0.5, 4), 1))
    if rng.random() < 0.5:
        raw["event_lat"], raw["event_lon"] = _offset(raw["observer_lat"], raw["observer_lon"], bearing, dmin + 1)
    raw["geo_precision"] = "near"
    if rng.random() < 0.3:
        raw["observed_end"] = (start + timedelta(minutes=rng.randint(1, 40))).strftime("%Y-%m-%dT%H:%M:%SZ")
    return obs_type, weapon, count


def _state(rng: random.Random, day_index: int) -> str:
    if day_index >= DAYS - 14:
        return rng.choices(["draft", "submitted", "under_review", "returned", "verified"], [15, 40, 25, 5, 15])[0]
    return rng.choices(
        ["verified", "unverified", "not_a_violation", "disputed", "archived", "submitted"], [62, 18, 6, 4, 8, 2]
    )[0]


def _narrative(rng: random.Random, raw: dict[str, Any], town: str) -> str:
    what = raw["obs_type"].replace("_", " ")
    where = ""
    if raw.get("bearing_deg") is not None:
        where = (
            f" {raw['dist_min_km']}–{raw['dist_max_km']} km {compass_point(raw['bearing_deg'])} of the observation post"
        )
    extra = rng.choice(
        ["", " Monitors sheltered.", " Patrol continued.", " Reported to team leader.", " Tracer visible."]
    )
    return f"{raw['count']} × {what} ({raw['means'].replace('_', ' ')}){where} near {town}.{extra}".strip()


def ensure_demo_monitors(store: Store) -> list[Monitor]:
    known = {row[0]: row[1] for row in store.conn.execute("SELECT callsign, monitor_id FROM monitors")}
    out = []
    for name, callsign, role in MONITORS:
        if callsign in known:
            out.append(Monitor(known[callsign], name, callsign, role))
        else:
            out.append(add_monitor(store.conn, name, callsign, role))
    return out


def generate(
    store: Store,
    incidents: int,
    seed: int = 1,
    *,
    today: date | None = None,
    progress: Callable[[int, int], bool] | None = None,
) -> int:
    """Write ``incidents`` synthetic incidents; returns how many were written.

    Batch ``i`` is drawn from its own generator seeded by ``(seed, i)``, so the content does not
    depend on how the work is scheduled. Large runs draw and validate the next batch in a second
    process while this one writes the current batch. ``progress(done, total)`` is called after
    each batch; returning False stops (what was written stays: each batch is a complete
    transaction).
    """
    now = datetime.now(UTC)
    last_day = today or now.astimezone(store.tz).date() - timedelta(days=1)
    people = ensure_demo_monitors(store)
    monitors = [m for m in people if m.role == "monitor"]
    # Reviewed states are supervisors' decisions (db/records/roles.py): they write those.
    supervisors = [m for m in people if m.role == "supervisor"]
    sizes = [min(BATCH, incidents - start) for start in range(0, incidents, BATCH)]
    job = _Job(store.theatre.geojson_text, seed, last_day, now, incidents)
    done = 0
    try:
        with bulk_writes(store.conn), _batches(job, sizes) as batches:
            for index, batch in enumerate(batches):
                writer = store.writer(monitors[index % len(monitors)].monitor_id)
                reviewer = store.writer(supervisors[index % len(supervisors)].monitor_id)
                groups = [
                    (writer, [i for i in batch if not _decided(i)]),
                    (reviewer, [i for i in batch if _decided(i)]),
                ]
                record_incident_groups(store.conn, groups, store.calendar)
                done += len(batch)
                if progress is not None and progress(done, incidents) is False:
                    break
    except DatabaseError as error:
        raise _interrupted(error, done, incidents) from error
    return done


def _decided(incident: Incident) -> bool:
    return is_decision(None, incident.verification_state)


def _interrupted(error: DatabaseError, done: int, wanted: int) -> DatabaseError:
    """The failure of a batch, saying what the batches before it saved (each is a whole
    transaction, so the count is exact); "nothing was saved" is true only of the failed batch."""
    saved = f"{done:,} of the {wanted:,} demo incidents were saved, the rest were not"
    if isinstance(error, DiskFullError):
        return DiskFullError(f"the disk is full: {saved}. Free some space, then run demo again for more")
    cause = error.__cause__ or error
    return DatabaseError(f"{saved}: a write failed ({cause})")


@dataclass(frozen=True)
class _Job:
    """Everything a worker process needs to draw batches exactly as this process would."""

    theatre_text: str
    seed: int
    last_day: date
    now: datetime
    incidents: int


@lru_cache(maxsize=2)
def _theatre(text: str) -> Theatre:
    return parse_theatre(text, "demo")


@lru_cache(maxsize=4)
def _cached_shape(seed: int, last_day: date) -> _Shape:
    return _shape(random.Random(seed), last_day)


def _draw_batch(job: _Job, index: int, size: int) -> list[Incident]:
    """Batch ``index``: ``size`` validated incidents from the generator seeded by (seed, index).

    Batches follow the calendar (batch 0 holds the oldest incidents) and each is sorted by time,
    as a mission's history is recorded; it also keeps the time indexes' inserts local.
    """
    rng = random.Random(f"{job.seed}/{index}")
    theatre = _theatre(job.theatre_text)
    shape = _cached_shape(job.seed, job.last_day)
    start = index * BATCH
    span = (start / job.incidents, (start + size) / job.incidents)
    batch: list[Incident] = []
    while len(batch) < size:
        incident = _validated(synth_raw(rng, shape, theatre.time_zone, span), theatre, job.now)
        if incident is not None:
            incident.payload_sha256  # noqa: B018  (computed here, in the worker; the cache is pickled along)
            batch.append(incident)
    batch.sort(key=lambda incident: incident.observed_start)
    return batch


@contextmanager
def _batches(job: _Job, sizes: list[int]) -> Iterator[Iterator[list[Incident]]]:
    """Yield the batches in order, drawing ahead in a worker process when the run is large."""
    if len(sizes) <= 2:
        yield (_draw_batch(job, i, size) for i, size in enumerate(sizes))
        return
    context = get_context("spawn")
    with ProcessPoolExecutor(WORKERS, context, initializer=bind_to_parent, initargs=(os.getpid(),)) as pool:
        futures = deque(pool.submit(_draw_batch, job, i, size) for i, size in enumerate(sizes[: WORKERS + 2]))
        queued = len(futures)

        def ordered() -> Iterator[list[Incident]]:
            nonlocal queued
            while futures:
                batch = futures.popleft().result()
                if queued < len(sizes):
                    futures.append(pool.submit(_draw_batch, job, queued, sizes[queued]))
                    queued += 1
                yield batch

        try:
            yield ordered()
        finally:
            for future in futures:
                future.cancel()


def _validated(raw: dict[str, Any], theatre: Theatre, now: datetime) -> Incident | None:
    """Validate like the form does; a random rear position outside every zone is drawn again."""
    try:
        return validate_incident(raw, theatre=theatre, now=now)
    except ValidationError as error:
        if error.fields == ["zone_id"]:
            return None
        raise ValueError(f"demo generated an invalid incident: {error}\n{json.dumps(raw)}") from error
