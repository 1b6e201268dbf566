"""Numbers in the reader's locale (CLDR through Babel, never ``setlocale``)."""
from __future__ import annotations

from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal, get_group_symbol

LOCALES = {"en": "en", "de": "de_DE", "ja": "ja_JP", "fr": "fr_FR", "es": "es_ES"}


def locale(lang: str) -> str:
    return LOCALES.get(lang, "en")


@lru_cache(maxsize=None)
def group_separator(lang: str) -> str:
    return get_group_symbol(locale=Locale.parse(locale(lang)))


@lru_cache(maxsize=65536)
def format_int(n: int, lang: str) -> str:
    """6029097 → ``6,029,097`` (en, ja), ``6.029.097`` (de, es), ``6 029 097`` (fr, U+202F).

    Cached: a derivation prints the same counts many times, and Babel's formatting is slow."""
    if -10**20 < n < 10**20:
        return format_decimal(n, locale=locale(lang), group_separator=True)
    import decimal
    with decimal.localcontext() as context:  # Babel quantizes in the context's 28 digits
        context.prec = len(str(n)) + 8
        return format_decimal(n, locale=locale(lang), group_separator=True)


def format_decimal_places(x: float, lang: str, places: int = 1) -> str:
    """A decimal with ``places`` digits after the locale's decimal mark (``23,0`` in German)."""
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(round(x, places), format=pattern, locale=locale(lang))


def format_size(x: float, lang: str) -> str:
    """A size in MB or MiB: one decimal from 10 on, else three significant digits (0.247, 24.1)."""
    import math
    if x >= 10 or x <= 0:
        return format_decimal_places(x, lang, 1)
    places = min(9, 2 - math.floor(math.log10(x)))
    return format_decimal_places(x, lang, places)
