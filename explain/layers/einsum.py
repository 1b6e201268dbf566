"""EinsumDense: a dense layer written as an einsum equation, ``"abc,cd->abd"``.

kernel n_in·n_out + bias C, where n_in is the product of the kernel's axes that the input has
(summed over, or carried along), n_out the product of the kernel's other axes (sizes from
``output_shape``), and C the product of the output sizes on ``bias_axes``. With ``lora_rank`` r:
lora_kernel_a n_a·r and lora_kernel_b r·n_b, where n_b is the kernel's last axis and n_a the
product of its other axes (see ``lora``).
"""
from __future__ import annotations

import re
from typing import Any, Optional

from ..compute import N_out, ZERO, Cost, elements, per_output, positioned
from ..errors import ExplainError
from ..symbols import C, Value, n_in, n_out, product, sym
from .base import (ArgContext, Group, Layer, Shape, _size, activation_arg, anything, arg, known, lora_r, lora_rank_arg,
                   with_lora, layer_type)
from . import _texts
from .registry import register

n_a, n_b = sym("n_a"), sym("n_b")
"""With lora_rank: the kernel's size without its last axis, and its last axis."""
_KERNEL = Group("kernel", n_in * n_out)
_BIAS = Group("bias", C)
_EINSUM_MACS = {False: n_in * n_out, True: n_in * n_out + n_a * lora_r + lora_r * n_b}
_EQUATION = re.compile(r"^(\.\.\.)?([a-zA-Z]+),([a-zA-Z]+)->(\.\.\.)?([a-zA-Z]+)$")


def _output_sizes(ctx: ArgContext, raw: object) -> tuple | None:
    """``output_shape``: one size, or a list of sizes and None (an axis Keras leaves unknown)."""
    if raw is None:
        return None
    if not isinstance(raw, (list, tuple)):
        return (_size(ctx, "output_shape", raw, 1),)
    return tuple(None if r is None else _size(ctx, "output_shape", r, 1) for r in raw)


@register("EinsumDense")
@layer_type
class EinsumDense(Layer):
    """kernel: the kernel spec's sizes (input's, else output's); bias: output sizes on bias_axes."""

    role = "dense"
    explanation = _texts.EINSUM_DENSE

    positional = ("equation", "output_shape", "activation", "bias_axes", "kernel_initializer",
                  "bias_initializer", "kernel_regularizer", "bias_regularizer", "kernel_constraint",
                  "bias_constraint", "lora_rank")
    equation: object = anything()
    output_shape_: Any = arg(lambda ctx, name, raw, rank: _output_sizes(ctx, raw), None)
    bias_axes: object = anything()
    activation: Optional[str] = activation_arg()
    lora_rank: Value | None = lora_rank_arg()

    @classmethod
    def from_args(cls, args, ctx=None, positional=()):
        args = dict(args)
        if len(positional) > len(cls.positional):
            raise ExplainError(f"EinsumDense takes at most {len(cls.positional)} positional arguments. "
                               f"Received: {len(positional)}")
        for name, value in zip(cls.positional[1:], positional[1:]):
            if name in args:
                raise ExplainError(f"'{name}' is given twice")
            args[name] = value
        positional = positional[:1]
        if "output_shape" in args:
            args["output_shape_"] = args.pop("output_shape")
        return super().from_args(args, ctx, positional)

    def _specs(self) -> tuple[str, str, str, bool]:
        eq = self.equation.replace(" ", "") if isinstance(self.equation, str) else None
        m = _EQUATION.match(eq or "")
        if m is None or bool(m.group(1)) != bool(m.group(4)):
            raise ExplainError(f"EinsumDense: explain reads equations like 'abc,cd->abd' or "
                               f"'...b,bc->...c'. Received: equation={self.equation!r}")
        return m.group(2), m.group(3), m.group(5), bool(m.group(1))

    def _full(self, shape: Shape) -> tuple:
        """(input spec, its sizes, output spec, its sizes, kernel spec) with the batch axis as None."""
        inp, ker, out, elided = self._specs()
        declared = list(self.output_shape_ or ())
        if elided:
            if len(shape) < len(inp):
                raise ExplainError(f"EinsumDense: the input has fewer axes than '{inp}'")
            in_sizes = tuple(shape[len(shape) - len(inp):])
            lead = (None,) + tuple(shape[:len(shape) - len(inp)])
            if len(declared) != len(out):
                raise ExplainError(f"EinsumDense: 'output_shape' must have {len(out)} sizes for "
                                   f"'...{out}'. Received: output_shape={self.output_shape_!r}")
            out_sizes = tuple(declared)
        else:
            if len(shape) + 1 != len(inp) or len(declared) + 1 != len(out):
                raise ExplainError(f"EinsumDense: the equation '{self.equation}' does not fit the input "
                                   f"of rank {len(shape)} and output_shape {self.output_shape_!r}")
            in_sizes, lead = (None,) + tuple(shape), ()
            out_sizes = (None,) + tuple(declared)
        # a None in output_shape stays unknown in the output, as in Keras (the kernel takes the
        # input's size for an axis the input has)
        return inp, in_sizes, out, out_sizes, ker, lead

    def weight_groups(self) -> tuple[Group, ...]:
        groups = (_KERNEL, _BIAS) if self.bias_axes else (_KERNEL,)
        return with_lora(groups, "kernel", n_a, n_b) if self.lora_rank else groups

    def notes(self) -> tuple[str, ...]:
        return ("lora",) if self.lora_rank else ()

    def cost(self, shapes, out, values) -> Cost:
        """An einsum takes one MAC per combination of its axes' indices: n_pos·n_in·n_out, n_pos
        the product of the input's and output's axes the kernel does not have (without the
        batch axis); with LoRA also n_pos·(n_a·r + r·n_b). Other operations: one bias add and the
        activation's operations per output element."""
        inp, in_sizes, outs, out_sizes, ker, lead = self._full(shapes[0])
        sizes = dict(zip(inp, in_sizes))
        sizes.update((c, s) for c, s in zip(outs, out_sizes) if c not in sizes or sizes[c] is None)
        free = [sizes[c] for c in dict.fromkeys(inp + outs) if c not in ker and c != (inp[0] if not lead else "")]
        leading = list(lead[1:]) + free
        per = _EINSUM_MACS[bool(self.lora_rank)]
        base = positioned(per, ZERO, leading)
        other = per_output(bool(self.bias_axes), self.activation, N_out)
        return Cost(base.macs, other, {**base.values, N_out: elements(out)} if other != ZERO else base.values)

    def values(self, shape: Shape) -> dict:
        inp, in_sizes, out, out_sizes, ker, _ = self._full(shape)
        from_input, from_output, kernel = [], [], []
        for c in ker:
            if c in inp:
                kernel.append(known(in_sizes[inp.index(c)], f"input size of axis '{c}'", self.type_name))
                from_input.append(kernel[-1])
            elif c in out:
                kernel.append(known(out_sizes[out.index(c)], f"output size of axis '{c}'", self.type_name))
                from_output.append(kernel[-1])
            else:
                raise ExplainError(f"EinsumDense: the kernel axis '{c}' is neither in the input nor in "
                                   f"the output of '{self.equation}'")
        values: dict = {n_in: product(from_input), n_out: product(from_output)}
        if self.lora_rank:
            values.update({n_a: product(kernel[:-1]), n_b: kernel[-1], lora_r: self.lora_rank})
        if self.bias_axes:
            if not isinstance(self.bias_axes, str) or any(c not in out for c in self.bias_axes):
                raise ExplainError(f"EinsumDense: 'bias_axes' must be output axes of "
                                   f"'{self.equation}'. Received: bias_axes={self.bias_axes!r}")
            values[C] = product(known(out_sizes[out.index(c)], f"output size of axis '{c}'",
                                      self.type_name) for c in self.bias_axes)
        return values

    def output_shape(self, shape: Shape) -> Shape:
        _, _, _, out_sizes, _, lead = self._full(shape)
        return tuple(lead[1:]) + tuple(out_sizes) if lead else tuple(out_sizes[1:])
