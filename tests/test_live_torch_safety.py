"""explain.from_torch never changes the module (aliases, BatchNorm in training mode, pruning,
scripted parts, failing forwards) and counts what torch counts: every expected number is torch's
own ``sum(p.numel() for p in module.parameters())`` (each tensor once) and ``module.buffers()``."""
from __future__ import annotations

import warnings

import pytest

from tests.conftest import require_module

torch = require_module("torch")
nn = torch.nn
hypothesis = require_module("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import explain  # noqa: E402
from explain.errors import ExplainError  # noqa: E402
from explain.importers.live_torch import ShapePassWarning  # noqa: E402

_LAZY = (nn.parameter.UninitializedParameter, nn.parameter.UninitializedBuffer)


def unique(module) -> int:
    return sum(p.numel() for p in module.parameters())


def buffers(module) -> int:
    return sum(b.numel() for b in module.buffers())


def snapshot(module) -> dict:
    """Everything from_torch must leave as it was: tensor objects, values, devices, dtypes,
    requires_grad, every hook dict's entries and each module's training flag."""
    tensors = []
    for kind, items in (("p", module.named_parameters(remove_duplicate=False)),
                        ("b", module.named_buffers(remove_duplicate=False))):
        for name, t in items:
            value = None if isinstance(t, _LAZY) or t.device.type == "meta" else t.detach().clone()
            tensors.append((kind, name, t, t.device, t.dtype, t.requires_grad, type(t), value))
    hooks = []
    for m in module.modules():
        if isinstance(m, torch.jit.ScriptModule):
            continue
        hooks.append([list(getattr(m, a).items()) for a in ("_forward_hooks", "_forward_pre_hooks",
                                                            "_backward_hooks", "_forward_hooks_with_kwargs")])
    return {"tensors": tensors, "hooks": hooks, "training": [m.training for m in module.modules()],
            "attributes": [sorted(vars(m)) for m in module.modules()]}


def assert_unchanged(before: dict, after: dict) -> None:
    assert len(before["tensors"]) == len(after["tensors"])
    for b, a in zip(before["tensors"], after["tensors"]):
        assert b[:2] == a[:2]
        assert a[2] is b[2], f"{b[1]} was replaced"
        assert a[3:7] == b[3:7], f"{b[1]}: device, dtype, requires_grad or class changed"
        if b[7] is not None:
            assert torch.equal(a[2].detach(), b[7]), f"{b[1]}: values changed"
    assert after["hooks"] == before["hooks"]
    assert after["training"] == before["training"]
    assert after["attributes"] == before["attributes"]


def run(module, *args, **kwargs):
    """from_torch, checking the module is unchanged afterwards whether it succeeds or fails;
    returns (model, warnings) or raises what from_torch raised."""
    before = snapshot(module)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = explain.from_torch(module, *args, **kwargs)
        return model, [w for w in caught if issubclass(w.category, ShapePassWarning)]
    finally:
        assert_unchanged(before, snapshot(module))


def real_shapes(module, *inputs, **kwargs) -> dict:
    """Output shapes (no batch axis) per module name, from a real forward on a copy in eval mode."""
    import copy
    twin = copy.deepcopy(module).eval()
    names = {id(m): n for n, m in twin.named_modules()}
    shapes: dict = {}

    def record(m, i, o) -> None:
        shapes.setdefault(names[id(m)], tuple(o.shape[1:]))

    hooks = [m.register_forward_hook(record) for m in twin.modules() if m is not twin]
    with torch.no_grad():
        twin(*inputs, **kwargs)
    for h in hooks:
        h.remove()
    return shapes


def twice(block):
    """nn.ModuleList([blk, blk]): one module at two places."""
    return nn.Sequential(*nn.ModuleList([block, block]))


class Aliased(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(6, 6)
        self.b = self.a  # one module under two names

    def forward(self, x):
        return self.b(torch.relu(self.a(x)))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("make,shape", [
    (Aliased, (6,)),
    (lambda: twice(nn.Linear(5, 5)), (5,)),
    (lambda: nn.Sequential(nn.Linear(10, 20), nn.BatchNorm1d(20)), (10,)),
    (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                           nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2, track_running_stats=False)), (3, 3, 3)),
])
def test_module_unchanged_and_counted(make, shape, training):
    module = make().train(training)
    model, _ = run(module, input_shape=shape)
    assert model.total == unique(module)
    assert model.buffers == buffers(module)
    x = torch.randn(2, *shape)
    expected = real_shapes(module, x)
    for node in model.nodes:
        assert model.evaluate_shape(node.output_shape) == expected[node.name.split("#")[0]], node.name
    module(x)  # the user's module still runs on its own device


def test_failing_forward_names_the_cause_and_leaves_the_module():
    class Broken(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.head = nn.Linear(5, 2)  # 4 features arrive: a real mistake in the model

        def forward(self, x):
            return self.head(self.emb(x))

    module = Broken()
    with pytest.raises(ExplainError) as info:
        run(module, input_shape=(7,))
    text = str(info.value)
    # the real cause: 4 features (Embedding(10, 4)) reach Linear(5, 2)
    assert "'head' (Linear)" in text and "[14, 4] X [5, 2]" in text
    assert "indices" not in text  # not the error of an attempt with float inputs
    # the dtype the user asks for is the attempt whose error is reported
    with pytest.raises(ExplainError, match=r"'emb' \(Embedding\).*indices"):
        run(Broken(), input_shape=(7,), input_dtypes=["float32"])


def test_float_model_error_is_of_the_float_attempt():
    with pytest.raises(ExplainError) as info:
        run(nn.Linear(3, 4), input_shape=(5,))
    assert "[2, 5] X [3, 4]" in str(info.value) and "module itself (Linear)" in str(info.value)


def test_user_hooks_neither_run_nor_disappear():
    module = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    seen = []
    module[0].register_forward_hook(lambda m, i, o: seen.append(o.device))
    module[0].register_forward_pre_hook(lambda m, i: seen.append("pre"))
    model, _ = run(module, input_shape=(3,))
    assert model.total == unique(module)
    assert seen == []


def test_pruned_module_keeps_its_weight_and_reports_its_masks():
    prune = require_module("torch.nn.utils.prune")
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))
    prune.l1_unstructured(module[0], "weight", 0.5)
    prune.random_unstructured(module[3], "weight", 0.3)
    weight = module[0].weight
    model, _ = run(module, input_shape=(3, 6, 6))
    assert module[0].weight is weight and weight.device.type == "cpu"
    assert model.total == unique(module)
    assert model.buffers == buffers(module) == 4 * 3 * 3 * 3 + 5 * 64  # one mask entry per weight
    explain.from_torch(module)  # without a forward pass too
    assert explain.from_torch(module).buffers == buffers(module)


@pytest.mark.parametrize("make", [
    lambda: torch.jit.script(nn.Linear(2, 2)),
    lambda: torch.jit.script(nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU())),
    lambda: nn.Sequential(nn.Conv2d(2, 3, 3), torch.jit.script(nn.Sequential(nn.BatchNorm2d(3), nn.ReLU())),
                          nn.Flatten(), nn.Linear(3 * 4 * 4, 2)),
])
def test_scripted_modules_are_counted(make):
    module = make()
    shape = (2,) if isinstance(module, torch.jit.ScriptModule) and module.original_name == "Linear" else (2, 6, 6)
    model, _ = run(module, input_shape=shape)
    assert model.total == unique(module)
    assert model.buffers == buffers(module)
    model, _ = run(module)
    assert model.total == unique(module)
    if not isinstance(module, torch.jit.ScriptModule):  # eager modules around a scripted part: shapes
        assert model.nodes[0].type == "Conv2d"
        with_shapes, _ = run(module, input_shape=shape)
        assert with_shapes.evaluate_shape(with_shapes.node("3").output_shape) == (2,)


class DataDependent(nn.Module):
    """A forward that needs values: .item() decides the path."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.b = nn.Linear(8, 3)

    def forward(self, x):
        x = self.bn(self.a(x))
        if x.abs().sum().item() > 0:
            x = torch.relu(x)
        return self.b(x)


class NonZero(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(4, 8)
        self.b = nn.Linear(8, 2)

    def forward(self, x):
        h = self.a(x)
        return self.b(h[h.sum(-1) > 0])


class Distribution(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.mu = nn.Linear(4, 2)
        self.sigma = nn.Linear(4, 2)

    def forward(self, x):
        # validate_args=True: torch._dynamo turns the global default off once any test compiles
        return torch.distributions.Normal(self.mu(x), nn.functional.softplus(self.sigma(x)) + 1e-3,
                                          validate_args=True)


@pytest.mark.parametrize("make,recorded,where", [
    (DataDependent, {"a": (8,), "bn": (8,)}, "the module itself (DataDependent)"),
    (NonZero, {"a": (8,)}, "the module itself (NonZero)"),
    (Distribution, {"mu": (2,), "sigma": (2,)}, "the module itself (Distribution)"),
])
def test_counts_when_the_forward_cannot_run_on_meta(make, recorded, where):
    module = make()
    model, warned = run(module, input_shape=(4,))
    assert model.total == unique(module) and model.buffers == buffers(module)
    assert len(warned) == 1 and where in str(warned[0].message) and "meta device" in str(warned[0].message)
    for name, shape in recorded.items():
        assert model.evaluate_shape(model.node(name).output_shape) == shape
    assert model.total == explain.from_torch(module).total


def test_example_inputs_dict_and_keywords():
    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(20, 6)
            self.rnn = nn.LSTM(6, 5, batch_first=True)
            self.out = nn.Linear(5, 3)

        def forward(self, tokens, lengths):
            packed = nn.utils.rnn.pack_padded_sequence(self.emb(tokens), lengths, batch_first=True,
                                                       enforce_sorted=False)
            out, _ = self.rnn(packed)
            padded, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
            return self.out(padded)

    module = Tagger()
    tokens, lengths = torch.randint(0, 20, (2, 7)), torch.tensor([7, 4])
    kept = (tokens.clone(), lengths.clone())
    model, _ = run(module, input_data={"tokens": tokens}, input_kwargs={"lengths": lengths})
    assert model.total == unique(module)
    assert torch.equal(tokens, kept[0]) and torch.equal(lengths, kept[1]) and tokens.device.type == "cpu"
    assert model.evaluate_shape(model.node("emb").output_shape) == (7, 6)
    model, _ = run(module, input_data=[tokens, lengths])
    assert model.total == unique(module)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_models(dtype):
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                           nn.Linear(4 * 6 * 6, 2)).to(getattr(torch, dtype))
    model, warned = run(module, input_shape=(3, 8, 8))
    assert not warned
    assert model.total == unique(module) and model.dtype == dtype
    assert model.evaluate_shape(model.node("4").output_shape) == (2,)
    with pytest.raises(ExplainError, match="dtype|Half|BFloat16|Float"):
        run(module, input_shape=(3, 8, 8), input_dtypes=["float64"])


def test_input_dtypes_per_input():
    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(10, 4)
            self.proj = nn.Linear(3, 4)

        def forward(self, ids, feats):
            return self.emb(ids) + self.proj(feats)

    module = Two()
    model, _ = run(module, input_shape=[(5,), (5, 3)], input_dtypes=[torch.long, "float32"])
    assert model.total == unique(module)
    assert model.evaluate_shape(model.node("proj").output_shape) == (5, 4)
    with pytest.raises(ExplainError, match="2 inputs"):
        run(module, input_shape=[(5,), (5, 3)], input_dtypes=[torch.long])


def test_lazy_modules():
    def make():
        return nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(), nn.LazyLinear(3))

    module = make()
    model, _ = run(module, input_shape=(2, 6, 6))
    assert all(isinstance(p, nn.parameter.UninitializedParameter) for p in module.parameters())
    twin = make()
    twin(torch.zeros(1, 2, 6, 6))  # torch's own count, after a real forward
    assert model.total == unique(twin) and model.buffers == buffers(twin)
    assert model.evaluate_shape(model.node("4").output_shape) == (3,)
    with pytest.raises(ExplainError, match="not initialized yet"):
        run(module)
    model, _ = run(twin, input_shape=(2, 6, 6))  # a lazy module after a real forward
    assert model.total == unique(twin)


@pytest.mark.parametrize("norm", ["spectral_norm", "weight_norm"])
def test_parametrizations_counted_as_torch_counts_them(norm):
    module = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Conv1d(6, 3, 1))
    getattr(nn.utils.parametrizations, norm)(module[0])
    getattr(nn.utils.parametrizations, norm)(module[2])
    for shape in (None, (4,)):
        model, _ = run(module if shape is None else module[0], input_shape=shape)
        counted = module if shape is None else module[0]
        assert model.total == unique(counted) and model.buffers == buffers(counted)


# -- the property: random models with BatchNorm in training mode, repeats, aliases and ties

@st.composite
def mlps(draw):
    width = draw(st.integers(2, 5))
    blocks = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["linear", "bn", "block", "repeat", "relu"]))
        if kind == "linear":
            blocks.append(nn.Linear(width, width, bias=draw(st.booleans())))
        elif kind == "bn":
            blocks.append(nn.BatchNorm1d(width, affine=draw(st.booleans()),
                                         track_running_stats=draw(st.booleans())))
        elif kind == "block":
            blocks.append(nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU()))
        elif kind == "repeat" and blocks:
            blocks.append(blocks[draw(st.integers(0, len(blocks) - 1))])  # the same module again
        else:
            blocks.append(nn.ReLU())
    root = nn.Sequential(*blocks) if blocks else nn.Sequential(nn.Identity())
    linears = [m for m in root.modules() if isinstance(m, nn.Linear)]
    if linears and draw(st.booleans()):  # a tied parameter: a new layer reusing an earlier weight
        head = nn.Linear(width, width)
        head.weight = draw(st.sampled_from(linears)).weight
        root.append(head)
    if draw(st.booleans()):  # a module registered under a second name
        root.alias = root[0]
    for p in root.parameters():
        if draw(st.integers(0, 4)) == 0:
            p.requires_grad_(False)
    return root.train(draw(st.booleans())), (width,)


@st.composite
def cnns(draw):
    c = draw(st.integers(1, 3))
    size = draw(st.integers(1, 4))  # down to 1×1 maps
    conv = nn.Conv2d(c, c, 1)
    layers = [conv, nn.BatchNorm2d(c, track_running_stats=draw(st.booleans())), nn.ReLU()]
    if draw(st.booleans()):
        layers.append(conv)  # the same convolution twice
    if draw(st.booleans()):
        layers += [nn.AdaptiveAvgPool2d(1), nn.BatchNorm2d(c)]  # BatchNorm on a 1×1 map
    return nn.Sequential(*layers).train(draw(st.booleans())), (c, size, size)


@settings(max_examples=25, deadline=None)
@given(st.one_of(mlps(), cnns()), st.booleans())
def test_random_models_counted_exactly_and_unchanged(case, with_shape):
    module, shape = case
    model, warned = run(module, input_shape=shape if with_shape else None)
    assert not warned
    assert model.total == unique(module)
    assert model.trainable == sum(p.numel() for p in module.parameters() if p.requires_grad)
    assert model.buffers == buffers(module)


def test_module_that_cannot_be_copied_is_still_counted():
    import threading

    class Locked(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lock = threading.Lock()  # deepcopy cannot copy a lock
            self.a = nn.Linear(3, 4)

        def forward(self, x):
            return self.a(x)

    module = Locked()
    model, warned = run(module, input_shape=(3,))
    assert model.total == unique(module)
    assert len(warned) == 1 and "could not be copied" in str(warned[0].message)


def test_compiled_module_is_read_as_the_module_it_wraps():
    inner = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    compiled = torch.compile(inner)
    model, warned = run(compiled, input_shape=(3,))
    assert not warned and model.total == unique(inner) and model.buffers == buffers(inner)
    assert [n.name for n in model.nodes] == ["0", "1"]
    assert model.evaluate_shape(model.nodes[1].output_shape) == (4,)


def test_a_scripted_part_gets_the_shapes_of_its_call():
    module = nn.Sequential(nn.LazyLinear(3), torch.jit.script(nn.Linear(3, 7)), nn.ReLU(), nn.Linear(7, 2))
    model, warned = run(module, input_shape=(5,))
    assert not warned
    assert model.total == 5 * 3 + 3 + 3 * 7 + 7 + 7 * 2 + 2  # Linear(n_in, n_out): n_in·n_out + n_out
    scripted = model.node("1")
    assert scripted.type == "Linear" and scripted.inputs == ("0",)
    assert scripted.input_shapes == ((3,),) and model.evaluate_shape(scripted.output_shape) == (7,)
    assert isinstance(module[1], torch.jit.ScriptModule)
