"""Keras 3 adaptive pooling: no weights; the spatial sizes become ``output_size``.

(d_1, …, d_r, C) → (o_1, …, o_r, C); channels first (C, d_1, …) → (C, o_1, …).
"""
from __future__ import annotations


from ..compute import Cost, per_input
from ..symbols import Value
from ._spatial import Spatial
from .base import Shape, sizes, layer_type
from . import _texts
from .registry import register


@layer_type
class _Adaptive(Spatial):
    role = "adaptive_pool"
    explanation = _texts.ADAPTIVE_POOL

    def cost(self, shapes, out, values) -> Cost:
        """Each input element compared or added about once: N_in."""
        return per_input(shapes)

    positional = ("output_size", "data_format")
    output_size: tuple[Value, ...] = sizes()

    def output_shape(self, shape: Shape) -> Shape:
        _, channels = self.split(shape)
        return self.join(self.output_size, channels)


def _adaptive(name: str, rank: int) -> type:
    cls = type(name, (_Adaptive,), {"rank": rank, "__doc__": f"{name}(output_size): no weights; "
                                    f"{rank} spatial axes → output_size, channels kept.",
                                    "__module__": __name__,
                                    "explanation": _texts.ADAPTIVE_MAX_POOL if "Max" in name
                                    else _texts.ADAPTIVE_AVG_POOL})
    return register(name)(layer_type(cls))


for _kind in ("Average", "Max"):
    for _rank in (1, 2, 3):
        _name = f"Adaptive{_kind}Pooling{_rank}D"
        globals()[_name] = _adaptive(_name, _rank)
