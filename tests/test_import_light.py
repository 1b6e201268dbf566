"""Importing explain (and reading Keras JSON, archives, snippets) never imports the frameworks."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import FIXTURES, ROOT

HEAVY = ("keras", "torch", "transformers", "tensorflow", "tf_keras", "jax")

SCRIPT = """
import sys, json
import explain
after_import = sorted(m for m in sys.modules if m.split('.')[0] in HEAVY)
explain.load('example:seed-cnn')
explain.load(KERAS_JSON)
explain.load(SNIPPET)
after_use = sorted(m for m in sys.modules if m.split('.')[0] in HEAVY)
print(json.dumps([after_import, after_use]))
"""


def test_import_explain_imports_no_framework():
    code = (f"HEAVY = {HEAVY!r}\nKERAS_JSON = {str(FIXTURES / 'keras' / 'ResNet50.json')!r}\n"
            f"SNIPPET = {str(FIXTURES / 'snippets' / 'seed_model.py')!r}\n" + SCRIPT)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    after_import, after_use = json.loads(result.stdout.strip().splitlines()[-1])
    assert after_import == []
    assert after_use == []
