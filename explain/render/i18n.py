"""Translations and the Jinja2 environments that use them.

Catalogs live in ``templates/locales/<lang>/LC_MESSAGES/messages.po`` (installed as
``explain/templates``); they are compiled in memory at first use (no ``.mo`` files). English is
the source language: its messages are the msgids. Jinja2 uses the i18n extension with newstyle
gettext; every translated message is escaped for the output format before its placeholders are
filled, so message text can never inject markup.
"""
from __future__ import annotations

import gettext as _gettext
import io
import marshal
import pickle
import re
from functools import lru_cache
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any, Callable, Sequence

import jinja2
import jinja2.runtime
from jinja2.utils import internalcode

from ..cache import cache_folder
from ..msgid import N_  # (re-exported for the messages marked in render/)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
"""``explain/templates``: a link to the top-level ``templates/`` in the source tree, the real
directory in an installed package."""
LOCALES_DIR = TEMPLATES / "locales"
DOMAIN = "messages"

# Translators: a list of two items ("`padding="valid"` and `strides=1`", "the pooler and the LM head"); Japanese joins a pair with と
LIST_PAIR = N_("%(first)s and %(second)s")
# Translators: the end of a list of three or more items: %(list)s the items before the last, joined by ", " ("two embedding layers, twelve transformer blocks, a final normalization"), %(last)s the last one ("the LM head"); Japanese joins it with 、 like the others
LIST_END = N_("%(list)s and %(last)s")
# Translators: the separator between the items of a list of names ("x, y"); Japanese takes 、
LIST_SEPARATOR = N_(", ")
# Translators: between the first and the last of a range ("layers 7–38" in the stage table, "`conv2_x`–`conv5_x`"); Japanese takes ～
RANGE_SEPARATOR = N_("–")
# Translators: the separator between the items of a list whose items have commas of their own (the defaults of two layer types: "for Conv2D, … and …; for AveragePooling2D, …"); French puts a narrow no-break space before it, Japanese takes 、
ITEM_SEPARATOR = N_("; ")




@lru_cache(maxsize=None)
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``lang`` (NullTranslations for English, the source language)."""
    if lang == "en":
        return _gettext.NullTranslations()
    source = (LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").read_bytes()
    cached = _compiled_path(lang, source)
    if cached is not None:
        try:
            with open(cached, "rb") as f:
                return _gettext.GNUTranslations(f)
        except Exception:  # not there yet, or unreadable: compiled again below
            pass
    data = _compile(lang, source)
    if cached is not None:
        _store(cached, data)
    return _gettext.GNUTranslations(io.BytesIO(data))


def _compile(lang: str, source: bytes) -> bytes:
    """``source`` (a .po file) compiled to .mo bytes, fuzzy entries left out."""
    from babel.messages.mofile import write_mo  # only for translations (not English)
    from babel.messages.pofile import read_po
    buffer = io.BytesIO()
    write_mo(buffer, read_po(io.BytesIO(source), locale=lang), use_fuzzy=False)
    return buffer.getvalue()


def _compiled_path(lang: str, source: bytes) -> "str | None":
    """Where the compiled catalog of ``source`` is kept between runs (compiling a catalog takes
    20–40 ms of every German, French, Japanese or Spanish run): named by the checksum of the
    .po file and Babel's version, so an edited catalog is compiled anew; None without a cache."""
    import hashlib
    import os

    import babel
    folder = cache_folder("catalogs")
    if folder is None:
        return None
    key = hashlib.sha256(source + babel.__version__.encode()).hexdigest()[:32]
    return os.path.join(folder, f"{lang}-{key}.mo")


_KEPT = 8
"""Compiled catalogs kept per language (several checkouts of other catalogs may share the cache)."""


def _store(path: str, data: bytes) -> None:
    """``data`` written to ``path`` whole (a temporary file moved into place), and the language's
    compiled catalogs beyond the :data:`_KEPT` newest removed; a cache that cannot be written is
    simply not used."""
    import glob
    import os
    import tempfile
    folder, name = os.path.split(path)
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
        lang = name.split("-", 1)[0]
        found = glob.glob(os.path.join(glob.escape(folder), f"{glob.escape(lang)}-*.mo"))
        for old in sorted(found, key=os.path.getmtime, reverse=True)[_KEPT:]:
            os.remove(old)
    except OSError:
        pass


_PLACEHOLDER = re.compile(r"(%\([A-Za-z_][A-Za-z0-9_]*\)[sd]|%%)")


def escape_message(text: str, escape: Callable[[str], str]) -> str:
    """``escape`` applied to a message's text but not to its ``%(name)s`` placeholders; a literal
    ``%`` the escape produces is doubled so that filling the placeholders keeps it."""
    parts = _PLACEHOLDER.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)
        else:
            out.append(escape(part).replace("%", "%%"))
    return "".join(out)


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs (Jinja checks each template's source checksum);
    a cache that cannot be read or written is simply not used."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Jinja's own check, without its unpickling and file reads: the file is Jinja's header
        (its magic, then the pickled checksum of the template's source) and the marshalled code.
        The header is compared as bytes with the one this source would have, and the code read
        with ``marshal.loads``: ``marshal.load`` of a file calls its ``readinto`` per string
        (three quarters of loading a large template)."""
        header = jinja2.bccache.bc_magic + pickle.dumps(bucket.checksum, 2)
        try:
            with open(self._get_cache_filename(bucket), "rb") as f:
                data = f.read()
            bucket.code = marshal.loads(memoryview(data)[len(header):]) if data.startswith(header) else None
        except Exception:
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except Exception:
            pass


@lru_cache(maxsize=None)
def _bytecode_cache() -> "jinja2.BytecodeCache | None":
    """Compiling the templates is a tenth of a short ``explain derive``; the compiled code is kept
    in $XDG_CACHE_HOME/explain (~/.cache/explain). EXPLAIN_NO_CACHE=1 turns this off.

    Jinja unpickles what it finds there: the cache is used only where nobody else can write
    (:func:`private_folder`), as Jinja does for its own default folder; otherwise not at all."""
    folder = cache_folder(f"jinja-{jinja2.__version__}")
    return _QuietBytecodeCache(folder) if folder else None


class _Context(jinja2.runtime.Context):
    """Jinja's context, calling a plain function, method or builtin (no ``pass_context``,
    ``pass_eval_context`` or ``pass_environment`` mark) without looking for those marks: Jinja's
    :meth:`~jinja2.runtime.Context.call` asks ``hasattr`` twice a call, each a failed lookup (an
    exception), and a derivation makes about ten calls a layer (``f.name``, ``_``). The same call
    and result; anything else goes through Jinja's own."""

    @internalcode
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        kind = type(__obj)
        # a mark is an attribute of the function (a method's: of its __func__); a builtin has none
        if kind is MethodType:
            func = __obj.__func__  # type: ignore[attr-defined]
            plain = type(func) is FunctionType and "jinja_pass_arg" not in func.__dict__
        else:
            plain = kind is BuiltinFunctionType or (kind is FunctionType and "jinja_pass_arg" not in __obj.__dict__)
        if not plain:
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined("value was undefined because a callable raised a"
                                                " StopIteration exception")


class _Environment(jinja2.Environment):
    """Jinja's environment with its i18n extension (the ``{% trans %}`` tags) added when a template
    is first parsed: a template the bytecode cache holds is code already, which calls the
    ``gettext`` globals that :func:`environment` installs, and needs no extension (importing
    ``jinja2.ext`` took 1.5 % of the instructions of a ResNet-50's first derivation)."""

    def _parse(self, source: str, name: str | None, filename: str | None) -> Any:
        if "jinja2.ext.InternationalizationExtension" not in self.extensions:
            self.add_extension("jinja2.ext.i18n")
        return super()._parse(source, name, filename)


@lru_cache(maxsize=None)
def environment(lang: str, format: str) -> jinja2.Environment:
    """A Jinja2 environment for ``format`` templates in ``lang`` (one per pair, so no shared state)."""
    from .escape import message_escape
    escape = message_escape(format, lang)
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(),
    )
    env.context_class = _Context
    tr = translations(lang)

    @lru_cache(maxsize=4096)  # the catalog's messages, escaped once each (not once per layer)
    def escaped(text: str) -> str:
        return escape_message(text, escape)

    def gettext(message: str) -> str:
        return escaped(tr.gettext(message))

    def ngettext(singular: str, plural: str, n: int) -> str:
        return escaped(tr.ngettext(singular, plural, n))

    def pgettext(context: str, message: str) -> str:
        """A message whose translation depends on where it stands (msgctxt): "Total" as the
        compute table's sum row is „Summe“ in German, the parameter count's total „Gesamtzahl“."""
        return escaped(tr.pgettext(context, message))

    def npgettext(context: str, singular: str, plural: str, n: int) -> str:
        return escaped(tr.npgettext(context, singular, plural, n))

    env.newstyle_gettext = True  # type: ignore[attr-defined]  # what the i18n extension's trans blocks compile to
    env.globals.update(_newstyle(gettext, ngettext, pgettext, npgettext))
    env.globals["join_list"] = lambda items, nested=False: join_list(items, lang, format, nested)
    return env


def _newstyle(gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str],
              pgettext: Callable[[str, str], str],
              npgettext: Callable[[str, str, str, int], str]) -> dict[str, Callable[..., str]]:
    """Jinja's newstyle gettext callables (``_``, ``gettext``, ``ngettext``, ``pgettext``,
    ``npgettext``: the message, then ``% variables``, ``num`` and ``context`` set by default) without
    its context calls: ``_`` went through three of them per message, and a derivation asks for
    a message about ten times a layer. The same text: the environments do not autoescape
    (tests/test_render_documents.py compares them with Jinja's own)."""
    def new_gettext(message: str, /, **variables: object) -> str:
        return gettext(message) % variables

    def new_ngettext(singular: str, plural: str, num: int, /, **variables: object) -> str:
        variables.setdefault("num", num)
        return ngettext(singular, plural, num) % variables

    def new_pgettext(context: str, message: str, /, **variables: object) -> str:
        variables.setdefault("context", context)
        return pgettext(context, message) % variables

    def new_npgettext(context: str, singular: str, plural: str, num: int, /, **variables: object) -> str:
        variables.setdefault("context", context)
        variables.setdefault("num", num)
        return npgettext(context, singular, plural, num) % variables

    return {"_": new_gettext, "gettext": new_gettext, "ngettext": new_ngettext,
            "pgettext": new_pgettext, "npgettext": new_npgettext}


def join_list(items: Sequence[str], lang: str, format: str, nested: bool = False) -> str:
    """``items`` (already escaped for ``format``) as one list in ``lang``, with the catalog's words
    between them: "a and b", "a, b and c" (de „a, b und c“, ja 「a と b」「a、b、c」); ``nested``:
    items with commas of their own, only separated ("for Conv2D, … and …; for AveragePooling2D, …").
    Not Babel's ``format_list``: CLDR puts a comma before the English "and" (the documents write
    "queries, keys and values") and joins a Japanese pair with 、 (here と, as in every sentence)."""
    from .escape import message_escape
    escape = message_escape(format, lang)

    def text(message: str) -> str:
        return escape(translate(lang, message))

    if nested:
        return text(ITEM_SEPARATOR).join(items)
    if len(items) < 2:
        return "".join(items)
    if len(items) == 2:
        return escape_message(translate(lang, LIST_PAIR), escape) % {"first": items[0], "second": items[1]}
    return escape_message(translate(lang, LIST_END), escape) % {"list": text(LIST_SEPARATOR).join(items[:-1]),
                                                                 "last": items[-1]}


def translate(lang: str, message: str) -> str:
    """The plain translation of ``message`` (no escaping), for text built outside templates."""
    text = translations(lang).gettext(message)
    if lang == "fr":
        from .escape import french_apostrophes
        return french_apostrophes(text)
    return text
