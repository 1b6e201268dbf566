"""The command line on the seed article's model: exact figures from the article's Keras summary."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import FIXTURES, ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explain", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_seed_cnn_json_matches_the_article_summary():
    expected = json.loads((FIXTURES / "specs" / "seed_cnn.expected.json").read_text())
    result = run("derive", "example:seed-cnn", "--format", "json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["total"] == 6029097 == expected["total"]
    assert (got["trainable"], got["non_trainable"]) == (6029097, 0)
    assert [(l["name"], l["type"], l["output_shape"], l["params"]) for l in got["layers"]] == \
        [(l["name"], l["type"], l["output_shape"], l["params"]) for l in expected["layers"]]
    assert got["layers"][0]["weights"] == {"kernel": 3 * 3 * 3 * 32, "bias": 32}


def test_unknown_layer_is_one_line_with_a_suggestion(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: [8]\nlayers:\n  - Dense: {units: 4}\n  - Dnse: {units: 2}\n")
    result = run("derive", str(spec), "--format", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(spec) in lines[0] and "#2 (Dnse)" in lines[0] and "Did you mean 'Dense'?" in lines[0]


# ----------------------------------------------------------------------------- in-process checks

import re  # noqa: E402

import pytest  # noqa: E402

from explain import load  # noqa: E402
from explain.cli import main  # noqa: E402
from explain.render import render  # noqa: E402
from explain.render.i18n import translate  # noqa: E402
from tests.conftest import require_module  # noqa: E402


def _keras_summary(model) -> list[str]:
    lines: list[str] = []
    model.summary(print_fn=lambda text, line_break=True: lines.extend(text.splitlines()))
    return lines


def test_text_table_has_the_numbers_of_keras_summary(capsys):
    """``--format text`` against the real ``model.summary()`` of the same model: the Param #
    column, in order, and the three total lines with their memory sizes."""
    require_module("torch")
    keras = require_module("keras")
    keras.backend.clear_session()
    layers = keras.layers
    real = keras.Sequential([keras.Input((784,)), layers.Dense(256, use_bias=False), layers.BatchNormalization(),
                             layers.Activation("relu"), layers.Dropout(0.2), layers.Dense(10)], name="mlp_bn")
    summary = _keras_summary(real)
    assert main(["derive", str(FIXTURES / "specs" / "mlp_bn.yaml"), "--format", "text"]) == 0
    ours = capsys.readouterr().out.splitlines()

    def keras_params(lines):
        cells = [line.split("│")[3].strip() for line in lines if line.startswith("│")]
        return [c for c in cells if c]

    assert [line.split()[-1] for line in ours if re.match(r"^\w+ \(\w+\)", line) and not line.startswith("Layer (type)")] == keras_params(summary)
    totals = [line.strip() for line in summary if "params:" in line]
    assert totals == ["Total params: 204,298 (798.04 KB)", "Trainable params: 203,786 (796.04 KB)",
                      "Non-trainable params: 512 (2.00 KB)"]
    assert [line.strip() for line in ours if "params:" in line] == totals


def test_text_in_german_and_output_file(tmp_path, capsys):
    target = tmp_path / "out.txt"
    assert main(["derive", "example:seed-cnn", "--format", "text", "--lang", "de", "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    text = target.read_text(encoding="utf-8")
    # the words from the German catalog, the numbers in German digits
    total = translate("de", "Total params: %(count)s (%(memory)s)")
    assert total != "Total params: %(count)s (%(memory)s)" and "Total params" not in text
    assert total % {"count": "6.029.097", "memory": "23,00 MB"} in text
    header = [translate("de", h) for h in ("Layer (type)", "Output Shape", "Param #")]
    assert re.search(r"\s+".join(map(re.escape, header)), text)
    assert re.search(r"dense_2 \(Dense\)\s+\(None, 128\)\s+65\.664", text)


def test_text_memory_takes_the_models_dtype():
    """A float16 model's summary: Keras's own ``model.summary()`` of the same model with float16
    weights gives the memory sizes (2 bytes a weight)."""
    require_module("torch")
    keras = require_module("keras")
    keras.backend.clear_session()
    layers = keras.layers
    half = {"dtype": "float16"}
    real = keras.Sequential([keras.Input((784,)), layers.Dense(256, use_bias=False, **half),
                             layers.BatchNormalization(**half), layers.Activation("relu", **half),
                             layers.Dropout(0.2, **half), layers.Dense(10, **half)], name="mlp_bn")
    totals = [line.strip() for line in _keras_summary(real) if "params:" in line]
    model = load(FIXTURES / "specs" / "mlp_bn.yaml")
    model.dtype = "float16"
    ours = render(model, format="text")
    assert [line.strip() for line in ours.splitlines() if "params:" in line] == totals


def test_json_integers_stay_exact(tmp_path, capsys):
    spec = tmp_path / "wide.yaml"
    spec.write_text("input: [3]\nlayers:\n  - Dense: {units: 100000000000000000000001}\n", encoding="utf-8")
    assert main(["derive", str(spec), "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["total"] == 4 * 100000000000000000000001
    assert got["total_formula"] == str(4 * 100000000000000000000001)
    assert got["layers"][0]["weights"] == {"kernel": 3 * 100000000000000000000001, "bias": 100000000000000000000001}


@pytest.mark.parametrize("argv, problem", [
    ([], "the following arguments are required: command"),
    (["derive"], "the following arguments are required: MODEL"),
    (["derive", "example:seed-cnn", "--format", "pdf"], "invalid choice: 'pdf'"),
    (["derive", "example:seed-cnn", "--lang", "xx"], "invalid choice: 'xx'"),
    (["derive", "example:seed-cnn", "--set", "F"], "--set takes NAME=VALUE"),
    (["derive", "example:cnn-symbolic", "--set", "F=0"], "--set takes NAME=VALUE with a positive whole number"),
    (["derive", "example:nope"], "no bundled example 'nope'"),
])
def test_usage_errors_are_one_line(argv, problem, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and problem in err, err


def test_a_command_builds_only_its_own_parser_and_parses_as_the_whole_one(capsys):
    """``explain derive …`` adds only derive's sub-parser (argparse searches for its translations
    per parser made); the arguments and the help it gives are the whole parser's."""
    from explain.cli import _COMMANDS, _parser
    def commands(parser):
        return list(parser._subparsers._group_actions[0].choices)
    assert commands(_parser()) == ["derive", "draw", "check", "exercise", "layers"]
    assert commands(_parser("derive")) == ["derive"]
    for argv in (["derive", "example:seed-cnn", "--lang", "ja", "--count", "params,memory", "-o", "x.md"],
                 ["draw", "m.json", "--format", "tikz", "--set", "T=3"], ["check", "w.md", "--annotate"],
                 ["exercise", "example:lenet5", "--out", "d", "--variants", "3"], ["layers", "--framework", "keras"]):
        assert vars(_parser(argv[0]).parse_args(argv)) == vars(_parser().parse_args(argv))
    for command in _COMMANDS:
        helps = []
        for parser in (_parser(command), _parser()):
            with pytest.raises(SystemExit):
                parser.parse_args([command, "--help"])
            helps.append(capsys.readouterr().out)
        assert helps[0] == helps[1] and helps[0].startswith(f"usage: explain {command} [-h]")


def test_every_bundled_example_derives(capsys):
    from explain.importers import examples
    for name in examples():
        assert main(["derive", f"example:{name}", "--format", "json"]) == 0, name
        assert json.loads(capsys.readouterr().out)["total"] > 0


# ----------------------------------------------------------------------------- start-up

CORE_FAMILIES = ("core", "conv", "pooling", "padding", "norm", "wrappers")


def test_layer_index_is_complete_and_right():
    """``_index.py`` names the right family for every registered type and lists them all (a name
    it lacks is looked up in the families' sources only, never by importing every family);
    ``python -m explain.layers.registry`` regenerates it."""
    from explain.layers._index import INDEX
    from explain.layers.registry import index
    assert INDEX == index(), "run: python -m explain.layers.registry"


def test_import_explain_leaves_sympy_until_a_model_is_asked_for():
    """``import explain`` (and so ``python -m explain`` before its run, which keeps the cycle
    collector off) imports no sympy; ``explain.Model``, ``Node`` and ``Weight`` import it."""
    script = ("import sys\nimport explain\nprint('sympy' in sys.modules)\n"
              "from explain import Model, Node, Weight\n"
              "print(Model.__module__, Node.__module__, Weight.__module__, 'sympy' in sys.modules)\n"
              "try:\n    explain.Nothing\nexcept AttributeError as e:\n    print(e)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["False", "explain.model explain.model explain.model True",
                                          "module 'explain' has no attribute 'Nothing'"]


def test_hf_family_index_is_complete_and_right():
    """``_hf_index.py`` names the module that registers every Hugging Face model_type's builder
    and lists them all; ``python -m explain.importers.hf_config`` regenerates it."""
    from explain.importers._hf_index import MODULES
    from explain.importers.hf_config import load_families
    assert MODULES == {t: fn.__module__.rsplit(".", 1)[-1] for t, fn in load_families().items()}, \
        "run: python -m explain.importers.hf_config"


_HF_FAMILY_MODULES = ("explain.importers.hf_decoders", "explain.importers.hf_encoders", "explain.importers.hf_moe",
                      "explain.importers.hf_multimodal", "explain.layers.hf_decoders", "explain.layers.hf_encoders",
                      "explain.layers.hf_moe", "explain.layers.hf_multimodal", "explain.layers.hf_mllama")


def _modules_after(config: dict, tmp_path, fmt: str, prefix: str) -> list[str]:
    """The names after ``prefix`` of the explain modules imported by ``explain derive`` of ``config`` in
    ``fmt`` (a fresh process)."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    script = ("import sys, io, contextlib\nfrom explain.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              f"    assert main(['derive', {str(path)!r}, '--format', {fmt!r}]) == 0\n"
              f"print(' '.join(sorted(m[len({prefix!r}):] for m in sys.modules if m.startswith({prefix!r}))))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def _hf_modules_after(config: dict, tmp_path) -> list[str]:
    """The Hugging Face family modules imported by ``explain derive`` of ``config``."""
    return ["explain." + m for m in _modules_after(config, tmp_path, "json", "explain.") if ".hf_" in m]


def test_a_llama_config_imports_only_its_family(tmp_path):
    """A config needs one family: reading a Llama config imports neither BERT's, T5's nor the
    other decoders', mixtures' or multimodal models' modules."""
    llama = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
             "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100}
    modules = _hf_modules_after(llama, tmp_path)
    assert "explain.importers.hf_config" in modules and "explain.layers.hf_blocks" in modules
    assert set(modules) & set(_HF_FAMILY_MODULES) == set(), modules


def test_a_family_in_a_module_of_its_own_is_imported_when_asked_for(tmp_path):
    """GPT-NeoX's builder lives in ``importers/hf_decoders.py``: found through the index, without
    the encoders', mixtures' or multimodal models' modules."""
    neox = {"architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox", "hidden_size": 64,
            "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100}
    modules = _hf_modules_after(neox, tmp_path)
    assert "explain.importers.hf_decoders" in modules
    assert "explain.importers.hf_encoders" not in modules and "explain.importers.hf_multimodal" not in modules


def test_a_torch_model_of_the_users_own_classes_imports_only_what_it_uses():
    """Asking for the user's classes (ResNet's blocks) and torch containers finds nothing without
    importing every family (the Hugging Face blocks take a second to import)."""
    script = ("import sys, torch\nimport explain\n"
              "class Block(torch.nn.Module):\n"
              "    def __init__(self):\n        super().__init__(); self.conv = torch.nn.Conv2d(3, 4, 3)\n"
              "    def forward(self, x):\n        return torch.relu(self.conv(x))\n"
              "m = explain.from_torch(torch.nn.Sequential(Block(), torch.nn.Flatten()), (3, 8, 8))\n"
              "print(m.total, ' '.join(sorted(k.rsplit('.', 1)[-1] for k in sys.modules if k.startswith('explain.layers.'))))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    total, *families = result.stdout.split()
    assert int(total) == 3 * 3 * 3 * 4 + 4
    assert not [f for f in families if f.startswith("hf_")] and len(families) < 16, families


def test_a_keras_cnn_imports_only_the_families_it_uses(tmp_path):
    script = ("import sys, io, contextlib\nfrom explain.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n"
              "    assert main(['derive', 'example:lenet5', '--format', 'json']) == 0\n"
              "print(' '.join(sorted(m.rsplit('.', 1)[-1] for m in sys.modules if m.startswith('explain.layers.'))))\n"
              "print('keras' in sys.modules, 'torch' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    families, frameworks = result.stdout.splitlines()
    assert set(families.split()) == {"_index", "_spatial", "_texts", "base", "registry", "conv", "core", "pooling"}
    assert frameworks == "False False"


def test_a_llama_config_in_markdown_imports_only_the_layer_families_it_uses(tmp_path):
    """A Llama config is embeddings, decoder blocks, an RMSNorm and a Linear head: neither the
    merge layers nor the declared (custom) layers nor Keras's normalizations are imported, nor
    Keras's embedding family (torch_core takes the symbols V and d from explain.symbols)."""
    llama = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
             "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100}
    imported = _modules_after(llama, tmp_path, "markdown", "explain.layers.")
    families = set(imported) - {"_index", "_norm", "_spatial", "_texts", "base", "registry"}
    assert families == {"hf_blocks", "torch_core", "torch_layer_norm"}, families


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be"])
def test_spec_files_with_a_byte_order_mark(encoding, tmp_path, capsys):
    """Windows editors and PowerShell's ``>`` write a BOM (PowerShell: UTF-16)."""
    path = tmp_path / "model.yaml"
    text = "input: [8]\nlayers:\n  - Dense: {units: 4}\n"
    path.write_bytes(("\ufeff" + text).encode(encoding.replace("-sig", "")) if encoding != "utf-16"
                     else text.encode("utf-16"))
    assert main(["derive", str(path), "--format", "json"]) == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["total"] == 8 * 4 + 4


def test_a_type_missing_from_the_index_is_found_by_its_family_source():
    """A layer type added without refreshing _index.py still loads without importing every family."""
    script = ("import sys\nimport explain.layers._index as ix\nix.INDEX['keras'].pop('Conv2D')\n"
              "from explain.layers.registry import lookup\nprint(lookup('Conv2D').__module__)\n"
              "print(sum(m.startswith('explain.layers.') for m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    module, count = result.stdout.split()
    assert module == "explain.layers.conv" and int(count) < 8


def test_a_huge_received_value_is_cut_to_a_readable_line(tmp_path, capsys):
    from explain.cli import main
    from explain.errors import MAX_MESSAGE

    spec = tmp_path / "long.yaml"
    spec.write_text("input: [8]\nlayers:\n  - Dense: {units: '" + "+".join(["h"] * 3000) + "'}\n")
    assert main(["derive", str(spec), "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "characters left out" in err
    assert len(err) < MAX_MESSAGE + 100
    assert err.startswith(f"explain: {spec}: layer '#1 (Dense)': 'units'")
