"""The exercise sheet and its solution sheet as documents (see :mod:`explain.render.documents`).

The exercise sheet's facts are the spec as the student is given it (names, types,
hyperparameters or code, the input shapes) and the blanks; they hold no count and no output
shape, so no answer can reach the sheet. The solution sheet is the model's derivation, headed
by the variant's id and the student's name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from ..layers.base import format_shape, tuple_text
from ..render.documents import document
from ..msgid import N_
from .spec_text import code, defaults, given, inputs_of, layer_items, value_text
from .variants import Variant

if TYPE_CHECKING:
    from ..render.view import Formatter

ASK = ("shapes", "params", "trainable", "macs")
"""What a sheet may ask: each layer's output shape, its parameters, the trainable and
non-trainable split of the total, each layer's multiply-accumulates."""
SHOW = ("table", "code")


@dataclass(frozen=True)
class Assignment:
    """One sheet: a variant, the student it is for (or none), what it asks, how it shows the
    model, and the answer form's file name."""

    variant: Variant
    student: Optional[str] = None
    ask: tuple[str, ...] = ("shapes", "params")
    show: str = "table"
    form: Optional[str] = None
    varied: bool = False
    """The variant differs from the model it was drawn from (the titles say "a variant of")."""


def _header(a: Assignment, f: "Formatter") -> dict[str, Any]:
    return {"variant": f.name(a.variant.id), "student": f.text(a.student) if a.student else "",
            "model_name": f.name(a.variant.model.name), "cjk": _cjk(a.student or ""), "varied": a.varied}


def _cjk(text: str) -> bool:
    """Whether a name has Chinese, Japanese or Korean characters (LaTeX then loads luatexja for
    them, whatever the sheet's language)."""
    return any(0x3000 <= ord(ch) <= 0x9FFF or 0xAC00 <= ord(ch) <= 0xD7AF or 0xF900 <= ord(ch) <= 0xFAFF
               or 0xFF00 <= ord(ch) <= 0xFFEF for ch in text)


@document("exercise", "markdown", "latex")
def exercise_facts(a: Assignment, f: "Formatter", **_: Any) -> dict[str, Any]:
    """The model as given (table rows or code) and the blanks; no count, no shape."""
    spec = a.variant.spec
    rows = []
    for index, (name, type_name, args) in enumerate(layer_items(spec), 1):
        hyper = [f"{k}={value_text(v)}" for k, v in given(spec, args).items()]
        rows.append({"index": index, "name": f.cell_code(name), "type": f.cell_type(type_name),
                     "args": [f.code(h) for h in hyper]})
    inputs = [(f.name(n), f.unbroken(tuple_text([value_text(d) for d in shape])))
              for n, shape in inputs_of(spec)]
    symbols = [f.m(f"{k} = {v}") for k, v in (spec.get("symbols") or {}).items()]
    facts = _header(a, f)
    facts.update(rows=rows, inputs=inputs, symbols=symbols, ask=a.ask, show=a.show,
                 code=_code_lines(code(spec), f) if a.show == "code" else [],
                 language="python", form=f.name(a.form) if a.form else "",
                 pytorch=spec.get("framework", "keras") in ("pytorch", "torch"),
                 layer_ask=[k for k in a.ask if k in ("shapes", "params", "macs")],
                 defaults=_defaults_text(spec, f),
                 framework="PyTorch" if spec.get("framework", "keras") in ("pytorch", "torch") else "Keras",
                 totals=["total"] + (["trainable", "non_trainable"] if "trainable" in a.ask else []))
    return facts


# Translators: on an exercise sheet: the layer type (Conv2D) and the default values of the arguments it leaves out, joined by the language's "and" (`padding="valid"` and `strides=1`), an item of a list whose items are separated by "; "
DEFAULTS_ITEM = N_("for %(type)s, %(arguments)s")
# Translators: on an exercise sheet: a stride's default None (`strides=None`), which means the window argument's value (`pool_size`)
EQUAL_TO_WINDOW = N_("%(argument)s (i.e. equal to %(window)s)")


def _defaults_text(spec: dict[str, Any], f: "Formatter") -> str:
    """The defaults of the window arguments the layers leave out, as a list in the sheet's
    language: for Conv2D, ``padding="valid"`` and ``strides=1``; for AveragePooling2D,
    ``padding="valid"`` and ``strides=None`` (i.e. equal to ``pool_size``) (empty where no layer
    leaves one out)."""
    from ..render.i18n import join_list, translate

    def arg(code: str, window: str) -> str:
        if not window:
            return f.code(code)
        return translate(f.lang, EQUAL_TO_WINDOW) % {"argument": f.code(code), "window": f.code(window)}

    items = [translate(f.lang, DEFAULTS_ITEM) % {"arguments": join_list([arg(*a) for a in args], f.lang, f.format),
                                                  "type": f.cell_type(type_name)}  # never hyphenated: "Average-/Pooling2D"
             for type_name, args in defaults(spec)]
    return join_list(items, f.lang, f.format, nested=True)


@document("solution", "markdown", "latex")
def solution_facts(a: Assignment, f: "Formatter", **options: Any) -> dict[str, Any]:
    """The variant's derivation (as ``explain derive`` writes it; with ``macs`` asked, the
    compute too), headed by the variant and the student."""
    from ..render.derivation_doc import derivation_facts
    count = ("params", "compute") if "macs" in a.ask else ("params",)
    facts = derivation_facts(a.variant.model, f, count=count)
    facts.update(_header(a, f))
    facts["answer_key"] = answer_key(a, f)
    return facts


def answer_key(a: Assignment, f: "Formatter") -> dict[str, Any]:
    """The answers in the exercise's own form, for the top of the solution sheet: per layer the
    asked output shape (without the batch axis), parameters and MACs; the total (and its
    trainable split when asked)."""
    model = a.variant.model
    columns, answers = a.variant.answers(a.ask)
    rows = []
    for index, (name, values) in enumerate(answers, 1):
        cells = [f.unbroken(format_shape(v)) if k == "shapes" else f.num(v) if v is not None else ""
                 for k, v in zip(columns, values)]
        rows.append({"index": index, "name": f.cell_code(name), "cells": cells})
    totals = [("total", f.num(model.total))]
    if "trainable" in a.ask:
        totals += [("trainable", f.num(model.trainable)), ("non_trainable", f.num(model.non_trainable))]
    return {"columns": columns, "rows": rows, "totals": totals}


def _code_lines(text: str, f: "Formatter") -> list[str]:
    """The code's lines; in LaTeX escaped, their indent kept as fixed spaces."""
    if f.format != "latex":
        return text.splitlines()
    from ..render.escape import latex_text
    out = []
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        out.append("~" * (len(line) - len(stripped)) + latex_text(stripped))
    return out
