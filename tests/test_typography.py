"""Typography and terminology of every language, over every catalog entry and over rendered
documents (GLOSSARY.md, "Per language"), and the form of the feedback sheet."""
from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from explain.checker import check_file, render_report
from explain.layers import _texts
from explain.importers import load
from explain.render import render
from explain.render.documents import render_document
from explain.render.escape import message_escape
from explain.render.i18n import translations
from explain.render.numbers import format_share
from tests.conftest import FIXTURES, ROOT
from tests.render_helpers import markdown_parser, walk

LOCALES = ROOT / "templates" / "locales"
SEED_SHEET = FIXTURES / "worksheets" / "seed_worksheet.yaml"


def msgstrs(lang: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) for every translated string of ``lang`` (each plural form on its own)."""
    with open(LOCALES / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=lang)
    out = []
    for m in catalog:
        if not m.id:
            continue
        msgid = m.id if isinstance(m.id, str) else m.id[0]
        for s in (m.string if isinstance(m.string, tuple) else (m.string,)):
            out.append((msgid, s))
    return out


@pytest.fixture(scope="module")
def seed_report():
    return check_file(str(SEED_SHEET))


# ----------------------------------------------------------------------------- French

def test_french_spaces_before_high_punctuation_in_every_entry():
    """A no-break space before ':' and a narrow one before '; ! ?', no-break spaces inside « »;
    never a breakable space there, never none (GLOSSARY, French)."""
    bad = []
    for msgid, s in msgstrs("fr"):
        for m in re.finditer(r"(.)([:;!?])(?=[\s)]|$)", s):
            wanted = "\u00a0" if m.group(2) == ":" else "\u202f"
            if m.group(1) != wanted:
                bad.append((s[max(0, m.start() - 20):m.end()], msgid))
        if re.search(r"«(?!\u00a0)|(?<!\u00a0)»", s):
            bad.append((s, msgid))
    assert bad == []


def test_french_terms():
    """"Dérivation" reads as differentiation; the student's answer is a "réponse donnée", not an
    "affirmation"; running statistics are "mobiles" (GLOSSARY)."""
    bad = [(msgid, s) for msgid, s in msgstrs("fr")
           if re.search(r"dériv|affirm|(?:moyenne|variance|statistique)s? courantes?", s, re.IGNORECASE)]
    # « l’entrée courante » (the input at this time step) is the lecturer's word, not a statistic
    assert not [s for _, s in msgstrs("fr") if "entrée actuelle" in s]
    assert bad == []


def test_french_feed_forward_network_is_the_glossary_term():
    """GLOSSARY (forward pass: « propagation avant »): the network is « réseau à propagation
    avant » in every message (Kaplan, MoE, the norms of Gemma and OLMo as in the reviewed GPT-2 and
    Llama documents); the English word only as a gloss, « (feed-forward) » or « ou feed-forward »."""
    bad = [s for _, s in msgstrs("fr") if re.search(r"feed-forward(?!\))", s.replace("ou feed-forward", ""))]
    assert bad == []
    assert any("réseau à propagation avant (feed-forward) d’un expert" in s for _, s in msgstrs("fr"))


@pytest.fixture(scope="module")
def french_latex(seed_report) -> list[str]:
    return [render(load("example:seed-cnn"), lang="fr", format="latex", count=("params", "compute", "memory")),
            render(load(FIXTURES / "specs" / "mlp_bn.yaml"), lang="fr", format="latex"),
            render_report(seed_report, lang="fr", format="latex"),
            render_document("layers", None, lang="fr", format="latex")]


def test_french_latex_leaves_the_spacing_of_high_punctuation_to_babel(french_latex):
    """babel-french puts its own space before ': ; ! ?' and inside « »: a typed one (U+00A0,
    U+202F, \\, or ~) would double it."""
    for doc in french_latex:
        assert "\\usepackage[french]{babel}" in doc
        assert re.findall(r".{0,20}(?:[\u00a0\u202f~]|\\,|\\hspace\{[^}]*\})[:;!?»]", doc) == []
        assert re.findall(r"«(?:[\u00a0\u202f~]|\\,|\\nobreak).{0,20}", doc) == []
        assert re.search(r"[\w}$]: ", doc)  # the signs are there, bare


def test_french_markdown_has_no_break_spaces_before_colons(seed_report):
    sheet = render_report(seed_report, lang="fr", format="markdown")
    # one pair in the Évaluation column: correct / faux (not « juste » beside « ✓ correct »)
    assert "## 5. `dense_2`\u00a0: paramètres (formule fausse, mais résultat correct)" in sheet
    assert "juste" not in sheet
    assert "Réponse donnée\u00a0: formule $512 \\times 128 + 512$, résultat 65\u202f664" in sheet
    assert "Modèle\u00a0: `seed_cnn`" in sheet
    layers = render_document("layers", None, lang="fr", format="markdown")
    row = next(line for line in layers.splitlines() if line.startswith("| BatchNormalization |"))
    assert ("moving\\_mean\u00a0: $C$ (non entraînable)\u202f; moving\\_variance\u00a0: $C$ (non entraînable)"
            in row), row
    derivation = render(load("example:seed-cnn"), lang="fr", format="markdown", count=("params", "compute"))
    assert "## Calcul détaillé, couche par couche" in derivation
    assert "avec\n\n- $H_{\\text{out}}$\u00a0: hauteur de la sortie\n- $W_{\\text{out}}$\u00a0: largeur" in derivation
    assert "| Couche (type) | MAC | Autres opérations $O$ |" in derivation
    without_code = re.sub(r"^```.*?^```", "", derivation, flags=re.S | re.M)  # Mermaid writes '<' as #60;
    prose = "\n".join(line for line in without_code.splitlines() if not line.startswith("| ---"))
    assert re.findall(r".{0,20}\S[:;]\s", prose.replace("\u00a0:", "").replace("\u202f;", "")) == []


@pytest.mark.parametrize("fmt", ["markdown", "latex", "text"])
def test_french_apostrophes_are_typographic(seed_report, fmt):
    """French prose elides with ’ (l’entrée), never the typewriter ' — in every format, whatever the
    catalog's entry has; quotes around code stay (padding='same')."""
    assert message_escape(fmt, "fr")("l'entrée, padding='same'").startswith("l\u2019entrée, padding=")
    assert message_escape(fmt, "fr")("l'entrée, padding='same'").endswith("same'")
    assert message_escape(fmt, "en")("the input's size") == "the input's size"
    for doc in (render(load("example:seed-cnn"), lang="fr", format=fmt),
                render_report(seed_report, lang="fr", format=fmt)):
        prose = re.sub(r"`[^`]*`|\\texttt\{[^}]*\}", "", doc)
        assert fmt == "text" or "\u2019entrée" in prose  # the text format's derivation is a table
        assert re.findall(r".{0,20}[^\W\d_]'[^\W\d_].{0,20}", prose) == []


def test_french_share_below_a_tenth_of_a_percent_is_spaced():
    """« < 0,1 % »: the sign before the number is spaced, unbreakably, as the % after it; the
    column says what the share is of (reviewer: « Part » alone is unclear)."""
    assert format_share(896, 6_029_097, "fr") == "<\u00a00,1\u00a0%"
    assert format_share(896, 6_029_097, "en") == "<0.1%"
    derivation = render(load("example:seed-cnn"), lang="fr", format="markdown")
    assert "| Couche (type) | Formule | Paramètres | Part du total | Forme de sortie |" in derivation
    row = next(line for line in derivation.splitlines() if line.startswith("| `conv2d_1` "))
    assert "| <\u00a00,1\u00a0% |" in row, row


# ----------------------------------------------------------------------------- the feedback sheet

@pytest.mark.parametrize("lang", ["en", "de", "ja", "fr", "es"])
def test_sheet_derives_only_the_claims_that_are_not_correct(seed_report, lang):
    """The seed worksheet: six claims correct, dense_2's formula wrong (its bias has 128 entries,
    not 512: 512·128 + 128 = 65,664). Only dense_2 gets a section, numbered as in the table."""
    for fmt, section in (("markdown", r"^## (\d+)\. "), ("latex", r"^\\subsection\*\{(\d+)\. ")):
        sheet = render_report(seed_report, lang=lang, format=fmt)
        assert re.findall(section, sheet, re.MULTILINE) == ["5"]
        assert re.findall(r"^#+ \d+\. .*\n+.*\n+(?:.*\n)*?#+ \d+\.", sheet, re.MULTILINE) == []
        # the derivation follows its lead-in without a heading of its own: the section's heading
        # already names the layer (reviewers: a second heading under "Correct derivation:")
        heading = r"^### `dense_2`" if fmt == "markdown" else r"^\\subsubsection\*\{\\texttt\{dense\\_2\}"
        assert re.findall(heading, sheet, re.MULTILINE) == []
        lead = translations(lang).gettext("Correct derivation:").rstrip(":：\u00a0\u202f ")
        dense = translations(lang).gettext(_texts.DENSE)
        assert re.search(re.escape(lead) + r"\W*\n+" + re.escape(dense[:20]), sheet), (lang, fmt)
        assert "conv2d\\_1} (Conv2D)" not in sheet and "`conv2d_1` (Conv2D)" not in sheet


@pytest.mark.parametrize("lang, product, total", [("en", "11{,}552 \\times 512 + 512 = 5{,}915{,}136", "6{,}029{,}097"),
                                                  ("de", "11{.}552 \\times 512 + 512 = 5{.}915{.}136", "6{.}029{.}097"),
                                                  ("es", "11{.}552 \\times 512 + 512 = 5{.}915{.}136", "6{.}029{.}097")])
def test_sheet_shows_the_students_work_with_times_and_grouping(seed_report, lang, product, total):
    """The worksheet wrote `11552 x 512 + 512 = 5915136` and `6.029.097`: shown with × and the
    locale's digit groups, as math (Spanish keeps four digits together: 9248)."""
    sheet = render_report(seed_report, lang=lang, format="markdown")
    assert f"${product}$" in sheet and f"${total}$" in sheet
    assert "*" not in "".join(re.findall(r"\$[^$]*\$", sheet))
    text = render_report(seed_report, lang=lang, format="text")
    assert product.replace("{", "").replace("}", "").replace("\\times", "×") in text


def test_markdown_sheets_have_nothing_mathjax_would_take_for_math(tmp_path):
    """MathJax reads \\( \\) \\[ \\] as math delimiters: names with brackets must not make them."""
    sheet = tmp_path / "w.txt"
    sheet.write_text("model: example:seed-cnn\n3: 1\n")
    report = check_file(str(sheet))
    hostile = load({"name": "m(x)[y]$z\\w", "input": [4],
                    "layers": [{"Dense": {"name": "d(1)[2]", "units": 2}}]})
    for text in (render_report(report, format="markdown"), render(hostile, format="markdown")):
        plain = "".join(t.content for t in walk(markdown_parser().parse(text)) if t.type == "text")
        assert not re.search(r"\\[()\[\]]", text.replace("\\left(", "").replace("\\right)", "")), text
        assert "\\$" not in plain
    assert "m(x)[y]$z\\w" in markdown_parser().render(render(hostile, format="markdown")).replace("&#91;", "[")


# ----------------------------------------------------------------------------- Japanese

_KANA_KANJI = "\u3040-\u30ff\u4e00-\u9fff"


def test_japanese_full_width_colons_and_brackets_in_prose():
    """Japanese prose takes ：（）; half-width ones stay only in formulas and code (3h(i + h))."""
    bad = []
    for msgid, s in msgstrs("ja"):
        for m in re.finditer(rf"[{_KANA_KANJI}）]\s*[:(]|:\s*[{_KANA_KANJI}]|\([^()]*[{_KANA_KANJI}][^()]*\)", s):
            bad.append((m.group(), msgid))
    assert bad == []


def test_japanese_desu_masu_throughout():
    """Every sentence that ends in a predicate ends in the polite form (です・ます), the check
    sheet's included; sentences that end in a value (出力形状：%(shape)s。) have none."""
    bad = []
    for msgid, s in msgstrs("ja"):
        for sentence in re.findall(r"[^。]*。", re.sub(r"（[^（）]*）(?=。)", "", s)):
            if re.search(r"[\u3040-\u309f]。$", sentence) and not re.search(r"(です|ます|ません|でした|ました|ください)。$", sentence):
                bad.append((sentence, msgid))
    assert bad == []


def test_japanese_one_space_between_numbers_and_counters():
    """「18 層」「1 つ」: a number (or a placeholder for one) and its counter are spaced, always."""
    counters = "個|つ|本|層|件|回|行|列|ページ|バイト|倍|番目|サンプル"
    bad = [(msgid, s) for msgid, s in msgstrs("ja") if re.search(rf"(\d|%\(\w+\)s)({counters})", s)]
    assert bad == []


def test_japanese_glossary_terms():
    texts = [s for _, s in msgstrs("ja")]
    assert "埋め込みの次元数" in texts and "キー・バリューのヘッド数" in texts
    joined = "\n".join(texts)
    # one spelling, as フィルタ, パラメータ, 持つ, 1 回分, ウィンドウ; the reviewers' terms (Keras の数え方,
    # パラメータの種類, 入力重み・再帰重み, γ を掛けて β を足す)
    for wrong in ("埋め込み次元", "層正規化", "レイヤ正規化", "埋め込みサイズ",
                  "エンコーダー", "デコーダー", "をもつ", "をもち", "もたせ", "ぶん", "窓",  # one spelling
                  "流儀", "重みグループ", "重みのグループ", "入力の重み", "再帰の重み", "拡大縮小"):
        assert wrong not in joined.replace("レイヤー正規化", ""), wrong


def test_japanese_reference_lists_weight_groups_in_japanese_punctuation():
    layers = render_document("layers", None, lang="ja", format="markdown")
    row = next(line for line in layers.splitlines() if line.startswith("| BatchNormalization |"))
    assert "gamma：$C$、beta：$C$、moving\\_mean：$C$（学習不可）" in row


def test_japanese_sheet_is_polite_and_full_width(seed_report):
    sheet = render_report(seed_report, lang="ja", format="markdown")
    # a grade counts 問; no 完全に where the next sentence names the half-right answer (review 21 ja, 6), and
    # the count says value and formula, since answer 5's value matches the 正解 column (review 26 ja, 6)
    assert "**7 問中 6 問は、値も式も正しい解答です。5 番は、値は合っていますが式が誤っています。**" in sheet
    assert "完全に" not in sheet
    assert "| `dense_2`（パラメータ数） |" in sheet and "| 合計（パラメータ数） |" in sheet
    assert "## 5. `dense_2`：パラメータ数（式に誤り、値は一致）" in sheet
    assert "解答：式 $512 \\times 128 + 512$、値 65,664" in sheet


def test_japanese_sentences_ending_in_a_formula_end_in_a_full_stop_of_their_own():
    """A later layer's one-line entry: its sentences end in 。 also after a formula (never an ASCII
    full stop, never a space after ：), its run-in heading has no full stop; the summary row of a
    tied layer joins with ： (reviewer ja1, 9 and 22; ja8). Each line ends in a hard break (a backslash):
    soft breaks would join the lines with a space between sentences (「9,248。 パディング」), and the
    fraction is written n/s in the line (⌊(256 + 2·0 − 3)/1⌋ + 1 = 254: a valid 3 × 3 window)."""
    doc = render(load("example:seed-cnn"), lang="ja", format="markdown")
    # round 11: the entry's heading in the outline, not bold; round 13: at a full layer's level (###)
    heading, body = doc[doc.index("### 2. `conv2d_2`（Conv2D）\n"):].split("\n\n")[:2]
    entry = body.splitlines()
    assert (256 + 2 * 0 - 3) // 1 + 1 == 254
    assert heading == "### 2. `conv2d_2`（Conv2D）"  # full-width brackets (ja round 17)
    assert entry == ["層 1（`conv2d_1`）と同じ式です：$P = 3 \\times 3 \\times 32 \\times 32 + 32 = 9{,}248$。\\",
                     "活性化関数：`relu`。\\",
                     # round 14: the document's first "valid" layer says what it means, in full
                     "`padding=\"valid\"` のときは入力の周りに何も追加しません（$p = 0$）。どのウィンドウも入力の内側に収まります。\\",
                     "高さと幅：$\\lfloor (256 + 2 \\times 0 - 3)/1 \\rfloor + 1 = 254$。\\",
                     "出力形状：`(None, 254, 254, 32)`。"]
    html = markdown_parser().render("\n".join(entry))
    assert html.count("<br") == 4 and "。 " not in html  # four hard breaks, no stray space
    assert re.findall(r"\$\.|：[ \t]+\$|\)\.\*\*", doc) == []
    tex = render(load("example:seed-cnn"), lang="ja", format="latex")
    assert "\\subsubsection*{2. \\texttt{conv2d\\_2}（Conv2D）}" in tex
    assert "\\renewcommand{\\jsParagraphMark}{}" in tex  # ltjsarticle's ■ before a \paragraph
    assert re.findall(r"\$\.|：[ \t]+\$", tex) == []
    gpt2 = render(load(FIXTURES / "hf" / "gpt2.json"), lang="ja", format="markdown")
    # no 、 after a Latin bracket, no full-width bracket right after a half-width one (reviewers ja7, ja8)
    assert "| `lm_head`（Linear）：`transformer.wte` と重みを共有 |" in gpt2


def test_japanese_memory_in_si_kilobytes():
    """CLDR's Japanese short unit for the kilobyte is KB, the symbol Keras uses for 2¹⁰ bytes: our
    decimal size says kB (SI), and the Keras sentence says which KB it means."""
    doc = render(load(FIXTURES / "specs" / "mha_small.yaml"), lang="ja", format="markdown")
    assert "17.2\u00a0kB（1\u00a0kB\u00a0= 10³\u00a0バイト）" in doc
    assert "Keras 3 の `model.summary()` が `16.75 KB` と表示するのは、2 進の単位を使うためです（Keras の 1\u00a0KB\u00a0= 2¹⁰\u00a0バイト" in doc


@pytest.mark.parametrize("lang", ["en", "de", "ja", "fr", "es"])
def test_unit_equalities_never_break(lang):
    """'4 bytes' and '1 KiB = 2¹⁰ bytes' are set with no-break spaces between number and unit and
    before '=' (a reviewer found '1 KiB / = 2¹⁰ bytes' split over two lines); the line may break after
    '=' (round 8: the whole group unbreakable left huge gaps in the justified line before it)."""
    import re
    doc = render(load(FIXTURES / "specs" / "mha_small.yaml"), lang=lang, format="markdown")
    memory = doc[doc.index("float32"):]
    equalities = re.findall(r"1[\s\u00a0](?:kB|KB|KiB|ko|Kio)[\s\u00a0]= (?:10³|2¹⁰)[\s\u00a0]", memory)
    assert len(equalities) >= 2, memory
    assert all(e.count(" ") == 1 for e in equalities), equalities
    assert re.search(r"4\u00a0(?:bytes|Byte|octets|バイト)", memory), memory


# ----------------------------------------------------------------------------- one term per concept

@pytest.mark.parametrize("lang, term, never", [
    ("de", "gleitende", r"laufende[n]? Statistik"),
    ("fr", "mobile", r"(?:moyenne|variance|statistique)s? courantes?"),
    ("es", "móvil", r"acumulad"),
    ("ja", "移動平均", r"累積|ランニング"),
])
def test_one_term_for_moving_statistics(lang, term, never):
    """Moving (running) mean and variance: the glossary's one term in every sentence."""
    texts = [s for _, s in msgstrs(lang)]
    assert any(term in s for s in texts)
    assert [s for s in texts if re.search(never, s)] == []


def test_german_grammar_of_the_reviewers():
    """"führt … mit" (a running mean is carried along, not led); articles before the moving
    statistics; Sie-form advice; a capital after a colon that opens a whole sentence."""
    texts = dict(msgstrs("de"))
    for s in texts.values():
        if re.search(r"\bführt\b.*gleitend", s):
            assert re.search(r"\bführt\b[^.;]*\bmit[.;]", s), s
        assert not re.match(r"(Gleitender|Keras zählt gleitenden)", s), s
        assert not re.search(r"\b[Pp]ro\b", s), s  # one word for "per": je
        assert not re.search(r": (Beide|Den) \w+ \w+ (multiplizieren|teilen)\.", s), s
        assert not re.search(r": (die Schicht \w+|diese Schicht|nach ihr|die Zeile|die Rechnung|ihre Größen|"
                             r"in der Nähe|nur die beiden|die erste hat) ", s), s
    assert texts["The correct value is %(expected)s, not %(claimed)s."] == "Der richtige Wert ist %(expected)s, nicht %(claimed)s."
    assert texts["embedding dimension"] == "Embedding-Dimension"
    assert "gleiche Blöcke" in texts["Layers %(first)s to %(last)s: %(n)s identical blocks"]


def test_spanish_embedding_terms():
    texts = dict(msgstrs("es"))
    assert texts["embedding dimension"] == "dimensión del embedding"
    assert [s for s in texts.values() if "embedding de posición" in s or "dimensión de incrustación" in s] == []


# ----------------------------------------------------------------------------- LaTeX, every language
@pytest.mark.parametrize("lang", ["en", "de", "ja", "fr", "es"])
def test_latex_spaces_and_shapes_break_only_where_a_reader_allows(lang):
    """A no-break space is a fixed word space (the font's U+00A0 glyph is wider than a word space;
    TeX's tie stretches in a justified line); a
    shape never breaks (round 9: "(None, None," / "768)" read as two shapes);
    the decimal unit is SI's kB (CLDR's Japanese says KB)."""
    tex = render(load("example:seed-cnn"), lang=lang, format="latex")
    assert "\u00a0" not in tex
    assert r"\mbox{\texttt{(None, 41, 41, 32)}}" in tex
    assert "\\penalty1000" not in tex.split("begin{tikzpicture}")[0]
    small = render(load(FIXTURES / "specs" / "mha_small.yaml"), lang=lang, format="latex")
    unit = "ko" if lang == "fr" else "kB"
    assert re.search(r"17[.,]2(\\nobreak\\hspace\{0.3333em\}|\\,)" + unit, small), lang
    assert "KB (" not in small and "KB）" not in small


# ----------------------------------------------------------------------------- Spanish and German

def test_spanish_terms():
    """"Derivación" reads as differentiation (the count is a "cálculo"); no calque "suma sobre sus
    capas" (GLOSSARY, the Spanish reviewers)."""
    bad = [(msgid, s) for msgid, s in msgstrs("es")
           if re.search(r"derivaci|suma sobre sus|Esta fila suma", s, re.IGNORECASE)]
    assert bad == []
    texts = dict(msgstrs("es"))
    assert texts["Derivation, layer by layer"] == "Cálculo capa por capa"
    assert texts["Correct derivation:"] == "Cálculo correcto:"


def test_german_terms():
    """A German lecturer's words: a feature axis has a "Dimension", not a "Breite" (Modellbreite is
    a calque of model width); the forward pass is the "Vorwärtsdurchlauf" (GLOSSARY); no calque
    "Summe über seine Schichten"."""
    bad = [(msgid, s) for msgid, s in msgstrs("de")
           if re.search(r"Modellbreite|Breite der (Key|Query|Value)-Eingabe|Forward-Pass|"
                        r"Summe über seine|Diese Zeile addiert|außer seinen Eingaben", s)]
    assert bad == []
    texts = dict(msgstrs("de"))
    assert texts["model width"] == "Modelldimension"


@pytest.mark.parametrize("text, joined", [
    ("FLOPs (4 bytes each)", "4\\nobreak\\hspace{0.3333em}bytes each"),
    ("2 octets chacun", "2\\nobreak\\hspace{0.3333em}octets chacun"),
    ("(1 Kio selon la CEI)", "(1\\nobreak\\hspace{0.3333em}Kio selon"),
    ("a 1 × 1 convolution", "1\\nobreak\\hspace{0.3333em}×\\nobreak\\hspace{0.3333em}1 convolution"),
    ("deren 5 × 5-Kernel", "5\\nobreak\\hspace{0.3333em}×\\nobreak\\hspace{0.3333em}\\mbox{5-}Kernel"),
])
def test_latex_sentences_join_numbers_with_their_units(text, joined):
    """Round 9 reviewers: "(4 | bytes)", "2 | octets", "a 1 | × 1 convolution", "5 × 5- | Kernel"
    broke at a line's end. In a sentence's LaTeX a number and its unit, and "n × n", are one unit."""
    from explain.render.escape import french_latex_text, latex_message
    assert joined in latex_message(text)
    assert joined in french_latex_text(text)
    assert "Conv2D-Schicht" in latex_message("Conv2D-Schicht")  # a hyphen in a word stays


def test_kernel_size_filled_into_a_sentence_is_one_unit_with_its_hyphen():
    """Round 19, de resnet50 p. 3: the bottleneck sentence's „eine 3 × 3-Faltung" broke after
    „3 ×": its "3 × 3" is a placeholder's value, filled in after the sentence was escaped, and the
    hyphen after it starts a piece of the sentence. Neither the value's spaces nor that hyphen may
    break, as in the sentence's own „1 × 1-Faltung"."""
    tex = render(load(str(FIXTURES / "keras" / "ResNet50.json")), lang="de", format="latex")
    unit = "3\\nobreak\\hspace{0.3333em}×\\nobreak\\hspace{0.3333em}3\\mbox{-}Faltung arbeitet"
    assert "eine " + unit in tex
    plain = re.sub(r"\\\[.*?\\\]|\$[^$]*\$", "", tex, flags=re.S)
    glue = r"(?: |\\nobreak\\hspace\{0\.3333em\})"
    assert [m for m in re.findall(rf"\d{glue}×{glue}\d", plain) if " " in m] == []  # "n × n": no breakable space
    assert not re.findall(r".{20}(?<![{-])\b\d+-[^\W\d_].{10}", plain)  # nor a number's hyphen


def test_seed_memory_and_compute_sentences_join_number_and_unit():
    """In the rendered seed document (params, compute, memory) no number is parted from bytes or
    octets by a breakable space, in any language."""
    for lang in ("en", "fr", "es", "de"):
        tex = render(load("example:seed-cnn"), lang=lang, format="latex", count=("params", "compute", "memory"))
        assert not re.search(r"\d (bytes|octets|Bytes)\b", tex), (lang, re.findall(r".{30}\d (?:bytes|octets|Bytes)\b", tex))


def test_long_dotted_code_breaks_after_a_dot_only():
    """Round 9: PyTorch's torch.utils.flop_counter.FlopCounterMode in a justified line left huge
    gaps. A long dotted path may break after a dot; short code and argument=value never break."""
    from explain.render.view import Formatter
    f = Formatter("latex", "en")
    assert f.code("torch.utils.flop_counter.FlopCounterMode") == \
        r"\texttt{torch.\allowbreak{}utils.\allowbreak{}flop\_counter.\allowbreak{}FlopCounterMode}"
    assert f.code("model.summary()") == r"\texttt{model.summary()}"
    assert "allowbreak" not in f.code("return_sequences=True") + f.code("torch.nn.Module")


def test_german_sheet_says_the_given_formula_and_lstm_note_names_its_bias_vectors(seed_report):
    """Round 14 (de): "die angegebene Formel", not the colloquial "wie sie dasteht"; PyTorch's LSTM
    has two bias vectors per weight group, the noun said, not "zwei je Gewichtsblock"."""
    sheet = render_report(seed_report, lang="de", format="markdown")
    assert "aber die angegebene Formel ergibt" in sheet and "wie sie dasteht" not in sheet
    text = render_document("derivation", load({"name": "l", "input": [5, 3], "layers": [{"LSTM": {"units": 4}}]}),
                           lang="de", format="markdown")
    # review 30 (de 2): the clause after the colon read as if the two vectors were the two sections
    assert ("zwei Bias-Vektoren der Länge $4h$, `bias_ih_l0` und `bias_hh_l0`; jeder Gewichtsblock hat dort also "
            "zwei Bias-Abschnitte der Länge $h$, einen in jedem Vektor.") in text
    assert "also zwei je Gewichtsblock" not in text
    assert "dadurch kommt eine letzte Achse" not in text
    ja = render_document("derivation", load({"name": "l", "input": [5, 3], "layers": [{"LSTM": {"units": 4}}]}),
                         lang="ja", format="markdown")
    assert "5 時刻のうち最後の時刻" in ja and "個の時刻" not in ja  # a counter word, not 個の (round 14, ja)
