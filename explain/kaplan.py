"""Kaplan et al. 2020 (Scaling Laws for Neural Language Models, Table 1): the closed forms for a
decoder-only transformer, beside the exact count. Data only; the renderers format it.

    N         ≈ 2·d_model·n_layer·(2·d_attn + d_ff)       parameters without embeddings
    C_forward ≈ 2N + 2·n_layer·n_ctx·d_attn               FLOPs per token (2 per multiply-accumulate)
    C_train   ≈ 6·N·D                                     FLOPs for D training tokens

N counts per block the query, key, value and output matrices (4·d_model·d_attn) and the two
feed-forward matrices (2·d_model·d_ff); it leaves out the embeddings, the LM head, biases and
normalisation weights. C_forward leaves out the embedding lookups and the LM head (Kaplan's
"de-embed", 2·d_model·n_vocab per token).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import sympy

from .errors import ExplainError
from .records import record
from .symbols import as_value, sym, to_expr

if TYPE_CHECKING:
    from .model import Model

D_TOKENS = sympy.Symbol("D", positive=True, integer=True)
"""Training tokens in C_train = 6ND."""


@record
class Outside:
    """A layer outside the repeated blocks and the parameters it adds to the exact count (shared
    or tied weights counted at their owner: 0 here)."""

    name: str
    role: str
    params: int


@record
class Kaplan:
    """The closed forms at a model's sizes, and what the exact count has beyond N."""

    d_model: int
    n_layer: int
    d_attn: int
    d_ff: int
    n_ctx: Optional[int]
    """Context length (a Hugging Face config's positions); None when the source gives none."""
    exact: int
    """The model's exact parameter count."""
    block: str
    """The repeated block's name."""
    block_exact: int
    """One block's exact parameters."""
    rest_formula: sympy.Expr
    """One block's exact count minus 2·d_model·(2·d_attn + d_ff), in the block type's symbols."""
    rest_note: Optional[str]
    """What ``rest_formula`` is (message id of the block's class)."""
    outside: tuple[Outside, ...]
    ffn_note: Optional[str] = None
    """Why d_ff differs from the block's feed-forward width f (message id), or None."""
    f: Optional[int] = None
    """The block's feed-forward width, where ``ffn_note`` is given."""

    @property
    def n(self) -> int:
        """N = 2·d_model·n_layer·(2·d_attn + d_ff)."""
        return 2 * self.d_model * self.n_layer * (2 * self.d_attn + self.d_ff)

    @property
    def block_rest(self) -> int:
        """Per block: exact − 2·d_model·(2·d_attn + d_ff)."""
        return self.block_exact - 2 * self.d_model * (2 * self.d_attn + self.d_ff)

    @property
    def forward_per_token(self) -> Optional[int]:
        """C_forward = 2N + 2·n_layer·n_ctx·d_attn FLOPs per token (None without n_ctx)."""
        if self.n_ctx is None:
            return None
        return 2 * self.n + self.attention_per_token

    @property
    def attention_per_token(self) -> int:
        """2·n_layer·n_ctx·d_attn: the attention scores QKᵀ and the weighted sum of V per token."""
        return 2 * self.n_layer * (self.n_ctx or 0) * self.d_attn

    def training(self, tokens: int) -> int:
        """C_train = 6·N·D FLOPs for D = ``tokens`` training tokens."""
        return 6 * self.n * tokens

    @property
    def difference(self) -> int:
        """exact − N = n_layer·block_rest + Σ outside (the parts ``explain`` shows)."""
        return self.exact - self.n


def kaplan(model: "Model", n_ctx: Optional[int] = None) -> Optional[Kaplan]:
    """Kaplan's closed forms for ``model``, if it is a decoder-only stack of one repeated block
    whose class gives ``kaplan_widths``; None otherwise. ``n_ctx``: the context length (default:
    the model's positions symbol T, a Hugging Face config's ``n_positions``)."""
    blocks = [n for n in model.nodes if n.layer.kaplan_widths() is not None]
    if len(blocks) != 1:
        return None
    node = blocks[0]
    widths = node.layer.kaplan_widths()
    assert widths is not None
    if n_ctx is None:
        positions = [s for s in model.symbols if model.symbol_meanings.get(s.name) == "positions"]
        n_ctx = model.symbols[positions[0]] if positions else None
    values = {s: to_expr(v) for s, v in node.values.items()}
    try:
        d_model, d_attn, d_ff = (model.evaluate(as_value(w.xreplace(values))) for w in widths)
    except ExplainError:  # a width that is not whole (3f/2 for an odd f): no closed form
        return None
    one = sum(model.evaluate(w.count) for w in node.weights if not w.buffer)
    dm, da, dff = widths
    rest = sympy.expand((node.formula - 2 * dm * (2 * da + dff)).xreplace(node.layer.kaplan_identities()))
    outside = tuple(Outside(n.name, n.layer.role, model.evaluate(n.own("params")))
                    for n in model.nodes if n is not node and n.params != 0)
    ffn = node.layer.kaplan_ffn_note()
    f = model.evaluate(values[sym("f")]) if ffn is not None and sym("f") in values else None
    return Kaplan(d_model, model.evaluate(node.repeat), d_attn, d_ff, n_ctx, model.total, node.name, one,
                  rest, node.layer.kaplan_rest_note(), outside, ffn, f)


def kaplan_absent(model: "Model") -> Optional[str]:
    """Why a decoder's blocks have no closed forms here (message id), or None."""
    return next((n.layer.kaplan_absent() for n in model.nodes if n.layer.kaplan_absent() is not None), None)
