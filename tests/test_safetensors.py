"""safetensors checkpoints: header-only counts, against the fixture and against checkpoints that
transformers writes; a config checked against its checkpoint; bad headers."""
from __future__ import annotations

import json
import struct

import pytest

from explain.cli import main
from explain.errors import ExplainError
from explain.importers import load
from explain.importers.safetensors import checkpoint_bytes, compare
from tests.conftest import FIXTURES, require_module

HF = FIXTURES / "hf"
EXPECTED = json.loads((HF / "expected.json").read_text())


def _write(path, header: dict, data_size: int | None = None, length: int | None = None) -> str:
    raw = json.dumps(header).encode()
    if data_size is None:
        data_size = max((e["data_offsets"][1] for k, e in header.items() if k != "__metadata__"), default=0)
    path.write_bytes(struct.pack("<Q", len(raw) if length is None else length) + raw + b"\0" * data_size)
    return str(path)


def test_fixture_checkpoint_and_its_config():
    ckpt = load(str(HF / "tiny-gpt2.safetensors"))
    assert ckpt.total == EXPECTED["tiny-gpt2"]["params"]
    assert checkpoint_bytes(ckpt) == 4 * EXPECTED["tiny-gpt2"]["params"]  # F32
    blocks = ckpt.node("transformer.h.0-1")
    assert blocks.repeat == 2
    result = compare(load(str(HF / "tiny-gpt2.json")), ckpt)
    assert result.matches and result.difference == 0


def test_tied_offsets_count_once(tmp_path):
    # hand-made: lm_head.weight stored at wte.weight's offsets is the same tensor
    header = {"wte.weight": {"dtype": "F16", "shape": [10, 4], "data_offsets": [0, 80]},
              "lm_head.weight": {"dtype": "F16", "shape": [10, 4], "data_offsets": [0, 80]},
              "lm_head.bias": {"dtype": "F16", "shape": [10], "data_offsets": [80, 100]},
              "bn.running_mean": {"dtype": "F32", "shape": [3], "data_offsets": [100, 112]},
              "bn.num_batches_tracked": {"dtype": "I64", "shape": [], "data_offsets": [112, 120]}}
    model = load(_write(tmp_path / "m.safetensors", header))
    assert model.total == 40 + 10
    assert model.buffers == 3 + 1
    assert model.node("lm_head").shares == "wte"


@pytest.mark.parametrize("config_class,kwargs,arch", [
    ("GPT2Config", dict(n_layer=2, n_embd=32, n_head=2, vocab_size=50, n_positions=16), "GPT2LMHeadModel"),
    ("LlamaConfig", dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=4, num_key_value_heads=2,
                         intermediate_size=40, vocab_size=50), "LlamaForCausalLM"),
    ("T5Config", dict(num_layers=2, d_model=32, num_heads=2, d_kv=8, d_ff=40, vocab_size=50),
     "T5ForConditionalGeneration"),
    ("BertConfig", dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=2, intermediate_size=40,
                        vocab_size=50, max_position_embeddings=20), "BertForMaskedLM"),
])
def test_checkpoints_written_by_transformers(tmp_path, config_class, kwargs, arch):
    require_module("torch")
    transformers = require_module("transformers")
    require_module("safetensors")
    cfg = getattr(transformers, config_class)(**kwargs)
    hf_model = getattr(transformers, arch)(cfg)
    unique = sum({id(p): p.numel() for p in hf_model.parameters()}.values())
    hf_model.save_pretrained(tmp_path)
    ckpt = load(str(tmp_path / "model.safetensors"))
    assert ckpt.total == unique
    config = load(str(tmp_path / "config.json"))
    assert config.total == unique
    result = compare(config, ckpt)
    assert result.difference == 0 and not result.mismatched and not result.missing, result


@pytest.mark.parametrize("content,message", [
    (b"\x05\x00", "shorter than the 8-byte header length"),
    (struct.pack("<Q", 500) + b"{}", "is truncated"),
    (struct.pack("<Q", 200 * 1024 * 1024) + b"{" + b" " * 64, "more than 100 MiB is refused"),
    (struct.pack("<Q", 4) + b"{x:1", "not valid JSON"),
    (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
])
def test_bad_headers_exit_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    assert main(["derive", str(path), "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and str(path) in err


@pytest.mark.parametrize("entry,message", [
    ({"dtype": "F99", "shape": [2], "data_offsets": [0, 8]}, "unknown dtype"),
    ({"dtype": "F32", "shape": [2], "data_offsets": [0, 800]}, "within the 8 bytes"),
    ({"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}, "take 12 bytes"),
    ({"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}, "'shape' must be a list"),
])
def test_bad_tensor_entries(tmp_path, entry, message):
    path = _write(tmp_path / "bad.safetensors", {"w": entry}, data_size=8)
    with pytest.raises(ExplainError, match=message):
        load(path)


def test_sharded_checkpoint_from_its_index(tmp_path):
    require_module("torch")
    transformers = require_module("transformers")
    require_module("safetensors")
    cfg = transformers.LlamaConfig(num_hidden_layers=3, hidden_size=64, num_attention_heads=4,
                                   num_key_value_heads=2, intermediate_size=96, vocab_size=1000)
    hf_model = transformers.LlamaForCausalLM(cfg)
    hf_model.save_pretrained(tmp_path, max_shard_size="100KB")
    assert len(list(tmp_path.glob("model-*.safetensors"))) > 1
    ckpt = load(str(tmp_path / "model.safetensors.index.json"))
    assert ckpt.total == sum(p.numel() for p in hf_model.parameters())
    assert ckpt.node("model.layers.0-2").repeat == 3
    assert compare(load(str(tmp_path / "config.json")), ckpt).matches


@pytest.mark.parametrize("weight_map,message", [
    ({"w": "../elsewhere.safetensors"}, "shards must be files beside the index"),
    ({"w": "missing.safetensors"}, "no such file"),
    ({"w": "shard.safetensors", "v": "shard.safetensors"}, "does not have it"),
    ({"w": 3}, "'weight_map' must map tensor names"),
])
def test_bad_index(tmp_path, capsys, weight_map, message):
    _write(tmp_path / "shard.safetensors", {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    assert main(["derive", str(index), "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
