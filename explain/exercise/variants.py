"""Exercise variants: models drawn from a spec by varying what a lecturer would vary.

A :class:`Variant` is a spec (a dict, every layer named) with its model and a short id: the
first six characters of the SHA-256 of the spec's canonical JSON in base 32, so the same spec
always has the same id and a changed spec another one. :func:`draw` takes ``n`` variants from a
``random.Random(seed)`` of its own (never the global state): the same seed, model and ``vary``
give the same variants.

What varies (``VARY``), Keras vocabulary:

- ``filters``: a convolution's ``filters``; ``units``: Dense and recurrent ``units``, an
  Embedding's ``output_dim``;
- ``kernel``: a convolution's ``kernel_size`` and a pooling layer's ``pool_size``;
- ``strides``: a convolution's ``strides`` (1 or 2), a pooling layer's stated ``strides``;
- ``padding``: ``valid`` or ``same``;
- ``input``: an image's height and width (and 1 or 3 channels), a sequence's features per step,
  a vector's size; ``seq``: a sequence's length.

A drawn spec is kept only if the model loads (every shape positive, every constraint of its
layers met: groups divide the channels, heads divide the width) and every output size is a
positive number; else it is drawn again.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import random
from dataclasses import dataclass
from typing import Any, Sequence, TypeGuard

from ..errors import ExplainError
from ..model import Model

VARY = ("filters", "units", "kernel", "strides", "padding", "input", "seq")
MAX_VARIANTS = 1000
ATTEMPTS = 60
"""Draws per wanted variant before giving up (a model that leaves little to vary)."""
STALE = 400
"""Draws in a row without a new valid variant after which the model is taken to have no more
(``--variants 1000 --vary padding`` of a model with six paddings has 64; without this it drew
60,000 times, minutes, before saying so)."""

_CONV = {"Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "Conv1DTranspose",
         "Conv2DTranspose", "Conv3DTranspose"}
_POOL = {"MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
         "AveragePooling3D"}
_UNITS = {"Dense", "SimpleRNN", "LSTM", "GRU"}
_SEQUENCE = {"SimpleRNN", "LSTM", "GRU", "Embedding", "Conv1D", "Bidirectional", "MaxPooling1D",
             "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D"}
_NICE = (2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384,
         512, 640, 768, 1024, 1536, 2048)
"""Widths a lecturer would write: a varied width is one of these near the original."""


@dataclass(frozen=True)
class Variant:
    """One exercise: its id, its spec (every layer named) and the model it gives."""

    id: str
    spec: dict[str, Any]
    model: Model

    def answers(self, ask: Sequence[str]) -> tuple[list[str], list[tuple[str, list[Any]]]]:
        """What ``ask`` asks per layer, as data for the answer key and the quiz: the columns
        (``shapes``, ``params``, ``macs`` in the order asked) and each layer's name and values:
        its output shape without the batch axis (None for an unknown axis), its parameters, its
        MACs (None where they are not counted)."""
        columns = [k for k in ask if k in ("shapes", "params", "macs")]
        model = self.model
        rows = []
        for node in model.nodes:
            values: list[Any] = []
            for k in columns:
                if k == "shapes":
                    values.append(model.evaluate_shape(node.output_shape))
                elif k == "params":
                    values.append(model.evaluate(node.params))
                else:
                    values.append(model.evaluate(node.macs) if node.macs is not None else None)
            rows.append((node.name, values))
        return columns, rows


def variant_id(spec: dict[str, Any]) -> str:
    """Six characters (A–Z, 2–7) from the SHA-256 of the spec's canonical JSON."""
    data = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.b32encode(hashlib.sha256(data).digest()).decode()[:6]


def parse_vary(text: str | None) -> tuple[str, ...]:
    """``--vary``'s comma list (default: everything), checked."""
    if text is None:
        return VARY
    items = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in items if item not in VARY]
    if unknown or not items:
        raise ExplainError(f"--vary takes a comma list of {', '.join(VARY)}. Received: {text!r}")
    return tuple(dict.fromkeys(items))


def make_variant(spec: dict[str, Any], source: str | None = None) -> Variant:
    """The spec as an exercise: every layer given the name the model gives it."""
    from ..importers.spec import load_spec
    model = load_spec(copy.deepcopy(spec), source, None, str(spec.get("name", "model")))
    named = name_layers(spec, model)
    if named is not spec:
        model = load_spec(copy.deepcopy(named), source, None, str(named.get("name", "model")))
    return Variant(variant_id(named), named, model)


def name_layers(spec: dict[str, Any], model: Model) -> dict[str, Any]:
    """``spec`` with each layer's automatic name written out (the names the sheet and the
    student's answers use); unchanged where the layers do not line up one to one with the
    model's rows (a leading InputLayer, nested models)."""
    items = [item for item in spec.get("layers", []) if not _is_input(item)]
    if len(items) != len(model.nodes):
        return spec
    out = copy.deepcopy(spec)
    layers = [item for item in out["layers"] if not _is_input(item)]
    for item, node in zip(layers, model.nodes):
        if isinstance(item, dict) and len(item) == 1:
            (type_name, args), = item.items()
            if args is None:
                args = item[type_name] = {}
            if isinstance(args, dict) and "name" not in args:
                item[type_name] = {"name": node.name, **args}
    return out


def _is_input(item: Any) -> bool:
    return isinstance(item, dict) and len(item) == 1 and "InputLayer" in item


def draw(base: Variant, n: int, seed: int, vary: tuple[str, ...] = VARY) -> list[Variant]:
    """``n`` valid, distinct variants of ``base`` (distinct where the model leaves room),
    reproducible from ``seed``."""
    if not 1 <= n <= MAX_VARIANTS:
        raise ExplainError(f"--variants takes a number from 1 to {MAX_VARIANTS}. Received: {n}")
    if _pytorch(base.spec) and any(isinstance(a, dict) and "inputs" in a for item in base.spec["layers"]
                                   if isinstance(item, dict) for a in item.values()):
        raise ExplainError("variants of a PyTorch spec are drawn for a plain sequence of layers (no "
                           "'inputs'); give this model without --variants")
    rng = random.Random(seed)
    out: list[Variant] = []
    seen: set[str] = set()
    stale = 0
    for _ in range(ATTEMPTS * n):
        spec = _vary(base.spec, rng, vary)
        variant = _valid(spec)
        if variant is None or variant.id in seen:
            stale += 1
            if stale == STALE:
                break
            continue
        stale = 0
        seen.add(variant.id)
        out.append(variant)
        if len(out) == n:
            return out
    found = f"{len(out)} different valid variant{'' if len(out) == 1 else 's'}"
    raise ExplainError(f"varying {', '.join(vary)} gives only {found} of '{base.model.name}', not {n}; "
                       f"vary more (--vary) or ask for fewer (--variants)")


def _valid(spec: dict[str, Any]) -> Variant | None:
    try:
        variant = make_variant(spec)
        model = variant.model
        for node in model.nodes:
            for shape in node.outputs:
                dims = model.evaluate_shape(shape)
                if any(d is not None and d <= 0 for d in dims):
                    return None
        if model.total <= 0:
            return None
    except (ExplainError, ValueError, TypeError, ZeroDivisionError):
        return None
    return variant


def _pytorch(spec: dict[str, Any]) -> bool:
    return spec.get("framework", "keras") in ("pytorch", "torch")


def _vary(spec: dict[str, Any], rng: random.Random, vary: tuple[str, ...]) -> dict[str, Any]:
    if _pytorch(spec):
        return _vary_torch(spec, rng, vary)
    out = copy.deepcopy(spec)
    types = {next(iter(item)) for item in out.get("layers", []) if isinstance(item, dict) and len(item) == 1}
    sequence = bool(types & _SEQUENCE)
    if "input" in out and isinstance(out["input"], list):
        out["input"] = _vary_input(out["input"], rng, vary, sequence, "Embedding" in types)
    for item in out.get("layers", []):
        if isinstance(item, dict) and len(item) == 1:
            (type_name, args), = item.items()
            if isinstance(args, dict):
                _vary_layer(str(type_name), args, rng, vary)
    return out


def _vary_input(shape: list[Any], rng: random.Random, vary: tuple[str, ...], sequence: bool,
                tokens: bool) -> list[Any]:
    """An image ``[H, W, C]``: its height and width (square stays square), C among 1 and 3; a
    sequence ``[T, F]``: T with ``seq``, F with ``input``; a vector ``[n]`` (token ids with an
    Embedding: a sequence)."""
    if not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        return shape
    out = list(shape)
    if len(out) == 1:
        if (tokens and "seq" in vary) or (not tokens and "input" in vary):
            out[0] = _size(out[0], rng)
    elif len(out) == 2 and sequence:
        if "seq" in vary:
            out[0] = _size(out[0], rng)
        if "input" in vary:
            out[1] = _width(out[1], rng)
    elif "input" in vary:
        spatial = out[:-1]
        if len(set(spatial)) == 1:
            side = _size(spatial[0], rng)
            spatial = [side] * len(spatial)
        else:
            spatial = [_size(d, rng) for d in spatial]
        channels = out[-1]
        if channels in (1, 3):
            channels = rng.choice((1, 3))
        out = [*spatial, channels]
    return out


def _size(n: int, rng: random.Random) -> int:
    """A size near ``n``: between about half and one and a half times it."""
    low, high = max(2, (n + 1) // 2), max(3, n * 3 // 2)
    return rng.randint(low, high)


def _width(n: int, rng: random.Random) -> int:
    """A width a lecturer would write, between a quarter and twice ``n``."""
    choices = [w for w in _NICE if max(1, n // 4) <= w <= max(2, 2 * n)]
    return rng.choice(choices) if choices else n


def is_int(v: Any) -> TypeGuard[int]:
    """An int argument (True/False are ints to Python, not sizes)."""
    return isinstance(v, int) and not isinstance(v, bool)


def _vary_layer(type_name: str, args: dict[str, Any], rng: random.Random, vary: tuple[str, ...]) -> None:
    grouped = args.get("groups", 1) != 1
    if type_name in _CONV:
        if "filters" in vary and is_int(args.get("filters")) and not grouped:
            args["filters"] = _width(args["filters"], rng)
        if "kernel" in vary and "kernel_size" in args:
            args["kernel_size"] = _same_form(args["kernel_size"], rng.choice((1, 3, 3, 5, 5, 7)))
        if "strides" in vary and type_name.startswith("Conv") and "Transpose" not in type_name \
                and args.get("dilation_rate", 1) in (1, [1, 1], [1], [1, 1, 1]):
            stride = rng.choice((1, 1, 2))
            if stride == 1:
                args.pop("strides", None)
            else:
                args["strides"] = _same_form(args.get("strides", 1), stride)
        if "padding" in vary:
            _padding(args, rng)
    elif type_name in _POOL:
        if "kernel" in vary and "pool_size" in args:
            args["pool_size"] = _same_form(args["pool_size"], rng.choice((2, 2, 3)))
        if "strides" in vary and is_int(args.get("strides")):
            args["strides"] = rng.choice((1, 2))
        if "padding" in vary:
            _padding(args, rng)
    elif type_name in _KERAS_WIDTH:
        _vary_width(args, _KERAS_WIDTH[type_name], rng, vary)
    elif type_name == "Bidirectional" and isinstance(args.get("layer"), dict) and len(args["layer"]) == 1:
        (inner_type, inner), = args["layer"].items()
        if isinstance(inner, dict):
            _vary_layer(str(inner_type), inner, rng, vary)


# the argument that sets a layer's width, varied by `--vary units`
_KERAS_WIDTH = {**{t: "units" for t in _UNITS}, "Embedding": "output_dim"}


def _vary_width(args: dict[str, Any], key: str, rng: random.Random, vary: tuple[str, ...]) -> None:
    """A layer's width (units, out_features, hidden_size, embedding size) drawn near its old value."""
    value = args.get(key)
    if "units" in vary and is_int(value):
        args[key] = _width(value, rng)


def _padding(args: dict[str, Any], rng: random.Random) -> None:
    """``valid`` or ``same``; the default (valid) left unwritten where the spec did not write it."""
    if args.get("padding", "valid") not in ("valid", "same"):
        return
    padding = rng.choice(("valid", "same"))
    if padding == "valid" and "padding" not in args:
        return
    args["padding"] = padding


def _same_form(old: Any, value: int) -> Any:
    """``value`` in the form the spec wrote: a number, or a list of as many equal numbers."""
    if isinstance(old, list):
        return [value] * len(old)
    return value


# -- PyTorch specs: torch.nn's argument names, channels first; the sizes a layer takes from its
#    input (in_features, in_channels, …) are set again from the varied shapes

_TORCH_CONV = {"Conv1d", "Conv2d", "Conv3d"}
_TORCH_POOL = {"MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d"}
_TORCH_RNN = {"RNN", "LSTM", "GRU"}
_TORCH_SEQUENCE = _TORCH_RNN | {"Embedding", "Conv1d", "MaxPool1d", "AvgPool1d"}
_TORCH_WIDTH = {"Linear": "out_features", **{t: "hidden_size" for t in _TORCH_RNN}, "Embedding": "embedding_dim"}
_TORCH_IN = {"in_features": -1, "in_channels": 0, "num_features": 0, "input_size": -1}
"""Arguments that restate the incoming size (the axis it is read from): set from the shapes."""


def _vary_torch(spec: dict[str, Any], rng: random.Random, vary: tuple[str, ...]) -> dict[str, Any]:
    out = copy.deepcopy(spec)
    types = {next(iter(item)) for item in out.get("layers", []) if isinstance(item, dict) and len(item) == 1}
    if "input" in out and isinstance(out["input"], list):
        shape = out["input"]
        if len(shape) >= 3 and "input" in vary and all(isinstance(d, int) for d in shape):
            channels_last = _vary_input([*shape[1:], shape[0]], rng, vary, False, False)
            out["input"] = [channels_last[-1], *channels_last[:-1]]  # channels first again
        else:
            out["input"] = _vary_input(shape, rng, vary, bool(types & _TORCH_SEQUENCE), "Embedding" in types)
    for item in out.get("layers", []):
        if isinstance(item, dict) and len(item) == 1:
            (type_name, args), = item.items()
            if isinstance(args, dict):
                _vary_torch_layer(str(type_name), args, rng, vary)
    _restate_inputs(out)
    return out


def _vary_torch_layer(type_name: str, args: dict[str, Any], rng: random.Random, vary: tuple[str, ...]) -> None:
    if type_name in _TORCH_CONV:
        if "filters" in vary and is_int(args.get("out_channels")) and args.get("groups", 1) == 1:
            args["out_channels"] = _width(args["out_channels"], rng)
        kernel = args.get("kernel_size")
        if "kernel" in vary and kernel is not None:
            args["kernel_size"] = _same_form(kernel, rng.choice((1, 3, 3, 5, 5, 7)))
        if "strides" in vary and args.get("dilation", 1) == 1:
            stride = rng.choice((1, 1, 2))
            if stride == 1:
                args.pop("stride", None)
            else:
                args["stride"] = _same_form(args.get("stride", 1), stride)
        if "padding" in vary and (is_int(args.get("padding", 0)) or isinstance(args.get("padding"), list)):
            k = args.get("kernel_size", 1)
            k = k[0] if isinstance(k, list) else k
            padding = rng.choice((0, k // 2)) if is_int(k) else 0
            if padding == 0:
                args.pop("padding", None)
            else:
                args["padding"] = padding
    elif type_name in _TORCH_POOL:
        if "kernel" in vary and "kernel_size" in args:
            args["kernel_size"] = _same_form(args["kernel_size"], rng.choice((2, 2, 3)))
        if "strides" in vary and is_int(args.get("stride")):
            args["stride"] = rng.choice((1, 2))
    elif type_name in _TORCH_WIDTH:
        _vary_width(args, _TORCH_WIDTH[type_name], rng, vary)


def _restate_inputs(spec: dict[str, Any]) -> None:
    """Each layer's ``in_features``, ``in_channels``, ``num_features``, ``input_size``: the size
    of the axis it reads, from the model up to the layer before (left alone where that model
    does not load: the variant is then refused)."""
    from ..importers.spec import load_spec
    layers = spec.get("layers", [])
    for i, item in enumerate(layers):
        if not (isinstance(item, dict) and len(item) == 1):
            continue
        (_, args), = item.items()
        keys = [k for k in _TORCH_IN if isinstance(args, dict) and k in args]
        if not keys:
            continue
        try:
            if i == 0:
                shape = list(spec["input"])
            else:
                prefix = {**spec, "layers": layers[:i]}
                model = load_spec(copy.deepcopy(prefix))
                shape = list(model.evaluate_shape(model.nodes[-1].output_shape))
        except (ExplainError, ValueError, TypeError, ZeroDivisionError, KeyError):
            return
        for key in keys:
            size = shape[_TORCH_IN[key]] if shape else None
            if isinstance(size, int) and size > 0:
                args[key] = size


_TORCH_RESTATES = {**{t: "in_channels" for t in _TORCH_CONV}, "Linear": "in_features",
                   **{f"BatchNorm{d}d": "num_features" for d in (1, 2, 3)}, **{t: "input_size" for t in _TORCH_RNN}}
"""The argument each PyTorch layer type restates its incoming size in."""


def without_restated(spec: dict[str, Any]) -> dict[str, Any]:
    """A PyTorch spec without the sizes its layers receive (an answer form shows the model so;
    :func:`with_restated` puts them back). A Keras spec unchanged."""
    if not _pytorch(spec):
        return spec
    out = copy.deepcopy(spec)
    for item in out.get("layers", []):
        if isinstance(item, dict) and len(item) == 1:
            (type_name, args), = item.items()
            if isinstance(args, dict) and _TORCH_RESTATES.get(str(type_name)) in args:
                del args[_TORCH_RESTATES[str(type_name)]]
    return out


def with_restated(spec: dict[str, Any]) -> dict[str, Any]:
    """The PyTorch spec with each layer's incoming size stated again, from the shapes."""
    if not _pytorch(spec):
        return spec
    out = copy.deepcopy(spec)
    for item in out.get("layers", []):
        if isinstance(item, dict) and len(item) == 1:
            (type_name, args), = item.items()
            key = _TORCH_RESTATES.get(str(type_name))
            if isinstance(args, dict) and key and key not in args:
                args[key] = 0  # set from the shapes below
    _restate_inputs(out)
    return out
