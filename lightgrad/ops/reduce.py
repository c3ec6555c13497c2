"""Reductions: sum, mean, prod, max/min, var/std, logsumexp, norm, all/any, cumulative ops,
sorting and selection over ``dim`` (int, tuple or ``None``) with ``keepdim``, as in PyTorch.

Conventions shared by every op here:

- ``dim=None`` (and, where PyTorch accepts it, ``dim=()``) reduces over every dimension; a 0-d
  input accepts ``dim`` 0 and -1.
- Ops that select elements (``max(dim)``, ``sort``, ``topk``, ``median(dim)``...) return
  namedtuples ``(values, indices)`` (see :data:`return_types`); the values are differentiable
  (their gradient is scattered back to the selected positions), the indices are int64.
- ``amax``/``amin``/``max()``/``min()``/``median()`` split the gradient evenly among tied
  extrema, as PyTorch does.
"""

from __future__ import annotations

import builtins
import collections
import math
import types
import warnings
from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..backend_kernels import cummax
from ..tensor import Tensor
from .convert import cast
from .inplace import inplace
from .operands import as_tensor_arg, get_xp, wrap_dim, wrap_dims

__all__ = [
    "sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax",
    "argmax", "argmin", "var", "std", "var_mean", "std_mean", "logsumexp", "norm", "all", "any",
    "cumsum", "cumprod", "count_nonzero", "median", "mode", "sort", "argsort", "msort", "topk",
    "kthvalue",
]

_int64 = np.dtype(np.int64)


# ----------------------------------------------------------------------------- return types
def _return_type(name: str, fields: tuple[str, str]) -> type:
    return collections.namedtuple(name, fields, module="lightgrad.return_types")


#: The namedtuple types of the multi-output reductions (``torch.return_types``).
return_types = types.SimpleNamespace(
    max=_return_type("max", ("values", "indices")),
    min=_return_type("min", ("values", "indices")),
    sort=_return_type("sort", ("values", "indices")),
    topk=_return_type("topk", ("values", "indices")),
    kthvalue=_return_type("kthvalue", ("values", "indices")),
    median=_return_type("median", ("values", "indices")),
    mode=_return_type("mode", ("values", "indices")),
    aminmax=_return_type("aminmax", ("min", "max")),
)


# ----------------------------------------------------------------------------- helpers
def _axes(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """Reduced axes: ``None`` or ``()`` -> all; a 0-d input validates ``dim`` and reduces
    nothing."""
    if dim is None or (isinstance(dim, tuple | list) and len(dim) == 0):
        return tuple(range(ndim))
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, without the checks
        return (dim % ndim,)
    if not isinstance(dim, int | np.integer | tuple | list) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be an int, a tuple of ints or None, got "
                        f"{type(dim).__name__} ({dim!r})")
    axes = wrap_dims(dim, ndim, op)
    return axes if ndim else ()


def _expand_back(grad_out: Any, shape: tuple, axes: tuple, keepdim: bool) -> Any:
    """Broadcast a reduced gradient back over the reduced ``axes`` of ``shape``."""
    xp = get_xp(grad_out)
    return xp.broadcast_to(_keep(grad_out, axes, keepdim), shape)


def _keep(a: Any, axes: tuple, keepdim: bool) -> Any:
    """``a`` (reduced over ``axes``) with the reduced axes restored as size 1."""
    if keepdim or not axes:
        return a
    return get_xp(a).expand_dims(a, axes)


def _numel(shape: tuple, axes: tuple) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _float_input(input: Tensor, op: str) -> Tensor:
    """Integer/bool tensors promoted to the default float dtype (PyTorch's float-only ops)."""
    if input.dtype.kind != "f":
        return cast(input, backend.get_default_dtype())
    return input


def _require_float(input: Tensor, op: str, what: str = "input") -> None:
    if input.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point {what}, got dtype {input.dtype}")


def _check_nonempty(shape: tuple, axes: tuple, op: str, dim_given: bool) -> None:
    """Max-like reductions have no identity: a size-0 reduced dim is an error."""
    if not dim_given:
        if _numel(shape, tuple(range(len(shape)))) == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0 (input shape {tuple(shape)}). Specify the "
                               "reduction dim with the 'dim' argument.")
        return
    for a in axes:
        if shape[a] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {a} to have non-zero size "
                             f"(input shape {tuple(shape)}).")


def _check_dtype_arg(dtype: Any) -> Any:
    return None if dtype is None else backend.as_dtype(dtype)


def _put_along(out: Any, idx: Any, vals: Any, axis: int) -> None:
    """``out[..., idx, ...] = vals`` along ``axis`` (``put_along_axis``, device-generic)."""
    xp = get_xp(out)
    index = []
    for d, n in enumerate(idx.shape):
        if d == axis:
            index.append(idx)
        else:
            shape = [1] * idx.ndim
            shape[d] = n
            index.append(xp.arange(n).reshape(shape))
    out[tuple(index)] = vals


def _take_along(x: Any, idx: Any, axis: int) -> Any:
    return get_xp(x).take_along_axis(x, idx, axis=axis)


def _rev_cumsum(g: Any, axis: int) -> Any:
    """``sum_{k >= j} g_k`` along ``axis``."""
    xp = get_xp(g)
    return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis)


def _slice(a: Any, axis: int, start: int, stop: int) -> Any:
    """``a[..., start:stop, ...]`` along ``axis``."""
    index = [slice(None)] * a.ndim
    index[axis] = slice(start, stop)
    return a[tuple(index)]


def _as_1d(x: Any) -> Any:
    """0-d arrays as shape (1,) (cumulative ops and sorts need an axis)."""
    return x.reshape(1) if x.ndim == 0 else x


# ----------------------------------------------------------------------------- Functions
class Sum(Function):
    """``out = sum of x over axes``."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool, dtype: Any) -> Any:
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _expand_back(grad_out, ctx.shape, ctx.axes, ctx.keepdim), None, None, None


class Mean(Function):
    """``out = mean of x over axes`` (nan over an empty set)."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool) -> Any:
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        n = ctx.n = _numel(x.shape, axes)
        if x.dtype.itemsize < 4:  # float16: NumPy's mean accumulates in float32
            return x.mean(axis=axes, keepdims=keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):  # empty: 0 / 0 = nan
            return x.sum(axis=axes, keepdims=keepdim) / n

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        g = grad_out / ctx.n if ctx.n else grad_out
        return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim), None, None


class NanSum(Function):
    """``out = sum of the non-nan x over axes``; d/dx = 1 where x is not nan, else 0."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool) -> Any:
        xp = get_xp(x)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x)
        return xp.nansum(x, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        xp = get_xp(x)
        g = _keep(grad_out, ctx.axes, ctx.keepdim)
        return xp.where(xp.isnan(x), 0, g), None, None


class NanMean(Function):
    """``out = mean of the non-nan x over axes``; d/dx = 1 / count where x is not nan."""

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool) -> Any:
        xp = get_xp(x)
        ok = ~xp.isnan(x)
        count = ok.sum(axis=axes, keepdims=True).astype(x.dtype)
        ctx.axes, ctx.keepdim, ctx.ok, ctx.count = axes, keepdim, ok, count
        with np.errstate(invalid="ignore", divide="ignore"):
            out = xp.nansum(x, axis=axes, keepdims=True) / count
        return out if keepdim or not axes else out.squeeze(axes)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = _keep(grad_out, ctx.axes, ctx.keepdim) / ctx.count
        return xp.where(ctx.ok, g, 0), None, None


class Prod(Function):
    """``out = product of x over axis``; d/dx_j = prod_{i != j} x_i, exact with zeros in x."""

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int | None, keepdim: bool, dtype: Any) -> Any:
        out = x.prod(axis=axis, keepdims=keepdim, dtype=dtype)
        ctx.axis, ctx.keepdim = axis, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, out = ctx.saved_tensors
        xp = get_xp(x)
        axes = tuple(range(x.ndim)) if ctx.axis is None else (ctx.axis,)
        g = _keep(grad_out, axes, ctx.keepdim)
        zero = x == 0
        if not zero.any():
            return (g * _keep(out, axes, ctx.keepdim)) / x, None, None, None
        # With zeros, out / x is 0/0: the product of the others is the product of the non-zero
        # entries at a slice's only zero, and 0 everywhere else in a slice that has a zero.
        kd = ctx.axis is not None
        nz = zero.sum(axis=ctx.axis, keepdims=kd)
        p = xp.where(zero, 1, x).prod(axis=ctx.axis, keepdims=kd)
        safe = xp.where(zero, 1, x)
        others = xp.where(zero, xp.where(nz == 1, p, 0), xp.where(nz == 0, p / safe, 0))
        return g * others, None, None, None


class _Extremum(Function):
    """``out = max (or min) of x over axes``; the gradient is split evenly among ties."""

    _max = True

    @staticmethod
    def forward(ctx: Any, x: Any, axes: tuple, keepdim: bool) -> Any:
        out = x.max(axis=axes, keepdims=keepdim) if ctx._max else x.min(axis=axes,
                                                                         keepdims=keepdim)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, out = ctx.saved_tensors
        xp = get_xp(x)
        o = _keep(out, ctx.axes, ctx.keepdim)
        mask = x == o
        nan = xp.isnan(o)
        if nan.any():  # a nan extremum: the gradient goes to the nans
            mask = xp.where(nan, xp.isnan(x), mask)
        count = mask.sum(axis=ctx.axes, keepdims=True).astype(grad_out.dtype)
        g = _keep(grad_out, ctx.axes, ctx.keepdim) / count
        return xp.where(mask, g, 0), None, None


class Amax(_Extremum):
    """``out = max of x over axes``; the gradient is split evenly among ties."""

    _max = True


class Amin(_Extremum):
    """``out = min of x over axes``; the gradient is split evenly among ties."""

    _max = False


class ReduceSelect(Function):
    """``out = x at the positions idx along axis`` (max/min with dim, sort, topk, median,
    mode, kthvalue); the gradient is scattered back to those positions.

    ``idx`` has the input's number of dims (``keepdim`` form); ``keepdim=False`` squeezes
    ``axis`` (``idx`` then has size 1 there).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, idx: Any, axis: int, keepdim: bool) -> Any:
        ctx.shape, ctx.idx, ctx.axis, ctx.keepdim = x.shape, idx, axis, keepdim
        if x.ndim == 0:
            return x.copy()
        out = _take_along(x, idx, axis)
        return out if keepdim else out.squeeze(axis)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        if not ctx.shape:
            return grad_out, None, None, None
        xp = get_xp(grad_out)
        g = grad_out if ctx.keepdim else xp.expand_dims(grad_out, ctx.axis)
        gx = xp.zeros(ctx.shape, dtype=grad_out.dtype)
        _put_along(gx, ctx.idx, g, ctx.axis)
        return gx, None, None, None


class Median(Function):
    """``out = lower median of all elements`` (nan if any is nan); the gradient is split
    evenly among the elements equal to it."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        xp = get_xp(x)
        flat = x.reshape(-1)
        n = flat.shape[0]
        if n == 0:
            out = xp.asarray(xp.nan, dtype=x.dtype)
        elif x.dtype.kind == "f" and xp.isnan(flat).any():
            out = xp.asarray(xp.nan, dtype=x.dtype)
        else:
            k = (n - 1) // 2
            out = xp.partition(flat, k)[k]
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, out = ctx.saved_tensors
        xp = get_xp(x)
        mask = xp.isnan(x) if xp.isnan(out) else x == out
        return xp.where(mask, grad_out / mask.sum().astype(grad_out.dtype), 0)


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


class Cumsum(Function):
    """``out_k = sum_{j <= k} x_j`` along axis; d/dx_j = sum_{k >= j} g_k."""

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int, dtype: Any) -> Any:
        ctx.axis = axis
        return _as_1d(x).cumsum(axis=axis, dtype=dtype).reshape(x.shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return _rev_cumsum(_as_1d(grad_out), ctx.axis).reshape(grad_out.shape), None, None


class Cumprod(Function):
    """``out_k = prod_{j <= k} x_j`` along axis; exact gradient with zeros in x.

    d/dx_j = sum_{k >= j} g_k out_k / x_j before a slice's first zero and 0 after it; at the
    first zero z it is sum_{k >= z} g_k cumprod(x with x_z := 1)_k.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, axis: int, dtype: Any) -> Any:
        out = _as_1d(x).cumprod(axis=axis, dtype=dtype).reshape(x.shape)
        ctx.axis = axis
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, out = ctx.saved_tensors
        xp = get_xp(x)
        shape, ax = x.shape, ctx.axis
        x, out, g = _as_1d(x), _as_1d(out), _as_1d(grad_out)
        zero = x == 0
        if not zero.any():
            return (_rev_cumsum(g * out, ax) / x).reshape(shape), None, None
        first = zero & (xp.cumsum(zero, axis=ax) == 1)
        safe = xp.where(zero, 1, x)
        before = xp.where(zero, 0, _rev_cumsum(g * out, ax) / safe)
        at_first = _rev_cumsum(g * xp.cumprod(xp.where(first, 1, x), axis=ax), ax)
        return xp.where(first, at_first, before).reshape(shape), None, None


# ----------------------------------------------------------------------------- sum / mean / prod
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """``sum_i x_i`` over ``dim`` (all by default). Integer and bool inputs sum as int64;
    ``dtype`` casts the input first.

    Args:
        input: the tensor.
        dim: an int, a tuple of ints, or ``None`` (every dimension).
        keepdim: keep the reduced dimensions with size 1.
        dtype: cast the input to this dtype before summing.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
        tensor([4., 6.])
    """
    input = as_tensor_arg(input, "sum")
    axes = _axes(dim, input.ndim, "sum")
    dtype = _check_dtype_arg(dtype)
    if dtype is not None:
        input = cast(input, dtype)
    acc = dtype if dtype is not None else _int64 if input.dtype.kind in "biu" else None
    return Sum.apply(input, axes, keepdim, acc)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """``sum_i x_i / N`` over ``dim`` (all by default); floating inputs only (or pass
    ``dtype``). The mean of an empty set is nan.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(1)
        tensor([1.5000, 3.5000])
    """
    input = as_tensor_arg(input, "mean")
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input.dtype}")
    return Mean.apply(input, _axes(dim, input.ndim, "mean"), keepdim)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *,
           dtype: Any = None) -> Tensor:
    """``sum`` treating nan as 0."""
    input = as_tensor_arg(input, "nansum")
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.kind != "f":
        return sum(input, dim, keepdim)
    return NanSum.apply(input, _axes(dim, input.ndim, "nansum"), keepdim)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
            dtype: Any = None) -> Tensor:
    """``mean`` of the non-nan elements (nan where all are nan)."""
    input = as_tensor_arg(input, "nanmean")
    if dtype is not None:
        input = cast(input, dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got "
                           f"{input.dtype}")
    return NanMean.apply(input, _axes(dim, input.ndim, "nanmean"), keepdim)


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """``prod_i x_i`` over ``dim`` (an int) or over everything; integer and bool inputs
    multiply as int64. The gradient is exact when the input has zeros.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1)
        tensor([ 2., 12.])
    """
    input = as_tensor_arg(input, "prod")
    if dim is not None and not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise TypeError(f"prod(): argument 'dim' must be an int or None, got "
                        f"{type(dim).__name__} ({dim!r})")
    dtype = _check_dtype_arg(dtype)
    if dtype is not None:
        input = cast(input, dtype)
    acc = dtype if dtype is not None else _int64 if input.dtype.kind in "biu" else None
    if dim is None:
        return Prod.apply(input, None, False, acc)
    axis = wrap_dim(dim, input.ndim, "prod")
    if input.ndim == 0:
        return Prod.apply(input, None, False, acc)
    return Prod.apply(input, axis, keepdim, acc)


# ----------------------------------------------------------------------------- max / min
def _extremum_dim(input: Tensor, dim: int, keepdim: bool, op: str, is_max: bool) -> Any:
    xp = get_xp(input)
    x = input.data
    axis = wrap_dim(dim, x.ndim, op)
    if x.ndim == 0:
        idx = xp.zeros((), dtype=_int64)
    else:
        _check_nonempty(x.shape, (axis,), op, True)
        idx = (xp.argmax if is_max else xp.argmin)(x, axis=axis, keepdims=True)
        if idx.dtype != _int64:
            idx = idx.astype(_int64)
    values = ReduceSelect.apply(input, idx, axis, keepdim)
    indices = Tensor._make(idx if keepdim or x.ndim == 0 else idx.squeeze(axis))
    return getattr(return_types, op)(values, indices)


def _extremum(input: Any, dim: Any, keepdim: bool, other: Any, op: str) -> Any:
    is_max = op == "max"
    if isinstance(dim, Tensor) and other is None:
        other, dim = dim, None
    if other is not None:
        if is_max:
            from .unary import maximum as binary
        else:
            from .unary import minimum as binary
        return binary(input, other)
    input = as_tensor_arg(input, op)
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}(): keepdim=True needs a dim (use amax/amin for a full "
                            "reduction with keepdim)")
        _check_nonempty(input.shape, (), op, False)
        return (Amax if is_max else Amin).apply(input, tuple(range(input.ndim)), False)
    if isinstance(dim, tuple | list):
        raise TypeError(f"{op}(): argument 'dim' must be an int, got {type(dim).__name__} "
                        f"{tuple(dim)} (use amax/amin to reduce several dims)")
    return _extremum_dim(input, dim, keepdim, op, is_max)


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """The maximum: ``max(x)`` of all elements (a 0-d tensor); ``max(x, dim)`` a namedtuple
    ``(values, indices)`` along ``dim``; ``max(x, other)`` the elementwise maximum.

    The gradient of ``max(x)`` is split evenly among tied maxima; along ``dim`` it goes to the
    returned index.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.tensor([[1.0, 5.0], [4.0, 2.0]])
        >>> x.max()
        tensor(5.)
        >>> values, indices = x.max(dim=1)
        >>> indices
        tensor([1, 0])
    """
    return _extremum(input, dim, keepdim, other, "max")


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """The minimum: ``min(x)``, ``min(x, dim)`` -> ``(values, indices)``, or ``min(x, other)``
    (elementwise), as :func:`max`."""
    return _extremum(input, dim, keepdim, other, "min")


def _amax_amin(input: Tensor, dim: Any, keepdim: bool, op: str, cls: type[Function]) -> Tensor:
    input = as_tensor_arg(input, op)
    given = not (dim is None or isinstance(dim, tuple | list) and len(dim) == 0)
    axes = _axes(dim, input.ndim, op)
    _check_nonempty(input.shape, axes, op, given)
    return cls.apply(input, axes, keepdim)


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """``max x`` over ``dim`` (int, tuple, or all); the gradient is split evenly among ties.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1.0, 5.0], [4.0, 2.0]]).amax(0)
        tensor([4., 5.])
    """
    return _amax_amin(input, dim, keepdim, "amax", Amax)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """``min x`` over ``dim`` (int, tuple, or all); the gradient is split evenly among ties."""
    return _amax_amin(input, dim, keepdim, "amin", Amin)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """``(min, max)`` over ``dim`` (an int) or everything, as a namedtuple."""
    input = as_tensor_arg(input, "aminmax")
    if dim is None:
        axes = tuple(range(input.ndim))
        _check_nonempty(input.shape, axes, "aminmax", False)
    else:
        axes = (wrap_dim(dim, input.ndim, "aminmax"),) if input.ndim else ()
        _check_nonempty(input.shape, axes, "aminmax", True)
    return return_types.aminmax(Amin.apply(input, axes, keepdim), Amax.apply(input, axes, keepdim))


def _argext(input: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:
    input = as_tensor_arg(input, op)
    x = input.data
    xp = get_xp(x)
    if x.dtype.kind == "b":
        raise RuntimeError(f"{op}(): does not support bool input")
    fn = xp.argmax if op == "argmax" else xp.argmin
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0 (input shape {tuple(x.shape)}).")
        out = fn(x, axis=None, keepdims=keepdim) if x.ndim else xp.zeros((), dtype=_int64)
    else:
        axis = wrap_dim(dim, x.ndim, op)
        if x.ndim == 0:
            out = xp.zeros((), dtype=_int64)
        else:
            _check_nonempty(x.shape, (axis,), op, True)
            out = fn(x, axis=axis, keepdims=keepdim)
    return Tensor._make(xp.asarray(out, dtype=_int64))


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the maximum along ``dim`` (flat index over everything when ``dim=None``),
    int64, the first one on ties.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1.0, 5.0], [4.0, 2.0]]).argmax()
        tensor(1)
    """
    return _argext(input, dim, keepdim, "argmax")


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the minimum along ``dim`` (flat index when ``dim=None``), int64."""
    return _argext(input, dim, keepdim, "argmin")


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




# ----------------------------------------------------------------------------- all / any / count
def _logical(input: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:
    input = as_tensor_arg(input, op)
    x = input.data
    xp = get_xp(x)
    axes = tuple(range(x.ndim)) if dim is None else wrap_dims(dim, x.ndim, op)
    if not x.ndim:
        axes = ()
    out = (xp.all if op == "all" else xp.any)(x, axis=axes, keepdims=keepdim)
    out = xp.asarray(out)
    if x.dtype == np.uint8:  # PyTorch keeps uint8 for all/any of uint8
        out = out.astype(np.uint8)
    return Tensor._make(out)


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether every element is non-zero over ``dim`` (bool; uint8 for uint8 inputs).

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1, 0], [2, 3]]).all(dim=1)
        tensor([False,  True])
    """
    return _logical(input, dim, keepdim, "all")


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether some element is non-zero over ``dim`` (bool; uint8 for uint8 inputs)."""
    return _logical(input, dim, keepdim, "any")


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """Number of non-zero elements over ``dim`` (int64).

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([[1, 0], [2, 3]]).count_nonzero(dim=0)
        tensor([2, 1])
    """
    input = as_tensor_arg(input, "count_nonzero")
    x = input.data
    axes = _axes(dim, x.ndim, "count_nonzero")
    return Tensor._make(get_xp(x).asarray((x != 0).sum(axis=axes, dtype=_int64)))


# ----------------------------------------------------------------------------- cumulative
def _cumulative(input: Tensor, dim: int, dtype: Any, op: str, cls: type[Function]) -> Tensor:
    input = as_tensor_arg(input, op)
    dtype = _check_dtype_arg(dtype)
    if dtype is not None:
        input = cast(input, dtype)
    axis = wrap_dim(dim, input.ndim, op)
    acc = dtype if dtype is not None else _int64 if input.dtype.kind in "biu" else None
    return cls.apply(input, axis, acc)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``out_k = sum_{j <= k} x_j`` along ``dim``; integer and bool inputs accumulate as int64.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([1.0, 2.0, 3.0]).cumsum(0)
        tensor([1., 3., 6.])
    """
    return _cumulative(input, dim, dtype, "cumsum", Cumsum)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``out_k = prod_{j <= k} x_j`` along ``dim``; the gradient is exact with zeros.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([1.0, 2.0, 3.0]).cumprod(0)
        tensor([1., 2., 6.])
    """
    return _cumulative(input, dim, dtype, "cumprod", Cumprod)


# ----------------------------------------------------------------------------- sort / select
def _argsort_array(x: Any, axis: int, descending: bool, stable: bool) -> Any:
    """int64 indices sorting ``x`` along ``axis`` (nan last ascending, first descending)."""
    xp = get_xp(x)
    kw = {"kind": "stable"} if stable and xp is np else {}  # CuPy's sort is always stable
    if not descending:
        idx = xp.argsort(x, axis=axis, **kw)
    else:
        # stable descending: sort the reversed array ascending, reverse back; ties keep order
        n = x.shape[axis]
        idx = (n - 1) - xp.flip(xp.argsort(xp.flip(x, axis), axis=axis, **kw), axis)
    return idx.astype(_int64, copy=False)


def _select(input: Tensor, idx: Any, axis: int, keepdim: bool, kind: str) -> Any:
    """``(values, indices)`` for ``idx`` (keepdim form) along ``axis``."""
    values = ReduceSelect.apply(input, idx, axis, keepdim)
    if input.ndim == 0:
        idx = idx.reshape(())
    elif not keepdim:
        idx = idx.squeeze(axis)
    return getattr(return_types, kind)(values, Tensor._make(idx))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
    """Sort along ``dim``: a namedtuple ``(values, indices)`` with
    ``values = x.gather(dim, indices)``; nan sorts as the largest value.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([3.0, 1.0, 2.0]).sort(descending=True).indices
        tensor([0, 2, 1])
    """
    input = as_tensor_arg(input, "sort")
    axis = wrap_dim(dim, input.ndim, "sort")
    x = input.data
    if x.ndim == 0:
        return _select(input, get_xp(x).zeros((), dtype=_int64), 0, True, "sort")
    return _select(input, _argsort_array(x, axis, descending, stable), axis, True, "sort")


def argsort(input: Tensor, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64)."""
    input = as_tensor_arg(input, "argsort")
    axis = wrap_dim(dim, input.ndim, "argsort")
    x = input.data
    if x.ndim == 0:
        return Tensor._make(get_xp(x).zeros((), dtype=_int64))
    return Tensor._make(_argsort_array(x, axis, descending, stable))


def msort(input: Tensor) -> Tensor:
    """``sort(input, dim=0).values``."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> Any:
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim``, as a namedtuple
    ``(values, indices)``, ordered (also when ``sorted=False``).

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([1.0, 4.0, 2.0, 3.0]).topk(2).values
        tensor([4., 3.])
    """
    input = as_tensor_arg(input, "topk")
    axis = wrap_dim(dim, input.ndim, "topk")
    x = input.data
    xp = get_xp(x)
    if x.dtype.kind == "b":
        raise RuntimeError("topk(): does not support bool dtypes")
    n = x.shape[axis] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"topk(): argument 'k' must be an int, got {type(k).__name__}")
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k out of range (k={k}, size {n} along dim "
                           f"{dim})")
    if x.ndim == 0:
        return _select(input, xp.zeros((), dtype=_int64), 0, True, "topk")
    if k == 0:
        shape = list(x.shape)
        shape[axis] = 0
        idx = xp.zeros(shape, dtype=_int64)
    elif k <= 16 and n > 64 and x.dtype.kind == "f" and not (
            xp.isinf(x).any() or not largest and xp.isnan(x).any()):
        # a few arg-extrema passes beat a selection over the whole row (top-5 accuracy...)
        work = x.copy()
        fill = -xp.inf if largest else xp.inf
        pick = xp.argmax if largest else xp.argmin
        parts = []
        for _ in range(k):
            j = pick(work, axis=axis, keepdims=True)
            _put_along(work, j, fill, axis)
            parts.append(j)
        idx = xp.concatenate(parts, axis=axis).astype(_int64, copy=False)
    elif 4 * k >= n or n <= 64:
        idx = _slice(_argsort_array(x, axis, largest, False), axis, 0, k)
    else:  # partial selection, then order the k chosen
        if largest:
            part = xp.argpartition(x, n - k, axis=axis)
            sel = _slice(part, axis, n - k, n)
        else:
            part = xp.argpartition(x, k - 1, axis=axis)
            sel = _slice(part, axis, 0, k)
        order = _argsort_array(_take_along(x, sel, axis), axis, largest, False)
        idx = _take_along(sel, order, axis).astype(_int64, copy=False)
    return _select(input, idx, axis, True, "topk")


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The ``k``-th smallest element (1-based) along ``dim``, as ``(values, indices)``."""
    input = as_tensor_arg(input, "kthvalue")
    axis = wrap_dim(dim, input.ndim, "kthvalue")
    x = input.data
    xp = get_xp(x)
    if x.ndim == 0:
        if k != 1:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension "
                               f"{dim} (k={k}, size 1)")
        return _select(input, xp.zeros((), dtype=_int64), 0, True, "kthvalue")
    _check_nonempty(x.shape, (axis,), "kthvalue", True)
    n = x.shape[axis]
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim} "
                           f"(k={k}, size {n})")
    idx = _slice(xp.argpartition(x, k - 1, axis=axis), axis, k - 1, k).astype(_int64)
    return _select(input, idx, axis, keepdim, "kthvalue")


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median: ``median(x)`` of all elements (nan if any is nan; the gradient is
    split among ties), or ``median(x, dim)`` -> ``(values, indices)`` along ``dim``.

    Example:
        >>> import lightgrad
        >>> lightgrad.tensor([3.0, 1.0, 4.0, 2.0]).median()
        tensor(2.)
    """
    input = as_tensor_arg(input, "median")
    x = input.data
    xp = get_xp(x)
    if x.dtype.kind == "b":
        raise RuntimeError("median(): not implemented for bool tensors")
    if dim is None:
        if x.size == 0 and x.dtype.kind != "f":
            raise RuntimeError(f"median(): the median of an empty {x.dtype} tensor is undefined "
                               f"(shape {tuple(x.shape)})")
        return Median.apply(input)
    axis = wrap_dim(dim, x.ndim, "median")
    if x.ndim == 0:
        return _select(input, xp.zeros((), dtype=_int64), 0, True, "median")
    _check_nonempty(x.shape, (axis,), "median", True)
    n = x.shape[axis]
    k = (n - 1) // 2
    idx = _slice(xp.argpartition(x, k, axis=axis), axis, k, k + 1).astype(_int64)
    if x.dtype.kind == "f":  # a slice with a nan has median nan, at its first nan
        isn = xp.isnan(x)
        if isn.any():
            idx = xp.where(isn.any(axis=axis, keepdims=True),
                           xp.argmax(isn, axis=axis, keepdims=True), idx)
    return _select(input, idx, axis, keepdim, "median")


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value along ``dim`` (the smallest one on ties) and the index of its
    last occurrence, as ``(values, indices)``."""
    input = as_tensor_arg(input, "mode")
    axis = wrap_dim(dim, input.ndim, "mode")
    x = input.data
    xp = get_xp(x)
    if x.ndim == 0:
        return _select(input, xp.zeros((), dtype=_int64), 0, True, "mode")
    _check_nonempty(x.shape, (axis,), "mode", True)
    xm = xp.moveaxis(x, axis, -1)
    n = xm.shape[-1]
    order = _argsort_array(xm, -1, False, True)  # ties keep their order: last = largest
    s = xp.take_along_axis(xm, order, axis=-1)
    pos = xp.arange(n)
    start = xp.ones(s.shape, dtype=bool)
    start[..., 1:] = s[..., 1:] != s[..., :-1]
    # the start of each element's run, then the running length of the run at each position
    run_start = cummax(xp.where(start, pos, 0), axis=-1)
    length = pos - run_start
    best = xp.argmax(length, axis=-1)[..., None]  # end of the first longest run
    idx = xp.take_along_axis(order, best, axis=-1).astype(_int64, copy=False)
    idx = xp.moveaxis(idx, -1, axis)
    return _select(input, idx, axis, keepdim, "mode")


# ----------------------------------------------------------------------------- Tensor methods
Tensor.sum = sum  # type: ignore[attr-defined]
Tensor.mean = mean  # type: ignore[attr-defined]
Tensor.nansum = nansum  # type: ignore[attr-defined]
Tensor.nanmean = nanmean  # type: ignore[attr-defined]
Tensor.prod = prod  # type: ignore[attr-defined]
Tensor.max = max  # type: ignore[attr-defined]
Tensor.min = min  # type: ignore[attr-defined]
Tensor.amax = amax  # type: ignore[attr-defined]
Tensor.amin = amin  # type: ignore[attr-defined]
Tensor.aminmax = aminmax  # type: ignore[attr-defined]
Tensor.argmax = argmax  # type: ignore[attr-defined]
Tensor.argmin = argmin  # type: ignore[attr-defined]
Tensor.var = var  # type: ignore[attr-defined]
Tensor.std = std  # type: ignore[attr-defined]
Tensor.logsumexp = logsumexp  # type: ignore[attr-defined]
Tensor.norm = norm  # type: ignore[attr-defined]
Tensor.all = all  # type: ignore[attr-defined]
Tensor.any = any  # type: ignore[attr-defined]
Tensor.count_nonzero = count_nonzero  # type: ignore[attr-defined]
Tensor.cumsum = cumsum  # type: ignore[attr-defined]
Tensor.cumprod = cumprod  # type: ignore[attr-defined]
Tensor.sort = sort  # type: ignore[attr-defined]
Tensor.argsort = argsort  # type: ignore[attr-defined]
Tensor.msort = msort  # type: ignore[attr-defined]
Tensor.topk = topk  # type: ignore[attr-defined]
Tensor.kthvalue = kthvalue  # type: ignore[attr-defined]
Tensor.median = median  # type: ignore[attr-defined]
Tensor.mode = mode  # type: ignore[attr-defined]


def _cumsum_(self: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return inplace(self, lambda t, d: cumsum(t, d, dtype=dtype), dim, op="cumsum_")


def _cumprod_(self: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return inplace(self, lambda t, d: cumprod(t, d, dtype=dtype), dim, op="cumprod_")


Tensor.cumsum_ = _cumsum_  # type: ignore[attr-defined]
Tensor.cumprod_ = _cumprod_  # type: ignore[attr-defined]
