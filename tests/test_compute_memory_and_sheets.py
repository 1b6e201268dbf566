"""The seed CNN's compute and training-memory sections, and the exercise and solution sheets."""
from __future__ import annotations

import re
from functools import cache

import pytest

import explain
from explain.render import render
from tests.conftest import assert_wording
from tests.render_helpers import compute_layers

COUNT = ("params", "compute", "memory")


@cache
def _seed(lang: str, count: tuple[str, ...] = COUNT, format: str = "markdown") -> str:
    return render(explain.load("example:seed-cnn"), lang=lang, format=format, count=count)


def test_german_compute_total_is_a_sum_and_the_parameter_total_stays():
    """de reviewer: the compute table's last row sums its columns („Summe“); the parameter
    section's total keeps „Gesamtzahl“ (one msgid, two contexts)."""
    text = _seed("de")
    compute = text[text.index("## Rechenaufwand"):]
    assert re.search(r"^\| \*\*Summe\*\* \| \*\*[\d.]+\*\* \| \*\*[\d.]+\*\* \|$", compute, re.M)
    assert "**Gesamtzahl**" not in compute
    assert "## Gesamtzahl" in text[:text.index("## Rechenaufwand")]
    latex = _seed("de", format="latex")
    assert r"\textbf{Summe} &" in latex


def _compute_entry(text: str, heading: str) -> str:
    compute = compute_layers(text)
    start = compute.index(heading)
    end = compute.find("\n#### ", start + 1)
    return compute[start:end] if end > 0 else compute[start:]


@pytest.mark.parametrize("model,heading,earlier", [
    ("example:seed-cnn", "#### 18. `dense_3` (Dense)", "layer 14, `dense_1`"),
    ("example:lenet5", "#### 8. `output` (Dense)", "layer 6, `c5`"),
])
def test_a_later_dense_with_softmax_is_led_in_by_what_it_shares(model, heading, earlier):
    """en/de/fr reviewers: the last Dense layer showed its formulas with no lead-in. Its MACs
    n_in · n_out are the first Dense layer's formula (both Dense, with a bias); its O is 4 n_out
    (bias + softmax's exp, sum, divide) against 2 n_out (bias + relu/tanh), so only O differs."""
    text = render(explain.load(model), lang="en", format="markdown", count=("params", "compute"))
    entry = _compute_entry(text, heading)
    lead = (f"The MACs follow the same formula as in {earlier}; the other operations $O$ do not:\n\n$$")
    assert lead in entry
    assert "O &= 4n_{\\text{out}}" in entry


def test_the_lead_in_is_translated_and_in_the_pdf_source():
    de = _compute_entry(_seed("de").replace("### Rechenaufwand Schicht für Schicht",
                                            "### Compute, layer by layer"), "#### 18.")
    assert "Die MACs folgen derselben Formel wie in Schicht 14 (`dense_1`), die weiteren Operationen $O$ aber nicht:" in de
    latex = _seed("en", format="latex")
    entry = latex[latex.index(r"\paragraph*{18. \texttt{dense\_3} (Dense)}" + "\nThe MACs"):]
    assert entry.index("The MACs follow") < entry.index(r"\begin{aligned}")


@pytest.mark.parametrize("lang,present,absent", [
    ("ja", "1 パラメータあたりのバイト数（`float32`）", "バイト数／パラメータ"),
    ("ja", "1 パラメータあたりのバイト数（混合精度、ZeRO の数え方）", "パラメータ 1 つあたり"),
])
def test_memory_table_wording(lang, present, absent):
    assert_wording(_seed(lang), present, absent)


def _sheets(tmp_path, lang: str = "en", fmt: str = "markdown") -> tuple[str, str]:
    """The exercise and the solution of lenet5's variant drawn with seed 5 (the reviewed one)."""
    from explain.cli import main
    out = tmp_path / f"ex_{lang}_{fmt}"
    assert main(["exercise", "example:lenet5", "--lang", lang, "--format", fmt, "--out", str(out),
                 "--variants", "1", "--seed", "5"]) in (0, None)
    ext = "md" if fmt == "markdown" else "tex"
    [exercise] = (out / "exercises").glob(f"*.{ext}")
    [solution] = (out / "solutions").glob(f"*.{ext}")
    return exercise.read_text(encoding="utf-8"), solution.read_text(encoding="utf-8")


def test_first_same_padding_of_a_solution_says_why(tmp_path):
    """fr/ja reviewers: the variant's only padding="same" layer (a later Conv2D,
    so a short entry) gave p = (k − 1)/2 = 2 without saying why; the first layer of each padding
    kind carries the full sentence: for k = 5 and stride 1, (5 − 1)/2 = 2 zeros at each end keep
    n + 2·2 − 5 + 1 = n."""
    assert (5 - 1) // 2 == 2 and all(n + 2 * 2 - 5 + 1 == n for n in range(5, 40))
    _, solution = _sheets(tmp_path)
    first = solution.index('`padding="same"`')
    sentence = ('For an odd kernel size with stride 1, `padding="same"` adds $p$ zeros at both ends of '
                'every spatial axis, so that the output has the size of the input: $p = (k - 1)/2 = (5 - 1)/2 = 2$.')
    assert solution.index(sentence) == first - len("For an odd kernel size with stride 1, ")
    assert '`padding="same"` with stride 1: $p' not in solution


def test_seed_first_valid_padding_says_why():
    """The seed's first "valid" layer (conv2d_2, a short entry after conv2d_1's "same") says what
    "valid" means; later ones keep the short clause."""
    text = render(explain.load("example:seed-cnn"), lang="en", format="markdown")
    entry = text[text.index("### 2. `conv2d_2`"):text.index("### 3. ")]
    assert ('With `padding="valid"` nothing is added around the input: $p = 0$, and every window lies '
            'inside the input.') in entry
    later = text[text.index("### 5. `conv2d_3`"):text.index("### 6. ")]
    assert '`padding="same"`: $p' in later or '`padding="same"` with stride 1: $p = ' in later


def test_exercise_working_total_stands_at_the_margin(tmp_path):
    """en/de/es/ja reviewers: the total's line in the working stood indented by the empty number
    box, out of line with "1. c1"; the layers keep their right-aligned numbers with a period."""
    exercise, _ = _sheets(tmp_path, "en", "latex")
    assert "\\noindent\\rule{0pt}{2.2em}\\textbf{Total}\\enspace\\hrulefill\\par" in exercise
    assert "\\noindent\\rule{0pt}{2.2em}\\makebox[1.5em][r]{1.}\\enspace \\texttt{c1}\\enspace\\hrulefill\\par" in exercise
    assert "\\makebox[1.5em][r]{}" not in exercise


def test_japanese_exercise_defaults_are_ragged_and_the_working_follows_the_answer_table(tmp_path):
    """ja reviewer: the defaults' line (long unbreakable code) was justified with a gap between
    every character; the working ran its last two layers and the total onto a third page.
    Then (ja): with the working whole on p. 3, the answer table stood alone on p. 2; with rows
    1 cm high the table and all the working no longer fit on one page, so the working starts under
    the table and its last entries go on, never the total's entry alone."""
    from tests.render_helpers import compile_latex, pdf_text
    exercise, _ = _sheets(tmp_path, "ja", "latex")
    assert re.search(r"\{\\raggedright\n指定されていない引数は[^\n]*\\par\}", exercise)
    pages = [p for p in pdf_text(compile_latex(exercise, tmp_path / "pdf", "exercise")).split("\f") if p.strip()]
    start = next(k for k, p in enumerate(pages) if "計算欄" in p)
    assert "出力形状" in pages[start] and "1. " in pages[start]  # under the answer table
    working = "".join(pages[start:])
    assert all(f"{i}. " in working for i in range(1, 9)) and "合計" in pages[-1]
    assert "8. " in pages[-1] and "7. " in pages[-1]  # the total with the last layers


@pytest.mark.parametrize("lang,present,absent", [
    # ja reviewer: the total was a garden-path sentence (約 M + A バイト、つまり 96.5 MB … に加えて)
    ("ja", "混合精度の Adam による学習には約 $M_{\\text{states}} + A$ バイトが必要です。内訳は、モデルの状態 96.5\u00a0MB（", "つまり 96.5 MB"),
    # ja reviewer: the table column's name, quoted
    ("ja", "これらは「その他の演算」$O$（このモデルでは", "これらはその他の演算 $O$"),
    # fr reviewer
    ("fr", "Lors de l’inférence, cette couche ne calcule rien", "À l’inférence, cette couche"),
    ("fr", "Pendant l’entraînement, elle tire un masque aléatoire", "À l’entraînement, elle"),
    # es reviewer: «momento» is also the statistical moment; say which value each optimizer keeps
    # (review 37: and call the optimizer «SGD con momentum», not «momento» beside Adam's moments)
    ("es", "SGD con momentum guarda un valor por parámetro, la velocidad (4\u00a0bytes); Adam y AdamW guardan dos, "
           "las estimaciones del primer y del segundo momento del gradiente", "el primer y el segundo momento (8"),
    # es reviewer: the anglicism "frameworks" bare in print
    ("es", "En la práctica, las bibliotecas (frameworks) guardan", "los frameworks"),
    ("es", "sin contar los búferes ni la memoria de trabajo propios de la biblioteca.", "del framework"),
])
def test_memory_and_compute_wording(lang, present, absent):
    assert_wording(_seed(lang), present, absent)


@pytest.mark.parametrize("lang,present", [
    ("en", "Also enter your answers in the answer file `answers/JQTL7C.yaml` that comes with this sheet"),
    ("ja", "解答は、この問題に付属する解答ファイル `answers/JQTL7C.yaml` にも記入してください。"),
    ("es", "en el archivo de respuestas `answers/JQTL7C.yaml` que acompaña a esta hoja"),
])
def test_the_answer_file_is_a_file_that_comes_with_the_sheet(tmp_path, lang, present):
    """en/es/ja reviewers: a YAML file is not a paper form, and the student must learn where it is."""
    exercise, solution = _sheets(tmp_path, lang)
    assert present in exercise
    if lang == "es":
        assert "Resumen de las respuestas, con el mismo formato que en el ejercicio" in solution
    if lang == "ja":
        assert "以下の導出では、バッチ軸も含めて形状を書きます" in solution


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_short_byte_sums_in_sentences_never_break(lang):
    """ja reviewer: 「4 + 4 + / 8 = 16 バイト」 broke at a plus across lines; a sum of bytes in a
    sentence is one unbreakable unit (2 + 2 + 12 = 16: ZeRO's fp16 weight and gradient and the
    optimizer's 12 bytes; 4 + 4 + 8 = 16: float32 weight, gradient and Adam's two moments)."""
    assert 2 + 2 + 12 == 4 + 4 + 8 == 16
    tex = render(explain.load("example:seed-cnn"), lang=lang, format="latex", count=("memory",))
    glue = "\\nobreak\\hspace{0.3333em}"
    for total in ("4 + 4 + 8 = 16", "2 + 2 + 12 = 16"):
        assert total.replace(" ", glue) in tex
        assert total not in tex.split("\\begin{tabular}")[0]  # the sentences before the table


@pytest.mark.parametrize("lang,column,sentence", [
    ("en", "| # | Layer | Type | Arguments |", "Arguments that are not given have their Keras default values"),
    ("de", "| Argumente |", "Nicht angegebene Argumente"),
])
def test_exercise_column_names_the_arguments_the_defaults_sentence_names(tmp_path, lang, column, sentence):
    """de reviewer: the column said „Hyperparameter“ over filters=2, activation="tanh" …, the next
    sentence „Nicht angegebene Argumente“: one word for the same things."""
    exercise, _ = _sheets(tmp_path, lang)
    assert column in exercise and sentence in exercise and "Hyperparam" not in exercise
