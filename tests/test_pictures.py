"""The model drawn (explain draw, the picture in every derivation) and where its parameters are.

Numbers come from the fixtures (real Keras runs: residual.expected.json, keras/expected.json,
seed_cnn.expected.json), from configs (GPT-2's n_layer) or from hand derivations written here."""
from __future__ import annotations

import json
import re

import pytest

from explain import load
from explain.cli import run
from explain.render import render
from explain.render.draw import draw, pictures
from explain.render.draw.graph import MAX_BOXES, build
from tests.conftest import FIXTURES, require_module

SEED = json.loads((FIXTURES / "specs" / "seed_cnn.expected.json").read_text())
RESIDUAL = json.loads((FIXTURES / "specs" / "residual.expected.json").read_text())
KERAS = json.loads((FIXTURES / "keras" / "expected.json").read_text())


def _edges(graph):
    name = {b.id: b.name for b in graph.boxes}
    return {(name[s], name[t]) for s, t in graph.edges}


def test_residual_is_drawn_with_its_branch_and_merge():
    """residual.yaml: stem feeds both the branch and the Add (the skip connection)."""
    graph = build(load(FIXTURES / "specs" / "residual.yaml"))
    assert _edges(graph) == {("image", "stem"), ("stem", "branch"), ("branch", "bn"), ("stem", "join"),
                             ("bn", "join"), ("join", "gap"), ("gap", "head")}
    params = {b.name: b.params for b in graph.boxes if b.kind == "layer"}
    assert params == {layer["name"]: layer["params"] for layer in RESIDUAL["layers"]}
    mermaid = draw(load(FIXTURES / "specs" / "residual.yaml"))
    assert mermaid.startswith("flowchart TB\n")
    # the Add has two arrows in: from the stem (skip) and from the branch's normalization
    join = next(b.id for b in graph.boxes if b.name == "join")
    assert len(re.findall(rf" --> {join}\n", mermaid)) == 2


def test_seed_boxes_give_type_shape_and_count_in_the_readers_language():
    model = load("example:seed-cnn")
    dense = next(layer for layer in SEED["layers"] if layer["name"] == "dense_1")
    assert dense["params"] == 11552 * 512 + 512  # hand derivation: n_in·n_out + n_out
    out = draw(model, lang="de")
    assert "<b>dense_1</b> (Dense)<br/>(None, 512)<br/>5.915.136 Parameter" in out
    # ja: the type in full-width brackets right after the name, as the headings write it
    # (`conv2d_2`（Conv2D）; GLOSSARY: full-width （） in running text); the shape stays Python's tuple
    ja = draw(model, lang="ja", format="tikz")
    assert r"\mbox{\texttt{dense\_1}}\allowbreak{}\mbox{（Dense）}\\\texttt{(None,\penalty1000\ 512)}\\パラメータ数 5,915,136" in ja
    assert "<b>dense_1</b>（Dense）<br/>(None, 512)<br/>パラメータ数 5,915,136" in draw(model, lang="ja")
    svg = draw(model, lang="ja", format="svg")
    assert "（Dense）" in svg and "(Dense)" not in svg
    assert "（入力）" in svg and "(入力)" not in svg
    fr = draw(model, lang="fr", format="svg")
    assert "5\u202f915\u202f136 paramètres" in fr  # CLDR's narrow no-break space


def test_share_chart_shows_the_seed_lesson():
    """One Dense layer holds 98 % of the seed model's parameters (Keras's counts)."""
    model = load("example:seed-cnn")
    dense = next(layer["params"] for layer in SEED["layers"] if layer["name"] == "dense_1")
    assert round(100 * dense / SEED["total"], 1) == 98.1
    latex = pictures(model, "de", "latex")["bars"]
    assert r"\texttt{dense\_1}" in latex and "[98,1~\\%]" in latex.replace("\u00a0", "~") or "[98,1" in latex
    mermaid = pictures(model, "en", "markdown")["bars"]
    weighted = [layer["name"] for layer in SEED["layers"] if layer["params"]]
    lines = mermaid.splitlines()
    names = lines[lines.index("xychart-beta horizontal") + 1]
    assert re.findall(r'"([^" ]+) \([^"]*%\)"', names) == weighted  # each with its share
    assert "98.1" in lines[-1]


def test_resnet50_folds_into_its_stages_and_keeps_the_total():
    """He et al.'s ResNet-50: 3, 4, 6 and 3 bottleneck blocks in conv2_x … conv5_x."""
    model = load(FIXTURES / "keras" / "ResNet50.json")
    graph = build(model)
    assert graph.folded == "stages" and len(graph.boxes) <= MAX_BOXES
    repeats = {b.name: b.repeat for b in graph.boxes}
    assert [repeats[f"conv{i}_x"] for i in (2, 3, 4, 5)] == [3, 4, 6, 3]
    assert sum(model.evaluate(b.params) for b in graph.boxes) == KERAS["ResNet50"]["total"]
    assert "conv4_x</b> (layers " in draw(model)  # a folded box gives its layers' positions


def test_folded_boxes_hold_a_layer_with_weights_and_are_named_after_it():
    """Keras's MobileNet (90 layers) folded into boxes: each holds one convolution, the
    ZeroPadding2D just before it and its BatchNormalization and ReLU after it, and is named after
    the convolution, so that a bar says which convolution holds the parameters. Boxes of three
    layers in a row named 'conv_dw_13_relu …' the box that held conv_pw_13's weights (review 36)."""
    model = load(FIXTURES / "keras" / "MobileNet.json")
    graph = build(model)
    names = [b.name for b in graph.boxes]
    assert len(names) == len(set(names))
    drawn = draw(model)
    assert "<b>conv_dw_2</b> (layers 10–13)" in drawn  # conv_pad_2, conv_dw_2, conv_dw_2_bn, conv_dw_2_relu
    box = next(b for b in graph.boxes if b.name == "conv_pw_13")
    held = [n.name for n in model.nodes[box.layers[0] - 1:box.layers[1]]]
    assert held[:3] == ["conv_pw_13", "conv_pw_13_bn", "conv_pw_13_relu"]
    # 1×1 convolution 1024 → 1024 without bias, then BatchNormalization's 4 · 1024
    assert box.params == 1024 * 1024 + 4 * 1024
    assert max(graph.boxes, key=lambda b: b.params) is box
    # no box here has a trailing × N: the legend does not explain one
    text = render(model)
    assert "several consecutive layers" in text and "trailing × N" not in text


def test_a_folded_box_ends_where_a_layer_changes_the_shape_and_its_bar_names_the_group():
    """Review 37 (de, es, ja, en): the box 'conv_pw_13 (layers 83–87)' also held the global pooling,
    the reshape's neighbour and the dropout, so it read as if the 1×1 convolution shrank 7×7 to 1×1.
    The box holds conv_pw_13 and its BatchNormalization and ReLU (7 × 7 × 1024: 224 halved five
    times by the strides 2); the pooling and the dropout after it are a box of their own, as the
    Reshape with the softmax after it. The chart names a folded box's bar with its layers, as the
    diagram does: its share is the group's (convolution and BatchNormalization), not the row of
    the convolution alone in the summary."""
    model = load(FIXTURES / "keras" / "MobileNet.json")
    graph = build(model)
    layers = {b.name: (b.layers, b.shape, b.params) for b in graph.boxes}
    assert layers["conv_pw_13"] == ((83, 85), (7, 7, 1024), 1024 * 1024 + 4 * 1024)
    assert layers["global_average_pooling2d … dropout"] == ((86, 87), (1, 1, 1024), 0)
    # conv_preds: a 1×1 convolution 1024 → 1000 with bias, alone before the reshape
    assert layers["conv_preds"] == ((88, 88), (1, 1, 1000), 1024 * 1000 + 1000)
    assert layers["reshape_2 … predictions"] == ((89, 90), (1000,), 0)
    drawn = pictures(model, "en", "latex")
    assert r"{\texttt{conv\_pw\_13} (layers 83–85)}" in drawn["bars"]
    assert '"conv_pw_13 (layers 83–85) (24.7%)"' in pictures(model, "en", "markdown")["bars"]
    assert "conv_pw_13（層 83～85）" in pictures(model, "ja", "markdown")["bars"]


def test_a_residual_addition_is_not_folded_into_the_box_before_it():
    """A lecturer reads a residual net by where its shortcut joins: folded into chunks, the Add
    that merges the shortcut is a box of its own, the arrow from the stem drawn into it (not into
    the branch's convolution), and the pooling after it is not under the addition's box either.
    Parameters by hand: stem 3·3·1·8 + 8 = 80, branch 3·3·8·8 + 8 = 584 with its BatchNormalization
    4·8 = 32, head 8·10 + 10 = 90."""
    graph = build(load(FIXTURES / "specs" / "residual.yaml"), fold="chunks")
    boxes = {b.name: b for b in graph.boxes}
    assert [(b.name, b.layers, b.params) for b in graph.boxes[1:]] == [
        ("stem", (1, 1), 80), ("branch", (2, 3), 584 + 32), ("join", (4, 4), 0),
        ("gap", (5, 5), 0), ("head", (6, 6), 90)]
    assert (boxes["stem"].id, boxes["join"].id) in graph.edges


def test_resnet50_shows_one_block_with_its_shortcut_and_merge():
    """conv2_block1: the main path 1×1, 3×3, 1×1 and the projection shortcut 0_conv both read
    pool1_pool; the Add merges 3_bn and 0_bn (the Keras model's own wiring)."""
    model = load(FIXTURES / "keras" / "ResNet50.json")
    drawn = pictures(model, "en", "markdown")
    assert drawn["block"] == "conv2_block1" and drawn["merges"]
    from explain.render.draw.graph import detail
    edges = _edges(detail(model))
    assert {("pool1_pool", "conv2_block1_1_conv"), ("pool1_pool", "conv2_block1_0_conv"),
            ("conv2_block1_3_bn", "conv2_block1_add"), ("conv2_block1_0_bn", "conv2_block1_add")} <= edges
    # 1×1 convolution 64 → 256 with bias: 64·256 + 256 (the shortcut's count in Keras's summary)
    assert "<b>conv2_block1_0_conv</b> (Conv2D)<br/>(None, 56, 56, 256)<br/>16,640 parameters" in drawn["detail"]
    assert "The figure below shows the block `conv2_block1` layer by layer" in render(model)


def test_gpt2_blocks_are_one_box_times_n_layer():
    config = json.loads((FIXTURES / "hf" / "gpt2.json").read_text())
    out = draw(load(FIXTURES / "hf" / "gpt2.json"))
    assert re.search(rf"<b>transformer\.h</b> \([^)]*\) × {config['n_layer']}<br/>", out)


def test_shared_layer_is_marked_and_counted_once(tmp_path):
    spec = tmp_path / "siamese.yaml"
    spec.write_text("name: siamese\ninputs: {left: [10], right: [10]}\nlayers:\n"
                    "  - Dense: {name: enc, units: 6, inputs: left}\n"
                    "  - Dense: {name: enc_r, shares: enc, inputs: right}\n"
                    "  - Subtract: {name: diff, inputs: [enc, enc_r]}\n")
    model = load(spec)
    graph = build(model)
    assert _edges(graph) == {("left", "enc"), ("right", "enc_r"), ("enc", "diff"), ("enc_r", "diff")}
    ids = {b.name: b.id for b in graph.boxes}
    assert graph.shared == [(ids["enc"], ids["enc_r"])]
    out = draw(model)
    assert f"{ids['enc']} -.- {ids['enc_r']}" in out and f"class {ids['enc_r']} shared" in out
    assert "weights shared with enc" in out
    # 10·6 + 6 once: the sharing box adds nothing of its own
    assert {b.name: b.params for b in graph.boxes if b.kind == "layer"} == {"enc": 66, "enc_r": 0, "diff": 0}
    assert "weights shared with enc" in render(model)


def test_repeated_block_is_drawn_once_in_a_frame(tmp_path):
    spec = tmp_path / "stack.yaml"
    block = "  - Dense: {units: 16}\n  - Dropout: {rate: 0.1}\n"
    spec.write_text("name: stack\ninput: [16]\nlayers:\n" + block * 3 + "  - Dense: {units: 2}\n")
    graph = build(load(spec))
    assert len(graph.groups) == 1 and graph.groups[0].repeat == 3
    framed = [graph.box(i) for i in graph.groups[0].boxes]
    assert [b.type for b in framed] == ["Dense", "Dropout"]
    assert framed[0].params == 3 * (16 * 16 + 16)  # three copies of 16·16 + 16
    out = draw(load(spec))
    assert "<br/>272 parameters" in out and "816" not in out  # the box drawn once: one copy's 16·16 + 16
    # the bar: all copies, 3 · 272 = 816 of 816 + (16·2 + 2) = 850
    assert '"dense × 3 (96.0%)"' in pictures(load(spec), "en", "markdown")["bars"]
    assert 'subgraph g0 ["× 3"]' in out
    assert out.count("-->") == 3  # input → Dense → Dropout → head: the repetitions add no arrows


def test_three_hundred_layers_stay_readable(tmp_path):
    spec = tmp_path / "deep.yaml"
    spec.write_text("name: deep\ninput: [4]\nlayers:\n" + "".join(
        f"  - Dense: {{units: {k}}}\n" for k in range(5, 305)))
    model = load(spec)
    graph = build(model)
    assert graph.folded == "chunks" and len(graph.boxes) - 1 <= MAX_BOXES
    # Σ (n_in·n_out + n_out) over the chain 4 → 5 → … → 304
    widths = list(range(4, 305))
    assert sum(b.params for b in graph.boxes) == sum(a * b + b for a, b in zip(widths, widths[1:]))
    assert graph.box(graph.boxes[1].id).layers == (1, 8)
    # 38 bars (300 layers in chunks of 8) at 0.55 cm each would run 22.5 cm, off an A4 page
    drawn = pictures(model, "en", "latex")
    assert drawn["bar_count"] == 38 and 0.55 * 38 + 1.6 > 21
    assert "height=19.00cm" in drawn["bars"] and drawn["bars_height"] <= 20.5


def test_draw_command_and_no_pictures(tmp_path, capsys):
    out = tmp_path / "seed.tex"
    assert run(["draw", "example:seed-cnn", "--format", "tikz", "--lang", "ja", "-o", str(out)]) == 0
    assert out.read_text("utf-8").startswith("\\begin{center}\n")  # set where it stands, no float
    assert "```mermaid" in render(load("example:seed-cnn"))
    assert "```mermaid" not in render(load("example:seed-cnn"), pictures=False)
    run(["derive", "example:lenet5", "--no-pictures"])
    assert "mermaid" not in capsys.readouterr().out
    assert load("example:lenet5").draw(format="svg").startswith("<svg ")


def test_draw_rejects_an_unknown_format(capsys):
    from explain.cli import main
    assert main(["draw", "example:seed-cnn", "--format", "png"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_labels_cannot_inject_markup(tmp_path):
    spec = tmp_path / "odd.yaml"
    spec.write_text('name: odd\ninput: [4]\nlayers:\n  - Dense: {name: "a\\"]<b>x</b>#1;", units: 2}\n')
    model = load(spec)
    out = draw(model)
    label = out.splitlines()[2]
    assert label.count('"') == 2 and "<b>x" not in label
    assert "<b>x" not in draw(model, format="svg")
    assert r"\texttt{a" in draw(model, format="tikz")


def test_times_n_sentence_says_each_repetition_has_its_own_weights():
    """GPT-2's n_layer blocks each hold their own weights (the count is n_layer times one block's):
    the sentence that explains × N must not suggest shared weights, in every language."""
    model = load(FIXTURES / "hf" / "gpt2.json")
    own = {"en": "each with its own weights", "de": "jede mit eigenen Gewichten", "ja": "それぞれが固有の重みを持ちます",
           "fr": "chacune avec ses propres poids", "es": "cada una con sus propios pesos"}
    for lang, words in own.items():
        text = render(model, lang)
        assert words in text, lang
        assert "identical layers" not in text and "gleiche Schichten hintereinander" not in text


def test_names_break_only_between_summed_names():
    """Round 9 reviewers: "transformer.⏎wpe", "embeddings.word_⏎embeddings" and
    "global_average_pooling2d_⏎1" broke inside a name. A name that fits is one unbreakable box;
    GPT-2's sum of embeddings breaks only after its " +"; the dashed lm_head box sets the name it
    shares in code font."""
    from explain.render.draw.tikz import _code
    gpt2 = draw(load(FIXTURES / "hf" / "gpt2.json"), format="tikz")
    assert r"{\mbox{\texttt{transformer.wte +}}\\\mbox{\texttt{transformer.wpe}} \mbox{(sum of the embeddings)}" in gpt2
    assert r"weights shared with \mbox{\texttt{transformer.wte}}}" in gpt2
    assert "allowbreak" not in gpt2
    bert = draw(load(FIXTURES / "hf" / "bert-base-uncased.json"), format="tikz")
    assert r"\mbox{\texttt{embeddings.word\_embeddings}} \mbox{(Embedding)}" in bert
    mobile = draw(load(FIXTURES / "keras" / "MobileNetV2.json"), format="tikz")
    assert r"\mbox{\texttt{global\_average\_pooling2d}}" in mobile
    # 33 characters are more than a line holds: breaks after . and _ only
    assert _code("a" * 20 + ".b_" + "c" * 10) == r"\texttt{" + "a" * 20 + r".\allowbreak{}b\_\allowbreak{}" + "c" * 10 + "}"
    svg = draw(load(FIXTURES / "hf" / "gpt2.json"), format="svg")
    assert '<tspan font-family="monospace">transformer.wte</tspan></text>' in svg


def test_long_names_are_shortened_between_their_parts():
    """T5's bars read "encoder.block.0.…e_attention_bias" (cut inside a word)."""
    from explain.render.draw.labels import LONG, short
    name = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias"
    assert short(name) == "encoder.…relative_attention_bias"
    assert short("model.layers.0.self_attn.q_proj") == "model.layers.0.self_attn.q_proj"  # fits
    assert short("x" * 50) == "x" * 16 + "…" + "x" * 16 and LONG == 34
    bars = pictures(load(FIXTURES / "hf" / "t5-small.json"), "en", "markdown")["bars"]
    assert '"encoder.…relative_attention_bias (' in bars and '"decoder.…relative_attention_bias (' in bars


def test_tiny_shares_are_not_drawn_as_zero():
    """Round 9: the Markdown chart said 0.0 for the seed's conv2d_1 (896 of 6,029,097 parameters,
    0.0149 %) while the sentence says only layers without parameters have no bar."""
    assert 100 * 896 / 6029097 < 0.1 and round(100 * 896 / 6029097, 2) == 0.01
    assert round(100 * 1161 / 6029097, 2) == 0.02  # dense_3: 128·9 + 9
    bars = pictures(load("example:seed-cnn"), "en", "markdown")["bars"]
    values = bars.splitlines()[-1]
    assert values.startswith("  bar [0.01, ") and values.endswith(", 0.02]") and "0.0," not in values


UNDER_WORDS = {"en": "under 0.1%", "de": "unter 0,1\u202f%", "fr": "moins de 0,1\u00a0%",
               "es": "menos del 0,1\u00a0%", "ja": "0.1% 未満"}
"""A share under 0.1 % in a Mermaid label, in words: the seed's conv2d_1 (896 of 6,029,097)."""


@pytest.mark.parametrize("lang", sorted(UNDER_WORDS))
def test_tiny_share_is_said_in_words_from_the_number(lang):
    """Mermaid shows "<" only as ``#60;``: a share under the least shown is said in words, chosen
    from the bar's number (not from its formatted text); the share itself is the number's."""
    from fractions import Fraction

    from explain.render.draw.bars import Bar, bars, xychart
    from explain.render.draw.labels import Labels
    from explain.render.numbers import format_share, least_share, under_least_share
    model = load("example:seed-cnn")
    labels = Labels(model, lang)
    items = bars(build(model), labels)
    assert [b.under for b in items] == [b.label in ("conv2d_1", "dense_3") for b in items]
    assert [b.share for b in items if b.label == "conv2d_1"] == [Fraction(896, 6_029_097)]
    names = xychart(items, labels).splitlines()[-3]
    assert f'"conv2d_1 ({UNDER_WORDS[lang]})"' in names and "<" not in names and "#60;" not in names
    assert least_share(lang) in UNDER_WORDS[lang]
    for part, whole in ((1, 2000), (3, 2000), (1, 1000), (2, 3001), (1, 1999), (896, 6_029_097), (5, 5)):
        share = Fraction(part, whole)  # round half to even: 0.05 % is under, 0.15 % shows as 0.2 %
        text = format_share(part, whole, lang)
        assert under_least_share(share) == text.startswith("<") == (part * 2000 <= whole)
        label = UNDER_WORDS[lang] if under_least_share(share) else text
        assert xychart([Bar("x", share, text)], labels).splitlines()[-3] == f'  x-axis ["x ({label})"]'


def test_block_input_is_the_layer_before_the_block():
    """ResNet-50's conv2_block1 reads pool1_pool (a MaxPooling2D layer, not an Input layer);
    MobileNetV2's block_2 reads block_1_project_BN (a BatchNormalization)."""
    from explain.render.draw.graph import detail
    resnet = pictures(load(FIXTURES / "keras" / "ResNet50.json"), "en", "markdown")["detail"]
    assert '[/"Input of the block:<br/><b>pool1_pool</b> (MaxPooling2D)<br/>' in resnet
    assert "(Input)" not in resnet
    mobile = detail(load(FIXTURES / "keras" / "MobileNetV2.json"))
    assert mobile is not None
    first = mobile.boxes[0]
    assert (first.kind, first.name, first.type) == ("input", "block_1_project_BN", "BatchNormalization")
    de = pictures(load(FIXTURES / "keras" / "ResNet50.json"), "de", "latex")["detail"]
    assert r"Eingang des Blocks:\\\mbox{\texttt{pool1\_pool}} \mbox{(MaxPooling2D)}" in de


@pytest.mark.parametrize("fixture, looked_up", [
    ("gpt2.json", {"transformer.wpe": "position_ids"}),
    ("bert-base-uncased.json", {"embeddings.position_embeddings": "position_ids",
                                "embeddings.token_type_embeddings": "token_type_ids"})])
def test_positions_and_token_types_are_not_read_from_the_token_ids(fixture, looked_up):
    """Round 9: the arrows into GPT-2's wpe and BERT's position and token-type embeddings came from
    input_ids. Hugging Face's forward takes position_ids and token_type_ids for them (BERT's
    embeddings keep position_ids as a buffer, 0 … T−1, when none is given)."""
    import inspect

    from transformers import BertModel, GPT2Model
    from explain.render.draw.graph import build
    model = {"gpt2.json": GPT2Model, "bert-base-uncased.json": BertModel}[fixture]
    for ids in looked_up.values():
        assert ids in inspect.signature(model.forward).parameters
    graph = build(load(FIXTURES / "hf" / fixture))
    by_name = {b.name: b.id for b in graph.boxes}
    for layer, ids in looked_up.items():
        sources = [graph.box(s).name for s, t in graph.edges if t == by_name[layer]]
        assert sources == [ids]
    word = "transformer.wte" if fixture == "gpt2.json" else "embeddings.word_embeddings"
    assert [graph.box(s).name for s, t in graph.edges if t == by_name[word]] == ["input_ids"]


def test_position_ids_box_has_the_token_ids_shape():
    """Round 11 (de): position_ids was the one input box without a shape. transformers documents
    position_ids as (batch_size, sequence_length), the shape of input_ids; made inside the model they
    are one row (1, T) that the sum broadcasts over the batch: a tiny GPT-2 gives the same output for
    (B, T) position ids 0, 1, 2 as for none. GPT-2's and BERT's input boxes all show (None, None), in
    TikZ, Mermaid and SVG."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    config = transformers.GPT2Config(n_layer=1, n_embd=8, n_head=2, vocab_size=10, n_positions=4)
    small = transformers.GPT2Model(config).eval()
    ids = torch.tensor([[1, 2, 3], [4, 5, 6]])
    with torch.no_grad():
        made = small(ids).last_hidden_state
        given = small(ids, position_ids=torch.arange(3).expand(2, 3)).last_hidden_state
    assert torch.equal(made, given)
    for fixture in ("gpt2.json", "bert-base-uncased.json"):
        model = load(FIXTURES / "hf" / fixture)
        inputs = [b for b in build(model).boxes if b.kind == "input"]
        assert "position_ids" in [b.name for b in inputs]
        assert all(b.shape == model.inputs["input_ids"] for b in inputs), inputs  # drawn (None, None)
        assert '<b>position_ids</b> (Input, positions 0, 1, 2, …)<br/>(None, None)"' in draw(model, "en", "mermaid")
        assert (r"\mbox{\texttt{position\_ids}} \mbox{(Input, positions 0, 1, 2, …)}\\\texttt{(None,\penalty1000\ None)}"
                in draw(model, "en", "tikz"))
        svg = draw(model, "en", "svg")
        after = svg[svg.index("position_ids</tspan>"):]
        box = after[:after.index("<rect")].split("\n")
        assert box[-2].endswith('font-family="monospace">(None, None)</text>'), after[:300]


def test_t5_encoder_and_decoder_stand_side_by_side_joined_by_a_level_arrow():
    """Round 9: T5's encoder and decoder side by side with ``shared`` in their rows, five boxes in a row,
    scaled until the text overlapped; round 17 drew them one below the other with ``shared`` in a
    column of its own: nine rows, three slots wide, shrunk to 4pt text under the introduction (ja
    p. 1 half empty). Now as in Vaswani et al.'s figure: the encoder's column left, the decoder's
    right, no box of one part in the other's slots and no two boxes of a row overlapping, the
    encoder's output running level into the decoder's blocks (cross-attention): six rows. Round 26:
    ``shared`` level with ``lm_head`` below the encoder read as a step after the encoder; it is what
    the input ids go through first, so it sits in the top row beside the inputs (in the decoder's
    column, whose first box is a row lower), its dashed lines to all three boxes using its weights.
    Round 21: at 25 cm wide this layout had 5pt box text in the PDF, which now draws T5 one part
    below the other (test_every_diagram_is_drawn_with_box_text_of_7pt); the layout stays for a pair
    that fits."""
    from explain.render.draw.graph import build
    from explain.render.draw.layout import layout
    graph = build(load(FIXTURES / "hf" / "t5-small.json"))
    at = layout(graph)
    by_name = {(b.name, b.id): at.at[b.id] for b in graph.boxes}
    where = {name: p for (name, _), p in by_name.items()}
    encoder = [p for (n, _), p in by_name.items() if n.startswith("encoder") or n == "input_ids"]
    decoder = [p for (n, _), p in by_name.items() if n.startswith("decoder") or n == "lm_head"]
    assert max(p.x for p in encoder) + 1 < min(p.x for p in decoder)
    for a in at.at.values():
        assert all(b is a or b.y != a.y or abs(b.x - a.x) >= 1 for b in at.at.values())
    assert at.height == 6 and at.width < 4.5
    assert where["encoder.final_layer_norm"].y == where["decoder.block"].y
    cross = next(e for e in graph.edges if graph.box(e[0]).name == "encoder.final_layer_norm")
    assert cross in at.across and at.routes[cross] == []
    shared = where["shared"]
    assert shared.y == where["input_ids"].y == 0 < min(p.y for p in decoder)
    assert max(p.x for p in encoder) + 1 < shared.x
    assert {graph.box(t).name for s, t in at.ties} == {"encoder.embed_tokens", "decoder.embed_tokens", "lm_head"}
    tikz = draw(load(FIXTURES / "hf" / "t5-small.json"), "en", "tikz")
    assert len(re.findall(r"\\draw\[dashed,black!60\]", tikz)) == 3


def test_t5_on_a_web_page_stays_two_slots_wide_with_shared_on_top():
    """The HTML page scrolls down, not across: its SVG keeps the encoder above the decoder, and
    ``shared`` (no arrow of its own) sits in a row of its own above the encoder's embedding instead
    of a column of its own left of it (round 17: three slots wide, most of the picture past the
    text column); its dashed lines run left of the boxes to the three boxes that use its weights."""
    from explain.render.draw.graph import build
    from explain.render.draw.layout import layout
    graph = build(load(FIXTURES / "hf" / "t5-small.json"))
    at = layout(graph, side=False)
    where = {b.name: at.at[b.id] for b in graph.boxes}
    assert at.width <= 2.1 and not at.across and not at.ties
    assert where["shared"].y == 0 < where["input_ids"].y < where["encoder.embed_tokens"].y
    assert where["shared"].x == where["encoder.embed_tokens"].x == min(p.x for p in at.at.values())
    svg = draw(load(FIXTURES / "hf" / "t5-small.json"), "en", "svg")
    assert len(re.findall(r'stroke="#777" stroke-dasharray="4 3"', svg)) == 3


def test_roberta_positions_start_after_the_padding_row(tmp_path):
    """RoBERTa numbers a sequence's positions from padding_idx + 1 (fairseq's convention), not 0:
    its picture's position_ids box and its position embedding's sentence say where they start
    (both said "0, 1, 2, …")."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    from transformers.models.roberta.modeling_roberta import RobertaEmbeddings
    config = transformers.RobertaConfig()
    ids = torch.tensor([[0, 5, 6, 2]])  # <s> … </s>, no padding
    made = RobertaEmbeddings.create_position_ids_from_input_ids(ids, config.pad_token_id)
    first, second = made[0, :2].tolist()
    data = config.to_dict() | {"architectures": ["RobertaModel"]}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    model = load(path)
    assert f"(Input, positions {first}, {second}, …)" in draw(model, "en", "mermaid")
    assert f"(Eingabe, Positionen {first}, {second}, …)" in draw(model, "de", "mermaid")
    assert "positions 0, 1, 2" not in draw(model, "en", "svg")
    # and the position embedding's sentence (it said "the positions of the sequence (0, 1, 2, …)")
    text = render(model, lang="en", format="markdown")
    assert f"the positions of the sequence, counted from {first} (`padding_idx` + 1)" in text
    assert "(0, 1, 2, …)" not in text


def test_bar_chart_sentence_names_blocks_only_where_the_chart_has_them():
    """Round 9 wording: "a layer or a block" where the chart has no block (seed) confused; the
    Spanish "proporción … en" and axis "… en porcentaje" were not idiomatic; Japanese heading."""
    seed, gpt2 = load("example:seed-cnn"), load(FIXTURES / "hf" / "gpt2.json")
    assert sum(layer["params"] for layer in SEED["layers"]) == 6029097
    en = render(seed, lang="en")
    assert "Each bar shows a layer's share of the model's 6,029,097 parameters; layers without parameters have no bar." in en
    assert "Each bar shows the share of a layer or a block in the model's" in render(gpt2, lang="en")  # transformer.h × 12
    es = render(seed, lang="es")
    assert ("Cada barra indica qué proporción de los 6.029.097 parámetros del modelo corresponde a una capa; "
            "las capas sin parámetros no tienen barra.") in es
    assert '"Proporción de los parámetros (%)"' in es
    assert "## パラメータの内訳" in render(seed, lang="ja")


def test_t5_arrows_follow_transformers_forward():
    """Round 10 (ja 5/10): T5's picture had no arrow from the encoder into the decoder, drew the
    relative-position bias as read from the token ids, and the bias and ``shared`` fed nothing.
    The expected arrows come from transformers' T5 modules: the stacks' embed_tokens is the
    weight of ``shared`` (``shared`` has no arrow of its own), block 0's relative_attention_bias has a row per
    bucket (not per token) and its bias goes to every block of the stack, and each decoder block
    has a cross-attention (EncDecAttention) reading the encoder's output."""
    from transformers import T5Config, T5ForConditionalGeneration
    config = T5Config(vocab_size=40, d_model=8, d_kv=4, d_ff=16, num_layers=2, num_heads=2)
    t5 = T5ForConditionalGeneration(config)
    assert t5.encoder.embed_tokens.weight is t5.shared.weight is t5.decoder.embed_tokens.weight
    expected = set()
    for part, ids in (("encoder", "input_ids"), ("decoder", "decoder_input_ids")):
        stack = getattr(t5, part)
        bias = stack.block[0].layer[0].SelfAttention.relative_attention_bias
        assert bias.num_embeddings == config.relative_attention_num_buckets != config.vocab_size
        assert not any(b.layer[0].SelfAttention.has_relative_attention_bias for b in stack.block[1:])
        name = f"{part}.block.0.layer.0.SelfAttention.relative_attention_bias"
        expected |= {(ids, f"{part}.embed_tokens"), ("relative_position_bucket", name),
                     (f"{part}.embed_tokens", f"{part}.block"), (name, f"{part}.block"),
                     (f"{part}.block", f"{part}.final_layer_norm")}
    assert all(hasattr(b.layer[1], "EncDecAttention") for b in t5.decoder.block)
    expected |= {("encoder.final_layer_norm", "decoder.block"), ("decoder.final_layer_norm", "lm_head")}
    graph = build(load(FIXTURES / "hf" / "t5-small.json"))
    edges = {(graph.box(s).name, graph.box(t).name) for s, t in graph.edges}
    assert edges == expected
    assert {graph.box(s).name for s, _ in graph.shared} == {"shared"}


@pytest.mark.parametrize("family", ["bart", "whisper"])
def test_decoder_cross_attention_reads_the_encoders_output(family):
    """The other encoder–decoder families: each decoder layer of transformers' Bart and Whisper
    has a cross-attention (encoder_attn) over the encoder's last output (BART's encoder ends at
    its layers, Whisper's at encoder.layer_norm); the picture draws that arrow and the decoder
    below the encoder."""
    import transformers
    from explain.importers.hf_config import load_hf_config
    from explain.render.draw.layout import layout
    cls, config, last = {
        "bart": (transformers.BartForConditionalGeneration, transformers.BartConfig, "model.encoder.layers"),
        "whisper": (transformers.WhisperForConditionalGeneration, transformers.WhisperConfig,
                    "model.encoder.layer_norm")}[family]
    small = config(vocab_size=40, pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=0, d_model=8, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                   decoder_attention_heads=2, encoder_ffn_dim=16, decoder_ffn_dim=16)
    hf = cls(small)
    assert all(hasattr(layer, "encoder_attn") for layer in hf.model.decoder.layers)
    assert hasattr(hf.model.encoder, "layer_norm") == (family == "whisper")
    graph = build(load_hf_config(small.to_dict() | {"architectures": [cls.__name__]}))
    names = {b.id: b.name for b in graph.boxes}
    into = {names[s] for s, t in graph.edges if names[t] == "model.decoder.layers"}
    assert last in into and len(into) == 2
    placed = layout(graph)
    at = {names[i]: p for i, p in placed.at.items()}
    column = {n: int(p.x // placed.column_width) for n, p in at.items()}  # a long picture wraps
    assert (column["decoder_input_ids"], at["decoder_input_ids"].y) > (column[last], at[last].y)


def test_each_diagram_row_is_as_tall_as_its_own_tallest_box():
    """Round 11 (ja gpt2): every row of the TikZ diagram was as tall as the picture's tallest box
    (the 5-line sum box 'transformer.wte + / transformer.wpe (埋め込みの和)' made each row 2.45 cm),
    so the picture did not fit under its heading on p. 1. Now a row of short boxes keeps the 1.6 cm
    minimum and only the sum box's row is taller; the boxes still stack with room for an arrow."""
    tex = draw(load(FIXTURES / "hf" / "gpt2.json"), lang="ja", format="tikz")
    assert "y=-1cm" in tex
    at = {name: float(y) for name, y in re.findall(r"\\node\[\w+\] \((\w+)\) at \([\d.]+,([\d.]+)\)", tex)}
    rows = sorted(set(at.values()))
    gaps = [b - a for a, b in zip(rows, rows[1:])]
    # inputs, the two embeddings, their sum, the blocks, ln_f and lm_head: six ranks
    assert len(rows) == 6, rows
    # the input boxes (two lines; position_ids's label wraps to a third) sit in a row of about the
    # 1.6 cm minimum, far below the 2.45 cm of the sum box's row: its centre about 0.8 cm down
    assert rows[0] == pytest.approx(0.8, abs=0.01)
    # a picture with rows of one height has equal distances between row centres; here the sum's
    # row (rows[2], 5 lines) is farther from its neighbours than the short rows are from each other
    assert min(gaps) < max(gaps) - 0.3, gaps
    assert gaps[1] == max(gaps) or gaps[2] == max(gaps), gaps


def test_bar_sentence_mentions_layers_without_parameters_only_when_there_are_some():
    """Round 14 (fr, es): "…; layers without parameters have no bar" under the LSTM model, where every
    layer has parameters. By hand (Keras defaults, GRU reset_after): Embedding 2000·32 = 64000, LSTM
    4·64·(32 + 64 + 1) = 24832, GRU 3·16·(64 + 16) + 2·3·16 = 3936, Dense 16 + 1 = 17: none is 0."""
    assert 2000 * 32 + 4 * 64 * (32 + 64 + 1) + 3 * 16 * (64 + 16) + 2 * 3 * 16 + 16 + 1 == 92785
    rnn = load(FIXTURES / "specs" / "small_rnn.yaml")
    for fmt in ("markdown", "latex"):
        text = render(rnn, lang="en", format=fmt)
        assert "Each bar shows a layer's share of the model's 92,785 parameters." in text
        assert "without parameters have no bar" not in text
    fr = render(rnn, lang="fr")
    assert "Chaque barre indique la part d’une couche dans les 92\u202f785 paramètres du modèle.\n" in fr
    # the seed CNN's pooling and flatten layers have no parameters: the clause stays
    assert "; layers without parameters have no bar." in render(load("example:seed-cnn"), lang="en")


def test_a_connector_climbing_to_the_next_column_has_one_arrowhead_at_its_target():
    """Round 17 (de, seed html): the line from the last box of the first column to the top of the
    second had a second arrowhead near its foot, pointing up (round 14's cue), read as stray; as in
    the PDF, each connector has one head, at the box it enters."""
    svg = draw(load("example:seed-cnn"), "en", "svg")
    routes = re.findall(r'<polyline points="([^"]*)" fill="none" stroke="#333" marker-end', svg)
    assert any(len(r.split()) > 2 for r in routes)  # the connector that climbs to the second column
    assert svg.count('marker-end="url(#arrow)"') == len(routes) == 18
    assert 'class="cue"' not in svg


TOKEN_TYPES = {"en": "Input, all 0 if not given", "de": "Eingabe, ohne Angabe alle 0",
               "fr": "Entrée, tout à 0 si omise", "ja": "入力、省略時はすべて 0",
               "es": "Entrada, todo 0 si se omite"}
POSITION_IDS = {"en": "Input, positions 0, 1, 2, …", "de": "Eingabe, Positionen 0, 1, 2, …",
                "fr": "Entrée, positions 0, 1, 2, …", "ja": "入力、位置 0, 1, 2, …", "es": "Entrada, posiciones 0, 1, 2, …"}


@pytest.mark.parametrize("lang", sorted(TOKEN_TYPES))
def test_bert_token_types_box_says_they_default_to_0_and_the_legend_names_the_mask(lang):
    """Round 19 (en 11): position_ids was drawn "(positions 0, 1, 2, …)" but token_type_ids, as
    optional, a plain "(Input)"; BertModel.forward without token_type_ids looks up its embeddings'
    buffer of zeros. attention_mask (forward's argument too) has no weights and no box: the
    legend says so for BERT, not for GPT-2 (whose notes do not list it) or the seed CNN."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    config = transformers.BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=16, vocab_size=10, max_position_embeddings=6)
    small = transformers.BertModel(config).eval()
    ids = torch.tensor([[1, 2, 3]])
    with torch.no_grad():
        assert torch.equal(small(ids).last_hidden_state,
                           small(ids, token_type_ids=torch.zeros_like(ids)).last_hidden_state)
    assert not any(n.startswith("attention_mask") for n, _ in small.named_parameters())
    bert = load(FIXTURES / "hf" / "bert-base-uncased.json")
    paren = "（%s）" if lang == "ja" else " (%s)"  # ja: full-width brackets, as in the headings
    assert f'<b>token_type_ids</b>{paren % TOKEN_TYPES[lang]}<br/>(None, None)"' in draw(bert, lang, "mermaid")
    # round 19 (en 6): position_ids is labelled an input like the others, in every language
    for model in (bert, load(FIXTURES / "hf" / "gpt2.json")):
        assert f'<b>position_ids</b>{paren % POSITION_IDS[lang]}<br/>(None, None)"' in draw(model, lang, "mermaid")
    text = render(bert, lang=lang, format="markdown")
    legend = text[text.index("```mermaid") - 800:text.index("```mermaid")]
    assert "`attention_mask`" in legend
    for other in (FIXTURES / "hf" / "gpt2.json", "example:seed-cnn"):
        doc = render(load(other), lang=lang, format="markdown")
        assert "`attention_mask`" not in doc[:doc.index("```mermaid")]


def test_a_layer_box_knows_what_its_embedding_looks_up():
    """T5's relative_attention_bias looks up buckets (its shape has no batch axis), GPT-2's wpe
    positions; the labels read it from the box, not by searching the model's nodes."""
    t5 = {b.name: b for b in build(load(FIXTURES / "hf" / "t5-small.json")).boxes}
    assert t5["encoder.block.0.layer.0.SelfAttention.relative_attention_bias"].indexes == "buckets"
    assert t5["relative_position_bucket"].kind == "input"
    assert t5["encoder.embed_tokens"].indexes is None
    gpt2 = {b.name: b for b in build(load(FIXTURES / "hf" / "gpt2.json")).boxes}
    assert gpt2["transformer.wpe"].indexes == "positions" and gpt2["transformer.wte"].indexes is None


@pytest.mark.parametrize("lang", ["de", "ja", "en"])
@pytest.mark.parametrize("source", ["hf/bert-base-uncased.json", "hf/gpt2.json", "hf/t5-small.json", "example:seed-cnn"])
def test_the_web_page_picture_fits_the_text_column(source, lang):
    """Round 19 (de): BERT's SVG was 1,427 px wide (min-width 1,141 px) in a text column of 52rem
    (832 px) and the picture scrolled sideways. The smallest the page may shrink it to (its
    inline min-width) fits the column; a long line wraps inside its box instead."""
    from explain.render.html import STYLE
    rem = float(re.search(r"main \{ max-width: ([\d.]+)rem", STYLE).group(1))
    model = load(source if source.startswith("example:") else FIXTURES / source)
    svg = draw(model, lang, "svg")
    assert int(re.search(r"min-width:(\d+)px", svg).group(1)) <= rem * 16
    # no name is cut: every layer's name stands whole on a line of its box
    from explain.render.draw.labels import Labels
    graph, labels = build(model), Labels(model, lang)
    names = [x.text for box in graph.boxes for x in labels.lines(box, graph) if x.kind == "name"]
    assert names and all(f">{name}</tspan>" in svg for name in names)


def test_the_mermaid_bar_labels_keep_their_no_break_spaces_as_they_are():
    """Round 19 (de 9): the raw Markdown read "dense (#60;#160;0,1 %)". A no-break space cannot end
    a label and renders as itself. Round 19 (de, fr, es): "#60;", Mermaid's only way to show "<"
    (mermaid 11.17, strict: a plain "<" or "&lt;" is drawn as the text "&lt;"), is unreadable in the
    Markdown source: a share under 0.1 % is said in words."""
    bars = pictures(load(FIXTURES / "hf" / "bert-base-uncased.json"), "de", "markdown")["bars"]
    assert '"embeddings.LayerNorm (unter 0,1\u202f%)"' in bars
    assert "#60;" not in bars
    assert "#160;" not in bars and "#8239;" not in bars


_MODELS = sorted([f"example:{n}" for n in ("seed-cnn", "lenet5", "mlp-symbolic", "cnn-symbolic")]
                 + [str(p) for d in ("specs", "hf", "keras", "exercise") for p in (FIXTURES / d).iterdir()
                    if p.suffix in (".yaml", ".json") and "expected" not in p.name])


@pytest.mark.parametrize("source", _MODELS, ids=lambda s: s.rsplit("/", 1)[-1])
def test_every_diagram_is_drawn_with_box_text_of_7pt(source):
    """Round 21 (ja): T5's diagram, its encoder and decoder side by side (25 cm), was scaled to the
    text width: box text 5pt (footnotesize's 8pt x 0.642). Every fixture's diagram and block detail
    is now drawn at 7pt or more in the PDF (8pt x its \\scalebox): a layout scaled below that gives
    way to the largest of the others, T5's parts one below the other. One exception: MobileNet's 31
    boxes (no stages found) in 2 columns of 16 rows, 5.6pt (4 columns of 8 drew them at 3.5pt). No
    picture is shrunk on the page below 7pt, nor below its drawn size where that is smaller (ja bert
    and gpt2 were shrunk under their introductions to 5.1 and 6.2pt: graph_min was 0.75 and, where
    45 % of the page was left, 0.5)."""
    model = load(source)
    for lang in ("en", "ja"):
        drawn = pictures(model, lang, "latex")
        sizes = []
        for tex in filter(None, (drawn["graph"], drawn["detail"])):
            scale = re.search(r"\\scalebox\{([\d.]+)\}\{%\n\\begin\{tikzpicture\}", tex)
            sizes.append(8 * (float(scale.group(1)) if scale else 1.0))
            assert sizes[-1] >= (5.6 if source.endswith("/MobileNet.json") else 7.0), (lang, sizes)
        assert sizes[0] * drawn["graph_min"] >= min(7.0, sizes[0]) - 0.01, (lang, drawn["graph_min"])
