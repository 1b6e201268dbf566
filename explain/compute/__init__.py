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
  respect to the activations and with respect to the weights, each about one forward pass;
  except that the first layer with MACs, where no layer before it has weights to train, needs no
  gradient with respect to its input: for a single product (``ONE_PRODUCT``) that saves its
  forward MACs, C_step ≈ 3 × FLOPs − 2 × MACs_first.

A layer type writes its MACs and other operations once, as sympy formulas in its own symbols
and the shape symbols below, and a layer substitutes its values (``Layer.cost``).
"""
from __future__ import annotations

from dataclasses import field
from functools import cache
from typing import Mapping, Sequence

import sympy

from ..records import record
from ..symbols import KERNEL_SYMBOLS, Value, product, sym

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

ONE_PRODUCT = frozenset({"dense", "conv", "conv_transpose", "depthwise"})
"""Roles whose MACs are one product of the input with the weights: the gradient with respect to the
input is the transposed product, as many MACs as the forward pass (a recurrent, separable or
attention layer still needs the gradients inside it, so it skips only part of its work)."""

NO_RULE = "no_rule"
UNKNOWN_SIZE = "unknown_size"


class NotDerived(Exception):
    """A layer's compute cannot be derived: ``reason`` is ``no_rule`` (the type has no compute
    rule) or ``unknown_size`` (a size the count needs is unknown)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


ZERO = sympy.Integer(0)


@record
class Cost:
    """One copy's compute for one sample: formulas in the type's symbols and the shape symbols,
    and the value of every symbol in them."""

    macs: sympy.Expr
    other: sympy.Expr
    values: Mapping[sympy.Symbol, Value] = field(default_factory=dict)
    parts: tuple[tuple[str, sympy.Expr], ...] = ()
    """Named terms of ``macs`` (attention: projections, scores, weighted sum)."""
    other_partial: bool = False
    """``other`` counts only part of the elementwise work (a block type that states only its
    bias adds and norm weights): a lower bound, and said so wherever it is shown."""


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
def _per_output(ops: int, outputs: sympy.Expr) -> sympy.Expr:
    return ops * outputs


def per_output(bias: bool, activation: object, outputs: sympy.Expr) -> sympy.Expr:
    """Other operations of a layer with a bias and an ``activation`` argument (Dense, Conv) on its
    ``outputs``: one bias add and the activation's operations per output, (1 + a)·outputs."""
    return _per_output(int(bool(bias)) + activation_ops(activation), outputs)


@cache
def _pool_formula(kernel: tuple[sympy.Symbol, ...]) -> sympy.Expr:
    return N_out * product(kernel)


def pooled(kernel: tuple[sympy.Symbol, ...], sizes: Sequence[Value], out: Sequence[Value | None]) -> Cost:
    """A pooling window: k_h·k_w comparisons or additions per output element, N_out·k_h·k_w."""
    return Cost(ZERO, _pool_formula(tuple(kernel)), {N_out: elements(out), **dict(zip(kernel, sizes))})


def window_math(rank: int) -> dict[str, sympy.Expr]:
    """A pooling window's elements k_h·k_w (``window``) and the comparisons its maximum takes,
    k_h·k_w − 1 (``window_less``), by spatial rank."""
    window = product(KERNEL_SYMBOLS[rank])
    return {"window": window, "window_less": window - 1}


def per_input(shapes: Sequence[Sequence[Value | None]], ops: int = 1) -> Cost:
    """``ops`` per input element (a global pool reads each once): N_in·ops."""
    return Cost(ZERO, sympy.Integer(ops) * N_in, {N_in: sum((elements(s) for s in shapes), 0)})


UPDATE_OPS = {1: 0, 3: 5, 4: 5}
"""Elementwise operations per unit and step besides the gates' activations: LSTM c' = f·c + i·g
(3) and h' = o·tanh(c') (2); GRU r·(W_hn·h) (1) and h' = (1 − z)·n + z·h (4); a simple RNN none."""


def is_bias(group_name: str) -> bool:
    """A bias vector (added, not multiplied): ``bias``, ``bias_ih``, ``query_bias``, ``c_attn.bias``."""
    last = group_name.rsplit(".", 1)[-1]
    return "bias" in last


@cache
def recurrent_formulas(groups: tuple, step_ops: sympy.Expr, steps: bool) -> tuple[sympy.Expr, sympy.Expr]:
    """Every weight matrix multiplies once per step: MACs T·Σ weights; other operations
    T·(Σ biases + the gates' activations and state updates ``step_ops``). One step without T."""
    weights = sympy.Add(*(g.formula for g in groups if not is_bias(g.name)))
    biases = sympy.Add(*(g.formula for g in groups if is_bias(g.name)))
    macs, other = weights, biases + step_ops
    return (T * macs, T * other) if steps else (macs, other)


def recurrent_cost(groups: tuple, step_ops: sympy.Expr, steps: Value | None | bool) -> Cost:
    """``steps``: the number of time steps T (a size, None if unknown), or False for one step."""
    if steps is False:
        macs, other = recurrent_formulas(groups, step_ops, False)
        return Cost(macs, other)
    macs, other = recurrent_formulas(groups, step_ops, True)
    return Cost(macs, other, {T: known(steps)})


T_q, T_k = sym("T_q"), sym("T_k")
"""Query positions and key (value) positions of an attention layer (T_q = T_k = T for
self-attention). Every score of the T_q × T_k matrix is computed: a causal mask discards half
of them after the fact, as the frameworks' kernels do (FlopCounterMode counts them too)."""
SOFTMAX_SCORES = 3


def attention_cost(parts: tuple[tuple[str, sympy.Expr], ...], other: sympy.Expr, query: Sequence,
                   key: Sequence) -> Cost:
    """An attention layer's cost from its named MAC terms (projections, scores, weighted sum) in
    T_q and T_k, the positions of the query and the key (every axis but the features)."""
    macs = sympy.Add(*(expr for _, expr in parts))
    return Cost(macs, other, {T_q: elements(query[:-1]), T_k: elements(key[:-1])}, parts)


def _degree(expr: sympy.Expr) -> int:
    return sympy.Poly(expr, *sorted(expr.free_symbols, key=str)).total_degree() if expr.free_symbols else 0


w, L_w = sym("w"), sym("L_w")
"""Sliding-window attention: the window w (keys a query attends to) and L_w, how many of a
stack's L layers slide (the others attend to all T positions)."""


@cache
def keys_per_query(sliding: bool, every_layer: bool, both_sides: bool = False) -> sympy.Expr:
    """Keys each query is scored against: T; with a sliding window min(T, w) (a query and the
    w − 1 positions before it); with a window on both sides (|q − k| ≤ ⌊w/2⌋, transformers'
    Gemma 3 with use_bidirectional_attention) min(T, 2⌊w/2⌋ + 1); where L_w of the L layers
    slide, their mean per layer (L_w·min(T, ·) + (L − L_w)·T)/L."""
    if not sliding:
        return T
    window = sympy.Min(T, 2 * sympy.floor(w / 2) + 1 if both_sides else w)
    if every_layer:
        return window
    L = sym("L")
    return (L_w * window + (L - L_w) * T) / L


S = sym("S")
"""The encoder's length, the positions a decoder's cross-attention reads its keys and values from."""


@cache
def block_formulas(groups: tuple, active: sympy.Expr | None, pair: sympy.Expr,
                   keys: sympy.Expr = T, source: frozenset = frozenset(),
                   cross_pair: sympy.Expr | None = None,
                   elementwise: tuple | None = None) -> tuple[sympy.Expr, sympy.Expr]:
    """A transformer block over T tokens: every weight matrix (a group of degree 2 or more in
    the sizes, not a bias) multiplies each token once, T·Σ matrices (a mixture of experts: only
    the router, shared and k active experts); the scores QKᵀ and the weighted sum of V take
    ``pair`` MACs per query and key (2·H·d_h), T·keys·pair (keys = T, or the sliding window's).
    A decoder's cross-attention projects the keys and values of the encoder's S positions (the
    groups named in ``source``: S·Σ of them) and scores each of the T queries against them,
    T·S·cross_pair. Other operations: each bias and norm weight acts once per token (source
    position) and element, T·Σ vectors; with ``elementwise`` = (per token, per score, per cross
    score) also the norms' statistics, activations, residual adds, T·per token, and the softmax
    and scaling of the scores, T·keys·per score + T·S·per cross score."""
    def weighted(matrix: bool) -> sympy.Expr:
        chosen = [g for g in groups if (not is_bias(g.name) and _degree(g.formula) >= 2) == matrix]
        own = sympy.Add(*(g.formula for g in chosen if g.name not in source))
        return T * own + S * sympy.Add(*(g.formula for g in chosen if g.name in source))
    matrices, vectors = weighted(True), weighted(False)
    if active is not None:  # the idle experts' weights are matrices: leave them out
        matrices = matrices - T * (sympy.Add(*(g.formula for g in groups)) - active)
    macs = matrices + T * keys * pair + (T * S * cross_pair if cross_pair is not None else 0)
    other = vectors
    if elementwise is not None:
        per_token, per_score, per_cross = elementwise
        other = other + T * per_token + T * keys * per_score + (T * S * per_cross if cross_pair is not None else 0)
    return macs, other
