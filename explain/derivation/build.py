"""From a model to its derivation: each layer's step, repeated layers and blocks grouped × N."""
from __future__ import annotations

import bisect
import copy
import os
from typing import Mapping, NamedTuple, Optional, Sequence

import sympy

from ..errors import ExplainError
from ..layers.base import Layer
from ..model import Model, Node
from ..notation import meaning, symbol_order
from ..symbols import Value, to_expr
from .shapes import shape_step
from .stages import shortcut_projections
from .steps import Block, Derivation, GroupStep, LayerStep, Memory, SymbolValue

BYTES_PER = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4,
             "int16": 2, "int8": 1, "uint8": 1, "float8_e4m3fn": 1, "float8_e5m2": 1, "bool": 1}


def _meaning(layer: Layer, s: sympy.Symbol, value: Value,
             declared: Mapping[str, str] | None) -> str | None:
    """What ``s`` stands for in ``layer``: what the source declares its value means, else what the
    layer's class (or the class of the layer it wraps) says, else the common meaning."""
    if not (declared and isinstance(value, sympy.Symbol) and value.name in declared):
        inner = layer.wrapped()
        own = _class_meaning(type(layer), s.name) or (_class_meaning(type(inner), s.name) if inner else None)
        if own:
            return own
    return meaning(s, value, declared)


_CLASS_MEANINGS: dict[tuple[type, str], Optional[str]] = {}


def _class_meaning(cls: type[Layer], name: str) -> str | None:
    """``cls.meaning_of(name)``, once per class and symbol (a model asks for it at every layer)."""
    key = (cls, name)
    if key not in _CLASS_MEANINGS:
        _CLASS_MEANINGS[key] = cls.meaning_of(name)
    return _CLASS_MEANINGS[key]


def layer_notes(node: Node) -> tuple[str, ...]:
    """The convention notes of the layer (``Layer.notes()`` keys); a wrapper says which of the
    wrapped layer's are true of itself (a count of one direction is not a Bidirectional's)."""
    return tuple(dict.fromkeys(node.layer.notes_for(node.input_shapes)))


def _reason(node: Node, name: str, trainable: bool, buffer: bool) -> Optional[str]:
    if buffer:
        return "buffer"
    if trainable:
        return None
    if not node.layer.trainable:
        return "frozen"
    if getattr(node.layer, "lora_rank", None) and name in ("kernel", "embeddings"):
        return "lora_frozen"
    if name.startswith("moving_") or name.startswith("running_"):
        return "moving_stats"
    if name in ("mean", "variance", "count"):
        return "adapt_stats"
    return "not_trainable"


def _own_symbols(free: set, values: Mapping[sympy.Symbol, Value],
                 declared: Mapping[str, str] | None) -> dict[sympy.Symbol, sympy.Symbol]:
    """Type symbols whose value is a declared symbol with a meaning of its own (an Embedding's
    V = T, the number of positions): shown as that symbol, so that a row never gives a symbol
    the model uses for something else (V, the vocabulary) another meaning. A renaming that
    would clash with another of the layer's symbols is left out."""
    if not declared:
        return {}
    rename: dict[sympy.Symbol, sympy.Symbol] = {}
    for s in free:
        t = values.get(s)
        if isinstance(t, sympy.Symbol) and t.name in declared and t != s:
            rename[s] = t
    return {s: t for s, t in rename.items()
            if not (t in free and t not in rename and values.get(t) != t)}


def layer_step(node: Node, declared: Mapping[str, str] | None = None) -> LayerStep:
    """One layer's derivation: role, formula, symbols with values, groups, shape, notes."""
    free = set()
    for w in node.weights:
        free |= w.formula.free_symbols
    rename = _own_symbols(free, node.values, declared)
    formula = node.formula.xreplace(rename) if rename else node.formula
    values = {rename.get(s, s): v for s, v in node.values.items() if s in free}
    shown = {rename.get(s, s) for s in free}
    symbols = tuple(SymbolValue(s, _meaning(node.layer, s, values[s], declared), values[s])
                    for s in sorted(shown, key=symbol_order) if s in values)
    # the L of "L copies" is defined with the others; a block's repetition sentence gives L = 12
    # itself, and one block's formula P_1 does not depend on L
    if not isinstance(node.repeat, int) and node.layer.role != "transformer_block":
        for s in sorted(to_expr(node.repeat).free_symbols - shown, key=symbol_order):
            symbols += (SymbolValue(s, meaning(s, s, declared), s),)
    groups = tuple(GroupStep(w.name, w.formula.xreplace(rename) if rename else w.formula, w.count,
                             w.trainable, w.buffer,
                             _reason(node, w.name, w.trainable, w.buffer), w.tied_to)
                   for w in node.weights)
    one = sum((w.count for w in node.weights if not w.buffer), 0)
    own = node.own("params")
    layer = node.layer
    explanation = layer.explanation_for([g.name for g in groups if not g.buffer])
    inner = layer.nested()
    parts = tuple((n.name, n.type, n.params) for n in inner.nodes) if inner is not None else ()
    return LayerStep(node=node, role=layer.role, explanation=explanation, formula=formula,
                     symbols=symbols, groups=groups,
                     params=node.params, trainable=node.trainable, non_trainable=node.non_trainable,
                     buffers=node.buffers, shape=shape_step(node), notes=layer_notes(node), note_values=layer.note_values_for(node.values),
                     frozen=not node.layer.trainable and bool(node.weights), repeat=_value(node.repeat),
                     params_one=_value(one), own=_value(own), parts=parts,
                     display=None if rename else layer.display_formula())


def _value(v) -> Value:
    return int(v) if isinstance(v, sympy.Basic) and v.is_Integer else v


def _signature(node: Node) -> tuple:
    return (node.type, repr(node.layer), node.input_shapes, node.output_shape, node.shares is None,
            str(node.repeat), tuple(w.tied_to for w in node.weights))


def _feeds(flow: "_Flow", start: int, p: int, m: int) -> bool:
    """Repetition ``m`` (counted from 0) of ``p`` layers from ``start`` takes an input from the
    one before: the repeats follow one another in the data flow (not parallel branches such as
    a projection shortcut beside a residual block's last convolution)."""
    lo, hi = start + (m - 1) * p, start + m * p
    if max(flow.last[hi:hi + p]) < lo:  # no layer of repetition m reads one that far on
        return False
    return any(lo <= q < hi for k in range(hi, hi + p) for q in flow.reads[k])


class _Flow(NamedTuple):
    """Which layers each layer reads, by position in the model's list of layers."""
    reads: list[tuple[int, ...]]
    last: list[int]
    """The last position each layer reads (-1: only the model's inputs)."""


def _flow(nodes: Sequence[Node]) -> _Flow:
    at: dict[str, list[int]] = {}
    for k, n in enumerate(nodes):
        at.setdefault(n.name, []).append(k)
    reads = [tuple(q for i in n.inputs for q in at.get(i, ())) for n in nodes]
    return _Flow(reads, [max(r, default=-1) for r in reads])


def group_blocks(nodes: Sequence[Node], max_period: int = 64,
                 signatures: Sequence[tuple] | None = None) -> list[tuple[int, int, int]]:
    """(start, period, repeats) runs covering ``nodes``: the longest run of a repeated block of
    consecutive layers at each position (the shortest period among equals), whose repetitions
    each feed the next. ``signatures``: the nodes' ``_signature``, when the caller has them."""
    ids: dict[tuple, int] = {}
    sig = [ids.setdefault(s, len(ids)) for s in (signatures if signatures is not None else map(_signature, nodes))]
    flow = _flow(nodes)
    at: dict[int, list[int]] = {}
    for k, s in enumerate(sig):
        at.setdefault(s, []).append(k)
    out: list[tuple[int, int, int]] = []
    i, n = 0, len(sig)
    while i < n:
        best = (1, 1)  # (period, repeats)
        longest = min(max_period, (n - i) // 2)
        same = at[sig[i]]  # a block of p repeats only where layer i + p is like layer i
        first = bisect.bisect_right(same, i)
        for p in (j - i for j in same[first:first + longest] if j - i <= longest):
            r = 1
            while i + (r + 1) * p <= n and sig[i + r * p:i + (r + 1) * p] == sig[i:i + p] \
                    and _feeds(flow, i, p, r):  # the earlier repetitions were checked
                r += 1
            if r >= 2 and p * r > best[0] * best[1]:
                best = (p, r)
        p, r = best
        if r >= 2:
            shift = _phase(nodes, sig, flow, i, p, r)
            out.extend((j, 1, 1) for j in range(i, i + shift))
            i += shift
        out.append((i, p, r))
        i += p * r
    return out


def _phase(nodes: Sequence[Node], sig: Sequence[int], flow: _Flow, i: int, p: int, r: int) -> int:
    """How far to shift a run of ``r`` blocks of ``p`` layers found at ``i`` so that each block
    begins and ends where the model's names say a block does (``conv2_block2_1_conv`` …
    ``conv2_block2_out``, not ``conv2_block1_add`` … ``conv2_block2_3_bn``): the shift, among
    those that keep ``r`` repeats, whose first and last names share the longest prefix."""
    def repeats(start: int) -> bool:
        block = sig[start:start + p]
        return start + r * p <= len(sig) and all(
            sig[start + m * p:start + (m + 1) * p] == block for m in range(1, r)) \
            and all(_feeds(flow, start, p, m) for m in range(1, r))

    def shared_prefix(start: int) -> int:
        first, last = nodes[start].name, nodes[start + p - 1].name
        return len(os.path.commonprefix([first, last]))

    shifts = [k for k in range(p) if repeats(i + k)]
    return max(shifts, key=lambda k: (shared_prefix(i + k), -k))


def memory(model: Model, total: int) -> Memory:
    dtype = model.dtype if model.dtype in BYTES_PER else "float32"
    per = BYTES_PER[dtype]
    return Memory(dtype, per, total, total * per)


def _number(model: Model, value: Value) -> Optional[int]:
    """``value`` as a number, or None where it depends on a symbol without a value."""
    try:
        return model.evaluate(value)
    except ExplainError:
        return None


def _bias_before_batchnorm(model: Model, steps: Sequence[LayerStep]) -> None:
    """A convolution or dense layer whose output only a batch normalization reads: without a
    bias, say why it has none (β does the bias's work); with one (Keras's ResNet50), say at the
    first such layer that these biases cancel out, with the model's count of them and what the
    model would count without them and with the moving statistics as buffers (PyTorch's way)."""
    cancelled: list[LayerStep] = []
    for s in steps:
        layer = s.node.layer
        if layer.role not in ("conv", "dense", "depthwise", "separable"):
            continue
        after = model.readers.get(s.node.name, [])
        if not (after and all(r.layer.role == "batchnorm" for r in after)):
            continue
        if getattr(layer, "use_bias", getattr(layer, "bias", True)) is False:
            s.notes = s.notes + ("bias_before_batchnorm",)
        elif any(g.name == "bias" for g in s.groups):
            cancelled.append(s)
    if not cancelled or any(s.repeat != 1 for s in steps):
        return
    bias = _number(model, sum((g.count for s in cancelled for g in s.groups if g.name == "bias"), 0))
    moving = _number(model, sum((g.count for s in steps for g in s.groups if g.reason == "moving_stats"), 0))
    total = _number(model, model.total_expr)
    if bias is None or moving is None or total is None:
        return
    first = cancelled[0]
    # the note names what these layers are: convolutions, dense layers, or both
    dense = {s.node.layer.role == "dense" for s in cancelled}
    kind = "_dense" if dense == {True} else "_mixed" if len(dense) == 2 else ""
    one = len(cancelled) == 1
    first.notes = first.notes + ("bias_cancelled_by_batchnorm" + kind + ("_one" if one else ""),)
    first.note_values = first.note_values + (("count", len(cancelled)), ("biases", bias), ("total", total),
                         ("without", total - bias - moving))


def _projection_shortcuts(model: Model, steps: Sequence[LayerStep]) -> None:
    """A residual block's projection shortcut says what it is (it runs beside the main path)."""
    names = shortcut_projections(model.nodes)
    for s in steps:
        if s.node.name in names:  # with stride 1 it changes only the number of channels
            strided = any(x != 1 for x in getattr(s.node.layer, "strides", (1,)))
            after = model.readers.get(s.node.name, [])
            bn = "_bn" if after and all(r.layer.role == "batchnorm" for r in after) else ""
            s.notes = s.notes + (("projection_shortcut" if strided else "projection_shortcut_channels") + bn,)


def _layer_steps(model: Model, signatures: Sequence[tuple] | None) -> list[LayerStep]:
    """Every node's step. With ``signatures``, a node whose signature an earlier node has (the
    same type, arguments, input and output shapes, sharing and repeat, hence the same weights,
    values and shape step) takes a copy of that node's step with its own node: a 4,000-layer
    CNN has a few dozen distinct layers."""
    declared = model.symbol_meanings
    if signatures is None:
        return [layer_step(n, declared) for n in model.nodes]
    first: dict[tuple, LayerStep] = {}
    steps: list[LayerStep] = []
    for node, signature in zip(model.nodes, signatures):
        earlier = first.get(signature)
        if earlier is None:
            step = first[signature] = layer_step(node, declared)
        else:
            step = copy.copy(earlier)
            step.node = node
        steps.append(step)
    return steps


def derive(model: Model, expand: bool = False) -> Derivation:
    """The derivation of ``model``; repeated identical layers and blocks once, × N (unless ``expand``)."""
    signatures = None if expand else [_signature(n) for n in model.nodes]  # a layer's repr: once per node
    steps = _layer_steps(model, signatures)
    _bias_before_batchnorm(model, steps)
    _projection_shortcuts(model, steps)
    blocks: list[Block] = []
    runs = None
    if signatures is None:
        blocks = [Block([s], 1, [[s.node.name]]) for s in steps]
    else:
        seen: dict[tuple, str] = {}
        runs = group_blocks(model.nodes, signatures=signatures)
        for start, period, repeat in runs:
            first = steps[start:start + period]
            names = [[s.node.name for s in steps[start + r * period:start + (r + 1) * period]]
                     for r in range(repeat)]
            if period == 1 and repeat == 1:
                sig = signatures[start]
                if first[0].has_weights and sig in seen and first[0].node.shares is None \
                        and first[0].repeat == 1:
                    first[0].same_as = seen[sig]
                seen.setdefault(sig, first[0].node.name)
            blocks.append(Block(list(first), repeat, names))
    total_expr = model.total_expr
    total = model.evaluate(total_expr)
    return Derivation(model=model, blocks=blocks, steps=steps, total_expr=total_expr, total=total,
                      trainable=model.trainable, non_trainable=model.non_trainable,
                      buffers=model.buffers, memory=memory(model, total), expanded=expand, runs=runs)
