"""A wrapper's notes are true of the wrapper (round-17 English review of prelu, items 1–4): a
Bidirectional layer's bias notes speak of each direction and give its own total 2(…), checked
against Keras 3 and PyTorch's ``bidirectional=True``; its sentence names the wrapped layer, its
shape sentence says where each direction ends, its table says the Keras names are shortened.
TimeDistributed keeps the wrapped layer's notes (the same weights), a stack of cells only the
gate notes (a one-cell count is not the stack's)."""
from __future__ import annotations

import pytest
import sympy

from tests.conftest import require_module, translated_part

import explain
from explain.derivation import derive
from explain.layers import _texts
from explain.layers.recurrent import GATE_NOTES, PER_DIRECTION
from explain.render import messages, render_document

T, I, H = 6, 12, 7  # time steps, input features and hidden units of the layers built below
PER_LAYER = frozenset(PER_DIRECTION)
"""The notes that state one recurrent layer's count ("this layer")."""


def value(placeholder: str) -> int:
    formula = messages.PLACEHOLDERS[placeholder]
    return int(formula.subs({sympy.Symbol("n_in"): I, sympy.Symbol("h"): H}))


def spec(layer: dict, steps: int = T) -> dict:
    return {"name": "b", "input": [steps, I], "layers": [layer]}


def step(layer: dict, steps: int = T):
    return derive(explain.load(spec(layer, steps))).steps[-1]


def keras_layer(wrapper, shape: tuple = (T, I)):
    keras = require_module("keras")
    keras.utils.clear_session()  # default names without a session's suffixes (gru, not gru_3)
    model = keras.Sequential([keras.Input(shape), wrapper(keras)])
    return model.layers[-1]


def torch_count(name: str, **kw) -> tuple[int, set[str]]:
    torch = require_module("torch")
    module = getattr(torch.nn, name)(I, H, **kw)
    return sum(p.numel() for p in module.parameters()), {n for n, _ in module.named_parameters()}


REVERSE = {"bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l0_reverse", "weight_hh_l0_reverse"}

CASES = [  # Keras layer, its spec, the wrapper's note, the placeholder of PyTorch's bidirectional count
    ("GRU", {}, "bidirectional_gru_reset_after", "gru_keras_torch_2"),
    ("GRU", {"reset_after": False}, "bidirectional_gru_one_bias", "gru_keras_torch_2"),
    ("LSTM", {}, "bidirectional_lstm_one_bias", "lstm_torch_2"),
    ("SimpleRNN", {}, "bidirectional_simple_rnn_one_bias", "rnn_torch_2"),
]
TORCH = {"GRU": "GRU", "LSTM": "LSTM", "SimpleRNN": "RNN"}


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul"])
@pytest.mark.parametrize("name, config, note, torch_formula", CASES)
def test_bidirectional_bias_note_gives_both_directions_counts(name, config, note, torch_formula, merge_mode):
    require_module("keras")
    layer = keras_layer(lambda k: k.layers.Bidirectional(getattr(k.layers, name)(H, **config),
                                                         merge_mode=merge_mode))
    s = step({"Bidirectional": {"layer": {name: {"units": H, **config}}, "merge_mode": merge_mode}})
    assert int(s.params) == layer.count_params()
    assert note in s.notes and not PER_LAYER & set(s.notes)
    assert set(s.notes) <= GATE_NOTES | {note, "bidirectional_names"}
    count, names = torch_count(TORCH[name], bidirectional=True)
    assert REVERSE <= names
    assert count == value(torch_formula)  # PyTorch's nn.GRU/LSTM/RNN(..., bidirectional=True)
    gates = {"GRU": 3, "LSTM": 4, "SimpleRNN": 1}[name]
    assert count == 2 * (gates * H * (I + H) + 2 * gates * H)  # by hand: two biases per group and direction
    if name == "GRU":  # "this layer" is the wrapper: 2(3h(n_in + h) + 6h) with reset_after, + 3h without
        other = keras_layer(lambda k: k.layers.Bidirectional(k.layers.GRU(H, reset_after="reset_after" in config)))
        same, alternative = (layer, other) if not config else (other, layer)
        assert same.count_params() == value("gru_keras_torch_2") == count
        assert alternative.count_params() == value("gru_one_bias_2")
    if name == "LSTM":
        torch = require_module("torch")
        assert torch.nn.LSTM(I, H, bidirectional=True).bias_ih_l0_reverse.numel() == value("lstm_torch_extra")


def test_prelu_review_section_says_true_things():
    """The reviewed document's Bidirectional(GRU(16)): 4,800 parameters, twice the GRU's."""
    keras = require_module("keras")
    layer = keras_layer(lambda k: k.layers.Bidirectional(k.layers.GRU(16)), (256, 32))
    text = render_document("derivation", explain.load({"name": "p", "input": [256, 32], "layers": [
        {"Bidirectional": {"layer": {"GRU": {"units": 16}}}}]}), lang="en", format="markdown")
    assert layer.count_params() == 4800
    assert "runs the recurrent layer it wraps (here `GRU(units=16, reset_after=True)`)" in text
    assert "twice the parameters of that layer alone" in text
    assert "this layer would have" not in text and "`nn.GRU` has" not in text
    assert "`nn.GRU(..., bidirectional=True)`" in text and "`_reverse` counterparts" in text
    assert ("each direction outputs only its final hidden state (the forward layer's after step 256, "
            "the backward layer's after step 1)") in text
    paths = [w.path for w in layer.weights]
    assert paths[0].endswith("/forward_gru/gru_cell/kernel") and paths[3].endswith("/backward_gru/gru_cell/kernel")
    assert "`forward_kernel` is `forward_gru/gru_cell/kernel` in Keras" in text
    assert keras.__version__.startswith("3")


@pytest.mark.parametrize("name, cell", [("GRU", "gru_cell"), ("LSTM", "lstm_cell"), ("SimpleRNN", "simple_rnn_cell")])
def test_shortened_names_are_keras_paths(name, cell):
    layer = keras_layer(lambda k: k.layers.Bidirectional(getattr(k.layers, name)(H)))
    from explain.layers.recurrent import Bidirectional  # noqa: F401 (registered)
    model = explain.load(spec({"Bidirectional": {"layer": {name: {"units": H}}}}))
    code = model.nodes[-1].layer.explanation_code()
    assert layer.weights[0].path.endswith("/" + code["forward_kernel"])
    assert code["forward_kernel"].endswith(f"/{cell}/kernel")


def test_separate_backward_layer_keeps_only_gate_notes():
    layer = keras_layer(lambda k: k.layers.Bidirectional(
        k.layers.LSTM(H), backward_layer=k.layers.GRU(4, go_backwards=True)))
    s = step({"Bidirectional": {"layer": {"LSTM": {"units": H}},
                                "backward_layer": {"GRU": {"units": 4, "go_backwards": True}}}})
    assert int(s.params) == layer.count_params()
    assert set(s.notes) == {"lstm_four_groups", "gru_three_groups"}
    text = render_document("derivation", explain.load(spec({"Bidirectional": {
        "layer": {"LSTM": {"units": H}}, "backward_layer": {"GRU": {"units": 4, "go_backwards": True}}}})),
        lang="en", format="markdown")
    assert "(here `LSTM(units=7)`) and another one backwards (here `GRU(units=4, reset_after=True)`)" in text
    assert "twice" not in text.split("### 1.")[1]


@pytest.mark.parametrize("name, config, note", [("GRU", {}, "gru_reset_after"), ("LSTM", {}, "lstm_one_bias"),
                                                ("GRU", {"reset_after": False}, "gru_one_bias")])
def test_time_distributed_keeps_the_wrapped_layers_notes(name, config, note):
    """Its weights are the wrapped layer's, so its count and PyTorch's are the same as the layer's."""
    keras = require_module("keras")
    keras.utils.clear_session()
    wrapped = keras.Sequential([keras.Input((3, T, I)), keras.layers.TimeDistributed(
        getattr(keras.layers, name)(H, **config))]).layers[-1]
    plain = keras_layer(lambda k: getattr(k.layers, name)(H, **config))
    model = explain.load({"name": "t", "input": [3, T, I], "layers": [
        {"TimeDistributed": {"layer": {name: {"units": H, **config}}}}]})
    s = derive(model).steps[-1]
    assert int(s.params) == wrapped.count_params() == plain.count_params()
    assert note in s.notes


def test_a_stack_of_cells_keeps_only_the_gate_notes():
    """lstm_one_bias gives one LSTM's count, 4h(n_in + h) + 8h: not a stack's."""
    keras = require_module("keras")
    keras.utils.clear_session()
    stacked = keras.Sequential([keras.Input((T, I)), keras.layers.RNN(
        [keras.layers.LSTMCell(H), keras.layers.LSTMCell(4)])]).layers[-1]
    s = step({"RNN": {"cell": [{"LSTMCell": {"units": H}}, {"LSTMCell": {"units": 4}}]}})
    assert int(s.params) == stacked.count_params()
    assert s.notes == ("lstm_four_groups",)
    one = step({"RNN": {"cell": {"LSTMCell": {"units": H}}}})
    assert "rnn_one_bias" in one.notes


def test_every_note_a_wrapper_takes_over_is_per_direction_or_a_gate_note():
    for key in PER_DIRECTION.values():
        assert key in messages.NOTES
    for name, config in [("GRU", {}), ("GRU", {"reset_after": False}), ("GRU", {"use_bias": False}),
                         ("LSTM", {}), ("LSTM", {"use_bias": False}), ("SimpleRNN", {})]:
        for inner in ({name: {"units": H, **config}},
                      {"RNN": {"cell": {name + "Cell": {"units": H, **config}}}}):
            s = step({"Bidirectional": {"layer": inner}})
            assert set(s.notes) <= GATE_NOTES | set(PER_DIRECTION.values()) | {"bidirectional_names"}, inner


@pytest.mark.parametrize("lang", ["de", "fr", "ja", "es"])
def test_bidirectional_texts_are_translated(lang):
    text = render_document("derivation", explain.load(spec({"Bidirectional": {"layer": {"GRU": {"units": H}}}})),
                           lang=lang, format="markdown")
    assert "`GRU(units=7, reset_after=True)`" in text and "`nn.GRU(..., bidirectional=True)`" in text
    assert "each direction" not in text and "shortened" not in text
    for msgid in (_texts.BIDIRECTIONAL_GRU_RESET_AFTER, messages.NOTES["bidirectional_gru_reset_after"],
                  messages.NOTES["bidirectional_names"]):
        assert translated_part(lang, msgid) in text, (lang, msgid)


DIRECTION = [  # Keras layer, its spec, the placeholder the sentence gives for one direction, its words
    ("GRU", {}, "gru_keras_torch", "three weight groups, each with input weights, recurrent weights and two "
     "biases (one for the input part, one for the recurrent part, since `reset_after=True`)"),
    ("GRU", {"reset_after": False}, "gru_one_bias", "three weight groups, each with input weights, recurrent "
     "weights and one bias (since `reset_after=False`)"),
    ("LSTM", {}, "lstm_keras", "four weight groups (three gates and the cell candidate), each with input "
     "weights, recurrent weights and one bias"),
    ("SimpleRNN", {}, "rnn_keras", "input weights, recurrent weights and one bias"),
]


@pytest.mark.parametrize("name, config, placeholder, words", DIRECTION)
def test_bidirectional_sentence_says_what_each_direction_has(name, config, placeholder, words):
    """Round-18 en review: 2(3h(n_in + h) + 6h) appeared without saying where 6h comes from. The
    sentence says what one direction of the wrapped type has, and its formula is one Keras layer's
    count (half the wrapper's), by hand too: G groups of h(n_in + h) weights and b·G·h biases."""
    keras = require_module("keras")
    one = keras_layer(lambda k: getattr(k.layers, name)(H, **config))
    both = keras_layer(lambda k: k.layers.Bidirectional(getattr(k.layers, name)(H, **config)))
    gates = {"GRU": 3, "LSTM": 4, "SimpleRNN": 1}[name]
    biases = 2 if name == "GRU" and not config else 1
    assert value(placeholder) == one.count_params() == both.count_params() // 2 \
        == gates * H * (I + H) + biases * gates * H
    text = render_document("derivation", explain.load(spec({"Bidirectional": {"layer": {name: {"units": H, **config}}}})),
                           lang="en", format="markdown")
    formula = messages.PLACEHOLDERS[placeholder]
    from explain.render.mathtex import MathPrinter
    written = MathPrinter("en").written(formula)
    assert f"Each direction is a complete {name}: {words}, which gives ${written}$ per direction." in text
    assert keras.__version__.startswith("3")


def test_bidirectional_without_bias_keeps_the_general_sentence():
    """use_bias=False: the sentence on each direction's biases would be false; the first one stays."""
    text = render_document("derivation", explain.load(spec({"Bidirectional": {"layer": {"LSTM": {
        "units": H, "use_bias": False}}}})), lang="en", format="markdown")
    assert "twice the parameters of that layer alone." in text and "Each direction is" not in text


@pytest.mark.parametrize("lang", ["de", "fr", "ja", "es"])
@pytest.mark.parametrize("name, config", [(n, c) for n, c, _, _ in DIRECTION])
def test_bidirectional_direction_sentence_is_translated(lang, name, config):
    """Each direction's sentence in every language, with the formula of one direction."""
    model = explain.load(spec({"Bidirectional": {"layer": {name: {"units": H, **config}}}}))
    en = render_document("derivation", model, lang="en", format="markdown")
    text = render_document("derivation", model, lang=lang, format="markdown")
    formula = en.split("which gives ")[1].split(" per direction")[0]
    assert formula.startswith("$") and formula in text and "Each direction" not in text
    msgid = model.nodes[-1].layer.explanation_for(["forward_kernel"])
    assert msgid != _texts.BIDIRECTIONAL and translated_part(lang, msgid) in text, (lang, msgid)


@pytest.mark.parametrize("layer, wrapped, sentence", [
    ({"Dense": {"units": 5}}, "Dense", "with the same weights at every step, so its parameters are those of "
     "that layer alone."),
    ({"Conv1D": {"filters": 4, "kernel_size": 3}}, "Conv1D", "with the same weights at every step"),
    ({"Flatten": {}}, "Flatten", "that layer has no weights, so the wrapper has none either.")])
def test_time_distributed_names_the_layer_it_wraps(layer, wrapped, sentence):
    """Round-18 en review: the sentence did not say which layer it applies at every step."""
    keras = require_module("keras")
    keras.utils.clear_session()
    kind, args = next(iter(layer.items()))
    real = keras.Sequential([keras.Input((3, T, I)), keras.layers.TimeDistributed(
        getattr(keras.layers, kind)(**args))]).layers[-1]
    model = explain.load({"name": "t", "input": [3, T, I], "layers": [{"TimeDistributed": {"layer": layer}}]})
    assert int(derive(model).steps[-1].params) == real.count_params()
    text = render_document("derivation", model, lang="en", format="markdown")
    assert f"This wrapper applies the layer it wraps (here `{wrapped}`) to every time step" in text
    assert sentence in text
    for lang in ("de", "fr", "ja", "es"):
        translated = render_document("derivation", model, lang=lang, format="markdown")
        assert f"`{wrapped}`" in translated and "This wrapper" not in translated
