"""Reading worksheets: a YAML (or JSON) file with ``model`` and ``claims``, or plain text.

YAML::

    model: seed_cnn.yaml             # beside the worksheet (or below it), or example:NAME
    claims:
      - layer: dense_2                 # a name, or a 1-based position
        work: 512 x 128 + 512 = 65664  # parameters: formula = result
      - layer: flatten_1
        shape: 19 x 19 x 32 = 11552    # the output size
      - total: 6.029.097               # also trainable: / non_trainable:

Plain text: ``model: PATH``, then one claim a line: ``LAYER: WORK``, ``LAYER shape: WORK``,
``total: N``; ``#`` starts a comment. A shape may also be written as Keras prints it,
``(None, 19, 19, 32)``. Scalars are read as the text the user wrote (YAML's
own number parsing would read ``6.029`` as a float), with line numbers for errors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import yaml

from ..errors import ExplainError
from ..importers.textfile import compose_yaml, decode, read_bytes
from .arith import ArithError, Work, parse_work

MAX_WORKSHEET_BYTES = 1024 * 1024
MAX_CLAIMS = 2000
TOTAL_KINDS = ("total", "trainable", "non_trainable")
"""Claims about the whole model; their ``layer`` in the report is ``"total"``."""
_KIND_WORDS = {"work": "params", "params": "params", "parameters": "params", "shape": "shape",
               "output": "shape", "output_shape": "shape", "size": "shape"}


@dataclass(frozen=True)
class RawClaim:
    """One claim as the worksheet wrote it."""

    layer: str | int  # a name, a 1-based position, or "total"
    kind: str  # params, shape, total, trainable, non_trainable
    text: str
    work: Work | None
    """None when the text could not be read (``error`` says why)."""
    line: int
    error: str | None = None
    dims: tuple[int | None, ...] | None = None
    """A shape written as a tuple, ``(None, None, 32)``: its axes (the batch axis dropped)."""


@dataclass(frozen=True)
class Worksheet:
    path: str
    model: str | None
    """The model reference as written (a path relative to the worksheet, or example:NAME)."""
    claims: tuple[RawClaim, ...]

    def model_source(self, override: str | None = None, roots: Sequence[str] = ()) -> str:
        """The model to check against: ``override`` (``--model``, the user's own choice), a
        bundled example, or the worksheet's ``model`` path. That path is relative to the
        worksheet and must stay inside its folder or one of ``roots`` (``--model-root``), links
        resolved: a worksheet handed to a grading server cannot make it open other files
        (``/etc/shadow``, ``~user/…``, ``../../``)."""
        if override:
            return override
        if not self.model:
            raise ExplainError("the worksheet names no model: add a line 'model: PATH' or use --model",
                               file=self.path)
        if self.model.startswith("example:"):
            return self.model
        folder = Path(self.path).resolve().parent
        if "\x00" in self.model or self.model.startswith("~"):
            raise self._outside()
        path = (folder / self.model).resolve()  # an absolute model path replaces the folder
        allowed = [folder] + [Path(r).resolve() for r in roots]
        if not any(path == root or root in path.parents for root in allowed):
            raise self._outside()
        return str(path)

    def _outside(self) -> ExplainError:
        return ExplainError("the worksheet's model must be a file in the worksheet's folder (or below "
                            "it) or example:NAME; give another model with --model, or allow a folder "
                            "with --model-root DIR", file=self.path)


def read_worksheet(path: str) -> Worksheet:
    """A worksheet from a YAML/JSON or plain-text file; ExplainError names the line."""
    data = read_bytes(path, MAX_WORKSHEET_BYTES)
    text = decode(data, path)
    node = _compose(text, path)
    if isinstance(node, yaml.MappingNode) and any(_scalar(k) == "claims" for k, _ in node.value):
        return _from_yaml(node, path)
    return _from_text(text, path)


def _compose(text: str, path: str):
    """The YAML node tree, or None where the text is not YAML (then it is a plain worksheet).

    YAML that is refused (an alias, deep nesting) in a worksheet with a ``claims:`` list is an
    error of its own, not a plain worksheet gone wrong."""
    try:
        return compose_yaml(text)
    except ExplainError as e:
        if re.search(r"^claims\s*:", text, re.MULTILINE):
            raise e.located(file=path) from None
        return None
    except (yaml.YAMLError, RecursionError):
        return None


def _scalar(node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _line(node) -> int:
    return node.start_mark.line + 1


def _fail(path: str, line: int, message: str) -> ExplainError:
    return ExplainError(f"line {line}: {message}", file=path)


def _from_yaml(root: yaml.MappingNode, path: str) -> Worksheet:
    model: str | None = None
    claims_node = None
    for key, value in root.value:
        name = _scalar(key)
        if name == "model":
            model = _scalar(value)
            if not model:
                raise _fail(path, _line(value), "'model' must be a path or example:NAME")
        elif name == "claims":
            claims_node = value
        elif name in ("name", "title", "author", "lang", "notes", "comment"):
            continue
        else:
            raise _fail(path, _line(key), f"unknown key '{name}' (a worksheet has 'model' and 'claims')")
    if not isinstance(claims_node, yaml.SequenceNode):
        raise _fail(path, _line(claims_node or root), "'claims' must be a list of claims")
    if not claims_node.value:
        raise _fail(path, _line(claims_node), "'claims' is empty: there is nothing to check")
    if len(claims_node.value) > MAX_CLAIMS:
        raise _fail(path, _line(claims_node), f"more than {MAX_CLAIMS} claims")
    claims = tuple(_yaml_claim(item, n, path) for n, item in enumerate(claims_node.value, 1))
    return Worksheet(path, model, claims)


def _yaml_claim(item, number: int, path: str) -> RawClaim:
    line = _line(item)
    if not isinstance(item, yaml.MappingNode):
        raise _fail(path, line, f"claim {number} must be a mapping such as "
                                f"'{{layer: dense_1, work: 512 x 128 + 128 = 65664}}'")
    fields: dict[str, tuple[str, int]] = {}
    for key, value in item.value:
        name = _scalar(key)
        text = _scalar(value)
        if name is None or text is None:
            raise _fail(path, _line(key), f"claim {number}: every value must be a single line of text")
        fields[name] = (text, _line(value))
    layer = fields.pop("layer", None)
    kinds = [k for k in fields if k in _KIND_WORDS or k in TOTAL_KINDS]
    unknown = [k for k in fields if k not in _KIND_WORDS and k not in TOTAL_KINDS]
    if unknown:
        raise _fail(path, line, f"claim {number}: unknown key '{unknown[0]}' (use layer with work or "
                                f"shape, or total)")
    if len(kinds) != 1:
        raise _fail(path, line, f"claim {number}: give exactly one of work, shape or total")
    key = kinds[0]
    text, text_line = fields[key]
    if key in TOTAL_KINDS:
        if layer is not None:
            raise _fail(path, line, f"claim {number}: a '{key}' claim is about the whole model; "
                                    f"it takes no 'layer'")
        return _raw("total", key, text, text_line)
    if layer is None:
        raise _fail(path, line, f"claim {number}: '{key}' needs a 'layer' (a name or a 1-based position)")
    ref = _layer_ref(layer[0])
    kind = _KIND_WORDS[key]
    return _raw(ref, kind, text, text_line)


def _layer_ref(text: str) -> str | int:
    text = text.strip()
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text) else text


_TUPLE = re.compile(r"^\(\s*((?:None|\d{1,30})(?:\s*,\s*(?:None|\d{1,30}))*)\s*,?\s*\)\s*(=.*)?$", re.ASCII)


def shape_tuple(text: str) -> tuple[tuple[int | None, ...], str | None] | None:
    """A shape as Keras prints it, ``(None, 19, 19, 32)`` or ``(None, None, 32)``: its axes
    (``None`` for an unknown size; a leading ``None``, the batch axis, dropped) and the text
    after ``=`` if any; None when ``text`` is not such a tuple."""
    m = _TUPLE.match(text.strip())
    if not m:
        return None
    dims: list[int | None] = [None if d.strip() == "None" else int(d) for d in m.group(1).split(",")]
    if len(dims) > 1 and dims[0] is None:
        dims = dims[1:]
    return tuple(dims), (m.group(2)[1:].strip() if m.group(2) else None)


def _raw(layer: str | int, kind: str, text: str, line: int) -> RawClaim:
    """A claim with its work read, or with the reason it could not be read."""
    dims = None
    source = text
    if kind == "shape":
        tup = shape_tuple(text)
        if tup is not None:
            dims, result = tup
            known = [str(d) for d in dims if d is not None]
            if None in dims:
                source = " x ".join(known) if known else ""
                if result:
                    source += " = " + result
            else:
                source = " x ".join(known) + (" = " + result if result else "")
    try:
        work = parse_work(source) if source else None
    except ArithError as e:
        what = "the total" if layer == "total" else f"the claim for '{layer}'"
        return RawClaim(layer, kind, text, None, line, f"cannot read {what}: {e}. Received: {_shorten(text)!r}",
                        dims)
    if work is None:
        return RawClaim(layer, kind, text, None, line, "the shape gives no known size", dims)
    return RawClaim(layer, kind, text, work, line, None, dims)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


_LINE = re.compile(r"^\s*(?P<key>[^:#]+?)\s*:\s*(?P<value>.*?)\s*$")


def _from_text(text: str, path: str) -> Worksheet:
    model: str | None = None
    claims: list[RawClaim] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if not line.strip():
            continue
        m = _LINE.match(line)
        if m is None or not m.group("value"):
            raise _fail(path, number, f"expected 'LAYER: WORK', 'LAYER shape: WORK' or 'total: N'. "
                                      f"Received: {_shorten(raw.strip())!r}")
        key, value = m.group("key"), m.group("value")
        words = key.split()
        if words == ["model"]:
            model = value
            continue
        if len(claims) >= MAX_CLAIMS:
            raise _fail(path, number, f"more than {MAX_CLAIMS} claims")
        if len(words) == 1 and words[0].lower() in TOTAL_KINDS:
            kind = words[0].lower()
            claims.append(_raw("total", kind, value, number))
            continue
        kind = "params"
        if len(words) == 2 and words[1].lower() in _KIND_WORDS:
            kind = _KIND_WORDS[words[1].lower()]
        elif len(words) != 1:
            raise _fail(path, number, f"'{key}' is not a layer name (write 'LAYER: WORK' or "
                                      f"'LAYER shape: WORK')")
        ref = _layer_ref(words[0])
        claims.append(_raw(ref, kind, value, number))
    if not claims:
        raise ExplainError("the worksheet has no claims ('LAYER: WORK' lines, or a YAML 'claims' list)",
                           file=path)
    return Worksheet(path, model, tuple(claims))
