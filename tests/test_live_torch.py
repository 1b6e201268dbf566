"""explain.from_torch: totals equal torch's unique parameter count (random models, ties, reuse);
known modules keep their formulas; shapes from a forward pass on the meta device."""
from __future__ import annotations

import pytest

from tests.conftest import require_module

torch = require_module("torch")
nn = torch.nn
hypothesis = require_module("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import explain  # noqa: E402
from explain.errors import ExplainError  # noqa: E402


def unique(module) -> int:
    return sum(p.numel() for p in module.parameters())  # parameters() yields each tensor once


def unique_trainable(module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class Custom(nn.Module):
    """A module explain does not know: counted from its own tensors, children looked into."""

    def __init__(self, n: int, child: bool) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(n))
        self.register_buffer("mask", torch.zeros(n))
        self.inner = nn.Linear(n, 2) if child else None


@st.composite
def modules(draw):
    size = st.integers(1, 6)
    kind = draw(st.sampled_from(["linear", "conv1d", "conv2d", "convt", "bn", "ln", "gn", "rms", "rnn",
                                 "mha", "encoder", "embedding", "bilinear", "custom", "prelu"]))
    b = draw(st.booleans())
    if kind == "linear":
        return nn.Linear(draw(size), draw(size), bias=b)
    if kind in ("conv1d", "conv2d", "convt"):
        g = draw(st.integers(1, 3))
        cls = {"conv1d": nn.Conv1d, "conv2d": nn.Conv2d, "convt": nn.ConvTranspose2d}[kind]
        return cls(g * draw(size), g * draw(size), draw(st.integers(1, 3)), groups=g, bias=b)
    if kind == "bn":
        return nn.BatchNorm2d(draw(size), affine=b, track_running_stats=draw(st.booleans()))
    if kind == "ln":
        return nn.LayerNorm([draw(size), draw(size)], elementwise_affine=b, bias=draw(st.booleans()))
    if kind == "gn":
        g = draw(st.integers(1, 3))
        return nn.GroupNorm(g, g * draw(size), affine=b)
    if kind == "rms":
        return nn.RMSNorm(draw(size), elementwise_affine=b)
    if kind == "rnn":
        cls = draw(st.sampled_from([nn.RNN, nn.LSTM, nn.GRU]))
        h = draw(size)
        extra = {"proj_size": draw(st.integers(0, h - 1))} if cls is nn.LSTM and h > 1 else {}
        return cls(draw(size), h, num_layers=draw(st.integers(1, 3)), bidirectional=draw(st.booleans()),
                   bias=b, **extra)
    if kind == "mha":
        heads = draw(st.integers(1, 3))
        e = heads * draw(size)
        kdim = draw(st.one_of(st.none(), size))
        vdim = draw(st.one_of(st.none(), size))
        return nn.MultiheadAttention(e, heads, bias=b, add_bias_kv=draw(st.booleans()), kdim=kdim, vdim=vdim)
    if kind == "encoder":
        heads = draw(st.integers(1, 2))
        return nn.TransformerEncoderLayer(heads * draw(size), heads, draw(size), bias=b,
                                          norm_first=draw(st.booleans()))
    if kind == "embedding":
        return nn.Embedding(draw(size), draw(size))
    if kind == "bilinear":
        return nn.Bilinear(draw(size), draw(size), draw(size), bias=b)
    if kind == "prelu":
        return nn.PReLU(draw(size))
    return Custom(draw(size), b)


@st.composite
def models(draw):
    parts = draw(st.lists(modules(), min_size=1, max_size=6))
    root = nn.ModuleList()
    for m in parts:
        root.append(m)
    if draw(st.booleans()):  # a module used twice
        root.append(parts[draw(st.integers(0, len(parts) - 1))])
    if draw(st.booleans()):  # a nested container
        root = nn.Sequential(root, nn.Sequential(nn.Linear(3, 3), nn.ReLU()))
    linears = [m for m in root.modules() if type(m) is nn.Linear]
    embeddings = [m for m in root.modules() if isinstance(m, nn.Embedding)]
    if draw(st.booleans()):  # a tied weight: a new head whose weight is an earlier tensor
        source = draw(st.sampled_from(linears + embeddings)) if linears + embeddings else None
        if source is not None:
            out_f, in_f = source.weight.shape
            head = nn.Linear(in_f, out_f, bias=draw(st.booleans()))
            head.weight = source.weight
            root.append(head)
    for p in root.parameters():  # some frozen tensors
        if draw(st.integers(0, 4)) == 0:
            p.requires_grad_(False)
    return root


@settings(max_examples=40, deadline=None)
@given(models())
def test_random_models_count_each_tensor_once(module):
    model = explain.from_torch(module)
    assert model.total == unique(module)
    assert model.trainable == unique_trainable(module)
    assert model.non_trainable == unique(module) - unique_trainable(module)


def test_known_modules_keep_their_formulas():
    model = explain.from_torch(nn.Sequential(nn.Conv2d(16, 32, 3, groups=4), nn.ReLU(),
                                             nn.LSTM(300, 512, num_layers=2), nn.MultiheadAttention(512, 8)))
    types = [n.type for n in model.nodes]
    assert types == ["Conv2d", "LSTM", "MultiheadAttention"]
    conv, lstm, mha = model.nodes
    assert model.evaluate(conv.params) == sum(p.numel() for p in nn.Conv2d(16, 32, 3, groups=4).parameters())
    assert model.evaluate(lstm.params) == sum(p.numel() for p in nn.LSTM(300, 512, num_layers=2).parameters())
    assert model.evaluate(mha.params) == sum(p.numel() for p in nn.MultiheadAttention(512, 8).parameters())
    assert conv.formula.free_symbols  # a formula in the type's symbols, not a bare number


def test_unknown_module_is_counted_from_its_tensors_and_marked():
    module = Custom(5, True)
    model = explain.from_torch(module)
    scale, root, inner = model.nodes
    assert (scale.name, scale.type, scale.params, scale.inputs) == ("scale", "Parameter", 5, ())
    assert root.type == "Tensors" and root.layer.origin == "module Custom"
    assert model.evaluate(root.params) == 0 and model.evaluate(root.buffers) == 5
    assert inner.type == "Linear" and inner.inputs == ()  # no input_shape: connected to nothing
    assert model.total == unique(module)


def test_tied_head_and_reused_module_with_forward_shapes():
    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(50, 16)
            self.block = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True)
            self.head = nn.Linear(16, 50, bias=False)
            self.head.weight = self.emb.weight

        def forward(self, x):
            return self.head(self.block(self.block(self.emb(x))))

    lm = LM()
    model = explain.from_torch(lm, input_shape=(7,))
    assert model.total == unique(lm)
    names = [n.name for n in model.nodes]
    assert names[:4] == ["emb", "block", "block#2", "head"]
    again = model.node("block#2")
    assert again.shares == "block" and again.own("params") == 0
    head = model.node("head")
    assert head.shares == "emb" and head.own("params") == 0
    with torch.no_grad():
        real = lm(torch.zeros(1, 7, dtype=torch.long)).shape[1:]
    assert model.evaluate_shape(head.output_shape) == tuple(real)
    # the user's module is untouched: weights on the CPU, no hooks left
    assert all(p.device.type == "cpu" for p in lm.parameters())
    assert not any(m._forward_hooks for m in lm.modules())


def test_cnn_shapes_follow_the_forward_pass():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 3, stride=2), nn.Flatten(), nn.LazyLinear(10) if False else nn.Linear(16 * 7 * 7, 10))
    model = explain.from_torch(net, input_shape=(3, 32, 32))
    assert model.total == unique(net)
    shapes = {}
    hooks = [m.register_forward_hook(lambda m, i, o, k=k: shapes.__setitem__(k, tuple(o.shape[1:])))
             for k, m in net.named_children()]
    with torch.no_grad():
        net(torch.zeros(1, 3, 32, 32))
    for h in hooks:
        h.remove()
    for node in model.nodes:
        assert model.evaluate_shape(node.output_shape) == shapes[node.name], node.name
    assert model.buffers == sum(b.numel() for b in net.buffers())


@pytest.mark.parametrize("config_class,kwargs,arch,block", [
    ("GPT2Config", dict(n_layer=2, n_embd=32, n_head=2, vocab_size=50, n_positions=8), "GPT2LMHeadModel",
     "GPT2Block"),
    ("LlamaConfig", dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=4, num_key_value_heads=2,
                         intermediate_size=40, vocab_size=50, attention_bias=True), "LlamaForCausalLM",
     "LlamaDecoderLayer"),
    ("Qwen2Config", dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=4, num_key_value_heads=1,
                         intermediate_size=40, vocab_size=50), "Qwen2ForCausalLM", "Qwen2DecoderLayer"),
    ("GemmaConfig", dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=4, num_key_value_heads=1,
                         head_dim=16, intermediate_size=40, vocab_size=50), "GemmaForCausalLM", "GemmaDecoderLayer"),
    ("Qwen3Config", dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=4, num_key_value_heads=2,
                         head_dim=8, intermediate_size=40, vocab_size=50), "Qwen3ForCausalLM", "Qwen3DecoderLayer"),
    ("MixtralConfig", dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=4, num_key_value_heads=2,
                           intermediate_size=40, vocab_size=50, num_local_experts=3), "MixtralForCausalLM",
     "MixtralDecoderLayer"),
    ("T5Config", dict(num_layers=3, d_model=32, num_heads=2, d_kv=8, d_ff=40, vocab_size=50,
                      feed_forward_proj="gated-gelu"), "T5ForConditionalGeneration", "T5Block"),
    ("BertConfig", dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=2, intermediate_size=40,
                        vocab_size=50), "BertForMaskedLM", "BertLayer"),
    ("DistilBertConfig", dict(n_layers=2, dim=32, n_heads=2, hidden_dim=40, vocab_size=50),
     "DistilBertForMaskedLM", "DistilBertBlock"),
])
def test_transformers_models_on_meta(config_class, kwargs, arch, block):
    transformers = require_module("transformers")
    with torch.device("meta"):
        hf_model = getattr(transformers, arch)(getattr(transformers, config_class)(**kwargs))
    model = explain.from_torch(hf_model)
    assert model.total == unique(hf_model)
    assert block in {n.type for n in model.nodes}


@pytest.mark.parametrize("module,shape,message", [
    ("not a module", None, "takes a torch.nn.Module"),
    (nn.Linear(3, 4), ("a",), "input_shape must be a shape"),
    # a tensor where its shape belongs: one line, which says where a tensor goes
    (nn.Linear(3, 4), torch.zeros(2, 3), r"not a tensor; pass a tensor as input_data\. Received: a tensor of shape \(2, 3\)$"),
    (nn.Linear(3, 4), list(range(-1, 500)), r"Received: input_shape=\[-1, 0, 1, 2, 3, 4, \.\.\.\]$"),
    (nn.Linear(3, 4), (5,), "the forward pass on the meta device"),
    (nn.LazyLinear(4), None, "is not initialized yet"),
])
def test_bad_input(module, shape, message):
    with pytest.raises(ExplainError, match=message) as info:
        explain.from_torch(module, shape)
    assert "\n" not in str(info.value)
