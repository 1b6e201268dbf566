"""Work the derivation's view (explain.render.view) leaves out, counted: a layer given a brief
entry is never completed (its equation, symbol list and tensor table are not printed), and the
documents are the same as with every layer completed."""
from __future__ import annotations

import pytest

from explain import load
from explain.derivation import derive
from explain.render.documents import render_document
from explain.render.view import Formatter, View, model_context
from tests.test_performance import _residual


@pytest.mark.parametrize("subject", ["residual", "example:lenet5", "example:seed-cnn"])
def test_only_the_layers_explained_in_full_are_completed(subject, monkeypatch, tmp_path):
    if subject == "residual":
        import json
        path = tmp_path / "residual.json"
        path.write_text(json.dumps(_residual(12)))
        subject = str(path)
    model = load(subject)
    completed: list[str] = []
    complete = View.complete

    def counting(self, s, st):
        completed.append(st.name)
        return complete(self, s, st)
    monkeypatch.setattr(View, "complete", counting)
    facts = model_context(derive(model), Formatter("markdown", "en", model))
    steps = [st for b in facts["blocks"] for st in b.steps]
    full = [st.name for st in steps if not st.brief]
    assert completed == full and len(full) < len(steps)
    assert all(st.equation is None and st.symbols == [] and st.groups == [] for st in steps if st.brief)
    assert all(st.groups for st in steps if not st.brief and st.numbers is not None)

    outline = View.outline
    for lang, format in (("en", "markdown"), ("ja", "latex")):
        for count in (("params",), ("params", "compute", "memory")):
            monkeypatch.setattr(View, "outline", outline)
            shown = render_document("derivation", model, lang=lang, format=format, count=count)
            # every layer completed, as before brief entries skipped it
            monkeypatch.setattr(View, "outline", lambda self, s, index: complete(self, s, outline(self, s, index)))
            assert render_document("derivation", model, lang=lang, format=format, count=count) == shown
