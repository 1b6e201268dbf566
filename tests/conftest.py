"""Shared test helpers: fixture paths, and requiring optional tools (fail under CI=true)."""
from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
ROOT = TESTS.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_module(name: str):
    """Import an optional module; under CI=true its absence fails the test instead of skipping."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if IN_CI:
            pytest.fail(f"{name} is required in CI but is not installed")
        pytest.skip(f"{name} is not installed")


def require_tool(name: str) -> str:
    """The path of a command-line tool; under CI=true its absence fails the test."""
    path = shutil.which(name) or (str(ROOT / "node_modules" / ".bin" / name)
                                  if (ROOT / "node_modules" / ".bin" / name).exists() else None)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required in CI but is not on PATH")
        pytest.skip(f"{name} is not installed")
    return path


@cache
def derivation_md(source: str, lang: str = "en", fmt: str = "markdown") -> str:
    """The derivation of ``source`` (``example:…`` or a path under tests/fixtures) in ``lang`` and
    ``fmt``, rendered once per source, language and format (the reviewers' wording tables ask
    for the same documents many times)."""
    import explain
    from explain.render.documents import render_document
    model = explain.load(source if source.startswith("example:") else FIXTURES / source)
    return render_document("derivation", model, lang=lang, format=fmt)


def translated_part(lang: str, msgid: str) -> str:
    """The longest stretch of ``msgid``'s translation into ``lang`` without a placeholder: what a
    render in ``lang`` must contain where it says that message (a test that an English sentence is
    absent then also fails for a missing or wrong translation)."""
    import re
    from explain.render.i18n import translate
    native = translate(lang, msgid)
    assert native != msgid, (lang, msgid)
    return max(re.split(r"%\(\w+\)s", native), key=len).strip()


def assert_wording(text: str, present: str, absent: str) -> None:
    """A reviewer's finding fixed: the new wording ``present`` is in ``text``, the old ``absent`` not."""
    assert present in text, present
    assert absent not in text, absent


@cache
def _seed_compute_md(lang: str) -> str:
    """The seed's Markdown with params, compute and memory in one language, rendered once per language."""
    import explain
    from explain.render import render
    return render(explain.load("example:seed-cnn"), lang=lang, format="markdown",
                  count=("params", "compute", "memory"))


@pytest.fixture(scope="session")
def seed_compute_md() -> Callable[[str], str]:
    """The seed CNN's compute and memory Markdown by language, shared by the compute wording tests."""
    return _seed_compute_md


def encoder_classifier(width: int, layers: int):
    """A live torch classifier: Embedding(100, width), ``layers`` nn.TransformerEncoderLayer
    (4 heads, feed-forward 2·width, dropout 0.1), the mean over the positions, Linear(width, 2)."""
    nn = require_module("torch").nn

    class Enc(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(100, width)
            layer = nn.TransformerEncoderLayer(width, 4, 2 * width, dropout=0.1, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
            self.head = nn.Linear(width, 2)

        def forward(self, x):
            return self.head(self.encoder(self.embed(x)).mean(1))

    return Enc()
