"""Claims about compute and training memory: the true value and the known wrong ways to get it.

Compute claims (``macs``, ``flops``) are about one forward pass for one sample, or per token
(``per: token``, the sample's count divided by the model's context length T); memory claims
are the bytes of the model states in training (parameters, gradients, optimizer state,
:mod:`explain.memory`) for an optimizer and a precision. Variants are counts a student who made
a known mistake would get, in the claim's unit, as in :mod:`explain.checker.mistakes`:

- MACs ↔ FLOPs (a factor 2 either way); training FLOPs (3 × forward) given for a forward pass;
- per token ↔ per sequence (a factor T);
- the output's positions taken from the input (``H_in·W_in`` for ``H_out·W_out``);
- a stride, padding or pool size got wrong here or before (the layers re-run, as for shapes);
- the bias adds counted as MACs (``+ c_out·H_out·W_out``);
- Kaplan et al.'s 2N + 2·n_layer·n_ctx·d_attn given for the exact per-token count;
- memory: only the parameters (4 bytes each in float32), no optimizer state, only the
  optimizer's share (ZeRO's K = 12), no 32-bit master copy in mixed precision, one of Adam's two
  moments, non-trainable parameters given gradients and optimizer state, MB for MiB and back.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, Iterable

from ..compute import FLOPS_PER_MAC, TRAINING_FACTOR, NotDerived
from ..errors import ExplainError
from ..memory import per_parameter
from ..model import Node
from ..symbols import as_value, to_expr
from .mistakes import (_NAMED_WHEREVER, Context, Variant, _ancestors, _perturbations, _replay, _spatial,
                       _split, _unique)
from .worksheet import UNITS, Quantity

CODES = ("flops_as_macs", "macs_as_flops", "training_flops", "per_token", "per_sequence",
         "input_size_for_output", "bias_adds_as_macs", "kaplan_approximation",
         "memory_parameters_only", "memory_no_optimizer", "memory_optimizer_only", "memory_no_master",
         "memory_one_moment", "memory_frozen_counted", "memory_unit")
"""The diagnoses of compute and memory claims (the renderer has a sentence for each)."""

_POSITIONED = ("dense", "conv", "conv_transpose", "depthwise", "separable", "recurrent")
"""Roles whose MACs are their weights times the positions they are applied at (bias adds: the
biases times the same positions)."""


class Unjudged(Exception):
    """A compute or memory claim that cannot be judged (the count is not derived)."""


# ----------------------------------------------------------------------------- true values

def context_length(ctx: Context) -> int:
    """T, the sequence length a per-token claim divides by."""
    length = ctx.model.context
    if length is None:
        raise Unjudged("a per-token count needs a sequence model with a context length (a Hugging "
                       "Face config, or --set T=…)")
    value = ctx.int(length)
    if not value:
        raise Unjudged("the model's context length is not a number")
    return value


def macs(ctx: Context, node: Node | None) -> int:
    """MACs of one forward pass for one sample: the layer's (every copy) or the model's."""
    if node is None:
        total = ctx.model.macs
        if total is None:
            missing = ", ".join(ctx.model.compute_not_derived[:4])
            raise Unjudged(f"the compute of the model is not derived (not for: {missing})")
        return total
    value = node.macs
    if value is None:
        raise Unjudged(f"the compute of '{node.name}' is not derived ({node.cost_missing})")
    result = ctx.int(value)
    if result is None:
        raise Unjudged(f"the compute of '{node.name}' is not a number")
    return result


def in_unit(ctx: Context, value: int | Fraction, kind: str, per: str) -> int | None:
    """MACs per sample ``value`` as the claim counts: FLOPs 2 per MAC, per token ÷ T; None where
    that is not a whole number."""
    out = Fraction(value) * (FLOPS_PER_MAC if kind == "flops" else 1)
    if per == "token":
        out /= context_length(ctx)
    return int(out) if out.denominator == 1 else None


def expected_compute(ctx: Context, node: Node | None, kind: str, per: str) -> int:
    value = in_unit(ctx, macs(ctx, node), kind, per)
    if value is None:
        raise Unjudged("the count per token is not a whole number at this context length")
    return value


def memory_bytes(ctx: Context, node: Node | None, optimizer: str, precision: str) -> tuple[int, int, int]:
    """(bytes of the model states, all parameters P, trainable parameters P_t): P·p + P_t·(g + K)."""
    per = per_parameter(optimizer, precision)
    if node is None:
        count, trainable = ctx.model.total, ctx.model.trainable
    else:
        one, train = ctx.int(node.params), ctx.int(node.trainable)
        if one is None or train is None:
            raise Unjudged(f"the count of '{node.name}' is not a number")
        count, trainable = one, train
    return count * per.parameter + trainable * (per.gradient + per.optimizer), count, trainable


# ----------------------------------------------------------------------------- compute variants

def compute_variants(ctx: Context, node: Node | None, kind: str, per: str) -> list[Variant]:
    """Wrong counts in the claim's unit (MACs or FLOPs, per sample or per token)."""
    return ctx.cached(("compute", node.name if node else None, kind, per),
                      lambda: _compute_variants(ctx, node, kind, per))


def _compute_variants(ctx: Context, node: Node | None, kind: str, per: str) -> list[Variant]:
    true = macs(ctx, node)
    out: list[Variant] = []
    base = list(_node_macs_variants(ctx, node) if node is not None else _total_macs_variants(ctx))
    for v in base:
        value = in_unit(ctx, v.value, kind, per)
        if value is not None:
            out.append(Variant(v.code, value, v.detail))
    expected = in_unit(ctx, true, kind, per)
    assert expected is not None
    if kind == "macs":
        out.append(Variant("flops_as_macs", FLOPS_PER_MAC * expected, {}))
    else:
        if expected % FLOPS_PER_MAC == 0:
            out.append(Variant("macs_as_flops", expected // FLOPS_PER_MAC, {}))
        out.append(Variant("training_flops", TRAINING_FACTOR * expected, {}))
    if ctx.model.context is not None:
        length = context_length(ctx)
        if per == "token":
            out.append(Variant("per_sequence", expected * length, {"length": length}))
        else:
            other = in_unit(ctx, true, kind, "token")
            if other is not None:
                out.append(Variant("per_token", other, {"length": length}))
        if node is None:
            out.extend(_kaplan(ctx, kind, per, length))
    return _unique(v for v in out if v.value != expected)


def _kaplan(ctx: Context, kind: str, per: str, length: int) -> Iterable[Variant]:
    """Kaplan et al.'s C_forward ≈ 2N + 2·n_layer·n_ctx·d_attn FLOPs per token, for a decoder."""
    k = ctx.model.kaplan(n_ctx=length)
    if k is None or k.forward_per_token is None:
        return
    flops = Fraction(k.forward_per_token) * (1 if per == "token" else length)
    value = flops if kind == "flops" else flops / FLOPS_PER_MAC
    if value.denominator == 1:
        yield Variant("kaplan_approximation", int(value), {})


def _repeat(ctx: Context, node: Node) -> int:
    return (ctx.int(node.repeat) or 1) if node.repeat != 1 else 1


def _one_copy(ctx: Context, node: Node, formula, values) -> int | None:
    try:
        one = as_value(formula.xreplace({s: to_expr(values[s]) for s in formula.free_symbols}))
    except KeyError:  # a symbol without a value: no variant
        return None
    return ctx.int(one)


def _node_macs_variants(ctx: Context, node: Node) -> Iterable[Variant]:
    yield from _bias_adds(ctx, node)
    yield from _input_positions(ctx, node)
    yield from _shape_macs(ctx, node)


def _bias_adds(ctx: Context, node: Node) -> Iterable[Variant]:
    """MACs + one per bias value and position: the layer's weights multiply at each position, its
    bias is added there (c_out·H_out·W_out for a convolution, n_out for a Dense layer)."""
    from ..compute import is_bias
    if node.layer.role not in _POSITIONED or node.macs is None:
        return
    weights = sum(ctx.int(w.count) or 0 for w in node.weights if not w.buffer and not is_bias(w.name))
    biases = sum(ctx.int(w.count) or 0 for w in node.weights if not w.buffer and is_bias(w.name))
    r = _repeat(ctx, node)
    total = ctx.int(node.macs)
    if not weights or not biases or total is None or (total // r) % weights:
        return
    positions = total // r // weights
    yield Variant("bias_adds_as_macs", total + r * positions * biases, {"bias_adds": r * positions * biases})


def _input_positions(ctx: Context, node: Node) -> Iterable[Variant]:
    """The output's spatial sizes (H_out, W_out …) in the MACs taken from the input."""
    from ..compute import OUT_SYMBOLS
    cost = node.cost
    if cost is None or not node.input_shapes or not _spatial(node):
        return
    used = [s for s in cost.macs.free_symbols if any(s in syms for syms in OUT_SYMBOLS.values())]
    if not used:
        return
    rank = len(used)
    try:
        (spatial_in, _), _join = _split(node.layer, tuple(ctx.int(d) for d in node.input_shapes[0]))
        (spatial_out, _), _join = _split(node.layer, tuple(ctx.int(d) for d in node.output_shape))
    except (ExplainError, TypeError, ValueError):
        return
    if len(spatial_in) != rank or None in spatial_in or tuple(spatial_in) == tuple(spatial_out):
        return
    values = {**node.values, **cost.values, **dict(zip(OUT_SYMBOLS[rank], spatial_in))}
    one = _one_copy(ctx, node, cost.macs, values)
    if one is not None:
        yield Variant("input_size_for_output", one * _repeat(ctx, node),
                      {"input": tuple(spatial_in), "output": tuple(spatial_out)})


def _macs_at(ctx: Context, node: Node, ins: tuple, out: tuple, values: dict) -> int | None:
    """One layer's MACs (every copy) at other input and output shapes."""
    length = ctx.model.context
    if length is not None:
        ins = tuple(tuple(length if d is None else d for d in s) for s in ins)
        out = tuple(length if d is None else d for d in out)
    try:
        cost = node.layer.cost(ins, out, values)
    except (NotDerived, ExplainError, TypeError):
        return None
    one = _one_copy(ctx, node, cost.macs, {**values, **cost.values})
    return None if one is None else one * _repeat(ctx, node)


def _shape_macs(ctx: Context, node: Node) -> Iterable[Variant]:
    """The layer's MACs after a wrong output of a convolution or pooling before it (or its own):
    a stride left out, the other padding, a pool of 2, a pooling skipped, off by one."""
    sources = [n for n in _ancestors(ctx, node) if _spatial(n)][:12]
    for source in sources:
        for code, detail, make in _perturbations(source):
            value = _replayed(ctx, source, make, lambda n: n is node)
            if value is None:
                continue
            named = code if (code in _NAMED_WHEREVER or source is node) else "wrong_input_shape"
            yield Variant(named, value[0], {**detail, "shape": value[1],
                                            "expected_shape": tuple(ctx.int(d) for d in source.output_shape)})


def _replayed(ctx: Context, source: Node, make: Callable, counted: Callable[[Node], bool]):
    """(MACs summed over the ``counted`` layers, ``source``'s new output) with ``source``'s
    output made by ``make``; None where a layer cannot take its new input."""
    model = ctx.model
    shapes = dict(model.inputs)
    total = 0
    new_source = None
    try:
        for n, out, vals in _replay(model.nodes, shapes, source, make):
            if n is source:
                new_source = tuple(ctx.int(d) for d in out)
            if not counted(n):
                continue
            if vals is n.values and out == n.output_shape:
                value = ctx.int(n.macs) if n.macs is not None else None
            else:
                value = _macs_at(ctx, n, tuple(shapes[r] for r in n.inputs), tuple(out), vals)
            if value is None:
                return None
            total += value
    except (ExplainError, TypeError):  # an impossible shape is no variant
        return None
    if new_source is None or any(d is not None and d <= 0 for d in new_source):
        return None
    return total, new_source


def _total_macs_variants(ctx: Context) -> Iterable[Variant]:
    """The model's MACs with one layer's mistake, or with every layer's (bias adds, input sizes),
    and after a wrong shape upstream."""
    true = macs(ctx, None)
    per_code: dict[str, int] = {}
    for node in ctx.model.nodes:
        if node.macs is None:
            continue
        own = ctx.int(node.macs) or 0
        for v in list(_bias_adds(ctx, node)) + list(_input_positions(ctx, node)):
            yield Variant(v.code, true - own + v.value, {**v.detail, "layer": node.name})
            per_code[v.code] = per_code.get(v.code, 0) + v.value - own
    for code, delta in per_code.items():
        detail = {"bias_adds": delta} if code == "bias_adds_as_macs" else {}
        yield Variant(code, true + delta, {**detail, "layer": "every"})
    sources = [n for n in reversed(ctx.model.nodes) if _spatial(n)][:12]
    for source in sources:
        for code, detail, make in _perturbations(source):
            value = _replayed(ctx, source, make, lambda n: True)
            if value is not None and value[0] != true:
                yield Variant(code if code in _NAMED_WHEREVER else "wrong_input_shape", value[0],
                              {**detail, "shape": value[1],
                               "expected_shape": tuple(ctx.int(d) for d in source.output_shape)})


# ----------------------------------------------------------------------------- memory variants

def memory_variants(ctx: Context, node: Node | None, optimizer: str, precision: str) -> list[Variant]:
    """Wrong byte counts of the model states: a part left out, or counted where it is not kept."""
    true, count, trainable = memory_bytes(ctx, node, optimizer, precision)
    per = per_parameter(optimizer, precision)
    out: list[Variant] = []
    full = per.total
    for size in sorted({per.parameter, 4}):
        out.append(Variant("memory_parameters_only", count * size, {"bytes": size, "per": full}))
    if per.optimizer:
        out.append(Variant("memory_no_optimizer", count * per.parameter + trainable * per.gradient,
                           {"state": per.optimizer, "per": full}))
        out.append(Variant("memory_optimizer_only", trainable * per.optimizer,
                           {"optimizer": per.optimizer, "rest": per.parameter + per.gradient}))
    if per.master:
        out.append(Variant("memory_no_master", true - trainable * per.master,
                           {"master": per.master, "per": full, "claimed_per": full - per.master}))
    if optimizer in ("adam", "adamw"):
        out.append(Variant("memory_one_moment", true - trainable * 4, {}))
    if count != trainable:
        out.append(Variant("memory_frozen_counted", count * full, {"non_trainable": count - trainable}))
    return _unique(v for v in out if v.value != true)


def unit_variant(q: Quantity, true: int) -> Variant | None:
    """MB written for a size in MiB, or MiB for one in MB (the other base of the same prefix)."""
    prefix = q.unit[0].upper()
    binary = q.unit.endswith("iB")
    other = next((u for u in UNITS if u[0].upper() == prefix and u.endswith("iB") != binary), None)
    if other is None or not q.fits(true, other):
        return None
    return Variant("memory_unit", true, {"unit": q.unit, "size": UNITS[q.unit], "other": other,
                                         "other_size": UNITS[other]})
