"""A run of identical layers derived once is headed by the numbers its layers take (review 38:
the live encoder's headings went 2, 6, 7, the four encoder layers under "2." alone)."""
from __future__ import annotations

import pytest

import explain
from explain.render.documents import render_document
from tests.conftest import require_module

SPEC = {"name": "run", "input": [8], "layers": [{"Dense": {"units": 8}}, {"Dense": {"units": 8}},
                                                 {"Dense": {"units": 8}}, {"Dense": {"units": 2}}]}


def test_keras_counts_the_run():
    """Keras: three Dense(8) on 8 inputs, 8·8 + 8 = 72 each, then Dense(2), 8·2 + 2 = 18: 234."""
    keras = require_module("keras")
    model = keras.Sequential([keras.Input((8,))] + [keras.layers.Dense(8) for _ in range(3)] + [keras.layers.Dense(2)])
    assert model.count_params() == 3 * (8 * 8 + 8) + 8 * 2 + 2 == 234
    assert explain.load(SPEC).total == 234


@pytest.mark.parametrize("lang, fmt, first, last", [
    ("en", "markdown", "### 1–3. `dense`", "### 4. `dense_3`"),
    ("de", "markdown", "### 1–3. `dense`", "### 4. `dense_3`"),
    ("ja", "markdown", "### 1～3. `dense`", "### 4. `dense_3`"),
    ("fr", "latex", "1–3. \\texttt{dense}", "4. \\texttt{dense\\_3}")])
def test_a_run_of_identical_layers_is_headed_by_its_layers_numbers(lang, fmt, first, last):
    text = render_document("derivation", explain.load(SPEC), lang=lang, format=fmt)
    assert first in text and last in text
    assert "### 1. " not in text and "### 2. " not in text
