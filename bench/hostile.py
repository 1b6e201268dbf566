"""Benchmark: the worst inputs of issue 17, each within 1 s and 200 MiB or refused in one line.

Every case is a separate ``python -m explain`` process, as a user (or a grading server) runs
it, with an address-space limit of 2 GiB and a timeout of 30 s so that a regression cannot take
the machine down. For each case the table gives the wall and CPU time (user + sys of the
child), the peak resident memory (``ru_maxrss``), the exit status and the verdict:

- ``ok``       exit 0 within the bounds (the output is checked where it says so);
- ``refused``  exit 2 with exactly one line on stderr, within the bounds;
- ``FAIL``     anything else (a traceback, a timeout, more time or memory than allowed).

Time is judged on CPU seconds beyond the interpreter's start-up (the ``start-up`` row, the same
``import explain`` every run pays; on a loaded machine wall time is mostly waiting), memory on
the peak. The exit status is 0 when every case passes.

    python bench/hostile.py [--only NAME] [--keep DIR]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 1.0
MIB = 200
TIMEOUT = 30
ADDRESS_SPACE = 2 * 1024**3


@dataclass
class Case:
    name: str
    argv: Callable[[Path], list[str]]
    """The command line after ``explain``, given the folder the inputs are written into."""
    expect: str = "any"
    """ok, refused or any (either is acceptable)."""
    stdin_fifo: bool = False


def _w(folder: Path, name: str, content: str | bytes) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


def _json(folder: Path, name: str, value: object) -> str:
    return _w(folder, name, json.dumps(value))


def power(fmt: str) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        spec = {"symbols": {c: 2 for c in "abcdefgh"}, "input": [4],
                "layers": [{"Dense": {"units": "(a+b+c+d+e+f+g+h)**64"}}]}
        return ["derive", _json(d, "power.json", spec), "--format", fmt]
    return build


def conv_chain(n: int, fmt: str) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        spec = {"symbols": {"H": 10**6, "c": 4, "k": 3, "s": 1}, "input": ["H", "c"],
                "layers": [{"Conv1D": {"filters": "c", "kernel_size": "k", "strides": "s"}}] * n}
        return ["derive", _json(d, f"conv{n}.json", spec), "--format", fmt]
    return build


def concat(n: int, fmt: str, symbolic: bool = True) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        spec = {"symbols": {"w": 3} if symbolic else {}, "input": [4],
                "layers": [{"Dense": {"units": "w" if symbolic else 2, "name": f"d{i}", "inputs": "input"}}
                           for i in range(n)] + [{"Concatenate": {"inputs": [f"d{i}" for i in range(n)]}}]}
        return ["derive", _json(d, f"concat{n}.json", spec), "--format", fmt]
    return build


def check_dense(n: int) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        _json(d, f"dense{n}.json", {"input": [4], "layers": [{"Dense": {"units": 4}}] * n})
        return ["check", _w(d, f"dense{n}_sheet.yaml", f"model: dense{n}.json\nclaims:\n  - total: 5\n"),
                "--format", "json"]
    return build


def check_conv(layers: int, claims: int) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        _json(d, "conv2d.json", {"input": [8, 8, 2],
                                 "layers": [{"Conv2D": {"filters": 2, "kernel_size": 3, "padding": "same"}}] * layers})
        lines = "".join(f"  - {{layer: {i}, work: 3 x 3 x 2 x 2 = 37}}\n" for i in range(1, claims + 1))
        return ["check", _w(d, "conv2d_sheet.yaml", "model: conv2d.json\nclaims:\n" + lines), "--format", "json"]
    return build


def fifo(kind: str) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        target = d / f"fifo_{kind}"
        if not target.exists():
            os.mkfifo(target)
        if kind == "model":
            return ["derive", str(target)]
        if kind == "worksheet":
            return ["check", str(target)]
        if kind == "--model":
            return ["check", _w(d, "fifo_sheet.yaml", "claims:\n  - total: 5\n"), "--model", str(target)]
        _w(d, "fifo.safetensors.index.json", json.dumps({"weight_map": {"w": "fifo_shard"}}))
        return ["derive", str(d / "fifo.safetensors.index.json")]
    return build


def long_name_text(d: Path) -> list[str]:
    layers = [{"Dense": {"units": 4, "name": "x" * 100_000}}] + [{"Dense": {"units": 4}}] * 5_000
    return ["derive", _json(d, "longname.json", {"input": [4], "layers": layers}), "--format", "text"]


def yaml_flow(mib: float) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        items = int(mib * 1024 * 1024 / 3)
        return ["derive", _w(d, f"flow{mib}.yaml", "x: [" + "1, " * items + "1]\n")]
    return build


def python_lines(d: Path) -> list[str]:
    return ["derive", _w(d, "ones.py", "import keras\n" + "x = 1\n" * 1_700_000)]


def json_list(d: Path) -> list[str]:
    return ["derive", _w(d, "list.json", "[" + "1," * 30_000_000 + "1]")]


def huge_total(exponent: int, fmt: str) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        n = 10**exponent
        return ["derive", _json(d, f"big{exponent}.json", {"input": [n], "layers": [{"Dense": {"units": n}}]}),
                "--format", fmt]
    return build


def safetensors_digits(d: Path) -> list[str]:
    header = ('{"w": {"dtype": "F32", "shape": [' + "9" * 5000 + '], "data_offsets": [0, 4]}}').encode()
    return ["derive", _w(d, "digits.safetensors", struct.pack("<Q", len(header)) + header + b"\0" * 4)]


def keras_lzma(d: Path) -> list[str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_LZMA) as z:
        z.writestr("config.json", b"{}" * 1000)
    data = bytearray(buffer.getvalue())
    start = 30 + len("config.json")
    data[start:start + 9] = b"\x09\x14\x05\x00\x5d" + struct.pack("<I", 0xFFFFFFFF)  # 4 GiB dictionary
    return ["derive", _w(d, "dict.keras", bytes(data))]


CASES = [
    Case("start-up: derive example:lenet5", lambda d: ["derive", "example:lenet5", "--format", "json"], "ok"),
    *(Case(f"(a+…+h)**64, {fmt}", power(fmt)) for fmt in ("markdown", "latex", "json", "text")),
    *(Case(f"Conv1D chain of {n} over symbolic H, {fmt}", conv_chain(n, fmt))
      for n, fmt in ((40, "markdown"), (100, "json"), (100, "markdown"))),
    Case("1000 symbolic Dense into Concatenate, markdown", concat(1000, "markdown")),
    Case("3000 symbolic Dense into Concatenate, json", concat(3000, "json")),
    Case("5000-branch Concatenate, text", concat(5000, "text", symbolic=False)),
    Case("check: 10,000 Dense, one wrong total", check_dense(10_000)),
    Case("check: 30,000 Dense, one wrong total", check_dense(30_000)),
    Case("check: 100,000 Dense, one wrong total", check_dense(100_000)),
    Case("check: 2000 wrong claims, 5000 Conv2D", check_conv(5000, 2000)),
    *(Case(f"FIFO as {kind}", fifo(kind), "refused") for kind in ("model", "worksheet", "--model", "shard")),
    Case("text: 5000 layers, one name of 100k characters", long_name_text),
    Case("YAML flow list of 2 MiB", yaml_flow(2)),
    Case("YAML flow list of 60 MiB", yaml_flow(60), "refused"),
    Case(".py of 1.7M lines 'x = 1' (10 MB)", python_lines, "refused"),
    Case("JSON list of 60 MB", json_list, "refused"),
    Case("total 10^34, markdown", huge_total(17, "markdown"), "ok"),
    Case("total 10^320, latex", huge_total(160, "latex"), "ok"),
    Case("total 10^900, text", huge_total(450, "text"), "ok"),
    Case("total 10^4400", huge_total(2200, "json"), "refused"),
    Case("safetensors header with a 5000-digit size", safetensors_digits, "refused"),
    Case(".keras LZMA entry asking for a 4 GiB dictionary", keras_lzma, "refused"),
]


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run(case: Case, folder: Path) -> dict:
    argv = case.argv(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EXPLAIN_NO_CACHE": ""}
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "explain", *argv], stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, env=env, cwd=folder, preexec_fn=_limit)
        deadline = start + TIMEOUT
        status, usage = None, None
        while status is None:
            pid, code, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status = os.waitstatus_to_exitcode(code)
                break
            if time.perf_counter() > deadline:
                proc.kill()
                _, code, usage = os.wait4(proc.pid, 0)
                status = "timeout"
                break
            time.sleep(0.005)
        proc.returncode = 0  # reaped above
        wall = time.perf_counter() - start
        out.seek(0, io.SEEK_END)
        size = out.tell()
        err.seek(0)
        message = err.read().decode("utf-8", "replace")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "mib": usage.ru_maxrss / 1024,
            "status": status, "stderr": message, "out_bytes": size}


def verdict(case: Case, r: dict, base_cpu: float) -> str:
    in_bounds = r["cpu"] - base_cpu <= SECONDS and r["mib"] <= MIB
    one_line = r["stderr"].count("\n") == 1 and r["stderr"].startswith("explain: ")
    done = r["status"] == 0 or (r["status"] == 1 and case.argv is not None and "check" in case.name)
    if done and case.expect in ("ok", "any") and in_bounds and not r["stderr"]:
        return "ok"
    if r["status"] == 2 and case.expect in ("refused", "any") and in_bounds and one_line:
        return "refused"
    return "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the cases whose name contains this")
    parser.add_argument("--keep", help="write the inputs here (kept) instead of a temporary folder")
    args = parser.parse_args(argv)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="explain-hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    cases = [c for c in CASES if args.only is None or args.only in c.name or c is CASES[0]]
    failed = 0
    base_cpu = 0.0
    print(f"{'case':<52} {'wall s':>7} {'cpu s':>6} {'MiB':>5} {'exit':>7}  verdict  note")
    try:
        for case in cases:
            r = run(case, folder)
            if case is CASES[0]:
                base_cpu = r["cpu"]
            v = verdict(case, r, base_cpu)
            failed += v == "FAIL"
            note = r["stderr"].strip().splitlines()[-1][:90] if r["stderr"].strip() else f"{r['out_bytes']} bytes out"
            print(f"{case.name:<52} {r['wall']:>7.2f} {r['cpu']:>6.2f} {r['mib']:>5.0f} {str(r['status']):>7}  "
                  f"{v:<8} {note}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\nbounds: {SECONDS:.0f} s of CPU beyond start-up ({base_cpu:.2f} s), {MIB} MiB peak; "
          f"{'all met' if not failed else f'{failed} case(s) FAIL'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
