"""Known wrong ways to count: each function takes a node and returns the counts a student who
made that mistake would get. A claim whose formula or result equals one gets its diagnosis.

Layer-level variants are small functions of the node's hyperparameters (``node.layer``), its
symbol values (``node.values``) and its weight groups (``node.weights``). Shape variants
(padding, off by one) re-run the layers between a changed layer and the claimed one.
Model-level variants (totals) combine the layer ones.

A variant that cannot be computed (an impossible shape, a size that is not a number) is skipped.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ..errors import ExplainError
from ..layers._spatial import Spatial
from ..model import Model, Node, count as group_count
from ..symbols import c_in, c_out, g, m, n_in, n_out, product

CODES = (
    "missing_bias", "extra_bias", "embedding_bias", "bias_size", "missing_input_channels", "groups_ignored",
    "kernel_one_axis", "bn_non_trainable", "buffers_counted", "non_trainable_left_out",
    "rnn_double_bias", "gru_reset_after", "missing_recurrent_weights", "wrong_gate_count",
    "bidirectional_once", "stacked_input_size", "attention_convention",
    "depthwise_separable_confusion", "flatten_size", "wrong_input_shape", "output_off_by_one",
    "wrong_padding", "missing_channels", "dense_whole_input", "vocab_off_by_one",
    "tied_counted_twice", "repeat_counted_once", "carried_forward", "channels_swapped",
    "pooling_skipped", "input_from_wrong_layer", "bn_all_non_trainable", "no_weights", "pool_size",
    "stride_ignored",
)
"""Every diagnosis this module can give (the renderer has a sentence for each)."""


@dataclass(frozen=True)
class Variant:
    """A wrong count: the mistake's code, the count it gives, and facts for the sentence."""

    code: str
    value: int
    detail: dict = field(default_factory=dict, hash=False, compare=False)
    terms: int | None = None
    """How many terms a formula written with this mistake has, where that tells mistakes with
    the same count apart (``1001·16`` against ``1000·16 + 16``)."""


class Context:
    """The model around a node, and exact evaluation of its sizes."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.index = {n.name: i for i, n in enumerate(model.nodes)}
        self.by_name = {n.name: n for n in model.nodes}
        self.memo: dict[tuple, list] = {}
        self._upstream: dict[str, dict[int, dict]] | None = None

    def cached(self, key: tuple, compute: Callable[[], list]) -> list:
        """Variants computed once per worksheet (many claims may ask for the same layer)."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def total(self, kind: str) -> int:
        """The model's ``params``, ``trainable``, ``non_trainable`` or ``buffers`` total, summed
        once per worksheet (each claim and variant asks for it)."""
        key = ("model total", kind)
        if key not in self.memo:
            # buffers are no claim's total: a size that cannot be evaluated gives no variant
            value = (self.int(self.model.buffers_expr) or 0) if kind == "buffers" else getattr(self.model, "total" if kind == "params" else kind)
            self.memo[key] = [value]
        return self.memo[key][0]

    def int(self, v) -> int | None:
        if type(v) is int:
            return v
        if v is None:  # an axis of unknown size
            return None
        try:
            return self.model.evaluate(v)
        except ExplainError:  # not a whole number at the declared values: no variant
            return None


# ----------------------------------------------------------------------------- helpers

_KERNEL_SYMBOL_NAMES = {"k", "k_d", "k_h", "k_w"}


def _is_bias(name: str) -> bool:
    """A bias vector (a normalization's β counts as one)."""
    name = name.lower()
    return "bias" in name or name.endswith("beta")


def _is_bn(node: Node) -> bool:
    return node.layer.role == "batchnorm"


def _inner(node: Node):
    """The layer a wrapper (TimeDistributed, Bidirectional, RNN) wraps, else the node's layer."""
    inner = node.layer.wrapped()
    return inner if inner is not None else node.layer


def _repeat(ctx: Context, node: Node) -> int:
    r = ctx.int(node.repeat) if node.repeat != 1 else 1
    return r or 1


def _params(ctx: Context, node: Node) -> int | None:
    """One copy's parameter count (non-buffer weights)."""
    return ctx.int(sum((w.count for w in node.weights if not w.buffer), 0))


def _weights(ctx: Context, node: Node, keep: Callable) -> int:
    return sum(ctx.int(w.count) or 0 for w in node.weights if keep(w))


def _value(ctx: Context, node: Node, symbol) -> int | None:
    v = node.values.get(symbol)
    return None if v is None else ctx.int(v)


def recount(ctx: Context, node: Node, overrides: dict, only: Callable | None = None) -> int | None:
    """One copy's count with some symbols given other values (over the groups ``only`` keeps)."""
    values = {**node.values, **overrides}
    total = 0
    try:
        for w in node.weights:
            if w.buffer:
                continue
            if only is not None and not only(w):
                continue
            total += ctx.int(group_count(_group(w), values)) or 0
    except (ExplainError, TypeError):  # a value the change left unknown (None) is no size
        return None
    return total


def _group(w):
    from ..layers.base import Group
    return Group(w.name, w.formula, w.trainable, w.buffer)


def relayer(ctx: Context, node: Node, **changes) -> int | None:
    """One copy's count if the layer had other hyperparameters (same inputs)."""
    try:
        layer = dataclasses.replace(node.layer, **changes)
        _, values = layer.infer(node.input_shapes)
        total = 0
        for grp in layer.weight_groups():
            if not grp.buffer:
                total += ctx.int(group_count(grp, values)) or 0
        return total
    except (ExplainError, TypeError):  # the other hyperparameters do not fit the layer or its input
        return None


def _has(layer, name: str) -> bool:
    return any(f.name == name for f in dataclasses.fields(layer))


# ----------------------------------------------------------------------------- per family

def generic(ctx: Context, node: Node) -> Iterator[Variant]:
    """Biases left out or added; non-trainable weights left out; buffers counted."""
    params = _params(ctx, node)
    if params is None:
        return
    bias = _weights(ctx, node, lambda w: _is_bias(w.name) and not w.buffer)
    if bias:
        yield Variant("missing_bias", params - bias, {"bias": bias})
    frozen = _weights(ctx, node, lambda w: not w.trainable and not w.buffer)
    buffers = _weights(ctx, node, lambda w: w.buffer)
    code_frozen = "bn_non_trainable" if _is_bn(node) else "non_trainable_left_out"
    if frozen:
        yield Variant(code_frozen, params - frozen, {"non_trainable": frozen})
    if buffers:
        code = "bn_non_trainable" if _is_bn(node) else "buffers_counted"
        yield Variant(code, params + buffers, {"buffers": buffers})
        stats = _weights(ctx, node, lambda w: w.buffer and "num_batches" not in w.name)
        if stats != buffers:
            yield Variant(code, params + stats, {"buffers": stats})
    inner = node.layer.wrapped()
    if inner is not None and node.layer.role == "bidirectional" and params % 2 == 0:
        yield Variant("bidirectional_once", params // 2, {})


def dense(ctx: Context, node: Node) -> Iterator[Variant]:
    """Dense/Linear: kernel n_in·n_out + bias n_out."""
    i, o = _value(ctx, node, n_in), _value(ctx, node, n_out)
    if i is None or o is None:
        return
    has_bias = any(_is_bias(w.name) for w in node.weights)
    if has_bias:
        for length in (i, 1):
            if length != o:
                yield Variant("bias_size", i * o + length, {"length": length, "expected_length": o})
    else:
        yield Variant("extra_bias", i * o + o, {"bias": o})
    bias = o if has_bias else 0
    flatten = _flatten_before(ctx, node)
    if flatten is not None:
        for v in shape_variants(ctx, flatten, "shape"):
            code = v.code if v.code in ("missing_channels", *_NAMED_WHEREVER) else "flatten_size"
            yield Variant(code, v.value * o + bias, {**v.detail, "inputs": v.value})
    whole = [ctx.int(d) for d in node.input_shapes[0]] if node.input_shapes else []
    if len(whole) > 1 and None not in whole:
        yield Variant("dense_whole_input", product(whole) * o + bias, {"inputs": product(whole)})


def _flatten_before(ctx: Context, node: Node) -> Node | None:
    """The Flatten this layer reads, through weightless layers that keep the shape (Dropout)."""
    by_name = ctx.by_name
    current = node
    for _ in range(8):
        if len(current.inputs) != 1 or current.inputs[0] not in by_name:
            return None
        prev = by_name[current.inputs[0]]
        if prev.layer.role == "flatten":
            return prev
        if prev.weights or prev.output_shape != (prev.input_shapes[0] if prev.input_shapes else None):
            return None
        current = prev
    return None


def _kernel_area(ctx: Context, node: Node) -> int | None:
    ks = [ctx.int(v) for s, v in node.values.items() if s.name in _KERNEL_SYMBOL_NAMES]
    return None if not ks or None in ks else product(ks)


def conv(ctx: Context, node: Node) -> Iterator[Variant]:
    """Convolutions: k_h·k_w·(c_in/g)·c_out + c_out and relatives."""
    K, cin, cout = _kernel_area(ctx, node), _value(ctx, node, c_in), _value(ctx, node, c_out)
    groups = _value(ctx, node, g) or 1
    mult = _value(ctx, node, m) or 1
    if K is None or cin is None:
        return
    has_bias = any(_is_bias(w.name) for w in node.weights)
    role = node.layer.role
    if role in ("conv", "conv_transpose"):
        if cout is None:
            return
        kernel = K * (cin // groups) * cout
        if has_bias:
            for length in (cin, 1):
                if length != cout:
                    yield Variant("bias_size", kernel + length, {"length": length, "expected_length": cout})
        else:
            yield Variant("extra_bias", kernel + cout, {"bias": cout})
        bias = cout if has_bias else 0
        yield Variant("missing_input_channels", K * cout + bias, {"c_in": cin})
        if cin != cout:
            swapped = {"c_in": cin, "c_out": cout}
            if has_bias:
                # the layer read as mapping c_out to c_in channels: the kernel keeps its size
                # ((c_in/g)·c_out = (c_out/g)·c_in), the bias gets c_in entries
                yield Variant("channels_swapped", kernel + cin, swapped)
        if groups != 1:
            yield Variant("groups_ignored", K * cin * cout + bias, {"groups": groups})
            yield Variant("missing_input_channels", K * cout // groups + bias, {"c_in": cin})
        side = _kernel_side(ctx, node)
        if side is not None and side != K:
            yield Variant("kernel_one_axis", side * (cin // groups) * cout + bias, {"kernel": side})
        if role == "conv":
            # separable thinking: depthwise k·c_in + pointwise c_in·c_out + c_out
            yield Variant("depthwise_separable_confusion", K * cin + cin * cout + bias, {"as": "separable"})
    elif role == "depthwise":
        bias = cin * mult if has_bias else 0
        yield Variant("missing_input_channels", K * mult + bias, {"c_in": cin})
        # counted as a full convolution with c_in·m filters
        yield Variant("depthwise_separable_confusion", K * cin * cin * mult + bias, {"as": "conv"})
        if has_bias and cin * mult != 1:
            yield Variant("bias_size", K * cin * mult + 1, {"length": 1, "expected_length": cin * mult})
    elif role == "separable":
        if cout is None:
            return
        bias = cout if has_bias else 0
        depthwise, pointwise = K * cin * mult, cin * mult * cout
        yield Variant("depthwise_separable_confusion", K * cin * cout + bias, {"as": "conv"})
        yield Variant("depthwise_separable_confusion", depthwise + pointwise + cin * mult + bias,
                      {"as": "two_biases"})
        yield Variant("depthwise_separable_confusion", depthwise + (cin * mult if has_bias else 0),
                      {"as": "depthwise"})
        yield Variant("missing_input_channels", K * mult + mult * cout + bias, {"c_in": cin})
        if has_bias:
            yield Variant("bias_size", depthwise + pointwise + cin, {"length": cin, "expected_length": cout})


def _kernel_side(ctx: Context, node: Node) -> int | None:
    ks = [ctx.int(v) for s, v in node.values.items() if s.name in _KERNEL_SYMBOL_NAMES]
    if len(ks) < 2 or None in ks or len(set(ks)) != 1:
        return None
    return ks[0]


def batchnorm(ctx: Context, node: Node) -> Iterator[Variant]:
    """BatchNorm: Keras 4C (2C non-trainable); PyTorch 2C parameters + buffers."""
    params = _params(ctx, node)
    if params is None:
        return
    channels = None
    for w in node.weights:
        if w.name in ("gamma", "beta", "weight", "bias", "moving_mean", "running_mean"):
            channels = ctx.int(w.count)
            break
    if channels is None:
        return
    frozen = _weights(ctx, node, lambda w: not w.trainable and not w.buffer)
    if node.layer.framework == "keras" or frozen:
        if params != 2 * channels:
            yield Variant("bn_non_trainable", 2 * channels, {"non_trainable": params - 2 * channels})
    else:
        yield Variant("bn_non_trainable", params + 2 * channels, {"buffers": 2 * channels})


def rnn(ctx: Context, node: Node) -> Iterator[Variant]:
    """SimpleRNN/LSTM/GRU: G·h·(i + h) + G·h (Keras) or + 2G·h (PyTorch), G gates."""
    params = _params(ctx, node)
    layer = _inner(node)
    gates = _gates(layer)
    if params is None or gates is None:
        return
    biases = [w for w in node.weights if _is_bias(w.name) and not w.buffer]
    bias = sum(ctx.int(w.count) or 0 for w in biases)
    recurrent = _weights(ctx, node, lambda w: ("recurrent" in w.name or "weight_hh" in w.name)
                         and not _is_bias(w.name))
    torch_style = "pytorch" in (node.layer.framework, layer.framework)
    is_gru = gates == 3  # GRU's update, reset and candidate gates
    reset_after = bool(getattr(layer, "reset_after", False))
    if bias:
        if torch_style:
            # one bias vector per gate set, as Keras has it
            yield Variant("rnn_double_bias", params - bias // 2, {"framework": "pytorch"})
        elif is_gru and reset_after:
            yield Variant("gru_reset_after", params - bias // 2, {"reset_after": True})
            yield Variant("rnn_double_bias", params + bias, {"framework": "keras", "reset_after": True})
        elif is_gru:
            yield Variant("gru_reset_after", params + bias, {"reset_after": False})
            yield Variant("rnn_double_bias", params + bias, {"framework": "keras"})
        else:
            yield Variant("rnn_double_bias", params + bias, {"framework": "keras"})
    if recurrent:
        yield Variant("missing_recurrent_weights", params - recurrent, {"recurrent": recurrent})
    yield from _gate_counts(ctx, node, params, bias, gates)
    if torch_style:
        yield from _stacked(ctx, node, layer, gates)
        if getattr(layer, "bidirectional", False) and params % 2 == 0:
            yield Variant("bidirectional_once", params // 2, {})


def _gate_counts(ctx: Context, node: Node, params: int, bias: int, gates: int) -> Iterator[Variant]:
    """Another gate count G' (a GRU counted with LSTM's 4, an LSTM with GRU's 3): the weights
    G'/G times as many, with as many bias vectors of h per gate as the layer has, or one, or two
    (4h(i + h) + 4h for a Keras GRU whose true count is 3h(i + h) + 6h)."""
    h = next((ctx.int(v) for s, v in node.values.items() if s.name == "h"), None)
    projection = _weights(ctx, node, lambda w: "weight_hr" in w.name and not w.buffer)
    per_gate, left = divmod(params - bias - projection, gates)
    if left:
        return
    vectors = {bias // (gates * h)} if h and bias % (gates * h) == 0 else set()
    if h:
        vectors |= {1, 2} if bias else set()
    for other in (1, 3, 4):
        if other == gates:
            continue
        detail = {"gates": other, "expected_gates": gates}
        if (params * other) % gates == 0:
            yield Variant("wrong_gate_count", params * other // gates, detail)
        for n in sorted(vectors):
            yield Variant("wrong_gate_count", other * per_gate + projection + n * other * (h or 0), detail)


def _stacked(ctx: Context, node: Node, layer, gates: int) -> Iterator[Variant]:
    """PyTorch layers after the first see h·D inputs (p·D with proj_size), not input_size."""
    i = ctx.int(getattr(layer, "input_size", None) or 0)
    h = ctx.int(getattr(layer, "hidden_size", None) or 0)
    layers = ctx.int(getattr(layer, "num_layers", None) or 1) or 1
    directions = 2 if getattr(layer, "bidirectional", False) else 1
    upper = [w for w in node.weights if re.match(r"weight_ih_(l[1-9]|upper)", w.name)]
    if not i or not h or layers < 2 or not upper:
        return
    params = _params(ctx, node) or 0
    current = sum(ctx.int(w.count) or 0 for w in upper)
    wrong = (layers - 1) * directions * gates * h * i
    if wrong != current:
        yield Variant("stacked_input_size", params - current + wrong, {"input_size": i})


def attention(ctx: Context, node: Node) -> Iterator[Variant]:
    """Multi-head attention: Keras grows with num_heads·key_dim; PyTorch is 4E² + 4E."""
    layer = node.layer
    params = _params(ctx, node)
    if params is None or not node.input_shapes or not node.input_shapes[0]:
        return
    E = ctx.int(node.input_shapes[0][-1])
    if not E:
        return
    heads = ctx.int(getattr(layer, "num_heads", None) or 0)
    if node.layer.framework == "pytorch":
        E = ctx.int(getattr(layer, "embed_dim", None) or E) or E
        if heads:
            # Keras thinking: every head projects to E columns
            HE = heads * E
            yield Variant("attention_convention", 3 * (E * HE + HE) + HE * E + E, {"framework": "keras"})
        return
    yield Variant("attention_convention", 4 * E * E + 4 * E, {"framework": "pytorch", "E": E})
    if heads and heads > 1:
        if _has(layer, "num_heads"):
            v = relayer(ctx, node, num_heads=1)
            if v is not None and v != params:
                yield Variant("attention_convention", v, {"heads": 1})
        key_dim = ctx.int(getattr(layer, "key_dim", None) or 0)
        if key_dim and E % heads == 0 and key_dim != E // heads and _has(layer, "key_dim"):
            v = relayer(ctx, node, key_dim=E // heads)
            if v is not None and v != params:
                yield Variant("attention_convention", v, {"key_dim": E // heads})


def embedding(ctx: Context, node: Node) -> Iterator[Variant]:
    """Embedding: V·d; no bias."""
    layer = node.layer
    V = ctx.int(getattr(layer, "input_dim", None) or getattr(layer, "num_embeddings", None) or 0)
    d = ctx.int(getattr(layer, "output_dim", None) or getattr(layer, "embedding_dim", None) or 0)
    if not V or not d:
        return
    yield Variant("embedding_bias", V * d + d, {"bias": d}, terms=2)
    yield Variant("vocab_off_by_one", (V + 1) * d, {"vocab": V + 1}, terms=1)
    yield Variant("vocab_off_by_one", (V - 1) * d, {"vocab": V - 1}, terms=1)


_WEIGHTLESS = {"pool": "pool", "global_pool": "pool", "adaptive_pool": "pool", "dropout": "dropout",
               "flatten": "rearrange", "reshape": "rearrange"}
"""The roles whose sentence says why the layer has no weights; other roles get the general one."""


def no_weights(node: Node, claimed: int) -> Variant:
    """Weights claimed for a layer that has none (3·3·32 for a 3 × 3 max pooling)."""
    return Variant("no_weights", claimed, {"kind": _WEIGHTLESS.get(node.layer.role, "other")})


def _gates(layer) -> int | None:
    """The gate count of a recurrent layer that declares one (not ConvLSTM, StackedRNNCells)."""
    return getattr(layer, "gates", None) if layer.role == "recurrent" else None


# The mistakes of each kind of layer, by the role its class declares.
_FAMILIES: dict[str, Callable[[Context, Node], Iterable[Variant]]] = {
    "dense": dense, "conv": conv, "conv_transpose": conv, "depthwise": conv, "separable": conv,
    "batchnorm": batchnorm, "recurrent": rnn, "attention": attention, "embedding": embedding,
}


_INPUT_SYMBOLS = ("n_in",)


def wrong_input_layer(ctx: Context, node: Node) -> Iterator[Variant]:
    """A recurrent or dense layer counted with the input size of another layer: an RNN after
    ``Bidirectional`` with one direction's h instead of 2h; a stacked LSTM with the model's
    input size. Only last-axis (features) sizes; the layer's own input is the true one."""
    symbol = next((s for s in node.values if s.name in _INPUT_SYMBOLS), None)
    true = _value(ctx, node, symbol) if symbol is not None else None
    if not true:
        return
    candidates: list[tuple[int, dict]] = []
    for name, shape in ctx.model.inputs.items():
        if shape:
            candidates.append((ctx.int(shape[-1]) or 0, {"source": name}))
    candidates.extend(upstream_sizes(ctx)[node.name].items())
    seen = {true}
    for size, detail in candidates:
        if size <= 0 or size in seen:
            continue
        seen.add(size)
        value = recount(ctx, node, {symbol: size})
        if value is not None:
            yield Variant("input_from_wrong_layer", value,
                          {**detail, "size": size, "expected_size": true})


MAX_UPSTREAM_SIZES = 16
"""How many different feature sizes before a layer the mistake search tries as its input size."""


def upstream_sizes(ctx: Context) -> dict[str, dict[int, dict]]:
    """For each node, the different last-axis sizes of the outputs that feed it, directly or
    further back (nearest first, at most ``MAX_UPSTREAM_SIZES``): size -> where it comes from
    (a bidirectional output also offers one direction's half). One pass over the model in its
    order, each node merging its inputs' bounded maps: linear in the model's size."""
    if ctx._upstream is None:
        by_name = ctx.by_name
        table: dict[str, dict[int, dict]] = {}
        for node in ctx.model.nodes:
            sizes: dict[int, dict] = {}
            sources = [by_name[r] for r in node.inputs if r in by_name]
            for other in sources:
                last = ctx.int(other.output_shape[-1]) if other.output_shape else None
                if last:
                    sizes.setdefault(last, {"source": other.name})
                    if other.layer.role == "bidirectional" and last % 2 == 0:
                        sizes.setdefault(last // 2, {"source": other.name, "direction": True})
            for other in sources:
                for size, detail in table.get(other.name, {}).items():
                    if len(sizes) >= MAX_UPSTREAM_SIZES:
                        break
                    sizes.setdefault(size, detail)
            table[node.name] = sizes
        ctx._upstream = table
    return ctx._upstream


def layer_variants(ctx: Context, node: Node) -> list[Variant]:
    """The counts of the known mistakes for one layer (all its copies, as the claim counts it)."""
    return ctx.cached(("layer", node.name), lambda: _layer_variants(ctx, node))


def _layer_variants(ctx: Context, node: Node) -> list[Variant]:
    out: list[Variant] = []
    target = node
    family = _FAMILIES.get(node.layer.role)
    if family is None and node.layer.wrapped() is not None:
        family = _FAMILIES.get(_inner(node).role)
    if family is not None:
        out.extend(family(ctx, target))
    out.extend(generic(ctx, node))
    out.extend(wrong_input_layer(ctx, node))
    r = _repeat(ctx, node)
    if r != 1:
        out = [Variant(v.code, v.value * r, v.detail, v.terms) for v in out]
        p = _params(ctx, node)
        if p is not None:
            out.append(Variant("repeat_counted_once", p, {"repeat": r}))
    return _unique(out)


def _unique(variants: Iterable[Variant]) -> list[Variant]:
    seen: set[tuple[str, int]] = set()
    out = []
    for v in variants:
        if (v.code, v.value) not in seen:
            seen.add((v.code, v.value))
            out.append(v)
    return out


# ----------------------------------------------------------------------------- shapes

MAX_SHAPE_SOURCES = 12
_PASS_THROUGH = ("flatten", "reshape")
"""Roles of the layers that only rearrange their input: the output has as many values."""


MAX_ANCESTORS = 64
"""How far back the shape mistake search looks for a convolution or pooling whose output was
got wrong: the nearest layers, so that diagnosing every layer stays linear in the model's size."""


def _ancestors(ctx: Context, node: Node, limit: int = MAX_ANCESTORS) -> list[Node]:
    """Up to ``limit`` nodes that feed ``node`` (nearest first), ``node`` included."""
    by_name = ctx.by_name
    seen, stack = {node.name}, [node]
    out: list[Node] = []
    while stack and len(out) < limit:
        n = stack.pop()
        out.append(n)
        for ref in n.inputs:
            if ref in by_name and ref not in seen:
                seen.add(ref)
                stack.append(by_name[ref])
    return sorted(out, key=lambda n: -ctx.index[n.name])


def _spatial(node: Node) -> bool:
    """A convolution or pooling over spatial axes (Keras or PyTorch)."""
    fields = ("padding", "pool_size", "kernel_size")
    return len(node.output_shape) >= 2 and any(_has(node.layer, f) for f in fields) \
        and not node.layer.multi_input


def _split(layer, shape):
    """(spatial sizes, channels) and the inverse: channels last (Keras) or first (PyTorch)."""
    if isinstance(layer, Spatial):
        return layer.split(shape), layer.join
    if layer.framework == "pytorch":
        return (tuple(shape[1:]), shape[0]), lambda sp, ch: (ch,) + tuple(sp)
    return (tuple(shape[:-1]), shape[-1]), lambda sp, ch: tuple(sp) + (ch,)


def _perturbations(source: Node) -> Iterator[tuple[str, dict, Callable]]:
    """Ways a student gets ``source``'s output wrong: (code, detail, output-shape function)."""
    layer = source.layer
    padding = getattr(layer, "padding", None) if _has(layer, "padding") else None
    if padding in ("same", "valid"):
        other: dict[str, Any] = {"padding": "valid" if padding == "same" else "same"}
        try:
            flipped = dataclasses.replace(layer, **other)
        except ExplainError:  # the other padding is not allowed with the layer's other arguments
            flipped = None
        if flipped is not None:
            yield "wrong_padding", {"layer": source.name, "padding": other["padding"], "actual": padding}, \
                lambda shapes, fl=flipped: fl.infer(shapes)[0]
    if layer.role == "pool" and source.input_shapes and source.input_shapes[0] != source.output_shape:
        yield "pooling_skipped", {"layer": source.name}, lambda shapes: shapes[0]
    yield from _window_perturbations(source)
    for delta in (1, -1):
        def shift(shapes, d=delta, lyr=layer):
            out = lyr.infer(shapes)[0]
            (spatial, channels), join = _split(lyr, out)
            return join(tuple(x + d for x in spatial), channels)
        yield "output_off_by_one", {"layer": source.name, "delta": delta}, shift


_WINDOW_FIELDS = (("pool_size", "strides"), ("kernel_size", "strides"), ("kernel_size", "stride"))
"""(window, stride) fields: Keras pooling, Keras convolutions, PyTorch's both."""
_STRIDED = ("pool", "conv", "depthwise", "separable")


def _window_perturbations(source: Node) -> Iterator[tuple[str, dict, Callable]]:
    """A pool of 2 assumed for a pool of another size, and a stride left out (taken as 1): the
    layer re-run with those hyperparameters. Square windows and equal strides only,
    the sizes a sentence can name."""
    layer = source.layer
    if layer.role not in _STRIDED:
        return
    fields = next(((w, st) for w, st in _WINDOW_FIELDS if _has(layer, w) and _has(layer, st)), None)
    if fields is None:
        return
    wf, sf = fields
    window, stride = getattr(layer, wf), getattr(layer, sf)
    if not isinstance(window, tuple) or len(set(window)) != 1 or not isinstance(window[0], int):
        return
    step = stride if stride else (window if layer.role == "pool" else None)
    if not isinstance(step, tuple) or len(set(step)) != 1 or not isinstance(step[0], int):
        return
    rank = len(window)

    def rerun(**changes):
        try:
            changed = dataclasses.replace(layer, **changes)
        except (ExplainError, TypeError):  # the layer refuses the changed hyperparameters
            return None
        return lambda shapes, lyr=changed: lyr.infer(shapes)[0]

    if layer.role == "pool" and window[0] != 2:  # the pool of 2 most examples use
        changes = {wf: (2,) * rank}
        if not stride or tuple(stride) == tuple(window):  # the stride follows the pool size
            changes[sf] = (2,) * rank
        make = rerun(**changes)
        if make is not None:
            yield "pool_size", {"layer": source.name, "pool": window[0], "assumed": 2}, make
    if step[0] > 1:
        make = rerun(**{sf: (1,) * rank})
        if make is not None:
            yield "stride_ignored", {"layer": source.name, "stride": step[0]}, make


def _propagate(ctx: Context, source: Node, make_output: Callable, target: Node):
    """Re-run the layers from ``source`` to ``target`` with ``source``'s output changed:
    (target's output shape, target's symbol values, source's new output)."""
    model = ctx.model
    shapes = dict(model.inputs)
    start, stop = ctx.index[source.name], ctx.index[target.name]
    for n in model.nodes[:start]:
        shapes[n.name] = n.output_shape
    values = target.values
    new_source = None
    for n, out, vals in _replay(model.nodes[start:stop + 1], shapes, source, make_output):
        if n is source:
            new_source = out
        if n is target:
            values = vals
    return shapes[target.name], values, new_source


def _replay(nodes: Iterable[Node], shapes: dict, source: Node, make_output: Callable):
    """Re-run ``nodes`` with ``source``'s output shape replaced by ``make_output(its inputs)``:
    each node with its (possibly new) output shape and symbol values; fills in ``shapes``."""
    changed: set[str] = set()
    for n in nodes:
        ins = tuple(shapes[r] for r in n.inputs)
        if n is source:
            out, vals = tuple(make_output(ins)), n.values
        elif any(r in changed for r in n.inputs):
            out, vals = n.layer.infer(ins)
            out = tuple(out)
        else:
            out, vals = n.output_shape, n.values
        if out != n.output_shape:
            changed.add(n.name)
        shapes[n.name] = out
        yield n, out, vals


def shape_variants(ctx: Context, node: Node, kind: str) -> list[Variant]:
    """Counts (``kind='params'``) or output sizes (``kind='shape'``) of ``node`` computed from
    a wrong output shape of one of the convolutions or poolings before it (or its own)."""
    return ctx.cached(("shape", node.name, kind), lambda: _shape_variants(ctx, node, kind))


_NAMED_WHEREVER = ("pooling_skipped", "pool_size", "stride_ignored")


def _keep(code: str, general: str) -> str:
    """A skipped pooling layer, a wrong pool size or a stride left out is named as such
    wherever its wrong size arrives (its sentence names the layer)."""
    return code if code in _NAMED_WHEREVER else general


def _shape_variants(ctx: Context, node: Node, kind: str) -> list[Variant]:
    out: list[Variant] = []
    before = _ancestors(ctx, node)
    sources = [n for n in before if _spatial(n)][:MAX_SHAPE_SOURCES]
    through_flatten = any(n.layer.role in _PASS_THROUGH for n in before)
    for source in sources:
        for code, detail, make in _perturbations(source):
            try:
                shape, values, new = _propagate(ctx, source, make, node)
                detail = {**detail, "shape": tuple(ctx.int(d) for d in new),
                          "expected_shape": tuple(ctx.int(d) for d in source.output_shape)}
                if kind == "shape":
                    dims = [ctx.int(d) for d in shape]
                    if any(d is None or d <= 0 for d in dims):
                        continue
                    c = "flatten_size" if node.layer.role in _PASS_THROUGH and source is not node else code
                    out.append(Variant(_keep(code, c), product(dims), detail))
                else:
                    value = recount(ctx, node, values)
                    if value is None:
                        continue
                    if through_flatten and node.layer.role not in _PASS_THROUGH:
                        c = "flatten_size"
                    else:
                        c = "wrong_input_shape"
                    out.append(Variant(_keep(code, c), value * _repeat(ctx, node), detail))
            except (ExplainError, TypeError):  # an impossible shape (or an unknown size) is no variant
                continue
    if kind == "shape" and node.output_shape:
        cin, cout = _value(ctx, node, c_in), _value(ctx, node, c_out)
        dims = [ctx.int(d) for d in node.output_shape]
        if cin and cout and cin != cout and None not in dims and dims:
            (spatial, channels), _join = _split(node.layer, tuple(dims))
            if channels == cout:
                out.append(Variant("channels_swapped", product(spatial) * cin, {"c_in": cin, "c_out": cout}))
        if len(dims) > 1 and None not in dims:
            out.append(Variant("missing_channels", product(dims[:-1]), {"channels": dims[-1]}))
        if node.layer.role in _PASS_THROUGH and node.input_shapes and len(node.input_shapes[0]) > 1:
            ins = [ctx.int(d) for d in node.input_shapes[0]]
            if None not in ins:
                out.append(Variant("missing_channels", product(ins[:-1]), {"channels": ins[-1]}))
    return _unique(out)


# ----------------------------------------------------------------------------- totals

def total_variants(ctx: Context, kind: str = "params") -> list[Variant]:
    """Wrong totals: one layer (or every layer) counted with a known mistake, non-trainable
    weights left out, buffers or tied weights counted."""
    return ctx.cached(("total", kind), lambda: _total_variants(ctx, kind))


def _total_variants(ctx: Context, kind: str) -> list[Variant]:
    model = ctx.model
    expected = ctx.total(kind)
    out: list[Variant] = []
    if kind == "params":
        frozen = ctx.total("non_trainable")
        if frozen:
            has_bn = any(_is_bn(n) and _weights(ctx, n, lambda w: not w.trainable) for n in model.counted())
            out.append(Variant("bn_non_trainable" if has_bn else "non_trainable_left_out",
                               expected - frozen, {"non_trainable": frozen}))
        buffers = ctx.total("buffers")
        if buffers:
            bn_buffers = all(_is_bn(n) for n in model.counted() if _weights(ctx, n, lambda w: w.buffer))
            out.append(Variant("bn_non_trainable" if bn_buffers else "buffers_counted",
                               expected + buffers, {"buffers": buffers}))
        tied = [n for n in model.nodes
                if any(w.tied_to and not w.buffer for w in n.weights)]
        if tied:
            extra = sum(_weights(ctx, n, lambda w: w.tied_to and not w.buffer)
                        * _repeat(ctx, n) for n in tied)
            if extra:
                out.append(Variant("tied_counted_twice", expected + extra,
                                   {"layers": ", ".join(n.name for n in tied), "extra": extra}))
        per_code: dict[str, int] = {}
        per_detail: dict[str, dict] = {}
        for node in model.counted():
            if any(w.tied_to for w in node.weights):
                continue  # its count in the total is partial; its own variants do not apply
            p = ctx.int(node.params)
            if p is None:
                continue
            seen_codes = set()
            for v in layer_variants(ctx, node):
                out.append(Variant(v.code, expected - p + v.value, {**v.detail, "layer": node.name}))
                if v.code not in seen_codes:
                    seen_codes.add(v.code)
                    per_code[v.code] = per_code.get(v.code, 0) + v.value - p
                    d = per_detail.setdefault(v.code, dict(v.detail))
                    if d is not v.detail:
                        for key in _SUMMED:
                            if isinstance(v.detail.get(key), int) and isinstance(d.get(key), int):
                                d[key] += v.detail[key]
        for code, delta in per_code.items():
            out.append(Variant(code, expected + delta, {**per_detail[code], "layer": "every"}))
        # one wrong shape upstream changes every count after it
        out.extend(_total_shape_variants(ctx, expected))
    elif kind == "trainable":
        frozen = ctx.total("non_trainable")
        if frozen:
            out.append(Variant("bn_non_trainable", expected + frozen, {"non_trainable": frozen}))
        moved, stats = _bn_split(ctx)
        if moved:
            out.append(Variant("bn_all_non_trainable", expected - moved,
                               {"non_trainable": stats, "trainable": moved}))
    elif kind == "non_trainable":
        moved, stats = _bn_split(ctx)
        if stats:  # the classic one: Keras's moving statistics left out (often claimed as 0)
            out.append(Variant("bn_non_trainable", expected - stats, {"non_trainable": stats}))
        if moved:
            out.append(Variant("bn_all_non_trainable", expected + moved,
                               {"non_trainable": stats, "trainable": moved}))
        buffers = ctx.total("buffers")
        if buffers:
            out.append(Variant("buffers_counted", expected + buffers, {"buffers": buffers}))
    return _unique(out)


def _bn_split(ctx: Context) -> tuple[int, int]:
    """Keras BatchNormalization in the model: (trainable γ and β, non-trainable statistics) —
    a student who counts all 4C as non-trainable moves the first from one total to the other."""
    trained = stats = 0
    for n in ctx.model.counted():
        if _is_bn(n) and n.layer.framework == "keras":
            trained += _weights(ctx, n, lambda w: w.trainable and not w.buffer) * _repeat(ctx, n)
            stats += _weights(ctx, n, lambda w: not w.trainable and not w.buffer) * _repeat(ctx, n)
    return (trained, stats) if stats else (0, 0)


_SUMMED = ("bias", "non_trainable", "buffers", "recurrent", "extra")


def _total_shape_variants(ctx: Context, expected: int) -> list[Variant]:
    model = ctx.model
    out = []
    sources = [n for n in reversed(model.nodes) if _spatial(n)][:MAX_SHAPE_SOURCES]
    through = any(n.layer.role in _PASS_THROUGH for n in model.nodes)
    for source in sources:
        for code, detail, make in _perturbations(source):
            try:
                total = 0
                shapes = dict(model.inputs)
                for n, _, vals in _replay(model.nodes, shapes, source, make):
                    if vals is n.values:
                        total += ctx.int(n.own("params")) or 0
                    else:
                        total += (recount(ctx, n, vals, lambda w: not w.tied_to) or 0) \
                            * _repeat(ctx, n)
                if total != expected:
                    out.append(Variant(_keep(code, "flatten_size" if through else code), total,
                                       {**detail, "shape": tuple(ctx.int(d) for d in shapes[source.name])}))
            except (ExplainError, TypeError):  # an impossible shape (or an unknown size) is no variant
                continue
    return out


WEAK = frozenset({"kernel_one_axis", "wrong_gate_count", "dense_whole_input", "vocab_off_by_one"})
"""Rarer mistakes: named only when no common one gives the same number."""


def match(variants: Iterable[Variant], wrong_values: Iterable[int], formula=None) -> list[Variant]:
    """The variants whose count is one of the claim's wrong numbers (rarer ones only alone);
    where the formula's number of terms tells variants with the same count apart, it decides."""
    wrong = set(wrong_values)
    found = [v for v in variants if v.value in wrong]
    if formula is not None and found:
        from .arith import terms
        n = len(terms(formula))
        fitting = [v for v in found if v.terms == n]
        if fitting:
            same = {v.value for v in fitting}
            found = [v for v in found if v.value not in same or v.terms in (None, n)]
    strong = [v for v in found if v.code not in WEAK]
    if strong:
        found = [v for v in found if v.code not in WEAK or v.value not in {s.value for s in strong}]
    return found


# ----------------------------------------------------------------------------- the claim's terms

def structural(ctx: Context, node: Node, formula) -> list[Variant]:
    """Mistakes read from the terms of the claim's formula, where no whole count matched:
    each term is set against the layer's weight groups (``3·3·3·32 + 16``: the kernel is right,
    the bias has the wrong length)."""
    from .arith import evaluate, factors, terms
    if formula is None:
        return []
    term_list = terms(formula)  # a parsed formula: its numbers were bounded while reading it
    values = [evaluate(t) for t in term_list]
    groups = [(w, ctx.int(w.count)) for w in node.weights if not w.buffer]
    if any(c is None for _, c in groups) or len(values) > 32:
        return []
    unmatched_groups = list(groups)
    unmatched_terms = []
    for t, v in zip(term_list, values):
        hit = next((g for g in unmatched_groups if g[1] == v), None)
        if hit is not None:
            unmatched_groups.remove(hit)
        else:
            unmatched_terms.append((t, v))
    claimed = sum(values)
    out: list[Variant] = []
    rnn_like = _gates(_inner(node)) is not None
    if not unmatched_terms and unmatched_groups:
        for w, c in unmatched_groups:
            if _is_bias(w.name):
                out.append(Variant("missing_bias", claimed, {"bias": c}))
            elif not w.trainable:
                out.append(Variant("bn_non_trainable" if _is_bn(node) else "non_trainable_left_out",
                                   claimed, {"non_trainable": c}))
            elif "recurrent" in w.name or "weight_hh" in w.name:
                out.append(Variant("missing_recurrent_weights", claimed, {"recurrent": c}))
            elif "pointwise" in w.name:
                out.append(Variant("depthwise_separable_confusion", claimed, {"as": "depthwise"}))
    elif not unmatched_groups and unmatched_terms:
        biases = {c for w, c in groups if _is_bias(w.name)}
        if all(v in biases for _, v in unmatched_terms):
            inner = _inner(node)
            torch_style = "pytorch" in (node.layer.framework, inner.framework)
            reset_after = rnn_like and _gates(inner) == 3 and bool(getattr(inner, "reset_after", False))
            out.append(Variant("rnn_double_bias" if rnn_like else "extra_bias", claimed,
                               {"framework": "pytorch" if torch_style else "keras", "bias": unmatched_terms[0][1],
                                "reset_after": reset_after}))
    elif len(unmatched_terms) == 1 and len(unmatched_groups) == 1:
        (term, v), (w, c) = unmatched_terms[0], unmatched_groups[0]
        if _is_bias(w.name):
            out.append(Variant("bias_size", claimed, {"length": v, "expected_length": c}))
        elif "kernel" in w.name or "weight" in w.name:
            cin = _value(ctx, node, c_in)
            used = [evaluate(f) for f in factors(term)]
            if cin and cin > 1 and c == v * cin and cin not in used:
                out.append(Variant("missing_input_channels", claimed, {"c_in": cin}))
    return out
