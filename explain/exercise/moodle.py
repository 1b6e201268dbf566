"""The exercise as a Moodle quiz: Moodle XML with one Embedded answers (Cloze) question per
variant (``<question type="cloze">``), its HTML in CDATA sections as Moodle's XML format
documents. Each blank is a NUMERICAL sub-question with one exact answer and tolerance 0,
``{1:NUMERICAL:=156:0}``: an output shape is asked axis by axis, a count as a whole number. The
general feedback (shown after the attempt) is the solution: the derivation's summary, each
layer's formula with its numbers (MathJax's ``\\( … \\)``, which Moodle's TeX filter renders),
its parameters and output shape, and the total.

Import: Question bank → Import → Moodle XML format (see the README).
"""
from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING

from ..msgid import N_
from ..layers.base import tuple_text
from .spec_text import code, given, inputs_of, layer_items, value_text

if TYPE_CHECKING:
    from .sheet import Assignment

# Translators: the name of a Moodle question: the model's name and the variant's id (lenet5, variant K3QX7A)
QUESTION_NAME = N_("%(name)s, variant %(variant)s")
# Translators: the heading of the Moodle quiz's general feedback (the solution)
SOLUTION = N_("Solution")
# Translators: a blank of the Moodle quiz: the output shape, one blank per axis
SHAPE_BLANKS = N_("Output shape")
# Translators: a column heading of an exercise's model table: the layer's type (Conv2D, Dense)
TYPE = N_("Type")
# Translators: a column heading of an exercise's model table: the layer's hyperparameters (filters=32, kernel_size=3)
ARGUMENTS = N_("Arguments")


def cloze(answer: int) -> str:
    """An exact NUMERICAL sub-question worth 1 mark: ``{1:NUMERICAL:=answer:0}``."""
    return "{1:NUMERICAL:=%d:0}" % answer


def cdata(html: str) -> str:
    """``html`` as one CDATA section (a ``]]>`` inside is split across two)."""
    return "<![CDATA[" + html.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def quiz(items: list["Assignment"], lang: str) -> str:
    """The quiz: a category named after the model, then one Cloze question per variant (a
    variant set for several students appears once)."""
    seen: set[str] = set()
    questions = []
    for a in items:
        if a.variant.id in seen:
            continue
        seen.add(a.variant.id)
        questions.append(_question(a, lang))
    name = items[0].variant.model.name if items else "explain"
    category = (f"  <question type=\"category\">\n    <category>\n      <text>$course$/top/"
                f"{escape(_plain(name))}</text>\n    </category>\n  </question>\n")
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n" + category + "".join(questions) + "</quiz>\n"


def _plain(text: str) -> str:
    """A name for Moodle's category path: no slashes (they separate levels)."""
    return re.sub(r"[/\x00-\x1f]", "_", text)


def _t(lang: str, message: str, **args: str) -> str:
    """A sentence of the catalogs in ``lang``, HTML-escaped before its (escaped) values are
    filled in."""
    from ..render.i18n import translate
    text = escape(translate(lang, message), quote=False).replace("%%", "%")
    return text % {k: v for k, v in args.items()} if args else text


def _question(a: "Assignment", lang: str) -> str:
    text = _question_html(a, lang)
    feedback = _solution_html(a, lang)
    name = _t(lang, QUESTION_NAME, name=escape(a.variant.model.name), variant=a.variant.id)
    return ("  <question type=\"cloze\">\n"
            f"    <name>\n      <text>{name}</text>\n    </name>\n"
            f"    <questiontext format=\"html\">\n      <text>{cdata(text)}</text>\n    </questiontext>\n"
            f"    <generalfeedback format=\"html\">\n      <text>{cdata(feedback)}</text>\n    </generalfeedback>\n"
            "    <penalty>0.3333333</penalty>\n"
            "    <hidden>0</hidden>\n"
            f"    <idnumber>{escape(a.variant.id)}</idnumber>\n"
            "  </question>\n")


def _question_html(a: "Assignment", lang: str) -> str:
    """The question: the model as given, then the blanks with their exact answers."""
    spec, model = a.variant.spec, a.variant.model
    out = [f"<p>{_t(lang, N_('Variant: %(variant)s'), variant='<code>' + a.variant.id + '</code>')}</p>"]
    ins = inputs_of(spec)
    for name, shape in ins:
        shown = "<code>" + escape(tuple_text([value_text(d) for d in shape])) + "</code>"
        if len(ins) > 1:
            out.append("<p>" + _t(lang, N_("The input %(name)s has the shape %(shape)s, without the batch axis."),
                                  name=f"<code>{escape(name)}</code>", shape=shown) + "</p>")
        else:
            out.append("<p>" + _t(lang, N_("The input has the shape %(shape)s, without the batch axis."),
                                  shape=shown) + "</p>")
    if spec.get("symbols"):
        values = ", ".join(f"{escape(str(k))} = {escape(str(v))}" for k, v in spec["symbols"].items())
        out.append("<p>" + _t(lang, N_("The symbols stand for these values: %(values)s."), values=values) + "</p>")
    if a.show == "code":
        pytorch = spec.get("framework", "keras") in ("pytorch", "torch")
        lead = N_("The model is built by this PyTorch code:") if pytorch else N_("The model is built by this Keras code:")
        out.append(f"<p>{_t(lang, lead)}</p>")
        out.append("<pre><code>" + _no_braces(escape(code(spec))) + "</code></pre>")
    else:
        out.append("<p>" + _t(lang, N_("The model's layers, in order:")) + "</p>")
        rows = ["<tr><th>#</th><th>" + _t(lang, N_("Layer")) + "</th><th>" + _t(lang, TYPE) + "</th><th>"
                + _t(lang, ARGUMENTS) + "</th></tr>"]
        for i, (name, type_name, args) in enumerate(layer_items(spec), 1):
            hyper = ", ".join(f"<code>{_no_braces(escape(f'{k}={value_text(v)}'))}</code>"
                              for k, v in given(spec, args).items())
            rows.append(f"<tr><td>{i}</td><td><code>{escape(name)}</code></td><td>{escape(type_name)}</td>"
                        f"<td>{hyper}</td></tr>")
        out.append("<table border=\"1\" cellpadding=\"4\">" + "".join(rows) + "</table>")
    asks, answers = a.variant.answers(a.ask)
    out.append("<p>" + " ".join(_t(lang, m) for m in _task(a.ask)) + "</p>")
    head = "<tr><th>#</th><th>" + _t(lang, N_("Layer")) + "</th>"
    head += "".join("<th>" + _t(lang, {"shapes": SHAPE_BLANKS, "params": N_("Parameters"),
                                       "macs": N_("MACs")}[k]) + "</th>" for k in asks) + "</tr>"
    rows = [head]
    for i, (layer, answered) in enumerate(answers, 1):
        cells = [tuple_text([cloze(int(d)) if d is not None else "None" for d in v]) if k == "shapes"
                 else cloze(v) if v is not None else "–" for k, v in zip(asks, answered)]
        rows.append(f"<tr><td>{i}</td><td><code>{escape(layer)}</code></td>"
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("<table border=\"1\" cellpadding=\"4\">" + "".join(rows) + "</table>")
    totals = [(N_("Total number of parameters:"), model.total)]
    if "trainable" in a.ask:
        totals += [(N_("Trainable parameters:"), model.trainable),
                   (N_("Non-trainable parameters:"), model.non_trainable)]
    out.append("<p>" + "<br>".join(f"{_t(lang, m)} {cloze(v)}" for m, v in totals) + "</p>")
    return "\n".join(out)


def _task(ask: tuple[str, ...]) -> list[str]:
    """The task's sentences, as the sheets say them (without the answer form)."""
    out = []
    if "shapes" in ask and "params" in ask:
        out.append(N_("For each layer, give its output shape (without the batch axis) and its number of parameters."))
    elif "shapes" in ask:
        out.append(N_("For each layer, give its output shape (without the batch axis)."))
    elif "params" in ask:
        out.append(N_("For each layer, give its number of parameters."))
    if "macs" in ask:
        out.append(N_("For each layer, give the number of multiply-accumulate operations (MACs) in one forward pass of a single sample."))
    if "trainable" in ask:
        out.append(N_("Then give the model's total number of parameters, and how many of them are trainable and how many are not."))
    else:
        out.append(N_("Then give the model's total number of parameters, non-trainable ones included."))
    return out


def _no_braces(html: str) -> str:
    """Braces as HTML entities: Moodle's Cloze parser reads ``{…}`` in the question text."""
    return html.replace("{", "&#123;").replace("}", "&#125;")


def _cell(markdown: str) -> str:
    """A summary cell of the Markdown derivation as HTML: ``$…$`` → ``\\(…\\)``, code → <code>."""
    parts = []
    pos = 0
    for m in re.finditer(r"\$[^$]+\$|`[^`]+`", markdown):
        parts.append(escape(markdown[pos:m.start()].replace("\\_", "_")))
        token = m.group(0)
        if token.startswith("$"):
            parts.append(escape("\\(" + token[1:-1] + "\\)"))
        else:
            parts.append("<code>" + escape(token[1:-1]) + "</code>")
        pos = m.end()
    parts.append(escape(markdown[pos:].replace("\\_", "_")))
    return "".join(parts)


def _solution_html(a: "Assignment", lang: str) -> str:
    """The derivation's summary table and total, in ``lang``."""
    from ..derivation import derive
    from ..render.view import Formatter, model_context
    f = Formatter("markdown", lang)
    facts = model_context(derive(a.variant.model), f)
    head = (f"<tr><th>{_t(lang, N_('Layer (type)'))}</th><th>{_t(lang, N_('Formula'))}</th>"
            f"<th>{_t(lang, N_('Parameters'))}</th><th>{_t(lang, N_('Output shape'))}</th></tr>")
    rows = [head]
    for r in facts["rows"]:
        rows.append(f"<tr><td><code>{escape(r['name'])}</code> ({escape(r['type'])})</td>"
                    f"<td>{_cell(r['formula'] or '')}</td><td>{escape(r['params'])}</td>"
                    f"<td>{_cell(r['shape'])}</td></tr>")
    total = _t(lang, N_("Total: %(total)s parameters."), total=escape(facts["total"]))
    out = [f"<h4>{_t(lang, SOLUTION)}</h4>", "<table border=\"1\" cellpadding=\"4\">" + "".join(rows) + "</table>",
           f"<p>{total}</p>"]
    if "trainable" in a.ask:
        out.append("<p>" + _t(lang, N_("Trainable parameters: %(trainable)s. Non-trainable parameters: %(non_trainable)s."),
                              trainable=escape(facts["trainable"]), non_trainable=escape(facts["non_trainable"])) + "</p>")
    return "\n".join(out)
