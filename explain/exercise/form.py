"""The answer form of an exercise (the sheet calls it the answer file): a YAML file with the variant's id, the student's name, the
model (the variant's spec, as given on the sheet) and a blank for each asked quantity.

    variant: K3QX7A
    student: Ada Lovelace
    model: {name: lenet5, input: [32, 32, 1], layers: [...]}
    answers:
      c1:
        shape: 28 x 28 x 6
        params: 5 x 5 x 1 x 6 + 6 = 156
      total: 61706

A filled-in form is checked by ``explain check`` (:func:`read_form`): the model must be the
variant's (its id is the hash of the spec, so a changed model is refused), and every answer is
read as a worksheet claim. A blank left empty is ``unanswered``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ..answer_form import MAX_FORM_BYTES, is_form as is_form
from ..errors import ExplainError
from ..layers.base import tuple_text
from ..msgid import N_
from .spec_text import inputs_of, value_text
from .variants import Variant, make_variant, variant_id, with_restated, without_restated

LAYER_KEYS = {"shapes": "shape", "params": "params", "macs": "macs"}
TOTAL_KEYS = ("total", "trainable", "non_trainable")

# Translators: the first comment line of an exercise's answer file (a YAML file); the sheet calls it the answer file
FORM_HEAD = N_("Answer file for this exercise. Fill in each blank after its colon and hand the file back.")
# Translators: a comment in an exercise's answer form; 'variant' and 'model' are YAML keys, not translated
FORM_KEEP = N_("Keep 'variant' and 'model' as they are: they say which exercise you answered.")
# Translators: a comment in an exercise's answer file, before the blanks; %(shape)s is the model's input shape as the sheet writes it, (32, 32, 1); (n,) is Python's tuple of one item, not translated
FORM_SHAPE = N_("Write each output shape without the batch axis, as the sheet writes the input shape %(shape)s, and a vector of length n as (n,).")
# Translators: a comment in an exercise's answer file, before the blanks
FORM_COUNT = N_("Write each count as a number; show your working on the sheet (it is graded).")
# Translators: a comment in an exercise's answer file, before the blanks; 'total' is a YAML key, not translated
FORM_TOTAL = N_("'total' is the number of parameters of the whole model, non-trainable ones included.")


def form_text(variant: Variant, ask: tuple[str, ...], student: str | None, lang: str) -> str:
    """The blank answer form for ``variant`` (comments in ``lang``)."""
    from ..render.i18n import translate
    keys = [LAYER_KEYS[k] for k in ask if k in LAYER_KEYS]
    lines = [f"# {translate(lang, FORM_HEAD)}", f"# {translate(lang, FORM_KEEP)}",
             f"variant: {variant.id}", "student:" + (" " + _quoted(student) if student else "")]
    model = yaml.safe_dump({"model": without_restated(variant.spec)}, sort_keys=False, allow_unicode=True,
                           default_flow_style=None, width=100)
    lines.append(model.rstrip())
    inputs = inputs_of(variant.spec)
    if "shapes" in ask and inputs:
        shape = tuple_text([value_text(d) for d in inputs[0][1]])
        lines.append(f"# {translate(lang, FORM_SHAPE) % {'shape': shape}}")
    lines += [f"# {translate(lang, FORM_COUNT)}", f"# {translate(lang, FORM_TOTAL)}", "answers:"]
    for node in variant.model.nodes:
        if keys:
            lines.append(f"  {_quoted(node.name)}:")
            lines += [f"    {key}:" for key in keys]
    lines.append("  total:")
    if "trainable" in ask:
        lines += ["  trainable:", "  non_trainable:"]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A YAML scalar for a name (quoted where plain YAML would read it otherwise)."""
    dumped = yaml.safe_dump(text, allow_unicode=True, width=10_000).strip()
    return dumped[:-4].rstrip() if dumped.endswith("\n...") else dumped.replace("\n...", "")


@dataclass(frozen=True)
class Answer:
    """One blank: its layer (or ``total``), what it asks, the text written (``""`` when left
    empty) and its line."""

    layer: str
    kind: str
    text: str
    line: int


@dataclass(frozen=True)
class FilledForm:
    path: str
    variant: Variant
    student: str
    answers: tuple[Answer, ...]


def read_form(path: str) -> FilledForm:
    """A filled-in answer form; ExplainError names the file and the problem."""
    from ..importers.textfile import compose_yaml, decode, parse_yaml, read_bytes
    text = decode(read_bytes(path, MAX_FORM_BYTES), path, "an answer form")
    try:
        root = compose_yaml(text)
        data = parse_yaml(text, path)
    except ExplainError as e:  # too deep, too many nodes: the file is named
        raise e.located(file=path) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ExplainError(f"{where}is not a readable answer form (YAML: {getattr(e, 'problem', None) or e})",
                           file=path) from None
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise ExplainError("is not an answer form (it needs 'variant', 'model' and 'answers')", file=path)
    nodes = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    for key in ("variant", "model", "answers"):
        if key not in nodes:
            raise ExplainError(f"the answer form has no '{key}'", file=path)
    unknown = sorted(set(nodes) - {"variant", "student", "model", "answers"})
    if unknown:
        raise ExplainError(f"line {nodes[unknown[0]].start_mark.line + 1}: unknown key '{unknown[0]}' "
                           f"(an answer form has variant, student, model and answers)", file=path)
    wanted = _scalar(nodes["variant"])
    spec = data.get("model")
    if not isinstance(spec, dict):
        raise ExplainError(f"line {nodes['model'].start_mark.line + 1}: 'model' must be the exercise's "
                           f"model as the form gave it", file=path)
    spec = with_restated(spec)
    if variant_id(spec) != wanted:
        raise ExplainError(f"line {nodes['variant'].start_mark.line + 1}: the model is not that of variant "
                           f"{wanted!r} (it was changed, or the variant is wrong)", file=path)
    variant = make_variant(spec, path)
    student = _scalar(nodes["student"]) if "student" in nodes else ""
    answers = _answers(nodes["answers"], path)
    return FilledForm(path, variant, student, answers)


def _scalar(node: Any) -> str:
    return node.value.strip() if isinstance(node, yaml.ScalarNode) and node.value is not None else ""


def _answers(node: Any, path: str) -> tuple[Answer, ...]:
    if not isinstance(node, yaml.MappingNode):
        raise ExplainError(f"line {node.start_mark.line + 1}: 'answers' must map layer names to their "
                           f"blanks", file=path)
    out: list[Answer] = []
    for key, value in node.value:
        name = _scalar(key)
        line = key.start_mark.line + 1
        if name in TOTAL_KEYS:
            if not isinstance(value, yaml.ScalarNode):
                raise ExplainError(f"line {line}: '{name}' takes a number", file=path)
            out.append(Answer("total", name, _text(value), value.start_mark.line + 1))
            continue
        if isinstance(value, yaml.ScalarNode) and not value.value:
            continue  # a layer without blanks
        if not isinstance(value, yaml.MappingNode):
            raise ExplainError(f"line {line}: the blanks of layer '{name}' must be 'shape:' and "
                               f"'params:' lines below it", file=path)
        for k, v in value.value:
            kind = _scalar(k)
            if kind not in LAYER_KEYS.values():
                raise ExplainError(f"line {k.start_mark.line + 1}: unknown blank '{kind}' of layer "
                                   f"'{name}' (use {', '.join(LAYER_KEYS.values())})", file=path)
            if not isinstance(v, yaml.ScalarNode):
                raise ExplainError(f"line {k.start_mark.line + 1}: the answer for '{name}' {kind} must be "
                                   f"one line of text", file=path)
            out.append(Answer(name, kind, _text(v), v.start_mark.line + 1))
    return tuple(out)


def _text(node: yaml.ScalarNode) -> str:
    """The answer as written (YAML's null, ``~``, is an empty blank)."""
    text = (node.value or "").strip()
    return "" if text in ("~", "null", "Null", "NULL") and node.style is None else text
