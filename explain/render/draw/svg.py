"""The model's graph and its bar chart as inline SVG for the HTML page (positions from
:mod:`.layout`, as the TikZ picture): no script, no external resource."""
from __future__ import annotations

from html import escape

from ...msgid import N_
from .bars import AXIS, Bar
from .graph import Graph
from .labels import Labels, Line
from .layout import ROWS, layout

# Translators: what a screen reader says for the picture of the model on the HTML page (its aria-label)
MODEL_NAME = N_("Architecture of the model %(name)s")
# Translators: what a screen reader says for the picture of one block of the model, layer by layer (its aria-label; the block's name)
BLOCK_NAME = N_("Layers of the block %(name)s")
# Translators: what a screen reader says for the bar chart on the HTML page (its aria-label): each bar is one layer's share of all parameters
BARS_NAME = N_("Share of each layer in the parameters of the model %(name)s, in percent")
# Translators: as "Share of each layer in the parameters…", where some bars stand for a block or several layers
BARS_BLOCKS_NAME = N_("Share of each layer or block in the parameters of the model %(name)s, in percent")

LINE = 15
"""Pixels from one line of a box to the next."""
CHAR = 7
"""Pixels a character of a box's line takes, about (12 px sans-serif; a CJK character two)."""


SMALLEST = 0.8
"""The page may shrink a picture to this scale (12 px text to 9.6 px); a wider one scrolls."""
COLUMN = 832
"""Pixels of the HTML page's text column (``main``'s max-width, 52rem): the boxes' lines wrap so
that the picture at :data:`SMALLEST` of its size fits in it."""
BAR_MIN = 3.0
"""Pixels a bar has at least: a share of 0.2 % would be a hairline, read as no bar."""


def _width(text: str) -> int:
    return sum(2 if ord(c) > 0x2e80 else 1 for c in text) * CHAR


def _wrap(lines: list[Line], room: int) -> list[Line]:
    """A line wider than ``room`` pixels in two or more: a name and its type (``(Embedding)``) on
    lines of their own, a sentence before its parenthesis, else at its last space that fits. A
    name, a shape and a line with a name in it stay whole."""
    out: list[Line] = []
    for line in lines:
        if line.kind == "name" and _width(line.text + line.after) > room and line.after.startswith((" ", "（")):
            out += [Line("name", line.text), *_wrap([Line("text", line.after.lstrip())], room)]
        elif line.kind != "text" or line.code or _width(line.text + line.after) <= room:
            out.append(line)
        else:
            out += [Line("text", part) for part in _split(line.text + line.after, room)]
    return out


def _split(text: str, room: int) -> list[str]:
    """``text`` in parts of at most ``room`` pixels where it can: before " (" or "（", else at a space."""
    if _width(text) <= room:
        return [text]
    wide = text.rfind("（")
    if 0 < wide and _width(text[:wide]) <= room:
        return [text[:wide], *_split(text[wide:], room)]
    at = text.rfind(" (")
    if at <= 0 or _width(text[:at]) > room:
        at = max((k for k, c in enumerate(text) if c == " " and _width(text[:k]) <= room), default=-1)
    if at <= 0:
        return [text]
    return [text[:at], *_split(text[at + 1:], room)]


def _t(s: str) -> str:
    return escape(s, quote=True)


def graph_svg(graph: Graph, labels: Labels, rows: int = 0, block: bool = False) -> str:
    """The picture; its boxes as wide as the widest line and as tall as the most lines need;
    ``block``: the graph is one block of the model (its accessible name says so)."""
    at = layout(graph, rows or ROWS, side=False)  # a web page scrolls down, not across
    # as wide as the picture may be in the column at SMALLEST: slots × (box + 30) − 15, the pad
    # on both sides and a group's "× N" beside it (de BERT's three slots were 1,427 px)
    room = int((COLUMN / SMALLEST - 32 + 15 - (40 if graph.groups else 0)) / at.width - 30)
    texts = {b.id: _wrap(labels.lines(b, graph), room - 20) for b in graph.boxes}
    BOX_W = min(440, max([200] + [_width(x.text + x.code + x.after) + 20 for lines in texts.values() for x in lines]))
    BOX_H = 12 + LINE * max((len(lines) for lines in texts.values()), default=3)
    SLOT, ROW = BOX_W + 30, BOX_H + 26
    pad = 16
    height = int(at.height * ROW) + 2 * pad + 20

    def xy(x: float, y: float) -> tuple[float, float]:
        return pad + (x + 0.5) * SLOT, pad + 20 + (y + 0.5) * ROW - ROW / 2 + BOX_H / 2

    # as wide as the boxes, the lanes right of them (arrows that skip rows) and the groups' "× N"
    right = [xy(p.x, 0)[0] + BOX_W / 2 for p in at.at.values()]
    right += [xy(x, 0)[0] + 10 for corners in at.routes.values() for x, _ in corners]
    right += [xy(max(at.at[i].x for i in g.boxes), 0)[0] + BOX_W / 2 + 12
              + _width("× " + labels.num(g.repeat)) for g in graph.groups]
    width = int(max(right, default=0)) + pad
    title = _t(labels.tr(BLOCK_NAME if block else MODEL_NAME, name=graph.name))  # accessible name
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="model-graph" role="img" '
           f'aria-label="{title}" viewBox="0 0 {width} {height}" width="{width}" '
           f'style="max-width:100%;min-width:{int(width * SMALLEST)}px;height:auto" font-family="sans-serif" '
           f'font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/>'
           '</marker></defs>']
    for g in graph.groups:
        xs = [at.at[i].x for i in g.boxes]
        ys = [at.at[i].y for i in g.boxes]
        x0, y0 = xy(min(xs), min(ys))
        x1, y1 = xy(max(xs), max(ys))
        out.append(f'<rect x="{x0 - BOX_W / 2 - 8:.1f}" y="{y0 - BOX_H / 2 - 8:.1f}" '
                   f'width="{x1 - x0 + BOX_W + 16:.1f}" height="{y1 - y0 + BOX_H + 16:.1f}" rx="6" '
                   'fill="none" stroke="#888" stroke-dasharray="5 4"/>')
        out.append(f'<text x="{x1 + BOX_W / 2 + 12:.1f}" y="{y0:.1f}" font-weight="bold">'
                   f'{_t("× " + labels.num(g.repeat))}</text>')
    for (s, t), corners in at.routes.items():
        start, stop = at.at[s], at.at[t]
        begin, end = xy(start.x, start.y), xy(stop.x, stop.y)
        if (s, t) in at.sides:  # a residual connection: from the source's side into the target's
            pts = [(begin[0] + BOX_W / 2, begin[1]), *(xy(x, y) for x, y in corners), (end[0] + BOX_W / 2, end[1])]
        elif (s, t) in at.across:  # the encoder's output into the decoder beside it
            pts = [(begin[0] + BOX_W / 2, begin[1]), *(xy(x, y) for x, y in corners), (end[0] - BOX_W / 2, end[1])]
        else:
            pts = [(begin[0], begin[1] + BOX_H / 2), *(xy(x, y) for x, y in corners), (end[0], end[1] - BOX_H / 2)]
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{d}" fill="none" stroke="#333" marker-end="url(#arrow)"/>')
    for s, t in graph.shared:
        (x0, y0), (x1, y1) = xy(at.at[s].x, at.at[s].y), xy(at.at[t].x, at.at[t].y)
        if (s, t) in at.ties:
            side, corners = at.ties[(s, t)]
            pts = [(x0, y0 - BOX_H / 2) if side == "north" else (x0 - BOX_W / 2, y0), *(xy(x, y) for x, y in corners),
                   (x1 - BOX_W / 2, y1)]
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            out.append(f'<polyline points="{d}" fill="none" stroke="#777" stroke-dasharray="4 3"/>')
            continue
        if y0 == y1:  # side by side: a straight line between them
            x0, x1 = min(x0, x1), max(x0, x1)
            out.append(f'<line x1="{x0 + BOX_W / 2:.1f}" y1="{y0:.1f}" x2="{x1 - BOX_W / 2:.1f}" '
                       f'y2="{y1:.1f}" stroke="#777" stroke-dasharray="4 3"/>')
            continue
        # left of the boxes, as in the PDF: a curve on the right crossed the boxes between them
        lane = min(x0, x1) - BOX_W / 2 - 10
        out.append(f'<polyline points="{x0 - BOX_W / 2:.1f},{y0:.1f} {lane:.1f},{y0:.1f} {lane:.1f},{y1:.1f} '
                   f'{x1 - BOX_W / 2:.1f},{y1:.1f}" fill="none" stroke="#777" stroke-dasharray="4 3"/>')
    for b in graph.boxes:
        x, y = xy(at.at[b.id].x, at.at[b.id].y)
        fill = "#f2f2f2" if b.kind == "input" else "#fff"
        dash = ' stroke-dasharray="5 3"' if b.shares else ""
        out.append(f'<rect x="{x - BOX_W / 2:.1f}" y="{y - BOX_H / 2:.1f}" width="{BOX_W}" '
                   f'height="{BOX_H}" rx="4" fill="{fill}" stroke="#333"{dash}/>')
        if b.kind == "fold":  # a double border, as TikZ's `double` in the PDF and the legend say
            out.append(f'<rect class="inner" x="{x - BOX_W / 2 + 3:.1f}" y="{y - BOX_H / 2 + 3:.1f}" '
                       f'width="{BOX_W - 6}" height="{BOX_H - 6}" rx="2" fill="none" stroke="#333"/>')
        lines = texts[b.id]
        top = y - (len(lines) - 1) * LINE / 2 + 4
        for k, line in enumerate(lines):
            # a line longer than the widest box is set narrower to fit in it (bert's "embeddings de
            # palabra + posición + tipo de token (suma de los embeddings)" ran 16 px past its box)
            fit = (f' textLength="{BOX_W - 16}" lengthAdjust="spacingAndGlyphs"'
                   if _width(line.text + line.code + line.after) + 20 > BOX_W else "")
            tag = f'<text x="{x:.1f}" y="{top + k * LINE:.1f}" text-anchor="middle"{fit}'
            if line.kind == "name":
                out.append(f'{tag}><tspan font-family="monospace" font-weight="bold">{_t(line.text)}</tspan>'
                           f'{_t(line.after)}</text>')
            elif line.kind == "shape":
                out.append(f'{tag} font-family="monospace">{_t(line.text)}</text>')
            elif line.code:
                out.append(f'{tag}>{_t(line.text)}<tspan font-family="monospace">{_t(line.code)}</tspan>'
                           f'{_t(line.after)}</text>')
            else:
                out.append(f'{tag}>{_t(line.text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def bars_svg(items: list[Bar], labels: Labels) -> str:
    """Horizontal bars, the first on top, each with its share in the locale's format."""
    if not items:
        return ""
    left, bar_w, row, top = 250, 420, 22, 10
    height = top + row * len(items) + 46
    width = left + bar_w + 90
    name = labels.tr(BARS_BLOCKS_NAME if any(b.block for b in items) else BARS_NAME, name=labels.model.name)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="param-bars" role="img" '
           f'aria-label="{_t(name)}" viewBox="0 0 {width} {height}" width="{width}" '
           f'style="max-width:100%;height:auto" font-family="sans-serif" font-size="12">']
    for k, b in enumerate(items):
        y = top + k * row
        w = max(float(b.share) * bar_w, BAR_MIN)
        out.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-family="monospace">'
                   f'{_t(b.label + b.span)}</text>')
        out.append(f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="#999"/>')
        out.append(f'<text x="{left + w + 6:.1f}" y="{y + 15}">{_t(b.text)}</text>')
    axis_y = top + row * len(items) + 4
    out.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + bar_w}" y2="{axis_y}" stroke="#333"/>')
    for tick in range(0, 101, 20):
        x = left + tick / 100 * bar_w
        out.append(f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 4}" stroke="#333"/>')
        out.append(f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle">{tick}</text>')
    out.append(f'<text x="{left + bar_w / 2}" y="{axis_y + 34}" text-anchor="middle">'
               f'{_t(labels.tr(AXIS))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
