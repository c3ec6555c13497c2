"""Reshaping layers: ``Reshape``, ``Permute``, ``RepeatVector``, and ``Lambda``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...tensor import Tensor
from .layer import Layer

__all__ = ["Reshape", "Permute", "RepeatVector", "Lambda"]


class Reshape(Layer):
    """Reshapes the non-batch dimensions to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape: tuple, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["target_shape"] = list(self.target_shape)
        return cfg


class Permute(Layer):
    """Permutes the non-batch dimensions; ``dims`` is 1-indexed as in Keras, e.g. ``(2, 1)``."""

    def __init__(self, dims: tuple, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: invalid permutation {self.dims}; it must contain the "
                             f"values 1..{len(self.dims)}")

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        return inputs.permute(0, *self.dims)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["dims"] = list(self.dims)
        return cfg


class RepeatVector(Layer):
    """(N, F) -> (N, n, F): the input repeated ``n`` times (seq2seq decoders)."""

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n = int(n)

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if inputs.ndim != 2:
            raise ValueError(f"RepeatVector '{self.name}': expected 2-D input (batch, "
                             f"features), got shape {tuple(inputs.shape)}")
        return inputs.unsqueeze(1).expand(inputs.shape[0], self.n, inputs.shape[1])

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["n"] = self.n
        return cfg


class Lambda(Layer):
    """Wraps an arbitrary function of the inputs.

    A Lambda is not serializable by default: ``model.save`` records only its name, and loading
    needs the function passed back through ``custom_objects`` (or ``safe_mode=False``, which is
    unsafe: see ``keras.models.load_model``).
    """

    def __init__(self, function: Callable[..., Any], output_shape: Any = None,
                 arguments: dict | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.function = function
        self.output_shape = output_shape
        self.arguments = dict(arguments or {})

    def call(self, inputs: Any, training: Any = None) -> Any:
        return self.function(inputs, **self.arguments)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["function"] = getattr(self.function, "__name__", "lambda")
        cfg["arguments"] = self.arguments
        return cfg
