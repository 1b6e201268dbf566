"""A citation's "et al." never breaks between its words in LaTeX, in every language (review 36 es:
"Korthikanti et / al." at a line end in three PDFs)."""
from __future__ import annotations

import re

import pytest

import explain
from explain.render import render
from explain.render.escape import latex_message
from tests.conftest import FIXTURES

LLAMA = FIXTURES / "hf" / "llama-2-7b.json"


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "ja"])
def test_every_citation_is_tied(lang):
    latex = render(explain.load(LLAMA), lang=lang, format="latex", count=("params", "compute", "memory"))
    assert not re.search(r"et\s+al\.", latex)  # neither a space nor a line break between them
    names = set(re.findall(r"(\w+) et~al\.", latex))
    markdown = render(explain.load(LLAMA), lang=lang, count=("params", "compute", "memory"))
    assert "et~al." not in markdown
    if lang == "ja":  # Japanese cites "Kaplan ら（2020）", in its sentences and its heading (review 37 ja)
        assert names == set() and "Korthikanti ら（2022）" in latex and "Rajbhandari ら（2020）" in latex
        assert r"\subsubsection*{Kaplan ら（2020）}" in latex and "### Kaplan ら（2020）" in markdown
        assert "Micikevicius ら（2018）" in markdown and "2020 年" not in markdown and "2018 年" not in markdown
    else:
        assert {"Kaplan", "Korthikanti", "Rajbhandari", "Micikevicius"} <= names
        assert r"\subsubsection*{Kaplan et~al. (2020)}" in latex and "### Kaplan et al. (2020)" in markdown


def test_only_the_citation_is_tied():
    assert latex_message("Kaplan et al. (2020) and Rajbhandari et al., 2020") == \
        "Kaplan et~al. (2020) and Rajbhandari et~al., 2020"
    assert latex_message("Sweet alpha") == "Sweet alpha"
    assert latex_message("cadet al. x") == "cadet al. x"  # not a word "et"
