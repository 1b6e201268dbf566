"""Mixture-of-experts decoder layers of Hugging Face models (PyTorch), and DeepSeek's multi-head
latent attention. Symbols as in ``hf_blocks`` and:

    n_x   routed experts            k_x   experts a token is routed to (num_experts_per_tok)
    f_x   one expert's feed-forward size (moe_intermediate_size)
    f_s   the shared expert's feed-forward size (Qwen2-MoE)
    n_s   shared experts (DeepSeek; each of size f_x)
    r_q   rank of the compressed queries    r_kv  rank of the compressed keys and values
    d_n   per-head query/key size without rotary embedding   d_r  its rotary part   d_v  value head size

- Qwen2MoeDecoderLayer: Qwen2 attention (biases on q, k, v), router n_x·d, n_x experts of
  3·d·f_x, a shared expert 3·d·f_s and its gate d, two RMSNorms 2d.
  Active per token: all but (n_x − k_x)·3·d·f_x.
- Qwen3MoeDecoderLayer: Qwen3 attention (q_norm, k_norm d_h each), router n_x·d, n_x experts of
  3·d·f_x, two RMSNorms. Active: all but (n_x − k_x)·3·d·f_x.
- DeepseekV3DecoderLayer: multi-head latent attention
  d·r_q + r_q + r_q·H·(d_n + d_r) + d·(r_kv + d_r) + r_kv + r_kv·H·(d_n + d_v) + H·d_v·d
  (without r_q: d·H·(d_n + d_r)), two RMSNorms 2d, and either a dense MLP 3·d·f or a mixture:
  router n_x·d (and a buffer of n_x score corrections), n_x experts of 3·d·f_x, n_s shared
  experts 3·d·n_s·f_x. Active: all but (n_x − k_x)·3·d·f_x.
"""
from __future__ import annotations

from functools import cache

import sympy

from ..memory import BlockKind
from ..symbols import Value, sym
from . import _texts
from .base import Group, Shape, flag, size, layer_type
from .hf_blocks import _LLAMA_NORMS, _Block, _llama_attention, LlamaDecoderLayer, H, d, f
from .registry import register

n_x, k_x, f_x, f_s, n_s = sym("n_x"), sym("k_x"), sym("f_x"), sym("f_s"), sym("n_s")
r_q, r_kv, d_n, d_r, d_v = sym("r_q"), sym("r_kv"), sym("d_n"), sym("d_r"), sym("d_v")

_IDLE = (n_x - k_x) * 3 * d * f_x
"""The routed experts' weights that a token does not use."""


def _experts(prefix: str = "mlp") -> tuple[Group, ...]:
    return (Group(f"{prefix}.experts.gate_up_proj", n_x * 2 * f_x * d), Group(f"{prefix}.experts.down_proj", n_x * d * f_x))


def _gated(prefix: str, width: sympy.Expr) -> tuple[Group, ...]:
    return (Group(f"{prefix}.gate_proj.weight", d * width), Group(f"{prefix}.up_proj.weight", d * width),
            Group(f"{prefix}.down_proj.weight", width * d))


@layer_type
class _MoeLayer(LlamaDecoderLayer):
    """A decoder layer whose MLP is a mixture of n_x experts, k_x per token."""

    explanation = _texts.MOE_BLOCK

    num_experts: Value = size()
    num_experts_per_tok: Value = size()
    moe_intermediate_size: Value = size()

    def values(self, shape: Shape) -> dict:
        return {**super().values(shape), n_x: self.num_experts, k_x: self.num_experts_per_tok,
                f_x: self.moe_intermediate_size}

    def active_formula(self) -> sympy.Expr:
        return sympy.Add(*(g.formula for g in self.weight_groups() if not g.buffer)) - _IDLE

    def notes(self) -> tuple[str, ...]:
        return ("moe_routed_experts",)

    def block_kind(self) -> BlockKind | None:
        """A mixture of experts, not one feed-forward: None (as Mixtral's)."""
        return None


@cache
def _qwen2_moe_groups(qkv_bias: bool) -> tuple[Group, ...]:
    return (*_llama_attention(qkv_bias, False), Group("mlp.gate.weight", n_x * d), *_experts(),
            *_gated("mlp.shared_expert", f_s), Group("mlp.shared_expert_gate.weight", d), *_LLAMA_NORMS)


@register("Qwen2MoeDecoderLayer", framework="pytorch")
@layer_type
class Qwen2MoeDecoderLayer(_MoeLayer):
    """Qwen2-MoE: Qwen2 attention, router n_x·d, n_x experts of 3·d·f_x, a shared expert 3·d·f_s
    with its gate d, two RMSNorms 2d."""

    qkv_bias: bool = flag(True)
    shared_expert_intermediate_size: Value = size()

    def weight_groups(self) -> tuple[Group, ...]:
        return _qwen2_moe_groups(self.qkv_bias)

    def values(self, shape: Shape) -> dict:
        return {**super().values(shape), f_s: self.shared_expert_intermediate_size}

    def notes(self) -> tuple[str, ...]:
        return ("moe_routed_experts", "moe_shared_expert")


@cache
def _qwen3_moe_groups(bias: bool) -> tuple[Group, ...]:
    return (*_llama_attention(bias, bias, True), Group("mlp.gate.weight", n_x * d), *_experts(), *_LLAMA_NORMS)


@register("Qwen3MoeDecoderLayer", framework="pytorch")
@layer_type
class Qwen3MoeDecoderLayer(_MoeLayer):
    """Qwen3-MoE: Qwen3 attention (q_norm, k_norm), router n_x·d, n_x experts of 3·d·f_x, two
    RMSNorms 2d."""

    def weight_groups(self) -> tuple[Group, ...]:
        return _qwen3_moe_groups(self.qkv_bias)


# ----------------------------------------------------------------------------- DeepSeek-V3

@cache
def _mla_groups(q_lora: bool) -> tuple[Group, ...]:
    a = "self_attn."
    q: tuple[Group, ...]
    if q_lora:
        q = (Group(f"{a}q_a_proj.weight", d * r_q), Group(f"{a}q_a_layernorm.weight", r_q),
             Group(f"{a}q_b_proj.weight", r_q * H * (d_n + d_r)))
    else:
        q = (Group(f"{a}q_proj.weight", d * H * (d_n + d_r)),)
    return q + (Group(f"{a}kv_a_proj_with_mqa.weight", d * (r_kv + d_r)), Group(f"{a}kv_a_layernorm.weight", r_kv),
                Group(f"{a}kv_b_proj.weight", r_kv * H * (d_n + d_v)), Group(f"{a}o_proj.weight", H * d_v * d))


@cache
def _deepseek_groups(q_lora: bool, moe: bool) -> tuple[Group, ...]:
    if moe:
        mlp = (Group("mlp.experts.gate_up_proj", n_x * 2 * f_x * d), Group("mlp.experts.down_proj", n_x * d * f_x),
               Group("mlp.gate.weight", n_x * d), Group("mlp.gate.e_score_correction_bias", n_x, False, True),
               *_gated("mlp.shared_experts", n_s * f_x))
    else:
        mlp = _gated("mlp", f)
    return (*_mla_groups(q_lora), *mlp, *_LLAMA_NORMS)


@register("DeepseekV3DecoderLayer", framework="pytorch")
@layer_type
class DeepseekV3DecoderLayer(_Block):
    """DeepSeek-V3: multi-head latent attention, two RMSNorms 2d, and a dense MLP 3·d·f or a
    mixture (router n_x·d, n_x experts of 3·d·f_x, n_s shared experts 3·d·n_s·f_x)."""

    num_attention_heads: Value = size()
    q_lora_rank: Value = size(None)
    kv_lora_rank: Value = size()
    qk_nope_head_dim: Value = size()
    qk_rope_head_dim: Value = size()
    v_head_dim: Value = size()
    intermediate_size: Value = size(None)
    moe: bool = flag(False)
    n_routed_experts: Value = size(None)
    num_experts_per_tok: Value = size(None)
    n_shared_experts: Value = size(None)
    moe_intermediate_size: Value = size(None)

    def weight_groups(self) -> tuple[Group, ...]:
        return _deepseek_groups(self.q_lora_rank is not None, self.moe)

    def values(self, shape: Shape) -> dict:
        out = {d: self.hidden_size, H: self.num_attention_heads, r_kv: self.kv_lora_rank,
               d_n: self.qk_nope_head_dim, d_r: self.qk_rope_head_dim, d_v: self.v_head_dim}
        if self.q_lora_rank is not None:
            out[r_q] = self.q_lora_rank
        if self.moe:
            out.update({n_x: self.n_routed_experts, k_x: self.num_experts_per_tok, n_s: self.n_shared_experts,
                        f_x: self.moe_intermediate_size})
        else:
            out[f] = self.intermediate_size
        return out

    def active_formula(self) -> sympy.Expr | None:
        if not self.moe:
            return None
        return sympy.Add(*(g.formula for g in self.weight_groups() if not g.buffer)) - _IDLE

    def notes(self) -> tuple[str, ...]:
        return ("mla", "moe_routed_experts", "moe_shared_expert") if self.moe else ("mla",)

    def pair_macs(self) -> sympy.Expr:
        """Multi-head latent attention: scores over H·(d_n + d_r), the weighted sum over H·d_v."""
        return H * (d_n + d_r + d_v)
