"""What a PyTorch model's own forward does with tensors, in specs and in ``from_torch``.

Parameter: a tensor learnt as it is, owned by a module (a class token, a position embedding, a
free bias vector such as BERT's ``cls.predictions.bias``, given by ``size``: bias n_out):
its elements, the product of its shape. Axes of size 1 (the batch axis it broadcasts over) do
not count. A (1, T, d) or (T, d) tensor is T·d (positions × model width); with ``tokens`` k,
the number of tokens put before the N patches (ViT's class token), it is (N + k)·d. A class
token (1, 1, d) is d; a vector (C) is C; other shapes s_1·s_2·… . ``how`` says what the
forward does with it and the input:

    none    the input passes unchanged (the tensor is used elsewhere)
    add     x + parameter: the input's shape
    concat  torch.cat([parameter.expand(B, …), x], dim): the input grows along ``dim``

Transpose (dim0, dim1) and Permute (dims): torch's x.transpose / x.permute; dims count the batch
axis as 0. Custom: a module declared with its count, as in Keras specs.

Steps between modules that ``from_torch`` finds in a forward (not spec types; each built when a
model first has one; ``dim`` may not name the batch axis):

    TensorReduction  mean, sum, amax, amin over dim   (…) → the axes of dim dropped (size 1 with keepdim)
                     O = N_in: each input value read once, as by a global pooling
    TensorReshape    flatten, view, reshape           (…) → another shape of as many values; no operations
    TransposeCall, PermuteCall: Transpose and Permute as calls (no operations; a view)
"""
from __future__ import annotations

from functools import cache
from typing import Any, Sequence

import sympy

from ..compute import Cost, per_input
from ..errors import ExplainError
from ..symbols import C, Value, as_value, d, n_out, product, sym, to_expr
from .base import (Group, Layer, Shape, _optional, _size, arg, choice, count, flag, format_shape, integer,
                   integers, same_size, shape_arg, layer_type)
from .custom import Custom
from . import _texts
from .torch_core import torch_dim, torch_module

T, N = sym("T"), sym("N")
"""Positions; patches (the positions other than the class tokens)."""
_BIAS = Group("bias", n_out)


def _shape(ctx, name: str, raw: object, rank: int) -> tuple | None:
    shape = shape_arg(ctx, name, raw, rank)
    if shape is not None and any(s is None for s in shape):
        raise ExplainError(f"Parameter: 'shape' must list the tensor's sizes. Received: {name}={raw!r}")
    return shape


def optional_size() -> object:
    return arg(_optional(_size), None)


def _is_one(n: Value) -> bool:
    return isinstance(n, int) and n == 1


@torch_module("Parameter")
@layer_type
class Parameter(Layer):
    """Π of the shape's axes: T·d, (N + k)·d with k class tokens, C, or s_1·s_2·…."""

    role = "parameter"
    explanation = _texts.PARAMETER_TENSOR
    symbol_meanings = {"n_out": "bias_size"}
    ops_per_element = 0  # a learnt tensor read as it is

    positional = ("shape",)
    min_input_rank = 0
    shape: tuple | None = arg(_shape, None)
    size: Value | None = optional_size()
    """The older form: a free bias vector of ``size`` entries added to the last axis (BERT's
    ``cls.predictions.bias``): bias n_out."""
    requires_grad: bool = flag(True)
    tokens: Value = count(0)
    how: str = choice("none", "add", "concat", default="none")
    dim: int = integer(1)

    def explanation_for(self, weights: Sequence[str]) -> str | None:
        return _texts.PARAMETER if self.shape is None else self.explanation

    def validate(self, ctx) -> None:
        super().validate(ctx)
        if (self.shape is None) == (self.size is None):
            raise ExplainError("Parameter needs its 'shape' (or, for a bias vector, its 'size')")

    def _symbols(self) -> dict[int, sympy.Expr]:
        """Axis → the symbol (or N + k) that stands for its size in the formula."""
        shape = self.shape or ()
        axes = [k for k, n in enumerate(shape) if not _is_one(n)]
        tokens_first = len(shape) == 2 or (len(shape) == 3 and _is_one(shape[0]))
        if len(axes) == 2 and tokens_first and axes == [len(shape) - 2, len(shape) - 1]:
            return {axes[0]: N + self.tokens if self.tokens != 0 else T, axes[1]: d}
        if len(axes) == 1:  # a class token (1, 1, d) is d wide; a vector of its own, C
            return {axes[0]: d if len(shape) > 1 and axes[0] == len(shape) - 1 else C}
        return {a: sym(f"s_{j + 1}") for j, a in enumerate(axes)}

    def weight_groups(self) -> tuple[Group, ...]:
        if self.shape is None:
            return (_BIAS,)
        formula = product(self._symbols().values()) if self._symbols() else sympy.Integer(1)
        return (Group("parameter", to_expr(formula), self.requires_grad),)

    def values(self, shape: Shape) -> dict:
        if self.shape is None:
            return {n_out: self.size}
        out: dict = {}
        for axis, expr in self._symbols().items():
            size_ = (self.shape or ())[axis]
            if expr == C or expr == T or expr == d or (isinstance(expr, sympy.Symbol) and expr != N):
                out[expr] = size_
            else:  # N + k
                out[N] = as_value(size_ - self.tokens)
                if isinstance(out[N], int) and out[N] < 0:
                    raise ExplainError(f"Parameter: tokens={self.tokens} is more than the {size_} positions "
                                       f"of shape {list(self.shape)}")
        return out

    def own_shape(self) -> Shape:
        """The tensor's shape without a leading 1 (the batch axis it broadcasts over)."""
        shape = tuple(self.shape or ())
        return shape[1:] if len(shape) > 1 and _is_one(shape[0]) else shape

    def output_shape(self, shape: Shape) -> Shape:
        if self.how == "none" or self.shape is None:
            return tuple(shape)
        mine = self.own_shape()
        if self.how == "add":
            tail = tuple(shape[len(shape) - len(mine):]) if len(mine) <= len(shape) else None
            if tail is None or any(not _is_one(a) and same_size(a, b) is False for a, b in zip(mine, tail)):
                raise ExplainError(f"Parameter: a tensor of shape {list(self.shape)} cannot be added to the "
                                   f"input {format_shape(shape)}")
            return tuple(shape)
        axis = torch_dim(self.dim, len(shape), self.type_name, shape)
        if len(mine) != len(shape) or any(same_size(a, b) is False
                                          for k, (a, b) in enumerate(zip(mine, shape)) if k != axis):
            raise ExplainError(f"Parameter: a tensor of shape {list(self.shape)} cannot be put before the "
                               f"input {format_shape(shape)} along dim {self.dim}")
        out = list(shape)
        n, extra = shape[axis], mine[axis]
        out[axis] = None if n is None or extra is None else as_value(n + extra)
        return tuple(out)


@torch_module("Transpose")
@layer_type
class Transpose(Layer):
    """x.transpose(dim0, dim1): swaps two axes (batch = 0); no weights."""

    role = "reshape"
    explanation = _texts.RESHAPE
    ops_per_element = 0

    positional = ("dim0", "dim1")
    dim0: int = integer()
    dim1: int = integer()

    def output_shape(self, shape: Shape) -> Shape:
        a = torch_dim(self.dim0, len(shape), self.type_name, shape, "dim0")
        b = torch_dim(self.dim1, len(shape), self.type_name, shape, "dim1")
        out = list(shape)
        out[a], out[b] = shape[b], shape[a]
        return tuple(out)


@torch_module("Permute")
@layer_type
class Permute(Layer):
    """x.permute(*dims): dims name every axis once, the batch axis 0 first; no weights."""

    role = "reshape"
    explanation = _texts.RESHAPE
    ops_per_element = 0

    positional = ("dims",)
    dims: tuple = integers()

    def output_shape(self, shape: Shape) -> Shape:
        full = len(shape) + 1
        dims = [k % full for k in self.dims if isinstance(k, int) and -full <= k < full]
        if sorted(dims) != list(range(full)) or len(self.dims) != full or dims[0] != 0:
            raise ExplainError(f"Permute: 'dims' must name each of the {full} axes once, the batch axis 0 "
                               f"first. Received: dims={list(self.dims)}")
        return tuple(shape[k - 1] for k in dims[1:])


@torch_module("Custom")
@layer_type
class TorchCustom(Custom):
    """A module explain has no formula for, declared with its count (as in Keras specs):
    ``Custom: {params: 4*d*d + d, output_shape: [T, d], class_name: MyBlock}``."""


# ----------------------------------------------------------------------------- steps between modules

REDUCTIONS = ("mean", "sum", "amax", "amin")
RESHAPES = ("flatten", "view", "reshape")


@cache
def reduction_type() -> type[Layer]:
    """``TensorReduction`` (built once)."""

    @layer_type
    class TensorReduction(Layer):
        """torch.mean/sum/amax/amin (or the tensor's method) over the axes ``dim``: no weights;
        each input value is read once, O = N_in."""

        type_name = "TensorReduction"
        framework = "pytorch"
        role = "reduction"
        type_label = _texts.FUNCTION_CALL_LABEL
        call_in_forward = True

        function: str = choice(*REDUCTIONS)
        dim: tuple = integers()
        keepdim: bool = flag(False)

        def explanation_for(self, weights: Sequence[str]) -> str | None:
            return _REDUCTION_TEXTS[self.function]

        def compute_explanation_for(self) -> str | None:
            return _REDUCTION_COMPUTE[self.function]

        def call(self) -> str:
            """The call as torch's keyword arguments write it: ``mean(dim=1)``, ``sum(dim=(1, 2), keepdim=True)``."""
            dims = str(self.dim[0]) if len(self.dim) == 1 else "(" + ", ".join(str(d) for d in self.dim) + ")"
            return f"{self.function}(dim={dims}{', keepdim=True' if self.keepdim else ''})"

        def cost(self, shapes, out, values) -> Cost:
            """Each input element added up or compared once: N_in."""
            return per_input(shapes)

        def output_shape(self, shape: Shape) -> Shape:
            axes = {torch_dim(d, len(shape), self.type_name, shape) for d in self.dim}
            if len(axes) != len(self.dim):
                raise ExplainError(f"{self.function}: 'dim' names an axis twice. Received: dim={self.dim}")
            if self.keepdim:
                return tuple(1 if i in axes else n for i, n in enumerate(shape))
            return tuple(n for i, n in enumerate(shape) if i not in axes)
    return TensorReduction


_REDUCTION_TEXTS = {"mean": _texts.MEAN_CALL, "sum": _texts.SUM_CALL, "amax": _texts.AMAX_CALL,
                    "amin": _texts.AMIN_CALL}
_REDUCTION_COMPUTE = {"mean": _texts.MEAN_COMPUTE, "sum": _texts.SUM_COMPUTE, "amax": _texts.EXTREMUM_COMPUTE,
                      "amin": _texts.EXTREMUM_COMPUTE}


@cache
def reshape_type() -> type[Layer]:
    """``TensorReshape`` (built once)."""

    @layer_type
    class TensorReshape(Layer):
        """torch.flatten, Tensor.view, torch.reshape on one sample's axes: no weights, no
        operations; the output holds the input's values in the same order."""

        type_name = "TensorReshape"
        framework = "pytorch"
        role = "reshape"
        type_label = _texts.FUNCTION_CALL_LABEL
        call_in_forward = True
        explanation = _texts.RESHAPE_CALL
        compute_explanation = _texts.RESHAPE_CALL_COMPUTE
        output_is_view = True
        ops_per_element = 0

        function: str = choice(*RESHAPES)
        sizes: tuple = integers()
        """The output's sizes without the batch axis, as the shape pass found them."""
        start_dim: int = integer(1)
        end_dim: int = integer(-1)
        def call(self) -> str:
            """``flatten(start_dim=1)`` (with ``end_dim`` where it is not the last axis); ``view``,
            ``reshape`` (their sizes hold the batch size of the shape pass, not what the forward
            wrote)."""
            if self.function != "flatten":
                return self.function
            end = f", end_dim={self.end_dim}" if self.end_dim != -1 else ""
            return f"flatten(start_dim={self.start_dim}{end})"

        def output_shape(self, shape: Shape) -> Shape:
            if any(n is None for n in shape) or product(shape) != product(self.sizes):
                raise ExplainError(f"{self.function}: the input {format_shape(shape)} does not have as many "
                                   f"values as {format_shape(self.sizes)}")
            return tuple(self.sizes)
    return TensorReshape


def _axes_call(cls: type[Layer]) -> type[Layer]:
    """``cls`` as a transpose or permute called in the forward between modules: a function call
    that puts the axes in another order, a view that computes nothing."""
    cls.type_label = _texts.FUNCTION_CALL_LABEL
    cls.call_in_forward = True
    cls.explanation = _texts.TRANSPOSE_CALL
    cls.compute_explanation = _texts.RESHAPE_CALL_COMPUTE
    cls.output_is_view = True
    return cls


@cache
def transpose_type() -> type[Layer]:
    """``Transpose`` called in the forward between modules (built once)."""

    @layer_type
    @_axes_call
    class TransposeCall(Transpose):
        """x.transpose(dim0, dim1) between modules: a step, not a row of a spec."""

        def call(self) -> str:
            return f"transpose({self.dim0}, {self.dim1})"
    return TransposeCall


@cache
def permute_type() -> type[Layer]:
    """``Permute`` called in the forward between modules (built once)."""

    @layer_type
    @_axes_call
    class PermuteCall(Permute):
        """x.permute(*dims) between modules: a step, not a row of a spec."""

        def call(self) -> str:
            return f"permute({', '.join(str(d) for d in self.dims)})"
    return PermuteCall


_STEP_TYPES = {"TensorReduction": reduction_type, "TensorReshape": reshape_type, "Transpose": transpose_type,
               "Permute": permute_type}


def step(kind: str, args: dict) -> tuple[Layer, str]:
    """The layer of a step between modules (``kind``: a key of ``_STEP_TYPES``, with the shape
    pass's arguments) and its name, the call: ``mean(dim=1)``, ``transpose(1, 2)``."""
    layer: Any = _STEP_TYPES[kind]().from_args(args)
    return layer, layer.call()
