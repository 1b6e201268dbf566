"""Layers of Hugging Face's SigLIP encoders and multimodal projectors (PyTorch), one weight group
per tensor as transformers names it. Symbols: d width, f feed-forward size, C image channels,
P patch size, n_p number of patches, d_vis the vision tower's width (projectors).

- SiglipEncoderLayer: CLIP's encoder layer, 4d² + 2df + 9d + f.
- SiglipVisionEmbeddings: patches by a convolution with kernel and stride P and a bias
  (d·C·P² + d), and a position embedding for every patch (n_p·d); no class token.
- SiglipMultiheadAttentionPoolingHead: a learned query (probe, d), multi-head attention
  (in_proj 3d² + 3d, out_proj d² + d), LayerNorm 2d and an MLP (2df + f + d): 4d² + 2df + 8d + f.
- Gemma3MultiModalProjector: an RMSNorm of the vision features (d_vis) and a projection matrix
  without bias (d_vis·d); the average pooling before them has no weights.
- Qwen2VLPatchEmbed: a 3D convolution without bias over P_t frames of P × P pixels, d·C·P_t·P².
- Qwen2VLVisionBlock: LayerNorms norm1, norm2 (4d), qkv d·3d + 3d, proj d² + d, fc1 d·f + f,
  fc2 f·d + d: 4d² + 2df + 9d + f (f = mlp_ratio·d); rotary positions without weights.
- Qwen2VLPatchMerger: LayerNorm 2d_vis, then an MLP over m_s² merged patch vectors,
  (m_s²·d_vis)² + m_s²·d_vis and m_s²·d_vis·d + d.
"""
from __future__ import annotations


from ..compute import NO_RULE, Cost, NotDerived
from ..symbols import Value, sym
from . import _texts
from .base import Group, Layer, Shape, size, layer_type
from .hf_blocks import _Block, _check_width, _layer_norm, _linear, d, f
from .hf_encoders import C, P, CLIPEncoderLayer, ViTEmbeddings, n_p
from .registry import register

d_vis = sym("d_vis")
P_t, m_s = sym("P_t"), sym("m_s")


@register("SiglipEncoderLayer", framework="pytorch")
@layer_type
class SiglipEncoderLayer(CLIPEncoderLayer):
    """SigLIP encoder layer (text and vision): CLIP's, 4d² + 2df + 9d + f."""


_SIGLIP_EMBEDDINGS = (Group("patch_embedding.weight", d * C * P**2), Group("patch_embedding.bias", d),
                      Group("position_embedding.weight", n_p * d))


@register("SiglipVisionEmbeddings", framework="pytorch")
@layer_type
class SiglipVisionEmbeddings(ViTEmbeddings):
    """SigLIP's image embeddings: patches by a convolution with kernel and stride P (d·C·P² + d)
    and a position embedding per patch (n_p·d); (C, height, width) images to (n_p, d)."""

    explanation = _texts.SIGLIP_PATCH_EMBEDDINGS

    def weight_groups(self) -> tuple[Group, ...]:
        return _SIGLIP_EMBEDDINGS

    def output_shape(self, shape: Shape) -> Shape:
        return (self.num_patches, self.hidden_size)

    def notes(self) -> tuple[str, ...]:
        return ()


# nn.MultiheadAttention's packed query/key/value projection: in_proj_weight 3d·d, in_proj_bias 3d
_POOLING_HEAD = (Group("probe", d), Group("attention.in_proj_weight", 3 * d * d), Group("attention.in_proj_bias", 3 * d),
                 *_linear("attention.out_proj", d, d), *_layer_norm("layernorm"), *_linear("mlp.fc1", d, f),
                 *_linear("mlp.fc2", f, d))


@register("SiglipMultiheadAttentionPoolingHead", framework="pytorch")
@layer_type
class SiglipMultiheadAttentionPoolingHead(_Block):
    """SigLIP's pooling head: a learned query attends to all patches, then LayerNorm and MLP:
    4d² + 2df + 8d + f; (…, n, d) to (…, d)."""

    explanation = _texts.SIGLIP_POOLING_HEAD
    compute_not_derived = "no rule yet for attention pooling (one learned query over all patches)"

    intermediate_size: Value = size()
    min_input_rank = 2

    def cost(self, shapes, out, values) -> Cost:
        """Not the block rule (every token a query): one learned query attends to all patches."""
        raise NotDerived(NO_RULE)

    def weight_groups(self) -> tuple[Group, ...]:
        return _POOLING_HEAD

    def output_shape(self, shape: Shape) -> Shape:
        _check_width(self, shape, self.hidden_size)
        return (*shape[:-2], shape[-1])

    def values(self, shape: Shape) -> dict:
        return {d: self.hidden_size, f: self.intermediate_size}


_GEMMA3_PROJECTOR = (Group("mm_input_projection_weight", d_vis * d), Group("mm_soft_emb_norm.weight", d_vis))


@register("Gemma3MultiModalProjector", framework="pytorch")
@layer_type
class Gemma3MultiModalProjector(Layer):
    """Gemma 3's projector: average pooling of the patches to ``num_tokens`` image tokens (no
    weights), RMSNorm d_vis and a projection d_vis·d without bias: d_vis·d + d_vis;
    (…, n_p, d_vis) to (…, num_tokens, d)."""

    role = "projection"
    explanation = _texts.GEMMA3_PROJECTOR
    compute_not_derived = "no rule yet for Gemma 3's projector (average pooling, RMSNorm, projection)"

    vision_hidden_size: Value = size()
    hidden_size: Value = size()
    num_tokens: Value = size()
    min_input_rank = 2

    def weight_groups(self) -> tuple[Group, ...]:
        return _GEMMA3_PROJECTOR

    def output_shape(self, shape: Shape) -> Shape:
        _check_width(self, shape, self.vision_hidden_size)
        return (*shape[:-2], self.num_tokens, self.hidden_size)

    def values(self, shape: Shape) -> dict:
        return {d_vis: self.vision_hidden_size, d: self.hidden_size}


# ----------------------------------------------------------------------------- Qwen2-VL

_QWEN2VL_PATCH = (Group("proj.weight", d * C * P_t * P**2),)


@register("Qwen2VLPatchEmbed", framework="pytorch")
@layer_type
class Qwen2VLPatchEmbed(Layer):
    """Qwen2-VL's patch embedding: a Conv3d without bias whose kernel and stride are P_t frames
    of P × P pixels, d·C·P_t·P²; (n, C·P_t·P²) flattened patches to (n, d)."""

    role = "embedding"
    explanation = _texts.QWEN2VL_PATCH_EMBED
    compute_not_derived = "no rule yet for Qwen2-VL's patch embedding (a 3D convolution over flattened patches)"

    hidden_size: Value = size()
    num_channels: Value = size()
    patch_size: Value = size()
    temporal_patch_size: Value = size()
    min_input_rank = 2

    def weight_groups(self) -> tuple[Group, ...]:
        return _QWEN2VL_PATCH

    def output_shape(self, shape: Shape) -> Shape:
        return (*shape[:-1], self.hidden_size)

    def values(self, shape: Shape) -> dict:
        return {d: self.hidden_size, C: self.num_channels, P: self.patch_size, P_t: self.temporal_patch_size}


_QWEN2VL_BLOCK = (*_layer_norm("norm1"), *_layer_norm("norm2"), *_linear("attn.qkv", d, 3 * d),
                  *_linear("attn.proj", d, d), *_linear("mlp.fc1", d, f), *_linear("mlp.fc2", f, d))


@register("Qwen2VLVisionBlock", framework="pytorch")
@layer_type
class Qwen2VLVisionBlock(_Block):
    """Qwen2-VL's vision block: 4d² + 2df + 9d + f (f = mlp_ratio·d); 2D rotary positions
    without weights."""

    intermediate_size: Value = size()

    def weight_groups(self) -> tuple[Group, ...]:
        return _QWEN2VL_BLOCK

    def values(self, shape: Shape) -> dict:
        return {d: self.hidden_size, f: self.intermediate_size}

    def notes(self) -> tuple[str, ...]:
        return ("qwen2vl_vision_rope",)


_QWEN2VL_MERGER = (Group("ln_q.weight", d_vis), Group("ln_q.bias", d_vis), *_linear("mlp.0", m_s**2 * d_vis, m_s**2 * d_vis),
                   *_linear("mlp.2", m_s**2 * d_vis, d))


@register("Qwen2VLPatchMerger", framework="pytorch")
@layer_type
class Qwen2VLPatchMerger(Layer):
    """Qwen2-VL's patch merger (the projector): LayerNorm 2d_vis, then m_s × m_s neighbouring
    patch vectors concatenated and mapped by an MLP, (m_s²·d_vis)² + m_s²·d_vis + m_s²·d_vis·d + d;
    (…, n, d_vis) to (…, n/m_s², d)."""

    role = "projection"
    explanation = _texts.QWEN2VL_PATCH_MERGER
    compute_not_derived = "no rule yet for Qwen2-VL's patch merger (patch vectors merged before an MLP)"

    vision_hidden_size: Value = size()
    hidden_size: Value = size()
    spatial_merge_size: Value = size()
    min_input_rank = 1

    def weight_groups(self) -> tuple[Group, ...]:
        return _QWEN2VL_MERGER

    def output_shape(self, shape: Shape) -> Shape:
        _check_width(self, shape, self.vision_hidden_size)
        return (*shape[:-1], self.hidden_size)

    def values(self, shape: Shape) -> dict:
        return {d_vis: self.vision_hidden_size, d: self.hidden_size, m_s: self.spatial_merge_size}
