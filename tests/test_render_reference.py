"""``explain layers``: the reference of every layer type in every language and format."""
from __future__ import annotations

import pytest

from explain.layers.registry import layer_types
from explain.render.documents import render_document
from explain.render.reference import instantiate
from tests.render_helpers import LANGS, formulas, katex_errors


def render_layers(lang: str, format: str, framework: str | None = None) -> str:
    return render_document("layers", None, lang=lang, format=format, framework=framework)


@pytest.mark.parametrize("lang", LANGS)
def test_reference_lists_every_type_with_formulas(lang):
    text = render_layers(lang=lang, format="markdown")
    for cls in layer_types("keras"):
        assert cls.type_name.replace("_", "\\_") in text
    assert r"P = k_{h} \cdot k_{w} \cdot c_{\text{in}} \cdot c_{\text{out}} + c_{\text{out}}" in text
    assert r"P = n_{\text{in}} \cdot n_{\text{out}} + n_{\text{out}}" in text


def test_reference_formulas_render_in_katex():
    items = []
    for lang in ("en", "ja"):
        items += formulas(render_layers(lang=lang, format="markdown"))
        items += formulas(render_layers(lang=lang, format="markdown", framework="pytorch"))
    assert katex_errors(items) == []


def test_most_types_can_be_instantiated():
    types = layer_types()
    built = [cls for cls in types if instantiate(cls) is not None]
    assert len(built) >= 0.9 * len(types)


def test_latex_reference_is_a_document():
    text = render_layers(lang="de", format="latex")
    assert text.startswith("\\documentclass") and "\\end{document}" in text


def test_text_reference_prints_plain_formulas():
    """`explain layers --format text` is for a terminal: the formulas in their plain form (Conv2D
    k_h·k_w·c_in·c_out + c_out, Dense n_in·n_out + n_out), no LaTeX."""
    text = render_layers(lang="en", format="text")
    lines = text.splitlines()
    assert "Conv2D (keras): k_h·k_w·c_in·c_out + c_out" in lines
    assert "Dense (keras): n_in·n_out + n_out" in lines
    assert "\\" not in text and "{" not in text
