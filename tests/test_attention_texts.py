"""The sentences of the transformer and attention layers say what the real modules do
(issues 12, 18: lecture notes a lecturer publishes unchanged)."""
from __future__ import annotations

from tests.conftest import require_module

from explain.layers import _texts
from explain.render import messages
from explain.render.i18n import translations

LANGS = ("de", "fr", "ja", "es")


def _translated(msgid: str) -> bool:
    return all(translations(lang).gettext(msgid) != msgid for lang in LANGS)


def test_layer_normalization_gives_each_positions_features_mean_0_and_variance_1():
    """torch.nn.LayerNorm(8) on (batch, positions, 8): the 8 features at each position come out with
    mean 0 and variance 1; the sentence says that, not the circular 'over the normalized axes'."""
    torch = require_module("torch")
    x = torch.randn(2, 3, 8) * 5 + 3
    y = torch.nn.LayerNorm(8, elementwise_affine=False)(x)
    assert torch.allclose(y.mean(-1), torch.zeros(2, 3), atol=1e-5)
    assert torch.allclose(y.var(-1, unbiased=False), torch.ones(2, 3), atol=1e-3)
    english = messages.english(_texts.LAYER_NORM)
    assert "mean 0 and variance 1" in english and "separately at each position" in english
    assert "normalized axes" not in english
    wanted = {"de": "Mittelwert 0 und Varianz 1", "fr": "variance égale à 1", "ja": "平均 0・分散 1",
              "es": "media 0 y varianza 1"}
    for lang, words in wanted.items():
        s = translations(lang).gettext(_texts.LAYER_NORM)
        assert words in s and "ormalized axes" not in s, (lang, s)
    # the architecture's name is capitalized as in the other sentences (fr, es)
    assert "un Transformer" in translations("fr").gettext(_texts.LAYER_NORM)
    assert "un Transformer" in translations("es").gettext(_texts.LAYER_NORM)


def test_gpt2_block_is_pre_norm_ln_1_before_attention_ln_2_before_mlp():
    """transformers' GPT2Block calls ln_1, attn, ln_2, mlp in this order: each layer normalization
    comes before its part (pre-norm), which the sentence says, as BERT's says post-norm."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    cfg = transformers.GPT2Config(n_embd=16, n_layer=1, n_head=2, n_positions=8, vocab_size=11)
    block = transformers.GPT2Model(cfg).h[0].eval()
    order: list[str] = []
    for name in ("ln_1", "attn", "ln_2", "mlp"):
        getattr(block, name).register_forward_hook(lambda m, i, o, name=name: order.append(name))
    with torch.no_grad():
        block(torch.randn(1, 4, 16))
    assert order == ["ln_1", "attn", "ln_2", "mlp"]
    english = messages.english(_texts.GPT2_BLOCK)
    assert ("with a layer normalization before it (pre-norm) and a residual connection around it. First, ln_1 "
            "and masked (causal) self-attention: each position attends only to itself and earlier positions") in english
    assert "Second, ln_2 and the feed-forward network mlp" in english
    assert "(post-norm)" in messages.english(_texts.BERT_BLOCK)
    assert "Pre-Norm" in translations("de").gettext(_texts.GPT2_BLOCK)
    assert _translated(_texts.GPT2_BLOCK)


def test_rope_turns_each_pair_by_its_own_fixed_frequency():
    """LlamaRotaryEmbedding has no parameters, and its inverse frequencies differ from pair to pair:
    the angle depends on the position and on the pair, not on the position only."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding
    cfg = transformers.LlamaConfig(hidden_size=32, num_attention_heads=2, num_hidden_layers=1,
                                   intermediate_size=64, vocab_size=11)
    rope = LlamaRotaryEmbedding(cfg)
    assert sum(p.numel() for p in rope.parameters()) == 0
    inv_freq = rope.inv_freq
    assert inv_freq.numel() == 16 // 2 and len(set(inv_freq.tolist())) == 8  # one frequency per pair
    cos, _ = rope(torch.zeros(1, 3, 32), torch.arange(3)[None])
    assert not torch.allclose(cos[0, 1, 0], cos[0, 1, 1])  # same position, two pairs: two angles
    note = messages.english(messages.NOTES["rope_no_parameters"])
    assert "each pair of components" in note and "depend only on the position" not in note
    assert _translated(messages.NOTES["rope_no_parameters"])


def test_gpt2_dropout_sentence_gives_the_true_reason_it_is_not_a_row():
    """The sum row has no weights either and is listed: drop is left out because it has no weights
    AND keeps the shape (es reviewer, round 12: 'no weights, so not listed' is a false reason)."""
    english = messages.english(_texts.ADD_TOKEN_POSITION_DROPOUT)
    assert ("The dropout layer drop that follows it has none either and does not change the shape, so "
            "the summary table leaves it out.") in english
    assert "which is why" not in english


def test_round8_wording_of_the_catalogs():
    """de: 'es handelt sich also um Self-Attention', no 'L = 12-mal'; fr: Llama's gated feed-forward
    network without the clumsy apposition; ja: T5 blocks name their parts in the main clause."""
    de = translations("de").gettext
    for msgid in (_texts.INPUTS_QUERY_VALUE_SELF,):
        assert "handelt es sich um Self-Attention" in de(msgid)
    repeated = "The block is repeated %(repeat)s times, each time with weights of its own:"
    assert "-mal" not in de(repeated) % {"repeat": "L = 12"}
    assert "réseau à propagation avant à porte" in translations("fr").gettext(_texts.LLAMA_BLOCK)
    ja = translations("ja").gettext
    assert ja(_texts.T5_ENCODER_BLOCK).startswith("T5 のエンコーダブロックは 2 つの部分からなり、")
    assert ja(_texts.T5_DECODER_BLOCK).startswith("T5 のデコーダブロックは 3 つの部分からなり、")


def _load(config) -> object:
    import json

    from explain.importers.hf_config import load_hf_config
    raw = json.loads(config.to_json_string(use_diff=False))
    raw["architectures"] = [type(config).__name__.replace("Config", "Model")]
    return load_hf_config(raw, "config.json")


def _explanation(model, suffix: str) -> str:
    from explain.derivation import derive
    step = next(s for s in derive(model).steps if s.node.name.endswith(suffix))
    return step.explanation


_SMALL = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32,
          "vocab_size": 11, "max_position_embeddings": 8}


def test_bert_pooler_takes_the_cls_token_in_bertpooler_forward(tmp_path):
    """BertTokenizer puts [CLS] first; BertPooler computes tanh(dense(hidden_states[:, 0])): the
    row names [CLS] and BertPooler. RoBERTa's first token is <s>: its row does not say [CLS]."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n")
    tok = transformers.BertTokenizer(str(vocab))
    assert tok("hello")["input_ids"][0] == tok.convert_tokens_to_ids("[CLS]")
    cfg = transformers.BertConfig(**_SMALL)
    hf = transformers.BertModel(cfg).eval()
    assert type(hf.pooler).__name__ == "BertPooler"
    h = torch.randn(2, 5, 16)
    with torch.no_grad():
        assert torch.allclose(hf.pooler(h), torch.tanh(hf.pooler.dense(h[:, 0])))
    text = _explanation(_load(cfg), "first_token")
    assert text == _texts.FIRST_TOKEN_BERT_POOLER
    english = messages.english(text)
    assert "the classification token [CLS]" in english and "pooler (BertPooler)" in english
    assert "or the classification head" not in english
    assert _translated(text)
    roberta = transformers.RobertaConfig(**{**_SMALL, "max_position_embeddings": 10})
    assert _explanation(_load(roberta), "first_token") == _texts.FIRST_TOKEN
    assert "Er hat keine Gewichte" not in translations("de").gettext(_texts.FIRST_TOKEN)


def test_bert_embeddings_dropout_follows_the_layer_norm_and_has_no_weights():
    """BertEmbeddings: the sum, then LayerNorm, then dropout (no weights): the sum's row says so,
    as GPT-2's says it of transformer.drop."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    emb = transformers.BertModel(transformers.BertConfig(**_SMALL)).embeddings.train()
    order: list[str] = []
    for name in ("LayerNorm", "dropout"):
        getattr(emb, name).register_forward_hook(lambda m, i, o, name=name: order.append(name))
    emb(input_ids=torch.zeros(1, 4, dtype=torch.long))
    assert order == ["LayerNorm", "dropout"]
    assert sum(p.numel() for p in emb.dropout.parameters()) == 0
    text = _explanation(_load(transformers.BertConfig(**_SMALL)), "embeddings.sum")
    assert text == _texts.ADD_EMBEDDINGS_DROPOUT
    assert ("It has no weights. The embeddings' dropout layer (dropout, applied after the layer "
            "normalization) has none either and does not change the shape, so the summary table leaves "
            "it out." in messages.english(text))
    assert _translated(text)


def test_t5_buckets_are_not_called_b_which_is_the_batch():
    """T5Attention.relative_attention_bias is an Embedding(num_buckets, H); its symbol is N_b, since
    B is the batch size of the memory section. None marks any axis of unfixed size: T5's bias has
    (None, None, H), queries and keys."""
    require_module("torch")
    transformers = require_module("transformers")
    from explain import load
    from explain.render import render_document
    from tests.conftest import FIXTURES
    cfg = transformers.T5Config(d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2, vocab_size=11,
                                relative_attention_num_buckets=8)
    attn = transformers.T5Model(cfg).encoder.block[0].layer[0].SelfAttention
    assert tuple(attn.relative_attention_bias.weight.shape) == (8, 2)
    assert tuple(attn.compute_bias(3, 5).shape) == (1, 2, 3, 5)  # (heads, queries, keys): no batch axis
    model = load(str(FIXTURES / "hf" / "t5-small.json"))
    text = render_document("derivation", model, lang="en", format="markdown")
    assert "- $N_{b} = 32$: number of relative-position buckets" in text
    assert "$B = 32$" not in text and "B \\cdot H" not in text
    assert "where `None` marks an axis whose size is not fixed: here the batch size and the sequence length" in text


def test_de_never_hyphenates_a_formula_to_a_noun_and_ja_explains_the_lm_head():
    """de: '$V \\times d$-Matrix' breaks at the hyphen in LaTeX; the sizes follow 'Matrix der Größe'.
    ja: the LM head is explained where the document first names it (the tied or untied note)."""
    import re
    de = translations("de")
    for key in ("tied_head", "untied_head"):
        assert "言語モデルヘッド" in translations("ja").gettext(messages.MODEL_NOTES[key])
    for msgid in de._catalog:  # type: ignore[attr-defined]
        if isinstance(msgid, str) and msgid:
            assert not re.search(r"\)s-(Matri|Projektion)", de.gettext(msgid)), msgid


def test_a_list_of_inputs_breaks_after_a_comma_not_inside_a_name(tmp_path):
    """BERT's embeddings.sum takes three inputs; justified, the line stretched its spaces and broke
    'embeddings.' / 'token_type_embeddings' (round-8 reviewers). Ragged right, it breaks after a comma."""
    import re
    import subprocess

    from explain import load
    from explain.render import render
    from tests.conftest import FIXTURES
    from tests.render_helpers import compile_latex, require_tool
    require_tool("lualatex")
    tex = render(load(str(FIXTURES / "hf" / "bert-base-uncased.json")), lang="en", format="latex")
    pdf = compile_latex(tex, tmp_path, "doc")
    text = subprocess.run([require_tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    start = text.index("Its inputs:")
    lines = [re.sub(" +", " ", line).strip() for line in text[start:].split("\n")[:3]]
    assert lines[0].endswith(","), lines
    assert "embeddings.token_type_embeddings." in " ".join(lines[:2]).split(", ")[-1], lines
