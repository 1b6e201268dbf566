"""``--format text``: the summary table that Keras 3's ``model.summary()`` prints.

Same columns (Layer (type), Output Shape, Param #, and Connected to for graphs), the parameter
counts right-aligned, and the totals with their memory at 4 bytes a weight in Keras's units
(KB = 1024 bytes): ``Total params: 204,298 (798.04 KB)``.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from babel.numbers import format_decimal

from ..model import Model, Node
from .json_out import shape_json

LOCALES = {"en": "en", "de": "de_DE", "ja": "ja_JP", "fr": "fr_FR", "es": "es_ES"}
BYTES_PER_WEIGHT = 4
MEMORY_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def number(n: int, lang: str) -> str:
    from .numbers import format_int  # exact however large (Babel alone stops at 28 digits)
    return format_int(n, lang)


def memory(weights: int, lang: str) -> str:
    """Keras's ``readable_memory_size`` of ``weights`` float32 weights: 798.04 KB."""
    size = Fraction(weights * BYTES_PER_WEIGHT)
    unit = MEMORY_UNITS[-1]
    for candidate in MEMORY_UNITS:
        if size < 1024:
            unit = candidate
            break
        if candidate != MEMORY_UNITS[-1]:
            size /= 1024
    import decimal
    with decimal.localcontext() as context:  # enough digits for any count (28 by default)
        context.prec = len(str(size.numerator)) + 8
        rounded = Decimal(size.numerator) / Decimal(size.denominator)
        return f"{format_decimal(rounded, format='#,##0.00', locale=LOCALES[lang])} {unit}"


def _shape_text(shape) -> str:
    dims = ["None" if d is None else str(d) for d in shape_json(shape)]
    return "(" + ", ".join(dims) + ")"


def _output_text(node: Node) -> str:
    outputs = node.outputs
    if len(outputs) == 1:
        return _shape_text(outputs[0])
    return "[" + ", ".join(_shape_text(s) for s in outputs) + "]"


def _params_text(model: Model, node: Node, lang: str) -> str:
    text = number(model.evaluate(node.params), lang)
    repeat = node.repeat
    if not (isinstance(repeat, int) and repeat == 1):
        text += f" (× {model.evaluate(repeat)})"
    if node.shares is not None:
        text += f" (= {node.shares})"
    return text


def render_text(model: Model, lang: str = "en") -> str:
    previous = [next(iter(model.inputs), "input")] + [n.name for n in model.nodes]
    graph = len(model.inputs) > 1 or any(len(n.inputs) != 1 or n.inputs[0] != prev
                                         for n, prev in zip(model.nodes, previous))
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if graph else [])
    rows = []
    for node in model.nodes:
        row = [f"{node.name} ({node.type})", _output_text(node), _params_text(model, node, lang)]
        if graph:
            row.append(", ".join(node.inputs))
        rows.append(row)
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        parts = [c.rjust(w) if i == 2 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    width = sum(widths) + 2 * (len(widths) - 1)
    out = [f'Model: "{model.name}"', "━" * width, line(header), "━" * width]
    for i, row in enumerate(rows):
        out.append(line(row))
        out.append("─" * width if i < len(rows) - 1 else "━" * width)
    for label, count in (("Total params", model.total), ("Trainable params", model.trainable),
                         ("Non-trainable params", model.non_trainable)):
        out.append(f" {label}: {number(count, lang)} ({memory(count, lang)})")
    if model.framework == "pytorch":
        out.append(f" Buffers (not parameters): {number(model.buffers, lang)}")
    return "\n".join(out) + "\n"
