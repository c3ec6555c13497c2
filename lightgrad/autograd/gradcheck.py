"""Numerical gradient checking (float64, central differences), as ``torch.autograd.gradcheck``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .engine import grad as autograd_grad
from .grad_mode import no_grad

#: Above this many input (or output) elements, compare random directional derivatives instead
#: of building the full Jacobian.
FULL_JACOBIAN_LIMIT = 200


class GradcheckError(RuntimeError):
    """Analytical and numerical gradients disagree."""


def _outputs(func: Callable, inputs: tuple) -> list[Tensor]:
    out = func(*inputs)
    outs = list(out) if isinstance(out, tuple | list) else [out]
    return [o for o in outs if isinstance(o, Tensor) and o.is_floating_point()]


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, fast_mode: bool | None = None,
              n_directions: int = 3, seed: int = 0, **_ignored: Any) -> bool:
    """Check ``func``'s backward against central differences on ``inputs``.

    Args:
        func: maps tensors to a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors; those with ``requires_grad`` are checked and
            should be float64.
        eps: finite-difference step.
        atol, rtol: the check is ``|analytical - numerical| <= atol + rtol * |numerical|``.
        raise_exception: raise :class:`GradcheckError` with both Jacobians on failure, else
            return ``False``.
        fast_mode: compare ``v^T J u`` for random ``u``, ``v`` instead of the full Jacobian;
            by default, when inputs or outputs have more than ``FULL_JACOBIAN_LIMIT`` elements.

    Returns:
        ``True`` if every gradient matches.
    """
    ins = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    diff = [i for i, t in enumerate(ins) if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad")
    for i in diff:
        if ins[i].dtype != np.float64:
            warnings.warn(f"gradcheck: input {i} requires grad and is not float64 "
                          f"(got {ins[i].dtype}); the check will likely fail", stacklevel=2)
    outs = _outputs(func, ins)
    if not outs:
        raise ValueError("gradcheck: func returned no floating-point tensor")
    n_in = sum(ins[i].numel() for i in diff)
    n_out = sum(o.numel() for o in outs)
    if fast_mode is None:
        fast_mode = n_in > FULL_JACOBIAN_LIMIT or n_out > FULL_JACOBIAN_LIMIT
    rng = np.random.default_rng(seed)

    def numeric_dir(us: list[np.ndarray]) -> list[np.ndarray]:
        """(f(x + eps u) - f(x - eps u)) / 2 eps for each output."""
        saved = [ins[i].data.copy() for i in diff]
        try:
            with no_grad():
                for k, i in enumerate(diff):
                    ins[i].data = np.asarray(saved[k] + eps * us[k])
                plus = [o.data.copy() for o in _outputs(func, ins)]
                for k, i in enumerate(diff):
                    ins[i].data = np.asarray(saved[k] - eps * us[k])
                minus = [o.data.copy() for o in _outputs(func, ins)]
        finally:
            for k, i in enumerate(diff):
                ins[i].data = saved[k]
        return [(p - m) / (2 * eps) for p, m in zip(plus, minus)]

    def analytic_vjp(vs: list[np.ndarray]) -> list[np.ndarray]:
        outs_ = _outputs(func, ins)
        used = [(o, v) for o, v in zip(outs_, vs) if o.requires_grad]
        if not used:
            return [np.zeros_like(ins[i].data) for i in diff]
        gs = autograd_grad([o for o, _ in used], [ins[i] for i in diff],
                           grad_outputs=[Tensor(v) for _, v in used], allow_unused=True)
        return [np.zeros_like(ins[i].data) if g is None else g.data for i, g in zip(diff, gs)]

    if fast_mode:
        for _ in range(n_directions):
            us = [rng.standard_normal(ins[i].data.shape) for i in diff]
            vs = [rng.standard_normal(o.data.shape) for o in outs]
            num = sum(float((n * v).sum()) for n, v in zip(numeric_dir(us), vs))
            ana = sum(float((g * u).sum()) for g, u in zip(analytic_vjp(vs), us))
            if not abs(ana - num) <= atol + rtol * abs(num):
                msg = (f"gradcheck (random direction) failed: analytical v^T J u = {ana!r}, "
                       f"numerical = {num!r}")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
        return True

    # full Jacobians: rows = output elements, columns = input elements
    J_num = np.zeros((n_out, n_in))
    col = 0
    for k, i in enumerate(diff):
        for j in range(ins[i].numel()):
            us = [np.zeros(ins[m].data.shape) for m in diff]
            us[k].reshape(-1)[j] = 1.0
            J_num[:, col] = np.concatenate([d.reshape(-1) for d in numeric_dir(us)])
            col += 1
    J_ana = np.zeros((n_out, n_in))
    row = 0
    for oi, o in enumerate(outs):
        for j in range(o.numel()):
            vs = [np.zeros(x.data.shape) for x in outs]
            vs[oi].reshape(-1)[j] = 1.0
            J_ana[row] = np.concatenate([g.reshape(-1) for g in analytic_vjp(vs)])
            row += 1
    bad = ~(np.abs(J_ana - J_num) <= atol + rtol * np.abs(J_num))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        msg = (f"gradcheck failed: Jacobian mismatch at output element {r}, input element {c}: "
               f"analytical {float(J_ana[r, c])!r} vs numerical {float(J_num[r, c])!r}\n"
               f"numerical:\n{J_num}\nanalytical:\n{J_ana}")
        if raise_exception:
            raise GradcheckError(msg)
        return False
    return True
