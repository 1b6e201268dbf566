"""The meta pass's own shape rules (importers/torch_forward._known_shape) against torch on the
CPU: each call's output shape and dtype as the real function gives them, and a whole forward of a
ResNet and a ViT never imports torch._dynamo (the meta kernels' decompositions would)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.render_helpers import require_module


def _calls(torch):
    F = torch.nn.functional
    x4, x3, q = torch.rand(2, 3, 8, 8), torch.rand(2, 5, 8), torch.rand(2, 4, 5, 8)
    k = torch.rand(2, 4, 7, 8)
    v = torch.rand(2, 4, 7, 6)
    seq, key = torch.rand(5, 2, 8), torch.rand(7, 2, 8)
    mha = torch.nn.MultiheadAttention(8, 2, kdim=8, vdim=8, add_bias_kv=True).eval()
    w_in, w_out = mha.in_proj_weight, mha.out_proj.weight

    def attention(**kw):
        base = dict(embed_dim_to_check=8, num_heads=2, in_proj_weight=w_in, in_proj_bias=mha.in_proj_bias,
                    bias_k=mha.bias_k, bias_v=mha.bias_v, add_zero_attn=False, dropout_p=0.0,
                    out_proj_weight=w_out, out_proj_bias=mha.out_proj.bias, training=False)
        base.update(kw)
        return (F.multi_head_attention_forward, (seq, key, key), base)

    return [
        (F.batch_norm, (x4, torch.zeros(3), torch.ones(3)), {}),
        (F.layer_norm, (x3, (8,)), {}), (F.group_norm, (x4, 1), {}), (F.instance_norm, (x4,), {}),
        (F.rms_norm, (x3, (8,)), {}), (F.gelu, (x3,), {}), (F.gelu, (x3,), {"approximate": "tanh"}),
        (torch.relu, (x4,), {}), (torch.tanh, (x3,), {}), (F.hardtanh, (x3, 0.0, 6.0), {}),
        (F.leaky_relu, (x3, 0.2), {}), (torch.Tensor.__add__, (x4, torch.rand(1, 3, 1, 1)), {}),
        (torch.Tensor.__radd__, (x3, 1.0), {}), (torch.Tensor.__mul__, (x3, 2), {}),
        (torch.Tensor.__truediv__, (x3, 2.0), {}), (torch.Tensor.__sub__, (x3, x3[:, :1]), {}),
        (torch.add, (x3, x3), {"alpha": 2}), (torch.Tensor.add_, (x3.clone(), x3), {}),
        (torch.Tensor.mean, (x3, 1), {}), (torch.Tensor.mean, (x4, (2, 3)), {"keepdim": True}),
        (torch.sum, (x3, -1), {}), (torch.cat, ([x3, x3[:, :2]], 1), {}), (torch.cat, ([x3, x3],), {"dim": -1}),
        (F.adaptive_avg_pool2d, (x4, 1), {}), (F.adaptive_avg_pool2d, (x4, (None, 3)), {}),
        (F.adaptive_avg_pool1d, (x3, 2), {}), (F.scaled_dot_product_attention, (q, k, v), {}),
        (F.linear, (x3, torch.rand(4, 8)), {}), (F.linear, (x3[:, 0], torch.rand(4, 8), torch.rand(4)), {}),
        attention(need_weights=False), attention(), attention(average_attn_weights=False),
        attention(add_zero_attn=True),
        (F.conv2d, (x4, torch.rand(6, 3, 3, 3)), {}), (F.conv2d, (x4, torch.rand(6, 3, 7, 7), torch.rand(6), 2, 3), {}),
        (F.conv2d, (x4, torch.rand(6, 1, 3, 2)), {"stride": (2, 1), "padding": (1, 0), "dilation": (2, 1), "groups": 3}),
        (F.conv2d, (x4[0], torch.rand(4, 3, 1, 1)), {}), (F.conv1d, (x3, torch.rand(4, 5, 3)), {"padding": "same"}),
        (F.conv1d, (x3, torch.rand(4, 5, 3)), {"padding": "same", "dilation": 2}),
        (F.conv3d, (torch.rand(1, 2, 5, 6, 7), torch.rand(3, 2, 2, 3, 1)), {"padding": "valid", "stride": 2}),
        (F.max_pool2d, (x4, 3, 2, 1), {}), (F.max_pool2d, (x4, 2), {}), (F.max_pool2d, (x4, 3, 2), {"ceil_mode": True}),
        (F.max_pool2d, (torch.rand(1, 2, 7, 7), 2, 2, 1), {"ceil_mode": True}),
        (F.max_pool1d, (x3, 3), {"stride": 1, "dilation": 2}), (F.max_pool3d, (torch.rand(2, 5, 6, 7), (2, 3, 2)), {}),
        (F.avg_pool2d, (x4, 2), {}), (F.avg_pool2d, (x4, 3, 2, 1), {"ceil_mode": True, "count_include_pad": False}),
        (F.avg_pool1d, (x3, 3, 2), {}), (F.avg_pool3d, (torch.rand(1, 2, 5, 6, 7), 2), {"stride": (1, 2, 3)}),
    ]


def _shapes(value, torch):
    if isinstance(value, torch.Tensor):
        return (tuple(value.shape), value.dtype)
    if isinstance(value, (tuple, list)):
        return tuple(_shapes(v, torch) for v in value)
    return value


def test_each_rule_gives_what_torch_gives_on_the_cpu():
    torch = require_module("torch")
    from explain.importers.torch_forward import _known_shape

    def meta(value):
        if isinstance(value, torch.Tensor):
            return value.detach().to("meta")
        if isinstance(value, (list, tuple)):
            return type(value)(meta(v) for v in value)
        return value

    for func, args, kwargs in _calls(torch):
        with torch.no_grad():
            real = func(*args, **kwargs)
            ruled = _known_shape(func, meta(args), {k: meta(v) for k, v in kwargs.items()}, torch)
        assert ruled is not None, func
        assert _shapes(ruled, torch) == _shapes(real, torch), (func, kwargs)


def test_calls_without_a_rule_run_as_before():
    torch = require_module("torch")
    from explain.importers.torch_forward import _known_shape
    x = torch.zeros(2, 3, device="meta")
    F = torch.nn.functional

    def meta(*shape):
        return torch.zeros(*shape, device="meta")

    for func, args, *kw in ((torch.Tensor.__eq__, (x, x)), (torch.Tensor.__add__, (x, x.long())),
                            (torch.where, (x > 0, x, x)), (torch.Tensor.mean, (x,)), (torch.cat, ([x, x[:, :1].T],)),
                            (F.linear, (x, meta(4, 5))),
                            (torch.conv2d, (meta(1, 3, 2, 2), meta(4, 3, 3, 3))),  # kernel larger than the input
                            (torch.conv2d, (meta(1, 4, 8, 8), meta(4, 3, 3, 3))),  # channels do not match
                            (torch.conv1d, (meta(1, 3, 8), meta(4, 3, 3)), {"stride": 2, "padding": "same"}),
                            (F.max_pool2d, (meta(1, 3, 8, 8), 2), {"return_indices": True}),
                            (F.max_pool2d, (meta(1, 3, 8, 8), 2, 2, 2)),  # padding more than half the kernel
                            (F.avg_pool2d, (meta(1, 3, 1, 1), 3))):
        assert _known_shape(func, args, kw[0] if kw else {}, torch) is None, func


_MIXED = """
from torch import nn
class Mixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn, self.ln, self.act = nn.BatchNorm1d(16), nn.LayerNorm(16), nn.GELU()
        self.mha = nn.MultiheadAttention(16, 4)  # sequence first
    def forward(self, x):
        x = self.bn(x.transpose(1, 2)).transpose(1, 2)
        y = self.act(self.ln(x)).transpose(0, 1)
        return self.mha(y, y, y)[0]
"""
MODELS = {"resnet50": ("torch_models.ResNet50(classes=10)", (3, 224, 224)),
          "vit": ("torch_models.ViT(image=64, layers=2, dim=64, heads=4, mlp=128, classes=10)", (3, 64, 64)),
          "batchnorm, layernorm, gelu, attention": ("Mixed()", (8, 16))}


@pytest.mark.parametrize("model", MODELS)
def test_the_meta_pass_never_imports_dynamo_nor_symbolic_shapes(model):
    """The bench's models (small sizes) and a model of BatchNorm, LayerNorm, GELU and
    nn.MultiheadAttention: the count is torch's, and neither torch._dynamo nor torch.fx's symbolic
    shapes (which torch's meta kernels import on their first check) is loaded."""
    require_module("torch")
    build, shape = MODELS[model]
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import torch_models, explain\n{_MIXED}\n"
            f"module = {build}; state = {{k: v.clone() for k, v in module.state_dict().items()}}\n"
            f"m = explain.from_torch(module, {shape!r})\n"
            "same = all(v.equal(state[k]) for k, v in module.state_dict().items()) and module.training\n"
            "print(m.total, sum(p.numel() for p in module.parameters()), same, 'torch._dynamo' in sys.modules, "
            "'torch.fx.experimental.symbolic_shapes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    total, expected, same, dynamo, symbolic = out.stdout.split()
    assert (int(total), same, dynamo, symbolic) == (int(expected), "True", "False", "False")


def test_reading_a_tensors_attributes_reaches_no_rule(monkeypatch):
    """Most calls the pass sees are reads of a tensor's attributes (t.shape in the hooks, x.dim()
    in BatchNorm's forward): they return no tensor and reach no rule; the count is torch's."""
    torch = require_module("torch")
    import explain
    from explain.importers import live_torch, torch_forward

    monkeypatch.setattr(live_torch._Reader, "ruled", lambda self, inputs: None)  # the meta pass itself
    seen = []
    real = torch_forward._pointwise
    monkeypatch.setattr(torch_forward, "_pointwise", lambda name, *a: seen.append(name) or real(name, *a))
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU())
    model = explain.from_torch(module, (3, 8, 8))
    assert model.total == 3 * 3 * 3 * 4 + 4 + 2 * 4 == sum(p.numel() for p in module.parameters())  # kernel, bias; γ, β
    assert seen == ["relu"]  # conv2d and batch_norm have rules of their own; relu is pointwise


def test_the_meta_copy_makes_each_empty_hook_table_without_deepcopy(monkeypatch):
    """A module's dozen empty hook tables were most of what copying its tree cost: each is a new
    empty table of its type (not the original's); the modules are rebuilt by the copy's own
    module path, so ``copy``'s reconstruction runs for the one table that is not empty only."""
    torch = require_module("torch")
    import copy

    from explain.importers import torch_forward

    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    hook = module[0].register_forward_hook(lambda *a: None)
    built = []
    real = copy._reconstruct
    monkeypatch.setattr(copy, "_reconstruct", lambda x, memo, *a, **k: built.append(x) or real(x, memo, *a, **k))
    twin, _ = torch_forward.meta_copy(module, torch)
    assert len(built) == 1 and built[0] is module[0]._forward_hooks  # the one hook table that is not empty
    for original, copied in zip(module.modules(), twin.modules()):
        for name, value in vars(original).items():
            if isinstance(value, (dict, set)) and name != "_modules":
                assert type(vars(copied)[name]) is type(value) and vars(copied)[name] is not value, name
    assert len(module[0]._forward_hooks) == 1 and len(twin[0]._forward_hooks) == 0  # the user's hook: not copied
    hook.remove()
    assert next(twin.parameters()).device.type == "meta" and next(module.parameters()).device.type == "cpu"


def test_the_default_dtype_reads_the_first_floating_tensor_only():
    """The default input dtype is the first floating-point parameter's: the pass asks for it on
    every from_torch, and no other tensor of the module is listed for it."""
    torch = require_module("torch")
    from explain.importers.live_torch import _float_dtype

    class Half(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ids = torch.nn.Embedding(4, 3)  # float weights, though its input is indices
            self.lin = torch.nn.Linear(3, 2).half()

        def buffers(self, recurse=True):
            raise AssertionError("no buffer is needed: the first parameter is floating-point")
            yield  # a generator, as torch's own

    assert _float_dtype(Half(), torch) == torch.float32  # torch.nn.Embedding's weight
