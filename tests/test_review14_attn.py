"""Round-13 reviewers' findings on the transformer documents (gpt2, bert, llama, t5, mha), round 14:
a size the config states is not written as a rule, T5's norm by its class, which feed-forward
variant applies, GPT-2's second input, and wording."""
from __future__ import annotations

import json

import pytest

import explain
from tests.conftest import FIXTURES, assert_wording, derivation_md, require_module


def _md(source, lang: str = "en", fmt: str = "markdown") -> str:
    """A fixture's derivation (rendered once, shared), or a loaded model's."""
    if isinstance(source, str):
        return derivation_md(source, lang, fmt)
    from explain.render.documents import render_document
    return render_document("derivation", source, lang=lang, format=fmt)


def _hf(config) -> object:
    """A transformers config object as our importer reads its config.json."""
    from explain.importers.hf_config import load_hf_config
    raw = json.loads(config.to_json_string(use_diff=False))
    return load_hf_config(raw, "config.json")


def _intro(text: str) -> str:
    return text[:text.index("\n## ")]


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
    # round 18: the term French courses use, and the English name alone in the parenthesis
    ("specs/mha_small.yaml", "fr", "l’attention par produit scalaire normalisé (scaled dot-product attention), qui "
     "n’a pas de paramètres", "mis à l’échelle"),
    # round 18: one tensor passed as query and value, said once
    ("specs/mha_small.yaml", "es", "Al invocar la capa se le pasa `x` como consulta y como valor; la clave no "
     "se pasa y, por defecto, es igual al valor.", "La capa se llama"),
])
def test_reviewers_wording(source, lang, said, not_said):
    """Round-12 reviewers' wording (de, ja, fr, es): the sentences as a lecturer writes them."""
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
    assert ("Las posiciones `position_ids` (0, 1, 2, …) las genera el modelo si no se dan." if name == "gpt2"
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
    segments runs along the borders of attn (round 12: it ran in the narrow gaps above and below
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
def test_round13_wording(source, lang, said):
    """Round-13 reviewers (ja, es): one verb for projections (射影), the usual term for GPT-2's mask,
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
    (de reviewer, round 13: printed as 4×32×2×16+3×2×16+32); Markdown is unchanged."""
    assert 4 * 32 * 2 * 16 + 3 * 2 * 16 + 32 == 4224
    tex = _md("specs/mha_small.yaml", "de", "latex")
    assert (r"Die Zeile $\medmuskip=4mu plus 2mu\relax\thickmuskip=5mu plus 5mu\relax 4 \times 32 \times 2 "
            r"\times 16 + 3 \times 2 \times 16 + 32$ fasst gleichartige Terme zusammen") in tex
    assert "medmuskip" not in _md("specs/mha_small.yaml", "de")


def test_gpt2_block_sentence_is_split_in_parts():
    """en reviewer, round 13: one 70-word sentence with two nested parentheticals; each part is a
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
    and B); en reviewer, round 13: 'number of token types (segments)'."""
    transformers = require_module("transformers")
    cfg = transformers.BertConfig()
    assert cfg.type_vocab_size == 2
    assert transformers.BertModel(transformers.BertConfig(vocab_size=11, hidden_size=8, num_hidden_layers=1,
                                                          num_attention_heads=2, intermediate_size=16,
                                                          max_position_embeddings=6)).embeddings.token_type_embeddings.num_embeddings == 2
    assert "- $V_{\\text{type}} = 2$: number of token types (segments)\n" in _intro(_md("hf/bert-base-uncased.json"))


@pytest.mark.parametrize("family", ["Llama", "Mistral", "Qwen2", "Gemma", "Qwen3", "Mixtral"])
def test_decoder_final_norm_is_named_by_its_class(family):
    """fr reviewer, round 13: model.norm is transformers' LlamaRMSNorm (Qwen2RMSNorm, …), not
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
