"""Shared pieces of spatial layers (convolution, pooling, padding): the data layout, and the
windows a convolution or pooling slides along its spatial axes."""
from __future__ import annotations


from ..shapes import Window
from .base import Layer, Shape, Dim, arg, _choice, layer_type


def _data_format(ctx, name, raw, rank):
    return "channels_last" if raw is None else _choice("channels_last", "channels_first")(ctx, name, raw, rank)


def uniform_stride(name: str, values: object, skip_one: bool) -> str | None:
    """``name=s`` when every axis has the same integer stride s (None for 1 if ``skip_one``)."""
    if values is None:
        return None
    strides = tuple(values) if isinstance(values, (tuple, list)) else (values,)
    if not strides or not all(isinstance(s, int) for s in strides) or len(set(strides)) != 1:
        return None
    return None if skip_one and strides[0] == 1 else f"{name}={strides[0]}"


class Windowed:
    """A layer that slides a window along each spatial axis (convolution, pooling): every output
    length is its :class:`~explain.shapes.Window`'s rule, in shape inference and derivation alike."""

    def axis_window(self, i: int, length: Dim) -> Window:
        """The window along spatial axis ``i`` (0-based) of an input of that ``length``."""
        raise NotImplementedError

    def window_axes(self, shape: Shape) -> tuple[Dim, ...]:
        """The input lengths the windows slide along (channels first: all but the first axis)."""
        return tuple(shape[1:])

    def windows(self, shape: Shape) -> tuple[tuple[Dim, Window], ...]:
        """(input length, window) for each spatial axis of an input of ``shape``."""
        return tuple((n, self.axis_window(i, n)) for i, n in enumerate(self.window_axes(shape)))

    def stride_argument(self) -> str | None:
        """The stride argument as code (``strides=2``) where it is given, the same on every axis,
        and says something the window rule alone does not: a convolution's stride other than 1,
        a pooling layer's stride. None otherwise."""
        return None

    def default_stride(self) -> str | None:
        """The stride argument as written when it is left out and the stride is therefore the
        window's size (Keras's pooling ``strides=None``), else None."""
        return None

    def window_lengths(self, shape: Shape) -> tuple[Dim, ...]:
        return tuple(w.length(n) for n, w in self.windows(shape))


class Edged:
    """A layer that adds (padding) or cuts off (cropping) given numbers of entries at the start
    and at the end of each spatial axis: n + a + b, or n − a − b."""

    edge_sign = 1
    """+1: the entries are added; −1: they are cut off."""

    def edges(self, shape: Shape) -> tuple[tuple[Dim, int, int], ...]:
        """(input length, entries at the start, entries at the end) for each spatial axis."""
        raise NotImplementedError

    def edge_argument(self) -> str:
        """The argument that sets the entries, as code (``padding=((0, 1), (0, 1))``)."""
        raise NotImplementedError


@layer_type
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

    def window_axes(self, shape: Shape) -> tuple[Dim, ...]:
        return self.split(shape)[0]

    def spatial_axis(self, i: int) -> int:
        """Keras's number (the batch axis is 0) of the ``i``-th spatial axis (0-based)."""
        return i + 2 if self.data_format == "channels_first" else i + 1

    def join(self, spatial: tuple[Dim, ...], channels: Dim) -> Shape:
        if self.data_format == "channels_first":
            return (channels,) + tuple(spatial)
        return tuple(spatial) + (channels,)
