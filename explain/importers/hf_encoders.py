"""Hugging Face encoder and encoder–decoder families: ALBERT (factorised embedding, one layer
shared by all L layers), ELECTRA (generator and discriminator), BART and ViT.

Symbols as in ``hf_config`` and: E the embedding size (ALBERT, ELECTRA), f_dec BART's decoder
feed-forward size where it differs, C image channels, P patch size, n_p patches.
"""
from __future__ import annotations

from ..errors import ExplainError
from ..layers.hf_blocks import BertLayer, FirstToken
from ..layers.tensors import Tensors
from ..layers.torch_parameter import Parameter
from ..layers.hf_encoders import (AlbertLayer, BartDecoderLayer, BartEncoderLayer, CLIPEncoderLayer, CLIPVisionEmbeddings,
                                  AddedPositions, TimeMajor, ViTEmbeddings, ViTLayer, WhisperDecoderLayer, WhisperEncoderLayer)
from ..layers.base import Layer
from ..model import GraphBuilder
from ..symbols import Value
from .hf_config import (_PREFIXES, SEQ, NoClosedForm, _add, _pooler, _Builder, _check_head, _check_heads, _Config, _family,
                        _pick_head, _source, _tied)


def _embeddings(g, b: _Builder, e: str, V: Value, T: Value, V_type: Value, E: Value) -> None:
    """BERT-style embeddings of width E: word V·E, position T·E, token type V_type·E, LayerNorm 2E."""
    g.add(f"{e}word_embeddings", b.torch("Embedding", num_embeddings=V, embedding_dim=E), ["input_ids"])
    g.add(f"{e}position_embeddings", b.torch("Embedding", num_embeddings=T, embedding_dim=E), ["input_ids"])
    g.add(f"{e}token_type_embeddings", b.torch("Embedding", num_embeddings=V_type, embedding_dim=E), ["input_ids"])
    g.add(f"{e}sum", _add(True), [f"{e}word_embeddings", f"{e}position_embeddings", f"{e}token_type_embeddings"])
    g.add(f"{e}LayerNorm", b.torch("LayerNorm", normalized_shape=E))


def _part(cfg: _Config, key: str) -> _Config:
    """A nested config (``text_config``, ``vision_config``) read as a config of its own; missing,
    it takes transformers' defaults."""
    raw = cfg.raw.get(key)
    if raw is None:
        return _Config({})
    if not isinstance(raw, dict):
        raise ExplainError(f"'{key}' must be a JSON object. Received: {key}={raw!r}"[:300])
    return _Config(raw)


def _absolute(cfg: _Config) -> None:
    if cfg.text("position_embedding_type", "absolute") != "absolute":
        raise NoClosedForm("only absolute position embeddings have a closed form here")


_PREFIXES.update({"Albert": "albert", "Electra": "electra", "Bart": "bart", "ViT": "vit"})


# ----------------------------------------------------------------------------- ALBERT

@_family("albert", base="AlbertModel")
def _albert(cfg: _Config, arch: str, b: _Builder) -> None:
    heads = {"AlbertModel": (True, ""), "AlbertForMaskedLM": (False, "mlm"), "AlbertForPreTraining": (True, "sop"),
             "AlbertForSequenceClassification": (True, "classifier"), "AlbertForTokenClassification": (False, "token"),
             "AlbertForQuestionAnswering": (False, "qa"), "AlbertForMultipleChoice": (True, "choice")}
    pooler, head = _pick_head(arch, heads)
    _absolute(cfg)
    V = b.declare("V", cfg.size("vocab_size"))
    T = b.declare("T", cfg.size("max_position_embeddings"))
    V_type = b.declare("V_type", cfg.size("type_vocab_size", default=2))
    E = b.declare("E", cfg.size("embedding_size"))
    d = b.declare("d", cfg.size("hidden_size"))
    b.declare("L", cfg.size("num_hidden_layers"))
    f = b.declare("f", cfg.size("intermediate_size"))
    groups = cfg.size("num_hidden_groups", default=1) * cfg.size("inner_group_num", default=1)
    tied = _tied(cfg, True)
    n_labels = b.declare("n_labels", cfg.labels()) if head in ("classifier", "token") else None
    g = b.start()
    p = "" if arch == "AlbertModel" else "albert."
    g.add_input("input_ids", (SEQ,))
    _embeddings(g, b, f"{p}embeddings.", V, T, V_type, E)
    g.add(f"{p}encoder.embedding_hidden_mapping_in", b.torch("Linear", in_features=E, out_features=d))
    # one layer's weights serve all L layers (num_hidden_groups × inner_group_num distinct layers)
    g.add(f"{p}encoder.albert_layer_groups.0.albert_layers.0", AlbertLayer(hidden_size=d, intermediate_size=f),
          repeat=groups)
    last = f"{p}encoder.albert_layer_groups.0.albert_layers.0"
    if pooler:
        _pooler(g, b, f"{p}pooler", d, last)
    pooled = f"{p}pooler" if pooler else last
    if head in ("mlm", "sop"):
        g.add("predictions.dense", b.torch("Linear", in_features=d, out_features=E), [last])
        g.add("predictions.LayerNorm", b.torch("LayerNorm", normalized_shape=E))
        g.add("predictions.decoder", b.torch("Linear", in_features=E, out_features=V, bias=not tied),
              shares=f"{p}embeddings.word_embeddings" if tied else None)
        g.add("predictions", Parameter(size=V))
    if head == "sop":
        g.add("sop_classifier.classifier", b.torch("Linear", in_features=d, out_features=2), [pooled])
    elif head in ("classifier", "token"):
        g.add("classifier", b.torch("Linear", in_features=d, out_features=n_labels), [pooled])
    elif head == "choice":
        g.add("classifier", b.torch("Linear", in_features=d, out_features=1), [pooled])
    elif head == "qa":
        g.add("qa_outputs", b.torch("Linear", in_features=d, out_features=2), [last])
    b.notes.append(("albert_factorised_embedding", ()))


# ----------------------------------------------------------------------------- ELECTRA

@_family("electra", base="ElectraModel")
def _electra(cfg: _Config, arch: str, b: _Builder) -> None:
    heads = ("ElectraModel", "ElectraForPreTraining", "ElectraForMaskedLM", "ElectraForSequenceClassification",
             "ElectraForTokenClassification", "ElectraForQuestionAnswering")
    _check_head(arch, heads)
    _absolute(cfg)
    V = b.declare("V", cfg.size("vocab_size"))
    T = b.declare("T", cfg.size("max_position_embeddings"))
    V_type = b.declare("V_type", cfg.size("type_vocab_size", default=2))
    width, size_e = cfg.size("hidden_size"), cfg.size("embedding_size", default=None)
    d = b.declare("d", width)
    E = d if size_e in (None, width) and "E" not in b.overrides else b.declare("E", size_e)
    L = b.declare("L", cfg.size("num_hidden_layers"))
    f = b.declare("f", cfg.size("intermediate_size"))
    tied = _tied(cfg, True)
    classify = arch in ("ElectraForSequenceClassification", "ElectraForTokenClassification")
    n_labels = b.declare("n_labels", cfg.labels()) if classify else None
    g = b.start()
    p = "" if arch == "ElectraModel" else "electra."
    g.add_input("input_ids", (SEQ,))
    _embeddings(g, b, f"{p}embeddings.", V, T, V_type, E)
    if E is not d:
        g.add(f"{p}embeddings_project", b.torch("Linear", in_features=E, out_features=d))
    g.add(f"{p}encoder.layer", BertLayer(hidden_size=d, intermediate_size=f), repeat=L)
    if arch == "ElectraForPreTraining":
        g.add("discriminator_predictions.dense", b.torch("Linear", in_features=d, out_features=d))
        g.add("discriminator_predictions.dense_prediction", b.torch("Linear", in_features=d, out_features=1))
        b.notes.append(("electra_discriminator", ()))
    elif arch == "ElectraForMaskedLM":
        g.add("generator_predictions.dense", b.torch("Linear", in_features=d, out_features=E))
        g.add("generator_predictions.LayerNorm", b.torch("LayerNorm", normalized_shape=E))
        g.add("generator_lm_head", b.torch("Linear", in_features=E, out_features=V),
              shares=f"{p}embeddings.word_embeddings" if tied else None)
        b.notes.append(("electra_generator", ()))
    elif arch == "ElectraForSequenceClassification":
        g.add("classifier.dense", b.torch("Linear", in_features=d, out_features=d))
        g.add("classifier.out_proj", b.torch("Linear", in_features=d, out_features=n_labels))
    elif arch == "ElectraForTokenClassification":
        g.add("classifier", b.torch("Linear", in_features=d, out_features=n_labels))
    elif arch == "ElectraForQuestionAnswering":
        g.add("qa_outputs", b.torch("Linear", in_features=d, out_features=2))


def _encoder_decoder_sizes(cfg: _Config, b: _Builder) -> tuple[Value, Value, Value, Value]:
    """L, L_dec, f and f_dec of an encoder–decoder (BART, Whisper): the decoder's written as the
    encoder's where the config's sizes are equal."""
    n_enc, n_dec = cfg.size("encoder_layers"), cfg.size("decoder_layers")
    L = b.declare("L", n_enc)
    L_dec = L if n_dec == n_enc and "L_dec" not in b.overrides else b.declare("L_dec", n_dec)
    b.meanings["L"] = "num_blocks_each_stack" if L_dec is L else "encoder_layers"
    f_enc, f_dec = cfg.size("encoder_ffn_dim"), cfg.size("decoder_ffn_dim")
    f = b.declare("f", f_enc)
    return L, L_dec, f, f if f_dec == f_enc and "f_dec" not in b.overrides else b.declare("f_dec", f_dec)


# ----------------------------------------------------------------------------- BART

@_family("bart", base="BartModel")
def _bart(cfg: _Config, arch: str, b: _Builder) -> None:
    heads = ("BartModel", "BartForConditionalGeneration", "BartForSequenceClassification",
             "BartForQuestionAnswering")
    _check_head(arch, heads)
    V = b.declare("V", cfg.size("vocab_size"))
    T = b.declare("T", cfg.size("max_position_embeddings"))
    d = b.declare("d", cfg.size("d_model"))
    L, L_dec, f, f_dec = _encoder_decoder_sizes(cfg, b)
    heads_e, heads_d = cfg.size("encoder_attention_heads"), cfg.size("decoder_attention_heads")
    for n in (heads_e, heads_d):
        _check_heads(b.values[d], n, "the width d_model", "")
    tied = _tied(cfg, True)
    n_labels = b.declare("n_labels", cfg.labels()) if arch == "BartForSequenceClassification" else None
    S = _source(b)
    g = b.start()
    p = "" if arch == "BartModel" else "model."
    g.add_input("input_ids", (SEQ if S is None else S,))
    g.add(f"{p}shared", b.torch("Embedding", num_embeddings=V, embedding_dim=d))
    if tied:  # applied as encoder.embed_tokens and decoder.embed_tokens (its weights tied to them)
        g.draw(f"{p}shared", [])
    g.add_input("decoder_input_ids", (SEQ,))
    for part, ids, layer, n in (("encoder", "input_ids", BartEncoderLayer(hidden_size=d, intermediate_size=f), L),
                                ("decoder", "decoder_input_ids",
                                 BartDecoderLayer(hidden_size=d, intermediate_size=f_dec, source_length=S), L_dec)):
        s = f"{p}{part}."
        g.add(f"{s}embed_tokens", b.torch("Embedding", num_embeddings=V, embedding_dim=d), [ids],
              shares=f"{p}shared" if tied else None)
        # learned positions with an offset of 2: T + 2 rows
        g.add(f"{s}embed_positions", b.torch("Embedding", num_embeddings=T + 2, embedding_dim=d), [ids])
        g.add(f"{s}embeddings", _add(), [f"{s}embed_tokens", f"{s}embed_positions"])
        g.add(f"{s}layernorm_embedding", b.torch("LayerNorm", normalized_shape=d))
        g.add(f"{s}layers", layer, repeat=n)
        if part == "decoder":  # the cross-attention reads the encoder's output
            g.draw(f"{s}layers", [f"{s}layernorm_embedding"], f"{p}encoder.layers")
    if arch == "BartForConditionalGeneration":
        g.add("lm_head", b.torch("Linear", in_features=d, out_features=V, bias=False),
              shares=f"{p}shared" if tied else None)
        b.notes.append(("tied_head" if tied else "untied_head", ()))
    elif arch == "BartForSequenceClassification":
        g.add("classification_head.dense", b.torch("Linear", in_features=d, out_features=d))
        g.add("classification_head.out_proj", b.torch("Linear", in_features=d, out_features=n_labels))
    elif arch == "BartForQuestionAnswering":
        g.add("qa_outputs", b.torch("Linear", in_features=d, out_features=2))
    b.notes.append(("bart_positions", ()))


# ----------------------------------------------------------------------------- ViT

@_family("vit", base="ViTModel")
def _vit(cfg: _Config, arch: str, b: _Builder) -> None:
    heads = ("ViTModel", "ViTForImageClassification")
    _check_head(arch, heads)
    d = b.declare("d", cfg.size("hidden_size"))
    L = b.declare("L", cfg.size("num_hidden_layers"))
    f = b.declare("f", cfg.size("intermediate_size"))
    C = b.declare("C", cfg.size("num_channels", default=3))
    patch, image = cfg.size("patch_size"), cfg.size("image_size")
    if image % patch:
        raise ExplainError(f"the image size {image} is not a multiple of the patch size {patch}")
    P = b.declare("P", patch)
    n_p = b.declare("n_p", (image // patch) ** 2)
    pooler = arch == "ViTModel" and cfg.size("pooler_output_size", default=b.values[d]) == b.values[d]
    if arch == "ViTModel" and not pooler:
        raise NoClosedForm("a ViT pooler of another width")
    n_labels = b.declare("n_labels", cfg.labels()) if arch == "ViTForImageClassification" else None
    g = b.start()
    p = "" if arch == "ViTModel" else "vit."
    g.add_input("pixel_values", (C, None, None))
    g.add(f"{p}embeddings", ViTEmbeddings(hidden_size=d, num_channels=C, patch_size=P, num_patches=n_p))
    g.add(f"{p}layers", ViTLayer(hidden_size=d, intermediate_size=f, qkv_bias=cfg.flag("qkv_bias", True)), repeat=L)
    g.add(f"{p}layernorm", b.torch("LayerNorm", normalized_shape=d))
    if pooler:
        _pooler(g, b, "pooler.dense", d, f"{p}layernorm", tanh=cfg.text("pooler_act", "tanh") == "tanh")
    else:
        g.add("classifier.first_token", FirstToken(step=True))  # ViTForImageClassification: sequence_output[:, 0, :]
        g.add("classifier", b.torch("Linear", in_features=d, out_features=n_labels))


# ----------------------------------------------------------------------------- Whisper

_PREFIXES.update({"Whisper": "whisper", "CLIP": "clip"})


@_family("whisper", base="WhisperModel")
def _whisper(cfg: _Config, arch: str, b: _Builder) -> None:
    heads = ("WhisperModel", "WhisperForConditionalGeneration")
    _check_head(arch, heads)
    V = b.declare("V", cfg.size("vocab_size"))
    d = b.declare("d", cfg.size("d_model"))
    M = b.declare("M", cfg.size("num_mel_bins"))
    T_src = b.declare("T_src", cfg.size("max_source_positions"))
    T = b.declare("T", cfg.size("max_target_positions"))
    L, L_dec, f, f_dec = _encoder_decoder_sizes(cfg, b)
    tied = _tied(cfg, True)
    g = b.start()
    p = "" if arch == "WhisperModel" else "model."
    e = f"{p}encoder."
    g.add_input("input_features", (M, 2 * T_src))  # 30 s of audio: 2·T_src frames, T_src after conv2
    g.add(f"{e}conv1", b.torch("Conv1d", in_channels=M, out_channels=d, kernel_size=3, padding=1))
    g.add(f"{e}conv2", b.torch("Conv1d", in_channels=d, out_channels=d, kernel_size=3, stride=2, padding=1))
    g.add(f"{e}time_major", TimeMajor())
    # sinusoidal values stored as a parameter that training leaves alone (requires_grad False)
    g.add(f"{e}embed_positions", AddedPositions(hidden_size=d, num_positions=T_src, trainable_table=False))
    g.add(f"{e}layers", WhisperEncoderLayer(hidden_size=d, intermediate_size=f), repeat=L)
    g.add(f"{e}layer_norm", b.torch("LayerNorm", normalized_shape=d))
    s = f"{p}decoder."
    g.add_input("decoder_input_ids", (SEQ,))
    g.add(f"{s}embed_tokens", b.torch("Embedding", num_embeddings=V, embedding_dim=d), ["decoder_input_ids"])
    g.add(f"{s}embed_positions", b.torch("Embedding", num_embeddings=T, embedding_dim=d), ["decoder_input_ids"])
    g.add(f"{s}embeddings", _add(), [f"{s}embed_tokens", f"{s}embed_positions"])
    g.add(f"{s}layers", WhisperDecoderLayer(hidden_size=d, intermediate_size=f_dec, source_length=T_src),
          repeat=L_dec)
    g.draw(f"{s}layers", [f"{s}embeddings"], f"{e}layer_norm")  # the cross-attention reads the encoder's output
    g.add(f"{s}layer_norm", b.torch("LayerNorm", normalized_shape=d))
    if arch == "WhisperForConditionalGeneration":
        g.add("proj_out", b.torch("Linear", in_features=d, out_features=V, bias=False),
              shares=f"{s}embed_tokens" if tied else None)
        b.notes.append(("tied_head" if tied else "untied_head", ()))
    b.notes.append(("whisper_front_end", ()))


# ----------------------------------------------------------------------------- CLIP

@_family("clip", "clip_text_model", "clip_vision_model",
         base={"clip": "CLIPModel", "clip_text_model": "CLIPTextModel", "clip_vision_model": "CLIPVisionModel"})
def _clip(cfg: _Config, arch: str, b: _Builder) -> None:
    heads = {"CLIPModel": "both", "CLIPTextModel": "text", "CLIPVisionModel": "vision",
             "CLIPTextModelWithProjection": "text+", "CLIPVisionModelWithProjection": "vision+"}
    kind = _pick_head(arch, heads)
    model_type = cfg.raw.get("model_type", "clip")
    # a CLIPModel config holds its parts as text_config and vision_config; a part's own config
    # (clip_text_model, clip_vision_model) is the part itself
    text_cfg = vision_cfg = cfg
    if model_type == "clip":
        text_cfg, vision_cfg = _part(cfg, "text_config"), _part(cfg, "vision_config")
    elif kind != "both" and model_type != f"clip_{kind.rstrip('+')}_model":
        raise ExplainError(f"{arch} needs a {kind.rstrip('+')} config. Received: model_type={model_type!r}")
    text, vision = kind in ("both", "text", "text+"), kind in ("both", "vision", "vision+")
    if text:
        V = b.declare("V", text_cfg.size("vocab_size", default=49408))
        T = b.declare("T", text_cfg.size("max_position_embeddings", default=77))
        d = b.declare("d", text_cfg.size("hidden_size", default=512))
        L = b.declare("L", text_cfg.size("num_hidden_layers", default=12))
        f = b.declare("f", text_cfg.size("intermediate_size", default=2048))
    if vision:
        d_vis = b.declare("d_vis", vision_cfg.size("hidden_size", default=768))
        L_vis = b.declare("L_vis", vision_cfg.size("num_hidden_layers", default=12))
        f_vis = b.declare("f_vis", vision_cfg.size("intermediate_size", default=3072))
        C = b.declare("C", vision_cfg.size("num_channels", default=3))
        patch, image = vision_cfg.size("patch_size", default=32), vision_cfg.size("image_size", default=224)
        if image % patch:
            raise ExplainError(f"the image size {image} is not a multiple of the patch size {patch}")
        P = b.declare("P", patch)
        n_p = b.declare("n_p", (image // patch) ** 2)
    projection = kind in ("both", "text+", "vision+")
    p_dim = b.declare("p", cfg.size("projection_dim", default=512)) if projection else None
    g = b.start()
    if text:
        t = "" if kind == "text" else "text_model."
        text_tower(g, b, t, V, T, d, CLIPEncoderLayer(hidden_size=d, intermediate_size=f), L)
        if projection:
            g.add("text_projection", b.torch("Linear", in_features=d, out_features=p_dim, bias=False))
    if vision:
        v = "" if kind == "vision" else "vision_model."
        g.add_input("pixel_values", (C, None, None))
        g.add(f"{v}embeddings", CLIPVisionEmbeddings(hidden_size=d_vis, num_channels=C, patch_size=P, num_patches=n_p),
              ["pixel_values"])
        g.add(f"{v}pre_layrnorm", b.torch("LayerNorm", normalized_shape=d_vis))
        g.add(f"{v}encoder.layers", CLIPEncoderLayer(hidden_size=d_vis, intermediate_size=f_vis), repeat=L_vis)
        g.add(f"{v}post_layernorm", b.torch("LayerNorm", normalized_shape=d_vis))
        if projection:
            g.add("visual_projection", b.torch("Linear", in_features=d_vis, out_features=p_dim, bias=False))
    if kind == "both":
        g.add("logit_scale", Tensors(tensors=(("logit_scale", 1, True, False),), origin="CLIPModel"),
              ["text_projection"])
        b.notes.append(("clip_parts", ()))


def text_tower(g: GraphBuilder, b: _Builder, t: str, V: Value, T: Value, d: Value, layer: Layer,
               L: Value) -> None:
    """CLIP's and SigLIP's text tower: token + position embeddings (V·d + T·d), L copies of the
    encoder layer, and the final LayerNorm (2d)."""
    g.add_input("input_ids", (SEQ,))
    g.add(f"{t}embeddings.token_embedding", b.torch("Embedding", num_embeddings=V, embedding_dim=d), ["input_ids"])
    g.add(f"{t}embeddings.position_embedding", b.torch("Embedding", num_embeddings=T, embedding_dim=d),
          ["input_ids"])
    g.add(f"{t}embeddings", _add(step=False), [f"{t}embeddings.token_embedding", f"{t}embeddings.position_embedding"])
    g.add(f"{t}encoder.layers", layer, repeat=L)
    g.add(f"{t}final_layer_norm", b.torch("LayerNorm", normalized_shape=d))
