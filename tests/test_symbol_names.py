"""Declared symbols read back from ``total_formula`` under the names they were declared with,
including names sympy's parser would read as constants or functions (N, E, I, S, Q, O, beta,
gamma, pi, lambda_); only names of functions that formulas print are refused."""
from __future__ import annotations

import pytest
import sympy

import explain
from explain.render.json_out import model_dict
from tests.conftest import require_module

NAMES = {"N": 7, "E": 3, "I": 4, "S": 5, "Q": 2, "O": 6, "beta": 8, "gamma": 9, "pi": 10, "lambda_": 11}
SPEC = {
    "symbols": NAMES,
    "input": ["N", "E"],
    "layers": [{"Dense": {"units": "I"}}, {"Dense": {"units": "S*Q"}},
               {"Conv1D": {"filters": "O", "kernel_size": 1}}, {"LSTM": {"units": "beta"}},
               {"Dense": {"units": "gamma + pi"}}, {"Embedding": {"input_dim": "lambda_", "output_dim": 2}}],
}


def keras_count() -> int:
    """The same model at the declared values, counted by Keras 3."""
    require_module("keras")
    import keras
    from keras import layers
    v = NAMES
    model = keras.Sequential([
        keras.Input((v["N"], v["E"])), layers.Dense(v["I"]), layers.Dense(v["S"] * v["Q"]),
        layers.Conv1D(v["O"], 1), layers.LSTM(v["beta"]), layers.Dense(v["gamma"] + v["pi"]),
        layers.Embedding(v["lambda_"], 2)])
    return model.count_params()


def test_names_sympy_knows_otherwise_work_and_read_back():
    model = explain.load(SPEC)
    assert model.total == keras_count()
    text = model_dict(model)["total_formula"]
    plain = {n: sympy.Symbol(n) for n in NAMES}
    parsed = sympy.parse_expr(text, local_dict=plain)  # the test parses our output, never user text
    assert {s.name for s in parsed.free_symbols} == set(NAMES) - {"N"}  # N: the sequence length
    assert all(isinstance(s, sympy.Symbol) for s in parsed.free_symbols)
    ours = model.total_expr.xreplace({s: plain[s.name] for s in model.total_expr.free_symbols})
    assert sympy.expand(parsed - ours) == 0
    assert parsed.xreplace({plain[n]: v for n, v in NAMES.items()}) == keras_count()


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "json"])
def test_such_names_render_in_every_format(fmt):
    from explain.render import render
    assert render(explain.load(SPEC), "en", fmt)


@pytest.mark.parametrize("name", ["floor", "ceiling", "Max", "Min", "Mod"])
def test_names_of_functions_formulas_print_are_refused(name):
    with pytest.raises(explain.ExplainError, match=f"symbol name '{name}'"):
        explain.load({"symbols": {name: 3}, "input": [name], "layers": [{"Dense": {"units": 2}}]})


def test_a_keyword_is_refused_with_a_hint():
    with pytest.raises(explain.ExplainError, match="'lambda_'"):
        explain.load({"symbols": {"lambda": 3}, "input": ["lambda"], "layers": [{"Dense": {"units": 2}}]})


def test_sizes_never_reach_sympys_parser():
    from explain.symbols import to_expr
    with pytest.raises(TypeError):
        to_expr("__import__('os')")


def test_total_formula_reads_back_in_the_declared_symbols():
    # Dense(units=2) on n inputs: n·2 + 2 (kernel and bias), derived by hand.
    model = explain.load({"symbols": {"n": 7}, "input": ["n"], "layers": [{"Dense": {"units": 2}}]})
    n = sympy.Symbol("n")
    formula = sympy.parse_expr(model_dict(model)["total_formula"], local_dict={"n": n})
    assert sympy.expand(formula - (2 * n + 2)) == 0
    assert model.total == 7 * 2 + 2
