"""Round-11 reviewers' findings on the transformer documents (gpt2, bert, llama, t5, mha), round 12:
wording a student reads without stumbling, every sentence true of the model it describes."""
from __future__ import annotations

import json

import pytest

import explain
from tests.conftest import FIXTURES, require_module


def _md(source, lang: str = "en") -> str:
    from explain.render.documents import render_document
    model = explain.load(FIXTURES / source) if isinstance(source, str) else source
    return render_document("derivation", model, lang=lang, format="markdown")


def _hf(raw: dict) -> object:
    from explain.importers.hf_config import load_hf_config
    return load_hf_config(raw, "config.json")


def _intro(text: str) -> str:
    """Up to the second heading (the first is the title)."""
    return text[:text.index("\n## ")]


@pytest.mark.parametrize("lang,sentence", [
    ("en", "The summary table below has 6 rows, not counting the inputs."),
    ("de", "Die Übersichtstabelle unten hat 6 Zeilen, die Eingaben nicht mitgezählt."),
    ("fr", "Le tableau récapitulatif ci-dessous comporte 6 lignes, entrées du modèle non comprises."),
    ("es", "La tabla resumen de más abajo tiene 6 filas, sin contar las entradas."),
    ("ja", "下の概要表は入力を除いて 6 行です。")])
def test_summary_sentence_names_the_table_below(lang, sentence):
    """GPT-2's summary: wte, wpe, their sum, the stack h, ln_f and lm_head (6 rows, by hand from
    GPT2LMHeadModel's modules); the intro says which summary it means: the table that follows."""
    text = _md("hf/gpt2.json", lang)
    assert sentence in _intro(text), _intro(text)[:400]
    assert text.index(sentence) < text.index("\n| ")  # said before the table it announces


def test_mha_called_without_key_uses_the_value_as_key():
    """keras.layers.MultiHeadAttention called as mha(query, value) uses value as its key: the same
    output as mha(query, value, key=value). The sentence says the layer is called that way."""
    keras = require_module("keras")
    np = require_module("numpy")
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    q, v = np.random.rand(1, 3, 8).astype("float32"), np.random.rand(1, 5, 8).astype("float32")
    default = keras.ops.convert_to_numpy(layer(q, v))
    explicit = keras.ops.convert_to_numpy(layer(q, v, key=v))
    assert np.allclose(default, explicit, atol=1e-6)
    text = _md("specs/mha_small.yaml")
    assert ("It is called with query `x` and value `x`; the key is not given and defaults to the "
            "value. Since all three are the same tensor, this is self-attention.") in text
    assert "Its inputs: query" not in text


def test_t5_block_count_is_each_stacks():
    """t5-small: num_layers = 6 encoder blocks and (num_decoder_layers unset) 6 decoder blocks; the
    symbol list says L counts the blocks of each stack, not all 12."""
    transformers = require_module("transformers")
    raw = json.loads((FIXTURES / "hf" / "t5-small.json").read_text())
    config = transformers.T5Config(**{k: v for k, v in raw.items() if k != "architectures"})
    model = transformers.T5Model(config)
    assert len(model.encoder.block) == len(model.decoder.block) == 6
    assert "- $L = 6$: number of blocks in each of the encoder and the decoder\n" in _intro(_md("hf/t5-small.json"))
    assert "- $L = 6$：エンコーダとデコーダそれぞれのブロック数\n" in _intro(_md("hf/t5-small.json", "ja"))


def test_t5_with_a_shallower_decoder_says_l_is_the_encoders():
    """num_decoder_layers = 2 beside num_layers = 3: T5Model has 3 encoder and 2 decoder blocks;
    L is then the encoder's count and L_dec the decoder's."""
    transformers = require_module("transformers")
    small = {"vocab_size": 11, "d_model": 8, "d_kv": 4, "d_ff": 16, "num_heads": 2, "num_layers": 3,
             "num_decoder_layers": 2}
    model = transformers.T5Model(transformers.T5Config(**small))
    assert (len(model.encoder.block), len(model.decoder.block)) == (3, 2)
    intro = _intro(_md(_hf({**small, "model_type": "t5", "architectures": ["T5Model"]})))
    assert "- $L = 3$: number of encoder layers\n" in intro
    assert "- $L_{\\text{dec}} = 2$: number of decoder layers\n" in intro
    assert "each of the encoder" not in intro


def test_bart_with_equal_depths_says_each_stack():
    """BART with encoder_layers = decoder_layers = 2: 2 blocks in each stack."""
    transformers = require_module("transformers")
    small = {"vocab_size": 11, "d_model": 8, "encoder_layers": 2, "decoder_layers": 2,
             "encoder_attention_heads": 2, "decoder_attention_heads": 2, "encoder_ffn_dim": 16,
             "decoder_ffn_dim": 16, "max_position_embeddings": 8}
    model = transformers.BartModel(transformers.BartConfig(**small))
    assert len(model.encoder.layers) == len(model.decoder.layers) == 2
    intro = _intro(_md(_hf({**small, "model_type": "bart", "architectures": ["BartModel"]})))
    assert "- $L = 2$: number of blocks in each of the encoder and the decoder\n" in intro


@pytest.mark.parametrize("n_inner,said", [(None, True), (32, False)])
def test_gpt2_n_inner_none_means_4d(n_inner, said):
    """GPT2MLP's c_fc has n_inner outputs, 4·n_embd when n_inner is None: the symbol list says
    "n_inner is None, so 4d is used" only when it is None."""
    transformers = require_module("transformers")
    small = {"vocab_size": 11, "n_positions": 8, "n_embd": 8, "n_layer": 1, "n_head": 2, "n_inner": n_inner}
    block = transformers.GPT2Model(transformers.GPT2Config(**small)).h[0]
    assert block.mlp.c_fc.nf == (4 * 8 if n_inner is None else n_inner)
    intro = _intro(_md(_hf({**small, "model_type": "gpt2", "architectures": ["GPT2Model"]})))
    assert ("feed-forward size (`n_inner` is `None`, so $4d$ is used)" in intro) is said
    es = _intro(_md(_hf({**small, "model_type": "gpt2", "architectures": ["GPT2Model"]}), "es"))
    assert ("(`n_inner` es `None`, así que se usa $4d$)" in es) is said
    assert "sin definir" not in es


def test_french_llama_gated_feed_forward():
    text = _md("hf/llama-2-7b.json", "fr")
    assert ("La partie feed-forward utilise un mécanisme de porte (gated)\u00a0: SwiGLU dans Llama, "
            "Mistral et Qwen\u202f; GeGLU dans Gemma. Les projections `gate_proj` et `up_proj`") in text
    assert "est à porte" not in text


def test_spanish_gpt2_dropout_after_the_sum():
    """transformers' GPT2Model applies self.drop to inputs_embeds + position_embeds: after the sum."""
    text = _md("hf/gpt2.json", "es")
    assert ("Tampoco los tiene la capa de dropout `drop` que sigue a la suma; por eso no aparece en "
            "el resumen.") in text
    assert "la lista" not in text
