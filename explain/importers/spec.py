"""Model spec files (SPEC.md section 2): YAML or JSON, Keras 3 or torch.nn vocabulary.

Shared and tied weights: the reserved key ``shares: OTHER`` (beside ``name`` and ``inputs``) says
that a layer uses the weights of the earlier layer ``OTHER``, which are counted once, there.

- Same type, no other arguments: ``OTHER`` applied again (a Keras shared layer, a siamese
  branch): ``- Dense: {shares: encoder, inputs: right}``. Every weight group is shared.
- Same type with arguments: they must give the same weight groups and sizes.
- Another type: a tied matrix, e.g. an LM head tied to the token embedding,
  ``- Dense: {units: 50257, use_bias: false, shares: wte}`` or, for PyTorch,
  ``- Linear: {in_features: 768, out_features: 50257, bias: false, shares: wte}``. The layer's
  first weight group (kernel, weight) is the other layer's first (embeddings, weight); other
  groups (a bias) are its own.

The input must fit the shared weights: sizes that differ are an error naming the layer. The JSON
output gives ``shares_weights_with: OTHER`` and ``tied_weights: {group: OTHER's group}``.
"""
from __future__ import annotations

import keyword
import re
from typing import Any, Mapping

import sympy

from ..errors import ExplainError
from ..layers.base import ArgContext, Layer, Shape
from ..layers.registry import lookup, make_from_mapping
from ..model import GraphBuilder, Model, check_layer_count
from ..naming import AutoNames
from ..symbols import sym

FORMULA_FUNCTIONS = frozenset({"floor", "ceiling", "Max", "Min", "Mod", "Abs", "Piecewise"})
"""Functions a printed formula (``total_formula``) may contain: a symbol of that name would not
read back. Any other identifier is a plain symbol (``N``, ``E``, ``I``, ``pi``, ``lambda_``): user
text is read with :mod:`ast` (``explain.arith``) and never reaches sympy's parser."""
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def declare_symbols(raw: Any, overrides: Mapping[str, int] | None) -> dict[str, sympy.Symbol]:
    """The spec's ``symbols`` mapping name → value, with ``--set`` overrides applied."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ExplainError(f"'symbols' must map names to whole numbers. Received: {raw!r}")
    values: dict[str, int] = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not _IDENT.match(name) or keyword.iskeyword(name):
            hint = f" (such as '{name}_')" if isinstance(name, str) and keyword.iskeyword(name) else ""
            raise ExplainError(f"symbol names must be identifiers that are not Python keywords{hint}. "
                               f"Received: {name!r}")
        if name in FORMULA_FUNCTIONS:
            raise ExplainError(f"symbol name '{name}' is a function that formulas use ({name}(…)), so "
                               f"formulas using it would not read back; choose another name, such as "
                               f"'{name}_'. Received: {name!r}")
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ExplainError(f"symbol '{name}' needs a positive whole number. Received: {name}={value!r}")
        values[name] = value
    for name, value in (overrides or {}).items():
        if name not in values:
            declared = ", ".join(values) or "none"
            raise ExplainError(f"--set {name}=…: '{name}' is not a declared symbol (declared: {declared})")
        values[name] = value
    return values


def load_spec(spec: Any, file: str | None = None, overrides: Mapping[str, int] | None = None,
              default_name: str = "model") -> Model:
    """A model from a parsed spec (a dict)."""
    try:
        return _load(spec, file, overrides, default_name)
    except ExplainError as e:
        raise e.located(file=file) from None


def _load(spec: Any, file: str | None, overrides: Mapping[str, int] | None, default_name: str) -> Model:
    if spec is None:
        raise ExplainError("is empty")
    if not isinstance(spec, dict):
        raise ExplainError("must be a mapping with 'input' (or 'inputs') and 'layers'")
    unknown = set(spec) - {"name", "framework", "symbols", "input", "inputs", "layers", "description"}
    if unknown:
        raise ExplainError(f"unknown top-level key '{sorted(unknown, key=str)[0]}' "
                           "(known: name, framework, symbols, input, inputs, layers)")
    framework = spec.get("framework", "keras")
    if framework in ("torch",):
        framework = "pytorch"
    if framework not in ("keras", "pytorch"):
        raise ExplainError(f"'framework' must be keras or pytorch. Received: framework={framework!r}")
    name = spec.get("name", default_name)
    if not isinstance(name, str):
        raise ExplainError(f"'name' must be text. Received: name={name!r}")

    values = declare_symbols(spec.get("symbols"), overrides)
    symbols = {n: sym(n) for n in values}
    ctx = ArgContext(symbols, {symbols[n]: v for n, v in values.items()}, strict=True)
    builder = GraphBuilder(name, framework, ctx.values, source=file)

    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        raise ExplainError("'layers' must be a non-empty list")
    names = AutoNames(framework)
    if "input" not in spec and "inputs" not in spec and _is_input_layer(layers[0], framework):
        input_name, shape = _input_layer(layers[0], ctx, framework)
        builder.add_input(input_name, shape)
        names.reserve(input_name)
        layers = layers[1:]
    elif ("input" in spec) == ("inputs" in spec):
        raise ExplainError("give either 'input' (one input) or 'inputs' (named inputs), "
                           "or start 'layers' with an InputLayer")
    elif "input" in spec:
        builder.add_input("input", _shape(spec["input"], "input", ctx))
        names.reserve("input")
    else:
        inputs = spec["inputs"]
        if not isinstance(inputs, dict) or not inputs:
            raise ExplainError("'inputs' must map input names to shapes, e.g. {img: [32, 32, 3]}")
        for input_name, shape in inputs.items():
            if not isinstance(input_name, str):
                raise ExplainError(f"input names must be text. Received: {input_name!r}")
            builder.add_input(input_name, _shape(shape, input_name, ctx))
            names.reserve(input_name)

    check_layer_count(len(layers))
    for item in layers:
        if isinstance(item, dict):
            for args in item.values():
                if isinstance(args, dict) and isinstance(args.get("name"), str):
                    names.reserve(args["name"])
    later = {args["name"] for item in layers if isinstance(item, dict)
             for args in item.values() if isinstance(args, dict) and isinstance(args.get("name"), str)}
    # named inputs or layers that name theirs: Keras's equivalent is a functional keras.Model,
    # whose model.layers and summary() list the InputLayers (a Sequential model's do not)
    functional = "inputs" in spec
    for position, item in enumerate(layers, 1):
        try:
            layer, reserved = _reused(item, builder, framework) or make_from_mapping(item, ctx, framework)
        except ExplainError as e:
            raise e.located(layer=_label(item, position)) from None
        layer_name = reserved.get("name")
        if framework == "keras" and "shares" not in reserved:
            _name_nested(layer, names, item)
        if layer_name is None:
            layer_name = names.next(layer.type_name)
        elif not isinstance(layer_name, str) or not layer_name:
            raise ExplainError(f"'name' must be text. Received: name={layer_name!r}",
                               layer=_label(item, position))
        refs = reserved.get("inputs")
        functional = functional or refs is not None
        if refs is None and not builder.model.nodes and len(builder.model.inputs) > 1:
            raise ExplainError(f"the model has several inputs ({', '.join(builder.model.inputs)}): "
                               "say which this layer takes with 'inputs'", layer=layer_name)
        if refs is not None:
            refs = [refs] if isinstance(refs, str) else refs
            if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
                raise ExplainError(f"'inputs' must be a name or a list of names. Received: {refs!r}",
                                   layer=layer_name)
            for ref in refs:
                if ref == layer_name:
                    raise ExplainError(f"takes its own output as input (a cycle). Received: inputs={ref!r}",
                                       layer=layer_name)
                if not builder.has(ref) and ref in later:
                    raise ExplainError(f"takes the output of '{ref}', which comes later in 'layers': "
                                       f"inputs must be model inputs or earlier layers (no cycles). "
                                       f"Received: inputs={ref!r}", layer=layer_name)
        for ref in refs or ():
            _further_output(builder, ref, layer_name)
            if not builder.has(ref):
                _unknown_input(builder, ref, layer_name)
        shares = reserved.get("shares")
        if shares is not None and not isinstance(shares, str):
            raise ExplainError(f"'shares' must name an earlier layer. Received: shares={shares!r}",
                               layer=layer_name)
        builder.add(layer_name, layer, refs, shares=shares)
    model = builder.build()
    if functional and framework == "keras":
        model.details["input_layers_listed"] = True
    return model


_OUTPUT_REF = re.compile(r"^(.+)\[([0-9]{1,9})\]$")


def _unknown_input(builder: GraphBuilder, ref: str, layer_name: str) -> None:
    known = list(builder.model.inputs) + [n.name for n in builder.model.nodes]
    import difflib  # only for an error's hint
    hint = difflib.get_close_matches(ref, known, n=1)
    suggestion = f" Did you mean '{hint[0]}'?" if hint else f" Known so far: {', '.join(known[-5:])}."
    raise ExplainError(f"input '{ref}' is not a model input or an earlier layer.{suggestion} "
                       f"Received: inputs={ref!r}", layer=layer_name)


def _further_output(builder: GraphBuilder, ref: str, layer_name: str) -> None:
    """``NAME[k]``: output k of a layer with several (0 is the first, what ``NAME`` means)."""
    match = _OUTPUT_REF.match(ref)
    if builder.has(ref) or not match:
        return
    try:
        node = builder.model.node(match.group(1))
    except KeyError:
        return  # the builder reports the unknown reference
    k = int(match.group(2))
    if k >= len(node.outputs):
        raise ExplainError(f"'{node.name}' has {len(node.outputs)} output(s), numbered from 0. "
                           f"Received: inputs={ref!r}", layer=layer_name)
    builder.add_alias(ref, node.outputs[k])


def _name_nested(layer: Layer, names: AutoNames, item: Any = None) -> None:
    """Keras names a wrapped layer too (the LSTM inside Bidirectional is ``lstm``), so a later
    top-level LSTM is ``lstm_1``: take those names before the wrapper's own. A wrapped layer
    given a ``name`` takes no automatic one. ``item`` is the spec's mapping for ``layer``."""
    args = next(iter(item.values()), None) if isinstance(item, dict) and len(item) == 1 else None
    for key, inner in (("layer", layer.wrapped()), ("backward_layer", getattr(layer, "backward_layer", None))):
        if isinstance(inner, Layer):
            raw = args.get(key) if isinstance(args, dict) else None
            _name_nested(inner, names, raw)
            raw_args = next(iter(raw.values()), None) if isinstance(raw, dict) and len(raw) == 1 else None
            explicit = raw_args.get("name") if isinstance(raw_args, dict) else None
            if isinstance(explicit, str):
                names.reserve(explicit)
            else:
                names.next(inner.type_name)


def _reused(item: Any, builder: GraphBuilder, framework: str) -> tuple[Layer, dict] | None:
    """``{Dense: {shares: d1, inputs: b}}`` with no arguments of its own: d1's layer, applied again."""
    if not isinstance(item, dict) or len(item) != 1:
        return None
    (type_name, args), = item.items()
    if not isinstance(args, dict) or not isinstance(args.get("shares"), str) \
            or set(args) - {"name", "inputs", "shares"}:
        return None
    try:
        owner = builder.model.node(args["shares"])
    except KeyError:
        return None
    if not isinstance(type_name, str) or lookup(type_name, framework) is not type(owner.layer):
        return None
    return owner.layer, dict(args)


def _is_input_layer(item: Any, framework: str) -> bool:
    return framework == "keras" and isinstance(item, dict) and len(item) == 1 and "InputLayer" in item


def _input_layer(item: dict, ctx: ArgContext, framework: str) -> tuple[str, Shape]:
    """A leading ``InputLayer: {shape: [...]}`` (as in keras.Sequential): the model input's name
    (Keras's default ``input_layer``) and shape."""
    from ..layers.core import InputLayer
    try:
        layer, reserved = make_from_mapping(item, ctx, framework)
        shape = layer.declared_shape() if isinstance(layer, InputLayer) else None
        if shape is None:
            raise ExplainError("needs 'shape' (the input shape without the batch axis)")
        name = reserved.get("name", "input_layer")
        if not isinstance(name, str) or not name:
            raise ExplainError(f"'name' must be text. Received: name={name!r}")
        return name, shape
    except ExplainError as e:
        raise e.located(layer=_label(item, 1)) from None


def _label(item: Any, position: int) -> str:
    """How to name a layer in an error before its name is known."""
    if isinstance(item, dict) and len(item) == 1:
        (type_name, args), = item.items()
        if isinstance(args, dict) and isinstance(args.get("name"), str) and args["name"]:
            return args["name"]
        return f"#{position} ({type_name})"
    return f"#{position}"


def _shape(raw: Any, name: str, ctx: ArgContext) -> Shape:
    if isinstance(raw, (int, str)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ExplainError(f"the shape of input '{name}' must be a list of sizes. Received: {raw!r}")
    shape: list[Any] = []
    for d in raw:
        if d is None:
            shape.append(None)
            continue
        v = ctx.number(f"{name} shape", d)
        n = ctx.numeric(v)
        if n is not None and n <= 0:
            raise ExplainError(f"input '{name}' has a size that is not positive. Received: {raw!r}")
        shape.append(v)
    return tuple(shape)
