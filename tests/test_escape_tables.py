"""The escapes as translation tables (one ``str.translate``) give what escaping character by
character gives: an entity where Markdown has one, else a backslash for a Markdown special; in
LaTeX, a special's text command, else a math-only character through math, else the character."""
from __future__ import annotations

import random

from explain.render import escape as E


def _by_character(text: str, escaped: set) -> str:
    return "".join(E._MD_ENTITIES[c] if c in E._MD_ENTITIES else "\\" + c if c in escaped else c
                   for c in E.visible(text))


def test_the_tables_escape_as_character_by_character():
    chars = "".join(map(chr, range(0x250))) + "γβασμ−⌊⌋⌈⌉\u202f\u00a0\u202e€日本。⁰¹²"
    pick = random.Random(21)
    texts = [chars] + ["".join(pick.choice(chars) for _ in range(pick.randint(0, 40))) for _ in range(3000)]
    for text in texts:
        assert E.markdown_text(text) == _by_character(text, E._MD_ESCAPED)
        assert E.markdown_message(text) == _by_character(text, E._MD_MESSAGE)
        assert E._plain(text) == "".join(E.LATEX_SPECIALS.get(c) or E._MATH_CHARS.get(c) or c for c in text)
    assert E.markdown_text("a_b <c> [d] $e$ \\") == "a\\_b &lt;c&gt; &#91;d&#93; &#36;e&#36; &#92;"
    assert E.latex_text("x_1 & 50% ~ γ") == r"x\_1 \& 50\% \textasciitilde{} \ensuremath{\gamma}"
