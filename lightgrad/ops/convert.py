"""dtype casts and device moves, differentiable; ``Tensor.to``, ``.float()``, ``.cuda()``..."""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor


class Cast(Function):
    """``y = x.to(dtype)``; the gradient is cast back to ``x``'s dtype."""

    @staticmethod
    def forward(ctx: Any, x: Any, dtype: Any) -> Any:
        ctx.src = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return grad_out.astype(ctx.src), None


class ToDevice(Function):
    """``y = x.to(device)``; the gradient moves back to ``x``'s device."""

    @staticmethod
    def forward(ctx: Any, x: Any, device: Any) -> Any:
        ctx.src = backend.device_of(x)
        return backend.to_device(x, device)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return backend.to_device(grad_out, ctx.src), None


def cast(x: Tensor, dtype: Any) -> Tensor:
    """``x`` as ``dtype`` (itself if it already is)."""
    d = backend.as_dtype(dtype)
    if x.data.dtype == d:
        return x
    return Cast.apply(x, d)


def _parse_to_args(args: tuple, kwargs: dict) -> tuple[Any, Any, bool]:
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, backend.Device):
            device = a
        elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda"):
            device = a
        elif isinstance(a, bool):
            copy = a
        else:
            dtype = a
    return (None if device is None else backend.Device(device),
            None if dtype is None else backend.as_dtype(dtype), copy)


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``: a converted tensor,
    or ``self`` when nothing changes (unless ``copy=True``)."""
    device, dtype, copy = _parse_to_args(args, dict(kwargs))
    out = self
    if device is not None and device != self.device:
        out = ToDevice.apply(out, device)
    if dtype is not None and dtype != out.dtype:
        out = Cast.apply(out, dtype)
    if copy and out is self:
        from .movement import clone

        out = clone(self)
    return out


def _type(self: Tensor, dtype: Any = None) -> Any:
    if dtype is None:
        return f"lightgrad.{self.dtype}"
    return cast(self, dtype)


Tensor.to = to  # type: ignore[attr-defined]
Tensor.type = _type  # type: ignore[attr-defined]
Tensor.float = lambda self: cast(self, backend.float32)  # type: ignore[attr-defined]
Tensor.double = lambda self: cast(self, backend.float64)  # type: ignore[attr-defined]
Tensor.half = lambda self: cast(self, backend.float16)  # type: ignore[attr-defined]
Tensor.long = lambda self: cast(self, backend.int64)  # type: ignore[attr-defined]
Tensor.int = lambda self: cast(self, backend.int32)  # type: ignore[attr-defined]
Tensor.short = lambda self: cast(self, backend.int16)  # type: ignore[attr-defined]
Tensor.bool = lambda self: cast(self, backend.bool_)  # type: ignore[attr-defined]
Tensor.byte = lambda self: cast(self, backend.uint8)  # type: ignore[attr-defined]
Tensor.cpu = lambda self: to(self, "cpu")  # type: ignore[attr-defined]
Tensor.cuda = lambda self, device=None: to(  # type: ignore[attr-defined]
    self, backend.Device("cuda", 0 if device is None else int(device)))
Tensor.type_as = lambda self, other: cast(self, other.dtype)  # type: ignore[attr-defined]
