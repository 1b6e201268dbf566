"""PyTorch transformer modules, with E = d_model and F = dim_feedforward (symbols d and f).

    TransformerEncoderLayer  self_attn 4E² + 4E, linear1 E·F + F, linear2 F·E + E, norm1, norm2 2E each
    TransformerDecoderLayer  the same plus multihead_attn 4E² + 4E and norm3 2E
    TransformerEncoder       L·(encoder layer) + the optional final norm
    TransformerDecoder       L·(decoder layer) + the optional final norm
    Transformer              L_e·(encoder layer) + 2E + L_d·(decoder layer) + 2E
                             (defaults: 44,140,544)

``bias=False`` drops every bias, the LayerNorms' included (E each). Inputs: one (used as source
and target, or as target and memory), or ``inputs: [src, tgt]`` / ``[tgt, memory]``; the output
has the target's shape (T, E).
"""
from __future__ import annotations

from functools import cache
from typing import Any, Callable, Sequence

import sympy

from ..compute import SOFTMAX_SCORES, T, T_k, T_q, Cost, known
from ..errors import ExplainError
from ..memory import BlockKind
from ..symbols import Value, sym
from .base import ArgContext, Group, Layer, Shape, anything, arg, flag, format_shape, size, layer_type
from . import _texts
from .registry import make_from_mapping
from .torch_attention import E, mha_groups
from .torch_core import check_stated, torch_module

F = sym("f")
N, N_e, N_d = sym("L"), sym("L_e"), sym("L_d")
"""Feed-forward width f; numbers of layers L (TransformerEncoder/Decoder), L_e and L_d (Transformer).
(``N`` and ``E`` would parse as sympy's N() and Euler's number in the JSON's formula strings.)"""


def _prefixed(module: str, groups: Sequence[Group]) -> list[Group]:
    """A submodule's tensors under the names torch gives them in the block (``self_attn.in_proj_weight``)."""
    return [Group(f"{module}.{g.name}", g.formula, g.trainable, g.buffer) for g in groups]


@cache
def _block(bias: bool, decoder: bool) -> tuple[Group, ...]:
    """The block's tensors as ``named_parameters`` lists them: the attention's packed projection
    ``in_proj_weight`` (3E × E) and ``out_proj``, each linear layer's weight and bias, each
    LayerNorm's weight and bias (review 37 en: the table named the submodules, not tensors)."""
    attention = mha_groups(False, bias, False)

    def linear(name: str, n_in: sympy.Expr, n_out: sympy.Expr) -> list[Group]:
        return [Group(f"{name}.weight", n_in * n_out)] + ([Group(f"{name}.bias", n_out)] if bias else [])

    def norm(name: str) -> list[Group]:
        return [Group(f"{name}.weight", E)] + ([Group(f"{name}.bias", E)] if bias else [])

    groups = _prefixed("self_attn", attention)
    if decoder:
        groups += _prefixed("multihead_attn", attention)
    groups += linear("linear1", E, F) + linear("linear2", F, E) + norm("norm1") + norm("norm2")
    if decoder:
        groups += norm("norm3")
    return tuple(groups)


H = sym("H")
"""Attention heads (nhead)."""


@cache
def _block_cost(bias: bool, decoder: bool) -> tuple[sympy.Expr, sympy.Expr]:
    """MACs of a block over T_q tokens (a decoder's cross-attention over T_k memory positions):
    self-attention T_q·4E² + 2·T_q²·E (scores and weighted sum over all heads), cross-attention
    T_q·2E² + T_k·2E² + 2·T_q·T_k·E, feed-forward T_q·2EF. Other operations: bias adds; each
    LayerNorm 5 + 2 per element; softmax 3 per score and head; the 1/√(E/H) scaling; the
    activation T_q·F; the residual adds."""
    b = 1 if bias else 0
    norms = 3 if decoder else 2
    macs = T_q * 4 * E * E + 2 * T_q * T_q * E + T_q * 2 * E * F
    other = (b * (T_q * 4 * E + T_q * F + T_q * E) + norms * (7 + b - 1) * T_q * E
             + SOFTMAX_SCORES * H * T_q * T_q + T_q * E + T_q * F + norms * T_q * E)
    if decoder:
        macs += T_q * 2 * E * E + T_k * 2 * E * E + 2 * T_q * T_k * E
        other += b * (T_q * 2 * E + T_k * 2 * E) + SOFTMAX_SCORES * H * T_q * T_k + T_q * E
        return macs, other
    return macs.subs(T_q, T), other.subs(T_q, T)  # self-attention only: one sequence length T


def _lengths(shapes, decoder: bool) -> dict:
    """T_q: the (target) sequence; T_k: a decoder's memory; an encoder layer's one sequence: T."""
    if decoder:
        return {T_q: known(shapes[0][0]), T_k: known(shapes[-1][0])}
    return {T: known(shapes[0][0])}


def _block_total(bias: bool, decoder: bool) -> sympy.Expr:
    return sympy.Add(*(g.formula for g in _block(bias, decoder)))


def _inputs(layer: Layer, shapes: Sequence[Shape], roles: tuple[str, str], d_model: Value) -> Shape:
    """Checks one or two (T, E) inputs; returns the second role's shape (the output's)."""
    if len(shapes) not in (1, 2):
        raise ExplainError(f"{layer.type_name} takes one input or [{roles[0]}, {roles[1]}]. "
                           f"Received: {len(shapes)} inputs")
    for role, s in zip(roles, (shapes[0], shapes[-1])):
        if len(s) != 2:
            raise ExplainError(f"{layer.type_name} expects a {role} of rank 2, (sequence, d_model) "
                               f"without the batch axis. Received: {role} shape {format_shape(s)}")
        check_stated(layer.type_name, "d_model", d_model, s[-1], s, f"last axis ({role})")
    return shapes[-1] if roles[1] == "tgt" else shapes[0]


@layer_type
class _Block(Layer):
    role = "transformer_block"

    decoder = False
    positional = ("d_model", "nhead", "dim_feedforward", "dropout", "activation", "layer_norm_eps",
                  "batch_first", "norm_first", "bias")
    multi_input = True
    d_model: Value = size()
    nhead: Value = size()
    dim_feedforward: Value = size(2048)
    dropout: object = anything(0.1)
    activation: object = anything("relu")
    layer_norm_eps: object = anything(1e-5)
    batch_first: bool = flag(False)
    norm_first: bool = flag(False)
    bias: bool = flag(True)
    device: object = anything()
    dtype: object = anything()

    def validate(self, ctx) -> None:
        e, n = ctx.numeric(self.d_model), ctx.numeric(self.nhead)
        if e is not None and n is not None and e % n:
            raise ExplainError(f"{self.type_name}: d_model must be divisible by nhead. "
                               f"Received: d_model={self.d_model}, nhead={self.nhead}")

    def weight_groups(self) -> tuple[Group, ...]:
        return _block(self.bias, self.decoder)

    def values_multi(self, shapes: Sequence[Shape]) -> dict:
        self.output_shape_multi(shapes)
        return {E: self.d_model, F: self.dim_feedforward}

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        roles = ("tgt", "memory") if self.decoder else ("src", "src")
        if not self.decoder and len(shapes) != 1:
            raise ExplainError(f"{self.type_name} takes one input. Received: {len(shapes)} inputs")
        return tuple(_inputs(self, shapes, roles, self.d_model))

    def notes(self) -> tuple[str, ...]:
        return ("mha_in_proj_4E2",)

    def block_kind(self) -> BlockKind | None:
        """An encoder layer: an ungated feed-forward of width F and, where the rate is above 0,
        dropout, also inside the feed-forward (``_ff_block``: linear2(dropout(activation(linear1(x)))));
        a decoder layer also attends to the memory: None."""
        if self.decoder:
            return None
        rate = self.dropout if isinstance(self.dropout, (int, float)) and not isinstance(self.dropout, bool) else None
        dropout = None if rate is None else rate > 0
        return BlockKind(dropout, dropout, False, self.dim_feedforward, self.d_model, self.nhead)

    def cost(self, shapes, out, values) -> Cost:
        """See ``_block_cost``: the block's matrices per token and attention over the tokens."""
        macs, other = _block_cost(self.bias, self.decoder)
        return Cost(macs, other, {**_lengths(shapes, self.decoder), H: self.nhead})


@torch_module("TransformerEncoderLayer")
@layer_type
class TransformerEncoderLayer(_Block):
    """Self-attention and a feed-forward network: 4E² + 4E + 2EF + F + E + 4E."""

    explanation = _texts.ENCODER_LAYER

    def compute_explanation_for(self) -> str | None:
        """What the terms of O count (``_block_cost``): 3H·T² + 22T·d + 2T·f with biases,
        3H·T² + 15T·d + T·f without (bias=False)."""
        return _texts.TORCH_ENCODER_BLOCK_COMPUTE if self.bias else _texts.TORCH_ENCODER_NO_BIAS_BLOCK_COMPUTE

    def compute_math(self) -> dict:
        """The terms the compute sentence names: in 22d the biases 5d (in_proj 3d, out_proj d,
        linear2 d), the norms' statistics 10d and weights and biases 4d, the queries' scaling d,
        the residual adds 2d; in 2f linear1's bias and the activation, f each; 3H per score.
        Without biases: in 15d the statistics 10d, the norms' weights 2d, the scaling, the adds."""
        return {"O": sympy.Symbol("O"), "twenty_two_d": 22 * E, "fifteen_d": 15 * E, "five_d": 5 * E, "ten_d": 10 * E,
                "four_d": 4 * E, "d": E, "two_d": 2 * E, "two_f": 2 * F, "f": F,
                "per_score": SOFTMAX_SCORES * H}


@torch_module("TransformerDecoderLayer")
@layer_type
class TransformerDecoderLayer(_Block):
    """Self-attention, cross-attention on the memory, feed-forward: 8E² + 2EF + F + 15E."""

    explanation = _texts.DECODER_LAYER

    decoder = True


def _nested(kind: type, optional: bool = False) -> Callable[[ArgContext, str, Any, int], Any]:
    def convert(ctx: ArgContext, name: str, raw: object, rank: int) -> Layer | None:
        if raw is None and optional:
            return None
        if raw is None:
            raise ExplainError(f"'{name}' needs a layer such as {{{kind.__name__}: {{…}}}}. Received: {name}=None")
        if isinstance(raw, Layer):
            layer = raw
        else:
            layer, _ = make_from_mapping(raw, ctx, framework="pytorch")
        if not isinstance(layer, kind):
            raise ExplainError(f"'{name}' must be a {kind.__name__.lstrip('_')}. Received: {layer.type_name}")
        return layer
    return convert


@cache
def L_times(expr: sympy.Expr) -> sympy.Expr:
    return N * expr


@cache
def _stack(block: tuple[Group, ...], norm: tuple[Group, ...]) -> tuple[Group, ...]:
    return tuple(Group(f"layers.{g.name}", N * g.formula) for g in block) + \
        tuple(Group(f"norm.{g.name}", g.formula, g.trainable, g.buffer) for g in norm)


@layer_type
class _Stack(Layer):
    """N copies of a block (each with its own weights) and an optional final norm."""

    role = "transformer_stack"
    explanation = _texts.TRANSFORMER_STACK

    multi_input = True
    num_layers: Value = size()
    norm: Layer | None = arg(_nested(Layer, optional=True), None)

    def block(self) -> _Block:
        raise NotImplementedError

    def weight_groups(self) -> tuple[Group, ...]:
        return _stack(self.block().weight_groups(), self.norm.weight_groups() if self.norm else ())

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        return self.block().output_shape_multi(shapes)

    def values_multi(self, shapes: Sequence[Shape]) -> dict:
        out = {**self.block().values_multi(shapes), N: self.num_layers}
        if self.norm is not None:
            shape = self.output_shape_multi(shapes)
            self.norm.check_rank(shape)
            out.update(self.norm.values(shape))
        return out

    def wrapped(self) -> Layer:
        return self.block()

    def cost(self, shapes, out, values) -> Cost:
        """L copies of the block, then the final norm."""
        block = self.block().cost(shapes, out, values)
        macs, other = L_times(block.macs), L_times(block.other)
        found = dict(block.values)
        if self.norm is not None:
            norm = self.norm.cost((out,), out, values)
            other = other + norm.other
            found.update(norm.values)
        return Cost(macs, other, found)

    def notes(self) -> tuple[str, ...]:
        return self.block().notes()


@torch_module("TransformerEncoder")
@layer_type
class TransformerEncoder(_Stack):
    positional = ("encoder_layer", "num_layers", "norm", "enable_nested_tensor", "mask_check")
    encoder_layer: TransformerEncoderLayer = arg(_nested(TransformerEncoderLayer))
    enable_nested_tensor: object = anything(True)
    mask_check: object = anything(True)

    def block(self) -> _Block:
        return self.encoder_layer


@torch_module("TransformerDecoder")
@layer_type
class TransformerDecoder(_Stack):
    positional = ("decoder_layer", "num_layers", "norm")
    decoder_layer: TransformerDecoderLayer = arg(_nested(TransformerDecoderLayer))

    def block(self) -> _Block:
        return self.decoder_layer


@cache
def _transformer(bias: bool) -> tuple[Group, ...]:
    norm = (2 if bias else 1) * E
    return (Group("encoder.layers", N_e * _block_total(bias, False)), Group("encoder.norm", norm),
            Group("decoder.layers", N_d * _block_total(bias, True)), Group("decoder.norm", norm))


@torch_module("Transformer")
@layer_type
class Transformer(Layer):
    """An encoder of N_e layers and a decoder of N_d layers, each stack with a final LayerNorm."""

    role = "transformer"
    explanation = _texts.TRANSFORMER

    positional = ("d_model", "nhead", "num_encoder_layers", "num_decoder_layers", "dim_feedforward",
                  "dropout", "activation", "custom_encoder", "custom_decoder", "layer_norm_eps",
                  "batch_first", "norm_first", "bias")
    multi_input = True
    d_model: Value = size(512)
    nhead: Value = size(8)
    num_encoder_layers: Value = size(6)
    num_decoder_layers: Value = size(6)
    dim_feedforward: Value = size(2048)
    dropout: object = anything(0.1)
    activation: object = anything("relu")
    custom_encoder: object = anything()
    custom_decoder: object = anything()
    layer_norm_eps: object = anything(1e-5)
    batch_first: bool = flag(False)
    norm_first: bool = flag(False)
    bias: bool = flag(True)
    device: object = anything()
    dtype: object = anything()

    def validate(self, ctx) -> None:
        if self.custom_encoder is not None or self.custom_decoder is not None:
            raise ExplainError("Transformer: custom_encoder/custom_decoder are not supported; give "
                               "a TransformerEncoder and a TransformerDecoder as layers instead")
        e, n = ctx.numeric(self.d_model), ctx.numeric(self.nhead)
        if e is not None and n is not None and e % n:
            raise ExplainError(f"Transformer: d_model must be divisible by nhead. "
                               f"Received: d_model={self.d_model}, nhead={self.nhead}")

    def weight_groups(self) -> tuple[Group, ...]:
        return _transformer(self.bias)

    def values_multi(self, shapes: Sequence[Shape]) -> dict:
        self.output_shape_multi(shapes)
        return {E: self.d_model, F: self.dim_feedforward, N_e: self.num_encoder_layers,
                N_d: self.num_decoder_layers}

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        return tuple(_inputs(self, shapes, ("src", "tgt"), self.d_model))

    def notes(self) -> tuple[str, ...]:
        return ("mha_in_proj_4E2",)

    def cost(self, shapes, out, values) -> Cost:
        """L_e encoder layers over the T_k source tokens, L_d decoder layers over the T_q target
        tokens attending to them, and the two final LayerNorms (5 + 2 per element)."""
        enc_macs, enc_other = _block_cost(self.bias, False)
        dec_macs, dec_other = _block_cost(self.bias, True)
        swap = {T_q: T_k}
        macs = N_e * enc_macs.xreplace(swap) + N_d * dec_macs
        other = N_e * enc_other.xreplace(swap) + N_d * dec_other + 7 * (T_k + T_q) * E
        src, tgt = shapes[0], shapes[-1]
        return Cost(macs, other, {T_q: known(tgt[0]), T_k: known(src[0]), H: self.nhead})
