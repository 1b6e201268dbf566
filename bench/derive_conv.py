"""Benchmark: ``explain derive`` of a 500-layer convolutional model to JSON.

Generates the spec (Conv2D/BatchNormalization/ReLU blocks with a few poolings, then a head),
times the whole process (``python -m explain derive SPEC --format json``, interpreter start-up
included) and the in-process call (``explain.cli.main``), and prints a table of wall-clock and
CPU seconds. The target is under one second for the whole process.

    python bench/derive_conv.py [--layers 500] [--repeat 5] [--symbolic]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def conv_spec(layers: int = 500, symbolic: bool = False) -> dict:
    """A plain CNN of exactly ``layers`` layers: blocks of Conv2D (same), BatchNormalization and
    ReLU, a MaxPooling2D after every fifth block while the image is large, then
    GlobalAveragePooling2D and Dense."""
    body: list[dict] = []
    width = "F" if symbolic else 32
    size, block = 224, 0
    while len(body) < layers - 2:
        block += 1
        room = layers - 2 - len(body)
        if room >= 3:
            filters = width if block % 2 else (f"2*{width}" if symbolic else 2 * width)
            body.append({"Conv2D": {"filters": filters, "kernel_size": 3, "padding": "same", "use_bias": False}})
            body.append({"BatchNormalization": {}})
            body.append({"ReLU": {}})
            if block % 5 == 0 and size >= 14 and len(body) < layers - 2:
                body.append({"MaxPooling2D": {"pool_size": 2}})
                size //= 2
        else:
            body.append({"Dropout": {"rate": 0.1}})
    body.append({"GlobalAveragePooling2D": {}})
    body.append({"Dense": {"units": 1000}})
    spec: dict = {"name": f"conv{layers}", "input": ["H", "W", 3] if symbolic else [224, 224, 3],
                  "layers": body}
    if symbolic:
        spec["symbols"] = {"H": 224, "W": 224, "F": 32}
    return spec


Timing = tuple[list[float], list[float]]
"""(wall-clock seconds, CPU seconds) per run. CPU time (user + system) is what the machine needs
when nothing else runs; wall-clock time also counts waiting for a busy CPU."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(argv: list[str], repeat: int) -> Timing:
    wall, cpu = [], []
    for _ in range(repeat):
        cpu_start, start = _children_cpu(), time.perf_counter()
        result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
        wall.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - cpu_start)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {result.stderr.strip()}")
    return wall, cpu


def time_process(path: Path, repeat: int) -> Timing:
    return time_command([sys.executable, "-m", "explain", "derive", str(path), "--format", "json"], repeat)


def time_in_process(path: Path, repeat: int) -> tuple[Timing, dict]:
    sys.path.insert(0, str(ROOT))
    from explain.cli import main

    wall, cpu, output = [], [], ""
    for _ in range(repeat):
        buffer = io.StringIO()
        cpu_start, start = time.process_time(), time.perf_counter()
        with contextlib.redirect_stdout(buffer):
            status = main(["derive", str(path), "--format", "json"])
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        assert status == 0
        output = buffer.getvalue()
    return (wall, cpu), json.loads(output)


def time_startup(repeat: int) -> Timing:
    return time_command([sys.executable, "-c", "import explain.cli, explain.importers.spec"], repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--symbolic", action="store_true", help="also time a variant with symbolic H, W, F")
    args = parser.parse_args(argv)

    variants = [("numeric", False)] + ([("symbolic", True)] if args.symbolic else [])
    rows = [("import explain (process)", time_startup(args.repeat))]
    with tempfile.TemporaryDirectory() as folder:
        for label, symbolic in variants:
            spec = conv_spec(args.layers, symbolic)
            path = Path(folder) / f"conv{args.layers}_{label}.json"
            path.write_text(json.dumps(spec), encoding="utf-8")
            rows.append((f"derive {label}, whole process", time_process(path, args.repeat)))
            timing, result = time_in_process(path, args.repeat)
            rows.append((f"derive {label}, in-process", timing))
            assert len(result["layers"]) == args.layers, len(result["layers"])
            print(f"{label}: {len(result['layers'])} layers, total {result['total']:,} parameters")

    print(f"\n{args.repeat} runs each; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'what':<34}{'wall best':>10}{'wall median':>12}{'CPU best':>10}{'CPU median':>12}   (seconds)")
    for what, (wall, cpu) in rows:
        print(f"{what:<34}{min(wall):>10.3f}{statistics.median(wall):>12.3f}"
              f"{min(cpu):>10.3f}{statistics.median(cpu):>12.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
