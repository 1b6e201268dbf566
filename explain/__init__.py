"""explain: where a neural network's parameter count comes from, step by step.

    >>> import explain
    >>> model = explain.load("example:seed-cnn")
    >>> model.total
    6029097

Keras, PyTorch and transformers are optional and imported only by the functions that need them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from .errors import ExplainError
from .gcpause import paused

if TYPE_CHECKING:
    from pathlib import Path

    from .model import Model, Node, Weight


@paused
def __getattr__(name: str) -> Any:
    """``Model``, ``Node`` and ``Weight``, imported (with sympy) when first asked for.

    sympy's import makes many objects and few cycles, so it runs without the cycle collector;
    importing it lazily lets the command line (which keeps the collector off for its one short
    run) skip the collection of those objects that turning it back on here would start (about
    25 ms of every command)."""
    if name in ("Model", "Node", "Weight"):
        from . import model
        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["ExplainError", "Model", "Node", "Weight", "check", "from_keras", "from_torch", "load"]
__version__ = "0.1.0"


@paused
def load(source: "str | Path | Mapping[str, Any]", **symbols: int) -> Model:
    """A model from a spec dict, a file of any supported kind, or ``example:NAME``.

    Keyword arguments give declared symbols other values, like ``--set NAME=VALUE``.
    """
    from .importers import load as _load
    return _load(source, symbols or None)


@paused
def from_keras(keras_model: Any) -> Model:
    """A model from a live Keras model (Keras is imported only here)."""
    from .importers.live_keras import from_keras as _from_keras
    return _from_keras(keras_model)


@paused
def from_torch(module: Any, input_shape: Any = None, *, input_dtypes: Any = None, input_data: Any = None,
               input_kwargs: Any = None) -> Model:
    """A model from a live ``torch.nn.Module``; with ``input_shape`` (no batch axis; dtypes in
    ``input_dtypes``) or example ``input_data`` (and ``input_kwargs``), shapes too. The module
    is never changed."""
    from .importers.live_torch import from_torch as _from_torch
    return _from_torch(module, input_shape, input_dtypes=input_dtypes, input_data=input_data,
                       input_kwargs=input_kwargs)


@paused
def check(worksheet: "str | Path", model: "str | None" = None, model_roots: "tuple[str, ...]" = ()) -> Any:
    """Check a hand calculation (a worksheet, or a document with calculations in it): verdicts per
    claim, as ``explain check`` gives them. The model a worksheet names must be beside it (or
    below), a bundled example, or under ``model_roots``."""
    from .checker import check_any
    return check_any(str(worksheet), model=model, model_roots=model_roots)
