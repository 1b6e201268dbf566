"""``--format html``: one self-contained page (no script, no request when it is viewed).

The document is rendered as Markdown, then turned into HTML with markdown-it-py (raw HTML in the
text is not passed through); every formula becomes MathML (latex2mathml), which browsers draw
with their own math fonts; the model's pictures are inline SVG (:mod:`.draw.svg`) in place of the
Mermaid blocks. The page has the document's language and a print style."""
from __future__ import annotations

import re
from html import escape
from typing import Any, Callable

from ..errors import ExplainError
from ..msgid import N_
from .documents import unspaced

EXTRA = "pip install 'explain[html]'"

# Translators: the line of the HTML page a reader clicks to open the summary table, folded when the stage table above already gives the overview (%(rows)s: its number of rows)
FOLDED = N_("The summary table, %(rows)s rows: click to show it")
# Translators: the title of the HTML page's list of links to its sections (table of contents)
CONTENTS = N_("Contents")


def _modules():
    try:
        import latex2mathml.converter as mathml
        from markdown_it import MarkdownIt
        from mdit_py_plugins.dollarmath import dollarmath_plugin
    except ImportError as e:
        raise ExplainError(f"--format html needs markdown-it-py, mdit-py-plugins and latex2mathml "
                           f"({EXTRA}); missing: {e.name}") from None
    return mathml, MarkdownIt, dollarmath_plugin


def body(markdown: str, pictures: dict[str, str] | None = None,
         fold: tuple[str, Callable[[int], str]] | None = None, contents: str | None = None) -> str:
    """The HTML of a Markdown document of ours; ``pictures`` maps a Mermaid block's source to the
    SVG that replaces it; ``fold`` (a heading, the label of a table of n rows): the first table
    under that heading folded into ``<details>``, the label its summary line; ``contents`` (its
    title): links to the sections (``##``) before the first of them, when there are three or more."""
    mathml, MarkdownIt, dollarmath_plugin = _modules()
    from markdown_it.common.utils import escapeHtml
    md = MarkdownIt("commonmark", {"html": False}).enable("table").use(dollarmath_plugin, double_inline=True)

    def math(tex: str, display: bool) -> str:
        out = _mathml(mathml.convert(_lines(tex), display="block" if display else "inline"))
        return f'<span class="math{" display" if display else ""}">{out}</span>'

    def inline(self, tokens, i, options, env):
        before, after = tokens[i].meta.get("before", ""), tokens[i].meta.get("after", "")
        out = math(tokens[i].content, False)
        if before or after:  # a bracket or punctuation never wraps alone away from its formula
            return f'<span class="nowrap">{escapeHtml(before)}{out}{escapeHtml(after)}</span>'
        return out

    rules = md.add_render_rule
    rules("math_inline", inline)
    rules("math_inline_double", lambda self, tokens, i, options, env: math(tokens[i].content, True))
    rules("math_block", lambda self, tokens, i, options, env: "<div>" + math(tokens[i].content, True) + "</div>\n")
    default_fence = md.renderer.rules["fence"]

    def fence(self, tokens, i, options, env):
        token = tokens[i]
        if token.info.strip() == "mermaid" and pictures and token.content in pictures:
            return '<figure class="picture">' + pictures[token.content] + "</figure>\n"
        return default_fence(tokens, i, options, env)

    md.add_render_rule("fence", fence)
    def table(self, tokens, i, options, env):
        html = self.renderToken(tokens, i, options, env)
        if tokens[i].type == "table_close":
            return html + "</div>\n" + ("</details>\n" if tokens[i].meta.get("fold") else "")
        label = tokens[i].meta.get("fold")
        return (f"<details><summary>{escapeHtml(label)}</summary>\n" if label else "") + '<div class="table">' + html

    rules("table_open", table)
    rules("table_close", table)
    md.add_render_rule("text", lambda self, tokens, i, options, env: _text(escapeHtml(tokens[i].content), tokens[i].meta))
    md.add_render_rule("softbreak", lambda self, tokens, i, options, env: _softbreak(tokens, i))
    tokens = md.parse(markdown)
    _glue(tokens)
    _labels(tokens)
    if fold:
        _fold(tokens, *fold)
    sections = [i for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    if not contents or len(sections) < 3:
        return md.renderer.render(tokens, md.options, {})
    links = []
    for k, i in enumerate(sections, 1):
        tokens[i].attrSet("id", f"section-{k}")
        title = md.renderer.renderInline(tokens[i + 1].children or [], md.options, {})
        links.append(f'<li><a href="#section-{k}">{title}</a></li>')
    nav = (f'<nav class="contents" aria-label="{escapeHtml(contents)}"><p>{escapeHtml(contents)}</p>\n'
           f'<ol>\n{chr(10).join(links)}\n</ol></nav>\n')
    first = sections[0]
    return (md.renderer.render(tokens[:first], md.options, {}) + nav
            + md.renderer.render(tokens[first:], md.options, {}))


def _fold(tokens, heading: str, label: Callable[[int], str]) -> None:
    """Mark the first table after the heading ``heading`` to be folded, its label with its rows."""
    under = False
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            under = tokens[i + 1].content == heading
        elif token.type == "table_open" and under:
            close = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
            rows = sum(t.type == "tr_open" for t in tokens[i:close]) - 1  # not the header
            token.meta["fold"] = label(rows)
            tokens[close].meta["fold"] = True
            return


_OPENING = re.compile(r"[(\[{«„“‘「『（¿¡][\u00a0\u202f]?$")
_CLOSING = re.compile(r"^(?:[\u00a0\u202f]?[)\]}»“”’」』）.,;:!?。、%])+")


def _glue(tokens) -> None:
    """Move an opening bracket right before an inline formula, and the closing brackets and
    punctuation right after it, into the formula's token (``meta`` "before", "after"): a browser
    may break a line between a formula and the text beside it, and left "… $f \\cdot d + d$" and
    ")" on two lines (round 14, de)."""
    for block in tokens:
        children = block.children or []
        for k, token in enumerate(children):
            if token.type != "math_inline":
                continue
            if k > 0 and children[k - 1].type == "text" and (m := _OPENING.search(children[k - 1].content)):
                token.meta["before"] = m[0]
                children[k - 1].content = children[k - 1].content[:m.start()]
            if k + 1 < len(children) and children[k + 1].type == "text" and (m := _CLOSING.match(children[k + 1].content)):
                token.meta["after"] = m[0]
                children[k + 1].content = children[k + 1].content[m.end():]


_LABEL = re.compile(r"( ?)([(（][^()（）]+[)）])")


def _labels(tokens) -> None:
    """Mark a table cell's type label after its name (``transformer.wte + transformer.wpe``
    （埋め込みの和）, ``conv1`` (Conv2D)): it is set whole (round 21, ja: 「（埋め／込みの和）」 broke
    inside a word); the line may still break between the name and the label."""
    for k, block in enumerate(tokens):
        if block.type != "inline" or k == 0 or tokens[k - 1].type != "td_open":
            continue
        children = block.children or []
        for j, token in enumerate(children[1:], 1):
            if token.type == "text" and children[j - 1].type == "code_inline" and _LABEL.fullmatch(token.content):
                token.meta["label"] = True


_SIZE = re.compile(r"\d+(?: × \d+)+(?:-\w+)?")


def _text(text: str, meta: dict | None = None) -> str:
    """A size such as ``1 × 1`` (or ``1 × 1-Faltung``) kept on one line; so is a type label
    (:func:`_labels`)."""
    if meta and meta.get("label") and (m := _LABEL.fullmatch(text)):
        return f'{m[1]}<span class="nowrap">{m[2]}</span>'
    return _SIZE.sub(lambda m: f'<span class="nowrap">{m[0]}</span>', text)


def _softbreak(tokens, i: int) -> str:
    """A line break in the source is a space, except where Japanese takes none
    (:func:`~.documents.unspaced`, the rule Markdown's lines are joined by)."""
    before = tokens[i - 1].content[-1:] if i > 0 else ""
    after = tokens[i + 1].content[:1] if i + 1 < len(tokens) else ""
    return "" if unspaced(before, after) else "\n"


_ALIGNED = re.compile(r"\\(begin|end)\{aligned\}")


def _lines(tex: str) -> str:
    """``aligned`` as ``split``: latex2mathml turns ``split`` into an ``<mtable>`` (one ``<mtr>`` a
    line, its &-columns ``<mtd>`` aligned right and left, as TeX's aligned), but leaves ``aligned``
    one row with ``<mi>&</mi>`` and line breaks browsers ignore."""
    return _ALIGNED.sub(r"\\\1{split}", tex)


def _mathml(mathml: str) -> str:
    """Numbers in one piece, and a slash set close as TeX's ordinary ``/`` (``(k - 1)/2``): the
    operator dictionary would put spaces around it; every line of a table of lines with a strut."""
    out = _numbers(mathml).replace("<mo>&#x0002F;</mo>", '<mo lspace="0" rspace="0">/</mo>')
    return _ROW.sub(lambda m: f"<mtr><mtd{m[1]}>{_STRUT}" + ("</mtd>" if m[2] else ""), out)


_ROW = re.compile(r"<mtr><mtd([^>]*?)\s*(/?)>")
_STRUT = '<mspace width="0" height="1.05em" depth="0.35em"></mspace>'
"""TeX's ``\\strut`` for a line of an aligned display: browsers ignore ``rowspacing``, and each
row was as high as its content (a line with ``d^2`` lower than the next, round 14, de); lines of
ordinary height are now spaced evenly."""


_GROUPED = re.compile(r"<mn>([0-9.,]+)</mn><mrow><mo>&#x0002([CE]);</mo></mrow><mn>([0-9]+)</mn>")


def _numbers(mathml: str) -> str:
    """A number with a separator in braces (``11{.}552``, ``0{,}25``: TeX's way of keeping the
    separator's spacing) as one ``<mn>``, not a number, an operator and a number."""
    while True:
        merged = _GROUPED.sub(lambda m: f"<mn>{m[1]}{',' if m[2] == 'C' else '.'}{m[3]}</mn>", mathml)
        if merged == mathml:
            return merged
        mathml = merged


STYLE = """
body { font-family: "Noto Serif", Georgia, "Times New Roman", "DejaVu Serif", "Noto Serif CJK JP", serif; line-height: 1.5; margin: 0; color: #111; }
main { max-width: 52rem; margin: 2rem auto; padding: 0 1.2rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2rem; } h3, h4, h5 { font-size: 1.05rem; } h5 { font-weight: 600; }
html:lang(ja) body { font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Hiragino Kaku Gothic ProN",
  "Yu Gothic", Meiryo, sans-serif; line-break: strict; text-wrap: pretty; }  /* Japanese on screen: a Gothic face (in print Mincho, below); kinsoku: no ィ, ッ, ー or 。 at a line's start; no paragraph ends in a line of one character and its 。 (「…されていませ／ん。」, round 21) */
code, svg [font-family="monospace"] { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
code { font-size: 0.9em; }
table, figure.picture svg { font-family: inherit; }  /* one face for text, tables and the pictures' labels (their names in code's face) */
code, .nowrap { white-space: nowrap; }  /* a shape (None, None, 768) never wraps inside, in tables or prose */
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ccc; padding: 0.2rem 0.4rem; vertical-align: top; }
th { border-bottom: 2px solid #333; text-align: left; white-space: nowrap; }  /* a header never breaks inside a word (ja 「パラメータ／数」) */
td[style*="right"] { white-space: nowrap; }
div.table { overflow-x: auto; }
.math.display { display: block; overflow-x: auto; overflow-y: hidden; margin: 0.6rem 0; }
mtd { padding: 0.15em 0; } mtd[columnalign="right"] { text-align: right; } mtd[columnalign="left"] { text-align: left; }
math { font-family: "Latin Modern Math", "STIX Two Math", "Cambria Math", math; font-size: 1.1em; }
figure.picture { margin: 1rem 0; text-align: center; overflow-x: auto; }
/* pictures and tables stay in the text's column: a picture shrinks to its width, down to the
   smallest scale its inline min-width allows (text still legible), then scrolls, as a wide table does */
figure.picture svg { max-width: 100%; height: auto; }
details > summary { cursor: pointer; margin: 1rem 0; color: #333; }
nav.contents { margin: 1.2rem 0; padding: 0.4rem 0.8rem; border-left: 3px solid #ccc; }
nav.contents p { margin: 0; font-weight: 600; } nav.contents ol { margin: 0.3rem 0; padding-left: 1.6rem; }
@media print {
  body { font-size: 10.5pt; } main { max-width: none; margin: 0; padding: 0; }
  html:lang(ja) body { font-family: "Noto Serif", "Noto Serif CJK JP", "Noto Serif JP", "Hiragino Mincho ProN",
    "Yu Mincho", serif; }
  h2, h3, h4, h5 { break-after: avoid; } figure, table, .math.display { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  figure.picture svg { min-width: 0 !important; }  /* on paper a picture shrinks to the page */
  details::details-content { content-visibility: visible; display: contents; }  /* a folded table is printed */
  details > summary, nav.contents { display: none; }
  @page { size: A4; margin: 2cm; }
}
"""


def page(kind: str, subject: Any, lang: str, **options: Any) -> str:
    """``kind`` (a derivation, a check sheet, the layer reference) as one HTML page."""
    from .documents import render_document
    from .i18n import translate
    from .numbers import format_int
    pictures = None
    if kind == "derivation" and options.get("pictures", True):
        from .draw import pictures as drawn
        mermaid, svg = drawn(subject, lang, "markdown"), drawn(subject, lang, "html")
        pictures = {mermaid["graph"]: svg["graph"]}
        if mermaid["detail"]:
            pictures[mermaid["detail"]] = svg["detail"]
        if mermaid["bars"]:
            pictures[mermaid["bars"]] = svg["bars"]
    markdown = render_document(kind, subject, lang=lang, format="markdown", **options)
    fold = None
    if kind == "derivation" and f"\n## {translate(lang, 'Stages')}\n" in markdown:
        # the stage table gives the overview; the one-row-a-layer table (176 for ResNet-50) folds
        fold = (translate(lang, "Summary"), lambda rows: translate(lang, FOLDED) % {"rows": format_int(rows, lang)})
    html = body(markdown, pictures, fold, translate(lang, CONTENTS))
    first = next((line[2:] for line in markdown.splitlines() if line.startswith("# ")), kind)
    title = _plain_title(first)
    return (f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
            f"{html}</main>\n</body>\n</html>\n")


def _plain_title(markdown_heading: str) -> str:
    """The page title: the heading without Markdown's code marks and escapes."""
    from markdown_it import MarkdownIt
    tokens = MarkdownIt("commonmark", {"html": False}).parseInline(markdown_heading)
    return "".join(t.content for t in tokens[0].children or [])  # text and code spans
