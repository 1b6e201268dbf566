"""The arithmetic of hand calculations: a tokenizer and a recursive-descent parser.

Accepts whole numbers (with locale thousands separators: ``6,029,097``, ``6.029.097``,
``6 029 097`` with normal, no-break or narrow no-break spaces, ``6'029'097``), the products
``x × * · ⋅ \\cdot \\times``, ``+ -``, parentheses (and LaTeX braces), powers ``^ **``.
Nothing else: the text never reaches eval, exec or sympy. Results are exact Python ints.

Grammar::

    expr   := term (('+' | '-') term)*
    term   := unary (('*') unary)*
    unary  := ('-' | '+') unary | power
    power  := atom (('^' | '**') unary)?
    atom   := NUMBER | '(' expr ')'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Union

MAX_LENGTH = 400
MAX_TOKENS = 200
MAX_DEPTH = 40
MAX_EXPONENT = 64
MAX_BITS = 4096

SPACES = " \u00a0\u202f\u2009"
"""Spaces that may separate thousands: normal, no-break, narrow no-break, thin."""
_GROUP_SEPARATORS = ",.'\u2019" + SPACES
_TIMES = {"x", "X", "×", "*", "·", "⋅", "∙", "•"}
_LATEX = {"\\cdot": "*", "\\times": "*", "\\left": "", "\\right": "", "\\,": "", "\\;": "", "\\!": ""}


class ArithError(ValueError):
    """The text is not arithmetic this parser reads; the message says where and why."""


# ----------------------------------------------------------------------------- the tree

@dataclass(frozen=True)
class Num:
    value: int
    text: str

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Neg:
    operand: "Expr"

    def __str__(self) -> str:
        return f"-{_wrap(self.operand, 3)}"


@dataclass(frozen=True)
class BinOp:
    op: str  # '+', '-', '*', '^'
    left: "Expr"
    right: "Expr"

    def __str__(self) -> str:
        p = _PRECEDENCE[self.op]
        if self.op == "^":
            return f"{_wrap(self.left, p + 1)}**{_wrap(self.right, p)}"
        right = _wrap(self.right, p + (1 if self.op == "-" else 0))
        if self.op == "*":
            return f"{_wrap(self.left, p)}*{right}"
        return f"{_wrap(self.left, p)} {self.op} {right}"


Expr = Union[Num, Neg, BinOp]
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "^": 4}


def _precedence(e: Expr) -> int:
    if isinstance(e, BinOp):
        return _PRECEDENCE[e.op]
    return 3 if isinstance(e, Neg) else 5


def _wrap(e: Expr, minimum: int) -> str:
    return f"({e})" if _precedence(e) < minimum else str(e)


def evaluate(e: Expr) -> int:
    """The exact value of a tree (its nodes were checked for size while parsing)."""
    if isinstance(e, Num):
        return e.value
    if isinstance(e, Neg):
        return -evaluate(e.operand)
    a, b = evaluate(e.left), evaluate(e.right)
    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "^": lambda: a ** b}[e.op]()


def terms(e: Expr) -> list[Expr]:
    """The top-level addends (a subtracted term comes back wrapped in :class:`Neg`)."""
    if isinstance(e, BinOp) and e.op in "+-":
        right = e.right if e.op == "+" else Neg(e.right)
        return terms(e.left) + [right]
    return [e]


def factors(e: Expr) -> list[Expr]:
    """The factors of a product (one factor for anything else)."""
    if isinstance(e, BinOp) and e.op == "*":
        return factors(e.left) + factors(e.right)
    return [e]


def term_values(e: Expr) -> list[int]:
    """The value of each top-level term: ``512*128 + 512`` → [65536, 512]."""
    return [evaluate(t) for t in terms(e)]


def numbers(e: Expr) -> Iterator[int]:
    """Every number written in the expression, left to right."""
    if isinstance(e, Num):
        yield e.value
    elif isinstance(e, Neg):
        yield from numbers(e.operand)
    else:
        yield from numbers(e.left)
        yield from numbers(e.right)


# ----------------------------------------------------------------------------- tokens

@dataclass(frozen=True)
class Token:
    kind: str  # 'num', 'op', '(', ')', 'end'
    text: str
    pos: int
    value: int = 0


def _number(text: str, i: int) -> tuple[int, str, int]:
    """A number at ``text[i]``: (value, its text, the index after it).

    Separators must be one kind within a number and separate groups of exactly three digits,
    after a first group of one to three: ``6.029.097`` is 6029097, ``6.5`` is refused.
    """
    j = i
    while j < len(text) and text[j].isdigit() and text[j].isascii():
        j += 1
    digits = [text[i:j]]
    sep: str | None = None
    while j < len(text) and text[j] in _GROUP_SEPARATORS:
        s = text[j]
        group = text[j + 1:j + 4]
        after = text[j + 4:j + 5]
        if not (len(group) == 3 and group.isdigit() and group.isascii()) or (after.isdigit() and after.isascii()):
            if s in SPACES:
                break  # a space before something that is not a 3-digit group ends the number
            if s in ".," and group[:1].isdigit():
                raise ArithError(f"'{text[i:j + 1 + len(group.rstrip())]}…' at position {i + 1} is not a "
                                 f"whole number (thousands come in groups of three digits)")
            break
        if sep is not None and _kind(s) != sep:
            raise ArithError(f"the number at position {i + 1} mixes thousands separators")
        if len(digits) == 1 and len(digits[0]) > 3:
            raise ArithError(f"the number at position {i + 1} has a first group of more than three digits "
                             f"before a thousands separator")
        sep = _kind(s)
        digits.append(group)
        j += 4
    raw = "".join(digits)
    if len(raw) > MAX_BITS // 3:
        raise ArithError(f"the number at position {i + 1} is too long")
    return int(raw), text[i:j], j


def _kind(sep: str) -> str:
    return " " if sep in SPACES else ("'" if sep in "'\u2019" else sep)


_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
"""Exponents written as superscripts (768², 10⁶)."""
_SUPERSCRIPT_DIGITS = str.maketrans(_SUPERSCRIPTS, "0123456789")


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ArithError(f"longer than {MAX_LENGTH} characters")
    out: list[Token] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c in SPACES or c in "\t":
            i += 1
            continue
        if c in _SUPERSCRIPTS:  # 768² is 768^2
            j = i
            while j < len(text) and text[j] in _SUPERSCRIPTS:
                j += 1
            if j - i > 2:
                raise ArithError(f"the exponent at position {i + 1} is too large")
            exponent = text[i:j].translate(_SUPERSCRIPT_DIGITS)
            out.append(Token("op", "^", i))
            out.append(Token("num", exponent, i, int(exponent)))
            i = j
        elif c.isdigit():
            if not c.isascii():
                raise ArithError(f"unexpected character {c!r} at position {i + 1}")
            value, raw, i2 = _number(text, i)
            out.append(Token("num", raw, i, value))
            i = i2
        elif c == "\\":
            for cmd, op in _LATEX.items():
                if text.startswith(cmd, i) and not text[i + len(cmd):i + len(cmd) + 1].isalpha():
                    if op:
                        out.append(Token("op", op, i))
                    i += len(cmd)
                    break
            else:
                raise ArithError(f"unknown command at position {i + 1}: only \\cdot and \\times are read")
        elif text.startswith("**", i):
            out.append(Token("op", "^", i))
            i += 2
        elif c == "^":
            out.append(Token("op", "^", i))
            i += 1
        elif c in _TIMES:
            out.append(Token("op", "*", i))
            i += 1
        elif c in "+-−–":
            out.append(Token("op", "-" if c != "+" else "+", i))
            i += 1
        elif c in "({[":
            out.append(Token("(", c, i))
            i += 1
        elif c in ")}]":
            out.append(Token(")", c, i))
            i += 1
        else:
            raise ArithError(f"unexpected character {c!r} at position {i + 1}; only whole numbers, "
                             f"x × * · + - ( ) ^ ² are allowed")
        if len(out) > MAX_TOKENS:
            raise ArithError(f"more than {MAX_TOKENS} numbers and operators")
    out.append(Token("end", "", len(text)))
    return out


# ----------------------------------------------------------------------------- the parser

class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def fail(self, expected: str) -> ArithError:
        t = self.peek
        what = "the end" if t.kind == "end" else f"'{t.text}' at position {t.pos + 1}"
        return ArithError(f"expected {expected} but found {what}")

    def parse(self) -> Expr:
        if self.peek.kind == "end":
            raise ArithError("empty: expected a number or a formula")
        e = self.expr()
        if self.peek.kind != "end":
            raise self.fail("an operator")
        return e

    def nested(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ArithError(f"nested more than {MAX_DEPTH} levels deep")

    def expr(self) -> Expr:
        e = self.term()
        while self.peek.kind == "op" and self.peek.text in "+-":
            op = self.take().text
            e = _checked(BinOp(op, e, self.term()))
        return e

    def term(self) -> Expr:
        e = self.unary()
        while self.peek.kind == "op" and self.peek.text == "*":
            self.take()
            e = _checked(BinOp("*", e, self.unary()))
        return e

    def unary(self) -> Expr:
        if self.peek.kind == "op" and self.peek.text in "+-":
            op = self.take().text
            self.nested()
            inner = self.unary()
            self.depth -= 1
            return Neg(inner) if op == "-" else inner
        return self.power()

    def power(self) -> Expr:
        base = self.atom()
        if self.peek.kind == "op" and self.peek.text == "^":
            self.take()
            self.nested()
            exponent = self.unary()
            self.depth -= 1
            n = evaluate(exponent)
            if not 0 <= n <= MAX_EXPONENT:
                raise ArithError(f"exponents must be whole numbers from 0 to {MAX_EXPONENT}. Received: {n}")
            return _checked(BinOp("^", base, exponent))
        return base

    def atom(self) -> Expr:
        t = self.peek
        if t.kind == "num":
            self.take()
            return Num(t.value, t.text)
        if t.kind == "(":
            self.take()
            self.nested()
            e = self.expr()
            self.depth -= 1
            if self.peek.kind != ")":
                raise self.fail("a closing parenthesis")
            self.take()
            return e
        raise self.fail("a number or '('")


def _checked(e: BinOp) -> BinOp:
    if abs(evaluate(e)).bit_length() > MAX_BITS:
        raise ArithError("the number is too large")
    return e


def parse(text: str) -> Expr:
    """The expression tree of ``text`` (raises :class:`ArithError`)."""
    return _Parser(text).parse()


@dataclass(frozen=True)
class Work:
    """A claim's text split at '=': the formula (if any) and the stated result (if any)."""

    formula: Expr | None
    result: Expr | None
    steps: tuple[Expr, ...] = ()
    """Intermediate expressions between the formula and the result (``a = b = c``)."""

    @property
    def formula_value(self) -> int | None:
        return None if self.formula is None else evaluate(self.formula)

    @property
    def result_value(self) -> int | None:
        return None if self.result is None else evaluate(self.result)

    def normalized(self) -> str:
        """The claim with ``*`` for every product and plain numbers: ``512*128 + 512 = 65664``."""
        parts = [str(p) for p in (self.formula, *self.steps, self.result) if p is not None]
        if self.formula is None and self.result is not None:
            return str(self.result)
        return " = ".join(parts)


def parse_work(text: str) -> Work:
    """``formula = result``; either side may be missing; a lone number is a result.

    ``a = b = c`` keeps ``a`` as the formula and ``c`` as the result.
    """
    if len(text) > MAX_LENGTH:
        raise ArithError(f"longer than {MAX_LENGTH} characters")
    sides = [s.strip() for s in text.split("=")]
    if len(sides) > 8:
        raise ArithError("too many '=' signs")
    if len(sides) == 2 and not sides[0]:
        sides = sides[1:]
    elif len(sides) == 2 and not sides[1]:
        return Work(_side(sides[0], "the formula"), None)
    names = ([""] if len(sides) == 1 else
             ["the formula"] + [f"step {n}" for n in range(2, len(sides))] + ["the result"])
    trees = [_side(s, what) for s, what in zip(sides, names)]
    if len(trees) == 1:
        tree = trees[0]
        return Work(None, tree) if isinstance(tree, Num) else Work(tree, None)
    return Work(trees[0], trees[-1], tuple(trees[1:-1]))


def _side(text: str, what: str) -> Expr:
    try:
        return parse(text)
    except ArithError as e:
        raise ArithError(f"{what}: {e}" if what else str(e)) from None
