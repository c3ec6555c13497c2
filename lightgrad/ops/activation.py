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
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor
from .arithmetic import neg, sub
from .convert import cast
from .inplace import inplace
from .operands import as_operand, broadcast_shapes, check_same_device, wrap_dim
from .unary import _blend, _erf, _float_only, _floating, _quiet, _tensor, _xp

__all__ = [
    "sigmoid", "tanh", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu",
    "mish", "softplus", "softsign", "hardtanh", "hardsigmoid", "hardswish", "logsigmoid",
    "heaviside", "threshold", "softmax", "log_softmax", "softmin", "one_hot", "prelu", "rrelu",
    "glu", "hardshrink", "softshrink", "tanhshrink",
    "sigmoid_", "tanh_", "relu_", "elu_", "selu_", "celu_", "leaky_relu_", "hardtanh_",
    "threshold_", "rrelu_",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


_INF = math.inf


def _sigmoid(x: Any) -> Any:
    """``1 / (1 + e^-x)`` on a raw array (exp overflows to inf for x << 0: the result is 0)."""
    xp = _xp(x)
    if x.ndim == 0:
        with _quiet(over="ignore"):
            return 1.0 / (xp.exp(-x) + 1.0)
    e = xp.negative(x)
    with _quiet(over="ignore"):
        xp.exp(e, out=e)
    e += 1.0
    return xp.divide(1.0, e, out=e)


def _pos(x: Any) -> Any:
    """``max(x, 0)`` (clip with numbers is NumPy's fast path; integers keep their dtype)."""
    return x.clip(0.0, _INF) if x.dtype.kind == "f" else _xp(x).maximum(x, 0)


def _neg(x: Any) -> Any:
    """``min(x, 0)`` for a floating array."""
    return x.clip(-_INF, 0.0)


def _own(fn: Any, a: Any) -> Any:
    """``fn(a)`` written into ``a``, a temporary this op owns (NumPy scalars are immutable)."""
    return fn(a, out=a) if getattr(a, "ndim", 0) else fn(a)


def _maybe_inplace(fn: Any, input: Any, inplace_: bool, name: str, *args: Any) -> Tensor:
    if inplace_:
        return inplace(input, fn, *args, op=name)
    return fn(input, *args)


# ----------------------------------------------------------------------------- Functions
class _MaskGrad(Function):
    """Base of ``out = f(x, arg)`` ops whose gradient is ``grad_out`` times the one array they
    saved (a 0/1 mask or a per-element slope); the extra argument gets none."""

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (m,) = ctx.saved_tensors
        return grad_out * m, None


class Sigmoid(Function):
    """``out = 1 / (1 + e^-x)``; d/dx = out (1 - out)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = _sigmoid(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        d = 1.0 - out
        d *= out
        d *= grad_out
        return d


class Tanh(Function):
    """``out = tanh x``; d/dx = 1 - out^2."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = _xp(x).tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        d = out * out
        d -= 1.0
        d *= grad_out
        d *= -1.0
        return d


class Relu(Function):
    """``out = max(x, 0)``; d/dx = 1 where out > 0 (the output is the mask)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = _pos(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad_out * ~(out <= 0)  # NaN passes the gradient, as in PyTorch


class Hardtanh(Function):
    """``out = clip(x, lo, hi)``; d/dx = 1 where lo < x < hi (strictly, as PyTorch)."""

    @staticmethod
    def forward(ctx: Any, x: Any, lo: float, hi: float) -> Any:
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        out = _xp(x).clip(x, lo, hi)
        return out if out.dtype == x.dtype else out.astype(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out * ((x > ctx.lo) & (x < ctx.hi)), None, None


class LeakyRelu(Function):
    """``out = x if x > 0 else slope x``; d/dx = 1 or slope."""

    @staticmethod
    def forward(ctx: Any, x: Any, slope: float) -> Any:
        ctx.save_for_backward(x)
        ctx.slope = slope
        if 0.0 <= slope <= 1.0:
            return _xp(x).maximum(x, x * slope)
        return x * _blend(x > 0, 1.0, slope, x.dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad_out * _blend(x > 0, 1.0, ctx.slope, grad_out.dtype), None


class Elu(Function):
    """ELU family: ``out = scale x`` for x > 0, else ``scale alpha (e^(x input_scale) - 1)``.

    ``elu`` is (alpha, 1, 1), ``selu`` (1.6733, 1.0507, 1), ``celu`` (alpha, 1, 1/alpha).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, alpha: float, scale: float, input_scale: float) -> Any:
        xp = _xp(x)
        # out = scale max(x, 0) + alpha scale expm1(input_scale min(x, 0)): one term is 0
        neg = _neg(x)
        if input_scale != 1.0:
            neg *= input_scale
        neg = _own(xp.expm1, neg)
        neg *= alpha * scale
        out = _pos(x)
        if scale != 1.0:
            out *= scale
        out += neg
        ctx.save_for_backward(x, neg)
        ctx.params = (alpha, scale, input_scale)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, neg = ctx.saved_tensors
        alpha, scale, input_scale = ctx.params
        # x <= 0: d/dx = input_scale alpha scale e^(input_scale x) = input_scale (neg + alpha
        # scale); neg is 0 for x > 0, so this stays finite there
        dneg = neg + alpha * scale
        dneg *= input_scale
        d = _blend(x > 0, scale, dneg, grad_out.dtype)
        d *= grad_out
        return d, None, None, None


class Gelu(Function):
    """``out = x Phi(x)`` with Phi the normal CDF (``approximate='tanh'``: its tanh fit)."""

    @staticmethod
    def forward(ctx: Any, x: Any, approximate: str) -> Any:
        xp = _xp(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            t = x * x
            t *= _GELU_C
            t += 1.0
            t *= x
            t *= _SQRT_2_OVER_PI
            t = _own(xp.tanh, t)
            ctx.save_for_backward(x, t)
            out = t + 1.0
            out *= x
            out *= 0.5
            return out
        cdf = _erf(x * _INV_SQRT2, overwrite=True)
        cdf += 1.0
        cdf *= 0.5
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, s = ctx.saved_tensors
        xp = _xp(grad_out)
        if ctx.approximate == "tanh":
            # d/dx = (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3c x^2)
            d = x * x
            d *= 3.0 * _GELU_C
            d += 1.0
            d *= _SQRT_2_OVER_PI
            d *= x
            t2 = s * s
            t2 -= 1.0
            d *= t2  # = -(1 - t^2) x sqrt(2/pi) (1 + 3c x^2)
            del t2
            d -= s
            d -= 1.0
            d *= grad_out
            d *= -0.5
            return d, None
        # d/dx = Phi(x) + x phi(x)
        pdf = x * x
        pdf *= -0.5
        pdf = _own(xp.exp, pdf)
        pdf *= _INV_SQRT_2PI
        pdf *= x
        pdf += s
        pdf *= grad_out
        return pdf, None


class Silu(Function):
    """``out = x sigmoid(x)``; d/dx = s (1 + x (1 - s))."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        s = _sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, s = ctx.saved_tensors
        d = 1.0 - s
        d *= x
        d += 1.0
        d *= s
        d *= grad_out
        return d


class Mish(Function):
    """``out = x tanh(softplus(x))``; d/dx = t + x sigmoid(x) (1 - t^2)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        xp = _xp(x)
        # tanh(softplus(x)) == 1 to double precision for x > 20; clipping avoids exp overflow
        t = x.clip(-_INF, 20.0)
        t = _own(xp.exp, t)
        t = _own(xp.log1p, t)
        t = _own(xp.tanh, t)
        ctx.save_for_backward(x, t)
        return x * t

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, t = ctx.saved_tensors
        d = t * t
        d -= 1.0
        d *= x
        d *= _sigmoid(x)  # = -x sigmoid(x) (1 - t^2)
        d *= -1.0
        d += t
        d *= grad_out
        return d


class Softplus(Function):
    """``out = ln(1 + e^(beta x)) / beta`` (``x`` where beta x > threshold); d/dx = sigmoid."""

    @staticmethod
    def forward(ctx: Any, x: Any, beta: float, threshold: float) -> Any:
        xp = _xp(x)
        bx = x * beta if beta != 1.0 else x
        z = _own(xp.exp, bx.clip(-_INF, threshold))
        linear = bx > threshold
        ctx.save_for_backward(linear, z)
        sp = xp.log1p(z)
        if beta != 1.0:
            sp /= beta
        # the linear region is usually sparse: ``where`` is fast on such masks
        return xp.where(linear, x, sp)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        linear, z = ctx.saved_tensors
        d = z + 1.0
        d = z / d if not getattr(d, "ndim", 0) else _xp(d).divide(z, d, out=d)  # sigmoid
        d = _xp(d).where(linear, 1.0, d)
        d *= grad_out
        return d, None, None


class Softsign(Function):
    """``out = x / (1 + |x|)``; d/dx = 1 / (1 + |x|)^2."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        d = _xp(x).abs(x)
        d += 1.0
        ctx.save_for_backward(d)
        return x / d

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (d,) = ctx.saved_tensors
        return grad_out / (d * d)


class Hardsigmoid(Function):
    """``out = clip(x + 3, 0, 6) / 6``; d/dx = 1/6 where -3 < x < 3."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        out = x + 3.0
        out = _own(lambda a, out=None: a.clip(0.0, 6.0, out=out), out)
        out /= 6.0
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        d = grad_out * ((x > -3.0) & (x < 3.0))
        d /= 6.0
        return d


class Hardswish(Function):
    """``out = x clip(x + 3, 0, 6) / 6``; d/dx = 0 (x < -3), x/3 + 1/2 (x <= 3), 1 (x > 3)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        out = x + 3.0
        out = _own(lambda a, out=None: a.clip(0.0, 6.0, out=out), out)
        out *= x
        out /= 6.0
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (x,) = ctx.saved_tensors
        # 0 for x < -3, x/3 + 1/2 for -3 <= x <= 3, 1 for x > 3
        d = x.clip(-3.0, 3.0)
        d /= 3.0
        d += 0.5
        d *= (x >= -3.0) & (x <= 3.0)
        d += x > 3.0
        d *= grad_out
        return d


class LogSigmoid(Function):
    """``out = -ln(1 + e^-x) = min(x, 0) - ln(1 + e^-|x|)``; d/dx = sigmoid(-x)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        xp = _xp(x)
        e = xp.abs(x)
        e = _own(xp.negative, e)
        e = _own(xp.exp, e)
        ctx.save_for_backward(x, e)
        out = _neg(x)
        out -= xp.log1p(e)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, e = ctx.saved_tensors
        xp = _xp(grad_out)
        # sigmoid(-x) = 1 / (1 + e) for x < 0, e / (1 + e) otherwise (e = e^-|x| <= 1)
        d = xp.maximum(e, x < 0)
        d /= e + 1.0
        d *= grad_out
        return d


class Heaviside(Function):
    """``out = 0 (x < 0), values (x == 0), 1 (x > 0)``; zero gradient for ``x``."""

    @staticmethod
    def forward(ctx: Any, x: Any, values: Any) -> Any:
        xp = _xp(x)
        zero = x == 0
        ctx.save_for_backward(zero)
        out = xp.where(zero, values, x > 0)
        return out if out.dtype == x.dtype else out.astype(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (zero,) = ctx.saved_tensors
        xp = _xp(grad_out)
        nv = ctx.needs_input_grad[1]
        return xp.zeros_like(grad_out), (xp.where(zero, grad_out, 0) if nv else None)


class Threshold(Function):
    """``out = x if x > threshold else value``; d/dx = 1 where x > threshold."""

    @staticmethod
    def forward(ctx: Any, x: Any, threshold: float, value: float) -> Any:
        xp = _xp(x)
        keep = ~(x <= threshold)  # NaN is kept, as in PyTorch
        ctx.save_for_backward(keep)
        if x.dtype.kind != "f":
            return xp.where(keep, x, value).astype(x.dtype, copy=False)
        # kept elements are > threshold: clipping there keeps x = -inf out of the blend
        return _blend(keep, xp.clip(x, threshold, _INF), value, x.dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (keep,) = ctx.saved_tensors
        return grad_out * keep, None, None


class Hardshrink(_MaskGrad):
    """``out = x where |x| > lambd else 0``; d/dx = 1 where |x| > lambd."""

    @staticmethod
    def forward(ctx: Any, x: Any, lambd: float) -> Any:
        keep = _xp(x).abs(x) > lambd
        ctx.save_for_backward(keep)
        return x * keep


class Softshrink(_MaskGrad):
    """``out = x - lambd sign(x) where |x| > lambd else 0``; d/dx = 1 where |x| > lambd."""

    @staticmethod
    def forward(ctx: Any, x: Any, lambd: float) -> Any:
        xp = _xp(x)
        keep = xp.abs(x) > lambd
        ctx.save_for_backward(keep)
        return (x - xp.sign(x) * lambd) * keep


class Prelu(Function):
    """``out = x if x > 0 else w x``, ``w`` one slope per channel (dim 1) or a single one."""

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any) -> Any:
        xp = _xp(x)
        wb = w.reshape((1, -1) + (1,) * (x.ndim - 2)) if w.size > 1 else w.reshape(())
        slope = _blend(x > 0, 1.0, xp.broadcast_to(wb, x.shape), x.dtype)
        ctx.save_for_backward(x, slope)
        ctx.wshape, ctx.wndim = w.shape, wb.ndim
        return x * slope

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, slope = ctx.saved_tensors
        nx, nw = ctx.needs_input_grad
        gx = grad_out * slope if nx else None
        gw = None
        if nw:
            gxw = (x * grad_out) * ~(x > 0)
            axes = tuple(i for i in range(x.ndim) if not (ctx.wndim and i == 1))
            gw = gxw.sum(axis=axes).reshape(ctx.wshape)
        return gx, gw


class Rrelu(_MaskGrad):
    """Randomized leaky ReLU (training): ``out = x if x >= 0 else a x``, ``a ~ U(lower, upper)``
    drawn per element; d/dx = the same slope."""

    @staticmethod
    def forward(ctx: Any, x: Any, slopes: Any) -> Any:
        a = _blend(x > 0, 1.0, slopes, x.dtype)
        ctx.save_for_backward(a)
        return x * a


class Glu(Function):
    """``out = a sigmoid(b)`` with ``a, b`` the two halves of ``x`` along ``dim``."""

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int) -> Any:
        h = x.shape[dim] // 2
        index_a = (slice(None),) * dim + (slice(0, h),)
        index_b = (slice(None),) * dim + (slice(h, None),)
        a, b = x[index_a], x[index_b]
        s = _sigmoid(b)
        ctx.save_for_backward(a, s)
        ctx.dim = dim
        return a * s

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        a, s = ctx.saved_tensors
        xp = _xp(grad_out)
        ga = grad_out * s
        gb = ga * a
        gb *= 1.0 - s
        return xp.concatenate((ga, gb), axis=ctx.dim), None


class Softmax(Function):
    """``out = e^(x - max) / sum(e^(x - max))`` along ``dim``; d/dx = out (g - sum(g out))."""

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int) -> Any:
        xp = _xp(x)
        if x.ndim == 0:
            out = xp.ones_like(x)
        elif x.size == 0:
            out = xp.empty_like(x)
        else:
            out = x - x.max(axis=dim, keepdims=True)
            out = xp.exp(out, out=out)
            out *= 1.0 / out.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        if out.ndim == 0:
            return grad_out * 0, None
        gx = grad_out * out
        s = gx.sum(axis=ctx.dim, keepdims=True)
        gx = _xp(gx).subtract(grad_out, s, out=gx)
        gx *= out
        return gx, None


class LogSoftmax(Function):
    """``out = x - max - ln sum e^(x - max)`` along ``dim``; d/dx = g - e^out sum(g)."""

    @staticmethod
    def forward(ctx: Any, x: Any, dim: int) -> Any:
        xp = _xp(x)
        if x.ndim == 0:
            out = xp.zeros_like(x)
        elif x.size == 0:
            out = xp.empty_like(x)
        else:
            out = x - x.max(axis=dim, keepdims=True)
            lse = xp.exp(out).sum(axis=dim, keepdims=True)
            out -= xp.log(lse)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (out,) = ctx.saved_tensors
        if out.ndim == 0:
            return grad_out * 0, None
        xp = _xp(grad_out)
        gx = xp.exp(out)
        gx *= grad_out.sum(axis=ctx.dim, keepdims=True)
        return xp.subtract(grad_out, gx, out=gx), None


# ----------------------------------------------------------------------------- functions
def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + e^-input)``; integer inputs give the default float dtype.

    Example:
        >>> import lightgrad
        >>> lightgrad.sigmoid(lightgrad.tensor([0.0, 2.0]))
        tensor([0.5000, 0.8808])
    """
    return Sigmoid.apply(_floating(input, "sigmoid"))


def tanh(input: Tensor) -> Tensor:
    """``tanh(input) = (e^x - e^-x) / (e^x + e^-x)``.

    Example:
        >>> import lightgrad
        >>> lightgrad.tanh(lightgrad.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7616])
    """
    return Tanh.apply(_floating(input, "tanh"))


def _relu(input: Tensor) -> Tensor:
    input = _tensor(input, "relu")
    if input.data.dtype.kind == "b":
        raise RuntimeError("relu: boolean inputs are not supported")
    return Relu.apply(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)``; integers stay integers. ``inplace=True`` overwrites ``input``.

    Example:
        >>> import lightgrad
        >>> lightgrad.relu(lightgrad.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return _maybe_inplace(_relu, input, inplace, "relu_")


def _hardtanh(input: Tensor, min_val: float, max_val: float) -> Tensor:
    input = _tensor(input, "hardtanh")
    if input.data.dtype.kind == "b":
        raise RuntimeError("hardtanh: boolean inputs are not supported")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got min_val="
                         f"{min_val} and max_val={max_val}")
    return Hardtanh.apply(input, min_val, max_val)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``clip(input, min_val, max_val)``; the gradient passes strictly inside the bounds."""
    return _maybe_inplace(_hardtanh, input, inplace, "hardtanh_", min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(input, 0), 6)`` (``hardtanh(input, 0, 6)``)."""
    return _maybe_inplace(_hardtanh, input, inplace, "relu6_", 0.0, 6.0)


def _leaky_relu(input: Tensor, negative_slope: float) -> Tensor:
    return LeakyRelu.apply(_float_only(input, "leaky_relu"), float(negative_slope))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``input if input > 0 else negative_slope * input``.

    Example:
        >>> import lightgrad
        >>> lightgrad.nn.functional.leaky_relu(lightgrad.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2000,  3.0000])
    """
    return _maybe_inplace(_leaky_relu, input, inplace, "leaky_relu_", negative_slope)


def _elu(input: Tensor, alpha: float, scale: float, input_scale: float, op: str) -> Tensor:
    return Elu.apply(_float_only(input, op), float(alpha), float(scale), float(input_scale))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``input if input > 0 else alpha (e^input - 1)``."""
    return _maybe_inplace(_elu, input, inplace, "elu_", alpha, 1.0, 1.0, "elu")


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(input, alpha)`` with the self-normalizing constants
    alpha = 1.6733, scale = 1.0507."""
    return _maybe_inplace(_elu, input, inplace, "selu_", _SELU_ALPHA, _SELU_SCALE, 1.0, "selu")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``input if input > 0 else alpha (e^(input / alpha) - 1)``."""
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    return _maybe_inplace(_elu, input, inplace, "celu_", alpha, 1.0, 1.0 / alpha, "celu")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``input * Phi(input)``, Phi the standard normal CDF; ``approximate='tanh'`` uses
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Example:
        >>> import lightgrad
        >>> lightgrad.nn.functional.gelu(lightgrad.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.1587,  0.0000,  0.8413])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(_float_only(input, "gelu"), approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * sigmoid(input)`` (swish)."""
    return _maybe_inplace(lambda x: Silu.apply(_float_only(x, "silu")), input, inplace, "silu_")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * tanh(softplus(input))``."""
    return _maybe_inplace(lambda x: Mish.apply(_float_only(x, "mish")), input, inplace, "mish_")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``ln(1 + e^(beta input)) / beta``, linear (``input``) where ``beta input > threshold``.

    Example:
        >>> import lightgrad
        >>> lightgrad.nn.functional.softplus(lightgrad.tensor([0.0, 30.0]))
        tensor([ 0.6931, 30.0000])
    """
    return Softplus.apply(_float_only(input, "softplus"), float(beta), float(threshold))


def softsign(input: Tensor) -> Tensor:
    """``input / (1 + |input|)``."""
    return Softsign.apply(_floating(input, "softsign"))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``clip(input + 3, 0, 6) / 6``."""
    return _maybe_inplace(lambda x: Hardsigmoid.apply(_float_only(x, "hardsigmoid")), input,
                          inplace, "hardsigmoid_")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``input * clip(input + 3, 0, 6) / 6``."""
    return _maybe_inplace(lambda x: Hardswish.apply(_float_only(x, "hardswish")), input,
                          inplace, "hardswish_")


def logsigmoid(input: Tensor) -> Tensor:
    """``ln(sigmoid(input)) = -softplus(-input)``, computed without overflow."""
    return LogSigmoid.apply(_float_only(input, "logsigmoid"))


def heaviside(input: Tensor, values: Any) -> Tensor:
    """The step function: ``0`` where ``input < 0``, ``values`` where ``input == 0``, ``1``
    where ``input > 0``. ``values`` (same dtype as ``input``, or a number) broadcasts.

    Example:
        >>> import lightgrad
        >>> lightgrad.heaviside(lightgrad.tensor([-1.0, 0.0, 2.0]), lightgrad.tensor(0.5))
        tensor([0.0000, 0.5000, 1.0000])
    """
    input = _tensor(input, "heaviside")
    if input.data.dtype.kind == "b":
        raise RuntimeError("heaviside: not implemented for bool tensors")
    if isinstance(values, Tensor):
        if values.data.dtype != input.data.dtype:
            raise RuntimeError(f"heaviside: input and values must have the same dtype, got "
                               f"{input.data.dtype} and {values.data.dtype}")
        check_same_device("heaviside", input, values)
        if values.data.shape != input.data.shape:
            broadcast_shapes("heaviside", input.data.shape, values.data.shape)
    else:
        values = as_operand(values, input, "heaviside", "values")
        if isinstance(values, Tensor):
            return heaviside(input, cast(values, input.data.dtype))
    return Heaviside.apply(input, values)


def _threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    input = _tensor(input, "threshold")
    if input.data.dtype.kind == "b":
        raise RuntimeError("threshold: boolean inputs are not supported")
    return Threshold.apply(input, threshold, value)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``input if input > threshold else value``."""
    return _maybe_inplace(_threshold, input, inplace, "threshold_", threshold, value)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``input where |input| > lambd else 0``."""
    return Hardshrink.apply(_float_only(input, "hardshrink"), float(lambd))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``input - lambd sign(input) where |input| > lambd else 0``."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{lambd}")
    return Softshrink.apply(_float_only(input, "softshrink"), float(lambd))


def tanhshrink(input: Tensor) -> Tensor:
    """``input - tanh(input)``."""
    input = _floating(input, "tanhshrink")
    return sub(input, tanh(input))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``input if input > 0 else weight * input``, ``weight`` holding one slope or one per
    channel (dim 1 of ``input``)."""
    input = _float_only(input, "prelu")
    weight = _tensor(weight, "prelu")
    if weight.data.dtype != input.data.dtype:
        raise RuntimeError(f"prelu: weight dtype {weight.data.dtype} does not match input dtype "
                           f"{input.data.dtype}")
    if weight.data.ndim > 1:
        raise RuntimeError(f"prelu: weight must be 0-d or 1-d, got shape {tuple(weight.shape)}")
    channels = input.data.shape[1] if input.data.ndim >= 2 else 1
    if weight.data.size != 1 and weight.data.size != channels:
        raise RuntimeError(f"prelu: mismatch of parameter numbers and input channel size: "
                           f"weight has {weight.data.size} elements, input (shape "
                           f"{tuple(input.shape)}) has {channels} channels")
    check_same_device("prelu", input, weight)
    return Prelu.apply(input, weight)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: negative slopes drawn from ``U(lower, upper)`` per element while
    ``training``, the fixed ``(lower + upper) / 2`` otherwise."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2.0, inplace)

    def fn(x: Tensor) -> Tensor:
        x = _float_only(x, "rrelu")
        rng = backend.get_rng(None)
        slopes = rng.uniform(lower, upper, size=x.data.shape)
        slopes = backend.to_device(slopes.astype(x.data.dtype), x.device)
        return Rrelu.apply(x, slopes)

    return _maybe_inplace(fn, input, inplace, "rrelu_")


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)``, ``a`` and ``b`` the halves of ``input`` along
    ``dim``."""
    input = _float_only(input, "glu")
    if input.data.ndim == 0:
        raise RuntimeError("glu: does not support scalars because the halving size must be even")
    d = wrap_dim(dim, input.data.ndim, "glu")
    n = input.data.shape[d]
    if n % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {d} is size {n}")
    return Glu.apply(input, d)


def _softmax_args(input: Any, dim: Any, stacklevel: Any, dtype: Any, op: str) -> tuple:
    input = _tensor(input, op)
    if dtype is None and stacklevel is not None and not isinstance(stacklevel, int):
        dtype = stacklevel  # torch.softmax(x, dim, dtype) passes dtype third
    if dim is None:
        raise TypeError(f"{op}: missing required argument 'dim' (lightgrad does not guess it; "
                        f"pass dim=-1 to normalize over the last dimension)")
    if dtype is not None:
        input = cast(input, dtype)
    if input.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: not implemented for dtype {input.data.dtype}; pass a floating "
                           f"point tensor or dtype=")
    return input, wrap_dim(dim, input.data.ndim, op)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``e^x_i / sum_j e^x_j`` along ``dim`` (computed as ``e^(x - max)``: no overflow).

    Args:
        input: a floating tensor (or any tensor with ``dtype=``).
        dim: the dimension to normalize; required (see the module notes).
        dtype: cast ``input`` to this dtype first.

    Raises:
        TypeError: ``dim`` is missing.  IndexError: ``dim`` is out of range.

    Example:
        >>> import lightgrad
        >>> lightgrad.softmax(lightgrad.tensor([[1.0, 1.0], [0.0, 1e4]]), dim=1)
        tensor([[0.5000, 0.5000],
                [0.0000, 1.0000]])
    """
    input, d = _softmax_args(input, dim, _stacklevel, dtype, "softmax")
    return Softmax.apply(input, d)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """``x_i - ln sum_j e^x_j`` along ``dim``, stable for large inputs; ``dim`` required.

    Example:
        >>> import lightgrad
        >>> lightgrad.log_softmax(lightgrad.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    input, d = _softmax_args(input, dim, _stacklevel, dtype, "log_softmax")
    return LogSoftmax.apply(input, d)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``softmax(-input, dim)``; ``dim`` required."""
    input, d = _softmax_args(input, dim, _stacklevel, dtype, "softmin")
    return Softmax.apply(neg(input), d)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``out[..., c] = 1 if tensor[...] == c else 0``: an int64 tensor of shape
    ``(*tensor.shape, num_classes)``; ``num_classes=-1`` uses ``tensor.max() + 1``.

    Raises:
        RuntimeError: ``tensor`` is not int64, has a negative value or a value
            ``>= num_classes`` (the message names the value).

    Example:
        >>> import lightgrad
        >>> lightgrad.nn.functional.one_hot(lightgrad.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    t = _tensor(tensor, "one_hot")
    x = t.data
    if x.dtype != backend.int64:
        raise RuntimeError(f"one_hot: is only applicable to index tensors of dtype int64 "
                           f"(LongTensor), got dtype {x.dtype}")
    if not isinstance(num_classes, int | np.integer) or isinstance(num_classes, bool):
        raise TypeError(f"one_hot: argument 'num_classes' must be an int, got "
                        f"{type(num_classes).__name__}")
    xp = _xp(x)
    if x.size:
        lo, hi = int(x.min()), int(x.max())
        if lo < 0:
            raise RuntimeError(f"one_hot: class values must be non-negative, got {lo}")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise RuntimeError(f"one_hot: class values must be smaller than num_classes "
                               f"({num_classes}), got {hi}")
    elif num_classes == -1:
        raise RuntimeError("one_hot: can not infer the number of classes from an empty tensor; "
                           "pass num_classes")
    if num_classes < 0:
        raise RuntimeError(f"one_hot: num_classes must be -1 or non-negative, got {num_classes}")
    out = x[..., None] == xp.arange(num_classes, dtype=backend.int64)
    return Tensor._make(out.astype(backend.int64))


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
