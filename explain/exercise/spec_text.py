"""A spec's layers as a reader sees them: hyperparameters as text, or the Keras or PyTorch code
that builds the model (written out, never run). Nothing here knows a layer's count or shape:
the exercise sheet shows only what the student is given."""
from __future__ import annotations

import json
import re
from typing import Any

from ..errors import ExplainError
from ..layers.base import tuple_text

RESERVED = ("name", "inputs", "shares")
_TORCH_RNN = ("RNN", "LSTM", "GRU")


def quoted(text: str) -> str:
    """A string as Keras's code and documentation write it: in double quotes (``"same"``),
    a backslash or double quote inside escaped."""
    return json.dumps(text, ensure_ascii=False)


def value_text(value: Any) -> str:
    """A hyperparameter's value as code writes it: ``3``, ``(3, 3)``, ``"same"``, ``True``,
    ``LSTM(units=64)`` for a wrapped layer."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, (list, tuple)):
        return tuple_text([value_text(v) for v in value])
    if isinstance(value, dict) and len(value) == 1:
        (type_name, args), = value.items()
        if isinstance(args, dict):
            return f"{type_name}({', '.join(f'{k}={value_text(v)}' for k, v in args.items())})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in value.items()) + "}"
    return str(value)


_ARITH = re.compile(r"^[A-Za-z0-9_ +*/()-]+$")


def _python(value: Any, prefix: str, symbols: tuple[str, ...] = ()) -> str:
    """A value as Python source: strings quoted (arithmetic of the spec's symbols as written),
    lists as tuples, wrapped layers as calls."""
    if isinstance(value, str):
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", value))
        if words and words <= set(symbols) and _ARITH.match(value):
            return value
        return quoted(value)
    if isinstance(value, (list, tuple)):
        return tuple_text([_python(v, prefix, symbols) for v in value])
    if isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value.values())), dict):
        (type_name, args), = value.items()
        call = ", ".join(f"{k}={_python(v, prefix, symbols)}" for k, v in args.items())
        return f"{prefix}{type_name}({call})"
    return repr(value)


def layer_items(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, type, hyperparameters) for each layer, in the spec's order (a leading InputLayer
    left out: the sheet states the input)."""
    out = []
    for item in spec.get("layers", []):
        if not isinstance(item, dict) or len(item) != 1:
            continue
        (type_name, args), = item.items()
        if type_name == "InputLayer":
            continue
        args = args if isinstance(args, dict) else {}
        params = {k: v for k, v in args.items() if k not in ("name", "shares")}
        out.append((str(args.get("name", "")), str(type_name), params))
    return out


WINDOW_ARGUMENTS = ("padding", "strides", "stride")
"""The arguments of a sliding window that set its output length besides the window's size: a
sheet names their defaults where a layer leaves them out."""


def defaults(spec: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(layer type, the defaults as code) for each windowed layer type (convolution, pooling) of
    the spec, in order, with the :data:`WINDOW_ARGUMENTS` some layer of that type leaves out:
    ``("Conv2D", [('padding="valid"', ""), ("strides=1", "")])``: each as code and, for a stride
    whose default ``None`` means the window's size, that window argument (``("strides=None",
    "pool_size")`` in Keras, ``("stride=None", "kernel_size")`` in PyTorch). The values are the
    layer classes' own defaults."""
    import dataclasses
    from ..layers._spatial import Windowed
    from ..layers.registry import find
    framework = "pytorch" if spec.get("framework", "keras") in ("pytorch", "torch") else "keras"
    calls: dict[str, list[dict[str, Any]]] = {}
    for _, type_name, args in layer_items(spec):
        calls.setdefault(type_name, []).append(args)
    out = []
    for type_name, each in calls.items():  # each type's class looked up once
        cls = find(type_name, framework)
        if cls is None or not issubclass(cls, Windowed):
            continue
        fields = {f.name: f for f in dataclasses.fields(cls)}
        window = next((w for w in ("pool_size", "kernel_size") if w in fields), "kernel_size")
        shown = []
        for name in WINDOW_ARGUMENTS:
            if name not in fields or all(name in args for args in each):
                continue
            default = fields[name].default
            shown.append((f"{name}=None", window) if default is None else (f"{name}={value_text(default)}", ""))
        if shown:
            out.append((type_name, shown))
    return out


RESTATED = ("in_features", "in_channels", "num_features", "input_size")
"""PyTorch arguments that restate the size a layer receives: an output of the layer before,
which the student is asked for. The table leaves them out; code has to state them."""


def given(spec: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """A layer's hyperparameters as the table shows them: for PyTorch without the sizes it
    receives from the layer before (:data:`RESTATED`)."""
    if spec.get("framework", "keras") not in ("pytorch", "torch"):
        return args
    return {k: v for k, v in args.items() if k not in RESTATED}


def inputs_of(spec: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """The model's inputs: (name, shape without the batch axis)."""
    if "input" in spec:
        shape = spec["input"]
        return [("input", shape if isinstance(shape, list) else [shape])]
    if "inputs" in spec and isinstance(spec["inputs"], dict):
        return [(str(k), v if isinstance(v, list) else [v]) for k, v in spec["inputs"].items()]
    for item in spec.get("layers", []):
        if isinstance(item, dict) and "InputLayer" in item and isinstance(item["InputLayer"], dict):
            args = item["InputLayer"]
            return [(str(args.get("name", "input_layer")), list(args.get("shape") or []))]
    return []


def code(spec: dict[str, Any]) -> str:
    """The Keras (``keras.Sequential`` or functional) or PyTorch (``nn.Sequential``; a module
    whose ``forward`` keeps an RNN's outputs, without its states) code that builds the spec's
    model, with its symbols as constants."""
    framework = spec.get("framework", "keras")
    if any(isinstance(args, dict) and "shares" in args
           for item in spec.get("layers", []) if isinstance(item, dict) for args in item.values()):
        raise ExplainError("--show code: a model with shared layers is shown as a table (--show table)")
    symbols = tuple(str(k) for k in (spec.get("symbols") or {}))
    lines = [f"{name} = {_python(value, '')}" for name, value in (spec.get("symbols") or {}).items()]
    items = layer_items(spec)
    functional = any("inputs" in args for _, _, args in items) or len(inputs_of(spec)) != 1
    if framework in ("pytorch", "torch"):
        if functional:
            raise ExplainError("--show code: a PyTorch model with several inputs is shown as a table "
                               "(--show table)")
        head = ["import torch", "from torch import nn", ""] + lines + ([""] if lines else [])
        if not any(type_name in _TORCH_RNN for _, type_name, _ in items):
            body = ["model = nn.Sequential("]
            for name, type_name, args in items:
                call = ", ".join(f"{k}={_python(v, 'nn.', symbols)}" for k, v in args.items())
                body.append(f"    nn.{type_name}({call}),  # {name}" if name else f"    nn.{type_name}({call}),")
            body.append(")")
        else:  # a recurrent layer returns its outputs and its states: a module of our own
            taken: dict[str, str] = {}
            names = [_identifier(name or type_name.lower(), taken) for name, type_name, _ in items]
            body = ["", "class Model(nn.Module):", "    def __init__(self):", "        super().__init__()"]
            for var, (_, type_name, args) in zip(names, items):
                call = ", ".join(f"{k}={_python(v, 'nn.', symbols)}" for k, v in args.items())
                body.append(f"        self.{var} = nn.{type_name}({call})")
            body += ["", "    def forward(self, x):"]
            for var, (_, type_name, _) in zip(names, items):
                body.append(f"        x, _ = self.{var}(x)" if type_name in _TORCH_RNN else f"        x = self.{var}(x)")
            body += ["        return x", "", "", "model = Model()"]
        return "\n".join(line for raw in head + body for line in wrap(raw))
    head = ["import keras", "from keras import layers", ""] + lines + ([""] if lines else [])
    ins = inputs_of(spec)
    if not functional:
        (_, shape), = ins
        body = ["model = keras.Sequential([", f"    keras.Input(shape={_python(shape, '', symbols)}),"]
        for name, type_name, args in items:
            body.append(f"    layers.{type_name}({_call(name, args, symbols)}),")
        body.append(f"], name={quoted(str(spec.get('name', 'model')))})")
        return "\n".join(line for raw in head + body for line in wrap(raw))
    body = []
    variables: dict[str, str] = {}
    for input_name, shape in ins:
        var = _identifier(input_name, variables)
        body.append(f"{var} = keras.Input(shape={_python(shape, '', symbols)}, name={quoted(input_name)})")
    previous = variables[ins[0][0]] if ins else "x"
    for name, type_name, args in items:
        refs = args.get("inputs")
        own = {k: v for k, v in args.items() if k != "inputs"}
        if refs is None:
            source = previous
        elif isinstance(refs, str):
            source = variables.get(refs, _identifier(refs, {}))
        else:
            source = "[" + ", ".join(variables.get(r, _identifier(r, {})) for r in refs) + "]"
        var = _identifier(name or type_name.lower(), variables)
        body.append(f"{var} = layers.{type_name}({_call(name, own, symbols)})({source})")
        previous = var
    outputs = previous
    inputs = ", ".join(variables[n] for n, _ in ins)
    body.append(f"model = keras.Model([{inputs}], {outputs}, name={quoted(str(spec.get('name', 'model')))})")
    return "\n".join(line for raw in head + body for line in wrap(raw))


WIDTH = 88
"""Code lines longer than this are broken after a comma, continued under the call's bracket."""


def wrap(line: str, width: int = WIDTH) -> list[str]:
    """A long line of a call broken after the commas between its arguments (outside strings and
    nested brackets), each continuation aligned after the opening bracket, as PEP 8 does."""
    if len(line) <= width or "(" not in line:
        return [line]
    opening = line.index("(")
    depth, quote, cuts = 0, "", []
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote and line[i - 1] != "\\" else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 1 and i > opening and line[i + 1:i + 2] == " ":
            cuts.append(i + 1)
    pieces, start = [], 0
    for cut in cuts + [len(line)]:
        pieces.append(line[start:cut])
        start = cut + 1 if cut < len(line) else cut
    out, current = [], pieces[0]
    indent = " " * (opening + 1)
    for piece in pieces[1:]:
        if len(current) + 1 + len(piece) <= width:
            current += " " + piece
        else:
            out.append(current)
            current = indent + piece
    return out + [current]


def _call(name: str, args: dict[str, Any], symbols: tuple[str, ...]) -> str:
    parts = [f"{k}={_python(v, 'layers.', symbols)}" for k, v in args.items() if k != "inputs"]
    if name:
        parts.append(f"name={quoted(name)}")
    return ", ".join(parts)


def _identifier(name: str, taken: dict[str, str]) -> str:
    var = re.sub(r"\W", "_", name) or "x"
    if var[0].isdigit():
        var = "_" + var
    base, n = var, 1
    while var in taken.values():
        n += 1
        var = f"{base}_{n}"
    taken[name] = var
    return var
