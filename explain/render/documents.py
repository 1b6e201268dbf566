"""One renderer: every document kind in every format goes through :func:`render_document`.

A kind (``derivation``, ``layer``, ``layers``, ``check``, and those to come) registers, per
format, a function that turns its subject into facts: data whose numbers and names are already
formatted for the format and language, and message ids still untranslated. The template
``templates/<format>/<kind>.<ext>.j2`` lays the facts out and translates every sentence with
``_()``. JSON is data, not prose: its function returns the object to dump.

    render_document("derivation", model, lang="de", format="latex", fragment=True)
    render_document("layer", model.node("dense_2"), lang="fr", model=model, level=1)

A kind's module is imported on first use (:data:`KINDS`), so ``import explain`` stays light.
"""
from __future__ import annotations

import importlib
import json
import unicodedata
from typing import Any, Callable

from ..errors import ExplainError
from ..gcpause import paused

FORMATS = ("markdown", "latex", "json", "text", "html")
LANGUAGES = ("en", "de", "ja", "fr", "es")
EXTENSIONS = {"markdown": "md", "latex": "tex", "text": "txt"}
DETAILS = ("compact", "full")
"""A derivation's detail: ``compact`` explains a kind of layer in full where it first occurs and
gives later ones one line with their numbers; ``full`` explains every layer in full."""
BABEL = {"en": "english", "de": "ngerman", "fr": "french", "es": "spanish,es-noshorthands,es-nolists"}
"""babel's language option for the LaTeX preamble (Japanese uses luatexja instead)."""

KINDS = {
    "derivation": "explain.render.derivation_doc",
    "layer": "explain.render.derivation_doc",
    "layers": "explain.render.reference",
    "check": "explain.checker.report",
    "exercise": "explain.exercise.sheet",
    "solution": "explain.exercise.sheet",
}
"""Document kind → the module that registers its facts (imported on first use)."""

HTML_KINDS = ("derivation", "check", "layers")
"""The kinds that are whole documents, available as a web page too (a layer is a fragment)."""

Facts = Callable[..., Any]
_REGISTRY: dict[tuple[str, str], Facts] = {}


def document(kind: str, *formats: str) -> Callable[[Facts], Facts]:
    """Registers ``facts(subject, f, **options)`` for ``kind`` in ``formats``; for ``json``,
    ``facts(subject, lang=lang, **options)`` returns the data to dump."""
    def register(facts: Facts) -> Facts:
        for format in formats:
            _REGISTRY[(kind, format)] = facts
        return facts
    return register


def formats_of(kind: str) -> tuple[str, ...]:
    """The formats ``kind`` is available in, in :data:`FORMATS` order (HTML wherever Markdown is:
    the page is made from the Markdown, :mod:`.html`)."""
    _load(kind)
    return tuple(f for f in FORMATS if (kind, f) in _REGISTRY
                 or (f == "html" and kind in HTML_KINDS and (kind, "markdown") in _REGISTRY))


def _load(kind: str) -> None:
    if kind not in KINDS:
        raise ExplainError(f"unknown document '{kind}' (choose from {', '.join(KINDS)})")
    importlib.import_module(KINDS[kind])


@paused
def render_document(kind: str, subject: Any, lang: str = "en", format: str = "markdown",
                    **options: Any) -> str:
    """``subject`` as a ``kind`` document in ``format`` and ``lang``; ``options`` go to the kind's
    facts (``expand``, ``fragment``, ``model``, ``level``, ``framework`` …)."""
    if lang not in LANGUAGES:
        raise ExplainError(f"unknown language '{lang}' (choose from {', '.join(LANGUAGES)})")
    if format not in FORMATS:
        raise ExplainError(f"unknown format '{format}' (choose from {', '.join(FORMATS)})")
    available = formats_of(kind)
    facts = _REGISTRY.get((kind, format))
    if format == "html" and format in available:
        from .html import page
        return page(kind, subject, lang, **options)
    if facts is None:
        raise ExplainError(f"a {kind} document is available as {' or '.join(available)}, not '{format}'")
    if format == "json":
        from .escape import json_visible  # the same values; no control or bidi character shown raw
        return json_visible(json.dumps(facts(subject, lang=lang, **options), indent=2, ensure_ascii=False)) + "\n"
    from .i18n import environment
    from .view import Formatter
    from ..model import Model
    # the model whose rows the names are (a step of the forward pass is named in plain text)
    f = Formatter(format, lang, subject if isinstance(subject, Model) else options.get("model"))
    context = {"fragment": bool(options.get("fragment")), "lang": lang, "babel": BABEL.get(lang, "english")}
    context.update(facts(subject, f, **options))
    context["f"] = f
    template = environment(lang, format).get_template(f"{format}/{kind}.{EXTENSIONS[format]}.j2")
    text = tidy(template.render(context))
    return join_japanese(text) if lang == "ja" and format == "markdown" else text


_BLOCK_START = ("#", "- ", "* ", "+ ", "|", ">", "```", "$$", "<", "!", "[", " ", "\t")


def _wide(c: str) -> bool:
    """An East Asian wide or full-width character (ideographs, kana, 。、「」（）：), as the text
    table measures them (:func:`explain.render.text.width`)."""
    return unicodedata.east_asian_width(c) in "WF"


def unspaced(before: str, after: str) -> bool:
    """Whether a line break between the characters ``before`` and ``after`` is no space: after a
    Japanese full stop, comma or bracket, or between two Japanese characters (「…表します。矢印…」),
    which take no space between them."""
    return bool(before) and _wide(before) and (not before.isalnum() or (bool(after) and _wide(after)))


def join_japanese(text: str) -> str:
    """Markdown (and the HTML made from it) turns a newline inside a paragraph into a space, which
    Japanese does not put between sentences: a line joins the one before it where the break between
    them is :func:`unspaced` and both are lines of running text (not in a fence, a table, a heading
    or a list item's start)."""
    out: list[str] = []
    fenced = False
    for line in text.split("\n"):
        starts_fence = line.startswith(("```", "$$"))
        prev = out[-1] if out else ""
        if (not fenced and not starts_fence and line and not line.startswith(_BLOCK_START)
                and not line[:1].isdigit() and unspaced(prev[-1:], line[:1]) and not prev.startswith(("#", "|"))):
            out[-1] = prev + line
            continue
        if starts_fence and not (line.startswith("$$") and line.rstrip().endswith("$$") and len(line.strip()) > 2):
            fenced = not fenced
        out.append(line)
    return "\n".join(out)


def tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces; one newline at the end."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"
