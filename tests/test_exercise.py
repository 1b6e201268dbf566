"""Exercise sheets (issue 15): variants, sheets without answers, solutions equal to the
derivation and to real Keras 3, answer forms graded with errors carried forward, a Moodle quiz.

Expected numbers come from Keras 3 (torch backend; each variant's layers built directly, on the
meta device, so 200 variants take seconds) or from hand derivations written below.
"""
from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import pytest

from explain.cli import main
from explain.exercise import assignments, exercise_files, read_spec
from explain.exercise.form import form_text
from explain.exercise.sheet import Assignment
from explain.exercise.spec_text import defaults
from explain.exercise.variants import draw, make_variant, variant_id, without_restated
from explain.render import render_document
from tests.conftest import FIXTURES, require_module

MODELS = {"example:seed-cnn": 35, "example:lenet5": 35, str(FIXTURES / "exercise" / "rnn.yaml"): 30,
          str(FIXTURES / "exercise" / "text.yaml"): 30}
"""Keras models and how many variants of each are checked against Keras."""
TORCH_MODELS = {str(FIXTURES / "exercise" / "torch_cnn.yaml"): 40, str(FIXTURES / "specs" / "torch_lstm.yaml"): 30}
"""PyTorch specs and how many variants of each are checked against PyTorch (200 variants in all)."""


@lru_cache(maxsize=None)
def variants(source: str, n: int, seed: int = 15) -> tuple:
    return tuple(draw(make_variant(read_spec(source)), n, seed))


# -- real Keras

@lru_cache(maxsize=None)
def _keras():
    require_module("torch")
    return require_module("keras")


def _keras_args(args: dict) -> dict:
    out = {}
    for k, v in args.items():
        out[k] = tuple(v) if isinstance(v, list) else v
    return out


def keras_rows(spec: dict) -> list[tuple[str, tuple, int]]:
    """(name, output shape without the batch axis, parameters) per layer, from Keras 3 layers
    built one after the other on the meta device (no weights are filled)."""
    keras = _keras()
    shape = (None, *spec["input"])
    rows = []
    with keras.device("meta"):
        for item in spec["layers"]:
            (type_name, args), = item.items()
            layer = getattr(keras.layers, type_name)(**_keras_args(args))
            layer.build(shape)
            shape = tuple(layer.compute_output_shape(shape))
            rows.append((layer.name, tuple(shape[1:]), layer.count_params()))
    return rows


def torch_rows(spec: dict) -> list[tuple[str, tuple, int]]:
    """(name, output shape without the batch axis, parameters) per layer, from torch.nn modules
    built and run one after the other on the meta device (an RNN's output is its first)."""
    torch = require_module("torch")
    rows = []
    with torch.device("meta"):
        x = torch.zeros((2, *spec["input"]))
        for item in spec["layers"]:
            (type_name, args), = item.items()
            module = getattr(torch.nn, type_name)(**_keras_args({k: v for k, v in args.items() if k != "name"}))
            out = module(x)
            x = out[0] if isinstance(out, tuple) else out
            rows.append((args["name"], tuple(x.shape[1:]), sum(p.numel() for p in module.parameters())))
    return rows


# -- the solution sheet's summary table (Markdown, English numbers)

_ROW = re.compile(r"^\| `(?P<name>[^`]+)` \((?P<type>[^)]+)\) \| [^|]* \| (?P<params>[\d,]+) \| .*\| `\(None, (?P<shape>[^`]*)\)` \|$")


def solution_rows(text: str) -> list[tuple[str, tuple, int]]:
    out = []
    for line in text.splitlines():
        m = _ROW.match(line)
        if m:
            shape = tuple(int(d) for d in m.group("shape").split(", "))
            out.append((m.group("name"), shape, int(m.group("params").replace(",", ""))))
    return out


def derive_json(spec: dict, tmp_path: Path) -> dict:
    path = tmp_path / "variant.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    out = tmp_path / "derived.json"
    assert main(["derive", str(path), "--format", "json", "-o", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("source", list(MODELS) + list(TORCH_MODELS))
def test_variants_solutions_equal_derive_and_keras(source, tmp_path):
    """Each variant's solution sheet gives, per layer, the count and output shape that
    ``explain derive`` gives and that Keras 3 (PyTorch for a PyTorch spec) builds; the totals
    agree too."""
    drawn = variants(source, {**MODELS, **TORCH_MODELS}[source])
    assert len({v.id for v in drawn}) == len(drawn)
    for v in drawn:
        keras = torch_rows(v.spec) if source in TORCH_MODELS else keras_rows(v.spec)
        solution = render_document("solution", Assignment(v), lang="en")
        assert f"variant `{v.id}`" in solution
        assert solution_rows(solution) == keras, v.spec
        derived = derive_json(v.spec, tmp_path)
        assert [(r["name"], tuple(r["output_shape"][1:]), r["params"]) for r in derived["layers"]] == keras
        total = sum(p for _, _, p in keras)
        assert derived["total"] == total
        assert f"Total: {total:,} parameters." in solution


def test_variants_are_reproducible_and_leave_the_global_random_state_alone():
    state = random.getstate()
    first = [v.id for v in draw(make_variant(read_spec("example:lenet5")), 5, 42)]
    assert random.getstate() == state
    again = [v.id for v in draw(make_variant(read_spec("example:lenet5")), 5, 42)]
    other = [v.id for v in draw(make_variant(read_spec("example:lenet5")), 5, 43)]
    assert first == again and first != other


def test_vary_changes_only_what_it_names():
    base = make_variant(read_spec("example:lenet5"))
    for v in draw(base, 6, 1, ("padding",)):
        for old, new in zip(base.spec["layers"], v.spec["layers"]):
            (t, a), = old.items()
            (t2, b), = new.items()
            assert t == t2 and {k: x for k, x in a.items() if k != "padding"} == \
                {k: x for k, x in b.items() if k != "padding"}
        assert v.spec["input"] == base.spec["input"]
    inputs = draw(base, 6, 1, ("input",))
    assert all(v.spec["layers"] == base.spec["layers"] for v in inputs)
    assert len({tuple(v.spec["input"]) for v in inputs}) == 6


def test_variant_id_is_the_hash_of_the_spec():
    v = variants("example:lenet5", 50)[0]
    assert v.id == variant_id(v.spec) and re.fullmatch(r"[A-Z2-7]{6}", v.id)


# -- no answer on the exercise sheet

def _answers(v) -> set[str]:
    """Every number a student is asked for (≥ 10: smaller ones are also hyperparameters)."""
    m = v.model
    out = {m.total, m.trainable}
    for node in m.nodes:
        out.add(m.evaluate(node.params))
        dims = [d for d in m.evaluate_shape(node.output_shape) if d is not None]
        size = 1
        for d in dims:
            size *= d
        out.add(size)
    return {str(x) for x in out if x >= 10}


def _given(v) -> set[str]:
    """The numbers the sheet may show: hyperparameters, input sizes, positions, digits in names."""
    text = json.dumps(without_restated(v.spec))  # PyTorch: the sizes a layer receives are not given
    text += json.dumps(defaults(v.spec))  # the defaults of window arguments left out (padding=0)
    return set(re.findall(r"\d+", text)) | {str(i) for i in range(1, len(v.model.nodes) + 1)}


@pytest.mark.parametrize("lang", ["en", "de", "ja", "fr", "es"])
@pytest.mark.parametrize("show", ["table", "code"])
def test_exercise_sheet_shows_no_answer(lang, show):
    """Every number on the Markdown sheet and its answer form is given (a hyperparameter, an
    input size, a position, part of a name or of the variant id); no answer appears in the
    LaTeX source, its comments and preamble included."""
    # PyTorch code states each layer's in_features (an output size the student is asked for), as
    # the code must: PyTorch specs are checked in the table, which leaves those sizes out
    sources = {**MODELS, **(TORCH_MODELS if show == "table" else {})}
    for source in sources:
        v = variants(source, sources[source])[0]
        a = Assignment(v, "Ada Lovelace", ("shapes", "params", "trainable"), show, "answers/ada.yaml")
        md = render_document("exercise", a, lang=lang)
        form = form_text(v, a.ask, a.student, lang)
        for text in (md, form):
            stripped = text.replace(v.id, "")
            numbers = set(re.findall(r"\d+", stripped))
            assert numbers <= _given(v), (source, numbers - _given(v))
        tex = render_document("exercise", a, lang=lang, format="latex")
        for answer in _answers(v) - _given(v):
            assert not re.search(rf"(?<![\d.]){answer}(?![\d.])", tex.replace(v.id, "")), (source, answer)
        for text in (md, tex):
            assert "(None," not in text  # no output shape as Keras prints it


def _literal(value):
    """A spec's value as Python reads it back from code: lists as tuples."""
    return tuple(_literal(v) for v in value) if isinstance(value, list) else value


@pytest.mark.parametrize("source", ["example:seed-cnn", str(FIXTURES / "specs" / "small_rnn.yaml")])
def test_hyperparameters_are_written_as_keras_code_writes_them(source):
    """Each ``key=value`` of the table reads back (as a Python literal) to the spec's value:
    strings quoted as Keras writes them (``padding="valid"``), lists as tuples."""
    import ast
    v = make_variant(read_spec(source))
    md = render_document("exercise", Assignment(v, None, ("shapes", "params"), "table"), lang="en")
    layers = [item for item in v.spec["layers"] if "InputLayer" not in item]
    table = [line for line in md.splitlines() if re.match(r"^\| \d+ \|", line)][:len(layers)]
    assert len(table) == len(layers)
    for line, item in zip(table, layers):
        (args,) = item.values()
        cell = line.rstrip(" |").split(" | ")[-1]
        shown = dict(re.findall(r"`(\w+)=(.*?)`(?:, |$)", cell))
        expected = {k: _literal(x) for k, x in args.items() if k != "name"}
        assert {k: ast.literal_eval(x) for k, x in shown.items()} == expected, line
    if source == "example:seed-cnn":
        assert '`padding="valid"`' in md and '`activation="relu"`' in md and "padding=valid" not in md
        tex = render_document("exercise", Assignment(v, None, ("shapes", "params"), "table"), lang="en",
                              format="latex")
        assert "padding=valid" not in tex and "padding=\\textquotedbl{}valid\\textquotedbl{}" in tex
        xml = exercise_files([Assignment(v)], "en", "moodle")["quiz.xml"]
        assert "padding=&quot;valid&quot;" in xml and "padding=valid" not in xml


@pytest.mark.parametrize("lang, sentence", [
    ("en", "The model's layers, in order:"), ("de", "Die Schichten des Modells, der Reihe nach:"),
    ("fr", "Les couches du modèle, dans l’ordre\u00a0:"), ("es", "Las capas del modelo, en orden:"),
    ("ja", "モデルの層（入力側から順に）："),
])
def test_the_table_is_introduced_as_the_models_layers(lang, sentence):
    """The sentence after 'The input has the shape …' names the model, not 'its' (which would
    read as the input's layers)."""
    v = make_variant(read_spec("example:lenet5"))
    md = render_document("exercise", Assignment(v), lang=lang)
    assert sentence in md and "Seine Schichten" not in md and "Its layers" not in md


def test_exercise_command_writes_the_layout(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAda Lovelace,ada@example.org\nAlan Turing,alan@example.org\n"
                      "Grace Hopper,grace@example.org\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["exercise", "example:lenet5", "--variants", "2", "--seed", "9", "--students", str(roster),
            "--out", str(out)]
    assert main(args) == 0
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    people = ("ada-lovelace", "alan-turing", "grace-hopper")
    assert names == sorted([f"answers/{p}.yaml" for p in people] + [f"exercises/{p}.md" for p in people]
                           + [f"solutions/{p}.md" for p in people] + ["variants.csv"])
    rows = list(csv.DictReader(io.StringIO((out / "variants.csv").read_text("utf-8"))))
    assert [r["student"] for r in rows] == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert len({r["variant"] for r in rows}) == 2  # three students share the two variants
    first = (out / "variants.csv").read_text("utf-8")
    assert main(args) == 0 and (out / "variants.csv").read_text("utf-8") == first  # deterministic
    for r in rows:
        sheet = (out / r["exercise"]).read_text("utf-8")
        assert r["variant"] in sheet and r["student"] in sheet


@pytest.mark.parametrize("args, message", [
    (["--vary", "filters,colour"], "--vary takes a comma list"),
    (["--ask", "shapes,answers"], "--ask takes a comma list"),
    (["--variants", "0"], "--variants takes a number"),
])
def test_bad_options_exit_2_in_one_line(args, message, tmp_path, capsys):
    assert main(["exercise", "example:lenet5", "--out", str(tmp_path / "o"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_too_few_variants_exit_2_naming_the_model(tmp_path, capsys):
    source = str(FIXTURES / "exercise" / "text.yaml")  # no layer has a padding to vary
    assert main(["exercise", source, "--variants", "4", "--vary", "padding", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"explain: {source}: varying padding gives only 1 different valid variant of")
    assert err.count("\n") == 1 and not (tmp_path / "o").exists()


@pytest.mark.parametrize("roster, problem", [
    ("name\nAda\n\nAda\n", "names 'Ada' twice"),
    ("name,email\n,ada@example.org\n", "row 1: a student without a name"),
    ("", "names no student"),
])
def test_bad_roster_exits_2_naming_the_file(roster, problem, tmp_path, capsys):
    path = tmp_path / "roster.csv"
    path.write_text(roster, encoding="utf-8")
    assert main(["exercise", "example:lenet5", "--students", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and problem in err and err.count("\n") == 1


# -- grading

LENET = {
    # a hand derivation of LeNet-5 (32×32×1 input): shapes and counts
    "c1": ("28 x 28 x 6", "5 x 5 x 1 x 6 + 6 = 156"),        # 32-5+1 = 28
    "s2": ("14 x 14 x 6", "0"),
    "c3": ("10 x 10 x 16", "5 x 5 x 6 x 16 + 16 = 2416"),     # 14-5+1 = 10
    "s4": ("5 x 5 x 16", "0"),
    "flatten": ("400", "0"),                                   # 5·5·16
    "c5": ("120", "400 x 120 + 120 = 48120"),
    "f6": ("84", "120 x 84 + 84 = 10164"),
    "output": ("10", "84 x 10 + 10 = 850"),
}
LENET_TOTAL = 156 + 2416 + 48120 + 10164 + 850  # 61,706


def _filled(answers: dict, total: str, student: str) -> str:
    v = make_variant(read_spec("example:lenet5"))
    text = form_text(v, ("shapes", "params"), student, "en")
    out, layer = [], None
    for line in text.splitlines():
        m = re.match(r"^  (\w+):$", line)
        if m:
            layer = m.group(1)
        m = re.match(r"^    (shape|params):$", line)
        if m and layer in answers:
            value = answers[layer][0 if m.group(1) == "shape" else 1]
            line += f" {value}" if value else ""
        if line == "  total:":
            line += f" {total}"
        out.append(line)
    return "\n".join(out) + "\n"


def test_the_form_asks_for_shapes_as_the_sheet_writes_them_and_says_what_total_is(tmp_path):
    """Round 16 (exercise reviewers): the sheet asks for shapes written like its input shape,
    (32, 32, 1), and a vector as (n,); the answer file asked for "H x W x C" (channels first in
    PyTorch) and never said what 'total' counts. Now the file repeats the sheet's rule with the
    variant's own input shape, and a form filled in that form (LENET's hand derivation written
    as tuples) is all correct."""
    v = make_variant(read_spec("example:lenet5"))
    text = form_text(v, ("shapes", "params"), "Ada", "en")
    sheet = render_document("exercise", Assignment(v, "Ada", ("shapes", "params"), "table", "answers/ada.yaml"))
    assert "the input shape (32, 32, 1), and a vector of length n as (n,)." in text
    assert "The input has the shape `(32, 32, 1)`, without the batch axis." in sheet
    assert "H x W x C" not in text and "answer file `answers/ada.yaml`" in sheet and "# Answer file for this exercise." in text
    assert "'total' is the number of parameters of the whole model, non-trainable ones included." in text
    assert "Then give the model's total number of parameters, non-trainable ones included." in sheet
    torch_text = form_text(make_variant(read_spec(str(FIXTURES / "exercise" / "torch_cnn.yaml"))), ("params",), "Ada", "en")
    assert "output shape" not in torch_text  # no shape asked, no rule for shapes
    tuples = {name: ("(" + ", ".join(shape.split(" x ")) + ("," if " x " not in shape else "") + ")", params)
              for name, (shape, params) in LENET.items()}
    assert tuples["c1"][0] == "(28, 28, 6)" and tuples["flatten"][0] == "(400,)"
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "ada.yaml").write_text(_filled(tuples, str(LENET_TOTAL), "Ada"), encoding="utf-8")
    target = tmp_path / "grades.csv"
    assert main(["check", "--grade", str(tmp_path / "forms"), "-o", str(target)]) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8"))))
    assert len(rows) == 17 and {r["verdict"] for r in rows} == {"correct"}


def test_grading_a_folder_marks_right_wrong_and_carried_forward(tmp_path, capsys):
    folder = tmp_path / "handed-in"
    folder.mkdir()
    (folder / "ada.yaml").write_text(_filled(LENET, str(LENET_TOTAL), "Ada Lovelace"), encoding="utf-8")
    wrong = dict(LENET)
    wrong["c3"] = ("10 x 10 x 16", "5 x 5 x 6 x 16 = 2400")       # the bias left out: wrong
    wrong["s4"] = ("4 x 4 x 16", "0")                              # wrong: 10/2 = 5
    wrong["flatten"] = ("256", "0")                                # 4·4·16: carried forward
    wrong["c5"] = ("120", "256 x 120 + 120 = 30840")               # from 256 inputs: carried forward
    wrong["output"] = ("", "")                                     # left blank
    # Bob's total is the sum of his own layer counts (output left blank: its true 850):
    # 156 + 0 + 2400 + 0 + 0 + 30840 + 10164 + 850 = 44410, an error carried forward too
    (folder / "bob.yaml").write_text(_filled(wrong, "44410", "Bob"), encoding="utf-8")
    target = tmp_path / "grades.csv"
    assert main(["check", "--grade", str(folder), "-o", str(target)]) == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8"))))
    bob = {r["claim"]: (r["verdict"], r["points"]) for r in rows if r["student"] == "Bob"}
    ada = {r["claim"]: (r["verdict"], r["points"]) for r in rows if r["student"] == "Ada Lovelace"}
    assert set(ada.values()) == {("correct", "1")} and len(ada) == 17
    assert bob == {
        "c1 shape": ("correct", "1"), "c1 params": ("correct", "1"),
        "s2 shape": ("correct", "1"), "s2 params": ("correct", "1"),
        "c3 shape": ("correct", "1"), "c3 params": ("wrong", "0"),
        "s4 shape": ("wrong", "0"), "s4 params": ("correct", "1"),
        "flatten shape": ("carried_forward", "0.5"), "flatten params": ("correct", "1"),
        "c5 shape": ("correct", "1"), "c5 params": ("carried_forward", "0.5"),
        "f6 shape": ("correct", "1"), "f6 params": ("correct", "1"),
        "output shape": ("unanswered", "0"), "output params": ("unanswered", "0"),
        "total": ("carried_forward", "0.5"),
    }
    assert list(rows[0]) == ["student", "variant", "claim", "verdict", "points"]
    summary = list(csv.DictReader(io.StringIO((tmp_path / "grades.summary.csv").read_text("utf-8"))))
    assert [(s["student"], s["points"], s["max_points"]) for s in summary] == [("Ada Lovelace", "17", "17"),
                                                                               ("Bob", "11.5", "17")]
    assert "Bob" in capsys.readouterr().out


@pytest.mark.parametrize("source", list(TORCH_MODELS))
def test_pytorch_form_hides_the_received_sizes_and_reads_back(source, tmp_path):
    """A PyTorch answer form leaves out in_features and the like (each is an output the student
    is asked for) and is read back as the same variant, with its layers' answers judged."""
    from explain.exercise.form import read_form
    v = variants(source, TORCH_MODELS[source])[0]
    text = form_text(v, ("shapes", "params"), "Ada", "en")
    assert "in_features" not in text and "in_channels" not in text and "input_size" not in text
    path = tmp_path / "form.yaml"
    last = v.model.nodes[-1]
    params = v.model.evaluate(last.params)
    path.write_text(text.replace(f"  {last.name}:\n    shape:\n    params:",
                                 f"  {last.name}:\n    shape:\n    params: {params}"), encoding="utf-8")
    form = read_form(str(path))
    assert form.variant.id == v.id and form.variant.spec == v.spec
    assert main(["check", str(path)]) == 0


def test_check_reads_a_filled_form_and_names_the_carried_error(tmp_path, capsys):
    wrong = dict(LENET)
    wrong["s4"] = ("4 x 4 x 16", "0")
    wrong["flatten"] = ("256", "0")
    path = tmp_path / "form.yaml"
    path.write_text(_filled(wrong, str(LENET_TOTAL), "Bob"), encoding="utf-8")
    assert main(["check", str(path), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    flatten = [c for c in report["claims"] if c["layer"] == "flatten" and c["kind"] == "shape"][0]
    assert flatten["diagnosis"][0] == "carried_forward" and flatten["expected"] == 400


@pytest.mark.parametrize("change, problem", [
    (lambda t: t.replace("units: 84", "units: 85"), "the model is not that of variant"),
    (lambda t: t.replace("answers:", "answers: [1, 2]\nextra:"), "unknown key 'extra'"),
    (lambda t: t.replace("  c1:\n    shape:", "  c1:\n    colour: red\n    shape:"), "unknown blank 'colour'"),
    (lambda t: t + "  total: [\n", "not a readable answer form"),
])
def test_malformed_form_exits_2_naming_the_file(change, problem, tmp_path, capsys):
    path = tmp_path / "form.yaml"
    path.write_text(change(_filled(LENET, "61706", "Bob")), encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "form.yaml").write_text(path.read_text("utf-8"), encoding="utf-8")
    for args in (["check", str(path)], ["check", "--grade", str(folder), "-o", str(tmp_path / "g.csv")]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "form.yaml" in err and problem in err and err.count("\n") == 1
    assert not (tmp_path / "g.csv").exists()


# -- Moodle

def test_moodle_quiz_has_the_documented_structure(tmp_path):
    items = assignments("example:lenet5", 3, 5, None, (), ("shapes", "params", "trainable"))
    xml = exercise_files(items, "de", "moodle")["quiz.xml"]
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    root = ET.fromstring(xml)
    assert root.tag == "quiz"
    category, *questions = list(root)
    assert category.get("type") == "category" and category.find("category/text").text == "$course$/top/lenet5"
    assert [q.get("type") for q in questions] == ["cloze"] * 3
    for q, a in zip(questions, items):
        assert a.variant.id in q.find("name/text").text
        assert q.find("questiontext").get("format") == "html"
        assert q.find("generalfeedback").get("format") == "html"
        text = q.find("questiontext/text").text
        blanks = re.findall(r"\{1:NUMERICAL:=(\d+):0\}", text)
        m = a.variant.model
        shapes = [d for n in m.nodes for d in m.evaluate_shape(n.output_shape)]
        assert len(blanks) == len(shapes) + len(m.nodes) + 3
        assert int(blanks[-3]) == m.total and int(blanks[-2]) == m.trainable and int(blanks[-1]) == 0
        keras = keras_rows(a.variant.spec)
        per_layer = blanks[:-3]
        pos = 0
        for _, shape, params in keras:
            assert [int(b) for b in per_layer[pos:pos + len(shape)]] == list(shape)
            assert int(per_layer[pos + len(shape)]) == params
            pos += len(shape) + 1
        assert len(re.findall(r"\{", text)) == len(blanks)  # no other brace for the Cloze parser
        feedback = q.find("generalfeedback/text").text
        assert f"{m.total:,}".replace(",", ".") in feedback
    raw = xml.split("<questiontext")[1]
    assert "<![CDATA[" in raw


# -- the sheets compile and render in every language

@pytest.mark.parametrize("lang, show", [("en", "table"), ("de", "code"), ("ja", "table"), ("fr", "code"),
                                        ("es", "table")])
def test_exercise_sheets_compile_with_lualatex(lang, show, tmp_path):
    from tests.render_helpers import compile_latex, pdf_text
    v = variants("example:lenet5", 50)[1]
    # a Japanese name on an English sheet too; TeX's special characters in a name read literally
    student = {"en": "山田 Zoë", "ja": "山田 Zoë", "es": "Zoë Ñúñez & O'Brien_{x}"}.get(lang, "Zoë Ñúñez")
    a = Assignment(v, student, ("shapes", "params", "trainable"), show, "answers/zoe.yaml")
    text = pdf_text(compile_latex(render_document("exercise", a, lang=lang, format="latex"), tmp_path / "ex"))
    assert v.id in text and student in text.replace("\u2019", "'") and "output" in text
    # the answer table's columns add up to the line (fr had two 0.8 pt overfull boxes: its rules)
    assert "Overfull \\hbox" not in (tmp_path / "ex" / "doc.log").read_text("utf-8", errors="replace")
    # its head is printed under the task's heading, never alone above it at the top of a page (ja)
    task = {"en": "Task", "de": "Aufgabe", "ja": "設問", "fr": "Consigne", "es": "Tarea"}[lang]
    head = {"en": "Output shape", "de": "Ausgabeform", "ja": "出力形状", "fr": "Forme de sortie",
            "es": "Forma de salida"}[lang]
    assert text.index(task) < text.index(head), text[:text.index(task)]
    if lang in ("de", "ja"):  # the solution's own lines (the derivation compiles in every language elsewhere)
        sol = pdf_text(compile_latex(render_document("solution", a, lang=lang, format="latex"), tmp_path / "sol"))
        assert v.id in sol and f"{v.model.total:,}".replace(",", "." if lang == "de" else ",") in sol


@pytest.mark.parametrize("lang", ["en", "de", "ja", "fr", "es"])
def test_markdown_sheets_parse_with_their_tables_and_formulas(lang):
    from tests.render_helpers import formulas, katex_errors, markdown_parser, walk
    v = variants(str(FIXTURES / "exercise" / "rnn.yaml"), 50)[2]
    a = Assignment(v, None, ("shapes", "params", "trainable"), "table", "answers/x.yaml")
    md = markdown_parser()
    sheet = render_document("exercise", a, lang=lang)
    tables = [t for t in walk(md.parse(sheet)) if t.type == "table_open"]
    assert len(tables) == 2  # the model's layers and the blanks
    rows = [t for t in walk(md.parse(sheet)) if t.type == "tr_open"]
    # the model's rows and its head; the blanks' rows, their head, total, trainable and non-trainable
    assert len(rows) == 2 * (len(v.model.nodes) + 1) + 3
    solution = render_document("solution", a, lang=lang)
    assert [t for t in walk(md.parse(solution)) if t.type == "table_open"]
    assert katex_errors(formulas(solution)) == []


def test_the_code_on_the_sheet_builds_the_variant_in_keras():
    """--show code: the Keras code the sheet prints (our own output, run here in the test) builds
    a model with the variant's layers, output shapes and count."""
    from explain.exercise.spec_text import code
    keras = _keras()
    for source in MODELS:
        v = variants(source, MODELS[source])[3]
        text = code(v.spec)
        assert max(len(line) for line in text.splitlines()) <= 88
        scope: dict = {}
        with keras.device("meta"):
            exec(compile(text, "<exercise sheet>", "exec"), scope)
        model = scope["model"]
        rows = [(layer.name, tuple(layer.output.shape[1:]), layer.count_params()) for layer in model.layers]
        assert rows == keras_rows(v.spec)


def test_the_pytorch_code_on_the_sheet_builds_the_variant():
    """PyTorch code (nn.Sequential, or a module whose forward keeps an LSTM's outputs) builds
    the variant's layers with their counts and output shape, run in torch on the meta device."""
    from explain.exercise.spec_text import code
    torch = require_module("torch")
    for source in TORCH_MODELS:
        v = variants(source, TORCH_MODELS[source])[3]
        text = code(v.spec)
        assert max(len(line) for line in text.splitlines()) <= 88
        scope: dict = {}
        with torch.device("meta"):
            exec(compile(text, "<exercise sheet>", "exec"), scope)
            out = scope["model"](torch.zeros((2, *v.spec["input"])))
        rows = torch_rows(v.spec)
        assert [sum(p.numel() for p in m.parameters()) for m in scope["model"].children()] == [r[2] for r in rows]
        assert tuple(out.shape[1:]) == rows[-1][1]


def test_pytorch_errors_carried_forward(tmp_path, capsys):
    """Hand derivation of tests/fixtures/exercise/torch_cnn.yaml: conv2d_1 gives 32 × 14 × 14,
    maxpool2d_1 halves it to 32 × 7 × 7, so flatten has 1,568 values and linear 1568·64 + 64
    parameters. A student who pools to 32 × 6 × 6 carries that into flatten (1,152) and linear."""
    v = make_variant(read_spec(str(FIXTURES / "exercise" / "torch_cnn.yaml")))
    text = form_text(v, ("shapes", "params"), "Ada", "en")
    for layer, kind, answer in (("maxpool2d_1", "shape", "32 x 6 x 6"), ("flatten", "shape", "1152"),
                                ("linear", "params", "1152 x 64 + 64 = 73792"), ("linear_1", "params", "650")):
        head = f"  {layer}:\n    shape:\n    params:"
        blank = head.replace(f"    {kind}:", f"    {kind}: {answer}")
        assert head in text
        text = text.replace(head, blank) if kind == "shape" else text.replace(
            f"  {layer}:\n    shape:\n    params:", f"  {layer}:\n    shape:\n    params: {answer}")
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "ada.yaml").write_text(text, encoding="utf-8")
    assert main(["check", "--grade", str(folder), "-o", str(tmp_path / "g.csv")]) == 0
    rows = {r["claim"]: r["verdict"] for r in csv.DictReader(io.StringIO((tmp_path / "g.csv").read_text("utf-8")))}
    assert rows["maxpool2d_1 shape"] == "wrong"
    assert rows["flatten shape"] == "carried_forward" and rows["linear params"] == "carried_forward"
    assert rows["linear_1 params"] == "correct"


# -- hostile inputs: exit 2, one line naming the file, bounded

def _one_line(capsys, *needles):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.mark.parametrize("data, problem", [
    (("name\n" + "".join(f"student {i}\n" for i in range(100_000))).encode()[:1_000_000], "more than 5000 students"),
    ("name\nÄda Lövelace\nJosé\n".encode("latin-1"), "is not UTF-8 text"),
    (bytes(range(256)) * 8, "is a binary file, not a CSV roster"),
])
def test_hostile_roster_exits_2_naming_the_file(data, problem, tmp_path, capsys):
    path = tmp_path / "roster.csv"
    path.write_bytes(data)
    assert main(["exercise", "example:lenet5", "--students", str(path), "--out", str(tmp_path / "o")]) == 2
    _one_line(capsys, str(path), problem)
    assert not (tmp_path / "o").exists()


def test_a_utf16_roster_is_read(tmp_path):
    """What Excel's 'Unicode text' and PowerShell write: UTF-16 with a byte-order mark."""
    path = tmp_path / "roster.csv"
    path.write_bytes("name\nÄda Lövelace\n山田太郎\n".encode("utf-16"))
    assert main(["exercise", "example:lenet5", "--students", str(path), "--out", str(tmp_path / "o")]) == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "o" / "variants.csv").read_text("utf-8"))))
    assert [r["student"] for r in rows] == ["Äda Lövelace", "山田太郎"]


@pytest.mark.parametrize("args, problem", [
    (["--variants", "99999999999999999999"], "--variants takes a number from 1 to 1000"),
    # the seed CNN has six convolutions and three poolings, each "same" or "valid": 2**9 = 512
    # variants, and every one is valid (all "valid": 256-2 = 254, 252, /3 = 84, 82, 80, /2 = 40, 38,
    # 36, /2 = 18 > 0)
    (["--variants", "1000", "--vary", "padding"], "gives only 512 different valid variants"),
])
def test_more_variants_than_the_model_has_exit_2(args, problem, tmp_path, capsys):
    assert main(["exercise", "example:seed-cnn", "--out", str(tmp_path / "o"), *args]) == 2
    _one_line(capsys, "example:seed-cnn", problem)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("change, problem", [
    (lambda t: t.replace("  total:", "  total: " + "[" * 20_000 + "]" * 20_000), "nested more than"),
    (lambda t: t.replace("  total:", "  total: " + "9" * 50_000), "too long"),
])
def test_hostile_form_exits_2_naming_the_file(change, problem, tmp_path, capsys):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "form.yaml").write_text(change(_filled(LENET, "", "Bob")), encoding="utf-8")
    for args in (["check", str(folder / "form.yaml")], ["check", "--grade", str(folder), "-o", str(tmp_path / "g.csv")]):
        assert main(args) == 2
        _one_line(capsys, "form.yaml", problem)
    assert not (tmp_path / "g.csv").exists()


@pytest.mark.parametrize("make, name, problem", [
    (lambda d: (d / "zero.yaml").symlink_to("/dev/zero"), "zero.yaml", "is a symbolic link"),
    (lambda d: (d / "loop.yaml").symlink_to(d / "loop.yaml"), "loop.yaml", "is a symbolic link"),
    (lambda d: (d / "other.yaml").symlink_to(d.parent / "secret.yaml"), "other.yaml", "is a symbolic link"),
    (lambda d: (d / "ada").mkdir(), "ada", "is a folder"),
    (lambda d: (d / "bob.pdf").write_bytes(b"%PDF-1.7\x00"), "bob.pdf", "is not an answer form"),
    (lambda d: os.mkfifo(d / "pipe.yaml"), "pipe.yaml", "is not a regular file"),
])
def test_grade_folder_with_odd_entries_exits_2_naming_it(make, name, problem, tmp_path, capsys):
    (tmp_path / "secret.yaml").write_text(_filled(LENET, str(LENET_TOTAL), "Eve"), encoding="utf-8")
    folder = tmp_path / "handed-in"
    folder.mkdir()
    (folder / "ada.yaml").write_text(_filled(LENET, str(LENET_TOTAL), "Ada"), encoding="utf-8")
    make(folder)
    assert main(["check", "--grade", str(folder), "-o", str(tmp_path / "g.csv")]) == 2
    _one_line(capsys, name, problem)
    assert not (tmp_path / "g.csv").exists()


def test_grade_folder_passes_over_hidden_files_and_its_own_grades(tmp_path, capsys):
    folder = tmp_path / "handed-in"
    folder.mkdir()
    (folder / "ada.yaml").write_text(_filled(LENET, str(LENET_TOTAL), "Ada"), encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    out = folder / "grades.csv"
    for _ in range(2):  # the second run finds the grades (and their summary) written by the first
        assert main(["check", "--grade", str(folder), "-o", str(out)]) == 0
    summary = list(csv.DictReader(io.StringIO((folder / "grades.summary.csv").read_text("utf-8"))))
    assert [r["file"] for r in summary] == ["ada.yaml"] and summary[0]["points"] == "17"


@pytest.mark.parametrize("lang", ["en", "de", "ja", "fr", "es"])
def test_the_solution_sheet_is_titled_with_its_model_and_variant(lang):
    """The solution's one title names the model and the variant (the reviewers found a small
    bold line above the derivation's generic title); one H1, one LaTeX section."""
    v = make_variant(read_spec("example:lenet5"))
    md = render_document("solution", Assignment(v, student="Ana"), lang=lang)
    h1 = [line for line in md.splitlines() if line.startswith("# ")]
    assert len(h1) == 1 and "`lenet5`" in h1[0] and f"`{v.id}`" in h1[0] and "Ana" in h1[0]
    assert md.lstrip().startswith("# ")
    tex = render_document("solution", Assignment(v), lang=lang, format="latex")
    assert tex.count("\\section*{") == 1 and f"{v.id}" in tex.split("\\section*{")[1].split("\n")[0]
    if lang == "en":
        assert h1 == [f"# Solution: the parameters of the model `lenet5` (variant `{v.id}`, for Ana)"]


# LeNet-5 as bundled (32×32×1 input), derived by hand: valid 5×5 convolutions shrink 32 → 28 and
# 14 → 10, pooling halves; a convolution has 5·5·c_in·c_out + c_out parameters, a dense layer
# n_in·n_out + n_out.
LENET5_KEY = [("c1", "(28, 28, 6)", "156"), ("s2", "(14, 14, 6)", "0"), ("c3", "(10, 10, 16)", "2,416"),
              ("s4", "(5, 5, 16)", "0"), ("flatten", "(400,)", "0"), ("c5", "(120,)", "48,120"),
              ("f6", "(84,)", "10,164"), ("output", "(10,)", "850")]
LENET5_TOTAL = "61,706"  # 156 + 2,416 + 48,120 + 10,164 + 850


def _table_after(md: str, lead: str) -> list[list[str]]:
    """The cells of the Markdown table right after the line ``lead`` (head and rule left out)."""
    lines = md.splitlines()
    start = lines.index(lead) + 2
    out = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        out.append([cell.strip() for cell in line.strip("|").split("|")])
    return out


def test_the_solution_opens_with_the_answer_key_in_the_exercises_form():
    """Right under its title, the solution gives the answers as the exercise asks for them: # |
    layer | output shape without the batch axis (a 1-D shape as Python's tuple, (400,)) |
    parameters, the total as the last row; then the derivation."""
    v = make_variant(read_spec("example:lenet5"))
    md = render_document("solution", Assignment(v), lang="en")
    lead = "The answers at a glance, in the exercise's form (output shapes without the batch axis):"
    lines = md.splitlines()
    assert lines[0].startswith("# Solution") and [line for line in lines[1:4] if line] == [lead]
    rows = _table_after(md, lead)
    assert rows[:-1] == [[str(i), f"`{n}`", f"`{shape}`", p] for i, (n, shape, p) in enumerate(LENET5_KEY, 1)]
    assert rows[-1] == ["", "**Total**", "", f"**{LENET5_TOTAL}**"]
    assert md.index(lead) < md.index("The model has 8 layers") < md.index("## Summary")
    with_split = render_document("solution", Assignment(v, ask=("shapes", "params", "trainable")), lang="en")
    assert _table_after(with_split, lead)[-3:] == [["", "**Total**", "", f"**{LENET5_TOTAL}**"],
                                                   ["", "**Trainable**", "", f"**{LENET5_TOTAL}**"],
                                                   ["", "**Non-trainable**", "", "**0**"]]
    shapes_only = render_document("solution", Assignment(v, ask=("shapes",)), lang="en")
    assert _table_after(shapes_only, lead)[-1] == ["8", "`output`", "`(10,)`"]
    assert f"- Total number of parameters: {LENET5_TOTAL}" in shapes_only
    tex = render_document("solution", Assignment(v), lang="en", format="latex")
    assert tex.index("\\section*{") < tex.index("(400,)") < tex.index("The model has 8 layers")


def test_the_exercise_has_the_total_in_its_answer_table_and_room_for_the_working():
    """The blanks' table ends with the total (and the trainable split when asked); a Working
    section gives each layer its line; the sheet says the working is marked, and a 1-D input
    shape reads as Python's tuple."""
    v = make_variant(read_spec("example:lenet5"))
    a = Assignment(v, None, ("shapes", "params", "trainable"), "table", "answers/x.yaml")
    md = render_document("exercise", a, lang="en")
    assert "Show your work for each number: your work is graded, not just the result." in md
    # the answer's format: the solution writes shapes as tuples, a vector as (192,)
    assert ("Write each output shape in the same form as the input shape above; write a vector of "
            "length $n$ as `(n,)`.") in md
    # round 14 (en): where the file comes from
    assert ("Also enter your answers in the answer file `answers/x.yaml` that comes with this sheet; do not "
            "change its fields `variant` and `model`.") in md
    assert "Total number of parameters:" not in md
    blanks = _table_after(md, "Also enter your answers in the answer file `answers/x.yaml` that comes with "
                              "this sheet; do not change its fields `variant` and `model`.")
    assert [r[1] for r in blanks] == [f"`{n}`" for n, _, _ in LENET5_KEY] + ["**Total**", "**Trainable**",
                                                                            "**Non-trainable**"]
    assert all(r[2] == "–" and r[3] == "" for r in blanks[-3:])  # no shape for a total
    # round 11: one ruled line a layer was too little for a convolution's working (formula, padding,
    # output size), and the total had none: lenet5's 8 layers get 3 lines each (the name and two
    # rules), the total with its trainable split 3 (no colon after a name: fr would need « : »)
    working = [line.strip() for line in md.split("## Your work\n")[1].strip().splitlines() if line.strip()]
    rule = "\\_" * 50
    assert working == [line for i, (n, _, _) in enumerate(LENET5_KEY, 1) for line in (f"{i}. `{n}`", rule, rule)] \
        + ["**Total**", rule, rule]  # unnumbered, as in the answer table
    tex = render_document("exercise", a, lang="en", format="latex")
    blank_table = tex.split("\\subsection*{Task}")[1].split("\\end{longtable}")[0]
    assert blank_table.rstrip().endswith("\\textbf{Non-trainable}} & \\multicolumn{1}{|l|}{--} &  \\\\ \\hline")
    assert "\\subsection*{Your work}" in tex.split("\\subsection*{Task}")[1]
    work = tex.split("\\subsection*{Your work}")[1]
    assert work.count("\\hrulefill") == 8 * 3 + 3 and "\\rule{0pt}{2.2em}\\textbf{Total}\\enspace\\hrulefill" in work
    text = make_variant(read_spec(str(FIXTURES / "exercise" / "text.yaml")))  # token ids: input [40]
    assert "The input has the shape `(40,)`, without the batch axis." in render_document("exercise", Assignment(text))
    assert "| 3 | `head` | `(3,)` |" in render_document("solution", Assignment(text))


def test_the_japanese_name_line_has_no_stray_middle_dot():
    v = make_variant(read_spec("example:lenet5"))
    md = render_document("exercise", Assignment(v), lang="ja")
    assert f"問題コード：`{v.id}`\u3000氏名：＿" in md and "· " not in md
    assert md.startswith("# 演習問題：モデル `lenet5` のパラメータ数")
    de = render_document("exercise", Assignment(v), lang="de")
    assert de.startswith("# Übungsblatt: Parameterzahl des Modells `lenet5`") and f"Variante: `{v.id}` · Name: " in de


def test_the_sheet_names_the_defaults_of_the_window_arguments_left_out():
    """Under the model, one sentence gives the framework's defaults of the window arguments a
    layer type leaves out (checked against real Keras 3 and PyTorch layers built without them);
    a model without windows has no such sentence."""
    import inspect
    keras, torch = _keras(), require_module("torch")
    conv, pool = keras.layers.Conv2D(2, 5).get_config(), keras.layers.AveragePooling2D(pool_size=3).get_config()
    assert conv["padding"] == pool["padding"] == "valid" and tuple(conv["strides"]) == (1, 1)
    assert tuple(pool["strides"]) == tuple(pool["pool_size"]) == (3, 3)
    # the literal default is None, which means the pool size (round 11: "strides=pool_size" is no Keras default)
    assert inspect.signature(keras.layers.AveragePooling2D).parameters["strides"].default is None
    v = make_variant(read_spec("example:lenet5"))
    md = render_document("exercise", Assignment(v), lang="en")
    # round 16 (es, en): "`padding="valid"`, `strides=1` en Conv2D y `padding="valid"`, …" did not say
    # which commas part the arguments and which the layer types
    assert ('Arguments that are not given have their Keras default values: for Conv2D, `padding="valid"` and '
            '`strides=1`; for AveragePooling2D, `padding="valid"` and `strides=None` (i.e. equal to `pool_size`).') in md
    es = render_document("exercise", Assignment(v), lang="es")
    assert ('en Keras: en Conv2D, `padding="valid"` y `strides=1`; en AveragePooling2D, `padding="valid"` y '
            '`strides=None` (es decir, igual a `pool_size`).') in es
    fr_md, fr_tex = (render_document("exercise", Assignment(v), lang="fr", format=x) for x in ("markdown", "latex"))
    assert "`strides=1`\u202f; pour AveragePooling2D" in fr_md
    assert "\\texttt{strides=1}; pour \\mbox{AveragePooling2D}" in fr_tex  # babel-french spaces the bare sign
    assert md.index("| 8 | `output` |") < md.index("Arguments that are not given") < md.index("## Task")
    ja = render_document("exercise", Assignment(v), lang="ja")
    assert ('Conv2D では `padding="valid"` と `strides=1`、AveragePooling2D では `padding="valid"` と '
            '`strides=None`（つまり `pool_size` と同じ）です。') in ja
    # round 11 (ja PDF): a type name is never hyphenated ("Average-" / "Pooling2D")
    ja_tex = render_document("exercise", Assignment(v), lang="ja", format="latex")
    assert "、\\mbox{AveragePooling2D} では" in ja_tex and "\\mbox{Conv2D} では" in ja_tex
    tconv, tpool = torch.nn.Conv2d(3, 16, 3), torch.nn.MaxPool2d(2)
    assert tconv.padding == (0, 0) and tconv.stride == (1, 1) and tpool.padding == 0 and tpool.stride == tpool.kernel_size
    assert inspect.signature(torch.nn.MaxPool2d).parameters["stride"].default is None
    t = make_variant(read_spec(str(FIXTURES / "exercise" / "torch_cnn.yaml")))
    assert ("Arguments that are not given have their PyTorch default values: for Conv2d, `padding=0` and `stride=1`; "
            "for MaxPool2d, `padding=0` and `stride=None` (i.e. equal to `kernel_size`).") in render_document("exercise", Assignment(t))
    text = make_variant(read_spec(str(FIXTURES / "exercise" / "text.yaml")))
    assert "default values" not in render_document("exercise", Assignment(text))


BATCH_AXIS = {"en": "without the batch axis", "de": "ohne die Batch-Achse", "fr": "sans l’axe du lot",
              "es": "sin el eje del lote", "ja": "バッチ軸を除"}


@pytest.mark.parametrize("lang", ["en", "de", "ja", "fr", "es"])
def test_a_drawn_variant_is_titled_as_a_variant_and_its_solution_outline_is_a_tree(lang):
    """Round 11: a drawn model (other filters, other pool size) is not the model it was drawn from:
    both titles say it is a variant of it, the sheet without a variant keeps "the model"; the
    task says "without the batch axis" once; the answer form's keys are code. Round 13 (all
    reviewers): the solution had a heading "## Derivation" over two sentences, followed by sibling
    sections and a second "## Derivation, layer by layer"; now the sentence that the derivation
    writes the batch axis again is the intro after the answers, under no heading of its own."""
    a = assignments("example:lenet5", variants=1, seed=5)[0]
    base = assignments("example:lenet5")[0]
    assert a.varied and not base.varied and a.variant.spec != base.variant.spec
    sheet = render_document("exercise", a, lang=lang)
    task = sheet.split("\n## ")[2]  # the title and name line, the model, the task
    assert task.count(BATCH_AXIS[lang]) == 1
    assert "`variant`" in task and "`model`" in task
    solution = render_document("solution", a, lang=lang)
    heading = {"en": "## Derivation", "de": "## Herleitung", "fr": "## Calcul détaillé",
               "es": "## Cálculo detallado", "ja": "## 導出"}[lang]
    assert heading + "\n" not in solution
    key_end = solution.index("| **")
    intro = solution[key_end:solution.index("\n## ", key_end)]  # after the answers, before the first section
    assert intro.index("`None`") < intro.index("`(None, 32, 32, 3)`")  # said before the first shape
    headings = [line for line in solution.splitlines() if line.startswith("## ")]
    assert sum(heading[3:] in h for h in headings) <= 1  # at most "…, layer by layer"
    if lang == "en":
        assert sheet.startswith("# Exercise: the parameters of a variant of the model `lenet5`\n")
        assert solution.startswith(f"# Solution: the parameters of variant `{a.variant.id}` of the model `lenet5`\n")
        assert ("|\n\nFrom here on, shapes include the batch axis, written as `None` "
                "in front.\n\nThe model has 8 layers") in solution
        assert render_document("exercise", base, lang=lang).startswith("# Exercise: the parameters of the model `lenet5`\n")
        tex = render_document("solution", a, lang=lang, format="latex")
        # a paragraph of its own before the derivation's first sentence
        assert "in front.\n\nThe model has 8 layers" in tex
        assert "\\subsection*{Derivation}" not in tex and tex.count("\\subsection*{Derivation") == 1


@pytest.mark.parametrize("lang,trainable,frozen", [("es", "Entrenables", "No entrenables"),
                                                   ("fr", "Entraînables", "Non entraînables"),
                                                   ("en", "Trainable", "Non-trainable")])
def test_the_trainable_split_rows_agree_in_number(lang, trainable, frozen):
    """Round 16 (es): the rows under the total read «Entrenable» beside «No entrenables»; both count
    parameters, so both are plural (the weight table's yes/no column keeps «Entrenable»)."""
    a = Assignment(make_variant(read_spec("example:lenet5")), None, ("shapes", "params", "trainable"), "table")
    for kind in ("exercise", "solution"):
        md = render_document(kind, a, lang=lang)
        assert f"|   | **{trainable}** |" in md and f"|   | **{frozen}** |" in md, kind
    assert f"\\textbf{{{trainable}}}" in render_document("exercise", a, lang=lang, format="latex")
    if lang == "es":
        assert "| Tensor | Fórmula | Parámetros | Entrenable |" in render_document("solution", a, lang=lang)


def test_a_shape_written_as_a_tuple_is_judged_axis_by_axis(tmp_path):
    """The answer file asks for shapes as tuples like the input's, (32, 32, 1). A tuple names each
    axis: c1's output is 28 × 28 × 6 (32 − 5 + 1 = 28 by hand, 6 filters, channels last), so
    (6, 28, 28), as large, is wrong, and the feedback names the axes; the same sizes written as
    a product, 6 x 14 x 14, are an output size and stay correct."""
    tuples = {name: ("(" + ", ".join(shape.split(" x ")) + ("," if " x " not in shape else "") + ")", params)
              for name, (shape, params) in LENET.items()}
    tuples["c1"] = ("(6, 28, 28)", LENET["c1"][1])
    tuples["s2"] = ("6 x 14 x 14", "0")
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "ada.yaml").write_text(_filled(tuples, str(LENET_TOTAL), "Ada"), encoding="utf-8")
    target = tmp_path / "grades.csv"
    assert main(["check", "--grade", str(tmp_path / "forms"), "-o", str(target)]) == 0
    rows = {r["claim"]: r["verdict"] for r in csv.DictReader(io.StringIO(target.read_text("utf-8")))}
    assert rows["c1 shape"] == "wrong" and rows["s2 shape"] == "correct" and rows["c1 params"] == "correct"
    main(["check", str(tmp_path / "forms" / "ada.yaml"), "-o", str(tmp_path / "ada.md")])
    md = (tmp_path / "ada.md").read_text("utf-8")
    assert "- The height is 28, not 6.\n- The number of channels is 6, not 28.\n" in md
    section = md[md.index("## 1. `c1`"):md.index("**Correct derivation:**")]
    assert "does not match a mistake this tool knows" not in section
