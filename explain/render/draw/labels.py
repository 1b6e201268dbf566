"""A box's lines of text in the reader's language (plain text; each emitter escapes it for its
format): ``name (type) × N``, the output shape, the parameter count in the locale's format."""
from __future__ import annotations

from functools import cached_property
from typing import Optional

from ...model import Model
from ...msgid import N_
from ...records import record
from ...symbols import Value
from ..i18n import translate, translations
from ..numbers import format_int
from .graph import Box, Graph

LONG = 34
"""A name longer than this is shortened in the middle (``model.layers…self_attn``)."""

# Translators: the type line of an input's box in the picture of the model
INPUT = N_("Input")
# Translators: a box of the model's picture that stands for several consecutive layers (7–38: their positions)
FOLD = N_("layers %(first)s–%(last)s")
# Translators: a box of the model's picture whose layer reuses the weights of another layer
SHARED = N_("weights shared with %(name)s")
# Translators: the type of the box "position_ids" in the picture of a model: an optional input, the positions in the sequence a position embedding looks up (these when the caller gives none)
POSITIONS = N_("Input, positions 0, 1, 2, …")
# Translators: the positions a position embedding looks up when they do not start at 0 (RoBERTa's start at 2)
POSITIONS_FROM = N_("Input, positions %(first)s, %(second)s, …")
# Translators: the type of the box "token_type_ids" in the picture of a model (BERT): an optional input, its token types all 0 when the caller gives none
TOKEN_TYPES = N_("Input, all 0 if not given")
# Translators: the type of the box "relative_position_bucket" in the picture of T5: the bucket of each query–key distance, the rows its relative-position bias looks up
BUCKETS = N_("relative-position buckets")
# Translators: the first line of a box in the picture of one block: the layer before the block, whose output the block reads (its name and type follow on the next line)
BLOCK_INPUT = N_("Input of the block:")
# Translators: a layer's name and its type, as the headings and the picture's boxes write them (conv1 (Conv2D))
NAMED = N_("%(layer)s (%(kind)s)")


@record(frozen=False)
class Line:
    """One line of a box: ``kind`` is ``name`` (code font), ``shape`` (code font) or ``text``."""

    kind: str
    text: str
    after: str = ""
    """Plain text after a name (its type, × N), or after ``code``."""
    code: str = ""
    """A ``text`` line's layer name, set in code font between ``text`` and ``after``."""


class Labels:
    """The text of a graph's boxes for ``lang``."""

    def __init__(self, model: Model, lang: str) -> None:
        self.model = model
        self.lang = lang

    @cached_property
    def _formatter(self):
        from ..view import Formatter
        return Formatter("text", self.lang, self.model)

    def evaluate(self, v: Value) -> Optional[int]:
        from ...errors import ExplainError
        try:
            return self.model.evaluate(v)
        except ExplainError:
            return None

    def tr(self, message: str, **args: str) -> str:
        return translate(self.lang, message) % args if args else translate(self.lang, message)

    def num(self, n: int) -> str:
        return format_int(n, self.lang)

    def params(self, v: Value) -> str:
        n = self.evaluate(v)
        if n is None:
            from ..mathtex import MathPrinter
            return MathPrinter(self.lang, plain=True).expr(v)
        text = translations(self.lang).ngettext("%(count)s parameter", "%(count)s parameters", n)
        return text % {"count": self.num(n)}

    def shape(self, box: Box) -> str:
        from ..view import View
        f = self._formatter
        indexes = box.indexes if box.kind == "layer" else None
        return f.shape(View(f, self.model).shown_shape(box.shape), cell=True, indexes=indexes)

    def times(self, repeat: Value) -> str:
        if isinstance(repeat, int) and repeat == 1:
            return ""
        n = self.evaluate(repeat)
        return " × " + (self.num(n) if n is not None else str(repeat))

    def type(self, box: Box) -> str:
        if box.kind == "input" and box.indexes:
            return self.index_type(box)
        if box.kind == "input" and not box.type:
            return self.tr(INPUT)
        if box.kind == "fold":
            return self.tr(FOLD, first=str(box.layers[0]), last=str(box.layers[1]))
        return self.tr(box.type_label) if box.type_label else box.type

    def index_type(self, box: Box) -> str:
        """What an input of an embedding's indices holds: positions, token types or buckets."""
        if box.indexes == "positions":
            if box.first:
                return self.tr(POSITIONS_FROM, first=self.num(box.first), second=self.num(box.first + 1))
            return self.tr(POSITIONS)
        if box.indexes == "type_vocabulary":
            return self.tr(TOKEN_TYPES)
        return self.tr(BUCKETS)

    def is_step(self, box: Box) -> bool:
        """Whether ``box`` is a step of the forward pass, not a module: one its type names (GPT-2's
        sum of the embeddings) or its name (a pooler's first token)."""
        return box.kind == "layer" and (box.type_label is not None or self._formatter.step(box.name) is not None)

    def lines(self, box: Box, graph: Optional[Graph] = None) -> list[Line]:
        """``name (type) × N`` (ja ``name（type） × N``) / output shape / parameters (and whose weights a sharing box uses)."""
        name = short(box.name)
        out = [Line("text", self.tr(BLOCK_INPUT))] if box.kind == "input" and box.type else []
        step = self._formatter.step(box.name) if box.kind == "layer" else None
        typed = self.tr(NAMED, layer="", kind=self.type(box)) + self.times(box.repeat)  # ja （Conv2D）
        if step:  # a step of the forward pass, not a module: named in plain text
            out.append(Line("text", step + typed))
        else:
            out.append(Line("name", name, typed))
        if box.shape or box.kind != "input":
            out.append(Line("shape", self.shape(box)))
        if box.kind != "input":
            out.append(Line("text", self.params(box.params if box.each is None else box.each)))
        if box.shares and graph is not None:
            before, _, after = self.tr(SHARED, name="\0").partition("\0")
            out.append(Line("text", before, after, code=short(graph.box(box.shares).name)))
        return out


def short(name: str) -> str:
    """A name of at most :data:`LONG` characters, shortened between its parts, never inside one:
    the first part, an ellipsis and as many last parts as fit
    (``encoder.…relative_attention_bias``); cut in the middle only where no part fits."""
    if len(name) <= LONG:
        return name
    for sep in (".", "_"):
        parts = name.split(sep)
        if len(parts) < 3:
            continue
        head = parts[0] + sep + "…"
        tail = [k for k in range(1, len(parts)) if len(head) + len(sep.join(parts[-k:])) <= LONG]
        if tail:
            return head + sep.join(parts[-tail[-1]:])
    half = (LONG - 1) // 2
    return name[:half] + "…" + name[-half:]
