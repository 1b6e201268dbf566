"""Training memory: model states measured on real PyTorch optimizers after a step, mixed
precision from ZeRO's hand derivation, activations from the outputs PyTorch's forward hooks see."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

import explain
from explain.cli import main
from explain.errors import ExplainError
from explain.memory import per_parameter, reader_unit
from tests.conftest import require_module


def _torch_model():
    torch = require_module("torch")
    nn = torch.nn
    torch.manual_seed(0)
    return torch, nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                                nn.Flatten(), nn.Linear(8 * 7 * 7, 10))


def _measured_states(torch, module, make_optimizer) -> tuple[int, int, int]:
    """Bytes of parameters, gradients and optimizer state tensors after one real training step
    (Adam's step counter is a 0-d tensor per parameter tensor, not per parameter: left out)."""
    optimizer = make_optimizer(module.parameters())
    loss = module(torch.randn(2, 3, 16, 16)).square().sum()
    loss.backward()
    optimizer.step()
    params = sum(p.numel() * p.element_size() for p in module.parameters())
    grads = sum(p.grad.numel() * p.grad.element_size() for p in module.parameters())
    state = sum(t.numel() * t.element_size() for s in optimizer.state.values() for t in s.values()
                if torch.is_tensor(t) and t.dim() > 0)
    return params, grads, state


@pytest.mark.parametrize("optimizer", ["sgd", "sgd_momentum", "adam", "adamw"])
def test_float32_model_states_match_a_real_optimizer_step(optimizer):
    torch, module = _torch_model()
    make = {"sgd": lambda p: torch.optim.SGD(p, lr=0.1),
            "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
            "adam": lambda p: torch.optim.Adam(p), "adamw": lambda p: torch.optim.AdamW(p)}[optimizer]
    params, grads, state = _measured_states(torch, module, make)
    model = explain.from_torch(module, (3, 16, 16))
    m = model.training_memory(optimizer, "float32")
    assert (m.parameter_bytes, m.gradient_bytes, m.optimizer_bytes) == (params, grads, state)
    # BatchNorm's running statistics are buffers, not model states: not in the sum
    assert m.bytes == params + grads + state
    assert m.buffers == sum(b.numel() for b in module.buffers())


def test_mixed_precision_adam_is_zero_papers_16_bytes_per_parameter():
    # ZeRO (Rajbhandari et al. 2020, section 3.1): fp16 parameters 2Ψ and gradients 2Ψ, and
    # Adam's fp32 parameter copy, momentum and variance, K = 12 bytes: 2 + 2 + 12 = 16.
    adam = per_parameter("adam", "mixed")
    assert (adam.parameter, adam.gradient, adam.optimizer, adam.total) == (2, 2, 12, 16)
    # SGD keeps only the fp32 copy (4) and momentum one fp32 state more (4 + 4)
    assert per_parameter("sgd", "mixed").total == 2 + 2 + 4
    assert per_parameter("sgd_momentum", "mixed").total == 2 + 2 + 4 + 4
    # in float32 there is no copy: Adam 4 + 4 + 2·4, SGD 4 + 4
    assert per_parameter("adam", "float32").total == 4 + 4 + 8
    assert per_parameter("sgd", "float32").total == 4 + 4


def test_gpt2_mixed_adam_states_are_16_bytes_times_its_parameters():
    torch = require_module("torch")
    transformers = require_module("transformers")
    with torch.device("meta"):  # shapes only
        reference = transformers.GPT2LMHeadModel(transformers.GPT2Config())
    n = sum(p.numel() for p in reference.parameters())  # tied head counted once: 124,439,808
    model = explain.load("tests/fixtures/hf/gpt2.json")
    m = model.training_memory("adam", "mixed")
    assert m.bytes == 16 * n
    assert reader_unit(m.bytes) == ("gigabyte", Fraction(16 * n, 10**9))


def test_frozen_parameters_take_no_gradient_or_optimizer_state():
    torch, module = _torch_model()
    for p in module[0].parameters():
        p.requires_grad_(False)
    frozen = sum(p.numel() for p in module[0].parameters())  # 3·8·3·3 + 8 = 224
    total = sum(p.numel() for p in module.parameters())
    model = explain.from_torch(module, (3, 16, 16))
    m = model.training_memory("adam", "float32")
    assert m.parameter_bytes == 4 * total
    assert m.gradient_bytes == 4 * (total - frozen)
    assert m.optimizer_bytes == 8 * (total - frozen)


def test_activations_are_every_output_pytorch_computes_times_the_batch():
    """Every layer's output PyTorch allocates, not the outputs that share their input's storage
    (Flatten returns a view: no copy)."""
    torch, module = _torch_model()
    seen: list[int] = []
    views: list[str] = []

    def hook(m, inputs, out):
        if out.untyped_storage().data_ptr() == inputs[0].untyped_storage().data_ptr():
            views.append(type(m).__name__)
        else:
            seen.append(out.numel())
    hooks = [layer.register_forward_hook(hook) for layer in module]
    try:
        module(torch.randn(5, 3, 16, 16))
    finally:
        for h in hooks:
            h.remove()
    assert views == ["Flatten"]
    model = explain.from_torch(module, (3, 16, 16))
    a = model.activation_memory("float32")
    assert a.views == (model.nodes[4].name,)
    assert a.elements * 5 == sum(seen)
    assert a.bytes(5) == 4 * sum(seen)
    assert model.activation_memory("mixed").bytes(5) == 2 * sum(seen)
    assert str(a.formula) == f"{4 * sum(seen) // 5}*B"


def test_seed_cnn_activations_by_hand():
    # outputs (H·W·C) of the seed CNN's layers, from its Keras summary, without Flatten's 11552
    # (a reshape: a view of its input, no copy):
    # 256²·32 + 254²·32 + 2·84²·32 + 84²·32 + 82²·32 + 2·41²·32 + 41²·32 + 39²·32 + 2·19²·32
    # + 2·512 + 2·128 + 9
    hand = 32 * (256**2 + 254**2 + 3 * 84**2 + 82**2 + 3 * 41**2 + 39**2 + 2 * 19**2) \
        + 2 * 512 + 2 * 128 + 9
    a = explain.load("example:seed-cnn").activation_memory()
    assert a.elements == hand
    assert a.views == ("flatten_1",)


def test_a_sequence_of_any_length_is_left_out_and_named():
    model = explain.load({"name": "rnn", "input": [None, 8],
                          "layers": [{"LSTM": {"units": 4, "return_sequences": True}},
                                     {"LSTM": {"units": 4}}, {"Dense": {"units": 2}}]})
    a = model.activation_memory()
    assert a.unknown == (model.nodes[0].name,)
    assert a.elements == 4 + 2


def test_reader_unit_picks_the_largest_unit_at_least_one():
    assert reader_unit(999) == ("byte", Fraction(999))
    assert reader_unit(1000) == ("kilobyte", Fraction(1))
    assert reader_unit(96_465_552) == ("megabyte", Fraction(96_465_552, 10**6))
    assert reader_unit(3 * 2**30, binary=True) == ("GiB", Fraction(3))
    assert reader_unit(1023, binary=True) == ("byte", Fraction(1023))


def test_unknown_optimizer_is_one_line_error():
    with pytest.raises(ExplainError, match="unknown optimizer 'lion'"):
        explain.load("example:seed-cnn").training_memory("lion")


def test_json_training_memory_only_when_asked(capsys):
    assert main(["derive", "example:seed-cnn", "--format", "json"]) == 0
    assert "training_memory" not in json.loads(capsys.readouterr().out)
    assert main(["derive", "example:seed-cnn", "--format", "json", "--count", "params,memory"]) == 0
    data = json.loads(capsys.readouterr().out)["training_memory"]
    adam = next(s for s in data["model_states"] if (s["optimizer"], s["precision"]) == ("adam", "mixed"))
    assert adam["bytes"] == 16 * 6029097 and adam["bytes_per_parameter"]["total"] == 16
    assert data["activations"]["mixed"]["estimate"] is True


def test_count_rejects_unknown_items(capsys):
    assert main(["derive", "example:seed-cnn", "--count", "params,weights"]) == 2
    assert "--count takes a comma list" in capsys.readouterr().err


def test_gpt2_activations_at_its_context_length_by_hand():
    # T = 1024 positions, d = 768, L = 12, V = 50257: token and position embeddings and their
    # sum (3·T·d), the 12 blocks (12·T·d), the final LayerNorm (T·d) and the LM head's logits (T·V)
    T, d, L, V = 1024, 768, 12, 50257
    a = explain.load("tests/fixtures/hf/gpt2.json").activation_memory()
    assert a.unknown == ()
    assert a.elements == 3 * T * d + L * T * d + T * d + T * V
