"""Formulas as LaTeX math (for LaTeX documents and for KaTeX/MathJax in Markdown).

Numbers carry the locale's group separator as math-safe LaTeX (``6{.}029{.}097`` in German,
``6\\,029\\,097`` in French); multiplication is ``\\cdot`` in formulas and ``\\times`` between plain
numbers; symbols follow the glossary's notation (``c_{\\text{in}}``).
"""
from __future__ import annotations

from typing import Mapping, Optional

import sympy

from ..symbols import Value
from .numbers import group_separator

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "lambda", "mu", "sigma", "theta", "tau",
          "phi", "psi", "omega", "rho", "eta", "kappa", "nu", "xi", "zeta", "chi", "pi"}

ADD, MUL, POW, ATOM = 1, 2, 3, 4

_SPECIALS = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
             "%": r"\%", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
             "<": r"\textless{}", ">": r"\textgreater{}"}


def text_in_math(text: str) -> str:
    """``\\text{…}`` showing ``text`` literally (LaTeX specials escaped), for math and KaTeX."""
    return r"\text{" + "".join(_SPECIALS.get(c, c) for c in text) + "}"


_GREEK_LETTERS = dict(zip("αβγδεζηθικλμνξπρστυφχψω",
                          ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
                           "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon",
                           "phi", "chi", "psi", "omega")))


def symbol_tex(name: str) -> str:
    """``c_in`` → ``c_{\\text{in}}``; ``k_h`` → ``k_{h}``; ``F`` → ``F``; ``alpha`` → ``\\alpha``."""
    base, _, sub = name.partition("_")
    if base in _GREEK_LETTERS:
        base = _GREEK_LETTERS[base]
    if base in _GREEK:
        head = "\\" + base
    elif len(base) == 1 and base.isascii() and base.isalpha():
        head = base
    elif all(c.isascii() for c in base):
        head = r"\mathit{" + "".join(_SPECIALS.get(c, c) for c in base) + "}"
    else:  # letters the math fonts lack: as text
        head = text_in_math(base)
    if not sub:
        return head
    if len(sub) == 1 and sub.isascii() and sub.isalnum():
        return f"{head}_{{{sub}}}"
    return head + "_{" + text_in_math(sub) + "}"


class MathPrinter:
    """Prints sympy expressions, substituting ``subs`` where given, with locale numbers."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._cache: dict = {}
        sep = group_separator(lang)
        self._sep = {".": "{.}", ",": "{,}", "\u202f": r"\,", "\u00a0": r"\,", " ": r"\,",
                     "'": "'", "": ""}.get(sep, "{" + sep + "}")

    def number(self, n: int) -> str:
        from .numbers import format_int
        text = format_int(n, self.lang)
        sep = group_separator(self.lang)
        if sep:
            text = text.replace(sep, self._sep)
        return text.replace("-", "-").replace("\u2212", "-")

    def value(self, v: Value) -> str:
        return self.expr(v)

    def expr(self, e, subs: Optional[Mapping[sympy.Symbol, Value]] = None) -> str:
        # cached per (expression, substitution): a model repeats the same formulas many times
        try:
            key = (e, frozenset(subs.items()) if subs else None)
            return self._cache[key]
        except KeyError:
            pass
        except TypeError:  # unhashable: print without the cache
            key = None
        text = self._print(sympy.sympify(e) if not isinstance(e, sympy.Basic) else e, subs or {})[0]
        if key is not None:
            self._cache[key] = text
        return text

    # -- the printer: returns (text, precedence)
    def _print(self, e: sympy.Basic, subs) -> tuple[str, int]:
        if e.is_Integer:
            n = int(e)
            return (self.number(n), ATOM) if n >= 0 else ("-" + self.number(-n), ADD)
        if e.is_Rational:
            num = self.number(abs(int(e.p)))
            text = rf"\frac{{{num}}}{{{self.number(int(e.q))}}}"
            return ("-" + text, ADD) if e.p < 0 else (text, ATOM)
        if e.is_Symbol:
            if e in subs:
                v = subs[e]
                inner = sympy.sympify(v) if not isinstance(v, sympy.Basic) else v
                text, prec = self._print(inner, {})
                if not (inner.is_Integer and int(inner) >= 0) and not inner.is_Symbol:
                    return text, min(prec, MUL - 0.5)  # a substituted expression: bracketed in products
                return text, prec
            return symbol_tex(e.name), ATOM
        if e.is_Add:
            return self._add(e, subs), ADD
        if e.is_Mul:
            return self._mul(e, subs)
        if e.is_Pow:
            base, exp = e.args
            if exp == -1:
                return rf"\frac{{1}}{{{self._print(base, subs)[0]}}}", ATOM
            b = self._wrap(base, subs, POW + 1)
            return f"{b}^{{{self._print(exp, subs)[0]}}}", POW
        if isinstance(e, sympy.floor):
            return rf"\left\lfloor {self._print(e.args[0], subs)[0]} \right\rfloor", ATOM
        if isinstance(e, sympy.ceiling):
            return rf"\left\lceil {self._print(e.args[0], subs)[0]} \right\rceil", ATOM
        if isinstance(e, (sympy.Max, sympy.Min)):
            name = r"\max" if isinstance(e, sympy.Max) else r"\min"
            args = ", ".join(self._print(a, subs)[0] for a in e.args)
            return rf"{name}\left({args}\right)", ATOM
        if isinstance(e, sympy.Mod):
            a, b = (self._wrap(x, subs, MUL + 1) for x in e.args)
            return rf"{a} \bmod {b}", MUL
        return sympy.latex(e), ADD

    def _wrap(self, e, subs, need: int) -> str:
        text, prec = self._print(e, subs)
        return rf"\left({text}\right)" if prec < need else text

    def _add(self, e: sympy.Add, subs) -> str:
        terms = e.as_ordered_terms()
        out = []
        for i, t in enumerate(terms):
            negative = t.could_extract_minus_sign()
            body = -t if negative else t
            text = self._wrap(body, subs, ADD + 1) if body.is_Add else self._print(body, subs)[0]
            if i == 0:
                out.append(("-" if negative else "") + text)
            else:
                out.append((" - " if negative else " + ") + text)
        return "".join(out)

    def _mul(self, e: sympy.Mul, subs) -> tuple[str, int]:
        from ..derivation.build import symbol_order
        coeff, rest = e.as_coeff_Mul()
        if coeff.is_negative:
            text, _ = self._print(-e, subs)
            return "-" + text, ADD
        num, den = [], []
        for f in sympy.Mul.make_args(rest):
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
        num.sort(key=lambda f: (0, 0, "") if f.is_Number else
                 (1, *symbol_order(f)) if f.is_Symbol else (2, 0, ""))
        numerator = self._product(num, subs) if num else (self.number(1), ATOM)
        if not den:
            return numerator
        denominator = self._product(den, subs)
        return rf"\frac{{{numerator[0]}}}{{{denominator[0]}}}", ATOM

    def _product(self, factors, subs) -> tuple[str, int]:
        if len(factors) == 1:
            return self._print(factors[0], subs)
        parts = [self._wrap(f, subs, MUL) if not f.is_Add else rf"\left({self._print(f, subs)[0]}\right)"
                 for f in factors]
        plain = all(_is_plain(f, subs) for f in factors)
        return (r" \times " if plain else r" \cdot ").join(parts), MUL


def _is_plain(f, subs) -> bool:
    """A factor that prints as a plain number (an integer, or a symbol substituted by one)."""
    if f.is_Integer:
        return True
    if f.is_Symbol and f in subs:
        v = subs[f]
        return isinstance(v, int) or (isinstance(v, sympy.Basic) and v.is_Integer)
    return False
