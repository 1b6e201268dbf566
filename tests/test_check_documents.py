"""`explain check DOCUMENT`: hand calculations where they are written (issue 14).

The documents in tests/fixtures/documents were written for these tests (the seed article is the
project's own, copied unchanged). Every true count here comes from Keras 3 building the same code
in the test (or, for the seed article, the Keras summary the article itself prints); every wrong
claim in the documents is a hand derivation of the mistake it shows.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, ROOT, require_module, require_tool
from tests.test_check_worksheets import run, run_process

DOCS = FIXTURES / "documents"
SEED = DOCS / "seed-article-de.txt"


# ----------------------------------------------------------------------------- the seed article

def seed_summary() -> dict[str, int]:
    """The parameter column of the Keras 2 summary printed in the article itself."""
    rows = {}
    for line in SEED.read_text("utf-8").splitlines():
        m = re.match(r"^(\w+) \(\w+\)\s+\(None[^)]*\)\s+(\d+)\s*$", line)
        if m:
            rows[m.group(1)] = int(m.group(2))
    return rows


def test_seed_article_as_it_is():
    result = run_process(str(SEED), "--format", "json")
    assert result.returncode == 1, result.stderr
    claims = json.loads(result.stdout)["claims"]
    printed = seed_summary()
    # the article's calculations, in its order, each with the layer it is about (by hand):
    # 3-1 conv2d_1 and conv2d_2, 3-2 the flattened vector, 3-3 dense_1, then dense_2 and dense_3
    # on one line; the two printed summaries' totals
    per_layer = [(c["place"]["line"], c["layer"], c["kind"], c["verdict"], c["diagnosis"])
                 for c in claims if c["layer"] != "total"]
    assert per_layer == [
        (116, "conv2d_1", "params", "correct", []),
        (127, "conv2d_2", "params", "correct", []),
        (139, "flatten_1", "shape", "correct", []),
        (143, "dense_1", "params", "correct", []),
        (145, "dense_2", "params", "wrong_formula", ["bias_size"]),
        (145, "dense_3", "params", "correct", []),
    ]
    for c in claims:
        if c["layer"] != "total" and c["kind"] == "params":
            assert c["expected"] == printed[c["layer"]]
    assert printed["dense_2"] == 512 * 128 + 128
    totals = [(c["place"]["line"], c["kind"], c["verdict"], c["expected"]) for c in claims if c["layer"] == "total"]
    total = sum(printed.values())
    assert totals == [(100, "params", "correct", total), (101, "trainable", "correct", total),
                      (102, "non_trainable", "correct", 0), (190, "params", "correct", total),
                      (191, "trainable", "correct", total), (192, "non_trainable", "correct", 0)]
    assert total == 6029097
    flatten = next(c for c in claims if c["layer"] == "flatten_1")
    assert flatten["expected"] == 19 * 19 * 32
    assert {c["attribution"] for c in claims if c["layer"] in ("dense_2", "dense_3")} == {"same_line"}


def test_seed_article_annotated_marks_exactly_that_line(tmp_path):
    doc = tmp_path / "article.txt"
    shutil.copyfile(SEED, doc)
    before = doc.read_bytes()
    out = tmp_path / "article.checked.txt"
    result = run(str(doc), "--annotate", "--lang", "de")
    assert result.returncode == 1, result.stderr
    assert doc.read_bytes() == before
    original = before.decode("utf-8").splitlines(keepends=True)
    annotated = out.read_text("utf-8").splitlines(keepends=True)
    assert len(annotated) == len(original) + 1
    assert annotated[:145] == original[:145] and annotated[146:] == original[145:]
    assert "512 x 128 + 512 = 65664" in original[144]
    note = annotated[145]
    assert "explain" in note and "dense_2" in note and "128" in note


# ----------------------------------------------------------------------------- five formats

def keras_truth(code: str) -> dict:
    """Per-layer counts, output sizes and totals from Keras building the document's own code."""
    require_module("keras")
    import keras
    namespace: dict = {}
    code = code.replace("model.summary()", "").replace("from tensorflow import keras", "import keras")
    code = code.replace("tensorflow.keras", "keras")  # Keras 3 stands in for tf.keras
    exec(code, namespace)  # noqa: S102 — the fixture's own code, run by the test only
    model = namespace["model"]
    out = {"total": model.count_params(),
           "trainable": sum(int(w.numpy().size) for w in model.trainable_weights),
           "non_trainable": sum(int(w.numpy().size) for w in model.non_trainable_weights)}
    for layer in model.layers:
        size = 1
        for d in layer.output.shape[1:]:
            size *= d
        out[layer.name] = (layer.count_params(), size)
    keras.backend.clear_session()
    return out


def code_of(path) -> str:
    text = path.read_text("utf-8")
    if path.suffix == ".md":
        return re.search(r"```python\n(.*?)```", text, re.DOTALL).group(1)
    if path.suffix == ".tex":
        return re.search(r"\\begin\{verbatim\}\n(.*?)\\end\{verbatim\}", text, re.DOTALL).group(1)
    if path.suffix == ".ipynb":
        cell = next(c for c in json.loads(text)["cells"] if c["cell_type"] == "code")
        return "".join(cell["source"])
    return "\n".join(l for l in text.splitlines() if l.startswith(("from ", "model")))


# (document, source of its code, [(layer, kind, verdict, first diagnosis or None)])
DOCUMENTS = [
    ("lenet-en.md", "lenet-en.md", [
        ("conv1", "params", "correct", None),            # heading above
        ("conv2", "params", "correct", None),            # table row
        ("fc1", "params", "wrong", "bias_size"),         # 400·120 + 400
        ("fc2", "params", "wrong", "missing_bias"),      # 120·84
        ("flatten", "shape", "wrong", "flatten_size"),   # 6·6·16: pool2's output off by one
        ("pool2", "shape", "correct", None),             # (None, 5, 5, 16) in the prose
        ("out", "params", "arithmetic_slip", None),      # 84·10 + 10 = 860; by its factors
        ("total", "params", "correct", None),
    ]),
    ("cnn-fr.tex", "cnn-fr.tex", [
        ("conv1", "params", "correct", None),
        ("conv2", "params", "wrong", "missing_input_channels"),  # 3·3·32 + 32
        ("pool", "shape", "wrong", "output_off_by_one"),         # 13·13·32
        ("dense", "params", "arithmetic_slip", None),            # = 46 100
        ("total", "params", "correct", None),                    # 51 178
    ]),
    ("rnn-es.txt", "rnn-es.txt", [
        ("embedding", "params", "correct", None),
        ("lstm", "params", "wrong", "rnn_double_bias"),             # PyTorch's two biases
        ("lstm_1", "params", "wrong", "input_from_wrong_layer"),   # i = 32 (the embedding's)
        ("dense", "params", "correct", None),
        ("total", "params", "wrong", "carried_forward"),           # the sum of the lines above
    ]),
    ("mlp-ja.ipynb", "mlp-ja.ipynb", [
        ("dense", "params", "correct", None),                       # 1層目
        ("batch_normalization", "params", "wrong", "bn_non_trainable"),  # 2C
        ("dense_1", "params", "wrong", "missing_bias"),             # 3層目
        ("total", "non_trainable", "wrong", "bn_all_non_trainable"),  # 4C as non-trainable
        ("total", "params", "correct", None),                       # 合計
    ]),
    ("dense-de.pdf", "dense-de.tex", [
        ("hidden", "params", "correct", None),
        ("output", "params", "wrong", "bias_size"),                 # 64·3 + 64
        ("total", "params", "correct", None),                       # Insgesamt 1.539
    ]),
]


@pytest.mark.parametrize("name, source, expected", DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
def test_documents_in_five_formats(name, source, expected):
    if name.endswith(".pdf"):
        require_module("pypdf")
    truth = keras_truth(code_of(DOCS / source))
    result = run(str(DOCS / name), "--format", "json")
    assert result.returncode == 1, result.stderr
    claims = json.loads(result.stdout)["claims"]
    got = [(c["layer"], c["kind"], c["verdict"], (c["diagnosis"] or [None])[0]) for c in claims]
    assert got == expected
    for c in claims:
        if c["layer"] == "total":
            assert c["expected"] == truth["total" if c["kind"] == "params" else c["kind"]]
        else:
            params, size = truth[c["layer"]]
            assert c["expected"] == (size if c["kind"] == "shape" else params), c
        assert c["verdict"] != "correct" or c["claimed"].split("=")[-1].strip() == str(c["expected"]) \
            or "*" in c["claimed"]


def test_notebook_places_are_cell_and_line():
    claims = json.loads(run(str(DOCS / "mlp-ja.ipynb"), "--format", "json").stdout)["claims"]
    assert [c["place"] for c in claims] == [{"cell": 3, "line": 3}, {"cell": 3, "line": 5},
                                           {"cell": 3, "line": 7}, {"cell": 4, "line": 3},
                                           {"cell": 4, "line": 5}]


def test_pdf_places_are_page_and_line():
    require_module("pypdf")
    claims = json.loads(run(str(DOCS / "dense-de.pdf"), "--format", "json").stdout)["claims"]
    assert all(c["place"]["page"] == 1 for c in claims)


@pytest.mark.parametrize("lang, words", [("en", ("Line 32.", "table row")),
                                         ("de", ("Zeile 32.", "Tabellenzeile")),
                                         ("ja", ("32 行目。", "表の同じ行")),
                                         ("fr", ("Ligne 32.", "ligne du tableau")),
                                         ("es", ("Línea 32.", "fila de la tabla"))])
@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_document_report_in_every_language(lang, words, fmt):
    out = run(str(DOCS / "lenet-en.md"), "--format", fmt, "--lang", lang).stdout
    for w in words:
        assert w in out, (lang, fmt, w)


# ----------------------------------------------------------------------------- the model

def test_model_option_for_a_document_without_code(tmp_path):
    doc = tmp_path / "notes.md"
    doc.write_text("# Notes\n\nFor dense_2: 512 x 128 + 128 = 65,664.\n\nTotal params: 6,029,097\n")
    result = run(str(doc), "--model", "example:seed-cnn", "--format", "json")
    assert result.returncode == 0, result.stderr
    claims = json.loads(result.stdout)["claims"]
    assert [(c["layer"], c["verdict"]) for c in claims] == [("dense_2", "correct"), ("total", "correct")]
    result = run(str(doc))
    assert result.returncode == 2 and "--model" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_code_quoted_again_is_not_a_second_model(tmp_path):
    text = (DOCS / "lenet-en.md").read_text("utf-8")
    text += ("\n## fc1 once more\n\n```python\nmodel.add(layers.Dense(120, activation=\"tanh\", "
             "name=\"fc1\"))\n```\n\nfc1: 400 x 120 + 120 = 48,120\n")
    doc = tmp_path / "lenet.md"
    doc.write_text(text, "utf-8")
    import explain
    report = explain.check(doc)
    assert [n.name for n in report.model.nodes] == ["conv1", "pool1", "conv2", "pool2", "flatten",
                                                    "fc1", "fc2", "out"]
    assert report.claims[-1].layer == "fc1" and report.claims[-1].verdict == "correct"


def test_unattributed_calculations_are_reported_not_guessed(tmp_path):
    doc = tmp_path / "a.md"
    # conv2d_2 … conv2d_6 of the seed model all have 3·3·32·32 + 32 parameters
    doc.write_text("Another convolution: 3 x 3 x 32 x 32 + 32 = 9248\n")
    result = run(str(doc), "--model", "example:seed-cnn", "--format", "json")
    claim = json.loads(result.stdout)["claims"][0]
    assert claim["verdict"] == "unattributed" and claim["attribution"] == "ambiguous"
    assert claim["candidates"] == ["conv2d_2", "conv2d_3", "conv2d_4", "conv2d_5", "conv2d_6"]


# ----------------------------------------------------------------------------- --annotate

def _annotate(tmp_path, name: str, *extra: str):
    doc = tmp_path / name
    shutil.copyfile(DOCS / name, doc)
    before = doc.read_bytes()
    result = run(str(doc), "--annotate", *extra)
    assert result.returncode == 1, result.stderr
    assert doc.read_bytes() == before
    return before.decode("utf-8"), (tmp_path / f"{doc.stem}.checked{doc.suffix}").read_text("utf-8")


def test_annotated_markdown_renders(tmp_path):
    require_module("markdown_it")
    from markdown_it import MarkdownIt
    original, annotated = _annotate(tmp_path, "lenet-en.md")
    notes = [l for l in annotated.splitlines() if l.startswith("> **explain:**")]
    assert len(notes) == 4  # fc1, fc2 (one table: two notes after it), flatten, out
    md = MarkdownIt("commonmark").enable("table")
    html = md.render(annotated)
    assert html.count("<blockquote>") == 4 and "<table>" in html
    # without the inserted notes the document is byte for byte the original
    stripped = re.sub(r"\n> \*\*explain:\*\*[^\n]*\n", "", annotated)
    assert stripped == original
    assert md.render(stripped) == md.render(original)


@pytest.mark.parametrize("name", ["cnn-fr.tex"])
def test_annotated_latex_compiles(name, tmp_path):
    lualatex = require_tool("lualatex")
    original, annotated = _annotate(tmp_path, name, "--lang", "fr")
    notes = [l for l in annotated.splitlines() if l.startswith("\\marginpar")]
    assert len(notes) == 3
    assert re.sub(r"\\marginpar\{[^\n]*\}%\n", "", annotated) == original
    # the note for the table's row stands after the table, not inside it
    lines = annotated.splitlines()
    assert lines.index("\\end{table}") + 1 == next(i for i, l in enumerate(lines)
                                                    if l.startswith("\\marginpar") and "dense" in l)
    result = subprocess.run([lualatex, "-interaction=nonstopmode", "-halt-on-error",
                             f"{tmp_path / name.replace('.tex', '.checked.tex')}"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-2000:]
    require_module("pypdf")
    import pypdf
    text = "".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / name.replace(".tex", ".checked.pdf")).pages)
    assert "explain:" in text


def test_annotated_notebook(tmp_path):
    original, annotated = _annotate(tmp_path, "mlp-ja.ipynb", "--lang", "ja")
    before, after = json.loads(original), json.loads(annotated)
    kinds = [(c["cell_type"], c.get("id")) for c in after["cells"]]
    assert kinds == [("markdown", "c1"), ("code", "c2"), ("markdown", "c3"),
                     ("markdown", "explain-note-3"), ("markdown", "c4"), ("markdown", "explain-note-4")]
    note = "".join(after["cells"][3]["source"])
    assert note.startswith("> **explain:**") and note.count("> **explain:**") == 2
    after["cells"] = [c for c in after["cells"] if not c.get("id", "").startswith("explain-note")]
    assert after == before


def test_pdf_cannot_be_annotated(tmp_path):
    require_module("pypdf")
    result = run(str(DOCS / "dense-de.pdf"), "--annotate", str(tmp_path / "x.pdf"))
    assert result.returncode == 2 and "PDF" in result.stderr and not (tmp_path / "x.pdf").exists()


def test_annotate_never_writes_over_the_document(tmp_path):
    doc = tmp_path / "rnn.txt"
    shutil.copyfile(DOCS / "rnn-es.txt", doc)
    result = run(str(doc), "--annotate", str(doc))
    assert result.returncode == 2 and doc.read_bytes() == (DOCS / "rnn-es.txt").read_bytes()


# ----------------------------------------------------------------------------- bad documents

def _nested_notebook(depth: int) -> str:
    return '{"cells": [' + "[" * depth + "]" * depth + "]}"


@pytest.mark.parametrize("name, content, needle", [
    ("binary.md", b"# x\n\x00\x01\x02" * 10, "binary"),
    ("huge.md", b"3 x 3 = 9\n" * (900 * 1024), "larger than"),
    ("deep.ipynb", _nested_notebook(5000).encode(), "nested"),
    ("broken.ipynb", b'{"cells": [', "not a notebook"),
    ("not-a-notebook.ipynb", b'{"metadata": {}}', "no 'cells'"),
    ("fake.pdf", b"this is not a PDF\n", "not a PDF"),
    ("torn.pdf", b"%PDF-1.7\n1 0 obj\n<<", "not a readable PDF"),
    ("needs-running.md", (b"```python\nimport keras\nmodel = keras.Sequential([keras.layers.Dense("
                          b"int(open('/etc/hostname').read()))])\n```\n\nTotal params: 5\n"), "line 3"),
])
def test_bad_documents_exit_2_with_one_line(name, content, needle, tmp_path):
    doc = tmp_path / name
    doc.write_bytes(content)
    result = run(str(doc))
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and str(doc) in lines[0], lines
    assert "Traceback" not in result.stderr


def test_scanned_pdf_is_out_of_scope(tmp_path):
    require_module("pypdf")
    import pypdf
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    doc = tmp_path / "scan.pdf"
    with open(doc, "wb") as f:
        writer.write(f)
    result = run(str(doc))
    assert result.returncode == 2 and "no text layer" in result.stderr and "scanned" in result.stderr


def test_nothing_in_a_document_is_executed(tmp_path):
    marker = tmp_path / "pwned"
    doc = tmp_path / "evil.md"
    doc.write_text(f"```python\nimport os\nos.system('touch {marker}')\nimport keras\n"
                   f"model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])\n```\n\n"
                   f"dense: 4 x 2 + 2 = 10\n")
    result = run(str(doc), "--format", "json")
    assert not marker.exists()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["claims"][0]["verdict"] == "correct"


def test_explain_check_runs_as_a_program_on_a_document():
    result = subprocess.run([sys.executable, "-m", "explain", "check", str(DOCS / "rnn-es.txt"),
                             "--lang", "es", "--format", "text"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120, check=False)
    assert result.returncode == 1 and "Línea 18." in result.stdout


# ----------------------------------------------------------------------------- PyTorch code

def torch_truth(code: str) -> dict:
    """Per-module parameter counts and the total from PyTorch building the document's code."""
    torch = require_module("torch")
    namespace: dict = {}
    exec(code.replace("out = model(", "_ = ("), namespace)  # noqa: S102 — the fixture's own code, run by the test only
    model = namespace["model"]
    out = {name: sum(p.numel() for p in m.parameters()) for name, m in model.named_modules() if name}
    out["total"] = sum(p.numel() for p in model.parameters())
    assert isinstance(model, torch.nn.Module)
    return out


def test_pytorch_module_code_in_a_document():
    truth = torch_truth(code_of(DOCS / "lenet-torch-en.md"))
    claims = json.loads(run(str(DOCS / "lenet-torch-en.md"), "--format", "json").stdout)["claims"]
    assert [(c["layer"], c["verdict"], (c["diagnosis"] or [None])[0]) for c in claims] == [
        ("conv1", "correct", None),
        ("conv2", "wrong", "bias_size"),        # + 6: the bias has c_out = 16 entries
        ("fc1", "wrong", "flatten_size"),       # 16·5·5: the 32 × 32 LeNet, not 28 × 28 (16·4·4)
        ("fc3", "correct", None),
        ("total", "correct", None),
    ]
    for c in claims:
        assert c["expected"] == truth[c["layer"]]


def test_pytorch_sequential_in_a_notebook(tmp_path):
    code = ("import torch\nfrom torch import nn\n\nmodel = nn.Sequential(\n    nn.Linear(20, 64),\n"
            "    nn.ReLU(),\n    nn.BatchNorm1d(64),\n    nn.Linear(64, 3),\n)\n")
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": code.splitlines(keepends=True)},
                    {"cell_type": "markdown", "metadata": {},
                     "source": ["Layer 0: 20 x 64 + 64 = 1344\n", "\n",
                                "Layer 2 (BatchNorm1d): 4 x 64 = 256\n", "\n",
                                "Total: 1344 + 128 + 195 = 1667 parameters\n"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    doc = tmp_path / "torch.ipynb"
    doc.write_text(json.dumps(nb))
    truth = torch_truth(code)
    claims = json.loads(run(str(doc), "--format", "json").stdout)["claims"]
    # PyTorch names a Sequential's modules 0, 1, 2, 3: "Layer 2" is model[2], the BatchNorm1d
    assert [(c["layer"], c["verdict"], (c["diagnosis"] or [None])[0]) for c in claims] == [
        ("0", "correct", None),
        ("2", "wrong", "bn_non_trainable"),      # running statistics are buffers, not parameters
        ("total", "correct", None),
    ]
    assert [c["expected"] for c in claims] == [truth["0"], truth["2"], truth["total"]]


def test_pytorch_class_in_plain_text(tmp_path):
    code = ("import torch\nimport torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self, hidden=5):\n"
            "        super().__init__()\n        self.fc1 = nn.Linear(10, hidden)\n\n"
            "        self.fc2 = nn.Linear(hidden, 2)\n\n    def forward(self, x):\n"
            "        return self.fc2(torch.relu(self.fc1(x)))\n\nmodel = Net(hidden=8)\n")
    doc = tmp_path / "hw.txt"
    doc.write_text("PyTorch exercise\n\n" + code + "\nfc1: 10 x 8 + 8 = 88\nfc2: 8 x 2 = 16\n")
    truth = torch_truth(code)
    claims = json.loads(run(str(doc), "--format", "json").stdout)["claims"]
    assert [(c["layer"], c["verdict"], c["diagnosis"]) for c in claims] == [
        ("fc1", "correct", []), ("fc2", "wrong", ["missing_bias"])]
    assert [c["expected"] for c in claims] == [truth["fc1"], truth["fc2"]]


@pytest.mark.parametrize("line, value, kind", [
    ("Die LSTM-Schicht: 4 × (128 × (64 + 128) + 128) = 98.816 Parameter", 98816, "params"),
    ("C1 : (5·5·1 + 1)·6 = 156 paramètres", 156, "params"),
    ("$5 \\times 5 \\times 6 \\times 16 + 16 = 2416$", 2416, "params"),
    ("Au total 1\u202f234\u202f567 paramètres", 1234567, "total"),
    ("パラメータの合計 6,029,097", 6029097, "total"),
    ("全結合層：１２８×１０＋１０＝１２９０", 1290, "params"),
    ("En total, 6.029.097 parámetros", 6029097, "total"),
    ("| dense_1 | 11552 x 512 + 512 | = 5,915,136 |", None, None),   # the result in another cell
    ("Total params: 6,029,097 (23.00 MB)", 6029097, "total"),
    ("so flatten gives 19 x 19 x 32 = 11552", 11552, "product"),  # decided by the layer
    ("Shape: 19 x 19 x 32 = 11552", 11552, "shape"),
])
def test_calculations_in_five_languages_number_formats(line, value, kind, tmp_path):
    from explain.checker.documents.find import find_claims
    from explain.checker.documents.read import read_document
    doc = tmp_path / "d.md"
    doc.write_text(line + "\n", "utf-8")
    found = find_claims(read_document(str(doc)))
    if value is None:
        assert found == []
        return
    assert len(found) == 1
    assert found[0].work.result_value == value and found[0].kind == kind


# ----------------------------------------------------------------------------- by the class

def test_lstm_and_gru_in_prose_mean_the_classes_with_four_and_three_gates(tmp_path):
    code = ("import keras\nfrom keras import layers\n\nmodel = keras.Sequential([keras.Input(shape=(5, 3)),\n"
            "    layers.LSTM(4, return_sequences=True, name=\"encoder\"), layers.GRU(2, name=\"decoder\"),\n"
            "    layers.Dense(1, name=\"head\")])\n")
    doc = tmp_path / "rnn.md"
    # LSTM: 4 gates · h(i + h) + 4h with h = 4, i = 3; GRU (reset_after): 3h(i + h) + 6h, h = 2, i = 4
    doc.write_text(f"```python\n{code}```\n\nThe LSTM: 4 × (4 × (3 + 4) + 4) = 128\n\n"
                   f"The GRU: 3 × 2 × (4 + 2) + 6 × 2 = 48\n")
    truth = keras_truth(code)
    claims = json.loads(run(str(doc), "--format", "json").stdout)["claims"]
    assert [c["layer"] for c in claims] == ["encoder", "decoder"]  # no name in the text: by the class
    assert [truth[c["layer"]][0] for c in claims] == [c["expected"] for c in claims] == [128, 48]
    assert [c["verdict"] for c in claims] == ["correct", "correct"]


def test_pdf_text_past_the_budget_is_refused(monkeypatch):
    require_module("pypdf")
    from explain.checker.documents import read
    from explain.errors import ExplainError
    assert read.read_document(str(DOCS / "dense-de.pdf")).lines
    monkeypatch.setattr(read, "MAX_PDF_CHARS", 20)
    with pytest.raises(ExplainError) as e:
        read.read_document(str(DOCS / "dense-de.pdf"))
    assert "more than 20 characters" in str(e.value) and "\n" not in str(e.value)


def test_annotate_writes_back_the_bytes_it_read_not_the_file_again(tmp_path):
    from explain.checker import check_any
    from explain.checker.documents.annotate import write_annotated
    doc = tmp_path / "rnn.txt"
    shutil.copyfile(DOCS / "rnn-es.txt", doc)
    report = check_any(str(doc), annotate=True)
    doc.write_text("replaced after reading\n")
    out = write_annotated(report, str(tmp_path / "out.txt"))
    original = (DOCS / "rnn-es.txt").read_text("utf-8")
    annotated = out.read_text("utf-8")
    assert "replaced" not in annotated and all(line in annotated for line in original.splitlines())
