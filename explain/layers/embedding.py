"""Embedding: a lookup table of V vectors of size d; no bias.

embeddings V·d; (…) → (…, d).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..symbols import Value, sym
from .base import Group, Layer, Shape, anything, size
from . import _texts
from .registry import register

V, d = sym("V"), sym("d")
"""Vocabulary size and embedding width."""

_EMBEDDINGS = Group("embeddings", V * d)


@register("Embedding")
@dataclass(frozen=True, kw_only=True)
class Embedding(Layer):
    """Keras Embedding(input_dim V, output_dim d): embeddings (V, d); (…) → (…, d)."""

    role = "embedding"
    explanation = _texts.EMBEDDING
    symbol_meanings = {"d": "embedding_dim"}

    positional: ClassVar[tuple[str, ...]] = ("input_dim", "output_dim")
    input_dim: Value = size()
    output_dim: Value = size()
    weights: object = anything()
    input_length: object = anything()  # Keras 2 configs

    def weight_groups(self) -> tuple[Group, ...]:
        return (_EMBEDDINGS,)

    def values(self, shape: Shape) -> dict:
        return {V: self.input_dim, d: self.output_dim}

    def output_shape(self, shape: Shape) -> Shape:
        return tuple(shape) + (self.output_dim,)
