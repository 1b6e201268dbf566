"""The frame's wording and line breaks: argument names in code font, the LayerNorm note true of
every normalized shape, the German summary sentence, where long formulas and tables break. Sizes in
the specs are the frameworks' own argument values; nothing here depends on a count this tool
computed."""
from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, require_module

import explain
from explain.render import render, render_document
from explain.render.i18n import translations
from explain.render.view import break_display, formula_width


def markdown(spec: dict, lang: str = "en") -> str:
    return render_document("derivation", explain.load(spec), lang=lang, format="markdown")


# -- the argument that sets the output size is named in code font, by the framework's own name
@pytest.mark.parametrize("spec, meaning", [
    ({"name": "d", "input": [8], "layers": [{"Dense": {"units": 4}}]}, "number of outputs (`units`)"),
    ({"name": "l", "framework": "pytorch", "input": [8], "layers": [{"Linear": {"in_features": 8, "out_features": 4}}]},
     "number of outputs (`out_features`)"),
    ({"name": "c", "input": [8, 8, 3], "layers": [{"Conv2D": {"filters": 4, "kernel_size": 3}}]},
     "number of output channels (`filters`)"),
    ({"name": "t", "framework": "pytorch", "input": [3, 8, 8],
      "layers": [{"Conv2d": {"in_channels": 3, "out_channels": 4, "kernel_size": 3}}]},
     "number of output channels (`out_channels`)"),
])
def test_output_size_argument_is_code(spec, meaning):
    text = markdown(spec)
    assert meaning in text
    assert "(units)" not in text and "(filters)" not in text


@pytest.mark.parametrize("lang, word", [("de", "`units`"), ("fr", "`units`"), ("ja", "`units`"), ("es", "`units`")])
def test_units_code_in_every_language(lang, word):
    text = markdown({"name": "d", "input": [8], "layers": [{"Dense": {"units": 4}}]}, lang)
    assert word in text and "(units)" not in text


# -- LayerNorm over several axes (PyTorch LayerNorm([C, H, W]), Keras axis=[1, 2, 3]) normalizes more
# than the last axis: one mean per sample over all of them (checked in torch)
@pytest.mark.parametrize("spec", [
    {"name": "n", "framework": "pytorch", "input": [4, 5, 6], "layers": [{"LayerNorm": {"normalized_shape": [4, 5, 6]}}]},
    {"name": "k", "input": [4, 5, 6], "layers": [{"LayerNormalization": {"axis": [1, 2, 3]}}]},
])
def test_layernorm_note_true_for_several_axes(spec):
    torch = require_module("torch")
    x = torch.randn(2, 4, 5, 6) * torch.arange(1, 7, dtype=torch.float32)
    y = torch.nn.LayerNorm([4, 5, 6], elementwise_affine=False)(x)
    assert torch.allclose(y.mean((1, 2, 3)), torch.zeros(2), atol=1e-5)  # one mean per sample
    assert not torch.allclose(y.mean(-1), torch.zeros(2, 4, 5), atol=1e-3)  # not per position
    text = markdown(spec)
    assert "over all the normalized axes together, separately for each sample" in text
    assert "last axis" not in text


def test_layernorm_note_last_axis_kept():
    text = markdown({"name": "n", "framework": "pytorch", "input": [5, 6], "layers": [{"LayerNorm": {"normalized_shape": 6}}]})
    assert "over the last axis (the features) from the current input" in text


def test_german_summary_sentence():
    de = translations("de").ngettext(
        "The summary table below has %(count)s row; the model's inputs are not listed in it. Each row is a module, a stack of blocks "
        "of the same structure, or an operation of the forward pass.",
        "The summary table below has %(count)s rows; the model's inputs are not listed in it. Each row is a module, a stack of blocks "
        "of the same structure, or an operation of the forward pass.", 6) % {"count": 6}
    assert de.startswith("Die Übersichtstabelle unten hat 6 Zeilen; die Eingaben des Modells stehen nicht darin.")


# -- T5: the two stacks (config num_layers = num_decoder_layers = 6) and the two inputs of the same
# shape are each said once
def test_t5_intro_says_each_thing_once():
    config = json.loads((FIXTURES / "hf" / "t5-small.json").read_text())
    assert config["num_layers"] == config.get("num_decoder_layers", config["num_layers"]) == 6
    text = render_document("derivation", explain.load(FIXTURES / "hf" / "t5-small.json"), lang="en", format="markdown")
    assert ("In the summary table below, the rows `encoder.block` and `decoder.block` each stand for the $L = 6$ "
            "blocks of their stack, one after the other; the model's inputs are not listed." in text)
    assert "The rows `encoder.block`" not in text
    assert "The row `encoder.block`" not in text and "The row `decoder.block`" not in text
    assert "The inputs `input_ids` and `decoder_input_ids` both have the shape `(None, None)`, where" in text
    assert "The input `input_ids`" not in text


# -- a long sum breaks near its middle, never leaving a term or two alone on the last line
def test_bert_total_breaks_near_the_middle():
    text = render_document("derivation", explain.load(FIXTURES / "hf" / "bert-base-uncased.json"), lang="en",
                           format="markdown")
    total = text[text.index("## Total"):]
    blocks = [b.split(r"\end{aligned}")[0] for b in total.split(r"\begin{aligned}")[1:]]
    assert blocks
    for block in blocks:
        lines = [ln for ln in block.strip().splitlines() if not ln.startswith("&= ")]
        if len(lines) < 2 or not lines[1].startswith(r"&\quad"):
            continue
        widths = [formula_width(ln) for ln in lines]
        assert min(widths) >= 0.4 * max(widths), lines
    assert r"&\quad + d^{2} + d" not in total and r"&\quad + 3d" + "\n" not in total


def test_break_display_balances_the_lines():
    terms = " + ".join(f"a_{{{i}}} \\cdot b" for i in range(12))
    lines = break_display("P = " + terms, width=50).splitlines()[1:-1]
    assert len(lines) == 3  # greedy: 4 + 4 + 4 terms fit, no shorter fill exists
    widths = [formula_width(ln) for ln in lines]
    assert max(widths) - min(widths) <= 10, lines


def test_two_inputs_of_one_shape_still_count_as_two_input_layers():
    text = markdown({"name": "two", "inputs": {"a": [4], "b": [4]},
                     "layers": [{"Add": {"name": "sum", "inputs": ["a", "b"]}}]})
    assert "not counting the input layers" in text
    assert "The inputs `a` and `b` both have the shape `(None, 4)`" in text


# -- Llama's projections: d_h = d/H cancels, the tensor rows say d·d (hidden_size from the config)
def test_llama_projection_rows_say_d_times_d():
    torch = require_module("torch")
    config = json.loads((FIXTURES / "hf" / "llama-2-7b.json").read_text())
    d = config["hidden_size"]
    assert config["num_attention_heads"] == config.get("num_key_value_heads", config["num_attention_heads"])
    q = torch.nn.Linear(d, d, bias=False, device="meta")
    assert q.weight.numel() == d * d == 16_777_216
    text = render_document("derivation", explain.load(FIXTURES / "hf" / "llama-2-7b.json"), lang="en",
                           format="markdown")
    row = next(ln for ln in text.splitlines() if ln.startswith("| `self_attn.q_proj.weight`"))
    assert r"$d \cdot d = 4{,}096 \times 4{,}096$" in row and "16,777,216" in row
    assert r"\frac{d}{H}\right) =" not in row


# -- LaTeX: the paragraph after a list or an explanation keeps the paragraph skip
def test_french_lists_keep_the_paragraph_skip():
    tex = render_document("derivation", explain.load("example:seed-cnn"), lang="fr", format="latex")
    assert "\\frenchsetup{StandardItemizeEnv=true,StandardListSpacing=true}" in tex


def test_batch_sentence_is_its_own_paragraph():
    tex = render(explain.load("example:seed-cnn"), lang="en", format="latex", count=("params", "compute", "memory"))
    i = tex.index("With $N_{\\text{act}} = ")
    assert tex[:i].endswith("\n\n"), tex[i - 80:i]


# -- BERT's 12-tensor block table may break across pages (it moved whole to the next page and left
# half a page empty); a short table stays a tabular kept with its list
def test_long_tensor_table_may_break_across_pages():
    import re
    tex = render_document("derivation", explain.load(FIXTURES / "hf" / "bert-base-uncased.json"), lang="en",
                          format="latex")
    block = tex[tex.index("encoder.layer} (BertLayer)"):]
    block = block[:block.index(r"\subsubsection")] if r"\subsubsection" in block else block
    assert r"\begin{longtable}" in block and r"\endhead" in block
    # the room is asked for before the formula's display (fb1f4ed), which "with" follows
    asked = re.search(r"\\needspace\{(\d+)\\baselineskip\}\n(?:.*\n)*?with\n", block)
    assert asked and int(asked.group(1)) <= 3 + 4 + 7  # P_1, d, f; four rows; heading and rules
    seed = render_document("derivation", explain.load("example:seed-cnn"), lang="en", format="latex")
    layers = seed[seed.index("Derivation, layer by layer"):]
    assert r"\begin{longtable}" not in layers
