"""Keras activations by name, each delegating to the lightgrad op (no math here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..nn import functional as F
from ..tensor import Tensor

__all__ = ["get", "serialize", "linear", "relu", "sigmoid", "tanh", "softmax", "softplus",
           "softsign", "elu", "selu", "gelu", "swish", "silu", "exponential", "hard_sigmoid",
           "leaky_relu", "relu6", "mish", "log_softmax", "step"]


def linear(x: Tensor) -> Tensor:
    return x


def relu(x: Tensor, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return F.relu(x)
    if threshold != 0.0:
        y = F.threshold(x, threshold, 0.0) if negative_slope == 0.0 else x
    else:
        y = F.leaky_relu(x, negative_slope) if negative_slope else F.relu(x)
    return y.clamp(max=max_value) if max_value is not None else y  # type: ignore[attr-defined]


def sigmoid(x: Tensor) -> Tensor:
    return F.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    return F.tanh(x)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    return F.softmax(x, dim=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    return F.log_softmax(x, dim=axis)


def softplus(x: Tensor) -> Tensor:
    return F.softplus(x)


def softsign(x: Tensor) -> Tensor:
    return F.softsign(x)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    return F.elu(x, alpha)


def selu(x: Tensor) -> Tensor:
    return F.selu(x)


def gelu(x: Tensor, approximate: bool = False) -> Tensor:
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x: Tensor) -> Tensor:
    return F.silu(x)


swish = silu


def exponential(x: Tensor) -> Tensor:
    return x.exp()  # type: ignore[attr-defined]


def hard_sigmoid(x: Tensor) -> Tensor:
    return F.hardsigmoid(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    return F.leaky_relu(x, negative_slope)


def relu6(x: Tensor) -> Tensor:
    return F.relu6(x)


def mish(x: Tensor) -> Tensor:
    return F.mish(x)


def step(x: Tensor) -> Tensor:
    """The seeds' step (Heaviside) function: 1 where x >= 0, else 0 (zero gradient)."""
    return F.heaviside(x, 1.0)


_BY_NAME: dict[str, Callable[..., Tensor]] = {
    "linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
    "softplus": softplus, "softsign": softsign, "elu": elu, "selu": selu, "gelu": gelu,
    "swish": swish, "silu": silu, "exponential": exponential, "hard_sigmoid": hard_sigmoid,
    "leaky_relu": leaky_relu, "relu6": relu6, "mish": mish, "log_softmax": log_softmax,
    "step": step,
}


def get(identifier: Any) -> Callable[..., Tensor]:
    """An activation function from a name (``"relu"``), ``None`` (linear) or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"Unknown activation function: {identifier!r}; known: "
                             f"{sorted(_BY_NAME)}")
        return _BY_NAME[identifier]
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(fn: Any) -> Any:
    for name, f in _BY_NAME.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", repr(fn))
