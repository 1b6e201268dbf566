"""The compute section's examples of "other operations" come from the model's own layers (review 36:
"bias additions and pooling" in Llama, Gemma 3 and a torch encoder, which have no pooling, and
Llama no bias): what each model has is read from the framework's own modules here."""
from __future__ import annotations

import json

import pytest

import explain
from explain.render import render
from tests.conftest import encoder_classifier, FIXTURES, require_module

LLAMA = FIXTURES / "hf" / "llama-2-7b.json"


def _lines(doc: str) -> tuple[str, str]:
    """The first sentence that names the kinds ("… are not MACs") and the table's lead-in."""
    start = next(line for line in doc.splitlines() if "are not MACs" in line)
    lead = next(line for line in doc.splitlines() if line.startswith("For each layer and one sample"))
    return start, lead


def _torch_facts(module) -> tuple[bool, bool, bool]:
    """(a bias parameter, a pooling module, a normalization module) in a torch module."""
    torch = require_module("torch")
    names = [n for n, _ in module.named_parameters()]
    pools = (torch.nn.MaxPool1d, torch.nn.MaxPool2d, torch.nn.AvgPool1d, torch.nn.AvgPool2d,
             torch.nn.AdaptiveAvgPool1d, torch.nn.AdaptiveAvgPool2d)
    has_pool = any(isinstance(m, pools) for m in module.modules())
    has_norm = any("Norm" in type(m).__name__ for m in module.modules())
    return any(n.rsplit(".", 1)[-1] == "bias" for n in names), has_pool, has_norm


def test_llama_names_its_own_work_not_bias_or_pooling():
    transformers = require_module("transformers")
    cfg = json.loads(LLAMA.read_text())
    tiny = transformers.LlamaConfig(**{**cfg, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                                       "num_attention_heads": 2, "num_key_value_heads": 2, "vocab_size": 50})
    bias, pool, norm = _torch_facts(transformers.LlamaForCausalLM(tiny))
    assert (bias, pool, norm) == (False, False, True)  # Llama's attention_bias and mlp_bias are false
    doc = render(explain.load(LLAMA), lang="en", format="markdown", count=("params", "compute"))
    start, lead = _lines(doc)
    assert "(element-wise work such as activations, softmax, normalizations, rotations of queries and keys " \
           "(RoPE) and residual additions)." in lead
    assert "Activations, softmax, normalizations, rotations of queries and keys (RoPE) and residual additions " \
           "are not MACs" in start
    for line in (start, lead):
        assert "bias" not in line.lower() and "pooling" not in line


def test_torch_encoder_names_bias_softmax_norms_and_no_pooling():
    torch = require_module("torch")
    live = encoder_classifier(16, 2)
    assert _torch_facts(live) == (True, False, True)
    model = explain.from_torch(live, input_data=torch.zeros(1, 8, dtype=torch.long))
    doc = render(model, lang="en", format="markdown", count=("params", "compute"))
    start, lead = _lines(doc)
    # its forward takes the mean over the positions between the encoder and the head (conftest): a step
    assert "mean(dim=1)" in [n.name for n in model.nodes]
    assert "(element-wise work such as bias additions, activations, softmax, normalizations, reductions along " \
           "axes and residual additions)." in lead
    assert start.endswith("Bias additions, activations, softmax, normalizations, reductions along axes and residual "
                          "additions are not MACs: they are counted separately below, as the other operations $O$ "
                          f"({doc.split('as the other operations $O$ (')[1].split(' ')[0]} for this model), "
                          "and are not included in these FLOPs.")
    assert "pooling" not in start + lead


def test_keras_cnns_keep_pooling_and_bias_where_they_have_them():
    """The seed CNN has biased convolutions, max pooling and a softmax layer; MobileNet's
    convolutions have no bias but its classifier does, and it has batch norms and global pooling."""
    seed = explain.load("example:seed-cnn")
    types = {n.layer.type_name for n in seed.nodes}
    assert {"Conv2D", "MaxPooling2D", "Dense"} <= types
    _, lead = _lines(render(seed, lang="en", format="markdown", count=("params", "compute")))
    assert "(element-wise work such as bias additions, activations, softmax and pooling)." in lead
    mobilenet = explain.load(FIXTURES / "keras" / "MobileNet.json")
    layers = json.loads((FIXTURES / "keras" / "MobileNet.json").read_text())["config"]["layers"]
    biased = [x["config"]["name"] for x in layers if x["config"].get("use_bias")]
    assert biased == ["conv_preds"]
    start, lead = _lines(render(mobilenet, lang="en", format="markdown", count=("params", "compute")))
    assert "(element-wise work such as bias additions, activations, softmax, normalizations and pooling)." in lead
    assert "Bias additions, activations, softmax, normalizations and pooling are not MACs" in start


@pytest.mark.parametrize("lang, lead", [
    ("de", "(Spalte $O$: elementweise Arbeit wie Aktivierungsfunktionen, Softmax, Normalisierungen, "
           "Rotationen der Queries und Keys (RoPE) und Residualadditionen)."),
    ("fr", "(calculs élément par élément, comme les activations, le softmax, les normalisations, les rotations "
           "des requêtes et des clés (RoPE) et les additions résiduelles)."),
    ("es", "(trabajo elemento a elemento, como las funciones de activación, el softmax, las normalizaciones, "
           "las rotaciones de las consultas y las claves (RoPE) y las sumas residuales)."),
    ("ja", "その他の演算（活性化関数、softmax、正規化、クエリとキーの回転（RoPE）、残差接続の加算などの要素ごとの処理）"),
])
def test_the_lists_are_translated(lang, lead):
    doc = render(explain.load(LLAMA), lang=lang, format="markdown", count=("params", "compute"))
    assert lead in doc
    starts = {"de": "Aktivierungsfunktionen, Softmax, Normalisierungen", "fr": "Les activations, le softmax",
              "es": "Las funciones de activación, el softmax", "ja": "活性化関数、softmax、正規化"}
    assert starts[lang] in doc
    latex = render(explain.load(LLAMA), lang=lang, format="latex", count=("params", "compute"))
    assert starts[lang] in latex and "work)s" not in latex
