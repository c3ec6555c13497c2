"""``gradcheck``: passes on correct gradients, fails loudly (both Jacobians printed) on wrong
ones, in full-Jacobian and random-direction (fast) modes."""

from __future__ import annotations

import importlib
import re

import numpy as np
import pytest

import lightgrad as lg
from lightgrad.autograd import Function, GradcheckError, gradcheck

gradcheck_module = importlib.import_module("lightgrad.autograd.gradcheck")


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * 2 * x


class WrongSquare(Function):
    """The gradient is 3x instead of 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * 3 * x


class TransposedGrad(Function):
    """``y = A x`` whose backward forgets the transpose: only a non-symmetric A exposes it."""

    @staticmethod
    def forward(ctx, x, a):
        ctx.a = a
        return a @ x

    @staticmethod
    def backward(ctx, grad_out):
        return ctx.a @ grad_out, None


def f64(rng, *shape, rg=True):
    return lg.tensor(rng.standard_normal(shape), requires_grad=rg)


def test_passes_on_correct_ops(rng):
    x, y = f64(rng, 3, 4), f64(rng, 4)
    z = lg.tensor(rng.uniform(0.5, 2.0, (3, 4)), requires_grad=True)
    assert gradcheck(lambda a, b: a * b + a / (b * b + 1.0), (x, y))
    assert gradcheck(lambda a, c: (a**2 - c ** 1.5).mean(dim=0), (x, z))
    assert gradcheck(lambda a: (-a).sum(dim=1, keepdim=True), x)
    assert gradcheck(Square.apply, (x,))


@pytest.mark.parametrize("fast", [False, True])
def test_passes_in_both_modes(rng, fast):
    x, y = f64(rng, 5), f64(rng, 5)
    assert gradcheck(lambda a, b: a * b * 3.0 - b, (x, y), fast_mode=fast)


def test_full_mode_raises_with_both_jacobians(rng):
    x = lg.tensor([1.0, 2.0, 3.0], dtype=lg.float64, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSquare.apply, (x,), fast_mode=False)
    msg = str(info.value)
    assert "Jacobian mismatch" in msg and "numerical" in msg and "analytical" in msg
    assert re.search(r"output element 0, input element 0: analytical 3\.0 vs numerical 2\.0", msg)
    num = msg.split("numerical:\n")[1].split("\nanalytical:")[0]
    ana = msg.split("analytical:\n")[1]
    assert "2." in num and "4." in num and "6." in num
    assert "3." in ana and "6." in ana and "9." in ana
    assert isinstance(info.value, RuntimeError)


def test_fast_mode_raises(rng):
    x = f64(rng, 4)
    with pytest.raises(GradcheckError, match="random direction"):
        gradcheck(WrongSquare.apply, (x,), fast_mode=True)


def test_transpose_bug_is_caught_in_both_modes(rng):
    a = rng.standard_normal((3, 3))
    x = f64(rng, 3)
    assert gradcheck(lambda v: TransposedGrad.apply(v, a @ a.T), (x,))  # symmetric: passes
    for fast in (False, True):
        with pytest.raises(GradcheckError):
            gradcheck(lambda v: TransposedGrad.apply(v, a), (x,), fast_mode=fast)


def test_raise_exception_false_returns_false(rng):
    x = f64(rng, 3)
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False, fast_mode=True) is False


def test_fast_mode_is_the_default_for_large_inputs(rng, monkeypatch):
    n = gradcheck_module.FULL_JACOBIAN_LIMIT + 1
    x = f64(rng, n)
    with pytest.raises(GradcheckError, match="random direction"):
        gradcheck(WrongSquare.apply, (x,))
    assert gradcheck(Square.apply, (x,))
    monkeypatch.setattr(gradcheck_module, "FULL_JACOBIAN_LIMIT", 2)
    with pytest.raises(GradcheckError, match="random direction"):
        gradcheck(WrongSquare.apply, (f64(rng, 3),))


def test_only_inputs_requiring_grad_are_checked(rng):
    x = f64(rng, 3)
    c = f64(rng, 3, rg=False)
    assert gradcheck(lambda a, b: WrongSquare.apply(b) + a, (x, c))  # the wrong op sees a constant
    with pytest.raises(GradcheckError):
        gradcheck(lambda a, b: WrongSquare.apply(a) + b, (x, c))


def test_several_outputs(rng):
    x, y = f64(rng, 2, 3), f64(rng, 3)
    assert gradcheck(lambda a, b: (a * b, (a + b).sum(), lg.tensor([1, 2])), (x, y))
    with pytest.raises(GradcheckError):
        gradcheck(lambda a, b: (a * b, WrongSquare.apply(b)), (x, y))


def test_inputs_and_grads_are_left_untouched(rng):
    x = f64(rng, 2, 2)
    before = x.detach().numpy().copy()
    gradcheck(lambda a: (a * a).sum(), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None
    with pytest.raises(GradcheckError):
        gradcheck(WrongSquare.apply, (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)


def test_bad_arguments():
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda a: a * 2.0, (lg.tensor([1.0], dtype=lg.float64),))
    with pytest.raises(ValueError, match="no floating-point tensor"):
        gradcheck(lambda a: 3, (lg.tensor([1.0], dtype=lg.float64, requires_grad=True),))
    with pytest.warns(UserWarning, match="not float64"):
        gradcheck(lambda a: a * 2.0, (lg.tensor([1.0, 2.0], requires_grad=True),),
                  raise_exception=False)


def test_output_not_depending_on_input_has_zero_jacobian(rng):
    x = f64(rng, 3)
    assert gradcheck(lambda a: lg.ones(2, dtype=lg.float64) + a.detach().sum() * 0.0, (x,))
