"""Frozen records built by the thousand (a derivation makes a few for every layer).

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (its own
``__setattr__`` refuses): about 0.35 µs a field, 5.8 µs for a ShapeStep's 16. :func:`quick_init`
gives such a class an ``__init__`` with the same parameters and defaults that writes the fields
straight into the instance's dict (1.5 µs); equality, hash, repr, ``replace`` and the refusal to
assign stay the dataclass's own. :func:`record` makes such a class in one step.
"""
from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Any, TypeVar

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
elif TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**kwargs: Any) -> Any:
        return lambda f: f

T = TypeVar("T", bound=type)


def quick_init(cls: T) -> T:
    """``cls``, a frozen dataclass whose fields are all positional ``__init__`` parameters without
    a default factory (no ``__post_init__``), with the faster ``__init__``."""
    fields = dataclasses.fields(cls)
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    if not params.frozen or hasattr(cls, "__post_init__") or hasattr(cls, "__slots__") or any(
            not f.init or f.kw_only or f.default_factory is not dataclasses.MISSING for f in fields):
        raise TypeError(f"quick_init takes a frozen dataclass of plain fields, not {cls.__qualname__}")
    defaults: dict[str, Any] = {f"_default_{f.name}": f.default for f in fields
                                if f.default is not dataclasses.MISSING}
    signature = ", ".join(f.name if f.default is dataclasses.MISSING else f"{f.name}=_default_{f.name}"
                          for f in fields)
    body = "".join(f"    fields[{f.name!r}] = {f.name}\n" for f in fields)
    namespace: dict[str, Any] = {}
    exec(f"def __init__(self, {signature}):\n    fields = self.__dict__\n{body}", defaults, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[misc]
    return cls


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: T) -> T:
    """``@dataclass(frozen=True)`` with :func:`quick_init`'s ``__init__``; the dataclass's own
    ``__init__`` is not compiled at import only to be replaced."""
    return quick_init(dataclasses.dataclass(frozen=True, init=False)(cls))  # type: ignore[return-value]
