"""Zero padding, cropping and upsampling of the spatial axes. No weights.

ZeroPadding: n + before + after; Cropping: n − before − after; UpSampling: n·size.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..symbols import as_value
from .base import Shape, anything, pairs, sizes
from .registry import register
from ._spatial import Spatial


@dataclass(frozen=True, kw_only=True)
class _ZeroPadding(Spatial):
    positional = ("padding", "data_format")
    padding: tuple = pairs(1)

    def output_shape(self, shape: Shape) -> Shape:
        spatial, channels = self.split(shape)
        out = tuple(None if n is None else as_value(n + a + b) for n, (a, b) in zip(spatial, self.padding))
        return self.join(out, channels)


@dataclass(frozen=True, kw_only=True)
class _Cropping(Spatial):
    positional = ("cropping", "data_format")
    cropping: tuple = pairs(0)

    def output_shape(self, shape: Shape) -> Shape:
        spatial, channels = self.split(shape)
        out = tuple(None if n is None else as_value(n - a - b) for n, (a, b) in zip(spatial, self.cropping))
        return self.join(out, channels)


@dataclass(frozen=True, kw_only=True)
class _UpSampling(Spatial):
    positional = ("size", "data_format")
    size: tuple = sizes(2)
    interpolation: object = anything("nearest")

    def output_shape(self, shape: Shape) -> Shape:
        spatial, channels = self.split(shape)
        out = tuple(None if n is None else as_value(n * f) for n, f in zip(spatial, self.size))
        return self.join(out, channels)


def _define(base: type, name: str, rank: int, **defaults: object) -> type:
    """A rank-``rank`` type of ``base``; ``defaults`` override argument defaults (Keras's)."""
    namespace: dict = {"rank": rank, "__doc__": base.__doc__, "__module__": __name__,
                       "__annotations__": {}}
    for field_name, default in defaults.items():
        namespace["__annotations__"][field_name] = tuple
        namespace[field_name] = pairs(default)
    cls = type(name, (base,), namespace)
    return register(name)(dataclass(frozen=True, kw_only=True)(cls))


ZeroPadding1D = _define(_ZeroPadding, "ZeroPadding1D", 1)
ZeroPadding2D = _define(_ZeroPadding, "ZeroPadding2D", 2)
ZeroPadding3D = _define(_ZeroPadding, "ZeroPadding3D", 3)
Cropping1D = _define(_Cropping, "Cropping1D", 1, cropping=1)
Cropping2D = _define(_Cropping, "Cropping2D", 2)
Cropping3D = _define(_Cropping, "Cropping3D", 3, cropping=1)
UpSampling1D = _define(_UpSampling, "UpSampling1D", 1)
UpSampling2D = _define(_UpSampling, "UpSampling2D", 2)
UpSampling3D = _define(_UpSampling, "UpSampling3D", 3)
