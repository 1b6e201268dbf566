"""The derivation: a model's parameter count as ordered steps (data, no formatting).

``derive(model)`` gives a :class:`Derivation`: for each layer its role, formula in the type's
symbols with each symbol's meaning and value, its weight groups, its output-shape step and notes;
identical repeated layers and blocks once with × N; the sum, the symbolic total, the trainable
split and the memory the parameters take.
"""
from .build import derive, group_blocks, layer_step
from .steps import AxisStep, Block, Derivation, GroupStep, LayerStep, Memory, ShapeStep, SymbolValue

__all__ = ["derive", "layer_step", "group_blocks", "Derivation", "Block", "LayerStep",
           "GroupStep", "SymbolValue", "ShapeStep", "AxisStep", "Memory"]
