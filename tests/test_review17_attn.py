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


def test_hf_documents_open_with_what_the_model_consists_of():
    """Counted by hand from the configs: Llama-2-7b num_hidden_layers 32, tie_word_embeddings false
    (lm_head has weights of its own); t5-small num_layers = num_decoder_layers = 6, a
    relative_attention_bias in the first block of each stack, a final_layer_norm after each stack,
    lm_head tied to shared."""
    import json
    llama = json.loads((FIXTURES / "hf/llama-2-7b.json").read_text())
    t5 = json.loads((FIXTURES / "hf/t5-small.json").read_text())
    assert llama["num_hidden_layers"] == 32 and not llama.get("tie_word_embeddings", True)
    assert t5["num_layers"] == 6 and t5.get("num_decoder_layers", 6) == 6
    assert ("The model consists of an embedding, 32 transformer blocks, a final normalization and the LM head."
            in _md("hf/llama-2-7b.json"))
    assert ("The model consists of an embedding, 2 tables of relative position biases, 6 encoder blocks, "
            "6 decoder blocks, 2 final normalizations (one after each stack of blocks) and the LM head (tied to "
            "the token embedding)." in _md("hf/t5-small.json"))
    assert ("Das Modell besteht aus einem Embedding, 32 Transformer-Blöcken, einer abschließenden "
            "Normalisierung und dem LM-Kopf." in _md("hf/llama-2-7b.json", "de"))
    assert "このモデルは、埋め込み 1 つ、Transformer ブロック 32 個、最後の正規化、LM ヘッドで構成されています。" in _md(
        "hf/llama-2-7b.json", "ja")
    # a model whose rows are no such parts keeps its layer count
    assert "consists of" not in _md("specs/mha_small.yaml")
