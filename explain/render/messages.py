"""Messages chosen by data (a symbol's meaning, a note): keys → English msgids.

What a layer does is its class's ``explanation`` (``layers/_texts.py``), not a key here.

The derivation holds the keys; templates translate the msgid. Unknown keys give None (the
template leaves the sentence out) so that a note another layer type adds can never crash a render.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Callable, Mapping, Optional

import sympy

from ..symbols import Later
from .i18n import N_

# Translators: a layer's type in brackets, set apart from its name (the LaTeX summary table, where it may start a line of its own); the brackets of "%(layer)s (%(kind)s)" (Japanese: full-width)
TYPE_IN_BRACKETS = N_("(%(kind)s)")

GENERIC_WITH_WEIGHTS = N_("This layer has the tensors listed below.")
GENERIC_WITHOUT_WEIGHTS = N_("This layer has no weights.")

NO_COMPUTE = N_("In the forward pass this layer computes nothing: no MACs and no other operations.")

OTHER_OPS_PARTIAL = N_("%(O)s counts only the bias adds and norm weights of this block, one per element "
                       "and token; its other element-wise work (the norms' statistics, the activations, "
                       "the softmax, the residual adds) is not derived here, so %(O)s is a lower bound.")
OTHER_OPS = {
    "bias_activation": N_("For each output element, %(O)s counts one addition for the bias and one "
                          "operation for the activation %(activation)s."),
    "bias_softmax": N_("For each output element, %(O)s counts one addition for the bias and three "
                       "operations for the activation %(activation)s: the exponential, its addition to "
                       "the sum, and the division by the sum."),
    "bias": N_("For each output element, %(O)s counts one addition for the bias."),
    "activation": N_("For each output element, %(O)s counts one operation for the activation "
                     "%(activation)s."),
    "softmax": N_("For each output element, %(O)s counts three operations for the activation "
                  "%(activation)s: the exponential, its addition to the sum, and the division by the sum."),
}
"""What O counts per output element of a layer with a bias and an ``activation`` argument."""

COMPUTE_SYMBOLS = {
    "H_out": N_("output height"),
    "W_out": N_("output width"),
    "D_out": N_("output depth"),
    "L_out": N_("output length"),
    "H_in": N_("input height"),
    "W_in": N_("input width"),
    "D_in": N_("input depth"),
    "L_in": N_("input length"),
    "N_out": N_("number of output elements"),
    "N_in": N_("number of input elements"),
    "n_pos": N_("number of positions the layer is applied at"),
    "T": N_("sequence length (time steps)"),
    "H_kv": N_("number of key/value heads"),
    "H": N_("number of attention heads"),
    "T_q": N_("number of query positions"),
    "T_k": N_("number of key and value positions"),
    "S": N_("length of the encoder's sequence, whose positions the cross-attention reads"),
    # Translators: w in the compute formulas of sliding-window attention (the config's sliding_window)
    "w": N_("width of the sliding attention window (the number of positions a query attends to)"),
    # Translators: L_w in the compute formulas: how many of the L blocks attend within a sliding window
    "L_w": N_("number of blocks with sliding-window (local) attention"),
    # a pooling window's sizes (a convolution's kernel sizes are its parameters' symbols)
    "k": N_("window size"),
    "k_d": N_("window depth"),
    "k_h": N_("window height"),
    "k_w": N_("window width"),
}
"""The shape symbols of the compute formulas (``explain.compute``), by symbol name; a symbol the
document's symbol list declares is not defined again."""
COMPUTE_RENAMED = frozenset({"H_kv"})
"""Compute symbols defined by the symbol they take (``H_kv = H`` without grouped-query attention)."""

SYMBOLS = {
    "kernel_length": N_("kernel size"),
    "kernel_depth": N_("kernel depth"),
    "kernel_height": N_("kernel height"),
    "kernel_width": N_("kernel width"),
    "input_channels": N_("number of input channels"),
    "output_channels": N_("number of output channels"),
    "conv_filters": N_("number of output channels (%(filters)s)"),
    "conv_out_channels": N_("number of output channels (%(out_channels)s)"),
    "groups": N_("number of groups"),
    "depth_multiplier": N_("depth multiplier"),
    "input_features": N_("number of inputs"),
    "output_features": N_("number of outputs"),
    "dense_units": N_("number of outputs (%(units)s)"),
    "linear_out_features": N_("number of outputs (%(out_features)s)"),
    "channels": N_("number of channels or features"),
    "normalized_features": N_("number of features normalized together (the size of the normalized "
                              "axes)"),
    "hidden_units": N_("number of hidden units"),
    "rnn_units": N_("number of hidden units (%(units)s)"),
    "input_size": N_("number of input features per time step"),
    "torch_input_size": N_("number of input features per time step (%(input_size_arg)s)"),
    "torch_hidden_size": N_("number of hidden units (%(hidden_size_arg)s)"),
    "model_width": N_("model width"),
    "vocabulary": N_("vocabulary size"),
    "heads": N_("number of attention heads"),
    "num_layers": N_("number of layers"),
    "num_blocks": N_("number of transformer blocks"),
    # Translators: T5's, BART's or Whisper's L when the encoder and the decoder have as many blocks
    "num_blocks_each_stack": N_("number of blocks in each of the encoder and the decoder"),
    "positions": N_("number of positions (maximum sequence length)"),
    "kv_heads": N_("number of key/value heads"),
    "head_size": N_("size of one attention head"),
    # Translators: T5's d_kv
    "kv_head_size": N_("size of each head's queries, keys and values (%(d_kv_name)s)"),
    "query_width": N_("width of the query input"),
    "key_width": N_("width of the key input"),
    "value_width": N_("width of the value input"),
    "output_width": N_("width of the output"),
    "key_dim": N_("size of each head's queries and keys (%(key_dim)s)"),
    "value_dim": N_("size of each head's values (%(value_dim)s; %(key_dim)s when %(value_dim)s is not "
                    "given)"),
    "mha_output_width": N_("width of the output (%(output_shape)s; by default the width of the query "
                           "input)"),
    "feed_forward": N_("feed-forward size"),
    # Translators: GPT-2's f = 4d = 3,072 when its config leaves n_inner unset (null)
    "feed_forward_n_inner_unset": N_("feed-forward size (%(n_inner)s is %(none)s, so %(four_d)s is "
                                     "used)"),
    # Translators: BERT's f = 3,072, its config's intermediate_size, which is 4d (4 × 768) in this model only
    "feed_forward_intermediate_size_4d": N_("feed-forward size (%(intermediate_size)s; here equal to "
                                            "%(four_d)s)"),
    # Translators: GPT-2's f when its config gives n_inner, which is 4d (4 × the width) in this model only
    "feed_forward_n_inner_4d": N_("feed-forward size (%(n_inner)s; here equal to %(four_d)s)"),
    "buckets": N_("number of relative-position buckets"),
    "type_vocabulary": N_("number of token types (segments)"),
    "projection": N_("projection size"),
    "directions": N_("number of directions (2 if bidirectional)"),
    "encoder_layers": N_("number of encoder layers"),
    "decoder_layers": N_("number of decoder layers"),
    "first_input_features": N_("number of features of the first input"),
    "second_input_features": N_("number of features of the second input"),
    "experts": N_("number of experts"),
    "labels": N_("number of classification labels"),
    "experts_per_token": N_("number of experts each token is routed to"),
    "embedding_size": N_("embedding size (the width of the token vectors)"),
    "decoder_feed_forward": N_("feed-forward size of the decoder"),
    "patch_size": N_("patch size (height and width of a patch)"),
    "patches": N_("number of image patches"),
    "mel_bins": N_("number of mel frequency bins of the input"),
    "source_positions": N_("number of encoder positions (audio frames after the convolutions)"),
    "encoder_positions": N_("length of the encoder's sequence, whose positions the cross-attention reads"),
    "vision_width": N_("width of the vision encoder"),
    "vision_layers": N_("number of vision encoder layers"),
    "vision_feed_forward": N_("feed-forward size of the vision encoder"),
    "expert_feed_forward": N_("feed-forward size of one expert"),
    "shared_expert_feed_forward": N_("feed-forward size of the shared expert"),
    "shared_experts": N_("number of shared experts"),
    "first_dense_layers": N_("number of dense layers at the start"),
    "query_rank": N_("rank of the compressed queries"),
    "kv_rank": N_("rank of the compressed keys and values"),
    "nope_head_size": N_("query and key size per head without rotary embedding"),
    "rope_head_size": N_("rotary part of the query and key size per head"),
    "value_head_size": N_("value size per head"),
    "temporal_patch_size": N_("temporal patch size (frames in one patch)"),
    "spatial_merge_size": N_("spatial merge size (the patch merger joins m_s × m_s neighbouring patches)"),
    "merger_width": N_("output width of the patch merger (vision_config.hidden_size)"),
    "vision_global_layers": N_("number of layers of the global vision encoder"),
    "tiles": N_("largest number of tiles an image is cut into (max_num_tiles)"),
    "aspect_ratios": N_("number of supported aspect ratios of the tiles (supported_aspect_ratios)"),
    "vision_output_width": N_("width of the vision model's output (vision_output_dim: the last layer's "
                              "features concatenated with those of intermediate layers)"),
    "cross_attention_layers": N_("number of cross-attention layers (cross_attention_layers)"),
    "declared_trainable": N_("trainable parameters of the layer"),
    "declared_non_trainable": N_("non-trainable parameters of the layer"),
    "embedding_dim": N_("embedding dimension"),
    "slopes": N_("number of learned slopes"),
    "slopes_per_entry": N_("number of learned slopes: the product of the input's sizes along the "
                           "axes not listed in shared_axes"),
    "channel_count": N_("number of channels"),
    "input_height": N_("height of the input"),
    "input_width": N_("width of the input"),
    "input_depth": N_("depth of the input"),
    "time_steps": N_("number of time steps"),
    "bias_size": N_("number of entries of the bias vector"),
    "lora_rank": N_("LoRA rank (lora_rank)"),
    "kernel_rows": N_("size of the kernel without its last axis"),
    "kernel_last_axis": N_("size of the kernel's last axis"),
}

STATED_SYMBOLS = frozenset({"feed_forward_intermediate_size_4d", "feed_forward_n_inner_4d"})
"""Meanings of a size the config states that the formulas write in other symbols (BERT's f, 4d in
this model): the symbol is defined by its number; the meaning says the relation holds here."""

REASONS = {
    "buffer": N_("a buffer: saved with the model, but not a parameter, and the optimizer does not "
                 "change it"),
    "moving_stats": N_("updated as a moving average during training, not by gradient descent"),
    "adapt_stats": N_("computed from the data by adapt(), not trained"),
    "frozen": N_("the layer is frozen (trainable = False)"),
    "not_trainable": N_("not changed by training"),
    "lora_frozen": N_("frozen by LoRA: only the two low-rank matrices are trained"),
}

NOTES = {
    "rnn_two_biases": N_("PyTorch gives each of the four weight groups two bias vectors "
                         "(%(b_ih)s and %(b_hh)s) where Keras's LSTM has one, so the same LSTM has "
                         "%(lstm_torch_extra)s more parameters in PyTorch."),
    "rnn_two_biases_simple": N_("PyTorch gives this layer two bias vectors (%(b_ih)s and %(b_hh)s) "
                                "where Keras's SimpleRNN has one, so the same layer has %(h)s more "
                                "parameters in PyTorch."),
    "gru_two_biases": N_("PyTorch gives this layer two bias vectors of length %(gru_extra)s, %(b_ih)s and "
                         "%(b_hh)s; each holds the biases of the three weight groups (%(h)s each) one after "
                         "another. Keras's GRU with %(reset_after_true)s (its default) has the same two vectors "
                         "as the rows of its bias, shape %(gru_bias_shape)s, and the same count, "
                         "%(gru_keras_torch)s. With %(reset_after_false)s Keras's GRU has one bias vector of "
                         "length %(gru_extra)s (%(gru_extra)s parameters fewer) and applies the reset gate "
                         "before the product with the recurrent weights: PyTorch has no such layer."),
    "bn_running_stats_buffers": N_("In PyTorch the running mean and the running variance are "
                                   "buffers, not parameters: they are saved with the model but not "
                                   "counted among its parameters."),
    # Translators: %(momentum)s is the argument's name in code font
    "keras_bn_moving_stats_non_trainable": N_("Keras counts the moving mean and the moving variance "
                                              "as weights, but as non-trainable ones: during "
                                              "training they are updated with an exponential "
                                              "moving average of each batch's mean and variance "
                                              "(%(momentum)s), not by gradient descent. They are "
                                              "one source of a model's non-trainable parameters; "
                                              "the weights of frozen layers are another."),
    "torch_bn_names": N_("In PyTorch, %(gamma)s is the parameter %(weight_name)s and %(beta)s the "
                         "parameter %(bias_name)s; the running mean and variance are the buffers "
                         "%(running_mean)s and %(running_var)s."),
    "keras_ln_names": N_("%(gamma)s (%(gamma_name)s) and %(beta)s (%(beta_name)s) hold one scale and one "
                         "shift for each normalized feature."),
    "torch_ln_names": N_("In PyTorch, %(gamma)s is the parameter %(weight_name)s and %(beta)s the "
                         "parameter %(bias_name)s: one scale and one shift for each normalized "
                         "feature."),
    "bn_inference_statistics": N_("In training the layer normalizes with the mean and the variance of "
                                  "the batch; at inference it uses the moving mean and variance "
                                  "instead, which is why they are stored with the model."),
    "layernorm_no_statistics": N_("Layer normalization computes the mean and the variance over the "
                                  "last axis (the features) from the current input, in training and "
                                  "at inference alike, so, unlike batch normalization, it keeps no "
                                  "moving statistics."),
    "layernorm_no_statistics_axes": N_("Layer normalization computes the mean and the variance over all "
                                       "the normalized axes together, separately for each sample and "
                                       "for each position along its other axes, in training and at "
                                       "inference alike, so it keeps no moving statistics."),
    "projection_shortcut": N_("This convolution is the block's projection shortcut: it runs in "
                              "parallel with the main path, from the block's input to the Add "
                              "layer, and brings the input to the output's number of channels (and "
                              "size), so that the two can be added."),
    "projection_shortcut_channels": N_("This convolution is the block's projection shortcut: it "
                                       "runs in parallel with the main path, from the block's input "
                                       "to the Add layer, and brings the input to the output's "
                                       "number of channels, so that the two can be added."),
    "projection_shortcut_bn": N_("This convolution, with the batch normalization that follows it, is "
                                 "the block's projection shortcut: it runs in parallel with the main "
                                 "path, from the block's input to the Add layer, and brings the input "
                                 "to the output's number of channels (and size), so that the two can "
                                 "be added."),
    "projection_shortcut_channels_bn": N_("This convolution, with the batch normalization that "
                                          "follows it, is the block's projection shortcut: it runs "
                                          "in parallel with the main path, from the block's input "
                                          "to the Add layer, and brings the input to the output's "
                                          "number of channels, so that the two can be added."),
    "bias_before_batchnorm": N_("The bias is left out because batch normalization follows: the "
                                "normalization subtracts the batch mean (at inference, the moving "
                                "mean, which would include the bias), so a bias would cancel out, "
                                "and its %(beta)s shifts every channel instead."),
    # Translators: %(count)s, %(biases)s, %(total)s and %(without)s are numbers of this model;
    # the layers are convolutions
    "bias_cancelled_by_batchnorm": N_("This convolution keeps its bias although batch normalization follows it: the "
                                      "normalization subtracts the batch mean (at inference, the moving mean, which "
                                      "includes the bias), so the bias cancels out and has no effect on the output; "
                                      "%(beta)s shifts every channel instead. In this model, %(count)s convolutions "
                                      "followed by batch normalization have such a bias: %(biases)s of the "
                                      "%(total)s parameters. Without these biases, and with the moving means and "
                                      "variances counted as buffers, not parameters, as in PyTorch, the model would "
                                      "have %(without)s parameters."),
    # Translators: the same for a model with one such convolution
    "bias_cancelled_by_batchnorm_one": N_("This convolution keeps its bias although batch normalization follows it: the "
                                          "normalization subtracts the batch mean (at inference, the moving mean, "
                                          "which includes the bias), so the bias cancels out and has no effect on "
                                          "the output; %(beta)s shifts every channel instead. It is the only such "
                                          "convolution of this model: %(biases)s of its %(total)s parameters. "
                                          "Without this bias, and with the moving means and variances counted as "
                                          "buffers, not parameters, as in PyTorch, the model would have %(without)s "
                                          "parameters."),
    # Translators: the same where the layers are dense (fully connected) layers
    "bias_cancelled_by_batchnorm_dense": N_("This dense layer keeps its bias although batch normalization follows it: the "
                                            "normalization subtracts the batch mean (at inference, the moving mean, "
                                            "which includes the bias), so the bias cancels out and has no effect on "
                                            "the output; %(beta)s shifts every channel instead. In this model, "
                                            "%(count)s dense layers followed by batch normalization have such a "
                                            "bias: %(biases)s of the %(total)s parameters. Without these biases, "
                                            "and with the moving means and variances counted as buffers, not "
                                            "parameters, as in PyTorch, the model would have %(without)s "
                                            "parameters."),
    # Translators: the same for a model with one such dense layer
    "bias_cancelled_by_batchnorm_dense_one": N_("This dense layer keeps its bias although batch normalization follows it: "
                                                "the normalization subtracts the batch mean (at inference, the "
                                                "moving mean, which includes the bias), so the bias cancels out and "
                                                "has no effect on the output; %(beta)s shifts every channel "
                                                "instead. It is the only such dense layer of this model: %(biases)s "
                                                "of its %(total)s parameters. Without this bias, and with the "
                                                "moving means and variances counted as buffers, not parameters, as "
                                                "in PyTorch, the model would have %(without)s parameters."),
    # Translators: the same where the layers are convolutions and dense layers
    "bias_cancelled_by_batchnorm_mixed": N_("This layer keeps its bias although batch normalization follows it: the "
                                            "normalization subtracts the batch mean (at inference, the moving mean, "
                                            "which includes the bias), so the bias cancels out and has no effect on "
                                            "the output; %(beta)s shifts every channel instead. In this model, "
                                            "%(count)s convolutional and dense layers followed by batch "
                                            "normalization have such a bias: %(biases)s of the %(total)s "
                                            "parameters. Without these biases, and with the moving means and "
                                            "variances counted as buffers, not parameters, as in PyTorch, the model "
                                            "would have %(without)s parameters."),
    "mha_in_proj_4E2": N_("PyTorch's %(nn_MultiheadAttention)s has %(four_d2_4d)s parameters, with %(d)s "
                          "its embedding dimension (%(embed_dim)s), whatever the number of "
                          "heads: the heads split %(d)s among themselves. Keras's "
                          "%(keras_MultiHeadAttention)s has the same count when its heads together are as "
                          "wide as %(d)s (%(H_kdim_d)s)."),
}

NOTE_COUNTS = frozenset({"count", "biases", "total", "without", "s_value", "H_d_h_value", "d_value", "w_eq", "half_w_eq", "keys_w_eq", "loaded_w_eq",
                         "torch_count", "torch_more"})
"""Placeholders of notes that say numbers the step supplies (``LayerStep.note_values``): counts
of the whole model, a layer's own size (Gemma's query_pre_attn_scalar), the count of the same
recurrent layer in PyTorch and how many more it has."""

NOTES.update({
    "rnn_one_bias": N_("This layer has one bias vector: the biases of its weight groups one after another; "
                       "the same layer in PyTorch has two (%(b_ih)s and %(b_hh)s)."),
    "lstm_four_groups": N_("The factor 4: an LSTM has three gates (input, forget and output) and a "
                           "cell candidate, four weight groups of the same size."),
    "gru_three_groups": N_("The factor 3: a GRU has two gates (update and reset) and a candidate "
                           "state, three weight groups of the same size."),
    "simple_rnn_one_bias": N_("In Keras this layer has one bias vector; PyTorch's %(nn_RNN)s has two "
                              "(%(bias_ih_l0)s and %(bias_hh_l0)s), so it has %(rnn_torch)s parameters."),
    "simple_cell_one_bias": N_("This cell has one bias vector; PyTorch's %(nn_RNNCell)s has two "
                               "(%(b_ih)s and %(b_hh)s)."),
    "lstm_one_bias": N_("In Keras this layer has one bias vector of length %(lstm_torch_extra)s: the biases of "
                        "the four weight groups (%(h)s each) one after another. PyTorch's %(nn_LSTM)s has two "
                        "bias vectors of length %(lstm_torch_extra)s, %(bias_ih_l0)s and %(bias_hh_l0)s, so each "
                        "weight group has two biases of length %(h)s there, one in each vector. %(nn_LSTM)s "
                        "thus has %(lstm_torch)s parameters: %(torch_count)s here, %(torch_more)s more than "
                        "this layer."),
    "gru_one_bias": N_("With %(reset_after_false)s, Keras applies the reset gate to the previous hidden "
                       "state before multiplying it by the candidate state's recurrent weights. PyTorch has "
                       "no built-in equivalent of this layer: %(nn_GRU)s applies the reset gate after that "
                       "product, as Keras does with %(reset_after_true)s. With the default %(bias_true)s, "
                       "%(nn_GRU)s has two bias vectors of length %(gru_extra)s, %(bias_ih_l0)s and "
                       "%(bias_hh_l0)s, and so %(gru_keras_torch)s parameters: %(torch_count)s here, "
                       "%(torch_more)s more than this layer."),
    "gru_reset_after": N_("With %(reset_after_false)s, the bias would be one vector of length %(gru_extra)s, "
                          "giving %(gru_one_bias)s parameters. PyTorch's %(nn_GRU)s has two bias vectors of "
                          "length %(gru_extra)s, %(bias_ih_l0)s and %(bias_hh_l0)s. They correspond to the two "
                          "rows of this layer's bias up to the order of the gates (Keras: update, reset, "
                          "candidate; PyTorch: reset, update, candidate). So %(nn_GRU)s has the same number of "
                          "parameters as this layer, %(gru_keras_torch)s (%(torch_count)s here)."),
    "mha_heads_times_key_dim": N_("Every head has projection weights of its own for the queries and "
                                  "keys (%(k_dim)s outputs each) and for the values (%(v_dim)s outputs), "
                                  "so the count grows with the number of heads. PyTorch's "
                                  "%(nn_MultiheadAttention)s instead splits "
                                  "its embedding dimension %(E)s among the heads and has "
                                  "%(mha_torch)s parameters whatever the number of heads; Keras's "
                                  "count is the same when %(mha_same_as_torch)s."),
    # Translators: a Bidirectional layer whose two directions are copies of one GRU; %(nn_GRU_bidirectional)s is nn.GRU(..., bidirectional=True), %(reverse)s the suffix _reverse
    "bidirectional_gru_reset_after": N_("Each direction's bias is a matrix of shape %(gru_bias_shape)s: one row "
                                        "for the input part, one for the recurrent part. With %(reset_after_false)s, it would be "
                                        "one vector of length %(gru_extra)s per direction, giving %(gru_one_bias_2)s parameters "
                                        "in all. PyTorch's %(nn_GRU_bidirectional)s has two bias vectors of length %(gru_extra)s "
                                        "per direction (%(bias_ih_l0)s, %(bias_hh_l0)s and their %(reverse)s counterparts). They "
                                        "correspond to the two rows of each direction's bias up to the order of the "
                                        "gates (Keras: update, reset, candidate; PyTorch: reset, update, candidate). "
                                        "So %(nn_GRU_bidirectional)s has the same number of parameters as this "
                                        "layer, %(gru_keras_torch_2)s."),
    "bidirectional_gru_one_bias": N_("With %(reset_after_false)s each direction has one bias vector of length %(gru_extra)s: "
                                     "the biases of the three weight groups (%(h)s each) one after another. Keras then applies "
                                     "the reset gate to the previous hidden state before multiplying it by the candidate "
                                     "state's recurrent weights. PyTorch has no built-in equivalent of this layer: "
                                     "%(nn_GRU_bidirectional)s applies the reset gate after that product, as Keras does "
                                     "with %(reset_after_true)s. %(nn_GRU_bidirectional)s has two bias vectors of "
                                     "length %(gru_extra)s per direction (%(bias_ih_l0)s, %(bias_hh_l0)s and their %(reverse)s "
                                     "counterparts), and so %(gru_keras_torch_2)s parameters."),
    "bidirectional_lstm_one_bias": N_("In Keras each direction has one bias vector of length %(lstm_torch_extra)s: the biases "
                                      "of the four weight groups (%(h)s each) one after another. PyTorch's "
                                      "%(nn_LSTM_bidirectional)s has two bias vectors of length %(lstm_torch_extra)s per "
                                      "direction (%(bias_ih_l0)s, %(bias_hh_l0)s and their %(reverse)s counterparts): two "
                                      "biases of length %(h)s per weight group and direction, one in each vector. So "
                                      "%(nn_LSTM_bidirectional)s has %(lstm_torch_2)s parameters."),
    "bidirectional_simple_rnn_one_bias": N_("In Keras each direction has one bias vector; PyTorch's "
                                            "%(nn_RNN_bidirectional)s has two per direction (%(bias_ih_l0)s, "
                                            "%(bias_hh_l0)s and their %(reverse)s counterparts), so it has "
                                            "%(rnn_torch_2)s parameters."),
    "bidirectional_one_bias": N_("Each direction has one bias vector: the biases of its weight groups one "
                                 "after another; the same layers in PyTorch have two (%(b_ih)s and %(b_hh)s)."),
    # Translators: %(forward_short)s is forward_kernel (the table's name), %(forward_kernel)s forward_gru/gru_cell/kernel, %(inner_name)s gru
    "bidirectional_names": N_("The names in the table are shortened: Keras keeps each direction's weights "
                              "in a sub-layer of its own, named after the wrapped layer. For a wrapped "
                              "layer named %(inner_name)s, %(forward_short)s is %(forward_kernel)s in "
                              "Keras, and likewise for the other tensors."),
    "bidirectional_twice": N_("A bidirectional layer has two independent copies of the weights, one "
                              "for each direction."),
    "rnn_stacked_input": N_("In PyTorch, stacked layers after the first take %(h_D)s inputs "
                            "(%(D)s directions), not the input size."),
    "lstm_proj_size": N_("With %(proj_size)s %(p)s, PyTorch's LSTM adds a projection %(weight_hr)s "
                         "of %(p_h)s per layer and direction, and its recurrent weights are "
                         "%(four_h_p)s."),
    "mha_separate_proj": N_("With %(kdim)s or %(vdim)s different from %(d)s, PyTorch's "
                            "%(nn_MultiheadAttention)s uses separate query, key and value projections "
                            "(%(d2)s, %(E_k_d)s, %(E_v_d)s)."),
    "mha_bias_kv": N_("%(add_bias_kv)s adds the biases %(bias_k)s and %(bias_v)s: %(two_d)s "
                      "parameters more."),
    "lora": N_("With LoRA (lora_rank = r), Keras freezes the kernel (an embedding's table) and trains "
               "two small matrices instead: the first has the kernel's axes except the last and r "
               "columns, the second r rows and the kernel's last axis. Their product has the "
               "kernel's shape and is added to it."),
})

NOTES.update({
    "gemma_four_norms": N_("Gemma 2 and 3 normalize before and after both the attention and the "
                           "feed-forward part: four RMSNorm weight vectors of %(d)s entries per "
                           "block."),
    "qk_norm_per_head": N_("The queries and the keys are normalized per head before the "
                           "attention (%(q_norm)s and %(k_norm)s: %(d_h)s weights each)."),
    "olmo2_qk_norm": N_("OLMo 2 normalizes the queries and the keys over all heads together "
                        "(%(q_norm)s: %(H_d_h)s weights, %(k_norm)s: %(H_kv_d_h)s) and places "
                        "its two RMSNorms after the attention and after the feed-forward part, "
                        "not before."),
    "phi3_fused": N_("Phi-3 stores the query, key and value projections as one matrix "
                     "(%(qkv_proj)s) and the gate and up projections as one (%(gate_up_proj)s): "
                     "the same count as separate matrices."),
    "phi_parallel_partial_rotary": N_("Phi computes the attention and the feed-forward part in "
                                      "parallel from one LayerNorm, and every projection has a bias. "
                                      "Its rotary position embedding, applied to the fraction "
                                      "partial_rotary_factor of each head, has no parameters."),
    "neox_fused_qkv": N_("GPT-NeoX stores the query, key and value projections as one matrix "
                         "(%(query_key_value)s: %(d_3d)s weights)."),
    "falcon_parallel": N_("Falcon computes the attention and the feed-forward part in parallel from "
                          "the same normalized input: one LayerNorm, or one for each branch (ln_attn, "
                          "ln_mlp)."),
    "falcon_mqa": N_("Multi-query attention: all query heads share one key head and one value "
                     "head (%(H_kv_1)s), so %(query_key_value)s has %(falcon_qkv)s weights."),
    "moe_routed_experts": N_("A mixture of experts: every routed expert is a gated feed-forward "
                             "network of its own (the tensors %(gate_up_proj)s and %(down_proj)s "
                             "hold all experts); the router (gate) scores every expert with "
                             "%(d)s weights and sends each token to only %(num_experts_per_tok)s "
                             "of them."),
    "moe_shared_expert": N_("Shared experts process every token beside the routed ones: their weights "
                            "are always active."),
    "albert_shared_layer": N_("ALBERT shares this layer's weights among all %(L)s layers: it is "
                              "applied %(L)s times, but its weights are stored and counted once."),
    "vit_patch_embedding": N_("The image is cut into %(n_p)s patches of %(P_by_P)s pixels by a "
                              "convolution whose kernel and stride are both %(P)s: "
                              "%(patch_conv)s parameters. A class token (%(d)s) is put before "
                              "the patches, and every position, the class token's included, has "
                              "a learned position embedding: %(positions_cls)s."),
    "qwen2vl_vision_rope": N_("The vision blocks give the patches their positions by a rotary embedding "
                              "over the patch's row and column: it has no parameters."),
    "mllama_gates": N_("Each gate is one learned number: the output of the attention and that of the "
                       "feed-forward network are multiplied by the tanh of their gate before they are "
                       "added to the residual stream."),
    "clip_patch_embedding": N_("The image is cut into %(n_p)s patches of %(P_by_P)s pixels by a "
                               "convolution without bias whose kernel and stride are both %(P)s: "
                               "%(patch_conv_no_bias)s parameters. A class embedding (%(d)s) is "
                               "put before the patches, and every position, the class "
                               "embedding's included, has a learned position embedding: "
                               "%(positions_cls)s."),
    "gpt2_fused_qkv": N_("%(c_attn)s computes the queries, the keys and the values with one "
                         "%(d_by_3d)s matrix and %(three_d)s biases: %(fused_qkv)s, the same "
                         "count as three separate %(d_by_d)s projections. The heads split the "
                         "%(d)s outputs of each of the three into equal parts, one per head, so "
                         "the number of heads does not change the count."),
    "heads_split_width": N_("The query, key, value and output projections are %(d_by_d)s "
                            "matrices with %(d)s biases each: %(four_d2_4d)s. The heads split "
                            "the %(d)s output features of the query, key and value projections "
                            "into equal parts, one per head, and the output projection reads "
                            "their concatenation, so the number of heads does not change the "
                            "count. Each head computes %(sdpa_h)s on its part, %(d_h)s being the "
                            "part's size (scaled dot-product attention, without weights)."),
    "heads_split_width_no_bias": N_("Here every head has key and value projections of its own (no "
                                    "grouped-query attention) and %(d_h_split)s: the heads split "
                                    "the width %(d)s among themselves, so the query, key, value "
                                    "and output projections are %(d_by_d)s matrices, %(four_d2)s "
                                    "weights whatever the number of heads. Each head computes "
                                    "%(sdpa_h_causal)s, %(M_mask)s being the causal mask, "
                                    "%(minus_inf)s above the diagonal and 0 elsewhere: masked "
                                    "scaled dot-product attention, without weights (the mask has "
                                    "none either)."),
    # Translators: as heads_split_width_no_bias, where a layer of the model has a sliding window
    "heads_split_width_no_bias_window": N_("Here every head has key and value projections of its "
                                           "own (no grouped-query attention) and %(d_h_split)s: "
                                           "the heads split the width %(d)s among themselves, so "
                                           "the query, key, value and output projections are "
                                           "%(d_by_d)s matrices, %(four_d2)s weights whatever the "
                                           "number of heads. Each head computes %(sdpa_h_causal)s, "
                                           "%(M_mask)s being the mask, %(minus_inf)s for the keys "
                                           "a query may not attend to (later positions and, in a "
                                           "layer with a sliding window, earlier ones outside the "
                                           "window) and 0 elsewhere: masked scaled dot-product "
                                           "attention, without weights (the mask has none either)."),
    # Translators: %(d_h_split)s is "d_h = d/H"; GPT2Attention divides the scores by √d_h
    # (scale_attn_weights true, the default); self-attention of a GPT-2 block is always causal
    "gpt2_heads": N_("In the masked (causal) self-attention, each head computes %(sdpa_h_causal)s "
                     "on its part, %(d_h_split)s being the part's size and %(M_mask)s the causal "
                     "mask, %(minus_inf)s above the diagonal and 0 elsewhere; this scaled "
                     "dot-product attention has no weights, and neither has the mask."),
    "gpt2_heads_unscaled": N_("In the masked (causal) self-attention, each head computes "
                              "%(sdpa_unscaled_causal)s on its part, %(M_mask)s being the causal "
                              "mask, %(minus_inf)s above the diagonal and 0 elsewhere: "
                              "%(scale_attn_weights)s is false, so the scores are not divided by "
                              "%(sqrt_d_h)s (dot-product attention; neither it nor the mask has "
                              "weights)."),
    # Translators: %(l)s is the block's index l; GPT2Attention also divides the scores by l + 1
    "gpt2_heads_layer_idx": N_("In the masked (causal) self-attention, each head computes "
                               "%(sdpa_h_layer_causal)s on its part, %(d_h_split)s being the "
                               "part's size, %(l)s the block's index (0 for the first) and "
                               "%(M_mask)s the causal mask, %(minus_inf)s above the diagonal and 0 "
                               "elsewhere: %(scale_attn_by_inverse_layer_idx)s is true (without "
                               "weights)."),
    "gpt2_heads_unscaled_layer_idx": N_("In the masked (causal) self-attention, each head computes "
                                        "%(sdpa_layer_causal)s on its part, %(l)s being the "
                                        "block's index (0 for the first) and %(M_mask)s the causal "
                                        "mask, %(minus_inf)s above the diagonal and 0 elsewhere: "
                                        "%(scale_attn_weights)s is false and "
                                        "%(scale_attn_by_inverse_layer_idx)s is true (without "
                                        "weights)."),
    # Translators: T5Attention adds the position bias to QKᵀ and does not scale it
    "t5_heads": N_("Each head of the self-attention computes %(sdpa_t5)s on its part of %(d_kv)s "
                   "features, %(B_bias)s being that head's relative position bias for each pair of "
                   "a query and a key: T5 does not divide the scores by %(sqrt_d_kv)s (without "
                   "weights besides the bias table)."),
    # Translators: a decoder's self-attention is causal; EncDecAttention has no position bias
    "t5_heads_decoder": N_("Each head of the masked (causal) self-attention computes "
                           "%(sdpa_t5_causal)s on its part of %(d_kv)s features, %(B_bias)s being "
                           "that head's relative position bias for each pair of a query and a key "
                           "and %(M_mask)s the causal mask, %(minus_inf)s above the diagonal and 0 "
                           "elsewhere: T5 does not divide the scores by %(sqrt_d_kv)s. Each head "
                           "of %(enc_dec_attention)s computes %(sdpa_unscaled)s over the encoder's "
                           "output, without position bias and likewise without scaling."),
    # Translators: after gqa_kv_heads; %(H_per_kv)s is H/H_kv
    "gqa_heads": N_("Each query head computes %(sdpa_h_causal)s with the keys and values of the "
                    "key/value head its group shares, %(M_mask)s being the causal mask, "
                    "%(minus_inf)s above the diagonal and 0 elsewhere; a group has %(H_per_kv)s "
                    "query heads (scaled dot-product attention, without weights)."),
    # Translators: as gqa_heads, where a layer of the model has a sliding window
    "gqa_heads_window": N_("Each query head computes %(sdpa_h_causal)s with the keys and values of "
                           "the key/value head its group shares, %(M_mask)s being the mask, "
                           "%(minus_inf)s for the keys a query may not attend to (later positions "
                           "and, in a layer with a sliding window, earlier ones outside the "
                           "window) and 0 elsewhere; a group has %(H_per_kv)s query heads (scaled "
                           "dot-product attention, without weights)."),
    # Translators: Gemma, Phi, Phi-3, GPT-NeoX, Falcon: causal heads whose size d_h is not d/H
    "causal_heads": N_("Each head computes %(sdpa_h_causal)s, %(d_h)s being the head size and "
                       "%(M_mask)s the causal mask, %(minus_inf)s above the diagonal and 0 elsewhere: "
                       "masked scaled dot-product attention, without weights (the mask has none "
                       "either)."),
    # Translators: as causal_heads, where every head has keys and values of its own and d_h = d/H
    "causal_heads_split": N_("The heads split the width %(d)s among themselves, %(d_h_split)s, so "
                             "the number of heads does not change the count. Each head computes "
                             "%(sdpa_h_causal)s, %(M_mask)s being the causal mask, %(minus_inf)s "
                             "above the diagonal and 0 elsewhere: masked scaled dot-product "
                             "attention, without weights (the mask has none either)."),
    # Translators: as causal_heads_split, where a layer of the model has a sliding window
    "causal_heads_split_window": N_("The heads split the width %(d)s among themselves, "
                                    "%(d_h_split)s, so the number of heads does not change the "
                                    "count. Each head computes %(sdpa_h_causal)s, %(M_mask)s being "
                                    "the mask, %(minus_inf)s for the keys a query may not attend to "
                                    "(later positions and, in a layer with a sliding window, "
                                    "earlier ones outside the window) and 0 elsewhere: masked scaled "
                                    "dot-product attention, without weights (the mask has none "
                                    "either)."),
    # Translators: Falcon's multi-query attention: one key head and one value head for all query heads
    "mqa_heads": N_("Each query head computes %(sdpa_h_causal)s with the keys and values of the "
                    "one key/value head all query heads share, %(d_h_split)s being the head size "
                    "and %(M_mask)s the causal mask, %(minus_inf)s above the diagonal and 0 "
                    "elsewhere (scaled dot-product attention, without weights)."),
    # Translators: Gemma 2 and 3 divide the scores by √query_pre_attn_scalar, not by √d_h
    "gemma_heads": N_("Each head computes %(sdpa_s_causal)s, %(s_q)s being the configuration's "
                      "%(query_pre_attn_scalar)s (here %(s_value)s) and %(M_mask)s the mask, %(minus_inf)s for the "
                      "keys a query may not attend to (later positions and, in a layer with a "
                      "sliding window, earlier ones outside the window) and 0 elsewhere: masked "
                      "scaled dot-product attention, without weights (the mask has none either)."),
    # Translators: Gemma 2 soft-caps the scaled scores at c: c·tanh(x/c) lies between −c and c
    "gemma_heads_softcap": N_("Each head computes %(sdpa_s_softcap_causal)s, %(s_q)s being the "
                              "configuration's %(query_pre_attn_scalar)s (here %(s_value)s), %(c_cap)s its "
                              "%(attn_logit_softcapping)s (the scaled scores are soft-capped to "
                              "between %(minus_c)s and %(c_cap)s) and %(M_mask)s the mask, "
                              "%(minus_inf)s for the keys a query may not attend to (later "
                              "positions and, in a layer with a sliding window, earlier ones "
                              "outside the window) and 0 elsewhere; neither the attention nor the "
                              "mask has weights."),
    # Translators: Gemma 1 with use_bidirectional_attention: GemmaModel still builds the causal mask
    "gemma_bidirectional_mask_kept": N_("The configuration sets %(use_bidirectional_attention)s, but "
                                        "%(GemmaModel)s, the Gemma model class in transformers, still "
                                        "builds the causal mask %(M_mask)s, which hides the later "
                                        "positions from each query, and passes it to the attention; the "
                                        "setting only sets the attention's %(is_causal)s to %(false)s. "
                                        "Eager and flex attention therefore stay causal; only "
                                        "FlashAttention, and SDPA on a batch without padding (where no "
                                        "mask is passed), let each head attend to later positions as "
                                        "well. The number of parameters is the same either way."),
    # Translators: Gemma 2 with use_bidirectional_attention: as above, but Gemma 2 does not support SDPA (softcapping)
    "gemma2_bidirectional_mask_kept": N_("The configuration sets %(use_bidirectional_attention)s, but in transformers the "
                                         "setting only sets the attention's %(is_causal)s to %(false)s. For eager "
                                         "attention (the default; Gemma 2 does not support SDPA) and flex attention, "
                                         "%(Gemma2Model)s, the Gemma 2 model class in transformers, still builds the "
                                         "causal mask %(M_mask)s, which hides the later positions from each query, so both "
                                         "stay causal; only FlashAttention, which takes causality from %(is_causal)s "
                                         "instead of a mask, lets each head attend to later positions as well. In a layer "
                                         "with a sliding window, FlashAttention then applies the window on both sides: a "
                                         "query sees up to one position fewer than the configuration's %(sliding_window)s "
                                         "before it and as many after it. The number of parameters is the same with or "
                                         "without the setting."),
    # Translators: Gemma 3 with use_bidirectional_attention: no causal mask; a sliding layer keeps the keys at most ⌊w/2⌋ positions before or after the query
    "gemma3_bidirectional_heads": N_("Each head computes %(sdpa_s_causal)s, %(s_q)s being the "
                                     "configuration's %(query_pre_attn_scalar)s (here %(s_value)s) and "
                                     "%(M_mask)s the mask. The configuration sets "
                                     "%(use_bidirectional_attention)s, and %(Gemma3TextModel)s, the "
                                     "Gemma 3 model class in transformers, follows it: %(M_mask)s does "
                                     "not hide the later positions. In a layer with a sliding window of "
                                     "%(w_eq)s positions (the configuration file's %(sliding_window)s; "
                                     "transformers stores %(loaded_w_eq)s in the configuration it "
                                     "loads, and a key is kept only if its distance from the query is "
                                     "less than that number), %(M_mask)s is %(minus_inf)s for the keys more "
                                     "than %(half_w_eq)s positions before or after the "
                                     "query and 0 elsewhere, so a query attends to at most "
                                     "%(keys_w_eq)s keys; in a layer without the window "
                                     "%(M_mask)s is 0 everywhere. The masked scaled dot-product attention "
                                     "itself has no weights, and the number of parameters is the same "
                                     "with or without the setting."),
    "gqa_kv_heads": N_("Grouped-query attention: the keys and the values have only %(H_kv)s "
                       "heads, each shared by a group of query heads, so %(k_proj)s and "
                       "%(v_proj)s have %(kv_proj_weights)s weights each, fewer than "
                       "%(q_proj)s's %(q_proj_weights)s."),
    # Translators: Gemma's head size d_h is the config's head_dim, and H·d_h differs from the width d
    "head_size_own": N_("The head size %(d_h)s is set by the configuration (%(head_dim)s), not derived "
                        "as %(d_over_H)s: the queries of all heads together have %(H_d_h)s "
                        "components (here %(H_d_h_value)s), not %(d)s (here %(d_value)s), so %(q_proj)s "
                        "maps %(d)s to %(H_d_h)s and %(o_proj)s maps %(H_d_h)s back to %(d)s."),
    "gated_ffn": N_("The feed-forward part is gated (SwiGLU in Llama, Mistral and Qwen; GeGLU in "
                    "Gemma): %(gate_proj)s and %(up_proj)s map %(d)s to %(ffn)s and "
                    "%(down_proj)s maps %(ffn)s back to %(d)s, three matrices of %(d_f)s weights each where a "
                    "plain feed-forward network has two."),
    "pooler_tanh": N_("The pooler applies tanh to the output of this layer; tanh has no weights."),
    "rope_no_parameters": N_("The rotary position embedding (RoPE) rotates each pair of components "
                             "of the queries and the keys by an angle set by the position and by the "
                             "pair's fixed frequency: nothing in it is learned, so it has no "
                             "parameters, and the model has no position embedding to count."),
    # Translators: GPT-NeoX, Phi-3: only the first components of each head are rotated
    "rope_partial_no_parameters": N_("The rotary position embedding (RoPE) rotates pairs of "
                                     "components in the first part of each query and key head, the "
                                     "fraction %(partial_rotary_factor)s of it, by an angle set by "
                                     "the position and by the pair's fixed frequency; the other "
                                     "components pass unchanged. Nothing in it is learned, so it has "
                                     "no parameters, and the model has no position embedding to "
                                     "count."),
    "t5_relative_bias": N_("T5 has no position embeddings: attention adds a learned bias to its "
                           "scores that depends on the distance between query and key, sorted "
                           "into %(B)s buckets. The first block of each stack holds these "
                           "%(B_H)s weights (%(relative_attention_bias)s), and the other blocks "
                           "reuse them."),
    "mla": N_("Multi-head latent attention compresses the keys and values into r_kv entries "
              "(kv_a_proj_with_mqa, which also gives a rotary key of d_r entries shared by all heads) "
              "and, with q_lora_rank, the queries into r_q entries; the compressed vectors are "
              "normalized and expanded per head (kv_b_proj, q_b_proj)."),
})

MODEL_NOTES = {
    # Translators: after the sentence on the shape of input_ids (None, None)
    "bert_optional_inputs": N_("The model also takes three optional inputs of the same shape: "
                               "%(token_type_ids)s, the segment of each token (all 0 by default), looked "
                               "up by the token type embedding; %(attention_mask)s, 1 for real tokens and "
                               "0 for padding positions, which the attention then ignores; and "
                               "%(position_ids)s (0, 1, 2, … when not given). These inputs add no parameters."),
    "roberta_optional_inputs": N_("The model also takes two optional inputs of the same shape: "
                                  "%(token_type_ids)s (all 0 by default), which the token type embedding "
                                  "looks up, and %(attention_mask)s (1 for real tokens, 0 for padding "
                                  "positions, which the attention then ignores). These inputs add no parameters."),
    # Translators: GPT-2's position_ids, drawn as an input box in the picture of the model
    "generated_position_ids": N_("The positions %(position_ids)s (0, 1, 2, …) are generated by the model "
                                 "when they are not given."),
    "albert_factorised_embedding": N_("ALBERT factorises the embedding: the tokens are embedded "
                                      "with %(E)s entries (%(V_E)s) and projected to the width "
                                      "%(d)s (%(embedding_hidden_mapping_in)s: %(E_d_d)s), "
                                      "instead of %(V_d)s weights."),
    "electra_discriminator": N_("ELECTRA trains two models together: a small generator fills in masked "
                                "tokens and this discriminator predicts for every token whether the "
                                "generator replaced it (one output per token)."),
    "electra_generator": N_("ELECTRA trains two models together: this generator fills in masked tokens, "
                            "and a larger discriminator (ElectraForPreTraining, a config of its own) "
                            "predicts which tokens were replaced."),
    "whisper_front_end": N_("Whisper's encoder begins with two convolutions over the mel "
                            "spectrogram (kernel size 3; the second halves the number of "
                            "frames), then adds position embeddings of %(T_src)s rows that "
                            "training leaves unchanged; the decoder learns %(T)s position "
                            "embeddings of its own."),
    "clip_parts": N_("CLIP is two encoders read from the config's parts: a text encoder "
                     "(text_config) and a vision encoder (vision_config). Each projects its output "
                     "to p entries without bias, and logit_scale is one learned temperature."),
    "bart_positions": N_("BART learns its position embeddings with an offset of 2: each of "
                         "encoder and decoder has %(T_plus_2)s rows of %(d)s weights. Encoder "
                         "and decoder share the token embedding when %(tie_word_embeddings)s "
                         "says so."),
    # Translators: the bundled example lenet5; C1, S2, C3, S4, C5, F6 are the layer names of the
    # 1998 paper; a list of the three differences follows (lenet5_c3, lenet5_subsampling, lenet5_rbf)
    "lenet5_original": N_("This is the variant of LeNet-5 that lectures usually present. The original "
                          "network (LeCun et al., 1998) differs from it in three places that change the "
                          "parameter count:"),
    # Translators: an item of the list after lenet5_original
    "lenet5_c3": N_("C3 connects 15 of its 16 feature maps to only some of the 6 maps of S2 and "
                    "the 16th to all 6, following a connection table: %(c3)s parameters "
                    "instead of %(c3_dense)s."),
    # Translators: an item of the list after lenet5_original
    "lenet5_subsampling": N_("The subsampling layers S2 and S4 learn a coefficient and a bias per "
                             "map: %(s2)s parameters in S2 and %(s4)s in S4, whereas the average "
                             "pooling here has none."),
    # Translators: an item of the list after lenet5_original; %(rbf)s is 10 × 84 = 840
    "lenet5_rbf": N_("The output layer is made of radial basis function (RBF) units, not a dense layer "
                     "with softmax: each of "
                     "the 10 units computes the squared Euclidean distance between the 84 outputs "
                     "of F6 and its own parameter vector. These %(rbf)s numbers were chosen by hand "
                     "and, at least initially, kept fixed; there is no bias."),
    # Translators: after the list of lenet5_original's differences
    "lenet5_same": N_("C1, C5 and F6 have the same counts in both. In the original, C5 is a "
                      "convolution whose 5 × 5 kernel covers all of S4's maps, which is equivalent "
                      "to the dense layer %(c5)s after %(flatten)s here."),
    # Translators: said only with compute or memory; %(max_distance)s is a number of positions (128),
    # %(key)s the config's key relative_attention_max_distance, %(length)s a number of tokens (512)
    "t5_context": N_("T5's config states no maximum sequence length: its relative position bias "
                     "puts all query–key distances of %(max_distance)s positions or more (%(key)s) "
                     "in the same bucket, one per direction, so the sequence length has no upper "
                     "limit. Compute and memory are counted for sequences of %(length)s tokens, the "
                     "input length of T5's pre-training (Raffel et al., 2020)."),
    # Translators: Gemma 2 and 3 (and Qwen2 with use_sliding_window): "L_w = 29 of the L = 34 blocks" slide
    # within w = 1,024 positions (math); %(rest)s is a number, %(global)s the list of the other blocks' names
    "sliding_layers": N_("%(L_w_eq)s of the %(L_eq)s blocks attend locally: each query attends only "
                         "to the last %(w_eq)s positions up to its own (the configuration's "
                         "%(sliding_window)s). The other %(rest)s, %(global)s, attend globally, to all "
                         "positions. Both kinds of block are built alike and have as many parameters "
                         "(each block has weights of its own), but not the same compute."),
    # Translators: the same where one block attends globally; %(global)s is its name
    "sliding_layers_one": N_("%(L_w_eq)s of the %(L_eq)s blocks attend locally: each query attends only "
                             "to the last %(w_eq)s positions up to its own (the configuration's "
                             "%(sliding_window)s). The other block, %(global)s, attends globally, to all "
                             "positions. Both kinds of block are built alike and have as many parameters "
                             "(each block has weights of its own), but not the same compute."),
    # Translators: the same where the blocks with global attention are too many to name
    "sliding_layers_many": N_("%(L_w_eq)s of the %(L_eq)s blocks attend locally: each query attends "
                              "only to the last %(w_eq)s positions up to its own (the configuration's "
                              "%(sliding_window)s). The other %(rest)s attend globally, to all positions. "
                              "Both kinds of block are built alike and have as many parameters (each block "
                              "has weights of its own), but not the same compute."),
    "tied_head": N_("The LM head is tied to the token embedding: it uses the embedding's weights "
                    "and has none of its own."),
    "untied_head": N_("The LM head is not tied to the token embedding: it has %(V_d)s weights of "
                      "its own, counted in addition to the embedding's."),
    "first_dense": N_("The first %(k_d)s layers have a dense feed-forward network, the other "
                      "%(L_minus_k_d)s layers a mixture of experts: two rows."),
    "moe_dense_layers": N_("The layers that mlp_only_layers or decoder_sparse_step exclude have a dense "
                           "feed-forward network instead of a mixture of experts: each run of alike "
                           "layers is a row of its own."),
    "siglip_parts": N_("SigLIP is two encoders read from the config's parts: a text encoder "
                       "(text_config), whose head is a linear layer with bias, and a vision encoder "
                       "(vision_config); logit_scale and logit_bias are one learned number each."),
    "mm_vision_tower": N_("The rows %(prefix)s… are the vision tower, read from vision_config "
                          "(%(family)s) and derived with the closed form of that family: %(count)s "
                          "parameters."),
    "mm_projector": N_("The rows %(prefix)s… are the multimodal projector (%(family)s), which maps the "
                       "vision tower's features to the language model's width: %(count)s parameters."),
    "mm_language_model": N_("The rows %(prefix)s… are the language model, read from text_config "
                            "(%(family)s) and derived with the closed form of that family: %(count)s "
                            "parameters."),
    "mm_feature_layer": N_("The projector takes the vision tower's features from layer %(layer)s "
                           "(vision_feature_layer); transformers still builds all L_vis layers and "
                           "the final layer normalization, so all of them are counted."),
    "qwen2vl_merger_in_visual": N_("transformers builds the patch merger %(prefix)s inside the vision "
                                    "module; it is the projector here, and the vision tower's count "
                                    "leaves it out."),
    "mllama_cross_layers": N_("The layers %(layers)s (cross_attention_layers) attend to the image's "
                              "vectors instead of the text: they are one row × n_c, and the other "
                              "L − n_c layers, self-attention layers as in Llama, one row × (L − n_c)."),
    "mllama_extra_tokens": N_("The token embedding has V + 8 rows, 8 more than the vocabulary (special "
                              "tokens such as the image token); the LM head has V rows, so it is not tied "
                              "to the embedding."),
    "hf_no_architecture": N_("The config names no architecture (it has no 'architectures' entry), so "
                             "the base model %(assumed)s was assumed: it has no language-model or task "
                             "head. Choose another class with --architecture NAME."),
    "hf_architecture_chosen": N_("The architecture %(architecture)s was chosen with --architecture."),
    "hf_generic": N_("explain has no closed form for %(architecture)s. Following the generic route, "
                     "transformers built the model from its config on the meta device (no weights "
                     "were loaded or downloaded), and it is derived from its modules, as from_torch "
                     "does."),
}
NOTE_EQUATIONS = {"L_w_eq": "L_w", "L_eq": "L", "w_eq": "w"}
"""Model notes' arguments said as a symbol's value, ``L_w = 29`` (placeholder → symbol)."""
MODEL_NOTE_ITEMS = frozenset({"lenet5_c3", "lenet5_subsampling", "lenet5_rbf"})
"""The model notes that are items of a list (after the note before them)."""
INPUT_NOTES = frozenset({"bert_optional_inputs", "roberta_optional_inputs", "generated_position_ids"})
"""Model notes said after the sentence on the inputs' shapes, which they refer to."""
ROUTE_NOTES = frozenset({"hf_no_architecture", "hf_architecture_chosen", "hf_generic"})
"""The model notes that say how the model was read: said first, before its symbols."""
LENGTH_NOTES = frozenset({"t5_context"})
"""The model notes on the sequence length compute and memory count at: said only with them."""
REPEATED_INTERLEAVED = N_("The layer %(layer)s stands for %(repeat)s blocks of the same structure, "
                          "each with weights of its own; in the model, blocks of another row come between them.")
REPEATED_BLOCK = N_("The row %(layer)s stands for %(repeat)s blocks of the same structure, "
                    "one after the other.")
REPEATED_BLOCKS = N_("The rows %(first)s and %(second)s each stand for %(repeat)s blocks of the same "
                     "structure, one after the other.")
# Translators: after "The model consists of …"; %(repeat)s is "L = 12"
COMPOSITION_ROW = N_("In the summary table below, the row %(layer)s stands for the %(repeat)s blocks, one after "
                     "the other; the model's inputs are not listed.")
# Translators: the same for two stacks (T5's encoder.block and decoder.block)
COMPOSITION_ROWS = N_("In the summary table below, the rows %(first)s and %(second)s each stand for the "
                      "%(repeat)s blocks of their stack, one after the other; the model's inputs are not "
                      "listed.")
ACTIVE = N_("In a mixture of experts, the router sends each token to only some of the routed "
            "experts; the other experts' weights do not compute with it. The parameters active per "
            "token are the total without the idle experts:")
ACTIVE_TITLE = N_("Parameters active per token")

AXES = {
    # Translators: a spatial axis, before its output-size formula ("Height: ⌊(256 + 2·0 − 3)/1⌋ + 1 = 254")
    "height": N_("Height"),
    # Translators: a spatial axis, before its output-size formula
    "width": N_("Width"),
    # Translators: a spatial axis (of a 3D input), before its output-size formula
    "depth": N_("Depth"),
    # Translators: the one spatial axis of a sequence, before its output-size formula
    "length": N_("Length"),
}
# A global pooling's output shape (before "Output shape: …"); %(sizes)s is math (32 × 32)
POOLED_AWAY = {
    1: N_("The input's length (%(sizes)s) is pooled away; its %(channels)s channels remain."),
    2: N_("The input's height and width (%(sizes)s) are pooled away; its %(channels)s channels "
          "remain."),
    3: N_("The input's depth, height and width (%(sizes)s) are pooled away; its %(channels)s "
          "channels remain."),
}

ALL_AXES = {
    1: N_("Length"),
    2: N_("Height and width"),
    3: N_("Depth, height and width"),
}


ROLE_MATH = {"r": "r", "scale": r"1/(1-r)", "f": "f(x)",
             "softmax": r"y_{i} = e^{x_{i}} / \textstyle\sum_{j} e^{x_{j}}",
             "sdpa": r"\operatorname{softmax}\bigl(Q K^{\top} / \sqrt{d_{k}}\bigr) V",
             "sdpa_h": r"\operatorname{softmax}\bigl(Q K^{\top} / \sqrt{d_{h}}\bigr) V",
             "sdpa_unscaled": r"\operatorname{softmax}\bigl(Q K^{\top}\bigr) V",
             "sdpa_h_layer": r"\operatorname{softmax}\bigl(Q K^{\top} / (\sqrt{d_{h}} \, (l + 1))\bigr) V",
             "sdpa_layer": r"\operatorname{softmax}\bigl(Q K^{\top} / (l + 1)\bigr) V",
             "sdpa_t5": r"\operatorname{softmax}\bigl(Q K^{\top} + B\bigr) V",
             "sdpa_h_causal": r"\operatorname{softmax}\bigl(Q K^{\top} / \sqrt{d_{h}} + M\bigr) V",
             "sdpa_unscaled_causal": r"\operatorname{softmax}\bigl(Q K^{\top} + M\bigr) V",
             "sdpa_h_layer_causal": r"\operatorname{softmax}\bigl(Q K^{\top} / (\sqrt{d_{h}} \, (l + 1)) + M\bigr) V",
             "sdpa_layer_causal": r"\operatorname{softmax}\bigl(Q K^{\top} / (l + 1) + M\bigr) V",
             "sdpa_t5_causal": r"\operatorname{softmax}\bigl(Q K^{\top} + B + M\bigr) V",
             "minus_inf": r"-\infty",
             "sdpa_s_causal": r"\operatorname{softmax}\bigl(Q K^{\top} / \sqrt{s} + M\bigr) V",
             "sdpa_s_softcap_causal": r"\operatorname{softmax}\bigl(c \tanh\bigl(Q K^{\top} / (c \sqrt{s})\bigr) + M\bigr) V",
             "sqrt_d": r"\sqrt{d}", "sqrt_d_h": r"\sqrt{d_{h}}", "sqrt_d_kv": r"\sqrt{d_{\text{kv}}}",
             "prelu": r"f(x) = \max(x, 0) + \alpha \cdot \min(x, 0)",
             "simple_rnn": r"h_{t} = \tanh(x_{t} W + h_{t-1} U + b)",
             "simple_rnn_no_bias": r"h_{t} = \tanh(x_{t} W + h_{t-1} U)"}
"""Math a layer's explanation names by placeholder (typeset by the renderer)."""
ROLE_CODE = {"rate": "rate", "max_value": "max_value", "act": "dense_act_fn", "wrapped": "LSTM",
             "backward": "GRU(units=4)", "inner_name": "lstm", "forward_short": "forward_kernel",
             "forward_kernel": "forward_lstm/lstm_cell/kernel"}
"""Argument names a layer's explanation names by placeholder (in code font)."""
ROLE_PLAIN = {"r": "r", "scale": "1/(1 − r)", "rate": "rate", "max_value": "max_value", "act": "dense_act_fn",
              "f": "f(x)", "softmax": "y_i = exp(x_i) / Σ_j exp(x_j)", "sdpa": "softmax(Q·Kᵀ/√d_k)·V",
              "sdpa_h": "softmax(Q·Kᵀ/√d_h)·V",
              "sdpa_unscaled": "softmax(Q·Kᵀ)·V", "sdpa_h_layer": "softmax(Q·Kᵀ/(√d_h·(l + 1)))·V",
              "sdpa_layer": "softmax(Q·Kᵀ/(l + 1))·V", "sdpa_t5": "softmax(Q·Kᵀ + B)·V",
              "sdpa_h_causal": "softmax(Q·Kᵀ/√d_h + M)·V", "sdpa_unscaled_causal": "softmax(Q·Kᵀ + M)·V",
              "sdpa_h_layer_causal": "softmax(Q·Kᵀ/(√d_h·(l + 1)) + M)·V",
              "sdpa_layer_causal": "softmax(Q·Kᵀ/(l + 1) + M)·V", "sdpa_t5_causal": "softmax(Q·Kᵀ + B + M)·V",
              "minus_inf": "−∞",
              "sdpa_s_causal": "softmax(Q·Kᵀ/√s + M)·V",
              "sdpa_s_softcap_causal": "softmax(c·tanh(Q·Kᵀ/(c·√s)) + M)·V",
              "sqrt_d": "√d", "sqrt_d_h": "√d_h", "sqrt_d_kv": "√d_kv",
              "prelu": "f(x) = max(x, 0) + α·min(x, 0)",
              "simple_rnn": "h_t = tanh(x_t·W + h_(t−1)·U + b)",
              "simple_rnn_no_bias": "h_t = tanh(x_t·W + h_(t−1)·U)"}
"""The same placeholders as plain text (JSON)."""
class Code(str):
    """A name from code (an argument, a weight, a module), shown in code font."""


class Dims(tuple):
    """The sizes of a matrix or window (``d × 3d``), each a formula, shown as math."""


class Parens(tuple):
    """A shape written with its sizes, each a formula, shown as math: ``(2, 3h)``."""


class Chain(tuple):
    """Formulas that are all equal (``E_q = E_k = E``), shown as one chain of equations."""


def _written(*terms: Any) -> sympy.Expr:
    """A sum kept in the order it is written (printed with ``order="none"``)."""
    return sympy.Add(*terms, evaluate=False)


def _times(*factors: Any) -> sympy.Expr:
    return sympy.Mul(*factors, evaluate=False)


_S = sympy.Symbol
_E, _d, _h, _i, _r, _H, _f, _V = (_S(n) for n in ("E", "d", "h", "n_in", "r", "H", "f", "V"))
_d_h, _H_kv, _B, _p = _S("d_h"), _S("H_kv"), _S("N_b"), _S("p")
_T, _P, _n_p = _S("T"), _S("P"), _S("n_p")
_GREEK = frozenset({"gamma", "beta", "alpha"})

PLACEHOLDERS: Mapping[str, Any] = Later({
    # symbols a sentence names
    "E": _E, "d": _d, "h": _h, "i": _i, "r": _r, "H": _H, "ffn": _f, "V": _V, "d_h": _d_h,
    "H_kv": _H_kv, "B": _B, "p": _p, "D": sympy.Symbol("D"),
    "n": sympy.Symbol("n"),
    # formulas
    "scale": lambda: 1 / _written(1, -_r),
    "mha_torch": lambda: _written(4 * _E**2, 4 * _E),
    # PyTorch's MultiheadAttention: its formulas write the embedding dimension E as d
    "d2": lambda: _d**2, "E_k_d": lambda: _times(_S("E_k"), _d), "E_v_d": lambda: _times(_S("E_v"), _d),
    "two_d": lambda: 2 * _d,
    "H_kdim_d": lambda: sympy.Eq(_times(_H, _S("d_k")), _d, evaluate=False),
    "heads_key_dim": lambda: _times(_S("num_heads"), _S("key_dim")),
    "lstm_torch_extra": lambda: 4 * _h,
    "gru_keras_torch": lambda: _written(_times(3, _h, _written(_i, _h)), 6 * _h),
    "gru_extra": lambda: 3 * _h,
    "gru_bias_shape": lambda: Parens((2, 3 * _h)),
    "gru_one_bias": lambda: _written(_times(3, _h, _written(_i, _h)), 3 * _h),
    "gru_keras_torch_2": lambda: _times(2, _written(_times(3, _h, _written(_i, _h)), 6 * _h)),
    "gru_one_bias_2": lambda: _times(2, _written(_times(3, _h, _written(_i, _h)), 3 * _h)),
    "lstm_torch_2": lambda: _times(2, _written(_times(4, _h, _written(_i, _h)), 8 * _h)),
    "rnn_torch_2": lambda: _times(2, _written(_times(_h, _written(_i, _h)), 2 * _h)),
    "lstm_torch": lambda: _written(_times(4, _h, _written(_i, _h)), 8 * _h),
    "lstm_keras": lambda: _written(_times(4, _h, _written(_i, _h)), 4 * _h),
    "rnn_keras": lambda: _written(_times(_h, _written(_i, _h)), _h),
    "rnn_torch": lambda: _written(_times(_h, _written(_i, _h)), 2 * _h),
    "h_D": lambda: _times(_h, _S("D")), "h_by_h": lambda: Dims((_h, _h)), "i_by_h": lambda: Dims((_i, _h)),
    "W": _S("W"), "U": _S("U"), "b": _S("b"), "x_t": _S("x_t"),
    "kernel": Code("kernel"), "recurrent_kernel": Code("recurrent_kernel"),
    "p_h": lambda: _times(_p, _h), "four_h_p": lambda: _times(4, _h, _p),
    "fused_qkv": lambda: _written(3 * _d**2, 3 * _d),
    "four_d2_4d": lambda: _written(4 * _d**2, 4 * _d),
    "four_d2": lambda: 4 * _d**2, "four_d": lambda: 4 * _d,
    "gelu_ffn": lambda: _written(_times(2, _d, _f), _f, _d), "d_f_f": lambda: _written(_times(_d, _f), _f),
    "f_d_d": lambda: _written(_times(_f, _d), _d),
    "d_over_H": lambda: _d / _H,
    "V_d": lambda: _times(_V, _d),
    "d_by_3d": lambda: Dims((_d, 3 * _d)), "d_by_d": lambda: Dims((_d, _d)), "d_f": lambda: _times(_d, _f),
    # names from code
    "rate": Code("rate"), "b_ih": Code("bias_ih"), "b_hh": Code("bias_hh"),
    "bias_ih_l0": Code("bias_ih_l0"), "bias_hh_l0": Code("bias_hh_l0"), "nn_LSTM": Code("nn.LSTM"),
    "nn_GRU": Code("nn.GRU"), "nn_GRU_bidirectional": Code("nn.GRU(..., bidirectional=True)"),
    "nn_LSTM_bidirectional": Code("nn.LSTM(..., bidirectional=True)"),
    "nn_RNN_bidirectional": Code("nn.RNN(..., bidirectional=True)"), "reverse": Code("_reverse"), "nn_MultiheadAttention": Code("nn.MultiheadAttention"),
    "keras_MultiHeadAttention": Code("MultiHeadAttention"), "nn_RNN": Code("nn.RNN"), "nn_RNNCell": Code("nn.RNNCell"),
    "nn_PReLU": Code("nn.PReLU"),
    "reset_after_true": Code("reset_after=True"), "bias_true": Code("bias=True"), "reset_after_false": Code("reset_after=False"),
    "units": Code("units"), "out_features": Code("out_features"), "filters": Code("filters"),
    "input_size_arg": Code("input_size"), "hidden_size_arg": Code("hidden_size"),
    "out_channels": Code("out_channels"),
    "num_heads": Code("num_heads"), "key_dim": Code("key_dim"), "value_dim": Code("value_dim"),
    "n_inner": Code("n_inner"), "intermediate_size": Code("intermediate_size"),
    "kdim": Code("kdim"), "vdim": Code("vdim"), "add_bias_kv": Code("add_bias_kv"),
    "bias_k": Code("bias_k"), "bias_v": Code("bias_v"), "proj_size": Code("proj_size"),
    "weight_hr": Code("weight_hr"), "c_attn": Code("attn.c_attn"), "merge_mode": Code("merge_mode"),
    "mixed_float16": Code("mixed_float16"), "autocast": Code("torch.autocast"),
    "fvcore": Code("fvcore"), "flop_counter": Code("FlopCounterMode"),
    "flop_counter_module": Code("torch.utils.flop_counter"),
    "float32": Code("float32"), "float16": Code("float16"), "bfloat16": Code("bfloat16"),
    # attention and transformer notes
    "k_dim": _S("d_k"), "v_dim": _S("d_v"), "L": _S("L"), "T": _T, "C": _S("C"), "P": _P,
    "n_p": _n_p, "k_d": _S("k_d"), "T_src": _S("T_src"),
    "H_kdim": lambda: _times(_H, _S("d_k")), "H_vdim": lambda: _times(_H, _S("d_v")),
    "three_d": lambda: 3 * _d,
    "d_h_split": lambda: sympy.Eq(_d_h, _d / _H, evaluate=False),
    "kv_proj_weights": lambda: _times(_d, _H_kv, _d_h), "q_proj_weights": lambda: _times(_d, _H, _d_h),
    "B_H": lambda: _times(_B, _H), "H_d_h": lambda: _times(_H, _d_h), "H_kv_d_h": lambda: _times(_H_kv, _d_h),
    "d_3d": lambda: _times(_d, 3 * _d), "H_kv_1": lambda: sympy.Eq(_H_kv, 1, evaluate=False),
    "falcon_qkv": lambda: _times(_d, _written(_H, 2), _d_h),
    "patch_conv": lambda: _written(_times(_d, _S("C"), _P**2), _d),
    "patch_conv_no_bias": lambda: _times(_d, _S("C"), _P**2),
    "positions_cls": lambda: _times(_written(_n_p, 1), _d), "P_by_P": lambda: Dims((_P, _P)),
    "V_E": lambda: _times(_V, _E), "E_d_d": lambda: _written(_times(_E, _d), _d),
    "L_minus_k_d": lambda: _written(_S("L"), -_S("k_d")),
    "T_plus_2": lambda: _written(_T, 2),
    "embed_dim": Code("embed_dim"), "k_proj": Code("k_proj"), "v_proj": Code("v_proj"),
    "q_proj": Code("q_proj"), "gate_proj": Code("gate_proj"), "up_proj": Code("up_proj"),
    "down_proj": Code("down_proj"), "relative_attention_bias": Code("relative_attention_bias"),
    "q_norm": Code("q_norm"), "k_norm": Code("k_norm"), "query_key_value": Code("query_key_value"),
    "qkv_proj": Code("qkv_proj"), "gate_up_proj": Code("gate_up_proj"),
    "linear1": Code("linear1"), "linear2": Code("linear2"),
    "query_pre_attn_scalar": Code("query_pre_attn_scalar"), "head_dim": Code("head_dim"),
    "use_bidirectional_attention": Code("use_bidirectional_attention: true"), "is_causal": Code("is_causal"),
    "false": Code("False"), "GemmaModel": Code("GemmaModel"), "Gemma2Model": Code("Gemma2Model"),
    "Gemma3TextModel": Code("Gemma3TextModel"), "sliding_window": Code("sliding_window"),
    "partial_rotary_factor": Code("partial_rotary_factor"),
    "attn_logit_softcapping": Code("attn_logit_softcapping"),
    "num_experts_per_tok": Code("num_experts_per_tok"),
    "embedding_hidden_mapping_in": Code("embedding_hidden_mapping_in"),
    "tie_word_embeddings": Code("tie_word_embeddings"),
    "return_sequences": Code("return_sequences"), "return_sequences_true": Code("return_sequences=True"),
    "return_sequences_false": Code("return_sequences=False"),
    "merge_mode_concat": Code('merge_mode="concat"'),
    # transformer blocks: their modules by name, and the symbols their sentences use
    "mha_same_as_torch": lambda: Chain((_S("E_q"), _S("E_k"), _S("E_v"), _S("E_out"), _times(_H, _S("d_k")),
                                _times(_H, _S("d_v")), _E)),
    "H_d_kv": lambda: _times(_H, _S("d_kv")), "V_by_d": lambda: Dims((_V, _d)),
    "d_kv": _S("d_kv"), "B_bias": _S("B"), "M_mask": _S("M"), "s_q": _S("s"), "c_cap": _S("c"),
    "minus_c": lambda: -_S("c"), "l": _S("l"), "H_per_kv": lambda: _H / _H_kv,
    "scale_attn_weights": Code("scale_attn_weights"),
    "scale_attn_by_inverse_layer_idx": Code("scale_attn_by_inverse_layer_idx"),
    "ln_1": Code("ln_1"), "ln_2": Code("ln_2"), "attn_c_proj": Code("attn.c_proj"),
    "mlp_c_fc": Code("mlp.c_fc"), "mlp_c_proj": Code("mlp.c_proj"),
    "bert_query": Code("query"), "bert_key": Code("key"), "bert_value": Code("value"),
    "attention_output_dense": Code("attention.output.dense"),
    "intermediate_dense": Code("intermediate.dense"), "output_dense": Code("output.dense"),
    "input_layernorm": Code("input_layernorm"), "post_attention_layernorm": Code("post_attention_layernorm"),
    "o_proj": Code("o_proj"), "t5_q": Code("q"), "t5_k": Code("k"), "t5_v": Code("v"), "t5_o": Code("o"),
    "wi": Code("wi"), "wi_0": Code("wi_0"), "wi_1": Code("wi_1"), "wo": Code("wo"),
    "enc_dec_attention": Code("EncDecAttention"), "t5_layer_norm": Code("T5LayerNorm"), "d_kv_name": Code("d_kv"),
    # arguments and weights of convolution, pooling, normalization and core layers
    "shared_axes": Code("shared_axes"), "num_parameters": Code("num_parameters"),
    "keepdims_true": Code("keepdims=True"), "affine_true": Code("affine=True"),
    "track_running_stats_true": Code("track_running_stats=True"), "mask_value": Code("mask_value"),
    "invert_true": Code("invert=True"), "adapt": Code("adapt()"), "padding_arg": Code("padding"),
    "padding_same": Code('padding="same"'), "padding_valid": Code('padding="valid"'),
    "padding_causal": Code('padding="causal"'), "p_sym": _p, "m": _S("m"), "strides": Code("strides"),
    "strides_none": Code("strides=None"), "pool_size": Code("pool_size"),
    "gamma": _S("gamma"), "beta": _S("beta"), "alpha": _S("alpha"), "gamma_name": Code("gamma"), "beta_name": Code("beta"),
    "momentum": Code("momentum"),
    "weight_name": Code("weight"), "bias_name": Code("bias"), "running_mean": Code("running_mean"),
    "running_var": Code("running_var"),
    "bias_ih": Code("bias_ih"), "bias_hh": Code("bias_hh"),
    "eight_h": lambda: 8 * _h, "four_h": lambda: 4 * _h, "two_four_h": lambda: _times(2, 4 * _h),
    "none": Code("None"), "model_summary": Code("model.summary()"),
    "mlp": Code("mlp"), "drop": Code("drop"), "output_shape": Code("output_shape"), "forward": Code("forward"),
    "dropout_name": Code("dropout"), "cls_token": Code("[CLS]"), "bert_pooler": Code("BertPooler"),
})
"""What a sentence's ``%(name)s`` placeholders stand for, in every sentence that uses them: a
sympy formula or symbol (typeset by the document's printer, in the order written: KaTeX math in
Markdown, math mode in LaTeX, plain Unicode in text), the sizes of a matrix (:class:`Dims`) or a
name from code (:class:`Code`, in code font). Translators move placeholders, never formulas.
A formula is built when first read (a document's sentences use a few of them)."""


def plain_placeholders(lang: str = "en") -> dict[str, str]:
    """The placeholders as plain text (the text format, JSON, ``explain layers``)."""
    from .mathtex import MathPrinter
    out = {k: str(v) for k, v in fill_placeholders(MathPrinter(lang, plain=True), math=unicode_powers, code=str).items()}
    out.update({k: unicodedata.lookup("GREEK SMALL LETTER " + v.name.upper())
                for k, v in PLACEHOLDERS.items() if isinstance(v, sympy.Symbol) and v.name in _GREEK})
    return {**out, **{k: v for k, v in ROLE_PLAIN.items() if k not in PLACEHOLDERS}}


class Typeset:
    """A placeholder's text, typeset when a sentence first uses it: ``%`` formatting calls ``str``.
    A document's sentences use a few dozen of the placeholders, and typesetting all of them (a
    formula each) was work every document paid."""

    __slots__ = ("_make", "_text")

    def __init__(self, make: Callable[[], str]) -> None:
        self._make: Optional[Callable[[], str]] = make
        self._text = ""

    def __str__(self) -> str:
        if self._make is not None:
            self._text, self._make = self._make(), None
        return self._text


def fill_placeholders(printer: Any, math: Callable[[str], str], code: Callable[[str], str],
                      times: str = " × ") -> dict[str, Typeset]:
    """Every placeholder printed with ``printer`` (a :class:`~.mathtex.MathPrinter`), then wrapped
    by ``math`` (a formula) or ``code`` (a name), when a sentence first uses it (:class:`Typeset`)."""
    def typeset(key: str) -> str:
        value = PLACEHOLDERS[key]
        if isinstance(value, Code):
            return code(str(value))
        if isinstance(value, Dims):
            return math(times.join(printer.written(v) for v in value))
        if isinstance(value, Parens):
            return math("(" + ", ".join(printer.written(v) for v in value) + ")")
        if isinstance(value, Chain):
            return math(" = ".join(printer.written(v) for v in value))
        return math(printer.written(value))

    out = {k: Typeset(functools.partial(math, v)) for k, v in ROLE_MATH.items() if k not in PLACEHOLDERS}
    out.update({k: Typeset(functools.partial(code, v)) for k, v in ROLE_CODE.items() if k not in PLACEHOLDERS})
    out.update({key: Typeset(functools.partial(typeset, key)) for key in PLACEHOLDERS})
    return out


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def unicode_powers(text: str) -> str:
    """``4E^2`` → ``4E²``, ``-`` → ``−``: a plain formula as a reader writes it."""
    text = re.sub(r"\^(\d+)", lambda m: m.group(1).translate(_SUPERSCRIPTS), text)
    return text.replace(" - ", " − ").replace("(-", "(−")


def role_message(explanation: str | None, has_weights: bool) -> str:
    """The layer's explanation (a msgid its class declares), or the generic sentence."""
    if explanation:
        return explanation
    return GENERIC_WITH_WEIGHTS if has_weights else GENERIC_WITHOUT_WEIGHTS

# Why a convolution's padding p is what it is (its padding mode); the arguments are math.
PADDING = {
    "valid": N_("With %(padding_valid)s nothing is added around the input: %(p)s, and every "
                "window lies inside the input."),
    # Translators: %(p)s is "p = (k − 1)/2 = (3 − 1)/2 = 1"
    "same_half": N_("For an odd kernel size with stride 1, %(padding_same)s adds %(p_sym)s zeros "
                    "at both ends of every spatial axis, so that the output has the size of the "
                    "input: %(p)s."),
    # Translators: a dilated kernel's size is k_eff = d(k − 1) + 1; %(p)s is "p = (k_eff − 1)/2 = 2"
    "same_half_dilated": N_("For an odd dilated kernel size with stride 1, %(padding_same)s adds "
                            "%(p_sym)s zeros at both ends of every spatial axis, so that the output "
                            "has the size of the input: %(p)s."),
    # Translators: a 1 × 1 (pointwise) convolution; %(p)s is "p = 0"
    "same_one": N_("With %(padding_same)s and stride 1, a kernel of size 1 needs no padding "
                   "(%(p)s): the output has the size of the input."),
    # Translators: %(out)s is "⌈n/s⌉ = ⌈57/2⌉ = 29"; a display equation follows: p₁ + p₂ = max(…) = 2
    "same": N_("With %(padding_same)s the output size is the input size divided by the stride, "
               "rounded up: %(out)s. The total padding this needs along each spatial axis is:"),
    # Translators: after the total padding (a display equation): %(p)s is "p = 1"
    "same_even": N_("It is split evenly: %(p)s at both ends of every spatial axis."),
    # Translators: after the total padding (a display equation): %(p1)s is "p₁ = ⌊1/2⌋ = 0", %(p2)s "p₂ = 1 − 0 = 1"
    "same_split": N_("It is split into %(p1)s at the start of every spatial axis and %(p2)s at its "
                     "end (in an image, the start is the top and the left edge, the end the bottom "
                     "and the right edge)."),
    "causal": N_("With %(padding_causal)s %(p1)s zeros are added before the sequence and none "
                 "after it (%(p2)s), so that no output depends on a later time step."),
}
# Translators: %(arg)s is the argument as code (strides=None), %(s_k)s "s = k = 3"
STRIDE_DEFAULT = N_("The stride is not given (%(arg)s, the default), so it equals the pool size, "
                    "%(s_k)s: the windows do not overlap.")
# Unpadded windows that do not reach the end of the input (254 rows, k = s = 3: 84 windows cover
# 252 rows): %(end)s is "(84 − 1) × 3 + 3 = 252", %(rest)s "254 − 252 = 2" (math); keyed by the
# number of spatial axes (2, or 0 for any other) and whether one entry is left ("one") or more
DROPPED = {
    # Translators: %(count)s is the number of rows left ("2"), %(rest)s "254 − 252 = 2"
    (2, "many"): N_("The windows cover the first %(end)s rows and columns, so the last %(count)s rows "
                    "and the last %(count)s columns (%(rest)s) fall outside every window and are "
                    "dropped (hence the floor)."),
    # Translators: %(rest)s is "39 − 38 = 1"
    (2, "one"): N_("The windows cover the first %(end)s rows and columns, so the last row and the "
                   "last column (%(rest)s) fall outside every window and are dropped (hence the "
                   "floor)."),
    (0, "many"): N_("The windows cover the first %(end)s entries along each spatial axis, so the "
                    "last %(count)s entries (%(rest)s) fall outside every window and are dropped "
                    "(hence the floor)."),
    # Translators: %(rest)s is "39 − 38 = 1"
    (0, "one"): N_("The windows cover the first %(end)s entries along each spatial axis, so the "
                   "last entry (%(rest)s) falls outside every window and is dropped (hence the "
                   "floor)."),
}
# Translators: %(arg)s is the argument as code, padding=((0, 1), (0, 1)); the sizes follow, one line per axis
PAD_EDGES = N_("Here %(arg)s. Each spatial axis grows by the zeros added at its start and at its "
               "end:")
# Translators: %(arg)s is the argument as code, cropping=((1, 1), (2, 2)); the sizes follow
CROP_EDGES = N_("Here %(arg)s. Each spatial axis shrinks by the entries cut off at its start and "
                "at its end:")
# Translators: a convolution's stride, given by its argument: %(s)s is "s = 2", %(arg)s "strides=2" (code)
STRIDE_GIVEN = N_("Stride %(s)s (%(arg)s).")
# Translators: a pooling layer's window: %(k)s is "k = 3", %(s)s "s = 2", %(arg)s "strides=2" (code)
POOL_STRIDE_GIVEN = N_("Pool size %(k)s and stride %(s)s (%(arg)s).")
# Translators: the same in a later pooling layer's one-line entry
STRIDE_DEFAULT_BRIEF = N_("Stride %(s_k)s, equal to the pool size because %(arg)s.")
PADDING_BRIEF = {
    "valid": N_("%(padding_valid)s: %(p)s."),
    "same_half": N_("%(padding_same)s with stride 1: %(p)s."),
    "same_one": N_("%(padding_same)s with a kernel of size 1: %(p)s."),
    "same": N_("%(padding_same)s: %(p)s."),
    "causal": N_("%(padding_causal)s: %(p)s."),
}

# The block types of a large model, described once after its table of stages.
BLOCK_KINDS = {
    # Translators: %(stages)s is a range of stage names (conv2_x–conv5_x), %(widths)s the channels
    # along the main path of the first block (64 → 64 → 64 → 256), %(first)s that block's name
    "bottleneck": N_("The blocks of %(stages)s are bottleneck blocks. On the main path a 1 × 1 "
                     "convolution sets the number of channels to the block's bottleneck width (fewer than "
                     "its output has), a %(k)s convolution works at this width, and a 1 × 1 "
                     "convolution expands it again (in %(first)s: "
                     "%(widths)s channels). Each convolution is followed by a batch normalization "
                     "layer, the first two also by a ReLU. An Add layer then adds the block's input to "
                     "the main path's output, and a ReLU follows the sum; this skip connection has no "
                     "parameters. Where the input already has the output's "
                     "shape, it is added unchanged (identity shortcut); in the first block of a "
                     "stage a 1 × 1 convolution followed by a batch normalization layer, the "
                     "projection shortcut, runs in parallel with the main path and brings the "
                     "input to the output's number of channels (and, with stride 2, to its size)."),
    # Translators: %(t)s is the expansion factor, %(k)s the kernel (3 × 3), %(block)s a block's
    # name, %(separable)s and %(standard)s two parameter counts with their formulas
    "inverted_residual": N_("The blocks %(stages)s are inverted residual blocks, the building "
                            "block of MobileNetV2. A 1 × 1 convolution multiplies the number of "
                            "channels by the expansion factor %(t)s, and a %(k)s depthwise "
                            "convolution then filters each channel separately; both are followed "
                            "by batch normalization and ReLU6. A final 1 × 1 convolution with "
                            "batch normalization but no activation projects the channels down to the "
                            "block's output width (the linear bottleneck). An Add layer adds the block's "
                            "input to its output only where the stride is 1 and input and output "
                            "have the same number of channels; it has no parameters. "
                            "Together, the depthwise convolution and the 1 × 1 projection replace a "
                            "standard %(k)s convolution with far fewer weights: in %(block)s, "
                            "%(separable)s weights instead of %(standard)s."),
}
# Translators: %(block)s is a block's name (expanded_conv, code), %(t)s "t = 1" (math)
BLOCK_NO_EXPANSION = N_("%(block)s is an inverted residual block too, with %(t)s: it has no "
                        "expanding 1 × 1 convolution, and its depthwise convolution filters the "
                        "block's input channels directly.")

def english(message: str) -> str:
    """``message`` (a msgid) with its placeholders filled as plain text: the English sentence a
    terminal shows (for tests and plain output)."""
    return message % plain_placeholders()
