"""A live Keras model (``explain.from_keras(model)``): its JSON, checked against its tensors.

The model's ``to_json()`` is read like a saved model JSON. Layers explain has no formula for
(custom classes) become ``Opaque`` nodes whose weights are counted from the layer's weight
tensors. The result is checked against Keras: every layer's count and the totals must equal
``layer.count_params()`` and ``model.count_params()``; a difference is reported, never hidden.
Keras itself is not imported: the model object is only asked for its JSON, layers and weights.
"""
from __future__ import annotations

import json
import math
from typing import Any

from ..errors import ExplainError
from ..layers.registry import lookup
from ..model import Model
from .keras_json import MODEL_CLASSES, OP_CLASSES, _is_custom, load_keras_json


def from_keras(keras_model: Any) -> Model:
    """The model, with every count checked against Keras's own."""
    if not all(hasattr(keras_model, a) for a in ("to_json", "count_params", "layers")):
        raise ExplainError(f"from_keras takes a Keras model. Received: {type(keras_model).__name__}")
    if not getattr(keras_model, "built", True):
        raise ExplainError("the Keras model is not built yet: call model.build(input_shape) or call it "
                           "on data first, so its weights exist")
    try:
        parsed = json.loads(keras_model.to_json())
    except Exception as e:  # a custom layer without get_config, …: Keras's own error, in one line
        raise ExplainError(f"Keras cannot describe the model as JSON ({type(e).__name__}: "
                           f"{str(e).splitlines()[0] if str(e) else ''})") from None
    if not isinstance(parsed.get("config"), dict) or "layers" not in parsed["config"]:
        raise ExplainError(f"'{type(keras_model).__name__}' is a subclassed model: its layers are "
                           f"connected in Python code, which explain does not run. Build it as a "
                           f"Sequential or functional model to see each layer's derivation "
                           f"(Keras counts {keras_model.count_params()} parameters)")
    _mark_opaque(parsed, keras_model)
    model = load_keras_json(parsed, None)
    model.source = f"keras:{getattr(keras_model, 'name', 'model')}"
    check(model, keras_model)
    return model


def _mark_opaque(entry: dict, live: Any) -> None:
    """Replace the entries of unknown layer classes by Opaque ones counted from their tensors."""
    for item in entry.get("config", {}).get("layers", []):
        if not isinstance(item, dict):
            continue
        name = item.get("name") or (item.get("config") or {}).get("name")
        class_name = item.get("class_name")
        if class_name == "InputLayer":
            continue
        layer = _get_layer(live, name)
        if class_name in MODEL_CLASSES:
            if layer is not None:
                _mark_opaque(item, layer)
            continue
        if class_name == "Lambda" and layer is not None and isinstance(item.get("config"), dict) \
                and not isinstance(item["config"].get("output_shape"), list):
            shape = _output_shape(layer)  # the live model knows what the function returned
            if shape is not None:
                item["config"]["output_shape"] = shape
            continue
        if _known(item) or layer is None:
            continue
        trainable, frozen = weights(layer)
        config = {"name": name, "class_name": class_name, "params": trainable,
                  "non_trainable_params": frozen}
        shape = _output_shape(layer)
        if shape is not None:
            config["output_shape"] = shape
        item.update({"class_name": "Opaque", "module": None, "registered_name": None, "config": config})


def _known(item: dict) -> bool:
    module, class_name = item.get("module"), item.get("class_name")
    if isinstance(module, str) and module.startswith("keras.src.ops") or class_name in OP_CLASSES:
        return True
    if _is_custom(module, item.get("registered_name")):
        return False
    if not isinstance(class_name, str):
        return False
    try:
        lookup(class_name)
    except ExplainError:
        return False
    return True


def _get_layer(live: Any, name: Any) -> Any:
    try:
        return live.get_layer(name)
    except Exception:
        return None


def weights(layer: Any) -> tuple[int, int]:
    """(trainable, non-trainable) element counts of a layer's weight tensors."""
    def size(ws: Any) -> int:
        return sum(math.prod(int(d) for d in w.shape) for w in ws)
    return size(layer.trainable_weights), size(layer.non_trainable_weights)


def _output_shape(layer: Any) -> list | None:
    try:
        out = layer.output
    except Exception:
        return None
    if isinstance(out, (list, tuple)):
        out = out[0] if out else None
    shape = getattr(out, "shape", None)
    if shape is None:
        return None
    dims = [None if d is None else int(d) for d in tuple(shape)[1:]]
    return dims or None


def check(model: Model, keras_model: Any) -> None:
    """Every layer's count and the totals equal Keras's; otherwise an error naming the difference."""
    for layer in keras_model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        try:
            node = model.node(layer.name)
        except KeyError:
            continue
        mine = (model.evaluate(node.trainable), model.evaluate(node.non_trainable))
        theirs = weights(layer)
        if mine != theirs:
            raise ExplainError(f"explain counts {mine[0]} trainable and {mine[1]} non-trainable "
                               f"weights but Keras has {theirs[0]} and {theirs[1]}; this is a bug in "
                               f"explain's {node.type} formula, please report it", layer=layer.name)
    total = int(keras_model.count_params())
    if model.total != total:
        raise ExplainError(f"explain counts {model.total} parameters in total but Keras counts {total}; "
                           f"please report this bug")
