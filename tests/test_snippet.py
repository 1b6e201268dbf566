"""Keras code read with ast (never executed by explain) against the same code run by real Keras.

The ground truth comes from executing each snippet with Keras 3 in the test; ``tensorflow.keras``
and ``tf_keras`` imports are served by Keras 3 (same layers), as TensorFlow is not installed.
"""
from __future__ import annotations

import builtins
import importlib
import json
import subprocess
import sys
import textwrap
import types

import pytest

import explain
from explain.errors import ExplainError
from explain.importers.snippet import load_snippet
from tests.conftest import FIXTURES, ROOT, require_module
from tests.test_keras_json import assert_matches_keras

SNIPPETS = FIXTURES / "snippets"

STYLES = {
    "sequential_list": """
        import keras
        from keras import layers

        NUM_CLASSES = 10
        model = keras.Sequential([
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, (3, 3), strides=1, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES * 2 - 10, activation="softmax"),
        ])
        model.summary()
    """,
    "tf_keras_add": """
        import tensorflow as tf

        units = 64
        model = tf.keras.models.Sequential()
        model.add(tf.keras.layers.Dense(units, activation=tf.nn.relu, input_shape=(784,)))
        for i in range(3):
            model.add(tf.keras.layers.Dense(units // 2 ** i))
        model.add(tf.keras.layers.Dense(10, activation="softmax"))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    """,
    "from_imports_rnn": """
        from tensorflow.keras.models import Sequential
        from tensorflow.keras.layers import Embedding, LSTM, GRU, Bidirectional, TimeDistributed, Dense

        VOCAB, DIM = 5000, 2 ** 6
        model = Sequential()
        model.add(Embedding(VOCAB, DIM))
        model.add(Bidirectional(LSTM(DIM // 2, return_sequences=True)))
        model.add(GRU(16, return_sequences=True))
        model.add(TimeDistributed(Dense(4)))
        model.build((None, 40))
    """,
    "functional": """
        import tf_keras as keras
        from tf_keras import layers

        H = W = 32
        FILTERS = [16, 32]

        def block(x, filters):
            y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            y = layers.BatchNormalization()(y)
            return layers.ReLU()(y)

        image = keras.Input(shape=(H, W, 3), name="image")
        meta = keras.Input(shape=(10,), name="meta")
        x = image
        for f in FILTERS:
            x = block(x, f)
            x = layers.MaxPooling2D(2)(x)
        x = layers.GlobalAveragePooling2D()(x)
        shared = layers.Dense(8, activation="relu")
        a = shared(x)
        b = shared(layers.Dense(FILTERS[-1])(meta))
        seq, h, c = layers.LSTM(4, return_state=True)(layers.Reshape((8, 1))(a))
        merged = layers.concatenate([a, b, h, c])
        head = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dropout(0.1),
                                 layers.Dense(3)], name="head")
        model = keras.Model(inputs=[image, meta], outputs=head(merged), name="two_inputs")
    """,
    "residual_keras_models": """
        from keras.models import Model
        from keras.layers import Input, Conv2D, Add, Activation, DepthwiseConv2D, SeparableConv2D
        from keras.layers import GlobalAveragePooling2D, Dense, ZeroPadding2D

        inputs = Input((64, 64, 3))
        x = ZeroPadding2D(1)(inputs)
        x = Conv2D(16, 3, strides=2)(x)
        shortcut = x
        x = DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
        x = SeparableConv2D(16, 3, padding="same")(x)
        x = Add()([x, shortcut]) * 0.5
        x = Activation("relu")(x - shortcut)
        x = GlobalAveragePooling2D()(x)
        outputs = Dense(5, trainable=False)(x)
        net = Model(inputs, outputs)
    """,
}


STYLES["augmentation"] = """
    import keras
    from keras import layers

    data_augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)])
    inputs = keras.Input(shape=(180, 180, 3))
    x = data_augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, layers.Dense(1)(x))
"""

STYLES["function_never_called"] = """
    from keras import Sequential, layers


    def build_model(classes=10):
        net = Sequential([layers.Input((64,)), layers.Dense(32), layers.LayerNormalization(),
                          layers.Dense(classes)])
        return net
"""


def _fake_import(name, globals=None, locals=None, fromlist=(), level=0):
    """``tensorflow.keras`` and ``tf_keras`` served by Keras 3 while the test runs a snippet."""
    keras = importlib.import_module("keras")
    for root in ("tensorflow.keras", "tf_keras"):
        if name == root or name.startswith(root + "."):
            module = importlib.import_module("keras" + name[len(root):])
            if fromlist or root == "tf_keras":
                return module
            return types.SimpleNamespace(keras=keras)
    if name == "tensorflow":
        return types.SimpleNamespace(keras=keras, nn=types.SimpleNamespace(relu="relu"))
    return builtins.__import__(name, globals, locals, fromlist, level)


def keras_run(code: str):
    """The model the code builds, run by real Keras (the ground truth)."""
    require_module("keras")
    scope = {"__builtins__": {**builtins.__dict__, "__import__": _fake_import}, "__name__": "snippet"}
    exec(compile(code, "<snippet>", "exec"), scope)  # test-only: our own fixture code
    models = [v for v in scope.values()
              if hasattr(v, "count_params") and hasattr(v, "layers") and not isinstance(v, type)]
    if not models and "build_model" in scope:
        return scope["build_model"]()
    return scope.get("model", models[-1] if models else None)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_snippet_styles_equal_keras(style, tmp_path):
    code = textwrap.dedent(STYLES[style])
    keras_model = keras_run(code)
    model = load_snippet(code, f"{style}.py")
    # Keras numbers layers across a whole session, so layers are matched by position
    assert_matches_keras(model, keras_model, by_position=True)


def test_seed_article_snippet():
    expected = json.loads((SNIPPETS / "expected.json").read_text())
    model = explain.load(str(SNIPPETS / "seed_model.py"))
    assert model.total == expected["seed_model.py"] == 6029097
    assert model.non_trainable == 0
    # the last layer: Dense(num_class=9) on 128 features: 128·9 + 9 = 1161
    assert (model.nodes[-1].type, model.evaluate(model.nodes[-1].params)) == ("Dense", 1161)


def test_snippet_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    code = textwrap.dedent(f"""
        import keras
        open({str(marker)!r}, "w").write("x")
        __import__("os").system("touch {marker}")
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    """)
    assert load_snippet(code, "x.py").total == 10  # 4·2 + 2
    assert not marker.exists()


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explain", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


@pytest.mark.parametrize("code, wanted", [
    ("import keras\nfrom keras import layers\n\n\nclass Mine(layers.Layer):\n    pass\n\n\n"
     "model = keras.Sequential([keras.Input((3,)), Mine()])\n", ["line 5", "Mine", "Custom"]),
    ("import keras\nimport os\nmodel = keras.Sequential([keras.Input((4,))])\nif os.environ.get('BIG'):\n"
     "    model.add(keras.layers.Dense(3))\n", ["line 4", "if"]),
    ("import keras\nmodel = keras.Sequential([keras.layers.Dense(3)])\n", ["line 2", "input shape"]),
    ("import keras\nimport numpy as np\nn = np.load('x.npy')\n"
     "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(n)])\n", ["line 3"]),
    ("import keras\nmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dnse(3)])\n",
     ["line 2", "Dense"]),
    ("import keras\nx = keras.Input((4,))\ny = keras.layers.Dense(2)(x) @ x\n"
     "model = keras.Model(x, y)\n", ["line 3"]),
    ("import keras\nmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, 3, 4, 5)])\n",
     ["line 2"]),
    ("import keras\nmodel = keras.Sequential([\n", ["line"]),
    ("import keras\n\nclass Net(keras.Model):\n    pass\n\nmodel = Net()\n", ["line 3", "subclassed"]),
])
def test_bad_snippets_name_the_line(code, wanted):
    with pytest.raises(ExplainError) as err:
        load_snippet(code, "bad.py")
    message = str(err.value)
    assert "\n" not in message and message.startswith("bad.py: ")
    for w in wanted:
        assert w in message, message


def test_bad_snippet_on_the_command_line(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import keras\nmodel = keras.Sequential()\nwhile True:\n    model.add(keras.layers.Dense(3))\n")
    result = run("derive", str(path), "--format", "json")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "line 3" in lines[0], result.stderr
