"""Layer wrappers: ``Bidirectional`` (a forward and a backward copy of a recurrent layer,
merged) and ``TimeDistributed`` (one layer applied to every step of a sequence)."""

from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np

from ...ops.movement import cat
from ...tensor import Tensor
from .convolutional import named
from .layer import Layer

__all__ = ["Bidirectional", "TimeDistributed"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _accepts(layer: Layer, arg: str) -> bool:
    try:
        return arg in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return False


def _serialize(layer: Layer) -> dict:
    from ..saving.serialization import serialize_layer

    return serialize_layer(layer)


def _deserialize(spec: Any, custom_objects: dict | None = None) -> Layer:
    from ..saving.serialization import deserialize_layer

    return deserialize_layer(spec, custom_objects)


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix):] if name.startswith(prefix) else name


def _copy_layer(layer: Layer, name: str, **overrides: Any) -> Layer:
    """A fresh layer of ``layer``'s class from its config (no weights shared)."""
    cfg = copy.deepcopy(layer.get_config())
    cfg.update(overrides)
    cfg["name"] = name
    return type(layer).from_config(cfg)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges
    the two outputs (Keras's ``Bidirectional``).

    Args:
        layer: a ``SimpleRNN``/``LSTM``/``GRU`` (or any layer with ``go_backwards``,
            ``return_sequences`` and ``return_state``). Like Keras, the wrapper builds two
            fresh layers from its config (``forward_<name>`` and ``backward_<name>``); the
            instance passed in is not itself used.
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"`` or ``None`` (a
            tuple of both outputs).
        backward_layer: the layer for the backward direction (default: a copy of ``layer``
            with ``go_backwards`` flipped).

    With ``return_sequences`` the backward outputs are flipped back to the input's time
    order, and both directions output zeros at masked steps. ``return_state`` appends the
    forward then the backward final states. ``get_weights()`` is the forward layer's weights
    followed by the backward layer's.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> layer = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
        >>> layer(np.ones((2, 5, 3))).shape
        lightgrad.Size([2, 5, 8])
    """

    def __init__(self, layer: Layer, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Layer | None = None, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `Bidirectional` layer with a "
                             f"`keras.layers.Layer` instance. Received: {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError("`backward_layer` need to be a `keras.layers.Layer` instance. "
                             f"Received: {backward_layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be "
                             'one of {"sum", "mul", "ave", "concat", None}')
        super().__init__(**named(type(self), kwargs))
        self.forward_layer = _copy_layer(layer, "forward_" + _strip(layer.name, "forward_"))
        if backward_layer is None:
            self.backward_layer = _copy_layer(
                layer, "backward_" + _strip(layer.name, "backward_"),
                go_backwards=not getattr(layer, "go_backwards", False))
        else:
            self.backward_layer = backward_layer
        fwd, bwd = self.forward_layer, self.backward_layer
        if getattr(fwd, "go_backwards", None) == getattr(bwd, "go_backwards", None):
            raise ValueError("Forward layer and backward layer should have different "
                             f"`go_backwards` value. Received: forward_layer.go_backwards "
                             f"{fwd.go_backwards}, backward_layer.go_backwards="
                             f"{bwd.go_backwards}")
        for a in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, a, None) != getattr(bwd, a, None):
                raise ValueError(f"Forward layer and backward layer are expected to have the "
                                 f'same value for attribute "{a}", got "{getattr(fwd, a)}" for '
                                 f'forward layer and "{getattr(bwd, a)}" for backward layer')
        for sub in (fwd, bwd):
            if getattr(sub, "zero_output_for_mask", None) is not None:
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = bool(getattr(layer, "return_sequences", False))
        self.return_state = bool(getattr(layer, "return_state", False))
        self.stateful = False
        self.__dict__["_initial_weights"] = weights

    def build(self, input_shape: Any) -> None:
        self.forward_layer._maybe_build(input_shape)
        self.backward_layer._maybe_build(input_shape)
        if self._initial_weights is not None:  # Keras's `weights=` argument
            self.set_weights(self._initial_weights)
            self.__dict__["_initial_weights"] = None
        self.built = True

    def call(self, inputs: Tensor, mask: Any = None, training: Any = None,
             initial_state: Any = None) -> Any:
        kwargs: dict[str, Any] = {}
        if _accepts(self.forward_layer, "training"):
            kwargs["training"] = training
        if mask is not None and _accepts(self.forward_layer, "mask"):
            kwargs["mask"] = mask
        fwd_state = bwd_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fwd_state, bwd_state = list(initial_state[:half]), list(initial_state[half:])
        fk = dict(kwargs, initial_state=fwd_state) if fwd_state is not None else kwargs
        bk = dict(kwargs, initial_state=bwd_state) if bwd_state is not None else kwargs
        y = self.forward_layer(inputs, **fk)
        y_rev = self.backward_layer(inputs, **bk)
        states: tuple = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)  # type: ignore[attr-defined]
        if self.merge_mode == "concat":
            output: Any = cat([y, y_rev], -1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if self.return_state:
            return (output + states) if self.merge_mode is None else (output,) + states
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list | tuple):
            mask = mask[0]
        if self.return_sequences:
            out: Any = (mask, mask) if not self.merge_mode else mask
        else:
            out = (None, None) if not self.merge_mode else None
        if self.return_state:
            n = 4 if getattr(self.forward_layer, "is_lstm", False) else 2
            return ((out,) if not isinstance(out, tuple) else out) + (None,) * n
        return out

    def get_weights(self) -> list[np.ndarray]:
        """The forward layer's weights, then the backward layer's (Keras layouts)."""
        return self.forward_layer.get_weights() + self.backward_layer.get_weights()

    def set_weights(self, weights: list[Any]) -> None:
        nf = len(self.forward_layer.get_weights())
        nb = len(self.backward_layer.get_weights())
        if len(weights) != nf + nb:
            raise ValueError(f"Bidirectional '{self.name}': set_weights expects {nf + nb} "
                             f"arrays, got {len(weights)}")
        self.forward_layer.set_weights(list(weights[:nf]))
        self.backward_layer.set_weights(list(weights[nf:]))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"merge_mode": self.merge_mode, "layer": _serialize(self.forward_layer),
                    "backward_layer": _serialize(self.backward_layer)})
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Bidirectional:
        config = copy.deepcopy(config)
        config["layer"] = _deserialize(config["layer"], custom_objects)
        spec = config.pop("backward_layer", None)
        if spec is not None:
            config["backward_layer"] = _deserialize(spec, custom_objects)
        return cls(**config)


class TimeDistributed(Layer):
    """Applies ``layer`` to every step of a sequence: ``(N, T, ...)`` is folded to
    ``(N*T, ...)``, passed through ``layer`` and unfolded to ``(N, T, ...)``.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> td = keras.layers.TimeDistributed(keras.layers.Dense(4))
        >>> td(np.ones((2, 5, 3))).shape
        lightgrad.Size([2, 5, 4])
        >>> keras.layers.TimeDistributed(keras.layers.Conv2D(8, 3))(
        ...     np.ones((2, 5, 10, 10, 1))).shape
        lightgrad.Size([2, 5, 8, 8, 8])
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `TimeDistributed` layer with a "
                             f"`keras.layers.Layer` instance. Received: {layer!r}")
        super().__init__(**named(type(self), kwargs))
        self.layer = layer

    def call(self, inputs: Tensor, training: Any = None, mask: Any = None) -> Tensor:
        if inputs.ndim < 3:
            raise ValueError(f"TimeDistributed '{self.name}': `TimeDistributed` requires input "
                             f"of at least rank 3 (batch, time, ...), got shape "
                             f"{tuple(inputs.shape)}")
        n, t = inputs.shape[0], inputs.shape[1]
        kwargs = {"training": training} if _accepts(self.layer, "training") else {}
        y = self.layer(inputs.reshape((n * t,) + tuple(inputs.shape[2:])), **kwargs)
        if not isinstance(y, Tensor):
            raise ValueError(f"TimeDistributed '{self.name}': the wrapped layer must return one "
                             f"tensor, got {type(y).__name__}")
        return y.reshape((n, t) + tuple(y.shape[1:]))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return mask

    def get_weights(self) -> list[np.ndarray]:
        return self.layer.get_weights()

    def set_weights(self, weights: list[Any]) -> None:
        self.layer.set_weights(weights)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["layer"] = _serialize(self.layer)
        return cfg

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> TimeDistributed:
        config = dict(config)
        config["layer"] = _deserialize(config["layer"], custom_objects)
        return cls(**config)
