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
    assert "(`mlp.c_fc` from $d$ to $f$, GELU in its tanh approximation, `mlp.c_proj`" in text
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
    assert "Pre-LN（プレノルム）" in ja(_texts.GPT2_BLOCK_GELU_TANH)
    assert "サブ層に通し、その出力を元の入力に足します" in ja(_texts.GPT2_BLOCK)
    assert "この層によるスキップ接続（残差接続）" in ja(_texts.ADD)
    assert "vor dem Teil" not in de(_texts.GPT2_BLOCK) and "innerhalb des Residualzweigs" in de(_texts.GPT2_BLOCK)
    fr = translations("fr").gettext
    assert "à une moyenne nulle et à une variance égale à 1" in fr(_texts.LAYER_NORM)
    assert "auto-attention masquée (causale)" in fr(_texts.LLAMA_BLOCK)
    assert translations("es").gettext("feed-forward size") == "dimensión interna de la red prealimentada"
    text = _md("hf/bert-base-uncased.json")
    assert "the classification token `[CLS]`, whose vector is used as a summary of the whole input" in text
    ja_mha = _md("specs/mha_small.yaml", "ja")
    assert "表の `gamma` が $\\gamma$、`beta` が $\\beta$ に当たります。" in ja_mha
    assert "sans compter les entrées du modèle" in _md("hf/llama-2-7b.json", "fr")


def test_layernorm_note_says_at_each_position_once():
    for lang in ("en", "de"):
        text = _md("hf/gpt2.json", lang)
        section = text.split("### 5. `transformer.ln_f`")[1].split("###")[0]
        assert section.count("Position") + section.count("position") == 1, lang
