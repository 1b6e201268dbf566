"""Reading a document into lines that know their place and kind (prose, code or output).

Markdown (fenced and indented code), LaTeX (verbatim-like environments), plain text (code lines
recognised with :mod:`ast`), Jupyter notebooks (Markdown, code and output of each cell; the JSON
is bounded in size and depth before it is parsed) and PDF (the text layer, through pypdf).
Nothing is executed; code is only parsed.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...errors import ExplainError
from ...importers.textfile import decode, read_bytes

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
MAX_JSON_DEPTH = 64
MAX_CELLS = 5000
MAX_PDF_PAGES = 500
MAX_PDF_CHARS = MAX_DOCUMENT_BYTES
"""Text extracted from a PDF, over all its pages; past it the PDF is refused."""
MAX_CODE_STATEMENT_LINES = 40
FORMATS = ("markdown", "latex", "text", "notebook", "pdf")


@dataclass(frozen=True)
class Line:
    """One line of the document. ``number`` counts from 1 within the file, the notebook cell
    (its source or its output) or the PDF page."""

    text: str
    number: int
    kind: str = "prose"  # prose, code, output
    cell: int | None = None
    page: int | None = None
    block: int = 0
    """Code and output lines: which block they belong to (consecutive lines share one)."""
    file_line: int | None = None
    """Markdown, LaTeX, text: the 0-based index of this line in the file (for annotating)."""

    def place(self) -> dict:
        out: dict = {"line": self.number}
        if self.cell is not None:
            out["cell"] = self.cell
            if self.kind == "output":
                out["output"] = True
        if self.page is not None:
            out["page"] = self.page
        return out


@dataclass
class Document:
    path: str
    format: str
    lines: list[Line]
    text: str = ""
    """The document as read (Markdown, LaTeX, text, notebook JSON); empty for PDF."""
    cells: list[dict] = field(default_factory=list)
    data: bytes = b""
    """The bytes read (within the size limit), which ``--annotate`` writes back changed."""


def document_format(path: str, data: bytes) -> str:
    suffix = Path(path).suffix.lower()
    if data.startswith(b"%PDF-") or suffix == ".pdf":
        return "pdf"
    if suffix == ".ipynb":
        return "notebook"
    if suffix in (".md", ".markdown", ".mdown"):
        return "markdown"
    if suffix in (".tex", ".ltx", ".latex"):
        return "latex"
    return "text"


def is_document(path: str) -> bool:
    """Markdown, LaTeX, notebooks and PDF are documents; a text file is one unless it reads as a
    worksheet (a ``model:`` line, a YAML ``claims:`` list, or only ``LAYER: WORK`` lines)."""
    data = read_bytes(path, MAX_DOCUMENT_BYTES)
    fmt = document_format(path, data)
    if fmt != "text":
        return True
    text = decode(data, path)
    if re.search(r"^\s*(model|claims)\s*:", text, re.MULTILINE):
        return False
    from ..worksheet import read_worksheet
    try:
        read_worksheet(path)
    except ExplainError:
        return True
    return False


def read_document(path: str) -> Document:
    """The document at ``path``; ExplainError (one line) when it cannot be read."""
    data = read_bytes(path, MAX_DOCUMENT_BYTES)
    fmt = document_format(path, data)
    if fmt == "pdf":
        return Document(path, fmt, _pdf_lines(path, data), data=data)
    text = decode(data, path)
    if fmt == "notebook":
        return replace(_notebook(path, text), data=data)
    if fmt == "markdown":
        return Document(path, fmt, _markdown_lines(text.splitlines()), text, data=data)
    if fmt == "latex":
        return Document(path, fmt, _latex_lines(text.splitlines()), text, data=data)
    return Document(path, fmt, _text_lines(text.splitlines()), text, data=data)


# ----------------------------------------------------------------------------- code recognition

_CODE_STATEMENTS = (ast.Import, ast.ImportFrom, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For,
                    ast.With, ast.FunctionDef, ast.ClassDef, ast.If, ast.Return, ast.While)
_CODE_START = re.compile(r"^\s*(?:from\s+[\w.]+\s+import\b|import\s+\w|def\s+\w|class\s+\w|for\s+\w|"
                         r"with\s+\w|@\w|[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*(?:=(?!=)|\+=|\())")


def _parses(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _looks_like_code(tree: ast.Module) -> bool:
    if not tree.body:
        return False
    for stmt in tree.body:
        if isinstance(stmt, _CODE_STATEMENTS):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            continue
        return False
    return True


def is_python(text: str) -> bool:
    tree = _parses(text)
    return tree is not None and _looks_like_code(tree)


def _text_lines(raw: list[str], page: int | None = None, start_block: int = 0) -> list[Line]:
    """Plain text: a line (or a statement over a few lines) that is Python is code; blank lines
    and comments between code lines stay in the same block."""
    kinds = ["prose"] * len(raw)
    i = 0
    while i < len(raw):
        line = raw[i]
        if _CODE_START.match(line):
            stripped = line.strip()
            if is_python(stripped):
                kinds[i] = "code"
                i += 1
                continue
            if stripped.endswith(":"):
                j = _block_end(raw, i)
                if is_python(_dedent(raw[i:j + 1])):
                    for k in range(i, j + 1):
                        kinds[k] = "code"
                    i = j
                i += 1
                continue
            balance = _balance(line)
            if balance <= 0:
                i += 1
                continue  # a statement over several lines opens a bracket or a block
            for j in range(i + 1, min(len(raw), i + MAX_CODE_STATEMENT_LINES)):
                balance += _balance(raw[j])
                if balance > 0:
                    continue  # parse only where the brackets close
                if is_python(_dedent(raw[i:j + 1])):
                    for k in range(i, j + 1):
                        kinds[k] = "code"
                    i = j
                break
        i += 1
    # comment lines right before code belong to it
    for i in range(len(raw) - 2, -1, -1):
        if kinds[i] == "prose" and raw[i].lstrip().startswith("#") and kinds[i + 1] == "code" \
                and not raw[i].lstrip().startswith("# "):
            kinds[i] = "code"
    out, block, previous = [], start_block, "prose"
    for n, (text, kind) in enumerate(zip(raw, kinds), 1):
        if kind == "code" and previous != "code":
            block += 1
        if text.strip():
            previous = kind
        out.append(Line(text, n, kind, page=page, block=block if kind == "code" else 0, file_line=n - 1))
    return out


def _block_end(raw: list[str], i: int) -> int:
    """The last line of the block that line ``i`` (ending in ':') opens: the lines indented
    deeper than it (blank lines inside included)."""
    def indent(s: str) -> int:
        return len(s) - len(s.lstrip())
    j, last = i + 1, i
    while j < len(raw) and j - i < 400 and (not raw[j].strip() or indent(raw[j]) > indent(raw[i])):
        if raw[j].strip():
            last = j
        j += 1
    return last


def _balance(line: str) -> int:
    return sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")


def _dedent(lines: list[str]) -> str:
    import textwrap
    return textwrap.dedent("\n".join(lines))


# ----------------------------------------------------------------------------- Markdown

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([\w+-]*)")


def _markdown_lines(raw: list[str], cell: int | None = None, start_block: int = 0,
                    offset: int = 0) -> list[Line]:
    out: list[Line] = []
    block = start_block
    i = 0
    while i < len(raw):
        m = _FENCE.match(raw[i])
        if m:
            fence, info = m.group(2), m.group(3).lower()
            j = i + 1
            while j < len(raw) and not raw[j].lstrip().startswith(fence):
                j += 1
            body = raw[i + 1:j]
            kind = "code" if info in ("python", "py", "python3", "ipython", "") and is_python(_dedent(body)) \
                else "output"
            block += 1
            out.append(Line(raw[i], i + 1, "prose", cell, file_line=offset + i))
            out += [Line(t, k + 1, kind, cell, block=block, file_line=offset + k)
                    for k, t in enumerate(raw[i + 1:j], i + 1)]
            if j < len(raw):
                out.append(Line(raw[j], j + 1, "prose", cell, file_line=offset + j))
            i = j + 1
            continue
        if raw[i].startswith(("    ", "\t")) and raw[i].strip() and (i == 0 or not raw[i - 1].strip()) \
                and not _in_list(raw, i):
            j = i
            while j < len(raw) and (raw[j].startswith(("    ", "\t")) or not raw[j].strip()):
                j += 1
            body = raw[i:j]
            kind = "code" if is_python(_dedent(body)) else "output"
            block += 1
            out += [Line(t, k + 1, kind if t.strip() else "prose", cell, block=block, file_line=offset + k)
                    for k, t in enumerate(body, i)]
            i = j
            continue
        out.append(Line(raw[i], i + 1, "prose", cell, file_line=offset + i))
        i += 1
    return out


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def _in_list(raw: list[str], i: int) -> bool:
    for k in range(i - 1, -1, -1):
        if not raw[k].strip():
            continue
        return bool(_LIST_ITEM.match(raw[k])) or raw[k].startswith(("    ", "\t"))
    return False


# ----------------------------------------------------------------------------- LaTeX

_VERBATIM = re.compile(r"\\begin\{(verbatim\*?|Verbatim|lstlisting|minted|BVerbatim|python|pycode)\}")


def _latex_lines(raw: list[str]) -> list[Line]:
    out: list[Line] = []
    block = 0
    i = 0
    while i < len(raw):
        m = _VERBATIM.search(raw[i])
        if m:
            end = "\\end{" + m.group(1) + "}"
            j = i + 1
            while j < len(raw) and end not in raw[j]:
                j += 1
            body = raw[i + 1:j]
            kind = "code" if is_python(_dedent(body)) else "output"
            block += 1
            out.append(Line(raw[i], i + 1, "prose", file_line=i))
            out += [Line(t, k + 1, kind, block=block, file_line=k) for k, t in enumerate(body, i + 1)]
            if j < len(raw):
                out.append(Line(raw[j], j + 1, "prose", file_line=j))
            i = j + 1
            continue
        out.append(Line(raw[i], i + 1, "prose", file_line=i))
        i += 1
    return out


# ----------------------------------------------------------------------------- notebooks

def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects (strings skipped), without parsing."""
    depth = deepest = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


def _source(value, path: str, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return "".join(value)
    raise ExplainError(f"{where}: 'source' must be text or a list of text", file=path)


def _notebook(path: str, text: str) -> Document:
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ExplainError(f"is nested more than {MAX_JSON_DEPTH} levels deep (not a notebook)", file=path)
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as e:
        raise ExplainError(f"is not a notebook: invalid JSON at line {e.lineno}", file=path) from None
    except (RecursionError, ValueError):
        raise ExplainError("is not a notebook: its JSON cannot be read", file=path) from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise ExplainError("is not a Jupyter notebook (it has no 'cells' list)", file=path)
    if len(cells) > MAX_CELLS:
        raise ExplainError(f"has more than {MAX_CELLS} cells", file=path)
    lines: list[Line] = []
    block = 0
    for n, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            raise ExplainError(f"cell {n} is not an object", file=path)
        kind = cell.get("cell_type")
        src = _source(cell.get("source", ""), path, f"cell {n}").splitlines()
        if kind == "markdown":
            lines += _markdown_lines(src, cell=n, start_block=block)
            block = max([block] + [x.block for x in lines])
        elif kind == "code":
            block += 1
            lines += [Line(t, k, "code", n, block=block) for k, t in enumerate(_no_magic(src), 1)]
            out_text = []
            for output in cell.get("outputs", []) or []:
                if not isinstance(output, dict):
                    continue
                if "text" in output:
                    out_text.append(_source(output["text"], path, f"cell {n} output"))
                data = output.get("data")
                if isinstance(data, dict) and "text/plain" in data:
                    out_text.append(_source(data["text/plain"], path, f"cell {n} output"))
            if out_text:
                block += 1
                lines += [Line(t, k, "output", n, block=block)
                          for k, t in enumerate("".join(out_text).splitlines(), 1)]
        else:
            lines += [Line(t, k, "prose", n) for k, t in enumerate(src, 1)]
    return Document(path, "notebook", lines, text, cells)


def _no_magic(src: list[str]) -> list[str]:
    """IPython magics and shell lines (``%matplotlib``, ``!pip``) are not Python: blanked."""
    return ["" if s.lstrip().startswith(("%", "!")) else s for s in src]


# ----------------------------------------------------------------------------- PDF

def _pdf_lines(path: str, data: bytes) -> list[Line]:
    if not data.startswith(b"%PDF-"):
        raise ExplainError("is not a PDF file (it does not start with %PDF-)", file=path)
    try:
        import pypdf
    except ImportError:
        raise ExplainError("reading a PDF needs pypdf: pip install 'explain[pdf]'", file=path) from None
    import io
    import logging
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExplainError("is an encrypted PDF", file=path)
        if len(reader.pages) > MAX_PDF_PAGES:
            raise ExplainError(f"has more than {MAX_PDF_PAGES} pages", file=path)
        pages: list[str] = []
        total = 0
        for pdf_page in reader.pages:
            pages.append(pdf_page.extract_text() or "")
            total += len(pages[-1])
            if total > MAX_PDF_CHARS:
                raise ExplainError(f"has more than {MAX_PDF_CHARS} characters of text "
                                   f"(within its first {len(pages)} pages)", file=path)
    except ExplainError:
        raise
    except Exception as e:  # noqa: BLE001 — pypdf raises many kinds for a broken file
        raise ExplainError(f"is not a readable PDF ({type(e).__name__})", file=path) from None
    if not any(p.strip() for p in pages):
        raise ExplainError("has no text layer (a scanned PDF: explain reads text, not images)", file=path)
    lines: list[Line] = []
    block = 0
    for number, page in enumerate(pages, 1):
        page_lines = _text_lines(page.splitlines(), page=number, start_block=block)
        lines += [Line(x.text, x.number, x.kind, page=number, block=x.block) for x in page_lines]
        block = max([block] + [x.block for x in page_lines])
    return lines
