"""Writes explain/applications/: the architectures of keras.applications as Keras 3 saves them.

Run with Keras 3 (``KERAS_BACKEND=torch python tests/make_applications.py``). For every application
it stores, gzipped, the model JSON of ``X(weights=None, include_top=True)`` and of
``include_top=False`` with pooling None, "avg" and "max", at the default input size; and, in
index.json, the JSON paths whose value is the number of classes (found by building the model
again with classes=7 and comparing), the default input size and the smallest one Keras accepts,
and the padding layers whose padding depends on the input size (Keras's correct_pad, found by
building the model again at an odd size and comparing; MobileNet's fixed ((0, 1), (0, 1)) is not
one of them).
explain reads these files and never runs Keras.
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

APPS = {  # name: (default size, minimum size); the minimums are those of keras.applications
    "VGG16": (224, 32), "VGG19": (224, 32), "ResNet50": (224, 32), "ResNet101": (224, 32),
    "ResNet50V2": (224, 32), "MobileNet": (224, 32), "MobileNetV2": (224, 32),
    "MobileNetV3Small": (224, 32), "MobileNetV3Large": (224, 32), "InceptionV3": (299, 75),
    "Xception": (299, 71), "DenseNet121": (224, 32), "EfficientNetB0": (224, 32),
    "EfficientNetV2B0": (224, 32), "ConvNeXtTiny": (224, 32),
}
OUT = Path(__file__).resolve().parent.parent / "explain" / "applications"


def _diff(a, b, path=()):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            yield from _diff(a[k], b.get(k), path + (k,))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _diff(x, y, path + (i,))
    elif a != b:
        yield list(path), a, b




def size_dependent_paddings(name: str) -> list[str]:
    """The names of the layers whose padding differs between the default and an odd input size."""
    import keras
    size, _ = APPS[name]
    build = getattr(keras.applications, name)
    default, odd = (json.loads(build(weights=None, include_top=False, input_shape=(n, n, 3)).to_json())
                    for n in (size, size + 1))
    layers = default["config"]["layers"]
    changed = {p[2] for p, _, _ in _diff(default, odd) if p[:2] == ["config", "layers"] and p[3:5] == ["config", "padding"]}
    return sorted(layers[i]["config"]["name"] for i in changed)


def main(names) -> None:
    import keras
    index = json.loads((OUT / "index.json").read_text()) if (OUT / "index.json").exists() else {}
    for name in names:
        size, minimum = APPS[name]
        app = getattr(keras.applications, name)

        def build(app=app, **kwargs):  # each model with the names a fresh process gives (input_layer, …)
            keras.utils.clear_session()
            return app(**kwargs)

        shape = (size, size, 3)
        variants = {"top": build(weights=None, include_top=True, input_shape=shape)}
        for pooling in (None, "avg", "max"):
            variants[f"notop_{pooling or 'none'}"] = build(weights=None, include_top=False,
                                                          input_shape=shape, pooling=pooling)
        seven = json.loads(build(weights=None, include_top=True, input_shape=shape, classes=7).to_json())
        top = json.loads(variants["top"].to_json())
        classes = [p for p, a, b in _diff(top, seven) if a == 1000 and b == 7 or
                   (isinstance(a, list) and 1000 in a and 7 in (b or []))]
        others = [p for p, a, b in _diff(top, seven) if p not in classes and not isinstance(a, str)]
        if others:
            raise SystemExit(f"{name}: classes changes more than sizes: {others[:3]}")
        for key, model in variants.items():
            data = json.dumps(json.loads(model.to_json()), separators=(",", ":"), sort_keys=True)
            (OUT / f"{name}.{key}.json.gz").write_bytes(gzip.compress(data.encode(), mtime=0))
        index[name] = {"size": size, "min_size": minimum, "classes_paths": classes,
                       "size_dependent_paddings": size_dependent_paddings(name),
                       "params": {k: int(m.count_params()) for k, m in variants.items()}}
        (OUT / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
        print(name, index[name]["params"], flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(APPS))
