"""A note is explained where it first applies to each kind of layer, not once per document."""
from __future__ import annotations

import json

from tests.conftest import FIXTURES, require_module

import explain
from explain.render import messages, render_document


def test_depthwise_without_bias_before_batchnorm_says_why():
    """MobileNetV2's depthwise convolutions have no bias (Keras's default has one): the reason is
    given at the first one, not only at the first plain convolution."""
    keras = require_module("keras")
    import numpy as np
    assert keras.layers.DepthwiseConv2D(3).use_bias  # the default a student knows
    # a depthwise bias before BatchNormalization is cancelled: the output does not depend on it
    net = keras.Sequential([keras.Input((5, 5, 2)), keras.layers.DepthwiseConv2D(3),
                            keras.layers.BatchNormalization()])
    x = np.random.default_rng(0).normal(size=(4, 5, 5, 2)).astype("float32")
    before = keras.ops.convert_to_numpy(net(x, training=True))
    net.layers[0].bias.assign(np.array([3.0, -4.0], dtype="float32"))
    assert np.allclose(before, keras.ops.convert_to_numpy(net(x, training=True)), atol=1e-4)
    path = FIXTURES / "keras" / "MobileNetV2.json"
    layers = {e["config"]["name"]: e for e in json.loads(path.read_text())["config"]["layers"]}
    assert layers["expanded_conv_depthwise"]["config"]["use_bias"] is False
    assert layers["expanded_conv_depthwise_BN"]["class_name"] == "BatchNormalization"
    text = render_document("derivation", explain.load(path), lang="en", format="markdown")
    section = text.split(". `expanded_conv_depthwise` (DepthwiseConv2D)", 1)[1].split("\n### ", 1)[0]
    assert messages.NOTES["bias_before_batchnorm"][:40] in section
