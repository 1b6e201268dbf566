"""Transformer blocks of Hugging Face models (PyTorch), one weight group per parameter tensor.

A block is one repetition of a model's encoder or decoder stack; a model applies it L times
(``Node.repeat``). Groups are named as transformers names the tensors inside the block, and
every formula is written in these symbols:

    d     hidden size (width)            f     feed-forward (intermediate) size
    H     attention heads                H_kv  key/value heads (GQA; H_kv = 1: multi-query)
    d_h   size of one head (Llama family; d/H unless ``head_dim`` says otherwise)
    d_kv  size of one head (T5)      n_x   experts (Mixtral)

Per block (a Linear(n_in, n_out) has n_in·n_out + n_out; norms as noted):

- GPT2Block: 4d² + 2df + 9d + f  (LayerNorm 2d twice, c_attn d·3d + 3d, c_proj d² + d,
  c_fc d·f + f, c_proj f·d + d; f = 4d by default: 12d² + 13d); cross-attention adds
  3d² + 3d (c_attn d·2d + 2d, q_attn d² + d) + d² + d (c_proj) + 2d (ln_cross_attn).
- BertLayer (also RobertaLayer): 4d² + 2df + 9d + f  (query/key/value/output d² + d each, two LayerNorms 2d,
  intermediate d·f + f, output f·d + d); cross-attention adds 4d² + 6d.
- DistilBertBlock (transformers' ``TransformerBlock``): the same 4d² + 2df + 9d + f.
- LlamaDecoderLayer (also Mistral, Qwen2, Gemma): q_proj d·H·d_h, k_proj and v_proj d·H_kv·d_h
  each, o_proj H·d_h·d, gate/up/down 3·d·f, two RMSNorm weights d; biases where the family has
  them (Qwen2: q, k, v; Llama/Gemma ``attention_bias``: q, k, v, o; ``mlp_bias``: 2f + d).
- Qwen3DecoderLayer: the Llama layer plus q_norm and k_norm (d_h each).
- MixtralDecoderLayer: Llama attention, a router n_x·d and n_x experts of 3·d·f each.
- T5Block: self-attention q, k, v, o (4·d·H·d_kv, no biases), layer_norm d; a decoder block
  adds cross-attention 4·d·H·d_kv + d; feed-forward wi d·f (gated: wi_0 and wi_1, 2·d·f),
  wo f·d, layer_norm d. The relative attention bias of block 0 is a separate Embedding.
- Parameter (``torch_parameter``): a free bias vector of n_out entries (BERT's ``cls.predictions.bias``).
- AddEmbeddings: the sum of token, position (and token type) embeddings; no weights.
- Tensors (``tensors``): tensors read from a checkpoint, or a module's own parameters, counted as they are.
"""
from __future__ import annotations

from dataclasses import fields
from functools import cache
from typing import Callable, Mapping, Sequence

import sympy

from ..compute import (L_w, NORM_OPS, RMS_OPS, S, SOFTMAX_OPS, T, UNKNOWN_SIZE, NotDerived, block_formulas,
                       elements, keys_per_query, w)
from ..compute import Cost, elementwise
from ..errors import ExplainError
from ..memory import BlockKind
from ..records import record
from ..symbols import Value, sym, to_expr
from .base import Group, Layer, Shape, _count, _optional, _size, anything, arg, flag, format_shape, size, layer_type
from . import _texts
from .registry import lazy, lazy_getattr, register
from .torch_core import Embedding, Linear
from .torch_layer_norm import RMSNorm

d, f, H, H_kv, d_h, d_kv = sym("d"), sym("f"), sym("H"), sym("H_kv"), sym("d_h"), sym("d_kv")
n_x, k_x = sym("n_x"), sym("k_x")

_LAZY_TYPES: set[str] = set()
"""The block types other than Llama's and its kin's without fields of their own (GPT2Block,
DistilBertBlock, Qwen2, Gemma and Mixtral decoder layers, T5Block, AddEmbeddings, FirstToken):
each is built when a model first asks for it (``registry.lazy``; the module's attribute or the
registry), so a Llama config builds none of their dataclasses (≈ 0.5 ms each)."""


def _lazy(name: str) -> Callable[[Callable[[], type[Layer]]], Callable[[], type[Layer]]]:
    _LAZY_TYPES.add(name)
    return lazy(name, globals(), "pytorch")


__getattr__ = lazy_getattr(__name__, _LAZY_TYPES, "pytorch")


def _pair_of_sizes(ctx, name: str, raw, rank: int) -> tuple:
    """(L_w, L): a count of sliding layers and the stack's size."""
    if not isinstance(raw, (list, tuple)) or len(raw) != 2:
        raise ExplainError(f"'{name}' must be a list of two numbers. Received: {name}={raw!r}")
    return _count(ctx, name, raw[0], rank), _size(ctx, name, raw[1], rank)


def _check_width(layer: Layer, shape: Shape, width: Value) -> None:
    last = shape[-1] if shape else None
    if last is not None and sympy.expand(to_expr(last) - width) != 0:
        raise ExplainError(f"{layer.type_name} of hidden size {width} cannot take an input of shape "
                           f"{format_shape(shape)}")


@record
class _Weight(Group):
    """A Linear's weight whose size is written input × output (d·f, then f·d back)."""

    written: sympy.Expr | None = None


def _linear(prefix: str, n_in: sympy.Expr, n_out: sympy.Expr, bias: bool = True) -> tuple[Group, ...]:
    """A Linear from n_in to n_out: its weight n_in·n_out, written in this order where the two
    sizes differ (BERT's output.dense f·d, as GPT-2's c_proj), and its bias n_out."""
    written = sympy.Mul(n_in, n_out, evaluate=False) if n_in != n_out else None
    w = _Weight(f"{prefix}.weight", n_in * n_out, written=written)
    return (w, Group(f"{prefix}.bias", n_out)) if bias else (w,)


def _layer_norm(prefix: str, bias: bool = True) -> tuple[Group, ...]:
    w = Group(f"{prefix}.weight", d)
    return (w, Group(f"{prefix}.bias", d)) if bias else (w,)


@layer_type
class _Block(Layer):
    """A block that maps (…, d) to (…, d)."""

    role = "transformer_block"
    explanation = _texts.TRANSFORMER_BLOCK

    hidden_size: Value = size()
    source_length: Value | None = arg(_optional(_size), None)
    """S, the encoder's length a decoder block's cross-attention reads (None: not known)."""
    dropout: object = anything(None)
    """The highest of the block's dropout rates in the config (None: not stated)."""
    min_input_rank = 1

    def output_shape(self, shape: Shape) -> Shape:
        _check_width(self, shape, self.hidden_size)
        return shape

    def written_groups(self) -> Mapping[str, sympy.Expr]:
        """Every Linear's weight input × output (:func:`_linear`)."""
        return {g.name: g.written for g in self.weight_groups() if isinstance(g, _Weight) and g.written is not None}

    def pair_macs(self) -> sympy.Expr:
        """MACs per query and key: the score (H·d_h) and the weighted sum of V (H·d_h), 2·H·d_h
        (2d for most blocks)."""
        return 2 * d

    def cross_attention(self) -> bool:
        """Whether the block also attends to an encoder's output (of ``source_length`` S)."""
        return bool(getattr(self, "add_cross_attention", False))

    def source_groups(self) -> frozenset[str]:
        """The cross-attention's key and value projections: applied to the encoder's S positions."""
        return frozenset()

    def cross_pair_macs(self) -> sympy.Expr:
        """MACs per query and encoder position of the cross-attention (score and weighted sum)."""
        return self.pair_macs()

    def elementwise(self) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
        """Other operations besides the bias adds and norm weights, by the conventions of
        ``explain.compute``: (per token: the norms' statistics, activations, a gate's product,
        residual adds, rotary positions; per score of the self-attention: softmax 3 and the
        scaling or position bias 1, for each head; per score of the cross-attention). None where
        the type does not state them: its other operations are then a lower bound."""
        return None

    def cost_values(self) -> dict:
        """Values of symbols the cost uses beyond the weight groups' (the heads H)."""
        return {}

    def cost(self, shapes, out, values) -> Cost:
        """Per token every weight matrix once, and attention over the T tokens: T·Σ matrices +
        T²·2·H·d_h MACs (a causal mask does not reduce the computed scores); a decoder's
        cross-attention: S·Σ its key and value matrices + T·S·2·H·d_h. Other operations: the
        bias adds and norm weights, one per element and token, and where the type states them
        (``elementwise``) the norms' statistics, activations, residual adds, softmax and scaling;
        otherwise the count is marked partial (a lower bound)."""
        keys, window = self.keys()
        found = {T: elements(shapes[0][:-1]), **window, **self.cost_values()}
        cross = self.cross_attention()
        if cross:
            if self.source_length is None:
                raise NotDerived(UNKNOWN_SIZE)
            found[S] = self.source_length
        ew = self.elementwise()
        macs, other = block_formulas(self.cost_groups(), self.active_formula(), self.pair_macs(), keys,
                                     self.source_groups() if cross else frozenset(),
                                     self.cross_pair_macs() if cross else None, ew)
        return Cost(macs, other, found, other_partial=ew is None)

    def keys(self) -> tuple[sympy.Expr, dict]:
        """Keys per query (``keys_per_query``) and the values of its window symbols."""
        return T, {}

    def cost_groups(self) -> tuple[Group, ...]:
        """The weight groups whose vectors act once per token and element (T·Σ): all of them,
        but for weights that act on every head, which ``elementwise`` counts (Gemma 3's q_norm)."""
        return self.weight_groups()

    def has_dropout(self) -> bool | None:
        """Whether a dropout rate above 0 is stated (None: no rate stated)."""
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)):
            return None
        return self.dropout > 0


# ----------------------------------------------------------------------------- GPT-2

_PER_SCORE = (SOFTMAX_OPS + 1) * H
"""Per score and head: softmax (exp, sum, divide) and the scaling by 1/√d_h (or T5's position bias)."""


@cache
def _ln_block(sublayers: int, ffn: sympy.Expr, norm_ops: int = NORM_OPS) -> sympy.Expr:
    """Per token: a norm's statistics (``norm_ops`` per element) and a residual add before and
    after each of ``sublayers`` sublayers, and the activation of the ``ffn`` units."""
    return sublayers * (norm_ops + 1) * d + ffn


_GPT2_SOURCE = frozenset({"crossattention.c_attn.weight", "crossattention.c_attn.bias"})

@cache
def _gpt2_groups(cross: bool) -> tuple[Group, ...]:
    groups = (*_layer_norm("ln_1"), *_linear("attn.c_attn", d, 3 * d), *_linear("attn.c_proj", d, d),
              *_layer_norm("ln_2"))
    if cross:
        groups += (*_linear("crossattention.c_attn", d, 2 * d), *_linear("crossattention.q_attn", d, d),
                   *_linear("crossattention.c_proj", d, d), *_layer_norm("ln_cross_attn"))
    return groups + (*_linear("mlp.c_fc", d, f), *_linear("mlp.c_proj", f, d))


@layer_type
class _GeluBlock(_Block):
    """A post- or pre-norm block with one attention (two with cross-attention) and a GELU MLP of
    f units: GPT-2's and BERT's. Other operations per token: each LayerNorm's statistics 5d,
    the GELU f, a residual add d per sublayer; softmax and the 1/√d_h scaling per score and
    head, 4H."""

    intermediate_size: Value = size()
    add_cross_attention: bool = flag(False)
    num_heads: Value | None = arg(_optional(_size), None)

    def elementwise(self) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
        if self.num_heads is None:
            return None
        return _ln_block(2 + int(self.add_cross_attention), f), _PER_SCORE, _PER_SCORE

    def cost_values(self) -> dict:
        return {H: self.num_heads} if self.num_heads is not None else {}

    def block_kind(self) -> BlockKind | None:
        """An ungated feed-forward of f units, with no dropout between its two matrices (GPT2MLP,
        BertIntermediate: dropout only after the second); None with cross-attention or without
        the heads."""
        if self.add_cross_attention or self.num_heads is None:
            return None
        return BlockKind(self.has_dropout(), False, False, self.intermediate_size, self.hidden_size, self.num_heads)

    def values(self, shape: Shape) -> dict:
        return {d: self.hidden_size, f: self.intermediate_size}

    def formula_parts(self) -> str | None:
        """4d² + 4d + (2d·f + f + d) + 4d: without cross-attention (which adds its own)."""
        return None if self.add_cross_attention else _texts.BLOCK_PARTS_ATTENTION_FFN_NORMS


_GPT2_WRITTEN = {"mlp.c_fc.weight": sympy.Mul(d, f, evaluate=False),
                 "mlp.c_proj.weight": sympy.Mul(f, d, evaluate=False)}
_GELU_TANH = frozenset({"gelu_new", "gelu_pytorch_tanh", "gelu_fast"})
"""transformers' names of GELU's tanh approximation (ACT2FN)."""


@_lazy("GPT2Block")
def _gpt2_block() -> type[Layer]:
    @register("GPT2Block", framework="pytorch")
    @layer_type
    class GPT2Block(_GeluBlock):
        """GPT-2 block: 4d² + 2df + 9d + f (f = 4d: 12d² + 13d); Conv1D weights are (n_in, n_out)."""

        kaplan_rest = _texts.KAPLAN_REST_GPT2

        activation: str = anything("gelu_new")
        """transformers' ``activation_function``: gelu_new (the default), gelu_pytorch_tanh and
        gelu_fast are GELU's tanh approximation, gelu the exact GELU."""
        scale_attn_weights: bool = flag(True)
        """transformers' ``scale_attn_weights``: the scores are divided by √d_h (the default)."""
        scale_attn_by_inverse_layer_idx: bool = flag(False)
        """transformers' ``scale_attn_by_inverse_layer_idx``: block l's scores also by l + 1."""

        def weight_groups(self) -> tuple[Group, ...]:
            return _gpt2_groups(self.add_cross_attention)

        def source_groups(self) -> frozenset[str]:
            return _GPT2_SOURCE

        def written_groups(self) -> dict[str, sympy.Expr]:
            """Conv1D weights are (n_in, n_out): c_fc (d, f), c_proj (f, d)."""
            return _GPT2_WRITTEN

        def explanation_for(self, weights: Sequence[str]) -> str | None:
            if self.add_cross_attention:
                return _texts.TRANSFORMER_BLOCK
            if self.activation in _GELU_TANH:
                return _texts.GPT2_BLOCK_GELU_TANH
            return _texts.GPT2_BLOCK if self.activation == "gelu" else _texts.TRANSFORMER_BLOCK

        def notes(self) -> tuple[str, ...]:
            """The fused c_attn, then what each head computes (GPT2Attention.scaling: 1/√d_h where
            scale_attn_weights, and 1/(l + 1) more where scale_attn_by_inverse_layer_idx)."""
            heads = "gpt2_heads" if self.scale_attn_weights else "gpt2_heads_unscaled"
            return ("gpt2_fused_qkv", heads + ("_layer_idx" if self.scale_attn_by_inverse_layer_idx else ""))

        def kaplan_widths(self) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
            """d_model = d_attn = d, d_ff = f; a block with cross-attention is not a decoder-only one."""
            if self.add_cross_attention:
                return None
            return d, d, f
    return GPT2Block


# ----------------------------------------------------------------------------- BERT, DistilBERT

@cache
def _bert_groups(cross: bool) -> tuple[Group, ...]:
    def attention(name: str) -> tuple[Group, ...]:
        return (*_linear(f"{name}.self.query", d, d), *_linear(f"{name}.self.key", d, d),
                *_linear(f"{name}.self.value", d, d), *_linear(f"{name}.output.dense", d, d),
                *_layer_norm(f"{name}.output.LayerNorm"))
    groups = attention("attention")
    if cross:
        groups += attention("crossattention")
    return groups + (*_linear("intermediate.dense", d, f), *_linear("output.dense", f, d),
                     *_layer_norm("output.LayerNorm"))


_BERT_SOURCE = frozenset(f"crossattention.self.{p}.{w}" for p in ("key", "value") for w in ("weight", "bias"))


@register("BertLayer", framework="pytorch")
@layer_type
class BertLayer(_GeluBlock):
    """BERT encoder layer: 4d² + 2df + 9d + f; with cross-attention 8d² + 2df + 15d + f."""


    def weight_groups(self) -> tuple[Group, ...]:
        return _bert_groups(self.add_cross_attention)

    def source_groups(self) -> frozenset[str]:
        return _BERT_SOURCE

    def explanation_for(self, weights: Sequence[str]) -> str | None:
        return _texts.TRANSFORMER_BLOCK if self.add_cross_attention else _texts.BERT_BLOCK

    def notes(self) -> tuple[str, ...]:
        return ("heads_split_width",)


@register("RobertaLayer", framework="pytorch")
@layer_type
class RobertaLayer(BertLayer):
    """RoBERTa encoder layer: BERT's, 4d² + 2df + 9d + f."""


@register("XLMRobertaLayer", framework="pytorch")
@layer_type
class XLMRobertaLayer(BertLayer):
    """XLM-RoBERTa encoder layer: BERT's, 4d² + 2df + 9d + f."""


_DISTILBERT_GROUPS = (*_linear("attention.q_lin", d, d), *_linear("attention.k_lin", d, d),
                      *_linear("attention.v_lin", d, d), *_linear("attention.out_lin", d, d),
                      *_layer_norm("sa_layer_norm"), *_linear("ffn.lin1", d, f), *_linear("ffn.lin2", f, d),
                      *_layer_norm("output_layer_norm"))


@_lazy("DistilBertBlock")
def _distil_bert_block() -> type[Layer]:
    @register("DistilBertBlock", framework="pytorch")
    @layer_type
    class DistilBertBlock(_Block):
        """DistilBERT's TransformerBlock: 4d² + 2df + 9d + f."""

        intermediate_size: Value = size()
        num_heads: Value | None = arg(_optional(_size), None)

        def weight_groups(self) -> tuple[Group, ...]:
            return _DISTILBERT_GROUPS

        def formula_parts(self) -> str | None:
            """q_lin, k_lin, v_lin, out_lin 4d² + 4d; lin1, lin2 2d·f + f + d; two LayerNorms 4d."""
            return _texts.BLOCK_PARTS_ATTENTION_FFN_NORMS

        def elementwise(self) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
            """BERT's: two LayerNorms' statistics, GELU, two residual adds; 4H per score."""
            if self.num_heads is None:
                return None
            return _ln_block(2, f), _PER_SCORE, _PER_SCORE

        def cost_values(self) -> dict:
            return {H: self.num_heads} if self.num_heads is not None else {}

        def notes(self) -> tuple[str, ...]:
            return ("heads_split_width",)

        def values(self, shape: Shape) -> dict:
            return {d: self.hidden_size, f: self.intermediate_size}
    return DistilBertBlock


# ----------------------------------------------------------------------------- Llama family

@cache
def _llama_attention(qkv_bias: bool, o_bias: bool, qk_norm: bool = False) -> tuple[Group, ...]:
    groups = (*_linear("self_attn.q_proj", d, H * d_h, qkv_bias),
              *_linear("self_attn.k_proj", d, H_kv * d_h, qkv_bias),
              *_linear("self_attn.v_proj", d, H_kv * d_h, qkv_bias),
              *_linear("self_attn.o_proj", H * d_h, d, o_bias))
    if qk_norm:
        groups += (Group("self_attn.q_norm.weight", d_h), Group("self_attn.k_norm.weight", d_h))
    return groups


_LLAMA_NORMS = (Group("input_layernorm.weight", d), Group("post_attention_layernorm.weight", d))


@cache
def _llama_groups(qkv_bias: bool, o_bias: bool, mlp_bias: bool, qk_norm: bool = False) -> tuple[Group, ...]:
    return (*_llama_attention(qkv_bias, o_bias, qk_norm),
            *_linear("mlp.gate_proj", d, f, mlp_bias), *_linear("mlp.up_proj", d, f, mlp_bias),
            *_linear("mlp.down_proj", f, d, mlp_bias), *_LLAMA_NORMS)


@register("LlamaDecoderLayer", framework="pytorch")
@layer_type
class LlamaDecoderLayer(_Block):
    """Decoder layer with grouped-query attention and a gated MLP:
    d·H·d_h + 2·d·H_kv·d_h + H·d_h·d + 3·d·f + 2d (+ biases). MHA: H_kv = H; MQA: H_kv = 1."""

    explanation = _texts.LLAMA_BLOCK
    ffn_gated = True
    """Its MLP multiplies a gate into the up projection (gate_proj, up_proj); Phi's and Falcon's do not."""

    num_attention_heads: Value = size()
    num_key_value_heads: Value = size()
    head_dim: Value = size()
    intermediate_size: Value = size()
    qkv_bias: bool = flag(False)
    o_bias: bool = flag(False)
    mlp_bias: bool = flag(False)
    sliding_window: Value | None = arg(_optional(_size), None)
    """Sliding-window attention (Mistral, Gemma 2 and 3): each query attends to the last w positions."""
    sliding_layers: tuple | None = arg(_optional(_pair_of_sizes), None)
    """(L_w, L): L_w of the stack's L layers slide (Gemma: alternating); None: every layer does."""

    def weight_groups(self) -> tuple[Group, ...]:
        return _llama_groups(self.qkv_bias, self.o_bias, self.mlp_bias)

    def keys(self) -> tuple[sympy.Expr, dict]:
        """min(T, w) keys per query where the layer slides, min(T, 2⌊w/2⌋ + 1) where the window
        reaches both ways (a kernel that computes the whole T × T matrix and masks it, as
        transformers' eager attention, does T·T)."""
        if self.sliding_window is None:
            return T, {}
        both = self.window_both_sides()
        if self.sliding_layers is None:
            return keys_per_query(True, True, both), {w: self.sliding_window}
        n_w, n = self.sliding_layers
        return keys_per_query(True, False, both), {w: self.sliding_window, L_w: n_w, sym("L"): n}

    def window_both_sides(self) -> bool:
        """Whether the sliding window lets a query see the ⌊w/2⌋ positions after it as well as before."""
        return False

    def values(self, shape: Shape) -> dict:
        return {d: self.hidden_size, f: self.intermediate_size, H: self.num_attention_heads,
                H_kv: self.num_key_value_heads, d_h: self.head_dim}

    def pair_macs(self) -> sympy.Expr:
        return 2 * H * d_h

    def attention_notes(self) -> tuple[str, ...]:
        """Whether the heads split d (the count is 4d² whatever H) or share keys and values."""
        same = sympy.expand(to_expr(self.num_key_value_heads) - to_expr(self.num_attention_heads)) == 0
        split = sympy.expand(to_expr(self.head_dim) * to_expr(self.num_attention_heads)
                             - to_expr(self.hidden_size)) == 0
        window = "_window" if self.sliding_window is not None else ""  # the mask M also hides far keys
        if self.cross_attention():  # not causal: the head sentences' mask M would be false
            return () if same else ("gqa_kv_heads",)
        if not same:
            return ("gqa_kv_heads", "gqa_heads" + window)
        if split and not (self.qkv_bias or self.o_bias):
            return ("heads_split_width_no_bias" + window,)
        return () if window else ("causal_heads",)  # Gemma: d_h from the config, H·d_h ≠ d

    def notes(self) -> tuple[str, ...]:
        return (*self.attention_notes(), "gated_ffn", "rope_no_parameters")

    def block_kind(self) -> BlockKind | None:
        """A feed-forward of f units, gated where ``ffn_gated``, without dropout (LlamaMLP, PhiMLP and
        FalconMLP have none); None with cross-attention."""
        if self.cross_attention():
            return None
        return BlockKind(self.has_dropout(), False, self.ffn_gated, self.intermediate_size, self.hidden_size,
                         self.num_attention_heads, self.sliding_window,
                         None if self.sliding_layers is None else self.sliding_layers[0])

    def elementwise(self) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
        """Two RMSNorms' statistics 3d each, SiLU and the gate's product 2f, two residual adds
        2d, rotary positions on the queries and keys 3·(H + H_kv)·d_h (x·cos + rot(x)·sin; their
        RMSNorms another 3 each where the layer has them); softmax and scaling 4H per score."""
        rotated = (H + H_kv) * d_h
        qk_norm = RMS_OPS * rotated if self._qk_norm() else 0
        return _ln_block(2, 2 * f, RMS_OPS) + 3 * rotated + qk_norm, _PER_SCORE, _PER_SCORE

    compute_explanation = _texts.LLAMA_BLOCK_COMPUTE

    def compute_explanation_for(self) -> str | None:
        """The sentence on O's terms where O is the plain Llama block's, 2T·d + T·(8d +
        3d_h·(H + H_kv) + 2f) + 4H·T²: Llama's tensors (no biases, no q_norm or k_norm), this
        ``elementwise``, a gated feed-forward part, no experts, no cross-attention; else None."""
        plain = [g.name for g in _llama_groups(False, False, False)]
        if (type(self).elementwise is not LlamaDecoderLayer.elementwise or not self.ffn_gated
                or [g.name for g in self.cost_groups()] != plain or self.active_formula() is not None
                or self.cross_attention()):
            return None
        return self.compute_explanation

    def compute_math(self) -> dict:
        """The terms the compute sentence names, as the formula groups them: the norms' weights 2d;
        in 8d their statistics 6d and the residual adds 2d; the activation and gate 2f; the
        queries' and keys' elements (H + H_kv)·d_h; 4H per score."""
        return {"O": sympy.Symbol("O"), "two_d": 2 * d, "eight_d": 2 * (RMS_OPS + 1) * d,
                "six_d": 2 * RMS_OPS * d, "two_f": 2 * f, "qk": (H + H_kv) * d_h, "per_score": _PER_SCORE}

    def kaplan_absent(self) -> str | None:
        """Grouped-query attention or a sliding window: Kaplan et al.'s forms do not describe it."""
        same = sympy.expand(to_expr(self.num_key_value_heads) - to_expr(self.num_attention_heads)) == 0
        if not same:
            return _texts.KAPLAN_ABSENT_GQA
        return _texts.KAPLAN_ABSENT_WINDOW if self.sliding_window is not None else None

    def kaplan_widths(self) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
        """d_model = d, d_attn = H·d_h (the width of the queries, keys, values), and d_ff = 3f/2:
        the gated network's three d·f matrices are 2·d·d_ff (where every head has its own keys
        and values and no sliding window)."""
        if self.kaplan_absent() is not None:
            return None
        return d, H * d_h, sympy.Rational(3, 2) * f

    def kaplan_identities(self) -> dict:
        return {H_kv: H}

    def kaplan_rest_note(self) -> str | None:
        if self.o_bias or self.mlp_bias or (self.qkv_bias and self._qk_norm()):
            return _texts.KAPLAN_REST_LLAMA_MORE
        if self.qkv_bias:
            return _texts.KAPLAN_REST_QWEN2
        return _texts.KAPLAN_REST_QWEN3 if self._qk_norm() else _texts.KAPLAN_REST_LLAMA

    def _qk_norm(self) -> bool:
        return any(g.name.endswith("q_norm.weight") for g in self.weight_groups())

    def kaplan_ffn_note(self) -> str | None:
        return _texts.KAPLAN_GATED_FFN


@register("MistralDecoderLayer", framework="pytorch")
@layer_type
class MistralDecoderLayer(LlamaDecoderLayer):
    """Mistral: the Llama decoder layer (GQA, no biases)."""


@_lazy("Qwen2DecoderLayer")
def _qwen2_decoder_layer() -> type[Layer]:
    @register("Qwen2DecoderLayer", framework="pytorch")
    @layer_type
    class Qwen2DecoderLayer(LlamaDecoderLayer):
        """Qwen2: the Llama decoder layer with biases on q, k and v (not o): + H·d_h + 2·H_kv·d_h."""

        qkv_bias: bool = flag(True)
    return Qwen2DecoderLayer


@_lazy("GemmaDecoderLayer")
def _gemma_decoder_layer() -> type[Layer]:
    @register("GemmaDecoderLayer", framework="pytorch")
    @layer_type
    class GemmaDecoderLayer(LlamaDecoderLayer):
        """Gemma: the Llama decoder layer (RMSNorm weight d, applied as 1 + w)."""

        mask_kept: bool = flag(False)
        """use_bidirectional_attention set, which transformers' Gemma model follows only in part: it
        still builds the causal mask, the flag clears the attention's is_causal."""

        def attention_notes(self) -> tuple[str, ...]:
            return (*super().attention_notes(), *(("gemma_bidirectional_mask_kept",) if self.mask_kept else ()))
    return GemmaDecoderLayer


@register("Qwen3DecoderLayer", framework="pytorch")
@layer_type
class Qwen3DecoderLayer(LlamaDecoderLayer):
    """Qwen3: the Llama decoder layer with RMSNorms of the queries and keys (q_norm, k_norm: d_h
    each): + 2·d_h."""

    def weight_groups(self) -> tuple[Group, ...]:
        return _llama_groups(self.qkv_bias, self.o_bias, self.mlp_bias, True)


@cache
def _mixtral_groups() -> tuple[Group, ...]:
    return (*_llama_attention(False, False), Group("mlp.gate.weight", n_x * d),
            Group("mlp.experts.gate_up_proj", n_x * 2 * f * d), Group("mlp.experts.down_proj", n_x * d * f),
            *_LLAMA_NORMS)


@_lazy("MixtralDecoderLayer")
def _mixtral_decoder_layer() -> type[Layer]:
    @register("MixtralDecoderLayer", framework="pytorch")
    @layer_type
    class MixtralDecoderLayer(LlamaDecoderLayer):
        """Mixtral: Llama attention and a mixture of n_x experts, each a gated MLP (3·d·f), behind a
        router (n_x·d): d·H·d_h + 2·d·H_kv·d_h + H·d_h·d + n_x·(d + 3·d·f) + 2d."""

        explanation = _texts.MOE_BLOCK

        def block_kind(self) -> BlockKind | None:
            """A mixture of experts, not one feed-forward: None."""
            return None

        num_local_experts: Value = size()
        num_experts_per_tok: Value = size(2)

        def weight_groups(self) -> tuple[Group, ...]:
            return _mixtral_groups()

        def values(self, shape: Shape) -> dict:
            return {**super().values(shape), n_x: self.num_local_experts, k_x: self.num_experts_per_tok}

        def active_formula(self) -> sympy.Expr:
            """All but the n_x − k_x experts a token is not routed to: − (n_x − k_x)·3·d·f."""
            return sympy.Add(*(g.formula for g in _mixtral_groups())) - (n_x - k_x) * 3 * d * f

        def notes(self) -> tuple[str, ...]:
            return (*self.attention_notes(), "moe_routed_experts", "rope_no_parameters")

        def kaplan_absent(self) -> str | None:
            return _texts.KAPLAN_ABSENT_MOE

        def elementwise(self) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
            return None  # the router's softmax and top-k and the experts' weighting: not stated
    return MixtralDecoderLayer


# ----------------------------------------------------------------------------- T5

@cache
def _t5_groups(decoder: bool, gated: bool) -> tuple[Group, ...]:
    def attention(name: str) -> tuple[Group, ...]:
        return (*_linear(f"{name}.q", d, H * d_kv, False), *_linear(f"{name}.k", d, H * d_kv, False),
                *_linear(f"{name}.v", d, H * d_kv, False), *_linear(f"{name}.o", H * d_kv, d, False))
    groups = (*attention("layer.0.SelfAttention"), Group("layer.0.layer_norm.weight", d))
    if decoder:
        groups += (*attention("layer.1.EncDecAttention"), Group("layer.1.layer_norm.weight", d))
    ff = "layer.2" if decoder else "layer.1"
    wi = ((*_linear(f"{ff}.DenseReluDense.wi_0", d, f, False), *_linear(f"{ff}.DenseReluDense.wi_1", d, f, False))
          if gated else _linear(f"{ff}.DenseReluDense.wi", d, f, False))
    return groups + wi + (*_linear(f"{ff}.DenseReluDense.wo", f, d, False), Group(f"{ff}.layer_norm.weight", d))


_T5_SOURCE = frozenset({"layer.1.EncDecAttention.k.weight", "layer.1.EncDecAttention.v.weight"})


@_lazy("T5Block")
def _t5_block() -> type[Layer]:
    @register("T5Block", framework="pytorch")
    @layer_type
    class T5Block(_Block):
        """T5 block: encoder 4·d·H·d_kv + 2·d·f + 2d; decoder 8·d·H·d_kv + 2·d·f + 3d (gated: +d·f)."""

        explanation = _texts.T5_ENCODER_BLOCK

        num_heads: Value = size()
        d_kv: Value = size()
        d_ff: Value = size()
        is_decoder: bool = flag(False)
        is_gated_act: bool = flag(False)
        dense_act_fn: str = anything("relu")
        """transformers' T5Config.dense_act_fn, the feed-forward's activation: the part of
        ``feed_forward_proj`` after "gated-" (relu for t5-small; gated-gelu is gelu_new)."""

        def weight_groups(self) -> tuple[Group, ...]:
            return _t5_groups(self.is_decoder, self.is_gated_act)

        def explanation_code(self) -> dict[str, str]:
            return {"act": self.dense_act_fn}

        def explanation_for(self, weights: Sequence[str]) -> str | None:
            if self.is_gated_act:  # DenseGatedActDense: wi_0 and wi_1
                return _texts.T5_DECODER_BLOCK_GATED if self.is_decoder else _texts.T5_ENCODER_BLOCK_GATED
            return _texts.T5_DECODER_BLOCK if self.is_decoder else _texts.T5_ENCODER_BLOCK

        def values(self, shape: Shape) -> dict:
            return {d: self.hidden_size, f: self.d_ff, H: self.num_heads, d_kv: self.d_kv}

        def pair_macs(self) -> sympy.Expr:
            return 2 * H * d_kv

        def cross_attention(self) -> bool:
            return self.is_decoder

        def source_groups(self) -> frozenset[str]:
            return _T5_SOURCE

        def elementwise(self) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
            """T5's norms (an RMS norm: statistics 3d) and residual adds before and after each
            sublayer, the activation f (gated: and the gate's product, 2f); softmax and the position
            bias (T5 does not scale the scores) 4H per score."""
            sublayers = 3 if self.is_decoder else 2
            return _ln_block(sublayers, (2 if self.is_gated_act else 1) * f, RMS_OPS), _PER_SCORE, _PER_SCORE

        def notes(self) -> tuple[str, ...]:
            """T5Attention adds the position bias to QKᵀ without scaling; the decoder's
            EncDecAttention has no position bias."""
            return ("t5_relative_bias", "t5_heads_decoder" if self.is_decoder else "t5_heads")
    return T5Block


@layer_type
class T5LayerNorm(RMSNorm):
    """T5's ``T5LayerNorm`` (its final norms): an RMS normalization, weight d, no bias, no centering."""

    type_name = "T5LayerNorm"
    explanation = _texts.T5_LAYER_NORM


_NAMED_RMS_NORMS: dict[str, type[RMSNorm]] = {"T5LayerNorm": T5LayerNorm}
_OFFSET_RMS_NORMS = frozenset({"GemmaRMSNorm", "Gemma2RMSNorm", "Gemma3RMSNorm"})
"""The RMSNorms that scale by 1 + weight (the weight starts at 0), as transformers writes them."""


def named_rms_norm(class_name: str) -> type[RMSNorm]:
    """The RMSNorm of a transformers family named by its class (LlamaRMSNorm, Qwen2RMSNorm …), so
    that a row names the class print(model) shows; weight d, as RMSNorm."""
    cls = _NAMED_RMS_NORMS.get(class_name)
    if cls is None:
        cls = _NAMED_RMS_NORMS[class_name] = layer_type(type(class_name, (RMSNorm,), {
            "type_name": class_name, "__module__": __name__,
            **({"explanation": _texts.RMS_NORM_OFFSET} if class_name in _OFFSET_RMS_NORMS else {}),
            "__doc__": f"transformers' {class_name}: an RMS normalization, weight d, no bias."}))
    return cls


_SCALED_EMBEDDINGS: dict[str, type[Layer]] = {}


def scaled_embedding_as(class_name: str, embedding: Layer) -> Layer:
    """``embedding`` (torch's Embedding) under the class print(model) shows for Gemma's token
    embedding (GemmaTextScaledWordEmbedding, Gemma2…, Gemma3…): weight (V, d), V·d, and every
    looked-up vector times √d (the buffer embed_scale, not a parameter): no MACs, O = N_out."""
    cls = _SCALED_EMBEDDINGS.get(class_name)
    if cls is None:
        cls = _SCALED_EMBEDDINGS[class_name] = layer_type(type(class_name, (Embedding,), {
            "type_name": class_name, "__module__": __name__, "explanation": _texts.EMBEDDING_SCALED,
            "compute_explanation": _texts.EMBEDDING_SCALED_COMPUTE, "ops_per_element": 1,
            "__doc__": f"transformers' {class_name}: a lookup (…) → (…, d), each vector times √d; V·d."}))
    return cls(**{f.name: getattr(embedding, f.name) for f in fields(embedding)})


def rms_norm_as(class_name: str, norm: Layer) -> RMSNorm:
    """``norm`` (torch's RMSNorm) under the transformers class print(model) shows (T5LayerNorm,
    LlamaRMSNorm, …): the same fields, weight d."""
    return named_rms_norm(class_name)(**{f.name: getattr(norm, f.name) for f in fields(norm)})


# ----------------------------------------------------------------------------- weightless, generic

@_lazy("AddEmbeddings")
def _add_embeddings() -> type[Layer]:
    @register("AddEmbeddings", framework="pytorch")
    @layer_type
    class AddEmbeddings(Layer):
        """The sum of embeddings of the same shape (token + position, + token type where
        ``token_type``): no weights."""

        role = "merge"
        explanation = _texts.ADD_EMBEDDINGS
        type_label = _texts.ADD_EMBEDDINGS_LABEL

        multi_input = True
        token_type: bool = flag(True)
        dropout: bool = flag(False)
        """A dropout without weights follows (GPT-2's transformer.drop; with ``token_type``, BERT's
        embeddings.dropout after the embeddings' LayerNorm): said, not a row."""
        step: bool = flag(False)
        """The importer named the row after no module (BERT's ``embeddings.sum``): documents call it by
        what it adds (:meth:`display_name`). False: GPT-2's ``wte + wpe`` names the modules it adds,
        CLIP's ``embeddings`` is the module that adds them, a spec's name is the user's."""

        def display_name(self) -> str | None:
            if not self.step:
                return None
            return _texts.EMBEDDINGS_SUM_STEP if self.token_type else _texts.TOKEN_POSITION_SUM_STEP

        def explanation_for(self, weights: Sequence[str]) -> str | None:
            if self.token_type:
                return _texts.ADD_EMBEDDINGS_DROPOUT if self.dropout else self.explanation
            return _texts.ADD_TOKEN_POSITION_DROPOUT if self.dropout else _texts.ADD_TOKEN_POSITION

        def cost(self, shapes, out, values) -> Cost:
            """n − 1 additions per output element for n embeddings."""
            return elementwise(out, len(shapes) - 1)

        def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
            if len(shapes) < 2:
                raise ExplainError(f"AddEmbeddings takes two or more inputs. Received: {len(shapes)}")
            first = shapes[0]
            for s in shapes[1:]:
                if len(s) != len(first):
                    raise ExplainError(f"AddEmbeddings needs inputs of one shape. Received: "
                                       f"{', '.join(format_shape(x) for x in shapes)}")
            return first
    return AddEmbeddings


@layer_type
class PoolerDense(Linear):
    """A pooler's d × d nn.Linear (BertPooler, AlbertModel's pooler, ViTPooler with its default
    activation), which the pooler follows with tanh: no weights of its own."""

    composition_part = "pooler"

    def notes(self) -> tuple[str, ...]:
        return (*super().notes(), "pooler_tanh")


@_lazy("FirstToken")
def _first_token() -> type[Layer]:
    @register("FirstToken", framework="pytorch")
    @layer_type
    class FirstToken(Layer):
        """``hidden_states[:, 0]``: a pooler's or classification head's input, (…, n, d) → (…, d)."""

        role = "reshape"
        type_label = _texts.FIRST_TOKEN_LABEL
        explanation = _texts.FIRST_TOKEN
        ops_per_element = 0  # a selection: no arithmetic

        min_input_rank = 2
        bert_pooler: bool = flag(False)
        """BertPooler.forward selects it, and the first token is [CLS]."""
        step: bool = flag(False)
        """The importer named the row (``pooler.first_token``): documents call it by what it selects
        (:meth:`display_name`); a spec's name is the user's."""

        def display_name(self) -> str | None:
            if not self.step:
                return None
            return _texts.CLS_TOKEN_STEP if self.bert_pooler else _texts.CLASSIFICATION_TOKEN_STEP

        def explanation_for(self, weights: Sequence[str]) -> str | None:
            return _texts.FIRST_TOKEN_BERT_POOLER if self.bert_pooler else self.explanation

        def output_shape(self, shape: Shape) -> Shape:
            return tuple(shape[:-2]) + tuple(shape[-1:])
    return FirstToken
