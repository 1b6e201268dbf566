"""Distribution of the parameters: each box's share of the model's total as a bar (the boxes of the
model's picture, so a folded stage is one bar), as pgfplots, a Mermaid xychart or SVG."""
from __future__ import annotations

from fractions import Fraction

from ...msgid import N_
from ..escape import latex_text
from ..numbers import format_share, least_share, under_least_share
from .graph import Graph
from .labels import NAMED, Labels, short
from ...records import record

# Translators: the axis of the bar chart "Distribution of the parameters": each bar's share of all parameters, in percent (the unit as a sign in brackets)
AXIS = N_("Share of the parameters (%)")
# Translators: a bar's label in the Markdown bar chart for a share that rounds to zero: "under 0.1%" (the share in the locale's percent format)
UNDER = N_("under %(share)s")


@record(frozen=False)
class Bar:
    """One bar of the chart of the parameters: a box's label and its share of all parameters."""

    label: str
    share: Fraction
    text: str
    """The share in the locale's percent format (98.1 %, 98,1 %)."""
    block: bool = False
    """The bar stands for a block or several layers (a stage, a repeated block, N layers)."""
    span: str = ""
    """After the name of a box that folds several layers, their positions as the picture gives
    them (`` (layers 83–85)``): the bar holds the group, not the layer it is named after (round 37:
    conv_pw_13 24.7 % in the chart, 24.6 % in the summary's row of the convolution alone)."""

    @property
    def under(self) -> bool:
        """The share is under the least one shown (its text is ``<0.1%``)."""
        return under_least_share(self.share)


def bars(graph: Graph, labels: Labels) -> list[Bar]:
    """A bar for each box with parameters of its own, in data-flow order."""
    counts = [(b, labels.evaluate(b.params)) for b in graph.boxes if b.kind != "input"]
    total = sum(n for _, n in counts if n)
    out = []
    for b, n in counts:
        if n and total:
            repeat = graph.groups[b.group].repeat if b.group is not None else b.repeat
            span = labels.tr(NAMED, layer="", kind=labels.type(b)) if b.kind == "fold" else ""
            out.append(Bar(short(b.name) + labels.times(repeat), Fraction(n, total),
                           format_share(n, total, labels.lang),
                           b.kind == "fold" or b.group is not None or repeat != 1, span))
    return out


def bare(graph: Graph, labels: Labels) -> bool:
    """Whether a layer's box of the picture (not an input or a call between modules) has no
    parameters, so no bar in :func:`bars`."""
    return any(not labels.evaluate(b.params) for b in graph.boxes if b.kind != "input" and not b.call)


TALLEST = 19.0
"""cm a bar chart may take down: with its heading and sentence it fits on one A4 page."""


def height(items: list[Bar]) -> float:
    """The height of the plot area of :func:`pgfplots` in cm: 0.55 cm a bar, at most :data:`TALLEST`."""
    return min(0.55 * len(items) + 1.6, TALLEST)


def pgfplots(items: list[Bar], labels: Labels, center: bool = True) -> str:
    """A horizontal bar chart (``\\usepackage{pgfplots}``), the first bar on top, set where it
    stands (no float); ``center``: in a ``center`` environment (else bare, for the template to box
    and scale)."""
    if not items:
        return ""
    ticks = ",".join("{" + r"\texttt{" + latex_text(b.label) + "}" + latex_text(b.span) + "}" for b in items)
    coords = " ".join(f"({float(b.share * 100):.3f},{k}) [{latex_text(b.text)}]" for k, b in enumerate(items))
    return "\n".join(([r"\begin{center}"] if center else []) + [
        r"\begin{tikzpicture}",
        r"\begin{axis}[xbar, y dir=reverse, width=0.62\linewidth, height=%.2fcm, scale only axis=false," % height(items),
        r"  xmin=0, xmax=115, xtick={0,20,40,60,80,100}, enlarge y limits={abs=0.6},",
        r"  ytick={%s}, yticklabels={%s}," % (",".join(str(k) for k in range(len(items))), ticks),
        r"  yticklabel style={font=\footnotesize}, xticklabel style={font=\footnotesize},",
        r"  bar width=0.32cm, axis x line*=bottom, axis y line*=left,",
        r"  point meta=explicit symbolic, nodes near coords, nodes near coords style={font=\footnotesize, anchor=west},",
        r"  xlabel={%s}, xlabel style={font=\footnotesize}]" % _unit(latex_text(labels.tr(AXIS))),
        r"\addplot[fill=black!30, draw=black!70] coordinates {%s};" % coords,
        r"\end{axis}",
        r"\end{tikzpicture}",
    ] + ([r"\end{center}"] if center else [])) + "\n"


def _unit(label: str) -> str:
    """The axis label's percent sign as the bare glyph: it names the unit ("(%)"), and babel-spanish's
    ``\\%`` would put a thin space before it, right after the parenthesis ("( %)"); after a number
    ("0,2 %") that space is right and stays."""
    return label.replace(r"\%", r"{\char37}")


def _value(share: Fraction) -> str:
    """A bar's percentage for Mermaid: one decimal, or the first nonzero digits of a share under
    0.1 % (0.02: a layer with parameters never shows 0.0, which reads as "no parameters")."""
    percent = float(share * 100)
    if percent >= 0.1 or percent == 0:
        return f"{percent:.1f}"
    digits = 2
    while f"{percent:.{digits}f}".strip("0.") == "":
        digits += 1
    return f"{percent:.{digits}f}"


def _share(bar: Bar, labels: Labels) -> str:
    """A bar's share for a Mermaid label, one under the least shown in words ("unter 0,1 %"), not
    as "< 0,1 %": Mermaid can show a ``<`` only as the entity ``#60;``, which a reader of the
    Markdown source cannot read."""
    return labels.tr(UNDER, share=least_share(labels.lang)) if bar.under else bar.text


def xychart(items: list[Bar], labels: Labels) -> str:
    """A Mermaid ``xychart-beta`` (without the fence), bars across."""
    if not items:
        return ""
    from .mermaid import text
    # each name with its share in the reader's format: Mermaid shows no value on a bar
    names = ", ".join('"' + text(f"{b.label}{b.span} ({_share(b, labels)})") + '"' for b in items)
    values = ", ".join(_value(b.share) for b in items)
    return "\n".join([
        # dark bars: the default lavender hides the small shares (no data labels: Mermaid sets them
        # all in the size that fits inside the thinnest bar, 0 px; the shares are in the names)
        '%%{init:{"themeVariables":{"xyChart":{"plotColorPalette":"#555555"}}}}%%',
        "xychart-beta horizontal",
        f"  x-axis [{names}]",
        f'  y-axis "{text(labels.tr(AXIS))}" 0 --> 100',
        f"  bar [{values}]",
    ]) + "\n"
