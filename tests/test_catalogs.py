"""The gettext catalogs: complete, nothing fuzzy, placeholders kept, the glossary's terms, and no
message in the code or templates that the catalogs lack (babel's extract API, as pybabel does)."""
from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import ROOT

LOCALES = ROOT / "templates" / "locales"
LANGS = ("de", "ja", "fr", "es")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def catalog(lang: str):
    with open(LOCALES / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def extracted() -> set:
    """(msgctxt, msgid) of every message in explain/ and templates/ as babel.cfg maps them (N_ marks
    data messages)."""
    method_map = [("explain/**.py", "python"), ("templates/**.j2", "jinja2")]
    options = {"templates/**.j2": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true",
                                   "lstrip_blocks": "true"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None,
                "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}
    ids = set()
    for _, _, message, _, context in extract_from_dir(str(ROOT), method_map, options, keywords=keywords):
        ids.add((context, message[0] if isinstance(message, tuple) else message))
    return ids


def keys(messages) -> set:
    """(msgctxt, msgid) of each message, the msgid of a plural its singular."""
    return {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in messages if m.id}


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_is_well_formed(lang):
    """A merge that keeps both sides' msgstr leaves an entry babel reads leniently (the first wins, silently)."""
    path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as f:
        read_po(f, locale=lang, abort_invalid=True)
    text = path.read_text(encoding="utf-8")
    entries = [e for e in text.split("\n\n") if e.strip()]
    orphans = [e[:80] for e in entries if not re.search(r"^msgid ", e, re.M)]
    assert not orphans, f"msgstr without msgid in {lang}: {orphans}"
    ids = [re.search(r'^(msgctxt ".*"\n)?msgid ((?:".*"\n?)+)', e, re.M).group(0) for e in entries]
    assert len(ids) == len(set(ids)), f"duplicate msgid in {lang}"


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_is_complete_and_not_fuzzy(lang):
    cat = catalog(lang)
    problems = []
    for m in cat:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy:
            problems.append(("fuzzy", m.id))
        if not all(strings):
            problems.append(("untranslated", m.id))
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            if s and set(PLACEHOLDER.findall(s)) != wanted:
                problems.append(("placeholders", m.id, s))
    assert problems == []


def test_every_extracted_message_is_in_every_catalog():
    ids = extracted()
    assert len(ids) > 50
    for lang in LANGS:
        assert sorted(ids - keys(catalog(lang)), key=str) == [], lang


def test_pot_lists_the_extracted_messages():
    with open(LOCALES / "messages.pot", "rb") as f:
        pot = keys(read_po(f))
    assert sorted(extracted() - pot, key=str) == []


def test_glossary_never_words():
    never = {"de": ("Vorspannung", "Voreingenommenheit", "Ebene"), "fr": ("partialité",),
             "es": ("prejuicio",), "ja": ("偏り",)}
    for lang, words in never.items():
        text = (LOCALES / lang / "LC_MESSAGES" / "messages.po").read_text("utf-8")
        for w in words:
            assert w not in text, (lang, w)


def test_pot_has_source_locations_and_translator_comments_for_one_word_messages():
    """Translators see where each message is used, and a note on every one-word message ("yes",
    "with", "Count", "bytes" …). Regenerate with the command at the top of babel.cfg."""
    with open(LOCALES / "messages.pot", "rb") as f:
        pot = [m for m in read_po(f) if m.id]
    assert [m.id for m in pot if not m.locations] == []
    assert all((ROOT / path).is_file() for m in pot for path, _ in m.locations)
    one_word = [m.id for m in pot if isinstance(m.id, str) and len(m.id.split()) == 1 and "%(" not in m.id]
    assert {"yes", "with", "Count", "bytes"} <= set(one_word)
    assert [m for m in one_word if not next(x for x in pot if x.id == m).auto_comments] == []
