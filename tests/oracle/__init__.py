"""Test oracles: real Keras 3 and PyTorch models built from spec dicts, independent of ``explain``."""
