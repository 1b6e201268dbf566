"""``--format markdown``: the derivation as Markdown with ``$…$`` and ``$$…$$`` math (GitHub,
Jupyter, Obsidian; KaTeX or MathJax)."""
from __future__ import annotations

from ..derivation import LayerStep, derive
from ..model import Model
from .i18n import environment
from .view import Formatter, model_context, step_context


def render_markdown(model: Model, lang: str = "en", expand: bool = False) -> str:
    fmt = Formatter("markdown", lang, model)
    context = model_context(derive(model, expand=expand), fmt)
    return _tidy(environment(lang, "markdown").get_template("markdown/derivation.md.j2").render(context))


def render_markdown_step(step: LayerStep, model: Model | None, lang: str = "en", index: int = 1,
                         level: int = 3) -> str:
    """One layer's derivation steps as Markdown (for feedback sheets)."""
    env = environment(lang, "markdown")
    macro = env.get_template("markdown/layer.md.j2").module.render_step  # type: ignore[attr-defined]
    ctx = step_context(step, Formatter("markdown", lang, model), model, index)
    return _tidy(str(macro(ctx["step"], ctx["f"], level)))


def _tidy(text: str) -> str:
    """At most one blank line in a row; one newline at the end."""
    lines = text.splitlines()
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"
