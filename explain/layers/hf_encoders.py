"""Encoder (and encoder–decoder) layers of more Hugging Face families (PyTorch), one weight group
per tensor as transformers names it. Symbols: d width, f feed-forward size, C image channels,
P patch size, n_p number of patches.

- AlbertLayer: BERT's layer under other names, 4d² + 2df + 9d + f; ALBERT applies one such
  layer (per group) to all L layers, so its weights are counted once.
- BartEncoderLayer: q, k, v, out_proj (d² + d each), two LayerNorms 4d, fc1 d·f + f, fc2 f·d + d:
  4d² + 2df + 9d + f. BartDecoderLayer adds encoder_attn (4d² + 4d) and its LayerNorm 2d.
- ViTLayer: q, k, v, o (d² + d each; without qkv_bias 3d fewer), layernorm_before and
  layernorm_after 4d, fc1 and fc2: 4d² + 2df + 9d + f.
- ViTEmbeddings: the patch embedding, a convolution with kernel and stride P (d·C·P² + d),
  the class token d and the position embeddings (n_p + 1)·d.
"""
from __future__ import annotations

from functools import cache

from ..compute import N_out, Cost, elements, elementwise
from ..symbols import Value, sym
from . import _texts
from .base import Group, Layer, Shape, flag, size, layer_type
from .hf_blocks import _Block, _layer_norm, _linear, d, f
from .registry import register

C, P, n_p = sym("C"), sym("P"), sym("n_p")



def _width(layer: _Block) -> dict:
    return {d: layer.hidden_size, f: layer.intermediate_size}  # type: ignore[attr-defined]


_ALBERT_GROUPS = (*_layer_norm("full_layer_layer_norm"), *_linear("attention.query", d, d),
                  *_linear("attention.key", d, d), *_linear("attention.value", d, d),
                  *_linear("attention.dense", d, d), *_layer_norm("attention.LayerNorm"),
                  *_linear("ffn", d, f), *_linear("ffn_output", f, d))


@register("AlbertLayer", framework="pytorch")
@layer_type
class AlbertLayer(_Block):
    """ALBERT's layer: 4d² + 2df + 9d + f, shared by all L layers of its group."""

    intermediate_size: Value = size()

    def weight_groups(self) -> tuple[Group, ...]:
        return _ALBERT_GROUPS

    def values(self, shape: Shape) -> dict:
        return _width(self)

    def notes(self) -> tuple[str, ...]:
        return ("albert_shared_layer",)


_SOURCE = frozenset(f"encoder_attn.{p}_proj.{w}" for p in ("k", "v") for w in ("weight", "bias"))
"""A BART or Whisper decoder's cross-attention keys and values, over the encoder's S positions."""


@cache
def _bart_groups(decoder: bool) -> tuple[Group, ...]:
    def attention(name: str) -> tuple[Group, ...]:
        return (*_linear(f"{name}.k_proj", d, d), *_linear(f"{name}.v_proj", d, d), *_linear(f"{name}.q_proj", d, d),
                *_linear(f"{name}.out_proj", d, d), *_layer_norm(f"{name}_layer_norm"))
    groups = attention("self_attn")
    if decoder:
        groups += attention("encoder_attn")
    return groups + (*_linear("fc1", d, f), *_linear("fc2", f, d), *_layer_norm("final_layer_norm"))


@register("BartEncoderLayer", framework="pytorch")
@layer_type
class BartEncoderLayer(_Block):
    """BART encoder layer: 4d² + 2df + 9d + f."""

    intermediate_size: Value = size()

    def weight_groups(self) -> tuple[Group, ...]:
        return _bart_groups(False)

    def values(self, shape: Shape) -> dict:
        return _width(self)


@register("BartDecoderLayer", framework="pytorch")
@layer_type
class BartDecoderLayer(BartEncoderLayer):
    """BART decoder layer: self-attention, cross-attention over the encoder's output and the MLP:
    8d² + 2df + 15d + f."""

    def weight_groups(self) -> tuple[Group, ...]:
        return _bart_groups(True)

    def cross_attention(self) -> bool:
        return True

    def source_groups(self) -> frozenset[str]:
        return _SOURCE


@cache
def _vit_groups(qkv_bias: bool) -> tuple[Group, ...]:
    return (*_linear("attention.q_proj", d, d, qkv_bias), *_linear("attention.k_proj", d, d, qkv_bias),
            *_linear("attention.v_proj", d, d, qkv_bias), *_linear("attention.o_proj", d, d),
            *_layer_norm("layernorm_before"), *_layer_norm("layernorm_after"),
            *_linear("mlp.fc1", d, f), *_linear("mlp.fc2", f, d))


@register("ViTLayer", framework="pytorch")
@layer_type
class ViTLayer(_Block):
    """ViT encoder layer: 4d² + 2df + 9d + f (without qkv_bias: 3d fewer)."""

    intermediate_size: Value = size()
    qkv_bias: bool = flag(True)

    def weight_groups(self) -> tuple[Group, ...]:
        return _vit_groups(self.qkv_bias)

    def values(self, shape: Shape) -> dict:
        return _width(self)


_VIT_EMBEDDINGS = (Group("cls_token", d), Group("position_embeddings", (n_p + 1) * d),
                   Group("patch_embeddings.projection.weight", d * C * P**2),
                   Group("patch_embeddings.projection.bias", d))


_PATCH_MACS = n_p * d * C * P * P


@register("ViTEmbeddings", framework="pytorch")
@layer_type
class ViTEmbeddings(_Block):
    """ViT's embeddings: patches by a convolution with kernel and stride P (d·C·P² + d), a class
    token d and position embeddings (n_p + 1)·d; (C, height, width) images to (n_p + 1, d)."""

    role = "embedding"
    explanation = _texts.PATCH_EMBEDDINGS

    num_channels: Value = size()
    patch_size: Value = size()
    num_patches: Value = size()
    min_input_rank = 3

    def weight_groups(self) -> tuple[Group, ...]:
        return _VIT_EMBEDDINGS

    def output_shape(self, shape: Shape) -> Shape:
        return (self.num_patches + 1, self.hidden_size)

    def values(self, shape: Shape) -> dict:
        return {d: self.hidden_size, C: self.num_channels, P: self.patch_size, n_p: self.num_patches}

    def notes(self) -> tuple[str, ...]:
        return ("vit_patch_embedding",)

    def cost(self, shapes, out, values) -> Cost:
        """The patch convolution: n_p·d·C·P² MACs; bias adds and the position embeddings added
        to the n_p + 1 tokens, one per element."""
        return Cost(_PATCH_MACS, N_out + n_p * d, {N_out: elements(out)})


# ----------------------------------------------------------------------------- Whisper, CLIP

@cache
def _whisper_groups(decoder: bool) -> tuple[Group, ...]:
    def attention(name: str) -> tuple[Group, ...]:  # k_proj has no bias
        return (*_linear(f"{name}.k_proj", d, d, False), *_linear(f"{name}.v_proj", d, d),
                *_linear(f"{name}.q_proj", d, d), *_linear(f"{name}.out_proj", d, d),
                *_layer_norm(f"{name}_layer_norm"))
    groups = attention("self_attn")
    if decoder:
        groups += attention("encoder_attn")
    return groups + (*_linear("fc1", d, f), *_linear("fc2", f, d), *_layer_norm("final_layer_norm"))


@register("WhisperEncoderLayer", framework="pytorch")
@layer_type
class WhisperEncoderLayer(_Block):
    """Whisper encoder layer: BART's without the key projection's bias, 4d² + 2df + 8d + f."""

    intermediate_size: Value = size()

    def weight_groups(self) -> tuple[Group, ...]:
        return _whisper_groups(False)

    def values(self, shape: Shape) -> dict:
        return _width(self)


@register("WhisperDecoderLayer", framework="pytorch")
@layer_type
class WhisperDecoderLayer(WhisperEncoderLayer):
    """Whisper decoder layer: self-attention, attention over the encoder's output (keys without
    bias) and the MLP: 8d² + 2df + 13d + f."""

    def weight_groups(self) -> tuple[Group, ...]:
        return _whisper_groups(True)

    def cross_attention(self) -> bool:
        return True

    def source_groups(self) -> frozenset[str]:
        return _SOURCE


@register("TimeMajor", framework="pytorch")
@layer_type
class TimeMajor(Layer):
    """Swaps the last two axes: (channels, time) from a convolution to (time, channels); no weights."""

    role = "reshape"
    explanation = _texts.RESHAPE
    ops_per_element = 0
    min_input_rank = 2

    def output_shape(self, shape: Shape) -> Shape:
        return (*shape[:-2], shape[-1], shape[-2])


_CLIP_GROUPS = (*_linear("self_attn.k_proj", d, d), *_linear("self_attn.v_proj", d, d),
                *_linear("self_attn.q_proj", d, d), *_linear("self_attn.out_proj", d, d),
                *_layer_norm("layer_norm1"), *_linear("mlp.fc1", d, f), *_linear("mlp.fc2", f, d),
                *_layer_norm("layer_norm2"))


@register("CLIPEncoderLayer", framework="pytorch")
@layer_type
class CLIPEncoderLayer(_Block):
    """CLIP encoder layer (text and vision): 4d² + 2df + 9d + f."""

    intermediate_size: Value = size()

    def weight_groups(self) -> tuple[Group, ...]:
        return _CLIP_GROUPS

    def values(self, shape: Shape) -> dict:
        return _width(self)


_CLIP_VISION_EMBEDDINGS = (Group("class_embedding", d), Group("patch_embedding.weight", d * C * P**2),
                           Group("position_embedding.weight", (n_p + 1) * d))


@register("CLIPVisionEmbeddings", framework="pytorch")
@layer_type
class CLIPVisionEmbeddings(ViTEmbeddings):
    """CLIP's image embeddings: ViT's, the patch convolution without bias: d·C·P² + (n_p + 2)·d."""

    def weight_groups(self) -> tuple[Group, ...]:
        return _CLIP_VISION_EMBEDDINGS

    def notes(self) -> tuple[str, ...]:
        return ("clip_patch_embedding",)


V_rows = sym("V")


@register("AddedPositions", framework="pytorch")
@layer_type
class AddedPositions(_Block):
    """A table of learned positions added to a (…, d) input: V·d (V rows of d)."""

    role = "embedding"
    explanation = _texts.ADDED_POSITIONS
    num_positions: Value = size()
    trainable_table: bool = flag(True)

    def weight_groups(self) -> tuple[Group, ...]:
        return (Group("weight", V_rows * d, self.trainable_table),)

    def values(self, shape: Shape) -> dict:
        return {V_rows: self.num_positions, d: self.hidden_size}

    def cost(self, shapes, out, values) -> Cost:
        """The positions added to the input: one addition per element."""
        return elementwise(out, 1)
