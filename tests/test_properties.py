"""Property tests: random models, built with the real frameworks, agree with ``explain``.

- Random Keras chains (Dense, Conv1D/2D, poolings, BatchNormalization, LayerNormalization,
  Dropout, Flatten, Reshape, ZeroPadding, Cropping, UpSampling, Embedding, LSTM, GRU,
  MultiHeadAttention with random valid arguments), built by ``tests.oracle.keras_oracle``: every
  layer's output shape, count, trainable and non-trainable split, and the totals agree.
- Random PyTorch chains built by ``tests.oracle.torch_oracle``: the same, with buffers.
- Random models render to Markdown and LaTeX without error; a few compile with lualatex.

The chains track the shape as they grow so that almost every drawn model is valid; where Keras
refuses one anyway, explain must refuse it too (an ExplainError, never a crash).
"""
from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import explain
from explain.errors import ExplainError
from explain.render.json_out import model_dict
from tests.conftest import require_module, require_tool

# CI: few examples, the same ones every run. EXPLAIN_PROPERTY_EXAMPLES=500 explores at random.
EXPLORE = int(os.environ.get("EXPLAIN_PROPERTY_EXAMPLES", "0"))
SETTINGS = dict(deadline=None, derandomize=not EXPLORE, database=None,
                suppress_health_check=list(HealthCheck))


def examples(n: int) -> int:
    return EXPLORE or n
KERAS_FIGURES = ("name", "type", "output_shape", "params", "trainable", "non_trainable")
TORCH_FIGURES = ("type", "output_shape", "params", "trainable", "buffers")


# -- random Keras chains -----------------------------------------------------------------------

def _spatial_layer(draw, shape: tuple[int, ...]) -> tuple[str, dict]:
    """A layer on a (steps, channels) or (height, width, channels) input."""
    rank = len(shape) - 1
    suffix = f"{rank}D"
    sizes = shape[:-1]
    smallest = min(sizes)
    kind = draw(st.sampled_from(["conv", "conv", "pool", "pad", "crop", "up", "other_conv"]))
    if kind == "other_conv":
        kernel = draw(st.integers(1, min(3, smallest)))
        strides = draw(st.integers(1, 2))
        padding = draw(st.sampled_from(["valid", "same"]))
        variant = draw(st.sampled_from(["Transpose", "Separable", "Depthwise"]))
        if variant == "Transpose":
            return f"Conv{suffix}Transpose", {"filters": draw(st.integers(1, 5)), "kernel_size": kernel,
                                              "strides": strides, "padding": padding,
                                              "use_bias": draw(st.booleans())}
        if variant == "Separable":
            return f"SeparableConv{suffix}", {"filters": draw(st.integers(1, 5)), "kernel_size": kernel,
                                              "strides": strides, "padding": padding,
                                              "depth_multiplier": draw(st.integers(1, 2)),
                                              "use_bias": draw(st.booleans())}
        return f"DepthwiseConv{suffix}", {"kernel_size": kernel, "strides": strides, "padding": padding,
                                          "depth_multiplier": draw(st.integers(1, 3)),
                                          "use_bias": draw(st.booleans())}
    if kind == "conv":
        kernel = draw(st.integers(1, min(3, smallest)))
        args: dict[str, Any] = {"filters": draw(st.integers(1, 6)), "kernel_size": kernel,
                                "padding": draw(st.sampled_from(["valid", "same"])),
                                "strides": draw(st.integers(1, 2)),
                                "use_bias": draw(st.booleans())}
        if rank == 2 and args["strides"] == 1 and draw(st.booleans()):
            args["kernel_size"] = [kernel, draw(st.integers(1, min(3, sizes[1])))]
        if rank == 1 and draw(st.booleans()):
            args["padding"] = "causal"
        if args["strides"] == 1 and draw(st.booleans()):
            args["dilation_rate"] = 2  # too wide for a small input: Keras and explain refuse
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if shape[-1] % g == 0]))
        if groups > 1:
            args["groups"] = groups
            args["filters"] = groups * draw(st.integers(1, 3))
        return f"Conv{suffix}", args
    if kind == "pool":
        window = draw(st.integers(1, min(2, smallest)))
        kind = draw(st.sampled_from(["MaxPooling", "AveragePooling", "GlobalAveragePooling",
                                     "GlobalMaxPooling"]))
        if kind.startswith("Global"):
            return f"{kind}{suffix}", {}
        return f"{kind}{suffix}", {"pool_size": window, "padding": draw(st.sampled_from(["valid", "same"])),
                                   "strides": draw(st.sampled_from([None, 1, 2]))}
    if kind == "pad":
        return f"ZeroPadding{suffix}", {"padding": draw(st.integers(0, 2))}
    if kind == "crop":
        most = (smallest - 1) // 2
        return f"Cropping{suffix}", {"cropping": draw(st.integers(0, most))}
    return f"UpSampling{suffix}", {"size": draw(st.integers(1, 2))}


@st.composite
def keras_spec(draw) -> dict:
    """A chain of Keras layers, each chosen for the shape the previous one gives."""
    rank = draw(st.sampled_from([1, 2, 2, 3]))
    shape = tuple(draw(st.lists(st.integers(3, 7), min_size=rank, max_size=rank)))
    embed = rank == 1 and draw(st.booleans())
    layers: list[dict] = []
    current: tuple[int, ...] = shape
    if embed:
        dim = draw(st.integers(1, 6))
        layers.append({"Embedding": {"input_dim": draw(st.integers(2, 50)), "output_dim": dim, "name": "l0"}})
        current = (shape[0], dim)
    previous = layers[-1]["Embedding"]["name"] if layers else "input"
    for _ in range(draw(st.integers(1, 5))):
        r = len(current)
        options = ["Dense", "BatchNormalization", "LayerNormalization", "Dropout"]
        if r >= 2:
            options.append("Flatten")
        if r in (2, 3):
            options += ["spatial"] * 3
        if r == 2:
            options += ["LSTM", "GRU", "MultiHeadAttention", "SimpleRNN", "Bidirectional"]
        if r >= 2 and current[-1] % 2 == 0:
            options.append("GroupNormalization")
        if r == 1:
            options.append("Reshape")
        choice = draw(st.sampled_from(options))
        if choice == "Dense":
            item = ("Dense", {"units": draw(st.integers(1, 8)), "use_bias": draw(st.booleans())})
        elif choice in ("BatchNormalization", "LayerNormalization"):
            item = (choice, {"center": draw(st.booleans()), "scale": draw(st.booleans())})
        elif choice == "Dropout":
            item = ("Dropout", {"rate": draw(st.sampled_from([0.0, 0.1, 0.5]))})
        elif choice == "Flatten":
            item = ("Flatten", {})
        elif choice == "Reshape":
            n = current[0]
            item = ("Reshape", {"target_shape": draw(st.sampled_from([[n, 1], [1, n], [-1, 1], [1, 1, n]]))})
        elif choice == "spatial":
            item = _spatial_layer(draw, current)
        elif choice in ("LSTM", "GRU", "SimpleRNN"):
            args = {"units": draw(st.integers(1, 6)), "return_sequences": draw(st.booleans()),
                    "use_bias": draw(st.booleans())}
            if choice == "GRU":
                args["reset_after"] = draw(st.booleans())
            item = (choice, args)
        elif choice == "Bidirectional":
            inner = draw(st.sampled_from(["LSTM", "GRU", "SimpleRNN"]))
            item = ("Bidirectional", {"layer": {inner: {"units": draw(st.integers(1, 4)),
                                                        "return_sequences": draw(st.booleans())}},
                                      "merge_mode": draw(st.sampled_from(["concat", "sum", "mul", "ave"]))})
        elif choice == "GroupNormalization":
            item = ("GroupNormalization", {"groups": draw(st.sampled_from([1, 2])),
                                           "center": draw(st.booleans()), "scale": draw(st.booleans())})
        else:
            item = ("MultiHeadAttention", {"num_heads": draw(st.integers(1, 3)), "key_dim": draw(st.integers(1, 4)),
                                           "use_bias": draw(st.booleans()), "inputs": [previous, previous]})
        type_name, args = item
        name = f"l{len(layers)}"
        layers.append({type_name: {**args, "name": name}})
        previous = name
        try:  # the next layer is chosen for the shape this one gives (Keras checks it below)
            model = explain.load({"input": list(shape), "layers": [dict(_copy(x)) for x in layers]})
        except ExplainError:
            break
        current = tuple(model.nodes[-1].output_shape[1:])
    return {"name": "random", "input": list(shape), "layers": layers}


def _copy(item: dict) -> dict:
    """A deep enough copy of a one-key layer mapping (the oracle pops 'inputs' and 'name')."""
    (type_name, args), = item.items()
    return {type_name: {k: (list(v) if isinstance(v, list) else v) for k, v in args.items()}}


def _spec_copy(spec: dict) -> dict:
    return {**spec, "input": list(spec["input"]), "layers": [_copy(x) for x in spec["layers"]]}


def _rows(figures: dict, keys: tuple[str, ...]) -> list[tuple]:
    return [tuple(layer[k] for k in keys) for layer in figures["layers"]]


@settings(max_examples=examples(30), **SETTINGS)
@given(spec=keras_spec())
def test_random_keras_chains_agree_with_keras(spec):
    require_module("torch")
    require_module("keras")
    from tests.oracle.keras_oracle import keras_figures
    try:
        want = keras_figures(_spec_copy(spec))
    except Exception:  # Keras refuses the model: so must explain
        with pytest.raises(ExplainError):
            explain.load(_spec_copy(spec))
        assume(False)
        return
    got = model_dict(explain.load(_spec_copy(spec)))
    assert _rows(got, KERAS_FIGURES) == _rows(want, KERAS_FIGURES), spec
    assert (got["total"], got["trainable"], got["non_trainable"]) == \
        (want["total"], want["trainable"], want["non_trainable"]), spec


# -- random PyTorch chains ---------------------------------------------------------------------

@st.composite
def torch_spec(draw) -> dict:
    """A torch.nn chain on (channels, length) or (channels, height, width), or on features or
    token ids; in_channels/in_features follow the shape."""
    start = draw(st.sampled_from(["image", "signal", "features", "tokens", "sequence"]))
    layers: list[dict] = []
    if start == "image":
        shape: tuple[int, ...] = (draw(st.integers(1, 4)), draw(st.integers(4, 8)), draw(st.integers(4, 8)))
    elif start == "signal":
        shape = (draw(st.integers(1, 4)), draw(st.integers(4, 10)))
    elif start == "features":
        shape = (draw(st.integers(1, 10)),)
    else:
        shape = (draw(st.integers(2, 6)), draw(st.integers(2, 8))) if start == "sequence" else (draw(st.integers(2, 6)),)
    spec_input = list(shape)
    if start == "tokens":
        dim = draw(st.integers(1, 8))
        layers.append({"Embedding": {"num_embeddings": draw(st.integers(2, 30)), "embedding_dim": dim}})
        shape = (shape[0], dim)
    for _ in range(draw(st.integers(1, 4))):
        r = len(shape)
        options = ["Linear", "Dropout", "ReLU", "LayerNorm"]
        if r == 3:
            options += ["Conv2d", "Conv2d", "BatchNorm2d", "MaxPool2d", "AvgPool2d", "Flatten"]
        if r == 2:
            options += ["Conv1d", "BatchNorm1d", "LSTM", "GRU", "MultiheadAttention", "Flatten"]
        if r == 1:
            options += ["BatchNorm1d"]
        choice = draw(st.sampled_from(options))
        if choice == "Linear":
            out = draw(st.integers(1, 8))
            args: dict[str, Any] = {"in_features": shape[-1], "out_features": out, "bias": draw(st.booleans())}
            new = shape[:-1] + (out,)
        elif choice in ("Dropout", "ReLU"):
            args, new = ({"p": 0.25} if choice == "Dropout" else {}), shape
        elif choice == "LayerNorm":
            args = {"normalized_shape": shape[-1], "elementwise_affine": draw(st.booleans())}
            new = shape
        elif choice in ("Conv1d", "Conv2d"):
            spatial = shape[1:]
            kernel = draw(st.integers(1, min(3, *spatial)))
            stride = draw(st.integers(1, 2))
            padding = draw(st.integers(0, 1))
            out = draw(st.integers(1, 6))
            groups = draw(st.sampled_from([g for g in (1, 2) if shape[0] % g == 0 and out % g == 0]))
            args = {"in_channels": shape[0], "out_channels": out, "kernel_size": kernel, "stride": stride,
                    "padding": padding, "groups": groups, "bias": draw(st.booleans())}
            new = (out,) + tuple((s + 2 * padding - kernel) // stride + 1 for s in spatial)
        elif choice in ("BatchNorm1d", "BatchNorm2d"):
            args = {"num_features": shape[0], "affine": draw(st.booleans()),
                    "track_running_stats": draw(st.booleans())}
            new = shape
        elif choice in ("MaxPool2d", "AvgPool2d"):
            kernel = draw(st.integers(1, min(2, *shape[1:])))
            args = {"kernel_size": kernel}
            new = (shape[0],) + tuple((s - kernel) // kernel + 1 for s in shape[1:])
        elif choice == "Flatten":
            args = {}
            size = 1
            for s in shape:
                size *= s
            new = (size,)
        elif choice in ("LSTM", "GRU"):
            hidden = draw(st.integers(1, 5))
            bidirectional = draw(st.booleans())
            args = {"input_size": shape[-1], "hidden_size": hidden, "num_layers": draw(st.integers(1, 2)),
                    "bias": draw(st.booleans()), "bidirectional": bidirectional, "batch_first": True}
            new = (shape[0], hidden * (2 if bidirectional else 1))
        else:
            heads = draw(st.sampled_from([h for h in (1, 2, 4) if shape[-1] % h == 0]))
            args = {"embed_dim": shape[-1], "num_heads": heads, "bias": draw(st.booleans()),
                    "batch_first": True}
            new = shape
        layers.append({choice: args})
        shape = new
        if any(s < 1 for s in shape):
            break
    return {"framework": "pytorch", "name": "random", "input": spec_input, "layers": layers}


@settings(max_examples=examples(30), **SETTINGS)
@given(spec=torch_spec())
def test_random_torch_chains_agree_with_torch(spec):
    require_module("torch")
    from tests.oracle.torch_oracle import torch_figures
    try:
        want = torch_figures(_spec_copy(spec))
    except Exception:  # torch refuses the chain: so must explain
        with pytest.raises(ExplainError):
            explain.load(_spec_copy(spec))
        assume(False)
        return
    got = model_dict(explain.load(_spec_copy(spec)))
    assert _rows(got, TORCH_FIGURES) == _rows(want, TORCH_FIGURES), spec
    assert (got["total"], got["trainable"]) == (want["total"], want["trainable"]), spec


# -- random models render ----------------------------------------------------------------------

@settings(max_examples=examples(25), **SETTINGS)
@given(spec=st.one_of(keras_spec(), torch_spec()), lang=st.sampled_from(["en", "de", "ja", "fr", "es"]))
def test_random_models_render(spec, lang):
    try:
        model = explain.load(_spec_copy(spec))
    except ExplainError:
        assume(False)
        return
    assert json.loads(model.derive(lang=lang, format="json"))["total"] == model.total
    for fmt in ("markdown", "latex", "text"):
        text = model.derive(lang=lang, format=fmt)
        for node in model.nodes:
            assert node.name in text or node.name.replace("_", r"\_") in text, (fmt, node.name)


@pytest.mark.parametrize("seed", range(2))
def test_random_models_compile_with_lualatex(seed, tmp_path):
    """A small sample: two random models per framework, as LaTeX documents, compile."""
    lualatex = require_tool("lualatex")
    samples = []

    @settings(max_examples=2, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(spec=keras_spec() if seed == 0 else torch_spec())
    def collect(spec):
        try:
            samples.append(explain.load(_spec_copy(spec)))
        except ExplainError:
            pass

    collect()
    assert samples
    for i, model in enumerate(samples[:2]):
        path = tmp_path / f"m{i}.tex"
        path.write_text(model.derive(lang="en", format="latex"), encoding="utf-8")
        result = subprocess.run([lualatex, "-interaction=nonstopmode", "-halt-on-error", path.name],
                                cwd=tmp_path, capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, result.stdout[-2000:]
