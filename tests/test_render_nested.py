"""A nested Keras model used as a layer: its derivation lists its own layers' counts (from Keras)."""
from __future__ import annotations

from tests.conftest import require_module

import explain


def test_nested_model_lists_its_layers_as_keras_counts_them(tmp_path):
    keras = require_module("keras")
    inner = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.BatchNormalization()],
                             name="encoder")
    x = keras.Input((8,))
    model = keras.Model(x, keras.layers.Dense(2)(inner(x)))
    path = tmp_path / "nested.json"
    path.write_text(model.to_json())

    text = explain.load(path).derive(lang="en", format="markdown")
    section = text.split("### 1. `encoder` (Sequential)")[1].split("### 2.")[0]
    for layer in inner.layers:
        assert f"- `{layer.name}` ({type(layer).__name__}): {layer.count_params()}" in section
    assert f"= {inner.count_params()}" in section
    assert explain.load(path).total == model.count_params()
