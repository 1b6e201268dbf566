"""Ground truth from PyTorch: build the real ``torch.nn`` modules a spec describes and report them.

For ``framework: pytorch`` specs: layers are ``torch.nn`` class names with their own argument
names, shapes exclude the batch and are channels-first, and the layers form a chain. Independent
of the ``explain`` package on purpose. Torch is imported lazily.

    python -m tests.oracle.torch_oracle SPEC.yaml     # prints the figures as JSON
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from .keras_oracle import Figures, apply_symbols, load_spec, one_key

#: Module arguments that hold a submodule as a one-key mapping ``{ClassName: {args}}``.
_SUBMODULE_KEYS = frozenset(
    {"encoder_layer", "decoder_layer", "custom_encoder", "custom_decoder", "norm"}
)

#: Modules called with the running tensor twice: ``module(x, x)`` (source and target, or memory).
_CALLED_WITH_PAIR = frozenset(
    {"Transformer", "TransformerDecoder", "TransformerDecoderLayer", "Bilinear"}
)

#: Modules that read integer indices, so the example input is a LongTensor.
_READ_INDICES = frozenset({"Embedding", "EmbeddingBag"})


def _import_torch() -> ModuleType:
    return importlib.import_module("torch")


def _make_module(torch: ModuleType, type_name: str, args: Mapping[str, Any]) -> Any:
    """Construct ``torch.nn.<type_name>(**args)``; lists become tuples, submodules are built."""
    cls = getattr(torch.nn, type_name, None)
    if cls is None:
        raise ValueError(f"unknown torch.nn module: {type_name!r}")
    kwargs: dict[str, Any] = {}
    for key, value in args.items():
        if key in _SUBMODULE_KEYS and isinstance(value, Mapping):
            value = _make_module(torch, *one_key(value))
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    return cls(**kwargs)


def _forward(torch: ModuleType, module: Any, x: Any) -> Any:
    """Run ``module`` on ``x`` and return its first output (RNNs and attention return tuples)."""
    if isinstance(module, torch.nn.MultiheadAttention):
        outputs = module(x, x, x)
    elif type(module).__name__ in _CALLED_WITH_PAIR:
        outputs = module(x, x)
    else:
        outputs = module(x)
    return outputs[0] if isinstance(outputs, tuple) else outputs


def _build_and_run(torch: ModuleType, spec: Mapping[str, Any], device: str) -> Figures:
    named: list[tuple[str | None, Any]] = []
    by_name: dict[str, Any] = {}
    with torch.device(device):
        for item in spec["layers"]:
            type_name, args = one_key(item)
            if "inputs" in args:
                raise ValueError(f"{type_name}: the PyTorch oracle builds chains only (`inputs`)")
            name = args.pop("name", None)
            shares = args.pop("shares", None)
            if shares is not None and not args and type(by_name[shares]).__name__ == type_name:
                module = by_name[shares]  # the same module applied again
            else:
                module = _make_module(torch, type_name, args)
                if shares is not None:  # a tied matrix: this module's weight is the other's
                    module.weight = by_name[shares].weight
            if name is not None:
                by_name[name] = module
            named.append((name, module))

    first_type = one_key(spec["layers"][0])[0] if spec["layers"] else ""
    dtype = torch.long if first_type in _READ_INDICES else torch.float32
    x = torch.zeros((2, *spec["input"]), dtype=dtype, device=device)

    layers: list[dict[str, Any]] = []
    with torch.no_grad():
        for name, module in named:
            x = _forward(torch, module, x)
            params = list(module.parameters())
            row: dict[str, Any] = {} if name is None else {"name": name}
            row.update(
                type=type(module).__name__,
                output_shape=[None, *(int(dim) for dim in x.shape[1:])],
                params=sum(p.numel() for p in params),
                trainable=sum(p.numel() for p in params if p.requires_grad),
                buffers=sum(b.numel() for b in module.buffers()),
            )
            layers.append(row)

    # Parameters shared between modules (tied weights) count once.
    unique = {id(p): p for _, module in named for p in module.parameters()}.values()
    trainable = sum(p.numel() for p in unique if p.requires_grad)
    total = sum(p.numel() for p in unique)
    return {
        "total": total,
        "trainable": trainable,
        "non_trainable": total - trainable,
        "layers": layers,
    }


def torch_figures(spec: Mapping[str, Any], device: str = "meta") -> Figures:
    """Totals and per-layer figures of the ``torch.nn`` chain that a PyTorch spec describes.

    Each module runs on a batch of 2 of ``spec["input"]``; per layer: class name, output shape
    (``None`` for the batch), parameter count, trainable count and buffer count (BatchNorm's
    running statistics). On the meta device no memory is spent on weights; a module without
    meta kernels is run again on the CPU. ``shares: NAME`` (NAME an earlier layer's ``name``)
    applies that module again when no other arguments are given, else ties this module's
    ``weight`` to NAME's (an LM head tied to the embedding).
    """
    spec = apply_symbols(spec)
    if spec.get("framework") != "pytorch":
        raise ValueError(f"not a PyTorch spec: framework={spec.get('framework')!r}")
    torch = _import_torch()
    try:
        return _build_and_run(torch, spec, device)
    except NotImplementedError:
        if device == "cpu":
            raise
        return _build_and_run(torch, spec, "cpu")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the figures of the spec file named by the only argument as JSON."""
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: python -m tests.oracle.torch_oracle SPEC.yaml", file=sys.stderr)
        return 2
    print(json.dumps(torch_figures(load_spec(args[0])), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
