"""Layers say what they are: every registered type has a role and an explanation of its own or
inherited from its class hierarchy, translated in every language; the derivation, the checker and
``explain layers`` dispatch on the class, never on type-name patterns."""
from __future__ import annotations

import json
import re

import pytest

from explain.derivation import derive
from explain.importers import load
from explain.layers import _texts
from explain.layers.base import ArgContext, Layer
from explain.layers.registry import layer_types, lookup
from explain.render.i18n import translations
from explain.render.documents import render_document
from explain.render.reference import instantiate
from explain.symbols import at_values
from tests.conftest import ROOT, require_module

LANGS = ("de", "ja", "fr", "es")
EXPLANATIONS = {v for k, v in vars(_texts).items() if k.isupper()}


def _explanations(cls: type[Layer]) -> list[str]:
    return [e for e in (cls.explanation, cls.explanation_no_bias, cls.explanation_no_weights) if e]


@pytest.mark.parametrize("cls", layer_types(), ids=lambda c: f"{c.framework}-{c.type_name}")
def test_every_registered_type_has_its_own_or_an_inherited_role_and_explanation(cls):
    assert cls.role != "generic"
    assert cls.explanation is not None
    for text in _explanations(cls):
        assert text in EXPLANATIONS  # a message of layers/_texts.py, extracted for translation
        for lang in LANGS:
            assert translations(lang).gettext(text) != text, (lang, text)


def test_a_sentence_saying_no_weights_is_only_used_for_layers_without_weights():
    checked = 0
    for cls in layer_types():
        layer = instantiate(cls)
        if layer is None:
            continue
        weights = [g.name for g in layer.weight_groups() if not g.buffer]
        text = layer.explanation_for(weights)
        if "has no weights" in text:
            assert weights == [], (cls.type_name, weights, text)
        if "has no bias" in text or "no β" in text:
            assert not {"bias", "beta", "b"} & set(weights), (cls.type_name, text)
        checked += 1
    assert checked > 200


def test_subclasses_inherit_the_role_and_may_say_more():
    embedding, reversible = lookup("Embedding"), lookup("ReversibleEmbedding")
    assert issubclass(reversible, embedding)
    assert reversible.role == embedding.role == "embedding"
    assert reversible.explanation == _texts.REVERSIBLE_EMBEDDING != embedding.explanation
    # families whose common sentence would be false for a member give the member its own
    assert lookup("SimpleRNN").explanation != lookup("GRU").explanation
    assert lookup("LSTM").explanation != lookup("GRU").explanation  # an LSTM also keeps a cell state
    assert "cell state" in lookup("LSTM").explanation and "cell state" not in lookup("GRU").explanation
    assert "gate" not in lookup("SimpleRNN").explanation.replace("no gates", "")
    assert "β" not in lookup("RMSNormalization").explanation.replace("no shift β", "")
    assert lookup("RMSNorm", "pytorch").explanation == lookup("RMSNormalization").explanation
    assert lookup("InstanceNorm2d", "pytorch").role == "instance_norm"
    assert lookup("BatchNorm2d", "pytorch").role == "batchnorm"
    assert lookup("LPPool2d", "pytorch").explanation != lookup("MaxPool2d", "pytorch").explanation
    assert lookup("Identity").explanation != lookup("Dropout").explanation


def test_the_derivation_explains_each_layer_by_its_class_and_its_weights(tmp_path):
    spec = tmp_path / "m.yaml"
    spec.write_text("""
name: roles
input: [10]
layers:
  - ReversibleEmbedding: {name: emb, input_dim: 50, output_dim: 4, tie_weights: false}
  - GroupedQueryAttention: {name: gqa, head_dim: 2, num_query_heads: 4, num_key_value_heads: 2, inputs: [emb, emb]}
  - RMSNormalization: {name: rms}
  - LayerNormalization: {name: ln, center: false}
  - Dense: {name: out, units: 3, use_bias: false}
""")
    steps = {s.node.name: s for s in derive(load(str(spec))).steps}
    assert steps["emb"].role == "embedding"
    assert steps["emb"].explanation == _texts.REVERSIBLE_EMBEDDING
    assert steps["gqa"].explanation == _texts.GROUPED_QUERY_ATTENTION
    assert steps["rms"].explanation == _texts.RMS_NORM
    assert steps["ln"].explanation == _texts.NORM_NO_BIAS   # center=False: γ only
    assert steps["out"].explanation == _texts.DENSE_NO_BIAS
    # the class says what its symbols stand for where the common meaning does not fit
    meanings = {str(v.symbol): v.meaning for v in steps["emb"].symbols}
    assert meanings == {"V": "vocabulary", "d": "embedding_dim"}


def test_an_instance_gets_the_sentence_that_is_true_of_it(tmp_path):
    spec = tmp_path / "t.yaml"
    spec.write_text("""
name: grouped
framework: pytorch
input: [8, 16, 16]
layers:
  - Conv2d: {name: full, in_channels: 8, out_channels: 8, kernel_size: 3}
  - Conv2d: {name: depthwise, in_channels: 8, out_channels: 8, kernel_size: 3, groups: 8, bias: false}
  - ConvTranspose2d: {name: up, in_channels: 8, out_channels: 4, kernel_size: 2, groups: 2}
""")
    steps = {s.node.name: s for s in derive(load(str(spec))).steps}
    assert steps["full"].explanation == _texts.CONV
    assert steps["depthwise"].explanation == _texts.CONV_GROUPED_NO_BIAS
    assert steps["up"].explanation == _texts.CONV_TRANSPOSE_GROUPED
    gru, cell = lookup("GRU"), lookup("GRUCell")
    assert gru.from_args({"units": 4}).explanation_for(["kernel", "recurrent_kernel", "bias"]) \
        == _texts.GRU_RESET_AFTER
    assert gru.from_args({"units": 4, "reset_after": False}).explanation_for(
        ["kernel", "recurrent_kernel", "bias"]) == _texts.GRU_ONE_BIAS
    assert cell.from_args({"units": 4}).explanation_for(["kernel"]) == _texts.GRU_CELL_RESET_AFTER
    assert lookup("AlphaDropout").explanation == lookup("AlphaDropout", "pytorch").explanation \
        == _texts.ALPHA_DROPOUT


def _explained(name: str, framework: str = "keras", **args) -> str:
    layer = lookup(name, framework).from_args(args)
    return layer.explanation_for([g.name for g in layer.weight_groups() if not g.buffer])


@pytest.mark.parametrize("name, framework, args, expected", [
    ("BatchNormalization", "keras", {}, "BATCHNORM"),
    ("BatchNormalization", "keras", {"center": False}, "BATCHNORM_NO_BETA"),
    ("BatchNormalization", "keras", {"scale": False}, "BATCHNORM_NO_GAMMA"),
    ("BatchNormalization", "keras", {"center": False, "scale": False}, "BATCHNORM_NO_AFFINE"),
    ("BatchNorm2d", "pytorch", {"num_features": 4, "affine": False}, "BATCHNORM_NO_AFFINE"),
    ("BatchNorm2d", "pytorch", {"num_features": 4, "track_running_stats": False}, "BATCHNORM_NO_STATS"),
    ("BatchNorm2d", "pytorch", {"num_features": 4, "affine": False, "track_running_stats": False},
     "BATCHNORM_NO_WEIGHTS"),
    ("InstanceNorm2d", "pytorch", {"num_features": 4, "affine": True}, "INSTANCE_NORM"),
    ("LayerNormalization", "keras", {"scale": False}, "NORM_NO_GAMMA"),
    ("LayerNorm", "pytorch", {"normalized_shape": 4, "elementwise_affine": False}, "NORM_NO_WEIGHTS"),
    ("LSTM", "keras", {"units": 3, "use_bias": False}, "LSTM_NO_BIAS"),
    ("SimpleRNN", "keras", {"units": 3, "use_bias": False}, "SIMPLE_RNN_TANH_NO_BIAS"),  # its default tanh: with the equation
    ("GRUCell", "keras", {"units": 3, "use_bias": False}, "CELL_NO_BIAS"),
    ("SimpleRNNCell", "keras", {"units": 3, "use_bias": False}, "SIMPLE_CELL_NO_BIAS"),
    ("LSTM", "pytorch", {"input_size": 3, "hidden_size": 3}, "TORCH_LSTM"),
    ("RNN", "pytorch", {"input_size": 3, "hidden_size": 3, "bias": False}, "SIMPLE_RNN_NO_BIAS"),
])
def test_options_that_remove_weights_get_a_sentence_without_them(name, framework, args, expected):
    assert _explained(name, framework, **args) == getattr(_texts, expected)


def test_explain_layers_json_shows_every_types_role_and_explanation_none_generic():
    entries = json.loads(render_document("layers", None, lang="de", format="json"))
    types = {(c.framework, c.type_name) for c in layer_types()}
    assert {(e["framework"], e["type"]) for e in entries} == types
    generic = {translations("de").gettext(m) for m in
               ("This layer has the tensors listed below.", "This layer has no weights.")}
    for e in entries:
        assert e["role"] and e["role"] != "generic", e["type"]
        assert e["explanation"] and e["explanation"] not in generic, e["type"]
    by_type = {(e["framework"], e["type"]): e for e in entries}
    assert by_type[("keras", "ReversibleEmbedding")]["role"] == "embedding"
    assert by_type[("keras", "Conv2D")]["explanation"].startswith("Eine Faltungsschicht")


# What must not come back: role or family tables keyed on type-name patterns, and comparisons of
# a name with a registered type's name (containers such as "Sequential" are not layer types).
# A ``.type`` compared with a lower-case literal is a Markdown token's kind ("table_open"), not a
# layer type (those are CamelCase).
_NAME_DISPATCH = re.compile(
    r"""re\.compile\(r?["'](\^\(?|\()[A-Z]|\.type\s*(==|!=)(?!\s*["'][a-z_]+["'])|\.type\s*(in\b|not in\b)"""
    r"""|type_name\s*(==|!=|in\b|not in\b)"""
    r"""|^\s*\(r["']\^|type_name\.(startswith|endswith)|type\((?!e\))[^)]*\)\.__name__|"Transpose" in"""
    r"""|\bin\s+[\w.]*\.type\b""")
_COMPARISON = re.compile(r"==|!=|\bin\s*[({\[]|\bin\s+\w")
_LITERAL = re.compile(r"""["']([A-Z]\w*)["']""")
_TYPE_NAMES = {c.type_name for c in layer_types()}


def _dispatches_on_a_name(line: str) -> bool:
    if _NAME_DISPATCH.search(line):
        return True
    text = line.lstrip()  # a loop's "in" iterates, it does not compare
    compares = ("==" in text or "!=" in text) if text.startswith("for ") else _COMPARISON.search(text)
    return bool(compares) and any(m in _TYPE_NAMES for m in _LITERAL.findall(line))


@pytest.mark.parametrize("where", ["derivation", "checker", "render", "importers/applications.py"])
def test_no_dispatch_on_type_names(where):
    root = ROOT / "explain" / where
    found = []
    for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if _dispatches_on_a_name(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


@pytest.mark.parametrize("line", [
    'if node.type != "ZeroPadding2D":', 'if n.layer.role in roles or any(t in n.type for t in types)',
    'if cls == "Linear" and spatial:', 'flattened = any(cls == "Flatten" for cls in layers)',
    'if any(t in n.type for t in ("LSTM", "GRU")):', 'if name in {"Dense", "Conv2D"}:',
    'return [r for r in rows if r.type != "InputLayer"]',
    '_ROLES = [(re.compile(r"^(Conv|Dense)"), "conv")]', 'if "Transpose" in type(layer).__name__:'])
def test_the_scan_sees_the_name_tests_it_forbids(line):
    assert _dispatches_on_a_name(line)


@pytest.mark.parametrize("line", [
    'if cls in ("Sequential", "ModuleList"):', 'for inner in ({"LSTM": {"units": 8}}, {"Dense": {}}):',
    '_HEADER = re.compile(r"Layer \\(type\\)")',
    'raise ExplainError(f"is not a readable PDF ({type(e).__name__})", file=path) from None'])
def test_the_scan_leaves_what_is_not_a_layer_type_alone(line):
    assert not _dispatches_on_a_name(line)


def test_embedding_bag_is_an_embedding_with_torchs_own_arguments():
    torch = require_module("torch")
    import dataclasses
    import inspect
    bag, embedding = lookup("EmbeddingBag", "pytorch"), lookup("Embedding", "pytorch")
    assert issubclass(bag, embedding) and bag.role == "embedding" and bag.explanation == embedding.explanation
    accepted = {f.name for f in dataclasses.fields(bag) if f.init} - {"trainable"}
    assert accepted == set(inspect.signature(torch.nn.EmbeddingBag.__init__).parameters) - {"self"}
    layer = bag.from_args({"mode": "sum"}, ArgContext(), [11, 5])
    real = torch.nn.EmbeddingBag(11, 5, mode="sum")
    assert layer.output_shape((7,)) == (5,) == tuple(real(torch.zeros(2, 7, dtype=torch.long)).shape[1:])
    assert sum(at_values(g.formula, layer.values((7,))) for g in layer.weight_groups()) == \
        sum(p.numel() for p in real.parameters())
