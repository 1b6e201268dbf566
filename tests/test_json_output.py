"""JSON output details (SPEC.md section 4) beyond the counts: repeated blocks and formulas."""
from __future__ import annotations

import json

import sympy

from explain import load
from explain.render.json_out import model_dict
from tests.conftest import FIXTURES


def test_repeated_blocks_say_how_often_and_per_copy_weights_multiply_to_params():
    config = json.loads((FIXTURES / "hf" / "gpt2.json").read_text())
    got = model_dict(load(FIXTURES / "hf" / "gpt2.json"))
    blocks = [layer for layer in got["layers"] if "repeat" in layer]
    assert [b["repeat"] for b in blocks] == [config["n_layer"]]
    block = blocks[0]
    assert block["repeat_formula"] == "L"
    assert block["params"] == block["repeat"] * sum(block["weights"].values())
    # Closed form for GPT-2 (FORMULAS.md): V·d + T·d + L·(12d² + 13d) + 2d.
    V, T, d, L = sympy.symbols("V T d L")
    formula = sympy.sympify(got["total_formula"], locals={"V": V, "T": T, "d": d, "L": L})
    assert sympy.expand(formula - (V * d + T * d + L * (12 * d**2 + 13 * d) + 2 * d)) == 0
    expected = json.loads((FIXTURES / "hf" / "expected.json").read_text())["gpt2"]["params"]
    assert got["total"] == expected
