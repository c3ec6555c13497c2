"""nn modules: normalization (BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm, GroupNorm,
RMSNorm, LocalResponseNorm). The math lives in ``lightgrad/ops/normalization.py``."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from ... import backend
from ...ops import normalization as F
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
    "InstanceNorm3d", "LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm",
]


def _filled(shape: tuple, value: float, dtype: Any, device: Any) -> Tensor:
    """A fresh tensor of ``shape`` filled with ``value`` (default float dtype)."""
    dt = backend.get_default_dtype() if dtype is None else backend.as_dtype(dtype)
    arr = np.full(shape, value, dt)
    if device is not None:
        arr = backend.to_device(arr, backend.Device(device))
    return Tensor._make(arr)


def _fill_(t: Tensor | None, value: float) -> None:
    """``init.constant_`` on an optional tensor (a parameter may be None)."""
    if t is not None:
        init.constant_(t, value)


def _positive_int(value: Any, layer: str, arg: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{layer}: {arg} must be a non-negative int, got {value!r}")
    return int(value)


def _affine_params(m: Module, shape: tuple, affine: bool, bias: bool, dtype: Any,
                   device: Any) -> None:
    """Register ``m.weight`` (ones) and ``m.bias`` (zeros) of ``shape``; None where off."""
    m.register_parameter("weight", Parameter(_filled(shape, 1.0, dtype, device))
                         if affine else None)
    m.register_parameter("bias", Parameter(_filled(shape, 0.0, dtype, device))
                         if affine and bias else None)


class _NormBase(Module):
    """Parameters and running statistics shared by BatchNorm and InstanceNorm: ``weight``
    (ones) and ``bias`` (zeros) when ``affine``; buffers ``running_mean`` (zeros),
    ``running_var`` (ones) and ``num_batches_tracked`` (int64 0) when
    ``track_running_stats``, named as in PyTorch so its ``state_dict`` loads."""

    _dims: tuple[int, ...] = ()  # accepted input ranks

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = _positive_int(num_features, type(self).__name__, "num_features")
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        c = self.num_features
        _affine_params(self, (c,), affine, bias, dtype, device)
        if track_running_stats:
            self.register_buffer("running_mean", _filled((c,), 0.0, dtype, device))
            self.register_buffer("running_var", _filled((c,), 1.0, dtype, device))
            self.register_buffer("num_batches_tracked",
                                 _filled((), 0, np.int64, device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            _fill_(self.running_mean, 0.0)
            _fill_(self.running_var, 1.0)
            _fill_(self.num_batches_tracked, 0)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            _fill_(self.weight, 1.0)
            _fill_(self.bias, 0.0)

    def _check_input_dim(self, input: Any) -> None:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        nd = input.data.ndim
        if nd not in self._dims:
            a, b = self._dims
            want = f"{a}D" if a == b else f"{a}D or {b}D"
            raise ValueError(f"{name}: expected {want} input (got {nd}D input); input shape "
                             f"{tuple(input.data.shape)}")

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        shape = tuple(input.data.shape)
        if (self.affine or self.track_running_stats) and shape[1] != self.num_features:
            raise RuntimeError(f"{type(self).__name__}(num_features={self.num_features}): "
                               f"input has {shape[1]} channels at dim 1 (shape {shape})")
        factor = 0.0 if self.momentum is None else self.momentum
        nbt = self.num_batches_tracked
        if self.training and self.track_running_stats and nbt is not None:
            if input.data.size // max(shape[1], 1) == 1:  # check before counting the batch
                raise ValueError(f"{type(self).__name__}: Expected more than 1 value per "
                                 f"channel when training, got input size {shape}")
            nbt.data += 1
            nbt._vc[0] += 1
            # momentum=None: the cumulative average of all batches seen
            factor = 1.0 / float(nbt.data) if self.momentum is None else self.momentum
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            bn_training, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization over a 2-D or 3-D input, per channel:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta``.

    In training the batch statistics normalize (biased variance) and the running estimates
    are updated: ``r = (1 - momentum) * r + momentum * s`` with the unbiased batch variance,
    or the cumulative average of all batches when ``momentum=None``; in eval the running
    estimates normalize (the batch's, without ``track_running_stats``).

    Args:
        num_features: C, the number of channels.
        eps: added to the variance.
        momentum: the running-average factor (``None``: cumulative average).
        affine: learnable ``weight`` (ones) and ``bias`` (zeros).
        track_running_stats: keep ``running_mean``, ``running_var`` and
            ``num_batches_tracked`` buffers.
        bias: with ``affine``, learn the bias too.

    Shape:
        Input ``(N, C)`` or ``(N, C, L)``; output the same.

    Example:
        >>> import lightgrad
        >>> bn = lightgrad.nn.BatchNorm1d(2)
        >>> y = bn(lightgrad.tensor([[1.0, 2.0], [3.0, 6.0]]))
        >>> bn.running_mean, bn.num_batches_tracked
        (tensor([0.2000, 0.4000]), tensor(1))
    """

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization over a 4-D input ``(N, C, H, W)``, per channel (see
    :class:`BatchNorm1d` for the math and the arguments).

    Example:
        >>> import lightgrad
        >>> bn = lightgrad.nn.BatchNorm2d(3)
        >>> bn(lightgrad.randn(2, 3, 4, 4)).shape
        lightgrad.Size([2, 3, 4, 4])
    """

    _dims = (4, 4)


class BatchNorm3d(_BatchNorm):
    """Batch normalization over a 5-D input ``(N, C, D, H, W)``, per channel (see
    :class:`BatchNorm1d`)."""

    _dims = (5, 5)


class _InstanceNorm(_NormBase):
    _no_batch_dim = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        nd = input.data.ndim
        feature_dim = nd - self._no_batch_dim
        c = input.data.shape[feature_dim]
        if c != self.num_features:
            if self.affine or self.track_running_stats:
                raise ValueError(f"{type(self).__name__}: expected input's size at "
                                 f"dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {c} (shape "
                                 f"{tuple(input.data.shape)})")
            warnings.warn(f"{type(self).__name__}: input's size at dim={feature_dim} ({c}) does "
                          f"not match num_features ({self.num_features}); num_features is not "
                          "used because affine=False", stacklevel=2)
        unbatched = nd == self._no_batch_dim
        x = input.unsqueeze(0) if unbatched else input  # type: ignore[attr-defined]
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              self.momentum if self.momentum is not None else 0.0, self.eps)
        return out.squeeze(0) if unbatched else out  # type: ignore[attr-defined]


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization: each (sample, channel) of ``(N, C, L)`` (or unbatched
    ``(C, L)``) normalized over L: ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta``.
    By default no affine parameters and no running statistics (PyTorch's defaults).

    Example:
        >>> import lightgrad
        >>> lightgrad.nn.InstanceNorm1d(2)(lightgrad.tensor([[[1.0, 3.0], [0.0, 4.0]]]))
        tensor([[[-1.0000,  1.0000],
                 [-1.0000,  1.0000]]])
    """

    _dims = (2, 3)
    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over the (H, W) of each (sample, channel) of ``(N, C, H, W)``
    (or unbatched ``(C, H, W)``); see :class:`InstanceNorm1d`."""

    _dims = (3, 4)
    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization over the (D, H, W) of each (sample, channel) of
    ``(N, C, D, H, W)`` (or unbatched); see :class:`InstanceNorm1d`."""

    _dims = (4, 5)
    _no_batch_dim = 4


def _shape_tuple(normalized_shape: Any, layer: str) -> tuple[int, ...]:
    if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape, bool):
        return (int(normalized_shape),)
    try:
        dims = tuple(int(d) for d in normalized_shape)
    except (TypeError, ValueError):
        raise TypeError(f"{layer}: normalized_shape must be an int or a tuple of ints, got "
                        f"{normalized_shape!r}") from None
    return dims


class LayerNorm(Module):
    """Layer normalization over the trailing ``normalized_shape`` dims of each sample:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta`` (biased variance).

    Args:
        normalized_shape: the trailing dims normalized together (int or tuple).
        eps: added to the variance.
        elementwise_affine: learnable ``weight`` (ones) and ``bias`` (zeros) of shape
            ``normalized_shape``.
        bias: with ``elementwise_affine``, learn the bias too.

    Shape:
        Input ``(*, *normalized_shape)``; output the same.

    Example:
        >>> import lightgrad
        >>> ln = lightgrad.nn.LayerNorm(2)
        >>> ln(lightgrad.tensor([[1.0, 3.0]]))
        tensor([[-1.0000,  1.0000]], grad_fn=<LayerNormBackward>)
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape, "LayerNorm")
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine_params(self, self.normalized_shape, elementwise_affine, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            _fill_(self.weight, 1.0)
            _fill_(self.bias, 0.0)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalization: the channels split into ``num_groups`` groups, each group of each
    sample normalized over its channels and positions, then a per-channel affine:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta``.

    Args:
        num_groups: the number of groups; must divide ``num_channels``.
        num_channels: C.
        eps: added to the variance.
        affine: learnable per-channel ``weight`` (ones) and ``bias`` (zeros).

    Shape:
        Input ``(N, C, *)``; output the same.

    Raises:
        ValueError: ``num_channels`` not divisible by ``num_groups``.

    Example:
        >>> import lightgrad
        >>> gn = lightgrad.nn.GroupNorm(2, 4)
        >>> gn(lightgrad.tensor([[1.0, 3.0, 5.0, 9.0]])).detach()
        tensor([[-1.0000,  1.0000, -1.0000,  1.0000]])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: Any = None, dtype: Any = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        num_groups = _positive_int(num_groups, "GroupNorm", "num_groups")
        num_channels = _positive_int(num_channels, "GroupNorm", "num_channels")
        if num_groups == 0 or num_channels % num_groups != 0:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_params(self, (num_channels,), affine, bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.affine:
            _fill_(self.weight, 1.0)
            _fill_(self.bias, 0.0)

    def forward(self, input: Tensor) -> Tensor:
        if isinstance(input, Tensor) and input.data.ndim >= 2 and \
                input.data.shape[1] != self.num_channels:
            raise RuntimeError(f"GroupNorm(num_channels={self.num_channels}): input has "
                               f"{input.data.shape[1]} channels at dim 1 (shape "
                               f"{tuple(input.data.shape)})")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """Root-mean-square normalization over the trailing ``normalized_shape`` dims:
    ``y = x / sqrt(mean(x^2) + eps) * gamma`` (``eps=None``: the dtype's machine epsilon).

    Example:
        >>> import lightgrad
        >>> lightgrad.nn.RMSNorm(2, eps=0.0)(lightgrad.tensor([[3.0, 4.0]])).detach()
        tensor([[0.8485, 1.1314]])
    """

    def __init__(self, normalized_shape: Any, eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape, "RMSNorm")
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_filled(self.normalized_shape, 1.0, dtype, device))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            _fill_(self.weight, 1.0)

    def forward(self, input: Tensor) -> Tensor:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Local response normalization across channels (AlexNet):
    ``y_c = x_c / (k + alpha / size * sum_{c' near c} x_{c'}^2) ^ beta``.

    Example:
        >>> import lightgrad
        >>> lightgrad.nn.LocalResponseNorm(2)
        LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
