"""explain.from_keras on live Keras models: the JSON path, custom layers counted from their tensors,
and every count checked against Keras."""
from __future__ import annotations

import pytest

import explain
from explain.errors import ExplainError
from tests.conftest import require_module
from tests.test_keras_json import assert_matches_keras, keras_weights


def _custom_layer(keras):
    class Scale(keras.layers.Layer):
        """A layer explain has no formula for: kernel (C, n) trainable, 3 frozen statistics."""

        def __init__(self, n=4, **kwargs):
            super().__init__(**kwargs)
            self.n = n

        def build(self, shape):
            self.kernel = self.add_weight(shape=(shape[-1], self.n))
            self.stats = self.add_weight(shape=(3,), trainable=False)

        def call(self, x):
            return keras.ops.matmul(x, self.kernel)

        def get_config(self):
            return {**super().get_config(), "n": self.n}

    return Scale


def test_custom_layer_is_counted_from_its_tensors():
    keras = require_module("keras")
    Scale = _custom_layer(keras)
    inputs = keras.Input((5,))
    x = Scale(4, name="scale")(inputs)
    keras_model = keras.Model(inputs, keras.layers.Dense(2)(x))
    model = explain.from_keras(keras_model)
    assert_matches_keras(model, keras_model)
    node = model.node("scale")
    assert node.type == "Opaque"
    # hand count: kernel 5·4 = 20 trainable, stats 3 non-trainable
    assert (node.trainable, node.non_trainable) == (20, 3) == keras_weights(keras_model.get_layer("scale"))
    assert node.output_shape == (4,)


def test_custom_layer_inside_a_nested_sequential():
    keras = require_module("keras")
    Scale = _custom_layer(keras)
    inner = keras.Sequential([keras.Input((3,)), Scale(2), keras.layers.Dense(1)], name="inner")
    inputs = keras.Input((3,))
    keras_model = keras.Model(inputs, inner(inputs))
    model = explain.from_keras(keras_model)
    assert_matches_keras(model, keras_model)


@pytest.mark.parametrize("name", ["ResNet50V2"])
def test_applications(name):
    keras = require_module("keras")
    keras_model = getattr(keras.applications, name)(weights=None)
    assert_matches_keras(explain.from_keras(keras_model), keras_model)


def test_subclassed_and_unbuilt_models_are_explained():
    keras = require_module("keras")

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(3)

        def call(self, x):
            return self.dense(x)

    sub = Sub()
    sub(keras.ops.ones((1, 4)))
    with pytest.raises(ExplainError, match="subclassed"):
        explain.from_keras(sub)
    with pytest.raises(ExplainError, match="not built"):
        explain.from_keras(keras.Sequential([keras.layers.Dense(3)]))
    with pytest.raises(ExplainError, match="takes a Keras model"):
        explain.from_keras(object())


def test_lambda_shape_from_the_live_model():
    # a final Lambda: no later layer records its shape in the JSON, but the live model knows it
    keras = require_module("keras")
    inputs = keras.Input((6,))
    x = keras.layers.Dense(4)(inputs)
    keras_model = keras.Model(inputs, keras.layers.Lambda(lambda t: t[:, :2], name="head")(x))
    model = explain.from_keras(keras_model)
    assert_matches_keras(model, keras_model)
    assert model.node("head").output_shape == (2,)
