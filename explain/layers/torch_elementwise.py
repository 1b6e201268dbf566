"""PyTorch's element-wise modules: activations (ReLU, GELU, SiLU, Softmax, …) and dropouts.

No weights; the shape is unchanged. A family of its own (32 types), so that a model that uses
none of them, a Hugging Face config's blocks, does not build their classes at start-up; each
class is built when a model first asks the registry for it (``registry.register_lazy``).
"""
from __future__ import annotations

import functools
from typing import Any

from ..compute import ACTIVATION_OPS, SOFTMAX_OPS
from . import _texts
from .base import Layer, anything, layer_type
from .registry import lazy_getattr, register_lazy
from .torch_core import torch_module


@layer_type
class _Elementwise(Layer):
    """No weights; the shape is unchanged."""


def _elementwise(name: str, *fields: str, role: str = "activation",
                 explanation: str = _texts.ACTIVATION, ops: int = ACTIVATION_OPS,
                 compute_explanation: str | None = None, exact: bool = True) -> type[Layer]:
    namespace: dict = {"__annotations__": {}, "__module__": __name__, "positional": fields,
                       "__doc__": f"torch.nn.{name}: no weights; the shape is unchanged.",
                       "role": role, "explanation": explanation, "ops_per_element": ops,
                       "compute_explanation": compute_explanation, "exact_shape_rule": exact}
    for f in fields:
        namespace["__annotations__"][f] = object
        namespace[f] = anything()
    cls = type(name, (_Elementwise,), namespace)
    return torch_module(name)(layer_type(cls))


_SOFTMAX: dict[str, Any] = {"role": "activation", "explanation": _texts.SOFTMAX, "ops": SOFTMAX_OPS,
                            "exact": False}  # dim: torch's checks (and its implicit-dim warning)
_DROPOUT: dict[str, Any] = {"role": "dropout", "explanation": _texts.DROPOUT, "ops": 0,
                            "compute_explanation": _texts.DROPOUT_MASK_COMPUTE}
_SPATIAL_DROPOUT: dict[str, Any] = {"role": "dropout", "explanation": _texts.SPATIAL_DROPOUT, "ops": 0,
                            "compute_explanation": _texts.DROPOUT_MASK_COMPUTE,
                            "exact": False}  # the input ranks torch accepts (and warns about)
_ALPHA_DROPOUT: dict[str, Any] = {"role": "dropout", "explanation": _texts.ALPHA_DROPOUT, "ops": 0,
                            "compute_explanation": _texts.DROPOUT_COMPUTE}
def _p_values(self: Any) -> dict:
    """PyTorch's dropout probability p (0.5 when not given), shown as r = p."""
    p = 0.5 if self.p is None else self.p
    return {"r": ("r = §", (float(p),))} if isinstance(p, (int, float)) and not isinstance(p, bool) else {}


def _p_code(self: Any) -> dict[str, str]:
    return {"rate": "p"}


_DROPOUT_P = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d"}
"""The dropouts whose sentence gives r = p."""

_TYPES: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    _name: (_fields, _kind) for _name, _fields, _kind in (
    ("ReLU", ("inplace",), {}), ("ReLU6", ("inplace",), {}),
    ("LeakyReLU", ("negative_slope", "inplace"), {}), ("ELU", ("alpha", "inplace"), {}),
    ("CELU", ("alpha", "inplace"), {}), ("SELU", ("inplace",), {}), ("GELU", ("approximate",), {}),
    ("SiLU", ("inplace",), {}), ("Mish", ("inplace",), {}), ("Sigmoid", (), {}), ("Tanh", (), {}),
    ("Softmax", ("dim",), _SOFTMAX), ("LogSoftmax", ("dim",), _SOFTMAX),
    ("Softmin", ("dim",), _SOFTMAX), ("Softmax2d", (), _SOFTMAX),
    ("Hardswish", ("inplace",), {}), ("Hardsigmoid", ("inplace",), {}),
    ("Hardtanh", ("min_val", "max_val", "inplace"), {}), ("Softplus", ("beta", "threshold"), {}),
    ("Softsign", (), {}), ("Tanhshrink", (), {}), ("LogSigmoid", (), {}),
    ("Hardshrink", ("lambd",), {}), ("Softshrink", ("lambd",), {}),
    ("Threshold", ("threshold", "value", "inplace"), {}),
    ("RReLU", ("lower", "upper", "inplace"), {"exact": False}),
    ("Dropout", ("p", "inplace"), _DROPOUT), ("Dropout1d", ("p", "inplace"), _SPATIAL_DROPOUT),
    ("Dropout2d", ("p", "inplace"), _SPATIAL_DROPOUT), ("Dropout3d", ("p", "inplace"), _SPATIAL_DROPOUT),
    ("AlphaDropout", ("p", "inplace"), _ALPHA_DROPOUT),
    ("FeatureAlphaDropout", ("p", "inplace"), {**_ALPHA_DROPOUT, "exact": False}),
)}


def _build(name: str) -> type[Layer]:
    fields, kind = _TYPES[name]
    cls = _elementwise(name, *fields, **kind)
    if name in _DROPOUT_P:
        cls.explanation_values = _p_values  # type: ignore[method-assign]
        cls.explanation_code = _p_code  # type: ignore[method-assign]
    globals()[name] = cls
    return cls


for _name in _TYPES:
    register_lazy(_name, functools.partial(_build, _name), framework="pytorch")


__getattr__ = lazy_getattr(__name__, _TYPES, "pytorch")
