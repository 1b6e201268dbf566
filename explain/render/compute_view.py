"""What the compute section of a derivation shows (``--count compute``): the model's forward
MACs and FLOPs, training FLOPs, and for decoder transformers Kaplan et al. 2020's closed forms
beside the exact count, formatted; the sentences live in the templates."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Model
    from .view import Formatter


def compute_context(model: "Model", f: "Formatter") -> dict[str, Any]:
    p = f.math
    out: dict[str, Any] = {"derived": model.macs is not None, "kaplan": None,
                           "not_derived": [f.name(n) for n in model.compute_not_derived]}
    if model.macs is not None and model.flops is not None and model.training_flops is not None:
        out.update(macs=f.num(model.macs), flops=f.num(model.flops), training=f.num(model.training_flops),
                   flops_eq=f.dm(rf"\text{{FLOPs}} = 2 \times {p.number(model.macs)} = {p.number(model.flops)}"),
                   training_eq=f.dm(rf"C_{{\text{{train}}}} \approx 3 \times {p.number(model.flops)}"
                                    rf" = {p.number(model.training_flops)}"))
    k = model.kaplan()
    per_token = model.macs_per_token
    if k is None or k.n_ctx is None or per_token is None or per_token.denominator != 1:
        return out
    exact = 2 * int(per_token)
    forward = k.forward_per_token
    assert forward is not None
    n = p.number
    out["kaplan"] = {
        "n_eq": f.dm(rf"N \approx 2\, d_{{\text{{model}}}}\, n_{{\text{{layer}}}} (2\, d_{{\text{{attn}}}} + d_{{\text{{ff}}}})"
                     rf" = 2 \times {n(k.d_model)} \times {n(k.n_layer)} \times (2 \times {n(k.d_attn)} + {n(k.d_ff)})"
                     rf" = {n(k.n)}"),
        "exact": f.num(k.exact), "difference": f.num(k.difference),
        "outside": [(f.name(o.name), f.num(o.params)) for o in k.outside if o.params],
        "blocks": f.num(k.n_layer * k.block_rest), "rest_formula": f.m(p.expr(k.rest_formula)),
        "rest_note": k.rest_note, "n_layer": f.num(k.n_layer),
        "forward_eq": f.dm(rf"C_{{\text{{forward}}}} \approx 2N + 2\, n_{{\text{{layer}}}}\, n_{{\text{{ctx}}}}\, d_{{\text{{attn}}}}"
                           rf" = 2 \times {n(k.n)} + 2 \times {n(k.n_layer)} \times {n(k.n_ctx)} \times {n(k.d_attn)}"
                           rf" = {n(forward)}"),
        "n_ctx": f.num(k.n_ctx), "exact_forward": f.num(exact), "exact_macs": f.num(int(per_token)),
        "exact_eq": f.dm(rf"2 \times {n(int(per_token))} = {n(exact)}"),
        "forward_difference": f.num(exact - forward),
        "train_eq": f.dm(rf"C_{{\text{{train}}}} \approx 6 N D = {n(6 * k.n)} \cdot D"),
    }
    return out
