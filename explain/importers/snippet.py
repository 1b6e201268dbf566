"""Keras model code in a ``.py`` file, read with :mod:`ast` and never executed.

Understood: imports of ``keras``, ``tensorflow.keras`` (``tf.keras``) and ``tf_keras`` in any
style (``from keras.layers.convolutional import Conv2D``, ``from keras import layers``,
``import tensorflow as tf``); ``Sequential([...])`` and ``model.add(...)``; functional code
``x = layers.Conv2D(...)(x)`` with ``keras.Input(shape=...)`` and ``keras.Model(inputs, outputs)``;
``input_shape=`` / ``input_dim=`` on the first layer, ``model.build(shape)``; integer constants
and arithmetic on them; ``for`` loops over ``range(...)`` or literal lists; ``if`` on values known
while reading (``if v == "M":``); list comprehensions, ``+`` and ``append``/``extend``/``insert``
on lists; functions, nested ones included, with Python's scoping (``def block(x, filters): ...;
return x``); recurrent layers called with ``initial_state``; ``.trainable = …`` on a layer, on
``model.layers[i]``, ``model.get_layer("name")`` or a whole model, before or after use, as Keras
applies it; ``keras.applications.X(weights=None, include_top=…, input_shape=…)`` from the
architectures Keras saved (``applications``). Positional layer arguments map by each layer
type's ``positional``. Code that would change the model in a way this reader cannot follow is an
error naming its line; unrelated code (``model.compile``, ``fit``, ``print``, other libraries) is
skipped.
"""
from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import ExplainError
from ..layers.base import IGNORED_ARGS, ArgContext, Layer, Shape
from ..layers.custom import Operation, submodel
from ..layers.registry import lookup
from ..model import GraphBuilder, Model, Node
from ..naming import AutoNames

MAX_STEPS = 200_000
MAX_LOOP = 10_000
MAX_CALL_DEPTH = 32
MAX_EXPONENT = 64
MAX_BITS = 4096
KERAS_ROOTS = ("keras", "tensorflow.keras", "tensorflow.python.keras", "tf_keras")
MERGE_FUNCTIONS = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "average": "Average",
                   "maximum": "Maximum", "minimum": "Minimum", "concatenate": "Concatenate", "dot": "Dot"}
SKIPPED_METHODS = frozenset({"summary", "compile", "fit", "evaluate", "predict", "save", "save_weights",
                             "load_weights", "to_json", "get_config", "count_params", "fit_generator",
                             "predict_on_batch", "train_on_batch", "test_on_batch"})
_NOT_SHAPE_ARGS = ("input_shape", "batch_input_shape", "input_dim", "batch_shape", "batch_size",
                   "input_length", "name")


def load_snippet(text: str, path: str | None) -> Model:
    """The Keras model the code builds (the one bound to ``model``, else the last one made)."""
    try:
        try:
            tree = ast.parse(text, filename=path or "<snippet>")
        except SyntaxError as e:
            raise ExplainError(f"line {e.lineno}: not valid Python: {e.msg}") from None
        except (ValueError, RecursionError, MemoryError):
            raise ExplainError("is not valid Python") from None
        reader = _Reader(path)
        return reader.run(tree)
    except ExplainError as e:
        raise e.located(file=path) from None
    except RecursionError:
        raise ExplainError("is nested too deeply", file=path) from None


# ----------------------------------------------------------------------------- values

class Unknown:
    """A value this reader does not follow; an error only if the model needs it."""

    def __init__(self, line: int, what: str) -> None:
        self.line, self.what = line, what

    def error(self, use: str) -> ExplainError:
        return ExplainError(f"line {self.line}: {self.what}; {use} needs it, and explain does not "
                            f"run code")


@dataclass(frozen=True)
class ModuleRef:
    """A dotted name from an import: ``keras.layers.Dense`` (normalized after the Keras root)."""

    path: str

    def attr(self, name: str) -> "ModuleRef":
        return ModuleRef(f"{self.path}.{name}" if self.path else name)

    @property
    def keras(self) -> Optional[str]:
        """The path below the Keras package (``layers.Dense``), or None for another library."""
        for root in sorted(KERAS_ROOTS, key=len, reverse=True):
            if self.path == root:
                return ""
            if self.path.startswith(root + "."):
                return self.path[len(root) + 1:]
        return None


@dataclass(eq=False)
class LayerObj:
    """A layer made in the code: its class, arguments and name; applied later."""

    class_name: str
    args: list
    kwargs: dict
    line: int
    name: str
    layer: Optional[Layer] = None
    trainable_line: Optional[int] = None
    """The line of the last ``.trainable = …`` that reached this layer."""


@dataclass(eq=False)
class Tensor:
    """A symbolic tensor: a model input or output ``index`` of one application of a layer."""

    source: Any  # Apply or InputTensor
    index: int = 0


@dataclass(eq=False)
class InputTensor:
    name: str
    shape: Shape
    line: int


@dataclass(eq=False)
class Apply:
    """A layer (or nested model) applied to tensors."""

    target: Any  # LayerObj or ModelObj
    inputs: list
    line: int
    seq: int = 0


@dataclass(eq=False)
class ModelObj:
    """A Sequential (``layers``) or functional (``inputs``/``outputs``) model made in the code."""

    kind: str
    name: str
    line: int
    layers: list = field(default_factory=list)
    input_shape: Optional[Shape] = None
    input_name: Optional[str] = None
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    trainable: bool = True
    trainable_line: Optional[int] = None


@dataclass(eq=False)
class Function:
    """A function defined in the code; ``scope`` is where it was defined (its closure)."""

    node: ast.FunctionDef
    scope: dict = field(default_factory=dict)


@dataclass(eq=False)
class AppObj(ModelObj):
    """``keras.applications.X(...)``: the model JSON Keras would write (see ``applications``)."""

    app: str = ""
    data: dict = field(default_factory=dict)
    tensors: Optional[tuple] = None
    """(input, output) once ``.input``/``.output`` are used."""


@dataclass(eq=False)
class JsonLayerObj:
    """One layer of an application's JSON, as ``model.layers[i]`` or ``get_layer`` gives it."""

    entry: dict
    trainable_line: Optional[int] = None

    @property
    def name(self) -> str:
        return self.entry["config"]["name"]

    @property
    def trainable(self) -> bool:
        return self.entry["config"].get("trainable", True) is not False


@dataclass(eq=False)
class InputLayerObj:
    """A functional model's InputLayer as listed in ``model.layers`` (no weights)."""

    name: str


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


# ----------------------------------------------------------------------------- the reader

class _Reader:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self.names = AutoNames()
        self.models: list[ModelObj] = []
        self.steps = 0
        self.depth = 0
        self.applied = 0

    def run(self, tree: ast.Module) -> Model:
        env: dict[str, Any] = {}
        self.block(tree.body, env)
        chosen = env.get("model")
        if not isinstance(chosen, ModelObj) and not self.models:
            # only defined, never called: def build_model(): … return model
            for f in [v for v in env.values() if isinstance(v, Function) and _no_required_args(v)]:
                result = self.call_function(f, [], {}, f.node.lineno, env)
                if isinstance(result, ModelObj):
                    chosen = result
        if not isinstance(chosen, ModelObj):
            made = [m for m in self.models if m.layers or m.outputs or isinstance(m, AppObj)]
            if not made and isinstance(env.get("model"), Unknown):
                raise env["model"].error("'model'")
            if not made:
                raise ExplainError("no Keras model found: expected Sequential([...]), model.add(...) "
                                   "or keras.Model(inputs, outputs)")
            chosen = made[-1]
        return self.build(chosen)

    # -- statements ----------------------------------------------------------------------
    def block(self, body: list[ast.stmt], env: dict) -> None:
        for stmt in body:
            self.statement(stmt, env)

    def statement(self, stmt: ast.stmt, env: dict) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ExplainError(f"line {stmt.lineno}: the code takes more than {MAX_STEPS} steps")
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.imports(stmt, env)
        elif isinstance(stmt, ast.Assign):
            value = self.expr(stmt.value, env)
            for target in stmt.targets:
                self.assign(target, value, env, stmt.lineno)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self.assign(stmt.target, self.expr(stmt.value, env), env, stmt.lineno)
        elif isinstance(stmt, ast.AugAssign):
            current = self.expr(stmt.target, env) if isinstance(stmt.target, ast.Name) else None
            value = self.binop(stmt.op, current, self.expr(stmt.value, env), stmt.lineno)
            self.assign(stmt.target, value, env, stmt.lineno)
        elif isinstance(stmt, ast.Expr):
            result = self.expr(stmt.value, env)
            if isinstance(result, Unknown) and isinstance(stmt.value, ast.Call) and \
                    self._passes_model(stmt.value, env):
                raise ExplainError(f"line {stmt.lineno}: explain cannot follow this call, which is given "
                                   f"a Keras layer, model or tensor ({result.what})")
        elif isinstance(stmt, ast.For):
            self.loop(stmt, env)
        elif isinstance(stmt, ast.FunctionDef):
            env[stmt.name] = Function(stmt, env)
        elif isinstance(stmt, ast.Return):
            raise _Return(self.expr(stmt.value, env) if stmt.value is not None else None)
        elif isinstance(stmt, ast.If) and _is_main_guard(stmt):
            self.block(stmt.body, env)
        elif isinstance(stmt, ast.If):
            self.if_statement(stmt, env)
        elif isinstance(stmt, ast.ClassDef):
            self.class_def(stmt, env)
        elif isinstance(stmt, (ast.Pass, ast.Assert, ast.Global, ast.Nonlocal)):
            pass
        elif isinstance(stmt, ast.With):  # with strategy.scope(): … — the body runs once
            self.block(stmt.body, env)
        elif isinstance(stmt, ast.Try) and not getattr(stmt, "is_star", False):
            self.block(stmt.body + stmt.orelse + stmt.finalbody, env)  # as when nothing fails
        elif self._mentions_model(stmt, env):
            kind = type(stmt).__name__.lower()
            raise ExplainError(f"line {stmt.lineno}: explain reads straight-line Keras code and cannot "
                               f"follow this '{kind}' statement, which uses the model")
        else:
            for name in _assigned_names(stmt):  # a while loop, …: what it sets is not known
                env[name] = Unknown(stmt.lineno, f"'{name}' is set by a '{type(stmt).__name__.lower()}' "
                                                 f"statement explain does not follow")

    def if_statement(self, stmt: ast.If, env: dict) -> None:
        """``if`` on a value known while reading runs its branch; otherwise it may not touch the
        model, and the names it sets become unknown."""
        test = self.expr(stmt.test, env)
        if _is_plain(test):
            self.block(stmt.body if test else stmt.orelse, env)
            return
        if any(self._mentions_model(b, env) for b in stmt.body + stmt.orelse):
            raise test.error("this 'if', which changes the model,") if isinstance(test, Unknown) else \
                ExplainError(f"line {stmt.lineno}: explain cannot tell which branch of this 'if' runs, "
                             f"and it changes the model")
        for name in _assigned_names(stmt):
            env[name] = Unknown(stmt.lineno, f"'{name}' is set inside an 'if' whose condition explain "
                                             f"cannot know")

    def imports(self, stmt: ast.Import | ast.ImportFrom, env: dict) -> None:
        """``import keras``, ``import tensorflow as tf``, ``from keras import layers`` (not ``*``)."""
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    env[alias.asname] = ModuleRef(alias.name)
                else:
                    top = alias.name.split(".")[0]
                    env[top] = ModuleRef(top)
            return
        module = stmt.module or ""
        for alias in stmt.names:
            if alias.name == "*":
                if ModuleRef(module).keras is not None:
                    raise ExplainError(f"line {stmt.lineno}: 'from {module} import *' hides which "
                                       f"names are Keras's; import the names you use")
                continue
            env[alias.asname or alias.name] = ModuleRef(module).attr(alias.name)

    def class_def(self, stmt: ast.ClassDef, env: dict) -> None:
        """A class is never run: one that subclasses a Keras model or uses Keras becomes an
        ``Unknown`` that explains itself when used."""
        if any((b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "")) in ("Model", "Functional")
               for b in stmt.bases):
            env[stmt.name] = Unknown(
                stmt.lineno, f"class '{stmt.name}' is a subclassed Keras model: its layers are "
                f"connected in its Python code, which explain never runs; write it as a Sequential "
                f"or functional model (keras.Model(inputs, outputs))")
        elif self._mentions_keras(stmt, env):
            env[stmt.name] = Unknown(
                stmt.lineno, f"class '{stmt.name}' is defined in code, which explain never runs, so "
                f"its weights are unknown (describe the model as a spec with Custom: {{params: N, "
                f"output_shape: [...]}} in its place, or use explain.from_keras on the live model)")

    def assign(self, target: ast.expr, value: Any, env: dict, line: int) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self.unpack(value, len(target.elts), line)
            for t, v in zip(target.elts, items):
                self.assign(t, v, env, line)
        elif isinstance(target, ast.Attribute) and target.attr == "trainable":
            self.set_trainable(self.expr(target.value, env), value, line)
        elif isinstance(value, (LayerObj, ModelObj, Tensor)) or self._mentions_model(target, env):
            raise ExplainError(f"line {line}: this assignment changes a Keras object in a way explain "
                               f"does not follow")

    def set_trainable(self, obj: Any, value: Any, line: int) -> None:
        """``x.trainable = flag`` as Keras does it: a model passes the flag on to every layer it
        holds at that moment; the last assignment a layer gets decides its weights."""
        if not isinstance(value, bool):
            raise _not_followed(value, line, "'trainable'") if isinstance(value, Unknown) else \
                ExplainError(f"line {line}: 'trainable' must be True or False")
        if isinstance(obj, LayerObj):
            obj.kwargs["trainable"], obj.layer, obj.trainable_line = value, None, line
        elif isinstance(obj, ModelObj):
            obj.trainable, obj.trainable_line = value, line
            for item in self.members(obj):
                self.set_trainable(item, value, line)
        elif isinstance(obj, InputLayerObj):
            return  # an InputLayer has no weights
        elif isinstance(obj, JsonLayerObj):
            obj.entry["config"]["trainable"], obj.trainable_line = value, line
        elif isinstance(obj, list) and all(isinstance(o, (LayerObj, ModelObj)) for o in obj):
            raise ExplainError(f"line {line}: 'trainable' of a list is not a Keras attribute; set it "
                               f"on each layer in a loop")
        else:
            raise _not_followed(obj, line, "'.trainable = …'")

    def members(self, model: "ModelObj") -> list:
        """The layers a model holds, in Keras's order (``model.layers``)."""
        if isinstance(model, AppObj):
            return [JsonLayerObj(e) for e in model.data["config"]["layers"] if e["class_name"] != "InputLayer"]
        if model.kind == "Sequential":
            return list(model.layers)
        seen: dict[int, Any] = {}
        for a in sorted(_applications(model), key=lambda a: a.seq):
            if not isinstance(a.target, OpObj):
                seen.setdefault(id(a.target), a.target)
        return list(seen.values())

    def unpack(self, value: Any, n: int, line: int) -> list:
        if isinstance(value, (list, tuple)):
            if len(value) != n:
                raise ExplainError(f"line {line}: {len(value)} values to unpack into {n} names")
            return list(value)
        if isinstance(value, Tensor) and isinstance(value.source, Apply) and value.index == 0:
            return [Tensor(value.source, i) for i in range(n)]
        return [Unknown(line, "this value cannot be unpacked here")] * n

    def loop(self, stmt: ast.For, env: dict) -> None:
        items = self.expr(stmt.iter, env)
        if isinstance(items, range):
            items = list(items)
        if not isinstance(items, (list, tuple)) or stmt.orelse:
            if self._mentions_model(stmt, env):
                raise ExplainError(f"line {stmt.lineno}: this loop uses the model, but explain follows "
                                   f"only loops over range(...) or a literal list")
            return
        if len(items) > MAX_LOOP:
            raise ExplainError(f"line {stmt.lineno}: the loop runs more than {MAX_LOOP} times")
        for item in items:
            self.assign(stmt.target, item, env, stmt.lineno)
            self.block(stmt.body, env)

    def _mentions_model(self, stmt: ast.AST, env: dict) -> bool:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and _holds_model(env.get(n.id)):
                return True
        return self._mentions_keras(stmt, env)

    def _passes_model(self, call: ast.Call, env: dict) -> bool:
        """A call given a layer, model or tensor (``items.append(layer)``, ``setattr(layer, …)``);
        ``print(...)`` and the like are known and never get here."""
        values = list(call.args) + [k.value for k in call.keywords]
        if isinstance(call.func, ast.Attribute):
            values.append(call.func.value)
        return any(self._mentions_model(v, env) for v in values)

    def _mentions_keras(self, stmt: ast.AST, env: dict) -> bool:
        return any(isinstance(n, ast.Name) and isinstance(env.get(n.id), ModuleRef)
                   and env[n.id].keras is not None for n in ast.walk(stmt))

    # -- expressions ---------------------------------------------------------------------
    def expr(self, node: ast.expr, env: dict) -> Any:
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            if node.id in BUILTINS:
                return ModuleRef(f"builtins.{node.id}")
            return Unknown(line, f"'{node.id}' is not defined before this line")
        if isinstance(node, (ast.Tuple, ast.List)):
            values = [self.expr(e, env) for e in node.elts]
            return tuple(values) if isinstance(node, ast.Tuple) else values
        if isinstance(node, ast.Dict) and all(k is not None for k in node.keys):
            keys = [self.expr(k, env) for k in node.keys if k is not None]
            if all(isinstance(k, (str, int)) for k in keys):
                return dict(zip(keys, [self.expr(v, env) for v in node.values]))
            return Unknown(line, "a dict whose keys explain does not know")
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.expr(node.left, env), self.expr(node.right, env), line)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.expr(node.operand, env)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return -v if isinstance(node.op, ast.USub) else v
            return Unknown(line, "this expression is not a number")
        if isinstance(node, ast.Attribute):
            base = self.expr(node.value, env)
            if isinstance(base, ModuleRef):
                return base.attr(node.attr)
            if isinstance(base, list) and node.attr in LIST_METHODS:
                return _ListMethod(base, node.attr)
            if isinstance(base, ModelObj) and node.attr == "layers":
                return self.layers_of(base)
            if isinstance(base, AppObj) and node.attr in ("input", "output", "inputs", "outputs"):
                return self.app_tensors(base, node.attr, line)
            if isinstance(base, (ModelObj, LayerObj, InputLayerObj, JsonLayerObj)) and node.attr == "name":
                return base.name
            if isinstance(base, (LayerObj, ModelObj, JsonLayerObj)) and node.attr == "trainable":
                return base.kwargs.get("trainable", True) if isinstance(base, LayerObj) else base.trainable
            if isinstance(base, (ModelObj, LayerObj, Tensor)):
                return _Method(base, node.attr)
            return Unknown(line, f"'.{node.attr}' of a value explain does not follow")
        if isinstance(node, ast.Call):
            return self.call(node, env)
        if isinstance(node, ast.Compare):
            return self.compare(node, env)
        if isinstance(node, ast.BoolOp):
            result: Any = isinstance(node.op, ast.And)
            for v in node.values:
                result = self.expr(v, env)
                if not _is_plain(result):
                    return Unknown(line, "this condition is not known while reading")
                if bool(result) != isinstance(node.op, ast.And):
                    return result
            return result
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            v = self.expr(node.operand, env)
            return (not v) if _is_plain(v) else Unknown(line, "this condition is not known while reading")
        if isinstance(node, ast.IfExp):
            test = self.expr(node.test, env)
            if not _is_plain(test):
                return Unknown(line, "this condition is not known while reading")
            return self.expr(node.body if test else node.orelse, env)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            return self.comprehension(node, env)
        if isinstance(node, ast.Subscript):
            base = self.expr(node.value, env)
            if isinstance(node.slice, ast.Slice):
                return self.slice(base, node.slice, env, line)
            index = self.expr(node.slice, env)
            if isinstance(base, dict) and isinstance(index, (str, int)):
                return base[index] if index in base else Unknown(line, f"the key {index!r} is not in the dict")
            if isinstance(base, (list, tuple)) and isinstance(index, int):
                try:
                    return base[index]
                except IndexError:
                    return Unknown(line, "the index is out of range")
            if isinstance(base, Tensor) and isinstance(base.source, Apply) and isinstance(index, int) \
                    and base.index == 0 and index >= 0:
                return Tensor(base.source, index)
            return Unknown(line, "this subscript is not followed")
        return Unknown(line, f"a {type(node).__name__} expression is not followed")

    def app_tensors(self, app: AppObj, attr: str, line: int) -> Any:
        """``base.input`` / ``base.output``: the application applied to its own input (Keras then
        lists its layers in the new model directly; the counts and shapes are the same)."""
        if app.tensors is None:
            source = InputTensor(app.input_name or "input_layer", app.input_shape or (), line)
            self.applied += 1
            app.tensors = (Tensor(source), Tensor(Apply(app, [Tensor(source)], line, self.applied)))
        tensor = app.tensors[0] if attr.startswith("input") else app.tensors[1]
        return [tensor] if attr.endswith("s") else tensor

    def compare(self, node: ast.Compare, env: dict) -> Any:
        left = self.expr(node.left, env)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.expr(right_node, env)
            if not (_is_plain(left) and _is_plain(right)):
                return Unknown(node.lineno, "this comparison is not known while reading")
            try:
                ok = _COMPARE[type(op)](left, right)
            except TypeError:
                return Unknown(node.lineno, "this comparison is not known while reading")
            if not ok:
                return False
            left = right
        return True

    def comprehension(self, node: ast.ListComp | ast.GeneratorExp, env: dict) -> Any:
        """``[layers.Dense(n) for n in sizes if n]``: items made in order, in a scope of its own."""
        out: list = []

        def run(k: int, scope: dict) -> None:
            if k == len(node.generators):
                out.append(self.expr(node.elt, scope))
                if len(out) > MAX_LOOP:
                    raise ExplainError(f"line {node.lineno}: a list longer than {MAX_LOOP}")
                return
            gen = node.generators[k]
            items = self.expr(gen.iter, scope)
            if isinstance(items, range):
                items = list(items)
            if not isinstance(items, (list, tuple)) or gen.is_async:
                raise ExplainError(f"line {node.lineno}: explain follows comprehensions only over "
                                   f"range(...) or a list it knows")
            for item in items:
                inner = dict(scope)
                self.assign(gen.target, item, inner, node.lineno)
                conditions = [self.expr(c, inner) for c in gen.ifs]
                if not all(_is_plain(c) for c in conditions):
                    raise ExplainError(f"line {node.lineno}: the condition of this comprehension is "
                                       f"not known while reading")
                if all(conditions):
                    run(k + 1, inner)

        run(0, dict(env))
        return out

    def slice(self, base: Any, node: ast.Slice, env: dict, line: int) -> Any:
        parts = [None if p is None else self.expr(p, env) for p in (node.lower, node.upper, node.step)]
        if isinstance(base, (list, tuple)) and all(
                p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts) and parts[2] != 0:
            return base[slice(*parts)]
        return Unknown(line, "this slice is not followed")

    def layers_of(self, model: "ModelObj") -> list:
        """``model.layers`` as Keras lists them: a functional model's InputLayers first."""
        if isinstance(model, AppObj):  # Keras writes the layers in model.layers order
            return [JsonLayerObj(e) for e in model.data["config"]["layers"]]
        if model.kind == "Sequential":
            return list(model.layers)
        if not _is_chain(model):
            raise ExplainError(f"line {model.line}: 'model.layers' of a functional model with branches "
                               f"is listed in Keras's graph order, which explain does not reproduce; "
                               f"use model.get_layer(\"name\")")
        return [InputLayerObj(t.source.name) for t in model.inputs] + self.members(model)

    def binop(self, op: ast.operator, a: Any, b: Any, line: int) -> Any:
        result = self._binop(op, a, b, line)
        if isinstance(result, int) and result.bit_length() > MAX_BITS:
            raise ExplainError(f"line {line}: a number with more than {MAX_BITS} bits")
        if isinstance(result, (list, tuple)) and len(result) > MAX_LOOP:
            raise ExplainError(f"line {line}: a list longer than {MAX_LOOP}")
        return result

    def _binop(self, op: ast.operator, a: Any, b: Any, line: int) -> Any:
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b))
        if numbers:
            try:
                if isinstance(op, ast.Add):
                    return a + b
                if isinstance(op, ast.Sub):
                    return a - b
                if isinstance(op, ast.Mult):
                    return a * b
                if isinstance(op, ast.FloorDiv):
                    return a // b
                if isinstance(op, ast.Div):
                    return a // b if isinstance(a, int) and isinstance(b, int) and a % b == 0 else a / b
                if isinstance(op, ast.Mod):
                    return a % b
                if isinstance(op, ast.Pow) and abs(b) <= MAX_EXPONENT and \
                        (not isinstance(a, int) or a.bit_length() * abs(b) <= MAX_BITS):
                    return a ** b
            except (ZeroDivisionError, OverflowError):
                raise ExplainError(f"line {line}: this arithmetic fails (division by zero or "
                                   f"overflow)") from None
        if isinstance(op, ast.Mult) and isinstance(a, list) and isinstance(b, int) and 0 <= b <= MAX_LOOP:
            return a * b
        if isinstance(op, ast.Add) and isinstance(a, list) and isinstance(b, list):
            return a + b
        if isinstance(op, ast.Add) and isinstance(a, tuple) and isinstance(b, tuple):
            return a + b
        if any(isinstance(v, Tensor) for v in (a, b)) and type(op) in _TENSOR_OPS and all(
                isinstance(v, Tensor) or (isinstance(v, (int, float)) and not isinstance(v, bool))
                for v in (a, b)):
            op_name = _TENSOR_OPS[type(op)]
            target = OpObj(op_name, line, self.names.next(op_name))
            return self.apply(target, [v for v in (a, b) if isinstance(v, Tensor)], {}, line)
        if any(isinstance(v, Tensor) for v in (a, b)):
            return Unknown(line, "this arithmetic on tensors is not followed; use a Keras layer "
                                 "such as layers.Add()")
        return Unknown(line, "this arithmetic is not on whole numbers")

    def call(self, node: ast.Call, env: dict) -> Any:
        line = node.lineno
        func = self.expr(node.func, env)
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            if isinstance(func, (ModuleRef, LayerObj, ModelObj, _Method, Function)):
                raise ExplainError(f"line {line}: *args and **kwargs are not followed")
            return Unknown(line, "a call with *args or **kwargs")
        args = [self.expr(a, env) for a in node.args]
        kwargs = {k.arg: self.expr(k.value, env) for k in node.keywords}
        if isinstance(func, ModuleRef):
            return self.call_module(func, args, kwargs, line)
        if isinstance(func, (LayerObj, ModelObj)):
            return self.apply(func, args, kwargs, line)
        if isinstance(func, _Method):
            return self.method(func, args, kwargs, line)
        if isinstance(func, Function):
            return self.call_function(func, args, kwargs, line, env)
        if isinstance(func, _ListMethod):
            return func.call(args, kwargs, line)
        if isinstance(func, Unknown):
            return func
        return Unknown(line, "this call is not followed")

    def call_module(self, func: ModuleRef, args: list, kwargs: dict, line: int) -> Any:
        if func.path.startswith("builtins.") and func.path != "builtins.range":
            return _builtin(func.path[len("builtins."):], args, kwargs, line)
        if func.path == "builtins.range":
            if all(isinstance(a, int) and not isinstance(a, bool) for a in args) and 1 <= len(args) <= 3 \
                    and not kwargs:
                r = range(*args)
                if len(r) > MAX_LOOP:
                    raise ExplainError(f"line {line}: range(...) is longer than {MAX_LOOP}")
                return r
            return Unknown(line, "range(...) of values that are not whole numbers")
        below = func.keras
        if below is None:
            return Unknown(line, f"'{func.path}(...)' is not Keras")
        parts = below.split(".")
        leaf = parts[-1]
        if leaf == "Input" or (leaf == "InputLayer" and "layers" in parts):
            if leaf == "InputLayer":
                return self.input_layer(args, kwargs, line)
            return self.input(args, kwargs, line)
        if leaf == "Sequential":
            return self.sequential(args, kwargs, line)
        if parts[0] == "applications" and leaf[:1].isupper():
            return self.application(leaf, args, kwargs, line)
        if leaf in ("Model", "Functional") and parts[0] in ("Model", "Functional", "models", "engine"):
            return self.functional(args, kwargs, line)
        if leaf in MERGE_FUNCTIONS and len(parts) >= 2 and parts[-2] == "layers":
            layer = self.layer(MERGE_FUNCTIONS[leaf], [], {k: v for k, v in kwargs.items()}, line)
            return self.apply(layer, args[:1], {}, line)
        if "layers" in parts or (len(parts) == 1 and leaf[:1].isupper()):
            return self.layer(leaf, args, kwargs, line)
        if leaf in HARMLESS:
            return None
        if parts[0] in ("activations", "regularizers", "initializers", "constraints", "optimizers",
                        "losses", "metrics", "callbacks", "utils", "backend"):
            return Unknown(line, f"keras.{below}(...) does not make a layer")
        return Unknown(line, f"keras.{below}(...) is not a layer explain knows")

    # -- Keras objects -------------------------------------------------------------------
    def layer(self, class_name: str, args: list, kwargs: dict, line: int) -> LayerObj:
        try:
            lookup(class_name)
        except ExplainError as e:
            raise ExplainError(f"line {line}: {e.message}") from None
        name = kwargs.get("name")
        if name is None:
            name = self.names.next(class_name)
        elif not isinstance(name, str):
            raise ExplainError(f"line {line}: a layer's name must be text")
        else:
            self.names.reserve(name)
        return LayerObj(class_name, args, kwargs, line, name)

    def application(self, app: str, args: list, kwargs: dict, line: int) -> AppObj:
        from . import applications
        if args:
            raise ExplainError(f"line {line}: give keras.applications.{app}'s arguments by name")
        for key, value in kwargs.items():
            if isinstance(value, Unknown):
                raise value.error(f"keras.applications.{app}'s '{key}'")
        try:
            data = applications.application(app, kwargs)
        except ExplainError as e:
            raise ExplainError(f"line {line}: {e.message}") from None
        layers = data["config"]["layers"]
        for entry in layers:
            self.names.reserve(entry["config"]["name"])
        first = layers[0]["config"]
        model = AppObj("Functional", data["config"]["name"], line, app=app, data=data,
                       input_shape=tuple(first["batch_shape"][1:]), input_name=first["name"])
        self.models.append(model)
        return model

    def input(self, args: list, kwargs: dict, line: int) -> Tensor:
        shape = kwargs.get("shape", args[0] if args else None)
        batch = kwargs.get("batch_shape")
        if shape is None and batch is not None:
            shape = _shape(batch, line, "batch_shape")[1:]
        shape = _shape(shape, line, "shape")
        stated = kwargs.get("name")
        name = stated if isinstance(stated, str) else self.names.next("InputLayer")
        return Tensor(InputTensor(name, shape, line))

    def input_layer(self, args: list, kwargs: dict, line: int) -> Tensor:
        if "input_shape" in kwargs:
            kwargs = {**kwargs, "shape": kwargs["input_shape"]}
        if "batch_input_shape" in kwargs:
            kwargs = {**kwargs, "batch_shape": kwargs["batch_input_shape"]}
        return self.input(args, kwargs, line)

    def sequential(self, args: list, kwargs: dict, line: int) -> ModelObj:
        stated = kwargs.get("name")
        name = stated if isinstance(stated, str) else self.names.next("Sequential")
        model = ModelObj("Sequential", name, line)
        items = kwargs.get("layers", args[0] if args else None)
        if items is not None:
            if not isinstance(items, (list, tuple)):
                raise ExplainError(f"line {line}: Sequential takes a list of layers")
            for item in items:
                self.seq_add(model, item, line)
        self.models.append(model)
        return model

    def seq_add(self, model: ModelObj, item: Any, line: int) -> None:
        if isinstance(item, Tensor) and isinstance(item.source, InputTensor):
            if model.layers:
                raise ExplainError(f"line {line}: keras.Input must come first in a Sequential model")
            model.input_shape, model.input_name = item.source.shape, item.source.name
            return
        if not isinstance(item, (LayerObj, ModelObj)):
            raise _not_followed(item, line, "a Sequential model's layer")
        if not model.layers and model.input_shape is None:
            if isinstance(item, LayerObj):
                model.input_shape = _declared_input(item)
            elif item.kind == "Sequential" or isinstance(item, AppObj):
                model.input_shape = item.input_shape  # a nested model that starts with an Input
            elif len(item.inputs) == 1:
                model.input_shape = item.inputs[0].source.shape
        model.layers.append(item)

    def functional(self, args: list, kwargs: dict, line: int) -> ModelObj:
        inputs = kwargs.get("inputs", args[0] if args else None)
        outputs = kwargs.get("outputs", args[1] if len(args) > 1 else None)
        ins, outs = _tensor_list(inputs), _tensor_list(outputs)
        if ins is None or outs is None or not ins or not outs:
            bad = inputs if ins is None or not ins else outputs
            raise _not_followed(bad, line, "keras.Model(inputs, outputs)")
        for t in ins:
            if not isinstance(t.source, InputTensor):
                raise ExplainError(f"line {line}: the model's inputs must be keras.Input tensors")
        stated = kwargs.get("name")
        name = stated if isinstance(stated, str) else self.names.next("Functional")
        model = ModelObj("Functional", name, line, inputs=ins, outputs=outs)
        self.models.append(model)
        return model

    def apply(self, target: Any, args: list, kwargs: dict, line: int) -> Tensor:
        tensors: list = []
        for a in args:
            flat = _tensor_list(a)
            if flat is None:
                if isinstance(a, Unknown):
                    raise a.error(f"calling '{target.name}'")
                continue  # a constant argument (training=False, …)
            tensors.extend(flat)
        for key in ("inputs", "query", "value", "key"):
            if key in kwargs:
                flat = _tensor_list(kwargs[key])
                if flat is None:
                    raise _not_followed(kwargs[key], line, f"'{key}'")
                tensors.extend(flat)
        for key, value in kwargs.items():
            if key in ("inputs", "query", "value", "key") or not _has_tensor(value):
                continue
            if "mask" in key:
                continue  # a mask has no weights and changes no shape
            if key == "initial_state" and isinstance(target, LayerObj) and _takes_states(target):
                flat = _tensor_list(value)
                if flat is None:
                    raise _not_followed(value, line, "'initial_state'")
                tensors.extend(flat)  # the states follow the sequence; they carry no weights
                continue
            raise ExplainError(f"line {line}: '{target.name}' is called with the tensor argument "
                               f"'{key}', which explain does not follow")
        if not tensors:
            raise ExplainError(f"line {line}: '{target.name}' is called without a Keras tensor")
        self.applied += 1
        return Tensor(Apply(target, tensors, line, self.applied))

    def method(self, m: "_Method", args: list, kwargs: dict, line: int) -> Any:
        obj, name = m.obj, m.name
        if isinstance(obj, ModelObj) and obj.kind == "Sequential" and name == "add":
            if len(args) != 1:
                raise ExplainError(f"line {line}: model.add takes one layer")
            self.seq_add(obj, args[0], line)
            return None
        if isinstance(obj, ModelObj) and name == "build":
            shape = kwargs.get("input_shape", args[0] if args else None)
            obj.input_shape = _shape(shape, line, "input_shape")[1:]
            return None
        if isinstance(obj, ModelObj) and name == "get_layer":
            return self.get_layer(obj, args, kwargs, line)
        if name in SKIPPED_METHODS or name.startswith(("fit", "evaluate", "predict", "compile")):
            return None
        if isinstance(obj, (ModelObj, LayerObj)) and name == "__call__":
            return self.apply(obj, args, kwargs, line)
        return Unknown(line, f"'.{name}(...)' is not followed")

    def get_layer(self, model: ModelObj, args: list, kwargs: dict, line: int) -> Any:
        """``model.get_layer("name")`` or ``model.get_layer(index=i)``: one of the model's own layers."""
        name = kwargs.get("name", args[0] if args else None)
        index = kwargs.get("index", args[1] if len(args) > 1 else None)
        if isinstance(name, str):
            for item in self.members(model):
                if item.name == name:
                    return item
            raise ExplainError(f"line {line}: the model '{model.name}' has no layer '{name}'")
        if isinstance(index, int) and not isinstance(index, bool):
            listed = self.layers_of(model)
            if not -len(listed) <= index < len(listed):
                raise ExplainError(f"line {line}: the model '{model.name}' has no layer {index}")
            return listed[index]
        return Unknown(line, "get_layer(...) of a name explain does not know")

    def call_function(self, func: Function, args: list, kwargs: dict, line: int, env: dict) -> Any:
        if self.depth >= MAX_CALL_DEPTH:
            raise ExplainError(f"line {line}: functions call each other more than {MAX_CALL_DEPTH} deep")
        spec = func.node.args
        params = [a.arg for a in spec.posonlyargs + spec.args]
        defaults = spec.defaults
        scope = func.scope if func.scope else env  # names resolve where the function was defined
        local = dict(scope)
        bound: dict[str, Any] = {}
        for p, d in zip(params[len(params) - len(defaults):], defaults):
            bound[p] = self.expr(d, scope)
        for kw, default in zip(spec.kwonlyargs, spec.kw_defaults):
            if default is not None:
                bound[kw.arg] = self.expr(default, scope)
        if len(args) > len(params) or spec.vararg or spec.kwarg:
            raise ExplainError(f"line {line}: calls '{func.node.name}' in a way explain does not follow")
        bound.update(zip(params, args))
        unknown = set(kwargs) - set(params) - {a.arg for a in spec.kwonlyargs}
        if unknown:
            raise ExplainError(f"line {line}: '{func.node.name}' has no parameter '{sorted(unknown)[0]}'")
        bound.update(kwargs)
        missing = [p for p in params + [a.arg for a in spec.kwonlyargs] if p not in bound]
        if missing:
            raise ExplainError(f"line {line}: '{func.node.name}' is called without '{missing[0]}'")
        local.update(bound)
        self.depth += 1
        try:
            self.block(func.node.body, local)
        except _Return as r:
            return r.value
        finally:
            self.depth -= 1
        return None

    # -- the model -----------------------------------------------------------------------
    def check_frozen(self, model: ModelObj) -> None:
        """A frozen model whose layer was unfrozen afterwards: Keras then counts that layer's
        weights as trainable in an enclosing model but not in the frozen model's own count."""
        if model.trainable:
            return
        for item in self.members(model):
            if isinstance(item, ModelObj):
                if item.trainable:
                    line = item.trainable_line or model.trainable_line
                    raise ExplainError(f"line {line}: the model '{item.name}' is made trainable inside "
                                       f"the frozen model '{model.name}', which Keras counts "
                                       f"inconsistently; set trainable on the layers instead")
                self.check_frozen(item)
            elif (item.trainable if isinstance(item, JsonLayerObj)
                  else item.kwargs.get("trainable", True) is not False):
                line = item.trainable_line or model.trainable_line
                raise ExplainError(f"line {line}: the layer '{item.name}' is trainable inside the frozen "
                                   f"model '{model.name}' (trainable = False, line {model.trainable_line}): "
                                   f"Keras counts its weights as trainable in an enclosing model but not "
                                   f"in '{model.name}'; freeze or unfreeze the whole model")

    def build(self, model: ModelObj, call_shapes: list[Shape] | None = None) -> Model:
        self.check_frozen(model)
        if isinstance(model, AppObj):
            return self.build_application(model, call_shapes)
        builder = GraphBuilder(model.name, "keras", source=self.path)
        if model.kind == "Sequential":
            shape = call_shapes[0] if call_shapes else model.input_shape
            if shape is None:
                raise ExplainError(f"line {model.line}: the Sequential model has no input shape: give "
                                   f"the first layer input_shape=..., start with keras.Input(shape=...), "
                                   f"or call model.build(...)")
            if not model.layers:
                raise ExplainError(f"line {model.line}: the Sequential model has no layers")
            builder.add_input(model.input_name or "input_layer", shape)
            calls: dict[int, int] = {}
            for item in model.layers:
                prev = builder.model.nodes[-1].output_shape if builder.model.nodes else shape
                self.add_node(builder, item, None, [prev], calls)
            return builder.build()
        # functional: the applications that lead from the inputs to the outputs, in code order
        needed = _applications(model)
        for j, t in enumerate(model.inputs):
            shape = call_shapes[j] if call_shapes else t.source.shape
            builder.add_input(t.source.name, shape)
        order = sorted(needed, key=lambda a: a.seq)
        names: dict[int, str] = {}
        nodes: dict[str, Node] = {}
        calls = {}
        for a in order:
            refs = [self.ref(builder, t, names, nodes) for t in a.inputs]
            shapes = [nodes[r].output_shape if r in nodes else builder.model.inputs.get(r)
                      or _alias_shape(nodes, r) for r in refs]
            node = self.add_node(builder, a.target, refs, shapes, calls, a.line)
            names[id(a)] = node.name
            nodes[node.name] = node
        for t in model.outputs:
            self.ref(builder, t, names, nodes)
        built = builder.build()
        built.details["input_layers_listed"] = True  # as keras.Model lists its InputLayers
        return built

    def build_application(self, model: AppObj, call_shapes: list[Shape] | None) -> Model:
        from . import applications
        from .keras_json import _Reader as JsonReader
        if call_shapes is not None:
            if len(call_shapes) != 1:
                raise ExplainError(f"line {model.line}: '{model.name}' takes one input")
            model.data["config"]["layers"][0]["config"]["batch_shape"] = [None, *call_shapes[0]]
        if not model.trainable:
            model.data["config"]["trainable"] = False

        def read(data: dict) -> Model:
            return JsonReader(self.path).model(data, None, depth=0)
        try:
            return applications.load(model.app, model.data, read)
        except ExplainError as e:
            if not e.message.startswith("line "):
                e.message = f"line {model.line}: keras.applications.{model.app}: {e.message}"
            raise

    def ref(self, builder: GraphBuilder, t: Tensor, names: dict, nodes: dict) -> str:
        if isinstance(t.source, InputTensor):
            return t.source.name
        node_name = names[id(t.source)]
        if t.index == 0:
            return node_name
        alias = f"{node_name}[0][{t.index}]"
        if alias not in nodes:
            outs = nodes[node_name].output_shapes
            if t.index >= len(outs):
                raise ExplainError(f"line {t.source.line}: '{node_name}' has no output {t.index}")
            builder.add_alias(alias, outs[t.index])
            nodes[alias] = _AliasNode(outs[t.index])
        return alias

    def add_node(self, builder: GraphBuilder, item: Any, refs: list | None, shapes: list[Shape],
                 calls: dict[int, int], line: int | None = None) -> Node:
        k = calls.get(id(item), 0)
        calls[id(item)] = k + 1
        node_name = item.name if k == 0 else f"{item.name}[{k}]"
        if isinstance(item, OpObj):
            return builder.add(node_name, Operation(op=item.op), refs)
        if isinstance(item, ModelObj):
            inner = self.build(item, shapes)
            from .keras_json import _outputs
            layer: Layer = submodel(item.kind, inner, _outputs(inner), item.trainable)
        else:
            layer = self.make(item)
        shares = item.name if k > 0 and layer.weight_groups() else None
        try:
            return builder.add(node_name, layer, refs, shares=shares)
        except ExplainError as e:
            if not e.message.startswith("line "):
                e.message = f"line {line or item.line}: {e.message}"
            raise

    def make(self, obj: LayerObj) -> Layer:
        if obj.layer is not None:
            return obj.layer
        cls = lookup(obj.class_name)
        kwargs = {}
        fields = {f.name for f in dataclasses.fields(cls)}
        for key, value in obj.kwargs.items():
            if key in _NOT_SHAPE_ARGS and key not in fields:
                continue
            kwargs[key] = self.argument(obj, key, value, key in IGNORED_ARGS)
        args = [self.argument(obj, cls.positional[i] if i < len(cls.positional) else f"argument {i + 1}",
                              v, _positional_ignored(cls, i))
                for i, v in enumerate(obj.args)]
        try:
            obj.layer = cls.from_args(kwargs, ArgContext(), tuple(args))
        except ExplainError as e:
            message = e.message if e.message.startswith(obj.class_name) else f"{obj.class_name}: {e.message}"
            raise ExplainError(f"line {obj.line}: {message}", layer=obj.name) from None
        return obj.layer

    def argument(self, obj: LayerObj, key: str, value: Any, ignored: bool) -> Any:
        if isinstance(value, LayerObj):
            return self.make(value)
        if ignored:
            if key == "activation" and isinstance(value, (ModuleRef, Function)):
                # keras.activations.relu, tf.nn.gelu, a function of the code: it computes (compute)
                return value.path.rsplit(".", 1)[-1] if isinstance(value, ModuleRef) else value.node.name
            return value if isinstance(value, (str, int, float, bool, type(None))) else None
        if isinstance(value, Unknown):
            raise value.error(f"{obj.class_name}'s '{key}'")
        if isinstance(value, range):
            return list(value)
        if isinstance(value, (ModuleRef, ModelObj, Tensor, _Method, Function)):
            raise ExplainError(f"line {obj.line}: {obj.class_name}'s '{key}' is not a value explain "
                               f"can read")
        return value


_TENSOR_OPS = {ast.Add: "Add", ast.Sub: "Subtract", ast.Mult: "Multiply", ast.Div: "Divide"}


@dataclass(eq=False)
class OpObj:
    """An element-wise op on tensors (``x + y``, ``x * 2``): Keras makes it an op node."""

    op: str
    line: int
    name: str


HARMLESS = frozenset({"plot_model", "model_to_dot", "print_summary", "set_random_seed", "clear_session"})
"""Keras functions that may be given the model but change nothing in it."""
BUILTINS = frozenset({"range", "print", "len", "int", "min", "max", "sum", "abs", "list", "tuple"})
LIST_METHODS = frozenset({"append", "extend", "insert"})


def _builtin(name: str, args: list, kwargs: dict, line: int) -> Any:
    """The few builtins course code uses on known values; print does nothing."""
    if name == "print":
        return None
    if kwargs or not all(_is_plain(a) or isinstance(a, list) for a in args):
        return Unknown(line, f"{name}(...) of values explain does not know")
    try:
        if name == "len" and len(args) == 1:
            return len(args[0])
        if name == "int" and len(args) == 1 and isinstance(args[0], (int, float)):
            return int(args[0])
        if name in ("min", "max", "sum") and args:
            items = args[0] if len(args) == 1 else args
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
                return min(items) if name == "min" else max(items) if name == "max" else sum(items)
        if name == "abs" and len(args) == 1 and isinstance(args[0], (int, float)):
            return abs(args[0])
        if name in ("list", "tuple") and len(args) == 1 and isinstance(args[0], (list, tuple, range)):
            return list(args[0]) if name == "list" else tuple(args[0])
    except (TypeError, ValueError):
        pass
    return Unknown(line, f"{name}(...) of these values is not followed")


@dataclass(eq=False)
class _ListMethod:
    """``items.append(x)``, ``extend``, ``insert`` on a list the code made."""

    items: list
    name: str

    def call(self, args: list, kwargs: dict, line: int) -> None:
        if kwargs or len(args) != (2 if self.name == "insert" else 1):
            raise ExplainError(f"line {line}: '.{self.name}(...)' with these arguments is not followed")
        if self.name == "append":
            self.items.append(args[0])
        elif self.name == "extend":
            if not isinstance(args[0], (list, tuple, range)):
                raise _not_followed(args[0], line, "'.extend(...)'")
            self.items.extend(args[0])
        else:
            if not isinstance(args[0], int) or isinstance(args[0], bool):
                raise _not_followed(args[0], line, "'.insert(...)'")
            self.items.insert(args[0], args[1])
        if len(self.items) > MAX_LOOP:
            raise ExplainError(f"line {line}: a list longer than {MAX_LOOP}")
        return None


@dataclass
class _Method:
    obj: Any
    name: str


@dataclass
class _AliasNode:
    output_shape: Shape


def _applications(model: ModelObj) -> list:
    """The applications that lead from a functional model's inputs to its outputs."""
    needed: dict[int, Apply] = {}
    stack = [t.source for t in model.outputs]
    inputs = {id(t.source) for t in model.inputs}
    while stack:
        src = stack.pop()
        if isinstance(src, InputTensor):
            if id(src) not in inputs:
                raise ExplainError(f"line {src.line}: the input '{src.name}' is used but is not in "
                                   f"the model's inputs (line {model.line})")
            continue
        if id(src) in needed:
            continue
        needed[id(src)] = src
        stack.extend(t.source for t in src.inputs)
    return list(needed.values())


def _is_chain(model: ModelObj) -> bool:
    """One input, and every application takes the one before it (Keras's order is then plain)."""
    apps = sorted(_applications(model), key=lambda a: a.seq)
    targets = [id(a.target) for a in apps]
    if len(model.inputs) != 1 or len(set(targets)) != len(targets):
        return False
    previous: Any = model.inputs[0].source
    for a in apps:
        if len(a.inputs) != 1 or a.inputs[0].source is not previous:
            return False
        previous = a
    return True


_COMPARE = {ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
            ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
            ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
            ast.Is: lambda a, b: a is b if a is None or b is None else a == b,
            ast.IsNot: lambda a, b: a is not b if a is None or b is None else a != b}


def _is_plain(v: Any) -> bool:
    """A value known while reading: a number, text, None, or a list/tuple of such."""
    if isinstance(v, (bool, int, float, str, type(None), range)):
        return True
    return isinstance(v, (list, tuple)) and all(_is_plain(x) for x in v)


def _assigned_names(stmt: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _holds_model(value: Any, depth: int = 0) -> bool:
    """A layer, model or tensor, or a list/tuple/dict holding one."""
    if isinstance(value, (ModelObj, Tensor, LayerObj, JsonLayerObj)):
        return True
    if depth < 3 and isinstance(value, (list, tuple)):
        return any(_holds_model(v, depth + 1) for v in value)
    if depth < 3 and isinstance(value, dict):
        return any(_holds_model(v, depth + 1) for v in value.values())
    return False


def _has_tensor(value: Any) -> bool:
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(_has_tensor(v) for v in value.values())
    return False


def _takes_states(obj: LayerObj) -> bool:
    """A recurrent layer, which takes ``initial_state`` (SimpleRNN, LSTM, GRU, RNN, ConvLSTM,
    Bidirectional)."""
    return hasattr(lookup(obj.class_name), "initial_states")


def _alias_shape(nodes: dict, name: str) -> Shape:
    return nodes[name].output_shape


def _positional_ignored(cls: type[Layer], i: int) -> bool:
    return i < len(cls.positional) and cls.positional[i] in IGNORED_ARGS


def _tensor_list(value: Any) -> list | None:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Tensor) for v in value):
        return list(value)
    if isinstance(value, dict) and value and all(isinstance(v, Tensor) for v in value.values()):
        return list(value.values())
    return None


def _not_followed(value: Any, line: int, what: str) -> ExplainError:
    if isinstance(value, Unknown):
        return value.error(what)
    return ExplainError(f"line {line}: {what} is not something explain can follow")


def _shape(raw: Any, line: int, what: str) -> Shape:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = (raw,)
    if isinstance(raw, Unknown):
        raise raw.error(f"the '{what}'")
    if not isinstance(raw, (list, tuple)) or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in raw):
        raise ExplainError(f"line {line}: '{what}' must be a tuple of positive sizes (or None). "
                           f"Received: {what}={raw!r}")
    return tuple(raw)


def _declared_input(obj: LayerObj) -> Shape | None:
    """The input shape a first layer declares (input_shape=, batch_input_shape=, input_dim=)."""
    kw = obj.kwargs
    if obj.class_name == "Embedding":  # its input_dim is the vocabulary; input_length the input
        return _shape(kw["input_length"], obj.line, "input_length") if kw.get("input_length") else None
    if kw.get("input_shape") is not None:
        return _shape(kw["input_shape"], obj.line, "input_shape")
    if kw.get("batch_input_shape") is not None:
        return _shape(kw["batch_input_shape"], obj.line, "batch_input_shape")[1:]
    if kw.get("input_dim") is not None:
        return _shape(kw["input_dim"], obj.line, "input_dim")
    return None


def _no_required_args(f: "Function") -> bool:
    spec = f.node.args
    return (len(spec.posonlyargs) + len(spec.args) == len(spec.defaults)
            and all(d is not None for d in spec.kw_defaults))


def _is_main_guard(stmt: ast.If) -> bool:
    t = stmt.test
    return (isinstance(t, ast.Compare) and isinstance(t.left, ast.Name) and t.left.id == "__name__"
            and not stmt.orelse)
