"""The shape pass of ``from_torch``: the module runs once on a meta-device copy of itself.

The user's module is never touched: ``copy.deepcopy`` with a memo that maps every parameter,
buffer and tensor attribute to an empty meta tensor of the same shape, dtype and
``requires_grad`` builds a copy that takes no memory for weights and keeps every alias (a module
registered twice, a tied parameter) as an alias. Scripted submodules, which deepcopy copies in
C++, get meta tensors afterwards. The copy runs in eval mode with a batch of 2, so BatchNorm and
anything else that needs more than one value per channel runs whatever ``training`` the user's
module has. Hooks are registered on the copy only; hooks the user added (not torch's own, such as
pruning's) are removed from the copy, so none of them runs.

A forward that cannot run on the meta device (``.item()``, ``nonzero``, data-dependent control
flow, a distribution built from its outputs) ends the pass with the calls recorded so far and
the module whose forward stopped; any other error is the user's model's own and is raised.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Any

from ..errors import ExplainError

BATCH = 2
"""The batch size of the shape pass: more than one value per channel for BatchNorm in any mode."""


@dataclasses.dataclass
class Pass:
    """What the shape pass found: the calls in order of completion, the input shapes (no batch
    axis), and, when the forward stopped on the meta device, which module and why."""

    calls: list  # (module of the copy, input shapes, output shapes)
    inputs: list  # input shapes without the batch axis
    stopped: str | None = None
    copy: Any = None  # the meta copy (lazy modules are read from it)
    originals: dict = dataclasses.field(default_factory=dict)  # id(copy tensor) → original tensor
    original_of: dict = dataclasses.field(default_factory=dict)  # id(copy module) → original module


def _meta(t: Any, torch: Any) -> Any:
    """An empty tensor like ``t`` on the meta device (a Parameter stays a Parameter)."""
    if isinstance(t, torch.nn.parameter.UninitializedParameter):
        return torch.nn.parameter.UninitializedParameter(requires_grad=t.requires_grad, device="meta",
                                                         dtype=t.dtype)
    if isinstance(t, torch.nn.parameter.UninitializedBuffer):
        return torch.nn.parameter.UninitializedBuffer(requires_grad=False, device="meta", dtype=t.dtype)
    empty = torch.empty_like(t, device="meta")
    if isinstance(t, torch.nn.Parameter):
        return torch.nn.Parameter(empty, requires_grad=t.requires_grad)
    return empty


def _is_script(module: Any, torch: Any) -> bool:
    return isinstance(module, torch.jit.ScriptModule)


def meta_copy(root: Any, torch: Any) -> tuple[Any, dict]:
    """A copy of ``root`` on the meta device in eval mode, and id(copy tensor) → original tensor."""
    memo: dict = {}
    originals: dict = {}
    for module in root.modules():
        if _is_script(module, torch):
            continue
        tensors = [t for t in list(module._parameters.values()) + list(module._buffers.values()) if t is not None]
        tensors += [v for v in vars(module).values() if isinstance(v, torch.Tensor)]
        for t in tensors:
            if id(t) not in memo:
                memo[id(t)] = _meta(t, torch)
                originals[id(memo[id(t)])] = t
    # the user's hooks and the module's own state must not run or change: the memo keeps the
    # originals alive for the copy's lifetime only
    twin = copy.deepcopy(root, memo)
    pairs = zip(root.modules(remove_duplicate=False), twin.modules(remove_duplicate=False))
    for original, module in pairs:
        if _is_script(module, torch):
            for getter in (original.named_parameters, original.named_buffers):
                for name, t in list(getter(recurse=False)):
                    meta = _meta(t, torch)
                    setattr(module, name, meta)
                    originals[id(getattr(module, name))] = t
            continue
        for hooks in (module._forward_hooks, module._forward_pre_hooks):
            for key, hook in list(hooks.items()):
                if not _torch_own(hook):
                    del hooks[key]
    twin.eval()
    return twin, originals


def _torch_own(hook: Any) -> bool:
    """A hook that torch itself installs (pruning, weight_norm, spectral_norm)."""
    owner = getattr(hook, "__module__", None) or type(hook).__module__
    return isinstance(owner, str) and owner.startswith("torch.")


def is_meta_limit(error: BaseException, torch: Any) -> bool:
    """An error of the meta device (no data), not of the model: .item(), nonzero, bool(tensor)."""
    names = {c.__name__ for c in type(error).__mro__}
    if names & {"DynamicOutputShapeException", "DataDependentOutputException", "UnsupportedOperatorException"}:
        return True
    if isinstance(error, NotImplementedError):
        return True
    text = str(error)
    return "meta tensor" in text or "meta device" in text or "on device meta" in text


def run(root: Any, torch: Any, names: dict, args: list, kwargs: dict) -> tuple:
    """Run a meta copy of ``root`` on (args, kwargs); returns the calls (module of the copy, input
    shapes, output shapes), where it stopped (None: it ran through), the copy, its tensor map
    (id(copy tensor) → original) and its module map (id(copy module) → original)."""
    twin, originals = meta_copy(root, torch)
    original_of = {id(c): o for o, c in zip(root.modules(remove_duplicate=False), twin.modules(remove_duplicate=False))}
    runner, wrapped = _wrap_scripted(twin, torch)
    calls: list = []
    stack: list = []

    def pre(module: Any, a: tuple, k: dict) -> None:
        stack.append(getattr(module, "scripted", module))

    def post(module: Any, a: tuple, k: dict, output: Any) -> None:
        module = getattr(module, "scripted", module)  # a scripted module's call, seen by its wrapper
        if stack and stack[-1] is module:
            stack.pop()
        tensors = [t for t in list(a) + list(k.values()) if isinstance(t, torch.Tensor)]
        outs = _tensors(output, torch)
        calls.append((module, tuple(_strip(module, t) for t in tensors) or ((),),
                      tuple(_strip(module, t) for t in outs)))

    watch = _watch(twin, torch, calls)
    handles = []
    try:
        for module in runner.modules():
            if _is_script(module, torch):
                continue
            handles.append(module.register_forward_pre_hook(pre, with_kwargs=True))
            handles.append(module.register_forward_hook(post, with_kwargs=True))
        try:
            with torch.no_grad(), watch:
                runner(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 — the user's forward may fail in any way
            where = stack[-1] if stack else twin
            original = original_of.get(id(where), root)
            label = names.get(id(original))
            reason = f"{type(e).__name__}: {_first_line(e)}"
            what = (f"the forward of '{label}' ({_class_name(original)})" if label else
                    f"the forward of the module itself ({_class_name(original)})")
            if is_meta_limit(e, torch):
                return calls, f"{what} cannot run on the meta device ({reason})", twin, originals, original_of
            raise _ForwardError(f"{what} raised {reason}") from None
    finally:
        for h in handles:
            h.remove()
        for parent, name, scripted in wrapped:  # the copy as it was (lazy modules are read from it)
            parent._modules[name] = scripted
    return calls, None, twin, originals, original_of


def _watch(twin: Any, torch: Any, calls: list) -> Any:
    """A torch-function mode that records the first use of each parameter a module owns directly
    (a class token, a position embedding) as a call ("use", parameter, tokens): where the forward
    uses it. ``tokens``: for a tensor added to the output of a torch.cat that put k tokens made
    from another parameter before the rest along the same axis, k (ViT: pos_embed has N + 1)."""
    from torch.overrides import TorchFunctionMode

    owned = {id(p): p for m in twin.modules() if not _is_script(m, torch)
             for p in m._parameters.values() if p is not None}
    derived: dict[int, Any] = {}  # id(tensor made from a parameter by a view or expand) → parameter
    joined: dict[int, tuple[int, int]] = {}  # id(torch.cat output) → (axis from the end, tokens)
    alive: list = []  # keeps the tensors whose ids are keys above alive during the pass
    seen: set[int] = set()

    def tensors(value: Any) -> list:
        if isinstance(value, torch.Tensor):
            return [value]
        if isinstance(value, (list, tuple)):
            return [t for v in value for t in tensors(v)]
        return []

    class Watch(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            inputs = tensors(list(args)) + tensors(list(kwargs.values()))
            for t in inputs:
                if id(t) in owned and id(t) not in seen:
                    seen.add(id(t))
                    calls.append(("use", t, _tokens(t, inputs)))
            if isinstance(out, torch.Tensor):
                sources = [derived.get(id(t), owned.get(id(t))) for t in inputs]
                name = getattr(func, "__name__", "")
                if name in ("expand", "expand_as", "repeat", "view", "reshape", "to", "type_as", "contiguous") \
                        and sources and sources[0] is not None:
                    derived[id(out)] = sources[0]
                    alive.append(out)
                elif name == "cat":
                    _record_cat(out, args, kwargs, inputs)
            return out

    def _record_cat(out: Any, args: tuple, kwargs: dict, inputs: list) -> None:
        dim = kwargs.get("dim", args[1] if len(args) > 1 else 0)
        parts = tensors(args[0]) if args else []
        if not isinstance(dim, int) or len(parts) < 2 or out.dim() == 0:
            return
        axis = dim % out.dim()
        tokens = sum(int(t.shape[axis]) for t in parts if id(t) in derived or id(t) in owned)
        if 0 < tokens < int(out.shape[axis]):
            joined[id(out)] = (out.dim() - axis, tokens)
            alive.append(out)

    def _tokens(param: Any, inputs: list) -> int:
        for t in inputs:
            if t is param or id(t) not in joined:
                continue
            back, tokens = joined[id(t)]
            if back <= param.dim() and int(param.shape[param.dim() - back]) == int(t.shape[t.dim() - back]):
                return tokens
        return 0

    return Watch()


def _wrap_scripted(twin: Any, torch: Any) -> tuple[Any, list]:
    """The copy with each outermost scripted module (hooks cannot see it) inside an eager wrapper
    whose hooks record its call; returns what to run (a wrapper if the copy itself is scripted)
    and the (parent, name, scripted module) places to restore afterwards."""

    class ScriptCall(torch.nn.Module):
        def __init__(self, scripted: Any) -> None:
            super().__init__()
            object.__setattr__(self, "scripted", scripted)  # not a child: the copy keeps its modules

        def forward(self, *args: Any, **kwargs: Any) -> Any:
            return self.scripted(*args, **kwargs)

    if _is_script(twin, torch):
        return ScriptCall(twin), []
    wrapped = []
    for module in list(twin.modules()):
        if _is_script(module, torch):
            continue
        for name, child in list(module._modules.items()):
            if child is not None and _is_script(child, torch):
                module._modules[name] = ScriptCall(child)
                wrapped.append((module, name, child))
    return twin, wrapped


class _ForwardError(Exception):
    """The model's own forward failed (not a limit of the meta device)."""


ForwardError = _ForwardError


def _class_name(module: Any) -> str:
    if type(module).__name__ == "RecursiveScriptModule":  # a scripted module: the class it came from
        return str(getattr(module, "original_name", "RecursiveScriptModule"))
    return type(module).__name__


def _tensors(output: Any, torch: Any) -> list:
    """The tensors of an output, in order (nested tuples, lists, dicts, dataclass-like outputs)."""
    if isinstance(output, torch.Tensor):
        return [output]
    if isinstance(output, dict):
        return [t for v in output.values() for t in _tensors(v, torch)]
    if isinstance(output, (tuple, list)):
        return [t for v in output for t in _tensors(v, torch)]
    data = getattr(output, "data", None)  # a PackedSequence
    if isinstance(data, torch.Tensor):
        return [data]
    return []


def _strip(module: Any, t: Any) -> tuple:
    """A shape without the batch axis (axis 1 of a 3-D tensor for batch_first=False modules)."""
    s = tuple(int(d) for d in t.shape)
    if not s:
        return s
    if getattr(module, "batch_first", True) is False and len(s) == 3:
        return (s[0],) + s[2:]
    return s[1:]


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else ""


def to_meta(value: Any, torch: Any, path: str) -> Any:
    """An example input on the meta device: tensors (except 1-D integer tensors, such as the
    ``lengths`` of packed sequences, which torch wants on the CPU) inside lists, tuples, dicts."""
    if isinstance(value, torch.Tensor):
        if value.dim() == 1 and not value.is_floating_point() and not value.is_complex() and value.device.type == "cpu":
            return value.detach().clone()
        return torch.empty_like(value, device="meta")
    if isinstance(value, dict):
        return {k: to_meta(v, torch, f"{path}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_meta(v, torch, f"{path}[{i}]") for i, v in enumerate(value))
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ExplainError(f"{path} holds a {type(value).__name__}: example inputs are tensors, lists, tuples, "
                       f"dicts and plain numbers")


def batchless(value: Any, torch: Any) -> list[tuple[int, ...]]:
    """The shapes (without axis 0) of the tensors in an example input, in order."""
    if isinstance(value, torch.Tensor):
        return [tuple(int(d) for d in value.shape[1:])]
    if isinstance(value, dict):
        return [s for v in value.values() for s in batchless(v, torch)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in batchless(v, torch)]
    return []
