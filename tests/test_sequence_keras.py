"""Keras sequence and graph layers against real Keras: merges, Embedding, SimpleRNN/LSTM/GRU,
Bidirectional (every merge_mode), ConvLSTM, attention. Expected figures come from
``keras_figures`` (the real model built from the same spec) or from Keras called in the test."""
from __future__ import annotations

import json
from typing import Any

import pytest

from explain.cli import main
from explain.errors import ExplainError
from explain.importers.spec import load_spec
from explain.render.json_out import model_dict
from tests.conftest import require_module

ROW_KEYS = ("name", "type", "output_shape", "params", "trainable", "non_trainable")

CASES: dict[str, dict[str, Any]] = {
    "stacked_rnns": {"input": [12], "layers": [
        {"Embedding": {"input_dim": 50, "output_dim": 8}},
        {"SimpleRNN": {"units": 6, "return_sequences": True}},
        {"LSTM": {"units": 5, "return_sequences": True, "use_bias": False}},
        {"GRU": {"units": 4, "reset_after": False, "return_sequences": True}},
        {"GRU": {"units": 3, "trainable": False}}]},
    "bidirectional_merge_modes": {"input": [7, 5], "layers": [
        {"Bidirectional": {"layer": {"LSTM": {"units": 4, "return_sequences": True}}}},
        {"Bidirectional": {"layer": {"GRU": {"units": 3, "return_sequences": True}}, "merge_mode": "sum"}},
        {"Bidirectional": {"layer": {"SimpleRNN": {"units": 3, "return_sequences": True}},
                           "merge_mode": "mul"}},
        {"Bidirectional": {"layer": {"GRU": {"units": 3, "return_sequences": True, "reset_after": False}},
                           "merge_mode": "ave"}},
        {"Bidirectional": {"layer": {"LSTM": {"units": 2, "return_sequences": True}}, "merge_mode": None}},
        {"LSTM": {"units": 3}}]},
    "return_state": {"input": [7, 5], "layers": [
        {"LSTM": {"units": 4, "return_state": True, "return_sequences": True}},
        {"GRU": {"units": 3, "return_state": True}}]},
    "bidirectional_states": {"input": [7, 5], "layers": [
        {"Bidirectional": {"layer": {"LSTM": {"units": 4, "return_state": True}}}}]},
    "bidirectional_none_states": {"input": [7, 5], "layers": [
        {"Bidirectional": {"layer": {"GRU": {"units": 4, "return_state": True}}, "merge_mode": None}}]},
    "conv_lstm": {"input": [6, 10, 12, 3], "layers": [
        {"ConvLSTM2D": {"filters": 4, "kernel_size": 3, "padding": "same", "return_sequences": True}},
        {"ConvLSTM2D": {"filters": 2, "kernel_size": [3, 2], "strides": 2, "return_state": True}}]},
    "conv_lstm_1d": {"input": [6, 10, 3], "layers": [
        {"ConvLSTM1D": {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "use_bias": False}}]},
    "conv_lstm_3d_channels_first": {"input": [4, 3, 5, 6, 7], "layers": [
        {"ConvLSTM3D": {"filters": 2, "kernel_size": 2, "data_format": "channels_first",
                        "return_sequences": True}},
        {"ConvLSTM3D": {"filters": 3, "kernel_size": [1, 2, 3], "padding": "same",
                        "data_format": "channels_first", "return_state": True}}]},
    "rnn_cells": {"input": [7, 5], "layers": [
        {"RNN": {"cell": [{"LSTMCell": {"units": 4}}, {"GRUCell": {"units": 3, "reset_after": False}},
                          {"SimpleRNNCell": {"units": 2}}], "return_state": True, "return_sequences": True}},
        {"RNN": {"cell": {"StackedRNNCells": {"cells": [{"LSTMCell": {"units": 4}},
                                                        {"GRUCell": {"units": 3}}]}},
                 "return_sequences": True}},
        {"Bidirectional": {"layer": {"RNN": {"cell": {"GRUCell": {"units": 3, "use_bias": False}}}}}},
        {"Dense": {"units": 2}}]},
    "cross_attention": {"inputs": {"q": [6, 16], "v": [9, 12], "k": [9, 20]}, "layers": [
        {"MultiHeadAttention": {"name": "xattn", "num_heads": 3, "key_dim": 5, "value_dim": 7,
                                "output_shape": 11, "inputs": ["q", "v", "k"]}},
        {"MultiHeadAttention": {"name": "nobias", "num_heads": 2, "key_dim": 4, "use_bias": False,
                                "inputs": ["q", "v"]}},
        {"MultiHeadAttention": {"name": "gated", "num_heads": 2, "key_dim": 4, "use_gate": True,
                                "output_shape": [2, 3], "inputs": ["q", "k"]}},
        {"Attention": {"name": "dot", "use_scale": True, "score_mode": "concat", "inputs": ["q", "q"]}},
        {"AdditiveAttention": {"name": "additive", "inputs": ["q", "nobias", "q"]}},
        {"GroupQueryAttention": {"head_dim": 4, "num_query_heads": 4,
                                 "num_key_value_heads": 2, "inputs": ["k", "k", "v"]}},
        {"GroupQueryAttention": {"name": "gqa_gate", "head_dim": 3, "num_query_heads": 2,
                                 "num_key_value_heads": 1, "use_gate": True, "use_bias": False,
                                 "inputs": ["k", "k"]}}]},
    "every_merge": {"inputs": {"a": [4, 5], "b": [4, 5], "c": [4, 1], "d": [3, 5]}, "layers": [
        {"Add": {"name": "add", "inputs": ["a", "b"]}},
        {"Subtract": {"name": "sub", "inputs": ["a", "b"]}},
        {"Multiply": {"name": "mul", "inputs": ["a", "b", "c"]}},
        {"Average": {"name": "avg", "inputs": ["a", "c"]}},
        {"Maximum": {"name": "max", "inputs": ["a", "b"]}},
        {"Minimum": {"name": "min", "inputs": ["add", "sub", "max"]}},
        {"Concatenate": {"name": "cat1", "axis": 1, "inputs": ["a", "d"]}},
        {"Concatenate": {"name": "cat2", "inputs": ["a", "b", "c"]}},
        {"Dot": {"name": "dot1", "axes": [2, 2], "inputs": ["a", "d"]}},
        {"Dot": {"name": "dot2", "axes": 1, "normalize": True, "inputs": ["a", "b"]}},
        {"Dense": {"name": "head", "units": 3, "inputs": "cat1"}}]},
    "dot_vectors": {"inputs": {"v1": [8], "v2": [8]}, "layers": [
        {"Dot": {"name": "cos", "axes": 1, "normalize": True, "inputs": ["v1", "v2"]}}]},
    "state_references": {"input": [7, 5], "layers": [
        {"LSTM": {"name": "enc", "units": 4, "return_state": True}},
        {"Dense": {"name": "from_c", "units": 2, "inputs": "enc[2]"}},
        {"Concatenate": {"name": "states", "inputs": ["enc", "enc[1]", "from_c"]}},
        {"Bidirectional": {"name": "bi", "layer": {"GRU": {"units": 3, "return_sequences": True}},
                           "merge_mode": None, "inputs": "input"}},
        {"Add": {"name": "both_directions", "inputs": ["bi[0]", "bi[1]"]}}]},
    "symbolic_attention": {"symbols": {"T": 10, "d": 32, "H": 4}, "inputs": {"x": ["T", "d"]}, "layers": [
        {"MultiHeadAttention": {"name": "attn", "num_heads": "H", "key_dim": "d/H", "inputs": ["x", "x"]}},
        {"Add": {"name": "res", "inputs": ["x", "attn"]}},
        {"Concatenate": {"name": "cat", "axis": 1, "inputs": ["x", "res"]}},
        {"Dense": {"name": "ff", "units": "2*d"}}]},
    "symbolic_lstm": {"symbols": {"h": 12, "V": 30}, "input": [9], "layers": [
        {"Embedding": {"input_dim": "V", "output_dim": 6}},
        {"LSTM": {"units": "h", "return_sequences": True}},
        {"GRU": {"units": "h/2"}}]},
}


def flat(shapes: list) -> list:
    """Keras nests the states of a stacked cell with several ([h, c] of an LSTMCell) inside the
    list of outputs; ours are one flat list (the order is the same)."""
    if not shapes or not isinstance(shapes[0], list):
        return shapes
    out: list = []
    for s in shapes:
        out.extend(flat(s) if s and isinstance(s[0], list) else [s])
    return out


def compare(spec: dict[str, Any], want: dict[str, Any]) -> None:
    model = load_spec(spec)
    got = model_dict(model)
    for key in ("total", "trainable", "non_trainable"):
        assert got[key] == want[key], key
    assert len(got["layers"]) == len(want["layers"])
    for node, mine, theirs in zip(model.nodes, got["layers"], want["layers"]):
        # symbolic sizes are strings in the JSON: compare their values
        shapes = [[None, *model.evaluate_shape(s)] for s in node.outputs]
        mine = {**mine, "output_shape": shapes if node.output_shapes else shapes[0]}
        theirs = {**theirs, "output_shape": flat(theirs["output_shape"])}
        for key in ROW_KEYS:
            assert mine[key] == theirs[key], f"{theirs['name']}: {key}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_keras(case: str) -> None:
    require_module("keras")
    from tests.oracle.keras_oracle import keras_figures
    compare(CASES[case], keras_figures(CASES[case]))


def test_lstm_and_gru_by_hand() -> None:
    """FORMULAS.md, by hand: LSTM 4h(i + h) + 4h; GRU 3h(i + h) + 6h (reset_after) or + 3h."""
    spec = {"input": [10, 32], "layers": [{"LSTM": {"units": 64, "return_sequences": True}},
                                           {"GRU": {"units": 16, "return_sequences": True}},
                                           {"GRU": {"units": 8, "reset_after": False}}]}
    m = load_spec(spec)
    assert [n.params for n in m] == [4 * 64 * (32 + 64) + 4 * 64, 3 * 16 * (64 + 16) + 6 * 16,
                                     3 * 8 * (16 + 8) + 3 * 8]
    # reset_after's two biases are in its sentence; the note says what reset_after=False and PyTorch give
    assert m.nodes[1].layer.notes() == ("gru_three_groups", "gru_reset_after")
    assert m.nodes[2].layer.notes() == ("gru_three_groups", "gru_one_bias")


def test_multi_output_json_is_a_list_of_shapes() -> None:
    m = load_spec(CASES["return_state"])
    rows = model_dict(m)["layers"]
    assert rows[0]["output_shape"] == [[None, 7, 4], [None, 4], [None, 4]]
    assert rows[1]["output_shape"] == [[None, 3], [None, 3]]
    assert m.nodes[1].input_shapes == ((7, 4),)  # a reference means the first output


def test_backward_layer_of_another_width() -> None:
    """Keras's symbolic shape says 2·4 here, the real output has 4 + 6: we give the real one."""
    keras = require_module("keras")
    import numpy as np
    spec = {"input": [7, 5], "layers": [{"Bidirectional": {
        "layer": {"LSTM": {"units": 4, "return_sequences": True}},
        "backward_layer": {"LSTM": {"units": 6, "go_backwards": True, "return_sequences": True}}}}]}
    layer = keras.layers.Bidirectional(
        keras.layers.LSTM(4, return_sequences=True),
        backward_layer=keras.layers.LSTM(6, go_backwards=True, return_sequences=True))
    out = layer(np.zeros((2, 7, 5), "float32"))
    node = load_spec(spec).nodes[0]
    assert node.params == layer.count_params()
    assert (None,) + node.output_shape == (None,) + tuple(int(d) for d in out.shape[1:])


BAD = {
    "incompatible_add": ({"inputs": {"a": [4, 5], "b": [4, 6]},
                          "layers": [{"Add": {"name": "join", "inputs": ["a", "b"]}}]},
                         ["join", "incompatible shapes"]),
    "subtract_three": ({"inputs": {"a": [4], "b": [4], "c": [4]},
                        "layers": [{"Subtract": {"name": "minus", "inputs": ["a", "b", "c"]}}]},
                       ["minus", "exactly 2"]),
    "concatenate": ({"inputs": {"a": [4, 5], "b": [3, 6]},
                     "layers": [{"Concatenate": {"name": "cat", "inputs": ["a", "b"]}}]},
                    ["cat", "matching shapes"]),
    "dot_axes": ({"inputs": {"a": [4, 5], "b": [4, 6]},
                  "layers": [{"Dot": {"name": "dp", "axes": 2, "inputs": ["a", "b"]}}]},
                 ["dp", "dot axes"]),
    "attention_rank": ({"inputs": {"q": [16], "v": [5, 16]},
                        "layers": [{"MultiHeadAttention": {"name": "attn", "num_heads": 2, "key_dim": 4,
                                                           "inputs": ["q", "v"]}}]},
                       ["attn", "rank 2"]),
    "attention_one_input": ({"input": [5, 16],
                             "layers": [{"MultiHeadAttention": {"name": "attn", "num_heads": 2,
                                                                "key_dim": 4}}]},
                            ["attn", "[query, value]"]),
    "lstm_rank": ({"input": [16], "layers": [{"LSTM": {"name": "rnn", "units": 4}}]},
                  ["rnn", "rank 2"]),
    "bidirectional_dense": ({"input": [5, 16], "layers": [{"Bidirectional": {"layer": {"Dense": {"units": 3}}}}]},
                            ["Bidirectional", "recurrent"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_naming_the_layer(case: str, tmp_path, capsys) -> None:
    spec, words = BAD[case]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    assert main(["derive", str(path), "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    for word in words:
        assert word in lines[0]


@pytest.mark.parametrize("case", ["incompatible_add", "concatenate", "dot_axes"])
def test_keras_rejects_the_bad_input_too(case: str) -> None:
    require_module("keras")
    from tests.oracle.keras_oracle import keras_figures
    with pytest.raises(ValueError):
        keras_figures(BAD[case][0])


@pytest.mark.parametrize("query, value", [((16,), (5, 16)), ((5, 16), (3, 5, 16))])
def test_keras_attention_fails_on_these_ranks_when_run(query, value) -> None:
    """Keras's symbolic build lets these through; a real call fails, and so do we."""
    keras = require_module("keras")
    import numpy as np
    with pytest.raises((RuntimeError, ValueError)):
        keras.layers.MultiHeadAttention(2, 4)(np.zeros((2, *query), "float32"),
                                              np.zeros((2, *value), "float32"))
    spec = {"inputs": {"q": list(query), "v": list(value)},
            "layers": [{"MultiHeadAttention": {"name": "attn", "num_heads": 2, "key_dim": 4,
                                               "inputs": ["q", "v"]}}]}
    with pytest.raises(ExplainError, match="rank"):
        load_spec(spec)


@pytest.mark.parametrize("case", sorted(CASES))
def test_formulas_substitute_to_the_counts(case: str) -> None:
    import sympy
    model = load_spec(CASES[case])
    for node in model.nodes:
        values = {s: sympy.sympify(v) for s, v in node.values.items()}
        assert sympy.expand(node.formula.xreplace(values) - node.params) == 0, node.name
        parsed = sympy.sympify(str(node.formula))  # the JSON's formula string parses back
        by_name = {x.name: v for x, v in values.items()}
        assert sympy.expand(parsed.xreplace({x: by_name[x.name] for x in parsed.free_symbols})
                            - node.params) == 0, node.name


def test_rnn_cells_from_keras_model_json() -> None:
    """RNN(cell) as Keras saves it: the cells are nested {class_name, config} entries."""
    keras = require_module("keras")
    import explain
    layers = keras.layers
    x = keras.Input((7, 5))
    y = layers.RNN([layers.LSTMCell(4), layers.GRUCell(3, reset_after=False)], return_sequences=True)(x)
    y = layers.Bidirectional(layers.RNN(layers.SimpleRNNCell(3)))(y)
    model = keras.Model(x, y)
    got = explain.from_keras(model)
    assert got.total == model.count_params()
    assert [n.params for n in got] == [layer.count_params() for layer in model.layers[1:]]
