"""What the training-memory section of a derivation shows (``--count memory``): the model
states by optimizer and precision, the equation for mixed-precision Adam, and the activation
estimate, formatted for the format and language; the sentences live in the templates."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..memory import activations, korthikanti_bytes, korthikanti_window_bytes, model_states, per_parameter
from ..msgid import N_
from .escape import latex_text
from .numbers import decimal_symbol, format_bytes

if TYPE_CHECKING:
    from ..model import Model
    from .view import Formatter

# memory of the model states: M alone is the attention notes' causal mask (and Whisper's mel bins)
STATES = r"M_{\text{states}}"

OPTIMIZER_NAMES = (
    # Translators: an optimizer's name in the training-memory table (stochastic gradient descent)
    ("sgd", N_("SGD")),
    ("sgd_momentum", N_("SGD with momentum")),
    ("adam", N_("Adam, AdamW")))


def _bytes(n: int, f: "Formatter", binary: bool = False) -> str:
    text = format_bytes(n, f.lang, binary)
    return latex_text(text) if f.format == "latex" else text


def memory_context(model: "Model", f: "Formatter") -> dict[str, Any]:
    p = f.math
    adam = model_states(model, "adam", "mixed")
    rows = []
    for key, name in OPTIMIZER_NAMES:
        cells = {}
        for precision in ("float32", "mixed"):
            per = per_parameter(key, precision)
            terms = [p.number(per.parameter), p.number(per.gradient)]
            if per.optimizer:
                inner = [p.number(x) for x in (per.master, per.states) if x]
                terms.append(inner[0] if len(inner) == 1 else "(" + " + ".join(inner) + ")")
            states = adam.with_optimizer(key, precision)
            cells[precision] = {"per": f.m(" + ".join(terms) + " = " + p.number(per.total)),
                                "total": _bytes(states.bytes, f)}
        rows.append({"name": name, **cells})
    per = adam.per
    if adam.trainable == adam.count:
        equation = (rf"{STATES} = {p.number(per.total)} \cdot P = {p.number(per.total)} \times {p.number(adam.count)}"
                    rf" = {p.number(adam.bytes)}")
    else:
        rest = per.gradient + per.optimizer
        equation = (rf"{STATES} = {p.number(per.parameter)} \cdot P + {p.number(rest)} \cdot P_{{\text{{train}}}}"
                    rf" = {p.number(per.parameter)} \times {p.number(adam.count)} + {p.number(rest)} \times "
                    rf"{p.number(adam.trainable)} = {p.number(adam.bytes)}")
    acts = activations(model, "mixed")
    act_equation = None
    if acts.elements:
        size = p.number(acts.bytes_per_element)  # A = 2·N_act·B: bytes per value, values per sample, batch
        act_equation = (rf"A = {size} \cdot N_{{\text{{act}}}} \cdot B = {size} \times {p.number(acts.elements)} \times B"
                        rf" = {p.number(acts.bytes_per_sample)} \cdot B")
    return {
        "rows": rows, "equation": f.dm(equation), "bytes": f.num(adam.bytes),
        "size": _bytes(adam.bytes, f), "size_binary": _bytes(adam.bytes, f, True),
        "non_trainable": adam.trainable != adam.count, "buffers": f.num(adam.buffers) if adam.buffers else None,
        "act_equation": f.dm(act_equation) if act_equation else None,
        "act_elements": f.num(acts.elements),
        "n_act": f.m(rf"N_{{\text{{act}}}} = {p.number(acts.elements)}") if acts.elements else None,
        "act_size": _bytes(acts.bytes_per_sample, f),
        "act_size_binary": _bytes(acts.bytes_per_sample, f, True),
        "left_out": [f.name(n) for n in acts.unknown],
        "views": [f.name(n) for n in acts.views],
        "blocks_inside": _transformer_blocks(model, f),
        "korthikanti": _korthikanti_values(model, f, acts.bytes_per_sample if acts.elements and not acts.unknown else None),
        "sep": "" if f.lang == "ja" else " ",
        # French LaTeX: babel-french spaces ";" itself (a typed U+202F is a glyph the font lacks)
        "list_sep": {"ja": "、", "fr": "; " if f.format == "latex" else "\u202f; "}.get(f.lang, "; "),
        "total_line": bool(acts.elements) and not acts.unknown,
        "context": f.num(model.evaluate(model.context)) if model.context is not None else None,
    }


def _transformer_blocks(model: "Model", f: "Formatter") -> dict[str, str] | None:
    """Korthikanti et al. 2022's activations of a transformer block without recomputation,
    34·T·d + 5·H·T² bytes in 16 bits (one sample): where the model has such blocks, the layer
    outputs counted here are a lower bound; None for other models."""
    if not any(n.layer.role == "transformer_block" for n in model.nodes):
        return None
    return {"formula": f.m(r"34\, T d + 5\, H T^{2}"), "ff": f.m("4d"), "T": f.m("T"), "d": f.m("d"), "H": f.m("H")}


def _block_kinds(model: "Model") -> tuple[list, int]:
    """The transformer-block nodes' (node, kind) and the number of blocks they repeat."""
    nodes = [n for n in model.nodes if n.layer.role == "transformer_block"]
    return [(n, n.layer.block_kind()) for n in nodes], sum(int(model.evaluate(n.repeat)) for n in nodes)


def _korthikanti_values(model: "Model", f: "Formatter", bound: int | None) -> dict[str, Any] | None:
    """Korthikanti et al.'s formula with the model's T (the context counted), d and H (the model's
    symbols, or else its blocks' sizes), per block and for all its transformer blocks, beside the
    lower bound counted here (bytes per sample); whether the blocks are the formula's GPT-style
    block (``fits``) and, where not, how they differ (no dropout; dropout inside the feed-forward,
    whose mask of T·f bytes the formula lacks; a gated or other-width feed-forward). None where T,
    d or H is not known."""
    if bound is None:
        return None
    from .mathtex import symbol_tex
    n = f.math.number
    kinds, blocks = _block_kinds(model)
    by_meaning = {model.symbol_meanings.get(s.name): (s, v) for s, v in model.symbols.items() if isinstance(v, int)}
    if model.context is not None and all(m in by_meaning for m in ("positions", "model_width", "heads")):
        t = model.evaluate(model.context)
        if by_meaning["positions"][1] != t:
            return None
        d, h = by_meaning["model_width"][1], by_meaning["heads"][1]
        names = {m: symbol_tex(by_meaning[m][0].name) for m in ("positions", "model_width", "heads")}
    else:
        sizes = set()
        for node, kind in kinds:
            shapes = node.outputs
            if kind is None or len(shapes) != 1 or len(shapes[0]) != 2 or None in shapes[0]:
                return None
            sizes.add((int(model.evaluate(shapes[0][0])), int(model.evaluate(kind.model_width)),
                       int(model.evaluate(kind.heads))))
        if len(sizes) != 1:
            return None
        (t, d, h), = sizes
        names = {"positions": "T", "model_width": "d", "heads": "H"}
    kept, matrices = korthikanti_bytes(t, d, h)
    one = kept + matrices
    known = [k for _, k in kinds if k is not None]
    window = _window(model, kinds, t, d, h) if len(known) == len(kinds) else None
    total = blocks * one if window is None else window["total"]
    widths = {int(model.evaluate(k.width)) for k in known}
    fits = len(known) == len(kinds) and all(k.gpt_style(int(model.evaluate(k.width)), d) for k in known)
    differences = []
    if not fits and len(known) == len(kinds) and len({(k.dropout, k.ff_dropout, k.gated) for k in known}) == 1 \
            and len(widths) == 1:
        kind, (width,) = known[0], widths
        if kind.dropout is False:
            differences.append(("no_dropout", f.m(r"2\, T d + 3\, H T^{2}")))
        if kind.ff_dropout:  # a 1-byte mask of the T·f values after the activation: T·f bytes
            mask = (("" if width == d else rf"{n(width // d)}\, ") + "T d") if width % d == 0 else rf"{n(width)}\, T"
            differences.append(("ff_dropout", f.m(mask)))
        if kind.gated:
            differences.append(("gated", f.num(width)) if width != 4 * d else ("gated_4d", f.m("4d")))
        elif width != 4 * d:
            differences.append(("width", f.num(width)))
        if window is not None:
            differences.append(("sliding" if window["some"] else "sliding_all", f.num(window["count"])))
    return {"T_eq": f.m(f"{names['positions']} = {n(t)}"), "d_eq": f.m(f"{names['model_width']} = {n(d)}"),
            "H_eq": f.m(f"{names['heads']} = {n(h)}"), "block": _bytes(one, f), "total": _bytes(total, f),
            "window": None if window is None else {
                "count": f.num(window["count"]), "some": window["some"], "w_eq": f.m(rf"w = {n(window['w'])}"),
                "term": f.m(r"5\, H T \min(T" + ("; " if decimal_symbol(f.lang) == "," else ", ") + "w)"),
                "block": _bytes(window["block"], f)},
            "n": f.num(blocks), "bound": _bytes(bound, f), "fits": fits, "differences": differences,
            "ff": f.m("4d"), "term": f.m(r"5\, H T^{2}"), "rest": f.m(r"34\, T d"),
            "rest_block": _bytes(kept, f), "rest_total": _bytes(blocks * kept, f)}


def _window(model: "Model", kinds: list, t: int, d: int, h: int) -> dict[str, Any] | None:
    """Where blocks attend within one sliding window w (Gemma 2 and 3, Mistral): Korthikanti et
    al.'s term 5·H·T² becomes 5·H·T·min(T, w) in them, counting only the keys inside the window as
    the compute does; the sum over all blocks, the count of sliding ones, the bytes of one; None
    where no block slides or windows differ."""
    windows, sliding, total, blocks = set(), 0, 0, 0
    kept, matrices = korthikanti_bytes(t, d, h)
    for node, kind in kinds:
        repeat = int(model.evaluate(node.repeat))
        blocks += repeat
        if kind.window is None:
            total += repeat * (kept + matrices)
            continue
        w = int(model.evaluate(kind.window))
        n_w = repeat if kind.sliding is None else int(model.evaluate(kind.sliding))
        windows.add(w)
        sliding += n_w
        total += n_w * sum(korthikanti_window_bytes(t, d, h, w)) + (repeat - n_w) * (kept + matrices)
    if len(windows) != 1 or sliding == 0:
        return None
    w, = windows
    return {"w": w, "count": sliding, "some": sliding < blocks, "total": total,
            "block": sum(korthikanti_window_bytes(t, d, h, w))}
