"""LaTeX titles are set ragged right: a title of two lines (German seed_cnn with compute and memory)
keeps normal word spaces on its first line instead of stretching it to the margin."""
from __future__ import annotations

import re
import subprocess

from explain.importers import load
from explain.render import render
from tests.render_helpers import compile_latex, require_tool

WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>([^<]*)</word>')


def test_two_line_title_keeps_normal_word_spaces(tmp_path):
    tex = render(load("example:seed-cnn"), lang="de", format="latex", count=("params", "compute", "memory"))
    pdf = compile_latex(tex, tmp_path, "doc")
    bbox = subprocess.run([require_tool("pdftotext"), "-f", "1", "-l", "1", "-bbox", str(pdf), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    words = [(float(x0), float(y0), float(x1), w) for x0, y0, x1, w in WORD.findall(bbox)]
    first_y = words[0][1]
    line = [w for w in words if w[1] == first_y]
    assert line[0][3] == "Parameter," and len(line) >= 5  # the title's first line, several words
    assert any(w[3] == "seed_cnn" and w[1] > first_y for w in words)  # the name went to line 2
    gaps = [b[0] - a[2] for a, b in zip(line, line[1:])]
    # a word space of the 14.4 pt title font is about 5 pt (stretchable to ~8 pt); justified, ~14 pt
    assert max(gaps) < 8, gaps
