"""A layer type's textbook form of its count (``Layer.display_formula``: LSTM 4h(i + h) + 4h) is
shown first and then substituted; the counts still come from the weight groups, so the two must be
equal for every type and configuration that states one."""
from __future__ import annotations

import pytest
import sympy

from tests.conftest import require_module

import explain
from explain.layers.registry import layer_types
from explain.render import render_document
from explain.render.reference import instantiate

CONFIGS = [
    ("keras", "SimpleRNN", {"units": 8}), ("keras", "SimpleRNN", {"units": 8, "use_bias": False}),
    ("keras", "LSTM", {"units": 8}), ("keras", "LSTM", {"units": 8, "use_bias": False}),
    ("keras", "GRU", {"units": 8}), ("keras", "GRU", {"units": 8, "reset_after": False}),
    ("keras", "GRU", {"units": 8, "use_bias": False}),
    ("keras", "GRUCell", {"units": 8, "reset_after": False}), ("keras", "LSTMCell", {"units": 8}),
    ("keras", "Bidirectional", {"layer": {"GRU": {"units": 8}}}),
    ("keras", "TimeDistributed", {"layer": {"LSTM": {"units": 8}}}),
    ("keras", "RNN", {"cell": {"LSTMCell": {"units": 8}}}),
    ("pytorch", "LSTM", {"input_size": 4, "hidden_size": 8}),
    ("pytorch", "LSTM", {"input_size": 4, "hidden_size": 8, "bidirectional": True}),
    ("pytorch", "GRU", {"input_size": 4, "hidden_size": 8, "bias": False}),
    ("pytorch", "RNN", {"input_size": 4, "hidden_size": 8}),
    ("pytorch", "GRUCell", {"input_size": 4, "hidden_size": 8}),
    ("keras", "MultiHeadAttention", {"num_heads": 2, "key_dim": 4}),
    ("keras", "MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "value_dim": 3, "output_shape": 5}),
    ("keras", "MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "use_bias": False}),
    ("keras", "GroupedQueryAttention", {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2}),
    ("keras", "GroupedQueryAttention", {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2,
                                        "use_bias": False}),
]


def _sum(layer) -> sympy.Expr:
    return sympy.Add(*(g.formula for g in layer.weight_groups() if not g.buffer))


def _check(layer) -> None:
    display = layer.display_formula()
    if display is not None:
        assert sympy.expand(display - _sum(layer)) == 0, (layer.type_name, display)


@pytest.mark.parametrize("cls", sorted(layer_types(None), key=lambda c: (c.framework, c.type_name)),
                         ids=lambda c: f"{c.framework}-{c.type_name}")
def test_display_form_equals_the_groups_sum_for_every_type(cls):
    layer = instantiate(cls)
    if layer is not None:
        _check(layer)


@pytest.mark.parametrize("framework, name, args", CONFIGS, ids=lambda x: str(x))
def test_display_form_equals_the_groups_sum_in_every_configuration(framework, name, args):
    from explain.layers.registry import make_from_mapping
    layer, _ = make_from_mapping({name: args}, framework=framework)
    assert layer.display_formula() is not None
    _check(layer)


def test_lstm_and_gru_show_the_textbook_form_then_the_numbers():
    """Keras counts LSTM(64) on 32 features as 24,832 and GRU(16) on 64 as 3,936; the document
    writes 4h(i + h) + 4h and 3h(i + h) + 6h (two bias vectors per gate, reset_after=True), then
    the same form with the numbers."""
    keras = require_module("keras")
    lstm, gru = keras.layers.LSTM(64), keras.layers.GRU(16)
    lstm.build((None, 30, 32))
    gru.build((None, 30, 64))
    assert (lstm.count_params(), gru.count_params()) == (24832, 3936)
    text = render_document("derivation", explain.load("tests/fixtures/specs/small_rnn.yaml"),
                           lang="en", format="markdown")
    assert (r"P = 4h(n_{\text{in}} + h) + 4h = 4 \times 64 \times (32 + 64) + 4 \times 64 = 24{,}832"
            in text.replace(r"\left(", "(").replace(r"\right)", ")"))
    assert (r"P = 3h(n_{\text{in}} + h) + 6h = 3 \times 16 \times (64 + 16) + 6 \times 16 = 3{,}936"
            in text.replace(r"\left(", "(").replace(r"\right)", ")"))


def test_torch_lstm_form_has_two_bias_vectors_per_gate():
    torch = require_module("torch")
    n = sum(p.numel() for p in torch.nn.LSTM(4, 8).parameters())
    assert n == 4 * 8 * (4 + 8) + 8 * 8  # hand derivation: 4 gates, b_ih and b_hh
    model = explain.load({"name": "t", "framework": "pytorch", "input": [5, 4],
                          "layers": [{"LSTM": {"input_size": 4, "hidden_size": 8, "batch_first": True}}]})
    text = render_document("derivation", model, lang="en", format="markdown")
    assert r"P = 4h(n_{\text{in}} + h) + 8h" in text  # plain brackets: \\left adds a gap before them and f"= {n:,}" in text
