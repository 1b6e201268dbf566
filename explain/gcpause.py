"""The cycle collector paused for one call of the library.

A call builds many objects and few cycles; with torch and sympy loaded, one full collection
during ``from_torch`` + its Markdown costs about 0.11 s of CPU, a third of the call (ViT-L/16,
bench/versus.py). The collector's state is restored afterwards, also on failure; the cycles a
call leaves are collected by the next collection after it.
"""
from __future__ import annotations

import functools
import gc
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def paused(function: F) -> F:
    """``function`` run with the cycle collector off (restored to its state before)."""
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if collecting:
                gc.enable()
    return call  # type: ignore[return-value]
