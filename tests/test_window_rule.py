"""One output-size rule per window kind: shape inference against PyTorch over many lengths, the
same derivation (rule, numbers, result) for PyTorch specs as for Keras's, bounded symbolic chains,
and the one formula printer in LaTeX and plain text."""
from __future__ import annotations

from pathlib import Path

import pytest
import sympy

import explain
from explain.render import render
from explain.render.mathtex import MathPrinter, formula_text
from explain.shapes import keras_conv, torch_pool
from explain.symbols import sym
from tests.conftest import ROOT, require_module


def torch_lengths(module, rank: int, channels: int, lengths) -> list:
    """The spatial output sizes torch itself gives for inputs of each of ``lengths`` (or None
    where torch refuses the input)."""
    torch = require_module("torch")
    out = []
    with torch.no_grad():
        for n in lengths:
            try:
                y = module(torch.zeros((1, channels) + (n,) * rank))
            except RuntimeError:
                out.append(None)
                continue
            out.append(tuple(y.shape[2:]))
    return out


def our_lengths(spec_layer: dict, input_channels: int, rank: int, lengths) -> list:
    from explain.errors import ExplainError
    out = []
    for n in lengths:
        try:
            model = explain.load({"framework": "pytorch", "input": [input_channels] + [n] * rank,
                                  "layers": [spec_layer]})
        except ExplainError:
            out.append(None)
            continue
        shape = model.nodes[0].output_shape
        out.append(None if any(isinstance(d, int) and d <= 0 for d in shape[1:]) else tuple(shape[1:]))
    return out


CASES = [  # torch.nn modules and their arguments; rank 1, one channel
    ("Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 3, "stride": 2, "padding": 1}),
    ("Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 4, "dilation": 2, "stride": 3}),
    ("Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 4, "padding": "same"}),
    ("ConvTranspose1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 5, "stride": 3, "padding": 2,
                         "output_padding": 1, "dilation": 2}),
    ("MaxPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ("MaxPool1d", {"kernel_size": 2, "stride": 3, "padding": 1, "ceil_mode": True}),
    ("MaxPool1d", {"kernel_size": 3, "stride": 3, "dilation": 2, "padding": 1, "ceil_mode": True}),
    ("AvgPool1d", {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True}),
    ("AvgPool1d", {"kernel_size": 3, "stride": 2}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_window_rules_give_torchs_lengths(name, kwargs):
    """Every input length from 1 to 30: torch's own output length, or both refuse."""
    torch = require_module("torch")
    layer = getattr(torch.nn, name)(**kwargs)
    lengths = range(1, 31)
    assert our_lengths({name: kwargs}, 1, 1, lengths) == torch_lengths(layer, 1, 1, lengths)


# -- the derivation: PyTorch specs show the rule with their numbers, like Keras's

TORCH_SPEC = {
    "name": "tcnn", "framework": "pytorch", "input": [3, 32, 32], "layers": [
        {"Conv2d": {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": 1}},
        {"MaxPool2d": {"kernel_size": 2}},
        {"ConvTranspose2d": {"in_channels": 8, "out_channels": 4, "kernel_size": 3, "stride": 2,
                             "padding": 1, "output_padding": 1}},
    ]}
FLOOR = r"\left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1"


def test_pytorch_conv_pool_and_transpose_show_the_rule_with_their_numbers():
    torch = require_module("torch")
    nn = torch.nn
    x = torch.zeros(1, 3, 32, 32)
    with torch.no_grad():
        a = nn.Conv2d(3, 8, 3, padding=1)(x)
        b = nn.MaxPool2d(2)(a)
        c = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)(b)
    n1, n2, n3 = a.shape[-1], b.shape[-1], c.shape[-1]  # torch's: 32, 16, 32
    text = render(explain.load(TORCH_SPEC), format="markdown")
    # by hand: ⌊(32 + 2·1 − 3)/1⌋ + 1, ⌊(32 + 2·0 − 2)/2⌋ + 1, (16 − 1)·2 − 2·1 + 3 + 1
    assert text.count(f"stride $s$:\n\n$$\n{FLOOR}\n$$") == 2  # the rule as display math
    # in a line of text the fraction is n/s (display size only in displays)
    assert rf"Height and width: $\lfloor (32 + 2 \times 1 - 3)/1 \rfloor + 1 = {n1}$" in text
    assert rf"Height and width: $\lfloor (32 + 2 \times 0 - 2)/2 \rfloor + 1 = {n2}$" in text
    assert "output padding $p_{o}$:\n\n$$\n" + r"(n - 1) \cdot s - 2p + k + p_{o}" + "\n$$" in text
    assert rf"Height and width: $(16 - 1) \times 2 - 2 \times 1 + 3 + 1 = {n3}$" in text


def test_pytorch_avgpool1d_and_ceil_mode_show_the_rule_with_their_numbers():
    torch = require_module("torch")
    x = torch.zeros(1, 2, 20)
    with torch.no_grad():
        a = torch.nn.AvgPool1d(4, stride=3, padding=1)(x)
        b = torch.nn.MaxPool1d(3, stride=2, ceil_mode=True)(a)
        c = torch.nn.MaxPool1d(2, stride=2, padding=1, ceil_mode=True)(b)
    spec = {"framework": "pytorch", "input": [2, 20], "layers": [
        {"AvgPool1d": {"kernel_size": 4, "stride": 3, "padding": 1}},
        {"MaxPool1d": {"kernel_size": 3, "stride": 2, "ceil_mode": True}},
        {"MaxPool1d": {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}}]}
    text = render(explain.load(spec), format="markdown")
    # by hand: ⌊(20 + 2 − 4)/3⌋ + 1 = 7; ⌈(7 − 3)/2⌉ + 1 = 3; p + s > k: ⌈(3 + 1)/2⌉ = 2
    assert rf"Length: $\lfloor (20 + 2 \times 1 - 4)/3 \rfloor + 1 = {a.shape[-1]}$" in text
    assert rf"Length: $\lceil (7 + 2 \times 0 - 3)/2 \rceil + 1 = {b.shape[-1]}$" in text
    assert rf"Length: $\lceil (3 + 1)/2 \rceil = {c.shape[-1]}$" in text
    assert "With ceil\\_mode the output size" in text


def test_pytorch_max_unpool_shows_the_transposed_rule_with_its_numbers():
    torch = require_module("torch")
    x = torch.randn(1, 2, 9, 9)
    with torch.no_grad():
        pooled, idx = torch.nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)(x)
        up = torch.nn.MaxUnpool2d(3, stride=2, padding=1)(pooled, idx)
    spec = {"framework": "pytorch", "input": [2, 5, 5],
            "layers": [{"MaxUnpool2d": {"kernel_size": 3, "stride": 2, "padding": 1}}]}
    model = explain.load(spec)
    assert model.evaluate_shape(model.nodes[0].output_shape) == tuple(up.shape[1:])
    text = render(model, format="markdown")
    # by hand: (5 − 1)·2 − 2·1 + 3 + 0 = 9 (no output padding)
    assert rf"Height and width: $(5 - 1) \times 2 - 2 \times 1 + 3 + 0 = {up.shape[-1]}$" in text


def test_keras_and_pytorch_convolutions_get_the_same_derivation():
    """Conv2D 'same' 3×3 on 32×32 (Keras) and Conv2d padding=1 (torch): the same rule and numbers."""
    keras = {"input": [32, 32, 3], "layers": [{"Conv2D": {"filters": 8, "kernel_size": 3, "padding": "same"}}]}
    torch_ = {"framework": "pytorch", "input": [3, 32, 32],
              "layers": [{"Conv2d": {"in_channels": 3, "out_channels": 8, "kernel_size": 3, "padding": 1}}]}

    def rule_lines(spec):
        return [line for line in render(explain.load(spec), format="markdown").splitlines()
                if "lfloor" in line]

    assert rule_lines(keras) == rule_lines(torch_) and len(rule_lines(keras)) == 2


# -- symbolic lengths stay compact

@pytest.mark.parametrize("make", [lambda: keras_conv(None, 3, 2, 1, "same"), lambda: keras_conv(None, 3, 2, 1, "valid"),
                                  lambda: torch_pool(2, 2, 1, 1, True), lambda: torch_pool(3, 2, 1, 1, True),
                                  lambda: torch_pool(sym("K"), 2, 1, 1, True)],
                         ids=["same", "valid", "ceil_start", "ceil", "ceil_symbolic_kernel"])
def test_a_chain_of_symbolic_strided_windows_grows_linearly(make):
    H = sym("H")
    x, sizes = H, []
    for _ in range(24):
        x = make().length(x)
        sizes.append(sympy.count_ops(x, visual=False))
    assert sizes[-1] <= 10 * len(sizes), sizes  # linear: a few operations a layer
    for h in (97, 200):  # and it is still the exact length, step by step (K = 3)
        n = h
        for _ in range(24):
            n = make().length(n)
            n = n if isinstance(n, int) else int(n.xreplace({sym("K"): 3}))
        assert int(x.xreplace({H: h, sym("K"): 3})) == n


def test_ceil_mode_with_a_symbolic_kernel_gives_torchs_lengths():
    """The one-expression ceil_mode rule (kernel K) against torch for K = 2, 3, 4 and many lengths."""
    torch = require_module("torch")
    window = torch_pool(sym("K"), 3, 1, 1, True)
    assert window.kind == "ceil_clip"
    for kernel in (2, 3, 4):
        layer = torch.nn.MaxPool1d(kernel, stride=3, padding=1, ceil_mode=True)
        lengths = range(kernel, 30)
        ours = [(int(window.length(n).xreplace({sym("K"): kernel})),) for n in lengths]
        assert ours == torch_lengths(layer, 1, 1, lengths), kernel


# -- one printer

def test_the_printer_writes_latex_and_plain_text_with_locale_numbers():
    k_h, k_w, c_in, c_out, g = (sym(x) for x in ("k_h", "k_w", "c_in", "c_out", "g"))
    formula = k_h * k_w * c_in / g * c_out + c_out
    values = {k_h: 3, k_w: 3, c_in: 64, c_out: 1280, g: 2}
    latex = MathPrinter("de")
    assert latex.expr(formula) == r"\frac{k_{h} \cdot k_{w} \cdot c_{\text{in}} \cdot c_{\text{out}}}{g} + c_{\text{out}}"
    assert latex.expr(formula, values) == r"\frac{3 \times 3 \times 64 \times 1{.}280}{2} + 1{.}280"
    assert MathPrinter("fr").expr(c_out, values) == r"1\,280"
    assert formula_text(formula) == "(k_h·k_w·c_in·c_out)/g + c_out"
    assert formula_text(formula, values, "de") == "(3·3·64·1.280)/2 + 1.280"
    assert formula_text(4 * sym("C")) == "4C" and latex.expr(4 * sym("C")) == "4C"
    window = keras_conv(5, 3, 1, 1, "valid")
    plain = MathPrinter("en", plain=True)
    assert plain.expr(window.rule, order="none") == "⌊(n + 2p - k)/s⌋ + 1"
    assert plain.expr(window.rule, window.values(5), order="none") == "⌊(5 + 2·0 - 3)/1⌋ + 1"


def test_one_output_size_rule_and_one_printer_in_the_source():
    """The layers, the derivation and the views compute and print no output size of their own."""
    sources = [ROOT / "explain" / "layers" / f for f in ("conv.py", "pooling.py", "torch_conv.py",
                                                          "torch_pool.py", "recurrent.py", "_spatial.py",
                                                          "torch_resample.py", "audio.py")]
    sources += [ROOT / "explain" / "derivation" / "shapes.py", ROOT / "explain" / "render" / "view.py",
                ROOT / "explain" / "checker" / "report.py"]
    for path in sources:
        text = Path(path).read_text("utf-8")
        for token in ("floor(", "ceiling(", "lfloor", "lceil", "// s", "except Exception"):
            assert token not in text, f"{path.name} has {token!r}"


def test_numbers_are_put_into_each_rule_without_sympy_and_agree_with_it():
    """Shape inference over numbers runs each rule as Python int arithmetic built once per rule;
    it gives what sympy gives for the same rule and numbers (a zero stride is left to sympy)."""
    from explain.shapes import K_EFF, RULES, _evaluate, _integer_rule
    for kind, rule in [*RULES.items(), ("k_eff", K_EFF)]:
        assert _integer_rule(rule) is not None, kind
        names = sorted(x.name for x in rule.free_symbols)
        for i in range(200):
            values = {name: (i * 7 + 3 * j) % (6 if name.startswith("p") else 9) + (0 if name.startswith("p") else 1)
                      for j, name in enumerate(names)}
            by_sympy = rule.xreplace({sym(name): sympy.Integer(v) for name, v in values.items()}).doit()
            assert by_sympy.is_Integer, (kind, values, by_sympy)
            assert _evaluate(rule, values) == int(by_sympy), (kind, values)
    assert isinstance(_evaluate(RULES["floor"], {"n": 7, "p": 0, "k_eff": 3, "s": 0}), sympy.Basic)
