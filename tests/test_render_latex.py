"""LaTeX derivations: every bundled example in every language compiles with lualatex, and the
PDF's text shows the total in the locale's format; fragments; hostile names compile literally."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from explain.importers import examples, load
from explain.render import render
from tests.render_helpers import LANGS, SEED_TOTAL, compile_latex, pdf_text, require_tool

# A group separator in pdftotext's output: TeX's thin space (\,) comes out as a space or U+202F.
_SEP = {"en": ",", "ja": ",", "de": ".", "es": ".", "fr": "[ \u202f\u00a0]?"}


def _locale_pattern(n: int, lang: str) -> str:
    groups = f"{n:,}".split(",")
    return _SEP[lang].join(re.escape(g) for g in groups) if lang == "fr" else re.escape(_SEP[lang]).join(groups)


def test_every_example_in_every_language_compiles_and_shows_the_total(tmp_path):
    require_tool("lualatex")
    jobs = []
    for name in examples():
        model = load(f"example:{name}")
        for lang in LANGS:
            # with the training-memory section (--count params,memory)
            jobs.append((name, lang, render(model, lang=lang, format="latex", count=("params", "memory")),
                         model.total))

    def build(job):
        name, lang, tex, total = job
        pdf = compile_latex(tex, tmp_path / f"{name}-{lang}", "doc")
        return name, lang, pdf_text(pdf), total

    with ThreadPoolExecutor(max_workers=2) as pool:
        for name, lang, text, total in pool.map(build, jobs):
            assert re.search(_locale_pattern(total, lang), text), (name, lang)
            # mixed-precision Adam: 2 + 2 + 12 = 16 bytes per parameter (ZeRO), every example trainable
            assert re.search(_locale_pattern(16 * total, lang), text), (name, lang)


def test_seed_total_strings():
    # CLDR through Babel: the forms the glossary names (fr with U+202F).
    for lang in LANGS:
        assert SEED_TOTAL[lang] in render(load("example:seed-cnn"), lang=lang, format="markdown")


@pytest.mark.parametrize("lang,separator", [("de", "6{.}029{.}097"), ("fr", r"6\,029\,097"),
                                            ("en", "6{,}029{,}097"), ("es", "6{.}029{.}097")])
def test_numbers_in_math_carry_the_locale_separator(lang, separator):
    tex = render(load("example:seed-cnn"), lang=lang, format="latex")
    assert separator in tex
    assert r"\times" in tex and r"\cdot" in tex


def test_document_and_fragment():
    model = load("example:seed-cnn")
    doc = render(model, lang="ja", format="latex")
    assert "luatexja" in doc and "\\begin{document}" in doc and "booktabs" in doc
    assert "ngerman" in render(model, lang="de", format="latex")
    fragment = render(model, lang="de", format="latex", fragment=True)
    assert "\\documentclass" not in fragment and "\\begin{document}" not in fragment
    assert "\\section*" in fragment


HOSTILE = r"a&b%c#d_e$f\g{h}i~j^k<l>m"


def test_hostile_names_compile_and_read_literally(tmp_path):
    spec = {"name": HOSTILE, "input": [4], "layers": [{"Dense": {"name": HOSTILE + "_2", "units": 2}}]}
    model = load(spec)
    tex = render(model, lang="en", format="latex")
    text = pdf_text(compile_latex(tex, tmp_path / "hostile", "doc"))
    flat = text.replace("\n", "")
    assert HOSTILE in flat and HOSTILE + "_2" in flat


def test_repeated_blocks_and_big_models_compile(tmp_path):
    from tests.conftest import FIXTURES
    layers = "".join(f"  - Dense: {{name: fc{i}, units: 8}}\n  - Dropout: {{name: drop{i}, rate: 0.1}}\n"
                     for i in range(3)) + "".join(f"  - Dense: {{name: same{i}, units: 8}}\n" for i in range(4))
    spec = tmp_path / "blocks.yaml"
    spec.write_text("name: blocks\ninput: [8]\nlayers:\n" + layers, encoding="utf-8")
    cases = [(load(str(spec)), "fr"), (load(FIXTURES / "hf" / "gpt2.json"), "de"),
             (load(FIXTURES / "keras" / "MobileNetV2.json"), "ja")]

    def build(i_case):
        i, (model, lang) = i_case
        return model, lang, pdf_text(compile_latex(render(model, lang=lang, format="latex"), tmp_path / f"m{i}"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        for model, lang, text in pool.map(build, enumerate(cases)):
            assert re.search(_locale_pattern(model.total, lang), text), (model.name, lang)
