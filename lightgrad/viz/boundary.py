"""Decision-boundary pictures of 2-D classifiers (the playground's "classification boundary").

:func:`decision_grid` evaluates a model over a regular grid and returns NumPy arrays (no
matplotlib needed); :func:`plot_decision_boundary` draws that grid as a coloured background, the
boundary as a line, and the data on top, misclassified points larger, and saves a PNG.

matplotlib is imported only when drawing, and only through its object-oriented API on an Agg
canvas: no pyplot, no window, no change to the global backend (it works on a server and in a
test run alike).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import lightgrad

__all__ = ["DecisionGrid", "decision_grid", "plot_decision_boundary", "predict_proba"]

#: The playground's colours: orange for class 0, blue for class 1; more classes use tab10.
PLAYGROUND_COLORS = ("#f59322", "#0877bd")
_TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf")
_CHUNK = 65536  # grid points per model call: bounds the memory of a large resolution


class DecisionGrid(NamedTuple):
    """A model's class probabilities over a grid: ``probs[i, j]`` is at ``(xs[j], ys[i])``.

    Attributes:
        xs: ``(R,)`` grid abscissae.
        ys: ``(R,)`` grid ordinates.
        probs: ``(R, R, C)`` class probabilities, ``C >= 2`` (a one-output model gives
            ``[1 - p, p]``).
    """

    xs: np.ndarray
    ys: np.ndarray
    probs: np.ndarray

    @property
    def labels(self) -> np.ndarray:
        """``(R, R)`` int64: the predicted class at each grid point."""
        return self.probs.argmax(axis=-1)


def _to_numpy(a: Any) -> np.ndarray:
    if isinstance(a, lightgrad.Tensor):
        return np.asarray(a.detach())
    return np.asarray(a)


def predict_proba(model: Any, X: Any, output: str = "logits") -> np.ndarray:
    """Class probabilities of ``model`` on the points ``X``, as NumPy, shape ``(N, C)``.

    The model runs in eval mode (restored afterwards) under ``no_grad``, in chunks. Its output
    is read as one score per point (shape ``(N,)`` or ``(N, 1)``: the probability of class 1)
    or one score per class (``(N, C)``).

    Args:
        model: a ``lightgrad.nn.Module`` or any callable from a ``(N, 2)`` tensor to a tensor
            or array.
        X: ``(N, D)`` points (array or tensor).
        output: ``"logits"`` (sigmoid of a single score, softmax of several) or ``"probs"``
            (the model already outputs probabilities, e.g. it ends in ``Sigmoid``/``Softmax``,
            or class indicators such as a perceptron's step output).

    Returns:
        ``(N, C)`` float64 probabilities with ``C >= 2``.

    Raises:
        ValueError: unknown ``output``, or a model output of the wrong shape.
    """
    if output not in ("logits", "probs"):
        raise ValueError(f"predict_proba: output must be 'logits' or 'probs', got {output!r}")
    points = _to_numpy(X)
    if points.ndim != 2:
        raise ValueError(f"predict_proba: X must be (N, D) points, got shape {points.shape}")
    params = list(model.parameters()) if isinstance(model, lightgrad.nn.Module) else []
    dtype = params[0].dtype if params else lightgrad.get_default_dtype()
    device = params[0].device if params else None
    was_training = model.training if isinstance(model, lightgrad.nn.Module) else None
    chunks = []
    try:
        if was_training:
            model.eval()
        with lightgrad.no_grad():
            for start in range(0, max(len(points), 1), _CHUNK):
                batch = lightgrad.as_tensor(points[start:start + _CHUNK], dtype=dtype,
                                            device=device)
                chunks.append(_to_numpy(model(batch)).astype(np.float64, copy=False))
    finally:
        if was_training:
            model.train()
    out = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.shape[:1] != points.shape[:1] or out.ndim not in (1, 2):
        raise ValueError(f"predict_proba: the model's output for {points.shape[0]} points has "
                         f"shape {out.shape}; expected (N,), (N, 1) or (N, C)")
    if out.ndim == 1:
        p = 0.5 * (1.0 + np.tanh(0.5 * out)) if output == "logits" else out  # stable sigmoid
        return np.stack([1.0 - p, p], axis=1)
    if output == "logits":
        e = np.exp(out - out.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return out


def decision_grid(model: Any, xlim: tuple[float, float], ylim: tuple[float, float],
                  resolution: int = 200, output: str = "logits") -> DecisionGrid:
    """Evaluate a 2-D classifier over a ``resolution x resolution`` grid.

    Args:
        model: a module or callable taking ``(N, 2)`` points (see :func:`predict_proba`).
        xlim: ``(low, high)`` of the first coordinate.
        ylim: ``(low, high)`` of the second coordinate.
        resolution: grid points along each axis (>= 2).
        output: ``"logits"`` or ``"probs"`` (see :func:`predict_proba`).

    Returns:
        A :class:`DecisionGrid` ``(xs, ys, probs)``; ``grid.labels`` is the predicted class map.

    Example:
        >>> import lightgrad
        >>> from lightgrad.viz import decision_grid
        >>> above_diagonal = lambda p: p[:, 1] - p[:, 0]  # logit of class 1
        >>> g = decision_grid(above_diagonal, (-1, 1), (-1, 1), resolution=3)
        >>> g.labels.tolist()
        [[0, 0, 0], [1, 0, 0], [1, 1, 0]]
    """
    if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer) \
            or resolution < 2:
        raise ValueError(f"decision_grid: resolution must be an int >= 2, got {resolution!r}")
    for name, lim in (("xlim", xlim), ("ylim", ylim)):
        if len(lim) != 2 or not np.all(np.isfinite(lim)) or not lim[0] < lim[1]:
            raise ValueError(f"decision_grid: {name} must be (low, high) with low < high, "
                             f"got {tuple(lim)}")
    xs = np.linspace(float(xlim[0]), float(xlim[1]), resolution)
    ys = np.linspace(float(ylim[0]), float(ylim[1]), resolution)
    gx, gy = np.meshgrid(xs, ys)  # (R, R) each; row i is ys[i]
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (R*R, 2)
    probs = predict_proba(model, points, output)
    return DecisionGrid(xs, ys, probs.reshape(resolution, resolution, -1))


def _import_matplotlib() -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.colors import to_rgb
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(
            "plot_decision_boundary needs matplotlib, which is not installed: "
            "pip install lightgrad[examples] (or pip install matplotlib)") from e
    return Figure, FigureCanvasAgg, to_rgb


def plot_decision_boundary(model: Any, X: Any, y: Any, path: str | os.PathLike[str] | None = None,
                           ax: Any = None, resolution: int = 200, *, output: str = "logits",
                           xlim: tuple[float, float] | None = None,
                           ylim: tuple[float, float] | None = None, margin: float = 0.1,
                           title: str | None = None, colors: tuple[str, ...] | None = None,
                           figsize: tuple[float, float] = (5.0, 5.0), dpi: int = 100) -> Any:
    """Draw a 2-D classifier's decisions over the plane with the data on top.

    The background is coloured by the predicted class, stronger where the model is more
    confident (white where it hesitates), with the boundary drawn as a dark line; the points are
    coloured by their true class, and the misclassified ones drawn larger with a black edge.
    The title gives the accuracy on ``(X, y)``.

    Args:
        model: a module or callable from ``(N, 2)`` points to scores (see
            :func:`predict_proba`).
        X: ``(N, 2)`` points (array or tensor).
        y: ``(N,)`` integer classes.
        path: save the picture there as PNG (folders are created).
        ax: a matplotlib ``Axes`` to draw on; by default a new figure.
        resolution: grid points along each axis.
        output: ``"logits"`` or ``"probs"``, how to read the model's output.
        xlim, ylim: the plotted ranges; by default the data's range widened by ``margin``
            (a fraction of the range).
        title: shown before the accuracy.
        colors: one colour per class; the playground's orange and blue for two classes.
        figsize, dpi: size of a new figure.

    Returns:
        The matplotlib ``Figure``.

    Raises:
        ImportError: matplotlib is not installed (the message says how to install it).
        ValueError: ``X`` is not ``(N, 2)``, ``y`` not ``(N,)``, or the model's output does not
            fit.
    """
    Figure, FigureCanvasAgg, to_rgb = _import_matplotlib()
    points, labels = _to_numpy(X), _to_numpy(y)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must be (N, 2) points, got shape "
                         f"{points.shape}")
    if labels.shape != (points.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"plot_decision_boundary: y must be (N,) = ({points.shape[0]},) integer "
                         f"classes, got shape {labels.shape} dtype {labels.dtype}")
    labels = labels.astype(np.int64)

    def span(values: np.ndarray) -> tuple[float, float]:
        lo, hi = (float(values.min()), float(values.max())) if len(values) else (-1.0, 1.0)
        pad = margin * (hi - lo) if hi > lo else 1.0
        return lo - pad, hi + pad

    grid = decision_grid(model, xlim or span(points[:, 0]), ylim or span(points[:, 1]),
                         resolution, output)
    n_classes = max(grid.probs.shape[-1], int(labels.max()) + 1 if len(labels) else 0)
    palette = colors or (PLAYGROUND_COLORS if n_classes <= 2 else _TAB10)
    if len(palette) < n_classes:
        raise ValueError(f"plot_decision_boundary: {n_classes} classes but only {len(palette)} "
                         "colors")
    rgb = np.array([to_rgb(c) for c in palette[:n_classes]])  # (C, 3)

    # background: the predicted class's colour, faded to white as confidence drops to chance
    pred = grid.labels
    conf = grid.probs.max(axis=-1)
    chance = 1.0 / grid.probs.shape[-1]
    strength = 0.08 + 0.42 * np.clip((conf - chance) / (1.0 - chance), 0.0, 1.0)
    image = 1.0 - strength[..., None] * (1.0 - rgb[pred])  # (R, R, 3)

    if ax is None:
        fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    xs, ys = grid.xs, grid.ys
    ax.imshow(image, origin="lower", extent=(xs[0], xs[-1], ys[0], ys[-1]), aspect="auto",
              interpolation="bilinear", zorder=0)
    if grid.probs.shape[-1] == 2:
        field, levels = grid.probs[..., 1], [0.5]
    else:
        field, levels = pred.astype(np.float64), list(np.arange(grid.probs.shape[-1] - 1) + 0.5)
    if field.min() < levels[-1] and field.max() > levels[0]:  # a boundary crosses the picture
        ax.contour(xs, ys, field, levels=levels, colors="#333333", linewidths=1.2, zorder=1)

    data_pred = predict_proba(model, points, output).argmax(axis=1) if len(points) else labels
    wrong = data_pred != labels
    for c in range(n_classes):
        ok = (labels == c) & ~wrong
        ax.scatter(points[ok, 0], points[ok, 1], s=18, c=[rgb[c]], edgecolors="white",
                   linewidths=0.6, zorder=2, label=f"class {c}")
        bad = (labels == c) & wrong
        if bad.any():
            ax.scatter(points[bad, 0], points[bad, 1], s=70, c=[rgb[c]], edgecolors="black",
                       linewidths=1.2, zorder=3)
    if wrong.any():  # a neutral legend entry for the large markers of any class
        ax.scatter([], [], s=70, c="white", edgecolors="black", linewidths=1.2,
                   label="misclassified")
    accuracy = float((~wrong).mean()) if len(points) else float("nan")
    heading = f"accuracy {accuracy:.1%}, {int(wrong.sum())} misclassified (large)"
    ax.set_title(f"{title}\n{heading}" if title else heading, fontsize=10)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=3, fontsize=8,
              frameon=False)  # below the plot: never over the data
    if path is not None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, format="png")
    return fig
