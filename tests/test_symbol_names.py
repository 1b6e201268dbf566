"""Declared symbols read back from ``total_formula`` under the names they were declared with,
including names sympy's parser would read as constants or functions (N, E, I, S, Q, O, beta,
gamma, pi, lambda_); only names of functions that formulas print are refused."""
from __future__ import annotations

import json
import re
import sys
from functools import cache

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


@cache
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
    ours = model.total_expr.xreplace({s: plain[s.name] for s in model.total_expr.free_symbols})
    assert sympy.expand(parsed - ours) == 0
    assert parsed.xreplace({plain[n]: v for n, v in NAMES.items()}) == keras_count()


# each declared name as TeX writes it, and what it would be had sympy read it as its own object
TEX = {"E": "E", "I": "I", "S": "S", "Q": "Q", "O": "O", "beta": r"\beta", "gamma": r"\gamma",
       "pi": r"\pi", "lambda_": r"\lambda"}
NOT_THEIRS = ("e^{", r"\mathrm{e}", r"\operatorname{B}", r"\Gamma", "O\\left(", "3.14", "2.71")


def _token(tex: str) -> str:
    """``tex`` as a whole token: not part of a longer name or macro."""
    return (re.escape(tex) if tex.startswith("\\") else rf"(?<![A-Za-z\\]){tex}") + "(?![A-Za-z])"


def test_such_names_render_as_text_and_json():
    from explain.render import render
    model = explain.load(SPEC)
    text = render(model, "en", "text")
    # the summary's shapes in the declared names, the total Keras's own
    for shape in ("(None, N, I)", "(None, N, Q*S)", "(None, N, O)",
                  "(None, beta)", "(None, gamma + pi)", "(None, gamma + pi, 2)"):
        assert shape in text, shape
    assert f"Total params: {keras_count():,}" in text
    data = json.loads(render(model, "en", "json"))
    assert data["symbols"] == NAMES and data["total"] == keras_count()
    names = {n: sympy.Symbol(n) for n in NAMES}
    formula = sympy.parse_expr(data["total_formula"], local_dict=names)  # our output, not user text
    assert {s.name for s in formula.free_symbols} == set(NAMES) - {"N"}
    assert formula.xreplace({names[n]: v for n, v in NAMES.items()}) == keras_count()


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_such_names_render_as_their_symbols_in_tex(fmt):
    from explain.render import render
    out = render(explain.load(SPEC), "en", fmt)
    heading = "Expanded:"
    assert heading in out
    substituted = re.compile(r"Substituting the values|Each term with the values substituted")
    declared = substituted.split(out.split(heading, 1)[1], 1)[0]
    for name, tex in TEX.items():
        assert re.search(_token(tex), declared), (name, declared)
    for theirs in NOT_THEIRS:
        assert theirs not in declared, theirs
    assert re.search(_token("N"), out.split("(the batch axis", 1)[0])  # N: in the input's shape
    # the declared values substituted (β·π is 8 × 10: π is the declared 10), summing to Keras's count
    values = substituted.split(out, 1)[1].split("Trainable", 1)[0]
    assert r"8 \times 10" in values and f"= {keras_count()}" in values


@pytest.mark.parametrize("name", ["floor", "ceiling", "Max", "Min", "Mod"])
def test_names_of_functions_formulas_print_are_refused(name):
    with pytest.raises(explain.ExplainError, match=f"symbol name '{name}'"):
        explain.load({"symbols": {name: 3}, "input": [name], "layers": [{"Dense": {"units": 2}}]})


def test_a_keyword_is_refused_with_a_hint():
    with pytest.raises(explain.ExplainError, match="'lambda_'"):
        explain.load({"symbols": {"lambda": 3}, "input": ["lambda"], "layers": [{"Dense": {"units": 2}}]})


def test_sizes_never_reach_sympys_parser(monkeypatch):
    from explain.symbols import to_expr
    with pytest.raises(TypeError):
        to_expr("__import__('os')")
    # every way into sympy's parser raises on text; loading the spec (its sizes are text such as
    # "S*Q" and "gamma + pi") must still give Keras's count
    seen = []

    def refuse(real):
        def wrapper(*args, **kwargs):
            if any(isinstance(a, str) for a in (*args, *kwargs.values())):
                seen.append(args[0] if args else kwargs)
                raise AssertionError(f"text reached sympy's parser: {args!r}")
            return real(*args, **kwargs)
        return wrapper

    import sympy.parsing.sympy_parser
    core = sys.modules["sympy.core.sympify"]  # the module: sympy.core.sympify names the function
    for owner, name in ((sympy, "sympify"), (core, "sympify"), (sympy, "parse_expr"),
                        (sympy.parsing.sympy_parser, "parse_expr"),
                        *((m, n) for m in list(sys.modules.values()) if getattr(m, "__name__", "").startswith("explain")
                          for n in ("sympify", "parse_expr") if callable(getattr(m, n, None)))):
        monkeypatch.setattr(owner, name, refuse(getattr(owner, name)))
    with pytest.raises(AssertionError):
        sympy.sympify("gamma + pi")  # the patch is in place
    seen.clear()
    model = explain.load(SPEC)
    assert seen == []
    monkeypatch.undo()
    assert model.total == keras_count()


def test_total_formula_reads_back_in_the_declared_symbols():
    # Dense(units=2) on n inputs: n·2 + 2 (kernel and bias), derived by hand.
    model = explain.load({"symbols": {"n": 7}, "input": ["n"], "layers": [{"Dense": {"units": 2}}]})
    n = sympy.Symbol("n")
    formula = sympy.parse_expr(model_dict(model)["total_formula"], local_dict={"n": n})
    assert sympy.expand(formula - (2 * n + 2)) == 0
    assert model.total == 7 * 2 + 2


def test_no_code_path_calls_sympys_parser():
    """Nothing in the package calls sympify or parse_expr (sizes become sympy objects through
    ``to_expr``, which takes ints and expressions only), and the printer refuses text."""
    import ast
    from pathlib import Path

    from explain.render.mathtex import MathPrinter
    package = Path(explain.__file__).parent
    calls = [f"{path.relative_to(package)}:{node.lineno}"
             for path in sorted(package.rglob("*.py"))
             for node in ast.walk(ast.parse(path.read_text("utf-8")))
             if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
             in ("sympify", "parse_expr", "S")]
    assert calls == []
    with pytest.raises(TypeError):
        MathPrinter("en").expr("__import__('os')")
