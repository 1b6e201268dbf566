"""Keras audio layers: STFTSpectrogram (its Fourier kernels are weights) and MelSpectrogram.

STFTSpectrogram with frame length l_f and n_f = ⌊fft_length / 2⌋ + 1 frequency bins (fft_length:
the next power of two ≥ l_f unless given) keeps a real and an imaginary kernel, each (l_f, 1, n_f):

    real_kernel l_f·n_f + imag_kernel l_f·n_f   (mode "real": only the real one; "imag": only the other)

trainable unless the layer is frozen, as Keras counts them. Input (T, C) channels last →
(T', n_f·C), T' the frames of a convolution with kernel l_f and stride frame_step (default
⌊l_f/2⌋); mode "stft" gives 2·n_f per channel; expand_dims gives (T', n_f, C).

MelSpectrogram: no weights; (T) → (M, T') with M mel bins and T' the frames of its centred STFT:
the window rule ⌊(n + 2p − k)/s⌋ + 1 with n = T, kernel k = fft_length, stride s = sequence_stride
and p = ⌊fft_length/2⌋ (the reflect padding on each side), as Keras's call computes it (its
compute_output_shape states ⌊(T + s + 1)/s⌋, one frame more where T mod s = s − 1).
"""
from __future__ import annotations


from ..errors import ExplainError
from ..shapes import Window, keras_pool
from ..symbols import Value, as_value, fdiv, sym
from .base import Group, Layer, Shape, anything, choice, flag, format_shape, size, layer_type
from . import _texts
from .registry import register

l_f, n_f = sym("l_f"), sym("n_f")
"""Frame length; number of frequency bins ⌊fft_length/2⌋ + 1."""

_REAL, _IMAG = Group("real_kernel", l_f * n_f), Group("imag_kernel", l_f * n_f)
_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


@layer_type
class _Audio(Layer):
    """Takes Keras's ``window`` argument as ``window_``."""

    compute_not_derived = "no rule for the Fourier transform"

    @classmethod
    def from_args(cls, args, ctx=None, positional=()):
        args = dict(args)
        if "window" in args:
            args["window_"] = args.pop("window")
        return super().from_args(args, ctx, positional)


@register("STFTSpectrogram")
@layer_type
class STFTSpectrogram(_Audio):
    """real_kernel l_f·n_f + imag_kernel l_f·n_f (one of them for mode real or imag)."""

    role = "spectrogram"
    explanation = _texts.STFT_SPECTROGRAM
    compute_not_derived = "no rule for the Fourier transform"

    positional = ("mode", "frame_length", "frame_step", "fft_length", "window_", "periodic", "scaling",
                  "padding", "expand_dims", "data_format")
    input_rank = 2
    mode: str = choice(*_MODES, default="log")
    frame_length: Value = size(256)
    frame_step: object = anything()
    fft_length: object = anything()
    window_: object = anything("hann")  # Keras's ``window`` (``Layer.window`` is the window rule)
    periodic: object = anything(False)
    scaling: object = anything("density")
    padding: str = choice("valid", "same", default="valid")
    expand_dims: bool = flag(False)
    data_format: str = choice("channels_last", "channels_first", default="channels_last")

    def _fft(self) -> int:
        if self.fft_length is not None:
            if not isinstance(self.fft_length, int) or isinstance(self.fft_length, bool) or self.fft_length < 1:
                raise ExplainError(f"STFTSpectrogram: 'fft_length' must be a positive whole number. "
                                   f"Received: fft_length={self.fft_length!r}")
            return self.fft_length
        if not isinstance(self.frame_length, int):
            raise ExplainError("STFTSpectrogram: give 'fft_length' when 'frame_length' is a symbol")
        return 1 << max(self.frame_length - 1, 0).bit_length()  # 2^⌈log2 f⌉

    def _step(self) -> Value:
        step = self.frame_step
        if step is None:
            return fdiv(self.frame_length, 2)
        if not isinstance(step, int) or isinstance(step, bool) or step < 1:
            raise ExplainError(f"STFTSpectrogram: 'frame_step' must be a positive whole number. "
                               f"Received: frame_step={step!r}")
        return step

    def weight_groups(self) -> tuple[Group, ...]:
        return {"real": (_REAL,), "imag": (_IMAG,)}.get(self.mode, (_REAL, _IMAG))

    def values(self, shape: Shape) -> dict:
        return {l_f: self.frame_length, n_f: self._fft() // 2 + 1}

    def output_shape(self, shape: Shape) -> Shape:
        first = self.data_format == "channels_first"
        channels, length = (shape[0], shape[1]) if first else (shape[1], shape[0])
        bins = (self._fft() // 2 + 1) * (2 if self.mode == "stft" else 1)
        step = self._step()
        # frames: the window rule of a pooling without padding ('valid') or with 'same'
        frames = keras_pool(self.frame_length, step, self.padding).length(length)
        if isinstance(frames, int) and frames < 1:
            raise ExplainError(f"STFTSpectrogram: the input {format_shape(shape)} is shorter than "
                               f"frame_length={self.frame_length}")
        if self.expand_dims:
            return (channels, frames, bins) if first else (frames, bins, channels)
        joined = None if channels is None else as_value(bins * channels)
        return (joined, frames) if first else (frames, joined)


@register("MelSpectrogram")
@layer_type
class MelSpectrogram(_Audio):
    """No weights: (T) → (M, ⌊(T + 2p − k)/s⌋ + 1), k = fft_length, p = ⌊k/2⌋, s = sequence_stride."""

    role = "spectrogram"
    explanation = _texts.MEL_SPECTROGRAM

    positional = ("fft_length", "sequence_stride", "sequence_length", "window_", "sampling_rate",
                  "num_mel_bins", "min_freq", "max_freq", "power_to_db", "top_db", "mag_exp", "min_power",
                  "ref_power")
    input_rank = 1
    fft_length: Value = size(2048)
    sequence_stride: Value = size(512)
    sequence_length: object = anything()
    window_: object = anything("hann")
    sampling_rate: object = anything(16000)
    num_mel_bins: Value = size(128)
    min_freq: object = anything(20.0)
    max_freq: object = anything()
    power_to_db: object = anything(True)
    top_db: object = anything(80.0)
    mag_exp: object = anything(2.0)
    min_power: object = anything(1e-10)
    ref_power: object = anything(1.0)

    def output_shape(self, shape: Shape) -> Shape:
        t, fft = shape[0], self.fft_length
        half = fdiv(fft, 2)
        if isinstance(t, int) and isinstance(half, int) and t <= half:
            raise ExplainError(f"MelSpectrogram: the input {format_shape(shape)} must be longer than "
                               f"fft_length // 2 = {half} (the reflect padding of each side)")
        return (self.num_mel_bins, Window("floor", fft, self.sequence_stride, 1, (half, half)).length(t))
