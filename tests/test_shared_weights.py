"""Shared layers and tied matrices (spec key ``shares``): counted once in the totals, the
sharing layer names the owner, and the input must fit the shared weights. Expected figures come
from real Keras / PyTorch models that share the weights, or from hand derivations written here."""
from __future__ import annotations

import json
from typing import Any

import pytest

from explain.cli import main
from explain.errors import ExplainError
from explain.importers.spec import load_spec
from explain.render import render
from explain.render.json_out import model_dict
from tests.conftest import require_module

SIAMESE: dict[str, Any] = {"inputs": {"left": [10], "right": [10]}, "layers": [
    {"Dense": {"name": "enc", "units": 6, "inputs": "left"}},
    {"Dense": {"name": "enc_r", "shares": "enc", "inputs": "right"}},
    {"Subtract": {"name": "diff", "inputs": ["enc", "enc_r"]}},
    {"Dense": {"name": "out", "units": 1}}]}

SHARED_LSTM: dict[str, Any] = {"inputs": {"s1": [5, 3], "s2": [7, 3]}, "layers": [
    {"LSTM": {"name": "shared_lstm", "units": 4, "inputs": "s1"}},
    {"LSTM": {"name": "again", "shares": "shared_lstm", "inputs": "s2"}},
    {"LSTM": {"name": "third", "shares": "again", "inputs": "s1"}},
    {"Concatenate": {"name": "both", "inputs": ["shared_lstm", "again", "third"]}}]}

TIED_HEAD: dict[str, Any] = {"framework": "pytorch", "input": [12], "layers": [
    {"Embedding": {"name": "wte", "num_embeddings": 50, "embedding_dim": 8}},
    {"LayerNorm": {"name": "ln_f", "normalized_shape": 8}},
    {"Linear": {"name": "lm_head", "in_features": 8, "out_features": 50, "bias": False,
                "shares": "wte"}}]}

TIED_HEAD_BIAS: dict[str, Any] = {**TIED_HEAD, "layers": TIED_HEAD["layers"][:2] + [
    {"Linear": {"name": "decoder", "in_features": 8, "out_features": 50, "shares": "wte"}}]}

REUSED_MODULE: dict[str, Any] = {"framework": "pytorch", "input": [8], "layers": [
    {"Linear": {"name": "block", "in_features": 8, "out_features": 8}},
    {"ReLU": {}},
    {"Linear": {"name": "block_again", "shares": "block"}}]}


@pytest.mark.parametrize("spec", [SIAMESE, SHARED_LSTM], ids=["dense", "lstm"])
def test_shared_keras_layer_counts_once(spec: dict) -> None:
    require_module("keras")
    from tests.oracle.keras_oracle import keras_figures
    want = keras_figures(spec)
    got = model_dict(load_spec(spec))
    for key in ("total", "trainable", "non_trainable"):
        assert got[key] == want[key], key
    for mine, theirs in zip(got["layers"], want["layers"]):
        for key in ("name", "output_shape", "params"):
            assert mine[key] == theirs[key], (theirs["name"], key)


@pytest.mark.parametrize("spec", [TIED_HEAD, TIED_HEAD_BIAS, REUSED_MODULE],
                         ids=["lm_head", "lm_head_with_bias", "module_applied_twice"])
def test_tied_torch_weights_count_once(spec: dict) -> None:
    require_module("torch")
    from tests.oracle.torch_oracle import torch_figures
    want = torch_figures(spec)
    got = model_dict(load_spec(spec))
    for key in ("total", "trainable", "non_trainable"):
        assert got[key] == want[key], key
    assert [row["params"] for row in got["layers"]] == [row["params"] for row in want["layers"]]


def test_tied_head_by_hand_and_json() -> None:
    # V·d embedding + 2d LayerNorm; the head's V·d weight is the embedding's; its bias is its own.
    assert load_spec(TIED_HEAD).total == 50 * 8 + 2 * 8
    model = load_spec(TIED_HEAD_BIAS)
    assert model.total == 50 * 8 + 2 * 8 + 50
    head = model_dict(model)["layers"][-1]
    assert head["params"] == 50 * 8 + 50
    assert head["shares_weights_with"] == "wte"
    assert head["tied_weights"] == {"weight": "weight"}


def test_keras_tied_head_by_hand() -> None:
    spec = {"input": [12], "layers": [
        {"Embedding": {"name": "tokens", "input_dim": 50, "output_dim": 8}},
        {"Dense": {"name": "head", "units": 50, "use_bias": False, "shares": "tokens"}}]}
    model = load_spec(spec)
    assert model.total == 50 * 8
    assert model.node("head").params == 8 * 50
    assert model.node("head").weights[0].tied_to == "embeddings"


def test_reuse_of_a_reuse_points_at_the_owner_and_text_says_so() -> None:
    model = load_spec(SHARED_LSTM)
    assert model.node("third").shares == "shared_lstm"
    assert model.total == 4 * 4 * (3 + 4) + 4 * 4
    text = render(model, format="text")
    assert "(= shared_lstm)" in text


def test_symbolic_shared_layer() -> None:
    spec = {"symbols": {"n": 10, "u": 6}, "inputs": {"a": ["n"], "b": ["n"]}, "layers": [
        {"Dense": {"name": "enc", "units": "u", "inputs": "a"}},
        {"Dense": {"name": "enc_b", "shares": "enc", "inputs": "b"}}]}
    model = load_spec(spec)
    assert model.total == 10 * 6 + 6
    assert model_dict(model)["total_formula"] == "n*u + u"


BAD = {
    "width": ({"inputs": {"a": [10], "b": [12]}, "layers": [
        {"Dense": {"name": "enc", "units": 6, "inputs": "a"}},
        {"Dense": {"name": "enc_b", "shares": "enc", "inputs": "b"}}]}, ["enc_b", "does not fit"]),
    "unknown": ({"input": [4], "layers": [
        {"Dense": {"name": "d", "units": 2, "shares": "nowhere"}}]}, ["'d'", "earlier layer"]),
    "groups": ({"input": [4], "layers": [
        {"Dense": {"name": "d1", "units": 4}},
        {"Dense": {"name": "d2", "units": 4, "use_bias": False, "shares": "d1"}}]},
               ["d2", "other weight groups"]),
    "tied_size": ({"input": [12], "layers": [
        {"Embedding": {"name": "tokens", "input_dim": 50, "output_dim": 8}},
        {"Dense": {"name": "head", "units": 40, "use_bias": False, "shares": "tokens"}}]},
                  ["head", "does not fit"]),
    "nothing_to_share": ({"input": [4], "layers": [
        {"Dense": {"name": "d1", "units": 4}},
        {"Dropout": {"name": "drop", "rate": 0.1, "shares": "d1"}}]}, ["drop", "no weights"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sharing_is_one_line_naming_the_layer(case: str, tmp_path, capsys) -> None:
    spec, words = BAD[case]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(spec))
    assert main(["derive", str(path), "--format", "json"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    for word in words:
        assert word in lines[0]


def test_keras_rejects_a_shared_layer_on_another_width() -> None:
    require_module("keras")
    from tests.oracle.keras_oracle import keras_figures
    with pytest.raises(ValueError):
        keras_figures(BAD["width"][0])
    with pytest.raises(ExplainError):
        load_spec(BAD["width"][0])
