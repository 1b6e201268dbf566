"""Round-12/13 reviewers' findings on the document frame, round 14: the stage table's column named
in quotes, the HTML pictures' accessible names."""
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
