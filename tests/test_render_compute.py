"""The compute section (--count compute): GPT-2's Kaplan figures beside the exact ones, KaTeX
renders every formula, the seed CNN's and GPT-2's German LaTeX compiles with them."""
from __future__ import annotations

import pytest

from explain.importers import load
from explain.render import render
from tests.conftest import FIXTURES
from tests.render_helpers import LANGS, compile_latex, formulas, katex_errors, pdf_text, require_tool

T, D, L, V = 1024, 768, 12, 50257
N = 2 * D * L * (2 * D + 4 * D)                 # Kaplan: 2·d_model·n_layer·(2·d_attn + d_ff) = 84,934,656
KAPLAN_FORWARD = 2 * N + 2 * L * T * D           # 2N + 2·n_layer·n_ctx·d_attn = 188,743,680
# exact MACs per token: Q, K, V, output projection 4d², feed-forward 8d² per block; scores QKᵀ and
# the weighted sum of V, T·d each per block; the LM head V·d
EXACT_MACS = L * (12 * D * D + 2 * T * D) + V * D    # 142,406,400


@pytest.mark.parametrize("lang", LANGS)
def test_gpt2_shows_kaplans_forward_figure_and_the_exact_one(lang):
    text = render(load(FIXTURES / "hf" / "gpt2.json"), lang=lang, format="markdown", count=("params", "compute"))
    digits = text.replace("{,}", "").replace("{.}", "").replace("\\,", "").replace(",", "") \
        .replace(".", "").replace("\u202f", "").replace("\u00a0", "")
    for n in (N, KAPLAN_FORWARD, EXACT_MACS, 2 * EXACT_MACS, 2 * EXACT_MACS - KAPLAN_FORWARD, 6 * N):
        assert str(n) in digits, (lang, n)
    assert katex_errors(formulas(text)) == []


def test_seed_cnn_compute_section_without_kaplan_renders():
    model = load("example:seed-cnn")
    text = render(model, lang="de", format="markdown", count=("params", "compute", "memory"))
    assert "Kaplan" not in text and "## Rechenaufwand" in text
    assert katex_errors(formulas(text)) == []


def test_german_latex_with_compute_and_memory_compiles(tmp_path):
    require_tool("lualatex")
    for name, source in (("seed", "example:seed-cnn"), ("gpt2", FIXTURES / "hf" / "gpt2.json")):
        tex = render(load(source), lang="de", format="latex", count=("params", "compute", "memory"))
        text = pdf_text(compile_latex(tex, tmp_path / name, "doc"))
        assert "Rechenaufwand" in text and "Speicherbedarf beim Training" in text
        if name == "gpt2":
            assert "188.743.680" in text
