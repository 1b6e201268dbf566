"""The output size along one axis of a sliding window (convolution, pooling, transposed
convolution): one symbolic rule per kind, exact for ints and symbolic otherwise.

Each rule is a sympy expression in the generic symbols below, written in textbook order. Shape
inference substitutes a layer's numbers into it (:meth:`Window.length`); the derivation prints the
rule, the rule with the numbers and the result from the same :class:`Window`.

    floor       ⌊(n + 2p − k_eff)/s⌋ + 1          symmetric padding p (Keras 'valid': p = 0;
                                                  Keras 'same' with a known n; torch)
    floor_asym  ⌊(n + p_1 + p_2 − k_eff)/s⌋ + 1   p_1 before, p_2 after (Keras 'causal', torch 'same')
    same        ⌈n/s⌉                            Keras 'same'
    ceil        ⌈(n + 2p − k_eff)/s⌉ + 1          torch ceil_mode where p + s ≤ k_eff
    ceil_start  ⌈(n + p)/s⌉                       torch ceil_mode where p + s > k_eff: a window
                                                  must start inside the input or the left padding
    ceil_clip   ⌊(n + 2p − k_eff + min(k_eff − p, s) − 1)/s⌋ + 1   torch ceil_mode with p, s or k
                                                  symbolic: both of the above in one (n once)
    transpose   (n − 1)·s − 2p + k_eff + p_o      torch; Keras with output_padding
    transpose_valid  n·s + max(k_eff − s, 0)      Keras 'valid' without output_padding
    transpose_same   n·s                          Keras 'same' without output_padding

with k_eff = d·(k − 1) + 1 (k_eff is k where d = 1); a window without a padding argument (Keras's
pools) has p = 0 in its rule.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable, Mapping, Optional

import sympy

from .records import record
from .symbols import Later, Value, as_value, sym, to_expr

Length = Optional[Value]

n, k, s, d, p, p_1, p_2, p_o, k_eff = (sym(x) for x in ("n", "k", "s", "d", "p", "p_1", "p_2", "p_o", "k_eff"))


def _add(*terms: sympy.Expr) -> sympy.Expr:
    return sympy.Add(*terms, evaluate=False)


def _frac(a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
    return sympy.Mul(a, sympy.Pow(b, -1), evaluate=False)


K_EFF = _add(sympy.Mul(d, _add(k, -1), evaluate=False), 1)
"""k_eff = d·(k − 1) + 1."""

RULES: Mapping[str, sympy.Expr] = Later({
    "floor": lambda: _add(sympy.floor(_frac(_add(n, 2 * p, -k_eff), s), evaluate=False), 1),
    "floor_asym": lambda: _add(sympy.floor(_frac(_add(n, p_1, p_2, -k_eff), s), evaluate=False), 1),
    "same": lambda: sympy.ceiling(_frac(n, s), evaluate=False),
    "ceil": lambda: _add(sympy.ceiling(_frac(_add(n, 2 * p, -k_eff), s), evaluate=False), 1),
    "ceil_start": lambda: sympy.ceiling(_frac(_add(n, p), s), evaluate=False),
    "ceil_clip": lambda: _add(sympy.floor(_frac(_add(n, 2 * p, -k_eff, sympy.Min(_add(k_eff, -p), s, evaluate=False),
                                                    -1), s), evaluate=False), 1),
    "transpose": lambda: _add(sympy.Mul(_add(n, -1), s, evaluate=False), -2 * p, k_eff, p_o),
    "transpose_valid": lambda: _add(sympy.Mul(n, s, evaluate=False), sympy.Max(_add(k_eff, -s), 0, evaluate=False)),
    "transpose_same": lambda: sympy.Mul(n, s, evaluate=False),
})
"""Each kind's rule, built when a model first has a window of that kind."""


PADDINGS: Mapping[str, sympy.Expr] = Later({
    "half": lambda: sympy.Mul(_add(k_eff, -1), sympy.Pow(sympy.Integer(2), -1, evaluate=False), evaluate=False),
    "total": lambda: sympy.Max(_add(sympy.Mul(_add(sympy.ceiling(_frac(n, s), evaluate=False), -1), s,
                                              evaluate=False), k_eff, -n), 0, evaluate=False),
    "half_k_eff": lambda: sympy.floor(_frac(k_eff, 2), evaluate=False),
})
"""Padding rules, each built when first asked for. ``half``: 'same' with stride 1 and an odd k_eff,
p = (k_eff − 1)/2 at each end, so the size is kept; ``total``: 'same', the padding that makes the
output ⌈n/s⌉ long, max((⌈n/s⌉ − 1)·s + k_eff − n, 0); ``half_k_eff``: Keras's transposed 'same'
with output_padding, p = ⌊k_eff/2⌋."""


def pad_before(total: Value | sympy.Expr) -> sympy.Expr:
    """'same': the padding before the input, ⌊(p_1 + p_2)/2⌋ (the larger half goes after), as written."""
    return sympy.floor(sympy.Mul(to_expr(total) if not isinstance(total, sympy.Basic) else total,
                                 sympy.Pow(sympy.Integer(2), -1, evaluate=False), evaluate=False), evaluate=False)


def pad_rule(rule: sympy.Expr, dilated: bool) -> sympy.Expr:
    """A padding rule as the derivation shows it (k for k_eff when undilated)."""
    return _written(rule, {} if dilated else {k_eff: k}, ())


@lru_cache(maxsize=4096, typed=True)
def effective_kernel(k_: Value, d_: Value) -> Value:
    """k_eff = d·(k − 1) + 1 (the rule ``K_EFF`` with the numbers); once per kernel size and
    dilation (a window asks for it at each step: ten times a convolution on a 4,000-layer CNN)."""
    return _evaluate(K_EFF, {"k": k_, "d": d_})


@record
class Window:
    """A window sliding along one axis: the rule's ``kind`` and the layer's numbers for it."""

    kind: str
    k: Value
    s: Value
    d: Value = 1
    pad: tuple[Value, Value] = (0, 0)
    """Padding before and after (symmetric rules use the first)."""
    output_padding: Value = 0
    padded: bool = True
    """False for a layer without a padding argument (Keras's pools): p is left out of its rule."""

    @property
    def k_eff(self) -> Value:
        return effective_kernel(self.k, self.d)

    @property
    def dilated(self) -> bool:
        return not (isinstance(self.d, int) and self.d == 1)

    @property
    def rule(self) -> sympy.Expr:
        """The rule as the derivation shows it: k for k_eff when undilated, no p when unpadded."""
        return _rule(self.kind, self.dilated, self.padded)

    def _numbers(self, length: Value) -> dict[str, Value]:
        """The rules' symbols (by name) with this window's numbers."""
        return {"n": length, "k": self.k, "s": self.s, "d": self.d, "k_eff": self.k_eff, "p": self.pad[0],
                "p_1": self.pad[0], "p_2": self.pad[1], "p_o": self.output_padding}

    def values(self, length: Value) -> dict[sympy.Symbol, Value]:
        """The symbols of :attr:`rule` with this window's numbers and the input length ``length``."""
        free = self.rule.free_symbols
        return {sym(name): v for name, v in self._numbers(length).items() if sym(name) in free}

    def length(self, length: Length) -> Length:
        """The output length for an input of ``length`` (None: unknown)."""
        if length is None:
            return None
        return _evaluate(RULES[self.kind], self._numbers(length))


@lru_cache(maxsize=None)
def _rule(kind: str, dilated: bool, padded: bool) -> sympy.Basic:
    """The rule of ``kind`` as written for a window (built once per kind: every layer's every
    axis asks for it, several times)."""
    return _written(RULES[kind], {} if dilated else {k_eff: k}, () if padded else (p,))


def _written(rule: sympy.Basic, rename: dict, drop: tuple) -> sympy.Basic:
    """``rule`` with symbols renamed and terms in ``drop`` left out of its sums, keeping the
    order it was written in (nothing is evaluated)."""
    if rule.is_Symbol:
        return rename.get(rule, rule)
    if not rule.args:
        return rule
    args = [a for a in rule.args if not (rule.is_Add and a.free_symbols and a.free_symbols <= set(drop))]
    args = [_written(a, rename, drop) for a in args]
    if len(args) == 1 and rule.is_Add:
        return args[0]
    return rule.func(*args, evaluate=False)


def _evaluate(rule: sympy.Expr, values: dict[str, Value]) -> Value:
    """``rule`` with ``values`` (by symbol name) substituted, evaluated: in Python ints where
    they are all numbers, else by sympy, with a ceiling of a symbolic length in its
    shorter form (``ceiling(H/2)``, but ``floor(floor(H/2)/2)`` rather than
    ``ceiling(floor(H/2)/2 - 1/2)``), so that a chain of layers stays compact."""
    if all(type(v) is int for v in values.values()):
        number = _in_ints(rule, tuple(values.items()))
        if number is not None:
            return number
    result = _substitute(rule, {sym(name): to_expr(v) for name, v in values.items()})
    if not result.is_Integer and result.has(sympy.ceiling):
        result = result.replace(lambda e: isinstance(e, sympy.ceiling), _compact_ceiling)
    return as_value(result)


@lru_cache(maxsize=4096)
def _in_ints(rule: sympy.Expr, values: tuple[tuple[str, int], ...]) -> int | None:
    """``rule`` at int ``values``, exactly, or None where sympy must say (a stride of 0, a part
    :func:`_integer_rule` does not know). Cached: a model repeats its layers' numbers."""
    named = dict(values)
    exact = _integer_rule(rule)
    if exact is None or not _free(rule) <= named.keys():
        return None
    try:
        number = exact(named)
    except ZeroDivisionError:
        return None
    return number if type(number) is int else None


_Exact = Callable[[dict], int]


@lru_cache(maxsize=None)
def _free(rule: sympy.Expr) -> frozenset[str]:
    return frozenset(x.name for x in rule.free_symbols)


@lru_cache(maxsize=None)
def _integer_rule(rule: sympy.Expr) -> _Exact | None:
    """``rule`` as a function of int values, exact (ints, a fraction only inside a floor or
    ceiling that does not divide evenly): built once per rule, so that shape inference over
    numbers costs no sympy work per layer. None: the rule has a part this does not know (sympy
    evaluates it then)."""
    if rule.is_Symbol:
        name = rule.name
        return lambda values: values[name]
    if rule.is_Integer:
        number = int(rule)
        return lambda values: number
    if isinstance(rule, (sympy.floor, sympy.ceiling)):
        quotient = _quotient(rule.args[0])
        if quotient is None:
            return None
        num, den = quotient
        if isinstance(rule, sympy.floor):
            return lambda values: num(values) // den(values)
        return lambda values: -(-num(values) // den(values))
    parts = [_integer_rule(a) for a in rule.args]
    if not parts or any(f is None for f in parts):
        return None
    fs: list[_Exact] = [f for f in parts if f is not None]
    if rule.is_Add:
        return lambda values: sum([f(values) for f in fs])
    if rule.is_Mul:
        return lambda values: math.prod([f(values) for f in fs])
    if isinstance(rule, (sympy.Min, sympy.Max)):
        pick = min if isinstance(rule, sympy.Min) else max
        return lambda values: pick([f(values) for f in fs])
    return None


def _quotient(e: sympy.Expr) -> tuple[_Exact, _Exact] | None:
    """``e`` as (numerator, denominator) functions of int values, where ``e`` is written as
    ``a/b`` (the rules' ``_frac``) or has no division."""
    if e.is_Mul and len(e.args) == 2 and e.args[1].is_Pow and e.args[1].exp == -1:
        num, den = _integer_rule(e.args[0]), _integer_rule(e.args[1].base)
    else:
        num, den = _integer_rule(e), (lambda values: 1)
    return None if num is None or den is None else (num, den)


def _substitute(e: sympy.Basic, values: dict) -> sympy.Basic:
    """``e`` with ``values`` in place, evaluated, except a floor or ceiling over another one (a
    chain of strided layers): sympy's evaluation asks the sign of the whole nested argument,
    which costs twice as much with every level."""
    if e.is_Symbol:
        return values.get(e, e)
    if not e.args:
        return e
    args = [_substitute(a, values) for a in e.args]
    if isinstance(e, (sympy.floor, sympy.ceiling)) and args[0].has(sympy.floor, sympy.ceiling):
        return e.func(args[0], evaluate=False)
    return e.func(*args)


def _compact_ceiling(e: sympy.ceiling) -> sympy.Expr:
    num, den = e.args[0].as_numer_denom()
    if den == 1 or not (den.is_integer and den.is_positive):
        return e
    down = sympy.floor((num + den - 1) / den)
    return min((e, down), key=lambda v: sympy.count_ops(v, visual=False))


# -- the frameworks' conventions: which rule, with which numbers

def keras_conv(length: Length, k_: Value, s_: Value, d_: Value, padding: str) -> Window:
    """Keras 3: 'valid' p = 0; 'causal' pads k_eff − 1 before; 'same' pads so that the output
    is ⌈n/s⌉ (the total max((⌈n/s⌉ − 1)·s + k_eff − n, 0), the larger half after), shown as
    such where n and k_eff are numbers."""
    if padding == "valid":
        return Window("floor", k_, s_, d_)
    keff = effective_kernel(k_, d_)
    if padding == "causal":
        return Window("floor_asym", k_, s_, d_, (as_value(keff - 1), 0))
    if isinstance(length, int) and isinstance(keff, int) and isinstance(s_, int):
        total = max((-(-length // s_) - 1) * s_ + keff - length, 0)
        before = total // 2
        if before == total - before:
            return Window("floor", k_, s_, d_, (before, before))
        return Window("floor_asym", k_, s_, d_, (before, total - before))
    return Window("same", k_, s_, d_)


def keras_pool(k_: Value, s_: Value, padding: str) -> Window:
    """Keras 3 pools: 'valid' ⌊(n − k)/s⌋ + 1, 'same' ⌈n/s⌉."""
    if padding == "valid":
        return Window("floor", k_, s_, padded=False)
    return Window("same", k_, s_, padded=False)


def keras_transpose(k_: Value, s_: Value, d_: Value, padding: str, output_padding: Value | None) -> Window:
    """Keras 3 transposed convolutions; with output_padding, p = ⌊k_eff/2⌋ for 'same'."""
    if output_padding is None:
        return Window("transpose_same" if padding == "same" else "transpose_valid", k_, s_, d_)
    keff = effective_kernel(k_, d_)
    pad = _evaluate(PADDINGS["half_k_eff"], {"k_eff": keff}) if padding == "same" else 0
    return Window("transpose", k_, s_, d_, (pad, pad), output_padding)


def torch_conv(k_: Value, s_: Value, d_: Value, padding: object) -> Window:
    """torch: explicit padding p; 'valid' p = 0; 'same' (stride 1) pads d·(k − 1), the larger
    half after."""
    if padding == "valid":
        return Window("floor", k_, s_, d_)
    if padding == "same":
        total = as_value(effective_kernel(k_, d_) - 1)
        if isinstance(total, int):
            before = total // 2
            if before == total - before:
                return Window("floor", k_, s_, d_, (before, before))
            return Window("floor_asym", k_, s_, d_, (before, total - before))
        return Window("same", k_, s_, d_)
    return Window("floor", k_, s_, d_, (padding, padding))


def torch_pool(k_: Value, s_: Value, p_: Value, d_: Value, ceil_mode: bool) -> Window:
    """torch pools. With ceil_mode torch rounds up but drops a last window that would start in the
    right padding: min(⌈(n + 2p − k_eff)/s⌉ + 1, ⌈(n + p)/s⌉), which is the first where
    p + s ≤ k_eff and the second otherwise (``ceil_clip`` where that is not known)."""
    if not ceil_mode:
        return Window("floor", k_, s_, d_, (p_, p_))
    reach = as_value(p_ + s_ - effective_kernel(k_, d_))
    kind = "ceil_clip" if not isinstance(reach, int) else "ceil" if reach <= 0 else "ceil_start"
    return Window(kind, k_, s_, d_, (p_, p_))


def torch_transpose(k_: Value, s_: Value, d_: Value, p_: Value, output_padding: Value) -> Window:
    return Window("transpose", k_, s_, d_, (p_, p_), output_padding)
