"""What the compute section of a derivation shows (``--count compute``): the model's forward
MACs and FLOPs, training FLOPs, and for decoder transformers Kaplan et al. 2020's closed forms
beside the exact count, formatted; the sentences live in the templates."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import sympy

from ..compute import ONE_PRODUCT, SOFTMAX_OPS, activation_ops, is_bias
from ..layers.base import NORM_ROLES
from ..msgid import N_

if TYPE_CHECKING:
    from ..compute import Cost
    from ..model import Model, Node
    from ..kaplan import Kaplan
    from .view import Formatter, View


def _label(f: "Formatter", msgid: str) -> str:
    """``\\text{MACs}`` or ``\\text{FLOPs}`` as the reader's language writes it (French and Spanish
    acronyms take no plural s)."""
    from .escape import latex_text
    from .i18n import translate
    return r"\text{" + latex_text(translate(f.lang, msgid)) + "}"


# Translators: the left-hand side of "FLOPs = 2 × MACs" in a formula: the number of floating-point operations
FLOPS_LABEL = N_("FLOPs")
# Translators: the left-hand side of "MACs = k_h · k_w · …" in a formula: the number of multiply-accumulates
MACS_LABEL = N_("MACs")
# Translators: the meaning of T in a transformer's or an attention layer's formulas (an RNN's T: time steps)
POSITIONS_T = N_("sequence length (number of positions)")
WORK_KINDS = {
    # Translators: a kind of element-wise work a model's other operations O count, one item of the
    # lists "(element-wise work such as bias additions and pooling)" and "Bias additions, activations
    # and pooling are not MACs" (fr, es with the article: « les additions de biais »)
    "bias": N_("bias additions"),
    # Translators: a kind of element-wise work, as "bias additions" (the activation functions applied)
    "activation": N_("activations"),
    # Translators: a kind of element-wise work, as "bias additions" (the softmax function applied)
    "softmax": N_("softmax"),
    # Translators: a kind of element-wise work, as "bias additions" (batch, layer, RMS normalization)
    "normalization": N_("normalizations"),
    # Translators: a kind of element-wise work, as "bias additions": the rotation of the queries and keys
    "rope": N_("rotations of queries and keys (RoPE)"),
    # Translators: a kind of element-wise work, as "bias additions"
    "pooling": N_("pooling"),
    # Translators: a kind of work, as "bias additions": means, sums, maxima or minima along axes that a
    # PyTorch model's forward computes between its modules (x.mean(1))
    "reduction": N_("reductions along axes"),
    # Translators: a kind of element-wise work, as "bias additions": the layers that add or multiply branches
    "merge": N_("merges of branches"),
    # Translators: a kind of element-wise work, as "bias additions": the additions of a transformer's skip connections
    "residual": N_("residual additions"),
}
"""The kinds of element-wise work the other operations O count, in the order the lists name them."""
SINGULAR_KINDS = frozenset({"softmax", "pooling"})
"""Kinds named in the singular: alone, they cannot start "… are not MACs"."""
_POOL_ROLES = frozenset({"pool", "global_pool", "adaptive_pool"})
_BLOCK_ROLES = frozenset({"transformer_block", "transformer_stack", "transformer"})
POSITION_ROLES = frozenset({"transformer_block", "transformer_stack", "transformer", "attention", "dot_attention"})
"""Roles of the layers whose T counts positions (:data:`POSITIONS_T`), not an RNN's time steps."""


def compute_context(model: "Model", f: "Formatter", detail: str = "compact") -> dict[str, Any]:
    p = f.math
    macs, flops, training = model.macs, model.flops, model.training_flops  # each sums every node: read once
    out: dict[str, Any] = {"derived": macs is not None, "kaplan": None, "kaplan_absent": None,
                           "not_derived": [f.name(n) for n in model.compute_not_derived],
                           "layers": compute_layers(model, f, detail), "work": work_lists(model, f)}
    if macs is not None and flops is not None and training is not None:
        partial = any(n.cost is not None and n.cost.other_partial for n in model.nodes)
        first = model.first_without_input_gradient
        if first is not None and first[0].layer.role in ONE_PRODUCT and first[0].repeat != 1:
            first = None  # a repeated product: neither subtracted nor said
        skipped = model.input_gradient_saved
        saving = rf" - 2 \times {p.number(skipped)}" if skipped else ""
        out.update(macs=f.num(macs), other=(f.m(r"\geq") + " " if partial else "") + f.num(model.other_ops or 0), flops=f.num(flops), training=f.num(training),
                   flops_eq=f.dm(rf"{_label(f, FLOPS_LABEL)} = 2 \times {p.number(macs)} = {p.number(flops)}"),
                   training_eq=f.dm(rf"C_{{\text{{step}}}} \approx 3 \times {p.number(flops)}{saving}"
                                    rf" = {p.number(training)}"))
        out.update(first_layer=None if first is None else f.name(first[0].name),
                   first_is_first=first is not None and first[0] is model.nodes[0],
                   first_layer_macs=f.num(skipped) if skipped else None, tokens=_sequence(model, f),
                   batch=f.m("B"), sep="" if f.lang == "ja" else " ", batch_cost=f.m(r"B \cdot C_{\text{step}}"))
    k = model.kaplan()
    per_token = model.macs_per_token
    if k is None and any(n.layer.kaplan_absent() is not None for n in model.nodes):
        from ..kaplan import kaplan_absent  # only then: a CNN's document never imports kaplan
        out["kaplan_absent"] = kaplan_absent(model)
    # the formulas only the Kaplan sentences name
    out["kaplan_math"] = kaplan_math(f) if k is not None or out["kaplan_absent"] else {}
    if k is None or k.n_ctx is None or per_token is None or per_token.denominator != 1:
        return out
    exact = 2 * int(per_token)
    forward = k.forward_per_token
    assert forward is not None
    n = p.number
    from .mathtex import symbol_tex
    from .view import _paren
    rest = p.expr(k.rest_formula)
    if isinstance(k.rest_formula, sympy.Add):  # the sentence multiplies it: 12 × (9d + f)
        rest = _paren(rest)
    out["kaplan"] = {
        "n_eq": f.dm(rf"N \approx 2\, d_{{\text{{model}}}}\, n_{{\text{{layer}}}} (2\, d_{{\text{{attn}}}} + d_{{\text{{ff}}}})"
                     rf" = 2 \times {n(k.d_model)} \times {n(k.n_layer)} \times (2 \times {n(k.d_attn)} + {n(k.d_ff)})"
                     rf" = {n(k.n)}"),
        "sizes": {name: f.m(f"{symbol_tex(name)} = {n(getattr(k, name))}")
                  for name in ("d_model", "n_layer", "d_attn", "d_ff")},  # d_{\text{model}} = 768
        "exact": f.num(k.exact), "difference": f.num(k.difference),
        "outside": [(f.name(o.name), f.num(o.params)) for o in k.outside if o.params],
        "outside_total": f.num(sum(o.params for o in k.outside)),
        "blocks": f.num(k.n_layer * k.block_rest), "rest_formula": f.m(rest),
        "rest_note": k.rest_note, "n_layer": f.num(k.n_layer),
        "forward_eq": f.dm(rf"C_{{\text{{forward}}}} \approx 2N + 2\, n_{{\text{{layer}}}}\, n_{{\text{{ctx}}}}\, d_{{\text{{attn}}}}"
                           rf" = 2 \times {n(k.n)} + 2 \times {n(k.n_layer)} \times {n(k.n_ctx)} \times {n(k.d_attn)}"
                           rf" = {n(forward)}"),
        "n_ctx": f.num(k.n_ctx), "exact_forward": f.num(exact), "exact_macs": f.num(int(per_token)),
        "exact_eq": f.dm(rf"2 \times {n(int(per_token))} = {n(exact)}"),
        "forward_difference": f.num(exact - forward),
        "train_eq": f.dm(rf"C_{{\text{{train}}}} \approx 6 N D = {n(6 * k.n)} \cdot D"),
        "ffn_note": k.ffn_note,
        "d_ff_eq": f.m(rf"d_{{\text{{ff}}}} = 3f/2 = 3 \times {n(k.f)} / 2 = {n(k.d_ff)}") if k.f is not None else "",
        "n_ctx_eq": f.m(rf"n_{{\text{{ctx}}}} = {_positions_tex(model, k.n_ctx)}{n(k.n_ctx)}"),
        "per_token": _per_token_difference(model, k, per_token, f),
    }
    return out


def work_kinds(model: "Model") -> list[str]:
    """The kinds of element-wise work (:data:`WORK_KINDS`) the model's other operations count,
    read from its layers: a bias vector, an activation (softmax by name), a normalization,
    pooling, a merge of branches; a transformer block's softmax, norms, activations and residual
    adds where its type states them (and the rotation of queries and keys where it has RoPE)."""
    found: set[str] = set()
    for node in model.nodes:
        cost = node.cost
        if cost is None or cost.other == 0:
            continue
        found |= _node_work(node, cost.other_partial)
    return [k for k in WORK_KINDS if k in found]


def _node_work(node: "Node", partial: bool) -> set[str]:
    layer, kinds = node.layer, set()
    role = layer.role
    if any(is_bias(w.name) and not w.buffer and w.count != 0 for w in node.weights):
        kinds.add("bias")
    if role == "activation":
        name = getattr(layer, "activation", None)
        ops = activation_ops(name) if isinstance(name, str) else getattr(layer, "ops_per_element", 1)
        kinds.add("softmax" if ops == SOFTMAX_OPS else "activation")
    elif role in ("recurrent", "bidirectional"):
        kinds.add("activation")
    elif isinstance(activation := getattr(layer, "activation", None), str):  # Dense, Conv2D's argument
        ops = activation_ops(activation)
        if ops:
            kinds.add("softmax" if ops == SOFTMAX_OPS else "activation")
    if role in NORM_ROLES:
        kinds.add("normalization")
    elif role in _POOL_ROLES:
        kinds.add("pooling")
    elif role == "reduction":
        kinds.add("reduction")
    elif role in ("merge", "add"):
        kinds.add("merge")
    elif role in ("attention", "dot_attention"):
        kinds.add("softmax")
    elif role in _BLOCK_ROLES and not partial:
        kinds |= {"softmax", "normalization", "activation", "residual"}
        if "rope_no_parameters" in layer.notes():
            kinds.add("rope")
    return kinds


def work_lists(model: "Model", f: "Formatter") -> tuple[str, str] | None:
    """The model's kinds of element-wise work as a list in the document's language, escaped: (in
    a sentence, at its start); None where there is none to name, or only one kind named in the
    singular ("pooling"), which cannot start "… are not MACs"."""
    from .escape import message_escape
    from .i18n import join_list, translate
    kinds = work_kinds(model)
    if not kinds or (len(kinds) == 1 and kinds[0] in SINGULAR_KINDS):
        return None
    escape = message_escape(f.format, f.lang)
    items = [escape(translate(f.lang, WORK_KINDS[k])) for k in kinds]
    listed = join_list(items, f.lang, f.format)
    start = [items[0][:1].upper() + items[0][1:], *items[1:]]
    return listed, join_list(start, f.lang, f.format)


def _positions_symbol(model: "Model") -> "sympy.Symbol | None":
    """The symbol of a sequence model's positions (T) where the compute counts a sequence of it."""
    for s in model.symbols:
        if model.symbol_meanings.get(s.name) == "positions" and model.context == s:
            return s
    return None


def _sequence(model: "Model", f: "Formatter") -> str | None:
    """``T = 4,096``: one sample of a transformer is a sequence of T tokens; None for others."""
    from .mathtex import symbol_tex
    s = _positions_symbol(model)
    return None if s is None else f.m(rf"{symbol_tex(s.name)} = {f.math.number(model.symbols[s])}")


def _positions_tex(model: "Model", n_ctx: int) -> str:
    """``T = `` where Kaplan's n_ctx is the document's T, else nothing."""
    from .mathtex import symbol_tex
    s = _positions_symbol(model)
    return "" if s is None or model.symbols[s] != n_ctx else f"{symbol_tex(s.name)} = "


def _per_token_difference(model: "Model", k: "Kaplan", per_token: Any, f: "Formatter") -> dict[str, Any] | None:
    """C_step / T beside 6N, and what the difference is from the model's own MACs per token:
    6 × (the blocks' MACs beyond N's matrices, and each layer outside the blocks with MACs).
    The blocks' part is named the attention's products where it is exactly 2·n_layer·T·d_attn
    (QKᵀ and the weighted sum of V, each T·d_attn per token and block)."""
    if _positions_tex(model, k.n_ctx or 0) == "" or k.n_ctx is None:
        return None
    from fractions import Fraction
    t = k.n_ctx
    parts: list[tuple[str, int]] = []
    block_rest: Fraction | None = None
    for node in model.nodes:
        if node.macs is None:
            return None
        macs = Fraction(model.evaluate(node.macs), t)
        if node.name == k.block:
            block_rest = macs - k.n
        elif macs:
            parts.append((f.name(node.name), int(macs)) if macs.denominator == 1 else ("", -1))
    if block_rest is None or block_rest.denominator != 1 or any(v < 0 for _, v in parts):
        return None
    assert block_rest + sum(v for _, v in parts) + k.n == per_token
    n = f.math.number
    step = 6 * int(per_token)
    attention = int(block_rest) == 2 * k.n_layer * t * k.d_attn
    return {"step_eq": f.dm(rf"C_{{\text{{step}}}} / {_positions_tex(model, t)[:-3]} \approx 6 \times {n(int(per_token))} = {n(step)}"),
            "six_n": f.m(rf"6N = {n(6 * k.n)}"), "difference": f.num(step - 6 * k.n),
            "rest": f.num(int(per_token) - k.n), "attention": attention,
            "blocks": f.num(int(block_rest)), "outside": [(name, f.num(v)) for name, v in parts]}


def kaplan_math(f: "Formatter") -> dict[str, str]:
    """The formulas the Kaplan sentences name (``_texts.KAPLAN_*``), as math of this format."""
    d, f_, d_h, w, N = (sympy.Symbol(s) for s in ("d", "f", "d_h", "w", "N"))
    exprs = {"five_d_f": sympy.Add(5 * d, f_, evaluate=False), "four_d": 4 * d, "two_d": 2 * d,
             "two_d_h": 2 * d_h, "w": w, "N": N, "n_ctx": sympy.Symbol("n_ctx")}
    out = {k: f.m(f.math.written(v)) for k, v in exprs.items()}
    # products of named sizes as in the display formulas above them (2\, d_model\, n_layer)
    out.update(four_d_model_d_attn=f.m(r"4\, d_{\text{model}}\, d_{\text{attn}}"),
               lm_head=f.m(r"2\, d_{\text{model}}\, n_{\text{vocab}}"),
               context_term=f.m(r"2\, n_{\text{layer}}\, n_{\text{ctx}}\, d_{\text{attn}}"),
               d_f=f.m(r"d \cdot f"), d_model_d_ff=f.m(r"d_{\text{model}} \cdot d_{\text{ff}}"))
    return out


@lru_cache(maxsize=4096)
def cost_symbols(macs: sympy.Expr, other: sympy.Expr) -> tuple[sympy.Symbol, ...]:
    """The symbols of a cost's formulas (MACs and O), by name: once per pair of formulas, which
    the layers of a type share (ResNet152's 517 layers have 7 pairs)."""
    return tuple(sorted((macs + other).free_symbols, key=lambda s: s.name))


def renamed_symbols(model: "Model") -> list[tuple[str, "sympy.Symbol"]]:
    """The compute symbols that stand for a symbol of the model's list (``H_kv`` for ``H``
    without grouped-query attention), each with that symbol, in the order the layers use them."""
    from .messages import COMPUTE_RENAMED
    out: dict[str, sympy.Symbol] = {}
    for node in model.nodes:
        cost = node.cost
        if cost is None:
            continue
        for s in cost_symbols(cost.macs, cost.other):
            if s.name not in COMPUTE_RENAMED:
                continue
            value = node.values.get(s, s)
            if value != s and isinstance(value, sympy.Symbol) \
                    and value in model.symbols and isinstance(model.symbols[value], int):
                out.setdefault(s.name, value)
    return list(out.items())


def renamed_symbol_rows(model: "Model", f: "Formatter") -> list[tuple[str, str, str]]:
    """``H_kv = H = 32`` and its meaning, for the model's symbol list, with the row of ``H``
    (``H = 32``) it follows there: (row of the symbol it stands for, label, meaning)."""
    from .mathtex import symbol_tex
    from .messages import COMPUTE_SYMBOLS
    rows = []
    for name, target in renamed_symbols(model):
        number = f.math.number(model.symbols[target])
        rows.append((f.m(f"{symbol_tex(target.name)} = {number}"),
                     f.m(f"{symbol_tex(name)} = {symbol_tex(target.name)} = {number}"), COMPUTE_SYMBOLS[name]))
    return rows


def compute_layers(model: "Model", f: "Formatter", detail: str = "compact") -> list[dict[str, Any]]:
    """Each layer's compute: why (the first layer of a type), MACs = formula = numbers = result,
    the other operations the same way, and the meaning of each shape symbol where it first appears.
    In ``compact`` detail a later layer of a type with the same formulas (and nothing new to say)
    gets a short entry, ``brief``: the first such layer and its own numbers (``MACs = …`` and
    ``O = …``, as ``brief_lines`` in a sentence and ``brief_equation`` as a display), written once
    per formulas and values of their symbols (ResNet152's 507 short entries have a few dozen)."""
    from . import messages
    from .mathtex import symbol_tex
    from .view import Record, View
    v = View(f, model)
    macs_label = _label(f, MACS_LABEL)
    seen_types: set[type] = set()
    seen_idle: dict[type, tuple[int, str]] = {}
    seen_symbols: set[str] = set()
    declared = set(model.symbols)  # defined with their values in the document's symbol list
    renamed = {name for name, _ in renamed_symbols(model)}  # H_kv = H: in that list too
    seen_notes: set[tuple] = set()
    seen_formulas: dict[tuple, tuple[int, str]] = {}
    seen_costs: dict[type, list[tuple[int, str, Any, Any]]] = {}
    briefs: dict[tuple, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    sizes = _attention_sizes(model)
    for index, node in enumerate(model.nodes, 1):
        cost = node.cost
        name = f.name(node.name)
        row: dict[str, Any] = {"index": index, "name": name, "type": node.type, "label": node.layer.type_label,
                               "missing": node.cost_missing, "nothing": False, "same": None, "brief": None,
                               "lead": None, "first": type(node.layer) not in seen_types}
        seen_types.add(type(node.layer))
        rows.append(row)
        if cost is None or node.macs is None or node.other_ops is None:
            continue
        nothing = cost.macs == 0 and cost.other == 0
        if nothing:  # a later idle layer of a type says so in one line, naming the first
            first = seen_idle.setdefault(type(node.layer), (index, name))
            row["same"] = first if first[0] != index else None
        free = cost_symbols(cost.macs, cost.other)
        symbols = []
        for s in free:
            meaning = POSITIONS_T if s.name == "T" and node.layer.role in POSITION_ROLES \
                else messages.COMPUTE_SYMBOLS.get(s.name)
            if not meaning or s.name in seen_symbols or s in declared or s.name in renamed:
                continue
            value = node.values.get(s, s)
            if value == s:
                seen_symbols.add(s.name)
                size = sizes.get(s.name) if node.layer.role in POSITION_ROLES else None
                label = symbol_tex(s.name) + ("" if size is None else f" = {f.math.number(size)}")
                symbols.append((f.m(label), meaning))
            elif isinstance(value, sympy.Symbol) and s.name in messages.COMPUTE_RENAMED:
                seen_symbols.add(s.name)  # H_kv = H: the formula's H_kv becomes H in the next step
                symbols.append((f.m(f"{symbol_tex(s.name)} = {symbol_tex(value.name)}"), meaning))
        other_note = _other_note(node, seen_notes, f)
        repeated = not (isinstance(node.repeat, int) and node.repeat == 1)
        if not nothing and not repeated:
            first = seen_formulas.setdefault((type(node.layer), cost.macs, cost.other), (index, name))
            if first[0] != index and detail == "compact" and other_note is None and not symbols \
                    and not cost.other_partial:
                row.update(_brief(v, node, cost, free, macs_label, briefs), brief=first)
                continue
        earlier = seen_costs.setdefault(type(node.layer), [])
        if not nothing:
            row["lead"] = _lead(earlier, cost, f)
            earlier.append((index, node.name, cost.macs, cost.other))
        row.update(
            other_note=other_note,
            explanation=node.layer.compute_explanation_for() if row["first"] else None,
            explanation_math={k: f.math.expr(e) for k, e in node.layer.compute_math().items()},
            nothing=nothing,
            equation=None if nothing else f.dm(_equations(v, node, cost)),
            symbols=symbols, macs=v.count_text(node.macs),
            other=(f.m(r"\geq") + " " if cost.other_partial else "") + v.count_text(node.other_ops),
            partial=messages.OTHER_OPS_PARTIAL if cost.other_partial else None)
    return [Record(r) for r in rows]


ATTENTION_SIZES = frozenset({"H", "H_kv", "T", "T_q", "T_k", "S", "w", "L_w"})
"""An attention's sizes the compute list defines with their value (``H = 4``, ``T = 128``) where
the model gives them one value throughout (a layer's own, not a symbol of the model's list)."""


def _attention_sizes(model: "Model") -> dict[str, int]:
    """Each of :data:`ATTENTION_SIZES` that every layer of a sequence role whose formulas use it
    gives the same whole number: name → value."""
    found: dict[str, set] = {}
    for node in model.nodes:
        cost = node.cost
        if cost is None or node.layer.role not in POSITION_ROLES:
            continue
        values = {**node.values, **cost.values}
        for s in cost_symbols(cost.macs, cost.other):
            if s.name in ATTENTION_SIZES:
                found.setdefault(s.name, set()).add(model.evaluate(values.get(s, s)))
    return {name: next(iter(v)) for name, v in found.items()
            if len(v) == 1 and isinstance(next(iter(v)), int) and not isinstance(next(iter(v)), bool)}


def _brief(v: "View", node: "Node", cost: "Cost", free: tuple[sympy.Symbol, ...], macs_label: str,
           seen: dict[tuple, dict[str, Any]]) -> dict[str, Any]:
    """A short entry's numbers (``brief_lines``, ``brief_equation``, ``macs``, ``other``) for a
    layer of one copy: they follow from its formulas and the values of their symbols alone, so
    they are written once per formulas and values (``seen``)."""
    values = {**node.values, **cost.values}
    sizes = tuple(values.get(s, s) for s in free)
    key: tuple | None = (cost.macs, cost.other, sizes, tuple(map(type, sizes)))  # 3 and Integer(3) apart
    try:
        entry = seen.get(key)  # type: ignore[arg-type]
    except TypeError:  # an unhashable value: without the cache
        key, entry = None, None
    if entry is not None:
        return entry
    from .view import aligned_chains
    chains = _brief_chains(v, values, cost, macs_label)
    entry = {"brief_lines": [v.f.m(c) for c in chains], "brief_equation": v.f.dm(aligned_chains(chains)),
             "macs": v.count_text(node.macs), "other": v.count_text(node.other_ops)}
    if key is not None:
        seen[key] = entry
    return entry


def _lead(earlier: list[tuple[int, str, Any, Any]], cost: "Cost", f: "Formatter") -> tuple[str, int, str] | None:
    """How a full entry of a type shown before relates to the earlier layers of that type:
    ("same", index, name) with the same MACs and O formulas (it is in full for a note of its own),
    ("macs", …) with the same MACs formula but another O (Dense with softmax after one with relu),
    ("other", …) with other formulas than the first (T5's decoder block after the encoder's)."""
    if not earlier:
        return None
    for index, name, macs, other in earlier:
        if macs == cost.macs and other == cost.other:
            return "same", index, f.name(name)
    for index, name, macs, _ in earlier:
        if macs == cost.macs:
            return "macs", index, f.name(name)
    return "other", earlier[0][0], f.name(earlier[0][1])


def _brief_chains(v: "View", values: dict, cost: "Cost", macs_label: str) -> list[str]:
    """``MACs = numbers = result`` and ``O = numbers = result`` (TeX, without the formula), the
    MACs left out where there are none (pooling); ``values``: the layer's and the cost's."""
    from ..model import substitute
    out = []
    for lhs, formula in ((macs_label, cost.macs), ("O", cost.other)):
        if formula == 0:
            continue
        one = substitute(formula, values)
        out.append(v.chain(lhs, formula, values, one, symbols=False))
    return out


# Translators: a subscript in formulas, MACs_local and O_local: one block with local (sliding-window) attention
LOCAL_LABEL = N_("local")
# Translators: a subscript in formulas, MACs_global and O_global: one block with global attention (all positions)
GLOBAL_LABEL = N_("global")


def window_kinds(node: "Node", cost: "Cost") -> bool:
    """Whether the node's L copies are of two kinds, L_w with a sliding window and L − L_w
    attending to all positions (Gemma 2 and 3): its formulas then hold the mean keys per query
    (L_w·min(T, w) + (L − L_w)·T)/L, and the document counts each kind apart."""
    from ..compute import L_w
    repeated = not (isinstance(node.repeat, int) and node.repeat == 1)
    return repeated and L_w in cost.values and L_w in (cost.macs + cost.other).free_symbols


def _kind_lines(v: "View", lhs: str, formula: Any, total: Any, values: dict) -> list[str]:
    """A formula of two kinds of block counted apart: ``lhs_local`` (every layer slides: L_w = L)
    and ``lhs_global`` (none does: L_w = 0), each = formula = numbers = result, then
    ``lhs = L_w · lhs_local + (L − L_w) · lhs_global = 29 × a + 5 × b = total``."""
    from ..compute import L_w, w
    from ..model import substitute
    from .escape import latex_text
    from .i18n import translate
    from ..symbols import sym
    L = sym("L")
    if formula == 0:
        return [rf"{lhs} = 0"]
    labels = [lhs + r"_{\text{" + latex_text(translate(v.f.lang, label)) + "}}" for label in (LOCAL_LABEL, GLOBAL_LABEL)]
    forms = [formula.subs(L_w, L), formula.subs(L_w, 0)]
    lines, each = [], []
    # w in one step with the other sizes: its number alone first is half a step (review 37, en)
    named = {k: x for k, x in values.items() if k not in (L_w, L, w)}
    numeric = v.numeric(values)
    for label, form in zip(labels, forms):
        one = v.evaluate(substitute(form, values))
        lines.append(v.chain(label, form, named, one, numeric=numeric))
        each.append(one)
    n_w, n = v.evaluate(values[L_w]), v.evaluate(values.get(L, L))
    all_ = v.evaluate(total)
    num = v.p.number
    assert n_w * each[0] + (n - n_w) * each[1] == all_
    lines.append(rf"{lhs} = L_{{w}} \cdot {labels[0]} + (L - L_{{w}}) \cdot {labels[1]}"
                 rf" = {num(n_w)} \times {num(each[0])} + {num(n - n_w)} \times {num(each[1])} = {num(all_)}")
    return lines


def _equations(v: "View", node: "Node", cost: "Cost") -> str:
    """``MACs = formula = numbers = result`` and ``O = …`` aligned; for a node of L copies, the
    first copy's (MACs_1, O_1) and then L times it; for copies of two kinds (sliding and global
    attention) each kind's and their sum (:func:`_kind_lines`)."""
    from ..model import substitute
    from .view import aligned_chains
    values = {**node.values, **cost.values}
    repeated = not (isinstance(node.repeat, int) and node.repeat == 1)
    if window_kinds(node, cost):
        return aligned_chains(_kind_lines(v, _label(v.f, MACS_LABEL), cost.macs, node.macs, values)
                              + _kind_lines(v, "O", cost.other, node.other_ops, values))

    def lines(lhs: str, formula: Any, total: Any) -> list[str]:
        one_lhs = lhs + ("_{1}" if repeated else "")
        if formula == 0:
            return [rf"{one_lhs} = 0"]
        one = substitute(formula, values)
        chain = v.chain(one_lhs, formula, values, one)
        if not repeated:
            return [chain]
        # as the parameters' P = L · P_1 = 12 × 7,087,872 = …, not L · (formula) in symbols
        head = rf"{lhs} = {v.p.expr(node.repeat)} \cdot {lhs}_{{1}}"
        n, each, all_ = v.evaluate(node.repeat), v.evaluate(one), v.evaluate(total)
        if isinstance(n, int) and isinstance(each, int):
            return [chain, rf"{head} = {v.p.number(n)} \times {v.p.number(each)} = {v.p.number(n * each)}"]
        if isinstance(all_, int):  # copies that differ (sliding and full layers): MACs_1 is their mean
            return [chain, rf"{head} = {v.p.number(all_)}"]
        return [chain, f"{head} = " + v.value_tex(total)]

    if cost.macs == 0 and not repeated and node.layer.compute_explanation_for():
        # no MACs (pooling): the type's sentence says so, the formula is O alone
        return lines("O", cost.other, node.other_ops)[0]
    return aligned_chains(lines(_label(v.f, MACS_LABEL), cost.macs, node.macs) + lines("O", cost.other, node.other_ops))


def _other_note(node: "Node", seen: set[tuple], f: "Formatter") -> tuple[str, dict[str, Any]] | None:
    """What O counts per output element of a layer with a bias and an ``activation`` argument
    (msgid, arguments), the first time a type shows it with this bias and activation."""
    layer = node.layer
    if layer.role == "activation" and getattr(layer, "activation", None) == "softmax":
        # Keras's Activation("softmax"): its 3 per element named, as a Dense layer's softmax
        if (type(layer), False, "softmax") in seen:
            return None
        seen.add((type(layer), False, "softmax"))
        from . import messages
        return messages.OTHER_OPS["softmax"], {"activation": f.name("softmax")}
    if not hasattr(layer, "activation") or not hasattr(layer, "use_bias") or not layer.output_activation:
        return None
    activation, bias = layer.activation, bool(layer.use_bias)
    ops = activation_ops(activation)
    key = (type(layer), bias, ops and activation)
    if key in seen:
        return None
    seen.add(key)
    from . import messages
    if ops:  # an activation counts 1 per element, softmax 3 (exp, sum, divide)
        kind = ("bias_" if bias else "") + ("softmax" if ops == SOFTMAX_OPS else "activation")
        return messages.OTHER_OPS[kind], {"activation": f.name(str(activation))}
    if bias:
        return messages.OTHER_OPS["bias"], {}
    return None
