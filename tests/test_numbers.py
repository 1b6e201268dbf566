"""Locale numbers against ICU (Node's ``Intl.NumberFormat``), which applies all of CLDR's
number data, minimum grouping digits included (Babel leaves that field out)."""
from __future__ import annotations

import json
import subprocess
from fractions import Fraction

import pytest

from explain.render.documents import LANGUAGES
from explain.render.numbers import LOCALES, format_decimal_places, format_int, memory
from tests.conftest import require_tool

NUMBERS = [0, 7, 896, 1161, 9248, 19248, 65664, 115712, 5915136, 6029097, 124439808, -9248, -19248]


@pytest.fixture(scope="module")
def icu() -> dict[str, list[str]]:
    """Every number of :data:`NUMBERS` in every language, as ICU writes it."""
    node = require_tool("node")
    tags = {lang: LOCALES[lang].replace("_", "-") for lang in LANGUAGES}
    script = ("const [tags, numbers] = JSON.parse(process.argv[1]); const out = {};"
              "for (const [lang, tag] of Object.entries(tags))"
              "  out[lang] = numbers.map(n => new Intl.NumberFormat(tag).format(n));"
              "console.log(JSON.stringify(out));")
    result = subprocess.run([node, "-e", script, json.dumps([tags, NUMBERS])],
                            capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_integers_as_icu_writes_them(icu: dict[str, list[str]], lang: str) -> None:
    ours = [format_int(n, lang) for n in NUMBERS]
    theirs = [t.replace("\u2212", "-") for t in icu[lang]]  # ICU's minus sign; ours is ASCII
    assert ours == theirs


def test_spanish_minimum_grouping_digits() -> None:
    """CLDR es: minimumGroupingDigits = 2 (written out by hand: four digits stay together)."""
    assert format_int(9248, "es") == "9248"
    assert format_int(19248, "es") == "19.248"
    assert format_decimal_places(Fraction(92485, 10), "es") == "9248,5"
    assert memory(1023 * 1024 + 512, "es") == "1023,50 KB"
    assert memory(1023 * 1024 + 512, "de") == "1.023,50 KB"


def _samples() -> list[int]:
    """Every number up to 20,000 and numbers of every length up to 30 digits."""
    import random
    rng = random.Random(21)
    return list(range(20_001)) + [rng.randrange(10**(d - 1), 10**d) for d in range(5, 31) for _ in range(40)] \
        + [10**d - 1 for d in range(1, 31)] + [10**d for d in range(1, 31)]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_written_out_cldr_symbols_are_babels(lang: str) -> None:
    """The symbols and unit patterns numbers.py writes out (so as not to load Babel's locale data)
    are those Babel reads from CLDR for the language's locale."""
    from babel import Locale
    from babel.numbers import get_decimal_symbol, get_group_symbol
    from babel.units import format_unit

    from explain.render import numbers
    loc = Locale.parse(LOCALES[lang])
    assert numbers.group_separator(lang) == get_group_symbol(locale=loc)
    assert numbers.decimal_symbol(lang) == get_decimal_symbol(locale=loc)
    for unit, pattern in numbers.UNIT_PATTERNS[lang].items():
        for text in ("1", "12,5", "0.247", "1 023"):
            assert pattern.format(text) == format_unit(text, f"digital-{unit}", length="short", locale=loc)
        assert pattern.format("1") == format_unit(1, f"digital-{unit}", length="short", locale=loc)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_integers_and_shares_as_babel_formats_them(lang: str) -> None:
    """format_int groups as Babel's format_decimal does (past CLDR's minimum grouping digits,
    which Babel leaves out), at any length; a share in per mille is Babel's format_percent with one
    decimal."""
    from babel.numbers import format_decimal

    from explain.render import numbers
    for n in _samples():
        if n < 10**20 and n >= 10 ** (2 + numbers.MIN_GROUPING_DIGITS.get(lang, 1)):
            assert format_int(n, lang) == format_decimal(n, locale=LOCALES[lang], group_separator=True), n
    for n in [*range(2001), *range(2001, 10**6, 997), 10**7 + 5]:
        assert numbers._per_mille(n, lang) == numbers._babel_per_mille(n, lang), n
    assert numbers._per_mille(-3, lang) == numbers._babel_per_mille(-3, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_byte_sizes_as_babel_formats_them(lang: str) -> None:
    """The memory sizes with their units, against Babel's format_unit on the same numbers."""
    from babel.units import format_unit

    from explain.render import numbers
    from explain.memory import reader_unit
    for n in [999, 1000, 1023, 1024, 24_139_776, 96_468_992, 10**9, 16 * 10**9 + 7, 3 * 10**12, 5 * 10**15, 10**19]:
        unit, value = reader_unit(n)
        if unit != "byte":
            number = numbers.format_size(value, lang)
            expected = format_unit(number, f"digital-{unit}", length="short", locale=LOCALES[lang]).replace(" ", "\u00a0")
            assert numbers.format_bytes(n, lang) == (expected.replace("KB", "kB") if unit == "kilobyte" else expected)
        dec = max(0, min(4, (len(str(n)) - 1) // 3 - 1))
        symbol = format_unit(1, "digital-" + numbers._DECIMAL_UNITS[dec], locale=LOCALES[lang], length="short") \
            .replace("1", "", 1).strip("\u00a0\u202f ")
        assert numbers.byte_sizes(n, lang)[1] == ("kB" if symbol == "KB" else symbol)
