"""PyTorch recurrent modules: RNN, LSTM, GRU (num_layers, bidirectional, bias, proj_size).

Per layer and direction, with G gates (RNN 1, GRU 3, LSTM 4), h hidden units and n_in inputs:

    weight_ih G·h·n_in + weight_hh G·h·h + bias_ih G·h + bias_hh G·h  = G·h·(n_in + h) + 2G·h

PyTorch keeps two bias vectors per gate set (b_ih and b_hh) where Keras keeps one. With D
directions (2 if bidirectional) and L layers, layer 1 sees n_in = input_size and later layers see
n_in = D·h; LSTM with proj_size p projects each direction's output to p (weight_hr p·h), so its
recurrent weights are 4h·p and later layers see D·p. Groups (each summed over layers and
directions): weight_ih_l0, weight_ih_upper (layers ≥ 2), weight_hh, bias_ih, bias_hh, weight_hr.

Input (T, n_in) → (T, D·h), or (T, D·p) with proj_size (the sequence output; the final states
h_n and c_n are not followed further).

The cells RNNCell, LSTMCell and GRUCell are one step of one layer and direction:
weight_ih G·h·n_in + weight_hh G·h·h + bias_ih G·h + bias_hh G·h, input (n_in) → (h).
"""
from __future__ import annotations

from functools import cache
from typing import ClassVar, Mapping, Optional

import sympy

from ..compute import UPDATE_OPS, Cost, recurrent_cost
from ..errors import ExplainError
from ..symbols import Value, n_in, sym
from .base import Group, Layer, Shape, anything, choice, count, flag, size, layer_type
from . import _texts
from .torch_core import check_stated, torch_module
from .recurrent import gates_display, group_note, written_gates

h, p = sym("h"), sym("p")
L, D = sym("L"), sym("D")
"""Hidden size, input size, projection size; number of layers, number of directions."""


@cache
def _groups(gates: int, bias: bool, proj: bool, layers: bool, bidirectional: bool) -> tuple[Group, ...]:
    """Formulas in h, n_in (p, L, D where they are not 1), summed over layers and directions."""
    n_l = L if layers else sympy.Integer(1)
    n_d = D if bidirectional else sympy.Integer(1)
    r = p if proj else h  # what the recurrent weights and later layers see per direction
    groups = [Group("weight_ih_l0", n_d * gates * h * n_in)]
    if layers:
        # the Add last, so that sympy keeps (L − 1) as a factor instead of distributing 4 over it
        groups.append(Group("weight_ih_upper", n_d * gates * h * (n_d * r) * (n_l - 1)))
    # one layer: PyTorch's own names (weight_hh_l0 …); several: each group sums them over layers
    l0 = "" if layers else "_l0"
    groups.append(Group("weight_hh" + l0, n_l * n_d * gates * h * r))
    if bias:
        groups += [Group("bias_ih" + l0, n_l * n_d * gates * h), Group("bias_hh" + l0, n_l * n_d * gates * h)]
    if proj:
        groups.append(Group("weight_hr", n_l * n_d * p * h))
    return tuple(groups)


@layer_type
class _TorchRNN(Layer):
    role = "recurrent"
    symbol_meanings = {"n_in": "torch_input_size", "h": "torch_hidden_size"}
    explanation_no_bias = _texts.RECURRENT_NO_BIAS
    bias_note: ClassVar[str] = "rnn_two_biases"
    """The note comparing the biases with the Keras layer of the same kind."""

    gates = 1
    positional: ClassVar[tuple[str, ...]] = ("input_size", "hidden_size", "num_layers", "bias", "batch_first",
                                             "dropout", "bidirectional")
    input_rank = 2
    input_size: Value = size()
    hidden_size: Value = size()
    num_layers: Value = size(1)
    bias: bool = flag(True)
    batch_first: bool = flag(False)
    dropout: object = anything(0.0)
    bidirectional: bool = flag(False)
    device: object = anything()
    dtype: object = anything()

    def projection(self) -> Value:
        return 0

    def weight_groups(self) -> tuple[Group, ...]:
        return _groups(self.gates, self.bias, self.projection() != 0, self.num_layers != 1,
                       self.bidirectional)

    def display_formula(self) -> Optional[sympy.Expr]:
        """One layer without projection: G·h(n_in + h) + 2G·h (b_ih and b_hh), D(…) in both
        directions; stacked or projected layers: the groups' sum."""
        if self.num_layers != 1 or self.projection() != 0:
            return None
        return gates_display(self.gates, 2 if self.bias else 0, copies=D if self.bidirectional else 1)

    def written_groups(self) -> Mapping[str, sympy.Expr]:
        """One layer without projection: weight_ih_l0 (G·h, n_in) as Gh·n_in and weight_hh_l0
        (G·h, h) as Gh·h, PyTorch's row order (D· in front for both directions)."""
        if self.num_layers != 1 or self.projection() != 0:
            return {}
        out = written_gates(self.gates, {"weight_ih_l0": n_in, "weight_hh_l0": h}, first=True)
        if self.bidirectional:
            return {k: sympy.Mul(D, *v.args, evaluate=False) for k, v in out.items()}
        return out

    def explanation_code(self) -> dict[str, str]:
        """One layer: its biases by PyTorch's names, bias_ih_l0 and bias_hh_l0."""
        return {"b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"} if self.num_layers == 1 else {}

    def values(self, shape: Shape) -> dict:
        check_stated(self.type_name, "input_size", self.input_size, shape[-1], shape)
        out = {h: self.hidden_size, n_in: self.input_size, L: self.num_layers,
               D: 2 if self.bidirectional else 1}
        if self.projection() != 0:
            out[p] = self.projection()
        return out

    def output_shape(self, shape: Shape) -> Shape:
        check_stated(self.type_name, "input_size", self.input_size, shape[-1], shape)
        width = self.projection() or self.hidden_size
        return (shape[0], 2 * width if self.bidirectional else width)

    def cost(self, shapes, out, values) -> Cost:
        """Each weight matrix once per step: T·Σ weights MACs (layers and directions included);
        T·(biases + L·D·(gates' activations and state update)) other operations."""
        copies = (L if self.num_layers != 1 else 1) * (D if self.bidirectional else 1)
        return recurrent_cost(self.weight_groups(), _step(self.gates, copies), shapes[0][0])

    def notes(self) -> tuple[str, ...]:
        out: tuple[str, ...] = group_note(self.gates) + ((self.bias_note,) if self.bias else ())
        if self.num_layers != 1:
            out += ("rnn_stacked_input",)
        if self.bidirectional:
            out += ("bidirectional_twice",)
        if self.projection() != 0:
            out += ("lstm_proj_size",)
        return out


@torch_module("RNN")
@layer_type
class RNN(_TorchRNN):
    """Elman RNN: h·(n_in + h) + 2h per layer and direction."""

    explanation = _texts.TORCH_SIMPLE_RNN
    explanation_no_bias = _texts.SIMPLE_RNN_NO_BIAS
    bias_note = "rnn_two_biases_simple"

    positional = ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first",
                  "dropout", "bidirectional")
    nonlinearity: str = choice("tanh", "relu", default="tanh")


@torch_module("LSTM")
@layer_type
class LSTM(_TorchRNN):
    """4h·(n_in + h) + 8h per layer and direction; with proj_size p: 4h·(n_in + p) + 8h + p·h."""

    gates = 4
    explanation = _texts.TORCH_LSTM
    positional = _TorchRNN.positional + ("proj_size",)
    proj_size: Value = count(0)

    def validate(self, ctx) -> None:
        pn, hn = ctx.numeric(self.proj_size), ctx.numeric(self.hidden_size)
        if pn is not None and hn is not None and pn >= hn and pn != 0:
            raise ExplainError(f"LSTM: proj_size must be smaller than hidden_size. "
                               f"Received: proj_size={self.proj_size}, hidden_size={self.hidden_size}")

    def projection(self) -> Value:
        return self.proj_size


@torch_module("GRU")
@layer_type
class GRU(_TorchRNN):
    """3h·(n_in + h) + 6h per layer and direction."""

    gates = 3
    explanation = _texts.TORCH_GRU
    bias_note = "gru_two_biases"


@layer_type
class _Cell(Layer):
    """One step: weight_ih G·h·n_in + weight_hh G·h·h (+ bias_ih G·h + bias_hh G·h); (n_in) → (h)."""

    role = "recurrent"
    symbol_meanings = {"n_in": "torch_input_size", "h": "torch_hidden_size"}
    explanation = _texts.TORCH_CELL
    explanation_no_bias = _texts.TORCH_CELL_NO_BIAS
    bias_note: ClassVar[str] = "rnn_two_biases"

    gates = 1
    positional: ClassVar[tuple[str, ...]] = ("input_size", "hidden_size", "bias")
    input_rank = 1
    input_size: Value = size()
    hidden_size: Value = size()
    bias: bool = flag(True)
    device: object = anything()
    dtype: object = anything()

    def weight_groups(self) -> tuple[Group, ...]:
        return _cell_groups(self.gates, self.bias)

    def written_groups(self) -> Mapping[str, sympy.Expr]:
        return written_gates(self.gates, {"weight_ih": n_in, "weight_hh": h}, first=True)

    def display_formula(self) -> Optional[sympy.Expr]:
        return gates_display(self.gates, 2 if self.bias else 0)

    def values(self, shape: Shape) -> dict:
        check_stated(self.type_name, "input_size", self.input_size, shape[-1], shape)
        return {h: self.hidden_size, n_in: self.input_size}

    def output_shape(self, shape: Shape) -> Shape:
        check_stated(self.type_name, "input_size", self.input_size, shape[-1], shape)
        return (self.hidden_size,)

    def notes(self) -> tuple[str, ...]:
        return group_note(self.gates) + ((self.bias_note,) if self.bias else ())

    def cost(self, shapes, out, values) -> Cost:
        """One step: G·h·(n_in + h) MACs; biases, activations and state update."""
        return recurrent_cost(self.weight_groups(), _step(self.gates, 1), False)


@cache
def _step(gates: int, copies) -> sympy.Expr:
    return copies * (gates + UPDATE_OPS[gates]) * h


@cache
def _cell_groups(gates: int, bias: bool) -> tuple[Group, ...]:
    groups = (Group("weight_ih", gates * h * n_in), Group("weight_hh", gates * h * h))
    return groups + ((Group("bias_ih", gates * h), Group("bias_hh", gates * h)) if bias else ())


@torch_module("RNNCell")
@layer_type
class RNNCell(_Cell):
    """h·(n_in + h) + 2h."""

    explanation = _texts.TORCH_SIMPLE_CELL
    explanation_no_bias = _texts.TORCH_SIMPLE_CELL_NO_BIAS
    bias_note = "rnn_two_biases_simple"

    positional = ("input_size", "hidden_size", "bias", "nonlinearity")
    nonlinearity: str = choice("tanh", "relu", default="tanh")


@torch_module("LSTMCell")
@layer_type
class LSTMCell(_Cell):
    """4h·(n_in + h) + 8h."""

    gates = 4


@torch_module("GRUCell")
@layer_type
class GRUCell(_Cell):
    """3h·(n_in + h) + 6h."""

    gates = 3
    bias_note = "gru_two_biases"
