"""Dropout ops: ``torch.nn.functional``'s dropout family, one fused primitive.

Every variant is ``out = input * scale (+ shift)`` with ``scale`` (and ``shift``) drawn once per
call from lightgrad's generator (so :func:`lightgrad.manual_seed` reproduces the masks):

* ``dropout``: ``scale = keep / (1 - p)``, ``keep ~ Bernoulli(1 - p)`` per element;
* ``dropout1d/2d/3d``: the same with one ``keep`` per channel (a whole feature map is zeroed);
* ``alpha_dropout`` (for SELU networks): dropped units are set to SELU's negative saturation
  and the result is affinely rescaled to keep zero mean and unit variance:
  ``scale = keep a``, ``shift = alpha' a (p - 1 + keep)`` with ``alpha' = 1.7581`` (SELU's
  ``scale * alpha``) and ``a = ((alpha'^2 p + 1)(1 - p))^-1/2``;
* ``feature_alpha_dropout``: alpha dropout with one ``keep`` per channel.

The :class:`Dropout` Function saves ``scale`` and reuses it in backward: the input gradient is
exactly ``grad * keep / (1 - p)``. As in PyTorch, ``p == 0``, ``training=False`` or an empty
input return ``input`` itself, and ``p == 1`` returns zeros (with a zero gradient) without
drawing. The keep-decisions are drawn on the CPU (32 random bits per element against
``ceil(p * 2**32)``) and moved to the input's device, so a seed gives the same masks on every
device.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor
from .inplace import inplace
from .unary import _tensor

__all__ = [
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
]

# SELU's scale * alpha: the value SELU saturates to (negated) for large negative inputs
_ALPHA = 1.7580993408473766


class Dropout(Function):
    """``out = x * scale + shift`` (``shift`` optional) with a fixed random ``scale``;
    d/dx = ``scale``."""

    @staticmethod
    def forward(ctx: Any, x: Any, scale: Any, shift: Any) -> Any:
        ctx.save_for_backward(scale)
        out = x * scale
        if shift is not None:
            out += shift
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (scale,) = ctx.saved_tensors
        return grad_out * scale, None, None


# ----------------------------------------------------------------------------- helpers
def _check_p(p: Any) -> float:
    if isinstance(p, Tensor):
        p = p.item()
    if isinstance(p, bool) or not isinstance(p, int | float | np.integer | np.floating):
        raise TypeError(f"dropout probability must be a number, got {type(p).__name__}")
    if p < 0.0 or p > 1.0 or p != p:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def _keep(x: Tensor, p: float, shape: tuple[int, ...]) -> Any:
    """A boolean array of ``shape``: True with probability ``1 - p`` (``0 < p < 1``), on
    ``x``'s device.

    Each element compares 32 raw random bits (half of one PCG64 draw) with ``ceil(p * 2**32)``,
    so the keep probability is ``1 - p`` within ``2**-32``; drawing float32 uniforms instead
    (24 bits) took 2.5 times as long (3.3 against 1.4 ms for 1.2M elements)."""
    n = math.prod(shape)
    cut = math.ceil(p * 2.0**32)  # 1 .. 2**32 for 0 < p < 1
    bits = backend.get_rng(None).bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n]
    keep = (bits > np.uint32(cut - 1)).reshape(shape)  # bits >= cut (none kept at 2**32)
    if type(x.data) is not np.ndarray:
        keep = backend.to_device(keep, x.device)
    return keep


def _feature_shape(shape: tuple[int, ...], batched: bool, op: str) -> tuple[int, ...]:
    """The mask shape of a channel-wise dropout: ``(N, C, 1, ...)`` (or ``(C, 1, ...)``)."""
    lead = 2 if batched else 1
    if len(shape) < lead or (batched and len(shape) < 2):
        raise RuntimeError(f"{op}: feature dropout requires at least 2 dimensions in the input "
                           f"(N, C, ...), got shape {shape}")
    return shape[:lead] + (1,) * (len(shape) - lead)


def _apply(input: Tensor, p: float, training: bool, inplace_: bool, op: str,
           mask_shape: Any, alpha: bool) -> Tensor:
    """The shared body: validate, draw, apply (in place if asked)."""
    input = _tensor(input, op)
    x = input.data
    if p == 0.0 or not training or x.size == 0:
        return input
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got dtype {x.dtype}")
    shape = x.shape if mask_shape is None else mask_shape(x.shape)

    def fn(t: Tensor) -> Tensor:
        xp = backend.get_array_module(t.data)
        dt = t.data.dtype
        if p == 1.0:  # PyTorch: input * 0, no draw
            return Dropout.apply(t, xp.zeros((), dt), None)
        keep = _keep(t, p, shape)
        if not alpha:
            return Dropout.apply(t, xp.divide(keep, 1.0 - p, dtype=dt), None)
        a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1.0) * (1.0 - p))
        scale = xp.multiply(keep, a, dtype=dt)
        shift = xp.multiply(keep, _ALPHA * a, dtype=dt)
        shift += _ALPHA * a * (p - 1.0)
        return Dropout.apply(t, scale, shift)

    if inplace_:
        return inplace(input, fn, op=op + "_")
    return fn(input)


# ----------------------------------------------------------------------------- functions
def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Args:
        input: a floating tensor.
        p: the probability of an element to be zeroed, in ``[0, 1]``.
        training: apply dropout (``False``: return ``input`` unchanged).
        inplace: overwrite ``input``.

    Raises:
        ValueError: ``p`` is outside ``[0, 1]``.

    Example:
        >>> import lightgrad
        >>> _ = lightgrad.manual_seed(0)
        >>> y = lightgrad.nn.functional.dropout(lightgrad.ones(8), p=0.5)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
        >>> lightgrad.nn.functional.dropout(lightgrad.ones(2), training=False)
        tensor([1., 1.])
    """
    return _apply(input, _check_p(p), training, inplace, "dropout", None, False)


def _feature(op: str, input: Any, p: Any, training: bool, inplace_: bool, batched: bool,
             alpha: bool = False) -> Tensor:
    p = _check_p(p)
    return _apply(input, p, training, inplace_, op,
                  lambda s: _feature_shape(s, batched, op), alpha)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of a ``(N, C, L)`` or ``(C, L)`` input with probability ``p``;
    scale the rest by ``1 / (1 - p)``."""
    t = _tensor(input, "dropout1d")
    if t.data.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {t.data.ndim}D "
                           f"input (shape {tuple(t.data.shape)}). Note that dropout1d exists to "
                           "provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D "
                           "inputs).")
    return _feature("dropout1d", t, p, training, inplace, t.data.ndim == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of a ``(N, C, H, W)`` input with probability ``p``; scale the rest
    by ``1 / (1 - p)``. As in PyTorch, a 3-D input is taken as ``(N, C, L)`` (with a warning)."""
    t = _tensor(input, "dropout2d")
    nd = t.data.ndim
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that dropout2d "
                      "exists to provide channel-wise dropout on inputs with 2 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D "
                      "or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", stacklevel=2)
    return _feature("dropout2d", t, p, training, inplace, True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of a ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input with probability
    ``p``; scale the rest by ``1 / (1 - p)``."""
    t = _tensor(input, "dropout3d")
    nd = t.data.ndim
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated "
                      "and will result in an error in a future release. To retain the behavior "
                      "and silence this warning, please use dropout instead. Note that dropout3d "
                      "exists to provide channel-wise dropout on inputs with 3 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 4D "
                      "or 5D inputs).", stacklevel=2)
    return _feature("dropout3d", t, p, training, inplace, nd == 5)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Alpha dropout (for SELU networks): dropped elements take SELU's negative saturation value
    and the output is rescaled to keep the input's mean and variance. Note ``training``
    defaults to ``False``, as in PyTorch.

    Example:
        >>> import lightgrad
        >>> _ = lightgrad.manual_seed(0)
        >>> y = lightgrad.nn.functional.alpha_dropout(lightgrad.zeros(1000), 0.2, training=True)
        >>> len(set(y.tolist()))
        2
    """
    return _apply(input, _check_p(p), training, inplace, "alpha_dropout", None, True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dim 1) of an ``(N, C, ...)`` input."""
    return _feature("feature_alpha_dropout", input, p, training, inplace, True, alpha=True)
