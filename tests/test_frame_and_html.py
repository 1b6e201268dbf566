"""The document frame and its HTML: the stage table's column named in quotes, the pictures'
accessible names, Japanese line breaking, jump links and the chart's values."""
from __future__ import annotations

import re

import pytest

import explain
from tests.conftest import FIXTURES, require_module


def _render(source: str, lang: str = "en", fmt: str = "markdown") -> str:
    from explain.render.documents import render_document
    model = explain.load(source if source.startswith("example:") else FIXTURES / source)
    return render_document("derivation", model, lang=lang, format=fmt)


@pytest.mark.parametrize("lang,quoted", [("de", "die Spalte „Blöcke“ gibt"), ("fr", "la colonne «\u00a0Blocs\u00a0» donne"),
                                         ("es", "la columna «Bloques» indica"), ("ja", "「ブロック数」の列")])
def test_stage_table_column_is_named_in_quotes(lang, quoted):
    """ja/de reviewers: the column's name bare in the sentence (die Spalte Blöcke gibt …) reads as
    prose; it is quoted as the language quotes a label."""
    text = _render("keras/MobileNetV2.json", lang)
    assert quoted in text


def _labels(page: str) -> list[str]:
    return re.findall(r'<svg [^>]*aria-label="([^"]*)"', page)


@pytest.mark.parametrize("lang,graph,bars", [
    ("en", "Architecture of the model seed_cnn", "Share of each layer in the parameters of the model seed_cnn, in percent"),
    ("de", "Architektur des Modells seed_cnn", "Anteil jeder Schicht an den Parametern des Modells seed_cnn in Prozent"),
    ("ja", "モデル seed_cnn のアーキテクチャ", "モデル seed_cnn のパラメータに占める各層の割合（パーセント）"),
    ("fr", "Architecture du modèle seed_cnn", "Part de chaque couche dans les paramètres du modèle seed_cnn, en pourcentage"),
    ("es", "Arquitectura del modelo seed_cnn",
     "Proporción de los parámetros del modelo seed_cnn que corresponde a cada capa, en porcentaje")])
def test_html_pictures_have_descriptive_accessible_names(lang, graph, bars):
    """de reviewer: aria-label="seed_cnn" says nothing to a screen reader's user; the picture and the
    chart say what they show. seed_cnn has no block, so its chart's bars are layers only."""
    require_module("latex2mathml")
    assert _labels(_render("example:seed-cnn", lang, "html")) == [graph, bars]


def test_resnet50_block_picture_and_block_bars_are_named_as_such():
    """ResNet-50: the second picture is the block conv2_block1 layer by layer; folded stages are bars."""
    require_module("latex2mathml")
    assert _labels(_render("keras/ResNet50.json", "en", "html")) == [
        "Architecture of the model resnet50", "Layers of the block conv2_block1",
        "Share of each layer or block in the parameters of the model resnet50, in percent"]


def test_resnet50_html_folds_the_per_layer_table_under_the_stage_table():
    """ja reviewer: the 176-row summary table fills many screens, while the stage table already gives
    the overview; on the page it is folded (one row per layer of the Keras config, its InputLayer
    not among them), and printed in full. A model without stages keeps its table open."""
    require_module("latex2mathml")
    import json
    layers = json.loads((FIXTURES / "keras" / "ResNet50.json").read_text())["config"]["layers"]
    rows = sum(layer["class_name"] != "InputLayer" for layer in layers)
    assert rows == 176
    page = _render("keras/ResNet50.json", "en", "html")
    folded = page[page.index(">Summary</h2>"):]
    assert folded.startswith(f">Summary</h2>\n<details><summary>The summary table, {rows} rows: click to show it"
                             '</summary>\n<div class="table"><table>')
    table = folded[:folded.index("</details>")]
    assert table.count("<tr>") == rows + 1 and table.endswith("</table>\n</div>\n")
    assert page.count("<details>") == 1  # the stage table stays open
    assert re.search(r"@media print \{[^@]*details::details-content \{ content-visibility: visible;", page)
    ja = _render("keras/ResNet50.json", "ja", "html")
    assert f"<summary>概要の表（{rows} 行）：クリックすると表示します</summary>" in ja
    assert "<details>" not in _render("example:seed-cnn", "en", "html")


@pytest.mark.parametrize("lang,quote", [("en", "“{}”"), ("de", "„{}“"), ("ja", "「{}」"), ("fr", "«\u00a0{}\u00a0»"),
                                        ("es", "«{}»")])
def test_the_introduction_names_the_compute_and_memory_sections_that_follow(lang, quote):
    """es reviewer: the title announces compute and memory, the introduction spoke of layers and
    inputs only. The sentence names the sections by their headings, and only those the document has."""
    from explain.render.documents import render_document
    model = explain.load("example:seed-cnn")
    text = render_document("derivation", model, lang=lang, format="markdown", count=("params", "compute", "memory"))
    headings = re.findall(r"^## (.*)$", text, re.M)
    intro = text[:text.index("\n## ")]
    compute, memory = headings[-2:]  # the last two sections: compute, then training memory
    assert quote.format(compute) in intro and quote.format(memory) in intro
    only_memory = render_document("derivation", model, lang=lang, format="markdown", count=("params", "memory"))
    intro = only_memory[:only_memory.index("\n## ")]
    assert quote.format(memory) in intro and quote.format(compute) not in intro
    plain = _render("example:seed-cnn", lang)
    assert quote.format(memory) not in plain and quote.format(compute) not in plain
    if lang == "en":
        assert compute == "Compute" and memory == "Training memory"


def test_japanese_page_keeps_small_kana_and_stops_off_a_lines_start():
    """ja reviewer: 「どのウ／ィンドウにも」 — Chromium's line-break: normal lets ィ start a
    line; strict (JIS X 4051 kinsoku) does not, nor 。 or 、."""
    require_module("latex2mathml")
    page = _render("example:seed-cnn", "ja", "html")
    assert re.search(r"html:lang\(ja\) body \{[^}]*line-break: strict;", page)


def test_a_wide_picture_shrinks_to_four_fifths_then_scrolls_and_prints_whole():
    """GPT-2's picture ran past the text's column; BERT's (1,630 px) shrunk into it would set its
    12-px text at 6 px: it shrinks to 0.8 at most (its inline min-width) and scrolls beyond, and on
    paper it shrinks to the page."""
    require_module("latex2mathml")
    page = _render("hf/bert-base-uncased.json", "en", "html")
    width = int(re.search(r'<svg [^>]*class="model-graph"[^>]*width="(\d+)"', page)[1])
    assert f"min-width:{int(width * 4 / 5)}px" in page
    assert re.search(r"@media print \{[^@]*figure\.picture svg \{ min-width: 0 !important; \}", page)
    assert "50vw" not in page


@pytest.mark.parametrize("lang,title", [("en", "Contents"), ("de", "Inhalt"), ("ja", "目次"), ("fr", "Sommaire"),
                                        ("es", "Índice")])
def test_html_page_links_to_its_sections_before_the_first(lang, title):
    """de/ja reviewers: a 176-layer page needs jump links to Summary, Distribution,
    Derivation, Total. Every section heading has an id and one link, in order, before the first."""
    require_module("latex2mathml")
    page = _render("keras/ResNet50.json", lang, "html")
    nav = page[page.index('<nav class="contents"'):page.index("</nav>")]
    assert f'aria-label="{title}"><p>{title}</p>' in nav
    headings = re.findall(r'<h2 id="([^"]+)">(.*?)</h2>', page)
    assert len(headings) == len(re.findall(r"<h2[ >]", page)) >= 6
    assert re.findall(r'<li><a href="#([^"]+)">(.*?)</a></li>', nav) == headings
    assert page.index("</nav>") < page.index("<h2")
    assert re.search(r"@media print \{[^@]*nav\.contents \{ display: none; \}", page)


def test_markdown_chart_names_carry_the_shares_in_the_readers_format():
    """de reviewer: Mermaid's xychart shows no values, so in rendered Markdown the small
    bars looked missing and no share was readable; each name carries its share. seed_cnn by hand:
    dense_1 = (19·19·32)·512 + 512 = 5,915,136 of 896 + 5·9,248 + 5,915,136 + 65,664 + 1,161 =
    6,029,097 parameters, 98.1 %; dense_2 65,664 → 1.1 %; conv2d_1 896 → 0.015 %, under 0.1 %."""
    from explain.render.draw import pictures
    assert 896 + 5 * 9248 + (19 * 19 * 32) * 512 + 512 + 65664 + 1161 == 6029097
    model = explain.load("example:seed-cnn")
    en = pictures(model, "en", "markdown")["bars"]
    assert '"dense_1 (98.1%)", "dense_2 (1.1%)"' in en and '"conv2d_1 (under 0.1%)"' in en
    de = pictures(model, "de", "markdown")["bars"]
    assert '"dense_1 (98,1\u202f%)"' in de


def test_japanese_frame_wording():
    """ja reviewer: a box's count reads 「パラメータ数 896」, not the caption fragment
    「パラメータ 896 個」 (conv2d_1: 3·3·3·32 + 32 = 896); the stem's names are listed with 、; the
    block's picture has a subject (「下の図は」); the stage column 「ステージ／部位」."""
    from explain.render.draw import draw
    assert 3 * 3 * 3 * 32 + 32 == 896
    assert "パラメータ数 896" in draw(explain.load("example:seed-cnn"), lang="ja")
    text = _render("keras/ResNet50.json", "ja")
    assert "ステム（`conv1`、`pool1`）またはヘッド（`avg_pool`、`predictions`）" in text
    assert "下の図は、モデルのブロックの例として、ブロック `conv2_block1` を層ごとに描いたものです。" in text
    assert "| ステージ／部位 |" in text
    assert "ステム（`conv1`, `pool1`）" not in text
    assert "stem (`conv1`, `pool1`)" in _render("keras/ResNet50.json")


def test_japanese_hf_opening_says_what_the_table_does():
    """ja reviewer: 「下の概要表は 6 行です」 reads like tool output; the opening says
    what GPT2LMHeadModel consists of (wte and wpe, the 12 blocks of h, ln_f, lm_head tied to wte)."""
    text = _render("hf/gpt2.json", "ja")
    assert ("このモデルは、埋め込み層 2 個、Transformer ブロック 12 個、最後の正規化層、LM ヘッド"
            "からなります。概要表の `transformer.h` の行は、順に適用される $L = 12$ 個のブロックをまとめたものです。"
            "モデルの入力は表に含めていません。") in text
    assert "下の概要表は 6 行です" not in text


@pytest.mark.parametrize("lang,lead", [
    ("en", "The figure below shows the block `conv2_block1` layer by layer, as an example of the model's blocks; the arrows"),
    ("de", "Das folgende Diagramm zeigt den Block `conv2_block1` Schicht für Schicht, als Beispiel für die Blöcke des Modells; die Pfeile"),
    ("fr", "Le schéma ci-dessous représente le bloc `conv2_block1` couche par couche, comme exemple des blocs du modèle\u202f; les flèches"),
    ("es", "La figura de abajo muestra el bloque `conv2_block1` capa por capa, como ejemplo de los bloques del modelo; las flechas"),
    ("ja", "下の図は、モデルのブロックの例として、ブロック `conv2_block1` を層ごとに描いたものです。矢印で")])
def test_block_picture_lead_in_is_a_sentence(lang, lead):
    """de/ja reviewers: „Der Block … Schicht für Schicht gezeichnet, …“ has no finite verb
    (nor had the en, fr, es sentences); the picture follows the sentence in Markdown and PDF."""
    text = _render("keras/ResNet50.json", lang)
    assert lead in text
    assert text.index(lead) < text.index("```mermaid", text.index(lead))
