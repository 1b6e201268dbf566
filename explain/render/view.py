"""What templates see: a derivation's steps with their formulas already printed as LaTeX math in
the reader's locale, names escaped for the output format, and message ids to translate.

Templates hold the markup and the sentences; this module holds no language.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Optional

import sympy

from ..derivation import Derivation, LayerStep, ShapeStep
from ..errors import ExplainError
from ..layers.base import Shape
from ..model import Model
from ..shapes import K_EFF, Window, d, effective_kernel, k
from ..symbols import Value, expand_bounded, to_expr
from . import messages
from .escape import latex_text, markdown_code, markdown_text, plain_text
from .mathtex import MathPrinter, symbol_tex
from .numbers import format_int, format_size

P = "P"
TERMS_PER_LINE = 5


class Formatter:
    """Format-specific pieces for templates: names, numbers, shapes and math delimiters
    (``markdown``, ``latex``, or ``text``: plain, as a terminal shows it)."""

    def __init__(self, format: str, lang: str, model: Optional[Model] = None) -> None:
        self.format = format
        self.lang = lang
        self.model = model
        self.math = MathPrinter(lang)

    # -- text
    def name(self, text: str) -> str:
        """A name from user input, literally (monospace)."""
        if self.format == "latex":
            return r"\texttt{" + latex_text(text) + "}"
        if self.format == "text":
            return plain_text(text)
        return markdown_code(text)

    def cell_name(self, text: str) -> str:
        """A name inside a Markdown table cell."""
        if self.format == "markdown":
            return markdown_text(text)
        return self.name(text)

    def text(self, text: str) -> str:
        if self.format == "text":
            return plain_text(text)
        return latex_text(text) if self.format == "latex" else markdown_text(text)

    def num(self, n: int) -> str:
        text = format_int(n, self.lang)
        return latex_text(text) if self.format == "latex" else text

    def size(self, x: Fraction | float) -> str:
        text = format_size(x, self.lang)
        return latex_text(text) if self.format == "latex" else text

    def shape(self, shape: Shape) -> str:
        """(None, 256, 256, 32) as Keras prints it (batch axis None), in monospace."""
        if any(d is not None and not isinstance(d, int) for d in shape):
            dims = [r"\text{None}"] + [r"\text{None}" if d is None else self.math.expr(d) for d in shape]
            return self.m(r"\left(" + ", ".join(dims) + r"\right)")
        dims = ["None"] + ["None" if d is None else str(d) for d in shape]
        text = "(" + ", ".join(dims) + ")"
        return self.name(text)

    # -- math
    def m(self, tex: str) -> str:
        return f"${tex}$"

    def mt(self, tex: str) -> str:
        """Inline math with fractions at full size (LaTeX); plain inline math in Markdown."""
        return self.m(r"\displaystyle " + tex) if self.format == "latex" else self.m(tex)

    def dm(self, tex: str) -> str:
        if self.format == "latex":
            return "\\[\n" + tex + "\n\\]"
        return "$$\n" + tex + "\n$$"


@dataclass
class SymbolView:
    tex: str
    value: str
    meaning: Optional[str]


@dataclass
class GroupView:
    name: str
    formula: str
    substituted: Optional[str]
    count: str
    count_text: str
    trainable: bool
    buffer: bool
    reason: Optional[str]
    tied: Optional[str] = None
    """The shared weight it is (``layer.group``), counted there."""


@dataclass
class ShapeView:
    kind: str
    output: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    """(axis label msgid, math) for spatial steps."""
    general: Optional[str] = None
    """The general formula (math) for spatial steps."""
    explain: Optional[str] = None
    """Which sentence introduces the rule (``conv``, ``conv_dilated``, ``conv_same``, ``pool``,
    ``ceil``, ``transpose``, ``transpose_padded``)."""
    k_eff: Optional[str] = None
    """k_eff with the numbers of each dilated axis."""
    k_eff_rule: Optional[str] = None
    flatten: Optional[str] = None
    changed: bool = True


@dataclass
class StepView:
    index: int
    name: str
    type: str
    role: str
    has_weights: bool
    equation: Optional[str]
    symbols: list[SymbolView]
    groups: list[GroupView]
    params: str
    params_text: str
    trainable_text: str
    non_trainable_text: str
    non_trainable: bool
    buffers_text: str
    buffers: bool
    shape: ShapeView
    notes: list[str]
    frozen: bool
    same_as: Optional[str]
    shares: Optional[str]
    inputs: list[str]
    owns: bool = True
    """Some of its parameters count in the model's total (not all shared or tied)."""
    repeat: Optional[str] = None
    """For a node standing for several copies: the number of copies (math)."""
    repeat_equation: Optional[str] = None
    parts: list[tuple[str, str, str]] = field(default_factory=list)
    """A nested model's layers: (name, type, parameters as text)."""


class View:
    """Turns a derivation into template data for one format and language."""

    def __init__(self, fmt: Formatter, model: Optional[Model]) -> None:
        self.f = fmt
        self.p = fmt.math
        self.model = model

    def evaluate(self, v: Value) -> Value:
        if isinstance(v, int) or self.model is None:
            return v
        try:
            return self.model.evaluate(v)
        except ExplainError:  # undeclared symbols: the value stays a formula
            return v

    def value_tex(self, v: Value) -> str:
        """A size as math; a symbolic one followed by its number (``H - 2 = 62``)."""
        text = self.p.expr(v)
        if not isinstance(v, int) and not (isinstance(v, sympy.Basic) and v.is_Integer):
            n = self.evaluate(v)
            if isinstance(n, int):
                text += " = " + self.p.number(n)
        return text

    def count_text(self, v: Value) -> str:
        n = self.evaluate(v)
        return self.f.num(n) if isinstance(n, int) else self.f.m(self.p.expr(v))

    def step(self, s: LayerStep, index: int) -> StepView:
        values = s.values
        p = self.p
        equation = None
        repeated = not (isinstance(s.repeat, int) and s.repeat == 1)
        if s.groups and any(not g.buffer for g in s.groups):
            equation = self.chain(P + ("_{1}" if repeated else ""), s.formula, values, s.params_one)
        symbols = [SymbolView(symbol_tex(v.symbol.name), self.symbol_value(v.symbol, v.value),
                              messages.SYMBOLS.get(v.meaning) if v.meaning else None) for v in s.symbols]
        groups = []
        for g in s.groups:
            formula = p.expr(g.formula)
            sub = p.expr(g.formula, values)
            tied = None
            if g.tied_to and s.node.shares:
                tied = f"{s.node.shares}.{g.tied_to}"
            elif g.tied_to:
                tied = g.tied_to
            groups.append(GroupView(g.name, formula, sub if sub != formula else None, self.value_tex(g.count),
                                    self.count_text(g.count), g.trainable, g.buffer,
                                    messages.REASONS.get(g.reason) if g.reason else None, tied))
        repeat = repeat_equation = None
        if repeated:
            repeat = p.expr(s.repeat)
            one = self.evaluate(s.params_one)
            n = self.evaluate(s.repeat)
            head = rf"{P} = {p.expr(s.repeat)} \cdot {P}_{{1}}"
            if isinstance(one, int) and isinstance(n, int):
                repeat_equation = rf"{head} = {p.number(n)} \times {p.number(one)} = {p.number(n * one)}"
            else:
                repeat_equation = f"{head} = " + self.value_tex(s.params)
        node = s.node
        return StepView(
            index=index, name=node.name, type=node.type,
            role=messages.role_message(s.explanation, s.has_weights), has_weights=s.has_weights,
            equation=equation, symbols=symbols, groups=groups,
            params=self.value_tex(s.params), params_text=self.count_text(s.params),
            trainable_text=self.count_text(s.trainable), non_trainable_text=self.count_text(s.non_trainable),
            non_trainable=self.evaluate(s.non_trainable) != 0,
            buffers_text=self.count_text(s.buffers), buffers=self.evaluate(s.buffers) != 0,
            shape=self.shape(s.shape), notes=[messages.NOTES[k] for k in s.notes if k in messages.NOTES],
            frozen=s.frozen, same_as=s.same_as, shares=node.shares, inputs=list(node.inputs),
            owns=s.own != 0, repeat=repeat, repeat_equation=repeat_equation,
            parts=[(name, kind, self.count_text(n)) for name, kind, n in s.parts])

    def chain(self, lhs: str, formula, values, result: Value) -> str:
        """``lhs = formula = substituted = result [= number]``, without repeating a step."""
        p = self.p
        parts = [lhs, p.expr(formula)]
        for part in (p.expr(formula, values), p.expr(result)):
            if part != parts[-1]:
                parts.append(part)
        n = self.evaluate(result)
        if not isinstance(result, int) and isinstance(n, int):
            number = p.number(n)
            if number != parts[-1]:
                parts.append(number)
        return " = ".join(parts)

    def symbol_value(self, symbol, v: Value) -> str:
        """A symbol's value; a declared symbol standing for itself shows its number only."""
        if isinstance(v, sympy.Symbol) and v == symbol:
            n = self.evaluate(v)
            return self.p.number(n) if isinstance(n, int) else self.p.expr(v)
        return self.value_tex(v)

    # -- shapes
    def shape(self, st: ShapeStep) -> ShapeView:
        out = self.f.shape(st.output)
        if st.kind == "flatten":
            factors = [to_expr(x) for x in st.factors]
            product = self.p.product(factors) if len(factors) > 1 else self.p.expr(factors[0])
            return ShapeView("flatten", out, flatten=product + " = " + self.value_tex(st.output[0]))
        if st.kind == "spatial":
            return self._spatial(st, out)
        return ShapeView(st.kind, out, changed=st.kind != "same")

    def _spatial(self, st: ShapeStep, out: str) -> ShapeView:
        """The window rule (once, or on every line where the axes' rules differ), then per axis
        the rule with the numbers and the result."""
        p = self.p
        rules = {a.window.rule for a in st.axes}
        general = p.expr(next(iter(rules)), order="none") if len(rules) == 1 else None
        lines = []
        rank = st.spatial
        for a in st.axes:
            label = messages.ALL_AXES.get(rank, messages.ALL_AXES[2]) if a.axis == "all" \
                else messages.AXES.get(a.axis, a.axis)
            rule = "" if general else p.expr(a.window.rule, order="none") + " = "
            lines.append((label, rule + p.expr(a.window.rule, a.values, order="none") + " = "
                          + self.value_tex(a.result)))
        k_eff = None
        dilated = list(dict.fromkeys((a.window.d, a.window.k) for a in st.axes if a.window.dilated))
        if dilated:
            k_eff = "; ".join(rf"{symbol_tex('k_eff')} = " + p.expr(K_EFF, {d: dv, k: kv}, order="none")
                              + " = " + self.value_tex(effective_kernel(kv, dv)) for dv, kv in dilated)
        return ShapeView("spatial", out, lines=lines, general=general, explain=_explanation(st.axes[0].window),
                         k_eff=k_eff, k_eff_rule=rf"{symbol_tex('k_eff')} = " + p.expr(K_EFF, order="none"))


def _explanation(w: Window) -> str:
    """Which sentence introduces the rule (a message in the layer templates)."""
    if w.kind == "same":
        return "conv_same"
    if w.kind.startswith("ceil"):
        return "ceil"
    if w.kind == "transpose":
        return "transpose_padded"
    if w.kind.startswith("transpose"):
        return "transpose"
    if not w.padded:
        return "pool"
    return "conv_dilated" if w.dilated else "conv"


def sum_lines(parts: list[str], lhs: str, rhs: Optional[str], per_line: int = TERMS_PER_LINE) -> str:
    """``lhs = a + b + … = rhs`` as math, broken into aligned lines of ``per_line`` terms."""
    if not parts:
        parts = ["0"]
    if len(parts) == 1 and rhs == parts[0]:
        return f"{lhs} = {rhs}"
    if len(parts) <= per_line:
        return f"{lhs} = " + " + ".join(parts) + (f" = {rhs}" if rhs else "")
    chunks = [parts[i:i + per_line] for i in range(0, len(parts), per_line)]
    lines = [f"{lhs} &= " + " + ".join(chunks[0])]
    for c in chunks[1:]:
        lines.append("&\\quad + " + " + ".join(c))
    if rhs:
        lines.append(f"&= {rhs}")
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def model_context(d: Derivation, fmt: Formatter) -> dict[str, Any]:
    """Everything the derivation templates use."""
    view = View(fmt, d.model)
    p = fmt.math
    model = d.model
    index = {n.name: i + 1 for i, n in enumerate(model.nodes)}
    blocks = []
    seen_notes: set[str] = set()
    for b in d.blocks:
        steps = [view.step(s, index[s.node.name]) for s in b.steps]
        for st in steps:  # a convention is explained where it first applies
            st.notes = [n for n in st.notes if n not in seen_notes]
            seen_notes.update(st.notes)
        block_total = None
        if b.repeat > 1:
            each = view.value_tex(b.params)
            block_total = rf"{p.number(b.repeat)} \times {_paren(each)} = " + view.value_tex(b.total) \
                if isinstance(b.params, int) else rf"{p.number(b.repeat)} \cdot {_paren(p.expr(b.params))} = " \
                + view.value_tex(b.total)
        parts = [p.expr(s.params) for s in b.steps if s.node.shares is None and s.params != 0]
        blocks.append({
            "single": b.single, "repeat": b.repeat, "steps": steps,
            "first": b.names[0][0] if b.names else steps[0].name,
            "last": b.names[-1][-1] if b.names else steps[-1].name,
            "first_index": index[b.names[0][0]] if b.names else steps[0].index,
            "last_index": index[b.names[-1][-1]] if b.names else steps[-1].index,
            "size": len(b.steps),
            "each": sum_lines(parts, r"P_{\text{block}}", view.value_tex(b.params)) if len(parts) > 1 else None,
            "each_value": view.value_tex(b.params),
            "total": block_total,
            "params_text": view.count_text(b.params),
        })
    terms = []
    for params, repeat in d.terms:
        t = p.expr(params)
        terms.append(rf"{p.number(repeat)} \times {_paren(t)}" if repeat > 1 else t)
    symbolic = d.symbolic and not isinstance(d.total_expr, int)
    total_sum = sum_lines(terms, P, None if symbolic else p.number(d.total))
    symbolic_total = substituted_total = None
    declared = []
    if d.symbolic:
        declared = [(symbol_tex(s.name), p.number(v)) for s, v in sorted(model.symbols.items(), key=lambda x: x[0].name)]
    if symbolic:
        # expanded where that stays short: (a+…+h)**64 would have 10⁹ terms
        expanded = expand_bounded(d.total_expr) if _small(d.total_expr) else None
        expr = d.total_expr if expanded is None else expanded
        symbolic_total = f"{P} = " + p.expr(expr)
        values = {s: v for s, v in model.symbols.items()}
        substituted_total = f"{P} = " + p.expr(expr, values) + " = " + p.number(d.total)
    active = None
    a_expr = model.active_expr
    if a_expr is not None:
        a_value = model.evaluate(a_expr)
        if isinstance(a_expr, int):
            active = rf"P_{{\text{{active}}}} = {p.number(a_value)}"
        else:
            bounded = expand_bounded(a_expr) if _small(a_expr) else None
            shown = a_expr if bounded is None else bounded
            active = rf"P_{{\text{{active}}}} = {p.expr(shown)} = {p.number(a_value)}"
    notes = [(messages.MODEL_NOTES[k], {n: fmt.num(v) if isinstance(v, int) else fmt.name(v) for n, v in args})
             for k, args in model.notes if k in messages.MODEL_NOTES]
    mem = d.memory
    rows = []
    for s in d.steps:
        node = s.node
        rows.append({
            "name": node.name, "type": node.type, "shape": fmt.shape(node.output_shape),
            # what the total counts for the row: a shared or tied layer adds nothing of its own
            "params": view.count_text(node.own("params")),
            "trainable": view.count_text(node.own("trainable")),
            "non_trainable": view.count_text(node.own("non_trainable")),
            "buffers": view.count_text(node.own("buffers")),
            "shares": node.shares,
        })
    return {
        "f": fmt, "model": model, "name": model.name, "framework": model.framework,
        "keras": model.framework == "keras", "pytorch": model.framework == "pytorch",
        "inputs": [(k, fmt.shape(v)) for k, v in model.inputs.items()],
        "layer_count": len(model.nodes), "blocks": blocks, "rows": rows,
        "any_non_trainable": d.non_trainable != 0, "any_buffers": d.buffers != 0,
        "grouped": any(not b["single"] for b in blocks),
        "total_sum": total_sum, "symbolic_total": symbolic_total, "substituted_total": substituted_total,
        "declared": declared, "symbolic": symbolic,
        "total": fmt.num(d.total), "total_tex": p.number(d.total),
        "trainable": fmt.num(d.trainable), "non_trainable": fmt.num(d.non_trainable),
        "buffers": fmt.num(d.buffers), "has_non_trainable": d.non_trainable != 0,
        "has_buffers": d.buffers != 0,
        "memory": {
            "dtype": mem.dtype, "bytes_per": fmt.num(mem.bytes_per),
            "equation": rf"{p.number(mem.count)} \times {p.number(mem.bytes_per)} = {p.number(mem.bytes)}",
            "bytes": fmt.num(mem.bytes), "mb": fmt.size(mem.megabytes), "mib": fmt.size(mem.mebibytes),
        },
        "expanded": d.expanded,
        "model_notes": notes, "active": active, "active_text": messages.ACTIVE,
        "active_title": messages.ACTIVE_TITLE,
    }


def _paren(tex: str) -> str:
    return tex if tex.replace("{", "").replace("}", "").replace(",", "").replace(".", "") \
        .replace("\\", "").isdigit() else rf"\left({tex}\right)"


def _small(expr) -> bool:
    return not any(isinstance(a, (sympy.floor, sympy.ceiling)) for a in sympy.preorder_traversal(expr))

