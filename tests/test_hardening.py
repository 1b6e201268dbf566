"""Issue 17: bounded and safe on every input — each finding of the attack run, as a test.

Every case either gives the right result or exit status 2 with one line naming the problem;
never a traceback, a hang, a leak of another file or a lost file. The numbers expected come from
hand derivations written here (Dense: n·u + u; Conv: k·c_in·c_out + c_out).
"""
from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from explain.cli import main
from tests.conftest import ROOT, require_module

SECONDS = 60  # a process that hangs (a FIFO) is stopped here and fails its test


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def refused(capsys, *argv: str, says: str = "") -> str:
    status, out, err = cli(capsys, *argv)
    assert status == 2, (status, out[:300], err)
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("explain: "), repr(err)
    assert says in err, err
    return err


def process(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KERAS_BACKEND": "torch"}
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([sys.executable, "-m", "explain", *argv], env=env, timeout=SECONDS, **kwargs)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def write(name: str, content: str | bytes) -> str:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return name


def dense_spec(n: int, u: int, name: str = "d") -> str:
    return json.dumps({"input": [n], "layers": [{"Dense": {"units": u, "name": name}}]})


# -- --set and claims ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["1__0", "_1", "1_", "1_000_", "0", "-3", "1e3", "٣", "9" * 5000, ""])
def test_set_takes_only_whole_numbers_as_python_writes_them(capsys, value):
    refused(capsys, "derive", "example:mlp-symbolic", "--set", f"h={value}", says="--set takes NAME=VALUE")


def test_set_accepts_single_underscores(capsys):
    status, out, _ = cli(capsys, "derive", "example:mlp-symbolic", "--set", "h=1_000", "--format", "json")
    assert status == 0
    # n_in·h + h + h·K + K with n_in = 784, h = 1000, K = 10
    assert json.loads(out)["total"] == 784 * 1000 + 1000 + 1000 * 10 + 10


def test_empty_claims_are_refused_not_all_correct(capsys):
    write("w.yaml", "model: example:lenet5\nclaims: []\n")
    refused(capsys, "check", "w.yaml", says="'claims' is empty")


# -- wrong input that used to raise --------------------------------------------------------------

@pytest.mark.parametrize("entry", ['"x"', "1.5", "[1]", "{a: 1}", "true"])
def test_einsum_dense_output_shape_entries_must_be_sizes(capsys, entry):
    write("e.yaml", f"input: [4]\nlayers:\n  - EinsumDense: {{equation: 'ab,bc->ac', output_shape: [{entry}]}}\n")
    refused(capsys, "derive", "e.yaml", says="'output_shape'")


def test_einsum_dense_output_shape_still_reads_sizes_and_none(capsys):
    write("e.yaml", "input: [5, 4]\nlayers:\n  - EinsumDense: {equation: 'abc,cd->abd', output_shape: [null, 6], bias_axes: d}\n")
    status, out, _ = cli(capsys, "derive", "e.yaml", "--format", "json")
    assert status == 0
    assert json.loads(out)["total"] == 4 * 6 + 6  # kernel c·d + bias d


@pytest.mark.parametrize("units", ["a % (a - b)", "a // (a - b)", "(a + 1) // (b - a)"])
def test_division_by_zero_at_the_declared_values(capsys, units):
    write("z.yaml", f"symbols: {{a: 3, b: 3}}\ninput: [2]\nlayers:\n  - Dense: {{units: '{units}'}}\n")
    refused(capsys, "derive", "z.yaml", says="zero")


def _keras_archive(method: int, payload: bytes | None = None) -> bytes:
    import io
    config = json.dumps({"class_name": "Sequential", "config": {"layers": []}}).encode() * 20
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as z:
        z.writestr("config.json", config)
    data = bytearray(buffer.getvalue())
    if payload is not None:  # overwrite the compressed stream after the local header
        start = 30 + len("config.json")
        data[start:start + len(payload)] = payload
    return bytes(data)


@pytest.mark.parametrize("case", ["deflate", "lzma", "bzip2", "lzma_dictionary"])
def test_corrupt_or_unusual_keras_archives(capsys, case):
    if case == "deflate":
        data = _keras_archive(zipfile.ZIP_DEFLATED, b"\xff" * 16)
        says = "cannot be read"
    elif case == "lzma_dictionary":
        # LZMA properties in the entry: version, size 5, then lc/lp/pb and a 4 GiB dictionary
        data = _keras_archive(zipfile.ZIP_LZMA, b"\x09\x14\x05\x00\x5d" + struct.pack("<I", 0xFFFFFFFF))
        says = "compressed with method 14"
    else:
        data = _keras_archive(zipfile.ZIP_LZMA if case == "lzma" else zipfile.ZIP_BZIP2, b"\x00" * 16)
        says = "a .keras archive stores or deflates"
    write("m.keras", data)
    refused(capsys, "derive", "m.keras", says=says)


# -- numbers of any size, exactly, in every format ------------------------------------------------

def _digits(text: str) -> set[int]:
    """Every number in ``text`` written with any locale's group separators."""
    found = re.findall(r"\d{1,3}(?:[,.\u202f  ]\d{3})+|\d+", text)
    return {int(re.sub(r"\D", "", f)) for f in found}


@pytest.mark.parametrize("exponent", [16, 160, 450])
@pytest.mark.parametrize("fmt", ["markdown", "latex", "text", "json"])
def test_huge_totals_are_exact_in_every_format(capsys, exponent, fmt):
    n = u = 10**exponent + 7
    write("big.json", dense_spec(n, u))
    status, out, err = cli(capsys, "derive", "big.json", "--format", fmt, "--lang", "de")
    assert status == 0, err
    total = n * u + u  # Dense: kernel n·u + bias u
    if fmt == "json":
        assert json.loads(out)["total"] == total
    else:
        assert total in _digits(out.replace("\\,", "\u202f").replace("{.}", "."))


def test_a_count_past_the_stated_bound_is_refused(capsys):
    write("big.json", dense_spec(10**2200, 10**2200))
    refused(capsys, "derive", "big.json", says="more than 1000 digits")
    write("big2.json", dense_spec(10**600, 10**600))
    refused(capsys, "derive", "big2.json", says="more than 1000 digits")


def test_long_numbers_in_other_places(capsys):
    digits = "9" * 5000
    header = ('{"w": {"dtype": "F32", "shape": [' + digits + '], "data_offsets": [0, 4]}}').encode()
    write("a.safetensors", struct.pack("<Q", len(header)) + header + b"\0" * 4)
    refused(capsys, "derive", "a.safetensors", says="too long")
    header = json.dumps({f"h.{digits}.w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    write("b.safetensors", struct.pack("<Q", len(header)) + header + b"\0" * 4)
    status, out, err = cli(capsys, "derive", "b.safetensors", "--format", "json")
    assert status == 0 and json.loads(out)["total"] == 1
    write("i.yaml", f"input: [4]\nlayers:\n  - Dense: {{units: 2, inputs: 'input[{digits}]'}}\n")
    refused(capsys, "derive", "i.yaml", says="input")


# -- output ---------------------------------------------------------------------------------------

def test_output_file_is_replaced_only_when_complete(capsys, monkeypatch):
    write("out.md", "precious")
    write("s.json", '{"input": [4], "layers": [{"Dense": {"units": 4, "name": "a\\ud800b"}}]}')
    real_fdopen = os.fdopen

    def failing(fd, *args, **kwargs):
        f = real_fdopen(fd, *args, **kwargs)

        def write_fails(data):
            raise OSError(28, "No space left on device")
        f.write = write_fails
        return f
    monkeypatch.setattr(os, "fdopen", failing)
    refused(capsys, "derive", "s.json", "-o", "out.md", says="No space left")
    assert Path("out.md").read_text() == "precious"
    assert sorted(os.listdir(".")) == ["out.md", "s.json"]  # no temporary file left
    monkeypatch.setattr(os, "fdopen", real_fdopen)
    status, _, _ = cli(capsys, "derive", "s.json", "-o", "out.md")
    assert status == 0 and "a\\ud800b" in Path("out.md").read_text(encoding="utf-8")


def test_stdout_on_a_full_device():
    with open("/dev/full", "wb") as full:
        result = process("derive", "example:lenet5", stdout=full, stderr=subprocess.PIPE)
    assert result.returncode == 2
    assert result.stderr.decode() == "explain: cannot write to standard output: No space left on device\n"


def test_stdout_a_closed_pipe():
    """``explain derive … | true``: the reader is gone before explain writes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(f"'{sys.executable}' -m explain derive example:lenet5 | true; "
                            f"echo \"${{PIPESTATUS[0]}}\" >&2",
                            shell=True, executable="/bin/bash", capture_output=True, env=env, timeout=SECONDS)
    assert result.stderr == b"1\n"  # no traceback, no message: status 1


@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_closed_standard_streams(closed):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    redirect = ">&-" if closed == "stdout" else "2>&-"
    result = subprocess.run(f"'{sys.executable}' -m explain derive example:lenet5 {redirect}",
                            shell=True, capture_output=closed == "stdout", env=env, timeout=SECONDS)
    if closed == "stdout":
        assert result.returncode == 2
        assert result.stderr.decode() == "explain: cannot write: standard output is closed (use -o FILE)\n"
    else:
        assert result.returncode == 0
    result = subprocess.run(f"'{sys.executable}' -m explain derive nothing-here {redirect}",
                            shell=True, capture_output=True, env=env, timeout=SECONDS)
    assert result.returncode == 2 and b"Traceback" not in result.stderr + result.stdout


# -- non-regular files ----------------------------------------------------------------------------

def _fifo(name: str) -> str:
    os.mkfifo(name)
    return name


@pytest.mark.parametrize("where", ["model", "worksheet", "--model", "worksheet model", "shard"])
def test_a_fifo_is_refused_without_blocking(where):
    if where == "model":
        argv = ["derive", _fifo("m.yaml")]
    elif where == "worksheet":
        argv = ["check", _fifo("w.yaml")]
    elif where == "--model":
        write("w.yaml", "claims:\n  - total: 5\n")
        argv = ["check", "w.yaml", "--model", _fifo("m.json")]
    elif where == "worksheet model":
        write("w.yaml", "model: m.json\nclaims:\n  - total: 5\n")
        _fifo("m.json")
        argv = ["check", "w.yaml"]
    else:
        _fifo("model-00001.safetensors")
        write("model.safetensors.index.json", json.dumps({"weight_map": {"w": "model-00001.safetensors"}}))
        argv = ["derive", "model.safetensors.index.json"]
    result = process(*argv)
    assert result.returncode == 2
    assert b"is not a regular file" in result.stderr and result.stderr.count(b"\n") == 1, result.stderr


def test_dev_stdin_and_folders_are_refused(capsys):
    refused(capsys, "derive", "/dev/null", says="not a regular file")
    os.mkdir("folder.yaml")
    refused(capsys, "derive", "folder.yaml", says="folder")


# -- safe text in every format --------------------------------------------------------------------

HOSTILE = "a\x1b]0;pwn\x07b\x9b31m\u202ec\u2066d\ud800e\u2028f\x00g"
INJECTION = "x|<img src=x onerror=alert(1)>|y"


def _shown(text: str) -> list[str]:
    """Characters a reader would not see as themselves (besides newlines)."""
    return [c for c in text if not (c.isprintable() or c in "\n " or c in "\u00a0\u202f")]


HOSTILE_YAML = HOSTILE.replace("\ud800", "").replace("\x00", "")
"""What a YAML worksheet can hold (YAML has no lone surrogates and no NUL)."""


def _models(hostile: str = HOSTILE) -> None:
    spec = {"name": "m" + hostile, "symbols": {"F": 2}, "input": [4, 4, 1],
            "layers": [{"Conv2D": {"filters": "F", "kernel_size": 3, "name": "c" + hostile}},
                       {"Flatten": {"name": "f" + hostile}},
                       {"Dense": {"units": 4, "name": INJECTION + hostile}}]}
    write("m.json", json.dumps(spec))
    claims = [{"layer": "c" + hostile, "work": "5"}, {"layer": INJECTION + hostile, "work": "3 x 3 = 7"},
              {"total": "5"}]
    write("w.yaml", "model: m.json\nclaims:\n" + "".join(f"  - {json.dumps(c)}\n" for c in claims))


@pytest.mark.parametrize("fmt", ["markdown", "latex", "json", "text"])
@pytest.mark.parametrize("command", ["derive", "check"])
def test_no_control_bidi_or_surrogate_characters_in_any_output(capsys, fmt, command):
    _models(HOSTILE if command == "derive" else HOSTILE_YAML)
    status, out, err = cli(capsys, command, "m.json" if command == "derive" else "w.yaml", "--format", fmt)
    assert status == (0 if command == "derive" else 1), err
    out.encode("utf-8")  # no lone surrogate
    assert _shown(out) == []
    if fmt == "json" and command == "derive":
        names = [layer["name"] for layer in json.loads(out)["layers"]]
        assert names == ["c" + HOSTILE, "f" + HOSTILE, INJECTION + HOSTILE]  # the same value, escaped


@pytest.mark.parametrize("command", ["derive", "check"])
def test_no_html_from_a_name_in_markdown(capsys, command):
    from tests.render_helpers import markdown_parser
    _models(HOSTILE if command == "derive" else HOSTILE_YAML)
    status, out, _ = cli(capsys, command, "m.json" if command == "derive" else "w.yaml")
    html = markdown_parser().render(out)
    assert "<img" not in html and "onerror=" not in html.replace("onerror=alert", "") or "&lt;img" in html
    assert "<img" not in html


def test_german_babel_shorthands_print_literally(tmp_path):
    from tests.render_helpers import compile_latex, pdf_text
    from explain import load
    from explain.render import render
    name = 'a"|b"=c""d"-e'
    tex = render(load({"input": [4], "layers": [{"Dense": {"units": 2, "name": name}}]}), lang="de",
                 format="latex")
    text = pdf_text(compile_latex(tex, tmp_path / "babel", "doc"))
    assert name in text.replace("\n", "")


# -- worksheets name only models beside them -----------------------------------------------------

@pytest.mark.parametrize("path", ["/etc/passwd", "~root/.profile", "../secret.yaml", "sub/../../secret.yaml",
                                  "link.yaml"])
def test_worksheet_model_stays_in_its_folder(capsys, path):
    write("secret.yaml", "password: hunter2\nlayers: [x]\n")
    os.mkdir("sheets")
    os.symlink(os.path.abspath("secret.yaml"), "sheets/link.yaml")
    write("sheets/w.yaml", f"model: '{path}'\nclaims:\n  - total: 5\n")
    err = refused(capsys, "check", "sheets/w.yaml", says="the worksheet's model must be a file in the worksheet's folder")
    assert "hunter2" not in err and "password" not in err


def test_model_root_allows_another_folder(capsys):
    write("models/m.json", dense_spec(3, 2))
    write("sheets/w.yaml", "model: ../models/m.json\nclaims:\n  - total: 8\n")  # 3·2 + 2
    refused(capsys, "check", "sheets/w.yaml", says="--model-root")
    status, out, _ = cli(capsys, "check", "sheets/w.yaml", "--model-root", "models", "--format", "json")
    assert status == 0 and json.loads(out)["all_correct"] is True


def test_worksheet_naming_a_file_that_is_no_model_quotes_nothing(capsys):
    write("notes.yaml", "password: hunter2\n")
    write("w.yaml", "model: notes.yaml\nclaims:\n  - total: 5\n")
    err = refused(capsys, "check", "w.yaml", says="is not a model file")
    assert "hunter2" not in err and "password" not in err


# -- the template cache ---------------------------------------------------------------------------

def test_template_cache_only_in_a_private_folder(tmp_path, monkeypatch):
    from explain.render import i18n
    shared = tmp_path / "shared"
    (shared / "explain").mkdir(parents=True)
    os.chmod(shared / "explain", 0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
    monkeypatch.delenv("EXPLAIN_NO_CACHE", raising=False)
    i18n._bytecode_cache.cache_clear()
    try:
        assert i18n._bytecode_cache() is None
        world = tmp_path / "world"
        world.mkdir()
        os.chmod(world, 0o777)  # writable by all, no sticky bit: the folder could be swapped
        monkeypatch.setenv("XDG_CACHE_HOME", str(world))
        i18n._bytecode_cache.cache_clear()
        assert i18n._bytecode_cache() is None
        own = tmp_path / "own"
        monkeypatch.setenv("XDG_CACHE_HOME", str(own))
        i18n._bytecode_cache.cache_clear()
        cache = i18n._bytecode_cache()
        assert cache is not None and (os.stat(own / "explain").st_mode & 0o077) == 0
    finally:
        i18n._bytecode_cache.cache_clear()


def test_a_planted_cache_payload_is_never_loaded(tmp_path):
    """A pickle that would create PWNED, planted where a shared cache folder is: not run."""
    shared = tmp_path / "cache"
    folder = shared / "explain"
    folder.mkdir(parents=True)
    os.chmod(folder, 0o777)
    import jinja2
    inner = folder / f"jinja-{jinja2.__version__}"
    inner.mkdir()
    os.chmod(inner, 0o777)
    payload = b"cos\nsystem\n(S'touch PWNED'\ntR."
    for i in range(64):  # whatever the bucket names, every file holds the payload
        (inner / f"__jinja2_{i:040x}.cache").write_bytes(payload)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(shared)}
    env.pop("EXPLAIN_NO_CACHE", None)
    result = subprocess.run([sys.executable, "-m", "explain", "derive", "example:lenet5"], cwd=tmp_path,
                            capture_output=True, env=env, timeout=SECONDS)
    assert result.returncode == 0
    assert not (tmp_path / "PWNED").exists()
    assert sorted(p.name for p in inner.iterdir()) == sorted(f"__jinja2_{i:040x}.cache" for i in range(64))


# -- bounded work ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["markdown", "latex", "json", "text"])
def test_a_power_of_a_long_sum_is_not_expanded(capsys, fmt):
    symbols = {c: 2 for c in "abcdefgh"}
    write("p.json", json.dumps({"symbols": symbols, "input": [4],
                                "layers": [{"Dense": {"units": "(a+b+c+d+e+f+g+h)**64"}}]}))
    status, out, err = cli(capsys, "derive", "p.json", "--format", fmt)
    assert status == 0, err
    u = 16**64  # (8·2)^64 units
    total = 4 * u + u  # Dense on 4 inputs: kernel 4u + bias u
    if fmt == "json":
        assert json.loads(out)["total"] == total
    else:
        assert total in _digits(out.replace("\\,", "\u202f").replace("{,}", ","))


def _conv_chain(n: int) -> str:
    return write(f"c{n}.json", json.dumps({"symbols": {"H": 10**6, "c": 4, "k": 3, "s": 1}, "input": ["H", "c"],
                                           "layers": [{"Conv1D": {"filters": "c", "kernel_size": "k",
                                                                  "strides": "s"}}] * n}))


def test_a_long_symbolic_conv_chain_is_refused_at_the_stated_bound(capsys):
    refused(capsys, "derive", _conv_chain(100), "--format", "json", says="more than 300 operations")


def test_a_shorter_symbolic_conv_chain_is_derived(capsys):
    status, out, _ = cli(capsys, "derive", _conv_chain(20), "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["total"] == 20 * (3 * 4 * 4 + 4)  # each Conv1D: k·c_in·c_out + c_out
    assert len(data["layers"][-1]["output_shape"][1]) < 20 * 40  # one level per layer, not 2^20


def test_concatenate_of_thousands_of_symbolic_branches(capsys):
    n = 3000
    layers = [{"Dense": {"units": "w", "name": f"d{i}", "inputs": "input"}} for i in range(n)]
    layers.append({"Concatenate": {"inputs": [f"d{i}" for i in range(n)]}})
    write("cat.json", json.dumps({"symbols": {"w": 3}, "input": [4], "layers": layers}))
    status, out, _ = cli(capsys, "derive", "cat.json", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["total"] == n * (4 * 3 + 3)  # each Dense: 4·w + w
    assert data["layers"][-1]["output_shape"] == [None, f"{n}*w"]


def test_the_checker_diagnoses_a_large_model(capsys):
    n = 4000
    write("big.json", json.dumps({"input": [4], "layers": [{"Dense": {"units": 4}}] * n}))
    write("w.yaml", "model: big.json\nclaims:\n  - total: 5\n" +
          "".join(f"  - {{layer: {i}, work: 4 x 4 = 16}}\n" for i in range(1, 400)))
    status, out, _ = cli(capsys, "check", "w.yaml", "--format", "json")
    assert status == 1
    claims = json.loads(out)["claims"]
    assert claims[0]["expected"] == n * (4 * 4 + 4)  # Dense: 4·4 + 4 each
    assert all(c["expected"] == 20 and "missing_bias" in c["diagnosis"] for c in claims[1:])


def test_diagnosing_a_wrong_total_evaluates_each_layer_a_bounded_number_of_times(monkeypatch):
    """The diagnosis of a wrong total tries every layer's mistakes: its work per layer must not
    grow with the model (the same number of size evaluations per layer at 200 and 2000 layers,
    a handful for a Dense layer)."""
    import explain
    from explain.checker.mistakes import Context, total_variants
    calls = []
    evaluate = Context.int
    monkeypatch.setattr(Context, "int", lambda self, v: calls.append(1) or evaluate(self, v))
    per_layer = []
    for n in (200, 2000):
        calls.clear()
        model = explain.load({"input": [4], "layers": [{"Dense": {"units": 4}}] * n})
        variants = total_variants(Context(model), "params")
        # Dense 4 -> 4: 4·4 + 4 each; one layer's bias left out, and every layer's
        assert {n * (4 * 4 + 4) - 4, n * 4 * 4} <= {v.value for v in variants if v.code == "missing_bias"}
        per_layer.append(len(calls) / n)
    assert per_layer[0] == per_layer[1] <= 16, per_layer


def test_many_wrong_claims_on_many_convolutions_cost_the_same_per_claim(monkeypatch):
    """Each wrong claim's diagnosis looks at a bounded neighbourhood of its layer: the work per
    claim is the same for 40 claims as for 160 on a model of 400 Conv2D layers."""
    import explain
    from explain.checker import check_model
    from explain.checker.mistakes import Context
    from explain.checker.worksheet import read_worksheet
    calls = []
    evaluate = Context.int
    monkeypatch.setattr(Context, "int", lambda self, v: calls.append(1) or evaluate(self, v))
    write("conv.json", json.dumps({"input": [8, 8, 2], "layers": [
        {"Conv2D": {"filters": 2, "kernel_size": 3, "padding": "same"}}] * 400}))
    model = explain.load("conv.json")
    per_claim = []
    for n in (40, 160):
        write("w.yaml", "model: conv.json\nclaims:\n" +
              "".join(f"  - {{layer: {i}, work: 3 x 3 x 2 x 2 = 37}}\n" for i in range(1, n + 1)))
        calls.clear()
        report = check_model(read_worksheet("w.yaml"), model)
        # Conv2D 3×3, 2 -> 2 channels: 3·3·2·2 + 2 = 38 each; the bias left out gives 36, not 37
        assert [c.expected for c in report.claims] == [38] * n
        assert all(c.verdict == "wrong" for c in report.claims)
        per_claim.append(len(calls) / n)
    assert per_claim[1] <= 1.5 * per_claim[0], per_claim


def test_an_input_size_from_far_back_is_found(capsys):
    """A layer counted with the size of a layer many layers before it (more than the checker
    walks back layer by layer): the sizes before each layer are carried forward, bounded."""
    layers = [{"Dense": {"name": "wide", "units": 32}}] + [{"Dense": {"units": 16}}] * 80
    write("far.json", json.dumps({"input": [8], "layers": layers}))
    # the last Dense: 16·16 + 16 = 272; with the 32 inputs of 'wide': 32·16 + 16 = 528
    write("w.yaml", "model: far.json\nclaims:\n  - {layer: 81, work: 32 x 16 + 16 = 528}\n")
    status, out, err = cli(capsys, "check", "w.yaml", "--format", "json")
    assert status == 1, err
    claim = json.loads(out)["claims"][0]
    assert claim["expected"] == 272 and claim["diagnosis"][0] == "input_from_wrong_layer", claim


def test_text_table_columns_are_bounded(capsys):
    n = 2000
    layers = [{"Dense": {"units": 2, "name": "x" * 5000, "inputs": "input"}}] + \
        [{"Dense": {"units": 2, "name": f"d{i}", "inputs": "input"}} for i in range(n)]
    layers.append({"Concatenate": {"inputs": ["x" * 5000] + [f"d{i}" for i in range(n)]}})
    write("t.json", json.dumps({"input": [4], "layers": layers}))
    status, out, _ = cli(capsys, "derive", "t.json", "--format", "text")
    assert status == 0
    from explain.render.text import MAX_COLUMN
    assert max(len(line) for line in out.splitlines()) <= 4 * MAX_COLUMN + 6
    assert "".join(line.strip() for line in out.splitlines()).count("x" * 50) >= 100  # the name, whole
    assert len(out) < 20 * len(json.dumps(layers))  # output grows with the text, not rows × widest


def test_yaml_is_read_only_as_far_as_a_model_needs(capsys):
    from explain.importers.textfile import MAX_YAML_NODES
    write("flow.yaml", "x: [" + "1, " * (MAX_YAML_NODES + 10) + "1]\n")
    refused(capsys, "derive", "flow.yaml", says="YAML values")


@pytest.mark.parametrize("content, says", [
    ("x: [" + "1, " * 200_010 + "1]\n", "YAML values"),
    ("a: &x [1]\nb: *x\n", "aliases"),
    ("x: " + "[" * 70 + "]" * 70 + "\n", "levels deep"),
])
def test_yaml_over_its_bounds_is_refused_before_anything_is_built(capsys, monkeypatch, content, says):
    """Too many values, an alias or deep nesting are found from the parser's events: no node is
    composed and no value constructed for a file that is refused."""
    import yaml

    def never(*args, **kwargs):
        raise AssertionError("composed a YAML file that is refused")
    monkeypatch.setattr(yaml, "load", never)
    monkeypatch.setattr(yaml, "compose", never)
    write("flow.yaml", content)
    refused(capsys, "derive", "flow.yaml", says=says)
    write("sheet.yaml", "model: flow.yaml\nclaims:\n  - total: 5\n" + content.replace("x:", "y:", 1))
    refused(capsys, "check", "sheet.yaml", says=says)


def test_a_large_yaml_file_is_refused_before_parsing(capsys):
    from explain.importers import MAX_YAML_BYTES
    write("big.yaml", "x: [" + "1, " * (MAX_YAML_BYTES // 3 + 10) + "1]\n")
    refused(capsys, "derive", "big.yaml", says="YAML file of more than")


def test_json_is_read_only_as_far_as_a_model_needs(capsys):
    from explain.importers.textfile import MAX_JSON_VALUES
    write("list.json", "[" + "1," * (MAX_JSON_VALUES + 10) + "1]")
    refused(capsys, "derive", "list.json", says="JSON values")


def test_python_files_are_read_up_to_a_bound(capsys):
    write("ones.py", "import keras\n" + "x = 1\n" * 200_000)
    refused(capsys, "derive", "ones.py", says="KiB")


def _keras_dense(i: int) -> dict:
    return {"class_name": "Dense", "config": {"name": f"d{i}", "units": 2}}


def _keras_sequential(name: str, layers: list) -> dict:
    return {"class_name": "Sequential", "config": {"name": name, "layers": layers}}


_KERAS_INPUT = {"class_name": "InputLayer", "config": {"batch_shape": [None, 2], "name": "in"}}


@pytest.mark.parametrize("source", ["spec", "keras", "keras nested"])
def test_every_importer_has_the_same_layer_bound(capsys, source):
    from explain.model import MAX_LAYERS
    n = MAX_LAYERS + 1
    if source == "spec":
        model = {"input": [4], "layers": [{"Dense": {"units": 4}}] * n}
    elif source == "keras":
        model = _keras_sequential("flat", [_KERAS_INPUT] + [_keras_dense(i) for i in range(n)])
    else:  # two nested models, each under the bound, together over it
        half = n // 2 + 1
        model = _keras_sequential("outer", [_KERAS_INPUT,
                                            _keras_sequential("a", [_keras_dense(i) for i in range(half)]),
                                            _keras_sequential("b", [_keras_dense(half + i) for i in range(half)])])
    write("many.json", json.dumps(model))
    refused(capsys, "derive", "many.json", "--format", "json", says=f"more than {MAX_LAYERS:,} layers")


@pytest.mark.parametrize("source", ["spec", "keras", "pytorch"])
def test_the_layer_bound_holds_where_models_are_built(monkeypatch, source):
    """The bound lives in the graph builder that every importer uses: a model one layer over a
    (lowered) bound is refused whatever it is read from, and one at the bound is read."""
    import explain
    from explain.errors import ExplainError
    monkeypatch.setattr("explain.model.MAX_LAYERS", 12)

    def build(n: int):
        if source == "spec":
            return explain.load({"input": [4], "layers": [{"Dense": {"units": 4}}] * n})
        if source == "keras":
            keras = require_module("keras")
            return explain.from_keras(keras.Sequential([keras.Input((4,))] + [keras.layers.Dense(4) for _ in range(n)]))
        torch = require_module("torch")
        return explain.from_torch(torch.nn.Sequential(*[torch.nn.Linear(4, 4) for _ in range(n)]), (4,))
    assert build(12).total == 12 * (4 * 4 + 4)  # Dense/Linear 4 -> 4: 4·4 + 4 each
    with pytest.raises(ExplainError, match="more than 12 layers"):
        build(13)


def test_finding_repeated_blocks_is_linear_in_the_layers():
    """A run of identical layers (a model at the layer bound is 20,000 of them) is found with each
    repetition's data flow checked once, not once per repetition found before it: the layers
    looked at grow as the model does."""
    import explain
    from explain.derivation.build import group_blocks

    class Counting(list):
        looked_at = 0

        def __getitem__(self, index):
            item = super().__getitem__(index)
            Counting.looked_at += len(item) if isinstance(index, slice) else 1
            return item
    work = []
    for n in (200, 2000):
        Counting.looked_at = 0
        nodes = Counting(explain.load({"input": [4], "layers": [{"Dense": {"units": 4}}] * n}).nodes)
        assert group_blocks(nodes) == [(0, 1, n)]  # one layer, n times
        work.append(Counting.looked_at / n)
    assert work[1] <= 1.5 * work[0], work


def test_output_to_a_pipe_or_a_link_is_written_through_not_replaced(tmp_path, capsys):
    """``-o /dev/null`` as root once renamed a temporary file onto /dev/null, leaving a regular file
    there; a FIFO and a symbolic link are written through, as a shell's ``>`` would."""
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen([sys.executable, "-c", f"print(len(open({str(fifo)!r}).read()))"],
                              stdout=subprocess.PIPE, text=True)
    status, _, err = cli(capsys, "derive", "example:seed-cnn", "-o", str(fifo))
    assert status == 0, err
    assert int(reader.communicate(timeout=SECONDS)[0]) > 1000
    assert fifo.is_fifo()
    real = tmp_path / "notes.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    assert cli(capsys, "derive", "example:seed-cnn", "-o", str(link))[0] == 0
    assert link.is_symlink() and "6,029,097" in real.read_text()


def test_the_template_cache_reads_what_jinja_wrote_and_nothing_else(tmp_path):
    """The cache's own reader (``marshal.loads`` after comparing Jinja's header as bytes) takes
    the code Jinja's writer stored for the same source, and no file whose checksum differs."""
    import marshal

    import jinja2
    from explain.render import i18n
    cache = i18n._QuietBytecodeCache(str(tmp_path))
    env = jinja2.Environment(bytecode_cache=cache)
    source = "{% for x in xs %}{{ x }}, {% endfor %}"
    written = jinja2.bccache.Bucket(env, "key", "checksum-a")
    written.code = compile(env.compile(source, raw=True), "<template>", "exec")
    cache.dump_bytecode(written)
    read = jinja2.bccache.Bucket(env, "key", "checksum-a")
    cache.load_bytecode(read)
    assert read.code is not None and marshal.dumps(read.code) == marshal.dumps(written.code)
    other = jinja2.bccache.Bucket(env, "key", "checksum-b")  # the template's source changed
    cache.load_bytecode(other)
    assert other.code is None
