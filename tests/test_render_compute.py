"""The compute section (--count compute): GPT-2's Kaplan figures beside the exact ones, KaTeX
renders every formula, the seed CNN's and GPT-2's German LaTeX compiles with them."""
from __future__ import annotations

import pytest

from explain.importers import load
from explain.render import render
from tests.conftest import FIXTURES, require_module
from tests.render_helpers import LANGS, compile_latex, formulas, katex_errors, pdf_text, require_tool

T, D, L, V = 1024, 768, 12, 50257
N = 2 * D * L * (2 * D + 4 * D)                 # Kaplan: 2·d_model·n_layer·(2·d_attn + d_ff) = 84,934,656
KAPLAN_FORWARD = 2 * N + 2 * L * T * D           # 2N + 2·n_layer·n_ctx·d_attn = 188,743,680
# exact MACs per token: Q, K, V, output projection 4d², feed-forward 8d² per block; scores QKᵀ and
# the weighted sum of V, T·d each per block; the LM head V·d
EXACT_MACS = L * (12 * D * D + 2 * T * D) + V * D    # 142,406,400


@pytest.mark.parametrize("lang", LANGS)
def test_gpt2_shows_kaplans_forward_figure_and_the_exact_one(lang):
    text = render(load(FIXTURES / "hf" / "gpt2.json"), lang=lang, format="markdown", count=("params", "compute"))
    digits = text.replace("{,}", "").replace("{.}", "").replace("\\,", "").replace(",", "") \
        .replace(".", "").replace("\u202f", "").replace("\u00a0", "")
    for n in (N, KAPLAN_FORWARD, EXACT_MACS, 2 * EXACT_MACS, 2 * EXACT_MACS - KAPLAN_FORWARD, 6 * N):
        assert str(n) in digits, (lang, n)
    assert katex_errors(formulas(text)) == []


@pytest.mark.parametrize("lang", LANGS)
def test_kaplan_sentences_write_their_formulas_as_math(lang):
    """GPT-2's block adds biases 3d (q, k, v) + d (c_proj) + f (c_fc) + d (mlp c_proj) = 5d + f
    and two LayerNorms of 2d each = 4d; the context length 1,024 and the LM head's 2·d_model·n_vocab
    are math too, never plain text with underscores."""
    text = render(load(FIXTURES / "hf" / "gpt2.json"), lang=lang, format="markdown", count=("params", "compute"))
    kaplan = text[text.index("### Kaplan ら（2020）" if lang == "ja" else "### Kaplan et al. (2020)"):]
    for formula in ("$5d + f$", "$4d$", r"$2\, d_{\text{model}}\, n_{\text{vocab}}$", r"$n_{\text{ctx}} = T = 1"):
        assert formula in kaplan, (lang, formula)
    assert "n\\_ctx" not in kaplan and "d\\_model" not in kaplan and "(5d" not in kaplan
    tex = render(load(FIXTURES / "hf" / "gpt2.json"), lang=lang, format="latex", count=("params", "compute"))
    assert r"$5d + f$" in tex and r"n\_ctx" not in tex


def test_gated_feed_forward_width_is_math():
    """Llama 2 7B: f = 11,008, so d_ff = 3f/2 = 33,024/2 = 16,512."""
    text = render(load(FIXTURES / "hf" / "llama-2-7b.json"), lang="en", format="markdown", count=("params", "compute"))
    assert r"$d_{\text{ff}} = 3f/2 = 3 \times 11{,}008 / 2 = 16{,}512$" in text
    # down_proj maps f back to d: the three matrices have d·f weights each, not one shape d × f
    # (review 33 fr 5); checked on transformers' LlamaMLP
    assert r"three matrices of $d \cdot f$ weights each (gate, up and down projections)" in text and "d\\_ff" not in text
    assert r"three matrices of $d \cdot f$ weights each where a plain feed-forward network has two" in text


def test_gated_feed_forward_matrices_have_d_f_weights_each():
    transformers = pytest.importorskip("transformers")
    cfg = transformers.LlamaConfig(hidden_size=6, intermediate_size=10, num_attention_heads=2, num_key_value_heads=2)
    mlp = transformers.models.llama.modeling_llama.LlamaMLP(cfg)
    sizes = {name: tuple(m.weight.shape) for name, m in mlp.named_children() if hasattr(m, "weight")}
    assert sizes == {"gate_proj": (10, 6), "up_proj": (10, 6), "down_proj": (6, 10)}
    assert all(mlp.get_submodule(n).weight.numel() == 6 * 10 for n in sizes)


def test_seed_cnn_compute_section_without_kaplan_renders():
    model = load("example:seed-cnn")
    text = render(model, lang="de", format="markdown", count=("params", "compute", "memory"))
    assert "Kaplan" not in text and "## Rechenaufwand" in text
    assert katex_errors(formulas(text)) == []


def test_german_latex_with_compute_and_memory_compiles(tmp_path):
    require_tool("lualatex")
    for name, source in (("seed", "example:seed-cnn"), ("gpt2", FIXTURES / "hf" / "gpt2.json")):
        tex = render(load(source), lang="de", format="latex", count=("params", "compute", "memory"))
        text = pdf_text(compile_latex(tex, tmp_path / name, "doc"))
        assert "Rechenaufwand" in text and "Speicherbedarf beim Training" in text
        if name == "gpt2":
            assert "188.743.680" in text


# The seed CNN by hand: 256×256×3 in; 3×3 convolutions with 32 filters ("same" keeps the size,
# "valid" takes 2 off); max pooling 3 then 2 and 2 (floor((n − k)/s) + 1 with s = k); flatten
# 19·19·32 = 11,552; Dense 512, 128, 9. A convolution does k_h·k_w·c_in MACs for each of its
# H_out·W_out·c_out outputs and, per output, one bias add and one ReLU; a pooling compares
# k_h·k_w values per output and multiplies nothing; a Dense layer does n_in·n_out MACs and per
# output one bias add and its activation's operations (ReLU 1; softmax 3: exp, sum, divide).
def _conv(h, c_in, c_out=32, k=3):
    return h * h * k * k * c_in * c_out, h * h * c_out * (1 + 1)


def _pool(h_out, k, c=32):
    return 0, k * k * h_out * h_out * c


SEED_BY_HAND = {
    "conv2d_1": _conv(256, 3), "conv2d_2": _conv(254, 32), "max_pooling2d_1": _pool(84, 3),
    "conv2d_3": _conv(84, 32), "conv2d_4": _conv(82, 32), "max_pooling2d_2": _pool(41, 2),
    "conv2d_5": _conv(41, 32), "conv2d_6": _conv(39, 32), "max_pooling2d_3": _pool(19, 2),
    "dense_1": (19 * 19 * 32 * 512, 512 * 2), "dense_2": (512 * 128, 128 * 2), "dense_3": (128 * 9, 9 * (1 + 3)),
}


def _last_number(line: str) -> int:
    return int(line.rsplit("=", 1)[1].replace("{.}", "").replace("{,}", "").replace(r"\,", "")
               .replace(r"\\", "").strip())


def _chain_end(lines: list[str], starts: tuple[str, ...]) -> str | None:
    """The last line of the chain that begins with one of ``starts`` (a wide chain has a line a
    step: ``&= …``), None without one."""
    first = next((i for i, ln in enumerate(lines) if ln.startswith(starts)), None)
    if first is None:
        return None
    end = first + 1
    while end < len(lines) and lines[end].startswith("&"):
        end += 1
    return lines[end - 1]


def _layer_sections(text: str) -> dict[str, str]:
    """The per-layer compute sections (Markdown ``#### i. `name` (Type)``), by layer name."""
    out = {}
    for chunk in text.split("\n#### ")[1:]:
        name = chunk.split("`", 2)[1]
        out[name] = chunk
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_seed_per_layer_compute_equals_the_hand_derivation(lang):
    """Every layer's formulas in full (``--detail full``; compact gives a later layer of the same
    formulas one line, tests/test_compute_texts.py)."""
    text = render(load("example:seed-cnn"), lang=lang, format="markdown", count=("params", "compute"), detail="full")
    compute = text[text.index("\n#### 1. "):]
    sections = _layer_sections(compute)
    for name, (macs, other) in SEED_BY_HAND.items():
        lines = [ln.strip() for ln in sections[name].splitlines()]
        mac_line = _chain_end(lines, (r"\text{MACs} &=", r"\text{MAC} &=", r"\text{MAC 数} &="))
        other_line = _chain_end(lines, ("O &=", "O ="))
        # a layer without MACs (pooling) displays O alone; its sentence says it needs no MACs
        assert (mac_line is None) if macs == 0 else _last_number(mac_line) == macs, (lang, name, mac_line)
        assert _last_number(other_line) == other, (lang, name, other_line)
    # the formula is written once per type with the numbers substituted: 3·3·32·32·82·82 for conv2d_4
    assert r"3 \times 3 \times 32 \times 32 \times 82 \times 82" in sections["conv2d_4"]
    # why is said the first time a type appears, not again
    conv_why = sections["conv2d_1"].split("$$")[0].strip().splitlines()[-1]
    assert len(conv_why) > 80 and conv_why not in sections["conv2d_2"], lang
    # a later layer that computes nothing gets one line under its heading (the level of a full entry's)
    assert "$$" not in sections["dropout_2"] and len(sections["dropout_2"].strip().splitlines()) == 3
    # the per-layer table names the layers in code font, as the summary table does
    macs, other = SEED_BY_HAND["conv2d_1"]
    kind = "（Conv2D）" if lang == "ja" else " (Conv2D)"  # ja: full-width brackets (round 18)
    assert f"| `conv2d_1`{kind} | {macs:,}".replace(",", "") in text.replace(",", "").replace(".", "") \
        .replace("\u202f", "").replace("\u00a0", "").replace("{}", "")
    assert katex_errors(formulas(text)) == []


def test_seed_per_layer_compute_in_the_german_pdf(tmp_path):
    require_tool("lualatex")
    tex = render(load("example:seed-cnn"), lang="de", format="latex", count=("params", "compute"))
    text = pdf_text(compile_latex(tex, tmp_path, "doc"))
    assert "Rechenaufwand Schicht für Schicht" in text
    conv4_macs = 82 * 82 * 3 * 3 * 32 * 32
    assert f"{conv4_macs:,}".replace(",", ".") in text
    assert "Eine Faltung berechnet jedes Ausgabeelement" in text.replace("\n", " ")


def test_noise_layers_keep_the_general_training_sentence():
    """GaussianNoise adds noise and GaussianDropout multiplies by it (Keras, training=True): no
    entry is set to zero by a mask, so the mask sentence of Dropout would be false for them."""
    import keras
    from explain.layers import _texts
    from explain.layers.registry import layer_types
    x = keras.ops.ones((1000,))
    noisy = keras.ops.convert_to_numpy(keras.layers.GaussianNoise(0.5)(x, training=True))
    scaled = keras.ops.convert_to_numpy(keras.layers.GaussianDropout(0.5)(x, training=True))
    assert (noisy != 0).all() and (scaled != 0).all() and len(set(scaled.tolist())) > 2
    kinds = {(fw, c.type_name): c.compute_explanation for fw in ("keras", "pytorch") for c in layer_types(fw)}
    for name in ("GaussianNoise", "GaussianDropout", "AlphaDropout"):
        assert kinds[("keras", name)] == _texts.DROPOUT_COMPUTE, name
    for key in (("keras", "Dropout"), ("keras", "SpatialDropout2D"), ("pytorch", "Dropout"), ("pytorch", "Dropout2d")):
        assert kinds[key] == _texts.DROPOUT_MASK_COMPUTE, key
    assert kinds[("pytorch", "AlphaDropout")] == _texts.DROPOUT_COMPUTE
    # and no translation of the general sentence speaks of a mask (GaussianNoise has none)
    from explain.render.i18n import translations
    for lang, mask in (("de", "Maske"), ("fr", "masque"), ("ja", "マスク"), ("es", "máscara")):
        assert mask not in translations(lang).gettext(_texts.DROPOUT_COMPUTE), lang
        assert mask in translations(lang).gettext(_texts.DROPOUT_MASK_COMPUTE), lang


def test_mixed_precision_sentence_is_true_of_keras_and_zero():
    """Keras' mixed_float16 keeps float32 variables (and so float32 gradients and Adam moments):
    the 2 + 2 + 12 bytes are ZeRO's scheme, not every framework's; the text must say both."""
    import keras
    old = keras.mixed_precision.global_policy()
    try:
        keras.mixed_precision.set_global_policy("mixed_float16")
        layer = keras.layers.Dense(3)
        layer.build((None, 4))
        assert layer.compute_dtype == "float16"
        assert {w.dtype for w in layer.weights} == {"float32"}
    finally:
        keras.mixed_precision.set_global_policy(old)
    text = render(load("example:seed-cnn"), lang="en", format="markdown", count=("params", "compute", "memory"))
    assert "In mixed-precision training (Micikevicius et al., 2018), which ZeRO's count assumes, the parameters" in text
    assert "and PyTorch (`torch.autocast`) instead keep the parameters and gradients in `float32`" in text
    assert "(with Adam, 4\u00a0+\u00a04\u00a0+\u00a08\u00a0=\u00a016\u00a0bytes per parameter)" in text
    assert "A training step (forward and backward pass) costs about three times as much as the forward pass" in text


def test_dropout_and_max_pooling_say_what_their_count_leaves_out():
    """PyTorch's dropout is the identity at inference and draws a random mask in training, so
    the count of 0 holds at inference only; a maximum of k_h·k_w = 9 values needs 8 comparisons
    (max(a, b) once per further value), counted as 9: the text says so."""
    torch = require_module("torch")
    x = torch.ones(1000)
    drop = torch.nn.Dropout(0.5)
    assert torch.equal(drop.eval()(x), x) and not torch.equal(drop.train()(x), x)
    values = list(range(9))
    best, comparisons = values[0], 0
    for v in values[1:]:
        best, comparisons = max(best, v), comparisons + 1
    assert comparisons == 9 - 1
    text = render(load("example:seed-cnn"), lang="en", format="markdown", count=("params", "compute"))
    assert "At inference this layer computes nothing" in text and \
        "In training it draws a random mask, sets the dropped entries to zero and scales the kept " \
        "ones up so that the expected value stays the same" in text
    # in training the kept entries of ones are 1/(1 - 0.5) = 2, the dropped ones 0 (fr reviewer:
    # "draws random numbers and applies them" was vague)
    assert set(drop.train()(x).unique().tolist()) == {0.0, 2.0}
    assert ("one operation per window element (strictly, the maximum of $k_{h} \\cdot k_{w}$ values needs "
            "$k_{h} \\cdot k_{w} - 1$ comparisons, one operation fewer per output element)") in text


@pytest.mark.parametrize("path", sorted(p for p in (FIXTURES / "hf").glob("*.json") if p.stem != "expected"),
                         ids=lambda p: p.stem)
def test_every_hf_config_renders_its_compute_section(path):
    """A layer whose compute is not derived (T5's blocks need the sequence lengths) is named as
    such in both formats; it never breaks the document (it raised an UndefinedError once)."""
    model = load(path)
    for fmt in ("markdown", "latex"):
        text = render(model, lang="en", format=fmt, count=("params", "compute", "memory"))
        assert "Compute, layer by layer" in text, (path.stem, fmt)
    missing = [n.name for n in model.nodes if n.cost is None or n.macs is None or n.other_ops is None]
    if missing:
        markdown = render(model, lang="en", format="markdown", count=("params", "compute", "memory"))
        assert "Its compute is not derived" in markdown, path.stem
