"""The fast canonical JSON equals RFC 8785 for every payload validation can produce."""

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from support import valid_raw

from db.core.errors import ValidationError
from db.core.hashing import canonical_json
from db.model.validation import validate_incident

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    bearing=st.floats(0, 360),
    dist=st.floats(0, 100),
    count=st.integers(1, 1_000_000),
    place=texts,
    narrative=st.text(max_size=200),
)
def test_payload_json_is_rfc8785(lat, lon, bearing, dist, count, place, narrative) -> None:  # type: ignore[no-untyped-def]
    try:
        incident = validate_incident(
            valid_raw(
                zone_id="EAST",
                observer_lat=lat,
                observer_lon=lon,
                event_lat=None,
                event_lon=None,
                bearing_deg=bearing,
                dist_min_km=0,
                dist_max_km=dist,
                count=count,
                place=place,
                narrative=narrative,
            )
        )
    except ValidationError:  # control characters and lone surrogates are refused before hashing
        return
    payload = incident.to_payload()
    assert canonical_json(payload) == rfc8785.dumps(payload)
