"""The work of from_torch's meta pass, counted (calls of the torch-function mode, copies made),
and what the shortcuts must keep: the model and the user's module exactly as before."""
from __future__ import annotations

from tests.conftest import require_module

torch = require_module("torch")
nn = torch.nn

import explain  # noqa: E402
from explain.importers import torch_forward  # noqa: E402


class ConvBlock(nn.Module):
    """A forward of its own, so the meta pass runs (not the rules)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


def test_the_hooks_read_the_shapes_without_the_mode(monkeypatch):
    """The mode sees the forward's own calls only: conv2d, BatchNorm's x.dim() check, batch_norm
    and relu; the hooks' reads of the four calls' shapes (eight t.shape) do not reach it."""
    seen = []
    real = torch_forward._known_shape
    monkeypatch.setattr(torch_forward, "_known_shape",
                        lambda func, *a: seen.append(getattr(func, "__name__", "")) or real(func, *a))
    model = explain.from_torch(ConvBlock(), (3, 8, 8))
    assert seen == ["conv2d", "dim", "batch_norm", "relu"]
    assert [n.output_shape for n in model.nodes] == [(4, 6, 6)] * 3


class Token(nn.Module):
    """A parameter whose first use is a module's input that no torch function reads (Identity)."""

    def __init__(self) -> None:
        super().__init__()
        self.ident = nn.Identity()
        self.lin = nn.Linear(4, 4)
        self.token = nn.Parameter(torch.zeros(1, 4))

    def forward(self, x):
        return self.lin(x + self.ident(self.token))


def test_a_parameter_first_met_by_a_hook_is_placed_before_that_call():
    """Identity runs no torch function on the token: the hook that records Identity's call is the
    first to see it, so the token's row comes before Identity's, as its first use."""
    model = explain.from_torch(Token(), (4,))
    assert [(n.name, n.inputs) for n in model.nodes] == [("token", ()), ("ident", ("input",)), ("lin", ("ident",))]
    assert model.total == 4 + 4 * 4 + 4

