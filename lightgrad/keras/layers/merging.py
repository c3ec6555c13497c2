"""Merge layers: ``Concatenate``, ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``,
``Minimum``, ``Dot`` — each called on a list of tensors."""

from __future__ import annotations

from typing import Any

from ... import ops  # noqa: F401  (Tensor methods)
from ...ops.movement import cat
from ...ops.unary import maximum, minimum
from ...tensor import Tensor
from .layer import Layer

__all__ = ["Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
           "concatenate", "add", "multiply", "average"]


class _Merge(Layer):
    def _check(self, inputs: Any) -> list:
        if not isinstance(inputs, list | tuple) or len(inputs) < 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a list of at least "
                             f"2 inputs, got {type(inputs).__name__}")
        return list(inputs)


class Concatenate(_Merge):
    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs: Any, training: Any = None) -> Tensor:
        return cat(self._check(inputs), dim=self.axis)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


class Add(_Merge):
    def call(self, inputs: Any, training: Any = None) -> Tensor:
        xs = self._check(inputs)
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    def call(self, inputs: Any, training: Any = None) -> Tensor:
        xs = self._check(inputs)
        if len(xs) != 2:
            raise ValueError(f"Subtract '{self.name}': expected exactly 2 inputs, got {len(xs)}")
        return xs[0] - xs[1]


class Multiply(_Merge):
    def call(self, inputs: Any, training: Any = None) -> Tensor:
        xs = self._check(inputs)
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Average(_Merge):
    def call(self, inputs: Any, training: Any = None) -> Tensor:
        xs = self._check(inputs)
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out / len(xs)


class Maximum(_Merge):
    def call(self, inputs: Any, training: Any = None) -> Tensor:
        xs = self._check(inputs)
        out = xs[0]
        for x in xs[1:]:
            out = maximum(out, x)
        return out


class Minimum(_Merge):
    def call(self, inputs: Any, training: Any = None) -> Tensor:
        xs = self._check(inputs)
        out = xs[0]
        for x in xs[1:]:
            out = minimum(out, x)
        return out


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs: list, **kwargs: Any) -> Any:
    return Add(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any) -> Any:
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any) -> Any:
    return Average(**kwargs)(inputs)
