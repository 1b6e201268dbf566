"""Hugging Face configs without a closed form here: the generic route.

transformers builds the model from the config on the meta device (no memory for weights, no
computation, nothing downloaded, no remote code), and the model is read from its modules as
``from_torch`` reads any module. Without transformers installed the config is refused in one line
that names the extra to install.
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from ..errors import ExplainError
from ..model import Model

MAX_COUNT = 4096
"""The largest count of repeated modules (a key naming layers, depths, experts, heads, blocks or
stages) the generic route builds: a model is built module by module."""
MAX_MODULES = 2 ** 16
"""The most layers × experts one (nested) config may ask for (DeepSeek-V3: 61 × 256)."""
MAX_SIZE = 2 ** 20
"""The largest width, vocabulary or other size (Gemma 3's vocabulary is 262,208)."""
MAX_POSITIONS = 2 ** 26
"""The bound of positions, windows and lengths (Llama 4's 10,485,760 positions)."""
MAX_ENTRIES = 10 * MAX_COUNT
"""The most entries of a list in the config."""
MAX_NESTING = 8

_COUNTS = ("layer", "depth", "expert", "heads", "blocks", "stages")
_MULTIPLIERS = ("expert",)
_LAYERS = ("layer", "depth")
_POSITIONS = ("position", "max_", "window", "length", "chunk", "context")
_UNBOUNDED = ("theta", "_id", "seed", "scale", "factor", "eps", "coef", "temperature")
"""Numbers that are no size of a module (rotary bases, token ids, scales)."""


def _bound(key: str) -> tuple[float, str]:
    """The largest value the number ``key`` may hold, and what it is called in the refusal."""
    name = key.lower()
    if any(word in name for word in _UNBOUNDED):
        return math.inf, ""
    if any(word in name for word in _COUNTS):
        return MAX_COUNT, "a count of layers or repeated modules"
    if any(word in name for word in _POSITIONS):
        return MAX_POSITIONS, "a count of positions"
    return MAX_SIZE, "a size"


def _check_sizes(raw: Mapping[str, Any], depth: int = 0) -> None:
    """Refuses a config whose integers, in nested configs and lists too, exceed what the generic
    route builds (``_bound``), or whose layers × experts in one config exceed ``MAX_MODULES``:
    transformers would build millions of modules or compute with huge sizes on the CPU."""
    if depth > MAX_NESTING:
        raise ExplainError(f"the config nests more than {MAX_NESTING} levels of configs")
    layers, experts = 1, 1
    for key, value in raw.items():
        key = str(key)
        bound, what = _bound(key)
        for item in _integers(key, value, depth):
            if item > bound:  # an infinite float too
                shown = item if isinstance(item, float) or item < 10 ** 30 else "a number over 10^30"
                raise ExplainError(f"'{key}' = {shown} is larger than the generic route builds "
                                   f"({what} of at most {bound})")
            if bound == MAX_COUNT and isinstance(item, int):
                if any(word in key.lower() for word in _MULTIPLIERS):
                    experts = max(experts, item)
                elif any(word in key.lower() for word in _LAYERS):
                    layers = max(layers, item)
    if layers * experts > MAX_MODULES:
        raise ExplainError(f"{layers} layers with {experts} experts each are more modules than the generic "
                           f"route builds (at most {MAX_MODULES})")


def _integers(key: str, value: Any, depth: int) -> list[int | float]:
    """The numbers of ``value`` (a number or a list of them, nested configs checked on the way)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [value]
    if isinstance(value, dict):
        _check_sizes(value, depth + 1)
        return []
    if isinstance(value, list):
        if len(value) > MAX_ENTRIES:
            raise ExplainError(f"'{key}' has {len(value)} entries: more than the generic route reads "
                               f"(at most {MAX_ENTRIES})")
        if depth > MAX_NESTING:
            raise ExplainError(f"the config nests more than {MAX_NESTING} levels of configs")
        return [n for item in value for n in _integers(key, item, depth + 1)]
    return []


def _offline_copy(raw: Any) -> Any:
    """A copy of ``raw`` in which no flag asks for pretrained weights (DETR's and MaskFormer's
    ``use_pretrained_backbone``)."""
    if isinstance(raw, dict):
        return {k: False if k in _PRETRAINED_FLAGS and v is True else _offline_copy(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_offline_copy(v) for v in raw]
    return raw


_PRETRAINED_FLAGS = frozenset({"use_pretrained_backbone", "pretrained"})


@contextmanager
def _offline() -> Iterator[None]:
    """Hugging Face Hub's offline mode, restored afterwards: reading or building a config never
    reaches the network (a backbone named by its Hub id is then refused, not downloaded)."""
    import huggingface_hub.constants as hub
    saved_env = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    saved = hub.HF_HUB_OFFLINE
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    hub.HF_HUB_OFFLINE = True  # read once at import; is_offline_mode() reads this
    try:
        yield
    finally:
        hub.HF_HUB_OFFLINE = saved
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def load_generic(raw: Mapping[str, Any], model_type: str | None, architecture: str | None,
                 supported: list[str]) -> tuple[Model, str]:
    """The model transformers builds from ``raw`` (the class ``architecture``, or the base model
    when None) and the name of the class that was built."""
    what = f"model_type '{model_type}'" if model_type else f"architecture '{architecture}'"
    try:
        import torch
        import transformers
    except ImportError:
        raise ExplainError(f"{what} has no closed form here (those: {', '.join(supported)}); other "
                           "architectures are built by transformers: pip install 'explain[hf]'") from None
    _check_sizes(raw)
    config_class = _config_class(transformers, model_type, architecture, what)
    with _offline():
        try:
            config = config_class.from_dict(_offline_copy(dict(raw)))
        except Exception as e:  # transformers' own validation of the config
            raise ExplainError(f"transformers cannot read the config of {what}: {_reason(e)}") from None
        model_class = _model_class(transformers, config, architecture)
        try:
            with torch.device("meta"):
                module = (model_class(config) if model_class is not None
                          else transformers.AutoModel.from_config(config, trust_remote_code=False))
        except Exception as e:
            raise ExplainError(f"transformers cannot build {architecture or what} from this config: "
                               f"{_reason(e)}") from None
    from .live_torch import from_torch
    model = from_torch(module)
    built = type(module).__name__
    model.name = built
    return model, built


def _config_class(transformers: Any, model_type: str | None, architecture: str | None, what: str) -> Any:
    mapping = transformers.CONFIG_MAPPING
    if model_type is not None:
        if model_type not in mapping:
            raise ExplainError(f"unknown {what}: neither explain nor transformers "
                               f"{transformers.__version__} knows it")
        return mapping[model_type]
    cls = _model_class_by_name(transformers, architecture)
    if cls is None:
        raise ExplainError(f"the config has no 'model_type' and transformers has no class '{architecture}'")
    return cls.config_class


def _model_class_by_name(transformers: Any, name: str | None) -> Any:
    if not name or not name.isidentifier():
        return None
    try:
        cls = getattr(transformers, name)
    except Exception:  # transformers' lazy module raises for a name it does not have
        return None
    if isinstance(cls, type) and issubclass(cls, transformers.PreTrainedModel):
        return cls
    return None


def _model_class(transformers: Any, config: Any, architecture: str | None) -> Any:
    if architecture is None:
        return None
    cls = _model_class_by_name(transformers, architecture)
    if cls is None:
        raise ExplainError(f"the architecture '{architecture}' is not supported: neither explain nor "
                          f"transformers {transformers.__version__} has this class")
    if not isinstance(config, cls.config_class):
        raise ExplainError(f"'{architecture}' takes a {cls.config_class.model_type} config, not "
                           f"{config.model_type}")
    return cls


def _reason(e: BaseException) -> str:
    """Why transformers failed, in one line; a download it attempted is said as such."""
    from huggingface_hub.errors import OfflineModeIsEnabled
    if isinstance(e, OfflineModeIsEnabled) or isinstance(e.__cause__ or e.__context__, OfflineModeIsEnabled):
        return ("it would download a part named by its Hub id (a backbone?), and explain downloads nothing; "
                "give that part's config in the config (as 'backbone_config')")
    return _first_line(e)


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:300]
