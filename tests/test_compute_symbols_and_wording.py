"""The seed CNN's compute section: the convolution's MAC sentence and the max pooling's
comparison remark name the layer's own symbols, true for every spatial rank and for grouped
convolutions; the compute, memory and exercise wording of the native reviewers."""
from __future__ import annotations

import pytest
import torch

import explain
from explain.render import render
from tests.render_helpers import compute_layers

COUNT = ("params", "compute")


def _compute(spec: dict) -> str:
    return compute_layers(render(explain.load(spec), lang="en", format="markdown", count=COUNT))


@pytest.mark.parametrize("rank,layer,window", [
    (1, "MaxPooling1D", "k"),
    (2, "MaxPooling2D", "k_{h} \\cdot k_{w}"),
    (3, "MaxPooling3D", "k_{d} \\cdot k_{h} \\cdot k_{w}"),
])
def test_max_pooling_remark_names_its_own_window(rank, layer, window):
    """A window of k_h·k_w values (k for 1-D, k_d·k_h·k_w for 3-D) has its maximum after one
    comparison fewer than it has values: here by hand, 3 values need 2 comparisons."""
    values = [4.0, 7.0, 1.0]
    best, comparisons = values[0], 0
    for v in values[1:]:
        best, comparisons = max(best, v), comparisons + 1
    assert (best, comparisons) == (7.0, len(values) - 1)
    shape = [6] * rank + [2]
    text = _compute({"name": "p", "input": shape, "layers": [{layer: {"pool_size": 3}}]})
    assert (f"(strictly, the maximum of ${window}$ values needs ${window} - 1$ comparisons, one "
            "operation fewer per output element)") in text
    assert "a window's values" not in text


def test_convolution_says_macs_per_output_element_and_how_many_elements():
    """conv2d: each of the c_out·H_out·W_out output elements costs k_h·k_w·c_in MACs; PyTorch's
    convolution agrees: 3·3·3 = 27 products per output element of a 3 × 3 kernel on 3 channels."""
    conv = torch.nn.Conv2d(3, 4, 3, bias=False)
    x = torch.randn(1, 3, 5, 5)
    # one output element is the sum of 27 products: the window times the filter
    assert torch.allclose(conv(x)[0, 0, 0, 0], (x[0, :, :3, :3] * conv.weight[0]).sum(), atol=1e-5)
    assert conv.weight[0].numel() == 27
    text = _compute({"name": "c", "input": [5, 5, 3], "layers": [{"Conv2D": {"filters": 4, "kernel_size": 3}}]})
    assert ("So each output element costs $k_{h} \\cdot k_{w} \\cdot c_{\\text{in}}$ MACs, and the layer "
            "has $c_{\\text{out}} \\cdot H_{\\text{out}} \\cdot W_{\\text{out}}$ output elements.") in text


def test_grouped_and_1d_convolutions_say_their_own_formula():
    """A grouped convolution's output element sees c_in/g input channels (PyTorch: its weight has
    c_in/g = 2 input channels for c_in = 4, g = 2); a 1-D one has k positions and L_out outputs."""
    assert torch.nn.Conv1d(4, 6, 3, groups=2).weight.shape[1] == 4 // 2
    grouped = _compute({"name": "g", "input": [8, 4], "layers": [{"Conv1D": {"filters": 6, "kernel_size": 3, "groups": 2}}]})
    assert "of its group. So each output element costs $\\frac{k \\cdot c_{\\text{in}}}{g}$ MACs" in grouped
    assert "the layer has $c_{\\text{out}} \\cdot L_{\\text{out}}$ output elements." in grouped


@pytest.mark.parametrize("lang,present,absent", [
    # es: MAC is feminine (multiplicación-acumulación) and O has one name, «otras operaciones»
    ("es", "Las MAC siguen la misma fórmula que en la capa 14 (`dense_1`), pero las otras operaciones $O$ no:",
     "Los MAC siguen"),
    ("es", "son las otras operaciones $O$, 11.704.996 en este modelo", "demás operaciones"),
    ("es", "Durante el entrenamiento genera una máscara aleatoria", "En el entrenamiento genera"),
    # ja: the sum is named before it is added to
    ("ja", "（指数関数の計算、総和への加算、総和による除算）", "その和への加算"),
    # de: the section estimates what a training step occupies, not "the memory training needs"
    ("de", "schätzt, wie viel Speicher ein Trainingsschritt belegt.", "den Speicher, den das Training braucht"),
    # M = 16·P is said where every parameter is trainable: P counts the trainable ones
    ("en", "the model states of the $P$ trainable parameters take $M_{\\text{states}}$ bytes:", "of the $P$ parameters take"),
    ("de", "wobei $P$ die Anzahl der trainierbaren Parameter ist:", "die Anzahl der Parameter ist:"),
    ("es", "donde $P$ es el número de parámetros entrenables:", "es el número de parámetros:"),
    ("ja", "学習可能なパラメータの数を $P$ とすると", "、パラメータ数を $P$ とすると"),
])
def test_compute_and_memory_wording(lang, present, absent, seed_compute_md):
    text = seed_compute_md(lang)
    assert present in text and absent not in text


@pytest.mark.parametrize("lang,present,absent", [
    ("en", "Show your work for each number: your work is graded, not just the result.", "Show your working"),
    ("en", "## Your work\n", "## Working\n"),
    ("es", "# Ejercicio: número de parámetros del modelo `lenet5`", "Ejercicio: los parámetros"),
    ("es", "Los argumentos no indicados toman su valor por defecto en Keras:", "valor predeterminado"),
    ("de", "Schreiben Sie jede Ausgabeform wie die Eingabeform oben, also einen Vektor der Länge $n$ als `(n,)`.",
     "so wie die Eingabeform oben"),
])
def test_exercise_wording(lang, present, absent):
    from explain.exercise import read_spec
    from explain.exercise.sheet import Assignment
    from explain.exercise.variants import make_variant
    from explain.render import render_document
    v = make_variant(read_spec("example:lenet5"))
    md = render_document("exercise", Assignment(v, None, ("shapes", "params"), "table"), lang=lang)
    assert present in md and absent not in md
