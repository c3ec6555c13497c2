"""Linear algebra: matmul (``@``), mm, bmm, mv, dot, outer, addmm/addmv/baddbmm, einsum,
tensordot and the fused ``linear`` (``y = x W^T + b``).

Five primitives carry the math: :class:`Matmul` (every product with ``torch.matmul``'s
shape rules), :class:`AddMatmul` (``beta * input + alpha * (mat1 @ mat2)``), :class:`Outer`,
:class:`Einsum` and :class:`Linear`. The named functions (``mm``, ``bmm``, ``mv``, ``dot``...)
validate their stricter shape contracts and then reuse them.

Speed notes: a product of an N-D operand with a 2-D one is computed as ONE GEMM over the
folded ``(rows, k)`` matrix (NumPy's batched matmul would loop over the batch), and the
gradient of a 2-D operand used against a batched one is one GEMM over the folded batch,
never a batched product followed by a sum. BLAS needs each matrix to be C- or F-contiguous;
anything else (a broadcast gradient, a strided slice) is made contiguous first, because
NumPy's fallback for such strides is an unblocked triple loop.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from ..autograd.engine import unbroadcast
from ..autograd.function import Function
from ..tensor import Tensor
from .convert import cast
from .inplace import inplace
from .operands import check_same_device, get_xp

__all__ = [
    "matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv",
    "baddbmm", "einsum", "tensordot", "linear",
]


# ----------------------------------------------------------------------------- array helpers
def _blas(x: Any) -> Any:
    """``x`` with BLAS-friendly strides in its last two dims (a copy only when needed)."""
    if x.ndim < 2 or x.size <= 1:
        return x
    it = x.itemsize
    s0, s1 = x.strides[-2], x.strides[-1]
    r, c = x.shape[-2], x.shape[-1]
    if (s1 == it or c == 1) and (s0 >= c * it or r == 1) and s0 > 0:
        return x
    if (s0 == it or r == 1) and (s1 >= r * it or c == 1) and s1 > 0:
        return x
    return get_xp(x).ascontiguousarray(x)


def _rows(shape: tuple) -> int:
    return math.prod(shape[:-1])


def _mm_forward(a: Any, b: Any) -> Any:
    """``a @ b`` with matmul's shape rules; an N-D ``a`` times a 1-/2-D ``b`` is one GEMM."""
    if a.ndim > 2 and b.ndim <= 2:
        lead = a.shape[:-1]
        out = _blas(a.reshape(_rows(a.shape), a.shape[-1])) @ _blas(b)  # (rows, n) or (rows,)
        return out.reshape(lead + b.shape[1:])
    return _blas(a) @ _blas(b)


def _grad_left(g: Any, b2: Any, a_shape: tuple) -> Any:
    """Sum of ``g @ b2^T`` reduced to ``a_shape`` (a's matrix form)."""
    xp = get_xp(g)
    if b2.ndim == 2:  # a's batch equals g's batch: one GEMM over the folded rows
        n = g.shape[-1]
        r = _blas(g.reshape(_rows(g.shape), n)) @ _blas(b2).T
        return r.reshape(g.shape[:-1] + (b2.shape[0],))
    nb = g.ndim - 2
    if len(a_shape) == 2:  # 2-D a against a batched b: contract batch and n in one GEMM
        axes = list(range(nb)) + [g.ndim - 1]
        return xp.tensordot(g, b2, axes=(axes, list(range(nb)) + [b2.ndim - 1]))
    return unbroadcast(_blas(g) @ xp.swapaxes(_blas(b2), -1, -2), a_shape)


def _grad_right(a2: Any, g: Any, b_shape: tuple) -> Any:
    """Sum of ``a2^T @ g`` reduced to ``b_shape`` (b's matrix form)."""
    xp = get_xp(g)
    if len(b_shape) == 2:  # a's batch equals g's batch: fold it into the contraction
        k, n = a2.shape[-1], g.shape[-1]
        rows = _rows(g.shape)
        return _blas(a2.reshape(rows, k)).T @ _blas(g.reshape(rows, n))  # (k, n)
    if a2.ndim == 2:  # b's batch equals g's batch
        return _blas(a2).T @ _blas(g)
    return unbroadcast(xp.swapaxes(_blas(a2), -1, -2) @ _blas(g), b_shape)


def _mm_backward(a: Any, b: Any, g: Any, na: bool, nb: bool) -> tuple[Any, Any]:
    """Gradients of ``a @ b`` (matmul rules) for upstream gradient ``g``."""
    if a.ndim == 1 and b.ndim == 1:
        return (g * b if na else None), (g * a if nb else None)
    a2 = a.reshape(1, -1) if a.ndim == 1 else a  # (1, k)
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b  # (k, 1)
    if a.ndim == 1:
        g = g.reshape(g.shape[:-1] + (1, g.shape[-1]))  # (..., 1, n)
    if b.ndim == 1:
        g = g.reshape(g.shape + (1,))  # (..., m, 1)
    ga = gb = None
    if na:
        ga = _grad_left(g, b2, a2.shape).reshape(a.shape)
    if nb:
        gb = _grad_right(a2, g, b2.shape).reshape(b.shape)
    return ga, gb


# ----------------------------------------------------------------------------- primitives
class Matmul(Function):
    """``out = a @ b`` with ``torch.matmul``'s rules (1-D operands, broadcast batch dims)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return _mm_forward(a, b)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return _mm_backward(a, b, grad_out, na, nb)


class AddMatmul(Function):
    """``out = beta * input + alpha * (mat1 @ mat2)`` (addmm, addmv, baddbmm); ``input`` is
    ignored when ``beta == 0`` (NaNs in it do not propagate)."""

    @staticmethod
    def forward(ctx: Any, inp: Any, m1: Any, m2: Any, beta: Any, alpha: Any) -> Any:
        ctx.save_for_backward(m1, m2)
        ctx.beta, ctx.alpha = beta, alpha
        out = _mm_forward(m1, m2)  # a fresh array: safe to update in place
        if alpha != 1:
            out *= alpha
        if beta != 0:
            out += inp if beta == 1 else inp * beta
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        m1, m2 = ctx.saved_tensors
        ni, n1, n2 = ctx.needs_input_grad[:3]
        beta, alpha = ctx.beta, ctx.alpha
        gi = None
        if ni:
            gi = grad_out if beta == 1 else (grad_out * beta if beta != 0
                                             else get_xp(grad_out).zeros_like(grad_out))
        g1 = g2 = None
        if n1 or n2:
            g = grad_out if alpha == 1 else grad_out * alpha
            g1, g2 = _mm_backward(m1, m2, g, n1, n2)
        return gi, g1, g2, None, None


class Outer(Function):
    """``out[i, j] = a[i] * b[j]``."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return a[:, None] * b[None, :]

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        g = _blas(grad_out)
        return (g @ b if na else None), (a @ g if nb else None)


class Linear(Function):
    """``y = x W^T + b`` fused: ``x`` (*, in), ``W`` (out, in), ``b`` broadcastable to (out,).

    Forward and backward fold the leading dims of ``x`` into rows, so each step is one GEMM:
    ``grad_x = g W``, ``grad_W = g^T x``, ``grad_b = g.sum(0)`` on the 2-D views.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any) -> Any:
        ctx.save_for_backward(x, w)
        out_f, in_f = w.shape
        lead = x.shape[:-1]
        rows = _rows(x.shape)
        if rows == 1:  # one row: a matrix-vector product (GEMV), faster than a 1-row GEMM
            y = (_blas(w) @ x.reshape(in_f)).reshape(1, out_f)
        else:
            y = _blas(x.reshape(rows, in_f)) @ _blas(w).T  # (rows, out), fresh
        if b is not None:
            y += b
        return y.reshape(lead + (out_f,))

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        out_f, in_f = w.shape
        rows = _rows(x.shape)
        g2 = _blas(grad_out.reshape(rows, out_f))  # (rows, out)
        gx = (g2 @ _blas(w)).reshape(x.shape) if nx else None
        gw = g2.T @ _blas(x.reshape(rows, in_f)) if nw else None
        gb = g2.sum(axis=0) if nb else None
        return gx, gw, gb


class Einsum(Function):
    """``out = einsum(spec, *operands)``; ``spec`` is a normalized :class:`_EinsumSpec`.

    The gradient of operand ``k`` is the einsum of ``grad_out`` with the other operands
    producing operand ``k``'s subscripts; subscripts found nowhere else are broadcast back, and
    repeated subscripts (diagonals such as ``'ii->i'``) are scattered onto the diagonal.
    """

    @staticmethod
    def forward(ctx: Any, spec: _EinsumSpec, *ops: Any) -> Any:
        ctx.save_for_backward(*ops)
        ctx.spec = spec
        xp = get_xp(ops[0])
        out = xp.einsum(spec.equation, *ops, optimize=spec.optimize)
        if len(ops) == 1 and isinstance(out, xp.ndarray) and xp.may_share_memory(out, ops[0]):
            out = out.copy()  # NumPy returns views for permutations / diagonals
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        ops = ctx.saved_tensors
        spec = ctx.spec
        needs = ctx.needs_input_grad[1:]
        grads: list[Any] = [None]
        for k, term in enumerate(spec.inputs):
            grads.append(_einsum_grad(spec, k, term, ops, grad_out) if needs[k] else None)
        return tuple(grads)


def _einsum_grad(spec: _EinsumSpec, k: int, term: str, ops: tuple, g: Any) -> Any:
    xp = get_xp(g)
    op = ops[k]
    unique = "".join(dict.fromkeys(term))
    avail = set(spec.output)
    terms, args = [spec.output], [g]
    for j, t in enumerate(spec.inputs):
        if j != k:
            avail.update(t)
            terms.append(t)
            args.append(ops[j])
    target = "".join(c for c in unique if c in avail)
    eq = ",".join(terms) + "->" + target
    gu = xp.einsum(eq, *args, optimize=spec.optimize)
    if gu.__class__ is not op.__class__:  # a NumPy scalar from a full contraction
        gu = xp.asarray(gu, dtype=op.dtype)
    if target != unique:  # subscripts only in this operand: the gradient is constant along them
        shape_u = tuple(spec.sizes[c] for c in unique)
        gu = xp.broadcast_to(gu.reshape([spec.sizes[c] if c in avail else 1 for c in unique]),
                             shape_u)
    if unique == term:
        return gu
    # repeated subscripts: write the gradient onto the (generalized) diagonal of zeros
    z = xp.zeros(op.shape, dtype=op.dtype)
    strides = [sum(z.strides[i] for i, c in enumerate(term) if c == u) for u in unique]
    diag = xp.lib.stride_tricks.as_strided(z, shape=gu.shape, strides=strides)
    diag[...] = gu
    return z


# ----------------------------------------------------------------------------- checks
_DTYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half", "int64": "long int",
                "int32": "int", "int16": "short int", "int8": "signed char",
                "uint8": "unsigned char", "bool": "bool"}


def _tensor(x: Any, op: str, arg: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: argument '{arg}' must be a Tensor, got {type(x).__name__}")
    return x


def _shape(t: Tensor) -> tuple:
    return tuple(t.data.shape)


def _check_dtypes(op: str, *ts: Tensor) -> None:
    """Same dtype (as torch's GEMMs require), not bool, on one device."""
    for t in ts:
        if t.data.__class__ is not np.ndarray:  # NumPy arrays all live on the CPU
            check_same_device(op, *ts)
            break
    d0 = ts[0].data.dtype
    for t in ts[1:]:
        d = t.data.dtype
        if d != d0:
            raise RuntimeError(
                f"{op}: expected m1 and m2 to have the same dtype, but got: "
                f"{_DTYPE_NAMES.get(d0.name, d0.name)} != {_DTYPE_NAMES.get(d.name, d.name)} "
                f"({d0} and {d}; cast one with .to(dtype))")
    if d0.kind == "b":
        raise NotImplementedError(f"{op}: not implemented for 'Bool' tensors; cast them to an "
                                  "integer or floating dtype first")
    if d0.kind not in "fiu":
        raise TypeError(f"{op}: unsupported dtype {d0}")


def _mat(shape: tuple, left: bool) -> str:
    if len(shape) == 1:
        return f"1x{shape[0]}" if left else f"{shape[0]}x1"
    return f"{shape[-2]}x{shape[-1]}"


def _check_matmul(op: str, a: Tensor, b: Tensor) -> None:
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        raise RuntimeError(f"{op}: both arguments to matmul need to be at least 1D, but they are "
                           f"{len(sa)}D and {len(sb)}D (shapes {sa} and {sb})")
    _check_dtypes(op, a, b)
    ka = sa[-1]
    kb = sb[0] if len(sb) == 1 else sb[-2]
    if ka != kb:
        raise RuntimeError(f"{op}: mat1 and mat2 shapes cannot be multiplied ({_mat(sa, True)} "
                           f"and {_mat(sb, False)}) (input shapes {sa} and {sb})")
    if len(sa) > 2 or len(sb) > 2:
        ba, bb = sa[:-2], sb[:-2]
        try:
            np.broadcast_shapes(ba, bb)
        except ValueError:
            n = max(len(ba), len(bb))
            pa, pb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
            d = next(i for i in range(n) if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1)
            raise RuntimeError(
                f"{op}: the batch dimensions of shapes {sa} and {sb} cannot be broadcast: the "
                f"size of tensor a ({pa[d]}) must match the size of tensor b ({pb[d]}) at "
                f"non-singleton dimension {d}") from None


def _check_ndim(op: str, t: Tensor, arg: str, ndim: int) -> None:
    if t.data.ndim != ndim:
        raise RuntimeError(f"{op}: expected '{arg}' to be a {ndim}-D tensor, but got a "
                           f"{t.data.ndim}-D tensor of shape {_shape(t)}")


def _scalar(x: Any, op: str, arg: str, dtype: np.dtype) -> Any:
    """``alpha``/``beta`` as a Python number matching ``dtype`` (truncated for integers)."""
    if isinstance(x, Tensor):
        x = x.item()
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise TypeError(f"{op}: argument '{arg}' must be a number, got {type(x).__name__}")
    return float(x) if dtype.kind == "f" else int(x)


# ----------------------------------------------------------------------------- functions
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with broadcasting, ``torch.matmul``'s rules.

    1-D x 1-D is a dot product (0-d result); 2-D x 2-D a matrix product; a 1-D first operand
    gets a dim prepended (a 1-D second operand a dim appended) that is removed afterwards; N-D
    operands are batches of matrices whose batch dims broadcast.

    Args:
        input: ``(*, n, k)`` or ``(k,)``.
        other: ``(*, k, m)`` or ``(k,)``.

    Returns:
        The product, e.g. ``(*, n, m)`` for batched matrices.

    Raises:
        RuntimeError: 0-d operands, different dtypes, inner sizes that differ, batch dims that
            do not broadcast.

    Example:
        >>> import lightgrad
        >>> a = lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> a @ lightgrad.tensor([1.0, 1.0])
        tensor([3., 7.])
    """
    a = _tensor(input, "matmul", "input")
    b = _tensor(other, "matmul", "other")
    _check_matmul("matmul", a, b)
    return Matmul.apply(a, b)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-D tensors: ``(n, k) @ (k, m) -> (n, m)`` (no broadcasting)."""
    a = _tensor(input, "mm", "input")
    b = _tensor(mat2, "mm", "mat2")
    _check_ndim("mm", a, "input", 2)
    _check_ndim("mm", b, "mat2", 2)
    _check_matmul("mm", a, b)
    return Matmul.apply(a, b)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product ``(B, n, k) @ (B, k, m) -> (B, n, m)``; batch sizes must match."""
    a = _tensor(input, "bmm", "input")
    b = _tensor(mat2, "bmm", "mat2")
    _check_ndim("bmm", a, "input", 3)
    _check_ndim("bmm", b, "mat2", 3)
    if a.data.shape[0] != b.data.shape[0]:
        raise RuntimeError(f"bmm: batch sizes must match, but got {a.data.shape[0]} and "
                           f"{b.data.shape[0]} (shapes {_shape(a)} and {_shape(b)})")
    _check_matmul("bmm", a, b)
    return Matmul.apply(a, b)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product ``(n, k) @ (k,) -> (n,)``."""
    a = _tensor(input, "mv", "input")
    b = _tensor(vec, "mv", "vec")
    _check_ndim("mv", a, "input", 2)
    _check_ndim("mv", b, "vec", 1)
    _check_matmul("mv", a, b)
    return Matmul.apply(a, b)


def _dot(op: str, input: Tensor, other: Tensor) -> Tensor:
    a = _tensor(input, op, "input")
    b = _tensor(other, op, "other")
    if a.data.ndim != 1 or b.data.ndim != 1:
        raise RuntimeError(f"{op}: 1D tensors expected, but got {a.data.ndim}D and "
                           f"{b.data.ndim}D tensors (shapes {_shape(a)} and {_shape(b)})")
    if a.data.dtype != b.data.dtype:
        raise RuntimeError(f"{op}: expected both vectors to have same dtype, but found "
                           f"{a.data.dtype} and {b.data.dtype}")
    if a.data.shape[0] != b.data.shape[0]:
        raise RuntimeError(f"{op}: inconsistent tensor size, expected both vectors to have the "
                           f"same number of elements, but got {a.data.shape[0]} and "
                           f"{b.data.shape[0]} elements")
    _check_dtypes(op, a, b)
    return Matmul.apply(a, b)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of the same size and dtype: ``sum_i a_i b_i`` (0-d).

    Example:
        >>> import lightgrad
        >>> lightgrad.dot(lightgrad.tensor([1.0, 2.0]), lightgrad.tensor([3.0, 4.0]))
        tensor(11.)
    """
    return _dot("dot", input, other)


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """``sum_i conj(a_i) b_i`` of two 1-D tensors; equal to :func:`dot` for real tensors."""
    return _dot("vdot", input, other)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Inner product over the last dims: ``out[..., ...] = sum_k a[..., k] b[..., k]``;
    a 0-d operand multiplies."""
    a = _tensor(input, "inner", "input")
    b = _tensor(other, "inner", "other")
    if a.data.ndim == 0 or b.data.ndim == 0:
        from .arithmetic import mul

        return mul(a, b)
    if a.data.shape[-1] != b.data.shape[-1]:
        raise RuntimeError(f"inner: the last dimensions of the inputs must match, got "
                           f"{a.data.shape[-1]} and {b.data.shape[-1]} (shapes {_shape(a)} and "
                           f"{_shape(b)})")
    return tensordot(a, b, dims=([a.data.ndim - 1], [b.data.ndim - 1]), _op="inner")


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors: ``out[i, j] = a[i] * b[j]`` (dtypes promote)."""
    a = _tensor(input, "outer", "input")
    b = _tensor(vec2, "outer", "vec2")
    if a.data.ndim != 1 or b.data.ndim != 1:
        bad, arg = (a, "input") if a.data.ndim != 1 else (b, "vec2")
        raise RuntimeError(f"outer: expected 1-D argument '{arg}', but got {bad.data.ndim}-D "
                           f"(shape {_shape(bad)})")
    check_same_device("outer", a, b)
    if a.data.dtype != b.data.dtype:
        rt = backend.result_type(a, b)
        a, b = cast(a, rt) if a.data.dtype != rt else a, cast(b, rt) if b.data.dtype != rt else b
    return Outer.apply(a, b)


ger = outer


def _addmatmul(op: str, input: Any, m1: Tensor, m2: Tensor, beta: Any, alpha: Any) -> Tensor:
    inp = _tensor(input, op, "input")
    _check_matmul(op, m1, m2)
    _check_dtypes(op, inp, m1)
    if m2.data.ndim == 1:  # addmv
        out_shape = tuple(m1.data.shape[:-1])
    else:
        out_shape = tuple(m1.data.shape[:-1]) + tuple(m2.data.shape[-1:])
    try:
        ok = np.broadcast_shapes(inp.data.shape, out_shape) == out_shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{op}: input of shape {_shape(inp)} cannot be broadcast to the "
                           f"product's shape {out_shape} (mat1 {_shape(m1)}, mat2 {_shape(m2)})")
    dt = m1.data.dtype
    beta = _scalar(beta, op, "beta", dt)
    alpha = _scalar(alpha, op, "alpha", dt)
    return AddMatmul.apply(inp, m1, m2, beta, alpha)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; ``mat1`` (n, k), ``mat2`` (k, m), ``input``
    broadcastable to (n, m). With ``beta == 0`` the input is ignored (NaNs do not propagate).

    Example:
        >>> import lightgrad
        >>> lightgrad.addmm(lightgrad.ones(2), lightgrad.eye(2), lightgrad.eye(2), alpha=2)
        tensor([[3., 1.],
                [1., 3.]])
    """
    m1 = _tensor(mat1, "addmm", "mat1")
    m2 = _tensor(mat2, "addmm", "mat2")
    _check_ndim("addmm", m1, "mat1", 2)
    _check_ndim("addmm", m2, "mat2", 2)
    return _addmatmul("addmm", input, m1, m2, beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``; ``mat`` (n, k), ``vec`` (k,), ``input``
    broadcastable to (n,)."""
    m1 = _tensor(mat, "addmv", "mat")
    m2 = _tensor(vec, "addmv", "vec")
    _check_ndim("addmv", m1, "mat", 2)
    _check_ndim("addmv", m2, "vec", 1)
    return _addmatmul("addmv", input, m1, m2, beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
            alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``; ``batch1`` (B, n, k), ``batch2``
    (B, k, m), ``input`` broadcastable to (B, n, m)."""
    m1 = _tensor(batch1, "baddbmm", "batch1")
    m2 = _tensor(batch2, "baddbmm", "batch2")
    _check_ndim("baddbmm", m1, "batch1", 3)
    _check_ndim("baddbmm", m2, "batch2", 3)
    if m1.data.shape[0] != m2.data.shape[0]:
        raise RuntimeError(f"baddbmm: batch sizes must match, but got {m1.data.shape[0]} and "
                           f"{m2.data.shape[0]} (shapes {_shape(m1)} and {_shape(m2)})")
    return _addmatmul("baddbmm", input, m1, m2, beta, alpha)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map ``y = x W^T + b`` as one fused primitive (the MLP hot path).

    Args:
        input: ``(*, in_features)``.
        weight: ``(out_features, in_features)`` (or ``(in_features,)``: ``y = x @ w``).
        bias: ``(out_features,)``, or anything broadcastable to it; optional.

    Shape:
        Output ``(*, out_features)`` (``(*)`` for a 1-D weight).

    Raises:
        RuntimeError: a feature-count mismatch (naming both shapes), different dtypes, a bias
            that does not broadcast to the output.

    Example:
        >>> import lightgrad
        >>> x = lightgrad.ones(2, 3)
        >>> lightgrad.linear(x, lightgrad.ones(4, 3), lightgrad.tensor([0.0, 1.0, 2.0, 3.0]))
        tensor([[3., 4., 5., 6.],
                [3., 4., 5., 6.]])
    """
    x = _tensor(input, "linear", "input")
    w = _tensor(weight, "linear", "weight")
    b = None if bias is None else _tensor(bias, "linear", "bias")
    xs, ws = _shape(x), _shape(w)
    if not xs or not ws:
        raise RuntimeError(f"linear: both arguments need to be at least 1D, but they are "
                           f"{len(xs)}D and {len(ws)}D (input shape {xs}, weight shape {ws})")
    if len(ws) > 2:
        raise RuntimeError(f"linear: weight must be 1-D or 2-D (out_features, in_features), got "
                           f"shape {ws}")
    if xs[-1] != ws[-1]:
        raise RuntimeError(f"linear: input has {xs[-1]} features but weight expects {ws[-1]} "
                           f"(input shape {xs}, weight shape {ws})")
    _check_dtypes("linear", x, w) if b is None else _check_dtypes("linear", x, w, b)
    if len(ws) == 1:
        if b is not None:
            raise RuntimeError(f"linear: a 1-D weight (shape {ws}) does not take a bias; use a "
                               "2-D weight (out_features, in_features)")
        return Matmul.apply(x, w)
    if b is not None:
        out_shape = xs[:-1] + ws[:1]
        bs = _shape(b)
        ok = bs == ws[:1]
        if not ok:
            try:
                ok = np.broadcast_shapes(bs, ws[:1]) == ws[:1]
            except ValueError:
                ok = False
        if not ok:
            raise RuntimeError(f"linear: bias of shape {bs} cannot be broadcast to the output "
                               f"shape {out_shape} (weight shape {ws})")
    return Linear.apply(x, w, b)


# ----------------------------------------------------------------------------- einsum
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # torch's label order


class _EinsumSpec:
    """An einsum equation made explicit: ellipses and size-1 broadcast dims renamed to
    letters of their own, the output spelled out."""

    __slots__ = ("inputs", "output", "sizes", "equation", "optimize")

    def __init__(self, inputs: list[str], output: str, sizes: dict, optimize: bool) -> None:
        self.inputs = inputs
        self.output = output
        self.sizes = sizes
        self.equation = ",".join(inputs) + "->" + output
        self.optimize = optimize


def _parse_term(term: str, pos: int, what: str) -> tuple[list[str], int | None]:
    """Labels of one term and the index of its ellipsis (None without one)."""
    labels: list[str] = []
    ell = None
    i = 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if term[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for {what} that is not part of any "
                                   "ellipsis")
            if ell is not None:
                raise RuntimeError(f"einsum(): found '.' for {what} but an ellipsis (...) was "
                                   "already found")
            ell = len(labels)
            i += 3
            continue
        if c not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index {pos + i} in the "
                               "equation string, subscripts must be in [a-zA-Z]")
        labels.append(c)
        i += 1
    return labels, ell


def _einsum_spec(equation: str, shapes: list[tuple]) -> _EinsumSpec:
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->", 1)
        bad = [i for i, c in enumerate(rhs) if c in "->"]
        if bad:
            raise RuntimeError(f"einsum(): invalid subscript given at index "
                               f"{len(lhs) + 2 + bad[0]} in the equation string, subscripts "
                               f"must be in [a-zA-Z]")
    else:
        lhs, rhs = eq, None
    terms = lhs.split(",")
    if len(terms) < len(shapes):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the "
                           f"equation {equation!r} ({len(shapes)} operands, {len(terms)} terms)")
    if len(terms) > len(shapes):
        raise RuntimeError(f"einsum(): fewer operands were provided than specified in the "
                           f"equation {equation!r} ({len(shapes)} operands, {len(terms)} terms)")
    parsed = []
    pos = 0
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        labels, ell = _parse_term(term, pos, f"operand {k}")
        pos += len(term) + 1
        n = len(shape)
        if ell is None and len(labels) != n:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(labels)}) does not match the number of dimensions ({n}) "
                               f"for operand {k} and no ellipsis was given")
        if ell is not None and len(labels) > n:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(labels)}) is more than the number of dimensions ({n}) "
                               f"for operand {k}")
        parsed.append((labels, ell))
    out_parsed = None
    if rhs is not None:
        out_parsed = _parse_term(rhs, len(lhs) + 2, "output")
    used = set(lhs) | set(rhs or "")
    free = [c for c in _LETTERS if c not in used]
    n_ell = max((len(s) - len(lab) for (lab, e), s in zip(parsed, shapes) if e is not None),
                default=0)
    if n_ell > len(free):
        raise RuntimeError(f"einsum(): too many dimensions: at most {len(_LETTERS)} distinct "
                           "subscripts are supported")
    ell_letters = free[:n_ell]
    free = free[n_ell:]
    # expand ellipses (right-aligned, they broadcast like a batch)
    in_terms: list[list[str]] = []
    for (labels, ell), shape in zip(parsed, shapes):
        if ell is None:
            in_terms.append(labels)
        else:
            d = len(shape) - len(labels)
            in_terms.append(labels[:ell] + ell_letters[n_ell - d:] + labels[ell:])
    # sizes: repeated within one operand must agree exactly; across operands size 1 broadcasts
    sizes: dict[str, int] = {}
    for k, (labs, shape) in enumerate(zip(in_terms, shapes)):
        own: dict[str, int] = {}
        for c, s in zip(labs, shape):
            if c in own and own[c] != s:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the "
                                   f"sizes don't match, {s} != {own[c]}")
            own[c] = s
        for c, s in own.items():
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = s
            elif s != 1 and s != prev:
                what = "an ellipsis dimension" if c in ell_letters else f"subscript {c}"
                raise RuntimeError(f"einsum(): {what} has size {s} for operand {k} which does "
                                   f"not broadcast with previously seen size {prev} (operand "
                                   f"shapes {[tuple(x) for x in shapes]})")
    # output
    if out_parsed is None:
        counts: dict[str, int] = {}
        for labs in in_terms:
            for c in labs:
                counts[c] = counts.get(c, 0) + 1
        output = ell_letters + sorted(c for c, n in counts.items()
                                      if n == 1 and c not in ell_letters)
    else:
        labels, ell = out_parsed
        seen: set[str] = set()
        for c in labels:
            if c in seen:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in "
                                   "the output")
            seen.add(c)
            if c not in sizes:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   "equation for any input operand")
        output = labels if ell is None else labels[:ell] + ell_letters + labels[ell:]
    # a size-1 dim broadcast against a larger one gets a letter of its own in its operand:
    # summing over a size-1 axis is the broadcast, and the backward stays a plain einsum
    renamed = []
    for labs, shape in zip(in_terms, shapes):
        mapping: dict[str, str] = {}
        for c, s in zip(labs, shape):
            if s == 1 and sizes[c] != 1 and c not in mapping:
                if not free:
                    raise RuntimeError("einsum(): too many broadcast dimensions: at most "
                                       f"{len(_LETTERS)} distinct subscripts are supported")
                mapping[c] = free.pop(0)
        renamed.append("".join(mapping.get(c, c) for c in labs))
        for c in mapping.values():
            sizes[c] = 1
    return _EinsumSpec(renamed, "".join(output), sizes, optimize=False)


def _sublist_to_equation(args: tuple) -> tuple[str, list]:
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` -> ``('AB,BC->AC', [op1, op2])``."""
    def term(sub: Any) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int | np.integer) and 0 <= s < len(_LETTERS):
                out.append(_LETTERS[int(s)])
            else:
                raise ValueError(f"einsum(): subscript in subscript list is not within the valid "
                                 f"range [0, {len(_LETTERS)}), got {s!r}")
        return "".join(out)

    ops, terms = [], []
    i = 0
    while i + 1 < len(args) and isinstance(args[i], Tensor):
        ops.append(args[i])
        terms.append(term(args[i + 1]))
        i += 2
    eq = ",".join(terms)
    if i < len(args):
        eq += "->" + term(args[i])
        i += 1
    if i != len(args):
        raise ValueError("einsum(): in the sublist format, arguments must alternate operand and "
                         "subscript list, with an optional output subscript list at the end")
    return eq, ops


def einsum(*args: Any) -> Tensor:
    """Einstein summation ``einsum(equation, *operands)`` (``torch.einsum``).

    Subscripts are letters; ``'...'`` stands for broadcast dims; without ``'->'`` the output
    is the ellipsis dims then the subscripts that appear once, in alphabetical order. Size-1
    dims broadcast. Repeated subscripts in one operand take a diagonal (``'ii->i'``) and are
    differentiable. Operands may also be given as one list, or in the sublist format
    ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``. Three or more operands are contracted in an
    optimized order.

    Example:
        >>> import lightgrad
        >>> a = lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> lightgrad.einsum("ij,j->i", a, lightgrad.tensor([1.0, 1.0]))
        tensor([3., 7.])
        >>> lightgrad.einsum("ii", a)
        tensor(5.)
    """
    if not args:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], str):
        equation = args[0]
        ops = list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], list | tuple):
            ops = list(ops[0])
    elif isinstance(args[0], Tensor):
        equation, ops = _sublist_to_equation(args)
    else:
        raise TypeError(f"einsum(): the first argument must be the equation string or an "
                        f"operand, got {type(args[0]).__name__}")
    if not ops:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    for k, t in enumerate(ops):
        _tensor(t, "einsum", f"operands[{k}]")
    spec = _einsum_spec(equation, [tuple(t.data.shape) for t in ops])
    if len(ops) > 1:
        _einsum_dtypes(ops)
    spec.optimize = len(ops) >= 3 or (len(ops) == 2 and _big(ops))
    return Einsum.apply(spec, *ops)


def _einsum_dtypes(ops: list) -> None:
    check_same_device("einsum", *ops)
    d0 = ops[0].data.dtype
    for k, t in enumerate(ops[1:], 1):
        if t.data.dtype != d0:
            raise RuntimeError(f"einsum(): expected all operands to have the same dtype (scalar "
                               f"type), but operand 0 is {d0} and operand {k} is {t.data.dtype}")
    if d0.kind == "b":
        raise NotImplementedError("einsum(): not implemented for 'Bool' operands")


def _big(ops: list) -> bool:
    # NumPy's optimized path reaches BLAS (tensordot) for pure contractions; its planning costs
    # ~10-30 us, worth it only when the operands are not tiny
    return sum(t.data.size for t in ops) >= 4096


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, *, _op: str = "tensordot") -> Tensor:
    """Contract ``a`` and ``b`` over ``dims``: an int ``n`` (last ``n`` of ``a`` with first ``n``
    of ``b``) or a pair of dim lists; the output is a's free dims then b's free dims."""
    a = _tensor(a, _op, "a")
    b = _tensor(b, _op, "b")
    na, nb = a.data.ndim, b.data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int | np.integer):
        if dims < 0:
            raise RuntimeError(f"{_op}: expects dims >= 0, but got dims={dims}")
        if dims > na or dims > nb:
            raise RuntimeError(f"{_op}: dims={dims} exceeds the number of dimensions of the "
                               f"inputs (shapes {_shape(a)} and {_shape(b)})")
        da, db = list(range(na - int(dims), na)), list(range(int(dims)))
    else:
        try:
            d0, d1 = dims
            da = [int(d0)] if isinstance(d0, int | np.integer) else [int(d) for d in d0]
            db = [int(d1)] if isinstance(d1, int | np.integer) else [int(d) for d in d1]
        except (TypeError, ValueError):
            raise TypeError(f"{_op}: dims must be an int or a pair of dim lists, got "
                            f"{dims!r}") from None
        if len(da) != len(db):
            raise RuntimeError(f"{_op}: both dimension lists should have same length, got "
                               f"{len(da)} and {len(db)}")
        from .operands import wrap_dim

        da = [wrap_dim(d, na, _op, "dims") for d in da]
        db = [wrap_dim(d, nb, _op, "dims") for d in db]
    for i, j in zip(da, db):
        if a.data.shape[i] != b.data.shape[j]:
            raise RuntimeError(f"{_op}: contracted dimensions need to match, but first has size "
                               f"{a.data.shape[i]} in dim {i} and second has size "
                               f"{b.data.shape[j]} in dim {j} (shapes {_shape(a)} and "
                               f"{_shape(b)})")
    if len(set(da)) != len(da) or len(set(db)) != len(db):
        raise RuntimeError(f"{_op}: a dim appears multiple times in dims {dims!r}")
    if na + nb - len(da) > len(_LETTERS):
        raise RuntimeError(f"{_op}: too many dimensions (at most {len(_LETTERS)} in total)")
    _check_dtypes(_op, a, b)
    ta = list(_LETTERS[:na])
    rest = iter(_LETTERS[na:])
    tb = [ta[da[db.index(j)]] if j in db else next(rest) for j in range(nb)]
    out = [c for i, c in enumerate(ta) if i not in da] + \
        [c for j, c in enumerate(tb) if j not in db]
    sizes = {c: s for c, s in zip(ta, a.data.shape)}
    sizes.update({c: s for c, s in zip(tb, b.data.shape)})
    spec = _EinsumSpec(["".join(ta), "".join(tb)], "".join(out), sizes, optimize=True)
    return Einsum.apply(spec, a, b)


# ----------------------------------------------------------------------------- Tensor methods
def _matmul_op(self: Tensor, other: Any) -> Any:
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


def _rmatmul_op(self: Tensor, other: Any) -> Any:
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


_METHODS = {"__matmul__": _matmul_op, "__rmatmul__": _rmatmul_op}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
for _name in ("matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm",
              "addmv", "baddbmm"):
    setattr(Tensor, _name, globals()[_name])


def _addmm_(self: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    return inplace(self, lambda s, m1, m2: addmm(s, m1, m2, beta=beta, alpha=alpha), mat1, mat2,
                   op="addmm_")


def _addmv_(self: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    return inplace(self, lambda s, m, v: addmv(s, m, v, beta=beta, alpha=alpha), mat, vec,
                   op="addmv_")


def _baddbmm_(self: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
              alpha: Any = 1) -> Tensor:
    return inplace(self, lambda s, b1, b2: baddbmm(s, b1, b2, beta=beta, alpha=alpha), batch1,
                   batch2, op="baddbmm_")


Tensor.addmm_ = _addmm_  # type: ignore[attr-defined]
Tensor.addmv_ = _addmv_  # type: ignore[attr-defined]
Tensor.baddbmm_ = _baddbmm_  # type: ignore[attr-defined]
del _name, _fn
