"""Typography and terminology of every language, over every catalog entry and over rendered
documents (GLOSSARY.md, "Per language"), and the form of the feedback sheet."""
from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from explain.checker import check_file, render_report
from explain.importers import load
from explain.render import render
from tests.conftest import FIXTURES, ROOT
from tests.render_helpers import markdown_parser, walk

LOCALES = ROOT / "templates" / "locales"
SEED_SHEET = FIXTURES / "worksheets" / "seed_worksheet.yaml"


def msgstrs(lang: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) for every translated string of ``lang`` (each plural form on its own)."""
    with open(LOCALES / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=lang)
    out = []
    for m in catalog:
        if not m.id:
            continue
        msgid = m.id if isinstance(m.id, str) else m.id[0]
        for s in (m.string if isinstance(m.string, tuple) else (m.string,)):
            out.append((msgid, s))
    return out


@pytest.fixture(scope="module")
def seed_report():
    return check_file(str(SEED_SHEET))


# ----------------------------------------------------------------------------- French

def test_french_spaces_before_high_punctuation_in_every_entry():
    """A no-break space before ':' and a narrow one before '; ! ?', no-break spaces inside « »;
    never a breakable space there, never none (GLOSSARY, French)."""
    bad = []
    for msgid, s in msgstrs("fr"):
        for m in re.finditer(r"(.)([:;!?])(?=[\s)]|$)", s):
            wanted = "\u00a0" if m.group(2) == ":" else "\u202f"
            if m.group(1) != wanted:
                bad.append((s[max(0, m.start() - 20):m.end()], msgid))
        if re.search(r"«(?!\u00a0)|(?<!\u00a0)»", s):
            bad.append((s, msgid))
    assert bad == []


def test_french_terms():
    """"Dérivation" reads as differentiation; the student's answer is a "réponse donnée", not an
    "affirmation"; running statistics are "mobiles" (GLOSSARY)."""
    bad = [(msgid, s) for msgid, s in msgstrs("fr")
           if re.search(r"dériv|affirm|courante|statistiques courantes", s, re.IGNORECASE)]
    assert bad == []


@pytest.fixture(scope="module")
def french_latex(seed_report) -> list[str]:
    return [render(load("example:seed-cnn"), lang="fr", format="latex"),
            render(load(FIXTURES / "specs" / "mlp_bn.yaml"), lang="fr", format="latex"),
            render_report(seed_report, lang="fr", format="latex")]


def test_french_latex_leaves_the_spacing_of_high_punctuation_to_babel(french_latex):
    """babel-french puts its own space before ': ; ! ?' and inside « »: a typed one (U+00A0,
    U+202F, \\, or ~) would double it."""
    for doc in french_latex:
        assert "\\usepackage[french]{babel}" in doc
        assert re.findall(r".{0,20}(?:[\u00a0\u202f~]|\\,)[:;!?»]", doc) == []
        assert re.findall(r"«(?:[\u00a0\u202f~]|\\,).{0,20}", doc) == []
        assert "paramètres:" in doc or "paramètres :" in doc  # the sign is there, bare or after a space


def test_french_markdown_has_no_break_spaces_before_colons(seed_report):
    sheet = render_report(seed_report, lang="fr", format="markdown")
    assert "## 5. `dense_2`\u00a0: paramètres (formule fausse)" in sheet
    assert "Réponse donnée\u00a0: $512 \\times 128 + 512 = 65\\,664$" in sheet
    assert "Modèle\u00a0: `seed_cnn`" in sheet
    derivation = render(load("example:seed-cnn"), lang="fr", format="markdown")
    assert "## Calcul détaillé, couche par couche" in derivation
    prose = "\n".join(line for line in derivation.splitlines() if not line.startswith("| ---"))
    assert re.findall(r".{0,20}\S[:;]\s", prose.replace("\u00a0:", "").replace("\u202f;", "")) == []


# ----------------------------------------------------------------------------- the feedback sheet

@pytest.mark.parametrize("lang", ["en", "de", "ja", "fr", "es"])
def test_sheet_derives_only_the_claims_that_are_not_correct(seed_report, lang):
    """The seed worksheet: six claims correct, dense_2's formula wrong (its bias has 128 entries,
    not 512: 512·128 + 128 = 65,664). Only dense_2 gets a section, numbered as in the table."""
    for fmt, section in (("markdown", r"^## (\d+)\. "), ("latex", r"^\\subsection\*\{(\d+)\. ")):
        sheet = render_report(seed_report, lang=lang, format=fmt)
        assert re.findall(section, sheet, re.MULTILINE) == ["5"]
        assert re.findall(r"^#+ \d+\. .*\n+.*\n+(?:.*\n)*?#+ \d+\.", sheet, re.MULTILINE) == []
        heading = r"^### `dense_2`" if fmt == "markdown" else r"^\\subsubsection\*\{\\texttt\{dense\\_2\}"
        assert len(re.findall(heading, sheet, re.MULTILINE)) == 1  # the derivation, unnumbered
        assert "conv2d\\_1} (Conv2D)" not in sheet and "`conv2d_1` (Conv2D)" not in sheet


@pytest.mark.parametrize("lang, product, total", [("en", "11{,}552 \\times 512 + 512 = 5{,}915{,}136", "6{,}029{,}097"),
                                                  ("de", "11{.}552 \\times 512 + 512 = 5{.}915{.}136", "6{.}029{.}097"),
                                                  ("es", "11{.}552 \\times 512 + 512 = 5{.}915{.}136", "6{.}029{.}097")])
def test_sheet_shows_the_students_work_with_times_and_grouping(seed_report, lang, product, total):
    """The worksheet wrote `11552 x 512 + 512 = 5915136` and `6.029.097`: shown with × and the
    locale's digit groups, as math (Spanish keeps four digits together: 9248)."""
    sheet = render_report(seed_report, lang=lang, format="markdown")
    assert f"${product}$" in sheet and f"${total}$" in sheet
    assert "*" not in "".join(re.findall(r"\$[^$]*\$", sheet))
    text = render_report(seed_report, lang=lang, format="text")
    assert product.replace("{", "").replace("}", "").replace("\\times", "×") in text


def test_markdown_sheets_have_nothing_mathjax_would_take_for_math(tmp_path):
    """MathJax reads \\( \\) \\[ \\] as math delimiters: names with brackets must not make them."""
    sheet = tmp_path / "w.txt"
    sheet.write_text("model: example:seed-cnn\n3: 1\n")
    report = check_file(str(sheet))
    hostile = load({"name": "m(x)[y]$z\\w", "input": [4],
                    "layers": [{"Dense": {"name": "d(1)[2]", "units": 2}}]})
    for text in (render_report(report, format="markdown"), render(hostile, format="markdown")):
        plain = "".join(t.content for t in walk(markdown_parser().parse(text)) if t.type == "text")
        assert not re.search(r"\\[()\[\]]", text.replace("\\left(", "").replace("\\right)", "")), text
        assert "\\$" not in plain
    assert "m(x)[y]$z\\w" in markdown_parser().render(render(hostile, format="markdown")).replace("&#91;", "[")
