"""Checking a hand calculation: each claim of a worksheet gets a verdict and, where the wrong
number matches a known mistake, a diagnosis (SPEC §5).

    >>> report = check_file("tests/fixtures/worksheets/seed_worksheet.yaml")
    >>> report.all_correct
    False
    >>> [c.diagnosis for c in report.claims if c.verdict != "correct"]
    [['bias_size']]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from ..errors import ExplainError
from ..model import Model, Node
from ..symbols import product
from .arith import Work
from .mistakes import (Context, Variant, layer_variants, match, no_weights, shape_variants, structural,
                       total_variants)
from .verdicts import verdict, wrong_values
from .worksheet import COMPUTE_KINDS, Quantity, RawClaim, Worksheet, read_worksheet

__all__ = ["Claim", "Report", "check_any", "check_file", "check_model", "render_report"]


@dataclass
class Claim:
    """One checked claim: what the worksheet wrote, the true count and the verdict."""

    layer: str | int
    """As the worksheet wrote it: a name, a 1-based position, or ``"total"``."""
    kind: str
    """``params``, ``shape`` (the output size), ``macs``, ``flops``, ``memory`` (bytes of the
    model states in training), or for ``total`` claims ``params``, ``trainable`` or
    ``non_trainable`` (and ``macs``, ``flops``, ``memory``)."""
    claimed: str
    """The claim normalized: ``512*128 + 512 = 65664``."""
    verdict: str
    expected: int | None
    """The true value (None where the claim names no layer of the model)."""
    diagnosis: list[str] = field(default_factory=list)
    work: Work | None = None
    node: Node | None = None
    """The layer the claim is about (None for totals)."""
    mistakes: list[Variant] = field(default_factory=list)
    """The matching variants (with the facts for the sentences), in diagnosis order."""
    line: int = 0
    text: str = ""
    reason: str = ""
    """Why an ``unreadable`` claim could not be judged."""
    place: dict | None = None
    """In a document: ``{"line": N}``, with ``cell`` (and ``output``) or ``page``."""
    attribution: str = ""
    """In a document: why the claim is about its layer (see ``documents.attribute``)."""
    candidates: list[str] = field(default_factory=list)
    found: Any = None
    written: str = ""
    """The claim as the student wrote it (``12 × 768²``), control characters removed: what
    the feedback sheet shows."""
    per: str = "sample"
    """A compute claim: for one sample or per ``token``."""
    optimizer: str = ""
    precision: str = ""
    """A memory claim: the training it is about."""
    quantity: Quantity | None = None
    """A memory claim's size in a unit, as written (``96.5 MB``)."""
    axes: list[dict] = field(default_factory=list)
    """For a shape claim read axis by axis: each wrong axis's ``name`` (height, width, depth,
    length, channels or axis), its 1-based ``axis`` (Keras's numbering, the batch axis 0),
    ``claimed`` and ``expected`` size."""

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"layer": self.layer, "kind": self.kind, "claimed": self.claimed,
               "verdict": self.verdict, "expected": self.expected, "diagnosis": list(self.diagnosis)}
        if self.axes:
            out["axes"] = [dict(a) for a in self.axes]
        if self.kind in COMPUTE_KINDS:
            if self.kind == "memory":
                out.update(unit="bytes", optimizer=self.optimizer, precision=self.precision)
            else:
                out["per"] = self.per
        if self.reason:
            out["reason"] = self.reason
        if self.place is not None:
            out["place"] = dict(self.place)
            out["attribution"] = self.attribution
            if self.candidates:
                out["candidates"] = list(self.candidates)
        return out


@dataclass
class Report:
    """The verdicts for a worksheet, in its order."""

    worksheet: str
    model: Model
    claims: list[Claim]

    @property
    def all_correct(self) -> bool:
        return all(c.correct for c in self.claims)

    def summary(self) -> dict[str, int]:
        """How many claims got each verdict."""
        out: dict[str, int] = {}
        for c in self.claims:
            out[c.verdict] = out.get(c.verdict, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {"all_correct": self.all_correct, "claims": [c.to_json() for c in self.claims]}


def check_file(path: str, model: str | None = None, model_roots: Sequence[str] = ()) -> Report:
    """Read the worksheet at ``path`` and check it against its model (or ``model``). A model the
    worksheet names must be in its folder, a bundled example, or in one of ``model_roots``."""
    sheet = read_worksheet(str(path))
    from ..importers import load
    source = sheet.model_source(model, model_roots)
    try:
        loaded = load(source)
    except ExplainError as e:
        if e.file is None:
            e.file = source
        from ..importers import is_model_file
        import os
        if not model and os.path.isfile(source) and not is_model_file(source):
            # the worksheet named a file that is no model: say so without quoting it
            raise ExplainError("the worksheet's model is not a model file explain reads",
                               file=sheet.path) from None
        raise
    return check_model(sheet, loaded)


def check_any(path: str, model: str | None = None, annotate: bool = False,
              model_roots: Sequence[str] = ()) -> Report:
    """A worksheet or a document, told apart by the file: Markdown, LaTeX, notebooks and PDF
    are documents; a text or YAML file is a worksheet when it has a ``model:`` line or a
    ``claims:`` list, or reads as one, and a document otherwise."""
    from .documents import check_document
    from .documents.read import is_document
    if is_document(str(path)):
        return check_document(path, model)
    if annotate:
        raise ExplainError("--annotate writes documents back (Markdown, LaTeX, text, notebooks); "
                           "this is a worksheet", file=str(path))
    from ..answer_form import is_form
    if is_form(str(path)):  # an exercise's answer form: its model is in it
        from ..exercise.grading import check_form
        return check_form(str(path))
    return check_file(path, model, model_roots)


def check_model(sheet: Worksheet, model: Model) -> Report:
    """Every claim judged; one that cannot be read or judged gets the verdict ``unreadable``
    with its reason. ExplainError (exit 2) only when no claim at all could be judged."""
    ctx = Context(model)
    claims = [_check_or_unreadable(ctx, sheet, raw) for raw in sheet.claims]
    if claims and all(c.verdict == "unreadable" for c in claims):
        first = claims[0]
        raise ExplainError(f"line {first.line}: {first.reason}" if first.line else first.reason,
                           file=sheet.path)
    carried_forward(ctx, claims)
    return Report(sheet.path, model, claims)


class _Unjudged(Exception):
    """A claim that cannot be judged (no such layer, a size that is not known)."""


def _check_or_unreadable(ctx: Context, sheet: Worksheet, raw: RawClaim) -> Claim:
    if raw.work is None and raw.dims is None and raw.quantity is None:
        return _unreadable(raw, raw.error or "unreadable")
    try:
        return _check(ctx, sheet, raw)
    except _Unjudged as e:
        return _unreadable(raw, str(e))


def _unreadable(raw: RawClaim, reason: str) -> Claim:
    return Claim(raw.layer, "params" if raw.kind == "total" else raw.kind, raw.text.strip(), "unreadable",
                 None, line=raw.line, text=raw.text, reason=reason, written=written(raw.text))


def _node(ctx: Context, sheet: Worksheet, raw: RawClaim) -> Node:
    nodes = ctx.model.nodes
    by_name = ctx.by_name
    if isinstance(raw.layer, str) and raw.layer in by_name:
        return by_name[raw.layer]
    if isinstance(raw.layer, int):
        if str(raw.layer) in by_name:
            return by_name[str(raw.layer)]
        if 1 <= raw.layer <= len(nodes):
            return nodes[raw.layer - 1]
        raise _Unjudged(f"there is no layer {raw.layer}: the model has "
                        f"{len(nodes)} layers (positions count from 1)")
    import difflib
    hint = difflib.get_close_matches(raw.layer, list(by_name), n=1)
    more = f" Did you mean '{hint[0]}'?" if hint else f" Its layers: {', '.join(list(by_name)[:8])}" + \
        (", …" if len(by_name) > 8 else "")
    raise _Unjudged(f"the model '{ctx.model.name}' has no layer '{raw.layer}'.{more}")


def _check(ctx: Context, sheet: Worksheet, raw: RawClaim) -> Claim:
    if raw.kind in COMPUTE_KINDS:
        return _check_compute(ctx, sheet, raw)
    node: Node | None = None
    work = raw.work
    if raw.layer == "total":
        kind = "params" if raw.kind == "total" else raw.kind
        expected = ctx.total(kind)
    else:
        node = _node(ctx, sheet, raw)
        kind = raw.kind
        if kind == "shape":
            work, expected = _shape_claim(ctx, node, raw)
        else:
            value = ctx.int(node.params)
            if value is None:
                raise _Unjudged(f"the count of '{node.name}' is not a number")
            expected = value
    if work is None:
        raise _Unjudged(raw.error or "unreadable")
    result = verdict(work, expected)
    axes = wrong_axes(ctx, node, raw) if kind == "shape" and node is not None else []
    if result == "correct" and raw.dims is not None and axes:
        result = "wrong"  # a tuple names each axis: (6, 28, 28) is not (28, 28, 6), though as large
    shown = raw.text.strip() if raw.dims is not None and work is not raw.work else work.normalized()
    claim = Claim(raw.layer, kind, shown, result, expected, work=work, node=node,
                  line=raw.line, text=raw.text, written=written(raw.text))
    if result != "correct":
        claim.mistakes = _diagnose(ctx, node, kind, work, expected)
        claim.diagnosis = list(dict.fromkeys(v.code for v in claim.mistakes))
        if kind == "shape" and node is not None:
            claim.axes = axes
    return claim


def _check_compute(ctx: Context, sheet: Worksheet, raw: RawClaim) -> Claim:
    """A ``macs``, ``flops`` or ``memory`` claim: for the model (``total``) or a layer."""
    from . import compute_claims as cc
    node = None if raw.layer == "total" else _node(ctx, sheet, raw)
    try:
        if raw.kind == "memory":
            expected = cc.memory_bytes(ctx, node, raw.optimizer, raw.precision)[0]
        else:
            expected = cc.expected_compute(ctx, node, raw.kind, raw.per)
    except cc.Unjudged as e:
        raise _Unjudged(str(e)) from None
    work, quantity = raw.work, raw.quantity
    result = verdict(work, expected) if work is not None else "correct"
    unit_ok = quantity is None or quantity.fits(expected)
    if result == "correct" and not unit_ok:
        result = "wrong"
    shown = work.normalized() if work is not None else ""
    if quantity is not None:
        shown = (shown + " = " if shown else "") + raw.text[raw.text.rfind("=") + 1:].strip()
    claim = Claim(raw.layer, raw.kind, shown, result, expected, work=work, node=node, line=raw.line,
                  text=raw.text, written=written(raw.text), per=raw.per,
                  optimizer=raw.optimizer if raw.kind == "memory" else "",
                  precision=raw.precision if raw.kind == "memory" else "", quantity=quantity)
    if result == "correct":
        return claim
    if raw.kind == "memory":
        variants = cc.memory_variants(ctx, node, raw.optimizer, raw.precision)
    else:
        variants = cc.compute_variants(ctx, node, raw.kind, raw.per)
    found: list[Variant] = []
    if work is not None and (wrong := wrong_values(work, expected)):
        found = match(variants, wrong, work.formula)
    if quantity is not None and not unit_ok:
        unit = cc.unit_variant(quantity, expected)
        if unit is not None:
            found.append(unit)
        elif not found:
            found = [v for v in variants if quantity.fits(v.value)]
    claim.mistakes = found
    claim.diagnosis = list(dict.fromkeys(v.code for v in found))
    return claim


MAX_WRITTEN = 160
"""How much of a claim's text the sheet echoes (the rest becomes …)."""


def written(text: str) -> str:
    """The claim as written, for the sheet: control and format characters (bidi overrides,
    zero-width spaces) and line breaks become single spaces; long text is cut."""
    import unicodedata
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch
                   for ch in text[:4 * MAX_WRITTEN])
    kept = " ".join(kept.split())
    return kept if len(kept) <= MAX_WRITTEN else kept[:MAX_WRITTEN - 1] + "…"


def claimed_axes(raw: RawClaim) -> list[int | None] | None:
    """The sizes a shape claim gives per axis: a tuple ``(None, 254, 254, 32)`` as written, or a
    product of plain numbers ``254 x 254 x 32`` (``254² x 32`` counts 254 twice); None for
    other arithmetic."""
    if raw.dims is not None:
        return list(raw.dims)
    if raw.work is None or raw.work.formula is None:
        return None
    from .arith import BinOp, Num, factors, terms
    parts = terms(raw.work.formula)
    if len(parts) != 1:
        return None
    out: list[int | None] = []
    for f in factors(parts[0]):
        if isinstance(f, Num):
            out.append(f.value)
        elif (isinstance(f, BinOp) and f.op == "^" and isinstance(f.left, Num) and isinstance(f.right, Num)
              and 2 <= f.right.value <= 3):
            out.extend([f.left.value] * f.right.value)
        else:
            return None
    return out


def wrong_axes(ctx: Context, node: Node, raw: RawClaim) -> list[dict]:
    """The axes of a shape claim that differ from the layer's output, named where the layer
    says which axes are spatial (height, width …) and which holds the channels."""
    claimed = claimed_axes(raw)
    dims = [ctx.int(d) for d in node.output_shape]
    if claimed is None or len(claimed) != len(dims) or len(dims) < 2:
        return []
    names = axis_names(node, len(dims))
    return [{"axis": i + 1, "name": names[i], "claimed": c, "expected": d}
            for i, (c, d) in enumerate(zip(claimed, dims)) if c is not None and d is not None and c != d]


_SPATIAL_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def axis_names(node: Node, rank: int) -> list[str]:
    """``height``, ``width`` … and ``channels`` for a layer whose output is spatial axes and
    channels (its data format decides where the channels are); ``axis`` otherwise."""
    from ..layers._spatial import Spatial, Windowed
    layer = node.layer
    spatial = _SPATIAL_NAMES.get(rank - 1)
    channels_first = None
    if isinstance(layer, Spatial):
        channels_first = layer.data_format == "channels_first"
    elif isinstance(layer, Windowed) and layer.framework == "pytorch":
        channels_first = True
    if spatial is None or channels_first is None:
        return ["axis"] * rank
    return ["channels", *spatial] if channels_first else [*spatial, "channels"]


def _shape_claim(ctx: Context, node: Node, raw: RawClaim) -> tuple[Work | None, int]:
    """The work to judge and the true output size. A shape with an axis of unknown size (in
    the model or in the claim, ``(None, None, 32)``) is judged on the axes known in both."""
    dims = [ctx.int(d) for d in node.output_shape]
    if not dims:
        raise _Unjudged(f"the output size of '{node.name}' is not known")
    claimed = raw.dims
    if claimed is None or (None not in dims and None not in claimed):
        if None in dims:
            raise _Unjudged(f"the output of '{node.name}' has an axis of unknown size; write its shape "
                            f"as Keras prints it, such as (None, None, {dims[-1]})")
        return raw.work, product(dims)
    if len(claimed) != len(dims):
        raise _Unjudged(f"the output of '{node.name}' has {len(dims)} axes, the claim "
                        f"{len(claimed)}: {tuple(dims)}")
    axes = [i for i, (a, b) in enumerate(zip(dims, claimed)) if a is not None and b is not None]
    if not axes:
        raise _Unjudged(f"no axis of the output of '{node.name}' has a known size in both the "
                        f"model and the claim")
    from .arith import parse_work
    work = parse_work(" x ".join(str(claimed[i]) for i in axes))
    return work, product(dims[i] for i in axes)


def _diagnose(ctx: Context, node: Node | None, kind: str, work: Work, expected: int) -> list[Variant]:
    wrong = wrong_values(work, expected)
    if not wrong:
        return []
    if node is None:
        variants = total_variants(ctx, kind)
    elif kind == "shape":
        variants = shape_variants(ctx, node, "shape")
    elif expected == 0 and not any(not w.buffer for w in node.weights):
        return [no_weights(node, wrong[0])]
    else:
        variants = layer_variants(ctx, node)
        found = match(variants, wrong, work.formula)
        if found:
            return _swapped_or_bias(ctx, node, found, work)
        found = match(shape_variants(ctx, node, "params"), wrong)
        if found or work.formula is None or work.formula_value == expected:
            return found
        return structural(ctx, node, work.formula)
    return match(variants, wrong)


def carried_forward(ctx: Context, claims: list[Claim]) -> None:
    """A wrong total that is the sum of the claimed layer values (true counts for layers not
    claimed) carries an earlier error forward: diagnosis ``carried_forward``, named first."""
    model = ctx.model
    stated: dict[str, int] = {}
    for c in claims:
        if c.node is None or c.kind != "params" or c.work is None:
            continue
        value = c.work.result_value if c.work.result_value is not None else c.work.formula_value
        if value is not None:
            stated[c.node.name] = value
    if not stated:
        return
    own = {n.name: ctx.int(n.own("params")) for n in model.nodes}
    if any(own[name] is None for name in stated):
        return
    differing = [name for name, v in stated.items() if v != own[name]]
    if not differing:
        return
    total = sum((stated.get(name, v) or 0) if name in stated else (v or 0) for name, v in own.items())
    for c in claims:
        if c.node is not None or c.kind != "params" or c.work is None or c.correct:
            continue
        if total in wrong_values(c.work, c.expected or 0):
            v = Variant("carried_forward", total, {"layers": ", ".join(differing)})
            c.mistakes = [v] + [m for m in c.mistakes if m.code != "carried_forward"]
            c.diagnosis = list(dict.fromkeys(m.code for m in c.mistakes))


def _swapped_or_bias(ctx: Context, node: Node, found: list[Variant], work: Work) -> list[Variant]:
    """``k·k·c_in·c_out + c_in`` is a bias of the wrong size; ``k·k·c_out·c_in + c_in`` (the
    channels written in swapped order, and the bias following them) swapped channels."""
    swapped = [v for v in found if v.code == "channels_swapped"]
    sized = [v for v in found if v.code == "bias_size" and v.value in {s.value for s in swapped}]
    if not swapped or not sized:
        return found
    from .arith import Num, factors, terms
    from ..symbols import c_in, c_out, g
    if work.formula is None:
        return [v for v in found if v not in swapped]
    cin, cout = ctx.int(node.values.get(c_in)), ctx.int(node.values.get(c_out))
    groups = ctx.int(node.values.get(g, 1)) or 1
    written = [f.value for f in factors(terms(work.formula)[0]) if isinstance(f, Num)]

    def first(*sizes) -> int:
        return min((written.index(x) for x in sizes if x in written), default=len(written))
    order_swapped = first(cout, (cout or 0) // groups) < first(cin, (cin or 0) // groups)
    drop = sized if order_swapped else swapped
    return [v for v in found if v not in drop]


def render_report(report: Report, lang: str = "en", format: str = "markdown", fragment: bool = False) -> str:
    """The feedback sheet in ``format`` (markdown, latex, json, text) and ``lang``."""
    from ..render.documents import render_document
    return render_document("check", report, lang=lang, format=format, fragment=fragment)
