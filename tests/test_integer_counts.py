"""Weight counts over numbers are Python int arithmetic built once per formula
(``model._polynomial``), not sympy substitution per layer (issue 21): the same number sympy
gives for every layer of the Keras fixtures, and the totals Keras itself reported for them
(tests/fixtures/keras/expected.json)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy

from explain import load
from explain.model import _evaluate, _free_symbols, _polynomial, count
from explain.symbols import as_value, sym, to_expr

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "keras" / "expected.json").read_text("utf-8"))


def _by_sympy(formula: sympy.Expr, values: dict) -> object:
    return as_value(formula.xreplace({s: to_expr(values[s]) for s in formula.free_symbols}))


@pytest.mark.parametrize("source", [
    *[str(FIXTURES / "keras" / f"{name}.json") for name in sorted(EXPECTED)],
    "example:seed-cnn", "example:lenet5", str(FIXTURES / "hf" / "gpt2.json"),
])
def test_every_count_is_what_sympy_gives_for_the_layers_formula(source):
    model = load(source)
    checked = 0
    for node in model.nodes:
        for group in node.layer.weight_groups_for(node.input_shapes):
            if not group.formula.free_symbols:
                continue
            got = count(group, node.values)
            assert got == _by_sympy(group.formula, node.values), (node.name, group.name)
            assert type(got) is type(_by_sympy(group.formula, node.values))
            checked += 1
    assert checked


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_keras_fixtures_totals_are_keras_own(name):
    model = load(str(FIXTURES / "keras" / f"{name}.json"))
    assert (model.total, model.trainable) == (EXPECTED[name]["total"], EXPECTED[name]["trainable"])


def test_counts_in_ints_agree_with_sympy_on_powers_fractions_and_what_only_sympy_evaluates():
    h, i, n = sym("h"), sym("i"), sym("n")
    lstm = sympy.expand(4 * h * (i + h) + 4 * h)  # 4·h**2 + 4·h·i + 4·h
    assert _polynomial(lstm) is not None
    assert _polynomial(sympy.floor(n / 2) * h) is None
    half = h * (h + 1) / 2
    for formula in (lstm, h ** 3 + 2, half, sympy.floor(n / 2) * h, sympy.Max(h, i) * i):
        for values in ({h: 1, i: 1, n: 1}, {h: 7, i: 3, n: 9}, {h: 10**40, i: 5, n: 2**70 + 1}):
            args = tuple(values[s] for s in _free_symbols(formula))
            got = _evaluate(formula, args)
            assert got == _by_sympy(formula, values) and type(got) is int, (formula, values)
    assert _evaluate(h / 2, (3,)) == sympy.Rational(3, 2)  # not whole: sympy's value, as before
    x = sympy.Symbol("x", positive=True, integer=True)
    assert _evaluate(h * i, (x, 3)) == 3 * x  # a symbolic size still goes through sympy


def test_two_symbols_of_one_name_keep_their_own_values():
    formula = sympy.Symbol("h") * 10 + sym("h")
    free = _free_symbols(formula)
    assert len(free) == 2
    values = dict(zip(free, (2, 3)))
    assert _evaluate(formula, (2, 3)) == _by_sympy(formula, values)
