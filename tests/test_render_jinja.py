"""The renderer's shortcuts around Jinja (explain.render.i18n, explain.render.view): the same
text as Jinja's own machinery, with less work per call and per attribute (counted, not timed)."""
from __future__ import annotations

import jinja2
import jinja2.runtime
import pytest

from explain import load
from explain.render.documents import render_document
from explain.render.i18n import environment
from explain.render.view import Record

CALLS = ('{{ plain("a", b="c") }}|{{ obj.method(1) }}|{% set xs = [] %}{{ xs.append(2) }}{{ xs }}|'
         '{{ "x-y".replace("-", "+") }}|{{ with_context(1) }}|{{ with_env(2) }}|{{ with_eval(3) }}|'
         '{{ callable_obj(4) }}|{% for i in [1, 2] %}{{ with_context(i) }}{% endfor %}|'
         '{% set v = 5 %}{{ with_context(v) }}|{{ marked.method(6) }}|{{ stop() is undefined }}')


class _Obj:
    def method(self, x: int) -> str:
        return f"m{x}"


class _Marked:
    @jinja2.pass_environment
    def method(self, env: jinja2.Environment, x: int) -> str:
        return f"{_kind(env)}{x}"


class _Callable:
    @jinja2.pass_context
    def __call__(self, ctx: jinja2.runtime.Context, x: int) -> str:
        return f"{ctx.get('tag')}{x}"


def _kind(env: jinja2.Environment) -> str:
    """The environment's class as Jinja's: the library's adds the i18n extension on first parse."""
    return "Environment" if isinstance(env, jinja2.Environment) else type(env).__name__


def _stop() -> None:
    raise StopIteration


def _globals() -> dict:
    return {"plain": lambda a, b: a + b, "obj": _Obj(), "marked": _Marked(), "callable_obj": _Callable(),
            "with_context": jinja2.pass_context(lambda ctx, x: f"{ctx.get('tag')}{x}"),
            "with_env": jinja2.pass_environment(lambda env, x: f"{_kind(env)}{x}"),
            "with_eval": jinja2.pass_eval_context(lambda ev, x: f"{ev.autoescape}{x}"), "stop": _stop,
            "tag": "t"}


@pytest.mark.parametrize("lang,format", [("en", "markdown"), ("ja", "latex")])
def test_the_environments_calls_are_jinjas(lang, format, monkeypatch):
    """Every kind of callable a template may call gives what Jinja's own context gives (the
    context, environment or eval context passed where marked, StopIteration an undefined), and a
    plain function, method or builtin is called without asking Jinja for its marks."""
    ours = environment(lang, format)
    jinjas = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)
    expected = jinjas.from_string(CALLS).render(_globals())
    asked = []
    original = jinja2.utils._PassArg.from_obj.__func__

    def from_obj(cls, obj):
        asked.append(obj)
        return original(cls, obj)
    monkeypatch.setattr(jinja2.utils._PassArg, "from_obj", classmethod(from_obj))
    assert ours.from_string(CALLS).render(_globals()) == expected
    assert "t1|" in expected and "Environment2|" in expected and "Environment6|" in expected
    assert any(getattr(o, "__func__", None) is _Marked.method for o in asked)  # Jinja's own call
    plain = ours.from_string('{{ plain("a", b="c") }}{{ obj.method(1) }}{{ "x".upper() }}')
    asked.clear()
    assert plain.render(_globals()) == "acm1X"
    assert asked == []


def test_summary_rows_and_blocks_are_read_as_attributes(monkeypatch):
    """The derivation's rows, blocks and stage rows are :class:`Record`: a template's ``r.name``
    finds the item without a failed ``getattr`` first; the same items as a dict, a key that
    names a dict method an item only (as Jinja reads a dict)."""
    record = Record({"name": "conv1", "items": 3, "shares": None})
    assert record == {"name": "conv1", "items": 3, "shares": None}
    assert record.name == "conv1" and record.shares is None and record["items"] == 3
    env = jinja2.Environment()
    assert env.getattr(record, "items")() == {"name": "conv1", "items": 3, "shares": None}.items()
    failed: list[str] = []
    getattr_ = jinja2.Environment.getattr

    def counting(self, obj, attribute):
        if isinstance(obj, Record) and not hasattr(obj, attribute):
            failed.append(attribute)
        return getattr_(self, obj, attribute)
    monkeypatch.setattr(jinja2.Environment, "getattr", counting)
    model = load("example:lenet5")
    before = render_document("derivation", model, lang="en", format="markdown")
    assert failed == []
    monkeypatch.setattr("explain.render.view.Record", dict)
    assert render_document("derivation", model, lang="en", format="markdown") == before
