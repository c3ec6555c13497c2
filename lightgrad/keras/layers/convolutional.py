"""Convolution layers: ``Conv1D``, ``Conv2D``, ``Conv1DTranspose``, ``Conv2DTranspose``.

Each holds the ``lightgrad.nn`` convolution module (``nn.Conv1d``, ``nn.Conv2d``,
``nn.ConvTranspose1d``, ``nn.ConvTranspose2d``) and runs its weights through the matching
functional op; the skin only moves axes and pads:

* ``data_format="channels_last"`` (Keras's default): inputs ``(N, *spatial, C)`` are moved to
  ``(N, C, *spatial)`` for the channels-first op and the result is moved back.
* ``padding="same"`` is TensorFlow's: ``out = ceil(in / stride)``, the total padding split with
  the odd pixel at the end (an explicit ``F.pad`` when the split is uneven);
  ``padding="causal"`` (``Conv1D``) pads ``(k - 1) * dilation`` steps on the left.
* Weights in Keras's layouts in ``get_weights``/``set_weights``: a convolution kernel is
  ``kernel_size + (in_channels / groups, filters)`` (PyTorch: ``(filters, in / groups,
  *kernel_size)``), a transposed convolution kernel ``kernel_size + (filters, in_channels)``
  (PyTorch: ``(in, filters, *kernel_size)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import backend, nn
from ...autograd.grad_mode import no_grad
from ...nn import functional as F
from ...tensor import Tensor
from .. import activations as _act
from .. import initializers as _init
from .. import regularizers as _reg
from .layer import Layer, _snake, unique_name

__all__ = ["Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose", "Convolution1D",
           "Convolution2D", "Convolution1DTranspose", "Convolution2DTranspose"]


# ============================================================================ shared helpers
def keras_name(cls_name: str) -> str:
    """Keras's default layer name for a class: ``Conv2D`` -> ``conv2d``, ``SimpleRNN`` ->
    ``simple_rnn``, ``MultiHeadAttention`` -> ``multi_head_attention`` (Keras's
    ``to_snake_case``: no underscore between a digit and a capital)."""
    return unique_name(_snake(cls_name))


def named(cls: type, kwargs: dict) -> dict:
    """``kwargs`` with a Keras-style default ``name`` for a layer of class ``cls``."""
    if kwargs.get("name") is None:
        kwargs["name"] = keras_name(cls.__name__)
    return kwargs


def ntuple(value: Any, n: int, layer: str, arg: str, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints (each ``>= minimum``) as a tuple, Keras's checks."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        out = (int(value),) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            raise ValueError(f"{layer}: the `{arg}` argument must be a tuple of {n} integers, "
                             f"received {arg}={value!r}") from None
        if len(out) != n or not all(isinstance(v, int | np.integer) and not isinstance(v, bool)
                                    for v in out):
            raise ValueError(f"{layer}: the `{arg}` argument must be a tuple of {n} integers, "
                             f"received {arg}={value!r}")
        out = tuple(int(v) for v in out)
    if any(v < minimum for v in out):
        raise ValueError(f"{layer}: the `{arg}` argument must be >= {minimum}, received "
                         f"{arg}={value!r}")
    return out


def data_format_arg(data_format: Any, layer: str) -> str:
    """``None`` -> ``"channels_last"`` (Keras's default image data format); checks the value."""
    if data_format is None:
        return "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: the `data_format` argument must be one of "
                         f"'channels_last', 'channels_first', received data_format="
                         f"{data_format!r}")
    return str(data_format)


def padding_arg(padding: Any, layer: str, allowed: tuple[str, ...] = ("valid", "same")) -> str:
    p = padding.lower() if isinstance(padding, str) else padding
    if p not in allowed:
        raise ValueError(f"{layer}: the `padding` argument must be one of {list(allowed)}, "
                         f"received padding={padding!r}")
    return str(p)


def same_pads(size: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """TensorFlow's ``"same"`` padding of one dim: ``(before, after)`` so that the output has
    ``ceil(size / s)`` positions, the odd pixel after."""
    k_eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + k_eff - size, 0)
    return total // 2, total - total // 2


def to_channels_first(x: Tensor, data_format: str) -> Tensor:
    return x.movedim(-1, 1) if data_format == "channels_last" else x  # type: ignore[attr-defined]


def to_data_format(y: Tensor, data_format: str) -> Tensor:
    return y.movedim(1, -1) if data_format == "channels_last" else y  # type: ignore[attr-defined]


def flat_pads(pads: list[tuple[int, int]]) -> tuple[int, ...]:
    """``[(before, after)]`` per spatial dim (first to last) as ``F.pad``'s last-dim-first
    tuple."""
    out: list[int] = []
    for before, after in reversed(pads):
        out += [before, after]
    return tuple(out)


def no_constraints(layer: str, **constraints: Any) -> None:
    for arg, value in constraints.items():
        if value is not None:
            raise NotImplementedError(f"{layer}: `{arg}` is not supported by lightgrad.keras "
                                      f"(received {arg}={value!r}); constrain the weights in a "
                                      "callback instead")


def set_param(p: Tensor, value: Any) -> None:
    """Overwrite a parameter's values in place (no graph), bumping its version."""
    with no_grad():
        p.data[...] = backend.to_device(np.asarray(value, dtype=p.dtype), p.device)
        p._vc[0] += 1


def const(arr: np.ndarray, like: Tensor) -> Tensor:
    """A constant (host-built) array as a tensor on ``like``'s device."""
    return Tensor._make(backend.to_device(arr, like.device))


def as_numpy(t: Tensor) -> np.ndarray:
    return np.array(t.detach().numpy())  # type: ignore[attr-defined]


def check_weight_list(layer: Layer, weights: list, shapes: list[tuple]) -> list[np.ndarray]:
    """The arrays of ``set_weights`` checked against the expected Keras shapes."""
    if len(weights) != len(shapes):
        raise ValueError(f"{type(layer).__name__} '{layer.name}': set_weights expects "
                         f"{len(shapes)} arrays (shapes {shapes}), got {len(weights)}")
    out = []
    for i, (w, shape) in enumerate(zip(weights, shapes)):
        arr = np.asarray(w)
        if tuple(arr.shape) != tuple(shape):
            raise ValueError(f"{type(layer).__name__} '{layer.name}': weight {i} must have "
                             f"shape {tuple(shape)}, got an array of shape {arr.shape}")
        out.append(arr)
    return out


class ActivityRegularized:
    """Mixin: the ``activity_regularizer`` argument (the penalty itself is recorded on every
    call by :meth:`Layer.__call__`, as Keras 3 does for every layer)."""

    def _init_activity(self, activity_regularizer: Any) -> None:
        self.activity_regularizer = _reg.get(activity_regularizer)


# ============================================================================ convolutions
class _BaseConv(ActivityRegularized, Layer):
    """Shared argument handling of the convolution layers (``rank`` spatial dims)."""

    rank = 2
    transpose = False

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, groups: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, output_padding: Any = None,
                 **kwargs: Any) -> None:
        kwargs.pop("lora_rank", None)
        kwargs.pop("lora_alpha", None)
        super().__init__(**named(type(self), kwargs))
        label = type(self).__name__
        n = self.rank
        if not isinstance(filters, int | np.integer) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(f"{label}: invalid value for argument `filters`, expected a "
                             f"strictly positive value, received filters={filters!r}")
        self.filters = int(filters)
        self.kernel_size = ntuple(kernel_size, n, label, "kernel_size")
        self.strides = ntuple(strides, n, label, "strides")
        allowed = ("valid", "same", "causal") if (n == 1 and not self.transpose) else \
            ("valid", "same")
        self.padding = padding_arg(padding, label, allowed)
        self.data_format = data_format_arg(data_format, label)
        self.dilation_rate = ntuple(dilation_rate, n, label, "dilation_rate")
        if not isinstance(groups, int | np.integer) or groups <= 0:
            raise ValueError(f"{label}: the number of groups must be a positive integer, "
                             f"received groups={groups!r}")
        self.groups = int(groups)
        if self.filters % self.groups:
            raise ValueError(f"{label}: the number of filters must be evenly divisible by the "
                             f"number of groups, received groups={groups}, filters={filters}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{label}: `strides > 1` is not supported in conjunction with "
                             f"`dilation_rate > 1`, received strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.output_padding = None if output_padding is None else \
            ntuple(output_padding, n, label, "output_padding", minimum=0)
        if self.output_padding is not None:
            for op, s in zip(self.output_padding, self.strides):
                if op >= s:
                    raise ValueError(f"{label}: strides {self.strides} must be greater than "
                                     f"output padding {self.output_padding}")
        self.activation = _act.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _init.get(kernel_initializer)
        self.bias_initializer = _init.get(bias_initializer)
        self.kernel_regularizer = _reg.get(kernel_regularizer)
        self.bias_regularizer = _reg.get(bias_regularizer)
        no_constraints(label, kernel_constraint=kernel_constraint,
                       bias_constraint=bias_constraint)
        self._init_activity(activity_regularizer)

    # ------------------------------------------------------------------ layouts
    def _keras_kernel_shape(self) -> tuple[int, ...]:
        conv = self.conv
        if self.transpose:  # torch (in, filters, *k) -> keras k + (filters, in)
            return self.kernel_size + (self.filters, conv.in_channels)
        return self.kernel_size + (conv.in_channels // self.groups, self.filters)

    def _to_keras(self, w: Any) -> Any:
        """PyTorch layout ``(a, b, *k)`` -> Keras ``k + (b, a)`` (works for both kinds)."""
        n = self.rank
        axes = tuple(range(2, 2 + n)) + (1, 0)
        return w.permute(*axes) if isinstance(w, Tensor) else np.transpose(w, axes)

    def _to_torch(self, k: np.ndarray) -> np.ndarray:
        n = self.rank
        return np.ascontiguousarray(np.transpose(k, (n + 1, n) + tuple(range(n))))

    @property
    def kernel(self) -> Tensor:
        """The kernel in Keras's layout (a view of the module's weight)."""
        return self._to_keras(self.conv.weight)

    @property
    def bias(self) -> Tensor | None:
        return self.conv.bias if self.use_bias else None

    def _keras_weights(self) -> list[Tensor]:
        w = [self.kernel]
        if self.use_bias:
            w.append(self.conv.bias)
        return w

    def get_weights(self) -> list[np.ndarray]:
        return [as_numpy(w) for w in self._keras_weights()]

    def set_weights(self, weights: list[Any]) -> None:
        shapes = [self._keras_kernel_shape()] + ([(self.filters,)] if self.use_bias else [])
        arrays = check_weight_list(self, weights, shapes)
        set_param(self.conv.weight, self._to_torch(arrays[0]))
        if self.use_bias:
            set_param(self.conv.bias, arrays[1])

    # ------------------------------------------------------------------ building
    def _channels(self, input_shape: Any) -> int:
        label = f"{type(self).__name__} '{self.name}'"
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"{label}: expected input with {self.rank + 2} dimensions (batch, "
                             f"{'spatial..., channels' if self.data_format == 'channels_last' else 'channels, spatial...'}), "  # noqa: E501
                             f"got input shape {tuple(input_shape)}")
        c = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if c is None:
            raise ValueError(f"{label}: the channel dimension of the inputs must be defined, "
                             f"got input shape {tuple(input_shape)}")
        return int(c)

    def _init_weights(self) -> None:
        with no_grad():
            kernel = self.kernel_initializer(self._keras_kernel_shape(), dtype=self._dtype)
            self.conv.weight.data[...] = self._to_torch(np.asarray(kernel))
            if self.use_bias:
                self.conv.bias.data[...] = self.bias_initializer((self.filters,),
                                                                 dtype=self._dtype)
        if self.kernel_regularizer is not None:
            self._extra_losses.append(lambda: self.kernel_regularizer(self.conv.weight))
        if self.bias_regularizer is not None and self.use_bias:
            self._extra_losses.append(lambda: self.bias_regularizer(self.conv.bias))

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "filters": self.filters, "kernel_size": list(self.kernel_size),
            "strides": list(self.strides), "padding": self.padding,
            "data_format": self.data_format, "dilation_rate": list(self.dilation_rate),
            "activation": _act.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": _init.serialize(self.kernel_initializer),
            "bias_initializer": _init.serialize(self.bias_initializer),
            "kernel_regularizer": _reg.serialize(self.kernel_regularizer),
            "bias_regularizer": _reg.serialize(self.bias_regularizer),
            "activity_regularizer": _reg.serialize(self.activity_regularizer),
            "kernel_constraint": None, "bias_constraint": None,
        })
        if self.transpose:
            cfg["output_padding"] = None if self.output_padding is None else \
                list(self.output_padding)
        else:
            cfg["groups"] = self.groups
        return cfg


class _Conv(_BaseConv):
    """A convolution layer over ``nn.Conv{1,2}d``."""

    def build(self, input_shape: Any) -> None:
        c = self._channels(input_shape)
        if c % self.groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': the number of input channels "
                             f"must be evenly divisible by the number of groups, received "
                             f"groups={self.groups}, input shape {tuple(input_shape)}")
        module = nn.Conv1d if self.rank == 1 else nn.Conv2d
        self.conv = module(c, self.filters, self.kernel_size, stride=self.strides, padding=0,
                           dilation=self.dilation_rate, groups=self.groups, bias=self.use_bias,
                           dtype=self._dtype)
        self._init_weights()
        self.built = True

    def _pads(self, spatial: tuple[int, ...]) -> list[tuple[int, int]]:
        if self.padding == "valid":
            return [(0, 0)] * self.rank
        if self.padding == "causal":
            return [((self.kernel_size[0] - 1) * self.dilation_rate[0], 0)]
        return [same_pads(size, k, s, d) for size, k, s, d in
                zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        conv = self.conv
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input with "
                             f"{self.rank + 2} dimensions, got shape {tuple(inputs.shape)}")
        x = to_channels_first(inputs, self.data_format)
        if x.shape[1] != conv.in_channels:
            raise ValueError(f"{type(self).__name__} '{self.name}': the layer was built for "
                             f"{conv.in_channels} input channels, got input shape "
                             f"{tuple(inputs.shape)}")
        pads = self._pads(tuple(x.shape[2:]))
        if all(b == a for b, a in pads):
            padding: Any = tuple(b for b, _ in pads)
        else:
            x = F.pad(x, flat_pads(pads))
            padding = 0
        fn = F.conv1d if self.rank == 1 else F.conv2d
        y = fn(x, conv.weight, conv.bias, conv.stride, padding, conv.dilation, conv.groups)
        out = self.activation(to_data_format(y, self.data_format))
        return out


class _ConvTranspose(_BaseConv):
    """A transposed convolution layer over ``nn.ConvTranspose{1,2}d``: Keras's output sizes
    (``"valid"``: ``(in - 1) * s + max(k, s)``; ``"same"``: ``in * s``; or from
    ``output_padding``) obtained by cropping the module's full output (and its
    ``output_padding`` where Keras's output is longer)."""

    transpose = True

    def _crops(self) -> tuple[list[tuple[int, int]], tuple[int, ...]]:
        """Per spatial dim the (start, end) crop of the full output, and the module's
        output_padding."""
        crops, extra = [], []
        for i in range(self.rank):
            k, s, d = self.kernel_size[i], self.strides[i], self.dilation_rate[i]
            op = None if self.output_padding is None else self.output_padding[i]
            k_eff = (k - 1) * d + 1
            if self.padding == "valid":
                op = max(k_eff, s) - k_eff if op is None else op
                left, right = k_eff - 1, k_eff - 1 + op
            else:
                pad_len = s + k_eff - 2 if op is None else k_eff + k_eff % 2 - 2 + op
                left = min(pad_len // 2 + pad_len % 2, k_eff - 1)
                right = pad_len - left
            start, end = k_eff - 1 - left, k_eff - 1 - right
            extra.append(max(-end, 0))
            crops.append((start, max(end, 0)))
        return crops, tuple(extra)

    def build(self, input_shape: Any) -> None:
        c = self._channels(input_shape)
        crops, extra = self._crops()
        for e, s, d in zip(extra, self.strides, self.dilation_rate):
            if e >= max(s, d):
                raise ValueError(f"{type(self).__name__} '{self.name}': output_padding "
                                 f"{self.output_padding} is too large for strides "
                                 f"{self.strides} and kernel_size {self.kernel_size}")
        module = nn.ConvTranspose1d if self.rank == 1 else nn.ConvTranspose2d
        self.conv = module(c, self.filters, self.kernel_size, stride=self.strides, padding=0,
                           output_padding=extra, dilation=self.dilation_rate,
                           bias=self.use_bias, dtype=self._dtype)
        self.__dict__["_crop"] = crops
        self._init_weights()
        self.built = True

    def call(self, inputs: Tensor, training: Any = None) -> Tensor:
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected input with "
                             f"{self.rank + 2} dimensions, got shape {tuple(inputs.shape)}")
        x = to_channels_first(inputs, self.data_format)
        if x.shape[1] != self.conv.in_channels:
            raise ValueError(f"{type(self).__name__} '{self.name}': the layer was built for "
                             f"{self.conv.in_channels} input channels, got input shape "
                             f"{tuple(inputs.shape)}")
        y = self.conv(x)
        if any(c for pair in self._crop for c in pair):
            y = F.pad(y, tuple(-c for c in flat_pads(self._crop)))  # negative pads crop
        out = self.activation(to_data_format(y, self.data_format))
        return out


class Conv1D(_Conv):
    """1-D convolution (temporal): ``(N, steps, channels)`` -> ``(N, new_steps, filters)``.

    Args:
        filters: the number of output channels.
        kernel_size: the window length (an int or a 1-tuple).
        strides: the stride (default 1).
        padding: ``"valid"`` (none), ``"same"`` (output length ``ceil(steps / strides)``) or
            ``"causal"`` (left padding: output ``t`` sees inputs ``<= t``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: the dilation (not with strides > 1).
        groups: channel groups (in and out channels divisible by it).
        activation: a name (``"relu"``) or a callable; default none.
        use_bias: add a bias (default True).
        kernel_initializer, bias_initializer: default ``"glorot_uniform"`` and ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties (``L1``/``L2``).

    The kernel in ``get_weights`` is ``(kernel_size, in_channels / groups, filters)``.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> keras.layers.Conv1D(4, 3, padding="causal")(np.ones((2, 10, 3))).shape
        lightgrad.Size([2, 10, 4])
    """

    rank = 1


class Conv2D(_Conv):
    """2-D convolution: ``(N, H, W, C)`` -> ``(N, H', W', filters)`` (channels last).

    Args:
        filters: the number of output channels.
        kernel_size: an int or ``(kh, kw)``.
        strides: an int or ``(sh, sw)`` (default 1).
        padding: ``"valid"`` (none) or ``"same"`` (output ``ceil(H / sh)`` by
            ``ceil(W / sw)``, TensorFlow's split: the odd pixel at the bottom/right).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        dilation_rate: an int or a pair (not with strides > 1).
        groups: channel groups.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer: as in :class:`Conv1D`.

    The kernel in ``get_weights`` is ``(kh, kw, in_channels / groups, filters)``; the layer
    holds an ``nn.Conv2d`` whose weight is its ``(filters, in / groups, kh, kw)`` transpose.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> layer = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")
        >>> layer(np.ones((2, 28, 28, 1))).shape
        lightgrad.Size([2, 14, 14, 8])
        >>> [w.shape for w in layer.get_weights()]
        [(3, 3, 1, 8), (8,)]
    """

    rank = 2


class Conv1DTranspose(_ConvTranspose):
    """1-D transposed convolution: ``(N, steps, C)`` -> ``(N, new_steps, filters)``; see
    :class:`Conv2DTranspose`. The kernel is ``(kernel_size, filters, in_channels)``."""

    rank = 1

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None,
                 dilation_rate: Any = 1, **kwargs: Any) -> None:
        kwargs.pop("groups", None)
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         output_padding=output_padding, **kwargs)


class Conv2DTranspose(_ConvTranspose):
    """2-D transposed convolution ("deconvolution"): ``(N, H, W, C)`` -> ``(N, H', W',
    filters)``, the adjoint of a ``Conv2D``.

    Output size per spatial dim (Keras): ``"valid"``: ``(in - 1) * s + max(k_eff, s)``;
    ``"same"``: ``in * s``; with ``output_padding``: ``(in - 1) * s + k_eff - 2 * pad +
    output_padding`` where ``k_eff = (k - 1) * dilation + 1``.

    The kernel in ``get_weights`` is ``(kh, kw, filters, in_channels)``; the layer holds an
    ``nn.ConvTranspose2d`` (weight ``(in, filters, kh, kw)``).

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(
        ...     np.ones((1, 7, 7, 8))).shape
        lightgrad.Size([1, 14, 14, 4])
    """

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", output_padding: Any = None,
                 data_format: str | None = None, dilation_rate: Any = (1, 1),
                 **kwargs: Any) -> None:
        kwargs.pop("groups", None)
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate,
                         output_padding=output_padding, **kwargs)


Convolution1D, Convolution2D = Conv1D, Conv2D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
