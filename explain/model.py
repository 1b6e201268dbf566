"""The model: layers in a graph, with shapes propagated and weights counted.

Counts are exact ints, or sympy expressions in the symbols a user declared; the totals are
sums over layers, with shared weights counted once.
"""
from __future__ import annotations

import dataclasses
from dataclasses import field
from fractions import Fraction
from functools import cached_property, lru_cache
from math import prod
from operator import itemgetter
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, Sequence

import sympy

from .compute import FLOPS_PER_MAC, ONE_PRODUCT, TRAINING_FACTOR, Cost, NotDerived
from .errors import ExplainError
from .layers.base import Group, Layer, Shape, format_shape
from .records import record
from .symbols import MAX_EXPR_SIZE, Value, as_value, at_values, expand_bounded, expr_size, to_expr

if TYPE_CHECKING:
    from .kaplan import Kaplan
    from .memory import Activations, ModelStates


@record
class Weight:
    """One weight group of a layer instance: its formula in the type's symbols and its size."""

    name: str
    formula: sympy.Expr
    count: Value
    trainable: bool
    buffer: bool = False
    tied_to: str | None = None
    """The weight group of ``Node.shares`` that this one is (shared or tied weights): it is
    counted there, not again in the model's totals."""


_OWN: dict[str, str] = {kind: "own " + kind for kind in ("params", "trainable", "non_trainable", "buffers")}
"""``Node.own``'s key for each count: the weights of that count not tied to another node's."""


def _counts_of(buffer: bool, trainable: bool, tied: bool) -> tuple[str, ...]:
    """The counts a weight is part of: a buffer is in ``buffers``; a parameter in ``params`` and
    in ``trainable`` or ``non_trainable``; each also in its ``own`` count unless it is tied to
    another node's weight."""
    kinds = ("buffers",) if buffer else ("params", "trainable" if trainable else "non_trainable")
    return kinds if tied else kinds + tuple(_OWN[k] for k in kinds)


_COUNTS_OF = {(buffer, trainable, tied): _counts_of(buffer, trainable, tied)
              for buffer in (False, True) for trainable in (False, True) for tied in (False, True)}
"""``_counts_of`` for each kind of weight: (buffer, trainable, tied to another node's)."""

_NONE: dict[str, Value] = {key: 0 for kind in _OWN.items() for key in kind}
"""Every count of a node without weights."""


@record(frozen=False)
class Node:
    """A layer applied in the model: its inputs, shapes, symbol values and weights."""

    name: str
    layer: Layer
    inputs: tuple[str, ...]
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    values: Mapping[sympy.Symbol, Value]
    weights: tuple[Weight, ...]
    shares: str | None = None
    """The name of the node whose weights this one reuses (counted once, there)."""
    repeat: Value = 1
    """How many identical copies of this layer follow one another (a transformer's L blocks).

    ``weights`` hold one copy's counts; ``params``, ``trainable``, … and the model's totals are
    ``repeat`` times them. Renderers show "× repeat"."""

    output_shapes: tuple[Shape, ...] = ()
    """Every output, for a layer that returns several (an RNN with ``return_state``, Bidirectional
    with ``merge_mode=None``); empty otherwise. ``output_shape`` is the first, the one that
    references to this node mean."""
    context: Value | None = None
    """The sequence length compute assumes where a shape leaves it unknown (``Model.set_context``)."""
    interleaved: bool = False
    """The ``repeat`` copies are not consecutive: another row's copies come between them (Llama 3.2
    Vision's cross-attention layers among its self-attention layers)."""

    @property
    def type(self) -> str:
        return self.layer.type_name

    def _sums(self) -> dict[str, Value]:
        """Every count (``params``, ``trainable``, ``non_trainable``, ``buffers`` and their ``own``
        ones) in one pass over the weights: the sum of the weights in it, times ``repeat``."""
        sums = dict(_NONE)
        for w in self.weights:
            for key in _COUNTS_OF[bool(w.buffer), bool(w.trainable), w.tied_to is not None]:
                sums[key] = sums[key] + w.count
        once = isinstance(self.repeat, int) and self.repeat == 1
        for key, one in sums.items():
            if not isinstance(one, int):
                one = sums[key] = as_value(one)
            if not once:
                sums[key] = as_value(self.repeat * one)
        return sums

    def _counted(self, key: str) -> Value:
        """The count ``key`` (see ``_sums``); every count summed once for these weights and this
        repeat (the summary table, the stages and the pictures ask each node for its counts many
        times); ``weights`` or ``repeat`` assigned anew (a tied weight found later) are summed again."""
        memo = self.__dict__.get("_memo")
        if memo is None or memo[0] is not self.weights or memo[1] is not self.repeat:
            memo = self.__dict__["_memo"] = (self.weights, self.repeat, self._sums())
        return memo[2][key]

    @property
    def outputs(self) -> tuple[Shape, ...]:
        """Every output shape (one for most layers)."""
        return self.output_shapes or (self.output_shape,)

    @property
    def params(self) -> Value:
        return self._counted("params")

    def own(self, kind: str) -> Value:
        """``params``, ``trainable``, ``non_trainable`` or ``buffers`` without the weights that are
        shared with or tied to another node (those count there): what the totals add up."""
        return self._counted(_OWN[kind])

    @property
    def trainable(self) -> Value:
        return self._counted("trainable")

    @property
    def non_trainable(self) -> Value:
        return self._counted("non_trainable")

    @property
    def buffers(self) -> Value:
        return self._counted("buffers")

    # -- compute (explain.compute): one sample, every copy
    @cached_property
    def _cost(self) -> Cost | str:
        def known(shape: Shape) -> Shape:
            return tuple(self.context if d is None else d for d in shape)
        inputs, out = self.input_shapes, self.output_shape
        if self.context is not None:
            inputs, out = tuple(known(s) for s in inputs), known(out)
        try:
            return self.layer.cost(inputs, out, self.values)
        except NotDerived as e:
            return e.reason

    @property
    def cost(self) -> Cost | None:
        """One copy's compute formulas and their values; None where it is not derived."""
        return self._cost if isinstance(self._cost, Cost) else None

    @property
    def cost_missing(self) -> str | None:
        """Why the compute is not derived (``no_rule``, ``unknown_size``), or None."""
        return self._cost if isinstance(self._cost, str) else None

    def _at(self, part: str) -> Value | None:
        """The cost's ``part`` (``macs``, ``other``) at this node's values, every copy; None where
        the compute is not derived. Once per node for this cost, repeat and values (the totals and
        the node's own row ask for it); the substitution itself once per distinct formula and
        values (ResNet152's 517 layers have a few dozen). The model's totals are kept per context."""
        cost = self.cost
        if cost is None:
            return None
        memo = self.__dict__.get("_cost_memo")
        if memo is None or memo[0] is not cost or memo[1] is not self.repeat or memo[2] is not self.values:
            memo = self.__dict__["_cost_memo"] = (cost, self.repeat, self.values, {})
        found: dict[str, Value] = memo[3]
        if part not in found:
            one = substitute(getattr(cost, part), {**self.values, **cost.values})
            found[part] = one if isinstance(self.repeat, int) and self.repeat == 1 else as_value(self.repeat * one)
        return found[part]

    @property
    def macs_formula(self) -> sympy.Expr | None:
        """One copy's multiply-accumulates in the type's symbols."""
        return None if self.cost is None else self.cost.macs

    @property
    def macs(self) -> Value | None:
        """Multiply-accumulates for one sample (every copy); None where not derived."""
        return self._at("macs")

    @property
    def other_ops(self) -> Value | None:
        """Other (elementwise) operations for one sample (every copy); None where not derived."""
        return self._at("other")

    @property
    def formula(self) -> sympy.Expr:
        """The parameter count of one copy in the layer type's symbols (Σ of its non-buffer groups)."""
        return sympy.Add(*(w.formula for w in self.weights if not w.buffer))


@record(frozen=False)
class Model:
    """A model read from any source. ``symbols`` maps declared symbols to their values."""

    name: str
    framework: str
    inputs: dict[str, Shape]
    nodes: list[Node]
    symbols: dict[sympy.Symbol, int] = field(default_factory=dict)
    source: str | None = None
    dtype: str = "float32"
    """How the parameters are stored (a numpy/torch dtype name), for the memory they take."""
    symbol_meanings: dict[str, str] = field(default_factory=dict)
    """What declared symbols stand for, as the derivation's meaning keys, where the source says
    (a Hugging Face config's T is the number of positions)."""
    notes: tuple[tuple[str, tuple[tuple[str, str | int], ...]], ...] = ()
    """What the derivation says about the model as a whole, first: (message key, (name, text)
    arguments) — the architecture a config did not name and was assumed, the generic route."""
    details: dict[str, object] = field(default_factory=dict)
    """Facts about the source that the JSON output reports as they are (``architecture``,
    ``architecture_given``, ``route``)."""
    drawn: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The layers whose arrows in the picture are not their inputs: layer → what the picture draws
    as feeding it (a decoder block also reads the encoder's output in its cross-attention; a
    weight owner applied only through the layers that share it has no arrow of its own)."""
    cross: dict[str, str] = field(default_factory=dict)
    """A decoder layer → the encoder layer whose output its cross-attention reads: an arrow of the
    picture, which draws the decoder below the encoder."""

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    @cached_property
    def readers(self) -> dict[str, list[Node]]:
        """Each layer's or input's name → the layers that read its output, in the model's order
        (built once, when first asked for: after the model is built)."""
        out: dict[str, list[Node]] = {}
        for n in self.nodes:
            for i in n.inputs:
                out.setdefault(i, []).append(n)
        return out

    def counted(self) -> Iterable[Node]:
        """Nodes that own weights counted in the totals (a node that only reuses weights does not)."""
        return (n for n in self.nodes if any(w.tied_to is None for w in n.weights))

    # -- symbolic totals (in the declared symbols); shared or tied weights count once
    @property
    def total_expr(self) -> Value:
        return _sum(n.own("params") for n in self.nodes)

    @property
    def trainable_expr(self) -> Value:
        return _sum(n.own("trainable") for n in self.nodes)

    @property
    def non_trainable_expr(self) -> Value:
        return _sum(n.own("non_trainable") for n in self.nodes)

    @property
    def buffers_expr(self) -> Value:
        return _sum(n.own("buffers") for n in self.nodes)

    @property
    def active_expr(self) -> Value | None:
        """Parameters a token computes with (mixture of experts: the router picks k of the n
        routed experts, so n − k experts' weights sit idle), or None when every weight is active.
        A layer says which of its weights are active with ``Layer.active_formula()``."""
        idle: list[Value] = []
        for n in self.nodes:
            active = n.layer.active_formula()
            if active is None or n.shares is not None:
                continue
            values = {s: to_expr(v) for s, v in n.values.items()}
            one = (n.formula - active).xreplace(values)
            idle.append(n.repeat * one if not (isinstance(n.repeat, int) and n.repeat == 1) else one)
        if not idle:
            return None
        return _sum([self.total_expr, *(-x for x in idle)])

    @property
    def active(self) -> int | None:
        expr = self.active_expr
        return None if expr is None else self.evaluate(expr)

    # -- exact numbers
    def evaluate(self, value: Value) -> int:
        """``value`` with the declared symbols' values substituted: an exact int."""
        if isinstance(value, int):
            return value
        result = at_values(value, self.symbols)
        if result is sympy.nan:
            raise ExplainError(f"'{value}' divides by zero at the declared values")
        if not result.is_Integer:
            raise ExplainError(f"'{value}' does not evaluate to a whole number; undeclared symbols?")
        return int(result)

    def evaluate_shape(self, shape: Shape) -> tuple[int | None, ...]:
        return tuple(None if d is None else self.evaluate(d) for d in shape)

    @property
    def total(self) -> int:
        return self.evaluate(self.total_expr)

    @property
    def trainable(self) -> int:
        return self.evaluate(self.trainable_expr)

    @property
    def non_trainable(self) -> int:
        return self.evaluate(self.non_trainable_expr)

    @property
    def buffers(self) -> int:
        return self.evaluate(self.buffers_expr)

    # -- compute for one sample (explain.compute); None when a layer's is not derived
    context: Value | None = None
    """The sequence length compute assumes where the input's length is unknown (a Hugging Face
    config: T, its context length); None: such a layer's compute is not derived."""

    def set_context(self, length: Value | None) -> None:
        """Count compute at ``length`` tokens wherever a shape leaves the length unknown."""
        self.context = length
        self.__dict__.pop("_compute_totals", None)
        for n in self.nodes:
            n.context = length
            n.__dict__.pop("_cost", None)

    @property
    def macs_per_token_expr(self) -> Value | None:
        """Forward MACs per token at the context length (macs / T), for a sequence model."""
        macs = self.macs_expr
        if macs is None or self.context is None:
            return None
        per = to_expr(macs) / to_expr(self.context)
        expanded = expand_bounded(per)
        return as_value(per if expanded is None else expanded)

    @property
    def macs_per_token(self) -> Fraction | None:
        """Exact: the total at the context length divided by it (may not be whole)."""
        macs, length = self.macs, self.context
        if macs is None or length is None:
            return None
        return Fraction(macs, self.evaluate(length))

    @property
    def compute_not_derived(self) -> tuple[str, ...]:
        """The layers whose compute is not derived (no rule for the type, or an unknown size)."""
        return tuple(n.name for n in self.nodes if n.cost is None)

    def _compute_total(self, part: str) -> Value | None:
        """Σ of every node's cost ``part`` (``macs``, ``other``), None where a layer's compute is
        not derived; once per context (``set_context`` clears it): the compute section, the JSON
        output and the checker ask for the totals many times."""
        totals: dict[str, Value | None] = self.__dict__.setdefault("_compute_totals", {})
        if part not in totals:
            totals[part] = None if self.compute_not_derived else _sum(n._at(part) for n in self.nodes)
        return totals[part]

    @property
    def macs_expr(self) -> Value | None:
        """Multiply-accumulates of a forward pass for one sample, in the declared symbols."""
        return self._compute_total("macs")

    @property
    def other_ops_expr(self) -> Value | None:
        return self._compute_total("other")

    @property
    def macs(self) -> int | None:
        expr = self.macs_expr
        return None if expr is None else self.evaluate(expr)

    @property
    def flops(self) -> int | None:
        """Forward FLOPs for one sample, 2 per MAC (the other operations not included)."""
        macs = self.macs
        return None if macs is None else FLOPS_PER_MAC * macs

    @property
    def training_flops(self) -> int | None:
        """FLOPs of a training step for one sample, C_step ≈ 3 × FLOPs − 2 × MACs_first: the
        backward pass takes about twice the forward, less the gradient with respect to the input
        of the first layer (``first_without_input_gradient``) where it is a single product."""
        flops = self.flops
        return None if flops is None else TRAINING_FACTOR * flops - FLOPS_PER_MAC * self.input_gradient_saved

    @property
    def first_without_input_gradient(self) -> "tuple[Node, int] | None":
        """The first layer with MACs, and its MACs, where no layer before it has trainable
        weights: the backward pass needs no gradient with respect to its input. None where a
        trained layer (an embedding) comes first: then every layer with MACs needs its input
        gradient."""
        for node in self.nodes:
            macs = 0 if node.macs is None else self.evaluate(node.macs)
            if macs > 0:
                return node, int(macs)
            if self.evaluate(node.own("trainable")) != 0:
                return None
        return None

    @property
    def input_gradient_saved(self) -> int:
        """MACs the backward pass saves on the first layer's input gradient: its forward MACs
        where it is a single product (``ONE_PRODUCT``) counted once, else 0 (a recurrent,
        separable or attention layer still needs the gradients inside it; a repeated layer's
        copies after the first need theirs)."""
        first = self.first_without_input_gradient
        if first is None or first[0].layer.role not in ONE_PRODUCT or first[0].repeat != 1:
            return 0
        return first[1]

    @property
    def other_ops(self) -> int | None:
        expr = self.other_ops_expr
        return None if expr is None else self.evaluate(expr)

    def training_memory(self, optimizer: str = "adam", precision: str = "mixed") -> "ModelStates":
        """Bytes of the model states in training: parameters, gradients and optimizer state
        (``optimizer``: sgd, sgd_momentum, adam, adamw; ``precision``: float32 or mixed, as in
        ZeRO: 2 + 2 + 12 = 16 bytes per parameter for mixed-precision Adam)."""
        from .memory import model_states
        return model_states(self, optimizer, precision)

    def activation_memory(self, precision: str = "mixed") -> "Activations":
        """Estimate of the activations kept for the backward pass: every layer's output per
        sample (``.bytes(batch)``), at the working precision's bytes per value."""
        from .memory import activations
        return activations(self, precision)

    def kaplan(self, n_ctx: int | None = None) -> "Kaplan | None":
        """Kaplan et al. 2020's closed forms (N, C_forward per token, C_train = 6ND) for a
        decoder-only transformer, beside the exact count; None for other models. ``n_ctx``: the
        context length (default: the config's positions)."""
        if all(n.layer.kaplan_widths() is None for n in self.nodes):
            return None  # no decoder block (a CNN): without importing kaplan
        from .kaplan import kaplan
        return kaplan(self, n_ctx)

    def derive(self, lang: str = "en", format: str = "markdown", **options: object) -> str:
        """The derivation as text, as ``explain derive`` prints it."""
        from .render import render
        return render(self, lang=lang, format=format, **options)

    def draw(self, format: str = "mermaid", lang: str = "en") -> str:
        """The model drawn, as ``explain draw`` prints it: Mermaid, TikZ or SVG."""
        from .render.draw import draw
        return draw(self, lang=lang, format=format)

    def _repr_markdown_(self) -> str:
        return self.derive(format="markdown")

    def _repr_latex_(self) -> str:
        return self.derive(format="latex", fragment=True)


def _sum(values: Iterable[Value]) -> Value:
    ints = 0
    exprs = []
    for v in values:
        if isinstance(v, int):
            ints += v
        else:
            exprs.append(v)
    if not exprs:
        return ints
    return as_value(sympy.Add(ints, *exprs))


# ----------------------------------------------------------------------------- building

@lru_cache(maxsize=None)
def _free_symbols(formula: sympy.Expr) -> tuple[sympy.Symbol, ...]:
    return tuple(sorted(formula.free_symbols, key=lambda s: s.name))


class _NotPolynomial(Exception):
    """A formula with more than sums, products and whole powers of numbers and its symbols."""


@lru_cache(maxsize=None)
def _polynomial(formula: sympy.Expr) -> Callable[[tuple], int | Fraction] | None:
    """``formula`` as a function of its symbols' values (in ``_free_symbols`` order) in Python's
    exact ints and fractions, for sums, products and whole powers of integers, fractions and the
    symbols (every weight group's count: c_in·c_out·k_h·k_w/g); None for anything else (floor,
    a symbolic exponent). A zero divisor raises ZeroDivisionError."""
    position = {s: i for i, s in enumerate(_free_symbols(formula))}

    def build(e: sympy.Basic) -> Callable[[tuple], int | Fraction]:
        if e.is_Integer:
            integer = int(e)
            return lambda a: integer
        if e.is_Rational:
            fraction = Fraction(int(e.p), int(e.q))
            return lambda a: fraction
        if e.is_Symbol:
            return itemgetter(position[e])
        if e.is_Add or e.is_Mul:
            parts = tuple(build(x) for x in e.args)
            if e.is_Add:
                return lambda a: sum(p(a) for p in parts)
            return lambda a: prod(p(a) for p in parts)
        if e.is_Pow and e.exp.is_Integer:
            base, exp = build(e.base), int(e.exp)
            if exp < 0:
                return lambda a: Fraction(1, base(a) ** -exp)
            return lambda a: base(a) ** exp
        raise _NotPolynomial

    try:
        return build(formula)
    except _NotPolynomial:
        return None


@lru_cache(maxsize=65536)
def _evaluate(formula: sympy.Expr, args: tuple) -> Value:
    """The formula at these values of its symbols: in Python's ints where the formula allows and
    the result is whole (the integer sympy's substitution gives, without building it), else by
    sympy."""
    if all(type(v) is int for v in args):
        rational = _polynomial(formula)
        if rational is not None:
            try:
                found = rational(args)
            except ZeroDivisionError:
                found = None
            if type(found) is int:
                return found
            if type(found) is Fraction and found.denominator == 1:
                return found.numerator
    free = _free_symbols(formula)
    return as_value(formula.xreplace({s: to_expr(v) for s, v in zip(free, args)}))


def substitute(formula: sympy.Expr, values: Mapping[sympy.Symbol, Value]) -> Value:
    """``formula`` with ``values`` put in for its symbols (every one must have a value), once per
    distinct formula and values: a model repeats its layers' formulas and sizes."""
    return _evaluate(formula, tuple(values[s] for s in _free_symbols(formula)))


def count(group: Group, values: Mapping[sympy.Symbol, Value]) -> Value:
    """The size of a weight group: its type's formula with this layer's values substituted."""
    free = _free_symbols(group.formula)
    if not free:
        return as_value(group.formula)
    try:
        return _evaluate(group.formula, tuple(values[s] for s in free))
    except KeyError as missing:  # a layer type that forgot a symbol is a bug, not bad input
        raise RuntimeError(f"no value for {missing} in {group.name}") from None


MAX_LAYERS = 20_000
"""Layers in one model, whatever it is read from: a real model has far fewer (ResNet152 has 517;
a transformer's identical blocks are one repeated layer). Every importer builds through
:class:`GraphBuilder`, which refuses the next one; an importer that knows the count in advance
refuses before any work."""

MAX_DIGITS = 1000
MAX_COUNT = 10**MAX_DIGITS
"""Sizes and counts stay below this: whole models then print exactly in every format."""


def check_layer_count(n: int) -> None:
    """Refuse a model of ``n`` layers if that is more than MAX_LAYERS."""
    if n > MAX_LAYERS:
        raise ExplainError(f"has more than {MAX_LAYERS:,} layers; explain reads models of up to that many")


class GraphBuilder:
    """Adds layers one by one (each after its inputs) and makes the model.

    Errors raised while adding a layer name that layer.
    """

    def __init__(self, name: str, framework: str = "keras",
                 symbols: Mapping[sympy.Symbol, int] | None = None, source: str | None = None) -> None:
        self.model = Model(name=name, framework=framework, inputs={}, nodes=[],
                           symbols=dict(symbols or {}), source=source)
        self._shapes: dict[str, Shape] = {}
        self._nodes: dict[str, Node] = {}
        self._last: str | None = None

    def add_input(self, name: str, shape: Shape) -> None:
        if name in self._shapes:
            raise ExplainError(f"the name '{name}' is used twice", layer=name)
        self.model.inputs[name] = tuple(shape)
        self._shapes[name] = tuple(shape)
        self._last = name

    def add_alias(self, name: str, shape: Shape) -> None:
        """Name a further output of an earlier node (a layer with several outputs, such as a nested
        model) so later layers can take it as an input; it has no weights of its own."""
        if name in self._shapes:
            raise ExplainError(f"the name '{name}' is used twice", layer=name)
        self._shapes[name] = tuple(shape)

    def has(self, name: str) -> bool:
        return name in self._shapes

    def select(self, name: str) -> None:
        """The next layer added without inputs takes the output of ``name`` (an earlier input or
        layer), as it would right after ``name`` was added."""
        if name not in self._shapes:
            raise ExplainError(f"'{name}' is not a model input or an earlier layer", layer=name)
        self._last = name

    def default_inputs(self) -> tuple[str, ...]:
        return (self._last,) if self._last is not None else ()

    def add(self, name: str, layer: Layer, inputs: Sequence[str] | None = None,
            shares: str | None = None, repeat: Value = 1) -> Node:
        """Apply ``layer`` to ``inputs`` (default: the previous layer's output).

        ``repeat``: the layer stands for that many identical copies applied one after another
        (its output shape must equal its input shape when ``repeat`` is not 1)."""
        check_layer_count(len(self.model.nodes) + 1)
        try:
            return self._add(name, layer, inputs, shares, repeat)
        except ExplainError as e:
            raise e.located(layer=name) from None

    def _add(self, name: str, layer: Layer, inputs: Sequence[str] | None, shares: str | None,
             repeat: Value = 1) -> Node:
        if name in self._shapes:
            raise ExplainError(f"the name '{name}' is used twice")
        refs = tuple(inputs) if inputs is not None else self.default_inputs()
        if not refs:
            raise ExplainError("the model has no input before this layer")
        for ref in refs:
            if ref not in self._shapes:
                later = " (it comes later: references must point back, cycles are not allowed)" \
                    if ref == name else ""
                known = ", ".join(list(self._shapes)[-5:])
                raise ExplainError(f"input '{ref}' is not a model input or an earlier layer{later}. "
                                   f"Known so far: {known}")
        shapes = tuple(self._shapes[r] for r in refs)
        out, values = layer.infer(shapes)
        self._check_sizes(out, layer, shapes)
        groups = layer.weight_groups_for(shapes)
        weights = tuple(Weight(g.name, g.formula, count(g, values), g.trainable and layer.trainable,
                               g.buffer) for g in groups)
        if not (isinstance(repeat, int) and repeat == 1) and tuple(out) != tuple(shapes[0]):
            raise ExplainError(f"a repeated layer must keep its input shape "
                               f"{format_shape(shapes[0])}. Received: output shape {format_shape(out)}")
        self._check_counts(weights, repeat)
        if shares is not None:
            weights, shares = self._share(weights, layer, shares)
        extra = layer.extra_outputs(shapes)
        node = Node(name, layer, refs, shapes, tuple(out), values, weights, shares, as_value(repeat),
                    (tuple(out),) + tuple(extra) if extra else ())
        self.model.nodes.append(node)
        self._nodes[name] = node
        self._shapes[name] = node.output_shape
        self._last = name
        return node

    def _share(self, weights: tuple[Weight, ...], layer: Layer,
               owner_name: str) -> tuple[tuple[Weight, ...], str]:
        """Mark the weights that ``layer`` shares with the node ``owner_name`` (counted there).

        The same layer type shares every weight group (a layer applied again); another type ties
        its first weight group to the owner's first (an LM head tied to the embedding). The sizes
        must agree: the shapes must fit the shared weights."""
        owner = self._nodes.get(owner_name)
        if owner is None:
            raise ExplainError(f"'shares' must name an earlier layer. Received: shares={owner_name!r}")
        while owner.shares is not None and all(w.tied_to for w in owner.weights if not w.buffer):
            owner = self._nodes[owner.shares]  # a reuse of a reuse: the weights live at the first
        owner_name = owner.name
        mine = [w for w in weights if not w.buffer]
        theirs = {w.name: w for w in owner.weights if not w.buffer}
        if not mine or not theirs:
            raise ExplainError(f"'shares': {layer.type_name} or '{owner_name}' ({owner.type}) has no "
                               f"weights to share. Received: shares={owner_name!r}")
        if type(layer) is type(owner.layer):
            if [w.name for w in mine] != list(theirs):
                raise ExplainError(f"shares the weights of '{owner_name}' but has other weight groups "
                                   f"({', '.join(w.name for w in mine)} vs {', '.join(theirs)}); give it "
                                   f"the same arguments. Received: shares={owner_name!r}")
            pairs = [(w, theirs[w.name]) for w in mine]
        else:
            pairs = [(mine[0], next(iter(theirs.values())))]
        tied: dict[str, str] = {}
        for w, o in pairs:
            a, b = self.model.evaluate(w.count), self.model.evaluate(o.count)
            if a != b:
                raise ExplainError(f"shares the weights of '{owner_name}', but its input does not fit them: "
                                   f"its {w.name} would have {a} entries, {owner_name}'s {o.name} has {b}. "
                                   f"Received: shares={owner_name!r}")
            tied[w.name] = o.tied_to or o.name
        return tuple(dataclasses.replace(w, tied_to=tied[w.name]) if w.name in tied and not w.buffer
                     else w for w in weights), owner_name

    def _check_sizes(self, shape: Shape, layer: Layer, inputs: Sequence[Shape] = ()) -> None:
        for i, d in enumerate(shape):
            if d is None:
                continue
            if expr_size(d) > MAX_EXPR_SIZE:
                raise ExplainError(f"{layer.type_name} would give a symbolic size on axis {i + 1} with more "
                                   f"than {MAX_EXPR_SIZE} operations (a long chain of strided layers over "
                                   f"a symbol); explain keeps formulas up to that size: give that input "
                                   f"size as a number")
            try:
                n = self.model.evaluate(d) if not isinstance(d, int) else d
            except ExplainError:  # not whole at the symbols' values (a Reshape's -1)
                self._explain_size(layer, inputs)
                raise
            if n >= MAX_COUNT:
                raise ExplainError(f"{layer.type_name} would give an output size of more than "
                                   f"{MAX_DIGITS} digits on axis {i + 1}; explain counts up to that")
            if n <= 0:
                self._explain_size(layer, inputs)
                raise ExplainError(f"{layer.type_name} would give an output of size {n} on axis {i + 1} "
                                   f"(output shape {format_shape(shape)}): the kernel, pool or crop is "
                                   f"larger than the input")

    def _check_counts(self, weights: Sequence["Weight"], repeat: Value) -> None:
        """Every count below MAX_COUNT, so that every format prints it exactly (a Python int of
        more than 4300 digits cannot even be printed)."""
        times = self.model.evaluate(repeat)
        for w in weights:
            if self.model.evaluate(w.count) * times >= MAX_COUNT:
                raise ExplainError(f"the {w.name} would have a count of more than {MAX_DIGITS} digits; "
                                   f"explain counts up to that")

    def _explain_size(self, layer: Layer, inputs: Sequence[Shape]) -> None:
        """With symbolic input sizes, the layer's own (more precise) error at the symbols' values."""
        if not inputs or all(d is None or isinstance(d, int) for s in inputs for d in s):
            return
        try:
            layer.infer([self.model.evaluate_shape(s) for s in inputs])
        except ExplainError as e:
            at = ", ".join(f"{s} = {v}" for s, v in self.model.symbols.items())
            raise ExplainError(f"{e.message} (at {at})") from None

    def draw(self, name: str, feeds: Sequence[str], cross: str | None = None) -> None:
        """The picture draws ``feeds`` (earlier layers or inputs) as the arrows into ``name``, and
        one from ``cross``, the encoder's output its cross-attention reads."""
        for ref in (name, *feeds, *([cross] if cross else [])):
            if ref not in self._shapes:
                raise ExplainError(f"'{ref}' is not a model input or an earlier layer", layer=name)
        self.model.drawn[name] = tuple(feeds)
        if cross:
            self.model.cross[name] = cross

    def build(self) -> Model:
        if not self.model.nodes:
            raise ExplainError("the model has no layers")
        return self.model
