"""Gemma's RMSNorm scales by 1 + weight (the weight starts at 0), Llama's by the weight: the
sentence of the final norm row says which, as transformers' own class computes it."""
from __future__ import annotations

import json

import pytest

from explain.importers import load
from explain.render import render_document
from tests.conftest import require_module

transformers = require_module("transformers")
torch = require_module("torch")

SMALL = dict(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=2, head_dim=8, max_position_embeddings=64)


@pytest.mark.parametrize("config_class,model_class,arch,norm_class", [
    ("GemmaConfig", "GemmaModel", "GemmaForCausalLM", "GemmaRMSNorm"),
    ("Gemma2Config", "Gemma2Model", "Gemma2ForCausalLM", "Gemma2RMSNorm"),
    ("Gemma3TextConfig", "Gemma3TextModel", "Gemma3ForCausalLM", "Gemma3RMSNorm"),
    ("LlamaConfig", "LlamaModel", "LlamaForCausalLM", "LlamaRMSNorm"),
    ("Qwen3Config", "Qwen3Model", "Qwen3ForCausalLM", "Qwen3RMSNorm"),
])
def test_the_norm_sentence_says_how_transformers_scales(tmp_path, config_class, model_class, arch, norm_class):
    config = getattr(transformers, config_class)(**SMALL)
    model = getattr(transformers, model_class)(config).eval()
    norm = model.norm
    assert type(norm).__name__ == norm_class
    x = torch.randn(1, 3, 32)
    with torch.no_grad():
        norm.weight.fill_(0.5)
        eps = norm.eps if hasattr(norm, "eps") else norm.variance_epsilon
        rms = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps)
        offset = torch.allclose(norm(x), rms * 1.5, atol=1e-4)
        assert offset or torch.allclose(norm(x), rms * 0.5, atol=1e-4)
    data = {**config.to_dict(), "architectures": [arch]}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")
    text = render_document("derivation", load(str(path), {}, None), lang="en", format="markdown")
    assert f"({norm_class})" in text
    says_offset = "scales it by one plus $\\gamma$" in text
    assert says_offset == offset
    assert ("then scales it by $\\gamma$. It has no shift" in text) == (not offset)
    if offset:
        for lang, words in (("de", "eins plus"), ("fr", "un plus"), ("ja", "1 に"), ("es", "uno más")):
            assert words in render_document("derivation", load(str(path), {}, None), lang=lang, format="markdown"), lang
