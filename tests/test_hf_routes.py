"""Hugging Face configs: the class a config without ``architectures`` is read as (said first, in
text and JSON), ``--architecture``, and the generic route (transformers builds the model on the
meta device) for architectures without a closed form; every total from transformers itself."""
from __future__ import annotations

import json
import sys

import pytest

from conftest import require_module
from explain.cli import main


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
    assert [n["key"] for n in data["model_notes"]] == ["hf_architecture_chosen"]


def test_config_with_architecture_says_nothing_about_it(tmp_path, capsys, llama_config):
    raw = json.loads(llama_config.to_json_string())
    raw["architectures"] = ["LlamaForCausalLM"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    data = _derive_json(capsys, str(path))
    assert data["architecture_given"] is True and "model_notes" not in data


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
    ({"model_type": "bloom", "n_layer": 10**7, "hidden_size": 32, "n_head": 4}, "more layers than"),
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
    """A LLaVA config nests a Llama text_config and a CLIP vision_config; transformers reads the
    parts and builds the whole model (vision tower, projector, language model)."""
    transformers = require_module("transformers")
    text = dict(model_type="llama", num_hidden_layers=2, hidden_size=64, num_attention_heads=4,
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
