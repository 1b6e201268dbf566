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
from typing import Any

from ..errors import ExplainError
from ..model import Model, Node
from .arith import Work
from .mistakes import (Context, Variant, layer_variants, match, shape_variants, structural,
                       total_variants)
from .verdicts import verdict, wrong_values
from .worksheet import RawClaim, Worksheet, read_worksheet

__all__ = ["Claim", "Report", "check_file", "check_model", "render_report"]


@dataclass
class Claim:
    """One checked claim: what the worksheet wrote, the true count and the verdict."""

    layer: str | int
    """As the worksheet wrote it: a name, a 1-based position, or ``"total"``."""
    kind: str
    """``params``, ``shape`` (the output size), or for ``total`` claims ``params``,
    ``trainable`` or ``non_trainable``."""
    claimed: str
    """The claim normalized: ``512*128 + 512 = 65664``."""
    verdict: str
    expected: int
    diagnosis: list[str] = field(default_factory=list)
    work: Work | None = None
    node: Node | None = None
    """The layer the claim is about (None for totals)."""
    mistakes: list[Variant] = field(default_factory=list)
    """The matching variants (with the facts for the sentences), in diagnosis order."""
    line: int = 0
    text: str = ""

    @property
    def correct(self) -> bool:
        return self.verdict == "correct"

    def to_json(self) -> dict[str, Any]:
        return {"layer": self.layer, "kind": self.kind, "claimed": self.claimed,
                "verdict": self.verdict, "expected": self.expected, "diagnosis": list(self.diagnosis)}


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


def check_file(path: str, model: str | None = None) -> Report:
    """Read the worksheet at ``path`` and check it against its model (or ``model``)."""
    sheet = read_worksheet(str(path))
    from ..importers import load
    source = sheet.model_source(model)
    try:
        loaded = load(source)
    except ExplainError as e:
        if e.file is None:
            e.file = source
        raise
    return check_model(sheet, loaded)


def check_model(sheet: Worksheet, model: Model) -> Report:
    ctx = Context(model)
    claims = [_check(ctx, sheet, raw) for raw in sheet.claims]
    return Report(sheet.path, model, claims)


def _node(ctx: Context, sheet: Worksheet, raw: RawClaim) -> Node:
    nodes = ctx.model.nodes
    by_name = {n.name: n for n in nodes}
    if isinstance(raw.layer, str) and raw.layer in by_name:
        return by_name[raw.layer]
    if isinstance(raw.layer, int):
        if str(raw.layer) in by_name:
            return by_name[str(raw.layer)]
        if 1 <= raw.layer <= len(nodes):
            return nodes[raw.layer - 1]
        raise ExplainError(f"line {raw.line}: there is no layer {raw.layer}: the model has "
                           f"{len(nodes)} layers (positions count from 1)", file=sheet.path)
    import difflib
    hint = difflib.get_close_matches(raw.layer, list(by_name), n=1)
    more = f" Did you mean '{hint[0]}'?" if hint else f" Its layers: {', '.join(list(by_name)[:8])}" + \
        (", …" if len(by_name) > 8 else "")
    raise ExplainError(f"line {raw.line}: the model '{ctx.model.name}' has no layer '{raw.layer}'.{more}",
                       file=sheet.path)


def _check(ctx: Context, sheet: Worksheet, raw: RawClaim) -> Claim:
    model = ctx.model
    node: Node | None = None
    if raw.layer == "total":
        kind = "params" if raw.kind == "total" else raw.kind
        expected = {"params": model.total, "trainable": model.trainable,
                    "non_trainable": model.non_trainable}[kind]
    else:
        node = _node(ctx, sheet, raw)
        kind = raw.kind
        if kind == "shape":
            dims = [ctx.int(d) for d in node.output_shape]
            if not dims or None in dims:
                raise ExplainError(f"line {raw.line}: the output size of '{node.name}' is not known "
                                   f"(its shape has an unknown axis)", file=sheet.path)
            expected = 1
            for d in dims:
                expected *= d
        else:
            value = ctx.int(node.params)
            if value is None:
                raise ExplainError(f"line {raw.line}: the count of '{node.name}' is not a number",
                                   file=sheet.path)
            expected = value
    result = verdict(raw.work, expected)
    claim = Claim(raw.layer, kind, raw.work.normalized(), result, expected, work=raw.work, node=node,
                  line=raw.line, text=raw.text)
    if result != "correct":
        claim.mistakes = _diagnose(ctx, node, kind, raw.work, expected)
        claim.diagnosis = list(dict.fromkeys(v.code for v in claim.mistakes))
    return claim


def _diagnose(ctx: Context, node: Node | None, kind: str, work: Work, expected: int) -> list[Variant]:
    wrong = wrong_values(work, expected)
    if not wrong:
        return []
    if node is None:
        variants = total_variants(ctx, kind)
    elif kind == "shape":
        variants = shape_variants(ctx, node, "shape")
    else:
        variants = layer_variants(ctx, node)
        found = match(variants, wrong, work.formula)
        if found:
            return found
        found = match(shape_variants(ctx, node, "params"), wrong)
        if found or work.formula is None or work.formula_value == expected:
            return found
        return structural(ctx, node, work.formula)
    return match(variants, wrong)


def render_report(report: Report, lang: str = "en", format: str = "markdown", fragment: bool = False) -> str:
    """The feedback sheet in ``format`` (markdown, latex, json, text) and ``lang``."""
    from .report import render
    return render(report, lang=lang, format=format, fragment=fragment)
