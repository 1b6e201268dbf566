"""Round-10 reviewers' findings on the transformer documents and the frame of every document
(round 11: wording)."""
from __future__ import annotations

import re

import pytest

import explain
from tests.conftest import FIXTURES, require_module


def _md(name: str, lang: str = "en") -> str:
    from explain.render.documents import render_document
    return render_document("derivation", explain.load(FIXTURES / name), lang=lang, format="markdown")


def test_box_sentence_is_true_of_inputs_and_steps():
    """GPT-2's picture draws the input input_ids, the positions it looks up and the sum of the two
    embeddings (a step of the forward pass, no module): the sentence under "Architecture" says a box
    is an input, a layer or a step; it no longer calls every box a layer."""
    text = _md("hf/gpt2.json")
    chart = text[text.index("```mermaid"):text.index("## Summary")]
    assert '[/"<b>input_ids</b> (Input)' in chart and "(sum of the embeddings)" in chart
    assert ("Each box is a model input, a layer or a step of the forward pass; a layer's box shows "
            "its name, type, output shape and number of parameters. The arrows show the "
            "data flow.") in text
    assert "Each box is a layer" not in text


@pytest.mark.parametrize("lang,heading", [("en", "Distribution of the parameters"),
                                          ("fr", "Répartition des paramètres"),
                                          ("es", "Distribución de los parámetros"),
                                          ("ja", "パラメータの内訳")])
def test_bar_chart_heading(lang, heading):
    text = _md("specs/mha_small.yaml", lang)
    assert f"## {heading}\n" in text


def test_french_axis_says_percent_with_its_sign():
    text = _md("specs/mha_small.yaml", "fr")
    assert "Part des paramètres (%)" in text and "en pourcentage" not in text


def test_gpt2_says_once_in_its_intro_how_the_stack_reads():
    """transformers' GPT2Model holds n_layer = 12 GPT2Block modules in transformer.h, each with its
    own parameters; the intro names the row, the derivation says the weights are each block's own."""
    transformers = require_module("transformers")
    config = transformers.GPT2Config(n_layer=2, n_embd=8, n_head=2, vocab_size=10, n_positions=4)
    h = transformers.GPT2Model(config).h
    assert h[0].attn.c_attn.weight.data_ptr() != h[1].attn.c_attn.weight.data_ptr()
    text = _md("hf/gpt2.json")
    intro = text[:text.index("## Architecture")]
    assert ("In the summary table below, the row `transformer.h` stands for the $L = 12$ blocks, one after the "
            "other; the model's inputs are not listed.\n") in intro
    assert "The row `transformer.h`" not in intro  # said once (round 18, en lecturer #7)
    assert "weights of its own" not in intro
    assert "- $L = 12$: number of transformer blocks\n" in intro
    assert "An embedding layer like layer 1 (`transformer.wte`)." in text


def test_german_block_count_and_memory_wording():
    """de reviewer: 'L = 12 Wiederholungen' reads as 13 blocks; 'Sein 1 MB' is awkward."""
    text = _md("hf/gpt2.json", "de")
    assert "Das Modell enthält $L = 12$ solcher Blöcke, jeder mit eigenen Gewichten:" in text
    assert "Wiederholungen" not in text
    memory = _md("specs/mha_small.yaml", "de")
    assert re.search("Dort ist 1\u00a0KB\u00a0= 2¹⁰\u00a0Byte, also 1\u00a0KiB", memory), memory[-600:]


def test_bert_optional_inputs_reviewers_wording():
    text = _md("hf/bert-base-uncased.json", "de")
    assert ("Das Modell erhält außerdem drei optionale Eingaben derselben Form: `token_type_ids`, "
            "für jedes Token die Nummer seines Segments (standardmäßig 0), die das Token-Typ-Embedding "
            "nachschlägt; `attention_mask`, 1 für echte Token und 0 für Padding-Positionen, die von der "
            "Attention ignoriert werden; und `position_ids` (0, 1, 2, …, wenn nicht übergeben). Diese Eingaben fügen "
            "keine Parameter hinzu.") in text


def test_french_and_spanish_frame_wording():
    fr = _md("hf/llama-2-7b.json", "fr")
    assert ("Le modèle comprend une couche de plongement, 32 blocs Transformer, une normalisation finale et la tête de "
            "modélisation du langage. Dans le tableau récapitulatif ci-dessous, la ligne `model.layers` représente "
            "les $L = 32$ blocs, appliqués l’un après l’autre\u202f; les entrées du modèle n’y figurent pas.") in fr
    es = _md("specs/mha_small.yaml", "es")
    assert "para Keras, 1\u00a0KB son 2¹⁰\u00a0bytes" in es and "su 1" not in es
    gpt2 = _md("hf/gpt2.json", "es")
    assert "Una caja de borde discontinuo reutiliza los pesos de la capa que nombra; esos pesos se " \
           "cuentan una sola vez, en esa capa." in gpt2


def test_long_block_sentences_are_split():
    """fr/es/ja/de reviewers: GPT-2's block in one sentence with parentheses three deep; Llama's in fr/es.
    Each part is its own sentence, and no parenthesis holds another."""
    for lang, first in [("fr", "La première, après `ln_1`, est une auto-attention masquée"),
                        ("es", "La primera, tras `ln_1`, es la autoatención enmascarada"),
                        ("de", "Der erste Teil ist die maskierte (kausale) Self-Attention nach `ln_1`"),
                        ("ja", "1 つ目の部分は `ln_1` と因果マスク付きセルフアテンション（causal self-attention）です。")]:
        text = _md("hf/gpt2.json", lang)
        assert first in text, lang
        line = next(x for x in text.splitlines() if first in x)
        assert not re.search(r"[(（][^)）]*[(（]", line), (lang, line)
    for lang, second in [("fr", "La seconde est la normalisation RMS `post_attention_layernorm`"),
                         ("es", "La segunda es la normalización RMS `post_attention_layernorm`")]:
        text = _md("hf/llama-2-7b.json", lang)
        line = next(x for x in text.splitlines() if second in x)
        assert not re.search(r"[(（][^)）]*[(（]", line), (lang, line)


def test_reviewers_wording_mha_and_tied_head():
    fr = _md("specs/mha_small.yaml", "fr")
    assert "c’est l’attention par produit scalaire normalisé (scaled dot-product attention), qui n’a pas de paramètres" in fr
    assert "$\\gamma$ (`gamma`) contient un facteur d’échelle et $\\beta$ (`beta`) un décalage" in fr and "s’appelle" not in fr
    de = _md("hf/gpt2.json", "de")
    assert ("Diese Gewichte werden nur bei `transformer.wte` gezählt; der Kopf fügt also keine Parameter hinzu. "
            "Die Kopplung spart") in de


def test_llama_head_size_in_its_list_is_a_slash_fraction():
    """Llama-2-7B: hidden_size 4096, 32 heads, so d_h = 4096/32 = 128 (transformers' head_dim); in a
    list item the fraction is written d/H, not a small \\frac (fr reviewer)."""
    import json
    cfg = json.loads((FIXTURES / "hf" / "llama-2-7b.json").read_text())
    assert cfg["hidden_size"] // cfg["num_attention_heads"] == 128
    text = _md("hf/llama-2-7b.json")
    assert "- $d_{h} = d/H = 128$: size of one attention head" in text
    assert not re.search(r"^- .*\\frac", text, re.M)


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_mha_derivation_says_the_tables_grouping(fmt):
    """The overview row of mha_small's attention (E = 32, H = 2, d_k = d_v = 16) says
    4 × 32 × 2 × 16 + 3 × 2 × 16 + 32: the four E·H·d_k kernels (query, key, value, output) and the
    three H·d_k biases plus the output bias; 4·1,024 + 3·32 + 32 = 4,224, Keras' count. The layer's
    derivation has that line just before its result (en, es, fr, ja reviewers)."""
    keras = require_module("keras")
    x = keras.Input((16, 32))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16)
    layer(x, x)
    assert layer.count_params() == 4 * 32 * 2 * 16 + 3 * 2 * 16 + 32 == 4224
    from explain.render.documents import render_document
    doc = render_document("derivation", explain.load(FIXTURES / "specs" / "mha_small.yaml"), lang="en", format=fmt)
    grouped = r"4 \times 32 \times 2 \times 16 + 3 \times 2 \times 16 + 32"
    assert doc.replace("\\allowbreak ", "").count(grouped) >= 2  # the table's row and the derivation
    derivation = doc[doc.rindex("&= " + grouped) + 3:]  # the equation's line (a sentence after it names it)
    assert re.match(re.escape(grouped) + r" \\\\\n&= 4\{,\}224\n", derivation), derivation[:120]


def test_japanese_sentences_of_a_paragraph_join_without_a_space():
    """ja reviewer: a newline between two sentences becomes a half-width space in Markdown and HTML
    (「表します。 × N と記された層は」, 「です。 Keras の」)."""
    from explain.render.documents import render_document
    doc = render_document("derivation", explain.load("example:seed-cnn"), lang="ja", format="markdown")
    assert "です。Keras の `model.summary()`" in doc
    gpt2 = _md("hf/gpt2.json", "ja")
    assert "矢印はデータの流れを表します。× N と記された層は" in gpt2
    lines = gpt2.split("\n")
    assert "```mermaid" in lines and "$$" in lines  # fences untouched
