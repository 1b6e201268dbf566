"""The PyTorch vocabulary (``framework: pytorch``) against real torch.nn modules: parameters,
trainable split, buffers and output shapes from ``torch_figures`` (the real modules run on the
meta device) or from torch called in the test."""
from __future__ import annotations

import json
from typing import Any

import pytest

from explain.cli import main
from explain.importers.spec import load_spec
from explain.render.json_out import model_dict
from tests.conftest import require_module


def torch_spec(shape: list, *layers: dict) -> dict[str, Any]:
    return {"framework": "pytorch", "input": shape, "layers": list(layers)}


CASES: dict[str, dict[str, Any]] = {
    "convs": torch_spec(
        [16, 20, 20],
        {"Conv2d": {"in_channels": 16, "out_channels": 32, "kernel_size": 3, "groups": 4}},
        {"Conv2d": {"in_channels": 32, "out_channels": 8, "kernel_size": [3, 5], "stride": 2,
                    "padding": [1, 2], "dilation": [2, 1], "bias": False}},
        {"ConvTranspose2d": {"in_channels": 8, "out_channels": 12, "kernel_size": 3, "stride": 2,
                             "padding": 1, "output_padding": 1, "groups": 2}},
        {"Conv2d": {"in_channels": 12, "out_channels": 12, "kernel_size": 3, "padding": "same",
                    "groups": 12}},
        {"Conv2d": {"in_channels": 12, "out_channels": 6, "kernel_size": 1, "padding": "valid"}}),
    "convs_1d_3d": torch_spec(
        [6, 30],
        {"Conv1d": {"in_channels": 6, "out_channels": 9, "kernel_size": 4, "stride": 3, "groups": 3}},
        {"ConvTranspose1d": {"in_channels": 9, "out_channels": 4, "kernel_size": 5, "dilation": 2,
                             "stride": 2, "output_padding": 1}},
        {"Unflatten": {"dim": 2, "unflattened_size": [-1, 2, 13]}},
        {"Conv3d": {"in_channels": 4, "out_channels": 6, "kernel_size": [1, 2, 2], "padding": [0, 1, 1]}},
        {"ConvTranspose3d": {"in_channels": 6, "out_channels": 2, "kernel_size": 2, "stride": 2,
                             "groups": 2, "bias": False}}),
    "norms": torch_spec(
        [8, 6, 6],
        {"BatchNorm2d": {"num_features": 8}},
        {"BatchNorm2d": {"num_features": 8, "affine": False}},
        {"BatchNorm2d": {"num_features": 8, "track_running_stats": False}},
        {"InstanceNorm2d": {"num_features": 8}},
        {"InstanceNorm2d": {"num_features": 8, "affine": True, "track_running_stats": True}},
        {"GroupNorm": {"num_groups": 4, "num_channels": 8}},
        {"LayerNorm": {"normalized_shape": [6, 6]}},
        {"LayerNorm": {"normalized_shape": 6, "bias": False}},
        {"RMSNorm": {"normalized_shape": [8, 6, 6]}},
        {"LocalResponseNorm": {"size": 2}},
        {"Flatten": {"start_dim": 2}},
        {"BatchNorm1d": {"num_features": 8}},
        {"InstanceNorm1d": {"num_features": 8, "affine": True}},
        {"Flatten": {}},
        {"BatchNorm1d": {"num_features": 288, "momentum": 0.2}}),
    "norm_3d": torch_spec([3, 4, 5, 6], {"BatchNorm3d": {"num_features": 3}},
                          {"InstanceNorm3d": {"num_features": 3, "track_running_stats": True}}),
    "lstm_two_layers": torch_spec([10, 300], {"LSTM": {"input_size": 300, "hidden_size": 512,
                                                        "num_layers": 2}}),
    "bidirectional_lstm_proj": torch_spec(
        [10, 30], {"LSTM": {"input_size": 30, "hidden_size": 20, "num_layers": 3,
                            "bidirectional": True, "proj_size": 7, "batch_first": True}},
        {"Linear": {"in_features": 14, "out_features": 3}}),
    "bidirectional_gru": torch_spec(
        [10, 30], {"GRU": {"input_size": 30, "hidden_size": 20, "num_layers": 2,
                           "bidirectional": True, "bias": False}},
        {"GRU": {"input_size": 40, "hidden_size": 5, "num_layers": 2, "dropout": 0.1}}),
    "rnn_relu": torch_spec([10, 5], {"RNN": {"input_size": 5, "hidden_size": 9, "num_layers": 3,
                                             "nonlinearity": "relu", "bidirectional": True}}),
    "attention": torch_spec(
        [10, 64],
        {"MultiheadAttention": {"embed_dim": 64, "num_heads": 8}},
        {"MultiheadAttention": {"embed_dim": 64, "num_heads": 4, "add_bias_kv": True}},
        {"MultiheadAttention": {"embed_dim": 64, "num_heads": 2, "bias": False, "add_zero_attn": True}}),
    "mha_512": torch_spec([10, 512], {"MultiheadAttention": {"embed_dim": 512, "num_heads": 8}}),
    "transformer_default": torch_spec([10, 512], {"Transformer": {}}),
    "transformer_small": torch_spec(
        [10, 64],
        {"TransformerEncoderLayer": {"d_model": 64, "nhead": 4, "dim_feedforward": 100}},
        {"TransformerDecoderLayer": {"d_model": 64, "nhead": 4, "dim_feedforward": 100, "bias": False}},
        {"TransformerEncoder": {"encoder_layer": {"TransformerEncoderLayer": {
            "d_model": 64, "nhead": 4, "dim_feedforward": 32, "norm_first": True}},
            "num_layers": 3, "norm": {"LayerNorm": {"normalized_shape": 64}},
            "enable_nested_tensor": False}},
        {"TransformerDecoder": {"decoder_layer": {"TransformerDecoderLayer": {
            "d_model": 64, "nhead": 8, "dim_feedforward": 16}}, "num_layers": 2}},
        {"Transformer": {"d_model": 64, "nhead": 4, "num_encoder_layers": 2, "num_decoder_layers": 1,
                         "dim_feedforward": 50, "bias": False}}),
    "symbolic": {"framework": "pytorch", "symbols": {"T": 10, "d": 24, "h": 16},
                 "input": ["T", "d"], "layers": [
                     {"Linear": {"in_features": "d", "out_features": "2*d"}},
                     {"LSTM": {"input_size": "2*d", "hidden_size": "h", "num_layers": 2,
                               "bidirectional": True}},
                     {"MultiheadAttention": {"embed_dim": "2*h", "num_heads": 4}},
                     {"LayerNorm": {"normalized_shape": "2*h"}},
                     {"TransformerEncoderLayer": {"d_model": "2*h", "nhead": 2, "dim_feedforward": "h"}},
                     {"Unflatten": {"dim": 1, "unflattened_size": [2, "T/2"]}},
                     {"Conv2d": {"in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": 1}},
                     {"BatchNorm2d": {"num_features": 4}},
                     {"MaxPool2d": {"kernel_size": 2}}]},
    "poolings": torch_spec(
        [3, 33, 33],
        {"MaxPool2d": {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}},
        {"AvgPool2d": {"kernel_size": 2, "ceil_mode": True, "count_include_pad": False}},
        {"MaxPool2d": {"kernel_size": 2, "dilation": 2}},
        {"AdaptiveAvgPool2d": {"output_size": [5, None]}},
        {"ZeroPad2d": {"padding": [1, 2, 3, 4]}},
        {"LPPool2d": {"norm_type": 2, "kernel_size": 2}},
        {"Upsample": {"scale_factor": 2}},
        {"AdaptiveMaxPool2d": {"output_size": 3}},
        {"Flatten": {"start_dim": 2}},
        {"AvgPool1d": {"kernel_size": 3, "stride": 2, "padding": 1}},
        {"AdaptiveAvgPool1d": {"output_size": 1}},
        {"Flatten": {}}),
    "core": torch_spec(
        [12],
        {"Embedding": {"num_embeddings": 100, "embedding_dim": 16, "padding_idx": 0}},
        {"Dropout": {"p": 0.2}},
        {"Linear": {"in_features": 16, "out_features": 10}},
        {"GELU": {"approximate": "tanh"}},
        {"Bilinear": {"in1_features": 10, "in2_features": 10, "out_features": 4}},
        {"PReLU": {}},
        {"Unflatten": {"dim": -1, "unflattened_size": [2, 2]}},
        {"PReLU": {"num_parameters": 12}},
        {"Flatten": {}},
        {"Linear": {"in_features": 48, "out_features": 6, "bias": False}},
        {"GLU": {}},
        {"LogSoftmax": {"dim": -1}}),
    "resample": torch_spec(
        [8, 6, 6],
        {"PixelShuffle": {"upscale_factor": 2}},
        {"PixelUnshuffle": {"downscale_factor": 3}},
        {"ChannelShuffle": {"groups": 3}},
        {"UpsamplingNearest2d": {"scale_factor": 2}},
        {"UpsamplingBilinear2d": {"size": [5, 7]}},
        {"Unfold": {"kernel_size": 2, "padding": 1, "stride": [2, 1]}},
        {"Fold": {"output_size": [5, 7], "kernel_size": 2, "padding": 1, "stride": [2, 1]}},
        {"CrossMapLRN2d": {"size": 3}},
        {"SyncBatchNorm": {"num_features": 18}}),
    "cells": torch_spec(
        [5],
        {"RNNCell": {"input_size": 5, "hidden_size": 7, "nonlinearity": "relu"}},
        {"LSTMCell": {"input_size": 7, "hidden_size": 4}},
        {"GRUCell": {"input_size": 4, "hidden_size": 3, "bias": False}}),
    "embedding_bag": torch_spec(
        [6],
        {"EmbeddingBag": {"num_embeddings": 20, "embedding_dim": 5, "mode": "sum"}},
        {"Linear": {"in_features": 5, "out_features": 2}}),
}


def compare(spec: dict[str, Any], want: dict[str, Any]) -> None:
    model = load_spec(spec)
    got = model_dict(model)
    for key in ("total", "trainable", "non_trainable"):
        assert got[key] == want[key], key
    assert len(got["layers"]) == len(want["layers"])
    for position, (node, mine, theirs) in enumerate(zip(model.nodes, got["layers"], want["layers"]), 1):
        mine = {**mine, "output_shape": [None, *model.evaluate_shape(node.output_shape)]}
        for key in ("type", "output_shape", "params", "trainable", "buffers"):
            assert mine[key] == theirs[key], f"layer {position} ({theirs['type']}): {key}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_pytorch(case: str) -> None:
    require_module("torch")
    from tests.oracle.torch_oracle import torch_figures
    compare(CASES[case], torch_figures(CASES[case]))


@pytest.mark.parametrize("case, total", [("transformer_default", 44_140_544),
                                         ("lstm_two_layers", 3_768_320), ("mha_512", 1_050_624)])
def test_figures_quoted_in_formulas_md(case: str, total: int) -> None:
    assert load_spec(CASES[case]).total == total


def test_conv2d_groups_by_hand() -> None:
    """FORMULAS.md: Conv2d(16, 32, 3, groups=4) = 3·3·(16/4)·32 + 32 = 1,184."""
    assert load_spec(CASES["convs"]).nodes[0].params == 3 * 3 * (16 // 4) * 32 + 32 == 1184


def test_lstm_formula_per_layer_and_direction() -> None:
    """One layer, one direction: 4h(n_in + h) + 8h; the formula substitutes to the count."""
    import sympy

    from explain.symbols import sym
    node = load_spec(torch_spec([20, 32], {"LSTM": {"input_size": 32, "hidden_size": 64}})).nodes[0]
    h, i = sym("h"), sym("n_in")
    assert sympy.expand(node.formula - (4 * h * (i + h) + 8 * h)) == 0
    assert node.formula.xreplace(dict(node.values)) == node.params == 25088
    assert node.layer.notes() == ("lstm_four_groups", "rnn_two_biases")
    deep = load_spec(CASES["bidirectional_lstm_proj"]).nodes[0]
    assert deep.formula.xreplace({s: sympy.Integer(v) for s, v in deep.values.items()}) == deep.params
    assert set(deep.layer.notes()) >= {"rnn_stacked_input", "bidirectional_twice", "lstm_proj_size"}


@pytest.mark.parametrize("args", [
    {"embed_dim": 64, "num_heads": 4, "kdim": 32, "vdim": 48, "add_bias_kv": True},
    {"embed_dim": 64, "num_heads": 8, "kdim": 20, "bias": False},
    {"embed_dim": 32, "num_heads": 2, "vdim": 16, "batch_first": True},
])
def test_cross_attention_with_kdim_vdim(args: dict) -> None:
    torch = require_module("torch")
    e = args["embed_dim"]
    kd, vd = args.get("kdim", e), args.get("vdim", e)
    module = torch.nn.MultiheadAttention(**args)
    q, k, v = torch.zeros(2, 7, e), torch.zeros(2, 5, kd), torch.zeros(2, 5, vd)
    if not args.get("batch_first"):
        q, k, v = (t.transpose(0, 1) for t in (q, k, v))
    out, _ = module(q, k, v)
    spec = {"framework": "pytorch", "inputs": {"q": [7, e], "k": [5, kd], "v": [5, vd]},
            "layers": [{"MultiheadAttention": {**args, "name": "xattn", "inputs": ["q", "k", "v"]}}]}
    node = load_spec(spec).nodes[0]
    assert node.params == sum(p.numel() for p in module.parameters())
    assert node.output_shape == (7, e) and out.shape[-1] == e
    assert "mha_separate_proj" in node.layer.notes()


def test_cross_attention_names_the_key_and_value_widths_like_keras() -> None:
    """kdim and vdim are E_k and E_v (the key and value inputs' widths, as in Keras's MHA), and
    the note writes the projections with the formula's symbols: d² (q), E_k·d (k), E_v·d (v)."""
    torch = require_module("torch")
    from explain.render import render_document
    module = torch.nn.MultiheadAttention(32, 4, kdim=20, vdim=24)
    named = dict(module.named_parameters())
    spec = {"framework": "pytorch", "inputs": {"q": [7, 32], "k": [5, 20], "v": [5, 24]},
            "layers": [{"MultiheadAttention": {"embed_dim": 32, "num_heads": 4, "kdim": 20, "vdim": 24,
                                                "name": "xattn", "inputs": ["q", "k", "v"]}}]}
    model = load_spec(spec)
    groups = {g.name: g for g in model.nodes[0].layer.weight_groups()}
    assert {str(groups[n].formula) for n in ("k_proj_weight", "v_proj_weight")} == {"E_k*d", "E_v*d"}
    text = render_document("derivation", model, lang="en", format="markdown")
    assert f"$E_{{k}} \\cdot d = 20 \\times 32$ | {named['k_proj_weight'].numel()} |" in text
    assert f"$E_{{v}} \\cdot d = 24 \\times 32$ | {named['v_proj_weight'].numel()} |" in text
    assert "($d^{2}$, $E_{k} \\cdot d$, $E_{v} \\cdot d$)" in text
    assert "d_{\\text{key}}" not in text and "\\mathit{kdim}" not in text


def test_transformer_with_source_and_target() -> None:
    torch = require_module("torch")
    with torch.device("meta"):
        module = torch.nn.Transformer(d_model=32, nhead=4, num_encoder_layers=1, num_decoder_layers=2,
                                      dim_feedforward=40)
        out = module(torch.zeros(9, 2, 32), torch.zeros(4, 2, 32))
    spec = {"framework": "pytorch", "inputs": {"src": [9, 32], "tgt": [4, 32]},
            "layers": [{"Transformer": {"d_model": 32, "nhead": 4, "num_encoder_layers": 1,
                                        "num_decoder_layers": 2, "dim_feedforward": 40,
                                        "inputs": ["src", "tgt"]}}]}
    node = load_spec(spec).nodes[0]
    assert node.params == sum(p.numel() for p in module.parameters())
    assert node.output_shape == (out.shape[0], out.shape[2])


BAD = {
    "linear": (torch_spec([20], {"Linear": {"name": "fc", "in_features": 30, "out_features": 5}}),
               ["fc", "in_features=30", "20"]),
    "conv": (torch_spec([3, 8, 8], {"Conv2d": {"name": "stem", "in_channels": 1, "out_channels": 4,
                                               "kernel_size": 3}}),
             ["stem", "in_channels=1"]),
    "conv_groups": (torch_spec([6, 8], {"Conv1d": {"name": "c", "in_channels": 6, "out_channels": 4,
                                                   "kernel_size": 3, "groups": 4}}),
                    ["c", "divisible by groups"]),
    "batchnorm": (torch_spec([8, 4, 4], {"BatchNorm2d": {"name": "bn", "num_features": 16}}),
                  ["bn", "num_features=16"]),
    "lstm": (torch_spec([5, 10], {"LSTM": {"name": "rnn", "input_size": 12, "hidden_size": 4}}),
             ["rnn", "input_size=12"]),
    "mha_embed": (torch_spec([5, 10], {"MultiheadAttention": {"name": "attn", "embed_dim": 12,
                                                              "num_heads": 2}}),
                  ["attn", "embed_dim=12"]),
    "mha_rank": (torch_spec([10], {"MultiheadAttention": {"name": "attn", "embed_dim": 10,
                                                          "num_heads": 2}}),
                 ["attn", "rank 2"]),
    "layernorm": (torch_spec([5, 10], {"LayerNorm": {"name": "ln", "normalized_shape": [4, 10]}}),
                  ["ln", "normalized_shape"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_contradictions_are_one_line_naming_the_layer(case: str, tmp_path, capsys) -> None:
    spec, words = BAD[case]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    assert main(["derive", str(path), "--format", "json"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1
    for word in words:
        assert word in lines[0]


@pytest.mark.parametrize("case", ["linear", "conv", "batchnorm", "lstm", "layernorm"])
def test_torch_rejects_the_contradiction_too(case: str) -> None:
    require_module("torch")
    from tests.oracle.torch_oracle import torch_figures
    with pytest.raises(RuntimeError):
        torch_figures(BAD[case][0], device="cpu")


@pytest.mark.parametrize("case", sorted(CASES))
def test_formulas_substitute_to_the_counts(case: str) -> None:
    import sympy
    model = load_spec(CASES[case])
    for node in model.nodes:
        values = {s: sympy.sympify(v) for s, v in node.values.items()}
        assert node.formula.xreplace(values) == node.params, node.name
        parsed = sympy.sympify(str(node.formula))  # the JSON's formula string parses back
        by_name = {x.name: v for x, v in values.items()}
        assert parsed.xreplace({x: by_name[x.name] for x in parsed.free_symbols}) == node.params


def test_return_indices_is_a_second_output() -> None:
    torch = require_module("torch")
    out, indices = torch.nn.MaxPool2d(2, return_indices=True)(torch.zeros(1, 3, 9, 8))
    spec = torch_spec([3, 9, 8], {"MaxPool2d": {"kernel_size": 2, "return_indices": True}},
                      {"Flatten": {}})
    got = model_dict(load_spec(spec))
    assert got["layers"][0]["output_shape"] == [[None, *out.shape[1:]], [None, *indices.shape[1:]]]
    assert got["layers"][1]["output_shape"] == [None, out[0].numel()]


def test_bilinear_and_decoder_layer_with_two_inputs() -> None:
    torch = require_module("torch")
    bilinear = torch.nn.Bilinear(6, 4, 3)
    with torch.device("meta"):
        decoder = torch.nn.TransformerDecoderLayer(16, 4, 24, batch_first=True)
        out = decoder(torch.zeros(2, 5, 16), torch.zeros(2, 9, 16))
    spec = {"framework": "pytorch", "inputs": {"a": [7, 6], "b": [7, 4], "tgt": [5, 16], "mem": [9, 16]},
            "layers": [{"Bilinear": {"name": "bil", "in1_features": 6, "in2_features": 4,
                                     "out_features": 3, "inputs": ["a", "b"]}},
                       {"TransformerDecoderLayer": {"name": "dec", "d_model": 16, "nhead": 4,
                                                    "dim_feedforward": 24, "batch_first": True,
                                                    "inputs": ["tgt", "mem"]}}]}
    model = load_spec(spec)
    assert model.node("bil").params == sum(p.numel() for p in bilinear.parameters())
    assert model.node("bil").output_shape == (7, 3)
    assert model.node("dec").params == sum(p.numel() for p in decoder.parameters())
    assert model.node("dec").output_shape == tuple(out.shape[1:])


@pytest.mark.parametrize("kind, bias", [("TransformerEncoderLayer", True), ("TransformerEncoderLayer", False),
                                        ("TransformerDecoderLayer", True)])
def test_transformer_layer_rows_are_the_tensors_torch_names(kind: str, bias: bool) -> None:
    """Review 37 (en): the table's "Tensor" column listed submodules (self_attn, linear1, norm1);
    its rows are now the tensors as ``named_parameters`` gives them, with their sizes: the packed
    in_proj_weight (3d × d) and the rest, biases and LayerNorm biases only with bias=True."""
    torch = require_module("torch")
    layer = getattr(torch.nn, kind)(32, 4, 64, bias=bias)
    theirs = [(name, p.numel()) for name, p in layer.named_parameters()]
    spec = torch_spec([10, 32], {kind: {"d_model": 32, "nhead": 4, "dim_feedforward": 64, "bias": bias}})
    node = load_spec(spec).nodes[0]
    mine = [(g.name, int(g.formula.xreplace(dict(node.values)))) for g in node.layer.weight_groups()]
    assert sorted(mine) == sorted(theirs)
    assert [name for name, _ in mine] == [name for name, _ in theirs]  # in torch's order
