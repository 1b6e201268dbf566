"""The registry of layer types under their framework class names."""
from __future__ import annotations

import difflib
from typing import Callable, TypeVar

from ..errors import ExplainError
from .base import Layer

_REGISTRY: dict[tuple[str, str], type[Layer]] = {}
L = TypeVar("L", bound=type[Layer])


def register(*names: str, framework: str = "keras") -> Callable[[L], L]:
    """Class decorator: register a layer type under its class name and any aliases.

    The first name becomes ``type_name``; later ones are aliases (Keras 2 names such as
    ``Convolution2D``).
    """
    def decorate(cls: L) -> L:
        cls.type_name = names[0]
        cls.framework = framework
        cls.aliases = tuple(names[1:])
        for n in names:
            key = (framework, n)
            if key in _REGISTRY and _REGISTRY[key] is not cls:
                raise RuntimeError(f"layer type {n} ({framework}) registered twice")
            _REGISTRY[key] = cls
        return cls
    return decorate


def lookup(name: str, framework: str = "keras") -> type[Layer]:
    """The layer type registered as ``name``; an unknown name is an error naming the nearest."""
    cls = _REGISTRY.get((framework, name))
    if cls is not None:
        return cls
    names = [n for (fw, n) in _REGISTRY if fw == framework]
    hint = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if not hint:
        lowered = {n.lower(): n for n in names}
        hint = [lowered[name.lower()]] if name.lower() in lowered else []
    other = "pytorch" if framework == "keras" else "keras"
    suffix = f" Did you mean '{hint[0]}'?" if hint else ""
    if not hint and (other, name) in _REGISTRY:
        suffix = f" '{name}' is a {other} layer: set 'framework: {other}'."
    raise ExplainError(f"unknown layer type '{name}' for {framework}.{suffix}")


def layer_types(framework: str | None = None) -> list[type[Layer]]:
    """Every registered type once (aliases folded), in registration order."""
    seen: dict[type[Layer], None] = {}
    for (fw, _), cls in _REGISTRY.items():
        if framework is None or fw == framework:
            seen.setdefault(cls, None)
    return list(seen)


def make(type_name: str, args: object, ctx=None, framework: str = "keras",
         positional: tuple = ()) -> Layer:
    """A layer of the type registered as ``type_name``, built from raw arguments."""
    from .base import ArgContext
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ExplainError(f"the arguments of {type_name} must be a mapping. Received: {args!r}")
    return lookup(type_name, framework).from_args(args, ctx or ArgContext(), positional)


def make_from_mapping(item: object, ctx=None, framework: str = "keras") -> tuple[Layer, dict]:
    """A layer from a spec's one-key mapping ``{ClassName: {args}}``; returns (layer, reserved args)
    where the reserved args are ``name``, ``inputs`` and ``shares``, which belong to the model, not
    the layer."""
    if not isinstance(item, dict) or len(item) != 1:
        raise ExplainError("each layer must be a one-key mapping such as {Dense: {units: 10}}. "
                           f"Received: {_short(item)}")
    (type_name, args), = item.items()
    if not isinstance(type_name, str):
        raise ExplainError(f"a layer type must be a name. Received: {_short(type_name)}")
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ExplainError(f"the arguments of {type_name} must be a mapping. Received: {_short(args)}")
    reserved = {k: args[k] for k in ("name", "inputs", "shares") if k in args}
    rest = {k: v for k, v in args.items() if k not in reserved}
    return make(type_name, rest, ctx, framework), reserved


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"
