"""Keras model JSON (Keras 3 and Keras 2/tf.keras) against the figures Keras itself reports.

Fixtures in tests/fixtures/keras/ were written by Keras (expected.json holds Keras's own totals);
the other tests build real models with Keras (weights=None) and compare every layer.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from explain.errors import ExplainError
from explain.importers.keras_json import load_keras_json
from tests.conftest import FIXTURES, ROOT, require_module

KERAS_FIXTURES = FIXTURES / "keras"
EXPECTED = json.loads((KERAS_FIXTURES / "expected.json").read_text())


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explain", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def keras_weights(layer) -> tuple[int, int]:
    """(trainable, non-trainable) as Keras holds them, from the weight tensors."""
    def size(ws) -> int:
        return sum(math.prod(int(d) for d in w.shape) for w in ws)
    return size(layer.trainable_weights), size(layer.non_trainable_weights)


def assert_matches_keras(model, keras_model, by_position: bool = False) -> None:
    """Totals, and for every Keras layer its trainable/non-trainable counts and output shape."""
    trainable, frozen = keras_weights(keras_model)
    assert (model.total, model.trainable, model.non_trainable) == \
        (keras_model.count_params(), trainable, frozen)
    layers = [l for l in keras_model.layers if type(l).__name__ != "InputLayer"]
    # Keras's model.layers leaves out op nodes (x + y) and lists a shared layer once
    nodes = [n for n in model.nodes if not n.name.endswith("]") and n.type != "Operation"] \
        if by_position else None
    if by_position:
        assert len(nodes) == len(layers)
    for i, layer in enumerate(layers):
        node = nodes[i] if by_position else model.node(layer.name)
        got = (model.evaluate(node.trainable), model.evaluate(node.non_trainable))
        assert got == keras_weights(layer), layer.name
        out = layer.output[0] if isinstance(layer.output, (list, tuple)) else layer.output
        assert model.evaluate_shape(node.output_shape) == tuple(out.shape[1:]), layer.name


# ----------------------------------------------------------------------------- fixtures

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_totals_equal_keras(name):
    path = KERAS_FIXTURES / f"{name}.json"
    model = load_keras_json(json.loads(path.read_text()), str(path))
    want = EXPECTED[name]
    assert (model.total, model.trainable, model.non_trainable) == \
        (want["total"], want["trainable"], want["non_trainable"])
    if "layers" in want:  # Keras's len(model.layers), the inputs included
        assert len(model.inputs) + len(model.nodes) == want["layers"]


def test_cli_reads_keras2_json_by_content(tmp_path):
    # a tf.keras Sequential JSON under a name that says nothing
    target = tmp_path / "model.txt"
    target.write_text((KERAS_FIXTURES / "seed_cnn_tfkeras.json").read_text())
    result = run("derive", str(target), "--format", "json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["total"] == EXPECTED["seed_cnn_tfkeras"]["total"]
    first = got["layers"][0]
    # Conv2D 3x3, 3 → 32 channels, 'same' on 256×256: hand derivation 3·3·3·32 + 32 = 896
    assert (first["type"], first["output_shape"], first["params"]) == ("Conv2D", [None, 256, 256, 32], 896)


# ----------------------------------------------------------------------------- real Keras models

# Between them: Add, Concatenate, Multiply, Reshape, (Separable/Depthwise)Conv2D, BatchNormalization,
# Normalization, Rescaling, LayerNormalization, ReLU, ZeroPadding2D, pooling, a nested Sequential,
# ConvNeXt's LayerScale and op nodes (x + y).
APPLICATIONS = ["ResNet50", "MobileNetV2", "DenseNet121", "EfficientNetB0", "Xception", "ConvNeXtTiny",
                "MobileNetV3Small"]


@pytest.mark.parametrize("name", APPLICATIONS)
def test_applications_every_layer_equals_keras(name):
    keras = require_module("keras")
    keras_model = getattr(keras.applications, name)(weights=None)
    model = load_keras_json(json.loads(keras_model.to_json()), name)
    assert_matches_keras(model, keras_model)


def _graph_model(keras):
    """Shared layer, nested Sequential called twice, a frozen nested Functional with two outputs,
    a Lambda, an op (x + 1.0), an LSTM's states, MultiHeadAttention by keywords, a frozen Dense."""
    layers = keras.layers
    inner = keras.Sequential([layers.Dense(8), layers.BatchNormalization(), layers.Dense(4)], name="inner")
    a, b = keras.Input((16,), name="a"), keras.Input((16,), name="b")
    shared = layers.Dense(16, name="shared")
    x, y = shared(a), shared(b)
    z, w = inner(x), inner(y)
    i2 = keras.Input((4,))
    multi = keras.Model(i2, [layers.Dense(3)(i2), layers.Dense(5)(i2)], name="multi")
    multi.trainable = False
    p, q = multi(z)
    lam = layers.Lambda(lambda t: t * 2, name="double")(q)
    seq, h, c = layers.LSTM(6, return_state=True, return_sequences=True, name="lstm")(
        layers.Reshape((4, 1))(w))
    att = layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")(query=seq, value=seq, key=seq)
    out = layers.Concatenate()([p, lam, h, c, layers.Flatten()(att)])
    out = layers.Dense(2, trainable=False, name="frozen")(out + 1.0)
    return keras.Model([a, b], [out, p], name="outer")


def test_shared_nested_multi_output_equal_keras():
    keras = require_module("keras")
    keras_model = _graph_model(keras)
    model = load_keras_json(json.loads(keras_model.to_json()), "outer")
    assert_matches_keras(model, keras_model)
    # the shared layer's second call reuses the weights: counted once, and says so
    second = model.node("shared[1]")
    assert second.shares == "shared"
    assert model.node("inner[1]").shares == "inner"
    # the nested model is one node (as in Keras's summary) that keeps its own derivation
    inner = model.node("inner").layer.model
    assert [n.name for n in inner.nodes][-1] == keras_model.get_layer("inner").layers[-1].name
    assert inner.total == keras_model.get_layer("inner").count_params()
    assert model.node("multi").type == "Functional" and model.node("inner").type == "Sequential"
    # frozen nested model: all of its weights are non-trainable, as in Keras
    assert model.evaluate(model.node("multi").trainable) == 0


def test_keras_json_nested_sequential_without_input():
    keras = require_module("keras")
    layers = keras.layers
    keras_model = keras.Sequential([layers.Dense(5), keras.Sequential([layers.Dense(3), layers.Dense(2)])])
    keras_model.build((None, 7))
    model = load_keras_json(json.loads(keras_model.to_json()), "nested")
    assert_matches_keras(model, keras_model)


def test_lambda_output_shape_from_config_or_recorded():
    keras = require_module("keras")
    layers = keras.layers
    keras_model = keras.Sequential([keras.Input((9,)), layers.Lambda(lambda t: t[:, :4]), layers.Dense(2)])
    model = load_keras_json(json.loads(keras_model.to_json()), "lam")
    assert_matches_keras(model, keras_model)
    assert model.nodes[0].output_shape == (4,)


# ----------------------------------------------------------------------------- bad input

SEQ = {"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [None, 8], "name": "inp"}},
    {"class_name": "Dense", "config": {"name": "d", "units": 4}}]}}


def _bad(tmp_path, content: str, name: str = "bad.json") -> str:
    path = tmp_path / name
    path.write_text(content)
    result = run("derive", str(path), "--format", "json")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    return lines[0]


def test_truncated_json(tmp_path):
    text = (KERAS_FIXTURES / "VGG16.json").read_text()
    assert "not valid JSON" in _bad(tmp_path, text[: len(text) // 2])


def test_json_of_the_wrong_shape(tmp_path):
    line = _bad(tmp_path, json.dumps({"class_name": "Functional", "config": {"layers": 3}}))
    assert "list of 'layers'" in line
    wrong = json.loads(json.dumps(SEQ))
    wrong["config"]["layers"][1]["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__",
                                                                "config": {"keras_history": "inp"}}]}]
    wrong["class_name"] = "Functional"
    assert "[layer, node_index, tensor_index]" in _bad(tmp_path, json.dumps(wrong))


def test_unknown_class_says_how_to_declare_it(tmp_path):
    data = json.loads(json.dumps(SEQ))
    data["config"]["layers"][1].update({"class_name": "MyAttention", "module": "my_package.layers",
                                        "registered_name": "Custom>MyAttention"})
    line = _bad(tmp_path, json.dumps(data))
    assert "'MyAttention'" in line and "\"Custom\"" in line and "params" in line and "layer 'd'" in line


def test_custom_declared_in_the_json_counts():
    data = json.loads(json.dumps(SEQ))
    data["config"]["layers"][1].update({"class_name": "Custom", "config": {
        "name": "mine", "params": 1234, "non_trainable_params": 6, "output_shape": [2, 3]}})
    data["config"]["layers"].append({"class_name": "Dense", "config": {"name": "d2", "units": 5}})
    model = load_keras_json(data, "custom.json")
    assert model.node("mine").output_shape == (2, 3)
    # Dense on (2, 3): 3·5 + 5 = 20
    assert (model.total, model.trainable, model.non_trainable) == (1234 + 6 + 20, 1234 + 20, 6)


def test_lambda_without_output_shape(tmp_path):
    data = json.loads(json.dumps(SEQ))
    data["config"]["layers"].append({"class_name": "Lambda", "config": {
        "name": "fn", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAA="}}}})
    line = _bad(tmp_path, json.dumps(data))
    assert "layer 'fn'" in line and "output_shape" in line and "never" in line


def test_subclassed_model_json(tmp_path):
    line = _bad(tmp_path, json.dumps({"class_name": "MyModel", "config": {"units": 3}}))
    assert "subclassed" in line and "from_keras" in line


def test_errors_name_the_layer():
    data = json.loads(json.dumps(SEQ))
    data["config"]["layers"][1]["config"]["units"] = -3
    with pytest.raises(ExplainError) as err:
        load_keras_json(data, "x.json")
    assert err.value.layer == "d" and "units" in str(err.value)


def test_custom_layer_in_a_spec_keeps_its_formula():
    model = explain_load({
        "name": "custom_demo", "symbols": {"d": 16, "T": 10}, "input": ["T", "d"],
        "layers": [{"Custom": {"params": "4*d*d + d", "non_trainable_params": "2*d",
                               "output_shape": ["T", "d"], "class_name": "MyAttention", "name": "attn"}},
                   {"Dense": {"units": "d"}}]})
    # hand derivation: attn 4·16² + 16 = 1040 trainable, 2·16 = 32 frozen; Dense 16·16 + 16 = 272
    assert (model.total, model.trainable, model.non_trainable) == (1040 + 32 + 272, 1040 + 272, 32)
    assert model.node("attn").output_shape[1] == model.node("dense").output_shape[1]


def explain_load(spec):
    import explain
    return explain.load(spec)


def test_keras2_functional_shared_layer_and_tf_op():
    """tf.keras JSON by hand: a Dense shared by two inputs, a TFOpLambda (x + 1) and a Concatenate.
    Hand count: shared Dense 4·3 + 3 = 15 (once), head Dense (3 + 3)·2 + 2 = 14."""
    def ref(layer, node=0, tensor=0, kwargs=None):
        return [layer, node, tensor, kwargs or {}]
    data = {"class_name": "Functional", "keras_version": "2.15.0", "backend": "tensorflow", "config": {
        "name": "siamese", "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["head", 0, 0]],
        "layers": [
            {"class_name": "InputLayer", "name": "a", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 4], "name": "a"}},
            {"class_name": "InputLayer", "name": "b", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 4], "name": "b"}},
            {"class_name": "Dense", "name": "shared", "config": {"name": "shared", "units": 3},
             "inbound_nodes": [[ref("a")], [ref("b")]]},
            {"class_name": "TFOpLambda", "name": "tf.__operators__.add",
             "config": {"name": "tf.__operators__.add", "function": "__operators__.add"},
             "inbound_nodes": [[ref("shared", 1, 0, {"y": 1.0, "name": None})]]},
            {"class_name": "Concatenate", "name": "cat", "config": {"name": "cat", "axis": -1},
             "inbound_nodes": [[ref("shared", 0, 0), ref("tf.__operators__.add")]]},
            {"class_name": "Dense", "name": "head", "config": {"name": "head", "units": 2},
             "inbound_nodes": [[ref("cat")]]},
        ]}}
    model = load_keras_json(data, "siamese.json")
    assert (model.total, model.trainable) == (15 + 14, 15 + 14)
    assert model.node("shared[1]").shares == "shared"
    assert model.node("tf.__operators__.add").output_shape == (3,)
    assert model.node("cat").output_shape == (6,)


def test_nested_outputs_follow_output_layers():
    # the nested model's second output is also used inside it: its outputs come from output_layers
    keras = require_module("keras")
    layers = keras.layers
    i = keras.Input((4,))
    x = layers.Dense(3)(i)
    inner = keras.Model(i, [layers.Dense(5)(x), x], name="inner")
    j = keras.Input((4,))
    a, b = inner(j)
    keras_model = keras.Model(j, layers.Concatenate()([a, b]))
    model = load_keras_json(json.loads(keras_model.to_json()), "outs")
    assert_matches_keras(model, keras_model)
    assert model.node("inner").outputs == ((5,), (3,))


def test_cycle_and_out_of_order_layers():
    data = json.loads((KERAS_FIXTURES / "ResNet50.json").read_text())
    data["config"]["layers"].reverse()  # any order: calls are read once their inputs exist
    assert load_keras_json(data, "reversed.json").total == EXPECTED["ResNet50"]["total"]
    data = json.loads((KERAS_FIXTURES / "VGG16.json").read_text())
    layers = data["config"]["layers"]
    layers[1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = [layers[3]["name"], 0, 0]
    with pytest.raises(ExplainError, match="cycle"):
        load_keras_json(data, "cycle.json")


def test_keras2_old_sequential_config_is_a_list():
    """Keras 2.0–2.2 wrote a Sequential's config as the list of layers, the input shape in the
    first layer. Hand count: Conv2D 3·3·1·8 + 8 = 80; Dense on 26·26·8 = 5408 → 5408·10 + 10."""
    data = {"class_name": "Sequential", "keras_version": "2.2.4", "backend": "tensorflow", "config": [
        {"class_name": "Conv2D", "config": {"name": "conv2d_1", "filters": 8, "kernel_size": [3, 3],
                                            "batch_input_shape": [None, 28, 28, 1], "padding": "valid",
                                            "activation": "relu", "use_bias": True}},
        {"class_name": "Flatten", "config": {"name": "flatten_1", "data_format": "channels_last"}},
        {"class_name": "Dense", "config": {"name": "dense_1", "units": 10}}]}
    model = load_keras_json(data, "old.json")
    assert model.total == 80 + 5408 * 10 + 10
    assert model.node("flatten_1").output_shape == (5408,)


# Small models whose JSON exercises many layer configs (wrappers, RNNs, attention, merges, 1D/3D).
LAYER_CASES = {
    "conv1d": ((20, 3), lambda L, x: L.Conv1DTranspose(4, 3, strides=2)(
        L.Conv1D(8, 3, dilation_rate=2, padding="causal")(x))),
    "conv3d": ((8, 8, 8, 2), lambda L, x: L.UpSampling3D()(L.Conv3DTranspose(2, 2, strides=2)(
        L.Conv3D(4, 3, groups=2)(x)))),
    "crop": ((16, 16, 3), lambda L, x: L.Cropping2D(((1, 2), (3, 0)))(
        L.Conv2DTranspose(5, 3, output_padding=1, strides=2)(x))),
    "rnn": ((10, 4), lambda L, x: L.SimpleRNN(3)(L.GRU(5, reset_after=False, return_sequences=True)(
        L.LSTM(6, return_sequences=True)(x)))),
    "embedding": ((12,), lambda L, x: L.GlobalMaxPooling1D()(L.Embedding(30, 7)(x))),
    "prelu_groupnorm": ((6, 5), lambda L, x: L.GroupNormalization(groups=5)(L.PReLU(shared_axes=[1])(x))),
    "time_distributed": ((4, 8, 8, 3), lambda L, x: L.TimeDistributed(L.Conv2D(2, 3))(x)),
    "convlstm": ((4, 8, 8, 3), lambda L, x: L.ConvLSTM2D(2, 3)(x)),
    "reshaping": ((6, 5), lambda L, x: L.RepeatVector(3)(L.Flatten()(L.Permute((2, 1))(x)))),
    "bidirectional": ((7, 3), lambda L, x: L.Bidirectional(L.LSTM(4), merge_mode="sum")(x)),
    "separable1d": ((20, 4), lambda L, x: L.SeparableConv1D(6, 3, depth_multiplier=2)(L.DepthwiseConv1D(3)(x))),
    "pooling": ((16, 16, 3), lambda L, x: L.AveragePooling2D(3, strides=2, padding="same")(L.MaxPooling2D(2)(x))),
    "activations": ((5,), lambda L, x: L.Softmax()(L.LeakyReLU()(L.UnitNormalization()(L.Dense(4)(x))))),
    "mha_self": ((5, 8), lambda L, x: L.MultiHeadAttention(2, 4, value_dim=3, output_shape=6)(x, x)),
    "attention": ((5, 8), lambda L, x: L.Add()([L.Attention()([x, x]), L.AdditiveAttention()([x, x])])),
    "dot": ((5, 8), lambda L, x: L.Dot(axes=(2, 2))([x, x])),
    # (Keras's static shape puts several elided axes in reverse order, so "..." leads here)
    "einsum": ((5, 8), lambda L, x: L.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4), bias_axes="de")(
        L.EinsumDense("...b,bc->...c", output_shape=6)(x))),
    "einsum_contract": ((3, 5, 8), lambda L, x: L.EinsumDense("abcd,bcde->ae", output_shape=(7,),
                                                              bias_axes="e")(x)),
    "preprocessing": ((40, 40, 3), lambda L, x: L.RandomCrop(24, 24)(L.CenterCrop(28, 28)(L.Resizing(32, 32)(
        L.RandomTranslation(0.1, 0.1)(L.RandomZoom(0.2)(L.RandomRotation(0.1)(L.RandomFlip("horizontal")(
            L.RandomContrast(0.2)(x))))))))),
}


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layer_configs_from_json_equal_keras(case):
    keras = require_module("keras")
    shape, build = LAYER_CASES[case]
    inputs = keras.Input(shape)
    keras_model = keras.Model(inputs, build(keras.layers, inputs))
    model = load_keras_json(json.loads(keras_model.to_json()), case)
    assert_matches_keras(model, keras_model)
