"""``nn.Parameter``: a leaf tensor that a Module registers as trainable."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor registered by a :class:`Module` when assigned as an attribute.

    Args:
        data: a tensor (its array is shared, not copied) or array-like; empty if ``None``.
        requires_grad: whether the parameter is trained (default True).

    Example:
        >>> import lightgrad
        >>> p = lightgrad.nn.Parameter(lightgrad.zeros(2))
        >>> p.requires_grad, p.is_leaf
        (True, True)
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.empty(0, backend.get_default_dtype())
        elif isinstance(data, Tensor):
            arr = data.data
        else:
            arr = Tensor(data).data
        super().__init__(arr)
        self.data = arr
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(Tensor._make(self.data.copy()), self.requires_grad)
        if self.grad is not None:
            p.grad = Tensor._make(self.grad.data.copy())
        memo[id(self)] = p
        return p

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_parameter, (backend.to_device(self.data, backend.CPU), self._rg))


def _rebuild_parameter(data: Any, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._make(data), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module (``nn.Buffer``)."""

    __slots__ = ("persistent",)

    def __init__(self, data: Any, *, persistent: bool = True) -> None:
        super().__init__(data.data if isinstance(data, Tensor) else data)
        self.persistent = persistent
