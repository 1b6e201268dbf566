"""The sequence, graph and PyTorch fixtures (expected figures from real Keras and PyTorch runs,
copied from /work/shared/fixtures) come out exactly: totals, trainable split, buffers, shapes."""
from __future__ import annotations

import json

import pytest
import yaml

from explain.importers.spec import load_spec
from explain.render.json_out import model_dict
from tests.conftest import FIXTURES

SPECS = FIXTURES / "specs"
NAMES = ["small_rnn", "residual", "mha_small", "torch_mlp", "torch_lstm"]


@pytest.mark.parametrize("name", NAMES)
def test_fixture_matches_framework_figures(name: str) -> None:
    spec = yaml.safe_load((SPECS / f"{name}.yaml").read_text(encoding="utf-8"))
    expected = json.loads((SPECS / f"{name}.expected.json").read_text(encoding="utf-8"))
    got = model_dict(load_spec(spec))
    for key in ("total", "trainable", "non_trainable"):
        assert got[key] == expected[key], key
    assert len(got["layers"]) == len(expected["layers"])
    for position, (mine, want) in enumerate(zip(got["layers"], expected["layers"]), 1):
        for key, value in want.items():
            assert mine[key] == value, f"layer {position} ({want['type']}): {key}"


def test_torch_fixture_buffers_are_not_parameters() -> None:
    spec = yaml.safe_load((SPECS / "torch_mlp.yaml").read_text(encoding="utf-8"))
    got = model_dict(load_spec(spec))
    bn = got["layers"][2]
    # By hand: BatchNorm1d(128) has weight and bias (2·128 parameters) and the buffers
    # running_mean 128, running_var 128, num_batches_tracked 1.
    assert bn["weights"] == {"weight": 128, "bias": 128}
    assert bn["buffer_weights"] == {"running_mean": 128, "running_var": 128, "num_batches_tracked": 1}
    assert got["buffers"] == 257
    assert "bn_running_stats_buffers" in bn["notes"]
