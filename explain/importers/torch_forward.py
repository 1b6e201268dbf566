"""The shape pass of ``from_torch``: the module runs once on a meta-device copy of itself.

The user's module is never touched: a deep copy (``copy.deepcopy``'s own, made without its
dispatch per value for modules and their plain state) with a memo that maps every parameter,
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

import collections
import copy
import copyreg
import dataclasses
import sys
import types
import weakref
from typing import Any

from ..errors import ExplainError
from ..records import record

BATCH = 2
"""The batch size of the shape pass: more than one value per channel for BatchNorm in any mode."""


@record(frozen=False)
class Pass:
    """What the shape pass found: the calls in order of completion, the input shapes (no batch
    axis), and, when the forward stopped on the meta device, which module and why."""

    calls: list  # (module of the copy, input shapes, output shapes); ("use", parameter, tokens); ("call", step, shapes)
    inputs: list  # input shapes without the batch axis
    stopped: str | None = None
    copy: Any = None  # the meta copy (lazy modules are read from it)
    originals: dict = dataclasses.field(default_factory=dict)  # id(copy tensor) → original tensor
    original_of: dict = dataclasses.field(default_factory=dict)  # id(copy module) → original module


def _meta(t: Any, torch: Any) -> Any:
    """An empty tensor like ``t`` on the meta device (a Parameter stays a Parameter)."""
    kind = type(t)
    if kind is torch.Tensor or kind is torch.nn.Parameter:  # without the Parameter classes' isinstance (Python)
        empty = torch.empty_like(t, device="meta")
        return empty if kind is torch.Tensor else torch.nn.Parameter(empty, requires_grad=t.requires_grad)
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


_EMPTY = (dict, collections.OrderedDict, set)
"""Containers that, empty, ``copy.deepcopy`` copies as a new empty one of the same type: a
module's dozen hook tables, most of what copying its tree costs, are made without it."""


_PLAIN = frozenset({type(None), bool, int, float, str, tuple})
"""Types of a module's plain attributes (flags, sizes, names): no tensor, no isinstance asked."""


def meta_copy(root: Any, torch: Any) -> tuple[Any, dict]:
    """A copy of ``root`` on the meta device in eval mode, and id(copy tensor) → original tensor."""
    twin, originals, _ = _meta_copy(root, torch)
    return twin, originals


def _meta_copy(root: Any, torch: Any) -> tuple[Any, dict, list]:
    """``meta_copy``, and the (original, copy) pairs of their modules in ``modules(remove_duplicate=False)`` order."""
    plain = _plain_copy(root, torch)
    if plain is not None:
        twin, originals = plain
        return twin, originals, list(zip(module_list(root, torch, False), module_list(twin, torch, False)))
    return _general_copy(root, torch)


def _general_copy(root: Any, torch: Any) -> tuple[Any, dict, list]:
    """:func:`_meta_copy` for any module: ``copy.deepcopy`` with a memo that holds the meta
    tensors, then the user's hooks removed and eval mode set."""
    memo: dict = {}
    originals: dict = {}
    tensor = torch.Tensor
    for module in module_list(root, torch):
        if _is_script(module, torch):
            continue
        tables = []
        for t in (*module._parameters.values(), *module._buffers.values(), *vars(module).values()):
            kind = type(t)
            if kind in _EMPTY:
                tables.append(t)
            elif kind not in _PLAIN and isinstance(t, tensor):
                if id(t) not in memo:
                    memo[id(t)] = meta = _meta(t, torch)
                    originals[id(meta)] = t
        for v in tables:  # the hook tables: deepcopy's own result, made directly
            if not v and not getattr(v, "__dict__", None) and id(v) not in memo:
                memo[id(v)] = type(v)()
    # the user's hooks and the module's own state must not run or change: the memo keeps the
    # originals alive for the copy's lifetime only
    twin = _deepcopy(root, memo, torch.nn.Module)
    pairs = list(zip(module_list(root, torch, False), module_list(twin, torch, False)))
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
    _eval(twin, [module for _, module in pairs], torch)
    return twin, originals, pairs


def _plain_copy(root: Any, torch: Any) -> tuple[Any, dict] | None:
    """:func:`_meta_copy`'s copy in one pass, for a tree of plain modules (most models): what
    ``copy.deepcopy`` makes of each module (``cls.__new__``, then ``__setstate__`` of its
    ``__getstate__`` copied), made directly, with each tensor an empty meta tensor and the
    ``training`` flags off (``eval()``). A plain module's class keeps torch.nn.Module's
    ``__reduce_ex__``, ``__getstate__``, ``train``/``eval`` and ``__setattr__`` and has no
    ``__deepcopy__``; its dict holds only numbers, strings, None, tuples and lists of those,
    ``Tensor`` and ``Parameter`` tensors, the module tables and empty hook tables (no hook to
    remove). None where anything else is found: the general copy makes it. Aliases stay aliases
    (a module, tensor or table registered twice)."""
    base, tensor, parameter = torch.nn.Module, torch.Tensor, torch.nn.Parameter
    new_object = object.__new__
    classes: dict[type, bool] = {}
    memo: dict[int, Any] = {}
    originals: dict[int, Any] = {}

    def plain_class(cls: Any) -> bool:
        found = classes.get(cls)
        if found is None:
            found = classes[cls] = (
                cls.__reduce_ex__ is base.__reduce_ex__ and cls.__reduce__ is base.__reduce__
                and cls.__getstate__ is base.__getstate__
                and getattr(cls, "__deepcopy__", None) is None and cls not in copyreg.dispatch_table
                and cls.__new__ is new_object and cls.train is base.train and cls.eval is base.eval
                and cls.__setattr__ is base.__setattr__ and not issubclass(cls, torch.jit.ScriptModule))
        return found

    def meta(t: Any) -> Any:
        found = memo.get(id(t))
        if found is None:
            found = memo[id(t)] = _meta(t, torch)
            originals[id(found)] = t
        return found

    def table(values: Any, kind: type) -> Any:
        """A copy of ``_parameters`` (kind Parameter), ``_buffers`` (Tensor) or ``_modules``."""
        found = memo.get(id(values))
        if found is not None:
            return found
        y = memo[id(values)] = type(values)()
        for name, v in values.items():
            if v is None:
                y[name] = None
            elif kind is base:
                y[name] = module(v)
            elif type(v) is kind:
                y[name] = meta(v)
            else:
                raise _NotPlain
        return y

    def module(x: Any) -> Any:
        found = memo.get(id(x))
        if found is not None:
            return found
        cls: Any = type(x)
        if not plain_class(cls) or "__deepcopy__" in vars(x):
            raise _NotPlain
        y = memo[id(x)] = cls.__new__(cls)
        state = {}
        for k, v in vars(x).items():
            kind = type(v)
            if kind in _ATOMIC:
                pass
            elif k == "_parameters":
                v = table(v, parameter)
            elif k == "_buffers":
                v = table(v, tensor)
            elif k == "_modules":
                v = table(v, base)
            elif kind in _EMPTY:
                if v and not (k == "_non_persistent_buffers_set" and _STR.issuperset(map(type, v))):
                    raise _NotPlain  # a hook, or a table of the user's
                found = memo.get(id(v))
                # kind() when empty: OrderedDict(empty) takes the mapping path (a keys view, a loop)
                v = memo[id(v)] = (kind(v) if v else kind()) if found is None else found
            elif kind is tensor or kind is parameter:
                v = meta(v)
            elif kind is tuple and _ATOMIC.issuperset(map(type, v)):
                pass
            elif kind is list and _ATOMIC.issuperset(map(type, v)):
                found = memo.get(id(v))
                v = memo[id(v)] = list(v) if found is None else found
            else:
                raise _NotPlain
            state[k] = v
        state.pop("_compiled_call_impl", None)  # as Module.__getstate__ leaves it out
        state["training"] = False
        y.__setstate__(state)  # Module's, or a class's that adds to it (_ConvNd: an old padding_mode)
        return y

    try:
        return module(root), originals
    except _NotPlain:
        return None


_STR = frozenset({str})


class _NotPlain(Exception):
    """A module or value that :func:`_plain_copy` leaves to the general copy."""


def module_list(root: Any, torch: Any, remove_duplicate: bool = True) -> list:
    """``list(root.modules(remove_duplicate=...))``: each module, then its children's trees in
    order, read from the ``_modules`` tables without torch's generator per level and name (a
    module at depth d was resumed d times); torch's own where a class lists its modules itself."""
    plain = torch.nn.Module.named_modules
    out: list = []
    seen: set = set()
    stack = [root]
    while stack:
        module = stack.pop()
        if type(module).named_modules is not plain:
            return list(root.modules(remove_duplicate=remove_duplicate))
        if remove_duplicate:
            if module in seen:
                continue
            seen.add(module)
        out.append(module)
        stack.extend(child for child in reversed(module._modules.values()) if child is not None)
    return out


def _eval(twin: Any, modules: list, torch: Any) -> None:
    """``twin.eval()``: where every module's class keeps torch's ``train`` and ``__setattr__``,
    its flag set directly (what ``train(False)`` sets, without ``__setattr__``'s checks per
    module); else torch's own."""
    base = torch.nn.Module
    if type(twin).eval is base.eval and all(
            type(m).train is base.train and type(m).__setattr__ is base.__setattr__ for m in modules):
        for module in modules:
            module.__dict__["training"] = False
    else:
        twin.eval()


_ATOMIC = frozenset({type(None), type(Ellipsis), type(NotImplemented), int, float, bool, complex, bytes, str,
                     types.CodeType, type, range, types.BuiltinFunctionType, types.FunctionType, weakref.ref,
                     property})
"""Types that ``copy.deepcopy`` returns as they are (numbers, strings, None, functions, classes):
copy.py's atomic types, listed here, not read from its private dispatch table."""
_NIL = object()
_NEWOBJ = copyreg.__newobj__  # type: ignore[attr-defined]


def _deepcopy(x: Any, memo: dict, module: type) -> Any:
    """``copy.deepcopy(x, memo)``: the same copy, made in the same order with the same memo, for
    what a module's state holds (modules, dicts, lists, tuples of plain values) without
    deepcopy's dispatch per value; anything else goes to ``copy.deepcopy`` itself."""
    y = memo.get(id(x), _NIL)
    if y is not _NIL:
        return y
    cls: Any = type(x)
    if cls in _ATOMIC:
        return x
    if cls is dict:
        # a plain value (no id of it is in the memo) is its own copy, and a value in the memo (a
        # module's hook tables, its tensors) has its copy there: no call for either
        y = {}
        memo[id(x)] = y
        get = memo.get
        for k, v in x.items():
            if type(v) not in _ATOMIC:
                found = get(id(v), _NIL)
                v = _deepcopy(v, memo, module) if found is _NIL else found
            y[k if type(k) in _ATOMIC else _deepcopy(k, memo, module)] = v
    elif cls is list:
        y = []
        memo[id(x)] = y
        for v in x:
            y.append(v if type(v) in _ATOMIC else _deepcopy(v, memo, module))
    elif cls is tuple and all(type(v) in _ATOMIC for v in x):
        return x
    elif isinstance(x, module) and getattr(x, "__deepcopy__", None) is None and cls not in copyreg.dispatch_table:
        reduced = x.__reduce_ex__(4)  # what deepcopy asks of it: (copyreg.__newobj__, (cls,), state, None, None)
        if isinstance(reduced, str):
            return x
        if not (type(reduced) is tuple and len(reduced) == 5 and reduced[0] is _NEWOBJ
                and reduced[1] == (cls,) and type(reduced[2]) is dict and reduced[3:] == (None, None)):
            return copy.deepcopy(x, memo)  # a reduction of its own (no torch.nn module has one)
        y = cls.__new__(cls)
        memo[id(x)] = y
        y.__setstate__(_deepcopy(reduced[2], memo, module))
    else:
        return copy.deepcopy(x, memo)
    memo[id(x)] = y
    memo.setdefault(id(memo), []).append(x)  # deepcopy's _keep_alive
    return y


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


def run(root: Any, torch: Any, names: dict, args: list, kwargs: dict, rows: Any = None,
        layers: Any = None) -> tuple:
    """Run a meta copy of ``root`` on (args, kwargs); returns the calls (module of the copy, input
    shapes, output shapes), where it stopped (None: it ran through), the copy, its tensor map
    (id(copy tensor) → original) and its module map (id(copy module) → original).

    The calls also hold the steps between modules (``("call", (type, arguments), (input shape,
    output shape))``, see ``_step``): a shape-changing function of ``STEP_FUNCTIONS`` on the data
    (the input, a module's output with the batch first, or what an element-wise function made of
    them: F.relu(x), x + y), called where no module of ``layers`` (the ids of the user's modules
    that are layers of the library, whose formulas hold their insides) runs, whose output (itself,
    through further steps or element-wise functions) a module takes or the forward returns: not
    an attention's reshapes of its queries for a matrix product. None without ``layers``.

    ``rows``: the ids of the user's parameters whose first use places a row (None: unknown). With
    it, a module of one of torch's own classes in ``_direct_call`` that holds none of them is
    called directly: between its hooks, its shape rule is applied to the arguments its forward
    would pass to the torch function, as the mode would apply it, without the forward itself; so is
    a block of ``_BLOCKS`` among ``layers`` made of its class's own parts, whose output has its
    input's shape (``_direct_block``)."""
    twin, originals, pairs = _meta_copy(root, torch)
    original_of = {id(c): o for o, c in pairs}
    if any(_is_script(c, torch) for _, c in pairs):
        runner, wrapped = _wrap_scripted(twin, torch)
        eager = [m for m in runner.modules() if not _is_script(m, torch)]
    else:  # the copy's modules, each once, in the order of twin.modules()
        runner, wrapped = twin, []
        eager = list({id(c): c for _, c in pairs}.values())
    scripted_of = {id(parent._modules[name]): scripted for parent, name, scripted in wrapped}  # wrapper → module
    if runner is not twin:
        scripted_of[id(runner)] = twin
    calls: list = []
    stack: list = []
    tensor = torch.Tensor
    opaque = {id(c) for o, c in pairs if id(o) in layers} if layers is not None else set()
    produced: dict[int, Any] = {id(t): t for t in _tensors([args, kwargs], torch)}  # batch first; kept alive
    plain: dict[type, bool] = {}  # class → batch_first is read from the instance's __dict__ alone

    def pre(module: Any, a: tuple, k: dict) -> None:
        stack.append(scripted_of.get(id(module), module))
        if chain:
            for t in _tensors([a, k], torch):
                keep(chain.get(id(t), ()))

    def post(module: Any, a: tuple, k: dict, output: Any) -> None:
        module = scripted_of.get(id(module), module)  # a scripted module's call, seen by its wrapper
        if stack and stack[-1] is module:
            stack.pop()
        tensors = [t for t in (*a, *k.values()) if isinstance(t, tensor)]
        outs = [output] if type(output) is tensor else _tensors(output, torch)
        cls = type(module)
        if cls not in plain:
            plain[cls] = (cls.__getattr__ is torch.nn.Module.__getattr__ and not hasattr(cls, "batch_first")
                          and cls.__getattribute__ is object.__getattribute__)
        # nn.Module.__getattr__ (parameters, buffers, submodules) never gives False: the instance's own
        seq_first = (vars(module).get("batch_first", True) if plain[cls] else
                     getattr(module, "batch_first", True)) is False
        for t in tensors + outs:
            touch(t)
        for t in outs:  # a sequence-first output's batch is its axis 1: no step takes it
            if seq_first:
                produced.pop(id(t), None)
            else:
                produced[id(t)] = t
        with quiet():  # under the mode, each read of a shape would be a call of it
            calls.append((module, tuple(_strip(t, seq_first) for t in tensors) or ((),),
                          tuple(_strip(t, seq_first) for t in outs)))

    def between(x: Any) -> bool:
        """``x`` is the input or a module's output (batch first), and no layer's forward runs."""
        return id(x) in produced and not any(id(m) in opaque for m in stack)

    chain: dict[int, tuple] = {}  # id(tensor made of steps' outputs) → the indices of those steps in calls
    earlier: dict[int, tuple] = {}  # index of a step → those of the steps its input was made of
    kept: set[int] = set()  # steps whose output a module takes or the forward returns

    def keep(indices: tuple) -> None:
        todo = list(indices)
        while todo:
            index = todo.pop()
            if index not in kept:
                kept.add(index)
                todo += earlier.get(index, ())

    watch, touch, owned = _watch(eager, torch, calls, between if layers is not None else None, produced, chain,
                                 earlier)
    quiet = torch._C.DisableTorchFunction

    def direct(module: Any) -> Any:
        """The forward of a module called directly: the rule's output, or its own forward where
        the rule does not apply (the hooks stay: a call of ``forward`` itself records nothing)."""
        block = type(module).__name__ in _BLOCKS

        def forward(*a: Any, **k: Any) -> Any:
            out = None
            if block:
                with quiet():
                    out = _direct_block(module, a, k, owned, torch)
            elif len(a) == 1 and not k and type(a[0]) is tensor and id(a[0]) not in owned:
                with quiet():
                    found = _direct_call(module, a[0], torch)
                    out = None if found is None else _known_shape(found[0], found[1], found[2], torch)
            if out is not None:
                return out
            return type(module).forward(module, *a, **k)
        return forward

    handles = []
    shortcut = _direct_modules(eager, originals, rows, torch, opaque)
    try:
        for module in eager:
            if id(module) in shortcut:  # Module.__setattr__ would find no parameter, buffer or child named forward
                vars(module)["forward"] = direct(module)
            handles.append(module.register_forward_pre_hook(pre, with_kwargs=True))
            handles.append(module.register_forward_hook(post, with_kwargs=True))
        try:
            with torch.no_grad(), watch:
                result = runner(*args, **kwargs)
            for t in _tensors(result, torch):
                keep(chain.get(id(t), ()))
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
        if earlier:  # a step no module takes (nor the forward returns) is part of a computation, not a step
            calls[:] = [c for i, c in enumerate(calls) if c[0] != "call" or i in kept]
        for h in handles:
            h.remove()
        for module in eager:
            if id(module) in shortcut:
                del vars(module)["forward"]
        for parent, name, scripted in wrapped:  # the copy as it was (lazy modules are read from it)
            parent._modules[name] = scripted
    return calls, None, twin, originals, original_of


def _watch(modules: list, torch: Any, calls: list, between: Any = None, produced: Any = None, chain: Any = None,
           earlier: Any = None) -> tuple[Any, Any, dict]:
    """A torch-function mode that records the first use of each parameter a module owns directly
    (a class token, a position embedding) as a call ("use", parameter, tokens): where the forward
    uses it. ``tokens``: for a tensor added to the output of a torch.cat that put k tokens made
    from another parameter before the rest along the same axis, k (ViT: pos_embed has N + 1).
    Also returns ``touch(t)``, which records a use of ``t`` as reading ``t.shape`` under the mode
    would (for the hooks, which read the shapes of a call with the mode off), and the parameters it
    watches (id → parameter).

    With ``between`` (``run``'s test of a step's input), it records the steps between modules as
    ("call", step, shapes) (``_step``), follows the data into ``produced`` and the steps each
    tensor was made of into ``chain`` (id → step indices), and each step's earlier steps into
    ``earlier``."""
    from torch.overrides import TorchFunctionMode

    owned = {id(p): p for m in modules for p in m._parameters.values() if p is not None}
    derived: dict[int, Any] = {}  # id(tensor made from a parameter by a view or expand) → parameter
    joined: dict[int, tuple[int, int]] = {}  # id(torch.cat output) → (axis from the end, tokens)
    alive: list = []  # keeps the tensors whose ids are keys above alive during the pass
    seen: set[int] = set()

    tensor = torch.Tensor

    def tensors(value: Any) -> list:
        if isinstance(value, tensor):
            return [value]
        if isinstance(value, (list, tuple)):
            return [t for v in value for t in tensors(v)]
        return []

    def inputs_of(args: tuple, kwargs: dict) -> list:
        """The tensors in args, then in kwargs, nested lists and tuples flattened in order."""
        found = []
        for value in (*args, *kwargs.values()):
            if isinstance(value, tensor):
                found.append(value)
            elif isinstance(value, (list, tuple)):
                found += tensors(value)
        return found

    class Watch(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = _known_shape(func, args, kwargs, torch)
            if out is None:
                out = func(*args, **kwargs)
            inputs = inputs_of(args, kwargs)
            for t in inputs:
                if id(t) in owned and id(t) not in seen:
                    seen.add(id(t))
                    calls.append(("use", t, _tokens(t, inputs)))
            if isinstance(out, tensor):
                if between is not None and id(out) not in produced:
                    _join(func, args, kwargs, inputs, out)
                sources = [derived.get(id(t), owned.get(id(t))) for t in inputs]
                name = getattr(func, "__name__", "")
                if name in ("expand", "expand_as", "repeat", "view", "reshape", "to", "type_as", "contiguous") \
                        and sources and sources[0] is not None:
                    derived[id(out)] = sources[0]
                    alive.append(out)
                elif name == "cat":
                    _record_cat(out, args, kwargs, inputs)
                if name in STEP_FUNCTIONS and between is not None and inputs and between(inputs[0]):
                    found = _step(func, name, args, kwargs, out, torch)
                    if found is not None:
                        produced[id(out)] = out
                        earlier[len(calls)] = chain.get(id(inputs[0]), ())
                        chain[id(out)] = (len(calls),)
                        calls.append(("call", *found))
            return out

    def _join(func: Any, args: tuple, kwargs: dict, inputs: list, out: Any) -> None:
        """The output of an element-wise function of the data (F.relu(x), x + y, x * mask: the
        shape of one of them), or of torch.cat of the data along another axis than the batch's,
        is the data still, made of the steps its inputs were made of."""
        if getattr(func, "__name__", "") == "cat" and func is torch.cat:
            dim = kwargs.get("dim", args[1] if len(args) > 1 else 0)
            parts = [t for t in inputs if id(t) in produced]
            if not parts or not isinstance(dim, int) or out.dim() == 0 or not dim % out.dim():
                return
        else:
            shape = out.shape
            parts = [t for t in inputs if id(t) in produced and t.shape == shape][:1]
            if not parts or not _elementwise(func, torch):  # aten's tags asked last: a name's first ask costs
                return
        produced[id(out)] = out
        made = tuple(i for t in parts for i in chain.get(id(t), ()))
        if made:
            chain[id(out)] = made

    def touch(t: Any) -> None:
        if id(t) in owned and id(t) not in seen:
            seen.add(id(t))
            calls.append(("use", t, 0))

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

    return Watch(), touch, owned


STEP_FUNCTIONS = frozenset({"mean", "sum", "amax", "amin", "flatten", "view", "reshape", "transpose", "permute"})
"""The functions (torch's or the tensor's method) that are steps of the derivation where they change
the shape of one sample between modules: a reduction over axes other than the batch's, or a new
shape of the same values that keeps the batch axis."""


def _elementwise(func: Any, torch: Any) -> bool:
    """``func`` computes its output element by element from its inputs (relu, add, mul, a norm,
    dropout): the output of a step stays the data a module may take."""
    name = getattr(func, "__name__", "")
    op = name.strip("_") if name.startswith("__") else name
    op = _DUNDER.get(op, op).rstrip("_")
    return bool(op) and (op in _KEEPS_DATA or _is_pointwise(op, torch))


def _step(func: Any, name: str, args: tuple, kwargs: dict, out: Any, torch: Any) -> tuple | None:
    """((type name, arguments), (input shape, output shape)) of a call of ``func`` (``name`` in
    ``STEP_FUNCTIONS``) on a batch-first input that changes one sample's shape: ``mean``, ``sum``,
    ``amax``, ``amin`` over given axes without the batch axis (floating point; keepdim), ``flatten``
    from start_dim ≥ 1, ``view`` and ``reshape`` that keep the batch axis's size (in row-major
    order each sample's values stay its own), ``transpose`` and ``permute`` of other axes than the
    batch's (that move an axis: a square's transpose keeps its shape); None for anything else."""
    if func is not getattr(torch.Tensor, name, None) and func is not getattr(torch, name, None):
        return None
    x: Any = args[0] if args else None
    if type(x) is not torch.Tensor or type(out) is not torch.Tensor or x.dim() < 2 or out.dim() < 1 \
            or out.shape[0] != x.shape[0]:
        return None
    rest, rank = args[1:], x.dim()
    spec: tuple[str, dict]
    if name in ("mean", "sum", "amax", "amin"):
        if set(kwargs) - {"dim", "keepdim"} or len(rest) > 2 or not x.is_floating_point():
            return None
        dim = rest[0] if rest else kwargs.get("dim")
        keep = rest[1] if len(rest) > 1 else kwargs.get("keepdim", False)
        dims = (dim,) if type(dim) is int else tuple(dim) if isinstance(dim, (tuple, list)) else ()
        if not dims or type(keep) is not bool or not all(type(d) is int and -rank <= d < rank and d % rank
                                                         for d in dims):
            return None
        spec = ("TensorReduction", {"function": name, "dim": dims, "keepdim": keep})
    elif name == "flatten":
        if set(kwargs) - {"start_dim", "end_dim"} or len(rest) > 2:
            return None
        start = rest[0] if rest else kwargs.get("start_dim", 0)
        end = rest[1] if len(rest) > 1 else kwargs.get("end_dim", -1)
        if type(start) is not int or type(end) is not int or not -rank <= start < rank or not start % rank:
            return None
        spec = ("TensorReshape", {"function": name, "sizes": tuple(out.shape[1:]), "start_dim": start,
                                  "end_dim": end})
    elif name in ("transpose", "permute"):
        dims = tuple(rest[0]) if name == "permute" and len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
        if kwargs or not dims or not all(type(d) is int and -rank <= d < rank for d in dims) \
                or (name == "transpose" and (len(dims) != 2 or not dims[0] % rank or not dims[1] % rank)) \
                or (name == "permute" and (len(dims) != rank or dims[0] % rank)):
            return None
        spec = ("Transpose", {"dim0": dims[0], "dim1": dims[1]}) if name == "transpose" else \
            ("Permute", {"dims": tuple(dims)})
    else:
        sizes = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
        if set(kwargs) - {"shape"} or not all(type(n) is int for n in (*sizes, *kwargs.get("shape", ()))):
            return None  # view(dtype), or sizes that are not plain numbers
        spec = ("TensorReshape", {"function": name, "sizes": tuple(out.shape[1:])})
    before, after = tuple(x.shape[1:]), tuple(out.shape[1:])
    axes = [d % rank for d in spec[1].get("dims", (spec[1].get("dim0"), spec[1].get("dim1")))] \
        if name in ("transpose", "permute") else []
    moved = len(set(axes)) == 2 if name == "transpose" else axes != sorted(axes)
    return (spec, (before, after)) if before != after or moved else None


_DIRECT = ("Linear", "Conv1d", "Conv2d", "Conv3d", "ReLU", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d")
"""The torch.nn classes whose forward only passes its input and its own attributes to one torch
function (BatchNorm first checks the input's rank): ``_direct_call`` gives that call."""
_BATCH_NORM_RANKS = {"BatchNorm1d": (2, 3), "BatchNorm2d": (4,), "BatchNorm3d": (5,)}


_BLOCKS = ("TransformerEncoderLayer",)
"""The torch.nn blocks whose output is a tensor of their input's shape and dtype: called directly
(``_direct_block``) where they are layers of the library, built of torch's own parts."""


def _direct_modules(eager: list, originals: dict, rows: Any, torch: Any, layers: Any = frozenset()) -> set[int]:
    """The ids of the copy's modules to call directly: of a class in ``_DIRECT`` itself (not a
    subclass, which may have a forward of its own), without hooks (torch's own, such as pruning's,
    stay on the copy) or global hooks or a forward of the instance's own, none of their parameters
    among ``rows``; and of a class in ``_BLOCKS`` among ``layers`` (ids of the copy's modules that
    are layers of the library), made of its class's own parts (``_plain_block``)."""
    hooks = torch.nn.modules.module
    if rows is None or hooks._global_forward_hooks or hooks._global_forward_pre_hooks \
            or hooks._global_backward_hooks or hooks._global_backward_pre_hooks:
        return set()
    classes = {getattr(torch.nn, n) for n in _DIRECT}
    blocks = {getattr(torch.nn, n) for n in _BLOCKS}
    return {id(m) for m in eager
            if type(m) in classes and not (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
                                           or m._backward_pre_hooks) and "forward" not in vars(m)
            and not any(id(originals.get(id(p), p)) in rows for p in m._parameters.values() if p is not None)} | \
        {id(m) for m in eager if type(m) in blocks and id(m) in layers and _plain_block(m, torch)}


def _plain_block(block: Any, torch: Any) -> bool:
    """A ``TransformerEncoderLayer`` whose forward gives a tensor of its input's shape wherever
    torch's own does not raise: its parts those its class makes (exact classes, torch's own
    forwards, no hooks, no part more), of consistent sizes (E = d_model, F = dim_feedforward:
    in_proj 3E × E, out_proj E × E, linear1 F × E, linear2 E × F, norms over E; heads dividing E),
    a ReLU or GELU."""
    nn = torch.nn
    parts = {"self_attn": nn.MultiheadAttention, "linear1": nn.Linear, "dropout": nn.Dropout, "linear2": nn.Linear,
             "norm1": nn.LayerNorm, "norm2": nn.LayerNorm, "dropout1": nn.Dropout, "dropout2": nn.Dropout}
    children = block._modules
    activation = block.__dict__.get("activation", children.get("activation"))
    if set(children) - {"activation"} != set(parts) or any(type(children[n]) is not c for n, c in parts.items()):
        return False
    if not (activation in (nn.functional.relu, nn.functional.gelu) or type(activation) in (nn.ReLU, nn.GELU)):
        return False
    attn = children["self_attn"]
    if set(attn._modules) != {"out_proj"} or type(attn.out_proj) is not nn.modules.linear.NonDynamicallyQuantizableLinear:
        return False
    for m in block.modules():
        if m._forward_hooks or m._forward_pre_hooks or "forward" in vars(m):
            return False
    e, linear1, linear2 = attn.embed_dim, children["linear1"], children["linear2"]
    f = linear1.out_features
    sizes = [(attn.in_proj_weight, (3 * e, e)), (attn.in_proj_bias, (3 * e,)), (attn.out_proj.weight, (e, e)),
             (attn.out_proj.bias, (e,)), (linear1.weight, (f, e)), (linear1.bias, (f,)), (linear2.weight, (e, f)),
             (linear2.bias, (e,))]
    for norm in (children["norm1"], children["norm2"]):
        sizes += [(norm.weight, (e,)), (norm.bias, (e,))]
        if tuple(norm.normalized_shape) != (e,):
            return False
    return (attn._qkv_same_embed_dim and attn.in_proj_weight is not None and attn.bias_k is None
            and attn.bias_v is None and attn.num_heads > 0 and e % attn.num_heads == 0
            and all(t is None or tuple(t.shape) == shape for t, shape in sizes))


def _direct_block(block: Any, args: tuple, kwargs: dict, owned: dict, torch: Any) -> Any:
    """The output of a call of a block in ``_BLOCKS`` (``_plain_block``) without its forward: a
    tensor of the input's shape, for the call ``forward(src, src_mask=None,
    src_key_padding_mask=None, is_causal=False)`` with a plain meta tensor src of rank 2 or 3 whose
    last size is d_model and whose dtype is the block's, no masks and no causal hint; None for any
    other call (its own forward then runs, and raises what torch raises)."""
    names = ("src", "src_mask", "src_key_padding_mask", "is_causal")
    if len(args) > len(names) or set(kwargs) - set(names[len(args):]):
        return None
    bound: dict[str, Any] = {**dict(zip(names, args)), **kwargs}
    src: Any = bound.get("src")
    causal = bound.get("is_causal", False)
    if type(src) is not torch.Tensor or id(src) in owned or src.device.type != "meta" or src.is_nested \
            or bound.get("src_mask") is not None or bound.get("src_key_padding_mask") is not None \
            or not (causal is False or causal is None):
        return None
    shape = tuple(src.shape)
    if len(shape) not in (2, 3) or min(shape) <= 0 or shape[-1] != block.self_attn.embed_dim \
            or not src.is_floating_point() or any(p.dtype != src.dtype for p in block.parameters()):
        return None
    return _empty(src, shape)


def _direct_call(module: Any, x: Any, torch: Any) -> tuple | None:
    """(function, arguments, keywords): what the forward of ``module`` (a class in ``_DIRECT``)
    passes to the torch-function mode for the input ``x``; None where it does more (BatchNorm in
    training mode or on an input of a rank it rejects, a convolution padding other than zeros)."""
    functional = torch.nn.functional
    name = type(module).__name__
    if name == "Linear":
        return functional.linear, (x, module.weight, module.bias), {}
    if name in ("Conv1d", "Conv2d", "Conv3d"):
        if module.padding_mode != "zeros":
            return None
        return (getattr(functional, name.lower()), (x, module.weight, module.bias, module.stride, module.padding,
                                                    module.dilation, module.groups), {})
    if name == "ReLU":
        return functional.relu, (x,), {"inplace": module.inplace}
    if name == "LayerNorm":
        return (functional.layer_norm, (x, module.normalized_shape),
                {"weight": module.weight, "bias": module.bias, "eps": module.eps})
    if name in _BATCH_NORM_RANKS:
        if module.training or x.dim() not in _BATCH_NORM_RANKS[name]:
            return None
        mean, var = module.running_mean, module.running_var
        return (functional.batch_norm, (x, mean, var),
                {"weight": module.weight, "bias": module.bias, "training": mean is None and var is None,
                 "momentum": 0.0 if module.momentum is None else module.momentum, "eps": module.eps})
    return None


_NO_RULE = frozenset({"__get__", "dim", "size"})
"""Reads of a tensor's attributes (the getter of t.shape, t.device, t.dtype; t.dim(), t.size()):
no output tensor, so no shape rule (without this shortcut they reach the same None through every
test below)."""
_SAME_SHAPE = frozenset({"batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm"})
"""Functions whose output has their input's shape and dtype."""
_BOOLEAN = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "signbit", "eq_", "ne_", "lt_", "le_", "gt_", "ge_"})
"""Comparisons: a boolean result (logical_* and is* too)."""
_KEEPS_DATA = frozenset({"dropout", "softmax", "log_softmax"}) | _SAME_SHAPE
"""Functions that are not element-wise but whose output is still their input's data, for a step:
besides those aten tags ``pointwise`` (``_is_pointwise``)."""
_DUNDER = {"radd": "add", "iadd": "add_", "rmul": "mul", "imul": "mul_", "isub": "sub_",
           "truediv": "div", "rtruediv": "div", "itruediv": "div_", "rpow": "pow", "ipow": "pow_"}


def _known_shape(func: Any, args: tuple, kwargs: dict, torch: Any) -> Any:
    """The output of ``func`` on meta tensors from its shape rule, without running it; None for a
    function without one here (or arguments it does not expect), which then runs as usual.

    On the meta device most kernels are Python decompositions whose first call imports
    torch._dynamo (a second or more: longer than the rest of the pass; a real forward pass, as
    torchinfo's, never does), so the common functions get their shapes here: pointwise ops
    (aten's ``pointwise`` tag) on floating tensors of one dtype broadcast their inputs (in place:
    the first input itself); the norms keep their input's shape; adaptive_avg_pool{1,2,3}d gives
    (N, C, *output_size); linear gives x's shape with the weight's rows as last size; mean and sum drop (or keep) their dims; cat adds its inputs' sizes along
    its axis; conv{1,2,3}d gives (N, C_out, ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1, …) and
    max_pool/avg_pool{1,2,3}d (N, C, …) the same way (their meta kernels' checks import torch.fx's
    symbolic shapes and torch's sympy layer: ≈ 0.1 s); scaled_dot_product_attention gives Q's shape with V's last size; nn.MultiheadAttention's
    function, its output and weights."""
    name = getattr(func, "__name__", "")
    if name in _NO_RULE:
        return None  # most calls under the mode are reads of a tensor's attribute (t.shape)
    x = args[0] if args else kwargs.get("input")
    lazy = torch.nn.parameter.UninitializedTensorMixin
    if not isinstance(x, (torch.Tensor, list, tuple)) or any(isinstance(a, lazy) for a in
                                                             (*args, *kwargs.values())):
        return None  # a lazy module's parameter: torch's own code initialises it
    if name == "cat" and func is torch.cat:
        return _cat(args, kwargs, torch)
    if not isinstance(x, torch.Tensor) or x.device.type != "meta" or x.dim() == 0:
        return None
    functional = getattr(torch.nn.functional, name, None)
    if name in _SAME_SHAPE and func in (functional, getattr(torch, name, None)):
        return _empty(x, tuple(x.shape))  # torch.empty_like's meta path imports torch.fx's symbolic shapes
    if name.startswith("adaptive_avg_pool") and func is functional:
        return _adaptive_pool(x, int(name[-2]), args[1] if len(args) > 1 else kwargs.get("output_size"))
    if name == "scaled_dot_product_attention" and func is functional:
        q, k, v = (list(args) + [kwargs.get(n) for n in ("query", "key", "value")[len(args):]])[:3]
        if not all(isinstance(t, torch.Tensor) for t in (q, k, v)) or q.dim() < 2 or v.dim() < 2:
            return None
        return _empty(q, tuple(q.shape[:-1]) + (v.shape[-1],))
    if name == "linear" and func is functional:
        w = args[1] if len(args) > 1 else kwargs.get("weight")
        if isinstance(w, torch.Tensor) and w.dim() == 2 and x.shape[-1] == w.shape[1] and x.dtype == w.dtype:
            return _empty(x, tuple(x.shape[:-1]) + (w.shape[0],))
        return None
    if name == "multi_head_attention_forward" and func is functional:
        return _attention(args, kwargs, torch)
    if name in ("conv1d", "conv2d", "conv3d") and func is functional:
        return _conv(x, int(name[-2]), args[1:], kwargs, torch)
    if name[:-2] in ("max_pool", "avg_pool") and name[-2:] in ("1d", "2d", "3d") and func is functional:
        return _pool(x, int(name[-2]), args[1:], kwargs, name.startswith("max"))
    if name in ("mean", "sum") and func in (getattr(torch.Tensor, name), getattr(torch, name)):
        return _reduce(x, args[1:], kwargs)
    return _pointwise(name, args, kwargs, torch)


def _empty(like: Any, shape: Any) -> Any:
    """``like.new_empty(shape)`` for a meta tensor ``like``: for a plain tensor, ``torch.empty``
    of its dtype on the meta device (≈ 1 µs; ``new_empty`` runs a Python reference
    implementation on the meta device, ≈ 4 µs)."""
    torch = sys.modules["torch"]  # imported: ``like`` is a torch tensor
    if type(like) is torch.Tensor:
        return torch.empty(shape, dtype=like.dtype, device="meta")
    return like.new_empty(shape)


def _pointwise(name: str, args: tuple, kwargs: dict, torch: Any) -> Any:
    op = name.strip("_") if name.startswith("__") else name
    op = _DUNDER.get(op, op)
    if op in _BOOLEAN or op.startswith(("logical_", "is")) or set(kwargs) - {"alpha", "inplace", "approximate", "negative_slope",
                                                 "min_val", "max_val", "min", "max"}:
        return None
    inplace = op.endswith("_") or kwargs.get("inplace") is True
    if not _is_pointwise(op, torch):
        return None
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if any(not isinstance(a, (torch.Tensor, int, float)) or isinstance(a, bool) for a in args):
        return None
    if not tensors or any(t.device.type != "meta" or not t.is_floating_point() or t.dtype != tensors[0].dtype
                          for t in tensors):
        return None
    shape = _broadcast([tuple(t.shape) for t in tensors])
    if shape is None:
        return None
    if inplace:
        return args[0] if isinstance(args[0], torch.Tensor) and tuple(args[0].shape) == tuple(shape) else None
    return _empty(tensors[0], shape)


_POINTWISE: dict[str, bool] = {}
"""aten op name → whether one of its overloads carries the ``pointwise`` tag (asked once per name)."""


def _is_pointwise(op: str, torch: Any) -> bool:
    if op not in _POINTWISE:
        packet = getattr(torch.ops.aten, op, None)
        _POINTWISE[op] = packet is not None and any(torch.Tag.pointwise in getattr(packet, o).tags
                                                    for o in packet.overloads())
    return _POINTWISE[op]


def _broadcast(shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    """The shape the inputs broadcast to (None when they do not); torch.broadcast_shapes would
    import torch.fx's symbolic shapes."""
    out: list[int] = []
    for axis in range(1, max(len(s) for s in shapes) + 1):
        sizes = {s[-axis] for s in shapes if len(s) >= axis} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(reversed(out))


_MHA_ARGS = ("query", "key", "value", "embed_dim_to_check", "num_heads", "in_proj_weight", "in_proj_bias",
             "bias_k", "bias_v", "add_zero_attn", "dropout_p", "out_proj_weight", "out_proj_bias", "training",
             "key_padding_mask", "need_weights", "attn_mask", "use_separate_proj_weight", "q_proj_weight",
             "k_proj_weight", "v_proj_weight", "static_k", "static_v", "average_attn_weights", "is_causal")


def _attention(args: tuple, kwargs: dict, torch: Any) -> Any:
    """F.multi_head_attention_forward (nn.MultiheadAttention, sequence first): the output is the
    query's shape with the output projection's rows as last size; the weights (need_weights)
    are (N, L, S), or (N, H, L, S) when not averaged (unbatched: without N), S counting
    bias_k's and add_zero_attn's extra key."""
    if len(args) > len(_MHA_ARGS) or set(kwargs) - set(_MHA_ARGS):
        return None
    a: dict[str, Any] = {**dict(zip(_MHA_ARGS, args)), **kwargs}
    q: Any = a.get("query")
    k: Any = a.get("key")
    w: Any = a.get("out_proj_weight")
    if not all(isinstance(t, torch.Tensor) for t in (q, k, w)) or q.dim() not in (2, 3) or k.dim() != q.dim() \
            or w.dim() != 2 or a.get("static_k") is not None:
        return None
    out = _empty(q, tuple(q.shape[:-1]) + (w.shape[0],))
    if not a.get("need_weights", True):
        return out, None
    length, keys = q.shape[0], k.shape[0] + (a.get("bias_k") is not None) + bool(a.get("add_zero_attn"))
    heads = () if a.get("average_attn_weights", True) else (a.get("num_heads"),)
    if heads and not isinstance(heads[0], int):
        return None
    batch = (q.shape[1],) if q.dim() == 3 else ()
    return out, _empty(q, batch + heads + (length, keys))


_CONV_ARGS = ("weight", "bias", "stride", "padding", "dilation", "groups")


def _conv(x: Any, spatial: int, rest: tuple, kwargs: dict, torch: Any) -> Any:
    """F.conv{1,2,3}d: input (N, C_in, *L) or (C_in, *L), weight (C_out, C_in/groups, *k); each
    output size ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1 (padding "same": L, "valid": p = 0)."""
    if len(rest) > len(_CONV_ARGS) or set(kwargs) - set(_CONV_ARGS) - {"input"}:
        return None
    a: dict[str, Any] = {"bias": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1,
                         **dict(zip(_CONV_ARGS, rest)), **{n: v for n, v in kwargs.items() if n != "input"}}
    w, bias, groups = a.get("weight"), a["bias"], a["groups"]
    if not isinstance(w, torch.Tensor) or w.dim() != spatial + 2 or x.dim() not in (spatial + 1, spatial + 2) \
            or w.device.type != "meta" or w.dtype != x.dtype or not x.is_floating_point() \
            or type(groups) is not int or groups < 1 or w.shape[0] % groups:
        return None
    if bias is not None and (not isinstance(bias, torch.Tensor) or tuple(bias.shape) != (w.shape[0],)
                             or bias.dtype != x.dtype):
        return None
    if x.shape[x.dim() - spatial - 1] != w.shape[1] * groups:
        return None
    kernel = tuple(int(n) for n in w.shape[2:])

    stride, dilation = _sizes(a["stride"], spatial), _sizes(a["dilation"], spatial)
    if stride is None or dilation is None or min(stride) < 1 or min(dilation) < 1:
        return None
    sizes = tuple(int(n) for n in x.shape[x.dim() - spatial:])
    if a["padding"] == "same" and stride == (1,) * spatial:
        out = sizes
    else:
        padding = (0,) * spatial if a["padding"] == "valid" else _sizes(a["padding"], spatial)
        if padding is None or min(padding) < 0:
            return None
        out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                    for n, p, d, k, s in zip(sizes, padding, dilation, kernel, stride))
    if min(out) < 1 or min(sizes) < 1:
        return None
    return _empty(x, tuple(x.shape[:x.dim() - spatial - 1]) + (w.shape[0],) + out)


def _sizes(value: Any, spatial: int) -> tuple[int, ...] | None:
    """An int or a sequence of ``spatial`` ints as a tuple (None for anything else)."""
    values = (value,) * spatial if type(value) is int else tuple(value) if isinstance(value, (tuple, list)) else None
    return values if values is not None and len(values) == spatial and all(type(v) is int for v in values) else None


_MAX_POOL_ARGS = ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
_AVG_POOL_ARGS = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")


def _pool(x: Any, spatial: int, rest: tuple, kwargs: dict, maximum: bool) -> Any:
    """F.max_pool/avg_pool{1,2,3}d: input (N, C, *L) or (C, *L); each output size
    ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1 (⌈…⌉ with ceil_mode, less the last window when it would
    start in the right padding); stride defaults to the kernel size."""
    names = _MAX_POOL_ARGS if maximum else _AVG_POOL_ARGS
    if len(rest) > len(names) or set(kwargs) - set(names) - {"input"}:
        return None
    a: dict[str, Any] = {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False,
                         **dict(zip(names, rest)), **{n: v for n, v in kwargs.items() if n != "input"}}
    if a.get("return_indices") or x.dim() not in (spatial + 1, spatial + 2) or not x.is_floating_point() \
            or type(a["ceil_mode"]) is not bool:
        return None
    kernel, padding, dilation = _sizes(a.get("kernel_size"), spatial), _sizes(a["padding"], spatial), \
        _sizes(a["dilation"], spatial)
    stride = kernel if a["stride"] is None or a["stride"] == [] or a["stride"] == () else _sizes(a["stride"], spatial)
    if kernel is None or padding is None or dilation is None or stride is None \
            or min(kernel + stride + dilation) < 1 or min(padding) < 0 \
            or any(2 * p > k for p, k in zip(padding, kernel)):
        return None
    sizes = tuple(int(n) for n in x.shape[x.dim() - spatial:])
    if not maximum and spatial == 3 and any(n < k for n, k in zip(sizes, kernel)):
        return None  # avg_pool3d's own check: the input before padding at least the kernel
    out = []
    for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation):
        span = n + 2 * p - d * (k - 1) - 1
        size = (span + (s - 1 if a["ceil_mode"] else 0)) // s + 1
        if a["ceil_mode"] and (size - 1) * s >= n + p:
            size -= 1
        out.append(size)
    if min(out) < 1 or min(sizes) < 1:
        return None
    return _empty(x, tuple(x.shape[:x.dim() - spatial]) + tuple(out))


def _adaptive_pool(x: Any, spatial: int, size: Any) -> Any:
    if x.dim() not in (spatial + 1, spatial + 2):
        return None
    size = (size,) * spatial if isinstance(size, int) else tuple(size) if isinstance(size, (tuple, list)) else None
    if size is None or len(size) != spatial:
        return None
    size = tuple(x.shape[x.dim() - spatial + i] if s is None else s for i, s in enumerate(size))
    if not all(isinstance(s, int) and s > 0 for s in size):
        return None
    return _empty(x, tuple(x.shape[:x.dim() - spatial]) + size)


def _reduce(x: Any, rest: tuple, kwargs: dict) -> Any:
    if set(kwargs) - {"dim", "keepdim"} or len(rest) > 2:
        return None
    dim = rest[0] if rest else kwargs.get("dim")
    keep = rest[1] if len(rest) > 1 else kwargs.get("keepdim", False)
    if dim is None or not isinstance(keep, bool) or not x.is_floating_point():
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim) if isinstance(dim, (tuple, list)) else None
    if not dims or not all(isinstance(d, int) and -x.dim() <= d < x.dim() for d in dims):
        return None
    axes = {d % x.dim() for d in dims}
    shape = [1 if i in axes else n for i, n in enumerate(x.shape)] if keep else \
        [n for i, n in enumerate(x.shape) if i not in axes]
    return _empty(x, shape)


def _cat(args: tuple, kwargs: dict, torch: Any) -> Any:
    parts = args[0] if args else kwargs.get("tensors")
    dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    if set(kwargs) - {"tensors", "dim"} or not isinstance(parts, (list, tuple)) or not parts \
            or not isinstance(dim, int):
        return None
    if not all(isinstance(t, torch.Tensor) and t.device.type == "meta" and t.dim() == parts[0].dim()
               and t.dtype == parts[0].dtype for t in parts) or parts[0].dim() == 0:
        return None
    axis = dim % parts[0].dim()
    rest = [tuple(n for i, n in enumerate(t.shape) if i != axis) for t in parts]
    if len(set(rest)) != 1:
        return None
    shape = list(parts[0].shape)
    shape[axis] = sum(int(t.shape[axis]) for t in parts)
    return _empty(parts[0], shape)


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


def _strip(t: Any, seq_first: bool) -> tuple:
    """A shape without the batch axis (axis 1 of a 3-D tensor for a batch_first=False module)."""
    s = tuple(t.shape)
    if not s:
        return s
    if seq_first and len(s) == 3:
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
