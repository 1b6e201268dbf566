"""Core layers: Dense, activations, dropout and noise, and the reshaping of whole tensors.

Dense: kernel n_in·n_out + bias n_out, applied to the last axis of an input of any rank.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional

from ..compute import SOFTMAX_OPS, Cost, activation_ops, elementwise, per_output, positioned
from ..errors import ExplainError
from ..symbols import C, Value, exact_div, n_in, n_out, product, sym, to_expr
from .base import (ArgContext, Group, Layer, Shape, activation_arg, anything, arg, flag, format_shape, integers,
                   known, lora_r, lora_rank_arg, shape_arg, size, with_lora, layer_type)
from . import _texts
from .registry import lazy, lazy_getattr, register, register_lazy


_LAZY_TYPES: set[str] = set()
"""PReLU, Flatten, Reshape, Permute, RepeatVector and Rescaling, built when a model first asks the
registry for one (``registry.lazy``), as the element-wise types below are (a ResNet uses none of them)."""


def _lazy(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    _LAZY_TYPES.add(name)
    return lazy(name, globals())


@register("InputLayer")
@layer_type
class InputLayer(Layer):
    """A model input: no weights. As a spec's first layer (without ``input:``) it declares the
    model's input, as in ``keras.Sequential([InputLayer(shape=…), …])``; later it checks the shape."""

    role = "input"
    explanation = _texts.INPUT

    ops_per_element = 0
    positional = ("shape", "batch_size", "dtype", "sparse", "ragged", "batch_shape", "input_tensor",
                  "optional")
    ignores = frozenset()
    shape: tuple | None = arg(shape_arg, None)
    batch_shape: tuple | None = arg(shape_arg, None)
    batch_size: object = anything()
    input_shape: tuple | None = arg(shape_arg, None)
    batch_input_shape: tuple | None = arg(shape_arg, None)
    sparse: object = anything()
    ragged: object = anything()
    optional: object = anything()
    input_tensor: object = anything()

    def declared_shape(self) -> Shape | None:
        """The shape without the batch axis (``shape``, or ``batch_shape`` without its first size)."""
        if self.shape is not None:
            return self.shape
        if self.input_shape is not None:
            return self.input_shape
        for batched in (self.batch_shape, self.batch_input_shape):
            if batched is not None:
                if not batched:
                    raise ExplainError("'batch_shape' must include the batch axis. Received: batch_shape=()")
                return batched[1:]
        return None

    def validate(self, ctx: ArgContext) -> None:
        given = [n for n in ("shape", "batch_shape", "input_shape", "batch_input_shape")
                 if getattr(self, n) is not None]
        if len(given) > 1:
            raise ExplainError(f"give only one of 'shape' and 'batch_shape'. Received: {', '.join(given)}")

    def output_shape(self, shape: Shape) -> Shape:
        declared = self.declared_shape()
        if declared is not None and (len(declared) != len(shape) or any(
                a is not None and b is not None and _numeric_ne(a, b) for a, b in zip(declared, shape))):
            raise ExplainError(f"declares the shape {format_shape(declared)}, but its input has the "
                               f"shape {format_shape(shape)}")
        return shape


_DENSE_KERNEL = Group("kernel", n_in * n_out)
_DENSE_BIAS = Group("bias", n_out)
_DENSE_MACS = {False: n_in * n_out, True: n_in * n_out + n_in * lora_r + lora_r * n_out}
"""MACs at one position: the kernel's n_in·n_out (with LoRA also n_in·r + r·n_out)."""


@register("Dense")
@layer_type
class Dense(Layer):
    """Fully connected: kernel (n_in, n_out) and bias (n_out); (…, n_in) → (…, n_out)."""

    symbol_meanings = {"n_out": "dense_units"}

    role = "dense"
    explanation = _texts.DENSE
    explanation_no_bias = _texts.DENSE_NO_BIAS

    positional = ("units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                  "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                  "bias_constraint", "lora_rank")
    ignores = frozenset({"kernel_initializer", "bias_initializer", "kernel_regularizer",
                         "bias_regularizer", "kernel_constraint", "bias_constraint",
                         "lora_alpha", "quantization_config"})
    units: Value = size()
    activation: Optional[str] = activation_arg()
    use_bias: bool = flag(True)
    lora_rank: Value | None = lora_rank_arg()

    def weight_groups(self) -> tuple[Group, ...]:
        groups = (_DENSE_KERNEL, _DENSE_BIAS) if self.use_bias else (_DENSE_KERNEL,)
        return with_lora(groups, "kernel", n_in, n_out) if self.lora_rank else groups

    def values(self, shape: Shape) -> dict:
        values = {n_in: known(shape[-1], "last input axis (n_in)", self.type_name), n_out: self.units}
        return {**values, lora_r: self.lora_rank} if self.lora_rank else values

    def notes(self) -> tuple[str, ...]:
        return ("lora",) if self.lora_rank else ()

    def compute_explanation_for(self) -> Optional[str]:
        if self.lora_rank:
            return None
        return _texts.DENSE_COMPUTE

    def cost(self, shapes, out, values) -> Cost:
        """n_pos·n_in·n_out MACs at the n_pos positions of the input's leading axes; other
        operations n_pos·n_out per bias add and per operation of the activation (ReLU 1, softmax 3)."""
        other = per_output(self.use_bias, self.activation, n_out)
        return positioned(_DENSE_MACS[bool(self.lora_rank)], other, shapes[0][:-1])

    def output_shape(self, shape: Shape) -> Shape:
        return shape[:-1] + (self.units,)


@layer_type
class _Elementwise(Layer):
    """A layer that keeps the shape and has no weights."""


def _fraction(ctx: ArgContext, name: str, raw: Any, rank: int) -> float:
    """A number from 0 to 1 (a dropout rate, a noise level), as Keras checks it."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 <= raw <= 1:
        raise ExplainError(f"'{name}' must be a number from 0 to 1. Received: {name}={raw!r}")
    return float(raw)


def _elementwise(name: str, *fields: str, aliases: tuple[str, ...] = (),
                 positional: tuple[str, ...] = (), required: tuple[str, ...] = (),
                 fractions: tuple[str, ...] = (), role: str, explanation: str,
                 ops: int = 0, compute_explanation: str | None = None) -> type[Layer]:
    """Define a weightless, shape-keeping layer type that accepts the given arguments; ``required``
    ones have no default (as in Keras), ``fractions`` must be numbers from 0 to 1."""
    namespace: dict = {"__annotations__": {}, "__doc__": f"{name}: no weights; the shape is unchanged.",
                       "positional": positional or fields, "ignores": frozenset(), "role": role,
                       "explanation": explanation, "ops_per_element": ops,
                       "compute_explanation": compute_explanation}
    for f in fields:
        namespace["__annotations__"][f] = object
        convert = _fraction if f in fractions else anything().metadata["convert"]
        namespace[f] = arg(convert) if f in required else arg(convert, None)
    cls = type(name, (_Elementwise,), namespace)
    cls.__module__ = __name__
    cls = layer_type(cls)
    return register(name, *aliases)(cls)


_ACTIVATION: dict[str, Any] = {"role": "activation", "explanation": _texts.ACTIVATION, "ops": 1}
_DROPOUT: dict[str, Any] = {"role": "dropout", "explanation": _texts.DROPOUT,
                            "compute_explanation": _texts.DROPOUT_COMPUTE}
_RATE: dict[str, Any] = {"required": ("rate",), "fractions": ("rate",), **_DROPOUT}
# Dropout and SpatialDropout zero a random mask and scale the rest by 1/(1 - rate); the noise
# layers (GaussianNoise, GaussianDropout, AlphaDropout) keep the general sentence
_MASK: dict[str, Any] = {**_RATE, "compute_explanation": _texts.DROPOUT_MASK_COMPUTE}

_MAX0 = r"\max(x, 0)"
FUNCTIONS: dict[str, tuple[str, tuple[float, ...]]] = {
    "relu": (r"\mathrm{ReLU}(x) = " + _MAX0, ()),
    "relu6": (r"\mathrm{ReLU6}(x) = \min(" + _MAX0 + ", 6)", ()),
    "sigmoid": (r"\sigma(x) = 1/(1 + e^{-x})", ()),
    "tanh": (r"\tanh(x) = (e^{x} - e^{-x})/(e^{x} + e^{-x})", ()),
    "softplus": (r"\ln(1 + e^{x})", ()),
    "softsign": (r"x/(1 + |x|)", ()),
    "silu": (r"\mathrm{SiLU}(x) = x/(1 + e^{-x})", ()),
    "swish": (r"\mathrm{SiLU}(x) = x/(1 + e^{-x})", ()),
    "gelu": (r"\mathrm{GELU}(x) = \tfrac{x}{2}\,(1 + \operatorname{erf}(x/\sqrt{2}))", ()),
    "elu": (r"\mathrm{ELU}(x) = " + _MAX0 + r" + \min(e^{x} - 1, 0)", ()),
    "selu": (r"\mathrm{SELU}(x) \approx §\,(" + _MAX0 + r" + \min(§\,(e^{x} - 1), 0))",
             (1.0507, 1.6733)),
    "exponential": (r"e^{x}", ()),
    "linear": (r"f(x) = x", ()),
    "hard_sigmoid": (r"\max(0, \min(1, x/6 + §))", (0.5,)),
    "hard_silu": (r"x \cdot \max(0, \min(1, x/6 + §))", (0.5,)),
    "hard_swish": (r"x \cdot \max(0, \min(1, x/6 + §))", (0.5,)),
    "leaky_relu": (_MAX0 + r" + §\,\min(x, 0)", (0.2,)),
    "mish": (r"x \tanh(\ln(1 + e^{x}))", ()),
}
"""Keras's element-wise activation functions by name, as math (``§``: a number in the locale)."""


def _function_values(self: Any) -> dict:
    f = FUNCTIONS.get(self.activation) if isinstance(self.activation, str) else None
    return {"f": f} if f else {}


def _function_explanation(self: Any, weights: Any) -> Optional[str]:
    """The function by name: its formula, softmax's (along the last axis, as Keras applies it)."""
    if self.activation == "softmax":
        return _texts.ACTIVATION_SOFTMAX
    return _texts.ACTIVATION_FUNCTION if _function_values(self) else self.explanation


def _activation_cost(self: Any, shapes: Any, out: Shape, values: Any) -> Cost:
    """The named activation's operations per element (softmax 3, linear 0, others 1)."""
    return elementwise(out, activation_ops(self.activation))


def _number(x: Any) -> Optional[float]:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def _relu_values(self: Any) -> dict:
    """min(max(x, 0) + a·min(x, 0), M) for threshold 0 (ReLU6 by name); nothing otherwise."""
    top, slope, threshold = (_number(v) for v in (self.max_value, self.negative_slope, self.threshold))
    if (self.threshold is not None and threshold != 0) or (self.max_value is not None and top is None) \
            or (self.negative_slope is not None and slope is None):
        return {}
    inner: str = _MAX0
    numbers: tuple[float, ...] = ()
    if slope:
        inner, numbers = _MAX0 + r" + §\,\min(x, 0)", (slope,)
    if top is None:
        return {"f": FUNCTIONS["relu"] if not slope else (inner, numbers)}
    if top == 6 and not slope:
        return {"f": FUNCTIONS["relu6"]}
    return {"f": (r"\min(" + inner + ", §)", numbers + (top,))}


def _relu_explanation(self: Any, weights: Any) -> Optional[str]:
    """The function; with a cap (MobileNetV2's ReLU6) the argument that makes it one, since the
    layer's type says only ReLU."""
    if not _relu_values(self):
        return self.explanation
    return _texts.ACTIVATION_FUNCTION if self.max_value is None else _texts.RELU_CAPPED


def _relu_code(self: Any) -> dict:
    return {} if self.max_value is None else {"max_value": f"max_value={self.max_value!r}"}


def _leaky_values(self: Any) -> dict:
    slope = _number(self.negative_slope if self.negative_slope is not None else self.alpha)
    return {"f": (_MAX0 + r" + §\,\min(x, 0)", (0.3 if slope is None else slope,))}


def _elu_values(self: Any) -> dict:
    alpha = _number(self.alpha)
    return {"f": (r"\mathrm{ELU}(x) = " + _MAX0 + r" + §\,\min(e^{x} - 1, 0)", (1.0 if alpha is None else alpha,))}


def _rate_values(self: Any) -> dict:
    rate = _number(self.rate)
    return {} if rate is None else {"r": ("r = §", (rate,))}


_SPATIAL: dict[str, Any] = {**_MASK, "explanation": _texts.SPATIAL_DROPOUT}
_RATE_VALUES: dict[str, Any] = {"explanation_values": _rate_values}
_TYPES: dict[str, tuple[tuple[str, ...], dict[str, Any], dict[str, Any]]] = {
    "Activation": (("activation",), {"required": ("activation",), **_ACTIVATION},
                   {"explanation_values": _function_values, "explanation_for": _function_explanation,
                    "cost": _activation_cost}),
    "ReLU": (("max_value", "negative_slope", "threshold"), _ACTIVATION,
             {"explanation_values": _relu_values, "explanation_for": _relu_explanation,
              "explanation_code": _relu_code}),
    "LeakyReLU": (("negative_slope", "alpha"),
                  {"positional": ("negative_slope",), **_ACTIVATION, "explanation": _texts.ACTIVATION_FUNCTION},
                  {"explanation_values": _leaky_values}),
    "ELU": (("alpha",), {**_ACTIVATION, "explanation": _texts.ACTIVATION_FUNCTION}, {"explanation_values": _elu_values}),
    "Softmax": (("axis",), {"role": "activation", "explanation": _texts.SOFTMAX, "ops": SOFTMAX_OPS}, {}),
    "Dropout": (("rate", "noise_shape", "seed"), _MASK, _RATE_VALUES),
    "SpatialDropout1D": (("rate", "seed"), _SPATIAL, _RATE_VALUES),
    "SpatialDropout2D": (("rate", "data_format", "seed"), _SPATIAL, _RATE_VALUES),
    "SpatialDropout3D": (("rate", "data_format", "seed"), _SPATIAL, _RATE_VALUES),
    "GaussianNoise": (("stddev", "seed"), {"required": ("stddev",), "fractions": ("stddev",), **_DROPOUT,
                                           "explanation": _texts.GAUSSIAN_NOISE}, {}),
    "GaussianDropout": (("rate", "seed"), {**_RATE, "explanation": _texts.GAUSSIAN_DROPOUT}, {}),
    "AlphaDropout": (("rate", "noise_shape", "seed"), {**_RATE, "explanation": _texts.ALPHA_DROPOUT}, {}),
    "ActivityRegularization": (("l1", "l2"), {"role": "regularization",
                                              "explanation": _texts.ACTIVITY_REGULARIZATION}, {}),
    "Masking": (("mask_value",), {"role": "masking", "explanation": _texts.MASKING}, {}),
    "Identity": ((), {"role": "identity", "explanation": _texts.IDENTITY}, {}),
}
"""The weightless, shape-keeping types: name → (arguments, ``_elementwise``'s options, methods).
Each is built when a model first asks the registry for it (``registry.register_lazy``), as
torch's element-wise types are: a dataclass costs ≈ 0.4 ms, and a model uses few of the 15."""


def _build(name: str) -> type[Layer]:
    fields, kind, methods = _TYPES[name]
    cls = _elementwise(name, *fields, **kind)
    for attribute, method in methods.items():
        setattr(cls, attribute, method)
    globals()[name] = cls
    return cls


for _name in _TYPES:
    register_lazy(_name, functools.partial(_build, _name))


def _axes_arg(ctx: ArgContext, name: str, raw: Any, rank: int) -> tuple | None:
    if raw is None:
        return None
    items = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in items):
        raise ExplainError(f"'{name}' must be an axis or a list of axes. Received: {name}={raw!r}")
    return tuple(items)


@_lazy("PReLU")
def _prelu() -> type[Layer]:
    @register("PReLU")
    @layer_type
    class PReLU(Layer):
        """Parametric ReLU: one slope α per input element, shared along ``shared_axes``.

        alpha = ∏ of the input sizes on the axes that are not shared. Axes count from 1 (the first
        after the batch axis). As in Keras, axis a marks entry a − 1 of the shape, so a negative
        axis counts from the end shifted by one (-1 marks the second-to-last size).
        """

        role = "activation"
        explanation = _texts.PRELU
        symbol_meanings = {"N": "slopes_per_entry", "C": "channel_count", "H_in": "input_height",
                           "W_in": "input_width", "D_in": "input_depth", "L_in": "time_steps"}

        ops_per_element = 1
        positional = ("alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes")
        ignores = frozenset({"alpha_regularizer", "alpha_constraint"})
        alpha_initializer: object = anything()
        shared_axes: tuple | None = arg(_axes_arg, None)

        def _shared(self, shape: Shape) -> set[int]:
            shared = set()
            for a in self.shared_axes or ():
                if not -len(shape) <= a - 1 < len(shape):
                    raise ExplainError(f"'shared_axes' must list axes from 1 to {len(shape)} for the input "
                                       f"{format_shape(shape)}. Received: shared_axes={list(self.shared_axes or ())}")
                shared.add((a - 1) % len(shape))
            return shared

        def weight_groups(self) -> tuple[Group, ...]:
            return (Group("alpha", _N_ALPHA),)

        def weight_groups_for(self, shapes) -> tuple[Group, ...]:
            """One slope per input entry along the axes not shared: P = H·W·C for an image without
            shared_axes, P = C with shared_axes = [1, 2]."""
            shape = shapes[0]
            axes = _PRELU_AXES.get(len(shape))
            if axes is None:
                return self.weight_groups()
            shared = self._shared(shape)
            return (Group("alpha", to_expr(product(a for i, a in enumerate(axes) if i not in shared))),)

        def values(self, shape: Shape) -> dict:
            shared = self._shared(shape)
            dims = [known(d, "input size", self.type_name) for i, d in enumerate(shape) if i not in shared]
            axes = _PRELU_AXES.get(len(shape), ())
            return {_N_ALPHA: product(dims), **{a: known(d, "input size", self.type_name) for a, d in zip(axes, shape)}}

    return PReLU


_N_ALPHA = sym("N")
_PRELU_AXES = {1: (C,), 2: (sym("L_in"), C), 3: (sym("H_in"), sym("W_in"), C),
               4: (sym("D_in"), sym("H_in"), sym("W_in"), C)}
"""The symbols of an input's axes (batch axis left out): time steps, depth, height, width, channels."""


@_lazy("Flatten")
def _flatten() -> type[Layer]:
    @register("Flatten")
    @layer_type
    class Flatten(Layer):
        """(d_1, …, d_n) → (d_1·…·d_n)."""

        role = "flatten"
        explanation = _texts.FLATTEN
        output_is_view = True
        compute_explanation = _texts.RESHAPE_COMPUTE

        ops_per_element = 0
        positional = ("data_format",)
        ignores = frozenset()
        data_format: object = anything()

        def output_shape(self, shape: Shape) -> Shape:
            if any(d is None for d in shape):
                return (None,)
            return (product(shape),)

    return Flatten


@_lazy("Reshape")
def _reshape() -> type[Layer]:
    @register("Reshape")
    @layer_type
    class Reshape(Layer):
        """Any shape with the same number of elements; one -1 takes the rest."""

        role = "reshape"
        explanation = _texts.RESHAPE
        output_is_view = True
        compute_explanation = _texts.RESHAPE_COMPUTE

        ops_per_element = 0
        positional = ("target_shape",)
        ignores = frozenset()
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

    return Reshape


def _positive(d: Value) -> bool:
    return not isinstance(d, int) or d > 0


def _numeric_ne(a: Value, b: Value) -> bool:
    return isinstance(a, int) and isinstance(b, int) and a != b


def _divide(total: Value, rest: Value, shape: Shape, target: tuple) -> Value:
    if isinstance(total, int) and isinstance(rest, int):
        if total % rest:
            raise ExplainError(f"cannot reshape {format_shape(shape)} ({total} elements) to {target}: "
                               f"{total} is not a multiple of {rest}, the product of the other sizes")
        return total // rest
    return exact_div(total, rest)


@_lazy("Permute")
def _permute() -> type[Layer]:
    @register("Permute")
    @layer_type
    class Permute(Layer):
        """Reorders the axes: ``dims`` is a permutation of 1 … rank."""

        role = "reshape"
        explanation = _texts.RESHAPE
        compute_explanation = _texts.REARRANGE_COMPUTE

        ops_per_element = 0
        positional = ("dims",)
        ignores = frozenset()
        dims: tuple = integers()

        def output_shape(self, shape: Shape) -> Shape:
            if sorted(self.dims) != list(range(1, len(shape) + 1)):
                raise ExplainError(f"'dims' must be a permutation of 1 … {len(shape)} for input "
                                   f"{format_shape(shape)}. Received: dims={tuple(self.dims)}")
            return tuple(shape[d - 1] for d in self.dims)

    return Permute


@_lazy("RepeatVector")
def _repeat_vector() -> type[Layer]:
    @register("RepeatVector")
    @layer_type
    class RepeatVector(Layer):
        """(features) → (n, features)."""

        role = "repeat"
        explanation = _texts.REPEAT_VECTOR

        ops_per_element = 0
        positional = ("n",)
        ignores = frozenset()
        input_rank = 1
        n: Value = size()

        def output_shape(self, shape: Shape) -> Shape:
            return (self.n,) + shape

    return RepeatVector


@_lazy("Rescaling")
def _rescaling() -> type[Layer]:
    @register("Rescaling")
    @layer_type
    class Rescaling(Layer):
        """x·scale + offset: no weights."""

        role = "rescaling"
        explanation = _texts.RESCALING

        ops_per_element = 2
        positional = ("scale", "offset")
        ignores = frozenset()
        scale: object = anything()
        offset: object = anything(0.0)

    return Rescaling


__getattr__ = lazy_getattr(__name__, {*_TYPES, *_LAZY_TYPES})
