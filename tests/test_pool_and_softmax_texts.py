"""A global pooling's sentence follows its keepdims, and a Keras Activation layer with softmax names
the function and what its 3 operations per element are (review 36: MobileNet's
global_average_pooling2d, keepdims=True, read "the axes it pools over disappear"; its
`predictions` read "applies its activation function")."""
from __future__ import annotations

import re

import pytest

import explain
from explain.render import render
from tests.conftest import FIXTURES, require_module


def _section(doc: str, heading: str) -> str:
    start = doc.index(heading)
    rest = doc[start + len(heading):]
    end = re.search(r"^#{2,4} ", rest, re.M)
    return rest[:end.start()] if end else rest


def _keras():
    require_module("keras")
    import keras
    return keras


@pytest.mark.parametrize("kind", ["GlobalAveragePooling2D", "GlobalMaxPooling2D"])
def test_global_pooling_sentence_follows_keepdims(kind):
    keras = _keras()
    for keepdims in (True, False):
        layer = getattr(keras.layers, kind)(keepdims=keepdims)
        out = tuple(layer.compute_output_shape((None, 7, 7, 32)))
        assert out == ((None, 1, 1, 32) if keepdims else (None, 32))  # Keras's own shapes
        spec = {"name": "m", "input": [7, 7, 32], "layers": [{kind: {"keepdims": keepdims}}]}
        doc = render(explain.load(spec), lang="en")
        assert f"`{out}`" in doc
        if keepdims:
            verb = "averages over" if "Average" in kind else "takes the maximum over"
            assert f"Here `keepdims=True`: the axes it {verb} stay, each with size 1. It has no weights." in doc
            assert "disappear" not in doc
        else:
            assert "the axes it pools over disappear (with `keepdims=True` they stay, with size 1)" in doc


def test_mobilenets_pooling_in_every_language():
    doc = {lang: render(explain.load(FIXTURES / "keras" / "MobileNet.json"), lang=lang)
           for lang in ("en", "de", "fr", "es", "ja")}
    assert "Hier ist `keepdims=True` gesetzt: Die Achsen, über die sie mittelt, bleiben mit der Größe 1 erhalten." \
        in doc["de"]
    assert "Ici, `keepdims=True`\u00a0: les axes sur lesquels elle fait la moyenne restent" in doc["fr"]
    assert "Aquí `keepdims=True`: los ejes sobre los que promedia se mantienen" in doc["es"]
    assert "ここでは `keepdims=True` なので、平均をとる軸は大きさ 1 の軸として残ります。" in doc["ja"]
    assert "poolt" not in doc["de"]
    for text in doc.values():
        assert "(None, 1, 1, 1024)" in text


def test_softmax_activation_names_the_function_and_its_operations():
    keras = _keras()
    import numpy as np
    layer = keras.layers.Activation("softmax")
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dtype="float32")
    y = keras.ops.convert_to_numpy(layer(x))
    assert np.allclose(y.sum(axis=-1), 1.0)  # along the last axis, as the sentence says
    assert np.allclose(y[0], np.exp(x[0]) / np.exp(x[0]).sum())
    model = explain.load(FIXTURES / "keras" / "MobileNet.json")
    assert model.nodes[-1].layer.activation == "softmax"
    doc = render(model, lang="en", count=("params", "compute"))
    params = _section(doc, "### 90. `predictions` (Activation)")
    assert params.strip().startswith("This layer applies softmax to its input, $y_{i} = e^{x_{i}} / "
                                     "\\textstyle\\sum_{j} e^{x_{j}}$: it turns the values along the last axis "
                                     "into probabilities that add up to 1. It has no weights.")
    assert "applies its activation function" not in params
    compute = _section(doc, "#### 90. `predictions` (Activation)")
    assert "O &= 3N_{\\text{out}} = 3 \\times 1{,}000 = 3{,}000" in compute  # 3 per element × 1,000
    assert ("For each output element, $O$ counts three operations for the activation `softmax`: the "
            "exponential, its addition to the sum, and the division by the sum.") in compute


def test_other_activations_keep_their_sentences():
    spec = {"name": "m", "input": [8], "layers": [{"Activation": {"activation": "relu"}},
                                                  {"Activation": {"activation": "softmax"}}]}
    doc = render(explain.load(spec), lang="en", count=("params", "compute"))
    assert "This layer applies $\\mathrm{ReLU}(x) = \\max(x, 0)$ to its input element-wise." in doc
    assert doc.count("This layer applies softmax to its input") == 1
    assert "counts one operation for the activation `relu`" not in doc  # no new note for ReLU


@pytest.mark.parametrize("lang, text", [
    ("de", "Diese Schicht wendet Softmax auf ihre Eingabe an,"),
    ("fr", "Cette couche applique la fonction softmax à son entrée,"),  # review 37 fr
    ("es", "Esta capa aplica softmax a su entrada,"),
    ("ja", "この層は入力に softmax を適用します（"),
])
def test_softmax_activation_is_translated(lang, text):
    assert text in render(explain.load(FIXTURES / "keras" / "MobileNet.json"), lang=lang)
