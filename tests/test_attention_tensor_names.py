"""Keras attention layers' tensors carry the names Keras 3 gives them (``query/kernel``,
``attention_output/bias``: the weight's path without the layer's name), with Keras's sizes."""
from __future__ import annotations

import math

import pytest

from explain.importers import load
from explain.render.json_out import model_dict
from tests.conftest import require_module

CASES = {
    "mha": ("MultiHeadAttention", {"num_heads": 2, "key_dim": 16}),
    "mha_no_bias": ("MultiHeadAttention", {"num_heads": 3, "key_dim": 4, "value_dim": 5, "use_bias": False}),
    "mha_gate": ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "use_gate": True, "output_shape": 6}),
    "gqa": ("GroupQueryAttention", {"head_dim": 8, "num_query_heads": 4, "num_key_value_heads": 2}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tensor_names_are_keras_weight_paths(case):
    keras = require_module("keras")
    kind, args = CASES[case]
    layer = getattr(keras.layers, kind)(name="attn", **args)
    x = keras.Input((7, 32))
    layer(x, x)
    theirs = {w.path.removeprefix("attn/"): math.prod(w.shape) for w in layer.weights}
    spec = {"name": case, "inputs": {"x": [7, 32]},
            "layers": [{kind: {"name": "attn", **args, "inputs": ["x", "x"]}}]}
    assert model_dict(load(spec))["layers"][0]["weights"] == theirs
