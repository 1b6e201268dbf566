"""Keras categorical and text preprocessing layers: no weights (Keras keeps a lookup layer's
vocabulary in a table, not in weights).

The output shape follows each layer's ``compute_output_shape`` in Keras 3. With ``output_mode``
'int' the shape is kept; the encoded modes put ``depth`` tokens on the last axis:
'one_hot' (…, 1) → (…, depth) and (…, n) → (…, n, depth); 'multi_hot', 'count', 'tf_idf'
(…, n) → (…, depth). A lookup layer's depth is its vocabulary size (the vocabulary plus
``num_oov_indices``), or ``max_tokens`` with ``pad_to_max_tokens``.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

from ..errors import ExplainError
from ..symbols import Value
from .base import (ArgContext, Layer, Shape, anything, arg, choice, count, flag, format_shape, size,
                   _optional, _size, layer_type)
from . import _texts
from .registry import register

_ENCODED = ("one_hot", "multi_hot", "count")


def _encode(mode: str, shape: Shape, depth: Value) -> Shape:
    """Keras's shape rule for an encoded output of ``depth`` tokens (see the module docstring)."""
    shape = tuple(shape)
    if mode == "int":
        return shape
    if mode == "one_hot":
        if shape and shape[-1] == 1:
            return shape[:-1] + (depth,)
        return shape + (depth,)
    return shape[:-1] + (depth,)


def optional_size(default=None):
    return arg(_optional(_size), default)


@register("CategoryEncoding")
@layer_type
class CategoryEncoding(Layer):
    """CategoryEncoding(num_tokens n): no weights; one_hot (…, k) → (…, k, n) ((…, 1) → (…, n)),
    multi_hot / count (…, k) → (…, n)."""

    role = "encoding"
    explanation = _texts.CATEGORY_ENCODING
    ops_per_element = 0  # lookups and hashing, no arithmetic on values

    positional = ("num_tokens", "output_mode", "sparse")
    num_tokens: Value = size()
    output_mode: str = choice(*_ENCODED, default="multi_hot")
    sparse: object = anything()

    def output_shape(self, shape: Shape) -> Shape:
        return _encode(self.output_mode, shape, self.num_tokens)


@register("Discretization")
@layer_type
class Discretization(Layer):
    """Discretization(bin_boundaries b | num_bins): no weights; depth = len(b) + 1 (or num_bins);
    int keeps the shape, one_hot (…, k) → (…, k, depth), multi_hot / count (k, …) → (…, depth)
    (Keras drops the first axis after the batch)."""

    role = "encoding"
    explanation = _texts.DISCRETIZATION
    compute_not_derived = "no rule for the bucket search"

    positional = ("bin_boundaries", "num_bins", "epsilon", "output_mode", "sparse")
    bin_boundaries: Any = anything()
    num_bins: Optional[Value] = optional_size()
    epsilon: object = anything()
    output_mode: str = choice("int", *_ENCODED, default="int")
    sparse: object = anything()

    def validate(self, ctx: ArgContext) -> None:
        if self.bin_boundaries is None and self.num_bins is None:
            raise ExplainError("Discretization needs 'bin_boundaries' (a list) or 'num_bins'")
        if self.bin_boundaries is not None and not isinstance(self.bin_boundaries, (list, tuple)):
            raise ExplainError("'bin_boundaries' must be a list of numbers. "
                               f"Received: bin_boundaries={self.bin_boundaries!r}")

    def output_shape(self, shape: Shape) -> Shape:
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode in ("multi_hot", "count"):
            return tuple(shape[1:]) + (depth,)
        return _encode(self.output_mode, shape, depth)


@register("Hashing")
@layer_type
class Hashing(Layer):
    """Hashing(num_bins n): no weights; int keeps the shape, one_hot (…, k) → (…, k, n)
    ((…, 1) → (…, n)), multi_hot / count (…, k) → (…, n)."""

    role = "encoding"
    explanation = _texts.HASHING
    ops_per_element = 0  # lookups and hashing, no arithmetic on values

    positional = ("num_bins", "mask_value", "salt", "output_mode", "sparse")
    num_bins: Value = size()
    mask_value: object = anything()
    salt: object = anything()
    output_mode: str = choice("int", *_ENCODED, default="int")
    sparse: object = anything()

    def output_shape(self, shape: Shape) -> Shape:
        if self.output_mode == "multi_hot" or self.output_mode == "count":
            return tuple(shape[:-1]) + (self.num_bins,)
        return _encode(self.output_mode, shape, self.num_bins)


@register("HashedCrossing")
@layer_type
class HashedCrossing(Layer):
    """HashedCrossing(num_bins n) of two inputs of one shape: no weights; int keeps the shape,
    one_hot (…, k) → (…, k, n) ((…, 1) → (…, n)), else (…, k) → (…, n)."""

    role = "encoding"
    explanation = _texts.HASHED_CROSSING
    ops_per_element = 0  # lookups and hashing, no arithmetic on values

    positional = ("num_bins", "output_mode", "sparse")
    multi_input = True
    num_bins: Value = size()
    output_mode: str = choice("int", "one_hot", default="int")
    sparse: object = anything()

    def output_shape_multi(self, shapes: Sequence[Shape]) -> Shape:
        if len(shapes) != 2:
            raise ExplainError(f"HashedCrossing takes two inputs. Received: {len(shapes)} inputs")
        a, b = (tuple(s) for s in shapes)
        if a[-1:] != b[-1:]:
            raise ExplainError("HashedCrossing expects two inputs of the same shape. "
                               f"Received: {format_shape(a)} and {format_shape(b)}")
        return _encode(self.output_mode, a, self.num_bins)


@layer_type
class _Lookup(Layer):
    """A vocabulary lookup: depth = len(vocabulary) + num_oov_indices (or max_tokens with
    pad_to_max_tokens, or the ``vocabulary_size`` a saved Keras config records)."""

    role = "lookup"
    explanation = _texts.LOOKUP
    ops_per_element = 0  # lookups and hashing, no arithmetic on values

    max_tokens: Optional[Value] = optional_size()
    num_oov_indices: Value = count(1)
    mask_token: object = anything()
    oov_token: object = anything()
    vocabulary: object = anything()
    vocabulary_size: Optional[Value] = optional_size()
    idf_weights: object = anything()
    invert: bool = flag(False)
    output_mode: str = choice("int", *_ENCODED, "tf_idf", default="int")
    pad_to_max_tokens: bool = flag(False)
    sparse: object = anything()
    salt: object = anything()
    oov_method: object = anything()

    def validate(self, ctx: ArgContext) -> None:
        if self.pad_to_max_tokens and self.max_tokens is None:
            raise ExplainError(f"{self.type_name}: pad_to_max_tokens needs 'max_tokens'")
        if self.output_mode == "int":
            return
        if self.invert:
            raise ExplainError(f"{self.type_name}: invert=True needs output_mode='int'. "
                               f"Received: output_mode={self.output_mode!r}")
        self.depth()

    def depth(self) -> Value:
        if self.pad_to_max_tokens:
            return self.max_tokens
        if self.vocabulary_size is not None:
            return self.vocabulary_size
        if isinstance(self.vocabulary, (list, tuple)):
            return len(self.vocabulary) + self.num_oov_indices
        raise ExplainError(
            f"{self.type_name} with output_mode={self.output_mode!r} has a width that depends on "
            "the vocabulary adapt() would learn; give 'vocabulary' as a list, 'vocabulary_size', "
            "or 'max_tokens' with 'pad_to_max_tokens: true'")

    def output_shape(self, shape: Shape) -> Shape:
        if self.output_mode == "int":
            return tuple(shape)
        return _encode(self.output_mode, shape, self.depth())


@register("StringLookup")
@layer_type
class StringLookup(_Lookup):
    __doc__ = "StringLookup: no weights. " + (_Lookup.__doc__ or "")

    positional = ("max_tokens", "num_oov_indices", "mask_token", "oov_token", "vocabulary",
                  "idf_weights", "invert", "output_mode", "pad_to_max_tokens", "sparse", "encoding")
    encoding: object = anything()


@register("IntegerLookup")
@layer_type
class IntegerLookup(_Lookup):
    __doc__ = "IntegerLookup: no weights. " + (_Lookup.__doc__ or "")

    positional = ("max_tokens", "num_oov_indices", "mask_token", "oov_token", "vocabulary",
                  "vocabulary_dtype", "idf_weights", "invert", "output_mode", "sparse",
                  "pad_to_max_tokens", "oov_method")
    vocabulary_dtype: object = anything()


@register("TextVectorization")
@layer_type
class TextVectorization(_Lookup):
    """TextVectorization: no weights. int: (…) → (output_sequence_length,) ((None,) if unset);
    the other modes split each string into tokens and give (…, depth), depth = len(vocabulary) + 1
    (or max_tokens with pad_to_max_tokens, or ``vocabulary_size``)."""

    explanation = _texts.TEXT_VECTORIZATION

    positional = ("max_tokens", "standardize", "split", "ngrams", "output_mode",
                  "output_sequence_length", "pad_to_max_tokens", "vocabulary", "idf_weights",
                  "sparse", "ragged", "encoding")
    standardize: object = anything()
    split: object = anything("whitespace")
    ngrams: object = anything()
    output_sequence_length: Optional[Value] = optional_size()
    ragged: object = anything()
    encoding: object = anything()

    def validate(self, ctx: ArgContext) -> None:
        # fixed by Keras (its StringLookup has one OOV index, mask ""), not arguments
        for name, default in (("num_oov_indices", 1), ("invert", False)):
            if getattr(self, name) != default:
                raise ExplainError(f"TextVectorization has no argument '{name}'")
        if self.output_mode != "int" and self.output_sequence_length is not None:
            raise ExplainError("TextVectorization: output_sequence_length needs output_mode='int'. "
                               f"Received: output_mode={self.output_mode!r}")
        super().validate(ctx)

    def output_shape(self, shape: Shape) -> Shape:
        if self.output_mode == "int":
            return (self.output_sequence_length,)
        shape = tuple(shape)
        if self.split is None:
            shape = shape or (1,)
        else:
            shape = shape + (None,)
        return _encode(self.output_mode, shape, self.depth())
