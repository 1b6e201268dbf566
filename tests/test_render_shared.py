"""Shared weights in the rendered summary: the reusing row says so, the total counts them once."""
from __future__ import annotations

import pytest

import explain

SPEC = {
    "name": "siamese",
    "inputs": {"left": [10], "right": [10]},
    "layers": [
        {"Dense": {"name": "enc", "units": 6, "inputs": "left"}},
        {"Dense": {"name": "enc_r", "shares": "enc", "inputs": "right"}},
        {"Subtract": {"inputs": ["enc", "enc_r"]}},
    ],
}


@pytest.mark.parametrize("lang, marker, total", [
    ("en", "weights shared with `enc", "Total: 66 parameters."),
    ("de", "Gewichte geteilt mit `enc", "Insgesamt: 66 Parameter."),
])
def test_summary_marks_the_reusing_row(lang, marker, total):
    # Dense(6) on 10 inputs: 10·6 + 6 = 66, counted once although applied twice (by hand).
    text = explain.load(SPEC).derive(lang=lang, format="markdown")
    rows = [line for line in text.splitlines() if line.startswith("| `enc")]
    assert len(rows) == 2
    assert marker not in rows[0] and marker in rows[1]
    assert total in text
