"""Keras's automatic layer names, shared by the importers (a layer without a name) and the layers
(a wrapper's sentence naming the sub-layer Keras builds, ``forward_gru/gru_cell/kernel``)."""
from __future__ import annotations

import re


def snake_case(name: str) -> str:
    """Keras's automatic layer names: Conv2D → conv2d, BatchNormalization → batch_normalization."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class AutoNames:
    """Names in Keras 3's style: the first ``conv2d``, then ``conv2d_1``, … (skipping names taken)."""

    def __init__(self, framework: str = "keras") -> None:
        self.framework = framework
        self.counts: dict[str, int] = {}
        self.taken: set[str] = set()

    def reserve(self, name: str) -> None:
        self.taken.add(name)

    def next(self, type_name: str) -> str:
        base = snake_case(type_name) if self.framework == "keras" else type_name.lower()
        while True:
            n = self.counts.get(base, 0)
            self.counts[base] = n + 1
            name = base if n == 0 else f"{base}_{n}"
            if name not in self.taken:
                self.taken.add(name)
                return name
