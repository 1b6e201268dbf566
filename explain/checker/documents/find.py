"""Finding the calculations in a document's prose: arithmetic chains that end in a result
(``3 x 3 x 3 x 32 + 1 x 32 = 896``, ``$5 \\times 5 \\times 6 \\times 16 + 16 = 2416$``,
``4 × (128 × (64 + 128) + 128) = 98.816``), totals (``Total params: 6,029,097``, ``合計 6,029,097``)
and shapes as Keras prints them (``(None, 84, 84, 32)``). Numbers in code are not claims; text
that is not a calculation is ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..arith import ArithError, BinOp, Work, parse_work, terms
from ..worksheet import shape_tuple
from .model import _ROW
from .read import Document, Line

_FULLWIDTH = str.maketrans("０１２３４５６７８９＝＋（）－", "0123456789=+()-")
_CHAIN = re.compile(r"(?:\\(?:times|cdot|left|right|[,;! ])|[0-9]|[.,'\u00a0\u202f\u2009 \t]|"
                    r"[xX×*·⋅∙•+\-−–^=(){}\[\]$])+")
_SHAPE_TUPLE = re.compile(r"\(\s*None\s*(?:,\s*(?:None|\d+)\s*)+\)")
_TOTAL = re.compile(r"(?P<kw>Non-trainable params|Trainable params|Total params|Gesamtzahl|insgesamt|"
                    r"Gesamt|合計|総数|au total|en total|\btotal\b|\bTotal\b)", re.IGNORECASE)
_NON_TRAINABLE = re.compile(r"non[- ]trainable|nicht trainierbar|学習不可|学習対象外|non entraînable|no entrenable",
                            re.IGNORECASE)
_TRAINABLE = re.compile(r"trainable|trainierbar|学習可能|entraînable|entrenable", re.IGNORECASE)
_PARAM_WORDS = re.compile(r"param|Parameter|パラメータ|paramètre|parámetro|weights|Gewichte", re.IGNORECASE)
_SHAPE_WORDS = re.compile(r"shape|Form\b|Dimension|Größe|size|output|Ausgabe|形状|出力|サイズ|次元|forme|"
                          r"taille|sortie|forma|salida|tamaño|dimensi", re.IGNORECASE)
_NUMBER = re.compile(r"\d{1,3}(?:([.,'\u00a0\u202f\u2009 ])\d{3}(?:\1\d{3})*)?(?!\d)|\d+")


@dataclass
class Found:
    """One claim found in the document, before attribution."""

    line: Line
    start: int
    end: int
    text: str
    kind: str  # params, shape, total (its kind in total_kind)
    work: Work | None
    dims: tuple[int | None, ...] | None = None
    total_kind: str = "params"
    total_word: bool = False
    """The line names a total (then a chain in it is the total's)."""


def find_claims(doc: Document) -> list[Found]:
    out: list[Found] = []
    for line in doc.lines:
        if line.kind == "code" or (line.kind == "output" and doc.format == "notebook"):
            continue
        text = line.text.translate(_FULLWIDTH)
        if _ROW.match(text):
            continue
        if line.kind == "output":
            out += _totals(line, text, chains=[])
            continue
        chains = list(_chains(line, text))
        out += chains
        out += _totals(line, text, chains)
        out += _shapes(line, text, chains)
    return out


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop what surrounds a chain: operators, '=', '$', punctuation, unbalanced brackets."""
    while start < end and (text[start] in " \t=+*×·⋅xX$.,'\u00a0\u202f\u2009-−–^" or
                           text.startswith(("\\,", "\\;", "\\!", "\\ "), start)):
        start += 2 if text[start] == "\\" else 1
    while end > start and text[end - 1] in " \t=+*×·⋅xX$.,:;'\u00a0\u202f\u2009-−–^({[":
        end -= 1
    chunk = text[start:end]
    opened = sum(chunk.count(c) for c in "({[")
    closed = sum(chunk.count(c) for c in ")}]")
    while closed > opened and end > start and text[end - 1] in ")}]":
        end -= 1
        closed -= 1
    while opened > closed and start < end and text[start] in "({[":
        start += 1
        opened -= 1
    return start, end


def _has_operator(work: Work) -> bool:
    return work.formula is not None and isinstance(work.formula, BinOp)


def _chains(line: Line, text: str):
    for m in _CHAIN.finditer(text):
        if "=" not in m.group(0) or not re.search(r"\d", m.group(0)):
            continue
        start, end = _strip(text, m.start(), m.end())
        chunk = text[start:end].replace("$", " ")
        if "=" not in chunk:
            continue
        sides = chunk.split("=")
        if not all(re.search(r"\d", s) for s in sides):
            continue
        try:
            work = parse_work(chunk)
        except ArithError:
            continue
        if work.result is None or not _has_operator(work) or work.result_value is None:
            continue
        kind = _chain_kind(text, work)
        yield Found(line, start, end, chunk.strip(), kind, work)


def _chain_kind(text: str, work: Work) -> str:
    """A pure product in a line about shapes (and not about parameters) is an output size."""
    if work.formula is None or len(terms(work.formula)) != 1 or "^" in str(work.formula):
        return "params"
    if _PARAM_WORDS.search(text):
        return "params"
    if _SHAPE_WORDS.search(text):
        return "shape"
    return "product"  # decided by attribution: an output size or a count


def _totals(line: Line, text: str, chains: list[Found]) -> list[Found]:
    m = _TOTAL.search(text)
    if not m:
        return []
    word = m.group("kw").lower()
    kind = "non_trainable" if _NON_TRAINABLE.search(text) else "trainable" if _TRAINABLE.search(text) \
        else "params"
    printed = word.endswith("params")
    if not printed and word not in ("合計", "総数") and not _PARAM_WORDS.search(text):
        return []
    for c in chains:
        if c.start > m.start():
            c.total_word, c.total_kind = True, kind
    if any(c.start > m.start() for c in chains):
        return []
    n = _NUMBER.search(text, m.end())
    if n is None or n.start() - m.end() > 40 or re.search(r"[=×x*+]", text[m.end():n.start()]):
        return []
    try:
        work = parse_work(n.group(0))
    except ArithError:
        return []
    return [Found(line, n.start(), n.end(), n.group(0), "total", work, total_kind=kind, total_word=True)]


def _shapes(line: Line, text: str, chains: list[Found]) -> list[Found]:
    out = []
    for m in _SHAPE_TUPLE.finditer(text):
        if any(c.start <= m.start() < c.end for c in chains):
            continue
        parsed = shape_tuple(m.group(0))
        if parsed is None:
            continue
        dims, _ = parsed
        known = [str(d) for d in dims if d is not None]
        work = parse_work(" x ".join(known)) if known else None
        out.append(Found(line, m.start(), m.end(), m.group(0), "shape", work, dims=dims))
    return out
