"""Layers of Llama 3.2 Vision (transformers' ``mllama``), one weight group per tensor as
transformers names it. Symbols: d width, f feed-forward size, C image channels, P patch size,
n_p patches per tile, n_tile tiles per image, n_ar supported aspect ratios; H, H_kv, d_h as in
the Llama layer.

- MllamaVisionEmbeddings: the vision model's own tensors before its encoder: the patch
  convolution without bias d·C·P², the class embedding d, the gated position embedding
  (gate 1, (n_p + 1)·d, and a tile position embedding (n_ar + 1)·n_tile·(n_p + 1)·d), the gated
  pre-tile embedding (1 + (n_ar + 1)·n_tile·d) and layernorm_pre 2d.
- MllamaTileEmbedding: a gate 1 and an embedding of (n_ar + 1) rows of n_tile·d.
- MllamaVisionEncoderLayer: q, k, v, o without bias 4d², fc1 d·f + f, fc2 f·d + d, two
  LayerNorms 4d: 4d² + 2df + 5d + f; a gated (global) layer adds gate_attn and gate_ffn, 2.
- MllamaSelfAttentionDecoderLayer: the Llama decoder layer.
- MllamaCrossAttentionDecoderLayer: cross-attention q d·H·d_h, k and v d·H_kv·d_h each,
  o H·d_h·d, q_norm and k_norm d_h each, two gates, the gated MLP 3df and two RMSNorms 2d.
"""
from __future__ import annotations

from functools import cache

import sympy

from ..symbols import Value, sym
from . import _texts
from .base import Group, Shape, flag, size, layer_type
from .hf_blocks import H, H_kv, _Block, _layer_norm, _linear, d, d_h, f, LlamaDecoderLayer
from .hf_encoders import C, P, n_p
from .registry import register

n_tile, n_ar = sym("n_tile"), sym("n_ar")


def _tiles(prefix: str, width: sympy.Expr) -> tuple[Group, ...]:
    return (Group(f"{prefix}.gate", sympy.Integer(1)), Group(f"{prefix}.embedding.weight", (n_ar + 1) * n_tile * width))


_EMBEDDINGS = (Group("class_embedding", d), Group("patch_embedding.weight", d * C * P**2),
               Group("gated_positional_embedding.gate", sympy.Integer(1)),
               Group("gated_positional_embedding.embedding", (n_p + 1) * d),
               Group("gated_positional_embedding.tile_embedding.weight", (n_ar + 1) * n_tile * (n_p + 1) * d),
               *_tiles("pre_tile_positional_embedding", d), *_layer_norm("layernorm_pre"))


@register("MllamaVisionEmbeddings", framework="pytorch")
@layer_type
class MllamaVisionEmbeddings(_Block):
    """Llama 3.2 Vision's tensors before its encoder: d·C·P² + d + 1 + (n_p + 1)·d
    + (n_ar + 1)·n_tile·(n_p + 1)·d + 1 + (n_ar + 1)·n_tile·d + 2d; (C, height, width) tiles to
    (n_p + 1, d)."""

    role = "embedding"
    explanation = _texts.MLLAMA_VISION_EMBEDDINGS
    compute_not_derived = "no rule yet for Llama 3.2 Vision's tile and position embeddings"

    num_channels: Value = size()
    patch_size: Value = size()
    num_patches: Value = size()
    max_num_tiles: Value = size()
    aspect_ratios: Value = size()
    min_input_rank = 3

    def weight_groups(self) -> tuple[Group, ...]:
        return _EMBEDDINGS

    def output_shape(self, shape: Shape) -> Shape:
        return (self.num_patches + 1, self.hidden_size)

    def values(self, shape: Shape) -> dict:
        return {d: self.hidden_size, C: self.num_channels, P: self.patch_size, n_p: self.num_patches,
                n_tile: self.max_num_tiles, n_ar: self.aspect_ratios}


_TILE = (Group("gate", sympy.Integer(1)), Group("embedding.weight", (n_ar + 1) * n_tile * d))


@register("MllamaTileEmbedding", framework="pytorch")
@layer_type
class MllamaTileEmbedding(_Block):
    """A gated embedding of the tile's place in the image's aspect ratio, added to every patch:
    1 + (n_ar + 1)·n_tile·d."""

    role = "embedding"
    explanation = _texts.MLLAMA_TILE_EMBEDDING
    compute_not_derived = "no rule yet for Llama 3.2 Vision's tile embeddings"

    max_num_tiles: Value = size()
    aspect_ratios: Value = size()

    def weight_groups(self) -> tuple[Group, ...]:
        return _TILE

    def values(self, shape: Shape) -> dict:
        return {d: self.hidden_size, n_tile: self.max_num_tiles, n_ar: self.aspect_ratios}


@cache
def _vision_groups(gated: bool) -> tuple[Group, ...]:
    groups = (*_linear("self_attn.q_proj", d, d, False), *_linear("self_attn.k_proj", d, d, False),
              *_linear("self_attn.v_proj", d, d, False), *_linear("self_attn.o_proj", d, d, False),
              *_linear("mlp.fc1", d, f), *_linear("mlp.fc2", f, d), *_layer_norm("input_layernorm"),
              *_layer_norm("post_attention_layernorm"))
    if gated:
        groups = (Group("gate_attn", sympy.Integer(1)), Group("gate_ffn", sympy.Integer(1)), *groups)
    return groups


@register("MllamaVisionEncoderLayer", framework="pytorch")
@layer_type
class MllamaVisionEncoderLayer(_Block):
    """Llama 3.2 Vision's encoder layer: 4d² + 2df + 5d + f (attention without biases); a gated
    layer of the global encoder adds gate_attn and gate_ffn: + 2."""

    intermediate_size: Value = size()
    is_gated: bool = flag(False)

    def weight_groups(self) -> tuple[Group, ...]:
        return _vision_groups(self.is_gated)

    def values(self, shape: Shape) -> dict:
        return {d: self.hidden_size, f: self.intermediate_size}

    def notes(self) -> tuple[str, ...]:
        return ("mllama_gates",) if self.is_gated else ()


@register("MllamaSelfAttentionDecoderLayer", framework="pytorch")
@layer_type
class MllamaSelfAttentionDecoderLayer(LlamaDecoderLayer):
    """Llama 3.2 Vision's self-attention decoder layer: the Llama decoder layer."""


@cache
def _cross_groups() -> tuple[Group, ...]:
    return (Group("cross_attn_attn_gate", sympy.Integer(1)), Group("cross_attn_mlp_gate", sympy.Integer(1)),
            *_linear("cross_attn.q_proj", d, H * d_h, False), *_linear("cross_attn.k_proj", d, H_kv * d_h, False),
            *_linear("cross_attn.v_proj", d, H_kv * d_h, False), *_linear("cross_attn.o_proj", H * d_h, d, False),
            Group("cross_attn.q_norm.weight", d_h), Group("cross_attn.k_norm.weight", d_h),
            *_linear("mlp.gate_proj", d, f, False), *_linear("mlp.up_proj", d, f, False),
            *_linear("mlp.down_proj", f, d, False), Group("input_layernorm.weight", d),
            Group("post_attention_layernorm.weight", d))


@register("MllamaCrossAttentionDecoderLayer", framework="pytorch")
@layer_type
class MllamaCrossAttentionDecoderLayer(LlamaDecoderLayer):
    """Llama 3.2 Vision's cross-attention decoder layer: the text attends to the image's vectors,
    d·H·d_h + 2·d·H_kv·d_h + H·d_h·d + 2·d_h + 3·d·f + 2d + 2 (the queries' and keys' RMSNorms
    d_h each, and two gates)."""

    explanation = _texts.MLLAMA_CROSS_ATTENTION_LAYER

    def weight_groups(self) -> tuple[Group, ...]:
        return _cross_groups()

    def cross_attention(self) -> bool:
        return True

    def notes(self) -> tuple[str, ...]:
        return (*self.attention_notes(), "gated_ffn", "mllama_gates")
