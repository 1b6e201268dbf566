"""Wording of the Llama document (review 36): the LM head's weights are counted "in addition to" the
embedding's, "centering" in US spelling, the FLOP difference after the number it comes from, the
6N sentence compares MACs with N MACs, es "mientras que" for a contrast."""
from __future__ import annotations

import json

import pytest

import explain
from explain.render import render
from tests.conftest import FIXTURES

LLAMA = FIXTURES / "hf" / "llama-2-7b.json"


@pytest.fixture(scope="module")
def docs() -> dict[str, str]:
    return {lang: render(explain.load(LLAMA), lang=lang, count=("params", "compute"))
            for lang in ("en", "de", "fr", "es", "ja")}


def test_english_wording(docs):
    en = docs["en"]
    assert "weights of its own, counted in addition to the embedding's." in en and "beside" not in en
    assert "no shift, no centering)" in en and "centring" not in en


def test_the_flop_difference_follows_its_number(docs):
    cfg = json.loads(LLAMA.read_text())
    d, layers, ctx, f, V = (cfg[k] for k in ("hidden_size", "num_hidden_layers", "max_position_embeddings",
                                             "intermediate_size", "vocab_size"))
    n = 2 * d * layers * (2 * d + 3 * f // 2)  # Kaplan's N with d_ff = 3f/2
    assert n == 6_476_005_376
    forward = 2 * n + 2 * layers * ctx * d  # C_forward
    exact = 7_680_819_200  # MACs per token the document derives (its blocks and head)
    assert exact == layers * (4 * d * d + 3 * d * f + 2 * ctx * d) + V * d  # by hand: blocks and the LM head
    en = docs["en"]
    lead = f"Counted exactly, a token takes on average {exact:,} MACs, that is, in FLOPs:"
    after = f"That is {2 * exact - forward:,} FLOPs more than $C_{{\\text{{forward}}}}$."
    assert lead in en and after in en and en.index(lead) < en.index(f"{2 * exact:,}".replace(",", "{,}")) < en.index(after)
    rest = exact - n
    assert (f"per token, the exact count has {rest:,} MACs more than the $N$ MACs (one per parameter) that $6N$ "
            "assumes") in en
    assert "beyond the one MAC per parameter" not in en
    assert "$6N$ setzt je Token eine MAC je Parameter von $N$ an; die genaue Zählung ergibt je Token" in docs["de"]
    assert "MAC de plus que les $N$ MAC (une par paramètre) que suppose $6N$" in docs["fr"]
    assert "MAC más que las $N$ MAC (una por parámetro) que presupone $6N$" in docs["es"]
    assert "Das sind 1.335.885.824 FLOPs mehr als $C_{\\text{forward}}$." in docs["de"]
    assert "これは $C_{\\text{forward}}$ より 1,335,885,824 FLOP 多い値です。" in docs["ja"]


def test_spanish_contrast(docs):
    es = docs["es"]
    assert "cada una, mientras que una red prealimentada simple tiene dos." in es
    assert "(proyecciones gate, up y down), mientras que la de Kaplan et al. tiene dos" in es
    assert " donde una red prealimentada" not in es and "down) donde la de Kaplan" not in es
    assert "La red prealimentada tiene compuerta (SwiGLU" in es
