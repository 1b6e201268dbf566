"""Locale numbers against ICU (Node's ``Intl.NumberFormat``), which applies all of CLDR's
number data, minimum grouping digits included (Babel leaves that field out)."""
from __future__ import annotations

import json
import subprocess
from fractions import Fraction

import pytest

from explain.render.documents import LANGUAGES
from explain.render.numbers import LOCALES, format_decimal_places, format_int
from explain.render.text import memory
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
