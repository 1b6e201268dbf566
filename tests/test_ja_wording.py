"""Japanese wording, checked in the rendered ja documents: glossary terms, one counter per
sentence, the axes of T5's bias lookup, ranges written with the wave dash."""
from __future__ import annotations

import re

import pytest

from explain.exercise import read_spec
from explain.exercise.form import form_text
from explain.exercise.variants import make_variant
from tests.conftest import assert_wording, derivation_md


@pytest.mark.parametrize("source, present, absent", [
    # T5's relative_attention_bias output (q, k, H) (compute_bias), printed (None, None, 8): query positions, key positions, heads
    ("hf/t5-small.json", "出力 `(None, None, 8)` の軸は、クエリの位置、キーの位置、ヘッドの順です。バッチの軸はありません。",
     "クエリ数、キー数"),
    # t5-small by hand: shared, relative_attention_bias in encoder.block.0 and decoder.block.0,
    # 6 + 6 blocks, encoder.final_layer_norm and decoder.final_layer_norm, lm_head tied to shared
    ("hf/t5-small.json", "このモデルは、埋め込み層 1 個、相対位置バイアスの表 2 個、エンコーダブロック 6 個、デコーダブロック 6 個、"
     "最後の正規化層 2 個（エンコーダとデコーダの末尾に 1 個ずつ）、LM ヘッドからなります。"
     "概要表の `encoder.block` と `decoder.block` の行は、それぞれ順に適用される $L = 6$ 個のブロックをまとめた"
     "ものです。モデルの入力は表に含めていません。", "積み重ね"),
    # GPT-2's c_attn: each head takes one of the equal parts (d/H outputs), not "one output each";
    # 等分 once (round 18)
    ("hf/gpt2.json", "出力はヘッド数で等分されて各ヘッドに割り当てられるので", "各ヘッドが 1 つずつ受け持つ"),
    # one name for GPT-2's and T5's masked self-attention, as the GPT-2 block intro says it
    ("hf/gpt2.json", "因果マスク付きセルフアテンションでは、各ヘッドが自分の受け持つ部分について", "マスク付き（因果的）"),
    ("hf/t5-small.json", "因果マスク付きセルフアテンションの各ヘッドは、", "マスク付き（因果的）"),
    ("example:lenet5", "動径基底関数（RBF）ユニットで構成されています。", "でできています"),
    # review 37: the layer is the subject, its type spaced as 「Transformer ブロック」
    ("example:lenet5", "Flatten 層（平坦化）は、", "平坦化（Flatten層）"),
    ("example:lenet5", "## パラメータが占めるメモリ", "## パラメータのメモリ"),
])
def test_ja_glossary_terms_and_counters(source, present, absent):
    assert_wording(derivation_md(source, "ja"), present, absent)


def test_answer_form_names_the_number_fields():
    """The comment covers every number asked (parameters, and MACs where a sheet asks them); the
    working goes on the sheet, which grades it (計算の過程も採点の対象になります), as the de file says."""
    text = form_text(make_variant(read_spec("example:lenet5")), ("shapes", "params"), None, "ja")
    assert "# 数を答える欄には数値で書いてください。計算の過程は、答案として提出する演習問題に書き込んでください（採点の対象になります）。" in text
    assert "用紙" not in text  # the 問題用紙 is never graded (review 26 ja, 5); the sheet is 演習問題 (GLOSSARY.md)
    assert "添えてもかまいません" not in text
    assert "個数は" not in text


def test_japanese_ranges_take_the_wave_dash():
    """ja reviewer: Japanese writes a range with ～ in the diagram, the stage table, the
    prose and the headings alike (ResNet50: conv1 is layers 1 to 4 (conv1_pad, conv1_conv, conv1_bn,
    conv1_relu), conv2_x layers 7 to 38 (three blocks after pool1_pad and pool1_pool)); a stage is a
    run of blocks with the same number of output channels (stages() keys a run on output_shape[-1])."""
    text = derivation_md("keras/ResNet50.json", "ja")
    assert "（層 1～4）" in text or "(層 1～4)" in text
    assert "| `conv2_x` | 7～38 | 3 |" in text
    assert "`conv2_x`～`conv5_x` のブロックは" in text
    assert "出力チャネル数が同じブロックが連続する区間" in text
    assert not re.search(r"[0-9`]–[0-9`]", text)


@pytest.mark.parametrize("source, present, absent", [
    # T5 counts relative_attention_bias as rows of their own (encoder.block.0…, decoder.block.0…); one word, 表
    ("hf/t5-small.json", "相対位置バイアスの表は別に数えます。", "テーブルです"),
    # a derivation section's 「この行は」 reads as "this line of text"
    ("hf/gpt2.json", "この段階では、トークン埋め込みと位置埋め込みを要素ごとに足し合わせます。", "この行は"),
])
def test_ja_ranges_use_the_wave_dash(source, present, absent):
    assert_wording(derivation_md(source, "ja"), present, absent)


def test_bert_parts_name_the_normalization_layer():
    """bert-base-uncased (BertModel's modules, by hand): word, position and token type embeddings,
    embeddings.LayerNorm, the 12 layers of encoder.layer, the pooler; a layer is 正規化層, as ln_f is."""
    assert "このモデルは、埋め込み層 3 個、埋め込みの正規化層、Transformer ブロック 12 個、プーラーからなります。" in \
        derivation_md("hf/bert-base-uncased.json", "ja")
