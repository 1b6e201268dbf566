"""Renderers: a model, its derivation, the layer reference and check sheets as JSON, text,
Markdown or LaTeX, all through one registry (:mod:`.documents`)."""
from __future__ import annotations

from typing import Any

from .documents import FORMATS, LANGUAGES, render_document

__all__ = ["FORMATS", "LANGUAGES", "render", "render_document"]


def render(model: Any, lang: str = "en", format: str = "markdown", **options: Any) -> str:
    """The model's derivation in ``format`` and ``lang``, as ``explain derive`` prints it
    (options: ``expand``, ``fragment``, ``detail``: ``compact`` or ``full``)."""
    return render_document("derivation", model, lang=lang, format=format, **options)
