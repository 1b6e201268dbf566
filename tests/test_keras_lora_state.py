"""Keras JSON, .keras archives and from_keras: recurrent layers called with initial_state (and a
mask), and lora_rank on Dense, EinsumDense, Embedding and the convolutions. Every expected number
is Keras's own, from the model built in the test."""
from __future__ import annotations

import json

import pytest

import explain
from explain.errors import ExplainError
from explain.importers.keras_json import load_keras_json
from tests.conftest import require_module
from tests.test_keras_json import assert_matches_keras


def _seq2seq_lstm(keras):
    """keras.io's character-level seq2seq: the encoder's states start the decoder."""
    layers = keras.layers
    encoder_inputs = keras.Input(shape=(None, 71))
    _, state_h, state_c = layers.LSTM(256, return_state=True)(encoder_inputs)
    decoder_inputs = keras.Input(shape=(None, 93))
    decoder_outputs, _, _ = layers.LSTM(256, return_sequences=True, return_state=True)(
        decoder_inputs, initial_state=[state_h, state_c])
    outputs = layers.Dense(93, activation="softmax")(decoder_outputs)
    return keras.Model([encoder_inputs, decoder_inputs], outputs)


def _seq2seq_gru(keras):
    layers = keras.layers
    source = keras.Input((None,), dtype="int32")
    x = layers.Embedding(120, 16)(source)
    _, state = layers.GRU(32, return_state=True)(x)
    target = keras.Input((None,), dtype="int32")
    y = layers.Embedding(90, 16)(target)
    y = layers.GRU(32, return_sequences=True)(y, initial_state=state)
    return keras.Model([source, target], layers.Dense(90)(y))


def _bidirectional_states(keras):
    layers = keras.layers
    a = keras.Input((12, 5))
    _, fh, fc, bh, bc = layers.Bidirectional(layers.LSTM(6, return_state=True))(a)
    b = keras.Input((7, 3))
    y = layers.Bidirectional(layers.LSTM(6))(b, initial_state=[fh, fc, bh, bc])
    return keras.Model([a, b], layers.Dense(2)(y))


def _cells_and_simple(keras):
    layers = keras.layers
    a = keras.Input((9, 4))
    _, first, second = layers.RNN([layers.LSTMCell(5), layers.SimpleRNNCell(3)], return_state=True)(a)
    b = keras.Input((6, 2))
    y = layers.RNN([layers.LSTMCell(5), layers.SimpleRNNCell(3)])(b, initial_state=[first, second])
    z = layers.SimpleRNN(3)(b, initial_state=layers.Dense(3)(y))
    return keras.Model([a, b], layers.Concatenate()([y, z]))


def _mask(keras):
    layers = keras.layers
    tokens = keras.Input((10,), dtype="int32")
    x = layers.Embedding(50, 8)(tokens)
    mask = keras.ops.not_equal(tokens, 0)
    y = layers.LSTM(4)(x, mask=mask)
    return keras.Model(tokens, layers.Dense(1)(y))


def _conv_lstm_state(keras):
    layers = keras.layers
    a = keras.Input((3, 8, 8, 2))
    _, h, c = layers.ConvLSTM2D(4, 3, padding="same", return_state=True)(a)
    y = layers.ConvLSTM2D(4, 3, padding="same")(a, initial_state=[h, c])
    return keras.Model(a, layers.Flatten()(y))


def _lora(keras):
    layers = keras.layers
    inp = keras.Input((4, 7))
    x = layers.EinsumDense("abc,cde->abde", output_shape=(None, 3, 5), bias_axes="de", lora_rank=2)(inp)
    x = layers.Reshape((4, 15))(x)
    x = layers.EinsumDense("abc,cd->abd", output_shape=(None, 6), lora_rank=3)(x)
    x = layers.Dense(6, lora_rank=3)(x)
    x = layers.Conv1D(8, 3, groups=2, lora_rank=2)(x)
    x = layers.Dense(5, lora_rank=1, use_bias=False, trainable=False)(x)
    x = layers.Reshape((2, 5, 1))(x)
    x = layers.Conv2D(4, 2, padding="same", lora_rank=2)(x)
    x = layers.Reshape((2, 5, 4, 1))(x)
    x = layers.Conv3D(2, 2, padding="same", lora_rank=1)(x)
    tokens = keras.Input((5,), dtype="int32")
    e = layers.Embedding(30, 6, lora_rank=4)(tokens)
    e = layers.Flatten()(layers.Dense(2)(e))
    return keras.Model([inp, tokens], [layers.Flatten()(x), e])


BUILDERS = {"seq2seq_lstm": _seq2seq_lstm, "seq2seq_gru": _seq2seq_gru,
            "bidirectional_states": _bidirectional_states, "cells_and_simple": _cells_and_simple,
            "mask": _mask, "conv_lstm_state": _conv_lstm_state, "lora": _lora}


@pytest.fixture(scope="module")
def keras_models():
    keras = require_module("keras")
    return {name: build(keras) for name, build in BUILDERS.items()}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_json_archive_and_live_model_equal_keras(name, keras_models, tmp_path):
    keras_model = keras_models[name]
    assert_matches_keras(load_keras_json(json.loads(keras_model.to_json()), None), keras_model)
    path = tmp_path / f"{name}.keras"
    keras_model.save(path)
    assert_matches_keras(explain.load(str(path)), keras_model)
    assert_matches_keras(explain.from_keras(keras_model), keras_model)


def test_seq2seq_counts_the_encoder(keras_models):
    # keras.io's numbers: 718,173 with the encoder, of which the encoder LSTM is 4·256·(71 + 256)
    # + 4·256 = 335,872 (the decoder alone would give 382,301)
    model = explain.from_keras(keras_models["seq2seq_lstm"])
    assert model.total == keras_models["seq2seq_lstm"].count_params() == 718_173
    assert model.total - 335_872 == 382_301


def test_lora_groups_and_their_derivation(keras_models):
    keras_model = keras_models["lora"]
    model = explain.from_keras(keras_model)
    for layer in keras_model.layers:
        if not getattr(layer, "lora_rank", None):
            continue
        node = model.node(layer.name)
        mine = {w.name: (model.evaluate(w.count), w.trainable) for w in node.weights}
        theirs = {w.path.split("/")[-1]: (int(w.numpy().size), w.trainable) for w in layer.weights}
        assert mine == theirs, layer.name
    text = model.derive(format="markdown")
    assert "`lora_kernel_a`" in text and "`lora_embeddings_b`" in text
    assert "frozen by LoRA" in text and "Keras freezes the kernel" in text
    assert "LoRA rank" in text
    german = model.derive(lang="de", format="markdown")
    assert "durch LoRA eingefroren" in german and "friert Keras den Kernel" in german


def test_lora_where_keras_takes_none_is_refused(keras_models):
    keras = require_module("keras")
    with pytest.raises(ValueError):  # Keras itself refuses it
        keras.layers.Conv2DTranspose(4, 3, lora_rank=2)
    data = json.loads(keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2DTranspose(4, 3)]).to_json())
    data["config"]["layers"][1]["config"]["lora_rank"] = 2
    with pytest.raises(ExplainError, match="lora_rank"):
        load_keras_json(data, "m.json")


def test_a_wrong_initial_state_is_refused(keras_models):
    data = json.loads(keras_models["seq2seq_gru"].to_json())
    for entry in data["config"]["layers"]:
        node = entry.get("inbound_nodes") or [{}]
        state = node[0].get("kwargs", {}).get("initial_state") if isinstance(node[0], dict) else None
        if state:
            state["config"]["keras_history"] = [data["config"]["layers"][2]["name"], 0, 0]  # (T, 16)
    with pytest.raises(ExplainError, match="initial_state"):
        load_keras_json(data, "m.json")


def test_constants_are_refused_naming_the_layer(keras_models):
    data = json.loads(keras_models["seq2seq_gru"].to_json())
    for entry in data["config"]["layers"]:
        node = entry.get("inbound_nodes") or [{}]
        if isinstance(node[0], dict) and "initial_state" in node[0].get("kwargs", {}):
            node[0]["kwargs"]["constants"] = node[0]["kwargs"].pop("initial_state")
            name = entry["config"]["name"]
    with pytest.raises(ExplainError, match=f"'{name}'.*constants"):
        load_keras_json(data, "m.json")


def _as_keras2(data: dict, states_as_kwargs: bool) -> dict:
    """Keras 3 JSON rewritten in tf.keras 2's inbound-node format: every call a list of
    [layer, node, tensor, kwargs]; RNN states either as further inputs (tf.keras's RNN.__call__)
    or as an ``initial_state`` list of references in the first input's kwargs."""
    def ref(t):
        return list(t["config"]["keras_history"])
    for entry in data["config"]["layers"]:
        config = entry["config"]
        if "batch_shape" in config:
            config["batch_input_shape"] = config.pop("batch_shape")
        calls = []
        for node in entry.get("inbound_nodes", []):
            args = [ref(t) + [{}] for t in node["args"] if isinstance(t, dict)]
            states = node["kwargs"].get("initial_state")
            states = [] if states is None else states if isinstance(states, list) else [states]
            if states_as_kwargs and states:
                args[0][3] = {"initial_state": [ref(t) for t in states]}
            else:
                args += [ref(t) + [{}] for t in states]
            calls.append(args)
        entry["inbound_nodes"] = calls
    return data


@pytest.mark.parametrize("states_as_kwargs", [False, True])
@pytest.mark.parametrize("name", ["seq2seq_lstm", "seq2seq_gru", "bidirectional_states"])
def test_keras2_json_with_initial_state(name, states_as_kwargs, keras_models):
    keras_model = keras_models[name]
    data = _as_keras2(json.loads(keras_model.to_json()), states_as_kwargs)
    model = load_keras_json(data, None)
    assert model.total == keras_model.count_params()
