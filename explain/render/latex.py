"""``--format latex``: a complete lualatex document (luatexja for Japanese, babel for the others;
amsmath, booktabs), or with ``fragment=True`` the body alone for ``\\input``."""
from __future__ import annotations

from ..derivation import LayerStep, derive
from ..model import Model
from .i18n import environment
from .markdown import _tidy
from .view import Formatter, model_context, step_context

BABEL = {"en": "english", "de": "ngerman", "fr": "french", "es": "spanish,es-noshorthands"}


def render_latex(model: Model, lang: str = "en", expand: bool = False, fragment: bool = False) -> str:
    fmt = Formatter("latex", lang, model)
    context = model_context(derive(model, expand=expand), fmt)
    context.update(fragment=fragment, lang=lang, babel=BABEL.get(lang, "english"))
    return _tidy(environment(lang, "latex").get_template("latex/derivation.tex.j2").render(context))


def render_latex_step(step: LayerStep, model: Model | None, lang: str = "en", index: int = 1,
                      level: int = 3) -> str:
    """One layer's derivation steps as a LaTeX fragment (for feedback sheets)."""
    env = environment(lang, "latex")
    macro = env.get_template("latex/layer.tex.j2").module.render_step  # type: ignore[attr-defined]
    ctx = step_context(step, Formatter("latex", lang, model), model, index)
    return _tidy(str(macro(ctx["step"], ctx["f"], level)))
