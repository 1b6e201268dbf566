"""Hugging Face configs without a closed form here: the generic route.

transformers builds the model from the config on the meta device (no memory for weights, no
computation, nothing downloaded, no remote code), and the model is read from its modules as
``from_torch`` reads any module. Without transformers installed the config is refused in one line
that names the extra to install.

Bounds, none of them by a key's name: the config's structure (nesting, list lengths, numbers up
to 2^40) before transformers sees it; the Python steps transformers takes to read it; and the
modules and parameters it registers while it builds the model, counted as torch registers them,
the build stopped at the bound. The meta device stores no values, so a 70B or 671B model builds
in seconds, and what a hostile config could make expensive (modules, loops) is what is bounded.
"""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from ..errors import ExplainError
from ..model import Model

MAX_NESTING = 8
"""The most levels of configs nested in a config (a multimodal model's parts, a backbone's)."""
MAX_ENTRIES = 40960
"""The most entries of one list in the config."""
MAX_NUMBER = 2 ** 40
"""The largest number (in absolute value) a config may hold: about 10^12, far beyond any width,
count of layers, vocabulary or context length, so that no size is refused by its name."""
MAX_CONFIG_STEPS = 10 ** 6
"""The most lines of Python transformers may run to read a config (its checks and the lists it
derives, one entry per layer): reading a legitimate config takes a few thousand."""
MAX_MODULES = 2 ** 14
"""The most modules transformers may create while building a model on the meta device
(DeepSeek-V3 has 1,215): building takes time per module, none per parameter."""
MAX_PARAMETERS = 10 ** 14
"""The most parameters a model built on the meta device may have (100 trillion; the largest
models built have about 2·10^12): the meta device stores no values, so this bounds the count,
not memory."""


class _TooLarge(BaseException):
    """Raised inside transformers' code when a guard's bound is reached: a BaseException, so that
    no ``except Exception`` in transformers' code swallows it."""


_TOO_DEEP = f"the config nests more than {MAX_NESTING} levels of configs, more than the generic route reads"


def _check_sizes(raw: Mapping[str, Any], depth: int = 0) -> None:
    """Refuses a config that nests more than ``MAX_NESTING`` levels, has a list of more than
    ``MAX_ENTRIES`` entries or a number beyond ``MAX_NUMBER`` (or not finite), whatever its key."""
    if depth > MAX_NESTING:
        raise ExplainError(_TOO_DEEP)
    for key, value in raw.items():
        _check_value(str(key), value, depth)


def _check_value(key: str, value: Any, depth: int) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if not -MAX_NUMBER <= value <= MAX_NUMBER:  # an infinite or NaN float too
            shown = value if isinstance(value, float) or abs(value) < 10 ** 30 else "a number over 10^30"
            raise ExplainError(f"'{key}' = {shown} is larger than any size the generic route builds "
                               f"(at most 2^40 = {MAX_NUMBER})")
    elif isinstance(value, dict):
        _check_sizes(value, depth + 1)
    elif isinstance(value, list):
        if len(value) > MAX_ENTRIES:
            raise ExplainError(f"'{key}' has {len(value)} entries: more than the generic route reads "
                               f"(at most {MAX_ENTRIES})")
        if depth + 1 > MAX_NESTING:
            raise ExplainError(_TOO_DEEP)
        for item in value:
            _check_value(key, item, depth + 1)


@contextmanager
def _step_guard(what: str) -> Iterator[None]:
    """Stops the Python code run inside after ``MAX_CONFIG_STEPS`` lines (loops count each turn):
    a config whose count of layers makes transformers build a list of 10^12 entries is refused
    within a second instead of running for hours."""
    steps = 0

    def line(frame: Any, event: str, arg: Any) -> Any:
        nonlocal steps
        if event == "line":
            steps += 1
            if steps > MAX_CONFIG_STEPS:
                raise _TooLarge(f"{what} takes more than {MAX_CONFIG_STEPS:,} steps of Python; its sizes are "
                                "larger than the generic route builds")
        return line

    def call(frame: Any, event: str, arg: Any) -> Any:
        return line if event == "call" else None

    saved = sys.gettrace()
    sys.settrace(call)
    try:
        yield
    finally:
        sys.settrace(saved)


@contextmanager
def _build_guard() -> Iterator[None]:
    """Counts the modules and parameters torch registers while transformers builds the model and
    stops the build at ``MAX_MODULES`` modules or ``MAX_PARAMETERS`` parameters."""
    from torch.nn.modules import module as torch_module
    modules, parameters = 0, 0

    def on_module(parent: Any, name: str, child: Any) -> None:
        nonlocal modules
        modules += 1
        if modules > MAX_MODULES:
            raise _TooLarge(f"the model has more than {MAX_MODULES:,} modules, more than the generic route builds")

    def on_tensor(parent: Any, name: str, tensor: Any) -> None:
        nonlocal parameters
        parameters += tensor.numel() if tensor is not None else 0
        if parameters > MAX_PARAMETERS:
            raise _TooLarge(f"the model has more than {MAX_PARAMETERS:.0e} parameters, more than the generic "
                            "route builds")

    handles = [torch_module.register_module_module_registration_hook(on_module),
               torch_module.register_module_parameter_registration_hook(on_tensor),
               torch_module.register_module_buffer_registration_hook(on_tensor)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def read_config(config_class: Any, raw: Mapping[str, Any], what: str) -> Any:
    """transformers' config object for ``raw`` (checked by ``_check_sizes`` first, read under
    ``_step_guard`` and offline); every failure an ExplainError in one line."""
    _check_sizes(raw)
    with _offline():
        try:
            with _step_guard(f"reading the config of {what}"):
                return config_class.from_dict(_offline_copy(dict(raw)))
        except _TooLarge as e:
            raise ExplainError(str(e)) from None
        except Exception as e:  # transformers' own validation of the config
            raise ExplainError(f"transformers cannot read the config of {what}: {_reason(e)}") from None


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
    config_class = _config_class(transformers, model_type, architecture, what)
    config = read_config(config_class, raw, what)
    with _offline():
        model_class = _model_class(transformers, config, architecture)
        try:
            with torch.device("meta"), _build_guard():
                module = (model_class(config) if model_class is not None
                          else transformers.AutoModel.from_config(config, trust_remote_code=False))
        except _TooLarge as e:
            raise ExplainError(f"{architecture or what}: {e}") from None
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
