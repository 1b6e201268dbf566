"""Renderers: a model (and its derivation) as JSON, a Keras-style text table, Markdown or LaTeX."""
from __future__ import annotations

from typing import Any

from ..errors import ExplainError

FORMATS = ("markdown", "latex", "json", "text")
LANGUAGES = ("en", "de", "ja", "fr", "es")


def render(model, lang: str = "en", format: str = "markdown", **options: Any) -> str:
    """The model in ``format`` and ``lang``, as ``explain derive`` prints it."""
    if lang not in LANGUAGES:
        raise ExplainError(f"unknown language '{lang}' (choose from {', '.join(LANGUAGES)})")
    if format == "json":
        from .json_out import render_json
        return render_json(model)
    if format == "text":
        from .text import render_text
        return render_text(model, lang)
    if format == "markdown":
        from .markdown import render_markdown
        return render_markdown(model, lang, expand=bool(options.get("expand")))
    if format == "latex":
        from .latex import render_latex
        return render_latex(model, lang, expand=bool(options.get("expand")),
                            fragment=bool(options.get("fragment")))
    raise ExplainError(f"unknown format '{format}' (choose from {', '.join(FORMATS)})")
