"""Review 37's smaller language findings, each in the rendered note where the reviewer read it:
the new wording is there and the old is not."""
from __future__ import annotations

import json

import pytest

import explain
from explain.render import render
from tests.conftest import FIXTURES, require_module

LLAMA = FIXTURES / "hf" / "llama-2-7b.json"
ALL = ("params", "compute", "memory")


@pytest.fixture(scope="module")
def llama():
    model = explain.load(LLAMA)
    return {lang: render(model, lang=lang, count=ALL) for lang in ("de", "fr")}


def test_de_attention_clause_has_a_verb(llama):
    """'…, $4d^2$ Gewichte unabhängig von …' had no verb (and no '$d \\times d$-Matrizen': LaTeX
    would break the formula at the hyphen)."""
    de = llama["de"]
    assert ("Projektionen für Query, Key, Value und Ausgabe Matrizen der Größe $d \\times d$ mit zusammen "
            "$4d^{2}$ Gewichten, unabhängig von der Anzahl der Köpfe.") in de
    assert "Gewichte unabhängig von" not in de


def test_de_training_step_gives_one_sample_first_with_its_verb(llama):
    de = llama["de"]
    assert ("Für ein Beispiel, also eine Sequenz von $T = 4{.}096$ Tokens, kostet ein Trainingsschritt "
            "$C_{\\text{step}}$ FLOPs (für einen Batch von $B$ Beispielen $B \\cdot C_{\\text{step}}$):") in de
    assert "Mit einem Batch von" not in de
    seed = render(explain.load("example:seed-cnn"), lang="de", count=("params", "compute"))
    assert "Für ein Beispiel kostet ein Trainingsschritt $C_{\\text{step}}$ FLOPs (für einen Batch" in seed


def test_fr_kaplan_forms_are_approximations_and_the_library_is_named(llama):
    fr = llama["fr"]
    assert "Kaplan et al. (2020, tableau 1) donnent des formules approchées." in fr
    assert "La formule approchée omet aussi" in fr
    assert "formule close" not in fr and "formules closes" not in fr
    assert "propres à la bibliothèque (PyTorch, Keras)." in fr and "framework" not in fr


def test_es_gemma_note_says_red_prealimentada(tmp_path):
    """Gemma 2 and 3 normalize before and after the attention and the feed-forward network
    (transformers' Gemma3DecoderLayer has the four RMSNorms)."""
    transformers = require_module("transformers")
    config = transformers.Gemma3TextConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                           num_attention_heads=4, num_key_value_heads=2, head_dim=8)
    layer = transformers.Gemma3ForCausalLM(config).model.layers[0]
    assert {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
            "post_feedforward_layernorm"} <= {name for name, _ in layer.named_children()}
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**config.to_dict(), "architectures": ["Gemma3ForCausalLM"]}, default=str), "utf-8")
    es = render(explain.load(str(path)), lang="es")
    assert "tanto de la atención como de la red prealimentada" in es and "feed-forward" not in es


def test_the_context_length_sentence_and_the_smaller_findings(llama):
    """de/fr/es/ja: 'A sequence is counted at the context length' read unidiomatically; de the
    softmax 'deren Summe 1 ist'; ja the comparison with a plain feed-forward network's 2 matrices."""
    assert "Jede Sequenz wird mit der vollen Kontextlänge von 4.096 Positionen angesetzt." in llama["de"]
    assert "On suppose des séquences de longueur maximale, soit 4\u202f096 positions." in llama["fr"]
    model = explain.load(LLAMA)
    es = render(model, lang="es", count=ALL)
    ja = render(model, lang="ja", count=ALL)
    assert ("Se supone que cada ejemplo es una secuencia de la longitud de contexto completa, 4096 posiciones."
            in es) and "Para un Transformer de solo decodificador," in es and "Esta capa no tiene sesgo." in es
    assert "各系列は、コンテキスト長いっぱいの 4,096 個の位置を持つものとして数えます。" in ja
    assert "通常のフィードフォワードネットワークでは行列が 2 つですが、ここでは" in ja
    assert "この部分はスコア $QK^{\\top}$ の計算とバリューの重み付き和という 2 つの積からなり" in ja
    assert "計算をしません" not in ja
    mobilenet = render(explain.load(FIXTURES / "keras" / "MobileNet.json"), lang="de")
    assert "Wahrscheinlichkeiten, deren Summe 1 ist." in mobilenet and "summieren" not in mobilenet
