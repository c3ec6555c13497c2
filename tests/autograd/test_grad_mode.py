"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode`` as context
managers, decorators (bare and called) and functions, nested, and restored after errors."""

from __future__ import annotations

import numpy as np
import pytest

import lightgrad as lg
from lightgrad.autograd import Function


def records() -> bool:
    """Does an op on a grad-requiring tensor record a graph right now?"""
    y = lg.tensor([1.0, 2.0], requires_grad=True) * 2.0
    assert y.requires_grad == (y.grad_fn is not None)
    return y.requires_grad


def test_default_is_enabled():
    assert lg.is_grad_enabled() and lg.autograd.is_grad_enabled()
    assert records()


def test_no_grad_context_manager():
    x = lg.tensor([1.0, 2.0], requires_grad=True)
    with lg.no_grad():
        assert not lg.is_grad_enabled()
        y = x * 2.0
        assert not y.requires_grad and y.grad_fn is None
        assert x.requires_grad  # the leaf itself is unchanged
    assert lg.is_grad_enabled() and records()


def test_enable_grad_inside_no_grad():
    with lg.no_grad():
        with lg.enable_grad():
            assert lg.is_grad_enabled() and records()
            with lg.no_grad():
                assert not records()
            assert records()
        assert not records()
    assert records()


@pytest.mark.parametrize("bare", [False, True])
def test_no_grad_decorator(bare):
    def f(a, b=1.0):
        """doc"""
        return records(), a + b

    g = lg.no_grad(f) if bare else lg.no_grad()(f)
    assert g(1.0, b=2.0) == (False, 3.0)
    assert g.__name__ == "f" and g.__doc__ == "doc"
    assert lg.is_grad_enabled()


def test_bare_decorators_with_at_syntax():
    @lg.no_grad
    def off():
        return records()

    @lg.enable_grad
    def on():
        return records()

    @lg.inference_mode
    def inf():
        return records()

    assert off() is False and inf() is False
    with lg.no_grad():
        assert on() is True
        assert not lg.is_grad_enabled()
    assert lg.is_grad_enabled()


def test_enable_grad_decorator_called():
    @lg.enable_grad()
    def on():
        return records()

    with lg.no_grad():
        assert on() is True
        assert not lg.is_grad_enabled()


def test_set_grad_enabled_as_function_context_and_decorator():
    lg.set_grad_enabled(False)
    try:
        assert not lg.is_grad_enabled() and not records()
    finally:
        lg.set_grad_enabled(True)
    assert records()
    with lg.set_grad_enabled(False):
        assert not records()
        with lg.set_grad_enabled(True):
            assert records()
        assert not records()
    assert records()

    @lg.set_grad_enabled(False)
    def off():
        return records()

    assert lg.is_grad_enabled()  # decorating does not change the mode
    assert off() is False
    assert lg.is_grad_enabled()


def test_inference_mode():
    with lg.inference_mode():
        assert not records()
        with lg.inference_mode(False):
            assert records()
    with lg.inference_mode(mode=False):
        assert records()

    @lg.inference_mode()
    def f():
        return records()

    assert f() is False and lg.is_grad_enabled()


@pytest.mark.parametrize("mode", [lg.no_grad, lg.enable_grad, lambda: lg.set_grad_enabled(False),
                                  lg.inference_mode])
def test_mode_restored_after_exception(mode):
    with pytest.raises(KeyError):
        with lg.no_grad():
            with mode():
                raise KeyError("boom")
    assert lg.is_grad_enabled()

    @lg.no_grad()
    def boom():
        raise ValueError("x")

    with pytest.raises(ValueError):
        boom()
    assert lg.is_grad_enabled()


def test_deeply_nested_modes_restore_in_order():
    states = []
    with lg.no_grad():
        states.append(lg.is_grad_enabled())
        with lg.enable_grad():
            states.append(lg.is_grad_enabled())
            with lg.set_grad_enabled(False):
                states.append(lg.is_grad_enabled())
                with lg.inference_mode(False):
                    states.append(lg.is_grad_enabled())
                states.append(lg.is_grad_enabled())
            states.append(lg.is_grad_enabled())
        states.append(lg.is_grad_enabled())
    states.append(lg.is_grad_enabled())
    assert states == [False, True, False, True, False, True, False, True]


class _Double(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.seen_needs = ctx.needs_input_grad
        return x * 2

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 2


def test_custom_function_not_recorded_under_no_grad():
    x = lg.tensor([1.0, 2.0], requires_grad=True)
    with lg.no_grad():
        y = _Double.apply(x)
    assert y.grad_fn is None and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])
    z = _Double.apply(x)
    assert isinstance(z.grad_fn, _Double) and z.grad_fn.seen_needs == (True,)


def test_graph_built_before_no_grad_still_backpropagates():
    x = lg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with lg.no_grad():
        y.backward()  # backward itself works in any mode, as in PyTorch
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_grad_mode_is_per_thread():
    """no_grad in one thread must not switch recording off in another (PyTorch semantics)."""
    import threading

    import lightgrad as lg

    seen = {}
    entered, release = threading.Event(), threading.Event()

    def worker():
        with lg.no_grad():
            entered.set()
            release.wait(5)
            seen["worker"] = lg.is_grad_enabled()

    t = threading.Thread(target=worker)
    t.start()
    entered.wait(5)
    x = lg.ones(2, requires_grad=True)
    seen["main"] = (x * 2).requires_grad
    release.set()
    t.join(5)
    assert seen == {"worker": False, "main": True}

    def fresh():
        seen["fresh"] = lg.is_grad_enabled()

    with lg.no_grad():
        t = threading.Thread(target=fresh)
        t.start()
        t.join(5)
    assert seen["fresh"] is True
