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
    ("en", "The model consists of two embedding layers, twelve transformer blocks, a final normalization and "
           "the LM head. In the summary table below, the row `transformer.h` stands for the $L = 12$ blocks, one "
           "after the other; the model's inputs are not listed."),
    ("de", "Das Modell besteht aus zwei Embedding-Schichten, zwölf Transformer-Blöcken, einer abschließenden "
           "Normalisierung und dem LM-Kopf. In der Übersichtstabelle unten fasst die Zeile `transformer.h` die "
           "$L = 12$ aufeinanderfolgenden Blöcke zusammen; die Eingaben des Modells stehen nicht darin."),
    ("fr", "Dans le tableau récapitulatif ci-dessous, la ligne `transformer.h` représente les $L = 12$ blocs, "
           "appliqués l’un après l’autre\u202f; les entrées du modèle n’y figurent pas."),
    ("es", "En la tabla de resumen (más abajo), la fila `transformer.h` representa los $L = 12$ bloques, "
           "aplicados uno tras otro; las entradas del modelo no figuran en ella."),
    ("ja", "概要表の `transformer.h` の行は、順に適用される $L = 12$ 個のブロックをまとめたものです。モデルの入力は表に含めていません。")])
def test_summary_sentence_names_the_table_below(lang, sentence):
    """GPT-2 (GPT2LMHeadModel's modules, by hand): wte and wpe, the 12 blocks of h (n_layer), ln_f and
    lm_head tied to wte; the intro says what the model consists of and which summary it means: the
    table that follows, one row for the stack of blocks."""
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
    assert ("It is called with `x` as both query and value; the key is not given and defaults to the "
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
    assert ("Le réseau à propagation avant utilise un mécanisme de porte (gated)\u00a0: SwiGLU dans Llama, "
            "Mistral et Qwen\u202f; GeGLU dans Gemma. Les projections `gate_proj` et `up_proj`") in text
    assert "réseau feed-forward" not in text and "partie feed-forward" not in text  # round 19: one form
    assert "est à porte" not in text


def test_spanish_gpt2_dropout_after_the_sum():
    """transformers' GPT2Model applies self.drop to inputs_embeds + position_embeds: after the sum."""
    text = _md("hf/gpt2.json", "es")
    assert ("La capa de dropout `drop` que sigue a la suma tampoco los tiene y no cambia la forma; por "
            "eso la tabla de resumen no la incluye.") in text
    assert "la lista" not in text


def test_every_dense_weight_is_written_input_by_output():
    """BertIntermediate maps d to f and BertOutput f back to d (nn.Linear(in_features, out_features));
    the rows write each weight input × output, as GPT-2's c_fc d·f and c_proj f·d (Llama's
    down_proj, T5's wo likewise)."""
    transformers = require_module("transformers")
    layer = transformers.BertModel(transformers.BertConfig(
        hidden_size=8, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        vocab_size=11, max_position_embeddings=8)).encoder.layer[0]
    assert (layer.intermediate.dense.in_features, layer.intermediate.dense.out_features) == (8, 32)
    assert (layer.output.dense.in_features, layer.output.dense.out_features) == (32, 8)
    bert = _md("hf/bert-base-uncased.json")
    assert r"| `intermediate.dense.weight` | $d \cdot f = 768 \times 3{,}072$ | 2,359,296 |" in bert
    assert r"| `output.dense.weight` | $f \cdot d = 3{,}072 \times 768$ | 2,359,296 |" in bert
    llama = _md("hf/llama-2-7b.json")
    assert r"| `mlp.up_proj.weight` | $d \cdot f = 4{,}096 \times 11{,}008$ |" in llama
    assert r"| `mlp.down_proj.weight` | $f \cdot d = 11{,}008 \times 4{,}096$ |" in llama
    t5 = _md("hf/t5-small.json")
    assert r"| `layer.1.DenseReluDense.wo.weight` | $f \cdot d = 2{,}048 \times 512$ |" in t5
    assert r"| `layer.0.SelfAttention.q.weight` | $d \cdot H \cdot d_{\text{kv}} = 512 \times 8 \times 64$ |" in t5
    assert r"| `layer.0.SelfAttention.o.weight` | $H \cdot d_{\text{kv}} \cdot d = 8 \times 64 \times 512$ |" in t5


@pytest.mark.parametrize("n_inner", [None, 20])
def test_gpt2_block_formula_is_said_part_by_part(n_inner):
    """By hand, d = 8, f = n_inner or 4d: attention (c_attn d·3d + 3d, c_proj d² + d) 4d² + 4d;
    mlp (c_fc d·f + f, c_proj f·d + d) 2d·f + f + d; ln_1, ln_2 2d each, 4d; together
    4d² + 2d·f + 9d + f. Checked against transformers' GPT2Block."""
    transformers = require_module("transformers")
    d = 8
    f = n_inner or 4 * d
    block = transformers.GPT2Model(transformers.GPT2Config(
        vocab_size=11, n_positions=8, n_embd=d, n_layer=1, n_head=2, n_inner=n_inner)).h[0]

    def count(module) -> int:
        return sum(p.numel() for p in module.parameters())
    assert count(block.attn) == 4 * d * d + 4 * d
    assert count(block.mlp) == 2 * d * f + f + d
    assert count(block.ln_1) + count(block.ln_2) == 4 * d
    assert count(block) == 4 * d * d + 2 * d * f + 9 * d + f
    text = _md("hf/gpt2.json")
    said = ("Part by part: the attention has $4d^{2} + 4d$ parameters (the query, key, value and output "
            r"projections with their biases), the feed-forward network $2d \cdot f + f + d$ "
            r"($d \cdot f + f$, then $f \cdot d + d$) and the two layer normalizations $4d$.")
    assert said in text
    assert text.index(said) < text.index(r"P_{1} &= 4d^{2} + 2d \cdot f + 9d + f")
    small = _md(_hf({"vocab_size": 11, "n_positions": 8, "n_embd": d, "n_layer": 1, "n_head": 2,
                     "n_inner": n_inner, "model_type": "gpt2", "architectures": ["GPT2Model"]}))
    assert said in small


def test_gpt2_block_with_cross_attention_has_no_parts_sentence():
    """A GPT-2 block with add_cross_attention has more parts (crossattention, ln_cross_attn): the
    sentence for 4d² + 2d·f + 9d + f is not said of it."""
    transformers = require_module("transformers")
    small = {"vocab_size": 11, "n_positions": 8, "n_embd": 8, "n_layer": 1, "n_head": 2,
             "add_cross_attention": True}
    block = transformers.GPT2Model(transformers.GPT2Config(**small)).h[0]
    assert sum(p.numel() for p in block.parameters()) != 4 * 64 + 2 * 8 * 32 + 9 * 8 + 32
    text = _md(_hf({**small, "model_type": "gpt2", "architectures": ["GPT2Model"]}))
    assert "Part by part" not in text


def test_mha_grouped_step_says_which_sizes_are_equal():
    """keras MultiHeadAttention(num_heads=2, key_dim=16) on (16, 32): E_q = E_k = E_v = E_out = 32
    and d_k = d_v = 16, so (32 + 32)·2·16 + 32·2·16 + 2·16·32 = 4 × 32 × 2 × 16 and
    2·2·16 + 2·16 = 3 × 2 × 16; 4 × 1,024 + 3 × 32 + 32 = 4,224 parameters."""
    keras = require_module("keras")
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16)
    x = keras.Input((16, 32))
    layer(x, x)
    assert layer.count_params() == 4 * 32 * 2 * 16 + 3 * 2 * 16 + 32 == 4224
    text = _md("specs/mha_small.yaml")
    assert (r"The line $4 \times 32 \times 2 \times 16 + 3 \times 2 \times 16 + 32$ collects like "
            r"terms, since here $E_{q} = E_{k} = E_{v} = E_{\text{out}} = 32$ and $d_{k} = d_{v} = 16$.") in text
    ja = _md("specs/mha_small.yaml", "ja")
    assert "では、同類項をまとめています（ここでは $E_{q} = E_{k}" in ja


def test_french_feed_forward_has_one_name_after_its_gloss():
    """Round 19 (fr): gpt2 said « réseau à propagation avant (feed-forward) `mlp` » and then « le réseau
    feed-forward » in one paragraph: the symbol list glosses the term, the prose keeps one form."""
    text = _md("hf/gpt2.json", "fr")
    assert "dimension cachée du réseau à propagation avant (feed-forward)\u202f; `n_inner` vaut `None`" in text
    assert "est le réseau à propagation avant `mlp`" in text and "le réseau à propagation avant $2d \\cdot f" in text
    assert "réseau feed-forward" not in text and "ou feed-forward" not in text


def test_french_mha_final_projection_said_once():
    """Round 19 (fr): « Une dernière projection ramène enfin » said "last" twice."""
    text = _md("specs/mha_small.yaml", "fr")
    assert "Une projection finale ramène ensuite les sorties concaténées des têtes à la dimension de sortie." in text
