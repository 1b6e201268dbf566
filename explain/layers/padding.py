"""Zero padding, cropping and upsampling of the spatial axes. No weights.

ZeroPadding: n + before + after; Cropping: n − before − after; UpSampling: n·size.
"""
from __future__ import annotations


from typing import Any, Callable

from ..errors import ExplainError
from ..symbols import as_value
from .base import Shape, anything, arg, format_shape, pairs, sizes, layer_type
from . import _texts
from .registry import lazy, lazy_getattr, register
from ._spatial import Edged, Spatial


_LAZY_TYPES: set[str] = set()
"""Cropping and UpSampling (each kind built with its base when a model first asks the registry
for one, ``registry.lazy``); ZeroPadding, a ResNet's, is built at import."""


def _lazy(*names: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    _LAZY_TYPES.update(names)
    return lazy(names[0], globals(), also=names[1:])


__getattr__ = lazy_getattr(__name__, _LAZY_TYPES)


@layer_type
class _ZeroPadding(Spatial, Edged):
    """Zero padding: n + before + after on each spatial axis; no weights."""

    role = "padding"
    explanation = _texts.ZERO_PAD
    ops_per_element = 0

    positional = ("padding", "data_format")
    ignores = frozenset()
    padding: tuple = pairs(1)

    def edges(self, shape: Shape) -> tuple:
        return tuple((n, a, b) for n, (a, b) in zip(self.split(shape)[0], self.padding))

    def edge_argument(self) -> str:
        return f"padding={self.padding}"

    def output_shape(self, shape: Shape) -> Shape:
        spatial, channels = self.split(shape)
        out = tuple(None if n is None else as_value(n + a + b) for n, (a, b) in zip(spatial, self.padding))
        return self.join(out, channels)


def _no_data_format(ctx, name, raw, rank):
    """Cropping1D and UpSampling1D take no data_format in Keras 3: always channels last."""
    if raw not in (None, "channels_last"):
        raise ExplainError(f"this layer has no argument 'data_format' (it is always channels last). "
                           f"Received: data_format={raw!r}")
    return "channels_last"


def _define(base: type, name: str, rank: int, positional: tuple[str, ...] | None = None,
            channels_last_only: bool = False, **defaults: object) -> type:
    """A rank-``rank`` type of ``base``; ``defaults`` override argument defaults (Keras's)."""
    namespace: dict = {"rank": rank, "__doc__": base.__doc__, "__module__": __name__,
                       "__annotations__": {}}
    if positional is not None:
        namespace["positional"] = positional
    if channels_last_only:
        namespace["__annotations__"]["data_format"] = str
        namespace["data_format"] = arg(_no_data_format, "channels_last")
    for field_name, default in defaults.items():
        namespace["__annotations__"][field_name] = tuple
        namespace[field_name] = pairs(default)
    cls = type(name, (base,), namespace)
    return register(name)(layer_type(cls))


ZeroPadding1D = _define(_ZeroPadding, "ZeroPadding1D", 1)
ZeroPadding2D = _define(_ZeroPadding, "ZeroPadding2D", 2)
ZeroPadding3D = _define(_ZeroPadding, "ZeroPadding3D", 3)


@_lazy("Cropping1D", "Cropping2D", "Cropping3D")
def _croppings() -> tuple[type, ...]:
    @layer_type
    class _Cropping(Spatial, Edged):
        """Cropping: n − before − after on each spatial axis; no weights."""

        role = "cropping"
        explanation = _texts.CROPPING
        ops_per_element = 0

        positional = ("cropping", "data_format")
        ignores = frozenset()
        cropping: tuple = pairs(0)
        edge_sign = -1

        def edges(self, shape: Shape) -> tuple:
            return tuple((n, a, b) for n, (a, b) in zip(self.split(shape)[0], self.cropping))

        def edge_argument(self) -> str:
            return f"cropping={self.cropping}"

        def output_shape(self, shape: Shape) -> Shape:
            spatial, channels = self.split(shape)
            out = tuple(None if n is None else as_value(n - a - b) for n, (a, b) in zip(spatial, self.cropping))
            for i, (n, o, (a, b)) in enumerate(zip(spatial, out, self.cropping)):
                if isinstance(o, int) and o <= 0:
                    raise ExplainError(
                        f"cropping {a} + {b} from axis {self.spatial_axis(i)} of size {n} leaves nothing "
                        f"(size {o}). Received: cropping={self.cropping}, input_shape={format_shape(shape)}")
            return self.join(out, channels)

    return (_define(_Cropping, "Cropping1D", 1, ("cropping",), True, cropping=1),
            _define(_Cropping, "Cropping2D", 2), _define(_Cropping, "Cropping3D", 3, cropping=1))


@_lazy("UpSampling1D", "UpSampling2D", "UpSampling3D")
def _upsamplings() -> tuple[type, ...]:
    @layer_type
    class _UpSampling(Spatial):
        """Upsampling: n·size on each spatial axis (repeats); no weights."""

        role = "resize"
        explanation = _texts.UPSAMPLE
        ops_per_element = 0  # copies of the input (nearest neighbour)

        positional = ("size", "data_format")
        ignores = frozenset()
        size: tuple = sizes(2)
        interpolation: object = anything("nearest")

        def output_shape(self, shape: Shape) -> Shape:
            spatial, channels = self.split(shape)
            out = tuple(None if n is None else as_value(n * f) for n, f in zip(spatial, self.size))
            return self.join(out, channels)

    return (_define(_UpSampling, "UpSampling1D", 1, ("size",), True),
            _define(_UpSampling, "UpSampling2D", 2, ("size", "data_format", "interpolation")),
            _define(_UpSampling, "UpSampling3D", 3))
