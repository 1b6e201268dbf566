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
  second time sharing the first's weights. A call in the forward between modules that changes
  the data's shape (``x.mean(1)``, ``torch.flatten(x, 1)``; ``torch_forward._step``) is a row
  without parameters named as the call (``layers.torch_parameter.step``).
"""
from __future__ import annotations

import dataclasses
import itertools
import reprlib
import sys
import warnings

import sympy
from typing import Any, Iterable

from ..errors import ExplainError
from ..layers.base import Layer, Shape
from ..layers.tensors import Tensors
from ..layers.registry import find, make
from ..layers import torch_parameter
from ..layers.torch_parameter import Parameter
from ..model import Model, Node, Weight, check_layer_count, count
from ..records import record
from . import torch_forward

_SKIP_ARGS = {"device", "dtype", "trainable"}


def from_torch(module: Any, input_shape: Any = None, *, input_dtypes: Any = None, input_data: Any = None,
               input_kwargs: Any = None) -> Model:
    """A model from a live torch.nn.Module (torch is imported only here).

    ``input_shape``: a shape or a list of shapes, without the batch axis; ``input_dtypes``: one
    torch dtype per input (default: the dtype of the module's floating-point parameters);
    ``input_data``: example inputs as torchinfo takes them (a tensor, a list or tuple of
    positional inputs, or a dict of keyword inputs), with the batch axis; ``input_kwargs``: more
    keyword arguments for ``forward`` (``lengths``, masks). Example tensors are moved to the
    meta device; the module is never changed.
    """
    try:
        import torch
    except ImportError:  # pragma: no cover
        raise ExplainError("from_torch needs PyTorch (torch) installed") from None
    if not isinstance(module, torch.nn.Module):
        raise ExplainError(f"from_torch takes a torch.nn.Module. Received: {type(module).__name__}")
    original = getattr(module, "_orig_mod", None)
    if type(module).__name__ == "OptimizedModule" and isinstance(original, torch.nn.Module):
        module = original  # torch.compile's wrapper: the module it compiles has the same tensors
    inputs = _Inputs.make(torch, module, input_shape, input_dtypes, input_data, input_kwargs)
    return _Reader(torch, module).read(inputs)


class ShapePassWarning(UserWarning):
    """The forward pass on the meta device stopped: counts are complete, later shapes unknown."""


class _Inputs:
    """What the shape pass feeds the module: shapes and dtypes, or example data, and keywords."""

    def __init__(self, shapes: list, dtypes: list, dtypes_given: bool, data: Any, kwargs: dict,
                 text: str) -> None:
        self.shapes, self.dtypes, self.dtypes_given = shapes, dtypes, dtypes_given
        self.data, self.kwargs, self.text = data, kwargs, text

    @classmethod
    def make(cls, torch: Any, module: Any, input_shape: Any, input_dtypes: Any, input_data: Any,
             input_kwargs: Any) -> "_Inputs | None":
        if input_kwargs is not None and not (isinstance(input_kwargs, dict)
                                             and all(isinstance(k, str) for k in input_kwargs)):
            raise ExplainError(f"input_kwargs must be a dict of keyword arguments. Received: {type(input_kwargs).__name__}")
        kwargs = torch_forward.to_meta(dict(input_kwargs or {}), torch, "input_kwargs")
        if input_data is not None:
            if input_shape is not None or input_dtypes is not None:
                raise ExplainError("give input_data or input_shape (with input_dtypes), not both")
            data = torch_forward.to_meta(input_data, torch, "input_data")
            shapes = torch_forward.batchless(input_data, torch)
            return cls(shapes, [], True, data, kwargs, "input_data")
        if input_shape is None:
            if input_dtypes is not None or input_kwargs is not None:
                raise ExplainError("input_dtypes and input_kwargs need input_shape or input_data")
            return None
        shapes = _input_shapes(input_shape)
        if input_dtypes is None:
            dtypes = [_default_dtype(module, torch)] * len(shapes)
        else:
            given = list(input_dtypes) if isinstance(input_dtypes, (list, tuple)) else [input_dtypes]
            if len(given) != len(shapes):
                raise ExplainError(f"input_dtypes gives {len(given)} dtypes for {len(shapes)} inputs. "
                                   f"Received: input_dtypes={input_dtypes!r}")
            dtypes = [_dtype(d, torch) for d in given]
        return cls(shapes, dtypes, input_dtypes is not None, None, kwargs, f"input_shape={input_shape!r}")

    def arguments(self, dtypes: list, torch: Any) -> tuple[list, dict]:
        if self.data is not None:
            if isinstance(self.data, dict):
                return [], {**self.data, **self.kwargs}
            return (list(self.data) if isinstance(self.data, (list, tuple)) else [self.data]), dict(self.kwargs)
        return ([torch.zeros((torch_forward.BATCH, *s), dtype=d, device="meta") for s, d in zip(self.shapes, dtypes)],
                dict(self.kwargs))

    def describe(self) -> str:
        return self.text


def _dtype(value: Any, torch: Any) -> Any:
    """A torch dtype from a dtype or its name ("float16", "long")."""
    found = getattr(torch, value, None) if isinstance(value, str) and value.isidentifier() else value
    if not isinstance(found, torch.dtype):
        raise ExplainError(f"input_dtypes takes torch dtypes or their names. Received: {value!r}")
    return found


def _float_dtype(module: Any, torch: Any) -> Any:
    """The dtype of the module's first floating-point parameter or buffer (float32 if none)."""
    for t in itertools.chain(module.parameters(), module.buffers()):  # most stop at the first
        if t.is_floating_point():
            return t.dtype
    return torch.float32


def _default_dtype(module: Any, torch: Any) -> Any:
    """Integer indices for a module whose first weighted submodule is an embedding, else the
    dtype of its floating-point parameters."""
    for m in module.modules():
        if isinstance(m, (torch.nn.Embedding, torch.nn.EmbeddingBag)):
            return torch.long
        if any(True for _ in m.parameters(recurse=False)):
            break
    return _float_dtype(module, torch)


def _dtype_name(module: Any, torch: Any) -> str:
    return str(_float_dtype(module, torch)).removeprefix("torch.")


def _lazy(module: Any, torch: Any) -> str | None:
    """The name of the first uninitialized (lazy) parameter or buffer, if any."""
    lazy = (torch.nn.parameter.UninitializedParameter, torch.nn.parameter.UninitializedBuffer)
    plain = (torch.Tensor, torch.nn.Parameter)  # neither is lazy: without the Parameter classes' isinstance
    for n, t in list(module.named_parameters()) + list(module.named_buffers()):
        if type(t) not in plain and isinstance(t, lazy):
            return n
    return None


def _is_script(module: Any, torch: Any) -> bool:
    return isinstance(module, torch.jit.ScriptModule)


def _class_name(module: Any) -> str:
    if type(module).__name__ == "RecursiveScriptModule":  # a scripted module: the class it came from
        return str(getattr(module, "original_name", "RecursiveScriptModule"))
    return type(module).__name__


# ----------------------------------------------------------------------------- known types

def _torch_type(module: Any, torch: Any) -> type[Layer] | None:
    """The library's type for the first torch.nn class in the module's ancestry, if any (for a
    scripted module, the torch.nn class it was scripted from)."""
    if isinstance(module, torch.jit.ScriptModule):
        try:
            qualified = module._c._type().qualified_name()
        except (AttributeError, RuntimeError):
            return None
        if not qualified.startswith("__torch__.torch.nn.modules."):
            return None
        return find(qualified.rsplit(".", 1)[-1], "pytorch")
    for cls in type(module).__mro__:
        if not cls.__module__.startswith("torch.nn"):
            continue
        if cls is torch.nn.Module or cls.__name__ in _CONTAINERS and cls is getattr(torch.nn, cls.__name__):
            return None
        found = find(cls.__name__, "pytorch")
        if found is not None:
            return found
    return None


_CONTAINERS = frozenset({"Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"})
"""torch.nn's containers: no layer type of the library (a test checks the registry), so their
children are looked into without asking the registry, which would search every family's source
for a name its index lacks."""

_FIELDS: dict[type, tuple[str, ...]] = {}


def _init_fields(layer_type: type[Layer]) -> tuple[str, ...]:
    """The names of the type's constructor arguments that a torch module may hold."""
    if layer_type not in _FIELDS:
        _FIELDS[layer_type] = tuple(f.name for f in dataclasses.fields(layer_type)
                                    if f.init and f.name not in _SKIP_ARGS and not f.name.startswith("_"))
    return _FIELDS[layer_type]


def _args(module: Any, layer_type: type[Layer], torch: Any) -> dict:
    """Constructor arguments read from the module's attributes (torch keeps most of them)."""
    name = layer_type.type_name
    if name in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        return {"d_model": module.self_attn.embed_dim, "nhead": module.self_attn.num_heads,
                "dim_feedforward": module.linear1.out_features, "norm_first": bool(module.norm_first),
                "bias": module.linear1.bias is not None,
                "batch_first": bool(getattr(module.self_attn, "batch_first", False)),
                "dropout": max([m.p for m in module.modules() if isinstance(m, torch.nn.Dropout)]
                               + [float(module.self_attn.dropout)])}
    out: dict = {}
    for field in _init_fields(layer_type):
        if not hasattr(module, field):
            continue
        value = getattr(module, field)
        if field == "bias" and (value is None or isinstance(value, torch.Tensor)):
            value = value is not None  # a bias tensor, or None with bias=False / affine=False
        elif isinstance(value, torch.Tensor) or callable(value):
            continue
        out[field] = _plain(value)
    if name == "MultiheadAttention":
        out["bias"] = module.in_proj_bias is not None
        out["add_bias_kv"] = module.bias_k is not None
    return out


_UNMADE = object()
_PLAIN = (int, float, bool, str, type(None))


def _args_key(args: dict) -> tuple | None:
    """The arguments as a key (a layer type makes equal layers from equal arguments): None when a
    value is not a plain number, string, None, or a list of them (nested)."""
    def plain(v: Any) -> bool:
        return type(v) in _PLAIN or (type(v) is list and all(plain(x) for x in v))
    if not all(plain(v) for v in args.values()):
        return None
    return tuple((k, repr(v)) for k, v in args.items())


def _plain(value: Any) -> Any:
    if isinstance(value, tuple) or type(value).__name__ == "Size":
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_STATE_VALUES = frozenset({int, float, bool, str, type(None)})
_MODULE_TABLES = frozenset({"_parameters", "_buffers", "_non_persistent_buffers_set", "_modules",
                            "_backward_pre_hooks", "_backward_hooks", "_is_full_backward_hook", "_forward_hooks",
                            "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks",
                            "_forward_pre_hooks_with_kwargs", "_state_dict_hooks", "_state_dict_pre_hooks",
                            "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks"})
"""The tables ``torch.nn.Module.__init__`` puts in a module's dict (its tensors, children, hooks),
which ``known`` does not read as such (its tensors it reads by name and shape)."""
_PLAIN_CLASSES: dict[type, bool] = {}


def _state_key(module: Any) -> tuple | None:
    """A key equal for two modules that ``known`` reads alike: of one class that looks its
    attributes up as torch.nn.Module does (its dict, its class, then its parameters, buffers and
    children) and lists its tensors with Module's own methods, without children, with equal
    attributes (numbers, strings, None; tuples and lists of whole numbers and strings), and
    parameters and buffers of the same names, classes, shapes and ``requires_grad``. None for
    any other module (it is read anew)."""
    cls = type(module)
    plain = _PLAIN_CLASSES.get(cls)
    if plain is None:
        base = sys.modules["torch"].nn.Module
        plain = _PLAIN_CLASSES[cls] = (
            cls.__getattr__ is base.__getattr__ and cls.__getattribute__ is object.__getattribute__
            and all(getattr(cls, m) is getattr(base, m) for m in ("named_parameters", "named_buffers", "_named_members")))
    if not plain or module._modules:
        return None
    items: list = [cls]
    for name, value in vars(module).items():
        kind = type(value)
        if name in _MODULE_TABLES:
            continue
        if kind in _STATE_VALUES:
            items += (name, kind, value)
        elif (kind is tuple or kind is list) and all(type(v) is int or type(v) is str for v in value):
            items += (name, kind, tuple(value))
        else:
            return None  # a tensor, a function, an object: not compared here
    for table in (module._parameters, module._buffers):
        items.append(None)
        for name, t in table.items():
            items += (name, None) if t is None else (name, type(t), tuple(t.shape), t.requires_grad)
    return tuple(items)


def _hf_block(module: Any) -> Layer | None:
    """A transformers block (GPT2Block, LlamaDecoderLayer, …) as the library's block type, its
    sizes read from its submodules; None for any other module."""
    cls = type(module)
    if not cls.__module__.startswith("transformers."):
        return None
    from ..layers import hf_blocks  # a second to import: only for a transformers model
    name = cls.__name__
    if name == "GPT2Block":
        return hf_blocks.GPT2Block(hidden_size=module.ln_1.normalized_shape[0],
                                   intermediate_size=module.mlp.c_fc.nf,
                                   add_cross_attention=hasattr(module, "crossattention"),
                                   num_heads=module.attn.num_heads,
                                   scale_attn_weights=bool(getattr(module.attn, "scale_attn_weights", True)),
                                   scale_attn_by_inverse_layer_idx=bool(
                                       getattr(module.attn, "scale_attn_by_inverse_layer_idx", False)),
                                   activation=_activation_name(module.mlp.act))
    if name in ("BertLayer", "RobertaLayer"):
        return getattr(hf_blocks, name)(hidden_size=module.attention.self.query.in_features,
                                   intermediate_size=module.intermediate.dense.out_features,
                                   add_cross_attention=hasattr(module, "crossattention"),
                                   num_heads=getattr(module.attention.self, "num_attention_heads", None))
    if name == "TransformerBlock" and ".distilbert." in cls.__module__:
        return hf_blocks.DistilBertBlock(hidden_size=module.attention.q_lin.in_features,
                                         intermediate_size=module.ffn.lin1.out_features,
                                         num_heads=getattr(module.attention, "n_heads", None))
    decoders: dict[str, Any] = {"LlamaDecoderLayer": hf_blocks.LlamaDecoderLayer, "MistralDecoderLayer": hf_blocks.MistralDecoderLayer,
                "Qwen2DecoderLayer": hf_blocks.Qwen2DecoderLayer, "GemmaDecoderLayer": hf_blocks.GemmaDecoderLayer,
                "Qwen3DecoderLayer": hf_blocks.Qwen3DecoderLayer, "MixtralDecoderLayer": hf_blocks.MixtralDecoderLayer}
    if name in ("Gemma2DecoderLayer", "Gemma3DecoderLayer"):
        from ..layers import hf_decoders
        decoders[name] = getattr(hf_decoders, name)
    if name in decoders:
        attn, mlp = module.self_attn, module.mlp
        d_h = attn.head_dim
        sizes = dict(hidden_size=attn.q_proj.in_features, num_attention_heads=attn.q_proj.out_features // d_h,
                     num_key_value_heads=attn.k_proj.out_features // d_h, head_dim=d_h,
                     qkv_bias=attn.q_proj.bias is not None, o_bias=attn.o_proj.bias is not None)
        if name == "GemmaDecoderLayer" and getattr(attn, "is_causal", True) is False:  # use_bidirectional_attention
            sizes["mask_kept"] = True
        if name in ("Gemma2DecoderLayer", "Gemma3DecoderLayer"):
            sizes.update(_gemma2_attention(name, attn))
        elif name in ("MistralDecoderLayer", "MixtralDecoderLayer", "Qwen2DecoderLayer"):
            sizes["sliding_window"] = _live_window(attn)
        if name == "MixtralDecoderLayer":
            experts, hidden = mlp.experts.down_proj.shape[0], mlp.experts.down_proj.shape[2]
            top_k = getattr(mlp, "top_k", None) or getattr(getattr(mlp, "gate", None), "top_k", 2)
            return decoders[name](intermediate_size=int(hidden), num_local_experts=int(experts),
                                  num_experts_per_tok=int(top_k or 2), **sizes)
        return decoders[name](intermediate_size=mlp.gate_proj.out_features,
                              mlp_bias=mlp.gate_proj.bias is not None, **sizes)
    if name.endswith("RMSNorm") or name == "T5LayerNorm":  # LlamaRMSNorm, GemmaRMSNorm, …: weight d
        weight = module.weight
        if weight.dim() == 1:
            norm = make("RMSNorm", {"normalized_shape": [int(weight.shape[0])]}, framework="pytorch")
            if name != "RMSNorm":  # named by its class, as transformers' print(model) and the config route show it
                return hf_blocks.rms_norm_as(name, norm)
            return norm
        return None
    if name == "T5Block":
        attn, ff = module.layer[0].SelfAttention, module.layer[-1].DenseReluDense
        gated = hasattr(ff, "wi_0")
        return hf_blocks.T5Block(hidden_size=attn.q.in_features, num_heads=attn.n_heads, d_kv=attn.key_value_proj_dim,
                                 d_ff=(ff.wi_0 if gated else ff.wi).out_features, is_decoder=bool(module.is_decoder),
                                 is_gated_act=gated, dense_act_fn=_activation_name(ff.act))
    return None


def _live_window(attn: Any) -> int | None:
    """This layer's sliding window w as transformers applies it: Qwen2's attention holds its own
    (None in a full-attention layer); Mistral's and Mixtral's mask takes the config's in every
    layer. None: no window."""
    if hasattr(attn, "sliding_window"):
        window = attn.sliding_window
    else:
        window = getattr(getattr(attn, "config", None), "sliding_window", None)
    return window if isinstance(window, int) and not isinstance(window, bool) and window > 0 else None


def _gemma2_attention(name: str, attn: Any) -> dict[str, Any]:
    """A live Gemma 2/3 attention's arguments as a config file gives them: s from the scaling
    s^(-1/2), soft-capping, and this layer's sliding window w (None in a full-attention layer).
    Gemma 3 with use_bidirectional_attention (is_causal False) has no causal mask, and its live
    config holds the exclusive ⌊w/2⌋ + 1, which a saved file writes back as 2⌊w/2⌋: that w."""
    both_sides = name == "Gemma3DecoderLayer" and getattr(attn, "is_causal", True) is False
    window = getattr(attn, "sliding_window", None)
    if window is not None and both_sides:
        window = 2 * (int(window) - 1)
    out: dict[str, Any] = {"query_pre_attn_scalar": round(float(attn.scaling) ** -2),
                           "softcap": getattr(attn, "attn_logit_softcapping", None) is not None,
                           "sliding_window": None if window is None else int(window)}
    if name == "Gemma3DecoderLayer":
        out["causal"] = not both_sides
    elif getattr(attn, "is_causal", True) is False:  # Gemma 2 still builds the causal mask
        out["mask_kept"] = True
    return out


def _activation_name(act: Any) -> str:
    """The name transformers' ACT2FN gives the activation module ``act`` (relu, gelu_new, …): the
    first of its keys that builds this class; else the class's name."""
    from transformers.activations import ACT2CLS
    for name, cls in ACT2CLS.items():
        if type(act) is (cls[0] if isinstance(cls, tuple) else cls):
            return name
    return type(act).__name__


def _probes(module: Any, layer: Layer) -> Iterable[tuple[Shape, ...]]:
    """Input shapes (no batch axis) to try on a layer when no forward pass gave them."""
    name = layer.type_name
    hf_blocks = sys.modules.get("explain.layers.hf_blocks")  # imported if a block was made
    if hf_blocks is not None and isinstance(layer, hf_blocks._Block):
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

@record(frozen=False)
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
        self.originals: dict[int, Any] = {}  # id(tensor of the meta copy) → the user's tensor
        self.made: dict[tuple, Any] = {}  # (type, its arguments) → the layer made (None: rejected)
        self.probed: dict[tuple, Any] = {}  # (layer, input shapes to try) → what probe found
        self.inferred: dict[tuple, Any] = {}  # (layer, input shapes) → what infer gave (None: rejected)
        self.by_state: dict[tuple, Any] = {}  # a module's _state_key → what known found

    # -- which modules become nodes
    def walk(self, module: Any, name: str, visited: set[int]) -> None:
        if id(module) in visited:
            return
        visited.add(id(module))
        layer = self.known(module)
        if layer is not None:
            tensors = [(n, p, False) for n, p in _named(module, "_parameters")]
            self.add_unit(_Unit(name, module, layer, tensors))
            return
        own = [(n, p, False) for n, p in _named(module, "_parameters", recurse=False)]
        own += [(n, b, True) for n, b in _named(module, "_buffers", recurse=False)]
        if own:
            self.add_unit(_Unit(name, module, None, own))
        for child_name, child in module.named_children():
            self.walk(child, f"{name}.{child_name}" if name else child_name, visited)

    def add_unit(self, unit: _Unit) -> None:
        check_layer_count(len(self.units) + 1)
        self.units.append(unit)
        self.by_module[id(unit.module)] = unit

    def known(self, module: Any) -> Layer | None:
        """The module as a layer of the library, or None: ``known_anew``, once for modules of
        equal state (``_state_key``: a model's repeated blocks hold a few configurations)."""
        state = _state_key(module)
        if state is None:
            return self.known_anew(module)[0]
        found = self.by_state.get(state, _UNMADE)
        if found is _UNMADE:
            found, by_state = self.known_anew(module)
            if by_state:
                self.by_state[state] = found
        return found

    def known_anew(self, module: Any) -> tuple[Layer | None, bool]:
        """The module as a layer of the library, or None; and whether that follows from the
        module's state alone (not from where its tensors are used too)."""
        try:
            layer = _hf_block(module)
        except (AttributeError, TypeError, IndexError, ZeroDivisionError, ExplainError):
            layer = None
        if layer is None:
            layer_type = _torch_type(module, self.torch)
            if layer_type is None:
                return None, True
            args = _args(module, layer_type, self.torch)
            key = (layer_type, _args_key(args))
            made: Any = self.made.get(key, _UNMADE) if key[1] is not None else _UNMADE
            if made is _UNMADE:
                try:
                    made = make(layer_type.type_name, args, framework="pytorch")
                except ExplainError:
                    made = None
                if key[1] is not None:
                    self.made[key] = made
            if made is None:
                return None, True
            layer = made
        named = _named(module, "_parameters")
        params = {n: p.numel() for n, p in named}
        weighted = [g for g in layer.weight_groups() if not g.buffer]
        if not params and not weighted:  # weightless, or buffers only (BatchNorm with affine=False)
            return (layer if self.weightless or _named(module, "_buffers") else None), True
        probe = self.probe_once(layer, module)
        if probe is None:
            return None, True
        groups = {g.name: int(count(g, probe[1])) for g in weighted}
        if groups == params:
            return layer, True
        if sum(groups.values()) != sum(params.values()):
            return None, True
        # groups named by part (self_attn, linear1): take the layer only when no tensor of it is
        # used anywhere else, and all are trainable or all frozen
        if any(self.occurrences[self.key(p)] > 1 for _, p in named):
            return None, False
        flags = {p.requires_grad for _, p in named}
        return (layer if len(flags) <= 1 else None), False

    def probe_once(self, layer: Layer, module: Any):
        """``probe``, once for equal layers with the same shapes to try (a model's repeated blocks)."""
        probes = tuple(_probes(module, layer))
        try:
            found = self.probed.get((layer, probes), _UNMADE)
        except TypeError:  # a field that cannot be hashed
            return self.probe(layer, module, probes)
        if found is _UNMADE:
            found = self.probed[(layer, probes)] = self.probe(layer, module, probes)
        return found

    def probe(self, layer: Layer, module: Any, probes: Iterable[tuple[Shape, ...]] | None = None):
        for shapes in _probes(module, layer) if probes is None else probes:
            try:
                out, values = layer.infer(shapes if layer.multi_input else shapes[:1])
                return shapes, values, out
            except (ExplainError, TypeError, ValueError, ZeroDivisionError):
                continue
        return None

    def infer_once(self, layer: Layer, shapes: tuple[Shape, ...]) -> tuple[Shape, dict] | None:
        """``layer.infer(shapes)`` (output shape, symbol values), once for equal layers on equal
        shapes (a model's repeated blocks; the values are shared: copy before changing them);
        None where the layer rejects the shapes."""
        key: tuple | None = (layer, shapes)
        try:
            found = self.inferred.get((layer, shapes), _UNMADE)
        except TypeError:  # a field that cannot be hashed
            key, found = None, _UNMADE
        if found is _UNMADE:
            try:
                found = layer.infer(shapes)
            except (ExplainError, TypeError, ValueError, ZeroDivisionError):
                found = None
            if key is not None:
                self.inferred[key] = found
        return found

    def key(self, tensor: Any) -> Any:
        """One key per tensor: its storage where it has one (views of one storage at the same
        place are the same tensor), else the object."""
        original = self.originals.get(id(tensor))
        if original is not None and not isinstance(original, self.torch.nn.parameter.UninitializedTensorMixin):
            tensor = original  # the user's tensor of a meta copy's (not one a lazy module made)
        if tensor.device.type != "meta" and tensor.numel() > 0:
            try:
                return ("storage", tensor.untyped_storage().data_ptr(), tensor.storage_offset(),
                        tuple(tensor.shape), tuple(tensor.stride()))
            except (RuntimeError, NotImplementedError):
                pass
        return ("id", id(tensor))

    # -- reading
    def read(self, inputs: "_Inputs | None") -> Model:
        torch = self.torch
        self.weightless = inputs is not None
        self.names_of: dict[int, str] = {}
        for qual, m in self.root.named_modules(remove_duplicate=False):
            self.names_of.setdefault(id(m), qual)
        lazy = _lazy(self.root, torch)
        shape_pass = None
        walked = False
        if inputs is not None and lazy is None:
            self.walk_all()
            walked = True
            shape_pass = self.ruled(inputs) or self.forward(inputs)
        elif inputs is not None:
            shape_pass = self.forward(inputs)
        if lazy is not None:
            if shape_pass is None:
                raise ExplainError(f"the parameter '{lazy}' is not initialized yet (a lazy module): give "
                                   f"input_shape or input_data, or run the module once, then call from_torch")
            still = _lazy(shape_pass.copy, torch) if shape_pass.copy is not None else lazy
            if still is not None:
                raise ExplainError(f"the parameter '{still}' of a lazy module stays uninitialized: "
                                   f"{shape_pass.stopped or 'its module is never called'}")
            self.root = shape_pass.copy  # the lazy modules took their shapes on the copy
            self.originals = shape_pass.originals
            shape_pass.original_of = {}
        if not walked:
            self.walk_all()
        # the first unit (in module order) holding a tensor owns it; later ones are tied to it
        self.owner: dict[Any, tuple[str, str]] = {}  # key → (unit name, full tensor name)
        self.tied: dict[int, dict[str, tuple[str, str]]] = {}
        self.names: set[str] = set()
        self.row_name: dict[int, str] = {}  # id(parameter) → the name of its own row
        self.placed_params: set[int] = set()
        for unit in self.units:
            for rel, t in _parameter_rows(unit):
                self.row_name[id(t)] = self.fresh_name(f"{unit.name}.{rel}" if unit.name else rel)
        for unit in self.units:
            mine: dict[str, tuple[str, str]] = {}
            for rel, t, buffer in unit.tensors:
                if buffer:
                    continue
                k = self.key(t)
                if k in self.owner:
                    mine[rel] = self.owner[k]
                elif id(t) in self.row_name:
                    row = self.row_name[id(t)]
                    self.owner[k] = (row, f"{row}.{rel}")
                else:
                    self.owner[k] = (self.label(unit), f"{unit.name}.{rel}" if unit.name else rel)
            self.tied[id(unit)] = mine
        nodes: list[Node] = []
        if shape_pass is None:
            for unit in self.units:
                nodes += self.rows(unit, (), None, None, None)
            model_inputs: dict[str, Shape] = {}
        else:
            shapes = shape_pass.inputs
            model_inputs = ({"input": shapes[0]} if len(shapes) == 1 else
                            {f"input_{i + 1}": s for i, s in enumerate(shapes)})
            previous: tuple[str, ...] = tuple(model_inputs)
            first: dict[int, str] = {}
            used = self.used_parameters(shape_pass)
            for module, in_shapes, outs in shape_pass.calls:
                if module == "call":  # ("call", (type, arguments), shapes): a step between modules
                    step = self.call_node(in_shapes, outs, previous)
                    if step is not None:
                        nodes.append(step)
                        previous = (step.name,)
                    continue
                if isinstance(module, str):  # ("use", parameter, tokens): a parameter row goes here
                    found = used.get(id(in_shapes))
                    if found is not None and id(found[3]) not in self.placed_params:
                        nodes.append(self.parameter_node(found[0], found[1], found[2]))
                    continue
                caller = self.by_module.get(id(shape_pass.original_of.get(id(module), module)))
                if caller is None:
                    continue
                made = self.rows(caller, previous, in_shapes, outs[0] if outs else None, first.get(id(caller)))
                if made:
                    first.setdefault(id(caller), made[-1].name)
                    nodes += made
                    if caller.layer is not None or made[-1].type == "Tensors":
                        previous = (made[-1].name,)
            for never in self.units:  # never called (used functionally, not at all, or after a stop)
                if id(never) not in first and (never.tensors or never.layer is None):
                    nodes += self.rows(never, (), None, None, None)
            if shape_pass.stopped is not None:
                warnings.warn(f"from_torch: {shape_pass.stopped}; the counts are complete, the shapes "
                              f"after it are unknown", ShapePassWarning, stacklevel=3)
        check_layer_count(len(nodes))
        name = _class_name(self.root)
        model = Model(name=name, framework="pytorch", inputs=model_inputs, nodes=nodes, symbols={},
                      source=f"torch module {name}", dtype=_dtype_name(self.root, torch))
        return model

    def walk_all(self) -> None:
        self.occurrences: dict[Any, int] = {}
        for _, p in self.root.named_parameters(remove_duplicate=False):
            k = self.key(p)
            self.occurrences[k] = self.occurrences.get(k, 0) + 1
        self.walk(self.root, "", set())

    def ruled(self, inputs: "_Inputs") -> torch_forward.Pass | None:
        """The shape pass from the layer types' own shape rules, without running the module: for
        one input of the module's floating-point dtype into a tree of ``nn.Sequential`` whose
        leaves are torch.nn modules of types with ``exact_shape_rule``, torch's own forward and no
        hooks. The calls are those the forward makes (a Sequential calls its children in order).
        None when any of it does not hold or a rule rejects the input: the meta pass then runs (and
        reports what is wrong)."""
        torch = self.torch
        if inputs.data is not None or inputs.kwargs or len(inputs.shapes) != 1:
            return None
        if not (isinstance(self.root, torch.nn.Sequential) or id(self.root) in self.by_module) \
                or not _torch_forward(self.root):
            return None  # a forward of the model's own (most models): before listing its tensors
        dtype = _float_dtype(self.root, torch)
        if inputs.dtypes != [dtype] or any(
                t.dtype != dtype for t in itertools.chain(self.root.parameters(), self.root.buffers())
                if t.is_floating_point() or t.is_complex()):
            return None
        hooks = torch.nn.modules.module
        if hooks._global_forward_hooks or hooks._global_forward_pre_hooks:
            return None
        calls: list = []
        try:
            self.ruled_call(self.root, inputs.shapes[0], calls)
        except _NoRule:
            return None
        return torch_forward.Pass(calls, inputs.shapes)

    def ruled_call(self, module: Any, shape: Shape, calls: list) -> Shape:
        """The output shape of one call of ``module`` on ``shape`` (no batch axis), its calls
        appended to ``calls``; _NoRule when the rules do not cover it."""
        if (module is None or module._forward_hooks or module._forward_pre_hooks
                or _is_script(module, self.torch) or not _torch_forward(module)):
            raise _NoRule
        unit = self.by_module.get(id(module))
        if unit is None:
            if not isinstance(module, self.torch.nn.Sequential):
                raise _NoRule
            for child in module._modules.values():
                shape = self.ruled_call(child, shape, calls)
            return shape
        layer = unit.layer
        if layer is None or not _ruled(layer):
            raise _NoRule
        try:
            out, _ = layer.infer((shape,))
        except (ExplainError, TypeError, ValueError, ZeroDivisionError):
            raise _NoRule from None
        found: tuple[int, ...] = ()
        for d in out:
            if not isinstance(d, (int, sympy.Integer)) or int(d) <= 0:
                raise _NoRule
            found += (int(d),)
        calls.append((module, (shape,), (found,)))
        return found

    def label(self, unit: _Unit) -> str:
        return unit.name or _class_name(self.root)

    def fresh(self, unit: _Unit) -> str:
        return self.fresh_name(self.label(unit))

    def fresh_name(self, base: str) -> str:
        name, i = base, 2
        while name in self.names:
            name, i = f"{base}#{i}", i + 1
        self.names.add(name)
        return name

    def rows(self, unit: _Unit, inputs: tuple[str, ...], shapes: tuple[Shape, ...] | None, out: Shape | None,
             again: str | None) -> list[Node]:
        """The nodes of one call of ``unit``: its layer; or, for a module counted from its own
        tensors, a row per parameter not yet placed (named after it) and a row for the rest."""
        if unit.layer is not None:
            return [self.node(unit, self.fresh(unit), inputs, shapes, out, again)]
        made = [self.parameter_node(unit, rel, 0) for rel, t in _parameter_rows(unit)
                if id(t) not in self.placed_params]
        rest = [x for x in unit.tensors if id(x[1]) not in self.row_name]
        if rest:
            made.append(self.node(dataclasses.replace(unit, tensors=rest), self.fresh(unit), inputs, shapes, out,
                                  again, key=id(unit)))
        return made

    def used_parameters(self, shape_pass: torch_forward.Pass) -> dict[int, tuple]:
        """id(tensor of the shape pass) → (unit, name, tokens, the unit's tensor) for the
        parameters that get a row."""
        mine = {}
        for unit in self.units:
            for rel, t in _parameter_rows(unit):
                mine[id(t)] = (unit, rel)
        out = {}
        for module, t, tokens in shape_pass.calls:
            if module == "use":
                original = shape_pass.originals.get(id(t), t) if self.root is not shape_pass.copy else t
                if id(original) in mine:
                    out[id(t)] = (*mine[id(original)], tokens, original)
        return out

    def call_node(self, spec: tuple[str, dict], shapes: tuple[Shape, Shape], inputs: tuple[str, ...]) -> Node | None:
        """The row of a call between modules (``x.mean(1)``): a layer without weights named as the
        call (``mean(dim=1)``), with the shapes of the pass; None where its rule disagrees."""
        layer, call = torch_parameter.step(*spec)
        try:
            out, values = layer.infer(shapes[:1])
        except ExplainError:
            return None
        if tuple(out) != tuple(shapes[1]):
            return None
        return Node(self.fresh_name(call), layer, inputs, shapes[:1], tuple(out), values, ())

    def parameter_node(self, unit: _Unit, rel: str, tokens: int) -> Node:
        """A row for a parameter a module owns directly: Π of its shape, (N + k)·d for a
        position embedding added after k class tokens."""
        t = {r: x for r, x, _ in unit.tensors}[rel]
        self.placed_params.add(id(t))
        name = self.row_name[id(t)]
        layer = Parameter(shape=tuple(int(n) for n in t.shape), tokens=int(tokens),
                          requires_grad=bool(t.requires_grad))
        own = layer.own_shape()
        out, values = layer.infer((own,))
        tied = self.tied[id(unit)].get(rel)
        (group,) = layer.weight_groups()
        weight = Weight(rel, group.formula, count(group, values), bool(t.requires_grad), False,
                        tied[1] if tied else None)
        return Node(name, layer, (), (own,), tuple(out), values, (weight,), tied[0] if tied else None)

    def node(self, unit: _Unit, name: str, inputs: tuple[str, ...], shapes: tuple[Shape, ...] | None,
             out: Shape | None, again: str | None, key: int | None = None) -> Node:
        """The node for ``unit``; ``again``: the node of its first call (this call reuses it)."""
        tied = self.tied[key if key is not None else id(unit)]
        params = {rel: t for rel, t, buffer in unit.tensors if not buffer}
        layer = unit.layer
        values: dict[Any, Any] = {}
        if layer is not None:
            found = None
            if shapes is not None:
                inferred = self.infer_once(layer, shapes if layer.multi_input else shapes[:1])
                found = (shapes, dict(inferred[1]), inferred[0]) if inferred is not None else None
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
                if again is not None:  # a second call: its weights and buffers are the first's
                    tied_to = f"{again}.{g.name}"
                elif not g.buffer and by_tensor and g.name in tied:
                    tied_to = tied[g.name][1]
                train = g.trainable and layer.trainable and (
                    params[g.name].requires_grad if by_tensor and g.name in params else True)
                weights.append(Weight(g.name, g.formula, count(g, values), train, g.buffer, tied_to))
            for rel, n in _extra_buffers(unit.module, groups, values):
                weights.append(Weight(rel, sympy.Integer(n), sympy.Integer(n), False, True,
                                      f"{again}.{rel}" if again is not None else None))
        else:
            specs = tuple((rel, t.numel(), bool(t.requires_grad) and not buffer, buffer)
                          for rel, t, buffer in unit.tensors)
            layer = Tensors(tensors=specs, origin=f"module {_class_name(unit.module)}")
            weights = []
            for g, (rel, _t, buffer) in zip(layer.weight_groups(), unit.tensors):
                tied_to = f"{again}.{rel}" if again is not None else None
                if not buffer and again is None and rel in tied:
                    tied_to = tied[rel][1]
                weights.append(Weight(g.name, g.formula, count(g, {}), g.trainable, buffer, tied_to))
            shapes = shapes if shapes is not None else ((),)
            out = out if out is not None else shapes[0]
        shares = again
        if shares is None and any(w.tied_to for w in weights):
            shares = next(tied[w.name][0] for w in weights if w.tied_to and w.name in tied)
        return Node(name, layer, inputs, tuple(shapes), tuple(out), values, tuple(weights), shares)

    # -- the forward pass on the meta device
    def forward(self, inputs: "_Inputs") -> torch_forward.Pass:
        """Run a meta copy with the inputs; retry integer inputs only when the user gave no
        dtypes and the first attempt failed in the model (its error is the one reported)."""
        torch = self.torch
        attempts = [inputs.dtypes]
        if inputs.data is None and inputs.dtypes_given is False:
            other = [torch.long if d.is_floating_point else _float_dtype(self.root, torch) for d in inputs.dtypes]
            attempts.append(other)
        first_error: Exception | None = None
        rows = {id(t) for unit in self.units for _, t in _parameter_rows(unit)} if self.units else None
        layers = {id(unit.module) for unit in self.units if unit.layer is not None} if self.units else None
        for dtypes in attempts:
            args, kwargs = inputs.arguments(dtypes, torch)
            try:
                found = torch_forward.run(self.root, torch, self.names_of, args, kwargs, rows, layers)
            except torch_forward.ForwardError as e:
                first_error = first_error or e
                continue
            except ExplainError:
                raise
            except Exception as e:  # noqa: BLE001 — copying a module runs the user's code
                return torch_forward.Pass([], inputs.shapes, f"the module could not be copied to the meta "
                                          f"device ({type(e).__name__}: {_first_line(e)})")
            return torch_forward.Pass(found[0], inputs.shapes, *found[1:])
        raise ExplainError(f"the forward pass on the meta device with {inputs.describe()} failed: "
                           f"{first_error}") from None


class _NoRule(Exception):
    """The layer types' shape rules do not cover a module of the tree: run the meta pass."""


def _ruled(layer: Layer) -> bool:
    """The layer's type gives torch's output shape exactly (``exact_shape_rule``), for these
    arguments: a GELU of a known ``approximate``, a max pooling without ``return_indices``."""
    if not type(layer).exact_shape_rule:
        return False
    name = layer.type_name
    if name == "GELU":
        return getattr(layer, "approximate", "none") in ("none", "tanh")
    if name.startswith("MaxPool"):
        return not getattr(layer, "return_indices", False)
    return True


def _torch_forward(module: Any) -> bool:
    """The module's forward is torch.nn's own (a subclass may have written its own)."""
    for cls in type(module).__mro__:
        if "forward" in vars(cls):
            return cls.__module__.startswith("torch.nn.modules.")
    return False


def _parameter_rows(unit: _Unit) -> list[tuple[str, Any]]:
    """The parameters of a module counted from its own tensors that get a row of their own (all
    with at least one axis and one element)."""
    if unit.layer is not None:
        return []
    return [(rel, t) for rel, t, buffer in unit.tensors if not buffer and t.dim() >= 1 and t.numel() > 0]


def _named(module: Any, table: str, recurse: bool = True) -> list[tuple[str, Any]]:
    """``module.named_parameters(recurse=recurse, remove_duplicate=False)`` (table
    ``"_parameters"``) or ``named_buffers`` (``"_buffers"``) as a list: read from the module's
    own table where that is all torch's method gives (no child or ``recurse=False``, the methods
    torch.nn.Module's own), without its generators (most modules a model holds are leaves)."""
    if not _MODULE_METHODS:
        base = sys.modules["torch"].nn.Module
        _MODULE_METHODS.update((m, getattr(base, m)) for m in ("named_parameters", "named_buffers", "_named_members"))
    cls = type(module)
    method = "named_parameters" if table == "_parameters" else "named_buffers"
    if (recurse and module._modules) or getattr(cls, method) is not _MODULE_METHODS[method] \
            or cls._named_members is not _MODULE_METHODS["_named_members"]:
        return list(getattr(module, method)(recurse=recurse, remove_duplicate=False))
    return [(n, t) for n, t in getattr(module, table).items() if t is not None]


_MODULE_METHODS: dict[str, Any] = {}
"""torch.nn.Module's named_parameters, named_buffers and _named_members (filled on first use)."""


def _extra_buffers(module: Any, groups: Iterable, values: dict) -> list[tuple[str, int]]:
    """Buffers of a known module that its type does not count (a pruning mask ``weight_mask``,
    spectral norm's ``_u`` and ``_v``): (name, size) each, counted as torch has them."""
    buffers = [(n, b.numel()) for n, b in _named(module, "_buffers")]
    counted = [g for g in groups if g.buffer]
    if sum(int(count(g, values)) for g in counted) == sum(n for _, n in buffers):
        return []
    names = {g.name for g in counted}
    return [(n, k) for n, k in buffers if n not in names]


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else ""


def _input_shapes(input_shape: Any) -> list[tuple[int, ...]]:
    def one(s: Any) -> tuple[int, ...]:
        if not isinstance(s, (list, tuple)) or not all(isinstance(d, int) and not isinstance(d, bool)
                                                       and d > 0 for d in s):
            if hasattr(input_shape, "shape") and hasattr(input_shape, "dtype"):  # a tensor: its repr spans lines
                raise ExplainError(f"input_shape must be a shape (positive whole numbers, no batch axis), not a "
                                   f"tensor; pass a tensor as input_data. Received: a tensor of shape "
                                   f"{tuple(input_shape.shape)}")
            raise ExplainError(f"input_shape must be a shape (positive whole numbers, no batch axis) or a "
                               f"list of shapes. Received: input_shape={reprlib.repr(input_shape)}")
        return tuple(s)
    if isinstance(input_shape, (list, tuple)) and input_shape and all(isinstance(s, (list, tuple))
                                                                      for s in input_shape):
        return [one(s) for s in input_shape]
    return [one(input_shape)]
