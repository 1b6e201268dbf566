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


def test_encoder_layer_sentence_gives_each_part_its_residual_and_normalization(encoder):
    """Review 37 (en, es): "… two linear layers, each with its own layer normalization" read as one
    LayerNorm per linear layer. The layer has two parts (self-attention, the feed-forward network),
    each with a residual connection and its own LayerNorm: torch's norm1 and norm2, nothing more."""
    torch = require_module("torch")
    live, model = encoder
    layer = live.encoder.layers[0]
    norms = [name for name, m in layer.named_children() if isinstance(m, torch.nn.LayerNorm)]
    linears = [name for name, m in layer.named_children() if isinstance(m, torch.nn.Linear)]
    assert norms == ["norm1", "norm2"] and linears == ["linear1", "linear2"]
    # post-norm (the default): x + self_attn(x), normalized by norm1, then x + ff(x), normalized by norm2
    layer.eval()
    x = torch.randn(1, 5, 32)
    with torch.no_grad():
        a = layer.norm1(x + layer.self_attn(x, x, x, need_weights=False)[0])
        b = layer.norm2(a + layer.linear2(torch.relu(layer.linear1(a))))
        assert torch.allclose(layer(x), b, atol=1e-5)
    doc = {lang: render(model, lang=lang) for lang in ("en", "de", "fr", "es", "ja")}
    assert ("A transformer encoder layer has two parts, self-attention and a feed-forward network of two "
            "linear layers; each part has a residual connection and its own layer normalization.") in doc["en"]
    assert "jeder Teil hat eine Residualverbindung und eine eigene Layer-Normalisierung." in doc["de"]
    assert "chaque partie a une connexion résiduelle et sa propre normalisation de couche." in doc["fr"]
    assert "cada parte tiene una conexión residual y su propia normalización de capa." in doc["es"]
    assert "各部分には残差接続と専用のレイヤー正規化があります。" in doc["ja"]
    assert all("each with its own layer normalization" not in text for text in doc.values())


def test_a_run_of_numbered_layers_is_named_by_all_of_them(encoder):
    """Review 37 (de, en, es, fr): 'encoder.layers.0 × 4' read as layer 0 four times; the layers are
    copies with weights of their own (nn.TransformerEncoder deep-copies its layer), so the box and
    its bar name them all: 'encoder.layers.0–2 × 3'."""
    from explain.render.draw import pictures
    live, model = encoder
    weights = {layer.linear1.weight.data_ptr() for layer in live.encoder.layers}
    assert len(live.encoder.layers) == len(weights) == 3
    drawn = pictures(model, "en", "markdown")
    assert "<b>encoder.layers.0–2</b> (TransformerEncoderLayer) × 3" in drawn["graph"]
    assert '"encoder.layers.0–2 × 3 (' in drawn["bars"]
    assert "encoder.layers.0 × 3" not in drawn["graph"] + drawn["bars"]
