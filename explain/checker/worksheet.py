"""Reading worksheets: a YAML (or JSON) file with ``model`` and ``claims``, or plain text.

YAML::

    model: seed_cnn.yaml             # beside the worksheet (or below it), or example:NAME
    claims:
      - layer: dense_2                 # a name, or a 1-based position
        work: 512 x 128 + 512 = 65664  # parameters: formula = result
      - layer: flatten_1
        shape: 19 x 19 x 32 = 11552    # the output size
      - total: 6.029.097               # also trainable: / non_trainable:
      - layer: conv2d_2                # compute of one forward pass, one sample
        macs: 254 x 254 x 3 x 3 x 32 x 32 = 594579456     # or flops: (2 per MAC)
      - macs: 813689984                # without a layer: the model's
        per: token                     # per token at the context length (default: sample)
      - memory: 6029097 x 16 = 96465552 bytes = 96.5 MB   # the model states in training
        optimizer: adam                # sgd, sgd_momentum, adam (default), adamw
        precision: mixed               # mixed (default: ZeRO's 2 + 2 + 12) or float32

Plain text: ``model: PATH``, then one claim a line: ``LAYER: WORK``, ``LAYER shape: WORK``,
``total: N``, ``LAYER macs: WORK`` (also ``flops``, ``memory``; ``macs: N`` for the model;
``macs per token: N``), ``optimizer: NAME`` and ``precision: NAME`` for the memory claims after
them; ``#`` starts a comment. A shape may also be written as Keras prints it,
``(None, 19, 19, 32)``. Scalars are read as the text the user wrote (YAML's
own number parsing would read ``6.029`` as a float), with line numbers for errors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
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
COMPUTE_KINDS = ("macs", "flops", "memory")
"""Claims about a layer, or without one about the model: multiply-accumulates and FLOPs of a
forward pass for one sample (or per token), and the bytes of the model states in training."""
_KIND_WORDS = {"work": "params", "params": "params", "parameters": "params", "shape": "shape",
               "output": "shape", "output_shape": "shape", "size": "shape",
               "macs": "macs", "flops": "flops", "memory": "memory"}
PER = ("sample", "token", "sequence")
"""What a compute claim counts for: one sample (a whole sequence: ``sequence`` says the same)
or one token of a sequence at the model's context length."""
OPTIMIZERS = ("sgd", "sgd_momentum", "adam", "adamw")
PRECISIONS = ("mixed", "float32")
_OPTIONS = ("per", "optimizer", "precision")
UNITS = {"kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
         "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
"""Units of a memory claim besides bytes (kB and KB both 1000 bytes)."""


@dataclass(frozen=True)
class Quantity:
    """A memory size written in a unit, ``96.5 MB``: the number as written (exact), the digits
    after its decimal separator, and the unit."""

    value: Fraction
    decimals: int
    unit: str

    @property
    def size(self) -> int:
        return UNITS[self.unit]

    def fits(self, n_bytes: int, unit: str | None = None) -> bool:
        """Whether ``n_bytes`` in ``unit`` (default: the claim's) reads as the number written, to
        its digits (rounded or cut off) and within 5 %."""
        exact = Fraction(n_bytes, UNITS[unit or self.unit])
        error = abs(exact - self.value)
        return exact > 0 and error < Fraction(1, 10 ** self.decimals) and error <= exact / 20


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
    per: str = "sample"
    """A compute claim: for one sample, or per ``token``."""
    optimizer: str = "adam"
    precision: str = "mixed"
    """A memory claim: the optimizer and precision of the training it is about."""
    quantity: Quantity | None = None
    """A memory claim's size in a unit (``96.5 MB``), where it gives one."""


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
    defaults: dict[str, str] = {}
    for key, value in root.value:
        name = _scalar(key)
        if name == "model":
            model = _scalar(value)
            if not model:
                raise _fail(path, _line(value), "'model' must be a path or example:NAME")
        elif name in ("optimizer", "precision"):
            defaults[name] = _option(path, _line(value), name, _scalar(value))
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
    claims = tuple(_yaml_claim(item, n, path, defaults) for n, item in enumerate(claims_node.value, 1))
    return Worksheet(path, model, claims)


def _option(path: str, line: int, name: str, text: str | None) -> str:
    """A memory claim's optimizer or precision, or a compute claim's ``per``, checked."""
    allowed = {"optimizer": OPTIMIZERS, "precision": PRECISIONS, "per": PER}[name]
    value = (text or "").strip().lower().replace(" ", "_").replace("-", "_")
    value = {"fp32": "float32", "mixed_precision": "mixed", "fp16": "mixed", "bf16": "mixed",
             "float16": "mixed", "bfloat16": "mixed"}.get(value, value)
    if value not in allowed:
        raise _fail(path, line, f"'{name}' must be one of {', '.join(allowed)}. Received: {_shorten(text or '')!r}")
    return "sample" if value == "sequence" else value


def _yaml_claim(item, number: int, path: str, defaults: dict[str, str]) -> RawClaim:
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
    options = {k: _option(path, v[1], k, v[0]) for k, v in fields.items() if k in _OPTIONS}
    fields = {k: v for k, v in fields.items() if k not in _OPTIONS}
    kinds = [k for k in fields if k in _KIND_WORDS or k in TOTAL_KINDS]
    unknown = [k for k in fields if k not in _KIND_WORDS and k not in TOTAL_KINDS]
    if unknown:
        raise _fail(path, line, f"claim {number}: unknown key '{unknown[0]}' (use layer with work, "
                                f"shape, macs, flops or memory, or total)")
    if len(kinds) != 1:
        raise _fail(path, line, f"claim {number}: give exactly one of work, shape, macs, flops, memory or total")
    key = kinds[0]
    text, text_line = fields[key]
    kind = _KIND_WORDS.get(key, key)
    misplaced = [k for k in options if (k == "per") != (kind in ("macs", "flops")) or
                 (k != "per" and kind != "memory")]
    if misplaced:
        raise _fail(path, line, f"claim {number}: '{misplaced[0]}' belongs to a "
                                f"{'macs or flops' if misplaced[0] == 'per' else 'memory'} claim")
    settings = {**defaults, **options} if kind == "memory" else options
    if key in TOTAL_KINDS:
        if layer is not None:
            raise _fail(path, line, f"claim {number}: a '{key}' claim is about the whole model; "
                                    f"it takes no 'layer'")
        return _raw("total", key, text, text_line)
    if layer is None:
        if kind in COMPUTE_KINDS:
            return _raw("total", kind, text, text_line, **settings)
        raise _fail(path, line, f"claim {number}: '{key}' needs a 'layer' (a name or a 1-based position)")
    ref = _layer_ref(layer[0])
    return _raw(ref, kind, text, text_line, **settings)


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


_QUANTITY = re.compile(r"(?:^|=)\s*(\d{1,12})(?:[.,](\d{1,12}))?\s*(" + "|".join(UNITS) + r")\s*$", re.ASCII)
_BYTES = re.compile(r"\s*(?:bytes?|Bytes?|B|octets?|バイト)\s*$")


def _memory_text(text: str) -> tuple[str, Quantity | None]:
    """A memory claim split into its work in bytes (``6029097 x 16 = 96465552 bytes``) and its
    size in a unit (``96.5 MB``), either of which may be absent."""
    quantity = None
    m = _QUANTITY.search(text)
    if m:
        whole, part, unit = m.group(1), m.group(2) or "", m.group(3)
        value = Fraction(int(whole + part), 10 ** len(part))
        quantity = Quantity(value, len(part), unit)
        text = text[:m.start()].rstrip()
    text = _BYTES.sub("", text).rstrip()
    return text, quantity


def _raw(layer: str | int, kind: str, text: str, line: int, per: str = "sample",
         optimizer: str = "adam", precision: str = "mixed") -> RawClaim:
    """A claim with its work read, or with the reason it could not be read."""
    def claim(work: Work | None, error: str | None, dims=None, quantity: Quantity | None = None) -> RawClaim:
        return RawClaim(layer, kind, text, work, line, error, dims, per=per, optimizer=optimizer,
                        precision=precision, quantity=quantity)
    if kind == "memory":
        source, quantity = _memory_text(text)
        if not source:
            if quantity is None:
                return claim(None, "a memory claim needs a size in bytes or in a unit (kB, MB, GB, KiB, MiB, GiB)")
            return claim(None, None, quantity=quantity)
        try:
            memory = parse_work(source)
        except ArithError as e:
            what = "the memory claim" if layer == "total" else f"the memory claim for '{layer}'"
            return claim(None, f"cannot read {what}: {e}. Received: {_shorten(text)!r}")
        return claim(memory, None, quantity=quantity)
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
        return claim(None, f"cannot read {what}: {e}. Received: {_shorten(text)!r}", dims)
    if work is None:
        return claim(None, "the shape gives no known size", dims)
    return claim(work, None, dims)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


_LINE = re.compile(r"^\s*(?P<key>[^:#]+?)\s*:\s*(?P<value>.*?)\s*$")


def _from_text(text: str, path: str) -> Worksheet:
    model: str | None = None
    claims: list[RawClaim] = []
    defaults: dict[str, str] = {}
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
        if len(words) == 1 and words[0].lower() in ("optimizer", "precision"):
            defaults[words[0].lower()] = _option(path, number, words[0].lower(), value)
            continue
        if len(claims) >= MAX_CLAIMS:
            raise _fail(path, number, f"more than {MAX_CLAIMS} claims")
        lower = [w.lower() for w in words]
        per = "sample"
        if len(lower) >= 3 and lower[-2:] in (["per", "token"], ["per", "sample"], ["per", "sequence"]):
            per = _option(path, number, "per", lower[-1])
            lower, words = lower[:-2], words[:-2]
            if not lower or lower[-1] not in ("macs", "flops"):
                raise _fail(path, number, f"'per {per}' belongs to a macs or flops claim")
        if len(lower) == 1 and lower[0] in TOTAL_KINDS:
            claims.append(_raw("total", lower[0], value, number))
            continue
        if len(lower) == 1 and lower[0] in COMPUTE_KINDS:
            claims.append(_raw("total", lower[0], value, number, per, **_memory_only(lower[0], defaults)))
            continue
        kind = "params"
        if len(words) == 2 and lower[1] in _KIND_WORDS:
            kind = _KIND_WORDS[lower[1]]
        elif len(words) != 1:
            raise _fail(path, number, f"'{key}' is not a layer name (write 'LAYER: WORK', "
                                      f"'LAYER shape: WORK' or 'LAYER macs: WORK')")
        ref = _layer_ref(words[0])
        claims.append(_raw(ref, kind, value, number, per, **_memory_only(kind, defaults)))
    if not claims:
        raise ExplainError("the worksheet has no claims ('LAYER: WORK' lines, or a YAML 'claims' list)",
                           file=path)
    return Worksheet(path, model, tuple(claims))


def _memory_only(kind: str, defaults: dict[str, str]) -> dict[str, str]:
    """The sheet's optimizer and precision, for a memory claim."""
    return dict(defaults) if kind == "memory" else {}
