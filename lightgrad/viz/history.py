"""Training-history pictures: the loss and each metric per epoch, training against validation.

matplotlib is imported only when drawing, through its object-oriented API on an Agg canvas (no
pyplot, no window, no change to the global backend).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["history_series", "plot_history"]


def _figure(figsize: tuple[float, float], dpi: int, what: str) -> Any:
    """A new matplotlib ``Figure`` on an Agg canvas (a clear ImportError without matplotlib)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(f"{what} needs matplotlib, which is not installed: "
                          "pip install lightgrad[examples] (or pip install matplotlib)") from e
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: str | os.PathLike[str] | None) -> None:
    if path is not None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, format=target.suffix.lstrip(".").lower() or "png")


def history_series(history: Any) -> dict[str, dict[str, list[float]]]:
    """The curves of a ``History`` (or its ``.history`` dict) grouped by quantity:
    ``{"loss": {"train": [...], "val": [...]}, "accuracy": {...}, ...}`` in the recorded order,
    the loss first.

    Raises:
        TypeError: ``history`` is neither a ``History`` nor a dict of lists.
        ValueError: it holds no epochs.
    """
    data = getattr(history, "history", history)
    if not isinstance(data, dict):
        raise TypeError(f"plot_history: expected a History (from fit) or a dict of lists, got "
                        f"{type(history).__name__}")
    series: dict[str, dict[str, list[float]]] = {}
    for key, values in data.items():
        if not isinstance(values, list | tuple | np.ndarray):
            raise TypeError(f"plot_history: history[{key!r}] is a {type(values).__name__}, "
                            "not a list of numbers")
        base, which = (key[4:], "val") if key.startswith("val_") else (key, "train")
        series.setdefault(base, {})[which] = [float(v) for v in values]
    if not series or not any(len(v) for s in series.values() for v in s.values()):
        raise ValueError("plot_history: the history is empty (no epochs recorded)")
    order = sorted(series, key=lambda k: (k != "loss", k == "learning_rate"))
    return {k: series[k] for k in order}


def plot_history(history: Any, path: str | os.PathLike[str] | None = None,
                 metrics: list[str] | None = None, title: str | None = None,
                 ncols: int = 3, dpi: int = 100) -> Any:
    """Plot the loss and each metric per epoch, one subplot each, training (solid) against
    validation (dashed), with the best validation epoch marked.

    Args:
        history: the ``History`` returned by ``model.fit`` (or its ``.history`` dict).
        path: save the picture there (PNG by default; the suffix picks the format).
        metrics: the quantities to draw (``["loss", "accuracy"]``); default all of them.
        title: a title over the figure.
        ncols: subplots per row.
        dpi: resolution.

    Returns:
        The matplotlib ``Figure``.

    Example:
        >>> from lightgrad.viz import plot_history
        >>> fig = plot_history({"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7]})
        >>> len(fig.axes)
        1
    """
    series = history_series(history)
    if metrics is not None:
        unknown = [m for m in metrics if m not in series]
        if unknown:
            raise ValueError(f"plot_history: no {unknown} in the history (it has "
                             f"{list(series)})")
        series = {m: series[m] for m in metrics}
    epochs_attr = getattr(history, "epoch", None)
    n = len(series)
    cols = max(1, min(ncols, n))
    rows = math.ceil(n / cols)
    fig = _figure((4.2 * cols, 3.2 * rows), dpi, "plot_history")
    for i, (name, curves) in enumerate(series.items()):
        ax = fig.add_subplot(rows, cols, i + 1)
        for which, style in (("train", "-"), ("val", "--")):
            ys = curves.get(which)
            if not ys:
                continue
            xs = [e + 1 for e in epochs_attr] if epochs_attr and len(epochs_attr) == len(ys) \
                else list(range(1, len(ys) + 1))
            label = "training" if which == "train" else "validation"
            ax.plot(xs, ys, style, marker="o" if len(ys) <= 30 else None, markersize=3,
                    label=label)
            if which == "val" and name != "learning_rate":
                arr = np.asarray(ys)
                lower = _lower_is_better(name)
                best = int(np.nanargmin(arr) if lower else np.nanargmax(arr))
                ax.plot([xs[best]], [ys[best]], "k*", markersize=9,
                        label=f"best {ys[best]:.4g} (epoch {xs[best]})")
        if name == "learning_rate":
            ax.set_yscale("log")
        ax.set_title(name.replace("_", " "), fontsize=10)
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    _save(fig, path)
    return fig


def _lower_is_better(name: str) -> bool:
    n = name.lower()
    return any(k in n for k in ("loss", "error", "mse", "mae", "mape", "hinge",
                                "crossentropy", "divergence"))
