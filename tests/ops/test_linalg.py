"""Parity of the linear-algebra ops (lightgrad/ops/linalg.py) with PyTorch."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lightgrad
from tests.helpers import OpCase, case_id, check_case, check_raises, tol, torch

# helpers.py mirrors N-D transposed inputs into torch with `.T`, which torch deprecates
pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning")]


def n(*shape):
    return lambda r: r.standard_normal(shape)


def _ints(*shapes):
    return lambda r: [r.integers(-5, 5, s) for s in shapes]


def _normals(*shapes):
    return lambda r: [r.standard_normal(s) for s in shapes]


def _mm(lib, a, b):
    return a @ b


M = ("Matmul",)

MATMUL_CASES = [
    OpCase("mm_2d_2d", _mm, _normals((3, 4), (4, 5)), covers=M, kind="matmul"),
    OpCase("dot_1d_1d", _mm, _normals((4,), (4,)), covers=M, kind="matmul"),
    OpCase("vec_mat_1d_2d", _mm, _normals((4,), (4, 3)), covers=M, kind="matmul"),
    OpCase("mat_vec_2d_1d", _mm, _normals((3, 4), (4,)), covers=M, kind="matmul"),
    OpCase("vec_batched_1d_3d", _mm, _normals((3,), (2, 3, 2)), covers=M, kind="matmul"),
    OpCase("batched_vec_3d_1d", _mm, _normals((2, 3, 4), (4,)), covers=M, kind="matmul"),
    OpCase("batched_4d_1d", _mm, _normals((2, 1, 2, 3), (3,)), covers=M, kind="matmul"),
    OpCase("batched_3d_3d", _mm, _normals((2, 2, 3), (2, 3, 2)), covers=M, kind="matmul"),
    # a (3, 4) weight used against (B, T, 3) inputs: its gradient is summed over B and T
    OpCase("weight_3d_2d", _mm, _normals((2, 3, 3), (3, 4)), covers=M, kind="matmul"),
    OpCase("weight_4d_2d", _mm, _normals((2, 2, 1, 3), (3, 2)), covers=M, kind="matmul"),
    OpCase("mat_2d_batched_3d", _mm, _normals((2, 3), (3, 3, 2)), covers=M, kind="matmul"),
    OpCase("broadcast_batch_4d_3d", _mm, _normals((2, 1, 2, 3), (3, 3, 2)), covers=M,
           kind="matmul"),
    OpCase("broadcast_size1_batch", _mm, _normals((1, 2, 3), (3, 3, 2)), covers=M,
           kind="matmul"),
    OpCase("broadcast_both_sides", _mm, _normals((2, 1, 2, 2), (1, 3, 2, 2)), covers=M,
           kind="matmul"),
    OpCase("size0_inner", _mm, _normals((3, 0), (0, 4)), covers=M, kind="matmul"),
    OpCase("size0_rows", _mm, _normals((0, 4), (4, 3)), covers=M, kind="matmul"),
    OpCase("size0_batch_weight", _mm, _normals((0, 3, 4), (4, 2)), covers=M, kind="matmul"),
    OpCase("size0_batch_bcast", _mm, _normals((0, 1, 2, 3), (2, 3, 2)), covers=M,
           kind="matmul"),
    OpCase("size0_1d_dot", _mm, _normals((0,), (0,)), covers=M, kind="matmul"),
    OpCase("transposed_both", _mm, lambda r: [r.standard_normal((4, 3)).T,
                                              r.standard_normal((5, 4)).T],
           covers=M, kind="matmul"),
    OpCase("transposed_batched", _mm,
           lambda r: [r.standard_normal((2, 3, 2)).transpose(0, 2, 1),
                      r.standard_normal((2, 3, 2)).transpose(2, 1, 0)],
           covers=M, kind="matmul"),
    OpCase("matmul_fn", lambda lib, a, b: lib.matmul(a, b), _normals((2, 2, 3), (3, 2)),
           covers=M, kind="matmul"),
    OpCase("matmul_kw", lambda lib, a, b: lib.matmul(input=a, other=b),
           _normals((2, 3), (3, 2)), covers=M, kind="matmul"),
    OpCase("matmul_method", lambda lib, a, b: a.matmul(b), _normals((3,), (3, 2)), covers=M,
           kind="matmul"),
    OpCase("rmatmul_dunder", lambda lib, a, b: b.__rmatmul__(a), _normals((2, 3), (3, 2)),
           covers=M, kind="matmul"),
    OpCase("same_operand_twice", lambda lib, a: a @ a, _normals((3, 3)), covers=M,
           kind="matmul"),
    OpCase("int64_2d", _mm, _ints((3, 4), (4, 2)), covers=M),
    OpCase("int64_batched_bcast", _mm, _ints((2, 1, 3, 4), (3, 4, 2)), covers=M),
    OpCase("int64_1d_1d", _mm, _ints((5,), (5,)), covers=M),
    OpCase("int32_2d", _mm, lambda r: [r.integers(-5, 5, (3, 4)).astype(np.int32),
                                       r.integers(-5, 5, (4, 2)).astype(np.int32)], covers=M),
    OpCase("one_side_needs_grad", _mm, _normals((2, 3, 3), (3, 2)), covers=M, kind="matmul",
           nondiff=(0,)),
    OpCase("other_side_needs_grad", _mm, _normals((2, 3), (2, 3, 2)), covers=M, kind="matmul",
           nondiff=(1,)),
]

NAMED_CASES = [
    OpCase("mm", lambda lib, a, b: lib.mm(a, b), _normals((3, 4), (4, 2)), covers=M,
           kind="matmul"),
    OpCase("mm_method_T", lambda lib, a, b: a.mm(b),
           lambda r: [r.standard_normal((4, 3)).T, r.standard_normal((4, 2))], covers=M,
           kind="matmul"),
    OpCase("mm_int", lambda lib, a, b: lib.mm(a, b), _ints((3, 4), (4, 2)), covers=M),
    OpCase("bmm", lambda lib, a, b: lib.bmm(a, b), _normals((2, 2, 3), (2, 3, 2)), covers=M,
           kind="matmul"),
    OpCase("bmm_method_size0", lambda lib, a, b: a.bmm(b), _normals((0, 2, 3), (0, 3, 2)),
           covers=M, kind="matmul"),
    OpCase("mv", lambda lib, a, b: lib.mv(a, b), _normals((3, 4), (4,)), covers=M,
           kind="matmul"),
    OpCase("mv_method_T", lambda lib, a, b: a.mv(b), lambda r: [r.standard_normal((4, 3)).T,
                                                                 r.standard_normal(4)],
           covers=M, kind="matmul"),
    OpCase("dot", lambda lib, a, b: lib.dot(a, b), _normals((5,), (5,)), covers=M,
           kind="matmul"),
    OpCase("dot_method_int", lambda lib, a, b: a.dot(b), _ints((5,), (5,)), covers=M),
    OpCase("vdot", lambda lib, a, b: lib.vdot(a, b), _normals((4,), (4,)), covers=M,
           kind="matmul"),
    OpCase("inner_nd", lambda lib, a, b: lib.inner(a, b), _normals((2, 3), (2, 2, 3)),
           covers=("Einsum",), kind="matmul"),
    OpCase("inner_method_1d", lambda lib, a, b: a.inner(b), _normals((3,), (3,)),
           covers=("Einsum",), kind="matmul"),
    OpCase("outer", lambda lib, a, b: lib.outer(a, b), _normals((3,), (4,)), covers=("Outer",),
           kind="matmul"),
    OpCase("outer_method_size0", lambda lib, a, b: a.outer(b), _normals((0,), (4,)),
           covers=("Outer",), kind="matmul"),
    OpCase("ger", lambda lib, a, b: lib.ger(a, b), _normals((2,), (3,)), covers=("Outer",),
           kind="matmul"),
    OpCase("outer_int", lambda lib, a, b: lib.outer(a, b), _ints((3,), (2,)),
           covers=("Outer",)),
    OpCase("outer_int_float_promotes", lambda lib, a, b: lib.outer(a, b),
           lambda r: [r.integers(-5, 5, 3), r.standard_normal(2)], covers=("Outer",),
           kind="matmul"),
]

A = ("AddMatmul",)
ADD_CASES = [
    OpCase("addmm", lambda lib, i, a, b: lib.addmm(i, a, b), _normals((3, 2), (3, 4), (4, 2)),
           covers=A, kind="matmul"),
    OpCase("addmm_bcast_row_kw", lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.5, alpha=-2.0),
           _normals((2,), (3, 4), (4, 2)), covers=A, kind="matmul"),
    OpCase("addmm_0d_input", lambda lib, i, a, b: lib.addmm(i, a, b, alpha=3),
           _normals((), (2, 3), (3, 2)), covers=A, kind="matmul"),
    OpCase("addmm_bcast_col_T", lambda lib, i, a, b: i.addmm(a, b, beta=2),
           lambda r: [r.standard_normal((3, 1)), r.standard_normal((4, 3)).T,
                      r.standard_normal((2, 4)).T], covers=A, kind="matmul"),
    # beta=0: the input is ignored (its NaNs must not reach the output); its gradient is zero
    OpCase("addmm_beta0_nan_input", lambda lib, i, a, b: lib.addmm(i, a, b, beta=0),
           lambda r: [np.full((3, 2), np.nan), r.standard_normal((3, 4)),
                      r.standard_normal((4, 2))], covers=A, kind="matmul", nondiff=(0,)),
    OpCase("addmm_beta0_grad", lambda lib, i, a, b: lib.addmm(i, a, b, beta=0),
           _normals((3, 2), (3, 4), (4, 2)), covers=A, kind="matmul"),
    OpCase("addmm_size0_inner", lambda lib, i, a, b: lib.addmm(i, a, b),
           _normals((3, 2), (3, 0), (0, 2)), covers=A, kind="matmul"),
    OpCase("addmm_int", lambda lib, i, a, b: lib.addmm(i, a, b, beta=2, alpha=3),
           _ints((3, 2), (3, 4), (4, 2)), covers=A),
    OpCase("addmm_int_float_scalars_truncate", lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.6,
                                                                                alpha=1.5),
           _ints((3, 2), (3, 4), (4, 2)), covers=A),
    OpCase("addmm_inplace", lambda lib, i, a, b: (i * 1).addmm_(a, b, beta=0.5, alpha=2),
           _normals((3, 2), (3, 4), (4, 2)), covers=A, kind="matmul"),
    OpCase("addmv", lambda lib, i, a, b: lib.addmv(i, a, b), _normals((3,), (3, 4), (4,)),
           covers=A, kind="matmul"),
    OpCase("addmv_bcast_kw", lambda lib, i, a, b: i.addmv(a, b, beta=-1, alpha=0.5),
           _normals((1,), (3, 4), (4,)), covers=A, kind="matmul"),
    OpCase("addmv_inplace", lambda lib, i, a, b: (i * 1).addmv_(a, b, alpha=2),
           _normals((3,), (3, 4), (4,)), covers=A, kind="matmul"),
    OpCase("baddbmm", lambda lib, i, a, b: lib.baddbmm(i, a, b), _normals((2, 2, 2), (2, 2, 3),
                                                                             (2, 3, 2)),
           covers=A, kind="matmul"),
    OpCase("baddbmm_bcast_kw", lambda lib, i, a, b: i.baddbmm(a, b, beta=0.5, alpha=2),
           _normals((2, 1), (2, 2, 3), (2, 3, 2)), covers=A, kind="matmul"),
    OpCase("baddbmm_inplace", lambda lib, i, a, b: (i * 1).baddbmm_(a, b, beta=2),
           _normals((2, 2, 2), (2, 2, 3), (2, 3, 2)), covers=A, kind="matmul"),
]

L = ("Linear",)


def _lin(lib):
    # lightgrad.nn.functional re-exports linear once the lead wires it; until then the top level
    return getattr(lib.nn.functional, "linear", None) or lib.linear


def _linear(lib, x, w, b=None):
    return _lin(lib)(x, w, b)


LINEAR_CASES = [
    OpCase("linear_2d", _linear, _normals((4, 3), (2, 3), (2,)), covers=L, kind="matmul"),
    OpCase("linear_3d_input", _linear, _normals((2, 3, 3), (2, 3), (2,)), covers=L,
           kind="matmul"),
    OpCase("linear_1d_input", _linear, _normals((3,), (4, 3), (4,)), covers=L, kind="matmul"),
    # one row (batch 1) takes the matrix-vector product path
    OpCase("linear_one_row", _linear, _normals((1, 5), (4, 5), (4,)), covers=L, kind="matmul"),
    OpCase("linear_one_row_3d_transposed_weight", _linear,
           lambda r: [r.standard_normal((1, 1, 3)), r.standard_normal((3, 4)).T,
                      r.standard_normal(4)], covers=L, kind="matmul"),
    OpCase("linear_no_bias", lambda lib, x, w: _lin(lib)(x, w),
           _normals((4, 3), (2, 3)), covers=L, kind="matmul"),
    OpCase("linear_kw", lambda lib, x, w, b: _lin(lib)(input=x, weight=w, bias=b),
           _normals((2, 3), (2, 3), (2,)), covers=L, kind="matmul"),
    OpCase("linear_0d_bias", _linear, _normals((4, 3), (2, 3), ()), covers=L, kind="matmul"),
    OpCase("linear_size1_bias", _linear, _normals((4, 3), (2, 3), (1,)), covers=L,
           kind="matmul"),
    OpCase("linear_transposed", _linear, lambda r: [r.standard_normal((3, 4)).T,
                                                    r.standard_normal((3, 2)).T,
                                                    r.standard_normal(2)],
           covers=L, kind="matmul"),
    OpCase("linear_size0_rows", _linear, _normals((0, 3), (2, 3), (2,)), covers=L,
           kind="matmul"),
    OpCase("linear_size0_batch_3d", _linear, _normals((2, 0, 3), (2, 3), (2,)), covers=L,
           kind="matmul"),
    OpCase("linear_size0_features", _linear, _normals((4, 0), (2, 0), (2,)), covers=L,
           kind="matmul"),
    OpCase("linear_only_weight_grad", _linear, _normals((4, 3), (2, 3), (2,)), covers=L,
           kind="matmul", nondiff=(0, 2)),
    OpCase("linear_1d_weight", lambda lib, x, w: _lin(lib)(x, w),
           _normals((4, 3), (3,)), covers=M, kind="matmul"),
    OpCase("linear_int64", _linear, _ints((4, 3), (2, 3), (2,)), covers=L),
    OpCase("linear_top_level", lambda lib, x, w, b: lib.linear(x, w, b),
           _normals((2, 3), (2, 3), (2,)), covers=L, kind="matmul",
           torch_fn=lambda lib, x, w, b: lib.nn.functional.linear(x, w, b)),
]

E = ("Einsum",)


def _es(eq, *shapes, **kw):
    return OpCase(f"einsum[{eq}]", lambda lib, *xs: lib.einsum(eq, *xs), _normals(*shapes),
                  covers=E, kind="matmul", **kw)


EINSUM_CASES = [
    _es("ij,jk->ik", (3, 4), (4, 2)),
    _es("bij,bjk->bik", (2, 2, 3), (2, 3, 2)),
    _es("i,i->", (5,), (5,)),
    _es("ij->ji", (3, 4)),
    _es("ij->", (3, 4)),
    _es("ij->i", (3, 4)),
    _es("...ij,...jk->...ik", (2, 2, 3), (2, 3, 2)),
    _es("...ij,...jk", (2, 1, 2, 3), (3, 3, 2)),  # implicit output, broadcast ellipsis
    _es("bi,bj->bij", (2, 3), (2, 4)),
    _es("ij,jk", (2, 3), (3, 2)),  # implicit output
    _es("ba,ca", (2, 3), (4, 3)),  # implicit output is sorted: 'bc'
    _es("ii->i", (3, 3)),
    _es("ii", (4, 4)),  # trace
    _es("iij->ij", (3, 3, 2)),
    _es("iji->j", (2, 3, 2)),
    _es("ii,i->i", (3, 3), (3,)),
    _es("ij,jk,kl->il", (2, 3), (3, 2), (2, 3)),
    _es("i,j,k->ijk", (2,), (3,), (2,)),
    _es("bij,jk,bk->bi", (2, 2, 3), (3, 2), (2, 2)),
    _es("i,i", (1,), (4,)),  # size-1 subscripts broadcast
    _es("ij,ij->ij", (3, 1), (1, 4)),
    _es("i...,...", (2, 1, 3), (4, 3)),
    _es("...ij->ij", (2, 3, 2)),  # ellipsis absent from an explicit output: summed
    _es("ij->...ij", (3, 2)),
    _es("ij,jk->ik", (3, 0), (0, 2)),
    _es("ij,jk->ik", (0, 3), (3, 2)),
    _es("ij,kl->ijkl", (2, 2), (1, 3)),
    _es(" i j , j k -> i k ", (2, 3), (3, 2)),  # spaces are ignored
    _es("", ()),
    _es("i,->i", (3,), ()),
    _es("AbB,bc->Ac", (2, 3, 1), (3, 2)),
    OpCase("einsum_list_operands", lambda lib, a, b: lib.einsum("ij,jk->ik", [a, b]),
           _normals((2, 3), (3, 2)), covers=E, kind="matmul"),
    OpCase("einsum_sublist", lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2], [0, 2]),
           _normals((2, 3), (3, 2)), covers=E, kind="matmul"),
    OpCase("einsum_sublist_ellipsis", lambda lib, a, b: lib.einsum(a, [..., 0], b, [0, 1]),
           _normals((2, 2, 3), (3, 2)), covers=E, kind="matmul"),
    OpCase("einsum_transposed", lambda lib, a, b: lib.einsum("ij,jk->ki", a, b),
           lambda r: [r.standard_normal((3, 2)).T, r.standard_normal((2, 3)).T], covers=E,
           kind="matmul"),
    OpCase("einsum_int64", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), _ints((3, 4), (4, 2)),
           covers=E),
    OpCase("einsum_int64_diag", lambda lib, a: lib.einsum("ii->i", a), _ints((3, 3)), covers=E),
    OpCase("einsum_same_operand_twice", lambda lib, a: lib.einsum("ij,ij->", a, a),
           _normals((3, 4)), covers=E, kind="matmul"),
    # large enough to take NumPy's optimized (BLAS) path for two operands
    OpCase("einsum_big_two_operands", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b),
           _normals((40, 60), (60, 30)), covers=E, kind="matmul", gradcheck=False),
]

T = ("Einsum",)
TENSORDOT_CASES = [
    OpCase("tensordot_default", lambda lib, a, b: lib.tensordot(a, b),
           _normals((2, 3, 2), (3, 2, 2)), covers=T, kind="matmul"),
    OpCase("tensordot_int_dims", lambda lib, a, b: lib.tensordot(a, b, dims=1),
           _normals((2, 3), (3, 2)), covers=T, kind="matmul"),
    OpCase("tensordot_zero_dims_outer", lambda lib, a, b: lib.tensordot(a, b, dims=0),
           _normals((2, 2), (3,)), covers=T, kind="matmul"),
    OpCase("tensordot_lists", lambda lib, a, b: lib.tensordot(a, b, dims=([1, 0], [0, 2])),
           _normals((3, 2, 2), (2, 2, 3)), covers=T, kind="matmul"),
    OpCase("tensordot_negative_dims", lambda lib, a, b: lib.tensordot(a, b, dims=([-1], [0])),
           _normals((2, 3), (3, 2)), covers=T, kind="matmul"),
    OpCase("tensordot_int", lambda lib, a, b: lib.tensordot(a, b, dims=1), _ints((2, 3), (3, 2)),
           covers=T),
]


@pytest.mark.parametrize("case", MATMUL_CASES + NAMED_CASES + ADD_CASES + LINEAR_CASES +
                         EINSUM_CASES + TENSORDOT_CASES, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- strides
# helpers.py hands lightgrad C-contiguous copies, so the layouts BLAS cares about (transposed,
# sliced, negative and zero strides) are fed here as raw views instead.
STRIDED = [  # make(g): g(*shape) draws a contiguous array in the test's dtype
    ("matmul_T_T", _mm, lambda g: [g(4, 3).T, g(5, 4).T]),
    ("matmul_sliced", _mm, lambda g: [g(3, 8)[:, ::2], g(4, 6)[:, 1::2]]),
    ("matmul_negative_strides", _mm, lambda g: [g(3, 4)[::-1, ::-1], g(4, 2)[::-1]]),
    ("matmul_zero_strides", _mm, lambda g: [np.broadcast_to(g(1, 4), (3, 4)),
                                            np.broadcast_to(g(4, 1), (4, 2))]),
    ("batched_swapaxes", _mm, lambda g: [g(2, 3, 2).transpose(0, 2, 1),
                                         g(2, 2, 3).transpose(0, 2, 1)]),
    ("batched_sliced_bcast", _mm, lambda g: [g(2, 1, 3, 8)[..., ::2], g(3, 4, 2)]),
    ("weight_3d_permuted", _mm, lambda g: [g(3, 2, 4).transpose(1, 0, 2), g(2, 4).T]),
    ("mat_2d_batched_T", _mm, lambda g: [g(4, 3).T, g(2, 2, 4).transpose(0, 2, 1)]),
    ("vec_sliced", _mm, lambda g: [g(8)[::2], g(2, 4, 3)[:, :, ::-1]]),
    ("linear_T", _linear, lambda g: [g(3, 5).T, g(6, 4)[::2, 1:], g(6)[::2]]),
    ("linear_3d_permuted", _linear, lambda g: [g(3, 2, 4).transpose(1, 0, 2), g(4, 5).T, g(5)]),
    ("addmm_T", lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.5, alpha=2),
     lambda g: [g(2, 3).T, g(4, 3).T, g(4, 8)[:, ::4]]),
    ("baddbmm_permuted", lambda lib, i, a, b: lib.baddbmm(i, a, b),
     lambda g: [g(3, 3).T, g(3, 2, 2).transpose(1, 0, 2), g(2, 2, 3)[:, ::-1]]),
    ("outer_strided", lambda lib, a, b: lib.outer(a, b), lambda g: [g(6)[::2], g(4)[::-1]]),
    ("einsum_T", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b),
     lambda g: [g(3, 2).T, g(4, 3)[::-1].T]),
    ("einsum_diag_T", lambda lib, a: lib.einsum("ii->i", a), lambda g: [g(3, 3).T]),
    ("einsum_big_T", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b),
     lambda g: [g(60, 40).T, g(30, 60).T]),
]


@pytest.mark.parametrize("name,fn,make", STRIDED, ids=[s[0] for s in STRIDED])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_strided_inputs(name, fn, make, dtype, rng):
    views = make(lambda *shape: rng.standard_normal(shape).astype(dtype))
    assert any(not v.flags.c_contiguous for v in views)
    lg_in = []
    for v in views:
        t = lightgrad.Tensor._make(v)
        t.requires_grad = True
        lg_in.append(t)
    th_in = [torch.tensor(np.array(v), requires_grad=True) for v in views]
    lo, to = fn(lightgrad, *lg_in), fn(torch, *th_in)
    rtol, atol = tol("matmul", dtype)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    g = rng.standard_normal(tuple(to.shape)).astype(dtype)
    (lo * lightgrad.tensor(g)).sum().backward()
    (to * torch.from_numpy(g)).sum().backward()
    rtol, atol = tol("backward", dtype)
    for li, ti in zip(lg_in, th_in):
        assert li.grad.dtype == dtype
        np.testing.assert_allclose(li.grad.numpy(), ti.grad.numpy(), rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------- errors
f32 = np.float32


def _r(*shape, dtype=np.float64):
    return np.random.default_rng(0).standard_normal(shape).astype(dtype)


RAISES = [
    ("matmul_inner", _mm, [_r(2, 3), _r(4, 5)],
     r"matmul: mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ("matmul_inner_1d", _mm, [_r(3), _r(4)],
     r"matmul: mat1 and mat2 shapes cannot be multiplied \(1x3 and 4x1\).*\(3,\) and \(4,\)"),
    ("matmul_inner_2d_1d", _mm, [_r(2, 3), _r(4)], r"\(2x3 and 4x1\)"),
    ("matmul_inner_batched", _mm, [_r(7, 2, 3), _r(7, 4, 5)],
     r"\(2x3 and 4x5\).*\(7, 2, 3\) and \(7, 4, 5\)"),
    ("matmul_batch_bcast", _mm, [_r(7, 2, 3), _r(6, 3, 5)],
     r"matmul: the batch dimensions of shapes \(7, 2, 3\) and \(6, 3, 5\) cannot be broadcast"),
    ("matmul_0d_left", lambda lib, a, b: lib.matmul(a, b), [_r(), _r(3)],
     r"matmul: both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    ("matmul_0d_right", _mm, [_r(3), _r()], r"at least 1D.*1D and 0D"),
    ("matmul_dtype", _mm, [_r(2, 3), _r(3, 4, dtype=f32)],
     r"matmul: expected m1 and m2 to have the same dtype, but got: double != float"),
    ("matmul_dtype_int_float", _mm, [np.ones((2, 3), np.int64), _r(3, 4, dtype=f32)],
     r"same dtype, but got: long int != float"),
    ("matmul_dtype_batched", _mm, [_r(5, 2, 3), _r(3, 4, dtype=f32)], r"same dtype"),
    ("matmul_list", lambda lib, a: a @ [1.0, 2.0, 3.0], [_r(2, 3)], None),
    ("matmul_fn_list", lambda lib, a: lib.matmul(a, [1.0, 2.0, 3.0]), [_r(2, 3)],
     r"matmul: argument 'other' must be a Tensor"),
    ("mm_1d", lambda lib, a, b: lib.mm(a, b), [_r(3), _r(3, 4)],
     r"mm: expected 'input' to be a 2-D tensor, but got a 1-D tensor of shape \(3,\)"),
    ("mm_3d", lambda lib, a, b: lib.mm(a, b), [_r(2, 3), _r(2, 3, 4)], r"mm: .*'mat2'.*3-D"),
    ("mm_inner", lambda lib, a, b: lib.mm(a, b), [_r(2, 3), _r(4, 4)],
     r"mm: mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x4\)"),
    ("bmm_2d", lambda lib, a, b: lib.bmm(a, b), [_r(2, 3), _r(2, 3, 4)],
     r"bmm: expected 'input' to be a 3-D tensor"),
    ("bmm_batch", lambda lib, a, b: lib.bmm(a, b), [_r(2, 2, 3), _r(3, 3, 4)],
     r"bmm: batch sizes must match, but got 2 and 3"),
    ("bmm_inner", lambda lib, a, b: lib.bmm(a, b), [_r(2, 2, 3), _r(2, 4, 4)],
     r"bmm: mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x4\)"),
    ("mv_2d_vec", lambda lib, a, b: lib.mv(a, b), [_r(2, 3), _r(3, 1)],
     r"mv: expected 'vec' to be a 1-D tensor"),
    ("mv_size", lambda lib, a, b: lib.mv(a, b), [_r(2, 3), _r(4)], r"mv: .*\(2x3 and 4x1\)"),
    ("dot_size", lambda lib, a, b: lib.dot(a, b), [_r(3), _r(4)],
     r"dot: inconsistent tensor size.*3 and 4"),
    ("dot_2d", lambda lib, a, b: lib.dot(a, b), [_r(3, 1), _r(3)],
     r"dot: 1D tensors expected, but got 2D and 1D"),
    ("dot_dtype", lambda lib, a, b: lib.dot(a, b), [_r(3), _r(3, dtype=f32)],
     r"dot: expected both vectors to have same dtype, but found float64 and float32"),
    ("vdot_size", lambda lib, a, b: lib.vdot(a, b), [_r(3), _r(4)], r"vdot: inconsistent"),
    ("inner_size", lambda lib, a, b: lib.inner(a, b), [_r(2, 3), _r(4)],
     r"inner: the last dimensions of the inputs must match, got 3 and 4"),
    ("outer_2d", lambda lib, a, b: lib.outer(a, b), [_r(3, 1), _r(3)],
     r"outer: expected 1-D argument 'input', but got 2-D"),
    ("addmm_input_shape", lambda lib, i, a, b: lib.addmm(i, a, b), [_r(4), _r(2, 3), _r(3, 3)],
     r"addmm: input of shape \(4,\) cannot be broadcast to the product's shape \(2, 3\)"),
    ("addmm_input_bigger", lambda lib, i, a, b: lib.addmm(i, a, b),
     [_r(2, 2, 3), _r(2, 3), _r(3, 3)], r"addmm: input of shape \(2, 2, 3\)"),
    ("addmm_1d_mat", lambda lib, i, a, b: lib.addmm(i, a, b), [_r(3), _r(3), _r(3, 3)],
     r"addmm: expected 'mat1' to be a 2-D tensor"),
    ("addmm_inner", lambda lib, i, a, b: lib.addmm(i, a, b), [_r(2, 3), _r(2, 4), _r(3, 3)],
     r"addmm: mat1 and mat2 shapes cannot be multiplied \(2x4 and 3x3\)"),
    ("addmm_dtype", lambda lib, i, a, b: lib.addmm(i, a, b),
     [_r(2, 2), _r(2, 3, dtype=f32), _r(3, 2, dtype=f32)], r"addmm: .*same dtype"),
    ("addmv_size", lambda lib, i, a, b: lib.addmv(i, a, b), [_r(2), _r(2, 3), _r(4)],
     r"addmv: mat1 and mat2 shapes cannot be multiplied"),
    ("baddbmm_batch", lambda lib, i, a, b: lib.baddbmm(i, a, b),
     [_r(2, 2), _r(2, 2, 3), _r(3, 3, 2)], r"baddbmm: batch sizes must match, but got 2 and 3"),
    ("baddbmm_input", lambda lib, i, a, b: lib.baddbmm(i, a, b),
     [_r(3, 2, 2), _r(4, 2, 3), _r(4, 3, 2)],
     r"baddbmm: input of shape \(3, 2, 2\) cannot be broadcast to the product's shape "
     r"\(4, 2, 2\)"),
    ("linear_features", _linear, [_r(32, 63), _r(10, 64)],
     r"linear: input has 63 features but weight expects 64 \(input shape \(32, 63\), weight "
     r"shape \(10, 64\)\)"),
    ("linear_bias", _linear, [_r(5, 3), _r(4, 3), _r(3)],
     r"linear: bias of shape \(3,\) cannot be broadcast to the output shape \(5, 4\)"),
    ("linear_bias_2d", _linear, [_r(5, 3), _r(4, 3), _r(2, 4)],
     r"linear: bias of shape \(2, 4\)"),
    ("linear_0d_input", _linear, [_r(), _r(4, 1)],
     r"linear: both arguments need to be at least 1D"),
    ("linear_3d_weight", _linear, [_r(5, 3), _r(2, 4, 3)], r"linear: weight must be 1-D or 2-D"),
    ("linear_dtype", _linear, [_r(5, 3, dtype=f32), _r(4, 3)],
     r"linear: expected m1 and m2 to have the same dtype, but got: float != double"),
    ("linear_bias_dtype", _linear, [_r(5, 3), _r(4, 3), _r(4, dtype=f32)],
     r"linear: .*same dtype"),
    ("linear_1d_weight_bias", _linear, [_r(5, 3), _r(3), _r(5)], r"linear: a 1-D weight"),
    ("einsum_more_operands", lambda lib, a, b: lib.einsum("i->i", a, b), [_r(3), _r(3)],
     r"einsum\(\): more operands were provided than specified"),
    ("einsum_fewer_operands", lambda lib, a: lib.einsum("i,j->i", a), [_r(3)],
     r"einsum\(\): fewer operands were provided than specified"),
    ("einsum_subscript_count", lambda lib, a: lib.einsum("ij", a), [_r(3)],
     r"einsum\(\): the number of subscripts in the equation \(2\) does not match the number of "
     r"dimensions \(1\) for operand 0"),
    ("einsum_size_mismatch", lambda lib, a, b: lib.einsum("ij,jk", a, b), [_r(3, 3), _r(4, 2)],
     r"einsum\(\): subscript j has size 4 for operand 1 which does not broadcast with "
     r"previously seen size 3"),
    ("einsum_diag_mismatch", lambda lib, a: lib.einsum("ii", a), [_r(3, 4)],
     r"einsum\(\): subscript i is repeated for operand 0 but the sizes don't match"),
    ("einsum_output_repeat", lambda lib, a, b: lib.einsum("ij,jk->ikk", a, b),
     [_r(3, 3), _r(3, 2)], r"einsum\(\): output subscript k appears more than once"),
    ("einsum_output_unknown", lambda lib, a, b: lib.einsum("ij,jk->il", a, b),
     [_r(3, 3), _r(3, 2)], r"einsum\(\): output subscript l does not appear in the equation"),
    ("einsum_bad_char", lambda lib, a, b: lib.einsum("i1,jk", a, b), [_r(3, 4), _r(4, 4)],
     r"einsum\(\): invalid subscript given at index 1"),
    ("einsum_bad_dot", lambda lib, a, b: lib.einsum("i.j,jk", a, b), [_r(3, 4), _r(4, 4)],
     r"einsum\(\): found '\.' for operand 0 that is not part of any ellipsis"),
    ("einsum_two_ellipses", lambda lib, a: lib.einsum("i...->...i...", a), [_r(3)],
     r"einsum\(\): found '\.' for output but an ellipsis \(\.\.\.\) was already found"),
    ("einsum_two_arrows", lambda lib, a, b: lib.einsum("ij,jk->ik->j", a, b),
     [_r(3, 4), _r(4, 4)], r"einsum\(\): invalid subscript given at index 9"),
    ("einsum_dtype", lambda lib, a, b: lib.einsum("ij,jk", a, b), [_r(3, 3), _r(3, 2, dtype=f32)],
     r"einsum\(\): expected all operands to have the same dtype"),
    ("einsum_no_operands", lambda lib: lib.einsum("i,i"), [],
     r"einsum\(\): must specify the equation string and at least one operand"),
    ("tensordot_size", lambda lib, a, b: lib.tensordot(a, b, dims=([1], [1])),
     [_r(2, 3, 4), _r(3, 4, 5)],
     r"tensordot: contracted dimensions need to match, but first has size 3 in dim 1 and second "
     r"has size 4 in dim 1"),
    ("tensordot_list_lengths", lambda lib, a, b: lib.tensordot(a, b, dims=([1, 2], [0])),
     [_r(2, 3, 4), _r(3, 4, 5)], r"tensordot: both dimension lists should have same length"),
]


@pytest.mark.parametrize("name,fn,inputs,match", RAISES, ids=[r[0] for r in RAISES])
def test_raises(name, fn, inputs, match):
    check_raises(fn, inputs, match=match)


@pytest.mark.parametrize("fn", [
    lambda lib, a, b: a @ b,
    lambda lib, a, b: lib.mm(a, b),
    lambda lib, a, b: lib.einsum("ij,jk", a, b),
], ids=["matmul", "mm", "einsum"])
def test_bool_not_implemented(fn):
    b = np.ones((2, 2), dtype=bool)
    check_raises(fn, [b, b], match="not implemented for 'Bool'", exc=NotImplementedError)


# ----------------------------------------------------------------------------- properties
def test_matmul_weight_grad_is_one_gemm_shape():
    # the brief's contract: a (3, 4) weight used against (B, T, 3) inputs gets a (3, 4) grad
    x = lightgrad.randn(5, 7, 3)
    w = lightgrad.randn(3, 4, requires_grad=True)
    (x @ w).sum().backward()
    expected = x.numpy().reshape(-1, 3).sum(0)[:, None].repeat(4, 1)
    assert w.grad.shape == (3, 4)
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-5, atol=1e-5)


def test_einsum_single_operand_output_is_not_a_view():
    x = lightgrad.randn(3, 4)
    for eq in ("ij->ji", "ii->i", "ij->ij"):
        src = x if eq != "ii->i" else lightgrad.randn(3, 3)
        y = lightgrad.einsum(eq, src)
        assert not np.shares_memory(y.numpy(), src.numpy()), eq


def test_linear_grad_matches_matmul_composition():
    rng = np.random.default_rng(1)
    xv, wv, bv = rng.standard_normal((6, 5)), rng.standard_normal((3, 5)), rng.standard_normal(3)
    g = lightgrad.tensor(rng.standard_normal((6, 3)))
    x, w, b = (lightgrad.tensor(v, requires_grad=True) for v in (xv, wv, bv))
    (lightgrad.linear(x, w, b) * g).sum().backward()
    x2, wt, b2 = (lightgrad.tensor(v, requires_grad=True) for v in (xv, wv.T.copy(), bv))
    ((x2 @ wt + b2) * g).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy().T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), b2.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_linear_in_all():
    assert "linear" in lightgrad.ops.linalg.__all__
    assert lightgrad.linear is lightgrad.ops.linalg.linear


@st.composite
def _matmul_shapes(draw):
    m, k, nn = (draw(st.integers(0, 3)) for _ in range(3))
    nbatch = draw(st.integers(0, 3))
    batch = [draw(st.integers(1, 3)) for _ in range(nbatch)]

    def side():
        dims = [d if draw(st.booleans()) else 1 for d in batch]
        return dims[draw(st.integers(0, nbatch)):]  # drop some leading dims

    ba, bb = side(), side()
    a = (k,) if draw(st.integers(0, 4)) == 0 else (*ba, m, k)
    b = (k,) if draw(st.integers(0, 4)) == 0 else (*bb, k, nn)
    return a, b


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes=_matmul_shapes(), seed=st.integers(0, 2**16))
def test_matmul_random_broadcast_shapes(shapes, seed):
    sa, sb = shapes
    rng = np.random.default_rng(seed)
    av, bv = rng.standard_normal(sa), rng.standard_normal(sb)
    la, lb = lightgrad.tensor(av, requires_grad=True), lightgrad.tensor(bv, requires_grad=True)
    ta = torch.tensor(av, requires_grad=True)
    tb = torch.tensor(bv, requires_grad=True)
    lo, to = la @ lb, ta @ tb
    assert tuple(lo.shape) == tuple(to.shape)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(tuple(to.shape))
    (lo * lightgrad.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(la.grad.numpy(), ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lb.grad.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-12)
