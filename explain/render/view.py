"""What templates see: a derivation's steps with their formulas already printed as LaTeX math in
the reader's locale, names escaped for the output format, and message ids to translate.

Templates hold the markup and the sentences; this module holds no language.
"""
from __future__ import annotations

import copy
import functools
import os
import re
from dataclasses import field
from fractions import Fraction
from typing import Any, Callable, Iterable, Mapping, Optional

import sympy

from ..derivation import Derivation, LayerStep, Memory, ShapeStep
from ..derivation.shapes import OWN_AXES, product_of, tidy_floors
from ..derivation.stages import RANGE, block_kind, block_units, projections, stages
from ..derivation.steps import SymbolValue
from ..errors import ExplainError
from ..layers.base import Shape
from ..model import Model
from ..records import record
from ..shapes import (K_EFF, PADDINGS, RULES, Window, d, effective_kernel, k, k_eff, p_1, p_2,
                      pad_before, pad_rule)
from ..symbols import Value, expand_bounded, to_expr
from ..symbols import sym as symbol
from . import messages
from .composition import composition
from .documents import DETAILS
from .escape import compiled, latex_message, latex_text, markdown_code, markdown_text, plain_text
from .mathtex import MathPrinter, ordered_terms, symbol_tex, tall_tex, text_in_math
from .numbers import MEMORY_UNITS, _BINARY_FR, byte_sizes, decimal_symbol, format_int, format_share, format_size, memory

P = "P"
TERMS_PER_LINE = 5
LONG_NAME = 30
"""Names in a sentence longer than this may break across lines in LaTeX, after a . or / only (T5's
module paths); shorter ones never break (reviewers read ``transformer.`` / ``wte`` and ``post_`` /
``attention_layernorm`` as two names)."""
_NAME_BREAKS = r"[./]"
LONG_TOKEN = 20
"""In a table cell, only a word longer than this (about the narrowest name column's width) may break
inside (after . _ /); shorter ones break at spaces only (``transformer.wte + transformer.wpe``)."""
_BREAKS = r"\\_|[./]"
SHORT_CODE = 40
"""Code a sentence names (an argument with its value) up to this length never breaks in LaTeX
(reviewers read ``return_sequences=`` / ``True`` as two pieces of code)."""


DOTTED_CODE = 24
"""Code longer than this in a sentence (a dotted path, not an argument with its value) may break
after a dot in LaTeX: unbroken, it left a justified line with huge gaps."""


RAGGED_BREAK = r"\hskip 0pt plus 8em\penalty50\hskip 0pt plus -8em\relax"
"""Before a shape in a sentence (LaTeX): a break that leaves its line ragged (the first glue stays
at the line's end and takes the stretch; with no break there, the two glues cancel). A shape never
breaks inside ("(None, None," / "768)" reads as two shapes); without this, a shape that did not fit at
a line's end stretched the justified line before it ("which adds a last axis:" with wide gaps, every
character spaced in Japanese)."""


class Formatter:
    """Format-specific pieces for templates: names, numbers, shapes and math delimiters
    (``markdown``, ``latex``, or ``text``: plain, as a terminal shows it)."""

    def __init__(self, format: str, lang: str, model: Optional[Model] = None) -> None:
        self.format = format
        self.lang = lang
        self.model = model
        self.math = MathPrinter(lang)
        self._placeholders: Optional[Mapping[str, object]] = None
        self._shapes: dict[tuple, str] = {}
        """Each shape once (the summary table writes every layer's; most repeat), keyed with its
        sizes' types as well (an int and a sympy Integer are equal keys, printed differently)."""

    # -- text
    @functools.cached_property
    def _steps(self) -> dict[str, str]:
        """Rows that are steps of the forward pass, not modules: identifier → the message their
        layer names them by (:meth:`Layer.display_name`)."""
        return {n.name: m for n in (self.model.nodes if self.model is not None else ())
                if (m := n.layer.display_name())}

    def step(self, text: str) -> Optional[str]:
        """A step's name as documents show it, in plain text (``embeddings.sum`` → "word +
        position + token type embeddings"); None for any other name."""
        message = self._steps.get(text)
        if message is None:
            return None
        from .i18n import translate
        # our catalog's text, not a user's name: escaped only where the format needs it
        return self.plain(translate(self.lang, message))

    def step_number(self, s: Any) -> str:
        """A step's number in its heading: its layer's, or the first and last of a run of identical
        layers derived once (2–5; Japanese 2～5)."""
        last = getattr(s, "run_last", None)
        return f"{s.index}{'～' if self.lang == 'ja' else '–'}{last}" if last else str(s.index)

    def name(self, text: str) -> str:
        """A name from user input, literally (monospace); a step's in plain text (:meth:`step`)."""
        if (step := self.step(text)) is not None:
            return step
        if self.format == "latex":
            # a long word may break after . or / (long module paths: T5's); others at spaces only
            words = [compiled(_NAME_BREAKS).sub(r"\g<0>\\allowbreak{}", latex_text(w)) if len(w) > LONG_NAME
                     else latex_text(w) for w in text.split(" ")]
            return r"\texttt{" + " ".join(words) + "}"
        if self.format == "text":
            return plain_text(text)
        return markdown_code(text)

    def code(self, text: str) -> str:
        """An argument or weight name a sentence names (``return_sequences=True``,
        ``nn.MultiheadAttention``): in LaTeX unbroken up to ``SHORT_CODE`` characters (a break at
        its ``_``, ``.`` or ``=`` reads as two pieces of code; the line breaks before it instead),
        anything longer as :meth:`name`."""
        if self.format == "latex" and len(text) <= SHORT_CODE:
            if len(text) > DOTTED_CODE and "=" not in text:
                # a long dotted path breaks after a dot rather than stretch its line's spaces
                # (torch.utils.flop_counter.FlopCounterMode)
                return r"\texttt{" + latex_text(text).replace(".", r".\allowbreak{}") + "}"
            return r"\texttt{" + latex_text(text) + "}"
        return self.name(text)

    def unbroken(self, text: str) -> str:
        """A short literal that must not break across lines (a shape, ``23.00 MB``), monospace."""
        if self.format == "latex":
            return r"\mbox{\texttt{" + latex_text(text) + "}}"
        return self.name(text)

    def cell_code(self, text: str) -> str:
        """A name from code inside a table cell (a layer's, a tensor's), in code font in every
        format (a step's in plain text)."""
        if (step := self.step(text)) is not None:
            return step
        return markdown_code(text) if self.format == "markdown" else self.cell_name(text)

    def cell_name(self, text: str) -> str:
        """A name inside a table cell (LaTeX: in code font, may break after . _ / whatever its
        length); a step's in plain text."""
        if (step := self.step(text)) is not None:
            return step
        if self.format == "markdown":
            return markdown_text(text)
        if self.format == "latex":
            words = [compiled(_BREAKS).sub(r"\g<0>\\allowbreak{}", latex_text(w)) if len(w) > LONG_TOKEN else latex_text(w)
                     for w in text.split(" ")]
            return r"\texttt{" + " ".join(words) + "}"
        return self.name(text)

    def name_column(self, names: list[str], widest: float = 0.34) -> str:
        """The width of a LaTeX table's name column (a fraction of the line) that fits its
        longest name in code font, between 0.18 and ``widest``."""
        longest = max((len(n) for n in names), default=0)
        return f"{min(widest, max(0.18, 0.012 * longest + 0.01)):.2f}"

    def cell_type(self, text: str) -> str:
        """A layer type inside a table cell. LaTeX: never broken (``Layer / Norm`` reads as two
        words); the line breaks before its bracket instead."""
        if self.format != "latex":
            return self.text(text)
        return r"\mbox{" + latex_text(text) + "}"

    def kernel(self, text: str) -> str:
        """A size such as "3 × 3" filled into a sentence: in LaTeX one unbreakable unit, as the
        catalog's own "1 × 1" (:func:`latex_message`)."""
        return latex_message(text) if self.format == "latex" else self.text(text)

    def text(self, text: str) -> str:
        if self.format == "text":
            return plain_text(text)
        return latex_text(text) if self.format == "latex" else markdown_text(text)

    def num(self, n: int) -> str:
        text = format_int(n, self.lang)
        return latex_text(text) if self.format == "latex" else text

    def plain(self, text: str) -> str:
        """Text we formatted (a size with its unit), escaped only where the format needs it."""
        return latex_text(text) if self.format == "latex" else text

    @property
    def range_separator(self) -> str:
        """Between the ends of a range ("7–38"; ja "7～38"), unescaped."""
        from .i18n import RANGE_SEPARATOR, translate
        return translate(self.lang, RANGE_SEPARATOR)

    def size(self, x: Fraction | float) -> str:
        text = format_size(x, self.lang)
        return latex_text(text) if self.format == "latex" else text

    def shape(self, shape: Shape, cell: bool = False, indexes: Optional[str] = None) -> str:
        """(None, 256, 256, 32) as Keras prints it (batch axis None), in monospace. In a sentence
        (not a ``cell`` of a table or picture) LaTeX may end the line before it ragged
        (:data:`RAGGED_BREAK`). A lookup of ``indexes`` with axes of its own (``shapes.OWN_AXES``)
        has no batch axis: T5's bias (None, None, 8) is queries × keys × heads, its sentence says so."""
        key = (tuple(shape), tuple(map(type, shape)), cell, indexes)
        try:
            return self._shapes[key]
        except KeyError:
            text = self._shapes[key] = self._shape(shape, cell, indexes)
            return text
        except TypeError:  # an unhashable size: without the cache
            return self._shape(shape, cell, indexes)

    def _shape(self, shape: Shape, cell: bool, indexes: Optional[str]) -> str:
        lead = RAGGED_BREAK if self.format == "latex" and not cell else ""
        first = ["None"]
        if indexes in OWN_AXES and shape:
            first, shape = ["None"] * OWN_AXES[indexes], tuple(shape[-1:])
        if any(d is not None and not isinstance(d, int) for d in shape):
            # in the same monospace as numeric shapes: (None, ⌊H/8⌋, ⌊W/8⌋, 2F)
            plain = MathPrinter(self.lang, plain=True)
            dims = first + ["None" if d is None else plain.expr(tidy_floors(d)) for d in shape]
        else:
            dims = first + ["None" if d is None else str(d) for d in shape]
            return lead + self.unbroken("(" + ", ".join(dims) + ")")  # "(None, None," / "768)" reads as two shapes
        # with symbols: may break after a comma (LaTeX)
        if self.format == "latex":
            return lead + r"\texttt{" + r",\allowbreak{} ".join(latex_text(x) for x in dims).join("()") + "}"
        return self.name("(" + ", ".join(dims) + ")")

    def placeholders(self, own: Optional[dict[str, str]] = None, /, **args: str) -> Mapping[str, object]:
        """The placeholders of sentences (``messages.PLACEHOLDERS``) typeset for this format
        (formulas as math, names from code in code font; each when a sentence first uses it:
        :class:`~.messages.Typeset`, whose ``str`` is the text); ``own``: a layer's own math for
        some of them (its rate, its function), ``args``: a sentence's own values."""
        if self._placeholders is None:
            if self.format == "text":
                self._placeholders = messages.plain_placeholders(self.lang)
            else:
                self._placeholders = messages.fill_placeholders(
                    self.math, math=self.m, code=self.code, times=r" \times ")
        if not own and not args:
            return self._placeholders
        return {**self._placeholders, **{k: self.m(v) for k, v in (own or {}).items()}, **args}

    role_args = placeholders

    def decimal(self, x: float) -> str:
        """A decimal number as math in the locale (0.25; 0{,}25 in German)."""
        text = repr(float(x))
        text = text[:-2] if text.endswith(".0") else text
        mark = decimal_symbol(self.lang)
        return text.replace(".", "{,}" if mark == "," else mark)

    # -- math
    def m(self, tex: str) -> str:
        """Inline math; in LaTeX with plain brackets, so that a long formula may break inside
        them (TeX never breaks inside \\left( … \\right))."""
        if self.format == "latex":
            tex = tex.replace(r"\left(", "(").replace(r"\right)", ")")
        return f"${tex}$"

    def m_firm(self, tex: str) -> str:
        """Inline math whose spaces around + and = never shrink (LaTeX): a justified line squeezed
        "4 × 32 × 2 × 16 + 3 × 2 × 16 + 32" to "4×32×2×16+3×2×16+32" (de reviewer, round 13); it
        may still break after a + or =."""
        if self.format != "latex":
            return self.m(tex)
        return self.m(r"\medmuskip=4mu plus 2mu\relax\thickmuskip=5mu plus 5mu\relax " + tex)

    def m_whole(self, tex: str) -> str:
        """A short equality in a sentence (``E_q = E_k = 32``) that never breaks inside (LaTeX: a
        line ended after its "=", round 16); the line may end ragged before it rather than stretch
        (:data:`RAGGED_BREAK`: every character spaced in Japanese)."""
        if self.format != "latex":
            return self.m(tex)
        return RAGGED_BREAK + r"\mbox{" + self.m(tex) + "}"

    def mt(self, tex: str) -> str:
        """Inline math in a line of text (printed with fractions n/s, so it keeps the line's
        height)."""
        return self.m(tex)

    def math_text(self, text: str) -> str:
        """Words inside a formula (a unit: ``\\text{bytes}``), escaped for math."""
        return text_in_math(text)

    def dm(self, tex: str) -> str:
        """Display math; an equation wider than a line is broken into aligned lines."""
        tex = break_display(tex)
        if self.format == "latex":
            return "\\[\n" + tex + "\n\\]"
        return "$$\n" + tex + "\n$$"


_DICT_NAMES = frozenset(dir(dict))


class Record(dict):
    """Template facts of one row (a summary-table row, a block): a dict whose items are also its
    attributes, so that a template's ``r.name`` finds the item at once; on a plain dict Jinja's
    ``getattr`` fails first (an exception) and then reads the item, nine times for each of
    4,000 rows. A key that names a dict attribute (``items``) stays an item only, as Jinja
    finds it on a dict. Built once, not changed after."""

    def __init__(self, items: dict[str, Any]) -> None:
        super().__init__(items)
        self.__dict__.update(items)
        for name in _DICT_NAMES.intersection(items):
            del self.__dict__[name]


@record(frozen=False)
class SymbolView:
    """A symbol of a layer's formula as written: its TeX, its value and what it means (a key, or None)."""

    tex: str
    value: str
    meaning: Optional[str]


@record(frozen=False)
class GroupView:
    """One weight group as written: its formula, with the numbers substituted, and its count."""

    name: str
    formula: str
    substituted: Optional[str]
    count: str
    count_text: str
    trainable: bool
    buffer: bool
    reason: Optional[str]
    tied: Optional[str] = None
    """The shared weight it is (``layer.group``), counted there."""


@record(frozen=False)
class ShapeView:
    """How a layer's output shape follows from its input, as written (``ShapeStep`` formatted)."""

    kind: str
    output: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    """(axis label msgid, math) for spatial steps."""
    general: Optional[str] = None
    """The general formula (math) for spatial steps."""
    explain: Optional[str] = None
    """Which sentence introduces the rule (``conv``, ``conv_dilated``, ``conv_same``, ``pool``,
    ``ceil``, ``transpose``, ``transpose_padded``)."""
    k_eff: Optional[str] = None
    """k_eff with the numbers of each dilated axis."""
    k_eff_rule: Optional[str] = None
    flatten: Optional[str] = None
    changed: bool = True
    padding: Optional[tuple[str, dict]] = None
    """Why p is what it is: (msgid, math arguments), in full."""
    padding_brief: Optional[tuple[str, dict]] = None
    """The same in one short clause, for a layer explained briefly."""
    padding_total: Optional[str] = None
    """'same' with a stride: the total padding p₁ + p₂ (a display equation after ``padding``)."""
    padding_split: Optional[tuple[str, dict]] = None
    """How that total is split between the start and the end: (msgid, math arguments)."""
    sequences: Optional[bool] = None
    """A recurrent layer's return_sequences (the time axis kept or dropped)."""
    indexes: Optional[str] = None
    """What a lookup's indices are (``positions``, ``type_vocabulary``, ``buckets``), where not tokens."""
    merge: Optional[str] = None
    """A bidirectional layer's merge_mode (code), where the directions are not concatenated."""
    widths: Optional[str] = None
    """Concatenated directions: their widths and the last axis's (math, 16 + 16 = 32)."""
    edges: Optional[tuple[str, dict]] = None
    """A padding or cropping layer's argument: (msgid, arguments)."""
    dropped: Optional[tuple[str, dict]] = None
    """The input's last rows (entries) that no unpadded window reaches, which the rounding down
    leaves out: (msgid, math arguments)."""
    stride: Optional[tuple[str, dict]] = None
    """Why the stride is the pool size (its argument left out): (msgid, arguments)."""
    steps: Optional[str] = None
    """A recurrent layer's number of time steps T, or an embedding's number of indices (a
    one-axis input), where known."""
    width: Optional[str] = None
    """An embedding's vector length (math: d = 32)."""
    rearranged: Optional[str] = None
    """A reshape's equation of sizes (math: 16 = 4 × 4)."""
    values: Optional[str] = None
    """A reshape's number of values (16)."""
    in_order: bool = False
    """A reshape whose values keep their order (``ShapeStep.in_order``)."""
    first: Optional[str] = None
    """A lookup of positions that do not start at 0: the first (RoBERTa's 2)."""
    pooled: Optional[tuple[str, dict[str, str]]] = None
    """A global pooling's axes pooled away and the channels left (msgid, arguments)."""
    sequence: Optional[tuple[str, str, str]] = None
    """A recurrent layer's input read as a sequence: (shape, time steps, features per step)."""

    @property
    def stride_brief(self) -> str:
        """The same in a later layer's one-line entry (msgid; the same arguments)."""
        assert self.stride is not None
        return messages.STRIDE_DEFAULT_BRIEF if self.stride[0] == messages.STRIDE_DEFAULT else self.stride[0]


@record(frozen=False)
class StepView:
    """One layer's entry in a document: its derivation (``LayerStep``) formatted for the templates."""

    index: int
    name: str
    type: str
    role: str
    has_weights: bool
    equation: Optional[str]
    symbols: list[SymbolView]
    groups: list[GroupView]
    params: str
    params_text: str
    trainable_text: str
    non_trainable_text: str
    non_trainable: bool
    buffers_text: str
    buffers: bool
    shape: ShapeView
    notes: list[str]
    frozen: bool
    same_as: Optional[str]
    shares: Optional[str]
    inputs: list[str]
    inputs_text: Optional[tuple[str, dict[str, str]]] = None
    """The inputs named by their roles (message id, role → input name), or None: listed in order."""
    owns: bool = True
    """Some of its parameters count in the model's total (not all shared or tied)."""
    repeat: Optional[str] = None
    """For a node standing for several copies: the number of copies (math)."""
    run_last: Optional[int] = None
    """For the first of a run of identical layers derived once: the run's last layer's number."""
    repeat_equation: Optional[str] = None
    repeat_value: Optional[str] = None
    """The number of copies with its value (``L = 12``)."""
    parts: list[tuple[str, str, str]] = field(default_factory=list)
    """A nested model's layers: (name, type, parameters as text)."""
    numbers: Optional[str] = None
    """The formula with this layer's numbers (math), for the overview table and brief steps."""
    brief: Optional[tuple[int, str]] = None
    """Compact detail: (number, name) of the earlier layer where this kind of layer is explained
    in full; this one gets one line with its numbers."""
    brief_equation: Optional[str] = None
    """``P = formula with the numbers = result``."""
    like: Optional[tuple[int, str]] = None
    """Compact detail: (number, name) of the earlier layer of the same type whose sentence says
    what this one does (BERT's second and third embeddings point back to the first)."""
    role_values: dict[str, str] = field(default_factory=dict)
    """The layer's own math for placeholders of its explanation (its rate, its function)."""
    role_code: dict[str, str] = field(default_factory=dict)
    """The layer's own argument names (in code font) for placeholders of its explanation."""
    note_args: dict[str, str] = field(default_factory=dict)
    """Numbers of the whole model its notes say (placeholder → the number, formatted)."""
    tied_head: bool = False
    """An output layer (an LM head) whose only weights are an embedding's (tied weights)."""
    block: bool = False
    """A transformer block (its repetitions are said as "the block is repeated L times")."""
    type_label: Optional[str] = None
    """A msgid shown in place of the type name (a row that is no framework class)."""
    formula_parts: Optional[str] = None
    """A msgid said before the formula: where its terms come from (GPT-2's, BERT's block)."""
    grouped_equal: Optional[tuple[str, tuple[str, ...]]] = None
    """The equation's step that counts equal products together (math) and the equal sizes that
    make them equal (math), said after the equation."""
    activation: Optional[str] = None
    """The activation a layer with a bias applies to its output (Dense, Conv: ``relu``), named as in
    its code; None where there is none (``linear``)."""

    @property
    def brief_display(self) -> bool:
        """The brief equation is too long for the rest of a line (shown as display math)."""
        return bool(self.brief_equation) and formula_width(self.brief_equation or "") > DISPLAY_WIDTH // 2


def _activation(layer: Any) -> Optional[str]:
    """The activation of a layer with an ``activation`` argument and a bias (Dense, Conv; as the
    compute counts it), or None for none (``linear``) or an activation not read by name."""
    from ..compute import activation_ops
    name = getattr(layer, "activation", None)
    if not hasattr(layer, "use_bias") or not layer.output_activation or not isinstance(name, str) \
            or name == "custom":
        return None
    return name if activation_ops(name) else None


class View:
    """Turns a derivation into template data for one format and language."""

    def __init__(self, fmt: Formatter, model: Optional[Model]) -> None:
        self.f = fmt
        self.p = fmt.math
        self.pi = MathPrinter(fmt.lang, inline=True)
        """The printer for formulas inside a line of text (fractions n/s, unsized brackets)."""
        self.model = model
        self._evaluated: dict[Value, Value] = {}
        """Each value once: layers of one type repeat their formulas and sizes."""
        self._chains: dict[tuple, str] = {}
        """Each equation once (:meth:`chain` of the same formula and values)."""
        self._rows: dict[tuple, Optional[str]] = {}
        """Each summary-table formula once (:func:`_row_formula`: the rows of a repeated layer)."""
        self._shapes: dict[int, tuple[ShapeStep, ShapeView]] = {}
        """Each shape step's view once, by the step's identity: the layers of one signature share
        their first layer's (:func:`explain.derivation.build._layer_steps`)."""

    def evaluate(self, v: Value) -> Value:
        if isinstance(v, int) or self.model is None:
            return v
        found = self._evaluated.get(v)
        if found is not None:
            return found
        try:
            found = self.model.evaluate(v)
        except ExplainError:  # undeclared symbols: the value stays a formula
            found = v
        self._evaluated[v] = found
        return found

    def value_tex(self, v: Value, p: Optional[MathPrinter] = None) -> str:
        """A size as math; a symbolic one followed by its number (``H - 2 = 62``); ``p``: the
        printer (inline formulas: :attr:`pi`)."""
        p = p or self.p
        v = tidy_floors(v)
        text = p.expr(v)
        if not isinstance(v, int) and not (isinstance(v, sympy.Basic) and v.is_Integer):
            n = self.evaluate(v)
            if isinstance(n, int):
                text += " = " + p.number(n)
        return text

    def shown_shape(self, shape: Shape) -> Shape:
        """A shape as the document shows it: where a config declared the symbols (a Hugging Face
        model's d, V), their numbers, so that no symbol stands in a code tuple; a model the user
        wrote in symbols keeps them."""
        if self.model is None or not self.model.symbol_meanings:
            return shape
        return tuple(d if d is None or isinstance(d, int) else
                     (n if isinstance(n := self.evaluate(d), int) else d) for d in shape)

    def count_text(self, v: Value) -> str:
        n = self.evaluate(v)
        return self.f.num(n) if isinstance(n, int) else self.f.m(self.p.expr(v))

    def step(self, s: LayerStep, index: int) -> StepView:
        """The layer's whole derivation: :meth:`outline`, then :meth:`complete`."""
        return self.complete(s, self.outline(s, index))

    def _values(self, s: LayerStep) -> tuple[dict, dict]:
        """The step's values as the formulas print them (without a declared symbol standing for
        itself: GPT-2's d = d, printed as a substitution, would only re-spell the formula,
        3d² = 3·d²), and with every value that evaluates to a number as the number."""
        full = {x: tidy_floors(v) for x, v in s.values.items()}
        return {x: v for x, v in full.items() if v != x}, self.numeric(full)

    def complete(self, s: LayerStep, st: StepView) -> StepView:
        """``st`` (:meth:`outline` of ``s``) with what only a layer explained in full shows: the
        equation of its parameters, its symbols with their values and meanings, its tensors."""
        values, numeric = self._values(s)
        p = self.p
        if st.numbers is not None:
            lhs = P + ("" if isinstance(s.repeat, int) and s.repeat == 1 else "_{1}")
            # the overview table's shorter grouping (MHA's 4 × 32 × 2 × 16 + …) is a line of the
            # derivation too, so that a student finds the table's formula here
            grouped = _table_grouped(s.formula, numeric, st.numbers, p)
            st.equation = self.chain(lhs, s.formula, values, s.params_one, numeric=numeric, display=s.display,
                                     then=grouped)
            if grouped is not None and f"= {grouped}" in st.equation:
                st.grouped_equal = self.equal_values(s, numeric, grouped)
        st.symbols = [self.symbol_view(v) for v in s.symbols]
        groups = st.groups = []
        written = s.node.layer.written_groups()
        # a symbol a config writes in others (GPT-2's f = 4d) keeps its name in a tensor's row: d·f,
        # then the numbers (P_1's equation derives the merged form)
        renamed = {x: v for x, v in values.items() if not (isinstance(v, sympy.Expr) and not v.is_Atom)}
        divided = _divided(values) if s.groups else {}
        for g in s.groups:
            reduced = _cancelled(g.formula, divided)
            shown = written.get(g.name)
            if reduced is not None:  # H·d·d_h with d_h = d/H: the row says d·d (P_1's equation derives it)
                formula, sub = p.expr(reduced), p.expr(reduced, numeric)
            else:
                if shown is not None and sympy.Mul(*shown.args) == g.formula:  # as the tensor's shape
                    formula, subs = p.expr(shown, order="none"), [p.expr(shown, renamed, order="none"),
                                                                  p.expr(shown, numeric, order="none")]
                else:
                    formula = p.expr(g.formula)
                    subs = [p.expr(g.formula, renamed), p.expr(g.formula, numeric)]
                sub = " = ".join(x for i, x in enumerate(subs) if x != formula and x not in subs[:i])
            tied = None
            if g.tied_to and s.node.shares:
                tied = f"{s.node.shares}.{g.tied_to}"
            elif g.tied_to:
                tied = g.tied_to
            # a reason a note of the layer gives is said there, once, not in every row
            reason = None if g.reason in {_NOTED.get(n) for n in s.notes} else g.reason
            groups.append(GroupView(g.name, formula, sub or None, self.value_tex(g.count),
                                    self.count_text(g.count), g.trainable, g.buffer,
                                    messages.REASONS.get(reason) if reason else None, tied))
        return st

    def outline(self, s: LayerStep, index: int) -> StepView:
        """What a later layer's one-line entry shows (the formula with its numbers, its shape,
        its notes) and what decides whether it is one (:func:`_kind`); :meth:`complete` adds the
        rest for a layer explained in full (a brief entry's equation, symbols and tensors were
        never shown: 2,085 of the 2,092 steps of a 4,000-layer residual CNN)."""
        values, numeric = self._values(s)
        p = self.p
        numbers = brief_equation = None
        repeated = not (isinstance(s.repeat, int) and s.repeat == 1)
        if s.groups and any(not g.buffer for g in s.groups):
            lhs = P + ("_{1}" if repeated else "")
            numbers = self.numbers(s.formula, values, numeric, s.display)
            brief_equation = self.chain(lhs, s.formula, values, s.params_one, symbols=False,
                                        numeric=numeric, display=s.display)
        repeat = repeat_equation = None
        if repeated:
            repeat = p.expr(s.repeat)
            one = self.evaluate(s.params_one)
            n = self.evaluate(s.repeat)
            head = rf"{P} = {p.expr(s.repeat)} \cdot {P}_{{1}}"
            if isinstance(one, int) and isinstance(n, int):
                repeat_equation = rf"{head} = {p.number(n)} \times {p.number(one)} = {p.number(n * one)}"
            else:
                repeat_equation = f"{head} = " + self.value_tex(s.params)
        node = s.node
        return StepView(
            index=index, name=node.name, type=node.type,
            role=messages.role_message(s.explanation, s.has_weights), has_weights=s.has_weights,
            equation=None, symbols=[], groups=[],
            params=self.value_tex(s.params), params_text=self.count_text(s.params),
            trainable_text=self.count_text(s.trainable), non_trainable_text=self.count_text(s.non_trainable),
            non_trainable=self.evaluate(s.non_trainable) != 0,
            buffers_text=self.count_text(s.buffers), buffers=self.evaluate(s.buffers) != 0,
            shape=self.shape(s.shape), notes=[messages.NOTES[k] for k in s.notes if k in messages.NOTES],
            frozen=s.frozen, same_as=s.same_as, shares=node.shares, inputs=list(node.inputs),
            inputs_text=node.layer.inputs_text(list(node.inputs)) if len(node.inputs) > 1 else None,
            owns=s.own != 0, repeat=repeat, repeat_equation=repeat_equation,
            repeat_value=self.value_tex(s.repeat) if repeated else None,
            parts=[(name, kind, self.count_text(n)) for name, kind, n in s.parts],
            numbers=numbers, brief_equation=brief_equation, tied_head=self.tied_head(s),
            block=s.role == "transformer_block", type_label=node.layer.type_label,
            formula_parts=node.layer.formula_parts() if numbers is not None else None,
            activation=_activation(node.layer),
            role_values={name: _fill(tex, [self.f.decimal(x) for x in xs])
                         for name, (tex, xs) in node.layer.explanation_values().items()},
            role_code={name: self.f.name(code) for name, code in node.layer.explanation_code().items()},
            note_args={name: self.note_value(v) for name, v in s.note_values})

    def note_value(self, v: Value) -> str:
        """A number a note says: a whole number as text (256), a size of symbols or an equation
        (``⌊w/2⌋ = 3``) as math."""
        if isinstance(v, sympy.Equality):
            return self.f.m(self.pi.expr(v))
        n = self.evaluate(v)
        return self.f.num(n) if isinstance(n, int) else self.f.m(self.value_tex(v, self.pi))

    def equal_values(self, s: LayerStep, numeric: dict, grouped: str) -> Optional[tuple[str, tuple[str, ...]]]:
        """(the grouped step, the equal sizes it relies on, one equality per value): the formula's
        symbols of one value, ``E_q = E_k = E_v = E_out = 32`` and ``d_k = d_v = 16`` (MHA); None
        where no two are equal."""
        free: set = getattr(s.formula, "free_symbols", set())
        by_value: dict[int, list[str]] = {}
        for v in s.symbols:
            n = numeric.get(v.symbol)
            if v.symbol in free and isinstance(n, int):
                by_value.setdefault(n, []).append(symbol_tex(v.symbol.name))
        equal = [" = ".join([*names, self.p.number(n)]) for n, names in by_value.items() if len(names) > 1]
        return (grouped, tuple(equal)) if equal else None

    def tied_head(self, s: LayerStep) -> bool:
        """A dense layer whose weights are all an embedding's: an LM head tied to the tokens."""
        node = s.node
        if not node.shares or s.own != 0 or s.role != "dense" or self.model is None:
            return False
        owner = next((n for n in self.model.nodes if n.name == node.shares), None)
        return owner is not None and owner.layer.role == "embedding"

    def chain(self, lhs: str, formula, values, result: Value, symbols: bool = True,
              numeric: Optional[dict] = None, display=None, then: Optional[str] = None) -> str:
        """``lhs = formula = substituted = result [= number]``, without repeating a step
        (without the formula in the type's symbols when not ``symbols``). ``display`` is the
        formula as a textbook writes it (an unevaluated sum, printed in its order); ``then``: a
        step said after the substituted formula, before the result."""
        try:
            key: Optional[tuple] = (lhs, formula, frozenset(values.items()), result, symbols,
                                    None if numeric is None else frozenset(numeric.items()), display, then)
            return self._chains[key]  # type: ignore[index]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: without the cache
            key = None
        text = self._chain(lhs, formula, values, result, symbols, numeric, display, then)
        if key is not None:
            self._chains[key] = text
        return text

    def _chain(self, lhs: str, formula, values, result: Value, symbols: bool, numeric: Optional[dict],
               display, then: Optional[str]) -> str:
        p = self.p
        order = "none" if display is not None else None
        shown = display if display is not None else formula
        parts = [lhs, p.expr(shown, order=order)] if symbols else [lhs]
        free: set = getattr(formula, "free_symbols", set())
        numeric = self.numeric(values) if numeric is None else numeric
        steps = []
        if any(values.get(x, x) != x for x in free):  # a symbol renamed or given a size
            if _merged(formula, values) is not None:  # f = 4d put in before the terms merge
                steps.append(p.expr(formula, values))
            steps.append(self.numbers(formula, values, values, display))
        if any(numeric.get(x, x) != values.get(x, x) for x in free):  # and their numbers
            steps.append(self.numbers(formula, values, numeric, display))
        if then is not None:
            steps.append(then)
        result = tidy_floors(result)
        if not isinstance(result, int) and (
                len(steps) > 1 or isinstance(formula, sympy.Basic)
                and tidy_floors(formula.xreplace({x: to_expr(v) for x, v in values.items()})) == result):
            pass  # the substituted formula, only in another order (its number follows)
        else:
            steps.append(p.expr(result))
        for part in steps:
            if part not in parts:  # no step repeated, none that only reorders what was printed
                parts.append(part)
        n = self.evaluate(result)
        if not isinstance(result, int) and isinstance(n, int):
            number = p.number(n)
            if number != parts[-1]:
                parts.append(number)
        return " = ".join(parts)

    def numbers(self, formula, values: dict, numeric: dict, display=None) -> str:
        """The formula with the layer's numbers: from its simplified form where a value merges
        terms (f = 4d: 12 × 768² + 13 × 768); a textbook sum term by term, equal neighbours
        counted (4 × (32 × 2 × 16) + 3 × (2 × 16) + 32)."""
        p = self.p
        merged = _merged(formula, values)
        if merged is not None:
            return p.expr(merged, numeric)
        if display is None:
            return p.expr(formula, numeric)
        terms = [p.expr(t, numeric, order="none") for t in sympy.Add.make_args(display)]
        out: list[str] = []
        i = 0
        while i < len(terms):
            n = 1
            # a term that is itself a grouped sum ((32 + 32) × 2 × 16) is kept as written
            while i + n < len(terms) and terms[i + n] == terms[i] and "+" not in terms[i]:
                n += 1
            out.append(terms[i] if n == 1 else rf"{p.number(n)} \times " + _paren(terms[i]))
            i += n
        return " + ".join(out)

    def numeric(self, values: dict) -> dict:
        """``values`` with each value that evaluates to a number replaced by the number."""
        out = {}
        for sym, v in values.items():
            n = self.evaluate(v)
            out[sym] = n if isinstance(n, int) else v
        return out

    def symbol_view(self, v: SymbolValue) -> SymbolView:
        """A symbol of a step's list; a size the config states (BERT's f = 4d here) by its number,
        with the model's meaning, which says the relation."""
        stated = self.model.symbol_meanings.get(v.symbol.name) if self.model is not None else None
        if stated in messages.STATED_SYMBOLS:
            n = self.evaluate(v.value)
            if isinstance(n, int):
                return SymbolView(symbol_tex(v.symbol.name), self.p.number(n), messages.SYMBOLS[stated])
        return SymbolView(symbol_tex(v.symbol.name), self.symbol_value(v.symbol, v.value),
                          messages.SYMBOLS.get(v.meaning) if v.meaning else None)

    def symbol_value(self, symbol, v: Value) -> str:
        """A symbol's value; a declared symbol standing for itself shows its number only."""
        if isinstance(v, sympy.Symbol) and v == symbol:
            n = self.evaluate(v)
            return self.p.number(n) if isinstance(n, int) else self.p.expr(v)
        # an item of a list: d_h = d/H, not a small \frac (floors keep the display printer's merging)
        inline = isinstance(v, sympy.Basic) and not v.has(sympy.floor, sympy.ceiling)
        return self.value_tex(v, self.pi if inline else None)

    # -- shapes
    def shape(self, st: ShapeStep) -> ShapeView:
        """How the output shape follows from the input's, for the templates: a copy for each layer
        (a brief entry may say its padding in full, :func:`_say_padding_once`)."""
        found = self._shapes.get(id(st))
        if found is None or found[0] is not st:
            found = self._shapes[id(st)] = (st, self._shape(st))
        return copy.copy(found[1])

    def _shape(self, st: ShapeStep) -> ShapeView:
        out = self.f.shape(self.shown_shape(st.output), indexes=st.indexes)
        if st.kind == "flatten":
            factors = [tidy_floors(to_expr(x)) for x in st.factors]
            product = self.p.product(factors) if len(factors) > 1 else self.p.expr(factors[0])
            return ShapeView("flatten", out, flatten=product + " = " + self.value_tex(st.output[0]))
        if st.kind == "spatial":
            return self._spatial(st, out)
        if st.kind == "edges":
            return self._edges(st, out)
        if st.kind == "global_pool":
            args = {"sizes": self.f.m(r" \times ".join(self.p.number(x) for x in st.factors)),
                    "channels": self.f.num(int(st.output[0] or 0))}  # an int (shapes._pooled_away)
            return ShapeView("global_pool", out, pooled=(messages.POOLED_AWAY[st.spatial], args))
        merge = self.f.name(f'merge_mode="{st.merge}"') if st.merge else None
        steps = None
        if st.kind in ("recurrent", "bidirectional", "bidirectional_merged") or \
                (st.kind == "lookup" and len(st.input) == 1):
            first = st.input[0] if st.input else None
            steps = self.f.num(first) if isinstance(first, int) else None
        width = self._length(st.output[-1]) if st.kind == "lookup" else None
        sequence = None
        ints = [x for x in st.input if isinstance(x, int)]
        if st.sequences is not None and len(st.input) == 2 and len(ints) == 2:
            sequence = (self.f.shape(st.input), self.f.num(ints[0]), self.f.num(ints[1]))
        rearranged = None
        if st.kind == "reshape":  # every size known (derivation/shapes.py)
            sides = [r" \times ".join(self.p.number(int(x or 0)) for x in s) for s in (st.input, st.output)]
            total = self.p.number(product_of(st.input))
            rearranged = self.f.m(" = ".join(dict.fromkeys(sides + [total])))
        widths = None
        if st.kind == "bidirectional" and all(isinstance(x, int) for x in st.factors) and st.factors:
            a, b = st.factors
            widths = self.f.m(rf"{self.p.number(a)} + {self.p.number(b)} = {self.p.number(a + b)}")
        return ShapeView(st.kind, out, changed=st.kind != "same", sequences=st.sequences, merge=merge,
                         steps=steps, width=width, sequence=sequence, rearranged=rearranged, widths=widths,
                         values=self.f.num(product_of(st.input)) if rearranged else None,
                         indexes=st.indexes, first=self.f.num(st.first) if st.first else None,
                         in_order=st.in_order)

    def _length(self, v: Value) -> str:
        """A length as a number, or as the shape writes it with its value (T5's relative bias:
        H = 8, its own symbol, not the embedding's d)."""
        return self.f.num(v) if isinstance(v, int) else self.f.m(self.value_tex(v))

    def _spatial(self, st: ShapeStep, out: str) -> ShapeView:
        """The window rule (once, or on every line where the axes' rules differ), then per axis
        the rule with the numbers and the result."""
        p = self.p
        rules = {a.window.rule for a in st.axes}
        general = p.expr(next(iter(rules)), order="none") if len(rules) == 1 else None
        lines = []
        rank = st.spatial
        for a in st.axes:
            label = messages.ALL_AXES.get(rank, messages.ALL_AXES[2]) if a.axis == "all" \
                else messages.AXES.get(a.axis, a.axis)
            pi = self.pi  # a line of text, not a display
            rule = "" if general else pi.expr(a.window.rule, order="none") + " = "
            values = {x: tidy_floors(v) for x, v in a.values.items()}
            lines.append((label, rule + pi.expr(a.window.rule, values, order="none") + " = "
                          + self.value_tex(a.result, pi)))
        k_eff = None
        dilated = list(dict.fromkeys((a.window.d, a.window.k) for a in st.axes if a.window.dilated))
        if dilated:
            k_eff = "; ".join(rf"{symbol_tex('k_eff')} = " + p.expr(K_EFF, {d: dv, k: kv}, order="none")
                              + " = " + self.value_tex(effective_kernel(kv, dv)) for dv, kv in dilated)
        full, brief = self._padding(st)
        total, split = self._padding_total(st)
        return ShapeView("spatial", out, lines=lines, general=general, explain=_explanation(st.axes[0].window),
                         k_eff=k_eff, k_eff_rule=rf"{symbol_tex('k_eff')} = " + p.expr(K_EFF, order="none"),
                         padding=full, padding_brief=brief, padding_total=total, padding_split=split,
                         stride=self._default_stride(st), dropped=self._dropped(st))

    def _dropped(self, st: ShapeStep) -> Optional[tuple[str, dict]]:
        """Unpadded windows of stride s ≤ k (touching or overlapping, undilated) cover the first
        (n_out − 1)·s + k of the n entries of an axis; the rest, (n − k) mod s > 0 of them, the
        rounding down leaves out. Said where every axis has the same numbers."""
        found = set()
        for a in st.axes:
            w = a.window
            if w.kind not in ("floor", "floor_asym") or w.pad != (0, 0) or w.dilated \
                    or not all(isinstance(x, int) for x in (a.n, w.k_eff, w.s, a.result)) or w.s > w.k_eff:
                return None
            found.add((a.n, w.k_eff, w.s, a.result))
        if len(found) != 1:
            return None
        n_, k_, s_, out = found.pop()
        end = (out - 1) * s_ + k_
        if end >= n_:
            return None
        num = self.pi.number
        args = {"end": self.f.mt(rf"({num(out)} - 1) \times {num(s_)} + {num(k_)} = {num(end)}"),
                "rest": self.f.mt(f"{num(n_)} - {num(end)} = {num(n_ - end)}"), "count": self.f.num(n_ - end)}
        return messages.DROPPED[2 if st.spatial == 2 else 0, "one" if n_ - end == 1 else "many"], args

    def _edges(self, st: ShapeStep, out: str) -> ShapeView:
        """Here padding=((0, 1), (0, 1)): per axis n + a + b = size (n − a − b for cropping)."""
        p, sign = self.p, (" + " if st.edge_sign > 0 else " - ")
        lines = []
        for axis, n, a, b, result in st.edges:
            label = messages.ALL_AXES.get(st.spatial, messages.ALL_AXES[2]) if axis == "all" \
                else messages.AXES.get(axis, axis)
            n_tex = p.number(n) if isinstance(n, int) else p.expr(tidy_floors(to_expr(n)))
            lines.append((label, n_tex + sign + p.number(a) + sign + p.number(b) + " = " + self.value_tex(result)))
        message = messages.PAD_EDGES if st.edge_sign > 0 else messages.CROP_EDGES
        assert st.edge_argument is not None
        return ShapeView("edges", out, lines=lines, edges=(message, {"arg": self.f.name(st.edge_argument)}))

    def _default_stride(self, st: ShapeStep) -> Optional[tuple[str, dict]]:
        """Where the stride comes from: a pooling layer's stride argument left out (s = k, with k's
        value where every axis has the same pool size), or a stride argument given (s = 2; a
        pooling layer's with its pool size k = 3)."""
        ks = {a.window.k for a in st.axes}
        k_value = next(iter(ks)) if len(ks) == 1 else None
        k_value = k_value if isinstance(k_value, int) else None
        if st.default_stride is not None:
            tex = "s = k" + (" = " + self.p.number(k_value) if k_value is not None else "")
            return messages.STRIDE_DEFAULT, {"arg": self.f.name(st.default_stride), "s_k": self.f.mt(tex)}
        if st.stride_argument is None:
            return None
        s_value = st.stride_argument.split("=")[1]
        args = {"arg": self.f.name(st.stride_argument), "s": self.f.mt("s = " + s_value)}
        if _explanation(st.axes[0].window) in ("pool", "ceil"):
            args["k"] = self.f.mt("k" + (" = " + self.p.number(k_value) if k_value is not None else ""))
            return messages.POOL_STRIDE_GIVEN, args
        return messages.STRIDE_GIVEN, args

    def _padding(self, st: ShapeStep) -> tuple[Optional[tuple[str, dict]], Optional[tuple[str, dict]]]:
        """Where p comes from, for a layer with a padding mode: 'valid' p = 0; 'same' with stride 1
        p = (k − 1)/2; 'same' with stride s the padding that makes ⌈n/s⌉, split p_1 before and
        p_2 after; 'causal' k − 1 before. Numbers where every axis has the same window."""
        mode, w = st.padding, st.axes[0].window
        if mode is None or not w.padded or w.kind not in ("floor", "floor_asym"):
            return None, None
        f, p = self.f, self.pi  # formulas inside sentences
        one = len(st.axes) == 1 and all(isinstance(x, int) for x in (st.axes[0].n, w.k, w.s, w.d))
        p1, p2 = (p.expr(x) for x in w.pad)
        if mode == "valid":
            args = {"p": f.mt("p = 0")}
            return (messages.PADDING["valid"], args), (messages.PADDING_BRIEF["valid"], args)
        if mode == "causal":
            rule = pad_rule(sympy.Add(k_eff, -1, evaluate=False), w.dilated)
            tex = f"{symbol_tex('p_1')} = " + p.expr(rule, order="none")
            if one:
                tex += " = " + p.expr(rule, _pad_values(w, st.axes[0].n, rule), order="none") + " = " + p1
            args = {"p1": f.mt(tex), "p2": f.mt(f"{symbol_tex('p_2')} = 0")}
            brief = {"p": f.mt(f"{symbol_tex('p_1')} = {p1},\\ {symbol_tex('p_2')} = 0")}
            return (messages.PADDING["causal"], args), (messages.PADDING_BRIEF["causal"], brief)
        symmetric = all(a.window.kind == "floor" for a in st.axes)
        stride_one = all(a.window.s == 1 for a in st.axes)
        if symmetric and stride_one and all(a.window.k_eff == 1 for a in st.axes):
            args = {"p": f.mt("p = 0")}
            return (messages.PADDING["same_one"], args), (messages.PADDING_BRIEF["same_one"], args)
        if symmetric and stride_one:
            rule = pad_rule(PADDINGS["half"], w.dilated)
            tex = "p = " + p.expr(rule, order="none")
            if one:
                tex += " = " + p.expr(rule, _pad_values(w, st.axes[0].n, rule), order="none") + " = " + p1
            return ((messages.PADDING["same_half_dilated" if w.dilated else "same_half"], {"p": f.mt(tex)}),
                    (messages.PADDING_BRIEF["same_half"], {"p": f.mt(tex)}))
        pt = f"{symbol_tex('p_1')} + {symbol_tex('p_2')}"
        out = p.expr(RULES["same"], order="none")
        if one:
            n_ = st.axes[0].n
            out += " = " + p.expr(RULES["same"], _pad_values(w, n_, RULES["same"]), order="none") \
                + " = " + self.value_tex(Window("same", w.k, w.s).length(n_), p)
        full = (messages.PADDING["same"], {"out": f.mt(out)})
        if symmetric:
            half = "p = " + (p1 if one else f"({pt})/2")
            return full, (messages.PADDING_BRIEF["same"], {"p": f.mt(half)})
        brief = {"p": f.mt(f"{symbol_tex('p_1')} = {p1},\\ {symbol_tex('p_2')} = {p2}")}
        return full, (messages.PADDING_BRIEF["same"], brief)

    def _padding_total(self, st: ShapeStep) -> tuple[Optional[str], Optional[tuple[str, dict]]]:
        """'same' with a stride other than 1: the total padding p₁ + p₂ = max(…) (a display
        equation), and how it is split: evenly (p at both ends) or p₁ before, p₂ after."""
        mode, w = st.padding, st.axes[0].window
        if mode != "same" or not w.padded or w.kind not in ("floor", "floor_asym"):
            return None, None
        symmetric = all(a.window.kind == "floor" for a in st.axes)
        if symmetric and all(a.window.s == 1 for a in st.axes):
            return None, None
        f, p, pi = self.f, self.p, self.pi
        one = len(st.axes) == 1 and all(isinstance(x, int) for x in (st.axes[0].n, w.k, w.s, w.d))
        p1, p2 = (pi.expr(x) for x in w.pad)
        total_rule = pad_rule(PADDINGS["total"], w.dilated)
        pt = f"{symbol_tex('p_1')} + {symbol_tex('p_2')}"
        total = f"{pt} = " + p.expr(total_rule, order="none")
        if one:
            n_ = st.axes[0].n
            total += " = " + p.expr(total_rule, _pad_values(w, n_, total_rule), order="none") + " = " \
                + p.number(w.pad[0] + w.pad[1])
        if symmetric:
            half = "p = " + (p1 if one else f"({pt})/2")
            return total, (messages.PADDING["same_even"], {"p": f.mt(half)})
        if one:
            first = f"{symbol_tex('p_1')} = " + pi.expr(pad_before(w.pad[0] + w.pad[1]), order="none") + " = " + p1
            second = f"{symbol_tex('p_2')} = {pi.number(w.pad[0] + w.pad[1])} - {p1} = {p2}"
        else:
            first = f"{symbol_tex('p_1')} = " + pi.expr(pad_before(sympy.Add(p_1, p_2, evaluate=False)), order="none")
            second = f"{symbol_tex('p_2')} = ({pt}) - {symbol_tex('p_1')}"
        return total, (messages.PADDING["same_split"], {"p1": f.mt(first), "p2": f.mt(second)})


_NOTED: dict[str, str] = {"keras_bn_moving_stats_non_trainable": "moving_stats"}
"""Notes that give a weight group's reason for not being trained (note → reason key)."""


def _fill(tex: str, numbers: list[str]) -> str:
    """``tex`` with each ``§`` replaced by the next of ``numbers``."""
    parts = tex.split("§")
    return "".join(p + (numbers[i] if i < len(numbers) else "") for i, p in enumerate(parts))


def _pad_values(w: Window, length: Value, rule: sympy.Expr) -> dict:
    """The numbers of ``w`` for the symbols of a padding ``rule`` (by name)."""
    free = {x.name for x in rule.free_symbols}
    numbers = {"n": length, "k": w.k, "s": w.s, "d": w.d, "k_eff": w.k_eff}
    return {symbol(name): v for name, v in numbers.items() if name in free}


def _explanation(w: Window) -> str:
    """Which sentence introduces the rule (a message in the layer templates)."""
    if w.kind == "same":
        return "conv_same"
    if w.kind.startswith("ceil"):
        return "ceil"
    if w.kind == "transpose":
        return "transpose_padded"
    if w.kind.startswith("transpose"):
        return "transpose"
    if not w.padded:
        return "pool"
    if w.kind == "floor_asym" and not w.dilated:
        return "conv_asym"
    return "conv_dilated" if w.dilated else "conv"


DISPLAY_WIDTH = 72
"""About how many characters of a formula fit on a display line (operators count 3)."""


@functools.lru_cache(maxsize=4096)
def formula_width(tex: str) -> int:
    """A rough printed width of ``tex`` in characters: commands as one, a fraction as its wider
    part, operators with their spacing."""
    t = re.sub(r"\\text\{([^{}]*)\}", r"\1", tex)
    t = re.sub(r"\\(left|right|,|quad|allowbreak)\b|\\,", "", t)
    while True:
        u = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: max(m.group(1), m.group(2), key=len), t)
        if u == t:
            break
        t = u
    t = re.sub(r"\^\{([^{}]*)\}|_\{([^{}]*)\}", lambda m: (m.group(1) or m.group(2) or "")[:2], t)
    ops = len(re.findall(r" [=+-] |\\times|\\cdot", t))
    t = re.sub(r"\\[a-zA-Z]+", "x", t)
    t = re.sub(r"[{}\s]", "", t)
    return len(t) + 2 * ops


def _top_level(tex: str, seps: tuple[str, ...], brackets: str = "{}") -> list[str]:
    """``tex`` cut before each separator that stands outside braces and \\left … \\right (and
    round brackets, with ``brackets="{}()"``)."""
    scan = _scanner(seps, brackets)
    out, depth, start, pos = [], 0, 0, 0
    while (m := scan.search(tex, pos)) is not None:
        token = m.group()
        pos = m.end()
        if token == r"\left":
            depth += 1
        elif token == r"\right":
            depth -= 1
        elif token[0] == "\\":  # \{ \} are characters, not groups
            pass
        elif token in brackets:
            depth += 1 if brackets.index(token) % 2 == 0 else -1
        else:  # a separator
            if depth == 0:
                out.append(tex[start:m.start()])
                start = m.start()
            pos = m.start() + 1
    out.append(tex[start:])
    return out


@functools.lru_cache(maxsize=None)
def _scanner(seps: tuple[str, ...], brackets: str) -> re.Pattern:
    """What :func:`_top_level` looks at: \\left, \\right, a backslash and the character after it,
    a bracket, a separator."""
    return re.compile("|".join([r"\\left", r"\\right", r"\\.", "[" + re.escape(brackets) + "]",
                                *(re.escape(sep) for sep in seps)]), re.S)


def _divided(values: dict) -> dict:
    """The symbols a config derives by a division (Llama's d_h = d/H), with their formulas."""
    return {x: v for x, v in values.items() if isinstance(v, sympy.Expr) and not v.is_Atom
            and any(e.is_Pow and e.exp.is_negative for e in sympy.preorder_traversal(v))}


def _cancelled(formula: object, derived: dict) -> Optional[sympy.Expr]:
    """A tensor's formula with the symbols a config derives (``derived``: :func:`_divided`) put
    in, where they cancel to a plain product (H·d·(d/H) = d·d), written factor by factor; else None."""
    if not isinstance(formula, sympy.Expr) or not formula.free_symbols & derived.keys():
        return None
    reduced = formula.xreplace(derived)
    if reduced.free_symbols & derived.keys():
        return None
    coeff, factors = reduced.as_coeff_mul()
    if not (coeff.is_Integer and coeff > 0):
        return None
    written: list[sympy.Expr] = [coeff] if coeff != 1 else []
    for f in factors:
        base, exp = f.as_base_exp()
        if not (base.is_Symbol and exp.is_Integer and exp > 0):
            return None
        written += [base] * int(exp)
    return sympy.Mul(*written, evaluate=False) if len(written) > 1 else None


def break_display(tex: str, width: int = DISPLAY_WIDTH) -> str:
    """``a = b = c`` as aligned lines, one step a line, when it is wider than ``width``; a step
    that is itself too wide continues on further lines at its ``+`` and ``-``."""
    if "\\begin{" in tex or "\\\\" in tex or formula_width(tex) <= width:
        return tex
    if len(_top_level(tex, (" = ",))) < 2:
        return tex
    return "\\begin{aligned}\n" + " \\\\\n".join(chain_lines(tex, width)) + "\n\\end{aligned}"


def note_arg(fmt: "Formatter", name: str, v: Any) -> str:
    """A model note's argument ``name``: a symbol's value as math (``L_w = 29``, the symbol
    :data:`messages.NOTE_EQUATIONS` names), a number in the locale, a tuple of names as a list in
    code font ("`model.layers.5`, … and `model.layers.29`"), else a name in code font."""
    if name in messages.NOTE_EQUATIONS and isinstance(v, int):
        if fmt.format == "text":  # plain text: no TeX
            return f"{messages.NOTE_EQUATIONS[name]} = {fmt.num(v)}"
        return fmt.m(f"{symbol_tex(messages.NOTE_EQUATIONS[name])} = {fmt.math.number(v)}")
    if isinstance(v, int):
        return fmt.num(v)
    if isinstance(v, tuple):
        from .i18n import join_list
        return join_list([fmt.name(x) for x in v], fmt.lang, fmt.format)
    return fmt.name(v)


def chain_lines(tex: str, width: int = DISPLAY_WIDTH) -> list[str]:
    """``a = b = c`` as the lines of an aligned display: ``a &= b = c`` where it fits in ``width``,
    else one step a line (``a &= b``, ``&= c``), a step that is itself too wide continuing on
    further lines at its ``+`` and ``-``."""
    if formula_width(tex) <= width:
        return [tex.replace(" = ", " &= ", 1)]
    steps = [s.strip() for s in _top_level(tex, (" = ",))]
    steps = [steps[0]] + [s[2:].strip() for s in steps[1:]]  # drop each "= "
    if len(steps) < 2:
        return [tex]
    lines: list[str] = []
    for n, step in enumerate(steps[1:]):
        head = (steps[0] + " &= ") if n == 0 else "&= "
        # at a + outside brackets where that is enough, else inside them too
        outer = _balanced_lines(head, [t.strip() for t in _top_level(step, (" + ", " - "), "{}()")], width)
        if any(formula_width(line) > width for line in outer):
            outer = _balanced_lines(head, [t.strip() for t in _top_level(step, (" + ", " - "))], width)
        lines += outer
    return lines


def aligned_chains(chains: list[str], width: int = DISPLAY_WIDTH) -> str:
    """Equalities ``a = b = c`` aligned at their first ``=``, each broken as :func:`chain_lines`."""
    lines = [line for c in chains for line in chain_lines(c, width)]
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _balanced_lines(head: str, terms: list[str], width: int) -> list[str]:
    """``terms`` (each after the first with its ``+``/``-``) on as few lines as filling each up to
    ``width`` needs, the break placed so that the widest line is as narrow as it can be: no
    term or two left alone on the last line (``… + d^2 \\ + 3d``)."""
    cont = "&\\quad "

    def text(a: int, b: int) -> str:
        return (head if a == 0 else cont) + " ".join(terms[a:b])

    @functools.cache
    def wide(a: int, b: int) -> int:
        return formula_width(text(a, b))

    count, line_start = 1, 0  # the greedy fill: how many lines are needed
    for i in range(1, len(terms)):
        if wide(line_start, i + 1) > width:
            count, line_start = count + 1, i
    if count == 1:
        return [text(0, len(terms))]
    starts = _narrowest_breaks(len(terms), count, wide)
    return [text(a, b) for a, b in zip(starts, starts[1:])]


def _narrowest_breaks(n: int, count: int, wide: Callable[[int, int], int],
                      most: Optional[int] = None) -> tuple[int, ...]:
    """Where ``n`` terms break into ``count`` lines of at most ``most`` terms each (default: any
    number) so that the widest line (``wide(a, b)``: the width of terms a … b−1) is as narrow as it
    can be: each line's first term, then ``n``."""
    most = n if most is None else most
    # best[(j, i)]: (widest line, breaks) of the first i terms on j lines; only the line ends from
    # which the other count − j lines can still reach the last term, and that j lines of most terms
    # can reach: linear in the terms, not quadratic
    best: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {(0, 0): (0, ())}
    for j in range(1, count + 1):
        for i in range(max(j, n - (count - j) * most), min(n, j * most) + 1):
            options = [(max(best[(j - 1, a)][0], wide(a, i)), best[(j - 1, a)][1] + (a,))
                       for a in range(max(j - 1, i - most), i) if (j - 1, a) in best]
            if options:
                best[(j, i)] = min(options)
    return best[(count, n)][1] + (n,)


def sum_lines(parts: list[str], lhs: str, rhs: Optional[str], per_line: int = TERMS_PER_LINE) -> str:
    """``lhs = a + b + … = rhs`` as math, broken into aligned lines of ``per_line`` terms."""
    if not parts:
        parts = ["0"]
    if len(parts) == 1 and rhs == parts[0]:
        return f"{lhs} = {rhs}"
    if len(parts) <= per_line:
        return f"{lhs} = " + " + ".join(parts) + (f" = {rhs}" if rhs else "")
    # as few lines as per_line allows, the breaks where the widest line is narrowest (7 terms:
    # never 5 + 2 with the last two alone)
    n = len(parts)

    # a line's width is its terms' widths and 3 for each " + " between them (formula_width of the
    # joined text, which no pattern of it crosses): each term measured once, not each candidate line
    ends = [0]
    for part in parts:
        ends.append(ends[-1] + formula_width(part) + 3)

    def wide(a: int, b: int) -> int:
        return ends[b] - ends[a] - 3

    cuts = _narrowest_breaks(n, -(-n // per_line), wide, per_line)
    chunks = [parts[a:b] for a, b in zip(cuts, cuts[1:])]
    lines = [f"{lhs} &= " + " + ".join(chunks[0])]
    for c in chunks[1:]:
        lines.append("&\\quad + " + " + ".join(c))
    if rhs:
        lines.append(f"&= {rhs}")
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _kind(s: LayerStep, st: StepView) -> tuple:
    """What makes two layers explained alike: type, sentence, formula in the type's symbols,
    weight groups and why they are (not) trained, and the output-size rule."""
    return (s.node.type, s.explanation, _printed(s.formula), s.frozen, bool(st.repeat), bool(s.parts),
            tuple((g.name, _printed(g.formula), g.trainable, g.buffer, g.reason, bool(g.tied_to))
                  for g in s.groups),
            st.shape.kind, st.shape.explain, st.shape.general, bool(st.shape.k_eff))


def _kinds_covered(key: tuple, st: StepView, view: "View") -> list[tuple]:
    """The kinds a layer explained in full explains for later layers: its own, and, for the rule
    with padding p_1 at the start and p_2 at the end (an undilated convolution's), the symmetric
    rule too, its case p_1 = p_2 = p (MobileNetV2's first 1 × 1 convolution after Conv1, 'same'
    with stride 2): a later layer of that kind says its padding and sizes in its brief entry."""
    if st.shape.explain != "conv_asym":
        return [key]
    symmetric = view.p.expr(Window("floor", 1, 1).rule, order="none")
    return [key, key[:-3] + ("conv", symmetric, False)]


@functools.lru_cache(maxsize=4096, typed=True)
def _printed(formula: object) -> str:
    """``str(formula)``, printed once per formula (layers of one type share theirs)."""
    return str(formula)


_PLACEHOLDER_NAME = re.compile(r"%\((\w+)\)s")


def _symbol_names(d: Derivation) -> set[str]:
    """The names of the symbols in the layers' formulas, counts and repetitions and in the total."""
    names: set[str] = set()
    values: list[object] = [d.total_expr]
    for s in d.steps:
        values += [s.formula, s.params, s.repeat, *(g.formula for g in s.groups)]
        # a symbol a note names in a formula (GPT-2's d_h = d/H names H): defined in the list too
        values += [messages.PLACEHOLDERS.get(k) for n in s.notes
                   for k in _PLACEHOLDER_NAME.findall(str(messages.NOTES.get(n, "")))]
    # each formula once: the layers of a type repeat theirs (ResNet152: 516 layers, a few dozen)
    for v in {v for v in values if isinstance(v, sympy.Basic)}:
        names |= {x.name for x in v.free_symbols if isinstance(x, sympy.Symbol)}
    return names


def _say_padding_once(st: StepView, said: set[str]) -> None:
    """A brief entry's padding in full where its kind (padding="same" with stride 1, "valid", …)
    first appears in the document: why p = (k − 1)/2 is then said once (round 13: a solution's only
    "same" layer had the short clause alone). Not for "same" with a stride, whose full sentence
    leads to the display of the total padding that a brief entry does not show."""
    padding = st.shape.padding
    if padding is None:
        return
    if st.brief and padding[0] not in said and st.shape.padding_brief and st.shape.padding_total is None:
        st.shape.padding_brief = padding
    said.add(padding[0])


def model_context(d: Derivation, fmt: Formatter, detail: str = "compact", lengths: bool = False) -> dict[str, Any]:
    """Everything the derivation templates use; with ``lengths`` (compute or memory counted), the
    notes on the sequence length they count at."""
    if detail not in DETAILS:
        raise ExplainError(f"unknown detail '{detail}' (choose from {', '.join(DETAILS)})")
    view = View(fmt, d.model)
    p = fmt.math
    model = d.model
    index = {n.name: i + 1 for i, n in enumerate(model.nodes)}
    blocks = []
    seen_notes: set[tuple[str, tuple]] = set()
    explained: dict[tuple, StepView] = {}
    said: dict[tuple, StepView] = {}  # an embedding's sentence, said once (by the first of its type)
    built: dict[str, StepView] = {}
    padded: set[str] = set()  # the padding sentences said in full so far
    for b in d.blocks:
        steps = [view.outline(s, index[s.node.name]) for s in b.steps]
        if not b.single and len(b.steps) == 1 and b.names and b.names[-1][-1] != b.steps[0].node.name:
            steps[0].run_last = index[b.names[-1][-1]]  # 2–5: the numbers the run's layers take
        for s, st in zip(b.steps, steps):
            built[st.name] = st
            if detail == "compact" and not (st.shares and not st.owns):
                key = _kind(s, st)
                first = explained.get(key, st)
                if first is st:
                    for covered in _kinds_covered(key, st, view):
                        explained.setdefault(covered, st)
                if first is not st:
                    st.brief, st.same_as = (first.index, first.name), None
            _say_padding_once(st, padded)
            if detail == "compact" and not st.brief and s.role == "embedding" and not st.tied_head:
                key = (s.node.type, s.explanation, tuple(st.role_values.items()), tuple(st.role_code.items()))
                told = said.setdefault(key, st)
                if told is not st:
                    st.like = (told.index, told.name)
            if not st.brief:
                view.complete(s, st)
        # a convention is explained where it first applies to each role and introduction (a GRU
        # with reset_after=False, introduced as such, says its factor 3 again)
        for s, st in zip(b.steps, steps):
            kind = (s.node.layer.role, s.explanation)
            st.notes = [n for n in st.notes if (n, kind) not in seen_notes]
            seen_notes.update((n, kind) for n in st.notes)
        block_total = None
        if b.repeat > 1:
            each = view.value_tex(b.params)
            block_total = rf"{p.number(b.repeat)} \times {_paren(each)} = " + view.value_tex(b.total) \
                if isinstance(b.params, int) else rf"{p.number(b.repeat)} \cdot {_paren(p.expr(tidy_floors(b.params)))} = " \
                + view.value_tex(b.total)
        parts = [p.expr(tidy_floors(s.params)) for s in b.steps if s.node.shares is None and s.params != 0]
        blocks.append(Record({
            "single": b.single, "repeat": b.repeat, "steps": steps,
            "first": b.names[0][0] if b.names else steps[0].name,
            "last": b.names[-1][-1] if b.names else steps[-1].name,
            "first_index": index[b.names[0][0]] if b.names else steps[0].index,
            "last_index": index[b.names[-1][-1]] if b.names else steps[-1].index,
            "size": len(b.steps),
            "each": sum_lines(parts, r"P_{\text{block}}", view.value_tex(b.params)) if len(parts) > 1 else None,
            "each_value": view.value_tex(b.params),
            "total": block_total,
            "params_text": view.count_text(b.params),
        }))
    terms = []
    for params, repeat in d.terms:
        t = p.expr(tidy_floors(params))
        terms.append(rf"{p.number(repeat)} \times {_paren(t)}" if repeat > 1 else t)
    symbolic = d.symbolic and not isinstance(d.total_expr, int)
    total_sum = sum_lines(terms, P, None if symbolic else p.number(d.total))
    symbolic_total = substituted_total = None
    declared = []
    if d.symbolic:
        declared = [(symbol_tex(s.name), p.number(v)) for s, v in sorted(model.symbols.items(), key=lambda x: x[0].name)]
    if symbolic:
        # expanded where that stays short: (a+…+h)**64 would have 10⁹ terms
        expanded = expand_bounded(d.total_expr) if _small(d.total_expr) else None
        expr = tidy_floors(d.total_expr if expanded is None else expanded)
        symbolic_total = f"{P} = " + p.expr(expr)
        values = {s: v for s, v in model.symbols.items()}
        substituted_total = _term_lines(p, expr, values, d.total)
    active = None
    a_expr = model.active_expr
    if a_expr is not None:
        a_value = model.evaluate(a_expr)
        if isinstance(a_expr, int):
            active = rf"P_{{\text{{active}}}} = {p.number(a_value)}"
        else:
            bounded = expand_bounded(a_expr) if _small(a_expr) else None
            shown = a_expr if bounded is None else bounded
            active = rf"P_{{\text{{active}}}} = {p.expr(shown)} = {p.number(a_value)}"
    keyed = [(k, (messages.MODEL_NOTES[k], fmt.placeholders(**{n: note_arg(fmt, n, v) for n, v in args})))
             for k, args in model.notes if k in messages.MODEL_NOTES and (lengths or k not in messages.LENGTH_NOTES)]
    # how the model was read (the architecture assumed or chosen, the generic route) comes first,
    # before the symbols; the notes about its parts use the symbols and follow them
    route = [note for k, note in keyed if k in messages.ROUTE_NOTES]
    # (msgid, arguments, an item of a list)
    notes = [(*note, k in messages.MODEL_NOTE_ITEMS) for k, note in keyed
             if k not in messages.ROUTE_NOTES and k not in messages.INPUT_NOTES]
    input_notes = [note for k, note in keyed if k in messages.INPUT_NOTES]
    # "The model has 6 layers": say which of them stand for L blocks; two stacks of the same
    # count one after the other (T5's encoder.block and decoder.block) in one sentence
    stacked: dict[tuple[str, bool], list[str]] = {}
    for node in model.nodes:
        if not (isinstance(node.repeat, int) and node.repeat == 1):
            n = view.evaluate(node.repeat)
            count = p.expr(node.repeat) + (" = " + p.number(n) if isinstance(n, int) and not
                                          isinstance(node.repeat, int) else "")
            stacked.setdefault((count, node.interleaved), []).append(node.name)
    model_parts = composition(d.steps, {k for k, _ in model.notes}, view.evaluate)
    # the sentence after "The model consists of …" names the stacked rows itself (round 18, en: said
    # once, not again in a note of its own)
    stack_sentence = None
    if model_parts is not None and len(stacked) == 1:
        (count, interleaved), names = next(iter(stacked.items()))
        if not interleaved and len(names) == 1:
            stack_sentence = (messages.COMPOSITION_ROW, {"layer": fmt.name(names[0]), "repeat": fmt.m(count)})
        elif not interleaved and len(names) == 2:
            stack_sentence = (messages.COMPOSITION_ROWS, {"first": fmt.name(names[0]), "second": fmt.name(names[1]),
                                                          "repeat": fmt.m(count)})
    for (count, interleaved), names in stacked.items():
        if stack_sentence is not None:
            break
        if len(names) == 2 and not interleaved:
            notes.append((messages.REPEATED_BLOCKS, {"first": fmt.name(names[0]), "second": fmt.name(names[1]),
                                                     "repeat": fmt.m(count)}, False))
            continue
        sentence = messages.REPEATED_INTERLEAVED if interleaved else messages.REPEATED_BLOCK
        notes += [(sentence, {"layer": fmt.name(name), "repeat": fmt.m(count)}, False) for name in names]
    # the symbols a config declares, defined before the notes and the table use them
    config_symbols = [(sym, v) for sym, v in model.symbols.items()
                if model.symbol_meanings.get(sym.name) in messages.SYMBOLS and isinstance(v, int)]
    model_symbols = [(fmt.m(f"{symbol_tex(sym.name)} = {p.number(v)}"), messages.SYMBOLS[model.symbol_meanings[sym.name]])
                     for sym, v in config_symbols]
    # a parameter count lists only the symbols its formulas use (Llama's T counts no parameter:
    # RoPE has none); the compute section, which uses them all, puts the others back
    used = _symbol_names(d)
    counted = [row for row, (sym, _) in zip(model_symbols, config_symbols) if sym.name in used]
    # a size the config writes in its symbols (GPT-2's f = 4d) is defined with them, in a list
    # item's line (Llama's d_h = d/H, not a small \frac)
    seen: set[SymbolValue] = set()  # each looked at once: layers of one type repeat theirs
    for s in d.steps:
        for v in s.symbols:
            if v in seen:
                continue
            seen.add(v)
            value = v.value
            if (isinstance(value, sympy.Expr) and not value.is_Atom and v.symbol not in model.symbols
                    and v.symbol.name in used and value.free_symbols <= model.symbols.keys()
                    and not value.has(sympy.Pow) and (meant := model.symbol_meanings.get(v.symbol.name, v.meaning))
                    in messages.SYMBOLS):
                printer = p if value.has(sympy.floor, sympy.ceiling) else view.pi  # floors: the display merging
                # a size the config states (BERT's f): its number; the meaning says it is 4d here
                written = "" if meant in messages.STATED_SYMBOLS else f" = {printer.expr(value)}"
                row = (fmt.m(f"{symbol_tex(v.symbol.name)}{written} = {p.number(model.evaluate(value))}"),
                       messages.SYMBOLS[meant])
                if row not in counted:
                    counted.append(row)
    mem = d.memory
    rows = []
    for s in d.steps:
        node = s.node
        own = node.own("params")
        rows.append(Record({
            "name": node.name, "type": node.type, "type_label": node.layer.type_label, "shape": fmt.shape(view.shown_shape(node.output_shape), cell=True,
                                                                                 indexes=s.shape.indexes),
            "formula": _row_formula(s, view, built.get(node.name)),
            "share": fmt.plain(format_share(view.evaluate(own), d.total, fmt.lang))
            if isinstance(view.evaluate(own), int) and view.evaluate(own) != 0 else "",
            # what the total counts for the row: a shared or tied layer adds nothing of its own
            "params": view.count_text(own),
            "trainable": view.count_text(node.own("trainable")),
            "non_trainable": view.count_text(node.own("non_trainable")),
            "buffers": view.count_text(node.own("buffers")),
            "shares": node.shares,
        }))
    columns = _summary_columns(d, rows, fmt) if fmt.format == "latex" else None
    stage_rows = []
    all_stages = stages(model.nodes)
    dash = fmt.range_separator
    for stage in all_stages:
        n = view.evaluate(stage.params)
        span = f"{stage.first}{dash}{stage.last}" if stage.last > stage.first else str(stage.first)
        stage_rows.append(Record({
            "label": stage.label, "layers": fmt.plain(span),
            # block_1–block_2: each end in code font, the dash between them in text (two names)
            "cell": fmt.plain(dash).join(fmt.cell_code(end) for end in stage.label.split(RANGE)),
            "blocks": fmt.num(stage.blocks) if stage.blocks else "", "params": view.count_text(stage.params),
            "share": fmt.plain(format_share(n, d.total, fmt.lang)) if isinstance(n, int) else "",
            "shape": fmt.shape(stage.output, cell=True)}))
    # the stage table's total row: its rows (stem, stages, head) hold every layer once
    counts = [view.evaluate(stage.params) for stage in all_stages]
    stage_total = ({"params": fmt.num(d.total), "share": fmt.plain(format_share(d.total, d.total, fmt.lang))}
                   if all_stages and all(isinstance(n, int) for n in counts) and sum(counts) == d.total else None)
    if stage_total and not symbolic:  # the stage table's subtotals, not one term per layer (ResNet50's 40)
        total_sum = sum_lines([p.number(n) for n in counts], P, p.number(d.total))
    calls = sum(1 for n in model.nodes if n.layer.call_in_forward)
    return {
        "f": fmt, "model": model, "name": model.name, "framework": model.framework,
        "stages": stage_rows, "stage_total": stage_total, "stage_ends": _stage_ends(all_stages, fmt), "block_kinds": _block_kinds(model, view, all_stages),
        "keras": model.framework == "keras", "pytorch": model.framework == "pytorch",
        # a sequence of variable length (tokens, or vectors of width d): the length is None too
        "inputs": _input_groups(model, fmt), "input_count": len(model.inputs), "input_notes": input_notes,
        # a call between modules (x.mean(1)) is a step of the derivation, not a layer
        "layer_count": len(model.nodes) - calls, "call_count": calls, "row_count": len(model.nodes), "blocks": blocks, "rows": rows, "columns": columns,
        "any_non_trainable": d.non_trainable != 0, "any_buffers": d.buffers != 0,
        "grouped": any(not b["single"] for b in blocks),
        "total_sum": total_sum, "total_by_stage": bool(stage_total and not symbolic), "symbolic_total": symbolic_total, "substituted_total": substituted_total,
        "substituted_by_term": bool(substituted_total) and "aligned" in (substituted_total or ""),
        "repeated_rows": any(not (isinstance(n.repeat, int) and n.repeat == 1) for n in model.nodes),
        "composition": model_parts, "stack_sentence": stack_sentence,
        "declared": declared, "symbolic": symbolic,
        "total": fmt.num(d.total), "total_tex": p.number(d.total),
        "trainable": fmt.num(d.trainable), "non_trainable": fmt.num(d.non_trainable),
        "buffers": fmt.num(d.buffers), "has_non_trainable": d.non_trainable != 0,
        # every non-trainable group a normalization layer's moving statistics: the sentence says so
        "only_moving_stats": {g.reason for s in d.steps for g in s.groups
                              if not g.trainable and not g.buffer} == {"moving_stats"},
        # one batch normalization layer: the sentence names it (singular)
        "moving_stats_layers": [fmt.name(s.node.name) for s in d.steps
                                if any(g.reason == "moving_stats" for g in s.groups)],
        "has_buffers": d.buffers != 0,
        # "(layers without weights contribute 0)" only where the model has one (a tied head has weights)
        "has_weightless": any(n.shares is None and n.own("params") == 0 and not n.layer.call_in_forward
                              for n in model.nodes),
        # a tied head has weights but adds 0: the sentence says so (de, ja reviewers, round 13)
        "has_shared": any(n.shares is not None for n in model.nodes),
        "memory": _memory(mem, fmt),
        "expanded": d.expanded,
        "model_notes": notes, "route_notes": route, "model_symbols": counted, "all_model_symbols": model_symbols, "active": active, "active_text": messages.ACTIVE,
        "active_title": messages.ACTIVE_TITLE,
    }


def _stage_ends(rows: list, fmt: Formatter) -> Optional[dict[str, str]]:
    """The stem and the head of a stage table (the rows before the first run of blocks and after
    the last, names in code font), or None where a row outside the blocks lies between two runs."""
    runs = [i for i, r in enumerate(rows) if r.blocks]
    if not runs or runs[0] == 0 or runs[-1] == len(rows) - 1 or len(runs) != runs[-1] - runs[0] + 1:
        return None
    from .i18n import translate
    sep = translate(fmt.lang, ", ")  # the list separator of the templates' lists (ja 、)
    return {"stem": sep.join(fmt.name(r.label) for r in rows[:runs[0]]),
            "head": sep.join(fmt.name(r.label) for r in rows[runs[-1] + 1:])}


def _block_kinds(model: Model, view: "View", all_stages: list) -> list[tuple[str, dict]]:
    """Each block type of the model's stages (``all_stages``: ``stages(model.nodes)``), described
    once: (msgid, arguments), with the first block's own numbers."""
    fmt, p = view.f, view.p
    found: dict[str, list] = {}
    for stage in all_stages:
        if stage.kind in messages.BLOCK_KINDS:
            found.setdefault(stage.kind, []).append(stage)
    out = []
    for kind, runs in found.items():
        blocks = [b for b in block_units(model.nodes[runs[0].first - 1:runs[-1].last])
                  if block_kind(b) == kind]
        args = _block_numbers(kind, blocks, p, model.readers)
        if args is None:
            continue
        named = all(RANGE not in r.label for r in runs)  # conv2_x–conv5_x; else block_1–block_16
        ends = (runs[0].label, runs[-1].label) if named else (_block_name(blocks[0]), _block_name(blocks[-1]))
        # each end in code font, the dash between them in text: two names, not one
        label = fmt.name(ends[0]) if ends[0] == ends[1] else fmt.name(ends[0]) + fmt.range_separator + fmt.name(ends[1])
        args = {k: fmt.name(v) if k in ("first", "block") else fmt.kernel(v) if k == "k"
                else fmt.m("t = " + v) if k == "t" else fmt.m(v) for k, v in args.items()}
        out.append((messages.BLOCK_KINDS[kind], {"stages": label, **args}))
        if kind == "inverted_residual":  # a block without the expanding convolution: t = 1
            for r in runs:
                layers = model.nodes[r.first - 1:r.last]
                if r.blocks == 1 and sum(n.layer.role == "conv" for n in layers) == 1:
                    out.append((messages.BLOCK_NO_EXPANSION, {"block": fmt.name(r.label), "t": fmt.m("t = 1")}))
    return out


def _block_numbers(kind: str, blocks: list, p, readers: dict[str, list]) -> Optional[dict[str, str]]:
    """The numbers a block type's description shows, from the model's own layers."""
    def kernel(node) -> str:
        return " × ".join(str(x) for x in node.layer.kernel_size)

    if kind == "bottleneck":
        def main_path(block) -> list:
            return [n for n in block if n.layer.role == "conv" and n not in projections(block)]

        # the description's batch normalizations and ReLUs, checked on every block it describes
        if not all(_post_activation(main_path(b), readers) for b in blocks):
            return None
        for block in blocks:  # the first block whose first 1 × 1 convolution reduces the width
            main = main_path(block)
            widths = [main[0].input_shapes[0][-1]] + [n.output_shape[-1] for n in main]
            if all(isinstance(w, int) for w in widths) and widths[1] < widths[0]:
                return {"k": kernel(main[1]), "first": _block_name(block),
                        "widths": r" \to ".join(p.number(w) for w in widths)}
        return None
    for block in blocks:  # inverted residual: the first with an expansion
        convs = [n for n in block if n.layer.role == "conv"]
        depthwise = [n for n in block if n.layer.role == "depthwise"]
        if len(convs) < 2 or not depthwise:
            continue
        expand, project, dw = convs[0], convs[-1], depthwise[0]
        # the description names ReLU6 after the expansion and the depthwise convolution, a batch
        # normalization after each convolution, and no activation after the projection
        acts = [n for n in block if n.layer.role == "activation"]
        if len(acts) != 2 or not all(_applies(a, "relu6") for a in acts) \
                or sum(n.layer.role == "batchnorm" for n in block) != 3 \
                or block.index(acts[-1]) > block.index(project):
            return None
        c_in, c, c_out = expand.input_shapes[0][-1], dw.input_shapes[0][-1], project.output_shape[-1]
        if not all(isinstance(x, int) for x in (c_in, c, c_out)) or c % c_in:
            return None
        kh, kw = dw.layer.kernel_size[:2] if len(dw.layer.kernel_size) > 1 else (dw.layer.kernel_size[0], 1)
        n = p.number
        # numbers multiplied with ×, as in every formula with its numbers (symbols take ·)
        separable = (rf"{n(kh)} \times {n(kw)} \times {n(c)} + {n(c)} \times {n(c_out)} = "
                     rf"{n(kh * kw * c + c * c_out)}")
        standard = rf"{n(kh)} \times {n(kw)} \times {n(c)} \times {n(c_out)} = {n(kh * kw * c * c_out)}"
        return {"t": str(c // c_in), "k": kernel(dw), "block": _block_name(block),
                "separable": separable, "standard": standard}
    return None


def _applies(node, function: str) -> bool:
    """``node`` is an activation layer whose function is ``function`` (relu, relu6: an Activation
    or a ReLU layer, whatever its class)."""
    from ..layers.core import FUNCTIONS  # here: a model without such layers never imports core

    return node.layer.role == "activation" and \
        node.layer.explanation_values().get("f") == FUNCTIONS[function]


def _post_activation(main: list, readers: dict[str, list]) -> bool:
    """A bottleneck block as the description says it (He et al. 2016, Keras's ResNet50): each
    main-path convolution read only by a batch normalization, the first two of these read only by
    a ReLU, the third by the addition, and the addition's sum read only by a ReLU (``readers``:
    :attr:`Model.readers`)."""
    def only(node, role: str):
        after = readers.get(node.name, [])
        return after[0] if len(after) == 1 and after[0].layer.role == role else None

    norms = [only(c, "batchnorm") for c in main]
    if len(main) != 3 or None in norms:
        return False
    adds = readers.get(norms[2].name, [])
    relus = [only(b, "activation") for b in norms[:2]] + [only(adds[0], "activation") if adds else None]
    return len(adds) == 1 and adds[0].layer.role == "add" and all(r is not None and _applies(r, "relu")
                                                                 for r in relus)


def _block_name(block: list) -> str:
    """A block's name: what its layers' names share (``conv2_block1``, ``block_1``)."""
    return os.path.commonprefix([n.name for n in block]).rstrip("_")


def _row_formula(s: LayerStep, view: View, st: Optional[StepView]) -> Optional[str]:
    """The overview table's formula: what the row adds to the total, with the layer's numbers
    (shared and tied groups left out: they add nothing here); None for a layer without weights.
    A row not derived in the text (``st`` None: a repetition) is written once for its formula,
    values, groups and repeat (ResNet152: 516 rows, 96 steps derived)."""
    if st is not None:
        return _row_formula_written(s, view, None if not st.numbers else st.numbers)
    try:
        key: Optional[tuple] = (s.formula, frozenset(s.values.items()), s.repeat, bool(s.node.shares),
                                tuple((g.formula, g.buffer, bool(g.tied_to)) for g in s.groups))
        return view._rows[key]  # type: ignore[index]
    except KeyError:
        pass
    except TypeError:  # an unhashable value: without the cache
        key = None
    text = _row_formula_written(s, view, None)
    if key is not None:
        view._rows[key] = text
    return text


def _row_formula_written(s: LayerStep, view: View, numbers: Optional[str]) -> Optional[str]:
    """:func:`_row_formula`; ``numbers``: the derived step's formula with its numbers."""
    p = view.p
    own = [g for g in s.groups if not g.buffer and not (g.tied_to or s.node.shares)]
    if not own:
        return None
    if len(own) == len([g for g in s.groups if not g.buffer]):
        tex = numbers or p.expr(s.formula, s.values)
        tex = _table_grouped(s.formula, view.numeric(s.values), tex, p) or tex
    else:
        tex = p.expr(sympy.Add(*[g.formula for g in own]), view.numeric(s.values))
    if not (isinstance(s.repeat, int) and s.repeat == 1):
        # the number of blocks as a number, as the row's other factors are (12 × (12 × 768² + 13 × 768);
        # round 18, de/es/fr lecturers: L beside numbers mixed a symbol into a numeric row)
        count = view.evaluate(s.repeat)
        tex = rf"{p.number(count) if isinstance(count, int) else p.expr(count)} \times {_paren(tex)}"
    if view.f.format == "latex":
        tex = _term_breaks(tex)
    return view.f.m(tex)


def _table_grouped(formula, numeric: dict, tex: str, p: MathPrinter) -> Optional[str]:
    """The grouped form of ``formula`` (:func:`_grouped`) where it has fewer terms than ``tex``,
    the formula with its numbers: the overview table shows it, and the layer's derivation says it."""
    grouped = _grouped(formula, numeric, p)
    if grouped is not None and grouped.count(" + ") < _term_breaks(tex).count(r"\allowbreak"):
        return grouped  # fewer terms: the table's line stays short
    return None


def _grouped(formula, numeric: dict, p: MathPrinter) -> Optional[str]:
    """``formula``'s terms with the layer's numbers, terms whose numbers multiply the same counted
    together, the longest products first: MHA's (E_q + E_k)·H·d_k + E_v·H·d_v + H·d_v·E_out +
    2H·d_k + H·d_v + E_out is 4 × 32 × 2 × 16 + 3 × 2 × 16 + 32 with E = 32, H = 2, d = 16.
    None where a term is not a whole multiple of a product of sizes."""
    terms_of = _product_terms(formula)
    if terms_of is None:
        return None
    groups: dict[tuple[int, ...], list] = {}
    for coeff, rest, factors in terms_of:
        sizes: list[int] = []
        for base, exp in factors:
            if not isinstance(numeric.get(base), int):
                return None
            sizes += [numeric[base]] * exp
        groups.setdefault(tuple(sorted(sizes)), [0, rest])[0] += coeff
    terms = []
    for key, (n, rest) in sorted(groups.items(), key=lambda g: (-len(g[0]), [-x for x in g[0][::-1]])):
        if not key:
            terms.append(p.number(n))
        else:
            body = p.expr(rest, numeric)
            terms.append(body if n == 1 else rf"{p.number(n)} \times {body}")
    return " + ".join(terms)


@functools.lru_cache(maxsize=1024, typed=True)
def _product_terms(formula) -> Optional[tuple[tuple[int, Any, tuple[tuple[Any, int], ...]], ...]]:
    """``formula`` expanded, each term as (positive integer coefficient, the rest, the rest's
    factors as (base, positive integer power)); None where a term is not of that form. Once per
    formula: the layers of a type share theirs."""
    out = []
    for term in sympy.Add.make_args(sympy.expand(formula)):
        coeff, rest = term.as_coeff_Mul()
        if not (coeff.is_Integer and coeff > 0):
            return None
        factors = []
        for factor in sympy.Mul.make_args(rest):
            if factor == 1:
                continue
            base, exp = factor.as_base_exp()
            if not (exp.is_Integer and exp > 0):
                return None
            factors.append((base, int(exp)))
        out.append((int(coeff), rest, tuple(factors)))
    return tuple(out)


def _input_groups(model, fmt) -> list[tuple[tuple[str, ...], str, bool]]:
    """The model's inputs as (names, shape, variable length): inputs of the same shape together
    (T5's input_ids and decoder_input_ids), said in one sentence where there are two."""
    groups: dict[tuple, list[str]] = {}
    for name, v in model.inputs.items():
        # a sequence of variable length (tokens, or vectors of width d): the length is None too
        groups.setdefault((tuple(v), len(v) <= 2 and bool(v) and v[0] is None), []).append(name)
    out: list[tuple[tuple[str, ...], str, bool]] = []
    for (_, variable), names in groups.items():
        shown = fmt.shape(model.inputs[names[0]])
        out += [((names[0], names[1]), shown, variable)] if len(names) == 2 else [((n,), shown, variable) for n in names]
    return out


def _summary_columns(d: Derivation, rows: list[Record], fmt: Formatter) -> dict[str, Any]:
    """What TeX measures to size the LaTeX summary's columns by their content (the template's
    ``\\xplmeasure``): each name's words and its pieces between dots, each type, name with its
    type, formula and formula piece between two break points (:func:`_term_breaks`), and every
    cell of the number and shape columns (which never break); ``fit``: each name word again, for
    the widest that fits beside the formula's widest piece where some name cannot. Each row gets ``name_cell`` (its
    name, breakable after . or / where it is wider than its column) and ``type_cell`` (its type in
    brackets): the name and its type share a line where the column allows, else the type starts a
    line of its own."""
    from .draw.labels import short
    from .i18n import translate

    def widest(length: str, texts: Iterable[str]) -> str:
        return "".join(rf"\xplmax{length}{{{t}}}" for t in dict.fromkeys(texts) if t)

    lines, names = [], []
    for r in rows:
        kind = latex_text(translate(fmt.lang, r["type_label"])) if r["type_label"] else fmt.cell_type(r["type"])
        # a long module path as the pictures shorten it (encoder.…relative_attention_bias, whole in
        # the layer-by-layer part): whole, it set the name column's width and squeezed the gaps to 1pt
        step = fmt.step(r["name"])  # a step of the forward pass: plain text, breaks at spaces
        name = step or latex_text(short(r["name"]) if "." in r["name"] else r["name"])
        font = "" if step else r"\texttt"
        # after a dot only where no space helps (T5's module paths)
        # (after an underscore only where not even that helps: MobileNetV2's names in French)
        r["name_cell"] = step or r"\texttt{" + compiled(_NAME_BREAKS).sub(r"\g<0>\\penalty5000{}", name).replace(
            r"\_", r"\_\penalty9000{}") + "}"
        r["type_cell"] = translate(fmt.lang, messages.TYPE_IN_BRACKETS) % {"kind": kind}
        # a sum of modules (transformer.wte + transformer.wpe) is one name: the column holds it whole
        words = name.split(" ") if step else re.split(r"(?<!\+) (?!\+)", name)
        names += [font + "{" + w + "}" for w in words]
        pieces = [] if step else [q for w in words for q in re.findall(r"(?:[^./\\]|\\[^_])+(?:[./]|\\_)?|[./]|\\_", w)]
        lines.append(widest(r"\xplN", (font + "{" + w + "}" for w in words))
                     + widest(r"\xplP", (r"\texttt{" + q + "}" for q in pieces))
                     + rf"\xplmax\xplT{{{r['type_cell']}}}\xplmax\xplO{{{font}{{{name}}}\ {r['type_cell']}}}")
        if r["formula"]:
            lines.append(rf"\xplmax\xplG{{{r['formula']}}}")
            pieces = compiled(_TERM_BREAK).split(r["formula"].strip("$"))
            # each piece as TeX sets it: a + ends every line but the last
            lines.append(widest(r"\xplF", ("$" + q + (r" + {}" if i < len(pieces) - 1 else "") + "$"
                                            for i, q in enumerate(pieces))))
    heads = [("params", "Parameters")] + ([("non_trainable", "Non-trainable")] if d.non_trainable else []) \
        + ([("buffers", "Buffers")] if d.buffers else []) + [("share", "Share"), ("shape", "Output shape")]
    for key, head in heads:
        # \xplS: the columns with the headings of the number columns stacked word by word, \xplC: on one line
        text = translate(fmt.lang, head)
        stack = head_lines(text) if key != "shape" else [text]
        lines.append(r"\setlength\xplX{0pt}" + widest(r"\xplX", [r[key] for r in rows] + stack)
                     + r"\addtolength\xplS{\xplX}" + widest(r"\xplX", [text]) + r"\addtolength\xplC{\xplX}")
    stacked = {key: r"\begin{tabular}[b]{@{}r@{}}" + r"\\".join(latex_text(w) for w in head_lines(translate(fmt.lang, head)))
               + r"\end{tabular}" for key, head in heads[:-1] if len(head_lines(translate(fmt.lang, head))) > 1}
    return {"measure": "%\n".join(lines), "columns": str(len(heads) + 2), "stacked": stacked,
            "fit": "".join(rf"\xplfit{{{w}}}" for w in dict.fromkeys(names))}


def head_lines(head: str) -> list[str]:
    """A column heading's lines where it is stacked word by word: "Nicht trainierbar" as "Nicht" over
    "trainierbar"; a word is never split, not even at its hyphen ("Non-" over "trainable" read as a
    hyphenated word: round 18, en); a short lowercase word (an article, a preposition) stays with the
    word after it: « Part » over « du total », not three lines."""
    lines: list[str] = []
    for w in head.split():
        if lines and re.fullmatch(r"[a-zà-ÿ]{1,3}", lines[-1].split(" ")[-1]):
            lines[-1] += " " + w
        else:
            lines.append(w)
    return lines


_TERM_BREAK = r" \+ (?:\\allowbreak|\\penalty\d+) "
"""A + where a summary cell's formula may break (:func:`_term_breaks`)."""


@functools.lru_cache(maxsize=4096)  # the table's rows repeat their formulas with the same numbers
def _term_breaks(tex: str) -> str:
    """``tex`` with a break point after each + between top-level terms and, at a high penalty,
    after each + directly inside a top-level bracket (BERT's 12 × (4 × 768² + …), where nothing
    else fits), the earlier the cheaper (the last line is never a lone ``3,072)``); a fraction's
    ``\\left(`` stays whole. The cell forbids every other break: a product or a deeper bracket
    ((32 + 32) × 2 × 16) never breaks."""
    if " + " not in tex:
        return tex
    deepest = 0 if r"\left" in tex or r"\frac" in tex else 1
    out, depth, inner, done = [], 0, 0, 0
    for m in _TERM_SCAN.finditer(tex):
        token = m.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth <= deepest:
            inner += depth
            out.append(tex[done:m.start()])
            out.append(r" + \allowbreak " if depth == 0 else rf" + \penalty{4000 + 500 * inner} ")
            done = m.end()
    out.append(tex[done:])
    return "".join(out)


_TERM_SCAN = re.compile(r"[()]| \+ ")


def _memory(mem: Memory, fmt: Formatter) -> dict[str, Any]:
    """The parameters' bytes, and in the decimal and binary unit a reader would pick."""
    p = fmt.math
    decimal, unit, ten, binary, b_unit, two = byte_sizes(mem.bytes, fmt.lang)
    return {
        "dtype": mem.dtype, "bytes_per": fmt.num(mem.bytes_per),
        # the unit (a translated word) replaces UNIT in the template: 6,029,097 × 4 bytes = …
        "equation": rf"{p.number(mem.count)} \times {p.number(mem.bytes_per)}\ UNIT = {p.number(mem.bytes)}\ UNIT",
        "bytes": fmt.num(mem.bytes), "large": mem.bytes >= 1024,
        "decimal": fmt.plain(decimal), "unit": fmt.plain(unit), "unit_bytes": _power(10, ten, fmt),
        "binary": fmt.plain(binary), "binary_unit": fmt.plain(b_unit),
        "binary_unit_bytes": _power(2, two, fmt), "keras": fmt.unbroken(keras_memory(mem.bytes)),
        **_keras_unit(mem.bytes, fmt),
    }


def _keras_unit(size_bytes: int, fmt: Formatter) -> dict[str, Any]:
    """The unit Keras's summary prints for ``size_bytes`` (KB, MB …: powers of 2¹⁰) with its
    bytes and its IEC name; no unit for a size in bytes (B)."""
    unit = keras_memory(size_bytes).split()[-1]
    step = MEMORY_UNITS.index(unit)
    if step == 0:
        return {"keras_unit": None}
    iec = unit[0] + "iB"
    return {"keras_unit": fmt.plain(unit), "keras_unit_bytes": _power(2, 10 * step, fmt),
            "keras_iec": fmt.plain(_BINARY_FR.get(iec, iec) if fmt.lang == "fr" else iec)}


def _power(base: int, exponent: int, fmt: Formatter) -> str:
    """10⁶ as text (Unicode superscripts; LaTeX's text escaping raises them)."""
    return fmt.plain(str(base) + str(exponent).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")))
def keras_memory(size_bytes: int) -> str:
    """What Keras's summary prints for ``size_bytes``, verbatim (its readable_memory_size: 1.90 KB)."""
    return memory(size_bytes, "en")


def _term_lines(p: MathPrinter, expr, values: dict, total: int) -> str:
    """The total term by term, one line each (term = its numbers = its value), then P: a long
    sum of large numbers is read line by line, and no number stands without its formula."""
    terms = sympy.Add.make_args(expr) if isinstance(expr, sympy.Basic) else (expr,)
    line = f"{P} = " + p.expr(expr, values) + " = " + p.number(total)
    if len(terms) < 2 or formula_width(line) <= DISPLAY_WIDTH:
        return line
    lines = []
    numbers: list[str] = []
    for t in (ordered_terms(expr) if isinstance(expr, sympy.Add) else terms):
        n = t.xreplace({s: sympy.Integer(v) for s, v in values.items() if isinstance(v, int)})
        line = p.expr(t) + " &= " + p.expr(t, values)
        if isinstance(n, sympy.Integer) or getattr(n, "is_Integer", False):
            number = p.number(int(n))
            numbers.append(number)
            if number != p.expr(t, values):
                line += " = " + number
        lines.append(line)
    if len(numbers) == len(lines):  # the sum of the terms' values, then the total
        head = line = f"{P} &= "
        for i, number in enumerate(numbers):
            term = number if i == 0 else " + " + number
            if line not in (head, "&\\quad ") and formula_width(line + term) > DISPLAY_WIDTH:
                lines.append(line.rstrip())
                line, term = "&\\quad ", "+ " + number
            line += term
        lines.append(line.rstrip())
        lines.append("&= " + p.number(total))
    else:
        lines.append(f"{P} &= " + p.number(total))
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _merged(formula, values: dict):
    """``formula`` with ``values`` put in and expanded, where a value is written in another of the
    formula's symbols (GPT-2's f = 4d: 4d² + 2d·f + 9d + f = 12d² + 13d); else None."""
    if not isinstance(formula, sympy.Basic):
        return None
    try:
        return _merged_once(formula, frozenset(values.items()))
    except TypeError:  # an unhashable value: without the cache
        return _merged_of(formula, values)


@functools.lru_cache(maxsize=4096)
def _merged_once(formula: sympy.Basic, values: frozenset):
    """:func:`_merged` once per formula and values (a model repeats its layers' formulas)."""
    return _merged_of(formula, dict(values))


def _merged_of(formula: sympy.Basic, values: dict):
    kept = formula.free_symbols - values.keys()
    if not any(getattr(v, "free_symbols", set()) & kept for x, v in values.items() if x in formula.free_symbols):
        return None
    return expand_bounded(formula.xreplace({x: to_expr(v) for x, v in values.items()}))


def _paren(tex: str) -> str:
    if tex.replace("{", "").replace("}", "").replace(",", "").replace(".", "").replace("\\", "").isdigit():
        return tex
    return rf"\left({tex}\right)" if tall_tex(tex) else f"({tex})"


def _small(expr) -> bool:
    return not any(isinstance(a, (sympy.floor, sympy.ceiling)) for a in sympy.preorder_traversal(expr))

