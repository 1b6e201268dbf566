"""Reading user files safely: bounded size, YAML without aliases or custom tags."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import ExplainError

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64


def read_bytes(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    p = Path(path)
    try:
        if p.is_dir():
            raise ExplainError("is a folder, not a model file", file=str(path))
        with p.open("rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise ExplainError("no such file", file=str(path)) from None
    except PermissionError:
        raise ExplainError("cannot be read (permission denied)", file=str(path)) from None
    except OSError as e:
        raise ExplainError(f"cannot be read ({e.strerror or e})", file=str(path)) from None
    if len(data) > limit:
        raise ExplainError(f"is larger than {limit // (1024 * 1024)} MiB", file=str(path))
    return data


def decode(data: bytes, path: str) -> str:
    """UTF-8 text (with or without a BOM), or UTF-16 with a BOM (what Windows PowerShell writes)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ExplainError("is not valid UTF-16 text", file=path) from None
    if b"\x00" in data[:8192]:
        raise ExplainError("is a binary file, not a text model description", file=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExplainError("is not UTF-8 text", file=path) from None


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (no billion-laughs expansion) and limits nesting."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ExplainError(f"YAML aliases (*{event.anchor}) are not allowed "
                               f"(line {event.start_mark.line + 1})")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise ExplainError(f"nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def parse_yaml(text: str, path: str) -> Any:
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)
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


def parse_json(text: str, path: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ExplainError(f"is not valid JSON at line {e.lineno}: {e.msg}", file=path) from None
    except RecursionError:
        raise ExplainError("is nested too deeply", file=path) from None
    except ValueError as e:  # an integer of more digits than int() converts (4300)
        raise ExplainError(f"has a number too long to read ({str(e).split(':')[0]})", file=path) from None
    _check_depth(value, path)
    return value


def _check_depth(value: Any, path: str) -> None:
    """No value deeper than MAX_DEPTH; level by level, following containers only (a model's
    JSON is mostly scalars: this walk is a good part of reading it)."""
    level, depth = ([value] if isinstance(value, (dict, list)) else []), 0
    while level:
        deeper = []
        for v in level:
            items = v.values() if isinstance(v, dict) else v
            if depth >= MAX_DEPTH and items:  # its items would be deeper than MAX_DEPTH
                raise ExplainError(f"is nested more than {MAX_DEPTH} levels deep", file=path)
            deeper += [x for x in items if isinstance(x, (dict, list))]
        level, depth = deeper, depth + 1
