"""The convolutional documents' sentences (issues 12 and 18): padding derived from its mode,
activations named with their function, Dropout with its own rate, PReLU's count in the input's
axes, a BatchNorm reason said once. English renderings are read; German checks that the fix
reaches the catalogs (tests/test_catalogs.py checks every language is complete)."""
from __future__ import annotations

import re

import pytest

from tests.conftest import FIXTURES, require_module, translated_part

import explain
from explain.render import messages, render_document


def doc(model, lang: str = "en", fmt: str = "markdown") -> str:
    return render_document("derivation", model, lang=lang, format=fmt)


def section(text: str, name: str) -> str:
    """The part of a derivation about layer ``name`` (under its ### heading, or #### for a brief entry)."""
    start = re.search(rf"^#{{3,}}\s*\d+\. `{re.escape(name)}`", text, re.M)
    assert start, name
    rest = text[start.end():]
    end = re.search(r"^#{3,}\s*\d+\. `|^## ", rest, re.M)
    return rest[:end.start()] if end else rest


@pytest.fixture(scope="module")
def seed():
    return doc(explain.load("example:seed-cnn"))


def test_padding_same_stride_one_is_derived(seed):
    # Keras 'same', stride 1, k = 3: p = (k - 1)/2 = 1 at both ends, so 256 stays 256
    text = section(seed, "conv2d_1")
    # round 11: "adds p = (k − 1)/2 zeros" is true only for an odd k, and the sentence says so
    assert 'For an odd kernel size with stride 1, `padding="same"` adds $p$ zeros' in text  # code and math, not prose
    assert r"p = (k - 1)/2 = (3 - 1)/2 = 1" in text  # in the line: n/s
    assert r"\lfloor (256 + 2 \times 1 - 3)/1 \rfloor + 1 = 256" in text


def test_padding_valid_is_named_in_a_brief_step(seed):
    # round 14: the first "valid" layer (conv2d_2) says in full what it means, later ones name it
    assert "With `padding=\"valid\"` nothing is added around the input: $p = 0$" in section(seed, "conv2d_2")
    text = section(seed, "conv2d_4")
    assert '`padding="valid"`: $p = 0$.' in text


def test_padding_same_with_stride_splits_p1_p2_and_defines_them():
    keras = require_module("keras")
    x = keras.Input((224, 224, 3))
    y = keras.layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False)(x)
    assert tuple(y.shape[1:3]) == (112, 112)  # ⌈224/2⌉
    # by hand: total = max((112 - 1)·2 + 3 - 224, 0) = 1; p1 = ⌊1/2⌋ = 0 before, p2 = 1 after
    text = section(doc(explain.load(FIXTURES / "keras" / "MobileNetV2.json")), "Conv1")
    assert r"padding $p_{1}$ at the start and $p_{2}$ at the end" in text
    # the total is a display equation (three aligned lines), not a formula inside the sentence
    assert "The total padding this needs along each spatial axis is:\n\n$$" in text
    assert "\\max" not in text.split("$$")[0] and "\\max" not in text.split("$$")[2]
    assert r"&= \max\left(\left(\left\lceil \frac{224}{2} \right\rceil - 1\right) \times 2 + 3 - 224, 0\right) \\" in text
    assert "$$\n\nIt is split into $p_{1} = \\lfloor 1/2 \\rfloor = 0$ at the start" in text
    assert r"$p_{2} = 1 - 0 = 1$ at its end" in text
    assert r"\lfloor (224 + 0 + 1 - 3)/2 \rfloor + 1 = 112" in text


def test_padding_sentences_reach_german(seed):
    german = doc(explain.load("example:seed-cnn"), "de")
    assert 'Bei ungerader Kernelgröße und Schrittweite 1 fügt `padding="same"` an beiden Enden jeder räumlichen Achse $p$ Nullen' in german
    assert '`padding="valid"`: $p = 0$.' in german


SPEC = {"name": "acts", "input": [32, 32, 64], "layers": [
    {"PReLU": {"name": "prelu_shared", "shared_axes": [1, 2]}},
    {"Dropout": {"name": "drop", "rate": 0.25}},
    {"ReLU": {"name": "relu6", "max_value": 6}},
    {"Activation": {"name": "act_relu", "activation": "relu"}},
    {"LeakyReLU": {"name": "leaky"}},
    {"Softmax": {"name": "soft"}},
]}


@pytest.fixture(scope="module")
def acts():
    return doc(explain.load(SPEC))


@pytest.mark.parametrize("name, function", [
    ("relu6", r"\mathrm{ReLU6}(x) = \min(\max(x, 0), 6)"),
    ("act_relu", r"\mathrm{ReLU}(x) = \max(x, 0)"),
    ("leaky", r"\max(x, 0) + 0.3\,\min(x, 0)"),  # Keras 3's LeakyReLU default negative_slope
])
def test_activation_layers_name_their_function(acts, name, function):
    text = section(acts, name)
    # a capped ReLU says its max_value after the function (test_mobilenet_relu_layer_says_it_is_relu6…)
    tail = " (Keras's ReLU layer with `max_value=6`)." if name == "relu6" else "."
    assert f"This layer applies ${function}$ to its input element-wise{tail}" in text
    assert text.count("The shape stays the same") == 1  # said once, with the shape


def test_keras_leaky_relu_default_slope_is_the_one_printed():
    keras = require_module("keras")
    assert keras.layers.LeakyReLU().negative_slope == pytest.approx(0.3)


def test_softmax_is_not_called_element_wise(acts):
    text = section(acts, "soft")
    assert "not on one element alone" in text and text.count("The shape stays the same") == 1


def test_dropout_says_its_own_rate_and_that_it_is_inactive_at_inference(acts):
    text = section(acts, "drop")
    assert "with probability $r = 0.25$ (`rate`)" in text
    assert "At inference it is inactive" in text
    assert "keeps the shape" not in text and text.count("The shape stays the same") == 1
    assert "$r = 0{,}25$" in section(doc(explain.load(SPEC), "de"), "drop")


def test_prelu_counts_in_the_input_axes():
    keras = require_module("keras")
    default = keras.Sequential([keras.Input((32, 32, 64)), keras.layers.PReLU()]).count_params()
    shared = keras.Sequential([keras.Input((32, 32, 64)), keras.layers.PReLU(shared_axes=[1, 2])]).count_params()
    assert (default, shared) == (65536, 64)
    text = section(doc(explain.load({"name": "p", "input": [32, 32, 64], "layers": [{"PReLU": {}}]})), "p_re_lu")
    assert r"P = H_{\text{in}} \cdot W_{\text{in}} \cdot C = 32 \times 32 \times 64 = 65{,}536" in text
    assert r"$C = 64$: number of channels" in text
    assert r"P = C = 64" in section(doc(explain.load(SPEC)), "prelu_shared")


def test_batchnorm_reason_is_said_once_per_layer():
    text = section(doc(explain.load(FIXTURES / "keras" / "ResNet50.json")), "conv1_bn")
    assert text.count("not by gradient descent") == 1  # in the note, not again in every table row
    assert "| `moving_mean` | $C = 64$ | 64 | no |" in text
    assert "frozen layers are another" in text


@pytest.fixture(scope="module")
def resnet():
    return doc(explain.load(FIXTURES / "keras" / "ResNet50.json"))


@pytest.fixture(scope="module")
def mobilenet():
    return doc(explain.load(FIXTURES / "keras" / "MobileNetV2.json"))


def test_resnet_bottleneck_block_is_described_once_with_its_widths(resnet):
    stages_part = resnet.split("## Summary")[0]
    assert "The blocks of `conv2_x`–`conv5_x` are bottleneck blocks." in stages_part  # two names
    # conv2_block1 does not reduce (64 in after pool1, 1 × 1 to 64): the example is conv2_block2,
    # 256 channels in (conv2_block1's output), 1 × 1 to 64, 3 × 3 at 64, 1 × 1 back to 256
    assert r"(in `conv2_block2`: $256 \to 64 \to 64 \to 256$ channels)" in stages_part
    assert "conv2_block1`:" not in stages_part
    assert resnet.count("are bottleneck blocks") == 1


def test_resnet_projection_shortcut_is_named_and_is_not_the_expansion(resnet):
    assert "projection shortcut: it runs in parallel" in section(resnet, "conv2_block1_0_conv")
    # Keras's ResNet50 normalizes the shortcut too (conv2_block1_0_bn reads conv2_block1_0_conv)
    assert section(resnet, "conv2_block1_0_conv").count(
        "This convolution, with the batch normalization that follows it, is the block's projection shortcut") == 1
    assert ("in the first block of a stage a 1 × 1 convolution followed by a batch normalization layer, the "
            "projection shortcut, runs in parallel") in resnet
    assert "projection shortcut" not in section(resnet, "conv2_block1_3_conv")
    assert "projection shortcut" not in section(resnet, "conv2_block2_1_conv")


def test_resnet_projection_shortcut_changes_the_size_only_with_stride_2(resnet):
    # Keras's ResNet50: conv2's first block has stride 1 (56 × 56 in and out), conv3's stride 2
    import json
    from tests.conftest import FIXTURES
    layers = {l["config"]["name"]: l["config"] for l in
              json.loads((FIXTURES / "keras" / "ResNet50.json").read_text())["config"]["layers"]}
    assert list(layers["conv2_block1_0_conv"]["strides"]) == [1, 1]
    assert list(layers["conv3_block1_0_conv"]["strides"]) == [2, 2]
    channels = "brings the input to the output's number of channels, so that"
    assert channels in section(resnet, "conv2_block1_0_conv")
    assert "(and size)" in section(resnet, "conv3_block1_0_conv")


def test_mobilenet_stem_is_one_stage_row(mobilenet):
    assert "| `Conv1` | 1–3 |  | 992 |" in mobilenet  # Conv1, bn_Conv1, Conv1_relu: 864 + 128
    assert "| `bn_Conv1` | 2 |" not in mobilenet


def test_mobilenet_inverted_residual_shows_the_saving_on_its_own_numbers(mobilenet):
    keras = require_module("keras")
    x = keras.Input((56, 56, 96))
    depthwise = keras.Model(x, keras.layers.DepthwiseConv2D(3, use_bias=False)(x)).count_params()
    project = keras.Model(x, keras.layers.Conv2D(24, 1, use_bias=False)(x)).count_params()
    standard = keras.Model(x, keras.layers.Conv2D(24, 3, use_bias=False)(x)).count_params()
    assert (depthwise + project, standard) == (3168, 20736)
    text = mobilenet.split("## Summary")[0]
    assert "The blocks `block_1`–`block_16` are inverted residual blocks, the building block of MobileNetV2." in text
    # Sandler et al. (2018), table 1: 1 × 1 conv2d + ReLU6, 3 × 3 dwise + ReLU6, linear 1 × 1 conv2d
    assert ("and a 3 × 3 depthwise convolution then filters each channel separately; both are followed "
            "by batch normalization and ReLU6. A final 1 × 1 convolution with batch normalization but no "
            "activation projects the channels down to the block's output width (the linear bottleneck).") in text
    assert "by the expansion factor $t = 6$" in text  # block_1_expand: 16 → 96 channels
    # numbers multiplied with ×, as in every formula with its numbers
    assert r"in `block_1`, $3 \times 3 \times 96 + 96 \times 24 = 3{,}168$ weights instead of $3 \times 3 \times 96 \times 24 = 20{,}736$" in text
    # a stage row names both ends, each in code font and the dash between them in text (round 9)
    assert "| `block_1`–`block_2` | 9–26 | 2 | 15,024 |" in mobilenet and "`block_1–block_2`" not in mobilenet
    assert "only where the stride is 1" in text


def test_block_descriptions_reach_german():
    german = doc(explain.load(FIXTURES / "keras" / "ResNet50.json"), "de")
    assert "sind Bottleneck-Blöcke" in german and "Projektions-Shortcut des Blocks" in german


# -- names from code in code font, symbols as math (issue 12: lecture notes a lecturer publishes)

@pytest.mark.parametrize("lang", ["en", "de", "fr", "ja", "es"])
def test_prelu_and_global_pooling_name_their_arguments_in_code(lang):
    spec = {"name": "n", "input": [8, 8, 4], "layers": [{"PReLU": {}}, {"GlobalAveragePooling2D": {}}]}
    text = doc(explain.load(spec), lang)
    assert "`shared_axes`" in text and r"$\alpha$" in text and "`keepdims=True`" in text
    assert "keepdims = True" not in text and " shared_axes " not in text


def test_keras_batchnorm_names_no_tensor_twice():
    """Keras's own names are the sentence's (gamma, beta, moving_mean, moving_variance), so a note
    mapping them would be a tautology (reviewers, round 12): none; PyTorch's keeps its own."""
    keras = require_module("keras")
    bn = keras.layers.BatchNormalization()
    bn.build((None, 4, 4, 64))
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    text = section(doc(explain.load(FIXTURES / "keras" / "ResNet50.json")), "conv1_bn")
    assert r"scales it by $\gamma$ and shifts it by $\beta$" in text
    assert "| `gamma` |" in text and "| `moving_variance` |" in text
    assert "In the table" not in text and "is `gamma`" not in text


def test_batchnorm_without_beta_names_no_beta():
    spec = {"name": "n", "input": [4, 4, 3], "layers": [{"BatchNormalization": {"center": False}}]}
    text = doc(explain.load(spec))
    assert "this one has no $\\beta$" in text and "In the table" not in text


def test_torch_batchnorm_names_its_parameters_and_buffers():
    torch = require_module("torch")
    names = [n for n, _ in torch.nn.BatchNorm2d(8).named_parameters()]
    buffers = [n for n, _ in torch.nn.BatchNorm2d(8).named_buffers()]
    assert names == ["weight", "bias"] and buffers[:2] == ["running_mean", "running_var"]
    spec = {"name": "n", "framework": "pytorch", "input": [8, 4, 4], "layers": [{"BatchNorm2d": {"num_features": 8}}]}
    text = doc(explain.load(spec))
    assert ("In PyTorch, $\\gamma$ is the parameter `weight` and $\\beta$ the parameter `bias`; the running "
            "mean and variance are the buffers `running_mean` and `running_var`.") in text


def test_pooling_says_why_its_stride_is_the_pool_size(seed):
    keras = require_module("keras")
    x = keras.Input((254, 254, 32))
    assert tuple(keras.layers.MaxPooling2D(3)(x).shape[1:3]) == (84, 84)  # strides=None: s = 3
    text = section(seed, "max_pooling2d_1")
    assert ("The stride is not given (`strides=None`, the default), so it equals the pool size, "
            "$s = k = 3$: the windows do not overlap.") in text
    # by hand: ⌊(254 − 3)/3⌋ + 1 = 84
    assert r"\lfloor (254 - 3)/3 \rfloor + 1 = 84" in text
    assert ("Stride $s = k = 2$, equal to the pool size because `strides=None`."
            in section(seed, "max_pooling2d_2"))  # brief
    given = {"name": "n", "input": [8, 8, 3], "layers": [{"MaxPooling2D": {"pool_size": 2, "strides": 1}}]}
    assert "The stride is not given" not in doc(explain.load(given))


def test_torch_pooling_names_its_own_stride_argument():
    spec = {"name": "n", "framework": "pytorch", "input": [3, 8, 8], "layers": [{"MaxPool2d": {"kernel_size": 2}}]}
    assert "(`stride=None`, the default)" in doc(explain.load(spec))


def test_later_dropout_layers_give_their_own_rate(seed):
    # the seed's dropout_2 has rate 0.25 where dropout_1 (explained in full) has 0.5
    assert "No weights, as in layer 4, `dropout_1`; here $r = 0.25$." in section(seed, "dropout_2")
    assert "No weights, as in layer 4, `dropout_1`; here $r = 0.5$." in section(seed, "dropout_4")
    assert "hier mit $r = 0{,}25$" in section(doc(explain.load("example:seed-cnn"), "de"), "dropout_2")


def test_torch_dropout_names_its_argument_p():
    torch = require_module("torch")
    assert torch.nn.Dropout(0.3).p == 0.3 and torch.nn.Dropout().p == 0.5
    spec = {"name": "n", "framework": "pytorch", "input": [12],
            "layers": [{"Dropout": {"p": 0.3}}, {"Linear": {"in_features": 12, "out_features": 3}}, {"Dropout": {}}]}
    text = doc(explain.load(spec))
    assert "with probability $r = 0.3$ (`p`)" in text and "`rate`" not in text
    assert "; here $r = 0.5$." in text  # torch's default p


def _compute(model, lang="en"):
    return render_document("derivation", model, lang=lang, format="markdown", count=("params", "compute"))


RESHAPE = ("This layer only changes the shape of its input; the values keep their order. It does no "
           "arithmetic, so it needs no MACs and no other operations.")
REARRANGE = "This layer only rearranges the entries of its input: it does no arithmetic, so it needs no MACs and no other operations."
IN_ORDER = "All %(n)s values are kept in the same order; only the shape changes: %(sizes)s."
MOVED = "All %(n)s values are kept, only rearranged: %(sizes)s."


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "ja"])
def test_flatten_and_reshape_keep_the_order_of_the_values_and_permute_moves_them(lang):
    """Review 37 (es): MobileNet's Reshape (1, 1, 1000) → (1000) was said to 'reorder' the values;
    they keep their order, only the shape changes, as for a Flatten. A Permute does move them."""
    import numpy as np
    keras = require_module("keras")
    x = np.arange(24, dtype="float32").reshape(1, 2, 3, 4)
    for layer in (keras.layers.Flatten(), keras.layers.Reshape((4, 6))):
        assert np.array_equal(keras.ops.convert_to_numpy(layer(x)).ravel(), x.ravel())
    permuted = keras.ops.convert_to_numpy(keras.layers.Permute((3, 1, 2))(x)).ravel()
    assert not np.array_equal(permuted, x.ravel())
    spec = {"name": "n", "input": [2, 3, 4], "layers": [{"Reshape": {"target_shape": [4, 6]}},
                                                       {"Permute": {"dims": [2, 1]}}, {"Flatten": {}}]}
    model = explain.load(spec)
    def ascii_brackets(text: str) -> str:  # ja writes "（Reshape）"
        return text.replace("（", "(").replace("）", ")")
    params = ascii_brackets(render_document("derivation", model, lang=lang))
    compute = ascii_brackets(_compute(model, lang))
    if lang == "en":
        part = {m: max(m.split("%(n)s"), key=len).split(":")[0].strip() for m in (IN_ORDER, MOVED)}
        reshape, permute, flatten = RESHAPE, REARRANGE, RESHAPE
    else:
        part = {m: translated_part(lang, m) for m in (IN_ORDER, MOVED)}
        reshape, permute, flatten = (translated_part(lang, m) for m in (RESHAPE, REARRANGE, RESHAPE))
    reshaped = params.split("(Reshape)")[-1].split("(Permute)")[0]
    moved = params.split("(Permute)")[-1].split("(Flatten)")[0]
    assert part[IN_ORDER] in reshaped and part[MOVED] not in reshaped
    assert part[MOVED] in moved and part[IN_ORDER] not in moved
    steps = compute.split("(Reshape)")[-1].split("(Permute)")
    assert reshape in steps[0] and permute not in steps[0]
    assert permute in steps[1].split("(Flatten)")[0]
    assert flatten in steps[1].split("(Flatten)")[-1]


def test_max_and_average_pooling_each_say_what_they_do():
    spec = {"name": "n", "input": [8, 8, 3], "layers": [{"MaxPooling2D": {}}, {"AveragePooling2D": {}}]}
    text = _compute(explain.load(spec))
    maximum = text.split("max_pooling2d` (MaxPooling2D)")[-1].split("average_pooling2d")[0]
    average = text.split("average_pooling2d` (AveragePooling2D)")[-1]
    assert "it takes the maximum of the values of its window" in maximum and "adds up" not in maximum
    assert "adds up the values of its window and divides the sum" in average and "compares" not in average


def test_strided_convolution_and_pooling_state_their_stride(resnet):
    keras = require_module("keras")
    x = keras.Input((230, 230, 3))
    assert tuple(keras.layers.Conv2D(64, 7, strides=2)(x).shape[1:3]) == (112, 112)
    assert tuple(keras.layers.MaxPooling2D(3, strides=2)(keras.Input((114, 114, 64))).shape[1:3]) == (56, 56)
    # by hand: ⌊(230 − 7)/2⌋ + 1 = 112; ⌊(114 − 3)/2⌋ + 1 = 56
    conv = section(resnet, "conv1_conv")
    assert "Stride $s = 2$ (`strides=2`)." in conv
    assert r"\lfloor (230 + 2 \times 0 - 7)/2 \rfloor + 1 = 112" in conv
    pool = section(resnet, "pool1_pool")
    assert "Pool size $k = 3$ and stride $s = 2$ (`strides=2`)." in pool
    assert "Stride $s = 2$ (`strides=2`)." in section(resnet, "conv3_block1_1_conv")  # a brief step
    assert "Stride" not in section(resnet, "conv2_block1_1_conv")  # stride 1: nothing to say


def test_zero_padding_shows_its_numbers(resnet, mobilenet):
    keras = require_module("keras")
    assert tuple(keras.layers.ZeroPadding2D(3)(keras.Input((224, 224, 3))).shape[1:3]) == (230, 230)
    assert tuple(keras.layers.ZeroPadding2D(((0, 1), (0, 1)))(keras.Input((112, 112, 96))).shape[1:3]) == (113, 113)
    text = section(resnet, "conv1_pad")
    assert "Here `padding=((3, 3), (3, 3))`" in text and "Height and width: $224 + 3 + 3 = 230$" in text
    assert "Height and width: $112 + 0 + 1 = 113$" in section(mobilenet, "block_1_pad")
    assert "Height and width: $56 + 0 + 1 = 57$." in section(mobilenet, "block_3_pad")  # a brief step
    crop = {"name": "n", "input": [10, 12, 3], "layers": [{"Cropping2D": {"cropping": [[1, 2], [3, 3]]}}]}
    assert tuple(keras.layers.Cropping2D(((1, 2), (3, 3)))(keras.Input((10, 12, 3))).shape[1:3]) == (7, 6)
    text = doc(explain.load(crop))
    assert "Height: $10 - 1 - 2 = 7$" in text and "Width: $12 - 3 - 3 = 6$" in text


def test_latex_table_never_breaks_a_type_name():
    """Round 2 reviewers read "(Zero / Padding2D)" and "(Layer / Norm)" as two words: the type is one
    box, the line breaks before its bracket (the name column is wide enough for it)."""
    text = doc(explain.load(FIXTURES / "keras" / "MobileNetV2.json"), fmt="latex")
    assert r"(\mbox{GlobalAveragePooling2D})" in text
    assert r"(\mbox{ReLU})" in text  # short words stay whole


def test_keras_prelu_says_pytorch_learns_one_slope_by_default():
    torch = require_module("torch")
    assert sum(p.numel() for p in torch.nn.PReLU().parameters()) == 1
    assert sum(p.numel() for p in torch.nn.PReLU(num_parameters=64).parameters()) == 64  # one per channel
    text = doc(explain.load({"name": "p", "input": [8, 8, 64], "layers": [{"PReLU": {"name": "act"}}]}))
    assert "PyTorch's `nn.PReLU` differs: it learns one slope by default, or one per channel." in text
    assert "nn.PReLU" in doc(explain.load({"name": "p", "input": [8, 8, 64], "layers": [{"PReLU": {"name": "act"}}]}), "de")


def test_stage_table_says_what_a_row_is(mobilenet):
    """MobileNetV2 (Sandler et al. 2018, table 2): 16 bottleneck blocks in runs of 1, 2, 3, 4, 3, 3,
    1 with the same number of output channels; block_10–12 (96 channels) and block_13–15 (160) are
    rows of their own. A stage is a run of one channel count (the last axis), not of one width."""
    assert ("Each row is one group of layers with its number of parameters: part of the stem (`Conv1`) or "
            "of the head (`Conv_1`, `global_average_pooling2d`, `predictions`), or a run of consecutive "
            "blocks with the same number of output channels; the Blocks column gives the number of blocks in the run."
            ) in mobilenet
    assert "width" not in mobilenet.split("Each row is one group")[1].split("\n")[0]
    assert "| `block_10`–`block_12` | 90–115 | 3 |" in mobilenet and "| `block_13`–`block_15` | 116–142 | 3 |" in mobilenet


def test_resnet_stage_table_names_its_stem_and_head(resnet):
    """Round-9 en reviewer: many lecturers count the max pool to the stem; He et al. (2016),
    table 1: conv1 (7 × 7, stride 2) and the 3 × 3 max pool come before conv2_x, average pool and
    the 1000-way fully connected layer after conv5_x."""
    assert ("part of the stem (`conv1`, `pool1`) or of the head (`avg_pool`, `predictions`), or a run "
            "of consecutive blocks") in resnet
    assert "| `conv1` | 1–4 |  |" in resnet and "| `pool1` | 5–6 |  | 0 |" in resnet


def test_stage_table_without_a_stem_or_with_layers_between_runs_says_so():
    """A row outside the blocks between two runs is neither stem nor head: the general sentence."""
    from explain.derivation.stages import Stage
    from explain.render.view import Formatter, _stage_ends
    f = Formatter("markdown", "en")
    row = lambda label, blocks: Stage(label, 1, 1, blocks, 0, ())  # noqa: E731
    assert _stage_ends([row("stem", 0), row("conv2_x", 3), row("head", 0)], f) == {"stem": "`stem`", "head": "`head`"}
    assert _stage_ends([row("stem", 0), row("conv2_x", 3), row("mid", 0), row("conv3_x", 2), row("head", 0)], f) is None
    assert _stage_ends([row("conv2_x", 3), row("head", 0)], f) is None


def test_a_layer_with_several_inputs_names_them_and_brief_latex_lines_break():
    """residual.yaml: join = Add()([stem, bn]), the skip connection (see the spec); a later Add's
    one-line entry names its inputs too, and in LaTeX each sentence of a one-line entry ends its line."""
    text = doc(explain.load(FIXTURES / "specs" / "residual.yaml"))
    assert "Its inputs: `stem`, `bn`." in section(text, "join")
    tex = doc(explain.load(FIXTURES / "keras" / "ResNet50.json"), fmt="latex")
    brief = tex[tex.index(r"\paragraph*{27. "):]
    brief = brief[:brief.index(r"\paragraph*", 5)]
    # names up to 30 characters never break inside (round 7: "post_" / "attention_layernorm")
    assert (r"Its inputs: \texttt{conv2\_block1\_out},\penalty-1\ "
            r"\texttt{conv2\_block2\_3\_bn}.\\") in brief  # a break after the comma, not in a name
    assert "block1_add}.\\\\\n" in brief.replace(r"\_", "_")


def test_non_trainable_sentence_names_the_moving_statistics_only_where_they_are_all(resnet):
    """Keras BatchNormalization keeps moving_mean and moving_variance as non-trainable weights
    (the layer's weights, by hand: 4C of which 2C non-trainable); a frozen Dense layer's weights
    are non-trainable for another reason, so the Total then keeps the general sentence."""
    keras = require_module("keras")
    bn = keras.layers.BatchNormalization()
    bn.build((None, 8))
    assert sum(int(w.numpy().size) for w in bn.non_trainable_weights) == 2 * 8
    moving = "they are the moving means and variances of the batch normalization layers above."
    assert moving in resnet and "the layers above say why" not in resnet
    spec = {"name": "f", "input": [8], "layers": [{"BatchNormalization": {}},
                                                   {"Dense": {"units": 4, "trainable": False}}]}
    text = doc(explain.load(spec))
    assert moving not in text and "the layers above say why" in text
    # residual.yaml has one BatchNormalization layer, bn (8 channels: 16 moving statistics)
    one = doc(explain.load(FIXTURES / "specs" / "residual.yaml"))
    assert ("they are the moving mean and the moving variance of the batch normalization layer `bn`.") in one
    assert moving not in one


def test_check_sheet_verdict_reads_right_result_wrong_formula():
    """The seed worksheet's dense_2: 512 × 128 + 512 = 65,664 is the right number (by hand:
    512 inputs × 128 units + 128 biases = 65,664), but the bias term is wrong."""
    from explain.checker import check_file, render_report
    sheet = render_report(check_file(str(FIXTURES / "worksheets" / "seed_worksheet.yaml")), lang="en",
                          format="markdown")
    # round 9: a cross followed by "right result" read as a contradiction; the summary says why
    # 6 of 7 (claims 1–4, 6, 7 are right; claim 5 has the right number with a wrong bias term);
    # round 11: the glossary's pair is correct/wrong, never "right result"
    # round 12: the verdict short and the same in the table and the heading
    # round 13: in the order of the summary sentence
    # round 14: "✗ correct result" could be read as correct; the cross next to "wrong formula"
    assert "| ✗ wrong formula (result correct) |" in sheet
    assert "## 5. `dense_2`: parameters (wrong formula, but correct result)" in sheet
    assert "| # | Item |" in sheet  # row 7 is the model's total, not a layer (de/ja reviewers, round 13)
    assert "**6 of 7 answers are fully correct; answer 5 has the correct result but the wrong formula.**" in sheet
    # round 12: the student's false equation 512 × 128 + 512 = 65,664 is never shown unmarked
    # below the table: formula and result apart
    assert "Your answer: formula $512 \\times 128 + 512$, result 65,664\n" in sheet
    assert "Your answer: $512" not in sheet
    written = f"{512 * 128 + 512:,}".replace(",", "{,}")
    assert (f"The result {512 * 128 + 128:,} is correct, but the formula as written gives "
            f"$512 \\times 128 + 512 = {written}$.") in sheet
    assert "right result" not in sheet and "is right, but" not in sheet
    es = render_report(check_file(str(FIXTURES / "worksheets" / "seed_worksheet.yaml")), lang="es",
                       format="markdown")
    assert "| ✗ fórmula incorrecta (resultado correcto) |" in es
    assert "; en la respuesta 5, el resultado es correcto, pero la fórmula no." in es
    assert "## 5. `dense_2`: parámetros (fórmula incorrecta, pero resultado correcto)" in es
    assert "Respuesta dada: fórmula $512 \\times 128 + 512$, resultado 65.664" in es


def test_windows_that_leave_the_last_rows_out_say_so(seed, resnet):
    """Keras floors the output size: 254 rows, k = s = 3 give 84 windows over rows 1–252 (by
    hand: (84 − 1)·3 + 3 = 252), so 2 rows are in no window; 39 rows, k = s = 2: 19 windows,
    38 rows, 1 left out. A 1 × 1 convolution of stride 2 skips rows between its windows, so it
    gets no such sentence."""
    keras = require_module("keras")
    assert tuple(keras.layers.MaxPooling2D(3)(keras.Input((254, 254, 8))).shape[1:3]) == (84, 84)
    assert tuple(keras.layers.MaxPooling2D(2)(keras.Input((39, 39, 8))).shape[1:3]) == (19, 19)
    assert ("The windows cover the first $(84 - 1) \\times 3 + 3 = 252$ rows and columns, so the last "
            "2 rows and the last 2 columns ($254 - 252 = 2$) fall outside every window and are dropped (hence the floor)."
            ) in section(seed, "max_pooling2d_1")
    # ja reviewer, round 11: the count first, its derivation in brackets, as for one row
    ja = doc(explain.load("example:seed-cnn"), lang="ja")
    assert "最後の 2 行・2 列（$254 - 252 = 2$）はどのウィンドウにも入らず" in section(ja, "max_pooling2d_1")
    assert "最後の 1 行・1 列（$39 - 38 = 1$）は" in section(ja, "max_pooling2d_3")
    # one row left: the singular, in every language (a plural with 1 was the round-8 finding)
    assert ("so the last row and the last column ($39 - 38 = 1$) fall outside every window and are "
            "dropped (hence the floor).") in section(seed, "max_pooling2d_3")  # a one-line entry
    de = doc(explain.load("example:seed-cnn"), lang="de")
    assert "die letzte Zeile und die letzte Spalte ($39 - 38 = 1$) liegen in keinem Fenster" in section(de, "max_pooling2d_3")
    assert "The windows cover" not in section(seed, "max_pooling2d_2")  # 127 - 1 = 126, even
    assert "The windows cover" not in section(resnet, "conv3_block1_1_conv")  # k = 1 < s = 2


def test_pointwise_same_convolution_needs_no_padding(mobilenet):
    """The first 1 × 1 convolution after Conv1 (3 × 3, 'same', stride 2: p_1 = 0, p_2 = 1) has
    Conv1's formula, and its symmetric padding is the case p_1 = p_2 = 0 of Conv1's rule: a short
    entry pointing back to layer 1, not a second full derivation (en reviewer, round 12)."""
    keras = require_module("keras")
    assert tuple(keras.layers.Conv2D(4, 1, padding="same")(keras.Input((112, 112, 32))).shape[1:3]) == (112, 112)
    text = section(mobilenet, "expanded_conv_project")
    # by hand: 1·1·32·16 = 512 kernel weights, no bias; ⌊(112 + 2·0 − 1)/1⌋ + 1 = 112
    assert ("Same formula as layer 1, `Conv1`: $P = 1 \\times 1 \\times 32 \\times 16 = 512$.\\\n"
            # the first padding of its kind in the document: said in full (fr reviewer, round 13)
            'With `padding="same"` and stride 1, a kernel of size 1 needs no padding ($p = 0$): the output '
            "has the size of the input.\\\n"
            "Height and width: $\\lfloor (112 + 2 \\times 0 - 1)/1 \\rfloor + 1 = 112$.") in text
    assert "Formula for the number of parameters" not in text and "zeros are added" not in text
    assert "Same formula as layer 7" not in mobilenet  # the later 1 × 1 convolutions point to layer 1 too


def test_a_symmetric_padding_after_the_asymmetric_rule_is_a_short_entry():
    """The rule ⌊(n + p_1 + p_2 − k)/s⌋ + 1 explained once covers a later convolution with p at both
    ends; the other way round (symmetric first) the later asymmetric one is explained in full."""
    keras = require_module("keras")
    x = keras.Input((224, 224, 3))
    y = keras.layers.Conv2D(8, 3, strides=2, padding="same")(x)
    z = keras.layers.Conv2D(8, 3, padding="same")(y)
    assert tuple(y.shape[1:]) == (112, 112, 8) and tuple(z.shape[1:]) == (112, 112, 8)
    asym, sym = {"Conv2D": {"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}}, \
        {"Conv2D": {"filters": 8, "kernel_size": 3, "padding": "same"}}
    first = doc(explain.load({"name": "n", "input": [224, 224, 3], "layers": [asym, sym]}))
    # by hand: 3·3·8·8 + 8 = 584; p = (3 − 1)/2 = 1; ⌊(112 + 2·1 − 3)/1⌋ + 1 = 112
    assert "Same formula as layer 1, `conv2d`: $P = 3 \\times 3 \\times 8 \\times 8 + 8 = 584$." in first
    assert first.count("Output size along each spatial axis") == 1
    second = doc(explain.load({"name": "n", "input": [224, 224, 3], "layers": [sym, asym]}))
    assert second.count("Output size along each spatial axis") == 2 and "Same formula" not in second


def test_zero_padding_says_each_axis_grows(resnet):
    assert ("Here `padding=((3, 3), (3, 3))`. Each spatial axis grows by the zeros added at its start "
            "and at its end:") in section(resnet, "conv1_pad")


def test_mobilenet_first_block_without_expansion_is_one_block(mobilenet):
    """Sandler et al. (2018), table 2: the first bottleneck has t = 1 and n = 1; in Keras it is
    expanded_conv (depthwise 3 × 3 on 32 channels, projection to 16: no expanding convolution)."""
    assert "| `expanded_conv` | 4–8 | 1 |" in mobilenet
    assert ("`expanded_conv` is an inverted residual block too, with $t = 1$: it has no expanding "
            "1 × 1 convolution") in mobilenet
    assert "The blocks `block_1`–`block_16` are inverted residual blocks" in mobilenet  # t = 6 from block_1


def test_reviewers_wording_for_dense_symbols_gap_and_lenet_kernel():
    """Round-8 reviewers: ja 「入力数」 is not a lecture word; es names global average pooling as
    lenet5 names average pooling; de „5 × 5-Kernel“ must not break after ×."""
    from explain.render.i18n import translations
    ja = translations("ja").gettext
    assert ja("number of inputs") == "入力の次元数（入力ユニット数）"
    assert ja("number of outputs") == "出力の次元数"
    residual = doc(explain.load(FIXTURES / "specs" / "residual.yaml"), lang="es")
    assert "Una capa de agrupación promedio global (global average pooling) reduce cada canal" in residual
    lenet = doc(explain.load("example:lenet5"), lang="de")
    assert "deren 5\u00a0×\u00a05-Kernel die ebenfalls 5\u00a0×\u00a05 großen Karten" in lenet  # de, rounds 13 and 18


def test_latex_dropped_rows_sentence_is_its_own_paragraph():
    """Round-8 de reviewer: in the PDF the sentence ran into "Ausgabeform: …" (Markdown has two
    paragraphs); a blank line ends it in LaTeX too."""
    tex = doc(explain.load("example:seed-cnn"), fmt="latex")
    assert "are dropped (hence the floor).\n\nOutput shape:" in tex


def test_a_block_repeated_two_times_reads_twice(resnet):
    """Keras's ResNet50: conv2 has 3 blocks (He et al., 2016), the two identical ones after the first
    are "two identical blocks" ("a block repeated twice" read as three; en reviewer, round 13);
    conv3's 3 identical ones are "three identical blocks"."""
    assert ("two identical blocks\n\nThe layers `conv2_block2_1_conv` to `conv2_block3_out` form two "
            "consecutive blocks of 10 layers with the same types, hyperparameters and shapes. The first is "
            "derived here.") in resnet
    assert "three identical blocks" in resnet and "a block repeated" not in resnet and "first repetition" not in resnet
    assert "One block:" in resnet and "Both blocks:" in resnet and "All three blocks:" in resnet
    tex = doc(explain.load(FIXTURES / "keras" / "ResNet50.json"), fmt="latex")
    assert r"\subsubsection*{Layers 19 to 38: two identical blocks}" in tex


@pytest.fixture(scope="module")
def rnn_docs():
    """small_rnn.yaml (Embedding, LSTM(64), GRU(16), Dense(1)) in the four translated languages."""
    model = explain.load(FIXTURES / "specs" / "small_rnn.yaml")
    return {lang: doc(model, lang) for lang in ("de", "fr", "ja", "es")}


def test_recurrent_sentences_in_the_round9_reviewers_words(rnn_docs):
    """Round-9 reviewers: de "Ihre Eingabe" read as the polite "your input"; fr named the LSTM's
    candidate two ways; ja "計 2 つ" read as two biases in all (Keras's GRU with reset_after=True
    has a bias of 3h for the input side and one for the recurrent side); es wrote units as plain
    text and left out the comma after an introductory phrase."""
    keras = require_module("keras")
    gru = keras.layers.GRU(16)
    gru.build((None, 30, 64))
    assert [tuple(w.shape) for w in gru.weights][-1] == (2, 3 * 16)  # two bias rows, one per side
    assert ("Die Eingabe der Schicht, `(None, 30, 32)`, enthält für jedes Beispiel des Batches eine Folge von 30 "
            "Zeitschritten") in rnn_docs["de"]
    assert "Ihre Eingabe" not in rnn_docs["de"]
    # de (optional finding): "Gewichtsblöcke" as lecturers say; LSTM(64) on 32 features has a
    # kernel of 4 blocks (32, 4 · 64), the GRU 3 blocks
    lstm = keras.layers.LSTM(64)
    lstm.build((None, 30, 32))
    assert tuple(lstm.weights[0].shape) == (32, 4 * 64) and tuple(gru.weights[0].shape) == (64, 3 * 16)
    # round 11: "Kandidatenzustand des Zellzustands" said "state" twice
    assert "Jeder ihrer vier Gewichtsblöcke (einer je Gate und einer für den Kandidatenwert des Zellzustands)" in rnn_docs["de"]
    assert "Kandidatenzustand des Zellzustands" not in rnn_docs["de"]
    assert "dem Standard in Keras, hat jeder ihrer drei Gewichtsblöcke (je einer für die zwei Gates und einer für den" in rnn_docs["de"]
    assert "Gewichtsgruppe" not in rnn_docs["de"]
    assert "et l’état candidat de la cellule, soit quatre groupes de poids" in rnn_docs["fr"]
    assert "état de cellule candidat" not in rnn_docs["fr"]
    assert "なので、バイアスは 2 つのゲートと候補状態のそれぞれについて、入力側と再帰側に 1 つずつあります。" in rnn_docs["ja"]
    assert "計 2 つ" not in rnn_docs["ja"]
    assert "- $h = 64$: tamaño del estado oculto (`units`)" in rnn_docs["es"]
    assert "Con `return_sequences=True`, la capa recurrente" in rnn_docs["es"]
    assert "Con `return_sequences=False` (el valor por defecto), la capa" in rnn_docs["es"]
    # English names the argument too, as the dense layer's "number of outputs (`units`)" does
    assert "- $h = 16$: number of hidden units (`units`)" in doc(explain.load(FIXTURES / "specs" / "small_rnn.yaml"))


def test_core_sentences_in_the_round9_reviewers_words(seed):
    """Round-9 en/es reviewers: the flatten, pooling-stride and floor sentences; es "p. ej." (not
    "ejemplo … por ejemplo"), "ejemplo" for a batch element, and a comma after "Con … y paso 1"."""
    assert ("A flatten layer reshapes each sample's input (e.g. its feature maps) into a single vector; "
            "the batch axis is kept. It has no weights.") in seed
    es = doc(explain.load("example:seed-cnn"), lang="es")
    assert "convierte la entrada de cada ejemplo (p. ej., sus mapas de características) en un vector" in es
    assert 'Con un tamaño de núcleo impar y paso 1, `padding="same"` añade $p$ ceros' in es  # es, round 13
    mha = doc(explain.load(FIXTURES / "specs" / "mha_small.yaml"), lang="es")
    assert "normaliza las características de cada ejemplo" in mha and "cada muestra" not in mha


def test_batchnorm_says_over_what_it_normalizes():
    """Round-9 en reviewer: "normalizes every channel" did not say over what. Keras's
    BatchNormalization (axis=-1) takes the mean and variance over every other axis: batch and
    positions of a feature map; after a dense layer only the batch."""
    keras, np = require_module("keras"), require_module("numpy")
    x = np.random.default_rng(0).normal(3.0, 2.0, (4, 5, 5, 3)).astype("float32")
    y = keras.ops.convert_to_numpy(keras.layers.BatchNormalization(epsilon=1e-6)(x, training=True))
    assert np.allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-4) and np.allclose(y.var(axis=(0, 1, 2)), 1, atol=1e-3)
    text = doc(explain.load(FIXTURES / "specs" / "residual.yaml"))
    assert ("Batch normalization normalizes every channel to mean 0 and variance 1 over the batch (and over "
            "all positions, if the input has spatial or time axes), then scales it by $\\gamma$ and shifts "
            "it by $\\beta$.") in text


def test_resnet_and_mobilenet_block_sentences_in_the_round9_reviewers_words(resnet):
    """Round-9 en reviewer: batch normalization as a mass noun, and "added unchanged" for the
    identity shortcut; round 13: "batch normalization layer" unhyphenated, as everywhere else."""
    assert "Each convolution is followed by a batch normalization layer, the first two also by a ReLU." in resnet
    assert "batch-normalization" not in resnet
    assert "Where the input already has the output's shape, it is added unchanged (identity shortcut)" in resnet
    assert "a batch normalization follows" not in resnet and "added as it is" not in resnet


def test_lenet5_and_check_sheet_in_the_round9_reviewers_words():
    """Round-9 reviewers: fr « Voici » announced nothing; ja mixed 個 and 枚 for maps and wanted a
    comma; ja 「最終値」 is stiff on the check sheet."""
    from explain.checker import check_file, render_report
    lenet = explain.load("example:lenet5")
    assert "Ce modèle est la variante de LeNet-5 que présentent d’ordinaire les cours." in doc(lenet, "fr")
    assert "C3：16 枚の特徴マップのうち 15 枚を、S2 の 6 枚のマップの一部だけに結合し" in doc(lenet, "ja")
    sheet = render_report(check_file(str(FIXTURES / "worksheets" / "seed_worksheet.yaml")), lang="ja",
                          format="markdown")
    # by hand: 512 × 128 + 128 = 65,664 is the answer's value; its formula gives 512 × 128 + 512
    assert f"解答の値 {512 * 128 + 128:,} は正解と一致しますが" in sheet


@pytest.mark.parametrize("lang, present, absent", [
    # round 11 (fr, es): the apposition after the formula read as the stride's name
    ("fr", "Le pas est égal à la taille de la fenêtre\u00a0: $s = k = 2$ (`strides=None`).", "Le pas vaut $s"),
    ("es", "El paso es igual al tamaño de la ventana: $s = k = 2$ (`strides=None`).", "Paso $s"),
    # the original also differs in its activations: the three differences are those of the count
    ("fr", "en diffère en trois points qui changent le nombre de paramètres\u00a0:", "en trois points\u00a0:"),
    ("es", "En cuanto al número de parámetros, la red original (LeCun et al., 1998) difiere de ella en tres puntos:",
     "unidades RBF"),
    ("de", "Einheiten mit radialer Basisfunktion (RBF-Einheiten)", "aus RBF-Einheiten"),
    ("fr", "formée d’unités à fonction de base radiale (RBF)", "d’unités RBF"),
    ("ja", "元の出力層は、ソフトマックス付きの全結合層ではなく、動径基底関数（RBF）ユニット", "S2/S4：サブサンプリング層は"),
])
def test_lenet5_sentences_in_the_round10_reviewers_words(lang, present, absent):
    """LeNet-5 (2 × 2 average pooling, strides=None: the stride is the pool size by Keras's
    default) in the reviewers' words."""
    text = doc(explain.load("example:lenet5"), lang=lang)
    assert present in text and absent not in text


def test_german_resnet50_intro_without_summary_in_prose():
    """ResNet50 (Keras functional model): 177 entries in model.layers, one of them the InputLayer
    (tests/fixtures/keras/ResNet50.json) -> 176 layers; de reviewer, round 10: no bare summary()
    in prose, and "die Eingabeschicht nicht mitgezählt"."""
    import json
    layers = json.loads((FIXTURES / "keras" / "ResNet50.json").read_text())["config"]["layers"]
    inputs = sum(1 for layer in layers if layer["class_name"] == "InputLayer")
    text = doc(explain.load(str(FIXTURES / "keras" / "ResNet50.json")), lang="de")
    assert (f"Das Modell hat {len(layers) - inputs} Schichten, die Eingabeschicht nicht mitgezählt "
            "(bei einem funktionalen Modell führt `model.summary()` von Keras die Eingabeschicht zusätzlich mit "
            "0 Parametern auf).") in text
    assert "summary()," not in text


def test_stage_table_has_a_total_row_and_names_its_rows(resnet, mobilenet):
    """Round-11 en reviewer: the stage table's rows (stem, stages, head) hold every layer once, so
    they add up to the model's total; the first column holds stem and head parts too, not only
    stages. ResNet50 has 25,636,712 parameters and MobileNetV2 3,538,984 (Keras Applications'
    count_params(), also in design/FORMULAS.md)."""
    for text, total in ((resnet, 25_636_712), (mobilenet, 3_538_984)):
        table = text[text.index("| Stage or part | Layers | Blocks | Parameters | Share | Output shape |"):]
        table = table[:table.index("\n\n")].splitlines()[2:]
        rows = [[c.strip() for c in r.strip("|").split("|")] for r in table]
        assert rows[-1] == ["**Total**", "", "", f"**{total:,}**", "**100.0%**", ""]
        assert sum(int(r[3].replace(",", "")) for r in rows[:-1]) == total
    assert "| Stage |" not in resnet
    tex = doc(explain.load(FIXTURES / "keras" / "ResNet50.json"), fmt="latex")
    assert "\\midrule\n\\textbf{Total} & & & \\textbf{25,636,712} & \\textbf{100.0\\%} & \\\\*\n\\end{longtable}" in tex
    de = doc(explain.load(FIXTURES / "keras" / "ResNet50.json"), lang="de")
    assert "| Stufe oder Teil | Schichten |" in de and "| **Gesamtzahl** |  |  | **25.636.712** |" in de


def test_padding_same_sentence_is_true_for_every_kernel():
    """Keras 'same' with stride 1 pads k_eff − 1 in all: (k − 1)/2 at both ends only for an odd
    kernel. k = 2 pads 0 before and 1 after; k = 3 with dilation 2 (k_eff = 2·(3 − 1) + 1 = 5)
    pads (5 − 1)/2 = 2 at both ends. Every output keeps the input's 8 × 8."""
    keras = require_module("keras")
    x = keras.Input((8, 8, 3))
    even = keras.layers.Conv2D(4, 2, padding="same", name="even")
    dilated = keras.layers.Conv2D(4, 3, padding="same", dilation_rate=2, name="dilated")
    assert tuple(even(x).shape[1:3]) == tuple(dilated(x).shape[1:3]) == (8, 8)
    spec = {"name": "pad", "input": [8, 8, 3], "layers": [
        {"Conv2D": {"name": "even", "filters": 4, "kernel_size": 2, "padding": "same"}},
        {"Conv2D": {"name": "dilated", "filters": 4, "kernel_size": 3, "padding": "same", "dilation_rate": 2}}]}
    text = doc(explain.load(spec))
    assert "odd" not in section(text, "even") and "zeros at both ends" not in section(text, "even")
    assert "It is split into $p_{1} = \\lfloor 1/2 \\rfloor = 0$ at the start" in section(text, "even")
    dil = section(text, "dilated")
    assert 'For an odd dilated kernel size with stride 1, `padding="same"` adds $p$ zeros at both ends' in dil
    assert "= 2$." in dil


def test_round11_wording_in_every_language(resnet, mobilenet):
    """Round-11 reviewers, one language each: de "Parameterzahl" and one term for the LSTM's cell
    candidate; fr "max-pooling" named at first mention; ja keeps the glossary's 学習不可 (Keras's "Non-trainable
    params") and the chart axis with 全 and %; en "sample" (the glossary's word) and the double
    border's parentheses (a box reads "conv2_x (layers 7–38) × 3"); the BatchNorm note true at
    inference too (Keras subtracts the moving mean there)."""
    seed = {lang: doc(explain.load("example:seed-cnn"), lang) for lang in ("de", "fr", "ja")}
    assert "ihre Ausgabeform und ihre Parameterzahl." in seed["de"]
    # round 12: the French term first, the English one in parentheses (as « pooling par moyenne »)
    assert "Une couche de pooling par maximum (max-pooling) garde la plus grande valeur" in seed["fr"]
    assert "学習可能なパラメータは 6,029,097 個、学習不可のパラメータは 0 個です。" in seed["ja"]
    assert "全パラメータに占める割合（%）" in seed["ja"] and "学習対象外" not in seed["ja"]
    rnn = doc(explain.load(FIXTURES / "specs" / "small_rnn.yaml"), "de")
    assert "einen Kandidatenwert des Zellzustands, also vier gleich große Gewichtsblöcke" in rnn
    assert "Kandidat für" not in rnn and "Kandidatenzustand für den Zellzustand" not in rnn
    assert "(layers 7–38) × 3" in resnet
    assert ("A box with a double border groups several consecutive layers and gives the range of their "
            "layer numbers in parentheses; a trailing × N gives the number of blocks in the box.") in resnet
    assert ("the normalization subtracts the batch mean (at inference, the moving mean, which would "
            "include the bias), so a bias would cancel out") in mobilenet
    ja = doc(explain.load(FIXTURES / "keras" / "ResNet50.json"), "ja")
    assert "二重枠のボックスは連続する複数の層をまとめたもので、括弧内にそれらの層番号の範囲を示します。" in ja
    assert "（Functional API で作ったモデルでは、Keras の `model.summary()` に入力層もパラメータ数 0 として表示されます）" in ja
    # round 12: the column's name in 「」, not bare between spaces
    assert "区間に含まれるブロックの数は「ブロック数」の列に示します。" in ja


def test_mobilenet_block_sentence_in_the_round12_reviewers_words(mobilenet):
    """Round-12 en reviewer: "expands by the factor t" can read as "adds 6"; the depthwise
    convolution and the 1 × 1 projection replace (not "do the work of") a standard 3 × 3
    convolution. By hand, block_1 (96 → 24 channels): 3·3·96 + 96·24 = 3,168 weights against
    3·3·96·24 = 20,736 for a standard 3 × 3 convolution."""
    assert "A 1 × 1 convolution multiplies the number of channels by the expansion factor" in mobilenet
    assert ("Together, the depthwise convolution and the 1 × 1 projection replace a standard 3 × 3 "
            "convolution with far fewer weights") in mobilenet
    sep, std = f"{3 * 3 * 96 + 96 * 24:,}".replace(",", "{,}"), f"{3 * 3 * 96 * 24:,}".replace(",", "{,}")
    assert f"= {sep}$ weights instead of $3 \\times 3 \\times 96 \\times 24 = {std}$." in mobilenet
    assert "projecting convolution" not in mobilenet


def test_round12_native_reviewers_wording_in_each_language():
    """Round-12 fr/de/es/ja reviewers' wording (findings12/cnn.md, general.md)."""
    from explain.checker import check_file, render_report
    seed, lenet = explain.load("example:seed-cnn"), explain.load("example:lenet5")
    fr_seed, fr_lenet = doc(seed, "fr"), doc(lenet, "fr")
    assert "Une couche de pooling par maximum (max-pooling) garde la plus grande valeur" in fr_seed
    assert "Pour une taille de noyau impaire et un pas de 1" in fr_seed
    assert "(la seizième à toutes les six)" in fr_lenet
    assert "ein Gewicht je Paar aus Eingabe und Ausgabe und ein Bias je Ausgabe" in doc(seed, "de")
    es_seed, es_lenet = doc(seed, "es"), doc(lenet, "es")
    # seed_cnn: 18 layers besides its input (Keras Sequential's model.summary() lists 18 rows)
    assert ("El modelo tiene 18 capas, sin contar la capa de entrada (en un modelo Sequential, `model.summary()` de "
            "Keras no la muestra).") in es_seed
    # 10 RBF units, each with a fixed vector of F6's 84 outputs
    assert f"Estos {10 * 84} números se eligieron a mano y se mantuvieron fijos, al menos al principio, según " \
        "el artículo; no hay sesgo." in es_lenet
    es_res = doc(explain.load(FIXTURES / "specs" / "residual.yaml"), "es")
    assert "se actualizan con una media móvil exponencial de la media y la varianza de cada lote" in es_res
    ja_seed = doc(seed, "ja")
    assert "（Sequential モデルでは、Keras の `model.summary()` に入力層は表示されません）。" in ja_seed
    ja_sheet = render_report(check_file(str(FIXTURES / "worksheets" / "seed_worksheet.yaml")), lang="ja",
                             format="markdown")
    assert "| # | 項目 | 解答 |" in ja_sheet and "あなた" not in ja_sheet


def test_simple_rnn_gives_its_step_equation_with_the_tensors_shapes():
    """Keras's SimpleRNN computes h_t = tanh(x_t W + h_{t-1} U + b) on row vectors, with the kernel
    W of shape (i, h) and the recurrent kernel U of (h, h): checked on one real layer, step by
    step with numpy; the sentence names both shapes and says "hidden state" (reviewers, round 12).
    Another activation gets the sentence without the equation."""
    keras = require_module("keras")
    np = require_module("numpy")
    layer = keras.layers.SimpleRNN(8)
    x = np.random.default_rng(0).normal(size=(1, 4, 4)).astype("float32")
    out = keras.ops.convert_to_numpy(layer(x))
    kernel, recurrent, bias = (keras.ops.convert_to_numpy(w) for w in layer.weights)
    assert kernel.shape == (4, 8) and recurrent.shape == (8, 8) and bias.shape == (8,)
    h = np.zeros((1, 8), "float32")
    for t in range(4):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
    assert np.allclose(out, h, atol=1e-5)
    spec = {"name": "n", "input": [4, 4], "layers": [{"SimpleRNN": {"units": 8}}]}
    text = doc(explain.load(spec))
    assert (r"computes its hidden state at each time step from the current input and its previous hidden "
            r"state: $h_{t} = \tanh(x_{t} W + h_{t-1} U + b)$, with the input $x_{t}$ and the states as "
            r"row vectors. It has no gates: one set of input weights $W$ (`kernel`, $n_{\text{in}} \times h$), recurrent "
            r"weights $U$ (`recurrent_kernel`, $h \times h$) and a bias $b$ (`bias`, $h$ entries).") in text
    assert "Activation:" not in text  # the equation holds it
    no_bias = doc(explain.load({**spec, "layers": [{"SimpleRNN": {"units": 8, "use_bias": False}}]}))
    assert r"$h_{t} = \tanh(x_{t} W + h_{t-1} U)$" in no_bias and "this layer has no bias" in no_bias
    relu = doc(explain.load({**spec, "layers": [{"SimpleRNN": {"units": 8, "activation": "relu"}}]}))
    assert r"\tanh" not in relu and "one set of input weights, recurrent weights and a bias" in relu
    compute = render_document("derivation", explain.load(spec), lang="en", format="markdown",
                              count=("params", "compute"))
    assert "for the activation" not in compute  # its tanh is in the recurrent step's cost


def test_keras_batchnorm_moving_statistics_are_an_exponential_average_of_the_batches():
    """One training step of a real BatchNormalization: moving = momentum·moving + (1 − momentum)·
    batch statistic, for the mean and the variance; the note says so instead of "updated as
    moving averages" (a tautology for a moving mean, es reviewer round 12)."""
    keras = require_module("keras")
    np = require_module("numpy")
    bn = keras.layers.BatchNormalization(momentum=0.9)
    x = np.random.default_rng(1).normal(2.0, 3.0, size=(16, 3)).astype("float32")
    bn(x, training=True)
    mean, var = (keras.ops.convert_to_numpy(w) for w in (bn.moving_mean, bn.moving_variance))
    assert np.allclose(mean, 0.9 * 0 + 0.1 * x.mean(0), atol=1e-5)
    assert np.allclose(var, 0.9 * 1 + 0.1 * x.var(0), atol=1e-4)
    text = section(doc(explain.load(FIXTURES / "keras" / "ResNet50.json")), "conv1_bn")
    assert ("during training they are updated with an exponential moving average of each batch's mean "
            "and variance (`momentum`), not by gradient descent.") in text
    assert "as moving averages" not in text


@pytest.mark.parametrize("lang, msgid, wanted, unwanted", [
    # de reviewer, round 12: "je Paar" leaves open of what
    ("de", "DENSE_NO_BIAS", "ein Gewicht je Paar aus Eingabe und Ausgabe", None),
    # fr reviewer: a generic kernel size is "taille de noyau"
    ("fr", "PADDING_SAME_HALF_DILATED", "Pour une taille de noyau dilaté impaire", "taille du noyau"),
    # the 16th map of C3 is connected to all 6 maps of S2 (as in English since round 13)
    ("de", "LENET5_C3", "die 16. mit allen 6", "die letzte"),
    ("es", "LENET5_C3", "y el decimosexto con los 6", "el último"),
    ("ja", "LENET5_C3", "16 枚目は 6 枚すべてに結合します", "最後の"),
])
def test_reviewers_wording_round12(lang, msgid, wanted, unwanted):
    from explain.layers import _texts
    from explain.render.i18n import translations
    ids = {"DENSE_NO_BIAS": _texts.DENSE_NO_BIAS, "PADDING_SAME_HALF_DILATED": messages.PADDING["same_half_dilated"],
           "LENET5_C3": messages.MODEL_NOTES["lenet5_c3"]}
    text = translations(lang).gettext(ids[msgid])
    assert wanted in text and (unwanted is None or unwanted not in text)


def _torch_resnet50_parameters(torch) -> int:
    """torchvision's resnet50 rebuilt with torch.nn (convolutions without bias, BatchNorm2d whose
    running statistics are buffers, bottleneck blocks [3, 4, 6, 3] of widths 64…512, expansion 4,
    a 1 × 1 projection with batch normalization in each stage's first block, fc 2048 → 1000)."""
    nn = torch.nn

    def conv_bn(c_in, c_out, k):
        return [nn.Conv2d(c_in, c_out, k, bias=False), nn.BatchNorm2d(c_out)]

    layers = conv_bn(3, 64, 7)
    c_in = 64
    for width, blocks in zip((64, 128, 256, 512), (3, 4, 6, 3)):
        for b in range(blocks):
            layers += conv_bn(c_in, width, 1) + conv_bn(width, width, 3) + conv_bn(width, 4 * width, 1)
            if b == 0:
                layers += conv_bn(c_in, 4 * width, 1)
            c_in = 4 * width
    layers.append(nn.Linear(2048, 1000))
    return sum(p.numel() for p in nn.ModuleList(layers).parameters())


def test_resnet50_says_its_biases_before_batchnorm_cancel_out(resnet):
    """Keras's ResNet50 keeps the bias of every convolution that batch normalization follows
    (en reviewer, round 12): the first such layer says why they have no effect, how many there are
    and what the model counts without them and without the moving statistics (PyTorch's way)."""
    import json
    torch = require_module("torch")
    layers = json.loads((FIXTURES / "keras" / "ResNet50.json").read_text())["config"]["layers"]
    read_by: dict = {}
    for layer in layers:
        for node in layer.get("inbound_nodes", []):
            for arg in node["args"] if isinstance(node, dict) else []:
                for src in (arg if isinstance(arg, list) else [arg]):
                    if isinstance(src, dict) and "keras_history" in src.get("config", {}):
                        read_by.setdefault(src["config"]["keras_history"][0], []).append(layer["class_name"])
    biased = [layer["config"]["filters"] for layer in layers if layer["class_name"] == "Conv2D"
              and layer["config"]["use_bias"] and read_by.get(layer["config"]["name"]) == ["BatchNormalization"]]
    bn_channels = sum(filters for filters in biased)  # every BN follows one of these convolutions
    assert len(biased) == 53 and sum(biased) == 26_560
    without = 25_636_712 - sum(biased) - 2 * bn_channels
    assert without == _torch_resnet50_parameters(torch) == 25_557_032
    text = section(resnet, "conv1_conv")
    assert ("This convolution keeps its bias although batch normalization follows it: the normalization subtracts "
            "the batch mean (at inference, the moving mean, which includes the bias), so the bias cancels out "
            "and has no effect on the output; $\\beta$ shifts every channel instead. In this model, 53 convolutions "
            "followed by batch normalization have such a bias: 26,560 of the 25,636,712 parameters. Without "
            "these biases, and with the moving means and variances counted as buffers, not parameters, as in "
            "PyTorch, the model would have 25,557,032 parameters.") in text
    assert resnet.count("keeps its bias although") == 1  # said once, at the first such layer
    spec = {"name": "n", "input": [8, 8, 3], "layers": [
        {"Conv2D": {"filters": 4, "kernel_size": 3}}, {"Conv2D": {"filters": 4, "kernel_size": 3}},
        {"BatchNormalization": {}}]}
    one = doc(explain.load(spec))
    # by hand: the second convolution's 4 biases; 3·3·3·4 + 4 + 3·3·4·4 + 4 + 4·4 = 108 + 4 + 144 + 4 + 16
    assert "keeps its bias although" in section(one, "conv2d_1") and "keeps its bias" not in section(one, "conv2d")
    assert "It is the only such convolution of this model: 4 of its 276 parameters." in one
    assert "the model would have 264 parameters" in one  # 276 - 4 - 2·4
    plain = doc(explain.load({**spec, "layers": spec["layers"][:2]}))
    assert "keeps its bias" not in plain  # no batch normalization follows


def test_total_of_a_model_with_a_stage_table_sums_its_rows(resnet):
    """ResNet50's total is the sum of the stage table's 8 rows, not of 40 layer terms (en reviewer,
    round 13). By hand: conv1 7·7·3·64 + 64 + 4·64 = 9,728; conv2_x: block 1 (1·1·64·64 + 64) +
    (3·3·64·64 + 64) + 2·(1·1·64·256 + 256) + BN 4·(64 + 64 + 256 + 256) = 4,160 + 36,928 + 33,280 +
    2,560 = 76,928, blocks 2 and 3 16,448 + 36,928 + 16,640 + 4·(64 + 64 + 256) = 71,552 each:
    220,032; the head 2048·1000 + 1000 = 2,049,000."""
    assert 4_160 + 36_928 + 33_280 + 2_560 + 2 * 71_552 == 220_032
    total = resnet[resnet.index("## Total"):]
    assert "the sum over the rows of the stage table:" in total
    assert r"P &= 9{,}728 + 0 + 220{,}032 + 1{,}230{,}336 \\" in total
    assert r"&\quad + 7{,}129{,}088 + 14{,}998{,}528 + 0 + 2{,}049{,}000 \\" in total
    assert 9_728 + 220_032 + 1_230_336 + 7_129_088 + 14_998_528 + 2_049_000 == 25_636_712


def test_global_pooling_says_which_axes_go_and_reshape_its_values():
    """GlobalAveragePooling2D on (32, 32, 16): the 32 × 32 positions are pooled away, the 16 channels
    remain; Reshape (16,) → (4, 4) keeps its 16 values (en reviewer, round 13); checked with Keras."""
    keras = require_module("keras")
    x = keras.Input((32, 32, 16))
    y = keras.layers.GlobalAveragePooling2D()(x)
    z = keras.layers.Reshape((4, 4))(y)
    assert tuple(y.shape[1:]) == (16,) and tuple(z.shape[1:]) == (4, 4)
    first = keras.layers.GlobalMaxPooling2D(data_format="channels_first")(keras.Input((16, 8, 4)))
    assert tuple(first.shape[1:]) == (16,)
    text = doc(explain.load({"name": "n", "input": [32, 32, 16], "layers": [
        {"GlobalAveragePooling2D": {}}, {"Reshape": {"target_shape": [4, 4]}}]}))
    assert ("The input's height and width ($32 \\times 32$) are pooled away; its 16 channels remain.\n\n"
            "Output shape: `(None, 16)`.") in text
    assert ("All 16 values are kept in the same order; only the shape changes: $16 = 4 \\times 4$.\n\n"
            "Output shape: `(None, 4, 4)`.") in text
    cf = doc(explain.load({"name": "n", "input": [16, 8, 4], "layers": [
        {"GlobalMaxPooling2D": {"data_format": "channels_first"}}]}))
    assert "height and width ($8 \\times 4$) are pooled away; its 16 channels remain." in cf
    kept = doc(explain.load({"name": "n", "input": [32, 32, 16], "layers": [
        {"GlobalAveragePooling2D": {"keepdims": True}}]}))
    assert "pooled away" not in kept  # the axes stay, with size 1


def test_reviewers_wording_round13():
    """Native reviewers, round 13: the recurrent layers' h is the hidden state's dimension (de, ja);
    "lors de l'inférence" (fr) and "durante la inferencia" (es); one spelling „Batch-“ (de); the
    Keras LSTM note names the layer and the count of its biases (ja); en Dense "input–output pair"."""
    from explain.layers import _texts
    from explain.render import messages
    from explain.render.i18n import translations
    tr = {lang: translations(lang).gettext for lang in ("de", "fr", "ja", "es")}
    assert tr["de"](messages.SYMBOLS["rnn_units"]) == "Dimension des verdeckten Zustands (%(units)s)"
    assert tr["ja"](messages.SYMBOLS["rnn_units"]) == "隠れ状態の次元数（%(units)s）"
    assert tr["fr"](_texts.DROPOUT).count("Lors de l’inférence") == 1 and "À l’inférence" not in tr["fr"](_texts.DROPOUT)
    assert "Durante la inferencia" in tr["es"](_texts.DROPOUT)
    assert tr["ja"](messages.NOTES["lstm_one_bias"]).startswith("Keras の LSTM 層では、")
    assert "one weight for each input–output pair and one bias for each output" in _texts.DENSE
    from explain.render.i18n import translations as t
    catalog = t("de")._catalog  # type: ignore[attr-defined]
    assert not any("Batchgröße" in str(v) for v in catalog.values())


def test_german_block_picture_lead_in_has_a_verb():
    """de reviewer, round 13: „Der Block … Schicht für Schicht gezeichnet, …“ had no finite verb."""
    text = doc(explain.load(FIXTURES / "keras" / "ResNet50.json"), lang="de")
    assert ("Das folgende Diagramm zeigt den Block `conv2_block1` Schicht für Schicht, als Beispiel für die "
            "Blöcke des Modells; die Pfeile zeigen, wo sich seine Zweige trennen") in text
    assert "Schicht für Schicht gezeichnet" not in text


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_a_strided_same_conv_states_its_stride_before_the_padding_that_uses_it(fmt):
    """MobileNetV2's Conv1 (3 × 3, strides=2, "same", 224 → ⌈224/2⌉ = 112 by hand): the padding's
    calculation uses s = 2, so "Stride s = 2" comes first, in its own paragraph (round 14, en)."""
    text = doc(explain.load(FIXTURES / "keras" / "MobileNetV2.json"), fmt=fmt)
    conv1 = text.split("1. `Conv1`" if fmt == "markdown" else "1. \\texttt{Conv1}")[1].split("Output shape")[0]
    stride = conv1.index("Stride $s = 2$")
    assert stride < conv1.index("rounded up") < conv1.index("= 112")
    if fmt == "latex":  # a paragraph of its own, not glued to the split sentence before it
        assert conv1[stride:].split("\n")[1] == ""


def test_repeated_block_counts_are_words_and_two_blocks_are_both():
    """ResNet50's stages have 3, 4, 6 and 3 bottleneck blocks (He et al. 2016, Table 1); after the
    first block of a stage the others repeat: 2, 3, 5 and 2 identical blocks. Small counts are
    words ("three", not "3"), and two blocks sum as "Both blocks", not "All 2 blocks"."""
    text = doc(explain.load(FIXTURES / "keras" / "ResNet50.json"))
    assert "### Layers 51 to 80: three identical blocks" in text
    assert "form five consecutive blocks of 10 layers" in text and "All five blocks:" in text
    assert "Both blocks:" in text and "All 2 blocks" not in text and not re.search(r"\d identical blocks", text)
    de = doc(explain.load(FIXTURES / "keras" / "ResNet50.json"), lang="de")
    assert "Alle fünf Blöcke:" in de and "Beide Blöcke:" in de


# -- round 17 (en reviewer, resnet50 8/10, mobilenetv2 8/10)

def _keras_layers(name: str) -> dict:
    import json
    return {l["config"]["name"]: l for l in
            json.loads((FIXTURES / "keras" / f"{name}.json").read_text())["config"]["layers"]}


def test_resnet_bottleneck_names_its_relus_as_keras_has_them(resnet):
    """Keras's ResNet50 (He et al. 2016): conv–BN–ReLU, conv–BN–ReLU, conv–BN, Add, ReLU. The
    stage text said only the batch normalizations; a lecturer names the ReLUs too."""
    layers = _keras_layers("ResNet50")
    for block in ("conv2_block1", "conv3_block2", "conv5_block3"):
        for relu in (f"{block}_1_relu", f"{block}_2_relu", f"{block}_out"):
            assert layers[relu]["class_name"] == "Activation" and layers[relu]["config"]["activation"] == "relu"
        src = {r: layers[r]["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0]
               for r in (f"{block}_1_relu", f"{block}_2_relu", f"{block}_out")}
        assert src == {f"{block}_1_relu": f"{block}_1_bn", f"{block}_2_relu": f"{block}_2_bn",
                       f"{block}_out": f"{block}_add"}
        assert f"{block}_3_relu" not in layers  # no activation before the addition
    stages_part = resnet.split("## Summary")[0]
    assert ("Each convolution is followed by a batch normalization layer, the first two also by a ReLU. An Add "
            "layer then adds the block's input to the main path's output, and a ReLU follows the sum; this skip "
            "connection has no parameters.") in stages_part


def test_bottleneck_text_is_left_out_where_the_block_has_no_relu_after_the_sum(tmp_path):
    import json
    data = json.loads((FIXTURES / "keras" / "ResNet50.json").read_text())
    for layer in data["config"]["layers"]:
        if layer["config"]["name"].endswith("_out"):
            layer["config"]["activation"] = "linear"
    (tmp_path / "r.json").write_text(json.dumps(data))
    text = doc(explain.load(tmp_path / "r.json"))
    assert "are bottleneck blocks" not in text and "a ReLU follows the sum" not in text


def test_bias_note_names_the_layers_it_is_about():
    """The note said '53 layers' of ResNet50's convolutions (en reviewer, round 17): it names
    convolutions, or dense layers, as the model has them. By hand: Dense(4) on 3 inputs 3·4 + 4 = 16,
    BatchNormalization 4·4 = 16: 32 parameters, without the 4 biases and 8 moving statistics 20."""
    dense = doc(explain.load({"name": "d", "input": [3], "layers": [
        {"Dense": {"units": 4}}, {"BatchNormalization": {}}]}))
    assert "This dense layer keeps its bias although" in dense
    assert "It is the only such dense layer of this model: 4 of its 32 parameters." in dense
    assert "the model would have 20 parameters" in dense
    both = doc(explain.load({"name": "m", "input": [8, 8, 3], "layers": [
        {"Conv2D": {"filters": 4, "kernel_size": 3}}, {"BatchNormalization": {}}, {"Flatten": {}},
        {"Dense": {"units": 2}}, {"BatchNormalization": {}}]}))
    assert "In this model, 2 convolutional and dense layers followed by batch normalization" in both
    for lang in ("de", "fr", "ja", "es"):
        native = doc(explain.load({"name": "d", "input": [3], "layers": [
            {"Dense": {"units": 4}}, {"BatchNormalization": {}}]}), lang)
        assert "dense layer" not in native
        assert translated_part(lang, messages.NOTES["bias_cancelled_by_batchnorm_dense_one"]) in native, lang


def test_mobilenet_relu_layer_says_it_is_relu6_by_its_max_value(mobilenet):
    """Keras's MobileNetV2 uses the ReLU layer with max_value=6: its type reads 'ReLU', so the
    sentence that gives ReLU6 names the argument that makes it one."""
    assert _keras_layers("MobileNetV2")["Conv1_relu"]["config"]["max_value"] == 6.0
    assert ("applies $\\mathrm{ReLU6}(x) = \\min(\\max(x, 0), 6)$ to its input element-wise (Keras's ReLU "
            "layer with `max_value=6.0`). It has no weights.") in section(mobilenet, "Conv1_relu")
    plain = doc(explain.load({"name": "r", "input": [4], "layers": [{"ReLU": {}}]}))
    assert "max_value" not in plain


def test_torch_lstm_tensors_in_pytorchs_names_and_axis_order():
    """PyTorch stores weight_ih_l0 as (4h, n_in) and weight_hh_l0 as (4h, h) (en reviewer, round
    17: '4n_in·h' read as Keras's order); one layer's tensors and the biases the sentence and the
    note name are PyTorch's own, and the symbols name the module's arguments."""
    torch = require_module("torch")
    module = torch.nn.LSTM(32, 64, batch_first=True)
    assert {n: tuple(p.shape) for n, p in module.named_parameters()} == {
        "weight_ih_l0": (256, 32), "weight_hh_l0": (256, 64), "bias_ih_l0": (256,), "bias_hh_l0": (256,)}
    text = section(doc(explain.load(FIXTURES / "specs" / "torch_lstm.yaml")), "lstm")
    for row in (r"| `weight_ih_l0` | $4h \cdot n_{\text{in}} = 4 \times 64 \times 32$ | 8,192 |",
                r"| `weight_hh_l0` | $4h \cdot h = 4 \times 64 \times 64$ | 16,384 |",
                r"| `bias_ih_l0` | $4h = 4 \times 64$ | 256 |", r"| `bias_hh_l0` | $4h = 4 \times 64$ | 256 |"):
        assert row in text
    assert "the three gates and the cell candidate" in text
    assert text.count("(`bias_ih_l0` and `bias_hh_l0`)") == 2 and "`bias_ih`" not in text
    assert "number of input features per time step (`input_size`)" in text
    assert "number of hidden units (`hidden_size`)" in text
    keras = require_module("keras")
    lstm = keras.layers.LSTM(64)
    lstm.build((None, 20, 32))
    assert tuple(lstm.cell.kernel.shape) == (32, 256)  # Keras: (n_in, 4h), written n_in · 4h
    assert r"| `kernel` | $n_{\text{in}} \cdot 4h = 32 \times 4 \times 64$ | 8,192 |" in doc(
        explain.load(FIXTURES / "specs" / "small_rnn.yaml"))


def test_bidirectional_concat_says_the_two_widths_it_adds():
    """Bidirectional(GRU(16)) concatenates 2h = 16 + 16 = 32 units (Keras builds it so); with a
    separate backward layer of 8 units, 16 + 8 = 24."""
    keras = require_module("keras")
    x = keras.Input((256, 32))
    assert keras.Model(x, keras.layers.Bidirectional(keras.layers.GRU(16))(x)).output_shape == (None, 32)
    both = keras.layers.Bidirectional(keras.layers.GRU(16), backward_layer=keras.layers.GRU(8, go_backwards=True))
    # Keras's symbolic output_shape says 32 here; the tensor the model returns has 24 units
    real = keras.Model(x, both(x))(keras.ops.zeros((1, 256, 32)))
    assert tuple(real.shape) == (1, 24)
    spec = {"name": "b", "input": [256, 32], "layers": [{"Bidirectional": {"layer": {"GRU": {"units": 16}}}}]}
    assert "so that axis has $16 + 16 = 32$ entries: `(None, 32)`." in doc(explain.load(spec))
    spec["layers"][0]["Bidirectional"]["backward_layer"] = {"GRU": {"units": 8, "go_backwards": True}}
    assert "so that axis has $16 + 8 = 24$ entries: `(None, 24)`." in doc(explain.load(spec))


def test_bottleneck_sentence_is_true_of_every_block_including_conv2_block1():
    """Round 18 (en): "a 1 × 1 convolution reduces the number of channels" is false for
    conv2_block1, whose input has 64 channels and whose bottleneck is 64 wide. What holds in every
    block of the Keras model (its own JSON): the first 1 × 1 convolution's filters are fewer than
    the block's output channels (the third convolution's)."""
    import json
    config = json.loads((FIXTURES / "keras" / "ResNet50.json").read_text())
    filters = {la["config"]["name"]: la["config"].get("filters") for la in config["config"]["layers"]}
    blocks = sorted({n.rsplit("_", 2)[0] for n in filters if re.fullmatch(r"conv\d_block\d+_1_conv", n)})
    assert len(blocks) == 16 and filters["conv2_block1_1_conv"] == 64  # 3 + 4 + 6 + 3 blocks
    assert all(filters[f"{b}_1_conv"] < filters[f"{b}_3_conv"] for b in blocks)
    text = doc(explain.load(FIXTURES / "keras" / "ResNet50.json"))
    assert "bottleneck width (fewer than its output has)" in text
    assert "reduces the number of channels" not in text
