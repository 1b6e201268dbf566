"""Messages chosen by data (a layer's role, a symbol's meaning, a note): keys → English msgids.

The derivation holds the keys; templates translate the msgid. Unknown keys give None (the
template leaves the sentence out) so that a note another layer type adds can never crash a render.
"""
from __future__ import annotations

from .i18n import N_

ROLES = {
    "conv": N_("A convolutional layer slides its filters over the input. Each filter has one kernel "
               "weight for every kernel position and input channel, and one bias."),
    "conv_transpose": N_("A transposed convolution spreads every input position over a window of "
                         "the output. Its kernel has one weight for every kernel position, input "
                         "channel and output channel, and each filter has one bias."),
    "depthwise": N_("A depthwise convolution filters every input channel separately, with as many "
                    "kernels per channel as the depth multiplier says."),
    "separable": N_("A separable convolution is a depthwise convolution followed by a pointwise "
                    "(1 × 1) convolution that mixes the channels."),
    "dense": N_("A fully connected (dense) layer connects every input to every output: one weight "
                "for each pair, and one bias for each output."),
    "dense_no_bias": N_("A fully connected (dense) layer connects every input to every output: one "
                        "weight for each pair. This one has no bias."),
    "conv_no_bias": N_("A convolutional layer slides its filters over the input. Each filter has one "
                       "kernel weight for every kernel position and input channel; this one has no "
                       "bias."),
    "pool": N_("A pooling layer takes the maximum or the average of each window. It has no weights; "
               "it only changes the shape."),
    "global_pool": N_("A global pooling layer reduces every channel to a single number. It has no "
                      "weights."),
    "flatten": N_("A flatten layer turns the feature map into a vector. It has no weights."),
    "dropout": N_("During training this layer sets random inputs to zero or adds noise. It has no "
                  "weights and keeps the shape."),
    "activation": N_("An activation function is applied element by element. The shape stays the "
                     "same."),
    "batchnorm": N_("Batch normalization normalizes every channel, then scales it by γ and shifts it "
                    "by β. It also keeps a moving mean and a moving variance for every channel."),
    "norm": N_("A normalization layer normalizes its input, then scales it by γ and shifts it by β."),
    "embedding": N_("An embedding layer stores one vector for every entry of the vocabulary."),
    "recurrent": N_("A recurrent layer computes every time step from the input and its previous "
                    "state. Every gate has input weights, recurrent weights and a bias."),
    "attention": N_("Multi-head attention projects the queries, keys and values for every attention "
                    "head and projects the heads' outputs back."),
    "bidirectional": N_("A bidirectional layer runs the wrapped recurrent layer forwards and "
                        "backwards: it has two copies of its weights."),
    "time_distributed": N_("This wrapper applies the wrapped layer to every time step, with the same "
                           "weights."),
    "merge": N_("This layer combines its inputs. It has no weights."),
    "resize": N_("This layer pads, crops or repeats the input along the spatial axes. It has no "
                 "weights."),
    "reshape": N_("This layer rearranges its input into another shape. It has no weights."),
    "input": N_("The model's input."),
    "nested": N_("This layer is a whole model used as one layer. Its parameters are those of its "
                 "own layers:"),
}
GENERIC_WITH_WEIGHTS = N_("This layer has the weight groups listed below.")
GENERIC_WITHOUT_WEIGHTS = N_("This layer has no weights.")

SYMBOLS = {
    "kernel_length": N_("kernel size"),
    "kernel_depth": N_("kernel depth"),
    "kernel_height": N_("kernel height"),
    "kernel_width": N_("kernel width"),
    "input_channels": N_("number of input channels"),
    "output_channels": N_("number of output channels (filters)"),
    "groups": N_("number of groups"),
    "depth_multiplier": N_("depth multiplier"),
    "input_features": N_("number of inputs"),
    "output_features": N_("number of outputs (units)"),
    "channels": N_("number of channels or features"),
    "hidden_units": N_("number of hidden units"),
    "input_size": N_("size of the input vector"),
    "model_width": N_("model width"),
    "vocabulary": N_("vocabulary size"),
    "heads": N_("number of attention heads"),
    "num_layers": N_("number of layers"),
    "positions": N_("number of positions (maximum sequence length)"),
    "kv_heads": N_("number of key/value heads"),
    "head_size": N_("size of one attention head"),
    "query_width": N_("width of the query input"),
    "key_width": N_("width of the key input"),
    "value_width": N_("width of the value input"),
    "output_width": N_("width of the output"),
    "key_dim": N_("size of each head's keys (key_dim)"),
    "value_dim": N_("size of each head's values (value_dim)"),
    "feed_forward": N_("feed-forward size"),
    "buckets": N_("number of relative-position buckets"),
    "type_vocabulary": N_("token type vocabulary size"),
    "projection": N_("projection size"),
    "directions": N_("number of directions (2 if bidirectional)"),
    "encoder_layers": N_("number of encoder layers"),
    "decoder_layers": N_("number of decoder layers"),
    "first_input_features": N_("number of features of the first input"),
    "second_input_features": N_("number of features of the second input"),
    "experts": N_("number of experts"),
    "labels": N_("number of classification labels"),
    "declared_trainable": N_("trainable parameters of the layer"),
    "declared_non_trainable": N_("non-trainable parameters of the layer"),
}

REASONS = {
    "buffer": N_("a buffer: saved with the model, but not a parameter, and the optimizer does not "
                 "change it"),
    "moving_stats": N_("updated as a moving average during training, not by gradient descent"),
    "adapt_stats": N_("computed from the data by adapt(), not trained"),
    "frozen": N_("the layer is frozen (trainable = False)"),
    "not_trainable": N_("not changed by training"),
}

NOTES = {
    "rnn_two_biases": N_("PyTorch gives every gate two bias vectors (b_ih and b_hh) where Keras has "
                         "one, so the same recurrent layer has more parameters in PyTorch."),
    "bn_running_stats_buffers": N_("In PyTorch the running mean and the running variance are "
                                   "buffers, not parameters: they are saved with the model but not "
                                   "counted among its parameters."),
    "keras_bn_moving_stats_non_trainable": N_("Keras counts the moving mean and the moving variance "
                                              "as weights, but as non-trainable ones: this is where "
                                              "a model's non-trainable parameters come from."),
    "mha_in_proj_4E2": N_("PyTorch's MultiheadAttention has 4E² + 4E parameters whatever the number "
                          "of heads, because the heads split the embedding dimension E; Keras's "
                          "MultiHeadAttention grows with num_heads · key_dim."),
    "gru_reset_after": N_("Keras's GRU with reset_after = True (the default) has a second bias "
                          "vector for the recurrent kernel: 3h(i + h) + 6h parameters instead of "
                          "3h(i + h) + 3h."),
}

NOTES.update({
    "rnn_one_bias": N_("Keras recurrent layers have one bias vector per gate; a second one (b_hh) is "
                       "PyTorch's convention."),
    "mha_heads_times_key_dim": N_("Keras MultiHeadAttention projects to num_heads·key_dim columns; "
                                  "4E² + 4E is PyTorch's count."),
    "bidirectional_twice": N_("A bidirectional layer has two independent copies of the weights, one "
                              "for each direction."),
    "rnn_stacked_input": N_("In PyTorch, stacked layers after the first take h·D inputs (D "
                            "directions), not the input size."),
    "lstm_proj_size": N_("With proj_size p, PyTorch's LSTM adds a projection weight_hr of p·h per "
                         "layer and direction, and its recurrent weights are 4h·p."),
    "mha_separate_proj": N_("With kdim or vdim different from E, PyTorch's MultiheadAttention uses "
                            "separate query, key and value projections (E², E·kdim, E·vdim)."),
    "mha_bias_kv": N_("add_bias_kv adds the biases bias_k and bias_v: 2E parameters more."),
})

AXES = {
    "height": N_("Height"),
    "width": N_("Width"),
    "depth": N_("Depth"),
    "length": N_("Length"),
}
ALL_AXES = {
    1: N_("Length"),
    2: N_("Height and width"),
    3: N_("Depth, height and width"),
}


def role_message(key: str, has_weights: bool) -> str:
    if key in ROLES:
        return ROLES[key]
    return GENERIC_WITH_WEIGHTS if has_weights else GENERIC_WITHOUT_WEIGHTS
