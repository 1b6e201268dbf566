"""The derivation as data: ordered steps with formulas, values and results, and no formatting.

Every size is an exact ``int`` or a sympy expression in the symbols a user declared; every text
is a message key that the renderer translates.
"""
from __future__ import annotations

from fractions import Fraction

from dataclasses import field
from typing import Optional

import sympy

from ..layers.base import Shape
from ..model import Model, Node
from ..records import record
from ..shapes import Window
from ..symbols import Value


@record
class SymbolValue:
    """A symbol of a layer type's formula, what it means (a key, or None) and its value here."""

    symbol: sympy.Symbol
    meaning: Optional[str]
    value: Value


@record
class GroupStep:
    """One weight group: ``formula`` (type symbols) → substituted → ``count``.

    ``reason`` says why a non-trainable group is not trained (a key), None when trainable.
    """

    name: str
    formula: sympy.Expr
    count: Value
    trainable: bool
    buffer: bool
    reason: Optional[str] = None
    tied_to: Optional[str] = None
    """The node whose weights these are (shared or tied): counted there."""


@record
class AxisStep:
    """The output length along one spatial axis: ``window``'s rule with the input length ``n``
    and the window's numbers (``window.values(n)``) gives ``result``."""

    axis: str
    """``height``, ``width``, ``depth``, ``length`` or ``all`` (every axis the same)."""
    n: Value
    window: Window
    result: Value

    @property
    def kind(self) -> str:
        return self.window.kind

    @property
    def values(self) -> dict[sympy.Symbol, Value]:
        return self.window.values(self.n)


@record
class ShapeStep:
    """How the output shape follows from the input shape.

    kind: ``spatial`` (``axes`` give each spatial length), ``flatten`` (``factors`` multiply to
    the length), ``same`` (unchanged by what the layer does), ``bidirectional`` (two directions
    concatenated, ``factors`` their widths), ``bidirectional_merged`` (combined element by element), ``recurrent`` (the
    time axis kept or dropped, ``sequences``), ``lookup`` (an embedding: every index of the
    input replaced by its vector, a new last axis), ``reshape`` (the same values in another
    arrangement), ``global_pool`` (the spatial axes, ``factors``, pooled away; the channels
    remain) or ``other`` (stated, not derived).
    """

    kind: str
    input: Shape
    output: Shape
    axes: tuple[AxisStep, ...] = ()
    factors: tuple[Value, ...] = ()
    spatial: int = 0
    """How many spatial axes ``axes`` stand for (one ``all`` axis may stand for several)."""
    padding: Optional[str] = None
    """The layer's padding mode (``valid``, ``same``, ``causal``) where it names one."""
    sequences: Optional[bool] = None
    """A recurrent layer's ``return_sequences`` (a state for every time step, or the last one);
    None where the layer has no such choice."""
    merge: Optional[str] = None
    """A bidirectional layer's merge_mode other than ``concat`` (``sum``, ``mul``, ``ave``)."""
    edges: tuple[tuple[str, Value, int, int, Value], ...] = ()
    """A padding or cropping layer's axes: (axis name, input length, entries at the start, at the
    end, output length); ``edge_sign`` +1 where they are added, −1 where cut off."""
    edge_sign: int = 1
    edge_argument: Optional[str] = None
    first: int = 0
    """The first position a lookup of ``positions`` reads (``shapes.first_position``)."""
    indexes: Optional[str] = None
    """What a lookup's indices are where its table says so (the meaning of the table's size:
    ``positions``, ``type_vocabulary``, ``buckets``); None: the input's indices (tokens)."""
    stride_argument: Optional[str] = None
    """The stride argument as code where the step states it (``strides=2``)."""
    default_stride: Optional[str] = None
    """A pooling layer's stride argument left out (``strides=None``): the stride is the pool size."""
    in_order: bool = False
    """A ``reshape`` whose values keep their order, only the shape changes (the layer's
    ``output_is_view``: Reshape, Unflatten); else they move (Permute, PixelShuffle)."""


@record(frozen=False)
class LayerStep:
    """The derivation of one layer (standing for ``nodes``, identical, when it is repeated)."""

    node: Node
    role: str
    """What the layer is: its class's ``role`` (``conv``, ``dense``, ``pool``, …)."""
    explanation: Optional[str]
    """What the layer does: its class's explanation for these weights (a message id)."""
    formula: sympy.Expr
    """P in the type's symbols: the sum of the parameter groups (buffers excluded)."""
    symbols: tuple[SymbolValue, ...]
    groups: tuple[GroupStep, ...]
    params: Value
    """All copies' parameters (``repeat`` × one copy's), tied groups included."""
    trainable: Value
    non_trainable: Value
    buffers: Value
    shape: ShapeStep
    notes: tuple[str, ...] = ()
    """Framework conventions and traps that apply (message keys)."""
    frozen: bool = False
    """The whole layer was set ``trainable=False``."""
    same_as: Optional[str] = None
    """An earlier layer with the same type, hyperparameters and input shape (derived there)."""
    repeat: Value = 1
    """The node stands for this many identical copies (a transformer's L blocks)."""
    params_one: Value = 0
    """One copy's parameters."""
    own: Value = 0
    """What the model's total counts for this layer: shared or tied groups left out."""
    parts: tuple[tuple[str, str, Value], ...] = ()
    """For a nested model used as a layer: (name, type, parameters) of each of its layers."""
    display: Optional[sympy.Expr] = None
    """``formula`` as a textbook writes it (``Layer.display_formula``), printed as written."""
    note_values: tuple[tuple[str, Value], ...] = ()
    """Numbers a note says (placeholder, value): the layer's own (``Layer.note_values``), and
    counts of the whole model, the biases batch normalization cancels."""

    @property
    def values(self) -> dict[sympy.Symbol, Value]:
        return {s.symbol: s.value for s in self.symbols}

    @property
    def has_weights(self) -> bool:
        return bool(self.groups)


@record(frozen=False)
class Block:
    """Consecutive layers derived once and counted ``repeat`` times.

    ``steps`` derive the first repetition; ``names[r]`` are the layer names of repetition r.
    A single layer that is not repeated is a block of one step and ``repeat == 1``.
    """

    steps: list[LayerStep]
    repeat: int = 1
    names: list[list[str]] = field(default_factory=list)

    @property
    def params(self) -> Value:
        """Parameters of one repetition (shared weights excluded)."""
        return _sum(s.own for s in self.steps)

    @property
    def total(self) -> Value:
        return _sum([self.params] * self.repeat) if self.repeat > 1 else self.params

    @property
    def single(self) -> bool:
        return self.repeat == 1 and len(self.steps) == 1


@record
class Memory:
    """The parameters' memory: ``count`` × ``bytes_per`` bytes at ``dtype``; MB 10⁶, MiB 2²⁰."""

    dtype: str
    bytes_per: int
    count: int
    bytes: int

    @property
    def megabytes(self) -> Fraction:
        """Exact (a float would overflow past 10³⁰⁸ bytes)."""
        return Fraction(self.bytes, 10**6)

    @property
    def mebibytes(self) -> Fraction:
        return Fraction(self.bytes, 2**20)


@record(frozen=False)
class Derivation:
    """A whole model's derivation: blocks in order, the sum, the symbolic total, the split."""

    model: Model
    blocks: list[Block]
    steps: list[LayerStep]
    """Every layer's step in model order (for the summary table), repeated ones included."""
    total_expr: Value
    total: int
    trainable: int
    non_trainable: int
    buffers: int
    memory: Memory
    expanded: bool = False
    runs: Optional[list[tuple[int, int, int]]] = None
    """``group_blocks(model.nodes)``, the (start, period, repeats) runs the blocks come from (for
    the pictures, which frame the same runs); None where ``expanded``."""

    @property
    def symbolic(self) -> bool:
        return bool(self.model.symbols)

    @property
    def terms(self) -> list[tuple[Value, int]]:
        """The sum of the layers: (parameters of one repetition, repetitions), zeros left out."""
        return [(b.params, b.repeat) for b in self.blocks if b.params != 0]


def _sum(values) -> Value:
    total: Value = 0
    for v in values:
        total = total + v
    if isinstance(total, sympy.Basic) and total.is_Integer:
        return int(total)
    return total
