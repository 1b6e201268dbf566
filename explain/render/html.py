"""``--format html``: one self-contained page (no script, no request when it is viewed).

The document is rendered as Markdown, then turned into HTML with markdown-it-py (raw HTML in the
text is not passed through); every formula becomes MathML (latex2mathml), which browsers draw
with their own math fonts; the model's pictures are inline SVG (:mod:`.draw.svg`) in place of the
Mermaid blocks. The page has the document's language and a print style."""
from __future__ import annotations

import re
from html import escape
from typing import Any

from ..errors import ExplainError
from .documents import unspaced

EXTRA = "pip install 'explain[html]'"


def _modules():
    try:
        import latex2mathml.converter as mathml
        from markdown_it import MarkdownIt
        from mdit_py_plugins.dollarmath import dollarmath_plugin
    except ImportError as e:
        raise ExplainError(f"--format html needs markdown-it-py, mdit-py-plugins and latex2mathml "
                           f"({EXTRA}); missing: {e.name}") from None
    return mathml, MarkdownIt, dollarmath_plugin


def body(markdown: str, pictures: dict[str, str] | None = None) -> str:
    """The HTML of a Markdown document of ours; ``pictures`` maps a Mermaid block's source to the
    SVG that replaces it."""
    mathml, MarkdownIt, dollarmath_plugin = _modules()
    from markdown_it.common.utils import escapeHtml
    md = MarkdownIt("commonmark", {"html": False}).enable("table").use(dollarmath_plugin, double_inline=True)

    def math(tex: str, display: bool) -> str:
        out = _mathml(mathml.convert(_lines(tex), display="block" if display else "inline"))
        return f'<span class="math{" display" if display else ""}">{out}</span>'

    rules = md.add_render_rule
    rules("math_inline", lambda self, tokens, i, options, env: math(tokens[i].content, False))
    rules("math_inline_double", lambda self, tokens, i, options, env: math(tokens[i].content, True))
    rules("math_block", lambda self, tokens, i, options, env: "<div>" + math(tokens[i].content, True) + "</div>\n")
    default_fence = md.renderer.rules["fence"]

    def fence(self, tokens, i, options, env):
        token = tokens[i]
        if token.info.strip() == "mermaid" and pictures and token.content in pictures:
            return '<figure class="picture">' + pictures[token.content] + "</figure>\n"
        return default_fence(tokens, i, options, env)

    md.add_render_rule("fence", fence)
    for kind, before, after in (("table_open", '<div class="table">', ""), ("table_close", "", "</div>\n")):
        rules(kind, lambda self, tokens, i, options, env, b=before, a=after: b + self.renderToken(tokens, i, options, env) + a)
    md.add_render_rule("text", lambda self, tokens, i, options, env: _text(escapeHtml(tokens[i].content)))
    md.add_render_rule("softbreak", lambda self, tokens, i, options, env: _softbreak(tokens, i))
    return md.render(markdown)


_SIZE = re.compile(r"\d+(?: × \d+)+(?:-\w+)?")


def _text(text: str) -> str:
    """A size such as ``1 × 1`` (or ``1 × 1-Faltung``) kept on one line."""
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
    operator dictionary would put spaces around it."""
    return _numbers(mathml).replace("<mo>&#x0002F;</mo>", '<mo lspace="0" rspace="0">/</mo>')


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
body { font-family: "Noto Serif", Georgia, "Times New Roman", serif; line-height: 1.5; margin: 0; color: #111; }
main { max-width: 52rem; margin: 2rem auto; padding: 0 1.2rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2rem; } h3, h4, h5 { font-size: 1.05rem; } h5 { font-weight: 600; }
html:lang(ja) body { font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Hiragino Kaku Gothic ProN",
  "Yu Gothic", Meiryo, sans-serif; }  /* Japanese on screen: a Gothic face; in print Mincho, below */
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
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
@media screen and (min-width: 56rem) {  /* a wide picture may use the window's width, not only the text's */
  figure.picture { margin-left: calc(50% - 50vw + 1rem); margin-right: calc(50% - 50vw + 1rem); }
  div.table { margin-right: calc(50% - 50vw + 1rem); }  /* a wide table runs on into the right margin */
}
figure.picture svg { max-width: 100%; height: auto; }
@media print {
  body { font-size: 10.5pt; } main { max-width: none; margin: 0; padding: 0; }
  html:lang(ja) body { font-family: "Noto Serif", "Noto Serif CJK JP", "Noto Serif JP", "Hiragino Mincho ProN",
    "Yu Mincho", serif; }
  h2, h3, h4, h5 { break-after: avoid; } figure, table, .math.display { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  @page { size: A4; margin: 2cm; }
}
"""


def page(kind: str, subject: Any, lang: str, **options: Any) -> str:
    """``kind`` (a derivation, a check sheet, the layer reference) as one HTML page."""
    from .documents import render_document
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
    html = body(markdown, pictures)
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
