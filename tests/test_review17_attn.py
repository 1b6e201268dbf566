"""Round-16 lecturers' findings on the transformer documents (gpt2, bert, llama, t5, mha), round 17,
checked in the rendered documents."""
from __future__ import annotations

import pytest

import explain
from tests.conftest import FIXTURES

LANGS = ("en", "de", "fr", "ja", "es")


def _md(source: str, lang: str = "en") -> str:
    from explain.render.documents import render_document
    return render_document("derivation", explain.load(FIXTURES / source), lang=lang, format="markdown")


@pytest.mark.parametrize("source,lang,present,absent", [
    # the heads split the OUTPUT features of Q, K and V (d/H each); "the d columns" read as the input
    ("hf/bert-base-uncased.json", "en", "split the $d$ output features of the query, key and value", "columns"),
    ("hf/bert-base-uncased.json", "de", "teilen die $d$ Ausgabemerkmale der Query-, Key- und Value-Projektion",
     "Spalten"),
    ("hf/bert-base-uncased.json", "fr", "les $d$ caractéristiques de sortie des projections", "colonnes"),
    ("hf/bert-base-uncased.json", "ja", "$d$ 個の出力特徴はヘッドの数で等分", "列を分け合う"),
    ("hf/bert-base-uncased.json", "es", "las $d$ características de salida de las proyecciones", "columnas"),
    ("hf/gpt2.json", "en", "split the $d$ outputs of each of the three into equal parts", "columns"),
    ("hf/gpt2.json", "de", "teilen die $d$ Ausgaben jeder der drei Projektionen", "Spalten"),
    # German γ/β: γ holds the scales, β the shifts (not „enthalten je“)
    ("specs/mha_small.yaml", "de", "$\\gamma$ (`gamma`) enthält für jedes normalisierte Merkmal einen "
     "Skalierungsfaktor, $\\beta$ (`beta`) eine Verschiebung.", "enthalten je"),
])
def test_round16_wording(source, lang, present, absent):
    text = _md(source, lang)
    assert present in text
    assert absent not in text
