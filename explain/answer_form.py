"""Whether a file is an exercise's answer form (:mod:`explain.exercise.form`), told without
importing the exercise package (its sheets and variants, ≈ 9 ms): ``explain check`` asks it of
every worksheet it is given."""
from __future__ import annotations

import re

import yaml

from .errors import ExplainError

MAX_FORM_BYTES = 1024 * 1024


def is_form(path: str) -> bool:
    """Whether ``path`` is a YAML answer form (top-level ``variant`` and ``answers``)."""
    from .importers.textfile import compose_yaml, decode, read_bytes
    try:
        text = decode(read_bytes(path, MAX_FORM_BYTES), path)
    except ExplainError:
        return False
    try:
        node = compose_yaml(text)
    except (ExplainError, yaml.YAMLError, RecursionError):  # a broken form: read_form says where
        return all(re.search(rf"^{key}\s*:", text, re.MULTILINE) for key in ("variant", "answers"))
    if not isinstance(node, yaml.MappingNode):
        return False
    keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    return {"variant", "answers"} <= keys
