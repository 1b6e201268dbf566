"""The recurrent layers' sentences and bias notes (issues 12 and 18, native reviews): each layer says
what it computes at each step, the PyTorch comparison names PyTorch's real parameters and gives
PyTorch's count, and the count formulas in the notes are checked against Keras 3 and PyTorch."""
from __future__ import annotations

import re

import pytest
import sympy

from tests.conftest import require_module

import explain
from explain.derivation import derive
from explain.render import messages, render_document
from explain.render.i18n import translations

LANGS = ("de", "fr", "ja", "es")
I, H = 12, 7  # input features and hidden units of the layers built below


def markdown(model, lang: str = "en") -> str:
    return render_document("derivation", model, lang=lang, format="markdown")


def notes_of(spec) -> list[str]:
    return [k for s in derive(explain.load(spec)).steps for k in s.notes]


def keras_spec(layer: str, **config) -> dict:
    return {"name": "r", "input": [5, I], "layers": [{layer: {"units": H, **config}}]}


def value(placeholder: str) -> int:
    """A note's formula at n_in = I, h = H."""
    formula = messages.PLACEHOLDERS[placeholder]
    return int(formula.subs({sympy.Symbol("n_in"): I, sympy.Symbol("h"): H}))


def torch_params(module) -> tuple[int, set[str]]:
    return sum(p.numel() for p in module.parameters()), {n for n, _ in module.named_parameters()}


def keras_params(layer) -> int:
    keras = require_module("keras")
    return keras.Sequential([keras.Input((5, I)), layer]).count_params()


@pytest.mark.parametrize("keras_name, torch_name, note, formula", [
    ("LSTM", "LSTM", "lstm_one_bias", "lstm_torch"),
    ("SimpleRNN", "RNN", "simple_rnn_one_bias", "rnn_torch"),
])
def test_keras_note_names_pytorchs_biases_and_gives_its_count(keras_name, torch_name, note, formula):
    torch = require_module("torch")
    count, names = torch_params(getattr(torch.nn, torch_name)(I, H))
    assert {"bias_ih_l0", "bias_hh_l0"} <= names
    gates = {"LSTM": 4, "RNN": 1}[torch_name]
    assert count == gates * H * (I + H) + 2 * gates * H == value(formula)  # by hand: two biases per group
    assert note in notes_of(keras_spec(keras_name))
    text = markdown(explain.load(keras_spec(keras_name)))
    assert f"`nn.{torch_name}`" in text and "`bias_ih_l0` and `bias_hh_l0`" in text
    assert "`b_ih`" not in text
    # which framework "this layer" belongs to, against PyTorch's
    assert "In Keras this layer has one bias vector" in text
    if torch_name == "LSTM":  # each tensor holds one bias per group: 4h entries (by hand, h = H)
        assert dict(getattr(torch.nn, torch_name)(I, H).named_parameters())["bias_ih_l0"].numel() == 4 * H
        assert "two bias vectors of length $4h$, `bias_ih_l0` and `bias_hh_l0`" in text
    assert all(translations(lang).gettext(messages.NOTES[note]) != messages.NOTES[note] for lang in LANGS)


def test_gru_notes_say_what_reset_after_changes_and_that_pytorch_has_two():
    torch = require_module("torch")
    keras = require_module("keras")
    count, names = torch_params(torch.nn.GRU(I, H))
    default = keras_params(keras.layers.GRU(H))
    one_bias = keras_params(keras.layers.GRU(H, reset_after=False))
    assert {"bias_ih_l0", "bias_hh_l0"} <= names
    # by hand: 3 groups of h·(i + h) weights; 6h biases with two per group, 3h with one
    assert count == default == 3 * H * (I + H) + 6 * H == value("gru_keras_torch")
    assert one_bias == 3 * H * (I + H) + 3 * H == value("gru_one_bias")
    assert "gru_reset_after" in notes_of(keras_spec("GRU"))
    assert "gru_one_bias" in notes_of(keras_spec("GRU", reset_after=False))
    text = markdown(explain.load(keras_spec("GRU")))
    # Keras's bias is (2, 3h) here (checked in test_keras_bias_notes_say_keras_own_bias_tensor)
    assert ("With `reset_after=True` (Keras's default), each of its weight groups (the two gates and the "
            "candidate state) has input weights, recurrent weights and two biases, one for the input part "
            "and one for the recurrent part. The layer's bias is therefore a matrix of shape $(2, 3h)$: "
            "one row for the input part, one for the recurrent part.") in text
    assert ("With `reset_after=False`, the bias would be one vector of length $3h$, giving "
            "$3h(n_{\\text{in}} + h) + 3h$") in text
    # two by default: nn.GRU(bias=False) has none, so the note may not say "always"
    assert not {n for n in torch_params(torch.nn.GRU(I, H, bias=False))[1] if "bias" in n}
    # the gate order (Keras z, r, h; PyTorch r, z, n) is checked in test_gru_bias_rows_match_pytorch_up_to_gate_order
    assert ("`nn.GRU` has two bias vectors of length $3h$, `bias_ih_l0` and `bias_hh_l0`. They correspond to the "
            "two rows of this layer's bias up to the order of the gates (Keras: update, reset, candidate; "
            "PyTorch: reset, update, candidate). So `nn.GRU` has the same number of parameters as this layer, "
            f"$3h(n_{{\\text{{in}}}} + h) + 6h$ ({sum(p.numel() for p in torch.nn.GRU(I, H).parameters()):,} here).") in text
    assert {n: tuple(p.shape) for n, p in torch.nn.GRU(I, H).named_parameters() if "bias" in n} == \
        {"bias_ih_l0": (3 * H,), "bias_hh_l0": (3 * H,)}
    assert "always" not in text


def _keras_bias_shape(layer) -> tuple:
    layer.build((None, 5, I))
    return next(tuple(w.shape) for w in layer.weights if w.path.endswith("bias"))


@pytest.mark.parametrize("layer, config, shape, wanted", [
    ("LSTM", {}, (4 * H,), "In Keras this layer has one bias vector of length $4h$: the biases of the four weight groups ($h$ each) one after another."),
    ("GRU", {"reset_after": False}, (3 * H,), "The layer's bias is therefore one vector of length $3h$: the biases of the three weight groups, $h$ each, one after another."),
    ("GRU", {}, (2, 3 * H), "The layer's bias is therefore a matrix of shape $(2, 3h)$: one row for the input part, one for the recurrent part."),
    ("SimpleRNN", {}, (H,), "In Keras this layer has one bias vector;"),
])
def test_keras_bias_notes_say_keras_own_bias_tensor(layer, config, shape, wanted):
    """Keras keeps one bias tensor per layer: LSTM (4h,), GRU reset_after=False (3h,), GRU
    reset_after=True (2, 3h) (two rows: an input and a recurrent bias), SimpleRNN (h,); the notes
    say so, not 'one bias vector per weight group', in every language (each says the length)."""
    keras = require_module("keras")
    assert _keras_bias_shape(getattr(keras.layers, layer)(H, **config)) == shape
    for spec in (keras_spec(layer, **config),
                 {"name": "b", "input": [5, I], "layers": [{"Bidirectional": {"layer": {layer: {"units": H, **config}}}}]}):
        text = markdown(explain.load(spec))
        assert "bias vector per weight group" not in text
        if "Bidirectional" not in str(spec):
            assert wanted in text
        for lang in LANGS:
            assert re.search(r"[34]h", markdown(explain.load(spec), lang)) or layer == "SimpleRNN", lang


def test_pytorch_cells_note_uses_the_cells_parameter_names():
    torch = require_module("torch")
    _, names = torch_params(torch.nn.RNNCell(I, H))
    assert names == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    assert messages.plain_placeholders()["b_ih"] == "bias_ih"
    spec = {"name": "c", "input": [5, I], "layers": [{"RNN": {"cell": {"SimpleRNNCell": {"units": H}}}}]}
    assert "simple_cell_one_bias" in notes_of(spec)
    assert "`nn.RNNCell` has two (`bias_ih` and `bias_hh`)" in markdown(explain.load(spec))


def test_convlstm_has_no_pytorch_note():
    """PyTorch has no ConvLSTM: no note may compare the bias with 'the same layer in PyTorch'."""
    spec = {"name": "c", "input": [4, 8, 8, 3], "layers": [{"ConvLSTM2D": {"filters": 2, "kernel_size": 3}}]}
    assert not any("bias" in n for n in notes_of(spec))


def first_sentence(text: str, heading: str) -> str:
    # the heading's brackets are the language's ("(LSTM)", ja "（LSTM）")
    brackets = re.escape(heading).replace(r"\(", "[(（]").replace(r"\)", "[)）]")
    section = re.split(rf"^###.*{brackets}$", text, flags=re.M)[1].split("###")[0]
    return next(line for line in section.splitlines() if line.strip()).split(". ")[0].split("。")[0]


@pytest.mark.parametrize("lang", ("en",) + LANGS)
def test_lstm_and_gru_open_with_their_own_sentence(lang):
    """An LSTM keeps a hidden and a cell state, a GRU only a hidden state: their openings differ
    (the same generic sentence twice read as padding), and no sentence says a layer 'computes a
    time step'."""
    text = markdown(explain.load({"name": "r", "input": [30, 32], "layers": [
        {"LSTM": {"units": 64, "return_sequences": True}}, {"GRU": {"units": 16}}]}), lang)
    lstm, gru = first_sentence(text, "(LSTM)"), first_sentence(text, "(GRU)")
    assert lstm != gru
    if lang == "en":
        assert lstm.startswith("An LSTM layer computes its hidden state and its cell state at each time step")
        assert gru.startswith("A GRU layer computes its hidden state at each time step")
        assert "computes every time step" not in text


def test_embedding_and_recurrent_shapes_say_where_the_axes_come_from():
    """Keras: Embedding(2000, 32) on 30 indices gives (None, 30, 32); LSTM(64, return_sequences)
    then (None, 30, 64) and GRU(16) (None, 16). The text names the 30 indices, the vector length
    32 and the 30 time steps."""
    keras = require_module("keras")
    x = keras.Input((30,))
    e = keras.layers.Embedding(2000, 32)(x)
    seq = keras.layers.LSTM(64, return_sequences=True)(e)
    last = keras.layers.GRU(16)(seq)
    assert [tuple(t.shape) for t in (e, seq, last)] == [(None, 30, 32), (None, 30, 64), (None, 16)]
    text = markdown(explain.load({"name": "r", "input": [30], "layers": [
        {"Embedding": {"input_dim": 2000, "output_dim": 32}},
        {"LSTM": {"units": 64, "return_sequences": True}}, {"GRU": {"units": 16}}]}))
    assert ("Each of the 30 indices of the input is replaced by its vector of length 32, which "
            "adds a last axis: `(None, 30, 32)`.") in text
    assert "outputs its hidden state at each of the 30 time steps, so the time axis stays" in text
    assert "outputs only its hidden state after the last of the 30 time steps" in text


def test_pytorch_embedding_on_a_batch_of_sequences_says_every_index():
    """nn.Embedding(100, 8) on indices of shape (4, 5) gives (4, 5, 8): a last axis of 8."""
    torch = require_module("torch")
    out = torch.nn.Embedding(100, 8)(torch.zeros(4, 5, dtype=torch.long))
    assert tuple(out.shape) == (4, 5, 8)
    text = markdown(explain.load({"name": "e", "framework": "pytorch", "input": [4, 5], "layers": [
        {"Embedding": {"num_embeddings": 100, "embedding_dim": 8}}]}))
    assert "Every index of the input is replaced by its vector of length 8, which adds a last axis" in text


def test_reshape_then_simple_rnn_links_the_sixteen_values_to_the_sequence():
    """Keras: Reshape((4, 4)) of 16 values, then SimpleRNN(8): the recurrent layer sees 4 time
    steps with 4 features each (h(i + h) + h = 8·(4 + 8) + 8 = 104 by hand)."""
    keras = require_module("keras")
    x = keras.Input((16,))
    r = keras.layers.Reshape((4, 4))(x)
    rnn = keras.layers.SimpleRNN(8)
    out = rnn(r)
    assert tuple(r.shape) == (None, 4, 4) and tuple(out.shape) == (None, 8)
    assert rnn.count_params() == 8 * (4 + 8) + 8
    text = markdown(explain.load({"name": "p", "input": [16], "layers": [
        {"Reshape": {"target_shape": [4, 4]}}, {"SimpleRNN": {"units": 8}}]}))
    # review 37 (es): a reshape keeps the values' order; only the shape changes
    assert "All 16 values are kept in the same order; only the shape changes: $16 = 4 \\times 4$." in text
    # review 30 (es 3): the tensor is a batch of sequences, not one sequence
    assert "Its input `(None, 4, 4)` holds, for each sample of the batch, a sequence of 4 time steps with 4 features each." in text


def test_short_code_in_a_sentence_never_breaks_in_latex():
    """'reset_after=True' broken after its underscore read as two names in the PDF."""
    tex = render_document("derivation", explain.load(keras_spec("GRU")), lang="de", format="latex")
    assert r"\texttt{reset\_after=True}" in tex and r"\texttt{bias\_ih\_l0}" in tex


def test_lstm_note_says_bias_vectors_and_de_fr_read_naturally():
    """torch.nn.LSTM keeps b_ih and b_hh, each 4h long: two bias vectors, two biases per weight group (round-8
    reviewers: 'two per weight group' lacked its noun; de doubled 'aus', fr said 'actuelle')."""
    torch = require_module("torch")
    lstm = torch.nn.LSTM(I, H)
    assert {n: tuple(p.shape) for n, p in lstm.named_parameters() if "bias" in n} == \
        {"bias_ih_l0": (4 * H,), "bias_hh_l0": (4 * H,)}
    spec = keras_spec("LSTM")
    # review 30 (en, de): a verb after the comma, not a colon clause; PyTorch's count with its number
    # (torch: nn.LSTM(I, H) counted) and what it has more (4h)
    keras_count = 4 * H * (I + H) + 4 * H
    torch_count = sum(p.numel() for p in lstm.parameters())
    assert torch_count - keras_count == 4 * H
    assert ("PyTorch's `nn.LSTM` has two bias vectors of length $4h$, `bias_ih_l0` and `bias_hh_l0`, so each "
            "weight group has two biases of length $h$ there, one in each vector. `nn.LSTM` thus has "
            f"$4h(n_{{\\text{{in}}}} + h) + 8h$ parameters: {torch_count:,} here, $4h = {4 * H}$ more than this "
            "layer.") in markdown(explain.load(spec))
    de = render_document("derivation", explain.load(spec), lang="de", format="markdown")
    assert "aus der aktuellen Eingabe und den Zuständen des vorigen Zeitschritts." in de
    fr = render_document("derivation", explain.load(spec), lang="fr", format="markdown")
    assert "l’entrée courante" in fr and "actuelle" not in fr


def _keras_gru_and_torch_gru(reset_after: bool, reorder: bool = True):
    """A Keras GRU(H, reset_after=…) with random weights, and nn.GRU(I, H) given the same weights
    (Keras orders the gates z, r, h and multiplies row vectors; PyTorch orders them r, z, n; with
    reorder=False the blocks are copied in Keras's order); the outputs of both on one random sequence."""
    keras, torch = require_module("keras"), require_module("torch")
    import numpy as np
    rng = np.random.default_rng(0)
    layer = keras.layers.GRU(H, reset_after=reset_after, return_sequences=True)
    layer.build((None, 5, I))
    kernel, recurrent, bias = (rng.normal(size=tuple(w.shape)).astype("float32") for w in layer.weights)
    layer.set_weights([kernel, recurrent, bias])
    x = rng.normal(size=(2, 5, I)).astype("float32")
    keras_out = keras.ops.convert_to_numpy(layer(x))

    def rzn(m):  # Keras's z, r, h blocks along the last axis → PyTorch's r, z, n along the first
        blocks = [m[..., H:2 * H], m[..., :H], m[..., 2 * H:]] if reorder else [m]
        return np.concatenate(blocks, axis=-1).T
    gru = torch.nn.GRU(I, H, batch_first=True)
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    with torch.no_grad():
        for name, value in (("weight_ih_l0", rzn(kernel)), ("weight_hh_l0", rzn(recurrent)),
                            ("bias_ih_l0", rzn(input_bias)), ("bias_hh_l0", rzn(recurrent_bias))):
            getattr(gru, name).copy_(torch.from_numpy(np.ascontiguousarray(value)))
        torch_out = gru(torch.from_numpy(x))[0].numpy()
    return keras_out, torch_out


def test_gru_reset_after_false_has_no_pytorch_twin_and_its_section_says_so():
    """nn.GRU computes n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) (torch's documented equation):
    the reset gate after the recurrent product, as Keras's GRU with reset_after=True; with
    reset_after=False Keras multiplies r ⊙ h by the recurrent kernel (Keras's GRUCell). With the
    same weights nn.GRU gives Keras's reset_after=True output and not the reset_after=False one.
    The reset_after=False section (review 28: the second GRU of rnn_keras) opens with the GRU
    sentence naming reset_after=False, says its factor 3 again and says PyTorch has no equivalent."""
    import numpy as np
    keras_out, torch_out = _keras_gru_and_torch_gru(reset_after=True)
    assert np.allclose(keras_out, torch_out, atol=1e-5)
    keras_out, torch_out = _keras_gru_and_torch_gru(reset_after=False)
    assert not np.allclose(keras_out, torch_out, atol=1e-3)
    spec = {"name": "rnn_keras", "input": [20, 16], "layers": [
        {"LSTM": {"units": 32, "return_sequences": True}}, {"GRU": {"units": 24, "return_sequences": True}},
        {"GRU": {"units": 8, "reset_after": False}}, {"Dense": {"units": 1}}]}
    text = markdown(explain.load(spec))
    gru, gru_1 = (text.split(f"`{name}` (GRU)\n", 1)[1].split("\n### ", 1)[0] for name in ("gru", "gru_1"))
    assert gru_1.lstrip().startswith(
        "A GRU layer computes its hidden state at each time step from the current input and its previous "
        "hidden state. With `reset_after=False`, each of its weight groups (the two gates and the candidate "
        "state) has input weights, recurrent weights and one bias.")
    factor = messages.NOTES["gru_three_groups"]
    assert factor in gru and factor in gru_1
    assert ("With `reset_after=False`, Keras applies the reset gate to the previous hidden state before "
            "multiplying it by the candidate state's recurrent weights. PyTorch has no built-in equivalent of "
            "this layer: `nn.GRU` applies the reset gate after that product") in gru_1
    # the count is nn.GRU's, named, not the layer's (review 29: "It has" read as this layer)
    # review 30 (en 2, es 2, de 3): the number too, nn.GRU(24, 8) counted by torch: 816, 3h = 24 more
    torch = require_module("torch")
    assert sum(p.numel() for p in torch.nn.GRU(24, 8).parameters()) == 816 == 3 * 8 * (24 + 8) + 3 * 8 + 24
    assert ("With the default `bias=True`, `nn.GRU` has two bias vectors of length $3h$, `bias_ih_l0` and "
            "`bias_hh_l0`, and so $3h(n_{\\text{in}} + h) + 6h$ parameters: 816 here, $3h = 24$ more than this "
            "layer.") in gru_1
    assert "no built-in equivalent" not in gru
    for lang in LANGS:
        local = markdown(explain.load(spec), lang)
        section = local.split("`gru_1`", 2)[2].split("\n### ", 1)[0]
        assert "`reset_after=False`" in section and "GRU" in section.split("\n\n")[1], lang
        assert translations(lang).gettext(messages.NOTES["gru_three_groups"]) in section, lang


def test_gru_bias_rows_match_pytorch_up_to_gate_order():
    """The gru note says nn.GRU's bias_ih_l0 and bias_hh_l0 are the two rows of Keras's (2, 3h) bias
    up to the gate order (Keras z, r, h; PyTorch r, z, n): copied in PyTorch's order the outputs
    agree, copied block for block in Keras's order they do not."""
    import numpy as np
    keras_out, torch_out = _keras_gru_and_torch_gru(reset_after=True)
    assert np.allclose(keras_out, torch_out, atol=1e-5)
    keras_out, torch_out = _keras_gru_and_torch_gru(reset_after=True, reorder=False)
    assert not np.allclose(keras_out, torch_out, atol=1e-3)


def test_gru_reset_after_false_resets_only_the_candidates_recurrent_product():
    """The gru_1 note says Keras (reset_after=False) applies the reset gate to h_{t-1} before multiplying
    it by the candidate state's recurrent weights: by hand, z = σ(x W_z + h U_z + b_z), r = σ(x W_r + h U_r
    + b_r), h̃ = tanh(x W_h + (r ⊙ h) U_h + b_h), h' = z ⊙ h + (1 − z) ⊙ h̃ gives Keras's output; resetting
    h in the update gate's product too does not."""
    keras = require_module("keras")
    import numpy as np
    rng = np.random.default_rng(1)
    layer = keras.layers.GRU(H, reset_after=False, return_sequences=True)
    layer.build((None, 5, I))
    kernel, recurrent, bias = (rng.normal(size=tuple(w.shape)).astype("float32") for w in layer.weights)
    layer.set_weights([kernel, recurrent, bias])
    x = rng.normal(size=(2, 5, I)).astype("float32")
    keras_out = keras.ops.convert_to_numpy(layer(x))

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    def run(reset_all: bool):
        W, U, b = (np.split(m, 3, axis=-1) for m in (kernel, recurrent, bias))
        h, out = np.zeros((2, H), "float32"), []
        for t in range(5):
            z = sigmoid(x[:, t] @ W[0] + h @ U[0] + b[0])
            r = sigmoid(x[:, t] @ W[1] + h @ U[1] + b[1])
            if reset_all:
                z = sigmoid(x[:, t] @ W[0] + (r * h) @ U[0] + b[0])
            candidate = np.tanh(x[:, t] @ W[2] + (r * h) @ U[2] + b[2])
            h = z * h + (1 - z) * candidate
            out.append(h)
        return np.stack(out, axis=1)
    assert np.allclose(keras_out, run(reset_all=False), atol=1e-5)
    assert not np.allclose(keras_out, run(reset_all=True), atol=1e-3)
