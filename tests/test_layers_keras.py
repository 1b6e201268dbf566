"""Every core layer type against real Keras 3 (torch backend), with non-default arguments.

Each case is a small spec; the expected figures (per layer: name, type, output shape, params,
trainable, non-trainable; and the totals) come from ``tests.oracle.keras_oracle``, which builds
the real Keras model. Several layers share one model so the Keras builds stay few.
"""
from __future__ import annotations

import dataclasses
import inspect

import pytest

import explain
from explain.errors import ExplainError
from explain.layers import layer_types
from explain.layers.base import COMMON_ARGS, IGNORED_ARGS
from explain.render.json_out import model_dict
from tests.conftest import require_module

FIGURES = ("name", "type", "output_shape", "params", "trainable", "non_trainable")


def keras_figures(spec: dict) -> dict:
    require_module("torch")
    require_module("keras")
    from tests.oracle.keras_oracle import keras_figures as oracle
    return oracle(spec)


def ours(spec: dict) -> dict:
    return model_dict(explain.load(spec))


def spec(name: str, shape: list, *layers: dict) -> dict:
    return {"name": name, "input": shape, "layers": list(layers)}


CASES = [
    spec("dense_any_rank", [5, 7, 3],
         {"Dense": {"units": 4}},
         {"Dense": {"units": 6, "use_bias": False, "activation": "relu"}},
         {"Activation": {"activation": "tanh"}},
         {"ReLU": {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}},
         {"LeakyReLU": {"negative_slope": 0.2}},
         {"ELU": {"alpha": 0.5}},
         {"Softmax": {"axis": 1}},
         {"Dropout": {"rate": 0.3, "noise_shape": [1, 7, 1], "seed": 1}},
         {"GaussianNoise": {"stddev": 0.1, "seed": 3}},
         {"GaussianDropout": {"rate": 0.2}},
         {"AlphaDropout": {"rate": 0.1}},
         {"ActivityRegularization": {"l1": 0.01, "l2": 0.02}},
         {"Identity": {}},
         {"Masking": {"mask_value": 0.0}},
         {"Dense": {"units": 3, "name": "head"}}),
    spec("dense_rank4_and_rank1", [2, 3, 4, 5],
         {"Dense": {"units": 6}},
         {"GlobalAveragePooling3D": {}},
         {"Dense": {"units": 4, "use_bias": False}}),
    spec("prelu_shared_axes", [6, 5, 4],
         {"PReLU": {}},
         {"PReLU": {"shared_axes": [1, 2]}},
         {"PReLU": {"shared_axes": 3}},
         {"PReLU": {"shared_axes": [2], "alpha_initializer": "ones"}}),
    spec("reshaping", [6, 4, 2],
         {"Reshape": {"target_shape": [-1, 8]}},
         {"Reshape": {"target_shape": [4, -1, 2]}},
         {"Permute": {"dims": [2, 3, 1]}},
         {"Permute": {"dims": [3, 1, 2]}},
         {"Flatten": {}},
         {"RepeatVector": {"n": 3}},
         {"Reshape": {"target_shape": [12, 12]}},
         {"Dense": {"units": 5}}),
    spec("spatial_dropout_1d", [10, 4],
         {"SpatialDropout1D": {"rate": 0.2, "seed": 2}},
         {"Conv1D": {"filters": 3, "kernel_size": 2}}),
    spec("spatial_dropout_2d_3d", [4, 6, 8, 3],
         {"SpatialDropout3D": {"rate": 0.2, "data_format": "channels_first"}},
         {"Reshape": {"target_shape": [24, 8, 3]}},
         {"SpatialDropout2D": {"rate": 0.5, "data_format": "channels_last"}},
         {"Conv2D": {"filters": 2, "kernel_size": 1}}),
    spec("conv1d", [17, 6],
         {"Conv1D": {"filters": 6, "kernel_size": 3, "strides": 2, "padding": "same"}},
         {"Conv1D": {"filters": 6, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}},
         {"Conv1D": {"filters": 9, "kernel_size": 2, "groups": 3, "use_bias": False}},
         {"Conv1D": {"filters": 4, "kernel_size": 3, "dilation_rate": 2}},
         {"Conv1D": {"filters": 5, "kernel_size": 2, "strides": 2, "padding": "causal"}},
         {"Conv1D": {"filters": 2, "kernel_size": 2, "strides": 3, "padding": "valid"}}),
    spec("conv1d_channels_first", [5, 16],
         {"Conv1D": {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same",
                     "data_format": "channels_first"}},
         {"Conv1D": {"filters": 8, "kernel_size": 2, "groups": 4, "data_format": "channels_first"}}),
    spec("conv2d", [15, 13, 4],
         {"Conv2D": {"filters": 8, "kernel_size": [3, 2], "strides": [2, 3], "padding": "same"}},
         {"Conv2D": {"filters": 6, "kernel_size": 3, "dilation_rate": [2, 1]}},
         {"Conv2D": {"filters": 4, "kernel_size": 1, "groups": 2, "use_bias": False}},
         {"Conv2D": {"filters": 4, "kernel_size": [2, 1], "strides": 2, "padding": "valid"}}),
    spec("conv2d_channels_first", [4, 15, 13],
         {"Conv2D": {"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same",
                     "data_format": "channels_first", "groups": 2}},
         {"Conv2D": {"filters": 3, "kernel_size": [3, 2], "dilation_rate": 2,
                     "data_format": "channels_first"}}),
    spec("conv3d", [7, 9, 8, 2],
         {"Conv3D": {"filters": 4, "kernel_size": [3, 2, 3], "strides": 2, "padding": "same"}},
         {"Conv3D": {"filters": 6, "kernel_size": 2, "groups": 2, "use_bias": False}},
         {"Conv3D": {"filters": 3, "kernel_size": 1, "dilation_rate": [1, 2, 1]}}),
    spec("conv3d_channels_first", [2, 7, 9, 8],
         {"Conv3D": {"filters": 4, "kernel_size": 3, "strides": [1, 2, 3], "padding": "same",
                     "data_format": "channels_first"}}),
    spec("conv1d_transpose", [7, 3],
         {"Conv1DTranspose": {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}},
         {"Conv1DTranspose": {"filters": 4, "kernel_size": 3, "strides": 2}},
         {"Conv1DTranspose": {"filters": 2, "kernel_size": 4, "strides": 3, "output_padding": 1}},
         {"Conv1DTranspose": {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same",
                              "output_padding": 1}},
         {"Conv1DTranspose": {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "use_bias": False}},
         {"Conv1DTranspose": {"filters": 3, "kernel_size": 2, "strides": 4}},
         {"Conv1DTranspose": {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same",
                              "output_padding": 0}}),
    spec("conv2d_transpose", [5, 6, 3],
         {"Conv2DTranspose": {"filters": 4, "kernel_size": [3, 4], "strides": [2, 3],
                              "output_padding": [1, 2]}},
         {"Conv2DTranspose": {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}},
         {"Conv2DTranspose": {"filters": 2, "kernel_size": [2, 3], "strides": [3, 2], "padding": "same",
                              "output_padding": [2, 1]}},
         {"Conv2DTranspose": {"filters": 2, "kernel_size": 3, "dilation_rate": [2, 3]}}),
    spec("conv2d_transpose_channels_first", [3, 5, 6],
         {"Conv2DTranspose": {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same",
                              "data_format": "channels_first"}}),
    spec("conv3d_transpose", [3, 4, 5, 2],
         {"Conv3DTranspose": {"filters": 3, "kernel_size": [2, 3, 3], "strides": [1, 2, 2]}},
         {"Conv3DTranspose": {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same",
                              "output_padding": [1, 0, 1], "use_bias": False}}),
    spec("depthwise", [17, 4],
         {"DepthwiseConv1D": {"kernel_size": 3, "strides": 2, "padding": "same", "depth_multiplier": 3}},
         {"DepthwiseConv1D": {"kernel_size": 2, "dilation_rate": 2, "use_bias": False}},
         {"Reshape": {"target_shape": [-1, 2, 6]}},
         {"DepthwiseConv2D": {"kernel_size": [2, 3], "depth_multiplier": 2, "padding": "same",
                              "strides": [2, 1]}},
         {"DepthwiseConv2D": {"kernel_size": 2, "dilation_rate": [2, 1], "padding": "valid",
                              "use_bias": False}}),
    spec("depthwise_separable_strides_with_dilation", [16, 15, 3],
         {"DepthwiseConv2D": {"kernel_size": 3, "strides": 2, "dilation_rate": 2, "depth_multiplier": 2}},
         {"SeparableConv2D": {"filters": 4, "kernel_size": 2, "strides": [1, 2], "dilation_rate": [2, 1],
                              "padding": "same"}}),
    spec("depthwise_channels_first", [3, 9, 8],
         {"DepthwiseConv2D": {"kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same",
                              "data_format": "channels_first"}}),
    spec("separable", [15, 4],
         {"SeparableConv1D": {"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same",
                              "depth_multiplier": 2}},
         {"SeparableConv1D": {"filters": 6, "kernel_size": 2, "dilation_rate": 3, "use_bias": False}},
         {"Reshape": {"target_shape": [-1, 1, 6]}},
         {"SeparableConv2D": {"filters": 5, "kernel_size": 2, "padding": "same", "depth_multiplier": 3}}),
    spec("separable_2d", [11, 9, 3],
         {"SeparableConv2D": {"filters": 8, "kernel_size": [3, 2], "strides": 2, "depth_multiplier": 2}},
         {"SeparableConv2D": {"filters": 4, "kernel_size": 2, "dilation_rate": 2, "padding": "same",
                              "use_bias": False}}),
    spec("separable_channels_first", [3, 11, 9],
         {"SeparableConv2D": {"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same",
                              "data_format": "channels_first"}},
         {"Reshape": {"target_shape": [8, 30]}},
         {"SeparableConv1D": {"filters": 4, "kernel_size": 2, "data_format": "channels_first"}}),
    spec("pooling_1d", [17, 3],
         {"MaxPooling1D": {"pool_size": 3, "strides": 2, "padding": "same"}},
         {"AveragePooling1D": {"pool_size": 2, "strides": 1}},
         {"MaxPooling1D": {}},
         {"AveragePooling1D": {"pool_size": 3, "padding": "same"}},
         {"GlobalMaxPooling1D": {"keepdims": True}}),
    spec("pooling_1d_channels_first", [3, 17],
         {"MaxPooling1D": {"pool_size": 4, "padding": "same", "data_format": "channels_first"}},
         {"GlobalAveragePooling1D": {"data_format": "channels_first"}}),
    spec("pooling_2d", [15, 13, 3],
         {"MaxPooling2D": {"pool_size": [3, 2], "strides": [2, 1], "padding": "same"}},
         {"AveragePooling2D": {"pool_size": 2, "strides": [1, 2]}},
         {"MaxPooling2D": {}},
         {"AveragePooling2D": {"pool_size": 3, "padding": "same"}},
         {"GlobalAveragePooling2D": {"keepdims": True}},
         {"GlobalMaxPooling2D": {}}),
    spec("pooling_2d_channels_first", [3, 15, 13],
         {"AveragePooling2D": {"pool_size": 2, "padding": "same", "data_format": "channels_first"}},
         {"MaxPooling2D": {"pool_size": [3, 2], "data_format": "channels_first"}},
         {"GlobalMaxPooling2D": {"data_format": "channels_first", "keepdims": True}}),
    spec("pooling_3d", [9, 7, 5, 2],
         {"MaxPooling3D": {"pool_size": [3, 2, 2], "strides": [2, 2, 1], "padding": "same"}},
         {"AveragePooling3D": {"pool_size": 2}},
         {"GlobalAveragePooling3D": {"keepdims": True}},
         {"GlobalMaxPooling3D": {}}),
    spec("pooling_3d_channels_first", [2, 9, 7, 5],
         {"AveragePooling3D": {"pool_size": 3, "padding": "same", "data_format": "channels_first"}},
         {"GlobalMaxPooling3D": {"data_format": "channels_first"}}),
    spec("padding_1d", [10, 3],
         {"ZeroPadding1D": {}},
         {"ZeroPadding1D": {"padding": [2, 3]}},
         {"Cropping1D": {}},
         {"Cropping1D": {"cropping": [2, 0]}},
         {"UpSampling1D": {"size": 3}},
         {"UpSampling1D": {}}),
    spec("padding_2d", [10, 8, 3],
         {"ZeroPadding2D": {}},
         {"ZeroPadding2D": {"padding": [[1, 2], [3, 4]]}},
         {"ZeroPadding2D": {"padding": [2, 0]}},
         {"ZeroPadding2D": {"padding": 3}},
         {"Cropping2D": {}},
         {"Cropping2D": {"cropping": [[1, 2], [0, 3]]}},
         {"Cropping2D": {"cropping": [2, 1]}},
         {"Cropping2D": {"cropping": 1}},
         {"UpSampling2D": {"size": [2, 3], "interpolation": "bilinear"}},
         {"UpSampling2D": {}}),
    spec("padding_2d_channels_first", [3, 10, 8],
         {"ZeroPadding2D": {"padding": [[1, 2], [3, 4]], "data_format": "channels_first"}},
         {"Cropping2D": {"cropping": [[2, 1], [0, 3]], "data_format": "channels_first"}},
         {"UpSampling2D": {"size": [3, 2], "data_format": "channels_first"}}),
    spec("padding_3d", [6, 7, 8, 2],
         {"ZeroPadding3D": {}},
         {"ZeroPadding3D": {"padding": [[1, 0], [0, 2], [3, 1]]}},
         {"ZeroPadding3D": {"padding": [1, 2, 3]}},
         {"Cropping3D": {}},
         {"Cropping3D": {"cropping": [[1, 0], [2, 1], [0, 1]]}},
         {"Cropping3D": {"cropping": [0, 1, 2]}},
         {"UpSampling3D": {"size": [1, 2, 3]}},
         {"UpSampling3D": {}}),
    spec("padding_3d_channels_first", [2, 6, 7, 8],
         {"ZeroPadding3D": {"padding": 2, "data_format": "channels_first"}},
         {"Cropping3D": {"cropping": [[1, 0], [2, 1], [0, 1]], "data_format": "channels_first"}},
         {"UpSampling3D": {"size": 2, "data_format": "channels_first"}}),
    spec("batch_norm", [6, 5, 4],
         {"BatchNormalization": {}},
         {"BatchNormalization": {"center": False}},
         {"BatchNormalization": {"scale": False, "momentum": 0.9, "epsilon": 0.01}},
         {"BatchNormalization": {"center": False, "scale": False}},
         {"BatchNormalization": {"axis": 1}},
         {"BatchNormalization": {"axis": -2, "trainable": False}}),
    spec("layer_norm", [6, 5, 4],
         {"LayerNormalization": {}},
         {"LayerNormalization": {"axis": [1, 2]}},
         {"LayerNormalization": {"axis": [-1, -3], "center": False}},
         {"LayerNormalization": {"axis": 2, "scale": False}},
         {"LayerNormalization": {"center": False, "scale": False}},
         {"LayerNormalization": {"rms_scaling": True}},
         {"LayerNormalization": {"rms_scaling": True, "scale": False, "axis": [2, 3]}}),
    spec("rms_norm", [6, 5, 4],
         {"RMSNormalization": {}},
         {"RMSNormalization": {"axis": [1, 2], "epsilon": 1e-5}},
         {"RMSNormalization": {"axis": -3}}),
    spec("group_unit_norm", [6, 5, 8],
         {"GroupNormalization": {"groups": 4}},
         {"GroupNormalization": {"groups": 2, "axis": 1, "center": False}},
         {"GroupNormalization": {"groups": -1, "scale": False}},
         {"GroupNormalization": {"groups": 8}},
         {"UnitNormalization": {}},
         {"UnitNormalization": {"axis": [1, 2]}},
         {"Rescaling": {"scale": 0.5, "offset": -1.0}}),
    spec("normalization", [6, 5, 4],
         {"Normalization": {}},
         {"Normalization": {"axis": [1, 2]}},
         {"Normalization": {"axis": None}},
         {"Normalization": {"axis": 2}},
         {"Normalization": {"axis": [-1, -3]}},
         {"Normalization": {"mean": 0.5, "variance": 2.0}},
         {"Normalization": {"axis": -1, "mean": [1.0, 2.0, 3.0, 4.0], "variance": [1.0, 1.0, 1.0, 1.0],
                            "invert": True}}),
    spec("time_distributed_names", [5, 8],
         {"TimeDistributed": {"layer": {"Dense": {"units": 3}}}},
         {"Dense": {"units": 2}},
         {"TimeDistributed": {"layer": {"Dense": {"units": 3, "name": "inner"}}}},
         {"Dense": {"units": 2}},
         {"Reshape": {"target_shape": [5, 2, 1]}},
         {"TimeDistributed": {"layer": {"Conv1D": {"filters": 2, "kernel_size": 1}}}},
         {"Reshape": {"target_shape": [10, 2]}},
         {"Conv1D": {"filters": 2, "kernel_size": 1, "name": "proj"}},
         {"Conv1D": {"filters": 2, "kernel_size": 1}}),
    spec("time_distributed", [5, 8, 8, 3],
         {"TimeDistributed": {"layer": {"Conv2D": {"filters": 4, "kernel_size": 3, "strides": 2,
                                                   "padding": "same"}}}},
         {"TimeDistributed": {"layer": {"BatchNormalization": {"center": False}}}},
         {"TimeDistributed": {"layer": {"MaxPooling2D": {}}}},
         {"TimeDistributed": {"layer": {"Flatten": {}}}},
         {"TimeDistributed": {"layer": {"Dense": {"units": 7}}}},
         {"TimeDistributed": {"layer": {"Dense": {"units": 2, "use_bias": False}}}}),
]


def _rows(figures: dict) -> list[tuple]:
    return [tuple(layer[k] for k in FIGURES) for layer in figures["layers"]]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_layers_match_keras(case):
    expected = keras_figures(case)
    got = ours(case)
    assert _rows(got) == _rows(expected)
    assert (got["total"], got["trainable"], got["non_trainable"]) == \
        (expected["total"], expected["trainable"], expected["non_trainable"])


def test_input_layer_as_in_keras_sequential():
    """A spec that starts with InputLayer (no ``input:``) is keras.Sequential([InputLayer(...), ...])."""
    require_module("torch")
    keras = require_module("keras")
    keras.backend.clear_session()
    real = keras.Sequential([keras.layers.InputLayer(batch_shape=(None, 9, 4)),
                             keras.layers.Conv1D(6, 3, strides=2, padding="same"),
                             keras.layers.Dense(2)])
    model = explain.load({"layers": [{"InputLayer": {"batch_shape": [None, 9, 4]}},
                                     {"Conv1D": {"filters": 6, "kernel_size": 3, "strides": 2,
                                                 "padding": "same"}},
                                     {"Dense": {"units": 2}}]})
    assert model.inputs == {"input_layer": (9, 4)}
    assert model.total == real.count_params()
    assert [n.output_shape for n in model] == [tuple(l.output.shape[1:]) for l in real.layers]
    # Later in the list, an InputLayer only checks the shape that reaches it: (9 - 5 + 1, 6).
    explain.load({"layers": [{"InputLayer": {"shape": [9, 4]}}, {"Conv1D": {"filters": 6, "kernel_size": 5}},
                             {"InputLayer": {"shape": [5, 6]}}]})
    with pytest.raises(ExplainError, match=r"declares the shape \(5, 7\)"):
        explain.load({"layers": [{"InputLayer": {"shape": [9, 4]}}, {"Conv1D": {"filters": 6, "kernel_size": 5}},
                                 {"InputLayer": {"shape": [5, 7]}}]})


# Specs Keras refuses (at construction or when building); explain must refuse them too.
REFUSED = {
    "filters_not_divisible_by_groups": spec("r", [8, 8, 4], {"Conv2D": {"filters": 6, "kernel_size": 3, "groups": 4}}),
    "channels_not_divisible_by_groups": spec("r", [8, 8, 6], {"Conv2D": {"filters": 8, "kernel_size": 3, "groups": 4}}),
    "conv_strides_and_dilation": spec("r", [16, 3], {"Conv1D": {"filters": 2, "kernel_size": 3, "strides": 2,
                                                                "dilation_rate": 2}}),
    "transpose_strides_and_dilation": spec("r", [8, 8, 3], {"Conv2DTranspose": {"filters": 2, "kernel_size": 3,
                                                                              "strides": 2, "dilation_rate": 2}}),
    "output_padding_not_below_strides": spec("r", [8, 3], {"Conv1DTranspose": {"filters": 2, "kernel_size": 3,
                                                                              "strides": 2, "output_padding": 2}}),
    "kernel_larger_than_input": spec("r", [4, 4, 3], {"Conv2D": {"filters": 2, "kernel_size": 5}}),
    "dilated_kernel_larger_than_input": spec("r", [6, 3], {"Conv1D": {"filters": 2, "kernel_size": 3,
                                                                      "dilation_rate": 3}}),
    "pool_larger_than_input": spec("r", [5, 9, 3], {"MaxPooling2D": {"pool_size": [6, 2]}}),
    "pool_3d_larger_than_input": spec("r", [4, 4, 4, 1], {"AveragePooling3D": {"pool_size": 5, "strides": 1}}),
    "depthwise_causal": spec("r", [16, 3], {"DepthwiseConv1D": {"kernel_size": 3, "padding": "causal"}}),
    "separable_causal": spec("r", [16, 3], {"SeparableConv1D": {"filters": 2, "kernel_size": 3, "padding": "causal"}}),
    "conv2d_causal": spec("r", [8, 8, 3], {"Conv2D": {"filters": 2, "kernel_size": 3, "padding": "causal"}}),
    "crop_everything": spec("r", [4, 6, 3], {"Cropping2D": {"cropping": [[2, 2], [0, 0]]}}),
    "group_norm_not_divisible": spec("r", [4, 8], {"GroupNormalization": {"groups": 3}}),
    "group_norm_more_groups_than_channels": spec("r", [4, 8], {"GroupNormalization": {"groups": 16}}),
    "reshape_wrong_size": spec("r", [4, 6], {"Reshape": {"target_shape": [5, 5]}}),
    "reshape_not_divisible": spec("r", [4, 6], {"Reshape": {"target_shape": [-1, 5]}}),
    "permute_not_a_permutation": spec("r", [4, 6], {"Permute": {"dims": [1, 1]}}),
    "repeat_vector_rank": spec("r", [4, 6], {"RepeatVector": {"n": 2}}),
    "conv_rank": spec("r", [4, 6], {"Conv2D": {"filters": 2, "kernel_size": 1}}),
    "time_distributed_rank": spec("r", [4], {"TimeDistributed": {"layer": {"Dense": {"units": 2}}}}),
    "layer_norm_axis_out_of_range": spec("r", [4, 6], {"LayerNormalization": {"axis": 3}}),
    "batch_norm_axis_list": spec("r", [4, 6], {"BatchNormalization": {"axis": [1, 2]}}),
    "prelu_axis_out_of_range": spec("r", [4, 6], {"PReLU": {"shared_axes": [3]}}),
    "normalization_mean_without_variance": spec("r", [4], {"Normalization": {"mean": 1.0}}),
    "zero_units": spec("r", [4], {"Dense": {"units": 0}}),
    "zero_strides": spec("r", [8, 3], {"MaxPooling1D": {"pool_size": 2, "strides": 0}}),
    "negative_padding": spec("r", [8, 3], {"ZeroPadding1D": {"padding": -1}}),
    "dropout_rate_above_one": spec("r", [8], {"Dropout": {"rate": 1.5}}),
    "dropout_without_rate": spec("r", [8], {"Dropout": {}}),
    "gaussian_noise_without_stddev": spec("r", [8], {"GaussianNoise": {"seed": 1}}),
    "cropping1d_data_format": spec("r", [8, 3], {"Cropping1D": {"cropping": 1, "data_format": "channels_first"}}),
}


@pytest.mark.parametrize("case", list(REFUSED.values()), ids=list(REFUSED))
def test_what_keras_refuses_is_an_error(case):
    with pytest.raises(Exception) as keras_error:
        keras_figures(case)
    assert not isinstance(keras_error.value, ExplainError)
    assert not keras_error.type.__name__.startswith(("Skipped", "Failed"))
    with pytest.raises(ExplainError):
        explain.load(case)


OUR_MODULES = {f"explain.layers.{m}" for m in ("core", "conv", "pooling", "padding", "norm", "wrappers")}


def _ours_keras_types() -> list[type]:
    return [cls for cls in layer_types("keras") if cls.__module__ in OUR_MODULES]


@pytest.mark.parametrize("cls", _ours_keras_types(), ids=lambda c: c.type_name)
def test_arguments_are_named_and_ordered_as_in_keras(cls):
    """``positional`` follows Keras 3's constructor; every Keras argument is accepted by name;
    the aliases are Keras's names of the same class."""
    require_module("torch")
    keras = require_module("keras")
    real = getattr(keras.layers, cls.type_name)
    params = [p.name for p in inspect.signature(real.__init__).parameters.values()
              if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    assert cls.positional == tuple(params[:len(cls.positional)])
    fields = {f.name for f in dataclasses.fields(cls)}
    assert all(p in fields or p in IGNORED_ARGS or p == "name" for p in params), params
    assert all(p in cls.positional for p in params if p in fields and p != "trainable")
    for alias in cls.aliases:
        assert getattr(keras.layers, alias) is real
    # Spec files accept only the unused arguments that Keras takes too (for any class on its MRO)
    taken = {p for base in real.__mro__ if "__init__" in vars(base)
             for p in inspect.signature(base.__init__).parameters}
    assert cls.ignores is not None
    assert cls.ignores <= taken | COMMON_ARGS, sorted(cls.ignores - taken - COMMON_ARGS)
    assert all(p in fields or p in cls.ignores or p in COMMON_ARGS for p in params), params


def test_spec_files_refuse_arguments_the_keras_layer_does_not_take():
    with pytest.raises(ExplainError, match="Dense has no argument 'rate'"):
        explain.load(spec("x", [4], {"Dense": {"units": 3, "rate": 0.5}}))
    with pytest.raises(ExplainError, match="Conv2D has no argument 'depth_multiplier'"):
        explain.load(spec("x", [4, 4, 3], {"Conv2D": {"filters": 2, "kernel_size": 1, "depth_multiplier": 2}}))
    model = explain.load(spec("x", [4], {"Dense": {"units": 3, "kernel_initializer": "he_normal", "dtype": "float32",
                                                   "activity_regularizer": None, "name": "d"}}))
    assert model.total == 15


def _random_layer(rng, fmt: str) -> dict:
    """One random 2D layer with non-default arguments (some combinations Keras refuses)."""
    k = rng.choice([1, 2, 3, [1, 3], [3, 2]])
    s = rng.choice([1, 1, 2, 3, [2, 1]])
    d = rng.choice([1, 1, 1, 2, [1, 2]])
    pad = rng.choice(["valid", "same"])
    common = {"data_format": fmt}
    kind = rng.randrange(9)
    if kind == 0:
        return {"Conv2D": {"filters": rng.choice([2, 4, 6]), "kernel_size": k, "strides": s, "padding": pad,
                           "dilation_rate": d, "groups": rng.choice([1, 1, 2]),
                           "use_bias": rng.random() < 0.7, **common}}
    if kind == 1:
        return {"DepthwiseConv2D": {"kernel_size": k, "strides": s, "padding": pad, "dilation_rate": d,
                                    "depth_multiplier": rng.choice([1, 2]), **common}}
    if kind == 2:
        return {"SeparableConv2D": {"filters": rng.choice([2, 3]), "kernel_size": k, "strides": s, "padding": pad,
                                    "dilation_rate": d, "depth_multiplier": rng.choice([1, 2]), **common}}
    if kind == 3:
        stride = rng.choice([1, 2, 3])
        op = rng.choice([None, 0, stride - 1])
        return {"Conv2DTranspose": {"filters": rng.choice([2, 3]), "kernel_size": k, "strides": stride,
                                    "padding": pad, "output_padding": op, **common}}
    if kind == 4:
        pool = rng.choice(["MaxPooling2D", "AveragePooling2D"])
        return {pool: {"pool_size": rng.choice([1, 2, 3, [2, 3]]), "strides": rng.choice([None, 1, 2, [1, 2]]),
                       "padding": pad, **common}}
    if kind == 5:
        return {"ZeroPadding2D": {"padding": rng.choice([1, [2, 0], [[0, 1], [2, 3]]]), **common}}
    if kind == 6:
        return {"Cropping2D": {"cropping": rng.choice([1, [1, 0], [[0, 2], [1, 1]]]), **common}}
    if kind == 7:
        return {"UpSampling2D": {"size": rng.choice([2, [1, 2]]), **common}}
    return {"BatchNormalization": {"axis": 1 if fmt == "channels_first" else -1,
                                   "center": rng.random() < 0.5, "scale": rng.random() < 0.5}}


@pytest.mark.parametrize("seed", range(12))
def test_random_conv_stacks_agree_with_keras(seed):
    """Differential test: random stacks of 2D layers either give Keras's figures exactly or are
    refused by both Keras and explain."""
    import random
    rng = random.Random(seed)
    fmt = rng.choice(["channels_last", "channels_first"])
    channels = rng.choice([2, 4])
    h, w = rng.randrange(5, 19), rng.randrange(5, 19)
    shape = [channels, h, w] if fmt == "channels_first" else [h, w, channels]
    case = spec(f"random_{seed}", shape, *(_random_layer(rng, fmt) for _ in range(rng.randrange(4, 9))))
    try:
        expected = keras_figures(case)
    except Exception as keras_error:  # Keras refuses: so must we
        if type(keras_error).__name__ in ("Skipped", "Failed"):
            raise
        with pytest.raises(ExplainError):
            explain.load(case)
        return
    got = ours(case)
    assert _rows(got) == _rows(expected)
    assert got["total"] == expected["total"]


def _random_layer_1d(rng, fmt: str) -> dict:
    """One random 1D layer (causal padding, transposes with output_padding, …)."""
    k, s, d = rng.choice([1, 2, 3, 4]), rng.choice([1, 1, 2, 3]), rng.choice([1, 1, 2, 3])
    pad, pad2 = rng.choice(["valid", "same", "causal"]), rng.choice(["valid", "same"])
    c = {"data_format": fmt}
    kind = rng.randrange(8)
    if kind == 0:
        return {"Conv1D": {"filters": rng.choice([2, 4]), "kernel_size": k, "strides": s, "padding": pad,
                           "dilation_rate": d, "groups": rng.choice([1, 2]), **c}}
    if kind == 1:
        return {"DepthwiseConv1D": {"kernel_size": k, "strides": s, "padding": pad2, "dilation_rate": d,
                                    "depth_multiplier": rng.choice([1, 3]), **c}}
    if kind == 2:
        return {"SeparableConv1D": {"filters": 3, "kernel_size": k, "strides": s, "padding": pad2,
                                    "dilation_rate": d, **c}}
    if kind == 3:
        st = rng.choice([1, 2, 3])
        return {"Conv1DTranspose": {"filters": 2, "kernel_size": k, "strides": st, "padding": pad2,
                                    "dilation_rate": rng.choice([1, 2]) if st == 1 else 1,
                                    "output_padding": rng.choice([None, 0, st - 1]), **c}}
    if kind == 4:
        return {rng.choice(["MaxPooling1D", "AveragePooling1D"]): {"pool_size": rng.choice([1, 2, 3]),
                "strides": rng.choice([None, 1, 2]), "padding": pad2, **c}}
    if kind == 5:
        return {"ZeroPadding1D": {"padding": rng.choice([1, [0, 2]]), **c}}
    if kind == 6:
        return {"Cropping1D": {"cropping": rng.choice([1, [0, 2], [2, 1]])}}
    return {"UpSampling1D": {"size": rng.choice([2, 3])}}

def _random_layer_3d(rng, fmt: str) -> dict:
    """One random 3D layer."""
    k, s, pad = rng.choice([1, 2, [1, 2, 3]]), rng.choice([1, 2, [1, 2, 1]]), rng.choice(["valid", "same"])
    c = {"data_format": fmt}
    kind = rng.randrange(6)
    if kind == 0:
        return {"Conv3D": {"filters": rng.choice([2, 4]), "kernel_size": k, "strides": s, "padding": pad,
                           "groups": rng.choice([1, 2]), **c}}
    if kind == 1:
        st = rng.choice([1, 2])
        return {"Conv3DTranspose": {"filters": 2, "kernel_size": k, "strides": st, "padding": pad,
                                    "output_padding": rng.choice([None, st - 1]), **c}}
    if kind == 2:
        return {rng.choice(["MaxPooling3D", "AveragePooling3D"]): {"pool_size": rng.choice([1, 2, [2, 1, 2]]),
                "strides": rng.choice([None, 1, 2]), "padding": pad, **c}}
    if kind == 3:
        return {"ZeroPadding3D": {"padding": rng.choice([1, [0, 1, 2], [[1, 0], [0, 2], [1, 1]]]), **c}}
    if kind == 4:
        return {"Cropping3D": {"cropping": rng.choice([1, [0, 1, 0], [[1, 0], [0, 1], [1, 1]]]), **c}}
    return {"UpSampling3D": {"size": rng.choice([2, [1, 2, 1]]), **c}}


@pytest.mark.parametrize("rank, seed", [(1, s) for s in range(8)] + [(3, s) for s in range(4)])
def test_random_1d_and_3d_stacks_agree_with_keras(rank, seed):
    import random
    rng = random.Random(seed)
    fmt = rng.choice(["channels_last", "channels_first"])
    channels = rng.choice([2, 4])
    sizes = [rng.randrange(4, 20)] if rank == 1 else [rng.randrange(3, 9) for _ in range(3)]
    shape = [channels] + sizes if fmt == "channels_first" else sizes + [channels]
    make = _random_layer_1d if rank == 1 else _random_layer_3d
    layers = [make(rng, fmt) for _ in range(rng.randrange(3, 7))]
    if fmt == "channels_first":  # Cropping1D and UpSampling1D are channels-last only
        layers = [l for l in layers if not {"Cropping1D", "UpSampling1D"} & set(l)] or [{"Identity": {}}]
    case = spec(f"random_{rank}d_{seed}", shape, *layers)
    try:
        expected = keras_figures(case)
    except Exception as keras_error:
        if type(keras_error).__name__ in ("Skipped", "Failed"):
            raise
        with pytest.raises(ExplainError):
            explain.load(case)
        return
    got = ours(case)
    assert _rows(got) == _rows(expected)
    assert got["total"] == expected["total"]
