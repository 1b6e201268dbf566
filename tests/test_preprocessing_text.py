"""Keras categorical and text preprocessing layers (no weights) against real Keras 3.

CategoryEncoding and Discretization are built by the Keras oracle (torch backend). Hashing,
HashedCrossing, StringLookup, IntegerLookup and TextVectorization need TensorFlow in Keras 3, which
the test environment does not have; their expected shapes are hand derivations from Keras 3's
``compute_output_shape`` written out in each case.
"""
from __future__ import annotations

import json

import pytest

import explain
from explain.errors import ExplainError
from explain.render.json_out import model_dict
from tests.conftest import require_module


def ours(spec: dict) -> dict:
    return model_dict(explain.load(spec))


def keras_figures(spec: dict) -> dict:
    require_module("torch")
    require_module("keras")
    from tests.oracle.keras_oracle import keras_figures as oracle
    return oracle(spec)


def spec(name: str, shape: list, *layers: dict) -> dict:
    return {"name": name, "input": shape, "layers": list(layers)}


def branch(layer: dict) -> dict:
    """``layer`` reading the model input (so every case sees the same input)."""
    type_name, args = next(iter(layer.items()))
    return {type_name: {**args, "inputs": "input"}}


# Each model: several layers, each on the input, then a Dense on the last to have some weights.
ORACLE_CASES = [
    spec("category_encoding_k3", [3],
         *map(branch, [{"CategoryEncoding": {"num_tokens": 5, "output_mode": "one_hot"}},
                       {"CategoryEncoding": {"num_tokens": 5, "output_mode": "multi_hot"}},
                       {"CategoryEncoding": {"num_tokens": 5, "output_mode": "count"}},
                       {"CategoryEncoding": {"num_tokens": 6}}]),
         {"Dense": {"units": 2}}),
    spec("category_encoding_k1", [1],
         *map(branch, [{"CategoryEncoding": {"num_tokens": 4, "output_mode": "one_hot"}},
                       {"CategoryEncoding": {"num_tokens": 4, "output_mode": "count"}}])),
    spec("category_encoding_rank2", [2, 3],
         *map(branch, [{"CategoryEncoding": {"num_tokens": 7, "output_mode": "one_hot"}},
                       {"CategoryEncoding": {"num_tokens": 7, "output_mode": "multi_hot"}}])),
    spec("discretization", [4],
         *map(branch, [{"Discretization": {"bin_boundaries": [0.0, 1.0, 2.0]}},
                       {"Discretization": {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"}},
                       {"Discretization": {"bin_boundaries": [0.0, 1.0], "output_mode": "multi_hot"}},
                       {"Discretization": {"bin_boundaries": [0.5], "output_mode": "count"}},
                       {"Discretization": {"num_bins": 4}}]),
         {"Dense": {"units": 3}}),
    spec("discretization_rank2", [2, 5],
         *map(branch, [{"Discretization": {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"}},
                       {"Discretization": {"bin_boundaries": [0.0, 1.0, 2.0, 3.0],
                                           "output_mode": "multi_hot"}}])),
    # Also unregistered before: Keras 3's adaptive pooling and ReversibleEmbedding
    spec("adaptive_pooling_2d", [10, 9, 4],
         *map(branch, [{"AdaptiveAveragePooling2D": {"output_size": [2, 3]}},
                       {"AdaptiveMaxPooling2D": {"output_size": 2, "data_format": "channels_first"}}])),
    spec("adaptive_pooling_1d_3d", [5, 6, 7, 4],
         {"AdaptiveAveragePooling3D": {"output_size": [2, 3, 1]}},
         {"Reshape": {"target_shape": [6, 4]}},
         {"AdaptiveMaxPooling1D": {"output_size": 3}},
         {"AdaptiveAveragePooling1D": {"output_size": 2, "data_format": "channels_first"}}),
    spec("reversible_embedding", [3],
         *map(branch, [{"ReversibleEmbedding": {"input_dim": 10, "output_dim": 4}},
                       {"ReversibleEmbedding": {"input_dim": 10, "output_dim": 4, "tie_weights": False}}])),
]


@pytest.mark.parametrize("case", ORACLE_CASES, ids=lambda c: c["name"])
def test_equals_keras(case):
    want = keras_figures(case)
    got = ours(case)
    assert (got["total"], got["trainable"], got["non_trainable"]) == \
        (want["total"], want["trainable"], want["non_trainable"])
    assert len(got["layers"]) == len(want["layers"])
    for g, w in zip(got["layers"], want["layers"]):
        assert (g["type"], g["output_shape"], g["params"]) == \
            (w["type"], list(w["output_shape"]), w["params"]), w["name"]


# Hand derivations from Keras 3's compute_output_shape (batch axis first):
#   Hashing / HashedCrossing: 'int' keeps the shape; one_hot (B, k) → (B, k, n) unless k == 1
#     ((B, 1) → (B, n)); multi_hot / count (B, …, k) → (B, …, n).
#   IndexLookup (StringLookup, IntegerLookup): depth = max_tokens if pad_to_max_tokens else the
#     vocabulary size = len(vocabulary) + num_oov_indices (a mask token only counts in 'int' mode);
#     shapes as for Hashing; tf_idf like multi_hot.
#   TextVectorization: 'int' → (B, output_sequence_length); otherwise the input gets a token axis
#     (B, k) → (B, k, None) that the lookup (num_oov_indices 1) encodes; with split=None a
#     rank-1 input (B,) becomes (B, 1).
HAND_CASES = [
    ([4], {"Hashing": {"num_bins": 7}}, [None, 4]),
    ([1], {"Hashing": {"num_bins": 7, "output_mode": "one_hot"}}, [None, 7]),
    ([4], {"Hashing": {"num_bins": 7, "output_mode": "one_hot"}}, [None, 4, 7]),
    ([4], {"Hashing": {"num_bins": 7, "output_mode": "multi_hot"}}, [None, 7]),
    ([2, 4], {"Hashing": {"num_bins": 7, "output_mode": "count"}}, [None, 2, 7]),
    ([4], {"StringLookup": {"vocabulary": ["a", "b", "c"]}}, [None, 4]),
    ([4], {"StringLookup": {"vocabulary": ["a", "b", "c"], "output_mode": "multi_hot"}}, [None, 4]),
    ([4], {"StringLookup": {"vocabulary": ["a", "b", "c"], "num_oov_indices": 2,
                            "mask_token": "", "output_mode": "count"}}, [None, 5]),
    ([1], {"StringLookup": {"vocabulary": ["a", "b", "c"], "output_mode": "one_hot"}}, [None, 4]),
    ([3], {"StringLookup": {"max_tokens": 10, "pad_to_max_tokens": True,
                            "output_mode": "multi_hot"}}, [None, 10]),
    ([4], {"IntegerLookup": {"vocabulary": [1, 2, 3], "output_mode": "tf_idf",
                             "idf_weights": [1.0, 1.0, 1.0]}}, [None, 4]),
    ([4], {"IntegerLookup": {"vocabulary": [1, 2, 3], "output_mode": "one_hot"}}, [None, 4, 4]),
    ([4], {"IntegerLookup": {"max_tokens": 5}}, [None, 4]),
    ([1], {"TextVectorization": {"max_tokens": 10, "output_sequence_length": 6}}, [None, 6]),
    ([1], {"TextVectorization": {"max_tokens": 10}}, [None, None]),
    # Keras's symbolic shape keeps the (1,) axis: (B, 1) → (B, 1, None) → (B, 1, 2 + 1)
    ([1], {"TextVectorization": {"vocabulary": ["a", "b"], "output_mode": "multi_hot"}}, [None, 1, 3]),
    # split=None: no token axis, (B, 1) → (B, depth)
    ([1], {"TextVectorization": {"max_tokens": 8, "pad_to_max_tokens": True, "split": None,
                                 "output_mode": "count"}}, [None, 8]),
]


@pytest.mark.parametrize("shape,layer,want", HAND_CASES, ids=lambda v: str(v))
def test_hand_derived_shapes(shape, layer, want):
    got = ours(spec("m", shape, layer))
    assert got["total"] == 0
    assert got["layers"][-1]["output_shape"] == want


def test_hashed_crossing_two_inputs():
    # (B, 1) and (B, 1), one_hot: (B, n); int keeps (B, 1)
    model = {"name": "m", "inputs": {"a": [1], "b": [1]},
             "layers": [{"HashedCrossing": {"num_bins": 9, "output_mode": "one_hot", "inputs": ["a", "b"]}},
                        {"HashedCrossing": {"num_bins": 9, "inputs": ["a", "b"]}}]}
    got = ours(model)
    assert [l["output_shape"] for l in got["layers"]] == [[None, 9], [None, 1]]


@pytest.mark.parametrize("layer,needs", [
    ({"StringLookup": {"output_mode": "multi_hot"}}, "vocabulary"),
    ({"IntegerLookup": {"output_mode": "one_hot", "vocabulary": "vocab.txt"}}, "vocabulary"),
    ({"TextVectorization": {"max_tokens": 10, "output_mode": "tf_idf"}}, "pad_to_max_tokens"),
    ({"StringLookup": {"pad_to_max_tokens": True}}, "max_tokens"),
    ({"Discretization": {}}, "bin_boundaries"),
])
def test_unknown_vocabulary_size_is_a_clear_error(layer, needs):
    with pytest.raises(ExplainError, match=needs):
        ours(spec("m", [4], layer))


def test_keras_json_round_trip(tmp_path):
    keras = require_module("keras")
    require_module("torch")
    layers = keras.layers
    x = keras.Input((3,))
    a = layers.CategoryEncoding(num_tokens=6, output_mode="multi_hot", name="enc")(x)
    b = layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot", name="bins")(x)
    y = layers.Concatenate()([a, layers.Flatten()(b)])
    keras_model = keras.Model(x, layers.Dense(2, name="head")(y))
    path = tmp_path / "model.json"
    path.write_text(keras_model.to_json())
    model = explain.load(str(path))
    assert model.total == keras_model.count_params()
    for name in ("enc", "bins", "head"):
        node = model.node(name)
        assert model.evaluate_shape(node.output_shape) == tuple(keras_model.get_layer(name).output.shape[1:])
        assert model.evaluate(node.params) == keras_model.get_layer(name).count_params()


def test_keras_json_lookup_config(tmp_path):
    """A StringLookup as Keras 3 saves it (the keys of IndexLookup/StringLookup.get_config; Keras
    needs TensorFlow to build one, so the layer's config is written here into a real Keras JSON)."""
    keras = require_module("keras")
    require_module("torch")
    x = keras.Input((4,))
    keras_model = keras.Model(x, keras.layers.CategoryEncoding(num_tokens=3, name="lookup")(x))
    config = json.loads(keras_model.to_json())
    layer = next(l for l in config["config"]["layers"] if l["config"]["name"] == "lookup")
    layer["class_name"] = "StringLookup"
    layer["config"] = {
        "name": "lookup", "trainable": True, "dtype": "int64", "invert": False, "max_tokens": None,
        "num_oov_indices": 1, "oov_token": "[UNK]", "mask_token": None, "output_mode": "multi_hot",
        "sparse": False, "pad_to_max_tokens": False, "idf_weights": None,
        "vocabulary": ["a", "b", "c", "d"], "vocabulary_size": 5, "oov_method": "floormod",
        "salt": None, "encoding": "utf-8"}
    path = tmp_path / "lookup.json"
    path.write_text(json.dumps(config))
    model = explain.load(str(path))
    # multi_hot (B, 4) → (B, vocabulary_size) = (B, 4 + 1)
    assert model.total == 0
    assert model.evaluate_shape(model.node("lookup").output_shape) == (5,)


def test_text_vectorization_rejects_lookup_only_arguments():
    with pytest.raises(ExplainError, match="num_oov_indices"):
        ours(spec("m", [1], {"TextVectorization": {"max_tokens": 5, "num_oov_indices": 2}}))
