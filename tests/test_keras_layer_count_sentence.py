"""The layer-count sentence is true of both kinds of Keras model: a functional model's
``layers`` and ``summary()`` list its InputLayer (0 parameters); a Sequential model's do not."""
from __future__ import annotations

import re

from tests.conftest import require_module

import explain
from explain.render import render_document


def _sentence(model) -> str:
    text = render_document("derivation", model, lang="en", format="markdown")
    return re.search(r"The model has (\d+) layers?(?:, not counting|; as in) [^\n]*", text).group(0)


def test_functional_model_says_its_summary_lists_the_input_layer():
    keras = require_module("keras")
    inp = keras.Input((4,))
    out = keras.layers.Dense(1)(keras.layers.Dense(2)(keras.layers.Dense(3)(inp)))
    m = keras.Model(inp, out)
    names = [type(layer).__name__ for layer in m.layers]
    assert names[0] == "InputLayer"  # Keras 3 lists it: 4 layers, 3 without it
    assert m.layers[0].count_params() == 0
    assert _sentence(explain.from_keras(m)) == (
        "The model has 3 layers, not counting the input layer (for a functional model, Keras's "
        "`model.summary()` lists the input layer too, with 0 parameters).")


def test_sequential_model_counts_as_keras_does():
    keras = require_module("keras")
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    assert [type(layer).__name__ for layer in m.layers] == ["Dense", "Dense"]
    assert _sentence(explain.from_keras(m)) == (
        "The model has 2 layers, not counting the input layer (for a Sequential model, Keras's "
        "`model.summary()` does not list it).")


def test_spec_with_named_inputs_is_a_functional_model():
    """tests/fixtures/specs/mha_small.yaml names its input and the layers that take it: its Keras
    equivalent is keras.Model(x, norm), whose layers start with the InputLayer; a spec with one
    'input' and a chain of layers is a Sequential model's (the seed)."""
    keras = require_module("keras")
    from tests.conftest import FIXTURES
    x = keras.Input((16, 32), name="x")
    attn = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16, name="attn")(x, x)
    norm = keras.layers.LayerNormalization(name="norm")(keras.layers.Add(name="res")([x, attn]))
    m = keras.Model(x, norm)
    assert [type(layer).__name__ for layer in m.layers][0] == "InputLayer" and len(m.layers) == 4
    assert _sentence(explain.load(FIXTURES / "specs" / "mha_small.yaml")) == (
        "The model has 3 layers, not counting the input layer (for a functional model, Keras's "
        "`model.summary()` lists the input layer too, with 0 parameters).")
    assert _sentence(explain.load("example:seed-cnn")).endswith(
        "not counting the input layer (for a Sequential model, Keras's `model.summary()` does not list it).")
