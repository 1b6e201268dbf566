"""YAML read safely: no aliases or custom tags, bounded nesting and values (MAX_YAML_NODES).

Apart from :mod:`explain.importers.textfile` so that reading JSON (a Keras model, a Hugging Face
config) does not import PyYAML."""
from __future__ import annotations

from typing import Any, cast

import yaml

from ..errors import ExplainError
from .textfile import MAX_DEPTH, MAX_YAML_NODES


try:  # libyaml's scanner and parser (the events), when PyYAML was built with it
    from yaml._yaml import CParser as _Parser
    _FAST_LOADER: type | None = yaml.CSafeLoader
    from yaml.composer import Composer as _Composer
    from yaml.constructor import SafeConstructor as _Constructor
    from yaml.resolver import Resolver as _Resolver

    class _Base(_Composer, _Parser, _Constructor, _Resolver):
        """Events from libyaml (C), nodes composed here (so that they can be counted)."""

        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            _Composer.__init__(self)
            _Constructor.__init__(self)
            _Resolver.__init__(self)
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _Base = yaml.SafeLoader  # type: ignore[misc,assignment]
    _FAST_LOADER = None


def _alias(event) -> ExplainError:
    return ExplainError(f"YAML aliases (*{event.anchor}) are not allowed (line {event.start_mark.line + 1})")


def _too_many() -> ExplainError:
    return ExplainError(f"has more than {MAX_YAML_NODES:,} YAML values; that is more than a model "
                        f"description needs (write JSON for a larger generated model)")


def check_yaml(text: str) -> None:
    """Refuse YAML that has an alias, is nested deeper than MAX_DEPTH or has more than
    MAX_YAML_NODES values, from libyaml's parser events alone (in C, a fraction of the cost of
    composing and resolving the values): nothing is built from a file that is refused. Without
    libyaml the composing loader counts the same things as it goes."""
    if _FAST_LOADER is None:  # pragma: no cover - PyYAML without libyaml
        return
    parser = _Parser(text)
    get = parser.get_event
    nodes = open_collections = 0
    while (event := get()) is not None:
        kind = type(event)
        if kind is yaml.AliasEvent:
            raise _alias(event)
        if kind is yaml.ScalarEvent or kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise _too_many()
            if open_collections + 1 > MAX_DEPTH:
                raise ExplainError(f"nested more than {MAX_DEPTH} levels deep")
            if kind is not yaml.ScalarEvent:
                open_collections += 1
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            open_collections -= 1


class _NoAliasLoader(_Base):
    """A safe loader that refuses aliases (no billion-laughs expansion), limits nesting and
    counts nodes: a YAML file is read only as far as a model can need (MAX_YAML_NODES)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise _alias(self.peek_event())
        self._nodes = getattr(self, "_nodes", 0) + 1
        if self._nodes > MAX_YAML_NODES:
            raise _too_many()
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise ExplainError(f"nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


SAFE_LOADER = cast("type[yaml.SafeLoader]", _NoAliasLoader)
"""The loader for ``yaml.load``/``yaml.compose`` (a safe loader, typed as PyYAML's)."""


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree of bounded YAML (:func:`check_yaml`, then composed with line marks)."""
    check_yaml(text)
    return yaml.compose(text, Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)


def parse_yaml(text: str, path: str) -> Any:
    try:
        check_yaml(text)
        # checked: libyaml composes it (safe constructor); the counting loader is the fallback
        return yaml.load(text, Loader=_FAST_LOADER or SAFE_LOADER)  # noqa: S506 (a safe loader)
    except ExplainError as e:
        raise e.located(file=path) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or "malformed"
        raise ExplainError(f"is not valid YAML{where}: {problem}", file=path) from None
    except RecursionError:
        raise ExplainError("is nested too deeply", file=path) from None
    except ValueError as e:  # an integer of more digits than int() converts (4300)
        raise ExplainError(f"has a number too long to read ({str(e).split(':')[0]})", file=path) from None
