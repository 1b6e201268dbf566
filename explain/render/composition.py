"""What a model of repeated blocks consists of, counted from its own rows: "two embedding layers,
twelve transformer blocks, a final normalization and the LM head". The template words each part
(``common/composition.j2``); a model with a row none of the parts names gets no such sentence.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, cast

from ..derivation import LayerStep
from ..symbols import Value

ORDER = ("embedding", "bias_table", "embedding_norm", "encoder_block", "decoder_block", "block",
         "final_norm", "pooler", "lm_head", "lm_head_tied")
"""The order in which the sentence names the parts: input side first, head last."""

HEAD_NOTES = frozenset({"tied_head", "untied_head"})
"""The model notes of an importer that built an LM head as the model's last row."""


def composition(steps: Sequence[LayerStep], note_keys: set[str],
                evaluate: Callable[[Value], Value]) -> Optional[list[tuple[str, int]]]:
    """(part, count) in :data:`ORDER`, or None where a row with weights is none of the parts."""
    counts: dict[str, int] = {}
    cross = any(getattr(s.node.layer, "cross_attention", lambda: False)() for s in steps
                if s.role == "transformer_block")
    before: Optional[str] = None  # the part of the last row with weights
    for i, s in enumerate(steps):
        node, own = s.node, evaluate(s.own)
        last = i == len(steps) - 1
        if s.role == "embedding" and node.shares is None:
            part = "bias_table" if s.shape.indexes == "buckets" else "embedding"
        elif s.role == "embedding" or (own == 0 and node.shares is None and s.role != "dense"):
            continue  # an input embedding tied to another, or a step without weights
        elif s.role == "transformer_block":
            part = ("decoder_block" if cast(Any, node.layer).cross_attention() else "encoder_block") if cross else "block"
        elif s.role == "norm" and before in ("embedding", "bias_table"):
            part = "embedding_norm"
        elif s.role == "norm" and before is not None and before.endswith("block"):
            part = "final_norm"
        elif node.layer.composition_part is not None:
            part = node.layer.composition_part
        elif s.role == "dense" and last and note_keys & HEAD_NOTES:
            part = "lm_head_tied" if node.shares and "tied_head" not in note_keys else "lm_head"
        else:
            return None
        n = evaluate(node.repeat) if part.endswith("block") else 1
        if not isinstance(n, int):
            return None
        counts[part] = counts.get(part, 0) + n
        before = part
    if counts.get("embedding_norm", 0) > 1 or counts.get("pooler", 0) > 1 or len(counts) < 2:
        return None
    return [(part, counts[part]) for part in ORDER if part in counts]
