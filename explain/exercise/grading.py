"""Grading filled-in answer forms with the checker.

Each answer becomes a worksheet claim and is judged by :func:`explain.checker.check_model`. A
wrong answer that is right for the student's own (wrong) output shape of the layer before it is
an error carried forward: the layer is derived again from that shape (a one-layer spec whose
input is the claimed shape) and, where the answer equals what it gives, the claim's first
diagnosis is ``carried_forward`` with the layer it comes from. The lecturer may give it part of
the points (:data:`POINTS`).

``grade_folder`` grades every ``*.yaml`` form of a folder: one CSV row per blank (student,
variant, claim, verdict, points) and a summary per student.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..checker import Claim, Report, check_model, claimed_axes
from ..checker.mistakes import Variant as Mistake
from ..checker.worksheet import RawClaim, Worksheet, _raw, shape_tuple
from ..errors import ExplainError
from .form import FilledForm, read_form
from .spec_text import layer_items
from .variants import with_restated, without_restated

POINTS = {"correct": Fraction(1), "carried_forward": Fraction(1, 2)}
"""Points per blank: 1 for a correct answer, ½ for an error carried forward, else 0."""
MAX_FORMS = 5000
CSV_COLUMNS = ("student", "variant", "claim", "verdict", "points")
SUMMARY_COLUMNS = ("student", "variant", "points", "max_points", "correct", "carried_forward", "wrong",
                   "unanswered", "file")


@dataclass
class Graded:
    """A form's report (None when no blank was filled in) and one row per blank."""

    form: FilledForm
    report: Report | None
    rows: list[dict[str, str]]


def check_form(path: str) -> Report:
    """``explain check FORM``: the checker's report on the blanks filled in, with errors carried
    forward marked."""
    form = read_form(path)
    report = _report(form)
    if report is None:
        raise ExplainError("no blank of the answer form is filled in: there is nothing to check", file=path)
    return report


def _report(form: FilledForm) -> Report | None:
    claims = [_raw(a.layer, a.kind, a.text, a.line) for a in form.answers if a.text]
    if not claims:
        return None
    report = check_model(Worksheet(form.path, None, tuple(claims)), form.variant.model)
    mark_carried_forward(form, report)
    return report


def mark_carried_forward(form: FilledForm, report: Report) -> None:
    """A wrong layer answer that the student's own wrong output shape of the layer feeding it
    gives: diagnosis ``carried_forward`` (named first), with that layer and shape."""
    claimed_shapes: dict[str, tuple[int, ...]] = {}
    for c in report.claims:
        if c.node is not None and c.kind == "shape" and not c.correct:
            dims = _dims(c)
            if dims is not None:
                claimed_shapes[c.node.name] = dims
    if not claimed_shapes:
        return
    items = {name: (type_name, args) for name, type_name, args in layer_items(form.variant.spec)}
    for c in report.claims:
        if c.node is None or c.correct or c.kind not in ("shape", "params") or c.work is None:
            continue
        node = c.node
        if len(node.inputs) != 1 or node.inputs[0] not in claimed_shapes or node.name not in items:
            continue
        source = node.inputs[0]
        again = _derive_again(items[node.name], claimed_shapes[source], form.variant.spec)
        if again is None:
            continue
        value = again[0] if c.kind == "params" else again[1]
        written = c.work.result_value if c.work.result_value is not None else c.work.formula_value
        if value is not None and written == value:
            v = Mistake("carried_forward", value, {"source": source, "shape": claimed_shapes[source]})
            c.mistakes = [v] + [m for m in c.mistakes if m.code != "carried_forward"]
            c.diagnosis = list(dict.fromkeys(m.code for m in c.mistakes))


def _dims(c: Claim) -> tuple[int, ...] | None:
    """The sizes a shape claim gives per axis, where it gives them all."""
    raw = RawClaim(c.layer, "shape", c.text, c.work, c.line)
    tup = shape_tuple(c.text)
    axes = list(tup[0]) if tup is not None else claimed_axes(raw)
    if axes is None and c.work is not None and c.work.formula is None and c.work.result_value is not None:
        axes = [c.work.result_value]  # one number: a vector's size
    if not axes or any(a is None or a <= 0 for a in axes):
        return None
    return tuple(int(a) for a in axes if a is not None)


def _derive_again(item: tuple[str, dict[str, Any]], shape: tuple[int, ...],
                  spec: dict[str, Any]) -> tuple[int, int] | None:
    """(parameters, output size) of the layer ``item`` on an input of ``shape``; None where
    that input does not fit the layer."""
    from ..importers.spec import load_spec
    type_name, args = item
    own = {k: v for k, v in args.items() if k not in ("inputs", "shares")}
    one = {"name": "again", "input": list(shape), "layers": [{type_name: own}]}
    if "framework" in spec:
        one["framework"] = spec["framework"]
    if "symbols" in spec:
        one["symbols"] = spec["symbols"]
    try:
        model = load_spec(with_restated(without_restated(one)))  # PyTorch: in_features from the shape
        node = model.nodes[0]
        dims = model.evaluate_shape(node.output_shape)
        if any(d is None for d in dims):
            return None
        size = 1
        for d in dims:
            size *= int(d)  # type: ignore[arg-type]
        return model.evaluate(node.params), size
    except (ExplainError, ValueError, TypeError, ZeroDivisionError):
        return None


def verdict_of(c: Claim) -> str:
    """The grade's verdict: the checker's, or ``carried_forward`` where that is its diagnosis."""
    if not c.correct and c.diagnosis[:1] == ["carried_forward"]:
        return "carried_forward"
    return c.verdict


def grade(path: str) -> Graded:
    form = read_form(path)
    report = _report(form)
    by_line = {c.line: c for c in report.claims} if report is not None else {}
    rows = []
    for a in form.answers:
        label = a.kind if a.layer == "total" else f"{a.layer} {a.kind}"
        c = by_line.get(a.line) if a.text else None
        verdict = verdict_of(c) if c is not None else "unanswered"
        rows.append({"student": form.student, "variant": form.variant.id, "claim": label,
                     "verdict": verdict, "points": _points(POINTS.get(verdict, Fraction(0)))})
    return Graded(form, report, rows)


def _points(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{float(x):g}"


def _forms(base: Path) -> list[Path]:
    """The answer forms of a folder, sorted. Hidden files and CSV files (the grades written
    before) are passed over; anything else that is not a regular ``.yaml`` file (a symbolic
    link, a folder, a device, a PDF or text a student handed in instead) is one line naming it,
    so that no hand-in goes ungraded unnoticed and nothing outside the folder is read."""
    files: list[Path] = []
    for entry in os.scandir(base):
        path = Path(entry.path)
        if entry.name.startswith(".") or (path.suffix.lower() == ".csv" and entry.is_file(follow_symlinks=False)):
            continue
        if entry.is_symlink():
            raise ExplainError("is a symbolic link; put the answer form itself into the folder", file=str(path))
        if entry.is_dir(follow_symlinks=False):
            raise ExplainError("is a folder; --grade reads the answer forms directly in the folder it is given",
                               file=str(path))
        if not entry.is_file(follow_symlinks=False):
            raise ExplainError("is not a regular file", file=str(path))
        if path.suffix.lower() not in (".yaml", ".yml"):
            raise ExplainError("is not an answer form (*.yaml); move it out of the folder to grade the others",
                               file=str(path))
        files.append(path)
        if len(files) > MAX_FORMS:
            raise ExplainError(f"more than {MAX_FORMS} answer forms", file=str(base))
    return sorted(files)


def grade_folder(folder: str) -> tuple[str, str]:
    """The CSV of every blank of every form in ``folder`` and the summary CSV per student."""
    base = Path(folder)
    if not base.is_dir():
        raise ExplainError("--grade takes a folder of filled-in answer forms", file=folder)
    files = _forms(base)
    if not files:
        raise ExplainError("the folder has no answer forms (*.yaml)", file=folder)
    graded = [grade(str(p)) for p in files]
    rows = io.StringIO()
    writer = csv.DictWriter(rows, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    summary = io.StringIO()
    totals = csv.DictWriter(summary, SUMMARY_COLUMNS, lineterminator="\n")
    totals.writeheader()
    for g, path in zip(graded, files):
        writer.writerows(g.rows)
        points = sum((Fraction(r["points"]) for r in g.rows), Fraction(0))
        counts = {k: sum(1 for r in g.rows if r["verdict"] == k) for k in ("correct", "carried_forward", "unanswered")}
        totals.writerow({"student": g.form.student, "variant": g.form.variant.id, "points": _points(points),
                         "max_points": len(g.rows), "correct": counts["correct"],
                         "carried_forward": counts["carried_forward"],
                         "wrong": len(g.rows) - sum(counts.values()), "unanswered": counts["unanswered"],
                         "file": path.name})
    return rows.getvalue(), summary.getvalue()


def grade_command(folder: str, worksheet: str | None, output: str | None) -> int:
    """``explain check --grade DIR [-o FILE]``: the CSV to FILE (default ``grades.csv``), the
    summary to ``FILE``'s name with ``.summary.csv`` and to standard output."""
    import sys
    from ..files import write_atomic
    if worksheet is not None:
        raise ExplainError("usage: --grade DIR grades a folder; give no worksheet beside it")
    rows, summary = grade_folder(folder)
    target = output or "grades.csv"
    stem = target[:-4] if target.lower().endswith(".csv") else target
    write_atomic(target, rows.encode("utf-8"))
    write_atomic(stem + ".summary.csv", summary.encode("utf-8"))
    sys.stdout.write(summary)
    return 0
