"""nn modules: ``Identity``, ``Linear``, ``LazyLinear``, ``Bilinear`` and the ``bilinear``
functional (composed from ``einsum``)."""

from __future__ import annotations

import math
from typing import Any

from ... import creation
from ...ops.arithmetic import add
from ...ops.linalg import einsum, linear
from ...ops.unary import _tensor
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Identity", "Linear", "LazyLinear", "Bilinear"]


def _features(n: Any, layer: str, arg: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{layer}: {arg} must be an int, got {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"{layer}: {arg} must be non-negative, got {n}")
    return n


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_k = x1^T A_k x2 + b_k``: ``einsum('...i,kij,...j->...k', x1, A, x2) + b``.

    Args:
        input1: ``(*, in1_features)``.
        input2: ``(*, in2_features)``, the same leading dims as ``input1``.
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)``; optional.

    Example:
        >>> import lightgrad
        >>> w = lightgrad.ones(1, 2, 3)
        >>> bilinear(lightgrad.ones(4, 2), lightgrad.ones(4, 3), w).shape
        lightgrad.Size([4, 1])
    """
    x1, x2 = _tensor(input1, "bilinear", "input1"), _tensor(input2, "bilinear", "input2")
    w = _tensor(weight, "bilinear", "weight")
    s1, s2, ws = tuple(x1.shape), tuple(x2.shape), tuple(w.shape)
    if len(ws) != 3:
        raise RuntimeError(f"bilinear: weight must be 3-D (out_features, in1_features, "
                           f"in2_features), got shape {ws}")
    if not s1 or len(s1) != len(s2) or s1[:-1] != s2[:-1]:
        raise RuntimeError(f"bilinear: input1 and input2 must have the same batch dimensions, got "
                           f"shapes {s1} and {s2}")
    if s1[-1] != ws[1] or s2[-1] != ws[2]:
        raise RuntimeError(f"bilinear: input sizes ({s1[-1]}, {s2[-1]}) don't match the weight's "
                           f"(in1_features, in2_features) = ({ws[1]}, {ws[2]}) (input shapes "
                           f"{s1} and {s2}, weight shape {ws})")
    out = einsum("...i,kij,...j->...k", x1, w, x2)
    if bias is None:
        return out
    b = _tensor(bias, "bilinear", "bias")
    if tuple(b.shape) != ws[:1]:
        raise RuntimeError(f"bilinear: bias must have shape ({ws[0]},) to match the weight "
                           f"(shape {ws}), got {tuple(b.shape)}")
    return add(out, b)


class Identity(Module):
    """``y = x``: a placeholder that ignores its constructor arguments.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> x = lightgrad.ones(2)
        >>> nn.Identity(54, unused=0.1)(x) is x
        True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """Affine map ``y = x W^T + b`` (``torch.nn.Linear``).

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        device, dtype: where and in which (floating) dtype the parameters live.

    Attributes:
        weight: ``(out_features, in_features)``, initialized from ``U(-k, k)``,
            ``k = 1 / sqrt(in_features)`` (``kaiming_uniform_(a=sqrt(5))``, as PyTorch).
        bias: ``(out_features,)``, from ``U(-k, k)``.

    Shape:
        Input ``(*, in_features)``, output ``(*, out_features)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.Linear(20, 30)
        >>> m(lightgrad.randn(128, 20)).shape
        lightgrad.Size([128, 30])
        >>> m
        Linear(in_features=20, out_features=30, bias=True)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_features = _features(in_features, name, "in_features")
        self.out_features = _features(out_features, name, "out_features")
        self.weight = Parameter(creation.empty((out_features, in_features), device=device,
                                               dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the parameters from their default distributions."""
        if self.weight.numel():
            init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        try:
            return linear(input, self.weight, self.bias)
        except RuntimeError as e:
            shape = tuple(getattr(input, "shape", ()))
            if not shape or shape[-1] != self.weight.shape[-1]:
                raise RuntimeError(f"{type(self).__name__}(in_features={self.in_features}): "
                                   f"input has {shape[-1] if shape else 0} features (shape "
                                   f"{shape})") from e
            raise

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class LazyLinear(Linear):
    """A :class:`Linear` whose ``in_features`` is inferred from the first input.

    Until the first call the parameters are empty placeholders (``in_features=0``); the first
    call (or loading a state dict) gives them their shape and default initialization, *in place*
    (an optimizer built before that keeps valid references), and the module becomes a
    :class:`Linear`.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.LazyLinear(3)
        >>> m(lightgrad.ones(2, 5)).shape, type(m).__name__, m.in_features
        (lightgrad.Size([2, 3]), 'Linear', 5)
    """

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(0, out_features, bias, device, dtype)
        self.weight.data = self.weight.data.reshape(0)
        if self.bias is not None:
            self.bias.data = self.bias.data[:0]

    def reset_parameters(self) -> None:
        if self.in_features != 0:
            super().reset_parameters()

    def _materialize(self, in_features: int) -> None:
        w = self.weight
        self.in_features = in_features
        w.data = creation.empty((self.out_features, in_features), dtype=w.dtype,
                                device=w.device).data
        if self.bias is not None:
            b = self.bias
            b.data = creation.empty(self.out_features, dtype=b.dtype, device=b.device).data
        self.reset_parameters()
        self.__class__ = Linear  # type: ignore[assignment]

    def forward(self, input: Tensor) -> Tensor:
        shape = tuple(getattr(input, "shape", ()))
        if not shape:
            raise RuntimeError(f"LazyLinear: input must have at least 1 dimension, got shape "
                               f"{shape}")
        self._materialize(shape[-1])
        return Linear.forward(self, input)

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        w = state_dict.get("weight") if hasattr(state_dict, "get") else None
        if w is not None and len(tuple(w.shape)) == 2:
            self._materialize(int(w.shape[1]))
        return Module.load_state_dict(self, state_dict, strict, assign)


class Bilinear(Module):
    """Bilinear map ``y_k = x1^T A_k x2 + b_k`` (``torch.nn.Bilinear``).

    Args:
        in1_features, in2_features: sizes of the two inputs' last dims.
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        device, dtype: where and in which (floating) dtype the parameters live.

    Attributes:
        weight: ``(out_features, in1_features, in2_features)``, from ``U(-k, k)`` with
            ``k = 1 / sqrt(in1_features)``.
        bias: ``(out_features,)``, from the same distribution.

    Shape:
        Inputs ``(*, in1_features)`` and ``(*, in2_features)``, output ``(*, out_features)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(lightgrad.randn(128, 20), lightgrad.randn(128, 30)).shape
        lightgrad.Size([128, 40])
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in1_features = _features(in1_features, "Bilinear", "in1_features")
        self.in2_features = _features(in2_features, "Bilinear", "in2_features")
        self.out_features = _features(out_features, "Bilinear", "out_features")
        self.weight = Parameter(creation.empty((out_features, in1_features, in2_features),
                                               device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the parameters from ``U(-1/sqrt(in1_features), 1/sqrt(in1_features))``."""
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features="
                             f"{self.in1_features})")
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
