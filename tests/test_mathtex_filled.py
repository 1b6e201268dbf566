"""A formula printed once with stand-ins and filled with each layer's numbers
(:meth:`explain.render.mathtex.MathPrinter._filled`) reads exactly as sympy's printer writes it
with those numbers (:meth:`~explain.render.mathtex.MathPrinter.printed`), for every formula the
derivations of a few models print, in every language and mode."""
from __future__ import annotations

import pytest
import sympy

from explain.importers import load
from explain.render import mathtex, render
from explain.render.documents import render_document
from tests.conftest import FIXTURES

MODELS = ("example:seed-cnn", "example:lenet5", "example:mlp-symbolic", str(FIXTURES / "hf" / "gpt2.json"),
          str(FIXTURES / "hf" / "t5-small.json"), str(FIXTURES / "specs" / "residual.yaml"))


def _asked(monkeypatch) -> list:
    """Every (printer, formula, values, order) a derivation asks a printer for."""
    asked: list = []
    real = mathtex.MathPrinter.expr

    def expr(self, e, subs=None, order=None):
        asked.append((self, e, dict(subs) if subs else None, order))
        return real(self, e, subs, order)
    monkeypatch.setattr(mathtex.MathPrinter, "expr", expr)
    return asked


@pytest.mark.parametrize("source", MODELS)
def test_a_filled_formula_reads_as_sympys_printer_writes_it(source, monkeypatch):
    asked = _asked(monkeypatch)
    model = load(source)
    render(model, lang="de", format="latex")
    render_document("derivation", model, lang="fr", format="markdown", count=("params", "compute", "memory"))
    distinct = {}
    for printer, e, subs, order in asked:
        if subs and all(mathtex._whole(v) for v in subs.values()):
            key = (printer.lang, printer.inline, e, frozenset(subs.items()), order)
            distinct.setdefault(key, (e, subs, order))
    assert distinct  # the stand-ins were used
    printers = {}
    for (lang, inline, *_), (e, subs, order) in distinct.items():
        for plain in (False, True):  # the terminal's text too
            p = printers.setdefault((lang, inline, plain), mathtex.MathPrinter(lang, plain=plain, inline=inline))
            assert p.expr(e, subs, order) == p.printed(e, subs, order), (e, subs, order)


def test_stand_ins_print_every_kind_of_node_and_number_as_sympys_printer():
    n, p, k, s, c, d = sympy.symbols("n p k s c_in d", positive=True, integer=True)
    formulas = [sympy.floor((n + 2 * p - k) / s) + 1, sympy.ceiling(n / s), sympy.Max(k - s, 0) * c,
                sympy.Mod(n, s) + 2 * c, c ** 2 / d + 3 * d, sympy.Rational(1, 2) * c * d - k, (c + d) * (k + 1),
                4 * c * d + 2 * k, c / (d + 1)]
    values = [{n: 224, p: 3, k: 7, s: 2, c: 1024, d: 0}, {n: 0, p: 0, k: 1, s: 1, c: 12345678, d: 3},
              {n: sympy.Integer(5), p: 1, k: 3, s: 2, c: 1, d: 1}]
    for lang in ("en", "de", "fr", "ja", "es"):
        for plain in (False, True):
            for inline in (False, True):
                for order in (None, "none"):
                    printer = mathtex.MathPrinter(lang, plain=plain, inline=inline)
                    for e in formulas:
                        for v in values:
                            subs = {x: v[x] for x in e.free_symbols}
                            assert printer.expr(e, subs, order) == printer.printed(e, subs, order), (e, subs)


def test_a_formula_is_printed_once_for_every_set_of_numbers(monkeypatch):
    """Three convolutions of other channels: k_h·k_w·c_in·c_out + c_out printed by sympy once."""
    k_h, k_w, c_in, c_out = sympy.symbols("k_h k_w c_in c_out", positive=True, integer=True)
    calls = []
    real = mathtex.FormulaPrinter.doprint
    monkeypatch.setattr(mathtex.FormulaPrinter, "doprint", lambda self, e: calls.append(e) or real(self, e))
    p = mathtex.MathPrinter("de")
    texts = [p.expr(k_h * k_w * c_in * c_out + c_out, {k_h: 3, k_w: 3, c_in: c, c_out: 2 * c}) for c in (64, 512, 1024)]
    assert texts == [r"3 \times 3 \times 64 \times 128 + 128", r"3 \times 3 \times 512 \times 1{.}024 + 1{.}024",
                     r"3 \times 3 \times 1{.}024 \times 2{.}048 + 2{.}048"]
    assert len(calls) == 1


def test_a_number_is_written_without_sympys_printer(monkeypatch):
    calls = []
    real = mathtex.FormulaPrinter.doprint
    monkeypatch.setattr(mathtex.FormulaPrinter, "doprint", lambda self, e: calls.append(e) or real(self, e))
    p = mathtex.MathPrinter("fr")
    assert [p.expr(12345), p.expr(sympy.Integer(-7)), p.expr(0)] == [p.number(12345), "-7", "0"]
    assert not calls
