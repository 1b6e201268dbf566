"""Compute leftovers of issue 13: Keras ``activation=`` arguments, cross-attention with the
encoder length S, T as a settable symbol, sliding-window attention, Hugging Face blocks' other
operations. Expected numbers come from a real framework run or a hand derivation written here."""
from __future__ import annotations

import json

import pytest
import sympy

import explain
from tests.conftest import require_module


# ----------------------------------------------------------------------------- activation=

ACTIVATED = {"input": [8, 8, 3], "layers": [
    {"Conv2D": {"filters": 4, "kernel_size": 3, "activation": "relu"}},
    {"SeparableConv2D": {"filters": 2, "kernel_size": 3, "use_bias": False, "activation": {
        "module": "keras.activations", "class_name": "function", "config": "gelu",
        "registered_name": "gelu"}}},
    {"DepthwiseConv2D": {"kernel_size": 1, "activation": "tanh"}},
    {"Conv2DTranspose": {"filters": 3, "kernel_size": 1, "activation": "sigmoid"}},
    {"Flatten": {}},
    {"Dense": {"units": 5, "activation": "softmax"}},
    {"Dense": {"units": 3, "activation": "linear"}},
    {"EinsumDense": {"equation": "ab,bc->ac", "output_shape": [2], "bias_axes": "c",
                     "activation": "relu"}},
]}
"""By hand, other operations per output element: a bias add 1 + the activation (ReLU, GELU,
tanh, sigmoid 1; softmax 3: exp, sum, divide; linear 0).
Conv2D(4, 3, relu) on 8×8×3 → 6×6×4 = 144 outputs · (1 + 1);
SeparableConv2D(2, 3, no bias, gelu) → 4×4×2 = 32 outputs · 1;
DepthwiseConv2D(1, tanh) → 4×4×2 = 32 · (1 + 1); Conv2DTranspose(3, 1, sigmoid) → 4×4×3 = 48 · 2;
Dense(5, softmax) 5 · (1 + 3); Dense(3, linear) 3 · 1; EinsumDense(2, bias, relu) 2 · 2."""
ACTIVATED_OTHER = [144 * 2, 32 * 1, 32 * 2, 48 * 2, 0, 5 * 4, 3, 2 * 2]


def test_activation_arguments_count_as_other_operations():
    model = explain.load(ACTIVATED)
    assert [node.other_ops for node in model.nodes] == ACTIVATED_OTHER


def test_activation_arguments_from_live_keras_and_code(tmp_path):
    """Dense(6, relu) on 10 inputs: 6 bias adds + 6 ReLUs; Dense(2, sigmoid, no bias): 2."""
    keras = require_module("keras")
    k = keras.layers
    live = explain.from_keras(keras.Sequential([keras.Input((10,)), k.Dense(6, activation="relu"),
                                                k.Dense(2, "sigmoid", use_bias=False)]))
    code = tmp_path / "m.py"
    code.write_text("import keras\nfrom keras import layers\n"
                    "model = keras.Sequential([keras.Input((10,)), "
                    "layers.Dense(6, activation=keras.activations.relu), "
                    "layers.Dense(2, 'sigmoid', use_bias=False)])\n")
    for model in (live, explain.load(str(code))):
        assert [node.other_ops for node in model.nodes] == [12, 2]
        assert model.macs == 10 * 6 + 6 * 2


# ----------------------------------------------------------------------------- T settable

def _hf_flops(transformers, torch, config_class: str, args: dict, architecture: str, tokens: int,
              **inputs_of_length) -> dict[str, int]:
    """FlopCounterMode's FLOPs per top-level module path of ``architecture`` on ``tokens`` tokens."""
    from torch.utils.flop_counter import FlopCounterMode
    config = getattr(transformers, config_class)(**args)
    config._attn_implementation = "eager"
    net = getattr(transformers, architecture)(config).eval()
    kwargs = {k: torch.zeros(1, n, dtype=torch.long) for k, n in inputs_of_length.items()}
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, tokens, dtype=torch.long), **kwargs)
    return {k: sum(v.values()) for k, v in counter.get_flop_counts().items()}


def _config_file(tmp_path, transformers, config_class: str, args: dict, architecture: str) -> str:
    data = getattr(transformers, config_class)(**args).to_dict()
    data["architectures"] = [architecture]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return str(path)


LLAMA = dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
             intermediate_size=96, vocab_size=100, max_position_embeddings=32)


def test_llama_context_is_a_symbol_that_set_changes(tmp_path):
    """Llama declares no T (rotary positions: no weight depends on it). Its context length is
    the symbol T = max_position_embeddings (32); T = 8 counts what transformers computes on 8
    tokens (FlopCounterMode / 2, the whole model)."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    path = _config_file(tmp_path, transformers, "LlamaConfig", LLAMA, "LlamaForCausalLM")
    default = explain.load(path)
    assert default.context == sympy.Symbol("T", positive=True, integer=True)
    assert default.evaluate(default.context) == 32
    flops = _hf_flops(transformers, torch, "LlamaConfig", LLAMA, "LlamaForCausalLM", 8)
    assert explain.load(path, T=8).flops == flops["Global"]


# ----------------------------------------------------------------------------- sliding window

SMALL = dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=2, intermediate_size=96,
             vocab_size=100, max_position_embeddings=32, sliding_window=6)
"""d = 64, H = 4 heads of d_h = 16, H_kv = 2, f = 96, V = 100, window w = 6."""


def _by_hand(T: int, keys: list[int]) -> int:
    """Whole-model MACs by hand: per layer and token q, o 2·d·H·d_h = 8192, k, v 2·d·H_kv·d_h
    = 4096, gate/up/down 3·d·f = 18432; per layer scores and weighted sum 2·H·d_h = 128 per
    query and key, with ``keys[i]`` keys per query in layer i; the LM head d·V per token."""
    return sum(T * (8192 + 4096 + 18432) + T * k * 128 for k in keys) + T * 64 * 100


def test_mistral_sliding_window_counts_min_of_t_and_w_keys(tmp_path):
    """Mistral, 2 layers, w = 6: at T = 10 each query is scored against min(10, 6) = 6 keys (by
    hand); at T = 6 ≤ w that is all T keys, as transformers computes (FlopCounterMode / 2)."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    args = dict(SMALL, num_hidden_layers=2)
    path = _config_file(tmp_path, transformers, "MistralConfig", args, "MistralForCausalLM")
    assert explain.load(path, T=10).macs == _by_hand(10, [6, 6])
    flops = _hf_flops(transformers, torch, "MistralConfig", args, "MistralForCausalLM", 6)
    assert explain.load(path, T=6).flops == flops["Global"] == 2 * _by_hand(6, [6, 6])


@pytest.mark.parametrize("config_class, architecture, extra, keys", [
    ("MistralConfig", "MistralForCausalLM", {}, [6, 6]),
    ("Qwen2Config", "Qwen2ForCausalLM", dict(use_sliding_window=True, max_window_layers=1), [10, 6]),
])
def test_a_live_models_layers_slide_as_its_config_says(config_class, architecture, extra, keys):
    """A live model (from_torch) counts each layer's window as transformers applies it: Mistral's
    mask takes the config's w in every layer, Qwen2 slides from max_window_layers on (layer 0
    attends to all T = 10 keys, layer 1 to w = 6). Each decoder layer by hand as above."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    config = getattr(transformers, config_class)(**dict(SMALL, num_hidden_layers=2, **extra))
    net = getattr(transformers, architecture)(config).eval()
    ours = explain.from_torch(net, input_data=torch.zeros(1, 10, dtype=torch.long))
    for i, k in enumerate(keys):
        assert ours.evaluate(ours.node(f"model.layers.{i}").macs) == _by_hand(10, [k]) - 10 * 64 * 100


def test_gemma_alternating_layers_slide_by_hand(tmp_path):
    """Gemma 2 with 3 layers slides in layers 0 and 2 (layer 1 attends to all T); Gemma 3 with 7
    layers in all but layer 5. At T = 10, w = 6: sliding layers 6 keys per query, full ones 10.
    The blocks only (Gemma's head_dim is 16 here: d_h = 16 as in the sums above)."""
    transformers = require_module("transformers")
    for config_class, arch, n, keys in (("Gemma2Config", "Gemma2ForCausalLM", 3, [6, 10, 6]),
                                        ("Gemma3TextConfig", "Gemma3ForCausalLM", 7, [6] * 5 + [10, 6])):
        path = _config_file(tmp_path, transformers, config_class, dict(SMALL, num_hidden_layers=n, head_dim=16),
                            arch)
        model = explain.load(path, T=10)
        assert model.evaluate(model.node("model.layers").macs) == _by_hand(10, keys) - 10 * 64 * 100
        raw = json.loads(open(path).read())
        del raw["layer_types"]  # an older config: transformers' rule for the pattern
        (tmp_path / "old.json").write_text(json.dumps(raw))
        old = explain.load(str(tmp_path / "old.json"), T=10)
        assert old.evaluate(old.node("model.layers").macs) == _by_hand(10, keys) - 10 * 64 * 100


def _gemma3_masks(transformers, torch, path: str, tokens: int) -> list:
    """The attention mask transformers' own Gemma 3 (eager, read from the config file at
    ``path``) gives each layer on ``tokens`` tokens: True where query q may attend to key k."""
    from transformers.models.gemma3 import modeling_gemma3
    config = transformers.Gemma3TextConfig.from_json_file(path)
    config._attn_implementation = "eager"
    net = modeling_gemma3.Gemma3TextModel(config).eval()
    masks: dict[int, object] = {}

    def keep(module, args, kwargs):
        mask = kwargs["attention_mask"][0, 0]
        masks[module.self_attn.layer_idx] = mask if mask.dtype == torch.bool else mask == 0

    for layer in net.layers:
        layer.register_forward_pre_hook(keep, with_kwargs=True)
    with torch.no_grad():
        net(torch.zeros(1, tokens, dtype=torch.long))
    return [masks[i] for i in range(len(net.layers))]


def test_bidirectional_gemma3_window_reaches_both_ways_as_transformers_masks(tmp_path):
    """Gemma 3 with use_bidirectional_attention: transformers stores the window w as ⌊w/2⌋ + 1
    (exclusive) and ORs |q − k| < ⌊w/2⌋ + 1 into the sliding layers' mask, so a query sees up to
    2⌊w/2⌋ + 1 keys (w + 1 for even w), ⌊w/2⌋ on each side; the causal model's sliding layers at
    most w (a query and the w − 1 before it). Read from transformers' own mask for several T and
    w: the widest row is explain's keys per query in the sliding layers (T in the full ones, layer
    5 of 7), and the blocks' MACs are the sums by hand with those keys."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    for bidirectional in (True, False):
        for tokens, window in ((10, 6), (10, 7), (12, 4), (5, 6), (3, 8), (9, 1)):
            data = transformers.Gemma3TextConfig(**dict(SMALL, num_hidden_layers=7, head_dim=16),
                                                 use_bidirectional_attention=bidirectional).to_dict()
            data.update(sliding_window=window, architectures=["Gemma3ForCausalLM"])
            path = tmp_path / "config.json"
            path.write_text(json.dumps(data))
            masks = _gemma3_masks(transformers, torch, str(path), tokens)
            rows = [[int(n) for n in mask.sum(1)] for mask in masks]
            half = window // 2
            for q in range(tokens):  # by hand: ⌊w/2⌋ each side, or the w − 1 before
                seen = (min(q, half) + min(tokens - 1 - q, half) + 1 if bidirectional
                        else min(q + 1, window))
                assert rows[0][q] == seen and rows[5][q] == (tokens if bidirectional else q + 1)
            keys = [max(row) for row in rows]
            assert keys[0] == min(tokens, 2 * half + 1 if bidirectional else window)
            model = explain.load(str(path), T=tokens)
            assert model.evaluate(model.node("model.layers").macs) == _by_hand(tokens, keys) - tokens * 64 * 100


def test_live_gemma3_layers_count_the_keys_of_transformers_mask():
    """A live Gemma3TextModel (from_torch): each decoder layer is read as a Gemma 3 block with its
    own window (None in a full-attention layer). With use_bidirectional_attention the live config
    holds ⌊w/2⌋ + 1, not w. Each layer's MACs equal the hand sum T·(2d·H·d_h + 2d·H_kv·d_h + 3d·f)
    + 2·H·d_h·T·k, with k the widest row of the mask transformers' eager model gives that layer."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    from explain.importers.live_torch import from_torch
    d, H, H_kv, d_h, f, tokens = 64, 4, 2, 16, 96, 10
    for bidirectional in (True, False):
        for window in (6, 7):
            config = transformers.Gemma3TextConfig(**dict(SMALL, num_hidden_layers=7, head_dim=d_h, sliding_window=window),
                                                   use_bidirectional_attention=bidirectional)
            config._attn_implementation = "eager"
            assert config.sliding_window == (window // 2 + 1 if bidirectional else window)
            net = transformers.Gemma3TextModel(config).eval()
            masks: dict[int, object] = {}

            def keep(module, args, kwargs, masks=masks):
                mask = kwargs["attention_mask"][0, 0]
                masks[module.self_attn.layer_idx] = mask if mask.dtype == torch.bool else mask == 0

            handles = [layer.register_forward_pre_hook(keep, with_kwargs=True) for layer in net.layers]
            with torch.no_grad():
                net(torch.zeros(1, tokens, dtype=torch.long))
            for h in handles:
                h.remove()
            model = from_torch(net, (tokens,), input_dtypes=torch.long)
            for i in range(7):
                keys = int(masks[i].sum(1).max())
                by_hand = tokens * (2 * d * H * d_h + 2 * d * H_kv * d_h + 3 * d * f) + 2 * H * d_h * tokens * keys
                assert model.evaluate(model.node(f"layers.{i}").macs) == by_hand, (bidirectional, window, i)
