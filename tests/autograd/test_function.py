"""User-defined ``lightgrad.autograd.Function`` subclasses, written the PyTorch way (static
``forward(ctx, ...)`` / ``backward(ctx, grad_out)``, ``save_for_backward``, ``needs_input_grad``,
non-tensor arguments, ``None`` gradients), on raw arrays."""

from __future__ import annotations

import numpy as np
import pytest

import lightgrad as lg
from lightgrad.autograd import Function, gradcheck


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * 3 * x**2


class ScaledMul(Function):
    """``out = k * a * b``, with a non-tensor ``k`` between the two tensors."""

    log: list = []

    @staticmethod
    def forward(ctx, a, k, b):
        ctx.save_for_backward(a, b)
        ctx.k = k
        return k * a * b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        na, nk, nb = ctx.needs_input_grad
        ScaledMul.log.append(ctx.needs_input_grad)
        return (grad_out * ctx.k * b if na else None), None, (grad_out * ctx.k * a if nb else None)


class Affine(Function):
    """``out = x * scale + shift`` with a tuple argument and a keyword-like option passed
    positionally, to check that non-tensor arguments reach forward unchanged."""

    @staticmethod
    def forward(ctx, x, params, name, flag):
        assert isinstance(params, tuple) and isinstance(name, str) and flag is None
        scale, shift = params
        ctx.scale = scale
        return x * scale + shift

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.scale, None, None, None


class Clamp01(Function):
    """A piecewise function returning a Tensor (not an array) as its gradient."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.clip(x, 0.0, 1.0)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return lg.tensor(grad_out * ((x > 0) & (x < 1)).astype(grad_out.dtype))


class TooFewGrads(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad_out):
        return (grad_out,)


class TwoOutputs(Function):
    @staticmethod
    def forward(ctx, x):
        return x, x

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


def test_cube_forward_backward(rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    x = lg.tensor(a, requires_grad=True)
    y = Cube.apply(x)
    assert isinstance(y.grad_fn, Cube) and y.dtype == np.float32
    np.testing.assert_allclose(y.detach().numpy(), a**3, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * a**2, rtol=1e-6)
    assert x.grad.dtype == np.float32


@pytest.mark.torch
def test_custom_function_parity_with_torch(torch, rng):
    class TorchCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return grad_out * 3 * x**2

    a = rng.standard_normal(5)
    g = rng.standard_normal(5)
    x, tx = lg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (Cube.apply(x * 2.0) * lg.tensor(g)).sum().backward()
    (TorchCube.apply(tx * 2.0) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("ra,rb", [(True, True), (True, False), (False, True)])
def test_needs_input_grad_and_non_tensor_args(rng, ra, rb):
    a, b = rng.standard_normal((2, 4))
    x = lg.tensor(a, requires_grad=ra)
    w = lg.tensor(b, requires_grad=rb)
    ScaledMul.log.clear()
    out = ScaledMul.apply(x, 2.5, w)
    assert out.grad_fn.needs_input_grad == (ra, False, rb)
    assert out.grad_fn.k == 2.5
    np.testing.assert_allclose(out.detach().numpy(), 2.5 * a * b)
    out.sum().backward()
    assert ScaledMul.log == [(ra, False, rb)]
    if ra:
        np.testing.assert_allclose(x.grad.numpy(), 2.5 * b)
    else:
        assert x.grad is None
    if rb:
        np.testing.assert_allclose(w.grad.numpy(), 2.5 * a)
    else:
        assert w.grad is None


def test_no_input_requires_grad_records_nothing():
    out = ScaledMul.apply(lg.tensor([1.0]), 2.0, lg.tensor([3.0]))
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), [6.0])


def test_tuple_string_and_none_args_pass_through(rng):
    a = rng.standard_normal(3)
    x = lg.tensor(a, requires_grad=True)
    y = Affine.apply(x, (3.0, 1.0), "affine", None)
    np.testing.assert_allclose(y.detach().numpy(), 3.0 * a + 1.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 3.0))


def test_gradient_returned_as_tensor_is_accepted():
    x = lg.tensor([-0.5, 0.25, 0.75, 2.0], requires_grad=True)
    Clamp01.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 0.0])


def test_single_gradient_may_be_returned_without_a_tuple():
    x = lg.tensor([1.0, 2.0], requires_grad=True)
    Cube.apply(x).sum().backward()  # Cube.backward returns a bare array
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


def test_too_few_gradients_raises_naming_the_function():
    a = lg.tensor([1.0], requires_grad=True)
    b = lg.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"TooFewGrads\.backward returned 1 gradients.*2 inputs"):
        TooFewGrads.apply(a, b).sum().backward()


def test_multiple_outputs_are_rejected():
    with pytest.raises(TypeError, match="single array"):
        TwoOutputs.apply(lg.tensor([1.0], requires_grad=True))


def test_saved_tensors_are_freed_after_backward():
    x = lg.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    node = y.grad_fn
    assert len(node.saved_tensors) == 1
    y.sum().backward(retain_graph=True)
    assert len(node.saved_tensors) == 1
    y.sum().backward()
    assert node.saved_tensors == ()
    with pytest.raises(RuntimeError, match="second time"):
        y.sum().backward()


def test_saved_input_modified_in_place_is_detected():
    x = lg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    y = Cube.apply(h)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*Cube"):
        y.sum().backward()


def test_integer_output_is_not_recorded():
    class Floor(Function):
        @staticmethod
        def forward(ctx, x):
            return np.floor(x).astype(np.int64)

        @staticmethod
        def backward(ctx, grad_out):  # pragma: no cover - never called
            raise AssertionError

    y = Floor.apply(lg.tensor([1.5, -0.5], requires_grad=True))
    assert y.dtype == np.int64 and y.grad_fn is None and not y.requires_grad


def test_scalar_forward_result_becomes_a_0d_tensor():
    class Total(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.shape = x.shape
            return x.sum()  # a NumPy scalar, not an array

        @staticmethod
        def backward(ctx, grad_out):
            return np.broadcast_to(grad_out, ctx.shape)

    x = lg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = Total.apply(x)
    assert y.shape == () and y.dtype == np.float32 and y.item() == 10.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 2)))
    assert x.grad.data.flags.writeable  # a broadcast view was copied, not handed out


def test_view_function_shares_version_counter():
    class Flat(Function):
        _is_view = True

        @staticmethod
        def forward(ctx, x):
            ctx.shape = x.shape
            return x.reshape(-1)

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out.reshape(ctx.shape)

    base = lg.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = Flat.apply(base)
    v.mul_(10.0)
    assert base._version == 1 and v._version == 1
    np.testing.assert_array_equal(base.numpy(), [[10.0, 20.0], [30.0, 40.0]])
    x = lg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (Flat.apply(x) * lg.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 2.0], [3.0, 4.0]])


def test_user_functions_are_not_registered_as_primitives():
    names = {c.__name__ for c in Function._registry}
    assert "Mul" in names
    assert not names & {"Cube", "ScaledMul", "Affine", "Clamp01"}


def test_grad_fn_repr_and_name():
    y = Cube.apply(lg.tensor([1.0], requires_grad=True))
    assert repr(y.grad_fn) == "<CubeBackward>" and y.grad_fn.name == "Cube"
    assert "grad_fn=<CubeBackward>" in repr(y)


def test_custom_functions_pass_gradcheck(rng):
    a, b = rng.standard_normal((2, 3))
    x = lg.tensor(a, requires_grad=True)
    w = lg.tensor(b, requires_grad=True)
    assert gradcheck(Cube.apply, (x,))
    assert gradcheck(lambda p, q: ScaledMul.apply(p, -1.5, q), (x, w))
    assert gradcheck(lambda p: Affine.apply(p, (2.0, -1.0), "a", None), (x,))


def test_forward_not_implemented():
    class NoForward(Function):
        pass

    with pytest.raises(NotImplementedError):
        NoForward.apply(lg.tensor([1.0]))
