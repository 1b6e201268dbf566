"""A large model's stages, for a summary before the per-layer detail: consecutive layers of one
block (``conv2_block1_…``, ``block_3_…``) form a block; consecutive blocks of one stage name with
the same number of output channels form a stage (ResNet's ``conv2_x`` × 3, MobileNetV2's inverted
residual blocks of one width); other layers are grouped by the first part of their name."""
from __future__ import annotations

import os
import re
from typing import Optional, Sequence

from ..model import Node
from ..records import record
from ..symbols import Value

_BLOCK = re.compile(r"^(?P<stage>.*?)_?block_?(?P<n>\d+)(?:_|$)")
MIN_LAYERS = 40
"""Models with fewer layers get no stage summary (the table of layers is short enough)."""


@record(frozen=False)
class Stage:
    """Layers ``first`` … ``last`` (1-based positions): ``blocks`` blocks (0: not a block)."""

    label: str
    first: int
    last: int
    blocks: int
    params: Value
    output: tuple
    kind: Optional[str] = None
    """The block type, read from the layers of its first block (:func:`block_kind`)."""


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
    units = _attach_followers(nodes, units)
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
            # a group without a block number whose layers form a block all the same (MobileNetV2's
            # expanded_conv, the first inverted residual block) is one block
            kind = block_kind([nodes[i] for i in idx])
            out.append(Stage(label, idx[0] + 1, idx[-1] + 1, 1 if block is not None or kind else 0,
                             params, last.output_shape, kind))
        key_of_last = key
    return out


def _common(names: list[str]) -> str:
    """A run's name: the one layer's, or what the names share (``conv1`` for ``conv1_pad`` …)."""
    if len(names) == 1:
        return names[0]
    shared = os.path.commonprefix([n.split("_") for n in names])
    return "_".join(shared) or names[0]


RANGE = "–"
"""Between the first and the last block of a stage label (``block_3–block_5``)."""


def _label(stage: str, previous: Optional[str], block: Optional[str]) -> str:
    """``conv2_x`` for a named stage; ``block_3–block_5`` for numbered blocks without a stage
    name (both ends written in full, as the layers' names begin)."""
    if stage:
        return f"{stage}_x"
    first = previous.split(RANGE)[0] if previous else f"block_{block}"
    return first if previous is None else f"{first}{RANGE}block_{block}"


_FOLLOWERS = frozenset({"batchnorm", "activation"})


def _attach_followers(nodes: Sequence[Node], units: list) -> list:
    """A normalization or an activation outside a block (MobileNetV2's ``bn_Conv1``,
    ``Conv1_relu``) belongs to the layer before it: one stem row, not three."""
    out: list = []
    for stage, block, idx in units:
        if block is None and out and out[-1][1] is None \
                and all(nodes[i].layer.role in _FOLLOWERS for i in idx):
            out[-1] = (out[-1][0], None, out[-1][2] + idx)
        else:
            out.append((stage, block, idx))
    return out


def _kernel_ones(node: Node) -> bool:
    """A 1 × 1 (pointwise) convolution."""
    return all(k == 1 for k in getattr(node.layer, "kernel_size", (0,)))


def block_kind(block: Sequence[Node]) -> Optional[str]:
    """``bottleneck`` (1 × 1, k × k, 1 × 1 convolutions and an addition: ResNet),
    ``inverted_residual`` (a depthwise convolution between pointwise ones: MobileNetV2), or None."""
    roles = [n.layer.role for n in block]
    convs = [n for n in block if n.layer.role == "conv"]
    if "depthwise" in roles and convs and _kernel_ones(convs[-1]):
        return "inverted_residual"
    main = [n for n in convs if n not in projections(block)]
    if "add" in roles and len(main) == 3 and _kernel_ones(main[0]) and _kernel_ones(main[2]) \
            and not _kernel_ones(main[1]):
        return "bottleneck"
    return None


def projections(block: Sequence[Node]) -> list[Node]:
    """The projection shortcuts of a residual block: a convolution that an addition reads (through
    normalizations only) and whose input the other branch of the addition starts from too, so
    that it runs in parallel with the main path."""
    by_name = {n.name: n for n in block}
    out = []
    for add in (n for n in block if n.layer.role == "add"):
        branches = [_back(by_name, name) for name in add.inputs]
        for i, chain in enumerate(branches):
            if not chain or chain[-1].layer.role != "conv":
                continue
            start = chain[-1].inputs[0] if chain[-1].inputs else None
            others = [b for j, b in enumerate(branches) if j != i]
            if start and any(len(b) > 1 and b[-1].inputs and b[-1].inputs[0] == start for b in
                             (_path_back(by_name, o[0].name) for o in others if o)):
                out.append(chain[-1])
    return out


def _back(by_name: dict, name: str) -> list[Node]:
    """From ``name`` back through normalizations to the first other layer (inclusive)."""
    chain = []
    node = by_name.get(name)
    while node is not None:
        chain.append(node)
        if node.layer.role != "batchnorm" or len(node.inputs) != 1:
            break
        node = by_name.get(node.inputs[0])
    return chain


def _path_back(by_name: dict, name: str) -> list[Node]:
    """From ``name`` back through single-input layers of the block to the first of them."""
    chain = []
    node = by_name.get(name)
    while node is not None and len(node.inputs) == 1:
        chain.append(node)
        node = by_name.get(node.inputs[0])
    return chain


def block_units(nodes: Sequence[Node]) -> list[list[Node]]:
    """The model's blocks (consecutive layers of one ``…block…`` name), in order."""
    out: list[list[Node]] = []
    key = None
    for node in nodes:
        stage, block = _unit(node.name)
        if block is None:
            key = None
            continue
        if (stage, block) != key:
            out.append([])
            key = (stage, block)
        out[-1].append(node)
    return out


def shortcut_projections(nodes: Sequence[Node]) -> set[str]:
    """The names of every block's projection shortcuts."""
    return {p.name for block in block_units(nodes) for p in projections(block)}
