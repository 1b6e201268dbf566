"""``--annotate``: the document written back with a note after each wrong calculation, and
otherwise byte for byte as it was. Markdown: a quoted note after the paragraph, table or list
item; LaTeX: a ``\\marginpar`` after the line (after the environment, where the line is in math,
a table or a float, where a margin note cannot stand); plain text: a line after the line;
notebooks: a Markdown cell after the cell. The copy goes to a new file (never over the
document), written completely to a temporary file first and then moved into place.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ...errors import ExplainError
from ...files import write_atomic

WRONG = ("wrong", "wrong_formula", "arithmetic_slip")


def annotated_path(path: str, target: str | None) -> Path:
    source = Path(path)
    out = Path(target) if target else source.with_name(f"{source.stem}.checked{source.suffix}")
    try:
        same = out.exists() and out.resolve() == source.resolve()
    except OSError:
        same = False
    if same:
        raise ExplainError("--annotate never writes over the document; name another file", file=str(out))
    return out


_NOTE = ('{% from "common/check.j2" import say, label %}{{ label(e) }}: {{ _(e.verdict) }}.'
         '{% for s in e.sentences[skip:] %} {{ say(s) }}{% endfor %}')


def notes(report, lang: str, format: str) -> dict[int, list[str]]:
    """The note for each wrong claim, by the claim's index in the report: the layer, the verdict,
    its sentences (not the place and attribution: the note stands at the place)."""
    from ...render.i18n import environment
    from ...render.view import Formatter
    from ..report import sheet_facts
    facts = sheet_facts(report, Formatter(format, lang, report.model))
    template = environment(lang, format).from_string(_NOTE)
    out: dict[int, list[str]] = {}
    for i, (claim, entry) in enumerate(zip(report.claims, facts["entries"])):
        if claim.verdict not in WRONG:
            continue
        skip = 2 if claim.place is not None else 0
        out[i] = [" ".join(template.render(e=entry, skip=skip).split())]
    return out


def write_annotated(report, target: str | None, lang: str = "en") -> Path:
    doc = getattr(report, "document", None)
    if doc is None:
        raise ExplainError("--annotate writes documents back; this is a worksheet", file=report.worksheet)
    if doc.format == "pdf":
        raise ExplainError("a PDF cannot be annotated; the report gives each calculation's page and "
                           "line", file=doc.path)
    out = annotated_path(doc.path, target)
    data = doc.data
    bom, encoding = _encoding(data)
    text = data[len(bom):].decode(encoding)
    if doc.format == "notebook":
        new = _notebook(text, report, lang)
    else:
        fmt = {"markdown": "markdown", "latex": "latex"}.get(doc.format, "text")
        new = _lines(text, doc.format, report, notes(report, lang, fmt))
    write_atomic(str(out), bom + new.encode(encoding))
    return out


def _encoding(data: bytes) -> tuple[bytes, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return b"\xef\xbb\xbf", "utf-8"
    if data.startswith(b"\xff\xfe"):
        return b"\xff\xfe", "utf-16-le"
    if data.startswith(b"\xfe\xff"):
        return b"\xfe\xff", "utf-16-be"
    return b"", "utf-8"


# ----------------------------------------------------------------------------- line formats

_TEX_BLOCKS = re.compile(r"\\begin\{(equation\*?|align\*?|gather\*?|multline\*?|eqnarray\*?|displaymath|"
                         r"math|tabular\*?|tabularx|longtable|table\*?|figure\*?|array|minipage|"
                         r"verbatim\*?|lstlisting|minted|center)\}")


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _lines(text: str, fmt: str, report, by_claim: dict[int, list[str]]) -> str:
    lines = text.splitlines(keepends=True)
    nl = _newline(text)
    after: dict[int, list[str]] = {}
    for i, claim in enumerate(report.claims):
        if i not in by_claim or claim.found is None or claim.found.line.file_line is None:
            continue
        index = claim.found.line.file_line
        if fmt == "markdown":
            index = _markdown_end(lines, index)
        elif fmt == "latex":
            index = _latex_end(lines, index)
        after.setdefault(index, []).append(" ".join(by_claim[i]))
    if lines and not lines[-1].endswith(("\n", "\r")) and after.get(len(lines) - 1):
        lines[-1] += nl
    out = []
    for k, line in enumerate(lines):
        out.append(line)
        for note in after.get(k, []):
            out.append(_note(fmt, note, nl))
    return "".join(out)


def _note(fmt: str, note: str, nl: str) -> str:
    if fmt == "markdown":
        return f"{nl}> **explain:** {note}{nl}"
    if fmt == "latex":
        return f"\\marginpar{{\\raggedright\\footnotesize\\textbf{{explain:}} {note}}}%{nl}"
    return f"    ^ explain: {note}{nl}"


def _markdown_end(lines: list[str], index: int) -> int:
    """The last line of the paragraph, table or list item that holds line ``index``."""
    k = index
    while k + 1 < len(lines) and lines[k + 1].strip():
        k += 1
    return k


def _latex_end(lines: list[str], index: int) -> int:
    """The line itself, or the end of the math, table or float environment around it (a margin
    note cannot stand there)."""
    stack: list[str] = []
    display = False
    for k, line in enumerate(lines):
        code = re.sub(r"(?<!\\)%.*", "", line)
        for m in re.finditer(r"\\(begin|end)\{([^}]*)\}|\\\[|\\\]|\$\$", code):
            token = m.group(0)
            if token == "\\[" or (token == "$$" and not display):
                display = True
            elif token == "\\]" or token == "$$":
                display = False
            elif m.group(1) == "begin" and _TEX_BLOCKS.match(token):
                stack.append(m.group(2))
            elif m.group(1) == "end" and stack and stack[-1] == m.group(2):
                stack.pop()
        if k >= index and not stack and not display:
            return k
    return len(lines) - 1


# ----------------------------------------------------------------------------- notebooks

def _notebook(text: str, report, lang: str) -> str:
    """A Markdown cell after each cell with a wrong calculation, inserted into the JSON text so
    that everything else stays as it was."""
    by_claim = notes(report, lang, "markdown")
    by_cell: dict[int, list[str]] = {}
    for i, claim in enumerate(report.claims):
        if i in by_claim and claim.place and "cell" in claim.place:
            by_cell.setdefault(claim.place["cell"], []).append(" ".join(by_claim[i]))
    if not by_cell:
        return text
    spans = _cell_spans(text)
    nb = json.loads(text)
    with_ids = (nb.get("nbformat", 4), nb.get("nbformat_minor", 0)) >= (4, 5)
    out, last = [], 0
    for n, (start, end) in enumerate(spans, 1):
        if n not in by_cell:
            continue
        indent = _indent(text, start)
        lines = []
        for note in by_cell[n]:
            lines += [f"> **explain:** {note}\n", "\n"]
        lines[-1:] = []
        cell = {"cell_type": "markdown", "metadata": {}, "source": lines}
        if with_ids:
            cell = {"cell_type": "markdown", "id": f"explain-note-{n}", "metadata": {}, "source": lines}
        body = json.dumps(cell, ensure_ascii=False, indent=1)
        body = body.replace("\n", "\n" + indent)
        out.append(text[last:end])
        out.append(",\n" + indent + body)
        last = end
    out.append(text[last:])
    return "".join(out)


def _indent(text: str, start: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    prefix = text[line_start:start]
    return prefix if not prefix.strip() else ""


def _cell_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each element of the top-level ``cells`` array."""
    i = _skip_ws(text, 0)
    if text[i] != "{":
        raise ExplainError("is not a notebook object")
    i += 1
    while True:
        i = _skip_ws(text, i)
        if text[i] == "}":
            break
        key_end = _string_end(text, i)
        key = json.loads(text[i:key_end])
        i = _skip_ws(text, key_end)
        i = _skip_ws(text, i + 1)  # ':'
        if key == "cells":
            return _array_items(text, i)
        i = _skip_ws(text, _value_end(text, i))
        if text[i] == ",":
            i += 1
    return []


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _string_end(text: str, i: int) -> int:
    j = i + 1
    while text[j] != '"':
        j += 2 if text[j] == "\\" else 1
    return j + 1


def _value_end(text: str, i: int) -> int:
    if text[i] == '"':
        return _string_end(text, i)
    if text[i] in "[{":
        depth, j = 0, i
        while True:
            c = text[j]
            if c == '"':
                j = _string_end(text, j)
                continue
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
    j = i
    while j < len(text) and text[j] not in ",]} \t\r\n":
        j += 1
    return j


def _array_items(text: str, i: int) -> list[tuple[int, int]]:
    out = []
    i = _skip_ws(text, i + 1)
    while text[i] != "]":
        end = _value_end(text, i)
        out.append((i, end))
        i = _skip_ws(text, end)
        if text[i] == ",":
            i = _skip_ws(text, i + 1)
    return out
