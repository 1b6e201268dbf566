"""Where a graph's boxes go (TikZ and SVG share it; Mermaid lays out its own): data flows down,
each box one row below the lowest box it reads (its rank), boxes of one rank side by side; a
long chain wraps into columns of at most ``rows`` rows; an encoder and the decoder that reads
its output stand side by side (:func:`_side_by_side`). Coordinates are in grid units: a box
is centred at (x, y), one unit wide per slot, y growing downwards."""
from __future__ import annotations

from dataclasses import field
from typing import Optional

from ...records import record
from .graph import Graph

ROWS = 10
"""Rows per column before a long picture wraps into the next column."""


@record(frozen=False)
class Placed:
    """A box's grid position: ``x`` (slots, from 0) and ``y`` (rows, from 0)."""

    x: float
    y: float


@record(frozen=False)
class Layout:
    at: dict[str, Placed]
    routes: dict[tuple[str, str], list[tuple[float, float]]]
    """Each edge's path: the corner points between the source's bottom and the target's top."""
    width: float
    """Slots across the whole picture."""
    height: float
    """Rows down the whole picture."""
    column_width: float
    rows: int
    sides: frozenset[tuple[str, str]] = frozenset()
    """Edges that skip rows within a column and have their rows' right to themselves: they leave
    the source's right side and enter the target's (a residual connection around the boxes it
    skips); their route is the two corners in the lane, at the source's and the target's middle."""
    across: frozenset[tuple[str, str]] = frozenset()
    """Edges from one part drawn beside another into it (the encoder's output into the decoder's
    cross-attention): out of the source's right side into the target's left, level where the rows
    allow (no corners), else through the lane between the parts."""
    ties: dict[tuple[str, str], tuple[str, list[tuple[float, float]]]] = field(default_factory=dict)
    """Shared weights drawn beside other parts: (owner, user) to the side the line leaves the owner
    by (``west`` or ``north``; it enters the user on its left side) and its corners; a pair not here
    is drawn straight (same row) or left of their column."""


GAP = 0.8
"""Horizontal room between two columns of a wrapped picture, in slots (the lane for arrows)."""
SIDE_GAP = 0.3
"""Room between an encoder and the decoder drawn beside it, in slots, besides the 0.12 between
two neighbouring boxes (the lane for the cross-attention's arrow and the shared weights' line)."""


def layout(graph: Graph, rows: int = ROWS, side: bool = True) -> Layout:
    """``side``: an encoder and its decoder side by side where they fit (for a page, whose height
    is short: TikZ); else one below the other (a web page, which scrolls down: SVG)."""
    ids = [b.id for b in graph.boxes]
    preds: dict[str, list[str]] = {i: [] for i in ids}
    for s, t in graph.edges:
        preds[t].append(s)
    rank: dict[str, int] = {}
    joined = {i for e in graph.edges for i in e}
    # a weight owner without arrows (T5's shared, applied as the stacks' embed_tokens) sits
    # above the first box that shares its weights, in a row of its own at the top (beside it, it
    # took a column of its own: T5's picture three slots wide)
    beside = {o: next(t for s, t in graph.shared if s == o) for o, _ in graph.shared if o not in joined}
    joins = set(graph.joins)
    parts = _parts([i for i in ids if i not in beside], [e for e in graph.edges if e not in joins])
    if side and joins and len(parts) > 1:
        placed = _side_by_side(graph, parts, preds, beside, rows)
        if placed is not None:
            return placed
    below = 1 if beside else 0
    for part in parts:
        # pictures not joined by an arrow (or only by the encoder's output into the decoder's
        # cross-attention, where they do not fit side by side) one below the other
        for i in part:  # boxes are in data-flow order: a box's sources come before it
            rank[i] = 1 + max((rank[p] for p in preds[i] if p in rank), default=below - 1)
        below = 1 + max(rank[i] for i in part)
    by_rank: dict[int, list[str]] = {}
    for i in ids:
        if i not in beside:
            by_rank.setdefault(rank[i], []).append(i)
    slot = _slots(by_rank, preds)
    for k, (o, t) in enumerate(beside.items()):
        rank[o], slot[o] = 0, slot[t] + k
    low = min(slot.values(), default=0.0)
    for i in slot:
        slot[i] -= low
    span = max(slot.values(), default=0.0) + 1
    ranks = max(rank.values(), default=0) + 1
    rows = max(1, min(rows, ranks))
    columns = -(-ranks // rows)
    if columns > 1:  # even columns: 17 rows in 2 columns of 9 and 8, not 10 and 7
        rows = -(-ranks // columns)
    colw = span + GAP
    at = {i: Placed(slot[i] + (rank[i] // rows) * colw, float(rank[i] % rows)) for i in ids}
    routes = {(s, t): _route(at[s], at[t], rank[s] // rows, rank[t] // rows, colw, span,
                             rank[t] - rank[s], k) for k, (s, t) in enumerate(graph.edges)}
    sides = set()
    for s, t in graph.edges:
        corners = routes[(s, t)]
        if (rank[s] // rows == rank[t] // rows and rank[t] - rank[s] > 1 and len(corners) == 4
                and not any(i not in (s, t) and rank[i] // rows == rank[s] // rows
                            and at[i].y in (at[s].y, at[t].y) and at[i].x > min(at[s].x, at[t].x) for i in ids)):
            # nothing right of either end in its row: out of the source's side, into the target's
            # (its corners between the rows ran along the borders of the boxes it skips)
            lane = corners[1][0]
            routes[(s, t)] = [(lane, at[s].y), (lane, at[t].y)]
            sides.add((s, t))
    # an edge that skips rows runs in a lane right of its column's boxes (T5's cross-attention)
    lanes = max((x + 0.5 for points in routes.values() for x, _ in points), default=0.0)
    return Layout(at, routes, max(columns * colw - GAP, lanes), float(rows), colw, rows, frozenset(sides))


def _side_by_side(graph: Graph, parts: list[list[str]], preds: dict[str, list[str]], owners: dict[str, str],
                  rows: int) -> Optional[Layout]:
    """An encoder and its decoder side by side, as in Vaswani et al.'s figure (one below the other,
    T5's picture was nine rows tall and shrank to 4pt text under its introduction): each part
    from the top, a part whose box reads an earlier part's output (the cross-attention) starting low
    enough for that arrow to run level; a weight owner without arrows (T5's ``shared``, which the
    input ids go through first) in the top row beside the inputs, in the second part's first slot
    (in the row of ``lm_head``, below the encoder, readers took it for a step after the encoder).
    None where a part is longer than ``rows`` or that place is taken (the parts one below the other).
    TikZ draws the parts one below the other also where this layout would be scaled below 7pt
    box text (:data:`.tikz.READABLE`; T5's, 25 cm wide: 5pt, round 21)."""
    rank: dict[str, int] = {}
    slot: dict[str, float] = {}
    offset: dict[str, float] = {}
    starts: list[float] = []
    left = 0.0
    for part in parts:
        local: dict[str, int] = {}
        for i in part:  # boxes are in data-flow order: a box's sources come before it
            local[i] = 1 + max((local[p] for p in preds[i] if p in local), default=-1)
        shift = max([0] + [rank[s] - local[t] for s, t in graph.joins if t in local and s in rank])
        by_rank: dict[int, list[str]] = {}
        for i in part:
            rank[i] = local[i] + shift
            by_rank.setdefault(rank[i], []).append(i)
        within = _slots(by_rank, {i: [p for p in preds[i] if p in local] for i in part})
        low = min(within.values())
        for i in part:
            slot[i] = within[i] - low + left
            offset[i] = left
        starts.append(left)
        left += max(within.values()) - low + 1 + SIDE_GAP
    ranks = max(rank.values()) + 1
    for k, o in enumerate(owners):
        x = starts[1] + k
        if any(rank[i] == 0 and abs(slot[i] - x) < 1 for i in slot):
            return None
        rank[o], slot[o], offset[o] = 0, x, starts[1]
    if ranks > rows:
        return None
    at = {i: Placed(slot[i], float(rank[i])) for i in rank}
    right = {i: offset[i] + max(slot[j] for j in slot if offset[j] == offset[i]) + 1 for i in slot}

    def lane(x: float) -> float:
        """The middle of the room between the part starting at ``x`` and the one before it."""
        return x - SIDE_GAP / 2 - 0.5

    routes: dict[tuple[str, str], list[tuple[float, float]]] = {}
    across = set()
    for k, (s, t) in enumerate(graph.edges):
        if offset[s] != offset[t]:
            across.add((s, t))
            x = lane(offset[t]) + 0.05
            routes[(s, t)] = [] if at[s].y == at[t].y else [(x, at[s].y), (x, at[t].y)]
        else:
            routes[(s, t)] = _route(at[s], at[t], 0, 0, 0.0, right[s], rank[t] - rank[s], k)
    ties: dict[tuple[str, str], tuple[str, list[tuple[float, float]]]] = {}
    for o, t in graph.shared:
        if o not in owners:
            continue
        if offset[t] == 0.0:  # over the inputs and down the left of the first part
            x = min(slot[i] for i in slot if offset[i] == 0.0) - 0.5
            ties[(o, t)] = ("north", [(at[o].x, -0.5), (x, -0.5), (x, at[t].y)])
        else:  # down the room left of the owner's part, into the user's left side
            x = lane(offset[o]) - 0.05
            ties[(o, t)] = ("west", [(x, at[o].y), (x, at[t].y)])
    width = max([left - SIDE_GAP] + [x + 0.5 for points in routes.values() for x, _ in points])
    return Layout(at, routes, width, float(ranks), starts[1] if len(starts) > 1 else width, ranks,
                  frozenset(), frozenset(across), ties)


def _slots(by_rank: dict[int, list[str]], preds: dict[str, list[str]]) -> dict[str, float]:
    """Each box's slot across, rank by rank: under its sources where it can (their mean slot), in
    data-flow order."""
    slot: dict[str, float] = {}
    for r in sorted(by_rank):
        row = by_rank[r]
        want = {i: (sum(slot[p] for p in preds[i] if p in slot) / len([p for p in preds[i] if p in slot])
                    if any(p in slot for p in preds[i]) else 0.0) for i in row}
        row.sort(key=lambda i: want[i])
        taken: list[float] = []
        for i in row:
            x = max(want[i], taken[-1] + 1 if taken else want[i])
            x = float(round(x * 2) / 2)
            taken.append(x)
            slot[i] = x
    return slot


def _parts(ids: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """The boxes in groups joined by arrows (T5's encoder and decoder), each in data-flow order,
    in the order of their first box: drawn one below the other or, where the cross-attention
    joins them, side by side (one layout for all parts, five boxes in a row, was too wide to read)."""
    root = {i: i for i in ids}

    def find(i: str) -> str:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i
    for s, t in edges:
        root[find(s)] = find(t)
    parts: dict[str, list[str]] = {}
    for i in ids:
        parts.setdefault(find(i), []).append(i)
    return list(parts.values())


def _route(a: Placed, b: Placed, col_a: int, col_b: int, colw: float, span: float, ranks: int,
           k: int) -> list[tuple[float, float]]:
    """Corner points from below ``a`` to above ``b``: straight down within a column (an edge that
    skips rows runs beside the column, right of its boxes); to a later column through the lane
    between the columns and along the top."""
    if col_a == col_b and ranks == 1:
        if a.x == b.x:
            return []
        return [(a.x, a.y + 0.5), (b.x, a.y + 0.5)]
    if col_a == col_b:
        lane = col_a * colw + span - 0.5 + 0.1 * (1 + k % 3)
        return [(a.x, a.y + 0.5), (lane, a.y + 0.5), (lane, b.y - 0.5), (b.x, b.y - 0.5)]
    lane = col_a * colw + span
    return [(a.x, a.y + 0.5), (lane, a.y + 0.5), (lane, -0.5), (b.x, -0.5)]
