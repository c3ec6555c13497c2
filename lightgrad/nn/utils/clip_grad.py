"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``,
``clip_grads_with_norm_`` (``torch.nn.utils``).

They work on the ``.grad`` arrays directly, in place, outside the graph (no autograd nodes,
no copies beyond one temporary per gradient for the norm). ``foreach`` is accepted for
PyTorch compatibility and ignored: the loop over gradients is already a handful of NumPy calls.
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from ... import backend
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]

_TensorOrTensors = Tensor | Iterable[Tensor]


def _xp(a: Any) -> Any:
    return np if type(a) is np.ndarray else backend.get_array_module(a)


def _as_list(tensors: Any, op: str) -> list:
    if isinstance(tensors, Tensor):
        return [tensors]
    try:
        return list(tensors)
    except TypeError:
        raise TypeError(f"{op}: expected a Tensor or an iterable of Tensors, got "
                        f"{type(tensors).__name__}") from None


def _norm_type(norm_type: Any, op: str) -> float:
    try:
        return float(norm_type)  # also 'inf'
    except (TypeError, ValueError):
        raise ValueError(f"{op}: norm_type must be a number or 'inf', got {norm_type!r}") from None


def _vector_norm(a: Any, p: float) -> Any:
    """The ``p``-norm of an array viewed as a vector (a 0-d array of its dtype)."""
    xp = _xp(a)
    if a.size == 0:
        return xp.zeros((), a.dtype)
    if p == 2.0:
        flat = a.reshape(-1)
        with np.errstate(over="ignore", invalid="ignore"):
            return xp.sqrt(xp.asarray(flat @ flat))
    if p == 1.0:
        return xp.asarray(xp.abs(a).sum())
    if p == math.inf:
        return xp.asarray(xp.abs(a).max())
    if p == -math.inf:
        return xp.asarray(xp.abs(a).min())
    if p == 0.0:
        return xp.asarray(xp.count_nonzero(a), dtype=a.dtype)
    with np.errstate(over="ignore", divide="ignore"):
        return xp.asarray((xp.abs(a) ** p).sum() ** (1.0 / p))


def get_total_norm(tensors: _TensorOrTensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The ``norm_type``-norm of ``tensors`` viewed as one concatenated vector (computed as
    the norm of their individual norms).

    Args:
        tensors: a tensor or an iterable of tensors (typically gradients).
        norm_type: any p, ``inf`` / ``'inf'`` or ``-inf``.
        error_if_nonfinite: raise if the total norm is nan or infinite.

    Returns:
        A 0-d tensor (``tensor(0.)`` for no tensors).

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn.utils import get_total_norm
        >>> get_total_norm([lightgrad.tensor([3.0]), lightgrad.tensor([4.0])])
        tensor(5.)
    """
    op = "get_total_norm"
    ts = _as_list(tensors, op)
    p = _norm_type(norm_type, op)
    if not ts:
        return Tensor._make(np.zeros((), backend.get_default_dtype()))
    arrays = [t.data if isinstance(t, Tensor) else t for t in ts]
    norms = [_vector_norm(a, p) for a in arrays]
    xp = _xp(arrays[0])
    dtype = np.result_type(*[n.dtype for n in norms])
    stacked = xp.stack([xp.asarray(n, dtype=dtype) for n in norms])
    total = _vector_norm(stacked, p)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {p} for gradients from `parameters` is "
                           f"non-finite ({float(total)}), so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return Tensor._make(total)


def clip_grads_with_norm_(parameters: _TensorOrTensors, max_norm: float, total_norm: Any,
                          foreach: bool | None = None) -> None:
    """Scale every ``.grad`` in place by ``min(max_norm / (total_norm + 1e-6), 1)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn.utils import clip_grads_with_norm_
        >>> p = lightgrad.zeros(2, requires_grad=True)
        >>> p.grad = lightgrad.tensor([3.0, 4.0])
        >>> clip_grads_with_norm_([p], 1.0, lightgrad.tensor(5.0))
        >>> p.grad
        tensor([0.6000, 0.8000])
    """
    ps = _as_list(parameters, "clip_grads_with_norm_")
    grads = [p.grad for p in ps if p.grad is not None]
    if not grads:
        return
    max_norm = float(max_norm)
    total = total_norm.data if isinstance(total_norm, Tensor) else total_norm
    xp = _xp(grads[0].data)
    total = xp.asarray(total)
    if total.dtype.kind != "f":
        total = total.astype(backend.get_default_dtype())
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)  # keeps the norm's dtype, as PyTorch
    for g in grads:
        arr = g.data
        c = coef if arr.dtype == coef.dtype else coef.astype(arr.dtype)
        with np.errstate(invalid="ignore", over="ignore"):  # a non-finite norm: nan, as torch
            arr *= c
        g._vc[0] += 1


def clip_grad_norm_(parameters: _TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so that their total norm (as one
    vector) is at most ``max_norm``: ``g *= min(max_norm / (total + 1e-6), 1)``.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        max_norm: the largest allowed total norm.
        norm_type: the p of the p-norm (``inf`` or ``'inf'`` for the max-abs norm).
        error_if_nonfinite: raise a RuntimeError when the total norm is nan or infinite.
        foreach: ignored (PyTorch compatibility).

    Returns:
        The total norm of the gradients before clipping, a 0-d tensor.

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn.utils import clip_grad_norm_
        >>> p = lightgrad.zeros(2, requires_grad=True)
        >>> p.grad = lightgrad.tensor([3.0, 4.0])
        >>> clip_grad_norm_([p], max_norm=1.0)
        tensor(5.)
        >>> p.grad
        tensor([0.6000, 0.8000])
    """
    if isinstance(parameters, Tensor):
        ps = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        ps = _as_list(parameters, "clip_grad_norm_")
        if is_generator and not ps:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          UserWarning, stacklevel=2)
    grads = [p.grad for p in ps if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(ps, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters: _TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated alias of :func:`clip_grad_norm_` (as in PyTorch)."""
    warnings.warn("`lightgrad.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`lightgrad.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: _TensorOrTensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every ``.grad`` of ``parameters`` to ``[-clip_value, clip_value]``, in place.

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn.utils import clip_grad_value_
        >>> p = lightgrad.zeros(3, requires_grad=True)
        >>> p.grad = lightgrad.tensor([-2.0, 0.5, 3.0])
        >>> clip_grad_value_(p, 1.0)
        >>> p.grad
        tensor([-1.0000,  0.5000,  1.0000])
    """
    ps = _as_list(parameters, "clip_grad_value_")
    v = float(clip_value)
    for p in ps:
        g = p.grad
        if g is None:
            continue
        arr = g.data
        if arr.ndim:
            arr.clip(-v, v, out=arr)
        else:
            arr[...] = arr.clip(-v, v)
        g._vc[0] += 1
