"""Fuzzing (issue 17): random and mutated specs, Keras JSON, worksheets and safetensors headers
go through ``explain.load``, every renderer and ``explain check``.

Each case runs in a forked child process with an address-space limit (MEMORY) and a CPU-time
limit (SECONDS); the test fails on any exception other than the one-line input error
(ExplainError), on a case over its limits, and on raw HTML or control characters in an output.
The examples are drawn from seeds that hypothesis mutates (and shrinks on a failure); the
whole test costs about a minute.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import struct
import sys
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES

SECONDS = 10  # CPU seconds per case (the bound is 1 s on an idle machine; CI machines are slower)
MEMORY = 512 * 1024 * 1024
"""Address space a case may add to what the forked child starts with (the test process may
have torch and Keras loaded: gigabytes of address space, mostly never touched)."""
FORMATS = ("markdown", "latex", "json", "text")
EXAMPLES = int(os.environ.get("EXPLAIN_FUZZ_EXAMPLES", "15"))

SPEC_SEEDS = [
    {"name": "mlp", "symbols": {"h": 8, "K": 3}, "input": [4],
     "layers": [{"Dense": {"units": "h", "activation": "relu"}}, {"Dense": {"units": "K"}}]},
    {"input": [8, 8, 3], "layers": [{"Conv2D": {"filters": 4, "kernel_size": 3, "padding": "same"}},
                                    {"BatchNormalization": {}}, {"MaxPooling2D": {"pool_size": 2}},
                                    {"Flatten": {}}, {"Dense": {"units": 2}}]},
    {"inputs": {"a": [6], "b": [6]}, "layers": [{"Dense": {"name": "x", "units": 3, "inputs": "a"}},
                                               {"Dense": {"name": "y", "units": 3, "inputs": "b"}},
                                               {"Concatenate": {"inputs": ["x", "y"]}}]},
    {"input": [10, 5], "layers": [{"LSTM": {"units": 4, "return_sequences": True}},
                                  {"EinsumDense": {"equation": "abc,cd->abd", "output_shape": [None, 3],
                                                   "bias_axes": "d"}}]},
    {"framework": "pytorch", "input": [3, 8, 8],
     "layers": [{"Conv2d": {"in_channels": 3, "out_channels": 4, "kernel_size": 3}}, {"Flatten": {}},
                {"Linear": {"in_features": 144, "out_features": 2}}]},
]
HOSTILE_TEXT = ["x|<img src=x onerror=alert(1)>|y", "\x1b]0;t\x07", "\u202e", "\x9b", "\ud800", "a\"|b",
                "(a+b)**64", "a%(a-b)", "9" * 40, "-1", "0", "1.5", "", "{{ 7*7 }}", "\\input{x}", "名前"]


def _scalars() -> st.SearchStrategy:
    return st.one_of(st.integers(-3, 10**40), st.sampled_from(HOSTILE_TEXT), st.none(), st.booleans(),
                     st.floats(allow_nan=True), st.text(max_size=12))


@st.composite
def mutated(draw: st.DrawFn, seed: object) -> object:
    """``seed`` with a few values replaced, keys renamed or dropped, lists cut or repeated."""
    def walk(value: object, depth: int = 0) -> object:
        if depth > 6:
            return value
        choice = draw(st.integers(0, 9))
        if choice == 0:
            return draw(_scalars())
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if draw(st.integers(0, 12)) == 0:
                    continue  # dropped
                key = draw(st.sampled_from([k, k, k, k + "_", draw(st.sampled_from(HOSTILE_TEXT))]))
                out[key] = walk(v, depth + 1)
            return out
        if isinstance(value, list):
            items = [walk(v, depth + 1) for v in value]
            if items and choice == 1:
                items = items * draw(st.integers(2, 40))
            elif items and choice == 2:
                items = items[:draw(st.integers(0, len(items)))]
            return items
        if choice == 3 and isinstance(value, (int, str)):
            return draw(_scalars())
        return value
    return walk(seed)


def _keras_seeds() -> list[object]:
    paths = sorted((FIXTURES / "keras").glob("*.json"), key=lambda p: p.stat().st_size)[:3]
    return [json.loads(p.read_text()) for p in paths]


def _safetensors(header: object) -> bytes:
    raw = json.dumps(header).encode()
    size = 0
    if isinstance(header, dict):
        for entry in header.values():
            if isinstance(entry, dict) and isinstance(entry.get("data_offsets"), list):
                ends = [o for o in entry["data_offsets"] if isinstance(o, int) and 0 <= o < 10**6]
                size = max([size, *ends])
    return struct.pack("<Q", len(raw)) + raw + b"\0" * size


SAFETENSORS_SEED = {"wte.weight": {"dtype": "F32", "shape": [10, 4], "data_offsets": [0, 160]},
                    "h.0.w": {"dtype": "F16", "shape": [4, 4], "data_offsets": [160, 192]},
                    "h.1.w": {"dtype": "F16", "shape": [4, 4], "data_offsets": [192, 224]},
                    "__metadata__": {"format": "pt"}}
WORKSHEET_SEED = {"model": "m.json", "claims": [{"layer": 1, "work": "4 x 8 + 8 = 40"},
                                                 {"layer": "dense_1", "shape": "(None, 3)"},
                                                 {"total": "6.029.097"}]}


def _bad_characters(text: str) -> list[str]:
    return [c for c in text if not (c.isprintable() or c in "\n " or c in "\u00a0\u202f")]


def _check_output(text: str, fmt: str) -> None:
    bad = _bad_characters(text)
    assert not bad, f"{fmt}: unprintable characters {bad[:5]!r}"
    if fmt == "markdown":
        from tests.render_helpers import markdown_parser
        html = markdown_parser().render(text)
        for tag in ("<img", "<script", "<iframe", "<svg"):
            assert tag not in html, f"raw HTML {tag!r} from the Markdown"
    if fmt in ("markdown", "latex"):
        assert "<img" not in text and "<script" not in text, "raw HTML in the output"


def _case(kind: str, payload: object, folder: str) -> None:
    """One case, in the child: load (or check) and render in every format."""
    import explain
    from explain.checker import check_file
    from explain.errors import ExplainError
    from explain.render import render_document
    os.chdir(folder)
    if kind == "raise":  # the harness's own test
        raise ValueError("not an input error")
    if kind == "spin":
        while True:
            pass
    try:
        if kind == "spec":
            model = explain.load(payload)  # type: ignore[arg-type]
        elif kind == "keras":
            Path("m.json").write_text(json.dumps(payload))
            model = explain.load("m.json")
        elif kind == "safetensors":
            Path("m.safetensors").write_bytes(_safetensors(payload))
            model = explain.load("m.safetensors")
        else:
            Path("m.json").write_text(json.dumps(SPEC_SEEDS[1]))
            Path("w.yaml").write_text(json.dumps(payload))
            report = check_file("w.yaml")
            for fmt in FORMATS:
                _check_output(render_document("check", report, lang="de", format=fmt), fmt)
            return
    except ExplainError as e:
        assert "\n" not in str(e).strip(), "an error of more than one line"
        return
    for fmt in FORMATS:
        try:
            _check_output(render_document("derivation", model, lang="fr", format=fmt), fmt)
        except ExplainError as e:  # a format may refuse what it cannot show, in one line
            assert "\n" not in str(e).strip()


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Templates, catalogs and locale data loaded once here: every forked case inherits them."""
    import explain
    from explain.render import render_document
    model = explain.load(SPEC_SEEDS[1])
    for lang in ("fr", "de"):
        for fmt in FORMATS:
            render_document("derivation", model, lang=lang, format=fmt)
    from tests.render_helpers import markdown_parser
    markdown_parser()


def _address_space() -> int:
    """The process's current virtual memory size in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def run_bounded(kind: str, payload: object, folder: Path) -> None:
    """``_case`` in a forked child under the limits; its failure (with the traceback) or its
    being over a limit fails the test here."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        status = 0
        try:
            limit = _address_space() + MEMORY
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            resource.setrlimit(resource.RLIMIT_CPU, (SECONDS, SECONDS + 1))
            _case(kind, payload, str(folder))
            message = b""
        except BaseException:  # noqa: BLE001 — reported to the parent
            message = traceback.format_exc().encode()
            status = 1
        with os.fdopen(write, "wb") as f:
            f.write(message)
        os._exit(status)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        message = f.read().decode("utf-8", "replace")
    _, code = os.waitpid(pid, 0)
    case = json.dumps(payload, default=repr)[:2000]
    if os.WIFSIGNALED(code):
        sig = os.WTERMSIG(code)
        what = "over its CPU time limit" if sig in (signal.SIGXCPU, signal.SIGKILL) else f"killed by signal {sig}"
        pytest.fail(f"{kind} case {what}: {case!r}")
    assert os.WEXITSTATUS(code) == 0, f"{kind} case failed:\n{message}\ninput: {case}"


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork and rlimits")


@FUZZ
@given(st.sampled_from(SPEC_SEEDS).flatmap(mutated))
def test_fuzz_specs(tmp_path_factory, spec):
    run_bounded("spec", spec, tmp_path_factory.mktemp("fuzz"))


@FUZZ
@given(st.sampled_from(_keras_seeds()).flatmap(mutated))
def test_fuzz_keras_json(tmp_path_factory, config):
    run_bounded("keras", config, tmp_path_factory.mktemp("fuzz"))


@FUZZ
@given(mutated(SAFETENSORS_SEED))
def test_fuzz_safetensors_headers(tmp_path_factory, header):
    run_bounded("safetensors", header, tmp_path_factory.mktemp("fuzz"))


@FUZZ
@given(mutated(WORKSHEET_SEED))
def test_fuzz_worksheets(tmp_path_factory, sheet):
    run_bounded("worksheet", sheet, tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize("kind", ["raise", "spin"])
def test_the_harness_fails_on_an_exception_and_on_a_limit(tmp_path, kind, monkeypatch):
    """The fuzz test can fail: an exception other than ExplainError, and a case over its time."""
    monkeypatch.setattr(sys.modules[__name__], "SECONDS", 1)
    with pytest.raises(pytest.fail.Exception if kind == "spin" else AssertionError):
        run_bounded(kind, {}, tmp_path)
