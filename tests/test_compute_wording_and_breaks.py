"""The compute and memory sections: wording (en, de, es, fr), units
never split from their numbers, the per-layer table's Total row kept with the rows above it, the
Keras summary sentence, and one Spanish term for the forward pass."""
from __future__ import annotations

import re

import pytest

import explain
from explain.render import render
from tests.test_typography import msgstrs

COUNT = ("params", "compute", "memory")


@pytest.fixture(scope="module")
def seed():
    return explain.load("example:seed-cnn")


@pytest.mark.parametrize("lang,present,absent", [
    ("en", "counts 2 FLOPs per MAC", "counts 2 per MAC"),
    ("en", "Real frameworks may store somewhat more or fewer values", "Actual frameworks"),
    ("de", "zählt zwei FLOPs je MAC", "zählt 2 je MAC"),
    ("de", "die in der Tabelle unten getrennt stehen und in diesen FLOPs nicht enthalten sind", "aufgeführt werden"),
    ("es", "Si cada MAC cuenta como dos operaciones de punto flotante (una multiplicación y una suma), se obtiene el "
           "número de FLOP:", "Contando cada MAC"),
    ("es", "el softmax y la agrupación no son MAC", "y el pooling"),
    ("es", "como las sumas del sesgo, las funciones de activación, el softmax y la agrupación)", "y el pooling)"),
    ("fr", "Pour un entraînement en 32 bits (`float32`), chaque valeur occupe 4\u00a0octets.", "En entraînement"),
    ("fr", "Pour un entraînement en précision mixte (Micikevicius et al., 2018)", "En entraînement"),
])
def test_compute_wording(seed, lang, present, absent):
    text = render(seed, lang=lang, format="markdown", count=COUNT)
    assert present in text and absent not in text


@pytest.mark.parametrize("lang,unit", [("en", "bytes"), ("de", "Byte"), ("fr", "octets"), ("ja", "バイト"),
                                       ("es", "bytes")])
def test_numbers_and_byte_units_never_split(seed, lang, unit):
    """'(4 | bytes)' and '2 | octets' were split across lines (es, fr reviewers): every
    number before a byte unit in the training-memory prose is joined to it by a no-break space."""
    text = render(seed, lang=lang, format="markdown", count=COUNT)
    memory = text[text.index("float32", text.index("ZeRO") - 400):]
    prose = "\n".join(line for line in memory.splitlines() if not line.startswith(("|", "$", "A =", "M =")))
    assert re.findall(rf"\d {unit}", prose) == []
    assert len(re.findall(rf"\d\u00a0{unit}", prose)) >= 5


def test_under_a_kilobyte_the_size_is_bytes_said_once():
    """36 activations (conv 4·4·2 = 32, dense 4) of 2 bytes: 72 bytes, in the plural (CLDR's
    short form said '72 byte'), and not '72 byte (72 byte)'."""
    layers = [{"Conv2D": {"filters": 2, "kernel_size": 3}}, {"Flatten": {}}, {"Dense": {"units": 4}}]
    model = explain.load({"name": "v", "input": [6, 6, 1], "layers": layers})
    text = render(model, lang="en", format="markdown", count=("memory",))
    assert "The activations of one sample take 72\u00a0bytes, and twice as much in `float32`." in text
    assert "plus 72\u00a0bytes per sample" in text
    assert "byte (" not in text


def test_total_row_never_starts_a_page_alone(seed):
    """The per-layer table broke just before its Total row (es reviewer): the last four rows forbid
    a page break after them (longtable's \\\\*), and the rule above Total has no breakable glue
    after it (booktabs' \\midrule had)."""
    tex = render(seed, lang="es", format="latex", count=COUNT)
    table = next(t for t in tex.split("\\begin{longtable}")[1:] if "\\textbf{813.689.984}" in t)
    rows = table[table.index("\\endhead"):table.index("\\end{longtable}")].splitlines()
    total = next(i for i, r in enumerate(rows) if r.startswith("\\textbf{Total}"))
    # round 24: the rule spans the table's three columns, not the text width (an \hrule in \noalign)
    assert rows[total - 3:total] == ["\\noalign{\\nobreak\\vskip\\aboverulesep}",
                                     "\\multispan3\\leaders\\hrule height\\lightrulewidth\\hfill\\cr",
                                     "\\noalign{\\nobreak\\vskip\\belowrulesep}"]
    assert "\\hrule" not in table.replace("\\leaders\\hrule", "")
    assert rows[total - 4].startswith("\\texttt{dense\\_3}") and rows[total - 4].endswith("\\\\*")
    assert rows[total - 5].startswith("\\texttt{dropout\\_5}") and rows[total - 5].endswith("\\\\*")
    # round 14: a table of 24 rows or fewer never breaks (the seed's 18 broke after three, de)
    assert sum(r.endswith("\\\\*") for r in rows) == 18


def test_a_long_compute_table_keeps_its_last_four_rows_with_the_total():
    """A table longer than a page may break, but not above its last four rows."""
    from explain import load
    from tests.conftest import FIXTURES
    tex = render(load(FIXTURES / "keras" / "MobileNetV2.json"), lang="en", format="latex", count=("compute",))
    table = tex.split("\\begin{longtable}")[1:]
    table = next(t for t in table if "\\noalign{\\nobreak" in t)  # the compute table, not the summary
    rows = [r for r in table[table.index("\\endhead"):table.index("\\noalign")].splitlines()[1:] if r.strip()]
    assert len(rows) > 24 and sum(r.endswith("\\\\*") for r in rows) == 4 and rows[-1].endswith("\\\\*")


def test_flop_counter_is_named_by_its_class_and_module(seed):
    """The 39-character `torch.utils.flop_counter.FlopCounterMode` stretched its justified line (de,
    fr, en reviewers); broken after its dots it split after "torch.utils." (es, fr). The sentence names the class and, in parentheses, its module: two short pieces of code."""
    for lang, words in (("en", "PyTorch's \\texttt{FlopCounterMode} (in \\texttt{torch.utils.flop\\_counter}) counts"),
                        ("de", "\\texttt{FlopCounterMode} von PyTorch (in \\texttt{torch.utils.flop\\_counter}) zählt")):
        tex = render(seed, lang=lang, format="latex", count=("compute",))
        assert words in tex, lang
        assert "flop\\_counter.\\allowbreak{}FlopCounterMode" not in tex


@pytest.mark.parametrize("lang,sentence", [
    ("en", "Keras 3's `model.summary()` prints `23.00 MB` because it uses binary units (its 1\u00a0MB is "
           "2²⁰\u00a0bytes, i.e. 1\u00a0MiB)."),
    ("de", "In Keras 3 gibt `model.summary()` den Wert `23.00 MB` aus, weil Keras mit binären Vielfachen rechnet: Bei Keras "
           "ist 1\u00a0MB\u00a0= 2²⁰\u00a0Byte, also eigentlich 1\u00a0MiB."),
    # fr reviewer, round 11: the unit label in French quotes, after a colon
    ("fr", "La méthode `model.summary()` de Keras 3 affiche `23.00 MB`, car Keras compte en unités binaires\u00a0: "
           "son «\u00a0MB\u00a0» vaut 2²⁰\u00a0octets, soit 1\u00a0Mio."),
    ("es", "El resumen de Keras 3 (`model.summary()`) muestra `23.00 MB` porque usa unidades binarias (para "
           "Keras, 1\u00a0MB equivale a 2²⁰\u00a0bytes, es decir, 1\u00a0MiB)."),
])
def test_keras_summary_sentence(seed, lang, sentence):
    """6,029,097 parameters × 4 bytes = 24,116,388 bytes = 23.00 × 2²⁰ (Keras's 'MB' is a MiB)."""
    assert round(6_029_097 * 4 / 2**20, 2) == 23.00
    assert sentence in render(seed, lang=lang, format="markdown")


def test_german_keras_sentence_in_latex_has_no_straight_apostrophe(seed):
    tex = render(seed, lang="de", format="latex")
    assert "In Keras 3 gibt \\texttt{model.summary()} den Wert" in tex and "Keras' " not in tex


def test_one_spanish_term_for_the_forward_pass():
    """The GLOSSARY's «pasada hacia adelante / hacia atrás» in every Spanish sentence (the glossary
    is binding; an earlier text kept «propagación hacia delante»); «retropropagación»
    stays where the algorithm is meant."""
    texts = [s for _, s in msgstrs("es")]
    assert any("la pasada hacia adelante" in s for s in texts)
    assert any("la pasada hacia atrás" in s for s in texts)
    assert [s for s in texts if re.search(r"propagación hacia|pasada hacia delante", s, re.I)] == []


def test_japanese_table_heading_breaks_only_between_its_words(seed):
    """「パラメータ 1 個 / あたりのバイ / ト数」 broke inside words (ja reviewer); the
    heading is 「1 パラメータあたりのバイト数」 (not the calque バイト数／パラメータ), its
    words unbreakable, breaking only between them."""
    tex = render(seed, lang="ja", format="latex", count=("memory",))
    assert tex.count("{\\mbox{1 パラメータ}\\allowbreak\\mbox{あたりの}\\allowbreak\\mbox{バイト数}}") == 2
