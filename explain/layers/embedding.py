"""Embedding: a lookup table of V vectors of size d; no bias.

embeddings V·d; (…) → (…, d).
"""
from __future__ import annotations

from typing import ClassVar

from ..symbols import V, Value, d
from .base import Group, Layer, Shape, anything, lora_r, lora_rank_arg, size, with_lora, layer_type
from . import _texts
from .registry import register

_EMBEDDINGS = Group("embeddings", V * d)


@register("Embedding")
@layer_type
class Embedding(Layer):
    """Keras Embedding(input_dim V, output_dim d): embeddings (V, d); (…) → (…, d)."""

    role = "embedding"
    explanation = _texts.EMBEDDING
    ops_per_element = 0  # a lookup of rows: no MACs
    looks_up = True  # every index of the input becomes its row: (…) → (…, d)
    symbol_meanings = {"d": "embedding_dim"}

    positional: ClassVar[tuple[str, ...]] = ("input_dim", "output_dim")
    input_dim: Value = size()
    output_dim: Value = size()
    weights: object = anything()
    input_length: object = anything()  # Keras 2 configs
    lora_rank: Value | None = lora_rank_arg()

    def weight_groups(self) -> tuple[Group, ...]:
        if self.lora_rank:
            return with_lora((_EMBEDDINGS,), "embeddings", V, d, prefix="lora_embeddings")
        return (_EMBEDDINGS,)

    def values(self, shape: Shape) -> dict:
        values = {V: self.input_dim, d: self.output_dim}
        return {**values, lora_r: self.lora_rank} if self.lora_rank else values

    def notes(self) -> tuple[str, ...]:
        return ("lora",) if self.lora_rank else ()

    def output_shape(self, shape: Shape) -> Shape:
        return tuple(shape) + (self.output_dim,)
