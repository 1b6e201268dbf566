"""Review 37 (es): babel-spanish set \\min and \\max as "mín" and "máx" in the PDF while KaTeX shows
"min" and "max" in the Markdown of the same note; both formats now write them unaccented."""
from __future__ import annotations

import explain
from explain.render import render
from tests.conftest import require_module
from tests.render_helpers import compile_latex, pdf_text


def test_spanish_pdf_writes_min_and_max_as_the_markdown_does(tmp_path):
    """A Conv2D with padding "same" and stride 2 on 224 × 224 (MobileNet's conv1): Keras gives 112,
    and the derivation writes the total padding as max(…; 0), by hand max((⌈224/2⌉ − 1)·2 + 3 − 224; 0) = 1."""
    keras = require_module("keras")
    assert tuple(keras.layers.Conv2D(4, 3, strides=2, padding="same")(keras.Input((224, 224, 3))).shape[1:3]) == (112, 112)
    model = explain.load({"name": "n", "input": [224, 224, 3],
                          "layers": [{"Conv2D": {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}}]})
    markdown = render(model, lang="es")
    assert r"\max" in markdown
    text = pdf_text(compile_latex(render(model, lang="es", format="latex"), tmp_path, "es"))
    assert "max" in text and "máx" not in text and "mín" not in text
