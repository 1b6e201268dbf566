"""PyTorch core modules: Linear, Bilinear, Embedding, Identity, GLU, PReLU, Flatten, Unflatten
(the element-wise activations and dropouts are in ``torch_elementwise``).

Shapes are channels-first and exclude the batch axis; ``dim`` arguments count the batch axis
as 0, as torch does.

    Linear    weight n_out·n_in + bias n_out           (…, n_in) → (…, n_out)
    Bilinear  weight n_out·n_1·n_2 + bias n_out        (…, n_1), (…, n_2) → (…, n_out)
    Embedding weight V·d                               (…) → (…, d)
    PReLU     weight num_parameters
"""
from __future__ import annotations

from dataclasses import field
from typing import Callable, ClassVar, Sequence

from ..compute import ZERO, Cost, positioned
from ..errors import ExplainError
from ..symbols import C, V, Value, d, exact_div, n_in, n_out, product, sym
from .base import Dim, Group, Layer, Shape, anything, flag, format_shape, integer, integers, same_size, size, layer_type
from . import _texts
from .registry import lazy, lazy_getattr, register

n_1, n_2 = sym("n_1"), sym("n_2")


def torch_module(*names: str):
    """Register a PyTorch module type (``framework: pytorch``)."""
    return register(*names, framework="pytorch")


_LAZY_TYPES: set[str] = set()
"""The types a language model does not use (Bilinear, EmbeddingBag, Identity, GLU, PReLU, Flatten,
Unflatten): each is built when a model first asks the registry for it (``registry.lazy``), as
torch's element-wise types are; a dataclass costs ≈ 0.5 ms."""


def _lazy(name: str) -> Callable[[Callable[[], type[Layer]]], Callable[[], type[Layer]]]:
    _LAZY_TYPES.add(name)
    return lazy(name, globals(), "pytorch")


__getattr__ = lazy_getattr(__name__, _LAZY_TYPES, "pytorch")


def check_stated(type_name: str, arg: str, stated: Value, actual: Dim, shape: Shape,
                 where: str = "last axis") -> None:
    """A stated in_features/in_channels/… that contradicts the incoming shape is an error."""
    if same_size(stated, actual) is False:
        raise ExplainError(f"{type_name}: {arg}={stated} does not match the input {format_shape(shape)}, "
                           f"whose {where} has {actual}. Received: {arg}={stated}")


def torch_dim(dim: int, rank: int, type_name: str, shape: Shape, arg: str = "dim") -> int:
    """A torch dim (batch = 0, negative from the end) as an index into a shape without batch."""
    full = rank + 1
    if not isinstance(dim, int) or not -full <= dim < full:
        raise ExplainError(f"{type_name}: '{arg}' is out of range for the input {format_shape(shape)} "
                           f"(with the batch axis). Received: {arg}={dim!r}")
    d_ = dim % full
    if d_ == 0:
        raise ExplainError(f"{type_name}: '{arg}' may not be the batch axis 0 here. Received: {arg}={dim!r}")
    return d_ - 1


_LINEAR_W, _LINEAR_B = Group("weight", n_out * n_in), Group("bias", n_out)


@torch_module("Linear")
@layer_type
class Linear(Layer):
    """weight (n_out, n_in) + bias (n_out): n_in·n_out + n_out."""

    exact_shape_rule = True

    symbol_meanings = {"n_out": "linear_out_features"}

    role = "dense"
    explanation = _texts.DENSE
    explanation_no_bias = _texts.DENSE_NO_BIAS

    positional = ("in_features", "out_features", "bias")
    in_features: Value = size()
    out_features: Value = size()
    bias: bool = flag(True)
    device: object = anything()
    dtype: object = anything()

    def weight_groups(self) -> tuple[Group, ...]:
        return (_LINEAR_W, _LINEAR_B) if self.bias else (_LINEAR_W,)

    def values(self, shape: Shape) -> dict:
        check_stated(self.type_name, "in_features", self.in_features, shape[-1], shape)
        return {n_in: self.in_features, n_out: self.out_features}

    def output_shape(self, shape: Shape) -> Shape:
        check_stated(self.type_name, "in_features", self.in_features, shape[-1], shape)
        return tuple(shape[:-1]) + (self.out_features,)

    def cost(self, shapes, out, values) -> Cost:
        """n_pos·n_in·n_out MACs at the n_pos positions of the input's leading axes; n_pos·n_out bias adds."""
        return positioned(_LINEAR_W.formula, n_out if self.bias else ZERO, shapes[0][:-1])


_BILINEAR_W, _BILINEAR_B = Group("weight", n_out * n_1 * n_2), Group("bias", n_out)
_BILINEAR_MACS = n_out * n_1 * n_2 + n_out * n_2


@_lazy("Bilinear")
def _bilinear() -> type[Layer]:
    @torch_module("Bilinear")
    @layer_type
    class Bilinear(Layer):
        """y = x₁ᵀ A x₂ + b: weight (n_out, n_1, n_2) + bias n_out. One input is used twice."""

        role = "bilinear"
        explanation = _texts.BILINEAR
        explanation_no_bias = _texts.BILINEAR_NO_BIAS

        positional = ("in1_features", "in2_features", "out_features", "bias")
        multi_input = True
        in1_features: Value = size()
        in2_features: Value = size()
        out_features: Value = size()
        bias: bool = flag(True)
        device: object = anything()
        dtype: object = anything()

        def _inputs(self, shapes: Sequence[Shape]) -> tuple[Shape, Shape]:
            if len(shapes) not in (1, 2):
                raise ExplainError(f"Bilinear takes one or two inputs. Received: {len(shapes)} inputs")
            a, b = shapes[0], shapes[-1]
            check_stated(self.type_name, "in1_features", self.in1_features, a[-1], a)
            check_stated(self.type_name, "in2_features", self.in2_features, b[-1], b)
            return a, b

        def weight_groups(self) -> tuple[Group, ...]:
            return (_BILINEAR_W, _BILINEAR_B) if self.bias else (_BILINEAR_W,)

        def values_multi(self, shapes: Sequence[Shape]) -> dict:
            self._inputs(shapes)
            return {n_1: self.in1_features, n_2: self.in2_features, n_out: self.out_features}

        def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
            a, _ = self._inputs(shapes)
            return tuple(a[:-1]) + (self.out_features,)

        def cost(self, shapes, out, values) -> Cost:
            """x₁ᵀA: n_1·n_2·n_out, then · x₂: n_2·n_out MACs per position (as torch's bilinear
            kernel computes it); n_out bias adds."""
            return positioned(_BILINEAR_MACS, n_out if self.bias else ZERO, shapes[0][:-1])
    return Bilinear


_EMBEDDING_W = Group("weight", V * d)


@torch_module("Embedding")
@layer_type
class Embedding(Layer):
    """weight (V, d): V·d; indices (…) → (…, d). A lookup: no MACs."""

    ops_per_element = 0

    role = "embedding"
    explanation = _texts.EMBEDDING
    symbol_meanings = {"d": "embedding_dim"}
    looks_up = True  # every index of the input becomes its row: (…) → (…, d)

    positional: ClassVar[tuple[str, ...]] = ("num_embeddings", "embedding_dim", "padding_idx", "max_norm",
                                             "norm_type", "scale_grad_by_freq", "sparse")
    num_embeddings: Value = size()
    embedding_dim: Value = size()
    padding_idx: object = anything()
    max_norm: object = anything()
    norm_type: object = anything(2.0)
    scale_grad_by_freq: bool = flag(False)
    sparse: bool = flag(False)
    _weight: object = anything()
    _freeze: bool = flag(False)
    device: object = anything()
    dtype: object = anything()

    def weight_groups(self) -> tuple[Group, ...]:
        return (_EMBEDDING_W,)

    def values(self, shape: Shape) -> dict:
        return {V: self.num_embeddings, d: self.embedding_dim}

    def output_shape(self, shape: Shape) -> Shape:
        return tuple(shape) + (self.embedding_dim,)


@_lazy("EmbeddingBag")
def _embeddingbag() -> type[Layer]:
    @torch_module("EmbeddingBag")
    @layer_type
    class EmbeddingBag(Embedding):
        """weight (V, d): V·d; bags of indices (…, n) → (…, d), the n rows summed, averaged or maxed."""

        positional = ("num_embeddings", "embedding_dim", "max_norm", "norm_type", "scale_grad_by_freq",
                      "mode", "sparse", "_weight", "include_last_offset", "padding_idx")
        mode: object = anything("mean")
        include_last_offset: bool = flag(False)
        _freeze: bool = field(default=False, init=False)  # Embedding's, not an argument of EmbeddingBag

        def output_shape(self, shape: Shape) -> Shape:
            return tuple(shape[:-1]) + (self.embedding_dim,)
    return EmbeddingBag


@_lazy("Identity")
def _identity() -> type[Layer]:
    @torch_module("Identity")
    @layer_type
    class Identity(Layer):
        """No weights; any arguments are ignored, as torch does."""

        exact_shape_rule = True

        role = "identity"
        explanation = _texts.IDENTITY

        ops_per_element = 0
        positional = ("arg0", "arg1", "arg2", "arg3")
        arg0: object = anything()
        arg1: object = anything()
        arg2: object = anything()
        arg3: object = anything()
    return Identity


@_lazy("GLU")
def _glu() -> type[Layer]:
    @torch_module("GLU")
    @layer_type
    class GLU(Layer):
        """Gated linear unit: halves the size of axis ``dim``; no weights."""

        role = "activation"
        explanation = _texts.GLU
        ops_per_element = 2  # a sigmoid and a product per output element

        positional = ("dim",)
        dim: int = integer(-1)

        def output_shape(self, shape: Shape) -> Shape:
            a = torch_dim(self.dim, len(shape), self.type_name, shape)
            size_ = shape[a]
            if isinstance(size_, int) and size_ % 2:
                raise ExplainError(f"GLU halves axis {self.dim}, whose size {size_} is odd. "
                                   f"Received: input {format_shape(shape)}")
            out = list(shape)
            out[a] = None if size_ is None else exact_div(size_, 2)
            return tuple(out)
    return GLU


_PRELU = Group("weight", C)


@_lazy("PReLU")
def _prelu() -> type[Layer]:
    @torch_module("PReLU")
    @layer_type
    class PReLU(Layer):
        """One learnt slope (num_parameters=1) or one per channel (axis 1): weight num_parameters."""

        role = "activation"
        explanation = _texts.TORCH_PRELU
        symbol_meanings = {"C": "slopes"}

        ops_per_element = 1
        positional = ("num_parameters", "init")
        num_parameters: Value = size(1)
        init: object = anything(0.25)
        device: object = anything()
        dtype: object = anything()

        def weight_groups(self) -> tuple[Group, ...]:
            return (_PRELU,)

        def values(self, shape: Shape) -> dict:
            if self.num_parameters != 1:
                check_stated(self.type_name, "num_parameters", self.num_parameters, shape[0], shape,
                             "channel axis")
            return {C: self.num_parameters}
    return PReLU


@_lazy("Flatten")
def _flatten() -> type[Layer]:
    @torch_module("Flatten")
    @layer_type
    class Flatten(Layer):
        """Joins the axes start_dim … end_dim (batch = 0; default 1 … -1) into one."""

        exact_shape_rule = True

        role = "flatten"
        explanation = _texts.FLATTEN
        output_is_view = True
        compute_explanation = _texts.RESHAPE_COMPUTE

        ops_per_element = 0
        positional = ("start_dim", "end_dim")
        start_dim: int = integer(1)
        end_dim: int = integer(-1)

        def output_shape(self, shape: Shape) -> Shape:
            a = torch_dim(self.start_dim, len(shape), self.type_name, shape, "start_dim")
            b = torch_dim(self.end_dim, len(shape), self.type_name, shape, "end_dim")
            if b < a:
                raise ExplainError(f"Flatten: start_dim must not come after end_dim. "
                                   f"Received: start_dim={self.start_dim}, end_dim={self.end_dim}")
            part = shape[a:b + 1]
            joined = None if any(x is None for x in part) else product(part)
            return tuple(shape[:a]) + (joined,) + tuple(shape[b + 1:])
    return Flatten


@_lazy("Unflatten")
def _unflatten() -> type[Layer]:
    @torch_module("Unflatten")
    @layer_type
    class Unflatten(Layer):
        """Splits axis ``dim`` into ``unflattened_size`` (one -1 takes the rest)."""

        role = "reshape"
        explanation = _texts.RESHAPE
        output_is_view = True
        compute_explanation = _texts.RESHAPE_COMPUTE

        ops_per_element = 0
        positional = ("dim", "unflattened_size")
        dim: int = integer()
        unflattened_size: tuple = integers()

        def output_shape(self, shape: Shape) -> Shape:
            a = torch_dim(self.dim, len(shape), self.type_name, shape)
            sizes = list(self.unflattened_size)
            free = [k for k, s in enumerate(sizes) if isinstance(s, int) and s == -1]
            if len(free) > 1 or any(isinstance(s, int) and s != -1 and s <= 0 for s in sizes):
                raise ExplainError(f"Unflatten: 'unflattened_size' takes positive sizes and at most one -1. "
                                   f"Received: unflattened_size={tuple(sizes)}")
            total = shape[a]
            rest = product(s for s in sizes if not (isinstance(s, int) and s == -1))
            if free:
                sizes[free[0]] = None if total is None else exact_div(total, rest)
                if isinstance(total, int) and isinstance(rest, int) and total % rest:
                    raise ExplainError(f"Unflatten: axis {self.dim} of size {total} cannot be split into "
                                       f"{tuple(self.unflattened_size)}")
            elif same_size(total, rest) is False:
                raise ExplainError(f"Unflatten: axis {self.dim} has size {total}, but unflattened_size "
                                   f"{tuple(self.unflattened_size)} has {rest} elements")
            return tuple(shape[:a]) + tuple(sizes) + tuple(shape[a + 1:])
    return Unflatten
