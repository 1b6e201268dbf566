"""The checker judges what it can and says what it cannot (issue 11, item 6): unreadable claims
get their own verdict, Keras-printed shapes with unknown axes, and the newer diagnoses. Every
true count comes from real Keras 3 (tests/oracle) or PyTorch in the test; every wrong claim is a
hand derivation of the mistake, written here."""
from __future__ import annotations

import json

import pytest

import explain
from explain.checker import render_report
from tests.test_check_diagnoses import keras_counts, run_check
from tests.test_check_worksheets import SEED_SUMMARY, run


def test_one_unreadable_claim_does_not_abort_the_sheet(tmp_path):
    sheet = tmp_path / "w.txt"
    sheet.write_text("model: example:seed-cnn\n"
                     "dense_3: 128 x 9 + 9 = 1161\n"
                     "dense_2: 512 x 128 + ein Bias = 65664\n"     # not arithmetic
                     "dense_9: 5\n"                                # no such layer
                     "dense_1: 1.5\n")
    result = run(str(sheet), "--format", "json")
    assert result.returncode == 1, result.stderr
    claims = json.loads(result.stdout)["claims"]
    assert [c["verdict"] for c in claims] == ["correct", "unreadable", "unreadable", "unreadable"]
    assert claims[0]["expected"] == 128 * 9 + 9
    assert "unexpected character 'e'" in claims[1]["reason"]
    assert "no layer 'dense_9'" in claims[2]["reason"]
    assert "whole number" in claims[3]["reason"]
    for lang in ("en", "de", "ja", "fr", "es"):
        text = render_report(explain.check(sheet), lang=lang, format="text")
        assert "dense_9" in text


def test_only_unreadable_claims_exit_2(tmp_path):
    sheet = tmp_path / "w.txt"
    sheet.write_text("model: example:seed-cnn\ndense_2: zwei mal drei\n")
    result = run(str(sheet))
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "line 2" in result.stderr


SEQ = {"name": "seq", "input": [None, 8], "layers": [
    {"LSTM": {"name": "lstm", "units": 32, "return_sequences": True}},
    {"Dense": {"name": "out", "units": 4}},
]}


def test_keras_shapes_with_unknown_axes(tmp_path):
    figures = keras_counts(SEQ)
    shapes = {l["name"]: l["output_shape"] for l in figures["layers"]}
    assert shapes["lstm"] == [None, None, 32]                        # as Keras prints it
    report = run_check(tmp_path, SEQ, [
        {"layer": "lstm", "shape": "(None, None, 32)"},
        {"layer": "lstm", "shape": "(None, None, 64)"},
        {"layer": "out", "shape": "(None, None, 4)"},
        {"layer": "out", "shape": "(None, 20, 4)"},                 # the time axis is not known
        {"layer": "out", "shape": "4 x 20"},                        # a product cannot be judged
    ])
    got = [(c.verdict, c.expected) for c in report.claims]
    assert got[:4] == [("correct", 32), ("wrong", 32), ("correct", 4), ("correct", 4)]
    assert report.claims[4].verdict == "unreadable" and "unknown size" in report.claims[4].reason


def test_an_arithmetic_slip_is_not_told_it_matches_no_mistake(tmp_path):
    sheet = tmp_path / "w.txt"
    sheet.write_text("model: example:seed-cnn\nconv2d_1: 3 x 3 x 3 x 32 + 32 = 900\n")
    report = explain.check(sheet)
    assert report.claims[0].verdict == "arithmetic_slip"
    text = render_report(report, format="text")
    assert "does not match a mistake" not in text


CONV = {"name": "conv", "input": [28, 28, 16], "layers": [
    {"Conv2D": {"name": "conv", "filters": 32, "kernel_size": 3}},
    {"Conv2D": {"name": "grouped", "filters": 64, "kernel_size": 3, "groups": 4}},
    {"MaxPooling2D": {"name": "pool", "pool_size": 2}},
    {"Flatten": {"name": "flat"}},
    {"Dense": {"name": "fc", "units": 10}},
]}
# conv 28→26 (32 ch); grouped 26→24 (64 ch, c_in/g = 8); pool 24→12; flat 12·12·64 = 9216


@pytest.mark.parametrize("layer, claim, diagnosis", [
    # the channels written and used the other way round: 32 → 16, so the bias has 16 entries
    ("conv", "3 x 3 x 32 x 16 + 16", "channels_swapped"),
    # the same numbers in the usual order: only the bias is wrong
    ("conv", "3 x 3 x 16 x 32 + 16", "bias_size"),
    # grouped (g = 4), 32 → 64 read as 64 → 32: k·k·(64/4)·32 + 32
    ("grouped", "3 x 3 x 16 x 32 + 32", "channels_swapped"),
    ("shape:conv", "26 x 26 x 16", "channels_swapped"),
    # the pooling layer skipped: 24·24·64 values flattened, and the dense layer carries it on
    ("shape:flat", "24 x 24 x 64 = 36864", "pooling_skipped"),
    ("fc", "24 x 24 x 64 x 10 + 10 = 368650", "pooling_skipped"),
])
def test_channels_swapped_and_pooling_skipped(layer, claim, diagnosis, tmp_path):
    truth = {l["name"]: l for l in keras_counts(CONV)["layers"]}
    kind, _, layer = layer.rpartition(":")
    c = run_check(tmp_path, CONV, [{"layer": layer, (kind or "work"): claim}]).claims[0]
    if kind:
        size = 1
        for d in truth[layer]["output_shape"][1:]:
            size *= d
        assert c.expected == size
    else:
        assert c.expected == truth[layer]["params"]
    assert c.verdict == "wrong" and c.diagnosis[0] == diagnosis, c.diagnosis


def test_total_carries_the_pooling_mistake_forward(tmp_path):
    figures = keras_counts(CONV)
    fc = next(l["params"] for l in figures["layers"] if l["name"] == "fc")
    wrong_total = figures["total"] - fc + (24 * 24 * 64 * 10 + 10)
    c = run_check(tmp_path, CONV, [{"total": str(wrong_total)}]).claims[0]
    assert c.expected == figures["total"] and c.diagnosis[0] == "pooling_skipped"


STACK = {"name": "stack", "input": [30, 32], "layers": [
    {"Bidirectional": {"name": "bi", "layer": {"LSTM": {"units": 64, "return_sequences": True}}}},
    {"LSTM": {"name": "after_bi", "units": 16, "return_sequences": True}},
    {"LSTM": {"name": "stacked", "units": 8}},
]}


@pytest.mark.parametrize("layer, claim, direction", [
    # i = h = 64 (one direction) instead of 2h = 128
    ("after_bi", "4 x 16 x (64 + 16) + 4 x 16", True),
    # the model's input size 32 instead of the 16 the LSTM before it returns
    ("stacked", "4 x 8 x (32 + 8) + 4 x 8", False),
])
def test_input_size_from_the_wrong_layer(layer, claim, direction, tmp_path):
    truth = {l["name"]: l["params"] for l in keras_counts(STACK)["layers"]}
    c = run_check(tmp_path, STACK, [{"layer": layer, "work": claim}]).claims[0]
    assert c.expected == truth[layer]
    assert c.verdict == "wrong" and c.diagnosis[0] == "input_from_wrong_layer", c.diagnosis
    assert bool(c.mistakes[0].detail.get("direction")) is direction


BN = {"name": "bn", "input": [20], "layers": [
    {"Dense": {"name": "fc", "units": 64}},
    {"BatchNormalization": {"name": "bn"}},
    {"Dense": {"name": "out", "units": 3}},
]}


def test_batchnorm_counted_as_4c_non_trainable(tmp_path):
    figures = keras_counts(BN)
    C = 64
    assert figures["non_trainable"] == 2 * C
    report = run_check(tmp_path, BN, [{"non_trainable": str(4 * C)},
                                      {"trainable": str(figures["trainable"] - 2 * C)}])
    assert [c.expected for c in report.claims] == [figures["non_trainable"], figures["trainable"]]
    assert [c.diagnosis[:1] for c in report.claims] == [["bn_all_non_trainable"]] * 2


def test_a_total_that_carries_a_layer_error_forward(tmp_path):
    # the article's dense_2 with a wrong result (66048 = 512·128 + 512), summed into the total;
    # the true counts are Keras's own (the seed fixture's summary, from a real Keras run)
    truth = SEED_SUMMARY["total"]
    dense_2, = (l["params"] for l in SEED_SUMMARY["layers"] if l["name"] == "dense_2")
    assert dense_2 == 512 * 128 + 128  # by hand: 512 inputs × 128 units + 128 biases
    wrong = truth - dense_2 + 66048
    sheet = tmp_path / "w.txt"
    sheet.write_text(f"model: example:seed-cnn\ndense_2: 512 x 128 + 512 = 66048\ntotal: {wrong:,}\n")
    report = explain.check(sheet)
    total = report.claims[1]
    assert total.expected == truth and total.verdict == "wrong"
    assert total.diagnosis[0] == "carried_forward"
    for lang in ("en", "de", "ja", "fr", "es"):
        assert "dense_2" in render_report(report, lang=lang, format="text")


@pytest.mark.parametrize("error, hidden", [("ExplainError", True), ("RuntimeError", False)])
def test_a_variant_is_skipped_for_bad_input_but_a_bug_is_not_hidden(monkeypatch, error, hidden):
    """A shape mistake that gives an impossible shape is no variant (ExplainError: skipped); a
    programming error while trying one is not swallowed."""
    import explain
    from explain.checker.mistakes import Context, shape_variants
    from explain.errors import ExplainError
    model = explain.load({"input": [8, 8, 1], "layers": [
        {"Conv2D": {"name": "c", "filters": 2, "kernel_size": 3}}, {"Flatten": {}}, {"Dense": {"name": "d", "units": 2}}]})
    exc = {"ExplainError": ExplainError, "RuntimeError": RuntimeError}[error]

    def fails(self, shapes):
        raise exc("no")
    monkeypatch.setattr(type(model.node("c").layer), "infer", fails)
    if hidden:
        assert shape_variants(Context(model), model.node("d"), "params") == []
    else:
        with pytest.raises(RuntimeError):
            shape_variants(Context(model), model.node("d"), "params")
