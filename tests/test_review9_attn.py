"""Round-9 reviewers' findings on the transformer documents (GPT-2, BERT, MHA, Llama, T5)."""
from __future__ import annotations

import math


import explain
from explain.layers import _texts
from explain.render import messages
from explain.render.i18n import translations
from tests.conftest import FIXTURES, require_module


def _md(name: str, lang: str = "en") -> str:
    from explain.render.documents import render_document
    return render_document("derivation", explain.load(FIXTURES / name), lang=lang, format="markdown")


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


def test_reviewers_wording_round9():
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
