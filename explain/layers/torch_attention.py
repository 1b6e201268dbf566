"""PyTorch MultiheadAttention (embed_dim E, num_heads, kdim, vdim, bias, add_bias_kv).

    kdim = vdim = E:  in_proj_weight 3E² + in_proj_bias 3E
    otherwise:        q_proj_weight E² + k_proj_weight E·E_k + v_proj_weight E·E_v + in_proj_bias 3E
    out_proj          E² + E
    add_bias_kv       bias_k E + bias_v E

So 4E² + 4E whatever num_heads (E = 512: 1,050,624). The formulas write E as ``d`` (the model
width), since ``E`` in a formula string would parse as Euler's number. Inputs: one (self-attention: query =
key = value) or ``inputs: [query, key, value]`` in torch's order; (T_q, E) → (T_q, E).
"""
from __future__ import annotations

from functools import cache
from typing import Optional, Sequence

from ..compute import NO_RULE, SOFTMAX_SCORES, T_k, T_q, Cost, NotDerived, attention_cost
from ..errors import ExplainError
from ..symbols import Value, sym
from .base import Group, Layer, Shape, _optional, _size, anything, arg, flag, format_shape, same_size, size, layer_type
from . import _texts
from .torch_core import check_stated, torch_module

E, E_k, E_v = sym("d"), sym("E_k"), sym("E_v")
"""Embedding width E (written d: a symbol named E would parse as Euler's number in the JSON's
formula strings); the key and value inputs' widths E_k, E_v (kdim, vdim), as in Keras's MHA."""


@cache
def mha_groups(separate: bool, bias: bool, bias_kv: bool) -> tuple[Group, ...]:
    if separate:
        groups = [Group("q_proj_weight", E * E), Group("k_proj_weight", E * E_k),
                  Group("v_proj_weight", E * E_v)]
    else:
        groups = [Group("in_proj_weight", 3 * E * E)]
    if bias:
        groups.append(Group("in_proj_bias", 3 * E))
    if bias_kv:
        groups += [Group("bias_k", E), Group("bias_v", E)]
    groups.append(Group("out_proj.weight", E * E))
    if bias:
        groups.append(Group("out_proj.bias", E))
    return tuple(groups)


H = sym("H")
"""Attention heads."""


@cache
def _torch_mha_cost(bias: bool) -> tuple:
    projections = T_q * E * E + T_k * E * E_k + T_k * E * E_v + T_q * E * E
    parts = (("projections", projections), ("scores", T_q * T_k * E), ("weighted_sum", T_q * T_k * E))
    other = ((2 * T_q * E + 2 * T_k * E) if bias else 0) + T_q * E + SOFTMAX_SCORES * H * T_q * T_k
    return parts, other


@torch_module("MultiheadAttention")
@layer_type
class MultiheadAttention(Layer):
    """4E² + 4E with packed projections; separate q/k/v weights when kdim or vdim ≠ E."""

    role = "attention"
    explanation = _texts.ATTENTION

    positional = ("embed_dim", "num_heads", "dropout", "bias", "add_bias_kv", "add_zero_attn",
                  "kdim", "vdim", "batch_first")
    multi_input = True
    embed_dim: Value = size()
    num_heads: Value = size()
    dropout: object = anything(0.0)
    bias: bool = flag(True)
    add_bias_kv: bool = flag(False)
    add_zero_attn: bool = flag(False)
    kdim: Value | None = arg(_optional(_size), None)
    vdim: Value | None = arg(_optional(_size), None)
    batch_first: bool = flag(False)
    device: object = anything()
    dtype: object = anything()

    def validate(self, ctx) -> None:
        e, n = ctx.numeric(self.embed_dim), ctx.numeric(self.num_heads)
        if e is not None and n is not None and e % n:
            raise ExplainError(f"MultiheadAttention: embed_dim must be divisible by num_heads. "
                               f"Received: embed_dim={self.embed_dim}, num_heads={self.num_heads}")

    @property
    def key_width(self) -> Value:
        return self.embed_dim if self.kdim is None else self.kdim

    @property
    def value_width(self) -> Value:
        return self.embed_dim if self.vdim is None else self.vdim

    def separate(self) -> bool:
        return self.key_width != self.embed_dim or self.value_width != self.embed_dim

    def weight_groups(self) -> tuple[Group, ...]:
        return mha_groups(self.separate(), self.bias, self.add_bias_kv)

    def inputs_text(self, names: Sequence[str]) -> Optional[tuple[str, dict[str, str]]]:
        """forward(query, key, value): self-attention when all three are one tensor."""
        if len(names) != 3:
            return None
        query, key, value = names
        msgid = _texts.INPUTS_QUERY_KEY_VALUE_SELF if query == key == value else _texts.INPUTS_QUERY_KEY_VALUE
        return msgid, {"query": query, "key": key, "value": value}

    def _roles(self, shapes: Sequence[Shape]) -> tuple[Shape, Shape, Shape]:
        if len(shapes) not in (1, 3):
            raise ExplainError(f"MultiheadAttention takes one input (self-attention) or "
                               f"[query, key, value]. Received: {len(shapes)} inputs")
        query, key, value = (shapes[0],) * 3 if len(shapes) == 1 else shapes
        for role, s in (("query", query), ("key", key), ("value", value)):
            if len(s) != 2:
                raise ExplainError(f"MultiheadAttention expects a {role} of rank 2, (sequence, features) "
                                   f"without the batch axis. Received: {role} shape {format_shape(s)}")
        check_stated(self.type_name, "embed_dim", self.embed_dim, query[-1], query, "last axis (query)")
        check_stated(self.type_name, "kdim", self.key_width, key[-1], key, "last axis (key)")
        check_stated(self.type_name, "vdim", self.value_width, value[-1], value, "last axis (value)")
        if same_size(key[0], value[0]) is False:
            raise ExplainError(f"MultiheadAttention: key and value need the same sequence length. "
                               f"Received: key {format_shape(key)}, value {format_shape(value)}")
        return query, key, value

    def values_multi(self, shapes: Sequence[Shape]) -> dict:
        self._roles(shapes)
        return {E: self.embed_dim, E_k: self.key_width, E_v: self.value_width}

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        query, _, _ = self._roles(shapes)
        return (query[0], self.embed_dim)

    def cost(self, shapes, out, values) -> Cost:
        """Projections q T_q·E², k T_k·E·kdim, v T_k·E·vdim, output T_q·E²; the scores QKᵀ
        T_q·T_k·E and the weighted sum of V T_q·T_k·E over all heads (H heads of E/H each).
        Other operations: bias adds, the 1/√(E/H) scaling, softmax (3 per score and head)."""
        if self.add_bias_kv or self.add_zero_attn:
            raise NotDerived(NO_RULE)
        query, key, _ = self._roles(shapes)
        parts, other = _torch_mha_cost(self.bias)
        cost = attention_cost(parts, other, query, key)
        return Cost(cost.macs, cost.other, {**cost.values, H: self.num_heads}, parts)

    def notes(self) -> tuple[str, ...]:
        out = ("mha_separate_proj",) if self.separate() else ("mha_in_proj_4E2",)
        return out + (("mha_bias_kv",) if self.add_bias_kv else ())
