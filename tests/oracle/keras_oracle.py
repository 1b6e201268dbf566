"""Ground truth from Keras 3: build the real model a spec describes and report Keras's figures.

Independent of the ``explain`` package on purpose (tests compare explain's output to this), so it
reads spec dicts itself. The spec helpers here (symbol substitution, loading) are shared with
``torch_oracle``. Keras is imported lazily, with the torch backend unless KERAS_BACKEND says
otherwise.

    python -m tests.oracle.keras_oracle SPEC.yaml     # prints the figures as JSON
"""

from __future__ import annotations

import ast
import importlib
import json
import math
import operator
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

Number = int | float
Figures = dict[str, Any]

#: Argument keys of a spec layer that are references, never arithmetic.
RESERVED_KEYS = frozenset({"name", "inputs", "shares"})

#: Keras layer arguments that hold a wrapped layer as a one-key mapping.
_WRAPPED_LAYER_KEYS = frozenset({"layer", "backward_layer", "cell", "cells"})

#: Layers whose list of inputs is passed positionally: ``layer(query, value[, key])``.
_POSITIONAL_INPUTS = frozenset({"MultiHeadAttention", "GroupQueryAttention"})

_MAX_EXPONENT = 256


def _divide(a: Number, b: Number) -> Number:
    """True division that stays an int when it is exact (``units: d/2``)."""
    if isinstance(a, int) and isinstance(b, int) and b != 0 and a % b == 0:
        return a // b
    return a / b


def _power(a: Number, b: Number) -> Number:
    """Exponentiation with a bound on the exponent, so a spec cannot stall the tests."""
    if abs(b) > _MAX_EXPONENT:
        raise ValueError(f"exponent too large: {b}")
    return a**b


_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: _divide,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: _power,
}
_UNARY: dict[type[ast.unaryop], Callable[[Number], Number]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}


def evaluate(text: str, symbols: Mapping[str, Number]) -> Number:
    """Value of an arithmetic expression of numbers and ``symbols`` (``4*d``, ``(H - 2)//2``).

    Only numbers, declared names, ``+ - * / // **`` and parentheses are allowed; anything else
    raises ValueError. Walks the ``ast``; never calls ``eval``.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ValueError(f"not an arithmetic expression: {text!r}") from error
    return _evaluate_node(tree.body, symbols)


def _evaluate_node(node: ast.expr, symbols: Mapping[str, Number]) -> Number:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    if isinstance(node, ast.Name):
        if node.id not in symbols:
            raise ValueError(f"undeclared symbol: {node.id!r}")
        return symbols[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left = _evaluate_node(node.left, symbols)
        right = _evaluate_node(node.right, symbols)
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate_node(node.operand, symbols))
    raise ValueError(f"not an arithmetic expression: {ast.unparse(node)!r}")


def resolve_symbols(declared: Mapping[str, Any]) -> dict[str, Number]:
    """Numeric values of a spec's ``symbols``; a value may be an expression of other symbols."""
    resolved: dict[str, Number] = {}
    pending = dict(declared)
    while pending:
        progress = False
        for name, value in list(pending.items()):
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise TypeError(f"symbol {name!r} is not a number: {value!r}")
            try:
                resolved[name] = evaluate(value, resolved) if isinstance(value, str) else value
            except ValueError:
                continue  # refers to a symbol not resolved yet
            del pending[name]
            progress = True
        if not progress:
            raise ValueError(f"cannot resolve symbols: {', '.join(sorted(pending))}")
    return resolved


def substitute(value: Any, symbols: Mapping[str, Number]) -> Any:
    """``value`` with every string that is an arithmetic expression of ``symbols`` evaluated.

    Other strings (``relu``, ``same``) stay as they are, and so do the values of reserved keys
    (``name``, ``inputs``), which are references.
    """
    if isinstance(value, Mapping):
        return {
            key: item if key in RESERVED_KEYS else substitute(item, symbols)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [substitute(item, symbols) for item in value]
    if isinstance(value, str):
        try:
            return evaluate(value, symbols)
        except ValueError:
            return value
    return value


def apply_symbols(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``spec`` with its declared ``symbols`` substituted everywhere."""
    symbols = resolve_symbols(spec.get("symbols") or {})
    return {
        key: value if key in ("name", "symbols") else substitute(value, symbols)
        for key, value in spec.items()
    }


def one_key(item: Any) -> tuple[str, dict[str, Any]]:
    """Split a spec layer ``{ClassName: {args}}`` into its class name and a copy of its args."""
    if not isinstance(item, Mapping) or len(item) != 1:
        raise ValueError(f"a layer must be a one-key mapping ClassName -> args, got {item!r}")
    ((type_name, args),) = item.items()
    if args is not None and not isinstance(args, Mapping):
        raise ValueError(f"arguments of {type_name} must be a mapping, got {args!r}")
    return str(type_name), dict(args or {})


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON spec file."""
    import yaml

    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(spec, dict):
        raise TypeError(f"{path}: a spec must be a mapping")
    return spec


def _import_keras() -> ModuleType:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return importlib.import_module("keras")


def _make_layer(keras: ModuleType, type_name: str, args: Mapping[str, Any]) -> Any:
    """Construct ``keras.layers.<type_name>(**args)``, building wrapped layers first."""
    cls = getattr(keras.layers, type_name, None)
    if cls is None:
        raise ValueError(f"unknown Keras layer: {type_name!r}")
    kwargs = {key: _wrapped(keras, value) if key in _WRAPPED_LAYER_KEYS else value
              for key, value in args.items()}
    return cls(**kwargs)


def _wrapped(keras: ModuleType, value: Any) -> Any:
    """A wrapped layer (or an RNN's list of cells) from its one-key mapping(s)."""
    if isinstance(value, list):
        return [_wrapped(keras, item) for item in value]
    return _make_layer(keras, *one_key(value))


def _first(outputs: Any) -> Any:
    """The first output of a layer that returns several, else the output itself."""
    return outputs[0] if isinstance(outputs, (list, tuple)) else outputs


def _lookup(tensors: Mapping[str, Any], ref: str, type_name: str) -> Any:
    """The (first) output of the model input or earlier layer named ``ref``; ``NAME[k]`` is
    output k of a layer with several (an RNN's states with ``return_state``)."""
    if ref not in tensors and ref.endswith("]") and "[" in ref:
        base, _, index = ref[:-1].rpartition("[")
        if base in tensors and index.isdigit() and isinstance(tensors[base], (list, tuple)):
            return tensors[base][int(index)]
    if ref not in tensors:
        raise ValueError(f"{type_name}: no model input or earlier layer named {ref!r}")
    return _first(tensors[ref])


def _shape(outputs: Any) -> list[Any]:
    """Output shape as a list (``None`` for the batch); a list of such lists for several outputs."""
    if isinstance(outputs, (list, tuple)):
        return [_shape(output) for output in outputs]
    return [None if dim is None else int(dim) for dim in outputs.shape]


def _size(weights: Sequence[Any]) -> int:
    return sum(math.prod(int(dim) for dim in weight.shape) for weight in weights)


def keras_figures(spec: Mapping[str, Any]) -> Figures:
    """Totals and per-layer figures of the real Keras model that ``spec`` describes.

    Layers come in spec order (no InputLayer), each with its name, class name, output shape,
    ``count_params()`` and the sizes of its trainable and non-trainable weights. Totals are the
    model's, so shared weights count once. A layer with ``shares: OTHER`` (and no other arguments
    than ``name`` and ``inputs``) calls the layer object OTHER again; its row carries its own name. Clears the Keras session first, so automatic names
    start afresh (``conv2d``, ``conv2d_1``, …) as in a new process.
    """
    spec = apply_symbols(spec)
    if spec.get("framework", "keras") != "keras":
        raise ValueError(f"not a Keras spec: framework={spec['framework']!r}")
    keras = _import_keras()
    keras.backend.clear_session()

    if "inputs" in spec:
        tensors: dict[str, Any] = {
            name: keras.Input(shape=tuple(shape), name=name)
            for name, shape in spec["inputs"].items()
        }
        model_inputs = list(tensors.values())
    else:
        model_inputs = [keras.Input(shape=tuple(spec["input"]))]
        tensors = {"input": model_inputs[0]}
    previous: Any = model_inputs[0] if len(model_inputs) == 1 else None

    built: list[tuple[Any, Any]] = []
    consumed: set[int] = set()
    by_name: dict[str, Any] = {}
    row_names: list[str] = []
    for item in spec["layers"]:
        type_name, args = one_key(item)
        refs = args.pop("inputs", None)
        shares = args.pop("shares", None)
        if shares is not None:
            # A shared layer: the earlier layer object called again (same weights).
            own_name = args.pop("name", None)
            if args:
                raise ValueError(f"{type_name}: a shared layer takes no arguments besides name/inputs")
            layer = by_name[shares]
            if own_name is not None:
                by_name[own_name] = layer
        else:
            layer = _make_layer(keras, type_name, args)
            own_name = layer.name
            by_name[layer.name] = layer
        if refs is None:
            if previous is None:
                raise ValueError(f"{type_name}: name its `inputs` (the model has several)")
            x = previous
        elif isinstance(refs, str) or len(refs) == 1:
            x = _lookup(tensors, refs if isinstance(refs, str) else refs[0], type_name)
        else:
            x = [_lookup(tensors, ref, type_name) for ref in refs]
        consumed.update(id(tensor) for tensor in (x if isinstance(x, list) else [x]))
        positional = isinstance(x, list) and (type(layer).__name__ in _POSITIONAL_INPUTS
                                              or type_name in _POSITIONAL_INPUTS)
        outputs = layer(*x) if positional else layer(x)
        tensors[own_name] = outputs
        previous = _first(outputs)
        built.append((layer, outputs))
        row_names.append(own_name)

    # Every layer no later layer reads is a model output, so the model holds all layers.
    sinks = [_first(out) for _, out in built if id(_first(out)) not in consumed]
    model = keras.Model(inputs=model_inputs, outputs=sinks)
    return {
        "total": int(model.count_params()),
        "trainable": _size(model.trainable_weights),
        "non_trainable": _size(model.non_trainable_weights),
        "layers": [
            {
                "name": row_name,
                "type": type(layer).__name__,
                "output_shape": _shape(outputs),
                "params": int(layer.count_params()),
                "trainable": _size(layer.trainable_weights),
                "non_trainable": _size(layer.non_trainable_weights),
            }
            for (layer, outputs), row_name in zip(built, row_names)
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the figures of the spec file named by the only argument as JSON."""
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: python -m tests.oracle.keras_oracle SPEC.yaml", file=sys.stderr)
        return 2
    print(json.dumps(keras_figures(load_spec(args[0])), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
