"""Literal text in Markdown and LaTeX: names from user input can never become markup.

Markdown: every ASCII punctuation character that CommonMark could read as markup is
backslash-escaped, and ``< > & \\ [ ] $`` become entities (so there is never raw HTML, and
nothing MathJax would take for a math delimiter). LaTeX: the ten
specials and ``< >`` become their text commands.
"""
from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from typing import Callable


@lru_cache(maxsize=None)
def compiled(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled when first used: most of this module's patterns serve LaTeX or French
    only, and compiling them all at import was work every Markdown document paid."""
    return re.compile(pattern)


_NOT_PLAIN = r"[^\n -~]"

_MD_ESCAPED = set("`*_{}#+-.!|~^\"'")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "\\": "&#92;", "[": "&#91;", "]": "&#93;",
                "$": "&#36;"}
"""As entities, not backslash escapes: ``\\( \\[ \\$`` are math delimiters to MathJax, and
``(`` needs no escape once ``[`` is an entity (no link can open)."""


def visible(text: str) -> str:
    """``text`` with every character that is not printed as itself written as its escape
    (``\\x1b``, ``\\u202e``, ``\\ud800``): control characters (C0, DEL, C1), format
    characters such as the bidirectional overrides, line separators, surrogates, unassigned
    and private-use code points. A name can then neither drive a terminal nor reorder a line."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " or unicodedata.category(c) == "Zs"
                   else ascii(c)[1:-1] for c in text)


def json_visible(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with the characters
    :func:`visible` escapes written as JSON escapes: the same value, nothing that is not shown."""
    def escape(m: re.Match) -> str:
        c = m.group()
        return c if c.isprintable() or unicodedata.category(c) == "Zs" else json.dumps(c)[1:-1]
    return compiled(_NOT_PLAIN).sub(escape, text)


def _clean(text: str) -> str:
    return visible(text)


_MD_TEXT = str.maketrans({**{c: "\\" + c for c in _MD_ESCAPED}, **_MD_ENTITIES})


def markdown_text(text: str) -> str:
    """``text`` shown literally in Markdown (also inside a table cell)."""
    return _clean(text).translate(_MD_TEXT)


_MD_MESSAGE = set("`*_|")
_MD_MESSAGE_TEXT = str.maketrans({**{c: "\\" + c for c in _MD_MESSAGE}, **_MD_ENTITIES})


def markdown_message(text: str) -> str:
    """A translated sentence made safe for Markdown (lighter: prose keeps its punctuation)."""
    return visible(text).translate(_MD_MESSAGE_TEXT)


@lru_cache(maxsize=8192)  # names and shapes repeat layer after layer
def markdown_code(text: str) -> str:
    """``text`` as an inline code span (literal; backticks inside get a longer fence); a code
    span keeps ``< &`` literal, so no HTML can come through. A ``|`` would end a table cell even
    inside a code span (and then ``<`` would be markup): such text is escaped text instead, the
    same in a table and outside one."""
    text = _clean(text)
    if "|" in text:
        return markdown_text(text)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0) if "`" in text else 0
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or text.startswith(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


LATEX_SPECIALS: dict[str, str] = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "\u202f": r"\,", "\u00a0": r"\nobreak\hspace{0.3333em}",
    '"': r"\textquotedbl{}"}
"""The LaTeX escape table, for text mode and for ``\\text{…}`` in math alike (a no-break space as
a fixed word space, not TeX's tie, which stretches in a justified line: "1  MB  =  10⁶"; a narrow
one as ``\\,``: the font's own glyphs are wider); ``"`` too: babel's
German (and Spanish) shorthands make it active (``"|``, ``"=``, ``""``)."""


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUPER_RUN = "[⁰¹²³⁴⁵⁶⁷⁸⁹]+"
_MATH_CHARS = {"γ": r"\ensuremath{\gamma}", "β": r"\ensuremath{\beta}", "α": r"\ensuremath{\alpha}",
               "σ": r"\ensuremath{\sigma}", "μ": r"\ensuremath{\mu}", "−": r"\ensuremath{-}",
               "⌊": r"\ensuremath{\lfloor}", "⌋": r"\ensuremath{\rfloor}", "⌈": r"\ensuremath{\lceil}",
               "⌉": r"\ensuremath{\rceil}"}


@lru_cache(maxsize=8192)  # names and shapes repeat layer after layer
def latex_text(text: str) -> str:
    """``text`` shown literally in LaTeX text mode (superscript digits and Greek letters, which the
    text fonts lack, through math)."""
    out = []
    pos = 0
    text = _clean(text)
    for m in compiled(_SUPER_RUN).finditer(text):
        out.append(_plain(text[pos:m.start()]))
        out.append(r"\textsuperscript{" + m.group().translate(_SUPERSCRIPTS) + "}")
        pos = m.end()
    out.append(_plain(text[pos:]))
    return "".join(out)


_LATEX_TEXT = str.maketrans({**_MATH_CHARS, **LATEX_SPECIALS})


def _plain(text: str) -> str:
    return text.translate(_LATEX_TEXT)


def plain_text(text: str) -> str:
    """``text`` for a terminal: control characters (which could move the cursor) become spaces."""
    return _clean(text)


_FRENCH_SPACE = "[ \u00a0\u202f]"
_BEFORE_HIGH_SIGN = _FRENCH_SPACE + "+(?=[:;!?])"
_IN_GUILLEMETS = "(?<=«)" + _FRENCH_SPACE + "+|" + _FRENCH_SPACE + "+(?=»)"


_UNITS = ("bits", "bit", "bytes", "byte", "Bytes", "Byte", "octets", "octet", "Bit", "kB", "KB", "MB", "GB",
          "TB", "KiB", "MiB", "GiB", "Kio", "Mio", "Gio", "Ko", "Mo", "Go", "FLOPs", "MACs")

def french_latex_text(text: str) -> str:
    """:func:`latex_text` for French prose under babel-french, which spaces ``: ; ! ?`` itself (the
    bare sign: a typed no-break space would double the space), and guillemets as babel-french's
    ``\\og … \\fg{}``, which put the right unbreakable space inside them (round 13: under LuaTeX
    babel leaves a typed « » alone, and a plain space inside let "»" start a line)."""
    text = latex_message(compiled(_IN_GUILLEMETS).sub(" ", compiled(_BEFORE_HIGH_SIGN).sub("", text)))
    return text.replace("« ", "\\og ").replace(" »", "\\fg{}")


_ELIDING_APOSTROPHE = r"(?<=[^\W\d_])'(?=[^\W\d_])"


def french_apostrophes(text: str) -> str:
    """French prose elides with the typographic apostrophe (``l’entrée``); a ``'`` between letters
    in a French message is one. Quotes around code (``padding='same'``) are not between letters."""
    return compiled(_ELIDING_APOSTROPHE).sub("\u2019", text)


_NUMBER_UNIT = r"(?:(?<=\d)|^) (?=(?:" + "|".join(_UNITS) + r")\b)"
"""The space after a number (or at the start of a piece of a sentence: after a placeholder, "$M$
octets") before a unit."""
_SIZE_BY_SIZE = r"(?<=\d) × (?=\d)"
_SUM_OF_NUMBERS = r"(?<=\d) (\+|=) (?=\d)"
"""A sum of numbers written in a sentence, "4 + 4 + 8 = 16 bytes": it never breaks inside the sum (round
13, ja: "4 + 4 + / 8"), only after its "=", as a formula in math does."""
_UNIT_EQUALS = "\\nobreak\\hspace{0.3333em}= "
"""The "=" of "1 MB = 10⁶ bytes" after the no-break space: the space after it as wide as the one
before (a word space stretched in a justified line and set "=" off-centre), a line may still break there."""
_NUMBER_HYPHEN = r"(?<![\w\\])(\d+)-(?=[^\W\d_])"
_AFTER_PLACEHOLDER_HYPHEN = r"^-(?=[^\W\d_])"
"""The hyphen that starts a piece of a sentence, right after its placeholder ("%(k)s-Faltung",
"%(n)s-mal"): as unbreakable as the one of "1-Faltung" (:data:`_NUMBER_HYPHEN`), which the filled-in
value cannot carry (round 19, de resnet50: "3 ×" / "3-Faltung")."""


_ET_AL = r"\bet al\."
"""A citation's "et al.": one unbreakable unit with "et" (review 36 es: "Korthikanti et / al.")."""


def latex_message(text: str) -> str:
    """A translated sentence for LaTeX (:func:`latex_text`) whose number and unit never part
    ("4 bytes", "2 octets", "1 Kio": a no-break space), nor a citation's "et~al.", and whose "1 × 1"
    and "5 × 5-Kernel" are one unbreakable unit (no break at the spaces around × or after the
    hyphen, also one that follows a placeholder)."""
    text = compiled(_NUMBER_UNIT).sub("\u00a0", text)
    text = compiled(_SIZE_BY_SIZE).sub("\u00a0×\u00a0", text)
    text = compiled(_SUM_OF_NUMBERS).sub(lambda m: "\u00a0+\u00a0" if m.group(1) == "+" else "\u00a0= ", text)
    text = compiled(_NUMBER_HYPHEN).sub(lambda m: r"\mbox{" + m.group(1) + "-}", latex_text(text))
    text = compiled(_AFTER_PLACEHOLDER_HYPHEN).sub(r"\\mbox{-}", text)
    text = compiled(_ET_AL).sub("et~al.", text)
    return text.replace(_UNIT_EQUALS, _UNIT_EQUALS[:-1] + r"\hspace{0.3333em}")


MESSAGE_ESCAPES: dict[str, Callable[[str], str]] = {"markdown": markdown_message, "latex": latex_message, "text": str}


def japanese_latex_message(text: str) -> str:
    """:func:`latex_message` for Japanese, whose lines break between any two characters: a definition
    such as "1 KB = 2¹⁰ バイト" stays whole, no break after its "=" (round 13, ja: "1 KB = / 2¹⁰")."""
    return latex_message(text).replace(_UNIT_EQUALS[:-1] + r"\hspace{0.3333em}", _UNIT_EQUALS[:-1] + r"\nobreak\hspace{0.3333em}")


def message_escape(format: str, lang: str) -> Callable[[str], str]:
    """How a translated sentence is escaped for ``format`` in ``lang``."""
    if lang == "ja" and format == "latex":
        return japanese_latex_message
    if lang == "fr":
        escape = french_latex_text if format == "latex" else MESSAGE_ESCAPES[format]
        return lambda text: escape(french_apostrophes(text))
    return MESSAGE_ESCAPES[format]
