"""The backward engine: graph shapes, accumulation, retain_graph, hooks, the version counter,
``autograd.grad`` and ``autograd.backward``.

Expected gradients come from the chain rule written out in NumPy, or from PyTorch (tests marked
``torch``) on the same inputs.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import lightgrad as lg
from lightgrad.autograd import Function


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def leaf(arr, rg=True):
    return lg.tensor(np.asarray(arr), requires_grad=rg)


def tleaf(torch, arr, rg=True):
    return torch.tensor(np.asarray(arr), requires_grad=rg)


def npg(t):
    """A gradient (lightgrad or torch) as a NumPy array."""
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


class _Counted(Function):
    """``y = x * k``; counts backward calls in ``calls``."""

    calls = 0

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, grad_out):
        _Counted.calls += 1
        return grad_out * ctx.k, None


# ----------------------------------------------------------------------------- graph shapes
def test_reused_leaf_accumulates(rng):
    a = rng.standard_normal((3, 4))
    x = leaf(a)
    (x * x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * a**2, rtol=1e-12)
    x2 = leaf(a)
    (x2 + x2 + x2 - x2).sum().backward()
    np.testing.assert_array_equal(x2.grad.numpy(), np.full((3, 4), 2.0))


def test_diamond_graph(rng):
    a, b = rng.standard_normal((2, 5))
    x, w = leaf(a), leaf(b)
    h = x * w  # shared by both branches
    out = (h * 2.0 + h * h).sum()
    out.backward()
    dh = 2.0 + 2 * a * b
    np.testing.assert_allclose(x.grad.numpy(), dh * b, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), dh * a, rtol=1e-12)


@pytest.mark.torch
def test_shared_subgraph_parity(torch, rng):
    a, b = rng.standard_normal((2, 3, 4))
    g = rng.standard_normal((3, 4))

    def run(lib, x, w):
        h = x * w + 1.0
        u = h / (h * h + 2.0)
        v = (u * h - w) ** 2
        return (v * lib.tensor(g)).sum() + u.mean() * 3.0

    x, w = leaf(a), leaf(b)
    tx, tw = tleaf(torch, a), tleaf(torch, b)
    run(lg, x, w).backward()
    run(torch, tx, tw).backward()
    np.testing.assert_allclose(x.grad.numpy(), npg(tx.grad), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), npg(tw.grad), rtol=1e-12, atol=1e-12)


def test_root_that_is_an_ancestor_of_another_root(rng):
    a = rng.standard_normal(4)
    x = leaf(a)
    h = x * 3.0
    s1 = h.sum()
    s2 = (h * h).sum()
    lg.autograd.backward([s1, s2])
    np.testing.assert_allclose(x.grad.numpy(), 3.0 + 2 * (3 * a) * 3.0, rtol=1e-12)


def test_chain_100000_nodes_no_recursion_error():
    n = 100_000
    x = lg.tensor(1.0, dtype=lg.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.000001
    assert n > 10 * sys.getrecursionlimit()
    y.backward()
    assert x.grad.item() == pytest.approx(1.000001**n, rel=1e-9)
    del y  # tearing down a deep graph must not overflow the stack either


def test_chain_10000_nodes_each_backward_runs_once():
    """A long chain is walked in linear time: every node's backward runs exactly once."""
    n = 10_000
    x = leaf(np.ones(3))
    y = x
    for _ in range(n):
        y = _Counted.apply(y, 1.0001)
    _Counted.calls = 0
    y.sum().backward()
    assert _Counted.calls == n
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 1.0001**n), rtol=1e-9)


def test_deep_stack_of_diamonds_each_backward_runs_once():
    """10,000 diamonds in series: a recursive or path-enumerating walk would blow up."""
    n = 10_000
    x = leaf(np.array([1.0, 2.0]))
    y = x
    for _ in range(n):
        y = _Counted.apply(y, 0.5) + _Counted.apply(y, 0.5)
    _Counted.calls = 0
    y.sum().backward()
    assert _Counted.calls == 2 * n
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0], rtol=1e-12)


def test_node_needing_no_grad_for_some_inputs(rng):
    a, b = rng.standard_normal((2, 3))
    x = leaf(a)
    c = lg.tensor(b)  # constant
    (x * c + c).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), b)
    assert c.grad is None


def test_zero_dim_gradients_are_arrays_everywhere():
    """0-d NumPy arithmetic returns scalars; hooks, .grad and autograd.grad see 0-d arrays."""
    x = leaf(2.0)
    y = x * 2.0
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(type(g.data)))
    x.register_hook(lambda g: seen.append(type(g.data)))
    (y * 3.0 + y * 2.0 + x * 1.0).backward()
    assert seen == [np.ndarray, np.ndarray]
    assert type(y.grad.data) is np.ndarray and y.grad.item() == 5.0
    assert type(x.grad.data) is np.ndarray and x.grad.item() == 11.0
    w = leaf(1.0)
    (gw,) = lg.autograd.grad(w * 2.0 + w * 3.0, [w])
    assert type(gw.data) is np.ndarray and gw.shape == () and gw.item() == 5.0


# ----------------------------------------------------------------------------- accumulation
def test_grad_accumulates_over_two_backward_calls(rng):
    a = rng.standard_normal(3)
    x = leaf(a)
    (x * x).sum().backward()
    first = x.grad.numpy().copy()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), first + 3.0)
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 3.0))


def test_second_backward_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward(rng):
    a = rng.standard_normal(3)
    x = leaf(a)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * 2 * a)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_two_identical_runs_give_identical_results(rng):
    a, b = rng.standard_normal((2, 6, 5))

    def run():
        x, w = leaf(a.astype(np.float32)), leaf(b.astype(np.float32))
        h = x * w
        out = ((h + x) / (w * w + 1.0)).mean() + (h * h).sum()
        out.backward()
        return out.item(), x.grad.numpy().copy(), w.grad.numpy().copy()

    r1, r2 = run(), run()
    assert r1[0] == r2[0]
    np.testing.assert_array_equal(r1[1], r2[1])
    np.testing.assert_array_equal(r1[2], r2[2])


def test_leaf_grads_do_not_alias_each_other():
    a = leaf([1.0, 2.0])
    b = leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.data += 100.0
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())


def test_leaf_grad_does_not_alias_the_callers_gradient():
    a = leaf([1.0, 2.0])
    b = leaf([3.0, 4.0])
    g = lg.tensor([5.0, 6.0])
    (a + b).backward(g)
    a.grad.data *= 0
    np.testing.assert_array_equal(g.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(b.grad.numpy(), [5.0, 6.0])
    x = leaf([1.0, 2.0])
    x.backward(g)  # backward straight from a leaf
    g.data *= 2
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 6.0])


# ----------------------------------------------------------------------------- checks
class _WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out[:1]


class _WrongDtype(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.astype(np.float64)


class _BroadcastGrad(Function):
    """Returns its gradient at the output's (broadcast) shape; the engine sums it down."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape).copy()

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, None


def test_wrong_gradient_shape_raises_naming_the_op():
    x = leaf(np.ones(3, np.float32))
    with pytest.raises(RuntimeError, match=r"_WrongShape\.backward.*input 0.*\(1,\).*\(3,\)"):
        _WrongShape.apply(x).sum().backward()


def test_wrong_gradient_dtype_raises_naming_the_op():
    x = leaf(np.ones(3, np.float32))
    with pytest.raises(RuntimeError, match=r"_WrongDtype\.backward.*float64.*float32"):
        _WrongDtype.apply(x).sum().backward()


def test_broadcast_gradient_is_summed_down(rng):
    a = rng.standard_normal((1, 3))
    g = rng.standard_normal((4, 2, 3))
    x = leaf(a)
    _BroadcastGrad.apply(x, (4, 2, 3)).backward(lg.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), g.sum(axis=(0, 1))[None], rtol=1e-12)


def test_backward_on_non_scalar_needs_gradient(rng):
    x = leaf(rng.standard_normal((2, 3)))
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2, 3\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2, 3\)"):
        y.backward(lg.ones(3))
    g = rng.standard_normal((2, 3))
    y.backward(lg.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * g)


def test_backward_gradient_argument_on_a_one_element_tensor():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(gradient=lg.tensor(3.0, dtype=lg.float64))
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_higher_order_requests_raise_clearly():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    with pytest.raises(NotImplementedError, match="create_graph"):
        y.backward(create_graph=True)
    with pytest.raises(NotImplementedError, match="create_graph"):
        lg.autograd.grad(y, x, create_graph=True)
    with pytest.raises(NotImplementedError, match="inputs"):
        y.backward(inputs=[x])


def test_backward_on_tensor_not_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        lg.tensor([1.0, 2.0]).sum().backward()


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
def test_requires_grad_on_non_float_raises(dtype):
    with pytest.raises(RuntimeError, match="floating point"):
        lg.tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        lg.tensor([1, 0], dtype=dtype).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        lg.zeros(2, dtype=dtype, requires_grad=True)


def test_is_leaf_and_grad_fn():
    x = leaf([1.0, 2.0])
    c = lg.tensor([1.0, 2.0])
    assert x.is_leaf and x.grad_fn is None and x.requires_grad
    assert c.is_leaf and not c.requires_grad
    y = x * 2.0
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    assert type(y.grad_fn).__name__ == "Mul"
    z = c * 2.0  # nothing to differentiate: a leaf, as in PyTorch
    assert z.is_leaf and z.grad_fn is None and not z.requires_grad
    assert (x.int() * 2).grad_fn is None  # integer results are not recorded
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    x.requires_grad_(False)
    assert not x.requires_grad and x.is_leaf


def test_grad_of_non_leaf_is_none_without_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    (y * y).sum().backward()
    assert y.grad is None
    assert not y.retains_grad


# ----------------------------------------------------------------------------- detach
def test_detach_shares_data_and_cuts_the_graph():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.numpy(), y.data)
    w = leaf([5.0, 7.0])
    (d * w).sum().backward()
    assert x.grad is None  # nothing flows through the detached tensor
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 6.0])
    with lg.no_grad():
        d.add_(1.0)
    np.testing.assert_array_equal(y.detach().numpy(), [4.0, 7.0])


def test_detach_shares_the_version_counter():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    z = y * y  # saves y
    d = y.detach()
    d.add_(1.0)
    assert y._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_detach_in_place():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    assert y.detach_() is y
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf


# ----------------------------------------------------------------------------- retain_grad
@pytest.mark.torch
def test_retain_grad_on_non_leaf_accumulates_like_torch(torch):
    def run(lib, x):
        y = x * 3.0
        y.retain_grad()
        z = (y * y).sum()
        z.backward(retain_graph=True)
        z.backward()
        return y

    x, tx = leaf([1.0, 2.0]), tleaf(torch, [1.0, 2.0])
    y, ty = run(lg, x), run(torch, tx)
    assert y.retains_grad
    np.testing.assert_allclose(y.grad.numpy(), npg(ty.grad))
    np.testing.assert_allclose(x.grad.numpy(), npg(tx.grad))


def test_retain_grad_on_leaf_is_a_no_op_and_needs_requires_grad():
    x = leaf([1.0, 2.0])
    x.retain_grad()
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        lg.tensor([1.0]).retain_grad()


def test_retained_grad_is_not_the_gradient_flowing_on():
    x = leaf([1.0, 2.0])
    y = x + 0.0
    y.retain_grad()
    (y * 1.0).sum().backward()
    y.grad.data += 10.0  # a private copy
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


# ----------------------------------------------------------------------------- hooks
def test_hook_on_leaf_modifies_gradient_and_handle_removes_it():
    x = leaf([1.0, 2.0])
    seen = []
    h1 = x.register_hook(lambda g: seen.append(g.numpy().copy()))  # returns None: unchanged
    h2 = x.register_hook(lambda g: g * 2.0)
    (x * x).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, 4.0])
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])
    h2.remove()
    h2.remove()  # removing twice is harmless
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    assert len(seen) == 2
    h1.remove()
    (x * x).sum().backward()
    assert len(seen) == 2


@pytest.mark.torch
def test_hooks_run_in_registration_order(torch):
    def run(lib, x):
        x.register_hook(lambda g: g * 2.0)
        x.register_hook(lambda g: g + 1.0)
        (x * 3.0).sum().backward()
        return x.grad

    np.testing.assert_array_equal(npg(run(lg, leaf([1.0, 2.0]))),
                                  npg(run(torch, tleaf(torch, [1.0, 2.0]))))


@pytest.mark.torch
def test_hook_on_non_leaf_changes_what_flows_to_inputs(torch, rng):
    a = rng.standard_normal(3)
    seen = {}

    def run(lib, x, key):
        def hook(g):
            seen[key] = g.detach().numpy().copy()
            return g * 10.0

        y = x * 3.0
        y.register_hook(hook)
        y.retain_grad()
        (y * y).sum().backward()
        return y

    x, tx = leaf(a), tleaf(torch, a)
    y, ty = run(lg, x, "lg"), run(torch, tx, "torch")
    np.testing.assert_allclose(seen["lg"], seen["torch"])
    np.testing.assert_allclose(x.grad.numpy(), npg(tx.grad))
    np.testing.assert_allclose(y.grad.numpy(), npg(ty.grad))


def test_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        lg.tensor([1.0]).register_hook(lambda g: g)
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: lg.ones(3))
    with pytest.raises(RuntimeError, match=r"shape.*\(2,\).*\(3,\)"):
        (x * 1.0).sum().backward()
    y = leaf([1.0, 2.0])
    y.register_hook(lambda g: 1.0)
    with pytest.raises(TypeError, match="Tensor"):
        (y * 1.0).sum().backward()


# ----------------------------------------------------------------------------- in-place
def test_inplace_change_of_saved_tensor_raises_naming_the_op():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    z = y * y  # Mul saves y
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*Mul.*version 1"):
        z.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf"):
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="leaf"):
        x *= 2.0
    assert x._version == 0
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])


@pytest.mark.torch
def test_inplace_on_non_leaf_rebases_history_like_torch(torch, rng):
    a = rng.standard_normal(4)
    g = rng.standard_normal(4)

    def run(lib, x):
        y = x * 2
        y.mul_(3)
        y.add_(1)
        (y * lib.tensor(g)).sum().backward()
        return y

    x, tx = leaf(a), tleaf(torch, a)
    y, ty = run(lg, x), run(torch, tx)
    np.testing.assert_allclose(y.detach().numpy(), npg(ty))
    np.testing.assert_allclose(x.grad.numpy(), npg(tx.grad))
    assert y._version == 2 and not y.is_leaf and y.grad_fn is not None


@pytest.mark.torch
def test_inplace_with_a_grad_requiring_operand(torch, rng):
    a, b = rng.standard_normal((2, 3))

    def run(lib, x, w):
        y = x * 1.0
        y.mul_(w)
        y += w * w
        c = lib.zeros(3, dtype=lib.float64)
        c.sub_(y)  # a constant becomes part of the graph
        assert c.requires_grad and not c.is_leaf
        c.sum().backward()

    x, w, tx, tw = leaf(a), leaf(b), tleaf(torch, a), tleaf(torch, b)
    run(lg, x, w)
    run(torch, tx, tw)
    np.testing.assert_allclose(x.grad.numpy(), npg(tx.grad))
    np.testing.assert_allclose(w.grad.numpy(), npg(tw.grad))


@pytest.mark.torch
def test_inplace_on_output_of_pow_with_scalar_exponent(torch):
    """PyTorch's pow saves only its input for a scalar exponent, so this works there."""
    x, tx = leaf([1.0, 2.0]), tleaf(torch, [1.0, 2.0])
    ty = tx**2
    ty.add_(1.0)
    ty.sum().backward()
    y = x**2
    y.add_(1.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), npg(tx.grad))


def test_inplace_under_no_grad_on_leaf_bumps_version():
    x = leaf([1.0, 2.0])
    y = x * x  # saves x
    assert x._version == 0
    with lg.no_grad():
        x.mul_(2.0)
        x += 1.0
    assert x._version == 2 and x.is_leaf and x.requires_grad
    np.testing.assert_array_equal(x.detach().numpy(), [3.0, 5.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    (x * x).sum().backward()  # a fresh graph sees the new values
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 10.0])


def test_inplace_on_plain_tensor_bumps_version():
    c = lg.tensor([1.0, 2.0])
    c.add_(1.0)
    c.mul_(2.0)
    assert c._version == 2 and not c.requires_grad
    np.testing.assert_array_equal(c.numpy(), [4.0, 6.0])


def test_views_share_the_version_counter():
    """Depends on movement's ``reshape``/``view`` (a ``_is_view`` Function)."""
    base = lg.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = base.reshape(-1)
    v.mul_(10.0)
    assert base._version == v._version == 1
    np.testing.assert_array_equal(base.numpy(), [[10.0, 20.0], [30.0, 40.0]])
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 2.0
    z = y * y  # saves y
    y.detach().view(4).add_(1.0)  # in place through a view of y's data
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_on_view_of_leaf_requiring_grad_raises():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(RuntimeError, match="add_.*requires grad"):
        x.reshape(-1).add_(1.0)
    np.testing.assert_array_equal(x.detach().numpy(), [[1.0, 2.0], [3.0, 4.0]])


# ----------------------------------------------------------------------------- no_grad
def test_no_graph_recorded_under_no_grad():
    x = leaf([1.0, 2.0])
    with lg.no_grad():
        y = x * 2.0 + 1.0
        s = y.sum()
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf
    assert s.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        s.backward()


# ----------------------------------------------------------------------------- autograd.grad
@pytest.mark.torch
def test_autograd_grad_parity(torch, rng):
    a, b = rng.standard_normal((2, 3))
    go = rng.standard_normal(3)

    def run(lib, x, w):
        h = x * w
        o1 = (h * h).sum()
        o2 = h * 3.0 + w
        return lib.autograd.grad([o1, o2], [x, h, w], [lib.tensor(1.0, dtype=lib.float64),
                                                       lib.tensor(go)])

    x, w, tx, tw = leaf(a), leaf(b), tleaf(torch, a), tleaf(torch, b)
    res, tres = run(lg, x, w), run(torch, tx, tw)
    assert isinstance(res, tuple) and len(res) == 3
    for r, t in zip(res, tres):
        assert r.dtype == np.float64 and not r.requires_grad
        np.testing.assert_allclose(r.numpy(), npg(t), rtol=1e-12)
    assert x.grad is None and w.grad is None


def test_autograd_grad_does_not_touch_dot_grad(rng):
    a = rng.standard_normal(3)
    x = leaf(a)
    x.grad = lg.tensor(np.full(3, 7.0))
    y = x * 3.0
    y.retain_grad()
    (gx,) = lg.autograd.grad((y * y).sum(), x)
    np.testing.assert_allclose(gx.numpy(), 18 * a)
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 7.0))
    assert y.grad is None


def test_autograd_grad_of_a_single_tensor_and_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    (g1,) = lg.autograd.grad(y, x, retain_graph=True)
    (g2,) = lg.autograd.grad(y, [x])
    np.testing.assert_array_equal(g1.numpy(), g2.numpy())
    with pytest.raises(RuntimeError, match="second time"):
        lg.autograd.grad(y, x)


def test_autograd_grad_allow_unused():
    x = leaf([1.0, 2.0])
    u = leaf([3.0])
    with pytest.raises(RuntimeError, match=r"input 1.*not used.*allow_unused"):
        lg.autograd.grad((x * x).sum(), [x, u])
    gx, gu = lg.autograd.grad((x * x).sum(), [x, u], allow_unused=True)
    np.testing.assert_array_equal(gx.numpy(), [2.0, 4.0])
    assert gu is None
    gu, gx = lg.autograd.grad((x * x).sum(), [u, x], materialize_grads=True)
    np.testing.assert_array_equal(gu.numpy(), [0.0])
    np.testing.assert_array_equal(gx.numpy(), [2.0, 4.0])


def test_autograd_grad_errors():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        lg.autograd.grad(y, lg.tensor([1.0]), retain_graph=True)
    with pytest.raises(RuntimeError, match="output 0 does not require grad"):
        lg.autograd.grad(lg.tensor(1.0), x)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        lg.autograd.grad(x * 2.0, x)
    with pytest.raises(ValueError, match="grad_outputs"):
        lg.autograd.grad([y], [x], grad_outputs=[None, None])


@pytest.mark.torch
def test_autograd_backward_several_roots(torch, rng):
    a = rng.standard_normal(3)
    g = rng.standard_normal(3)

    def run(lib, x):
        h = x * 2.0
        lib.autograd.backward([(h * h).sum(), h * x], [None, lib.tensor(g)])
        return x.grad

    np.testing.assert_allclose(npg(run(lg, leaf(a))), npg(run(torch, tleaf(torch, a))),
                               rtol=1e-12)
