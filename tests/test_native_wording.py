"""Native wording in fr, de, es and ja, checked in the rendered documents: full sentences, the
words a lecturer of each language writes (answer file, shared weights, T5's norms)."""
from __future__ import annotations

import pytest

import explain
from explain.exercise import read_spec
from explain.exercise.form import form_text
from explain.exercise.variants import make_variant
from tests.conftest import FIXTURES


def _md(source: str, lang: str) -> str:
    from explain.render.documents import render_document
    model = explain.load(source if source.startswith("example:") else FIXTURES / source)
    return render_document("derivation", model, lang=lang, format="markdown")


@pytest.mark.parametrize("source, lang, present, absent", [
    # a sentence with a verb, in every language that had none
    ("hf/gpt2.json", "fr", "C’est une couche de plongement, comme la couche 1 (`transformer.wte`).",
     "Une couche de plongement comme"),
    ("hf/gpt2.json", "de", "Wie Schicht 1 (`transformer.wte`) ist auch diese eine Embedding-Schicht.",
     "Eine Embedding-Schicht wie"),
    ("hf/gpt2.json", "es", "Es una capa de incrustación, como la capa 1 (`transformer.wte`).",
     "capa de embedding"),  # round 19: one name for the layer (glossed at its first mention)
    ("hf/gpt2.json", "fr", "ils ne sont comptés qu’une fois, dans cette couche-là.", "ils comptent une fois"),
    # the average pooling of this variant has no parameters, the original's subsampling has 12 + 32
    ("example:lenet5", "de", "12 Parameter in S2 und 32 in S4; das Average-Pooling der hier gezeigten "
     "Variante hat dagegen keine.", "während das Average-Pooling"),
    # like terms, as Spanish algebra says it
    ("specs/mha_small.yaml", "es", "agrupa los términos semejantes", "términos iguales"),
    ("specs/mha_small.yaml", "fr", "regroupe les termes semblables", "termes égaux"),
    ("specs/mha_small.yaml", "de", "fasst gleichartige Terme zusammen", "gleiche Terme"),
    ("specs/mha_small.yaml", "ja", "同類項をまとめています", "等しい項"),
    # the parenthesis belongs to the attention computation, not to "does not divide"
    ("hf/t5-small.json", "ja", "この計算には、相対位置バイアスの表を除いてパラメータはありません。なお、T5 はスコアを "
     "$\\sqrt{d_{\\text{kv}}}$ で割りません。", "割りません（"),
    ("specs/mha_small.yaml", "ja", "（Functional API で作ったモデルでは、", "関数型モデル"),
])
def test_native_sentences(source, lang, present, absent):
    text = _md(source, lang)
    assert present in text
    assert absent not in text


@pytest.mark.parametrize("lang, present, absent", [
    ("fr", "de la feuille\u202f; pour un vecteur de longueur n, écrivez (n,).", "sous la forme (n,)"),
    # round 19 (de): as the sheet's „Bewertet wird auch der Rechenweg“, not „gern auch mit Rechenweg“
    ("de", "# Geben Sie jede Anzahl als Zahl an; den Rechenweg schreiben Sie auf das Blatt (er wird mitbewertet).",
     "gern auch"),
    # round 26: every language's file says what its sheet says (the working is graded)
    ("en", "# Write each count as a number; show your working on the sheet (it is graded).", "if you like"),
    ("fr", "# Écrivez chaque nombre en chiffres\u202f; indiquez votre démarche sur la feuille (elle est notée).",
     "si vous le souhaitez"),
    ("es", "# Escriba cada cantidad como un número; el cálculo va en la hoja (también se califica).", "si lo desea"),
    ("de", "wie die Eingabeform (32, 32, 1) auf dem Blatt; einen Vektor der Länge n schreiben Sie als (n,).",
     "auf dem Blatt, einen Vektor"),
    # the field, not the two keys, says which exercise was answered; the sheet is 演習問題 (GLOSSARY.md),
    # not 問題用紙 (never graded in Japanese practice, review 26 ja, 5) nor the clunky 演習問題の用紙 (review 27 ja)
    ("ja", "# 'variant' と 'model' の欄は変更しないでください。どの問題に解答したかを示す欄です。", "示すものです"),
    ("ja", "演習問題に示された入力の形状 (32, 32, 1) と同じ書き方で", "用紙"),
])
def test_answer_file_says_it_as_the_sheet_does(lang, present, absent):
    text = form_text(make_variant(read_spec("example:lenet5")), ("shapes", "params"), None, lang)
    assert present in text and absent not in text


def test_shared_weights_are_counted_once_in_german():
    from explain.render.i18n import translations
    de = translations("de").gettext("Tied or shared weights (%(layers)s) count once: %(extra)s were "
                                    "counted twice.")
    assert de.startswith("Geteilte (gekoppelte) Gewichte (%(layers)s) werden nur einmal gezählt:")


def test_one_tensor_as_query_and_value_is_named_once():
    """keras MultiHeadAttention called as layer(x, x): the tensor is named once; called with two
    tensors (query q, value kv), each is named with its role."""
    fr = _md("specs/mha_small.yaml", "fr")
    assert ("La couche est appelée avec `x` comme requête et comme valeur\u202f; la clé n’est pas donnée et vaut "
            "par défaut la valeur. Requête, clé et valeur étant le même tenseur, il s’agit d’une "
            "auto-attention.") in fr
    from explain.render.documents import render_document
    cross = {"name": "cross", "inputs": {"q": [4, 8], "kv": [6, 8]}, "layers": [
        {"MultiHeadAttention": {"name": "att", "num_heads": 2, "key_dim": 4, "inputs": ["q", "kv"]}}]}
    es = render_document("derivation", explain.load(cross), lang="es", format="markdown")
    assert "se le pasan `q` como consulta y `kv` como valor; la clave no se pasa" in es


@pytest.mark.parametrize("lang, said", [
    ("en", "two final normalizations (one at the end of the encoder, one at the end of the decoder)"),
    ("de", "zwei abschließenden Normalisierungen (je eine am Ende des Encoders und des Decoders)"),
    ("fr", "deux normalisations finales (une à la fin de l’encodeur, une à la fin du décodeur)"),
    ("es", "dos normalizaciones finales (una al final del codificador y otra al final del decodificador)"),
    ("ja", "最後の正規化層 2 個（エンコーダとデコーダの末尾に 1 個ずつ）"),
])
def test_t5_final_norms_are_named_by_their_stack(lang, said):
    """t5-small: encoder.final_layer_norm after the encoder's blocks, decoder.final_layer_norm after
    the decoder's (T5Stack.forward applies final_layer_norm after its blocks)."""
    import json
    t5 = json.loads((FIXTURES / "hf/t5-small.json").read_text())
    assert t5["is_encoder_decoder"] and t5["num_layers"] == t5.get("num_decoder_layers", 6) == 6
    assert said in _md("hf/t5-small.json", lang)
