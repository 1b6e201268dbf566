"""The document frame's typesetting (issue 12's reviewers): formulas in a line of text keep its
height, names break at spaces, percent signs spaced as each language sets them."""
from __future__ import annotations

import re

import pytest

from explain.importers import load
from explain.render import render
from explain.render.numbers import format_share
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def seed_tex() -> str:
    return render(load("example:seed-cnn"), lang="en", format="latex")


def test_a_later_layers_entry_keeps_the_lines_height(seed_tex):
    """conv2d_2: 3·3·32·32 + 32 = 9,248 weights (hand count), one unbreakable formula; its output
    ⌊(256 − 3)/1⌋ + 1 = 254 with the fraction n/s, not a display-size \\frac in the line."""
    assert 3 * 3 * 32 * 32 + 32 == 9248 and (256 + 2 * 0 - 3) // 1 + 1 == 254
    entry = seed_tex[seed_tex.index(r"\subsubsection*{2. "):].split("\n\n")[0]
    keep = "$"
    assert keep + r"P = 3 \times 3 \times 32 \times 32 + 32 = 9{,}248$" in entry
    assert keep + r"\lfloor (256 + 2 \times 0 - 3)/1 \rfloor + 1 = 254$" in entry
    assert r"\displaystyle" not in seed_tex and r"\left\lfloor \frac{256" not in entry


def test_padding_in_a_sentence_is_written_inline():
    """'same' padding with stride 1 on a 3 × 3 kernel: p = (3 − 1)/2 = 1, as n/s in the line."""
    tex = render(load("example:seed-cnn"), lang="en", format="latex")
    assert r"p = (k - 1)/2 = (3 - 1)/2 = 1" in tex and r"\frac{k - 1}{2}" not in tex


def test_names_in_a_table_break_at_spaces_not_inside_a_short_name():
    """GPT-2's sum row: 'transformer.wte + transformer.wpe' wraps at its spaces, never after
    'transformer.'; a long module path still may break after its dots."""
    tex = render(load(FIXTURES / "hf" / "gpt2.json"), lang="en", format="latex")
    assert r"\texttt{transformer.wte + transformer.wpe} (" in tex
    from explain.render.view import Formatter
    long = Formatter("latex", "en").cell_name("encoder.block.0.layer.0.SelfAttention.relative_attention_bias")
    assert r".\allowbreak{}" in long


def test_tensor_table_name_column_fits_the_longest_name():
    """Keras MHA's attention_output/kernel (23 characters) gets a wider column than a Dense
    layer's kernel/bias, so it does not wrap after 'attention_output/'."""
    tex = render(load(FIXTURES / "specs" / "mha_small.yaml"), lang="en", format="latex")
    table = tex[:tex.index(r"\texttt{attention\_")]
    width = float(table[table.rindex(r"\begin{tabular}{@{}>{\raggedright\arraybackslash}p{") + 52:].split(r"\linewidth")[0])
    assert width >= 0.012 * len("attention_output/kernel")
    # kernel, bias: the narrowest name column; answers all a bare yes, so theirs is 0.13 and the
    # formula takes the rest of 0.80
    assert r"p{0.18\linewidth}>{\raggedright\arraybackslash}p{0.49\linewidth}r>{\raggedright\arraybackslash}p{0.13\linewidth}" in tex


@pytest.mark.parametrize("lang,share,small", [
    # 896 / 6,029,097 = 0.015 % (below 0.1), 5,915,136 / 6,029,097 = 98.11 %
    ("de", "98,1\u202f%", "<\u00a00,1\u202f%"),  # a thin space before % (DIN 5008's narrow form)
    ("es", "98,1\u00a0%", "<\u00a00,1\u00a0%"),
    ("fr", "98,1\u00a0%", "<\u00a00,1\u00a0%"),
    ("en", "98.1%", "<0.1%"),
])
def test_percent_spacing(lang, share, small):
    assert round(5_915_136 / 6_029_097 * 100, 1) == 98.1 and 896 / 6_029_097 * 100 < 0.05
    assert format_share(5_915_136, 6_029_097, lang) == share
    assert format_share(896, 6_029_097, lang) == small


def test_a_later_layers_entry_has_one_statement_a_line(seed_tex):
    """Round 2 reviewers: conv2d_2's five facts (formula, activation, padding, size, shape) each on
    a line of their own, as in the Markdown, set ragged right so the math keeps its spacing; the
    heading is a line of its own and ends, like every other heading, without a full stop."""
    entry = seed_tex[seed_tex.index(r"\subsubsection*{2. "):].split("\n\n")[0]
    # round 13 (fr): the heading of a full entry (the same space under it), then the ragged lines
    assert entry.startswith("\\subsubsection*{2. \\texttt{conv2d\\_2} (Conv2D)}\n\\begingroup\\raggedright\n")
    lines = entry.split("\n")[2:]
    assert len(lines) == 6 and lines[-1] == r"\endgroup" and lines[1] == r"Activation: \texttt{relu}.\\"
    assert all(line.endswith("\\\\") for line in lines[:4]) and lines[4].endswith(r"\par")


def test_one_size_line_is_a_sentence_not_a_list(seed_tex):
    """conv2d_1's height and width are the same (⌊(256 + 2 − 3)/1⌋ + 1 = 256, hand count): one
    sentence; a list only when the axes differ."""
    assert (256 + 2 * 1 - 3) // 1 + 1 == 256
    md = render(load("example:seed-cnn"), lang="en", format="markdown")
    for doc in (seed_tex, md):
        assert "Height and width: $\\lfloor (256 + 2 \\times 1 - 3)/1 \\rfloor + 1 = 256$.\n" in doc
        assert "- Height and width" not in doc and "\\item Height and width" not in doc


def test_displays_after_short_lines_keep_their_space(seed_tex):
    """TeX's short-line display skips are nearly 0: the total's sum sat right under its sentence."""
    assert (r"\AtBeginDocument{\setlength{\abovedisplayshortskip}{\abovedisplayskip}"
            r"\setlength{\belowdisplayshortskip}{\belowdisplayskip}}") in seed_tex


@pytest.mark.parametrize("count, title", [
    (None, "Number of parameters of the model"),
    (("params", "compute"), "Parameters and compute of the model"),
    (("params", "memory"), "Parameters and memory of the model"),
    (("params", "compute", "memory"), "Parameters, compute and memory of the model"),
])
def test_the_title_names_what_the_document_derives(count, title):
    model = load("example:seed-cnn")
    kwargs = {"count": count} if count else {}
    assert render(model, lang="en", format="markdown", **kwargs).startswith(f"# {title} `seed_cnn`")


def test_every_compute_heading_stands_on_its_own_line():
    """In the compute section every layer's heading has a line of its own, as in the parameter
    section (round 7: run-in headings, with an empty paragraph before a formula that followed): a
    display \\paragraph with space under it (round 16: \\mbox{}\\\\ glued it to its first line); a
    formula right under a heading starts without an empty line."""
    tex = render(load("example:seed-cnn"), lang="en", format="latex", count=("params", "compute"))
    assert re.search(r"\\renewcommand\\paragraph\{\\@startsection\{paragraph\}\{4\}\{\\z@\}\{[^{}]+\}\{0\.2ex", tex)
    start = tex.index("Compute, layer by layer")
    lines = tex[start:].split("\n")
    headings = [i for i, line in enumerate(lines) if line.startswith(r"\paragraph*{")]
    assert len(headings) == 18
    for i in headings:
        assert lines[i].endswith(")}"), lines[i]
        assert lines[i + 1].strip(), lines[i:i + 2]  # text or formula at once, no empty paragraph
        assert lines[i + 1] != r"\[", lines[i:i + 2]  # a formula only after \explainheaddisplay
    # dense_3 (softmax: another O than dense_1's) has a line of its own saying so before its formula
    # (round 14); conv2d_2 has conv2d_1's formulas: a sentence, then its numbers aligned in a display
    # (round 16: on two forced lines the MACs' line ended in a dangling ";")
    assert lines[headings[17] + 1].startswith("The MACs follow") and lines[headings[17] + 2] == r"\["
    assert 3 * 3 * 32 * 32 * 254 * 254 == 594_579_456 and 2 * 32 * 254 * 254 == 4_129_024  # by hand
    assert lines[headings[1] + 1] == r"Same formulas as layer 1, \texttt{conv2d\_1}:"
    assert lines[headings[1] + 2:headings[1] + 7] == [
        r"\[", r"\begin{aligned}", r"\text{MACs} &= 3 \times 3 \times 32 \times 32 \times 254 \times 254 = 594{,}579{,}456 \\",
        r"O &= 2 \times 32 \times 254 \times 254 = 4{,}129{,}024", r"\end{aligned}"]
    assert r"\newline" not in tex[start:] and "$;" not in tex[start:]


def test_brackets_grow_only_around_tall_material():
    """The LSTM's 4h(i + h) + 4h (Keras: 4·64·(32 + 64) + 4·64 = 24,832 for i = 32, h = 64, hand
    count) with plain brackets (\\left adds a visible gap before them); the convolution's output
    size keeps its sized floor around the fraction."""
    assert 4 * 64 * (32 + 64) + 4 * 64 == 24_832
    tex = render(load(FIXTURES / "specs" / "small_rnn.yaml"), lang="en", format="latex")
    assert r"P = 4h(n_{\text{in}} + h) + 4h = 4 \times 64 \times (32 + 64) + 4 \times 64 = 24{,}832" in tex
    assert r"\left(" not in tex
    seed = render(load("example:seed-cnn"), lang="en", format="latex")
    assert r"\left\lfloor \frac{n + 2p - k}{s} \right\rfloor" in seed


def test_summary_type_and_argument_never_break_inside():
    """Reviewers read 'Layer / Norm' and 'return_ / sequences=True' as two words: a type in the
    summary is one box, an argument with its value in a sentence is unbroken code."""
    bert = render(load(FIXTURES / "hf" / "bert-base-uncased.json"), lang="en", format="latex")
    assert r"\xplname{\texttt{embeddings.\penalty5000{}LayerNorm}}{(\mbox{LayerNorm})}" in bert
    rnn = render(load(FIXTURES / "specs" / "small_rnn.yaml"), lang="en", format="latex")
    # round 7: not even after its '=' ("return_sequences=" / "True" read as two pieces of code)
    assert r"\texttt{return\_sequences=True}" in rnn
    assert not __import__("re").search(r"\\texttt\{[^}]*\\allowbreak", rnn)


def test_summary_names_get_the_room_and_non_trainable_sits_next_to_parameters():
    """ResNet50's BatchNormalization rows: 4·64 = 256 parameters, 2·64 = 128 of them not trainable
    (moving mean and variance, hand count), in the column right after 'Parameters'."""
    tex = render(load(FIXTURES / "keras" / "ResNet50.json"), lang="en", format="latex")
    # round 18 (en): the heading whole, never split at its hyphen ("Non-" over "trainable" read as a
    # hyphenated word); only headings of several words stack
    assert "Layer (type) & Formula & Parameters & Non-trainable & Share & Output shape" in tex
    assert r"{(\mbox{BatchNormalization})} & $4 \times 64$ & 256 & 128 & " in tex
    # the columns are sized by TeX (test_latex_layout checks the PDF): the name column first
    assert r"\begin{longtable}{@{}>{\raggedright\arraybackslash}p{\xplB}" in tex


def test_code_in_a_sentence_never_breaks_inside_a_name():
    """Round 7 reviewers: "nn." / "MultiheadAttention", "transformer." / "wte" and "post_" /
    "attention_layernorm" broke inside the name; a name up to 30 characters is one unbreakable word
    (the line breaks before it), only a long module path may break, after a dot."""
    mha = render(load(FIXTURES / "specs" / "mha_small.yaml"), lang="en", format="latex")
    assert r"\texttt{nn.MultiheadAttention}" in mha
    gpt2 = render(load(FIXTURES / "hf" / "gpt2.json"), lang="en", format="latex")
    body = gpt2[gpt2.index(r"\subsection*{Derivation"):]
    assert r"\texttt{transformer.wte}" in body and r"transformer.\allowbreak" not in body
    from explain.render.view import Formatter
    f = Formatter("latex", "en")
    assert f.name("post_attention_layernorm") == r"\texttt{post\_attention\_layernorm}"
    long = f.name("encoder.block.0.layer.0.SelfAttention.relative_attention_bias")
    assert r"0.\allowbreak{}SelfAttention.\allowbreak{}relative\_attention\_bias}" in long


@pytest.mark.parametrize("source,weightless", [
    # seed-cnn: MaxPooling2D, Dropout and Flatten layers have no weights
    ("example:seed-cnn", True),
    # small_rnn: Embedding 2000·32, LSTM, GRU and Dense: every layer has weights
    (FIXTURES / "specs" / "small_rnn.yaml", False),
])
def test_layers_without_weights_are_mentioned_only_when_there_are_some(source, weightless):
    """Round 7 (es): 'the sum over its layers (layers without weights contribute 0)' under a model
    that has no such layer is a dead remark."""
    for fmt in ("markdown", "latex"):
        text = render(load(source), lang="en", format=fmt)
        assert ("(layers without weights contribute 0):" in text) is weightless
        assert ("is the sum over its layers:" in text) is not weightless


def test_unit_equality_keeps_fixed_spaces_in_latex():
    """Round 7 (es): '1~MB~=~10⁶~bytes' stretched in a justified line; a no-break space is a
    fixed word space. Seed: 6,029,097 · 4 = 24,116,388 bytes = 24.1 MB."""
    assert 6_029_097 * 4 == 24_116_388
    tex = render(load("example:seed-cnn"), lang="es", format="latex")
    space = r"\nobreak\hspace{0.3333em}"
    # round 8: a break may follow "=" (the whole group unbreakable left huge gaps before it);
    # round 13: that space is fixed too (\hspace, breakable but not stretched: "1 MB =  10⁶" was uneven)
    assert f"(1{space}MB{space}=\\hspace{{0.3333em}}10\\textsuperscript{{6}}{space}bytes)" in tex
    assert "1~MB" not in tex


def test_t5_summary_names_its_bias_tables_as_the_pictures_do():
    """Round 10 (ja p. 3): the whole path encoder.block.0.layer.0.SelfAttention.relative_attention_bias
    (61 characters) set the name column's width, so the gaps shrank to 1pt and 割合 ran into 出力形状.
    The summary shortens it as the pictures do; the layer-by-layer part keeps it whole."""
    tex = render(load(str(FIXTURES / "hf" / "t5-small.json")), lang="ja", format="latex")
    rows = [line for line in tex.splitlines() if line.startswith(r"\xplname")]  # the summary's rows
    assert r"\xplname{\texttt{encoder.\penalty5000{}…relative\_\penalty9000{}attention\_\penalty9000{}bias}}" \
        in "\n".join(rows)
    assert not any("SelfAttention" in line for line in rows)
    assert "encoder.block.0.layer.0.SelfAttention.relative" in tex.replace(r"\allowbreak{}", "")
