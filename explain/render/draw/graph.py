"""The model as a picture's graph (data only, nothing formatted): boxes in data-flow order with
their type, output shape and parameters, the edges between them, shared weights marked, a run
of identical blocks drawn once with its number of repetitions, and a large model folded into
its stages (:func:`explain.derivation.stages.stages`) so that the picture stays readable."""
from __future__ import annotations

import re
from dataclasses import field
from typing import Optional, Sequence

from ...layers.base import NORM_ROLES, Shape
from ...model import Model, Node
from ...records import record
from ...symbols import Value

MAX_BOXES = 40
"""More boxes than this and runs of blocks are folded into one box each; still more, and
consecutive layers are folded into chunks (a picture of 300 boxes is unreadable)."""
MAX_GROUP = 12
"""A repeated block of at most this many layers is drawn inside a frame "× N"; a longer one is
one box."""


@record(frozen=False)
class Box:
    """One box: an input, a layer, or several layers folded into one (a block, a stage)."""

    id: str
    name: str
    kind: str
    """``input``, ``layer`` or ``fold`` (consecutive layers drawn as one box)."""
    type: str = ""
    """A layer's type; for an input, the type of the layer before a block drawn alone ("": the model's input)."""
    type_label: Optional[str] = None
    """The message id naming the type where the layer has one (an operation of the forward pass)."""
    call: bool = False
    """A call in the forward between modules (``Layer.call_in_forward``), not a layer."""
    shape: Shape = ()
    params: Value = 0
    """What the box adds to the model's total (shared weights count at their owner), all copies."""
    repeat: Value = 1
    """× N: the box stands for N identical layers or blocks one after the other."""
    layers: tuple[int, int] = (0, 0)
    """The 1-based positions of the first and the last layer the box stands for (0: an input)."""
    shares: Optional[str] = None
    """The id of the box whose weights this one reuses."""
    group: Optional[int] = None
    """The index in :attr:`Graph.groups` of the repeated block the box belongs to."""
    each: Optional[Value] = None
    """In a repeated block: one copy's parameters (the box shows these; ``params`` has all)."""
    indexes: Optional[str] = None
    """What an embedding looks up other than the tokens: ``positions`` (0, 1, 2, …),
    ``type_vocabulary`` (the token types) or ``buckets`` (T5's relative positions); an input box
    holds them, a layer's box looks them up (``shapes._indexes``)."""
    first: int = 0
    """The first position where ``indexes`` is ``positions`` (``shapes.first_position``)."""


@record(frozen=False)
class Group:
    """A block of several layers drawn once inside a frame: it repeats ``repeat`` times."""

    repeat: int
    boxes: list[str] = field(default_factory=list)


@record(frozen=False)
class Graph:
    """Boxes in data-flow order; ``edges`` (source id, target id); ``shared`` (owner, user)."""

    name: str
    boxes: list[Box]
    edges: list[tuple[str, str]]
    shared: list[tuple[str, str]]
    groups: list[Group]
    folded: str = ""
    """How the layers were folded: ``""`` (not at all), ``runs``, ``stages`` or ``chunks``."""
    joins: list[tuple[str, str]] = field(default_factory=list)
    """The edges (also in ``edges``) from an encoder's output into a decoder's cross-attention:
    the layout draws the parts they join side by side, this arrow level between them."""

    def box(self, id: str) -> Box:
        return next(b for b in self.boxes if b.id == id)  # a picture has at most MAX_BOXES boxes


_CALL = re.compile(r"\[\d+\]$")


def _resolve(name: str, known: dict[str, str]) -> Optional[str]:
    """The box of input ``name``: the layer's own, or the layer's whose further output or call
    it is (``enc[1]``, ``lstm[0][1]``)."""
    while name not in known:
        stripped = _CALL.sub("", name)
        if stripped == name:
            return None
        name = stripped
    return known[name]


def _sum(values: Sequence[Value]) -> Value:
    total: Value = 0
    for v in values:
        total = total + v
    return total


def build(model: Model, fold: Optional[str] = None,
          runs: Optional[list[tuple[int, int, int]]] = None) -> Graph:
    """The graph of ``model``. ``fold``: ``None`` picks the least folding that stays within
    :data:`MAX_BOXES`; ``runs``, ``stages`` or ``chunks`` forces one. ``runs``:
    ``group_blocks(model.nodes)``, where the caller has them."""
    nodes = model.nodes
    order = [fold] if fold else ["", "runs", "stages", "chunks"]
    parts: Optional[list[list[Part]]] = None
    how = ""
    # group_blocks(nodes), found once for "" and "runs"
    blocks: list[tuple[int, int, int]] = list(runs) if runs is not None else []
    for how in order:
        parts = _partition(nodes, how, blocks, model.inputs)
        if parts is not None and sum(len(unit) for unit in parts) <= MAX_BOXES:
            break
    assert parts is not None
    return _graph(model, parts, how)


Part = tuple[list[int], int, str, int]
"""(positions of the layers a box stands for, × N, label, group or -1)."""


def _partition(nodes: Sequence[Node], how: str, blocks: Optional[list[tuple[int, int, int]]] = None,
               inputs: Optional[dict[str, Shape]] = None) -> Optional[list[list[Part]]]:
    """Boxes (as lists of positions) per unit: ``""`` every layer, repeated blocks once in a
    frame; ``runs`` every repeated block one box; ``stages`` the stage table's rows;
    ``chunks`` consecutive layers of one name prefix, at most :data:`MAX_BOXES` boxes.
    ``blocks``: an empty list to keep ``group_blocks(nodes)`` in for the next call, or its runs;
    ``inputs``: the model's inputs and their shapes (for ``chunks``)."""
    from ...derivation.build import group_blocks
    if how == "stages":
        from ...derivation.stages import stages
        found = stages(nodes)
        if not found:
            return None
        return [[(list(range(s.first - 1, s.last)), max(s.blocks, 1), s.label, -1)] for s in found]
    if how == "chunks":
        return _chunks(nodes, inputs)
    out: list[list[Part]] = []
    if blocks is None:
        blocks = group_blocks(nodes)
    elif not blocks:
        blocks.extend(group_blocks(nodes))
    for start, period, repeat in blocks:
        first = list(range(start, start + period))
        if repeat == 1:
            out.extend([[([i], 1, "", -1)] for i in first])
        elif period == 1:
            out.append([(list(range(start, start + repeat)), repeat, "", -1)])
        elif how == "" and period <= MAX_GROUP:
            out.append([([i + r * period for r in range(repeat)], repeat, "", len(out)) for i in first])
        else:
            out.append([(list(range(start, start + period * repeat)), repeat, "", -1)])
    return out


def _leads(node: Node) -> bool:
    """A layer that starts a chunk: one with weights of its own that is not a normalisation."""
    return node.layer.role not in NORM_ROLES and node.own("params") != 0


def _keeps_shape(node: Node, shapes: dict[str, object]) -> bool:
    """A layer that reads one input and gives its shape unchanged (a normalisation, an activation,
    a dropout): it may share the box of the weighted layer before it. A merge (an addition of a
    residual branch) or a layer that changes the shape (pooling, reshape, flatten) may not."""
    return len(node.inputs) == 1 and shapes.get(_CALL.sub("", node.inputs[0])) == node.output_shape


def _chunks(nodes: Sequence[Node], inputs: Optional[dict[str, Shape]] = None) -> list[list[Part]]:
    """Consecutive layers folded so that each box holds a layer with weights of its own (a
    convolution, a dense layer), the padding just before it, and the layers after it that keep its
    output's shape up to the next such layer (its normalisation, activation, dropout):
    MobileNet's ``conv_pad_2``, ``conv_dw_2``, ``conv_dw_2_bn``, ``conv_dw_2_relu``, named
    ``conv_dw_2``. A layer that changes the shape otherwise or merges branches starts a box of its
    own (MobileNet's global pooling and dropout, layers 86–87, not under ``conv_pw_13``, whose
    output is 7 × 7; a residual net's addition, where its shortcut joins). Where that gives more
    than :data:`MAX_BOXES` boxes, equally many neighbouring units share one box; a model without
    such layers is cut into equal chunks. ``inputs``: the model's inputs and their shapes."""
    shapes: dict[str, object] = dict(inputs or {})
    shapes.update({n.name: n.output_shape for n in nodes})
    leads: list[int] = []
    starts: set[int] = set()
    absorbed: set[int] = set()
    """Paddings just before a weighted layer: in its box."""
    for i, node in enumerate(nodes):
        if _leads(node):
            j = i
            while j > (leads[-1] + 1 if leads else 0) and nodes[j - 1].layer.role == "padding":
                j -= 1
            leads.append(i)
            starts.add(j)
            absorbed.update(range(j, i))
    if len(leads) < 2:
        size = max(1, -(-len(nodes) // MAX_BOXES))
        return [[(list(range(i, min(i + size, len(nodes)))), 1, "", -1)] for i in range(0, len(nodes), size)]
    starts.update(i for i, node in enumerate(nodes)
                  if i not in absorbed and not _leads(node) and i > 0 and not _keeps_shape(node, shapes))
    starts.add(0)
    ordered = sorted(starts)
    units = list(zip(ordered, ordered[1:] + [len(nodes)]))
    per = -(-len(units) // MAX_BOXES)
    out: list[list[Part]] = []
    for k in range(0, len(units), per):
        first, last = units[k][0], units[min(k + per, len(units)) - 1][1]
        heads = [nodes[i].name for i in range(first, last) if _leads(nodes[i])]
        label = heads[0] if len(heads) == 1 else f"{heads[0]} … {heads[-1]}" if heads else ""
        out.append([(list(range(first, last)), 1, label, -1)])
    return out


def _graph(model: Model, units: list[list[Part]], how: str) -> Graph:
    from ...derivation.shapes import _indexes
    nodes = model.nodes
    boxes: list[Box] = []
    where: dict[str, str] = {}
    position: dict[str, int] = {}
    for k, name in enumerate(model.inputs):
        boxes.append(Box(f"in{k}", name, "input", shape=model.inputs[name]))
        where[name] = f"in{k}"
    groups: list[Group] = []
    run_of: dict[int, tuple[int, int]] = {}
    """A node in a framed repeated block: (unit, repetition)."""
    spans: dict[str, tuple[str, str]] = {}
    """A fold box named by its layers' common prefix: its first and last layer's names."""
    for u, unit in enumerate(units):
        group = None
        if unit[0][3] >= 0:
            group = len(groups)
            groups.append(Group(unit[0][1]))
        for positions, repeat, label, _g in unit:
            first = nodes[positions[0]]
            id = f"n{len(boxes)}"
            if group is not None:  # one layer of a framed block: drawn once, counted × N
                node = first
                box = Box(id, node.name, "layer", node.type, node.layer.type_label, node.layer.call_in_forward,
                          node.output_shape, _sum([nodes[i].own("params") for i in positions]), 1,
                          (positions[0] + 1, positions[-1] + 1), group=group, each=node.own("params"),
                          indexes=_indexes(node))
                groups[group].boxes.append(id)
                for r, i in enumerate(positions):
                    run_of[i] = (u, r)
            elif len(positions) == 1 or (repeat > 1 and _one_type(nodes, positions)):
                node = first
                box = Box(id, _run_name([nodes[i].name for i in positions]), "layer", node.type,
                          node.layer.type_label, node.layer.call_in_forward, nodes[positions[-1]].output_shape,
                          _sum([nodes[i].own("params") for i in positions]),
                          repeat * node.repeat if len(positions) > 1 else node.repeat,
                          (positions[0] + 1, positions[-1] + 1), indexes=_indexes(node))
            else:
                last = nodes[positions[-1]]
                if not label:
                    spans[id] = (first.name, last.name)
                box = Box(id, label or _common([nodes[i].name for i in positions]), "fold",
                          shape=last.output_shape, params=_sum([nodes[i].own("params") for i in positions]),
                          repeat=repeat, layers=(positions[0] + 1, positions[-1] + 1))
            boxes.append(box)
            for i in positions:
                where[nodes[i].name] = id
                position[nodes[i].name] = i
    _unique_names(boxes, spans)
    edges: list[tuple[str, str]] = []
    joins: list[tuple[str, str]] = []
    shared: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    by_id = {b.id: b for b in boxes}
    extra = _index_inputs(model, boxes)
    by_id.update({b.id: b for b in extra.values()})
    for i, node in enumerate(nodes):
        target = where[node.name]
        cross = model.cross.get(node.name)
        for name in (*model.drawn.get(node.name, node.inputs), *([cross] if cross else [])):
            source = _resolve(name, where)
            if name in TOKEN_INPUTS and node.name in extra:
                source = extra[node.name].id
            if source is None or source == target:
                continue
            j = position.get(_CALL.sub("", name), -1)
            if i in run_of and j in run_of and run_of[i][0] == run_of[j][0] and run_of[i][1] != run_of[j][1]:
                continue  # one repetition feeding the next: the frame's × N says so
            if (source, target) not in seen:
                seen.add((source, target))
                edges.append((source, target))
                if name == cross:
                    joins.append((source, target))
        if node.shares is not None:
            owner = _resolve(node.shares, where)
            if owner is not None and owner != target and (owner, target) not in seen:
                seen.add((owner, target))
                shared.append((owner, target))
                by_id[target].shares = owner
    return Graph(model.name, boxes, edges, shared, groups, how, joins)


INDEX_INPUTS = {"positions": "position_ids", "type_vocabulary": "token_type_ids",
                "buckets": "relative_position_bucket"}
"""What a Hugging Face model calls the indices a position, token-type or relative-position
embedding looks up (an argument of its forward, a buffer of its embeddings module where the
positions are counted, or the buckets T5's attention computes from each query–key distance)."""


TOKEN_INPUTS = ("input_ids", "decoder_input_ids")
"""The token ids an encoder's and a decoder's embeddings read."""


def _index_inputs(model: Model, boxes: list[Box]) -> dict[str, Box]:
    """A box for the position ids, the token type ids and the relative-position buckets where an
    embedding reads a token input but looks up positions, token types or buckets (GPT-2's
    ``wpe``, BERT's ``position_embeddings``, T5's ``relative_attention_bias``): the picture draws
    their arrow from what they look up, one box per kind and token input. Inserted after the
    inputs; by the layer."""
    from ...derivation.shapes import _indexes, first_position
    out: dict[str, Box] = {}
    made: dict[tuple[str, str], Box] = {}
    for node in model.nodes:
        given = next((i for i in node.inputs if i in TOKEN_INPUTS and i in model.inputs), None)
        kind = _indexes(node) if given is not None else None
        if kind not in INDEX_INPUTS:
            continue
        assert kind is not None and given is not None
        if (kind, given) not in made:
            # token types and position ids have the token ids' shape, (batch_size, sequence_length) in
            # transformers' documentation (made inside the model, the positions are one row (1, T)
            # for the whole batch); T5's buckets are (query length, key length): no shape drawn
            shape = model.inputs[given] if kind in ("type_vocabulary", "positions") else ()
            first = first_position(node.layer) if kind == "positions" else 0
            made[kind, given] = Box(f"ix{len(made)}", INDEX_INPUTS[kind], "input", shape=shape, indexes=kind,
                                    first=first)
        out[node.name] = made[kind, given]
    inputs = sum(1 for b in boxes if b.kind == "input")
    boxes[inputs:inputs] = list(made.values())
    return out


def detail(model: Model) -> Optional[Graph]:
    """For a model folded into its stages: its first block with a merge (else its first block)
    drawn layer by layer (ResNet's ``conv2_block1`` with its projection shortcut and the addition
    that merges the branches), with the layers it reads from outside as its inputs; None for a
    model drawn layer by layer."""
    import dataclasses

    from ...derivation.stages import block_units
    if _partition(model.nodes, "stages") is None:
        return None
    blocks = block_units(model.nodes)
    if not blocks:
        return None
    # the first block whose branches merge (MobileNetV2's block_2, not the block_1 without its skip)
    block = next((b for b in blocks if any(len(n.inputs) > 1 for n in b)), blocks[0])
    names = {n.name for n in block}
    shapes = {n.name: n.output_shape for n in model.nodes}
    shapes.update(model.inputs)
    outside: dict[str, Shape] = {}
    for node in block:
        for name in node.inputs:
            base = _CALL.sub("", name)
            if base not in names and base in shapes:
                outside.setdefault(base, shapes[base])
    part = dataclasses.replace(model, nodes=list(block), inputs=outside,
                               name=_common([n.name for n in block]))
    graph = _graph(part, [[([i], 1, "", -1)] for i in range(len(block))], "")
    layers = {n.name: n for n in model.nodes}
    for box in graph.boxes:  # a layer before the block (pool1_pool), not an input of the model
        if box.kind == "input" and box.name in layers:
            box.type, box.type_label = layers[box.name].type, layers[box.name].layer.type_label
    return graph


def _unique_names(boxes: list[Box], spans: dict[str, tuple[str, str]]) -> None:
    """A common prefix that several boxes share says none of them (MobileNet's ``conv_pad_2`` …
    ``conv_dw_2_bn`` and the next boxes all share ``conv``): those boxes name their first layer
    and go on, ``conv_pad_2 …``, beside the positions of their layers (layers 10–12), one line as
    the other boxes' names."""
    from collections import Counter
    counts = Counter(b.name for b in boxes)
    for b in boxes:
        if b.id in spans and counts[b.name] > 1 and spans[b.id][0] != spans[b.id][1]:
            b.name = f"{spans[b.id][0]} …"


_INDEXED = re.compile(r"^(.*?)(\d+)$")


def _run_name(names: list[str]) -> str:
    """A run of identical layers numbered one after the other by the name of all of them
    (``encoder.layers.0–3``: four layers with weights of their own, not layer 0 four times,
    review 37); else the first layer's name."""
    found = [_INDEXED.match(n) for n in names]
    if len(names) < 2 or not all(found):
        return names[0]
    prefixes = {m.group(1) for m in found if m}
    numbers = [int(m.group(2)) for m in found if m]
    if len(prefixes) != 1 or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return names[0]
    return f"{names[0]}–{numbers[-1]}"


def _one_type(nodes: Sequence[Node], positions: list[int]) -> bool:
    return len({nodes[i].type for i in positions}) == 1


def _common(names: list[str]) -> str:
    """What consecutive layers' names share (``conv1`` for ``conv1_pad`` …), else the first and
    the last name."""
    import os
    shared = os.path.commonprefix([n.split("_") for n in names])
    if shared:
        return "_".join(shared)
    return f"{names[0]} … {names[-1]}"
