"""``explain.records.record`` against the standard ``@dataclass``: the same class, field for
field and method for method, built without compiling its methods at import."""
from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import pickle
import sys
import typing
from dataclasses import FrozenInstanceError, dataclass, field
from typing import ClassVar, Optional

import pytest

import explain.records as records
from explain.records import GENERIC_CALLS, record

CV = ClassVar
IV = dataclasses.InitVar


def _pair(frozen: bool = True, eq: bool = True, repr: bool = True, kw_only: bool = False):
    """The same class body made by the standard decorator and by ``record``."""
    def body():
        class Point:
            """A point."""
            x: int
            y: float = 0.5
            tag: str = field(default="p", compare=False)
            seen: list = field(default_factory=list, repr=False, hash=False)
            label: Optional[str] = field(default=None, hash=True, compare=False)
            hidden: int = field(default=7, init=False)
            scale: ClassVar[int] = 3
            made: ClassVar[list] = []

            def norm(self) -> float:
                return math.hypot(self.x, self.y)
        return Point
    options = dict(frozen=frozen, eq=eq, repr=repr, kw_only=kw_only)
    return dataclass(**options)(body()), record(**options)(body())  # type: ignore[call-overload]


def _fields(cls):
    return [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.hash, f.compare, f.kw_only,
             dict(f.metadata)) for f in dataclasses.fields(cls)]


def _params(cls):
    p = cls.__dataclass_params__
    return p.init, p.repr, p.eq, p.order, p.unsafe_hash, p.frozen


OPTIONS = [dict(), dict(frozen=False), dict(eq=False), dict(repr=False), dict(kw_only=True),
           dict(frozen=False, eq=False), dict(frozen=False, kw_only=True, repr=False)]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "frozen")
def test_a_record_is_the_standard_dataclass(options):
    std, ours = _pair(**options)
    frozen, kw = options.get("frozen", True), options.get("kw_only", False)
    assert dataclasses.is_dataclass(ours) and _fields(ours) == _fields(std) and _params(ours) == _params(std)
    assert ours.__match_args__ == std.__match_args__
    assert {k: getattr(ours, k, None) for k in ("x", "y", "tag", "seen", "label", "hidden", "scale")} == \
           {k: getattr(std, k, None) for k in ("x", "y", "tag", "seen", "label", "hidden", "scale")}
    assert (ours.__hash__ is None) == (std.__hash__ is None)
    assert ("__hash__" in ours.__dict__) == ("__hash__" in std.__dict__)
    for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        assert (name in ours.__dict__) == (name in std.__dict__), name
        if ours.__dict__.get(name) is not None:
            assert ours.__dict__[name].__qualname__ == std.__dict__[name].__qualname__
    args = (dict(x=1, y=2.0, tag="a", label="l"), dict(x=1, y=2.0, tag="b", label="m"), dict(x=1), dict(x=2, y=2.0))
    assert str(inspect.signature(ours)) == str(inspect.signature(std))  # before the first instance
    pairs = [(std(**a), ours(**a)) for a in args]
    assert str(inspect.signature(ours)) == str(inspect.signature(std))
    assert ours.__init__.__qualname__ == std.__init__.__qualname__
    if not kw:
        assert dataclasses.astuple(ours(3, 4.0)) == dataclasses.astuple(ours(x=3, y=4.0)) == dataclasses.astuple(std(3, 4.0))
    else:
        for cls in (std, ours):
            with pytest.raises(TypeError):
                cls(3, 4.0)
    for (s, o) in pairs:
        assert dataclasses.asdict(s) == dataclasses.asdict(o) and dataclasses.astuple(s) == dataclasses.astuple(o)
        if options.get("repr", True):
            assert repr(o) == repr(s).replace(std.__qualname__, ours.__qualname__)
        else:
            assert repr(o).startswith("<") and repr(s).startswith("<")
        assert o.seen == [] and o.seen is not ours(x=0).seen and o.hidden == 7
        r_s, r_o = dataclasses.replace(s, x=5), dataclasses.replace(o, x=5)
        assert dataclasses.asdict(r_o) == dataclasses.asdict(r_s) and type(r_o) is ours
        with pytest.raises((ValueError, TypeError)):  # TypeError from Python 3.13, as for a standard dataclass
            dataclasses.replace(o, hidden=1)
        assert copy.deepcopy(o) == o if options.get("eq", True) else True
    for i, (s1, o1) in enumerate(pairs):
        for s2, o2 in pairs[i:]:
            assert (s1 == s2) == (o1 == o2) and (s1 != s2) == (o1 != o2)
            if std.__hash__ is not None:
                assert (hash(s1) == hash(s2)) == (hash(o1) == hash(o2))
                if options.get("eq", True):
                    assert hash(o1) == hash(s1)  # the same tuple of the same values
    assert (pairs[0][1] == pairs[0][0]) is False  # another class: NotImplemented both ways
    for s, o in pairs[:1]:
        for obj in (s, o):
            if frozen:
                with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x'"):
                    obj.x = 9
                with pytest.raises(FrozenInstanceError, match="cannot delete field 'y'"):
                    del obj.y
                with pytest.raises(FrozenInstanceError, match="cannot assign to field 'other'"):
                    obj.other = 1
            else:
                obj.x = 9
                del obj.y
                assert obj.y == 0.5  # the class's default again
    with pytest.raises(TypeError, match="missing 1 required"):
        ours()
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        ours(x=1, z=2)
    nan = float("nan")
    assert (std(x=1, y=nan) == std(x=1, y=nan)) == (ours(x=1, y=nan) == ours(x=1, y=nan))


def test_records_inherit_as_dataclasses_do():
    """A record under a record or a standard dataclass (and the other way round) has its bases'
    fields first, its own defaults, the frozen rules and the errors of the standard decorator."""
    def family(top, bottom):
        @top
        class Base:
            """Base."""
            a: int
            b: str = "b"

        @bottom
        class Child(Base):
            """Child."""
            c: float = 1.0
            b: str = "child"
        return Base, Child

    frozen = dataclass(frozen=True)
    std_base, std_child = family(frozen, frozen)
    for top, bottom in ((record, record), (record, frozen), (frozen, record)):
        base, child = family(top, bottom)
        assert _fields(child) == _fields(std_child) and _fields(base) == _fields(std_base)
        assert (repr(child(1)).replace(child.__qualname__, "Child") == "Child(a=1, b='child', c=1.0)"
                == repr(std_child(1)).replace(std_child.__qualname__, "Child"))
        assert child(1) == child(1, "child", 1.0) and child(1) != base(1) and hash(child(1)) == hash(std_child(1))
        with pytest.raises(FrozenInstanceError):
            child(1).a = 2
    for top, bottom in ((record, record(frozen=False)), (dataclass, record), (record(frozen=False), record)):
        std_top = dataclass(frozen=top is record)
        std_bottom = dataclass(frozen=bottom is record)
        with pytest.raises(TypeError) as ours:
            family(top, bottom)
        with pytest.raises(TypeError) as std:
            family(std_top, std_bottom)
        assert str(ours.value) == str(std.value)

    @dataclass
    class Open:
        """Not frozen."""
        d: int = 0

    def made(decorator, bases):  # frozen and unfrozen bases: judged as the running Python judges them
        try:
            return _fields(decorator(type("Mixed", bases, {"__doc__": "Mixed."})))
        except TypeError as error:
            return str(error)
    for bases in ((std_child, Open), (Open, std_child)):
        assert made(record, bases) == made(dataclass(frozen=True), bases)
        assert made(record(frozen=False), bases) == made(dataclass, bases)

    class Plain(family(record, record)[1]):  # type: ignore[misc]  # no decorator: the parent's methods
        pass
    assert Plain(1) == Plain(1) and repr(Plain(1)).endswith("Plain(a=1, b='child', c=1.0)")
    with pytest.raises(FrozenInstanceError):
        Plain(1).a = 3
    Plain(1).extra = 1  # not the class the frozen methods were made for, as with the standard decorator


def test_a_record_refuses_what_the_standard_decorator_refuses():
    for decorator in (dataclass, record):
        with pytest.raises(ValueError, match="mutable default"):
            decorator(type("Bad", (), {"__annotations__": {"x": "list"}, "x": []}))
        with pytest.raises(TypeError, match="non-default argument 'y' follows default argument"):
            decorator(type("Bad", (), {"__annotations__": {"x": "int", "y": "int"}, "x": 1}))
        with pytest.raises(TypeError, match="'y' is a field but has no type annotation"):
            decorator(type("Bad", (), {"__annotations__": {"x": "int"}, "y": field(default=1)}))
        with pytest.raises(TypeError, match="Cannot overwrite attribute __setattr__"):
            decorator(frozen=True)(type("Bad", (), {"__annotations__": {"x": "int"}, "__setattr__": lambda *a: None}))


def test_a_record_keeps_what_its_class_writes():
    """The class's own ``__init__``, ``__eq__``, ``__hash__``, ``__repr__`` and docstring stay;
    ``__post_init__`` runs; a class without a docstring gets the standard one (its signature)."""
    def body():
        class Own:
            x: int
            y: int = 2

            def __post_init__(self):
                object.__setattr__(self, "z", self.x + self.y)

            def __eq__(self, other):
                return True

            def __repr__(self):
                return "own"
        return Own
    std, ours = dataclass(frozen=True)(body()), record(body())
    assert ours.__doc__ == std.__doc__ == "Own(x: 'int', y: 'int' = 2)"
    assert ours(1).z == std(1).z == 3 and repr(ours(1)) == "own" and ours(1) == 5
    assert ours.__hash__ is not None and hash(ours(1)) == hash(std(1))  # __eq__ written: hash made from the fields

    def hashed():
        class Hashed:
            """Hashed."""
            x: int

            def __hash__(self):
                return 1
        return Hashed
    assert hash(record(hashed())(5)) == hash(dataclass(frozen=True)(hashed())(5)) == 1
    assert record(frozen=False)(hashed())(5).__hash__() == 1


def test_a_frozen_record_writes_its_fields_once_and_takes_slots_and_properties_as_the_standard_does():
    class WithSelf:
        """A field called self."""
        self: int
        other: int = 1
    assert record(WithSelf)(self=2).self == 2

    calls = []

    class Watched:
        """A property of a field's name in a base: assignment goes through it, as with object.__setattr__."""
        x: int

    def set_x(obj, value):
        calls.append(value)
        obj.__dict__["_x"] = value

    class Base:
        x = property(lambda obj: obj.__dict__["_x"], set_x)
    watched = record(type("Watched", (Base,), {"__annotations__": {"x": "int"}, "__doc__": "w"}))
    assert watched(x=4).x == 4 and calls == [4]


def test_pickle_and_deepcopy_keep_a_record():
    from explain.derivation.steps import ShapeStep

    step = ShapeStep("same", (4, 4, 3), (4, 4, 3), spatial=2)
    assert pickle.loads(pickle.dumps(step)) == step == copy.deepcopy(step)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "frozen")
def test_a_records_first_instances_and_its_compiled_init_set_what_the_standard_init_sets(options, monkeypatch):
    """A record builds its first GENERIC_CALLS instances without compiling its ``__init__``,
    then compiles it: both give every instance the standard ``__init__``'s attributes, in its
    order, and a call that does not bind raises the standard error (no code kept from an
    earlier run here: with one, it compiles at once)."""
    monkeypatch.setenv("EXPLAIN_NO_CACHE", "1")
    monkeypatch.setattr(records, "_CODES", {})
    std, ours = _pair(**options)
    kw = options.get("kw_only", False)
    calls = [((), dict(x=1)), ((), dict(x=2, y=3.0, tag="t", seen=[1], label="l")), ((), dict(label="m", x=3))]
    if not kw:
        calls += [((4,), {}), ((5, 6.0, "u"), dict(label="n")), ((7, 8.0, "v", [2], "o"), {})]
    wrong = [((), {}), ((), dict(x=1, nope=2)), ((), dict(x=1, hidden=2)), ((1, 2, 3, 4, 5, 6), {})]
    if not kw:
        wrong.append(((1,), dict(x=1)))
    def same_errors(std, ours):
        for args, kwargs in wrong:
            with pytest.raises(TypeError) as ours_error:
                ours(*args, **kwargs)
            with pytest.raises(TypeError) as std_error:
                std(*args, **kwargs)
            assert str(ours_error.value).replace(ours.__qualname__, "C") == str(std_error.value).replace(std.__qualname__, "C")

    assert not inspect.isfunction(ours.__dict__["__init__"])
    for round in range(2 * GENERIC_CALLS // len(calls) + 1):
        assert inspect.isfunction(ours.__dict__["__init__"]) == (round * len(calls) >= GENERIC_CALLS)
        for args, kwargs in calls:
            s, o = std(*args, **kwargs), ours(*args, **kwargs)
            assert list(vars(o).items()) == list(vars(s).items()), (round, args, kwargs)
    same_errors(std, ours)
    same_errors(*_pair(**options))  # the first call does not bind: the compiled __init__ says why
    assert inspect.isfunction(ours.__dict__["__init__"])  # compiled after GENERIC_CALLS instances
    assert str(inspect.signature(ours.__init__)) == str(inspect.signature(std.__init__))


def test_a_records_first_instances_set_their_fields_in_the_standard_order():
    """Assignments go through a mutable class's ``__setattr__`` field by field, default factories
    are called in field order and ``__post_init__`` runs last, before and after the compile."""
    def body(log):
        class Logged:
            """Logged."""
            a: int
            b: list = field(default_factory=lambda: log.append("factory b") or [])
            c: int = field(default=3, init=False)
            d: dict = field(default_factory=lambda: log.append("factory d") or {}, init=False)

            def __setattr__(self, name, value):
                log.append(name)
                object.__setattr__(self, name, value)

            def __post_init__(self):
                log.append("post")
        return Logged
    std_log: list = []
    our_log: list = []
    std, ours = dataclass(body(std_log)), record(frozen=False)(body(our_log))
    for i in range(GENERIC_CALLS + 3):
        std(i)
        ours(i)
        assert our_log == std_log == ["a", "factory b", "b", "factory d", "d", "post"] * (i + 1)


def test_a_records_fields_are_told_from_class_variables_and_init_variables_as_the_standard_decorator_tells_them():
    """String annotations (``from __future__ import annotations``) name ClassVar and InitVar by
    name, alias or module; any other leading name makes a field, as the standard decorator does."""
    from explain import records

    class Kinds:
        """Kinds."""
        a: ClassVar[int] = 1
        b: typing.ClassVar[int] = 2
        c: CV[int] = 3
        e: dataclasses.InitVar[int] = 5
        f: IV[int] = 6
        g: Optional[int] = None
        h: sympy_like.Expr = 0  # noqa: F821 (a name the module lacks)
        i: "(int)" = 0
        j: list[ClassVar] = ()
        k: math.inf = 0
    namespace = vars(sys.modules[__name__])
    seen = {}
    for name, annotation in Kinds.__annotations__.items():
        ours = records._field(Kinds, name, annotation, False, namespace)
        std = dataclasses._get_field(Kinds, name, annotation, False)
        assert (ours._field_type, ours.name, ours.type, ours.default, ours.kw_only) == \
               (std._field_type, std.name, std.type, std.default, std.kw_only), name
        seen[name] = str(std._field_type)
    assert seen == {"a": "_FIELD_CLASSVAR", "b": "_FIELD_CLASSVAR", "c": "_FIELD_CLASSVAR", "e": "_FIELD_INITVAR",
                    "f": "_FIELD_INITVAR", "g": "_FIELD", "h": "_FIELD", "i": "_FIELD", "j": "_FIELD", "k": "_FIELD"}
    with pytest.raises(ValueError, match="mutable default <class 'list'> for field m"):
        records._field(type("Bad", (), {"m": []}), "m", "list", False, namespace)


def test_with_the_standard_decorator_throughout_the_counts_are_the_same():
    """Where ``record`` takes the standard decorator for every class (Python 3.14, or a Python
    whose ``dataclasses`` lacks a private name it builds on), the seed CNN still has its
    6,029,097 parameters (the article's Keras summary)."""
    import subprocess
    code = ("import explain.records as r; r._STANDARD = True\n"
            "import explain\n"
            "m = explain.load('example:seed-cnn')\n"
            "print(type(m.nodes[0].layer).__init__.__code__.co_filename, m.total)")  # compiled: <string>
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["<string>", "6029097"]


def test_a_records_init_code_is_kept_between_runs_in_the_private_cache(tmp_path, monkeypatch):
    """The code of a compiled ``__init__`` is kept in explain's cache folder, one file a source: the
    next process (here: the kept codes read anew) compiles nothing and builds even its first
    instance with it, as the standard ``__init__`` would; a damaged file, a file of another source
    or EXPLAIN_NO_CACHE=1 keeps nothing."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("EXPLAIN_NO_CACHE", raising=False)
    monkeypatch.setattr(records, "_CODES", {})
    compiled = []
    builtin_compile = compile
    monkeypatch.setattr(records, "compile", lambda *a: compiled.append(a[0]) or builtin_compile(*a), raising=False)
    std, ours = _pair()
    for i in range(GENERIC_CALLS + 1):
        assert vars(ours(i, label="x")) == vars(std(i, label="x"))
    assert len(compiled) == 1
    folder = tmp_path / "explain" / f"records-{sys.implementation.cache_tag}"
    kept = list(folder.glob("*.marshal"))
    assert len(kept) == 1 and (folder.stat().st_mode & 0o077) == 0  # only this user can write there

    monkeypatch.setattr(records, "_CODES", {})  # a new run
    std, ours = _pair()
    assert vars(ours(1, 2.0, "t", [3])) == vars(std(1, 2.0, "t", [3]))
    assert inspect.isfunction(ours.__dict__["__init__"]) and len(compiled) == 1  # at once, from the kept code
    with pytest.raises(TypeError) as ours_error:
        ours()
    with pytest.raises(TypeError) as std_error:
        std()
    assert str(ours_error.value) == str(std_error.value)

    for damaged in (b"\xe3not marshal", __import__("marshal").dumps(("def __init__(self): pass\n", compile("", "", "exec")))):
        kept[0].write_bytes(damaged)
        monkeypatch.setattr(records, "_CODES", {})
        std, ours = _pair()
        assert vars(ours(5)) == vars(std(5)) and not inspect.isfunction(ours.__dict__["__init__"])

    monkeypatch.setenv("EXPLAIN_NO_CACHE", "1")
    monkeypatch.setattr(records, "_CODES", {})
    kept[0].unlink()
    std, ours = _pair()
    for i in range(GENERIC_CALLS + 1):
        ours(i)
    assert inspect.isfunction(ours.__dict__["__init__"]) and not list(folder.glob("*.marshal"))
