"""Markdown derivations: every bundled example in every language parses (dollarmath) and KaTeX
renders every formula; the seed article's model, done right; repeated layers × N; hostile names."""
from __future__ import annotations

import html
import json
import re

import pytest

from explain.importers import examples, load
from explain.render import render
from tests.conftest import FIXTURES
from tests.render_helpers import LANGS, SEED_TOTAL, formulas, katex_errors, markdown_parser, walk


def test_every_example_in_every_language_parses_and_katex_renders_every_formula():
    items, sources = [], []
    for name in examples():
        model = load(f"example:{name}")
        for lang in LANGS:
            text = render(model, lang=lang, format="markdown", count=("params", "memory"))
            found = formulas(text)
            assert len(found) > 5, (name, lang)
            assert not any(t.type in ("html_inline", "html_block") for t in walk(markdown_parser().parse(text)))
            items += found
            sources += [(name, lang)] * len(found)
    errors = katex_errors(items)
    assert errors == []


def test_seed_cnn_in_german_is_the_article_done_right():
    expected = json.loads((FIXTURES / "specs" / "seed_cnn.expected.json").read_text())
    text = render(load("example:seed-cnn"), lang="de", format="markdown")
    assert "Insgesamt: 6.029.097 Parameter." in text
    assert f"= {expected['total']:,}".replace(",", "{.}") in text.replace("6{.}029{.}097", "6{.}029{.}097")
    # Each layer's formula with the numbers (hand derivation; the article's dense_2 bias had 512).
    assert r"3 \times 3 \times 3 \times 32 + 32 = 896" in text
    assert r"3 \times 3 \times 32 \times 32 + 32 = 9{.}248" in text
    assert r"11{.}552 \times 512 + 512 = 5{.}915{.}136" in text
    assert r"512 \times 128 + 128 = 65{.}664" in text
    assert r"128 \times 9 + 9 = 1{.}161" in text
    assert "512 \\times 128 + 512" not in text
    # Output shapes: convolution, pooling, flatten.
    assert r"\lfloor (256 + 2 \times 0 - 3)/1 \rfloor + 1 = 254" in text
    assert r"\lfloor (254 - 3)/3 \rfloor + 1 = 84" in text
    assert r"19 \times 19 \times 32 = 11{.}552" in text
    for layer in expected["layers"]:
        assert f"`{layer['name']}`" in text
    # The glossary's terms, never the article's machine translation.
    for word in ("Schicht", "Faltungsschicht", "Bias", "Ausgabeform", "Gewicht"):
        assert word in text
    for wrong in ("Ebene", "Vorspannung", "Voreingenommenheit", "Eingangskanal", "Dichte Schicht"):
        assert wrong not in text
    # Memory: 6,029,097 × 4 bytes = 24,116,388 bytes = 24.1 MB = 23.0 MiB, with German decimals.
    assert r"6{.}029{.}097 \times 4\ \text{Byte} = 24{.}116{.}388\ \text{Byte}" in text
    assert "24,1\u00a0MB" in text and "23,0\u00a0MiB" in text


@pytest.mark.parametrize("lang", LANGS)
def test_totals_use_the_locale(lang):
    text = render(load("example:seed-cnn"), lang=lang, format="markdown")
    assert SEED_TOTAL[lang] in text


def test_symbolic_total_is_shown_then_substituted():
    text = render(load("example:mlp-symbolic"), lang="en", format="markdown")
    # n_in·h + h + h·K + K with n_in = 784, h = 256, K = 10: 200,960 + 2,570 = 203,530.
    assert "Expanded:" in text and "Substituting the values:" in text
    assert "declared symbols" not in text and "declared values" not in text
    assert r"n_{\text{in}}" in text and "K" in text
    assert "= 203{,}530" in text


@pytest.mark.parametrize("lang, expanded, substituted", [
    ("de", "Ausmultipliziert:", "Nach Einsetzen der Werte:"),
    ("fr", "En développant\u00a0:", "Application numérique\u00a0:"),
    ("ja", "展開すると：", "数値を代入すると："),
    ("es", "Desarrollando:", "Sustituyendo los valores:"),
])
def test_symbolic_total_headings_are_translated(lang, expanded, substituted):
    text = render(load("example:mlp-symbolic"), lang=lang, format="markdown")
    assert expanded in text and substituted in text


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_a_variable_sequence_length_is_said_to_be_none_too(fmt):
    """GPT-2's input_ids: Keras would print (None, None), batch size and sequence length."""
    from explain.render.i18n import translations
    gpt2 = render(load(str(FIXTURES / "hf" / "gpt2.json")), lang="en", format=fmt)
    # None marks any axis of unfixed size (T5's relative bias has (None, None, H): queries, keys)
    both = "marks an axis whose size is not fixed: here the batch size and the sequence length."
    batch = "stands for the batch size, which is not fixed."
    none = r"\texttt{None}" if fmt == "latex" else "`None`"  # a Python value, in code font
    assert none + " " + both in gpt2 and batch not in gpt2
    cnn = render(load("example:seed-cnn"), lang="en", format=fmt)
    assert none + " " + batch in cnn and both not in cnn
    msgid = "The input %(name)s has the shape %(shape)s, where %(none)s " + both
    for lang in ("de", "fr", "ja", "es"):
        assert translations(lang).gettext(msgid) != msgid


def _spec(tmp_path, body: str):
    path = tmp_path / "model.yaml"
    path.write_text(body, encoding="utf-8")
    return load(str(path))


def test_identical_consecutive_layers_are_derived_once_and_counted_times_n(tmp_path):
    model = _spec(tmp_path, "name: stack\ninput: [16]\nlayers:\n" + "".join(
        f"  - Dense: {{name: d{i}, units: 16}}\n" for i in range(5)))
    text = render(model, lang="en", format="markdown")
    # 16·16 + 16 = 272 per layer, 5 layers: 1,360.
    assert text.count(r"16 \times 16 + 16 = 272") == 1
    assert r"5 \times 272 = 1{,}360" in text
    assert all(f"| `d{i}` (Dense)" in text for i in range(5))  # the summary lists every layer
    expanded = render(model, lang="en", format="markdown", expand=True)
    assert expanded.count(r"16 \times 16 + 16 = 272") == 5


def test_repeated_blocks_are_derived_once(tmp_path):
    layers = "".join(f"  - Dense: {{name: fc{i}, units: 8}}\n  - Dropout: {{name: drop{i}, rate: 0.1}}\n"
                     for i in range(3))
    text = render(_spec(tmp_path, "name: blocks\ninput: [8]\nlayers:\n" + layers), lang="de", format="markdown")
    # 8·8 + 8 = 72 per block, 3 blocks: 216.
    assert text.count(r"8 \times 8 + 8 = 72") == 1
    assert r"3 \times 72 = 216" in text
    assert "### Schichten 1 bis 6: drei gleiche Blöcke" in text  # rounds 14-15: "three identical blocks"


HOSTILE = r"a&b%c#d_e$f\g{h}i~j^k<l>m|n`o*p[q]"


def test_hostile_names_render_literally_in_markdown(tmp_path):
    spec = {"name": HOSTILE, "input": [4], "layers": [{"Dense": {"name": HOSTILE + "!", "units": 2}}]}
    text = render(load(spec), lang="en", format="markdown")
    page = markdown_parser().render(text)
    assert "<l>" not in page and "<script" not in page
    plain = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert plain.count(HOSTILE) >= 3  # title, summary row and heading
    assert not any(t.type in ("html_inline", "html_block") for t in walk(markdown_parser().parse(text)))
    assert katex_errors(formulas(text)) == []


def test_notes_and_non_trainable_reasons_render():
    model = load(FIXTURES / "specs" / "mlp_bn.yaml")
    text = render(model, lang="en", format="markdown")
    assert "moving average" in text
    assert "Non-trainable parameters: 512." in text  # 2·256 moving statistics (fixture total)


def test_jupyter_representations():
    model = load("example:lenet5")
    assert model._repr_markdown_().startswith("# Number of parameters")
    latex = model._repr_latex_()
    assert "\\documentclass" not in latex and "\\section*" in latex


def test_one_layers_steps_render_alone_for_feedback_sheets():
    from explain.render import render_document
    model = load("example:seed-cnn")
    md = render_document("layer", model.node("dense_2"), lang="de", format="markdown", model=model)
    assert md.startswith("### 16. `dense_2` (Dense)")
    assert r"512 \times 128 + 128 = 65{.}664" in md
    tex = render_document("layer", model.node("dense_2"), lang="fr", format="latex", model=model, level=1)
    assert tex.startswith(r"\section*{16. \texttt{dense\_2} (Dense)}")
    assert r"512 \times 128 + 128 = 65\,664" in tex


def test_repeated_blocks_of_a_transformer_and_tied_head():
    # GPT-2 small: V·d + T·d + L·(12d² + 13d) + 2d = 124,439,808 with the LM head tied (FORMULAS.md).
    model = load(FIXTURES / "hf" / "gpt2.json")
    text = render(model, lang="en", format="markdown")
    assert "Total: 124,439,808 parameters." in text
    assert r"P = L \cdot P_{1} = 12 \times 7{,}087{,}872 = 85{,}054{,}464" in text  # 12·768² + 13·768
    assert "the weights of `transformer.wte` (tied weights)" in text and "so the head adds 0 parameters" in text
    assert katex_errors(formulas(text)) == []


def test_declared_symbol_names_are_valid_math(tmp_path):
    model = _spec(tmp_path, "name: syms\nsymbols: {d_model: 16, n_heads: 2, alpha: 3, Width_2x: 4}\n"
                            "input: [d_model]\nlayers:\n  - Dense: {units: n_heads*alpha}\n"
                            "  - Dense: {units: Width_2x}\n")
    text = render(model, lang="de", format="markdown")
    assert r"d_{\text{model}}" in text and r"\mathit{Width}_{\text{2x}}" in text
    assert r"\alpha" in text
    assert katex_errors(formulas(text)) == []


def test_unknown_note_keys_do_not_crash(monkeypatch):
    from explain.layers.core import Dense
    monkeypatch.setattr(Dense, "notes", lambda self: ("no_such_note_key", "rnn_two_biases"), raising=False)
    text = render(load("example:lenet5"), lang="fr", format="markdown")
    assert "no_such_note_key" not in text
    assert "PyTorch donne à chacun des quatre groupes de poids deux vecteurs de biais" in text


@pytest.mark.parametrize("lang,states,size,binary", [
    ("de", "96.465.552", "96,5\u00a0MB", "92,0\u00a0MiB"), ("fr", "96\u202f465\u202f552", "96,5\u202fMo", "92,0\u00a0Mio"),
    ("en", "96,465,552", "96.5\u00a0MB", "92.0\u00a0MiB")])
def test_training_memory_section_of_the_seed_cnn(lang, states, size, binary):
    # 6,029,097 parameters, all trainable: Adam with mixed precision 16 bytes each (ZeRO)
    # = 96,465,552 bytes = 96.465552 MB = 91.997… MiB (96,465,552 / 2²⁰)
    text = render(load("example:seed-cnn"), lang=lang, format="markdown", count=("params", "memory"))
    # the bytes stand in M's equation; the sentence after it gives the size alone (fr reviewer)
    digits = r".*".join(states.split(states[2]))
    assert re.search(rf"M_\{{\\text\{{states\}}\}} = 16 \\cdot P = 16 \\times .* = {digits}\n", text), states
    assert f"{size} ({binary})" in text and f"{states} " not in text
    # activations per sample, 2 bytes each: 5,288,649 values (the layers' outputs but Flatten's,
    # a view; by hand in tests/test_training_memory.py) = 10,577,298 bytes
    assert re.search(r"A = 2 \\cdot N_\{\\text\{act\}\} \\cdot B = 2 \\times 5.*288.*649 \\times B = 10.*577.*298 \\cdot B\n", text)
    assert "Training memory" not in render(load("example:seed-cnn"), lang="en", format="markdown")


@pytest.mark.parametrize("lang", ["en", "de"])
def test_sentences_before_a_block_or_the_input_end_their_paragraph(lang):
    """A translated sentence followed by a blank line in the template keeps it: the block's
    introduction and the layer count are paragraphs of their own, not run into what follows."""
    text = render(load(FIXTURES / "keras" / "ResNet50.json"), lang=lang, format="markdown")
    tokens = markdown_parser().parse(text)
    paragraphs = [t.content for t in tokens if t.type == "inline"]
    block = [p for p in paragraphs if "conv2_block2_1_conv" in p and "conv2_block3_out" in p]
    assert block and all("**" not in p and "\n" not in p for p in block)
    count = next(p for p in paragraphs if "176" in p and ("layers" in p or "Schichten" in p))
    assert "\n" not in count


def test_tensor_table_names_in_code_font_and_keras_unit_explained_alone():
    """The seed's dense_1: kernel 11,552 × 512 = 5,914,624 weights and 512 biases (hand count),
    named as Keras names them, in code font, under the header "Parameters"; its 6,029,097 float32
    parameters are 24,116,388 bytes, which Keras prints in MB (2²⁰ bytes): only that unit is
    explained, not KB."""
    text = render(load("example:seed-cnn"), lang="en", format="markdown")
    assert "| Tensor | Formula | Parameters | Trainable |" in text and "| Number |" not in text
    assert "| `kernel` | $n_{\\text{in}} \\cdot n_{\\text{out}} = 11{,}552 \\times 512$ | 5,914,624 | yes |" in text
    assert "| `conv2d_1` (Conv2D) |" in text  # the summary's layer names too
    assert 6_029_097 * 4 == 24_116_388 and 2**20 < 24_116_388 < 2**30
    assert ("Keras 3's `model.summary()` prints `23.00 MB` because it uses binary units (its "
            "1\u00a0MB is 2²⁰\u00a0bytes, i.e. 1\u00a0MiB).") in text
    assert "1 KB" not in text and "1\u00a0KB" not in text


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_lenet5_says_which_variant_it_is_before_counting_its_layers(fmt):
    """Round 14 (ja): the layer count came before "This is the variant of LeNet-5 …"; the student
    should know which model this is first. Layers by hand: c1, s2, c3, s4, flatten, c5, f6, output = 8."""
    text = render(load("example:lenet5"), lang="en", format=fmt)
    variant, count = text.index("This is the variant of LeNet-5"), text.index("The model has 8 layers")
    assert variant < text.index("C1, C5 and F6 have the same counts") < count < text.index("The input")
    assert text.count("This is the variant of LeNet-5") == 1
