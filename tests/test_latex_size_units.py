"""PDF/LaTeX layout: a size never parts from its unit."""
from __future__ import annotations

import re

import pytest

import explain
from explain.render import render
from explain.render.numbers import format_bytes
from tests.render_helpers import LANGS


@pytest.mark.parametrize("lang", LANGS)
def test_a_size_never_parts_from_its_unit(lang):
    """ja reviewer (seedcompute p. 12): "10.6" / "MB" broke across lines. 10,600,000 bytes are
    10.6 MB (1 MB = 10⁶ bytes) and 1,500 bytes 1.50 kB; between the number and its unit there is no
    breakable space, in any language, and in the LaTeX source a no-break space."""
    for n, number in ((10_600_000, "10.6"), (1_500, "1.50")):
        text = format_bytes(n, lang)
        assert " " not in text, repr(text)
        assert re.sub(r"[,.]", ".", text).startswith(number), text
    latex = render(explain.load("example:seed-cnn"), lang=lang, format="latex",
                   count=("params", "compute", "memory"))
    body = latex[latex.index("\\begin{document}"):]
    # table cells never break; Keras's own "23.00 MB" is one unbreakable code span
    prose = [re.sub(r"\\mbox\{\\texttt\{[^}]*\}\}", "", line) for line in body.split("\n") if "&" not in line]
    assert not [line for line in prose if re.search(r"\d (?:MB|kB|MiB|KiB|Mo|ko|Mio|Kio)\b", line)]
