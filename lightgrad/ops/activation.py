"""Activations and softmax: ``torch.nn.functional``'s pointwise nonlinearities, fused.

Each activation is one ``Function`` with a hand-written backward that keeps only what it needs
(``Sigmoid``/``Tanh`` save their output, ``Relu`` its output as the mask). ``softmax`` and
``log_softmax`` subtract the row maximum, so they are exact for large inputs.

Differences from PyTorch, on purpose:
    * ``softmax``/``log_softmax``/``softmin`` require ``dim``. PyTorch's implicit-dim choice
      (deprecated, with a warning) silently normalizes over dim 0 of 1-D/3-D inputs; here a
      missing ``dim`` is a TypeError.
    * ``heaviside`` is differentiable with a zero gradient for ``input`` (and the true one for
      ``values``), where PyTorch raises at backward; ``values`` may also be a number.

The ops live by kind in :mod:`.smooth_activation`, :mod:`.piecewise_activation` and
:mod:`.softmax_family` (shared kernels in :mod:`.activation_base`); this module re-exports them
and holds the in-place forms and the Tensor methods.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .activation_base import _INF as _INF
from .activation_base import _MaskGrad as _MaskGrad
from .activation_base import _maybe_inplace
from .activation_base import _neg as _neg
from .activation_base import _own as _own
from .activation_base import _pos as _pos
from .activation_base import _sigmoid as _sigmoid
from .inplace import inplace
from .piecewise_activation import Hardshrink as Hardshrink
from .piecewise_activation import Hardsigmoid as Hardsigmoid
from .piecewise_activation import Hardswish as Hardswish
from .piecewise_activation import Hardtanh as Hardtanh
from .piecewise_activation import Heaviside as Heaviside
from .piecewise_activation import LeakyRelu as LeakyRelu
from .piecewise_activation import Prelu as Prelu
from .piecewise_activation import Relu as Relu
from .piecewise_activation import Rrelu as Rrelu
from .piecewise_activation import Softshrink as Softshrink
from .piecewise_activation import Threshold as Threshold
from .piecewise_activation import _hardtanh as _hardtanh
from .piecewise_activation import _leaky_relu as _leaky_relu
from .piecewise_activation import (
    _relu,
    _threshold,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    heaviside,
    leaky_relu,
    prelu,
    relu,
    relu6,
    rrelu,
    softshrink,
    threshold,
)
from .smooth_activation import _GELU_C as _GELU_C
from .smooth_activation import _INV_SQRT2 as _INV_SQRT2
from .smooth_activation import _INV_SQRT_2PI as _INV_SQRT_2PI
from .smooth_activation import _SELU_ALPHA as _SELU_ALPHA
from .smooth_activation import _SELU_SCALE as _SELU_SCALE
from .smooth_activation import _SQRT_2_OVER_PI as _SQRT_2_OVER_PI
from .smooth_activation import Elu as Elu
from .smooth_activation import Gelu as Gelu
from .smooth_activation import Glu as Glu
from .smooth_activation import LogSigmoid as LogSigmoid
from .smooth_activation import Mish as Mish
from .smooth_activation import Sigmoid as Sigmoid
from .smooth_activation import Silu as Silu
from .smooth_activation import Softplus as Softplus
from .smooth_activation import Softsign as Softsign
from .smooth_activation import Tanh as Tanh
from .smooth_activation import _elu as _elu
from .smooth_activation import (
    celu,
    elu,
    gelu,
    glu,
    logsigmoid,
    mish,
    selu,
    sigmoid,
    silu,
    softplus,
    softsign,
    tanh,
    tanhshrink,
)
from .softmax_family import LogSoftmax as LogSoftmax
from .softmax_family import Softmax as Softmax
from .softmax_family import _softmax_args as _softmax_args
from .softmax_family import log_softmax, one_hot, softmax, softmin

__all__ = [
    "sigmoid", "tanh", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu",
    "mish", "softplus", "softsign", "hardtanh", "hardsigmoid", "hardswish", "logsigmoid",
    "heaviside", "threshold", "softmax", "log_softmax", "softmin", "one_hot", "prelu", "rrelu",
    "glu", "hardshrink", "softshrink", "tanhshrink",
    "sigmoid_", "tanh_", "relu_", "elu_", "selu_", "celu_", "leaky_relu_", "hardtanh_",
    "threshold_", "rrelu_",
]


# ----------------------------------------------------------------------------- in-place / methods
def relu_(input: Tensor) -> Tensor:
    """In-place :func:`relu`."""
    return inplace(input, _relu, op="relu_")


def sigmoid_(input: Tensor) -> Tensor:
    """In-place :func:`sigmoid`."""
    return inplace(input, sigmoid, op="sigmoid_")


def tanh_(input: Tensor) -> Tensor:
    """In-place :func:`tanh`."""
    return inplace(input, tanh, op="tanh_")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _maybe_inplace(_threshold, input, True, "threshold_", threshold, value)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


_T: Any = Tensor
_T.sigmoid = sigmoid
_T.tanh = tanh
_T.relu = lambda self: _relu(self)
_T.softmax = lambda self, dim=None, dtype=None: softmax(self, dim, dtype=dtype)
_T.log_softmax = lambda self, dim=None, dtype=None: log_softmax(self, dim, dtype=dtype)
_T.heaviside = heaviside
_T.hardshrink = hardshrink
_T.prelu = prelu
_T.sigmoid_ = sigmoid_
_T.tanh_ = tanh_
_T.relu_ = relu_
_T.heaviside_ = lambda self, values: inplace(self, heaviside, values, op="heaviside_")
