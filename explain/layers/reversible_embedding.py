"""Keras 3 ReversibleEmbedding: an Embedding that can also project back to the vocabulary.

embeddings V·d, plus reverse_embeddings d·V when ``tie_weights=False``; (…) → (…, d).
"""
from __future__ import annotations


from ..errors import ExplainError
from .base import Group, anything, flag, layer_type
from . import _texts
from .embedding import Embedding, V, d
from .registry import register

_REVERSE = Group("reverse_embeddings", d * V)


@register("ReversibleEmbedding")
@layer_type
class ReversibleEmbedding(Embedding):
    """ReversibleEmbedding(V, d, tie_weights): embeddings (V, d) [+ reverse_embeddings (d, V)
    if not tied]; (…) → (…, d)."""

    explanation = _texts.REVERSIBLE_EMBEDDING

    positional = ("input_dim", "output_dim", "tie_weights")
    tie_weights: bool = flag(True)
    reverse_dtype: object = anything()
    logit_soft_cap: object = anything()

    def validate(self, ctx) -> None:
        if self.lora_rank and not self.tie_weights:
            raise ExplainError("ReversibleEmbedding: Keras cannot build lora_rank together with "
                               "tie_weights=False (its reverse_embeddings are added after LoRA "
                               "locks the layer's weights); enable LoRA after building instead")

    def weight_groups(self) -> tuple[Group, ...]:
        own = super().weight_groups()
        return own if self.tie_weights else own + (_REVERSE,)
