"""The one error type users see: a problem with their input, said in one line."""
from __future__ import annotations


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
        parts = []
        if self.file:
            parts.append(self.file)
        if self.layer:
            parts.append(f"layer '{self.layer}'")
        parts.append(self.message)
        return ": ".join(parts)
