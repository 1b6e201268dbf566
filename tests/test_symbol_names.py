"""Declared symbols must read back from ``total_formula``: names sympy reserves are refused."""
from __future__ import annotations

import pytest
import sympy

import explain


@pytest.mark.parametrize("name", ["E", "I", "N", "S", "pi", "gamma", "floor", "Max"])
def test_names_sympy_reads_otherwise_are_refused(name):
    with pytest.raises(explain.ExplainError, match=f"symbol name '{name}'"):
        explain.load({"symbols": {name: 3}, "input": [name], "layers": [{"Dense": {"units": 2}}]})


def test_total_formula_reads_back_in_the_declared_symbols():
    # Dense(units=2) on n inputs: n·2 + 2 (kernel and bias), derived by hand.
    model = explain.load({"symbols": {"n": 7}, "input": ["n"], "layers": [{"Dense": {"units": 2}}]})
    from explain.render.json_out import model_dict
    formula = sympy.sympify(model_dict(model)["total_formula"], locals={"n": sympy.Symbol("n")})
    assert sympy.expand(formula - (2 * sympy.Symbol("n") + 2)) == 0
    assert model.total == 7 * 2 + 2
