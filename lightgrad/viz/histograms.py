"""Histograms of a model's weights (and their gradients), one row per layer: how the values
spread, whether they die out or blow up."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["weight_arrays", "plot_weight_histograms"]


def weight_arrays(model: Any, gradients: bool = False) -> list[tuple[str, str, np.ndarray]]:
    """``[(layer, parameter, values)]`` for every parameter of ``model`` (an ``nn.Module`` or a
    keras model), grouped by the module that owns it; with ``gradients`` the values are the
    gradients (``.grad``) instead.

    Raises:
        TypeError: ``model`` has no ``named_parameters``.
        ValueError: no parameters, or ``gradients`` and a parameter has no gradient yet.
    """
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"plot_weight_histograms: expected a module or keras model, got "
                        f"{type(model).__name__}")
    out = []
    for full, p in model.named_parameters():
        layer, _, pname = full.rpartition(".")
        if gradients:
            if p.grad is None:
                raise ValueError(f"plot_weight_histograms: {full} has no gradient: run a "
                                 "backward pass (or fit) first, or pass gradients=False")
            values = p.grad.detach().numpy(force=True)
        else:
            values = p.detach().numpy(force=True)
        out.append((layer or "(model)", pname, np.asarray(values, np.float64).ravel()))
    if not out:
        raise ValueError("plot_weight_histograms: the model has no parameters (build it first)")
    return out


def plot_weight_histograms(model: Any, path: str | os.PathLike[str] | None = None,
                           gradients: bool = False, bins: int = 40, dpi: int = 100) -> Any:
    """One histogram per parameter, one row per layer (weights; with ``gradients=True`` a second
    column shows each parameter's gradient, which must exist: call after a backward pass).

    Args:
        model: an ``nn.Module`` or a built keras model.
        path: save the picture there (PNG by default; the suffix picks the format).
        gradients: also draw the gradients.
        bins: histogram bins.
        dpi: resolution.

    Returns:
        The matplotlib ``Figure``.
    """
    from .history import _figure, _save

    weights = weight_arrays(model)
    grads = weight_arrays(model, gradients=True) if gradients else None
    cols = 2 if gradients else 1
    rows = len(weights)
    fig = _figure((4.0 * cols, 1.9 * rows + 0.6), dpi, "plot_weight_histograms")
    for i, (layer, pname, values) in enumerate(weights):
        ax = fig.add_subplot(rows, cols, i * cols + 1)
        _hist(ax, values, bins, "#0877bd", f"{layer}.{pname}")
        if grads is not None:
            ax = fig.add_subplot(rows, cols, i * cols + 2)
            _hist(ax, grads[i][2], bins, "#f59322", f"grad {layer}.{pname}")
    _save(fig, path)
    return fig


def _hist(ax: Any, values: np.ndarray, bins: int, color: str, title: str) -> None:
    finite = values[np.isfinite(values)]
    ax.hist(finite, bins=bins, color=color, alpha=0.85)
    extra = "" if finite.size == values.size else f", {values.size - finite.size} non-finite"
    stats = (f"mean {finite.mean():.3g}, std {finite.std():.3g}" if finite.size else "empty")
    ax.set_title(f"{title}  (n={values.size}; {stats}{extra})", fontsize=8)
    ax.tick_params(labelsize=7)
