"""Per-head sentences of the decoder families beyond GPT-2, Llama and BERT (Gemma 1/2/3, Phi,
Phi-3, GPT-NeoX, Falcon), each checked against the attention class of the installed transformers:
its scaling, soft-capping, causality, key/value heads and sliding window."""
from __future__ import annotations

import importlib
import inspect
import json

import pytest

import explain
from explain.render.documents import render_document
from tests.conftest import require_module

transformers = require_module("transformers")

LANGS = ("en", "de", "fr", "ja", "es")
SMALL = dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, intermediate_size=96, vocab_size=100)
SDPA_H_CAUSAL = r"\operatorname{softmax}\bigl(Q K^{\top} / \sqrt{d_{h}} + M\bigr) V"
SDPA_S_CAUSAL = r"\operatorname{softmax}\bigl(Q K^{\top} / \sqrt{s} + M\bigr) V"
SOFTCAP = r"\operatorname{softmax}\bigl(c \tanh\bigl(Q K^{\top} / (c \sqrt{s})\bigr) + M\bigr) V"
SPLIT = "The heads split the width $d$ among themselves, $d_{h} = d/H$, so the number of heads does not change the count."
WINDOW = "for the keys a query may not attend to (later positions and, in a layer with a sliding window"


def _md(tmp_path, config, arch: str, lang: str = "en") -> str:
    path = tmp_path / f"{arch}.json"
    path.write_text(json.dumps({**config.to_dict(), "architectures": [arch]}))
    return render_document("derivation", explain.load(path), lang=lang, format="markdown")


def _modeling(name: str):
    return importlib.import_module(f"transformers.models.{name}.modeling_{name}")


@pytest.mark.parametrize("lang", LANGS)
def test_gemma2_divides_by_query_pre_attn_scalar_and_soft_caps(tmp_path, lang):
    """Gemma2Attention: scaling = query_pre_attn_scalar**-0.5 (here 36, not d_h = 16), the
    scores soft-capped as c·tanh(x/c) with c = attn_logit_softcapping (50.0 by default), causal,
    a sliding window on every other layer."""
    config = transformers.Gemma2Config(**SMALL, num_key_value_heads=4, head_dim=16, query_pre_attn_scalar=36)
    attention = _modeling("gemma2").Gemma2Attention(config, layer_idx=0)
    assert attention.scaling == pytest.approx(36 ** -0.5) and attention.is_causal
    assert attention.attn_logit_softcapping == 50.0 and attention.sliding_window == config.sliding_window
    source = inspect.getsource(_modeling("gemma2").eager_attention_forward)
    assert "attn_weights / softcap" in source and "torch.tanh(attn_weights)" in source
    text = _md(tmp_path, config, "Gemma2ForCausalLM", lang)
    assert SOFTCAP in text and "`query_pre_attn_scalar`" in text and "`attn_logit_softcapping`" in text
    assert SDPA_H_CAUSAL not in text and SDPA_S_CAUSAL not in text
    if lang == "en":
        assert WINDOW in text


def test_gemma3_has_no_soft_capping_by_default(tmp_path):
    config = transformers.Gemma3TextConfig(**SMALL, num_key_value_heads=2, head_dim=16)
    attention = _modeling("gemma3").Gemma3Attention(config, layer_idx=0)
    assert attention.attn_logit_softcapping is None and attention.is_causal
    assert attention.scaling == pytest.approx(config.query_pre_attn_scalar ** -0.5)
    text = _md(tmp_path, config, "Gemma3ForCausalLM")
    assert SDPA_S_CAUSAL in text and SOFTCAP not in text and WINDOW in text


def test_gemma1_head_dim_from_the_config(tmp_path):
    """GemmaAttention scales by head_dim**-0.5 where H·head_dim (4·16) is not d (48): no 'split' sentence."""
    config = transformers.GemmaConfig(**{**SMALL, "hidden_size": 48}, num_key_value_heads=4, head_dim=16)
    attention = _modeling("gemma").GemmaAttention(config, layer_idx=0)
    assert attention.scaling == pytest.approx(16 ** -0.5) and attention.is_causal
    text = _md(tmp_path, config, "GemmaForCausalLM")
    assert (f"Each head computes ${SDPA_H_CAUSAL}$, $d_{{h}}$ being the head size and $M$ the causal mask, "
            "$-\\infty$ above the diagonal and 0 elsewhere") in text
    assert "d_{h} = d/H" not in text


@pytest.mark.parametrize("family,config_class,attention_class,arch", [
    ("phi", "PhiConfig", "PhiAttention", "PhiForCausalLM"),
    ("phi3", "Phi3Config", "Phi3Attention", "Phi3ForCausalLM"),
    ("gpt_neox", "GPTNeoXConfig", "GPTNeoXAttention", "GPTNeoXForCausalLM"),
])
def test_phi_and_neox_heads_split_d(tmp_path, family, config_class, attention_class, arch):
    """Phi, Phi-3 and GPT-NeoX scale by head_dim**-0.5 with head_dim = d/H, causal: the heads
    split d. Phi-3's sliding_window (here 32) applies to every layer."""
    window = {"sliding_window": 32} if family == "phi3" else {}
    config = getattr(transformers, config_class)(**SMALL, **window)
    attention = getattr(_modeling(family), attention_class)(config, layer_idx=0)
    assert attention.scaling == pytest.approx(16 ** -0.5) and attention.is_causal
    text = _md(tmp_path, config, arch)
    assert SPLIT in text and SDPA_H_CAUSAL in text
    if family == "phi3":
        assert "create_causal_mask if self.config.sliding_window is None else create_sliding_window_causal_mask" in inspect.getsource(_modeling(family))
        assert WINDOW in text
    else:
        assert WINDOW not in text
    for lang in LANGS[1:]:
        assert SDPA_H_CAUSAL in _md(tmp_path, config, arch, lang), lang


def test_falcon_multi_query_grouped_and_alibi(tmp_path):
    """FalconAttention divides by √head_dim; multi_query: one key/value head for all; the new
    architecture's num_kv_heads: groups; ALiBi adds a bias per head, so no sentence is said."""
    falcon = _modeling("falcon")
    mqa = transformers.FalconConfig(**SMALL)
    attention = falcon.FalconAttention(mqa)
    assert attention.num_kv_heads == 1 and attention.is_causal
    assert attention.inv_norm_factor == pytest.approx(16 ** -0.5)
    text = _md(tmp_path, mqa, "FalconForCausalLM")
    assert (f"Each query head computes ${SDPA_H_CAUSAL}$ with the keys and values of the one key/value head "
            "all query heads share") in text
    gqa = transformers.FalconConfig(**SMALL, new_decoder_architecture=True, num_kv_heads=2)
    assert falcon.FalconAttention(gqa).num_kv_heads == 2
    assert "with the keys and values of the key/value head its group shares" in _md(tmp_path, gqa, "FalconForCausalLM")
    alibi = transformers.FalconConfig(**SMALL, alibi=True, multi_query=False, parallel_attn=False)
    assert "alibi" in inspect.getsource(falcon.FalconAttention.forward)
    assert "+ M" not in _md(tmp_path, alibi, "FalconForCausalLM")


def test_cross_attention_layer_says_no_causal_mask():
    """Mllama's cross-attention layer attends to the image: MllamaTextCrossAttention is not causal,
    so the GQA head sentence (with its causal mask M) is not said there."""
    mllama = _modeling("mllama")
    assert not getattr(mllama.MllamaTextCrossAttention, "is_causal", False)
    from explain.layers.hf_mllama import MllamaCrossAttentionDecoderLayer
    layer = MllamaCrossAttentionDecoderLayer(hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
                                             head_dim=16, intermediate_size=96)
    assert layer.attention_notes() == ("gqa_kv_heads",)


@pytest.mark.parametrize("lang", ("en", "ja"))
def test_memory_and_mask_have_symbols_of_their_own(lang):
    """With --count memory, GPT-2's document used M for the causal mask and for the model states'
    bytes (M = 16·P): the mask keeps the textbook M, the states are M_states."""
    from explain.render import render
    from tests.conftest import FIXTURES
    text = render(explain.load(FIXTURES / "hf/gpt2.json"), lang=lang, format="markdown",
                  count=("params", "compute", "memory"))
    assert r"M_{\text{states}} = 16 \cdot P = 16 \times 124{,}439{,}808" in text
    assert r"$M_{\text{states}} + A$" in text and "$M + A$" not in text
    assert r"+ M\bigr) V" in text and "\nM = " not in text


def test_rotary_sentence_follows_the_rotated_fraction(tmp_path):
    """GPTNeoXAttention rotates the first rotary_ndims = head_size·partial_rotary_factor (0.25 by
    default) components; Phi-3's factor is 1.0 by default (the whole head), Falcon's RoPE the whole head."""
    neox = transformers.GPTNeoXConfig(**SMALL)
    assert neox.rope_parameters["partial_rotary_factor"] == 0.25
    assert _modeling("gpt_neox").GPTNeoXAttention(neox, layer_idx=0).rotary_ndims == 4
    assert "q_rot, q_pass = q[..., :rotary_dim], q[..., rotary_dim:]" in inspect.getsource(_modeling("gpt_neox"))
    partial = "rotates pairs of components in the first part of each query and key head, the fraction `partial_rotary_factor`"
    assert partial in _md(tmp_path, neox, "GPTNeoXForCausalLM")
    whole = "rotates each pair of components of the queries and the keys"
    phi3 = transformers.Phi3Config(**SMALL)
    assert phi3.rope_parameters["partial_rotary_factor"] == 1.0
    assert whole in _md(tmp_path, phi3, "Phi3ForCausalLM")
    phi3_partial = transformers.Phi3Config(**SMALL, rope_parameters={"rope_type": "default", "rope_theta": 1e4,
                                                                   "partial_rotary_factor": 0.75})
    assert partial in _md(tmp_path, phi3_partial, "Phi3ForCausalLM")
    assert whole in _md(tmp_path, transformers.FalconConfig(**SMALL), "FalconForCausalLM")


KEPT = ("The configuration sets `use_bidirectional_attention: true`, but `{cls}`, the {family} model class in "
        "transformers, still builds the causal mask $M$, which hides the later positions from each query")


def _sees_later_positions(model, tokens: int = 5, **inputs) -> bool:
    """Whether the first position's output changes with a later token: not causal."""
    import torch
    ids = torch.arange(1, tokens + 1).unsqueeze(0) % 50
    later = ids.clone()
    later[0, -2] = 9
    with torch.no_grad():
        a, b = (model(x, **inputs).last_hidden_state[0, 0] for x in (ids, later))
    return not torch.allclose(a, b)


@pytest.mark.parametrize("family,config_class,model_class,arch", [
    ("gemma", "GemmaConfig", "GemmaModel", "GemmaForCausalLM"),
    ("gemma2", "Gemma2Config", "Gemma2Model", "Gemma2ForCausalLM"),
])
def test_bidirectional_flag_keeps_the_causal_mask_in_gemma1_and_2(tmp_path, family, config_class, model_class, arch):
    """GemmaModel and Gemma2Model still build the causal mask with use_bidirectional_attention;
    the flag only sets the attention's is_causal to False: eager and flex attention (and SDPA on a
    batch with padding) stay causal, SDPA without padding (Gemma 1) attends to later positions, and
    the model has the same parameters with or without the flag. The head sentence stays, with the
    note that says so; s is printed (Gemma 2: 36)."""
    import torch
    torch.manual_seed(0)
    extra = {"query_pre_attn_scalar": 36} if family == "gemma2" else {}
    config = getattr(transformers, config_class)(**SMALL, num_key_value_heads=4, head_dim=16,
                                                 use_bidirectional_attention=True, **extra)
    source = inspect.getsource(_modeling(family))
    assert "create_causal_mask(" in source and "or_mask_function" not in source
    model = getattr(transformers, model_class)(config.__class__(**{**config.to_dict(), "attn_implementation": "eager"})).eval()
    assert not model.layers[0].self_attn.is_causal
    assert not _sees_later_positions(model)
    # flex attention gets the causal BlockMask (on 16+ tokens: CPU flex is unreliable on fewer)
    flex = getattr(transformers, model_class)(config.__class__(**{**config.to_dict(), "attn_implementation": "flex_attention"})).eval()
    assert not _sees_later_positions(flex, tokens=32)
    plain = getattr(transformers, model_class)(config.__class__(**{**config.to_dict(), "use_bidirectional_attention": False}))
    assert sum(p.numel() for p in model.parameters()) == sum(p.numel() for p in plain.parameters())
    if family == "gemma":
        sdpa = getattr(transformers, model_class)(config.__class__(**{**config.to_dict(), "attn_implementation": "sdpa"})).eval()
        assert _sees_later_positions(sdpa)
        assert not _sees_later_positions(sdpa, attention_mask=torch.tensor([[1, 1, 1, 1, 0]]))
    else:  # Gemma2Model has no SDPA path (softcapping): the note must not name one
        assert getattr(transformers, model_class)._supports_sdpa is False
    text = _md(tmp_path, config, arch)
    kept = KEPT.format(cls=model_class, family={"gemma": "Gemma", "gemma2": "Gemma 2"}[family])
    if family == "gemma2":  # review 31: the setting first, then which implementations get the mask
        kept = kept.split("but ", 1)[1]
    same = {"gemma": "The number of parameters is the same either way.",
            "gemma2": "The number of parameters is the same with or without the setting."}[family]
    assert kept in text and "+ M" in text and same in text
    assert "the setting only sets the attention's `is_causal` to `False`" in text
    assert ("SDPA on a batch without padding" in text) == (family == "gemma") and "only FlashAttention" in text
    assert ("Eager and flex attention therefore stay causal" in text) == (family == "gemma")
    assert ("For eager attention (the default; Gemma 2 does not support SDPA) and flex attention" in text) \
        == (family == "gemma2")
    assert ("Gemma 2 does not support SDPA" in text) == (family == "gemma2")
    assert kept not in _md(tmp_path, config.__class__(**{**config.to_dict(), "use_bidirectional_attention": False}), arch)
    if family == "gemma2":
        assert "`query_pre_attn_scalar` (here 36)" in text
    for lang in LANGS[1:]:
        assert "`use_bidirectional_attention: true`" in _md(tmp_path, config, arch, lang), lang


def test_gemma3_prints_query_pre_attn_scalar(tmp_path):
    """Gemma 3 27B's s = 168 (hidden 5376 / 32 heads) is not its head_dim 128: the sentence prints it."""
    config = transformers.Gemma3TextConfig(**SMALL, num_key_value_heads=2, head_dim=16, query_pre_attn_scalar=24)
    attention = _modeling("gemma3").Gemma3Attention(config, layer_idx=0)
    assert attention.scaling == pytest.approx(24 ** -0.5) and attention.head_dim == 16
    assert "`query_pre_attn_scalar` (here 24)" in _md(tmp_path, config, "Gemma3ForCausalLM")
    assert "`query_pre_attn_scalar` の値（ここでは 24）" in _md(tmp_path, config, "Gemma3ForCausalLM", "ja")


def test_bidirectional_gemma3_says_no_causal_mask(tmp_path):
    """Gemma3Attention.is_causal is not use_bidirectional_attention: such a config has no causal
    mask, so the head sentence (which defines M as one) is not said."""
    config = transformers.Gemma3TextConfig(**SMALL, num_key_value_heads=2, head_dim=16,
                                           use_bidirectional_attention=True)
    assert not _modeling("gemma3").Gemma3Attention(config, layer_idx=0).is_causal
    model = transformers.Gemma3TextModel(config.__class__(**{**config.to_dict(), "attn_implementation": "eager"})).eval()
    assert _sees_later_positions(model)
    text = _md(tmp_path, config, "Gemma3ForCausalLM")
    assert WINDOW not in text and "still builds the causal mask" not in text


@pytest.mark.parametrize("window", (6, 7))
def test_bidirectional_gemma3_head_sentence_states_transformers_window(tmp_path, window):
    """Gemma 3 with use_bidirectional_attention: read from the eager mask transformers builds (12
    tokens, config file with sliding_window = w), a sliding layer keeps exactly the keys with
    |q − k| ≤ ⌊w/2⌋, so its widest row has 2⌊w/2⌋ + 1 keys, and a full layer masks nothing; the
    flag leaves the parameters unchanged. The head sentence says these numbers in every language."""
    import torch
    data = transformers.Gemma3TextConfig(**dict(SMALL, num_hidden_layers=7), num_key_value_heads=2, head_dim=16,
                                         use_bidirectional_attention=True).to_dict()
    data.update(sliding_window=window, architectures=["Gemma3ForCausalLM"])
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    config = transformers.Gemma3TextConfig.from_json_file(str(path))
    config._attn_implementation = "eager"
    net = _modeling("gemma3").Gemma3TextModel(config).eval()
    masks: dict[int, object] = {}

    def keep(module, args, kwargs):
        mask = kwargs["attention_mask"][0, 0]
        masks[module.self_attn.layer_idx] = mask if mask.dtype == torch.bool else mask == 0

    for layer in net.layers:
        layer.register_forward_pre_hook(keep, with_kwargs=True)
    with torch.no_grad():
        net(torch.zeros(1, 12, dtype=torch.long))
    assert config.layer_types[0] == "sliding_attention" and config.layer_types[5] == "full_attention"
    sliding, full = masks[0], masks[5]
    half = window // 2
    assert all(bool(sliding[q, k]) == (abs(q - k) <= half) for q in range(12) for k in range(12))
    assert bool(full.all()) and int(sliding.sum(1).max()) == 2 * half + 1
    plain = transformers.Gemma3TextConfig(**{**config.to_dict(), "use_bidirectional_attention": False})
    assert sum(p.numel() for p in net.parameters()) == sum(
        p.numel() for p in _modeling("gemma3").Gemma3TextModel(plain).parameters())
    assert config.sliding_window == half + 1  # the loaded config holds ⌊w/2⌋ + 1, not the file's w (review 29)
    # "a key is kept only if its distance from the query is less than that number"
    assert all(bool(sliding[q, k]) == (abs(q - k) < config.sliding_window) for q in range(12) for k in range(12))
    numbers = (f"$w = {window}$", rf"$\lfloor w/2 \rfloor = {half}$", rf"$2 \cdot \lfloor w/2 \rfloor + 1 = {2 * half + 1}$",
               rf"$\lfloor w/2 \rfloor + 1 = {half + 1}$")
    for lang in LANGS:
        text = render_document("derivation", explain.load(path), lang=lang, format="markdown")
        assert SDPA_S_CAUSAL in text and "`Gemma3TextModel`" in text and WINDOW not in text, lang
        assert all(n in text for n in numbers), lang
    text = render_document("derivation", explain.load(path), lang="en", format="markdown")
    assert (rf"$M$ is $-\infty$ for the keys more than $\lfloor w/2 \rfloor = {half}$ positions before or after "
            "the query and 0 elsewhere") in text
    # review 31 (en 8, fr 5, ja 5, es 4): "an exclusive bound" is jargon; the rule in plain words
    assert ("(the configuration file's `sliding_window`; transformers stores "
            rf"$\lfloor w/2 \rfloor + 1 = {half + 1}$ in the configuration it loads, and a key is kept only "
            "if its distance from the query is less than that number)") in text
    assert "exclusive" not in text
    assert "in a layer without the window $M$ is 0 everywhere" in text
    assert "the number of parameters is the same with or without the setting" in text


def test_gemma2_flag_note_names_implementations_and_the_later_positions(tmp_path):
    """es: eager and flex are implementations of the attention, not kinds of it; ja: the causal
    mask hides the positions after each query (より後), and no double 付き (review 29 es 3, ja 4, 5)."""
    config = transformers.Gemma2Config(**SMALL, num_key_value_heads=4, head_dim=16, query_pre_attn_scalar=36,
                                       use_bidirectional_attention=True)
    es = _md(tmp_path, config, "Gemma2ForCausalLM", "es")
    assert ("Con las implementaciones «eager» (la predeterminada; Gemma 2 no admite SDPA) y «flex», "
            "`Gemma2Model`") in es and "así que la atención sigue siendo causal" in es
    ja = _md(tmp_path, config, "Gemma2ForCausalLM", "ja")
    assert "各クエリより後の位置を隠す" in ja and "から後の位置" not in ja
    assert "マスク付きスケール付き" not in ja


def test_gemma2_flag_note_says_flash_attentions_two_sided_window():
    """FlashAttention takes causality from is_causal (False with the flag) and, for a sequence longer
    than the window, gets window_size (w − 1, w − 1) from transformers: up to w − 1 positions before
    and after each query; with no padding the mask it is given is None (review 31 en 3, de 5, fr 3,
    ja 4, es 4)."""
    torch = require_module("torch")
    from transformers.modeling_flash_attention_utils import _process_flash_attention_kwargs
    from transformers.masking_utils import flash_attention_mask
    from collections import defaultdict
    kwargs = _process_flash_attention_kwargs(query_length=10, key_length=10, is_causal=False, sliding_window=4,
                                             supports_mapping=defaultdict(bool, window_size=True))
    assert kwargs["causal"] is False and kwargs["window_size"] == (3, 3)
    assert flash_attention_mask(1, 10, 10, attention_mask=torch.ones(1, 10, dtype=torch.bool)) is None
    from explain.render import messages
    text = messages.NOTES["gemma2_bidirectional_mask_kept"]
    assert ("In a layer with a sliding window, FlashAttention then applies the window on both sides: a query sees "
            "up to one position fewer than the configuration's") in text
