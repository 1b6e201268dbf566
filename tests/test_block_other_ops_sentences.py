"""What the terms of a transformer block's other operations O count (native review 38: the
Llama-2-7B note's O_1 and the live PyTorch encoder's O stood without saying what each term counts,
and 3H·T² against 4H·T² looked like an error). Sizes come from the fixture's config or a live
module; the terms' sums are derived by hand here and checked against the formula's value."""
from __future__ import annotations

import json
import re

import pytest

import explain
from explain.render.documents import render_document
from tests.conftest import FIXTURES, require_module

torch = require_module("torch")
transformers = require_module("transformers")

LANGS = ["en", "de", "fr", "es", "ja"]
LLAMA = FIXTURES / "hf" / "llama-2-7b.json"


def _md(model, lang: str) -> str:
    return render_document("derivation", model, lang=lang, format="markdown", count=("params", "compute", "memory"))


def _paragraph(text: str, fragment: str) -> str:
    """The one paragraph holding ``fragment``."""
    found = [p for p in text.split("\n\n") if fragment in p]
    assert len(found) == 1, (fragment, len(found))
    return found[0]


def _terms(paragraph: str) -> list[str]:
    """The terms the sentence names, in order (without O, which some languages repeat)."""
    return [t for t in re.findall(r"\$([^$]+)\$", paragraph) if t != "O"]


@pytest.fixture(scope="module")
def llama():
    model = explain.load(str(LLAMA))
    return model, {lang: _md(model, lang) for lang in LANGS}


def test_llama_terms_sum_by_hand_to_the_formula(llama):
    """Per position: the two RMSNorms' weights 2d; in 8d their statistics 6d and the residual adds
    2d; activation and gate 2f; RoPE 3 per query and key element, (H + H_kv)·d_h of them; per
    score 4H. Llama-2-7B's config: d = 4096, f = 11008, H = H_kv = 32, d_h = 4096/32, T = 4096."""
    config = json.loads(LLAMA.read_text())
    d, f, H = config["hidden_size"], config["intermediate_size"], config["num_attention_heads"]
    H_kv, T, L = config.get("num_key_value_heads", H), config["max_position_embeddings"], config["num_hidden_layers"]
    d_h = d // H
    weights, statistics, residual = 2 * d, 2 * 3 * d, 2 * d
    assert statistics + residual == 8 * d
    per_position = weights + statistics + residual + 2 * f + 3 * (H + H_kv) * d_h
    by_hand = T * per_position + 4 * H * T * T
    assert by_hand == 2_506_096_640
    model, docs = llama
    assert model.evaluate(model.node("model.layers").other_ops) == L * by_hand
    assert r"O_{1} &= 4H \cdot T^{2} + 2T \cdot d + T \cdot (8d + 3d_{h} \cdot (H + H_{\text{kv}}) + 2f)" in docs["en"]
    for lang, text in docs.items():
        start = text.rindex("`model.layers`")  # the compute section's
        section = text[start:text.index("`model.norm`", start)]
        para = _paragraph(section, "$8d$")
        assert _terms(para) == ["2d", "8d", "6d", "2d", "2f", r"d_{h} \cdot (H + H_{\text{kv}})", "4H"], lang
        if lang != "en":
            assert "Per position" not in para, lang


def test_live_llama_layer_has_two_rmsnorms_and_rope():
    """The sentence's two RMSNorms, d elements each per token: hooks on a small live layer."""
    config = transformers.LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=1,
                                      num_attention_heads=4, num_key_value_heads=2)
    net = transformers.LlamaModel(config).eval()
    seen: list[int] = []
    for module in net.layers[0].modules():
        if type(module).__name__ == "LlamaRMSNorm":
            module.register_forward_hook(lambda m, args, out: seen.append(args[0].numel()))
    with torch.no_grad():
        net(torch.zeros(1, 5, dtype=torch.long))
    assert seen == [5 * 32, 5 * 32]
    assert not any("bias" in name for name, _ in net.layers[0].named_parameters())


def test_llama_sentence_only_where_o_is_llamas(tmp_path):
    """Qwen2's q, k and v biases add T·(H + 2H_kv)·d_h to O: the Llama sentence would be false."""
    config = transformers.Qwen2Config(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**config.to_dict(), "architectures": ["Qwen2ForCausalLM"]}, default=str), "utf-8")
    text = _md(explain.load(str(path)), "en")
    assert "(Qwen2DecoderLayer)" in text and "the weights of the two RMSNorms" not in text


class _Enc(torch.nn.Module):
    """The reviewed live encoder (/work/wt/review/enc.py): d = 256, H = 4, f = 1024, T = 128."""

    def __init__(self, bias: bool = True):
        super().__init__()
        self.emb = torch.nn.Embedding(100, 256)
        layer = torch.nn.TransformerEncoderLayer(256, 4, 1024, batch_first=True, bias=bias)
        self.encoder = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)

    def forward(self, x):
        return self.encoder(self.emb(x))


def test_torch_encoder_terms_sum_by_hand_to_the_formula():
    """In 22d: biases 5d (in_proj_bias 3d, out_proj.bias d, linear2.bias d), the LayerNorms'
    statistics 2·5d and weights and biases 2·2d, the queries' scaling d, two residual adds 2d;
    in 2f: linear1.bias f and the activation f; per score the softmax 3H. Sizes from torch."""
    net = _Enc()
    layer = net.encoder.layers[0]
    sizes = {name: p.numel() for name, p in layer.named_parameters()}
    d, f, H, T = 256, 1024, layer.self_attn.num_heads, 128
    biases = sizes["self_attn.in_proj_bias"] + sizes["self_attn.out_proj.bias"] + sizes["linear2.bias"]
    norms = sum(sizes[f"norm{i}.{w}"] for i in (1, 2) for w in ("weight", "bias"))
    assert (biases, norms, sizes["linear1.bias"]) == (5 * d, 4 * d, f)
    statistics, scaling, residual = 2 * 5 * d, d, 2 * d
    assert biases + statistics + norms + scaling + residual == 22 * d
    by_hand = T * (22 * d) + T * (sizes["linear1.bias"] + f) + 3 * H * T * T
    assert by_hand == 1_179_648
    model = explain.from_torch(net, input_data=torch.zeros(1, T, dtype=torch.long))
    assert model.evaluate(model.node("encoder.layers.0").other_ops) == by_hand
    for lang in LANGS:
        text = _md(model, lang)
        assert r"O &= 3H \cdot T^{2} + 22T \cdot d + 2T \cdot f" in text
        para = _paragraph(text, "$22d$")
        assert _terms(para) == ["22d", "5d", "10d", "4d", "d", "2d", "2f", "f", "3H"], lang
        assert "`linear1`" in para and "`linear2`" in para
        if lang != "en":
            assert "Per position" not in para, lang


def test_torch_encoder_without_biases_by_hand():
    """bias=False: no biases, one weight per LayerNorm element (torch: no norm bias). In 15d: the
    statistics 2·5d, the weights 2d, the queries' scaling d, two residual adds 2d; in f the
    activation; per score the softmax 3H: O = 3H·T² + 15T·d + T·f."""
    net = _Enc(bias=False)
    layer = net.encoder.layers[0]
    assert not any(name.endswith("bias") for name, _ in layer.named_parameters())
    d, f, H, T = 256, 1024, layer.self_attn.num_heads, 128
    weights = layer.norm1.weight.numel() + layer.norm2.weight.numel()
    assert 2 * 5 * d + weights + d + 2 * d == 15 * d
    by_hand = T * 15 * d + T * f + 3 * H * T * T
    model = explain.from_torch(net, input_data=torch.zeros(1, T, dtype=torch.long))
    assert model.evaluate(model.node("encoder.layers.0").other_ops) == by_hand == 819_200
    for lang in LANGS:
        text = _md(model, lang)
        assert r"O &= 3H \cdot T^{2} + 15T \cdot d + T \cdot f" in text and "$22d$" not in text
        para = _paragraph(text, "$15d$")
        assert _terms(para) == ["15d", "10d", "2d", "d", "2d", "f", "3H"], lang
        if lang != "en":
            assert "Per position" not in para, lang


def test_gemma_sentence_groups_as_its_formula(tmp_path):
    """Gemma 3's formula has 4T·d (the four norms' weights) and 14d = 12d (their statistics) + 2d
    (the residual adds); its sentence names them in that grouping, in every language."""
    config = transformers.Gemma3TextConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                           num_attention_heads=4, num_key_value_heads=2, head_dim=8)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**config.to_dict(), "architectures": ["Gemma3ForCausalLM"]}, default=str), "utf-8")
    model = explain.load(str(path))
    assert 12 + 2 == 14
    for lang in LANGS:
        text = _md(model, lang)
        assert r"4T \cdot d + T \cdot (14d + 7d_{h} \cdot (H + H_{\text{kv}}) + 2f)" in text
        para = _paragraph(text, "$14d$")
        assert _terms(para)[:5] == ["4d", "14d", "12d", "2d", "2f"], lang


def test_gemma_sentence_not_with_attention_bias(tmp_path):
    """attention_bias adds the q, k, v and o biases to O (transformers: q_proj has a bias); the
    sentence, whose per-position vectors are the four norms' 4d, would be false: none."""
    config = transformers.Gemma2Config(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                       num_attention_heads=4, num_key_value_heads=2, head_dim=8, attention_bias=True)
    assert transformers.Gemma2ForCausalLM(config).model.layers[0].self_attn.q_proj.bias is not None
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**config.to_dict(), "architectures": ["Gemma2ForCausalLM"]}, default=str), "utf-8")
    text = _md(explain.load(str(path)), "en")
    assert "(Gemma2DecoderLayer)" in text and "the weights of the four RMSNorms" not in text
    path.write_text(json.dumps({**config.to_dict(), "attention_bias": False, "architectures": ["Gemma2ForCausalLM"]},
                               default=str), "utf-8")
    assert "the weights of the four RMSNorms" in _md(explain.load(str(path)), "en")
