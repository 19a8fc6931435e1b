"""Positions and bearings: reading what a monitor types, writing it back, and measuring in km.

Monitors copy coordinates from GPS units, maps, messages and party reports, so the same place
arrives as decimal degrees, degrees-minutes-seconds, degrees-decimal-minutes or MGRS. Each reader
here is a pure function that either returns one canonical value or raises ``ValidationError``
with a reason a monitor can act on; nothing is guessed silently.

The module also holds the small local projection used to measure distances to the contact line
in kilometres, so the theatre loader and the script that draws the default theatre agree exactly.
"""

import math
import re
import unicodedata
import warnings
from dataclasses import dataclass

import mgrs

from db.core.errors import FieldProblem, ValidationError

COMPASS_POINTS: tuple[str, ...] = (
    "N",
    "NNE",
    "NE",
    "ENE",
    "E",
    "ESE",
    "SE",
    "SSE",
    "S",
    "SSW",
    "SW",
    "WSW",
    "W",
    "WNW",
    "NW",
    "NNW",
)
"""The 16 points of the compass, clockwise from north, 22.5° apart."""

COORDINATE_DECIMALS = 6
"""Stored coordinates are rounded to this many decimals (about 0.1 m), see DESIGN §4."""

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG); a sphere is ample for distances of a few hundred km."""

_COMPASS_STEP = 360.0 / len(COMPASS_POINTS)

# Characters people (and word processors) use for degree, minute and second marks, folded into
# the three ASCII-ish marks the reader understands. The masculine ordinal "º" and the ring "˚"
# are what phones and Cyrillic keyboards often produce instead of "°".
_MARK_FOLDS = {
    "º": "°",
    "˚": "°",
    "′": "'",
    "’": "'",
    "‘": "'",
    "`": "'",
    "´": "'",
    "″": '"',
    "“": '"',
    "”": '"',
    "−": "-",
    "–": "-",
}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    | (?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))
    | (?P<mark>[°'"])
    | (?P<hemi>[NSEWnsew])
    | (?P<sep>[,;])
    """,
    re.VERBOSE,
)

# MGRS: zone 1-60, latitude band C-X (no I or O), 100 km square column and row letters, then an
# even number of digits. UPS (polar) references are not accepted: no theatre lies there.
_MGRS = re.compile(r"(\d{1,2})([C-HJ-NP-X])([A-HJ-NP-Z])([A-HJ-NP-V])(\d*)")

# Anything shaped like an MGRS reference, to tell a mistyped one from a mistyped coordinate pair.
_MGRS_LIKE = re.compile(r"\d{1,2}[A-Z]{3}\d*")

_MGRS_CONVERTER = mgrs.MGRS()
_BANDS = "CDEFGHJKLMNPQRSTUVWX"


def _problem(field: str, reason: str) -> ValidationError:
    return ValidationError([FieldProblem(field, reason)])


def _canonical(value: float) -> float:
    """Round to the stored precision; ``+ 0.0`` turns a rounded ``-0.0`` into ``0.0``."""
    return round(value, COORDINATE_DECIMALS) + 0.0


# ---------------------------------------------------------------------------------------------
# Positions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    """One lexical piece of a typed coordinate pair."""

    kind: str  # "num", "mark", "hemi" or "sep"
    text: str


def parse_position(text: str, field: str = "position") -> tuple[float, float]:
    """Read a position typed in any of the usual notations; return ``(lat, lon)`` in degrees.

    Accepted: decimal degrees (``48.5123, 37.2``; ``48.5123N 37.2E``; ``N48.5 E37.2``),
    degrees-minutes-seconds (``48°30'44.3"N 37°12'00"E``, ``48 30 44.3 N 37 12 0 E``),
    degrees-decimal-minutes (``48°30.738'N 37°12.0'E``) and MGRS (``37U DQ 12345 67890``, one to
    five digit pairs). Without N/S/E/W letters the order is latitude first. An MGRS reference
    stands for its whole grid square, so the centre of that square is returned.
    """
    cleaned = _normalise(text)
    if not cleaned:
        raise _problem(field, "enter a position, for example 48.5123, 37.2 or 37U DQ 12345 67890")
    compact = re.sub(r"\s+", "", cleaned).upper()
    match = _MGRS.fullmatch(compact)
    if match is not None:
        lat, lon = _parse_mgrs(match, field)
    elif _MGRS_LIKE.fullmatch(compact):
        raise _problem(field, f"{compact} is not a valid MGRS reference (check the zone and grid square letters)")
    else:
        lat, lon = _parse_degrees(cleaned, field)
    _check_range(lat, lon, field)
    return _canonical(lat), _canonical(lon)


def _normalise(text: str) -> str:
    """Fold look-alike characters so the reader has one spelling of each mark."""
    # Fold the marks first: NFKC would turn "º" into the letter "o" and "˚" into a combining ring.
    folded = "".join(_MARK_FOLDS.get(ch, ch) for ch in text)
    # NFKC then turns full-width digits and no-break spaces into their plain forms.
    folded = unicodedata.normalize("NFKC", folded)
    # Two apostrophes are a common stand-in for the seconds mark.
    folded = folded.replace("''", '"')
    return folded.strip()


def _parse_mgrs(match: re.Match[str], field: str) -> tuple[float, float]:
    zone, band, column, row, digits = match.groups()
    if not 1 <= int(zone) <= 60:
        raise _problem(field, f"MGRS zone {int(zone)} does not exist (zones run from 1 to 60)")
    if not digits or len(digits) % 2 or len(digits) > 10:
        raise _problem(
            field,
            "an MGRS reference needs 1 to 5 digits of easting followed by as many of northing, "
            "for example 37U DQ 12345 67890",
        )
    # The library returns the south-west corner of the square; padding each half with "5" and
    # zeros moves to the centre, the honest estimate for a coarse reference.
    half = len(digits) // 2
    easting = (digits[:half] + "5").ljust(5, "0")[:5]
    northing = (digits[half:] + "5").ljust(5, "0")[:5]
    with warnings.catch_warnings():
        # The library warns (rather than fails) on a band letter that contradicts the square;
        # that is checked below, in words a monitor can act on.
        warnings.simplefilter("ignore")
        try:
            lat, lon = _MGRS_CONVERTER.toLatLon(f"{int(zone):02d}{band}{column}{row}{easting}{northing}")
        except Exception as exc:  # the library raises its own MGRSError for any bad string
            raise _problem(
                field, f"{match.group(0)} is not a valid MGRS reference (check the grid square letters)"
            ) from exc
    # A wrong band letter is a typo the library silently resolves into another 2000 km cycle of
    # northings, hundreds of km away. The square may straddle a band edge, so any band it touches
    # is accepted.
    reach = 10 ** (5 - half) / 111_000 + 0.01  # half the square's height in degrees, and a margin
    if band not in {_band_of(lat - reach), _band_of(lat), _band_of(lat + reach)}:
        raise _problem(field, f"the MGRS latitude band {band} does not match the grid square {column}{row}")
    return float(lat), float(lon)


def _band_of(lat: float) -> str:
    """MGRS latitude band letter: 8° bands from 80°S, the last (X) stretched to 84°N."""
    index = math.floor((min(max(lat, -80.0), 83.999) + 80) / 8)
    return _BANDS[min(index, len(_BANDS) - 1)]


def _parse_degrees(text: str, field: str) -> tuple[float, float]:
    tokens = _tokenise(_decimal_commas(text), field)
    first, second = _split_pair(tokens, field)
    value_a, hemi_a = _read_coordinate(first, field)
    value_b, hemi_b = _read_coordinate(second, field)
    if hemi_a is None or hemi_b is None:
        return value_a, value_b
    a_is_lat = hemi_a in "NS"
    b_is_lat = hemi_b in "NS"
    if a_is_lat == b_is_lat:
        axis = "latitude (N/S)" if a_is_lat else "longitude (E/W)"
        raise _problem(field, f"both coordinates are marked as {axis}; one must be N/S and the other E/W")
    return (value_a, value_b) if a_is_lat else (value_b, value_a)


def _decimal_commas(text: str) -> str:
    """Accept ``48,5123 37,2`` (decimal commas, as typed on Ukrainian and French keyboards).

    Commas are decimal marks only when the text has no full stop and every comma sits between
    two digits; otherwise a comma separates latitude from longitude.
    """
    if "." in text or "," not in text:
        return text
    if re.search(r",(?!\d)|(?<!\d),", text):
        return text
    return text.replace(",", ".")


def _tokenise(text: str, field: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _problem(field, f"unexpected {text[position]!r}: use numbers, ° ' \", N/S/E/W, or an MGRS reference")
        kind = match.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        if kind != "ws":
            tokens.append(_Token(kind, match.group(0).upper()))
        position = match.end()
    return tokens


def _split_pair(tokens: list[_Token], field: str) -> tuple[list[_Token], list[_Token]]:
    """Divide the tokens into latitude and longitude parts (in either order)."""
    hemis = [i for i, t in enumerate(tokens) if t.kind == "hemi"]
    seps = [i for i, t in enumerate(tokens) if t.kind == "sep"]
    if len(seps) > 1:
        raise _problem(field, "use a single comma or semicolon between latitude and longitude")
    if hemis:
        return _split_at_hemispheres(tokens, len(hemis), field)
    if seps:
        return tokens[: seps[0]], tokens[seps[0] + 1 :]
    degree_marks = [i for i, t in enumerate(tokens) if t.text == "°"]
    if len(degree_marks) == 2:
        # The longitude starts with the number that carries the second degree mark.
        start = degree_marks[1] - 1
        return tokens[:start], tokens[start:]
    numbers = [t for t in tokens if t.kind == "num"]
    if len(numbers) < 2:
        raise _problem(field, "enter both latitude and longitude, for example 48.5123, 37.2")
    if any(t.kind == "mark" for t in tokens) or len(numbers) not in (2, 4, 6):
        raise _problem(
            field,
            "cannot tell where the latitude ends and the longitude starts; separate them with a "
            "comma or add N/S and E/W",
        )
    half = len(numbers) // 2
    return numbers[:half], numbers[half:]


def _split_at_hemispheres(tokens: list[_Token], count: int, field: str) -> tuple[list[_Token], list[_Token]]:
    """Latitude and longitude marked N/S and E/W: the letters come before both numbers or after both."""
    if count != 2:
        raise _problem(field, "mark both coordinates with N/S and E/W, or neither")
    body = [t for t in tokens if t.kind != "sep"]
    hemis = [i for i, t in enumerate(body) if t.kind == "hemi"]
    if hemis[0] == 0 and hemis[1] != len(body) - 1:
        return body[: hemis[1]], body[hemis[1] :]
    if hemis[1] == len(body) - 1 and hemis[0] != 0:
        return body[: hemis[0] + 1], body[hemis[0] + 1 :]
    raise _problem(field, "put N/S and E/W either before both numbers or after both numbers")


def _read_coordinate(tokens: list[_Token], field: str) -> tuple[float, str | None]:
    """Turn the tokens of one coordinate into signed degrees and its hemisphere letter, if any."""
    parts, hemi = _coordinate_parts(tokens, field)
    numbers = _checked_numbers(parts, field)
    negative = numbers[0].startswith("-")
    values = [abs(float(number)) for number in numbers]
    for value, unit in zip(values[1:], ("minutes", "seconds"), strict=False):
        if value >= 60:
            raise _problem(field, f"{unit} must be less than 60")
    degrees = values[0] + sum(value / 60**power for power, value in enumerate(values[1:], start=1))
    if hemi is not None:
        if negative:
            raise _problem(field, f"use either a minus sign or {hemi}, not both")
        negative = hemi in "SW"
    return (-degrees if negative else degrees), hemi


def _coordinate_parts(tokens: list[_Token], field: str) -> tuple[list[tuple[str, str | None]], str | None]:
    """The numbers of one coordinate with the mark after each (°, ', "), and its hemisphere letter."""
    hemi: str | None = None
    parts: list[tuple[str, str | None]] = []  # (number text, mark after it)
    for token in tokens:
        if token.kind == "hemi":
            hemi = token.text
        elif token.kind == "num":
            parts.append((token.text, None))
        elif token.kind == "mark":
            if not parts or parts[-1][1] is not None:
                raise _problem(field, f"the mark {token.text} must follow a number")
            parts[-1] = (parts[-1][0], token.text)
        else:
            raise _problem(field, "cannot read the position; separate latitude and longitude with one comma")
    return parts, hemi


def _checked_numbers(parts: list[tuple[str, str | None]], field: str) -> list[str]:
    """Degrees, then minutes, then seconds, in that order, only the first signed, only the last decimal."""
    if not parts:
        raise _problem(field, "a coordinate has no number; enter both latitude and longitude")
    if len(parts) > 3:
        raise _problem(field, "a coordinate has more than degrees, minutes and seconds")
    expected_marks = ("°", "'", '"')
    for index, (_, mark) in enumerate(parts):
        if mark is not None and mark != expected_marks[index]:
            raise _problem(field, "write degrees (°), then minutes ('), then seconds (\") in that order")
    numbers = [number for number, _ in parts]
    if any(number[0] in "+-" for number in numbers[1:]):
        raise _problem(field, "only the degrees may carry a sign")
    if any("." in number for number in numbers[:-1]):
        raise _problem(field, "only the last of degrees, minutes and seconds may have decimals")
    return numbers


def _check_range(lat: float, lon: float, field: str) -> None:
    if not math.isfinite(lat) or not math.isfinite(lon):
        raise _problem(field, "the position is not a number")
    if abs(lat) > 90:
        hint = " (is it longitude, latitude? enter latitude first)" if abs(lon) <= 90 else ""
        raise _problem(field, f"latitude {lat:g} is out of range: it must be between -90 and 90{hint}")
    if abs(lon) > 180:
        raise _problem(field, f"longitude {lon:g} is out of range: it must be between -180 and 180")


def _require_valid(lat: float, lon: float) -> None:
    """Writers take stored positions, so a bad one is a programming error, not a typing slip."""
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        raise ValueError(f"not a position: {lat!r}, {lon!r}")


def format_dms(lat: float, lon: float) -> str:
    """Write a position as degrees, minutes and tenths of seconds, e.g. ``48°30'44.3"N 37°12'00.0"E``.

    A tenth of a second is about 3 m, finer than any observation a monitor can make.
    """
    _require_valid(lat, lon)
    return f"{_dms(lat, 'NS')} {_dms(lon, 'EW')}"


def _dms(value: float, hemis: str) -> str:
    # Work in whole tenths of a second so that 59.96" rounds up into the next minute rather than
    # printing as 60.0".
    tenths = round(abs(value) * 36000)
    degrees, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    seconds, tenth = divmod(rest, 10)
    hemi = hemis[1] if value < 0 and tenths else hemis[0]
    return f"{degrees}°{minutes:02d}'{seconds:02d}.{tenth}\"{hemi}"


def mgrs_converter() -> mgrs.MGRS:
    """The shared converter, for callers converting many stored (already valid) positions at C speed."""
    return _MGRS_CONVERTER


def to_mgrs(lat: float, lon: float, precision: int = 5) -> str:
    """MGRS reference without spaces, e.g. ``37UDQ1234567890``; ``precision`` digits per axis (1-5)."""
    if not 1 <= precision <= 5:
        raise ValueError(f"MGRS precision must be 1 to 5 digits, not {precision}")
    _require_valid(lat, lon)
    return str(_MGRS_CONVERTER.toMGRS(lat, lon, MGRSPrecision=precision))


# ---------------------------------------------------------------------------------------------
# Bearings
# ---------------------------------------------------------------------------------------------


def parse_bearing(text: str, field: str = "bearing_deg") -> float:
    """Read a bearing in degrees true (``45``, ``45.5``, ``045°``) or a compass point (``NE``).

    360 is accepted and stored as 0, the same direction.
    """
    cleaned = re.sub(r"\s+", "", _normalise(text)).upper()
    if not cleaned:
        raise _problem(field, "enter a bearing in degrees (0 to 360) or a compass point such as NE")
    if cleaned in COMPASS_POINTS:
        return COMPASS_POINTS.index(cleaned) * _COMPASS_STEP
    match = re.fullmatch(r"(\d+(?:[.,]\d+)?)(?:°|DEG)?", cleaned)
    if match is None:
        if re.fullmatch(r"-\d+(?:[.,]\d+)?°?", cleaned):
            raise _problem(field, "a bearing cannot be negative; use 0 to 360 degrees clockwise from north")
        raise _problem(field, f"{text.strip()!r} is neither degrees (0 to 360) nor a compass point such as NE")
    value = float(match.group(1).replace(",", "."))
    if value > 360:
        raise _problem(field, f"a bearing must be between 0 and 360 degrees, not {value:g}")
    return 0.0 if value == 360 else value


def compass_point(deg: float) -> str:
    """The nearest of the 16 compass points; a bearing exactly halfway goes clockwise."""
    if not math.isfinite(deg):
        raise ValueError("a bearing must be a finite number")
    index = math.floor((deg % 360.0) / _COMPASS_STEP + 0.5) % len(COMPASS_POINTS)
    return COMPASS_POINTS[index]


# ---------------------------------------------------------------------------------------------
# Distances in km
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalProjection:
    """Azimuthal equidistant projection on a sphere, in km, centred on a theatre.

    Distances to the contact line must be right to well under the 1 km "edge" band. Plain
    equirectangular maths is 4-5 % off at the ends of a line 500 km long; this projection keeps
    distances from the centre exact and others within 0.1 % for 500 km, and needs only ``math``.
    """

    lat0: float
    lon0: float

    def forward(self, lat: float, lon: float) -> tuple[float, float]:
        """Degrees to ``(x, y)`` km east and north of the centre."""
        phi, phi0 = math.radians(lat), math.radians(self.lat0)
        dlam = math.radians(lon - self.lon0)
        sin_phi, cos_phi = math.sin(phi), math.cos(phi)
        sin_phi0, cos_phi0 = math.sin(phi0), math.cos(phi0)
        cos_dlam = math.cos(dlam)
        cos_c = max(-1.0, min(1.0, sin_phi0 * sin_phi + cos_phi0 * cos_phi * cos_dlam))
        c = math.acos(cos_c)
        k = c / math.sin(c) if c > 1e-12 else 1.0
        x = EARTH_RADIUS_KM * k * cos_phi * math.sin(dlam)
        y = EARTH_RADIUS_KM * k * (cos_phi0 * sin_phi - sin_phi0 * cos_phi * cos_dlam)
        return x, y

    def inverse(self, x: float, y: float) -> tuple[float, float]:
        """``(x, y)`` km back to ``(lat, lon)`` degrees."""
        rho = math.hypot(x, y)
        if rho < 1e-9:
            return self.lat0, self.lon0
        c = rho / EARTH_RADIUS_KM
        phi0 = math.radians(self.lat0)
        sin_c, cos_c = math.sin(c), math.cos(c)
        phi = math.asin(cos_c * math.sin(phi0) + y * sin_c * math.cos(phi0) / rho)
        lam = math.atan2(x * sin_c, rho * math.cos(phi0) * cos_c - y * math.sin(phi0) * sin_c)
        return math.degrees(phi), self.lon0 + math.degrees(lam)
