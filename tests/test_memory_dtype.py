"""The memory step uses the dtype the source states (config or checkpoint), float32 otherwise."""
from __future__ import annotations

import json

from explain import load
from explain.derivation.build import derive
from tests.conftest import FIXTURES


def test_a_config_with_bfloat16_takes_two_bytes_per_parameter(tmp_path):
    config = json.loads((FIXTURES / "hf" / "gpt2.json").read_text())
    config["torch_dtype"] = "bfloat16"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    memory = derive(load(path)).memory
    total = json.loads((FIXTURES / "hf" / "expected.json").read_text())["gpt2"]["params"]
    assert (memory.dtype, memory.bytes_per, memory.bytes) == ("bfloat16", 2, 2 * total)


def test_specs_default_to_float32_and_checkpoints_say_their_dtype():
    assert derive(load("example:seed-cnn")).memory.bytes == 4 * 6029097
    checkpoint = load(FIXTURES / "hf" / "tiny-gpt2.safetensors")
    assert checkpoint.dtype == "float32"  # every tensor in the header is F32
