"""Numbers in the reader's locale (CLDR through Babel, never ``setlocale``)."""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal, get_group_symbol

LOCALES = {"en": "en", "de": "de_DE", "ja": "ja_JP", "fr": "fr_FR", "es": "es_ES"}

MIN_GROUPING_DIGITS = {"es": 2}
"""CLDR's ``minimumGroupingDigits`` where it is not 1 (``common/main/es.xml``: 2, so 9248 but
19.248). Babel's locale data leaves this field out, so it is applied here; ICU applies it
(tests/test_numbers.py compares with Node's ``Intl.NumberFormat``)."""


def locale(lang: str) -> str:
    return LOCALES.get(lang, "en")


@lru_cache(maxsize=None)
def group_separator(lang: str) -> str:
    return get_group_symbol(locale=Locale.parse(locale(lang)))


@lru_cache(maxsize=65536)
def format_int(n: int, lang: str) -> str:
    """6029097 → ``6,029,097`` (en, ja), ``6.029.097`` (de, es), ``6 029 097`` (fr, U+202F).

    Cached: a derivation prints the same counts many times, and Babel's formatting is slow.
    Exact however large: past 20 digits (where Babel would round in a 28-digit decimal context)
    the digits are grouped by threes, as all five locales group. A number with fewer than
    3 + :data:`MIN_GROUPING_DIGITS` digits is not grouped (``9248`` in Spanish)."""
    if abs(n) < 10 ** (2 + MIN_GROUPING_DIGITS.get(lang, 1)):
        return str(n)
    if -10**20 < n < 10**20:
        return format_decimal(n, locale=locale(lang), group_separator=True)
    digits = str(abs(n))
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return ("-" if n < 0 else "") + group_separator(lang).join(groups)


@lru_cache(maxsize=None)
def decimal_symbol(lang: str) -> str:
    from babel.numbers import get_decimal_symbol
    return get_decimal_symbol(locale=Locale.parse(locale(lang)))


def format_decimal_places(x: Fraction | int | float, lang: str, places: int = 1) -> str:
    """A decimal with ``places`` digits after the locale's decimal mark (``23,0`` in German),
    rounded half to even; exact for any size (no float, no decimal context)."""
    scaled = round(Fraction(x) * 10**places)
    whole, part = divmod(scaled, 10**places)
    text = format_int(whole, lang)
    return text + decimal_symbol(lang) + str(part).zfill(places) if places else text


def format_size(x: Fraction | int | float, lang: str) -> str:
    """A size in MB or MiB: one decimal from 10 on, else three significant digits (0.247, 24.1)."""
    x = Fraction(x)
    if x >= 10 or x <= 0:
        return format_decimal_places(x, lang, 1)
    exponent = 0  # ⌊log₁₀ x⌋, exactly (no further than places needs)
    while exponent > -10 and x * 10**-exponent < 1:
        exponent -= 1
    places = min(9, 2 - exponent)
    return format_decimal_places(x, lang, places)


_BINARY_FR = {"KiB": "Kio", "MiB": "Mio", "GiB": "Gio", "TiB": "Tio", "PiB": "Pio"}


def format_bytes(n: int, lang: str, binary: bool = False) -> str:
    """``n`` bytes in the unit a reader would pick, CLDR's short unit name (Babel): 96.5 MB,
    96,5 Mo (fr); ``binary``: powers of 1024, IEC names (92.0 MiB, fr 92,0 Mio)."""
    from babel.units import format_unit
    from ..memory import reader_unit
    unit, value = reader_unit(n, binary)
    number = format_int(n, lang) if unit == "byte" else format_size(value, lang)
    if binary and unit != "byte":
        return f"{number}\u00a0{_BINARY_FR.get(unit, unit) if lang == 'fr' else unit}"
    return format_unit(number, f"digital-{unit}", length="short", locale=locale(lang))
