"""``--format text``: the facts of the summary table that Keras 3's ``model.summary()`` prints
(``templates/text/derivation.txt.j2`` lays it out in the reader's language).

Same columns (Layer (type), Output Shape, Param #, and Connected to for graphs), the parameter
counts right-aligned, and the totals with their memory at the model's bytes per weight
(``Model.dtype``; float32: 4) in Keras's units (KB = 1024 bytes): ``Total params: 204,298 (798.04 KB)``.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Sequence

from ..layers.base import Shape
from ..model import Model, Node
from .messages import LENGTH_NOTES, MODEL_NOTES
from .i18n import translate
from .numbers import memory
from .view import Formatter, note_arg


def _shape_text(shape: Shape) -> str:
    from .json_out import shape_json  # only the text format reads it (a Markdown memory line imports this module)
    dims = ["None" if d is None else str(d) for d in shape_json(shape)]
    return "(" + ", ".join(dims) + ")"


def _output_text(node: Node) -> str:
    outputs = node.outputs
    if len(outputs) == 1:
        return _shape_text(outputs[0])
    return "[" + ", ".join(_shape_text(s) for s in outputs) + "]"


def _params_text(model: Model, node: Node, f: Formatter) -> str:
    text = f.num(model.evaluate(node.params))
    repeat = node.repeat
    if not (isinstance(repeat, int) and repeat == 1):
        text += f" (× {model.evaluate(repeat)})"
    if node.shares is not None:
        text += f" (= {f.name(node.shares)})"
    return text


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


MAX_COLUMN = 60
"""The widest column: a longer cell (a long name, a Concatenate of 5000 inputs) wraps onto
further lines, as Keras's summary wraps it, so the table grows with its text, not with rows ×
the widest cell."""


def _chunks(text: str, columns: int) -> list[str]:
    """``text`` cut into pieces of at most ``columns`` terminal columns."""
    if width(text) <= columns:
        return [text]
    out: list[str] = []
    piece: list[str] = []
    used = 0
    for c in text:
        w = 2 if unicodedata.east_asian_width(c) in "WF" else 1
        if used + w > columns:
            out.append("".join(piece))
            piece, used = [], 0
        piece.append(c)
        used += w
    out.append("".join(piece))
    return out


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = (2,)) -> str:
    """Keras's summary table: heavy rules around the header and at the end, light ones between
    rows, two spaces between columns, the columns ``right`` right-aligned; no column wider than
    MAX_COLUMN (longer cells wrap)."""
    columns = range(len(header))
    widths = [min(MAX_COLUMN, max(width(header[i]), *(width(r[i]) for r in rows))) for i in columns]

    def lines(cells: Sequence[str]) -> list[str]:
        pieces = [_chunks(cell, w) for cell, w in zip(cells, widths)]
        out = []
        for k in range(max(len(p) for p in pieces)):
            parts = []
            for i, (p, w) in enumerate(zip(pieces, widths)):
                cell = p[k] if k < len(p) else ""
                pad = " " * (w - width(cell))
                parts.append(pad + cell if i in right else cell + pad)
            out.append("  ".join(parts).rstrip())
        return out

    total = sum(widths) + 2 * (len(widths) - 1)
    out = ["━" * total, *lines(header), "━" * total]
    for i, row in enumerate(rows):
        out += lines(row)
        out.append("─" * total if i < len(rows) - 1 else "━" * total)
    return "\n".join(out)


def _macs_text(model: Model, node: Node, f: Formatter) -> str:
    """The layer's MACs for one sample, or "?" where they are not derived."""
    return "?" if node.macs is None else f.num(model.evaluate(node.macs))


def summary(model: Model, f: Formatter, compute: bool = False) -> dict[str, Any]:
    """The rows of the table (name (type), output shape, parameters, with ``compute`` the MACs
    for one sample, inputs) and the totals with their memory at the model's bytes per weight."""
    from ..derivation.build import memory as stored
    previous = [next(iter(model.inputs), "input")] + [n.name for n in model.nodes]
    graph = len(model.inputs) > 1 or any(len(n.inputs) != 1 or n.inputs[0] != prev
                                         for n, prev in zip(model.nodes, previous))
    rows = []
    for node in model.nodes:
        label = node.layer.type_label  # a step of the forward pass: what it is, not a class name
        kind = translate(f.lang, label) if label else node.type
        row = [f"{f.name(node.name)} ({f.text(kind)})", _output_text(node), _params_text(model, node, f)]
        if compute:
            row.append(_macs_text(model, node, f))
        if graph:
            row.append(", ".join(f.name(i) for i in node.inputs))
        rows.append(row)
    per = stored(model, 0).bytes_per

    def count(n: int) -> dict[str, str]:
        return {"count": f.num(n), "memory": memory(n * per, f.lang)}

    return {"name": f.name(model.name), "rows": rows, "graph": graph, "table": table,
            "total": count(model.total), "trainable": count(model.trainable),
            "non_trainable": count(model.non_trainable), "pytorch": model.framework == "pytorch",
            "buffers": f.num(model.buffers),
            "active": None if model.active is None else f.num(model.active),
            "compute": compute, "macs": None if model.macs is None else f.num(model.macs),
            "flops": None if model.flops is None else f.num(model.flops),
            "not_derived": [f.name(n) for n in model.compute_not_derived] if compute else [],
            "model_notes": [(MODEL_NOTES[k], f.placeholders(**{n: note_arg(f, n, v) for n, v in args}))
                            for k, args in model.notes
                            if k in MODEL_NOTES and (compute or k not in LENGTH_NOTES)]}
