"""Hostile and broken input of every kind the command line reads.

Each case gets exit status 2 and exactly one line on stderr (or, where the input is valid, a
correct result), within a bounded time, with no traceback, and nothing the input asks for is
executed: injections try to create the file PWNED, and the tests check it does not exist.
Most cases run in-process through ``explain.cli.main``; a few run as processes with a timeout.
Spec-file mistakes layer by layer are in test_bad_input_core.py; this suite is the sweep.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any, Callable

import pytest

import explain
from explain.cli import main
from explain.errors import ExplainError
from explain.layers import layer_types
from explain.render.json_out import model_dict
from tests.conftest import FIXTURES, ROOT

PWNED = "PWNED"
INJECTIONS = [
    "__import__('os').system('touch PWNED')",
    "exec(\"open('PWNED', 'w')\")",
    "eval('__import__(\"os\").system(\"touch PWNED\")')",
    "lambda: open('PWNED', 'w')",
    "Symbol('x').__class__.__init__.__globals__['os'].system('touch PWNED')",
    "$(touch PWNED)",
    "`touch PWNED`",
    "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",
    "\\input{/etc/passwd}\\write18{touch PWNED}",
    "<script>fetch('x')</script>",
    "!!python/object/apply:os.system ['touch PWNED']",
]
HOSTILE_VALUES: list[Any] = [None, [], {}, "x", "", -1, 0, 10**30, True, 1.5, float("nan"), [[1]],
                             {"a": 1}, INJECTIONS[0], "\x00\n\x1b[31m"]
SECONDS = 120
"""A hang guard on any one in-process case, not a timing (bench/hostile.py measures the times): far
above what a case takes even on a loaded machine, far below a hang."""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Every test runs in its own folder; no test may leave PWNED behind."""
    monkeypatch.chdir(tmp_path)
    yield
    assert not (tmp_path / PWNED).exists(), "an injection was executed"
    assert not (ROOT / PWNED).exists(), "an injection was executed"


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    start = time.perf_counter()
    status = main(list(argv))
    elapsed = time.perf_counter() - start
    out, err = capsys.readouterr()
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
    return status, out, err


def assert_refused(capsys, *argv: str, says: str | None = None) -> str:
    status, out, err = run_cli(capsys, *argv)
    assert status == 2, (status, out[:300], err)
    assert out == ""
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("explain: "), repr(err)
    if says is not None:
        assert says in err, err
    return err


def write(name: str, content: str | bytes) -> str:
    data = content.encode("utf-8") if isinstance(content, str) else content
    Path(name).write_bytes(data)
    return name


def safetensors(header: Any, data: bytes = b"", length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


# -- files that are not what they claim --------------------------------------------------------

FILES: dict[str, tuple[bytes | str, str]] = {
    # name: (content, what the one line must say)
    "empty.json": ("", "empty"),
    "empty.keras": (b"", ""),
    "empty.safetensors": (b"", ""),
    "empty.py": ("", ""),
    "blank.yaml": ("\n\n   \n", "empty"),
    "binary.json": (bytes(range(256)) * 8, "binary"),
    "binary.yaml": (b"\xff\xfe\x00\x00" * 100, ""),
    "latin1.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 4, name: 'caf\xe9'}\n".encode("latin-1"), "UTF-8"),
    "random.keras": (bytes(range(256)) * 4, ""),
    "random.py": (b"\x00\x01 def", "binary"),
    "hdf5.h5": (b"\x89HDF\r\n\x1a\n" + b"\x00" * 100, "HDF5"),
    "truncated.json": ('{"input": [8], "layers": [{"Dense": {"units": 4', "not valid JSON"),
    "truncated.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 4", "not valid YAML"),
    "scalar.json": ("42", ""),
    "string.yaml": ("just some words\n", ""),
    "null.json": ("null", ""),
    "list.json": ("[1, 2, 3]", ""),
    "nul_in_text.yaml": ("input: [8]\x00\nlayers: []\n", "binary"),
    # YAML: aliases (billion laughs), custom tags, merge keys, deep nesting
    "alias_bomb.yaml": ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n", "alias"),
    "alias_in_layers.yaml": ("base: &b {units: 4}\ninput: [8]\nlayers:\n  - Dense: *b\n", "alias"),
    "merge_key.yaml": ("base: &b {units: 4}\ninput: [8]\nlayers:\n  - Dense: {<<: *b}\n", "alias"),
    "python_tag.yaml": ("input: [8]\nlayers:\n  - Dense: !!python/object/apply:os.system ['touch PWNED']\n", ""),
    "python_name.yaml": ("input: !!python/name:os.system\nlayers: []\n", ""),
    "deep.yaml": ("[" * 20000 + "]" * 20000, "nested"),
    "deep_map.yaml": ("a: " + "{a: " * 200 + "1" + "}" * 200 + "\n", "nested"),
    # JSON: deep nesting, huge numbers beyond int(), non-finite numbers
    "deep.json": ("[" * 200000 + "]" * 200000, "nested"),
    "deep_object.json": ('{"a":' * 5000 + "1" + "}" * 5000, "nested"),
    "deep_below_recursion.json": ('{"input": [8], "layers": [{"Dense": {"units": 4, "x": ' + "[" * 500 + "]" * 500
                                  + "}}]}", "nested"),
    "digits.json": ('{"input": [8], "layers": [{"Dense": {"units": 1' + "0" * 5000 + "}}]}", "too long"),
    "digits.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 1" + "0" * 5000 + "}\n", "too long"),
    "nan.json": ('{"input": [8], "layers": [{"Dense": {"units": NaN}}]}', "whole number"),
    "infinity.json": ('{"input": [8], "layers": [{"Dense": {"units": -Infinity}}]}', ""),
    "float_units.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 1.0e30}\n", "units"),
    "huge_exponent.yaml": ("input: [8]\nlayers:\n  - Dense: {units: '9**9**9**9'}\n", "units"),
    "huge_product.yaml": ("input: [8]\nlayers:\n  - Dense: {units: '" + "*".join(["99999999"] * 5000) + "'}\n", ""),
    "long_expression.yaml": ("input: [8]\nlayers:\n  - Dense: {units: '" + "(" * 5000 + "1" + ")" * 5000 + "'}\n", ""),
    # safetensors headers
    "short.safetensors": (b"\x01\x02\x03", "8-byte"),
    "truncated.safetensors": (safetensors(b'{"w": {"dtype": "F32"', length=4096), "truncated"),
    "oversized.safetensors": (safetensors(b'{"a": 1}', length=2**64 - 1), "refused"),
    "zero_header.safetensors": (safetensors(b"", length=0), ""),
    "header_list.safetensors": (safetensors([1, 2]), "not a JSON object"),
    "header_garbage.safetensors": (safetensors(b"{\xff\xfe not json"), ""),
    "negative_shape.safetensors": (safetensors({"w": {"dtype": "F32", "shape": [-3, 4], "data_offsets": [0, 48]}},
                                               b"\0" * 48), "shape"),
    "text_shape.safetensors": (safetensors({"w": {"dtype": "F32", "shape": "abc", "data_offsets": [0, 12]}},
                                           b"\0" * 12), "shape"),
    "injected_dtype.safetensors": (safetensors({"w": {"dtype": INJECTIONS[0], "shape": [3],
                                                      "data_offsets": [0, 12]}}, b"\0" * 12), "dtype"),
    "offsets_outside.safetensors": (safetensors({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 10**20]}},
                                                b"\0" * 12), ""),
    "offsets_reversed.safetensors": (safetensors({"w": {"dtype": "F32", "shape": [3], "data_offsets": [12, 0]}},
                                                 b"\0" * 12), ""),
    "tensor_is_text.safetensors": (safetensors({"w": "F32"}), ""),
    "deep_header.safetensors": (safetensors(b'{"w": ' + b"[" * 100000 + b"]" * 100000 + b"}"), ""),
    # sharded checkpoints: the index names shard files
    "index_nul.json": (json.dumps({"weight_map": {"w": "a\u0000b.safetensors"}}), "beside the index"),
    "index_traversal.json": (json.dumps({"weight_map": {"w": "../../../../etc/passwd"}}), "beside the index"),
    "index_absolute.json": (json.dumps({"weight_map": {"w": "/dev/zero"}}), "beside the index"),
    "index_not_text.json": (json.dumps({"weight_map": {"w": ["x"]}}), "weight_map"),
    "index_missing.json": (json.dumps({"weight_map": {"w": "absent.safetensors"}}), "absent.safetensors"),
    # Keras JSON that is not a model
    "keras_no_config.json": ('{"class_name": "Sequential", "config": null}', ""),
    "keras_layers_text.json": ('{"class_name": "Sequential", "config": {"layers": "Dense"}}', ""),
    "keras_subclassed.json": (json.dumps({"class_name": INJECTIONS[0], "config": {}}), ""),
    # Python snippets: read with ast, never run
    "not_python.py": ("def (:\n  model = \n", ""),
    "only_code.py": ("import os\nos.system('touch PWNED')\n", ""),
    "injected_snippet.py": ("import os\nimport keras\nos.system('touch PWNED')\nmodel = keras.Sequential("
                            "[keras.Input((8,)), keras.layers.Dense(os.system('touch PWNED'))])\n", "explain does not run code"),
    "dunder_snippet.py": ("import keras\nmodel = keras.Sequential([keras.Input((8,)), keras.layers.Dense("
                          "__import__('os').system('touch PWNED'))])\n", ""),
    "lambda_snippet.py": ("import keras\nmodel = keras.Sequential([keras.Input((8,)), "
                          "keras.layers.Lambda(lambda x: __import__('os').system('touch PWNED'))])\n", ""),
    "getattr_snippet.py": ("import keras\nunits = getattr(__builtins__, 'exec')(\"open('PWNED','w')\")\n"
                           "model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(units)])\n", ""),
    "deep_snippet.py": ("import keras\nmodel = keras.Sequential([keras.Input((8,)), keras.layers.Dense("
                        + "(" * 300 + "4" + ")" * 300 + ")])\n", ""),
    # Hugging Face configs
    "hf_injected_type.json": (json.dumps({"model_type": INJECTIONS[0], "hidden_size": 8}), "model_type"),
    "hf_injected_field.json": (json.dumps({"model_type": "gpt2", "n_embd": INJECTIONS[0], "n_layer": 2, "n_head": 2,
                                           "vocab_size": 10, "n_positions": 8}), "n_embd"),
    "hf_auto_map.json": (json.dumps({"model_type": "gpt2", "auto_map": {"AutoModel": "evil.Model"},
                                     "trust_remote_code": True, "n_embd": INJECTIONS[1]}), ""),
}


@pytest.mark.parametrize("name", list(FILES))
def test_bad_file_exits_2_with_one_line(name, capsys):
    content, says = FILES[name]
    write(name, content)
    err = assert_refused(capsys, "derive", name, "--format", "json", says=says or None)
    assert name in err or name == "index_missing.json"  # that one names the missing shard


@pytest.mark.parametrize("text, refused", [
    ("[" * 64 + "]" * 64, False),  # containers at depths 0 to 63
    ("[" * 65 + "]" * 65, False),  # the one at depth 64 is empty: nothing deeper than 64
    ("[" * 65 + "1" + "]" * 65, True),  # ... but a number in it stands at depth 65
    ("[" * 66 + "]" * 66, True),
    ('{"a": ' * 64 + "{}" + "}" * 64, False),
    ('{"a": ' * 65 + "1" + "}" * 65, True),
    ('{"a": ' * 64 + '[{}, 2, "x"]' + "}" * 64, True),
    ("[" * 62 + '{"k": "[[[[", "v": ["]]]]", {}]}' + "]" * 62, False),  # brackets in strings are text
    ("[" * 63 + '{"k": "]]]]", "v": [[1]]}' + "]" * 63, True),
    ("[" + ", ".join(["[" * 60 + "]" * 60] * 50 + ["[" * 66 + "]" * 66]) + "]", True),
    ('"[[[[[["', False),
])
def test_json_deeper_than_the_limit_is_refused(text, refused):
    """A JSON value may nest containers to MAX_DEPTH = 64 levels below the top one (depths 0 to
    64); a value at depth 65 is refused, wherever it stands and whatever the strings hold."""
    from explain.importers.textfile import MAX_DEPTH, parse_json
    assert MAX_DEPTH == 64
    if refused:
        with pytest.raises(ExplainError, match="nested more than 64 levels deep"):
            parse_json(text, "x.json")
    else:
        assert parse_json(text, "x.json") == json.loads(text)


@pytest.mark.parametrize("fmt", ["markdown", "latex", "text"])
def test_bad_file_in_every_format(fmt, capsys):
    write("alias_bomb.yaml", FILES["alias_bomb.yaml"][0])
    assert_refused(capsys, "derive", "alias_bomb.yaml", "--format", fmt, says="alias")


# -- huge numbers are exact ----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "markdown", "latex", "text"])
def test_huge_numbers_are_exact(fmt, capsys):
    # Dense(10**30) on 8 features: 8·10**30 + 10**30 weights; then Dense(3): 3·10**30 + 3
    write("huge.yaml", "input: [8]\nlayers:\n  - Dense: {units: 1000000000000000000000000000000}\n"
                       "  - Dense: {units: 3}\n")
    status, out, err = run_cli(capsys, "derive", "huge.yaml", "--format", fmt)
    assert status == 0, err
    total = 9 * 10**30 + 3 * 10**30 + 3
    if fmt == "json":
        data = json.loads(out)
        assert data["total"] == total and isinstance(data["total"], int)
        assert [layer["params"] for layer in data["layers"]] == [9 * 10**30, 3 * 10**30 + 3]
    else:
        digits = "".join(c for c in out if c.isdigit())
        assert str(total) in digits


def test_huge_input_and_symbols_are_exact(capsys):
    write("big.yaml", "symbols: {width: 123456789012345678901234567890}\ninput: [width]\nlayers:\n"
                      "  - Dense: {units: width}\n")
    status, out, err = run_cli(capsys, "derive", "big.yaml", "--format", "json")
    assert status == 0, err
    n = 123456789012345678901234567890
    assert json.loads(out)["total"] == n * n + n


# -- hostile names -----------------------------------------------------------------------------

HOSTILE_NAMES = ["a\nb", "x\ry", "\x1b[31mred\x1b[0m", "\u202etxt.exe", "zero\u200bwidth", "$x$", "`code`",
                 "| col |", "<b>bold</b>", "\\section{x}", "%comment", "#&_^~{}", "../../etc/passwd",
                 "名前", "n" * 5000, "{{ 7*7 }}", "{% raw %}", "a\tb"]


@pytest.mark.parametrize("fmt", ["json", "markdown", "latex", "text"])
def test_hostile_names_render(fmt, capsys):
    layers = [{"Dense": {"units": 2, "name": name}} for name in HOSTILE_NAMES]
    write("names.json", json.dumps({"name": "m\n\x1b[2J", "input": [3], "layers": layers}))
    status, out, err = run_cli(capsys, "derive", "names.json", "--format", fmt, "--lang", "de")
    assert status == 0, err
    assert "7*7" in out.replace("\\", "")  # the Jinja syntax in a name is shown, not evaluated
    if fmt == "json":
        assert [layer["name"] for layer in json.loads(out)["layers"]] == HOSTILE_NAMES
    if fmt in ("markdown", "latex"):
        assert "\x1b" not in out


@pytest.mark.parametrize("name", ["a\nb\nc", "\x1b[2J\x1b[H", "\u2028x\u2029", "\r"])
def test_hostile_name_in_an_error_stays_one_line(name, capsys):
    write("bad.json", json.dumps({"input": [3], "layers": [{"Dense": {"units": 0, "name": name}}]}))
    err = assert_refused(capsys, "derive", "bad.json", says="'units' must be positive")
    assert "\x1b" not in err and "\r" not in err


@pytest.mark.parametrize("name", ["a\nb\nc", "\x1b]0;title\x07", "\u2028x\u2029\u202e", "\r", "\ud800"])
def test_hostile_name_in_an_api_error_stays_one_safe_line(name):
    """The Python API raises the same one line the command line prints: a name's control,
    line-breaking, bidi or surrogate characters escaped, never passed on."""
    import explain
    with pytest.raises(explain.ExplainError) as caught:
        explain.load({"input": [3], "layers": [{"Dense": {"units": 0, "name": name}}]})
    text = str(caught.value)
    assert "'units' must be positive" in text
    assert text.isprintable() and ascii(name)[1:-1] in text, text
    text.encode("utf-8")  # no lone surrogate left to fail a log or a terminal


# -- injections in every text field ------------------------------------------------------------

def _spec_with(field: str, value: Any) -> dict:
    spec: dict[str, Any] = {"name": "m", "symbols": {"F": 4}, "input": [8, 8, 3],
                            "layers": [{"Conv2D": {"filters": "F", "kernel_size": 3, "name": "c"}},
                                       {"Flatten": {}}, {"Dense": {"units": 2}}]}
    if field == "name":
        spec["name"] = value
    elif field == "symbol_name":
        spec["symbols"] = {value: 4}
    elif field == "symbol_value":
        spec["symbols"] = {"F": value}
    elif field == "input":
        spec["input"] = [value, 8, 3]
    elif field == "layer_type":
        spec["layers"][1] = {value: {}}
    elif field == "argument_name":
        spec["layers"][0]["Conv2D"][value] = 1
    elif field == "argument_value":
        spec["layers"][0]["Conv2D"]["filters"] = value
    elif field == "padding":
        spec["layers"][0]["Conv2D"]["padding"] = value
    elif field == "inputs":
        spec["layers"][1]["Flatten"]["inputs"] = value
    elif field == "framework":
        spec["framework"] = value
    return spec


SPEC_FIELDS = ["name", "symbol_name", "symbol_value", "input", "layer_type", "argument_name",
               "argument_value", "padding", "inputs", "framework"]


@pytest.mark.parametrize("field", SPEC_FIELDS)
def test_injection_in_every_spec_field(field, capsys):
    for i, text in enumerate(INJECTIONS):
        write(f"s{i}.json", json.dumps(_spec_with(field, text)))
        status, out, err = run_cli(capsys, "derive", f"s{i}.json", "--format", "json")
        if field == "name" and status == 0:  # a model name is only text
            assert json.loads(out)["model"] == text
            continue
        assert status == 2 and err.count("\n") == 1 and "Traceback" not in err, (field, text, err)
    write("override.json", json.dumps(_spec_with("name", "m")))
    assert_refused(capsys, "derive", "override.json", "--set", f"F={INJECTIONS[0]}", says="--set")
    assert_refused(capsys, "derive", "override.json", "--set", INJECTIONS[1], says="--set")


def _worksheet_with(field: str, value: Any) -> str:
    claims: list[dict[str, Any]] = [{"layer": "conv2d_1", "work": "3 x 3 x 3 x 32 + 32 = 896"},
                                    {"layer": "flatten_1", "shape": "19 x 19 x 32 = 11552"},
                                    {"total": "6,029,097"}]
    sheet: dict[str, Any] = {"model": "example:seed-cnn", "claims": claims}
    if field == "model":
        sheet["model"] = value
    elif field == "layer":
        claims[0]["layer"] = value
    elif field == "work":
        claims[0]["work"] = value
    elif field == "shape":
        claims[1]["shape"] = value
    elif field == "total":
        claims[2]["total"] = value
    elif field == "key":
        claims[0][str(value)] = "1"
    return json.dumps(sheet)


@pytest.mark.parametrize("field", ["model", "layer", "work", "shape", "total", "key"])
def test_injection_in_every_worksheet_field(field, capsys):
    write("good.yaml", _worksheet_with("none", ""))
    status, _, err = run_cli(capsys, "check", "good.yaml", "--format", "json")
    assert status in (0, 1), err
    for i, text in enumerate(INJECTIONS + HOSTILE_VALUES):
        write(f"w{i}.yaml", _worksheet_with(field, text))
        status, out, err = run_cli(capsys, "check", f"w{i}.yaml", "--format", "json")
        assert "Traceback" not in err
        if status == 2:
            assert err.count("\n") == 1 and out == "", (field, text, err)
        else:  # read, and judged: a claim that is not a number cannot be correct
            assert status == 1 and err == "", (field, text, err)


def test_injection_in_plain_text_worksheet(capsys):
    lines = ["model: example:seed-cnn"] + [f"conv2d_1: {text}" for text in INJECTIONS[:1]]
    write("w.txt", "\n".join(lines) + "\n")
    assert_refused(capsys, "check", "w.txt")
    write("w2.txt", f"model: {INJECTIONS[0]}\nconv2d_1: 896\n")
    assert_refused(capsys, "check", "w2.txt")
    write("w3.txt", "model: example:seed-cnn\n" + "(" * 5000 + "1" + ")" * 5000 + ": 1\ntotal: "
          + "9" * 5000 + "\n")
    status, out, err = run_cli(capsys, "check", "w3.txt")
    assert "Traceback" not in err and status in (1, 2)


def test_worksheet_alias_bomb_and_binary(capsys):
    write("w.yaml", FILES["alias_bomb.yaml"][0])
    assert_refused(capsys, "check", "w.yaml")
    write("w1.yaml", "model: example:seed-cnn\nclaims:\n  - &c {layer: conv2d_1, work: '896'}\n  - *c\n")
    assert_refused(capsys, "check", "w1.yaml")
    write("w.bin", bytes(range(256)))
    assert_refused(capsys, "check", "w.bin")
    write("w4.yaml", "model: example:seed-cnn\nclaims:\n  - layer: conv2d_1\n    work: '"
          + "9" * 10000 + "'\n")
    status, _, err = run_cli(capsys, "check", "w4.yaml")
    assert "Traceback" not in err and status in (1, 2)


# -- wrong types in every field ----------------------------------------------------------------

def _loads_or_refuses(load: Callable[[], Any]) -> None:
    """The input is valid (and renders to JSON) or refused with an ExplainError; nothing else."""
    try:
        model = load()
    except ExplainError as e:
        assert str(e).strip()
        return
    model_dict(model)


def _shape_for(cls) -> list[int]:
    rank = cls.input_rank or max(cls.min_input_rank, 1)
    return [6] * (rank - 1) + [4]


@pytest.mark.parametrize("framework", ["keras", "pytorch"])
def test_wrong_types_in_every_layer_argument(framework):
    """Every argument of every layer type, given each hostile value."""
    checked = 0
    for cls in layer_types(framework):
        type_name = cls.type_name
        shape = _shape_for(cls)
        fields = [f.name for f in dataclasses.fields(cls) if f.init]
        for field in fields:
            for value in HOSTILE_VALUES:
                args = {field: value}
                if cls.multi_input:
                    spec = {"inputs": {"a": shape, "b": shape},
                            "layers": [{type_name: {**args, "inputs": ["a", "b"]}}]}
                else:
                    spec = {"input": shape, "layers": [{type_name: args}]}
                if framework == "pytorch":
                    spec["framework"] = "pytorch"
                _loads_or_refuses(lambda spec=spec: explain.load(copy.deepcopy(spec)))
                checked += 1
    assert checked > 200


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, prefix + (i,))
    return out


def _replaced(tree: Any, path: tuple, value: Any) -> Any:
    tree = copy.deepcopy(tree)
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return tree


def _sweep(document: Any, load: Callable[[Any], Any], values: list[Any], paths: list[tuple]) -> int:
    for path in paths:
        for value in values:
            _loads_or_refuses(lambda path=path, value=value: load(_replaced(document, path, value)))
    return len(paths) * len(values)


def test_wrong_types_in_every_field_of_a_keras_json():
    from explain.importers.keras_json import load_keras_json
    document = json.loads((FIXTURES / "keras" / "seed_cnn_tfkeras.json").read_text())
    paths = _paths(document)
    # every field of the model and of its first three layers
    paths = [p for p in paths if len(p) < 4 or p[2] in (0, 1, 2)]
    values = HOSTILE_VALUES[:10] + [INJECTIONS[0]]
    assert _sweep(document, lambda d: load_keras_json(d, "m.json"), values, paths) > 300


def test_wrong_types_in_every_field_of_a_hf_config():
    from explain.importers.hf_config import load_hf_config
    for name in ("tiny-gpt2.json", "llama-2-7b.json", "t5-small.json", "bert-base-uncased.json"):
        document = json.loads((FIXTURES / "hf" / name).read_text())
        _sweep(document, lambda d, name=name: load_hf_config(d, name, None), HOSTILE_VALUES, _paths(document))


def test_wrong_types_in_every_field_of_a_safetensors_header():
    header = {"__metadata__": {"format": "pt"},
              "h.0.weight": {"dtype": "F32", "shape": [4, 3], "data_offsets": [0, 48]},
              "h.0.bias": {"dtype": "F16", "shape": [4], "data_offsets": [48, 56]}}
    Path("ok.safetensors").write_bytes(safetensors(header, b"\0" * 56))
    assert explain.load("ok.safetensors").total == 16

    def load(h):
        Path("m.safetensors").write_bytes(safetensors(h, b"\0" * 56))
        return explain.load("m.safetensors")

    _sweep(header, load, HOSTILE_VALUES, _paths(header))


# -- archives ----------------------------------------------------------------------------------

def _zip(name: str, entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> str:
    with zipfile.ZipFile(name, "w", compression) as z:
        for entry, data in entries.items():
            z.writestr(entry, data)
    return name


def test_zip_bombs_and_odd_archives(capsys):
    seed = (FIXTURES / "keras" / "seed_cnn_tfkeras.json").read_bytes()
    assert_refused(capsys, "derive", _zip("bomb.keras", {"config.json": seed + b" " * (16 * 1024 * 1024)}),
                   says="zip bomb")
    inner = Path(_zip("inner.zip", {"config.json": seed})).read_bytes()
    assert_refused(capsys, "derive", _zip("nested.keras", {"model.keras": inner}))
    assert_refused(capsys, "derive", _zip("alias.keras", {"config.json": FILES["alias_bomb.yaml"][0].encode()}))
    assert_refused(capsys, "derive", _zip("deep.keras", {"config.json": b"[" * 100000 + b"]" * 100000}))
    assert_refused(capsys, "derive", _zip("binary.keras", {"config.json": bytes(range(256))}))
    assert_refused(capsys, "derive", _zip("traversal.keras", {"../../config.json": seed}))
    status, out, err = run_cli(capsys, "derive", _zip("ok.keras", {"config.json": seed,
                                                                   "model.weights.h5": b"\x89HDF"}), "--format", "json")
    assert status == 0 and json.loads(out)["total"] == 6_029_097, err
    path = Path("truncated.keras")
    path.write_bytes(Path("ok.keras").read_bytes()[:200])
    assert_refused(capsys, "derive", str(path))


def test_many_entries_archive(capsys):
    with zipfile.ZipFile("many.keras", "w", zipfile.ZIP_STORED) as z:
        for i in range(10_050):
            z.writestr(f"e{i}", b"")
    assert_refused(capsys, "derive", "many.keras")


# -- Lambda layers -----------------------------------------------------------------------------

def _lambda_json(config: dict) -> str:
    return json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 8], "name": "in"}},
        {"class_name": "Lambda", "config": {"name": "lam", **config}},
        {"class_name": "Dense", "config": {"name": "d", "units": 2}}]}})


def test_lambda_layers_are_never_run(capsys):
    code = {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMEAAAAfABTAKkBTqkAqQHaAXhyAgAAAHICAAAA",
                                                  "defaults": None, "closure": None}}
    write("lam.json", _lambda_json({"function": code}))
    assert_refused(capsys, "derive", "lam.json", says="Lambda")
    write("lam_src.json", _lambda_json({"function": "lambda x: __import__('os').system('touch PWNED')"}))
    assert_refused(capsys, "derive", "lam_src.json", says="Lambda")
    write("lam_shape.json", _lambda_json({"function": code, "output_shape": [5]}))
    status, out, err = run_cli(capsys, "derive", "lam_shape.json", "--format", "json")
    if status == 0:  # a Lambda with a stated shape has no weights; Dense(2) on 5 features: 12
        assert json.loads(out)["total"] == 5 * 2 + 2
    else:
        assert status == 2 and err.count("\n") == 1


# -- as processes ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["alias_bomb.yaml", "deep.json", "digits.json", "oversized.safetensors",
                                  "binary.json", "injected_snippet.py"])
def test_as_a_process(name, tmp_path):
    content, says = FILES[name]
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    result = subprocess.run([sys.executable, "-m", "explain", "derive", str(path), "--format", "markdown"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120,
                            env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and says in result.stderr


# -- expensive symbolic input stays fast and exact -----------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "markdown", "latex"])
def test_deep_symbolic_model_finishes_and_is_exact(fmt, capsys):
    """50 strided layers over a symbolic length of 10**30: nested floors that sympy.simplify
    cannot handle in minutes. By hand (Keras's formulas): Conv1D valid, n -> (n - 3) // 2 + 1;
    MaxPooling1D same, n -> ceil(n / 2); weights 3·2·F + F, then 3·F·F + F per Conv1D."""
    layers: list[dict] = []
    for _ in range(25):
        layers += [{"Conv1D": {"filters": "F", "kernel_size": 3, "strides": 2}},
                   {"MaxPooling1D": {"pool_size": 3, "strides": 2, "padding": "same"}}]
    layers += [{"Flatten": {}}, {"Dense": {"units": 7}}]
    write("deep_symbolic.json", json.dumps({"symbols": {"L": 10**30, "F": 5}, "input": ["L", 2], "layers": layers}))
    n, f = 10**30, 5
    for _ in range(25):
        n = -(-((n - 3) // 2 + 1) // 2)
    total = (3 * 2 * f + f) + 24 * (3 * f * f + f) + n * f * 7 + 7
    status, out, err = run_cli(capsys, "derive", "deep_symbolic.json", "--format", fmt)
    assert status == 0, err
    if fmt == "json":
        assert json.loads(out)["total"] == total
    else:
        assert str(total) in "".join(c for c in out if c.isdigit())
