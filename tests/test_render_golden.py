"""Golden files: the rendered Markdown and LaTeX of a few models in every language.

Refresh after a deliberate change with ``UPDATE_GOLDEN=1 pytest tests/test_render_golden.py`` and
review the diff (``git diff tests/golden``) before committing it.
"""
from __future__ import annotations

import os

import pytest

from explain.importers import load
from explain.render import render
from tests.conftest import FIXTURES, ROOT

GOLDEN = ROOT / "tests" / "golden"
MODELS = {"seed-cnn": "example:seed-cnn", "mlp-symbolic": "example:mlp-symbolic",
          "mlp-bn": str(FIXTURES / "specs" / "mlp_bn.yaml"), "residual": str(FIXTURES / "specs" / "residual.yaml")}
FORMATS = {"markdown": "md", "latex": "tex"}
LANGS = ("en", "de", "ja", "fr", "es")
UPDATE = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("model", MODELS)
def test_golden(model, fmt, lang):
    text = render(load(MODELS[model]), lang=lang, format=fmt)
    path = GOLDEN / f"{model}.{lang}.{FORMATS[fmt]}"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text("utf-8")
