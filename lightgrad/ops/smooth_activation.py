"""Smooth activations: sigmoid, tanh, the ELU family (elu/selu/celu), gelu, silu, mish,
softplus, softsign, logsigmoid, glu and tanhshrink.

Each is one ``Function`` with a hand-written backward that keeps only what it needs
(``Sigmoid``/``Tanh`` save their output); exponentials are clipped or taken of ``-|x|`` so
large inputs do not overflow.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor
from .activation_base import _INF, _maybe_inplace, _neg, _own, _pos, _sigmoid
from .arithmetic import sub
from .operands import _float_only, _floating, _xp, wrap_dim
from .special import _blend, _erf

__all__ = [
    "sigmoid", "tanh", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "softsign",
    "logsigmoid", "glu", "tanhshrink",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


# ----------------------------------------------------------------------------- Functions
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


def logsigmoid(input: Tensor) -> Tensor:
    """``ln(sigmoid(input)) = -softplus(-input)``, computed without overflow."""
    return LogSigmoid.apply(_float_only(input, "logsigmoid"))


def tanhshrink(input: Tensor) -> Tensor:
    """``input - tanh(input)``."""
    input = _floating(input, "tanhshrink")
    return sub(input, tanh(input))


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
