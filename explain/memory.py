"""Training memory: the model states (parameters, gradients, optimizer state) and, apart, an
estimate of the activations kept for the backward pass. Data only; the renderers format it.

Model states follow ZeRO (Rajbhandari et al. 2020, section 3.1): with mixed precision a
parameter is kept in 16 bits for the forward and backward pass (2 bytes), its gradient too
(2 bytes), and the optimizer keeps a 32-bit master copy (4 bytes) beside its own state (4 bytes
per state tensor): Adam's two moments make 2 + 2 + (4 + 4 + 4) = 16 bytes per parameter. In
plain 32-bit training the parameter and its gradient take 4 bytes each and the optimizer only its
state: Adam 4 + 4 + 8 = 16 bytes too.

Activations: the output of every layer, per sample, times the batch B, at the bytes of the
working precision; a layer whose output is a view of its input (Flatten, Reshape: no copy) is
not counted. This is an estimate, not a measurement: frameworks keep what each backward formula
needs (sometimes a layer's input instead of its output, dropout masks, softmax outputs) and may
recompute instead of storing.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import sympy

from .errors import ExplainError
from .records import record
from .symbols import Value, as_value

if TYPE_CHECKING:
    from .model import Model

OPTIMIZERS: dict[str, int] = {"sgd": 0, "sgd_momentum": 1, "adam": 2, "adamw": 2}
"""Optimizer → state tensors it keeps per trainable parameter: none for plain SGD, the momentum
(velocity) for SGD with momentum, the first and second moments for Adam and AdamW."""

PRECISIONS: dict[str, tuple[int, int]] = {"float32": (4, 0), "mixed": (2, 4)}
"""Precision → (bytes of a parameter and of a gradient, bytes of the master copy the optimizer
keeps). 32-bit training needs no master copy; mixed precision (float16 or bfloat16) keeps one
in float32. The optimizer's state is float32 (4 bytes per value) in both."""

STATE_BYTES = 4
"""Bytes of one optimizer state value (float32, in both precisions)."""

@record
class BlockKind:
    """A transformer block beside Korthikanti et al. 2022's GPT-style block (dropout on the
    attention probabilities and after the attention and the feed-forward, none inside the
    feed-forward; an ungated feed-forward of width 4d), whose activations their 34·T·d + 5·H·T²
    bytes estimate."""

    dropout: bool | None
    """Whether the block has dropout (None: not known)."""
    ff_dropout: bool | None
    """Whether the feed-forward also has dropout after its activation, whose 1-byte mask of the
    T·f inner values the formula lacks (torch's TransformerEncoderLayer; None: not known)."""
    gated: bool
    width: Value
    """The feed-forward's width f."""
    model_width: Value
    heads: Value
    window: Value | None = None
    """w where the block attends within a sliding window (a query sees at most w keys), else None."""
    sliding: Value | None = None
    """L_w where only L_w of the node's blocks slide (the others attend to all positions); None:
    all of them, where there is a window."""

    def gpt_style(self, f: int, d: int) -> bool:
        """The block is the formula's (with dropout, none inside the feed-forward, ungated, f = 4d,
        attending to all positions)."""
        return (self.dropout is True and self.ff_dropout is False and not self.gated and f == 4 * d
                and self.window is None)


def korthikanti_bytes(t: int, d: int, h: int) -> tuple[int, int]:
    """Korthikanti et al. 2022's activations of one GPT-style block for one sample in 16 bits
    without recomputation, 34·T·d + 5·H·T² bytes, as its two terms: what every attention kernel
    keeps (34·T·d) and the attention matrices (5·H·T²), which memory-efficient kernels do not store."""
    return 34 * t * d, 5 * h * t * t


def korthikanti_window_bytes(t: int, d: int, h: int, w: int) -> tuple[int, int]:
    """The same for a block whose queries attend within a sliding window of w positions, counting
    (as the compute does) only the keys inside it: 34·T·d + 5·H·T·min(T, w) bytes, as its two terms."""
    return 34 * t * d, 5 * h * t * min(t, w)


BATCH = sympy.Symbol("B", positive=True, integer=True)
"""The batch size in the activation estimate's formula."""


@record
class PerParameter:
    """Bytes each trainable parameter costs in training, by what holds them."""

    parameter: int
    gradient: int
    master: int
    """The float32 copy mixed precision keeps for the update (0 in 32-bit training)."""
    states: int
    """The optimizer's own state (momentum, Adam's moments), float32."""

    @property
    def optimizer(self) -> int:
        """What the optimizer holds: master copy and state (ZeRO's K: 12 for mixed-precision Adam)."""
        return self.master + self.states

    @property
    def total(self) -> int:
        return self.parameter + self.gradient + self.optimizer


def per_parameter(optimizer: str = "adam", precision: str = "mixed") -> PerParameter:
    """Bytes per trainable parameter; mixed-precision Adam: 2 + 2 + (4 + 8) = 16."""
    if optimizer not in OPTIMIZERS:
        raise ExplainError(f"unknown optimizer '{optimizer}' (choose from {', '.join(OPTIMIZERS)})")
    if precision not in PRECISIONS:
        raise ExplainError(f"unknown precision '{precision}' (choose from {', '.join(PRECISIONS)})")
    working, master = PRECISIONS[precision]
    return PerParameter(working, working, master, OPTIMIZERS[optimizer] * STATE_BYTES)


@record
class ModelStates:
    """The memory of the model states while training with ``optimizer`` at ``precision``.

    parameters = P·p (every parameter, trainable or not, at the working precision);
    gradients = P_train·g; optimizer = P_train·(master + states). Buffers (BatchNorm's running
    statistics) are not model states in ZeRO's sense and are left out: ``buffers`` says how many
    values they hold."""

    optimizer: str
    precision: str
    per: PerParameter
    count: int
    """All parameters."""
    trainable: int
    buffers: int
    """Values in buffers (not parameters): not included in ``bytes``."""

    def with_optimizer(self, optimizer: str, precision: str) -> "ModelStates":
        """The same model's states with another optimizer and precision (its counts are not
        summed again)."""
        return ModelStates(optimizer, precision, per_parameter(optimizer, precision), self.count,
                           self.trainable, self.buffers)

    @property
    def parameter_bytes(self) -> int:
        return self.count * self.per.parameter

    @property
    def gradient_bytes(self) -> int:
        return self.trainable * self.per.gradient

    @property
    def optimizer_bytes(self) -> int:
        return self.trainable * self.per.optimizer

    @property
    def bytes(self) -> int:
        return self.parameter_bytes + self.gradient_bytes + self.optimizer_bytes


def model_states(model: "Model", optimizer: str = "adam", precision: str = "mixed") -> ModelStates:
    """The model states of ``model`` (exact bytes)."""
    return ModelStates(optimizer, precision, per_parameter(optimizer, precision),
                       model.total, model.trainable, model.buffers)


@record
class LayerActivation:
    """One layer's outputs per sample: ``elements`` (every output, every repetition), or None
    when an axis has no size (a sequence of any length)."""

    name: str
    elements: int | None


@record
class Activations:
    """Estimate: every layer's output per sample, kept for the backward pass.

    bytes(B) = B · Σ_layers (output elements) · bytes_per_element."""

    layers: tuple[LayerActivation, ...]
    bytes_per_element: int
    precision: str
    views: tuple[str, ...] = ()
    """Layers whose output is a view of their input (no copy): not counted."""

    @property
    def elements(self) -> int:
        """Per sample, over the layers whose output size is known."""
        return sum(a.elements for a in self.layers if a.elements is not None)

    @property
    def unknown(self) -> tuple[str, ...]:
        """Layers whose output has an axis without a size: left out of the estimate."""
        return tuple(a.name for a in self.layers if a.elements is None)

    @property
    def bytes_per_sample(self) -> int:
        return self.elements * self.bytes_per_element

    def bytes(self, batch: int = 1) -> int:
        if batch < 1:
            raise ExplainError(f"the batch size must be a positive whole number. Received: {batch}")
        return batch * self.bytes_per_sample

    @property
    def formula(self) -> sympy.Expr:
        """Bytes in the batch size B."""
        return BATCH * self.bytes_per_sample


def activations(model: "Model", precision: str = "mixed") -> Activations:
    """Every layer's output elements per sample (× its repetitions), at the working precision; a
    sequence axis without a size at the model's context length (``Model.context``), if it has one.
    A layer whose output is a view of its input (``output_is_view``) is left out and named."""
    if precision not in PRECISIONS:
        raise ExplainError(f"unknown precision '{precision}' (choose from {', '.join(PRECISIONS)})")
    rows = []
    views = []
    for node in model.nodes:
        if node.layer.output_is_view:
            views.append(node.name)
            continue
        total: Value = 0
        known = True
        for shape in node.outputs:
            if model.context is not None:  # a sequence at the context length compute assumes
                shape = tuple(model.context if d is None else d for d in shape)
            if any(d is None for d in shape):
                known = False
                break
            size: Value = 1
            for d in shape:
                size = as_value(size * d) if d is not None else size
            total = as_value(total + size)
        rows.append(LayerActivation(node.name, model.evaluate(as_value(node.repeat * total)) if known else None))
    return Activations(tuple(rows), PRECISIONS[precision][0], precision, tuple(views))


DECIMAL_UNITS = ("byte", "kilobyte", "megabyte", "gigabyte", "terabyte", "petabyte")
BINARY_UNITS = ("byte", "KiB", "MiB", "GiB", "TiB", "PiB")


def reader_unit(n_bytes: int, binary: bool = False) -> tuple[str, Fraction]:
    """The unit a reader would pick: the largest whose value is at least 1 (powers of 1000, or of
    1024 with ``binary``), and the exact value in it. 16 000 000 000 bytes → ("gigabyte", 16)."""
    base = 1024 if binary else 1000
    names = BINARY_UNITS if binary else DECIMAL_UNITS
    value = Fraction(n_bytes)
    unit = 0
    while unit < len(names) - 1 and value >= base:
        value /= base
        unit += 1
    return names[unit], value
