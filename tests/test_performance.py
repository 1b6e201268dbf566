"""Guards for the speed bench/versus_keras.py measures: what ``--format json`` imports, and time
that grows linearly with the number of layers (a quadratic loop would show as a 25-fold ratio).
The full figures are in bench/README.md."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

import explain
from tests.conftest import FIXTURES, ROOT


def test_json_derivation_imports_no_template_locale_or_yaml_library():
    code = ("import sys\nfrom explain.cli import main\n"
            f"main(['derive', {str(FIXTURES / 'keras' / 'ResNet50.json')!r}, '--format', 'json'])\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'jinja2', 'babel', 'markupsafe', 'yaml'}),"
            " file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 25_636_712  # keras.applications.ResNet50 (fixture)
    assert result.stderr.strip().splitlines()[-1] == "[]"


def _residual(blocks: int) -> dict:
    """A stem and ``blocks`` Conv2D/BatchNormalization/ReLU/Add blocks with Thue-Morse kernels
    (no periodic repetition to fold)."""
    layers = [{"Conv2D": {"name": "stem", "filters": 8, "kernel_size": 3, "padding": "same", "inputs": "x"}}]
    last = "stem"
    for b in range(1, blocks + 1):
        layers += [{"Conv2D": {"name": f"c{b}", "filters": 8, "padding": "same", "inputs": last,
                               "kernel_size": 3 if bin(b).count("1") % 2 else 1}},
                   {"BatchNormalization": {"name": f"n{b}"}}, {"ReLU": {"name": f"r{b}"}},
                   {"Add": {"name": f"a{b}", "inputs": [last, f"r{b}"]}}]
        last = f"a{b}"
    return {"name": "residual", "inputs": {"x": [8, 8, 3]}, "layers": layers}


def _cpu_seconds(blocks: int, fmt: str) -> float:
    spec = _residual(blocks)
    best = float("inf")
    for _ in range(2):
        start = time.process_time()
        model = explain.load(spec)
        model.derive(format=fmt)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_time_grows_linearly_with_layers(fmt):
    _cpu_seconds(10, fmt)  # imports and caches
    small, large = _cpu_seconds(100, fmt), _cpu_seconds(500, fmt)  # 401 and 2001 layers
    assert large / small < 9, f"{small:.3f} s for 401 layers, {large:.3f} s for 2001"
