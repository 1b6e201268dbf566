"""Compute (MACs, FLOPs, other operations) against two independent counters on PyTorch models,
and Keras layers against their PyTorch equivalents or a hand derivation written here.

What each oracle counts, and so what is compared:

- ``torch.utils.flop_counter.FlopCounterMode`` counts 2 FLOPs per multiply-accumulate of the
  operations it dispatches as matrix products, convolutions (also transposed) and attention
  (mm, addmm, bmm, baddbmm, convolution, scaled_dot_product_attention). It leaves out every
  elementwise operation: bias adds (addmm's bias), activations, normalization, pooling, softmax,
  residual adds. So FLOPs / 2 is compared with our MACs, per module and for the whole model, and
  a module it reports nothing for must have 0 MACs here.
- ``fvcore.nn.FlopCountAnalysis`` counts one per MAC for matmul, addmm, linear, bmm, einsum and
  convolution (it calls them flops), ignores bias adds, activations, softmax and max pooling, and
  counts a few elementwise operations in its own units (batch norm, adaptive average pooling,
  layer norm, upsampling). Its per-module MACs of the modules with weights are compared with ours;
  of its elementwise counts only those whose rule is ours too (adaptive average pooling: one per
  input element; batch norm with an affine transform at inference: two per element).
"""
from __future__ import annotations

import json
import subprocess
import sys
from typing import Callable

import pytest

from tests.conftest import ROOT, require_module

import explain
from explain.layers import registry
from explain.layers.base import Layer

MATMUL_OPS = ("conv", "addmm", "linear", "matmul", "bmm", "einsum", "mm")
"""fvcore's operator names for multiply-accumulate work (by_operator keys)."""


def _cnn(nn):
    class Net(nn.Module):
        """Strided padded conv, batch norm, depthwise dilated conv, pointwise conv, max pool,
        grouped transposed conv, adaptive average pool, linear."""

        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                nn.Conv2d(8, 8, 3, groups=8, dilation=2), nn.Conv2d(8, 16, 1, bias=False),
                nn.MaxPool2d(2), nn.ConvTranspose2d(16, 4, 3, stride=2, groups=2))
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(4, 10)

        def forward(self, x):
            import torch
            return self.fc(torch.flatten(self.pool(self.features(x)), 1))
    return Net(), (3, 32, 32)


def _convs_1d_3d(nn):
    class Net(nn.Module):
        """1D and 3D convolutions: dilated, grouped, transposed with output padding."""

        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv1d(4, 6, 5, dilation=2, padding=3)
            self.t1 = nn.ConvTranspose1d(6, 4, 4, stride=3, output_padding=1)

        def forward(self, x):
            return self.t1(self.c1(x))
    return Net(), (4, 50)


def _conv3d(nn):
    return nn.Sequential(nn.Conv3d(2, 4, (3, 2, 2), stride=(1, 2, 2), groups=2),
                         nn.ConvTranspose3d(4, 2, 2, stride=2, dilation=1)), (2, 6, 8, 8)


def _sequence_mlp(nn):
    """Linear layers on a sequence of 12 positions: n_pos·n_in·n_out."""
    return nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 16, bias=False), nn.LayerNorm(16)), (12, 16)


MODELS: dict[str, Callable] = {"cnn": _cnn, "conv1d": _convs_1d_3d, "conv3d": _conv3d, "sequence_mlp": _sequence_mlp}


@pytest.fixture(scope="module", params=list(MODELS))
def counted(request):
    """(our model, FlopCounterMode's FLOPs by module, fvcore's analysis) for one network."""
    torch = require_module("torch")
    fvcore_nn = require_module("fvcore.nn")
    from torch.utils.flop_counter import FlopCounterMode
    net, shape = MODELS[request.param](torch.nn)
    net.eval()
    x = torch.randn(1, *shape)
    ours = explain.from_torch(net, input_shape=shape)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(x)
    by_module = {name.split(".", 1)[1] if "." in name else "": sum(ops.values())
                 for name, ops in counter.get_flop_counts().items() if name != "Global"}
    analysis = fvcore_nn.FlopCountAnalysis(net, x)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    return ours, by_module, analysis, counter.get_total_flops()


def test_every_layer_has_its_compute(counted):
    ours, *_ = counted
    assert ours.compute_not_derived == ()


def test_macs_are_flop_counter_flops_halved_per_module(counted):
    ours, by_module, _, _ = counted
    for node in ours.nodes:
        assert 2 * ours.evaluate(node.macs) == by_module.get(node.name, 0), node.name


def test_model_flops_are_the_flop_counters(counted):
    ours, _, _, total = counted
    assert ours.flops == total
    assert ours.macs == total // 2


def _embedding_first(nn):
    """An embedding (trained) before the linear layers: every layer needs its input gradient."""
    return nn.Sequential(nn.Embedding(50, 16), nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8)), None


@pytest.mark.parametrize("name", ["conv1d", "sequence_mlp", "embedding_first"])
def test_training_flops_are_the_flop_counters_forward_and_backward(name):
    """FlopCounterMode on a real forward and backward pass (input without gradient): the backward
    pass takes 2 × each layer's forward products, except the first layer's input gradient, which
    torch does not compute (conv1d, sequence_mlp), unless a trained embedding comes first. Models
    without grouped convolutions: FlopCounterMode counts a grouped convolution's weight gradient
    groups times over (the cnn's depthwise layer: 9 × its forward)."""
    torch = require_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    net, shape = {**MODELS, "embedding_first": _embedding_first}[name](torch.nn)
    if shape is None:
        ours = explain.from_torch(net, input_data=torch.randint(0, 50, (1, 12)))
        x = torch.randint(0, 50, (1, 12))
    else:
        ours = explain.from_torch(net, input_shape=shape)
        x = torch.randn(1, *shape)
    with FlopCounterMode(display=False) as counter:
        net(x).sum().backward()
    assert ours.training_flops == counter.get_total_flops()


@pytest.mark.parametrize("name", ["cnn", "conv1d", "sequence_mlp"])
def test_the_first_layer_has_no_input_gradient(name):
    """FlopCounterMode on the first layer (input without gradient): its forward and backward
    products are twice its forward, the forward and the weight gradient, no input gradient:
    ``input_gradient_saved`` is its MACs (not conv3d, whose first layer is grouped: see above)."""
    torch = require_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    net, shape = MODELS[name](torch.nn)
    ours = explain.from_torch(net, input_shape=shape)
    first, macs = ours.first_without_input_gradient
    x = torch.randn(1, *shape)

    def of_first(backward: bool) -> int:
        with FlopCounterMode(display=False) as counter:
            out = net(x)
            if backward:
                out.sum().backward()
        counts = {n.split(".", 1)[1] if "." in n else "": ops for n, ops in counter.get_flop_counts().items()}
        return sum(counts[first.name].values())

    assert of_first(backward=True) == 2 * of_first(backward=False) == 4 * macs
    assert ours.input_gradient_saved == macs


def test_macs_are_fvcore_per_module(counted):
    ours, _, analysis, _ = counted
    fv = analysis.by_module()
    for node in ours.nodes:
        if node.weights and node.layer.role in ("conv", "conv_transpose", "dense"):
            assert ours.evaluate(node.macs) == fv[node.name], node.name
    matmul = sum(v for op, v in analysis.by_operator().items() if op in MATMUL_OPS)
    assert ours.macs == matmul


def test_other_operations_where_fvcore_has_our_rule(counted):
    ours, _, analysis, _ = counted
    fv = analysis.by_module()
    for node in ours.nodes:
        if node.type == "AdaptiveAvgPool2d" or (node.type == "BatchNorm2d" and node.layer.affine):
            assert ours.evaluate(node.other_ops) == fv[node.name], node.name


# ----------------------------------------------------------------------------- hand derivations

def test_conv_hand_derivation_with_bias_adds_apart():
    """Conv2D(8, 3) on 10×10×3, valid: 8×8 positions, 3·3·3 MACs per output value."""
    model = explain.load({"input": [10, 10, 3], "layers": [{"Conv2D": {"filters": 8, "kernel_size": 3}}]})
    node = model.nodes[0]
    assert node.macs == 8 * 8 * 3 * 3 * 3 * 8
    assert node.other_ops == 8 * 8 * 8  # one bias add per output value, not a MAC
    assert str(node.macs_formula) == "H_out*W_out*c_in*c_out*k_h*k_w"


def test_symbolic_sizes_stay_symbols():
    """Dense(d_ff) on a (T, d) input: T·d·d_ff MACs, as a formula in T."""
    model = explain.load({"symbols": {"T": 128, "d": 64}, "input": ["T", "d"],
                          "layers": [{"Dense": {"units": "4*d"}}]})
    import sympy
    T, d = sympy.symbols("T d", positive=True, integer=True)
    assert sympy.simplify(model.macs_expr - T * d * 4 * d) == 0
    assert model.macs == 128 * 64 * 256


def test_keras_layers_match_their_pytorch_equivalents():
    """Keras Conv2D('same', stride 2), SeparableConv2D, DepthwiseConv2D, Conv2DTranspose and
    Dense, against the same computation in PyTorch counted by FlopCounterMode."""
    torch = require_module("torch")
    keras = require_module("keras")
    from torch.utils.flop_counter import FlopCounterMode
    k = keras.layers
    kmodel = keras.Sequential([
        keras.Input((32, 32, 3)),
        k.Conv2D(8, 3, strides=2, padding="same"),          # → 16×16×8
        k.SeparableConv2D(16, 3, depth_multiplier=2),        # → 14×14×16
        k.DepthwiseConv2D(3, padding="same"),                # → 14×14×16
        k.Conv2DTranspose(4, 3, strides=2),                  # → 29×29×4
        k.GlobalAveragePooling2D(),
        k.Dense(10),
    ])
    n = torch.nn
    tmodel = n.Sequential(
        n.Conv2d(3, 8, 3, stride=2, padding=1),
        n.Conv2d(8, 16, 3, groups=8), n.Conv2d(16, 16, 1),
        n.Conv2d(16, 16, 3, groups=16, padding=1),
        n.ConvTranspose2d(16, 4, 3, stride=2),
        n.AdaptiveAvgPool2d(1), n.Flatten(), n.Linear(4, 10))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = tmodel(torch.randn(1, 3, 32, 32))
    assert tuple(out.shape) == (1, 10)
    ours = explain.from_keras(kmodel)
    assert [n.output_shape for n in ours.nodes][3] == (29, 29, 4)
    assert ours.flops == counter.get_total_flops()


def test_keras_dense_on_a_sequence_and_causal_conv_by_hand():
    """Dense(6) on (20, 5): 20·5·6 MACs; Conv1D(4, 3, dilation 2, causal) on (20, 6): 20
    positions (causal padding keeps the length) · 3·6·4."""
    model = explain.load({"input": [20, 5], "layers": [
        {"Dense": {"units": 6}}, {"Conv1D": {"filters": 4, "kernel_size": 3, "dilation_rate": 2,
                                             "padding": "causal"}}]})
    dense, conv = model.nodes
    assert dense.macs == 20 * 5 * 6 and dense.other_ops == 20 * 6
    assert conv.macs == 20 * 3 * 6 * 4


# ----------------------------------------------------------------------------- every type says

def test_every_registered_type_has_a_compute_rule_or_says_why_not():
    registry.load_all()
    missing = sorted({f"{cls.__module__}.{cls.type_name}" for cls in registry._REGISTRY.values()
                      if cls.ops_per_element is None and cls.cost is Layer.cost
                      and not cls.compute_not_derived})
    assert missing == []


def test_a_layer_without_a_rule_is_not_counted_as_zero():
    model = explain.load({"input": [8], "layers": [
        {"Dense": {"units": 4}},
        {"Custom": {"params": 12, "output_shape": [4], "class_name": "Mine"}}]})
    assert model.nodes[0].macs == 32
    assert model.nodes[1].macs is None and model.nodes[1].cost_missing == "no_rule"
    assert model.macs is None and model.flops is None
    assert model.compute_not_derived == (model.nodes[1].name,)


# ----------------------------------------------------------------------------- output

def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explain", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_count_refuses_an_unknown_entry_in_one_line():
    result = _run("derive", "example:lenet5", "--count", "params,flops")
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "--count" in result.stderr


def test_json_compute_fields(tmp_path):
    """Dense(4) on 8 inputs, ReLU: 8·4 = 32 MACs, 4 bias adds, 4 activations; a training step
    3 × 64 FLOPs less the first layer's input gradient, 2 × 32: 128."""
    spec = tmp_path / "m.json"
    spec.write_text(json.dumps({"input": [8], "layers": [{"Dense": {"units": 4}}, {"ReLU": {}}]}))
    plain = json.loads(_run("derive", str(spec), "--format", "json").stdout)
    assert "macs" not in plain and "macs" not in plain["layers"][0]
    result = _run("derive", str(spec), "--format", "json", "--count", "params,compute")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["layers"][0]["macs"] == 32 and data["layers"][0]["other_ops"] == 4
    assert data["layers"][0]["macs_formula"] == "n_in*n_out"
    assert data["layers"][1]["macs"] == 0 and data["layers"][1]["other_ops"] == 4
    assert (data["macs"], data["flops"], data["training_flops"], data["other_ops"]) == (32, 64, 128, 8)
    assert data["compute_per"] == "sample"


def test_text_table_has_a_macs_column(tmp_path):
    """Dense(4) on 8 inputs: 32 MACs, 64 FLOPs."""
    spec = tmp_path / "m.json"
    spec.write_text(json.dumps({"input": [8], "layers": [{"Dense": {"units": 4}}]}))
    result = _run("derive", str(spec), "--format", "text", "--count", "compute")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = [line for line in lines if "Param #" in line][0]
    assert header.rstrip().endswith("MACs")
    assert [line for line in lines if "(Dense)" in line][0].rstrip().endswith("  32")
    assert "Forward MACs per sample: 32 (FLOPs, 2 per MAC: 64)" in result.stdout


# ----------------------------------------------------------------------------- sequence models

def _self_attention(nn):
    class SelfAttention(nn.Module):
        """nn.MultiheadAttention on one sequence; need_weights=True with gradients enabled takes
        torch's bmm path, which FlopCounterMode counts (the fused fast path it does not)."""

        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(32, 4, batch_first=True)

        def forward(self, x):
            return self.mha(x, x, x, need_weights=True)[0]
    return SelfAttention(), (10, 32)


SEQUENCE_MODELS: dict[str, Callable] = {
    "gru": lambda nn: (nn.GRU(8, 16, batch_first=True), (10, 8)),
    "rnn": lambda nn: (nn.RNN(8, 16, num_layers=2, batch_first=True), (10, 8)),
    "gru_cell": lambda nn: (nn.GRUCell(8, 16), (8,)),
    "self_attention": _self_attention,
}
"""FlopCounterMode sees the matrix products of these (fvcore counts none of aten::gru, aten::rnn_tanh)."""


@pytest.mark.parametrize("name", list(SEQUENCE_MODELS))
def test_sequence_models_macs_are_flop_counter_flops_halved(name):
    torch = require_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    net, shape = SEQUENCE_MODELS[name](torch.nn)
    net.eval()
    ours = explain.from_torch(net, input_shape=shape)
    with FlopCounterMode(display=False) as counter:  # with gradients: no fused fast path
        net(torch.randn(1, *shape))
    assert ours.compute_not_derived == ()
    assert ours.flops == counter.get_total_flops() > 0


def test_lstm_by_hand():
    """FlopCounterMode sees nothing of CPU's fused LSTM kernel and fvcore skips aten::lstm, so:
    T = 10 steps, i = 8, h = 16, two layers, two directions: every weight matrix once per step,
    T·D·4h·(i + h) for layer 1 and T·D·4h·(D·h + h) for layer 2."""
    torch = require_module("torch")
    net = torch.nn.LSTM(8, 16, num_layers=2, bidirectional=True, batch_first=True)
    node = explain.from_torch(net, input_shape=(10, 8)).nodes[0]
    assert node.macs == 10 * 2 * 4 * 16 * (8 + 16) + 10 * 2 * 4 * 16 * (2 * 16 + 16)
    assert node.macs == 10 * sum(p.numel() for n, p in net.named_parameters() if "weight" in n)
    # biases b_ih, b_hh added (2·4h per layer and direction), 4 gate activations and the state
    # update (f·c + i·g, o·tanh(c): 5) per unit, layer and direction, at each step
    assert node.other_ops == 10 * (2 * 2 * 2 * 4 * 16 + 2 * 2 * (4 + 5) * 16)


def test_transformer_encoder_layer_attention_by_hand():
    """FlopCounterMode (and fvcore) count the layer's linear maps but not the scaled dot-product
    attention kernel it calls on the CPU: the scores QKᵀ and the weighted sum of V, T·T·E each,
    are added by hand."""
    torch = require_module("torch")
    from torch.utils.flop_counter import FlopCounterMode
    T, E = 10, 32
    net = torch.nn.TransformerEncoderLayer(E, 4, 64, batch_first=True).eval()
    with FlopCounterMode(display=False) as counter:  # with gradients: no fused fast path
        net(torch.randn(1, T, E))
    ours = explain.from_torch(net, input_shape=(T, E))
    assert ours.macs == counter.get_total_flops() // 2 + 2 * T * T * E


HF_CONFIGS = {
    "gpt2": ("GPT2Config", dict(n_layer=2, n_embd=64, n_head=4, n_positions=16, vocab_size=100),
             "GPT2LMHeadModel", ("transformer.h", "lm_head")),
    "llama_gqa": ("LlamaConfig", dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4,
                                      num_key_value_heads=2, intermediate_size=96, vocab_size=100,
                                      max_position_embeddings=16), "LlamaForCausalLM",
                  ("model.layers", "lm_head")),
    "bert": ("BertConfig", dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4,
                                intermediate_size=96, vocab_size=100, max_position_embeddings=16),
             "BertModel", ("encoder.layer", "pooler.dense")),
}
"""Each at its context length of 16 tokens, with eager attention (matrix products FlopCounterMode
counts). BERT's pooler reads the first position only: d² MACs, not T·d²."""


@pytest.mark.parametrize("name", list(HF_CONFIGS))
def test_hugging_face_blocks_match_flop_counter(name, tmp_path):
    torch = require_module("torch")
    transformers = require_module("transformers")
    from torch.utils.flop_counter import FlopCounterMode
    config_class, args, architecture, checked = HF_CONFIGS[name]
    config = getattr(transformers, config_class)(**args)
    config._attn_implementation = "eager"
    net = getattr(transformers, architecture)(config).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, 16, dtype=torch.long))
    flops = {k.split(".", 1)[1]: sum(v.values()) for k, v in counter.get_flop_counts().items() if "." in k}
    data = config.to_dict()
    data["architectures"] = [architecture]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    ours = explain.load(str(path))
    for node_name in checked:
        node = ours.node(node_name)
        theirs = sum(v for k, v in flops.items() if k == node_name or k.startswith(node_name + ".")
                     and k.count(".") == node_name.count(".") + 1)
        assert 2 * ours.evaluate(node.macs) == theirs, node_name


def test_gpt2_per_token_at_its_context_length():
    """GPT-2 (L = 12, d = 768, f = 4d, V = 50257) at n_ctx = 1024 tokens, per token: the block's
    matrices 12·d² per layer, attention 2·T·d per layer, and the LM head V·d."""
    result = _run("derive", str(ROOT / "tests" / "fixtures" / "hf" / "gpt2.json"), "--format", "json",
                  "--count", "compute")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    L, d, T, V = 12, 768, 1024, 50257
    assert data["context_length"] == T
    assert data["macs_per_token"] == L * 12 * d * d + L * 2 * T * d + V * d
    assert data["macs"] == T * data["macs_per_token"]


def test_keras_attention_matches_torch_multihead_attention():
    """Keras MultiHeadAttention(4 heads, key_dim 8) on (10, 32) projects to 4·8 = 32 columns, as
    torch's MultiheadAttention(32, 4) does: the same MACs."""
    torch = require_module("torch")
    keras = require_module("keras")
    from torch.utils.flop_counter import FlopCounterMode
    x = keras.Input((10, 32))
    y = keras.layers.MultiHeadAttention(num_heads=4, key_dim=8)(x, x)
    ours = explain.from_keras(keras.Model(x, y))
    net, shape = _self_attention(torch.nn)
    with FlopCounterMode(display=False) as counter:  # with gradients: no fused fast path
        net.eval()(torch.randn(1, *shape))
    assert ours.flops == counter.get_total_flops()


def test_keras_recurrent_and_grouped_query_attention_by_hand():
    """LSTM(16) over 10 steps of 8 features: 10·4·16·(8 + 16); Bidirectional GRU(4): twice
    10·3·4·(16 + 4); GroupedQueryAttention(head_dim 8, 4 query heads, 2 key/value heads) on
    (10, 32): q and output 10·32·32 each, k and v 10·32·16 each, scores and weighted sum
    4·10·10·8 each."""
    model = explain.load({"input": [10, 8], "layers": [
        {"LSTM": {"units": 16, "return_sequences": True}},
        {"Bidirectional": {"layer": {"GRU": {"units": 4, "return_sequences": True}}}},
        {"Dense": {"units": 32}},
    ]})
    lstm, bi, _ = model.nodes
    assert lstm.macs == 10 * 4 * 16 * (8 + 16)
    assert bi.macs == 2 * 10 * 3 * 4 * (16 + 4)
    gqa = explain.load({"input": [10, 32], "layers": [
        {"GroupedQueryAttention": {"head_dim": 8, "num_query_heads": 4, "num_key_value_heads": 2,
                                   "inputs": ["input", "input"]}}]})
    assert gqa.nodes[0].macs == 2 * 10 * 32 * 32 + 2 * 10 * 32 * 16 + 2 * 4 * 10 * 10 * 8


HAND = {
    # ConvLSTM2D(4, 3, 'same') over 5 steps of 8×8×3: the 4 gates' convolutions of the input
    # (3 channels) and the state (4 channels) at 8·8 positions: 5·8·8·3·3·4·4·(3 + 4)
    "conv_lstm": ({"input": [5, 8, 8, 3], "layers": [
        {"ConvLSTM2D": {"filters": 4, "kernel_size": 3, "padding": "same"}}]}, 5 * 8 * 8 * 9 * 4 * 4 * (3 + 4)),
    # dot-product Attention of 6 queries over 6 keys of width 16: scores 6·6·16, weighted sum 6·6·16
    "dot_attention": ({"input": [6, 16], "layers": [
        {"Attention": {"inputs": ["input", "input"]}}]}, 6 * 6 * 16 * 2),
    # EinsumDense abc,cde->abde on (7, 12) to (7, 2, 5): 7 positions · 12 · 2 · 5
    "einsum": ({"input": [7, 12], "layers": [
        {"EinsumDense": {"equation": "abc,cde->abde", "output_shape": [7, 2, 5]}}]}, 7 * 12 * 2 * 5),
    # TimeDistributed(Dense(3)) over 6 steps of 10: 6·10·3
    "time_distributed": ({"input": [6, 10], "layers": [
        {"TimeDistributed": {"layer": {"Dense": {"units": 3}}}}]}, 6 * 10 * 3),
    # Conv3DTranspose(2, 2, strides 2) on 3×4×4×5: each of the 3·4·4 input positions scatters
    # 2·2·2 kernel values per input and output channel: 3·4·4·8·5·2
    "conv3d_transpose": ({"input": [3, 4, 4, 5], "layers": [
        {"Conv3DTranspose": {"filters": 2, "kernel_size": 2, "strides": 2}}]}, 3 * 4 * 4 * 8 * 5 * 2),
}


@pytest.mark.parametrize("name", list(HAND))
def test_more_layers_by_hand(name):
    spec, macs = HAND[name]
    assert explain.load(spec).macs == macs


def test_unknown_sequence_length_is_not_counted_as_zero():
    """An LSTM over a sequence of unknown length: its MACs need T."""
    model = explain.load({"input": [None, 8], "layers": [{"LSTM": {"units": 4}}]})
    assert model.nodes[0].macs is None and model.nodes[0].cost_missing == "unknown_size"
    assert model.macs is None


def test_set_changes_the_context_length():
    """GPT-2 with --set T=512: per token 12·12·768² + 12·2·512·768 + 50257·768."""
    result = _run("derive", str(ROOT / "tests" / "fixtures" / "hf" / "gpt2.json"), "--set", "T=512",
                  "--format", "json", "--count", "compute")
    data = json.loads(result.stdout)
    assert data["context_length"] == 512
    assert data["macs_per_token"] == 12 * 12 * 768 ** 2 + 12 * 2 * 512 * 768 + 50257 * 768
