"""The feedback sheet: per claim the verdict, the mistake in one sentence and the correct
derivation for that layer; a summary line. JSON (SPEC §5), plain text, Markdown, LaTeX.

The sheet is first built as data (:func:`sheet`, numbers still ints); the formats only lay it out.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sympy

from ..errors import ExplainError
from . import messages as M

FORMATS = ("markdown", "latex", "json", "text")
LANGUAGES = ("en", "de", "ja", "fr", "es")
_LOCALES = {"en": "en", "de": "de_DE", "ja": "ja_JP", "fr": "fr_FR", "es": "es_ES"}
TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def render(report, lang: str = "en", format: str = "markdown", fragment: bool = False) -> str:
    if lang not in LANGUAGES:
        raise ExplainError(f"unknown language '{lang}' (choose from {', '.join(LANGUAGES)})")
    if format == "json":
        return json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n"
    if format not in FORMATS:
        raise ExplainError(f"unknown format '{format}' (choose from {', '.join(FORMATS)})")
    data = sheet(report, lang, format)
    if format == "text":
        return render_text(data)
    from .templates import render_template
    return render_template(data, format, lang, fragment)


# ----------------------------------------------------------------------------- numbers, words

def number(n: int, lang: str) -> str:
    from babel.numbers import format_decimal
    return format_decimal(n, locale=_LOCALES[lang], group_separator=True)


def translator(lang: str) -> Callable[[str], str]:
    """gettext for ``lang`` from the project's catalogs (English is the source language)."""
    from ..render.i18n import translations
    return translations(lang).gettext


# ----------------------------------------------------------------------------- formulas

_ORDER = ["k_d", "k_h", "k_w", "k", "c_in", "g", "m", "c_out", "n_in", "n_out"]


def _key(s: sympy.Basic) -> tuple:
    name = getattr(s, "name", str(s))
    return (_ORDER.index(name) if name in _ORDER else len(_ORDER), name)


def formula_text(expr: sympy.Expr, values: dict | None = None, style: str = "text",
                 evaluate: Callable | None = None) -> str:
    """``expr`` with ``·`` products (``\\cdot`` in LaTeX); with ``values``, symbols replaced."""
    times = r" \cdot " if style == "latex" else "·"

    def sym(s: sympy.Symbol) -> str:
        if values is not None and s in values:
            v = values[s]
            if evaluate is not None:
                v = evaluate(v)
            text = str(v) if isinstance(v, int) else f"({v})"
            return text
        if style == "latex":
            head, _, sub = s.name.partition("_")
            return f"{head}_{{\\mathrm{{{sub}}}}}" if sub else head
        return s.name

    def walk(e: sympy.Expr, parent: int = 0) -> str:
        if e.is_Integer:
            return str(int(e))
        if e.is_Symbol:
            return sym(e)
        if e.is_Add:
            terms = sorted(e.args, key=lambda t: (t.is_number, -len(t.free_symbols) - len(t.args)))
            out = " + ".join(walk(t, 1) for t in terms).replace("+ -", "- ")
            return f"({out})" if parent >= 2 else out
        if e.is_Mul:
            num, den = e.as_numer_denom()
            if den != 1:
                top, bottom = walk(num, 2), walk(den, 3)
                if style == "latex":
                    return f"\\frac{{{walk(num, 0)}}}{{{walk(den, 0)}}}"
                out = f"{top}/{bottom}"
                return f"({out})" if parent >= 3 else out
            factors = sorted(e.args, key=lambda f: (not f.is_number, _key(f.free_symbols and
                                                                           sorted(f.free_symbols, key=_key)[0] or f)))
            if factors and factors[0] == -1:
                return "-" + times.join(walk(f, 2) for f in factors[1:])
            return times.join(walk(f, 2) for f in factors)
        if e.is_Pow:
            base, exp = e.args
            b = walk(base, 4)
            if style == "latex":
                return f"{b}^{{{walk(exp, 0)}}}"
            return f"{b}^{walk(exp, 4)}"
        if isinstance(e, (sympy.floor, sympy.ceiling)):
            inner = walk(e.args[0], 0)
            if style == "latex":
                return (r"\lfloor " if isinstance(e, sympy.floor) else r"\lceil ") + inner + \
                    (r" \rfloor" if isinstance(e, sympy.floor) else r" \rceil")
            return ("⌊" if isinstance(e, sympy.floor) else "⌈") + inner + ("⌋" if isinstance(e, sympy.floor) else "⌉")
        return str(e)

    return walk(sympy.sympify(expr))


# ----------------------------------------------------------------------------- the sheet as data

@dataclass
class Step:
    """One line of a derivation: ``name = formula = substituted = result``."""

    name: str
    formula: str = ""
    substituted: str = ""
    result: str = ""
    note: str = ""


@dataclass
class Entry:
    label: str
    layer: str
    kind: str
    kind_label: str
    type: str
    claimed: str
    expected: str
    verdict: str
    verdict_label: str
    correct: bool
    sentences: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    derivation: str = ""
    """Markdown or LaTeX: the correct derivation of the layer, from the derivation renderer."""


@dataclass
class Sheet:
    title: str
    model_line: str
    summary: str
    all_correct: bool
    entries: list[Entry]
    labels: dict[str, str]
    lang: str


class Style:
    """How a format shows words, numbers, names and claims (plain text: as they are)."""

    def __init__(self, lang: str, format: str = "text", model=None) -> None:
        self.lang, self.format = lang, format
        tr = translator(lang)
        if format == "text":
            self.f = None
            self._ = tr
            self.num = lambda n: number(n, lang)
            self.name = self.code = self.value = lambda t: str(t)
        else:
            from ..render.escape import MESSAGE_ESCAPES
            from ..render.i18n import escape_message
            from ..render.view import Formatter
            self.f = Formatter(format, lang, model)
            escape = MESSAGE_ESCAPES[format]
            self._ = lambda msg: escape_message(tr(msg), escape)
            self.num, self.name, self.code, self.value = self.f.num, self.f.name, self.f.name, self.f.text


def sheet(report, lang: str = "en", format: str = "text") -> Sheet:
    st = Style(lang, format, report.model)
    _ = st._
    entries = [_entry(report, c, st, i) for i, c in enumerate(report.claims, 1)]
    counts = report.summary()
    total = len(report.claims)
    summary = _(M.ALL_CORRECT) if report.all_correct else \
        _(M.SUMMARY) % {"correct": st.num(counts.get("correct", 0)), "total": st.num(total)}
    labels = {k: _(getattr(M, k.upper())) for k in ("claimed", "expected", "verdict", "derivation", "layer")}
    return Sheet(_(M.TITLE), _(M.MODEL_LINE) % {"model": st.name(report.model.name)}, summary,
                 report.all_correct, entries, labels, lang)


def _entry(report, c, st: Style, index: int) -> Entry:
    _, num = st._, st.num
    model = report.model
    kind_label = {"params": _(M.PARAMETERS), "shape": _(M.OUTPUT_SIZE), "trainable": _(M.TRAINABLE),
                  "non_trainable": _(M.NON_TRAINABLE)}[c.kind]
    label = _(M.TOTAL_LABEL) if c.layer == "total" else st.name(str(c.layer))
    if c.node is not None and str(c.layer) != c.node.name:
        label = f"{st.value(str(c.layer))} ({st.name(c.node.name)})"
    stated = None
    if c.work is not None:
        stated = c.work.result_value if c.work.result_value is not None else c.work.formula_value
    facts = {"expected": num(c.expected) if c.expected is not None else "", "claimed": num(stated) if stated is not None else st.code(c.claimed),
             "formula": num(c.work.formula_value) if c.work and c.work.formula_value is not None else "",
             "result": num(c.work.result_value) if c.work and c.work.result_value is not None else "",
             "reason": st.value(c.reason)}
    sentences = [_(M.VERDICT_SENTENCES[c.verdict]) % facts]
    for v in c.mistakes:
        sentences.append(_mistake_sentence(v, st))
    if c.verdict in ("wrong", "wrong_formula") and not c.mistakes:
        sentences.append(_(M.NO_DIAGNOSIS))
    sentences = list(dict.fromkeys(sentences))
    if c.verdict == "unreadable":
        steps, derivation = [], ""
    elif st.format == "text":
        steps, derivation = _steps(model, c, num, "text", _), ""
    else:
        steps, derivation = [], _derivation(model, c, st, index)
    return Entry(label, str(c.layer), c.kind, kind_label, c.node.type if c.node is not None else "",
                 st.code(c.claimed), num(c.expected) if c.expected is not None else "–", c.verdict, _(M.VERDICT_LABELS[c.verdict]),
                 c.correct, sentences, steps, derivation)


def _mistake_sentence(v, st: Style) -> str:
    _ = st._
    detail = {}
    for k, x in v.detail.items():
        if k == "layer" and isinstance(x, str):
            detail[k] = st.name(x)
        elif isinstance(x, bool):
            detail[k] = str(x)
        elif isinstance(x, int):
            detail[k] = st.num(x)
        elif isinstance(x, tuple):
            detail[k] = st.value("(" + ", ".join(str(d) for d in x) + ")")
        else:
            detail[k] = st.value(str(x))
    template = M.MISTAKES.get(M.mistake_key(v.code, v.detail)) or M.MISTAKES.get(v.code, v.code)
    try:
        sentence = _(template) % _Facts(detail)
    except (TypeError, ValueError, KeyError):
        sentence = _(template)
    layer = v.detail.get("layer")
    if layer and v.code not in ("flatten_size", "wrong_input_shape", "output_off_by_one", "wrong_padding"):
        if layer == "every":
            return _(M.IN_EVERY_LAYER) % {"sentence": sentence}
        return _(M.IN_LAYER) % {"layer": st.name(layer), "sentence": sentence}
    return sentence


def _derivation(model, c, st: Style, index: int) -> str:
    """The correct derivation for the claim's layer (the derivation renderer's own steps), or
    the sum for a total."""
    if c.node is None:
        counted = [model.evaluate(n.own(c.kind)) for n in model.nodes]
        parts = [st.num(v) for v in counted if v]
        if len(parts) > 12:
            parts = parts[:5] + ["…"]
        return "Σ = " + " + ".join(parts) + " = " + st.num(c.expected) + "\n"
    from ..derivation import layer_step
    step = layer_step(c.node, model.symbol_meanings)
    if st.format == "latex":
        from ..render.latex import render_latex_step
        return render_latex_step(step, model, st.lang, index, level=3)
    from ..render.markdown import render_markdown_step
    return render_markdown_step(step, model, st.lang, index, level=3)


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _steps(model, c, num, style, _) -> list[Step]:
    ev = model.evaluate
    if c.node is None:
        return _total_steps(model, c, num)
    node = c.node
    if c.kind == "shape":
        shape = node.output_shape
        if node.layer.role in ("flatten", "reshape") and node.input_shapes and None not in node.input_shapes[0]:
            shape = node.input_shapes[0]
        dims = [ev(d) for d in shape]
        times = r" \cdot " if style == "latex" else "·"
        return [Step(_(M.OUTPUT_SIZE), "(" + ", ".join(str(d) for d in dims) + ")",
                     times.join(str(d) for d in dims) if len(dims) > 1 else "", num(c.expected))]
    steps = []
    counts = []
    for w in node.weights:
        value = ev(w.count)
        note = "buffer" if w.buffer else ("non-trainable" if not w.trainable else "")
        substituted = formula_text(w.formula, dict(node.values), style, ev)
        if substituted == str(value):
            substituted = ""
        steps.append(Step(w.name, formula_text(w.formula, None, style), substituted, num(value), note))
        if not w.buffer:
            counts.append(value)
    repeat = ev(node.repeat) if node.repeat != 1 else 1
    sum_text = " + ".join(num(x) for x in counts)
    if repeat != 1:
        sum_text = f"{repeat} × ({sum_text})"
    steps.append(Step(_(M.PARAMETERS), "", sum_text if len(counts) > 1 or repeat != 1 else "",
                      num(c.expected)))
    return steps


def _total_steps(model, c, num) -> list[Step]:
    kind = c.kind
    own = [(n.name, model.evaluate(n.own({"params": "params", "trainable": "trainable",
                                           "non_trainable": "non_trainable"}[kind])))
           for n in model.nodes]
    own = [(name, v) for name, v in own if v]
    if len(own) <= 12:
        text = " + ".join(num(v) for _, v in own)
    else:
        text = " + ".join(num(v) for _, v in own[:5]) + f" + … ({len(own)})"
    return [Step("Σ", "", text, num(c.expected))]


# ----------------------------------------------------------------------------- plain text

def render_text(data: Sheet) -> str:
    out = [data.title, data.model_line, ""]
    width = max((len(e.label) for e in data.entries), default=0)
    for e in data.entries:
        mark = "✓" if e.correct else "✗"
        out.append(f"{mark} {e.label.ljust(width)}  {e.kind_label}: {e.claimed}  [{e.verdict_label}]")
        for s in e.sentences[0 if not e.correct else 1:]:
            out.append(f"    {s}")
        if not e.correct:
            for st in e.steps:
                parts = [p for p in (st.formula, st.substituted, st.result) if p]
                note = f"  ({st.note})" if st.note else ""
                out.append(f"      {st.name} = " + " = ".join(parts) + note)
    out += ["", data.summary]
    return "\n".join(out) + "\n"
