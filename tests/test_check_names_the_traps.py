"""The classic traps the checker names (issues 12 and 18): weights claimed for a layer that has
none, a pool of 2 assumed for a pool of 3, a stride left out, a GRU counted with LSTM's four gate
blocks (and the reverse), shapes compared axis by axis, the student's notation echoed as written.

Each claim is a hand derivation of the mistake, written here; the true counts and shapes come
from Keras 3 or PyTorch (tests/oracle), never from explain.
"""
from __future__ import annotations

import json

import pytest

from tests.conftest import require_module
from tests.test_check_diagnoses import keras_counts, run_check

from explain.checker import messages as M
from explain.checker import render_report
from explain.render.i18n import translate

LANGS = ["en", "de", "ja", "fr", "es"]

# Hand derivation of the shapes (valid padding): conv 64 − 3 + 1 = 62; pool3 ⌊62/3⌋ = 20;
# strided (stride 2) ⌊(20 − 3)/2⌋ + 1 = 9; pool2 ⌊9/2⌋ = 4; flat 4·4·32 = 512.
POOLS = {"name": "pools", "input": [64, 64, 3], "layers": [
    {"Conv2D": {"name": "conv", "filters": 16, "kernel_size": 3}},
    {"MaxPooling2D": {"name": "pool3", "pool_size": 3}},
    {"Conv2D": {"name": "strided", "filters": 32, "kernel_size": 3, "strides": 2}},
    {"MaxPooling2D": {"name": "pool2", "pool_size": 2}},
    {"Dropout": {"name": "drop", "rate": 0.5}},
    {"Flatten": {"name": "flat"}},
    {"Dense": {"name": "fc", "units": 10}},
]}

# (id, [shape:]layer, the student's work, diagnosis)
POOL_CASES = [
    # the 3 × 3 pool window taken for a kernel over 16 channels
    ("pool_window_as_kernel", "pool3", "3 × 3 × 16 = 144", "no_weights"),
    ("pool_window_as_conv", "pool2", "2 x 2 x 32 x 32 + 32", "no_weights"),
    ("dropout_weights", "drop", "32", "no_weights"),
    ("flatten_weights", "flat", "4 x 4 x 32", "no_weights"),
    # a pool of 2 assumed: ⌊62/2⌋ = 31
    ("pool_of_two", "shape:pool3", "31 x 31 x 16", "pool_size"),
    # the stride left out: 20 − 3 + 1 = 18
    ("stride_left_out", "shape:strided", "18 x 18 x 32", "stride_ignored"),
    # a pool of 2 assumed for pool3, carried into the dense layer: 31 → strided ⌊(31 − 3)/2⌋ + 1
    # = 15 → pool2 7; 7·7·32·10 + 10
    ("pool_of_two_downstream", "fc", "7 x 7 x 32 x 10 + 10", "pool_size"),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pooling_and_stride_traps(case, tmp_path):
    _, layer, claim, diagnosis = case
    truth = {l["name"]: l for l in keras_counts(POOLS)["layers"]}
    kind, _, layer = layer.rpartition(":")
    kind = kind or "work"
    c = run_check(tmp_path, POOLS, [{"layer": layer, kind: claim}]).claims[0]
    if kind == "shape":
        size = 1
        for d in truth[layer]["output_shape"][1:]:
            size *= d
        assert c.expected == size
    else:
        assert c.expected == truth[layer]["params"]
    assert c.verdict == "wrong"
    assert c.diagnosis == [diagnosis]


def test_weightless_and_pool_sentences_in_every_language(tmp_path):
    report = run_check(tmp_path, POOLS, [{"layer": "pool3", "work": "3 × 3 × 16"},
                                         {"layer": "drop", "work": "32"},
                                         {"layer": "pool3", "shape": "31 x 31 x 16"},
                                         {"layer": "strided", "shape": "18 x 18 x 32"}])
    pool = M.MISTAKES[("no_weights", "pool")]
    drop = M.MISTAKES[("no_weights", "dropout")]
    for lang in LANGS:
        out = render_report(report, lang=lang, format="text")
        for message in (pool, drop):
            sentence = translate(lang, message)
            assert lang == "en" or sentence != message, (lang, message)
            assert sentence in out
        assert "This does not match" not in out if lang == "en" else True
        # pool3's true output 20 × 20 × 16 and the assumed pool of 2 are named
        shape_sentence = translate(lang, M.MISTAKES["pool_size"]) % {
            "layer": "pool3", "pool": "3", "assumed": "2", "expected_shape": "(20, 20, 16)",
            "shape": "(31, 31, 16)"}
        assert shape_sentence in out
        stride_sentence = translate(lang, M.MISTAKES["stride_ignored"]) % {
            "layer": "strided", "stride": "2", "expected_shape": "(9, 9, 32)", "shape": "(18, 18, 32)"}
        assert stride_sentence in out


RNN = {"name": "rnn", "input": [30, 32], "layers": [
    {"GRU": {"name": "gru", "units": 16, "return_sequences": True}},
    {"LSTM": {"name": "lstm", "units": 16, "return_sequences": True}},
    {"SimpleRNN": {"name": "simple", "units": 16}},
]}
# i = 32 for gru; i = 16 after it. The wrong formulas a student writes:
GATE_CASES = [
    # LSTM's 4h(i + h) + 4h used for a GRU (Keras: 3h(i + h) + 6h)
    ("gru_with_four", "gru", "4 x 16 x (32 + 16) + 4 x 16", "gru"),
    # GRU's 3h(i + h) + 3h and 3h(i + h) + 6h used for an LSTM (4h(i + h) + 4h)
    ("lstm_with_three", "lstm", "3 x 16 x (16 + 16) + 3 x 16", "lstm"),
    ("lstm_with_gru_biases", "lstm", "3 x 16 x (16 + 16) + 6 x 16", "lstm"),
    # a simple RNN counted as an LSTM
    ("simple_with_four", "simple", "4 x 16 x (16 + 16) + 4 x 16", "simple"),
]


@pytest.mark.parametrize("case", GATE_CASES, ids=[c[0] for c in GATE_CASES])
def test_gate_counts(case, tmp_path):
    _, layer, claim, key = case
    truth = {l["name"]: l["params"] for l in keras_counts(RNN)["layers"]}
    c = run_check(tmp_path, RNN, [{"layer": layer, "work": claim}]).claims[0]
    assert c.expected == truth[layer]
    assert (c.verdict, c.diagnosis) == ("wrong", ["wrong_gate_count"])
    assert M.mistake_key("wrong_gate_count", c.mistakes[0].detail) == ("wrong_gate_count", key)


def test_torch_gru_with_lstm_gates(tmp_path):
    torch = require_module("torch")
    spec = {"name": "tgru", "framework": "pytorch", "input": [20, 32], "layers": [
        {"GRU": {"name": "gru", "input_size": 32, "hidden_size": 16, "batch_first": True}}]}
    truth = sum(p.numel() for p in torch.nn.GRU(32, 16).parameters())
    # PyTorch's LSTM count 4h(i + h) + 8h used for its GRU (3h(i + h) + 6h)
    c = run_check(tmp_path, spec, [{"layer": "gru", "work": "4 x 16 x (32 + 16) + 8 x 16"}]).claims[0]
    assert c.expected == truth == 3 * 16 * 48 + 6 * 16
    assert c.diagnosis == ["wrong_gate_count"]
    assert M.mistake_key("wrong_gate_count", c.mistakes[0].detail) == ("wrong_gate_count", "gru")


def test_torch_pool_of_two_channels_first(tmp_path):
    torch = require_module("torch")
    spec = {"name": "tpool", "framework": "pytorch", "input": [3, 32, 32], "layers": [
        {"Conv2d": {"name": "conv", "in_channels": 3, "out_channels": 8, "kernel_size": 3}},
        {"MaxPool2d": {"name": "pool", "kernel_size": 3}}]}
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.MaxPool2d(3))
    true_shape = tuple(net(torch.zeros(1, 3, 32, 32)).shape[1:])
    assert true_shape == (8, 10, 10)  # 32 − 3 + 1 = 30; ⌊30/3⌋ = 10
    # a pool of 2: ⌊30/2⌋ = 15, channels first
    c = run_check(tmp_path, spec, [{"layer": "pool", "shape": "8 x 15 x 15"}]).claims[0]
    assert c.expected == 8 * 10 * 10
    assert c.diagnosis == ["pool_size"]
    assert [(a["name"], a["claimed"], a["expected"]) for a in c.axes] == [("height", 15, 10), ("width", 15, 10)]


def test_shapes_compared_axis_by_axis(tmp_path):
    truth = {l["name"]: tuple(l["output_shape"][1:]) for l in keras_counts(POOLS)["layers"]}
    assert truth["conv"] == (62, 62, 16) and truth["pool3"] == (20, 20, 16)
    report = run_check(tmp_path, POOLS, [
        {"layer": "conv", "shape": "62 x 62 x 32"},        # the channels of the next layer
        {"layer": "pool3", "shape": "(None, 20, 21, 16)"},  # Keras's notation, the width off
        {"layer": "pool3", "shape": "31² × 16"},            # a square written as a power
        {"layer": "flat", "shape": "512"},                  # one axis: nothing to compare by axis
    ])
    conv, wide, square, flat = report.claims
    assert conv.axes == [{"axis": 3, "name": "channels", "claimed": 32, "expected": 16}]
    assert wide.axes == [{"axis": 2, "name": "width", "claimed": 21, "expected": 20}]
    assert [a["name"] for a in square.axes] == ["height", "width"] and square.diagnosis == ["pool_size"]
    assert flat.verdict == "correct" and flat.axes == []
    out = render_report(report, format="text")
    assert "The number of channels is 16, not 32." in out
    assert "The width is 20, not 21." in out
    assert "The height and the width are 20, not 31." in out
    # the products are not what the sheet compares any more
    assert "not 123,008" not in out and "not 6,976" not in out
    data = json.loads(render_report(report, format="json"))
    assert data["claims"][0]["axes"] == conv.axes
    for lang in LANGS:
        out = render_report(report, lang=lang, format="markdown")
        sentence = translate(lang, M.AXES["channels"]) % {"expected": "16", "claimed": "32", "axis": "3"}
        assert lang == "en" or sentence != M.AXES["channels"] % {"expected": "16", "claimed": "32"}
        assert sentence in out


def test_the_students_notation_is_echoed_as_written(tmp_path):
    report = run_check(tmp_path, POOLS, [
        {"layer": "conv", "work": "3 × 3 × 3 × 16² = 6912"},
        {"layer": "fc", "work": "512·10\t+  10 = 5130"},
        {"layer": "fc", "work": "512·10 + 10\u202e\u200b = 5130"},   # unreadable, echoed safely
        {"layer": "conv", "shape": "(None, 62, 62, 16)"},              # a shape as Keras prints it
    ])
    assert [c.verdict for c in report.claims] == ["wrong", "correct", "unreadable", "correct"]
    text = render_report(report, format="text")
    # × stays ×, the square stays a superscript (not 16**2 or 16^2), the locale groups digits
    assert "3 × 3 × 3 × 16² = 6,912" in text
    assert "16**2" not in text and "16^2" not in text and "3*3" not in text
    assert "512 × 10 + 10 = 5,130" in text
    assert "62 × 62 × 16" in text
    markdown = render_report(report, format="markdown")
    assert r"16^{2}" in markdown and r"\times" in markdown and "16**2" not in markdown
    latex = render_report(report, format="latex")
    for out in (text, markdown, latex):
        assert "\u202e" not in out and "\u200b" not in out
    assert report.claims[2].written == "512·10 + 10 = 5130"
    # the JSON keeps SPEC §5's normalized claim
    assert json.loads(render_report(report, format="json"))["claims"][1]["claimed"] == "512*10 + 10 = 5130"


BN = {"name": "bn", "input": [784], "layers": [
    {"Dense": {"name": "fc", "units": 256, "use_bias": False}},
    {"BatchNormalization": {"name": "bn"}},
]}


def test_bn_non_trainable_zero_is_the_classic_mistake(tmp_path):
    figures = keras_counts(BN)
    assert figures["non_trainable"] == 2 * 256  # moving mean and variance, one per channel
    report = run_check(tmp_path, BN, [{"non_trainable": "0"}])
    c = report.claims[0]
    assert (c.verdict, c.diagnosis) == ("wrong", ["bn_non_trainable"])
    for lang in LANGS:
        out = render_report(report, lang=lang, format="text")
        message = M.MISTAKES[("bn_non_trainable", "non_trainable")]
        assert translate(lang, message).split("%(")[0] in out
        assert translate(lang, M.NO_DIAGNOSIS) not in out


def test_a_one_layer_total_is_no_sum(tmp_path):
    spec = {"name": "one", "input": [3], "layers": [{"Dense": {"name": "fc", "units": 128}}]}
    figures = keras_counts(spec)
    assert figures["total"] == 3 * 128 + 128 == 512
    report = run_check(tmp_path, spec, [{"total": "384"}])  # 3·128, the bias left out
    assert report.claims[0].diagnosis == ["missing_bias"]
    for fmt in ("text", "markdown", "latex"):
        out = render_report(report, format=fmt)
        assert "512 = 512" not in out, fmt
        assert "Σ = 512" in out or r"\Sigma = 512" in out or "Σ = 512" in out.replace("$", ""), fmt
