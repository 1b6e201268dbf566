"""Hugging Face configs without a closed form here: the generic route.

transformers builds the model from the config on the meta device (no memory for weights, no
computation, nothing downloaded, no remote code), and the model is read from its modules as
``from_torch`` reads any module. Without transformers installed the config is refused in one line
that names the extra to install.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import ExplainError
from ..model import Model

MAX_LAYERS = 4096
"""The most layers (any size whose name has ``layer`` in it of a config, nested ones included) the generic route
builds: a model is built module by module, so a config asking for millions would not finish."""


def _check_layers(raw: Mapping[str, Any], depth: int = 0) -> None:
    """Refuses a config that asks for more layers than the route builds; every size, however
    named, is bounded too (a model built from huge sizes has too many modules to read)."""
    if depth > 8:
        raise ExplainError("the config nests more than 8 levels of configs")
    for key, value in raw.items():
        if isinstance(value, dict):
            _check_layers(value, depth + 1)
        elif ("layer" in key or key.endswith("_depth")) and isinstance(value, int) and not isinstance(value, bool) and value > MAX_LAYERS:
            raise ExplainError(f"'{key}' = {value} is more layers than the generic route builds "
                               f"(at most {MAX_LAYERS})")
        elif isinstance(value, list) and len(value) > 10 * MAX_LAYERS:
            raise ExplainError(f"'{key}' has {len(value)} entries: more than the generic route reads")


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
    _check_layers(raw)
    config_class = _config_class(transformers, model_type, architecture, what)
    try:
        config = config_class.from_dict(dict(raw))
    except Exception as e:  # transformers' own validation of the config
        raise ExplainError(f"transformers cannot read the config of {what}: {_first_line(e)}") from None
    model_class = _model_class(transformers, config, architecture)
    try:
        with torch.device("meta"):
            module = (model_class(config) if model_class is not None
                      else transformers.AutoModel.from_config(config, trust_remote_code=False))
    except Exception as e:
        raise ExplainError(f"transformers cannot build {architecture or what} from this config: "
                           f"{_first_line(e)}") from None
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


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:300]
