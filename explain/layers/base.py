"""What every layer type is: a frozen dataclass of hyperparameters that knows its weight groups
(sympy formulas written once per type) and maps input shapes to an output shape.

Shapes exclude the batch axis. A dimension is an int, a sympy expression in declared symbols,
or ``None`` where the size is unknown (a variable sequence length).

Convention notes: ``Layer.notes()`` returns stable keys (never prose; the renderer translates
them) for the conventions that decide a count where frameworks or hand calculations differ:

- ``rnn_one_bias``: Keras RNNs (SimpleRNN, LSTM, GRU with reset_after=False) have one bias
  vector per gate; PyTorch has two.
- ``rnn_two_biases``: PyTorch RNN/LSTM/GRU have two bias vectors per gate set (b_ih and b_hh).
- ``gru_reset_after``: Keras GRU with reset_after=True (the default) keeps an input and a
  recurrent bias, 3h(i + h) + 6h, as PyTorch does; reset_after=False gives 3h(i + h) + 3h.
- ``rnn_stacked_input``: PyTorch RNN layers after the first see h·D inputs (D directions), or
  p·D with proj_size p.
- ``lstm_proj_size``: PyTorch LSTM with proj_size p: weight_hr (p·h) per layer and direction,
  and the recurrent weights are 4h·p.
- ``bidirectional_twice``: a bidirectional RNN has two independent copies of the weights.
- ``bidirectional_…``: a Keras Bidirectional layer's versions of its wrapped layer's bias notes,
  per direction and with the wrapper's total 2(…) (``recurrent.PER_DIRECTION``).
- ``keras_bn_moving_stats_non_trainable``: Keras BatchNormalization's moving mean and variance
  are non-trainable weights counted in the parameters (4C, 2C of them non-trainable).
- ``bn_running_stats_buffers``: PyTorch's running_mean, running_var and num_batches_tracked are
  buffers, not parameters (2C parameters).
- ``mha_heads_times_key_dim``: Keras MultiHeadAttention projects to num_heads·key_dim columns,
  so the count grows with the number of heads.
- ``mha_in_proj_4E2``: PyTorch MultiheadAttention: in_proj 3E² + 3E and out_proj E² + E,
  whatever num_heads.
- ``mha_separate_proj``: PyTorch MultiheadAttention with kdim or vdim ≠ E: separate q, k, v
  projection weights (E², E·kdim, E·vdim).
- ``mha_bias_kv``: add_bias_kv adds bias_k and bias_v (2E).
"""
from __future__ import annotations

import dataclasses
import operator
import reprlib
import typing
from dataclasses import field
from functools import cache
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Optional, Sequence, TypeVar

import sympy

from ..compute import NO_RULE, Cost, NotDerived, elementwise
from ..errors import ExplainError
from ..records import make, record
from ..symbols import Value, at_values, same_value, sym

if TYPE_CHECKING:
    from ..memory import BlockKind
    from ..model import Model

Dim = Optional[Value]
Shape = tuple[Dim, ...]


@record
class Group:
    """A named weight group of a layer type; ``formula`` is its size in the type's symbols."""

    name: str
    formula: sympy.Expr
    trainable: bool = True
    buffer: bool = False
    """A PyTorch buffer (state such as running statistics), not a parameter."""


# Arguments that Keras layers take but that do not change a parameter count or a shape.
IGNORED_ARGS = frozenset({
    "activation", "recurrent_activation", "dtype", "seed", "autocast", "input_dim_ordering",
    "kernel_initializer", "bias_initializer", "gamma_initializer", "beta_initializer",
    "moving_mean_initializer", "moving_variance_initializer", "embeddings_initializer",
    "recurrent_initializer", "depthwise_initializer", "pointwise_initializer", "alpha_initializer",
    "kernel_regularizer", "bias_regularizer", "activity_regularizer", "gamma_regularizer",
    "beta_regularizer", "embeddings_regularizer", "recurrent_regularizer", "alpha_regularizer",
    "depthwise_regularizer", "pointwise_regularizer", "kernel_constraint", "bias_constraint",
    "gamma_constraint", "beta_constraint", "embeddings_constraint", "recurrent_constraint",
    "depthwise_constraint", "pointwise_constraint", "alpha_constraint", "lora_alpha",
    "quantization_config", "synchronized", "momentum", "epsilon", "renorm", "renorm_clipping",
    "renorm_momentum", "fused", "virtual_batch_size", "adjustment", "noise_shape", "rate",
    "stddev", "negative_slope", "max_value", "threshold", "alpha", "interpolation",
    "batch_input_shape", "batch_shape", "input_shape", "build_config", "mask_zero",
    "sparse", "ragged", "unroll", "stateful", "dropout", "recurrent_dropout", "time_major",
    "implementation", "zero_output_for_mask", "go_backwards", "return_attention_scores",
    "attention_axes", "flash_attention", "module", "registered_name", "shared_object_id",
})


# Arguments every Keras layer takes (keras.layers.Layer's own, and Keras 2 habits it tolerates).
COMMON_ARGS = frozenset({"dtype", "autocast", "activity_regularizer", "input_shape", "input_dim",
                         "batch_input_shape", "batch_size", "name"})


class ArgContext:
    """How raw argument values become sizes: declared symbols and their values."""

    def __init__(self, symbols: Mapping[str, sympy.Symbol] | None = None,
                 values: Mapping[sympy.Symbol, int] | None = None, strict: bool = False) -> None:
        self.symbols = dict(symbols or {})
        self.values = dict(values or {})
        self.strict = strict
        """Spec files: a type that lists its ``ignores`` accepts only those (and COMMON_ARGS) of
        the ignored arguments, as Keras rejects arguments a layer does not take."""

    def number(self, name: str, raw: Any) -> Value:
        """An int, or an arithmetic expression (a string) of declared symbols."""
        if isinstance(raw, bool):
            raise ExplainError(f"'{name}' must be a whole number. Received: {name}={raw!r}")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer() and abs(raw) < 2**53:
            return int(raw)
        if isinstance(raw, str):
            from ..arith import parse_size
            value = parse_size(raw, self.symbols, what=name)
            if not isinstance(value, int) and self.values:
                at = at_values(value, self.values)
                if at is sympy.nan:
                    raise ExplainError(f"'{name}' divides by zero at the declared values. "
                                       f"Received: {name}={raw!r}")
                if not at.is_Integer:
                    used = ", ".join(f"{s} = {self.values[s]}" for s in sorted(
                        value.free_symbols & set(self.values), key=str))
                    raise ExplainError(f"'{name}' must be a whole number, but {raw} = {at} with {used}. "
                                       f"Received: {name}={raw!r}")
            return value
        raise ExplainError(f"'{name}' must be a whole number. Received: {name}={raw!r}")

    def numeric(self, v: Value) -> int | None:
        """The value of ``v`` with the declared symbols' values substituted (None if not numeric)."""
        if isinstance(v, int):
            return v
        r = at_values(v, self.values)
        return int(r) if r.is_Integer else None


# ----------------------------------------------------------------------------- argument kinds

Converter = Callable[["ArgContext", str, Any, int], Any]


def _check_sign(ctx: ArgContext, name: str, v: Value, positive: bool, raw: Any) -> Value:
    n = ctx.numeric(v)
    if n is not None and (n <= 0 if positive else n < 0):
        need = "positive" if positive else "zero or positive"
        value = f" (= {n} at the declared values)" if isinstance(raw, str) else ""
        raise ExplainError(f"'{name}' must be {need}. Received: {name}={raw!r}{value}")
    return v


def _size(ctx: ArgContext, name: str, raw: Any, rank: int) -> Value:
    return _check_sign(ctx, name, ctx.number(name, raw), True, raw)


def _count(ctx: ArgContext, name: str, raw: Any, rank: int) -> Value:
    return _check_sign(ctx, name, ctx.number(name, raw), False, raw)


def _tuple_of(one: Converter) -> Converter:
    def convert(ctx: ArgContext, name: str, raw: Any, rank: int) -> tuple:
        if isinstance(raw, (list, tuple)):
            if len(raw) != rank:
                raise ExplainError(f"'{name}' must be one number or a list of {rank}. "
                                   f"Received: {name}={list(raw)!r}")
            return tuple(one(ctx, name, r, rank) for r in raw)
        v = one(ctx, name, raw, rank)
        return (v,) * rank
    return convert


def _pairs(ctx: ArgContext, name: str, raw: Any, rank: int) -> tuple:
    """ZeroPadding/Cropping amounts: n, (n_1, …), or ((before, after), …) → ((b, a), …)."""
    if isinstance(raw, (list, tuple)):
        if len(raw) != rank and not (rank == 1 and len(raw) == 2):
            raise ExplainError(f"'{name}' must be one number, {rank} numbers or {rank} pairs. "
                               f"Received: {name}={list(raw)!r}")
        if rank == 1 and len(raw) == 2 and not any(isinstance(r, (list, tuple)) for r in raw):
            return ((_count(ctx, name, raw[0], 1), _count(ctx, name, raw[1], 1)),)
        out = []
        for r in raw:
            if isinstance(r, (list, tuple)):
                if len(r) != 2:
                    raise ExplainError(f"'{name}' pairs must have two numbers. Received: {name}={list(raw)!r}")
                out.append((_count(ctx, name, r[0], 1), _count(ctx, name, r[1], 1)))
            else:
                v = _count(ctx, name, r, 1)
                out.append((v, v))
        return tuple(out)
    v = _count(ctx, name, raw, rank)
    return ((v, v),) * rank


def _boolean(ctx: ArgContext, name: str, raw: Any, rank: int) -> bool:
    if not isinstance(raw, bool):
        raise ExplainError(f"'{name}' must be true or false. Received: {name}={raw!r}")
    return raw


def _integer(ctx: ArgContext, name: str, raw: Any, rank: int) -> Value:
    return ctx.number(name, raw)


def _integers(ctx: ArgContext, name: str, raw: Any, rank: int) -> tuple:
    if isinstance(raw, (list, tuple)):
        return tuple(ctx.number(name, r) for r in raw)
    return (ctx.number(name, raw),)


def _optional(one: Converter) -> Converter:
    def convert(ctx: ArgContext, name: str, raw: Any, rank: int) -> Any:
        return None if raw is None else one(ctx, name, raw, rank)
    return convert


def _anything(ctx: ArgContext, name: str, raw: Any, rank: int) -> Any:
    return raw


def _choice(*options: str) -> Converter:
    def convert(ctx: ArgContext, name: str, raw: Any, rank: int) -> str:
        value = raw.lower() if isinstance(raw, str) else raw
        if value not in options:
            allowed = ", ".join(repr(o) for o in options)
            raise ExplainError(f"'{name}' must be one of {allowed}. Received: {name}={raw!r}")
        return value
    return convert


def arg(convert: Converter, default: Any = dataclasses.MISSING) -> Any:
    """A hyperparameter field with the converter that checks and normalises its raw value."""
    if default is dataclasses.MISSING:
        return field(metadata={"convert": convert})
    return field(default=default, metadata={"convert": convert})


def size(default: Any = dataclasses.MISSING) -> Any:
    """A positive size (int or expression of declared symbols)."""
    return arg(_size, default)


def count(default: Any = dataclasses.MISSING) -> Any:
    """A size that may be zero."""
    return arg(_count, default)


def sizes(default: Any = dataclasses.MISSING) -> Any:
    """One positive size per spatial axis; a single number is repeated."""
    return arg(_tuple_of(_size), default)


def counts(default: Any = dataclasses.MISSING) -> Any:
    """One non-negative size per spatial axis; a single number is repeated."""
    return arg(_tuple_of(_count), default)


def optional_sizes(default: Any = None) -> Any:
    return arg(_optional(_tuple_of(_size)), default)


def pairs(default: Any = dataclasses.MISSING) -> Any:
    """(before, after) amounts per spatial axis."""
    return arg(_pairs, default)


def flag(default: bool) -> Any:
    return arg(_boolean, default)


def integer(default: Any = dataclasses.MISSING) -> Any:
    """A whole number that may be negative (an axis)."""
    return arg(_integer, default)


def integers(default: Any = dataclasses.MISSING) -> Any:
    """A list of whole numbers (axes, a target shape with -1)."""
    return arg(_integers, default)


def choice(*options: str, default: Any = dataclasses.MISSING) -> Any:
    return arg(_choice(*options), default)


def anything(default: Any = None) -> Any:
    """An argument accepted as given (no effect on the count, or checked by the layer)."""
    return arg(_anything, default)


# ----------------------------------------------------------------------------- the base class

def has_bias(weights: Sequence[str]) -> bool:
    """Whether the parameter groups named ``weights`` include a bias (``bias``, ``b``, ``bias_ih``,
    ``forward_bias``, …; a normalization's shift β counts as one)."""
    return any(w == "b" or "bias" in w.lower() or w.lower().endswith("beta") for w in weights)


def has_scale(weights: Sequence[str]) -> bool:
    """Whether a normalization's parameter groups include its scale γ (Keras gamma, torch weight)."""
    return any(w in ("gamma", "weight", "scale") for w in weights)


def _is_class_var(annotation: Any) -> bool:
    if isinstance(annotation, str):  # postponed (``from __future__ import annotations``)
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or typing.get_origin(annotation) is ClassVar


if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda function: function

L = TypeVar("L", bound=type)


def _inherited_fields(cls: type) -> dict[str, Any]:
    """The fields a dataclass collects from ``cls``'s bases (each base's, in reverse method
    resolution order): more than the first base's where ``cls`` has several."""
    fields: dict[str, Any] = {}
    for base in cls.__mro__[-1:0:-1]:
        fields.update(getattr(base, "__dataclass_fields__", {}))
    return fields


@dataclass_transform(kw_only_default=True, frozen_default=True, eq_default=False,
                     field_specifiers=(dataclasses.field, dataclasses.Field))
def layer_type(cls: L) -> L:
    """The decorator of every layer type: ``cls`` made a frozen, keyword-only dataclass of the
    fields it declares. Equality, hash and repr are :class:`Layer`'s (over all fields, as a
    dataclass's own would be), so a type that declares no field of its own (class attributes
    only) and inherits all its bases' fields from the first needs no processing. The others are
    made by :func:`explain.records.make`, which compiles no method but ``__init__``, and that
    only when a layer of the type is first built."""
    own = cls.__dict__.get("__annotations__", {})
    if (all(_is_class_var(a) for a in own.values())
            and list(_inherited_fields(cls).items()) == list(getattr(cls, "__dataclass_fields__", {}).items())):
        return cls
    return make(cls, frozen=True, kw_only=True, eq=False, repr=False)


_INIT_FIELDS: dict[type, Mapping[str, dataclasses.Field]] = {}


def _init_fields(cls: type) -> Mapping[str, dataclasses.Field]:
    """The fields of ``cls`` that its ``__init__`` takes, by name (once per class: every layer
    built asks)."""
    found = _INIT_FIELDS.get(cls)
    if found is None:
        found = _INIT_FIELDS[cls] = {f.name: f for f in dataclasses.fields(cls) if f.init}
    return found


_Compared = tuple[Callable[[Any], tuple], Callable[[Any], tuple], tuple[str, ...]]
_COMPARED: dict[type, _Compared] = {}


def _compared(cls: type) -> _Compared:
    """``cls``'s fields as its dataclass methods read them: the values compared, the values
    hashed, the names shown by repr (once per class)."""
    found = _COMPARED.get(cls)
    if found is None:
        found = _COMPARED[cls] = _read_fields(cls)
    return found


def _read_fields(cls: type) -> _Compared:
    fields = dataclasses.fields(cls)

    def getter(names: tuple[str, ...]) -> Callable[[Any], tuple]:
        if len(names) == 1:
            name = names[0]
            return lambda self: (getattr(self, name),)
        return operator.attrgetter(*names) if names else (lambda self: ())

    compared = tuple(f.name for f in fields if f.compare)
    hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
    return getter(compared), getter(hashed), tuple(f.name for f in fields if f.repr)


NORM_ROLES = frozenset({"batchnorm", "norm", "instance_norm", "local_response_norm", "unit_norm", "standardize"})
"""Roles of the layers that normalise their input (batch, layer, RMS, instance, … normalization)."""


@layer_type
class Layer:
    """A layer type. Subclasses declare hyperparameters as fields made with the helpers above.

    Subclasses override ``output_shape`` and, if they have weights, ``weight_groups`` and ``values``.
    """

    type_name: ClassVar[str] = "Layer"
    """The class name under which the type is registered (Keras 3 or torch.nn)."""
    framework: ClassVar[str] = "keras"
    positional: ClassVar[tuple[str, ...]] = ()
    """Argument names in the order the framework's constructor takes them positionally."""
    rank: ClassVar[int] = 1
    """Spatial rank for rank-generic types (Conv1D/2D/3D); sets how tuple arguments expand."""
    input_rank: ClassVar[Optional[int]] = None
    """The required input rank without the batch axis, if fixed (Conv2D: 3)."""
    min_input_rank: ClassVar[int] = 1
    multi_input: ClassVar[bool] = False
    aliases: ClassVar[tuple[str, ...]] = ()
    ignores: ClassVar[Optional[frozenset[str]]] = None
    """The framework's arguments this type takes without using them (initializers, activation,
    …); with a strict ArgContext (spec files) any other unused argument is an error. None: any
    of IGNORED_ARGS."""

    output_activation: ClassVar[bool] = True
    """An ``activation`` field acts on every output element after the bias (Dense, Conv): the
    document names it and the compute counts it per output; False where the layer's own sentence
    and cost hold it (SimpleRNN's tanh, in its step's equation)."""

    role: ClassVar[str] = "generic"
    """What the layer is (``conv``, ``dense``, ``pool``, …): the key the derivation, the checker
    and ``explain layers`` dispatch on. Subclasses inherit it; ``generic`` is for no real type."""
    explanation: ClassVar[Optional[str]] = None
    """What the layer does and where its weights come from: a message id (``N_``), true of every
    subclass that inherits it."""
    explanation_no_bias: ClassVar[Optional[str]] = None
    """The explanation for a layer of this type built without a bias (or β), where it differs."""
    explanation_no_weights: ClassVar[Optional[str]] = None
    """The explanation for a layer of this type built without any weights, where it differs."""
    compute_explanation: ClassVar[Optional[str]] = None
    type_label: ClassVar[Optional[str]] = None
    """What documents call a row that is no framework class (a msgid: "sum of the embeddings"),
    in place of its type name."""
    """Why the type takes the MACs and other operations it does (a msgid), or None."""
    symbol_meanings: ClassVar[Mapping[str, str]] = {}
    """What the type's symbols stand for where the common meaning does not fit (symbol name →
    meaning key of the symbol table); merged along the class hierarchy (see ``meaning_of``)."""

    call_in_forward: ClassVar[bool] = False
    """A row that is a call in a PyTorch module's forward between its modules (``x.mean(1)``,
    ``torch.flatten(x, 1)``), not a module: documents do not count it among the layers."""

    ops_per_element: ClassVar[Optional[int]] = None
    """A layer whose compute is elementwise: its other operations per output element (0: it
    computes nothing at inference, such as a reshape or dropout), no MACs. None: the type's
    ``cost`` says (or it has no compute rule)."""

    output_is_view: ClassVar[bool] = False
    """The output is the input under a new shape, not a copy (Flatten, Reshape): the activation
    estimate of the training memory does not count it."""

    exact_shape_rule: ClassVar[bool] = False
    """A torch.nn type whose ``output_shape`` is exactly the shape torch's own forward gives (batch
    first, one tensor in and one out), so that ``from_torch`` takes the shapes of a tree of
    ``nn.Sequential`` from the rules without running it; tests/test_live_torch_rules.py checks
    this against torch. Set on the type itself, not inherited by a subclass that is not (the
    default is False)."""

    compute_not_derived: ClassVar[Optional[str]] = None
    """Why this type's compute is not derived (it says so rather than count 0), where it is not."""

    composition_part: ClassVar[Optional[str]] = None
    """The part a row of this type is in the sentence saying what a model consists of
    (``render/composition.py``: ``pooler``), where its role alone does not say."""

    kaplan_rest: ClassVar[Optional[str]] = None
    """A decoder block with ``kaplan_widths``: what its exact count has beyond Kaplan et al.'s
    2·d_model·(2·d_attn + d_ff) per layer (a message id, true of the block's weight groups)."""

    trainable: bool = flag(True)

    # A dataclass's __eq__, __hash__ and __repr__, written once for every layer type (see
    # ``layer_type``): the values of the fields, compared, hashed and shown in their order.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        compared = _compared(self.__class__)[0]
        return compared(self) == compared(other)

    def __hash__(self) -> int:
        return hash(_compared(self.__class__)[1](self))

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        names = _compared(self.__class__)[2]
        return (f"{self.__class__.__qualname__}("
                + ", ".join(f"{name}={getattr(self, name)!r}" for name in names) + ")")

    def kaplan_widths(self) -> Optional[tuple[sympy.Expr, sympy.Expr, sympy.Expr]]:
        """A decoder block's (d_model, d_attn, d_ff) of Kaplan et al. 2020's Table 1, in the
        type's symbols, where its closed forms describe the block; None for every other layer."""
        return None

    def block_kind(self) -> Optional["BlockKind"]:
        """A transformer block's dropout, feed-forward and heads beside Korthikanti et al.'s
        GPT-style block (``explain.memory.BlockKind``); None where not stated."""
        return None

    def kaplan_rest_note(self) -> Optional[str]:
        """What this block's exact count has beyond Kaplan et al.'s (message id); the type's
        ``kaplan_rest`` unless the block's options change it."""
        return self.kaplan_rest

    def kaplan_identities(self) -> dict:
        """Symbols of the type that are equal in this block (H_kv = H without grouped-query
        attention), substituted in what the exact count has beyond Kaplan et al.'s N."""
        return {}

    def kaplan_ffn_note(self) -> Optional[str]:
        """Why d_ff is not the block's feed-forward width (message id with ``%(f)s`` and
        ``%(d_ff)s``: a gated feed-forward network has three matrices), or None."""
        return None

    def kaplan_absent(self) -> Optional[str]:
        """A decoder block whose structure Kaplan et al.'s closed forms do not describe: why
        (message id), so the derivation says it rather than leave them out silently."""
        return None

    # -- what the layer is -----------------------------------------------------------------
    def display_name(self) -> Optional[str]:
        """A row that is a step of the forward pass, not a module (BERT's embeddings sum, a
        pooler's first token): the msgid documents show, in plain text, in place of its identifier
        (which JSON and the Python API keep). None: the row is named by its module path."""
        return None

    def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
        """This layer's explanation, given the names of its parameter groups ``weights``: the
        class's, or its variant without weights or without a bias where the class has one."""
        if not weights and self.explanation_no_weights:
            return self.explanation_no_weights
        if weights and self.explanation_no_bias and not has_bias(weights):
            return self.explanation_no_bias
        return self.explanation

    def inputs_text(self, names: Sequence[str]) -> Optional[tuple[str, dict[str, str]]]:
        """The sentence naming this layer's inputs by their roles (message id with a placeholder
        for each role, the input's name for each), or None: the inputs are listed in order."""
        return None

    def explanation_values(self) -> dict[str, tuple[str, tuple[float, ...]]]:
        """This layer's own math for the placeholders of its explanation: placeholder →
        (LaTeX with ``§`` where each number goes, the numbers), e.g. ``{"r": ("r = §", (0.25,))}``.
        A placeholder left out keeps its generic math (``messages.ROLE_MATH``)."""
        return {}

    def explanation_code(self) -> dict[str, str]:
        """This layer's own argument names for the code placeholders of its explanation, e.g.
        ``{"rate": "p"}`` (PyTorch's Dropout); a placeholder left out keeps its generic name
        (``messages.ROLE_CODE``)."""
        return {}

    def compute_explanation_for(self) -> Optional[str]:
        """Why this layer takes its MACs and other operations: the class's sentence, or None."""
        return self.compute_explanation

    def compute_math(self) -> dict[str, Any]:
        """The formulas the placeholders of this layer's compute sentence name (placeholder →
        sympy expression in the type's symbols), e.g. a max pooling's window ``k_h·k_w``."""
        return {}

    @classmethod
    def meaning_of(cls, symbol: str) -> Optional[str]:
        """What ``symbol`` stands for in this type (a meaning key), the nearest class's say."""
        for klass in cls.__mro__:
            meanings = vars(klass).get("symbol_meanings")
            if meanings and symbol in meanings:
                return meanings[symbol]
        return None

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_args(cls, args: Mapping[str, Any], ctx: ArgContext | None = None,
                  positional: Sequence[Any] = ()) -> "Layer":
        """Build from raw arguments, checking each; unknown arguments are errors with a hint."""
        ctx = ctx or ArgContext()
        fields = _init_fields(cls)
        raw: dict[str, Any] = {}
        if len(positional) > len(cls.positional):
            raise ExplainError(f"{cls.type_name} takes at most {len(cls.positional)} positional "
                               f"arguments. Received: {len(positional)}")
        for name, value in zip(cls.positional, positional):
            raw[name] = value
        for name, value in args.items():
            if name in raw:
                raise ExplainError(f"'{name}' is given twice")
            raw[name] = value
        kwargs: dict[str, Any] = {}
        for name, value in raw.items():
            f = fields.get(name)
            if f is None:
                if cls.ignores is None or not ctx.strict:
                    if name in IGNORED_ARGS:
                        continue
                elif name in cls.ignores or name in COMMON_ARGS:
                    continue
                import difflib  # only for an error's hint
                hint = difflib.get_close_matches(name, list(fields), n=1)
                known = f" Did you mean '{hint[0]}'?" if hint else ""
                raise ExplainError(f"{cls.type_name} has no argument '{name}'.{known}")
            kwargs[name] = f.metadata["convert"](ctx, name, value, cls.rank)
        for name, f in fields.items():
            if name in kwargs:
                continue
            if f.default is dataclasses.MISSING:
                raise ExplainError(f"{cls.type_name} needs the argument '{name}'")
            kwargs[name] = f.metadata["convert"](ctx, name, f.default, cls.rank)
        layer = cls(**kwargs)
        layer.validate(ctx)
        return layer

    def validate(self, ctx: ArgContext) -> None:
        """Check arguments against each other (after each was checked alone)."""

    # -- what a layer computes -------------------------------------------------------------
    def weight_groups(self) -> tuple[Group, ...]:
        """The weight groups this layer has, from the type's formulas (built once per type)."""
        return ()

    def weight_groups_for(self, shapes: Sequence[Shape]) -> tuple[Group, ...]:
        """The weight groups for inputs of ``shapes``: :meth:`weight_groups`, unless the formula
        is written in the input's own axes (PReLU's H·W·C)."""
        return self.weight_groups()

    def formula_parts(self) -> Optional[str]:
        """A sentence (msgid) said before the formula that gives where its terms come from, or None."""
        return None

    def written_groups(self) -> Mapping[str, sympy.Expr]:
        """Weight groups whose formula is printed as the tensor's shape writes it: an unevaluated
        product, its factors in the order of the tensor's axes (Keras's attention_output kernel
        (H, d_v, E_out): H·d_v·E_out), where the printer's order would read otherwise."""
        return {}

    def display_formula(self) -> Optional[sympy.Expr]:
        """The parameter count as a textbook writes it (LSTM: 4h(i + h) + 4h; attention's Q, K,
        V, O in that order), an unevaluated expression built once per type and configuration, printed as written and then with the
        numbers; None: the groups' sum in the printer's order. The counts still come from the
        groups, and the two must be equal (tests/test_display_forms.py)."""
        return None

    def values(self, shape: Shape) -> dict[sympy.Symbol, Value]:
        """The value of every symbol in this layer's formulas, given its input shape."""
        return {}

    def output_shape(self, shape: Shape) -> Shape:
        """The output shape (without the batch axis) for an input of ``shape``."""
        return shape

    def infer(self, shapes: Sequence[Shape]) -> tuple[Shape, dict[sympy.Symbol, Value]]:
        """Output shape and symbol values for the input shapes (one for a single-input layer)."""
        if not self.multi_input:
            if len(shapes) != 1:
                raise ExplainError(f"{self.type_name} takes one input. Received: {len(shapes)} inputs")
            shape = shapes[0]
            self.check_rank(shape)
            return self.output_shape(shape), self.values(shape)
        return self.output_shape_multi(shapes), self.values_multi(shapes)

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        raise NotImplementedError

    def values_multi(self, shapes: Sequence[Shape]) -> dict[sympy.Symbol, Value]:
        return {}

    def check_rank(self, shape: Shape) -> None:
        if self.input_rank is not None and len(shape) != self.input_rank:
            raise ExplainError(f"{self.type_name} expects an input of rank {self.input_rank} "
                               f"(without the batch axis). Received: input_shape={format_shape(shape)}")
        if len(shape) < self.min_input_rank:
            raise ExplainError(f"{self.type_name} expects an input of rank {self.min_input_rank} or more "
                               f"(without the batch axis). Received: input_shape={format_shape(shape)}")

    def extra_outputs(self, shapes: Sequence[Shape]) -> tuple[Shape, ...]:
        """The outputs after the first, for a layer that returns several (an RNN's states with
        ``return_state``, Bidirectional's backward output with ``merge_mode=None``); references
        to the layer mean its first output."""
        return ()

    def cost(self, shapes: Sequence[Shape], out: Shape, values: Mapping[sympy.Symbol, Value]) -> Cost:
        """One copy's MACs and other operations for one sample, as formulas in the type's
        symbols (``values``: this layer's values of them) and shape symbols with their values
        (see ``explain.compute``). Raises NotDerived where the type has no rule or a size the
        count needs is unknown."""
        if self.ops_per_element is None:
            raise NotDerived(NO_RULE)
        return elementwise(out, self.ops_per_element)

    def active_formula(self) -> sympy.Expr | None:
        """One copy's parameters that compute with each token, in the type's symbols (a
        mixture of experts: the router, shared experts and k of the routed experts); None when
        all of them do."""
        return None

    def notes(self) -> tuple[str, ...]:
        """Keys of the conventions that decide this layer's count (see the module docstring)."""
        return ()

    def note_values(self) -> tuple[tuple[str, Value], ...]:
        """Sizes of this layer that its notes print (placeholder, value), e.g. Gemma's
        ``query_pre_attn_scalar``."""
        return ()

    def note_values_for(self, values: Mapping[sympy.Symbol, Value]) -> tuple[tuple[str, Value], ...]:
        """:meth:`note_values` where a note's number needs the sizes the input gives (``values``,
        the node's symbol values)."""
        return self.note_values()

    def notes_for(self, shapes: Sequence[Shape]) -> tuple[str, ...]:
        """:meth:`notes` for inputs of ``shapes``: a note that depends on which of their axes an
        argument names (LayerNormalization's last axis, -1 or its number) overrides this."""
        return self.notes()

    def wrapped(self) -> Optional["Layer"]:
        """The inner layer of a wrapper (TimeDistributed, Bidirectional), else None."""
        return None

    def nested(self) -> Optional["Model"]:
        """The nested model of a model used as a layer (Sequential, Functional), else None."""
        return None


def known(dim: Dim, what: str, type_name: str) -> Value:
    """``dim`` where it must be known to count weights."""
    if dim is None:
        raise ExplainError(f"{type_name} needs a known {what}; the input shape leaves it unknown (None)")
    return dim


def same_size(a: Dim, b: Dim) -> bool | None:
    """True or False where it is decidable, None where symbols leave it open."""
    if a is None or b is None:
        return None
    return same_value(a, b)  # never simplify(): its time has no bound


def tuple_text(items: Sequence[str]) -> str:
    """Items (as text) as Python writes a tuple: ``(28, 28, 2)``, one item ``(30,)``."""
    return "(" + ", ".join(items) + (",)" if len(items) == 1 else ")")


def format_shape(shape: Shape) -> str:
    """A shape as Python writes it, an unknown axis ``None``: ``(None, 64)``, ``(30,)``."""
    return tuple_text(["None" if d is None else str(d) for d in shape])


def optional_counts(default: Any = None) -> Any:
    """None, or one non-negative size per spatial axis."""
    return arg(_optional(_tuple_of(_count)), default)


def shape_arg(ctx: ArgContext, name: str, raw: Any, rank: int = 1) -> Optional[Shape]:
    """A shape without the batch axis: positive sizes, ``null`` for an unknown one; a single
    size stands for a shape of rank 1 (None if absent)."""
    if raw is None:
        return None
    if isinstance(raw, (int, str)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, (list, tuple)) or not raw:
        raise ExplainError(f"'{name}' must be a list of sizes without the batch axis. "
                           f"Received: {name}={raw!r}")
    out: list[Dim] = []
    for d in raw:
        if d is None:
            out.append(None)
            continue
        v = ctx.number(name, d)
        n = ctx.numeric(v)
        if n is not None and n <= 0:
            raise ExplainError(f"'{name}' must list positive sizes. Received: {name}={list(raw)!r}")
        out.append(v)
    return tuple(out)


# ----------------------------------------------------------------------------- LoRA
# LoRA (``lora_rank=r`` on Dense, EinsumDense, Embedding, Conv1D/2D/3D), as Keras counts it.
#
# Keras freezes the layer's kernel (it becomes non-trainable) and adds two trainable matrices whose
# product has the kernel's shape: ``lora_kernel_a`` (the kernel's shape without its last axis, × r)
# and ``lora_kernel_b`` (r × the kernel's last axis). Dense: n_in·r + r·n_out; Conv2D:
# k_h·k_w·(c_in/g)·r + r·c_out; Embedding (lora_embeddings_a/b): V·r + r·d. A rank of 0 or None
# means no LoRA, as in Keras.

lora_r = sym("r")
"""The LoRA rank."""


def _lora_rank(ctx: ArgContext, name: str, raw: Any, rank: int) -> Any:
    if raw is None or (isinstance(raw, int) and not isinstance(raw, bool) and raw == 0):
        return None
    value = ctx.number(name, raw)
    n = ctx.numeric(value)
    if n is not None and n < 0:
        raise ExplainError(f"'{name}' must be a positive whole number (or 0 for none). Received: {name}={raw!r}")
    return value


def _activation(ctx: ArgContext, name: str, raw: Any, rank: int) -> Optional[str]:
    """An activation's name, lower-case: ``"relu"``, Keras's serialized ``{"class_name":
    "function", "config": "relu"}`` or ``{"class_name": "ReLU", …}``; None or ``"linear"`` for none.
    Any other value names an activation explain does not know: ``"custom"``."""
    if raw is None or isinstance(raw, str):
        return raw.lower() if raw else None
    if isinstance(raw, dict):
        for key in ("config", "registered_name", "class_name"):
            value = raw.get(key)
            if isinstance(value, str) and value and value != "function":
                return value.lower()
    return "custom"


def activation_arg() -> Any:
    """The ``activation`` field of a layer that applies one to its output (Dense, Conv, …): it
    adds its operations per output element to the layer's other operations."""
    return arg(_activation, None)


def lora_rank_arg() -> Any:
    """The ``lora_rank`` field: None (no LoRA) or the rank r."""
    return arg(_lora_rank, None)


@cache
def with_lora(groups: tuple[Group, ...], frozen: str, a: sympy.Expr, b: sympy.Expr,
              prefix: str = "lora_kernel") -> tuple[Group, ...]:
    """``groups`` with ``frozen`` made non-trainable, then ``{prefix}_a`` = a·r and
    ``{prefix}_b`` = r·b (Keras's order: the layer's own weights first)."""
    own = tuple(Group(g.name, g.formula, False, g.buffer) if g.name == frozen else g for g in groups)
    return own + (Group(f"{prefix}_a", a * lora_r), Group(f"{prefix}_b", lora_r * b))
