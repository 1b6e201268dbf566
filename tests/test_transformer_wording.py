"""The transformer documents (GPT-2, BERT, MHA, Llama, T5): every sentence true of the model it
describes and checked against transformers or Keras, the wording a lecturer of each language writes,
and the frame around them (the box sentence, the bar chart, the stack sentence)."""
from __future__ import annotations

import json
import math
import re

import pytest

import explain
from explain.layers import _texts
from explain.render import messages
from explain.render.i18n import translations
from tests.conftest import FIXTURES, assert_wording, derivation_md, require_module

LANGS = ("en", "de", "fr", "ja", "es")


def _md(source, lang: str = "en", fmt: str = "markdown") -> str:
    """A fixture's derivation (rendered once, shared), or a loaded model's."""
    if isinstance(source, str):
        return derivation_md(source, lang, fmt)
    from explain.render.documents import render_document
    return render_document("derivation", source, lang=lang, format=fmt)


def _hf(config) -> object:
    """A transformers config object as our importer reads its config.json."""
    return _hf_dict(json.loads(config.to_json_string(use_diff=False)))


def _hf_dict(raw: dict) -> object:
    from explain.importers.hf_config import load_hf_config
    return load_hf_config(raw, "config.json")


def _intro(text: str) -> str:
    """Up to the second heading (the first is the title)."""
    return text[:text.index("\n## ")]


# GPT-2's activation, BERT, MHA, Llama and T5, each sentence checked against the framework.


def test_gpt2_gelu_is_the_tanh_approximation_only_where_the_config_says_so():
    """GPT2Config's default activation_function is gelu_new, transformers' NewGELUActivation:
    0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), not the exact GELU x·Φ(x)."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    assert transformers.GPT2Config().activation_function == "gelu_new"
    x = torch.linspace(-3, 3, 13)
    tanh = 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    act = transformers.activations.ACT2FN["gelu_new"]
    assert torch.allclose(act(x), tanh) and not torch.allclose(act(x), torch.nn.functional.gelu(x), atol=1e-5)
    assert torch.allclose(transformers.activations.ACT2FN["gelu"](x), torch.nn.functional.gelu(x))
    text = _md("hf/gpt2.json")
    assert ": `mlp.c_fc` from $d$ to $f$, GELU in its tanh approximation, then `mlp.c_proj`" in text
    from explain.importers.hf_config import load_hf_config
    import json
    cfg = json.loads((FIXTURES / "hf" / "gpt2.json").read_text())

    def explanation(activation: str) -> str:
        model = load_hf_config({**cfg, "activation_function": activation})
        return next(n.layer for n in model.nodes if n.type == "GPT2Block").explanation_for([])
    assert explanation("gelu") == _texts.GPT2_BLOCK and "tanh" not in messages.english(_texts.GPT2_BLOCK)
    assert explanation("gelu_pytorch_tanh") == _texts.GPT2_BLOCK_GELU_TANH
    # ReLU is no GELU: the generic block sentence, which names no activation
    assert explanation("relu") == _texts.TRANSFORMER_BLOCK


def test_live_gpt2_block_reads_its_activation_module():
    transformers = require_module("transformers")
    require_module("torch")
    from explain.importers.live_torch import _hf_block
    cfg = transformers.GPT2Config(n_embd=16, n_layer=1, n_head=2, n_positions=8, vocab_size=11)
    assert _hf_block(transformers.GPT2Model(cfg).h[0]).explanation_for([]) == _texts.GPT2_BLOCK_GELU_TANH
    cfg.activation_function = "gelu"
    assert _hf_block(transformers.GPT2Model(cfg).h[0]).explanation_for([]) == _texts.GPT2_BLOCK


def test_block_norm_and_input_sentences_in_every_language():
    de = translations("de").gettext
    assert de("Its inputs: %(inputs)s.").startswith("Eingaben der Schicht:")
    ja = translations("ja").gettext
    assert "Pre-LN と呼びます" in ja(_texts.GPT2_BLOCK_GELU_TANH) and "プレノルム" not in ja(_texts.GPT2_BLOCK_GELU_TANH)
    assert "サブ層に通し、その出力を元の入力に足します" in ja(_texts.GPT2_BLOCK)
    assert "この層によるスキップ接続（残差接続）" in ja(_texts.ADD)
    assert "vor dem Teil" not in de(_texts.GPT2_BLOCK) and "im Residualzweig steht jeweils zuerst eine Layer-Normalisierung" in de(_texts.GPT2_BLOCK)
    fr = translations("fr").gettext
    assert "à une moyenne nulle et à une variance égale à 1" in fr(_texts.LAYER_NORM)
    assert "auto-attention masquée (causale)" in fr(_texts.LLAMA_BLOCK)
    assert translations("es").gettext("feed-forward size") == "dimensión interna de la red prealimentada"
    text = _md("hf/bert-base-uncased.json")
    assert "that of the classification token `[CLS]`, whose vector serves as a summary of the whole input" in text
    ja_mha = _md("specs/mha_small.yaml", "ja")
    assert "$\\gamma$（`gamma`）と $\\beta$（`beta`）は、正規化する特徴量ごとに 1 つずつあるスケールとシフトです。" in ja_mha
    assert "les entrées du modèle n’y figurent pas" in _md("hf/llama-2-7b.json", "fr")


def test_layernorm_note_says_at_each_position_once():
    for lang in ("en", "de"):
        text = _md("hf/gpt2.json", lang)
        section = text.split("### 5. `transformer.ln_f`")[1].split("###")[0]
        assert section.count("Position") + section.count("position") == 1, lang


def _meta_model(name: str):
    torch = require_module("torch")
    transformers = require_module("transformers")
    cfg = transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / f"{name}.json")
    with torch.device("meta"):
        return cfg, transformers.AutoModel.from_config(cfg)


def test_gpt2_rows_and_symbols_use_f_as_the_config_leaves_it():
    """GPT2MLP's inner size is n_inner, or 4·n_embd when n_inner is None; Conv1D weights are
    (n_in, n_out): c_fc (d, f), c_proj (f, d). The symbol list defines f; the rows write d·f, f·d."""
    cfg, model = _meta_model("gpt2")
    assert cfg.n_inner is None
    block = model.h[0]
    assert tuple(block.mlp.c_fc.weight.shape) == (768, 4 * 768) and tuple(block.mlp.c_proj.weight.shape) == (4 * 768, 768)
    text = _md("hf/gpt2.json")
    top = text.split("## Architecture")[0]
    assert "- $f = 4d = 3{,}072$: feed-forward size (`n_inner` is `None`, so $4d$ is used)" in top
    assert r"| `mlp.c_fc.weight` | $d \cdot f = 768 \times 3{,}072$ | 2,359,296 |" in text
    assert r"| `mlp.c_fc.bias` | $f = 3{,}072$ | 3,072 |" in text
    assert r"| `mlp.c_proj.weight` | $f \cdot d = 3{,}072 \times 768$ | 2,359,296 |" in text
    assert "4d \\cdot d" not in text


def test_bert_and_gpt2_blocks_reduce_alike_when_f_is_4d():
    """BERT-base's intermediate_size 3,072 = 4 × 768, as GPT-2's f: both blocks are 12d² + 13d =
    7,087,872 (hand: 12 × 589,824 + 13 × 768), the count of one real block."""
    for name, stack in (("bert-base-uncased", lambda m: m.encoder.layer), ("gpt2", lambda m: m.h)):
        cfg, model = _meta_model(name)
        blocks = stack(model)
        assert sum(p.numel() for p in blocks[0].parameters()) == 12 * 768 ** 2 + 13 * 768 == 7_087_872
        assert sum(p.numel() for p in blocks.parameters()) == 12 * 7_087_872
        text = _md(f"hf/{name}.json")
        assert r"| $12 \times (12 \times 768^{2} + 13 \times 768)$ | 85,054,464 |" in text, name
        assert r"&= 4d^{2} + 2d \cdot (4d) + 9d + 4d \\" in text and r"&= 12d^{2} + 13d \\" in text, name
        # GPT-2's 4d is GPT2MLP's rule (n_inner unset); BERT states 3,072, which is 4d here
        said = ("- $f = 4d = 3{,}072$: feed-forward size (`n_inner`" if name == "gpt2" else
                "- $f = 3{,}072$: feed-forward size (`intermediate_size`; here equal to $4d$)")
        assert said in text.split("## Architecture")[0], name


def test_mha_output_kernel_in_keras_shape_order():
    keras = require_module("keras")
    x = keras.Input((16, 32))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16)
    layer(x, x)
    shapes = {w.path.split("/", 1)[1]: tuple(w.shape) for w in layer.weights}
    assert shapes["attention_output/kernel"] == (2, 16, 32)  # (H, d_v, E_out)
    text = _md("specs/mha_small.yaml")
    assert r"| `attention_output/kernel` | $H \cdot d_{v} \cdot E_{\text{out}} = 2 \times 16 \times 32$ |" in text
    assert r"| `query/kernel` | $E_{q} \cdot H \cdot d_{k} = 32 \times 2 \times 16$ |" in text


def test_t5_relative_bias_is_buckets_by_heads():
    """T5Attention.relative_attention_bias = nn.Embedding(num_buckets, n_heads): weight (32, 8)."""
    _, model = _meta_model("t5-small")
    bias = model.encoder.block[0].layer[0].SelfAttention.relative_attention_bias
    assert tuple(bias.weight.shape) == (32, 8)
    text = _md("hf/t5-small.json")
    assert r"P = N_{b} \cdot H = 32 \times 8 = 256" in text
    assert r"| `weight` | $N_{b} \cdot H = 32 \times 8$ | 256 |" in text
    assert r"(Embedding) | $32 \times 8$ | 256 |" in text
    assert "H \\cdot N_{b}" not in text and "8 \\times 32" not in text


def test_llama_head_size_fraction_without_big_brackets():
    text = _md("hf/llama-2-7b.json")
    assert r"&= 4H \cdot d \cdot \frac{d}{H} + 3d \cdot f + 2d \\" in text
    assert r"\left(\frac{d}{H}\right)" not in text


def test_later_embeddings_point_back_to_the_first():
    """BERT has three embeddings (tokens, positions, token types), GPT-2 two: the sentence that
    says what an embedding is comes once; --detail full keeps it for every layer."""
    from explain.render.documents import render_document
    model = explain.load(FIXTURES / "hf" / "bert-base-uncased.json")
    lookup = messages.english(_texts.EMBEDDING)
    compact = render_document("derivation", model, lang="en", format="markdown")
    assert compact.count(lookup) == 1
    assert compact.count("An embedding layer like layer 1 (`embeddings.word_embeddings`).") == 2
    full = render_document("derivation", model, lang="en", format="markdown", detail="full")
    assert full.count(lookup) == 3 and "An embedding layer like" not in full
    gpt2 = _md("hf/gpt2.json")
    assert gpt2.count(lookup) == 1 and "An embedding layer like layer 1 (`transformer.wte`)." in gpt2
    for lang in ("de", "fr", "ja", "es"):
        assert translations(lang).gettext("An embedding layer like layer %(index)s (%(other)s).") != \
            "An embedding layer like layer %(index)s (%(other)s)."


def test_bert_names_its_optional_inputs():
    """BertModel.forward takes token_type_ids and attention_mask besides input_ids, both
    (batch, sequence) like it; without token_type_ids the embeddings use zeros (a buffer, no
    parameter)."""
    import inspect
    torch = require_module("torch")
    transformers = require_module("transformers")
    params = inspect.signature(transformers.BertModel.forward).parameters
    assert {"input_ids", "token_type_ids", "attention_mask"} <= set(params)
    emb = transformers.BertModel(transformers.BertConfig(vocab_size=11, hidden_size=8, num_hidden_layers=1,
                                                         num_attention_heads=2, intermediate_size=16,
                                                         max_position_embeddings=6)).embeddings
    assert "token_type_ids" in dict(emb.named_buffers()) and not emb.token_type_ids.any()
    ids = torch.tensor([[1, 2, 3]])
    emb.eval()
    assert torch.equal(emb(input_ids=ids), emb(input_ids=ids, token_type_ids=torch.zeros_like(ids)))
    text = _md("hf/bert-base-uncased.json")
    shape = "The input `input_ids` has the shape `(None, None)`"
    optional = ("The model also takes three optional inputs of the same shape: `token_type_ids`, the segment "
                "of each token (all 0 by default), looked up by the token type embedding; `attention_mask`, "
                "1 for real tokens and 0 for padding positions, which the attention then ignores; and "
                "`position_ids` (0, 1, 2, … when not given). These inputs add no parameters.")
    assert shape in text and optional in text and text.index(shape) < text.index(optional)
    assert optional not in _md("hf/gpt2.json")


# The frame of the transformer documents: the box sentence, the bar chart, the stack sentence.


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


@pytest.mark.parametrize("lang,step", [("en", "step of the forward pass"), ("de", "Vorwärtsdurchlauf"),
                                       ("fr", "propagation avant"), ("es", "pasada hacia adelante"),
                                       ("ja", "順伝播")])
def test_box_sentence_names_steps_only_where_one_is_drawn(lang, step):
    """A Keras LSTM/GRU model draws its input and its layers, no step of the forward pass: the
    sentence under "Architecture" says only what is drawn (review 28); GPT-2's, which draws the
    sum of the embeddings, still names the step."""
    from explain.render.documents import render_document
    from explain.render.draw import pictures
    rnn = explain.load(FIXTURES / "specs" / "small_rnn.yaml")
    gpt2 = explain.load(FIXTURES / "hf" / "gpt2.json")
    assert not pictures(rnn, lang, "markdown")["steps"] and pictures(gpt2, lang, "markdown")["steps"]
    for model, drawn in ((rnn, False), (gpt2, True)):
        text = render_document("derivation", model, lang=lang, format="markdown")
        caption = text[text.index("## "):text.index("```mermaid")]
        assert (step in caption) is drawn, (lang, caption)


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
    """de reviewer: 'L = 12 Wiederholungen' reads as 13 blocks; 'Sein 1 MB' is awkward, and 'Dort'
    had nothing to refer to (review 39)."""
    text = _md("hf/gpt2.json", "de")
    assert "Das Modell enthält $L = 12$ solcher Blöcke, jeder mit eigenen Gewichten:" in text
    assert "Wiederholungen" not in text
    memory = _md("specs/mha_small.yaml", "de")
    assert re.search("Bei Keras ist 1\u00a0KB\u00a0= 2¹⁰\u00a0Byte, also eigentlich 1\u00a0KiB", memory), memory[-600:]


def test_bert_optional_inputs_wording():
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
    assert "para Keras, 1\u00a0KB equivale a 2¹⁰\u00a0bytes" in es and "su 1" not in es
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


def test_mha_and_tied_head_wording():
    fr = _md("specs/mha_small.yaml", "fr")
    assert "c’est l’attention par produit scalaire mis à l’échelle (scaled dot-product attention), qui n’a pas de paramètres" in fr
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
    assert "です。Keras 3 の `model.summary()`" in doc
    gpt2 = _md("hf/gpt2.json", "ja")
    assert "矢印はデータの流れを表します。× N と記された層は" in gpt2
    lines = gpt2.split("\n")
    assert "```mermaid" in lines and "$$" in lines  # fences untouched


# Wording a student reads without stumbling, every sentence true of the model it describes.


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
    intro = _intro(_md(_hf_dict({**small, "model_type": "t5", "architectures": ["T5Model"]})))
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
    intro = _intro(_md(_hf_dict({**small, "model_type": "bart", "architectures": ["BartModel"]})))
    assert "- $L = 2$: number of blocks in each of the encoder and the decoder\n" in intro


@pytest.mark.parametrize("n_inner,said", [(None, True), (32, False)])
def test_gpt2_n_inner_none_means_4d(n_inner, said):
    """GPT2MLP's c_fc has n_inner outputs, 4·n_embd when n_inner is None: the symbol list says
    "n_inner is None, so 4d is used" only when it is None."""
    transformers = require_module("transformers")
    small = {"vocab_size": 11, "n_positions": 8, "n_embd": 8, "n_layer": 1, "n_head": 2, "n_inner": n_inner}
    block = transformers.GPT2Model(transformers.GPT2Config(**small)).h[0]
    assert block.mlp.c_fc.nf == (4 * 8 if n_inner is None else n_inner)
    intro = _intro(_md(_hf_dict({**small, "model_type": "gpt2", "architectures": ["GPT2Model"]})))
    assert ("feed-forward size (`n_inner` is `None`, so $4d$ is used)" in intro) is said
    es = _intro(_md(_hf_dict({**small, "model_type": "gpt2", "architectures": ["GPT2Model"]}), "es"))
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
    small = _md(_hf_dict({"vocab_size": 11, "n_positions": 8, "n_embd": d, "n_layer": 1, "n_head": 2,
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
    text = _md(_hf_dict({**small, "model_type": "gpt2", "architectures": ["GPT2Model"]}))
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
    """fr: gpt2 said « réseau à propagation avant (feed-forward) `mlp` » and then « le réseau
    feed-forward » in one paragraph: the symbol list glosses the term, the prose keeps one form."""
    text = _md("hf/gpt2.json", "fr")
    assert "dimension cachée du réseau à propagation avant (feed-forward)\u202f; `n_inner` vaut `None`" in text
    assert "est le réseau à propagation avant `mlp`" in text and "le réseau à propagation avant $2d \\cdot f" in text
    assert "réseau feed-forward" not in text and "ou feed-forward" not in text


def test_french_mha_final_projection_said_once():
    """fr: « Une dernière projection ramène enfin » said "last" twice."""
    text = _md("specs/mha_small.yaml", "fr")
    assert "Une projection finale ramène ensuite les sorties concaténées des têtes à la dimension de sortie." in text


# Equal sizes of a grouped line as separate formulas, the summary sentence, BERT's first token,
# GPT-2's causal mask.


@pytest.mark.parametrize("lang,joined", [("en", " and "), ("de", " und "), ("fr", " et "), ("es", " y "),
                                         ("ja", " かつ ")])
def test_mha_equal_sizes_are_two_formulas_joined_by_and(lang, joined):
    """MultiHeadAttention(num_heads=2, key_dim=16) on x of 32 features: E_q = E_k = E_v = E_out = 32
    and d_k = d_v = 16, 4·32·2·16 + 3·2·16 + 32 = 4,224 (Keras). A comma between the two equalities
    inside one formula reads as a decimal comma in de/fr/es; the two are separate formulas."""
    keras = require_module("keras")
    x = keras.Input((16, 32))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16)
    layer(x, x)
    assert layer.count_params() == 4 * 32 * 2 * 16 + 3 * 2 * 16 + 32 == 4224
    from explain.render.view import RAGGED_BREAK
    for fmt in ("markdown", "latex"):
        text = _md("specs/mha_small.yaml", lang, fmt)
        if fmt == "latex":  # each equality in one piece (round 16: a line ended after its "=")
            assert (r"E_{\text{out}} = 32$}" + joined + RAGGED_BREAK + r"\mbox{$d_{k} = d_{v} = 16$}") in text, lang
            assert RAGGED_BREAK + r"\mbox{$E_{q} = E_{k} = E_{v} = E_{\text{out}} = 32$}" in text, lang
        else:
            assert r"E_{\text{out}} = 32$" + joined + "$d_{k} = d_{v} = 16$" in text, (lang, fmt)
        assert r"32,\ d_{k}" not in text
    if lang == "en":
        assert ("The line $4 \\times 32 \\times 2 \\times 16 + 3 \\times 2 \\times 16 + 32$ collects like terms"
                in _md("specs/mha_small.yaml"))


@pytest.mark.parametrize("source,parts", [
    ("hf/gpt2.json", "two embedding layers, twelve transformer blocks, a final normalization and the LM head"),
    ("hf/bert-base-uncased.json", "three embedding layers, a normalization of the embeddings, twelve transformer blocks and "
                                  "the pooler")])
def test_summary_sentence_does_not_count_inputs_that_are_not_rows(source, parts):
    """GPT-2: wte, wpe, h (12 blocks), ln_f, lm_head tied to wte; BERT: word, position and token-type
    embeddings, their LayerNorm, the encoder stack (12 layers), the pooler — by hand from the modules of
    GPT2LMHeadModel and BertModel; the weightless steps (the sum, the first token) are no parts. The
    table has no input rows at all."""
    text = _md(source)
    assert f"The model consists of {parts}." in text
    assert "; the model's inputs are not listed." in text
    assert "not counting the inputs" not in text
    de = _md(source, "de")
    assert "die Eingaben des Modells stehen nicht darin." in de


def test_bert_first_token_is_the_vector_of_cls_not_the_token():
    """BertPooler takes hidden_states[:, 0] (the vector of [CLS]); the sentence says the vector is that
    of the token, not the token itself."""
    transformers = require_module("transformers")
    import inspect
    assert "hidden_states[:, 0]" in inspect.getsource(transformers.models.bert.modeling_bert.BertPooler.forward)
    text = _md("hf/bert-base-uncased.json")
    assert ("For every sequence this step keeps only the vector at the first position, that of the "
            "classification token `[CLS]`, whose vector serves as a summary of the whole input for "
            "classification (BERT's pre-training trains it for this through next-sentence prediction); "
            "the sequence axis is dropped.") in text
    de = _md("hf/bert-base-uncased.json", "de")
    assert ("also den des Klassifikationstokens `[CLS]`; die Sequenzachse entfällt. Dieser Vektor dient als "
            "Zusammenfassung der gesamten Eingabe für die Klassifikation (das Vortraining von BERT trainiert "
            "ihn dafür mit der Aufgabe Next Sentence Prediction).") in de
    assert "darauf ausgerichtet" not in de
    assert "dessen Vektor" not in de


@pytest.mark.parametrize("lang,phrase", [
    ("en", "First, `ln_1` and masked (causal) self-attention: each position attends only to itself and "
           "earlier positions;"),
    ("de", "Der erste Teil ist die maskierte (kausale) Self-Attention nach `ln_1`, bei der jede Position "
           "nur sich selbst und frühere Positionen berücksichtigt"),
    ("fr", "auto-attention masquée (causale\u00a0: chaque position ne voit qu’elle-même et les positions "
           "précédentes)"),
    ("es", "en la que cada posición solo atiende a sí misma y a las posiciones anteriores"),
    ("ja", "因果マスク付きセルフアテンション（causal self-attention）です。各位置は自分自身とそれより前の位置だけに注意を向けます。")])
def test_gpt2_mask_is_causal(lang, phrase):
    """GPT-2's attention is causal: transformers' GPT2Attention has is_causal = True (each position sees
    itself and the earlier ones)."""
    transformers = require_module("transformers")
    cfg = transformers.GPT2Config(n_embd=16, n_head=2, n_layer=1)
    assert transformers.models.gpt2.modeling_gpt2.GPT2Attention(cfg).is_causal is True
    text = _md("hf/gpt2.json", lang)
    assert phrase in text, lang
    if lang == "de":
        assert "Der zweite Teil ist das Feed-Forward-Netz `mlp` nach `ln_2`" in text


# A size the config states is not written as a rule, T5's norm by its class, which feed-forward
# variant applies, GPT-2's second input.


def _count(module) -> int:
    return sum({id(p): p.numel() for p in module.parameters()}.values())


@pytest.mark.parametrize("lang,line", [
    ("en", "- $f = 3{,}072$: feed-forward size (`intermediate_size`; here equal to $4d$)"),
    ("de", "- $f = 3{.}072$: innere Dimension des Feed-Forward-Netzes (`intermediate_size`; hier gleich $4d$)"),
    ("es", "- $f = 3072$: dimensión interna de la red prealimentada, o feed-forward (`intermediate_size`; aquí "
           "igual a $4d$)"),
])
def test_bert_feed_forward_size_is_its_config_value_here_4d(lang, line):
    """BertConfig states intermediate_size = 3,072 on its own; it equals 4d (4 × 768 = 3,072) in
    bert-base only. The symbol is defined by that number, "4d" only as what holds here, in the
    symbol list and in the block's list alike."""
    assert 4 * 768 == 3072
    text = _md("hf/bert-base-uncased.json", lang)
    assert line in _intro(text)
    block = text[text.index("`encoder.layer` (BertLayer)\n"):]
    assert line in block
    assert "f = 4d" not in text


@pytest.mark.parametrize("family,key,inner", [("bert", "intermediate_size", 32), ("bert", "intermediate_size", 40),
                                             ("gpt2", "n_inner", 32), ("gpt2", "n_inner", 40),
                                             ("gpt2", "n_inner", None)])
def test_stated_feed_forward_size_says_4d_only_where_it_is(family, key, inner):
    """d = 8: a stated size 32 = 4 × 8 is "here equal to 4d"; 40 is its own f; GPT-2's unset
    n_inner is 4d by GPT2MLP's rule. The count is transformers' in every case."""
    transformers = require_module("transformers")
    if family == "bert":
        cfg = transformers.BertConfig(vocab_size=11, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                      intermediate_size=inner, max_position_embeddings=6)
        hf = transformers.BertModel(cfg)
    else:
        cfg = transformers.GPT2Config(vocab_size=11, n_embd=8, n_layer=1, n_head=2, n_inner=inner, n_positions=6)
        hf = transformers.GPT2Model(cfg)
    model = _hf(cfg)
    assert model.total == _count(hf)
    intro = _intro(_md(model))
    stated = f"- $f = 32$: feed-forward size (`{key}`; here equal to $4d$)"
    assert (stated in intro) is (inner == 32), intro
    if inner == 40:
        assert "- $f = 40$: feed-forward size\n" in intro
    if inner is None:
        assert "- $f = 4d = 32$: feed-forward size (`n_inner` is `None`, so $4d$ is used)" in intro


def _t5(**kw):
    transformers = require_module("transformers")
    cfg = transformers.T5Config(vocab_size=13, d_model=8, d_kv=4, d_ff=16, num_layers=1, num_heads=2, **kw)
    return cfg, transformers.T5ForConditionalGeneration(cfg)


def test_t5_final_norm_is_named_by_its_class_and_is_an_rms_norm():
    """transformers' T5 final norms are T5LayerNorm modules with a weight only: y = x / RMS(x) · γ,
    no mean subtracted (checked on a real module); the rows name that class."""
    torch = require_module("torch")
    cfg, hf = _t5()
    norm = hf.encoder.final_layer_norm
    assert type(norm).__name__ == "T5LayerNorm" == type(hf.decoder.final_layer_norm).__name__
    assert [n for n, _ in norm.named_parameters()] == ["weight"]
    with torch.no_grad():
        norm.weight.copy_(torch.arange(1.0, 9.0))
        x = torch.arange(8.0).reshape(1, 8) + 3  # mean 6.5: centring would change the result
        rms = x.pow(2).mean(-1, keepdim=True).add(norm.variance_epsilon).sqrt()
        assert torch.allclose(norm(x), x / rms * norm.weight)
    text = _md(_hf(cfg))
    for part in ("encoder", "decoder"):
        assert f"| `{part}.final_layer_norm` (T5LayerNorm) | $8$ | 8 |" in text
        assert f". `{part}.final_layer_norm` (T5LayerNorm)\n" in text  # its heading
    assert "(RMSNorm)" not in text
    assert ("T5's `T5LayerNorm` is an RMS normalization: it divides its input by its root mean square (RMS), "
            "then multiplies it by $\\gamma$. Unlike a layer normalization, it subtracts no mean and has no "
            "shift $\\beta$.") in text


@pytest.mark.parametrize("proj", ["relu", "gated-gelu"])
def test_t5_feed_forward_sentence_says_which_variant_applies(proj):
    """T5Config(feed_forward_proj="relu"): DenseReluDense with wi (d → f) and wo; "gated-gelu" (T5
    v1.1): DenseGatedActDense with wi_0 and wi_1 (d → f each), act(wi_0 x) · wi_1 x, then wo. The
    block sentences say which one the model has; the count is transformers'."""
    cfg, hf = _t5(feed_forward_proj=proj)
    ff = hf.encoder.block[0].layer[-1].DenseReluDense
    gated = proj.startswith("gated-")
    assert hasattr(ff, "wi_0") is gated and hasattr(ff, "wi") is not gated
    if gated:
        assert ff.wi_0.in_features == ff.wi_1.in_features == 8 and ff.wi_0.out_features == ff.wi_1.out_features == 16
    else:
        assert (ff.wi.in_features, ff.wi.out_features) == (8, 16)
    model = _hf(cfg)
    assert model.total == _count(hf)
    text = _md(model)
    act = cfg.dense_act_fn  # transformers' own: relu, or gelu_new for gated-gelu
    assert act == ("gelu_new" if gated else "relu")
    plain = (f"a feed-forward network without a gate: `wi` maps $d$ to $f$, the activation `{act}` follows, and "
             "`wo` maps $f$ back to $d$ (only the gated variant, as in T5 v1.1, has two input matrices, `wi_0` "
             "and `wi_1`).")
    with_gate = (f"a gated feed-forward network: `wi_0` and `wi_1` each map $d$ to $f$, the activation `{act}` of "
                 "the first is multiplied element by element by the second, and `wo` maps $f$ back to $d$.")
    for part in ("A T5 encoder block has two parts", "A T5 decoder block has three parts"):
        sentence = text[text.index(part):]
        sentence = sentence[:sentence.index("\n")]
        assert (plain in sentence) is not gated and (with_gate in sentence) is gated, sentence
    ja = _md(model, "ja")
    assert ("ゲートのないフィードフォワードネットワーク" in ja) is not gated
    assert "残差接続で囲まれています" not in ja and "各部分の出力は残差接続によって入力に足されます。" in ja


@pytest.mark.parametrize("lang,line", [
    ("en", "- $d_{\\text{kv}} = 64$: size of each head's queries, keys and values (`d_kv`)"),
    ("ja", "- $d_{\\text{kv}} = 64$：ヘッドごとのクエリ・キー・バリューの次元数（`d_kv`）"),
])
def test_t5_d_kv_says_which_size(lang, line):
    """t5-small: q, k, v are Linear(512, H·d_kv = 8·64): each head's queries, keys and values have 64 entries."""
    transformers = require_module("transformers")
    torch = require_module("torch")
    with torch.device("meta"):
        hf = transformers.T5Model(transformers.AutoConfig.from_pretrained(FIXTURES / "hf" / "t5-small.json"))
    attn = hf.encoder.block[0].layer[0].SelfAttention
    assert attn.key_value_proj_dim == 64 and attn.q.out_features == attn.k.out_features == attn.v.out_features == 8 * 64
    assert line in _intro(_md("hf/t5-small.json", lang))


@pytest.mark.parametrize("source,lang,said,not_said", [
    ("hf/gpt2.json", "de", "Aufgeschlüsselt nach Teilen: Die Attention hat", "Nach Teilen:"),
    ("hf/bert-base-uncased.json", "de", "Wort-, Positions- und Token-Typ-Embedding (Summe der Embeddings)",
     "Wort- + Positions-"),
    ("hf/gpt2.json", "ja", "ここで参照するインデックスはトークンではなく、系列の位置（0, 1, 2, …）です。", "引かれる"),
    ("hf/t5-small.json", "ja", "ここで参照するインデックスはトークンではありません。", "引かれる"),
    # the English name alone in the parenthesis (round 18); « mis à l’échelle », not « normalisé », which
    # reads as a cosine (review 27 fr)
    ("specs/mha_small.yaml", "fr", "l’attention par produit scalaire mis à l’échelle (scaled dot-product attention), qui "
     "n’a pas de paramètres", "produit scalaire normalisé"),
    # round 18: one tensor passed as query and value, said once
    ("specs/mha_small.yaml", "es", "Al invocar la capa se le pasa `x` como consulta y como valor; la clave no "
     "se pasa y, por defecto, es igual al valor.", "La capa se llama"),
])
def test_parts_embeddings_and_attention_wording(source, lang, said, not_said):
    """de, ja, fr, es: the sentences as a lecturer writes them."""
    assert_wording(_md(source, lang), said, not_said)


@pytest.mark.parametrize("name", ["gpt2", "bert"])
def test_generated_position_ids_are_introduced_with_the_inputs(name):
    """GPT2Model and BertModel, called without position_ids, look up the positions 0, 1, …, T − 1:
    the same output as with position_ids = arange(T) given (a real forward pass). The picture
    draws position_ids as an input box; the text introduces it after the input sentence."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    if name == "gpt2":
        hf = transformers.GPT2Model(transformers.GPT2Config(vocab_size=11, n_embd=8, n_layer=1, n_head=2,
                                                            n_positions=6))
        source = "hf/gpt2.json"
    else:
        hf = transformers.BertModel(transformers.BertConfig(vocab_size=11, hidden_size=8, num_hidden_layers=1,
                                                            num_attention_heads=2, intermediate_size=16,
                                                            max_position_embeddings=6))
        source = "hf/bert-base-uncased.json"
    hf.eval()
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        default = hf(input_ids=ids).last_hidden_state
        given = hf(input_ids=ids, position_ids=torch.arange(4).unsqueeze(0)).last_hidden_state
        shifted = hf(input_ids=ids, position_ids=torch.arange(1, 5).unsqueeze(0)).last_hidden_state
    assert torch.allclose(default, given) and not torch.allclose(default, shifted)
    text = _md(source)
    # GPT-2: a sentence of its own; BERT: with its other optional inputs
    said = ("The positions `position_ids` (0, 1, 2, …) are generated by the model when they are not given."
            if name == "gpt2" else "and `position_ids` (0, 1, 2, … when not given). These inputs add no parameters.")
    intro = _intro(text)
    assert said in intro and intro.index("The input `input_ids` has the shape") < intro.index(said)
    assert "position_ids" in text[text.index("## Architecture"):]  # the picture's box it introduces
    es = _md(source, "es")
    assert ("Si no se proporcionan, el propio modelo genera las posiciones `position_ids` (0, 1, 2, …)."
            if name == "gpt2"
            else "y `position_ids` (0, 1, 2, … si no se dan). Estas entradas no añaden parámetros.") in es


def test_roberta_positions_are_not_said_to_start_at_0():
    """RobertaEmbeddings counts positions from padding_idx + 1 (2, 3, …): the sentence is not said."""
    transformers = require_module("transformers")
    cfg = transformers.RobertaConfig(vocab_size=11, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=16, max_position_embeddings=8)
    hf = transformers.RobertaModel(cfg)
    model = _hf(cfg)
    assert model.total == _count(hf)
    text = _md(model)
    assert "(0, 1, 2, …" not in _intro(text)
    assert ("The model also takes two optional inputs of the same shape: `token_type_ids` (all 0 by default), "
            "which the token type embedding looks up, and `attention_mask`") in text


def test_mha_skip_connection_goes_round_the_attention_box():
    """mha_small.yaml: x → attn → res ← x, then norm (rows 0–3). The skip x → res leaves x's
    right side and enters res's right side through the lane right of the boxes, so none of its
    segments runs along the borders of attn (it ran in the narrow gaps above and below
    attn); the arrows x → attn and attn → res stay straight down."""
    import re
    from explain.render.draw import draw
    from explain.render.draw.graph import build
    from explain.render.draw.layout import layout
    model = explain.load(FIXTURES / "specs" / "mha_small.yaml")
    graph = build(model)
    ids = {b.name: b.id for b in graph.boxes}
    at = layout(graph)
    assert [at.at[ids[n]].y for n in ("x", "attn", "res", "norm")] == [0, 1, 2, 3]
    skip = (ids["x"], ids["res"])
    assert at.sides == {skip}
    (lane, y0), (lane2, y1) = at.routes[skip]
    assert lane == lane2 > at.at[ids["attn"]].x + 0.5 and (y0, y1) == (0, 2)  # right of the boxes, at x and res
    tikz = draw(model, format="tikz")
    assert re.search(rf"\\draw\[->\] \({skip[0]}\.east\) -- \([\d.]+,[\d.]+\) -- \([\d.]+,[\d.]+\) -- "
                     rf"\({skip[1]}\.east\);", tikz), tikz
    assert f"\\draw[->] ({ids['x']}.south) -- ({ids['attn']}.north);" in tikz
    assert f"\\draw[->] ({ids['attn']}.south) -- ({ids['res']}.north);" in tikz
    svg = draw(model, format="svg")
    polylines = re.findall(r'<polyline points="([^"]+)"', svg)
    skip_line = [p for p in polylines if len(p.split()) == 4]
    assert len(skip_line) == 1
    (x0, ya), (xl, yb), (xl2, yc), (x1, yd) = [tuple(map(float, q.split(","))) for q in skip_line[0].split()]
    assert ya == yb and yc == yd and xl == xl2 > x0 == x1  # out sideways, down the lane, in sideways


@pytest.mark.parametrize("source,lang,said", [
    ("hf/t5-small.json", "ja", "`q`・`k`・`v` は $d$ 次元を $H \\cdot d_{\\text{kv}}$ 次元へ射影し"),
    ("hf/t5-small.json", "ja", "`wi` が $d$ 次元から $f$ 次元へ射影し"),
    ("hf/gpt2.json", "ja", "`ln_1` と因果マスク付きセルフアテンション（causal self-attention）です。"),
    ("specs/mha_small.yaml", "es", "la capa de Keras tiene el mismo número cuando"),
])
def test_projection_verb_and_mask_term(source, lang, said):
    """ja, es: one verb for projections (射影), the usual term for GPT-2's mask,
    'the same number' of parameters, not 'the same' parameters."""
    assert said in _md(source, lang)


@pytest.mark.parametrize("source,shared", [("hf/gpt2.json", True), ("hf/t5-small.json", True),
                                           ("hf/bert-base-uncased.json", False)])
def test_total_sentence_names_layers_that_reuse_weights(source, shared):
    """GPT-2's lm_head and T5's embed_tokens and lm_head reuse the token embedding's weights (hf:
    lm_head.weight is transformer.wte.weight) and add 0 although they have weights; BERT-base
    shares none. The total's sentence says a layer reusing weights contributes 0 where there is one."""
    transformers = require_module("transformers")
    torch = require_module("torch")
    if source == "hf/gpt2.json":
        with torch.device("meta"):
            hf = transformers.GPT2LMHeadModel(transformers.GPT2Config(n_layer=1))
        assert hf.lm_head.weight is hf.transformer.wte.weight
    for fmt in ("markdown", "latex"):
        text = _md(source, "en", fmt)
        said = ("(a layer without weights of its own, such as one that reuses another layer's weights, "
                "contributes 0):") in text
        assert said is shared, (source, fmt)
        if not shared:
            assert "(layers without weights contribute 0):" in text


def test_grouped_line_keeps_its_spaces_in_latex():
    """The sentence's formula 4 × 32 × 2 × 16 + 3 × 2 × 16 + 32 (by hand 4,096 + 96 + 32 = 4,224,
    Keras's count) keeps the spaces around + from shrinking in a justified line
    (de reviewer: printed as 4×32×2×16+3×2×16+32); Markdown is unchanged."""
    assert 4 * 32 * 2 * 16 + 3 * 2 * 16 + 32 == 4224
    tex = _md("specs/mha_small.yaml", "de", "latex")
    assert (r"Die Zeile $\medmuskip=4mu plus 2mu\relax\thickmuskip=5mu plus 5mu\relax 4 \times 32 \times 2 "
            r"\times 16 + 3 \times 2 \times 16 + 32$ fasst gleichartige Terme zusammen") in tex
    assert "medmuskip" not in _md("specs/mha_small.yaml", "de")


def test_gpt2_block_sentence_is_split_in_parts():
    """en reviewer: one 70-word sentence with two nested parentheticals; each part is a
    sentence of its own, the residual connection goes around the part (GPT2Block.forward:
    hidden_states = attn(ln_1(x)) + x, then mlp(ln_2(h)) + h)."""
    transformers = require_module("transformers")
    import inspect
    source = inspect.getsource(transformers.models.gpt2.modeling_gpt2.GPT2Block.forward)
    assert "residual = hidden_states" in source and "self.ln_1(hidden_states)" in source
    text = _md("hf/gpt2.json")
    block = text[text.index("A GPT-2 block has two parts"):]
    block = block[:block.index("\n")]
    assert block.startswith("A GPT-2 block has two parts, each with a layer normalization before it (pre-norm) "
                            "and a residual connection around it. First, `ln_1` and masked (causal) "
                            "self-attention: each position attends only to itself and earlier positions;")
    assert ". Second, `ln_2` and the feed-forward network `mlp`: `mlp.c_fc` from $d$ to $f$" in block
    assert "((" not in block and block.count("(") == 2  # (pre-norm) and (causal), nothing nested


@pytest.mark.parametrize("source,lang,line", [
    ("hf/gpt2.json", "fr", "- $f = 4d = 3\\,072$\u00a0: dimension cachée du réseau à propagation avant (feed-forward)"
                           "\u202f; `n_inner` vaut `None`, d’où la valeur par défaut $4d$"),
    ("hf/gpt2.json", "es", "- $f = 4d = 3072$: dimensión interna de la red prealimentada, o feed-forward (`n_inner` es "
                           "`None`, así que se usa $4d$)"),
    ("hf/bert-base-uncased.json", "es", "- $f = 3072$: dimensión interna de la red prealimentada, o feed-forward "
                                        "(`intermediate_size`; aquí igual a $4d$)"),
])
def test_feed_forward_is_glossed_at_its_first_use(source, lang, line):
    """fr/es reviewers: the symbol list, before §4's gloss, is where the term is first used."""
    intro = _intro(_md(source, lang))
    assert line in intro, intro


def test_bert_type_vocabulary_is_the_number_of_token_types():
    """BertConfig.type_vocab_size = 2: token_type_embeddings has one row per token type (segment A
    and B); en reviewer: 'number of token types (segments)'."""
    transformers = require_module("transformers")
    cfg = transformers.BertConfig()
    assert cfg.type_vocab_size == 2
    assert transformers.BertModel(transformers.BertConfig(vocab_size=11, hidden_size=8, num_hidden_layers=1,
                                                          num_attention_heads=2, intermediate_size=16,
                                                          max_position_embeddings=6)).embeddings.token_type_embeddings.num_embeddings == 2
    assert "- $V_{\\text{type}} = 2$: number of token types (segments)\n" in _intro(_md("hf/bert-base-uncased.json"))


@pytest.mark.parametrize("family", ["Llama", "Mistral", "Qwen2", "Gemma", "Qwen3", "Mixtral"])
def test_decoder_final_norm_is_named_by_its_class(family):
    """fr reviewer: model.norm is transformers' LlamaRMSNorm (Qwen2RMSNorm, …), not
    "RMSNorm"; the row names the class of the real module, and the count is transformers'."""
    transformers = require_module("transformers")
    cfg = getattr(transformers, f"{family}Config")(vocab_size=11, hidden_size=8, intermediate_size=16,
                                                    num_hidden_layers=1, num_attention_heads=2,
                                                    num_key_value_heads=2, head_dim=4)
    hf = getattr(transformers, f"{family}Model")(cfg)
    model = _hf(cfg)
    assert model.total == _count(hf)
    name = type(hf.norm).__name__
    assert name == f"{family}RMSNorm"
    assert next(n for n in model.nodes if n.name == "norm").type == name
    assert f"| `norm` ({name}) |" in _md(model)


# Wording in one language each (agreement, register, glosses).


@pytest.mark.parametrize("source,lang,present,absent", [
    # US spelling like the rest of the text (normalization, normalized)
    ("hf/bert-base-uncased.json", "en", "serves as a summary of the whole input", "summarise"),
    # what is scaled is the dot product (QKᵀ/√d_k): « produit scalaire mis à l’échelle », agreeing
    # with « produit »; « normalisé » suggests the cosine (unit vectors), which QKᵀ/√d_k is not (review 27 fr)
    ("specs/mha_small.yaml", "fr", "produit scalaire mis à l’échelle", "produit scalaire normalisé"),
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
def test_agreement_register_and_glosses(source, lang, present, absent):
    text = _md(source, lang)
    assert present in text
    assert absent not in text


# The per-head split, the stack row's block count, T5's and Llama's block sentences.


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
def test_heads_split_the_output_features_wording(source, lang, present, absent):
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
    the summary row is numeric like every other row (de/es/fr lecturers: 'L × (…)' mixed a
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
