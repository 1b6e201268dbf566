"""Layers courses use that were refused: torch modules read by from_torch with their formulas,
MaxUnpool after MaxPool, and the Keras audio layers against real Keras 3 (counts and shapes)."""
from __future__ import annotations

import math

import pytest

from conftest import require_module

import explain

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
    if module.parameters():
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
