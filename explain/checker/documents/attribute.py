"""Which layer a calculation is about: its name or position (``Schicht 3``, ``layer 3``,
``3層目``, ``couche 3``, ``capa 3``) in the same line, table row or list item, or in the nearest
heading above; failing that, the layer whose sizes the formula's factors match (narrowed by a
layer type the heading names and by the layer last named above in the same section). A
calculation that fits several layers equally is left unattributed, not guessed.

Reasons (in the report): ``same_line``, ``table_row``, ``list_item``, ``heading``, ``total``,
``factors``, ``factors_context``, and for an unattributed one ``ambiguous`` or ``no_match``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...model import Model, Node
from ..arith import numbers
from ..mistakes import Context
from .find import Found
from .read import Document, Line

_POSITIONS = [re.compile(p, re.IGNORECASE) for p in (
    r"\blayer\s+(\d{1,4})\b", r"\b(\d{1,4})(?:st|nd|rd|th)\s+layer",
    r"\bSchicht\s+(\d{1,4})\b", r"\b(\d{1,4})\.\s+Schicht",
    r"(\d{1,4})\s*層目", r"第\s*(\d{1,4})\s*層",
    r"\bcouche\s+(\d{1,4})\b", r"\b(\d{1,4})(?:e|re|ère|ème)\s+couche",
    r"\bcapa\s+(\d{1,4})\b", r"\b(\d{1,4})(?:ª|a|º)\s+capa",
)]
_TYPE_WORDS: list[tuple[tuple[str, ...], tuple[str, ...], int | None]] = [
    # words in the text, the layer roles they mean and, for recurrent layers, the gate count the
    # class declares (LSTM 4, GRU 3)
    (("conv", "cnn", "faltung", "畳み込み", "convol"), ("conv", "conv_transpose", "depthwise", "separable"), None),
    (("dense", "dicht", "全結合", "densa", "fully connected", "vollständig verbunden", "linear"),
     ("dense",), None),
    (("flatten", "abflach", "平坦", "aplat", "aplan"), ("flatten",), None),
    (("pool", "プーリング", "agrupación"), ("pool", "global_pool", "adaptive_pool"), None),
    (("lstm",), ("recurrent",), 4), (("gru",), ("recurrent",), 3),
    (("embedding", "埋め込み", "plongement"), ("embedding",), None),
    (("batchnorm", "batch norm", "バッチ正規化", "normalisation par lots", "normalización por lotes"),
     ("batchnorm",), None),
    (("attention", "アテンション", "atención"), ("attention",), None),
]
MAX_LOOK_BACK = 60
"""Lines above a calculation searched for the layer named last (within its section)."""
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S")
_TEX_HEADING = re.compile(r"\\(?:part|chapter|section|subsection|subsubsection|paragraph)\*?\{")
_TEXT_HEADING = re.compile(r"^\s*\d{1,2}(?:[-.]\d{1,2})*\.?\s+\S[^.!?。:]{0,70}$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|\\item)\s*")


@dataclass
class Attribution:
    node: Node | None
    total: bool = False
    reason: str = "no_match"
    candidates: list[str] = field(default_factory=list)
    mentioned: str | None = None
    """The name or position as the document wrote it."""


def is_heading(doc: Document, line: Line) -> bool:
    if line.kind != "prose" or not line.text.strip():
        return False
    if doc.format in ("markdown", "notebook"):
        return bool(_MD_HEADING.match(line.text))
    if doc.format == "latex":
        return bool(_TEX_HEADING.search(line.text))
    return bool(_TEXT_HEADING.match(line.text))


class Attributor:
    def __init__(self, doc: Document, model: Model) -> None:
        self.doc, self.model = doc, model
        self.ctx = Context(model)
        # a bare number is a position (or PyTorch's index in a Sequential), never a name
        names = sorted((n.name for n in model.nodes if not n.name.isdigit()), key=len, reverse=True)
        self.by_name = {n.name: n for n in model.nodes}
        self.name_re = re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in names) + r")(?![\w])") \
            if names else None
        self.index = {id(line): i for i, line in enumerate(doc.lines)}
        self.headings = [i for i, line in enumerate(doc.lines) if is_heading(doc, line)]

    # ------------------------------------------------------------------ mentions

    def mentions(self, text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, Node, str]]:
        """(position in text, node, as written) for names and positions in text[lo:hi]."""
        hi = len(text) if hi is None else hi
        out = []
        if self.name_re is not None:
            for m in self.name_re.finditer(text, lo, hi):
                out.append((m.start(), self.by_name[m.group(1)], m.group(1)))
        for rx in _POSITIONS:
            for m in rx.finditer(text, lo, hi):
                k = int(m.group(1))
                if m.group(1) in self.by_name:  # PyTorch's Sequential: model[k] is named "k"
                    out.append((m.start(), self.by_name[m.group(1)], m.group(0)))
                elif 1 <= k <= len(self.model.nodes):
                    out.append((m.start(), self.model.nodes[k - 1], m.group(0)))
        return sorted(out, key=lambda t: t[0])

    def type_filter(self, text: str) -> set[str] | None:
        low = text.lower()
        for words, roles, gates in _TYPE_WORDS:
            if any(w in low for w in words):
                return {n.name for n in self.model.nodes if n.layer.role in roles
                        and (gates is None or getattr(n.layer, "gates", None) == gates)}
        return None

    # ------------------------------------------------------------------ rules

    def attribute(self, found: Found, siblings: list[Found]) -> Attribution:
        if found.total_word:
            return Attribution(None, True, "total")
        line = found.line
        text = line.text
        before = [s.end for s in siblings if s.line is line and s.end <= found.start]
        after = [s.start for s in siblings if s.line is line and s.start >= found.end]
        left = self.mentions(text, max(before, default=0), found.start)
        if left:
            _, node, written = left[-1]
            return Attribution(node, reason=self._line_reason(text), mentioned=written)
        right = self.mentions(text, found.end, min(after, default=len(text)))
        if right:
            _, node, written = right[0]
            return Attribution(node, reason=self._line_reason(text), mentioned=written)
        same_type = self.type_filter(text)
        if same_type is not None and len(same_type) == 1:
            node = self.by_name[next(iter(same_type))]
            return Attribution(node, reason=self._line_reason(text), mentioned=node.name)
        item = self._list_item(line)
        if item is not None:
            m = self.mentions(item.text)
            if m:
                return Attribution(m[-1][1], reason="list_item", mentioned=m[-1][2])
        heading = self._heading(line)
        if heading is not None:
            m = self.mentions(heading.text)
            if m:
                return Attribution(m[-1][1], reason="heading", mentioned=m[-1][2])
        return self._by_factors(found, heading)

    @staticmethod
    def _line_reason(text: str) -> str:
        stripped = text.strip()
        if stripped.startswith("|") or stripped.count("|") >= 2 or " & " in stripped:
            return "table_row"
        if _LIST_ITEM.match(text):
            return "list_item"
        return "same_line"

    def _list_item(self, line: Line) -> Line | None:
        """The first line of the list item ``line`` continues (not ``line`` itself)."""
        i = self.index[id(line)]
        for k in range(i - 1, max(-1, i - 12), -1):
            other = self.doc.lines[k]
            if not other.text.strip() or other.kind != "prose" or other.cell != line.cell:
                return None
            if _LIST_ITEM.match(other.text):
                return other if line.text.startswith((" ", "\t")) else None
        return None

    def _heading(self, line: Line) -> Line | None:
        import bisect
        k = bisect.bisect_right(self.headings, self.index[id(line)])
        return self.doc.lines[self.headings[k - 1]] if k else None

    def _section_mentions(self, line: Line, heading: Line | None) -> list[Node]:
        """Layers named between the heading and the line, nearest last."""
        i = self.index[id(line)]
        start = max(self.index[id(heading)] if heading is not None else 0, i - MAX_LOOK_BACK)
        out = []
        for k in range(start, i):
            out += [node for _, node, _ in self.mentions(self.doc.lines[k].text)]
        return out

    def _by_factors(self, found: Found, heading: Line | None) -> Attribution:
        candidates = self._candidates(found)
        if heading is not None and len(candidates) > 1:
            allowed = self.type_filter(heading.text)
            if allowed:
                narrowed = [n for n in candidates if n.name in allowed]
                candidates = narrowed or candidates
        if len(candidates) == 1:
            return Attribution(candidates[0], reason="factors")
        if len(candidates) > 1:
            named = self._section_mentions(found.line, heading)
            for node in reversed(named):
                if node in candidates:
                    return Attribution(node, reason="factors_context")
            return Attribution(None, reason="ambiguous", candidates=[n.name for n in candidates])
        return Attribution(None, reason="no_match")

    def _candidates(self, found: Found) -> list[Node]:
        work = found.work
        if work is None:
            return []
        ev = self.ctx.int
        values = {v for v in (work.formula_value, work.result_value) if v is not None}
        written = [n for n in (numbers(work.formula) if work.formula is not None else []) if n > 1]
        kind = found.kind
        out: list[Node] = []
        if kind in ("shape", "product"):
            claimed = sorted(d for d in found.dims if d is not None) \
                if found.dims is not None and None not in found.dims else sorted(written)
            for node in self.model.nodes:
                dims = [d for d in (ev(x) for x in node.output_shape) if d is not None]
                if len(dims) == len(node.output_shape) and (sorted(dims) == claimed or (len(dims) == 1 and dims[0] in values
                                                                    and found.dims is None)):
                    out.append(node)
            if found.dims is not None:
                known = [d for d in found.dims if d is not None]
                out = [n for n in self.model.nodes
                       if len(n.output_shape) == len(found.dims)
                       and [ev(d) for d, c in zip(n.output_shape, found.dims) if c is not None] == known]
            if out or kind == "shape":
                if kind == "product":
                    found.kind = "shape"
                return out
            found.kind = "params"
        weighted = [n for n in self.model.nodes if n.weights]
        exact = [n for n in weighted if ev(n.params) in values]
        if exact:
            return exact
        best, scored = 0, []
        for node in weighted:
            sizes = {ev(v) for v in node.values.values()} | {ev(w.count) for w in node.weights}
            sizes.discard(None)
            score = len({x for x in written if x in sizes})
            if score > best:
                best, scored = score, [node]
            elif score == best and score:
                scored.append(node)
        return scored if best >= 2 else []

