"""Layers whose count is declared or read rather than derived from hyperparameters.

Custom:    a user-declared layer: weights n_t (trainable) + n_nt (non-trainable), both given in the
           spec (numbers or arithmetic of declared symbols); the output shape is given or the input's.
Opaque:    a layer of a live Keras model that explain does not know: n_t + n_nt counted from its
           weight tensors (``explain.from_keras``).
Lambda:    Keras's Lambda: no weights; its function is never run, so its output shape must be
           given (``output_shape``) or recorded by Keras in the model JSON.
Operation: a Keras op applied to KerasTensors in a functional model (``x + 3``, ``ops.multiply``):
           no weights; the recorded output shape, or the broadcast of its inputs.
LayerScale: ConvNeXt's per-channel scale (keras.applications): gamma C.
Submodel:  a Sequential or Functional model used as a layer: one node whose weights are the
           nested model's totals, n_t + n_nt; the nested model (``layer.model``) keeps the derivation
           of its layers.
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Optional, Sequence

from ..compute import NO_RULE, Cost, NotDerived
from ..errors import ExplainError
from ..symbols import C, Value, sym, to_expr
from .base import Group, Layer, Shape, anything, count, format_shape, known, shape_arg, layer_type
from . import _texts
from .registry import register

n_t = sym("n_t")
"""Trainable weights of a layer whose count is declared or counted from tensors."""
n_nt = sym("n_nt")
"""Non-trainable weights of such a layer."""

_WEIGHTS = Group("weights", n_t)
_FROZEN = Group("non_trainable_weights", n_nt, trainable=False)





@layer_type
class _Declared(Layer):
    """Weights n_t + n_nt given as numbers; any number of inputs; output shape given or the input's."""

    role = "declared"
    explanation = _texts.DECLARED
    compute_not_derived = "a declared layer states its parameters, not its compute"

    multi_input: ClassVar[bool] = True
    params: Value = count(0)
    non_trainable_params: Value = count(0)
    output_shape_: Optional[Shape] = dataclasses.field(default=None, metadata={"convert": shape_arg})

    @classmethod
    def from_args(cls, args, ctx=None, positional=()):
        args = dict(args)
        if "output_shape" in args:
            args["output_shape_"] = args.pop("output_shape")
        return super().from_args(args, ctx, positional)

    def weight_groups(self) -> tuple[Group, ...]:
        groups = (_WEIGHTS,) if self.params != 0 or self.non_trainable_params == 0 else ()
        return groups + ((_FROZEN,) if self.non_trainable_params != 0 else ())

    def values_multi(self, shapes: Sequence[Shape]) -> dict:
        return {n_t: self.params, n_nt: self.non_trainable_params}

    def values(self, shape: Shape) -> dict:
        return self.values_multi((shape,))

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        if self.output_shape_ is not None:
            return self.output_shape_
        if len(shapes) != 1:
            raise ExplainError(f"{self.type_name} takes {len(shapes)} inputs: give its 'output_shape'")
        return shapes[0]

    def output_shape(self, shape: Shape) -> Shape:
        return self.output_shape_multi((shape,))


@register("Custom")
@layer_type
class Custom(_Declared):
    """A layer explain has no formula for, declared with its count:

    ``Custom: {params: 4*d*d + d, non_trainable_params: 0, output_shape: [T, d], class_name: MyLayer}``

    ``params`` (trainable) and ``non_trainable_params`` are numbers or arithmetic of declared
    symbols (that is the explicit formula); ``output_shape`` (no batch axis) defaults to the input's.
    """

    class_name: object = anything()


@register("Opaque")
@layer_type
class Opaque(Custom):
    """A layer of a live model that explain does not know, counted from its weight tensors
    (``class_name`` is the framework's class): n_t trainable + n_nt non-trainable."""

    role = "opaque"
    explanation = _texts.OPAQUE


@register("Lambda")
@layer_type
class Lambda(Layer):
    """Keras Lambda: no weights. The function is never run (nor unmarshalled), so the output shape
    is ``output_shape`` (no batch axis); without it the shape is the input's only if recorded."""

    role = "lambda"
    explanation = _texts.LAMBDA
    compute_not_derived = "a Lambda's code is not run or read for its compute"

    multi_input: ClassVar[bool] = True
    positional = ("function", "output_shape", "mask", "arguments")
    function: object = anything()
    output_shape_: Optional[Shape] = dataclasses.field(default=None, metadata={"convert": shape_arg})
    mask: object = anything()
    arguments: object = anything()
    function_type: object = anything()
    output_shape_type: object = anything()
    output_shape_module: object = anything()

    @classmethod
    def from_args(cls, args, ctx=None, positional=()):
        args = dict(args)
        if len(positional) > 1:
            args["output_shape"] = positional[1]
            positional = positional[:1]
        raw = args.pop("output_shape", None)
        if raw is not None and not (isinstance(raw, (list, tuple))
                                    and all(d is None or isinstance(d, (int, str)) for d in raw)):
            raise ExplainError("Lambda's 'output_shape' must be a list of sizes (a function given "
                               "as output_shape is never run). Received: output_shape=<function>")
        if raw is not None:
            args["output_shape_"] = raw
        return super().from_args(args, ctx, positional)

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        if self.output_shape_ is None:
            raise ExplainError("a Lambda layer's output shape cannot be known without running its "
                               "function, which explain never does; give Lambda an output_shape "
                               "(without the batch axis)")
        return self.output_shape_

    def output_shape(self, shape: Shape) -> Shape:
        return self.output_shape_multi((shape,))


_ELEMENTWISE_OPS = frozenset({
    "Add", "Subtract", "Multiply", "Divide", "TrueDivide", "FloorDivide", "Maximum", "Minimum",
    "Power", "Mod", "Where", "Equal", "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual",
    "LogicalAnd", "LogicalOr", "Relu", "Relu6", "Sigmoid", "HardSigmoid", "HardSwish", "Silu",
    "Gelu", "Tanh", "Exp", "Log", "Sqrt", "Abs", "Negative", "Square", "Clip", "Softplus",
})


_ELEMENTWISE_KEYS = frozenset(o.lower() for o in _ELEMENTWISE_OPS) | {"truediv", "floordiv", "mul", "sub"}


def _op_key(op: str) -> str:
    """'Add', 'math.add', '__operators__.add', 'tf.math.multiply' → 'add', 'multiply'."""
    return op.rsplit(".", 1)[-1].replace("_", "").lower()


@register("Operation")
@layer_type
class Operation(Layer):
    """A Keras op on KerasTensors (``keras.ops.add``, ``x * y``, ``x + 3``): no weights. The
    output shape is the one Keras recorded, or for element-wise ops the broadcast of the inputs."""

    role = "operation"
    explanation = _texts.OPERATION
    compute_not_derived = "no rule for a framework operation"

    multi_input: ClassVar[bool] = True
    op: str = anything("")
    output_shape_: Optional[Shape] = dataclasses.field(default=None, metadata={"convert": shape_arg})

    def validate(self, ctx) -> None:
        super().validate(ctx)
        if not isinstance(self.op, str):
            raise ExplainError(f"'op' must be the name of an op. Received: op={self.op!r}")

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        if self.output_shape_ is not None:
            return self.output_shape_
        if _op_key(self.op) in _ELEMENTWISE_KEYS and shapes:
            return broadcast(shapes, self.op)
        raise ExplainError(f"the output shape of the op '{self.op}' is not recorded in the model "
                           f"and explain does not compute it")


def broadcast(shapes: Sequence[Shape], what: str) -> Shape:
    """NumPy broadcasting of shapes without the batch axis."""
    rank = max(len(s) for s in shapes)
    out: list = []
    for i in range(rank):
        dims = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0}
        dims.discard(1)
        if len(dims) > 1 and None in dims:
            dims.discard(None)
        if len(dims) > 1:
            raise ExplainError(f"{what}: the input shapes do not broadcast. Received: "
                               + ", ".join(format_shape(s) for s in shapes))
        out.append(dims.pop() if dims else 1)
    return tuple(out)


@register("LayerScale")
@layer_type
class LayerScale(Layer):
    """ConvNeXt's LayerScale (keras.applications.convnext): x·γ, γ of size C = projection_dim."""

    role = "scale"
    explanation = _texts.LAYER_SCALE
    ops_per_element = 1  # one product per element

    init_values: object = anything()
    projection_dim: Value = count()

    def weight_groups(self) -> tuple[Group, ...]:
        return (Group("gamma", C),)

    def values(self, shape: Shape) -> dict:
        channels = known(shape[-1], "number of channels", self.type_name)
        if isinstance(channels, int) and isinstance(self.projection_dim, int) and channels != self.projection_dim:
            raise ExplainError(f"'projection_dim' must equal the input's channels ({channels}). "
                               f"Received: projection_dim={self.projection_dim}")
        return {C: self.projection_dim}


@layer_type
class Submodel(Layer):
    """A Sequential or Functional model used as a layer: its weights are the nested model's totals
    (n_t trainable, n_nt non-trainable); ``model`` is the nested model with its own derivation."""

    role = "nested"
    explanation = _texts.NESTED

    type_name: ClassVar[str] = "Functional"
    multi_input: ClassVar[bool] = True
    model: Any = dataclasses.field(default=None, compare=False, hash=False,
                                   metadata={"convert": lambda ctx, name, raw, rank: raw})
    outputs: tuple = dataclasses.field(default=(), metadata={"convert": lambda ctx, name, raw, rank: raw})

    def weight_groups(self) -> tuple[Group, ...]:
        return (_WEIGHTS, _FROZEN)

    def values_multi(self, shapes: Sequence[Shape]) -> dict:
        return {n_t: self.model.trainable_expr, n_nt: self.model.non_trainable_expr}

    def cost(self, shapes, out, values) -> Cost:
        """The nested model's MACs and other operations (its own derivation sums its layers)."""
        macs, other = self.model.macs_expr, self.model.other_ops_expr
        if macs is None or other is None:
            raise NotDerived(NO_RULE)
        return Cost(to_expr(macs), to_expr(other))

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        return self.outputs[0]

    def extra_outputs(self, shapes: Sequence[Shape]) -> tuple[Shape, ...]:
        return tuple(self.outputs[1:])

    def nested(self) -> Any:
        return self.model


@layer_type
class NestedSequential(Submodel):
    type_name: ClassVar[str] = "Sequential"


def submodel(kind: str, model: Any, outputs: Sequence[Shape], trainable: bool = True) -> Submodel:
    """A node's layer for a nested model (``kind`` is Keras's class name)."""
    cls = NestedSequential if kind == "Sequential" else Submodel
    return cls(model=model, outputs=tuple(tuple(s) for s in outputs), trainable=trainable)
