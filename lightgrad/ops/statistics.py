"""Spread and size: ``var``/``std`` (and ``var_mean``/``std_mean``) with ``correction``,
``logsumexp`` and ``norm`` (vector p-norms, Frobenius and nuclear).
"""

from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor
from .convert import cast
from .operands import as_tensor_arg, get_xp, wrap_dim
from .reduce_args import _axes, _float_input, _keep, _numel, _require_float
from .sums import mean

__all__ = [
    "var", "std", "var_mean", "std_mean", "logsumexp", "norm",
]


def _var_forward(ctx: Any, x: Any, axes: tuple, correction: float, keepdim: bool,
                 dim_given: bool) -> Any:
    """Sum of squared deviations / max(N - correction, 0); keeps what the backward needs."""
    n = _numel(x.shape, axes)
    divisor = builtins.max(n - correction, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = x - x.sum(axis=axes, keepdims=True) / n
        out = (d * d).sum(axis=axes, keepdims=keepdim) / divisor
    ctx.d, ctx.axes, ctx.keepdim = d, axes, keepdim
    # PyTorch's backward: over all elements, dof <= 0 gives g * inf whatever the sign of
    # x - mean (nan where x == mean: hence inf * |d|); along a dim it uses the unclamped
    # N - correction (inf at 0, negative below)
    dof = n - correction
    if not dim_given and dof <= 0:
        ctx.scale, ctx.d = math.inf, get_xp(d).abs(d)
    else:
        ctx.scale = 2.0 / dof if dof else math.inf
    return out


class Var(Function):
    """``out = sum (x - mean)^2 / max(N - correction, 0)``; d/dx = 2 (x - mean) / (N - c)."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, correction: float, keepdim: bool,
                dim_given: bool) -> Any:
        return _var_forward(ctx, x, axes, correction, keepdim, dim_given)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        g = _keep(grad_out, ctx.axes, ctx.keepdim)
        with np.errstate(invalid="ignore", over="ignore"):
            return ctx.d * (g * ctx.scale), None, None, None, None


class Std(Function):
    """``out = sqrt(var(x))``; d/dx = (x - mean) / ((N - c) std), 0 where std == 0."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, correction: float, keepdim: bool,
                dim_given: bool) -> Any:
        xp = get_xp(x)
        out = xp.sqrt(_var_forward(ctx, x, axes, correction, keepdim, dim_given))
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        out = ctx.out
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            gv = xp.where(out == 0, 0, grad_out / (out * 2))
            return ctx.d * (_keep(gv, ctx.axes, ctx.keepdim) * ctx.scale), None, None, None, None


class LogSumExp(Function):
    """``out = log sum exp(x)`` over axes, computed as ``m + log sum exp(x - m)`` with
    ``m = max x`` (stable); d/dx = exp(x - out)."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool) -> Any:
        xp = get_xp(x)
        if x.size:
            m = x.max(axis=axes, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)  # all -inf (or an inf) slices: no shift
        else:
            m = xp.zeros((1,) * x.ndim, dtype=x.dtype)
        e = xp.exp(x - m)
        s = e.sum(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = xp.log(s) + m
        ctx.axes, ctx.keepdim, ctx.e, ctx.s = axes, keepdim, e, s
        return out if keepdim or not axes else out.squeeze(axes)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        # exp(x - out) = exp(x - m) / s: one pass over the saved exponentials
        with np.errstate(invalid="ignore", divide="ignore"):
            return ctx.e * (_keep(grad_out, ctx.axes, ctx.keepdim) / ctx.s), None, None


class Norm(Function):
    """``out = (sum |x|^p)^(1/p)`` over axes (p = inf: max |x|, -inf: min |x|, 0: count of
    non-zeros); the gradient follows PyTorch's (0 where the norm is 0)."""

    @staticmethod
    def forward(ctx: Any, x: Any, p: float, axes: tuple, keepdim: bool) -> Any:
        xp = get_xp(x)
        if p == 2.0:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        elif p == 1.0:
            out = xp.abs(x).sum(axis=axes, keepdims=True)
        elif p == math.inf:
            out = xp.abs(x).max(axis=axes, keepdims=True)
        elif p == -math.inf:
            out = xp.abs(x).min(axis=axes, keepdims=True)
        elif p == 0.0:
            out = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        else:
            with np.errstate(divide="ignore", over="ignore"):
                out = (xp.abs(x) ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        ctx.save_for_backward(x)
        ctx.out = out
        return out if keepdim or not axes else out.squeeze(axes)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        xp = get_xp(x)
        p, norm = ctx.p, ctx.out
        g = _keep(grad_out, ctx.axes, ctx.keepdim)
        if p == 0.0:
            return None, None, None, None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 1.0:
                gx = xp.sign(x) * g
            elif p == 2.0:
                gx = x * xp.where(norm == 0, 0, g / norm)
            elif math.isinf(p):
                a = xp.abs(x)
                mask = (a == norm) | xp.isnan(a)
                count = mask.sum(axis=ctx.axes, keepdims=True).astype(g.dtype)
                gx = xp.sign(x) * xp.where(mask, g / count, 0)
            elif p < 1.0:
                scaled = xp.sign(x) * xp.where(x == 0, 0, xp.abs(x) ** (p - 1))
                gx = scaled * g * norm ** (1 - p)
            else:
                scale = xp.where(norm == 0, 0, g / norm ** (p - 1))
                gx = x * xp.abs(x) ** (p - 2) * scale if p >= 2.0 else \
                    xp.sign(x) * xp.abs(x) ** (p - 1) * scale
        return gx, None, None, None

class NuclearNorm(Function):
    """``out = sum of the singular values`` of the matrices over two axes; d/dx = U V^T."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool) -> Any:
        xp = get_xp(x)
        m = xp.moveaxis(x, axes, (-2, -1))
        u, s, vh = xp.linalg.svd(m, full_matrices=False)
        ctx.uvh = u @ vh
        ctx.axes, ctx.keepdim = axes, keepdim
        out = s.sum(axis=-1)
        if keepdim:
            out = xp.expand_dims(out, tuple(sorted(axes)))
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        g = grad_out
        if ctx.keepdim:
            g = xp.squeeze(g, tuple(sorted(ctx.axes)))
        gx = ctx.uvh * g[..., None, None]
        return xp.moveaxis(gx, (-2, -1), ctx.axes), None, None


# ----------------------------------------------------------------------------- var / std
def _var_args(op: str, dim: Any, unbiased: Any, keepdim: Any, correction: Any) -> tuple:
    if isinstance(dim, bool):  # legacy var(x, unbiased)
        if unbiased is not None:
            raise TypeError(f"{op}(): got both a positional 'unbiased' and 'unbiased='")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}(): pass either 'unbiased' (legacy) or 'correction', not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if isinstance(correction, bool) or not isinstance(correction, int | float | np.number):
        raise TypeError(f"{op}(): argument 'correction' must be a number, got "
                        f"{type(correction).__name__}")
    return dim, correction, bool(keepdim)


def _var_like(op: str, cls: type[Function], input: Tensor, dim: Any, unbiased: Any, keepdim: Any,
              correction: Any) -> Tensor:
    input = as_tensor_arg(input, op)
    dim, correction, keepdim = _var_args(op, dim, unbiased, keepdim, correction)
    if input.dtype.kind != "f":
        raise RuntimeError(f"{op}(): std and var only support floating point dtypes, got "
                           f"{input.dtype}")
    axes = _axes(dim, input.ndim, op)
    if _numel(input.shape, axes) - correction <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0 (N = {_numel(input.shape, axes)}, "
                      f"correction = {correction}); the result is nan or inf", stacklevel=3)
    given = input.ndim > 0 and not (dim is None or isinstance(dim, tuple | list) and not dim)
    return cls.apply(input, axes, correction, keepdim, given)


def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """``sum (x - mean)^2 / max(N - correction, 0)`` over ``dim``; ``correction=1`` (Bessel)
    by default; the legacy ``unbiased`` flag means ``correction = 1 if unbiased else 0``.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([1.0, 2.0, 3.0, 4.0]).var()
        tensor(1.6667)
    """
    return _var_like("var", Var, input, dim, unbiased, keepdim, correction)


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: float | None = None) -> Tensor:
    """``sqrt(var(x))`` over ``dim`` (see :func:`var`).

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([1.0, 2.0, 3.0, 4.0]).std(correction=0)
        tensor(1.1180)
    """
    return _var_like("std", Std, input, dim, unbiased, keepdim, correction)


def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple:
    """``(var(x), mean(x))`` over ``dim``."""
    v = var(input, dim, unbiased, keepdim, correction=correction)
    if isinstance(dim, bool):
        dim = None
    return v, mean(input, _axes(dim, as_tensor_arg(input, "var_mean").ndim, "var_mean"), keepdim)


def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None) -> tuple:
    """``(std(x), mean(x))`` over ``dim``."""
    s = std(input, dim, unbiased, keepdim, correction=correction)
    if isinstance(dim, bool):
        dim = None
    return s, mean(input, _axes(dim, as_tensor_arg(input, "std_mean").ndim, "std_mean"), keepdim)


# ----------------------------------------------------------------------------- logsumexp / norm
def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log sum_i exp(x_i)`` over ``dim``, stable for large inputs (``-inf`` over an empty
    set); integer inputs are promoted to the default float dtype.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([1000.0, 1000.0]).logsumexp(0)
        tensor(1000.6932)
    """
    input = _float_input(as_tensor_arg(input, "logsumexp"), "logsumexp")
    return LogSumExp.apply(input, _axes(dim, input.ndim, "logsumexp"), keepdim)


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: Any = None) -> Tensor:
    """The vector norm ``(sum |x|^p)^(1/p)`` over ``dim`` (all by default), ``torch.norm``'s
    semantics: ``p`` is ``'fro'`` (= 2, over at most two dims), ``'nuc'`` (the nuclear norm
    of matrices, over exactly two dims), ``inf`` (max ``|x|``), ``-inf`` (min ``|x|``), 0 (the
    number of non-zeros) or any float. The gradient at a zero norm is 0.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[3.0, 4.0], [0.0, 0.0]]).norm(dim=1)
        tensor([5., 0.])
    """
    input = as_tensor_arg(input, "norm")
    if dtype is not None:
        dtype = backend.as_dtype(dtype)
        if dtype.kind != "f":
            raise RuntimeError(f"norm(): dtype should be floating point, but got {dtype}")
        input = cast(input, dtype)
    _require_float(input, "norm()", "tensor as input")
    if isinstance(p, str):
        ndims = None if dim is None else 1 if isinstance(dim, int | np.integer) else len(dim)
        if p == "fro" and (ndims is None or ndims <= 2):
            p = 2.0
        elif p == "nuc":
            return _nuclear_norm(input, dim, keepdim)
        elif p == "fro":
            raise RuntimeError(f"norm(): p='fro' needs dim to be an int or a 2-tuple, got "
                               f"{tuple(dim)}")
        else:
            raise RuntimeError(f"norm(): order {p!r} not supported (use 'fro', 'nuc' or a "
                               "number)")
    elif p is None:
        p = 2.0
    elif isinstance(p, bool) or not isinstance(p, int | float | np.number):
        raise TypeError(f"norm(): argument 'p' must be a number or 'fro'/'nuc', got "
                        f"{type(p).__name__}")
    p = float(p)
    axes = _axes(dim, input.ndim, "norm")
    if p < 0 or math.isinf(p):
        if _numel(input.shape, axes) == 0:
            raise RuntimeError(f"norm(): cannot compute the {p:g} norm over an empty set "
                               f"(input shape {tuple(input.shape)}, dim {dim}) because the "
                               "operation does not have an identity")
    return Norm.apply(input, p, axes, keepdim)


def _nuclear_norm(input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    """``torch.norm(x, 'nuc', dim)``: the sum of the singular values over two dims."""
    if dim is None:
        dim = tuple(range(input.ndim))
    dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"norm(): p='nuc' needs dim to be a 2-tuple, got {dims}")
    axes = tuple(wrap_dim(d, input.ndim, "norm") for d in dims)
    if axes[0] == axes[1]:
        raise RuntimeError(f"norm(): p='nuc' needs two different dims, got {dims}")
    return NuclearNorm.apply(input, axes, keepdim)
