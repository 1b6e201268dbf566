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


def test_a_shape_step_is_viewed_once_and_each_layer_gets_its_own_copy(monkeypatch, tmp_path):
    """Layers of one signature share their first layer's shape step (derivation.build); its view
    is built once and copied for each layer: equal to the view built for that layer alone, and
    a brief entry's padding said in full (_say_padding_once) changes its own copy only."""
    import json
    path = tmp_path / "residual.json"
    path.write_text(json.dumps(_residual(12)))
    model = load(str(path))
    built: list[object] = []
    shape = View._shape

    def counting(self, st):
        built.append(st)
        return shape(self, st)
    monkeypatch.setattr(View, "_shape", counting)
    d = derive(model)
    f = Formatter("markdown", "en", model)
    facts = model_context(d, f)
    distinct = {id(s.shape): s.shape for s in d.steps if any(s is t for b in d.blocks for t in b.steps)}
    assert len(built) == len(distinct) < sum(len(b.steps) for b in d.blocks)
    views = [st.shape for b in facts["blocks"] for st in b.steps]
    assert len({id(v) for v in views}) == len(views)
    fresh = View(f, model)
    for b in d.blocks:
        for s in b.steps:
            alone = shape(fresh, s.shape)
            ours = next(st.shape for blk in facts["blocks"] for st in blk.steps if st.name == s.node.name)
            assert ours.padding_brief in (alone.padding_brief, alone.padding)  # said in full once
            assert {**vars(ours), "padding_brief": None} == {**vars(alone), "padding_brief": None}


@pytest.mark.parametrize("format", ["markdown", "latex"])
def test_each_shape_is_written_once_and_as_before(format, monkeypatch):
    """Formatter.shape writes a shape once per key: the same text as written afresh, an int
    and a sympy Integer of the same size kept apart (equal keys, printed alike or not)."""
    import sympy

    model = load("example:seed-cnn")
    f = Formatter(format, "en", model)
    written: list[tuple] = []
    shape = Formatter._shape

    def counting(self, s, cell, indexes):
        written.append((tuple(s), cell, indexes))
        return shape(self, s, cell, indexes)
    monkeypatch.setattr(Formatter, "_shape", counting)
    shapes = [n.output_shape for n in model.nodes] * 3
    texts = [f.shape(s, cell=True) for s in shapes] + [f.shape(s) for s in shapes]
    assert len(written) == 2 * len({tuple(s) for s in shapes})
    fresh = Formatter(format, "en", model)
    assert texts == [shape(fresh, s, True, None) for s in shapes] + [shape(fresh, s, False, None) for s in shapes]
    h = sympy.Symbol("H")
    for s in ((8, 8, 3), (sympy.Integer(8), 8, 3), (h, 8, 3), (None, 8)):
        assert f.shape(s) == shape(fresh, s, False, None)
    assert f.shape((8,), indexes="buckets") == shape(fresh, (8,), False, "buckets")
