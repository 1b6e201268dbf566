"""The embedding sum and the causal mask of the transformer documents, checked in the rendered
documents against transformers' modeling code (the forward pass, is_causal)."""
from __future__ import annotations

import inspect

import pytest

import explain
from tests.conftest import FIXTURES, require_module

LANGS = ("en", "de", "fr", "ja", "es")


def _md(source: str, lang: str = "en") -> str:
    from explain.render.documents import render_document
    return render_document("derivation", explain.load(FIXTURES / source), lang=lang, format="markdown")


@pytest.mark.parametrize("lang,said", [
    ("en", "The addition is written in the model's `forward` method; it is not a module of its own in PyTorch."),
    ("de", "Die Addition steht direkt in der Methode `forward` des Modells; in PyTorch ist sie kein eigenes Modul."),
    ("fr", "L’addition est écrite directement dans la méthode `forward` du modèle\u202f; ce n’est pas un module "
           "PyTorch à part entière."),
    ("ja", "この加算はモデルの `forward` メソッドの中に直接書かれており、PyTorch では独立したモジュールではありません。"),
    ("es", "La suma está escrita directamente en el método `forward` del modelo; en PyTorch no es un módulo propio."),
])
def test_gpt2_embedding_sum_is_written_in_the_forward_method(lang, said):
    """fr lecturer: 'a lieu dans la propagation avant' is true of every layer; what is meant is
    that GPT2Model.forward adds the two embeddings in its own code (no module does)."""
    transformers = require_module("transformers")
    source = inspect.getsource(transformers.models.gpt2.modeling_gpt2.GPT2Model.forward)
    assert "inputs_embeds + position_embeds" in source.replace("\n", " ")
    assert said in _md("hf/gpt2.json", lang)


def test_bert_embedding_sum_is_written_in_the_embeddings_forward():
    transformers = require_module("transformers")
    source = inspect.getsource(transformers.models.bert.modeling_bert.BertEmbeddings.forward)
    assert "token_type_embeddings" in source and "+" in source
    assert ("The addition is written in the `forward` method of the embeddings module; it is not a module "
            "of its own in PyTorch." in _md("hf/bert-base-uncased.json"))


MASK_DEFINED = {
    "en": "the causal mask, $-\\infty$ above the diagonal and 0 elsewhere",
    "de": "die oberhalb der Diagonale $-\\infty$ und sonst 0 ist",
    "fr": "le masque causal $M$ vaut $-\\infty$ au-dessus de la diagonale et 0 ailleurs",
    "ja": "$M$ は因果マスクで、対角より上が $-\\infty$、それ以外は 0",
    "es": "$M$ la máscara causal, que vale $-\\infty$ por encima de la diagonal y 0 en el resto",
}
CAUSAL = r"\operatorname{softmax}\bigl(Q K^{\top} / \sqrt{d_{h}} + M\bigr) V"


@pytest.mark.parametrize("lang", LANGS)
def test_causal_attention_adds_its_mask(lang):
    """fr lecturer: GPT2Attention and LlamaAttention are causal (is_causal), so each head's
    formula has the mask M, defined in the same sentence; BertSelfAttention is not, and keeps
    softmax(QKᵀ/√d_h)·V."""
    transformers = require_module("transformers")
    gpt2 = transformers.models.gpt2.modeling_gpt2
    llama = transformers.models.llama.modeling_llama
    bert = transformers.models.bert.modeling_bert
    assert gpt2.GPT2Attention(transformers.GPT2Config(n_embd=16, n_head=2), layer_idx=0).is_causal
    small = dict(hidden_size=16, num_attention_heads=2, num_hidden_layers=1, intermediate_size=32)
    assert llama.LlamaAttention(transformers.LlamaConfig(**small), layer_idx=0).is_causal
    assert not getattr(bert.BertSelfAttention(transformers.BertConfig(**small)), "is_causal", False)
    for source in ("hf/gpt2.json", "hf/llama-2-7b.json"):
        text = _md(source, lang)
        assert CAUSAL in text and MASK_DEFINED[lang] in text, source
    assert "+ M" not in _md("hf/bert-base-uncased.json", lang)
