"""Each diagnosis on a worksheet whose true counts come from real Keras 3 or PyTorch.

A case is a small spec, a claim written the way a student with that mistake would write it (the
wrong formula is a hand derivation, here in the test), and the diagnosis we expect. The true count
of the claimed layer (or the total) comes from the framework, and explain must agree with it.
"""
from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import require_module

import explain


def keras_counts(spec: dict) -> dict:
    require_module("keras")
    from tests.oracle.keras_oracle import keras_figures
    return keras_figures(spec)


def run_check(tmp_path, spec: dict, claims: list[dict]):
    (tmp_path / "model.yaml").write_text(yaml.safe_dump(spec))
    (tmp_path / "sheet.yaml").write_text(yaml.safe_dump({"model": "model.yaml", "claims": claims},
                                                        allow_unicode=True))
    return explain.check(tmp_path / "sheet.yaml")


# (id, spec, [shape:]layer, claim (a hand derivation of the mistake), verdict, diagnosis)
CNN = {"name": "cnn", "input": [28, 28, 16], "layers": [
    {"Conv2D": {"name": "conv", "filters": 32, "kernel_size": 3}},
    {"Conv2D": {"name": "grouped", "filters": 32, "kernel_size": 3, "groups": 4}},
    {"MaxPooling2D": {"name": "pool", "pool_size": 2}},
    {"SeparableConv2D": {"name": "sep", "filters": 64, "kernel_size": 3}},
    {"DepthwiseConv2D": {"name": "dw", "kernel_size": 3}},
    {"Flatten": {"name": "flat"}},
    {"Dense": {"name": "fc", "units": 10}},
]}
# conv: 28→26; grouped: 26→24, c_in 32; pool: 12; sep: 12→10, 64 ch; dw: 10→8, 64 ch; flat 8·8·64
KERAS_CASES = [
    ("dense_bias_size", CNN, "fc", "4096 x 10 + 4096 = 40970", "wrong_formula", "bias_size"),
    ("dense_missing_bias", CNN, "fc", "4096 x 10 = 40960", "wrong", "missing_bias"),
    ("dense_flatten_size", CNN, "fc", "9 x 9 x 64 x 10 + 10", "wrong", "flatten_size"),
    ("flatten_shape", CNN, "shape:flat", "9 x 9 x 64 = 5184", "wrong", "flatten_size"),
    ("conv_missing_channels", CNN, "conv", "3 x 3 x 32 + 32 = 320", "wrong", "missing_input_channels"),
    ("conv_missing_bias", CNN, "conv", "3 x 3 x 16 x 32 = 4608", "wrong", "missing_bias"),
    ("conv_bias_size", CNN, "conv", "3 x 3 x 16 x 32 + 16", "wrong", "bias_size"),
    # read from the terms: the kernel term is right, the bias term has a length no variant has
    ("conv_bias_term", CNN, "conv", "3 x 3 x 16 x 32 + 8 = 4616", "wrong", "bias_size"),
    ("conv_groups", CNN, "grouped", "3 x 3 x 32 x 32 + 32", "wrong", "groups_ignored"),
    ("conv_shape_padding", CNN, "shape:conv", "28 x 28 x 32", "wrong", "wrong_padding"),
    ("conv_shape_off_by_one", CNN, "shape:conv", "25 x 25 x 32", "wrong", "output_off_by_one"),
    ("pool_shape_off_by_one", CNN, "shape:pool", "13 x 13 x 32", "wrong", "output_off_by_one"),
    ("separable_as_conv", CNN, "sep", "3 x 3 x 32 x 64 + 64", "wrong", "depthwise_separable_confusion"),
    ("separable_two_biases", CNN, "sep", "3 x 3 x 32 + 32 + 32 x 64 + 64", "wrong",
     "depthwise_separable_confusion"),
    ("depthwise_as_conv", CNN, "dw", "3 x 3 x 64 x 64 + 64", "wrong", "depthwise_separable_confusion"),
]

BN = {"name": "bn", "input": [784], "layers": [
    {"Dense": {"name": "fc", "units": 256, "use_bias": False}},
    {"BatchNormalization": {"name": "bn"}},
    {"Dense": {"name": "out", "units": 10}},
]}
RNN = {"name": "rnn", "input": [30, 32], "layers": [
    {"LSTM": {"name": "lstm", "units": 64, "return_sequences": True}},
    {"GRU": {"name": "gru", "units": 16, "return_sequences": True}},
    {"GRU": {"name": "gru_old", "units": 16, "reset_after": False}},
]}
KERAS_CASES += [
    ("bn_two_c", BN, "bn", "2 x 256 = 512", "wrong", "bn_non_trainable"),
    ("dense_extra_bias", BN, "fc", "784 x 256 + 256", "wrong", "extra_bias"),
    # an embedding never has a bias: the diagnosis says so, not "no bias here"
    ("embedding_bias", {"name": "emb", "input": [10], "layers": [
        {"Embedding": {"name": "emb", "input_dim": 100, "output_dim": 8}}]},
     "emb", "100 x 8 + 8", "wrong", "embedding_bias"),
    ("lstm_double_bias", RNN, "lstm", "4 x 64 x (32 + 64) + 2 x 4 x 64", "wrong", "rnn_double_bias"),
    ("lstm_missing_recurrent", RNN, "lstm", "4 x (32 x 64 + 64)", "wrong", "missing_recurrent_weights"),
    ("lstm_gates", RNN, "lstm", "3 x 64 x (32 + 64) + 3 x 64", "wrong", "wrong_gate_count"),
    ("gru_reset_after", RNN, "gru", "3 x 16 x (64 + 16) + 3 x 16 = 3888", "wrong", "gru_reset_after"),
    ("gru_no_reset_after", RNN, "gru_old", "3 x 16 x (16 + 16) + 6 x 16", "wrong", "gru_reset_after"),
]


@pytest.mark.parametrize("case", KERAS_CASES, ids=[c[0] for c in KERAS_CASES])
def test_keras_layer_diagnoses(case, tmp_path):
    _, spec, layer, claim, expected_verdict, diagnosis = case
    truth = {l["name"]: l for l in keras_counts(spec)["layers"]}
    kind, _, layer = layer.rpartition(":")
    kind = kind or "work"
    report = run_check(tmp_path, spec, [{"layer": layer, kind: claim}])
    c = report.claims[0]
    if kind == "shape":
        dims = truth[layer]["output_shape"][1:]
        size = 1
        for d in dims:
            size *= d
        assert c.expected == size
    else:
        assert c.expected == truth[layer]["params"]
    assert c.verdict == expected_verdict
    assert c.diagnosis and c.diagnosis[0] == diagnosis, c.diagnosis


def test_keras_totals(tmp_path):
    figures = keras_counts(BN)
    assert figures["non_trainable"] == 2 * 256
    report = run_check(tmp_path, BN, [
        {"total": str(figures["trainable"])},                              # moving stats left out
        {"total": str(figures["total"])},
        {"trainable": str(figures["trainable"])},
        {"non_trainable": str(figures["non_trainable"])},
        {"total": str(figures["total"] - 10)},                             # out's bias left out
    ])
    assert [c.verdict for c in report.claims] == ["wrong", "correct", "correct", "correct", "wrong"]
    assert report.claims[0].diagnosis[0] == "bn_non_trainable"
    assert "missing_bias" in report.claims[4].diagnosis
    from explain.checker import render_report
    out = json.loads(render_report(report, format="json"))
    assert out["claims"][0] == {"layer": "total", "kind": "params", "claimed": str(figures["trainable"]),
                                "verdict": "wrong", "expected": figures["total"],
                                "diagnosis": report.claims[0].diagnosis}
    assert out["claims"][2]["kind"] == "trainable"


def test_framework_conventions_crossed(tmp_path):
    """PyTorch's real count claimed for a Keras layer: two RNN biases, BN without moving stats,
    4E² + 4E attention."""
    torch = require_module("torch")
    spec = {"name": "mix", "input": [30, 32], "layers": [
        {"LSTM": {"name": "lstm", "units": 64, "return_sequences": True}},
        {"BatchNormalization": {"name": "bn"}},
        {"MultiHeadAttention": {"name": "mha", "num_heads": 8, "key_dim": 16, "inputs": ["bn", "bn"]}},
    ]}
    truth = {l["name"]: l["params"] for l in keras_counts(spec)["layers"]}
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    claims = [
        {"layer": "lstm", "work": str(count(torch.nn.LSTM(32, 64)))},
        {"layer": "bn", "work": str(count(torch.nn.BatchNorm1d(64)))},
        {"layer": "mha", "work": str(count(torch.nn.MultiheadAttention(64, 8)))},
    ]
    report = run_check(tmp_path, spec, claims)
    assert [c.expected for c in report.claims] == [truth["lstm"], truth["bn"], truth["mha"]]
    assert [c.diagnosis[:1] for c in report.claims] == [["rnn_double_bias"], ["bn_non_trainable"],
                                                         ["attention_convention"]]


TORCH_CNN = {"name": "tcnn", "framework": "pytorch", "input": [3, 32, 32], "layers": [
    {"Conv2d": {"name": "conv", "in_channels": 3, "out_channels": 16, "kernel_size": 3}},
    {"BatchNorm2d": {"name": "bn", "num_features": 16}},
    {"MaxPool2d": {"name": "pool", "kernel_size": 2}},
    {"Flatten": {"name": "flat"}},
    {"Linear": {"name": "fc", "in_features": 3600, "out_features": 10}},
]}
# conv 32→30, pool 15: 16·15·15 = 3600
TORCH_CASES = [
    ("linear_bias_size", "fc", "3600 x 10 + 3600", "bias_size"),
    ("linear_missing_bias", "fc", "3600 x 10 = 36000", "missing_bias"),
    ("linear_flatten_size", "fc", "16 x 16 x 16 x 10 + 10", "flatten_size"),
    ("flatten_shape", "shape:flat", "16 x 16 x 16", "flatten_size"),
    ("conv_missing_channels", "conv", "3 x 3 x 16 + 16", "missing_input_channels"),
    ("conv_shape_off_by_one", "shape:conv", "16 x 31 x 31", "output_off_by_one"),
    ("bn_running_stats", "bn", "4 x 16 = 64", "bn_non_trainable"),
]


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_torch_layer_diagnoses(case, tmp_path):
    require_module("torch")
    from tests.oracle.torch_oracle import torch_figures
    _, layer, claim, diagnosis = case
    truth = {l["name"]: l for l in torch_figures(TORCH_CNN)["layers"]}
    kind, _, layer = layer.rpartition(":")
    kind = kind or "work"
    c = run_check(tmp_path, TORCH_CNN, [{"layer": layer, kind: claim}]).claims[0]
    if kind == "shape":
        size = 1
        for d in truth[layer]["output_shape"][1:]:
            size *= d
        assert c.expected == size
    else:
        assert c.expected == truth[layer]["params"]
    assert c.verdict == "wrong"
    assert c.diagnosis == [diagnosis]


def test_torch_total_with_buffers(tmp_path):
    require_module("torch")
    from tests.oracle.torch_oracle import torch_figures
    figures = torch_figures(TORCH_CNN)
    buffers = sum(l.get("buffers", 0) for l in figures["layers"])
    assert buffers == 2 * 16 + 1
    report = run_check(tmp_path, TORCH_CNN, [{"total": str(figures["total"] + buffers)},
                                             {"total": str(figures["total"] + 2 * 16)},
                                             {"total": str(figures["total"])}])
    assert [c.verdict for c in report.claims] == ["wrong", "wrong", "correct"]
    assert report.claims[0].diagnosis == ["bn_non_trainable"]
    assert report.claims[1].diagnosis == ["bn_non_trainable"]


TORCH_SEQ = {"name": "tseq", "framework": "pytorch", "input": [20, 300], "layers": [
    {"LSTM": {"name": "lstm", "input_size": 300, "hidden_size": 512, "num_layers": 2, "batch_first": True}},
    {"GRU": {"name": "gru", "input_size": 512, "hidden_size": 64, "batch_first": True}},
    {"MultiheadAttention": {"name": "mha", "embed_dim": 64, "num_heads": 8, "batch_first": True}},
    {"GRU": {"name": "bigru", "input_size": 64, "hidden_size": 8, "bidirectional": True, "batch_first": True}},
]}
TORCH_SEQ_CASES = [
    # the second layer computed as if it read input_size = 300 (it reads h = 512)
    ("stacked_input", "lstm", "2 x (4 x 512 x (300 + 512) + 8 x 512)", "stacked_input_size"),
    # Keras's one bias vector per gate used for PyTorch's LSTM and GRU
    ("lstm_one_bias", "lstm", "4*512*(300+512) + 4*512 + 4*512*(512+512) + 4*512", "rnn_double_bias"),
    ("gru_one_bias", "gru", "3 x 64 x (512 + 64) + 3 x 64", "rnn_double_bias"),
    ("bidirectional_once", "bigru", "3 x 8 x (64 + 8) + 6 x 8", "bidirectional_once"),
    # Keras's convention (every head projects to E columns) used for PyTorch's attention
    ("mha_keras_heads", "mha", "3 x (64 x 8 x 64 + 8 x 64) + 8 x 64 x 64 + 64", "attention_convention"),
]


@pytest.mark.parametrize("case", TORCH_SEQ_CASES, ids=[c[0] for c in TORCH_SEQ_CASES])
def test_torch_sequence_diagnoses(case, tmp_path):
    torch = require_module("torch")
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    truth = {"lstm": count(torch.nn.LSTM(300, 512, num_layers=2)), "gru": count(torch.nn.GRU(512, 64)),
             "mha": count(torch.nn.MultiheadAttention(64, 8)),
             "bigru": count(torch.nn.GRU(64, 8, bidirectional=True))}
    assert truth["lstm"] == 3_768_320
    _, layer, claim, diagnosis = case
    c = run_check(tmp_path, TORCH_SEQ, [{"layer": layer, "work": claim}]).claims[0]
    assert c.expected == truth[layer]
    assert (c.verdict, c.diagnosis) == ("wrong", [diagnosis])


def test_tied_weights_counted_twice(tmp_path):
    torch = require_module("torch")

    class TinyLM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = torch.nn.Embedding(100, 16)
            self.head = torch.nn.Linear(16, 100, bias=False)
            self.head.weight = self.wte.weight  # tied, as GPT-2's LM head

    real = sum(p.numel() for p in TinyLM().parameters())  # shared parameters counted once
    spec = {"name": "tied", "framework": "pytorch", "input": [10], "layers": [
        {"Embedding": {"name": "wte", "num_embeddings": 100, "embedding_dim": 16}},
        {"Linear": {"name": "head", "in_features": 16, "out_features": 100, "bias": False, "shares": "wte"}},
    ]}
    report = run_check(tmp_path, spec, [{"total": "100 x 16 + 16 x 100"}, {"total": str(real)}])
    assert report.claims[0].expected == real == 1600
    assert (report.claims[0].verdict, report.claims[0].diagnosis) == ("wrong", ["tied_counted_twice"])
    assert report.claims[1].verdict == "correct"


def test_bidirectional_counted_once(tmp_path):
    spec = {"name": "bi", "input": [20, 32], "layers": [
        {"Bidirectional": {"name": "bi", "layer": {"LSTM": {"units": 16}}}}]}
    truth = {l["name"]: l["params"] for l in keras_counts(spec)["layers"]}
    c = run_check(tmp_path, spec, [{"layer": "bi", "work": "4 x 16 x (32 + 16) + 4 x 16"}]).claims[0]
    assert c.expected == truth["bi"] == 2 * (4 * 16 * (32 + 16) + 4 * 16)
    assert c.diagnosis == ["bidirectional_once"]


HF = __import__("pathlib").Path(__file__).parent / "fixtures" / "hf"


@pytest.mark.parametrize("config", ["gpt2", "t5-small"])
def test_hf_tied_head_counted_twice(config, tmp_path):
    """transformers' own counts (tests/fixtures/hf/expected.json, from real runs): the total and
    the total if the tied matrices were counted twice."""
    expected = json.loads((HF / "expected.json").read_text())[config]
    sheet = tmp_path / "w.txt"
    sheet.write_text(f"model: {HF / (config + '.json')}\n"
                     f"total: {expected['params_if_tied_weights_counted_twice']:,}\n"
                     f"total: {expected['params']:,}\n")
    report = explain.check(sheet, model_roots=(str(HF),))
    assert [c.expected for c in report.claims] == [expected["params"]] * 2
    assert [c.verdict for c in report.claims] == ["wrong", "correct"]
    assert report.claims[0].diagnosis == ["tied_counted_twice"]


def test_repeated_block_counted_once(tmp_path):
    # GPT-2 small, hand derivation: each of the L = 12 blocks has 12·d² + 13·d, d = 768
    d, L = 768, 12
    sheet = tmp_path / "w.txt"
    sheet.write_text(f"model: {HF / 'gpt2.json'}\n"
                     f"transformer.h: 12 x 768^2 + 13 x 768 = {12 * d * d + 13 * d}\n")
    c = explain.check(sheet, model_roots=(str(HF),)).claims[0]
    assert c.expected == L * (12 * d * d + 13 * d)
    assert (c.verdict, c.diagnosis) == ("wrong", ["repeat_counted_once"])


def test_rarer_keras_mistakes(tmp_path):
    spec = {"name": "misc", "input": [10, 32], "layers": [
        {"Dense": {"name": "per_step", "units": 8}},
        {"Dense": {"name": "frozen", "units": 4, "trainable": False}},
    ]}
    figures = keras_counts(spec)
    truth = {l["name"]: l["params"] for l in figures["layers"]}
    emb = {"name": "emb", "input": [5], "layers": [{"Embedding": {"name": "emb", "input_dim": 1000, "output_dim": 16}},
                                                  {"Conv1D": {"name": "conv5", "filters": 8, "kernel_size": 5}}]}
    (tmp_path / "a").mkdir()
    report = run_check(tmp_path / "a", spec, [
        {"layer": "per_step", "work": "10 x 32 x 8 + 8"},     # Dense reads the last axis only
        {"total": str(figures["trainable"])},                # frozen weights left out of the total
    ])
    assert report.claims[0].expected == truth["per_step"] == 32 * 8 + 8
    assert report.claims[0].diagnosis == ["dense_whole_input"]
    assert report.claims[1].expected == figures["total"]
    assert report.claims[1].diagnosis == ["non_trainable_left_out"]
    emb_truth = {l["name"]: l["params"] for l in keras_counts(emb)["layers"]}
    (tmp_path / "b").mkdir()
    report = run_check(tmp_path / "b", emb, [
        {"layer": "emb", "work": "1001 x 16"},                # vocabulary off by one
        {"layer": "emb", "shape": "5"},                       # the 16 channels left out
    ])
    assert report.claims[0].expected == emb_truth["emb"] == 1000 * 16
    assert report.claims[0].diagnosis == ["vocab_off_by_one"]
    assert report.claims[1].diagnosis == ["missing_channels"]


def test_recurrent_bias_diagnoses_name_the_tensors_and_are_true_of_the_layer(tmp_path):
    """A doubled or halved recurrent bias: PyTorch's tensors by their names in code font (not
    "b_ih and b_hh" as words), and for a Keras GRU with reset_after=True, which has two bias
    vectors per gate, no sentence claiming Keras has one."""
    from explain.checker import render_report
    torch = require_module("torch")
    names = [n for n, _ in torch.nn.GRU(512, 64).named_parameters()]
    assert {"bias_ih_l0", "bias_hh_l0"} <= set(names)
    # PyTorch's GRU counted with one bias vector per gate (hand derivation: 3h(i + h) + 3h)
    report = run_check(tmp_path, TORCH_SEQ, [{"layer": "gru", "work": "3 x 64 x (512 + 64) + 3 x 64"}])
    assert report.claims[0].diagnosis == ["rnn_double_bias"]
    md = render_report(report, lang="en", format="markdown")
    assert "one in `bias_ih_l0` and one in `bias_hh_l0`" in md and "b_ih" not in md
    assert "two bias vectors per weight group" not in md  # two vectors in all, each spanning every group (review 26 de, 2)
    # Keras's GRU (reset_after=True: 3h(i + h) + 6h) counted with four: 3h(i + h) + 12h
    report = run_check(tmp_path, RNN, [{"layer": "gru", "work": "3 x 16 x (64 + 16) + 12 x 16"},
                                       {"layer": "lstm", "work": "4 x 64 x (32 + 64) + 2 x 4 x 64"}])
    assert [c.diagnosis for c in report.claims] == [["rnn_double_bias"], ["rnn_double_bias"]]
    md = render_report(report, lang="en", format="markdown")
    assert ("With `reset_after=True` this Keras GRU's bias is a matrix of two rows, one for the input side and "
            "one for the recurrent side") in md and "not four: $3h(n_{\\text{in}} + h) + 6h$" in md
    assert md.count("This Keras layer has one bias vector, holding the biases of its weight groups one after another") == 1  # the LSTM's only
    assert "a second vector is PyTorch's convention (`bias_ih_l0` and `bias_hh_l0`)" in md
