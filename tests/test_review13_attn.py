"""Round-12 reviewers' findings on the transformer documents (gpt2, bert, mha), round 13: the
equal sizes of a grouped line as separate formulas, the summary sentence, BERT's first token and
GPT-2's causal mask."""
from __future__ import annotations

import pytest

import explain
from tests.conftest import FIXTURES, require_module


def _render(source: str, lang: str = "en", fmt: str = "markdown") -> str:
    from explain.render.documents import render_document
    return render_document("derivation", explain.load(FIXTURES / source), lang=lang, format=fmt)


@pytest.mark.parametrize("lang,joined", [("en", " and "), ("de", " und "), ("fr", " et "), ("es", " y "),
                                         ("ja", " かつ ")])
def test_mha_equal_sizes_are_two_formulas_joined_by_and(lang, joined):
    """MultiHeadAttention(num_heads=2, key_dim=16) on x of 32 features: E_q = E_k = E_v = E_out = 32
    and d_k = d_v = 16, 4·32·2·16 + 3·2·16 + 32 = 4,224 (Keras). A comma between the two equalities
    inside one formula reads as a decimal comma in de/fr/es; the two are separate formulas."""
    keras = require_module("keras")
    x = keras.Input((16, 32))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16)
    layer(x, x)
    assert layer.count_params() == 4 * 32 * 2 * 16 + 3 * 2 * 16 + 32 == 4224
    from explain.render.view import RAGGED_BREAK
    for fmt in ("markdown", "latex"):
        text = _render("specs/mha_small.yaml", lang, fmt)
        if fmt == "latex":  # each equality in one piece (round 16: a line ended after its "=")
            assert (r"E_{\text{out}} = 32$}" + joined + RAGGED_BREAK + r"\mbox{$d_{k} = d_{v} = 16$}") in text, lang
            assert RAGGED_BREAK + r"\mbox{$E_{q} = E_{k} = E_{v} = E_{\text{out}} = 32$}" in text, lang
        else:
            assert r"E_{\text{out}} = 32$" + joined + "$d_{k} = d_{v} = 16$" in text, (lang, fmt)
        assert r"32,\ d_{k}" not in text
    if lang == "en":
        assert ("The line $4 \\times 32 \\times 2 \\times 16 + 3 \\times 2 \\times 16 + 32$ collects like terms"
                in _render("specs/mha_small.yaml"))


@pytest.mark.parametrize("source,parts", [
    ("hf/gpt2.json", "two embedding layers, twelve transformer blocks, a final normalization and the LM head"),
    ("hf/bert-base-uncased.json", "three embedding layers, a normalization of the embeddings, twelve transformer blocks and "
                                  "the pooler")])
def test_summary_sentence_does_not_count_inputs_that_are_not_rows(source, parts):
    """GPT-2: wte, wpe, h (12 blocks), ln_f, lm_head tied to wte; BERT: word, position and token-type
    embeddings, their LayerNorm, the encoder stack (12 layers), the pooler — by hand from the modules of
    GPT2LMHeadModel and BertModel; the weightless steps (the sum, the first token) are no parts. The
    table has no input rows at all."""
    text = _render(source)
    assert f"The model consists of {parts}." in text
    assert "; the model's inputs are not listed." in text
    assert "not counting the inputs" not in text
    de = _render(source, "de")
    assert "die Eingaben des Modells stehen nicht darin." in de


def test_bert_first_token_is_the_vector_of_cls_not_the_token():
    """BertPooler takes hidden_states[:, 0] (the vector of [CLS]); the sentence says the vector is that
    of the token, not the token itself."""
    transformers = require_module("transformers")
    import inspect
    assert "hidden_states[:, 0]" in inspect.getsource(transformers.models.bert.modeling_bert.BertPooler.forward)
    text = _render("hf/bert-base-uncased.json")
    assert ("For every sequence this step keeps only the vector at the first position, that of the "
            "classification token `[CLS]`, whose vector serves as a summary of the whole input for "
            "classification (BERT's pre-training trains it for this through next-sentence prediction); "
            "the sequence axis is dropped.") in text
    de = _render("hf/bert-base-uncased.json", "de")
    assert ("also den des Klassifikationstokens `[CLS]`; die Sequenzachse entfällt. Dieser Vektor dient als "
            "Zusammenfassung der gesamten Eingabe für die Klassifikation (das Vortraining von BERT trainiert "
            "ihn dafür mit der Aufgabe Next Sentence Prediction).") in de
    assert "darauf ausgerichtet" not in de
    assert "dessen Vektor" not in de


@pytest.mark.parametrize("lang,phrase", [
    ("en", "First, `ln_1` and masked (causal) self-attention: each position attends only to itself and "
           "earlier positions;"),
    ("de", "Der erste Teil ist die maskierte (kausale) Self-Attention nach `ln_1`, bei der jede Position "
           "nur sich selbst und frühere Positionen berücksichtigt"),
    ("fr", "auto-attention masquée (causale\u00a0: chaque position ne voit qu’elle-même et les positions "
           "précédentes)"),
    ("es", "en la que cada posición solo atiende a sí misma y a las posiciones anteriores"),
    ("ja", "因果マスク付きセルフアテンション（causal self-attention）です。各位置は自分自身とそれより前の位置だけに注意を向けます。")])
def test_gpt2_mask_is_causal(lang, phrase):
    """GPT-2's attention is causal: transformers' GPT2Attention has is_causal = True (each position sees
    itself and the earlier ones)."""
    transformers = require_module("transformers")
    cfg = transformers.GPT2Config(n_embd=16, n_head=2, n_layer=1)
    assert transformers.models.gpt2.modeling_gpt2.GPT2Attention(cfg).is_causal is True
    text = _render("hf/gpt2.json", lang)
    assert phrase in text, lang
    if lang == "de":
        assert "Der zweite Teil ist das Feed-Forward-Netz `mlp` nach `ln_2`" in text
