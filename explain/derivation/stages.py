"""A large model's stages, for a summary before the per-layer detail: consecutive layers of one
block (``conv2_block1_…``, ``block_3_…``) form a block; consecutive blocks of one stage name with
the same number of output channels form a stage (ResNet's ``conv2_x`` × 3, MobileNetV2's inverted
residual blocks of one width); other layers are grouped by the first part of their name."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Optional, Sequence

from ..model import Node
from ..symbols import Value

_BLOCK = re.compile(r"^(?P<stage>.*?)_?block_?(?P<n>\d+)(?:_|$)")
MIN_LAYERS = 40
"""Models with fewer layers get no stage summary (the table of layers is short enough)."""


@dataclass
class Stage:
    """Layers ``first`` … ``last`` (1-based positions): ``blocks`` blocks (0: not a block)."""

    label: str
    first: int
    last: int
    blocks: int
    params: Value
    output: tuple


def _unit(name: str) -> tuple[str, Optional[str]]:
    """(stage name, block number) of a block's layer; (first part of the name, None) otherwise."""
    m = _BLOCK.match(name)
    if m:
        return m.group("stage"), m.group("n")
    return name.split("_")[0].split(".")[0], None


def stages(nodes: Sequence[Node]) -> list[Stage]:
    """The stages of a model with at least :data:`MIN_LAYERS` layers and some named blocks."""
    if len(nodes) < MIN_LAYERS:
        return []
    units: list[tuple[str, Optional[str], list[int]]] = []
    for i, node in enumerate(nodes):
        stage, block = _unit(node.name)
        if units and units[-1][0] == stage and units[-1][1] == block:
            units[-1][2].append(i)
        else:
            units.append((stage, block, [i]))
    if not any(block is not None for _, block, _ in units):
        return []
    out: list[Stage] = []
    key_of_last: Optional[tuple] = None
    for stage, block, idx in units:
        last = nodes[idx[-1]]
        width = last.output_shape[-1] if last.output_shape else None
        key = (stage, width) if block is not None else None
        params: Value = 0
        for i in idx:
            params = params + nodes[i].own("params")
        if key is not None and key == key_of_last:
            s = out[-1]
            s.last, s.blocks, s.params, s.output = idx[-1] + 1, s.blocks + 1, s.params + params, last.output_shape
            s.label = _label(stage, s.label, block)
        else:
            label = _label(stage, None, block) if block is not None else _common([nodes[i].name for i in idx])
            out.append(Stage(label, idx[0] + 1, idx[-1] + 1, 1 if block is not None else 0, params,
                             last.output_shape))
        key_of_last = key
    return out


def _common(names: list[str]) -> str:
    """A run's name: the one layer's, or what the names share (``conv1`` for ``conv1_pad`` …)."""
    if len(names) == 1:
        return names[0]
    shared = os.path.commonprefix([n.split("_") for n in names])
    return "_".join(shared) or names[0]


def _label(stage: str, previous: Optional[str], block: Optional[str]) -> str:
    """``conv2_x`` for a named stage; ``block_3…5`` for numbered blocks without a stage name."""
    if stage:
        return f"{stage}_x"
    first = previous.split("…")[0] if previous else f"block_{block}"
    return first if previous is None else f"{first}…{block}"
