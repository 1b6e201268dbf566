"""Formulas and code names inside sentences are placeholders (``messages.PLACEHOLDERS``), filled by
the document's printer: math in Markdown and LaTeX, plain Unicode in text, names in code font.
Translators never touch a formula."""
from __future__ import annotations

import re

import pytest

import explain
from explain.layers import _texts
from explain.render import messages, render_document
from explain.render.i18n import translations

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
LANGS = ("en", "de", "fr", "ja", "es")

TORCH_GRU = {"name": "g", "framework": "pytorch", "input": [5, 12],
             "layers": [{"GRU": {"input_size": 12, "hidden_size": 7, "batch_first": True}}]}


def _sentences() -> list[str]:
    """The layer types' sentences and the notes (sentences whose placeholders a template fills
    with its own values, such as the Kaplan comparison's, are not among them)."""
    from explain.layers.registry import layer_types
    out = {getattr(cls, a) for cls in layer_types(None) for a in dir(cls)
           if a.startswith("explanation") and isinstance(getattr(cls, a, None), str)}
    assert _texts.DROPOUT in out
    return sorted(out) + list(messages.NOTES.values())


def test_every_sentence_placeholder_is_defined():
    """A note or a layer's sentence names only placeholders the table fills (model notes may
    also name their own arguments, which the model supplies, and a layer's note the model's
    counts it says, NOTE_COUNTS)."""
    missing = {(k, m[:50]) for m in _sentences() for k in PLACEHOLDER.findall(m)
               if k not in {**messages.PLACEHOLDERS, **messages.ROLE_MATH, **messages.ROLE_CODE}
               and k not in messages.NOTE_COUNTS}
    assert missing == set()


def test_plain_placeholders_are_unicode_math_and_bare_names():
    plain = messages.plain_placeholders()
    assert plain["gru_keras_torch"] == "3h(n_in + h) + 6h"
    assert plain["b_ih"] == "bias_ih" and plain["scale"] == "1/(1 − r)"
    assert plain["fused_qkv"] == "3d² + 3d"


@pytest.mark.parametrize("lang", LANGS)
def test_gru_note_formulas_are_math_and_names_code_in_every_language(lang):
    """The PyTorch GRU note: 3h(i + h) + 6h as math, bias_ih_l0 and reset_after=True in code font, in
    Markdown and LaTeX; the translation carries the placeholders, not the formula."""
    model = explain.load(TORCH_GRU)
    md = render_document("derivation", model, lang=lang, format="markdown")
    tex = render_document("derivation", model, lang=lang, format="latex").replace(r"\allowbreak{}", "")
    # one layer: its biases by PyTorch's names (bias_ih_l0), in the sentence and in the note
    assert "$3h(n_{\\text{in}} + h) + 6h$" in md and "`bias_ih_l0`" in md and "`reset_after=True`" in md
    assert "$3h(n_{\\text{in}} + h) + 6h$" in tex and r"\texttt{bias\_ih\_l0}" in tex and r"\texttt{reset\_after=True}" in tex
    assert "`bias_ih`" not in md
    assert "b_ih" not in translations(lang).gettext(messages.NOTES["gru_two_biases"]).replace("%(b_ih)s", "")


def test_layer_reference_json_fills_placeholders_as_plain_text():
    import json
    data = json.loads(render_document("layers", None, lang="de", format="json"))
    gru = next(e for e in data if e["type"] == "GRU" and e["framework"] == "pytorch")
    assert "%(" not in gru["explanation"] and "bias_ih" in gru["explanation"]
