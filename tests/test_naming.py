"""Keras's automatic layer names (explain.naming), shared by the importers and the layers: the
names are checked against the names real Keras gives, and a layer module that writes them (a
Bidirectional sentence's ``forward_gru/gru_cell/kernel``) imports no importer."""
from __future__ import annotations

import subprocess
import sys

import pytest

from explain.naming import AutoNames, snake_case
from tests.conftest import require_module

KERAS_TYPES = ["Conv2D", "BatchNormalization", "GRU", "LSTM", "SimpleRNN", "ConvLSTM2D", "Dense",
               "MultiHeadAttention", "LayerNormalization", "GlobalAveragePooling2D", "Conv1DTranspose"]


@pytest.mark.parametrize("type_name", KERAS_TYPES)
def test_snake_case_is_keras_default_name(type_name) -> None:
    keras = require_module("keras")
    keras.utils.clear_session()
    layer = getattr(keras.layers, type_name)(**_arguments(type_name))
    assert snake_case(type_name) == layer.name


def test_auto_names_number_repeats_as_keras_does() -> None:
    """conv2d, conv2d_1, …; a name the model already has is skipped."""
    keras = require_module("keras")
    keras.utils.clear_session()
    theirs = [keras.layers.Conv2D(2, 3).name for _ in range(3)]
    names = AutoNames()
    assert [names.next("Conv2D") for _ in range(3)] == theirs == ["conv2d", "conv2d_1", "conv2d_2"]
    names.reserve("dense_1")
    assert [names.next("Dense") for _ in range(2)] == ["dense", "dense_2"]
    torch = AutoNames("torch")
    assert [torch.next("Conv2d"), torch.next("Conv2d")] == ["conv2d", "conv2d_1"]


def test_bidirectional_kernel_name_is_keras_own() -> None:
    """The forward copy's kernel as Keras names it: forward_<layer>/<layer>_cell/kernel."""
    keras = require_module("keras")
    from explain.importers.spec import load_spec
    for type_name in ("GRU", "LSTM", "SimpleRNN"):
        keras.utils.clear_session()
        model = keras.Sequential([keras.Input((6, 12)),
                                  keras.layers.Bidirectional(getattr(keras.layers, type_name)(5))])
        paths = [w.path for w in model.layers[-1].weights]
        layer = load_spec({"input": [6, 12], "layers": [{"Bidirectional": {"layer": {type_name: {"units": 5}}}}]})
        code = layer.nodes[0].layer.explanation_code()
        assert any(p.endswith("/bidirectional/" + code["forward_kernel"]) for p in paths), (code, paths)


def test_layer_modules_import_no_importer() -> None:
    """Writing a Bidirectional layer's code and names needs no importer module."""
    code = ("import sys\n"
            "from explain.layers.registry import make_from_mapping\n"
            "layer, _ = make_from_mapping({'Bidirectional': {'layer': {'GRU': {'units': 4}}}})\n"
            "assert layer.explanation_code()['inner_name'] == 'gru'\n"
            "print(sorted(m for m in sys.modules if m.startswith('explain.importers')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _arguments(type_name: str) -> dict:
    """The fewest arguments each Keras type needs to be built (its name is all the test reads)."""
    return {"Conv2D": {"filters": 2, "kernel_size": 3}, "GRU": {"units": 2}, "LSTM": {"units": 2},
            "SimpleRNN": {"units": 2}, "ConvLSTM2D": {"filters": 2, "kernel_size": 3}, "Dense": {"units": 2},
            "MultiHeadAttention": {"num_heads": 2, "key_dim": 2},
            "Conv1DTranspose": {"filters": 2, "kernel_size": 3}}.get(type_name, {})
