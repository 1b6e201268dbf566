"""The feedback sheet: per claim the verdict, the mistake in one sentence and the correct
derivation for that layer; a summary line. JSON (SPEC §5), plain text, Markdown, LaTeX.

The sheet is built as facts (numbers and names formatted for the format, sentences as message
ids with their placeholders' values); ``templates/<format>/check.<ext>.j2`` lays them out and
translates the sentences (see :mod:`explain.render.documents`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Optional

from ..render.documents import document
from ..render.mathtex import MathPrinter, formula_text
from ..render.view import Formatter, StepView, View
from . import messages as M
from .arith import BinOp, Expr, Neg, Num, Work

# ----------------------------------------------------------------------------- the sheet as facts

@dataclass
class Sentence:
    """A message id and its placeholders' values (formatted); about one layer (``In layer: …``)
    or every layer, or neither."""

    message: str
    facts: dict[str, str] = field(default_factory=dict)
    layer: Optional[str] = None
    every: bool = False


@dataclass
class Step:
    """One line of a derivation: ``name = formula = substituted = result  (note)``; ``name`` is
    a message id when ``named`` is false (``output size``, ``parameters``)."""

    name: str
    formula: str = ""
    substituted: str = ""
    result: str = ""
    note: str = ""
    """A message id (``buffer``, ``not trainable``) or empty."""
    named: bool = True


@dataclass
class Entry:
    label: Optional[str]
    """The claim's layer (formatted); None for the model's total."""
    kind: str
    """A message id: what is claimed (parameters, output size …)."""
    claimed: str
    """The student's work as written, in the document's notation (:func:`work_text`)."""
    expected: str
    verdict: str
    """A message id: the verdict's label."""
    heading_verdict: str
    """A message id: the verdict in the claim's heading (in parentheses there)."""
    correct: bool
    sentences: list[Sentence] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    """The correct derivation in plain text (text format)."""
    equation: Optional[str] = None
    """A compute or memory claim's correct derivation as display math (Markdown, LaTeX)."""
    step: Optional[StepView] = None
    """The layer's correct derivation as the derivation renderer shows it (Markdown, LaTeX)."""
    sum: Optional[list[str]] = None
    """For a total (Markdown, LaTeX): the counts of the layers that add up to it."""
    answer: Optional[tuple[str, str]] = None
    """A right result from a wrong formula: the student's formula and result, shown apart (the
    equation as written is false)."""
    index: int = 0
    """The claim's number in the sheet's table (its section carries the same number)."""
    section: bool = True
    """Whether the claim gets a section below the table: a claim that is not correct (with the
    correct derivation), or a correct one with more to say than ``Correct.`` (where it was found)."""


@document("check", "json")
def sheet_data(report: Any, **_: Any) -> dict[str, Any]:
    """SPEC §5: the verdict, the expected value and the diagnosis of every claim."""
    return report.to_json()


@document("check", "markdown", "latex", "text")
def sheet_facts(report: Any, f: Formatter, **_: Any) -> dict[str, Any]:
    """The sheet's facts: the model's name, one entry per claim, the counts for the summary."""
    from ..render.text import width
    view = View(f, report.model)
    entries = [_entry(report, c, f, view, i) for i, c in enumerate(report.claims, 1)]
    counts = report.summary()
    right_number = [f.num(e.index) for e, c in zip(entries, report.claims) if c.verdict == "wrong_formula"]
    return {"model_name": f.name(report.model.name), "entries": entries, "all_correct": report.all_correct,
            "correct": f.num(counts.get("correct", 0)), "total": f.num(len(report.claims)),
            "right_number": right_number, "width": width}


_KINDS = {"params": M.PARAMETERS, "shape": M.OUTPUT_SIZE, "trainable": M.TRAINABLE,
          "non_trainable": M.NON_TRAINABLE}


def _entry(report: Any, c: Any, f: Formatter, view: View, index: int) -> Entry:
    num = f.num
    model = report.model
    label = None if c.layer == "total" else f.name(str(c.layer))
    if c.node is not None and str(c.layer) != c.node.name:
        label = f"{f.text(str(c.layer))} ({f.name(c.node.name)})"
    stated = None
    if c.work is not None:
        stated = c.work.result_value if c.work.result_value is not None else c.work.formula_value
    expected = num(c.expected) if c.expected is not None else ""
    facts = {"expected": expected, "claimed": num(stated) if stated is not None else f.name(c.claimed),
             "formula": num(c.work.formula_value) if c.work and c.work.formula_value is not None else "",
             "result": num(c.work.result_value) if c.work and c.work.result_value is not None else "",
             "written": _formula_gives(c.work, f), "reason": f.text(c.reason)}
    if getattr(c, "quantity", None) is not None and (stated is None or stated == c.expected):
        facts["claimed"] = f.text(c.text[c.text.rfind("=") + 1:].strip())  # the size in its unit, as written
    verdict = [Sentence(M.VERDICT_SENTENCES[c.verdict], facts)]
    if c.axes:  # a shape compared axis by axis: which axis is wrong, rather than the products
        axes = [Sentence(M.AXES[a["name"]], {"axis": num(a["axis"]), "claimed": num(a["claimed"]),
                                             "expected": num(a["expected"])}) for a in _square(c.axes)]
        verdict = axes if c.verdict == "wrong" else verdict + axes
        dims = [model.evaluate(x) for x in c.node.output_shape if x is not None]
        if len(dims) == len(c.node.output_shape):
            expected = f.text(" × ").join(num(d) for d in dims)
    sentences = verdict + _where(c, f) if c.correct else _where(c, f) + verdict
    sentences += [_mistake_sentence(v, f) for v in c.mistakes]
    if c.verdict in ("wrong", "wrong_formula") and not c.mistakes and not c.axes:  # the axes name the mistake
        sentences.append(Sentence(M.NO_DIAGNOSIS))
    unique = {(s.message, tuple(s.facts.items()), s.layer, s.every): s for s in sentences}
    if c.kind == "memory" and not c.correct and c.verdict != "unreadable":
        sentences.insert(0, _memory_setting(c, f))
        unique = {(s.message, tuple(s.facts.items()), s.layer, s.every): s for s in sentences}
    entry = Entry(label, _kind(c), work_text(c, f), expected or "–", M.VERDICT_LABELS[c.verdict],
                  M.VERDICT_HEADINGS.get(c.verdict, M.VERDICT_LABELS[c.verdict]), c.correct,
                  list(unique.values()), index=index)
    if c.verdict == "wrong_formula" and c.work is not None and c.work.formula is not None \
            and c.work.result_value is not None and c.claimed == c.work.normalized():
        entry.answer = (_formula(c.work.formula, f), num(c.work.result_value))
    if c.kind in ("macs", "flops", "memory"):
        if not c.correct and c.verdict != "unreadable":
            _compute_derivation(entry, model, c, f)
        return entry
    if c.correct:
        entry.section = len(entry.sentences) > 1  # the full derivation only for what is not correct
    elif c.verdict in ("unreadable", "unattributed"):
        pass
    elif f.format == "text":
        entry.steps = _steps(model, c, num, f.lang)
    elif c.node is None:
        counted = [model.evaluate(n.own(c.kind)) for n in model.nodes]
        entry.sum = [num(v) for v in counted if v]
        if len(entry.sum) > 12:
            entry.sum = entry.sum[:5] + ["…"]
    else:
        from ..derivation import layer_step
        step = view.step(layer_step(c.node, model.symbol_meanings), 0)  # numbered once, by the claim
        entry.step = replace(step, activation=None)  # no parameters: nothing to do with the count
    return entry


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _kind(c: Any) -> str:
    """The message id of what a claim states."""
    if c.kind in ("macs", "flops"):
        token = c.per == "token"
        if c.kind == "macs":
            return M.MACS_PER_TOKEN if token else M.MACS
        return M.FLOPS_PER_TOKEN if token else M.FLOPS
    return M.MEMORY if c.kind == "memory" else _KINDS[c.kind]


def _memory_setting(c: Any, f: Formatter) -> Sentence:
    """Which training a memory claim is judged for: the optimizer and the precision."""
    from ..render.i18n import translate
    names = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}
    optimizer = names.get(c.optimizer) or translate(f.lang, M.SGD_MOMENTUM)
    precision = translate(f.lang, M.MIXED) if c.precision == "mixed" else c.precision
    return Sentence(M.MEMORY_SETTING, {"optimizer": f.text(optimizer),
                                       "precision": f.text(precision) if c.precision == "mixed" else f.name(precision)})


def _compute_derivation(entry: Entry, model: Any, c: Any, f: Formatter) -> None:
    """The correct count of a compute or memory claim: display math (Markdown, LaTeX) or
    lines ``name = formula = numbers = result`` (text)."""
    from ..compute import FLOPS_PER_MAC
    from ..memory import per_parameter
    from ..symbols import to_expr
    math = f.format != "text"
    printer = MathPrinter(f.lang, plain=not math)
    number = printer.number
    times = r" \times " if math else " × "
    rows: list[tuple[str, str]] = []  # (left-hand side, right-hand side)
    if c.kind == "memory":
        per = per_parameter(c.optimizer, c.precision)
        count, trainable = (model.total, model.trainable) if c.node is None else \
            (model.evaluate(c.node.params), model.evaluate(c.node.trainable))
        train = f"({per.gradient} + {per.optimizer})" if count != trainable else \
            f"({per.parameter} + {per.gradient} + {per.optimizer})"
        rhs = f"{number(count)}{times}{train}" if count == trainable else \
            f"{number(count)}{times}{per.parameter} + {number(trainable)}{times}{train}"
        rows.append(("M_states" if not math else r"M_{\text{states}}", f"{rhs} = {number(c.expected)}"))
    else:
        ev = model.evaluate
        if c.node is not None:
            node = c.node
            cost = node.cost
            values = {k: ev(v) if not isinstance(v, int) else v for k, v in {**node.values, **cost.values}.items()}
            one = ev(to_expr(cost.macs).xreplace({s: to_expr(values[s]) for s in cost.macs.free_symbols}))
            chain = [printer.expr(cost.macs), printer.expr(cost.macs, values), number(one)]
            chain = [x for i, x in enumerate(chain) if x not in chain[:i]]
            repeat = ev(node.repeat) if node.repeat != 1 else 1
            if repeat != 1:
                chain.append(f"{number(repeat)}{times}{number(one)} = {number(ev(node.macs))}")
            macs = ev(node.macs)
        else:
            layers = [ev(n.macs) for n in model.nodes if n.macs is not None and ev(n.macs)]
            macs = model.macs
            shown = [number(x) for x in layers[:4]] + ([r"\dots" if math else "…"] if len(layers) > 4 else [])
            chain = ([" + ".join(shown)] if len(layers) > 1 else []) + [number(macs)]
        if math and c.node is None and len(chain) > 1:
            rows.append((r"\text{MACs}", chain[0]))  # the sum of the layers on a line of its own
            chain = chain[1:]
            rows.append(("", " = ".join(chain)))
        else:
            rows.append((r"\text{MACs}" if math else "MACs", " = ".join(chain)))
        value = macs
        if c.kind == "flops":
            value = FLOPS_PER_MAC * macs
            rows.append((r"\text{FLOPs}" if math else "FLOPs", f"2{times}{number(macs)} = {number(value)}"))
        if c.per == "token":
            length = ev(model.context)
            name = "MACs" if c.kind == "macs" else "FLOPs"
            lhs = rf"\frac{{\text{{{name}}}}}{{T}}" if math else f"{name} / T"
            rhs = rf"\frac{{{number(value)}}}{{{number(length)}}}" if math else f"{number(value)} / {number(length)}"
            rows.append((lhs, f"{rhs} = {number(c.expected)}"))
    if math:
        entry.equation = f.dm("\\begin{aligned}\n" + " \\\\\n".join(f"{lhs} &= {rhs}" for lhs, rhs in rows)
                              + "\n\\end{aligned}")
    else:
        entry.steps = [Step(lhs, "", "", rhs) for lhs, rhs in rows]


def work_text(c: Any, f: Formatter) -> str:
    """The student's calculation as written, in the sheet's notation: × for every product
    (``x``, ``*``, ``·``, ``\\cdot`` alike) and the locale's digit grouping, as math in Markdown
    and LaTeX (``$3 \\times 3 \\times 32 \\times 32 + 32 = 9\\,248$``); a claim that is not
    arithmetic, or a shape, as the text it was."""
    work: Optional[Work] = c.work
    if work is None or c.claimed != work.normalized():
        return f.name(getattr(c, "written", "") or c.claimed)  # control characters removed
    parts = [p for p in (work.formula, *work.steps, work.result) if p is not None]
    if work.formula is None and work.result is not None:
        parts = [work.result]
    if f.format == "text":
        return " = ".join(_written(p, lambda n: f.num(n), " × ", plain=True) for p in parts)
    math = MathPrinter(f.lang)
    return f.m(" = ".join(_written(p, math.number, r" \times ", plain=False) for p in parts))


def _formula(e: Expr, f: Formatter) -> str:
    """The student's formula as written (``512 × 128 + 512``), as math in Markdown and LaTeX."""
    if f.format == "text":
        return _written(e, f.num, " × ", plain=True)
    return f.m(_written(e, MathPrinter(f.lang).number, r" \times ", plain=False))


def _formula_gives(work: Optional[Work], f: Formatter) -> str:
    """The student's formula as written and its value (``512 × 128 + 512 = 66,048``), as math
    in Markdown and LaTeX; empty without a formula."""
    if work is None or work.formula is None or work.formula_value is None:
        return ""
    if f.format == "text":
        return _written(work.formula, f.num, " × ", plain=True) + " = " + f.num(work.formula_value)
    math = MathPrinter(f.lang)
    return f.m(_written(work.formula, math.number, r" \times ", plain=False) + " = " + math.number(work.formula_value))


_BINDING = {"+": 1, "-": 1, "*": 2, "^": 4}
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _written(e: Expr, number: Callable[[int], str], times: str, plain: bool, outer: int = 0) -> str:
    """``e`` printed with ``number`` for its numbers and ``times`` for products; brackets where
    the tree needs them (as the student's brackets were)."""
    if isinstance(e, Num):
        return number(e.value)
    if isinstance(e, Neg):
        text = "-" + _written(e.operand, number, times, plain, 3)
        binding = 3
    else:
        assert isinstance(e, BinOp)
        binding = _BINDING[e.op]
        left = _written(e.left, number, times, plain, binding + (1 if e.op == "^" else 0))
        right = _written(e.right, number, times, plain, binding + (1 if e.op == "-" else 0))
        if e.op == "^":
            if plain and isinstance(e.right, Num) and e.right.value < 100:
                text = left + str(e.right.value).translate(_SUPERSCRIPT)  # 768², as written
            else:
                text = f"{left}^{right}" if plain else f"{left}^{{{right}}}"
        else:
            text = left + (times if e.op == "*" else f" {e.op} ") + right
    if binding < outer:
        return f"({text})" if plain else rf"\left({text}\right)"
    return text


def _where(c: Any, f: Formatter) -> list[Sentence]:
    """In a document: where the calculation stands and why it is about its layer (first, or
    after the verdict's ``Correct.``, which the text sheet leaves out)."""
    if c.place is None:
        return []
    p = c.place
    key = "page" if "page" in p else ("output" if p.get("output") else "cell" if "cell" in p else "line")
    place = Sentence(M.PLACES[key], {k: f.num(v) for k, v in p.items()
                                     if isinstance(v, int) and not isinstance(v, bool)})
    layer = c.node.name if c.node is not None else str(c.layer)
    message = M.ATTRIBUTIONS[c.attribution]
    facts = {"layer": f.name(layer), "layers": f.text(", ".join(c.candidates))}
    return [place, Sentence(message, {k: facts[k] for k in _PLACEHOLDER.findall(message)})]


def _square(axes: list[dict]) -> list[dict]:
    """Height and width wrong alike (a square feature map): one sentence for both."""
    by_name = {a["name"]: a for a in axes}
    h, w = by_name.get("height"), by_name.get("width")
    if h is None or w is None or (h["claimed"], h["expected"]) != (w["claimed"], w["expected"]):
        return axes
    return [{**h, "name": "height_width"} if a is h else a for a in axes if a is not w]


_NAMES_ITS_LAYER = ("flatten_size", "wrong_input_shape", "output_off_by_one", "wrong_padding", "pooling_skipped",
                    "pool_size", "stride_ignored")
"""Mistakes whose sentence names the layer itself (no ``In LAYER:`` before it)."""


def _mistake_sentence(v: Any, f: Formatter) -> Sentence:
    detail = {}
    for k, x in v.detail.items():
        if k == "layer" and isinstance(x, str):
            detail[k] = f.name(x)
        elif isinstance(x, bool):
            detail[k] = str(x)
        elif isinstance(x, int):
            detail[k] = f.num(x)
        elif isinstance(x, tuple):
            detail[k] = f.text("(" + ", ".join(str(d) for d in x) + ")")
        else:
            detail[k] = f.text(str(x))
    message = M.MISTAKES.get(M.mistake_key(v.code, v.detail)) or M.MISTAKES.get(v.code, v.code)
    # the sentence's own facts, else the shared placeholders (symbols, formulas, names from code)
    shared = f.placeholders()
    facts = {k: detail[k] if k in detail else str(shared.get(k, "?")) for k in _PLACEHOLDER.findall(message)}
    sentence = Sentence(message, facts)
    layer = v.detail.get("layer")
    if layer and v.code not in _NAMES_ITS_LAYER:
        if layer == "every":
            sentence.every = True
        else:
            sentence.layer = f.name(layer)
    return sentence


def _steps(model: Any, c: Any, num: Callable[[int], str], lang: str) -> list[Step]:
    ev = model.evaluate
    if c.node is None:
        return _total_steps(model, c, num)
    node = c.node
    if c.kind == "shape":
        shape = node.output_shape
        if node.layer.role in ("flatten", "reshape") and node.input_shapes and None not in node.input_shapes[0]:
            shape = node.input_shapes[0]
        dims = [ev(d) for d in shape]
        return [Step(M.OUTPUT_SIZE, "(" + ", ".join(str(d) for d in dims) + ")",
                     "·".join(str(d) for d in dims) if len(dims) > 1 else "", num(c.expected), named=False)]
    steps = []
    counts = []
    for w in node.weights:
        value = ev(w.count)
        note = M.BUFFER if w.buffer else (M.NOT_TRAINABLE if not w.trainable else "")
        substituted = formula_text(w.formula, {k: ev(v) for k, v in node.values.items()}, lang)
        if substituted == num(value):
            substituted = ""
        steps.append(Step(w.name, formula_text(w.formula, None, lang), substituted, num(value), note))
        if not w.buffer:
            counts.append(value)
    repeat = ev(node.repeat) if node.repeat != 1 else 1
    sum_text = " + ".join(num(x) for x in counts)
    if repeat != 1:
        sum_text = f"{repeat} × ({sum_text})"
    steps.append(Step(M.PARAMETERS, "", sum_text if len(counts) > 1 or repeat != 1 else "",
                      num(c.expected), named=False))
    return steps


def _total_steps(model: Any, c: Any, num: Callable[[int], str]) -> list[Step]:
    own = [(n.name, model.evaluate(n.own(c.kind))) for n in model.nodes]
    own = [(name, v) for name, v in own if v]
    if len(own) == 1:
        return [Step("Σ", "", "", num(c.expected))]  # one layer: no sum to show
    if len(own) <= 12:
        text = " + ".join(num(v) for _, v in own)
    else:
        text = " + ".join(num(v) for _, v in own[:5]) + f" + … ({len(own)})"
    return [Step("Σ", "", text, num(c.expected))]
