"""``keras.Sequential``: a linear stack of layers, built lazily from the first input."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..layers.core import InputLayer
from ..layers.layer import KerasTensor, Layer, call_with_mask
from .model import Model


class Sequential(Model):
    """A stack of layers, each feeding the next.

    Args:
        layers: a list of layers (or add them with :meth:`add`). A ``keras.Input`` or a first
            layer with ``input_shape=`` builds the model at once; otherwise it is built on the
            first call.

    Example:
        >>> from lightgrad import keras
        >>> model = keras.Sequential([
        ...     keras.Input(shape=(4,)),
        ...     keras.layers.Dense(8, activation="relu"),
        ...     keras.layers.Dense(3, activation="softmax"),
        ... ])
        >>> model.count_params()
        67
    """

    def __init__(self, layers: list | None = None, trainable: bool = True,
                 name: str | None = None) -> None:
        super().__init__(name=name, trainable=trainable)
        self.__dict__["_stack"] = []
        self.__dict__["_input_batch_shape"] = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append a layer (or a ``keras.Input``, which fixes the input shape)."""
        if isinstance(layer, KerasTensor):
            if self._stack:
                raise ValueError("Sequential: an Input can only be the first element")
            self.__dict__["_input_batch_shape"] = layer.shape
            self._maybe_build_now()
            return
        if isinstance(layer, InputLayer):
            self.__dict__["_input_batch_shape"] = layer.batch_shape
            self._maybe_build_now()
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a keras layer, got "
                            f"{type(layer).__name__}: {layer!r}")
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(f"Sequential: all layers must have unique names; '{layer.name}' "
                             "is already in the model")
        if not self._stack and self._input_batch_shape is None and \
                layer._input_shape_arg is not None:
            self.__dict__["_input_batch_shape"] = (None,) + tuple(layer._input_shape_arg)
        self._stack.append(layer)
        self.add_module(layer.name, layer)
        self.built = False
        if rebuild:
            self._maybe_build_now()

    def pop(self, rebuild: bool = True) -> Layer:
        if not self._stack:
            raise TypeError("Sequential.pop: there are no layers in the model")
        layer = self._stack.pop()
        del self._modules[layer.name]
        return layer

    def _maybe_build_now(self) -> None:
        if self._input_batch_shape is not None and self._stack:
            self.build(self._input_batch_shape)

    def build(self, input_shape: Any = None) -> None:
        """Build every layer by running a zero batch of ``input_shape`` through the stack."""
        if input_shape is None:
            input_shape = self._input_batch_shape
        if input_shape is None:
            raise ValueError("Sequential.build: the input shape is unknown; pass an Input or "
                             "input_shape, or call the model on data")
        shape = tuple(2 if s is None else s for s in input_shape)
        x: Any = Tensor._make(np.zeros(shape, np.float32))
        was = self.training
        self.eval()
        try:
            with no_grad():
                for layer in self._stack:
                    x = layer(x)
        finally:
            self.train(was)
        self.__dict__["_input_batch_shape"] = (None,) + tuple(input_shape[1:])
        self.built = True
        self._apply_trainable()

    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        x = inputs
        for layer in self._stack:
            kwargs = {"training": training} if _takes_training(layer) else {}
            # Keras's mask propagation: each layer's compute_mask gives the next layer's mask
            x, mask = call_with_mask(layer, x, mask, kwargs)
        return x

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return Layer.__call__(self, inputs, *args, **kwargs)

    def _maybe_build(self, input_shape: Any) -> None:
        if not self.built:
            self.build(input_shape)

    @property
    def input_shape(self) -> Any:
        return self._input_batch_shape

    def get_config(self) -> dict:
        from ..saving.serialization import serialize_layer

        layers = [serialize_layer(layer) for layer in self._stack]
        cfg: dict[str, Any] = {"name": self.name, "trainable": self.trainable, "layers": layers}
        if self._input_batch_shape is not None:
            cfg["build_input_shape"] = list(self._input_batch_shape)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Sequential:
        from ..saving.serialization import deserialize_layer

        model = cls(name=config.get("name"))
        shape = config.get("build_input_shape")
        for spec in config["layers"]:
            model.add(deserialize_layer(spec, custom_objects), rebuild=False)
        if shape is not None:
            model.build(tuple(shape))
        return model


def _takes_training(layer: Layer) -> bool:
    from .model import _accepts_training

    return _accepts_training(layer)
