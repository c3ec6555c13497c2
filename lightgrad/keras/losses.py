"""Keras losses by name or object, built from lightgrad ops (Keras semantics: probabilities by
default, ``from_logits=True`` for logits; the mean over the batch of per-sample losses)."""

from __future__ import annotations

from typing import Any

from .. import nn
from ..nn import functional as F
from ..tensor import Tensor

__all__ = ["Loss", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Hinge", "Huber",
           "get", "serialize"]

EPSILON = 1e-7


class Loss:
    """``loss(y_true, y_pred, sample_weight=None) -> scalar Tensor``: per-sample losses, weighted,
    averaged over the batch (Keras's ``sum_over_batch_size``)."""

    name = "loss"

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None) -> None:
        if reduction not in ("sum_over_batch_size", "sum", "none", "mean"):
            raise ValueError(f"{type(self).__name__}: invalid reduction {reduction!r}")
        self.reduction = reduction
        if name:
            self.name = name

    def per_sample(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, y_true: Any, y_pred: Tensor, sample_weight: Any = None) -> Tensor:
        y_true = y_true if isinstance(y_true, Tensor) else Tensor(y_true)
        per = self.per_sample(y_true, y_pred)
        if sample_weight is not None:
            sw = sample_weight if isinstance(sample_weight, Tensor) else Tensor(sample_weight)
            per = per * sw.to(per.dtype).reshape(sw.shape + (1,) * (per.ndim - sw.ndim))
        if self.reduction == "none":
            return per
        if self.reduction == "sum":
            return per.sum()
        return per.mean()

    def get_config(self) -> dict:
        return {"reduction": self.reduction, "name": self.name}


def _match(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """Targets as float of the prediction's rank, as Keras reconciles them: (N,) targets against
    (N, k) outputs gain a unit axis (then broadcast), (N, 1) against (N,) lose it."""
    t = y_true.to(y_pred.dtype)
    if t.ndim == y_pred.ndim - 1:
        return t.unsqueeze(-1)
    if t.ndim == y_pred.ndim + 1 and t.shape[-1] == 1:
        return t.squeeze(-1)
    return t


def _mean_last(x: Tensor) -> Tensor:
    return x.mean(dim=-1) if x.ndim > 1 else x


class MeanSquaredError(Loss):
    name = "mean_squared_error"

    def per_sample(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        return _mean_last((y_pred - _match(y_true, y_pred)) ** 2)


class MeanAbsoluteError(Loss):
    name = "mean_absolute_error"

    def per_sample(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        return _mean_last((y_pred - _match(y_true, y_pred)).abs())


class Huber(Loss):
    name = "huber_loss"

    def __init__(self, delta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delta = delta

    def get_config(self) -> dict:
        return {**super().get_config(), "delta": self.delta}

    def per_sample(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        t = _match(y_true, y_pred)
        return _mean_last(F.huber_loss(y_pred, t, reduction="none", delta=self.delta))


class BinaryCrossentropy(Loss):
    name = "binary_crossentropy"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.from_logits, self.label_smoothing = from_logits, label_smoothing

    def get_config(self) -> dict:
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}

    def per_sample(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        t = _match(y_true, y_pred)
        if self.label_smoothing:
            t = t * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_logits:
            per = F.binary_cross_entropy_with_logits(y_pred, t, reduction="none")
        else:
            p = y_pred.clamp(EPSILON, 1 - EPSILON)
            per = -(t * p.log() + (1 - t) * (1 - p).log())
        return _mean_last(per)


class CategoricalCrossentropy(Loss):
    name = "categorical_crossentropy"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def get_config(self) -> dict:
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}

    def per_sample(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        t = y_true.to(y_pred.dtype)
        if self.label_smoothing:
            t = t * (1 - self.label_smoothing) + self.label_smoothing / y_pred.shape[self.axis]
        if self.from_logits:
            logp = F.log_softmax(y_pred, dim=self.axis)
        else:
            p = y_pred / y_pred.sum(dim=self.axis, keepdim=True)
            logp = p.clamp(EPSILON, 1 - EPSILON).log()
        return -(t * logp).sum(dim=self.axis)


class SparseCategoricalCrossentropy(Loss):
    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.from_logits, self.ignore_class = from_logits, ignore_class

    def get_config(self) -> dict:
        return {**super().get_config(), "from_logits": self.from_logits,
                "ignore_class": self.ignore_class}

    def per_sample(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        target = y_true.long()
        if target.ndim == y_pred.ndim:  # (N, 1) labels
            target = target.squeeze(-1)
        if self.from_logits:
            logits = y_pred
        else:
            logits = y_pred.clamp(EPSILON, 1 - EPSILON).log()
        if logits.ndim > 2:  # (N, ..., C) -> cross_entropy's (N, C, ...)
            logits = logits.movedim(-1, 1)
        ignore = -100 if self.ignore_class is None else self.ignore_class
        return F.cross_entropy(logits, target, reduction="none", ignore_index=ignore)


class Hinge(Loss):
    """``mean(max(0, 1 - y_true * y_pred))`` with 0/1 labels mapped to -1/1 (Keras)."""

    name = "hinge"

    def per_sample(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        t = _match(y_true, y_pred)
        t = (t * 2 - 1) if bool(((t == 0) | (t == 1)).all()) else t  # type: ignore[attr-defined]
        return _mean_last((1 - t * y_pred).clamp(min=0))


_BY_NAME: dict[str, Any] = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "hinge": Hinge,
}


def get(identifier: Any) -> Any:
    """A loss from a name (``"mse"``...), a Loss object, an ``nn`` loss module or a callable
    ``fn(y_true, y_pred)``."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"Unknown loss: {identifier!r}; known: {sorted(_BY_NAME)}")
        return _BY_NAME[identifier]()
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, Loss | nn.Module) or callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss: Any) -> Any:
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    return getattr(loss, "__name__", None)
