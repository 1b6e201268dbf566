"""Keras preprocessing and augmentation layers: no weights.

Augmentations (RandomFlip, RandomRotation, RandomZoom, …) keep the shape; Resizing, CenterCrop and
RandomCrop give (height, width, C) (channels last) or (C, height, width).
"""
from __future__ import annotations


from ..errors import ExplainError
from ..symbols import Value
from .base import Layer, Shape, anything, format_shape, size, layer_type
from . import _texts
from .registry import register

# Applied in training and at inference alike (Keras 3); the others only during training.
_FIXED = frozenset({"AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization"})


def _keeps_shape(name: str, *fields: str) -> type[Layer]:
    """A weightless augmentation layer that keeps the shape; ``fields``: Keras's constructor
    arguments in order (its positional order)."""
    fixed = name in _FIXED
    namespace: dict = {"__annotations__": {f: object for f in fields},
                       "__doc__": f"{name}: no weights; the shape is unchanged.",
                       "positional": fields, "role": "preprocessing" if fixed else "augmentation",
                       "explanation": _texts.CONTRAST if fixed else _texts.AUGMENTATION,
                       # random augmentations pass the input through at inference
                       "ops_per_element": None if fixed else 0,
                       "compute_not_derived": "no rule for contrast and histogram equalization" if fixed else None}
    for f in fields:
        namespace[f] = anything()
    cls = type(name, (Layer,), namespace)
    cls.__module__ = __name__
    return register(name)(layer_type(cls))


# Keras 3's constructor arguments, in order.
_SHAPE_KEEPING = {
    "RandomFlip": ("mode", "seed", "data_format"),
    "RandomRotation": ("factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"),
    "RandomZoom": ("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value",
                   "data_format"),
    "RandomTranslation": ("height_factor", "width_factor", "fill_mode", "interpolation", "seed",
                          "fill_value", "data_format"),
    "RandomContrast": ("factor", "value_range", "seed"),
    "RandomBrightness": ("factor", "value_range", "seed"),
    "RandomSaturation": ("factor", "value_range", "data_format", "seed"),
    "RandomHue": ("factor", "value_range", "data_format", "seed"),
    "RandomGrayscale": ("factor", "data_format", "seed"),
    "RandomSharpness": ("factor", "value_range", "data_format", "seed"),
    "RandomColorJitter": ("value_range", "brightness_factor", "contrast_factor", "saturation_factor",
                          "hue_factor", "seed", "data_format"),
    "RandomColorDegeneration": ("factor", "value_range", "data_format", "seed"),
    "RandomPosterization": ("factor", "value_range", "data_format", "seed"),
    "RandomInvert": ("factor", "value_range", "seed", "data_format"),
    "RandomShear": ("x_factor", "y_factor", "interpolation", "fill_mode", "fill_value", "data_format",
                    "seed"),
    "RandomPerspective": ("factor", "scale", "interpolation", "fill_value", "seed", "data_format"),
    "RandomErasing": ("factor", "scale", "fill_value", "value_range", "seed", "data_format"),
    "RandomGaussianBlur": ("factor", "kernel_size", "sigma", "value_range", "data_format", "seed"),
    "RandomElasticTransform": ("factor", "scale", "interpolation", "fill_mode", "fill_value",
                               "value_range", "seed", "data_format"),
    "AutoContrast": ("value_range",),
    "Equalization": ("value_range", "bins", "data_format"),
    "Solarization": ("addition_factor", "threshold_factor", "value_range", "seed"),
    "ContrastLimitedAdaptiveHistogramEqualization": ("value_range", "clip_limit", "tile_grid_size",
                                                     "data_format"),
    "AugMix": ("value_range", "num_chains", "chain_depth", "factor", "alpha", "all_ops", "interpolation",
               "seed", "data_format"),
    "RandAugment": ("value_range", "num_ops", "factor", "interpolation", "seed", "data_format"),
    "CutMix": ("factor", "seed", "data_format"),
    "MixUp": ("alpha", "data_format", "seed"),
}
for _name, _fields in _SHAPE_KEEPING.items():
    globals()[_name] = _keeps_shape(_name, *_fields)


@layer_type
class _ToSize(Layer):
    """(H, W, C) → (height, width, C); channels first: (C, H, W) → (C, height, width)."""

    role = "resize"

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
@layer_type
class Resizing(_ToSize):
    explanation = _texts.RESIZING
    compute_not_derived = "no rule for interpolation"

    interpolation: object = anything()
    crop_to_aspect_ratio: object = anything()
    pad_to_aspect_ratio: object = anything()
    fill_mode: object = anything()
    fill_value: object = anything()
    antialias: object = anything()


@register("CenterCrop")
@layer_type
class CenterCrop(_ToSize):
    explanation = _texts.CENTER_CROP
    ops_per_element = 0

    pass


@register("RandomCrop")
@layer_type
class RandomCrop(_ToSize):
    role = "augmentation"
    explanation = _texts.RANDOM_CROP
    ops_per_element = 0  # a crop at inference

    def output_shape(self, shape: Shape) -> Shape:
        spatial = shape[1:] if self.data_format == "channels_first" else shape[:2]
        for d, want, what in zip(spatial, (self.height, self.width), ("height", "width")):
            if isinstance(d, int) and isinstance(want, int) and want > d:
                raise ExplainError(f"RandomCrop's {what} ({want}) is larger than the input "
                                   f"{format_shape(shape)}")
        return super().output_shape(shape)
