"""``--format text``: the summary table that Keras's ``model.summary()`` prints."""
from __future__ import annotations

from babel.numbers import format_decimal

from ..model import Model
from .json_out import shape_json

LOCALES = {"en": "en", "de": "de_DE", "ja": "ja_JP", "fr": "fr_FR", "es": "es_ES"}


def number(n: int, lang: str) -> str:
    return format_decimal(n, locale=LOCALES[lang], group_separator=True)


def _shape_text(model: Model, shape) -> str:
    dims = ["None" if d is None else str(d) for d in shape_json(model, shape)]
    return "(" + ", ".join(dims) + ")"


def render_text(model: Model, lang: str = "en") -> str:
    graph = any(len(n.inputs) > 1 or (n.inputs and n.inputs[0] != prev)
                for n, prev in zip(model.nodes, ["input"] + [m.name for m in model.nodes]))
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if graph else [])
    rows = []
    for node in model.nodes:
        params = number(model.evaluate(node.params), lang)
        if node.shares is not None:
            params += f" (= {node.shares})"
        row = [f"{node.name} ({node.type})", _shape_text(model, node.output_shape), params]
        if graph:
            row.append(", ".join(node.inputs))
        rows.append(row)
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) + 2 for i in range(len(header))]
    width = sum(widths)

    def line(cells: list[str]) -> str:
        return "".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [f'Model: "{model.name}"', "━" * width, line(header), "━" * width]
    for i, row in enumerate(rows):
        out.append(line(row))
        out.append("─" * width if i < len(rows) - 1 else "━" * width)
    total, trainable, frozen = model.total, model.trainable, model.non_trainable
    mib = format_decimal(round(total * 4 / 2**20, 2), format="#,##0.00", locale=LOCALES[lang])
    out.append(f"Total params: {number(total, lang)} ({mib} MiB at float32)")
    out.append(f"Trainable params: {number(trainable, lang)}")
    out.append(f"Non-trainable params: {number(frozen, lang)}")
    if model.framework == "pytorch":
        out.append(f"Buffers (not parameters): {number(model.buffers, lang)}")
    return "\n".join(out) + "\n"
