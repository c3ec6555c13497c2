"""Recurrent layers: ``SimpleRNN``, ``LSTM``, ``GRU`` over ``nn.RNN`` / ``nn.LSTM`` /
``nn.GRU`` (one fused node per sequence, batch first).

Keras's weight layouts and equations, PyTorch's kernels underneath:

* ``get_weights()`` is ``[kernel (input, G*units), recurrent_kernel (units, G*units), bias]``.
  The LSTM's gates are ``i, f, c, o`` in both libraries; the GRU's are ``z, r, h`` in Keras and
  ``r, z, n`` in PyTorch (the skin swaps the first two blocks both ways).
* ``SimpleRNN`` and ``LSTM`` have ONE bias in Keras: the module's ``bias_hh`` is removed (set
  to ``None``), so ``bias_ih`` is exactly Keras's bias and trains as one. The GRU
  (``reset_after=True``, Keras 3's default) has an input and a recurrent bias: Keras's
  ``bias`` of shape ``(2, 3*units)`` is ``[bias_ih; bias_hh]``, as the GRU equations
  ``hh = tanh(x W_h + b_h + r * (h U_h + b_hh))`` of both libraries agree.
* Keras's initializers: ``glorot_uniform`` kernel, ``orthogonal`` recurrent kernel, ``zeros``
  bias (with ``unit_forget_bias``: ones for the LSTM's forget gate).

Masks (``mask=`` in ``call``, e.g. from ``Embedding(mask_zero=True)`` in a ``Sequential``):
masked steps keep the previous state, as Keras. Each sequence's unmasked steps must form one
contiguous block -- padding at the end or at the start (Keras's ``pad_sequences`` pads at the
start by default): the blocks are moved to the front, packed by length and run by the fused op;
a mask with holes raises ``NotImplementedError``. Outputs at masked steps are Keras's: the
previous output (the initial state before the first valid step), or zeros with
``zero_output_for_mask=True`` (which ``Bidirectional`` sets when returning sequences).

``dropout`` drops input features with one mask per sequence shared by all steps (Keras's
behaviour). Not supported (``NotImplementedError`` naming the argument): activations other than
``tanh``/``sigmoid`` (``SimpleRNN``: ``tanh`` or ``relu``), ``recurrent_dropout > 0``,
``stateful=True``, ``reset_after=False``, weight constraints. ``unroll`` is accepted and has no
effect (the fused op never unrolls).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend, nn
from ...autograd.grad_mode import no_grad
from ...nn import functional as F
from ...nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from ...ops.movement import cat, stack
from ...tensor import Tensor
from .. import activations as _act
from .. import initializers as _init
from .. import regularizers as _reg
from .convolutional import (
    ActivityRegularized,
    as_numpy,
    check_weight_list,
    const,
    named,
    no_constraints,
    set_param,
)
from .layer import Layer

__all__ = ["SimpleRNN", "LSTM", "GRU"]


def _host_bool(mask: Any) -> np.ndarray:
    """A mask as a host (NumPy) boolean array."""
    if isinstance(mask, Tensor):
        mask = backend.to_device(mask.data, backend.CPU)
    return np.asarray(mask).astype(bool)


class _RNNBase(ActivityRegularized, Layer):
    """Shared machinery of :class:`SimpleRNN`, :class:`LSTM` and :class:`GRU`."""

    module: Any = nn.RNN
    gates = 1
    is_lstm = False

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, use_cudnn: Any = "auto",
                 **kwargs: Any) -> None:
        kwargs.pop("implementation", None)
        kwargs.pop("time_major", None)
        super().__init__(**named(type(self), kwargs))
        label = type(self).__name__
        if not isinstance(units, int | np.integer) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{label}: received an invalid value for argument `units`, "
                             f"expected a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = _act.get(activation)
        self.recurrent_activation = _act.get(recurrent_activation)
        self._check_activations(activation, recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _init.get(kernel_initializer)
        self.recurrent_initializer = _init.get(recurrent_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.recurrent_regularizer = _reg.get(recurrent_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        no_constraints(label, kernel_constraint=kernel_constraint,
                       recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        if self.recurrent_dropout > 0:
            raise NotImplementedError(
                f"{label}: recurrent_dropout={recurrent_dropout} is not supported (the fused "
                "recurrent op has no per-step dropout of the state); use `dropout` (on the "
                "inputs) or a Dropout layer after the recurrent layer")
        if stateful:
            raise NotImplementedError(f"{label}: stateful=True is not supported; pass the "
                                      "previous final states as `initial_state` instead")
        self.seed = seed
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.use_cudnn = use_cudnn
        self._init_activity(activity_regularizer)

    def _check_activations(self, activation: Any, recurrent_activation: Any) -> None:
        label = type(self).__name__
        if self.activation is not _act.tanh:
            raise NotImplementedError(f"{label}: activation={activation!r} is not supported "
                                      "(only 'tanh', the fused kernel's)")
        if self.recurrent_activation is not _act.sigmoid:
            raise NotImplementedError(f"{label}: recurrent_activation={recurrent_activation!r} "
                                      "is not supported (only 'sigmoid', the fused kernel's)")

    # ------------------------------------------------------------------ layouts
    def _perm(self) -> np.ndarray | None:
        """Column order mapping Keras's gate blocks to PyTorch's (None: the same order)."""
        return None

    def _module_kwargs(self) -> dict:
        return {}

    def build(self, input_shape: Any) -> None:
        label = f"{type(self).__name__} '{self.name}'"
        if len(input_shape) != 3:
            raise ValueError(f"{label}: expected input of shape (batch, timesteps, features), "
                             f"got input shape {tuple(input_shape)}")
        if input_shape[-1] is None:
            raise ValueError(f"{label}: the last dimension of the inputs must be defined, got "
                             f"input shape {tuple(input_shape)}")
        features = int(input_shape[-1])
        self.cell = self.module(features, self.units, batch_first=True, bias=self.use_bias,
                                dtype=self._dtype, **self._module_kwargs())
        if self.use_bias and not self._two_biases():
            self.cell.bias_hh_l0 = None  # Keras has one bias: bias_ih is it
        G, H = self.gates, self.units
        with no_grad():
            kernel = np.asarray(self.kernel_initializer((features, G * H), dtype=self._dtype))
            recurrent = np.asarray(self.recurrent_initializer((H, G * H), dtype=self._dtype))
            self._set_kernels(kernel, recurrent)
            if self.use_bias:
                self._set_bias(self._initial_bias())
        if self.kernel_regularizer is not None:
            self._extra_losses.append(lambda: self.kernel_regularizer(self.cell.weight_ih_l0))
        if self.recurrent_regularizer is not None:
            self._extra_losses.append(
                lambda: self.recurrent_regularizer(self.cell.weight_hh_l0))
        if self.bias_regularizer is not None and self.use_bias:
            self._extra_losses.append(lambda: sum(self.bias_regularizer(b) for b in
                                                  self._biases()))
        self.built = True

    def _two_biases(self) -> bool:
        return False

    def _biases(self) -> list[Tensor]:
        c = self.cell
        return [c.bias_ih_l0] + ([c.bias_hh_l0] if self._two_biases() else [])

    def _initial_bias(self) -> np.ndarray:
        return np.asarray(self.bias_initializer((self.gates * self.units,), dtype=self._dtype))

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def _cols(self, a: np.ndarray) -> np.ndarray:
        p = self._perm()
        return a if p is None else a[..., p]

    def _set_kernels(self, kernel: np.ndarray, recurrent: np.ndarray) -> None:
        set_param(self.cell.weight_ih_l0, np.ascontiguousarray(self._cols(kernel).T))
        set_param(self.cell.weight_hh_l0, np.ascontiguousarray(self._cols(recurrent).T))

    def _set_bias(self, bias: np.ndarray) -> None:
        set_param(self.cell.bias_ih_l0, self._cols(bias))

    def _keras_view(self, w: Tensor) -> Tensor:
        """A module weight ``(G*H, n)`` as Keras's ``(n, G*H)`` (differentiable)."""
        t = w.T  # type: ignore[attr-defined]
        p = self._perm()
        return t if p is None else t.index_select(1, const(p, w))  # type: ignore

    @property
    def kernel(self) -> Tensor:
        """Keras's kernel ``(input, G*units)``, computed from the module's ``weight_ih``."""
        return self._keras_view(self.cell.weight_ih_l0)

    @property
    def recurrent_kernel(self) -> Tensor:
        """Keras's recurrent kernel ``(units, G*units)``."""
        return self._keras_view(self.cell.weight_hh_l0)

    @property
    def bias(self) -> Tensor | None:
        if not self.use_bias:
            return None
        p = self._perm()
        bs = [b if p is None else b.index_select(0, const(p, b))  # type: ignore
              for b in self._biases()]
        return bs[0] if len(bs) == 1 else _stack(bs)

    def _keras_weights(self) -> list[Tensor]:
        w = [self.kernel, self.recurrent_kernel]
        if self.use_bias:
            w.append(self.bias)  # type: ignore[arg-type]
        return w

    def get_weights(self) -> list[np.ndarray]:
        """``[kernel, recurrent_kernel, bias]`` in Keras's layouts and gate order."""
        return [as_numpy(w) for w in self._keras_weights()]

    def set_weights(self, weights: list[Any]) -> None:
        G, H = self.gates, self.units
        shapes: list[tuple[int, ...]] = [(self.cell.input_size, G * H), (H, G * H)]
        if self.use_bias:
            shapes.append(self._bias_shape())
        arrays = check_weight_list(self, weights, shapes)
        self._set_kernels(arrays[0], arrays[1])
        if self.use_bias:
            self._set_bias(arrays[2])

    # ------------------------------------------------------------------ calling
    def _initial_states(self, initial_state: Any, n: int, like: Tensor) -> list[Tensor]:
        k = 2 if self.is_lstm else 1
        if initial_state is None:
            return []
        states = list(initial_state) if isinstance(initial_state, list | tuple) else \
            [initial_state]
        if len(states) != k:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected {k} initial "
                             f"state tensor(s), got {len(states)}")
        out = []
        for s in states:
            s = s if isinstance(s, Tensor) else Tensor._make(np.asarray(s, like.dtype))
            if tuple(s.shape) != (n, self.units):
                raise ValueError(f"{type(self).__name__} '{self.name}': an initial state must "
                                 f"have shape {(n, self.units)}, got {tuple(s.shape)}")
            out.append(s)
        return out

    def _blocks(self, mask: Any, n: int, t: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(starts, lengths)`` of each sequence's unmasked steps, which must form one
        contiguous block (right or left padding), in processing order (reversed for
        ``go_backwards``); None when nothing is masked."""
        if isinstance(mask, list | tuple):
            mask = mask[0]
        if mask is None:
            return None
        m = _host_bool(mask)
        if m.shape != (n, t):
            raise ValueError(f"{type(self).__name__} '{self.name}': the mask must have shape "
                             f"(batch, timesteps) = {(n, t)}, got {m.shape}")
        if self.go_backwards:
            m = m[:, ::-1]
        lengths = m.sum(axis=1)
        if bool((lengths == t).all()):
            return None
        starts = np.where(lengths > 0, m.argmax(axis=1), 0)
        steps = np.arange(t)[None, :]
        if not np.array_equal(m, (steps >= starts[:, None]) &
                              (steps < (starts + lengths)[:, None])):
            raise NotImplementedError(
                f"{type(self).__name__} '{self.name}': the mask of each sequence must keep one "
                "contiguous block of steps (padding at the end or at the start, as "
                "Embedding(mask_zero=True) gives for padded sequences); masks with holes are "
                "not supported")
        return starts, lengths

    def call(self, inputs: Tensor, mask: Any = None, training: Any = None,
             initial_state: Any = None) -> Any:
        label = f"{type(self).__name__} '{self.name}'"
        if inputs.ndim != 3:
            raise ValueError(f"{label}: expected input of shape (batch, timesteps, features), "
                             f"got {tuple(inputs.shape)}")
        if inputs.shape[-1] != self.cell.input_size:
            raise ValueError(f"{label}: the layer was built for {self.cell.input_size} input "
                             f"features, got input shape {tuple(inputs.shape)}")
        n, t = inputs.shape[0], inputs.shape[1]
        x = inputs
        train = self.training if training is None else bool(training)
        if self.dropout > 0 and train:  # one mask per (sequence, feature), shared by all steps
            x = F.dropout1d(x.transpose(1, 2), self.dropout, True).transpose(1, 2)
        init = self._initial_states(initial_state, n, inputs)
        hx: Any = None
        if init:
            hx = tuple(s.unsqueeze(0) for s in init) if self.is_lstm else init[0].unsqueeze(0)
        blocks = self._blocks(mask, n, t)
        if self.go_backwards:  # Keras: process (and output) the steps in reverse order
            x = x.flip(1)  # type: ignore[attr-defined]
        if blocks is None:
            out, state = self.cell(x, hx)
            finals = [s.squeeze(0) for s in (state if self.is_lstm else (state,))]
            output = out if self.return_sequences else out[:, -1]
        else:
            starts, lengths = blocks
            out, finals = self._masked_run(x, hx, init, starts, lengths, t)
            output = self._masked_outputs(out, init, starts, lengths, n, t)
        if self.return_state:
            return (output, *finals)
        return output

    def _masked_run(self, x: Tensor, hx: Any, init: list[Tensor], starts: np.ndarray,
                    lengths: np.ndarray, t: int) -> tuple[Tensor, list[Tensor]]:
        """Run only the unmasked steps (moved to the front and packed by length): outputs
        ``(n, t, units)`` with zeros after each length, and the final states (a masked step
        keeps the state, so a sequence's final state is the one after its last valid step)."""
        if starts.any():  # left-align each sequence's block of valid steps
            idx = np.minimum(starts[:, None] + np.arange(t)[None, :], t - 1)
            x = x.take_along_dim(const(idx[:, :, None], x), 1)  # type: ignore[attr-defined]
        packed = pack_padded_sequence(x, np.maximum(lengths, 1), batch_first=True,
                                      enforce_sorted=False)
        out_p, state = self.cell(packed, hx)
        out, _ = pad_packed_sequence(out_p, batch_first=True, total_length=t)
        finals = [s.squeeze(0) for s in (state if self.is_lstm else (state,))]
        empty = lengths == 0
        if empty.any():  # a fully masked sequence keeps its initial state
            keep = const(~empty[:, None], finals[0])
            first: list[Any] = list(init) or [None] * len(finals)
            finals = [f.where(keep, s if s is not None else f.new_zeros(f.shape))  # type: ignore
                      for f, s in zip(finals, first)]
        return out, finals

    def _masked_outputs(self, out: Tensor, init: list[Tensor], starts: np.ndarray,
                        lengths: np.ndarray, n: int, t: int) -> Tensor:
        """Keras's output at every step (or the last), masked steps included: the valid
        outputs in place, and at a masked step the previous output (the initial state before
        the first valid step) or zeros (``zero_output_for_mask``)."""
        h0 = init[0] if init else out.new_zeros((n, self.units))  # type: ignore[attr-defined]
        ext = cat([out, h0.unsqueeze(1), out.new_zeros((n, 1, self.units))],  # type: ignore
                  1)
        steps = np.arange(t)[None, :]
        a, L = starts[:, None], lengths[:, None]
        if self.zero_output_for_mask:
            before = after = np.full_like(L, t + 1)
        else:
            before, after = np.full_like(L, t), np.where(L > 0, L - 1, t)
        idx = np.where(steps < a, before, np.where(steps < a + L, steps - a, after))
        if not self.return_sequences:
            idx = idx[:, -1:]
        y = ext.take_along_dim(const(idx[:, :, None].astype(np.int64), ext), 1)  # type: ignore
        return y if self.return_sequences else y[:, 0]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list | tuple):
            mask = mask[0]
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * (2 if self.is_lstm else 1)
        return out

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "units": self.units, "activation": _act.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _init.serialize(self.kernel_initializer),
            "recurrent_initializer": _init.serialize(self.recurrent_initializer),
            "bias_initializer": _init.serialize(self.bias_initializer),
            "kernel_regularizer": _reg.serialize(self.kernel_regularizer),
            "recurrent_regularizer": _reg.serialize(self.recurrent_regularizer),
            "bias_regularizer": _reg.serialize(self.bias_regularizer),
            "activity_regularizer": _reg.serialize(self.activity_regularizer),
            "kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None,
            "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed, "return_sequences": self.return_sequences,
            "return_state": self.return_state, "go_backwards": self.go_backwards,
            "stateful": self.stateful, "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        })
        if self.gates > 1:
            cfg["recurrent_activation"] = _act.serialize(self.recurrent_activation)
        return cfg


def _stack(ts: list[Tensor]) -> Tensor:
    return stack(ts, 0)


class SimpleRNN(_RNNBase):
    """Fully connected recurrent layer: ``h_t = activation(x_t W + h_{t-1} U + b)``.

    Holds an ``nn.RNN`` (tanh or relu). ``get_weights()``: ``[kernel (input, units),
    recurrent_kernel (units, units), bias (units,)]``.

    Args:
        units: the state size.
        activation: ``"tanh"`` (default) or ``"relu"``.
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer, regularizers,
        dropout, return_sequences, return_state, go_backwards, zero_output_for_mask: as in
        :class:`LSTM`.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> keras.layers.SimpleRNN(4, return_sequences=True)(np.ones((2, 5, 3))).shape
        lightgrad.Size([2, 5, 4])
    """

    module = nn.RNN
    gates = 1

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 **kwargs: Any) -> None:
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)

    def _check_activations(self, activation: Any, recurrent_activation: Any) -> None:
        if self.activation not in (_act.tanh, _act.relu):
            raise NotImplementedError(f"SimpleRNN: activation={activation!r} is not supported "
                                      "(only 'tanh' and 'relu', the fused kernel's)")

    def _module_kwargs(self) -> dict:
        return {"nonlinearity": "relu" if self.activation is _act.relu else "tanh"}


class LSTM(_RNNBase):
    """Long Short-Term Memory layer (Hochreiter 1997), Keras's equations::

        i = σ(x W_i + h U_i + b_i)   f = σ(x W_f + h U_f + b_f)
        c' = f * c + i * tanh(x W_c + h U_c + b_c)   o = σ(x W_o + h U_o + b_o)
        h' = o * tanh(c')

    Holds an ``nn.LSTM`` (batch first; one bias). ``get_weights()``: ``[kernel (input,
    4*units), recurrent_kernel (units, 4*units), bias (4*units,)]``, gates ``i, f, c, o``.

    Args:
        units: the state size.
        activation, recurrent_activation: ``"tanh"`` and ``"sigmoid"`` (the only ones).
        use_bias: default True. unit_forget_bias: initialize the forget gate's bias to 1.
        kernel_initializer, recurrent_initializer, bias_initializer: default
            ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer.
        dropout: fraction of the input features dropped (one mask per sequence).
        return_sequences: return the output at every step ``(N, T, units)`` (else the last,
            ``(N, units)``).
        return_state: also return the final states: ``(output, h, c)``.
        go_backwards: process the sequence backwards (and return the outputs in that order).
        zero_output_for_mask: zeros (rather than the previous output) at masked steps.

    Call args: ``inputs (N, T, features)``, ``mask (N, T)`` (padding at the end or the start),
    ``training``, ``initial_state [h, c]``.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> out, h, c = keras.layers.LSTM(4, return_state=True)(np.ones((2, 5, 3)))
        >>> out.shape, h.shape, c.shape
        (lightgrad.Size([2, 4]), lightgrad.Size([2, 4]), lightgrad.Size([2, 4]))
    """

    module = nn.LSTM
    gates = 4
    is_lstm = True

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _initial_bias(self) -> np.ndarray:
        H = self.units
        if not self.unit_forget_bias:
            return super()._initial_bias()
        init = self.bias_initializer
        return np.concatenate([np.asarray(init((H,), dtype=self._dtype)),
                               np.ones(H, self._dtype),
                               np.asarray(init((2 * H,), dtype=self._dtype))])

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["unit_forget_bias"] = self.unit_forget_bias
        return cfg


class GRU(_RNNBase):
    """Gated Recurrent Unit (Cho 2014), Keras 3's ``reset_after=True`` form::

        z = σ(x W_z + b_z + h U_z + c_z)   r = σ(x W_r + b_r + h U_r + c_r)
        hh = tanh(x W_h + b_h + r * (h U_h + c_h))   h' = z * h + (1 - z) * hh

    Holds an ``nn.GRU`` (the same equations with gates ``r, z, n``). ``get_weights()``:
    ``[kernel (input, 3*units), recurrent_kernel (units, 3*units), bias (2, 3*units)]``, gates
    ``z, r, h``; ``bias[0]`` is the input bias ``b``, ``bias[1]`` the recurrent bias ``c``.

    Args: as :class:`LSTM` (no ``unit_forget_bias``), plus ``reset_after`` (only True).

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> layer = keras.layers.GRU(4)
        >>> layer(np.ones((2, 5, 3))).shape
        lightgrad.Size([2, 4])
        >>> [w.shape for w in layer.get_weights()]
        [(3, 12), (4, 12), (2, 12)]
    """

    module = nn.GRU
    gates = 3

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, reset_after: bool = True, **kwargs: Any) -> None:
        if not reset_after:
            raise NotImplementedError("GRU: reset_after=False is not supported (PyTorch's and "
                                      "cuDNN's GRU apply the reset gate after the recurrent "
                                      "product, Keras 3's default reset_after=True)")
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, **kwargs)
        self.reset_after = True

    def _perm(self) -> np.ndarray:
        H = self.units
        return np.concatenate([np.arange(H, 2 * H), np.arange(H), np.arange(2 * H, 3 * H)])

    def _two_biases(self) -> bool:
        return True

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units)

    def _initial_bias(self) -> np.ndarray:
        return np.asarray(self.bias_initializer((2, 3 * self.units), dtype=self._dtype))

    def _set_bias(self, bias: np.ndarray) -> None:
        set_param(self.cell.bias_ih_l0, self._cols(bias[0]))
        set_param(self.cell.bias_hh_l0, self._cols(bias[1]))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["reset_after"] = self.reset_after
        return cfg
