"""Column widths of the LaTeX summary table, sized by its content.

The widths are estimates in points of the text at ``\\footnotesize`` (8 pt Latin Modern, measured
with lualatex: a monospace character 4.25 pt, a roman one about 4.2 pt, a CJK one 7.4 pt, a
binary operator with its spaces 10.4 pt) on the 472 pt line of an A4 page with 2.2 cm margins.
Numbers, shares and shapes never break (a tuple read as ``(None, 112, 112,`` / ``64)`` is two
things); the rest of the line goes to the name and formula columns, the name column first up to its
longest name, so that an identifier does not break either.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

LINE_PT = 472.3
GAP_PT = 6.0
"""Two \\tabcolsep of 3 pt between columns."""
SCALE = {"footnotesize": 1.0, "scriptsize": 0.875}
"""\\footnotesize is 8 pt, \\scriptsize 7 pt (article and ltjsarticle at 10 pt)."""
SAFETY_PT = 12.0
"""What the estimates may be short by (a column's natural width, a bracket)."""
_TT, _ROMAN, _WIDE, _SPACE = 4.25, 4.3, 7.4, 2.83
_OP = 10.4
_MATH_OPS = re.compile(r"\\times|\\cdot|[+=−-]")
_COMMANDS = re.compile(r"\\[A-Za-z]+|\\.")


def text_pt(text: str, mono: bool = False) -> float:
    """The width of ``text`` (no markup) at footnotesize."""
    width = 0.0
    for c in text:
        if unicodedata.east_asian_width(c) in "WF":
            width += _WIDE
        elif c == " ":
            width += _SPACE
        else:
            width += _TT if mono else _ROMAN
    return width


def math_pt(tex: str) -> float:
    """The width of a formula's TeX (between its $ signs) at footnotesize, roughly: operators with
    their spaces, digits and letters, brackets; markup counts nothing."""
    body = tex.strip("$")
    ops = len(_MATH_OPS.findall(body))
    body = _MATH_OPS.sub("", body)
    body = body.replace("{,}", ",").replace("{.}", ".")
    body = _COMMANDS.sub("", body)
    body = re.sub(r"[{}_^ ]", "", body)
    return ops * _OP + sum(3.3 if c in "()," else _TT for c in body)


def pieces_pt(tex: str) -> float:
    """The widest part of a formula that cannot break: a top-level term in braces, or the stretch
    between two + outside braces (the cell breaks only after a + between terms)."""
    body = tex.strip("$")
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0 and body.startswith(" + ", i):
            parts.append(body[start:i + 2])
            start = i + 3
    parts.append(body[start:])
    return max(math_pt(p) for p in parts)


@dataclass
class Cell:
    """What one row shows, as plain text (the formula as TeX)."""
    name: str
    type: str
    formula: str
    """TeX of the formula, or a sentence (a shared layer's note) when ``formula_text``."""
    formula_text: bool
    numbers: list[str]
    shape: str


def summary_widths(cells: list[Cell], headers: list[str], lang: str = "en") -> dict[str, str]:
    """The font size and the widths (fractions of the line) of the name and formula columns;
    ``headers``: the numeric columns' headings, then the shape's."""
    for size in ("footnotesize", "scriptsize"):
        k = SCALE[size]
        fixed = 0.0
        for i, head in enumerate(headers[:-1]):
            fixed += max([text_pt(head)] + [text_pt(c.numbers[i]) for c in cells]) * k
        fixed += max([text_pt(headers[-1])] + [text_pt(c.shape, mono=True) for c in cells]) * k
        room = LINE_PT - SAFETY_PT - fixed - GAP_PT * (len(headers) + 1)
        # a name and its type may go on two lines; a name itself should not break
        name_need = max(text_pt(c.name, mono=True) + _SPACE + text_pt(c.type) + 2 * 3.3 for c in cells) * k
        # the type on a line of its own is indented by the column's hang (1 em)
        name_min = max(max(text_pt(c.name, mono=True), text_pt(c.type) + 2 * 3.3 + 8) for c in cells) * k
        formula_need = max((text_pt(c.formula) if c.formula_text else math_pt(c.formula)) for c in cells) * k
        formula_min = max((max(text_pt(w) for w in c.formula.split()) if c.formula_text else pieces_pt(c.formula))
                          for c in cells if c.formula) * k if any(c.formula for c in cells) else 0.0
        if name_min + formula_min <= room or size == "scriptsize":
            break
    if name_need + formula_need <= room:
        name = name_need
    else:
        name = min(name_need, max(name_min, room - formula_min))
        name = min(name, room * 0.62)  # a very long module path breaks after its dots instead
    formula = room - name
    return {"size": size, "name": f"{name / LINE_PT:.3f}", "formula": f"{max(formula, 0.1 * LINE_PT) / LINE_PT:.3f}",
            "name_pt": f"{name:.0f}", "scale": f"{k}"}
