"""The one symbol table: for every generic symbol name its TeX (where the default spelling will
not do), what it means (a message key, translated through ``render/messages.SYMBOLS``) and its
place in a product or sum (kernel sizes first, then input channels, groups, output channels, …).

The window rules of ``shapes.py`` use n (input length), p (padding, p_1/p_2 before/after),
d (dilation), k (kernel), k_eff, p_o (output padding) and s (stride); their meanings are spelled
out by the templates' sentences, so they have no entry in ``MEANINGS``.
"""
from __future__ import annotations

from typing import Mapping

import sympy

MEANINGS: dict[str, str] = {
    "k": "kernel_length", "k_d": "kernel_depth", "k_h": "kernel_height", "k_w": "kernel_width",
    "c_in": "input_channels", "c_out": "output_channels", "g": "groups", "m": "depth_multiplier",
    "n_in": "input_features", "n_out": "output_features", "C": "channels",
    "h": "hidden_units", "i": "input_size", "d": "model_width", "V": "vocabulary",
    "H": "heads", "L": "num_layers", "T": "positions", "H_kv": "kv_heads", "d_h": "head_size",
    "d_kv": "kv_head_size", "E_q": "query_width", "E_k": "key_width", "E_v": "value_width",
    "d_key": "key_width", "d_value": "value_width",
    "E_out": "output_width", "f": "feed_forward",
    "N_b": "buckets", "V_type": "type_vocabulary", "p": "projection", "D": "directions",
    "L_e": "encoder_layers", "L_d": "decoder_layers", "L_dec": "decoder_layers",
    "n_1": "first_input_features", "n_2": "second_input_features", "n_x": "experts",
    "n_labels": "labels", "n_t": "declared_trainable", "n_nt": "declared_non_trainable",
    "k_x": "experts_per_token", "f_x": "expert_feed_forward", "f_s": "shared_expert_feed_forward",
    "n_s": "shared_experts", "r_q": "query_rank", "r_kv": "kv_rank",
    "d_n": "nope_head_size", "d_r": "rope_head_size",
    "r": "lora_rank", "n_a": "kernel_rows", "n_b": "kernel_last_axis",
}
"""What each generic symbol of a parameter formula means (message keys); others show their value only.
A model's declared symbols say their own meaning (``Model.symbol_meanings``: DeepSeek's k_d is its
number of leading dense layers, its d_v the value size per head), a layer class its own
(``Layer.symbol_meanings``)."""

ORDER: tuple[str, ...] = ("k_d", "k_h", "k_w", "k", "c_in", "g", "m", "c_out", "n_in", "n_out",
                          "L_in", "D_in", "H_in", "W_in", "C",
                          "E_q", "E_k", "E_v", "E_out", "N_b")
"""Textbook order of factors in a product; symbols not listed follow, by name. T5's relative
bias is nn.Embedding(N_b, H): rows × columns, N_b·H (as V·d)."""

TEX: dict[str, str] = {"k_eff": r"k_{\text{eff}}"}
"""TeX for names the default spelling (``c_in`` → ``c_{\\text{in}}``) does not fit."""


def meaning(s: sympy.Symbol, value: object, declared: Mapping[str, str] | None = None) -> str | None:
    """What ``s`` stands for; where its value is a declared symbol whose source says what it
    means (an Embedding's V = T, the number of positions), that."""
    if declared and isinstance(value, sympy.Symbol) and value.name in declared:
        return declared[value.name]
    return MEANINGS.get(s.name)


def symbol_order(s: sympy.Symbol) -> tuple[int, str]:
    """A symbol's place among factors: ``ORDER``'s, then by name."""
    return (ORDER.index(s.name) if s.name in ORDER else len(ORDER), s.name)
