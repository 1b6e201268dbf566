"""The feedback sheet in every format and language: the verdict, the mistake in one sentence
(translated from the catalogs), the correct derivation, a summary line."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import FIXTURES, require_tool

from explain.checker import check_file, render_report
from explain.checker import messages as M
from explain.render.i18n import translate

SEED = FIXTURES / "worksheets" / "seed_worksheet.yaml"
SUMMARY = "%(correct)s of %(total)s answers are fully correct; answer %(answers)s has the correct result but the wrong formula."
SUMMARY_PLURAL = ("%(correct)s of %(total)s answers are fully correct; answers %(answers)s have the correct result but the "
                  "wrong formula.")
LANGS = ["en", "de", "ja", "fr", "es"]


@pytest.fixture(scope="module")
def report():
    return check_file(str(SEED))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["markdown", "latex", "text"])
def test_sheet_in_every_language(report, lang, fmt):
    out = render_report(report, lang=lang, format=fmt)
    assert "dense_2" in out.replace("\\_", "_")
    # the verdict and the one-sentence diagnosis, in the reader's language
    label = translate(lang, M.VERDICT_LABELS["wrong_formula"])
    assert label in out
    bias_sentence = translate(lang, M.MISTAKES["bias_size"])
    if lang != "en":
        assert bias_sentence != M.MISTAKES["bias_size"], f"no {lang} translation"
    head = bias_sentence.split("%(")[0].strip()
    assert head and head.replace("_", "\\_") in out or head in out
    # the summary line
    # the summary line: 6 of 7 fully correct, and answer 5 (dense_2) has the right number only
    from explain.render.i18n import translations
    summary = translations(lang).ngettext(SUMMARY, SUMMARY_PLURAL, 1)
    tail = summary.rsplit(")s", 1)[-1].strip()
    assert tail and tail in out.replace("\n", " ")
    if fmt != "latex":  # by hand: claims 1–4, 6 and 7 are right, claim 5 only in its number
        assert summary % {"correct": 6, "total": 7, "answers": 5} in out
    # the correct derivation of dense_2 shows its bias of 128 and its count (in any digit grouping)
    assert "128" in out and re.search(r"65\D{0,4}664", out)


@pytest.mark.parametrize("lang, joined", [("en", "answers 2 and 3 have"), ("de", "bei den Schritten 2 und 3"),
                                           ("fr", "les réponses 2 et 3 donnent"), ("ja", "2 と 3 番は"),
                                           ("es", "en las respuestas 2 y 3,")])
def test_summary_joins_the_answer_numbers_as_a_list(tmp_path, lang, joined):
    """Two answers with the right number and a wrong formula are named as a list of the language
    (join_list), not "2, 3". By hand: dense_2 has 512·128 + 128 = 65,664 parameters (written with
    a bias of 512), dense_3 128·9 + 9 = 1,161 (written with a bias of 128, 1,280)."""
    sheet = tmp_path / "sheet.yaml"
    (tmp_path / "seed_cnn.yaml").write_text((FIXTURES / "worksheets" / "seed_cnn.yaml").read_text())
    sheet.write_text("model: seed_cnn.yaml\nclaims:\n"
                     "  - layer: conv2d_1\n    work: 3 x 3 x 3 x 32 + 1 x 32 = 896\n"
                     "  - layer: dense_2\n    work: 512 x 128 + 512 = 65664\n"
                     "  - layer: dense_3\n    work: 128 x 9 + 128 = 1161\n")
    checked = check_file(str(sheet))
    assert [c.verdict for c in checked.claims] == ["correct", "wrong_formula", "wrong_formula"]
    for fmt in ("markdown", "latex", "text"):
        out = render_report(checked, lang=lang, format=fmt)
        assert joined in out and "2, 3" not in out, fmt


def test_latex_sheet_compiles(report, tmp_path):
    lualatex = require_tool("lualatex")
    for lang in LANGS:
        tex = tmp_path / f"sheet_{lang}.tex"
        tex.write_text(render_report(report, lang=lang, format="latex"), encoding="utf-8")
        result = subprocess.run([lualatex, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                                cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-2000:]


def test_latex_fragment_has_no_preamble(report):
    out = render_report(report, format="latex", fragment=True)
    assert "\\documentclass" not in out and "\\begin{document}" not in out
    assert "\\section*" in out


def test_markdown_escapes_names_from_the_worksheet(tmp_path):
    sheet = tmp_path / "w.txt"
    sheet.write_text("model: example:seed-cnn\n3: 1\n")
    out = render_report(check_file(str(sheet)), format="markdown")
    assert "<" not in out.split("$$")[0]



@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["markdown", "latex", "text"])
def test_wrong_formula_names_the_final_number_and_the_formula_as_written(report, lang, fmt):
    """dense_2: the student wrote 512 × 128 + 512 = 65,664; the final number is right (512·128 + 128),
    the formula as written gives 512·128 + 512: the sentence shows both, the formula as math."""
    right, written = 512 * 128 + 128, 512 * 128 + 512  # 65,664 and 66,048, by hand
    out = render_report(report, lang=lang, format=fmt)
    sentence = translate(lang, M.VERDICT_SENTENCES["wrong_formula"])
    line = next(x for x in out.splitlines() if sentence.split("%(expected)s")[0].strip() in x)
    grouped = r"\D{1,4}".join
    final = grouped([str(right)[:2], str(right)[2:]])
    times = "×" if fmt == "text" else r"\\times"
    formula = rf"\$?512 {times} 128 \+ 512 = " + grouped([str(written)[:2], str(written)[2:]])
    assert re.search(final + ".*" + formula, line), line


@pytest.mark.parametrize("lang, wanted, unwanted", [
    ("de", ["| Ihre Lösung |", "Ihre Lösung: Formel $512", "6 von 7 Lösungsschritten sind vollständig richtig; bei Schritt 5 "
            "stimmt das Ergebnis, aber nicht die Formel."], ["Angabe"]),
    ("es", ["| Valor correcto |", "# Corrección del cálculo a mano"], ["| Esperado |", "Valor esperado"]),
    # round 17 (de): "Sollwert" is engineering jargon; the column sizing by words keeps "Richtiger Wert" on one line
    ("de", ["| Richtiger Wert |"], ["Sollwert"]),
    ("fr", ["# Correction du calcul à la main"], ["Retour sur"]),
])
def test_sheet_headings_in_the_reviewers_words(report, lang, wanted, unwanted):
    """Native reviewers: de „Angabe“ reads as the exercise statement in Austria and southern Germany;
    es «Esperado» alone is unclear and «valor esperado» is the
    expectation of a random variable (Dropout's sentences use it); de „Sollwert“ reads as engineering jargon (round 17); fr « Retour sur » is not a correction."""
    out = render_report(report, lang=lang, format="markdown")
    assert all(w in out for w in wanted), out[:600]
    assert not any(u in out for u in unwanted)


def test_latex_table_marks_each_claim_like_markdown(report):
    """The PDF's table shows the ✓/✗ of the Markdown table (DejaVu Sans's glyphs: Latin Modern has
    neither U+2713 nor U+2717, and a math × reads as a multiplication), one per row."""
    out = render_report(report, lang="de", format="latex")
    marks = render_report(report, format="markdown").count("| ✓ "), render_report(report, format="markdown").count("| ✗ ")
    assert "\\marksfont ✗" in out and "\\times$~" not in out
    assert (out.count("& \\good~"), out.count("& \\bad~\\textbf{")) == marks == (6, 1)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["markdown", "latex", "text"])
def test_correct_derivation_has_a_lead_in(report, lang, fmt):
    """After the wrong claim (dense_2, the only one) the re-derivation opens with "Correct derivation:",
    translated, once, after the diagnosis; the correct claims get none."""
    out = render_report(report, lang=lang, format=fmt)
    lead = translate(lang, "Correct derivation:")
    if lang != "en":
        assert lead != "Correct derivation:", f"no {lang} translation"
    head = lead.rstrip(":： \u00a0")
    assert out.count(head) == 1
    assert out.index(translate(lang, M.MISTAKES["bias_size"]).split("%(")[0].strip()) < out.index(head)


@pytest.mark.parametrize("lang", LANGS)
def test_latex_table_columns_have_fixed_widths_and_real_marks(report, lang):
    """A free (r, l) longtable column is measured from the previous run's .aux, so after one
    lualatex run the '#' header stood beside the numbers; fixed p columns line up at once.
    The marks are glyphs (✓, ✗), never a multiplication sign, in every language."""
    out = render_report(report, lang=lang, format="latex")
    spec = re.search(r"\\begin\{longtable\}\{(.*)\}\n", out).group(1)
    assert re.sub(r">\{[^}]*\}|\{[^{}]*(\{[^{}]*\})*[^{}]*\}|@", "", spec) == "ppppp", spec
    assert "\\bad~\\textbf{" in out and "$\\times$~" not in out
    assert ("\\ltjalchar\"2717" if lang == "ja" else "✗") in out
    assert translate(lang, "your answer") != "claimed"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["markdown", "latex", "text"])
def test_correct_derivation_leaves_out_the_activation(report, lang, fmt):
    """dense_2's activation (relu) has no parameters and nothing to do with the claimed count: the
    check sheet's re-derivation does not name it (a derivation of the same model does)."""
    out = render_report(report, lang=lang, format=fmt)
    activation = translate(lang, "Activation: %(activation)s.").split("%(")[0].strip()
    assert activation and activation not in out
