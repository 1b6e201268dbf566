"""Course code read with ast against the same code run by Keras 3 in the test: seq2seq with
initial_state, trainable assignments, if on known values, comprehensions, list building, nested
functions. Code explain cannot follow is refused naming its line, never counted wrong."""
from __future__ import annotations

import textwrap

import pytest

from explain.errors import ExplainError
from explain.importers.snippet import load_snippet
from tests.test_keras_json import keras_weights
from tests.test_snippet import keras_run

COURSE = {
    # keras.io, "Character-level recurrent sequence-to-sequence model"
    "seq2seq_lstm": """
        import keras

        num_encoder_tokens, num_decoder_tokens, latent_dim = 71, 93, 256
        encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
        encoder = keras.layers.LSTM(latent_dim, return_state=True)
        encoder_outputs, state_h, state_c = encoder(encoder_inputs)
        encoder_states = [state_h, state_c]
        decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
        decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
        decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
        decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
        decoder_outputs = decoder_dense(decoder_outputs)
        model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
    """,
    "seq2seq_gru_positional_state": """
        from keras import layers, Model, Input

        src = Input((None,))
        x = layers.Embedding(120, 32)(src)
        _, state = layers.GRU(64, return_state=True)(x)
        tgt = Input((None,))
        y = layers.Embedding(90, 32)(tgt)
        y = layers.GRU(64, return_sequences=True)(y, state)
        y = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(y)
        model = Model([src, tgt], layers.TimeDistributed(layers.Dense(90))(y))
    """,
    "trainable_everywhere": """
        import keras
        from keras import layers

        frozen_first = layers.Dense(32, activation="relu")
        frozen_first.trainable = False
        model = keras.Sequential([keras.Input((20,)), frozen_first, layers.BatchNormalization(),
                                  layers.Dense(16, name="middle"), layers.Dense(8), layers.Dense(2)])
        model.layers[3].trainable = False
        model.get_layer("middle").trainable = False
        last = model.layers[-1]
        last.trainable = False
        last.trainable = True
    """,
    "transfer_learning": """
        import keras
        from keras import layers

        base = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(16, 3), layers.BatchNormalization(),
                                 layers.Conv2D(32, 3), layers.GlobalAveragePooling2D()], name="base")
        base.trainable = False
        inputs = keras.Input((32, 32, 3))
        x = base(inputs, training=False)
        x = layers.Dropout(0.2)(x)
        outputs = layers.Dense(1)(x)
        model = keras.Model(inputs, outputs)
    """,
    "fine_tuning": """
        import keras
        from keras import layers

        base = keras.Sequential([keras.Input((16,)), layers.Dense(32), layers.Dense(32), layers.Dense(32)],
                                name="base")
        base.trainable = False
        model = keras.Sequential([base, layers.Dense(4)])
        base.trainable = True
        for layer in base.layers[:-1]:
            layer.trainable = False
    """,
    "whole_model_frozen": """
        import keras
        from keras import layers

        inputs = keras.Input((10,))
        x = layers.Dense(8)(inputs)
        x = layers.BatchNormalization()(x)
        model = keras.Model(inputs, layers.Dense(3)(x))
        model.trainable = False
    """,
    "functional_layers_index": """
        import keras
        from keras import layers

        inputs = keras.Input((10,))
        x = layers.Dense(8)(inputs)
        x = layers.Dense(6)(x)
        model = keras.Model(inputs, layers.Dense(3)(x))
        model.layers[1].trainable = False  # layers[0] is the InputLayer
        for layer in model.layers[2:]:
            if layer.name != "nothing":
                pass
    """,
    "vgg_cfg": """
        import keras
        from keras import layers

        cfg = {"A": [16, "M", 32, "M", 64, 64, "M"], "B": [16, 16, "M", 32, 32, "M"]}

        def make_layers(config, batch_norm=False):
            stack = []
            for v in config:
                if v == "M":
                    stack += [layers.MaxPooling2D(pool_size=2, strides=2)]
                else:
                    stack.append(layers.Conv2D(v, 3, padding="same"))
                    if batch_norm:
                        stack.append(layers.BatchNormalization())
                    stack.append(layers.ReLU())
            return stack

        model = keras.Sequential([keras.Input((32, 32, 3))] + make_layers(cfg["A"], batch_norm=True)
                                 + [layers.Flatten(), layers.Dense(10)])
    """,
    "comprehensions": """
        import keras
        from keras import layers

        hidden = [128, 64, 0, 32]
        use_dropout = True
        model = keras.Sequential(
            [keras.Input((784,))]
            + [layers.Dense(u, activation="relu") for u in hidden if u > 0]
            + ([layers.Dropout(0.5)] if use_dropout else [])
            + [layers.Dense(n) for n in range(10, 12) for _ in range(2) if n % 2 == 0]
            + [layers.Dense(max(hidden) // 4 + len(hidden) + abs(-1) + sum([1, 2]) - min(hidden[:2]) // 64)]
        )
    """,
    "nested_functions": """
        import keras
        from keras import layers

        filters = 64

        def conv_block(x, f):
            x = layers.Conv2D(f, 3, padding="same")(x)
            return layers.MaxPooling2D()(x)

        def head(n):
            return keras.Sequential([layers.Dense(filters), layers.Dense(n)], name="head")

        def build(n_classes=10, widths=(8, 16)):
            filters = 3  # not seen by head(): Python looks names up where a function is defined

            def stem(x):
                return layers.Conv2D(widths[0] * filters, 3)(x)

            inputs = keras.Input((32, 32, 3))
            x = stem(inputs)
            for f in widths:
                x = conv_block(x, f)
            x = layers.GlobalAveragePooling2D()(x)
            return keras.Model(inputs, head(n_classes)(x))

        model = build(5)
    """,
    "with_and_try": """
        import contextlib
        import keras
        try:
            from keras import layers
        except ImportError:
            layers = None

        with contextlib.nullcontext():
            model = keras.Sequential([keras.Input((8,)), layers.Dense(4)])
    """,
}


def assert_same_layers(model, keras_model) -> None:
    """Totals, and every layer's (type, trainable, non-trainable, output shape) as a multiset: Keras
    lists a functional model's layers in its graph order, and numbers names across a session."""
    trainable, frozen = keras_weights(keras_model)
    assert (model.total, model.trainable, model.non_trainable) == \
        (keras_model.count_params(), trainable, frozen)
    theirs = []
    for layer in keras_model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        out = layer.output[0] if isinstance(layer.output, (list, tuple)) else layer.output
        theirs.append((type(layer).__name__, *keras_weights(layer), tuple(out.shape[1:])))
    nodes = [n for n in model.nodes if not n.name.endswith("]") and n.type != "Operation"]
    ours = [(n.type, model.evaluate(n.trainable), model.evaluate(n.non_trainable),
             model.evaluate_shape(n.output_shape)) for n in nodes]
    assert sorted(ours, key=repr) == sorted(theirs, key=repr)


APPLICATIONS = {
    "frozen_base": """
        import keras
        from keras import layers

        base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
        base.trainable = False
        inputs = keras.Input((64, 64, 3))
        x = base(inputs, training=False)
        x = layers.GlobalAveragePooling2D()(x)
        model = keras.Model(inputs, layers.Dense(5)(x))
    """,
    "top_and_partial_freeze": """
        import keras
        from keras.applications import VGG16
        from keras import layers

        base = VGG16(weights=None, include_top=True, input_shape=(48, 48, 3), classes=7)
        for layer in base.layers[:-5]:
            layer.trainable = False
        base.get_layer("fc1").trainable = False
        model = keras.Model(base.input, layers.Dense(3)(base.output))
    """,
    "odd_sizes_correct_pad": """
        import keras
        from keras import layers

        base = keras.applications.MobileNetV2(input_shape=(97, 75, 3), include_top=False, pooling="avg",
                                              weights=None)
        model = keras.Sequential([base, layers.Dropout(0.2), layers.Dense(2)])
    """,
    "efficientnet_odd": """
        import keras

        model = keras.applications.EfficientNetB0(weights=None, input_shape=(75, 81, 3), classes=4)
    """,
    "resnet_pooling_max": """
        import keras

        base = keras.applications.ResNet50(weights=None, include_top=False, pooling="max",
                                           input_shape=(40, 40, 3))
        base.trainable = True
        for layer in base.layers[:100]:
            layer.trainable = False
        model = keras.Sequential([keras.Input((40, 40, 3)), base, keras.layers.Dense(3)])
    """,
}


@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_applications_equal_keras(name):
    code = textwrap.dedent(APPLICATIONS[name])
    keras_model = keras_run(code)
    model = load_snippet(code, f"{name}.py")
    trainable, frozen = keras_weights(keras_model)
    assert (model.total, model.trainable, model.non_trainable) == \
        (keras_model.count_params(), trainable, frozen)
    out = keras_model.layers[-1].output
    assert model.evaluate_shape(model.nodes[-1].output_shape) == tuple(out.shape[1:])


def test_every_stored_application_gives_keras_count():
    """index.json holds model.count_params() as Keras reported it when it wrote the architectures."""
    from explain.importers import applications
    from explain.importers.keras_json import load_keras_json
    for name, meta in applications.index().items():
        notop = {"weights": None, "include_top": False, "input_shape": (meta["size"],) * 2 + (3,)}
        variants = {"top": {"weights": None}, "notop_avg": {**notop, "pooling": "avg"},
                    "notop_max": {**notop, "pooling": "max"}, "notop_none": notop}
        assert set(variants) == set(meta["params"]), name
        for variant, kwargs in variants.items():
            data = applications.application(name, kwargs)
            model = applications.load(name, data, lambda d: load_keras_json(d, None))
            assert model.total == meta["params"][variant], (name, variant)


@pytest.mark.parametrize("code, wanted", [
    ("import keras\nmodel = keras.applications.MobileNetV2(weights=None, alpha=0.5)\n", ["line 2", "alpha"]),
    ("import keras\nmodel = keras.applications.VGG16(weights=None, input_shape=(16, 16, 3))\n",
     ["line 2", "at least 32"]),
    ("import keras\nmodel = keras.applications.NASNetMobile(weights=None)\n", ["line 2", "NASNetMobile"]),
    ("import keras\nmodel = keras.applications.VGG16(classes=10)\n", ["line 2", "classes"]),
])
def test_applications_explain_cannot_build_are_refused(code, wanted):
    with pytest.raises(ExplainError) as err:
        load_snippet(code, "bad.py")
    for w in wanted:
        assert w in str(err.value), str(err.value)


@pytest.mark.parametrize("name", sorted(COURSE))
def test_course_code_equals_keras(name):
    code = textwrap.dedent(COURSE[name])
    keras_model = keras_run(code)
    model = load_snippet(code, f"{name}.py")
    assert_same_layers(model, keras_model)


def test_the_seq2seq_encoder_is_counted():
    code = textwrap.dedent(COURSE["seq2seq_lstm"])
    # keras.io's figure: 718,173; the decoder branch alone is 382,301
    assert load_snippet(code, "s.py").total == keras_run(code).count_params() == 718_173


@pytest.mark.parametrize("code, wanted", [
    # a condition explain cannot know, on code that builds the model
    ("import keras, os\nmodel = keras.Sequential([keras.Input((4,))])\nif os.environ.get('X'):\n"
     "    model.add(keras.layers.Dense(3))\n", ["line 3", "if"]),
    # a value set under an unknown condition, used later
    ("import keras, os\nn = 4\nif os.environ.get('X'):\n    n = 8\n"
     "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(n)])\n", ["line 3", "'n'"]),
    # trainable set to a value explain does not know
    ("import keras, os\nmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])\n"
     "model.layers[0].trainable = os.environ.get('T')\n", ["line 3", "trainable"]),
    # a layer unfrozen inside a frozen model: Keras's own counts disagree
    ("import keras\nbase = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])\n"
     "base.trainable = False\nbase.layers[0].trainable = True\n"
     "model = keras.Sequential([base, keras.layers.Dense(2)])\n", ["line 4", "frozen"]),
    # a list method explain does not follow, given a layer
    ("import keras\nstack = [keras.Input((4,))]\nstack.remove(stack[0])\n"
     "model = keras.Sequential(stack + [keras.layers.Dense(2)])\n", ["line 3"]),
    # setattr on a layer
    ("import keras\nd = keras.layers.Dense(3)\nsetattr(d, 'trainable', False)\n"
     "model = keras.Sequential([keras.Input((4,)), d])\n", ["line 3"]),
    # another attribute of a layer changed
    ("import keras\nd = keras.layers.Dense(3)\nd.units = 5\nmodel = keras.Sequential([keras.Input((4,)), d])\n",
     ["line 3"]),
    # constants= on a recurrent layer
    ("import keras\nx = keras.Input((5, 3))\nc = keras.Input((2,))\n"
     "y = keras.layers.LSTM(4)(x, constants=c)\nmodel = keras.Model([x, c], y)\n", ["line 4", "constants"]),
    # initial_state of the wrong shape
    ("import keras\nx = keras.Input((5, 3))\ns = keras.Input((7,))\n"
     "y = keras.layers.GRU(4)(x, initial_state=s)\nmodel = keras.Model([x, s], y)\n", ["line 4", "initial_state"]),
    # model.layers of a branched functional model (Keras's graph order)
    ("import keras\nx = keras.Input((4,))\na = keras.layers.Dense(2)(x)\nb = keras.layers.Dense(2)(x)\n"
     "model = keras.Model(x, keras.layers.Add()([a, b]))\nmodel.layers[1].trainable = False\n", ["line 5", "get_layer"]),
    # a value changed by a while loop
    ("import keras\nn = 4\nwhile n < 100:\n    n *= 2\n"
     "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(n)])\n", ["line 3", "'n'"]),
    # a comprehension over values explain does not know
    ("import keras, os\nmodel = keras.Sequential([keras.Input((4,))] + "
     "[keras.layers.Dense(int(u)) for u in os.environ['U'].split()])\n", ["line 2"]),
])
def test_course_code_it_cannot_follow_is_refused(code, wanted):
    with pytest.raises(ExplainError) as err:
        load_snippet(code, "bad.py")
    message = str(err.value)
    assert "\n" not in message and message.startswith("bad.py: "), message
    for w in wanted:
        assert w in message, message
