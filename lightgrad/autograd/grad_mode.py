"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState(threading.local):
    """Grad mode, one per thread (as in PyTorch): ``no_grad()`` in one thread, e.g. a
    DataLoader worker, does not switch recording off in another."""

    def __init__(self) -> None:
        self.enabled = True


# One module-level object: Function.apply reads ``_state.enabled`` on every op.
_state = _GradState()


def is_grad_enabled() -> bool:
    return _state.enabled


class _GradModeBase:
    """A context manager that is also a decorator."""

    _target: bool = True

    def __new__(cls, fn: Any = None) -> Any:
        # bare decorator use, ``@no_grad`` without parentheses, as PyTorch allows
        if fn is None:
            return super().__new__(cls)
        return cls()(fn)

    def __enter__(self) -> None:
        self._prev = _state.enabled
        _state.enabled = self._target

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self._prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeBase):
    """Record nothing: results of ops inside have ``requires_grad=False``."""

    _target = False


class enable_grad(_GradModeBase):
    """Re-enable recording inside a ``no_grad`` block."""

    _target = True


class inference_mode(_GradModeBase):
    """Like ``no_grad`` (lightgrad has no separate inference tensors)."""

    def __new__(cls, mode: Any = True) -> Any:
        if isinstance(mode, bool):
            return object.__new__(cls)
        return cls()(mode)  # bare ``@inference_mode``

    def __init__(self, mode: bool = True) -> None:
        self._target = not mode

    def __call__(self, fn: F) -> F:
        mode = not self._target

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class set_grad_enabled(_GradModeBase):
    """Turn recording on or off; works as a function call, a context manager or a decorator."""

    def __new__(cls, mode: bool) -> Any:
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        self._prev = _state.enabled
        self._target = bool(mode)
        _state.enabled = self._target

    def __enter__(self) -> None:
        pass

    def __call__(self, fn: F) -> F:
        _state.enabled = self._prev
        mode = self._target

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
