"""Reading user files safely: bounded size and depth; YAML (without aliases or custom tags) in
:mod:`explain.importers.yaml_text`, imported only for YAML."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    import yaml

from ..errors import ExplainError

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_YAML_NODES = 200_000
"""Values in one YAML file: a 20,000-layer spec has about 100,000 (composing YAML costs about
ten times as much per value as JSON)."""
MAX_JSON_VALUES = 1_500_000
"""Values in one JSON file (estimated from its commas and brackets before parsing): a Keras
model of 20,000 layers has about a million."""


def open_regular(path: str | Path) -> BinaryIO:
    """``path`` opened for reading, if it is a regular file. A FIFO, a device or a socket would
    block or never end: refused before a byte is read (the file is opened without blocking and
    checked through its descriptor, so it cannot be swapped in between)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ExplainError("no such file", file=str(path)) from None
    except IsADirectoryError:
        raise ExplainError("is a folder, not a model file", file=str(path)) from None
    except PermissionError:
        raise ExplainError("cannot be read (permission denied)", file=str(path)) from None
    except (OSError, ValueError) as e:
        raise ExplainError(f"cannot be read ({getattr(e, 'strerror', None) or e})", file=str(path)) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ExplainError("is a folder, not a model file", file=str(path))
        if not stat.S_ISREG(mode):
            raise ExplainError("is not a regular file (a pipe, device or socket); explain reads files",
                               file=str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    with open_regular(path) as f:
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise ExplainError(f"cannot be read ({e.strerror or e})", file=str(path)) from None
    if len(data) > limit:
        raise ExplainError(f"is larger than {_size_text(limit)}", file=str(path))
    return data


def _size_text(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def decode(data: bytes, path: str, what: str = "a text model description") -> str:
    """UTF-8 text (with or without a BOM), or UTF-16 with a BOM (what Windows PowerShell writes);
    ``what`` names the text the file should hold, for the message on a binary file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ExplainError("is not valid UTF-16 text", file=path) from None
    if b"\x00" in data[:8192]:
        raise ExplainError(f"is a binary file, not {what}", file=path)
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")  # utf-8-sig's codec: an import (≈0.3 ms)
    except UnicodeDecodeError:
        raise ExplainError("is not UTF-8 text", file=path) from None


def compose_yaml(text: str) -> "yaml.Node | None":
    """The node tree of bounded YAML (PyYAML is imported here, on first use)."""
    from .yaml_text import compose_yaml as _compose
    return _compose(text)


def parse_yaml(text: str, path: str) -> Any:
    """The value of bounded YAML, or an ExplainError naming ``path``."""
    from .yaml_text import parse_yaml as _parse
    return _parse(text, path)


def parse_json(text: str, path: str) -> Any:
    if text.count(",") + text.count("[") + text.count("{") > MAX_JSON_VALUES:
        raise ExplainError(f"has more than {MAX_JSON_VALUES:,} JSON values; that is more than a model "
                           f"description needs", file=path)
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
    JSON is mostly scalars: this walk is a good part of reading it). ``value`` is what
    ``json.loads`` makes: its containers are plain dicts and lists, told apart by their type
    (twice as fast as ``isinstance`` on ResNet152's 9,600 containers)."""
    level, depth = ([value] if type(value) is dict or type(value) is list else []), 0
    while level:
        deeper: list[Any] = []
        add = deeper.append
        for v in level:
            items = v.values() if type(v) is dict else v
            if depth >= MAX_DEPTH and items:  # its items would be deeper than MAX_DEPTH
                raise ExplainError(f"is nested more than {MAX_DEPTH} levels deep", file=path)
            for x in items:
                if type(x) is dict or type(x) is list:
                    add(x)
        level, depth = deeper, depth + 1
