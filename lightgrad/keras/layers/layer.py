"""``keras.layers.Layer``: the base of the Keras skin, an ``nn.Module`` built lazily.

A Keras layer creates its ``lightgrad.nn`` modules (or Parameters) in ``build(input_shape)`` on
the first call and delegates the math to them: no math lives in the skin. Because it *is* an
``nn.Module``, optimizers, ``state_dict``, ``train()``/``eval()`` and hooks work unchanged.
Calling a layer on a symbolic :class:`KerasTensor` (from ``keras.Input``) records the functional
graph instead of computing.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import threading
from collections import defaultdict
from typing import Any

import numpy as np

from ... import backend
from ...autograd.grad_mode import no_grad
from ...nn.module import Module
from ...nn.parameter import Parameter
from ...tensor import Tensor

_name_counts: defaultdict[str, int] = defaultdict(int)
#: per thread, how many concrete Layer calls are in progress (0: the next is an outermost one)
_call_state = threading.local()


def _snake(name: str) -> str:
    """Keras 3's ``to_snake_case``: ``Conv2DTranspose`` -> ``conv2d_transpose``, ``SimpleRNN``
    -> ``simple_rnn``, ``GlobalAveragePooling2D`` -> ``global_average_pooling2d`` (no
    underscore between a digit and a capital; characters outside ``\\w`` dropped)."""
    s = re.sub(r"\W+", "", name)
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", s)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


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


def _map_nested(fn: Any, x: Any) -> Any:
    """``fn`` applied to every leaf of nested lists, tuples and dicts (call arguments)."""
    if isinstance(x, list | tuple):
        return type(x)(_map_nested(fn, v) for v in x)
    if isinstance(x, dict):
        return {k: _map_nested(fn, v) for k, v in x.items()}
    return fn(x)


def _keras_tensors(x: Any) -> list[KerasTensor]:
    """The symbolic tensors among the leaves of nested lists, tuples and dicts."""
    out: list[KerasTensor] = []
    _map_nested(lambda v: out.append(v) if isinstance(v, KerasTensor) else None, x)
    return out


def _zeros_like_symbolic(k: KerasTensor) -> Tensor:
    """A batch of 2 zeros of ``k``'s shape (unknown sizes as 1) for shape inference."""
    shape = (2,) + tuple(1 if s is None else s for s in k.shape[1:])
    return Tensor._make(np.zeros(shape, dtype=k.dtype))


def _any_mask(mask: Any) -> bool:
    return any(m is not None for m in _flatten(mask))


def call_with_mask(layer: Layer, inputs: Any, mask: Any, kwargs: dict) -> tuple[Any, Any]:
    """Call ``layer`` on ``inputs`` as Keras propagates masks, and return ``(outputs,
    output_mask)``.

    ``mask`` is the mask of ``inputs`` (the same structure: one mask per input tensor, ``None``
    where there is none). The layer gets it as ``mask=`` when its ``call`` takes a ``mask`` and
    the caller passed none; a layer whose list of input tensors each have a mask argument of
    their own (``_input_mask_args``, e.g. MultiHeadAttention's ``query_mask``, ``value_mask``,
    ``key_mask``) gets each input's mask there instead, unless the caller passed it (Keras 3
    fills ``<arg>_mask`` from the mask of tensor argument ``<arg>``). The output mask is
    ``layer.compute_mask(inputs, mask)`` (the mask passed on unchanged by a layer with
    ``supports_masking``, ``None`` otherwise); a single mask for a layer with several outputs
    (attention with its scores) belongs to the first one.
    """
    names = getattr(layer, "_input_mask_args", ())
    if "mask" in kwargs and kwargs["mask"] is not None:
        mask = kwargs["mask"]
    elif names and isinstance(inputs, list | tuple) and isinstance(mask, list | tuple):
        fill = {k: m for k, m in zip(names, mask) if m is not None and kwargs.get(k) is None}
        if fill:
            kwargs = dict(kwargs, **fill)
    elif _any_mask(mask) and _call_takes(type(layer), "mask"):
        kwargs = dict(kwargs, mask=mask)
    out = layer(inputs, **kwargs)
    if not _any_mask(mask) and type(layer).compute_mask is Layer.compute_mask:
        return out, None  # the common case: nothing to propagate, nothing created
    out_mask = layer.compute_mask(inputs, mask if _any_mask(mask) else None)
    if isinstance(out, list | tuple) and out_mask is not None \
            and not isinstance(out_mask, list | tuple):
        out_mask = [out_mask] + [None] * (len(out) - 1)
    return out, out_mask


def _call_takes(cls: type, arg: str) -> bool:
    """Whether ``cls.call`` has a parameter named ``arg`` (cached per class)."""
    key = (cls, arg)
    if key not in _takes_cache:
        try:
            _takes_cache[key] = arg in inspect.signature(cls.call).parameters  # type: ignore
        except (TypeError, ValueError):
            _takes_cache[key] = False
    return _takes_cache[key]


_takes_cache: dict[tuple[type, str], bool] = {}


class Layer(Module):
    """Base class of Keras layers.

    Args:
        trainable: whether the layer's weights are trained.
        name: the layer's name (unique by default: ``dense``, ``dense_1``...).
        dtype: the weights' dtype (default float32).
        input_shape: Keras 2 style: the input shape without the batch dimension, for the first
            layer of a ``Sequential``.
        activity_regularizer: a penalty on the layer's outputs added to ``losses`` on each
            call: ``regularizer(output) / batch_size`` per output tensor (Keras 3 since its
            fix of the documented batch-size normalization, keras-team/keras#22021).

    Subclasses create weights in ``build(input_shape)`` (with :meth:`add_weight` or by assigning
    ``nn`` modules) and compute in ``call(inputs, training=None)``.

    Masks (Keras's): a layer whose ``call`` takes ``mask`` receives its input's mask in a
    ``Sequential`` or functional model; ``compute_mask(inputs, previous_mask)`` gives the mask
    of its output, by default the input's mask when ``supports_masking`` is true (the layer
    keeps the time steps, e.g. ``Dense``, ``Dropout``) and ``None`` otherwise.
    """

    #: whether the layer passes its input's mask on (see :meth:`compute_mask`)
    supports_masking: bool = False
    #: call arguments that take the masks of the layer's input tensors, in input order (see
    #: :func:`call_with_mask`); empty: the layer takes them as one ``mask``
    _input_mask_args: tuple[str, ...] = ()

    def __init__(self, trainable: bool = True, name: str | None = None, dtype: Any = None,
                 input_shape: Any = None, input_dim: int | None = None, batch_size: Any = None,
                 activity_regularizer: Any = None, **kwargs: Any) -> None:
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
        from ..regularizers import get as get_regularizer

        d["activity_regularizer"] = get_regularizer(activity_regularizer)
        d["_activity_losses"] = []

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
        if any(isinstance(x, KerasTensor) for x in flat) or _keras_tensors(kwargs):
            return self._call_symbolic(inputs, *args, **kwargs)
        inputs = _map(lambda x: x if isinstance(x, Tensor) or x is None else to_tensor(x),
                      inputs)
        self._maybe_build(_map(lambda t: None if t is None else tuple(t.shape), inputs))
        # Keras's ``training`` resolution: the explicit argument, else the enclosing call's
        # value, else inference (a direct ``model(x)`` runs Dropout/BatchNorm in inference
        # mode, as in Keras; ``fit`` passes ``training=True``)
        depth = getattr(_call_state, "depth", 0)
        training = kwargs.get("training")
        training = (getattr(_call_state, "training", False) if depth else False) \
            if training is None else bool(training)
        if call_takes_training(type(self)):  # type: ignore[arg-type]
            kwargs["training"] = training
        else:  # Keras drops the flag for a ``call`` without it (the mode still applies)
            kwargs.pop("training", None)
        toggle = depth == 0 and self.training != training
        if toggle:  # layers that read their own mode (and their nn modules) follow it too
            self.train(training)
        outer_training = getattr(_call_state, "training", False)
        _call_state.training = training
        try:
            with self._outermost_call():
                out = super().__call__(inputs, *args, **kwargs)
                if self.activity_regularizer is not None:
                    self._record_activity(out)
        finally:
            _call_state.training = outer_training
            if toggle:
                self.train(not training)
        return out

    def _outermost_call(self) -> Any:
        """A context for one call: the outermost call (a model's, or a lone layer's) first
        forgets the activity penalties of the previous call, as Keras clears its losses."""
        @contextlib.contextmanager
        def scope() -> Any:
            depth = getattr(_call_state, "depth", 0)
            if depth == 0:
                for m in self.modules():
                    if isinstance(m, Layer) and m._activity_losses:
                        m._activity_losses.clear()
            _call_state.depth = depth + 1
            try:
                yield
            finally:
                _call_state.depth = depth

        return scope()

    def _record_activity(self, outputs: Any) -> None:
        """Keras 3's activity penalty: ``regularizer(output) / batch_size`` for each output
        tensor (0-d outputs are not divided; an empty batch adds 0)."""
        for out in _flatten(outputs):
            if not isinstance(out, Tensor):
                continue
            penalty = self.activity_regularizer(out)
            if out.ndim > 0:
                batch = out.shape[0]
                penalty = penalty / batch if batch else penalty * 0.0
            self._activity_losses.append(penalty)

    def _call_symbolic(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Functional API: infer the output shape by running on a batch of 2 zeros. Symbolic
        tensors among the keyword arguments (e.g. an RNN's ``initial_state``) are inputs of
        the call too: they get zeros for the inference and stay in the recorded node."""
        dummy = _map(_zeros_like_symbolic, inputs)
        dummy_kwargs = _map_nested(
            lambda v: _zeros_like_symbolic(v) if isinstance(v, KerasTensor) else v, kwargs)
        self._maybe_build(_map(lambda k: k.shape, inputs))
        was = self.training
        self.eval()
        try:
            with no_grad():
                out = Module.__call__(self, dummy, *args, **dummy_kwargs)
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
        """Regularization penalties of this layer and its sublayers: the weight penalties
        (computed now) and the activity penalties of the latest call."""
        out: list[Tensor] = []
        for m in self.modules():
            if isinstance(m, Layer):
                out.extend(f() for f in m._extra_losses)
                out.extend(m._activity_losses)
        return out

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The mask of the output for ``inputs`` whose mask is ``previous_mask``: passed on
        unchanged when the layer ``supports_masking``, else ``None`` (Keras's default)."""
        return previous_mask if self.supports_masking else None

    def add_loss(self, loss: Any) -> None:
        self._extra_losses.append(loss if callable(loss) else (lambda: loss))

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The constructor arguments as a JSON-able dict (``from_config`` inverts it)."""
        cfg: dict[str, Any] = {"name": self.name, "trainable": self.trainable,
                               "dtype": str(self._dtype)}
        if self._input_shape_arg is not None:
            cfg["input_shape"] = list(self._input_shape_arg)
        if self.activity_regularizer is not None:
            from ..regularizers import serialize

            cfg["activity_regularizer"] = serialize(self.activity_regularizer)
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


@functools.cache
def call_takes_training(cls: type) -> bool:
    """Whether ``cls.call`` takes ``training`` (cached per class: this runs on every call)."""
    try:
        params = inspect.signature(cls.call).parameters  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return False
    return "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
