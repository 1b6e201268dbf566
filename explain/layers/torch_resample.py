"""PyTorch modules that move values between axes, without weights.

Shapes are channels-first without the batch axis:

    PixelShuffle(r)       (C·r², H, W) → (C, H·r, W·r)
    PixelUnshuffle(r)     (C, H, W) → (C·r², H/r, W/r)
    ChannelShuffle(g)     unchanged (C divisible by g)
    Unfold(k, d, p, s)    (C, H, W) → (C·k_h·k_w, L),  L = Π ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1
    Fold(o, k, d, p, s)   (C·k_h·k_w, L) → (C, o_h, o_w)
    UpsamplingNearest2d, UpsamplingBilinear2d: Upsample on (C, H, W)
"""
from __future__ import annotations


from ..compute import Cost, per_input
from ..errors import ExplainError
from ..shapes import Window, torch_conv, torch_transpose
from ..symbols import Value, as_value, exact_div, product
from .base import Dim, Layer, Shape, counts, format_shape, optional_sizes, same_size, size, sizes, layer_type
from . import _texts
from ._spatial import Windowed
from .torch_conv import _define
from .torch_core import torch_module
from .torch_pool import Upsample


def _divides(type_name: str, what: str, n: Value, k: Value, shape: Shape) -> None:
    if isinstance(n, int) and isinstance(k, int) and n % k:
        raise ExplainError(f"{type_name}: the {what} ({n}) must be divisible by {k}. "
                           f"Received: input {format_shape(shape)}")


@torch_module("PixelShuffle")
@layer_type
class PixelShuffle(Layer):
    """(C·r², H, W) → (C, H·r, W·r); no weights."""

    role = "reshape"
    explanation = _texts.RESHAPE
    ops_per_element = 0

    positional = ("upscale_factor",)
    min_input_rank = 3
    upscale_factor: Value = size()

    def output_shape(self, shape: Shape) -> Shape:
        r = self.upscale_factor
        c = shape[-3]
        _divides(self.type_name, "number of channels", c, r * r if isinstance(r, int) else r, shape)
        h, w = shape[-2], shape[-1]
        return tuple(shape[:-3]) + (None if c is None else exact_div(c, r * r),
                                    None if h is None else as_value(h * r), None if w is None else as_value(w * r))


@torch_module("PixelUnshuffle")
@layer_type
class PixelUnshuffle(Layer):
    """(C, H, W) → (C·r², H/r, W/r); no weights."""

    role = "reshape"
    explanation = _texts.RESHAPE
    ops_per_element = 0

    positional = ("downscale_factor",)
    min_input_rank = 3
    downscale_factor: Value = size()

    def output_shape(self, shape: Shape) -> Shape:
        r = self.downscale_factor
        c, h, w = shape[-3], shape[-2], shape[-1]
        for what, n in (("height", h), ("width", w)):
            _divides(self.type_name, what, n, r, shape)
        return tuple(shape[:-3]) + (None if c is None else as_value(c * r * r),
                                    None if h is None else exact_div(h, r), None if w is None else exact_div(w, r))


@torch_module("ChannelShuffle")
@layer_type
class ChannelShuffle(Layer):
    """Permutes the channels in g groups; the shape is unchanged; no weights."""

    role = "reshape"
    explanation = _texts.CHANNEL_SHUFFLE
    ops_per_element = 0

    positional = ("groups",)
    min_input_rank = 2
    groups: Value = size()

    def output_shape(self, shape: Shape) -> Shape:
        _divides(self.type_name, "number of channels", shape[0], self.groups, shape)
        return tuple(shape)


def _blocks(type_name: str, spatial: tuple, kernel: tuple, dilation: tuple, padding: tuple,
            stride: tuple) -> Value:
    """L = Π over the axes of ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1, the number of sliding blocks."""
    out = []
    for n, k, d, p, s in zip(spatial, kernel, dilation, padding, stride):
        if n is None:
            return None
        length = torch_conv(k, s, d, p).length(n)  # a convolution's window rule
        if isinstance(length, int) and length < 1:
            raise ExplainError(f"{type_name}: the kernel ({k}, dilation {d}) does not fit the input size {n} "
                               f"with padding {p}")
        out.append(length)
    return product(out)


@torch_module("Unfold")
@layer_type
class Unfold(Layer):
    """(C, H, W) → (C·k_h·k_w, L), L the number of sliding blocks; no weights."""

    role = "reshape"
    explanation = _texts.RESHAPE
    ops_per_element = 0

    positional = ("kernel_size", "dilation", "padding", "stride")
    rank = 2
    input_rank = 3
    kernel_size: tuple = sizes()
    dilation: tuple = sizes(1)
    padding: tuple = counts(0)
    stride: tuple = sizes(1)

    def output_shape(self, shape: Shape) -> Shape:
        c = shape[0]
        blocks = _blocks(self.type_name, tuple(shape[1:]), self.kernel_size, self.dilation, self.padding,
                         self.stride)
        return (None if c is None else as_value(c * product(self.kernel_size)), blocks)


@torch_module("Fold")
@layer_type
class Fold(Layer):
    """(C·k_h·k_w, L) → (C, o_h, o_w); L must be the number of blocks of the output; no weights."""

    role = "reshape"
    explanation = _texts.RESHAPE

    def cost(self, shapes, out, values) -> Cost:
        """Overlapping blocks are summed: about one addition per input element, N_in."""
        return per_input(shapes)


    positional = ("output_size", "kernel_size", "dilation", "padding", "stride")
    rank = 2
    input_rank = 2
    output_size: tuple = sizes()
    kernel_size: tuple = sizes()
    dilation: tuple = sizes(1)
    padding: tuple = counts(0)
    stride: tuple = sizes(1)

    def output_shape(self, shape: Shape) -> Shape:
        ck, length = shape
        k = product(self.kernel_size)
        _divides(self.type_name, "size of axis 1", ck, k, shape)
        blocks = _blocks(self.type_name, self.output_size, self.kernel_size, self.dilation, self.padding,
                         self.stride)
        if same_size(length, blocks) is False:
            raise ExplainError(f"Fold: the input has {length} blocks, but output_size {list(self.output_size)} "
                               f"with these kernel, dilation, padding and stride gives {blocks}")
        return (None if ck is None else exact_div(ck, k),) + tuple(self.output_size)


@layer_type
class _Upsampling2d(Upsample):
    """Upsample on (C, H, W) with a fixed mode."""

    positional = ("size", "scale_factor")
    input_rank = 3


@torch_module("UpsamplingNearest2d")
@layer_type
class UpsamplingNearest2d(_Upsampling2d):
    """Upsample(mode="nearest") on (C, H, W); no weights."""


@torch_module("UpsamplingBilinear2d")
@layer_type
class UpsamplingBilinear2d(_Upsampling2d):
    """Upsample(mode="bilinear", align_corners=True) on (C, H, W); no weights."""



@layer_type
class _MaxUnpool(Layer, Windowed):
    """Undoes a max pooling: each spatial size n becomes the transposed window's
    (n − 1)·s − 2p + k (stride s defaults to the kernel size); the indices come as a second
    input; no weights."""

    role = "unpool"
    explanation = _texts.MAX_UNPOOL
    ops_per_element = 0

    positional = ("kernel_size", "stride", "padding")
    kernel_size: tuple = sizes()
    stride: tuple | None = optional_sizes()
    padding: tuple = counts(0)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.input_rank = cls.rank + 1

    def axis_window(self, i: int, length: Dim) -> Window:
        stride = self.stride or self.kernel_size
        return torch_transpose(self.kernel_size[i], stride[i], 1, self.padding[i], 0)

    def output_shape(self, shape: Shape) -> Shape:
        return (shape[0],) + self.window_lengths(shape)


MaxUnpool1d = _define(_MaxUnpool, "MaxUnpool1d", 1)
MaxUnpool2d = _define(_MaxUnpool, "MaxUnpool2d", 2)
MaxUnpool3d = _define(_MaxUnpool, "MaxUnpool3d", 3)
