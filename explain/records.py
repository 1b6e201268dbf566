"""Dataclasses made without compiling their methods at import (``@record``).

The standard ``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``,
``__hash__`` and, when frozen, ``__setattr__`` and ``__delattr__`` as source text and compiles it
(``exec``): about 0.1 ms a method, up to 0.6 ms a class, most of what importing a module of
dataclasses costs. :func:`record` collects the fields as the standard decorator does (the same
``Field`` objects, ``__dataclass_fields__`` and ``__dataclass_params__``, so ``fields``,
``replace``, ``asdict`` and inheritance with standard dataclasses work) and gives the class
generic methods made once here, bound to its fields by closures: the same results, the same
``FrozenInstanceError``. Only ``__init__`` is compiled, since an instance is built by it (a
derivation builds a few records for every layer), and only once the class has built
``GENERIC_CALLS`` instances with a generic one (at once where its code is kept from an earlier
run: :func:`_kept_code`).
A frozen record's ``__init__`` writes the fields straight into the instance's dict (1.5 µs for
a ShapeStep's 16 fields, 5.8 µs through ``object.__setattr__``).

What the generic methods cannot speak for (``InitVar``, ``KW_ONLY``, frozen and unfrozen
dataclass bases together, Python 3.14's lazy annotations) takes the standard decorator.
"""
from __future__ import annotations

import abc
import dataclasses
import inspect
import operator
import reprlib
import sys
import types
import typing
from dataclasses import MISSING, Field, FrozenInstanceError
from typing import TYPE_CHECKING, Any, Callable, TypeVar, overload

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
elif TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**kwargs: Any) -> Any:
        return lambda f: f

T = TypeVar("T", bound=type)

_STANDARD = sys.version_info >= (3, 14)
"""Take the standard decorator: from Python 3.14 (lazy annotations), or where the private names
below are not what this module was written against."""
try:
    _FIELD = dataclasses._FIELD  # type: ignore[attr-defined]
    _FIELD_INITVAR = dataclasses._FIELD_INITVAR  # type: ignore[attr-defined]
    _get_field = dataclasses._get_field  # type: ignore[attr-defined]
    _HAS_DEFAULT_FACTORY = dataclasses._HAS_DEFAULT_FACTORY  # type: ignore[attr-defined]
    _Params = dataclasses._DataclassParams  # type: ignore[attr-defined]
    _PARAMS_ARITY = _Params.__init__.__code__.co_argcount - 1  # 6 before Python 3.12, then 10
    _IDENTIFIER = dataclasses._MODULE_IDENTIFIER_RE  # type: ignore[attr-defined]
    _is_classvar = dataclasses._is_classvar  # type: ignore[attr-defined]
    _is_initvar = dataclasses._is_initvar  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover — another Python's dataclasses: the standard decorator
    _STANDARD = True
_REPLACE = getattr(dataclasses, "_replace", None)  # Python 3.13's __replace__
_FIELD_WISE_EQ = sys.version_info >= (3, 13)  # 3.13 compares field by field, not tuples
if sys.version_info >= (3, 11):
    def _mutable(default: Any) -> bool:
        return default.__class__.__hash__ is None
else:
    def _mutable(default: Any) -> bool:
        return isinstance(default, (list, dict, set))


@overload
def record(cls: T, /) -> T: ...


@overload
def record(*, frozen: bool = True, eq: bool = True, repr: bool = True,
           kw_only: bool = False) -> Callable[[T], T]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: Any = None, /, *, frozen: bool = True, eq: bool = True, repr: bool = True,
           kw_only: bool = False) -> Any:
    """``@dataclass(frozen=True)`` (or with the options given: ``@record(frozen=False)``) whose
    methods are not compiled at import (see the module's docstring)."""
    def wrap(cls: T) -> T:
        return make(cls, frozen=frozen, eq=eq, repr=repr, kw_only=kw_only)
    return wrap if cls is None else wrap(cls)


def make(cls: T, *, frozen: bool, eq: bool, repr: bool, kw_only: bool) -> T:
    """``dataclasses.dataclass(cls, frozen=frozen, eq=eq, repr=repr, kw_only=kw_only)``, the same
    class with :func:`record`'s methods."""
    annotations = cls.__dict__.get("__annotations__", {})
    frozen_bases = {base.__dataclass_params__.frozen for base in cls.__mro__[1:]  # type: ignore[attr-defined]
                    if getattr(base, "__dataclass_fields__", None) is not None}
    if _STANDARD or len(frozen_bases) > 1 or any(_kw_only_marker(a) for a in annotations.values()):
        return _standard(cls, frozen, eq, repr, kw_only)  # Python 3.13 judges mixed bases anew
    return _record_class(cls, annotations, frozen, eq, repr, kw_only)


def _record_class(cls: T, annotations: dict[str, Any], frozen: bool, eq: bool, repr: bool, kw_only: bool) -> T:
    fields: dict[str, Field] = {}
    any_frozen_base = has_dataclass_bases = False
    for base in cls.__mro__[-1:0:-1]:
        base_fields = getattr(base, "__dataclass_fields__", None)
        if base_fields is not None:
            has_dataclass_bases = True
            for f in base_fields.values():
                fields[f.name] = f
            if base.__dataclass_params__.frozen:  # type: ignore[attr-defined]
                any_frozen_base = True
    module = sys.modules.get(cls.__module__)
    namespace = module.__dict__ if module is not None else None
    own = [_field(cls, name, annotation, kw_only, namespace) for name, annotation in annotations.items()]
    if any(f._field_type is dataclasses._FIELD_INITVAR  # type: ignore[attr-defined]
           for f in (*own, *fields.values())):
        return _standard(cls, frozen, eq, repr, kw_only)
    for f in own:
        fields[f.name] = f
        if isinstance(getattr(cls, f.name, None), Field):
            if f.default is MISSING:
                delattr(cls, f.name)
            else:
                setattr(cls, f.name, f.default)
    for name, value in cls.__dict__.items():
        if isinstance(value, Field) and name not in annotations:
            raise TypeError(f"{name!r} is a field but has no type annotation")
    if has_dataclass_bases:
        if any_frozen_base and not frozen:
            raise TypeError("cannot inherit non-frozen dataclass from a frozen one")
        if not any_frozen_base and frozen:
            raise TypeError("cannot inherit frozen dataclass from a non-frozen one")
    params = (True, repr, eq, False, False, frozen, True, kw_only, False, False)
    cls.__dataclass_params__ = _Params(*params[:_PARAMS_ARITY])  # type: ignore[attr-defined]
    cls.__dataclass_fields__ = fields  # type: ignore[attr-defined]
    class_hash = cls.__dict__.get("__hash__", MISSING)
    has_explicit_hash = not (class_hash is MISSING or (class_hash is None and "__eq__" in cls.__dict__))

    field_list = [f for f in fields.values() if f._field_type is _FIELD]  # type: ignore[attr-defined]
    std_fields = tuple(f for f in field_list if f.init and not f.kw_only)
    kw_fields = tuple(f for f in field_list if f.init and f.kw_only)
    seen_default = False
    for f in std_fields:
        if not (f.default is MISSING and f.default_factory is MISSING):
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    init = _Init(cls, field_list, std_fields, kw_fields, frozen)
    _set_new_attribute(cls, "__init__", init.stub())
    if _REPLACE is not None:
        _set_new_attribute(cls, "__replace__", _REPLACE)
    if repr:
        _set_new_attribute(cls, "__repr__", _repr_fn(tuple(f.name for f in field_list if f.repr)))
    if eq:
        _set_new_attribute(cls, "__eq__", _eq_fn(tuple(f.name for f in field_list if f.compare)))
    if frozen:
        names = tuple(f.name for f in field_list)
        for fn in (_setattr_fn(cls, names), _delattr_fn(cls, names)):
            if _set_new_attribute(cls, fn.__name__, fn):
                raise TypeError(f"Cannot overwrite attribute {fn.__name__} in class {cls.__name__}")
    if eq and not has_explicit_hash:
        if frozen:
            hashed = tuple(f.name for f in field_list if (f.compare if f.hash is None else f.hash))
            cls.__hash__ = _qualified(cls, _hash_fn(hashed))  # type: ignore[method-assign]
        else:
            cls.__hash__ = None  # type: ignore[assignment]
    if not cls.__doc__:
        init.compile()  # the docstring is the signature of the real __init__
        try:
            text_sig = str(inspect.signature(cls)).replace(" -> None", "")
        except (TypeError, ValueError):
            text_sig = ""
        cls.__doc__ = cls.__name__ + text_sig
    _set_new_attribute(cls, "__match_args__", tuple(f.name for f in std_fields))
    abc.update_abstractmethods(cls)
    return cls


def _field(cls: type, name: str, annotation: Any, kw_only: bool, namespace: dict[str, Any] | None) -> Field:
    """``dataclasses._get_field(cls, name, annotation, kw_only)``: the field the standard decorator
    makes, without its two searches of the class's module (for ClassVar, then InitVar) where a
    string annotation's leading name (``sympy.Expr``: ``sympy``) is neither, nor ``typing`` or
    ``dataclasses``."""
    if not isinstance(annotation, str) or namespace is None:
        return _get_field(cls, name, annotation, kw_only)
    match = _IDENTIFIER.match(annotation)
    if match is not None:
        prefix, leading = match.groups()
        if prefix is not None:
            if namespace.get(prefix) in (typing, dataclasses):
                return _get_field(cls, name, annotation, kw_only)
        else:
            found = namespace.get(leading)
            if _is_classvar(found, typing) or _is_initvar(found, dataclasses):
                return _get_field(cls, name, annotation, kw_only)
    default = getattr(cls, name, MISSING)
    if isinstance(default, Field):
        f = default
    else:
        if isinstance(default, types.MemberDescriptorType):
            default = MISSING
        f = dataclasses.field(default=default)  # type: ignore[arg-type]
    f.name = name
    f.type = annotation
    f._field_type = _FIELD  # type: ignore[attr-defined]
    if f.kw_only is MISSING:
        f.kw_only = kw_only
    if _mutable(f.default):
        raise ValueError(f"mutable default {type(f.default)} for field {f.name} is not allowed: use default_factory")
    return f


def _standard(cls: T, frozen: bool, eq: bool, repr: bool, kw_only: bool) -> T:
    return dataclasses.dataclass(cls, frozen=frozen, eq=eq, repr=repr, kw_only=kw_only)  # type: ignore[return-value]


def _kw_only_marker(annotation: Any) -> bool:
    return annotation is dataclasses.KW_ONLY or (isinstance(annotation, str) and "KW_ONLY" in annotation)


def _set_new_attribute(cls: type, name: str, value: Any) -> bool:
    if name in cls.__dict__:
        return True
    setattr(cls, name, _qualified(cls, value))
    return False


def _qualified(cls: type, fn: Any) -> Any:
    if inspect.isfunction(fn):
        fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
    return fn


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """The tuple of an instance's values of ``names`` (``(self.a, self.b)``)."""
    if len(names) == 1:
        name = names[0]
        return lambda self: (getattr(self, name),)
    return operator.attrgetter(*names) if names else (lambda self: ())


def _repr_fn(names: tuple[str, ...]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        return (self.__class__.__qualname__ + "("
                + ", ".join([f"{name}={getattr(self, name)!r}" for name in names]) + ")")
    return __repr__


def _eq_fn(names: tuple[str, ...]) -> Callable[[Any, Any], Any]:
    return _eq_field_wise(names) if _FIELD_WISE_EQ else _eq_tuples(names)


def _eq_tuples(names: tuple[str, ...]) -> Callable[[Any, Any], Any]:
    values = _getter(names)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented
    return __eq__


def _eq_field_wise(names: tuple[str, ...]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if self is other:
            return True
        if other.__class__ is self.__class__:
            result: Any = True
            for name in names:
                result = getattr(self, name) == getattr(other, name)
                if not result:
                    return result
            return result
        return NotImplemented
    return __eq__


def _hash_fn(names: tuple[str, ...]) -> Callable[[Any], int]:
    values = _getter(names)

    def __hash__(self: Any) -> int:
        return hash(values(self))
    return __hash__


def _setattr_fn(cls: Any, names: tuple[str, ...]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)
    return __setattr__


def _delattr_fn(cls: Any, names: tuple[str, ...]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)
    return __delattr__


def _compile(source: str, namespace: dict[str, Any]) -> Callable[..., None]:
    """The ``__init__`` defined by ``source`` (the one ``exec`` a record makes), its code compiled
    once and kept between runs (:func:`_kept_code`)."""
    code = _kept_code(source)
    if code is None:
        code = _CODES[source] = compile(source, "<string>", "exec")
        _keep(source, code)
    found: dict[str, Any] = {}
    exec(code, namespace, found)
    return found["__init__"]


_CODES: dict[str, types.CodeType | None] = {}
"""Each ``__init__`` source this process asked for, with its code (None: none kept)."""
_FOLDERS: dict[tuple[str | None, str | None], str | None] = {}
"""The cache folder found for each setting of XDG_CACHE_HOME and EXPLAIN_NO_CACHE (looked for once)."""
_KEPT_CODES = 2048
"""Kept codes beyond this many (several checkouts, test suites) are removed, the oldest first."""


def _code_path(source: str) -> str | None:
    """The file of ``source``'s code for this Python (marshal's format is its own) in explain's
    private cache folder (:func:`explain.cache.cache_folder`), one file a source, so that a run
    reads only the codes it needs; None without a cache."""
    import os
    import zlib
    where = (os.environ.get("XDG_CACHE_HOME"), os.environ.get("EXPLAIN_NO_CACHE"))
    if where not in _FOLDERS:
        from .cache import cache_folder
        _FOLDERS[where] = cache_folder(f"records-{sys.implementation.cache_tag}")
    folder = _FOLDERS[where]
    if folder is None:
        return None
    data = source.encode()
    return f"{folder}/{zlib.crc32(data):08x}-{len(data)}.marshal"


def _kept_code(source: str) -> types.CodeType | None:
    """The code kept for ``source`` by an earlier run (compiling a record's ``__init__`` is
    0.1–0.4 ms, about 2.5 ms of the records a derivation builds; reading a kept one 20 µs), or
    None. A file that cannot be read, or holds another source or no code, is not used."""
    if source in _CODES:
        return _CODES[source]
    import marshal
    import os
    code = None
    path = _code_path(source)
    if path is not None:
        try:  # os.read, not open(): a run reads a dozen of these, and io's file objects cost 0.1 ms each
            fd = os.open(path, os.O_RDONLY)
            try:
                chunks = []
                while chunk := os.read(fd, 1 << 16):
                    chunks.append(chunk)
            finally:
                os.close(fd)
            data = marshal.loads(b"".join(chunks))
        except (OSError, EOFError, ValueError, TypeError):
            data = None
        if type(data) is tuple and len(data) == 2 and data[0] == source and type(data[1]) is types.CodeType:
            code = data[1]
    _CODES[source] = code
    return code


def _keep(source: str, code: types.CodeType) -> None:
    """``(source, code)`` written whole (a temporary file moved into place), the oldest beyond
    :data:`_KEPT_CODES` removed; a cache that cannot be written is simply not used."""
    import marshal
    import os
    import tempfile
    path = _code_path(source)
    if path is None:
        return
    folder = os.path.dirname(path)
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            marshal.dump((source, code), f)
        os.replace(temporary, path)
        kept = [e for e in os.scandir(folder) if e.name.endswith(".marshal")]
        if len(kept) > _KEPT_CODES:
            for old in sorted(kept, key=lambda e: e.stat().st_mtime)[:len(kept) - _KEPT_CODES // 2]:
                os.remove(old.path)
    except (OSError, ValueError):
        pass


GENERIC_CALLS = 25
"""Instances a record builds with :meth:`_Init.build` before it compiles its ``__init__``
(binding the arguments in Python costs about 4 µs an instance, a compile 100 to 150 µs): a
class built a few times a run (the model, the derivation, its pictures) compiles nothing."""


def _writer(frozen: bool, direct: bool) -> Callable[[Any, str, Any], None]:
    """How ``__init__`` sets a field: into the instance's dict, through ``object.__setattr__``
    (frozen), or by assignment."""
    if direct:
        def write(obj: Any, name: str, value: Any) -> None:
            obj.__dict__[name] = value
        return write
    return object.__setattr__ if frozen else setattr


class _Init:
    """A record's ``__init__``: the standard one's parameters, defaults, annotations and body,
    compiled when the class first builds an instance (a stub stands in until then)."""

    def __init__(self, cls: type, fields: list[Field], std: tuple[Field, ...], kw: tuple[Field, ...],
                 frozen: bool) -> None:
        self.cls, self.fields, self.std, self.kw, self.frozen = cls, fields, std, kw, frozen
        self.post_init = hasattr(cls, "__post_init__")
        self.function: Callable[..., None] | None = None
        self.placeholder: _Stub | None = None
        self.calls = 0
        self.std_names = tuple(f.name for f in std)
        self.params = frozenset(f.name for f in (*std, *kw))
        self.required = tuple(f.name for f in (*std, *kw) if f.default is MISSING and f.default_factory is MISSING)
        self.write: Callable[[Any, str, Any], None] | None = None
        self.written: tuple[str, dict[str, Any]] | None = None

    def stub(self) -> Any:
        self.placeholder = _Stub(self)
        return self.placeholder

    def source(self) -> tuple[str, dict[str, Any]]:
        """The ``__init__``'s source and the names it uses, written once."""
        if self.written is None:
            self.written = self._write()
        return self.written

    def kept(self) -> bool:
        """Whether the ``__init__``'s code is kept from an earlier run (:func:`_kept_code`)."""
        return _kept_code(self.source()[0]) is not None

    def compile(self) -> Callable[..., None]:
        if self.function is not None:
            return self.function
        source, namespace = self.source()
        init = _compile(source, namespace)
        cls = self.cls
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        init.__annotations__ = {**{f.name: f.type for f in (*self.std, *self.kw)}, "return": None}
        if self.placeholder is not None and cls.__dict__.get("__init__") is self.placeholder:
            cls.__init__ = init  # type: ignore[misc]
        self.function = init
        return init

    def _write(self) -> tuple[str, dict[str, Any]]:
        cls = self.cls
        names = {f.name for f in self.fields}
        self_name = "__dataclass_self__" if "self" in names else "self"
        direct = self.frozen and self._plain_dict(names)
        namespace: dict[str, Any] = {"__name__": cls.__module__, "_HAS_DEFAULT_FACTORY": _HAS_DEFAULT_FACTORY,
                                     "__dataclass_builtins_object__": object}
        body = [f"    __dataclass_dict__ = {self_name}.__dict__"] if direct else []
        for f in self.fields:
            default = f"_dflt_{f.name}"
            if f.default_factory is not MISSING:
                namespace[default] = f.default_factory
                value = f"{default}() if {f.name} is _HAS_DEFAULT_FACTORY else {f.name}" if f.init else f"{default}()"
            elif f.init:
                if f.default is not MISSING:
                    namespace[default] = f.default
                value = f.name
            else:
                continue
            if direct:
                body.append(f"    __dataclass_dict__[{f.name!r}] = {value}")
            elif self.frozen:
                body.append(f"    __dataclass_builtins_object__.__setattr__({self_name}, {f.name!r}, {value})")
            else:
                body.append(f"    {self_name}.{f.name} = {value}")
        if self.post_init:
            body.append(f"    {self_name}.__post_init__()")
        params = [self_name, *(self._param(f) for f in self.std)]
        if self.kw:
            params += ["*", *(self._param(f) for f in self.kw)]
        return f"def __init__({', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n", namespace

    def build(self, obj: Any, args: tuple, kwargs: dict[str, Any]) -> bool:
        """Set ``obj``'s fields as the compiled ``__init__`` would for these arguments, in the
        same order (default factories called as they come); False, with nothing done, where the
        arguments do not bind (the compiled ``__init__`` then raises its error)."""
        std = self.std_names
        if len(args) > len(std):
            return False
        values = dict(zip(std, args))
        for name, value in kwargs.items():
            if name in values or name not in self.params:
                return False
            values[name] = value
        for name in self.required:
            if name not in values:
                return False
        write = self.write
        if write is None:
            write = self.write = _writer(self.frozen, self.frozen and self._plain_dict({f.name for f in self.fields}))
        for f in self.fields:
            if f.init:
                name = f.name
                if name in values:
                    value = values[name]
                elif f.default_factory is not MISSING:
                    value = f.default_factory()
                else:
                    value = f.default
            elif f.default_factory is not MISSING:
                value = f.default_factory()
            else:
                continue
            write(obj, f.name, value)
        if self.post_init:
            obj.__post_init__()
        return True

    @staticmethod
    def _param(f: Field) -> str:
        if f.default_factory is not MISSING:
            return f"{f.name}=_HAS_DEFAULT_FACTORY"
        return f.name if f.default is MISSING else f"{f.name}=_dflt_{f.name}"

    def _plain_dict(self, names: set[str]) -> bool:
        """Whether ``object.__setattr__`` of the fields writes the instance's dict: no slots, no
        descriptor of a field's name that takes assignment."""
        for klass in self.cls.__mro__[:-1]:
            if "__slots__" in klass.__dict__:
                return False
            for name in names & klass.__dict__.keys():
                kind = type(klass.__dict__[name])
                if hasattr(kind, "__set__") or hasattr(kind, "__delete__"):
                    return False
        return True


class _Stub:
    """A record's ``__init__`` until it compiles the real one, which then takes its place in the
    class: it builds the first ``GENERIC_CALLS`` instances with :meth:`_Init.build`, and stands
    for the real one (``inspect.signature`` too)."""

    __slots__ = ("init", "__name__", "__qualname__")

    def __init__(self, init: _Init) -> None:
        self.init = init
        self.__name__ = "__init__"
        self.__qualname__ = f"{init.cls.__qualname__}.__init__"

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return self if obj is None else types.MethodType(self, obj)

    def __call__(self, obj: Any, /, *args: Any, **kwargs: Any) -> None:
        init = self.init
        if init.function is None and init.calls < GENERIC_CALLS and (init.calls or not init.kept()):
            init.calls += 1
            if init.build(obj, args, kwargs):
                return
        init.compile()(obj, *args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.init.compile())
