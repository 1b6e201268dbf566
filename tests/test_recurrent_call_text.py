"""Each recurrent type writes itself as Keras code (``call_text``, the layer a Bidirectional
sentence names): the text is checked by hand and read back into real Keras, whose layer has the
same settings and parameter count as ours."""
from __future__ import annotations

import ast
from typing import Any

import pytest

from explain.importers.spec import load_spec
from explain.layers.recurrent import RNN, Bidirectional, _ConvLSTM, _Recurrent
from tests.conftest import require_module

CASES = [  # the wrapped layer's spec, its input (one sample), the code expected
    ({"GRU": {"units": 8}}, [6, 12], "GRU(units=8, reset_after=True)"),
    ({"GRU": {"units": 5, "reset_after": False}}, [6, 12], "GRU(units=5, reset_after=False)"),
    ({"GRU": {"units": 5, "use_bias": False}}, [6, 12], "GRU(units=5, use_bias=False)"),
    ({"LSTM": {"units": 5}}, [6, 12], "LSTM(units=5)"),
    ({"LSTM": {"units": 5, "use_bias": False}}, [6, 12], "LSTM(units=5, use_bias=False)"),
    ({"SimpleRNN": {"units": 4}}, [6, 12], "SimpleRNN(units=4)"),
    ({"RNN": {"cell": {"LSTMCell": {"units": 4}}}}, [6, 12], "RNN(LSTMCell(units=4))"),
    ({"RNN": {"cell": {"GRUCell": {"units": 3, "use_bias": False}}}}, [6, 12],
     "RNN(GRUCell(units=3, use_bias=False))"),
    ({"RNN": {"cell": [{"GRUCell": {"units": 3, "reset_after": False}},
                       {"SimpleRNNCell": {"units": 2, "use_bias": False}}]}}, [6, 12],
     "RNN([GRUCell(units=3, reset_after=False), SimpleRNNCell(units=2, use_bias=False)])"),
    ({"ConvLSTM2D": {"filters": 4, "kernel_size": 3}}, [5, 8, 8, 3], "ConvLSTM2D(filters=4, kernel_size=(3, 3))"),
    ({"ConvLSTM1D": {"filters": 2, "kernel_size": [3], "use_bias": False}}, [5, 8, 3],
     "ConvLSTM1D(filters=2, kernel_size=(3,), use_bias=False)"),
]


def wrapper(layer: dict, shape: list[int]):
    model = load_spec({"input": shape, "layers": [{"Bidirectional": {"layer": layer}}]})
    node = model.nodes[0]
    assert isinstance(node.layer, Bidirectional)
    return node


def keras_layer(keras: Any, node: ast.expr):
    """The Keras layer the code ``node`` builds: its keywords are literals, a cell list holds calls."""
    def value(v: ast.expr):
        if isinstance(v, ast.Call):
            return keras_layer(keras, v)
        if isinstance(v, ast.List):
            return [value(e) for e in v.elts]
        return ast.literal_eval(v)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return getattr(keras.layers, node.func.id)(*(value(a) for a in node.args),
                                                **{k.arg: value(k.value) for k in node.keywords if k.arg})


@pytest.mark.parametrize("layer, shape, code", CASES)
def test_call_text_is_the_wrapped_layer(layer, shape, code) -> None:
    node = wrapper(layer, shape)
    inner = node.layer.layer
    assert isinstance(inner, (_Recurrent, _ConvLSTM, RNN))
    assert inner.call_text() == code
    assert node.layer.explanation_code()["wrapped"] == code == node.layer.explanation_code()["backward"]


@pytest.mark.parametrize("layer, shape, code", CASES)
def test_call_text_reads_back_in_keras(layer, shape, code) -> None:
    """Keras builds the layer the code says; its config and count are those of our layer."""
    keras = require_module("keras")
    built = keras_layer(keras, ast.parse(code, mode="eval").body)
    model = keras.Sequential([keras.Input(tuple(shape)), keras.layers.Bidirectional(built)])
    assert model.count_params() == wrapper(layer, shape).params
    (config,) = layer.values()
    if "cell" in config:  # Keras stacks a list of cells in StackedRNNCells
        ours = config["cell"] if isinstance(config["cell"], list) else [config["cell"]]
        theirs = built.cell.cells if isinstance(config["cell"], list) else [built.cell]
    else:
        ours, theirs = [layer], [built]
    assert len(ours) == len(theirs)
    for spec, keras_cell in zip(ours, theirs):
        ((kind, settings),) = spec.items()
        assert type(keras_cell).__name__ == kind
        got = keras_cell.get_config()
        for key, want in settings.items():
            if key == "kernel_size":
                want = tuple(want) if isinstance(want, list) else (want,) * len(got[key])
            assert got[key] == want, (key, got)

def test_backward_layer_of_its_own() -> None:
    model = load_spec({"input": [6, 12], "layers": [{"Bidirectional": {
        "layer": {"SimpleRNN": {"units": 4}}, "backward_layer": {"LSTM": {"units": 3, "go_backwards": True}}}}]})
    code = model.nodes[0].layer.explanation_code()
    assert (code["wrapped"], code["backward"]) == ("SimpleRNN(units=4)", "LSTM(units=3)")
