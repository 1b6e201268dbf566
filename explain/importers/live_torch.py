"""A live ``torch.nn.Module``: its modules as the library's PyTorch layer types, counted once each.

- A module of a known torch.nn type (Linear, Conv2d, LSTM, MultiheadAttention, LayerNorm, …)
  becomes that layer type, its arguments read from the module, so its derivation is the type's
  formula. It is taken only if the type's weight groups give exactly the module's parameter
  count (and, where the type names its groups by tensor, the same tensors); otherwise the
  module is looked into.
- Any other module is counted from its own (direct) parameter tensors as a ``Tensors`` node
  whose ``origin`` names its class, and its children are looked into.
- A parameter is counted once, where it is first met: tied parameters (the same tensor, or the
  same storage) and modules used twice are marked ``tied_to`` / ``shares`` after that.
- With ``input_shape`` (no batch axis; a list of shapes for several inputs), the module runs once
  on the meta device (a copy; no memory for weights, no computation) with forward hooks, and the
  nodes follow the calls with the shapes recorded; a module called twice appears twice, the
  second time sharing the first's weights.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from ..errors import ExplainError
from ..layers.base import Layer, Shape
from ..layers import hf_blocks
from ..layers.hf_blocks import Tensors
from ..layers.registry import lookup, make
from ..model import Model, Node, Weight, count

_SKIP_ARGS = {"device", "dtype", "trainable"}


def from_torch(module: Any, input_shape: Any = None) -> Model:
    """A model from a live torch.nn.Module (torch is imported only here)."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        raise ExplainError("from_torch needs PyTorch (torch) installed") from None
    if not isinstance(module, torch.nn.Module):
        raise ExplainError(f"from_torch takes a torch.nn.Module. Received: {type(module).__name__}")
    return _Reader(torch, module).read(input_shape)


# ----------------------------------------------------------------------------- known types

def _torch_type(module: Any, torch: Any) -> type[Layer] | None:
    """The library's type for the first torch.nn class in the module's ancestry, if any."""
    for cls in type(module).__mro__:
        if not cls.__module__.startswith("torch.nn"):
            continue
        if cls is torch.nn.Module:
            return None
        try:
            return lookup(cls.__name__, "pytorch")
        except ExplainError:
            continue
    return None


def _args(module: Any, layer_type: type[Layer], torch: Any) -> dict:
    """Constructor arguments read from the module's attributes (torch keeps most of them)."""
    name = layer_type.type_name
    if name in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        return {"d_model": module.self_attn.embed_dim, "nhead": module.self_attn.num_heads,
                "dim_feedforward": module.linear1.out_features, "norm_first": bool(module.norm_first),
                "bias": module.linear1.bias is not None,
                "batch_first": bool(getattr(module.self_attn, "batch_first", False))}
    out: dict = {}
    for f in dataclasses.fields(layer_type):
        if not f.init or f.name in _SKIP_ARGS or f.name.startswith("_") or not hasattr(module, f.name):
            continue
        value = getattr(module, f.name)
        if f.name == "bias" and (value is None or isinstance(value, torch.Tensor)):
            value = value is not None  # a bias tensor, or None with bias=False / affine=False
        elif isinstance(value, torch.Tensor) or callable(value):
            continue
        out[f.name] = _plain(value)
    if name == "MultiheadAttention":
        out["bias"] = module.in_proj_bias is not None
        out["add_bias_kv"] = module.bias_k is not None
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple) or type(value).__name__ == "Size":
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _hf_block(module: Any) -> Layer | None:
    """A transformers block (GPT2Block, LlamaDecoderLayer, …) as the library's block type, its
    sizes read from its submodules; None for any other module."""
    cls = type(module)
    if not cls.__module__.startswith("transformers."):
        return None
    name = cls.__name__
    if name == "GPT2Block":
        return hf_blocks.GPT2Block(hidden_size=module.ln_1.normalized_shape[0],
                                   intermediate_size=module.mlp.c_fc.nf,
                                   add_cross_attention=hasattr(module, "crossattention"))
    if name in ("BertLayer", "RobertaLayer"):
        return getattr(hf_blocks, name)(hidden_size=module.attention.self.query.in_features,
                                   intermediate_size=module.intermediate.dense.out_features,
                                   add_cross_attention=hasattr(module, "crossattention"))
    if name == "TransformerBlock" and ".distilbert." in cls.__module__:
        return hf_blocks.DistilBertBlock(hidden_size=module.attention.q_lin.in_features,
                                         intermediate_size=module.ffn.lin1.out_features)
    decoders = {"LlamaDecoderLayer": hf_blocks.LlamaDecoderLayer, "MistralDecoderLayer": hf_blocks.MistralDecoderLayer,
                "Qwen2DecoderLayer": hf_blocks.Qwen2DecoderLayer, "GemmaDecoderLayer": hf_blocks.GemmaDecoderLayer,
                "Qwen3DecoderLayer": hf_blocks.Qwen3DecoderLayer, "MixtralDecoderLayer": hf_blocks.MixtralDecoderLayer}
    if name in decoders:
        attn, mlp = module.self_attn, module.mlp
        d_h = attn.head_dim
        sizes = dict(hidden_size=attn.q_proj.in_features, num_attention_heads=attn.q_proj.out_features // d_h,
                     num_key_value_heads=attn.k_proj.out_features // d_h, head_dim=d_h,
                     qkv_bias=attn.q_proj.bias is not None, o_bias=attn.o_proj.bias is not None)
        if name == "MixtralDecoderLayer":
            experts, hidden = mlp.experts.down_proj.shape[0], mlp.experts.down_proj.shape[2]
            top_k = getattr(mlp, "top_k", None) or getattr(getattr(mlp, "gate", None), "top_k", 2)
            return decoders[name](intermediate_size=int(hidden), num_local_experts=int(experts),
                                  num_experts_per_tok=int(top_k), **sizes)
        return decoders[name](intermediate_size=mlp.gate_proj.out_features,
                              mlp_bias=mlp.gate_proj.bias is not None, **sizes)
    if name.endswith("RMSNorm") or name == "T5LayerNorm":  # LlamaRMSNorm, GemmaRMSNorm, …: weight d
        weight = module.weight
        if weight.dim() == 1:
            return make("RMSNorm", {"normalized_shape": [int(weight.shape[0])]}, framework="pytorch")
        return None
    if name == "T5Block":
        attn, ff = module.layer[0].SelfAttention, module.layer[-1].DenseReluDense
        gated = hasattr(ff, "wi_0")
        return hf_blocks.T5Block(hidden_size=attn.q.in_features, num_heads=attn.n_heads, d_kv=attn.key_value_proj_dim,
                                 d_ff=(ff.wi_0 if gated else ff.wi).out_features, is_decoder=bool(module.is_decoder),
                                 is_gated_act=gated)
    return None


def _probes(module: Any, layer: Layer) -> Iterable[tuple[Shape, ...]]:
    """Input shapes (no batch axis) to try on a layer when no forward pass gave them."""
    name = layer.type_name
    if isinstance(layer, hf_blocks._Block):
        yield ((None, layer.hidden_size),)
        return
    if name == "MultiheadAttention":
        e = module.embed_dim
        yield ((None, e), (None, module.kdim), (None, module.vdim))
        return
    if name == "TransformerDecoderLayer":
        e = module.self_attn.embed_dim
        yield ((None, e), (None, e))
        return
    if name == "TransformerEncoderLayer":
        yield ((None, module.self_attn.embed_dim),)
        return
    if name == "Bilinear":
        yield ((module.in1_features,), (module.in2_features,))
        return
    normalized = getattr(module, "normalized_shape", None)
    if normalized is not None:
        yield (tuple(normalized),)
    c = next((getattr(module, a) for a in ("in_features", "in_channels", "num_features", "num_channels",
                                            "input_size", "num_parameters") if hasattr(module, a)), None)
    if c is not None:
        for rank in (0, 1, 2, 3):
            yield ((c,) + (None,) * rank,)
            yield ((c,) + (64,) * rank,)
        yield ((None, c),)
    yield ((None,),)


# ----------------------------------------------------------------------------- the reader

@dataclasses.dataclass
class _Unit:
    """A module that becomes a node: a known layer, or its own tensors."""

    name: str
    module: Any
    layer: Layer | None  # None: counted from its direct tensors
    tensors: list[tuple[str, Any, bool]]  # (relative name, tensor, buffer) it owns or reuses


class _Reader:
    def __init__(self, torch: Any, module: Any) -> None:
        self.torch = torch
        self.root = module
        self.units: list[_Unit] = []
        self.by_module: dict[int, _Unit] = {}

    # -- which modules become nodes
    def walk(self, module: Any, name: str, visited: set[int]) -> None:
        if id(module) in visited:
            return
        visited.add(id(module))
        layer = self.known(module)
        if layer is not None:
            tensors = [(n, p, False) for n, p in module.named_parameters(remove_duplicate=False)]
            self.add_unit(_Unit(name, module, layer, tensors))
            return
        own = [(n, p, False) for n, p in module.named_parameters(recurse=False, remove_duplicate=False)]
        own += [(n, b, True) for n, b in module.named_buffers(recurse=False, remove_duplicate=False)
                if b is not None]
        if own:
            self.add_unit(_Unit(name, module, None, own))
        for child_name, child in module.named_children():
            self.walk(child, f"{name}.{child_name}" if name else child_name, visited)

    def add_unit(self, unit: _Unit) -> None:
        self.units.append(unit)
        self.by_module[id(unit.module)] = unit

    def known(self, module: Any) -> Layer | None:
        try:
            layer = _hf_block(module)
        except (AttributeError, TypeError, IndexError, ZeroDivisionError, ExplainError):
            layer = None
        if layer is None:
            layer_type = _torch_type(module, self.torch)
            if layer_type is None:
                return None
            try:
                layer = make(layer_type.type_name, _args(module, layer_type, self.torch), framework="pytorch")
            except ExplainError:
                return None
        params = {n: p.numel() for n, p in module.named_parameters(remove_duplicate=False)}
        weighted = [g for g in layer.weight_groups() if not g.buffer]
        if not params and not weighted:  # weightless, or buffers only (BatchNorm with affine=False)
            return layer if self.weightless or any(True for _ in module.buffers()) else None
        probe = self.probe(layer, module)
        if probe is None:
            return None
        groups = {g.name: int(count(g, probe[1])) for g in weighted}
        if groups == params:
            return layer
        if sum(groups.values()) != sum(params.values()):
            return None
        # groups named by part (self_attn, linear1): take the layer only when no tensor of it is
        # used anywhere else, and all are trainable or all frozen
        if any(self.occurrences[self.key(p)] > 1 for _, p in module.named_parameters(remove_duplicate=False)):
            return None
        flags = {p.requires_grad for p in module.parameters()}
        return layer if len(flags) <= 1 else None

    def probe(self, layer: Layer, module: Any):
        for shapes in _probes(module, layer):
            try:
                out, values = layer.infer(shapes if layer.multi_input else shapes[:1])
                return shapes, values, out
            except (ExplainError, TypeError, ValueError, ZeroDivisionError):
                continue
        return None

    def key(self, tensor: Any) -> Any:
        """One key per tensor: its storage where it has one (views of one storage at the same
        place are the same tensor), else the object."""
        if tensor.device.type != "meta" and tensor.numel() > 0:
            try:
                return ("storage", tensor.untyped_storage().data_ptr(), tensor.storage_offset(),
                        tuple(tensor.shape), tuple(tensor.stride()))
            except (RuntimeError, NotImplementedError):
                pass
        return ("id", id(tensor))

    # -- reading
    def read(self, input_shape: Any) -> Model:
        lazy = next((n for n, p in self.root.named_parameters()
                     if isinstance(p, self.torch.nn.parameter.UninitializedParameter)), None)
        if lazy is not None:
            raise ExplainError(f"the parameter '{lazy}' is not initialized yet (a lazy module): run the "
                               f"module once on an input, then call from_torch")
        self.weightless = input_shape is not None
        self.occurrences: dict[Any, int] = {}
        for _, p in self.root.named_parameters(remove_duplicate=False):
            k = self.key(p)
            self.occurrences[k] = self.occurrences.get(k, 0) + 1
        self.walk(self.root, "", set())
        # the first unit (in module order) holding a tensor owns it; later ones are tied to it
        self.owner: dict[Any, tuple[str, str]] = {}  # key → (unit name, full tensor name)
        self.tied: dict[int, dict[str, tuple[str, str]]] = {}
        for unit in self.units:
            mine: dict[str, tuple[str, str]] = {}
            for rel, t, buffer in unit.tensors:
                if buffer:
                    continue
                k = self.key(t)
                if k in self.owner:
                    mine[rel] = self.owner[k]
                else:
                    self.owner[k] = (self.label(unit), f"{unit.name}.{rel}" if unit.name else rel)
            self.tied[id(unit)] = mine
        self.names: set[str] = set()
        self.input_shapes: list[tuple[int, ...]] = []
        nodes: list[Node] = []
        if input_shape is None:
            for unit in self.units:
                nodes.append(self.node(unit, self.fresh(unit), ("input",), None, None, None))
            inputs: dict[str, Shape] = {"input": ()}
        else:
            calls = self.forward(input_shape)
            inputs = ({"input": self.input_shapes[0]} if len(self.input_shapes) == 1 else
                      {f"input_{i + 1}": s for i, s in enumerate(self.input_shapes)})
            previous: tuple[str, ...] = tuple(inputs)
            first: dict[int, str] = {}
            for unit, shapes, out in calls:
                node = self.node(unit, self.fresh(unit), previous, shapes, out, first.get(id(unit)))
                first.setdefault(id(unit), node.name)
                nodes.append(node)
                previous = (node.name,)
            for unit in self.units:  # never called (used functionally, or not at all)
                if id(unit) not in first and (unit.tensors or unit.layer is None):
                    nodes.append(self.node(unit, self.fresh(unit), tuple(inputs)[:1], None, None, None))
        name = type(self.root).__name__
        return Model(name=name, framework="pytorch", inputs=inputs, nodes=nodes, symbols={},
                     source=f"torch module {name}")

    def label(self, unit: _Unit) -> str:
        return unit.name or type(self.root).__name__

    def fresh(self, unit: _Unit) -> str:
        base = self.label(unit)
        name, i = base, 2
        while name in self.names:
            name, i = f"{base}#{i}", i + 1
        self.names.add(name)
        return name

    def node(self, unit: _Unit, name: str, inputs: tuple[str, ...], shapes: tuple[Shape, ...] | None,
             out: Shape | None, again: str | None) -> Node:
        """The node for ``unit``; ``again``: the node of its first call (this call reuses it)."""
        tied = self.tied[id(unit)]
        params = {rel: t for rel, t, buffer in unit.tensors if not buffer}
        layer, values = unit.layer, {}
        if layer is not None:
            found = None
            if shapes is not None:
                try:
                    o, values = layer.infer(shapes if layer.multi_input else shapes[:1])
                    found = (shapes, values, o)
                except (ExplainError, TypeError, ValueError, ZeroDivisionError):
                    found = None
            found = found or self.probe(layer, unit.module) or (shapes or ((),), {}, out or ())
            shapes = shapes if shapes is not None else found[0]
            values = found[1]
            out = out if out is not None else found[2]
            if params and not any(t.requires_grad for t in params.values()):
                layer = dataclasses.replace(layer, trainable=False)
            groups = layer.weight_groups()
            by_tensor = {g.name for g in groups if not g.buffer} == set(params)
            weights = []
            for g in groups:
                tied_to = None
                if not g.buffer:
                    if again is not None:
                        tied_to = f"{again}.{g.name}"
                    elif by_tensor and g.name in tied:
                        tied_to = tied[g.name][1]
                train = g.trainable and layer.trainable and (
                    params[g.name].requires_grad if by_tensor and g.name in params else True)
                weights.append(Weight(g.name, g.formula, count(g, values), train, g.buffer, tied_to))
        else:
            specs = tuple((rel, t.numel(), bool(t.requires_grad) and not buffer, buffer)
                          for rel, t, buffer in unit.tensors)
            layer = Tensors(tensors=specs, origin=f"module {type(unit.module).__name__}")
            weights = []
            for g, (rel, t, buffer) in zip(layer.weight_groups(), unit.tensors):
                tied_to = None
                if not buffer:
                    tied_to = f"{again}.{rel}" if again is not None else (tied[rel][1] if rel in tied else None)
                weights.append(Weight(g.name, g.formula, count(g, {}), g.trainable, buffer, tied_to))
            shapes = shapes if shapes is not None else ((),)
            out = out if out is not None else shapes[0]
        shares = again
        if shares is None and any(w.tied_to for w in weights):
            shares = next(tied[w.name][0] for w in weights if w.tied_to and w.name in tied)
        return Node(name, layer, inputs, tuple(shapes), tuple(out), values, tuple(weights), shares)

    # -- the forward pass on the meta device
    def forward(self, input_shape: Any) -> list:
        torch = self.torch
        self.input_shapes = _input_shapes(input_shape)
        root = self.root
        calls: list = []
        handles = [unit.module.register_forward_hook(_recorder(unit, calls, torch), with_kwargs=True)
                   for unit in self.units]
        try:
            on_meta = all(t.device.type == "meta" for t in list(root.parameters()) + list(root.buffers()))
            if on_meta:
                run = root
            else:
                from torch.func import functional_call
                state = {n: torch.empty_like(t, device="meta") for n, t in
                         list(root.named_parameters()) + list(root.named_buffers())}

                def run(*args):
                    return functional_call(root, state, args, tie_weights=True, strict=False)
            last_error: BaseException | None = None
            for dtype in (torch.float32, torch.long):
                calls.clear()
                try:
                    args = [torch.zeros((1, *s), dtype=dtype, device="meta") for s in self.input_shapes]
                    with torch.no_grad():
                        run(*args)
                    last_error = None
                    break
                except Exception as e:  # noqa: BLE001 — the user's forward may fail in any way
                    last_error = e
            if last_error is not None:
                raise ExplainError(f"the forward pass on the meta device with input_shape={input_shape!r} "
                                   f"failed: {type(last_error).__name__}: {_first_line(last_error)}")
        finally:
            for h in handles:
                h.remove()
        return calls


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else ""


def _input_shapes(input_shape: Any) -> list[tuple[int, ...]]:
    def one(s: Any) -> tuple[int, ...]:
        if not isinstance(s, (list, tuple)) or not all(isinstance(d, int) and not isinstance(d, bool)
                                                       and d > 0 for d in s):
            raise ExplainError(f"input_shape must be a shape (positive whole numbers, no batch axis) or a "
                               f"list of shapes. Received: input_shape={input_shape!r}")
        return tuple(s)
    if isinstance(input_shape, (list, tuple)) and input_shape and all(isinstance(s, (list, tuple))
                                                                      for s in input_shape):
        return [one(s) for s in input_shape]
    return [one(input_shape)]


def _recorder(unit: _Unit, calls: list, torch: Any):
    """A forward hook that records (unit, input shapes, output shape) without the batch axis
    (axis 1 of a 3-D tensor for modules with batch_first=False)."""
    batch_first = getattr(unit.module, "batch_first", True) is not False

    def strip(t: Any) -> Shape:
        s = tuple(int(d) for d in t.shape)
        if not s:
            return s
        if not batch_first and len(s) == 3:
            return (s[0],) + s[2:]
        return s[1:]

    def hook(module: Any, args: tuple, kwargs: dict, output: Any) -> None:
        tensors = [a for a in list(args) + list(kwargs.values()) if isinstance(a, torch.Tensor)]
        first = output
        while isinstance(first, (tuple, list)) and first:
            first = first[0]
        out = strip(first) if isinstance(first, torch.Tensor) else None
        calls.append((unit, tuple(strip(t) for t in tensors) or ((),), out))
    return hook
