"""Compute of a forward pass: multiply-accumulates (MACs) and other operations, per layer.

Conventions (the numbers every part of explain reports):

- Every count is for one sample; a batch of B samples takes B times as much.
- A MAC is one multiply-accumulate a·b + c, the unit of a matrix product or a convolution.
  FLOPs = 2 × MACs (one multiplication and one addition). fvcore's FlopCountAnalysis and
  ptflops report MACs (fvcore calls them "flops"); ``torch.utils.flop_counter.FlopCounterMode``
  reports 2 × MACs of the matrix products, convolutions and attention it dispatches, and nothing
  for elementwise work.
- Other operations are the elementwise work beside the MACs, one per output element and
  operation: a bias add 1, an activation 1, softmax 3 (exp, sum, divide), batch normalization at
  inference 2 (x·a + b with the statistics folded in), layer or group normalization 5 (mean 1,
  variance 2, normalise 2) and RMS normalization 3 (sum of squares 2, normalise 1), each + 1 per
  affine weight (γ, β); a pooling window's k elements per output, a global pool each input
  element once; a merge of n inputs n − 1 per output element. Dropout, reshaping, padding and
  cropping compute nothing at inference.
- Training takes about 3 × the forward pass: the backward pass computes the gradients with
  respect to the activations and with respect to the weights, each about one forward pass.

A layer type writes its MACs and other operations once, as sympy formulas in its own symbols
and the shape symbols below, and a layer substitutes its values (``Layer.cost``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Mapping, Sequence

import sympy

from ..symbols import Value, product, sym

N_out, N_in = sym("N_out"), sym("N_in")
"""Elements of the output and of the input (one sample)."""
n_pos = sym("n_pos")
"""Positions a layer applies its weights at: the input's sizes without the feature axis."""
T = sym("T")
"""Time steps of a recurrent layer (the sequence length)."""
L_out, D_out, H_out, W_out = sym("L_out"), sym("D_out"), sym("H_out"), sym("W_out")
OUT_SYMBOLS: dict[int, tuple[sympy.Symbol, ...]] = {1: (L_out,), 2: (H_out, W_out), 3: (D_out, H_out, W_out)}
"""The output's spatial sizes of a convolution or pooling, by spatial rank."""

FLOPS_PER_MAC = 2
TRAINING_FACTOR = 3

NO_RULE = "no_rule"
UNKNOWN_SIZE = "unknown_size"


class NotDerived(Exception):
    """A layer's compute cannot be derived: ``reason`` is ``no_rule`` (the type has no compute
    rule) or ``unknown_size`` (a size the count needs is unknown)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


ZERO = sympy.Integer(0)


@dataclass(frozen=True)
class Cost:
    """One copy's compute for one sample: formulas in the type's symbols and the shape symbols,
    and the value of every symbol in them."""

    macs: sympy.Expr
    other: sympy.Expr
    values: Mapping[sympy.Symbol, Value] = field(default_factory=dict)
    parts: tuple[tuple[str, sympy.Expr], ...] = ()
    """Named terms of ``macs`` (attention: projections, scores, weighted sum)."""


NONE = Cost(ZERO, ZERO)
"""A layer that computes nothing (reshaping, dropout at inference, a lookup)."""


def known(v: Value | None) -> Value:
    if v is None:
        raise NotDerived(UNKNOWN_SIZE)
    return v


def elements(shape: Sequence[Value | None]) -> Value:
    """The number of elements of ``shape`` (one sample); NotDerived if a size is unknown."""
    return product(known(d) for d in shape)


@cache
def per_element(ops: int) -> sympy.Expr:
    return sympy.Integer(ops) * N_out


def elementwise(out: Sequence[Value | None], ops: int) -> Cost:
    """``ops`` operations per output element, no MACs: N_out·ops."""
    if ops == 0:
        return NONE
    return Cost(ZERO, per_element(ops), {N_out: elements(out)})


@cache
def spatial_positions(rank: int) -> sympy.Expr:
    """H_out·W_out (rank 2), L_out, D_out·H_out·W_out."""
    return product(OUT_SYMBOLS[rank])


def spatial_values(rank: int, sizes: Sequence[Value | None]) -> dict[sympy.Symbol, Value]:
    return {s: known(v) for s, v in zip(OUT_SYMBOLS[rank], sizes)}


def bias_adds(bias: bool, out_elements: sympy.Expr) -> sympy.Expr:
    """One addition per output element where the layer has a bias."""
    return out_elements if bias else ZERO


def add_values(*maps: Mapping[sympy.Symbol, Value]) -> dict[sympy.Symbol, Value]:
    out: dict[sympy.Symbol, Value] = {}
    for m in maps:
        out.update(m)
    return out


L_in, D_in, H_in, W_in = sym("L_in"), sym("D_in"), sym("H_in"), sym("W_in")
IN_SYMBOLS: dict[int, tuple[sympy.Symbol, ...]] = {1: (L_in,), 2: (H_in, W_in), 3: (D_in, H_in, W_in)}
"""The input's spatial sizes (a transposed convolution scatters each input position)."""


@cache
def input_positions(rank: int) -> sympy.Expr:
    return product(IN_SYMBOLS[rank])


def input_values(rank: int, sizes: Sequence[Value | None]) -> dict[sympy.Symbol, Value]:
    return {s: known(v) for s, v in zip(IN_SYMBOLS[rank], sizes)}


@cache
def times(factor: sympy.Expr, expr: sympy.Expr) -> sympy.Expr:
    """factor·expr, built once per pair (a type's formula at each of its positions)."""
    return factor * expr


def positioned(macs: sympy.Expr, other: sympy.Expr, leading: Sequence[Value | None],
               values: Mapping[sympy.Symbol, Value] | None = None) -> Cost:
    """A layer applied at every position of the input's ``leading`` axes (Dense on a sequence):
    n_pos × its formulas for one position; n_pos is left out where there is one position."""
    count = elements(leading)
    if isinstance(count, int) and count == 1:
        return Cost(macs, other, dict(values or {}))
    return Cost(times(n_pos, macs), times(n_pos, other), {**(values or {}), n_pos: count})


ACTIVATION_OPS = 1
SOFTMAX_OPS = 3
"""exp, the sum, the division, per element."""
BATCHNORM_OPS = 2
"""x·a + b per element at inference (statistics, γ and β folded into a and b)."""
NORM_OPS = 5
"""Layer/group/instance normalization from the statistics: mean 1, variance 2, normalise 2."""
RMS_OPS = 3
"""RMS normalization: sum of squares 2, normalise 1."""
_SOFTMAX_NAMES = frozenset({"softmax", "log_softmax", "softmin"})
_LINEAR_NAMES = frozenset({"linear", None, ""})


def activation_ops(name: object) -> int:
    """Operations per element of an activation named ``name`` (Keras's ``activation`` argument)."""
    key = name.lower() if isinstance(name, str) else name
    if key in _LINEAR_NAMES:
        return 0
    return SOFTMAX_OPS if key in _SOFTMAX_NAMES else ACTIVATION_OPS


@cache
def _pool_formula(kernel: tuple[sympy.Symbol, ...]) -> sympy.Expr:
    return N_out * product(kernel)


def pooled(kernel: tuple[sympy.Symbol, ...], sizes: Sequence[Value], out: Sequence[Value | None]) -> Cost:
    """A pooling window: k_h·k_w comparisons or additions per output element, N_out·k_h·k_w."""
    return Cost(ZERO, _pool_formula(tuple(kernel)), {N_out: elements(out), **dict(zip(kernel, sizes))})


def per_input(shapes: Sequence[Sequence[Value | None]], ops: int = 1) -> Cost:
    """``ops`` per input element (a global pool reads each once): N_in·ops."""
    return Cost(ZERO, sympy.Integer(ops) * N_in, {N_in: sum((elements(s) for s in shapes), 0)})
