"""Round-16 lecturers' findings on the transformer documents (gpt2, bert, llama, t5, mha), round 17,
checked in the rendered documents."""
from __future__ import annotations

import json

import pytest

import explain
from tests.conftest import FIXTURES, assert_wording, require_module
from tests.conftest import derivation_md as _md

LANGS = ("en", "de", "fr", "ja", "es")


@pytest.mark.parametrize("source,lang,present,absent", [
    # the heads split the OUTPUT features of Q, K and V (d/H each); "the d columns" read as the input
    ("hf/bert-base-uncased.json", "en", "split the $d$ output features of the query, key and value", "columns"),
    ("hf/bert-base-uncased.json", "de", "teilen die $d$ Ausgabemerkmale der Query-, Key- und Value-Projektion",
     "Spalten"),
    ("hf/bert-base-uncased.json", "fr", "les $d$ caractéristiques de sortie des projections", "colonnes"),
    ("hf/bert-base-uncased.json", "ja", "$d$ 個の出力特徴はヘッド数で等分", "列を分け合う"),
    ("hf/bert-base-uncased.json", "es", "Las $d$ características de salida de las proyecciones de consulta, "
     "clave y valor se reparten a partes iguales entre las cabezas", "columnas"),
    ("hf/gpt2.json", "en", "split the $d$ outputs of each of the three into equal parts", "columns"),
    ("hf/gpt2.json", "de", "teilen die $d$ Ausgaben jeder der drei Projektionen", "Spalten"),
    # es (round 17): the d outputs are split among the heads, not "one [output] per head"
    ("hf/gpt2.json", "es", "Las $d$ salidas de cada una de las tres proyecciones se reparten a partes "
     "iguales entre las cabezas de atención, una parte por cabeza", "una por cabeza"),
    ("hf/bert-base-uncased.json", "es", "se reparten a partes iguales entre las cabezas de atención, "
     "una parte por cabeza", "una por cabeza"),
    # German γ/β: γ holds the scales, β the shifts (not „enthalten je“)
    ("specs/mha_small.yaml", "de", "$\\gamma$ (`gamma`) enthält für jedes normalisierte Merkmal einen "
     "Skalierungsfaktor, $\\beta$ (`beta`) eine Verschiebung.", "enthalten je"),
])
def test_round16_wording(source, lang, present, absent):
    assert_wording(_md(source, lang), present, absent)


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
    assert ("The model consists of an embedding layer, 32 transformer blocks, a final normalization and the LM head."
            in _md("hf/llama-2-7b.json"))
    assert ("The model consists of an embedding layer, two tables of relative position biases, six encoder "
            "blocks, six decoder blocks, two final normalizations (one at the end of the encoder, one at the end "
            "of the decoder) and the LM "
            "head." in _md("hf/t5-small.json"))
    assert ("Das Modell besteht aus einer Embedding-Schicht, 32 Transformer-Blöcken, einer abschließenden "
            "Normalisierung und dem LM-Kopf." in _md("hf/llama-2-7b.json", "de"))
    assert "このモデルは、埋め込み層 1 個、Transformer ブロック 32 個、最後の正規化層、LM ヘッドからなります。" in _md(
        "hf/llama-2-7b.json", "ja")
    # a model whose rows are no such parts keeps its layer count
    assert "consists of" not in _md("specs/mha_small.yaml")


@pytest.mark.parametrize("lang", LANGS)
def test_the_stack_row_writes_its_block_count_as_a_number(lang):
    """GPT-2: 12 blocks (n_layer) of 12d² + 13d = 7,087,872 each (hand: 12 × 589,824 + 13 × 768);
    the summary row is numeric like every other row (round 18, de/es/fr lecturers: 'L × (…)' mixed a
    symbol into the numbers): 12 × (12 × 768² + 13 × 768) = 85,054,464."""
    assert 12 * (12 * 768 ** 2 + 13 * 768) == 85_054_464
    text = _md("hf/gpt2.json", lang)
    assert r"$12 \times (12 \times 768^{2} + 13 \times 768)$ | 85" in text
    assert r"$L \times (" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_every_stack_row_writes_its_block_count_as_a_number(lang):
    """Llama-2-7b: num_hidden_layers = 32; T5-small: num_layers = num_decoder_layers = 6."""
    hf = FIXTURES / "hf"
    n_llama = json.loads((hf / "llama-2-7b.json").read_text())["num_hidden_layers"]
    t5_config = json.loads((hf / "t5-small.json").read_text())
    llama = _md("hf/llama-2-7b.json", lang)
    assert rf"${n_llama} \times (4 \times 4" in llama and r"$L \times" not in llama
    t5 = _md("hf/t5-small.json", lang)
    assert t5_config["num_layers"] == t5_config["num_decoder_layers"]
    assert t5.count(rf"${t5_config['num_layers']} \times (") == 2 and r"$L \times" not in t5


def test_a_stacked_heading_keeps_short_words_with_the_next():
    """« Part du total » stacked word by word took 3 lines over percentages 4 characters wide; the
    preposition stays with its noun. Headings without one stack as before."""
    from explain.render.view import head_lines
    assert head_lines("Part du total") == ["Part", "du total"]
    # round 18 (en): "Non-" over "trainable" read as a hyphenated word; a word is never split
    assert head_lines("Non-trainable") == ["Non-trainable"]
    assert head_lines("Non entraînables") == ["Non", "entraînables"]
    assert head_lines("Nicht trainierbar") == ["Nicht", "trainierbar"]


def test_t5_block_sentences_are_split_and_name_the_activation():
    """t5-small's config: feed_forward_proj relu, so transformers' T5Config.dense_act_fn is relu (read,
    not hard-coded: gated-gelu gives gelu_new); each block sentence is cut into its parts."""
    transformers = require_module("transformers")
    cfg = transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / "t5-small.json")
    text = _md("hf/t5-small.json")
    line = next(x for x in text.splitlines() if x.startswith("A T5 encoder block"))
    assert f"the activation `{cfg.dense_act_fn}` follows" in line and cfg.dense_act_fn == "relu"
    assert line.count(". ") >= 3
    assert "Aktivierung `relu`" in _md("hf/t5-small.json", "de")


def test_live_llama_names_its_norm_by_its_class_as_the_config_route_does():
    """explain.from_torch on a transformers LlamaForCausalLM: model.norm and the blocks' norms are
    LlamaRMSNorm modules; the config route names the row LlamaRMSNorm, and so does the live route."""
    transformers = require_module("transformers")
    cfg = transformers.LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=24, num_hidden_layers=1,
                                   num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=32)
    hf = transformers.LlamaForCausalLM(cfg)
    assert type(hf.model.norm).__name__ == "LlamaRMSNorm"
    live = explain.from_torch(hf, input_shape=(1, 8))
    types = {n.name: n.type for n in live.nodes}
    norms = [t for t in types.values() if "RMSNorm" in t]
    assert norms and all(t == "LlamaRMSNorm" for t in norms), types


@pytest.mark.parametrize("lang,said", [
    ("en", "each head computes $\\operatorname{softmax}\\bigl(Q K^{\\top} / \\sqrt{d_{k}}\\bigr) V$ (scaled dot-product"),
    ("de", "jeder Kopf berechnet $\\operatorname{softmax}"),
    ("fr", "chaque tête calcule ensuite $\\operatorname{softmax}"),
    ("ja", "スケール付き内積アテンション $\\operatorname{softmax}"),
    ("es", "cada cabeza calcula $\\operatorname{softmax}"),
])
def test_multi_head_sentence_says_what_each_head_computes(lang, said):
    """keras MultiHeadAttention: each head softmax(QKᵀ/√key_dim)·V (its _compute_attention scales the
    query by 1/√key_dim), then the concatenation and the output projection."""
    text = _md("specs/mha_small.yaml", lang)
    assert said in text


@pytest.mark.parametrize("source", ["hf/bert-base-uncased.json", "hf/llama-2-7b.json"])
def test_hf_blocks_say_what_each_head_computes(source):
    """BertSelfAttention divides QKᵀ by √attention_head_size and LlamaAttention scales by
    head_dim**-0.5 (d_h = d/H for both here): softmax(QKᵀ/√d_h)·V per head, no weights."""
    text = _md(source)
    mask = " + M" if "llama" in source else ""  # LlamaAttention is causal, BertSelfAttention is not
    assert rf"Each head computes $\operatorname{{softmax}}\bigl(Q K^{{\top}} / \sqrt{{d_{{h}}}}{mask}\bigr) V$" in text
    for lang in ("de", "fr", "ja", "es"):
        assert r"\sqrt{d_{h}}" in _md(source, lang), lang
