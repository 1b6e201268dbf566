"""The registry of layer types under their framework class names."""
from __future__ import annotations

import functools
import importlib
from pathlib import Path
from typing import Any, Callable, Collection, TypeVar

from ..errors import ExplainError
from .base import Layer

_REGISTRY: dict[tuple[str, str], type[Layer]] = {}
_LAZY: dict[tuple[str, str], Callable[[], object]] = {}
"""(framework, name) → what builds and registers a type on first use: a family of many small
types (torch's activations) builds only those a model uses (a dataclass each costs ≈ 0.3 ms)."""
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


def register_lazy(name: str, build: Callable[[], object], framework: str = "keras") -> None:
    """Register ``name`` as built by ``build`` (which registers the class) when first asked for."""
    if (framework, name) in _REGISTRY or (framework, name) in _LAZY:
        raise RuntimeError(f"layer type {name} ({framework}) registered twice")
    _LAZY[(framework, name)] = build


def lazy(name: str, namespace: dict, framework: str = "keras",
         also: tuple[str, ...] = ()) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Decorator: register the function that defines the type ``name`` (a class statement and
    ``return``) as its lazy builder. ``also``: the other names it registers, its aliases, or the
    types it defines together with ``name`` (a base and its kinds, returned as a tuple). It runs
    once, when a model first asks for any of these names; the classes it defines are stored in
    ``namespace``, their module's globals, under their class names."""
    def decorate(define: Callable[[], Any]) -> Callable[[], Any]:
        @functools.cache
        def build() -> tuple[type[Layer], ...]:
            made = define()
            classes = made if isinstance(made, tuple) else (made,)
            for cls in classes:
                cls.__qualname__ = cls.__name__
                namespace[cls.__name__] = cls
            return classes
        for n in (name, *also):
            register_lazy(n, build, framework)
        return define
    return decorate


def built(name: str, framework: str = "keras") -> type[Layer] | None:
    """The type registered as ``name``, built now if it was registered lazily."""
    build = _LAZY.pop((framework, name), None)
    if build is not None:
        build()
    return _REGISTRY.get((framework, name))


def lazy_getattr(module: str, names: Collection[str], framework: str = "keras") -> Callable[[str], Any]:
    """A module's ``__getattr__`` for the types it registers lazily: each is built on first access
    (the registry builds it when a model asks), the same class either way."""
    def __getattr__(name: str) -> Any:
        if name in names:
            found = built(name, framework)
            if found is not None:
                return found
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    return __getattr__


def _build_all() -> None:
    for fw, name in list(_LAZY):
        built(name, fw)


_FOLDER = Path(__file__).resolve().parent
"""The layer library's folder (resolved once: ``resolve`` is a system call per part of the path)."""
_FAMILIES_LOADED = False
_NOT_FAMILIES = {"base", "registry"}
_SEARCHED: set[tuple[str, str]] = set()
"""(framework, name) pairs whose family ``_load_family_of`` has imported or searched for already."""


def families() -> list[str]:
    """The family modules of the layer library (every module but base, registry and _private)."""
    return list(_families())


@functools.lru_cache(maxsize=None)
def _families() -> tuple[str, ...]:
    import pkgutil  # not needed while the index names every type a model uses
    return tuple(sorted(i.name for i in pkgutil.iter_modules([str(_FOLDER)])
                        if i.name not in _NOT_FAMILIES and not i.name.startswith("_")))


def load_all() -> None:
    """Import every family module, so that every layer type is registered."""
    global _FAMILIES_LOADED
    if not _FAMILIES_LOADED:
        for family in families():
            importlib.import_module(f"{__package__}.{family}")
        _FAMILIES_LOADED = True
    _build_all()


def _load_family_of(name: str, framework: str) -> None:
    """Import the family that ``_index.py`` says registers ``name`` (start-up stays fast: only the
    families a model uses are imported), or, for a name the index does not list yet, the families
    whose source mentions ``"name"``. Only hints: when they fail, ``lookup`` loads every family."""
    from ._index import INDEX
    family = INDEX.get(framework, {}).get(name)
    if family is None and (framework, name) in _SEARCHED:
        return  # a name no family's source mentions (a torch model's own blocks): searched once
    _SEARCHED.add((framework, name))
    candidates = [family] if family is not None else [f for f in _families() if f'"{name}"' in _source(f)]
    for candidate in candidates:
        try:
            importlib.import_module(f"{__package__}.{candidate}")
        except ImportError:
            pass


@functools.lru_cache(maxsize=None)
def _source(family: str) -> str:
    try:
        return (_FOLDER / f"{family}.py").read_text(encoding="utf-8")
    except OSError:
        return ""


def index() -> dict[str, dict[str, str]]:
    """framework → type name (and alias) → family module, for every registered type."""
    load_all()
    out: dict[str, dict[str, str]] = {}
    for (fw, n), cls in sorted(_REGISTRY.items()):
        out.setdefault(fw, {})[n] = cls.__module__.rsplit(".", 1)[-1]
    return out


def write_index() -> Path:
    """Regenerate ``_index.py`` (run ``python -m explain.layers.registry`` after adding a layer type)."""
    path = Path(__file__).resolve().parent / "_index.py"
    lines = ['"""Which family module registers each layer type: generated by',
             '``python -m explain.layers.registry``; a hint for fast start-up (a stale entry costs only time)."""',
             "", "INDEX: dict[str, dict[str, str]] = {"]
    for fw, names in index().items():
        lines.append(f"    {fw!r}: {{")
        lines.extend(f"        {n!r}: {m!r}," for n, m in names.items())
        lines.append("    },")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def find(name: str, framework: str = "keras") -> type[Layer] | None:
    """The layer type registered as ``name``, or None, importing only the family the index (kept
    complete by a test) or a family's source names: asking for a class of the user's own (a torch
    model's blocks) imports nothing else."""
    cls = _REGISTRY.get((framework, name))
    if cls is None and isinstance(name, str):
        _load_family_of(name, framework)
        cls = built(name, framework)
    return cls


def lookup(name: str, framework: str = "keras") -> type[Layer]:
    """The layer type registered as ``name``; an unknown name is an error naming the nearest."""
    cls = find(name, framework)
    if cls is None and isinstance(name, str):
        load_all()
        cls = _REGISTRY.get((framework, name))
    if cls is not None:
        return cls
    names = [n for (fw, n) in _REGISTRY if fw == framework]
    import difflib  # only for an error's hint
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
    load_all()
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


if __name__ == "__main__":  # run as a script, this file is a second copy: use the package's
    from explain.layers import registry as _package_registry
    print(f"wrote {_package_registry.write_index()}")
