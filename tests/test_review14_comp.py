"""Round 14 (compute, training memory, exercise sheets): the reviewers' findings on the seed CNN's
compute and memory sections and on the exercise and solution sheets."""
from __future__ import annotations

import re
from functools import cache

import pytest

import explain
from explain.render import render

COUNT = ("params", "compute", "memory")


@cache
def _seed(lang: str, count: tuple[str, ...] = COUNT, format: str = "markdown") -> str:
    return render(explain.load("example:seed-cnn"), lang=lang, format=format, count=count)


def test_german_compute_total_is_a_sum_and_the_parameter_total_stays():
    """de reviewer: the compute table's last row sums its columns („Summe“); the parameter
    section's total keeps „Gesamtzahl“ (one msgid, two contexts)."""
    text = _seed("de")
    compute = text[text.index("## Rechenaufwand"):]
    assert re.search(r"^\| \*\*Summe\*\* \| \*\*[\d.]+\*\* \| \*\*[\d.]+\*\* \|$", compute, re.M)
    assert "**Gesamtzahl**" not in compute
    assert "## Gesamtzahl" in text[:text.index("## Rechenaufwand")]
    latex = _seed("de", format="latex")
    assert r"\textbf{Summe} &" in latex


def _compute_entry(text: str, heading: str) -> str:
    compute = text[text.index("### Compute, layer by layer"):]
    start = compute.index(heading)
    end = compute.find("\n#### ", start + 1)
    return compute[start:end] if end > 0 else compute[start:]


@pytest.mark.parametrize("model,heading,earlier", [
    ("example:seed-cnn", "#### 18. `dense_3` (Dense)", "layer 14, `dense_1`"),
    ("example:lenet5", "#### 8. `output` (Dense)", "layer 6, `c5`"),
])
def test_a_later_dense_with_softmax_is_led_in_by_what_it_shares(model, heading, earlier):
    """en/de/fr reviewers: the last Dense layer showed its formulas with no lead-in. Its MACs
    n_in · n_out are the first Dense layer's formula (both Dense, with a bias); its O is 4 n_out
    (bias + softmax's exp, sum, divide) against 2 n_out (bias + relu/tanh), so only O differs."""
    text = render(explain.load(model), lang="en", format="markdown", count=("params", "compute"))
    entry = _compute_entry(text, heading)
    lead = (f"The MACs follow the same formula as in {earlier}; the other operations $O$ do not:\n\n$$")
    assert lead in entry
    assert "O &= 4n_{\\text{out}}" in entry


def test_the_lead_in_is_translated_and_in_the_pdf_source():
    de = _compute_entry(_seed("de").replace("### Rechenaufwand Schicht für Schicht",
                                            "### Compute, layer by layer"), "#### 18.")
    assert "Die MACs folgen derselben Formel wie in Schicht 14 (`dense_1`), die weiteren Operationen $O$ aber nicht:" in de
    latex = _seed("en", format="latex")
    entry = latex[latex.index(r"\paragraph*{18. \texttt{dense\_3} (Dense)}\mbox{}\\" + "\nThe MACs"):]
    assert entry.index("The MACs follow") < entry.index(r"\begin{aligned}")


@pytest.mark.parametrize("lang,present,absent", [
    ("ja", "1 パラメータあたりのバイト数（`float32`）", "バイト数／パラメータ"),
    ("ja", "1 パラメータあたりのバイト数（混合精度、ZeRO の数え方）", "パラメータ 1 つあたり"),
])
def test_memory_table_wording(lang, present, absent):
    text = _seed(lang)
    assert present in text
    assert absent not in text
