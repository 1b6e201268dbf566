"""Round-13 reviewers' findings on the transformer documents (gpt2, bert, llama, t5, mha), round 14:
a size the config states is not written as a rule, T5's norm by its class, which feed-forward
variant applies, GPT-2's second input, and wording."""
from __future__ import annotations

import json

import pytest

import explain
from tests.conftest import FIXTURES, require_module


def _md(source, lang: str = "en", fmt: str = "markdown") -> str:
    from explain.render.documents import render_document
    model = explain.load(FIXTURES / source) if isinstance(source, str) else source
    return render_document("derivation", model, lang=lang, format=fmt)


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
    ("es", "- $f = 3072$: dimensión interna de la red prealimentada (`intermediate_size`; aquí igual a $4d$)"),
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
