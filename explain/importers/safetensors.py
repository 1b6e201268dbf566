"""``.safetensors`` checkpoints: the header only (never the tensor data), counted as it is.

Layout: 8 bytes, the header length n (little-endian u64); n bytes of JSON mapping each tensor
name to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets into the data that
follows), and an optional ``__metadata__``. Each tensor has ∏ shape entries and takes
(end − begin) bytes.

Tensors are grouped into nodes by module (the name without its last part). Numbered blocks
(``transformer.h.0.…``, ``transformer.h.1.…``) with the same tensor names and shapes become one
node that repeats (``transformer.h.0-11``, × 12), as a config's derivation has them. Two tensors
at the same data offsets are one tensor (tied), counted once. Integer and boolean tensors and
BatchNorm statistics are buffers, not parameters.

A sharded checkpoint is read from its ``model.safetensors.index.json`` (each shard's header).
A config and its checkpoint are checked against each other with :func:`compare`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from math import prod
from pathlib import Path
from typing import Any

from ..errors import ExplainError
from ..layers.tensors import Tensors
from ..model import GraphBuilder, Model

MAX_HEADER_BYTES = 100 * 1024 * 1024
MAX_TENSORS = 1_000_000

DTYPE_BITS = {
    "F64": 64, "F32": 32, "F16": 16, "BF16": 16, "F8_E4M3": 8, "F8_E5M2": 8, "F8_E8M0": 8,
    "F6_E2M3": 6, "F6_E3M2": 6, "F4": 4, "C64": 64, "C128": 128,
    "I64": 64, "I32": 32, "I16": 16, "I8": 8, "U64": 64, "U32": 32, "U16": 16, "U8": 8, "BOOL": 8,
}
_DTYPE_NAMES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
                "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2"}
"""safetensors dtypes of parameters under the names the memory step knows."""
_NOT_PARAMETERS = {"I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL"}
_BUFFER_NAMES = ("running_mean", "running_var", "num_batches_tracked")


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def count(self) -> int:
        return prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.end - self.begin

    @property
    def buffer(self) -> bool:
        return self.dtype in _NOT_PARAMETERS or self.name.rsplit(".", 1)[-1] in _BUFFER_NAMES


def read_header(path: str, data: bytes | None = None) -> tuple[list[TensorInfo], dict]:
    """The tensors and ``__metadata__`` of a safetensors file, checked; only the header is read."""
    if data is not None:
        size, head = len(data), data[:8]
    else:
        from .textfile import open_regular
        f = open_regular(path)
        size = os.fstat(f.fileno()).st_size
    try:
        if data is None:
            head = f.read(8)
        if len(head) < 8:
            raise ExplainError(f"is not a safetensors file: {size} bytes, shorter than the 8-byte header length")
        n = int.from_bytes(head, "little")
        if n > MAX_HEADER_BYTES:
            raise ExplainError(f"has a safetensors header of {n} bytes; more than "
                               f"{MAX_HEADER_BYTES // (1024 * 1024)} MiB is refused")
        if n > size - 8:
            raise ExplainError(f"is truncated: its safetensors header says {n} bytes, but only "
                               f"{size - 8} follow")
        raw = data[8:8 + n] if data is not None else f.read(n)
        if len(raw) != n:
            raise ExplainError("is truncated: the safetensors header could not be read whole")
    finally:
        if data is None:
            f.close()
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ExplainError("has a safetensors header that is not valid JSON") from None
    except ValueError:  # an integer of more digits than int() converts (4300)
        raise ExplainError("has a safetensors header with a number too long to read") from None
    if not isinstance(header, dict):
        raise ExplainError("has a safetensors header that is not a JSON object")
    if len(header) > MAX_TENSORS:
        raise ExplainError(f"has more than {MAX_TENSORS} tensors")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise ExplainError("has a '__metadata__' that is not a JSON object")
    return [_tensor(name, entry, size - 8 - n) for name, entry in header.items()], metadata


def _tensor(name: str, entry: Any, data_size: int) -> TensorInfo:
    def bad(problem: str) -> ExplainError:
        return ExplainError(f"tensor '{name}': {problem}. Received: {_short(entry)}")

    if not isinstance(entry, dict):
        raise bad("each tensor must be described by an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise bad(f"unknown dtype {dtype!r}")
    if not isinstance(shape, list) or len(shape) > 64 or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise bad("'shape' must be a list of sizes")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(
            isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            and 0 <= offsets[0] <= offsets[1] <= data_size):
        raise bad(f"'data_offsets' must be [begin, end] within the {data_size} bytes of data")
    t = TensorInfo(name, dtype, tuple(shape), offsets[0], offsets[1])
    need = -(-t.count * DTYPE_BITS[dtype] // 8)
    if t.nbytes != need:
        raise bad(f"{t.count} {dtype} entries take {need} bytes, but its data_offsets span {t.nbytes}")
    return t


def _index(part: str) -> bool:
    """A block number in a tensor name (``h.11.attn``): ASCII digits, at most 9 of them."""
    return part.isascii() and part.isdigit() and len(part) <= 9


def _short(value: Any, limit: int = 100) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ----------------------------------------------------------------------------- the model

@dataclass
class _Group:
    """The tensors of one module, or of one numbered block (names relative to it)."""

    name: str
    tensors: list[tuple[str, TensorInfo]] = field(default_factory=list)

    def signature(self) -> tuple:
        return tuple(sorted((rel, t.dtype, t.shape) for rel, t in self.tensors))


def load_safetensors(path: str, data: bytes | None = None) -> Model:
    """A model of the tensors in a safetensors file (header only)."""
    try:
        return _load(path, data)
    except ExplainError as e:
        raise e.located(file=path) from None


def _load(path: str, data: bytes | None) -> Model:
    tensors, _ = read_header(path, data)
    return _model(Path(path).stem, path, [(t, 0) for t in tensors])


def load_safetensors_index(parsed: dict, path: str) -> Model:
    """A sharded checkpoint from its ``model.safetensors.index.json``: ``weight_map`` names the
    shard (a file beside the index) of every tensor; each shard's header is read."""
    try:
        return _load_index(parsed, path)
    except ExplainError as e:
        raise e.located(file=path) from None


def _load_index(parsed: dict, path: str) -> Model:
    weight_map = parsed.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in weight_map.items()):
        raise ExplainError("'weight_map' must map tensor names to shard file names")
    folder = Path(path).parent
    items: list[tuple[TensorInfo, int]] = []
    for number, shard in enumerate(sorted(set(weight_map.values()))):
        if "/" in shard or "\\" in shard or "\x00" in shard or shard in ("", ".", ".."):
            raise ExplainError(f"shards must be files beside the index. Received: {shard!r}")
        shard_path = str(folder / shard)
        try:
            tensors, _ = read_header(shard_path)
        except ExplainError as e:
            raise e.located(file=shard_path) from None
        names = {t.name for t in tensors}
        for name, where in weight_map.items():
            if where == shard and name not in names:
                raise ExplainError(f"the index puts tensor '{name}' in {shard}, which does not have it")
        items += [(t, number) for t in tensors]
    seen: set[str] = set()
    for t, _ in items:
        if t.name in seen:
            raise ExplainError(f"tensor '{t.name}' is in more than one shard")
        seen.add(t.name)
    return _model(Path(path).name.split(".")[0], path, items)


def _model(model_name: str, path: str, items: list[tuple[TensorInfo, int]]) -> Model:
    """Tensors (each with its shard's number) grouped into nodes; tied offsets counted once."""
    if not items:
        raise ExplainError("has no tensors")
    tensors = [t for t, _ in items]
    owner: dict[tuple[int, int, int], str] = {}
    tied: dict[str, str] = {}
    for t, shard in items:
        key = (shard, t.begin, t.end)
        if t.end > t.begin and key in owner:
            tied[t.name] = owner[key]
        else:
            owner.setdefault(key, t.name)

    modules: dict[str, _Group] = {}
    stacks: dict[str, dict[int, _Group]] = {}
    order: list[tuple[str, str]] = []  # ("module", name) or ("stack", name) in first-seen order
    for t in tensors:
        parts = t.name.split(".")
        i = next((k for k, p in enumerate(parts[:-1]) if _index(p) and k > 0), None)
        if i is not None and t.name not in tied:
            stack, index = ".".join(parts[:i]), int(parts[i])
            if stack not in stacks:
                stacks[stack] = {}
                order.append(("stack", stack))
            group = stacks[stack].setdefault(index, _Group(f"{stack}.{index}"))
            group.tensors.append((".".join(parts[i + 1:]), t))
        else:
            module, _, _ = t.name.rpartition(".")
            module = module or t.name
            if module not in modules:
                modules[module] = _Group(module)
                order.append(("module", module))
            modules[module].tensors.append((t.name[len(module) + 1:] or t.name, t))

    b = GraphBuilder(model_name, "pytorch", {}, source=path)
    b.add_input("checkpoint", ())
    node_of: dict[str, str] = {}  # tensor name → node name
    for kind, name in order:
        if kind == "module":
            _add(b, modules[name], 1, node_of)
            continue
        blocks = stacks[name]
        indices = sorted(blocks)
        start = 0
        while start < len(indices):
            end = start
            sig = blocks[indices[start]].signature()
            while (end + 1 < len(indices) and indices[end + 1] == indices[end] + 1
                   and blocks[indices[end + 1]].signature() == sig):
                end += 1
            first = blocks[indices[start]]
            if end > start:
                first = _Group(f"{name}.{indices[start]}-{indices[end]}", first.tensors)
                for k in indices[start + 1:end + 1]:
                    for _rel, t in blocks[k].tensors:
                        node_of[t.name] = first.name
            _add(b, first, end - start + 1, node_of)
            start = end + 1
    model = b.build()
    _mark_tied(model, tied, node_of)
    stored = {_DTYPE_NAMES.get(t.dtype) for t in tensors if t.dtype not in _NOT_PARAMETERS}
    dtype = stored.pop() if len(stored) == 1 else None
    if dtype is not None:
        model.dtype = dtype
    return model


def _add(b: GraphBuilder, group: _Group, repeat: int, node_of: dict[str, str]) -> None:
    specs = tuple((rel, t.count, True, t.buffer) for rel, t in group.tensors)
    nbytes = sum(t.nbytes for _, t in group.tensors)
    dtypes = sorted({t.dtype for _, t in group.tensors})
    layer = Tensors(tensors=specs, origin="safetensors " + "/".join(dtypes), nbytes=nbytes)
    b.add(group.name, layer, ["checkpoint"], repeat=repeat)
    for _, t in group.tensors:
        node_of[t.name] = group.name


def _mark_tied(model: Model, tied: dict[str, str], node_of: dict[str, str]) -> None:
    """A tensor stored at another's offsets is that tensor: counted once, where it is first."""
    for name, first in tied.items():
        node = model.node(node_of[name])
        rel = name[len(node.name) + 1:] or name
        node.weights = tuple(replace(w, tied_to=first) if w.name == rel else w for w in node.weights)
        node.shares = node_of[first]


def checkpoint_bytes(model: Model) -> int:
    """The bytes of tensor data a safetensors model holds (tied tensors once)."""
    total = 0
    for node in model.nodes:
        if isinstance(node.layer, Tensors) and isinstance(node.layer.nbytes, int):
            if node.shares is None:
                total += node.layer.nbytes * int(node.repeat)
    return total


# ----------------------------------------------------------------------------- config vs checkpoint

@dataclass(frozen=True)
class Comparison:
    """A config's model and a checkpoint's tensors, side by side."""

    config_total: int
    checkpoint_total: int
    missing: tuple[str, ...]
    """Tensors the config's model has and the checkpoint does not (tied ones excluded)."""
    unexpected: tuple[str, ...]
    """Tensors of the checkpoint that the config's model does not have."""
    mismatched: tuple[tuple[str, int, int], ...]
    """(tensor, entries by the config, entries in the checkpoint)."""

    @property
    def difference(self) -> int:
        return self.checkpoint_total - self.config_total

    @property
    def matches(self) -> bool:
        return self.difference == 0 and not (self.missing or self.unexpected or self.mismatched)


def tensor_sizes(model: Model) -> dict[str, int]:
    """Full tensor name → entries, for every weight a model counts (repeated blocks numbered)."""
    out: dict[str, int] = {}
    for node in model.nodes:
        own = [w for w in node.weights if w.tied_to is None and not w.buffer]
        if not own:
            continue
        start, _, _ = node.name.rpartition(".")
        last = node.name.rsplit(".", 1)[-1]
        if "-" in last and all(_index(p) for p in last.split("-")):  # a checkpoint's block run
            a, b = (int(p) for p in last.split("-"))
            prefixes = [f"{start}.{i}." for i in range(a, b + 1)]
        elif node.repeat != 1:
            prefixes = [f"{node.name}.{i}." for i in range(model.evaluate(node.repeat))]
        else:
            prefixes = [f"{node.name}."]
        for p in prefixes:
            for w in own:
                out[p + w.name] = model.evaluate(w.count)
    return out


def compare(config_model: Model, checkpoint_model: Model) -> Comparison:
    """Check a config's derivation against a checkpoint: totals, and tensor by tensor.

    Names are matched as they are and, failing that, with the base model's prefix
    (``transformer.``, ``model.``, …) added to or removed from the checkpoint's names."""
    mine, theirs = tensor_sizes(config_model), tensor_sizes(checkpoint_model)
    if not set(mine) & set(theirs):
        prefixes = {n.split(".", 1)[0] + "." for n in mine} | {n.split(".", 1)[0] + "." for n in theirs}
        for p in sorted(prefixes):
            added = {p + n: v for n, v in theirs.items()}
            removed = {n[len(p):]: v for n, v in theirs.items() if n.startswith(p)}
            for candidate in (added, removed):
                if len(set(mine) & set(candidate)) > len(set(mine) & set(theirs)):
                    theirs = candidate
    return Comparison(
        config_total=config_model.total, checkpoint_total=checkpoint_model.total,
        missing=tuple(sorted(set(mine) - set(theirs))), unexpected=tuple(sorted(set(theirs) - set(mine))),
        mismatched=tuple((n, mine[n], theirs[n]) for n in sorted(set(mine) & set(theirs)) if mine[n] != theirs[n]))
