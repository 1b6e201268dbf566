"""Benchmark: ``explain`` side by side with what a user would otherwise run (issue 21).

One run times, each as a whole process (interpreter start-up included), alternating the anchor's
runs with explain's so that a change in the machine's load touches both:

- Keras ``model_from_json`` + ``summary()`` on ResNet152 vs ``explain derive`` (Markdown, and
  Markdown with ``--count params,compute,memory``);
- torchinfo ``summary(model, input_size=...)`` on a ResNet-50-sized CNN and on a ViT-L/16, both
  built from ``torch.nn`` (bench/torch_models.py) vs ``explain.from_torch(model, shape)`` plus its
  Markdown derivation (building the model is in both);
- transformers building Llama-3-8B and Llama-2-70B from their configs on the meta device and
  counting unique parameters vs ``explain derive config.json``;
- ``explain check`` on the seed worksheet and on a document, and ``explain exercise`` writing 30
  variants of the seed CNN, against their previous figures (bench/versus_previous.json; ``--save``
  replaces them with this run's);
- ``explain derive`` of 800- and 4,000-layer residual CNNs (the scaling of bench/versus_keras.py).

Each figure is the median of ``--runs`` runs (wall, and CPU = user + sys of the child) and the
largest peak RSS (``ru_maxrss`` of the child, measured from a fresh helper process per run).

    python bench/versus.py [--runs 3] [--only keras,torchinfo,transformers,check,scaling]
                           [--cache DIR] [--save]

Targets: explain's wall time <= 0.08 x Keras's and transformers'; vs torchinfo <= 0.08 on
ViT-L/16 and <= 0.5 on the ResNet-50-sized CNN; peak memory <= 150 MiB in the Keras and
transformers cases; 4,000 layers <= 2 x the time of 800. The exit status is 0 when all are met.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from versus_keras import DEFAULT_CACHE, ROOT, keras_json, measure, residual_spec  # noqa: E402

PREVIOUS = Path(__file__).resolve().parent / "versus_previous.json"
FIXTURES = ROOT / "tests" / "fixtures"
CHECKS = {"seed worksheet": FIXTURES / "worksheets" / "seed_worksheet.yaml",
          "document (lenet-en.md)": FIXTURES / "documents" / "lenet-en.md"}
GROUPS = ("keras", "torchinfo", "transformers", "check", "scaling")

# The configurations of meta-llama/Meta-Llama-3-8B and meta-llama/Llama-2-70b-hf (config.json).
LLAMAS = {
    "Llama-3-8B": {"architectures": ["LlamaForCausalLM"], "model_type": "llama",
                   "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                   "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
                   "max_position_embeddings": 8192, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
                   "hidden_act": "silu", "tie_word_embeddings": False, "attention_bias": False,
                   "bos_token_id": 128000, "eos_token_id": 128001, "torch_dtype": "bfloat16"},
    "Llama-2-70B": {"architectures": ["LlamaForCausalLM"], "model_type": "llama",
                    "hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80,
                    "num_attention_heads": 64, "num_key_value_heads": 8, "vocab_size": 32000,
                    "max_position_embeddings": 4096, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
                    "hidden_act": "silu", "tie_word_embeddings": False, "attention_bias": False,
                    "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float16"},
}

_KERAS_USER = """
import sys
import keras
with open(sys.argv[1], encoding="utf-8") as f:
    model = keras.models.model_from_json(f.read())
model.summary()
"""

# The torch cases time the call in-process too (after importing the tool and building the model,
# as the figures do), printed as JSON on the last line of stderr.
_TORCHINFO_USER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch_models
from torchinfo import summary
module = torch_models.MODELS[sys.argv[2]]()
wall, cpu = time.perf_counter(), time.process_time()
print(summary(module, input_size=(1, 3, 224, 224)))
sys.stdout.flush()
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}), file=sys.stderr)
"""

# `import explain` defers its imports (sympy, the torch importer, the renderer) to the first call;
# the script imports those modules before the clock starts, as `from torchinfo import summary`
# imports torchinfo, and reports their time as "imports" (the whole process includes it).
_EXPLAIN_TORCH = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch_models
wall, cpu = time.perf_counter(), time.process_time()
import explain
import explain.importers.live_torch, explain.render.view
from explain.render import render_document
imports = time.process_time() - cpu
module = torch_models.MODELS[sys.argv[2]]()
wall, cpu = time.perf_counter(), time.process_time()
model = explain.from_torch(module, (3, 224, 224))
sys.stdout.write(render_document("derivation", model, lang="en", format="markdown"))
sys.stdout.flush()
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "imports": imports}),
      file=sys.stderr)
"""

_TRANSFORMERS_USER = """
import sys
import torch
from transformers import AutoConfig, AutoModelForCausalLM
config = AutoConfig.from_pretrained(sys.argv[1])
with torch.device("meta"):
    model = AutoModelForCausalLM.from_config(config)
print(sum(p.numel() for p in model.parameters()))  # unique: parameters() skips tied duplicates
"""


def _script(cache: Path, name: str, text: str) -> Path:
    path = cache / name
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def _explain(*args: str) -> list[str]:
    return [sys.executable, "-m", "explain", *args]


def cases(groups: set[str], cache: Path) -> list[dict]:
    """Each case: a label, the anchor's argv (or None), explain's argvs with their labels, and
    the targets (ratio of explain's time to the anchor's; peak MiB)."""
    py, bench = sys.executable, str(Path(__file__).resolve().parent)
    found: list[dict] = []
    if "keras" in groups:
        path = str(keras_json("ResNet152", cache))
        found.append({"name": "ResNet152 (Keras JSON)", "anchor_label": "Keras model_from_json + summary()",
                      "anchor": [py, str(_script(cache, "keras_user.py", _KERAS_USER)), path],
                      "explain": {"explain derive --format markdown": _explain("derive", path),
                                  "explain derive --count params,compute,memory":
                                      _explain("derive", path, "--count", "params,compute,memory")},
                      "ratio": 0.08, "mib": 150})
    if "torchinfo" in groups:
        for model, label, ratio in (("resnet50", "ResNet-50-sized CNN (torch.nn)", 0.5),
                                    ("vit_l16", "ViT-L/16 (torch.nn)", 0.08)):
            found.append({"name": label, "anchor_label": "torchinfo summary(model, input_size=...)",
                          "anchor": [py, str(_script(cache, "torchinfo_user.py", _TORCHINFO_USER)), bench, model],
                          "explain": {"explain.from_torch + Markdown":
                                      [py, str(_script(cache, "explain_torch.py", _EXPLAIN_TORCH)), bench, model]},
                          "ratio": ratio, "mib": None, "in_process": True})
    if "transformers" in groups:
        for name, config in LLAMAS.items():
            folder = cache / name
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "config.json"
            path.write_text(json.dumps(config, indent=2), encoding="utf-8")
            found.append({"name": f"{name} (config.json)", "anchor_label": "transformers on meta + count",
                          "anchor": [py, str(_script(cache, "transformers_user.py", _TRANSFORMERS_USER)),
                                     str(folder)],
                          "explain": {"explain derive config.json": _explain("derive", str(path))},
                          "ratio": 0.08, "mib": 150})
    if "check" in groups:
        for label, path in CHECKS.items():
            found.append({"name": f"check: {label}", "anchor_label": None, "anchor": None,
                          "explain": {"explain check": _explain("check", str(path))},
                          "ratio": None, "mib": None, "previous": f"check {label}"})
    if "check" in groups:
        out = cache / "exercise30"
        found.append({"name": "exercise: seed-cnn, 30 variants", "anchor_label": None, "anchor": None,
                      "explain": {"explain exercise --variants 30": _explain(
                          "exercise", "example:seed-cnn", "--variants", "30", "--seed", "1",
                          "--out", str(out))},
                      "ratio": None, "mib": None, "previous": "exercise seed-cnn 30 variants"})
    if "scaling" in groups:
        folder = cache / "scaling"
        folder.mkdir(parents=True, exist_ok=True)
        scale = {}
        for n in (800, 4000):
            path = folder / f"residual{n}.json"
            path.write_text(json.dumps(residual_spec(n)), encoding="utf-8")
            scale[f"{n} layers: explain derive --format markdown"] = _explain("derive", str(path))
        found.append({"name": "scaling (residual CNN)", "anchor_label": None, "anchor": None,
                      "explain": scale, "ratio": None, "mib": None})
    return found


def _median(results: list[dict], in_process: bool = False) -> dict:
    """Medians of wall and CPU seconds (of the call itself with ``in_process``; the whole
    process's wall is kept as ``process``) and the largest peak RSS."""
    if in_process:
        calls = [json.loads(r["stderr"].strip().splitlines()[-1]) for r in results]
        return {"wall": statistics.median(c["wall"] for c in calls),
                "cpu": statistics.median(c["cpu"] for c in calls),
                "imports": statistics.median(c.get("imports", 0.0) for c in calls),
                "process": statistics.median(r["wall"] for r in results),
                "mib": max(r["rss_kib"] for r in results) / 1024, "runs": len(results)}
    return {"wall": statistics.median(r["wall"] for r in results),
            "cpu": statistics.median(r["cpu"] for r in results),
            "mib": max(r["rss_kib"] for r in results) / 1024, "runs": len(results)}


def _run(argv: list[str]) -> dict:
    # `explain check` exits 1 when a claim is wrong (the seed worksheet has one on purpose)
    return measure(argv, ok=(0, 1)) if "check" in argv else measure(argv)


def _row(what: str, r: dict, ratio: str = "", verdict: str = "") -> str:
    return f"{what:<52}{r['wall']:>8.2f}{r['cpu']:>8.2f}{r['mib']:>8.0f}  {ratio:<8}{verdict}"


HEADER = f"{'what':<52}{'wall s':>8}{'cpu s':>8}{'MiB':>8}  {'ratio':<8}target"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of every command (median)")
    parser.add_argument("--only", default=",".join(GROUPS), help="comma list of " + ", ".join(GROUPS))
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--save", action="store_true", help=f"write this run's check figures to {PREVIOUS.name}")
    args = parser.parse_args(argv)
    groups = {g.strip() for g in args.only.split(",") if g.strip()}
    args.cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "explain")],
                   check=False, stdout=subprocess.DEVNULL)
    previous = json.loads(PREVIOUS.read_text(encoding="utf-8")) if PREVIOUS.exists() else {}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}; medians of {args.runs} runs, anchor and explain alternating\n")
    print(HEADER)
    verdicts: list[bool] = []
    saved: dict[str, dict] = {}
    scale_wall: dict[int, float] = {}
    for case in cases(groups, args.cache):
        found: dict[str, list[dict]] = {label: [] for label in case["explain"]}
        anchor: list[dict] = []
        for _ in range(args.runs):
            if case["anchor"]:
                anchor.append(_run(case["anchor"]))
            for label, command in case["explain"].items():
                found[label].append(_run(command))
        print(f"-- {case['name']}")
        inproc = case.get("in_process", False)
        if inproc:
            print("   (seconds of the call in-process, after the imports and building the model; "
                  "whole process in the notes)")
        base = _median(anchor, inproc) if anchor else None
        if base:
            print(_row(case["anchor_label"], base, "",
                       f"whole process {base['process']:.2f} s" if inproc else ""))
        for label, results in found.items():
            r = _median(results, inproc)
            ratio, verdict = "", []
            if base and case["ratio"] is not None:
                value = r["wall"] / base["wall"]
                ok = value <= case["ratio"]
                verdicts.append(ok)
                ratio = f"{value:.3f}"
                verdict.append(f"<= {case['ratio']}: {'met' if ok else 'NOT MET'} "
                               f"(cpu ratio {r['cpu'] / base['cpu']:.3f})")
                if inproc:
                    verdict.append(f"whole process {r['process']:.2f} s, imports before the call "
                                   f"{r['imports']:.2f} s cpu")
            if case["mib"] is not None:
                ok = r["mib"] <= case["mib"]
                verdicts.append(ok)
                verdict.append(f"<= {case['mib']} MiB: {'met' if ok else 'NOT MET'}")
            key = case.get("previous")
            if key:
                saved[key] = {"wall": round(r["wall"], 3), "cpu": round(r["cpu"], 3), "mib": round(r["mib"])}
                if key in previous:
                    value = r["wall"] / previous[key]["wall"]
                    ratio = f"{value:.3f}"
                    verdict.append(f"vs previous {previous[key]['wall']:.2f} s "
                                   f"({previous[key].get('date', '?')}): "
                                   f"{'within 10 %' if value <= 1.1 else 'SLOWER by more than 10 %'}")
                else:
                    verdict.append("no previous figure (run with --save)")
            if label.endswith("layers: explain derive --format markdown"):
                scale_wall[int(label.split()[0])] = r["wall"]
            print(_row(label, r, ratio, "; ".join(verdict)))
    if len(scale_wall) == 2:
        value = scale_wall[4000] / scale_wall[800]
        ok = value <= 2
        verdicts.append(ok)
        print(f"{'4000 layers / 800 layers (wall)':<52}{'':>24}  {value:<8.2f}<= 2: {'met' if ok else 'NOT MET'}")
    print(f"\n{sum(verdicts)} of {len(verdicts)} targets met")
    if args.save and saved:
        import datetime
        date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        previous.update({k: dict(v, date=date) for k, v in saved.items()})
        PREVIOUS.write_text(json.dumps(previous, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"saved the check figures to {PREVIOUS}")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
