"""The layer library: one module per family; each type registers itself on import.

Family modules are found and imported here, so a new family needs no edit elsewhere.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import Group, Layer, Shape
from .registry import layer_types, lookup, register

_NOT_FAMILIES = {"base", "registry"}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    if _info.name not in _NOT_FAMILIES and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["Group", "Layer", "Shape", "layer_types", "lookup", "register"]
