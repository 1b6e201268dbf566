"""Hugging Face config.json: totals against the fixtures (real transformers runs) and against
transformers itself, building each family's model from a small config on the meta device."""
from __future__ import annotations

import json
import re

import pytest
import sympy

from explain.cli import main
from explain.importers import load
from explain.importers.hf_config import load_hf_config
from explain.symbols import sym
from tests.conftest import FIXTURES, require_module

HF = FIXTURES / "hf"
EXPECTED = json.loads((HF / "expected.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_totals(name):
    model = load(str(HF / f"{name}.json"))
    assert model.total == EXPECTED[name]["params"]
    assert model.name == EXPECTED[name]["architecture"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_json_total_formula_parses_back(name, tmp_path):
    out = tmp_path / "out.json"
    assert main(["derive", str(HF / f"{name}.json"), "--format", "json", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    formula = sympy.sympify(data["total_formula"])  # our own output, not user text
    values = {sympy.Symbol(k): v for k, v in data["symbols"].items()}
    assert formula.subs(values) == data["total"] == EXPECTED[name]["params"]


def test_gpt2_closed_form():
    model = load(str(HF / "gpt2.json"))
    V, T, d, L = (sym(n) for n in "VTdL")
    assert sympy.expand(model.total_expr - (V * d + T * d + L * (12 * d**2 + 13 * d) + 2 * d)) == 0
    assert {s.name: v for s, v in model.symbols.items()} == {"V": 50257, "T": 1024, "d": 768, "L": 12, "H": 12}  # H: n_head, named by d_h = d/H
    block = model.node("transformer.h")
    assert block.repeat == L
    head = model.node("lm_head")
    assert head.shares == "transformer.wte"
    # counted twice, as the fixture records for an untied count
    assert model.total + model.evaluate(head.params) == EXPECTED["gpt2"]["params_if_tied_weights_counted_twice"]


def test_t5_shared_embedding_counted_once():
    model = load(str(HF / "t5-small.json"))
    twice = sum(model.evaluate(n.params) for n in model.nodes)
    assert twice == EXPECTED["t5-small"]["params_if_tied_weights_counted_twice"]
    assert {n.name for n in model.nodes if n.shares == "shared"} == {
        "encoder.embed_tokens", "decoder.embed_tokens", "lm_head"}


def test_set_overrides_a_symbol():
    model = load(str(HF / "gpt2.json"), {"L": 24})
    V, T, d, L = 50257, 1024, 768, 24
    assert model.total == V * d + T * d + L * (12 * d * d + 13 * d) + 2 * d


# ----------------------------------------------------------------------------- against transformers

def _cases():
    gpt2 = dict(n_layer=2, n_embd=64, n_head=4, vocab_size=100, n_positions=32)
    bert = dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, intermediate_size=96,
                vocab_size=100, max_position_embeddings=40, type_vocab_size=3)
    distil = dict(n_layers=2, dim=64, n_heads=4, hidden_dim=96, vocab_size=100, max_position_embeddings=40)
    llama = dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
                 intermediate_size=96, vocab_size=100)
    t5 = dict(num_layers=2, d_model=64, num_heads=4, d_kv=8, d_ff=96, vocab_size=100,
              relative_attention_num_buckets=16)
    return [
        ("GPT2Config", gpt2, "GPT2LMHeadModel"),
        ("GPT2Config", {**gpt2, "tie_word_embeddings": False}, "GPT2LMHeadModel"),
        ("GPT2Config", {**gpt2, "n_inner": 100}, "GPT2Model"),
        ("GPT2Config", {**gpt2, "add_cross_attention": True}, "GPT2Model"),
        ("GPT2Config", {**gpt2, "num_labels": 3}, "GPT2ForSequenceClassification"),
        ("GPT2Config", gpt2, "GPT2ForTokenClassification"),
        ("BertConfig", bert, "BertModel"),
        ("BertConfig", bert, "BertForMaskedLM"),
        ("BertConfig", {**bert, "tie_word_embeddings": False}, "BertForMaskedLM"),
        ("BertConfig", bert, "BertForPreTraining"),
        ("BertConfig", {**bert, "num_labels": 5}, "BertForSequenceClassification"),
        ("BertConfig", {**bert, "num_labels": 4}, "BertForTokenClassification"),
        ("BertConfig", bert, "BertForQuestionAnswering"),
        ("BertConfig", bert, "BertForMultipleChoice"),
        ("BertConfig", bert, "BertForNextSentencePrediction"),
        ("BertConfig", {**bert, "is_decoder": True, "add_cross_attention": True}, "BertLMHeadModel"),
        ("RobertaConfig", bert, "RobertaModel"),
        ("RobertaConfig", bert, "RobertaForMaskedLM"),
        ("RobertaConfig", {**bert, "tie_word_embeddings": False}, "RobertaForMaskedLM"),
        ("RobertaConfig", {**bert, "is_decoder": True}, "RobertaForCausalLM"),
        ("RobertaConfig", {**bert, "num_labels": 4}, "RobertaForSequenceClassification"),
        ("RobertaConfig", {**bert, "num_labels": 4}, "RobertaForTokenClassification"),
        ("RobertaConfig", bert, "RobertaForQuestionAnswering"),
        ("RobertaConfig", bert, "RobertaForMultipleChoice"),
        ("DistilBertConfig", distil, "DistilBertModel"),
        ("DistilBertConfig", distil, "DistilBertForMaskedLM"),
        ("DistilBertConfig", {**distil, "tie_word_embeddings": False}, "DistilBertForMaskedLM"),
        ("DistilBertConfig", {**distil, "num_labels": 4}, "DistilBertForSequenceClassification"),
        ("DistilBertConfig", distil, "DistilBertForTokenClassification"),
        ("DistilBertConfig", distil, "DistilBertForQuestionAnswering"),
        ("DistilBertConfig", distil, "DistilBertForMultipleChoice"),
        ("LlamaConfig", llama, "LlamaForCausalLM"),  # GQA
        ("LlamaConfig", {**llama, "num_key_value_heads": 1, "head_dim": 24}, "LlamaForCausalLM"),  # MQA
        ("LlamaConfig", {**llama, "attention_bias": True, "mlp_bias": True, "tie_word_embeddings": True},
         "LlamaForCausalLM"),
        ("LlamaConfig", {**llama, "num_key_value_heads": 4}, "LlamaModel"),
        ("LlamaConfig", {**llama, "num_labels": 3}, "LlamaForSequenceClassification"),
        ("LlamaConfig", llama, "LlamaForTokenClassification"),
        ("MistralConfig", llama, "MistralForCausalLM"),
        ("MistralConfig", {**llama, "head_dim": 8}, "MistralModel"),
        ("Qwen2Config", llama, "Qwen2ForCausalLM"),
        ("Qwen2Config", {**llama, "tie_word_embeddings": True}, "Qwen2ForCausalLM"),
        ("GemmaConfig", {**llama, "num_key_value_heads": 1, "head_dim": 32}, "GemmaForCausalLM"),
        ("GemmaConfig", {**llama, "tie_word_embeddings": False}, "GemmaForCausalLM"),
        ("Qwen3Config", {**llama, "tie_word_embeddings": True, "head_dim": 24}, "Qwen3ForCausalLM"),
        ("Qwen3Config", {**llama, "attention_bias": True}, "Qwen3Model"),
        ("MixtralConfig", {**llama, "num_local_experts": 3}, "MixtralForCausalLM"),
        ("T5Config", t5, "T5ForConditionalGeneration"),
        ("T5Config", {**t5, "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False,
                      "num_decoder_layers": 3}, "T5ForConditionalGeneration"),
        ("T5Config", t5, "T5Model"),
        ("T5Config", t5, "T5EncoderModel"),
    ]


@pytest.mark.parametrize("config_class, kwargs, inner, arch", [
    ("GPT2Config", dict(n_layer=2, n_embd=64, n_head=4, vocab_size=100, n_positions=32), "n_inner", "GPT2Model"),
    ("BertConfig", dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, intermediate_size=256,
                        vocab_size=100, max_position_embeddings=40), "intermediate_size", "BertModel"),
])
def test_set_f_is_the_feed_forward_size_transformers_builds(config_class, kwargs, inner, arch):
    """--set f=100 on a config whose feed-forward size is 4d (GPT-2's n_inner unset, BERT's 256 =
    4 × 64) counts the model transformers builds with that size 100 (GPT-2 rejected f: it wrote
    its own 4d instead of the families' one rule)."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    cls = getattr(transformers, config_class)
    with torch.device("meta"):
        hf_model = getattr(transformers, arch)(cls(**{**kwargs, inner: 100}))
    expected = sum({id(p): p.numel() for p in hf_model.parameters()}.values())
    raw = json.loads(cls(**kwargs).to_json_string(use_diff=False))
    raw["architectures"] = [arch]
    assert load_hf_config(raw, "config.json", {"f": 100}).total == expected
    assert load_hf_config(raw, "config.json").total != expected


@pytest.mark.parametrize("config_class,kwargs,arch", _cases(),
                         ids=[f"{a}-{i}" for i, (_, _, a) in enumerate(_cases())])
def test_against_transformers(config_class, kwargs, arch):
    torch = require_module("torch")
    transformers = require_module("transformers")
    cfg = getattr(transformers, config_class)(**kwargs)
    with torch.device("meta"):
        hf_model = getattr(transformers, arch)(cfg)
    unique = {id(p): p.numel() for p in hf_model.parameters()}
    expected = sum(unique.values())

    raw = json.loads(cfg.to_json_string(use_diff=False))
    raw["architectures"] = [arch]
    model = load_hf_config(raw, "config.json")
    assert model.total == expected
    assert model.name == arch

    # every repeated block: one copy's weight groups are the tensors of transformers' block 1
    params = dict(hf_model.named_parameters(remove_duplicate=False))
    for node in model.nodes:
        if node.repeat == 1:
            continue
        prefix = f"{node.name}.1."
        theirs = {n[len(prefix):]: p.numel() for n, p in params.items() if n.startswith(prefix)}
        mine = {w.name: model.evaluate(w.count) for w in node.weights}
        assert mine == theirs, node.name
        copies = len({n[len(node.name) + 1:].split(".")[0] for n in params if n.startswith(node.name + ".")})
        assert model.evaluate(node.repeat) == copies

    # a tied head: transformers' head weight is the embedding itself
    for node in model.nodes:
        if node.shares is not None and node.name in ("lm_head", "lm_head.decoder", "cls.predictions.decoder",
                                                     "vocab_projector"):
            head = hf_model.get_submodule(node.name)
            owner = hf_model.get_submodule(node.shares)
            assert head.weight is owner.weight


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("change,message", [
    ({"model_type": "frobnicator"}, "unknown model_type 'frobnicator'"),
    ({"n_embd": "768"}, "'n_embd' must be a positive whole number"),
    ({"n_layer": 0}, "'n_layer' must be a positive whole number"),
    ({"n_layer": None, "num_hidden_layers": None}, "the config has no 'n_layer'"),
    ({"tie_word_embeddings": "yes"}, "'tie_word_embeddings' must be true or false"),
    ({"architectures": ["GPT2Frobnicator"]}, "'GPT2Frobnicator' is not supported"),
    ({"architectures": "GPT2Model"}, "'architectures' must be a list"),
])
def test_bad_config_exits_2_with_one_line(tmp_path, capsys, change, message):
    raw = json.loads((HF / "gpt2.json").read_text())
    raw.update(change)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    assert main(["derive", str(path), "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and str(path) in err


@pytest.mark.parametrize("raw,arch", [
    # minimal config.json files: what is missing takes transformers' defaults
    ({"model_type": "gpt2", "n_layer": 2, "n_embd": 32, "n_head": 2, "vocab_size": 50, "n_positions": 8},
     "GPT2LMHeadModel"),
    ({"model_type": "bert", "num_hidden_layers": 1, "hidden_size": 32, "num_attention_heads": 2,
      "intermediate_size": 40, "vocab_size": 50, "max_position_embeddings": 8}, "BertModel"),
    ({"model_type": "llama", "num_hidden_layers": 1, "hidden_size": 96, "num_attention_heads": 4,
      "num_key_value_heads": 3, "intermediate_size": 40, "vocab_size": 50}, "LlamaForCausalLM"),
    ({"model_type": "mistral", "num_hidden_layers": 1, "hidden_size": 64, "num_attention_heads": 16,
      "intermediate_size": 40, "vocab_size": 50}, "MistralForCausalLM"),  # 8 key/value heads
    ({"model_type": "qwen2", "num_hidden_layers": 1, "hidden_size": 64, "num_attention_heads": 32,
      "intermediate_size": 40, "vocab_size": 50}, "Qwen2ForCausalLM"),  # 32 key/value heads
    ({"model_type": "gemma", "num_hidden_layers": 1, "hidden_size": 64, "num_attention_heads": 16,
      "intermediate_size": 40, "vocab_size": 50}, "GemmaForCausalLM"),  # head_dim 256, 16 kv heads
    ({"model_type": "gemma", "num_hidden_layers": 1, "hidden_size": 64, "num_attention_heads": 4,
      "num_key_value_heads": 2, "head_dim": 16, "attention_bias": True, "intermediate_size": 40,
      "vocab_size": 50}, "GemmaModel"),
    ({"model_type": "qwen3", "num_hidden_layers": 1, "hidden_size": 64, "num_attention_heads": 32,
      "intermediate_size": 40, "vocab_size": 50}, "Qwen3ForCausalLM"),  # head_dim 128, 32 kv heads
    ({"model_type": "mixtral", "num_hidden_layers": 1, "hidden_size": 64, "num_attention_heads": 16,
      "intermediate_size": 40, "vocab_size": 50}, "MixtralForCausalLM"),  # 8 experts, 8 kv heads
    ({"model_type": "t5", "num_layers": 2, "d_model": 32, "num_heads": 2, "d_kv": 8, "d_ff": 40,
      "vocab_size": 50}, "T5ForConditionalGeneration"),
    ({"model_type": "distilbert", "n_layers": 1, "dim": 32, "n_heads": 2, "hidden_dim": 40, "vocab_size": 50,
      "max_position_embeddings": 8}, "DistilBertForMaskedLM"),
])
def test_minimal_configs_take_transformers_defaults(raw, arch):
    torch = require_module("torch")
    transformers = require_module("transformers")
    cfg = transformers.AutoConfig.for_model(**raw)
    with torch.device("meta"):
        hf_model = getattr(transformers, arch)(cfg)
    expected = sum(p.numel() for p in hf_model.parameters())
    assert load_hf_config({**raw, "architectures": [arch]}, "config.json").total == expected


def test_heads_must_divide_the_width(tmp_path, capsys):
    transformers = require_module("transformers")
    with pytest.raises(Exception, match="not a multiple"):  # transformers refuses it too
        transformers.LlamaConfig(hidden_size=100, num_attention_heads=3)
    raw = json.loads((HF / "llama-2-7b.json").read_text())
    raw["num_attention_heads"] = 30
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    assert main(["derive", str(path), "--format", "json"]) == 2
    assert "not a multiple of the number of attention heads" in capsys.readouterr().err


def test_unknown_override_is_an_error():
    from explain.errors import ExplainError
    with pytest.raises(ExplainError, match="'Q' is not a declared symbol"):
        load(str(HF / "gpt2.json"), {"Q": 3})


@pytest.mark.parametrize("config_class,changes,message", [
    ("GPTNeoXConfig", {"hidden_size": 100, "num_attention_heads": 3},
     "the hidden size d=100 is not a multiple of the number of attention heads H=3"),
    ("FalconConfig", {"hidden_size": 100, "num_attention_heads": 3},
     "the hidden size d=100 is not a multiple of the number of attention heads H=3"),
    ("BartConfig", {"d_model": 100, "encoder_attention_heads": 3},
     "the width d_model=100 is not a multiple of the number of attention heads 3"),
    ("Qwen3MoeConfig", {"num_experts": 4, "num_experts_per_tok": 5},
     "'num_experts_per_tok' = 5 is more than the 4 experts"),
    ("DeepseekV3Config", {"n_routed_experts": 4, "num_experts_per_tok": 5},
     "'num_experts_per_tok' = 5 is more than the 4 experts"),
])
def test_family_size_checks(config_class, changes, message):
    """100 = 33·3 + 1: no head size; 5 experts per token of 4 cannot be routed (hand-checked)."""
    from explain.errors import ExplainError
    transformers = require_module("transformers")
    raw = json.loads(getattr(transformers, config_class)().to_json_string(use_diff=False))
    with pytest.raises(ExplainError, match=re.escape(message)):
        load_hf_config({**raw, **changes}, "config.json")
