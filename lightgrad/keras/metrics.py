"""Keras metrics: stateful objects (``update_state``, ``result``, ``reset_state``) computed on
lightgrad tensors without recording a graph."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = ["Metric", "Mean", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError", "get"]


def _np(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        return np.asarray(x.detach().numpy(force=True)) if hasattr(x, "detach") else x.data
    return np.asarray(x)


class Metric:
    """Base class: accumulates a weighted mean of per-sample values."""

    name = "metric"

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        if name:
            self.name = name
        self.reset_state()

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        v = np.asarray(self.values(_np(y_true), _np(y_pred)), dtype=np.float64).reshape(-1)
        if sample_weight is not None:
            w = np.broadcast_to(_np(sample_weight).astype(np.float64).reshape(-1), v.shape)
            self.total += float((v * w).sum())
            self.count += float(w.sum())
        else:
            self.total += float(v.sum())
            self.count += float(v.size)

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def get_config(self) -> dict:
        return {"name": self.name}


class Mean(Metric):
    """The running (weighted) mean of the values passed to ``update_state(values)``."""

    name = "mean"

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore
        v = np.asarray(_np(values), dtype=np.float64).reshape(-1)
        w = np.ones_like(v) if sample_weight is None else \
            np.broadcast_to(_np(sample_weight).astype(np.float64).reshape(-1), v.shape)
        self.total += float((v * w).sum())
        self.count += float(w.sum())


class Accuracy(Metric):
    """Exact equality of ``y_true`` and ``y_pred``."""

    name = "accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return (y_true.reshape(y_pred.shape) == y_pred).astype(np.float64)


class BinaryAccuracy(Metric):
    name = "binary_accuracy"

    def __init__(self, name: str | None = None, dtype: Any = None, threshold: float = 0.5):
        self.threshold = threshold
        super().__init__(name, dtype)

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        pred = (y_pred > self.threshold)
        t = y_true.reshape(pred.shape) > 0.5
        eq = (pred == t).astype(np.float64)
        return eq.mean(axis=-1) if eq.ndim > 1 else eq


class CategoricalAccuracy(Metric):
    name = "categorical_accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return (y_true.argmax(-1) == y_pred.argmax(-1)).astype(np.float64)


class SparseCategoricalAccuracy(Metric):
    name = "sparse_categorical_accuracy"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        t = y_true.reshape(y_pred.shape[:-1]) if y_true.size == int(np.prod(y_pred.shape[:-1])) \
            else y_true
        return (t.astype(np.int64) == y_pred.argmax(-1)).astype(np.float64)


class MeanSquaredError(Metric):
    name = "mean_squared_error"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        d = (y_pred - y_true.reshape(y_pred.shape)) ** 2
        return d.mean(axis=-1) if d.ndim > 1 else d


class MeanAbsoluteError(Metric):
    name = "mean_absolute_error"

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        d = np.abs(y_pred - y_true.reshape(y_pred.shape))
        return d.mean(axis=-1) if d.ndim > 1 else d


_BY_NAME: dict[str, Any] = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
}


def get(identifier: Any, loss: Any = None, output_shape: Any = None) -> Metric:
    """A metric from a name or object. ``"accuracy"``/``"acc"`` resolves as Keras does: binary
    for a binary cross-entropy loss or a single output unit, sparse categorical for a sparse
    loss, categorical otherwise."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            lname = getattr(loss, "name", str(loss))
            if "sparse" in lname:
                cls: Any = SparseCategoricalAccuracy
            elif "binary" in lname or (output_shape is not None and output_shape[-1] == 1):
                cls = BinaryAccuracy
            else:
                cls = CategoricalAccuracy
            return cls(name=identifier)
        if identifier not in _BY_NAME:
            raise ValueError(f"Unknown metric: {identifier!r}; known: "
                             f"{sorted(_BY_NAME) + ['accuracy']}")
        return _BY_NAME[identifier](name=identifier)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
