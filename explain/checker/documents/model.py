"""The model a document is about: from ``--model``, or from the Keras code in the document (read
with the snippet importer, never run), with the layer names of a ``model.summary()`` printed in
the document (Keras 2 printed ``conv2d_1`` where Keras 3 says ``conv2d``).

Code quoted again later to illustrate one layer is not part of the model: once the code has
printed or compiled the model (``summary()``, ``compile()``, ``fit()``) or the document has shown
a summary, a block that only adds or makes layers is a quotation; so is a block repeating a
statement already read.
"""
from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass

from ...errors import ExplainError
from ...layers.registry import lookup
from ...model import Model, Node
from .read import Document, Line

_DONE_METHODS = ("summary", "compile", "fit", "fit_generator", "save", "count_params")


@dataclass(frozen=True)
class SummaryRow:
    name: str
    type: str
    shape: str
    params: int
    line: Line


_ROW = re.compile(r"^[\s│┃|]*(?P<name>[A-Za-z_][\w.\-/]*)\s+\((?P<type>[A-Za-z_]\w*)\)?\s*[│┃|]?\s*"
                  r"(?P<shape>\((?:None|\d+)?(?:\s*,\s*(?:None|\d+))*,?\)|\[.*?\]|multiple)\s*[│┃|]?\s*"
                  r"(?P<params>\d[\d,]*)\s*(?:[│┃|].*)?$")
_HEADER = re.compile(r"Layer \(type\)")
_TOTAL = re.compile(r"Total params")


_WRAPPED_TYPE = re.compile(r"^[\s│┃|]*\((?P<type>[A-Za-z_]\w*)\)\s*[│┃|]")


def summary_rows(lines: list[Line]) -> list[SummaryRow]:
    """Every line that is a row of a printed Keras summary, in order (Keras 3 wraps a long
    ``name (Type)`` onto two lines)."""
    out = []
    for i, line in enumerate(lines):
        text = line.text
        nxt = lines[i + 1].text if i + 1 < len(lines) else ""
        wrapped = _WRAPPED_TYPE.match(nxt)
        if wrapped and "│" in text and "(" not in text.split("│")[1]:
            cells = text.split("│")
            cells[1] = cells[1].rstrip() + f" ({wrapped.group('type')}) "
            text = "│".join(cells)
        m = _ROW.match(text)
        if m:
            out.append(SummaryRow(m.group("name"), m.group("type"), m.group("shape"),
                                  int(m.group("params").replace(",", "")), line))
    return out


def _is_input(type_name: str) -> bool:
    """Whether a summary row's type is the model's input (not a layer with weights)."""
    try:
        return lookup(type_name).role == "input"
    except ExplainError:
        return False


def first_summary(lines: list[Line]) -> list[SummaryRow]:
    """The rows of the first complete summary (from 'Layer (type)' to 'Total params')."""
    start = None
    for i, line in enumerate(lines):
        if start is None and _HEADER.search(line.text):
            start = i
        elif start is not None and _TOTAL.search(line.text):
            rows = summary_rows(lines[start:i])
            return [r for r in rows if not _is_input(r.type)]
    return []


def model_code(doc: Document) -> tuple[str, list[Line]]:
    """The program the document's code blocks make, and for each of its lines the document line."""
    blocks: dict[int, list[Line]] = {}
    order: list[int] = []
    summary_seen_at = None
    for i, line in enumerate(doc.lines):
        if line.kind == "code":
            if line.block not in blocks:
                blocks[line.block] = []
                order.append(line.block)
            blocks[line.block].append(line)
        elif summary_seen_at is None and _HEADER.search(line.text):
            summary_seen_at = i
    program: list[str] = []
    where: list[Line] = []
    done = False
    seen: set[str] = set()
    made: set[str] = set()
    position = {id(line): i for i, line in enumerate(doc.lines)}
    for b in order:
        lines = blocks[b]
        text = _block_text(lines)
        tree = _parse(text)
        if tree is None:
            continue
        statements = [ast.unparse(s) for s in tree.body]
        after_summary = summary_seen_at is not None and position[id(lines[0])] > summary_seen_at
        layers_only = bool(statements) and all(_only_layers(s) for s in tree.body)
        if program and layers_only and (done or after_summary or all(
                _layer_key(s) & made for s in tree.body)):
            continue
        if program and statements and all(s in seen for s in statements):
            continue
        seen.update(statements)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                made |= _call_keys(node)
        for line in lines:
            program.append(line.text)
            where.append(line)
        if any(_finishes(s) for s in tree.body):
            done = True
    return "\n".join(program), where


def _block_text(lines: list[Line]) -> str:
    import textwrap
    return textwrap.dedent("\n".join(line.text for line in lines))


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _only_layers(stmt: ast.stmt) -> bool:
    """``model.add(Layer(...))`` or a bare ``Layer(...)``: a statement that only shows a layer."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    func = stmt.value.func
    return isinstance(func, (ast.Attribute, ast.Name))  # model.add(L(...)), L(...), layers.L(...)


_SHAPE_ARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "input_length")


def _call_keys(call: ast.Call) -> set[str]:
    """What identifies a layer made by ``call``: its name, and its call without shape arguments."""
    keys = set()
    for kw in call.keywords:
        if kw.arg == "name" and isinstance(kw.value, ast.Constant):
            keys.add(f"name={kw.value.value!s}")
    bare = ast.Call(call.func, call.args, [k for k in call.keywords if k.arg not in _SHAPE_ARGS])
    keys.add(ast.unparse(bare))
    return keys


def _layer_key(stmt: ast.stmt) -> set[str]:
    """The keys of the layer a layer-only statement shows (``model.add(L(...))`` or ``L(...)``)."""
    call = stmt.value  # type: ignore[attr-defined]
    if isinstance(call.func, ast.Attribute) and call.func.attr == "add" and call.args \
            and isinstance(call.args[0], ast.Call):
        call = call.args[0]
    return _call_keys(call)


def _finishes(stmt: ast.stmt) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in _DONE_METHODS:
            return True
    return False


def load_document_model(doc: Document, override: str | None) -> Model:
    """The model from ``--model`` or from the document's code, named as its summary names it."""
    if override:
        from ...importers import load
        try:
            model = load(override)
        except ExplainError as e:
            raise e.located(file=override) from None
    else:
        program, where = model_code(doc)
        if not program.strip():
            raise ExplainError("contains no Keras or PyTorch model code that explain can read; give "
                               "the model with --model", file=doc.path)
        from ...importers.snippet import load_snippet
        from .torch_code import is_torch_code, load_torch_code
        tree = _parse(program)
        try:
            if tree is not None and is_torch_code(tree) and "keras" not in program:
                model = load_torch_code(program)
            else:
                model = load_snippet(program, None)
        except RecursionError:
            raise ExplainError("its code is nested too deeply", file=doc.path) from None
        except ExplainError as e:
            raise ExplainError(_relocate(e.message, where), file=doc.path, layer=e.layer) from None
    return named_as_printed(model, first_summary(doc.lines))


def _relocate(message: str, where: list[Line]) -> str:
    """``line N`` of the joined program as the document's place."""
    def place(m: re.Match) -> str:
        n = int(m.group(1))
        if 1 <= n <= len(where):
            return describe_place(where[n - 1].place())
        return m.group(0)
    return re.sub(r"\bline (\d+)", place, message, count=1)


def describe_place(place: dict) -> str:
    parts = []
    if "page" in place:
        parts.append(f"page {place['page']}")
    if "cell" in place:
        parts.append(f"cell {place['cell']}" + (" (output)" if place.get("output") else ""))
    parts.append(f"line {place['line']}")
    return ", ".join(parts)


def _type_fits(printed: str, actual: str) -> bool:
    """Keras 2 cuts long type names (``MaxPooling2``)."""
    return actual.startswith(printed) or printed.startswith(actual)


def named_as_printed(model: Model, rows: list[SummaryRow]) -> Model:
    """The model with its layers renamed as the printed summary names them, where the summary
    lists the same layers in the same order (types agreeing); else the model unchanged."""
    nodes = model.nodes
    if not rows or len(rows) != len(nodes):
        return model
    if not all(_type_fits(r.type, n.type) for r, n in zip(rows, nodes)):
        return model
    mapping = {n.name: r.name for n, r in zip(nodes, rows)}
    if len(set(mapping.values())) != len(mapping) or set(mapping.values()) & set(model.inputs):
        return model
    if all(k == v for k, v in mapping.items()):
        return model
    return rename(model, mapping)


def rename(model: Model, mapping: dict[str, str]) -> Model:
    def ref(name: str | None) -> str | None:
        return None if name is None else mapping.get(name, name)

    nodes: list[Node] = [dataclasses.replace(n, name=mapping.get(n.name, n.name),
                                             inputs=tuple(mapping.get(i, i) for i in n.inputs),
                                             shares=ref(n.shares))
                         for n in model.nodes]
    return dataclasses.replace(model, nodes=nodes)
