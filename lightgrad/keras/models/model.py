"""``keras.Model``: the functional API (``Model(inputs, outputs)``) and subclassing (override
``call``); the training methods come from :class:`~lightgrad.keras.trainer.Trainer`."""

from __future__ import annotations

from typing import Any

from ...tensor import Tensor
from ..layers.layer import (
    KerasTensor,
    Layer,
    _flatten,
    _keras_tensors,
    _map,
    _map_nested,
    call_takes_training,
    call_with_mask,
    unique_name,
)
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
        if name is None and type(self) is Model and inputs is not None and outputs is not None:
            name = unique_name("functional")  # Keras 3 names Model(inputs, outputs) so
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
            for parent in reversed(_node_inputs(t)):
                if id(parent) not in seen:
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

    def _run_graph(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        """Replay the recorded layer calls on concrete tensors, in topological order.

        Each symbolic tensor's value (and Keras mask) is kept in ``env`` (``masks``); a call
        with several outputs runs once and each output tensor takes its own element;
        symbolic tensors among a call's keyword arguments (an RNN's ``initial_state``) are
        replaced by their values.
        """
        in_list = _flatten(self._inputs_struct)
        if isinstance(inputs, dict):
            values = [inputs[t.name] for t in in_list]
        else:
            values = _flatten(inputs) if isinstance(inputs, list | tuple) else [inputs]
        if len(values) != len(in_list):
            raise ValueError(f"Model '{self.name}' expects {len(in_list)} input(s), got "
                             f"{len(values)}")
        env: dict[int, Any] = {id(k): v for k, v in zip(in_list, values)}
        masks: dict[int, Any] = {}
        if mask is not None:
            in_masks = _flatten(mask) if isinstance(mask, list | tuple) else [mask]
            if len(in_masks) != len(in_list):
                raise ValueError(f"Model '{self.name}': mask must give one mask per input "
                                 f"({len(in_list)}), got {len(in_masks)}")
            masks.update({id(k): m for k, m in zip(in_list, in_masks)})

        def value(k: Any) -> Any:
            return env[id(k)] if isinstance(k, KerasTensor) else k

        cache: dict[tuple, tuple[Any, Any]] = {}
        for node in self._nodes:
            key = (id(node.layer), id(node.inputs))
            if key not in cache:
                args = _map(value, node.inputs)
                in_mask = _map(lambda k: masks.get(id(k)), node.inputs)
                kwargs = _map_nested(value, dict(node.kwargs))
                if training is not None and _accepts_training(node.layer):
                    kwargs.setdefault("training", training)
                cache[key] = call_with_mask(node.layer, args, in_mask, kwargs)
            out, out_mask = cache[key]
            if isinstance(out, list | tuple):  # several outputs: this tensor's own element
                out = _flatten(out)[node.index]
                flat_masks = _flatten(out_mask) if isinstance(out_mask, list | tuple) else []
                out_mask = flat_masks[node.index] if node.index < len(flat_masks) else None
            env[id(node)] = out
            masks[id(node)] = out_mask
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
            return self._run_graph(inputs, training, mask)
        raise NotImplementedError(f"{type(self).__name__}: a subclassed Model must define "
                                  "call(inputs)")

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if self._functional and not any(isinstance(x, KerasTensor) for x in _flatten(inputs)):
            from ..layers.layer import to_tensor

            inputs = _map(lambda x: x if isinstance(x, Tensor) else to_tensor(x), inputs) \
                if not isinstance(inputs, dict) else {k: v if isinstance(v, Tensor) else
                                                      to_tensor(v) for k, v in inputs.items()}
            with self._outermost_call():
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


def _node_inputs(t: KerasTensor) -> list[KerasTensor]:
    """The symbolic tensors a layer call consumed: its inputs, then those among its keyword
    arguments (e.g. ``initial_state=[h, c]``)."""
    return _keras_tensors(t.inputs) + _keras_tensors(t.kwargs)


def _accepts_training(layer: Layer) -> bool:
    return _call_takes_training(type(layer))  # type: ignore[arg-type]


def _call_takes_training(cls: type) -> bool:
    return call_takes_training(cls)
