"""Gemma 3's derivation, true and followable (native review 37): the embedding's √d scaling, the
other operations of a block (four RMSNorms, q_norm and k_norm on every head), the notes on
grouped-query attention, the head size and the gated feed-forward part, the two kinds of block
(sliding and global attention) and the activation estimate with the window. Numbers come from
transformers (a live module, or its parameter count on the meta device) or from a hand derivation
from the config's sizes written here."""
from __future__ import annotations

import json
import math

import pytest

import explain
from explain.render.documents import render_document
from tests.conftest import require_module

transformers = require_module("transformers")
torch = require_module("torch")

REVIEW = dict(hidden_size=2560, intermediate_size=10240, num_hidden_layers=34, num_attention_heads=8,
              num_key_value_heads=4, head_dim=256, vocab_size=262208, sliding_window=1024)
"""The reviewed Gemma 3 text config (review 37)."""
d, f, L, H, H_kv, d_h, V, w = 2560, 10240, 34, 8, 4, 256, 262208, 1024
T = 131072  # Gemma3TextConfig's max_position_embeddings, the context the document counts at
SMALL = dict(hidden_size=64, intermediate_size=96, num_hidden_layers=7, num_attention_heads=4,
             num_key_value_heads=2, head_dim=24, vocab_size=100, sliding_window=6)


def _config_file(tmp_path, config_class: str = "Gemma3TextConfig", arch: str = "Gemma3ForCausalLM",
                 **sizes) -> str:
    config = getattr(transformers, config_class)(**(sizes or REVIEW))
    path = tmp_path / f"{arch}.json"
    path.write_text(json.dumps({**config.to_dict(), "architectures": [arch]}))
    return str(path)


def _md(model, lang: str = "en") -> str:
    return render_document("derivation", model, lang=lang, format="markdown", count=("params", "compute", "memory"))


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end, text.index(start))]


def test_parameters_stay_transformers_count(tmp_path):
    """The total is transformers' own (the LM head tied: counted once)."""
    config = transformers.Gemma3TextConfig(**REVIEW)
    with torch.device("meta"):
        net = transformers.AutoModelForCausalLM.from_config(config)
    theirs = sum(p.numel() for p in net.parameters())
    assert explain.load(_config_file(tmp_path)).total == theirs == 3_880_263_168


@pytest.mark.parametrize("config_class, arch, module", [
    ("GemmaConfig", "GemmaForCausalLM", "gemma"), ("Gemma2Config", "Gemma2ForCausalLM", "gemma2"),
    ("Gemma3TextConfig", "Gemma3ForCausalLM", "gemma3")])
def test_embedding_multiplies_by_sqrt_d_one_operation_per_output(tmp_path, config_class, arch, module):
    """transformers' Gemma embeddings return weight[ids]·√d (embed_scale, a buffer, not a
    parameter): no MACs and T·d other operations, under the class print(model) shows."""
    sizes = dict(SMALL, num_hidden_layers=2)
    if module == "gemma":
        sizes.pop("sliding_window")
    config = getattr(transformers, config_class)(**sizes)
    net = getattr(transformers, arch)(config).eval()
    embed = net.model.embed_tokens
    ids = torch.tensor([[3, 7, 11]])
    with torch.no_grad():
        assert torch.allclose(embed(ids), embed.weight[ids] * math.sqrt(64))
    assert [n for n, _ in embed.named_parameters()] == ["weight"]
    model = explain.load(_config_file(tmp_path, config_class, arch, **sizes), T=10)
    node = model.node("model.embed_tokens")
    assert node.type == type(embed).__name__
    assert model.evaluate(node.macs) == 0 and model.evaluate(node.other_ops) == 10 * 64


def test_review_embedding_sentences_and_total(tmp_path):
    """The reviewed config: O = T·d = 131,072 × 2,560 for the embedding, in the total too; no
    sentence says the layer computes nothing."""
    model = explain.load(_config_file(tmp_path))
    assert model.evaluate(model.node("model.embed_tokens").other_ops) == T * d == 335_544_320
    text = _md(model)
    compute = _section(text, "#### 1. `model.embed_tokens` (Gemma3TextScaledWordEmbedding)", "#### 2.")
    assert "computes nothing" not in compute
    assert "multiplying each of them by $\\sqrt{d}$ takes one multiplication per output element" in compute
    assert "$$\nO = N_{\\text{out}} = T \\cdot d = 335{,}544{,}320\n$$" in compute
    assert "multiplies every vector it looks up by $\\sqrt{d}$. This factor is a constant, not a parameter." in text
    assert sum(model.evaluate(n.other_ops) for n in model.nodes) == model.other_ops


def _normalized_per_token() -> tuple[int, int]:
    """(elements the RMSNorms of one live Gemma 3 decoder layer normalize per token, their number
    of calls): forward hooks on every Gemma3RMSNorm of layer 0 of a small model."""
    config = transformers.Gemma3TextConfig(**SMALL)
    net = transformers.Gemma3TextModel(config).eval()
    seen: list[int] = []
    layer = net.layers[0]
    for module in layer.modules():
        if type(module).__name__ == "Gemma3RMSNorm":
            module.register_forward_hook(lambda m, args, out: seen.append(args[0].numel()))
    with torch.no_grad():
        net(torch.zeros(1, 5, dtype=torch.long))
    return sum(seen) // 5, len(seen)


def test_block_other_operations_count_every_norm_by_hand(tmp_path):
    """A live layer normalizes per token 4d (input, post-attention, pre- and post-feedforward)
    plus (H + H_kv)·d_h (q_norm and k_norm on every head): 4·64 + (4 + 2)·24 = 400 elements in 6
    calls. By the RMSNorm convention (statistics 3, weight 1 per element), with two residual adds
    2d, GELU and gate 2f, RoPE 3 per query and key element, softmax and scaling 4H per score:
    per token O = 4·(4d + (H + H_kv)·d_h) + 2d + 2f + 3·(H + H_kv)·d_h."""
    normalized, calls = _normalized_per_token()
    assert (normalized, calls) == (4 * 64 + (4 + 2) * 24, 6)
    model = explain.load(_config_file(tmp_path, **SMALL), T=10)
    per_token = 4 * normalized + 2 * 64 + 2 * 96 + 3 * (4 + 2) * 24
    keys = [6] * 5 + [10, 6]  # layer 5 attends to all T = 10 positions, the others to w = 6
    by_hand = 7 * 10 * per_token + sum(4 * 4 * 10 * k for k in keys)
    assert model.evaluate(model.node("model.layers").other_ops) == by_hand
    # the reviewed config: the same rule with its sizes
    big = explain.load(_config_file(tmp_path))
    per_token = 4 * (4 * d + (H + H_kv) * d_h) + 2 * d + 2 * f + 3 * (H + H_kv) * d_h
    by_hand = L * T * per_token + 4 * H * T * (29 * w + 5 * T)
    assert big.evaluate(big.node("model.layers").other_ops) == by_hand == 3_265_785_757_696


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "ja"])
def test_block_notes_say_gqa_head_size_and_gated_ffn(tmp_path, lang):
    """Where the parameters are counted: grouped-query attention (H_kv = 4 < H = 8), the head size
    d_h = 256 from head_dim with H·d_h = 2,048 ≠ d = 2,560, and the gated (GeGLU) feed-forward
    part with its three d·f matrices; the compute sentence names q_norm and k_norm."""
    config = transformers.Gemma3TextConfig(**REVIEW)
    assert config.head_dim * config.num_attention_heads == 2048 != config.hidden_size
    assert config.hidden_activation == "gelu_pytorch_tanh"
    text = _md(explain.load(_config_file(tmp_path)), lang)
    block = _section(text, "### 2. `model.layers`", "### 3.")
    words = {"en": ("Grouped-query attention", "(here 2,048)", "(here 2,560)", "GeGLU in Gemma"),
             "de": ("Grouped-Query-Attention", "(hier 2.048)", "(hier 2.560)", "GeGLU in Gemma"),
             "fr": ("Attention à requêtes groupées", "(ici 2\u202f048)", "(ici 2\u202f560)", "GeGLU dans Gemma"),
             "es": ("Atención de consultas agrupadas", "(aquí 2048)", "(aquí 2560)", "GeGLU en Gemma"),
             "ja": ("グループ化クエリアテンション", "（ここでは 2,048）", "（ここでは 2,560）", "Gemma では GeGLU")}[lang]
    for word in words:
        assert word in block, (lang, word)
    assert "`head_dim`" in block and "`q_norm`" in _section(text, "#### 2. `model.layers`", "#### 3.")


def _tex(n: int) -> str:
    """A whole number as the English math writes it: 12{,}919{,}261{,}626{,}368."""
    return f"{n:,}".replace(",", "{,}")


def test_two_kinds_of_block_are_counted_apart_by_hand(tmp_path):
    """transformers' layer_types for this config: layers 5, 11, 17, 23 and 29 full attention, the
    other L_w = 29 sliding (w = 1,024). Per block by hand: the matrices T·(2·H·d·d_h + 2·H_kv·d·d_h
    + 3·d·f) and the scores and weighted sum 2·H·d_h per query and key, w keys in a local block,
    T in a global one; O as in the test above with 4H per score. The document gives each kind's
    count and 29 × local + 5 × global, the total it gave before as L × a fractional mean."""
    config = transformers.Gemma3TextConfig(**REVIEW)
    full = [i for i, kind in enumerate(config.layer_types) if kind != "sliding_attention"]
    assert full == [5, 11, 17, 23, 29] and config.sliding_window == w
    model = explain.load(_config_file(tmp_path))
    matrices = T * (2 * H * d * d_h + 2 * H_kv * d * d_h + 3 * d * f)
    local, global_ = matrices + 2 * H * d_h * T * w, matrices + 2 * H * d_h * T * T
    assert (local, global_) == (12_919_261_626_368, 82_738_249_990_144)
    assert model.evaluate(model.node("model.layers").macs) == 29 * local + 5 * global_ == 788_349_837_115_392
    per_token = 4 * (4 * d + (H + H_kv) * d_h) + 2 * d + 2 * f + 3 * (H + H_kv) * d_h
    o_local, o_global = T * per_token + 4 * H * T * w, T * per_token + 4 * H * T * T
    text = _md(model)
    assert ("$L_{w} = 29$ of the $L = 34$ blocks attend locally: each query attends only to the last $w = 1{,}024$ "
            "positions up to its own (the configuration's `sliding_window`). The other 5, `model.layers.5`, "
            "`model.layers.11`, `model.layers.17`, `model.layers.23` and `model.layers.29`, attend globally, to all "
            "positions.") in text
    block = _section(text, "#### 2. `model.layers`", "#### 3.")
    for line in (rf"&= {_tex(local)} \\", rf"&= {_tex(global_)} \\",
                 r"\text{MACs} &= L_{w} \cdot \text{MACs}_{\text{local}} + (L - L_{w}) \cdot \text{MACs}_{\text{global}}",
                 rf"&= 29 \times {_tex(local)} + 5 \times {_tex(global_)} \\",
                 rf"&= 29 \times {_tex(o_local)} + 5 \times {_tex(o_global)} \\",
                 "- $L_{w} = 29$: number of blocks with sliding-window (local) attention",
                 "- $w = 1{,}024$: width of the sliding attention window"):
        assert line in block, line
    assert r"\frac" not in block and "_{1}" not in block  # no mean over unlike blocks
    for lang, label in (("de", r"\text{MACs}_{\text{lokal}}"), ("ja", r"O_{\text{グローバル}}")):
        assert label in _md(model, lang), lang


def test_activation_estimate_takes_the_window_by_hand(tmp_path):
    """Korthikanti et al.'s 34·T·d + 5·H·T² per block, with min(T, w) = w keys for the T² term in
    the 29 sliding blocks: 5 × (11,408,506,880 + 687,194,767,360) + 29 × (11,408,506,880 +
    5,368,709,120) = 3,979,555,635,200 bytes ≈ 3.98 TB per sample, not 34 × 698.6 GB = 23.8 TB.
    The block has no dropout (no nn.Dropout in a live layer, attention_dropout 0.0) and a gated
    feed-forward of f = 4d, which is the formula's width, not a difference."""
    config = transformers.Gemma3TextConfig(**REVIEW)
    assert config.attention_dropout == 0.0 and f == 4 * d
    layer = transformers.models.gemma3.modeling_gemma3.Gemma3DecoderLayer(transformers.Gemma3TextConfig(**SMALL), 0)
    assert not any(isinstance(m, torch.nn.Dropout) for m in layer.modules())
    kept, full, window = 34 * T * d, 5 * H * T * T, 5 * H * T * w
    assert (kept, full, window) == (11_408_506_880, 687_194_767_360, 5_368_709_120)
    total = 5 * (kept + full) + 29 * (kept + window)
    assert total == 3_979_555_635_200 and 34 * (kept + full) == 23_752_511_324_160
    text = _md(explain.load(_config_file(tmp_path)))
    memory = text[text.index("### Activations (estimate)"):]
    assert ("gives 698.6\u00a0GB per block that attends to all positions. In the 29 blocks with a sliding window of "
            "$w = 1{,}024$ positions, where a query has at most $w$ keys, its term $5\\, H T^{2}$ becomes "
            "$5\\, H T \\min(T, w)$, counting, as the compute above does, only the keys inside the window: "
            "16.8\u00a0GB per block. For its 34 blocks that is 3.98\u00a0TB per sample.") in memory
    assert ("(they have no dropout, while $2\\, T d + 3\\, H T^{2}$ of the formula are dropout masks and outputs; "
            "their feed-forward is gated, with three matrices instead of two at the formula's width $4d$; in 29 of "
            "them a query attends only to the positions of a sliding window)") in memory
    assert "For the activations, Korthikanti et al.'s formula above gives an order-of-magnitude estimate of " \
           "3.98\u00a0TB per sample." in memory
    assert "23.8" not in memory and "10,240 wide" not in memory


def test_every_block_sliding_says_so_by_hand(tmp_path):
    """Mistral slides in every layer: 34·T·d + 5·H·T·min(T, w) with T = 32, d = 64, H = 4, w = 6:
    69,632 + 3,840 = 73,472 bytes per block, 146,944 for its 2 blocks."""
    config = transformers.MistralConfig(hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
                                        intermediate_size=96, vocab_size=100, max_position_embeddings=32,
                                        sliding_window=6, num_hidden_layers=2)
    assert 34 * 32 * 64 + 5 * 4 * 32 * 6 == 73_472
    path = tmp_path / "mistral.json"
    path.write_text(json.dumps({**config.to_dict(), "architectures": ["MistralForCausalLM"]}))
    text = _md(explain.load(str(path)))
    assert "Its blocks attend within a sliding window of $w = 6$ positions" in text
    assert ": 73.5\u00a0kB per block and 146.9\u00a0kB per sample for its 2 blocks." in text
    assert "attend locally" not in text  # no two kinds of block


def test_note_on_the_kinds_in_text_and_json(tmp_path):
    """The same note in plain text and JSON: no TeX, the global blocks' names as a list."""
    model = explain.load(_config_file(tmp_path))
    text = render_document("derivation", model, lang="en", format="text")
    assert "L_w = 29 of the L = 34 blocks attend locally" in text and "$" not in text.split("\n")[1]
    assert "model.layers.5, model.layers.11, model.layers.17, model.layers.23 and model.layers.29" in text
    notes = json.loads(render_document("derivation", model, lang="en", format="json"))["model_notes"]
    note = next(n for n in notes if n["key"] == "sliding_layers")
    assert note["L_w_eq"] == 29 and note["global"] == ["model.layers.5", "model.layers.11", "model.layers.17",
                                                        "model.layers.23", "model.layers.29"]
    assert note["text"].startswith("L_w = 29 of the L = 34 blocks attend locally: each query attends only to "
                                   "the last w = 1024 positions")


def test_one_global_block_under_a_multimodal_prefix(tmp_path):
    """Gemma 3 with vision: 7 text layers, of which transformers' layer 5 attends to all positions;
    the note names it under the language model's prefix, in the singular; the embedding is
    Gemma3TextScaledWordEmbedding there too; the total is transformers' (meta device)."""
    config = transformers.Gemma3Config(text_config=dict(SMALL, vocab_size=300), vision_config=dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=32, patch_size=8))
    assert [i for i, k in enumerate(config.text_config.layer_types) if k != "sliding_attention"] == [5]
    with torch.device("meta"):
        net = transformers.Gemma3ForConditionalGeneration(config)
    path = tmp_path / "gemma3.json"
    path.write_text(json.dumps({**config.to_dict(), "architectures": ["Gemma3ForConditionalGeneration"]}))
    model = explain.load(str(path))
    assert model.total == sum(p.numel() for p in net.parameters())
    assert model.node("model.language_model.embed_tokens").type == \
        type(net.model.language_model.embed_tokens).__name__ == "Gemma3TextScaledWordEmbedding"
    text = render_document("derivation", model, lang="en", format="markdown")
    assert "The other block, `model.language_model.layers.5`, attends globally, to all positions." in text


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "ja"])
def test_local_and_global_blocks_do_not_share_weights(tmp_path, lang):
    """Review 38 (de 1, fr 2): 'the same parameters' read as shared weights. Each of the 34 blocks
    has weights of its own (transformers: 34 distinct q_proj tensors on the meta device); the two
    kinds are built alike and have as many parameters."""
    torch = require_module("torch")
    config = transformers.Gemma3TextConfig(**REVIEW)
    with torch.device("meta"):
        live = transformers.Gemma3ForCausalLM(config)
    q = [layer.self_attn.q_proj.weight for layer in live.model.layers]
    assert len({id(t) for t in q}) == len(q) == 34 and len({t.numel() for t in q}) == 1
    text = _md(explain.load(_config_file(tmp_path)), lang)
    said = {"en": "are built alike and have as many parameters (each block has weights of its own)",
            "de": "sind gleich aufgebaut und haben gleich viele Parameter (jeder Block hat eigene Gewichte)",
            "fr": "ont la même structure et le même nombre de paramètres (chaque bloc a ses propres poids)",
            "es": "tienen la misma estructura y el mismo número de parámetros (cada bloque tiene sus propios pesos)",
            "ja": "構造もパラメータ数も同じです（重みはブロックごとに別々に持ちます）"}[lang]
    assert said in text
    for shared in ("the same parameters", "dieselben Parameter", "les mêmes paramètres", "los mismos parámetros",
                   "パラメータは同じ"):
        assert shared not in text
