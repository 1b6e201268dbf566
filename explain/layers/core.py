"""Core layers: Dense, activations, dropout and noise, and the reshaping of whole tensors.

Dense: kernel n_in·n_out + bias n_out, applied to the last axis of an input of any rank.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import ExplainError
from ..symbols import C, Value, exact_div, n_in, n_out, product
from .base import Group, Layer, Shape, anything, flag, format_shape, integers, known, size
from .registry import register


@register("InputLayer")
@dataclass(frozen=True, kw_only=True)
class InputLayer(Layer):
    """A model input: no weights; passes its shape on."""

    shape: tuple = integers(())
    batch_shape: tuple = integers(())
    batch_size: object = anything()
    input_shape: tuple = integers(())
    batch_input_shape: tuple = integers(())
    sparse: bool = flag(False)
    ragged: bool = flag(False)
    optional: bool = flag(False)
    input_tensor: object = anything()


_DENSE_KERNEL = Group("kernel", n_in * n_out)
_DENSE_BIAS = Group("bias", n_out)


@register("Dense")
@dataclass(frozen=True, kw_only=True)
class Dense(Layer):
    """Fully connected: kernel (n_in, n_out) and bias (n_out); (…, n_in) → (…, n_out)."""

    positional = ("units", "activation", "use_bias")
    units: Value = size()
    use_bias: bool = flag(True)

    def weight_groups(self) -> tuple[Group, ...]:
        return (_DENSE_KERNEL, _DENSE_BIAS) if self.use_bias else (_DENSE_KERNEL,)

    def values(self, shape: Shape) -> dict:
        return {n_in: known(shape[-1], "last input axis (n_in)", self.type_name), n_out: self.units}

    def output_shape(self, shape: Shape) -> Shape:
        return shape[:-1] + (self.units,)


@dataclass(frozen=True, kw_only=True)
class _Elementwise(Layer):
    """A layer that keeps the shape and has no weights."""


def _elementwise(name: str, *fields: str, aliases: tuple[str, ...] = (),
                 positional: tuple[str, ...] = ()) -> type[Layer]:
    """Define a weightless, shape-keeping layer type that accepts the given arguments."""
    namespace: dict = {"__annotations__": {}, "__doc__": f"{name}: no weights; the shape is unchanged.",
                       "positional": positional or fields[:1]}
    for f in fields:
        namespace["__annotations__"][f] = object
        namespace[f] = anything()
    cls = type(name, (_Elementwise,), namespace)
    cls.__module__ = __name__
    cls = dataclass(frozen=True, kw_only=True)(cls)
    return register(name, *aliases)(cls)


Activation = _elementwise("Activation", "activation")
ReLU = _elementwise("ReLU", "max_value", "negative_slope", "threshold")
LeakyReLU = _elementwise("LeakyReLU", "negative_slope", "alpha")
ELU = _elementwise("ELU", "alpha")
Softmax = _elementwise("Softmax", "axis")
Dropout = _elementwise("Dropout", "rate", "noise_shape", "seed")
SpatialDropout1D = _elementwise("SpatialDropout1D", "rate", "seed")
SpatialDropout2D = _elementwise("SpatialDropout2D", "rate", "data_format", "seed")
SpatialDropout3D = _elementwise("SpatialDropout3D", "rate", "data_format", "seed")
GaussianNoise = _elementwise("GaussianNoise", "stddev", "seed")
GaussianDropout = _elementwise("GaussianDropout", "rate", "seed")
AlphaDropout = _elementwise("AlphaDropout", "rate", "noise_shape", "seed")
ActivityRegularization = _elementwise("ActivityRegularization", "l1", "l2")
Masking = _elementwise("Masking", "mask_value")
Identity = _elementwise("Identity")


@register("PReLU")
@dataclass(frozen=True, kw_only=True)
class PReLU(Layer):
    """Parametric ReLU: one slope α per input element, shared along ``shared_axes``.

    alpha = ∏ of the input sizes on the axes that are not shared.
    """

    alpha_initializer: object = anything()
    shared_axes: tuple | None = anything()

    def _shared(self, shape: Shape) -> set[int]:
        axes = self.shared_axes
        if axes is None:
            return set()
        axes = [axes] if isinstance(axes, int) else list(axes)
        for a in axes:
            if not isinstance(a, int) or not 1 <= a <= len(shape):
                raise ExplainError(f"'shared_axes' must list axes from 1 to {len(shape)}. "
                                   f"Received: shared_axes={self.shared_axes!r}")
        return set(axes)

    def weight_groups(self) -> tuple[Group, ...]:
        return (Group("alpha", C),)

    def values(self, shape: Shape) -> dict:
        shared = self._shared(shape)
        dims = [known(d, "input size", self.type_name) for i, d in enumerate(shape, 1) if i not in shared]
        return {C: product(dims)}


@register("Flatten")
@dataclass(frozen=True, kw_only=True)
class Flatten(Layer):
    """(d_1, …, d_n) → (d_1·…·d_n)."""

    data_format: object = anything()

    def output_shape(self, shape: Shape) -> Shape:
        if any(d is None for d in shape):
            return (None,)
        return (product(shape),)


@register("Reshape")
@dataclass(frozen=True, kw_only=True)
class Reshape(Layer):
    """Any shape with the same number of elements; one -1 takes the rest."""

    positional = ("target_shape",)
    target_shape: tuple = integers()

    def output_shape(self, shape: Shape) -> Shape:
        target = list(self.target_shape)
        free = [i for i, d in enumerate(target) if d == -1]
        if len(free) > 1 or any(not (d == -1 or _positive(d)) for d in target):
            raise ExplainError(f"'target_shape' takes positive sizes and at most one -1. "
                               f"Received: target_shape={tuple(target)}")
        if any(d is None for d in shape):
            return tuple(None if d == -1 else d for d in target)
        total = product(shape)
        rest = product(d for d in target if d != -1)
        if free:
            target[free[0]] = _divide(total, rest, shape, self.target_shape)
        elif _numeric_ne(total, rest):
            raise ExplainError(f"cannot reshape {format_shape(shape)} ({total} elements) to "
                               f"{tuple(self.target_shape)} ({rest} elements)")
        return tuple(target)


def _positive(d: Value) -> bool:
    return not isinstance(d, int) or d > 0


def _numeric_ne(a: Value, b: Value) -> bool:
    return isinstance(a, int) and isinstance(b, int) and a != b


def _divide(total: Value, rest: Value, shape: Shape, target: tuple) -> Value:
    if isinstance(total, int) and isinstance(rest, int):
        if total % rest:
            raise ExplainError(f"cannot reshape {format_shape(shape)} ({total} elements) to {target}")
        return total // rest
    return exact_div(total, rest)


@register("Permute")
@dataclass(frozen=True, kw_only=True)
class Permute(Layer):
    """Reorders the axes: ``dims`` is a permutation of 1 … rank."""

    positional = ("dims",)
    dims: tuple = integers()

    def output_shape(self, shape: Shape) -> Shape:
        if sorted(self.dims) != list(range(1, len(shape) + 1)):
            raise ExplainError(f"'dims' must be a permutation of 1 … {len(shape)} for input "
                               f"{format_shape(shape)}. Received: dims={tuple(self.dims)}")
        return tuple(shape[d - 1] for d in self.dims)


@register("RepeatVector")
@dataclass(frozen=True, kw_only=True)
class RepeatVector(Layer):
    """(features) → (n, features)."""

    positional = ("n",)
    input_rank = 1
    n: Value = size()

    def output_shape(self, shape: Shape) -> Shape:
        return (self.n,) + shape


@register("Rescaling")
@dataclass(frozen=True, kw_only=True)
class Rescaling(Layer):
    """x·scale + offset: no weights."""

    positional = ("scale", "offset")
    scale: object = anything()
    offset: object = anything(0.0)
