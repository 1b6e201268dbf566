"""The compute section's work, counted rather than timed (issue 21): what it writes once per
formulas and values, and what a CNN's section does not import."""
from __future__ import annotations

import subprocess
import sys

import pytest

import explain
from tests.conftest import FIXTURES, ROOT


@pytest.mark.parametrize("fmt, lang", [("markdown", "en"), ("latex", "ja")])
def test_compute_short_entries_written_once_per_formulas_and_values(monkeypatch, fmt, lang):
    """A later layer's short compute entry (``brief``) follows from its formulas and the values
    of their symbols: ResNet50's are written once per distinct pair, and each row is what a fresh
    view writes for that layer alone."""
    from explain.model import substitute
    from explain.render import compute_view
    from explain.render.view import Formatter, View

    model = explain.load(FIXTURES / "keras" / "ResNet50.json")
    calls = []
    chains = compute_view._brief_chains
    monkeypatch.setattr(compute_view, "_brief_chains", lambda *a: calls.append(a) or chains(*a))
    rows = compute_view.compute_layers(model, Formatter(fmt, lang, model))
    briefs = [(r, model.nodes[r["index"] - 1]) for r in rows if r["brief"]]
    assert len(briefs) > 100 and len(calls) < len(briefs) / 3
    fresh = Formatter(fmt, lang, model)
    label = compute_view._label(fresh, compute_view.MACS_LABEL)
    from explain.render.view import aligned_chains
    for row, node in briefs:
        values = {**node.values, **node.cost.values}
        own = chains(View(fresh, model), values, node.cost, label)
        assert row["brief_lines"] == [fresh.m(c) for c in own]
        assert row["brief_equation"] == fresh.dm(aligned_chains(own))
        assert row["macs"] == fresh.num(model.evaluate(substitute(node.cost.macs, values)))
        assert row["other"] == fresh.num(model.evaluate(substitute(node.cost.other, values)))


def test_cnn_compute_section_does_not_import_kaplan():
    """Kaplan's closed forms are for decoder transformers: a CNN's compute section does not
    import their module (its dataclasses), a GPT-2 config's does and shows them."""
    code = ("import sys\nfrom explain.cli import main\n"
            "main(['derive', sys.argv[1], '--count', 'params,compute,memory'])\n"
            "print('explain.kaplan' in sys.modules, file=sys.stderr)\n")
    for source, imported in ((FIXTURES / "keras" / "ResNet50.json", "False"), (FIXTURES / "hf" / "gpt2.json", "True")):
        result = subprocess.run([sys.executable, "-c", code, str(source)], capture_output=True, text=True,
                                cwd=ROOT, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stderr.strip().splitlines()[-1] == imported
        assert ("Kaplan et al. (2020)" in result.stdout) == (imported == "True")


@pytest.mark.parametrize("source", [FIXTURES / "keras" / "ResNet50.json", FIXTURES / "hf" / "llama-2-7b.json",
                                    FIXTURES / "hf" / "gpt2.json"])
def test_cost_symbols_once_per_pair_of_formulas(source):
    """The symbols of a layer's MACs and O formulas are found once per pair of formulas (a
    ResNet's 177 layers have a handful), and are each layer's own, sorted by name; the renamed
    symbols (H_kv = H) are those a layer-by-layer search finds."""
    import sympy

    from explain.render import compute_view
    from explain.render.messages import COMPUTE_RENAMED

    model = explain.load(source)
    compute_view.cost_symbols.cache_clear()
    costs = [n.cost for n in model.nodes if n.cost is not None]
    expected = {}
    for node in model.nodes:
        if node.cost is None:
            continue
        own = sorted((node.cost.macs + node.cost.other).free_symbols, key=lambda s: s.name)
        assert list(compute_view.cost_symbols(node.cost.macs, node.cost.other)) == own
        for s in own:
            value = node.values.get(s, s)
            if s.name in COMPUTE_RENAMED and value != s and isinstance(value, sympy.Symbol) \
                    and value in model.symbols and isinstance(model.symbols[value], int):
                expected.setdefault(s.name, value)
    assert compute_view.cost_symbols.cache_info().misses == len({(c.macs, c.other) for c in costs})
    if source.name == "ResNet50.json":
        assert compute_view.cost_symbols.cache_info().misses <= 12 < len(costs)
    assert compute_view.renamed_symbols(model) == list(expected.items())
    if source.name == "llama-2-7b.json":
        assert [name for name, _ in expected.items()] == ["H_kv"]
