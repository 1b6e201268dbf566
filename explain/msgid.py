"""Marking text for translation where it is data (a layer's explanation, a symbol's meaning).

``N_`` returns its argument unchanged; babel extracts its argument (``-k N_``) into the catalogs,
and the renderer translates the message where it is shown. Importing this module costs nothing.
"""
from __future__ import annotations


def N_(message: str) -> str:
    """Marks ``message`` for extraction; it is translated where it is shown."""
    return message
