"""The oracles themselves: they reproduce every fixture and the PyTorch figures FORMULAS.md quotes.

Needs keras and torch. With CI=true a missing framework fails these tests; elsewhere they skip.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from .keras_oracle import apply_symbols, evaluate, keras_figures
from .torch_oracle import torch_figures

SPECS = Path(__file__).resolve().parent.parent / "fixtures" / "specs"
FIXTURES = sorted(
    path.name.removesuffix(".expected.json") for path in SPECS.glob("*.expected.json")
)


def require(module: str) -> ModuleType:
    """Import a framework: a failure under CI=true, a skip elsewhere."""
    if module == "keras":
        require("torch")  # the backend
        os.environ.setdefault("KERAS_BACKEND", "torch")
    if os.environ.get("CI") == "true":
        return importlib.import_module(module)
    imported: ModuleType = pytest.importorskip(module)
    return imported


def load(name: str) -> dict[str, Any]:
    spec = yaml.safe_load((SPECS / f"{name}.yaml").read_text(encoding="utf-8"))
    assert isinstance(spec, dict)
    return spec


def test_fixtures_are_found() -> None:
    assert len(FIXTURES) >= 8, SPECS
    assert all((SPECS / f"{name}.yaml").is_file() for name in FIXTURES)


@pytest.mark.parametrize("name", FIXTURES)
def test_oracle_reproduces_fixture(name: str) -> None:
    spec = load(name)
    expected = json.loads((SPECS / f"{name}.expected.json").read_text(encoding="utf-8"))
    if spec.get("framework") == "pytorch":
        require("torch")
        figures = torch_figures(spec)
    else:
        require("keras")
        figures = keras_figures(spec)

    for key in ("total", "trainable", "non_trainable"):
        assert figures[key] == expected[key], key
    assert len(figures["layers"]) == len(expected["layers"])
    for position, (got, want) in enumerate(zip(figures["layers"], expected["layers"]), 1):
        for key, value in want.items():
            assert got[key] == value, f"layer {position} ({want['type']}): {key}"


def test_mlp_symbolic_by_hand() -> None:
    require("keras")
    figures = keras_figures(load("mlp_symbolic"))
    assert figures["total"] == 784 * 256 + 256 + 256 * 10 + 10 == 203530
    assert figures["trainable"] == 203530
    assert figures["non_trainable"] == 0
    assert [layer["params"] for layer in figures["layers"]] == [200960, 2570]
    assert [layer["output_shape"] for layer in figures["layers"]] == [[None, 256], [None, 10]]
    assert [layer["name"] for layer in figures["layers"]] == ["dense", "dense_1"]


@pytest.mark.parametrize(
    ("input_shape", "layer", "total"),
    [
        ([5, 300], {"LSTM": {"input_size": 300, "hidden_size": 512, "num_layers": 2}}, 3_768_320),
        ([4, 512], {"MultiheadAttention": {"embed_dim": 512, "num_heads": 8}}, 1_050_624),
        (
            [16, 8, 8],
            {"Conv2d": {"in_channels": 16, "out_channels": 32, "kernel_size": 3, "groups": 4}},
            1_184,
        ),
        ([4, 512], {"Transformer": {}}, 44_140_544),
    ],
)
def test_torch_figures_quoted_in_formulas(
    input_shape: list[int], layer: dict[str, Any], total: int
) -> None:
    require("torch")
    spec = {"name": "quoted", "framework": "pytorch", "input": input_shape, "layers": [layer]}
    figures = torch_figures(spec)
    assert figures["total"] == figures["trainable"] == figures["layers"][0]["params"] == total
    assert figures["non_trainable"] == 0


def test_symbols_and_expressions_are_substituted_without_eval() -> None:
    spec = apply_symbols(
        {
            "name": "d",
            "symbols": {"d": 8, "h": "4*d"},
            "input": ["d", 3],
            "layers": [
                {"Dense": {"name": "h", "units": "h // 2 + d", "activation": "relu"}},
                {"Dropout": {"rate": "1/4", "inputs": "d"}},
                {"Lambda": {"function": "__import__('os')"}},
            ],
        }
    )
    assert spec["input"] == [8, 3]
    assert spec["layers"][0]["Dense"] == {"name": "h", "units": 24, "activation": "relu"}
    assert spec["layers"][1]["Dropout"] == {"rate": 0.25, "inputs": "d"}
    assert spec["layers"][2]["Lambda"] == {"function": "__import__('os')"}
    assert evaluate("(H - 2) ** 2", {"H": 6}) == 16
    with pytest.raises(ValueError):
        evaluate("2 ** 10 ** 10", {})


def test_oracles_do_not_use_the_explain_package() -> None:
    for module in ("keras_oracle.py", "torch_oracle.py"):
        tree = ast.parse((Path(__file__).parent / module).read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 0
        }
        assert "explain" not in imported, module
