"""Decoder layers of more Hugging Face families (PyTorch), one weight group per tensor, named as
transformers names them inside the layer. Symbols as in ``hf_blocks``: d width, f feed-forward
size, H heads, H_kv key/value heads, d_h head size.

- Gemma2DecoderLayer: the Llama layer with four RMSNorms (before and after the attention and the
  feed-forward part): d·H·d_h + 2·d·H_kv·d_h + H·d_h·d + 3·d·f + 4d.
- Gemma3DecoderLayer: Gemma 2's plus q_norm and k_norm (d_h each): + 2·d_h.
- Olmo2DecoderLayer: Llama attention with q_norm (H·d_h) and k_norm (H_kv·d_h) over all heads,
  norms after attention and MLP: d·H·d_h + 2·d·H_kv·d_h + H·d_h·d + H·d_h + H_kv·d_h + 3·d·f + 2d.
- Phi3DecoderLayer: fused qkv_proj d·(H + 2·H_kv)·d_h and gate_up_proj d·2f; the Llama count.
- PhiDecoderLayer: q, k, v, dense with biases, fc1 d·f + f, fc2 f·d + d, one LayerNorm 2d:
  d·H·d_h + 2·d·H_kv·d_h + H·d_h·d + (H + 2·H_kv)·d_h + 2·d·f + f + 4d (qk_layernorm: + 4·d_h).
- GPTNeoXLayer: query_key_value d·3d + 3d, dense d² + d, MLP d·f + f + f·d + d, two LayerNorms
  4d: 4d² + 2df + 9d + f (without attention_bias: 4d fewer).
- FalconDecoderLayer: query_key_value d·(H + 2·H_kv)·d_h (multi-query: H_kv = 1), dense
  H·d_h·d, MLP 2·d·f, LayerNorms (parallel attention: one, 2d; new architecture: ln_attn and
  ln_mlp, 4d; sequential: 4d); ``bias`` adds (H + 2·H_kv)·d_h + 2d + f.
"""
from __future__ import annotations

from functools import cache

import sympy

from ..symbols import Value, to_expr
from .base import Group, Shape, choice, flag, size, layer_type
from ..compute import RMS_OPS
from .hf_blocks import (_PER_SCORE, _Block, _layer_norm, _linear, _llama_attention, _llama_groups, H, H_kv,
                        LlamaDecoderLayer,
                        d, d_h, f)
from . import _texts
from .registry import register

_GEMMA_NORMS = (Group("pre_feedforward_layernorm.weight", d), Group("post_feedforward_layernorm.weight", d))


def _same(a: Value, b: Value) -> bool:
    return bool(sympy.expand(to_expr(a) - to_expr(b)) == 0)


def causal_head_notes(layer: LlamaDecoderLayer) -> tuple[str, ...]:
    """What each causal head computes, softmax(QKᵀ/√d_h + M)·V: the heads split d (d_h = d/H,
    the count whatever H), share one key/value head (MQA), share one per group (GQA) or have
    a size of their own (d_h ≠ d/H)."""
    window = "_window" if layer.sliding_window is not None else ""
    if _same(layer.num_key_value_heads, 1) and not _same(layer.num_attention_heads, 1):
        return ("mqa_heads",) if not window and _same(layer.head_dim * layer.num_attention_heads,
                                                      layer.hidden_size) else ()
    if not _same(layer.num_key_value_heads, layer.num_attention_heads):
        return ("gqa_heads" + window,)
    if _same(layer.head_dim * layer.num_attention_heads, layer.hidden_size):
        return ("causal_heads_split" + window,)
    return () if window else ("causal_heads",)


@register("Gemma2DecoderLayer", framework="pytorch")
@layer_type
class Gemma2DecoderLayer(LlamaDecoderLayer):
    """Gemma 2: the Llama layer with four RMSNorms: d·H·d_h + 2·d·H_kv·d_h + H·d_h·d + 3·d·f + 4d."""

    explanation = _texts.TRANSFORMER_BLOCK  # not the Llama layout: norms, names or a parallel branch differ

    softcap: bool = flag(False)
    """attn_logit_softcapping set: the scaled scores x become c·tanh(x/c)."""

    def weight_groups(self) -> tuple[Group, ...]:
        return _llama_groups(self.qkv_bias, self.o_bias, False) + _GEMMA_NORMS

    causal: bool = flag(True)
    """False where the config sets use_bidirectional_attention and the model follows it (Gemma 3): no causal mask."""
    mask_kept: bool = flag(False)
    """use_bidirectional_attention set where the model still builds the causal mask (Gemma 2):
    only the attention's is_causal is cleared."""
    query_pre_attn_scalar: Value = size(256)
    """s: the scores are divided by √s, not by √d_h (256 by default, as in transformers)."""

    def heads_note(self) -> tuple[str, ...]:
        """softmax(QKᵀ/√s + M)·V, s = query_pre_attn_scalar (soft-capped: c·tanh(QKᵀ/(c·√s)));
        without the causal mask (Gemma 3's flag), M only hides keys more than ⌊w/2⌋ positions away."""
        if not self.causal:
            two_sided = self.sliding_window is not None and not self.softcap
            return ("gemma3_bidirectional_heads",) if two_sided else ()
        kept = ("gemma2_bidirectional_mask_kept",) if self.mask_kept else ()
        return ("gemma_heads_softcap" if self.softcap else "gemma_heads", *kept)

    def _window_values(self) -> tuple[tuple[str, Value], ...]:
        """s; with the two-sided window also w, ⌊w/2⌋, 2⌊w/2⌋ + 1 and ⌊w/2⌋ + 1."""
        s = (("s_value", self.query_pre_attn_scalar),)
        if self.causal or self.sliding_window is None:
            return s
        w = sympy.Symbol("w")
        half = sympy.floor(to_expr(self.sliding_window) / 2)
        return (*s, ("w_eq", sympy.Eq(w, to_expr(self.sliding_window), evaluate=False)),
                ("half_w_eq", sympy.Eq(sympy.floor(w / 2), half, evaluate=False)),
                ("keys_w_eq", sympy.Eq(2 * sympy.floor(w / 2) + 1, 2 * half + 1, evaluate=False)),
                ("loaded_w_eq", sympy.Eq(sympy.floor(w / 2) + 1, half + 1, evaluate=False)))

    def window_both_sides(self) -> bool:
        """Without the causal mask (Gemma 3's use_bidirectional_attention) transformers' sliding
        layers keep the keys with |q − k| ≤ ⌊w/2⌋ (it stores w as ⌊w/2⌋ + 1, exclusive)."""
        return not self.causal

    compute_explanation = _texts.GEMMA2_BLOCK_COMPUTE

    def compute_explanation_for(self) -> str | None:
        """The Gemma sentence (not the Llama layer's, whose O has two norms); None with
        attention_bias, whose bias adds the sentence's 4d would leave out."""
        return None if self.qkv_bias or self.o_bias else self.compute_explanation

    def compute_math(self) -> dict:
        """The terms the compute sentence names, as the formula groups them: the norms' weights 4d;
        in 14d their statistics 12d and the residual adds 2d; the gate 2f; the queries' and keys'
        elements (H + H_kv)·d_h; 4H per score."""
        return {"O": sympy.Symbol("O"), "four_d": 4 * d, "fourteen_d": (4 * RMS_OPS + 2) * d,
                "twelve_d": 4 * RMS_OPS * d, "two_d": 2 * d, "two_f": 2 * f, "qk": (H + H_kv) * d_h,
                "per_score": _PER_SCORE}

    def elementwise(self) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
        """Per token: four RMSNorms' statistics 3d each (before and after the attention and the
        feed-forward part), two residual adds 2d, GELU and the gate's product 2f, RoPE on the
        queries and keys 3·(H + H_kv)·d_h (and ``qk_norm_ops`` per element of them); 4H per score."""
        rotated = (H + H_kv) * d_h
        per_token = 4 * RMS_OPS * d + 2 * d + 2 * f + (3 + self.qk_norm_ops()) * rotated
        return per_token, _PER_SCORE, _PER_SCORE

    def qk_norm_ops(self) -> int:
        """Operations of norms on the queries' and keys' heads, per element of them (none in Gemma 2)."""
        return 0

    def head_notes(self) -> tuple[str, ...]:
        """Grouped-query attention (H_kv < H) and a head size of its own (H·d_h ≠ d), said where
        the parameters are counted, as the Llama layer's notes say its own case."""
        gqa = ("gqa_kv_heads",) if not _same(self.num_key_value_heads, self.num_attention_heads) else ()
        own = () if _same(self.head_dim * self.num_attention_heads, self.hidden_size) else ("head_size_own",)
        return gqa + own

    def note_values(self) -> tuple[tuple[str, Value], ...]:
        """s; H·d_h and d where the heads are not d wide together; with the two-sided window
        also w, ⌊w/2⌋, 2⌊w/2⌋ + 1 (the widest row of keys) and ⌊w/2⌋ + 1 (what transformers'
        loaded config holds)."""
        widths = (("H_d_h_value", to_expr(self.num_attention_heads) * to_expr(self.head_dim)),
                  ("d_value", self.hidden_size))
        return self._window_values() + (widths if "head_size_own" in self.head_notes() else ())

    def notes(self) -> tuple[str, ...]:
        return ("gemma_four_norms", *self.head_notes(), *self.heads_note(), "gated_ffn", "rope_no_parameters")


@register("Gemma3DecoderLayer", framework="pytorch")
@layer_type
class Gemma3DecoderLayer(Gemma2DecoderLayer):
    """Gemma 3: Gemma 2's layer with q_norm and k_norm (d_h each): + 2·d_h."""

    compute_explanation = _texts.GEMMA3_BLOCK_COMPUTE

    def weight_groups(self) -> tuple[Group, ...]:
        return _llama_groups(self.qkv_bias, self.o_bias, False, True) + _GEMMA_NORMS

    def cost_groups(self) -> tuple[Group, ...]:
        """Without q_norm and k_norm: their d_h weights act on every head (``qk_norm_ops``)."""
        return tuple(g for g in self.weight_groups() if not g.name.endswith(("q_norm.weight", "k_norm.weight")))

    def qk_norm_ops(self) -> int:
        """q_norm and k_norm on every head: statistics 3 and the weight 1 per element of the
        queries and keys, (3 + 1)·(H + H_kv)·d_h per token."""
        return RMS_OPS + 1

    def notes(self) -> tuple[str, ...]:
        return ("gemma_four_norms", "qk_norm_per_head", *self.head_notes(), *self.heads_note(), "gated_ffn",
                "rope_no_parameters")


@cache
def _olmo2_groups(bias: bool) -> tuple[Group, ...]:
    return (*_llama_attention(bias, bias), Group("self_attn.q_norm.weight", H * d_h),
            Group("self_attn.k_norm.weight", H_kv * d_h),
            *_linear("mlp.gate_proj", d, f, False), *_linear("mlp.up_proj", d, f, False),
            *_linear("mlp.down_proj", f, d, False),
            Group("post_attention_layernorm.weight", d), Group("post_feedforward_layernorm.weight", d))


@register("Olmo2DecoderLayer", framework="pytorch")
@layer_type
class Olmo2DecoderLayer(LlamaDecoderLayer):
    """OLMo 2: Llama attention with QK-norm over all heads (H·d_h + H_kv·d_h) and norms after the
    attention and the MLP: d·H·d_h + 2·d·H_kv·d_h + H·d_h·d + H·d_h + H_kv·d_h + 3·d·f + 2d."""

    explanation = _texts.TRANSFORMER_BLOCK  # not the Llama layout: norms, names or a parallel branch differ

    def weight_groups(self) -> tuple[Group, ...]:
        return _olmo2_groups(self.qkv_bias)

    def notes(self) -> tuple[str, ...]:
        return ("olmo2_qk_norm",)


_PHI3_GROUPS = (Group("self_attn.o_proj.weight", H * d_h * d), Group("self_attn.qkv_proj.weight", d * (H + 2 * H_kv) * d_h),
                Group("mlp.gate_up_proj.weight", d * 2 * f), Group("mlp.down_proj.weight", f * d),
                Group("input_layernorm.weight", d), Group("post_attention_layernorm.weight", d))


@register("Phi3DecoderLayer", framework="pytorch")
@layer_type
class Phi3DecoderLayer(LlamaDecoderLayer):
    """Phi-3: fused qkv_proj d·(H + 2·H_kv)·d_h and gate_up_proj 2·d·f: the Llama layer's count,
    d·H·d_h + 2·d·H_kv·d_h + H·d_h·d + 3·d·f + 2d."""

    explanation = _texts.TRANSFORMER_BLOCK  # not the Llama layout: norms, names or a parallel branch differ

    def weight_groups(self) -> tuple[Group, ...]:
        return _PHI3_GROUPS

    partial_rotary: bool = flag(False)
    """partial_rotary_factor < 1: RoPE rotates only the first part of each head."""

    def notes(self) -> tuple[str, ...]:
        rope = "rope_partial_no_parameters" if self.partial_rotary else "rope_no_parameters"
        return ("phi3_fused", *causal_head_notes(self), rope)


@cache
def _phi_groups(qk_layernorm: bool) -> tuple[Group, ...]:
    groups = (*_linear("self_attn.q_proj", d, H * d_h), *_linear("self_attn.k_proj", d, H_kv * d_h),
              *_linear("self_attn.v_proj", d, H_kv * d_h), *_linear("self_attn.dense", H * d_h, d))
    if qk_layernorm:
        groups += (Group("self_attn.q_layernorm.weight", d_h), Group("self_attn.q_layernorm.bias", d_h),
                   Group("self_attn.k_layernorm.weight", d_h), Group("self_attn.k_layernorm.bias", d_h))
    return groups + (*_linear("mlp.fc1", d, f), *_linear("mlp.fc2", f, d), *_layer_norm("input_layernorm"))


@register("PhiDecoderLayer", framework="pytorch")
@layer_type
class PhiDecoderLayer(LlamaDecoderLayer):
    """Phi (1, 1.5, 2): attention and MLP in parallel after one LayerNorm, biases everywhere:
    d·H·d_h + 2·d·H_kv·d_h + H·d_h·d + (H + 2·H_kv)·d_h + 2·d·f + f + 4d (qk_layernorm: + 4·d_h)."""

    explanation = _texts.TRANSFORMER_BLOCK  # not the Llama layout: norms, names or a parallel branch differ
    ffn_gated = False  # PhiMLP: fc1, activation, fc2; no gate

    qk_layernorm: bool = flag(False)

    def weight_groups(self) -> tuple[Group, ...]:
        return _phi_groups(self.qk_layernorm)

    def notes(self) -> tuple[str, ...]:
        return ("phi_parallel_partial_rotary", *causal_head_notes(self))


@cache
def _neox_groups(bias: bool) -> tuple[Group, ...]:
    return (*_layer_norm("input_layernorm"), *_layer_norm("post_attention_layernorm"),
            *_linear("attention.query_key_value", d, 3 * d, bias), *_linear("attention.dense", d, d, bias),
            *_linear("mlp.dense_h_to_4h", d, f), *_linear("mlp.dense_4h_to_h", f, d))


@register("GPTNeoXLayer", framework="pytorch")
@layer_type
class GPTNeoXLayer(_Block):
    """GPT-NeoX (Pythia): 4d² + 2df + 9d + f; fused query_key_value d·3d + 3d."""

    intermediate_size: Value = size()
    attention_bias: bool = flag(True)
    partial_rotary: bool = flag(True)
    """partial_rotary_factor (rotary_pct) < 1, 0.25 by default: RoPE rotates the first part of each head."""

    def weight_groups(self) -> tuple[Group, ...]:
        return _neox_groups(self.attention_bias)

    def values(self, shape: Shape) -> dict:
        return {d: self.hidden_size, f: self.intermediate_size}

    def notes(self) -> tuple[str, ...]:
        rope = "rope_partial_no_parameters" if self.partial_rotary else "rope_no_parameters"
        return ("neox_fused_qkv", "causal_heads_split", rope)


@cache
def _falcon_groups(bias: bool, norms: str) -> tuple[Group, ...]:
    groups = (*_linear("self_attention.query_key_value", d, (H + 2 * H_kv) * d_h, bias),
              *_linear("self_attention.dense", H * d_h, d, bias),
              *_linear("mlp.dense_h_to_4h", d, f, bias), *_linear("mlp.dense_4h_to_h", f, d, bias))
    if norms == "two":  # the new decoder architecture: one LayerNorm for each branch
        return groups + (*_layer_norm("ln_attn"), *_layer_norm("ln_mlp"))
    groups += _layer_norm("input_layernorm")
    if norms == "sequential":
        groups += _layer_norm("post_attention_layernorm")
    return groups


@register("FalconDecoderLayer", framework="pytorch")
@layer_type
class FalconDecoderLayer(LlamaDecoderLayer):
    """Falcon: query_key_value d·(H + 2·H_kv)·d_h (multi-query: H_kv = 1), dense H·d_h·d, MLP
    2·d·f, LayerNorms 2d (parallel) or 4d (ln_attn and ln_mlp, or sequential); ``bias``:
    + (H + 2·H_kv)·d_h + 2d + f."""

    explanation = _texts.TRANSFORMER_BLOCK  # not the Llama layout: norms, names or a parallel branch differ
    ffn_gated = False  # FalconMLP: dense_h_to_4h, activation, dense_4h_to_h; no gate

    bias: bool = flag(False)
    norms: str = choice("one", "two", "sequential", default="one")
    alibi: bool = flag(False)
    """ALiBi (Falcon-RW) adds a bias per head to the scores in place of rotary positions."""

    def weight_groups(self) -> tuple[Group, ...]:
        return _falcon_groups(self.bias, self.norms)

    def notes(self) -> tuple[str, ...]:
        keys: tuple[str, ...] = () if self.norms == "sequential" else ("falcon_parallel",)
        keys += ("falcon_mqa",) if self.num_key_value_heads == 1 else ()
        return keys + (() if self.alibi else (*causal_head_notes(self), "rope_no_parameters"))
