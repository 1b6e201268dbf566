"""The model's graph as a TikZ picture for lualatex (positions from :mod:`.layout`): a box per
layer, arrows in the data flow, a dashed box and line for shared weights, a frame "× N" around a
block drawn once."""
from __future__ import annotations

import re

from ..escape import latex_text
from .graph import Graph
from .labels import Labels, Line
from .layout import ROWS, Layout, layout

SLOT = 5.6
"""cm per slot across."""
ROW = 1.6
"""cm per row down."""
WIDTH = 16.0
"""cm the picture may take across (A4 with the preamble's margins); wider ones are scaled."""
HEIGHT = 19.0
"""cm the picture may take down: with its heading and sentences it fits on one A4 page (25.3 cm of
text with the preamble's margins), so a taller one is scaled."""


_BREAKS = re.compile(r"\\_|[./]")

FITS = 32
"""Characters of code a box's line holds (footnotesize typewriter in the box's text width)."""


def _code(name: str) -> str:
    """A name in code font that never breaks inside (embeddings.word_⏎embeddings, round 9); a name
    too long for a line breaks only after . _ /; a sum of names (``transformer.wte +
    transformer.wpe``) one name per line, each after its " +"."""
    parts = name.split(" + ")
    out = []
    for k, part in enumerate(parts):
        code = latex_text(part) + (" +" if k < len(parts) - 1 else "")
        if len(part) > FITS:
            out.append(r"\texttt{" + _BREAKS.sub(r"\g<0>\\allowbreak{}", code) + "}")
        else:
            out.append(r"\mbox{\texttt{" + code + "}}")
    return r"\\".join(out)


LONG_TYPE = 28
"""Characters of a type in brackets beyond which it may break inside (Gemma3TextScaledWordEmbedding,
31 with its brackets, ran 2.5pt past its 4.93 cm box)."""
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")


def _type(after: str) -> str:
    """A layer's type in brackets: whole on its line, or where it is longer than
    :data:`LONG_TYPE` characters, broken only where a word of its name begins (…Scaled⏎WordEmbedding)."""
    if len(after) <= LONG_TYPE:
        return r"\mbox{" + after + "}"
    return r"\allowbreak{}".join(r"\mbox{" + part + "}" for part in _CAMEL.split(after))


def _line(line: Line) -> str:
    if line.kind == "name":
        after = latex_text(line.after.strip())  # the type never breaks inside (GlobalAveragePooling2D)
        # ja: the full-width bracket has its own room, and the line may break before it (ja mlp_bn's
        # batch_normalization（BatchNormalization） ran 24pt past its box)
        space = r"\allowbreak{}" if line.after.startswith("（") else " "
        return _code(line.text) + (space + _type(after) if after else "")
    if line.kind == "shape":  # breaks, if it must, only after a comma (as in the tables)
        return r"\texttt{" + latex_text(line.text).replace(", ", r",\penalty1000\ ") + "}"
    if line.code:
        return latex_text(line.text) + _code(line.code) + latex_text(line.after)
    return latex_text(line.text)


CHARS = 34
"""Characters of a box's line in footnotesize before it wraps (a CJK character counts two)."""


def _lines(lines: list[Line]) -> int:
    """How many lines a box's text takes, wrapped at :data:`CHARS`."""
    def width(text: str) -> int:
        return sum(2 if ord(c) > 0x2e80 else 1 for c in text)
    return sum(-(-width(x.text + x.code + x.after) // CHARS) + (x.text.count(" + ") if x.kind == "name" else 0) for x in lines)


def _rows(graph: Graph, labels: Labels, at: Layout) -> list[float]:
    """Each row's height (cm): room for its tallest box and the arrow below it, at least :data:`ROW`
    (a 5-line box made every row of GPT-2's Japanese picture 2.45 cm tall)."""
    tallest: dict[int, int] = {}
    for b in graph.boxes:
        r = int(at.at[b.id].y)
        tallest[r] = max(tallest.get(r, 0), _lines(labels.lines(b, graph)))
    # room between boxes for the arrow (Japanese lines are taller)
    return [max(ROW, 0.35 + 0.42 * tallest.get(r, 3)) for r in range(max(1, int(at.height)))]


def _down(rows: list[float], y: float) -> float:
    """cm down to grid row ``y``: row r's centre at y = r, its top at r - 0.5, its bottom at r + 0.5
    (where arrows turn), linear in between."""
    r = min(max(0, int(y + 0.5)), len(rows) - 1)
    return sum(rows[:r]) + (y - r + 0.5) * rows[r]


READABLE = 0.875
"""The scale a picture is drawn at without a search for a larger layout: its box text 7pt
(footnotesize's 8pt); round 21 (ja): T5's encoder and decoder side by side, 25 cm wide, had 5pt
box text in print."""


def _measured(graph: Graph, labels: Labels, at: Layout) -> tuple[Layout, list[float], float, float]:
    heights = _rows(graph, labels, at)
    # boxes are 0.88 slots wide; arrows that skip rows run up to 0.36 slots right of them
    width, height = (at.width + 0.15) * SLOT, sum(heights) + 0.2 * max(heights)
    scale = min(1.0, WIDTH / width, HEIGHT / height)
    return at, heights, scale, height * scale


def _size(graph: Graph, labels: Labels, rows: int) -> tuple[tuple[Layout, list[float], float, float], bool]:
    """The layout, each row's height (cm), the scale and the height on the page (cm); whether the
    layout was chosen for its size: where the first layout's scale is below :data:`READABLE`, the
    one of these drawn largest, the parts one below the other (T5: 1.0, not 0.64 side by side) or
    a long chain in fewer, longer columns (MobileNet's 31 boxes in 2 columns, 0.70, not 4, 0.44)."""
    rows = rows or ROWS
    first = best = _measured(graph, labels, layout(graph, rows))
    if best[2] < READABLE:
        n = len(graph.boxes)
        for more in sorted({rows} | {-(-n // c) for c in range(1, 4) if -(-n // c) > rows}):
            for side in (True, False):
                other = _measured(graph, labels, layout(graph, more, side=side))
                if other[2] > best[2]:
                    best = other
    return best, best is not first


def placed(graph: Graph, labels: Labels, rows: int = 0, center: bool = True) -> tuple[str, float, float, bool]:
    """:func:`picture`, the factor it is already scaled by to fit :data:`WIDTH` and :data:`HEIGHT`,
    its height on the page in cm (at most :data:`HEIGHT`) and whether its layout was chosen for its
    size (:func:`_size`): laid out once for the four."""
    size, sized = _size(graph, labels, rows)
    return _picture(graph, labels, size, center), size[2], size[3], sized


def picture(graph: Graph, labels: Labels, rows: int = 0, center: bool = True) -> str:
    """A ``tikzpicture`` set where it stands (no float: it belongs under its heading and sentence;
    the template keeps them together with ``\\needspace``), needing ``\\usetikzlibrary{fit}``;
    ``rows``: rows before the picture wraps into another column (0: :data:`.layout.ROWS`);
    ``center``: in a ``center`` environment (else bare, for the template to box and scale)."""
    return placed(graph, labels, rows, center)[0]


def _picture(graph: Graph, labels: Labels, size: tuple[Layout, list[float], float, float], center: bool) -> str:
    at, rows, scale, _ = size
    out = [r"\begin{center}"] if center else []
    if scale < 1:
        out.append(rf"\scalebox{{{scale:.3f}}}{{%")
    out.append(r"\begin{tikzpicture}[x=%.2fcm,y=-1cm,>=stealth," % SLOT)
    # "flush center": each line centred by infinitely stretchable glue, so that no other glue
    # stretches (TikZ's "center" stretches the kanji glue: パ ラ メ ー タ in a Japanese box)
    out.append(r"  box/.style={draw,rounded corners=2pt,align=flush center,font=\footnotesize,"
               r"text width=%.2fcm,inner sep=2pt,fill=white}," % (SLOT * 0.88))
    out.append(r"  input/.style={box,draw=black!60,fill=black!5},"
               r" fold/.style={box,double}, shared/.style={box,dashed},"
               r" frame/.style={draw=black!50,dashed,rounded corners=4pt,inner sep=5pt}]")
    for b in graph.boxes:
        p = at.at[b.id]
        style = {"input": "input", "fold": "fold"}.get(b.kind, "shared" if b.shares else "box")
        text = r"\\".join(_line(x) for x in labels.lines(b, graph))
        out.append(rf"\node[{style}] ({b.id}) at ({p.x:g},{round(_down(rows, p.y), 3):g}) {{{text}}};")
    for k, g in enumerate(graph.groups):
        inside = " ".join(f"({i})" for i in g.boxes)
        label = latex_text("× " + labels.num(g.repeat))
        out.append(rf"\node[frame,fit={inside},label={{[font=\small\bfseries]east:{label}}}] (g{k}) {{}};")
    for s, t in graph.edges:
        corners = at.routes[(s, t)]
        path = "".join(f" -- ({x:g},{round(_down(rows, y), 3):g})" for x, y in corners)
        if (s, t) in at.sides:  # a residual connection: from the source's side into the target's
            out.append(rf"\draw[->] ({s}.east){path} -- ({t}.east);")
        elif (s, t) in at.across:  # the encoder's output into the decoder beside it
            out.append(rf"\draw[->] ({s}.east){path} -- ({t}.west);")
        else:
            out.append(rf"\draw[->] ({s}.south){path} -- ({t}.north);")
    for s, t in graph.shared:
        if (s, t) in at.ties:
            side, corners = at.ties[(s, t)]
            path = "".join(f" -- ({x:g},{round(_down(rows, y), 3):g})" for x, y in corners)
            out.append(rf"\draw[dashed,black!60] ({s}.{side}){path} -- ({t}.west);")
        elif at.at[s].y == at.at[t].y:  # side by side (T5's shared and encoder.embed_tokens)
            left, right = (s, t) if at.at[s].x < at.at[t].x else (t, s)
            out.append(rf"\draw[dashed,black!60] ({left}.east) -- ({right}.west);")
        else:
            out.append(rf"\draw[dashed,black!60] ({s}.west) -- ++(-3mm,0) |- ({t}.west);")
    out.append(r"\end{tikzpicture}")
    if scale < 1:
        out.append("}")
    if center:
        out.append(r"\end{center}")
    return "\n".join(out) + "\n"
