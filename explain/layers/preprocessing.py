"""Keras preprocessing and augmentation layers: no weights.

Augmentations (RandomFlip, RandomRotation, RandomZoom, …) keep the shape; Resizing, CenterCrop and
RandomCrop give (height, width, C) (channels last) or (C, height, width).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import ExplainError
from ..symbols import Value
from .base import Layer, Shape, anything, format_shape, size
from .registry import register

_COMMON = ("seed", "data_format", "value_range", "fill_mode", "fill_value", "interpolation")


def _keeps_shape(name: str, *fields: str) -> type[Layer]:
    """A weightless augmentation layer that keeps the shape and accepts ``fields``."""
    names = tuple(dict.fromkeys(fields + _COMMON))
    namespace: dict = {"__annotations__": {f: object for f in names},
                       "__doc__": f"{name}: no weights; the shape is unchanged.",
                       "positional": fields[:1]}
    for f in names:
        namespace[f] = anything()
    cls = type(name, (Layer,), namespace)
    cls.__module__ = __name__
    return register(name)(dataclass(frozen=True, kw_only=True)(cls))


RandomFlip = _keeps_shape("RandomFlip", "mode")
RandomRotation = _keeps_shape("RandomRotation", "factor")
RandomZoom = _keeps_shape("RandomZoom", "height_factor", "width_factor")
RandomTranslation = _keeps_shape("RandomTranslation", "height_factor", "width_factor")
RandomContrast = _keeps_shape("RandomContrast", "factor")
RandomBrightness = _keeps_shape("RandomBrightness", "factor")
RandomSaturation = _keeps_shape("RandomSaturation", "factor")
RandomHue = _keeps_shape("RandomHue", "factor")
RandomGrayscale = _keeps_shape("RandomGrayscale", "factor")
RandomSharpness = _keeps_shape("RandomSharpness", "factor")
RandomColorJitter = _keeps_shape("RandomColorJitter", "brightness_factor", "contrast_factor",
                                 "saturation_factor", "hue_factor")
RandomPosterization = _keeps_shape("RandomPosterization", "factor")
RandomInvert = _keeps_shape("RandomInvert", "factor")
AutoContrast = _keeps_shape("AutoContrast")
Equalization = _keeps_shape("Equalization", "bins")
Solarization = _keeps_shape("Solarization", "addition_factor", "threshold_factor")


@dataclass(frozen=True, kw_only=True)
class _ToSize(Layer):
    """(H, W, C) → (height, width, C); channels first: (C, H, W) → (C, height, width)."""

    positional = ("height", "width")
    input_rank = 3
    height: Value = size()
    width: Value = size()
    data_format: object = anything()
    seed: object = anything()

    def output_shape(self, shape: Shape) -> Shape:
        if self.data_format == "channels_first":
            return (shape[0], self.height, self.width)
        return (self.height, self.width, shape[2])


@register("Resizing")
@dataclass(frozen=True, kw_only=True)
class Resizing(_ToSize):
    interpolation: object = anything()
    crop_to_aspect_ratio: object = anything()
    pad_to_aspect_ratio: object = anything()
    fill_mode: object = anything()
    fill_value: object = anything()
    antialias: object = anything()


@register("CenterCrop")
@dataclass(frozen=True, kw_only=True)
class CenterCrop(_ToSize):
    pass


@register("RandomCrop")
@dataclass(frozen=True, kw_only=True)
class RandomCrop(_ToSize):
    def output_shape(self, shape: Shape) -> Shape:
        spatial = shape[1:] if self.data_format == "channels_first" else shape[:2]
        for d, want, what in zip(spatial, (self.height, self.width), ("height", "width")):
            if isinstance(d, int) and isinstance(want, int) and want > d:
                raise ExplainError(f"RandomCrop's {what} ({want}) is larger than the input "
                                   f"{format_shape(shape)}")
        return super().output_shape(shape)
