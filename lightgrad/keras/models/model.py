"""``keras.Model``: the functional API (``Model(inputs, outputs)``) and subclassing (override
``call``); the training methods come from :class:`~lightgrad.keras.trainer.Trainer`."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from ...tensor import Tensor
from ..layers.layer import KerasTensor, Layer, _flatten, _map
from ..trainer import Trainer


class Model(Trainer, Layer):
    """A Keras model.

    ``Model(inputs, outputs)`` builds a functional model from ``keras.Input`` tensors and the
    layers called on them; a subclass that defines ``call`` is a subclassed model.

    Example:
        >>> from lightgrad import keras
        >>> inputs = keras.Input(shape=(4,))
        >>> hidden = keras.layers.Dense(8, activation="relu")(inputs)
        >>> outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
        >>> model = keras.Model(inputs, outputs)
        >>> [type(layer).__name__ for layer in model.layers]
        ['InputLayer', 'Dense', 'Dense']
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        inputs = kwargs.pop("inputs", args[0] if len(args) > 0 else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        super().__init__(name=name, trainable=trainable, **kwargs)
        Trainer._init_trainer(self)
        self.__dict__["_functional"] = inputs is not None and outputs is not None
        if self._functional:
            self._init_graph(inputs, outputs)

    # ------------------------------------------------------------------ functional graph
    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        d = self.__dict__
        d["_inputs_struct"] = inputs
        d["_outputs_struct"] = outputs
        in_list = _flatten(inputs)
        out_list = _flatten(outputs)
        for t in in_list + out_list:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model: inputs and outputs must be keras.Input tensors and "
                                f"layer outputs, got {type(t).__name__}")
        # topological order of the layer calls (nodes), from the inputs to the outputs
        order: list[KerasTensor] = []
        seen: set[int] = set()
        stack: list[tuple[KerasTensor, bool]] = [(t, False) for t in reversed(out_list)]
        while stack:
            t, expanded = stack.pop()
            if id(t) in seen:
                continue
            if expanded or t.layer is None:
                seen.add(id(t))
                order.append(t)
                continue
            stack.append((t, True))
            for parent in reversed(_flatten(t.inputs)):
                if isinstance(parent, KerasTensor) and id(parent) not in seen:
                    stack.append((parent, False))
        for t in order:
            if t.layer is None and not any(t is i for i in in_list):
                raise ValueError(f"Model: the graph depends on an input {t} that is not in "
                                 "`inputs`")
        d["_nodes"] = [t for t in order if t.layer is not None]
        layers: list[Layer] = [getattr(t, "input_layer", None) for t in in_list]  # type: ignore
        for t in d["_nodes"]:
            if all(t.layer is not layer for layer in layers):
                layers.append(t.layer)
        d["_graph_layers"] = [layer for layer in layers if layer is not None]
        for layer in d["_graph_layers"]:
            self.add_module(layer.name, layer)
        self.built = True

    def _run_graph(self, inputs: Any, training: Any = None) -> Any:
        in_list = _flatten(self._inputs_struct)
        if isinstance(inputs, dict):
            values = [inputs[t.name] for t in in_list]
        else:
            values = _flatten(inputs) if isinstance(inputs, list | tuple) else [inputs]
        if len(values) != len(in_list):
            raise ValueError(f"Model '{self.name}' expects {len(in_list)} input(s), got "
                             f"{len(values)}")
        env: dict[int, Any] = {id(k): v for k, v in zip(in_list, values)}
        cache: dict[tuple, Any] = {}
        for node in self._nodes:
            key = (id(node.layer), id(node.inputs))
            if key not in cache:
                args = _map(lambda k: env[id(k)], node.inputs)
                kwargs = dict(node.kwargs)
                if training is not None and _accepts_training(node.layer):
                    kwargs.setdefault("training", training)
                cache[key] = node.layer(args, **kwargs)
            out = cache[key]
            env[id(node)] = out
        # a layer with several outputs: each output KerasTensor picks its own element
        for node in self._nodes:
            out = env[id(node)]
            if isinstance(out, list | tuple):
                env[id(node)] = _flatten(out)[node.index]
        return _map(lambda k: env[id(k)], self._outputs_struct)

    @property
    def layers(self) -> list[Layer]:
        if self._functional:
            return list(self._graph_layers)
        return [m for m in self.children() if isinstance(m, Layer)]

    def get_weights(self) -> list:
        """Every layer's weights in layer order, in Keras layouts."""
        if not self.layers:
            return super().get_weights()
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: list) -> None:
        if not self.layers:
            super().set_weights(weights)
            return
        expected = sum(len(layer.get_weights()) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(f"Model '{self.name}': set_weights expects {expected} arrays, got "
                             f"{len(weights)}")
        i = 0
        for layer in self.layers:
            n = len(layer.get_weights())
            layer.set_weights(list(weights[i:i + n]))
            i += n

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in self.layers]}")

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        if self._functional:
            return self._run_graph(inputs, training)
        raise NotImplementedError(f"{type(self).__name__}: a subclassed Model must define "
                                  "call(inputs)")

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if self._functional and not any(isinstance(x, KerasTensor) for x in _flatten(inputs)):
            from ..layers.layer import to_tensor

            inputs = _map(lambda x: x if isinstance(x, Tensor) else to_tensor(x), inputs) \
                if not isinstance(inputs, dict) else {k: v if isinstance(v, Tensor) else
                                                      to_tensor(v) for k, v in inputs.items()}
            return self.call(inputs, *args, **kwargs)
        return super().__call__(inputs, *args, **kwargs)

    @property
    def inputs(self) -> list[KerasTensor]:
        return _flatten(self._inputs_struct) if self._functional else []

    @property
    def outputs(self) -> list[KerasTensor]:
        return _flatten(self._outputs_struct) if self._functional else []

    def get_config(self) -> dict:
        cfg = {"name": self.name, "trainable": self.trainable}
        if self._functional:
            from ..saving.serialization import functional_config

            cfg.update(functional_config(self))
        return cfg


def _accepts_training(layer: Layer) -> bool:
    return _call_takes_training(type(layer))  # type: ignore[arg-type]


@functools.cache
def _call_takes_training(cls: type) -> bool:
    """Whether ``cls.call`` takes ``training`` (cached per class: this runs on every call)."""
    try:
        params = inspect.signature(cls.call).parameters  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return False
    return "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
