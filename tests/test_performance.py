"""Guards for the speed bench/ measures, by counting work rather than timing it: what ``--format
json`` imports, how often a line or a substitution is computed. Time itself, and its growth with
the number of layers, is measured by bench/versus.py (figures in bench/README.md), not here."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import explain
from tests.conftest import FIXTURES, ROOT, require_module


def _fresh(code: str, timeout: int = 120, env: "dict[str, str] | None" = None) -> "subprocess.CompletedProcess[str]":
    """``code`` run by a fresh interpreter in the project's folder (nothing imported yet), which
    must succeed; its output as text. ``env``: variables set for it."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                            env=None if env is None else {**os.environ, **env})
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_json_derivation_imports_no_template_locale_or_yaml_library():
    code = ("import sys\nfrom explain.cli import main\n"
            f"main(['derive', {str(FIXTURES / 'keras' / 'ResNet50.json')!r}, '--format', 'json'])\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'jinja2', 'babel', 'markupsafe', 'yaml'}),"
            " file=sys.stderr)\n")
    result = _fresh(code)
    assert json.loads(result.stdout)["total"] == 25_636_712  # keras.applications.ResNet50 (fixture)
    assert result.stderr.strip().splitlines()[-1] == "[]"


_COUNT_BUILT = ("import dataclasses, explain.records as records\nbuilt = []\n"
                "real, own = dataclasses._process_class, records._record_class\n"
                "dataclasses._process_class = lambda cls, *a, **k: built.append({0}) or real(cls, *a, **k)\n"
                "records._record_class = lambda cls, *a: built.append({0}) or own(cls, *a)\n")
"""Code that notes in ``built`` every dataclass made from then on, by ``@dataclass`` or by
``explain.records`` (``{0}``: what of ``cls`` is noted)."""


def _residual(blocks: int) -> dict:
    """A stem and ``blocks`` Conv2D/BatchNormalization/ReLU/Add blocks with Thue-Morse kernels
    (no periodic repetition to fold)."""
    layers = [{"Conv2D": {"name": "stem", "filters": 8, "kernel_size": 3, "padding": "same", "inputs": "x"}}]
    last = "stem"
    for b in range(1, blocks + 1):
        layers += [{"Conv2D": {"name": f"c{b}", "filters": 8, "padding": "same", "inputs": last,
                               "kernel_size": 3 if bin(b).count("1") % 2 else 1}},
                   {"BatchNormalization": {"name": f"n{b}"}}, {"ReLU": {"name": f"r{b}"}},
                   {"Add": {"name": f"a{b}", "inputs": [last, f"r{b}"]}}]
        last = f"a{b}"
    return {"name": "residual", "inputs": {"x": [8, 8, 3]}, "layers": layers}


def test_long_sum_measures_each_line_a_bounded_number_of_times(monkeypatch):
    """The total's sum (261 terms on the bench's 4,000-layer CNN) is broken into lines of at most
    5 terms; each candidate line is measured once, and only lines that can start or end a valid
    breaking: at most 5 candidate lines end at each term, so 5 × n measurements for n terms (the
    search over every line end for every line count measured ≈ n²/5 · 5 lines: 0.3 s there)."""
    from explain.render import view

    calls = []
    measure = view.formula_width
    monkeypatch.setattr(view, "formula_width", lambda tex: calls.append(tex) or measure(tex))
    for n in (12, 400):
        calls.clear()
        view.sum_lines([f"a_{{{i}}}" for i in range(n)], "P", None)
        assert len(calls) <= 5 * n
        assert len(set(calls)) == len(calls)  # no line measured twice


def test_long_sum_breaks_where_the_widest_line_is_narrowest():
    """The breaks of a long sum: as few lines as 5 terms a line allow, and among those the
    narrowest widest line, checked against every way of cutting the terms (small cases)."""
    import itertools
    import random

    from explain.render.view import formula_width, sum_lines

    rng = random.Random(7)
    for _ in range(60):
        n = rng.randint(6, 14)
        parts = ["x" * rng.randint(1, 20) for _ in range(n)]
        lines = sum_lines(parts, "P", None).splitlines()[1:-1]
        got = [line.removeprefix("P &= ").removeprefix("&\\quad + ").removesuffix(" \\\\").split(" + ")
               for line in lines]
        assert [t for line in got for t in line] == parts
        count = -(-n // 5)
        assert len(got) == count and all(len(line) <= 5 for line in got)
        widest = max(formula_width(" + ".join(line)) for line in got)
        best = min(max(formula_width(" + ".join(parts[a:b])) for a, b in zip((0, *cuts), (*cuts, n)))
                   for cuts in itertools.combinations(range(1, n), count - 1)
                   if all(0 < b - a <= 5 for a, b in zip((0, *cuts), (*cuts, n))))
        assert widest == best


def test_a_derivation_loads_no_babel_locale_data(monkeypatch):
    """Loading Babel's locale data (root and the language's, unpickled and merged) took more CPU
    time than all the numbers of a derivation: the numbers, shares and sizes a derivation prints
    come from the CLDR symbols numbers.py writes out (tests/test_numbers.py checks them against
    Babel). 1 of 3 is 33.3 % (one decimal), 0 is no text, 1 of 100,000 rounds below 0.1 %."""
    import babel.localedata

    from explain.importers import load
    from explain.render import numbers
    from explain.render.documents import render_document
    loaded = []
    real = babel.localedata.load
    monkeypatch.setattr(babel.localedata, "load", lambda *a, **k: loaded.append(a) or real(*a, **k))
    assert [numbers.format_share(n, 3 * n, "en") for n in (1, 2, 5, 7)] == ["33.3%"] * 4
    assert numbers.format_share(0, 3, "en") == ""
    assert numbers.format_share(1, 100_000, "en") == numbers.format_share(2, 100_000, "en") == "<0.1%"
    assert numbers.format_share(1, 100_000, "fr") == "<\u00a0" + "0,1\u00a0%"
    model = load(str(FIXTURES / "keras" / "ResNet50.json"))
    for lang in ("en", "de", "fr", "ja", "es"):
        for fmt in ("markdown", "latex"):
            text = render_document("derivation", model, lang=lang, format=fmt, count=("params", "memory"))
            assert fmt == "latex" or numbers.format_int(25_636_712, lang) in text
    assert loaded == []


def test_a_formula_is_expanded_once_for_the_rows_of_its_type(monkeypatch):
    """The summary table's grouped formula (n·k²·c + n: a convolution's kernel and bias) expands
    the formula once; each row puts in its own numbers: 3·3·3·8 + 8 and 1·1·8·8 + 8."""
    import sympy

    from explain.render import view
    from explain.render.mathtex import MathPrinter

    k, c, n = sympy.symbols("k c n", positive=True, integer=True)
    formula = k**2 * c * n + n
    calls = []
    real = sympy.expand
    monkeypatch.setattr(sympy, "expand", lambda *a, **kw: calls.append(a) or real(*a, **kw))
    view._product_terms.cache_clear()
    p = MathPrinter("en")
    first = view._grouped(formula, {k: 3, c: 3, n: 8}, p)
    second = view._grouped(formula, {k: 1, c: 8, n: 8}, p)
    assert len(calls) == 1
    assert "3" in first and "8" in first and first.count("+") == 1
    assert second.count("+") == 1 and "3" not in second


def test_a_window_rule_is_written_once_per_kind(monkeypatch):
    """Every axis of every convolution asks for its window's rule, several times; the rule
    (⌊(n + 2p − k)/s⌋ + 1 with k for k_eff, without p where unpadded) is written once per kind
    of window: two 3 × 3 'same' convolutions and a 2 × 2 pooling write two rules, not twelve."""
    from explain import shapes

    calls = []
    real = shapes._written
    monkeypatch.setattr(shapes, "_written", lambda *a: calls.append(a) or real(*a))
    shapes._rule.cache_clear()
    windows = [shapes.Window("floor", 3, 1, pad=(1, 1)), shapes.Window("floor", 3, 1, pad=(1, 1)),
               shapes.Window("floor", 2, 2, padded=False)]
    for _ in range(2):
        for w in windows:
            assert w.rule.free_symbols
            w.values(8)
    assert windows[0].values(8)[shapes.sym("n")] == 8
    top = [a for a in calls if a[0] is shapes.RULES["floor"]]
    assert len(top) == 2  # padded and unpadded


def test_a_node_sums_its_weights_once_per_count(monkeypatch):
    """The summary table, the stages and the pictures ask each node for its counts many times
    (7,753 ``own`` calls on ResNet152); every count is summed once, in one pass over the weights,
    and again only when the node's weights or repeat are assigned anew (a tied weight found
    later). Dense(3 → 4): 12 + 4 = 16; three copies: 48."""
    from explain.model import Node, Weight

    calls = []
    real = Node._sums
    monkeypatch.setattr(Node, "_sums", lambda self: calls.append(1) or real(self))
    node = explain.load({"name": "m", "inputs": {"x": [3]}, "layers": [{"Dense": {"units": 4}}]}).nodes[-1]
    node.__dict__.pop("_memo", None)
    for _ in range(5):
        assert node.own("params") == node.params == node.trainable == 16
        assert node.own("buffers") == node.non_trainable == node.buffers == 0
        assert node.own("trainable") == 16 and node.own("non_trainable") == 0
    assert len(calls) == 1  # every count in one pass
    bias = next(w for w in node.weights if w.count == 4)
    node.weights = tuple(Weight(w.name, w.formula, w.count, w.trainable, w.buffer, "other.bias" if w is bias else None)
                         for w in node.weights)
    assert node.own("params") == 12 and node.params == 16  # the tied bias counts at its owner
    assert node.own("trainable") == 12 and node.trainable == 16
    assert len(calls) == 2
    node.repeat = 3
    assert node.own("params") == 36 and node.params == 48 and node.non_trainable == 0
    assert len(calls) == 3


def test_the_picture_finds_the_repeated_blocks_once(monkeypatch):
    """The model's picture tries its boxes unfolded, then with every repeated block folded: both
    read the same runs of repeated blocks, found once (a stem, then 6 equal blocks of Conv2D,
    BatchNormalization, ReLU, Add: one run of period 4 from position 1, 6 times; and a model too
    long to draw unfolded)."""
    from explain.derivation import build as derivation
    from explain.render.draw import graph

    calls = []
    real = derivation.group_blocks
    monkeypatch.setattr(derivation, "group_blocks", lambda nodes, *a: calls.append(1) or real(nodes, *a))
    spec = _residual(6)
    for layer in spec["layers"][1:]:
        layer.get("Conv2D", {})["kernel_size"] = 3
    model = explain.load(spec)
    graph.build(model)
    assert len(calls) == 1
    assert real(model.nodes) == [(0, 1, 1), (1, 4, 6)]
    calls.clear()
    graph.build(explain.load(_residual(40)))  # 163 layers, few repeats: too many boxes unfolded
    assert len(calls) == 1


def test_a_substituted_symbol_is_printed_without_a_new_printer(monkeypatch):
    """Every substituted symbol of a formula asks for the printer without values (for its number
    and its binding); that printer is made once, not once per symbol: k_h·k_w·c_in·c_out with
    3, 3, 8, 16 prints as 3 × 3 × 8 × 16 with at most three printers (the substituting one and
    its two variants)."""
    import sympy

    from explain.render import mathtex

    made = []
    real = mathtex.FormulaPrinter.__init__
    monkeypatch.setattr(mathtex.FormulaPrinter, "__init__", lambda self, *a: made.append(1) or real(self, *a))
    k_h, k_w, c_in, c_out = sympy.symbols("k_h k_w c_in c_out", positive=True, integer=True)
    p = mathtex.MathPrinter("en")
    made.clear()
    text = p.expr(k_h * k_w * c_in * c_out, {k_h: 3, k_w: 3, c_in: 8, c_out: 16})
    assert text == r"3 \times 3 \times 8 \times 16"
    assert len(made) <= 3


def test_a_printers_variants_are_looked_up_once(monkeypatch):
    """Each substituted symbol asks for the printer without values twice (its binding, its
    number) and that printer for its order: the settings' key (a frozenset of every setting) is
    built once per printer and variant, not once per symbol and question."""
    import sympy

    from explain.render import mathtex

    class Counted(dict):
        def get(self, *a):
            looked.append(a)
            return super().get(*a)

    looked: list = []
    monkeypatch.setattr(mathtex, "_VARIANTS", Counted(mathtex._VARIANTS))
    k_h, k_w, c_in, c_out = sympy.symbols("k_h k_w c_in c_out", positive=True, integer=True)
    p = mathtex.MathPrinter("en")
    text = p.expr(k_h * k_w * c_in * c_out + c_out, {k_h: 3, k_w: 3, c_in: 8, c_out: 16})
    assert text == r"3 \times 3 \times 8 \times 16 + 16"
    assert len(looked) <= 2


def test_a_layers_compute_is_substituted_once_per_distinct_formula_and_sizes(monkeypatch):
    """The compute totals (MACs, FLOPs, training FLOPs) ask every node for its MACs; three equal
    Dense(4 → 4) layers share one substitution. By hand: 4 · 4 = 16 MACs a layer, 48 in all,
    FLOPs 2 × 48 = 96, training 3 × 96 − 2 × 16 = 256 (no input gradient for the first layer)."""
    import sympy

    from explain import model as model_module

    spec = {"name": "m", "inputs": {"x": [4]},
            "layers": [{"Dense": {"units": 4, "name": f"d{i}"}} for i in range(3)]}
    model = explain.load(spec)
    model_module._evaluate.cache_clear()
    calls = []
    real = sympy.Basic.xreplace
    monkeypatch.setattr(sympy.Basic, "xreplace", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    assert (model.macs, model.flops, model.training_flops) == (48, 96, 256)
    assert [n.macs for n in model.nodes if n.type == "Dense"] == [16, 16, 16]
    assert len(calls) <= 2  # the MACs formula and the other operations' formula, once each


def test_a_nodes_compute_is_substituted_once_for_all_the_totals(monkeypatch):
    """The compute section asks every node for its MACs for each total (MACs, FLOPs, training
    FLOPs, per token) and for its row: each node substitutes its MACs and its other operations
    once, and again only when its cost is derived anew (another context length). Dense(4 → 4)
    by hand: 4 · 4 = 16 MACs a layer, 4 bias adds; three layers 48 MACs, FLOPs 96,
    training 3 × 96 − 2 × 16 = 256 (no input gradient for the first layer)."""
    from explain import model as model_module

    spec = {"name": "m", "inputs": {"x": [4]},
            "layers": [{"Dense": {"units": 4, "name": f"d{i}"}} for i in range(3)]}
    model = explain.load(spec)
    calls = []
    real = model_module.substitute
    monkeypatch.setattr(model_module, "substitute", lambda *a: calls.append(1) or real(*a))
    for _ in range(4):
        assert (model.macs, model.flops, model.training_flops, model.other_ops) == (48, 96, 256, 12)
    dense = [n for n in model.nodes if n.type == "Dense"]
    assert [(n.macs, n.other_ops) for n in dense] == [(16, 4)] * 3
    derived = len([n for n in model.nodes if n.cost is not None])
    assert len(calls) == 2 * derived
    model.set_context(None)  # every node's cost derived anew: its MACs substituted again
    assert model.macs == 48 and len(calls) == 3 * derived


def test_the_memory_section_sums_the_counts_once(monkeypatch):
    """The training-memory table has six cells (three optimizers, two precisions) and the Adam
    equation: the model's parameters, trainable parameters and buffers are summed once for all.
    Dense(3 → 4): 16 parameters; mixed-precision Adam 16 bytes each, 256 bytes."""
    from explain.model import Model
    from explain.render.memory_view import memory_context
    from explain.render.view import Formatter

    model = explain.load({"name": "m", "inputs": {"x": [3]}, "layers": [{"Dense": {"units": 4}}]})
    calls = []
    real = Model.total_expr.fget
    monkeypatch.setattr(Model, "total_expr", property(lambda self: calls.append(1) or real(self)))
    context = memory_context(model, Formatter("markdown", "en", model))
    assert context["bytes"] == "256"
    assert len(calls) == 1


def test_a_formula_is_printed_once_whatever_other_sizes_its_layer_has(monkeypatch):
    """A layer's numbers printed into its formula (k_h·k_w·c_in·c_out) depend only on the
    formula's own symbols: two convolutions of one kernel and channels over inputs of other
    heights print 3 × 3 × 8 × 16 once."""
    import sympy

    from explain.render import mathtex

    k_h, k_w, c_in, c_out, h = sympy.symbols("k_h k_w c_in c_out h", positive=True, integer=True)
    p = mathtex.MathPrinter("en")
    calls = []
    real = mathtex.FormulaPrinter.doprint
    monkeypatch.setattr(mathtex.FormulaPrinter, "doprint", lambda self, e: calls.append(e) or real(self, e))
    formula = k_h * k_w * c_in * c_out
    texts = {p.expr(formula, {k_h: 3, k_w: 3, c_in: 8, c_out: 16, h: n}) for n in (32, 16, 8)}
    assert texts == {r"3 \times 3 \times 8 \times 16"}
    assert len(calls) == 1


def test_a_sum_is_put_in_order_once_for_every_layer_that_prints_it(monkeypatch):
    """sympy orders a sum's terms for printing (k_h·k_w·c_in·c_out + c_out: the product first);
    printed with the numbers of three layers, the sum is ordered once."""
    import sympy

    from explain.render import mathtex

    k_h, k_w, c_in, c_out = sympy.symbols("k_h k_w c_in c_out", positive=True, integer=True)
    formula = k_h * k_w * c_in * c_out + c_out
    mathtex.ordered_terms.cache_clear()
    calls = []
    real = sympy.Add.as_ordered_terms
    monkeypatch.setattr(sympy.Add, "as_ordered_terms", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    p = mathtex.MathPrinter("en")
    texts = [p.expr(formula, {k_h: 3, k_w: 3, c_in: c, c_out: 2 * c}) for c in (4, 8, 16)]
    assert texts[0] == r"3 \times 3 \times 4 \times 8 + 8"
    assert texts[2] == r"3 \times 3 \times 16 \times 32 + 32"
    assert len(calls) == 1


def test_a_name_no_family_registers_is_searched_for_once(monkeypatch):
    """A torch model's own classes (Bottleneck, ResNet50, Sequential) are looked up in the registry
    on every from_torch; the families' sources are searched for such a name once per process."""
    from explain.layers import registry

    calls = []
    real = registry._source
    monkeypatch.setattr(registry, "_source", lambda family: calls.append(family) or real(family))
    name = "BlockOfNoFamily"
    assert registry.find(name, "pytorch") is None
    assert sorted(calls) == registry.families()  # the first search reads every family's source
    assert registry.find(name, "pytorch") is None
    assert len(calls) == len(registry.families())
    with pytest.raises(explain.ExplainError, match="unknown layer type 'BlockOfNoFamily'"):
        registry.lookup(name, "pytorch")


def test_searching_the_families_resolves_no_path(monkeypatch):
    """The layer library's folder is resolved once, not per family read (a system call per part
    of the path, 36 families)."""
    from pathlib import Path

    from explain.layers import registry

    calls = []
    real = Path.resolve
    monkeypatch.setattr(Path, "resolve", lambda self, *a, **k: calls.append(self) or real(self, *a, **k))
    registry._source.cache_clear()
    registry._families.cache_clear()
    assert registry.find("AnotherBlockOfNoFamily", "pytorch") is None
    assert calls == []


def test_a_derivation_imports_neither_the_hint_nor_the_package_listing_library():
    """difflib (an unknown name's "Did you mean") and pkgutil (listing the layer families when the
    index lacks a name) are imported only when needed: a derivation that finds every layer type in
    the index imports neither (≈ 2 ms of every run's start-up)."""
    code = ("import sys, io, contextlib\nfrom explain.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            f"    main(['derive', {str(FIXTURES / 'keras' / 'ResNet50.json')!r}])\n"
            "print('25,636,712' in out.getvalue(), sorted({'difflib', 'pkgutil'} & set(sys.modules)))\n")
    result = _fresh(code)
    assert result.stdout.split() == ["True", "[]"]  # keras.applications.ResNet50's count (fixture)


def test_a_markdown_or_latex_derivation_imports_no_json_writer():
    """The JSON writer (explain.render.json_out) and the text renderer (explain.render.text) are
    imported where JSON or the text format needs them: a Markdown or LaTeX derivation, memory line
    (Keras's units, render/numbers.py) included, imports neither (≈ 1.5 ms of the first render in
    a process for the JSON writer)."""
    code = ("import sys, io, contextlib\nfrom explain.cli import main\n"
            "for fmt in ('markdown', 'latex'):\n"
            "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            f"        main(['derive', {str(FIXTURES / 'keras' / 'ResNet50.json')!r}, '--format', fmt,"
            " '--count', 'params,compute,memory'])\n"
            "    assert '25' in out.getvalue()\n"
            "print('explain.render.text' in sys.modules, 'explain.render.json_out' in sys.modules)\n")
    result = _fresh(code)
    assert result.stdout.split() == ["False", "False"]


def test_a_catalog_is_compiled_once_and_then_read_from_the_cache(tmp_path, monkeypatch):
    """Compiling a .po catalog takes 20–40 ms of every German, French, Japanese or Spanish run:
    the compiled catalog is kept in the cache folder under the .po file's checksum and read from
    there (the same messages); a damaged file is compiled again; EXPLAIN_NO_CACHE=1 keeps none."""
    import gettext
    import io

    from explain.render import i18n

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("EXPLAIN_NO_CACHE", raising=False)
    compiled = []
    real = i18n._compile
    monkeypatch.setattr(i18n, "_compile", lambda *a: compiled.append(a[0]) or real(*a))
    source = (i18n.LOCALES_DIR / "de" / "LC_MESSAGES" / "messages.po").read_bytes()
    fresh = gettext.GNUTranslations(io.BytesIO(real("de", source)))._catalog  # type: ignore[attr-defined]
    i18n.translations.cache_clear()
    try:
        assert i18n.translations("de")._catalog == fresh  # type: ignore[attr-defined]
        files = list((tmp_path / "explain" / "catalogs").glob("de-*.mo"))
        assert compiled == ["de"] and len(files) == 1
        i18n.translations.cache_clear()
        assert i18n.translations("de")._catalog == fresh  # type: ignore[attr-defined]
        assert compiled == ["de"]
        files[0].write_bytes(files[0].read_bytes()[:1000])
        i18n.translations.cache_clear()
        assert i18n.translations("de")._catalog == fresh  # type: ignore[attr-defined]
        assert compiled == ["de", "de"] and files[0].stat().st_size > 1000
        monkeypatch.setenv("EXPLAIN_NO_CACHE", "1")
        i18n.translations.cache_clear()
        assert i18n.translations("fr").gettext("Total") and compiled == ["de", "de", "fr"]
        assert not list((tmp_path / "explain" / "catalogs").glob("fr-*"))
    finally:
        i18n.translations.cache_clear()


def test_torchs_element_wise_types_are_built_when_a_model_first_asks_for_one():
    """A dataclass costs ≈ 0.3 ms: of the 32 element-wise types, a model builds those it uses; the
    others are built for the registry's full listings, and each type is the same class however
    it is reached (the registry, the module's attribute)."""
    code = ("import explain.layers.torch_elementwise as e, explain.layers.registry as r\n"
            "before = [n for n in e._TYPES if n in vars(e)]\n"
            "relu = r.find('ReLU', 'pytorch')\n"
            "after = [n for n in e._TYPES if n in vars(e)]\n"
            "same = relu is e.ReLU and r.lookup('GELU', 'pytorch') is e.GELU\n"
            "r.load_all()\n"
            "every = all(n in vars(e) and r.find(n, 'pytorch') is vars(e)[n] for n in e._TYPES)\n"
            "p = r.make('Dropout', {'p': 0.25}, framework='pytorch').explanation_values()\n"
            "print(before, after, same, every, len(e._TYPES), p)")
    result = _fresh(code)
    assert result.stdout.split() == ["[]", "['ReLU']", "True", "True", "32", "{'r':", "('r", "=", "§',", "(0.25,))}"]


def test_the_derivation_prints_each_layer_once_to_find_its_repeats(monkeypatch):
    """Finding repeated blocks and layers equal to an earlier one compares each node's signature,
    which prints its layer (a repr over all its fields): once per node, not once more for every
    layer that is not part of a repeated block."""
    import explain
    from explain.derivation import derive
    from explain.layers.base import Layer

    model = explain.load(str(ROOT / "explain" / "examples" / "lenet5.yaml"))
    calls = []
    real = Layer.__repr__
    monkeypatch.setattr(Layer, "__repr__", lambda self: calls.append(1) or real(self))
    derivation = derive(model)
    assert len(calls) == len(model.nodes)
    assert sum(b.repeat * len(b.steps) for b in derivation.blocks) == len(model.nodes)


def test_a_keras_derivation_imports_no_hugging_face_or_torch_layer_family():
    """The sentence saying what a model consists of names a pooler by its layer type's
    ``composition_part``, not by importing the Hugging Face block family (with torch_core,
    torch_layer_norm and embedding, ≈ 15 ms of every run) to test ``isinstance``; BERT's
    sentence still ends with the pooler (BertModel: embeddings, 12 blocks, pooler). The Keras
    reader imports the custom family (operations, nested models) only for a model that has one."""
    code = ("import sys, io, contextlib\nfrom explain.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            f"    main(['derive', {str(FIXTURES / 'keras' / 'ResNet50.json')!r}])\n"
            "print('25,636,712' in out.getvalue(), sorted(m for m in sys.modules if m.startswith"
            "(('explain.layers.hf', 'explain.layers.torch', 'explain.layers.embedding', 'explain.layers.custom'))))\n")
    result = _fresh(code)
    assert result.stdout.split() == ["True", "[]"]  # keras.applications.ResNet50's count (fixture)
    from explain.render import render

    text = render(explain.load(FIXTURES / "hf" / "bert-base-uncased.json"))
    assert "twelve transformer blocks and the pooler." in text


def test_keras_element_wise_types_are_built_when_a_model_first_asks_for_one():
    """Keras's 15 weightless, shape-keeping types (activations, dropout, noise, Masking, Identity)
    are built as torch's are: a ResNet50 builds Activation only; the registry, the module's
    attribute and the full listing give the same classes, with their methods (Dropout's rate r,
    Activation's operations per element: softmax 3, relu 1)."""
    code = ("import dataclasses, io, contextlib\n"
            + _COUNT_BUILT.format("cls.__name__") +
            "import explain, explain.layers.core as c, explain.layers.registry as r\n"
            f"model = explain.load({str(FIXTURES / 'keras' / 'ResNet50.json')!r})\n"
            "print(model.total, sorted(n for n in c._TYPES if n in vars(c)), sorted(set(built) & set(c._TYPES)))\n"
            "same = r.lookup('Dropout') is c.Dropout and r.find('Masking') is c.Masking\n"
            "r.load_all()\n"
            "every = all(n in vars(c) and r.find(n) is vars(c)[n] for n in c._TYPES)\n"
            "p = r.make('Dropout', {'rate': 0.25}).explanation_values()\n"
            "ops = [r.make('Activation', {'activation': a}).cost(((4,),), (4,), {}).other for a in ('softmax', 'relu')]\n"
            "print(same, every, len(c._TYPES), p['r'][1], ops)")
    result = _fresh(code)
    assert result.stdout.splitlines() == ["25636712 ['Activation'] ['Activation']",  # keras.applications.ResNet50
                                          "True True 15 (0.25,) [3*N_out, N_out]"]


def test_a_llama_derivation_builds_none_of_torch_cores_or_the_hf_blocks_other_types():
    """torch_core's types a language model does not use (Bilinear, EmbeddingBag, Identity, GLU,
    PReLU, Flatten, Unflatten) and hf_blocks' other blocks (GPT2Block, DistilBertBlock, T5Block,
    the Qwen2, Gemma and Mixtral decoder layers, AddEmbeddings, FirstToken) are built when a model
    first asks for one: a Llama config builds Linear, Embedding and LlamaDecoderLayer of them; the
    registry, the module's attribute and the full listing give the same classes, and torch_core's
    count as torch does (Bilinear(3, 4, 5): 65 weights, EmbeddingBag(10, 4): 40; Unflatten(1, (2, 3))
    of (batch, 6) gives (batch, 2, 3)); the HF blocks' counts are checked against transformers by
    test_hf_config and test_hf_families."""
    torch = require_module("torch")
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
              "intermediate_size": 128, "num_attention_heads": 4, "num_key_value_heads": 2,
              "num_hidden_layers": 2, "vocab_size": 100, "max_position_embeddings": 32}
    code = ("import dataclasses, json, sys\n"
            + _COUNT_BUILT.format("cls.__name__") +
            "import explain, explain.layers.torch_core as c, explain.layers.hf_blocks as h\n"
            "import explain.layers.registry as r\n"
            "import tempfile, os\n"
            "path = os.path.join(tempfile.mkdtemp(), 'config.json')\n"
            f"open(path, 'w').write({json.dumps(config)!r})\n"
            "model = explain.load(path)\n"
            "lazy = sorted(c._LAZY_TYPES) + sorted(h._LAZY_TYPES)\n"
            "print(model.total, sorted(n for n in lazy if n in vars(c) or n in vars(h)), sorted(set(built) & set(lazy)),\n"
            "      {'Linear', 'Embedding', 'LlamaDecoderLayer'} <= set(built))\n"
            "same = (r.lookup('Bilinear', 'pytorch') is c.Bilinear and r.find('GLU', 'pytorch') is c.GLU\n"
            "        and r.find('T5Block', 'pytorch') is h.T5Block and r.lookup('FirstToken', 'pytorch') is h.FirstToken\n"
            "        and issubclass(h.GemmaDecoderLayer, h.LlamaDecoderLayer))\n"
            "r.load_all()\n"
            "home = {n: vars(c if n in c._LAZY_TYPES else h) for n in lazy}\n"
            "every = all(n in home[n] and r.find(n, 'pytorch') is home[n][n] and home[n][n].__qualname__ == n\n"
            "            for n in lazy)\n"
            "listed = {t.__name__ for t in r.layer_types('pytorch')} >= set(lazy)\n"
            "def count(layer, shapes):\n"
            "    values = layer.infer(shapes)[1]\n"
            "    return int(sum(g.formula for g in layer.weight_groups_for(shapes)).subs(values))\n"
            "counts = [count(r.make(n, a, framework='pytorch'), s) for n, a, s in\n"
            "          (('Bilinear', {'in1_features': 3, 'in2_features': 4, 'out_features': 5}, ((3,), (4,))),\n"
            "           ('EmbeddingBag', {'num_embeddings': 10, 'embedding_dim': 4}, ((3,),)))]\n"
            "shape = r.make('Unflatten', {'dim': 1, 'unflattened_size': [2, 3]}, framework='pytorch')"
            ".output_shape((6,))\n"
            "print(same, every, listed, len(lazy), counts, shape)")
    result = _fresh(code)
    from transformers import LlamaConfig, LlamaForCausalLM
    with torch.device("meta"):
        llama = LlamaForCausalLM(LlamaConfig(**{k: v for k, v in config.items() if k != "architectures"}))
    bilinear = sum(p.numel() for p in torch.nn.Bilinear(3, 4, 5).parameters())
    bag = sum(p.numel() for p in torch.nn.EmbeddingBag(10, 4).parameters())
    unflat = tuple(torch.nn.Unflatten(1, (2, 3))(torch.zeros(2, 6)).shape)[1:]  # explain's shapes: no batch axis
    assert result.stdout.splitlines() == [
        f"{sum(p.numel() for p in llama.parameters())} [] [] True",
        f"True True True 15 [{bilinear}, {bag}] {unflat}"]


def test_a_cnn_from_torch_builds_none_of_the_rarer_conv_norm_and_pool_types():
    """torch_conv's transposed convolutions, torch_norm's types other than BatchNorm (InstanceNorm,
    SyncBatchNorm, GroupNorm, the local response norms) and torch_pool's average, power-average and
    adaptive max pooling, padding and Upsample are built when a model first asks for one: a
    ResNet-like module (its own forward: the meta pass) and a Sequential (the rules) build none of
    them; the registry, the module's attribute and the full listing give the same classes; and a
    model of them all is counted and shaped as torch counts it and runs it on the CPU."""
    torch = require_module("torch")
    nn = torch.nn
    code = ("import dataclasses, sys\n"
            + _COUNT_BUILT.format("cls.__name__") +
            f"sys.path.insert(0, {str(ROOT / 'bench')!r})\n"
            "import torch, torch_models, explain\n"
            "import explain.layers.torch_conv as tc, explain.layers.torch_norm as tn, explain.layers.torch_pool as tp\n"
            "import explain.layers.registry as r\n"
            "net = torch_models.resnet50()\n"
            "seq = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),\n"
            "                          torch.nn.MaxPool2d(2), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),\n"
            "                          torch.nn.Linear(8, 2))\n"
            "totals = [explain.from_torch(m, s).total for m, s in ((net, (3, 64, 64)), (seq, (3, 16, 16)))]\n"
            "homes = {n: m for m in (tc, tn, tp) for n in m._LAZY_TYPES}\n"
            "print(totals, sorted(n for n, m in homes.items() if n in vars(m)),\n"
            "      sorted(set(built) & (set(homes) | {'_AvgPool', '_LPPool', '_AdaptiveMax', '_Pad', '_TorchConvTranspose'})))\n"
            "same = (r.lookup('AvgPool2d', 'pytorch') is tp.AvgPool2d and r.find('GroupNorm', 'pytorch') is tn.GroupNorm\n"
            "        and r.find('ConvTranspose1d', 'pytorch') is tc.ConvTranspose1d\n"
            "        and tp.ZeroPad2d.__mro__[1] is tp.ReflectionPad3d.__mro__[1])\n"
            "r.load_all()\n"
            "every = all(n in vars(m) and r.find(n, 'pytorch') is vars(m)[n] and vars(m)[n].__qualname__ == n\n"
            "            for n, m in homes.items())\n"
            "bases = sorted(vars(m)[n].__mro__[1].__qualname__ for n, m in homes.items())\n"
            "listed = {t.__name__ for t in r.layer_types('pytorch')} >= set(homes)\n"
            "print(same, every, listed, len(homes), sorted(set(bases)))")
    result = _fresh(code, timeout=300)
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import torch_models
    finally:
        sys.path.remove(str(ROOT / "bench"))
    seq = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1),
                        nn.Flatten(), nn.Linear(8, 2))
    totals = [sum(p.numel() for p in m.parameters()) for m in (torch_models.resnet50(), seq)]
    assert result.stdout.splitlines() == [
        f"{totals} [] []",
        # 3 + 3 + 4 (conv transposed, instance, other norms) + 3 × 3 pooling + 15 padding + Upsample
        "True True True 35 ['Layer', '_AdaptiveMax', '_AvgPool', '_BatchNorm', '_InstanceNorm', '_LPPool', '_Pad', "
        "'_TorchConvTranspose']"]
    rare = nn.Sequential(nn.ConvTranspose2d(3, 6, 3, stride=2, output_padding=1), nn.GroupNorm(2, 6),
                         nn.InstanceNorm2d(6, affine=True), nn.ZeroPad2d((1, 2, 0, 1)), nn.AvgPool2d(2),
                         nn.LPPool2d(2, 2), nn.Upsample(scale_factor=2), nn.AdaptiveMaxPool2d((3, 5)),
                         nn.LocalResponseNorm(2), nn.CrossMapLRN2d(3))
    model = explain.from_torch(rare, (3, 10, 10))
    shapes, x = [], torch.zeros(1, 3, 10, 10)
    for m in rare:
        x = m(x)
        shapes.append(tuple(x.shape[1:]))
    assert [n.output_shape for n in model.nodes] == shapes
    assert model.total == sum(p.numel() for p in rare.parameters())
    sync = nn.SyncBatchNorm(5)
    assert explain.from_torch(sync).total == sum(p.numel() for p in sync.parameters())


def test_a_derivation_finds_its_repeated_blocks_once(monkeypatch):
    """The derivation and its pictures frame the same runs of repeated blocks: the search for them
    (every period at every position, ResNet152's 516 layers) runs once per document; the pictures
    drawn by themselves still find them."""
    from explain.derivation import build
    from explain.importers import load
    from explain.render.documents import render_document
    from explain.render.draw import pictures

    calls = []
    real = build.group_blocks
    monkeypatch.setattr(build, "group_blocks", lambda *a, **k: calls.append(a) or real(*a, **k))
    model = load(str(FIXTURES / "keras" / "ResNet50.json"))
    text = render_document("derivation", model, lang="en", format="markdown")
    assert len(calls) == 1 and "```mermaid" in text
    calls.clear()
    assert pictures(model, "en", "markdown")["graph"] in text
    assert len(calls) == 1


def test_checking_a_worksheet_imports_no_document_reader():
    """``explain check`` tells a worksheet from a document with ``documents.read.is_document``
    and from an answer form with ``answer_form.is_form``; finding, attributing and reading a
    document's model are imported only for a document, the exercise package only for a form.
    The seed worksheet has one wrong claim on purpose (exit status 1)."""
    code = ("import sys, io, contextlib\nfrom explain.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            f"    status = main(['check', {str(FIXTURES / 'worksheets' / 'seed_worksheet.yaml')!r}])\n"
            "print(status, sorted(m for m in sys.modules if m.startswith(('explain.checker.documents', 'explain.exercise'))))\n")
    result = _fresh(code)
    assert result.stdout.split() == ["1", "['explain.checker.documents',", "'explain.checker.documents.read']"]


def test_a_repeated_layers_table_formula_is_written_once(monkeypatch):
    """The summary table has a row for every layer; a row whose layer the text does not derive
    (a repetition) is written once for its formula, sizes and groups: six identical residual blocks
    (conv 3 × 3 × 8 × 8 + 8, normalization 4 × 8, ReLU, Add) write the stem's and the first
    block's 5 rows, then the convolution's, the normalization's and one for the layers without
    weights (no formula): 8, not 25."""
    from explain.render import view

    calls = []
    real = view._row_formula_written
    monkeypatch.setattr(view, "_row_formula_written", lambda *a: calls.append(a[0].node.name) or real(*a))
    spec = _residual(6)
    for layer in spec["layers"][1:]:
        layer.get("Conv2D", {})["kernel_size"] = 3
    text = explain.load(spec).derive(format="markdown")
    assert calls == ["stem", "c1", "n1", "r1", "a1", "c2", "n2", "r2"]
    rows = [line for line in text.splitlines() if line.startswith("| `c")]
    assert len(rows) == 6 and len({row.split(" | ", 1)[1] for row in rows}) == 1  # 3 × 3 × 8 × 8 + 8
    assert "3 \\times 3 \\times 8 \\times 8 + 8" in rows[5]


def test_the_dataclasses_of_a_document_have_docstrings():
    """A dataclass without a docstring gets one made from ``inspect.signature`` when the class is
    built (work at every import); the views a document is made of write their own."""
    from explain.render.draw.bars import Bar
    from explain.render.view import GroupView, ShapeView, StepView, SymbolView

    for cls in (SymbolView, GroupView, ShapeView, StepView, Bar):
        assert cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}(")


def test_the_records_built_for_every_layer_keep_their_dataclass_behaviour():
    """Weight, the derivation's steps and Window are records whose __init__ writes the fields
    into the instance's dict at once, not one object.__setattr__ each: the same parameters and
    defaults, equality, hash, replace and the refusal to assign (tests/test_records.py compares
    records with the standard decorator's classes); what the record's methods cannot speak for
    (an InitVar) takes the standard decorator."""
    import dataclasses

    from explain.derivation.steps import AxisStep, GroupStep, ShapeStep, SymbolValue
    from explain.model import Weight
    from explain.records import GENERIC_CALLS, record
    from explain.shapes import Window

    for _ in range(GENERIC_CALLS + 1):  # then the compiled __init__
        step = ShapeStep("same", (4, 4, 3), (4, 4, 3), spatial=2)
        window = Window("floor", 3, 2, pad=(1, 1))
        assert Weight("bias", 0, 4, True) == Weight("bias", 0, 4, True, False, None)
    for cls in (Weight, SymbolValue, GroupStep, AxisStep, ShapeStep, Window):
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    for cls in (Weight, ShapeStep, Window):
        assert "__setattr__" not in cls.__init__.__code__.co_names and "__dict__" in cls.__init__.__code__.co_names
    assert [getattr(step, f.name) for f in dataclasses.fields(ShapeStep)] == [
        "same", (4, 4, 3), (4, 4, 3), (), (), 2, None, None, None, (), 1, None, 0, None, None, None, False]
    assert step == ShapeStep("same", (4, 4, 3), (4, 4, 3), spatial=2) and hash(step) == hash(dataclasses.replace(step))
    assert dataclasses.replace(step, kind="other").kind == "other" and step.kind == "same"
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.kind = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ShapeStep("same", (1,))  # type: ignore[call-arg]
    assert (window.d, window.pad, window.output_padding, window.padded) == (1, (1, 1), 0, True)

    def post_init(self, b):
        object.__setattr__(self, "c", self.a + b)
    later = record(type("Later", (), {"__annotations__": {"a": int, "b": dataclasses.InitVar[int]}, "b": 0,
                                      "__post_init__": post_init, "__doc__": "An InitVar."}))
    assert "__setattr__" in later.__init__.__code__.co_names  # the standard decorator's
    assert later(1, 2).c == 3 and [f.name for f in dataclasses.fields(later)] == ["a"]


@pytest.mark.parametrize("source", ["keras/ResNet50.json", "keras/MobileNetV2.json", "specs/residual.yaml",
                                    "specs/mlp_symbolic.yaml", "specs/small_rnn.yaml", "hf/t5-small.json"])
def test_a_layer_like_an_earlier_one_takes_a_copy_of_its_step(source, monkeypatch):
    """A node with an earlier node's signature (type, arguments, shapes, sharing, repeat) takes a
    copy of that node's step: layer_step runs once per distinct signature (ResNet50: 47 of 176 nodes),
    and every step, node for node, is the one layer_step gives it, field by field (the notes the
    derivation adds afterwards aside), as --expand derives each layer on its own."""
    import dataclasses

    from explain.derivation import build

    model = explain.load(str(FIXTURES / source))
    calls = []
    real = build.layer_step
    monkeypatch.setattr(build, "layer_step", lambda node, declared=None: calls.append(node) or real(node, declared))
    steps = build.derive(model).steps
    distinct = {build._signature(n) for n in model.nodes}
    assert len(calls) == len(distinct)
    assert len(distinct) < len(model.nodes) or not source.startswith("keras/")  # ResNet50: 176 nodes, 47 distinct
    later = ("node", "notes", "note_values", "same_as")
    for step, expanded, node in zip(steps, build.derive(model, expand=True).steps, model.nodes):
        assert step.node is node
        fresh = real(node, model.symbol_meanings)
        for f in dataclasses.fields(step):
            if f.name not in later:
                assert getattr(step, f.name) == getattr(fresh, f.name) == getattr(expanded, f.name), (node.name, f.name)
        assert (step.notes, step.note_values) == (expanded.notes, expanded.note_values), node.name


def test_a_keras_json_reads_each_layer_types_arguments_once(monkeypatch):
    """The arguments a Keras layer type declares are read from its fields once per type, not once
    per layer, by the reader and the layer (ResNet50: 177 layers of 8 types; two reads a layer
    before); the model is the same (keras.applications.ResNet50)."""
    import dataclasses

    from explain.layers import base

    read = []
    real = dataclasses.fields
    base._INIT_FIELDS.clear()
    monkeypatch.setattr(dataclasses, "fields", lambda cls: read.append(cls) or real(cls))
    model = explain.load(FIXTURES / "keras" / "ResNet50.json")
    assert model.total == 25_636_712 and len(model.nodes) > 170
    types = {type(n.layer) for n in model.nodes}
    assert len(types) == 8 and len([c for c in read if c in types]) <= len(types)



def test_keras_types_a_cnn_seldom_uses_are_built_when_a_model_first_asks_for_one():
    """Conv1D, the transposed, depthwise and separable convolutions, the normalizations other than
    BatchNormalization, Cropping and UpSampling, PReLU, Flatten, Reshape, Permute, RepeatVector,
    Rescaling, Concatenate and Dot are built when a model first asks for one (a kind with its base):
    a ResNet50 builds none of them; the registry (under every alias), the module's attribute and
    the full listing give the same classes, each built once."""
    families = ("conv", "norm", "padding", "core", "merge")
    code = ("import dataclasses\n"
            + _COUNT_BUILT.format("(cls.__module__, cls.__name__)") +
            "import importlib, explain, explain.layers.registry as r\n"
            f"families = {{f: importlib.import_module('explain.layers.' + f) for f in {families!r}}}\n"
            f"model = explain.load({str(FIXTURES / 'keras' / 'ResNet50.json')!r})\n"
            "lazy = {n: m for m in families.values() for n in m._LAZY_TYPES}\n"
            "print(model.total, sorted(n for n, m in lazy.items() if n in vars(m)), len(lazy))\n"
            "same = (r.lookup('Convolution2DTranspose') is families['conv'].Conv2DTranspose\n"
            "        and r.find('Conv3DTranspose') is families['conv'].Conv3DTranspose\n"
            "        and r.find('SeparableConvolution1D') is families['conv'].SeparableConv1D\n"
            "        and r.lookup('Cropping1D') is families['padding'].Cropping1D\n"
            "        and families['norm'].LayerNormalization is r.find('LayerNormalization'))\n"
            "before = len(built)\n"
            "r.load_all()\n"
            "every = all(n in vars(m) and r.find(n) is vars(m)[n] and vars(m)[n].__qualname__ == n\n"
            "            for n, m in lazy.items())\n"
            "listed = {t.__name__ for t in r.layer_types('keras')} >= set(lazy)\n"
            "twice = sorted(n for n, m in lazy.items() if built.count((m.__name__, n)) > 1)\n"
            "print(same, every, listed, twice, len(built) > before)")
    result = _fresh(code)
    assert result.stdout.splitlines() == ["25636712 [] 27",  # keras.applications.ResNet50
                                          "True True True [] True"]


def test_a_llama_config_builds_rmsnorm_and_not_layernorm():
    """torch's LayerNorm is built when a model first asks for it (GPT-2 does): a Llama config uses
    RMSNorm only; the registry, the module's attribute and the listing give the same LayerNorm,
    which counts as torch's does (GPT-2's final norm: weight 768 + bias 768, the fixture's own count)."""
    code = ("import dataclasses\n"
            + _COUNT_BUILT.format("(cls.__module__, cls.__name__)") +
            "import explain, explain.layers.registry as r\n"
            f"llama = explain.load({str(FIXTURES / 'hf' / 'llama-2-7b.json')!r})\n"
            "import explain.layers.torch_layer_norm as n\n"
            "mine = sorted(name for m, name in built if m == n.__name__)\n"
            "print(llama.total, mine, 'LayerNorm' in vars(n))\n"
            f"gpt2 = explain.load({str(FIXTURES / 'hf' / 'gpt2.json')!r})\n"
            "same = r.find('LayerNorm', 'pytorch') is n.LayerNorm and n.LayerNorm.__qualname__ == 'LayerNorm'\n"
            "r.load_all()\n"
            "ln_f = gpt2.node('transformer.ln_f')\n"
            "print(same, n.LayerNorm in r.layer_types('pytorch'), gpt2.evaluate(ln_f.params), gpt2.total)")
    result = _fresh(code)
    expected = json.loads((FIXTURES / "hf" / "expected.json").read_text())
    assert result.stdout.splitlines() == [f"{expected['llama-2-7b']['params']} ['RMSNorm'] False",
                                          f"True True {2 * 768} {expected['gpt2']['params']}"]


def test_a_keras_json_or_a_hugging_face_config_imports_no_spec_reader():
    """The spec reader (explain.importers.spec, with explain.naming: ≈ 1.5 ms) is imported where a
    spec is read, not for a Keras JSON or a Hugging Face config; a spec still loads after them."""
    code = ("import sys, explain\n"
            f"keras = explain.load({str(FIXTURES / 'keras' / 'ResNet50.json')!r})\n"
            f"llama = explain.load({str(FIXTURES / 'hf' / 'llama-2-7b.json')!r})\n"
            "print(keras.total, llama.total, 'explain.importers.spec' in sys.modules, 'explain.naming' in sys.modules)\n"
            "spec = explain.load({'inputs': {'x': [3]}, 'layers': [{'Dense': {'units': 4}}]})\n"
            "print(spec.total, explain.load('example:seed-cnn').total)")
    result = _fresh(code)
    expected = json.loads((FIXTURES / "hf" / "expected.json").read_text())
    assert result.stdout.splitlines() == [f"25636712 {expected['llama-2-7b']['params']} False False",
                                          "16 6029097"]  # Dense(3 → 4): 12 + 4; the article's seed CNN


def test_a_derivation_compiles_one_init_per_record_it_builds_and_no_other_dataclass_method(tmp_path):
    """The dataclasses a document is made of (the model, its layers, steps, views, pictures,
    compute and memory records) are ``explain.records`` records: the standard decorator's
    ``exec`` of each method (up to six a class) is not run for any of them; a record compiles
    its ``__init__`` once, after its first ``GENERIC_CALLS`` instances: a class built once (the
    model, the derivation) or never (bases of the layer types such as _ConvBase) compiles
    nothing, one built for every layer (Node, Weight) compiles once. (A Keras JSON's layers are
    made once per distinct type and arguments: ResNet-50's 53 convolutions are fewer _Conv.)
    The next run (the same cache folder) finds every such ``__init__``'s code kept: it compiles
    no source at all."""
    code = ("import dataclasses, io, contextlib, explain.records as records\n"
            "classes, compiled, standard, sources = [], [], [], []\n"
            "records.compile = lambda *a: sources.append(a) or compile(*a)\n"
            "own, compile_init, create = records._record_class, records._compile, dataclasses._create_fn\n"
            "records._record_class = lambda cls, *a: classes.append(cls) or own(cls, *a)\n"
            "records._compile = lambda *a: compiled.append(a) or compile_init(*a)\n"
            "def counted(name, args, body, *, globals=None, **k):\n"
            "    if (globals or {}).get('__name__', '').startswith('explain'):\n"
            "        standard.append((globals['__name__'], name))\n"
            "    return create(name, args, body, globals=globals, **k)\n"
            "dataclasses._create_fn = counted\n"
            "from explain.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            f"    main(['derive', {str(FIXTURES / 'keras' / 'ResNet50.json')!r}, '--format', 'markdown',\n"
            "          '--count', 'params,compute,memory'])\n"
            "built = [c for c in classes if not isinstance(c.__dict__.get('__init__'), records._Stub)]\n"
            "names = {c.__qualname__ for c in classes}\n"
            "print('25,636,712' in out.getvalue(), standard, len(compiled) == len(built), len(built) < len(classes),\n"
            "      {'Node', 'Model', 'LayerStep', 'ShapeStep', '_Conv', 'Cost', 'Activations', 'GroupView'} <= names,\n"
            "      {'Model', 'Derivation', '_ConvBase', 'Spatial'} & {c.__qualname__ for c in built},\n"
            "      {'Node', 'Weight'} <= {c.__qualname__ for c in built}, len(sources))")
    cache = {"XDG_CACHE_HOME": str(tmp_path), "EXPLAIN_NO_CACHE": ""}
    first = _fresh(code, env=cache).stdout.split()
    assert first[:-1] == ["True", "[]", "True", "True", "True", "set()", "True"]  # keras.applications.ResNet50
    assert int(first[-1]) > 0
    assert _fresh(code, env=cache).stdout.split() == first[:-1] + ["0"]


def test_a_cnn_from_torch_asks_the_registry_for_no_container_and_searches_no_source(monkeypatch):
    """torch.nn's containers (Sequential, ModuleList, …) are no layer type: from_torch looks into
    them without asking the registry, which would search every family's source for a name its
    index lacks (36 files read on the first call in a process)."""
    torch = require_module("torch")
    from explain.importers import live_torch
    from explain.layers import registry

    registry.load_all()
    assert not [n for n in live_torch._CONTAINERS if ("pytorch", n) in registry._REGISTRY]
    assert all(isinstance(getattr(torch.nn, n), type) for n in live_torch._CONTAINERS)
    sources, asked = [], []
    real_source, real_find = registry._source, live_torch.find
    monkeypatch.setattr(registry, "_source", lambda family: sources.append(family) or real_source(family))
    monkeypatch.setattr(live_torch, "find", lambda name, fw: asked.append(name) or real_find(name, fw))
    monkeypatch.setattr(registry, "_SEARCHED", set())
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ModuleList([nn.ReLU()]), nn.Sequential(nn.Flatten(), nn.Linear(4, 2)))
    net.forward = lambda x: net[2](net[1][0](net[0](x)))
    model = explain.from_torch(net, (3, 3, 3))
    assert model.total == sum(p.numel() for p in net.parameters())
    assert sources == [] and not set(asked) & live_torch._CONTAINERS


def test_a_polynomial_count_is_evaluated_in_ints_as_sympy_and_torch_count_it(monkeypatch):
    """A weight group's count whose formula is a polynomial with integer coefficients, its sizes
    ints, is evaluated with Python's ints, not by building the sympy expression (the first
    from_torch in a process built a few dozen, ≈ 4 ms): every count is the one sympy's
    substitution gives and the size of the module's tensor in torch; anything else (a fraction, a
    floor, a symbolic size) still goes through sympy."""
    import sympy

    torch = require_module("torch")
    from explain import model as model_module
    from explain.symbols import as_value, to_expr

    seen, substituted = [], []
    real_evaluate, real_xreplace = model_module._evaluate, sympy.Basic.xreplace
    monkeypatch.setattr(model_module, "_evaluate",
                        lambda formula, args: seen.append((formula, args)) or real_evaluate(formula, args))
    monkeypatch.setattr(sympy.Basic, "xreplace", lambda self, *a, **k: substituted.append(self) or real_xreplace(self, *a, **k))
    real_evaluate.cache_clear()
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import torch_models
    finally:
        sys.path.remove(str(ROOT / "bench"))
    nn = torch.nn
    grouped = nn.Sequential(nn.Conv2d(3, 6, (3, 5), groups=3), nn.BatchNorm2d(6), nn.Flatten(), nn.LazyLinear(7))
    grouped(torch.zeros(2, 3, 9, 11))
    for net, shape in ((torch_models.resnet50(), (3, 224, 224)), (grouped, (3, 9, 11))):
        model = explain.from_torch(net, shape)
        tensors = {**dict(net.named_parameters()), **dict(net.named_buffers())}
        checked = 0
        for node in model.nodes:
            for w in node.weights:
                full = f"{node.name}.{w.name}"
                if full in tensors:
                    assert type(w.count) is int and w.count == tensors[full].numel(), full
                    checked += 1
        assert checked == len(tensors), sorted(tensors)
    assert seen and substituted == []
    for formula, args in set(seen):
        free = model_module._free_symbols(formula)
        assert model_module._polynomial(formula) is not None
        assert real_evaluate(formula, args) == as_value(real_xreplace(formula, {s: to_expr(v) for s, v in zip(free, args)}))
    a, b = sympy.symbols("a b", integer=True)
    for formula in (a * (b + 1) ** 2 - 3 * a, a * (a + 1) / 2, a / b, (a + b) ** -2 * 3 * a / 4):
        assert model_module._polynomial(formula) is not None
    for other in (sympy.floor(a / b), a ** b, sympy.sqrt(a), a * 0.5):
        assert model_module._polynomial(other) is None
    for formula, args, value in ((a * (b + 1) ** 2 - 3 * a, (5, 6), 5 * 49 - 15), (a * (a + 1) / 2, (4,), 10),
                                 (a * (a + 1) / 2, (3,), 6), (a / b, (3, 2), sympy.Rational(3, 2)),
                                 (a / b, (1, 0), sympy.zoo), (a / b, (4, -2), -2), (a * b + 1, (b, 2), 2 * b + 1),
                                 ((a + b) ** -2 * 3 * a / 4, (4, 0), sympy.Rational(3, 16)), ((a + b) ** -2 * 32 * a, (4, 0), 8),
                                 (sympy.floor(a / b), (7, 2), 3), (a * 0.5, (3,), sympy.Float(1.5))):
        free = model_module._free_symbols(formula)
        slow = as_value(real_xreplace(formula, {s: to_expr(v) for s, v in zip(free, args)}))
        assert real_evaluate(formula, args) == slow == value and type(real_evaluate(formula, args)) is type(slow)


def test_from_torch_reads_a_leaf_modules_tensors_from_its_tables_as_torchs_methods_list_them(monkeypatch):
    """``live_torch._named`` gives what ``named_parameters`` / ``named_buffers`` (recurse or not,
    remove_duplicate=False) give, for every module of a ResNet-50, a scripted module, a tied and a
    pruned Linear, a BatchNorm without running statistics, and a subclass with a listing of its
    own (which is called); a leaf's listing is read from its table, without torch's generator."""
    torch = require_module("torch")
    from torch.nn.utils import prune

    from explain.importers import live_torch

    nn = torch.nn
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import torch_models
    finally:
        sys.path.remove(str(ROOT / "bench"))

    class Listed(nn.Linear):
        def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
            yield "only", self.weight

    tied = nn.Linear(3, 3, bias=False)
    pruned = nn.Linear(4, 2)
    prune.l1_unstructured(pruned, "weight", amount=0.5)
    net = nn.Sequential(torch_models.resnet50(), torch.jit.script(nn.Linear(2, 3)), tied, nn.Sequential(tied),
                        pruned, nn.BatchNorm1d(3, track_running_stats=False), Listed(2, 2))
    modules = list(net.modules())
    expected = [(list(m.named_parameters(recurse=r, remove_duplicate=False)),
                 list(m.named_buffers(recurse=r, remove_duplicate=False))) for m in modules for r in (True, False)]
    generated = []
    real = nn.Module._named_members
    monkeypatch.setattr(nn.Module, "_named_members", lambda self, *a, **k: generated.append(self) or real(self, *a, **k))
    live_torch._MODULE_METHODS.clear()
    found = [(live_torch._named(m, "_parameters", r), live_torch._named(m, "_buffers", r))
             for m in modules for r in (True, False)]
    assert len(found) == len(expected) == 2 * len(modules)
    for (params, buffers), (want_params, want_buffers) in zip(found, expected):
        assert [n for n, _ in params] == [n for n, _ in want_params]
        assert all(a is b for (_, a), (_, b) in zip(params, want_params))
        assert [n for n, _ in buffers] == [n for n, _ in want_buffers]
        assert all(a is b for (_, a), (_, b) in zip(buffers, want_buffers))
    assert live_torch._named(net[-1], "_parameters") == [("only", net[-1].weight)]
    leaves = [m for m in modules if not m._modules and type(m) is not Listed]
    assert not set(map(id, generated)) & set(map(id, leaves))
    assert {id(m) for m in modules if m._modules} <= set(map(id, generated))


def test_a_cnns_markdown_derivation_builds_only_the_rules_formulas_and_patterns_it_uses():
    """ResNet50 in Markdown with compute and memory: of the window rules only 'floor' and of the
    padding rules only 'same''s half are built (shapes.RULES, PADDINGS), none of the sentences'
    formulas (messages.PLACEHOLDERS: GRU, attention, …) and only the placeholders its sentences use
    are typeset (about 100 before); of escape's patterns only the superscripts' (labels in math);
    kaplan.py is not imported (a CNN has no decoder block), nor the utf-8-sig codec (the file is
    read as UTF-8 without its BOM, if it has one: tests/test_cli_basics.py)."""
    code = ("import sys, io, contextlib\nfrom types import FunctionType\n"
            "from explain.render import escape, mathtex\n"
            "patterns = []\ncompiled = escape.compiled\n"
            "escape.compiled = lambda p: patterns.append(p) or compiled(p)\n"
            "written = []\nwrite = mathtex.MathPrinter.written\n"
            "mathtex.MathPrinter.written = lambda self, e: written.append(e) or write(self, e)\n"
            "from explain import shapes\nfrom explain.cli import main\nfrom explain.render import messages\n"
            "table = messages.PLACEHOLDERS._items\n"
            "lazy = [k for k, v in table.items() if type(v) is FunctionType]\n"
            "out = io.StringIO()\nwith contextlib.redirect_stdout(out):\n"
            f"    main(['derive', {str(FIXTURES / 'keras' / 'ResNet50.json')!r}, '--format', 'markdown',"
            " '--count', 'params,compute,memory'])\n"
            "def built(t): return sorted(k for k, v in t._items.items() if type(v) is not FunctionType)\n"
            "print('25,636,712' in out.getvalue(), 'explain.kaplan' in sys.modules,"
            " 'encodings.utf_8_sig' in sys.modules, built(shapes.RULES),"
            " built(shapes.PADDINGS), [k for k in lazy if type(table[k]) is not FunctionType],"
            " sorted(set(patterns)) == [escape._SUPER_RUN], len(lazy) > 50, len(written) < 20)\n")
    result = _fresh(code)
    assert result.stdout.strip() == "True False False ['floor'] ['half'] [] True True True"


def test_a_later_table_builds_each_value_once_when_first_read():
    from explain.symbols import Later
    made = []
    table = Later({"a": lambda: made.append("a") or ["a"], "b": lambda: made.append("b") or ["b"], "c": 3})
    assert len(table) == 3 and list(table) == ["a", "b", "c"] and "a" in table and "z" not in table
    assert made == []  # neither counting nor asking for a key builds a value
    first = table["a"]
    assert table["a"] is first and table.get("a") is first and made == ["a"]
    assert table["c"] == 3 and table.get("z") is None and made == ["a"]
    assert dict(table) == {"a": ["a"], "b": ["b"], "c": 3} and made == ["a", "b"]



def test_jinja2_ext_is_imported_only_to_compile_a_template(tmp_path):
    """The i18n extension (``jinja2.ext``, its ``{% trans %}`` tags) is added when a template is
    first parsed: the first run compiles the templates with it (the pluralised trans sentence is
    there), a second run takes them from the cache and never imports it, with the same text."""
    code = ("import sys, io, contextlib\nfrom explain.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    main(['derive', 'example:seed-cnn', '--lang', 'de'])\n"
            "print('jinja2.ext' in sys.modules)\nprint(out.getvalue())\n")
    cache = {"XDG_CACHE_HOME": str(tmp_path), "EXPLAIN_NO_CACHE": ""}
    first = _fresh(code, env=cache).stdout
    second = _fresh(code, env=cache).stdout
    assert first.startswith("True\n") and second.startswith("False\n")
    assert "Das Modell hat 18 Schichten" in first  # a {% trans count=... %} block; the seed CNN's 18 layers
    assert first.split("\n", 1)[1] == second.split("\n", 1)[1]
