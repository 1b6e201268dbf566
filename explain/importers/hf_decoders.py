"""Hugging Face decoder-only families beyond the Llama family: Gemma 2 and 3, Phi and Phi-3,
OLMo 2, GPT-NeoX (Pythia) and Falcon. Each family's L identical layers are one node ``× L``;
the heads are those of ``_decoder_head`` (LM head, sequence and token classification).

Symbols as in ``hf_config``; GPT-NeoX and Falcon write f = 4d where the config's size is that.
"""
from __future__ import annotations

from ..layers.hf_decoders import (FalconDecoderLayer, Gemma2DecoderLayer, Gemma3DecoderLayer, GPTNeoXLayer,
                                  Olmo2DecoderLayer, Phi3DecoderLayer, PhiDecoderLayer)
from typing import Any, Callable

from ..symbols import Value
from .hf_config import (_PREFIXES, SEQ, _Builder, _check_heads, _Config, _decoder_head, _family, _pick_head, _tied,
                        _unsupported, attention_sizes, sliding_note, sliding_window)


def _heads(arch: str, prefix: str, causal: str = "ForCausalLM", base: str = "Model") -> str | None:
    heads = {f"{prefix}{base}": None, f"{prefix}{causal}": "lm",
             f"{prefix}ForSequenceClassification": "seq", f"{prefix}ForTokenClassification": "token"}
    return _pick_head(arch, heads)


def _labels(cfg: _Config, b: _Builder, head: str | None) -> Value | None:
    return b.declare("n_labels", cfg.labels()) if head in ("seq", "token") else None


def _head_note(b: _Builder, head: str | None, tied: bool) -> None:
    """Says whether the LM head shares the token embedding's weights."""
    if head == "lm":
        b.notes.append(("tied_head" if tied else "untied_head", ()))


def _decoder_stack(cfg: _Config, b: _Builder, head: str | None, V: Value, d: Value, tied: bool,
                   add_layers: Callable[[Any, str], None], *, base: str = "model.", embed: str = "embed_tokens",
                   norm: tuple[str, str] = ("norm", "RMSNorm"), token_name: str = "score", lm_bias: bool = False,
                   norm_as: str | None = None, embed_as: str | None = None) -> None:
    """A decoder-only model: the token embedding V·d, the layers (``add_layers(graph, prefix)``),
    the final norm and the architecture's head (``_decoder_head``), saying whether an LM head is
    tied; under a head the model's layers are named ``base`` + name; ``norm_as``: the final RMSNorm
    under the transformers class print(model) shows (Gemma2RMSNorm, which scales by 1 + weight);
    ``embed_as``: the token embedding under its transformers class where it scales its vectors
    (Gemma2TextScaledWordEmbedding: times √d)."""
    n_labels = _labels(cfg, b, head)
    g = b.start()
    p = "" if head is None else base
    g.add_input("input_ids", (SEQ,))
    embedding = b.torch("Embedding", num_embeddings=V, embedding_dim=d)
    if embed_as is not None:
        from ..layers.hf_blocks import scaled_embedding_as
        embedding = scaled_embedding_as(embed_as, embedding)
    g.add(f"{p}{embed}", embedding)
    add_layers(g, p)
    final = b.torch(norm[1], normalized_shape=d)
    if norm_as is not None:
        from ..layers.hf_blocks import rms_norm_as
        final = rms_norm_as(norm_as, final)
    g.add(f"{p}{norm[0]}", final)
    _decoder_head(g, b, head, d, V, n_labels, embedding=f"{p}{embed}", tied=tied, token_name=token_name,
                  lm_bias=lm_bias)
    _head_note(b, head, tied)


def _ffn(cfg: _Config, b: _Builder, d: Value, *keys: str, stated: str | None = None) -> Value:
    """f, written 4d where the config's size is four times the width; ``stated``: the meaning
    key of f when the config states that size (4d "here", not a rule of the family)."""
    n = cfg.size(*keys, default=None)
    if n is None or (n == 4 * b.values[d] and "f" not in b.overrides):
        if n is not None and stated is not None:
            b.meanings["f"] = stated
        return 4 * d
    return b.declare("f", n)


def _rotary_fraction(cfg: _Config, default: float, *legacy: str) -> float:
    """The fraction of each head RoPE rotates: rope_parameters' partial_rotary_factor, else the
    top-level key (or its legacy name, GPT-NeoX's rotary_pct)."""
    rope = cfg.raw.get("rope_parameters")
    for value in ((rope or {}).get("partial_rotary_factor") if isinstance(rope, dict) else None,
                  *(cfg.raw.get(k) for k in ("partial_rotary_factor", *legacy))):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return default


# ----------------------------------------------------------------------------- Gemma 2 and 3, OLMo 2, Phi-3

_LLAMA_LIKE = {
    # model_type: (class prefix, layer, tie default, kv heads default, head_dim default, base class)
    "gemma2": ("Gemma2", Gemma2DecoderLayer, True, 4, 256, "Gemma2Model"),
    "gemma3_text": ("Gemma3", Gemma3DecoderLayer, True, 4, 256, "Gemma3TextModel"),
    "olmo2": ("Olmo2", Olmo2DecoderLayer, False, None, None, "Olmo2Model"),
    "phi3": ("Phi3", Phi3DecoderLayer, False, None, None, "Phi3Model"),
}


@_family("gemma2", "gemma3_text", "olmo2", "phi3", base={t: v[5] for t, v in _LLAMA_LIKE.items()})
def _llama_like(cfg: _Config, arch: str, b: _Builder) -> None:
    model_type = cfg.raw.get("model_type") or next(t for t, v in _LLAMA_LIKE.items() if arch.startswith(v[0]))
    prefix, block, tie_default, kv_default, head_dim_default, base = _LLAMA_LIKE[model_type]
    head = _heads(arch, prefix, base=base[len(prefix):])
    V = b.declare("V", cfg.size("vocab_size"))
    d = b.declare("d", cfg.size("hidden_size"))
    L = b.declare("L", cfg.size("num_hidden_layers"))
    f = b.declare("f", cfg.size("intermediate_size"))
    H, H_kv, d_h = attention_sizes(cfg, b, d, kv_default, head_dim_default)
    bias = cfg.flag("attention_bias", False)
    if model_type == "phi3" and bias:
        raise _unsupported(f"{arch} with attention_bias", [])
    extra: dict[str, Any] = {}
    if model_type in ("gemma2", "gemma3_text"):  # attn_logit_softcapping: 50.0 in Gemma 2, None in Gemma 3
        extra["softcap"] = cfg.raw.get("attn_logit_softcapping", 50.0 if model_type == "gemma2" else None) is not None
        # use_bidirectional_attention: Gemma 3's model drops the causal mask; Gemma 2's still builds
        # it and clears only the attention's is_causal
        bidirectional = cfg.raw.get("use_bidirectional_attention") is True
        if model_type == "gemma3_text":
            extra["causal"] = not bidirectional
        else:
            extra["mask_kept"] = bidirectional
        extra["query_pre_attn_scalar"] = cfg.size("query_pre_attn_scalar", default=256)
        # their layers have no dropout module: only the attention's, at attention_dropout (0.0)
        extra["dropout"] = cfg.rate("attention_dropout", default=0.0)
    if model_type == "phi3":
        extra["partial_rotary"] = _rotary_fraction(cfg, 1.0) < 1
    if extra.get("causal", True):  # Gemma 3 without the causal mask: its window reaches both ways
        sliding_note(cfg, model_type, b, f"{'' if head is None else 'model.'}layers")
    _decoder_stack(cfg, b, head, V, d, _tied(cfg, tie_default), lambda g, p: g.add(
        f"{p}layers", block(hidden_size=d, num_attention_heads=H, num_key_value_heads=H_kv, head_dim=d_h,
                            intermediate_size=f, qkv_bias=bias, o_bias=bias,
                            **sliding_window(cfg, model_type, L), **extra), repeat=L),
        norm_as={"gemma2": "Gemma2RMSNorm", "gemma3_text": "Gemma3RMSNorm"}.get(model_type),
        embed_as={"gemma2": "Gemma2TextScaledWordEmbedding",
                  "gemma3_text": "Gemma3TextScaledWordEmbedding"}.get(model_type))


# ----------------------------------------------------------------------------- Phi

_PREFIXES.update({"Gemma2": "gemma2", "Gemma3": "gemma3_text", "Olmo2": "olmo2", "Phi3": "phi3"})


@_family("phi", base="PhiModel", prefix="Phi")
def _phi(cfg: _Config, arch: str, b: _Builder) -> None:
    head = _heads(arch, "Phi")
    V = b.declare("V", cfg.size("vocab_size"))
    d = b.declare("d", cfg.size("hidden_size"))
    L = b.declare("L", cfg.size("num_hidden_layers"))
    f = b.declare("f", cfg.size("intermediate_size"))
    H, H_kv, d_h = attention_sizes(cfg, b, d, None, None)
    qk_norm = cfg.flag("qk_layernorm", False)
    _decoder_stack(cfg, b, head, V, d, _tied(cfg, False), lambda g, p: g.add(
        f"{p}layers", PhiDecoderLayer(hidden_size=d, num_attention_heads=H, num_key_value_heads=H_kv, head_dim=d_h,
                                      intermediate_size=f, qk_layernorm=qk_norm), repeat=L),
        norm=("final_layernorm", "LayerNorm"), lm_bias=True)  # Phi's LM head has a bias


# ----------------------------------------------------------------------------- GPT-NeoX

@_family("gpt_neox", base="GPTNeoXModel", prefix="GPTNeoX")
def _gpt_neox(cfg: _Config, arch: str, b: _Builder) -> None:
    head = _heads(arch, "GPTNeoX")
    V = b.declare("V", cfg.size("vocab_size"))
    d = b.declare("d", cfg.size("hidden_size"))
    L = b.declare("L", cfg.size("num_hidden_layers"))
    f = _ffn(cfg, b, d, "intermediate_size", stated="feed_forward_intermediate_size_4d")
    _check_heads(b.values[d], cfg.size("num_attention_heads"))
    bias = cfg.flag("attention_bias", True)
    _decoder_stack(cfg, b, head, V, d, _tied(cfg, False), lambda g, p: g.add(
        f"{p}layers", GPTNeoXLayer(hidden_size=d, intermediate_size=f, attention_bias=bias,
                                   partial_rotary=_rotary_fraction(cfg, 0.25, "rotary_pct") < 1), repeat=L),
        base="gpt_neox.", embed="embed_in", norm=("final_layer_norm", "LayerNorm"), token_name="classifier")


# ----------------------------------------------------------------------------- Falcon

@_family("falcon", base="FalconModel", prefix="Falcon")
def _falcon(cfg: _Config, arch: str, b: _Builder) -> None:
    head = _heads(arch, "Falcon")
    V = b.declare("V", cfg.size("vocab_size"))
    d = b.declare("d", cfg.size("hidden_size"))
    L = b.declare("L", cfg.size("num_hidden_layers"))
    f = _ffn(cfg, b, d, "ffn_hidden_size")
    n_heads = cfg.size("num_attention_heads")
    H = b.declare("H", n_heads)
    _check_heads(b.values[d], n_heads)
    d_h = b.whole(d / H, "the head size d/H")
    new = cfg.flag("new_decoder_architecture", False)
    if new:
        n_kv = cfg.size("num_kv_heads", default=n_heads)
        H_kv: Value = H if n_kv == n_heads else b.declare("H_kv", n_kv)
        norms = "one" if cfg.raw.get("num_ln_in_parallel_attn") == 1 else "two"
    else:
        H_kv = 1 if cfg.flag("multi_query", True) else H
        norms = "one" if cfg.flag("parallel_attn", True) else "sequential"
    bias = cfg.flag("bias", False)
    _decoder_stack(cfg, b, head, V, d, _tied(cfg, True), lambda g, p: g.add(
        f"{p}h", FalconDecoderLayer(hidden_size=d, num_attention_heads=H, num_key_value_heads=H_kv, head_dim=d_h,
                                    intermediate_size=f, bias=bias, norms=norms,
                                    alibi=cfg.flag("alibi", False)), repeat=L),
        base="transformer.", embed="word_embeddings", norm=("ln_f", "LayerNorm"), token_name="classifier")
