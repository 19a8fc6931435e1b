"""Reading positions and bearings as monitors type them, and writing them back.

A misread coordinate files an incident in the wrong sector, so every accepted notation is pinned
here, every refusal must name the field, and the writers must round-trip through the readers.
"""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from db.core.errors import ValidationError
from db.model.geo import (
    COMPASS_POINTS,
    LocalProjection,
    compass_point,
    format_dms,
    parse_bearing,
    parse_position,
    to_mgrs,
)

TORETSK = (48.40, 37.85)
TORETSK_MGRS = "37UDP1488161398"  # what to_mgrs gives for TORETSK; checked below


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance: plenty for the metre-scale comparisons made here."""
    mean_lat = math.radians((a[0] + b[0]) / 2)
    dy = (a[0] - b[0]) * 111_195
    dlon = (a[1] - b[1] + 180) % 360 - 180  # the short way round, across the antimeridian too
    dx = dlon * 111_195 * math.cos(mean_lat)
    return math.hypot(dx, dy)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Decimal degrees, comma or space separated, with or without hemisphere letters.
        ("48.5123, 37.2", (48.5123, 37.2)),
        ("48.5123 37.2", (48.5123, 37.2)),
        ("48.5123,37.2", (48.5123, 37.2)),
        ("48.5123; 37.2", (48.5123, 37.2)),
        ("  48.5123 ,   37.2  ", (48.5123, 37.2)),
        ("48.5123N 37.2E", (48.5123, 37.2)),
        ("48.5123 N, 37.2 E", (48.5123, 37.2)),
        ("N48.5123 E37.2", (48.5123, 37.2)),
        ("n 48.5123 e 37.2", (48.5123, 37.2)),
        ("37.2E 48.5123N", (48.5123, 37.2)),
        ("48.5S 37.2W", (-48.5, -37.2)),
        ("-48.5, -37.2", (-48.5, -37.2)),
        ("+48.5, +37.2", (48.5, 37.2)),
        ("−48.5, 37.2", (-48.5, 37.2)),  # U+2212 minus sign, as word processors write it
        ("48, 37", (48.0, 37.0)),
        ("48,5123 37,2", (48.5123, 37.2)),  # decimal commas
        ("48.12345678, 37.98765432", (48.123457, 37.987654)),  # canonical 6 decimals
        # Degrees, minutes, seconds.
        ("48°30'44.3\"N 37°12'00\"E", (48.512306, 37.2)),
        ("48°30′44.3″N 37°12′00″E", (48.512306, 37.2)),
        ("48° 30' 44.3\" N, 37° 12' 0\" E", (48.512306, 37.2)),
        ("48 30 44.3 N 37 12 0 E", (48.512306, 37.2)),
        ("48 30 44.3, 37 12 0", (48.512306, 37.2)),
        ("48 30 44.3 37 12 0", (48.512306, 37.2)),
        ("48°30'44.3'' 37°12'00''", (48.512306, 37.2)),
        ("N48°30'44.3\" E37°12'00\"", (48.512306, 37.2)),
        ("48º30'44.3\"N 37º12'00\"E", (48.512306, 37.2)),  # masculine ordinal for the degree sign
        ("48°30'44.3\"S 37°12'00\"W", (-48.512306, -37.2)),
        # Degrees and decimal minutes.
        ("48°30.738'N 37°12.0'E", (48.5123, 37.2)),
        ("48 30.738 N 37 12 E", (48.5123, 37.2)),
        ("48 30.738, 37 12", (48.5123, 37.2)),
    ],
)
def test_accepted_notations(text: str, expected: tuple[float, float]) -> None:
    assert parse_position(text) == expected


@pytest.mark.parametrize(
    "text",
    ["37U DQ 12345 67890", "37UDQ1234567890", "37udq1234567890", " 37U DQ 1234567890 ", "37U\tDQ 12345\u00a067890"],
)
def test_mgrs_with_or_without_spaces(text: str) -> None:
    assert parse_position(text) == pytest.approx((49.357421, 37.792919), abs=1e-6)


def test_mgrs_known_point() -> None:
    assert to_mgrs(*TORETSK) == TORETSK_MGRS
    assert metres_apart(parse_position("37U DP 14881 61398"), TORETSK) < 1.5


@pytest.mark.parametrize("digits", [1, 2, 3, 4, 5])
def test_mgrs_any_precision_gives_the_centre_of_its_square(digits: int) -> None:
    reference = to_mgrs(*TORETSK, precision=digits)
    assert len(reference) == 5 + 2 * digits
    lat, lon = parse_position(reference)
    assert to_mgrs(lat, lon, precision=digits) == reference
    if digits < 5:
        # The centre, not the south-west corner: one digit finer, both halves end in 5.
        easting, northing = reference[5 : 5 + digits], reference[5 + digits :]
        assert to_mgrs(lat, lon, precision=digits + 1) == f"{reference[:5]}{easting}5{northing}5"
        assert metres_apart((lat, lon), TORETSK) <= 10 ** (5 - digits) * 0.75


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "enter a position"),
        ("   ", "enter a position"),
        ("hello", "unexpected"),
        ("48.5", "both latitude and longitude"),
        ("48,37", "both latitude and longitude"),  # decimal comma, or lat 48 lon 37? refused
        ("48 37 12", "cannot tell where the latitude ends"),
        ("48.5, 37.2, 100", "single comma"),
        ("95, 37", "latitude 95 is out of range"),
        ("120, 45", "is it longitude, latitude"),
        ("45, 200", "longitude 200 is out of range"),
        ("48.5N 37.2N", "both coordinates are marked as latitude"),
        ("37.2E 48.5W", "both coordinates are marked as longitude"),
        ("48.5N 37.2", "mark both coordinates"),
        ("N48.5 37.2E", "either before both numbers or after both"),
        ("-48.5S 37.2E", "minus sign or S"),
        ("48°60'N 37°E", "minutes must be less than 60"),
        ("48°30'60\"N 37°E", "seconds must be less than 60"),
        ("48.5°30'N 37°E", "only the last"),
        ('48°30"N 37°E', "in that order"),
        ("48 -30 N 37 E", "only the degrees may carry a sign"),
        ("37U DQ 1234 678", "1 to 5 digits"),
        ("37U DQ", "1 to 5 digits"),
        ("37U DQ 123456 678901", "1 to 5 digits"),
        ("37V DQ 12345 67890", "latitude band V does not match"),
        ("61U DQ 12345 67890", "zone 61 does not exist"),
        ("37U ZZ 12345 67890", "not a valid MGRS reference"),
    ],
)
def test_refusals_name_the_field_and_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_position(text, field="event")
    assert caught.value.fields == ["event"]
    assert reason in caught.value.problems[0].reason


def test_default_field_name() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_position("nowhere")
    assert caught.value.fields == ["position"]


def test_canonical_zero_has_no_sign() -> None:
    lat, lon = parse_position("-0.0000001, -0.0000001")
    assert (lat, lon) == (0.0, 0.0)
    assert math.copysign(1, lat) == 1 and math.copysign(1, lon) == 1


def test_format_dms() -> None:
    assert format_dms(48.512306, 37.2) == "48°30'44.3\"N 37°12'00.0\"E"
    assert format_dms(-33.5, -70.25) == "33°30'00.0\"S 70°15'00.0\"W"
    assert format_dms(0.0, 0.0) == "0°00'00.0\"N 0°00'00.0\"E"
    # 59.96" rounds into the next minute instead of printing 60.0".
    assert format_dms(48 + 29 / 60 + 59.96 / 3600, 37.0) == "48°30'00.0\"N 37°00'00.0\"E"


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 0.0), (0.0, 181.0), (math.nan, 0.0)])
def test_writers_refuse_impossible_positions(lat: float, lon: float) -> None:
    with pytest.raises(ValueError):
        format_dms(lat, lon)
    with pytest.raises(ValueError):
        to_mgrs(lat, lon)


def test_to_mgrs_precision_is_checked() -> None:
    with pytest.raises(ValueError):
        to_mgrs(*TORETSK, precision=6)


latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
# MGRS proper (UTM) covers 80°S to 84°N; the poles use UPS, which positions never need here.
utm_latitudes = st.floats(min_value=-79.9, max_value=83.9, allow_nan=False)
utm_longitudes = st.floats(min_value=-179.9, max_value=179.9, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(latitudes, longitudes)
def test_dms_round_trip(lat: float, lon: float) -> None:
    back_lat, back_lon = parse_position(format_dms(lat, lon))
    # A tenth of a second is 1/36000 degree; half of it is the worst rounding, plus 6 decimals.
    assert abs(back_lat - lat) <= 0.5 / 36000 + 1e-6
    assert abs(back_lon - lon) <= 0.5 / 36000 + 1e-6 or abs(abs(lon) - 180) < 1e-4


@settings(max_examples=300, deadline=None)
@given(latitudes, longitudes)
def test_decimal_degrees_round_trip(lat: float, lon: float) -> None:
    assert parse_position(f"{lat:.6f}, {lon:.6f}") == (round(lat, 6) + 0.0, round(lon, 6) + 0.0)


@settings(max_examples=300, deadline=None)
@given(utm_latitudes, utm_longitudes, st.integers(min_value=1, max_value=5))
def test_mgrs_round_trip(lat: float, lon: float, digits: int) -> None:
    # The mgrs library writes a point a hair south of the equator in band M with a northing it
    # then refuses to read back; no theatre sits within a centimetre south of the equator.
    assume(not -1e-6 < lat < 0)
    back = parse_position(to_mgrs(lat, lon, precision=digits))
    # The answer is the centre of the square holding the point: at most half its diagonal away
    # (1 % for grid scale and the spherical metres_apart, 1.5 m for rounding).
    size_m = 10 ** (5 - digits)
    assert metres_apart(back, (lat, lon)) <= size_m * math.sqrt(2) / 2 * 1.01 + 1.5


@pytest.mark.parametrize(("index", "point"), list(enumerate(COMPASS_POINTS)))
def test_compass_points(index: int, point: str) -> None:
    assert parse_bearing(point) == index * 22.5
    assert parse_bearing(point.lower()) == index * 22.5
    assert compass_point(index * 22.5) == point


def test_sixteen_compass_points_clockwise() -> None:
    assert len(COMPASS_POINTS) == 16
    assert COMPASS_POINTS[0] == "N" and COMPASS_POINTS[4] == "E" and COMPASS_POINTS[8] == "S"
    assert COMPASS_POINTS[12] == "W"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("45", 45.0), ("45.5", 45.5), ("045°", 45.0), ("045", 45.0), ("0", 0.0), ("360", 0.0), ("45,5", 45.5)],
)
def test_bearing_degrees(text: str, expected: float) -> None:
    assert parse_bearing(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "enter a bearing"), ("-5", "cannot be negative"), ("361", "between 0 and 360"), ("NNNE", "compass point")],
)
def test_bearing_refusals(text: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_bearing(text)
    assert caught.value.fields == ["bearing_deg"]
    assert reason in caught.value.problems[0].reason


def test_bearing_field_name_is_the_callers() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_bearing("up", field="wind")
    assert caught.value.fields == ["wind"]


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_compass_point_is_the_nearest(deg: float) -> None:
    point = compass_point(deg)
    difference = abs((COMPASS_POINTS.index(point) * 22.5 - deg + 180) % 360 - 180)
    assert difference <= 11.25 + 1e-9


def test_compass_point_refuses_nan() -> None:
    with pytest.raises(ValueError):
        compass_point(math.nan)


def test_local_projection_distances() -> None:
    projection = LocalProjection(lat0=48.4, lon0=35.15)
    # Kyiv to Kharkiv is about 409 km on the ground; the projection must agree closely.
    kyiv = projection.forward(50.45, 30.52)
    kharkiv = projection.forward(49.99, 36.23)
    assert math.dist(kyiv, kharkiv) == pytest.approx(409, rel=0.01)
    assert projection.inverse(*projection.forward(46.5, 32.2)) == pytest.approx((46.5, 32.2), abs=1e-9)
    assert projection.forward(48.4, 35.15) == (0.0, 0.0)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 .,;-+°'\"′″NSEWnsewUDQZ\t"), max_size=40) | st.text(max_size=20))
def test_any_text_parses_or_is_refused_in_words(text: str) -> None:
    try:
        lat, lon = parse_position(text)
    except ValidationError as refused:
        assert refused.fields == ["position"]
    else:
        assert -90 <= lat <= 90 and -180 <= lon <= 180


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_any_text_is_a_bearing_or_is_refused(text: str) -> None:
    try:
        bearing = parse_bearing(text)
    except ValidationError as refused:
        assert refused.fields == ["bearing_deg"]
    else:
        assert 0 <= bearing < 360
