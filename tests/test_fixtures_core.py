"""The core fixtures (tests/fixtures/specs, copied from /work/shared/fixtures, figures from real Keras
runs) must come out exactly: per layer name, type, output shape, params, trainable and
non-trainable, and the totals."""
from __future__ import annotations

import json

import pytest

from explain.cli import main
from tests.conftest import FIXTURES, require_module

SPECS = FIXTURES / "specs"
KEYS = ("name", "type", "output_shape", "params", "trainable", "non_trainable")


def derive(capsys, path) -> dict:
    assert main(["derive", str(path), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def rows(figures: dict) -> list[tuple]:
    return [tuple(layer[k] for k in KEYS) for layer in figures["layers"]]


@pytest.mark.parametrize("name", ["seed_cnn", "lenet5", "mlp_bn"])
def test_fixture_matches_keras_exactly(name, capsys):
    expected = json.loads((SPECS / f"{name}.expected.json").read_text(encoding="utf-8"))
    got = derive(capsys, SPECS / f"{name}.yaml")
    assert rows(got) == rows(expected)
    assert (got["total"], got["trainable"], got["non_trainable"]) == \
        (expected["total"], expected["trainable"], expected["non_trainable"])


def test_fixture_totals_by_hand(capsys):
    """The same totals derived by hand, independent of the fixture files."""
    seed = derive(capsys, SPECS / "seed_cnn.yaml")
    conv = 3 * 3 * 32 * 32 + 32
    assert seed["total"] == (3 * 3 * 3 * 32 + 32) + 5 * conv + (19 * 19 * 32 * 512 + 512) \
        + (512 * 128 + 128) + (128 * 9 + 9) == 6029097
    lenet = derive(capsys, SPECS / "lenet5.yaml")
    assert lenet["total"] == (5 * 5 * 1 * 6 + 6) + (5 * 5 * 6 * 16 + 16) + (400 * 120 + 120) \
        + (120 * 84 + 84) + (84 * 10 + 10) == 61706
    bn = derive(capsys, SPECS / "mlp_bn.yaml")
    assert (bn["total"], bn["non_trainable"]) == (784 * 256 + 4 * 256 + 256 * 10 + 10, 2 * 256)
    assert bn["layers"][1]["weights"] == {"gamma": 256, "beta": 256, "moving_mean": 256, "moving_variance": 256}


def test_mlp_symbolic_matches_keras(capsys):
    require_module("torch")
    require_module("keras")
    import yaml
    from tests.oracle.keras_oracle import keras_figures
    spec = yaml.safe_load((SPECS / "mlp_symbolic.yaml").read_text(encoding="utf-8"))
    expected = keras_figures(spec)
    got = derive(capsys, SPECS / "mlp_symbolic.yaml")
    assert [(l["name"], l["type"], l["params"], l["trainable"], l["non_trainable"]) for l in got["layers"]] == \
        [(l["name"], l["type"], l["params"], l["trainable"], l["non_trainable"]) for l in expected["layers"]]
    # symbolic shapes stay symbolic; Keras's are the substituted numbers
    assert [l["output_shape"] for l in got["layers"]] == [[None, "h"], [None, "K"]]
    assert [l["output_shape"] for l in expected["layers"]] == [[None, 256], [None, 10]]
    assert got["total"] == expected["total"] == 784 * 256 + 256 + 256 * 10 + 10
