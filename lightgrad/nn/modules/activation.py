"""nn modules: activations (``ReLU``, ``GELU``, ``Softmax``, ``PReLU``, ``Step``...).

Each module holds its settings and calls the matching ``nn.functional`` op (the math lives in
``lightgrad/ops/activation.py``); ``repr`` shows the settings as PyTorch does.

``Softmax``/``LogSoftmax``/``Softmin`` built without ``dim`` follow PyTorch's deprecated implicit
choice (dim 0 for 0-, 1- and 3-D inputs, else dim 1) with the same warning; the functional ops
themselves require ``dim``.
"""

from __future__ import annotations

import warnings
from typing import Any

from ... import creation
from ...ops import activation as F
from ...ops.arithmetic import add, sub
from ...tensor import Tensor
from .. import init as _init
from ..module import Module
from ..parameter import Parameter

__all__ = [
    "Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh",
    "SiLU", "Mish", "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink",
    "LeakyReLU", "LogSigmoid", "Softplus", "Softshrink", "PReLU", "Softsign", "Tanhshrink",
    "Softmin", "Softmax", "Softmax2d", "LogSoftmax", "Step",
]


def _inplace_repr(inplace: bool, lead: str = "") -> str:
    if not inplace:
        return lead
    return f"{lead}, inplace=True" if lead else "inplace=True"


class Threshold(Module):
    """``y = x if x > threshold else value``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.Threshold(0.1, 20.0)(lightgrad.tensor([0.0, 0.5]))
        tensor([20.0000,  0.5000])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"threshold={self.threshold}, value={self.value}")


class ReLU(Module):
    """``y = max(x, 0)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.ReLU()(lightgrad.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class RReLU(Module):
    """Randomized leaky ReLU: negative slopes ``~ U(lower, upper)`` per element in training,
    ``(lower + upper) / 2`` in eval mode."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False) -> None:
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"lower={self.lower}, upper={self.upper}")


class Hardtanh(Module):
    """``y = clip(x, min_val, max_val)``.

    Raises:
        AssertionError: ``max_val <= min_val`` (as PyTorch).
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val "
                                 f"({self.min_val})")

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """``y = min(max(x, 0), 6)``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Sigmoid(Module):
    """``y = 1 / (1 + e^-x)``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Hardsigmoid(Module):
    """``y = clip(x + 3, 0, 6) / 6``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, self.inplace)


class Tanh(Module):
    """``y = tanh(x)``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class SiLU(Module):
    """``y = x sigmoid(x)`` (swish)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Mish(Module):
    """``y = x tanh(softplus(x))``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Hardswish(Module):
    """``y = x clip(x + 3, 0, 6) / 6``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, self.inplace)


class ELU(Module):
    """``y = x if x > 0 else alpha (e^x - 1)``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


class CELU(Module):
    """``y = x if x > 0 else alpha (e^(x / alpha) - 1)``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


class SELU(Module):
    """``y = scale (x if x > 0 else alpha (e^x - 1))``, alpha = 1.6733, scale = 1.0507."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class GLU(Module):
    """Gated linear unit ``y = a sigmoid(b)``, ``a`` and ``b`` the halves of ``x`` along
    ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GELU(Module):
    """``y = x Phi(x)`` (``approximate='tanh'``: PyTorch's tanh approximation).

    Example:
        >>> from lightgrad import nn
        >>> nn.GELU(approximate="tanh")
        GELU(approximate='tanh')
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Hardshrink(Module):
    """``y = x where |x| > lambd else 0``."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class LeakyReLU(Module):
    """``y = x if x > 0 else negative_slope x``."""

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, f"negative_slope={self.negative_slope}")


class LogSigmoid(Module):
    """``y = ln sigmoid(x)``, computed without overflow."""

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softplus(Module):
    """``y = ln(1 + e^(beta x)) / beta``, linear where ``beta x > threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softshrink(Module):
    """``y = x - lambd sign(x) where |x| > lambd else 0``."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class PReLU(Module):
    """``y = x if x > 0 else a x`` with a learned slope ``a``: one shared (``num_parameters=1``)
    or one per channel (dim 1 of the input).

    Args:
        num_parameters: 1 or the number of input channels.
        init: the initial slope (default 0.25).
        device, dtype: of the weight.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.PReLU()
        >>> m(lightgrad.tensor([-4.0, 2.0]))
        tensor([-1.,  2.], grad_fn=<PreluBackward>)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(creation.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softsign(Module):
    """``y = x / (1 + |x|)``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    """``y = x - tanh(x)``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


def _implicit_dim(name: str, ndim: int) -> int:
    """PyTorch's deprecated implicit softmax dim: 0 for 0-, 1- and 3-D inputs, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


class Softmin(Module):
    """``y = softmax(-x)`` along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim if self.dim is not None else _implicit_dim("softmin", input.ndim)
        return F.softmin(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(Module):
    """``y_i = e^x_i / sum_j e^x_j`` along ``dim`` (each slice sums to 1).

    Args:
        dim: the dim to normalize. ``None`` uses PyTorch's deprecated implicit choice (dim 0
            for 0-, 1- and 3-D inputs, else 1) with a warning: pass it.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.Softmax(dim=1)(lightgrad.zeros(1, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim if self.dim is not None else _implicit_dim("softmax", input.ndim)
        return F.softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels (dim -3) of a ``(N, C, H, W)`` or ``(C, H, W)`` input."""

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D "
                             f"instead (shape {tuple(input.shape)})")
        return F.softmax(input, -3)


class LogSoftmax(Module):
    """``y_i = x_i - ln sum_j e^x_j`` along ``dim`` (``dim=None``: see :class:`Softmax`)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        dim = self.dim if self.dim is not None else _implicit_dim("log_softmax", input.ndim)
        return F.log_softmax(input, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Step(Module):
    """Heaviside step ``y = 1 if x >= 0 else 0``: the perceptron's activation (no PyTorch twin).

    Its true derivative is zero almost everywhere, so by default the gradient through ``Step``
    is **zero**: gradient descent cannot train the layers below it. Train a perceptron with the
    perceptron rule instead (``w += lr * (target - Step()(x @ w + b)) * x``, no autograd), or
    pass ``straight_through=True``: the forward value is unchanged and the backward pass treats
    the step as the identity (the straight-through estimator). Then a gradient step on
    ``0.5 * ((target - y) ** 2).sum()`` is exactly the batch perceptron update
    ``w += lr * sum((target - y) x)``. (With ``straight_through`` an infinite input gives NaN.)

    Args:
        straight_through: backpropagate the incoming gradient unchanged (default False: zero).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> x = lightgrad.tensor([-0.5, 0.0, 2.0], requires_grad=True)
        >>> y = nn.Step(straight_through=True)(x)
        >>> y.detach()
        tensor([0., 1., 1.])
        >>> y.sum().backward()
        >>> x.grad
        tensor([1., 1., 1.])
    """

    def __init__(self, straight_through: bool = False) -> None:
        super().__init__()
        self.straight_through = straight_through

    def forward(self, input: Tensor) -> Tensor:
        y = F.heaviside(input, 1)
        if not self.straight_through or not input.requires_grad:
            return y
        # x - x is exactly 0, so the value is exactly the step; the gradient is the identity
        return add(sub(input, input.detach()), y.detach())

    def extra_repr(self) -> str:
        return "straight_through=True" if self.straight_through else ""
