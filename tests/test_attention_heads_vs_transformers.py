"""The attention heads of the transformer documents (gpt2, t5, llama with GQA): scaling, T5's
relative bias and grouped key/value heads, checked in the rendered documents against what
transformers' attention modules compute."""
from __future__ import annotations

import json

import pytest

import explain
from tests.conftest import FIXTURES, require_module

LANGS = ("en", "de", "fr", "ja", "es")
SDPA_H = r"\operatorname{softmax}\bigl(Q K^{\top} / \sqrt{d_{h}}\bigr) V"
T5_SCORES = r"\operatorname{softmax}\bigl(Q K^{\top} + B\bigr) V"
UNSCALED = r"\operatorname{softmax}\bigl(Q K^{\top}\bigr) V"
# causal attention adds the mask M (round 18, fr lecturer #1)
SDPA_H_CAUSAL = r"\operatorname{softmax}\bigl(Q K^{\top} / \sqrt{d_{h}} + M\bigr) V"
T5_CAUSAL = r"\operatorname{softmax}\bigl(Q K^{\top} + B + M\bigr) V"
UNSCALED_CAUSAL = r"\operatorname{softmax}\bigl(Q K^{\top} + M\bigr) V"


def _md(source, lang: str = "en") -> str:
    from explain.render.documents import render_document
    return render_document("derivation", explain.load(source), lang=lang, format="markdown")


def _config(tmp_path, name: str, **changes) -> str:
    config = json.loads((FIXTURES / "hf" / name).read_text())
    config.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(config))
    return str(path)


def _gpt2_scaling(**changes) -> float:
    """GPT2Attention's own factor on QKᵀ for a config of gpt2.json with ``changes`` (block 1)."""
    transformers = require_module("transformers")
    config = transformers.GPT2Config(**{**json.loads((FIXTURES / "hf" / "gpt2.json").read_text()), **changes})
    return transformers.models.gpt2.modeling_gpt2.GPT2Attention(config, layer_idx=1).scaling


@pytest.mark.parametrize("lang", LANGS)
def test_gpt2_heads_scaled_by_root_d_h(lang):
    """gpt2.json: scale_attn_weights true, so each head divides QKᵀ by √(768/12) = 8."""
    assert _gpt2_scaling() == pytest.approx(1 / 8)
    text = _md(FIXTURES / "hf/gpt2.json", lang)
    assert SDPA_H_CAUSAL in text and "$d_{h} = d/H$" in text and SDPA_H not in text


def test_gpt2_heads_follow_scale_attn_weights_and_the_layer_index(tmp_path):
    """scale_attn_weights false: GPT2Attention's factor is 1; with scale_attn_by_inverse_layer_idx
    block l's is 1/(l + 1) (block 1: 1/2)."""
    assert _gpt2_scaling(scale_attn_weights=False) == 1.0
    assert _gpt2_scaling(scale_attn_weights=False, scale_attn_by_inverse_layer_idx=True) == 0.5
    assert _gpt2_scaling(scale_attn_by_inverse_layer_idx=True) == pytest.approx(1 / 16)
    unscaled = _md(_config(tmp_path, "gpt2.json", scale_attn_weights=False))
    assert (f"each head computes ${UNSCALED_CAUSAL}$ on its part, $M$ being the causal mask, $-\\infty$ above "
            "the diagonal and 0 elsewhere: `scale_attn_weights` is false") in unscaled
    assert SDPA_H_CAUSAL not in unscaled
    by_layer = _md(_config(tmp_path, "gpt2.json", scale_attn_by_inverse_layer_idx=True))
    assert r"/ (\sqrt{d_{h}} \, (l + 1)) + M\bigr)" in by_layer and SDPA_H_CAUSAL not in by_layer
    both = _md(_config(tmp_path, "gpt2.json", scale_attn_weights=False, scale_attn_by_inverse_layer_idx=True))
    assert r"Q K^{\top} / (l + 1) + M\bigr)" in both and r"\sqrt{d_{h}}" not in both.split("masked (causal)")[-1][:300]


@pytest.mark.parametrize("lang", LANGS)
def test_t5_heads_add_the_position_bias_without_scaling(lang):
    """T5Attention: scores = QKᵀ + position_bias, no 1/√d_kv; the decoder's self-attention is causal
    and its EncDecAttention has no relative bias (has_relative_attention_bias=False: zeros)."""
    text = _md(FIXTURES / "hf/t5-small.json", lang)
    assert text.count(T5_SCORES) == 1  # the encoder block
    assert text.count(T5_CAUSAL) == 1  # the decoder block's masked self-attention
    assert text.count(UNSCALED) == 1  # the decoder's EncDecAttention
    assert r"\sqrt{d_{\text{kv}}}" in text
    assert SDPA_H not in text


def test_t5_attention_does_not_scale():
    transformers = require_module("transformers")
    config = transformers.T5Config(**json.loads((FIXTURES / "hf" / "t5-small.json").read_text()))
    t5 = transformers.models.t5.modeling_t5
    assert not t5.T5LayerCrossAttention(config).EncDecAttention.has_relative_attention_bias
    assert getattr(t5.T5Attention(config, has_relative_attention_bias=True), "scaling", 1.0) == 1.0


@pytest.mark.parametrize("lang", LANGS)
def test_gqa_heads_share_keys_and_values(tmp_path, lang):
    """Llama-2-7b's config with num_key_value_heads = 8 < 32 heads: LlamaAttention scales by
    head_dim**-0.5 and repeats each key/value head for H/H_kv = 4 query heads."""
    transformers = require_module("transformers")
    path = _config(tmp_path, "llama-2-7b.json", num_key_value_heads=8)
    attention = transformers.models.llama.modeling_llama.LlamaAttention(
        transformers.LlamaConfig(**json.loads(open(path).read())), layer_idx=0)
    assert attention.num_key_value_groups == 4 and attention.scaling == pytest.approx(128 ** -0.5)
    text = _md(path, lang)
    assert attention.is_causal
    assert SDPA_H_CAUSAL in text and r"$H/H_{\text{kv}}$" in text


@pytest.mark.parametrize("lang", LANGS)
def test_total_writes_a_product_of_numbers_without_brackets(lang):
    """gpt2.json: n_layer = 12 and n_embd = 768, so 12L·d² = 12 · 12 · 768² = 84,934,656, printed
    as textbooks do, 12 × 12 × 768², with no brackets around a product of numbers that is itself a
    factor (ja lecturer: '(12 × 12) × 768²' read as a generator artefact)."""
    config = json.loads((FIXTURES / "hf" / "gpt2.json").read_text())
    assert 12 * config["n_layer"] * config["n_embd"] ** 2 == 84_934_656
    text = _md(FIXTURES / "hf/gpt2.json", lang)
    assert r"12L \cdot d^{2} &= 12 \times 12 \times 768^{2}" in text
    assert r"(12 \times 12)" not in text
    assert r"13L \cdot d &= 13 \times 12 \times 768" in text


@pytest.mark.parametrize("lang,axes", [
    ("en", "The axes of the output `(None, None, 8)` are the query position, the key position and the head; "
           "it has no batch axis."),
    ("de", "Die Achsen der Ausgabe `(None, None, 8)` sind die Query-Position, die Key-Position und der Kopf; "
           "eine Batch-Achse hat sie nicht."),
    ("fr", "Les axes de la sortie `(None, None, 8)` sont la position de la requête, la position de la clé et "
           "la tête\u202f; elle n’a pas d’axe de lot."),
    ("ja", "出力 `(None, None, 8)` の軸は、クエリの位置、キーの位置、ヘッドの順です。バッチの軸はありません。"),
    ("es", "Los ejes de la salida `(None, None, 8)` son la posición de la consulta, la posición de la clave y "
           "la cabeza; no tiene eje de lote.")])
def test_t5_bias_lookup_says_its_axes(lang, axes):
    """T5Attention.compute_bias: relative_attention_bias(buckets of shape (query length, key
    length)) has shape (query length, key length, n_heads = 8), no batch axis; the summary row, the
    picture and "Output shape" print it as every other shape, (None, None, 8) (ja lecturer: the
    named axes (クエリ, キー, 8) in code font stood out), and the layer's sentence says what its
    axes are and that none of them is the batch."""
    transformers = require_module("transformers")
    config = transformers.T5Config(**json.loads((FIXTURES / "hf" / "t5-small.json").read_text()))
    attention = transformers.models.t5.modeling_t5.T5Attention(config, has_relative_attention_bias=True)
    assert tuple(attention.compute_bias(5, 7).shape) == (1, 8, 5, 7)  # (q, k, H), then permuted
    text = _md(FIXTURES / "hf/t5-small.json", lang)
    assert axes in text
    assert text.count("| `(None, None, 8)` |") == 2  # the encoder's and the decoder's row
    assert text.count("<br/>(None, None, 8)<br/>") == 2  # their boxes in the picture
    assert text.count("`(None, None, 8)`") == 2 + 2  # the rows, the sentence and "Output shape"
    assert "None, None, None, 8" not in text  # no batch axis
