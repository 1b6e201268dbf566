"""Pure output-size arithmetic, as Keras 3 computes it, exact for ints and symbolic otherwise.

n is an input length, k a kernel or pool size, s a stride, d a dilation rate.
"""
from __future__ import annotations

import sympy

from .symbols import Value, as_value, cdiv, fdiv

Length = Value | None


def effective_kernel(k: Value, d: Value) -> Value:
    """k_eff = d·(k − 1) + 1."""
    return d * (k - 1) + 1


def ceil_div(n: Value, s: Value) -> Value:
    """⌈n/s⌉; for a symbolic n, whichever of ⌈n/s⌉ and ⌊(n + s − 1)/s⌋ sympy writes shorter
    (``ceiling(H/2)``, but ``floor(floor(H/2)/2)`` rather than ``ceiling(floor(H/2)/2 - 1/2)``)."""
    if isinstance(n, int) and isinstance(s, int):
        return -(-n // s)
    if isinstance(s, int) and s == 1:
        return n
    up, down = cdiv(n, s), fdiv(n + s - 1, s)
    return min((up, down), key=lambda v: sympy.count_ops(v, visual=False))


def conv_length(n: Length, k: Value, s: Value, d: Value, padding: str) -> Length:
    """valid: ⌊(n − k_eff)/s⌋ + 1; same and causal: ⌈n/s⌉."""
    if n is None:
        return None
    if padding == "valid":
        return as_value(fdiv(n - effective_kernel(k, d), s) + 1)
    return ceil_div(n, s)


def conv_transpose_length(n: Length, k: Value, s: Value, d: Value, padding: str,
                          output_padding: Value | None) -> Length:
    """valid: n·s + max(k_eff − s, 0); same: n·s; with output_padding p_o:
    (n − 1)·s + k_eff − 2·pad + p_o, pad = ⌊k_eff/2⌋ for same and 0 for valid."""
    if n is None:
        return None
    k_eff = effective_kernel(k, d)
    if output_padding is None:
        if padding == "same":
            return as_value(n * s)
        extra = k_eff - s
        if isinstance(extra, int):
            extra = max(extra, 0)
        else:
            extra = sympy.Max(extra, 0)
        return as_value(n * s + extra)
    pad = fdiv(k_eff, 2) if padding == "same" else 0
    return as_value((n - 1) * s + k_eff - 2 * pad + output_padding)


def pool_length(n: Length, p: Value, s: Value, padding: str) -> Length:
    """valid: ⌊(n − p)/s⌋ + 1; same: ⌈n/s⌉."""
    if n is None:
        return None
    if padding == "valid":
        return as_value(fdiv(n - p, s) + 1)
    return ceil_div(n, s)
