"""PyTorch model code in a document, read with :mod:`ast` and never run: ``nn.Sequential(...)``
(also with an ``OrderedDict`` of names, nested), or an ``nn.Module`` class whose ``__init__``
assigns its layers (``self.conv1 = nn.Conv2d(3, 6, 5)``) in the order ``forward`` uses them, made
with ``model = Net()`` (integer arguments and defaults followed). Layer names are PyTorch's
module names (``conv1``, ``features.0``). The input shape comes from an example input in the
code (``torch.randn(1, 3, 32, 32)``) or a ``summary(model, (3, 32, 32))`` call, or, for a first
``Linear``, from its ``in_features``. A reshape in ``forward`` (``x.view(x.size(0), -1)``,
``torch.flatten(x, 1)``) becomes a ``Flatten`` before the first ``Linear`` after a convolution
or pooling. Anything else that could change the layers is an error naming its line.
"""
from __future__ import annotations

import ast
from typing import Any

from ...errors import ExplainError
from ...layers.base import ArgContext, Layer
from ...layers.registry import lookup
from ...model import GraphBuilder, Model

MAX_LAYERS = 2000
_SPATIAL = ("conv", "conv_transpose", "depthwise", "separable", "pool", "adaptive_pool")
_EXAMPLE_INPUTS = ("randn", "rand", "zeros", "ones", "empty", "randint")


def is_torch_code(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "torch" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            return True
    return False


class _Reader:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.nn: set[str] = set()       # names bound to torch.nn
        self.torch: set[str] = set()    # names bound to torch
        self.direct: dict[str, str] = {}  # from torch.nn import Linear as L
        self.consts: dict[str, int] = {}
        self.classes: dict[str, ast.ClassDef] = {}

    # ------------------------------------------------------------------ names and values

    def scan(self) -> None:
        for node in self.tree.body:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name == "torch.nn":
                        self.nn.add(a.asname or "torch")
                        if not a.asname:
                            self.torch.add("torch")
                    elif a.name == "torch":
                        self.torch.add(a.asname or "torch")
            elif isinstance(node, ast.ImportFrom):
                if node.module == "torch":
                    for a in node.names:
                        if a.name == "nn":
                            self.nn.add(a.asname or "nn")
                elif node.module == "torch.nn":
                    for a in node.names:
                        self.direct[a.asname or a.name] = a.name
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    self.consts[node.targets[0].id] = self.value(node.value, self.consts)
                except ExplainError:
                    pass
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node

    def nn_class(self, func: ast.expr) -> str | None:
        """``nn.Linear`` / ``torch.nn.Linear`` / ``Linear`` (imported from torch.nn): 'Linear'."""
        if isinstance(func, ast.Name):
            return self.direct.get(func.id)
        if isinstance(func, ast.Attribute):
            base = func.value
            if isinstance(base, ast.Name) and base.id in self.nn:
                return func.attr
            if isinstance(base, ast.Attribute) and base.attr == "nn" and isinstance(base.value, ast.Name) \
                    and base.value.id in self.torch:
                return func.attr
        return None

    def value(self, node: ast.expr, env: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            raise ExplainError(f"line {node.lineno}: '{node.id}' is not a value known while reading")
        if isinstance(node, (ast.Tuple, ast.List)):
            return tuple(self.value(e, env) for e in node.elts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -self.value(node.operand, env)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)):
            a, b = self.value(node.left, env), self.value(node.right, env)
            if not (isinstance(a, int) and isinstance(b, int)) or abs(a) > 2**40 or abs(b) > 2**40:
                raise ExplainError(f"line {node.lineno}: only small whole-number arithmetic is followed")
            if isinstance(node.op, ast.FloorDiv) and b == 0:
                raise ExplainError(f"line {node.lineno}: division by zero")
            return {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b,
                    ast.FloorDiv: a // b if b else 0}[type(node.op)]
        raise ExplainError(f"line {getattr(node, 'lineno', '?')}: '{ast.unparse(node)[:40]}' is not a value "
                           f"known while reading (explain does not run code)")

    # ------------------------------------------------------------------ layers

    def layers(self, node: ast.expr, env: dict, prefix: str) -> list[tuple[str, str, list, dict, int]]:
        """(name, class, args, kwargs, line) for a layer call or a Sequential of them."""
        if not isinstance(node, ast.Call):
            raise ExplainError(f"line {node.lineno}: expected a torch.nn layer")
        cls = self.nn_class(node.func)
        if cls is None:
            raise ExplainError(f"line {node.lineno}: '{ast.unparse(node.func)}' is not a torch.nn layer "
                               f"explain can read from a document")
        if cls in ("Sequential", "ModuleList"):
            items: list[tuple[str, ast.expr]] = []
            if len(node.args) == 1 and isinstance(node.args[0], ast.Call) and \
                    ast.unparse(node.args[0].func).endswith("OrderedDict"):
                pairs = node.args[0].args[0] if node.args[0].args else None
                if not isinstance(pairs, (ast.List, ast.Tuple)):
                    raise ExplainError(f"line {node.lineno}: OrderedDict needs a literal list of pairs")
                for pair in pairs.elts:
                    if not (isinstance(pair, ast.Tuple) and len(pair.elts) == 2):
                        raise ExplainError(f"line {node.lineno}: OrderedDict needs (name, layer) pairs")
                    items.append((str(self.value(pair.elts[0], env)), pair.elts[1]))
            else:
                args = node.args[0].elts if cls == "ModuleList" and node.args and \
                    isinstance(node.args[0], (ast.List, ast.Tuple)) else node.args
                items = [(str(i), a) for i, a in enumerate(args)]
            out = []
            for name, item in items:
                out += self.layers(item, env, f"{prefix}{name}.")
            return out
        args = [self.value(a, env) for a in node.args]
        kwargs = {k.arg: self.value(k.value, env) for k in node.keywords if k.arg}
        return [(prefix.rstrip("."), cls, args, kwargs, node.lineno)]

    def module(self, cls: ast.ClassDef, call: ast.Call, env: dict) -> tuple[list, bool]:
        init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
        forward = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "forward"), None)
        if init is None:
            raise ExplainError(f"line {cls.lineno}: the class {cls.name} has no __init__")
        local = dict(env)
        params = init.args.args[1:]
        defaults = [None] * (len(params) - len(init.args.defaults)) + list(init.args.defaults)
        given = [self.value(a, env) for a in call.args]
        named = {k.arg: self.value(k.value, env) for k in call.keywords if k.arg}
        for i, (p, d) in enumerate(zip(params, defaults)):
            if i < len(given):
                local[p.arg] = given[i]
            elif p.arg in named:
                local[p.arg] = named[p.arg]
            elif d is not None:
                local[p.arg] = self.value(d, env)
        out = []
        for stmt in init.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and "__init__" in ast.unparse(stmt.value.func):
                continue
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
                    if isinstance(stmt.value, ast.Call) and self.nn_class(stmt.value.func):
                        out += self.layers(stmt.value, local, f"{target.attr}.")
                        continue
                    local[f"self.{target.attr}"] = self.value(stmt.value, local)
                    continue
                if isinstance(target, ast.Name):
                    local[target.id] = self.value(stmt.value, local)
                    continue
            raise ExplainError(f"line {stmt.lineno}: {cls.name}.__init__ does something explain does not "
                               f"follow in a document ({ast.unparse(stmt)[:50]}); give the model with --model")
        reshapes = forward is not None and any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("view", "flatten", "reshape")
            for n in ast.walk(forward))
        if forward is None:
            return out, reshapes
        return _in_forward_order(out, forward), reshapes

    def model(self) -> tuple[list, bool, int]:
        """The layers of the model the code makes (the one bound to ``model``, else the last)."""
        found = None
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, ast.Call):
                call = node.value
                if isinstance(call.func, ast.Name) and call.func.id in self.classes:
                    candidate = ("class", call, node.lineno)
                elif self.nn_class(call.func) == "Sequential":
                    candidate = ("seq", call, node.lineno)
                else:
                    continue
                if found is None or node.targets[0].id == "model" or found[0] != "model":
                    found = (node.targets[0].id, candidate)
        if found is None:
            raise ExplainError("has PyTorch code but no model made from nn.Sequential or an nn.Module "
                               "class; give the model with --model")
        kind, call, line = found[1]
        if kind == "seq":
            return self.layers(call, self.consts, ""), False, line
        assert isinstance(call.func, ast.Name)
        cls = self.classes[call.func.id]
        layers, reshapes = self.module(cls, call, self.consts)
        return layers, reshapes, line

    def input_shape(self, first: tuple) -> tuple[int, ...]:
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _EXAMPLE_INPUTS and \
                    isinstance(func.value, ast.Name) and func.value.id in self.torch:
                try:
                    dims = tuple(self.value(a, self.consts) for a in node.args)
                except ExplainError:
                    continue
                if len(dims) == 1 and isinstance(dims[0], tuple):
                    dims = dims[0]
                if func.attr == "randint":
                    dims = ()
                if len(dims) >= 2 and all(isinstance(d, int) for d in dims):
                    return dims[1:]
            if isinstance(func, ast.Name) and func.id == "summary" and len(node.args) >= 2:
                try:
                    dims = self.value(node.args[1], self.consts)
                except ExplainError:
                    continue
                if isinstance(dims, tuple) and all(isinstance(d, int) for d in dims):
                    return dims
        _, cls, args, kwargs, line = first
        layer_cls = _class(cls)
        if layer_cls is not None and layer_cls.role == "dense" and "in_features" in layer_cls.positional:
            at = layer_cls.positional.index("in_features")
            n = kwargs.get("in_features", args[at] if len(args) > at else None)
            if isinstance(n, int):
                return (n,)
        raise ExplainError(f"line {line}: the PyTorch code shows no input shape (such as "
                           f"torch.randn(1, 3, 32, 32)); give the model with --model")


def _class(name: str) -> type[Layer] | None:
    """The registered PyTorch class of a module name in the code, or None if there is none."""
    try:
        return lookup(name, "pytorch")
    except ExplainError:
        return None


def _role(name: str) -> str | None:
    layer_cls = _class(name)
    return layer_cls.role if layer_cls is not None else None


def _in_forward_order(layers: list, forward: ast.FunctionDef) -> list:
    """The layers in the order ``forward`` calls them (innermost call first); a module called
    twice appears twice (its later uses share its weights); modules never called are left out."""
    groups: dict[str, list] = {}
    for item in layers:
        groups.setdefault(item[0].split(".")[0], []).append(item)
    order: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            for a in [*node.args, *(k.value for k in node.keywords)]:
                visit(a)
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self" \
                    and f.attr in groups:
                order.append(f.attr)
            else:
                visit(f)
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    for stmt in forward.body:
        visit(stmt)
    if not order:
        return layers
    out: list = []
    uses: dict[str, int] = {}
    for attr in order:
        uses[attr] = uses.get(attr, 0) + 1
        for name, cls, args, kwargs, line in groups[attr]:
            if uses[attr] == 1:
                out.append((name, cls, args, kwargs, line))
            else:
                out.append((f"{name}#{uses[attr]}", cls, args, {**kwargs, "__shares__": name}, line))
    return out


def load_torch_code(program: str) -> Model:
    tree = ast.parse(program)
    reader = _Reader(tree)
    reader.scan()
    layers, reshapes, line = reader.model()
    if not layers:
        raise ExplainError(f"line {line}: the model has no layers")
    if len(layers) > MAX_LAYERS:
        raise ExplainError(f"more than {MAX_LAYERS} layers")
    shape = reader.input_shape(layers[0])
    builder = GraphBuilder("model", "pytorch", {}, source=None)
    builder.add_input("input", tuple(shape))
    spatial = False
    flattened = any(_role(cls) == "flatten" for _, cls, _, _, _ in layers)
    ctx = ArgContext()
    for name, cls, args, kwargs, line in layers:
        if _role(cls) == "dense" and spatial and reshapes and not flattened:
            builder.add(f"{name}_flatten" if name else "flatten", lookup("Flatten", "pytorch").from_args({}, ctx))
            flattened = True
        shares = kwargs.pop("__shares__", None) if "__shares__" in kwargs else None
        try:
            layer = lookup(cls, "pytorch").from_args(kwargs, ctx, args)
            builder.add(name or cls.lower(), layer,
                        shares=shares if shares and any(True for _ in layer.weight_groups()) else None)
        except ExplainError as e:
            raise ExplainError(f"line {line}: {e.message}", layer=name or cls) from None
        spatial = spatial or layer.role in _SPATIAL
    return builder.build()
