"""Calls in a live PyTorch model's forward that change the shape between its modules (``x.mean(1)``,
``torch.flatten(x, 2)``, ``transpose``, ``amax``, ``view``): steps of the derivation without
parameters, named as the call, with the shapes torch gives on the CPU, their other operations
counted as a global pooling's (each input element once), their outputs in the activations unless
they are views. Calls inside a layer of the library, on tensors that are no module's output, or
over the batch axis are not steps."""
from __future__ import annotations

import torch
from torch import nn

import explain
from explain.memory import activations
from explain.render import render_document
from tests.conftest import encoder_classifier

LANGS = ("en", "de", "fr", "es", "ja")


def test_the_mean_between_the_encoder_and_the_head_is_a_step():
    """The reviewers' model, smaller: the head takes the mean over the 8 positions, (8, 16) → (16)."""
    module = encoder_classifier(16, 2).eval()
    state = {k: v.clone() for k, v in module.state_dict().items()}
    x = torch.zeros(1, 8, dtype=torch.long)
    model = explain.from_torch(module, input_data=x)
    assert [n.name for n in model.nodes] == ["embed", "encoder.layers.0", "encoder.layers.1", "mean(dim=1)", "head"]
    step = model.nodes[3]
    with torch.no_grad():
        encoded = module.encoder(module.embed(x))
        pooled = encoded.mean(1)
    assert step.input_shapes == (tuple(encoded.shape[1:]),) == ((8, 16),)
    assert step.output_shape == tuple(pooled.shape[1:]) == (16,)
    assert step.weights == () and step.layer.type_label is not None
    assert model.nodes[4].inputs == ("mean(dim=1)",) and model.nodes[4].input_shapes == ((16,),)
    assert model.total == sum(p.numel() for p in module.parameters())
    # by hand: the mean reads each of the T·d = 8 × 16 = 128 values once, no MACs
    assert (step.macs, step.other_ops) == (0, 128)
    # its 16 outputs are stored for the backward pass (the head's weight gradient needs them)
    acts = {r.name: r.elements for r in activations(model).layers}
    assert acts["mean(dim=1)"] == 16
    assert all(torch.equal(state[k], v) for k, v in module.state_dict().items())


def test_the_documents_show_the_step_and_count_it_apart_from_the_layers():
    module = encoder_classifier(16, 2).eval()
    model = explain.from_torch(module, input_data=torch.zeros(1, 8, dtype=torch.long))
    en = render_document("derivation", model, lang="en", format="markdown", count=("params", "compute", "memory"))
    assert "The model has 4 layers (its input is not a layer).\nIts forward pass also makes 1 function call " \
           "between the layers that changes the shape; it is shown as a step without parameters." in en
    assert '<b>mean(dim=1)</b> (function call)<br/>(None, 16)' in en  # the diagram
    assert "| `mean(dim=1)` (function call) |  | 0 |" in en  # the summary
    assert "| `mean(dim=1)` (function call) | 0 | 128 |" in en  # the compute table
    assert "takes the mean of the values along the axes named in the call" in en
    assert "reductions along axes" in en
    assert "layers without weights contribute 0" not in en and "have no bar" not in en
    words = {"de": ("Funktionsaufruf", "Mittelwert"), "fr": ("appel de fonction", "moyenne"),
             "es": ("llamada a función", "media"), "ja": ("関数呼び出し", "平均")}
    for lang, (label, mean) in words.items():
        for fmt in ("markdown", "latex"):
            text = render_document("derivation", model, lang=lang, format=fmt, count=("params", "compute", "memory"))
            assert "mean(dim=1)" in text and label in text and mean in text, (lang, fmt)
            assert "function call" not in text and "TensorReduction" not in text, (lang, fmt)


class Mixed(nn.Module):
    """A convolution, then torch.flatten from axis 2, a Linear on the last axis, a transpose, the
    maximum over an axis (times a mask built from nothing and summed, which is no step), a view
    that keeps the batch axis, a sum with keepdim, and two flattens joined by torch.cat."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(36, 5)
        self.out = nn.Linear(2, 2)

    def forward(self, x):
        mask = torch.ones(x.shape[0], 3, 5, device=x.device).sum(1)  # no module's output: no step
        y = torch.flatten(self.conv(x), 2)
        y = self.fc(y).transpose(1, 2)
        y = y.amax(dim=-1) * mask
        y = y.view(y.size(0), 5, 1).sum(1, keepdim=True)
        return self.out(torch.cat([y.flatten(1), y.flatten(1)], 1))


def test_each_step_has_torch_s_shape_and_its_operations():
    module = Mixed().eval()
    model = explain.from_torch(module, (3, 8, 8))
    names = [n.name for n in model.nodes]
    assert names == ["conv", "flatten(start_dim=2)", "fc", "transpose(1, 2)", "amax(dim=-1)", "view",
                     "sum(dim=1, keepdim=True)", "flatten(start_dim=1)", "flatten(start_dim=1)#2", "out"]
    x = torch.zeros(2, 3, 8, 8)
    with torch.no_grad():  # the same calls on the CPU
        a = module.conv(x)
        b = torch.flatten(a, 2)
        c = module.fc(b)
        d = c.transpose(1, 2)
        e = d.amax(dim=-1)
        f = e.view(2, 5, 1)
        g = f.sum(1, keepdim=True)
        h = g.flatten(1)
    real = [a, b, c, d, e, f, g, h, h]
    assert [n.output_shape for n in model.nodes[:9]] == [tuple(t.shape[1:]) for t in real]
    assert [n.input_shapes[0] for n in model.nodes[1:8]] == [tuple(t.shape[1:]) for t in real[:7]]
    by_name = {n.name: n for n in model.nodes}
    # by hand: amax reads 5 × 4 = 20 values, the sum 5 × 1 = 5; a flatten, transpose, view none
    assert by_name["amax(dim=-1)"].other_ops == 20 and by_name["sum(dim=1, keepdim=True)"].other_ops == 5
    assert all(by_name[n].other_ops == 0 and by_name[n].macs == 0
               for n in ("flatten(start_dim=2)", "transpose(1, 2)", "view"))
    # views of their input are not stored again; the reductions' outputs are
    acts = activations(model)
    assert set(acts.views) == {"flatten(start_dim=2)", "transpose(1, 2)", "view", "flatten(start_dim=1)",
                               "flatten(start_dim=1)#2"}
    assert {r.name: r.elements for r in acts.layers}["amax(dim=-1)"] == 5
    assert model.total == sum(p.numel() for p in module.parameters())
    assert render_document("derivation", model, lang="en", format="markdown").count("function call") >= 6


class Inside(nn.Module):
    """Calls inside a layer of the library (nn.TransformerEncoderLayer's attention reshapes its
    queries) and a mean over a sequence-first module's output (axis 1 is its batch) are no steps."""

    def __init__(self) -> None:
        super().__init__()
        self.block = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        self.rnn = nn.GRU(8, 8)  # batch_first=False

    def forward(self, x):
        out, _ = self.rnn(self.block(x).transpose(0, 1))  # (T, N, 8)
        return out.mean(1)  # over the batch: no step (its shape without axis 0 would be (8,))


def test_calls_inside_layers_or_over_the_batch_axis_are_not_steps():
    module = Inside().eval()
    model = explain.from_torch(module, (6, 8))
    assert [n.name for n in model.nodes] == ["block", "rnn"]
    assert tuple(module(torch.zeros(2, 6, 8)).shape) == (6, 8)  # the batch axis is gone: not one sample's
