"""Parity and gradient checks against PyTorch: one lambda drives both frameworks.

Write an op test as a table of :class:`OpCase` rows and run them with :func:`check_case`::

    CASES = [
        OpCase("exp", lambda lib, x: lib.exp(x), lambda r: [r.standard_normal((3, 4))],
               covers=("Exp",)),
    ]

    @pytest.mark.parametrize("case", CASES, ids=case_id)
    def test_parity(case, rng):
        check_case(case, rng)

``fn(lib, *tensors)`` is called with ``lib`` = ``lightgrad`` and with ``lib`` = ``torch`` (use
``lib.nn.functional`` for functional ops; both libraries have it). ``inputs(rng)`` returns NumPy
arrays; floating inputs are run as float32 and as float64 (``dtypes``), require grad (unless
listed in ``nondiff``) and are compared forward (shape, dtype, values) and backward with a
random upstream gradient; then a float64 gradcheck runs. ``covers`` names the lightgrad
``Function`` classes the case exercises: the check asserts they really ran, and
``tests/test_op_coverage.py`` asserts every registered Function is covered by some case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import lightgrad
from lightgrad.autograd import Function

torch = pytest.importorskip("torch")

# ----------------------------------------------------------------------------- tolerances
# (rtol, atol) per kind of check and dtype -- TESTING.md's table, in one place.
TOL: dict[str, dict[Any, tuple[float, float]]] = {
    "gradcheck": {np.float64: (1e-3, 1e-5)},
    "elementwise": {np.float64: (1e-7, 1e-7), np.float32: (1e-5, 1e-6)},
    "movement": {np.float64: (1e-7, 1e-7), np.float32: (1e-5, 1e-6)},
    "reduction": {np.float64: (1e-7, 1e-7), np.float32: (1e-4, 1e-5)},
    "matmul": {np.float64: (1e-7, 1e-7), np.float32: (1e-4, 1e-5)},
    "softmax": {np.float64: (1e-7, 1e-7), np.float32: (1e-4, 1e-5)},
    "backward": {np.float64: (1e-6, 1e-7), np.float32: (1e-4, 1e-5)},
    "sequence": {np.float64: (1e-6, 1e-7), np.float32: (1e-3, 1e-4)},
    "optimizer": {np.float64: (1e-7, 1e-8), np.float32: (1e-5, 1e-6)},
}
CUPY_FACTOR = 10


def tol(kind: str, dtype: Any) -> tuple[float, float]:
    d = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    return TOL[kind][d]


# ----------------------------------------------------------------------------- cases
@dataclasses.dataclass
class OpCase:
    id: str
    fn: Callable[..., Any]
    inputs: Callable[[np.random.Generator], Sequence[Any]]
    covers: tuple[str, ...] = ()
    kind: str = "elementwise"  # forward tolerance row: elementwise/movement/reduction/...
    grad: bool = True  # compare backward
    gradcheck: bool = True  # float64 numerical gradient check
    nondiff: tuple[int, ...] = ()  # float inputs that must not require grad
    dtypes: tuple[Any, ...] = (np.float32, np.float64)  # float inputs are run in each
    torch_fn: Callable[..., Any] | None = None  # when the torch call must differ
    tol: tuple[float, float] | None = None  # override (rtol, atol); say why in a comment
    fwd_only_values: bool = False  # compare values only (e.g. sort-order-free outputs)


def case_id(case: OpCase) -> str:
    return case.id


def _as_list(out: Any) -> list:
    if isinstance(out, tuple | list):
        return list(out)
    return [out]


def torch_dtype_to_numpy(d: Any) -> np.dtype:
    return torch.empty(0, dtype=d).numpy().dtype


class track_functions:
    """Record the ``Function`` classes applied inside the block."""

    def __enter__(self) -> set:
        self.applied: set = set()
        self._orig = Function.__dict__["apply"]
        orig_fn = self._orig.__func__
        applied = self.applied

        def apply(cls, *args):
            applied.add(cls.__name__)
            return orig_fn(cls, *args)

        Function.apply = classmethod(apply)
        return self.applied

    def __exit__(self, *exc: object) -> None:
        Function.apply = self._orig


def _to_lg(a: np.ndarray, rg: bool) -> Any:
    if not isinstance(a, np.ndarray):
        return a
    # keep the memory layout (a transposed input stays non-contiguous), but own the buffer
    t = lightgrad.from_numpy(a.copy(order="K") if a.strides and min(a.strides) >= 0 else a.copy())
    return t.requires_grad_(rg) if rg else t


def _to_torch(a: np.ndarray, rg: bool) -> Any:
    if not isinstance(a, np.ndarray):
        return a
    if a.strides and min(a.strides) < 0:
        a = np.ascontiguousarray(a)
    t = torch.from_numpy(a.copy(order="K"))  # torch keeps the same strides
    return t.requires_grad_(rg)


def _compare(name: str, lg: Any, th: Any, rtol: float, atol: float, check_dtype: bool = True):
    if isinstance(th, torch.Tensor):
        assert isinstance(lg, lightgrad.Tensor), f"{name}: expected a Tensor, got {type(lg)}"
        tv = th.detach().numpy()
        lv = lg.detach().numpy()
        assert tuple(lv.shape) == tuple(tv.shape), f"{name}: shape {lv.shape} != torch {tv.shape}"
        if check_dtype:
            assert lv.dtype == tv.dtype, f"{name}: dtype {lv.dtype} != torch {tv.dtype}"
        if lv.dtype.kind in "biu":
            np.testing.assert_array_equal(lv, tv, err_msg=name)
        else:
            np.testing.assert_allclose(lv, tv, rtol=rtol, atol=atol, err_msg=name)
    elif isinstance(th, tuple | list):
        assert len(lg) == len(th), f"{name}: {len(lg)} outputs != torch {len(th)}"
        for k, (a, b) in enumerate(zip(lg, th)):
            _compare(f"{name}[{k}]", a, b, rtol, atol, check_dtype)
    elif th is None:
        assert lg is None, f"{name}: expected None (as torch), got {type(lg).__name__}"
    else:
        if isinstance(lg, lightgrad.Tensor):
            lg = lg.item()
        assert lg == pytest.approx(th, rel=rtol, abs=atol), f"{name}: {lg} != torch {th}"


def _cast_inputs(arrays: Sequence[Any], dtype: Any) -> list:
    return [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in arrays]


def check_case(case: OpCase, rng: np.random.Generator) -> None:
    """Forward + backward parity with PyTorch in each dtype, then a float64 gradcheck."""
    base = list(case.inputs(rng))
    has_float = any(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in base)
    dtypes = case.dtypes if has_float else (None,)
    tfn = case.torch_fn or case.fn
    applied_all: set = set()
    for dt in dtypes:
        arrays = _cast_inputs(base, dt) if dt is not None else base
        diff = [case.grad and isinstance(a, np.ndarray) and a.dtype.kind == "f"
                and i not in case.nondiff for i, a in enumerate(arrays)]
        lg_in = [_to_lg(a, d) for a, d in zip(arrays, diff)]
        th_in = [_to_torch(a, d) for a, d in zip(arrays, diff)]
        with track_functions() as applied:
            lg_out = case.fn(lightgrad, *lg_in)
        applied_all |= applied
        th_out = tfn(torch, *th_in)
        rtol, atol = case.tol or tol(case.kind, dt or np.float32)
        _compare(f"{case.id} forward ({dt})", lg_out, th_out, rtol, atol)
        if not any(diff):
            continue
        # backward with a random upstream gradient on every differentiable output
        lg_outs = [o for o in _as_list(lg_out) if isinstance(o, lightgrad.Tensor)]
        th_outs = [o for o in _as_list(th_out) if isinstance(o, torch.Tensor)]
        lg_loss = th_loss = None
        for lo, to in zip(lg_outs, th_outs):
            if not to.requires_grad:
                assert not lo.requires_grad or lo.dtype.kind != "f", \
                    f"{case.id}: output requires grad but torch's does not"
                continue
            assert lo.requires_grad, f"{case.id}: output does not require grad (torch's does)"
            g = rng.standard_normal(tuple(to.shape)).astype(torch_dtype_to_numpy(to.dtype))
            lt = (lo * lightgrad.tensor(g)).sum()
            tt = (to * torch.from_numpy(g)).sum()
            lg_loss = lt if lg_loss is None else lg_loss + lt
            th_loss = tt if th_loss is None else th_loss + tt
        if th_loss is None:
            continue
        th_loss.backward()
        with track_functions() as applied:
            lg_loss.backward()
        rtol, atol = case.tol or tol("backward", dt)
        for i, (li, ti) in enumerate(zip(lg_in, th_in)):
            if not diff[i]:
                continue
            tg = ti.grad if ti.grad is not None else torch.zeros_like(ti)
            assert li.grad is not None or ti.grad is None or not ti.grad.any(), \
                f"{case.id}: input {i} got no gradient (torch's is nonzero)"
            lgv = li.grad if li.grad is not None else lightgrad.zeros_like(li)
            _compare(f"{case.id} grad of input {i} ({dt})", lgv, tg, rtol, atol)
    missing = set(case.covers) - applied_all
    assert not missing, f"{case.id}: claims to cover {sorted(missing)} but they never ran " \
                        f"(ran: {sorted(applied_all)})"
    if case.grad and case.gradcheck and has_float:
        arrays = _cast_inputs(base, np.float64)
        ins = [_to_lg(a, isinstance(a, np.ndarray) and a.dtype.kind == "f" and i not in
                      case.nondiff) for i, a in enumerate(arrays)]
        if any(isinstance(t, lightgrad.Tensor) and t.requires_grad for t in ins):
            rtol, atol = TOL["gradcheck"][np.float64]
            assert lightgrad.autograd.gradcheck(lambda *xs: case.fn(lightgrad, *xs), ins,
                                                eps=1e-6, atol=atol, rtol=rtol)


def check_raises(fn: Callable[..., Any], inputs: Sequence[Any], match: str | None = None,
                 torch_fn: Callable[..., Any] | None = None,
                 exc: Any = (RuntimeError, ValueError, TypeError, IndexError)) -> Exception:
    """Both frameworks reject the input; lightgrad with a clear error (``match``: a regex its
    message must contain, typically the op name and the offending shapes)."""
    lg_in = [_to_lg(a, False) for a in inputs]
    th_in = [_to_torch(a, False) for a in inputs]
    with pytest.raises(Exception):
        (torch_fn or fn)(torch, *th_in)
    with pytest.raises(exc, match=match) as info:
        fn(lightgrad, *lg_in)
    return info.value
