"""Hugging Face configs: the class a config without ``architectures`` is read as (said first, in
text and JSON), ``--architecture``, and the generic route (transformers builds the model on the
meta device) for architectures without a closed form; every total from transformers itself."""
from __future__ import annotations

import json
import os
import sys

import pytest

from explain.cli import main
from tests.conftest import require_module


def _meta_count(arch: str, cfg) -> int:
    torch = require_module("torch")
    transformers = require_module("transformers")
    with torch.device("meta"):
        model = getattr(transformers, arch)(cfg)
    return sum({id(p): p.numel() for p in model.parameters()}.values())


def _saved(tmp_path, cfg) -> str:
    """The config.json that ``cfg.save_pretrained()`` writes (no 'architectures')."""
    cfg.save_pretrained(tmp_path)
    raw = json.loads((tmp_path / "config.json").read_text())
    assert "architectures" not in raw
    return str(tmp_path / "config.json")


def _derive_json(capsys, *args) -> dict:
    assert main(["derive", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def llama_config():
    transformers = require_module("transformers")
    return transformers.LlamaConfig(num_hidden_layers=2, hidden_size=64, num_attention_heads=4,
                                    num_key_value_heads=2, intermediate_size=96, vocab_size=100)


def test_no_architecture_is_said_first_and_in_json(tmp_path, capsys, llama_config):
    path = _saved(tmp_path, llama_config)
    data = _derive_json(capsys, path)
    assert data["model"] == data["architecture"] == "LlamaModel"
    assert data["architecture_given"] is False
    assert data["total"] == _meta_count("LlamaModel", llama_config)
    assert data["total"] < _meta_count("LlamaForCausalLM", llama_config)  # no LM head
    note = data["model_notes"][0]
    assert note["key"] == "hf_no_architecture" and note["assumed"] == "LlamaModel"
    assert "no language-model or task head" in note["text"]

    assert main(["derive", path]) == 0
    head = capsys.readouterr().out.splitlines()[:5]
    assert any("names no architecture" in line and "`LlamaModel`" in line and "--architecture" in line
               for line in head)
    assert main(["derive", path, "--lang", "de"]) == 0
    head = capsys.readouterr().out.splitlines()[:5]
    assert any("nennt keine Architektur" in line for line in head)


def test_architecture_option_chooses_the_class(tmp_path, capsys, llama_config):
    path = _saved(tmp_path, llama_config)
    data = _derive_json(capsys, path, "--architecture", "LlamaForCausalLM")
    assert data["model"] == "LlamaForCausalLM"
    assert data["total"] == _meta_count("LlamaForCausalLM", llama_config)
    assert [n["key"] for n in data["model_notes"]] == ["hf_architecture_chosen", "untied_head"]


def test_config_with_architecture_says_nothing_about_it(tmp_path, capsys, llama_config):
    raw = json.loads(llama_config.to_json_string())
    raw["architectures"] = ["LlamaForCausalLM"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    data = _derive_json(capsys, str(path))
    assert data["architecture_given"] is True
    assert [n["key"] for n in data["model_notes"]] == ["untied_head"]  # nothing about the architecture


@pytest.mark.parametrize("args,message", [
    (["--architecture", "GPT2Model"], "'GPT2Model' takes a gpt2 config, not llama"),
    (["--architecture", "LlamaFrobnicator"], "'LlamaFrobnicator' is not supported"),
    (["--architecture", "os.system"], "--architecture takes a class name"),
])
def test_bad_architecture_option(tmp_path, capsys, llama_config, args, message):
    path = _saved(tmp_path, llama_config)
    assert main(["derive", path, *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_architecture_option_needs_a_config(capsys):
    assert main(["derive", "example:mnist_mlp", "--architecture", "LlamaModel"]) == 2
    assert "--architecture applies to a Hugging Face config.json only" in capsys.readouterr().err


# ----------------------------------------------------------------------------- generic route

@pytest.mark.parametrize("config_class,kwargs,arch", [
    ("OPTConfig", dict(num_hidden_layers=2, hidden_size=32, ffn_dim=48, num_attention_heads=4,
                       vocab_size=100, max_position_embeddings=40, word_embed_proj_dim=32), "OPTForCausalLM"),
    ("BloomConfig", dict(n_layer=2, hidden_size=32, n_head=4, vocab_size=100), "BloomModel"),
    ("GPT2Config", dict(n_layer=2, n_embd=32, n_head=4, vocab_size=100, n_positions=16),
     "GPT2DoubleHeadsModel"),  # a head the closed form does not know
])
def test_generic_route_counts_what_transformers_builds(tmp_path, capsys, config_class, kwargs, arch):
    transformers = require_module("transformers")
    cfg = getattr(transformers, config_class)(**kwargs)
    raw = json.loads(cfg.to_json_string())
    raw["architectures"] = [arch]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    data = _derive_json(capsys, str(path))
    assert data["total"] == _meta_count(arch, cfg)
    assert data["model"] == arch and data["route"] == "generic"
    assert [n["key"] for n in data["model_notes"]] == ["hf_generic"]
    assert main(["derive", str(path)]) == 0
    assert "Following the generic route, transformers built the model" in capsys.readouterr().out


def test_generic_route_without_architecture_builds_the_base_model(tmp_path, capsys):
    transformers = require_module("transformers")
    cfg = transformers.BloomConfig(n_layer=2, hidden_size=32, n_head=4, vocab_size=100)
    data = _derive_json(capsys, _saved(tmp_path, cfg))
    assert data["model"] == "BloomModel" and data["total"] == _meta_count("BloomModel", cfg)
    assert [n["key"] for n in data["model_notes"]] == ["hf_no_architecture", "hf_generic"]


def test_generic_route_without_transformers_refuses_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # import transformers fails
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "bloom", "n_layer": 2, "hidden_size": 32, "n_head": 4}))
    assert main(["derive", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'explain[hf]'" in err and "bloom" in err


@pytest.mark.parametrize("raw,message", [
    ({"model_type": "frobnicator", "hidden_size": 8}, "unknown model_type 'frobnicator'"),
    ({"model_type": "bloom", "n_layer": 2**41, "hidden_size": 32, "n_head": 4}, "is larger than any size the generic route"),
    ({"model_type": "bloom", "n_layer": 2, "hidden_size": 30, "n_head": 4}, "cannot build"),
])
def test_generic_route_bad_configs(tmp_path, capsys, raw, message):
    require_module("transformers")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    assert main(["derive", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_nested_multimodal_config_without_closed_form_takes_the_generic_route(tmp_path, capsys):
    """A LLaVA config whose language model (StarCoder2) has no closed form here: transformers reads the
    parts and builds the whole model (vision tower, projector, language model)."""
    transformers = require_module("transformers")
    text = dict(model_type="starcoder2", num_hidden_layers=2, hidden_size=64, num_attention_heads=4,
                num_key_value_heads=2, intermediate_size=96, vocab_size=120)
    vision = dict(model_type="clip_vision_model", hidden_size=48, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=80, image_size=32, patch_size=8, projection_dim=24)
    cfg = transformers.LlavaConfig(text_config=text, vision_config=vision, image_token_index=100)
    raw = json.loads(cfg.to_json_string(use_diff=False))
    raw["architectures"] = ["LlavaForConditionalGeneration"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    data = _derive_json(capsys, str(path))
    assert data["route"] == "generic"
    assert data["total"] == _meta_count("LlavaForConditionalGeneration", cfg)
    names = {layer["name"] for layer in data["layers"]}
    assert any("vision_tower" in n for n in names) and any("language_model" in n for n in names)


# ----------------------------------------------------------------------------- generic route: bounds

@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to resolve a host or open a connection is recorded and fails."""
    import socket
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("the network is blocked in this test")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def _write(tmp_path, raw) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    return str(path)


@pytest.mark.parametrize("raw", [
    # a timm backbone with pretrained weights: built only from the config, or refused (no timm)
    {"model_type": "detr", "use_timm_backbone": True, "use_pretrained_backbone": True, "backbone": "resnet50"},
    # a backbone named by its Hub id: its config would be fetched
    {"model_type": "detr", "use_timm_backbone": False, "use_pretrained_backbone": True,
     "backbone": "microsoft/resnet-50"},
    {"model_type": "maskformer", "use_pretrained_backbone": True,
     "backbone": "microsoft/swin-tiny-patch4-window7-224"},
])
def test_generic_route_downloads_nothing(tmp_path, capsys, monkeypatch, no_network, raw):
    hub = require_module("huggingface_hub.constants")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    offline = hub.HF_HUB_OFFLINE
    status = main(["derive", _write(tmp_path, raw), "--format", "json"])
    err = capsys.readouterr().err
    assert no_network == []
    assert status == 2 and err.count("\n") == 1 and "transformers cannot" in err, err
    if "/" in raw["backbone"]:
        assert "explain downloads nothing" in err
    # the offline mode is the build's only: the environment and huggingface_hub are as before
    assert "HF_HUB_OFFLINE" not in os.environ and "TRANSFORMERS_OFFLINE" not in os.environ
    assert hub.HF_HUB_OFFLINE == offline


def test_generic_route_builds_a_pretrained_backbone_flag_from_its_config(tmp_path, capsys, no_network):
    """use_pretrained_backbone asks for weights; the backbone given by its config is counted."""
    transformers = require_module("transformers")
    swin = transformers.SwinConfig(embed_dim=24, depths=[1, 1, 1, 1], num_heads=[1, 2, 3, 6],
                                   out_features=["stage1", "stage2", "stage3", "stage4"])
    cfg = transformers.MaskFormerConfig(backbone_config=swin.to_dict())
    raw = json.loads(cfg.to_json_string())
    raw.update(use_pretrained_backbone=True, architectures=["MaskFormerForInstanceSegmentation"])
    data = _derive_json(capsys, _write(tmp_path, raw))
    assert no_network == []
    assert data["route"] == "generic"
    assert data["total"] == _meta_count("MaskFormerForInstanceSegmentation", cfg)


def _nested(depth: int) -> dict:
    return {"hidden_size": 8} if depth == 0 else {"sub_config": _nested(depth - 1)}


@pytest.mark.parametrize("raw,message", [
    # numbers beyond 2^40 (about 10^12), whatever their key: far beyond any model's sizes
    ({"model_type": "bloom", "hidden_size": 2**41, "n_head": 4}, "'hidden_size' = 2199023255552 is larger than"),
    ({"model_type": "bloom", "vocab_size": 1e300}, "'vocab_size' = 1e+300 is larger than"),
    ({"model_type": "bloom", "vocab_size": 10**40}, "'vocab_size' = a number over 10^30 is larger than"),
    ({"model_type": "bloom", "frobnication": -(10**13)}, "'frobnication' = -10000000000000 is larger than"),
    ({"model_type": "llava", "text_config": {"model_type": "llama", "intermediate_size": 10**13}},
     "'intermediate_size' = 10000000000000 is larger than"),
    ({"model_type": "swin", "depths": [2, 2, 10**13, 2]}, "'depths' = 10000000000000 is larger than"),
    ({"model_type": "llava", "extra": [{"sizes": [{"hidden_size": 10**13}]}]}, "'hidden_size' = 10000000000000"),
    ({"model_type": "bloom", "extra": list(range(10**5))}, "'extra' has 100000 entries"),
    ({"model_type": "bloom", **_nested(12)}, "nests more than 8 levels"),
])
def test_generic_route_refuses_huge_sizes_before_building(tmp_path, capsys, monkeypatch, raw, message):
    """Refused from the config alone: transformers is never asked to read it or build the model."""
    transformers = require_module("transformers")

    def never(*args, **kwargs):
        raise AssertionError("transformers was asked")
    monkeypatch.setattr(transformers.AutoModel, "from_config", never)
    monkeypatch.setattr(transformers.BloomConfig, "from_dict", never)
    assert main(["derive", _write(tmp_path, raw)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "the generic route" in err, err


@pytest.mark.parametrize("raw,bound,message", [
    # transformers builds modules one by one: the build stops at the bound (here 200, to be quick)
    ({"model_type": "bloom", "n_layer": 10**6, "hidden_size": 32, "n_head": 4, "vocab_size": 100}, ("MAX_MODULES", 200),
     "the model has more than 200 modules"),
    # the meta device stores nothing, but a model of 10^16 parameters is no model
    ({"model_type": "bloom", "n_layer": 2, "hidden_size": 2**39, "n_head": 4}, None, "more than 1e+14 parameters"),
    ({"model_type": "olmoe", "num_experts": 10**9}, None, "more than 1e+14 parameters"),
    # reading the config runs a loop per layer (layer_types): stopped after the bound's steps
    ({"model_type": "smollm3", "num_hidden_layers": 10**9}, ("MAX_CONFIG_STEPS", 50_000),
     "reading the config of model_type 'smollm3' takes more than 50,000 steps"),
    ({"model_type": "qwen2_vl", "text_config": {"num_hidden_layers": 10**9}}, ("MAX_CONFIG_STEPS", 150_000),
     "reading the config of model_type 'qwen2_vl' takes more than 150,000 steps"),  # the closed form's reading
])
def test_generic_route_stops_a_build_at_its_bounds(tmp_path, capsys, monkeypatch, raw, bound, message):
    """What a config makes transformers do (Python steps to read it, modules and parameters it
    registers) is counted while it happens and stopped at the bound: exit 2, one line."""
    from explain.importers import hf_generic
    require_module("transformers")
    if bound is not None:
        monkeypatch.setattr(hf_generic, *bound)
    assert main(["derive", _write(tmp_path, raw)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "than the generic route builds" in err, err
    assert sys.gettrace() is None  # the step guard's tracer is gone


def test_generic_route_builds_a_176b_model(tmp_path, capsys):
    """A legitimately large config (BLOOM, 176 billion parameters) passes every bound: the meta
    device stores nothing, and its 70 blocks are few modules."""
    transformers = require_module("transformers")
    cfg = transformers.BloomConfig(n_layer=70, hidden_size=14336, n_head=112, vocab_size=250880)
    raw = json.loads(cfg.to_json_string())
    raw["architectures"] = ["BloomForCausalLM"]
    data = _derive_json(capsys, _write(tmp_path, raw))
    assert data["route"] == "generic"
    assert data["total"] == _meta_count("BloomForCausalLM", cfg) > 176 * 10**9
