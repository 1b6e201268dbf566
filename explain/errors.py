"""The one error type users see: a problem with their input, said in one line."""
from __future__ import annotations

MAX_MESSAGE = 600
"""Characters of an error line; a longer one (a huge received value) is cut in the middle."""


def one_line(text: str) -> str:
    """Control and line-breaking characters (from names in the input) escaped: the message stays
    one line and cannot move the terminal's cursor or colours; and it stays readable in length."""
    import unicodedata
    line = "".join(c if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp", "Cs") or c == "\t"
                   else ascii(c)[1:-1] for c in text)
    if len(line) > MAX_MESSAGE:
        half = MAX_MESSAGE // 2
        line = f"{line[:half]} … ({len(line) - 2 * half} characters left out) … {line[-half:]}"
    return line


class ExplainError(Exception):
    """Bad input or usage. Rendered as one line: ``FILE: layer 'NAME': problem``."""

    def __init__(self, message: str, *, file: str | None = None, layer: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.layer = layer

    def located(self, *, file: str | None = None, layer: str | None = None) -> "ExplainError":
        """Fill in the file or layer where they are not known yet (innermost wins)."""
        if self.file is None:
            self.file = file
        if self.layer is None:
            self.layer = layer
        return self

    def __str__(self) -> str:
        """The one line, with user text made safe (:func:`one_line`) for a terminal or a log,
        as the command line and the Python API both show it."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.layer:
            parts.append(f"layer '{self.layer}'")
        parts.append(self.message)
        return one_line(": ".join(parts))
