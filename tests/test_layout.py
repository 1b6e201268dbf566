"""The derivation's form (issues 12, 18): a kind of layer explained in full once (``--detail
compact``, the default) or every layer in full (``full``); the overview table a lecturer puts on a
slide (formula with its numbers, parameters, share, output shape) whose column adds up to the
framework's total; memory in the unit a reader would pick."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from explain.importers import load
from explain.render import render
from explain.render.numbers import byte_sizes, format_share
from tests.conftest import FIXTURES, ROOT
from tests.render_helpers import LANGS, markdown_parser, walk

SEED = json.loads((FIXTURES / "specs" / "seed_cnn.expected.json").read_text())  # Keras's run
HF = json.loads((FIXTURES / "hf" / "expected.json").read_text())  # transformers' runs
KERAS = json.loads((FIXTURES / "keras" / "expected.json").read_text())  # Keras applications
FORMULA_PARAGRAPH = "Formula for the number of parameters:"


@pytest.fixture(scope="module")
def seed():
    return load("example:seed-cnn")


def test_compact_explains_each_kind_once_and_gives_later_layers_their_numbers(seed):
    compact = render(seed, pictures=False)  # the pictures are the same in both: left out
    full = render(seed, detail="full", pictures=False)
    weighted = [layer for layer in SEED["layers"] if layer["params"]]
    assert len(weighted) == 9  # 6 Conv2D, 3 Dense
    # Full: every layer with weights has the paragraph; compact: one Conv2D, one Dense.
    assert full.count(FORMULA_PARAGRAPH) == 9
    assert compact.count(FORMULA_PARAGRAPH) == 2
    assert compact.count("A convolutional layer slides its filters") == 1
    assert full.count("A convolutional layer slides its filters") == 6
    # Later layers: one line with their own numbers (hand derivation: k·k·c_in·c_out + c_out,
    # n_in·n_out + n_out) and the result Keras reports, pointing back to the first.
    for line in (r"Same formula as layer 1, `conv2d_1`: $P = 3 \times 3 \times 32 \times 32 + 32 = 9{,}248$",
                 r"Same formula as layer 14, `dense_1`: $P = 512 \times 128 + 128 = 65{,}664$",
                 r"Same formula as layer 14, `dense_1`: $P = 128 \times 9 + 9 = 1{,}161$",
                 "No weights, as in layer 3, `max_pooling2d_1`."):
        assert line in compact
    assert f"{SEED['layers'][15]['params']:,}" == "65,664"
    # Every layer keeps its output shape and its number, in both forms.
    for layer in SEED["layers"]:
        shape = "`(None, " + ", ".join(str(d) for d in layer["output_shape"][1:]) + ")`"
        assert f"`{layer['name']}`" in compact and shape in compact
    # The output-size step of a later convolution and pooling stays (⌊(84 + 2·0 − 3)/1⌋ + 1 = 82).
    assert r"\lfloor (84 + 2 \times 0 - 3)/1 \rfloor + 1 = 82" in compact
    assert r"\lfloor (82 - 2)/2 \rfloor + 1 = 41" in compact
    def visible(tex: str) -> int:  # break points, line ends, groups, boxes and a quote's escape are markup, not text
        tex = re.sub(r"\\penalty\d+\\ ", " ", tex).replace(r"\textquotedbl{}", '"')
        for markup in (r"\begingroup\raggedright", r"\endgroup", r"\mbox{}\\", "\\\\\n", "\\par\n"):
            tex = tex.replace(markup, "\n")
        return len(tex.replace(r"\allowbreak{}", "").replace(r"\mbox{", ""))
    assert visible(compact) < 0.6 * visible(full)


@pytest.mark.parametrize("lang", LANGS)
def test_compact_latex_is_shorter_in_every_language(seed, lang):
    # the pictures are the same in both (and no derivation): left out
    compact = render(seed, lang=lang, format="latex", pictures=False)
    full = render(seed, lang=lang, format="latex", detail="full", pictures=False)
    # a one-line entry: its heading, then its lines set ragged right in a group
    brief = re.compile(r"\\subsubsection\*\{\d+\. [^\n]*\}\n\\begingroup\\raggedright\n")
    assert len(brief.findall(compact)) == 16 - 2 - 1  # 18 layers: 5 explained, flatten once
    assert brief.findall(full) == []
    def visible(tex: str) -> int:  # break points, line ends, groups, boxes and a quote's escape are markup, not text
        tex = re.sub(r"\\penalty\d+\\ ", " ", tex).replace(r"\textquotedbl{}", '"')
        tex = tex.replace(r"\nobreak\hspace{0.3333em}", "~")  # a no-break space, one character
        tex = re.sub(r"\\needspace\{\d+\\baselineskip\}\n", "", tex)  # room asked for, not text
        for markup in (r"\begingroup\raggedright", r"\endgroup", r"\mbox{}\\", "\\\\\n", "\\par\n"):
            tex = tex.replace(markup, "\n")
        return len(tex.replace(r"\allowbreak{}", "").replace(r"\mbox{", ""))
    def derivation(tex: str) -> str:  # the layer-by-layer part: the frame (summary table, memory) is the same in both
        start = tex.index(r"\subsubsection*{1. ")
        return tex[start:tex.index(r"\subsection*{", start)]
    assert visible(derivation(compact)) < 0.6 * visible(derivation(full))


def test_detail_on_the_command_line_and_bad_values(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "explain", "derive", "example:seed-cnn", *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=120)
    full = run("--detail", "full")
    assert full.returncode == 0 and full.stdout.count(FORMULA_PARAGRAPH) == 9
    bad = run("--detail", "short")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    from explain.errors import ExplainError
    with pytest.raises(ExplainError, match="detail"):
        load("example:seed-cnn").derive(detail="short")
    with pytest.raises(ExplainError, match="detail"):
        load("example:seed-cnn").derive(format="json", detail="short")


def _tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table: rows of cell texts (the header row first)."""
    tables, rows, row = [], [], None
    for t in walk(markdown_parser().parse(text)):
        if t.type == "table_open":
            rows = []
        elif t.type == "tr_open":
            row = []
        elif t.type in ("th_open", "td_open"):
            row.append("")
        elif t.type == "inline" and row is not None:
            row[-1] = t.content
        elif t.type == "tr_close":
            rows.append(row)
            row = None
        elif t.type == "table_close":
            tables.append(rows)
    return tables


def _overview(text: str) -> tuple[list[str], list[list[str]]]:
    tables = _tables(text)
    table = next((t for t in tables if t[0][0] == "Layer (type)"), tables[0])
    return table[0], table[1:]


def _int(cell: str) -> int:
    return int(re.sub(r"[^\d]", "", cell))


@pytest.mark.parametrize("source,total", [
    ("example:seed-cnn", SEED["total"]),
    (FIXTURES / "hf" / "gpt2.json", HF["gpt2"]["params"]),
    (FIXTURES / "hf" / "t5-small.json", HF["t5-small"]["params"]),
    (FIXTURES / "hf" / "bert-base-uncased.json", HF["bert-base-uncased"]["params"]),
    (FIXTURES / "keras" / "ResNet50.json", KERAS["ResNet50"]["total"]),
])
def test_overview_column_adds_up_to_the_frameworks_total(source, total):
    header, rows = _overview(render(load(source)))
    # reviewers' order: the non-trainable count (where there is one) next to the parameters
    middle = ["Non-trainable"] if "Non-trainable" in header else []
    assert header == ["Layer (type)", "Formula", "Parameters", *middle, "Share", "Output shape"]
    share = header.index("Share")
    assert sum(_int(r[2]) for r in rows) == total
    # tied or shared rows add nothing: their cell says 0 and they have no formula or share
    for r in rows:
        if "shared with" in r[0]:
            assert _int(r[2]) == 0 and r[1] == "" and r[share] == ""


def test_overview_rows_of_the_seed(seed):
    header, rows = _overview(render(seed))
    by_name = {r[0].split(" (")[0].strip("`"): r for r in rows}  # names in code font
    for layer in SEED["layers"]:
        row = by_name[layer["name"]]
        assert _int(row[2]) == layer["params"]
        assert row[4] == "`(None, " + ", ".join(str(d) for d in layer["output_shape"][1:]) + ")`"
    # dense_1 holds 5,915,136 / 6,029,097 = 98.11 % of the total; the formula carries its numbers
    assert by_name["dense_1"][3] == "98.1%" and by_name["dense_1"][1] == r"$11{,}552 \times 512 + 512$"
    assert by_name["conv2d_1"][3] == "<0.1%"  # 896 / 6,029,097 = 0.015 %
    assert by_name["dropout_1"][1] == "" and by_name["dropout_1"][3] == ""
    # German: decimal comma and the locale's space before %
    _, rows = _overview(render(seed, lang="de"))
    assert any(r[3] == "98,1\u202f%" for r in rows)  # German: a thin space before %


def test_gpt2_tied_head_adds_nothing():
    header, rows = _overview(render(load(FIXTURES / "hf" / "gpt2.json")))
    head = [r for r in rows if r[0].startswith("`lm")]
    assert head and _int(head[0][2]) == 0 and "shared with" in head[0][0]
    assert HF["gpt2"]["params_if_tied_weights_counted_twice"] - HF["gpt2"]["params"] == 50257 * 768


@pytest.mark.parametrize("n,lang,decimal,binary", [
    # hand derivations: 786 parameters × 4 bytes = 3,144 bytes = 3.144 kB = 3,144/1,024 KiB
    (3144, "de", "3,14\u00a0kB", "3,07\u00a0KiB"),
    # 6,029,097 × 4 = 24,116,388 bytes = 24.1 MB = 23.0 MiB
    (24_116_388, "en", "24.1\u00a0MB", "23.0\u00a0MiB"),
    # Llama-2-7B at float32: 6,738,415,616 × 4 = 26,953,662,464 bytes = 27.0 GB = 25.1 GiB
    (26_953_662_464, "de", "27,0\u00a0GB", "25,1\u00a0GiB"),
    (26_953_662_464, "fr", "27,0\u202fGo", "25,1\u202fGio"),
    (2 ** 40, "es", "1,10\u00a0TB", "1,00\u00a0TiB"),
])
def test_memory_in_the_unit_a_reader_would_pick(n, lang, decimal, binary):
    got = byte_sizes(n, lang)
    assert (got[0], got[3]) == (decimal, binary)


def test_memory_sentence_of_the_seed(seed):
    text = render(seed)
    assert ("That is 24.1\u00a0MB (1\u00a0MB\u00a0= 10⁶\u00a0bytes) or 23.0\u00a0MiB "
            "(1\u00a0MiB\u00a0= 2²⁰\u00a0bytes).") in text
    assert "0,00314" not in render(load(FIXTURES / "specs" / "residual.yaml"), lang="de")


def test_share_rounding():
    assert format_share(5_915_136, 6_029_097, "en") == "98.1%"
    assert format_share(0, 10, "en") == ""
    assert format_share(1, 3, "fr") == "33,3\u00a0%"


def test_nested_floors_merge_and_the_strided_same_convolution_has_its_step():
    import sympy

    from explain.derivation.shapes import tidy_floors
    H = sympy.Symbol("H")
    nested = sympy.floor(sympy.floor(sympy.floor(H / 2) / 2) / 2 - 1, evaluate=False) + 1
    assert tidy_floors(nested) == sympy.floor(H / 8)
    for h in range(1, 300):  # an identity for every positive size, not just the declared one
        assert tidy_floors(nested).subs(H, h) == nested.subs(H, h) == h // 8
    text = render(load("example:cnn-symbolic"))  # H = 64, W = 48, F = 16
    # the stride-2 'same' convolution: ⌈31/2⌉ = 16 = ⌊64/4⌋; then 2×2 pooling: ⌊64/8⌋ = 8
    assert r"\rceil = \lfloor H/4 \rfloor = 16" in text
    assert r"= \lfloor H/8 \rfloor = 8" in text
    assert "`(None, ⌊H/8⌋, ⌊W/8⌋, 2F)`" in text  # shapes in one (monospace) font
    assert r"\lfloor \lfloor \lfloor" not in text and r"(\lfloor (\lfloor" not in text  # no ⌊⌊⌊H/2⌋/2⌋/2⌋


def test_no_step_only_reorders_and_symbolic_rows_show_their_numbers():
    mlp = render(load("example:mlp-symbolic"))
    assert r"+ K = K \cdot h + K" not in mlp  # h·K + K = K·h + K
    assert r"h \cdot K + K = 256 \times 10 + 10 = 2{,}570" in mlp
    gpt2 = render(load(FIXTURES / "hf" / "gpt2.json"))
    assert r"2d = 2 \cdot d" not in gpt2
    assert r"P = 2d = 2 \times 768 = 1{,}536" in gpt2  # ln_f: γ and β of width d = 768
    assert r"P = V \cdot d = 50{,}257 \times 768 = 38{,}597{,}376" in gpt2
    llama = render(load(FIXTURES / "hf" / "llama-2-7b.json"))
    # a weight group's row ends in its numbers: 32 heads × 4,096 × 128 = 4,096², the row says d·d
    # (d_h = d/H cancels)
    assert r"= 4{,}096 \times 4{,}096$ | 16,777,216 |" in llama
    assert 32 * 4096 * 128 == 4096 ** 2


def test_long_display_equations_break_into_aligned_lines():
    from explain.render.view import DISPLAY_WIDTH, break_display, formula_width
    text = render(load(FIXTURES / "specs" / "mha_small.yaml"))
    from tests.render_helpers import formulas
    for tex, display in formulas(text):
        if display and "aligned" not in tex:
            assert formula_width(tex) <= DISPLAY_WIDTH, tex
    short = r"P = 3 \times 3 + 3 = 12"
    assert break_display(short) == short


@pytest.mark.parametrize("fixture,blocks", [
    # ResNet-50's stages have 3, 4, 6 and 3 bottleneck blocks (He et al. 2016, table 1)
    ("ResNet50", {"conv2_x": 3, "conv3_x": 4, "conv4_x": 6, "conv5_x": 3}),
    # MobileNetV2's inverted residual blocks after the first: n = 2, 3, 4, 3, 3, 1 (Sandler et al.
    # 2018, table 2), each run of one width
    ("MobileNetV2", {"block_1–block_2": 2, "block_3–block_5": 3, "block_6–block_9": 4, "block_10–block_12": 3,
                     "block_13–block_15": 3, "block_16": 1}),
])
def test_large_models_get_a_stage_summary_before_the_layers(fixture, blocks):
    text = render(load(FIXTURES / "keras" / f"{fixture}.json"))
    assert text.index("## Stages") < text.index("## Summary") < text.index("## Derivation, layer by layer")
    table = _tables(text)[0]
    assert table[0] == ["Stage or part", "Layers", "Blocks", "Parameters", "Share", "Output shape"]
    rows = {r[0].replace("`", ""): r for r in table[1:-1]}  # `block_1`–`block_2`: two code spans
    assert {name: _int(rows[name][2]) for name in blocks} == blocks
    assert sum(_int(r[3]) for r in table[1:-1]) == KERAS[fixture]["total"]
    assert table[-1][0] == "**Total**" and _int(table[-1][3].strip("*")) == KERAS[fixture]["total"]
    assert "## Stages" not in render(load("example:seed-cnn"))
