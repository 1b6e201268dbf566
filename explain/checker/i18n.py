"""Translations of the feedback sheet's sentences from the project's gettext catalogs
(``templates/locales/<lang>/LC_MESSAGES/messages.po``), read with babel. English is the msgid."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

LOCALES = Path(__file__).resolve().parent.parent.parent / "templates" / "locales"


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """msgid → msgstr for ``lang`` (empty for English or where no catalog exists)."""
    if lang == "en":
        return {}
    path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    from babel.messages.pofile import read_po
    with path.open("rb") as f:
        po = read_po(f, locale=lang)
    out = {}
    for message in po:
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
            out[message.id] = message.string
    return out


def gettext_for(lang: str) -> Callable[[str], str]:
    table = catalog(lang)
    return lambda s: table.get(s, s)
