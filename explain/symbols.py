"""The generic symbols that layer formulas are written in, and the exact-arithmetic helpers.

A formula is built once per layer type in these symbols (``k_h*k_w*c_in*c_out + c_out``); a
layer instance substitutes its values, which are ints or sympy expressions in the symbols a
user declared.
"""
from __future__ import annotations

from functools import lru_cache
from types import FunctionType
from typing import Any, Iterator, Mapping, Union

import sympy

Value = Union[int, sympy.Expr]
"""A size: an exact int, or a sympy expression in declared symbols."""


@lru_cache(maxsize=None)
def sym(name: str) -> sympy.Symbol:
    """The positive integer symbol ``name`` (one object per name)."""
    return sympy.Symbol(name, positive=True, integer=True)


# Notation of GLOSSARY.md.
k, k_d, k_h, k_w = sym("k"), sym("k_d"), sym("k_h"), sym("k_w")
c_in, c_out, g, m = sym("c_in"), sym("c_out"), sym("g"), sym("m")
n_in, n_out = sym("n_in"), sym("n_out")
C, G, D = sym("C"), sym("G"), sym("D")
V, d = sym("V"), sym("d")
"""Vocabulary size and embedding width."""

class Later(Mapping[str, Any]):
    """A table whose values written as ``lambda: …`` are built when first read, each once (the
    same object on every read); other values are kept as given. Formulas a module defines for
    every case (the window rules, the sentences' placeholders) then cost sympy work only for the
    cases a model has, not at import."""

    def __init__(self, items: dict[str, Any]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        value = self._items[key]
        if type(value) is FunctionType:
            value = self._items[key] = value()
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._items  # without building the value (Mapping's would)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


KERNEL_SYMBOLS: dict[int, tuple[sympy.Symbol, ...]] = {1: (k,), 2: (k_h, k_w), 3: (k_d, k_h, k_w)}


def product(values) -> Value:
    """Exact product; stays an int when every factor is one."""
    result: Value = 1
    for v in values:
        result = result * v
    return result


def to_expr(v: Value) -> sympy.Expr:
    """``v`` as a sympy expression. Only ints and expressions are accepted: text never reaches
    sympy's parser (``sympify`` would evaluate it)."""
    if isinstance(v, sympy.Basic):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return sympy.Integer(v)
    raise TypeError(f"not a size: {v!r}")


def is_number(v: object) -> bool:
    return isinstance(v, int) or (isinstance(v, sympy.Basic) and v.is_Integer)


def as_value(v: Value) -> Value:
    """Normalise: sympy Integers become Python ints."""
    if isinstance(v, sympy.Basic) and v.is_Integer:
        return int(v)
    return v


def at_values(v: sympy.Expr, values: Mapping[sympy.Symbol, int]) -> sympy.Expr:
    """``v`` with ``values`` substituted; ``nan`` where that divides by zero (``a % (a - b)``
    with a = b): never an exception."""
    try:
        result = v.xreplace({s: sympy.Integer(x) for s, x in values.items()})
    except ZeroDivisionError:
        return sympy.nan
    return sympy.nan if result.has(sympy.zoo, sympy.nan) else result


MAX_TERMS = 200
"""The most terms an expansion may have: a larger one is left as it is written."""


def expansion_terms(expr: sympy.Expr, limit: int = MAX_TERMS) -> int:
    """An upper bound on the number of terms of ``sympy.expand(expr)``, found without expanding
    (a sum adds, a product multiplies, ``(t terms)**n`` has at most C(t + n − 1, n)); anything
    above ``limit`` counts as ``limit + 1``."""
    from math import comb
    if not isinstance(expr, sympy.Basic) or expr.is_Atom:
        return 1
    if expr.is_Add:
        total = 0
        for a in expr.args:
            total += expansion_terms(a, limit)
            if total > limit:
                return limit + 1
        return total
    if expr.is_Mul:
        total = 1
        for a in expr.args:
            total *= expansion_terms(a, limit)
            if total > limit:
                return limit + 1
        return total
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        t = expansion_terms(expr.base, limit)
        return min(comb(t + int(expr.exp) - 1, int(expr.exp)), limit + 1) if t > 1 else 1
    return 1  # a function (floor, Max, …) or a negative power: expand leaves its inside alone


def expand_bounded(expr: Value, limit: int = MAX_TERMS) -> Value | None:
    """``sympy.expand(expr)`` if it has at most ``limit`` terms, else None (not computed)."""
    if isinstance(expr, int):
        return expr
    if expansion_terms(expr, limit) > limit:
        return None
    return sympy.expand(expr)


MAX_EXPR_SIZE = 300
"""The most operations a symbolic size may have (a chain of about 50 strided layers over a
symbolic length): sympy's printers and evaluation recurse through an expression, and every
formula is printed at each layer it reaches."""


def expr_size(expr: Value, limit: int = MAX_EXPR_SIZE) -> int:
    """The number of nodes of ``expr``'s tree, counted up to ``limit + 1``."""
    if not isinstance(expr, sympy.Basic):
        return 1
    count, stack = 0, [expr]
    while stack and count <= limit:
        e = stack.pop()
        count += 1
        stack.extend(e.args)
    return count


def same_value(a: Value, b: Value) -> bool | None:
    """Whether two sizes are equal: True or False where that is decided by expanding their
    difference (bounded: :func:`expand_bounded`), None where it is not."""
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if a == b:
        return True
    diff = expand_bounded(to_expr(a) - to_expr(b))
    if diff is None:
        return None
    if diff == 0:
        return True
    return False if isinstance(diff, int) or diff.is_number else None


def fdiv(a: Value, b: Value) -> Value:
    """⌊a / b⌋, exact for ints and symbolic otherwise."""
    if isinstance(a, int) and isinstance(b, int):
        return a // b
    return as_value(_rounded(sympy.floor, sympy.Integer(a) / b if isinstance(a, int) else a / b))


def cdiv(a: Value, b: Value) -> Value:
    """⌈a / b⌉, exact for ints and symbolic otherwise."""
    if isinstance(a, int) and isinstance(b, int):
        return -(-a // b)
    return as_value(_rounded(sympy.ceiling, sympy.Integer(a) / b if isinstance(a, int) else a / b))


def _rounded(function, x: sympy.Expr) -> sympy.Expr:
    """``function(x)`` (floor or ceiling); over an ``x`` that holds another floor or ceiling (a
    chain of strided layers) unevaluated: sympy's evaluation asks the sign of the whole nested
    argument, which costs twice as much with every level."""
    if x.has(sympy.floor, sympy.ceiling):
        return function(x, evaluate=False)
    return function(x)


def exact_div(a: Value, b: Value) -> Value:
    """a / b where b divides a."""
    if isinstance(a, int) and isinstance(b, int):
        return a // b
    return as_value(sympy.Integer(a) / b if isinstance(a, int) else a / b)
