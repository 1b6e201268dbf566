"""``--format json`` (SPEC.md section 4): exact ints, formulas as sympy-parsable strings."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..layers.base import Shape
from ..model import Model, Node


# A layer type's formula is one expression shared by its layers: print it once.
_formula_text = lru_cache(maxsize=4096)(str)


def shape_json(shape: Shape) -> list:
    """Batch axis first (null); a numeric size is an int, a symbolic one its formula."""
    return [None] + [None if d is None else (d if isinstance(d, int) else _formula_text(d)) for d in shape]


def compute_layer(model: Model, node: Node) -> dict[str, Any]:
    """A layer's MACs and other operations for one sample (every copy), and one copy's MAC
    formula; null with the reason where they are not derived."""
    if node.cost is None:
        return {"macs": None, "other_ops": None, "macs_not_derived": node.cost_missing}
    out = {"macs": model.evaluate(node.macs), "macs_formula": _formula_text(node.cost.macs),
           "other_ops": model.evaluate(node.other_ops)}
    if node.cost.other_partial:  # only the bias adds and norm weights: a lower bound
        out["other_ops_lower_bound"] = True
    return out


def compute_model(model: Model) -> dict[str, Any]:
    """The model's forward MACs, FLOPs (2 per MAC), training FLOPs (3 × forward) and other
    operations for one sample; null, with the layers in ``compute_not_derived``, where a layer's
    compute is not derived."""
    expr = model.macs_expr
    out: dict[str, Any] = {"compute_per": "sample", "macs": model.macs, "flops": model.flops,
                           "training_flops": model.training_flops, "other_ops": model.other_ops}
    if expr is not None:
        out["macs_formula"] = str(expr)
    if any(n.cost is not None and n.cost.other_partial for n in model.nodes):
        out["other_ops_lower_bound"] = True
    if model.context is not None:
        # a sequence model: the figures are for one sequence of context_length tokens
        out["context_length"] = model.evaluate(model.context)
        per = model.macs_per_token
        if per is not None:
            out["macs_per_token"] = int(per) if per.denominator == 1 else float(per)
            out["macs_per_token_formula"] = str(model.macs_per_token_expr)
    missing = model.compute_not_derived
    if missing:
        out["compute_not_derived"] = list(missing)
    return out


def model_dict(model: Model, compute: bool = False) -> dict[str, Any]:
    pytorch = model.framework == "pytorch"
    layers = []
    for node in model.nodes:
        entry: dict[str, Any] = {
            "name": node.name,
            "type": node.type,
            "inputs": list(node.inputs),
            "output_shape": (shape_json(node.output_shape) if not node.output_shapes
                             else [shape_json(s) for s in node.output_shapes]),
            "params": model.evaluate(node.params),
            "trainable": model.evaluate(node.trainable),
            "non_trainable": model.evaluate(node.non_trainable),
            "weights": {w.name: model.evaluate(w.count) for w in node.weights if not w.buffer},
            "formula": _formula_text(node.formula),
        }
        if pytorch or node.buffers:
            entry["buffers"] = model.evaluate(node.buffers)
            entry["buffer_weights"] = {w.name: model.evaluate(w.count) for w in node.weights if w.buffer}
        if node.shares is not None:
            entry["shares_weights_with"] = node.shares
            entry["tied_weights"] = {w.name: w.tied_to for w in node.weights if w.tied_to}
        if not (isinstance(node.repeat, int) and node.repeat == 1):
            # ``weights`` and ``formula`` are one copy's; ``params`` counts every copy.
            entry["repeat"] = model.evaluate(node.repeat)
            if not isinstance(node.repeat, int):
                entry["repeat_formula"] = str(node.repeat)
        if notes := node.layer.notes_for(node.input_shapes):
            entry["notes"] = list(notes)
        if not isinstance(node.params, int):
            entry["params_formula"] = str(node.params)
        if compute:
            entry.update(compute_layer(model, node))
        layers.append(entry)
    out: dict[str, Any] = {
        "model": model.name,
        "framework": model.framework,
        "layers": layers,
        "total": model.total,
        "trainable": model.trainable,
        "non_trainable": model.non_trainable,
        "total_formula": str(model.total_expr),
        "symbols": {s.name: v for s, v in model.symbols.items()},
    }
    if pytorch:
        out["buffers"] = model.buffers
    active = model.active_expr
    if active is not None:
        out["active_per_token"] = model.evaluate(active)
        out["active_per_token_formula"] = str(active)
    if compute:
        out.update(compute_model(model))
    out.update(model.details)
    if model.notes:
        from .messages import MODEL_NOTES, plain_placeholders
        out["model_notes"] = [{"key": key, "text": MODEL_NOTES[key] % {**plain_placeholders(), **{
            n: _plain_arg(n, v) for n, v in args}}, **dict(args)} for key, args in model.notes]
    return out



def memory_dict(model: Model) -> dict[str, Any]:
    """The model states for every optimizer and precision (bytes), and the activation estimate
    (per sample; ``bytes_formula`` in the batch size B)."""
    from ..memory import OPTIMIZERS, PRECISIONS, activations, model_states
    states = []
    for precision in PRECISIONS:
        for optimizer in OPTIMIZERS:
            m = model_states(model, optimizer, precision)
            states.append({
                "optimizer": optimizer, "precision": precision,
                "bytes_per_parameter": {"parameter": m.per.parameter, "gradient": m.per.gradient,
                                        "master_copy": m.per.master, "optimizer_state": m.per.states,
                                        "total": m.per.total},
                "parameters_bytes": m.parameter_bytes, "gradients_bytes": m.gradient_bytes,
                "optimizer_bytes": m.optimizer_bytes, "bytes": m.bytes,
            })
    acts = {}
    for precision in PRECISIONS:
        a = activations(model, precision)
        acts[precision] = {"estimate": True, "elements_per_sample": a.elements,
                           "bytes_per_element": a.bytes_per_element,
                           "bytes_per_sample": a.bytes_per_sample, "bytes_formula": str(a.formula),
                           "layers": {x.name: x.elements for x in a.layers},
                           "left_out": list(a.unknown), "views": list(a.views)}
    return {"model_states": states, "activations": acts}


def _plain_arg(name: str, value: object) -> object:
    """A model note's argument in its plain text: ``L_w = 29`` for a symbol's value, a list of
    names joined by commas, else the value itself."""
    from .messages import NOTE_EQUATIONS
    if name in NOTE_EQUATIONS:
        return f"{NOTE_EQUATIONS[name]} = {value}"
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    return value
