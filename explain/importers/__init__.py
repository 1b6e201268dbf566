"""Importers: every source a user may have becomes a :class:`~explain.model.Model`.

The kind of a file is detected from its content (and only then from its name).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from ..errors import ExplainError
from ..model import Model
from .textfile import decode, open_regular, parse_json, parse_yaml, read_bytes

MAX_YAML_BYTES = 8 * 1024 * 1024
"""The largest YAML file read (its values are bounded too: MAX_YAML_NODES)."""
MAX_SNIPPET_BYTES = 1024 * 1024
"""The largest ``.py`` file read: the code that builds a model is far smaller (parsing a Python
file takes about 400 bytes of memory for each byte of code)."""
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LENET5_ORIGINAL = {"c3": 60 * 5 * 5 + 16, "s2": 2 * 6, "s4": 2 * 16, "rbf": 10 * 84}
"""LeCun et al. (1998): C3's connection table joins its 16 maps to 60 of S2's maps in all (a
5 × 5 kernel each, one bias per map); S2 and S4 learn a coefficient and a bias per map; each of
the 10 RBF output units has a fixed vector of 84 entries, one per output of F6."""


def examples() -> list[str]:
    """The names of the bundled examples (``example:NAME``)."""
    return sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def load(source: str | Path | Mapping[str, Any], overrides: Mapping[str, int] | None = None,
         architecture: str | None = None) -> Model:
    """A model from a spec dict, ``example:NAME`` or a file of any supported kind; ``architecture``
    chooses the class a Hugging Face config builds."""
    if architecture is not None:
        text = str(source)
        if isinstance(source, Mapping) or text.startswith("example:"):
            raise ExplainError("--architecture applies to a Hugging Face config.json only", file=text)
        return load_file(text, overrides, architecture)
    if isinstance(source, Mapping):
        from .spec import load_spec  # where a spec is read: a Keras JSON or a config needs none
        return load_spec(dict(source), None, overrides)
    text = str(source)
    if text.startswith("example:"):
        name = text[len("example:"):]
        path = EXAMPLES / f"{name}.yaml"
        if name not in examples():
            raise ExplainError(f"no bundled example '{name}' (there are: {', '.join(examples())})",
                               file=text)
        from .spec import load_spec
        model = load_spec(parse_yaml(path.read_text("utf-8"), text), text, overrides, name)
        if name == "lenet5":  # how the 1998 network differs from the variant lectures present
            dense = model.evaluate(model.node("c3").own("params"))
            o = LENET5_ORIGINAL
            model.notes += (("lenet5_original", ()), ("lenet5_c3", (("c3", o["c3"]), ("c3_dense", dense))),
                            ("lenet5_subsampling", (("s2", o["s2"]), ("s4", o["s4"]))),
                            ("lenet5_rbf", (("rbf", o["rbf"]),)),
                            ("lenet5_same", (("c5", "c5"), ("flatten", "flatten"))))
        return model
    return load_file(text, overrides)


def load_file(path: str, overrides: Mapping[str, int] | None = None, architecture: str | None = None) -> Model:
    if "\x00" in str(path):  # open() would raise ValueError (a path from a worksheet)
        raise ExplainError("is not a valid file name (it contains a NUL character)", file=repr(str(path)))
    head = _head(path)
    if architecture is not None and (head.startswith(b"PK\x03\x04") or Path(path).suffix.lower() in (".keras", ".safetensors")):
        raise ExplainError("--architecture applies to a Hugging Face config.json only", file=path)
    if head.startswith(b"PK\x03\x04") or (Path(path).suffix.lower() == ".keras" and head
                                            and not head.lstrip().startswith(b"{")):
        # a .keras archive may hold far more weights than MAX_FILE_BYTES: only its directory
        # and config.json are read, from the file
        from .keras_archive import load_keras_archive
        return load_keras_archive(path)
    if Path(path).suffix.lower() == ".safetensors" or _safetensors_head(path):
        # a checkpoint is far larger than MAX_FILE_BYTES: only its header is read, from the file
        from .safetensors import load_safetensors
        return load_safetensors(path)
    if head.startswith(b"\x89HDF"):
        raise ExplainError("is an HDF5 file (a legacy .h5 model or weights): explain reads Keras "
                           "model JSON and .keras archives; save with model.save('m.keras') or "
                           "write model.to_json()", file=path)
    data = read_bytes(path)
    kind = sniff(path, data)
    stem = Path(path).stem
    if kind == "keras-archive":
        from .keras_archive import load_keras_archive
        return load_keras_archive(path, data)
    if kind == "safetensors":
        from .safetensors import load_safetensors
        return load_safetensors(path, data)
    if kind == "yaml" and len(data) > MAX_YAML_BYTES:
        raise ExplainError(f"is a YAML file of more than {MAX_YAML_BYTES // (1024 * 1024)} MiB; a model "
                           f"description is far smaller (write JSON for a larger generated model)", file=path)
    if kind == "python" and len(data) > MAX_SNIPPET_BYTES:
        raise ExplainError(f"is a Python file of more than {MAX_SNIPPET_BYTES // 1024} KiB; explain reads "
                           f"the code that builds a model, not whole programs", file=path)
    text = decode(data, path)
    if kind == "python":
        from .snippet import load_snippet
        return load_snippet(text, path)
    parsed = parse_json(text, path) if kind == "json" else parse_yaml(text, path)
    if isinstance(parsed, dict) and "class_name" in parsed and "config" in parsed:
        from .keras_json import load_keras_json
        return load_keras_json(parsed, path)
    if isinstance(parsed, dict) and "weight_map" in parsed and "layers" not in parsed:
        from .safetensors import load_safetensors_index
        return load_safetensors_index(parsed, path)
    if isinstance(parsed, dict) and ("model_type" in parsed or "architectures" in parsed):
        from .hf_config import load_hf_config
        return load_hf_config(parsed, path, overrides, architecture)
    if architecture is not None:
        raise ExplainError("--architecture applies to a Hugging Face config.json only", file=path)
    from .spec import load_spec
    return load_spec(parsed, path, overrides, stem)


def is_model_file(path: str) -> bool:
    """Whether ``path`` holds something of a model (a spec's ``layers``, a Keras or Hugging Face
    config, an index, an archive or a checkpoint), for errors that may quote it: an error about
    any other file (one a worksheet names) must not show its content."""
    head = _head(path)
    if head.startswith(b"PK\x03\x04") or _safetensors_head(path):
        return True
    try:
        data = read_bytes(path)
        kind = sniff(path, data)
        if kind != "yaml" and kind != "json":
            return kind == "python" and b"keras" in data
        text = decode(data, path)
        parsed = parse_json(text, path) if kind == "json" else parse_yaml(text, path)
    except ExplainError:
        return False
    return isinstance(parsed, dict) and any(k in parsed for k in (
        "layers", "class_name", "model_type", "architectures", "weight_map"))


def _safetensors_head(path: str) -> bool:
    """8 bytes of header length n (n ≤ size − 8) followed by '{': a safetensors file."""
    try:
        with open_regular(path) as f:
            first = f.read(9)
            size = os.fstat(f.fileno()).st_size
    except (OSError, ExplainError):
        return False
    return len(first) == 9 and first[8:9] == b"{" and int.from_bytes(first[:8], "little") <= size - 8


def _head(path: str) -> bytes:
    """The first bytes of a file (empty if it cannot be read: read_bytes then says why)."""
    try:
        with open_regular(path) as f:
            return f.read(8)
    except (OSError, ExplainError):
        return b""


def sniff(path: str, data: bytes) -> str:
    """keras-archive, safetensors, python, json or yaml: from the bytes first, then the name."""
    if data.startswith(b"PK\x03\x04"):
        return "keras-archive"
    if len(data) >= 9 and data[8:9] == b"{" and int.from_bytes(data[:8], "little") <= len(data) - 8:
        return "safetensors"
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return "json"
    suffix = Path(path).suffix.lower()
    if suffix == ".py" or _looks_like_python(data):
        return "python"
    return "yaml"


def _looks_like_python(data: bytes) -> bool:
    head = data[:4096].decode("utf-8", "replace")
    return any(line.startswith(("import ", "from ")) and ("keras" in line or "tensorflow" in line)
               for line in head.splitlines())
