"""Keras model JSON (``model.to_json()``, and ``config.json`` of a ``.keras`` archive).

Both formats are read:

- Keras 3: each layer has ``inbound_nodes: [{"args": [...], "kwargs": {...}}]`` (one entry per
  call) whose tensors are ``{"class_name": "__keras_tensor__", "config": {"shape": [...],
  "keras_history": [layer, node_index, tensor_index]}}``; inputs have ``batch_shape``.
- Keras 2 / tf.keras: ``inbound_nodes: [[[layer, node_index, tensor_index, {kwargs}], ...]]``;
  inputs and first layers have ``batch_input_shape``.

A layer called several times (a shared layer) becomes one node per call; the calls after the first
are named ``NAME[k]`` and share the first call's weights (counted once). A further output ``t`` of
call ``k`` is referenced as ``NAME[k][t]``. A nested Sequential or Functional model is one node,
as in Keras's summary, whose weights are the nested model's totals; the nested model itself
(``node.layer.model``) keeps the derivation of its layers. Nothing in the JSON is ever run:
Lambda functions stay marshalled bytes, and unknown classes are refused.
"""
from __future__ import annotations

import dataclasses
import heapq
import json
from typing import Any, Iterator, Sequence

from ..errors import ExplainError
from ..layers.base import ArgContext, Layer, Shape, _init_fields
from ..layers.registry import lookup
from ..model import GraphBuilder, Model, Node, check_layer_count

MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})
OP_CLASSES = frozenset({"TFOpLambda", "SlicingOpLambda", "TensorFlowOpLayer"})
MAX_NESTING = 32

Ref = tuple[str, int, int]


def load_keras_json(parsed: Any, path: str | None) -> Model:
    """A model from parsed Keras model JSON (Keras 3 or Keras 2 / tf.keras)."""
    try:
        if not isinstance(parsed, dict):
            raise ExplainError("is not Keras model JSON: expected an object with 'class_name' and "
                               f"'config'. Received: {_short(parsed)}")
        return _Reader(path).model(parsed, None, depth=0)
    except ExplainError as e:
        raise e.located(file=path) from None
    except RecursionError:
        raise ExplainError("is nested too deeply", file=path) from None


def layer_from_config(class_name: str, config: dict, module: Any = None,
                      registered_name: Any = None, built: dict | None = None) -> Layer:
    """The library's layer for one Keras layer entry (no graph, no nested models). ``built``:
    the layers already made while reading this file, by type and arguments (ResNet152's 516
    layers have 24 distinct configurations): a layer is immutable, so one with the same type and
    arguments (written alike) is the same layer, checked once."""
    if _is_custom(module, registered_name) and class_name not in ("Custom", "Opaque"):
        raise _unknown(class_name, module)
    if (isinstance(module, str) and module.startswith("keras.src.ops")) or class_name in OP_CLASSES:
        from ..layers.custom import Operation  # only for a model with operations (≈ 5 ms to import)
        op = config.get("function") if class_name in OP_CLASSES else class_name
        return Operation(op=str(op or class_name), trainable=config.get("trainable", True) is not False)
    try:
        cls = lookup(class_name)
    except ExplainError:
        raise _unknown(class_name, module) from None
    args = _arguments(cls, _keras2(class_name, config))
    if built is None:
        return cls.from_args(args, ArgContext())
    try:
        key = (cls, json.dumps(args))  # JSON tells true from 1 and 1.0 from 1, as from_args does
    except (TypeError, ValueError):  # a wrapped layer, already a Layer
        return cls.from_args(args, ArgContext())
    layer = built.get(key)
    if layer is None:
        layer = built[key] = cls.from_args(args, ArgContext())
    return layer


def _keras2(class_name: str, config: dict) -> dict:
    """Keras 2 / tf.keras spellings that Keras 3 writes otherwise."""
    axis = config.get("axis")
    if class_name == "BatchNormalization" and isinstance(axis, list) and len(axis) == 1:
        return {**config, "axis": axis[0]}  # tf.keras saves BatchNormalization's axis as [3]
    return config


def _is_custom(module: Any, registered_name: Any) -> bool:
    if isinstance(registered_name, str) and ">" in registered_name:
        return True
    if module is None:
        return False
    return not (isinstance(module, str) and module.split(".")[0] in ("keras", "tf_keras", "tensorflow"))


def _unknown(class_name: str, module: Any) -> ExplainError:
    where = f" (module {module})" if isinstance(module, str) and module else ""
    if _is_custom(module, None) or not isinstance(module, str):
        problem = (f"unknown layer class '{class_name}'{where}: explain never runs a model's code, so "
                   f"it cannot know this class's weights")
    else:
        problem = f"explain has no formula for the Keras layer '{class_name}' yet"
    return ExplainError(
        f"{problem}. Declare its weights: change the entry's \"class_name\" to \"Custom\" "
        f"and put \"params\": N (trainable; \"non_trainable_params\": M if any) and \"output_shape\": "
        f"[...] (without the batch axis) in its \"config\", or use a spec with "
        f"Custom: {{params: N, output_shape: [...]}} in its place, or call explain.from_keras(model) "
        f"on the live model, which counts its weights from its tensors")


_COUNTING_ARGS = frozenset({"lora_rank"})
"""Arguments that change a count wherever Keras takes them."""


def _arguments(cls: type[Layer], config: dict) -> dict:
    """The config's arguments that the layer type declares (those it ignores knowingly,
    IGNORED_ARGS, are left out here: ``from_args`` would drop them)."""
    fields = _init_fields(cls)  # read once per type, not once per layer (ResNet152 has 516)
    stated_shape = "output_shape_" in fields
    args = {}
    for key, value in config.items():
        if key in ("layer", "backward_layer") and isinstance(value, dict) and "class_name" in value:
            value = _wrapped_layer(value)
        if key in fields or (stated_shape and key == "output_shape") or (key in _COUNTING_ARGS and value):
            args[key] = value  # a counting argument the type lacks is refused, never dropped
    return args


def _wrapped_layer(entry: dict) -> Layer:
    """The layer inside a wrapper (TimeDistributed, Bidirectional)."""
    class_name, config = entry.get("class_name"), entry.get("config", {})
    if not isinstance(class_name, str) or not isinstance(config, dict):
        raise ExplainError(f"a wrapped layer must have 'class_name' and 'config'. Received: {_short(entry)}")
    if class_name in MODEL_CLASSES:
        raise ExplainError(f"a {class_name} model inside a wrapper is not supported")
    return layer_from_config(class_name, config, entry.get("module"), entry.get("registered_name"))


# ----------------------------------------------------------------------------- the graph

class _Reader:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self.outputs: dict[int, list[Shape]] = {}
        """The output shapes of each model read, by id (for nested models)."""
        self.built: dict[tuple[type[Layer], str], Layer] = {}
        """The layers made so far, by type and arguments (see ``layer_from_config``)."""
        self.layers_read = 0
        """Layer entries of every model read, nested ones included (bounded as one model's)."""

    def model(self, entry: dict, call_shapes: Sequence[Shape] | None, depth: int,
              name: str | None = None) -> Model:
        """A (possibly nested) model; ``call_shapes`` are the shapes it is called on, if nested."""
        if depth > MAX_NESTING:
            raise ExplainError(f"models are nested more than {MAX_NESTING} levels deep")
        class_name, config = entry.get("class_name"), entry.get("config")
        if not isinstance(class_name, str) or class_name not in MODEL_CLASSES:
            if isinstance(class_name, str) and isinstance(config, dict) and "layers" not in config:
                raise ExplainError(
                    f"is the JSON of a '{class_name}' model, a subclassed model whose layers are made "
                    f"in Python code that the JSON does not contain; call explain.from_keras(model) "
                    f"on the built model, or describe it as a spec")
            raise ExplainError("is not Keras model JSON: expected 'class_name' Sequential, Functional "
                               f"or Model. Received: class_name={_short(class_name)}")
        if isinstance(config, list):  # Keras 2.0–2.2 Sequential: the config is the list of layers
            config = {"layers": config}
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ExplainError(f"the {class_name} model's 'config' must have a list of 'layers'. "
                               f"Received: config={_short(config)}")
        layers = config["layers"]
        self.layers_read += sum(not (isinstance(e, dict) and e.get("class_name") == "InputLayer") for e in layers)
        check_layer_count(self.layers_read)
        model_name = name or config.get("name") or class_name.lower()
        if not isinstance(model_name, str):
            raise ExplainError(f"the model's 'name' must be text. Received: name={_short(model_name)}")
        builder = GraphBuilder(model_name, "keras", source=self.path)
        functional = class_name != "Sequential" or any(
            isinstance(e, dict) and e.get("inbound_nodes") for e in layers)
        outputs = None
        if functional:
            outputs = self._functional(builder, config, call_shapes, depth)
        else:
            self._sequential(builder, config, call_shapes, depth)
        model = builder.build()
        if class_name != "Sequential":  # a functional model's layers and summary list its InputLayers
            model.details["input_layers_listed"] = True
        self.outputs[id(model)] = outputs or _outputs(model)
        return model

    # -- Sequential ---------------------------------------------------------------------
    def _sequential(self, builder: GraphBuilder, config: dict, call_shapes: Sequence[Shape] | None,
                    depth: int) -> None:
        entries = [_entry(e, i) for i, e in enumerate(config["layers"], 1)]
        input_name, shape = "input", None
        if entries and entries[0][0] == "InputLayer":
            _, cfg, _, _ = entries[0]
            stated = cfg.get("name")
            input_name = stated if isinstance(stated, str) else input_name
            shape = _input_shape(cfg)
            entries = entries[1:]
        if shape is None:
            shape = _shape_of(config.get("build_input_shape"), batch=True)
        if shape is None and entries:
            cfg, build = entries[0][1], entries[0][3]
            shape = _input_shape(cfg)
            if shape is None and isinstance(build, dict):
                shape = _shape_of(build.get("input_shape"), batch=True)
        if call_shapes is not None:
            if len(call_shapes) != 1:
                raise ExplainError(f"a nested Sequential model takes one input. Received: "
                                   f"{len(call_shapes)} inputs")
            shape = call_shapes[0]
        if shape is None:
            raise ExplainError("the Sequential model has no input shape (it was never built): give its "
                               "first layer input_shape, or start it with keras.Input(shape=...)")
        builder.add_input(input_name, shape)
        if not entries:
            raise ExplainError("the model has no layers")
        for i, (class_name, cfg, raw, _) in enumerate(entries):
            layer_name = _layer_name(raw, cfg, f"#{i + 1} ({class_name})")
            recorded = None
            if i + 1 < len(entries) and isinstance(entries[i + 1][3], dict):
                recorded = _shape_of(entries[i + 1][3].get("input_shape"), batch=True)
            prev = builder.model.nodes[-1].output_shape if builder.model.nodes else shape
            self._add(builder, layer_name, raw, [prev], None, None, recorded, depth)

    # -- Functional ---------------------------------------------------------------------
    def _functional(self, builder: GraphBuilder, config: dict, call_shapes: Sequence[Shape] | None,
                    depth: int) -> list[Shape] | None:
        """Reads the calls in dependency order; returns the shapes of 'output_layers'."""
        calls: list[tuple[str, int, dict, list[Ref]]] = []
        recorded: dict[Ref, Shape] = {}
        inputs: list[tuple[str, dict]] = []
        entries: dict[str, dict] = {}
        for i, raw in enumerate(config["layers"], 1):
            class_name, cfg, raw, build = _entry(raw, i)
            layer_name = _layer_name(raw, cfg, f"#{i} ({class_name})")
            if layer_name in entries:
                raise ExplainError(f"the layer name '{layer_name}' is used twice")
            entries[layer_name] = raw
            nodes = raw.get("inbound_nodes", [])
            if not isinstance(nodes, list):
                raise ExplainError(f"'inbound_nodes' must be a list. Received: {_short(nodes)}",
                                   layer=layer_name)
            if class_name == "InputLayer" or not nodes:
                if class_name != "InputLayer":
                    raise ExplainError("the layer is never called (it has no inbound nodes)",
                                       layer=layer_name)
                inputs.append((layer_name, cfg))
                continue
            for k, node in enumerate(nodes):
                refs = list(_node_refs(node, layer_name, recorded, build if len(nodes) == 1 else None))
                calls.append((layer_name, k, raw, refs))

        order = self._input_order(config, [n for n, _ in inputs])
        if call_shapes is not None and len(call_shapes) != len(order):
            raise ExplainError(f"the nested model has {len(order)} inputs but is called on "
                               f"{len(call_shapes)} tensors")
        for j, input_name in enumerate(order):
            cfg = dict(inputs)[input_name]
            shape = call_shapes[j] if call_shapes is not None else _input_shape(cfg)
            if shape is None:
                raise ExplainError(f"the input '{input_name}' has no shape")
            builder.add_input(input_name, shape)

        graph = _Graph(builder)
        for input_name in order:
            graph.names[(input_name, 0)] = input_name
        # Kahn's algorithm, taking the earliest ready call first (the file's order where it can)
        deps: list[set[tuple[str, int]]] = []
        waiters: dict[tuple[str, int], list[int]] = {}
        ready: list[int] = []
        for c, (layer_name, k, _, refs) in enumerate(calls):
            need = {(r[0], r[1]) for r in refs if (r[0], r[1]) not in graph.names}
            if k > 0:
                need.add((layer_name, 0))  # a later call shares the first call's weights
            deps.append(need)
            for d in need:
                waiters.setdefault(d, []).append(c)
            if not need:
                heapq.heappush(ready, c)
        done = 0
        while ready:
            c = heapq.heappop(ready)
            layer_name, k, raw, refs = calls[c]
            names = [graph.ref(r, recorded) for r in refs]
            node_name = layer_name if k == 0 else f"{layer_name}[{k}]"
            graph.nodes[node_name] = self._add(builder, node_name, raw, [graph.shape(n) for n in names],
                                               names, layer_name if k > 0 else None,
                                               recorded.get((layer_name, k, 0)), depth)
            graph.names[(layer_name, k)] = node_name
            done += 1
            for w in waiters.pop((layer_name, k), ()):
                deps[w].discard((layer_name, k))
                if not deps[w]:
                    heapq.heappush(ready, w)
        if done < len(calls):
            raise _unreached(calls, deps, graph, entries)
        outputs = []
        for name, k, t in _ref_list(config.get("output_layers")):
            if (name, k) not in graph.names:  # Keras sometimes numbers a nested model's call oddly
                last = max((c for (n, c) in graph.names if n == name), default=None)
                if last is None:
                    return None
                k = last
            try:
                outputs.append(graph.shape(graph.ref((name, k, t), recorded)))
            except ExplainError:
                return None
        return outputs or None

    def _input_order(self, config: dict, names: list[str]) -> list[str]:
        """The model's inputs in the order of 'input_layers' (then any others)."""
        listed = []
        for ref in _ref_list(config.get("input_layers")):
            if ref[0] in names and ref[0] not in listed:
                listed.append(ref[0])
        return listed + [n for n in names if n not in listed]

    # -- one call of one layer ----------------------------------------------------------
    def _add(self, builder: GraphBuilder, node_name: str, raw: dict, shapes: list[Shape],
             names: list[str] | None, shares: str | None, recorded: Shape | None,
             depth: int) -> Node:
        """``recorded``: the output shape the JSON records for this call (a later call's input),
        which a layer whose type lets it state its output shape takes."""
        class_name, config = raw["class_name"], raw.get("config") or {}
        try:
            layer: Layer
            if class_name in MODEL_CLASSES:
                from ..layers.custom import submodel  # only for a nested model
                inner = self.model(raw, shapes, depth + 1, name=_layer_name(raw, config, node_name))
                outs = self.outputs[id(inner)]
                layer = submodel(class_name, inner, outs, config.get("trainable", True) is not False)
            else:
                layer = layer_from_config(class_name, config, raw.get("module"), raw.get("registered_name"),
                                          self.built)
                if hasattr(layer, "output_shape_") and layer.output_shape_ is None and recorded is not None:
                    stated: dict[str, Any] = {"output_shape_": tuple(recorded)}
                    layer = dataclasses.replace(layer, **stated)
        except ExplainError as e:
            raise e.located(layer=node_name) from None
        if shares is not None and not layer.weight_groups():
            shares = None
        return builder.add(node_name, layer, names, shares=shares)


class _Graph:
    """The state of one functional model being read: which node each (layer, call) became."""

    def __init__(self, builder: GraphBuilder) -> None:
        self.builder = builder
        self.names: dict[tuple[str, int], str] = {}
        self.nodes: dict[str, Node] = {}
        self.aliases: dict[str, Shape] = {}

    def shape(self, name: str) -> Shape:
        if name in self.nodes:
            return self.nodes[name].output_shape
        if name in self.aliases:
            return self.aliases[name]
        return self.builder.model.inputs[name]

    def ref(self, ref: Ref, recorded: dict[Ref, Shape]) -> str:
        """The builder name of tensor ``ref``: a node or input, or an alias for a further output."""
        layer_name, k, t = ref
        node_name = self.names[(layer_name, k)]
        if t == 0:
            return node_name
        alias = f"{layer_name}[{k}][{t}]"
        if alias not in self.aliases:
            node = self.nodes.get(node_name)
            outputs = node.output_shapes if node is not None else ()
            shape = outputs[t] if len(outputs) > t else recorded.get(ref)
            if shape is None:
                raise ExplainError(f"takes output {t} of '{layer_name}', whose shape explain does "
                                   f"not know (it is not recorded in the JSON)")
            self.builder.add_alias(alias, shape)
            self.aliases[alias] = tuple(shape)
        return alias


def _outputs(model: Model) -> list[Shape]:
    """A nested model's output shapes: its last node's outputs (Sequential), or the outputs of
    the nodes no other node takes as input (Functional), in order."""
    used = {ref for n in model.nodes for ref in n.inputs}
    ends = [n for n in model.nodes if n.name not in used]
    outs: list[Shape] = []
    for n in ends or model.nodes[-1:]:
        outs.extend(getattr(n, "outputs", (n.output_shape,)))
    return outs


def _entry(raw: Any, position: int) -> tuple[str, dict, dict, Any]:
    """(class_name, config, the entry, build_config) of one layer entry, checked."""
    if not isinstance(raw, dict):
        raise ExplainError(f"layer #{position} must be an object with 'class_name' and 'config'. "
                           f"Received: {_short(raw)}")
    class_name, config = raw.get("class_name"), raw.get("config")
    if not isinstance(class_name, str):
        raise ExplainError(f"layer #{position} has no 'class_name'. Received: {_short(raw)}")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ExplainError(f"the 'config' of layer #{position} ({class_name}) must be an object. "
                           f"Received: {_short(config)}")
    return class_name, config, raw, raw.get("build_config")


def _layer_name(raw: dict, config: dict, fallback: str) -> str:
    name = raw.get("name", config.get("name"))
    if name is None:
        return fallback
    if not isinstance(name, str) or not name:
        raise ExplainError(f"a layer's 'name' must be text. Received: name={_short(name)}")
    return name


def _input_shape(config: dict) -> Shape | None:
    """The input shape an InputLayer or a first layer declares (without the batch axis)."""
    for key in ("batch_shape", "batch_input_shape"):
        if config.get(key) is not None:
            return _shape_of(config[key], batch=True)
    for key in ("shape", "input_shape"):
        if config.get(key) is not None:
            return _shape_of(config[key], batch=False)
    if config.get("input_dim") is not None:
        return _shape_of([config["input_dim"]], batch=False)
    return None


def _shape_of(raw: Any, batch: bool) -> Shape | None:
    """A shape list (with or without the batch axis) → a shape without it; None if not a shape."""
    if not isinstance(raw, (list, tuple)):
        return None
    if not all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in raw):
        return None
    dims = list(raw[1:] if batch else raw)
    if not dims and batch:
        return ()
    if any(d is not None and d <= 0 for d in dims):
        raise ExplainError(f"a shape has a size that is not positive. Received: {list(raw)!r}")
    return tuple(dims)


def _is_tensor(v: Any) -> bool:
    return isinstance(v, dict) and v.get("class_name") == "__keras_tensor__"


def _node_refs(node: Any, layer_name: str, recorded: dict[Ref, Shape], build: Any) -> Iterator[Ref]:
    """The tensors one call takes, in order; records their shapes where the JSON gives them."""
    if isinstance(node, dict):  # Keras 3
        args, kwargs = node.get("args", []), node.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise ExplainError(f"an inbound node must have 'args' (a list) and 'kwargs' (an object). "
                               f"Received: {_short(node)}", layer=layer_name)
        found = list(_tensors(args))
        for key in sorted(kwargs, key=_kwarg_order):
            _no_constants(key, any(True for _ in _tensors([kwargs[key]])), layer_name)
            if "mask" not in key:  # a mask has no weights and changes no shape
                found.extend(_tensors([kwargs[key]]))
        for t in found:
            history = t.get("config", {}).get("keras_history") if isinstance(t.get("config"), dict) else None
            ref = _ref_of(history, layer_name)
            shape = _shape_of(t["config"].get("shape"), batch=True)
            if shape is not None:
                recorded.setdefault(ref, shape)
            yield ref
        return
    if isinstance(node, list):  # Keras 2: [[name, node_index, tensor_index, {kwargs}], ...]
        refs = []
        for item in node:
            refs.append(_ref_of(item[:3] if isinstance(item, list) else item, layer_name))
            kw = item[3] if isinstance(item, list) and len(item) > 3 else None
            if isinstance(kw, dict):
                for key in sorted(kw, key=_kwarg_order):
                    v = kw[key]
                    many = [r for r in v if _is_ref_list(r)] if isinstance(v, list) and not _is_ref_list(v) else []
                    _no_constants(key, _is_ref_list(v) or bool(many), layer_name)
                    if "mask" in key:
                        continue
                    if _is_ref_list(v):
                        refs.append(_ref_of(v[:3], layer_name))
                    for r in many:  # initial_state=[h, c]
                        refs.append(_ref_of(r[:3], layer_name))
        shapes = None
        if isinstance(build, dict):
            raw = build.get("input_shape")
            if len(refs) == 1:
                shapes = [_shape_of(raw, batch=True)]
            elif isinstance(raw, list) and len(raw) == len(refs):
                shapes = [_shape_of(s, batch=True) for s in raw]
        for j, ref in enumerate(refs):
            shape = shapes[j] if shapes is not None else None
            if shape is not None:
                recorded.setdefault(ref, shape)
            yield ref
        return
    raise ExplainError(f"an inbound node must be an object (Keras 3) or a list (Keras 2). "
                       f"Received: {_short(node)}", layer=layer_name)


def _no_constants(key: str, has_tensors: bool, layer_name: str) -> None:
    """Keras's built-in recurrent cells take no ``constants``; only a custom cell does."""
    if key == "constants" and has_tensors:
        raise ExplainError("is called with 'constants', which only a custom recurrent cell takes; "
                           "explain never runs a cell's code, so it cannot know its weights",
                           layer=layer_name)


def _kwarg_order(key: str) -> int:
    order = ("inputs", "query", "value", "key")
    return order.index(key) if key in order else len(order)


def _tensors(value: Any) -> Iterator[dict]:
    if _is_tensor(value):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors(v)


def _is_ref_list(v: Any) -> bool:
    return (isinstance(v, list) and len(v) >= 3 and isinstance(v[0], str)
            and isinstance(v[1], int) and isinstance(v[2], int)
            and not isinstance(v[1], bool) and not isinstance(v[2], bool) and v[1] >= 0 and v[2] >= 0)


def _ref_of(history: Any, layer_name: str) -> Ref:
    if not _is_ref_list(history) or history[1] < 0 or history[2] < 0:
        raise ExplainError(f"an input reference must be [layer, node_index, tensor_index]. "
                           f"Received: {_short(history)}", layer=layer_name)
    return (history[0], history[1], history[2])


def _ref_list(raw: Any) -> list[Ref]:
    """input_layers / output_layers: [name, n, t] (one, Keras 3) or a list of them."""
    if _is_ref_list(raw):
        return [(raw[0], raw[1], raw[2])]
    if isinstance(raw, list):
        return [(r[0], r[1], r[2]) for r in raw if _is_ref_list(r)]
    return []


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _unreached(calls: list, deps: list[set], graph: _Graph, entries: dict) -> ExplainError:
    """Why the first call left waiting could not be made: its input is missing, not called
    that often, or waits on the call itself (a cycle)."""
    c = next(i for i, d in enumerate(deps) if d)
    layer_name, k, _, refs = calls[c]
    missing = next((r for r in refs if (r[0], r[1]) not in graph.names), (layer_name, 0, 0))
    calls_made = {(n, j) for n, j, _, _ in calls}
    if missing[0] not in entries:
        what = "is not a layer of the model"
    elif (missing[0], missing[1]) in calls_made:
        what = "depends on this layer in turn: the layers form a cycle"
    else:
        what = f"has no call number {missing[1]}"
    return ExplainError(f"its input '{missing[0]}' {what}", layer=layer_name)
