"""Exercise sheets: ``explain exercise MODEL`` (SPEC.md, "Exercise sheets").

From a spec (a file or ``example:NAME``) it makes one exercise, or ``--variants N`` drawn with
``--seed S`` (:mod:`.variants`), one per student of a ``--students`` roster if given; for each
an exercise sheet (:mod:`.sheet`, no answer on it), a solution sheet (the derivation) and an
answer form (:mod:`.form`), or with ``--format moodle`` one Moodle XML quiz (:mod:`.moodle`).
Everything is made in memory first; the files are written only when all of it is complete.

Layout of the ``--out`` folder (``EXT``: ``md`` or ``tex``; ``NAME``: the variant's id, or with a
roster the student's file name, ``ada-lovelace``)::

    exercises/NAME.EXT     the exercise sheet
    solutions/NAME.EXT     its solution sheet
    answers/NAME.yaml      the blank answer form (the student fills it in; explain check grades it)
    variants.csv           variant, student, exercise, solution, answers (one row per sheet)
    quiz.xml               with --format moodle: one Cloze question per variant (and nothing else)
"""
from __future__ import annotations

import csv
import io
import os
import random
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from ..errors import ExplainError
from .sheet import ASK, SHOW, Assignment
from .variants import VARY, Variant, draw, make_variant, parse_vary

__all__ = ["ASK", "SHOW", "VARY", "Assignment", "assignments", "exercise_files", "parse_ask", "read_roster",
           "read_spec", "write_files"]

MAX_STUDENTS = 5000
MAX_ROSTER_BYTES = 1024 * 1024


def read_spec(source: str) -> dict[str, Any]:
    """The spec (a dict) of ``source``: a YAML or JSON spec file or ``example:NAME``."""
    from ..importers import EXAMPLES, examples
    from ..importers.textfile import decode, parse_json, parse_yaml, read_bytes
    if source.startswith("example:"):
        name = source[len("example:"):]
        if name not in examples():
            raise ExplainError(f"no bundled example '{name}' (there are: {', '.join(examples())})", file=source)
        spec = parse_yaml((EXAMPLES / f"{name}.yaml").read_text("utf-8"), source)
        spec.setdefault("name", name)
        return spec
    text = decode(read_bytes(source), source)
    parsed = parse_json(text, source) if text.lstrip().startswith("{") else parse_yaml(text, source)
    if not isinstance(parsed, dict) or "layers" not in parsed or "class_name" in parsed:
        raise ExplainError("an exercise is made from a model spec (YAML or JSON with 'input' and 'layers') "
                           "or example:NAME", file=source)
    parsed.setdefault("name", Path(source).stem)
    return parsed


def parse_ask(text: str) -> tuple[str, ...]:
    """``--ask``'s comma list, checked, in :data:`ASK` order."""
    items = {item.strip() for item in text.split(",") if item.strip()}
    unknown = sorted(items - set(ASK))
    if unknown or not items:
        raise ExplainError(f"--ask takes a comma list of {', '.join(ASK)}. Received: {text!r}")
    return tuple(k for k in ASK if k in items)


def read_roster(path: str) -> list[str]:
    """The students of a roster CSV: a ``name`` (or ``student``) column, or the first column;
    a header row is recognised by that name. Names must be distinct and not empty."""
    from ..importers.textfile import decode, read_bytes
    text = decode(read_bytes(path, MAX_ROSTER_BYTES), path, "a CSV roster")
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as e:
        raise ExplainError(f"is not a readable CSV roster ({e})", file=path) from None
    if not rows:
        raise ExplainError("the roster names no student", file=path)
    column = 0
    header = [cell.strip().lower() for cell in rows[0]]
    for key in ("name", "student", "student_name", "nom", "nombre", "名前", "氏名"):
        if key in header:
            column = header.index(key)
            rows = rows[1:]
            break
    if len(rows) > MAX_STUDENTS:
        raise ExplainError(f"more than {MAX_STUDENTS} students", file=path)
    names: list[str] = []
    for number, row in enumerate(rows, 1):
        name = " ".join(row[column].split()) if column < len(row) else ""
        if not name:
            raise ExplainError(f"row {number}: a student without a name", file=path)
        if any(unicodedata.category(ch)[0] == "C" for ch in name) or len(name) > 200:
            raise ExplainError(f"row {number}: the name has control characters or is longer than "
                               f"200 characters", file=path)
        names.append(name)
    twice = sorted(n for n, times in Counter(names).items() if times > 1)
    if twice:
        raise ExplainError(f"the roster names {twice[0]!r} twice", file=path)
    if not names:
        raise ExplainError("the roster names no student", file=path)
    return names


def assignments(source: str, variants: int | None = None, seed: int = 0, vary: str | None = None,
                students: Sequence[str] = (), ask: tuple[str, ...] = ("shapes", "params"),
                show: str = "table") -> list[Assignment]:
    """The sheets to make: the model itself, or ``variants`` drawn from it; with ``students``,
    one per student (variant k of a seeded shuffle, so each variant is used as evenly as the
    numbers allow)."""
    keys = parse_vary(vary)
    spec = read_spec(source)
    base = make_variant(spec, source)
    wanted = variants if variants is not None else (len(students) if students else None)
    try:
        pool: list[Variant] = draw(base, wanted, seed, keys) if wanted is not None else [base]
    except ExplainError as e:
        raise e.located(file=source) from None
    if not students:
        return [Assignment(v, None, ask, show, f"answers/{v.id}.yaml", v.id != base.id) for v in pool]
    order = list(range(len(pool)))
    random.Random(seed).shuffle(order)
    out = []
    names = _file_names(students)
    for i, student in enumerate(students):
        v = pool[order[i % len(pool)]]
        out.append(Assignment(v, student, ask, show, f"answers/{names[i]}.yaml", v.id != base.id))
    return out


def _file_names(students: Sequence[str]) -> list[str]:
    """A file name for each student: letters and digits of the name, lower case, joined by -
    (``Ada Lovelace`` → ``ada-lovelace``); a number where that is empty or taken."""
    out: list[str] = []
    for i, name in enumerate(students, 1):
        base = re.sub(r"[^\w]+", "-", unicodedata.normalize("NFKC", name).lower()).strip("-_")[:60] or f"student-{i}"
        candidate, n = base, 1
        while candidate in out:
            n += 1
            candidate = f"{base}-{n}"
        out.append(candidate)
    return out


def exercise_files(items: list[Assignment], lang: str = "en", format: str = "markdown") -> dict[str, str]:
    """Every file of the ``--out`` folder, path → text (see the module's layout)."""
    from ..render import render_document
    files: dict[str, str] = {}
    if format == "moodle":
        from .moodle import quiz
        files["quiz.xml"] = quiz(items, lang)
        return files
    ext = {"markdown": "md", "latex": "tex"}.get(format)
    if ext is None:
        raise ExplainError(f"an exercise is written as markdown, latex or moodle, not '{format}'")
    from .form import form_text
    rows = [("variant", "student", "exercise", "solution", "answers")]
    for a in items:
        stem = Path(a.form or a.variant.id).stem
        exercise, solution = f"exercises/{stem}.{ext}", f"solutions/{stem}.{ext}"
        files[exercise] = render_document("exercise", a, lang=lang, format=format)
        files[solution] = render_document("solution", a, lang=lang, format=format)
        files[a.form or f"answers/{stem}.yaml"] = form_text(a.variant, a.ask, a.student, lang)
        rows.append((a.variant.id, a.student or "", exercise, solution, a.form or ""))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    files["variants.csv"] = out.getvalue()
    return files


def write_files(folder: str, files: dict[str, str]) -> None:
    """The files into ``folder`` (created if missing), each written whole (a temporary file moved
    into place), after all of them were made."""
    from ..files import write_atomic
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ExplainError("--out must be a folder", file=folder)
    encoded = {name: text.encode("utf-8") for name, text in files.items()}
    for name, data in encoded.items():
        path = os.path.join(folder, name)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        except OSError as e:
            raise ExplainError(f"cannot create the folder ({e.strerror or e})", file=os.path.dirname(path)) from None
        write_atomic(path, data)

