"""Benchmark: ``explain derive`` against what a Keras user runs, and its scaling with depth.

Part 1. For the Keras JSON of ResNet50 and ResNet152 (``keras.applications``, ``weights=None``,
written once into a cache folder), each as a whole process (interpreter start-up included):

- ``explain derive MODEL.json --format json`` and ``--format markdown``;
- ``keras.models.model_from_json(text)`` then ``model.summary()`` (``KERAS_BACKEND=torch``).

Part 2. ``explain derive`` (JSON and Markdown) on generated residual models of 100 to 10,000
layers (Conv2D / BatchNormalization / ReLU / Add blocks), with the time per layer.

Each run is a subprocess; the table gives the median wall time, the median CPU time (user + sys
of the child, which the machine's load disturbs less) and the peak resident memory
(``getrusage(RUSAGE_CHILDREN).ru_maxrss``, measured per run in a fresh helper process).

    python bench/versus_keras.py [--runs 5] [--keras-runs 3] [--cache DIR] [--skip-keras]
                                 [--layers 100,400,800,1600,4000,10000]

Targets (issue 7): ResNet152's Markdown in at most a tenth of Keras's wall time and at most
150 MiB; 4,000 layers in under 4 s; 4,000 layers at most 5 x the time of 800 layers.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "explain-bench"
RESNETS = ("ResNet50", "ResNet152")
SCALES = (100, 400, 800, 1600, 4000, 10000)

# Runs ``argv`` as a child of a fresh helper process and prints the child's wall time, CPU time
# and peak RSS as JSON, so that ru_maxrss (a maximum over all waited-for children) is this run's.
_MEASURE = r"""
import json, resource, subprocess, sys, time
argv, env = json.loads(sys.argv[1]), json.loads(sys.argv[2])
start = time.perf_counter()
done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_kib": usage.ru_maxrss, "status": done.returncode,
                  "stderr": done.stderr.decode(errors="replace")[-500:]}))
"""

_KERAS_USER = """
import sys
import keras
with open(sys.argv[1], encoding="utf-8") as f:
    model = keras.models.model_from_json(f.read())
model.summary()
"""

_GENERATE = """
import sys
import keras
name, path = sys.argv[1], sys.argv[2]
model = getattr(keras.applications, name)(weights=None)
with open(path, "w", encoding="utf-8") as f:
    f.write(model.to_json())
print(len(model.layers), model.count_params())
"""


def _env() -> dict[str, str]:
    env = dict(os.environ, KERAS_BACKEND="torch")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def measure(argv: list[str], ok: tuple[int, ...] = (0,)) -> dict:
    """One run of ``argv``: wall and CPU seconds, peak RSS in KiB (exit status in ``ok``)."""
    env = _env()
    out = subprocess.run([sys.executable, "-c", _MEASURE, json.dumps(argv), json.dumps(env)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    result = json.loads(out.stdout)
    if result["status"] not in ok:
        raise SystemExit(f"failed ({result['status']}): {' '.join(argv)}\n{result['stderr']}")
    return result


def runs(argv: list[str], count: int) -> dict:
    """Medians over ``count`` runs (and the maximum peak RSS)."""
    return summary([measure(argv) for _ in range(count)])


def summary(results: list[dict]) -> dict:
    count = len(results)
    return {"wall": statistics.median(r["wall"] for r in results),
            "cpu": statistics.median(r["cpu"] for r in results),
            "rss_mib": max(r["rss_kib"] for r in results) / 1024,
            "runs": count}


def keras_json(name: str, cache: Path) -> Path:
    """The cached Keras JSON of ``keras.applications.<name>(weights=None)``."""
    path = cache / f"{name}.json"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        out = subprocess.run([sys.executable, "-c", _GENERATE, name, str(tmp)], env=_env(),
                             capture_output=True, text=True, check=True)
        tmp.replace(path)
        print(f"generated {path} ({out.stdout.strip()})", file=sys.stderr)
    return path


def residual_spec(layers: int) -> dict:
    """A residual CNN of exactly ``layers`` layers: a stem Conv2D, blocks of Conv2D (same
    padding), BatchNormalization, ReLU and Add (the block's input plus its ReLU), then
    GlobalAveragePooling2D and Dense; a ReLU or two pad to the exact count. The blocks' kernels
    (1x1 or 3x3) follow the Thue-Morse sequence, which never repeats with a period, so the
    derivation cannot fold the model into a few "x N" runs."""
    body: list[dict] = [{"Conv2D": {"name": "stem", "filters": 64, "kernel_size": 3, "padding": "same",
                                    "inputs": "image"}}]
    last, block = "stem", 0
    while layers - 2 - len(body) >= 4:
        block += 1
        body += [
            {"Conv2D": {"name": f"conv{block}", "filters": 64, "padding": "same",
                        "kernel_size": 3 if bin(block).count("1") % 2 else 1,
                        "use_bias": False, "inputs": last}},
            {"BatchNormalization": {"name": f"bn{block}"}},
            {"ReLU": {"name": f"relu{block}"}},
            {"Add": {"name": f"add{block}", "inputs": [last, f"relu{block}"]}},
        ]
        last = f"add{block}"
    while len(body) < layers - 2:
        body.append({"ReLU": {"name": f"pad_relu{len(body)}", "inputs": last}})
        last = body[-1]["ReLU"]["name"]
    body.append({"GlobalAveragePooling2D": {"name": "gap", "inputs": last}})
    body.append({"Dense": {"name": "head", "units": 1000}})
    return {"name": f"residual{layers}", "inputs": {"image": [32, 32, 3]}, "layers": body}


def explain_argv(path: Path, fmt: str) -> list[str]:
    return [sys.executable, "-m", "explain", "derive", str(path), "--format", fmt]


def _row(what: str, r: dict, extra: str = "") -> str:
    return f"{what:<48}{r['wall']:>9.2f}{r['cpu']:>9.2f}{r['rss_mib']:>10.0f}  {extra}"


HEADER = f"{'what':<48}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}  notes"


def versus_keras(cache: Path, count: int, keras_count: int, skip_keras: bool) -> list[str]:
    lines = [HEADER]
    script = cache / "keras_user.py"
    cache.mkdir(parents=True, exist_ok=True)
    script.write_text(_KERAS_USER, encoding="utf-8")
    verdicts = []
    for name in RESNETS:
        path = keras_json(name, cache)
        # interleaved, so that a change in the machine's load touches Keras and explain alike
        found: dict[str, list[dict]] = {"keras": [], "json": [], "markdown": []}
        for i in range(max(count, 0 if skip_keras else keras_count)):
            if not skip_keras and i < keras_count:
                found["keras"].append(measure([sys.executable, str(script), str(path)]))
            for fmt in ("json", "markdown"):
                if i < count:
                    found[fmt].append(measure(explain_argv(path, fmt)))
        keras = summary(found["keras"]) if found["keras"] else None
        if keras:
            lines.append(_row(f"{name}: Keras model_from_json + summary", keras,
                              f"{keras['runs']} runs"))
        for fmt in ("json", "markdown"):
            r = summary(found[fmt])
            note = f"{r['runs']} runs"
            if keras:
                note += (f"; {keras['wall'] / r['wall']:.1f}x faster (wall), "
                         f"{keras['cpu'] / r['cpu']:.1f}x (cpu)")
            lines.append(_row(f"{name}: explain derive --format {fmt}", r, note))
            if name == "ResNet152" and fmt == "markdown":
                if keras:
                    verdicts.append(("ResNet152 Markdown <= Keras wall / 10",
                                     r["wall"] <= keras["wall"] / 10,
                                     f"{r['wall']:.2f} s vs {keras['wall'] / 10:.2f} s"))
                    verdicts.append(("ResNet152 Markdown <= Keras cpu / 10 (for a loaded machine)",
                                     r["cpu"] <= keras["cpu"] / 10,
                                     f"{r['cpu']:.2f} s vs {keras['cpu'] / 10:.2f} s"))
                verdicts.append(("ResNet152 Markdown peak <= 150 MiB", r["rss_mib"] <= 150,
                                 f"{r['rss_mib']:.0f} MiB"))
    return lines, verdicts


def scaling(cache: Path, sizes: list[int], count: int) -> tuple[list[str], list]:
    lines = [HEADER.replace("notes", "ms per layer")]
    folder = cache / "scaling"
    folder.mkdir(parents=True, exist_ok=True)
    times: dict[tuple[int, str], float] = {}
    cpu: dict[tuple[int, str], float] = {}
    for n in sizes:
        path = folder / f"residual{n}.json"
        path.write_text(json.dumps(residual_spec(n)), encoding="utf-8")
        for fmt in ("json", "markdown"):
            r = runs(explain_argv(path, fmt), count)
            times[n, fmt] = r["wall"]
            cpu[n, fmt] = r["cpu"]
            lines.append(_row(f"{n:>6} layers: explain derive --format {fmt}", r,
                              f"{1000 * r['wall'] / n:.2f} wall, {1000 * r['cpu'] / n:.2f} cpu"))
    verdicts = []
    for fmt in ("json", "markdown"):
        small = min(sizes)
        for n in sizes:
            if n > small:
                step = (times[n, fmt] - times[small, fmt]) / (n - small)
                step_cpu = (cpu[n, fmt] - cpu[small, fmt]) / (n - small)
                lines.append(f"{fmt:>8}: time per added layer, {small} -> {n} layers: "
                             f"{1000 * step:.3f} ms wall, {1000 * step_cpu:.3f} ms cpu")
        for label, table in (("wall", times), ("cpu", cpu)):
            if (4000, fmt) in table:
                verdicts.append((f"4000 layers {fmt} < 4 s ({label})", table[4000, fmt] < 4,
                                 f"{table[4000, fmt]:.2f} s"))
            if (4000, fmt) in table and (800, fmt) in table:
                ratio = table[4000, fmt] / table[800, fmt]
                verdicts.append((f"4000 layers {fmt} <= 5 x 800 layers ({label})", ratio <= 5,
                                 f"ratio {ratio:.2f}"))
    return lines, verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each explain command")
    parser.add_argument("--keras-runs", type=int, default=3, help="runs of the Keras command")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--skip-keras", action="store_true", help="don't time Keras")
    parser.add_argument("--skip-resnet", action="store_true", help="only the scaling part")
    parser.add_argument("--layers", default=",".join(map(str, SCALES)),
                        help="comma-separated layer counts for the scaling part ('' for none)")
    args = parser.parse_args(argv)

    verdicts = []
    # byte-compile explain as `pip install` does (Keras and sympy come byte-compiled; the
    # environment may set PYTHONDONTWRITEBYTECODE, and a source checkout has no .pyc files)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "explain")],
                   check=False, stdout=subprocess.DEVNULL)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.2f}; "
          f"medians of {args.runs} runs (Keras: {args.keras_runs})\n")
    if not args.skip_resnet:
        lines, found = versus_keras(args.cache, args.runs, args.keras_runs, args.skip_keras)
        verdicts += found
        print("\n".join(lines) + "\n", flush=True)
    sizes = [int(s) for s in args.layers.split(",") if s.strip()]
    if sizes:
        lines, found = scaling(args.cache, sizes, args.runs)
        verdicts += found
        print("\n".join(lines) + "\n")
    for what, ok, detail in verdicts:
        print(f"{'met' if ok else 'NOT MET':<8}{what}: {detail}")
    return 0 if all(ok for _, ok, _ in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
