"""Symbolic hyperparameters: formulas in the declared symbols, shapes with floor expressions.

The expected formulas are written by hand here; the expected numbers come from real Keras 3
models built with the symbols' values substituted.
"""
from __future__ import annotations

import json

import pytest
import sympy

import explain
from explain.cli import main
from explain.render.json_out import model_dict
from tests.conftest import FIXTURES, require_module

MLP = FIXTURES / "specs" / "mlp_symbolic.yaml"


def parse(text: str) -> sympy.Expr:
    """A formula from our own JSON output (never user input) as a sympy expression."""
    return sympy.parse_expr(text, local_dict={"floor": sympy.floor, "ceiling": sympy.ceiling,
                                              "Max": sympy.Max, "Min": sympy.Min})


def derive_json(capsys, *args: str) -> dict:
    assert main(["derive", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_mlp_total_formula_is_n_in_h_plus_h_plus_h_k_plus_k(capsys):
    got = derive_json(capsys, str(MLP))
    n_in, h, K = sympy.symbols("n_in h K")
    assert sympy.expand(parse(got["total_formula"]) - (n_in * h + h + h * K + K)) == 0
    assert got["symbols"] == {"n_in": 784, "h": 256, "K": 10}
    assert got["total"] == 784 * 256 + 256 + 256 * 10 + 10
    assert [layer["output_shape"] for layer in got["layers"]] == [[None, "h"], [None, "K"]]
    dense = got["layers"][0]
    assert sympy.expand(parse(dense["params_formula"]) - (n_in * h + h)) == 0
    assert dense["weights"] == {"kernel": 784 * 256, "bias": 256}


def test_set_overrides_a_symbol(capsys):
    got = derive_json(capsys, str(MLP), "--set", "h=128", "--set", "K=3")
    assert got["total"] == 784 * 128 + 128 + 128 * 3 + 3
    assert got["symbols"] == {"n_in": 784, "h": 128, "K": 3}
    assert main(["derive", str(MLP), "--set", "q=3"]) == 2
    assert "'q' is not a declared symbol" in capsys.readouterr().err


# A model on an H×W image with symbolic widths: every shape is an expression in H and W.
IMAGE = {
    "name": "image_symbolic",
    "symbols": {"H": 64, "W": 48, "F": 16},
    "input": ["H", "W", 3],
    "layers": [
        {"Conv2D": {"filters": "F", "kernel_size": 3, "activation": "relu"}},
        {"MaxPooling2D": {"pool_size": 2}},
        {"Conv2D": {"filters": "2*F", "kernel_size": 3, "strides": 2, "padding": "same"}},
        {"ZeroPadding2D": {"padding": [[1, 2], [0, 3]]}},
        {"DepthwiseConv2D": {"kernel_size": [3, 2], "depth_multiplier": 2, "strides": [3, 1],
                             "padding": "same"}},
        {"Conv2D": {"filters": "F", "kernel_size": 2, "dilation_rate": 2, "groups": 4}},
        {"Conv2DTranspose": {"filters": "F//2", "kernel_size": 3, "strides": 2}},
        {"Conv2DTranspose": {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same",
                             "output_padding": 1}},
        {"Cropping2D": {"cropping": [[1, 0], [2, 1]]}},
        {"UpSampling2D": {"size": [2, 3]}},
        {"AveragePooling2D": {"pool_size": 3, "strides": 2, "padding": "same"}},
        {"MaxPooling2D": {"pool_size": [2, 3], "strides": [3, 2]}},
        {"BatchNormalization": {}},
        {"SeparableConv2D": {"filters": "F", "kernel_size": 2, "depth_multiplier": 2}},
        {"Reshape": {"target_shape": [-1, "F"]}},
        {"Flatten": {}},
        {"Dense": {"units": "4*F"}},
        {"Dense": {"units": 10}},
    ],
}
VALUES = [{"H": 64, "W": 48, "F": 16}, {"H": 67, "W": 45, "F": 8}, {"H": 91, "W": 53, "F": 12}]


def test_image_shapes_are_floor_expressions():
    got = model_dict(explain.load(IMAGE))
    shapes = [layer["output_shape"] for layer in got["layers"]]
    assert shapes[0] == [None, "H - 2", "W - 2", "F"]
    assert shapes[1] == [None, "floor(H/2) - 1", "floor(W/2) - 1", "F"]
    H = sympy.Symbol("H")
    # same padding, stride 2: ⌈(⌊H/2⌋ − 1)/2⌉, however it is written
    height = parse(shapes[2][1])
    for h in range(5, 60):
        assert height.subs(H, h) == -(-(h // 2 - 1) // 2)
    assert all(any(isinstance(d, str) and "floor" in d for d in s) for s in shapes[1:12])
    assert isinstance(got["total_formula"], str) and "floor" in got["total_formula"]


@pytest.mark.parametrize("values", VALUES, ids=lambda v: "H{H}_W{W}_F{F}".format(**v))
def test_image_formulas_give_keras_counts_after_substitution(values):
    """One derivation (at the spec's own values) gives, by substitution, Keras's figures for
    other values too: the formulas are general, not numbers in disguise."""
    require_module("torch")
    require_module("keras")
    from tests.oracle.keras_oracle import keras_figures
    expected = keras_figures({**IMAGE, "symbols": values})
    got = model_dict(explain.load(IMAGE))
    subs = {sympy.Symbol(k): sympy.Integer(v) for k, v in values.items()}

    def value(v):
        return v if v is None or isinstance(v, int) else int(sympy.sympify(parse(v)).xreplace(subs))

    for ours, theirs in zip(got["layers"], expected["layers"]):
        assert [value(d) for d in ours["output_shape"]] == theirs["output_shape"], ours["name"]
        formula = ours.get("params_formula", str(ours["params"]))
        assert value(formula) == theirs["params"], ours["name"]
    assert value(got["total_formula"]) == expected["total"]
    # and loading with the values themselves gives the same numbers directly
    direct = model_dict(explain.load(IMAGE, **values))
    assert (direct["total"], direct["trainable"], direct["non_trainable"]) == \
        (expected["total"], expected["trainable"], expected["non_trainable"])


def test_symbolic_conv1d_and_transpose_lengths_match_keras_over_many_lengths():
    """The length formulas (valid, same, causal, transposed with output_padding) against Keras for
    every input length from 1 to 40: Keras's numbers for each, our one symbolic formula."""
    require_module("torch")
    keras = require_module("keras")
    spec = {"symbols": {"T": 20}, "input": ["T", 2], "layers": [
        {"Conv1D": {"filters": 2, "kernel_size": 3, "strides": 3, "padding": "causal"}},
        {"MaxPooling1D": {"pool_size": 3, "strides": 2, "padding": "same"}},
        {"Conv1DTranspose": {"filters": 2, "kernel_size": 5, "strides": 3, "output_padding": 2}},
        {"Conv1DTranspose": {"filters": 2, "kernel_size": 4, "strides": 3, "padding": "same",
                             "output_padding": 1}},
        {"Conv1D": {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"}},
    ]}
    got = model_dict(explain.load(spec))
    formulas = [parse(layer["output_shape"][1]) for layer in got["layers"]]
    T = sympy.Symbol("T")
    layers = [keras.layers.Conv1D(2, 3, strides=3, padding="causal"),
              keras.layers.MaxPooling1D(3, strides=2, padding="same"),
              keras.layers.Conv1DTranspose(2, 5, strides=3, output_padding=2),
              keras.layers.Conv1DTranspose(2, 4, strides=3, padding="same", output_padding=1),
              keras.layers.Conv1D(2, 4, strides=2, padding="same")]
    for t in range(1, 41):
        shape, lengths = (None, t, 2), []
        for layer in layers:  # Keras's own shape arithmetic, as a functional model uses it
            shape = layer.compute_output_shape(shape)
            lengths.append(shape[1])
        assert [int(f.subs(T, t)) for f in formulas] == lengths, t


@pytest.mark.parametrize("seed", range(6))
def test_random_stacks_on_a_symbolic_image_agree_with_keras(seed):
    """The random 2D stacks of test_layers_keras on an H×W input: every floor/ceiling shape and
    every count, at the symbols' values, is Keras's (or both refuse)."""
    import random
    from tests.test_layers_keras import _random_layer, keras_figures
    from explain.errors import ExplainError
    rng = random.Random(1000 + seed)
    fmt = rng.choice(["channels_last", "channels_first"])
    channels, h, w = rng.choice([2, 4]), rng.randrange(5, 19), rng.randrange(5, 19)
    layers = [_random_layer(rng, fmt) for _ in range(rng.randrange(4, 9))]
    spec = {"name": "s", "symbols": {"H": h, "W": w}, "layers": layers,
            "input": [channels, "H", "W"] if fmt == "channels_first" else ["H", "W", channels]}
    try:
        expected = keras_figures(spec)
    except Exception as keras_error:
        if type(keras_error).__name__ in ("Skipped", "Failed"):
            raise
        with pytest.raises(ExplainError):
            explain.load(spec)
        return
    got = model_dict(explain.load(spec))
    subs = {sympy.Symbol("H"): sympy.Integer(h), sympy.Symbol("W"): sympy.Integer(w)}

    def value(v):
        return v if v is None or isinstance(v, int) else int(parse(v).xreplace(subs))

    for ours, theirs in zip(got["layers"], expected["layers"]):
        assert [value(d) for d in ours["output_shape"]] == theirs["output_shape"], ours["name"]
        assert ours["params"] == theirs["params"], ours["name"]
    assert got["total"] == expected["total"]


HYPER = {"name": "hyper", "symbols": {"dm": 2, "G": 2, "F": 8, "k": 3, "s": 2}, "input": [17, 15, 4], "layers": [
    {"DepthwiseConv2D": {"kernel_size": "k", "depth_multiplier": "dm", "strides": "s", "padding": "same"}},
    {"Conv2D": {"filters": "F", "kernel_size": "k", "groups": "G"}},
    {"Conv2DTranspose": {"filters": "F", "kernel_size": "k", "strides": "s"}},
    {"SeparableConv2D": {"filters": "2*F", "kernel_size": ["k", 1], "depth_multiplier": "dm"}},
    {"MaxPooling2D": {"pool_size": "s"}},
    {"GroupNormalization": {"groups": "G"}},
    {"LayerNormalization": {"axis": [1, 2, 3]}},
]}


@pytest.mark.parametrize("values", [{"dm": 2, "G": 2, "F": 8, "k": 3, "s": 2},
                                    {"dm": 3, "G": 4, "F": 12, "k": 2, "s": 3}])
def test_symbolic_kernel_stride_groups_and_depth_multiplier(values):
    """Kernel sizes, strides, groups and depth multipliers as symbols: one total formula, which
    gives Keras's count at other values too."""
    require_module("torch")
    require_module("keras")
    from tests.oracle.keras_oracle import keras_figures
    expected = keras_figures({**HYPER, "symbols": values})
    formula = parse(model_dict(explain.load(HYPER))["total_formula"])
    assert {s.name for s in formula.free_symbols} == set(values)
    assert int(formula.xreplace({sympy.Symbol(n): sympy.Integer(v) for n, v in values.items()})) == expected["total"]
    direct = model_dict(explain.load(HYPER, **values))
    assert [layer["params"] for layer in direct["layers"]] == [layer["params"] for layer in expected["layers"]]
