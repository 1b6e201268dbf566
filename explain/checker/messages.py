"""The sentences of the feedback sheet, in English; the renderer translates them with the
project's gettext catalogs (``templates/locales``). Placeholders are ``%(name)s`` so the same
strings serve Jinja2's i18n extension and Python.

A mistake's sentence is chosen by its code and, where a code covers several situations, by a
key of its facts (``bn_non_trainable`` with ``buffers`` is PyTorch's case).
"""
from __future__ import annotations

from ..msgid import N_


VERDICT_LABELS = {
    # Translators: a verdict on a student's claim in the feedback sheet
    "correct": N_("correct"),
    # Translators: a verdict: the formula is right, the arithmetic is not
    "arithmetic_slip": N_("arithmetic slip"),
    # Translators: a verdict in the table and in the claim's heading: the formula is wrong, the result is right (the cross comes first in the table)
    "wrong_formula": N_("wrong formula (result correct)"),
    # Translators: a verdict on a student's claim in the feedback sheet
    "wrong": N_("wrong"),
    # Translators: a verdict: the claim could not be read (not arithmetic this tool understands)
    "unreadable": N_("unreadable"),
    "unattributed": N_("not attributed"),
}

# A verdict in a claim's heading, where it is already in parentheses, where it differs from the table's
VERDICT_HEADINGS: dict[str, str] = {
    # Translators: the verdict in a claim's heading, inside parentheses: the formula is wrong, the
    # result is right
    "wrong_formula": N_("wrong formula, but correct result"),
}

VERDICT_SENTENCES = {
    # Translators: the whole diagnosis of a correct claim in the feedback sheet
    "correct": N_("Correct."),
    "arithmetic_slip": N_("The formula is right, but it evaluates to %(expected)s, not %(result)s."),
    # Translators: %(written)s is the student's formula as written and what it evaluates to ("512 × 128 + 512 = 66,048")
    "wrong_formula": N_("The result %(expected)s is correct, but the formula as written gives %(written)s."),
    "wrong": N_("The correct value is %(expected)s, not %(claimed)s."),
    "unreadable": N_("This claim could not be judged: %(reason)s"),
    "unattributed": N_("This calculation could not be attributed to a layer, so it was not judged."),
}

PLACES = {
    "line": N_("Line %(line)s."),
    "cell": N_("Cell %(cell)s, line %(line)s."),
    "output": N_("Output of cell %(cell)s, line %(line)s."),
    "page": N_("Page %(page)s, line %(line)s."),
}

ATTRIBUTIONS = {
    "same_line": N_("Attributed to %(layer)s: it is named on the same line."),
    "table_row": N_("Attributed to %(layer)s: it is named in the same table row."),
    "list_item": N_("Attributed to %(layer)s: it is named in the same list item."),
    "heading": N_("Attributed to %(layer)s: it is named in the heading above."),
    "factors": N_("Attributed to %(layer)s: the only layer whose sizes match the calculation's numbers."),
    "factors_context": N_("Attributed to %(layer)s: its sizes match the calculation's numbers, and it is the layer named last above."),
    "total": N_("About the whole model: the line speaks of a total."),
    "ambiguous": N_("Not attributed: the calculation fits several layers (%(layers)s)."),
    "no_match": N_("Not attributed: no layer is named nearby, and no layer's sizes match the calculation's numbers."),
}

# code, or (code, key of the facts that must be present)
MISTAKES: dict[str | tuple[str, str], str] = {
    "missing_bias": N_("The bias is left out: %(bias)s more parameters, one per output."),
    "extra_bias": N_("This layer has no bias here, but %(bias)s bias values were added."),
    "embedding_bias": N_("An embedding has no bias, only its table of V·d weights, but %(bias)s bias values were added."),
    "bias_size": N_("The bias has one entry per output, %(expected_length)s, not %(length)s."),
    "missing_input_channels": N_("Each filter spans all %(c_in)s input channels: the kernel needs the factor c_in = %(c_in)s."),
    "groups_ignored": N_("With groups = %(groups)s each filter sees only c_in/g input channels: divide the kernel by %(groups)s."),
    "kernel_one_axis": N_("The kernel has k_h·k_w positions, not %(kernel)s: multiply both kernel sides."),
    ("bn_non_trainable", "non_trainable"): N_("Keras counts BatchNormalization's moving mean and variance (%(non_trainable)s values) as parameters, non-trainable ones."),
    ("bn_non_trainable", "buffers"): N_("PyTorch's running mean and variance (%(buffers)s values) are buffers, not parameters."),
    "buffers_counted": N_("Buffers (%(buffers)s values, such as running statistics) are state, not parameters."),
    "non_trainable_left_out": N_("Non-trainable weights (%(non_trainable)s) are parameters too: the count includes them."),
    ("rnn_double_bias", "keras"): N_("This Keras layer has one bias vector, holding the biases of its weight groups one after another; a second vector is PyTorch's convention (%(bias_ih_l0)s and %(bias_hh_l0)s)."),
    ("rnn_double_bias", "keras_reset_after"): N_("With %(reset_after_true)s this Keras GRU's bias is a matrix of two rows, one for the input side and one for the recurrent side (as PyTorch's %(bias_ih_l0)s and %(bias_hh_l0)s), so each weight group has two bias vectors, not four: %(gru_keras_torch)s."),
    ("rnn_double_bias", "pytorch"): N_("PyTorch recurrent layers have two bias vectors, each holding the biases of all weight groups one after another, so each weight group has two biases: one in %(bias_ih_l0)s and one in %(bias_hh_l0)s."),
    ("gru_reset_after", "true"): N_("A Keras GRU with %(reset_after_true)s (the default) has a bias matrix of two rows, one for the input side and one for the recurrent side: %(gru_keras_torch)s."),
    ("gru_reset_after", "false"): N_("A Keras GRU with %(reset_after_false)s has one bias vector, holding the biases of its weight groups one after another: %(gru_one_bias)s."),
    "missing_recurrent_weights": N_("The recurrent kernel (%(h_by_h)s per weight group, %(recurrent)s values) is left out."),
    "wrong_gate_count": N_("This layer has %(expected_gates)s gate(s), not %(gates)s."),
    "bidirectional_once": N_("A bidirectional layer has two independent copies of the weights: count both directions."),
    "stacked_input_size": N_("In PyTorch, stacked layers after the first take h·D inputs, not input_size = %(input_size)s."),
    ("attention_convention", "pytorch"): N_("Keras MultiHeadAttention projects to num_heads·key_dim columns; 4E² + 4E is PyTorch's count."),
    ("attention_convention", "keras"): N_("PyTorch's MultiheadAttention splits E across the heads: 4E² + 4E, whatever num_heads."),
    ("attention_convention", "heads"): N_("key_dim is per head: the projections have num_heads·key_dim columns."),
    ("attention_convention", "key_dim"): N_("key_dim is set explicitly, not E/num_heads = %(key_dim)s."),
    ("depthwise_separable_confusion", "separable"): N_("A standard convolution: every filter spans all input channels (k·k·c_in·c_out); it is not a depthwise plus pointwise pair."),
    ("depthwise_separable_confusion", "conv"): N_("A depthwise or separable convolution has one k × k filter per input channel (times depth_multiplier), not a full convolution."),
    ("depthwise_separable_confusion", "two_biases"): N_("Keras's separable convolution has one bias (c_out), after the pointwise step; two biases come from building it out of two convolutions."),
    ("depthwise_separable_confusion", "depthwise"): N_("The pointwise 1 × 1 kernel (c_in·m·c_out) is missing."),
    "flatten_size": N_("The flattened size comes from a wrong shape: %(layer)s gives %(expected_shape)s, not %(shape)s."),
    "wrong_input_shape": N_("The input size comes from a wrong shape: %(layer)s gives %(expected_shape)s, not %(shape)s."),
    "output_off_by_one": N_("The output of %(layer)s is off by one: it is %(expected_shape)s, not %(shape)s."),
    "wrong_padding": N_("%(layer)s has padding='%(actual)s': its output is %(expected_shape)s, not %(shape)s (that would be padding='%(padding)s')."),
    "missing_channels": N_("The output size includes the %(channels)s channels."),
    "dense_whole_input": N_("Dense acts on the last axis only: n_in is the last input size, not all %(inputs)s values."),
    "vocab_off_by_one": N_("The embedding table has input_dim rows; %(vocab)s is off by one."),
    "tied_counted_twice": N_("Tied or shared weights (%(layers)s) count once: %(extra)s were counted twice."),
    "carried_forward": N_("The total is the sum of the values claimed above (%(layers)s differ): an error carried forward, not a new one."),
    # Translators: an exercise's answer that is right for the wrong output shape the student gave the layer before
    ("carried_forward", "source"): N_("It is right for the output shape %(shape)s claimed for %(source)s, which is wrong: an error carried forward, not a new one."),
    "channels_swapped": N_("Input and output channels are swapped: the layer maps c_in = %(c_in)s channels to c_out = %(c_out)s."),
    "pooling_skipped": N_("The size skips the pooling layer %(layer)s: after it the shape is %(expected_shape)s, not %(shape)s."),
    ("input_from_wrong_layer", "layer"): N_("The input size %(size)s is taken from %(source)s, not from the layer before: this layer receives %(expected_size)s values per step."),
    ("input_from_wrong_layer", "direction"): N_("A bidirectional layer passes on both directions, 2h = %(expected_size)s values per step, not h = %(size)s."),
    "bn_all_non_trainable": N_("Only BatchNormalization's moving mean and variance (%(non_trainable)s values) are non-trainable; γ and β (%(trainable)s values) are trained."),
    ("no_weights", "pool"): N_("A pooling layer has no weights: its window is not a kernel, it only says which values are combined. Its count is 0."),
    ("no_weights", "dropout"): N_("This layer has no weights: it only changes its inputs at random during training. Its count is 0."),
    ("no_weights", "rearrange"): N_("This layer has no weights: it only rearranges the values of its input. Its count is 0."),
    ("no_weights", "other"): N_("This layer has no weights: its count is 0."),
    "pool_size": N_("%(layer)s has pool size %(pool)s, not %(assumed)s: its output is %(expected_shape)s, not %(shape)s."),
    "stride_ignored": N_("%(layer)s has stride %(stride)s: its output is %(expected_shape)s, not %(shape)s (that would be stride 1)."),
    ("wrong_gate_count", "gru"): N_("A GRU has three sets of weights (update gate, reset gate, candidate state), not %(gates)s: 4 is the LSTM's factor."),
    ("wrong_gate_count", "lstm"): N_("An LSTM has four sets of weights (input, forget and output gates, cell candidate), not %(gates)s: 3 is the GRU's factor."),
    ("wrong_gate_count", "simple"): N_("A simple RNN has no gates: one set of input weights, recurrent weights and bias, not %(gates)s."),
    "repeat_counted_once": N_("This layer stands for %(repeat)s copies: the count is %(repeat)s times one copy's."),
    # compute claims (MACs, FLOPs) and training memory claims
    "flops_as_macs": N_("This counts FLOPs, two per multiply-accumulate (a multiplication and an addition): the number of MACs is half of it."),
    "macs_as_flops": N_("This counts multiply-accumulates (MACs); a FLOP count takes two per multiply-accumulate, a multiplication and an addition, so it is twice as large."),
    "training_flops": N_("This is the compute of a training step, about 3 × the forward pass (the backward pass takes about twice the forward); the claim is about one forward pass."),
    "per_token": N_("This is the count per token; for the whole sequence of %(length)s tokens it is that many times larger."),
    "per_sequence": N_("This is the count for the whole sequence of %(length)s tokens; per token it is that count divided by %(length)s."),
    "input_size_for_output": N_("The positions are taken from the input, %(input)s, but the kernel is applied once per position of the output, %(output)s."),
    "bias_adds_as_macs": N_("The bias adds (%(bias_adds)s, one per output value) are counted as multiply-accumulates: an addition alone is not one, it counts among the other operations."),
    "kaplan_approximation": N_("This is Kaplan et al.'s approximation 2N + 2·n_layer·n_ctx·d_attn, which leaves out the embeddings, the LM head, the biases and the norms; the claim asks for the exact count."),
    "memory_parameters_only": N_("Only the parameters are counted, at %(bytes)s bytes each: training also keeps a gradient and the optimizer's state for every trainable parameter, %(per)s bytes per parameter in all."),
    "memory_no_optimizer": N_("The optimizer's state is left out: it keeps %(state)s bytes per trainable parameter, %(per)s bytes per parameter in all."),
    "memory_optimizer_only": N_("Only the optimizer's share is counted (%(optimizer)s bytes per parameter, ZeRO's K): the parameter and its gradient take %(rest)s bytes more."),
    "memory_no_master": N_("In mixed precision the optimizer also keeps a 32-bit copy of every trainable parameter (%(master)s bytes): %(per)s bytes per parameter, not %(claimed_per)s."),
    "memory_one_moment": N_("Adam keeps two values per parameter, the first and the second moment (8 bytes in float32), not one."),
    "memory_frozen_counted": N_("The %(non_trainable)s non-trainable parameters are stored, but have no gradient and no optimizer state."),
    "memory_unit": N_("A %(unit)s is %(size)s bytes and a %(other)s %(other_size)s bytes: the number given is the size in %(other)s."),
}

# a shape claim compared axis by axis: the one sentence for each wrong axis
AXES = {
    "height": N_("The height is %(expected)s, not %(claimed)s."),
    "width": N_("The width is %(expected)s, not %(claimed)s."),
    "height_width": N_("The height and the width are %(expected)s, not %(claimed)s."),
    "depth": N_("The depth is %(expected)s, not %(claimed)s."),
    "length": N_("The length is %(expected)s, not %(claimed)s."),
    "channels": N_("The number of channels is %(expected)s, not %(claimed)s."),
    # Translators: an axis of a layer's output shape, numbered as Keras does (the batch axis is 0)
    "axis": N_("Axis %(axis)s has size %(expected)s, not %(claimed)s."),
}

NO_DIAGNOSIS = N_("This does not match a mistake this tool knows; compare with the derivation.")
# what a claim states
# Translators: what a student's claim is about: a layer's output size (the number of output values)
OUTPUT_SIZE = N_("output size")
# Translators: what a student's claim is about: a layer's or the model's number of parameters
PARAMETERS = N_("parameters")
# Translators: what a student's claim is about: the multiply-accumulates of a forward pass for one sample
MACS = N_("MACs per sample")
# Translators: what a student's claim is about: the multiply-accumulates of a forward pass per token
MACS_PER_TOKEN = N_("MACs per token")
# Translators: what a student's claim is about: the floating-point operations of a forward pass for one sample
FLOPS = N_("FLOPs per sample")
# Translators: what a student's claim is about: the floating-point operations of a forward pass per token
FLOPS_PER_TOKEN = N_("FLOPs per token")
# Translators: what a student's claim is about: the memory (in bytes) of parameters, gradients and optimizer state in training
MEMORY = N_("training memory in bytes")
# Translators: %(optimizer)s is an optimizer's name (Adam, SGD …), %(precision)s "float32" or "mixed precision"
MEMORY_SETTING = N_("The claim is about the model states in training with %(optimizer)s in %(precision)s: parameters, gradients and optimizer state.")
# Translators: a precision of training: 16-bit parameters and gradients with 32-bit master weights
MIXED = N_("mixed precision")
# Translators: an optimizer's name
SGD_MOMENTUM = N_("SGD with momentum")
# Translators: what a student's claim is about: the number of trainable parameters
TRAINABLE = N_("trainable parameters")
# Translators: what a student's claim is about: the number of non-trainable parameters
NON_TRAINABLE = N_("non-trainable parameters")
# what a weight group of the correct derivation is, if not trainable parameters
# Translators: after a weight group in a derivation: its values are a buffer (state, not parameters)
BUFFER = N_("buffer")
# Translators: after a weight group in a derivation: training does not change it
NOT_TRAINABLE = N_("not trainable")


def mistake_key(code: str, detail: dict) -> str | tuple[str, str]:
    """The MISTAKES key for a variant: the code, refined by the facts where it has several."""
    if code == "carried_forward" and "source" in detail:
        return (code, "source")
    if code == "bn_non_trainable":
        return (code, "buffers" if "buffers" in detail else "non_trainable")
    if code == "rnn_double_bias":
        framework = detail.get("framework", "keras")
        return (code, "keras_reset_after" if framework == "keras" and detail.get("reset_after") else framework)
    if code == "gru_reset_after":
        return (code, "true" if detail.get("reset_after") else "false")
    if code == "attention_convention":
        if "heads" in detail:
            return (code, "heads")
        if "key_dim" in detail:
            return (code, "key_dim")
        return (code, detail.get("framework", "pytorch"))
    if code == "input_from_wrong_layer":
        return (code, "direction" if detail.get("direction") else "layer")
    if code == "no_weights":
        return (code, detail.get("kind", "other"))
    if code == "wrong_gate_count":
        expected, gates = detail.get("expected_gates"), detail.get("gates")
        if expected == 1:
            return (code, "simple")
        if (expected, gates) == (3, 4):
            return (code, "gru")
        if (expected, gates) == (4, 3):
            return (code, "lstm")
        return code
    if code == "depthwise_separable_confusion":
        return (code, detail.get("as", "conv"))
    return code

