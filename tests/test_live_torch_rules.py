"""from_torch without the meta pass: a tree of nn.Sequential over modules whose shapes the layer
types' rules give takes its shapes from the rules; the model equals the meta pass's and every
shape is torch's own on the CPU; anything the rules do not cover runs the meta pass."""
from __future__ import annotations

import pytest

from tests.conftest import require_module

torch = require_module("torch")
nn = torch.nn
hypothesis = require_module("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import explain  # noqa: E402
from explain.errors import ExplainError  # noqa: E402
from explain.importers import live_torch, torch_forward  # noqa: E402


def _meta_only(monkeypatch):
    monkeypatch.setattr(live_torch._Reader, "ruled", lambda self, inputs: None)


def _both(module, shape, monkeypatch):
    """(model from the rules, model from the meta pass, meta pass runs during the first call)."""
    runs = []
    real_run = torch_forward.run
    monkeypatch.setattr(torch_forward, "run", lambda *a, **k: runs.append(1) or real_run(*a, **k))
    ruled = explain.from_torch(module, shape)
    ran = bool(runs)
    with monkeypatch.context() as m:
        _meta_only(m)
        meta = explain.from_torch(module, shape)
    return ruled, meta, ran


def _torch_shapes(module, shape) -> list[tuple[int, ...]]:
    """Output shapes (no batch axis) of the leaf modules' calls, in order, from a CPU forward."""
    found = []
    hooks = [m.register_forward_hook(lambda m, i, o: found.append(tuple(o.shape[1:])))
             for m in module.modules() if not isinstance(m, nn.Sequential)]
    try:
        with torch.no_grad():
            module.eval()(torch.zeros(2, *shape))
    finally:
        for h in hooks:
            h.remove()
    return found


def test_a_sequential_cnn_takes_its_shapes_from_the_rules(monkeypatch):
    net = nn.Sequential(nn.Conv2d(3, 8, 7, 2, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                        nn.MaxPool2d(3, 2, 1),
                        nn.Sequential(nn.Conv2d(8, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.GELU(), nn.Dropout(0.1)),
                        nn.AvgPool2d(2, ceil_mode=True), nn.AdaptiveAvgPool2d((2, 3)), nn.Flatten(),
                        nn.Linear(96, 10), nn.LayerNorm(10), nn.Identity())
    ruled, meta, ran = _both(net, (3, 45, 37), monkeypatch)
    assert not ran
    assert ruled == meta
    assert [ruled.evaluate_shape(n.output_shape) for n in ruled.nodes] == _torch_shapes(net, (3, 45, 37))
    assert ruled.total == sum(p.numel() for p in net.parameters())


def test_a_module_used_twice_in_a_sequential_is_called_twice(monkeypatch):
    act, lin = nn.Tanh(), nn.Linear(6, 6)
    net = nn.Sequential(lin, act, lin, act)
    ruled, meta, ran = _both(net, (6,), monkeypatch)
    assert not ran and ruled == meta and len(ruled.nodes) == 4
    assert ruled.total == 42


class _OwnForward(nn.Conv2d):
    def forward(self, x):
        return super().forward(x).flatten(1)


class _Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x) + x)


@pytest.mark.parametrize("make,shape", [
    (lambda: nn.Sequential(_Block(), nn.Flatten()), (4, 5, 5)),  # a forward of the user's own
    (lambda: nn.Sequential(_OwnForward(4, 2, 3)), (4, 5, 5)),  # a torch class whose forward is overridden
    (lambda: nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=-1)), (4,)),  # a type without a rule here
    (lambda: nn.Sequential(nn.MaxPool1d(2, return_indices=True)), (4, 6)),  # two outputs
    (lambda: nn.Sequential(nn.Conv1d(4, 3, 3), nn.LSTM(4, 5, batch_first=True)), (4, 6)),
])
def test_what_the_rules_do_not_cover_runs_the_meta_pass(make, shape, monkeypatch):
    net = make()
    ruled, meta, ran = _both(net, shape, monkeypatch)
    assert ran and ruled == meta


def test_hooks_other_dtypes_and_keywords_run_the_meta_pass(monkeypatch):
    seen = []
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    handle = net[0].register_forward_hook(lambda *a: seen.append(a))
    try:
        assert _both(net, (4,), monkeypatch)[2]
    finally:
        handle.remove()
    assert not seen  # the user's hook ran on no copy either
    assert not _both(net, (4,), monkeypatch)[2]
    half = nn.Sequential(nn.Linear(4, 3), nn.ReLU()).half()
    assert not _both(half, (4,), monkeypatch)[2]
    runs = []
    real_run = torch_forward.run
    monkeypatch.setattr(torch_forward, "run", lambda *a, **k: runs.append(1) or real_run(*a, **k))
    explain.from_torch(half, (4,), input_dtypes=torch.float32)  # meta: half weights, float input
    assert runs


@pytest.mark.parametrize("net,shape", [
    (nn.Sequential(nn.Linear(4, 3)), (5,)),
    (nn.Sequential(nn.Conv2d(3, 4, 3)), (4, 8, 8)),
    (nn.Sequential(nn.Conv2d(3, 4, 5)), (3, 2, 2)),
    (nn.Sequential(nn.BatchNorm2d(3)), (3, 8)),
    (nn.Sequential(nn.AvgPool3d(2, 1, 1)), (1, 1, 1, 1)),  # avg_pool3d: the input before padding ≥ the kernel
])
def test_an_input_the_model_rejects_gets_the_meta_pass_error(net, shape, monkeypatch):
    with pytest.raises(ExplainError) as ruled:
        explain.from_torch(net, shape)
    _meta_only(monkeypatch)
    with pytest.raises(ExplainError) as meta:
        explain.from_torch(net, shape)
    assert str(ruled.value) == str(meta.value)
    assert "the forward pass on the meta device" in str(ruled.value)


_LEAVES = ["conv", "bn", "relu", "gelu", "maxpool", "avgpool", "adaptive", "dropout", "identity"]


@st.composite
def _cnns(draw):
    """A Sequential of ruled modules of one spatial rank and an input shape for it (some of them
    too small for a window: torch's error, then)."""
    rank = draw(st.integers(1, 3))
    c = c_in = draw(st.integers(1, 4))
    shape = (c_in,) + (draw(st.integers(1, 7 if rank == 3 else 12)),) * rank
    layers: list = []
    for kind in draw(st.lists(st.sampled_from(_LEAVES), min_size=1, max_size=6)):
        k, s = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        p = min(draw(st.integers(0, 1)), k // 2)
        if kind == "conv":
            out = draw(st.integers(1, 4))
            layers.append([nn.Conv1d, nn.Conv2d, nn.Conv3d][rank - 1](c, out, k, s, p, bias=draw(st.booleans())))
            c = out
        elif kind == "bn":
            layers.append([nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d][rank - 1](c))
        elif kind == "maxpool":
            layers.append([nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d][rank - 1](k, s, p, ceil_mode=draw(st.booleans())))
        elif kind == "avgpool":
            layers.append([nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d][rank - 1](
                k, s, p, ceil_mode=draw(st.booleans()), count_include_pad=draw(st.booleans())))
        elif kind == "adaptive":
            layers.append([nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d][rank - 1](k))
        else:
            layers.append({"relu": nn.ReLU(), "gelu": nn.GELU(approximate="tanh"), "dropout": nn.Dropout(0.2),
                           "identity": nn.Identity()}[kind])
    if draw(st.booleans()):
        layers.append(nn.Flatten())
    return nn.Sequential(*layers), shape


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_cnns())
def test_random_cnns_the_rules_give_torchs_shapes(case, monkeypatch):
    net, shape = case
    try:
        expected = _torch_shapes(net, shape)
    except RuntimeError:
        with pytest.raises(ExplainError):
            explain.from_torch(net, shape)
        return
    ruled, meta, ran = _both(net, shape, monkeypatch)
    assert not ran
    assert ruled == meta
    assert [ruled.evaluate_shape(n.output_shape) for n in ruled.nodes] == expected


_EXACT = {
    "Conv1d", "Conv2d", "Conv3d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "Linear", "Flatten", "Identity",
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "CELU", "SELU", "SiLU", "Mish", "Sigmoid", "Tanh", "Hardswish",
    "Hardsigmoid", "Hardtanh", "Softplus", "Softsign", "Tanhshrink", "LogSigmoid", "Hardshrink",
    "Softshrink", "Threshold", "Dropout", "AlphaDropout", "GELU"}
"""The types the rule path took when it kept their names in a list (live_torch._RULED): the
shapes of each are checked against torch's above."""


def test_the_types_with_an_exact_shape_rule_are_those_checked_against_torch():
    """``exact_shape_rule`` is a class attribute of each type (False unless set, so a subclass
    such as LazyConv2d, InstanceNorm2d, ConvTranspose2d or AdaptiveMaxPool2d says so itself);
    exactly the types checked against torch here have it, and no Keras type."""
    from explain.layers import registry

    registry.load_all()
    exact = {c.type_name for c in registry.layer_types("pytorch") if c.exact_shape_rule}
    assert exact == _EXACT
    assert not [c for c in registry.layer_types("keras") if c.exact_shape_rule]
    for name in ("LazyConv2d", "InstanceNorm2d", "ConvTranspose2d", "AdaptiveMaxPool2d", "Softmax", "Dropout2d"):
        assert registry.lookup(name, "pytorch").exact_shape_rule is False, name


_ELEMENTWISE_ARGS = {"Threshold": (0.1, 20.0), "GELU": ("tanh",)}


@pytest.mark.parametrize("name", sorted(_EXACT - {
    "Conv1d", "Conv2d", "Conv3d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "MaxPool1d",
    "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d", "Linear", "Flatten", "Identity"}))
def test_each_element_wise_type_with_an_exact_rule_keeps_torchs_shape(name, monkeypatch):
    """Every element-wise type with ``exact_shape_rule`` (the others are in the CNNs above): the
    rule path's shapes are torch's own on the CPU, in 1 to 4 axes, and equal the meta pass's."""
    for shape in ((5,), (3, 7), (2, 4, 6), (2, 3, 4, 5)):
        net = nn.Sequential(nn.Linear(shape[-1], shape[-1]), getattr(nn, name)(*_ELEMENTWISE_ARGS.get(name, ())))
        ruled, meta, ran = _both(net, shape, monkeypatch)
        assert not ran and ruled == meta, (name, shape)
        assert [ruled.evaluate_shape(n.output_shape) for n in ruled.nodes] == _torch_shapes(net, shape)
