"""Closed forms of more Hugging Face families against transformers: each config (the family's
default size and a small one, tied and untied heads where the family allows both) is built by
transformers on the meta device, and its parameter count is the expected total. For mixtures of
experts the active parameters per token are derived here by hand from the built model: the total
minus, in every MoE layer, the (n − k) experts a token is not routed to. Each closed form's
``total_formula`` reads back and gives the total."""
from __future__ import annotations

import json
import re
import sys
from functools import cache

import pytest
import sympy

from explain.cli import main
from explain.importers.hf_config import load_hf_config
from tests.conftest import require_module

SMALL = dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
             intermediate_size=96, vocab_size=100)
MOE = dict(moe_intermediate_size=24, num_experts_per_tok=2, vocab_size=100, hidden_size=64,
           num_attention_heads=4, num_key_value_heads=2, intermediate_size=96)
DEEPSEEK = dict(num_hidden_layers=4, first_k_dense_replace=1, hidden_size=64, num_attention_heads=4,
                num_key_value_heads=4, intermediate_size=96, moe_intermediate_size=24, n_routed_experts=8,
                n_shared_experts=1, num_experts_per_tok=2, n_group=2, topk_group=1, q_lora_rank=32,
                kv_lora_rank=16, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16, vocab_size=100)

BERT = dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, intermediate_size=96, vocab_size=100,
            max_position_embeddings=40, type_vocab_size=1)
BART = dict(d_model=64, encoder_layers=2, decoder_layers=2, encoder_ffn_dim=96, decoder_ffn_dim=96,
            encoder_attention_heads=4, decoder_attention_heads=4, vocab_size=100, max_position_embeddings=40)
WHISPER = dict(d_model=64, encoder_layers=2, decoder_layers=2, encoder_ffn_dim=96, decoder_ffn_dim=96,
               encoder_attention_heads=4, decoder_attention_heads=4, vocab_size=100, num_mel_bins=20,
               max_source_positions=30, max_target_positions=20, pad_token_id=0, bos_token_id=0,
               eos_token_id=0, decoder_start_token_id=1)
LLAVA_TEXT = dict(model_type="llama", num_hidden_layers=2, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
                  intermediate_size=96, vocab_size=120)
VISION = dict(hidden_size=48, num_hidden_layers=2, num_attention_heads=4, intermediate_size=80, image_size=32,
              patch_size=8)
CLIP_VISION = dict(VISION, model_type="clip_vision_model")
SIGLIP_VISION = dict(VISION, model_type="siglip_vision_model")
LLAVA = dict(text_config=LLAVA_TEXT, vision_config=CLIP_VISION, image_token_index=100)
GEMMA3 = dict(text_config=dict(SMALL, vocab_size=300, head_dim=16), vision_config=SIGLIP_VISION, mm_tokens_per_image=4,
              image_token_index=100, boi_token_index=101, eoi_token_index=102)
PALIGEMMA = dict(text_config=dict(SMALL, model_type="gemma", vocab_size=300, head_dim=16),
                 vision_config=dict(SIGLIP_VISION, vision_use_head=False), projection_dim=64, image_token_index=100)
SIGLIP = dict(text_config=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96,
                               vocab_size=100, max_position_embeddings=16, bos_token_id=0, eos_token_id=1),
              vision_config=VISION)
QWEN2VL = dict(text_config=dict(SMALL), vision_config=dict(depth=2, embed_dim=32, hidden_size=64, num_heads=4,
                                                           patch_size=4, mlp_ratio=2))
MLLAMA = dict(text_config=dict(SMALL, num_hidden_layers=5, cross_attention_layers=[1, 3], pad_token_id=0, bos_token_id=1,
                              eos_token_id=2),
              vision_config=dict(num_hidden_layers=3, num_global_layers=2, hidden_size=32, attention_heads=4,
                                 intermediate_size=48, image_size=16, patch_size=4, intermediate_layers_indices=[0, 2],
                                 vision_output_dim=96, max_num_tiles=4), image_token_index=99)
T5 = dict(num_layers=2, d_model=64, num_heads=4, d_kv=8, d_ff=96, vocab_size=100, relative_attention_num_buckets=16)

CASES = [
    # (config class, kwargs, architecture); {} is the family's default size
    ("Gemma2Config", {}, "Gemma2ForCausalLM"),
    ("Gemma2Config", {**SMALL, "head_dim": 16}, "Gemma2ForCausalLM"),
    ("Gemma2Config", {**SMALL, "head_dim": 16, "tie_word_embeddings": False}, "Gemma2ForCausalLM"),
    ("Gemma2Config", {**SMALL, "num_labels": 3}, "Gemma2ForSequenceClassification"),
    ("Gemma3TextConfig", {}, "Gemma3ForCausalLM"),
    ("Gemma3TextConfig", {**SMALL, "head_dim": 24}, "Gemma3ForCausalLM"),
    ("Gemma3TextConfig", {**SMALL, "tie_word_embeddings": False}, "Gemma3ForCausalLM"),
    ("Gemma3TextConfig", SMALL, "Gemma3TextModel"),
    ("PhiConfig", {}, "PhiForCausalLM"),
    ("PhiConfig", {**SMALL, "num_key_value_heads": 4}, "PhiForCausalLM"),
    ("PhiConfig", {**SMALL, "qk_layernorm": True, "tie_word_embeddings": True}, "PhiForCausalLM"),
    ("PhiConfig", {**SMALL, "num_labels": 4}, "PhiForTokenClassification"),
    ("Phi3Config", {}, "Phi3ForCausalLM"),
    ("Phi3Config", {**SMALL, "pad_token_id": 0}, "Phi3ForCausalLM"),
    ("Phi3Config", {**SMALL, "pad_token_id": 0, "tie_word_embeddings": True}, "Phi3ForCausalLM"),
    ("Phi3Config", {**SMALL, "pad_token_id": 0}, "Phi3Model"),
    ("Olmo2Config", {}, "Olmo2ForCausalLM"),
    ("Olmo2Config", {**SMALL, "pad_token_id": 0}, "Olmo2ForCausalLM"),
    ("Olmo2Config", {**SMALL, "pad_token_id": 0, "tie_word_embeddings": True}, "Olmo2ForCausalLM"),
    ("GPTNeoXConfig", {}, "GPTNeoXForCausalLM"),
    ("GPTNeoXConfig", {**SMALL, "intermediate_size": 256}, "GPTNeoXForCausalLM"),
    ("GPTNeoXConfig", {**SMALL, "tie_word_embeddings": True, "attention_bias": False}, "GPTNeoXForCausalLM"),
    ("GPTNeoXConfig", {**SMALL, "num_labels": 3}, "GPTNeoXForSequenceClassification"),
    ("GPTNeoXConfig", {**SMALL, "num_labels": 3}, "GPTNeoXForTokenClassification"),
    ("FalconConfig", {}, "FalconForCausalLM"),
    ("FalconConfig", dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, vocab_size=100),
     "FalconForCausalLM"),  # multi-query, parallel attention, tied
    ("FalconConfig", dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, vocab_size=100,
                          new_decoder_architecture=True, num_kv_heads=2, bias=True, tie_word_embeddings=False),
     "FalconForCausalLM"),
    ("FalconConfig", dict(num_hidden_layers=2, hidden_size=64, num_attention_heads=4, vocab_size=100,
                          parallel_attn=False, multi_query=False, ffn_hidden_size=100), "FalconModel"),
    ("Qwen2MoeConfig", {}, "Qwen2MoeForCausalLM"),
    ("Qwen2MoeConfig", {**MOE, "num_hidden_layers": 2, "num_experts": 6, "shared_expert_intermediate_size": 40},
     "Qwen2MoeForCausalLM"),
    ("Qwen2MoeConfig", {**MOE, "num_hidden_layers": 4, "num_experts": 6, "shared_expert_intermediate_size": 40,
                        "mlp_only_layers": [1], "tie_word_embeddings": True}, "Qwen2MoeForCausalLM"),
    ("Qwen2MoeConfig", {**MOE, "num_hidden_layers": 4, "num_experts": 6, "shared_expert_intermediate_size": 40,
                        "decoder_sparse_step": 2}, "Qwen2MoeModel"),
    ("Qwen3MoeConfig", {}, "Qwen3MoeForCausalLM"),
    ("Qwen3MoeConfig", {**MOE, "num_hidden_layers": 2, "num_experts": 6}, "Qwen3MoeForCausalLM"),
    ("Qwen3MoeConfig", {**MOE, "num_hidden_layers": 2, "num_experts": 6, "tie_word_embeddings": True,
                        "head_dim": 24}, "Qwen3MoeForCausalLM"),
    ("DeepseekV3Config", {}, "DeepseekV3ForCausalLM"),
    ("DeepseekV3Config", DEEPSEEK, "DeepseekV3ForCausalLM"),
    ("DeepseekV3Config", {**DEEPSEEK, "tie_word_embeddings": True, "first_k_dense_replace": 0,
                          "q_lora_rank": None, "n_shared_experts": 2}, "DeepseekV3ForCausalLM"),
    ("DeepseekV3Config", {**DEEPSEEK, "num_labels": 3}, "DeepseekV3ForSequenceClassification"),
    ("MixtralConfig", {**SMALL, "num_local_experts": 5, "num_experts_per_tok": 3}, "MixtralForCausalLM"),
    # the first eleven families (tests/test_hf_config.py has their small sizes and heads) at their
    # default sizes, and the tied heads that test leaves out
    ("GPT2Config", {}, "GPT2LMHeadModel"),
    ("BertConfig", {}, "BertForMaskedLM"),
    ("RobertaConfig", {}, "RobertaForMaskedLM"),
    ("DistilBertConfig", {}, "DistilBertForMaskedLM"),
    ("LlamaConfig", {}, "LlamaForCausalLM"),
    ("MistralConfig", {}, "MistralForCausalLM"),
    ("MistralConfig", {**SMALL, "tie_word_embeddings": True}, "MistralForCausalLM"),
    ("Qwen2Config", {}, "Qwen2ForCausalLM"),
    ("GemmaConfig", {}, "GemmaForCausalLM"),
    ("Qwen3Config", {}, "Qwen3ForCausalLM"),
    ("MixtralConfig", {}, "MixtralForCausalLM"),
    ("MixtralConfig", {**SMALL, "num_local_experts": 4, "tie_word_embeddings": True}, "MixtralForCausalLM"),
    ("T5Config", {}, "T5ForConditionalGeneration"),
    ("XLMRobertaConfig", {}, "XLMRobertaForMaskedLM"),
    ("XLMRobertaConfig", BERT, "XLMRobertaForMaskedLM"),
    ("XLMRobertaConfig", {**BERT, "tie_word_embeddings": False}, "XLMRobertaForMaskedLM"),
    ("XLMRobertaConfig", {**BERT, "num_labels": 3}, "XLMRobertaForSequenceClassification"),
    ("XLMRobertaConfig", BERT, "XLMRobertaModel"),
    ("MT5Config", {}, "MT5ForConditionalGeneration"),
    ("MT5Config", T5, "MT5ForConditionalGeneration"),
    ("MT5Config", {**T5, "tie_word_embeddings": True, "num_decoder_layers": 3}, "MT5ForConditionalGeneration"),
    ("MT5Config", T5, "MT5EncoderModel"),
    ("AlbertConfig", {}, "AlbertForMaskedLM"),
    ("AlbertConfig", {}, "AlbertForPreTraining"),
    ("AlbertConfig", {**BERT, "embedding_size": 16, "tie_word_embeddings": False}, "AlbertForMaskedLM"),
    ("AlbertConfig", {**BERT, "embedding_size": 16, "num_hidden_layers": 4, "num_hidden_groups": 2,
                      "num_labels": 3}, "AlbertForSequenceClassification"),
    ("AlbertConfig", {**BERT, "embedding_size": 16}, "AlbertModel"),
    ("ElectraConfig", {}, "ElectraForPreTraining"),
    ("ElectraConfig", {}, "ElectraForMaskedLM"),
    ("ElectraConfig", {**BERT, "embedding_size": 64, "tie_word_embeddings": False}, "ElectraForMaskedLM"),
    ("ElectraConfig", {**BERT, "embedding_size": 32, "num_labels": 3}, "ElectraForSequenceClassification"),
    ("ElectraConfig", {**BERT, "embedding_size": 32}, "ElectraModel"),
    ("BartConfig", {}, "BartForConditionalGeneration"),
    ("BartConfig", BART, "BartForConditionalGeneration"),
    ("BartConfig", {**BART, "tie_word_embeddings": False, "decoder_layers": 3, "decoder_ffn_dim": 80},
     "BartForConditionalGeneration"),
    ("BartConfig", {**BART, "num_labels": 3}, "BartForSequenceClassification"),
    ("BartConfig", BART, "BartModel"),
    ("ViTConfig", {}, "ViTForImageClassification"),
    ("ViTConfig", {}, "ViTModel"),
    ("ViTConfig", dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96,
                       image_size=32, patch_size=8, num_channels=1, qkv_bias=False, num_labels=10),
     "ViTForImageClassification"),
    ("WhisperConfig", {}, "WhisperForConditionalGeneration"),
    ("WhisperConfig", WHISPER, "WhisperForConditionalGeneration"),
    ("WhisperConfig", {**WHISPER, "tie_word_embeddings": False, "decoder_layers": 3, "decoder_ffn_dim": 80},
     "WhisperForConditionalGeneration"),
    ("WhisperConfig", WHISPER, "WhisperModel"),
    ("CLIPConfig", {}, "CLIPModel"),
    ("CLIPConfig", dict(text_config=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                         intermediate_size=96, vocab_size=100, max_position_embeddings=20),
                        vision_config=dict(hidden_size=48, num_hidden_layers=3, num_attention_heads=4,
                                           intermediate_size=80, image_size=32, patch_size=8),
                        projection_dim=24), "CLIPModel"),
    ("CLIPTextConfig", {}, "CLIPTextModel"),
    ("CLIPTextConfig", {}, "CLIPTextModelWithProjection"),
    ("CLIPVisionConfig", {}, "CLIPVisionModelWithProjection"),
    ("CLIPVisionConfig", dict(hidden_size=48, num_hidden_layers=2, num_attention_heads=4, intermediate_size=80,
                              image_size=32, patch_size=8, num_channels=1), "CLIPVisionModel"),
    # multimodal: each part derived by its family's closed form
    ("LlavaConfig", {}, "LlavaForConditionalGeneration"),
    ("LlavaConfig", LLAVA, "LlavaForConditionalGeneration"),
    ("LlavaConfig", {**LLAVA, "text_config": {**LLAVA_TEXT, "model_type": "mistral", "tie_word_embeddings": True},
                     "vision_config": SIGLIP_VISION, "multimodal_projector_bias": False, "vision_feature_layer": -1},
     "LlavaForConditionalGeneration"),  # tied through the text config, a SigLIP tower with its head
    ("LlavaConfig", LLAVA, "LlavaModel"),
    ("Gemma3Config", {}, "Gemma3ForConditionalGeneration"),
    ("Gemma3Config", GEMMA3, "Gemma3ForConditionalGeneration"),
    ("Gemma3Config", {**GEMMA3, "tie_word_embeddings": False}, "Gemma3ForConditionalGeneration"),
    ("Gemma3Config", GEMMA3, "Gemma3Model"),
    ("PaliGemmaConfig", {}, "PaliGemmaForConditionalGeneration"),
    ("PaliGemmaConfig", PALIGEMMA, "PaliGemmaForConditionalGeneration"),
    ("PaliGemmaConfig", {**PALIGEMMA, "text_config": dict(SMALL, model_type="gemma2", vocab_size=300, head_dim=16),
                         "projection_dim": 40, "tie_word_embeddings": False}, "PaliGemmaForConditionalGeneration"),
    ("Qwen2VLConfig", {}, "Qwen2VLForConditionalGeneration"),
    ("Qwen2VLConfig", QWEN2VL, "Qwen2VLForConditionalGeneration"),
    ("Qwen2VLConfig", {**QWEN2VL, "tie_word_embeddings": True}, "Qwen2VLForConditionalGeneration"),
    ("Qwen2VLConfig", {**QWEN2VL, "vision_config": {**QWEN2VL["vision_config"], "hidden_size": 48,
                                                     "temporal_patch_size": 1, "spatial_merge_size": 1}},
     "Qwen2VLModel"),  # a merger whose output is not the language model's width
    ("MllamaConfig", {}, "MllamaForConditionalGeneration"),
    ("MllamaConfig", MLLAMA, "MllamaForConditionalGeneration"),
    ("MllamaConfig", {**MLLAMA, "text_config": {**MLLAMA["text_config"], "cross_attention_layers": [4, 0, 9]},
                      "vision_config": {**MLLAMA["vision_config"], "supported_aspect_ratios": [[1, 1], [1, 2]]}},
     "MllamaModel"),  # unsorted, one beyond the layers (transformers ignores it)
    ("MllamaConfig", {**MLLAMA, "tie_word_embeddings": True}, "MllamaForConditionalGeneration"),  # never tied
    ("SiglipConfig", {}, "SiglipModel"),
    ("SiglipConfig", SIGLIP, "SiglipModel"),
    ("SiglipConfig", {**SIGLIP, "text_config": {**SIGLIP["text_config"], "projection_size": 24}, "num_labels": 3},
     "SiglipForImageClassification"),
    ("SiglipTextConfig", {}, "SiglipTextModel"),
    ("SiglipVisionConfig", {**VISION, "vision_use_head": False, "num_channels": 1}, "SiglipVisionModel"),
]


def _key(kwargs: dict) -> str:
    return json.dumps(kwargs, sort_keys=True)


@cache
def _built(config_class: str, kwargs: str, arch: str):
    """transformers' config and model (meta device), built once per session."""
    torch = require_module("torch")
    transformers = require_module("transformers")
    cfg = getattr(transformers, config_class)(**json.loads(kwargs))
    with torch.device("meta"):
        model = getattr(transformers, arch)(cfg)
    return cfg, model


def _raw(cfg, arch: str) -> dict:
    raw = json.loads(cfg.to_json_string(use_diff=False))
    raw["architectures"] = [arch]
    return raw


def _hand_active(model) -> int | None:
    """Total minus the experts a token does not use: in every MoE block, (n − k) experts of
    (gate_up_proj + down_proj) / n weights each."""
    total = sum({id(p): p.numel() for p in model.parameters()}.values())
    idle, moe = 0, False
    for module in model.modules():
        experts = getattr(module, "experts", None)
        if experts is None or not hasattr(experts, "gate_up_proj"):
            continue
        moe = True
        n = experts.gate_up_proj.shape[0]
        k = getattr(module, "top_k", None) or module.gate.top_k
        one = (experts.gate_up_proj.numel() + experts.down_proj.numel()) // n
        idle += (n - k) * one
    return total - idle if moe else None


IDS = [f"{a}-{i}" for i, (_, _, a) in enumerate(CASES)]


@pytest.mark.parametrize("config_class,kwargs,arch", CASES, ids=IDS)
def test_total_and_active_against_transformers(config_class, kwargs, arch):
    cfg, hf_model = _built(config_class, _key(kwargs), arch)
    expected = sum({id(p): p.numel() for p in hf_model.parameters()}.values())
    model = load_hf_config(_raw(cfg, arch), "config.json")
    assert model.details["route"] == "closed_form"
    assert model.name == arch
    assert model.total == expected
    assert model.active == _hand_active(hf_model)
    # identical layers are one row × L (or a row for each run of alike layers)
    assert len(model.nodes) <= 16
    # a tied head's weight is the embedding's in transformers too
    for node in model.nodes:
        if node.shares is not None and node.name == "lm_head":
            assert hf_model.get_submodule("lm_head").weight is hf_model.get_submodule(node.shares).weight


@pytest.mark.parametrize("config_class,kwargs,arch", CASES, ids=IDS)
def test_total_formula_reads_back(config_class, kwargs, arch, tmp_path):
    cfg, hf_model = _built(config_class, _key(kwargs), arch)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(_raw(cfg, arch)))
    out = tmp_path / "out.json"
    assert main(["derive", str(path), "--format", "json", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    names = {k: sympy.Symbol(k) for k in data["symbols"]}  # E is a symbol here, not Euler's number
    values = {names[k]: v for k, v in data["symbols"].items()}
    # the test parses our output (never user text); the values it must give come from transformers
    expected = sum({id(p): p.numel() for p in hf_model.parameters()}.values())
    assert sympy.sympify(data["total_formula"], locals=names).subs(values) == expected
    active = _hand_active(hf_model)
    assert ("active_per_token_formula" in data) is (active is not None)
    if active is not None:
        assert sympy.sympify(data["active_per_token_formula"], locals=names).subs(values) == active


def test_block_tensors_are_transformers_layer_tensors():
    """One copy's weight groups are the tensors transformers puts in a layer (names and sizes)."""
    for config_class, kwargs, arch in CASES:
        if kwargs == {}:
            continue
        cfg, hf_model = _built(config_class, _key(kwargs), arch)
        model = load_hf_config(_raw(cfg, arch), "config.json")
        for node in model.nodes:
            if node.repeat == 1 and "[" not in node.name:
                continue
            base, _, index = node.name.partition("[")
            first = int(re.split("[:,]", index)[0].rstrip("]")) if index else 0  # layers[i:j], layers[i,j,…]
            if not index:  # the layers no other row names (Llama 3.2 Vision: those without cross-attention)
                named = {int(i) for n in model.nodes if n.name.startswith(f"{base}[") and ":" not in n.name
                         for i in n.name[len(base) + 1:-1].split(",")}
                first = min(set(range(len(named) + 1)) - named)
            names = [n for n, _ in hf_model.named_parameters()]
            if base.endswith(".block") and model.evaluate(node.repeat) > 1 and any(
                    n.startswith(f"{base}.{first + 1}.") for n in names):
                first += 1  # T5's block 0 holds the relative attention bias besides the block's tensors
            prefix = f"{base}.{first}."
            if not any(n.startswith(prefix) for n in names):  # ALBERT: the shared layer itself
                prefix = f"{node.name}."
            theirs = {n[len(prefix):]: p.numel() for n, p in hf_model.named_parameters() if n.startswith(prefix)}
            theirs.update({n[len(prefix):]: b.numel() for n, b in hf_model.named_buffers()
                           if n.startswith(prefix) and "rotary" not in n})
            mine = {w.name: model.evaluate(w.count) for w in node.weights}
            assert mine == theirs, (arch, node.name)


PARTS = [case for case in CASES if case[0] in ("LlavaConfig", "Gemma3Config", "PaliGemmaConfig", "Qwen2VLConfig",
                                                "MllamaConfig")]


@pytest.mark.parametrize("config_class,kwargs,arch", PARTS, ids=[f"{a}-{i}" for i, (_, _, a) in enumerate(PARTS)])
def test_multimodal_parts_are_transformers_submodules(config_class, kwargs, arch):
    """Each part's note gives the parameters of the submodule transformers builds for it, the
    parts and the head add up to the total, and every row belongs to one part or is the head."""
    cfg, hf_model = _built(config_class, _key(kwargs), arch)
    model = load_hf_config(_raw(cfg, arch), "config.json")
    parts = {key: dict(args) for key, args in model.notes if key.startswith("mm_") and key != "mm_feature_layer"}
    assert set(parts) == {"mm_vision_tower", "mm_projector", "mm_language_model"}
    counted = 0
    for part in parts.values():
        # a part inside another's module (Qwen2-VL's merger in model.visual) is that module's less its own
        inner = [p["prefix"] for p in parts.values() if p is not part and p["prefix"].startswith(part["prefix"])]
        theirs = {id(p): p.numel() for n, p in hf_model.named_parameters()
                  if n.startswith(part["prefix"]) and not any(n.startswith(i) for i in inner)}
        module = hf_model.get_submodule(part["prefix"].rstrip("."))
        assert inner or len(theirs) == len(list(module.parameters()))
        assert part["count"] == sum(theirs.values()), part
        counted += part["count"]
    rest = [n.name for n in model.nodes if not any(n.name.startswith(p["prefix"]) for p in parts.values())]
    assert rest == (["lm_head"] if arch.endswith("ForConditionalGeneration") else [])
    head = sum(p.numel() for n, p in hf_model.named_parameters() if n.startswith("lm_head"))  # 0 when tied
    assert counted + head == model.total


def test_family_particulars_are_said(capsys, tmp_path):
    said = {
        ("Gemma2Config", "Gemma2ForCausalLM"): ["four RMSNorm weight vectors", "tied to the token embedding"],
        ("PhiConfig", "PhiForCausalLM"): ["rotary position embedding, applied to the fraction", "not tied"],
        ("GPTNeoXConfig", "GPTNeoXForCausalLM"): ["projections as one matrix", "not tied"],
        ("FalconConfig", "FalconForCausalLM"): ["in parallel", "Multi-query attention"],
        ("Olmo2Config", "Olmo2ForCausalLM"): ["over all heads together"],
        ("DeepseekV3Config", "DeepseekV3ForCausalLM"): ["Multi-head latent attention", "layers have a dense feed-forward network",
                                                          "Shared experts", "Parameters active per token"],
        ("Qwen3MoeConfig", "Qwen3MoeForCausalLM"): ["A mixture of experts", "Parameters active per token"],
        ("AlbertConfig", "AlbertForMaskedLM"): ["ALBERT factorises the embedding", "ALBERT shares this layer"],
        ("ElectraConfig", "ElectraForPreTraining"): ["this discriminator predicts"],
        ("ElectraConfig", "ElectraForMaskedLM"): ["this generator fills in masked tokens"],
        ("BartConfig", "BartForConditionalGeneration"): ["offset of 2", "tied to the token embedding"],
        ("ViTConfig", "ViTForImageClassification"): ["A class token", "kernel and stride are both"],
        ("WhisperConfig", "WhisperForConditionalGeneration"): ["two convolutions over the mel spectrogram"],
        ("CLIPConfig", "CLIPModel"): ["CLIP is two encoders", "convolution without bias"],
        ("SiglipConfig", "SiglipModel"): ["SigLIP is two encoders", "there is no class token",
                                          "a learned query (probe, d)"],
        ("LlavaConfig", "LlavaForConditionalGeneration"): [
            "The rows `model.vision_tower.`… are the vision tower", "(`clip_vision_model`)", "from layer `-2`",
            "303,507,456 parameters", "not tied"],
        ("Qwen2VLConfig", "Qwen2VLForConditionalGeneration"): [
            "3D convolution without bias", "neighbouring patches into one",
            "inside the vision module", "rotary embedding over the patch's row and column"],
        ("MllamaConfig", "MllamaForConditionalGeneration"): [
            "attend to the image's vectors instead of the text", "blocks of another row come between them", "V + 8 rows",
            "the text attends to the image's vectors", "multiplied by the tanh of their gate",
            "The rows `model.vision_model`… are the vision tower"],
        ("Gemma3Config", "Gemma3ForConditionalGeneration"): [
            "The rows `model.multi_modal_projector.`… are the multimodal projector (`gemma3`)",
            "averages the vision tower's patch vectors", "tied to the token embedding"],
    }
    for (config_class, arch), phrases in said.items():
        cfg, _ = _built(config_class, _key({}), arch)
        path = tmp_path / f"{arch}.json"
        path.write_text(json.dumps(_raw(cfg, arch)))
        assert main(["derive", str(path)]) == 0
        text = capsys.readouterr().out
        for phrase in phrases:
            assert phrase in text, (arch, phrase)


def test_multimodal_without_transformers(tmp_path, capsys, monkeypatch):
    """transformers only completes a multimodal config: without it a complete config (as
    ``to_json_string(use_diff=False)`` writes it) gives transformers' own total, and a config that
    leaves a part out (whose defaults only transformers knows) is refused in one line."""
    cfg, hf_model = _built("LlavaConfig", _key(LLAVA), "LlavaForConditionalGeneration")
    raw = _raw(cfg, "LlavaForConditionalGeneration")
    pali_cfg, pali = _built("PaliGemmaConfig", _key(PALIGEMMA), "PaliGemmaForConditionalGeneration")
    bare = _raw(pali_cfg, "PaliGemmaForConditionalGeneration")
    del bare["text_config"]["model_type"], bare["vision_config"]["model_type"]
    monkeypatch.setitem(sys.modules, "transformers", None)  # import transformers fails
    model = load_hf_config(raw, "config.json")
    assert model.details["route"] == "closed_form"
    assert model.total == sum({id(p): p.numel() for p in hf_model.parameters()}.values())
    # a part without model_type is of the composite's default type (PaliGemma's language model: Gemma)
    assert load_hf_config(bare, "config.json").total == sum({id(p): p.numel() for p in pali.parameters()}.values())
    del raw["vision_config"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    assert main(["derive", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no 'vision_config'" in err and "pip install 'explain[hf]'" in err, err


def test_multimodal_set_moves_a_part(tmp_path, capsys):
    """--set L_vis (the vision tower's layers) and L (the language model's) give the total of
    transformers building the config with those sizes; an unknown symbol is refused."""
    cfg, _ = _built("LlavaConfig", _key(LLAVA), "LlavaForConditionalGeneration")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(_raw(cfg, "LlavaForConditionalGeneration")))
    out = tmp_path / "out.json"
    assert main(["derive", str(path), "--set", "L_vis=3", "--set", "L=4", "--format", "json", "-o", str(out)]) == 0
    moved = {**LLAVA, "vision_config": {**CLIP_VISION, "num_hidden_layers": 3},
             "text_config": {**LLAVA_TEXT, "num_hidden_layers": 4}}
    _, hf_model = _built("LlavaConfig", _key(moved), "LlavaForConditionalGeneration")
    assert json.loads(out.read_text())["total"] == sum({id(p): p.numel() for p in hf_model.parameters()}.values())
    assert main(["derive", str(path), "--set", "L_text=3"]) == 2
    assert "'L_text' is not a declared symbol" in capsys.readouterr().err


def test_qwen2_vl_text_sizes_at_the_top_level(monkeypatch):
    """Qwen2-VL configs written before text_config (the Hub's Qwen2-VL-7B) give the language model's
    sizes at the top level: read as transformers reads them, with transformers and without."""
    raw = dict(SMALL, model_type="qwen2_vl", architectures=["Qwen2VLForConditionalGeneration"], tie_word_embeddings=True,
               vision_config=QWEN2VL["vision_config"], rope_scaling={"type": "mrope", "mrope_section": [2, 1, 1]})
    torch = require_module("torch")
    transformers = require_module("transformers")
    cfg = transformers.Qwen2VLConfig.from_dict(raw)
    assert cfg.text_config.num_hidden_layers == SMALL["num_hidden_layers"]  # moved into text_config
    with torch.device("meta"):
        expected = sum({id(p): p.numel() for p in transformers.Qwen2VLForConditionalGeneration(cfg).parameters()}.values())
    assert load_hf_config(raw, "config.json").total == expected
    monkeypatch.setitem(sys.modules, "transformers", None)  # import transformers fails
    assert load_hf_config(raw, "config.json").total == expected


def test_every_closed_form_family_has_cases():
    """Every model_type with a closed form is among CASES, so its total, active parameters and
    total_formula are checked against transformers above."""
    transformers = require_module("transformers")
    from explain.importers.hf_config import load_families
    covered = {getattr(transformers, config_class).model_type for config_class, _, _ in CASES}
    assert set(load_families()) - covered == set()
