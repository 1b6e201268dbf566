"""Shared pieces of spatial layers (convolution, pooling, padding): the data layout."""
from __future__ import annotations

from dataclasses import dataclass

from .base import Layer, Shape, Dim, arg, _choice


def _data_format(ctx, name, raw, rank):
    return "channels_last" if raw is None else _choice("channels_last", "channels_first")(ctx, name, raw, rank)


@dataclass(frozen=True, kw_only=True)
class Spatial(Layer):
    """A layer over ``rank`` spatial axes plus one channel axis (channels last by default)."""

    data_format: str = arg(_data_format, "channels_last")

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.input_rank = cls.rank + 1

    def split(self, shape: Shape) -> tuple[tuple[Dim, ...], Dim]:
        """(spatial sizes, channels)."""
        if self.data_format == "channels_first":
            return tuple(shape[1:]), shape[0]
        return tuple(shape[:-1]), shape[-1]

    def spatial_axis(self, i: int) -> int:
        """Keras's number (the batch axis is 0) of the ``i``-th spatial axis (0-based)."""
        return i + 2 if self.data_format == "channels_first" else i + 1

    def join(self, spatial: tuple[Dim, ...], channels: Dim) -> Shape:
        if self.data_format == "channels_first":
            return (channels,) + tuple(spatial)
        return tuple(spatial) + (channels,)
