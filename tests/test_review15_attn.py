"""Round-14 reviewers' findings on the transformer documents (gpt2, bert, llama, t5, mha), round 15:
wording in one language each (agreement, register, glosses), checked in the rendered documents."""
from __future__ import annotations

import pytest

import explain
from tests.conftest import FIXTURES


def _md(source: str, lang: str = "en") -> str:
    from explain.render.documents import render_document
    return render_document("derivation", explain.load(FIXTURES / source), lang=lang, format="markdown")


@pytest.mark.parametrize("source,lang,present,absent", [
    # US spelling like the rest of the text (normalization, normalized)
    ("hf/bert-base-uncased.json", "en", "serves as a summary of the whole input", "summarise"),
    # what is scaled is the dot product (QKᵀ/√d_k): « produit scalaire normalisé » (round 18: the
    # term French courses use), agreeing with « produit »
    ("specs/mha_small.yaml", "fr", "produit scalaire normalisé", "produit scalaire normalisée"),
    # γ holds the scale, β the shift (not each of them both)
    ("specs/mha_small.yaml", "fr", "contient un facteur d’échelle et $\\beta$", "contiennent un facteur"),
    ("specs/mha_small.yaml", "fr", "pendant l’entraînement comme lors de l’inférence", "à l’entraînement comme"),
    ("specs/mha_small.yaml", "es", "tanto durante el entrenamiento como durante la inferencia",
     "tanto en el entrenamiento"),
    # one sentence, not "no weights. … adds no parameters." twice
    ("specs/mha_small.yaml", "ja", "重みはないので、この層によるスキップ接続", "重みはありません。この層による"),
    ("hf/gpt2.json", "es", "Estos pesos se cuentan solo allí", "(pesos compartidos). Se cuentan"),
    # the English term glossed in llama too, as in gpt2
    ("hf/llama-2-7b.json", "fr", "dimension cachée du réseau à propagation avant (feed-forward)",
     "dimension cachée du réseau feed-forward"),
    ("hf/llama-2-7b.json", "fr", "font passer de la dimension $d$ à la dimension $f$", "envoient $d$ sur $f$"),
    ("hf/bert-base-uncased.json", "de", "1 für echte Token und 0 für", "echte Tokens"),
    ("hf/bert-base-uncased.json", "de", "`[CLS]`; die Sequenzachse entfällt. Dieser Vektor dient als Zusammenfassung",
     "zusammenzufassen; die Sequenzachse"),
    ("hf/bert-base-uncased.json", "de", "die das Token-Typ-Embedding nachschlägt;",
     "die Indizes, die das Token-Typ-Embedding nachschlägt"),
])
def test_round14_wording(source, lang, present, absent):
    text = _md(source, lang)
    assert present in text
    assert absent not in text
