"""``keras.layers.Layer``: the base of the Keras skin, an ``nn.Module`` built lazily.

A Keras layer creates its ``lightgrad.nn`` modules (or Parameters) in ``build(input_shape)`` on
the first call and delegates the math to them: no math lives in the skin. Because it *is* an
``nn.Module``, optimizers, ``state_dict``, ``train()``/``eval()`` and hooks work unchanged.
Calling a layer on a symbolic :class:`KerasTensor` (from ``keras.Input``) records the functional
graph instead of computing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import numpy as np

from ... import backend
from ...autograd.grad_mode import no_grad
from ...nn.module import Module
from ...nn.parameter import Parameter
from ...tensor import Tensor

_name_counts: defaultdict[str, int] = defaultdict(int)


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def unique_name(base: str) -> str:
    """``dense``, ``dense_1``, ``dense_2``... as Keras names layers."""
    n = _name_counts[base]
    _name_counts[base] += 1
    return base if n == 0 else f"{base}_{n}"


def reset_names() -> None:
    """Forget the names given so far (``keras.backend.clear_session``)."""
    _name_counts.clear()


def to_tensor(x: Any) -> Tensor:
    """Model inputs as float tensors (NumPy float64 arrays become float32, as Keras does)."""
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind == "f" and arr.dtype != backend.get_default_dtype():
        arr = arr.astype(backend.get_default_dtype())
    elif arr.dtype.kind == "u" and arr.dtype != np.uint8:
        arr = arr.astype(np.int64)
    return Tensor._make(np.ascontiguousarray(arr))


class KerasTensor:
    """A symbolic tensor of the functional API: a shape (``None`` for the batch), a dtype and the
    layer call that produced it."""

    def __init__(self, shape: tuple, dtype: Any = "float32", layer: Layer | None = None,
                 inputs: Any = None, name: str | None = None, kwargs: dict | None = None) -> None:
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.layer = layer  # None for an Input
        self.inputs = inputs  # the KerasTensor(s) the layer was called on
        self.kwargs = kwargs or {}
        self.name = name
        self.index = 0

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


def _flatten(x: Any) -> list:
    if isinstance(x, list | tuple):
        out = []
        for v in x:
            out.extend(_flatten(v))
        return out
    return [x]


def _map(fn: Any, x: Any) -> Any:
    if isinstance(x, list | tuple):
        return type(x)(_map(fn, v) for v in x)
    return fn(x)


class Layer(Module):
    """Base class of Keras layers.

    Args:
        trainable: whether the layer's weights are trained.
        name: the layer's name (unique by default: ``dense``, ``dense_1``...).
        dtype: the weights' dtype (default float32).
        input_shape: Keras 2 style: the input shape without the batch dimension, for the first
            layer of a ``Sequential``.

    Subclasses create weights in ``build(input_shape)`` (with :meth:`add_weight` or by assigning
    ``nn`` modules) and compute in ``call(inputs, training=None)``.
    """

    def __init__(self, trainable: bool = True, name: str | None = None, dtype: Any = None,
                 input_shape: Any = None, input_dim: int | None = None, batch_size: Any = None,
                 **kwargs: Any) -> None:
        kwargs.pop("autocast", None)
        kwargs.pop("dynamic", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword arguments "
                            f"{sorted(kwargs)}")
        super().__init__()
        d = self.__dict__
        d["name"] = name or unique_name(_snake(type(self).__name__))
        d["built"] = False
        d["_trainable"] = bool(trainable)
        d["_dtype"] = backend.as_dtype(dtype) if dtype is not None else backend.float32
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        d["_input_shape_arg"] = None if input_shape is None else tuple(input_shape)
        d["_extra_losses"] = []
        d["_build_shape"] = None

    # ------------------------------------------------------------------ building
    def build(self, input_shape: Any) -> None:
        """Create the layer's weights for inputs of ``input_shape`` (batch dim first)."""
        self.built = True

    def _maybe_build(self, input_shape: Any) -> None:
        if not self.built:
            self.__dict__["_build_shape"] = input_shape
            self.build(input_shape)
            self.built = True
            self._apply_trainable()

    def add_weight(self, name: str, shape: tuple, initializer: Any = "glorot_uniform",
                   regularizer: Any = None, trainable: bool = True, dtype: Any = None,
                   constraint: Any = None) -> Parameter:
        """A new weight, initialized by a Keras initializer (a name or an object)."""
        from ..initializers import get as get_initializer

        init = get_initializer(initializer)
        data = init(tuple(shape), dtype=dtype or self._dtype)
        p = Parameter(data, requires_grad=trainable)
        self.register_parameter(name, p)
        if regularizer is not None:
            from ..regularizers import get as get_regularizer

            reg = get_regularizer(regularizer)
            self._extra_losses.append(lambda p=p, reg=reg: reg(p))
        return p

    # ------------------------------------------------------------------ calling
    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement call(inputs)")

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.call(*args, **kwargs)

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        flat = _flatten(inputs)
        if any(isinstance(x, KerasTensor) for x in flat):
            return self._call_symbolic(inputs, *args, **kwargs)
        inputs = _map(lambda x: x if isinstance(x, Tensor) or x is None else to_tensor(x),
                      inputs)
        self._maybe_build(_map(lambda t: None if t is None else tuple(t.shape), inputs))
        return super().__call__(inputs, *args, **kwargs)

    def _call_symbolic(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Functional API: infer the output shape by running on a batch of 2 zeros."""
        dummy = _map(lambda k: Tensor._make(np.zeros((2,) + tuple(
            1 if s is None else s for s in k.shape[1:]), dtype=k.dtype)), inputs)
        self._maybe_build(_map(lambda k: k.shape, inputs))
        was = self.training
        self.eval()
        try:
            with no_grad():
                out = Module.__call__(self, dummy, *args, **kwargs)
        finally:
            self.train(was)
        counter = iter(range(len(_flatten(out))))

        def symbolic(t: Tensor) -> KerasTensor:
            k = KerasTensor((None,) + tuple(t.shape[1:]), t.dtype, self, inputs,
                            name=self.name, kwargs=kwargs)
            k.index = next(counter)  # position among this call's outputs
            return k

        return _map(symbolic, out)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for ``input_shape`` (computed by a dummy call)."""
        k = _map(lambda s: KerasTensor(s), input_shape)
        return _map(lambda t: t.shape, self._call_symbolic(k))

    # ------------------------------------------------------------------ weights
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self.__dict__["_trainable"] = bool(value)
        for m in self.modules():
            if isinstance(m, Layer) and m is not self:
                m.__dict__["_trainable"] = bool(value)
        self._apply_trainable()

    def _apply_trainable(self) -> None:
        """Each parameter trains iff every enclosing Layer is trainable."""

        def visit(mod: Module, flag: bool) -> None:
            if isinstance(mod, Layer):
                flag = flag and mod._trainable
            for p in mod._parameters.values():
                if p is not None and not getattr(p, "_keras_frozen", False):
                    p.requires_grad_(flag)
            for child in mod._modules.values():
                if child is not None:
                    visit(child, flag)

        visit(self, self._trainable)

    @property
    def weights(self) -> list[Tensor]:
        """Trainable then non-trainable weights (Keras order)."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self) -> list[Tensor]:
        return [p for p in self.parameters() if p.requires_grad]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        frozen = [p for p in self.parameters() if not p.requires_grad]
        return frozen + [b for b in self.buffers() if b.dtype.kind == "f"]

    @property
    def variables(self) -> list[Tensor]:
        return self.weights

    def _keras_weights(self) -> list[Tensor]:
        """The weights in the order and layout of ``get_weights`` (override for layouts)."""
        return self.weights

    def get_weights(self) -> list[np.ndarray]:
        """The weights as NumPy arrays, in Keras's layouts (e.g. Dense kernel (in, out))."""
        return [np.array(backend.to_device(w.data, backend.CPU)) for w in self._keras_weights()]

    def set_weights(self, weights: list[Any]) -> None:
        own = self._keras_weights()
        if len(weights) != len(own):
            raise ValueError(f"{self.name}: set_weights expects {len(own)} arrays, got "
                             f"{len(weights)}")
        for i, (w, new) in enumerate(zip(own, weights)):
            arr = np.asarray(new)
            if tuple(arr.shape) != tuple(w.shape):
                raise ValueError(f"{self.name}: weight {i} has shape {tuple(w.shape)}, got "
                                 f"an array of shape {tuple(arr.shape)}")
            with no_grad():
                w.data[...] = backend.to_device(arr.astype(w.dtype), w.device)
                w._vc[0] += 1

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the "
                             "layer isn't built. Build it first by calling it on data.")
        return int(sum(w.numel() for w in self.weights))

    @property
    def losses(self) -> list[Tensor]:
        """Regularization penalties of this layer and its sublayers (computed now)."""
        out: list[Tensor] = []
        for m in self.modules():
            if isinstance(m, Layer):
                out.extend(f() for f in m._extra_losses)
        return out

    def add_loss(self, loss: Any) -> None:
        self._extra_losses.append(loss if callable(loss) else (lambda: loss))

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict (``from_config`` inverts it)."""
        cfg: dict[str, Any] = {"name": self.name, "trainable": self.trainable,
                               "dtype": str(self._dtype)}
        if self._input_shape_arg is not None:
            cfg["input_shape"] = list(self._input_shape_arg)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)

    @property
    def dtype(self) -> str:
        return str(self._dtype)

    @property
    def input_shape(self) -> Any:
        return self._build_shape

    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        return f"name={self.name}"
