"""The self-contained HTML page (``--format html``) as its HTML: multi-line formulas, sizes and
shapes kept on one line, Japanese line breaks, the ResNet-50 picture's double borders, the page's
fonts. How Chromium draws it: tests/test_pictures_render.py."""
from __future__ import annotations

import re

import pytest

from explain import load
from explain.render import render_document
from explain.render.documents import join_japanese
from explain.render.html import body
from tests.conftest import FIXTURES, require_module

require_module("latex2mathml")


def _displays(markdown: str) -> list[str]:
    return re.findall(r"\$\$\n(.*?)\n\$\$", markdown, re.S)


@pytest.mark.parametrize("name", ["example:seed-cnn", str(FIXTURES / "hf" / "gpt2.json")])
def test_every_aligned_display_is_a_table_with_one_row_a_line(name):
    """latex2mathml leaves ``aligned`` one row with ``<mi>&</mi>`` and ``<mspace linebreak>``,
    which browsers ignore (reviewers de10, ja10): each line is an ``<mtr>``, its sides ``<mtd>``s,
    the left one right-aligned."""
    model = load(name)
    markdown = render_document("derivation", model, lang="en", format="markdown")
    page = render_document("derivation", model, lang="en", format="html")
    lines = [d.count("\\\\") + 1 for d in _displays(markdown) if d.startswith("\\begin{aligned}")]
    assert lines  # the seed's total, GPT-2's block and its sum
    tables = re.findall(r"<mtable.*?</mtable>", page)
    assert [t.count("<mtr>") for t in tables] == lines
    assert all('<mtd columnalign="right"' in t and '<mtd columnalign="left"' in t for t in tables)
    assert "<mi>&</mi>" not in page and "linebreak" not in page


def test_seed_total_lines_up_its_three_lines():
    """The seed's total: 896 + 5 × 9,248 + 5,915,136 + 65,664 + 1,161 = 6,029,097 (Keras: 6,029,097),
    written over three lines, the second continuing the sum."""
    assert 896 + 5 * 9248 + 5915136 + 65664 + 1161 == 6029097
    page = render_document("derivation", load("example:seed-cnn"), lang="en", format="html")
    table = next(t for t in re.findall(r"<mtable.*?</mtable>", page) if "6,029,097" in t)
    rows = re.findall(r"<mtr>(.*?)</mtr>", table)
    assert len(rows) == 3
    strut = '<mspace width="0" height="1.05em" depth="0.35em"></mspace>'  # even line spacing (round 14)
    assert all(row.startswith('<mtd columnalign="right">' + strut) for row in rows)
    assert rows[0].startswith('<mtd columnalign="right">' + strut + "<mi>P</mi></mtd>")
    assert '<mspace width="1em" /><mo>&#x0002B;</mo>' in rows[1]  # \quad + …
    assert rows[2].endswith("<mn>6,029,097</mn></mtd>")


def test_a_slash_in_a_formula_has_no_space_around_it():
    """TeX sets ``(k - 1)/2`` as an ordinary symbol; MathML's dictionary would space it."""
    html = body("$p = (k - 1)/2$")
    assert '<mo stretchy="false">&#x00029;</mo><mo lspace="0" rspace="0">/</mo><mn>2</mn>' in html
    assert "&#x0002F;" not in html


def test_sizes_in_the_text_do_not_break():
    """“1 × 1-Faltung” broke as “1 | × 1-Faltung” and “1 × 1- | Faltung” (reviewer de10)."""
    html = body("eine 1 × 1-Faltung, eine 3 × 3 × 3-Faltung; a 1 × 1 convolution; × N layers")
    assert re.findall(r'<span class="nowrap">(.*?)</span>', html) == ["1 × 1-Faltung", "3 × 3 × 3-Faltung", "1 × 1"]
    assert "; × N layers" in html


def test_a_line_break_between_japanese_sentences_is_no_space():
    """A browser shows a source line break as a space: 「表します。 二重枠の」 (reviewer ja10)."""
    assert "<p>矢印はデータの流れを表します。二重枠のボックスは…</p>" in body("矢印はデータの流れを表します。\n二重枠のボックスは…")
    assert "<p>層\n<code>x</code> と、Keras の</p>" in body("層\n`x` と、Keras の")  # kanji before Latin: a space
    assert "<p>One line.\nThe next.</p>" in body("One line.\nThe next.")
    page = render_document("derivation", load("example:seed-cnn"), lang="ja", format="html")
    assert not re.search(r"[。、）]\n", page)


@pytest.mark.parametrize("source, joined", [
    ("表します。\n二重枠", "表します。二重枠"),  # after a full stop
    ("層は、\n入力", "層は、入力"),  # after a comma
    ("（層）\n重み", "（層）重み"),  # after a bracket
    ("層の\n重み", "層の重み"),  # between two Japanese characters
    ("層\nx と", "層\nx と"),  # a Japanese character before a Latin one: a space
    ("One line.\nThe next.", "One line.\nThe next."),
])
def test_markdown_and_html_break_japanese_lines_by_one_rule(source, joined):
    """A Markdown viewer and a browser both show a line break as a space, which Japanese takes
    nowhere between its characters: the Markdown document joins such lines, and the HTML page
    drops such breaks, by the same rule."""
    assert join_japanese(source) == joined
    assert body(source) == f"<p>{joined}</p>\n"


def test_resnet50_folded_boxes_have_the_double_border_the_legend_names():
    """conv1, pool1 and the four stages conv2_x … conv5_x (He et al.) are folded boxes; the
    legend says “a box with a double border”, as TikZ's ``double`` draws it in the PDF."""
    page = render_document("derivation", load(FIXTURES / "keras" / "ResNet50.json"), lang="en", format="html")
    graph = page[page.index('<svg xmlns="http://www.w3.org/2000/svg" class="model-graph"'):]
    graph = graph[:graph.index("</svg>")]
    assert "A box with a double border groups several consecutive layers" in page
    assert graph.count('<rect class="inner"') == 2 + 4
    assert "stroke-width" not in graph


def test_japanese_page_names_japanese_fonts_and_table_code_does_not_wrap():
    """ja reviewer (round 12): a Gothic face on screen, as Japanese course pages are; Mincho in print."""
    page = render_document("derivation", load("example:lenet5"), lang="ja", format="html")
    assert '<html lang="ja">' in page
    screen, printed = re.findall(r"html:lang\(ja\) body \{ font-family: ([^;]*);", page)
    assert "Noto Sans CJK JP" in screen and "Yu Gothic" in screen and screen.rstrip().endswith("sans-serif")
    assert page.index(printed) > page.index("@media print")
    assert "Noto Serif CJK JP" in printed and "Mincho" in printed and printed.rstrip().endswith(" serif")
    assert "code, .nowrap { white-space: nowrap; }" in page and "td code," not in page  # prose shapes too
    assert '<div class="table"><table>' in page


def test_table_headers_never_break_and_wide_tables_scroll():
    """ja resnet50: 「パラメータ／数」 broke inside the header cell, and the table ran past the text column."""
    page = render_document("derivation", load(FIXTURES / "keras" / "ResNet50.json"), lang="ja", format="html")
    assert re.search(r"\bth \{[^}]*white-space: nowrap;", page)
    assert re.search(r"div\.table \{[^}]*overflow-x: auto;", page) and '<div class="table">' in page


_LOOSE = re.compile("</math></span>[\u00a0\u202f]?[)\\]},.;:!?。、）」』»”’%]|[(\\[「（«„“‘][\u00a0\u202f]?<span class=\"math\">")


def _loose(html: str) -> list[str]:
    """Brackets and punctuation next to an inline formula outside an unbreakable span with it."""
    glued = re.sub(r'<span class="nowrap">[^<]*<span class="math"><math.*?</math></span>[^<]*</span>', "G", html)
    return _LOOSE.findall(glued)


def test_brackets_and_punctuation_stay_on_the_formulas_line():
    """Round 14 (de, gpt2 §4): "(…, dann $f \\cdot d + d$) und" set the ")" alone on the next line:
    Chromium breaks between an inline formula and the punctuation after it. The bracket before a
    formula and the punctuation after it go into one unbreakable span with it."""
    html = body("das Netz ($d \\cdot f + f$, dann $f \\cdot d + d$) und; « $x$\u00a0» et $y$\u202f; fin $z$.")
    glued = re.findall(r'<span class="nowrap">([^<]*<span class="math">M</span>[^<]*)</span>', re.sub(r"<math.*?</math>", "M", html))
    assert glued == ['(<span class="math">M</span>,', '<span class="math">M</span>)',
                     '<span class="math">M</span>\u00a0»', '<span class="math">M</span>\u202f;',
                     '<span class="math">M</span>.'], glued
    assert "dann <span" in html
    assert not _loose(html) and _loose(html.replace('class="nowrap"', 'class="x"'))


@pytest.mark.parametrize("lang", ["en", "de", "fr", "ja", "es"])
def test_no_formula_in_gpt2_lets_its_punctuation_wrap_alone(lang):
    """The same on a whole page, in every language (GPT-2: formulas in brackets and before commas)."""
    from explain.render.html import page
    html = page("derivation", load(FIXTURES / "hf" / "gpt2.json"), lang, pictures=False)
    assert not _loose(html), _loose(html)
    assert '<span class="nowrap"><span class="math">' in html


def test_a_table_cells_type_label_after_its_name_is_set_whole():
    """ja reviewer (round 21): GPT-2's summary broke 「（埋め／込みの和）」 inside a word. A cell's label
    after its name is one unbreakable piece (the line may break before it); prose is left alone."""
    html = body("| a | b |\n| --- | --- |\n| `x.y`（埋め込みの和） | 1 |\n| `conv1` (Conv2D) | 2 |\n"
                "| `a`（Linear）：`b` と重みを共有 | 3 |\n\n`x` (not a cell)\n")
    assert '<td><code>x.y</code><span class="nowrap">（埋め込みの和）</span></td>' in html
    assert '<td><code>conv1</code> <span class="nowrap">(Conv2D)</span></td>' in html
    assert "<td><code>a</code>（Linear）：<code>b</code> と重みを共有</td>" in html
    assert "<p><code>x</code> (not a cell)</p>" in html
    page = render_document("derivation", load(FIXTURES / "hf" / "gpt2.json"), lang="ja", format="html")
    assert '<td><code>transformer.wte + transformer.wpe</code><span class="nowrap">（埋め込みの和）</span></td>' in page
    assert re.search(r"html:lang\(ja\) body \{[^}]*line-break: strict; text-wrap: pretty; \}", page)
