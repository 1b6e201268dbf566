"""Markdown and LaTeX feedback sheets from ``templates/markdown/check.md.j2`` and
``templates/latex/check.tex.j2``, in the renderer's i18n environment."""
from __future__ import annotations

from dataclasses import asdict


def render_template(data, format: str, lang: str, fragment: bool = False) -> str:
    from ..render.i18n import environment
    from ..render.markdown import _tidy
    env = environment(lang, format)
    name = "markdown/check.md.j2" if format == "markdown" else "latex/check.tex.j2"
    context = asdict(data)
    context.update(fragment=fragment, lang=lang)
    if format == "latex":
        from ..render.latex import BABEL
        context.update(babel=BABEL.get(lang, "english"))
    return _tidy(env.get_template(name).render(context))
