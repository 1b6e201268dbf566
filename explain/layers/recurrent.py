"""Keras recurrent layers: SimpleRNN, LSTM, GRU, ConvLSTM1D/2D/3D, Bidirectional, and RNN with
cells (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells).

With n_in input features, h units and G gates (SimpleRNN 1, GRU 3, LSTM 4):

    kernel n_in·G·h + recurrent_kernel h·G·h + bias G·h              = G·h·(n_in + h) + G·h
    GRU with reset_after=True (the default): bias (2, 3h)           = 3h·(n_in + h) + 6h
    ConvLSTM: kernel k…·c_in·4c_out + recurrent k…·c_out·4c_out + bias 4c_out

Input (T, n_in) → (T, h) with ``return_sequences``, else (h,); ``return_state`` adds the final
states (h,) (LSTM: h and c) as further outputs. Bidirectional: two copies (forward and backward);
``merge_mode`` concat doubles the last axis, sum/mul/ave keep it, None gives both outputs.
RNN with a list of cells: cell k sees the units of cell k − 1; its symbols are numbered (h_2, i_2);
with ``return_state`` the states of every cell follow in one flat list (Keras nests [h, c]).
"""
from __future__ import annotations

from functools import cache
from typing import ClassVar, Mapping, Optional, Sequence, Union

import sympy

from ..compute import UPDATE_OPS, Cost, recurrent_cost, spatial_positions, spatial_values, times
from ..errors import ExplainError
from ..naming import snake_case
from ..shapes import Window, keras_conv
from ..symbols import KERNEL_SYMBOLS, Value, c_in, c_out, n_in, product, sym, to_expr
from .base import (Group, Layer, Shape, _choice, anything, arg, choice, flag, format_shape, known, size,
                   sizes, layer_type, tuple_text)
from . import _texts
from .registry import register
from ._spatial import Spatial, Windowed
from .wrappers import nested_layer

h = sym("h")
"""Units (hidden size) and input features."""


class _InitialState:
    """A recurrent layer called as ``layer(x, initial_state=states)``: the inputs after the first
    are the initial states, which carry no weights; they must have the shapes of the states."""

    def initial_states(self, shape: Shape) -> tuple[Shape, ...]:
        raise NotImplementedError

    def infer(self, shapes: Sequence[Shape]) -> tuple[Shape, dict]:
        if len(shapes) > 1:
            _check_states(self, shapes[0], tuple(shapes[1:]))  # type: ignore[arg-type]
        return super().infer(shapes[:1])  # type: ignore[misc]


def _check_states(layer: Layer, shape: Shape, given: tuple[Shape, ...]) -> None:
    layer.check_rank(shape)
    wanted = layer.initial_states(shape)  # type: ignore[attr-defined]
    fits = len(given) == len(wanted) and all(
        len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))
        for a, b in zip(given, wanted))
    if not fits:
        shapes = ", ".join(format_shape(s) for s in wanted)
        got = ", ".join(format_shape(s) for s in given)
        raise ExplainError(f"{layer.type_name}'s initial_state must be {len(wanted)} tensor(s) of "
                           f"shape {shapes} (the layer's states). Received: {got}")


@cache
def _rnn_groups(gates: int, bias: int) -> tuple[Group, ...]:
    """``bias`` is the number of bias vectors of size G·h (0, 1, or 2 for GRU reset_after)."""
    groups = (Group("kernel", gates * n_in * h), Group("recurrent_kernel", gates * h * h))
    return groups + ((Group("bias", bias * gates * h),) if bias else ())


@cache
def gates_display(gates: int, biases: int, width: sympy.Expr = h, inputs: sympy.Expr = n_in,
                  copies: int | sympy.Expr = 1) -> sympy.Expr:
    """G·h(n_in + h) + b·G·h as a lecturer writes it: each of the G weight groups has input
    weights (n_in·h), recurrent weights (h·h) and ``biases`` bias vectors of h; ``copies`` (the
    directions D) in front, bracketed."""
    head = (sympy.Integer(gates),) if gates != 1 else ()
    weights = sympy.Mul(*head, width, sympy.Add(inputs, width, evaluate=False), evaluate=False)
    out = weights if not biases else sympy.Add(weights, biases * gates * width, evaluate=False)
    return out if copies == 1 else sympy.Mul(copies, out, evaluate=False)


@cache
def _written_gates(gates: int, names: tuple, first: bool) -> dict[str, sympy.Expr]:
    if gates == 1:
        return {}
    stacked = sympy.Mul(gates, h, evaluate=False)
    return {name: sympy.Mul(*((stacked, other) if first else (other, stacked)), evaluate=False)
            for name, other in names}


def written_gates(gates: int, others: Mapping[str, sympy.Expr], first: bool) -> dict[str, sympy.Expr]:
    """Weight matrices that stack G gates of h units along one axis, written in the tensor's
    axis order: Gh·x with the gates first (PyTorch's weight_ih_l0 (G·h, n_in)), x·Gh with them
    last (Keras's kernel (n_in, G·h)); nothing for one gate, where h·x already says it."""
    return _written_gates(gates, tuple(others.items()), first)


def group_note(gates: int) -> tuple[str, ...]:
    """Why the factor is 4 (LSTM: three gates and the cell candidate) or 3 (GRU: two gates and
    the candidate state)."""
    return {4: ("lstm_four_groups",), 3: ("gru_three_groups",)}.get(gates, ())


GATE_NOTES = frozenset({"lstm_four_groups", "gru_three_groups"})
"""Notes on what one step of the wrapped type has (its gates): true of any layer that wraps it."""

PER_DIRECTION = {"gru_reset_after": "bidirectional_gru_reset_after",
                 "gru_one_bias": "bidirectional_gru_one_bias",
                 "lstm_one_bias": "bidirectional_lstm_one_bias",
                 "simple_rnn_one_bias": "bidirectional_simple_rnn_one_bias",
                 "simple_cell_one_bias": "bidirectional_simple_rnn_one_bias",
                 "rnn_one_bias": "bidirectional_one_bias"}
"""A recurrent layer's bias note (its count, "this layer") → the same for a Bidirectional copy
of it: each direction's biases, the total 2(…), PyTorch's ``bidirectional=True``."""


def wrapper_notes(notes: Sequence[str], renamed: Mapping[str, str]) -> tuple[str, ...]:
    """The notes a wrapper takes over from the layers it wraps: the gate notes as they are, a
    note in ``renamed`` as the wrapper's own version; every other one (a count that is the
    wrapped layer's, not the wrapper's) left out."""
    out = (renamed.get(n) or (n if n in GATE_NOTES else None) for n in notes)
    return tuple(dict.fromkeys(n for n in out if n))


@layer_type
class _Recurrent(Layer):
    """The weights of one recurrent step with G gates: kernel G·n_in·h, recurrent kernel G·h·h and
    one bias vector G·h (more for GRU with reset_after)."""

    role = "recurrent"
    symbol_meanings = {"h": "rnn_units", "n_in": "input_size"}
    explanation = _texts.RECURRENT
    explanation_no_bias = _texts.RECURRENT_NO_BIAS
    one_bias_note: ClassVar[str] = "rnn_one_bias"
    """The note comparing the one bias vector with PyTorch's two (the layer's own count there)."""
    direction_explanation: ClassVar[Optional[str]] = None
    """The sentence of a Bidirectional layer wrapping this type: what each direction has."""

    gates = 1
    positional: ClassVar[tuple[str, ...]] = ("units",)
    units: Value = size()
    use_bias: bool = flag(True)

    def biases(self) -> int:
        return 1 if self.use_bias else 0

    def call_args(self) -> tuple[str, ...]:
        """The arguments :meth:`call_text` writes: the units, ``use_bias=False`` without biases."""
        return (f"units={self.units}",) + (() if self.use_bias else ("use_bias=False",))

    def call_text(self) -> str:
        """The layer as Keras code, as a Bidirectional sentence names it: ``LSTM(units=8)``."""
        return f"{self.type_name}({', '.join(self.call_args())})"

    def bidirectional_explanation(self) -> Optional[str]:
        """A Bidirectional copy's sentence saying what each direction has, or None (the general
        sentence): the class's, for a layer with its biases."""
        return self.direction_explanation if self.use_bias else None

    def weight_groups(self) -> tuple[Group, ...]:
        return _rnn_groups(self.gates, self.biases())

    def display_formula(self) -> Optional[sympy.Expr]:
        return gates_display(self.gates, self.biases())

    def written_groups(self) -> Mapping[str, sympy.Expr]:
        """The kernels as Keras shapes them, the G gates side by side: kernel (n_in, G·h) is
        n_in·Gh, recurrent_kernel (h, G·h) is h·Gh."""
        return written_gates(self.gates, {"kernel": n_in, "recurrent_kernel": h}, first=False)

    def values(self, shape: Shape) -> dict:
        return {n_in: known(shape[-1], "number of input features (n_in)", self.type_name), h: self.units}

    def notes(self) -> tuple[str, ...]:
        return group_note(self.gates) + ((self.one_bias_note,) if self.use_bias else ())

    def note_values_for(self, values: Mapping[sympy.Symbol, Value]) -> tuple[tuple[str, Value], ...]:
        """PyTorch's count of the same layer, two biases per weight group: G·h·(n_in + h) + 2G·h
        (``torch_count``), and the G·h biases it has more than one bias vector (``torch_more``:
        ``3h = 24``)."""
        size, inputs = values.get(h, h), values.get(n_in, n_in)
        g = self.gates
        count = sympy.expand(g * to_expr(size) * (to_expr(inputs) + to_expr(size)) + 2 * g * to_expr(size))
        return (*self.note_values(), ("torch_count", count),
                ("torch_more", sympy.Eq(g * h, g * to_expr(size), evaluate=False)))

    def step_ops(self) -> sympy.Expr:
        """Per step: the gates' activations G·h and the state update (``UPDATE_OPS``)."""
        return _step_ops(self.gates)

    def steps(self, shape: Shape) -> Value | None | bool:
        """The time steps T of an input of ``shape``; False for one step (a cell)."""
        return False

    def cost(self, shapes, out, values) -> Cost:
        """Each weight matrix once per step: T·G·h·(n_in + h) MACs; T·(biases + activations and
        state update) other operations."""
        return recurrent_cost(self.weight_groups(), self.step_ops(), self.steps(shapes[0]))


@layer_type
class _ResetAfter(_Recurrent):
    """GRU: 3 gates; with reset_after=True (Keras's default) an input and a recurrent bias."""

    gates = 3
    explanation_reset_after = _texts.GRU_RESET_AFTER
    explanation_one_bias: ClassVar[Optional[str]] = None
    """The sentence with reset_after=False and a bias: one bias per weight group (None: the general one)."""
    reset_after_note: ClassVar[Optional[str]] = None
    """The note on the two biases: what reset_after=False would give, and PyTorch's count."""
    positional = ("units", "activation", "recurrent_activation", "use_bias")
    reset_after: bool = flag(True)

    def biases(self) -> int:
        return (2 if self.reset_after else 1) if self.use_bias else 0

    def call_args(self) -> tuple[str, ...]:
        """With biases also ``reset_after``, which says how many: ``GRU(units=16, reset_after=True)``."""
        return super().call_args() + ((f"reset_after={self.reset_after}",) if self.use_bias else ())

    def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
        if self.reset_after and self.use_bias:
            return self.explanation_reset_after
        if self.use_bias and self.explanation_one_bias:
            return self.explanation_one_bias
        return super().explanation_for(weights)

    def bidirectional_explanation(self) -> Optional[str]:
        if not self.use_bias or self.direction_explanation is None:
            return None
        return _texts.BIDIRECTIONAL_GRU_RESET_AFTER if self.reset_after else self.direction_explanation

    def notes(self) -> tuple[str, ...]:
        if not self.use_bias:
            return group_note(self.gates)
        # reset_after's two biases are said in the layer's sentence (GRU_RESET_AFTER)
        if self.reset_after:
            return group_note(self.gates) + ((self.reset_after_note,) if self.reset_after_note else ())
        return group_note(self.gates) + (self.one_bias_note,)


@layer_type
class _RNN(_InitialState, _Recurrent):
    input_rank = 2
    return_sequences: bool = flag(False)
    return_state: bool = flag(False)
    go_backwards: bool = flag(False)
    stateful: bool = flag(False)
    unroll: bool = flag(False)
    use_cudnn: object = anything("auto")

    def states(self) -> int:
        return 1

    def steps(self, shape: Shape) -> Value | None | bool:
        return shape[0]

    def output_shape(self, shape: Shape) -> Shape:
        return (shape[0], self.units) if self.return_sequences else (self.units,)

    def state_shapes(self, shape: Shape) -> tuple[Shape, ...]:
        return ((self.units,),) * self.states()

    def initial_states(self, shape: Shape) -> tuple[Shape, ...]:
        return self.state_shapes(shape)

    def extra_outputs(self, shapes: Sequence[Shape]) -> tuple[Shape, ...]:
        return self.state_shapes(shapes[0]) if self.return_state else ()


@register("SimpleRNN")
@layer_type
class SimpleRNN(_RNN):
    """h·(n_in + h) + h."""

    explanation = _texts.SIMPLE_RNN
    explanation_no_bias = _texts.SIMPLE_RNN_NO_BIAS
    one_bias_note = "simple_rnn_one_bias"
    direction_explanation = _texts.BIDIRECTIONAL_SIMPLE_RNN

    positional = ("units", "activation", "use_bias")
    output_activation = False  # in the step's equation, and in the recurrent cost
    activation: object = anything("tanh")

    def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
        """With its default tanh the sentence gives the step's equation, h_t = tanh(x_t·W +
        h_{t-1}·U + b) (Keras's row vectors: the kernel W is n_in × h, U is h × h)."""
        if self.activation == "tanh":
            return _texts.SIMPLE_RNN_TANH if self.use_bias else _texts.SIMPLE_RNN_TANH_NO_BIAS
        return super().explanation_for(weights)


@register("LSTM")
@layer_type
class LSTM(_RNN):
    """4h·(n_in + h) + 4h; states h and c."""

    gates = 4
    explanation = _texts.LSTM
    explanation_no_bias = _texts.LSTM_NO_BIAS
    one_bias_note = "lstm_one_bias"
    direction_explanation = _texts.BIDIRECTIONAL_LSTM
    positional = ("units", "activation", "recurrent_activation", "use_bias")
    unit_forget_bias: bool = flag(True)

    def states(self) -> int:
        return 2


@register("GRU")
@layer_type
class GRU(_ResetAfter, _RNN):
    """3h·(n_in + h) + 6h with reset_after=True (input and recurrent bias), + 3h without."""

    explanation_one_bias = _texts.GRU_ONE_BIAS
    one_bias_note = "gru_one_bias"
    reset_after_note = "gru_reset_after"
    direction_explanation = _texts.BIDIRECTIONAL_GRU_ONE_BIAS


# ----------------------------------------------------------------------------- ConvLSTM

@cache
def _conv_lstm_groups(rank: int, bias: bool) -> tuple[Group, ...]:
    kernel = product(KERNEL_SYMBOLS[rank])
    groups = (Group("kernel", kernel * c_in * 4 * c_out),
              Group("recurrent_kernel", kernel * c_out * 4 * c_out))
    return groups + ((Group("bias", 4 * c_out),) if bias else ())


@layer_type
class _ConvLSTM(_InitialState, Spatial, Windowed):
    """Input (T, spatial…, c_in) → (T, spatial′…, c_out) with return_sequences, else
    (spatial′…, c_out); the states (h and c) have the shape of one step's output."""

    role = "recurrent"
    explanation = _texts.RECURRENT
    explanation_no_bias = _texts.RECURRENT_NO_BIAS

    positional = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate")
    filters: Value = size()
    kernel_size: tuple = sizes()
    strides: tuple = sizes(1)
    padding: str = choice("valid", "same", default="valid")
    dilation_rate: tuple = sizes(1)
    use_bias: bool = flag(True)
    unit_forget_bias: bool = flag(True)
    return_sequences: bool = flag(False)
    return_state: bool = flag(False)
    go_backwards: bool = flag(False)
    stateful: bool = flag(False)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.input_rank = cls.rank + 2  # time, spatial axes, channels

    def weight_groups(self) -> tuple[Group, ...]:
        return _conv_lstm_groups(self.rank, self.use_bias)

    def call_text(self) -> str:
        """The layer as Keras code: ``ConvLSTM2D(filters=4, kernel_size=(3, 3))``, with
        ``use_bias=False`` without biases."""
        args = (f"filters={self.filters}", f"kernel_size={tuple_text([str(k) for k in self.kernel_size])}")
        return f"{self.type_name}({', '.join(args + (() if self.use_bias else ('use_bias=False',)))})"

    def values(self, shape: Shape) -> dict:
        _, channels = self.split(shape[1:])
        return {**dict(zip(KERNEL_SYMBOLS[self.rank], self.kernel_size)),
                c_in: known(channels, "number of input channels (c_in)", self.type_name),
                c_out: self.filters}

    def axis_window(self, i: int, length) -> Window:
        return keras_conv(length, self.kernel_size[i], self.strides[i], self.dilation_rate[i], self.padding)

    def window_axes(self, shape: Shape) -> tuple:
        return self.split(shape[1:])[0]  # after the time axis

    def step_shape(self, shape: Shape) -> Shape:
        return self.join(self.window_lengths(shape), self.filters)

    def output_shape(self, shape: Shape) -> Shape:
        step = self.step_shape(shape)
        return (shape[0],) + step if self.return_sequences else step

    def initial_states(self, shape: Shape) -> tuple[Shape, ...]:
        return (self.step_shape(shape),) * 2

    def extra_outputs(self, shapes: Sequence[Shape]) -> tuple[Shape, ...]:
        return self.initial_states(shapes[0]) if self.return_state else ()

    def notes(self) -> tuple[str, ...]:
        return group_note(4)  # PyTorch has no ConvLSTM to compare the bias with

    def step_ops(self) -> sympy.Expr:
        return _step_ops(4, c_out)

    def cost(self, shapes, out, values) -> Cost:
        """The four gates' convolutions over the input and the state at every output position
        and step: T·H_out·W_out·k_h·k_w·4·c_out·(c_in + c_out) MACs."""
        step = recurrent_cost(self.weight_groups(), self.step_ops(), shapes[0][0])
        spatial = self.split(self.step_shape(shapes[0]))[0]
        positions = spatial_positions(self.rank)
        return Cost(times(positions, step.macs), times(positions, step.other),
                    {**step.values, **spatial_values(self.rank, spatial)})


@register("ConvLSTM1D")
@layer_type
class ConvLSTM1D(_ConvLSTM):
    rank = 1


@register("ConvLSTM2D")
@layer_type
class ConvLSTM2D(_ConvLSTM):
    rank = 2


@register("ConvLSTM3D")
@layer_type
class ConvLSTM3D(_ConvLSTM):
    rank = 3


# ----------------------------------------------------------------------------- Bidirectional

RecurrentLayer = Union["_RNN", "_ConvLSTM", "RNN"]
"""What Bidirectional wraps."""


def _recurrent(ctx, name: str, raw: object, rank: int) -> RecurrentLayer:
    layer = nested_layer(ctx, name, raw, rank)
    if not isinstance(layer, (_RNN, _ConvLSTM, RNN)):
        raise ExplainError(f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU, ConvLSTM…). "
                           f"Received: {name}={layer.type_name}")
    return layer


def _optional_recurrent(ctx, name: str, raw: object, rank: int) -> RecurrentLayer | None:
    return None if raw is None else _recurrent(ctx, name, raw, rank)


def _merge_mode(ctx, name: str, raw: object, rank: int) -> str | None:
    if raw is None:
        return None
    return _choice("concat", "sum", "mul", "ave")(ctx, name, raw, rank)


@register("Bidirectional")
@layer_type
class Bidirectional(_InitialState, Layer):
    """Forward and backward copies of a recurrent layer: twice its weights (or the forward
    layer's plus ``backward_layer``'s). merge_mode concat: last axis h_f + h_b; sum, mul, ave:
    h; None: the two outputs. With return_state the states of both directions follow."""

    role = "bidirectional"
    explanation = _texts.BIDIRECTIONAL

    positional = ("layer", "merge_mode", "weights", "backward_layer")
    input_rank = None
    layer: RecurrentLayer = arg(_recurrent)
    merge_mode: str | None = arg(_merge_mode, "concat")
    weights: object = anything()
    backward_layer: RecurrentLayer | None = arg(_optional_recurrent, None)

    def validate(self, ctx) -> None:
        back = self.backward_layer
        if back is not None and (back.return_sequences != self.layer.return_sequences
                                 or back.return_state != self.layer.return_state):
            raise ExplainError("Bidirectional: 'backward_layer' must have the same return_sequences "
                               "and return_state as 'layer'")

    @property
    def backward(self) -> RecurrentLayer:
        return self.backward_layer or self.layer

    def wrapped(self) -> Layer:
        return self.layer

    def check_rank(self, shape: Shape) -> None:
        self.layer.check_rank(shape)

    def weight_groups(self) -> tuple[Group, ...]:
        return _directions(self.layer.weight_groups(), self.backward.weight_groups(),
                           self.backward_layer is not None)

    def written_groups(self) -> Mapping[str, sympy.Expr]:
        if self.backward_layer is not None:
            return {}
        inner = self.layer.written_groups()
        return {f"{d}_{name}": e for name, e in inner.items() for d in ("forward", "backward")}

    def display_formula(self) -> Optional[sympy.Expr]:
        """2(…): the wrapped layer's form, once for each direction (a separate backward layer
        has symbols of its own: the groups' sum)."""
        inner = self.layer.display_formula()
        if inner is None or self.backward_layer is not None:
            return None
        return sympy.Mul(2, inner, evaluate=False)

    def values(self, shape: Shape) -> dict:
        forward = self.layer.values(shape)
        if self.backward_layer is None:
            return forward
        backward = self.backward_layer.values(shape)
        return {**forward, **{_backward_symbol(s): v for s, v in backward.items()}}

    def output_shape(self, shape: Shape) -> Shape:
        forward = self.layer.output_shape(shape)
        if self.merge_mode == "concat":
            last = self.backward.output_shape(shape)[-1]
            ahead = forward[-1]
            return forward[:-1] + (ahead + last if ahead is not None and last is not None else None,)
        return forward

    def initial_states(self, shape: Shape) -> tuple[Shape, ...]:
        """The forward layer's states, then the backward layer's."""
        forward, backward = self.layer, self.backward
        assert isinstance(forward, _InitialState) and isinstance(backward, _InitialState)  # _recurrent checks
        return forward.initial_states(shape) + backward.initial_states(shape)

    def extra_outputs(self, shapes: Sequence[Shape]) -> tuple[Shape, ...]:
        shape = shapes[0]
        outputs: tuple[Shape, ...] = ()
        if self.merge_mode is None:
            outputs += (self.backward.output_shape(shape),)
        if self.layer.return_state:
            outputs += self.layer.extra_outputs(shapes) + self.backward.extra_outputs(shapes)
        return outputs

    def explanation_for(self, weights: Sequence[str]) -> Optional[str]:
        """Two copies of one layer: the sentence with what each direction has, where the wrapped
        layer says it (:meth:`_Recurrent.bidirectional_explanation`)."""
        if self.backward_layer is not None:
            return _texts.BIDIRECTIONAL_BACKWARD
        inner = self.layer.bidirectional_explanation() if isinstance(self.layer, _Recurrent) else None
        return inner or _texts.BIDIRECTIONAL

    def explanation_code(self) -> dict[str, str]:
        """The wrapped layer(s) as code; the Keras name of the forward copy's kernel (its own
        sub-layer ``forward_<name>``, its cell inside) where the table shortens it."""
        code = {"wrapped": self.layer.call_text(), "backward": self.backward.call_text()}
        if isinstance(self.layer, _RNN):
            name = snake_case(self.layer.type_name)  # Keras's default layer name for the class
            code.update(inner_name=name, forward_short="forward_kernel",
                        forward_kernel=f"forward_{name}/{name}_cell/kernel")
        return code

    def notes(self) -> tuple[str, ...]:
        """The wrapped layer's notes, each for both directions (:data:`PER_DIRECTION`); with a
        ``backward_layer`` of its own only the gate notes of the two; the shortened names."""
        if self.backward_layer is not None:
            return wrapper_notes(self.layer.notes() + self.backward_layer.notes(), {})
        names = ("bidirectional_names",) if isinstance(self.layer, _RNN) else ()
        return names + wrapper_notes(self.layer.notes(), PER_DIRECTION)

    def cost(self, shapes, out, values) -> Cost:
        """The forward and the backward layer's compute (twice one layer's without a separate
        ``backward_layer``)."""
        forward = self.layer.cost(shapes[:1], out, values)
        if self.backward_layer is None:
            return Cost(2 * forward.macs, 2 * forward.other, forward.values)
        backward = self.backward_layer.cost(shapes[:1], out, values)
        rename = {s: _backward_symbol(s) for s in self.backward_layer.values(shapes[0])}
        return Cost(forward.macs + backward.macs.xreplace(rename),
                    forward.other + backward.other.xreplace(rename), {**forward.values, **backward.values})


@cache
def _backward_symbol(s):
    """A separate backward layer's symbol: h → h_b."""
    return sym(f"{s.name}_b")


@cache
def _directions(forward: tuple[Group, ...], backward: tuple[Group, ...],
                separate: bool) -> tuple[Group, ...]:
    """forward_… and backward_… groups: the same formulas for a copy, the backward layer's own
    symbols (h_b, …) when ``backward_layer`` is given."""
    def back(g: Group):
        if not separate:
            return g.formula
        return g.formula.xreplace({s: _backward_symbol(s) for s in g.formula.free_symbols})
    return tuple(Group(f"forward_{g.name}", g.formula, g.trainable, g.buffer) for g in forward) + \
        tuple(Group(f"backward_{g.name}", back(g), g.trainable, g.buffer) for g in backward)


# ----------------------------------------------------------------------------- cells and RNN(cell)

@layer_type
class _Cell(_Recurrent):
    """One time step of a recurrent layer, used inside ``RNN``: (n_in,) → (h,); the weights of the
    layer it belongs to (SimpleRNNCell: h·(n_in + h) + h, LSTMCell: 4h·(n_in + h) + 4h, GRUCell:
    3h·(n_in + h) + 6h with reset_after, + 3h without)."""

    explanation = _texts.CELL
    explanation_no_bias = _texts.CELL_NO_BIAS

    states = 1
    input_rank = 1

    def output_shape(self, shape: Shape) -> Shape:
        return (self.units,)


@register("SimpleRNNCell")
@layer_type
class SimpleRNNCell(_Cell):
    explanation = _texts.SIMPLE_CELL
    explanation_no_bias = _texts.SIMPLE_CELL_NO_BIAS
    one_bias_note = "simple_cell_one_bias"

    positional = ("units", "activation", "use_bias")


@register("LSTMCell")
@layer_type
class LSTMCell(_Cell):
    gates = 4
    states = 2
    positional = ("units", "activation", "recurrent_activation", "use_bias")
    unit_forget_bias: bool = flag(True)


@register("GRUCell")
@layer_type
class GRUCell(_ResetAfter, _Cell):
    explanation_reset_after = _texts.GRU_CELL_RESET_AFTER


def _cells(ctx, name: str, raw: object, rank: int) -> tuple[_Cell, ...]:
    """One cell, a list of cells, or StackedRNNCells: the cells, first to last."""
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    out: list[_Cell] = []
    for item in items:
        if isinstance(item, dict) and "class_name" in item and isinstance(item.get("config"), dict):
            from ..importers.keras_json import layer_from_config  # a cell in Keras model JSON
            layer = layer_from_config(item["class_name"], item["config"], item.get("module"),
                                      item.get("registered_name"))
        else:
            layer = item if isinstance(item, Layer) else nested_layer(ctx, name, item, rank)
        if isinstance(layer, StackedRNNCells):
            out.extend(layer.cells)
        elif isinstance(layer, _Cell):
            out.append(layer)
        else:
            raise ExplainError(f"'{name}' takes recurrent cells (SimpleRNNCell, LSTMCell, GRUCell). "
                               f"Received: {name}={layer.type_name}")
    if not out:
        raise ExplainError(f"'{name}' needs at least one cell. Received: {name}={raw!r}")
    return tuple(out)


@register("StackedRNNCells")
@layer_type
class StackedRNNCells(Layer):
    """Cells applied one after another in each time step (inside ``RNN``)."""

    role = "recurrent"
    explanation = _texts.STACKED_CELLS

    positional = ("cells",)
    input_rank = 1
    cells: tuple = arg(_cells)

    def weight_groups(self) -> tuple[Group, ...]:
        return _stacked_groups(tuple(c.weight_groups() for c in self.cells))

    def cost(self, shapes, out, values) -> Cost:
        """One step of every cell in turn."""
        return recurrent_cost(self.weight_groups(), _stacked_step_ops(self.cells), False)

    def values(self, shape: Shape) -> dict:
        return _stacked_values(self.cells, shape)

    def output_shape(self, shape: Shape) -> Shape:
        return (self.cells[-1].units,)


@cache
def _step_ops(gates: int, width: sympy.Expr = h) -> sympy.Expr:
    return (gates + UPDATE_OPS[gates]) * width


def _stacked_step_ops(cells: Sequence[_Cell]) -> sympy.Expr:
    """Σ over the cells of their step operations (symbols numbered as in the stack's groups)."""
    if len(cells) == 1:
        return cells[0].step_ops()
    return sympy.Add(*(c.step_ops().xreplace({h: _indexed(h, k)}) for k, c in enumerate(cells, 1)))


@cache
def _indexed(s, k: int):
    """Cell k's symbol in a stack: h → h_2."""
    return sym(f"{s.name}_{k}")


@cache
def _stacked_groups(cells: tuple[tuple[Group, ...], ...]) -> tuple[Group, ...]:
    """cell_k/… groups; one cell keeps the plain symbols, a stack numbers them (h_1, i_1, h_2 …)."""
    if len(cells) == 1:
        return cells[0]
    return tuple(Group(f"cell_{k}/{g.name}",
                       g.formula.xreplace({s: _indexed(s, k) for s in g.formula.free_symbols}),
                       g.trainable, g.buffer)
                 for k, groups in enumerate(cells, 1) for g in groups)


def _stacked_values(cells: Sequence[_Cell], shape: Shape) -> dict:
    out: dict = {}
    step: Shape = (shape[-1],)
    for k, cell in enumerate(cells, 1):
        values = cell.values(step)
        out.update(values if len(cells) == 1 else {_indexed(s, k): v for s, v in values.items()})
        step = cell.output_shape(step)
    return out


@register("RNN")
@layer_type
class RNN(_InitialState, Layer):
    """A recurrent layer around ``cell`` (or a list of cells, applied in turn at each step):
    (T, n_in) → (T, h_last) with return_sequences, else (h_last,); the weights are the cells'."""

    role = "recurrent"
    explanation = _texts.RNN_WRAPPER

    positional = ("cell", "return_sequences", "return_state", "go_backwards", "stateful", "unroll")
    input_rank = 2
    cell: tuple = arg(_cells)
    return_sequences: bool = flag(False)
    return_state: bool = flag(False)
    go_backwards: bool = flag(False)
    stateful: bool = flag(False)
    unroll: bool = flag(False)

    @property
    def units(self) -> Value:
        return self.cell[-1].units

    def wrapped(self) -> Layer:
        return self.cell[0]

    def call_text(self) -> str:
        """The layer as Keras code, its cells inside: ``RNN(LSTMCell(units=8))``, ``RNN([GRUCell(units=3,
        reset_after=True), SimpleRNNCell(units=2)])``."""
        cells = [c.call_text() for c in self.cell]
        return f"{self.type_name}({cells[0] if len(cells) == 1 else '[' + ', '.join(cells) + ']'})"

    def weight_groups(self) -> tuple[Group, ...]:
        return _stacked_groups(tuple(c.weight_groups() for c in self.cell))

    def display_formula(self) -> Optional[sympy.Expr]:
        return self.cell[0].display_formula() if len(self.cell) == 1 else None

    def cost(self, shapes, out, values) -> Cost:
        """Every cell's step at each of the T steps."""
        return recurrent_cost(self.weight_groups(), _stacked_step_ops(self.cell), shapes[0][0])

    def values(self, shape: Shape) -> dict:
        return _stacked_values(self.cell, shape)

    def output_shape(self, shape: Shape) -> Shape:
        return (shape[0], self.units) if self.return_sequences else (self.units,)

    def initial_states(self, shape: Shape) -> tuple[Shape, ...]:
        return tuple((c.units,) for c in self.cell for _ in range(c.states))

    def extra_outputs(self, shapes: Sequence[Shape]) -> tuple[Shape, ...]:
        return self.initial_states(shapes[0]) if self.return_state else ()

    def notes(self) -> tuple[str, ...]:
        """One cell's notes (its count is the layer's); of a stack only the gate notes."""
        if len(self.cell) == 1:
            return self.cell[0].notes()
        return wrapper_notes([n for c in self.cell for n in c.notes()], {})
