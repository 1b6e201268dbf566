"""Worksheet claims about compute (``macs:``, ``flops:``) and training memory (``memory:``).

The true numbers come from PyTorch: ``torch.utils.flop_counter.FlopCounterMode`` on the
equivalent PyTorch model (2 FLOPs per multiply-accumulate of the convolutions and matrix products
it dispatches; it counts no bias adds, activations or pooling, which are not MACs either), and the
parameters' ``numel()`` for memory. Each wrong claim is written the way a student with that
mistake would write it, a hand derivation here in the test.
"""
from __future__ import annotations

import json

import pytest
import yaml

import explain
from explain.checker import render_report
from explain.checker.messages import MISTAKES
from tests.conftest import require_module, translated_part
from tests.render_helpers import LANGS

SEED = [  # the seed CNN in PyTorch (channels first); Keras's 'same' 3 × 3 convolution pads 1
    ("conv2d_1", "Conv2d", (3, 32, 3), {"padding": 1}), ("conv2d_2", "Conv2d", (32, 32, 3), {}),
    ("max_pooling2d_1", "MaxPool2d", (3,), {}),
    ("conv2d_3", "Conv2d", (32, 32, 3), {"padding": 1}), ("conv2d_4", "Conv2d", (32, 32, 3), {}),
    ("max_pooling2d_2", "MaxPool2d", (2,), {}),
    ("conv2d_5", "Conv2d", (32, 32, 3), {"padding": 1}), ("conv2d_6", "Conv2d", (32, 32, 3), {}),
    ("max_pooling2d_3", "MaxPool2d", (2,), {}), ("flatten_1", "Flatten", (), {}),
    ("dense_1", "Linear", (19 * 19 * 32, 512), {}), ("dense_2", "Linear", (512, 128), {}),
    ("dense_3", "Linear", (128, 9), {}),
]


@pytest.fixture(scope="module")
def seed():
    """(MACs per layer from FlopCounterMode ÷ 2, parameters per layer and in all) of the seed CNN."""
    torch = require_module("torch")
    from torch import nn
    from torch.utils.flop_counter import FlopCounterMode
    net = nn.Sequential()
    for name, kind, args, kwargs in SEED:
        net.add_module(name, getattr(nn, kind)(*args, **kwargs))
    with torch.device("meta"):
        x = torch.zeros(1, 3, 256, 256, device="meta")
    net = net.to("meta")
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(x)
    macs = {k.split(".", 1)[1]: sum(v.values()) // 2 for k, v in counter.get_flop_counts().items() if "." in k}
    params = {name: sum(p.numel() for p in m.parameters()) for name, m in net.named_children()}
    return macs, params, sum(params.values())


def check(tmp_path, model: str, claims: list[dict], **top):
    (tmp_path / "sheet.yaml").write_text(yaml.safe_dump({"model": model, **top, "claims": claims}))
    return explain.check(tmp_path / "sheet.yaml")


def test_seed_cnn_compute_claims_and_their_diagnoses(seed, tmp_path):
    macs, _, _ = seed
    conv2 = macs["conv2d_2"]
    total = sum(macs.values())
    cases = [  # (claim, verdict, diagnosis)
        ({"layer": "conv2d_2", "macs": f"254 x 254 x 3 x 3 x 32 x 32 = {conv2}"}, "correct", []),
        ({"layer": "conv2d_2", "flops": f"2 x 254 x 254 x 3 x 3 x 32 x 32 = {2 * conv2}"}, "correct", []),
        # FLOPs written as MACs, and MACs as FLOPs
        ({"layer": "conv2d_2", "macs": str(2 * conv2)}, "wrong", ["flops_as_macs"]),
        ({"layer": "conv2d_2", "flops": str(conv2)}, "wrong", ["macs_as_flops"]),
        # conv2d_2 ('valid') reads 256 × 256 and gives 254 × 254: the input's positions used
        ({"layer": "conv2d_2", "macs": "256 x 256 x 3 x 3 x 32 x 32"}, "wrong", ["input_size_for_output"]),
        # the 3 × 3 pool before conv2d_3 taken with stride 1: 254 − 3 + 1 = 252, not 84
        ({"layer": "conv2d_3", "macs": "252 x 252 x 3 x 3 x 32 x 32"}, "wrong", ["stride_ignored"]),
        # one bias add per output value counted as a MAC: + c_out·H_out·W_out, + n_out
        ({"layer": "conv2d_2", "macs": f"{conv2} + 254 x 254 x 32"}, "wrong", ["bias_adds_as_macs"]),
        ({"layer": "dense_1", "macs": "11552 x 512 + 512"}, "wrong", ["bias_adds_as_macs"]),
        ({"layer": "dense_1", "macs": f"11552 x 512 = {macs['dense_1']}"}, "correct", []),
        ({"layer": "dense_1", "macs": "11552 x 511"}, "wrong", []),  # no mistake this tool knows
        ({"macs": str(total)}, "correct", []),
        ({"flops": str(total)}, "wrong", ["macs_as_flops"]),
        ({"flops": f"3 x 2 x {total}"}, "wrong", ["training_flops"]),
    ]
    report = check(tmp_path, "example:seed-cnn", [c for c, _, _ in cases])
    for claim, (written, verdict, diagnosis) in zip(report.claims, cases):
        assert claim.verdict == verdict, (written, claim.verdict, claim.diagnosis)
        if diagnosis:
            assert diagnosis[0] in claim.diagnosis, (written, claim.diagnosis)
        else:
            assert claim.diagnosis == [], (written, claim.diagnosis)
    assert report.claims[0].expected == conv2 and report.claims[10].expected == total


def test_seed_cnn_memory_claims_and_their_diagnoses(seed, tmp_path):
    _, params, P = seed
    mib = P * 16 / 2**20
    cases = [  # (claim, verdict, diagnoses that must be named)
        # ZeRO: mixed-precision Adam keeps 2 + 2 + (4 + 4 + 4) = 16 bytes per parameter
        ({"memory": f"{P} x (2 + 2 + 12) = {16 * P} bytes"}, "correct", []),
        ({"memory": f"{16 * P / 10**6:.1f} MB"}, "correct", []),
        ({"memory": f"{mib:.1f} MiB"}, "correct", []),
        ({"memory": f"{mib:.1f} MB"}, "wrong", ["memory_unit"]),  # MiB's number with MB's name
        ({"memory": f"{P} x 16 = {16 * P} bytes = {mib:.1f} MB"}, "wrong", ["memory_unit"]),
        ({"memory": f"{mib:.1f}".replace(".", ",") + " MiB"}, "correct", []),  # a decimal comma
        ({"memory": f"{P} x 4"}, "wrong", ["memory_parameters_only"]),  # float32 weights alone
        ({"memory": f"{P} x 12"}, "wrong", ["memory_optimizer_only", "memory_no_master"]),
        ({"memory": f"{P} x 12", "precision": "float32"}, "wrong", ["memory_one_moment"]),  # 4 + 4 + 4
        ({"memory": f"{P} x 8", "precision": "float32"}, "wrong", ["memory_no_optimizer"]),  # 4 + 4
        ({"memory": f"{P} x 8", "optimizer": "sgd"}, "correct", []),  # 2 + 2 + 4 (master copy)
        ({"memory": f"{P} x 12", "optimizer": "sgd_momentum", "precision": "float32"}, "correct", []),
        ({"layer": "dense_1", "memory": f"{params['dense_1']} x 16"}, "correct", []),
        ({"memory": f"{P} x 15"}, "wrong", []),
    ]
    report = check(tmp_path, "example:seed-cnn", [c for c, _, _ in cases])
    for claim, (written, verdict, diagnosis) in zip(report.claims, cases):
        assert claim.verdict == verdict, (written, claim.verdict, claim.diagnosis)
        assert set(diagnosis) <= set(claim.diagnosis), (written, claim.diagnosis)
        if not diagnosis:
            assert claim.diagnosis == [], (written, claim.diagnosis)


@pytest.fixture(scope="module")
def small_gpt2(tmp_path_factory):
    """A 2-block GPT-2 (d = 64, 4 heads, 16 positions) from its config: MACs of one sequence of
    16 tokens from FlopCounterMode (eager attention: QKᵀ and the weighted sum of V are matrix
    products it counts), the parameters from transformers."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    from torch.utils.flop_counter import FlopCounterMode
    config = transformers.GPT2Config(n_layer=2, n_embd=64, n_head=4, n_positions=16, vocab_size=100)
    config._attn_implementation = "eager"
    net = transformers.GPT2LMHeadModel(config).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, 16, dtype=torch.long))
    folder = tmp_path_factory.mktemp("gpt2")
    data = config.to_dict()
    data["architectures"] = ["GPT2LMHeadModel"]
    (folder / "config.json").write_text(json.dumps(data))
    return folder, counter.get_total_flops() // 2, sum(p.numel() for p in net.parameters())


def test_gpt2_per_token_and_per_sequence_claims(small_gpt2):
    folder, macs, params = small_gpt2
    T, L, d = 16, 2, 64
    # Kaplan: N = 2·d·L·(2d + 4d); C_forward = 2N + 2·L·T·d FLOPs per token
    N = 2 * d * L * (2 * d + 4 * d)
    kaplan = 2 * N + 2 * L * T * d
    cases = [
        ({"macs": str(macs)}, "correct", []),
        ({"macs": str(macs // T)}, "wrong", ["per_token"]),
        ({"macs": str(macs // T), "per": "token"}, "correct", []),
        ({"flops": str(2 * macs // T), "per": "token"}, "correct", []),
        ({"macs": str(macs), "per": "token"}, "wrong", ["per_sequence"]),
        ({"flops": str(kaplan), "per": "token"}, "wrong", ["kaplan_approximation"]),
        ({"memory": f"{params} x 16"}, "correct", []),
        ({"layer": "transformer.h", "macs": str(macs - 100 * d * T)}, "correct", []),  # all but the LM head
    ]
    (folder / "sheet.yaml").write_text(yaml.safe_dump({"model": "config.json", "claims": [c for c, _, _ in cases]}))
    report = explain.check(folder / "sheet.yaml")
    for claim, (written, verdict, diagnosis) in zip(report.claims, cases):
        assert claim.verdict == verdict, (written, claim.verdict, claim.diagnosis, claim.expected)
        assert set(diagnosis) <= set(claim.diagnosis), (written, claim.diagnosis)


def test_plain_text_worksheet_with_compute_and_memory_lines(seed, tmp_path):
    macs, _, P = seed
    (tmp_path / "sheet.txt").write_text(
        "model: example:seed-cnn\n"
        f"conv2d_1 macs: 256 x 256 x 3 x 3 x 3 x 32 = {macs['conv2d_1']}\n"
        f"flops: {2 * sum(macs.values())}\n"
        "optimizer: sgd_momentum   # for the memory claims below\n"
        "precision: float32\n"
        f"memory: {P} x 12\n")
    report = explain.check(tmp_path / "sheet.txt")
    assert [c.kind for c in report.claims] == ["macs", "flops", "memory"]
    assert all(c.verdict == "correct" for c in report.claims), [c.to_json() for c in report.claims]
    assert report.claims[2].to_json()["optimizer"] == "sgd_momentum"


def test_per_token_on_a_model_without_a_sequence_is_unreadable_not_a_guess(tmp_path):
    report = check(tmp_path, "example:seed-cnn", [{"macs": "1", "per": "token"}, {"macs": "813689984"}])
    assert report.claims[0].verdict == "unreadable" and "per-token" in report.claims[0].reason


@pytest.mark.parametrize("bad", [{"macs": "1", "optimizer": "adam"}, {"memory": "1", "per": "token"},
                                 {"memory": "1", "optimizer": "rmsprop"}, {"macs": "1", "per": "batch"}])
def test_misplaced_or_unknown_options_are_one_line_errors(bad, tmp_path):
    with pytest.raises(explain.ExplainError) as e:
        check(tmp_path, "example:seed-cnn", [bad])
    assert "\n" not in str(e.value) and "line" in str(e.value)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["markdown", "latex", "text"])
def test_sheet_names_each_mistake_in_every_language(seed, tmp_path, lang, fmt):
    macs, _, P = seed
    claims = [{"layer": "conv2d_2", "macs": "256 x 256 x 3 x 3 x 32 x 32"},
              {"layer": "conv2d_2", "flops": str(macs["conv2d_2"])},
              {"layer": "dense_1", "macs": "11552 x 512 + 512"},
              {"memory": f"{P * 16 / 2**20:.1f} MB"}, {"memory": f"{P} x 4"}]
    report = check(tmp_path, "example:seed-cnn", claims)
    text = render_report(report, lang=lang, format=fmt)
    english = render_report(report, lang="en", format=fmt)
    for sentence, key in (("The positions are taken from the input", "input_size_for_output"),
                          ("a FLOP count takes two per", "macs_as_flops"), ("The bias adds", "bias_adds_as_macs"),
                          ("and a MiB", "memory_unit"), ("Only the parameters are counted", "memory_parameters_only")):
        assert sentence in english
        if lang != "en":
            assert sentence not in text, (lang, sentence)
            if fmt != "latex":  # LaTeX sets the French spaces before ; and : itself
                assert translated_part(lang, MISTAKES[key]) in text, (lang, key)
    assert "594" in text.replace("\\,", "").replace(".", "").replace(",", "")  # conv2d_2's MACs


def test_every_compute_and_memory_diagnosis_has_its_sentence():
    from explain.checker import messages
    from explain.checker.compute_claims import CODES
    assert [code for code in CODES if code not in messages.MISTAKES] == []
