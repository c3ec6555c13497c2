"""Core Keras layers: ``Input``, ``InputLayer``, ``Dense``, ``Activation``, ``Dropout``,
``Flatten``. Each holds ``lightgrad.nn`` modules and delegates the math to them."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import nn
from ...autograd.grad_mode import no_grad
from ...nn import functional as F
from ...tensor import Tensor
from .. import activations as _act
from .. import initializers as _init
from .. import regularizers as _reg
from .layer import KerasTensor, Layer, unique_name

__all__ = ["Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten"]


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None,
          name: str | None = None, batch_shape: Any = None, sparse: Any = None,
          tensor: Any = None) -> KerasTensor:
    """A symbolic input of the functional API: ``shape`` excludes the batch dimension.

    Example:
        >>> from lightgrad import keras
        >>> x = keras.Input(shape=(4,))
        >>> x.shape
        (None, 4)
    """
    if batch_shape is not None:
        full = tuple(batch_shape)
    elif shape is not None:
        full = (batch_size,) + tuple(shape)
    else:
        raise ValueError("Input: you must pass `shape` (or `batch_shape`)")
    layer = InputLayer(batch_shape=full, dtype=dtype, name=name)
    return layer.output


class InputLayer(Layer):
    """The layer behind ``keras.Input``: it passes its input through."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 name: str | None = None, batch_shape: Any = None, **kwargs: Any) -> None:
        kwargs.pop("input_shape", None)
        super().__init__(name=name or unique_name("input_layer"), **kwargs)
        if batch_shape is None:
            batch_shape = (batch_size,) + tuple(shape or ())
        self.batch_shape = tuple(batch_shape)
        self.__dict__["_in_dtype"] = np.dtype(dtype or "float32")
        self.output = KerasTensor(self.batch_shape, self._in_dtype, None, None, name=self.name)
        self.output.layer = None
        self.output.input_layer = self  # type: ignore[attr-defined]
        self.built = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": str(self._in_dtype),
                "name": self.name}


class Dense(Layer):
    """``output = activation(inputs @ kernel + bias)``, on the last axis of any-rank input.

    Holds an ``nn.Linear``; ``get_weights`` returns Keras's layout ``[kernel (in, units),
    bias (units,)]``.

    Example:
        >>> from lightgrad import keras
        >>> layer = keras.layers.Dense(3, activation="relu")
        >>> import numpy as np
        >>> layer(np.ones((2, 4))).shape
        lightgrad.Size([2, 3])
    """

    supports_masking = True  # the mask of the input passes through unchanged

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(units, int | np.integer) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense: received an invalid value for `units`, expected a "
                             f"positive integer, got {units!r}")
        self.units = int(units)
        self.activation = _act.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        self.activity_regularizer = _reg.get(activity_regularizer)

    def build(self, input_shape: Any) -> None:
        in_features = input_shape[-1]
        if in_features is None:
            raise ValueError(f"Dense '{self.name}': the last dimension of the inputs must be "
                             f"defined, got input shape {input_shape}")
        self.linear = nn.Linear(in_features, self.units, bias=self.use_bias,
                                dtype=self._dtype)
        with no_grad():
            kernel = self.kernel_initializer((in_features, self.units), dtype=self._dtype)
            self.linear.weight.data[...] = np.ascontiguousarray(kernel.T)
            if self.use_bias:
                self.linear.bias.data[...] = self.bias_initializer((self.units,),
                                                                   dtype=self._dtype)
        if self.kernel_regularizer is not None:
            self._extra_losses.append(lambda: self.kernel_regularizer(self.linear.weight))
        if self.bias_regularizer is not None and self.use_bias:
            self._extra_losses.append(lambda: self.bias_regularizer(self.linear.bias))
        self.built = True

    @property
    def kernel(self) -> Tensor:
        """The kernel in Keras's (in, units) layout (a view of the Linear weight)."""
        return self.linear.weight.T  # type: ignore[attr-defined]

    @property
    def bias(self) -> Tensor | None:
        return self.linear.bias if self.use_bias else None

    def _keras_weights(self) -> list[Tensor]:
        w = [self.linear.weight.T]  # type: ignore[attr-defined]
        if self.use_bias:
            w.append(self.linear.bias)
        return w

    def get_weights(self) -> list[np.ndarray]:
        return [np.array(w.detach().numpy()) for w in self._keras_weights()]

    def set_weights(self, weights: list[Any]) -> None:
        if len(weights) != (2 if self.use_bias else 1):
            raise ValueError(f"Dense '{self.name}': set_weights expects "
                             f"{2 if self.use_bias else 1} arrays, got {len(weights)}")
        kernel = np.asarray(weights[0])
        if kernel.shape != (self.linear.in_features, self.units):
            raise ValueError(f"Dense '{self.name}': kernel must have shape "
                             f"{(self.linear.in_features, self.units)}, got {kernel.shape}")
        with no_grad():
            self.linear.weight.data[...] = kernel.T.astype(self.linear.weight.dtype)
            self.linear.weight._vc[0] += 1
            if self.use_bias:
                self.linear.bias.data[...] = np.asarray(weights[1], self.linear.bias.dtype)
                self.linear.bias._vc[0] += 1

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if inputs.dtype != self.linear.weight.dtype:  # Keras casts inputs to the layer dtype
            inputs = inputs.to(self.linear.weight.dtype)
        return self.activation(self.linear(inputs))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "units": self.units, "activation": _act.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _init.serialize(self.kernel_initializer),
            "bias_initializer": _init.serialize(self.bias_initializer),
            "kernel_regularizer": _reg.serialize(self.kernel_regularizer),
            "bias_regularizer": _reg.serialize(self.bias_regularizer),
            "activity_regularizer": _reg.serialize(self.activity_regularizer),
        })
        return cfg


class Activation(Layer):
    """Applies an activation function (a name like ``"relu"`` or a callable)."""

    supports_masking = True  # the mask of the input passes through unchanged

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = _act.get(activation)

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        return self.activation(inputs)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["activation"] = _act.serialize(self.activation)
        return cfg


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of the inputs during training, scaling the rest by
    1/(1-rate); the identity at inference. Holds an ``nn.Dropout``."""

    supports_masking = True  # the mask of the input passes through unchanged

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout: invalid value received for argument `rate`, expected "
                             f"a float between 0 and 1, got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.dropout = nn.Dropout(self.rate)

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        train = self.training if training is None else bool(training)
        return F.dropout(inputs, self.rate, training=train)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return cfg


class Flatten(Layer):
    """Flattens every dimension but the batch: (N, d1, d2, ...) -> (N, d1*d2*...)."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = data_format

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = inputs.movedim(1, -1)  # type: ignore[attr-defined]
        return inputs.reshape(inputs.shape[0], -1)  # type: ignore[attr-defined]

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg
