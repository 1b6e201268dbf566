"""What layer types do, in sentences for readers (message ids, translated where they are shown).

Each layer class names its explanation as a class attribute (``Layer.explanation``), and its
subclasses inherit it: every sentence here must be true of every type that uses it. A type for
which a family's sentence would be false gets a sentence of its own.
"""
from __future__ import annotations

from ..msgid import N_

# -- convolutions
CONV = N_("A convolutional layer slides its filters over the input. Each filter has one kernel "
          "weight for every kernel position and input channel, and one bias.")
CONV_NO_BIAS = N_("A convolutional layer slides its filters over the input. Each filter has one "
                  "kernel weight for every kernel position and input channel. This layer has no "
                  "bias.")
CONV_TRANSPOSE = N_("A transposed convolution spreads every input position over a window of the "
                    "output. Its kernel has one weight for every kernel position, input channel and "
                    "output channel, and each filter has one bias.")
CONV_TRANSPOSE_NO_BIAS = N_("A transposed convolution spreads every input position over a window "
                            "of the output. Its kernel has one weight for every kernel position, "
                            "input channel and output channel. This layer has no bias.")
CONV_GROUPED = N_("A grouped convolution splits the input channels into g groups, and every filter "
                  "sees only the channels of its group: it has one kernel weight for every kernel "
                  "position and input channel of its group, and one bias.")
CONV_GROUPED_NO_BIAS = N_("A grouped convolution splits the input channels into g groups, and "
                          "every filter sees only the channels of its group: it has one kernel "
                          "weight for every kernel position and input channel of its group. This "
                          "layer has no bias.")
CONV_TRANSPOSE_GROUPED = N_("A grouped transposed convolution spreads every input position over a "
                            "window of the output, group by group: its kernel has one weight for "
                            "every kernel position and every pair of an input channel and an output "
                            "channel of the same group, and each filter has one bias.")
CONV_TRANSPOSE_GROUPED_NO_BIAS = N_("A grouped transposed convolution spreads every input "
                                    "position over a window of the output, group by group: its "
                                    "kernel has one weight for every kernel position and every "
                                    "pair of an input channel and an output channel of the same "
                                    "group. This layer has no bias.")
DEPTHWISE = N_("A depthwise convolution filters each input channel separately: every input "
               "channel gets %(m)s filters of its own (%(m)s is the depth multiplier, usually 1), "
               "and each filter has one weight per kernel position, not one per kernel position "
               "and input channel. Each filter has one bias.")
DEPTHWISE_NO_BIAS = N_("A depthwise convolution filters each input channel separately: every "
                       "input channel gets %(m)s filters of its own (%(m)s is the depth "
                       "multiplier, usually 1), and each filter has one weight per kernel "
                       "position, not one per kernel position and input channel. This layer has "
                       "no bias.")
SEPARABLE = N_("A separable convolution is a depthwise convolution followed by a pointwise "
               "(1 × 1) convolution that mixes the channels.")

# -- dense layers
DENSE = N_("A fully connected (dense) layer connects every input to every output: one weight for "
           "each input–output pair and one bias for each output.")
DENSE_NO_BIAS = N_("A fully connected (dense) layer connects every input to every output: one "
                   "weight for each input–output pair. This one has no bias.")
EINSUM_DENSE = N_("An EinsumDense layer multiplies its input by a kernel along the axes its einsum "
                  "equation names: the equation sets the kernel's shape, and bias_axes, if given, "
                  "the bias's.")
BILINEAR = N_("A bilinear layer combines its two inputs through a weight tensor: one weight for "
              "every output and every pair of a feature of the first input and a feature of the "
              "second, and one bias for each output.")
BILINEAR_NO_BIAS = N_("A bilinear layer combines its two inputs through a weight tensor: one "
                      "weight for every output and every pair of a feature of the first input and "
                      "a feature of the second. This one has no bias.")

# -- pooling, padding, resampling
POOL = N_("A pooling layer takes the maximum or the average of each window. It has no weights.")
LP_POOL = N_("An LP pooling layer takes the p-norm of each window: the p-th root of the sum of "
             "the p-th powers. It has no weights.")
MAX_POOL = N_("A max pooling layer keeps the largest value of each window. It has no weights.")
AVG_POOL = N_("An average pooling layer takes the mean of each window. It has no weights.")
ADAPTIVE_MAX_POOL = N_("An adaptive max pooling layer keeps the largest value of each window and "
                       "chooses the windows so that the output has the requested size. It has no "
                       "weights.")
ADAPTIVE_AVG_POOL = N_("An adaptive average pooling layer takes the mean of each window and "
                       "chooses the windows so that the output has the requested size. It has no "
                       "weights.")
GLOBAL_MAX_POOL = N_("A global max pooling layer reduces every channel to its largest value over "
                     "all positions: the axes it pools over disappear (with %(keepdims_true)s "
                     "they stay, with size 1). It has no weights.")
GLOBAL_AVG_POOL = N_("A global average pooling layer reduces every channel to its mean over all "
                     "positions: the axes it pools over disappear (with %(keepdims_true)s they "
                     "stay, with size 1). It has no weights.")
# Translators: a global pooling layer with keepdims=True; %(keepdims_true)s is "keepdims=True" (code)
GLOBAL_MAX_POOL_KEPT = N_("A global max pooling layer reduces every channel to its largest value over "
                          "all positions. Here %(keepdims_true)s: the axes it takes the maximum over "
                          "stay, each with size 1. It has no weights.")
# Translators: a global pooling layer with keepdims=True; %(keepdims_true)s is "keepdims=True" (code)
GLOBAL_AVG_POOL_KEPT = N_("A global average pooling layer reduces every channel to its mean over all "
                          "positions. Here %(keepdims_true)s: the axes it averages over stay, each "
                          "with size 1. It has no weights.")
ADAPTIVE_POOL = N_("An adaptive pooling layer takes the maximum or the average of each window and "
                   "chooses the windows so that the output has the requested size. It has no "
                   "weights.")
GLOBAL_POOL = N_("A global pooling layer reduces every channel to a single number. It has no "
                 "weights.")
PAD = N_("A padding layer adds values around the input along the spatial axes. It has no weights.")
ZERO_PAD = N_("A zero-padding layer adds zeros at the start and at the end of every spatial axis, "
              "as many as its argument %(padding_arg)s gives for each end (top and bottom, left "
              "and right in an image). It has no weights.")
CROPPING = N_("A cropping layer cuts the given amounts off the input's edges along the spatial axes. "
              "It has no weights.")
UPSAMPLE = N_("This layer enlarges the input along the spatial axes by interpolation. It has no "
              "weights.")

# -- shape and element-wise layers
FLATTEN = N_("A flatten layer reshapes each sample's input (e.g. its feature maps) into a single "
             "vector; the batch axis is kept. It has no weights.")
RESHAPE = N_("This layer rearranges its input into another shape. It has no weights.")
REPEAT_VECTOR = N_("This layer repeats its input vector n times, which makes a sequence. It has "
                   "no weights.")
INPUT = N_("The model's input.")
# Translators: %(r)s is the math symbol r, %(rate)s the argument's name in code font, %(scale)s the
# formula 1/(1 − r)
DROPOUT = N_("During training this layer sets each element of its input to zero with probability "
             "%(r)s (%(rate)s) and multiplies the others by %(scale)s, so that every element keeps "
             "its expected value. At inference it is inactive: it passes its input on unchanged. It "
             "has no weights.")
# Translators: %(r)s is the math symbol r (or "r = 0.25"), %(rate)s the argument's name in code
# font, %(scale)s the formula 1/(1 − r)
SPATIAL_DROPOUT = N_("During training this layer sets whole channels to zero, each with probability "
                     "%(r)s (%(rate)s), and multiplies the others by %(scale)s. At inference it is "
                     "inactive: it passes its input on unchanged. It has no weights.")
GAUSSIAN_NOISE = N_("During training this layer adds random noise with mean 0 to its input. At "
                    "inference it is inactive: it passes its input on unchanged. It has no "
                    "weights.")
GAUSSIAN_DROPOUT = N_("During training this layer multiplies its input by random noise with mean 1. "
                      "At inference it is inactive: it passes its input on unchanged. It has no "
                      "weights.")
ALPHA_DROPOUT = N_("During training this layer sets random inputs to the value SELU gives for "
                   "very negative inputs, then rescales so that the mean and the variance stay the "
                   "same. At inference it is inactive: it passes its input on unchanged. It has no "
                   "weights.")
IDENTITY = N_("This layer passes its input on unchanged. It has no weights.")
ACTIVATION = N_("An activation layer applies its activation function to its input. It has no "
                "weights.")
# Translators: a Keras Activation layer with activation="softmax"; %(softmax)s is its formula (math)
ACTIVATION_SOFTMAX = N_("This layer applies softmax to its input, %(softmax)s: it turns the values along "
                        "the last axis into probabilities that add up to 1. It has no weights.")
# Translators: %(f)s is the function as math, e.g. "ReLU6(x) = min(max(x, 0), 6)"
ACTIVATION_FUNCTION = N_("This layer applies %(f)s to its input element-wise. It has no weights.")
# Translators: a Keras ReLU layer with a cap; %(f)s as above, %(max_value)s is "max_value=6.0" (code)
RELU_CAPPED = N_("This layer applies %(f)s to its input element-wise (Keras's ReLU layer with "
                 "%(max_value)s). It has no weights.")
# Translators: %(softmax)s is the formula y_i = e^{x_i} / Σ_j e^{x_j}
SOFTMAX = N_("Softmax turns the values along one axis into probabilities that add up to 1, "
             "%(softmax)s: every output depends on all the values along that axis, not on one "
             "element alone. It has no weights.")
# Translators: %(prelu)s is the formula f(x) = max(x, 0) + α·min(x, 0)
PRELU = N_("PReLU is a leaky ReLU whose slope %(alpha)s for negative inputs is learned, "
           "%(prelu)s. Its weights are these slopes: by default one for every entry of the input "
           "(every position and channel); %(shared_axes)s shares one slope along the axes it "
           "lists. PyTorch's %(nn_PReLU)s differs: it learns one slope by default, or one per "
           "channel.")
TORCH_PRELU = N_("PReLU is a leaky ReLU whose slope %(alpha)s for negative inputs is learned, "
                 "%(prelu)s. PyTorch learns one slope for all channels, or with "
                 "%(num_parameters)s set to the number of channels one for every channel.")
GLU = N_("A gated linear unit splits its input into two halves along one axis and multiplies the "
         "first half by the sigmoid of the second. It has no weights; that axis shrinks to half.")
ACTIVITY_REGULARIZATION = N_("This layer passes its input on unchanged and adds a penalty on it to "
                             "the training loss. It has no weights.")
MASKING = N_("This layer marks the time steps whose values all equal %(mask_value)s, so that "
             "later layers skip them. It has no weights and keeps the shape.")
RESCALING = N_("This layer multiplies its input by a fixed scale and adds a fixed offset. It has "
               "no weights.")
MERGE = N_("This layer combines its inputs. It has no weights.")
ADD = N_("This layer adds its inputs element by element. It has no weights: a skip connection made "
         "with it costs no parameters.")
SUBTRACT = N_("This layer subtracts its second input from its first, element by element. It has "
              "no weights.")
MULTIPLY = N_("This layer multiplies its inputs element by element; an axis of size 1 is repeated "
              "to match the other input (squeeze-and-excitation scales an H × W × C feature map by "
              "1 × 1 × C channel weights this way). It has no weights.")
AVERAGE = N_("This layer averages its inputs element by element. It has no weights.")
MAXIMUM = N_("This layer takes the larger of its inputs at every position. It has no weights.")
MINIMUM = N_("This layer takes the smaller of its inputs at every position. It has no weights.")
CONCATENATE = N_("This layer joins its inputs one after the other along one axis, whose length "
                 "becomes the sum of theirs. It has no weights.")
DOT = N_("This layer computes dot products between its two inputs along the given axes. It has no "
         "weights.")

# -- normalization
# Translators: training-time statistics; the positions are those of a feature map or a sequence
BATCHNORM = N_("Batch normalization normalizes every channel to mean 0 and variance 1 over the "
               "batch (and over all positions, if the input has spatial or time axes), then "
               "scales it by %(gamma)s and "
               "shifts it by %(beta)s. It also keeps a moving mean and a moving variance for "
               "every channel.")
BATCHNORM_NO_BETA = N_("Batch normalization normalizes every channel to mean 0 and variance 1 "
                       "over the batch (and over all positions, if the input has spatial or "
                       "time axes), then scales it by "
                       "%(gamma)s; this one has no %(beta)s. It also keeps a moving mean and a "
                       "moving variance for every channel.")
BATCHNORM_NO_GAMMA = N_("Batch normalization normalizes every channel to mean 0 and variance 1 "
                        "over the batch (and over all positions, if the input has spatial or "
                        "time axes), then shifts it by "
                        "%(beta)s; this one has no %(gamma)s. It also keeps a moving mean and a "
                        "moving variance for every channel.")
BATCHNORM_NO_AFFINE = N_("Batch normalization normalizes every channel to mean 0 and variance 1 "
                         "over the batch (and over all positions, if the input has spatial or "
                         "time axes) and keeps a moving mean "
                         "and a moving variance for every channel. This one learns no %(gamma)s "
                         "and no %(beta)s.")
BATCHNORM_NO_STATS = N_("Batch normalization normalizes every channel with the statistics of the "
                        "batch, then scales it by %(gamma)s and shifts it by %(beta)s. This one "
                        "keeps no moving mean and variance.")
BATCHNORM_NO_WEIGHTS = N_("Batch normalization normalizes every channel with the statistics of "
                          "the batch. This one learns no %(gamma)s and no %(beta)s and keeps no "
                          "moving mean and variance, so it has no weights.")
NORM = N_("A normalization layer normalizes its input, then scales it by %(gamma)s and shifts it "
          "by %(beta)s.")
LAYER_NORM = N_("Layer normalization normalizes the features of each sample to mean 0 and "
                "variance 1 (in a transformer, separately at each position), then scales the result "
                "by %(gamma)s and shifts it by %(beta)s.")
NORM_NO_BIAS = N_("A normalization layer normalizes its input, then scales it by %(gamma)s. This "
                  "one has no %(beta)s.")
NORM_NO_GAMMA = N_("A normalization layer normalizes its input, then shifts it by %(beta)s. This "
                   "one has no %(gamma)s.")
NORM_NO_WEIGHTS = N_("A normalization layer normalizes its input. This one learns no scale "
                     "%(gamma)s and no shift %(beta)s, so it has no weights.")
RMS_NORM = N_("RMS normalization divides its input by its root mean square, then scales it by "
              "%(gamma)s. It has no shift %(beta)s.")
# Translators: Gemma's RMSNorm computes x/RMS(x)·(1 + γ); its weight γ starts at 0
RMS_NORM_OFFSET = N_("RMS normalization divides its input by its root mean square, then scales it by "
                     "one plus %(gamma)s: the learned %(gamma)s is the scale's offset from 1 and starts "
                     "at 0. It has no shift %(beta)s.")
T5_LAYER_NORM = N_("T5's %(t5_layer_norm)s is an RMS normalization: it divides its input by its root "
                   "mean square (RMS), then multiplies it by %(gamma)s. Unlike a layer normalization, it "
                   "subtracts no mean and has no shift %(beta)s.")
RMS_NORM_NO_WEIGHTS = N_("RMS normalization divides its input by its root mean square. This one "
                         "learns no scale %(gamma)s, so it has no weights.")
INSTANCE_NORM = N_("Instance normalization normalizes every channel of every sample on its own. "
                   "Only with %(affine_true)s does it scale every channel by %(gamma)s and shift "
                   "it by %(beta)s, and only with %(track_running_stats_true)s does it keep "
                   "running statistics (as buffers).")
LOCAL_RESPONSE_NORM = N_("Local response normalization divides every value by a term computed "
                         "from the neighbouring channels at the same position. It has no weights "
                         "and keeps the shape.")
UNIT_NORM = N_("This layer scales its input to length 1 along the given axes. It has no weights "
               "and keeps the shape.")
NORMALIZATION = N_("This layer standardizes its input with a mean and a variance (with "
                   "%(invert_true)s it undoes this). %(adapt)s computes them from data; the mean, "
                   "the variance and the count are stored as non-trainable weights, which "
                   "training does not change.")
NORMALIZATION_GIVEN = N_("This layer standardizes its input with the mean and the variance it was "
                         "given (with %(invert_true)s it undoes this). It has no weights.")
LAYER_SCALE = N_("LayerScale multiplies every feature by a learned factor: one weight %(gamma)s "
                 "for each feature.")

# -- embeddings
EMBEDDING = N_("An embedding layer is a lookup table: it stores one vector for every index its "
               "input can take (a token of the vocabulary, a position, …).")
# Translators: Gemma's token embedding (transformers' GemmaTextScaledWordEmbedding, Gemma2…, Gemma3…); %(sqrt_d)s is √d
EMBEDDING_SCALED = N_("Gemma's token embedding is a lookup table: it stores one vector for every token of the "
                      "vocabulary, and it multiplies every vector it looks up by %(sqrt_d)s. This factor is a "
                      "constant, not a parameter.")
REVERSIBLE_EMBEDDING = N_("A reversible embedding stores one vector for every entry of the "
                          "vocabulary and can also map vectors back to scores over the vocabulary: "
                          "with the transposed embedding matrix (tied weights) or with a second "
                          "matrix of its own.")
# Translators: what a summary row that adds embeddings is, shown where a layer's type would be:
# "transformer.wte + transformer.wpe (sum of the embeddings)"
ADD_EMBEDDINGS_LABEL = N_("sum of the embeddings")
ADD_EMBEDDINGS = N_("This step adds embeddings of the same shape (token, position, token type) "
                    "element by element. The addition is written in a %(forward)s method; it is not "
                    "a module of its own in PyTorch. It has no weights.")
ADD_TOKEN_POSITION = N_("This step adds the token embedding and the position embedding element by "
                        "element. The addition is written in a %(forward)s method; it is not a "
                        "module of its own in PyTorch. It has no weights.")
ADD_TOKEN_POSITION_DROPOUT = N_("This step adds the token embedding and the position embedding "
                                "element by element. The addition is written in the model's "
                                "%(forward)s method; it is not a module of its own in PyTorch. It "
                                "has no weights. The dropout layer %(drop)s that follows it has "
                                "none either and does not change the shape, so the summary table "
                                "leaves it out.")
ADD_EMBEDDINGS_DROPOUT = N_("This step adds embeddings of the same shape (token, position, token "
                            "type) element by element. The addition is written in the %(forward)s "
                            "method of the embeddings module; it is not a module of its own in "
                            "PyTorch. It has no weights. The embeddings' dropout layer "
                            "(%(dropout_name)s, applied after the layer normalization) has none "
                            "either and does not change the shape, so the summary table leaves it "
                            "out.")
# Translators: a summary row's name where the row is no module but a step of the forward pass
# (BERT's embeddings sum), followed by "(sum of the embeddings)"
EMBEDDINGS_SUM_STEP = N_("word + position + token type embeddings")
# Translators: the same for DistilBERT's and BART's sum of two embeddings
TOKEN_POSITION_SUM_STEP = N_("token + position embeddings")
# Translators: a row's name (BERT's pooler selects the [CLS] token), then "(first token of the sequence)"
CLS_TOKEN_STEP = N_("[CLS] token")
# Translators: a row's name (a classification head selects the first token, which plays the role of a
# classification token), then "(first token of the sequence)"
CLASSIFICATION_TOKEN_STEP = N_("classification token")
TRANSPOSE_CALL = N_("This step is a function call in the model's forward pass, not a module: it puts "
                    "the axes of every sample in another order (the batch axis stays first), so that "
                    "the same values are arranged differently. It has no parameters.")
# Translators: a row's type, after its name: "mean(dim=1) (function call)": a call in a PyTorch
# model's forward between its modules (x.mean(1), torch.flatten(x, 1)), not a module or layer
FUNCTION_CALL_LABEL = N_("function call")
MEAN_CALL = N_("This step is a function call in the model's forward pass, not a module: for every "
               "sample it takes the mean of the values along the axes named in the call. It has no "
               "parameters.")
SUM_CALL = N_("This step is a function call in the model's forward pass, not a module: for every "
              "sample it adds up the values along the axes named in the call. It has no parameters.")
AMAX_CALL = N_("This step is a function call in the model's forward pass, not a module: for every "
               "sample it keeps the largest of the values along the axes named in the call. It has no "
               "parameters.")
AMIN_CALL = N_("This step is a function call in the model's forward pass, not a module: for every "
               "sample it keeps the smallest of the values along the axes named in the call. It has no "
               "parameters.")
RESHAPE_CALL = N_("This step is a function call in the model's forward pass, not a module: it gives "
                  "every sample a new shape, with the same values in the same order. It has no "
                  "parameters.")
# "bert.pooler.first_token (first token of the sequence)"
FIRST_TOKEN_LABEL = N_("first token of the sequence")
FIRST_TOKEN = N_("This step keeps only the vector at the first position of every sequence (the "
                 "classification token), which stands for the whole input; the sequence axis is "
                 "dropped. The selection happens in the forward pass of the pooler or the "
                 "classification head; it is not a module of its own in PyTorch. It has no weights.")
FIRST_TOKEN_BERT_POOLER = N_("For every sequence this step keeps only the vector at the first "
                             "position, that of the classification token %(cls_token)s, whose vector serves "
                             "as a summary of the whole input for classification (BERT's pre-training "
                             "trains it for this through next-sentence prediction); the sequence axis "
                             "is dropped. The selection happens in "
                             "the forward pass of the pooler (%(bert_pooler)s); it is not a module of "
                             "its own in PyTorch. This step has no weights.")

# -- recurrent layers
RECURRENT = N_("A recurrent layer computes its state at each time step from the current input and "
               "its previous state. Each of its weight groups (the gates and the candidate state) "
               "has input weights, recurrent weights and a bias.")
RECURRENT_NO_BIAS = N_("A recurrent layer computes its state at each time step from the current input "
                       "and its previous state. Each of its weight groups (the gates and the "
                       "candidate state) has input weights and recurrent weights; this layer has no "
                       "bias.")
LSTM = N_("An LSTM layer computes its hidden state and its cell state at each time step from the "
          "current input and its previous states. Each of its weight groups (the three gates and "
          "the cell candidate) has input weights, recurrent weights and a bias.")
LSTM_NO_BIAS = N_("An LSTM layer computes its hidden state and its cell state at each time step from the "
                  "current input and its previous states. Each of its weight groups (the three gates and "
                  "the cell candidate) has input weights and recurrent weights; this layer has no bias.")
SIMPLE_RNN = N_("A simple recurrent layer computes its state at each time step from the current "
                "input and its previous state. It has no gates: one set of input weights, recurrent "
                "weights and a bias.")
# Translators: %(simple_rnn)s is the formula h_t = tanh(x_t W + h_{t-1} U + b) (Keras multiplies
# row vectors by the kernel, which is i × h); the other placeholders are symbols, shapes and names
SIMPLE_RNN_TANH = N_("A simple recurrent layer computes its hidden state at each time step from the "
                     "current input and its previous hidden state: %(simple_rnn)s, with the input "
                     "%(x_t)s and the states as row vectors. It has no gates: one set of input "
                     "weights %(W)s (%(kernel)s, %(i_by_h)s), recurrent weights %(U)s "
                     "(%(recurrent_kernel)s, %(h_by_h)s) and a bias %(b)s (%(bias_name)s, %(h)s "
                     "entries).")
# Translators: %(simple_rnn_no_bias)s is the formula h_t = tanh(x_t W + h_{t-1} U)
SIMPLE_RNN_TANH_NO_BIAS = N_("A simple recurrent layer computes its hidden state at each time step "
                             "from the current input and its previous hidden state: "
                             "%(simple_rnn_no_bias)s, with the input %(x_t)s and the states as row "
                             "vectors. It has no gates: one set of input weights %(W)s (%(kernel)s, "
                             "%(i_by_h)s) and recurrent weights %(U)s (%(recurrent_kernel)s, "
                             "%(h_by_h)s); this layer has no bias.")
# Translators: %(gru_bias_shape)s is the shape (2, 3h)
GRU_RESET_AFTER = N_("A GRU layer computes its hidden state at each time step from the current input "
                     "and its previous hidden state. With %(reset_after_true)s (Keras's default), each of "
                     "its weight groups (the two gates and the candidate state) has input weights, "
                     "recurrent weights and two biases, one for the input part and one for the "
                     "recurrent part. The layer's bias is therefore a matrix of shape "
                     "%(gru_bias_shape)s: one row for the input part, one for the recurrent part.")
# Translators: the same for a GRU with reset_after=False; %(gru_extra)s is 3h
GRU_ONE_BIAS = N_("A GRU layer computes its hidden state at each time step from the current input "
                  "and its previous hidden state. With %(reset_after_false)s, each of its weight groups "
                  "(the two gates and the candidate state) has input weights, recurrent weights and one "
                  "bias. The layer's bias is therefore one vector of length "
                  "%(gru_extra)s: the biases of the three weight groups, %(h)s each, one after "
                  "another.")
GRU_CELL_RESET_AFTER = N_("A recurrent cell computes its state for one time step from the current "
                          "input and its previous state; a recurrent layer applies it at every time "
                          "step. Each of its weight groups (the gates and the candidate state) has "
                          "input weights, recurrent weights and, with %(reset_after_true)s, two "
                          "biases: one for the input and one for the recurrent weights.")
SIMPLE_RNN_NO_BIAS = N_("A simple recurrent layer computes its state at each time step from the "
                        "current input and its previous state. It has no gates: one set of input "
                        "weights and recurrent weights; this layer has no bias.")
TORCH_LSTM = N_("An LSTM layer computes its hidden state and its cell state at each time step from the "
                "current input and its previous states. In PyTorch each of its weight groups (the three "
                "gates and the cell candidate) has input weights, recurrent weights and two biases "
                "(%(b_ih)s and %(b_hh)s).")
TORCH_GRU = N_("A GRU layer computes its hidden state at each time step from the current input and its "
               "previous hidden state. In PyTorch each of its weight groups (the two gates and the "
               "candidate state) has input weights, recurrent weights and two biases (%(b_ih)s and "
               "%(b_hh)s).")
TORCH_SIMPLE_RNN = N_("A simple recurrent layer computes its state at each time step from the "
                      "current input and its previous state. It has no gates: one set of input "
                      "weights, recurrent weights and, in PyTorch, two biases (%(b_ih)s and "
                      "%(b_hh)s).")
CELL = N_("A recurrent cell computes its state for one time step from the current input and its "
          "previous state; a recurrent layer applies it at every time step. Each of its weight "
          "groups (the gates and the candidate state) has input weights, recurrent weights and a "
          "bias.")
SIMPLE_CELL = N_("A recurrent cell computes its state for one time step from the current input "
                 "and its previous state; a recurrent layer applies it at every time step. This "
                 "cell has no gates: one set of input weights, recurrent weights and a bias.")
CELL_NO_BIAS = N_("A recurrent cell computes its state for one time step from the current input "
                  "and its previous state; a recurrent layer applies it at every time step. Each of "
                  "its weight groups (the gates and the candidate state) has input weights and "
                  "recurrent weights; this one has no bias.")
SIMPLE_CELL_NO_BIAS = N_("A recurrent cell computes its state for one time step from the current "
                         "input and its previous state; a recurrent layer applies it at every time "
                         "step. This cell has no gates: one set of input weights and recurrent "
                         "weights, and no bias.")
STACKED_CELLS = N_("This layer stacks recurrent cells: every time step passes through the cells in "
                   "turn, and every cell has its own weights.")
RNN_WRAPPER = N_("This layer applies the recurrent cell it wraps to every time step; its weights "
                 "are the cell's.")
# Translators: %(wrapped)s is the wrapped layer as code, GRU(units=16, reset_after=True)
BIDIRECTIONAL = N_("A bidirectional layer runs the recurrent layer it wraps (here %(wrapped)s) "
                   "forwards and backwards over the sequence, each direction with weights of its "
                   "own, so it has twice the parameters of that layer alone.")
# Translators: %(wrapped)s and %(backward)s are the two layers as code, LSTM(units=8) and GRU(units=4, reset_after=True)
BIDIRECTIONAL_BACKWARD = N_("A bidirectional layer runs one recurrent layer forwards over the "
                            "sequence (here %(wrapped)s) and another one backwards (here "
                            "%(backward)s), each with weights of its own: its parameters are those "
                            "of both layers.")
# Translators: the same, with the sentence on each direction's weights: %(wrapped)s is
# GRU(units=16, reset_after=True) as code, %(gru_keras_torch)s the formula 3h(n_in + h) + 6h
BIDIRECTIONAL_GRU_RESET_AFTER = N_(
    "A bidirectional layer runs the recurrent layer it wraps (here %(wrapped)s) forwards and "
    "backwards over the sequence, each direction with weights of its own, so it has twice the "
    "parameters of that layer alone. Each direction is a complete GRU: three weight groups, each "
    "with input weights, recurrent weights and two biases (one for the input part, one for the "
    "recurrent part, since %(reset_after_true)s), which gives %(gru_keras_torch)s per direction.")
# Translators: the same for GRU(units=16, reset_after=False); %(gru_one_bias)s is 3h(n_in + h) + 3h
BIDIRECTIONAL_GRU_ONE_BIAS = N_(
    "A bidirectional layer runs the recurrent layer it wraps (here %(wrapped)s) forwards and "
    "backwards over the sequence, each direction with weights of its own, so it has twice the "
    "parameters of that layer alone. Each direction is a complete GRU: three weight groups, each "
    "with input weights, recurrent weights and one bias (since %(reset_after_false)s), which gives "
    "%(gru_one_bias)s per direction.")
# Translators: the same for an LSTM; %(lstm_keras)s is 4h(n_in + h) + 4h
BIDIRECTIONAL_LSTM = N_(
    "A bidirectional layer runs the recurrent layer it wraps (here %(wrapped)s) forwards and "
    "backwards over the sequence, each direction with weights of its own, so it has twice the "
    "parameters of that layer alone. Each direction is a complete LSTM: four weight groups (three "
    "gates and the cell candidate), each with input weights, recurrent weights and one bias, which "
    "gives %(lstm_keras)s per direction.")
# Translators: the same for a SimpleRNN; %(rnn_keras)s is h(n_in + h) + h
BIDIRECTIONAL_SIMPLE_RNN = N_(
    "A bidirectional layer runs the recurrent layer it wraps (here %(wrapped)s) forwards and "
    "backwards over the sequence, each direction with weights of its own, so it has twice the "
    "parameters of that layer alone. Each direction is a complete SimpleRNN: input weights, "
    "recurrent weights and one bias, which gives %(rnn_keras)s per direction.")
# Translators: %(wrapped)s is the wrapped layer's type as code, Dense or Conv2D
TIME_DISTRIBUTED = N_("This wrapper applies the layer it wraps (here %(wrapped)s) to every time "
                      "step, with the same weights at every step, so its parameters are those of "
                      "that layer alone.")
# Translators: the same where the wrapped layer (Flatten, MaxPooling2D, …) has no weights
TIME_DISTRIBUTED_NO_WEIGHTS = N_("This wrapper applies the layer it wraps (here %(wrapped)s) to "
                                 "every time step; that layer has no weights, so the wrapper has "
                                 "none either.")

# -- attention and transformer blocks
# Translators: %(sdpa)s is softmax(QKᵀ/√d_k)·V, %(k_dim)s the symbol d_k
ATTENTION = N_("Multi-head attention projects the queries, keys and values for every attention "
               "head; each head computes %(sdpa)s (scaled dot-product attention, without weights; "
               "%(k_dim)s is the size of its keys), and the heads' outputs are concatenated and "
               "projected to the output width.")
# Translators: an attention layer's inputs by their roles (Keras: query, value, then key); the
# placeholders are the input layers' names in code font
INPUTS_QUERY_VALUE_SELF = N_("It is called with %(query)s as both query and value; the key is not "
                             "given and defaults to the value. Since all three are the same "
                             "tensor, this is self-attention.")
INPUTS_QUERY_VALUE = N_("It is called with query %(query)s and value %(value)s; the key is not given "
                        "and defaults to the value.")
INPUTS_QUERY_VALUE_KEY_SELF = N_("Its inputs: query %(query)s, value %(value)s, key %(key)s "
                                 "(self-attention: all three are the same).")
INPUTS_QUERY_VALUE_KEY = N_("Its inputs: query %(query)s, value %(value)s, key %(key)s.")
# Translators: PyTorch's attention takes query, key and value in this order
INPUTS_QUERY_KEY_VALUE_SELF = N_("Its inputs: query %(query)s, key %(key)s, value %(value)s "
                                 "(self-attention: all three are the same).")
INPUTS_QUERY_KEY_VALUE = N_("Its inputs: query %(query)s, key %(key)s, value %(value)s.")
GROUPED_QUERY_ATTENTION = N_("Grouped-query attention projects the queries for every attention "
                             "head, but the keys and values only for fewer key/value heads, each "
                             "shared by a group of query heads; then it projects the heads' "
                             "outputs back.")
DOT_ATTENTION = N_("This attention layer weights the values by how well every query matches every "
                   "key (their dot product, or with score_mode = \"concat\" the tanh of their sum). "
                   "It has no projections; its only possible weights are single learned numbers "
                   "(with use_scale, and with score_mode = \"concat\").")
ADDITIVE_ATTENTION = N_("Additive attention scores every query against every key through the tanh "
                        "of their sum and weights the values by these scores. It has no "
                        "projections; with use_scale it learns one scale per feature.")
TRANSFORMER_BLOCK = N_("A transformer block combines self-attention and a feed-forward network, "
                       "each with its own normalization and a residual connection.")
GPT2_BLOCK = N_("A GPT-2 block has two parts, each with a layer normalization before it (pre-norm) and "
                "a residual connection around it. First, %(ln_1)s and masked (causal) self-attention: "
                "each position attends only to itself and earlier positions; %(c_attn)s computes the "
                "queries, keys and values, and %(attn_c_proj)s projects the concatenated outputs of the "
                "heads. Second, %(ln_2)s and the feed-forward network %(mlp)s: %(mlp_c_fc)s from %(d)s "
                "to %(ffn)s, GELU, then %(mlp_c_proj)s from %(ffn)s back to %(d)s.")
GPT2_BLOCK_GELU_TANH = N_("A GPT-2 block has two parts, each with a layer normalization before it "
                          "(pre-norm) and a residual connection around it. First, %(ln_1)s and masked "
                          "(causal) self-attention: each position attends only to itself and earlier "
                          "positions; %(c_attn)s computes the queries, keys and values, and "
                          "%(attn_c_proj)s projects the concatenated outputs of the heads. Second, "
                          "%(ln_2)s and the feed-forward network %(mlp)s: %(mlp_c_fc)s from %(d)s to "
                          "%(ffn)s, GELU in its tanh approximation, then %(mlp_c_proj)s from %(ffn)s back "
                          "to %(d)s.")
# Translators: said before the formula P_1 = 4d² + 2d·f + 9d + f of a GPT-2 or BERT block; the
# placeholders are the formulas 4d² + 4d, 2d·f + f + d and 4d
BLOCK_PARTS_ATTENTION_FFN_NORMS = N_("Part by part: the attention has %(four_d2_4d)s parameters (the query, key, value "
                                     "and output projections with their biases), the feed-forward network "
                                     "%(gelu_ffn)s (%(d_f_f)s, then %(f_d_d)s) and the two layer "
                                     "normalizations %(four_d)s.")
BERT_BLOCK = N_("A BERT block has two parts, each followed by a residual connection and a layer "
                "normalization (post-norm): self-attention (%(bert_query)s, %(bert_key)s and "
                "%(bert_value)s compute the queries, keys and values, %(attention_output_dense)s "
                "projects the concatenated outputs of the heads), then a feed-forward network "
                "(%(intermediate_dense)s from %(d)s to %(ffn)s, GELU, %(output_dense)s from %(ffn)s "
                "back to %(d)s).")
LLAMA_BLOCK = N_("Each decoder layer (the Llama architecture) has two parts, each with a residual "
                 "connection: the RMS normalization %(input_layernorm)s (a scale %(gamma)s only: no "
                 "shift, no centering) followed by self-attention with rotary position embeddings "
                 "(%(q_proj)s, %(k_proj)s and %(v_proj)s compute the queries, keys and values, "
                 "%(o_proj)s projects the concatenated outputs of the heads), then the RMS "
                 "normalization "
                 "%(post_attention_layernorm)s followed by a gated feed-forward network "
                 "(%(gate_proj)s, %(up_proj)s and %(down_proj)s).")
# Translators: %(act)s is the feed-forward's activation as T5's config names it (dense_act_fn: relu,
# gelu_new, …)
T5_ENCODER_BLOCK = N_("A T5 encoder block has two parts, each with an RMS normalization before it "
                      "(%(t5_layer_norm)s, a scale %(gamma)s only) and a residual connection. The first "
                      "is self-attention: %(t5_q)s, %(t5_k)s and %(t5_v)s map %(d)s to %(H_d_kv)s, and "
                      "%(t5_o)s maps %(H_d_kv)s back to %(d)s. The second is a feed-forward network "
                      "without a gate: %(wi)s maps %(d)s to %(ffn)s, the activation %(act)s follows, and "
                      "%(wo)s maps %(ffn)s back to %(d)s (only the gated variant, as in T5 v1.1, has two "
                      "input matrices, %(wi_0)s and %(wi_1)s). The linear layers and the normalizations "
                      "of T5 have no biases; the relative position bias is a separate table.")
T5_ENCODER_BLOCK_GATED = N_("A T5 encoder block has two parts, each with an RMS normalization before it "
                            "(%(t5_layer_norm)s, a scale %(gamma)s only) and a residual connection. The "
                            "first is self-attention: %(t5_q)s, %(t5_k)s and %(t5_v)s map %(d)s to "
                            "%(H_d_kv)s, and %(t5_o)s maps %(H_d_kv)s back to %(d)s. The second is a gated "
                            "feed-forward network: %(wi_0)s and %(wi_1)s each map %(d)s to %(ffn)s, the "
                            "activation %(act)s of the first is multiplied element by element by the "
                            "second, and %(wo)s maps %(ffn)s back to %(d)s. The linear layers and the "
                            "normalizations of T5 have no biases; the relative position bias is a "
                            "separate table.")
T5_DECODER_BLOCK = N_("A T5 decoder block has three parts, each with an RMS normalization before it "
                      "(%(t5_layer_norm)s, a scale %(gamma)s only) and a residual connection. The first "
                      "is self-attention, the second attention over the encoder's output "
                      "(%(enc_dec_attention)s); in both, %(t5_q)s, %(t5_k)s and %(t5_v)s map %(d)s to "
                      "%(H_d_kv)s, and %(t5_o)s maps %(H_d_kv)s back to %(d)s. The third is a "
                      "feed-forward network without a gate: %(wi)s maps %(d)s to %(ffn)s, the activation "
                      "%(act)s follows, and %(wo)s maps %(ffn)s back to %(d)s (only the gated variant, as "
                      "in T5 v1.1, has two input matrices, %(wi_0)s and %(wi_1)s). The linear layers and "
                      "the normalizations of T5 have no biases; the relative position bias is a separate "
                      "table.")
T5_DECODER_BLOCK_GATED = N_("A T5 decoder block has three parts, each with an RMS normalization before it "
                            "(%(t5_layer_norm)s, a scale %(gamma)s only) and a residual connection. The "
                            "first is self-attention, the second attention over the encoder's output "
                            "(%(enc_dec_attention)s); in both, %(t5_q)s, %(t5_k)s and %(t5_v)s map %(d)s "
                            "to %(H_d_kv)s, and %(t5_o)s maps %(H_d_kv)s back to %(d)s. The third is a "
                            "gated feed-forward network: %(wi_0)s and %(wi_1)s each map %(d)s to %(ffn)s, "
                            "the activation %(act)s of the first is multiplied element by element by the "
                            "second, and %(wo)s maps %(ffn)s back to %(d)s. The linear layers and the "
                            "normalizations of T5 have no biases; the relative position bias is a "
                            "separate table.")
MOE_BLOCK = N_("This transformer block combines self-attention and a mixture of experts (several "
               "feed-forward networks and a router that chooses among them), each with its own "
               "normalization; the weight groups below list the parts.")
ENCODER_LAYER = N_("A transformer encoder layer has two parts, self-attention and a feed-forward "
                   "network of two linear layers; each part has a residual connection and its own "
                   "layer normalization.")
DECODER_LAYER = N_("A transformer decoder layer has three parts, self-attention, attention over the "
                   "encoder's output (the memory) and a feed-forward network of two linear layers; "
                   "each part has a residual connection and its own layer normalization.")
TRANSFORMER_STACK = N_("This module stacks num_layers copies of a transformer layer, each with its "
                       "own weights, optionally followed by a final normalization.")
TRANSFORMER = N_("A complete transformer: an encoder stack and a decoder stack, each followed by a "
                 "layer normalization.")
PARAMETER = N_("A free bias vector added to the last axis: one parameter for each of its entries.")
TENSORS = N_("These tensors are counted as they are: every group has as many parameters as its "
             "tensor has entries.")

# -- preprocessing
AUGMENTATION = N_("This layer alters images only during training (data augmentation); at "
                  "inference it passes them on unchanged. It has no weights and keeps the shape.")
CONTRAST = N_("This layer adjusts the contrast of every image from the image's own values, in "
              "training and at inference alike. It has no weights and keeps the shape.")
RESIZING = N_("This layer resizes images to a fixed height and width by interpolation. It has no "
              "weights.")
CENTER_CROP = N_("This layer cuts the centre of every image to a fixed height and width. It has no "
                 "weights.")
RANDOM_CROP = N_("During training this layer cuts a random part of every image to a fixed height "
                 "and width; at inference it resizes and cuts the centre. It has no weights.")
CATEGORY_ENCODING = N_("This layer encodes integer categories as vectors of num_tokens entries "
                       "(one-hot, multi-hot or counts). It has no weights.")
DISCRETIZATION = N_("This layer sorts every value into a bin between boundaries, given or computed "
                    "from data by adapt(). It has no weights.")
HASHING = N_("This layer hashes every input value into one of num_bins bins. It has no weights.")
HASHED_CROSSING = N_("This layer crosses its inputs' values into one feature and hashes it into "
                     "one of num_bins bins. It has no weights.")
LOOKUP = N_("This layer maps every token to its index in a vocabulary, given or computed from data "
            "by adapt() (or, with invert, indices back to tokens). The vocabulary is not a "
            "weight.")
TEXT_VECTORIZATION = N_("This layer splits text into tokens and maps every token to its index in a "
                        "vocabulary, given or computed from data by adapt(). The vocabulary is not "
                        "a weight.")

# -- declared and nested layers
DECLARED = N_("This layer's parameter count is declared, not derived: its weights are the given "
              "trainable and non-trainable parameters.")
OPAQUE = N_("explain has no formula for this layer type: its parameters are counted from the "
            "layer's own weight tensors.")
LAMBDA = N_("A Lambda layer applies a function given in code. It has no weights.")
OPERATION = N_("This is an operation on tensors (such as an addition). It has no weights.")
NESTED = N_("This layer is a whole model used as one layer. Its parameters are those of its own "
            "layers:")

# -- torch modules and audio layers (from_torch, pytorch specs)
PARAMETER_TENSOR = N_("A tensor that the model learns as it is, such as a class token or a "
                      "position embedding: one parameter for each of its entries.")
MAX_UNPOOL = N_("This layer undoes a max pooling: it puts every value back where the pooling "
                "took it from and fills the other positions with zeros. It has no weights.")
CHANNEL_SHUFFLE = N_("This layer reorders the channels so that every group receives channels "
                     "from every other group. It has no weights and keeps the shape.")
STFT_SPECTROGRAM = N_("This layer computes a short-time Fourier transform as a convolution "
                      "whose kernels are its weights: every kernel (the real part, the "
                      "imaginary part, or both, depending on the mode) has one weight for each "
                      "sample of a frame and each frequency bin.")
MEL_SPECTROGRAM = N_("This layer turns audio into a mel spectrogram (a short-time Fourier "
                     "transform, mel filters and, optionally, decibels). It has no weights.")
TORCH_CELL = N_("A recurrent cell computes its state for one time step from the current input and "
                "its previous state. In PyTorch each of its weight groups (the gates and the "
                "candidate state) has input weights, recurrent weights and two biases (%(b_ih)s "
                "and %(b_hh)s).")
TORCH_SIMPLE_CELL = N_("A recurrent cell computes its state for one time step from the current "
                       "input and its previous state. This cell has no gates: one set of input "
                       "weights, recurrent weights and, in PyTorch, two biases (%(b_ih)s and "
                       "%(b_hh)s).")
TORCH_CELL_NO_BIAS = N_("A recurrent cell computes its state for one time step from the current "
                        "input and its previous state. Each of its weight groups (the gates and the "
                        "candidate state) has input weights and recurrent weights; this one has no "
                        "bias.")
TORCH_SIMPLE_CELL_NO_BIAS = N_("A recurrent cell computes its state for one time step from the "
                               "current input and its previous state. This cell has no gates: one "
                               "set of input weights and recurrent weights, and no bias.")

# -- Hugging Face embeddings

PATCH_EMBEDDINGS = N_("This layer turns an image into a sequence of vectors: it cuts the image into "
                      "patches, embeds every patch with a convolution, and adds a class token and a "
                      "learned position embedding for every position.")
ADDED_POSITIONS = N_("This layer adds a learned vector to every position of its input: V rows of d "
                     "weights, one row for each position.")
KAPLAN_REST_GPT2 = N_("Kaplan et al. count the four attention matrices and the two feed-forward "
                      "matrices of a block; the exact count adds their biases (%(five_d_f)s) and the "
                      "weights and biases of the two LayerNorms (%(four_d)s).")
KAPLAN_REST_LLAMA = N_("Kaplan et al. count the four attention matrices and the feed-forward matrices "
                       "of a block; the exact count adds the weights of the two RMSNorms (%(two_d)s).")
KAPLAN_REST_QWEN2 = N_("Kaplan et al. count the four attention matrices and the feed-forward matrices "
                       "of a block; the exact count adds the biases of the query, key and value "
                       "projections and the weights of the two RMSNorms (%(two_d)s).")
KAPLAN_REST_QWEN3 = N_("Kaplan et al. count the four attention matrices and the feed-forward matrices "
                       "of a block; the exact count adds the weights of the two RMSNorms (%(two_d)s) and of "
                       "the norms of the queries and keys (%(two_d_h)s).")
KAPLAN_REST_LLAMA_MORE = N_("Kaplan et al. count the four attention matrices and the feed-forward "
                            "matrices of a block; the exact count adds the weights of the two RMSNorms "
                            "(%(two_d)s) and the biases and norms of this layer that the formula shows.")
KAPLAN_GATED_FFN = N_("The feed-forward network is gated: it has three matrices of %(d_f)s weights each "
                      "(gate, up and down projections) where Kaplan et al.'s feed-forward network has two of "
                      "%(d_model_d_ff)s, "
                      "so here %(d_ff_eq)s.")
KAPLAN_ABSENT_GQA = N_("Kaplan et al.'s closed forms are not shown: the keys and values of this decoder "
                       "have fewer heads than its queries (grouped-query attention), so its four "
                       "attention matrices are not %(four_d_model_d_attn)s, as %(N)s assumes.")
KAPLAN_ABSENT_MOE = N_("Kaplan et al.'s closed forms are not shown: the feed-forward network of this "
                       "decoder is a mixture of experts, and a token uses only some of them, so %(N)s "
                       "describes neither all the weights nor the ones a token uses.")
KAPLAN_ABSENT_WINDOW = N_("Kaplan et al.'s closed forms are not shown: the layers of this decoder attend "
                          "to a sliding window of %(w)s positions, not to the whole context %(n_ctx)s that "
                          "their attention term assumes.")
SIGLIP_PATCH_EMBEDDINGS = N_("This layer turns an image into a sequence of vectors: it cuts the image "
                             "into n_p patches of P × P pixels, embeds every patch with a convolution "
                             "whose kernel and stride are both P (d·C·P² weights and d biases) and "
                             "adds a learned position embedding for every patch (n_p·d); there is no "
                             "class token.")
SIGLIP_POOLING_HEAD = N_("This head pools the patches into one vector by attention: a learned query "
                         "(probe, d) attends to every patch with multi-head attention (in_proj 3d² + "
                         "3d, out_proj d² + d), followed by a layer normalization (2d) and a "
                         "feed-forward network of two linear layers (2d·f + f + d).")
GEMMA3_PROJECTOR = N_("This projector averages the vision tower's patch vectors down to the image "
                      "tokens (mm_tokens_per_image; a pooling without weights), normalizes them with "
                      "an RMSNorm (d_vis weights) and projects them to the language model's width d "
                      "with a matrix without bias (d_vis·d).")
MLLAMA_VISION_EMBEDDINGS = N_("These are the vision model's own weights before its encoder. A convolution "
                              "without bias whose kernel and stride are both P cuts every tile of the "
                              "image into n_p patches (d·C·P²); a class embedding (d) is put before them; "
                              "a gated position embedding adds a learned vector to every position "
                              "((n_p + 1)·d and a gate) and, for every supported aspect ratio and for "
                              "padding, one for every position of every tile ((n_ar + 1)·n_tile·(n_p + 1)·d); a gated "
                              "embedding of the tile's place ((n_ar + 1)·n_tile·d and a gate) and a layer "
                              "normalization (2d) follow.")
MLLAMA_TILE_EMBEDDING = N_("This embedding adds to every patch a learned vector for the tile's place in "
                           "the image's aspect ratio: one row of n_tile·d weights for each of the n_ar "
                           "supported aspect ratios and one for padding, and a gate (one weight).")
MLLAMA_CROSS_ATTENTION_LAYER = N_("In this decoder layer the text attends to the image's vectors "
                                  "instead of to itself: cross-attention with the projections of a "
                                  "Llama layer (q_proj d·H·d_h, k_proj and v_proj d·H_kv·d_h each, "
                                  "o_proj H·d_h·d), RMSNorms of the queries and keys (d_h each), the "
                                  "gated feed-forward network (3·d·f), two RMSNorms (2d) and two "
                                  "gates (one weight each).")
QWEN2VL_PATCH_EMBED = N_("This layer embeds an image or video as flattened patches: every patch of "
                         "P_t frames of P × P pixels in C channels is mapped to d entries by a 3D "
                         "convolution without bias whose kernel and stride are the patch "
                         "(d·C·P_t·P² weights). There is no class token and no learned position "
                         "embedding.")
QWEN2VL_PATCH_MERGER = N_("This patch merger is the projector: it normalizes every patch vector "
                          "(LayerNorm, 2d_vis), joins the vectors of m_s × m_s neighbouring patches "
                          "into one of m_s²·d_vis entries and maps it with two linear layers to "
                          "vision_config's hidden_size, the width the language model takes: "
                          "(m_s²·d_vis)² + m_s²·d_vis and m_s²·d_vis·d + d, where d is written d_m "
                          "if hidden_size is not the language model's width.")



# -- compute: why a type takes the MACs and other operations it does (explain.compute)
CONV_COMPUTE = N_("A convolution computes every output element as a sum over its window: one "
                  "multiply-accumulate (MAC) for each kernel position and input channel. So each "
                  "output element costs %(per_output)s MACs, and the layer has %(outputs)s output "
                  "elements.")
CONV_GROUPED_COMPUTE = N_("A grouped convolution computes every output element as a sum over its "
                          "window: one multiply-accumulate (MAC) for each kernel position and input "
                          "channel of its group. So each output element costs %(per_output)s MACs, "
                          "and the layer has %(outputs)s output elements.")
MAX_POOL_COMPUTE = N_("A max pooling layer does no multiplications, so it needs no MACs. For each "
                      "output element it takes the maximum of the values of its window, counted here as one "
                      "operation per window element (strictly, the maximum of %(window)s values needs "
                      "%(window_less)s comparisons, one operation fewer per output element).")
DROPOUT_COMPUTE = N_("At inference this layer computes nothing: no MACs and no other operations. In "
                     "training it draws random numbers and applies them to its input; that work is "
                     "counted neither here nor in the estimate of a training step.")
DROPOUT_MASK_COMPUTE = N_("At inference this layer computes nothing: no MACs and no other operations. "
                          "In training it draws a random mask, sets the dropped entries to zero and "
                          "scales the kept ones up so that the expected value stays the same; that "
                          "work is counted neither here nor in the estimate of a training step.")
AVG_POOL_COMPUTE = N_("An average pooling layer does no multiplications, so it needs no MACs. For "
                      "each output element it adds up the values of its window and divides the sum by "
                      "their number: one operation per window element.")
RESHAPE_COMPUTE = N_("This layer only changes the shape of its input; the values keep their order. "
                     "It does no arithmetic, so it needs no MACs and no other operations.")
MEAN_COMPUTE = N_("A mean does no multiplications, so it needs no MACs. For each output value it adds "
                  "up the values along the axes of the call and divides the sum by their number: one "
                  "operation per input element, as for a global average pooling layer.")
SUM_COMPUTE = N_("A sum does no multiplications, so it needs no MACs. For each output value it adds up "
                 "the values along the axes of the call, counted as one operation per input element, as "
                 "for a global pooling layer (strictly, each output value needs one addition fewer than "
                 "the values it adds up).")
EXTREMUM_COMPUTE = N_("Taking a maximum or a minimum does no multiplications, so it needs no MACs. For "
                      "each output value the call compares the values along its axes, counted as one "
                      "operation per input element, as for a global max pooling layer (strictly, each "
                      "output value needs one comparison fewer than the values it compares).")
RESHAPE_CALL_COMPUTE = N_("This step only gives its input a new shape: it does no arithmetic, so it "
                          "needs no MACs and no other operations.")
REARRANGE_COMPUTE = N_("This layer only rearranges the entries of its input: it does no arithmetic, "
                       "so it needs no MACs and no other operations.")
DENSE_COMPUTE = N_("A dense layer computes each output as the sum of all its inputs, each multiplied "
                   "by its weight: one multiply-accumulate (MAC) for each kernel weight.")
# Translators: what the other operations O of a Llama-family block count, grouped as its formula
# 2T·d + T·(8d + 3d_h·(H + H_kv) + 2f) + 4H·T² groups them (the terms in math)
LLAMA_BLOCK_COMPUTE = N_("Per position, %(O)s counts the weights of the two RMSNorms, 1 operation per element "
                         "(%(two_d)s); in %(eight_d)s, the statistics and the normalization of the two RMSNorms, "
                         "3 operations per element (%(six_d)s), and the two residual additions (%(two_d)s); the "
                         "activation and the gate's product in the feed-forward part (%(two_f)s); and the rotation "
                         "(RoPE) of the %(qk)s elements of the queries and keys, 3 per element. Per score it counts "
                         "the scaling and the softmax, 4 operations for each head (%(per_score)s).")
# Translators: the same for a Gemma 2 block, grouped as its formula 4T·d + T·(14d + 3d_h·(H + H_kv) + 2f) + 4H·T²
GEMMA2_BLOCK_COMPUTE = N_("Per position, %(O)s counts the weights of the four RMSNorms, 1 operation per element "
                          "(%(four_d)s); in %(fourteen_d)s, the statistics and the normalization of the four "
                          "RMSNorms, 3 operations per element (%(twelve_d)s), and the two residual additions "
                          "(%(two_d)s); the GELU and the gate's product in the feed-forward part (%(two_f)s); and "
                          "the rotation (RoPE) of the %(qk)s elements of the queries and keys, 3 per element. Per "
                          "score it counts the scaling and the softmax, 4 operations for each head (%(per_score)s).")
# Translators: the same for a Gemma 3 block, which also normalizes the queries and keys of every head
GEMMA3_BLOCK_COMPUTE = N_("Per position, %(O)s counts the weights of the four RMSNorms, 1 operation per element "
                          "(%(four_d)s); in %(fourteen_d)s, the statistics and the normalization of the four "
                          "RMSNorms, 3 operations per element (%(twelve_d)s), and the two residual additions "
                          "(%(two_d)s); the GELU and the gate's product in the feed-forward part (%(two_f)s); and "
                          "7 operations on each of the %(qk)s elements of the queries and keys: 3 for the rotation "
                          "(RoPE) and 4 for %(q_norm)s or %(k_norm)s, which normalize every head with the same "
                          "weights and are counted like the other RMSNorms. Per score it counts the scaling and "
                          "the softmax, 4 operations for each head (%(per_score)s).")
# Translators: what the other operations O of torch's TransformerEncoderLayer (with biases) count, grouped as
# its formula 22T·d + 2T·f + 3H·T² groups them; linear1, linear2 are the module's names, in code
TORCH_ENCODER_BLOCK_COMPUTE = N_("Per position, %(O)s counts in %(twenty_two_d)s: the biases of the attention's "
                                 "input and output projections and of %(linear2)s (%(five_d)s); the two "
                                 "LayerNorms, 5 operations per element for the statistics and the normalization "
                                 "(%(ten_d)s) and 2 for the weight and the bias (%(four_d)s); the scaling of the "
                                 "queries, 1 operation per element (%(d)s); and the two residual additions "
                                 "(%(two_d)s). In %(two_f)s it counts the bias of %(linear1)s and the activation of "
                                 "its outputs (%(f)s each). Per score it counts only the softmax, 3 operations for "
                                 "each head (%(per_score)s): the scaling is counted on the queries, not on the "
                                 "scores.")
# Translators: the same for a TransformerEncoderLayer without biases (bias=False), formula 15T·d + T·f + 3H·T²
TORCH_ENCODER_NO_BIAS_BLOCK_COMPUTE = N_("Per position, %(O)s counts in %(fifteen_d)s: the two LayerNorms, which "
                                         "have no biases here, 5 operations per element for the statistics and "
                                         "the normalization (%(ten_d)s) and 1 for the weight (%(two_d)s); the "
                                         "scaling of the queries, 1 operation per element (%(d)s); and the two "
                                         "residual additions (%(two_d)s). In %(f)s it counts the activation of the "
                                         "outputs of %(linear1)s. Per score it counts only the softmax, 3 "
                                         "operations for each head (%(per_score)s): the scaling is counted on the "
                                         "queries, not on the scores.")
# Translators: the compute of Gemma's token embedding, which multiplies every looked-up vector by √d (%(sqrt_d)s)
EMBEDDING_SCALED_COMPUTE = N_("Looking up the vectors takes no arithmetic, so this layer needs no MACs; "
                              "multiplying each of them by %(sqrt_d)s takes one multiplication per "
                              "output element.")
POOL_COMPUTE = N_("A pooling layer does no multiplications, so it needs no MACs. For each output "
                  "element it compares (maximum) or adds up (average) the values of its window, counted as one "
                  "operation per window element.")
