"""Keras attention layers: MultiHeadAttention, Attention, AdditiveAttention.

MultiHeadAttention with H heads, per-head sizes d_k (key_dim: queries and keys) and d_v
(value_dim, default d_k) as in Vaswani et al., inputs query (…, E_q), value (…, E_v),
key (…, E_k; default: value) and output width E_out (default E_q). The inputs' feature sizes
are E as in PyTorch's MultiheadAttention (E_q = E, E_k = kdim, E_v = vdim), so that they cannot
be taken for the per-head sizes.

    query  E_q·H·d_k + H·d_k       key    E_k·H·d_k + H·d_k
    value  E_v·H·d_v + H·d_v       output H·d_v·E_out + E_out

``use_gate`` adds a gate E_q·H·d_v + H·d_v. The output has the query's shape with the last
axis E_out (``output_shape``, which may be a tuple: E_out is then its product).
Inputs: ``inputs: [query, value]`` or ``[query, value, key]`` (``[x, x]`` for self-attention).
"""
from __future__ import annotations

from functools import cache
from types import MappingProxyType
from typing import Mapping, Optional, Sequence

import sympy

from ..compute import SOFTMAX_SCORES, T_k, T_q, Cost, attention_cost
from ..errors import ExplainError
from ..symbols import Value, product, sym
from .base import (Group, Layer, Shape, _optional, _size, anything, arg, choice, flag, format_shape,
                   known, same_size, size, layer_type)
from . import _texts
from .registry import register

H = sym("H")
E_q, E_k, E_v, E_out = sym("E_q"), sym("E_k"), sym("E_v"), sym("E_out")
"""The widths of the query, key and value inputs and of the output."""
d_k, d_v = sym("d_k"), sym("d_v")
"""The per-head sizes of queries and keys (key_dim) and of values (value_dim)."""
d_key, d_value = sym("d_key"), sym("d_value")
"""Attention and AdditiveAttention (no projections): the key and value widths."""


def _mha_parts(gate: bool) -> list[tuple[str, sympy.Expr, sympy.Expr]]:
    """(name, kernel, bias) of each projection, in the order Q, K, V, (gate,) O."""
    parts = [("query", _m(E_q, H, d_k), _m(H, d_k)), ("key", _m(E_k, H, d_k), _m(H, d_k)),
             ("value", _m(E_v, H, d_v), _m(H, d_v))]
    if gate:
        parts.append(("gate", _m(E_q, H, d_v), _m(H, d_v)))
    parts.append(("attention_output", _m(H, d_v, E_out), E_out))
    return parts


def _m(*factors: sympy.Expr) -> sympy.Expr:
    """A product kept in the order written (width · heads · head size)."""
    return sympy.Mul(*factors, evaluate=False)


def _groups(parts, bias: bool) -> tuple[Group, ...]:
    groups: list[Group] = []
    for name, kernel, b in parts:
        groups.append(Group(f"{name}/kernel", sympy.Mul(*kernel.args)))
        if bias:
            groups.append(Group(f"{name}/bias", sympy.Mul(*b.args) if b.is_Mul else b))
    return tuple(groups)


def _written(parts) -> Mapping[str, sympy.Expr]:
    """Each kernel as its shape writes it (the output projection's (H, d_v, E_out)), read-only:
    the callers' caches share it."""
    return MappingProxyType({f"{name}/kernel": kernel for name, kernel, _ in parts})


def _display(parts, bias: bool) -> sympy.Expr:
    """The kernels in the order Q, K, V, O, one term per projection, where a projection follows
    one with the same heads and head size the two together ((E_q + E_k)·H·d_k); the output
    projection as the textbook writes it, H·d_v·E_out. Then the biases, equal ones counted
    together (2·H·d_k + H·d_v + E_out)."""
    kernels: list[tuple[tuple, list]] = []
    for _, k, _ in parts:
        width, *heads = k.args
        if kernels and kernels[-1][0] == tuple(heads):
            kernels[-1][1].append(width)
        else:
            kernels.append((tuple(heads), [width]))
    terms = [_m(_sum_of(widths), *heads) for heads, widths in kernels]
    if bias:
        biases: dict[sympy.Expr, int] = {}
        for _, _, b in parts:
            key = sympy.Mul(*b.args) if b.is_Mul else b
            biases[key] = biases.get(key, 0) + 1
        terms += [n * b if n > 1 else b for b, n in biases.items()]
    return sympy.Add(*terms, evaluate=False)


def _sum_of(widths: list) -> sympy.Expr:
    """E_q + E_k as written; a width twice as 2·E_q."""
    counts: dict[sympy.Expr, int] = {}
    for w in widths:
        counts[w] = counts.get(w, 0) + 1
    terms = [n * w if n > 1 else w for w, n in counts.items()]
    return terms[0] if len(terms) == 1 else sympy.Add(*terms, evaluate=False)


@cache
def _mha_groups(bias: bool, gate: bool) -> tuple[Group, ...]:
    return _groups(_mha_parts(gate), bias)


@cache
def _mha_display(bias: bool, gate: bool) -> sympy.Expr:
    return _display(_mha_parts(gate), bias)


@cache
def _mha_written(gate: bool) -> Mapping[str, sympy.Expr]:
    return _written(_mha_parts(gate))


def keras_inputs_text(names: Sequence[str]) -> Optional[tuple[str, dict[str, str]]]:
    """Keras attention's inputs [query, value] or [query, value, key] by role; self-attention
    when they are all one tensor (with two inputs the key is the value)."""
    if len(names) == 2:
        query, value = names
        return (_texts.INPUTS_QUERY_VALUE_SELF if query == value else _texts.INPUTS_QUERY_VALUE,
                {"query": query, "value": value})
    if len(names) == 3:
        query, value, key = names
        same = query == value == key
        return (_texts.INPUTS_QUERY_VALUE_KEY_SELF if same else _texts.INPUTS_QUERY_VALUE_KEY,
                {"query": query, "value": value, "key": key})
    return None


def _roles(shapes: Sequence[Shape], type_name: str) -> tuple[Shape, Shape, Shape]:
    """(query, value, key) from two or three inputs."""
    if not 2 <= len(shapes) <= 3:
        raise ExplainError(f"{type_name} takes [query, value] or [query, value, key]. "
                           f"Received: {len(shapes)} inputs")
    query = shapes[0]
    value = shapes[1]
    key = shapes[2] if len(shapes) > 2 else value
    return query, value, key


def _check_ranks(query: Shape, value: Shape, key: Shape, type_name: str) -> None:
    for role, s in (("query", query), ("value", value), ("key", key)):
        if len(s) < 2:
            raise ExplainError(f"{type_name} expects a {role} of rank 2 or more, (sequence, features) "
                               f"without the batch axis. Received: {role} shape {format_shape(s)}")
    if len(query) != len(value) or len(key) != len(value):
        raise ExplainError(f"{type_name} expects query, value and key of the same rank. Received: "
                           f"query {format_shape(query)}, value {format_shape(value)}, key {format_shape(key)}")
    if any(same_size(a, b) is False for a, b in zip(value[:-1], key[:-1])):
        raise ExplainError(f"{type_name}: all axes of value and key except the last must be equal. "
                           f"Received: value {format_shape(value)}, key {format_shape(key)}")


def _output_shape(ctx, name: str, raw: object, rank: int) -> tuple | None:
    """None, a size, or a list of sizes."""
    if raw is None:
        return None
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    if not items:
        return None
    return tuple(_size(ctx, name, r, 1) for r in items)


@register("MultiHeadAttention")
@layer_type
class MultiHeadAttention(Layer):
    """Keras MultiHeadAttention: projections to H·key_dim (query, key) and H·value_dim (value)
    columns, then an output projection back to E_out; the count grows with num_heads."""

    role = "attention"
    explanation = _texts.ATTENTION
    symbol_meanings = {"d_k": "key_dim", "d_v": "value_dim", "E_out": "mha_output_width"}

    positional = ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape",
                  "attention_axes")
    multi_input = True
    num_heads: Value = size()
    key_dim: Value = size()
    value_dim: Value | None = arg(_optional(_size), None)
    dropout: object = anything(0.0)
    use_bias: bool = flag(True)
    # Keras's argument shadows Layer.output_shape: attention's shapes come from output_shape_multi
    output_shape: tuple | None = arg(_output_shape, None)  # type: ignore[assignment]
    attention_axes: object = anything()
    sliding_window: object = anything()
    flash_attention: object = anything()
    use_gate: bool = flag(False)


    def inputs_text(self, names: Sequence[str]) -> Optional[tuple[str, dict[str, str]]]:
        return keras_inputs_text(names)
    def _out_dims(self, query: Shape) -> tuple:
        if self.output_shape:
            return tuple(self.output_shape)
        return (query[-1],)

    def weight_groups(self) -> tuple[Group, ...]:
        return _mha_groups(self.use_bias, self.use_gate)

    def display_formula(self) -> sympy.Expr:
        return _mha_display(self.use_bias, self.use_gate)

    def written_groups(self) -> Mapping[str, sympy.Expr]:
        return _mha_written(self.use_gate)

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        query, value, key = _roles(shapes, self.type_name)
        _check_ranks(query, value, key, self.type_name)
        return tuple(query[:-1]) + self._out_dims(query)

    def values_multi(self, shapes: Sequence[Shape]) -> dict:
        query, value, key = _roles(shapes, self.type_name)
        out = self._out_dims(query)
        return {H: self.num_heads, d_k: self.key_dim,
                d_v: self.value_dim if self.value_dim is not None else self.key_dim,
                **_widths(query, key, value, self.type_name),
                E_out: product(known(d, "output width (E_out)", self.type_name) for d in out)}

    def notes(self) -> tuple[str, ...]:
        return ("mha_heads_times_key_dim",)

    def cost(self, shapes, out, values) -> Cost:
        """Projections of the T_q queries and T_k keys and values, then per head the T_q·T_k
        scores QKᵀ (key_dim each) and their weighted sum of V (value_dim each), then the output
        projection. Other operations: bias adds, the 1/√key_dim scaling, softmax (3 per score)."""
        parts, other = _mha_cost(self.use_bias, self.use_gate)
        query, value, key = _roles(shapes, self.type_name)
        return attention_cost(parts, other, query, key)


def _widths(query: Shape, key: Shape, value: Shape, type_name: str) -> dict:
    what = "last axis of the {} (E_{})"
    return {E_q: known(query[-1], what.format("query", "q"), type_name),
            E_k: known(key[-1], what.format("key", "k"), type_name),
            E_v: known(value[-1], what.format("value", "v"), type_name)}


@cache
def _mha_cost(bias: bool, gate: bool) -> tuple:
    projections = T_q * E_q * H * d_k + T_k * E_k * H * d_k + T_k * E_v * H * d_v \
        + T_q * H * d_v * E_out + (T_q * E_q * H * d_v if gate else 0)
    parts = (("projections", projections), ("scores", H * T_q * T_k * d_k),
             ("weighted_sum", H * T_q * T_k * d_v))
    biases = T_q * H * d_k + T_k * H * d_k + T_k * H * d_v + T_q * E_out + (T_q * H * d_v if gate else 0)
    other = (biases if bias else 0) + T_q * H * d_k + SOFTMAX_SCORES * H * T_q * T_k \
        + (2 * T_q * H * d_v if gate else 0)
    return parts, other


# ----------------------------------------------------------------------------- dot-product attention

_SCALE = Group("scale", 1 + 0 * H)
_CONCAT_WEIGHT = Group("concat_score_weight", 1 + 0 * H)
_ADDITIVE_SCALE = Group("scale", d_value)


@layer_type
class _DotAttention(Layer):
    role = "dot_attention"
    explanation = _texts.DOT_ATTENTION

    multi_input = True


    def inputs_text(self, names: Sequence[str]) -> Optional[tuple[str, dict[str, str]]]:
        return keras_inputs_text(names)
    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        query, value, key = _roles(shapes, self.type_name)
        _check_ranks(query, value, key, self.type_name)
        if same_size(query[-1], key[-1]) is False:
            raise ExplainError(f"{self.type_name}: query and key need the same last axis. Received: "
                               f"query {format_shape(query)}, key {format_shape(key)}")
        return tuple(query[:-1]) + (value[-1],)

    def cost(self, shapes, out, values) -> Cost:
        query, value, key = _roles(shapes, self.type_name)
        parts, other = self.score_cost()
        cost = attention_cost(parts, other, query, key)
        return Cost(cost.macs, cost.other, {**cost.values, d_key: known(key[-1], "key width", self.type_name),
                                            d_value: known(value[-1], "value width", self.type_name)}, parts)

    def score_cost(self) -> tuple:
        """(MAC parts, other operations) in T_q, T_k, d_key (query and key width), d_value."""
        raise NotImplementedError


@register("Attention")
@layer_type
class Attention(_DotAttention):
    """Dot-product attention: a learnt scalar scale with ``use_scale``, and a scalar weight with
    ``score_mode="concat"``; output (T_q, d_value)."""

    positional = ("use_scale", "score_mode", "dropout")
    use_scale: bool = flag(False)
    score_mode: str = choice("dot", "concat", default="dot")
    dropout: object = anything(0.0)

    def weight_groups(self) -> tuple[Group, ...]:
        return ((_SCALE,) if self.use_scale else ()) + \
            ((_CONCAT_WEIGHT,) if self.score_mode == "concat" else ())

    def score_cost(self) -> tuple:
        """dot: scores T_q·T_k·d_key MACs; concat: tanh(q + k) summed, 3 operations per feature.
        Then softmax and the weighted sum of V, T_q·T_k·d_value."""
        return _dot_cost(self.score_mode, self.use_scale)


@register("AdditiveAttention")
@layer_type
class AdditiveAttention(_DotAttention):
    """Additive (Bahdanau) attention: a scale vector of the feature size with ``use_scale``."""

    explanation = _texts.ADDITIVE_ATTENTION

    positional = ("use_scale", "dropout")
    use_scale: bool = flag(True)
    dropout: object = anything(0.0)

    def weight_groups(self) -> tuple[Group, ...]:
        return (_ADDITIVE_SCALE,) if self.use_scale else ()

    def score_cost(self) -> tuple:
        """Scores Σ scale·tanh(q + k): T_q·T_k·d_key MACs, 2 operations per feature (add, tanh);
        then softmax and the weighted sum of V, T_q·T_k·d_value."""
        return _dot_cost("additive", False)

    def values_multi(self, shapes: Sequence[Shape]) -> dict:
        query, value, key = _roles(shapes, self.type_name)
        return {d_value: known(value[-1], "last axis of the value (d_value)", self.type_name)}


@cache
def _dot_cost(mode: str, scale: bool) -> tuple:
    weighted = ("weighted_sum", T_q * T_k * d_value)
    softmax = SOFTMAX_SCORES * T_q * T_k + (T_q * T_k if scale else 0)
    if mode == "dot":
        return (("scores", T_q * T_k * d_key), weighted), softmax
    if mode == "additive":
        return (("scores", T_q * T_k * d_key), weighted), softmax + 2 * T_q * T_k * d_key
    return (weighted,), softmax + 3 * T_q * T_k * d_key + T_q * T_k


# ----------------------------------------------------------------------------- grouped-query attention

H_kv, d_h = sym("H_kv"), sym("d_h")


def _gqa_parts(gate: bool) -> list[tuple[str, sympy.Expr, sympy.Expr]]:
    """(name, kernel, bias) of each projection: Q, K, V over H and H_kv heads of size d_h, O."""
    parts = [("query", _m(E_q, H, d_h), _m(H, d_h)), ("key", _m(E_k, H_kv, d_h), _m(H_kv, d_h))]
    if gate:
        parts.append(("gate", _m(E_q, H, d_h), _m(H, d_h)))
    parts += [("value", _m(E_v, H_kv, d_h), _m(H_kv, d_h)), ("attention_output", _m(H, d_h, E_q), E_q)]
    return parts


@cache
def _gqa_groups(bias: bool, gate: bool) -> tuple[Group, ...]:
    return _groups(_gqa_parts(gate), bias)


@cache
def _gqa_display(bias: bool, gate: bool) -> sympy.Expr:
    return _display(_gqa_parts(gate), bias)


@cache
def _gqa_written(gate: bool) -> Mapping[str, sympy.Expr]:
    return _written(_gqa_parts(gate))


@cache
def _gqa_cost(bias: bool, gate: bool) -> tuple:
    projections = T_q * E_q * H * d_h + T_k * E_k * H_kv * d_h + T_k * E_v * H_kv * d_h \
        + T_q * H * d_h * E_q + (T_q * E_q * H * d_h if gate else 0)
    parts = (("projections", projections), ("scores", H * T_q * T_k * d_h),
             ("weighted_sum", H * T_q * T_k * d_h))
    biases = T_q * H * d_h + 2 * T_k * H_kv * d_h + T_q * E_q + (T_q * H * d_h if gate else 0)
    other = (biases if bias else 0) + T_q * H * d_h + SOFTMAX_SCORES * H * T_q * T_k \
        + (2 * T_q * H * d_h if gate else 0)
    return parts, other


@register("GroupedQueryAttention", "GroupQueryAttention")
@layer_type
class GroupedQueryAttention(Layer):
    """Keras GroupQueryAttention (class GroupedQueryAttention, the name its summary and automatic
    layer names use). H query heads share H_kv key/value heads of size d_h: query E_q·H·d_h, key E_k·H_kv·d_h,
    value E_v·H_kv·d_h, output E_q·H·d_h (each with a bias); (T_q, d_query) → (T_q, d_query)."""

    role = "attention"
    explanation = _texts.GROUPED_QUERY_ATTENTION

    positional = ("head_dim", "num_query_heads", "num_key_value_heads", "dropout", "use_bias")
    multi_input = True
    head_dim: Value = size()
    num_query_heads: Value = size()
    num_key_value_heads: Value = size()
    dropout: object = anything(0.0)
    use_bias: bool = flag(True)
    sliding_window: object = anything()
    flash_attention: object = anything()
    use_gate: bool = flag(False)


    def inputs_text(self, names: Sequence[str]) -> Optional[tuple[str, dict[str, str]]]:
        return keras_inputs_text(names)
    def validate(self, ctx) -> None:
        h, kv = ctx.numeric(self.num_query_heads), ctx.numeric(self.num_key_value_heads)
        if h is not None and kv is not None and h % kv:
            raise ExplainError(f"GroupedQueryAttention: num_query_heads must be divisible by "
                               f"num_key_value_heads. Received: num_query_heads={h}, num_key_value_heads={kv}")

    def weight_groups(self) -> tuple[Group, ...]:
        return _gqa_groups(self.use_bias, self.use_gate)

    def display_formula(self) -> sympy.Expr:
        return _gqa_display(self.use_bias, self.use_gate)

    def written_groups(self) -> Mapping[str, sympy.Expr]:
        return _gqa_written(self.use_gate)

    def _checked(self, shapes: Sequence[Shape]) -> tuple[Shape, Shape, Shape]:
        query, value, key = _roles(shapes, self.type_name)
        for role, s in (("query", query), ("value", value), ("key", key)):
            if len(s) != 2:
                raise ExplainError(f"{self.type_name} expects a {role} of rank 2, (sequence, features) "
                                   f"without the batch axis. Received: {role} shape {format_shape(s)}")
        _check_ranks(query, value, key, self.type_name)
        if same_size(query[-1], value[-1]) is False:
            raise ExplainError(f"{self.type_name}: query and value need the same last axis. Received: "
                               f"query {format_shape(query)}, value {format_shape(value)}")
        return query, value, key

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        return tuple(self._checked(shapes)[0])

    def cost(self, shapes, out, values) -> Cost:
        """Query and output projections over H heads, key and value projections over H_kv heads
        (GQA; H_kv = 1: multi-query), then H·T_q·T_k·d_h for the scores and as much for the
        weighted sum (each key/value head serves H/H_kv query heads)."""
        query, value, key = self._checked(shapes)
        parts, other = _gqa_cost(self.use_bias, self.use_gate)
        return attention_cost(parts, other, query, key)

    def values_multi(self, shapes: Sequence[Shape]) -> dict:
        query, value, key = self._checked(shapes)
        return {H: self.num_query_heads, H_kv: self.num_key_value_heads, d_h: self.head_dim,
                **_widths(query, key, value, self.type_name)}
