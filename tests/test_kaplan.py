"""Kaplan et al. 2020's closed forms for GPT-2, beside the exact count transformers reports; the
difference split into the parts transformers names."""
from __future__ import annotations

import pytest

import explain
from tests.conftest import FIXTURES, require_module


@pytest.fixture(scope="module")
def gpt2():
    """transformers' GPT-2 small, built on the meta device (shapes only, no memory)."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    with torch.device("meta"):
        return transformers.GPT2LMHeadModel(transformers.GPT2Config())


def test_gpt2_closed_forms_by_hand_and_exact_count_from_transformers(gpt2):
    reference = gpt2
    k = explain.load(FIXTURES / "hf" / "gpt2.json").kaplan()
    assert k is not None
    # GPT-2 small: d_model = d_attn = 768, d_ff = 4·768 = 3072, n_layer = 12, n_ctx = 1024
    assert (k.d_model, k.d_attn, k.d_ff, k.n_layer, k.n_ctx) == (768, 768, 3072, 12, 1024)
    # N = 2·768·12·(2·768 + 3072) = 18432·4608 = 84,934,656
    assert k.n == 84_934_656
    # C_forward = 2N + 2·12·1024·768 = 169,869,312 + 18,874,368 = 188,743,680 FLOPs per token
    assert k.forward_per_token == 188_743_680
    # C_train for D = 300·10⁹ tokens: 6·N·D
    assert k.training(300 * 10**9) == 6 * 84_934_656 * 300 * 10**9
    assert k.exact == sum(p.numel() for p in reference.parameters())  # tied head once


def test_gpt2_difference_is_embeddings_biases_and_norms_as_transformers_names_them(gpt2):
    reference = gpt2
    named = dict(reference.named_parameters())  # the tied lm_head.weight is wte's, listed once
    k = explain.load(FIXTURES / "hf" / "gpt2.json").kaplan()
    embeddings = named["transformer.wte.weight"].numel() + named["transformer.wpe.weight"].numel()
    in_blocks = sum(p.numel() for n, p in named.items()
                    if n.startswith("transformer.h.") and (n.endswith(".bias") or ".ln_" in n))
    final_norm = sum(p.numel() for n, p in named.items() if n.startswith("transformer.ln_f."))
    assert k.difference == embeddings + in_blocks + final_norm
    assert k.n_layer * k.block_rest == in_blocks
    assert str(k.rest_formula) == "9*d + f"  # biases 3d + d + f + d, two LayerNorms 2·2d
    assert {o.name: o.params for o in k.outside} == {
        "transformer.wte": named["transformer.wte.weight"].numel(),
        "transformer.wpe": named["transformer.wpe.weight"].numel(),
        "transformer.ln_f": final_norm, "lm_head": 0}


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_the_blocks_rest_is_multiplied_in_brackets(gpt2, tmp_path, fmt):
    """'in the blocks, 12 × (9d + f): 119,808': the sum in brackets (review 39, es: without them the
    line read 12·9d + f); a single term (Llama's 2d) without. 12·(9·768 + 3072) = 12·9984 =
    119,808 = the biases and LayerNorm weights of transformers' GPT-2 blocks."""
    from explain.render import render
    named = dict(gpt2.named_parameters())
    in_blocks = sum(p.numel() for n, p in named.items()
                    if n.startswith("transformer.h.") and (n.endswith(".bias") or ".ln_" in n))
    assert in_blocks == 12 * (9 * 768 + 3072) == 119_808
    text = render(explain.load(FIXTURES / "hf" / "gpt2.json"), lang="en", format=fmt, count=("params", "compute"))
    line = next(x for x in text.splitlines() if "in the blocks, 12" in x)
    assert "12 × $(9d + f)$: 119,808" in line
    _, llama = _llama(tmp_path, kv_heads=4)
    text = render(llama, lang="en", format=fmt, count=("params", "compute"))
    line = next(x for x in text.splitlines() if "in the blocks, 2" in x)
    assert "2 × $2d$:" in line


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_kaplans_names_for_the_sizes_are_defined_with_their_values(lang):
    """d_model, n_layer, d_attn and d_ff are given their values right after N's formula (review
    39, ja: the section used them undefined): GPT-2 small's 768, 12, 768 and 4·768 = 3072."""
    from explain.render import render
    text = render(explain.load(FIXTURES / "hf" / "gpt2.json"), lang=lang, format="markdown", count=("params", "compute"))
    formula = text.index(r"N \approx 2\, d_{\text{model}}")
    sizes = [r"d_{\text{model}} = 768$", r"n_{\text{layer}} = 12$", r"d_{\text{attn}} = 768$", r"d_{\text{ff}} = 3{,}072$"]
    after = text[formula:text.index("`transformer.wte`", formula)]
    assert all(s in after for s in sizes)


def test_another_context_length_and_models_without_the_closed_form():
    k = explain.load(FIXTURES / "hf" / "gpt2.json").kaplan(n_ctx=2048)
    assert k is not None and k.forward_per_token == 2 * 84_934_656 + 2 * 12 * 2048 * 768
    assert explain.load("example:seed-cnn").kaplan() is None


LLAMA = dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, intermediate_size=96,
             vocab_size=100, max_position_embeddings=16)


def _llama(tmp_path, kv_heads: int):
    """A small Llama from its config: (transformers' model, our model of the same config)."""
    transformers = require_module("transformers")
    import json
    config = transformers.LlamaConfig(num_key_value_heads=kv_heads, **LLAMA)
    config._attn_implementation = "eager"
    data = config.to_dict()
    data["architectures"] = ["LlamaForCausalLM"]
    path = tmp_path / f"llama{kv_heads}.json"
    path.write_text(json.dumps(data))
    return transformers.LlamaForCausalLM(config).eval(), explain.load(str(path))


def test_llama_closed_forms_with_the_gated_feed_forward_by_hand(tmp_path):
    """Llama without grouped-query attention: d_model = d_attn = 64, and the gated network's
    three d·f matrices are Kaplan's two d·d_ff with d_ff = 3f/2 = 144."""
    torch = require_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    reference, ours = _llama(tmp_path, kv_heads=4)
    k = ours.kaplan()
    assert k is not None
    assert (k.d_model, k.d_attn, k.d_ff, k.n_layer, k.n_ctx) == (64, 64, 144, 2, 16)
    # N = 2·64·2·(2·64 + 144) = 69,632 = the q, k, v, o and gate, up, down matrices of both layers
    assert k.n == 69_632
    named = dict(reference.named_parameters())
    matrices = sum(p.numel() for n, p in named.items() if n.startswith("model.layers.") and "_proj" in n)
    assert k.n == matrices
    assert k.exact == sum(p.numel() for p in reference.parameters())
    assert str(k.rest_formula) == "2*d"  # the two RMSNorm weights
    # C_forward = 2N + 2·2·16·64 = 143,360 FLOPs per token; exactly, FlopCounterMode's count per
    # token adds the weighted sum of V (2·L·T·d_attn) and the LM head (2·V·d)
    assert k.forward_per_token == 143_360
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        reference(torch.zeros(1, 16, dtype=torch.long))
    exact_flops_per_token = counter.get_total_flops() // 16
    assert exact_flops_per_token == k.forward_per_token + 2 * 2 * 16 * 64 + 2 * 100 * 64
    assert 2 * ours.macs_per_token == exact_flops_per_token


@pytest.mark.parametrize("lang", ["en", "de"])
def test_grouped_query_attention_says_why_the_closed_forms_are_not_shown(tmp_path, lang):
    from explain.render import render
    from explain.render.i18n import translate
    from explain.layers import _texts
    _, ours = _llama(tmp_path, kv_heads=2)
    assert ours.kaplan() is None
    text = render(ours, lang=lang, format="markdown", count=("params", "compute"))
    why = translate(lang, _texts.KAPLAN_ABSENT_GQA).split("%(")[0]
    assert why in text and r"$4\, d_{\text{model}}\, d_{\text{attn}}$" in text and "d\\_model" not in text
    _, mha = _llama(tmp_path, kv_heads=4)
    text = render(mha, lang=lang, format="markdown", count=("params", "compute"))
    assert "144" in text and why not in text
