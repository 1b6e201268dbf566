"""``keras.applications.X(...)`` without running Keras: the architectures Keras itself saved.

``explain/applications/`` holds, for each known application, the model JSON Keras 3 writes for
``X(weights=None)`` with ``include_top=True`` and with ``include_top=False`` (pooling None, "avg",
"max") at the default input size, and the JSON paths that hold the number of classes
(``tests/make_applications.py`` writes them). A call is that JSON with the given ``input_shape`` and
``classes`` put in; the layers' shapes and counts follow from them as in any Keras JSON. Where
Keras's ``correct_pad`` made a padding depend on the parity of a size (MobileNetV2/V3,
EfficientNet), the padding is recomputed from the new sizes. Arguments that change the
architecture otherwise (``alpha``, ``input_tensor``, …) are refused.
"""
from __future__ import annotations

import copy
import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import ExplainError
from ..model import Model

DATA = Path(__file__).resolve().parent.parent / "applications"
ARGUMENTS = frozenset({"include_top", "weights", "input_shape", "pooling", "classes",
                       "classifier_activation", "name", "input_tensor"})
MAX_PASSES = 32


@cache
def index() -> dict:
    return json.loads((DATA / "index.json").read_text())


@cache
def _stored(name: str, variant: str) -> dict:
    return json.loads(gzip.decompress((DATA / f"{name}.{variant}.json.gz").read_bytes()))


def known(name: str) -> bool:
    return name in index()


def application(name: str, kwargs: dict) -> dict:
    """The Keras model JSON ``keras.applications.<name>(**kwargs)`` would write (a fresh copy)."""
    apps = index()
    if name not in apps:
        raise ExplainError(f"keras.applications.{name} is not one explain has stored (it knows "
                           f"{', '.join(sorted(apps))}); use explain.from_keras(model) on the built "
                           f"model, or save model.to_json()")
    extra = sorted(set(kwargs) - ARGUMENTS)
    if extra:
        raise ExplainError(f"keras.applications.{name}: explain knows the default architecture only, "
                           f"and '{extra[0]}' may change it")
    if kwargs.get("input_tensor") is not None:
        raise ExplainError(f"keras.applications.{name}: input_tensor is not followed; call the model "
                           f"on the tensor instead (x = base(inputs))")
    meta = apps[name]
    include_top = kwargs.get("include_top", True)
    weights = kwargs.get("weights", "imagenet")
    classes = kwargs.get("classes", 1000)
    pooling = kwargs.get("pooling")
    if not isinstance(include_top, bool):
        raise ExplainError(f"keras.applications.{name}: include_top must be True or False")
    if not isinstance(classes, int) or isinstance(classes, bool) or classes < 1:
        raise ExplainError(f"keras.applications.{name}: classes must be a positive whole number")
    if pooling not in (None, "avg", "max"):
        raise ExplainError(f"keras.applications.{name}: pooling must be None, 'avg' or 'max'")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ExplainError(f"keras.applications.{name}: with weights='imagenet' and include_top=True, "
                           f"classes must be 1000 (Keras refuses {classes})")
    shape = _input_shape(name, kwargs.get("input_shape"), include_top, weights, meta)
    data = copy.deepcopy(_stored(name, "top" if include_top else f"notop_{pooling or 'none'}"))
    if include_top:
        for path in meta["classes_paths"]:
            _set(data, path, classes)
    entry = data["config"]["layers"][0]
    entry["config"]["batch_shape"] = [None, *shape]
    if isinstance(kwargs.get("name"), str):
        data["config"]["name"] = kwargs["name"]
    return data


def _input_shape(name: str, raw: Any, include_top: bool, weights: Any, meta: dict) -> tuple:
    """As Keras's obtain_input_shape checks it: three axes, channels last, at least min_size."""
    size, minimum = meta["size"], meta["min_size"]
    if raw is None:
        return (size, size, 3) if include_top else (None, None, 3)
    if not isinstance(raw, (list, tuple)) or len(raw) != 3 or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in raw):
        raise ExplainError(f"keras.applications.{name}: input_shape must be (height, width, channels). "
                           f"Received: input_shape={raw!r}")
    if weights == "imagenet" and raw[2] != 3:
        raise ExplainError(f"keras.applications.{name}: with weights='imagenet' the input must have "
                           f"3 channels. Received: input_shape={tuple(raw)}")
    if weights == "imagenet" and include_top and tuple(raw) != (size, size, 3):
        raise ExplainError(f"keras.applications.{name}: with weights='imagenet' and include_top=True "
                           f"the input shape must be {(size, size, 3)}. Received: input_shape={tuple(raw)}")
    if any(d is not None and d < minimum for d in raw[:2]):
        raise ExplainError(f"keras.applications.{name}: input size must be at least {minimum}. "
                           f"Received: input_shape={tuple(raw)}")
    return tuple(raw)


def _set(data: Any, path: list, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def load(name: str, data: dict, read: Any) -> Model:
    """The model from ``data`` via ``read(data)``; the paddings Keras computes from the input size
    (correct_pad: ``size_dependent_paddings`` in index.json, found by building each application
    at two sizes) are recomputed until every one fits the parity of the size it pads."""
    model = read(data)
    pads = set(index()[name].get("size_dependent_paddings", ()))
    if not pads:
        return model
    entries = {e["config"]["name"]: e for e in data["config"]["layers"]}
    for _ in range(MAX_PASSES):
        changed = False
        for node in model.nodes:
            if node.name not in pads:
                continue
            padding = [list(p) for p in entries[node.name]["config"]["padding"]]
            for axis, n in enumerate(node.input_shapes[0][:2]):
                after = padding[axis][1]
                before = after - (1 - n % 2) if isinstance(n, int) else after - 1
                if padding[axis][0] != before:
                    padding[axis][0], changed = before, True
            entries[node.name]["config"]["padding"] = padding
        if not changed:
            return model
        model = read(data)
    raise ExplainError(f"keras.applications.{name}: the paddings do not settle")
