"""A live PyTorch model's first sentence and its encoder's compute symbols (review 36: "The model has
6 layers; as in PyTorch, its inputs are not counted" read oddly for a PyTorch model; the compute
"with" list gave H and T without their values)."""
from __future__ import annotations

import pytest

import explain
from explain.render import render
from tests.conftest import encoder_classifier, require_module

T = 16


def _encoder():
    torch = require_module("torch")
    live = encoder_classifier(32, 3)
    return live, explain.from_torch(live, input_data=torch.zeros(1, T, dtype=torch.long))


@pytest.fixture(scope="module")
def encoder():
    return _encoder()


def test_first_sentence_of_a_pytorch_model(encoder):
    live, model = encoder
    layers = 1 + len(live.encoder.layers) + 1  # embed, the 3 encoder layers, head: torch's modules
    doc = {lang: render(model, lang=lang) for lang in ("en", "de", "fr", "es", "ja")}
    assert f"The model has {layers} layers (its input is not a layer)." in doc["en"]
    assert f"Das Modell hat {layers} Schichten (die Eingabe ist keine Schicht)." in doc["de"]
    assert f"Le modèle compte {layers} couches (l’entrée n’est pas une couche)." in doc["fr"]
    assert f"El modelo tiene {layers} capas (la entrada no es una capa)." in doc["es"]
    assert f"モデルは {layers} 層からなります（入力は層に数えません）。" in doc["ja"]
    for text in doc.values():
        assert "PyTorch でも同じく" not in text and "as in PyTorch, its inputs" not in text
        assert "compte les couches" not in text and "cuenta las capas" not in text


def test_a_pytorch_spec_and_keras_keep_their_sentences():
    spec = {"name": "m", "framework": "pytorch", "input": [8],
            "layers": [{"Linear": {"in_features": 8, "out_features": 4}}, {"ReLU": {}}]}
    assert "The model has 2 layers (its input is not a layer)." in render(explain.load(spec))
    seed = render(explain.load("example:seed-cnn"))
    assert "not counting the input layer (for a Sequential model, Keras's" in seed


def test_compute_list_gives_the_heads_and_the_length(encoder):
    live, model = encoder
    heads = live.encoder.layers[0].self_attn.num_heads
    assert heads == 4
    doc = render(model, lang="en", count=("params", "compute"))
    block = doc[doc.index("#### 2. `encoder.layers.0` (TransformerEncoderLayer)"):]
    block = block[:block.index("#### 3.")]
    assert f"- $H = {heads}$: number of attention heads\n- $T = {T}$: sequence length (number of positions)" in block
    assert f"3 \\times {heads} \\times {T}^{{2}}" in block  # the values the list now gives


def test_cnn_compute_lists_keep_their_symbols_without_values():
    """A convolution's output sizes differ from layer to layer: its list keeps the bare symbols."""
    doc = render(explain.load("example:seed-cnn"), lang="en", count=("params", "compute"))
    assert "- $H_{\\text{out}}$: output height\n- $W_{\\text{out}}$: output width" in doc
