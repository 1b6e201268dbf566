"""Checking the hand calculations where they are written: Markdown, LaTeX, plain text, Jupyter
notebooks and PDF (its text layer; scanned pages are images and out of scope).

    >>> report = check_document("tests/fixtures/documents/seed-article-de.txt")
    >>> [(c.layer, c.verdict, c.diagnosis) for c in report.claims if not c.correct]
    [('dense_2', 'wrong_formula', ['bias_size'])]

The model comes from ``--model`` or from the Keras or PyTorch code in the document (read, never
run; :mod:`.model`, :mod:`.torch_code`); each
calculation found is attributed to a layer (:mod:`.attribute`) and judged as a worksheet claim.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import ExplainError
from ...model import Model
from .. import Claim, Report, _check_or_unreadable, carried_forward
from ..mistakes import Context
from ..worksheet import RawClaim, Worksheet
from .read import Document, read_document

if TYPE_CHECKING:  # imported where a document is checked: `explain check` on a worksheet asks
    # only .read's is_document (finding, attributing and reading a document's model: ≈ 15 ms)
    from .attribute import Attribution
    from .find import Found

__all__ = ["DocumentReport", "check_document"]

MAX_CALCULATIONS = 2000


class DocumentReport(Report):
    """A :class:`Report` whose claims carry their place and attribution; keeps the document."""

    document: Document

    def to_json(self) -> dict:
        out = super().to_json()
        out["document"] = self.worksheet
        out["format"] = self.document.format
        return out


def check_document(path: str, model: str | None = None) -> DocumentReport:
    from .model import load_document_model
    doc = read_document(str(path))
    loaded = load_document_model(doc, model)
    return check_loaded(doc, loaded)


def check_loaded(doc: Document, model: Model) -> DocumentReport:
    from .attribute import Attributor
    from .find import find_claims
    found = find_claims(doc)
    if not found:
        raise ExplainError("contains no calculation that explain recognises (such as "
                           "'3 x 3 x 3 x 32 + 32 = 896' or 'Total params: 6,029,097')", file=doc.path)
    if len(found) > MAX_CALCULATIONS:
        raise ExplainError(f"contains more than {MAX_CALCULATIONS} calculations", file=doc.path)
    attributor = Attributor(doc, model)
    ctx = Context(model)
    sheet = Worksheet(doc.path, None, ())
    claims: list[Claim] = []
    for f in found:
        a = attributor.attribute(f, found)
        claims.append(_judge(ctx, sheet, f, a))
    carried_forward(ctx, claims)
    report = DocumentReport(doc.path, model, claims)
    report.document = doc
    return report


def _kind(ctx: Context, f: Found, node) -> str:
    """A bare product named after a layer: an output size if the layer has no weights or the
    factors are its output's axes, else a count."""
    if f.kind != "product" or node is None:
        return "shape" if f.kind == "shape" else "params"
    if not node.weights:
        return "shape"
    from ..arith import numbers
    dims = sorted(ctx.int(d) or 0 for d in node.output_shape)
    written = sorted(numbers(f.work.formula)) if f.work is not None and f.work.formula is not None else []
    return "shape" if written == dims else "params"


def _judge(ctx: Context, sheet: Worksheet, f: Found, a: Attribution) -> Claim:
    kind = _kind(ctx, f, a.node)
    if a.total:
        raw = RawClaim("total", f.total_kind, f.text, f.work, f.line.number)
    elif a.node is not None:
        raw = RawClaim(a.node.name, kind, f.text, f.work, f.line.number, dims=f.dims)
    else:
        claim = Claim("?", kind, f.text, "unattributed", None, line=f.line.number, text=f.text)
        _placed(claim, f, a)
        return claim
    claim = _check_or_unreadable(ctx, sheet, raw)
    _placed(claim, f, a)
    return claim


def _placed(claim: Claim, f: Found, a: Attribution) -> None:
    claim.place = f.line.place()
    claim.attribution = a.reason
    claim.candidates = list(a.candidates)
    claim.found = f
