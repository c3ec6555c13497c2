"""lightgrad: a deep learning library from first principles.

Reverse-mode autograd over NumPy (CuPy on a GPU) with a PyTorch-compatible API.

Example:
    >>> import lightgrad
    >>> x = lightgrad.tensor(9.0, requires_grad=True)
    >>> (x ** 2).backward()
    >>> x.grad
    tensor(18.)
"""

from __future__ import annotations

import builtins
import importlib
from typing import TYPE_CHECKING, Any

from . import backend as _backend
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backend import (
    Device as device,
    Generator,
    cuda_is_available as _cuda_is_available,
    get_default_dtype,
    initial_seed,
    manual_seed,
    seed,
    set_default_dtype,
)
from .backend import float16, float32, float64, int8, int16, int32, int64, uint8
from .tensor import Size, Tensor
from . import ops as _ops  # attaches the Tensor methods
from .creation import *  # noqa: F403
from .ops.arithmetic import (
    add, allclose, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, div, divide, eq, equal,
    float_power, floor_divide, fmod, ge, greater, greater_equal, gt, isclose, isfinite, isinf,
    isnan, le, less, less_equal, logical_and, logical_not, logical_or, logical_xor, lt, mul,
    multiply, ne, neg, negative, not_equal, positive, pow, remainder, rsub, sub, subtract,
    true_divide,
)
from .ops.unary import *  # noqa: F403
from .ops.activation import *  # noqa: F403
from .ops.reduce import *  # noqa: F403
from .ops.movement import *  # noqa: F403
from .ops.indexing import *  # noqa: F403
from .ops.linalg import *  # noqa: F403
from .ops.dropout import alpha_dropout, dropout  # noqa: E402
from .ops.conv import *  # noqa: F403
from .ops.pooling import *  # noqa: F403
from . import nn  # noqa: E402
from . import optim, utils  # noqa: E402
from .io import *  # noqa: E402,F403

half = float16
float = float32  # noqa: A001  (PyTorch's dtype aliases)
double = float64
short = int16
int = int32  # noqa: A001
long = int64
bool = _backend.bool_  # noqa: A001
promote_types = _backend.promote_types


def result_type(tensor1, tensor2):  # noqa: ANN001
    """The dtype PyTorch's promotion rules give an op on these two operands."""
    return _backend.result_type(tensor1, tensor2)


def is_tensor(obj: object) -> builtins.bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> builtins.int:  # noqa: A002
    return input.numel()


class cuda:  # noqa: N801  (torch.cuda.is_available())
    """``lightgrad.cuda.is_available()``: CuPy sees a CUDA GPU."""

    is_available = staticmethod(_cuda_is_available)


__version__ = "0.1.0"


# The high-level subpackages load on first use (``lightgrad.keras``, ``from lightgrad import
# datasets``...), which keeps ``import lightgrad`` fast (benchmarks/NOTES.md).
_LAZY = ("datasets", "keras", "playground", "text", "transforms", "tune", "viz")

if TYPE_CHECKING:
    from . import datasets, keras, text, transforms, tune, viz  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lightgrad' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
