"""min and max separate their arguments by a semicolon where the comma is the decimal sign (de, fr,
es): "max(… − 224, 0)" read as 224,0 and "min(131 072, 1 024)" was ambiguous (review 36 fr 13, es 6,
ja 3); en and ja keep the comma."""
from __future__ import annotations

import pytest
import sympy

import explain
from explain.render import render
from explain.render.mathtex import MathPrinter
from tests.conftest import FIXTURES

T, w = sympy.symbols("T w")


@pytest.mark.parametrize("lang, sep", [("en", ", "), ("ja", ", "), ("de", "; "), ("fr", "; "), ("es", "; ")])
def test_the_separator_follows_the_decimal_sign(lang, sep):
    p = MathPrinter(lang)
    assert p.expr(sympy.Min(T, w)) == rf"\min(T{sep}w)"
    assert p.expr(sympy.Max(T - 224, 0)) == rf"\max(T - 224{sep}0)"
    assert MathPrinter(lang, plain=True).expr(sympy.Min(T, w)) == f"min(T{sep}w)"


@pytest.mark.parametrize("lang, sep", [("en", ", "), ("de", "; "), ("fr", "; "), ("es", "; "), ("ja", ", ")])
def test_mobilenets_same_padding(lang, sep):
    """conv1: 'same' padding of a 3 × 3 kernel with stride 2 on 224: max((⌈224/2⌉ − 1)·2 + 3 − 224, 0) = 1."""
    assert max((-(-224 // 2) - 1) * 2 + 3 - 224, 0) == 1
    doc = render(explain.load(FIXTURES / "keras" / "MobileNet.json"), lang=lang)
    assert f"224{sep}0\\right)" in doc
    other = "224, 0" if sep == "; " else "224; 0"
    assert other not in doc
