"""The layer library: one module per family; each type registers itself on import.

Families are imported on demand: ``lookup`` imports the family that ``_index.py`` names (or, for
a name it does not know, every family), and ``layer_types``/``load_all`` import them all. A new
family needs no edit elsewhere; run ``python -m explain.layers.registry`` to refresh the index.
"""
from __future__ import annotations

from .base import Group, Layer, Shape
from .registry import layer_types, load_all, lookup, register

__all__ = ["Group", "Layer", "Shape", "layer_types", "load_all", "lookup", "register"]
