"""Convolution ops: conv1d/2d, conv_transpose1d/2d, unfold/fold (im2col + one BLAS product)."""

from __future__ import annotations

__all__: list[str] = []
