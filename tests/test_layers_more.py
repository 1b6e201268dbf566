"""Layers courses use that were refused: torch modules read by from_torch with their formulas,
MaxUnpool after MaxPool, and the Keras audio layers against real Keras 3 (counts and shapes)."""
from __future__ import annotations

import math

import pytest

import explain
from tests.conftest import require_module

torch = require_module("torch")
nn = torch.nn


def real_output(module, shape, dtype=None):
    with torch.no_grad():
        out = module.eval()(torch.zeros(2, *shape, dtype=dtype or torch.float32))
    return tuple((out[0] if isinstance(out, tuple) else out).shape[1:])


@pytest.mark.parametrize("module,shape", [
    (nn.PixelShuffle(3), (18, 4, 5)),
    (nn.PixelUnshuffle(2), (3, 4, 6)),
    (nn.ChannelShuffle(2), (4, 3, 3)),
    (nn.EmbeddingBag(30, 6, mode="max"), (5,)),
    (nn.RNNCell(3, 4), (3,)),
    (nn.LSTMCell(3, 4, bias=False), (3,)),
    (nn.GRUCell(5, 2), (5,)),
    (nn.Upsample(scale_factor=2, mode="bilinear"), (3, 4, 4)),
    (nn.UpsamplingNearest2d(size=(5, 9)), (3, 4, 4)),
    (nn.Unfold((2, 3), dilation=2, padding=1, stride=2), (2, 9, 9)),
    (nn.Fold((6, 6), 3, padding=1), (18, 36)),
    (nn.SyncBatchNorm(3), (3, 4, 4)),
    (nn.CrossMapLRN2d(3), (3, 4, 4)),
])
def test_from_torch_knows_the_module(module, shape):
    dtype = torch.long if isinstance(module, nn.EmbeddingBag) else None
    model = explain.from_torch(nn.Sequential(module), shape, input_dtypes=[dtype] if dtype else None)
    node, = model.nodes
    assert node.type == type(module).__name__
    assert model.total == sum(p.numel() for p in module.parameters())
    assert model.buffers == sum(b.numel() for b in module.buffers())
    assert model.evaluate_shape(node.output_shape) == real_output(module, shape, dtype)
    if any(True for _ in module.parameters()):
        assert all(w.formula.free_symbols for w in node.weights if not w.buffer)


def test_max_unpool_after_max_pool():
    class Segmenter(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)
            self.pool = nn.MaxPool2d(2, return_indices=True)
            self.unpool = nn.MaxUnpool2d(2)
            self.head = nn.Conv2d(4, 2, 1)

        def forward(self, x):
            y, idx = self.pool(self.conv(x))
            return self.head(self.unpool(y, idx))

    net = Segmenter()
    model = explain.from_torch(net, (3, 8, 10))
    assert model.total == sum(p.numel() for p in net.parameters())
    unpool = model.node("unpool")
    assert unpool.type == "MaxUnpool2d"
    assert model.evaluate_shape(unpool.output_shape) == (4, 8, 10)  # (n − 1)·2 − 0 + 2
    spec = {"framework": "pytorch", "input": [4, 5, 7],
            "layers": [{"MaxUnpool2d": {"kernel_size": 3, "stride": 2, "padding": 1}}]}
    loaded = explain.load(spec)
    real = nn.MaxUnpool2d(3, stride=2, padding=1)
    x, idx = nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)(torch.zeros(1, 4, 9, 13))
    assert x.shape[2:] == (5, 7)
    assert loaded.evaluate_shape(loaded.nodes[0].output_shape) == tuple(real(x, idx).shape[1:])


@pytest.mark.parametrize("name,kwargs,shape", [
    ("STFTSpectrogram", {}, (1000, 1)),
    ("STFTSpectrogram", {"frame_length": 64, "frame_step": 16, "fft_length": 128, "mode": "stft"}, (1000, 2)),
    ("STFTSpectrogram", {"frame_length": 100, "mode": "real", "padding": "same", "expand_dims": True}, (999, 3)),
    ("STFTSpectrogram", {"frame_length": 50, "mode": "imag", "data_format": "channels_first"}, (2, 1000)),
    ("STFTSpectrogram", {"frame_length": 50, "data_format": "channels_first", "expand_dims": True,
                         "trainable": False}, (2, 1000)),
    ("MelSpectrogram", {"num_mel_bins": 40, "sequence_stride": 160}, (16000,)),
    ("MelSpectrogram", {}, (22050,)),
])
def test_keras_audio_layers_match_keras(name, kwargs, shape):
    keras = require_module("keras")
    layer = getattr(keras.layers, name)(**kwargs)
    real = keras.Sequential([keras.Input(shape), layer])
    model = explain.load({"input": list(shape), "layers": [{name: kwargs}]})
    assert model.total == real.count_params()
    assert model.trainable == sum(math.prod(w.shape) for w in real.trainable_weights)
    assert model.evaluate_shape(model.nodes[0].output_shape) == tuple(real.output_shape[1:])
    live = explain.from_keras(real)
    assert live.total == real.count_params()


@pytest.mark.parametrize("length,kwargs", [
    (1000, {"fft_length": 64, "sequence_stride": 7}),  # T mod s = s - 1: compute_output_shape says 144
    (50, {"fft_length": 63, "sequence_stride": 5}),
    (33, {"fft_length": 64, "sequence_stride": 7}),
    (2048, {"fft_length": 2048, "sequence_stride": 512}),
    (16001, {"fft_length": 400, "sequence_stride": 160, "sequence_length": 300}),
])
def test_mel_spectrogram_frames_are_those_keras_computes(length, kwargs):
    """The frames of the tensor Keras's call returns (not its compute_output_shape)."""
    keras = require_module("keras")
    import numpy as np
    layer = keras.layers.MelSpectrogram(num_mel_bins=16, **kwargs)
    computed = tuple(layer(np.zeros((1, length), dtype="float32")).shape[1:])
    model = explain.load({"input": [length], "layers": [{"MelSpectrogram": {"num_mel_bins": 16, **kwargs}}]})
    assert model.evaluate_shape(model.nodes[0].output_shape) == computed


def test_mel_spectrogram_too_short_for_its_padding():
    """Keras's reflect padding of fft_length // 2 = 32 fails on 32 samples (and works on 33)."""
    keras = require_module("keras")
    import numpy as np
    with pytest.raises(RuntimeError, match="Padding size"):
        keras.layers.MelSpectrogram(fft_length=64)(np.zeros((1, 32), dtype="float32"))
    with pytest.raises(explain.ExplainError, match="MelSpectrogram"):
        explain.load({"input": [32], "layers": [{"MelSpectrogram": {"fft_length": 64}}]})


class ViT(nn.Module):
    """A small vision transformer as course code writes it: a class token and a position
    embedding owned by the model itself."""

    def __init__(self, img: int = 32, patch: int = 8, d: int = 64, depth: int = 2, classes: int = 10) -> None:
        super().__init__()
        n = (img // patch) ** 2
        self.patch = nn.Conv2d(3, d, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, d))
        self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(d, 4, 2 * d, batch_first=True)
                                     for _ in range(depth)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])


def test_from_torch_parameter_rows_of_a_vit():
    import sympy
    vit = ViT()
    model = explain.from_torch(vit, (3, 32, 32))
    assert model.total == sum(p.numel() for p in vit.parameters())
    names = [n.name for n in model.nodes]
    # the forward's flatten(2) and transpose(1, 2) between the patches and the encoder are steps
    assert names[:6] == ["patch", "flatten(start_dim=2)", "transpose(1, 2)", "cls_token", "pos_embed", "blocks.0"]
    x = vit.patch(torch.zeros(2, 3, 32, 32))
    assert [model.node(n).output_shape for n in names[:3]] == [tuple(t.shape[1:]) for t in
                                                               (x, x.flatten(2), x.flatten(2).transpose(1, 2))]
    pos, cls = model.node("pos_embed"), model.node("cls_token")
    assert pos.type == cls.type == "Parameter" and pos.inputs == () and cls.inputs == ()
    assert pos.params == vit.pos_embed.numel() and cls.params == vit.cls_token.numel()
    from explain.symbols import sym
    N, d = sym("N"), sym("d")
    # (N + 1)·d by hand: N = (32 / 8)² = 16 patches, one class token, d = 64
    assert sympy.expand(pos.formula - (N + 1) * d) == 0
    assert {str(k): v for k, v in pos.values.items()} == {"N": (32 // 8) ** 2, "d": 64}
    assert model.node("blocks.0").inputs == ("transpose(1, 2)",)  # the chain is not broken by the rows
    bare = explain.from_torch(vit)  # without input_shape: rows connected to nothing
    assert bare.total == model.total and all(n.inputs == () for n in bare.nodes)
    assert [n.name for n in bare.nodes if n.type == "Parameter"] == ["cls_token", "pos_embed"]


def test_vit_as_a_pytorch_spec():
    vit = ViT()
    spec = {"framework": "pytorch", "symbols": {"n_p": 16, "d": 64}, "input": [3, 32, 32], "layers": [
        {"Conv2d": {"in_channels": 3, "out_channels": "d", "kernel_size": 8, "stride": 8}},
        {"Flatten": {"start_dim": 2}},
        {"Transpose": {"dim0": 1, "dim1": 2}},
        {"Parameter": {"name": "cls_token", "shape": [1, 1, "d"], "how": "concat", "dim": 1}},
        {"Parameter": {"name": "pos_embed", "shape": [1, "n_p + 1", "d"], "tokens": 1, "how": "add"}},
        {"TransformerEncoderLayer": {"d_model": "d", "nhead": 4, "dim_feedforward": "2*d", "batch_first": True}},
        {"TransformerEncoderLayer": {"d_model": "d", "nhead": 4, "dim_feedforward": "2*d", "batch_first": True}},
        {"LayerNorm": {"normalized_shape": "d"}},
        {"Permute": {"dims": [0, 2, 1]}},
        {"Custom": {"params": "10*d + 10", "output_shape": [10], "class_name": "ClassTokenHead"}},
    ]}
    model = explain.load(spec)
    assert model.total == sum(p.numel() for p in vit.parameters())
    x = vit.patch(torch.zeros(2, 3, 32, 32)).flatten(2)
    shapes = [tuple(x.shape[1:]), tuple(x.transpose(1, 2).shape[1:])]
    x = torch.cat([vit.cls_token.expand(2, -1, -1), x.transpose(1, 2)], dim=1)
    shapes += [tuple(x.shape[1:]), tuple((x + vit.pos_embed).shape[1:])]
    got = [model.evaluate_shape(n.output_shape) for n in model.nodes[1:5]]
    assert got == shapes
    assert model.evaluate_shape(model.nodes[8].output_shape) == tuple(x.permute(0, 2, 1).shape[1:])
    with pytest.raises(explain.ExplainError, match="cannot be added"):
        explain.load({**spec, "layers": spec["layers"][:4] + [{"Parameter": {"shape": [1, 5, 64], "how": "add"}}]})
    with pytest.raises(explain.ExplainError, match="Permute"):
        explain.load({"framework": "pytorch", "input": [3, 4], "layers": [{"Permute": {"dims": [1, 0, 2]}}]})


@pytest.mark.parametrize("instance_args", [{}, {"affine": False, "track_running_stats": False}])
def test_lazy_modules_in_a_spec(instance_args):
    spec = {"framework": "pytorch", "input": [3, 10, 10], "layers": [
        {"LazyConv2d": {"out_channels": 8, "kernel_size": 3}}, {"LazyBatchNorm2d": {}},
        {"LazyConvTranspose2d": {"out_channels": 4, "kernel_size": 2, "stride": 2}},
        {"LazyInstanceNorm2d": instance_args}, {"Flatten": {}}, {"LazyLinear": {"out_features": 5}}]}
    model = explain.load(spec)
    net = nn.Sequential(nn.LazyConv2d(8, 3), nn.LazyBatchNorm2d(), nn.LazyConvTranspose2d(4, 2, stride=2),
                        nn.LazyInstanceNorm2d(**instance_args), nn.Flatten(), nn.LazyLinear(5))
    x, shapes = torch.zeros(2, 3, 10, 10), []
    for layer in net:
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
    assert model.total == sum(p.numel() for p in net.parameters())
    assert model.buffers == sum(b.numel() for b in net.buffers())
    assert [model.evaluate_shape(n.output_shape) for n in model.nodes] == shapes
    assert [n.params for n in model.nodes] == [sum(p.numel() for p in m.parameters()) for m in net]
