"""Activation functions and their derivatives, the derivatives computed by lightgrad's autograd
(not written by hand), so the picture also shows what backpropagation sees."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["DEFAULT_ACTIVATIONS", "activation_curves", "plot_activations"]

#: the activations drawn by default (Keras names)
DEFAULT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu",
                       "softplus", "swish", "mish", "softsign", "step")


def _resolve(name: Any) -> tuple[str, Callable[..., Any]]:
    if callable(name):
        return getattr(name, "__name__", repr(name)), name
    from ..keras import activations

    if not isinstance(name, str):
        raise TypeError(f"plot_activations: expected activation names or functions, got "
                        f"{type(name).__name__}")
    if name in ("softmax", "log_softmax"):
        raise ValueError(f"plot_activations: {name} is not elementwise (it mixes the values of "
                         "a vector) and has no curve to draw")
    return name, activations.get(name)


def activation_curves(names: Any = None, x: Any = None
                      ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``{name: (x, f(x), f'(x))}`` for each activation, ``f'`` by lightgrad's autograd.

    Args:
        names: activation names (``"relu"``...) or elementwise functions of a tensor; default
            :data:`DEFAULT_ACTIVATIONS`.
        x: the abscissae (default 401 points on [-5, 5]).

    Example:
        >>> from lightgrad.viz import activation_curves
        >>> x, y, dy = activation_curves(["relu"], x=[-1.0, 2.0])["relu"]
        >>> y.tolist(), dy.tolist()
        ([0.0, 2.0], [0.0, 1.0])
    """
    import lightgrad

    xs = np.linspace(-5.0, 5.0, 401) if x is None else np.asarray(x, dtype=np.float64)
    out = {}
    for item in DEFAULT_ACTIVATIONS if names is None else names:
        label, fn = _resolve(item)
        t = lightgrad.tensor(xs, dtype=lightgrad.float64, requires_grad=True)
        y = fn(t)
        if tuple(y.shape) != tuple(t.shape):
            raise ValueError(f"plot_activations: {label} maps shape {tuple(t.shape)} to "
                             f"{tuple(y.shape)}: not an elementwise function")
        if y.requires_grad:
            y.sum().backward()
            dy = t.grad.numpy() if t.grad is not None else np.zeros_like(xs)
        else:  # a step function: no graph, zero derivative
            dy = np.zeros_like(xs)
        out[label] = (xs.copy(), np.asarray(y.detach().numpy(), np.float64),
                      np.asarray(dy, np.float64))
    return out


def plot_activations(names: Any = None, path: str | os.PathLike[str] | None = None,
                     x_range: tuple[float, float] = (-5.0, 5.0), ncols: int = 4,
                     dpi: int = 100) -> Any:
    """Plot each activation function (solid) and its derivative (dashed, by autograd), one
    subplot each.

    Args:
        names: activation names or elementwise functions; default :data:`DEFAULT_ACTIVATIONS`.
        path: save the picture there (PNG by default; the suffix picks the format).
        x_range: the plotted interval.
        ncols: subplots per row.
        dpi: resolution.

    Returns:
        The matplotlib ``Figure``.
    """
    from .history import _figure, _save

    lo, hi = x_range
    if not lo < hi:
        raise ValueError(f"plot_activations: x_range must be (low, high) with low < high, got "
                         f"{x_range}")
    curves = activation_curves(names, np.linspace(lo, hi, 401))
    n = len(curves)
    if n == 0:
        raise ValueError("plot_activations: no activations to draw")
    cols = max(1, min(ncols, n))
    rows = math.ceil(n / cols)
    fig = _figure((3.2 * cols, 2.6 * rows), dpi, "plot_activations")
    for i, (name, (x, y, dy)) in enumerate(curves.items()):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.axhline(0, color="#999999", linewidth=0.6)
        ax.axvline(0, color="#999999", linewidth=0.6)
        ax.plot(x, y, "-", color="#0877bd", label="f(x)")
        ax.plot(x, dy, "--", color="#f59322", label="f'(x)")
        ax.set_title(name, fontsize=10)
        ax.grid(True, alpha=0.3)
        if i == 0:
            ax.legend(fontsize=8)
    _save(fig, path)
    return fig
