"""Normalization ops: ``batch_norm``, ``layer_norm``, ``group_norm``, ``instance_norm`` (fused
Functions with hand-written backwards), ``rms_norm``, ``normalize`` and ``local_response_norm``
(composed from other ops).

Every fused op normalizes ``x_hat = (x - mean) / sqrt(var + eps)`` over a set of elements (a
channel across the batch, a row, a group) and saves only ``x_hat`` and ``1 / sqrt(var + eps)``
for backward, where the gradient through the statistics is the classic closed form

    ``dx = invstd * (g - mean(g) - x_hat * mean(g * x_hat))``,   ``g = dL/dx_hat``,

the means taken over the same elements. Running statistics (``batch_norm`` in training,
``instance_norm`` with buffers) are updated in place outside the graph, as in PyTorch: the
running variance uses the unbiased batch variance, the normalization the biased one.

The Functions and their array helpers live in :mod:`.norm_kernels`; this module holds the
argument checks and the functional forms, and re-exports the Functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .arithmetic import add, div, mul
from .arithmetic import pow as _pow
from .movement import narrow, pad
from .norm_kernels import BatchNorm as BatchNorm
from .norm_kernels import BatchNormEval as BatchNormEval
from .norm_kernels import GroupNorm as GroupNorm
from .norm_kernels import LayerNorm as LayerNorm
from .norm_kernels import _bn_view as _bn_view
from .norm_kernels import _chan_sum as _chan_sum
from .norm_kernels import _empty_grads as _empty_grads
from .norm_kernels import _row_mean as _row_mean
from .norm_kernels import _row_stats as _row_stats
from .norm_kernels import _rows_backward as _rows_backward
from .operands import check_same_device
from .reduce import mean as _mean
from .reduce import norm as _norm
from .unary import clamp_min, rsqrt

__all__ = [
    "batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "normalize",
    "local_response_norm",
]


# ----------------------------------------------------------------------------- argument checks
def _tensor(x: Any, op: str, arg: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: argument '{arg}' must be a Tensor, got {type(x).__name__}")
    return x


def _float_input(x: Any, op: str) -> Tensor:
    x = _tensor(x, op, "input")
    if x.data.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for dtype {x.data.dtype}; expected a "
                                  "floating point input (cast it with .float())")
    return x


def _optional(t: Any, op: str, arg: str, x: Tensor) -> Tensor | None:
    """An optional weight/bias/statistics tensor: same dtype and device as ``x``."""
    if t is None:
        return None
    t = _tensor(t, op, arg)
    check_same_device(op, x, t)
    if t.data.dtype != x.data.dtype:
        raise RuntimeError(f"{op}: mixed dtype: all inputs must share the same dtype, got input "
                           f"{x.data.dtype} and {arg} {t.data.dtype} (cast with .to(dtype))")
    return t


def _check_numel(t: Tensor | None, n: int, op: str, arg: str, what: str) -> None:
    if t is not None and t.data.size != n:
        raise RuntimeError(f"{op}: {arg} should contain {n} elements not {t.data.size} "
                           f"({arg} shape {tuple(t.data.shape)}, {what})")


def _eps(eps: Any, op: str) -> float:
    if isinstance(eps, bool) or not isinstance(eps, int | float | np.integer | np.floating):
        raise TypeError(f"{op}: argument 'eps' must be a float, got {type(eps).__name__}")
    return float(eps)


def _update_running(t: Tensor | None, batch_stat: Any, momentum: float, scale: float) -> None:
    """``t = (1 - momentum) * t + momentum * scale * batch_stat`` in place (no graph)."""
    if t is None:
        return
    d = t.data
    d *= 1.0 - momentum
    d += batch_stat * (momentum * scale)
    t._vc[0] += 1


# ----------------------------------------------------------------------------- functional
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization per channel (dim 1):
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``.

    In training the statistics are the batch's (biased variance) over every dim but 1, and
    ``running_mean``/``running_var`` (when given) are updated in place:
    ``r = (1 - momentum) * r + momentum * s`` with the *unbiased* batch variance. Otherwise the
    running statistics normalize.

    Args:
        input: ``(N, C)``, ``(N, C, L)``, ``(N, C, H, W)``, ... floating tensor.
        running_mean, running_var: ``(C,)`` buffers (required when not ``training``).
        weight, bias: optional ``(C,)`` affine parameters.
        training: use (and track) the batch statistics.
        momentum: the running-average factor.
        eps: added to the variance.

    Raises:
        ValueError: training on one value per channel; a negative (or, training, zero) eps.
        RuntimeError: a statistic or parameter without C elements; mixed dtypes.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> x = lightgrad.tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> rm, rv = lightgrad.zeros(2), lightgrad.ones(2)
        >>> F.batch_norm(x, rm, rv, training=True)
        tensor([[-1.0000, -1.0000],
                [ 1.0000,  1.0000]])
        >>> rm
        tensor([0.2000, 0.4000])
    """
    op = "batch_norm"
    x = _float_input(input, op)
    shape = tuple(x.data.shape)
    if x.data.ndim < 2:
        raise ValueError(f"{op}: expected an input of at least 2 dims (N, C, *), got shape "
                         f"{shape}")
    eps = _eps(eps, op)
    if training and eps <= 0.0:
        raise ValueError(f"{op}: eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"{op}: eps must be non-negative, but got {eps}")
    c = shape[1]
    rm = _optional(running_mean, op, "running_mean", x)
    rv = _optional(running_var, op, "running_var", x)
    w = _optional(weight, op, "weight", x)
    b = _optional(bias, op, "bias", x)
    what = f"input shape {shape}"
    for t, name in ((rm, "running_mean"), (rv, "running_var"), (w, "weight"), (b, "bias")):
        _check_numel(t, c, op, name, what)
    if training:
        if momentum is None or isinstance(momentum, bool) or not isinstance(
                momentum, int | float | np.integer | np.floating):
            raise TypeError(f"{op}: argument 'momentum' must be a float, got "
                            f"{type(momentum).__name__} (for a cumulative average use "
                            "nn.BatchNorm1d(momentum=None))")
        m = x.data.size // c if c else 0
        if m == 1:
            raise ValueError(f"{op}: Expected more than 1 value per channel when training, got "
                             f"input size {shape}")
        stats: list | None = [] if (rm is not None or rv is not None) else None
        out = BatchNorm.apply(x, w, b, eps, stats)
        if stats:
            mean, var = stats[0]
            mom = float(momentum)
            _update_running(rm, mean, mom, 1.0)
            _update_running(rv, var, mom, m / (m - 1))
        return out
    if rm is None or rv is None:
        raise RuntimeError(f"{op}: running_mean and running_var must be defined in evaluation "
                           "mode (training=False)")
    return BatchNormEval.apply(x, w, b, rm.data, rv.data, eps)


def _normalized_shape(normalized_shape: Any, op: str) -> tuple[int, ...]:
    if isinstance(normalized_shape, int | np.integer) and not isinstance(normalized_shape, bool):
        return (int(normalized_shape),)
    if isinstance(normalized_shape, list | tuple) or (
            isinstance(normalized_shape, Tensor) and normalized_shape.data.ndim == 1):
        dims = tuple(normalized_shape)
        if all(isinstance(d, int | np.integer) and not isinstance(d, bool) for d in dims):
            return tuple(int(d) for d in dims)
    raise TypeError(f"{op}: argument 'normalized_shape' must be a tuple of ints, got "
                    f"{normalized_shape!r}")


def _check_trailing(x: Tensor, ns: tuple[int, ...], op: str) -> None:
    shape = tuple(x.data.shape)
    if not ns or len(ns) > len(shape) or shape[len(shape) - len(ns):] != ns:
        raise RuntimeError(f"{op}: Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size {list(shape)}")


def _check_param_shape(t: Tensor | None, ns: tuple[int, ...], op: str, arg: str) -> None:
    if t is not None and tuple(t.data.shape) != ns:
        raise RuntimeError(f"{op}: Expected {arg} to be of same shape as normalized_shape, but "
                           f"got {arg} of shape {list(t.data.shape)} and normalized_shape = "
                           f"{list(ns)}")


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalization over the trailing ``normalized_shape`` dims:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` (biased variance).

    Args:
        input: ``(*, *normalized_shape)`` floating tensor.
        normalized_shape: the trailing dims normalized together (an int or a tuple).
        weight, bias: optional tensors of shape ``normalized_shape``.
        eps: added to the variance.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.layer_norm(lightgrad.tensor([[1.0, 3.0], [2.0, 6.0]]), (2,), eps=0.0)
        tensor([[-1.,  1.],
                [-1.,  1.]])
    """
    op = "layer_norm"
    x = _float_input(input, op)
    ns = _normalized_shape(normalized_shape, op)
    _check_trailing(x, ns, op)
    w = _optional(weight, op, "weight", x)
    b = _optional(bias, op, "bias", x)
    _check_param_shape(w, ns, op, "weight")
    _check_param_shape(b, ns, op, "bias")
    return LayerNorm.apply(x, w, b, math.prod(ns), _eps(eps, op))


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Root-mean-square normalization over the trailing dims:
    ``y = x / sqrt(mean(x^2) + eps) * weight``; ``eps`` defaults to the dtype's machine
    epsilon (``torch.finfo(dtype).eps``).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.rms_norm(lightgrad.tensor([[3.0, 4.0]]), (2,), eps=0.0)
        tensor([[0.8485, 1.1314]])
    """
    op = "rms_norm"
    x = _float_input(input, op)
    ns = _normalized_shape(normalized_shape, op)
    _check_trailing(x, ns, op)
    w = _optional(weight, op, "weight", x)
    _check_param_shape(w, ns, op, "weight")
    e = float(np.finfo(x.data.dtype).eps) if eps is None else _eps(eps, op)
    dims = tuple(range(x.data.ndim - len(ns), x.data.ndim))
    out = mul(x, rsqrt(add(_mean(mul(x, x), dims, keepdim=True), e)))
    return out if w is None else mul(out, w)


def _check_groups(x: Tensor, num_groups: Any, op: str) -> int:
    shape = tuple(x.data.shape)
    if isinstance(num_groups, bool) or not isinstance(num_groups, int | np.integer):
        raise TypeError(f"{op}: argument 'num_groups' must be an int, got "
                        f"{type(num_groups).__name__}")
    g = int(num_groups)
    if x.data.ndim < 2:
        raise RuntimeError(f"{op}: Expected at least 2 dimensions for input tensor but received "
                           f"{x.data.ndim} (shape {shape})")
    if g <= 0 or shape[1] % g:
        raise RuntimeError(f"{op}: Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(shape)} and "
                           f"num_groups={g}")
    return g


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalization: the C channels of ``input`` (N, C, *) split into ``num_groups``
    groups normalized separately per sample, then ``y = x_hat * weight[c] + bias[c]``.

    Raises:
        RuntimeError: C not divisible by ``num_groups``; a weight/bias without C elements.
        ValueError: a batch of a single value per group (PyTorch's check).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.group_norm(lightgrad.tensor([[1.0, 3.0, 5.0, 9.0]]), 2, eps=0.0)
        tensor([[-1.,  1., -1.,  1.]])
    """
    op = "group_norm"
    x = _float_input(input, op)
    g = _check_groups(x, num_groups, op)
    shape = tuple(x.data.shape)
    if shape[0] * shape[1] // g * math.prod(shape[2:]) == 1:  # PyTorch's check, as is
        raise ValueError(f"{op}: Expected more than 1 value per channel when training, got "
                         f"input size {[shape[0] * shape[1] // g, g, *shape[2:]]} (input shape "
                         f"{shape}, num_groups={g})")
    w = _optional(weight, op, "weight", x)
    b = _optional(bias, op, "bias", x)
    for t, name in ((w, "weight"), (b, "bias")):
        if t is not None and (t.data.ndim != 1 or t.data.size != shape[1]):
            raise RuntimeError(f"{op}: Expected {name} to be a vector of size equal to the "
                               f"number of channels in input, but got {name} of shape "
                               f"{list(t.data.shape)} and input of shape {list(shape)}")
    return GroupNorm.apply(x, w, b, g, _eps(eps, op), None)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalization: each (sample, channel) of ``input`` (N, C, *) normalized over
    its positions, then ``y = x_hat * weight[c] + bias[c]``.

    With ``use_input_stats`` the running statistics (when given) are updated with the batch
    average of the per-instance statistics; otherwise they normalize.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.instance_norm(lightgrad.tensor([[[1.0, 3.0], [0.0, 4.0]]]), eps=0.0)
        tensor([[[-1.,  1.],
                 [-1.,  1.]]])
    """
    op = "instance_norm"
    x = _float_input(input, op)
    shape = tuple(x.data.shape)
    if x.data.ndim < 2:
        raise ValueError(f"{op}: expected an input of at least 2 dims (N, C, *), got shape "
                         f"{shape}")
    c = shape[1]
    rm = _optional(running_mean, op, "running_mean", x)
    rv = _optional(running_var, op, "running_var", x)
    w = _optional(weight, op, "weight", x)
    b = _optional(bias, op, "bias", x)
    what = f"input shape {shape}"
    for t, name in ((rm, "running_mean"), (rv, "running_var"), (w, "weight"), (b, "bias")):
        _check_numel(t, c, op, name, what)
    eps = _eps(eps, op)
    if not use_input_stats:
        if rm is None or rv is None:
            raise RuntimeError(f"{op}: Expected running_mean and running_var to be defined "
                               "when use_input_stats is false")
        return BatchNormEval.apply(x, w, b, rm.data, rv.data, eps)
    spatial = math.prod(shape[2:])
    if spatial == 1:
        raise ValueError(f"{op}: Expected more than 1 spatial element when training, got input "
                         f"size {list(shape)}")
    stats: list | None = [] if (rm is not None or rv is not None) and x.data.size else None
    out = GroupNorm.apply(x, w, b, c, eps, stats)
    if stats:
        mean, var = stats[0]
        mom = float(momentum)
        _update_running(rm, mean.mean(axis=0), mom, 1.0)
        _update_running(rv, var.mean(axis=0), mom, spatial / (spatial - 1))
    return out


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """``v / max(||v||_p, eps)`` for each vector ``v`` along ``dim``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.normalize(lightgrad.tensor([[3.0, 4.0], [0.0, 0.0]]))
        tensor([[0.6000, 0.8000],
                [0.0000, 0.0000]])
    """
    x = _float_input(input, "normalize")
    res = div(x, clamp_min(_norm(x, p, dim, keepdim=True), eps))
    if out is not None:
        out.copy_(res)  # type: ignore[attr-defined]
        return out
    return res


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Local response normalization across channels:
    ``y_c = x_c / (k + alpha / size * sum_{c' in window(c)} x_{c'}^2) ^ beta``, the window
    ``[c - size // 2, c + (size - 1) // 2]`` zero-padded at the edges.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.local_response_norm(lightgrad.ones(1, 3, 1), 2, alpha=1.0, beta=1.0, k=0.0)
        tensor([[[2.],
                 [1.],
                 [1.]]])
    """
    op = "local_response_norm"
    x = _float_input(input, op)
    nd = x.data.ndim
    if nd < 3:
        raise ValueError(f"{op}: Expected 3D or higher dimensionality input (got {nd} "
                         f"dimensions, shape {tuple(x.data.shape)})")
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"{op}: size must be a positive int, got {size!r}")
    if x.data.size == 0:
        return x
    c = x.data.shape[1]
    padded = pad(mul(x, x), (0, 0) * (nd - 2) + (size // 2, (size - 1) // 2))  # (N, C+size-1, *)
    acc = narrow(padded, 1, 0, c)
    for i in range(1, size):
        acc = add(acc, narrow(padded, 1, i, c))
    return div(x, _pow(add(mul(acc, alpha / size), k), beta))
