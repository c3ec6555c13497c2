"""Parity of the arithmetic ops, operators and comparisons with PyTorch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import lightgrad
from tests.helpers import OpCase, case_id, check_case, check_raises, torch

pytestmark = pytest.mark.torch


def n(*shape):
    return lambda r: [r.standard_normal(shape)]


def nn_(s1, s2):
    return lambda r: [r.standard_normal(s1), r.standard_normal(s2)]


def pos(s1, s2):
    """Two inputs bounded away from zero (division, pow, remainder)."""
    return lambda r: [r.uniform(0.5, 2.0, s1) * r.choice([-1, 1], s1),
                      r.uniform(0.5, 2.0, s2) * r.choice([-1, 1], s2)]


def ints(*shape, lo=-5, hi=6):
    return lambda r: [r.integers(lo, hi, shape)]


CASES = [
    # add / sub / mul / div: shapes, broadcasting, 0-d, size-0, transposed, scalars
    OpCase("add", lambda lib, a, b: lib.add(a, b), nn_((3, 4), (3, 4)), covers=("Add",)),
    OpCase("add_broadcast", lambda lib, a, b: a + b, nn_((3, 1, 4), (5, 1)), covers=("Add",)),
    OpCase("add_0d", lambda lib, a, b: a + b, nn_((), (2, 3)), covers=("Add",)),
    OpCase("add_size0", lambda lib, a, b: a + b, nn_((0, 3), (1, 3)), covers=("Add",)),
    OpCase("add_transposed", lambda lib, a, b: a + b,
           lambda r: [r.standard_normal((4, 3)).T, r.standard_normal((3, 4))], covers=("Add",)),
    OpCase("add_alpha", lambda lib, a, b: lib.add(a, b, alpha=2.5), nn_((2, 3), (3,)),
           covers=("Add", "Mul")),
    OpCase("add_scalar", lambda lib, a: a + 2.5, n(2, 3), covers=("Add",)),
    OpCase("radd_scalar", lambda lib, a: 3 + a, n(2, 3), covers=("Add",)),
    OpCase("add_int_int", lambda lib, a, b: a + b, lambda r: [r.integers(-9, 9, (3,)),
                                                              r.integers(-9, 9, (2, 3))]),
    OpCase("add_int_float_promotes", lambda lib, a, b: a + b,
           lambda r: [r.integers(-9, 9, (3,)), r.standard_normal((3,))], covers=("Add", "Cast")),
    OpCase("add_int_pyfloat", lambda lib, a: a + 1.5, ints(4)),
    OpCase("add_float_0d_float64_keeps_float32",
           lambda lib, a, b: a + b.double(), nn_((3,), ()), dtypes=(np.float32,),
           covers=("Add", "Cast")),
    OpCase("sub", lambda lib, a, b: a - b, nn_((3, 4), (4,)), covers=("Sub",)),
    OpCase("sub_alpha", lambda lib, a, b: lib.sub(a, b, alpha=0.5), nn_((3, 4), (4,)),
           covers=("Sub", "Mul")),
    OpCase("rsub_scalar", lambda lib, a: 1.0 - a, n(3, 2), covers=("Sub",)),
    OpCase("rsub_fn", lambda lib, a, b: lib.rsub(a, b), nn_((3, 2), (2,)), covers=("Sub",)),
    OpCase("mul", lambda lib, a, b: a * b, nn_((2, 3, 4), (3, 1)), covers=("Mul",)),
    OpCase("mul_scalar", lambda lib, a: a * -2, n(5), covers=("Mul",)),
    OpCase("rmul_scalar", lambda lib, a: 0.5 * a, n(5), covers=("Mul",)),
    OpCase("mul_self", lambda lib, a: a * a, n(3, 3), covers=("Mul",)),
    OpCase("mul_bool", lambda lib, a, b: a * b,
           lambda r: [r.random((4,)) > 0.5, r.random((4,)) > 0.5]),
    OpCase("div", lambda lib, a, b: a / b, pos((3, 4), (4,)), covers=("Div",)),
    OpCase("div_rscalar", lambda lib, a, b: 2.0 / a, pos((3, 4), (4,)), covers=("Div",)),
    OpCase("div_int_true", lambda lib, a, b: a / b,
           lambda r: [r.integers(-9, 9, (5,)), r.integers(1, 5, (5,))], covers=("Div", "Cast")),
    OpCase("div_trunc", lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
           pos((3, 4), (3, 4)), covers=("TruncDivide",)),
    OpCase("div_trunc_int", lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
           lambda r: [r.integers(-9, 9, (6,)), r.integers(1, 4, (6,)) * r.choice([-1, 1], 6)],
           covers=("TruncDivide",)),
    OpCase("div_floor", lambda lib, a, b: lib.div(a, b, rounding_mode="floor"),
           pos((3, 4), (4,)), covers=("FloorDivide",), grad=False),
    # floor division, remainder, fmod (torch has no floor_divide derivative: forward only)
    OpCase("floordiv_float", lambda lib, a, b: a // b, pos((3, 4), (4,)), grad=False,
           covers=("FloorDivide",)),
    OpCase("floordiv_int_neg", lambda lib, a, b: a // b,
           lambda r: [r.integers(-9, 9, (6,)), r.integers(1, 4, (6,)) * r.choice([-1, 1], 6)],
           covers=("FloorDivide",)),
    OpCase("floordiv_int_scalar", lambda lib, a: a // 3, ints(7), covers=("FloorDivide",)),
    OpCase("remainder", lambda lib, a, b: a % b, pos((3, 4), (4,)), covers=("Remainder",)),
    OpCase("remainder_scalar", lambda lib, a: lib.remainder(a, 1.5), n(3, 4),
           covers=("Remainder",)),
    OpCase("remainder_int_neg", lambda lib, a, b: a % b,
           lambda r: [r.integers(-9, 9, (6,)), r.integers(1, 4, (6,)) * r.choice([-1, 1], 6)],
           covers=("Remainder",)),
    OpCase("fmod", lambda lib, a, b: lib.fmod(a, b), pos((3, 4), (4,)), covers=("Fmod",)),
    OpCase("fmod_int", lambda lib, a, b: lib.fmod(a, b),
           lambda r: [r.integers(-9, 9, (6,)), r.integers(1, 4, (6,)) * r.choice([-1, 1], 6)],
           covers=("Fmod",)),
    # pow
    OpCase("pow_scalar", lambda lib, a: a**3, n(3, 4), covers=("Pow",)),
    OpCase("pow_scalar_frac", lambda lib, a: a.abs() ** 1.5 if lib is torch else
           (a * a) ** 0.75, n(3, 4), torch_fn=lambda lib, a: (a * a) ** 0.75,
           covers=("Pow", "Mul")),
    OpCase("pow_zero_exponent", lambda lib, a: a**0, n(3), covers=("Pow",)),
    OpCase("pow_tensor_tensor", lambda lib, a, b: a**b,
           lambda r: [r.uniform(0.5, 2.0, (3, 4)), r.standard_normal((4,))], covers=("Pow",)),
    OpCase("rpow_scalar", lambda lib, a: 2.0**a, n(5), covers=("Pow",)),
    OpCase("pow_fn", lambda lib, a: lib.pow(a, 2), n(2, 2), covers=("Pow",)),
    OpCase("pow_int", lambda lib, a: a**2, ints(5), covers=("Pow",)),
    OpCase("pow_int_float_exp", lambda lib, a: a**2.5, ints(5, lo=0), covers=("Pow", "Cast")),
    OpCase("float_power", lambda lib, a: lib.float_power(a, 2), n(3),
           covers=("Pow", "Cast")),
    # neg
    OpCase("neg", lambda lib, a: -a, n(3, 4), covers=("Neg",)),
    OpCase("neg_fn_0d", lambda lib, a: lib.neg(a), n(), covers=("Neg",)),
    OpCase("neg_int", lambda lib, a: lib.negative(a), ints(4), covers=("Neg",)),
    # casts
    OpCase("cast_double", lambda lib, a: a.double() * 2, n(3), dtypes=(np.float32,),
           covers=("Cast", "Mul")),
    OpCase("cast_to_dtype", lambda lib, a: a.to(lib.float64) * a.to(dtype=lib.float64),
           n(3), dtypes=(np.float32,), covers=("Cast", "Mul")),
    # a float32 output cannot pass a float64 finite-difference check: parity only
    OpCase("cast_float_from_double", lambda lib, a: a.float(), n(2, 2), dtypes=(np.float64,),
           covers=("Cast",), gradcheck=False),
    OpCase("cast_long", lambda lib, a: (a * 3).long(), n(5), grad=False, covers=("Cast",)),
    OpCase("cast_int_bool", lambda lib, a: (a.int(), a.bool(), a.long().float()), ints(5),
           covers=("Cast",)),
]

COMPARE_CASES = [
    OpCase(f"cmp_{name}", (lambda f: lambda lib, a, b: f(a, b))(f), nn_((3, 4), (4,)), grad=False)
    for name, f in [("eq", lambda a, b: a == b), ("ne", lambda a, b: a != b),
                    ("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b),
                    ("gt", lambda a, b: a > b), ("ge", lambda a, b: a >= b)]
] + [
    OpCase("cmp_scalar", lambda lib, a: (a > 0, a == 1, 0.5 <= a), n(5), grad=False),
    OpCase("cmp_fns", lambda lib, a, b: (lib.eq(a, b), lib.gt(a, b), lib.less_equal(a, b),
                                         lib.not_equal(a, b)), nn_((3,), (3,)), grad=False),
    OpCase("cmp_int_float", lambda lib, a: (a < 2.5, a == 2), ints(6), grad=False),
    OpCase("logical", lambda lib, a, b: (lib.logical_and(a, b), lib.logical_or(a, b),
                                         lib.logical_xor(a, b), lib.logical_not(a)),
           lambda r: [r.random((5,)) > 0.5, r.random((5,)) > 0.5]),
    OpCase("bitwise_bool", lambda lib, a, b: (a & b, a | b, a ^ b, ~a),
           lambda r: [r.random((2, 5)) > 0.5, r.random((5,)) > 0.5]),
    OpCase("bitwise_int", lambda lib, a, b: (a & b, a | b, a ^ b, ~a),
           lambda r: [r.integers(0, 16, (5,)), r.integers(0, 16, (5,))]),
    OpCase("isnan_isinf", lambda lib, a: (lib.isnan(a), lib.isinf(a), lib.isfinite(a)),
           lambda r: [np.array([1.0, np.nan, np.inf, -np.inf, 0.0])], grad=False),
    OpCase("isclose", lambda lib, a, b: lib.isclose(a, b, atol=0.5),
           nn_((6,), (6,)), grad=False),
]


@pytest.mark.parametrize("case", CASES + COMPARE_CASES, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


def test_equal_and_allclose():
    a = lightgrad.tensor([1.0, 2.0])
    assert lightgrad.equal(a, lightgrad.tensor([1.0, 2.0]))
    assert not lightgrad.equal(a, lightgrad.tensor([1.0, 2.0, 3.0]))
    assert lightgrad.allclose(a, a + 1e-9)
    assert not lightgrad.allclose(a, a + 1.0)
    assert (a == None) is False  # noqa: E711  (PyTorch: comparing with None is False)


# ----------------------------------------------------------------------------- errors
def test_broadcast_error_names_op_and_shapes():
    err = check_raises(lambda lib, a, b: a + b, [np.zeros((2, 3)), np.zeros((4,))],
                       match=r"add: .*\(2, 3\) and \(4,\)")
    assert isinstance(err, RuntimeError)
    check_raises(lambda lib, a, b: a * b, [np.zeros((2, 3)), np.zeros((3, 2))],
                 match=r"mul: .*\(2, 3\) and \(3, 2\)")


def test_int_negative_pow_raises():
    check_raises(lambda lib, a: a ** -1, [np.array([1, 2])], match="pow: integers to negative")


def test_int_division_by_zero_raises():
    check_raises(lambda lib, a, b: a // b, [np.array([1, 2]), np.array([1, 0])],
                 match="floor_divide: ZeroDivisionError")
    check_raises(lambda lib, a, b: a % b, [np.array([1, 2]), np.array([1, 0])],
                 match="remainder: ZeroDivisionError")


def test_bool_sub_and_neg_raise():
    check_raises(lambda lib, a: a - a, [np.array([True, False])], match="sub: .*bool")
    check_raises(lambda lib, a: -a, [np.array([True, False])], match="neg: .*bool")


def test_bad_operand_type():
    with pytest.raises(TypeError, match="add: argument 'other'"):
        lightgrad.ones(2) + "abc"
    with pytest.raises(TypeError, match="mul: argument 'other'"):
        lightgrad.ones(2) * object()


def test_inplace_int_tensor_cannot_take_float():
    a = lightgrad.tensor([1, 2])
    with pytest.raises(RuntimeError, match="add_: result type float32 can't be cast"):
        a.add_(1.5)
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).add_(1.5)


def test_inplace_ops_match_torch(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y = rng.standard_normal((4,)).astype(np.float32)
    lx, tx = lightgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ly, ty = lightgrad.tensor(y, requires_grad=True), torch.tensor(y, requires_grad=True)
    g = rng.standard_normal((3, 4)).astype(np.float32)
    outs = []
    for lib, a, b in ((lightgrad, lx, ly), (torch, tx, ty)):
        z = a * 2
        z.mul_(b).add_(b, alpha=0.5).sub_(1.0).div_(b * b + 1)
        z += 1
        z *= b
        z **= 2
        (z * lib.tensor(g)).sum().backward()
        outs.append(z.detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ly.grad.numpy(), ty.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_mixed_device_error_names_op(monkeypatch):
    # A fake "other device" array type: the check compares array types.
    class Other(np.ndarray):
        pass

    a = lightgrad.ones(2)
    b = lightgrad.Tensor._make(np.ones(2).view(Other))
    monkeypatch.setattr(lightgrad.backend, "device_of",
                        lambda arr: lightgrad.device("cuda") if isinstance(arr, Other)
                        else lightgrad.device("cpu"))
    with pytest.raises(RuntimeError, match="add: expected all tensors to be on the same device"):
        a + b


# ----------------------------------------------------------------------------- properties
_dt = st.sampled_from([np.float32, np.float64, np.int64, np.int32, np.bool_])


@settings(max_examples=60, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                max_side=4),
       da=_dt, db=_dt, op=st.sampled_from(["add", "mul", "sub", "maximum_like"]))
def test_broadcasting_and_promotion_match_torch(shapes, da, db, op):
    """Any two broadcastable shapes and any pair of dtypes: same shape, dtype, values."""
    r = np.random.default_rng(0)
    a = np.asarray(r.standard_normal(shapes.input_shapes[0]) * 3).astype(da)
    b = np.asarray(r.standard_normal(shapes.input_shapes[1]) * 3).astype(db)
    f = {"add": lambda x, y: x + y, "mul": lambda x, y: x * y,
         "sub": lambda x, y: x - y, "maximum_like": lambda x, y: x * 2 + y}[op]
    try:
        expected = f(torch.from_numpy(a), torch.from_numpy(b))
    except RuntimeError:
        with pytest.raises(RuntimeError):
            f(lightgrad.tensor(a), lightgrad.tensor(b))
        return
    got = f(lightgrad.tensor(a), lightgrad.tensor(b))
    assert got.shape == tuple(expected.shape)
    assert got.dtype == expected.numpy().dtype
    np.testing.assert_allclose(got.numpy().astype(np.float64),
                               expected.numpy().astype(np.float64), rtol=1e-6, atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                max_side=3))
def test_broadcast_gradients_match_torch(shapes):
    r = np.random.default_rng(1)
    a = np.asarray(r.standard_normal(shapes.input_shapes[0]))
    b = np.asarray(r.uniform(0.5, 2, shapes.input_shapes[1]))
    la, lb = lightgrad.tensor(a, requires_grad=True), lightgrad.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (la * lb / (lb + 1) - la).sum().backward()
    (ta * tb / (tb + 1) - ta).sum().backward()
    np.testing.assert_allclose(la.grad.numpy(), ta.grad.numpy(), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(lb.grad.numpy(), tb.grad.numpy(), rtol=1e-7, atol=1e-9)


def _fill_value(lib, x, v):
    y = x * 2
    y.fill_(v.sum())  # a differentiable 0-d value
    return y * x


FILL_CASES = [
    OpCase("fill_scalar", lambda lib, x: (x * 2).fill_(1.5) * x, n(2, 3), covers=("Fill",)),
    OpCase("fill_tensor_value", _fill_value, nn_((2, 3), (2,)), covers=("Fill",)),
    OpCase("zero_", lambda lib, x: (x + 1).zero_() + x, n(3), covers=("Fill",)),
]


@pytest.mark.parametrize("case", FILL_CASES, ids=case_id)
def test_fill_parity(case, rng):
    check_case(case, rng)


def test_zero_and_fill_without_grad_write_in_place():
    x = lightgrad.ones(2, 2)
    v = x.view(4)
    x.zero_()
    assert v.tolist() == [0.0] * 4 and x._version == 1
    x.fill_(3)
    assert x.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    i = lightgrad.tensor([1, 2]).fill_(7)
    assert i.tolist() == [7, 7] and i.dtype == lightgrad.int64


def test_fill_errors():
    with pytest.raises(RuntimeError, match="fill_: only supports 0-dimension"):
        lightgrad.ones(2).fill_(lightgrad.ones(2))
    with pytest.raises(RuntimeError, match="fill_: a leaf Variable"):
        lightgrad.ones(2, requires_grad=True).fill_(lightgrad.tensor(1.0, requires_grad=True))
