"""Bad spec files: exit status 2 and exactly one line on stderr that names the file, the layer
(where there is one) and the problem; never a traceback, never output on stdout."""
from __future__ import annotations

import subprocess
import sys

import pytest

from explain.cli import main
from tests.conftest import ROOT

# file name → (content, the layer as the message names it or None, what the message must say)
CASES = {
    "unknown_layer.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 4}\n  - Dnese: {units: 2}\n",
                           "#2 (Dnese)", "unknown layer type 'Dnese' for keras. Did you mean 'Dense'?"),
    "unknown_layer_case.yaml": ("input: [8, 3]\nlayers:\n  - conv1d: {filters: 4, kernel_size: 3}\n",
                                "#1 (conv1d)", "Did you mean 'Conv1D'?"),
    "torch_name_in_keras.yaml": ("input: [8]\nlayers:\n  - Linear: {in_features: 8, out_features: 4}\n",
                                 "#1 (Linear)", "set 'framework: pytorch'"),
    "unknown_argument.yaml": ("input: [8]\nlayers:\n  - Dense: {unit: 4}\n",
                              "#1 (Dense)", "Dense has no argument 'unit'. Did you mean 'units'?"),
    "unknown_argument_named.yaml": ("input: [8, 8, 3]\nlayers:\n  - Conv2D: {name: c1, filters: 4, kernel_size: 3, "
                                    "stride: 2}\n", "c1", "no argument 'stride'. Did you mean 'strides'?"),
    "unknown_argument_wrapped.yaml": ("input: [5, 8]\nlayers:\n  - TimeDistributed: {layer: {Dense: {unitz: 3}}}\n",
                                      "#1 (TimeDistributed)", "Dense has no argument 'unitz'"),
    "text_for_a_number.yaml": ("input: [8]\nlayers:\n  - Dense: {units: four}\n",
                               "#1 (Dense)", "'four' is not a declared symbol"),
    "fraction.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 3.5}\n",
                      "#1 (Dense)", "'units' must be a whole number. Received: units=3.5"),
    "boolean_for_a_number.yaml": ("input: [8]\nlayers:\n  - Dense: {units: true}\n",
                                  "#1 (Dense)", "Received: units=True"),
    "text_for_a_flag.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 3, use_bias: maybe}\n",
                             "#1 (Dense)", "'use_bias' must be true or false. Received: use_bias='maybe'"),
    "number_for_a_choice.yaml": ("input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: 4, kernel_size: 3, padding: 1}\n",
                                 "#1 (Conv2D)", "'padding' must be one of 'valid', 'same'. Received: padding=1"),
    "kernel_of_wrong_rank.yaml": ("input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: 4, kernel_size: [3, 3, 3]}\n",
                                  "#1 (Conv2D)", "'kernel_size' must be one number or a list of 2"),
    "zero_input_size.yaml": ("input: [0, 3]\nlayers:\n  - Dense: {units: 4}\n",
                             None, "input 'input' has a size that is not positive. Received: [0, 3]"),
    "negative_input_size.yaml": ("input: [-4]\nlayers:\n  - Dense: {units: 4}\n", None, "not positive"),
    "negative_filters.yaml": ("input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: -2, kernel_size: 3}\n",
                              "#1 (Conv2D)", "'filters' must be positive. Received: filters=-2"),
    "zero_kernel.yaml": ("input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: 2, kernel_size: 0}\n",
                         "#1 (Conv2D)", "'kernel_size' must be positive"),
    "zero_units.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 0}\n", "#1 (Dense)", "'units' must be positive"),
    "negative_padding.yaml": ("input: [8, 3]\nlayers:\n  - ZeroPadding1D: {padding: [1, -2]}\n",
                              "#1 (ZeroPadding1D)", "'padding' must be zero or positive"),
    "kernel_larger_than_input.yaml": (
        "input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: 2, kernel_size: 3}\n  - Conv2D: {filters: 2, kernel_size: 7, "
        "name: big}\n", "big", "the kernel of size 7 does not fit the input of size 6 on axis 1"),
    "dilated_kernel_larger_than_input.yaml": (
        "input: [6, 3]\nlayers:\n  - Conv1D: {filters: 2, kernel_size: 3, dilation_rate: 3}\n",
        "conv1d", "the kernel of size 7 (kernel_size 3 with dilation_rate 3) does not fit the input of size 6"),
    "symbolic_kernel_larger_than_input.yaml": (
        "symbols: {H: 4}\ninput: [H, H, 3]\nlayers:\n  - Conv2D: {filters: 2, kernel_size: 5}\n",
        "conv2d", "does not fit the input of size 4 on axis 1; the output would have size 0"),
    "pool_larger_than_input.yaml": ("input: [3, 3, 1]\nlayers:\n  - MaxPooling2D: {pool_size: 4}\n",
                                    "max_pooling2d", "the pool window of size 4 does not fit the input of size 3"),
    "crop_everything.yaml": ("input: [4, 6, 3]\nlayers:\n  - Cropping2D: {cropping: [[2, 2], [0, 0]]}\n",
                             "cropping2d", "cropping 2 + 2 from axis 1 of size 4 leaves nothing"),
    "groups.yaml": ("input: [8, 8, 4]\nlayers:\n  - Conv2D: {filters: 6, kernel_size: 3, groups: 4}\n",
                    "#1 (Conv2D)", "'filters' must be divisible by 'groups'. Received: filters=6, groups=4"),
    "unknown_reference.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 4}\n  - Dense: {units: 2, inputs: dense_7}\n",
                               "dense_1", "input 'dense_7' is not a model input or an earlier layer. "
                                          "Did you mean 'dense'?"),
    "self_reference.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 4, name: a, inputs: a}\n",
                            "a", "takes its own output as input (a cycle)"),
    "forward_reference.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 4, name: a, inputs: b}\n"
                               "  - Dense: {units: 4, name: b, inputs: a}\n",
                               "a", "takes the output of 'b', which comes later in 'layers'"),
    "several_inputs_none_named.yaml": ("inputs: {a: [8], b: [8]}\nlayers:\n  - Dense: {units: 4}\n",
                                       "dense", "the model has several inputs (a, b): say which this layer takes"),
    "empty_name.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 4, name: ''}\n",
                        "#1 (Dense)", "'name' must be text. Received: name=''"),
    "duplicate_name.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 4, name: a}\n  - Dense: {units: 4, name: a}\n",
                            "a", "the name 'a' is used twice"),
    "empty.yaml": ("", None, "is empty"),
    "only_a_comment.yaml": ("# nothing here\n", None, "is empty"),
    "malformed.yaml": ("input: [8\nlayers:\n  - Dense: {units: 4}\n", None, "is not valid YAML at line 2"),
    "malformed.json": ('{"input": [8], "layers": [\n', None, "is not valid JSON at line 2"),
    "a_list.yaml": ("- Dense: {units: 4}\n", None, "must be a mapping with 'input'"),
    "layer_is_text.yaml": ("input: [8]\nlayers:\n  - Dense\n", "#1", "each layer must be a one-key mapping"),
    "layer_has_two_keys.yaml": ("input: [8]\nlayers:\n  - {Dense: {units: 4}, Dropout: {rate: 0.1}}\n",
                                "#1", "each layer must be a one-key mapping"),
    "arguments_are_a_list.yaml": ("input: [8]\nlayers:\n  - Dense: [4]\n",
                                  "#1 (Dense)", "the arguments of Dense must be a mapping. Received: [4]"),
    "layers_not_a_list.yaml": ("input: [8]\nlayers: {Dense: {units: 4}}\n", None, "'layers' must be a non-empty list"),
    "no_layers.yaml": ("input: [8]\n", None, "'layers' must be a non-empty list"),
    "no_input.yaml": ("layers:\n  - Dense: {units: 4}\n", None, "give either 'input'"),
    "unknown_top_level_key.yaml": ("input: [8]\nlayer:\n  - Dense: {units: 4}\n", None,
                                   "unknown top-level key 'layer'"),
    "undeclared_symbol.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 4*d}\n",
                               "#1 (Dense)", "'d' is not a declared symbol (declared: none)"),
    "not_a_whole_number.yaml": ("symbols: {d: 10}\ninput: [8]\nlayers:\n  - Dense: {units: d/3}\n",
                                "#1 (Dense)", "'units' must be a whole number, but d/3 = 10/3 with d = 10"),
    "negative_symbol.yaml": ("symbols: {d: -3}\ninput: [8]\nlayers:\n  - Dense: {units: d}\n",
                             None, "symbol 'd' needs a positive whole number"),
    "code_in_a_size.yaml": ("input: [8]\nlayers:\n  - Dense: {units: \"__import__('os').getpid()\"}\n",
                            "#1 (Dense)", "only whole numbers, declared symbols"),
    "huge_exponent.yaml": ("input: [8]\nlayers:\n  - Dense: {units: 2**100000}\n",
                           "#1 (Dense)", "exponents must be whole numbers from 0 to 64"),
    "reshape_mismatch.yaml": ("input: [8]\nlayers:\n  - Reshape: {target_shape: [3, -1]}\n",
                              "reshape", "cannot reshape (8,) (8 elements) to (3, -1): 8 is not a multiple of 3"),
    "symbolic_reshape_not_whole.yaml": ("symbols: {H: 5}\ninput: [H, 3]\nlayers:\n  - Reshape: {target_shape: [-1, 2]}\n",
                                        "reshape", "15 is not a multiple of 2, the product of the other sizes (at H = 5)"),
    "wrong_input_rank.yaml": ("input: [8]\nlayers:\n  - Conv2D: {filters: 2, kernel_size: 1}\n",
                              "conv2d", "Conv2D expects an input of rank 3"),
    "yaml_alias.yaml": ("input: &a [8]\nlayers:\n  - Dense: {units: 4}\n  - Reshape: {target_shape: *a}\n",
                        None, "YAML aliases"),
}


@pytest.mark.parametrize("file_name", list(CASES))
def test_bad_spec_exits_2_with_one_line(file_name, tmp_path, capsys, monkeypatch):
    content, layer, problem = CASES[file_name]
    monkeypatch.chdir(tmp_path)
    (tmp_path / file_name).write_text(content, encoding="utf-8")
    status = main(["derive", file_name, "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith(f"explain: {file_name}: "), line
    if layer is not None:
        assert f"layer '{layer}': " in line, line
    assert problem in line, line
    assert "Traceback" not in err


def test_binary_and_missing_files(tmp_path, capsys):
    (tmp_path / "model.yaml").write_bytes(b"\x00\x01\x02\xff")
    assert main(["derive", str(tmp_path / "model.yaml")]) == 2
    assert "is a binary file" in capsys.readouterr().err
    assert main(["derive", str(tmp_path / "absent.yaml")]) == 2
    assert "absent.yaml: no such file" in capsys.readouterr().err
    assert main(["derive", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


@pytest.mark.parametrize("file_name", ["kernel_larger_than_input.yaml", "malformed.yaml", "forward_reference.yaml"])
def test_bad_spec_as_a_process(file_name, tmp_path):
    """The same through ``python -m explain``: one stderr line, exit status 2, no traceback."""
    content, layer, problem = CASES[file_name]
    path = tmp_path / file_name
    path.write_text(content, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "explain", "derive", str(path), "--format", "json"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert str(path) in result.stderr and problem in result.stderr
