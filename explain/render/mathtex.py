"""The one formula printer: sympy's ``LatexPrinter`` with the project's settings, for every format.

- Numbers carry the locale's group separator (``6{.}029{.}097`` in German math, ``6.029.097`` in
  plain text); multiplication is ``\\cdot`` between symbols and ``\\times`` between plain numbers;
  a number before a symbol is written next to it (``2p``, ``4C``).
- Symbols follow the one symbol table (``explain/notation.py``): ``c_in`` → ``c_{\\text{in}}``.
- ``values`` substitutes symbols at print time (``k_h`` → ``3``), keeping the formula's structure:
  the formula, then the same formula with the numbers.
- ``plain=True`` prints for terminals: ``k_h·k_w·c_in·c_out``, ``⌊(n + 2p - k)/s⌋ + 1``.
- ``order="none"`` keeps the order a formula was written in (unevaluated sums, as the window
  rules are); substituted values are printed in the default order.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Mapping, Optional

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import sstr

from ..notation import TEX, symbol_order
from ..symbols import Value, to_expr
from .escape import LATEX_SPECIALS
from .numbers import decimal_symbol, format_int, group_separator

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "lambda", "mu", "sigma", "theta", "tau",
          "phi", "psi", "omega", "rho", "eta", "kappa", "nu", "xi", "zeta", "chi", "pi"}
_GREEK_LETTERS = dict(zip("αβγδεζηθικλμνξπρστυφχψω",
                          ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
                           "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon",
                           "phi", "chi", "psi", "omega")))

ADD, MUL, POW, ATOM = 1, 2, 3, 4
"""Binding strength of what a node prints as (a sum binds weakest)."""

_MATH_SEPARATORS = {".": "{.}", ",": "{,}", "\u202f": r"\,", "\u00a0": r"\,", " ": r"\,", "'": "'", "": ""}


def text_in_math(text: str) -> str:
    """``\\text{…}`` showing ``text`` literally (LaTeX specials escaped), for math and KaTeX."""
    return r"\text{" + "".join(LATEX_SPECIALS.get(c, c) for c in text) + "}"


def symbol_tex(name: str) -> str:
    """``c_in`` → ``c_{\\text{in}}``; ``k_h`` → ``k_{h}``; ``F`` → ``F``; ``alpha`` → ``\\alpha``."""
    if name in TEX:
        return TEX[name]
    base, _, sub = name.partition("_")
    if base in _GREEK_LETTERS:
        base = _GREEK_LETTERS[base]
    if base in _GREEK:
        head = "\\" + base
    elif len(base) == 1 and base.isascii() and base.isalpha():
        head = base
    elif all(c.isascii() for c in base):
        head = r"\mathit{" + "".join(LATEX_SPECIALS.get(c, c) for c in base) + "}"
    else:  # letters the math fonts lack: as text
        head = text_in_math(base)
    if not sub:
        return head
    if len(sub) == 1 and sub.isascii() and sub.isalnum():
        return f"{head}_{{{sub}}}"
    word, _, index = sub.rpartition("_")
    if word and len(index) <= 2 and index.isascii() and index.isalnum():  # n_in_2 → n_{in,2}
        return head + "_{" + text_in_math(word) + "," + index + "}"
    return head + "_{" + text_in_math(sub) + "}"


_TALL = (r"\frac", r"\left", r"\sum", r"\prod", r"\sqrt", r"\binom")


def tall_tex(tex: str) -> bool:
    """Whether ``tex`` is taller than a line of text (brackets around it must grow)."""
    return any(t in tex for t in _TALL)


_VARIANTS: dict[tuple, "FormulaPrinter"] = {}
"""Printers without values by their settings (a few per language and mode)."""


class FormulaPrinter(LatexPrinter):
    """sympy's LaTeX printer with locale integers, the symbol table, print-time substitution and a
    plain-text mode. Every ``_print_X`` returns text; :meth:`prec` says how strongly it binds."""

    printmethod = "_explain_formula"
    _default_settings: dict[str, Any] = {
        **LatexPrinter._default_settings, "mul_symbol": "dot", "lang": "en", "plain": False,
        "values": None, "number_times": r" \times ", "inline_fractions": False,
    }

    def __init__(self, settings: Optional[dict] = None) -> None:
        self._given = dict(settings or {})
        self._asked: dict[tuple[str, Optional[str]], FormulaPrinter] = {}
        super().__init__(settings)
        s = self._settings
        self.lang: str = s["lang"]
        self.plain: bool = s["plain"]
        self.values: Mapping = s["values"] or {}
        sep = group_separator(self.lang)
        self._sep = sep if self.plain else _MATH_SEPARATORS.get(sep, "{" + sep + "}")
        if self.plain:
            self._times = self._cdot = "·"
        else:
            self._times, self._cdot = s["number_times"], s["mul_symbol_latex"]

    def with_values(self, values: Optional[Mapping]) -> "FormulaPrinter":
        """The same printer substituting ``values`` (None: none)."""
        if values is None:  # asked for every substituted symbol: made once
            return self._variant("values", None)
        return type(self)({**self._given, "values": values})

    def in_order(self, order: Optional[str]) -> "FormulaPrinter":
        return self._variant("order", order)

    def _variant(self, setting: str, value: Optional[str]) -> "FormulaPrinter":
        """The same printer with one setting changed, made once per settings (LatexPrinter's
        set-up is slow, and every substituted symbol asks for the printer without values); each
        printer keeps the variants it has asked for (the settings' key is built once)."""
        asked = self._asked.get((setting, value))
        if asked is not None:
            return asked
        given = {**self._given, setting: value}
        try:
            key = (type(self), frozenset(given.items()))
            found = _VARIANTS.get(key)
        except TypeError:  # substituting values (a dict): not shared
            return type(self)(given)
        if found is None:
            found = _VARIANTS[key] = type(self)(given)
        self._asked[(setting, value)] = found
        return found

    # -- pieces that differ between LaTeX and plain text
    def paren(self, text: str) -> str:
        """Brackets; sized (``\\left( … \\right)``) only around tall material (a fraction) in a
        display formula: ``\\left`` adds space before the bracket, so ``4h(i + h)`` is plain."""
        if self.plain or self._settings["inline_fractions"] or not tall_tex(text):
            return f"({text})"
        return rf"\left({text}\right)"

    def frac(self, num: str, den: str, num_prec: int = ATOM, den_prec: int = ATOM) -> str:
        if not self.plain and not self._settings["inline_fractions"]:
            return rf"\frac{{{num}}}{{{den}}}"
        bare = num_prec > MUL or re.fullmatch(r"[\d{},.\\ ]+", num)  # a number needs no brackets
        return (num if bare else f"({num})") + "/" + (den if den_prec >= ATOM else f"({den})")

    def number(self, n: int) -> str:
        text = format_int(abs(n), self.lang)
        sep = group_separator(self.lang)
        if sep and sep != self._sep:
            text = text.replace(sep, self._sep)
        return ("-" if n < 0 else "") + text

    # -- precedence
    def prec(self, e: sympy.Basic) -> int:
        """How strongly ``e`` binds as printed (``ATOM`` never needs brackets)."""
        if e.is_Integer:
            return ATOM if e.p >= 0 else ADD
        if e.is_Rational:
            return ATOM if e.p > 0 and not self.plain else (ADD if e.p < 0 else MUL)
        if e.is_Symbol:
            if e in self.values:
                inner = _basic(self.values[e])
                p = self.with_values(None).prec(inner)
                if not (inner.is_Integer and int(inner) >= 0) and not inner.is_Symbol:
                    if p == ATOM and inner.is_Mul and not self._settings["inline_fractions"]:
                        return p  # a displayed fraction (d_h = d/H): 4H·d·\frac{d}{H}, no brackets
                    return min(p, MUL - 1)  # a substituted expression: bracketed in products
                return p
            return ATOM
        if e.is_Add:
            return ADD
        if e.is_Mul:
            coeff, rest = e.as_coeff_Mul()
            if coeff.is_negative:
                return ADD
            num, den = self._split(e)
            if den:
                return MUL if self.plain else ATOM
            return self.prec(num[0]) if len(num) == 1 else MUL
        if e.is_Pow:
            return ATOM if e.args[1] == -1 and not self.plain else POW
        if isinstance(e, (sympy.floor, sympy.ceiling, sympy.Max, sympy.Min)):
            return ATOM
        if isinstance(e, sympy.Mod):
            return MUL
        return ADD

    def wrap(self, e: sympy.Basic, need: int) -> str:
        text = self._print(e)
        return self.paren(text) if self.prec(e) < need else text

    # -- atoms
    def _print_Integer(self, e: sympy.Integer) -> str:
        return self.number(int(e))

    def _print_Rational(self, e: sympy.Rational) -> str:
        text = self.frac(self.number(abs(int(e.p))), self.number(int(e.q)))
        return "-" + text if e.p < 0 else text

    def _print_Symbol(self, e: sympy.Symbol, style: str = "plain") -> str:
        if e in self.values:
            return self.with_values(None).in_order(None)._print(_basic(self.values[e]))
        if self.plain:
            return e.name
        names = self._settings["symbol_names"]
        return names[e] if e in names else symbol_tex(e.name)

    _print_Dummy = _print_Symbol

    # -- sums and products
    def _print_Add(self, e: sympy.Add, order: Optional[str] = None) -> str:
        terms = list(e.args) if self._settings["order"] == "none" else ordered_terms(e)
        out = []
        for i, t in enumerate(terms):
            negative = t.could_extract_minus_sign()
            body = -t if negative else t
            text = self.wrap(body, ADD + 1) if negative or body.is_Add else self._print(body)
            if i == 0:
                out.append(("-" if negative else "") + text)
            else:
                out.append((" - " if negative else " + ") + text)
        return "".join(out)

    def _split(self, e: sympy.Mul) -> tuple[list, list]:
        """(numerator factors, denominator factors) of a product, the coefficient first."""
        coeff, rest = e.as_coeff_Mul()
        num, den = [], []
        args = e.args if self._settings["order"] == "none" else sympy.Mul.make_args(rest)
        for f in args:
            if f.is_Number and self._settings["order"] == "none":
                continue
            if f.is_Pow and f.args[1].is_Integer and int(f.args[1]) < 0:
                den.append(f.args[0] if f.args[1] == -1 else sympy.Pow(f.args[0], -f.args[1]))
            else:
                num.append(f)
        if coeff.is_Rational and not coeff.is_Integer:
            if coeff.p != 1:
                num.insert(0, sympy.Integer(coeff.p))
            den.insert(0, sympy.Integer(coeff.q))
        elif coeff != 1:
            num.insert(0, coeff)
        if self._settings["order"] != "none":
            num.sort(key=lambda f: (0, 0, "") if f.is_Number else
                     (1, *symbol_order(f)) if f.is_Symbol else (2, 0, ""))
        return num, den

    def _print_Mul(self, e: sympy.Mul) -> str:
        coeff, _ = e.as_coeff_Mul()
        if coeff.is_negative:
            return "-" + self._print(-e)
        num, den = self._split(e)
        numerator = self.product(num) if num else self.number(1)
        if not den:
            return numerator
        num_prec = self.prec(num[0]) if len(num) == 1 else MUL
        den_prec = self.prec(den[0]) if len(den) == 1 else MUL
        return self.frac(numerator, self.product(den), num_prec, den_prec)

    def product(self, factors) -> str:
        """Factors joined by × (all plain numbers) or · ; a number before a symbol: ``2p``."""
        factors = [_basic(f) for f in factors]
        if len(factors) == 1:
            return self._print(factors[0])
        parts = [self.wrap(f, MUL) if not f.is_Add else self.paren(self._print(f)) for f in factors]
        if all(self._is_plain(f) for f in factors):
            return self._times.join(parts)
        out = parts[0]
        for f, g, text in zip(factors, factors[1:], parts[1:]):
            out += ("" if self._juxtaposed(f, g) else self._cdot) + text
        return out

    def _juxtaposed(self, f: sympy.Basic, g: sympy.Basic) -> bool:
        """``2p``: an integer written before a symbol (or its power) that is not substituted; in a
        formula printed as written (``order="none"``), ``3h(i + h)``: a bracketed sum after a
        number or symbol."""
        if self._settings["order"] == "none" and g.is_Add and not self._is_plain(g) and (
                (f.is_Integer and f.p > 0) or (f.is_Symbol and f not in self.values)):
            return True
        if not (f.is_Integer and f.p > 0):
            return False
        base = g.args[0] if g.is_Pow else g
        if not base.is_Symbol or base in self.values:
            return False
        return not self.plain or len(base.name) == 1

    def _is_plain(self, f: sympy.Basic) -> bool:
        """A factor that prints as numbers only (an integer, symbols substituted by integers)."""
        if f.is_Integer:
            return True
        free = f.free_symbols
        if f.is_Pow and not f.args[1].is_Integer:
            return False
        return bool(free) and all(x in self.values and _basic(self.values[x]).is_Integer for x in free)

    def _print_Pow(self, e: sympy.Pow, rational: bool = False) -> str:
        base, exp = e.args
        if exp == -1:
            return self.frac(self.number(1), self._print(base), ATOM, self.prec(base))
        b = self.wrap(base, POW + 1)
        return f"{b}^{self._print(exp)}" if self.plain and exp.is_Integer else f"{b}^{{{self._print(exp)}}}"

    # -- rounding, extremes, remainders
    def _print_floor(self, e: sympy.floor, exp: Any = None) -> str:
        inner = self._print(e.args[0])
        if self.plain:
            return f"⌊{inner}⌋"
        if self._settings["inline_fractions"]:  # in a line of text: brackets of the text's height
            return rf"\lfloor {inner} \rfloor"
        return rf"\left\lfloor {inner} \right\rfloor"

    def _print_ceiling(self, e: sympy.ceiling, exp: Any = None) -> str:
        inner = self._print(e.args[0])
        if self.plain:
            return f"⌈{inner}⌉"
        if self._settings["inline_fractions"]:
            return rf"\lceil {inner} \rceil"
        return rf"\left\lceil {inner} \right\rceil"

    def _print_Max(self, e: sympy.Basic, exp: Any = None) -> str:
        return self._extreme("max", e)

    def _print_Min(self, e: sympy.Basic, exp: Any = None) -> str:
        return self._extreme("min", e)

    def _extreme(self, name: str, e: sympy.Basic) -> str:
        # max(k − s, 0), not max(0, k − s); the longer argument first; where the comma is the
        # decimal sign (de, fr, es) the arguments are separated by a semicolon: max(… − 224; 0), not 224, 0
        args = sorted(e.args, key=lambda a: (a.is_number, -sympy.count_ops(a, visual=False)))
        text = ("; " if decimal_symbol(self.lang) == "," else ", ").join(self._print(a) for a in args)
        if self.plain:
            return f"{name}({text})"
        return rf"\{name}({text})" if self._settings["inline_fractions"] or not tall_tex(text) else rf"\{name}\left({text}\right)"

    def _print_Mod(self, e: sympy.Mod, exp: Any = None) -> str:
        a, b = (self.wrap(x, MUL + 1) for x in e.args)
        return f"{a} mod {b}" if self.plain else rf"{a} \bmod {b}"

    def emptyPrinter(self, e: Any) -> str:
        return sstr(e) if self.plain else super().emptyPrinter(e)

    def doprint(self, e: Any) -> str:
        if self.plain and not isinstance(e, sympy.Basic):
            return str(e)
        return super().doprint(e)


@lru_cache(maxsize=4096)
def ordered_terms(e: sympy.Add) -> tuple:
    """sympy's order of a sum's terms, found once per sum (a formula is printed with the numbers
    of every layer of its type)."""
    return tuple(e.as_ordered_terms())


def _basic(v: Any) -> sympy.Basic:
    """``v`` (a size: an int or an expression; a float for a figure such as a memory size) as a
    sympy object, never through sympy's parser: text is refused."""
    return sympy.Float(v) if isinstance(v, float) else to_expr(v)


class MathPrinter:
    """The printer for one locale and mode, with a cache: a model repeats its formulas."""

    def __init__(self, lang: str, plain: bool = False, inline: bool = False) -> None:
        """``inline``: for formulas in a line of text (fractions as n/s, brackets unsized)."""
        self.lang = lang
        self.plain = plain
        self.inline = inline
        self._printer = FormulaPrinter({"lang": lang, "plain": plain, "inline_fractions": inline})
        self._cache: dict = {}
        self._free: dict = {}

    def number(self, n: int) -> str:
        return self._printer.number(n)

    def expr(self, e: Any, subs: Optional[Mapping[sympy.Symbol, Value]] = None,
             order: Optional[str] = None) -> str:
        """``e`` printed; with ``subs``, its symbols replaced by their values in place;
        ``order="none"``: sums in the order they were written."""
        try:
            # only the values of the formula's own symbols change what is printed: a layer's
            # other sizes (its input's height, say) would make every layer a new key
            if subs:
                free = self._free.get(e)
                if free is None:
                    free = self._free[e] = _basic(e).free_symbols
                subs = {x: v for x, v in subs.items() if x in free}
            key = (e, frozenset(subs.items()) if subs else None, order)
            return self._cache[key]
        except KeyError:
            pass
        except TypeError:  # unhashable: print without the cache
            key = None
        if not subs and (type(e) is int or isinstance(e, sympy.Integer)):
            text = self.number(int(e))  # as _print_Integer writes it
        elif subs and key is not None and all(_whole(v) for v in subs.values()):
            text = self._filled(e, subs, order)
        else:
            text = self.printed(e, subs, order)
        if key is not None:
            self._cache[key] = text
        return text

    def printed(self, e: Any, subs: Optional[Mapping[sympy.Symbol, Value]] = None,
                order: Optional[str] = None) -> str:
        """``e`` printed by sympy's printer, without the cache and without :meth:`_filled`."""
        printer = self._printer
        if subs or order:
            printer = FormulaPrinter({"lang": self.lang, "plain": self.plain, "values": subs or None,
                                      "order": order, "inline_fractions": self.inline})
        return printer.doprint(_basic(e))

    def _filled(self, e: Any, subs: Mapping[sympy.Symbol, Value], order: Optional[str]) -> str:
        """``e`` with whole numbers ≥ 0 for its symbols: printed once per formula and set of
        substituted symbols with stand-ins, which the numbers then replace (a formula's layers
        differ only in their numbers: the 75 formulas with numbers of ResNet-152's derivation are 11 printed ones). A
        whole number ≥ 0 binds as tightly as any other and is never written next to a symbol,
        so the text around it does not depend on its value; a formula holding anything but
        sums, products, powers, rounding, extremes and remainders is printed as it is."""
        skey = ("filled", e, frozenset(subs), order)
        if skey not in self._cache:
            self._cache[skey] = self._skeleton(_basic(e), list(subs), order)
        found = self._cache[skey]
        if not found:
            return self.printed(e, subs, order)
        texts, symbols = found
        out = [texts[0]]
        for x, text in zip(symbols, texts[1:]):
            out.append(self.number(int(subs[x])))
            out.append(text)
        return "".join(out)

    def _skeleton(self, e: sympy.Basic, symbols: list, order: Optional[str]) -> "tuple[list[str], list] | None":
        """(the text between the stand-ins, the symbol each stand-in is), or None for a formula
        :meth:`_filled` leaves to sympy's printer."""
        for a in sympy.preorder_traversal(e):
            if not isinstance(a, _FILLABLE) or (a.is_Rational and max(abs(a.p), a.q) >= _MARK):
                return None
        printer = _MarkingPrinter({"lang": self.lang, "plain": self.plain, "order": order,
                                   "inline_fractions": self.inline,
                                   "values": {x: sympy.Integer(_MARK + i) for i, x in enumerate(symbols)}})
        parts = printer.doprint(e).split(_MARKER)
        return parts[::2], [symbols[int(i)] for i in parts[1::2]]

    def product(self, factors) -> str:
        return self._printer.product(factors)

    def written(self, e: Any) -> str:
        """``e`` as written (``order="none"``), fractions inline (``1/(1 - r)``): a formula inside
        a sentence."""
        key = ("written", e)
        if key not in self._cache:
            printer = FormulaPrinter({"lang": self.lang, "plain": self.plain, "order": "none",
                                      "inline_fractions": True})
            self._cache[key] = printer.doprint(_basic(e))
        return self._cache[key]


_MARK = 10 ** 60
"""Substituted numbers from here on are stand-ins (:meth:`MathPrinter._filled`)."""
_MARKER = "\x00"
_FILLABLE = (sympy.Add, sympy.Mul, sympy.Pow, sympy.Symbol, sympy.Rational, sympy.floor, sympy.ceiling,
             sympy.Max, sympy.Min, sympy.Mod)
"""What :meth:`MathPrinter._filled` prints with stand-ins: the nodes this module prints itself."""


def _whole(v: Any) -> bool:
    """A whole number ≥ 0 (an int or a sympy Integer), not a bool."""
    return (type(v) is int or isinstance(v, sympy.Integer)) and v >= 0


class _MarkingPrinter(FormulaPrinter):
    """The formula printer writing a stand-in number (from :data:`_MARK` on) as its marker."""

    def number(self, n: int) -> str:
        if n >= _MARK:
            return f"{_MARKER}{n - _MARK}{_MARKER}"
        return super().number(n)


def formula_text(expr: Any, values: Optional[Mapping] = None, lang: str = "en") -> str:
    """``expr`` for a terminal (``k_h·k_w·c_in·c_out``); with ``values``, the numbers in place."""
    return MathPrinter(lang, plain=True).expr(expr, values)
