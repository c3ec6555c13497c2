"""nn.init: parameter initializers with PyTorch's names, arguments and distributions.

Each initializer fills ``tensor`` in place (its ``data``, without recording a graph, as under
``no_grad``), bumps its version counter and returns it. Random ones take ``generator=`` (a
:class:`lightgrad.Generator`, or a ``numpy.random.Generator``); by default they draw from the
global generator, so :func:`lightgrad.manual_seed` reproduces them. Values are drawn on the CPU
in the tensor's precision (float32 draws for float16) and copied to the tensor's device.

Fans follow PyTorch: for a weight of shape ``(out, in, *kernel)``,
``fan_in = in * prod(kernel)`` and ``fan_out = out * prod(kernel)``.

Example:
    >>> import lightgrad
    >>> from lightgrad import nn
    >>> w = lightgrad.empty(256, 128)
    >>> _ = nn.init.kaiming_uniform_(w, nonlinearity="relu")
    >>> bound = (6 / 128) ** 0.5
    >>> bool(w.abs().max() <= bound)
    True
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "orthogonal_", "sparse_",
]


# ----------------------------------------------------------------------------- helpers
def _check(tensor: Any, op: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{op}: expected a lightgrad Tensor, got {type(tensor).__name__}")
    return tensor


def _check_float(tensor: Any, op: str) -> Tensor:
    t = _check(tensor, op)
    if t.data.dtype.kind != "f":
        raise RuntimeError(f"nn.init.{op}: expected a floating point tensor, got dtype "
                           f"{t.data.dtype}")
    return t


def _rng(generator: Any) -> np.random.Generator:
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is not None and not isinstance(generator, backend.Generator):
        raise TypeError(f"nn.init: generator must be a lightgrad.Generator, got "
                        f"{type(generator).__name__}")
    return backend.get_rng(generator)


def _draw_dtype(tensor: Tensor) -> np.dtype:
    """The dtype random numbers are drawn in (NumPy draws float32 and float64 only)."""
    return backend.float64 if tensor.data.dtype == backend.float64 else backend.float32


def _write(tensor: Tensor, values: Any) -> Tensor:
    """Copy ``values`` (a CPU array or a number) into ``tensor``'s buffer; bump its version."""
    data = tensor.data
    if isinstance(values, np.ndarray) and type(data) is not np.ndarray:
        values = backend.to_device(values, tensor.device)
    data[...] = values
    tensor._vc[0] += 1
    return tensor


def _direct(tensor: Tensor) -> Any:
    """``tensor``'s buffer if random numbers can be drawn straight into it (a contiguous,
    writable float32/float64 NumPy array), else ``None``."""
    data = tensor.data
    if (type(data) is np.ndarray and data.dtype in (backend.float32, backend.float64)
            and data.flags.c_contiguous and data.flags.writeable and data.ndim):
        return data
    return None


def _uniform(rng: np.random.Generator, shape: tuple, a: float, b: float, dt: np.dtype,
             out: Any = None) -> Any:
    u = rng.random(shape, dtype=dt) if out is None else rng.random(dtype=dt, out=out)
    if b - a != 1.0:
        u *= b - a
    if a != 0.0:
        u += a
    return u


def _normal(rng: np.random.Generator, shape: tuple, mean: float, std: float,
            dt: np.dtype, out: Any = None) -> Any:
    z = rng.standard_normal(shape, dtype=dt) if out is None else \
        rng.standard_normal(dtype=dt, out=out)
    if std != 1.0:
        z *= std
    if mean != 0.0:
        z += mean
    return z


def _number(x: Any, op: str, arg: str) -> float:
    if isinstance(x, Tensor):
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise TypeError(f"nn.init.{op}: {arg} must be a number, got {type(x).__name__}")
    return float(x)


# ----------------------------------------------------------------------------- gains and fans
_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (the factor by which it shrinks the variance).

    ============================ ==================================
    nonlinearity                 gain
    ============================ ==================================
    linear / conv*d / sigmoid    1
    tanh                         5/3
    relu                         sqrt(2)
    leaky_relu                   sqrt(2 / (1 + negative_slope^2))
    selu                         3/4
    ============================ ==================================

    Args:
        nonlinearity: the ``nn.functional`` name.
        param: the negative slope for ``leaky_relu`` (default 0.01).

    Raises:
        ValueError: an unsupported nonlinearity or a non-numeric slope.

    Example:
        >>> from lightgrad import nn
        >>> nn.init.calculate_gain("leaky_relu", 0.2)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope: float = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4  # found empirically (PyTorch PR 50664)
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight ``(out, in, *kernel)``: ``in * prod(kernel)`` and
    ``out * prod(kernel)``."""
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {shape})")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid = ["fan_in", "fan_out"]
    if mode not in valid:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


# ----------------------------------------------------------------------------- basic fills
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: Any = None) -> Tensor:
    """Fill with samples of ``U(a, b)``.

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.init.uniform_(lightgrad.empty(1000), -2.0, 2.0)
        >>> bool((w >= -2).all() and (w <= 2).all())
        True
    """
    t = _check_float(tensor, "uniform_")
    a, b = _number(a, "uniform_", "a"), _number(b, "uniform_", "b")
    if a > b:
        raise RuntimeError(f"nn.init.uniform_: expects to return a [from, to) range, but found "
                           f"from={a} > to={b}")
    rng = _rng(generator)
    buf = _direct(t)
    if buf is not None:  # draw straight into the buffer: no temporary, no copy
        _uniform(rng, buf.shape, a, b, buf.dtype, out=buf)
        t._vc[0] += 1
        return t
    return _write(t, _uniform(rng, t.data.shape, a, b, _draw_dtype(t)))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Any = None) -> Tensor:
    """Fill with samples of ``N(mean, std^2)``."""
    t = _check_float(tensor, "normal_")
    mean, std = _number(mean, "normal_", "mean"), _number(std, "normal_", "std")
    if std < 0:
        raise RuntimeError(f"nn.init.normal_: expects std >= 0.0, but found std {std}")
    rng = _rng(generator)
    buf = _direct(t)
    if buf is not None:
        _normal(rng, buf.shape, mean, std, buf.dtype, out=buf)
        t._vc[0] += 1
        return t
    return _write(t, _normal(rng, t.data.shape, mean, std, _draw_dtype(t)))


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Any = None) -> Tensor:
    """Fill with samples of ``N(mean, std^2)`` truncated to ``[a, b]`` (exact rejection
    sampling: from the normal when ``[a, b]`` holds much of its mass, else from ``U(a, b)``
    accepted with probability ``pdf(x) / max pdf``).

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.init.trunc_normal_(lightgrad.empty(1000), std=0.02, a=-0.04, b=0.04)
        >>> bool(w.abs().max() <= 0.04)
        True
    """
    t = _check_float(tensor, "trunc_normal_")
    mean, std = _number(mean, "trunc_normal_", "mean"), _number(std, "trunc_normal_", "std")
    a, b = _number(a, "trunc_normal_", "a"), _number(b, "trunc_normal_", "b")
    if std <= 0:
        raise ValueError(f"nn.init.trunc_normal_: std must be positive, got {std}")
    if a > b:
        raise ValueError(f"nn.init.trunc_normal_: expects a <= b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    rng = _rng(generator)
    n = t.data.size
    dt = _draw_dtype(t)
    lo, hi = dt.type(a), dt.type(b)  # the bounds as the tensor can hold them
    out = np.empty(n, dt)
    p = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    filled = 0
    if p > 0.3:
        while filled < n:
            m = max(64, int((n - filled) / p * 1.1))
            z = _normal(rng, (m,), mean, std, dt)
            z = z[(z >= lo) & (z <= hi)][: n - filled]
            out[filled:filled + z.size] = z
            filled += z.size
    else:
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2
        while filled < n:
            m = max(64, 2 * (n - filled))
            x = _uniform(rng, (m,), a, b, backend.float64)
            log_pdf = -0.5 * ((x - mean) / std) ** 2 - log_peak
            x = x[np.log(rng.random(m)) <= log_pdf].astype(dt)
            x = x[(x >= lo) & (x <= hi)][: n - filled]
            out[filled:filled + x.size] = x
            filled += x.size
    return _write(t, out.reshape(t.data.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value ``val``.

    Example:
        >>> import lightgrad
        >>> lightgrad.nn.init.constant_(lightgrad.empty(3), 0.5)
        tensor([0.5000, 0.5000, 0.5000])
    """
    t = _check(tensor, "constant_")
    if isinstance(val, Tensor):
        val = val.item()
    return _write(t, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    return _write(_check(tensor, "ones_"), 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros."""
    return _write(_check(tensor, "zeros_"), 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the main diagonal): a ``Linear`` weight
    that passes as many inputs through as possible."""
    t = _check(tensor, "eye_")
    if t.data.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported (eye_ got shape "
                         f"{tuple(t.shape)})")
    return _write(t, np.eye(*t.data.shape, dtype=t.data.dtype))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta: the convolution passes
    as many input channels through as possible (per group)."""
    t = _check(tensor, "dirac_")
    shape = tuple(t.data.shape)
    if len(shape) not in (3, 4, 5):
        raise ValueError(f"Only tensors with 3, 4, or 5 dimensions are supported (dirac_ got "
                         f"shape {shape})")
    if shape[0] % groups != 0:
        raise ValueError(f"dim 0 must be divisible by groups (dirac_ got {shape[0]} and groups="
                         f"{groups})")
    out = np.zeros(shape, t.data.dtype)
    per_group = shape[0] // groups
    centre = tuple(s // 2 for s in shape[2:])
    d = np.arange(min(per_group, shape[1]))
    for g in range(groups):
        out[(g * per_group + d, d) + centre] = 1
    return _write(t, out)


# ----------------------------------------------------------------------------- scaled inits
def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot uniform: ``U(-a, a)`` with ``a = gain sqrt(6 / (fan_in + fan_out))``.

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.init.xavier_uniform_(lightgrad.empty(30, 20))
        >>> bool(w.abs().max() <= (6 / 50) ** 0.5)
        True
    """
    t = _check_float(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot normal: ``N(0, std^2)`` with ``std = gain sqrt(2 / (fan_in + fan_out))``."""
    t = _check_float(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(t, 0.0, std, generator)


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fan = _calculate_correct_fan(t, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """He uniform: ``U(-bound, bound)`` with ``bound = gain sqrt(3 / fan)``, ``gain =
    calculate_gain(nonlinearity, a)`` and ``fan`` the ``mode`` fan (``'fan_in'`` keeps the
    forward variance, ``'fan_out'`` the backward one). ``Linear`` and convolutions use
    ``a = sqrt(5)``: ``bound = 1 / sqrt(fan_in)``.

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.init.kaiming_uniform_(lightgrad.empty(64, 16), a=5 ** 0.5)
        >>> bool(w.abs().max() <= 0.25)
        True
    """
    t = _check_float(tensor, "kaiming_uniform_")
    if 0 in t.data.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return t
    bound = math.sqrt(3.0) * _kaiming_std(t, a, mode, nonlinearity)
    return uniform_(t, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """He normal: ``N(0, std^2)`` with ``std = gain / sqrt(fan)`` (see
    :func:`kaiming_uniform_`)."""
    t = _check_float(tensor, "kaiming_normal_")
    if 0 in t.data.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return t
    return normal_(t, 0.0, _kaiming_std(t, a, mode, nonlinearity), generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Any = None) -> Tensor:
    """A (semi-)orthogonal matrix, uniformly distributed (Haar): ``Q`` of the QR factorization
    of a standard normal matrix, with column signs fixed by ``sign(diag(R))``; dims past the
    first are flattened; scaled by ``gain``.

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.init.orthogonal_(lightgrad.empty(3, 5, dtype=lightgrad.float64))
        >>> bool(lightgrad.allclose(w @ w.T, lightgrad.eye(3, dtype=lightgrad.float64)))
        True
    """
    t = _check_float(tensor, "orthogonal_")
    if t.data.ndim < 2:
        raise ValueError(f"Only tensors with 2 or more dimensions are supported (orthogonal_ got "
                         f"shape {tuple(t.shape)})")
    if t.data.size == 0:
        return t
    rows = t.data.shape[0]
    cols = t.data.size // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)  # float64 on the CPU: precise for any tensor dtype
    q *= np.sign(np.diagonal(r))
    if rows < cols:
        q = q.T
    if gain != 1:
        q *= gain
    return _write(t, q.reshape(t.data.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Any = None) -> Tensor:
    """A sparse 2-D matrix: ``N(0, std^2)`` values with ``ceil(sparsity * rows)`` random zeros
    in every column (Martens 2010)."""
    t = _check_float(tensor, "sparse_")
    if t.data.ndim != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported (sparse_ got shape "
                         f"{tuple(t.shape)})")
    rows, cols = t.data.shape
    num_zeros = math.ceil(sparsity * rows)
    rng = _rng(generator)
    vals = _normal(rng, (rows, cols), 0.0, std, _draw_dtype(t))
    if num_zeros and cols:
        # an independent random permutation of the rows per column: its first num_zeros rows
        idx = np.argsort(rng.random((rows, cols)), axis=0)[:num_zeros]
        vals[idx, np.arange(cols)] = 0
    return _write(t, vals)


# ----------------------------------------------------------------------------- deprecated names
def _deprecated(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    new, old = fn.__name__, fn.__name__[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new}`.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)

    deprecated_init.__name__ = old
    deprecated_init.__doc__ = f"Deprecated alias of :func:`{new}`."
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
