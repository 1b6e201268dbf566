"""Pooling: max and average over windows, and the global poolings. No weights.

Window pooling: n_out = ⌊(n − p)/s⌋ + 1 (valid) or ⌈n/s⌉ (same); strides default to pool_size.
"""
from __future__ import annotations

from typing import ClassVar, Optional, Sequence

from ..compute import Cost, per_input, pooled, window_math
from ..symbols import KERNEL_SYMBOLS
from ..errors import ExplainError
from ..shapes import Window, keras_pool
from .base import Shape, choice, flag, format_shape, optional_sizes, sizes, layer_type
from . import _texts
from .registry import register
from ._spatial import Spatial, Windowed, uniform_stride


@layer_type
class _Pooling(Spatial, Windowed):
    """Keras's window poolings (MaxPooling, AveragePooling; 1D to 3D): no weights; each spatial
    length n becomes ⌊(n − p)/s⌋ + 1 (valid) or ⌈n/s⌉ (same), the channels stay."""

    role = "pool"
    explanation = _texts.POOL
    compute_explanation = _texts.POOL_COMPUTE

    positional = ("pool_size", "strides", "padding", "data_format")
    ignores = frozenset()
    pool_size: tuple = sizes(2)
    strides: tuple | None = optional_sizes()
    padding: str = choice("valid", "same", default="valid")

    def cost(self, shapes, out, values) -> Cost:
        """k_h·k_w comparisons (max) or additions (average) per output element."""
        return pooled(KERNEL_SYMBOLS[self.rank], self.pool_size, out)

    def compute_math(self) -> dict:
        return window_math(self.rank)

    def default_stride(self) -> str | None:
        return "strides=None" if self.strides is None else None

    def stride_argument(self) -> str | None:
        return uniform_stride("strides", self.strides, skip_one=False)

    def axis_window(self, i: int, length) -> Window:
        return keras_pool(self.pool_size[i], (self.strides or self.pool_size)[i], self.padding)

    def output_shape(self, shape: Shape) -> Shape:
        spatial, channels = self.split(shape)
        out = self.window_lengths(shape)
        for i, (n, o, p) in enumerate(zip(spatial, out, self.pool_size)):
            if isinstance(o, int) and o <= 0:
                raise ExplainError(
                    f"with padding 'valid' the pool window of size {p} does not fit the input of size "
                    f"{n} on axis {self.spatial_axis(i)}; the output would have size {o}. Use padding "
                    f"'same' or a smaller pool_size. Received: pool_size={self.pool_size}, "
                    f"input_shape={format_shape(shape)}")
        return self.join(out, channels)


@layer_type
class _GlobalPooling(Spatial):
    """Keras's global poolings (GlobalMaxPooling, GlobalAveragePooling; 1D to 3D): no weights;
    the spatial axes are pooled away (each kept as 1 with keepdims), the channels stay."""

    role = "global_pool"
    explanation = _texts.GLOBAL_POOL
    explanation_kept: ClassVar[str | None] = None
    """The explanation with keepdims=True, where the pooled axes stay (size 1)."""

    positional = ("data_format", "keepdims")
    ignores = frozenset()
    keepdims: bool = flag(False)

    def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
        """With keepdims=True the sentence that says the pooled axes stay, not that they disappear."""
        return self.explanation_kept if self.keepdims and self.explanation_kept else self.explanation

    def cost(self, shapes, out, values) -> Cost:
        """Each input element compared or added once: N_in."""
        return per_input(shapes)

    def output_shape(self, shape: Shape) -> Shape:
        spatial, channels = self.split(shape)
        if self.keepdims:
            return self.join((1,) * len(spatial), channels)
        return (channels,)


def _define(base: type, name: str, rank: int, *aliases: str) -> type:
    maximum = "Max" in name
    explanation = {_Pooling: (_texts.MAX_POOL if maximum else _texts.AVG_POOL),
                   _GlobalPooling: (_texts.GLOBAL_MAX_POOL if maximum else _texts.GLOBAL_AVG_POOL)}[base]
    namespace = {"rank": rank, "__doc__": base.__doc__, "__module__": __name__, "explanation": explanation}
    if base is _GlobalPooling:
        namespace["explanation_kept"] = _texts.GLOBAL_MAX_POOL_KEPT if maximum else _texts.GLOBAL_AVG_POOL_KEPT
    if base is _Pooling:
        namespace["compute_explanation"] = _texts.MAX_POOL_COMPUTE if maximum else _texts.AVG_POOL_COMPUTE
    cls = type(name, (base,), namespace)
    return register(name, *aliases)(layer_type(cls))


MaxPooling1D = _define(_Pooling, "MaxPooling1D", 1, "MaxPool1D")
MaxPooling2D = _define(_Pooling, "MaxPooling2D", 2, "MaxPool2D")
MaxPooling3D = _define(_Pooling, "MaxPooling3D", 3, "MaxPool3D")
AveragePooling1D = _define(_Pooling, "AveragePooling1D", 1, "AvgPool1D")
AveragePooling2D = _define(_Pooling, "AveragePooling2D", 2, "AvgPool2D")
AveragePooling3D = _define(_Pooling, "AveragePooling3D", 3, "AvgPool3D")
GlobalMaxPooling1D = _define(_GlobalPooling, "GlobalMaxPooling1D", 1, "GlobalMaxPool1D")
GlobalMaxPooling2D = _define(_GlobalPooling, "GlobalMaxPooling2D", 2, "GlobalMaxPool2D")
GlobalMaxPooling3D = _define(_GlobalPooling, "GlobalMaxPooling3D", 3, "GlobalMaxPool3D")
GlobalAveragePooling1D = _define(_GlobalPooling, "GlobalAveragePooling1D", 1, "GlobalAvgPool1D")
GlobalAveragePooling2D = _define(_GlobalPooling, "GlobalAveragePooling2D", 2, "GlobalAvgPool2D")
GlobalAveragePooling3D = _define(_GlobalPooling, "GlobalAveragePooling3D", 3, "GlobalAvgPool3D")
