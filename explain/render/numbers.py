"""Numbers in the reader's locale (CLDR, never ``setlocale``).

The few CLDR symbols the documents use for the five languages are written out here
(:data:`GROUP`, :data:`DECIMAL`, :data:`PERCENT_SUFFIX`, :data:`UNIT_PATTERNS`): loading Babel's
locale data took more CPU time than all the numbers of a derivation (tests/test_numbers.py checks
every entry, and the formatting built on them, against Babel). Babel is imported only for what these
do not cover (a negative number, the long name of a byte count)."""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

LOCALES = {"en": "en", "de": "de_DE", "ja": "ja_JP", "fr": "fr_FR", "es": "es_ES"}

MIN_GROUPING_DIGITS = {"es": 2}
"""CLDR's ``minimumGroupingDigits`` where it is not 1 (``common/main/es.xml``: 2, so 9248 but
19.248). Babel's locale data leaves this field out, so it is applied here; ICU applies it
(tests/test_numbers.py compares with Node's ``Intl.NumberFormat``)."""


GROUP = {"en": ",", "de": ".", "ja": ",", "fr": "\u202f", "es": "."}
"""CLDR's group symbol (``symbols/group``) of each language's locale in :data:`LOCALES`."""
DECIMAL = {"en": ".", "de": ",", "ja": ".", "fr": ",", "es": ","}
"""CLDR's decimal symbol (``symbols/decimal``)."""
PERCENT_SUFFIX = {"en": "%", "de": "\u00a0%", "ja": "%", "fr": "\u00a0%", "es": "\u00a0%"}
"""What follows the number in CLDR's percent pattern (``#,##0%``, ``#,##0\u00a0%``)."""
UNIT_PATTERNS = {
    lang: {unit: pattern.replace("_", space) for unit, pattern in units.items()}
    for lang, space, units in (
        ("en", " ", {"kilobyte": "{0}_kB", "megabyte": "{0}_MB", "gigabyte": "{0}_GB",
                     "terabyte": "{0}_TB", "petabyte": "{0}_PB"}),
        ("de", " ", {"kilobyte": "{0}_kB", "megabyte": "{0}_MB", "gigabyte": "{0}\u00a0GB",
                     "terabyte": "{0}_TB", "petabyte": "{0}_PB"}),
        ("ja", " ", {"kilobyte": "{0}_KB", "megabyte": "{0}_MB", "gigabyte": "{0}_GB",
                     "terabyte": "{0}_TB", "petabyte": "{0}_PB"}),
        ("fr", "\u202f", {"kilobyte": "{0}_ko", "megabyte": "{0}_Mo", "gigabyte": "{0}_Go",
                            "terabyte": "{0}_To", "petabyte": "{0}_Po"}),
        ("es", " ", {"kilobyte": "{0}_kB", "megabyte": "{0}_MB", "gigabyte": "{0}_GB",
                     "terabyte": "{0}_TB", "petabyte": "{0}_PB"}))}
"""CLDR's short unit pattern (count "one", the form Babel uses for a number given as text) of
``digital-<unit>``."""


def locale(lang: str) -> str:
    return LOCALES.get(lang, "en")


def _lang(lang: str) -> str:
    """The language whose locale :func:`locale` gives ``lang`` (English for any other)."""
    return lang if lang in LOCALES else "en"


def group_separator(lang: str) -> str:
    return GROUP[_lang(lang)]


def _grouped(digits: str, separator: str) -> str:
    """Digits grouped by threes from the right (CLDR's ``#,##0`` in all five languages)."""
    head = len(digits) % 3 or 3
    return separator.join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])


@lru_cache(maxsize=65536)
def format_int(n: int, lang: str) -> str:
    """6029097 → ``6,029,097`` (en, ja), ``6.029.097`` (de, es), ``6 029 097`` (fr, U+202F).

    Cached: a derivation prints the same counts many times, and Babel's formatting is slow.
    Exact however large: past 20 digits (where Babel would round in a 28-digit decimal context)
    the digits are grouped by threes, as all five locales group. A number with fewer than
    3 + :data:`MIN_GROUPING_DIGITS` digits is not grouped (``9248`` in Spanish)."""
    if abs(n) < 10 ** (2 + MIN_GROUPING_DIGITS.get(lang, 1)):
        return str(n)
    if n < 0 and n > -10**20:  # CLDR's minus sign: Babel's
        from babel.numbers import format_decimal
        return format_decimal(n, locale=locale(lang), group_separator=True)
    return ("-" if n < 0 else "") + _grouped(str(abs(n)), group_separator(lang))


def decimal_symbol(lang: str) -> str:
    return DECIMAL[_lang(lang)]


def format_decimal_places(x: Fraction | int | float, lang: str, places: int = 1) -> str:
    """A decimal with ``places`` digits after the locale's decimal mark (``23,0`` in German),
    rounded half to even; exact for any size (no float, no decimal context)."""
    scaled = round(Fraction(x) * 10**places)
    whole, part = divmod(scaled, 10**places)
    text = format_int(whole, lang)
    return text + decimal_symbol(lang) + str(part).zfill(places) if places else text


MEMORY_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def memory(size_bytes: int, lang: str) -> str:
    """Keras's ``readable_memory_size``: 798.04 KB (1 KB = 1024 bytes), two decimals."""
    size = Fraction(size_bytes)
    unit = MEMORY_UNITS[-1]
    for candidate in MEMORY_UNITS:
        if size < 1024:
            unit = candidate
            break
        if candidate != MEMORY_UNITS[-1]:
            size /= 1024
    return f"{format_decimal_places(size, lang, 2)} {unit}"


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
    from ..memory import reader_unit
    unit, value = reader_unit(n, binary)
    if unit == "byte":  # CLDR's short form has no plural ("72 byte"): the long one, 72 bytes, 72 octets
        import re

        from babel.units import format_unit
        word = re.sub(r"^[0-9.,\s\u00a0\u202f]+", "", format_unit(n, "digital-byte", length="long", locale=locale(lang)))
        return format_int(n, lang) + "\u00a0" + word
    number = format_size(value, lang)
    if binary and unit != "byte":
        return f"{number}\u00a0{_BINARY_FR.get(unit, unit) if lang == 'fr' else unit}"
    # the number and its unit never part at a line's end ("10.6 / MB", round 14, ja): CLDR's plain space
    # becomes a no-break one
    text = UNIT_PATTERNS[_lang(lang)][unit].format(number).replace(" ", "\u00a0")
    return text.replace("KB", "kB") if unit == "kilobyte" else text  # SI's kilo: lower-case k


_LESS_THAN_SPACE = {"fr": "\u00a0", "de": "\u00a0", "es": "\u00a0"}
"""French, German and Spanish space a sign before a number as they space ``%`` after it
(``< 0,1 %``), unbreakably."""
_PERCENT_SPACE = {"de": "\u202f"}
"""German sets a thin space before ``%`` (``0,2 %``, DIN 5008's narrow form), CLDR a full one."""


def format_share(part: int, whole: int, lang: str) -> str:
    """``part`` as a share of ``whole`` with one decimal, in the locale's percent form (98.1%,
    98,1 %); a share that rounds to 0.0 but is not 0 is ``<0.1%`` (fr ``< 0,1 %``); nothing is an
    empty text."""
    if whole == 0 or part == 0:
        return ""
    return _per_mille(round(Fraction(part, whole) * 1000), lang)


def under_least_share(share: Fraction) -> bool:
    """Whether :func:`format_share` writes ``share`` as under the least one it shows (``<0.1%``):
    not 0, but 0.0 % to one decimal."""
    return share != 0 and round(share * 1000) == 0


def least_share(lang: str) -> str:
    """The least share :func:`format_share` shows, 0.1 % in the locale's percent form (``0,1 %``)."""
    return _per_mille(1, lang)


def _per_mille(n: int, lang: str) -> str:
    """A share of ``n``‰ in the locale's percent form with one decimal (CLDR's percent pattern
    with one decimal, ``#,##0.0 %``, grouped as Babel groups it)."""
    if n < 0:  # CLDR's minus sign: Babel's
        return _babel_per_mille(n, lang)
    lang = _lang(lang)
    if n == 0:
        return "<" + _LESS_THAN_SPACE.get(lang, "") + least_share(lang)
    whole, tenth = divmod(n, 10)
    return _percent_spacing(_grouped(str(whole), GROUP[lang]) + DECIMAL[lang] + str(tenth)
                            + PERCENT_SUFFIX[lang], lang)


def _babel_per_mille(n: int, lang: str) -> str:
    """:func:`_per_mille` through Babel (a negative share; the tests' reference)."""
    from decimal import Decimal

    from babel import Locale
    from babel.numbers import format_percent
    pattern = Locale.parse(locale(lang)).percent_formats[None].pattern
    last = pattern.rfind("0")
    pattern = pattern[:last + 1] + ".0" + pattern[last + 1:]  # one decimal
    text = format_percent(Decimal(n) / 1000 or Decimal("0.001"), pattern, locale=locale(lang))
    return ("<" + _LESS_THAN_SPACE.get(lang, "") if n == 0 else "") + _percent_spacing(text, lang)


def _percent_spacing(text: str, lang: str) -> str:
    space = _PERCENT_SPACE.get(lang)
    return text.replace("\u00a0%", space + "%") if space else text


_DECIMAL_UNITS = ("kilobyte", "megabyte", "gigabyte", "terabyte", "petabyte")
_BINARY_UNITS = ("Ki", "Mi", "Gi", "Ti", "Pi")
_BYTE = {"fr": "o"}
"""The symbol for byte after a binary prefix (IEC): B, French o (Mio, Gio)."""


def byte_sizes(n: int, lang: str) -> tuple[str, str, int, str, str, int]:
    """``n`` bytes in the decimal and the binary unit a reader would pick (the largest with at
    least 1 of it, from kB and KiB): (size, unit, power of 10, size, unit, power of 2), the sizes
    with their unit symbol in the locale's form (``24,1 MB``, ``24,1 Mo``, ``23,0 MiB``)."""
    dec = max(0, min(len(_DECIMAL_UNITS) - 1, (len(str(n)) - 1) // 3 - 1))
    binary = max(0, min(len(_BINARY_UNITS) - 1, (n.bit_length() - 1) // 10 - 1))
    value = format_size(Fraction(n, 10 ** (3 * (dec + 1))), lang)
    unit = UNIT_PATTERNS[_lang(lang)][_DECIMAL_UNITS[dec]].format("").strip("\u00a0\u202f ")
    if unit == "KB":  # CLDR's Japanese (and a few others): the SI prefix kilo is a lower-case k
        unit = "kB"
    b_unit = _BINARY_UNITS[binary] + _BYTE.get(lang, "B")
    b_value = format_size(Fraction(n, 2 ** (10 * (binary + 1))), lang)
    space = "\u202f" if lang == "fr" else "\u00a0"  # one unbreakable space, as CLDR mostly has
    return (value + space + unit, unit, 3 * (dec + 1), b_value + space + b_unit, b_unit,
            10 * (binary + 1))
