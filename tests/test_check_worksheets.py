"""`explain check` on the seed article's worksheet (YAML and text) and on malformed worksheets.

The true counts are the article's Keras summary (tests/fixtures/specs/seed_cnn.expected.json);
the article's own line for dense_2 reads 512 x 128 + 512 = 65664, where 512·128 + 512 = 66048.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, ROOT

WORKSHEETS = FIXTURES / "worksheets"
SEED_SUMMARY = json.loads((FIXTURES / "specs" / "seed_cnn.expected.json").read_text())


def run_process(*args: str) -> subprocess.CompletedProcess:
    """``explain check`` as a separate process (the console program end to end)."""
    return subprocess.run([sys.executable, "-m", "explain", "check", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def run(*args: str) -> subprocess.CompletedProcess:
    """``explain check`` in this process (faster): the same main(), stdout, stderr, exit status."""
    import contextlib
    import io
    import os

    from explain.cli import main
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["check", *args])
    finally:
        os.chdir(cwd)
    return subprocess.CompletedProcess(args, status, out.getvalue(), err.getvalue())


def summary_params(name: str) -> int:
    return next(l["params"] for l in SEED_SUMMARY["layers"] if l["name"] == name)


@pytest.mark.parametrize("sheet", ["seed_worksheet.yaml", "seed_worksheet.txt"])
def test_seed_worksheet_finds_dense_2(sheet):
    result = run_process(str(WORKSHEETS / sheet), "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["all_correct"] is False
    claims = report["claims"]
    wrong = [c for c in claims if c["verdict"] != "correct"]
    assert wrong == [{"layer": "dense_2", "kind": "params", "claimed": "512*128 + 512 = 65664",
                      "verdict": "wrong_formula", "expected": summary_params("dense_2"),
                      "diagnosis": ["bias_size"]}]
    assert summary_params("dense_2") == 512 * 128 + 128
    for c in claims:
        assert c["diagnosis"] == [] or c["layer"] == "dense_2"
        if c["layer"] == "total":
            assert c["expected"] == SEED_SUMMARY["total"] == 6029097
        elif c["kind"] == "params":
            assert c["expected"] == summary_params(c["layer"])
    layers = [c["layer"] for c in claims]
    assert layers[0] == "conv2d_1" and layers[-1] == "total"
    if sheet.endswith(".yaml"):
        flatten = next(c for c in claims if c["layer"] == "flatten_1")
        assert flatten["kind"] == "shape" and flatten["expected"] == 19 * 19 * 32


@pytest.mark.parametrize("sheet", ["seed_worksheet.yaml", "seed_worksheet.txt"])
def test_mended_worksheet_passes(sheet, tmp_path):
    shutil.copytree(WORKSHEETS, tmp_path / "worksheets")
    text = (WORKSHEETS / sheet).read_text().replace("512 x 128 + 512 = 65664", "512 x 128 + 128 = 65664")
    mended = tmp_path / "worksheets" / sheet
    mended.write_text(text)
    result = run(str(mended), "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["all_correct"] is True


@pytest.mark.parametrize("total", ["6.029.097", "6,029,097", "6 029 097", "6\u202f029\u202f097", "6'029'097"])
def test_total_with_thousands_separators(total, tmp_path):
    sheet = tmp_path / "w.yaml"
    sheet.write_text(f"model: example:seed-cnn\nclaims:\n  - total: {total}\n", encoding="utf-8")
    result = run(str(sheet), "--format", "json")
    assert result.returncode == 0, result.stderr
    claim = json.loads(result.stdout)["claims"][0]
    assert claim == {"layer": "total", "kind": "params", "claimed": "6029097", "verdict": "correct",
                     "expected": 6029097, "diagnosis": []}


def test_injection_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    sheet = tmp_path / "w.txt"
    sheet.write_text(f'model: example:seed-cnn\nconv2d_1: __import__("os").system("touch {marker}") = 896\n')
    result = run_process(str(sheet))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(sheet) in lines[0] and "line 2" in lines[0]
    assert not marker.exists()
    yaml_sheet = tmp_path / "w.yaml"
    yaml_sheet.write_text("model: example:seed-cnn\nclaims:\n  - layer: conv2d_1\n"
                          f"    work: __import__('os').system('touch {marker}') = 896\n")
    result = run(str(yaml_sheet))
    assert result.returncode == 2 and "line 4" in result.stderr and not marker.exists()


@pytest.mark.parametrize("body, needle", [
    ("model: example:seed-cnn\nclaims:\n  - layer: dense_9\n    work: 5\n", "dense_9"),
    ("model: example:seed-cnn\nclaims:\n  - layer: 99\n    work: 5\n", "no layer 99"),
    ("model: example:seed-cnn\nclaims:\n  - layer: dense_1\n", "line 3"),
    ("model: example:seed-cnn\nclaims:\n  - layer: dense_1\n    work: 1.5\n", "line 4"),
    ("model: nowhere.yaml\nclaims:\n  - total: 5\n", "nowhere.yaml"),
    ("claims:\n  - total: 5\n", "names no model"),
    ("model: example:seed-cnn\ndense_1 = 5\n", "line 2"),
])
def test_unreadable_worksheets_exit_2_with_one_line(body, needle, tmp_path):
    sheet = tmp_path / "w.yaml"
    sheet.write_text(body)
    result = run(str(sheet))
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.stderr


def test_positions_model_override_and_verdicts(tmp_path):
    # positions count the model's layers from 1: conv2d_1 is 1, dense_3 is the last (18)
    sheet = tmp_path / "w.txt"
    sheet.write_text("1: 3 x 3 x 3 x 32 + 32 = 900\n"          # arithmetic slip: formula right
                     "18: 1161\n"                                # result only, right
                     "16 shape: 128\n"                          # dense_2's output size
                     "dense_3: 128 x 9 + 9\n"                   # formula only, right
                     "dense_3: 128 x 9 = 1161\n")               # wrong formula, right result
    result = run(str(sheet), "--model", "example:seed-cnn", "--format", "json")
    assert result.returncode == 1, result.stderr
    claims = json.loads(result.stdout)["claims"]
    assert [(c["layer"], c["kind"], c["verdict"]) for c in claims] == [
        (1, "params", "arithmetic_slip"), (18, "params", "correct"), (16, "shape", "correct"),
        ("dense_3", "params", "correct"), ("dense_3", "params", "wrong_formula")]
    assert claims[-1]["diagnosis"] == ["missing_bias"]


def test_model_path_is_relative_to_the_worksheet(tmp_path, monkeypatch):
    import explain
    monkeypatch.chdir(tmp_path)
    report = explain.check(WORKSHEETS / "seed_worksheet.yaml")
    assert not report.all_correct
    assert [c.layer for c in report.claims if not c.correct] == ["dense_2"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_feedback_formats(fmt):
    result = run(str(WORKSHEETS / "seed_worksheet.yaml"), "--format", fmt)
    assert result.returncode == 1, result.stderr
    if fmt == "text":
        out = result.stdout
        assert "dense_2" in out and "128" in out and "6 of 7" in out
        # the correct derivation of dense_2: kernel 512·128, bias 128
        assert "512·128" in out and "n_out = 128" in out


def test_explain_check_is_callable_after_the_checker_is_imported():
    import explain.checker  # noqa: F401 — the package must not shadow the function explain.check
    report = explain.check(str(WORKSHEETS / "seed_worksheet.txt"))
    assert [c.diagnosis for c in report.claims if not c.correct] == [["bias_size"]]


def test_shapes_as_keras_prints_them(tmp_path):
    # the article's summary: max_pooling2d_3 gives (None, 19, 19, 32)
    sheet = tmp_path / "w.txt"
    sheet.write_text("model: example:seed-cnn\n"
                     "max_pooling2d_3 shape: (None, 19, 19, 32)\n"
                     "max_pooling2d_3 shape: (19, 19, 32) = 11552\n"
                     "max_pooling2d_3 shape: (20, 20, 32)\n")
    result = run(str(sheet), "--format", "json")
    claims = json.loads(result.stdout)["claims"]
    assert [(c["claimed"], c["verdict"]) for c in claims] == [
        ("19*19*32", "correct"), ("19*19*32 = 11552", "correct"), ("20*20*32", "wrong")]
    assert claims[0]["expected"] == 19 * 19 * 32
    assert "output_off_by_one" in claims[2]["diagnosis"] and "wrong_padding" in claims[2]["diagnosis"]


def test_total_from_the_articles_dense_2_line(tmp_path):
    # the article's dense_2 line (512·128 + 512) carried into the total: 384 too many
    sheet = tmp_path / "w.txt"
    wrong_total = 6029097 - (512 * 128 + 128) + (512 * 128 + 512)
    sheet.write_text(f"model: example:seed-cnn\ntotal: {wrong_total:,}\n")
    claim = json.loads(run(str(sheet), "--format", "json").stdout)["claims"][0]
    assert (claim["verdict"], claim["expected"], claim["diagnosis"]) == ("wrong", 6029097, ["bias_size"])


def test_a_yaml_worksheet_with_an_alias_names_the_alias(tmp_path, capsys):
    from explain.cli import main

    sheet = tmp_path / "alias.yaml"
    sheet.write_text("model: example:seed-cnn\nclaims:\n"
                     "  - &a {layer: dense_2, work: 512 x 128 + 128 = 65664}\n  - *a\n")
    assert main(["check", str(sheet)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "aliases (*a) are not allowed (line 4)" in err and str(sheet) in err
