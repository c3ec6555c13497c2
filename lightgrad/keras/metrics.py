"""Keras metrics: stateful objects (``update_state``, ``result``, ``reset_state``) with Keras 3's
names, defaults and semantics, computed on NumPy copies of the batch (never on the graph).

Plus two utilities Keras lacks: :func:`confusion_matrix` and :func:`classification_report` (the
text table of scikit-learn's ``classification_report``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "TruePositives", "FalsePositives", "TrueNegatives",
           "FalseNegatives", "Precision", "Recall", "AUC", "FBetaScore", "F1Score",
           "MeanSquaredError", "RootMeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "Hinge", "accuracy", "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy", "top_k_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "confusion_matrix", "classification_report",
           "get", "serialize", "deserialize"]

#: Keras's fuzz factor (``keras.config.epsilon()``)
EPSILON = 1e-7
_NEG_INF = -1e10


def _np(x: Any) -> np.ndarray:
    """A NumPy view (or host copy) of a tensor, array or nested list."""
    if isinstance(x, Tensor):
        return np.asarray(x.detach().numpy(force=True))
    return np.asarray(x)


def _same_rank(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras's ``squeeze_or_expand_to_same_rank``: ranks that differ by one are reconciled by
    squeezing a trailing 1 of the larger, or else expanding the smaller."""
    if a.ndim == b.ndim + 1:
        return (a[..., 0], b) if a.shape[-1] == 1 else (a, b[..., None])
    if b.ndim == a.ndim + 1:
        return (a, b[..., 0]) if b.shape[-1] == 1 else (a[..., None], b)
    return a, b


def _samplewise(values: np.ndarray, sample_weight: Any) -> tuple[np.ndarray, Any]:
    """Per-sample values (the mean over the non-batch axes) times their weights, and the weights
    reduced the same way (Keras's ``reduce_to_samplewise_values``)."""
    values = np.asarray(values, dtype=np.float64)
    sw = None
    if sample_weight is not None:
        sw = _np(sample_weight).astype(np.float64)
        values, sw = _same_rank(values, sw)
        if values.ndim > sw.ndim:
            values = values.mean(axis=tuple(range(sw.ndim, values.ndim)))
        try:
            sw = np.broadcast_to(sw, values.shape)
        except ValueError:
            raise ValueError(f"sample_weight of shape {sw.shape} cannot be broadcast to the "
                             f"metric values of shape {values.shape}") from None
        values = values * sw
        if sw.ndim > 1:
            sw = sw.mean(axis=tuple(range(1, sw.ndim)))
    if values.ndim > 1:
        values = values.mean(axis=tuple(range(1, values.ndim)))
    return values, sw


# ============================================================================== base classes
class Metric:
    """Base class of the metrics: accumulate with ``update_state``, read with ``result``.

    ``metric(y_true, y_pred)`` updates the state and returns the result. Subclasses define
    ``reset_state``, ``update_state`` and ``result``; ``_direction`` (``"up"``/``"down"``) tells
    ``EarlyStopping``/``ModelCheckpoint`` in ``mode="auto"`` which way is better.
    """

    name = "metric"
    _direction: str | None = None

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        if name:
            self.name = name
        self.dtype = str(np.dtype(dtype)) if dtype is not None else "float32"
        self.reset_state()

    def reset_state(self) -> None:
        """Forget everything accumulated."""

    def reset_states(self) -> None:  # Keras 2 name
        self.reset_state()

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The (weighted) mean of the values passed to ``update_state(values, sample_weight)``;
    values of rank > 1 are first averaged per sample (their first axis).

    Example:
        >>> from lightgrad import keras
        >>> m = keras.metrics.Mean()
        >>> m.update_state([1, 3, 5, 7])
        >>> m.result()
        4.0
        >>> m.reset_state()
        >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> m.result()
        2.0
    """

    name = "mean"

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore
        if isinstance(values, int | float) and (sample_weight is None or isinstance(
                sample_weight, int | float)):  # the fast path of the loss trackers
            w = 1.0 if sample_weight is None else float(sample_weight)
            self.total += float(values) * w
            self.count += w
            return
        v, w = _samplewise(_np(values), sample_weight)
        self.total += float(v.sum())
        if w is not None:
            self.count += float(np.sum(w))
        else:
            self.count += float(v.shape[0]) if v.ndim >= 1 else 1.0

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


class Sum(Metric):
    """The (weighted) sum of the values passed to ``update_state``."""

    name = "sum"

    def reset_state(self) -> None:
        self.total = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore
        v, _ = _samplewise(_np(values), sample_weight)
        self.total += float(v.sum())

    def result(self) -> float:
        return self.total


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over the samples.

    ``fn`` may be one of this module's NumPy functions or any callable on lightgrad tensors
    (it then receives the tensors as given and runs without recording a graph).
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any,  # type: ignore[override]
                     sample_weight: Any = None) -> None:
        if getattr(self._fn, "_numpy_metric", False):
            values = self._fn(_np(y_true), _np(y_pred), **self._fn_kwargs)
        else:
            with no_grad():
                values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(_np(values), sample_weight)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


def _numpy_metric(fn: Callable) -> Callable:
    fn._numpy_metric = True  # type: ignore[attr-defined]
    return fn


# ============================================================================== accuracies
@_numpy_metric
def accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """1.0 where ``y_true == y_pred``, elementwise."""
    t, p = _same_rank(_np(y_true), _np(y_pred))
    return (t == p).astype(np.float64)


@_numpy_metric
def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> np.ndarray:
    """1.0 where ``(y_pred > threshold) == y_true``, elementwise."""
    t, p = _same_rank(_np(y_true).astype(np.float64), _np(y_pred))
    return ((p > threshold).astype(np.float64) == t).astype(np.float64)


@_numpy_metric
def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """1.0 where the integer label equals ``argmax(y_pred, -1)``."""
    t, p = _np(y_true), _np(y_pred)
    if t.ndim == p.ndim and t.ndim > 0 and t.shape[-1] == 1:
        t = t[..., 0]
    matches = (t.astype(np.float64) == p.argmax(-1)).astype(np.float64)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches[..., 0]
    return matches


@_numpy_metric
def categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """1.0 where ``argmax(y_true, -1) == argmax(y_pred, -1)``."""
    return sparse_categorical_accuracy(_np(y_true).argmax(-1), y_pred)


def _in_top_k(targets: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Whether each target's score is among the ``k`` largest of its row (ties count in its
    favour, as ``tf.math.in_top_k``)."""
    flat = pred.reshape(-1, pred.shape[-1])
    tgt = targets.reshape(-1).astype(np.int64)
    if flat.shape[0] != tgt.shape[0]:
        raise ValueError(f"top-k accuracy: {tgt.shape[0]} targets for {flat.shape[0]} rows of "
                         f"predictions (y_pred shape {pred.shape})")
    score = flat[np.arange(flat.shape[0]), tgt]
    return ((flat > score[:, None]).sum(-1) < k).astype(np.float64).reshape(targets.shape)


@_numpy_metric
def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> np.ndarray:
    t, p = _np(y_true), _np(y_pred)
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    return _in_top_k(t, p, k)


@_numpy_metric
def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> np.ndarray:
    return _in_top_k(_np(y_true).argmax(-1), _np(y_pred), k)


class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true`` exactly (labels, not probabilities).

    Example:
        >>> from lightgrad import keras
        >>> m = keras.metrics.Accuracy()
        >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
        >>> m.result()
        0.75
    """

    _direction = "up"

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels."""

    _direction = "up"

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None,
                 threshold: float = 0.5) -> None:
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches one-hot labels."""

    _direction = "up"

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches integer labels.

    Example:
        >>> from lightgrad import keras
        >>> m = keras.metrics.SparseCategoricalAccuracy()
        >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        >>> m.result()
        0.5
    """

    _direction = "up"

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is among the ``k`` highest predictions."""

    _direction = "up"

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy",
                 dtype: Any = None) -> None:
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is among the ``k`` highest predictions."""

    _direction = "up"

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype: Any = None) -> None:
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


# ============================================================================== regression
@_numpy_metric
def mean_squared_error(y_true: Any, y_pred: Any) -> np.ndarray:
    t, p = _same_rank(_np(y_true).astype(np.float64), _np(y_pred).astype(np.float64))
    d = (p - t) ** 2
    return d.mean(-1) if d.ndim > 1 else d


@_numpy_metric
def mean_absolute_error(y_true: Any, y_pred: Any) -> np.ndarray:
    t, p = _same_rank(_np(y_true).astype(np.float64), _np(y_pred).astype(np.float64))
    d = np.abs(p - t)
    return d.mean(-1) if d.ndim > 1 else d


@_numpy_metric
def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> np.ndarray:
    t, p = _same_rank(_np(y_true).astype(np.float64), _np(y_pred).astype(np.float64))
    d = 100.0 * np.abs((t - p) / np.maximum(np.abs(t), EPSILON))
    return d.mean(-1) if d.ndim > 1 else d


@_numpy_metric
def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> np.ndarray:
    t, p = _same_rank(_np(y_true).astype(np.float64), _np(y_pred).astype(np.float64))
    d = (np.log(np.maximum(p, EPSILON) + 1.0) - np.log(np.maximum(t, EPSILON) + 1.0)) ** 2
    return d.mean(-1) if d.ndim > 1 else d


class MeanSquaredError(MeanMetricWrapper):
    """The mean of ``(y_true - y_pred) ** 2``."""

    _direction = "down"

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of ``|y_true - y_pred|``."""

    _direction = "down"

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean of ``100 * |(y_true - y_pred) / y_true|``."""

    _direction = "down"

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The mean of ``(log(1 + y_pred) - log(1 + y_true)) ** 2``."""

    _direction = "down"

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt(mean((y_true - y_pred) ** 2))`` over everything seen.

    Example:
        >>> from lightgrad import keras
        >>> m = keras.metrics.RootMeanSquaredError()
        >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.result()
        0.5
    """

    name = "root_mean_squared_error"
    _direction = "down"

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any,  # type: ignore[override]
                     sample_weight: Any = None) -> None:
        t, p = _same_rank(_np(y_true).astype(np.float64), _np(y_pred).astype(np.float64))
        super().update_state((p - t) ** 2, sample_weight)

    def result(self) -> float:
        return math.sqrt(super().result())


# ============================================================================== via the losses
class _LossMetric(MeanMetricWrapper):
    """The mean of a Keras loss's per-sample values (the loss's own lightgrad math)."""

    _loss_name = ""
    _direction = "down"

    def __init__(self, name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        from .. import keras

        loss = getattr(keras.losses, type(self).__name__)(reduction="none", **kwargs)

        def per_sample(y_true: Any, y_pred: Any) -> Any:
            return loss(y_true, y_pred if isinstance(y_pred, Tensor) else Tensor(_np(y_pred)))

        super().__init__(per_sample, name=name or self._loss_name, dtype=dtype)
        self._fn_kwargs = {}
        self._config = kwargs

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, **self._config}


class BinaryCrossentropy(_LossMetric):
    """The mean binary cross-entropy (``from_logits``, ``label_smoothing`` as the loss)."""

    _loss_name = "binary_crossentropy"

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0.0) -> None:
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(_LossMetric):
    """The mean categorical cross-entropy of one-hot targets."""

    _loss_name = "categorical_crossentropy"

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1) -> None:
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)


class SparseCategoricalCrossentropy(_LossMetric):
    """The mean categorical cross-entropy of integer targets."""

    _loss_name = "sparse_categorical_crossentropy"

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False) -> None:
        super().__init__(name, dtype, from_logits=from_logits)


class Hinge(_LossMetric):
    """The mean hinge loss (0/1 labels mapped to -1/1)."""

    _loss_name = "hinge"

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(name, dtype)


# ============================================================================== confusion counts
def _as_thresholds(thresholds: Any, default: float) -> tuple[np.ndarray, bool]:
    if thresholds is None:
        return np.array([default], np.float64), True
    if isinstance(thresholds, int | float | np.floating):
        return np.array([float(thresholds)], np.float64), True
    arr = np.asarray(list(thresholds), np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"thresholds must be a float or a non-empty list of floats, got "
                         f"{thresholds!r}")
    return arr, False


def _filter_top_k(p: np.ndarray, k: int) -> np.ndarray:
    """Keep the ``k`` largest predictions of each row; the others become -inf."""
    if k >= p.shape[-1]:
        return p
    order = np.argsort(-p, axis=-1, kind="stable")
    keep = np.zeros(p.shape, bool)
    np.put_along_axis(keep, order[..., :k], True, axis=-1)
    return np.where(keep, p, _NEG_INF)


class _ConfusionMetric(Metric):
    """Accumulates true/false positives/negatives at one or more thresholds
    (``y_pred > threshold`` is a positive prediction; any non-zero label is positive)."""

    _default = 0.5

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        default = self._default if top_k is None else _NEG_INF
        self.init_thresholds = thresholds
        self.thresholds, self._scalar = _as_thresholds(thresholds, default)
        self.top_k = top_k
        self.class_id = class_id
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        z = np.zeros(len(self.thresholds), np.float64)
        self.true_positives, self.false_positives = z.copy(), z.copy()
        self.true_negatives, self.false_negatives = z.copy(), z.copy()

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t = _np(y_true).astype(np.float64)
        p = _np(y_pred).astype(np.float64)
        t, p = _same_rank(t, p)
        if t.shape != p.shape:
            try:
                t = np.broadcast_to(t, p.shape)
            except ValueError:
                raise ValueError(f"{type(self).__name__}: y_true of shape {t.shape} does not "
                                 f"match y_pred of shape {p.shape}") from None
        if self.top_k is not None:
            p = _filter_top_k(p, self.top_k)
        if self.class_id is not None:
            t, p = t[..., self.class_id], p[..., self.class_id]
        w = np.ones_like(p)
        if sample_weight is not None:
            sw = _np(sample_weight).astype(np.float64)
            w = np.broadcast_to(sw.reshape(sw.shape + (1,) * (p.ndim - sw.ndim)), p.shape)
        pos = (t != 0).reshape(-1)
        w = w.reshape(-1)
        pred_pos = p.reshape(-1)[:, None] > self.thresholds[None, :]
        wp = (w * pos)[:, None]
        wn = (w * ~pos)[:, None]
        self.true_positives += (pred_pos * wp).sum(0)
        self.false_positives += (pred_pos * wn).sum(0)
        self.false_negatives += (~pred_pos * wp).sum(0)
        self.true_negatives += (~pred_pos * wn).sum(0)

    def _out(self, v: np.ndarray) -> Any:
        return float(v[0]) if self._scalar else v.copy()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMetric):
    name = "true_positives"
    _direction = "up"

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self) -> Any:
        return self._out(self.true_positives)


class FalsePositives(_ConfusionMetric):
    name = "false_positives"
    _direction = "down"

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self) -> Any:
        return self._out(self.false_positives)


class TrueNegatives(_ConfusionMetric):
    name = "true_negatives"
    _direction = "up"

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self) -> Any:
        return self._out(self.true_negatives)


class FalseNegatives(_ConfusionMetric):
    name = "false_negatives"
    _direction = "down"

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self) -> Any:
        return self._out(self.false_negatives)


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a / b`` with 0 where ``b == 0`` (``divide_no_nan``)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    out = np.zeros(np.broadcast_shapes(a.shape, b.shape))
    np.divide(a, b, out=out, where=b != 0)
    return out


class Precision(_ConfusionMetric):
    """``TP / (TP + FP)``: the fraction of positive predictions that are right.

    Args:
        thresholds: a float or a list of floats in [0, 1] (default 0.5); a list gives one
            precision per threshold.
        top_k: only the ``k`` highest predictions of each row count as positive.
        class_id: compute for this class (column) only.

    Example:
        >>> from lightgrad import keras
        >>> m = keras.metrics.Precision()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
        >>> round(m.result(), 4)
        0.6667
    """

    name = "precision"
    _direction = "up"

    def result(self) -> Any:
        return self._out(_div(self.true_positives, self.true_positives + self.false_positives))

    def get_config(self) -> dict:
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Recall(_ConfusionMetric):
    """``TP / (TP + FN)``: the fraction of positives that are found (same arguments as
    :class:`Precision`)."""

    name = "recall"
    _direction = "up"

    def result(self) -> Any:
        return self._out(_div(self.true_positives, self.true_positives + self.false_negatives))

    def get_config(self) -> dict:
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


# ============================================================================== AUC
class AUC(Metric):
    """The area under the ROC or precision-recall curve, from confusion counts at
    ``num_thresholds`` thresholds evenly spaced in [0, 1] (Keras's approximation).

    Args:
        num_thresholds: the number of thresholds (> 1).
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``"interpolation"`` (trapezoids for ROC; Davis & Goadrich's
            interpolation for PR), ``"minoring"`` or ``"majoring"``.
        thresholds: explicit thresholds in (0, 1) instead of the even grid.
        multi_label: one curve per label column, averaged (by ``label_weights`` if given).
        from_logits: apply a sigmoid to the predictions first.

    Example:
        >>> from lightgrad import keras
        >>> m = keras.metrics.AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
        >>> round(m.result(), 4)
        0.75
    """

    name = "auc"
    _direction = "up"

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        curve = str(curve).upper()
        if curve not in ("ROC", "PR"):
            raise ValueError(f'AUC: invalid curve {curve!r}; expected "ROC" or "PR"')
        summation_method = str(summation_method).lower()
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: invalid summation_method {summation_method!r}; expected "
                             '"interpolation", "minoring" or "majoring"')
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            num_thresholds = len(inner) + 2
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = int(num_thresholds)
        self._init_thresholds = thresholds
        self.thresholds = np.array([0.0 - EPSILON] + inner + [1.0 + EPSILON], np.float64)
        self.curve, self.summation_method = curve, summation_method
        self.multi_label, self.num_labels = multi_label, num_labels
        self.label_weights = None if label_weights is None else \
            np.asarray(label_weights, np.float64)
        self.from_logits = from_logits
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        self._counts: np.ndarray | None = None  # (4, T) or (4, T, labels): tp, fp, tn, fn

    def _accumulate(self, t: np.ndarray, p: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Confusion counts at every threshold for flat labels/predictions/weights: a
        histogram of the predictions over the threshold bins, summed from the top."""
        nt = len(self.thresholds)
        idx = np.searchsorted(self.thresholds, p, side="left")  # thresholds below p
        pos = t != 0
        above_pos = np.bincount(idx, weights=w * pos, minlength=nt + 1)
        above_neg = np.bincount(idx, weights=w * ~pos, minlength=nt + 1)
        tp = np.cumsum(above_pos[::-1])[::-1][1:]
        fp = np.cumsum(above_neg[::-1])[::-1][1:]
        total_pos, total_neg = float((w * pos).sum()), float((w * ~pos).sum())
        return np.stack([tp, fp, total_neg - fp, total_pos - tp])

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t = _np(y_true).astype(np.float64)
        p = _np(y_pred).astype(np.float64)
        if self.from_logits:
            p = 1.0 / (1.0 + np.exp(-p))
        t, p = _same_rank(t, p)
        t = np.broadcast_to(t, p.shape)
        w = np.ones_like(p)
        if sample_weight is not None:
            sw = _np(sample_weight).astype(np.float64)
            w = np.broadcast_to(sw.reshape(sw.shape + (1,) * (p.ndim - sw.ndim)), p.shape)
        if self.multi_label:
            if p.ndim < 2:
                raise ValueError(f"AUC(multi_label=True) expects (batch, labels) predictions, "
                                 f"got shape {p.shape}")
            n = p.shape[-1]
            t2, p2, w2 = (a.reshape(-1, n) for a in (t, p, w))
            counts = np.stack([self._accumulate(t2[:, j], p2[:, j], w2[:, j])
                               for j in range(n)], axis=-1)
        else:
            counts = self._accumulate(t.reshape(-1), p.reshape(-1), w.reshape(-1))
        if self._counts is None or self._counts.shape != counts.shape:
            self._counts = counts
        else:
            self._counts = self._counts + counts

    @property
    def true_positives(self) -> np.ndarray:
        return self._get(0)

    @property
    def false_positives(self) -> np.ndarray:
        return self._get(1)

    @property
    def true_negatives(self) -> np.ndarray:
        return self._get(2)

    @property
    def false_negatives(self) -> np.ndarray:
        return self._get(3)

    def _get(self, i: int) -> np.ndarray:
        if self._counts is None:
            return np.zeros(len(self.thresholds))
        return self._counts[i]

    def _pr_interpolated(self, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
        """Davis & Goadrich (2006): precision interpolated between thresholds."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _div(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _div(p[:-1], np.maximum(p[1:], 0)), 1.0)
        with np.errstate(divide="ignore"):
            logr = np.log(np.where(ratio > 0, ratio, 1.0))
        return _div(slope * (dtp + intercept * logr), np.maximum(tp[1:] + fn[1:], 0))

    def result(self) -> Any:
        if self._counts is None:
            return 0.0
        tp, fp, tn, fn = self._counts
        if self.curve == "PR" and self.summation_method == "interpolation":
            per = self._pr_interpolated(tp, fp, fn).sum(0)
        else:
            recall = _div(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _div(fp, fp + tn), recall
            else:
                x, y = recall, _div(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            per = ((x[:-1] - x[1:]) * heights).sum(0)
        if not self.multi_label:
            return float(per)
        if self.label_weights is None:
            return float(np.mean(per))
        return float(_div((per * self.label_weights).sum(), self.label_weights.sum()))

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "thresholds": self._init_thresholds, "multi_label": self.multi_label,
                "num_labels": self.num_labels, "from_logits": self.from_logits,
                "label_weights": None if self.label_weights is None else
                self.label_weights.tolist()}


# ============================================================================== F-scores
class FBetaScore(Metric):
    """The F-beta score of (batch, classes) one-hot targets and scores.

    Args:
        average: ``None`` (one score per class), ``"micro"`` (from the counts summed over the
            classes), ``"macro"`` (the mean of the per-class scores) or ``"weighted"`` (their
            mean weighted by each class's support).
        beta: the weight of recall relative to precision.
        threshold: predictions above it are positive; ``None``: the highest score of each row.
    """

    name = "fbeta_score"
    _direction = "up"

    def __init__(self, average: str | None = None, beta: float = 1.0,
                 threshold: float | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"Invalid `average` argument value. Expected one of: None, "
                             f"'micro', 'macro', 'weighted'. Received: average={average!r}")
        if not isinstance(beta, int | float) or beta <= 0:
            raise ValueError(f"Invalid `beta` argument value. It should be a Python float > 0. "
                             f"Received: beta={beta!r}")
        if threshold is not None and (not isinstance(threshold, int | float)
                                      or not 0 < threshold <= 1):
            raise ValueError(f"Invalid `threshold` argument value. It should be a Python float "
                             f"in the range ]0, 1]. Received: threshold={threshold!r}")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        super().__init__(name=name, dtype=dtype)

    def reset_state(self) -> None:
        self.true_positives: Any = None
        self.false_positives: Any = None
        self.false_negatives: Any = None
        self.intermediate_weights: Any = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t = _np(y_true).astype(np.float64)
        p = _np(y_pred).astype(np.float64)
        if t.ndim != 2 or p.ndim != 2:
            raise ValueError(f"{type(self).__name__} expects 2D inputs with shape (batch_size, "
                             f"output_dim); got y_true {t.shape} and y_pred {p.shape} (one-hot "
                             "encode integer labels with keras.utils.to_categorical)")
        if self.threshold is None:
            pred = ((p >= p.max(-1, keepdims=True)) & (np.abs(p) > 1e-9)).astype(np.float64)
        else:
            pred = (p > self.threshold).astype(np.float64)
        w = None if sample_weight is None else _np(sample_weight).astype(np.float64)

        def wsum(v: np.ndarray) -> np.ndarray:
            if w is not None:
                v = v * w.reshape(-1, 1)
            return v.sum() if self.average == "micro" else v.sum(0)

        stats = [wsum(pred * t), wsum(pred * (1 - t)), wsum((1 - pred) * t), wsum(t)]
        if self.true_positives is None:
            (self.true_positives, self.false_positives, self.false_negatives,
             self.intermediate_weights) = stats
        else:
            self.true_positives = self.true_positives + stats[0]
            self.false_positives = self.false_positives + stats[1]
            self.false_negatives = self.false_negatives + stats[2]
            self.intermediate_weights = self.intermediate_weights + stats[3]

    def result(self) -> Any:
        if self.true_positives is None:
            return 0.0
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        b2 = self.beta ** 2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + EPSILON)
        if self.average == "weighted":
            weights = self.intermediate_weights / (self.intermediate_weights.sum() + EPSILON)
            return float((score * weights).sum())
        if self.average is not None:
            return float(np.mean(score))
        return np.asarray(score, np.float64)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "beta": self.beta,
                "average": self.average, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score (``2 * precision * recall / (precision + recall)``) of one-hot targets;
    ``average`` and ``threshold`` as in :class:`FBetaScore`.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> m = keras.metrics.F1Score(average="macro")
        >>> m.update_state(np.eye(3)[[0, 1, 2, 2]], np.eye(3)[[0, 1, 1, 2]])
        >>> round(m.result(), 4)
        0.7778
    """

    name = "f1_score"

    def __init__(self, average: str | None = None, threshold: float | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self) -> dict:
        cfg = super().get_config()
        del cfg["beta"]
        return cfg


# ============================================================================== utilities
def _labels(y: Any, what: str) -> np.ndarray:
    a = _np(y)
    if a.ndim >= 2 and a.shape[-1] > 1:  # one-hot rows or class scores
        a = a.argmax(-1)
    elif a.ndim >= 2 and a.shape[-1] == 1:
        a = a[..., 0]
    a = a.reshape(-1)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or np.any(a != np.round(a)):
            raise ValueError(f"{what} must hold integer class labels (or one-hot rows / class "
                             "scores); got non-integer values")
    if a.dtype.kind not in "iufb":
        raise TypeError(f"{what} must hold integer class labels, got dtype {a.dtype}")
    return a.astype(np.int64)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None,
                     sample_weight: Any = None) -> np.ndarray:
    """The ``(num_classes, num_classes)`` matrix whose entry ``[i, j]`` counts the samples of
    true class ``i`` predicted as class ``j``.

    Args:
        y_true: integer labels, or one-hot rows (argmax is taken).
        y_pred: integer labels, or one-hot rows / class scores such as ``model.predict``'s
            softmax output (argmax is taken).
        num_classes: the number of classes (default: the largest label + 1).
        sample_weight: per-sample weights (the matrix then holds sums of weights).

    Returns:
        An int64 array (float64 with ``sample_weight``).

    Example:
        >>> from lightgrad import keras
        >>> keras.metrics.confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1])
        array([[1, 0, 0],
               [0, 0, 1],
               [0, 1, 1]])
    """
    t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: y_true has {t.size} labels but y_pred has "
                         f"{p.size}")
    if t.size and (t.min() < 0 or p.min() < 0):
        raise ValueError("confusion_matrix: labels must be non-negative, got "
                         f"{int(min(t.min(), p.min()))}")
    top = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if num_classes is None:
        num_classes = top
    elif top > num_classes:
        raise ValueError(f"confusion_matrix: label {top - 1} is out of range for "
                         f"num_classes={num_classes}")
    w = None if sample_weight is None else _np(sample_weight).astype(np.float64).reshape(-1)
    counts = np.bincount(t * num_classes + p, weights=w, minlength=num_classes ** 2)
    out = counts.reshape(num_classes, num_classes)
    return out if w is not None else out.astype(np.int64)


def _report_stats(cm: np.ndarray) -> tuple[np.ndarray, ...]:
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(0).astype(np.float64)
    support = cm.sum(1)
    precision = _div(tp, predicted)
    recall = _div(tp, support)
    f1 = _div(2 * tp, predicted + support)
    return precision, recall, f1, support


def classification_report(y_true: Any, y_pred: Any, num_classes: int | None = None,
                          target_names: Sequence[str] | None = None, digits: int = 2,
                          output_dict: bool = False) -> Any:
    """Per-class precision, recall, F1 and support, with accuracy and macro / weighted
    averages: the text table of scikit-learn's ``classification_report`` (an undefined ratio,
    such as the precision of a class never predicted, is 0).

    Args:
        y_true, y_pred, num_classes: as :func:`confusion_matrix`; the classes listed are
            ``range(num_classes)``, or the labels present in either array.
        target_names: display names of the classes.
        digits: decimals of the scores.
        output_dict: return a dict (``{"0": {"precision": ...}, "accuracy": ...,
            "macro avg": {...}, "weighted avg": {...}}``) instead of the text.

    Example:
        >>> from lightgrad import keras
        >>> print(keras.metrics.classification_report([0, 1, 2, 2], [0, 2, 2, 1]))
                      precision    recall  f1-score   support
        <BLANKLINE>
                   0       1.00      1.00      1.00         1
                   1       0.00      0.00      0.00         1
                   2       0.50      0.50      0.50         2
        <BLANKLINE>
            accuracy                           0.50         4
           macro avg       0.50      0.50      0.50         4
        weighted avg       0.50      0.50      0.50         4
        <BLANKLINE>
    """
    t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    cm = confusion_matrix(t, p, num_classes)
    if num_classes is None:
        classes = np.union1d(t, p)
        cm = cm[np.ix_(classes, classes)]
    else:
        classes = np.arange(num_classes)
    if target_names is None:
        names = [str(int(c)) for c in classes]
    else:
        names = [str(n) for n in target_names]
        if len(names) != len(classes):
            raise ValueError(f"classification_report: {len(names)} target_names for "
                             f"{len(classes)} classes")
    precision, recall, f1, support = _report_stats(cm)
    total = int(support.sum())
    acc = float(np.trace(cm) / total) if total else 0.0
    weights = support / total if total else np.zeros(len(support))
    averages = {
        "macro avg": [float(precision.mean()), float(recall.mean()), float(f1.mean())],
        "weighted avg": [float((precision * weights).sum()), float((recall * weights).sum()),
                         float((f1 * weights).sum())],
    }
    if output_dict:
        out: dict[str, Any] = {}
        for i, n in enumerate(names):
            out[n] = {"precision": float(precision[i]), "recall": float(recall[i]),
                      "f1-score": float(f1[i]), "support": int(support[i])}
        out["accuracy"] = acc
        for k, (pr, rc, f) in averages.items():
            out[k] = {"precision": pr, "recall": rc, "f1-score": f, "support": total}
        return out
    width = max([len(n) for n in names] + [len("weighted avg"), digits])
    headers = ["precision", "recall", "f1-score", "support"]
    lines = [f"{'':>{width}s} " + "".join(f" {h:>9}" for h in headers), ""]
    for i, n in enumerate(names):
        lines.append(f"{n:>{width}s} " + "".join(f" {v:>9.{digits}f}" for v in
                                                 (precision[i], recall[i], f1[i]))
                     + f" {int(support[i]):>9}")
    lines.append("")
    lines.append(f"{'accuracy':>{width}s} " + f" {'':>9}" * 2 + f" {acc:>9.{digits}f}"
                 + f" {total:>9}")
    for k, vals in averages.items():
        lines.append(f"{k:>{width}s} " + "".join(f" {v:>9.{digits}f}" for v in vals)
                     + f" {total:>9}")
    return "\n".join(lines) + "\n"


# ============================================================================== lookup
_CLASSES: list[type] = [
    Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, TruePositives, FalsePositives,
    TrueNegatives, FalseNegatives, Precision, Recall, AUC, FBetaScore, F1Score,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, Hinge,
]


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


_BY_NAME: dict[str, Any] = {}
for _cls in _CLASSES:
    _BY_NAME[_cls.__name__] = _cls
    _BY_NAME[_snake(_cls.__name__)] = _cls
_BY_NAME.update({
    "mse": MeanSquaredError, "mae": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "rmse": RootMeanSquaredError, "auc": AUC,
    "bce": BinaryCrossentropy, "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
})


def _accuracy_for(y_true_shape: Any, y_pred_shape: Any, loss: Any) -> type:
    """Keras 3's reading of ``"accuracy"``: binary for a single output unit, sparse when the
    targets have no class axis, categorical otherwise (the loss decides when shapes are
    unknown)."""
    if y_pred_shape is not None:
        yp = tuple(y_pred_shape)
        if len(yp) <= 1 or yp[-1] == 1:
            return BinaryAccuracy
        if y_true_shape is not None:
            yt = tuple(y_true_shape)
            if len(yt) < len(yp) or (len(yt) > 0 and yt[-1] == 1):
                return SparseCategoricalAccuracy
            return CategoricalAccuracy
    lname = str(getattr(loss, "name", loss) or "")
    if "sparse" in lname:
        return SparseCategoricalAccuracy
    if "binary" in lname or "hinge" in lname:
        return BinaryAccuracy
    return CategoricalAccuracy


def get(identifier: Any, loss: Any = None, output_shape: Any = None, *,
        y_true_shape: Any = None) -> Metric:
    """A metric from a name (``"accuracy"``, ``"mse"``, ``"AUC"``, ``"f1_score"``...), a
    :class:`Metric` class or instance, a config dict, or a function ``fn(y_true, y_pred)``
    (averaged over the samples, named after the function).

    ``"accuracy"``/``"acc"`` resolve as in Keras 3 from the shapes of the targets and of the
    model output (``output_shape``), or from the loss when the shapes are unknown. A metric
    made from a string is named by that string, as in Keras.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            return _accuracy_for(y_true_shape, output_shape, loss)(name=identifier)
        cls = _BY_NAME.get(identifier)
        if cls is None:
            known = sorted({k for k in _BY_NAME if k == k.lower()} | {"accuracy"})
            raise ValueError(f"Unknown metric: {identifier!r}; known: {known}")
        metric = cls()
        metric.name = identifier
        return metric
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


def serialize(metric: Metric) -> dict:
    """``{"class_name": ..., "config": ...}`` of a built-in metric."""
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> Metric:
    """A metric from :func:`serialize`'s dict (only built-in classes, or ``custom_objects``)."""
    name = config.get("class_name")
    table = dict(custom_objects or {})
    cls = table.get(name) or (_BY_NAME.get(name) if name in {c.__name__ for c in _CLASSES}
                              else None)
    if cls is None:
        raise ValueError(f"Unknown metric class {name!r}; pass it in custom_objects")
    return cls.from_config(dict(config.get("config") or {}))
