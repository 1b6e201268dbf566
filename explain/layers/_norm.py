"""What Keras's and PyTorch's batch normalization layers share (``norm``, ``torch_norm``)."""
from __future__ import annotations

from . import _texts


def batchnorm_explanation(gamma: bool, beta: bool, moving: bool) -> str:
    """Batch normalization's sentence for a layer with or without γ, β and moving statistics."""
    if moving:
        return {(True, True): _texts.BATCHNORM, (True, False): _texts.BATCHNORM_NO_BETA,
                (False, True): _texts.BATCHNORM_NO_GAMMA,
                (False, False): _texts.BATCHNORM_NO_AFFINE}[gamma, beta]
    return _texts.BATCHNORM_NO_STATS if gamma and beta else _texts.BATCHNORM_NO_WEIGHTS
