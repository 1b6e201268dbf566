"""PyTorch's lazy modules: the same tensors as the module they become, their input size read
from the input shape (LazyLinear: in_features = the last axis; LazyConv*, LazyConvTranspose*,
LazyBatchNorm*, LazyInstanceNorm*: in_channels / num_features = the channel axis 1)."""
from __future__ import annotations

import dataclasses

from ..errors import ExplainError
from .base import Layer, Shape, _optional, _size, arg, flag, format_shape, layer_type
from .torch_conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .torch_core import Linear, torch_module
from .torch_norm import BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d


def _lazy(base: type[Layer], field: str, axis: int, **defaults: bool) -> type[Layer]:
    """``Lazy<base>``: ``base`` without ``field`` among its arguments; the input gives it.
    ``defaults``: flags whose default differs from the base's."""
    name = f"Lazy{base.type_name}"
    where = "the last axis" if axis == -1 else "the channel axis"

    def full(self, shape: Shape) -> Layer:
        if getattr(self, field) is not None:
            return self
        size_ = shape[axis] if len(shape) else None
        if size_ is None:
            raise ExplainError(f"{name} takes its {field} from {where} of the input, whose size is unknown. "
                               f"Received: input {format_shape(shape)}")
        return dataclasses.replace(self, **{field: size_})

    def validate(self, ctx) -> None:
        if getattr(self, field) is not None:
            base.validate(self, ctx)

    namespace = {
        "__module__": __name__, "__annotations__": {field: object, **{k: bool for k in defaults}},
        "__doc__": f"torch.nn.{name}: {base.type_name} with {field} = the size of {where} of the input.",
        "positional": tuple(p for p in base.positional if p != field),
        field: arg(_optional(_size), None),
        "full": full, "validate": validate,
        "exact_shape_rule": False,  # a lazy module's tensors take their shapes in the meta pass
        **{k: flag(v) for k, v in defaults.items()},
        "values": lambda self, shape: base.values(full(self, shape), shape),
        "output_shape": lambda self, shape: base.output_shape(full(self, shape), shape),
    }
    return torch_module(name)(layer_type(type(name, (base,), namespace)))


LazyLinear = _lazy(Linear, "in_features", -1)
LazyConv1d = _lazy(Conv1d, "in_channels", 0)
LazyConv2d = _lazy(Conv2d, "in_channels", 0)
LazyConv3d = _lazy(Conv3d, "in_channels", 0)
LazyConvTranspose1d = _lazy(ConvTranspose1d, "in_channels", 0)
LazyConvTranspose2d = _lazy(ConvTranspose2d, "in_channels", 0)
LazyConvTranspose3d = _lazy(ConvTranspose3d, "in_channels", 0)
LazyBatchNorm1d = _lazy(BatchNorm1d, "num_features", 0)
LazyBatchNorm2d = _lazy(BatchNorm2d, "num_features", 0)
LazyBatchNorm3d = _lazy(BatchNorm3d, "num_features", 0)
# torch's lazy instance norms are affine and track running statistics by default
LazyInstanceNorm1d = _lazy(InstanceNorm1d, "num_features", 0, affine=True, track_running_stats=True)
LazyInstanceNorm2d = _lazy(InstanceNorm2d, "num_features", 0, affine=True, track_running_stats=True)
LazyInstanceNorm3d = _lazy(InstanceNorm3d, "num_features", 0, affine=True, track_running_stats=True)
