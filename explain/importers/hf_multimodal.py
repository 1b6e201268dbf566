"""Hugging Face multimodal families, read as their parts: SigLIP (a text and a vision encoder),
LLaVA (a CLIP or SigLIP vision tower, a projector and a decoder language model), PaliGemma
(SigLIP, a linear projector, Gemma or Gemma 2) and Gemma 3 (SigLIP, Gemma 3's projector, Gemma 3's
text model). Each part (``vision_config``, ``text_config``) is built by the closed form of its own
family under the name transformers gives it (``model.vision_tower.``, ``model.language_model.``);
a note says which rows each part has and how many parameters. A tied LM head shares the language
model's token embedding: counted once.

A part that a config leaves out, or gives only in part, takes the defaults transformers gives it
(a composite's defaults differ from the part's own family: LLaVA's vision tower is CLIP ViT-L/14
at 336 pixels): with transformers installed, the config is completed by transformers' config
class (offline, nothing built); without, a missing part is refused.

Symbols: the language model's as its family declares them (V, d, L, f, H, …), the vision tower's
d_vis, L_vis, f_vis, C, P, n_p, PaliGemma's projection size p.
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import ExplainError
from ..layers.tensors import Tensors
from ..layers.hf_mllama import (MllamaCrossAttentionDecoderLayer, MllamaSelfAttentionDecoderLayer,
                                 MllamaTileEmbedding, MllamaVisionEmbeddings, MllamaVisionEncoderLayer)
from ..layers.hf_multimodal import (Gemma3MultiModalProjector, Qwen2VLPatchEmbed, Qwen2VLPatchMerger,
                                    Qwen2VLVisionBlock, SiglipEncoderLayer, SiglipMultiheadAttentionPoolingHead,
                                    SiglipVisionEmbeddings)
from ..model import GraphBuilder
from ..symbols import Value
from .hf_config import (_PREFIXES, BASES, SEQ, NoClosedForm, _Builder, _check_heads, _Config,
                        _decoder_only, _family, _pick_head, _tied, attention_sizes, family_builder)
from .hf_encoders import _clip, _part, text_tower
from .hf_moe import _runs

_PREFIXES.update({"Siglip": "siglip", "Llava": "llava", "PaliGemma": "paligemma",
                  "Gemma3ForConditionalGeneration": "gemma3", "Gemma3Model": "gemma3",
                  "Qwen2VL": "qwen2_vl"})


# ----------------------------------------------------------------------------- SigLIP

@_family("siglip", "siglip_text_model", "siglip_vision_model",
         base={"siglip": "SiglipModel", "siglip_text_model": "SiglipTextModel",
               "siglip_vision_model": "SiglipVisionModel"})
def _siglip(cfg: _Config, arch: str, b: _Builder) -> None:
    heads = {"SiglipModel": "both", "SiglipTextModel": "text", "SiglipVisionModel": "vision",
             "SiglipForImageClassification": "classifier"}
    kind = _pick_head(arch, heads)
    model_type = cfg.raw.get("model_type", "siglip")
    text_cfg = vision_cfg = cfg
    if model_type == "siglip":
        text_cfg, vision_cfg = _part(cfg, "text_config"), _part(cfg, "vision_config")
    elif kind in ("text", "vision") and model_type != f"siglip_{kind}_model":
        raise ExplainError(f"{arch} needs a {kind} config. Received: model_type={model_type!r}")
    elif kind in ("both", "classifier"):
        raise ExplainError(f"{arch} needs a siglip config. Received: model_type={model_type!r}")
    text, vision = kind in ("both", "text"), kind != "text"
    if text:
        V = b.declare("V", text_cfg.size("vocab_size", default=32000))
        T = b.declare("T", text_cfg.size("max_position_embeddings", default=64))
        d = b.declare("d", text_cfg.size("hidden_size", default=768))
        L = b.declare("L", text_cfg.size("num_hidden_layers", default=12))
        f = b.declare("f", text_cfg.size("intermediate_size", default=3072))
        size = text_cfg.size("projection_size", default=b.values[d])
        p: Value = d if size == b.values[d] and "p" not in b.overrides else b.declare("p", size)
    if vision:
        vision_sizes(vision_cfg, b, patch=16)
    n_labels = b.declare("n_labels", cfg.labels()) if kind == "classifier" else None
    g = b.start()
    if text:
        t = "" if kind == "text" else "text_model."
        text_tower(g, b, t, V, T, d, SiglipEncoderLayer(hidden_size=d, intermediate_size=f), L)
        g.add(f"{t}head", b.torch("Linear", in_features=d, out_features=p))
    if vision:
        v = "" if kind == "vision" else "vision_model."
        siglip_vision_tower(g, b, v, head=vision_cfg.flag("vision_use_head", True))
    if kind == "both":
        g.add("logit_scale", Tensors(tensors=(("logit_scale", 1, True, False), ("logit_bias", 1, True, False)),
                                     origin="SiglipModel"), ["text_model.head"])
        b.notes.append(("siglip_parts", ()))
    elif kind == "classifier":
        # over the mean of the patches' vectors
        g.add("classifier", b.torch("Linear", in_features=b.symbol("d_vis"), out_features=n_labels),
              [f"{v}post_layernorm"])


def vision_sizes(cfg: _Config, b: _Builder, patch: int) -> None:
    """Declares a vision encoder's d_vis, L_vis, f_vis, C, P and n_p (transformers' defaults of
    CLIP's and SigLIP's vision configs, but for the patch size)."""
    b.declare("d_vis", cfg.size("hidden_size", default=768))
    b.declare("L_vis", cfg.size("num_hidden_layers", default=12))
    b.declare("f_vis", cfg.size("intermediate_size", default=3072))
    b.declare("C", cfg.size("num_channels", default=3))
    patch, image = cfg.size("patch_size", default=patch), cfg.size("image_size", default=224)
    if image % patch:
        raise ExplainError(f"the image size {image} is not a multiple of the patch size {patch}")
    b.declare("P", patch)
    b.declare("n_p", (image // patch) ** 2)


def siglip_vision_tower(g: Any, b: _Builder, prefix: str, head: bool) -> None:
    """SigLIP's vision encoder (symbols of ``vision_sizes``): patch embeddings, L_vis layers,
    post_layernorm and, with ``vision_use_head``, the attention-pooling head."""
    d_vis, L_vis, f_vis, C, P, n_p = (b.symbol(n) for n in ("d_vis", "L_vis", "f_vis", "C", "P", "n_p"))
    g.add_input("pixel_values", (C, None, None))
    g.add(f"{prefix}embeddings", SiglipVisionEmbeddings(hidden_size=d_vis, num_channels=C, patch_size=P,
                                                        num_patches=n_p), ["pixel_values"])
    g.add(f"{prefix}encoder.layers", SiglipEncoderLayer(hidden_size=d_vis, intermediate_size=f_vis), repeat=L_vis)
    g.add(f"{prefix}post_layernorm", b.torch("LayerNorm", normalized_shape=d_vis))
    if head:
        g.add(f"{prefix}head", SiglipMultiheadAttentionPoolingHead(hidden_size=d_vis, intermediate_size=f_vis))


# ----------------------------------------------------------------------------- LLaVA, PaliGemma, Gemma 3

_MULTIMODAL = {
    # model_type: (class prefix, tie_word_embeddings default, vision tower types (the first is the
    # default), the language model's default type)
    "llava": ("Llava", False, ("clip_vision_model", "siglip_vision_model"), "llama"),
    "paligemma": ("PaliGemma", True, ("siglip_vision_model",), "gemma"),
    "gemma3": ("Gemma3", True, ("siglip_vision_model",), "gemma3_text"),
}
_DECODER_FAMILIES = ("_gpt2", "_decoder_only", "_llama_like", "_phi", "_gpt_neox", "_falcon", "_qwen_moe",
                     "_deepseek_v3")
"""The closed forms of decoder-only language models (a multimodal model's text part)."""


@_family("llava", "paligemma", "gemma3",
         base={"llava": "LlavaModel", "paligemma": "PaliGemmaModel", "gemma3": "Gemma3Model"})
def _multimodal(cfg: _Config, arch: str, b: _Builder) -> None:
    model_type = cfg.raw.get("model_type") or next(t for t, v in _MULTIMODAL.items() if arch.startswith(v[0]))
    prefix, tie_default, towers, text_default = _MULTIMODAL[model_type]
    lm = _pick_head(arch, {f"{prefix}Model": False, f"{prefix}ForConditionalGeneration": True})
    cfg = _completed(cfg, model_type)
    vision_cfg, text_cfg = _part(cfg, "vision_config"), _part(cfg, "text_config")
    vision_type = vision_cfg.raw.get("model_type", towers[0])
    text_type = text_cfg.raw.get("model_type", text_default)
    if vision_type not in towers:
        raise NoClosedForm(f"a {model_type} vision tower of model_type {vision_type!r}")
    text_family = family_builder(text_type) if isinstance(text_type, str) else None
    if text_family is None or text_family.__name__ not in _DECODER_FAMILIES:
        raise NoClosedForm(f"a {model_type} language model of model_type {text_type!r}")
    feature_layer = cfg.get("vision_feature_layer", default=-2)
    if model_type == "llava" and not isinstance(feature_layer, int):
        raise NoClosedForm("LLaVA's projector over several vision feature layers")
    tied = _tied(cfg, tie_default) or (model_type == "llava" and _tied(text_cfg, False))
    top = "model." if lm else ""
    vision, projector, language = f"{top}vision_tower.", f"{top}multi_modal_projector.", f"{top}language_model."

    with b.part(vision):
        if vision_type == "clip_vision_model":
            _clip(vision_cfg, "CLIPVisionModel", b)
        else:
            vision_sizes(vision_cfg, b, patch=16)
            siglip_vision_tower(b.start(), b, "", head=vision_cfg.flag("vision_use_head", True))
    g: GraphBuilder = b.graph  # type: ignore[assignment]
    features, d_vis = f"{vision}post_layernorm", b.symbol("d_vis")
    # the projector's output is the language model's width d (its family declares it again)
    d = b.declare("d", text_cfg.size("hidden_size", "n_embd"))
    if model_type == "paligemma":  # projection_dim, written d where it is the width
        size = vision_cfg.size("projection_dim", default=cfg.size("projection_dim", default=2048))
        d = d if size == b.values[d] and "p" not in b.overrides else b.declare("p", size)
    g.model.symbols.update(b.values)
    if model_type == "llava":
        bias = cfg.flag("multimodal_projector_bias", True)
        g.add(f"{projector}linear_1", b.torch("Linear", in_features=d_vis, out_features=d, bias=bias), [features])
        g.add(f"{projector}linear_2", b.torch("Linear", in_features=d, out_features=d, bias=bias))
    elif model_type == "paligemma":
        g.add(f"{projector}linear", b.torch("Linear", in_features=d_vis, out_features=d), [features])
    else:
        g.add(f"{projector}mm", Gemma3MultiModalProjector(vision_hidden_size=d_vis, hidden_size=d,
                                                           num_tokens=cfg.size("mm_tokens_per_image", default=256)),
              [features])
    with b.part(language):
        text_family(text_cfg, BASES[text_type], b)
    embedding = next(n.name for n in g.model.nodes if n.name.startswith(language))
    _part_notes(b, g, model_type, vision_type, text_type, (vision, projector, language), feature_layer)
    if lm:
        d, V = b.symbol("d"), b.symbol("V")
        g.add("lm_head", b.torch("Linear", in_features=d, out_features=V, bias=False), [g.model.nodes[-1].name],
              shares=embedding if tied else None)
        b.notes.append(("tied_head" if tied else "untied_head", ()))


def _part_notes(b: _Builder, g: GraphBuilder, model_type: str, vision_type: str, text_type: str,
                prefixes: tuple[str, str, str], feature_layer: Any) -> None:
    """A note for each part: the rows named with its prefix and their parameters."""
    vision, projector, language = prefixes
    model = g.model
    for key, prefix, family in (("mm_vision_tower", vision, vision_type), ("mm_projector", projector, model_type),
                                ("mm_language_model", language, text_type)):
        # a part inside another's module (Qwen2-VL's merger in model.visual) counts in its own note
        inner = [p for p in prefixes if p != prefix and p.startswith(prefix)]
        count = sum(model.evaluate(n.own("params")) for n in model.nodes
                    if n.name.startswith(prefix) and not any(n.name.startswith(p) for p in inner))
        b.notes.append((key, (("prefix", prefix), ("family", family), ("count", count))))
    if model_type == "llava":
        b.notes.append(("mm_feature_layer", (("layer", str(feature_layer)),)))


# ----------------------------------------------------------------------------- Qwen2-VL

@_family("qwen2_vl", base="Qwen2VLModel")
def _qwen2_vl(cfg: _Config, arch: str, b: _Builder) -> None:
    """Qwen2-VL: its own vision transformer (a 3D patch convolution, L_vis blocks), the patch
    merger as projector, and a Qwen2 language model, read from ``text_config`` or, as configs
    written before transformers 4.5x have it, from the top level of the config."""
    lm = _pick_head(arch, {"Qwen2VLModel": False, "Qwen2VLForConditionalGeneration": True})
    cfg = _completed(cfg, "qwen2_vl", ("vision_config",))
    vision_cfg = _part(cfg, "vision_config")
    text_raw = dict(cfg.raw["text_config"]) if isinstance(cfg.raw.get("text_config"), dict) else {
        k: v for k, v in cfg.raw.items() if k not in ("vision_config", "architectures")}
    text_raw.setdefault("num_key_value_heads", 8)  # Qwen2-VL's default, not Qwen2's
    text_cfg = _Config({**text_raw, "model_type": "qwen2"})
    tied = _tied(cfg, False) or _tied(text_cfg, False)
    top = "model." if lm else ""
    vision, merger, language = f"{top}visual.", f"{top}visual.merger", f"{top}language_model."

    d = b.declare("d", text_cfg.size("hidden_size"))
    d_vis = b.declare("d_vis", vision_cfg.size("embed_dim", default=1280))
    L_vis = b.declare("L_vis", vision_cfg.size("depth", "num_hidden_layers", default=32))
    _check_heads(b.values[d_vis], vision_cfg.size("num_heads", "num_attention_heads", default=16),
                 "the vision width embed_dim")
    f_vis = vision_cfg.size("mlp_ratio", default=4) * d_vis  # transformers takes a whole ratio only
    C = b.declare("C", vision_cfg.size("in_channels", "num_channels", default=3))
    P = b.declare("P", vision_cfg.size("patch_size", default=14))
    P_t = b.declare("P_t", vision_cfg.size("temporal_patch_size", default=2))
    m_s = b.declare("m_s", vision_cfg.size("spatial_merge_size", default=2))
    out = vision_cfg.size("hidden_size", default=3584)
    d_m = d if out == b.values[d] and "d_m" not in b.overrides else b.declare("d_m", out)
    with b.part(vision):
        g = b.start()
        g.add_input("pixel_values", (SEQ, C * P_t * P**2))
        g.add("patch_embed", Qwen2VLPatchEmbed(hidden_size=d_vis, num_channels=C, patch_size=P,
                                               temporal_patch_size=P_t), ["pixel_values"])
        g.add("blocks", Qwen2VLVisionBlock(hidden_size=d_vis, intermediate_size=f_vis), repeat=L_vis)
        g.add("merger", Qwen2VLPatchMerger(vision_hidden_size=d_vis, hidden_size=d_m, spatial_merge_size=m_s))
    with b.part(language):
        _decoder_only(text_cfg, "Qwen2Model", b)
    graph: GraphBuilder = b.graph  # type: ignore[assignment]
    embedding = f"{language}embed_tokens"
    _part_notes(b, graph, "qwen2_vl", "qwen2_vl_vision", "qwen2", (vision, merger, language), None)
    b.notes.append(("qwen2vl_merger_in_visual", (("prefix", merger),)))
    if lm:
        graph.add("lm_head", b.torch("Linear", in_features=b.symbol("d"), out_features=b.symbol("V"), bias=False),
                  [graph.model.nodes[-1].name], shares=embedding if tied else None)
        b.notes.append(("tied_head" if tied else "untied_head", ()))


def _completed(cfg: _Config, model_type: str, parts: tuple[str, ...] = ("vision_config", "text_config")) -> _Config:
    """The config with every value transformers' config class gives it (its parts' defaults
    included); without transformers, the config as it is, a missing part of ``parts`` refused."""
    try:
        import transformers
    except ImportError:
        for key in parts:
            if not isinstance(cfg.raw.get(key), dict):
                raise ExplainError(f"the {model_type} config has no '{key}', whose defaults transformers "
                                   "gives: pip install 'explain[hf]'") from None
        return cfg
    from .hf_generic import read_config
    config = read_config(transformers.CONFIG_MAPPING[model_type], cfg.raw, f"model_type '{model_type}'")
    return _Config(json.loads(config.to_json_string(use_diff=False)))


# ----------------------------------------------------------------------------- Llama 3.2 Vision

_PREFIXES.update({"Mllama": "mllama"})


@_family("mllama", base="MllamaModel")
def _mllama(cfg: _Config, arch: str, b: _Builder) -> None:
    """Llama 3.2 Vision (``mllama``): a vision model of a local and a global (gated) encoder over
    the image's tiles, a linear projector, and a Llama language model in which the layers of
    ``cross_attention_layers`` attend to the image instead of the text: one row × n_c for those,
    one row × (L − n_c) for the self-attention layers."""
    lm = _pick_head(arch, {"MllamaModel": False, "MllamaForConditionalGeneration": True})
    cfg = _completed(cfg, "mllama")
    vision_cfg, text_cfg = _part(cfg, "vision_config"), _part(cfg, "text_config")
    top = "model." if lm else ""
    vision, projector, language = f"{top}vision_model", f"{top}multi_modal_projector", f"{top}language_model."

    d_vis = b.declare("d_vis", vision_cfg.size("hidden_size", default=1280))
    _check_heads(b.values[d_vis], vision_cfg.size("attention_heads", "num_attention_heads", default=16),
                 "the vision width")
    L_vis = b.declare("L_vis", vision_cfg.size("num_hidden_layers", default=32))
    n_global = vision_cfg.size("num_global_layers", default=8)
    L_g = b.declare("L_g", n_global)
    f_vis = b.declare("f_vis", vision_cfg.size("intermediate_size", default=5120))
    C = b.declare("C", vision_cfg.size("num_channels", default=3))
    patch, image = vision_cfg.size("patch_size", default=14), vision_cfg.size("image_size", default=448)
    if image % patch:
        raise ExplainError(f"the image size {image} is not a multiple of the patch size {patch}")
    P = b.declare("P", patch)
    n_p = b.declare("n_p", (image // patch) ** 2)
    n_tile = b.declare("n_tile", vision_cfg.size("max_num_tiles", default=4))
    ratios = vision_cfg.get("supported_aspect_ratios", default=None)
    if not isinstance(ratios, list) or not ratios or len(ratios) > 4096:
        raise ExplainError(f"'supported_aspect_ratios' must be a list of [width, height] pairs. "
                           f"Received: supported_aspect_ratios={ratios!r}"[:300])
    n_ar = b.declare("n_ar", len(ratios))
    d_o = b.declare("d_o", vision_cfg.size("vision_output_dim", default=7680))

    text = dict(text_cfg.raw)
    n_layers = _Config(text).size("num_hidden_layers")
    cross = text.get("cross_attention_layers")
    if not isinstance(cross, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in cross):
        raise ExplainError(f"'cross_attention_layers' must be a list of layer numbers. "
                           f"Received: cross_attention_layers={cross!r}"[:300])
    cross = sorted({i for i in cross if 0 <= i < n_layers})  # transformers: `layer_idx in cross_attention_layers`

    with b.part(f"{vision}."):
        g = b.start()
        g.add_input("pixel_values", (C, None, None))
    graph: GraphBuilder = b.graph  # type: ignore[assignment]
    graph.add(vision, MllamaVisionEmbeddings(hidden_size=d_vis, num_channels=C, patch_size=P, num_patches=n_p,
                                             max_num_tiles=n_tile, aspect_ratios=n_ar), ["pixel_values"])
    graph.add(f"{vision}.transformer.layers", MllamaVisionEncoderLayer(hidden_size=d_vis, intermediate_size=f_vis),
              repeat=L_vis)
    graph.add(f"{vision}.layernorm_post", b.torch("LayerNorm", normalized_shape=d_vis))
    graph.add(f"{vision}.post_tile_positional_embedding", MllamaTileEmbedding(hidden_size=d_vis, max_num_tiles=n_tile,
                                                                              aspect_ratios=n_ar))
    graph.add(f"{vision}.global_transformer.layers", MllamaVisionEncoderLayer(
        hidden_size=d_vis, intermediate_size=f_vis, is_gated=True), repeat=L_g)
    features = f"{vision}.global_transformer.layers"

    V = b.declare("V", text_cfg.size("vocab_size"))
    d = b.declare("d", text_cfg.size("hidden_size"))
    L = b.declare("L", n_layers)
    f = b.declare("f", text_cfg.size("intermediate_size"))
    H, H_kv, d_h = attention_sizes(text_cfg, b, d, 8, None)
    n_c = b.declare("n_c", len(cross)) if cross else None
    graph.model.symbols.update(b.values)
    graph.add(projector, b.torch("Linear", in_features=d_o, out_features=d), [features])
    attention: dict[str, Any] = dict(hidden_size=d, num_attention_heads=H, num_key_value_heads=H_kv, head_dim=d_h,
                                     intermediate_size=f)
    graph.add_input("input_ids", (SEQ,))
    embedding = f"{language}embed_tokens"
    graph.add(embedding, b.torch("Embedding", num_embeddings=V + 8, embedding_dim=d), ["input_ids"])
    runs = len(_runs([i in cross for i in range(n_layers)]))
    if n_c is None or len(cross) < n_layers:
        node = graph.add(f"{language}layers", MllamaSelfAttentionDecoderLayer(**attention),
                         repeat=L if n_c is None else L - n_c)
        node.interleaved = runs > 2
    if n_c is not None:
        node = graph.add(f"{language}layers[{','.join(map(str, cross))}]",
                         MllamaCrossAttentionDecoderLayer(**attention), repeat=n_c)
        node.interleaved = runs > 2
    graph.add(f"{language}norm", b.torch("RMSNorm", normalized_shape=d))
    _part_notes(b, graph, "mllama", "mllama_vision_model", "mllama_text_model", (vision, projector, language), None)
    if n_c is not None:
        b.notes.append(("mllama_cross_layers", (("layers", ", ".join(map(str, cross))),)))
    b.notes.append(("mllama_extra_tokens", ()))
    if lm:  # never tied: the embedding has V + 8 rows, the head V
        graph.add("lm_head", b.torch("Linear", in_features=d, out_features=V, bias=False), [f"{language}norm"])
        b.notes.append(("untied_head", ()))
