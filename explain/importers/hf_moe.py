"""Hugging Face mixture-of-experts families: Qwen2-MoE, Qwen3-MoE and DeepSeek-V3. Identical
layers are one node ``× L``; layers of another kind (DeepSeek's first k_d dense layers, Qwen's
``mlp_only_layers``) are nodes of their own. Every MoE layer says which of its weights a token
uses, so the model has active parameters per token beside its total.
"""
from __future__ import annotations

from typing import Any, Callable

from ..errors import ExplainError
from ..layers.base import Layer
from ..layers.hf_blocks import Qwen2DecoderLayer, Qwen3DecoderLayer
from ..layers.hf_moe import DeepseekV3DecoderLayer, Qwen2MoeDecoderLayer, Qwen3MoeDecoderLayer
from ..symbols import Value
from .hf_config import (_PREFIXES, _Builder, _check_experts_per_tok, _Config, _family, _tied,
                        attention_sizes)
from .hf_decoders import _decoder_stack, _heads


def _sparse_layers(cfg: _Config, n_layers: int) -> list[bool]:
    """Which layers have a mixture of experts (transformers' rule for Qwen MoE)."""
    only = cfg.get("mlp_only_layers", default=[])
    if not isinstance(only, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in only):
        raise ExplainError(f"'mlp_only_layers' must be a list of layer numbers. Received: mlp_only_layers={only!r}")
    step = cfg.size("decoder_sparse_step", default=1)
    experts = cfg.get("num_experts", "num_local_experts", default=1)
    return [i not in only and experts > 0 and (i + 1) % step == 0 for i in range(n_layers)]


def _runs(kinds: list[Any]) -> list[tuple[Any, int, int]]:
    """(kind, first layer, count) of each run of equal kinds."""
    out: list[tuple[Any, int, int]] = []
    for i, k in enumerate(kinds):
        if out and out[-1][0] == k:
            out[-1] = (k, out[-1][1], out[-1][2] + 1)
        else:
            out.append((k, i, 1))
    return out


_QWEN_MOE = {"qwen2_moe": ("Qwen2Moe", 16, "Qwen2MoeModel"), "qwen3_moe": ("Qwen3Moe", 4, "Qwen3MoeModel")}
_PREFIXES.update({"Qwen2Moe": "qwen2_moe", "Qwen3Moe": "qwen3_moe", "DeepseekV3": "deepseek_v3"})


@_family("qwen2_moe", "qwen3_moe", base={t: v[2] for t, v in _QWEN_MOE.items()})
def _qwen_moe(cfg: _Config, arch: str, b: _Builder) -> None:
    model_type = cfg.raw.get("model_type") or next(t for t, v in _QWEN_MOE.items() if arch.startswith(v[0]))
    prefix, kv_default, _ = _QWEN_MOE[model_type]
    head = _heads(arch, prefix)
    qwen2 = model_type == "qwen2_moe"
    V = b.declare("V", cfg.size("vocab_size"))
    d = b.declare("d", cfg.size("hidden_size"))
    n_layers = cfg.size("num_hidden_layers")
    L = b.declare("L", n_layers)
    sparse = _sparse_layers(cfg, n_layers)
    f = b.declare("f", cfg.size("intermediate_size")) if not all(sparse) else None
    H, H_kv, d_h = attention_sizes(cfg, b, d, kv_default, None)
    n_x = b.declare("n_x", cfg.size("num_experts", "num_local_experts"))
    k_x = b.declare("k_x", cfg.size("num_experts_per_tok"))
    f_x = b.declare("f_x", cfg.size("moe_intermediate_size"))
    _check_experts_per_tok(b.values[k_x], b.values[n_x])
    moe: dict[str, Any] = dict(hidden_size=d, num_attention_heads=H, num_key_value_heads=H_kv, head_dim=d_h,
                               intermediate_size=f if f is not None else f_x, num_experts=n_x,
                               num_experts_per_tok=k_x, moe_intermediate_size=f_x)
    dense_args: dict[str, Any] = dict(hidden_size=d, num_attention_heads=H, num_key_value_heads=H_kv, head_dim=d_h,
                                      intermediate_size=f)
    sparse_layer: Layer
    dense_layer: Callable[[], Layer]
    if qwen2:
        bias = cfg.flag("qkv_bias", True)
        moe.update(qkv_bias=bias, shared_expert_intermediate_size=b.declare(
            "f_s", cfg.size("shared_expert_intermediate_size")))
        sparse_layer = Qwen2MoeDecoderLayer(**moe)

        def dense_layer() -> Layer:
            return Qwen2DecoderLayer(**dense_args, qkv_bias=bias)
    else:
        bias = cfg.flag("attention_bias", False)
        sparse_layer = Qwen3MoeDecoderLayer(**moe, qkv_bias=bias, o_bias=bias)
        def dense_layer() -> Layer:
            return Qwen3DecoderLayer(**dense_args, qkv_bias=bias, o_bias=bias)
    def add_layers(g: Any, p: str) -> None:
        _layers(g, f"{p}layers", [(sparse_layer if s else dense_layer()) for s in sparse], sparse, L)
        if not all(sparse):
            b.notes.append(("moe_dense_layers", ()))
    _decoder_stack(cfg, b, head, V, d, _tied(cfg, False), add_layers)


def _layers(g: Any, name: str, layers: list, kinds: list, L: Value, first_dense: Value | None = None) -> None:
    """The decoder layers: one node × L when all are alike, else a node for each run of alike
    layers (``name[i:j]``); a run's count is written in L (and k_d) where it can be."""
    runs = _runs(kinds)
    if len(runs) == 1:
        g.add(name, layers[0], repeat=L)
        return
    n = len(kinds)
    for _kind, start, count in runs:
        repeat: Value = count
        end = start + count
        if first_dense is not None and len(runs) == 2:
            repeat = first_dense if start == 0 else L - first_dense
        elif start + count == n and start > 0 and len(runs) == 2:
            repeat = L - start
        label = f"{name}[{start}]" if count == 1 else f"{name}[{start}:{end}]"
        g.add(label, layers[start], repeat=repeat)


# ----------------------------------------------------------------------------- DeepSeek-V3

@_family("deepseek_v3", base="DeepseekV3Model")
def _deepseek_v3(cfg: _Config, arch: str, b: _Builder) -> None:
    head = _heads(arch, "DeepseekV3")
    if cfg.flag("attention_bias", False):
        from .hf_config import NoClosedForm
        raise NoClosedForm("DeepSeek-V3 with attention_bias")
    V = b.declare("V", cfg.size("vocab_size"))
    d = b.declare("d", cfg.size("hidden_size"))
    n_layers = cfg.size("num_hidden_layers")
    L = b.declare("L", n_layers)
    n_dense = min(cfg.get("first_k_dense_replace", default=0), n_layers)
    if isinstance(n_dense, bool) or not isinstance(n_dense, int) or n_dense < 0:
        raise ExplainError(f"'first_k_dense_replace' must be a whole number. Received: {n_dense!r}")
    k_d = b.declare("k_d", n_dense) if 0 < n_dense < n_layers else None
    H = b.declare("H", cfg.size("num_attention_heads"))
    q_rank = cfg.size("q_lora_rank", default=None)
    attn = dict(hidden_size=d, num_attention_heads=H,
                q_lora_rank=b.declare("r_q", q_rank) if q_rank is not None else None,
                kv_lora_rank=b.declare("r_kv", cfg.size("kv_lora_rank")),
                qk_nope_head_dim=b.declare("d_n", cfg.size("qk_nope_head_dim")),
                qk_rope_head_dim=b.declare("d_r", cfg.size("qk_rope_head_dim")),
                v_head_dim=b.declare("d_v", cfg.size("v_head_dim")))
    kinds = [i >= n_dense for i in range(n_layers)]
    layers: list[Any] = []
    if not all(kinds):
        dense = DeepseekV3DecoderLayer(**attn, intermediate_size=b.declare("f", cfg.size("intermediate_size")))
    if any(kinds):
        n_x = b.declare("n_x", cfg.size("n_routed_experts", "num_local_experts"))
        k_x = b.declare("k_x", cfg.size("num_experts_per_tok"))
        _check_experts_per_tok(b.values[k_x], b.values[n_x])
        sparse = DeepseekV3DecoderLayer(**attn, moe=True, n_routed_experts=n_x, num_experts_per_tok=k_x,
                                        n_shared_experts=b.declare("n_s", cfg.size("n_shared_experts")),
                                        moe_intermediate_size=b.declare("f_x", cfg.size("moe_intermediate_size")))
    layers = [sparse if k else dense for k in kinds]
    def add_layers(g: Any, p: str) -> None:
        _layers(g, f"{p}layers", layers, kinds, L, k_d)
        if k_d is not None:
            b.notes.append(("first_dense", ()))
    _decoder_stack(cfg, b, head, V, d, _tied(cfg, False), add_layers)
