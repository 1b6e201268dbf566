"""The command line on the seed article's model: exact figures from the article's Keras summary."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import FIXTURES, ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explain", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_seed_cnn_json_matches_the_article_summary():
    expected = json.loads((FIXTURES / "specs" / "seed_cnn.expected.json").read_text())
    result = run("derive", "example:seed-cnn", "--format", "json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["total"] == 6029097 == expected["total"]
    assert (got["trainable"], got["non_trainable"]) == (6029097, 0)
    assert [(l["name"], l["type"], l["output_shape"], l["params"]) for l in got["layers"]] == \
        [(l["name"], l["type"], l["output_shape"], l["params"]) for l in expected["layers"]]
    assert got["layers"][0]["weights"] == {"kernel": 3 * 3 * 3 * 32, "bias": 32}


def test_unknown_layer_is_one_line_with_a_suggestion(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: [8]\nlayers:\n  - Dense: {units: 4}\n  - Dnse: {units: 2}\n")
    result = run("derive", str(spec), "--format", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(spec) in lines[0] and "#2 (Dnse)" in lines[0] and "Did you mean 'Dense'?" in lines[0]
