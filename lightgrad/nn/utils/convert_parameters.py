"""``parameters_to_vector`` and ``vector_to_parameters`` (``torch.nn.utils``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ... import backend
from ...ops.movement import cat
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param: Any, device: Any, op: str) -> Any:
    if not isinstance(param, Tensor):
        raise TypeError(f"{op}: expected an iterable of Tensors, got an element of type "
                        f"{type(param).__name__}")
    d = backend.device_of(param.data)
    if device is not None and d != device:
        raise TypeError(f"{op}: found two parameters on different devices, this is currently "
                        f"not supported ({device} and {d})")
    return d


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All ``parameters`` flattened and concatenated into one 1-D tensor (differentiable, as
    in PyTorch: ``cat([p.view(-1) for p in parameters])``).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.utils.parameters_to_vector([lightgrad.ones(2, 2), lightgrad.zeros(1)])
        tensor([1., 1., 1., 1., 0.])
    """
    op = "parameters_to_vector"
    device = None
    flat: list[Any] = []
    for p in parameters:
        device = _check_device(p, device, op)
        flat.append(p.reshape(-1))  # type: ignore[attr-defined]
    if not flat:
        raise RuntimeError(f"{op}: expected a non-empty iterable of parameters")
    return cat(flat)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy slices of the 1-D ``vec`` into ``parameters``, in order: each parameter's
    ``.data`` becomes a view of its slice of ``vec`` (shared memory, as in PyTorch).

    Raises:
        TypeError: ``vec`` is not a Tensor.  RuntimeError: ``vec`` is not 1-D or too short.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> lin = nn.Parameter(lightgrad.zeros(2, 2))
        >>> nn.utils.vector_to_parameters(lightgrad.arange(4.0), [lin])
        >>> lin.tolist()
        [[0.0, 1.0], [2.0, 3.0]]
    """
    op = "vector_to_parameters"
    if not isinstance(vec, Tensor):
        raise TypeError(f"{op}: expected a Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise RuntimeError(f"{op}: expected a 1-D vector, got shape {tuple(vec.shape)}")
    params = list(parameters)
    device = None
    need = 0
    for p in params:
        device = _check_device(p, device, op)
        need += p.numel()
    if vec.numel() < need:
        raise RuntimeError(f"{op}: the vector has {vec.numel()} elements but the parameters "
                           f"need {need}")
    arr = vec.data
    pointer = 0
    for p in params:
        n = p.numel()
        p.data = arr[pointer:pointer + n].reshape(p.data.shape)
        pointer += n
