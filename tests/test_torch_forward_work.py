"""The work of from_torch's meta pass, counted (calls of the torch-function mode, copies made),
and what the shortcuts must keep: the model and the user's module exactly as before."""
from __future__ import annotations

import weakref

import pytest

from tests.conftest import require_module

torch = require_module("torch")
nn = torch.nn

import explain  # noqa: E402
from explain.errors import ExplainError  # noqa: E402
from explain.importers import live_torch, torch_forward  # noqa: E402


class ConvBlock(nn.Module):
    """A forward of its own, so the meta pass runs (not the rules)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


def test_the_hooks_read_the_shapes_without_the_mode(monkeypatch):
    """The mode sees the forward's own calls only: conv2d, BatchNorm's x.dim() check, batch_norm
    and relu; the hooks' reads of the four calls' shapes (eight t.shape) do not reach it (the
    modules hooked, not called directly)."""
    monkeypatch.setattr(torch_forward, "_DIRECT", ())
    seen = []
    real = torch_forward._known_shape
    monkeypatch.setattr(torch_forward, "_known_shape",
                        lambda func, *a: seen.append(getattr(func, "__name__", "")) or real(func, *a))
    model = explain.from_torch(ConvBlock(), (3, 8, 8))
    assert seen == ["conv2d", "dim", "batch_norm", "relu"]
    assert [n.output_shape for n in model.nodes] == [(4, 6, 6)] * 3


class Token(nn.Module):
    """A parameter whose first use is a module's input that no torch function reads (Identity)."""

    def __init__(self) -> None:
        super().__init__()
        self.ident = nn.Identity()
        self.lin = nn.Linear(4, 4)
        self.token = nn.Parameter(torch.zeros(1, 4))

    def forward(self, x):
        return self.lin(x + self.ident(self.token))


def test_a_parameter_first_met_by_a_hook_is_placed_before_that_call():
    """Identity runs no torch function on the token: the hook that records Identity's call is the
    first to see it, so the token's row comes before Identity's, as its first use."""
    model = explain.from_torch(Token(), (4,))
    assert [(n.name, n.inputs) for n in model.nodes] == [("token", ()), ("ident", ("input",)), ("lin", ("ident",))]
    assert model.total == 4 + 4 * 4 + 4



class Holder:
    """Not a module: deepcopy copies it through its __dict__."""

    def __init__(self, items) -> None:
        self.items = items


class Odd(nn.Module):
    """What a module's state can hold besides torch's own: aliases of a submodule, a list and a
    tuple holding modules and tensors, a plain object, a tensor attribute, an LSTM (its own
    __getstate__/__setstate__), a module copied by its own __deepcopy__."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.again = self.lin
        self.rnn = nn.LSTM(3, 4)
        self.seq = nn.Sequential(self.lin, nn.ReLU())
        self.shapes = [(1, 2), [3, 4], {"k": (5,)}]
        self.parts = (self.lin, self.lin.weight, "x")
        self.holder = Holder([self.lin, self.lin.bias, 7])
        self.scale = torch.ones(2)
        self.own = Own()
        self.register_buffer("steps", torch.zeros(1))


class Own(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.p = nn.Parameter(torch.ones(2))
        self.copied = 0

    def __deepcopy__(self, memo):
        twin = Own()
        twin.copied = self.copied + 1
        memo[id(self)] = twin
        return twin


def _same(a, b, pairs: dict, path: str = "") -> None:
    """a and b alike: the same types, values, tensor metadata, and the same aliases."""
    if id(a) in pairs:
        assert pairs[id(a)] is b, f"{path}: an alias in one copy only"
        return
    pairs[id(a)] = b
    assert type(a) is type(b), path
    if isinstance(a, torch.Tensor):
        assert (a.shape, a.dtype, a.device, a.requires_grad) == (b.shape, b.dtype, b.device, b.requires_grad), path
        return
    if isinstance(a, weakref.ref):  # LSTM's _flat_weight_refs: to each copy's own tensors
        _same(a(), b(), pairs, f"{path}()")
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _same(a[k], b[k], pairs, f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, pairs, f"{path}[{i}]")
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        _same(vars(a), vars(b), pairs, f"{path}.__dict__")
    else:
        assert a == b or (callable(a) and a is b), path


def test_the_copy_is_deepcopys_copy():
    """``_deepcopy`` with the meta pass's memo makes the copy ``copy.deepcopy`` makes with the
    same memo: the same structure, aliases, values, meta tensors and shared originals."""
    import copy

    module = Odd()
    twin, originals = torch_forward.meta_copy(module, torch)
    memo: dict = {}
    for t in (*module.parameters(), *module.buffers(), module.scale):
        memo.setdefault(id(t), torch_forward._meta(t, torch))
    reference = copy.deepcopy(module, memo)
    reference.eval()
    _same(reference, twin, {})
    assert twin.again is twin.lin and twin.seq[0] is twin.lin and twin.parts[0] is twin.lin
    assert twin.holder.items[0] is twin.lin and twin.holder.items[1] is twin.lin.bias
    assert twin.parts[1] is twin.lin.weight and twin.lin.weight.device.type == "meta"
    assert twin.own.copied == 1 and twin.own.p.device.type == "cpu"  # its own __deepcopy__ ran
    assert twin.holder is not module.holder and twin.shapes is not module.shapes
    assert twin.shapes[1] is not module.shapes[1] and twin.shapes[2] is not module.shapes[2]
    assert twin.shapes[0] is module.shapes[0]  # a tuple of numbers: deepcopy's own copy is itself
    metas = [t for t in twin.parameters() if t.device.type == "meta"]
    assert len(metas) == len(list(module.parameters())) - 1  # all but Own's, which Own copied itself
    assert {id(originals[id(t)]) for t in metas} <= {id(t) for t in module.parameters()}


def test_the_copy_leaves_the_plain_values_to_itself(monkeypatch):
    """Numbers, strings and tuples of them in a module's state take no call of ``copy.deepcopy``;
    a Sequential of Conv2d, BatchNorm2d and ReLU calls it for nothing."""
    import copy

    calls = []
    real = copy.deepcopy
    monkeypatch.setattr(copy, "deepcopy", lambda x, memo=None, *a: calls.append(type(x)) or real(x, memo, *a))
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
    twin, _ = torch_forward.meta_copy(module, torch)
    assert calls == []
    assert [type(m) for m in twin.modules()] == [type(m) for m in module.modules()]
    assert twin[0].kernel_size == (3, 3) and twin[1].momentum == module[1].momentum and not twin.training


class NamedScripted(nn.Module):
    """A child named ``scripted``: the name the pass's wrappers of scripted modules once went by."""

    def __init__(self) -> None:
        super().__init__()
        self.scripted = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.scripted(x))


def test_a_child_named_scripted_is_not_taken_for_a_scripted_modules_wrapper():
    """The root's own call was recorded as a second call of its child ``scripted`` (a row
    'scripted#2'); the wrappers are known by identity now."""
    model = explain.from_torch(NamedScripted(), (4,))
    assert [(n.name, n.output_shape) for n in model.nodes] == [("scripted", (4,)), ("head", (2,))]


class SeqFirst(nn.Module):
    """batch_first as a class attribute (False): its calls' shapes drop axis 1, as an LSTM's."""

    batch_first = False

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(6, 3)
        self.register_buffer("scale", torch.ones(3))  # a node of its own (counted from its tensors)

    def forward(self, x):
        return self.lin(x) * self.scale


class Wrapper(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = SeqFirst()
        self.rnn = nn.GRU(3, 5)  # batch_first=False in the instance's __dict__

    def forward(self, x):
        return self.rnn(self.inner(x.transpose(0, 1)))[0]


def test_batch_first_is_read_as_the_module_has_it():
    """A class attribute and an instance attribute both say the batch is axis 1 (sequence first):
    the shapes of inner (S, N, 6) → (S, N, 3) and of the GRU (S, N, 5) are given without it."""
    model = explain.from_torch(Wrapper(), (7, 6))
    shapes = {n.name: (n.input_shapes, n.output_shape) for n in model.nodes}
    assert shapes["inner"] == (((7, 6),), (7, 3)) and shapes["rnn"] == (((7, 3),), (7, 5))


class Repeated(nn.Module):
    """Four equal blocks and a different last one, with a forward of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.ReLU()) for _ in range(4))
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        for block in self.blocks:
            x = x + block(x)
        return self.head(x)


def _infer_anew(self, layer, shapes):
    """``_Reader.infer_once`` without its memo."""
    try:
        return layer.infer(shapes)
    except (ExplainError, TypeError, ValueError, ZeroDivisionError):
        return None


def test_equal_modules_make_their_layer_and_probe_it_once(monkeypatch):
    """The layer of a module is made from its arguments once for all modules with equal ones,
    and probed once: Linear(8, 8), LayerNorm(8), ReLU and Linear(8, 3) are made once each (not
    13 times), and the two Linear and the LayerNorm probed once each. The model is the one made
    without sharing (no layer made, probed, read from a module's state or inferred on the same
    shapes once for several modules)."""
    made, probed = [], []
    real_make, real_probe = live_torch.make, live_torch._Reader.probe
    monkeypatch.setattr(live_torch, "make", lambda name, *a, **k: made.append(name) or real_make(name, *a, **k))
    monkeypatch.setattr(live_torch._Reader, "probe", lambda self, layer, *a: probed.append(layer.type_name)
                        or real_probe(self, layer, *a))
    module = Repeated()
    model = explain.from_torch(module, (8,))
    assert sorted(made) == ["LayerNorm", "Linear", "Linear", "ReLU"]
    assert sorted(probed) == ["LayerNorm", "Linear", "Linear"]
    monkeypatch.setattr(live_torch, "_args_key", lambda args: None)
    monkeypatch.setattr(live_torch._Reader, "probe_once", lambda self, layer, module: self.probe(layer, module))
    monkeypatch.setattr(live_torch, "_state_key", lambda module: None)
    monkeypatch.setattr(live_torch._Reader, "infer_once", _infer_anew)
    unshared = explain.from_torch(module, (8,))
    assert model == unshared and len(made) == 4 + 13 and model.total == 4 * (72 + 16) + 27


def test_modules_of_equal_state_are_read_once(monkeypatch):
    """Repeated's 13 modules without children hold 4 states (Linear(8, 8), LayerNorm(8), ReLU,
    Linear(8, 3)): each is read once; a module with children is read each time (the model, the
    ModuleList, the 4 Sequential). A frozen copy, another padding, a tensor attribute or a child
    make another state, or none."""
    read = []
    real = live_torch._Reader.known_anew
    monkeypatch.setattr(live_torch._Reader, "known_anew", lambda self, module: read.append(type(module).__name__)
                        or real(self, module))
    explain.from_torch(Repeated(), (8,))
    assert sorted(read) == ["LayerNorm", "Linear", "Linear", "ModuleList", "ReLU", "Repeated"] + ["Sequential"] * 4
    key = live_torch._state_key
    frozen = nn.Linear(8, 8).requires_grad_(False)
    assert key(nn.Linear(8, 8)) == key(nn.Linear(8, 8)) != key(frozen)
    assert key(nn.Conv2d(3, 4, 3, padding=1)) != key(nn.Conv2d(3, 4, 3, padding="same"))
    marked = nn.Linear(8, 8)
    marked.scale = torch.ones(1)
    assert key(marked) is None and key(nn.Sequential(nn.ReLU())) is None


class Shared(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.seq = nn.Sequential(self.a, nn.ReLU(), nn.Sequential(self.a, nn.Tanh()))

    def forward(self, x):
        return self.seq(self.a(x))


def test_the_pass_watches_each_module_of_the_copy_once_in_torchs_order(monkeypatch):
    """Without scripted parts, the modules the pass hooks and watches come from the list of the
    copy's modules made with it: the copy's own ``modules()``, each once, in its order."""
    watched = []
    real = torch_forward._watch

    def watch(modules, *args):
        watched.extend(modules)
        return real(modules, *args)

    monkeypatch.setattr(torch_forward, "_watch", watch)
    calls, stopped, twin, *_ = torch_forward.run(Shared(), torch, {}, [torch.zeros(2, 4, device="meta")], {})
    assert stopped is None
    assert [id(m) for m in watched] == [id(m) for m in twin.modules()] and len(watched) == 6
    assert [type(c[0]).__name__ for c in calls if c[0] != "use"] == ["Linear", "Linear", "ReLU", "Linear", "Tanh", "Sequential",
                                                    "Sequential", "Shared"]


def test_the_copy_returns_as_they_are_exactly_what_deepcopy_returns_as_they_are():
    """The types the copy keeps as they are (listed, not read from copy's private dispatch table):
    ``copy.deepcopy`` gives each such value back itself, and the copy of a state holding them is
    deepcopy's copy."""
    import copy
    import types

    def function():
        return 1

    samples = [None, ..., NotImplemented, 3, 2.5, True, 1j, b"b", "s", function.__code__, nn.Linear, range(3),
               len, function, weakref.ref(nn.Linear), property(len)]
    assert {type(v) for v in samples} == set(torch_forward._ATOMIC)
    for v in samples:
        assert copy.deepcopy(v) is v and torch_forward._deepcopy(v, {}, nn.Module) is v, v
    assert types.FunctionType in torch_forward._ATOMIC and list not in torch_forward._ATOMIC


class OwnState(nn.Module):
    """A module whose state is not a dict (its own __getstate__): the copy is deepcopy's own."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 2)

    def __getstate__(self):
        return (dict(self.__dict__), "marker")

    def __setstate__(self, state):
        self.__dict__.update(state[0])
        self.restored = state[1]

    def forward(self, x):
        return self.lin(x)


class Outer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inner = OwnState()
        self.again = self.inner.lin

    def forward(self, x):
        return self.inner(x) + self.again(x)


def test_a_module_with_a_reduction_of_its_own_is_copied_by_deepcopy(monkeypatch):
    """A module whose reduction is not torch's (__getstate__ gives a tuple) goes to
    ``copy.deepcopy`` with the pass's memo, once: the same copy, aliases kept, the user's module
    untouched; torch.nn's own modules never do."""
    import copy

    module = Outer()
    calls = []
    real = copy.deepcopy
    monkeypatch.setattr(copy, "deepcopy", lambda x, memo=None, *a: calls.append(type(x)) or real(x, memo, *a))
    twin, originals = torch_forward.meta_copy(module, torch)
    assert calls == [OwnState]
    monkeypatch.setattr(copy, "deepcopy", real)
    memo: dict = {}
    for t in (*module.parameters(), *module.buffers()):
        memo.setdefault(id(t), torch_forward._meta(t, torch))
    reference = copy.deepcopy(module, memo).eval()
    _same(reference, twin, {})
    assert twin.inner.restored == "marker" and not hasattr(module.inner, "restored")
    assert twin.again is twin.inner.lin and twin.again.weight.device.type == "meta"
    assert module.again.weight.device.type == "cpu" and originals[id(twin.again.weight)] is module.again.weight
    model = explain.from_torch(module, (3,))
    assert model.total == sum(p.numel() for p in module.parameters()) == 3 * 2 + 2
    assert [(n.name, n.output_shape, n.shares) for n in model.nodes] == [("inner.lin", (2,), None),
                                                                        ("inner.lin#2", (2,), "inner.lin")]
    plain = [nn.Linear(2, 2), nn.LSTM(3, 4), nn.GRU(3, 4), nn.MultiheadAttention(4, 2), nn.Conv2d(1, 1, 1),
             nn.BatchNorm2d(2), nn.Embedding(3, 2), nn.TransformerEncoderLayer(8, 2)]
    calls.clear()
    monkeypatch.setattr(copy, "deepcopy", lambda x, memo=None, *a: calls.append(type(x)) or real(x, memo, *a))
    for m in plain:
        torch_forward.meta_copy(m, torch)
    assert OwnState not in calls and not any(issubclass(c, nn.Module) for c in calls)


def _passed(module, x):
    """The calls torch's own forward of ``module`` makes under a torch-function mode on ``x``."""
    from torch.overrides import TorchFunctionMode

    seen = []

    class Record(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append((func, args, kwargs or {}))
            return func(*args, **(kwargs or {}))

    with torch.no_grad(), Record():
        module(x)
    return seen


def _alike(a, b) -> bool:
    if isinstance(a, torch.Tensor) or a is None:
        return a is b
    return type(a) is type(b) and a == b


DIRECT_CASES = [
    (nn.Linear(5, 3), (2, 5)), (nn.Linear(5, 3, bias=False), (2, 4, 5)), (nn.Linear(5, 3), (5,)),
    (nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)), (nn.Conv2d(4, 6, 3, dilation=2, groups=2), (2, 4, 9, 9)),
    (nn.Conv2d(3, 4, 3, padding="same", bias=False), (3, 7, 7)), (nn.Conv3d(2, 2, (1, 2, 3)), (2, 2, 4, 4, 4)),
    (nn.ReLU(), (2, 5)), (nn.ReLU(inplace=True), (2, 3, 4)), (nn.LayerNorm(5), (2, 3, 5)),
    (nn.LayerNorm((3, 5), elementwise_affine=False), (2, 3, 5)), (nn.LayerNorm(5, bias=False), (2, 5)),
    (nn.BatchNorm1d(3), (2, 3)), (nn.BatchNorm1d(3, affine=False), (2, 3, 6)), (nn.BatchNorm2d(3, momentum=None), (2, 3, 4, 4)),
    (nn.BatchNorm2d(3, track_running_stats=False), (2, 3, 4, 4)), (nn.BatchNorm3d(2), (2, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("module,shape", DIRECT_CASES, ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else str(v))
def test_a_direct_call_is_the_call_torchs_own_forward_makes(module, shape):
    """What ``_direct_call`` gives for a module of a class in ``_DIRECT`` (eval mode) is the call
    torch's own forward makes under a torch-function mode: the same function, the same tensors,
    the same values; before it, BatchNorm's reads of the input's rank only."""
    module.eval()
    x = torch.zeros(shape)
    *before, (func, args, kwargs) = _passed(module, x)
    assert all(getattr(f, "__name__", "") == "dim" for f, _, _ in before)
    found = torch_forward._direct_call(module, x, torch)
    assert found is not None and found[0] is func
    assert len(found[1]) == len(args) and all(_alike(a, b) for a, b in zip(found[1], args))
    assert set(found[2]) == set(kwargs) and all(_alike(found[2][k], kwargs[k]) for k in kwargs)
    assert type(module).__name__ in torch_forward._DIRECT


def test_a_forward_that_does_more_is_not_called_directly():
    """BatchNorm in training mode (it counts batches) or on an input of a rank it rejects, a
    convolution padded other than with zeros: no direct call; a subclass of a listed class is
    never one of the listed classes (it may have a forward of its own)."""
    train = nn.BatchNorm2d(3).train()
    assert torch_forward._direct_call(train, torch.zeros(2, 3, 4, 4), torch) is None
    assert torch_forward._direct_call(nn.BatchNorm2d(3).eval(), torch.zeros(2, 3, 4), torch) is None
    assert torch_forward._direct_call(nn.Conv2d(3, 3, 3, padding=1, padding_mode="reflect"),
                                      torch.zeros(2, 3, 5, 5), torch) is None

    class Mine(nn.Linear):
        def forward(self, x):
            return super().forward(x) * 2

    pairs = [(m, m) for m in (Mine(3, 3), nn.Linear(3, 3))]
    assert torch_forward._direct_modules([m for m, _ in pairs], {}, set(), torch) == {id(pairs[1][0])}


class Mixed(nn.Module):
    """A forward of its own over direct-call classes: residual adds, a module used twice, a Linear
    on 3-D and unbatched inputs, a Linear tied to a parameter of the root's own (its row goes where
    it is first used: not called directly), a pruned Linear (torch's own hook), a module with the
    user's hook, BatchNorm1d on 3-D input, a reflect-padded convolution, LayerNorm, a Linear whose
    forward is called by itself (not through the module's call)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU(inplace=True)
        self.reflect = nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect")
        self.proj = nn.Linear(8, 8)
        self.shared = nn.Parameter(torch.zeros(8, 8))
        self.tied = nn.Linear(8, 8, bias=False)
        self.tied.weight = self.shared
        self.pruned = nn.Linear(8, 8)
        torch.nn.utils.prune.l1_unstructured(self.pruned, "weight", 0.5)
        self.hooked = nn.Linear(8, 6)
        self.hooked.register_forward_hook(lambda *a: None)
        self.seq_bn = nn.BatchNorm1d(4)
        self.norm = nn.LayerNorm(6)
        self.bare = nn.Linear(6, 6)  # its forward called by itself: no hooks run, no call is recorded

    def forward(self, x):
        y = self.relu(self.bn(self.conv(x)))
        y = self.relu(y + self.reflect(y))
        z = self.seq_bn(y.flatten(2))  # (N, 4, 64)
        t = z.reshape(z.shape[0], 32, 8)
        t = self.proj(t) + self.tied(t) + self.shared.sum()
        u = self.proj(t[0, 0])  # unbatched
        return self.bare.forward(self.norm(self.hooked(self.pruned(t) + u)))


def test_modules_called_directly_give_the_model_of_the_hooked_pass(monkeypatch):
    """Called directly or not, the same model (rows, shapes, counts, the tied parameter's row, the
    module used twice, the Linear whose forward is called by itself and so never recorded); its
    shapes are torch's on the CPU and its count sum(p.numel()). Less work: torch's own forward
    runs for the tied and the pruned Linear and the reflect-padded convolution only (the user's
    hook is not on the copy). The user's module is unchanged."""
    import torch.nn.utils.prune  # noqa: F401

    module = Mixed().eval()
    state = {k: v.clone() for k, v in module.state_dict().items()}
    ran = []
    for cls in (nn.Linear, nn.Conv2d, nn.BatchNorm2d, nn.BatchNorm1d, nn.ReLU, nn.LayerNorm):
        real = cls.forward
        monkeypatch.setattr(cls, "forward", lambda self, *a, real=real: ran.append(type(self).__name__) or real(self, *a))
    model = explain.from_torch(module, (3, 8, 8))
    direct = sorted(ran)
    ran.clear()
    monkeypatch.setattr(torch_forward, "_DIRECT", ())
    reference = explain.from_torch(module, (3, 8, 8))
    assert model == reference
    assert direct == ["Conv2d", "Linear", "Linear"]  # reflect, tied, pruned
    assert len(ran) == 13  # conv, bn, relu ×2, reflect, seq_bn, proj ×2, tied, pruned, hooked, norm, bare
    monkeypatch.undo()
    shapes = {}
    for name, m in module.named_modules():
        if name:
            m.register_forward_hook(lambda m, a, out, name=name: shapes.setdefault(name, tuple(out.shape[1:])) and None)
    module(torch.zeros(2, 3, 8, 8))
    assert {n.name: n.output_shape for n in model.nodes if n.name in shapes} == shapes
    assert [n.name for n in model.nodes].count("proj#2") == 1 and shapes["proj"] == (32, 8)
    assert "bare" not in shapes and [n.name for n in model.nodes][-1] == "bare"  # never called: a row of its own
    assert model.total == sum(p.numel() for p in module.parameters())
    assert all(torch.equal(state[k], v) for k, v in module.state_dict().items()) and list(state) == list(module.state_dict())


def test_the_copy_takes_what_its_memo_holds_without_a_call(monkeypatch):
    """A module's state holds its hook tables and tensors, whose copies the memo holds before the
    copy starts: ``_deepcopy`` takes them from it without calling itself for each (a ResNet-50
    has about 2,400), and asks ``isinstance`` only of values that are not plain numbers or
    strings; the copy is the same (the modules, their meta tensors, new hook tables)."""
    calls = []
    real = torch_forward._deepcopy
    monkeypatch.setattr(torch_forward, "_deepcopy",
                        lambda x, memo, module: calls.append(id(x) in memo) or real(x, memo, module))
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Sequential(nn.Linear(4, 2)))
    twin, originals, _ = torch_forward._general_copy(module, torch)  # the copy of modules that are not plain
    assert calls and not any(calls)
    assert len(calls) <= 4 * len(list(module.modules()))  # a module, its state, its tables that are not empty
    assert [type(m) for m in twin.modules()] == [type(m) for m in module.modules()]
    for (name, t), (_, c) in zip([*module.named_parameters(), *module.named_buffers()],
                                 [*twin.named_parameters(), *twin.named_buffers()]):
        assert c.device.type == "meta" and c.shape == t.shape and originals[id(c)] is t, name
    assert twin[1]._forward_hooks is not module[1]._forward_hooks and twin[3][0].out_features == 2


class Plain(nn.Module):
    """torch.nn's modules only, with what a plain tree may hold: aliases (a module registered
    twice, a tied weight), a non-persistent buffer, a plain tensor attribute, a list and a tuple of
    numbers, an empty dict of the user's, a flag, a Conv2d (whose class has a __setstate__)."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(5, 4)
        self.lin = nn.Linear(4, 5, bias=False)
        self.lin.weight = self.emb.weight  # tied
        self.again = self.lin
        self.seq = nn.Sequential(nn.Conv2d(1, 2, 3, padding_mode="reflect", padding=1), nn.BatchNorm2d(2),
                                 nn.ReLU(inplace=True))
        self.register_buffer("mask", torch.ones(3), persistent=False)
        self.scale = torch.full((2,), 0.5)
        self.sizes = [1, 2, 3]
        self.pair = (4, "x")
        self.extra: dict = {}
        self.train(True)


def test_the_plain_copy_is_deepcopys_copy(monkeypatch):
    """A tree of torch.nn modules is copied in one pass, without ``copy.deepcopy`` or the general
    copy: the same structure, values, aliases and meta tensors as ``copy.deepcopy`` with the
    pass's memo, then ``eval()``; the user's module untouched. A hook, a module with a
    ``__deepcopy__`` or a value of another kind sends the whole tree to the general copy."""
    import copy

    module = Plain()
    calls = []
    real = copy.deepcopy
    monkeypatch.setattr(copy, "deepcopy", lambda x, memo=None, *a: calls.append(type(x)) or real(x, memo, *a))
    monkeypatch.setattr(torch_forward, "_general_copy", lambda *a: calls.append("general"))
    twin, originals = torch_forward.meta_copy(module, torch)
    assert calls == []
    monkeypatch.undo()
    memo: dict = {}
    for t in (*module.parameters(), *module.buffers(), module.scale):
        memo.setdefault(id(t), torch_forward._meta(t, torch))
    reference = copy.deepcopy(module, memo).eval()
    _same(reference, twin, {})
    assert twin.again is twin.lin and twin.lin.weight is twin.emb.weight and twin.emb.weight.device.type == "meta"
    assert originals[id(twin.lin.weight)] is module.emb.weight and originals[id(twin.scale)] is module.scale
    assert twin.sizes == [1, 2, 3] and twin.sizes is not module.sizes and twin.pair is module.pair
    assert twin._non_persistent_buffers_set == {"mask"} and twin.extra == {} and twin.extra is not module.extra
    assert not any(m.training for m in twin.modules()) and all(m.training for m in module.modules())
    assert twin.seq[0].padding_mode == "reflect" and module.emb.weight.device.type == "cpu"
    assert torch_forward._plain_copy(module, torch) is not None
    hook = module.seq[2].register_forward_hook(lambda *a: None)
    assert torch_forward._plain_copy(module, torch) is None
    hook.remove()
    module.note = object()
    assert torch_forward._plain_copy(module, torch) is None


BLOCKS = [
    (dict(d_model=8, nhead=2, dim_feedforward=12, batch_first=True), (2, 5, 8)),
    (dict(d_model=8, nhead=2, dim_feedforward=12), (5, 2, 8)),  # sequence first
    (dict(d_model=8, nhead=4, dim_feedforward=6, norm_first=True, activation="gelu", bias=False), (3, 1, 8)),
    (dict(d_model=6, nhead=3, dim_feedforward=4, activation=nn.GELU(approximate="tanh"), batch_first=True), (5, 6)),
    (dict(d_model=4, nhead=1, dim_feedforward=4, activation=nn.ReLU(), dtype=torch.float64), (2, 3, 4)),
]


@pytest.mark.parametrize("kwargs,shape", BLOCKS, ids=range(len(BLOCKS)))
def test_a_block_called_directly_gives_what_its_forward_gives(kwargs, shape):
    """A plain ``TransformerEncoderLayer`` (batch or sequence first, norm first, without biases,
    an activation module, unbatched, float64) called as ``TransformerEncoder`` calls it: the
    direct output has the shape and dtype of torch's own forward on the CPU."""
    block = nn.TransformerEncoderLayer(dropout=0.0, **kwargs).eval()
    dtype = kwargs.get("dtype", torch.float32)
    with torch.no_grad():
        real = block(torch.zeros(shape, dtype=dtype), src_mask=None, src_key_padding_mask=None, is_causal=False)
    twin, *_ = torch_forward.meta_copy(block, torch)
    assert torch_forward._plain_block(twin, torch)
    x = torch.zeros(shape, dtype=dtype, device="meta")
    for args, kw in (((x,), {}), ((x,), dict(src_mask=None, is_causal=None, src_key_padding_mask=None)),
                     ((x, None, None, False), {})):
        out = torch_forward._direct_block(twin, args, kw, {}, torch)
        assert out is not None and out.device.type == "meta"
        assert (tuple(out.shape), out.dtype) == (tuple(real.shape), real.dtype)


def test_a_block_that_may_do_more_runs_its_forward():
    """Masks, a causal hint (torch raises without a mask), an input of another width or dtype, a
    parameter as input: no direct output. A hook on a part, a part replaced by another class, an
    activation of the user's own, a part that is not the class's: not a plain block."""
    block = nn.TransformerEncoderLayer(8, 2, 12, batch_first=True).eval()
    twin, *_ = torch_forward.meta_copy(block, torch)
    x = torch.zeros(2, 5, 8, device="meta")
    direct = torch_forward._direct_block
    assert direct(twin, (x,), {}, {}, torch) is not None
    assert direct(twin, (x,), {"src_mask": torch.zeros(5, 5, device="meta")}, {}, torch) is None
    assert direct(twin, (x, None, torch.zeros(2, 5, dtype=torch.bool, device="meta")), {}, {}, torch) is None
    assert direct(twin, (x,), {"is_causal": True}, {}, torch) is None
    assert direct(twin, (x,), {"mask": None}, {}, torch) is None
    assert direct(twin, (torch.zeros(2, 5, 6, device="meta"),), {}, {}, torch) is None
    assert direct(twin, (x.double(),), {}, {}, torch) is None
    assert direct(twin, (torch.zeros(2, 0, 8, device="meta"),), {}, {}, torch) is None
    assert direct(twin, (x,), {}, {id(x): x}, torch) is None
    plain = torch_forward._plain_block

    def changed(change):
        other = nn.TransformerEncoderLayer(8, 2, 12, batch_first=True)
        change(other)
        return plain(other, torch)

    assert plain(block, torch)
    assert not changed(lambda b: b.linear1.register_forward_hook(lambda *a: None))
    assert not changed(lambda b: b.self_attn.register_forward_pre_hook(lambda *a: None))
    assert not changed(lambda b: setattr(b, "dropout", nn.Identity()))
    assert not changed(lambda b: setattr(b, "activation", lambda t: t[..., :6]))
    assert not changed(lambda b: setattr(b, "activation", nn.GLU()))
    assert not changed(lambda b: setattr(b, "extra", nn.Linear(8, 8)))
    assert not changed(lambda b: setattr(b.linear1, "forward", lambda t: t))
    assert not changed(lambda b: setattr(b.self_attn, "num_heads", 3))  # torch's forward raises: 8 % 3


class Encoder(nn.Module):
    """Tokens through a TransformerEncoder of plain layers (called with its keywords) and a head."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(6, 16)
        layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.encoder(self.embed(x))[:, 0])


def test_blocks_called_directly_give_the_model_of_the_hooked_pass(monkeypatch):
    """A TransformerEncoder's layers called directly: the model of the pass that runs their
    forwards, none of which runs; its shapes are torch's on the CPU and its count
    sum(p.numel()); the user's module is unchanged."""
    module = Encoder().eval()
    state = {k: v.clone() for k, v in module.state_dict().items()}
    ran = []
    real = nn.TransformerEncoderLayer.forward
    monkeypatch.setattr(nn.TransformerEncoderLayer, "forward", lambda self, *a, **k: ran.append(1) or real(self, *a, **k))
    model = explain.from_torch(module, (7, 6))
    assert ran == []
    monkeypatch.setattr(torch_forward, "_BLOCKS", ())
    reference = explain.from_torch(module, (7, 6))
    assert len(ran) == 3 and model == reference
    monkeypatch.undo()
    shapes, names = {}, {n.name for n in model.nodes}
    for name, m in module.named_modules():
        if name in names:
            m.register_forward_hook(lambda m, a, out, name=name: shapes.setdefault(name, tuple(out.shape[1:])) and None)
    with torch.no_grad():
        module(torch.zeros(2, 7, 6))
    assert {n.name: n.output_shape for n in model.nodes} == shapes
    assert [n.type for n in model.nodes].count("TransformerEncoderLayer") == 3
    assert model.total == sum(p.numel() for p in module.parameters())
    assert all(torch.equal(state[k], v) for k, v in module.state_dict().items()) and list(state) == list(module.state_dict())


def test_a_forward_of_the_instance_is_not_replaced_by_a_direct_call():
    """A Linear whose instance has a forward of its own (it keeps the first half of the output):
    the copy runs that forward, and the shapes are torch's."""
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(4, 8)
            self.a.forward = lambda x, lin=self.a: nn.functional.linear(x, lin.weight, lin.bias)[..., :2]
            self.b = nn.Linear(2, 3)

        def forward(self, x):
            return self.b(self.a(x))

    net = Net()
    model = explain.from_torch(net, (4,))
    with torch.no_grad():
        assert tuple(net.a(torch.zeros(1, 4)).shape[1:]) == (2,)
    assert model.node("a").output_shape == (2,) and model.node("b").output_shape == (3,)
