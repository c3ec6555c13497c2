"""Parity with torch.nn.utils for lightgrad/nn/utils: clip_grad_norm_ (every norm type),
get_total_norm, clip_grads_with_norm_, clip_grad_value_, parameters_to_vector and
vector_to_parameters."""

import math

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from tests.helpers import tol

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (), (2, 1, 3)]


def _params(rng, dtype=np.float32, scale=1.0, none_at=()):
    """Matching lightgrad and torch parameters with the same gradients (None at ``none_at``)."""
    lg, th = [], []
    for i, s in enumerate(SHAPES):
        v = rng.standard_normal(s).astype(dtype)
        lp = nn.Parameter(lightgrad.tensor(v))
        tp = torch.nn.Parameter(torch.tensor(v))
        if i not in none_at:
            g = (rng.standard_normal(s) * scale).astype(dtype)
            lp.grad = lightgrad.tensor(g)
            tp.grad = torch.tensor(g)
        lg.append(lp)
        th.append(tp)
    return lg, th


def _assert_grads(lg, th, dtype, kind="elementwise"):
    rtol, atol = tol(kind, dtype)
    for k, (a, b) in enumerate(zip(lg, th)):
        if b.grad is None:
            assert a.grad is None
            continue
        assert a.grad.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"grad {k}")


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, 0.5, math.inf, "inf", -math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm_parity(norm_type, max_norm, dtype, rng):
    lg, th = _params(rng, dtype, scale=2.0, none_at=(1,))
    lg_grads = [p.grad for p in lg]
    ln = nn.utils.clip_grad_norm_(lg, max_norm, norm_type=norm_type)
    tn = torch.nn.utils.clip_grad_norm_(th, max_norm, norm_type=norm_type)
    assert isinstance(ln, lightgrad.Tensor) and ln.shape == ()
    assert ln.dtype == np.dtype(dtype)
    rtol, atol = tol("reduction", dtype)
    np.testing.assert_allclose(ln.item(), tn.item(), rtol=rtol, atol=atol)
    _assert_grads(lg, th, dtype, "reduction")
    assert [p.grad for p in lg] == lg_grads  # modified in place, same tensors


def test_clip_grad_norm_actually_clips(rng):
    lg, _ = _params(rng, np.float64, scale=5.0)
    before = nn.utils.get_total_norm([p.grad for p in lg]).item()
    assert before > 1.0
    total = nn.utils.clip_grad_norm_(iter(lg), max_norm=1.0)
    assert total.item() == pytest.approx(before)
    after = nn.utils.get_total_norm([p.grad for p in lg]).item()
    assert after == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_single_tensor_and_generator(rng):
    lg, th = _params(rng)
    ln = nn.utils.clip_grad_norm_(lg[0], 0.1)
    tn = torch.nn.utils.clip_grad_norm_(th[0], 0.1)
    np.testing.assert_allclose(ln.item(), tn.item(), rtol=1e-5)
    _assert_grads(lg[:1], th[:1], np.float32)
    ln = nn.utils.clip_grad_norm_((p for p in lg), 0.2, norm_type=1.0)
    tn = torch.nn.utils.clip_grad_norm_((p for p in th), 0.2, norm_type=1.0)
    np.testing.assert_allclose(ln.item(), tn.item(), rtol=1e-5)
    _assert_grads(lg, th, np.float32)


def test_clip_grad_norm_no_grads():
    p = nn.Parameter(lightgrad.ones(3))
    out = nn.utils.clip_grad_norm_([p], 1.0)
    ref = torch.nn.utils.clip_grad_norm_([torch.nn.Parameter(torch.ones(3))], 1.0)
    assert out.item() == ref.item() == 0.0
    assert out.dtype == np.float32
    assert p.grad is None
    with pytest.warns(UserWarning, match="empty generator"):
        nn.utils.clip_grad_norm_((q for q in []), 1.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_clip_grad_norm_nonfinite(bad, rng):
    lg, th = _params(rng, np.float64)
    lg[0].grad.data[0, 0] = bad
    th[0].grad[0, 0] = bad
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(th, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match=r"total norm of order 2.0 .* non-finite"):
        nn.utils.clip_grad_norm_(lg, 1.0, error_if_nonfinite=True)
    # without the flag both scale by the non-finite coefficient
    ln = nn.utils.clip_grad_norm_(lg, 1.0)
    tn = torch.nn.utils.clip_grad_norm_(th, 1.0)
    np.testing.assert_array_equal(ln.numpy(), tn.numpy())
    for a, b in zip(lg, th):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_deprecated_alias(rng):
    lg, th = _params(rng)
    with pytest.warns(FutureWarning):
        ln = nn.utils.clip_grad_norm(lg, 0.5)
    tn = torch.nn.utils.clip_grad_norm_(th, 0.5)
    np.testing.assert_allclose(ln.item(), tn.item(), rtol=1e-5)


@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1.5])
def test_get_total_norm_and_clip_grads_with_norm(norm_type, rng):
    lg, th = _params(rng, np.float64, none_at=(2,))
    ln = nn.utils.get_total_norm([p.grad for p in lg if p.grad is not None], norm_type)
    tn = torch.nn.utils.get_total_norm([p.grad for p in th if p.grad is not None], norm_type)
    np.testing.assert_allclose(ln.item(), tn.item(), rtol=1e-12)
    assert nn.utils.get_total_norm([]).item() == 0.0
    nn.utils.clip_grads_with_norm_(lg, 0.3, ln)
    torch.nn.utils.clip_grads_with_norm_(th, 0.3, tn)
    _assert_grads(lg, th, np.float64)
    # a larger pre-computed norm than the true one scales further (it is trusted)
    nn.utils.clip_grads_with_norm_(lg, 1.0, lightgrad.tensor(10.0, dtype=lightgrad.float64))
    torch.nn.utils.clip_grads_with_norm_(th, 1.0, torch.tensor(10.0, dtype=torch.float64))
    _assert_grads(lg, th, np.float64)


def test_get_total_norm_of_concatenation(rng):
    arrays = [rng.standard_normal(s) for s in [(3, 4), (7,), (2, 2, 2)]]
    flat = np.concatenate([a.ravel() for a in arrays])
    ts = [lightgrad.tensor(a) for a in arrays]
    for p in [1.0, 2.0, 3.0, math.inf]:
        ref = np.abs(flat).max() if p == math.inf else (np.abs(flat) ** p).sum() ** (1 / p)
        assert nn.utils.get_total_norm(ts, p).item() == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_value_parity(dtype, rng):
    lg, th = _params(rng, dtype, scale=3.0, none_at=(0,))
    assert nn.utils.clip_grad_value_(lg, 1.25) is None
    torch.nn.utils.clip_grad_value_(th, 1.25)
    _assert_grads(lg, th, dtype)
    assert all(np.abs(p.grad.numpy()).max() <= 1.25 for p in lg if p.grad is not None)
    lp, tp = lg[1], th[1]
    nn.utils.clip_grad_value_(lp, 0.1)
    torch.nn.utils.clip_grad_value_(tp, 0.1)
    _assert_grads([lp], [tp], dtype)


def test_clip_after_backward_and_version():
    w = nn.Parameter(lightgrad.tensor([3.0, 4.0]))
    (w * w).sum().backward()
    v = w.grad._version
    total = nn.utils.clip_grad_norm_([w], 1.0)
    assert total.item() == pytest.approx(10.0)
    np.testing.assert_allclose(w.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    assert w.grad._version > v
    assert total.grad_fn is None and not total.requires_grad


def test_bad_arguments():
    p = nn.Parameter(lightgrad.ones(2))
    p.grad = lightgrad.ones(2)
    with pytest.raises(ValueError, match="norm_type must be a number"):
        nn.utils.clip_grad_norm_([p], 1.0, norm_type="fro")
    with pytest.raises(TypeError, match="expected a Tensor or an iterable of Tensors"):
        nn.utils.clip_grad_value_(3, 1.0)


# ----------------------------------------------------------------------------- vectors
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parameters_to_vector_parity_and_gradient(dtype, rng):
    lg, th = _params(rng, dtype)
    for p in lg + th:
        p.grad = None
    lv = nn.utils.parameters_to_vector(lg)
    tv = torch.nn.utils.parameters_to_vector(th)
    np.testing.assert_array_equal(lv.detach().numpy(), tv.detach().numpy())
    assert lv.shape == (sum(int(np.prod(s)) for s in SHAPES),)
    g = rng.standard_normal(tuple(tv.shape)).astype(dtype)
    (lv * lightgrad.tensor(g)).sum().backward()
    (tv * torch.tensor(g)).sum().backward()
    _assert_grads(lg, th, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vector_to_parameters_parity(dtype, rng):
    lg, th = _params(rng, dtype)
    n = sum(int(np.prod(s)) for s in SHAPES)
    vec = rng.standard_normal(n).astype(dtype)
    lvec, tvec = lightgrad.tensor(vec), torch.tensor(vec)
    assert nn.utils.vector_to_parameters(lvec, lg) is None
    torch.nn.utils.vector_to_parameters(tvec, th)
    for a, b in zip(lg, th):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        assert a.requires_grad and isinstance(a, nn.Parameter)
    # like PyTorch, the parameters now share the vector's memory
    lvec.data[0] = 123.0
    tvec[0] = 123.0
    assert lg[0].data[0, 0] == th[0].data[0, 0] == 123.0
    # round trip
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(lg).detach().numpy(),
                                  lvec.numpy())


def test_vector_conversion_errors():
    p = nn.Parameter(lightgrad.zeros(2, 3))
    with pytest.raises(TypeError):
        torch.nn.utils.vector_to_parameters([0.0] * 6, [torch.nn.Parameter(torch.zeros(2, 3))])
    with pytest.raises(TypeError, match="vector_to_parameters: expected a Tensor, but got: list"):
        nn.utils.vector_to_parameters([0.0] * 6, [p])
    with pytest.raises(RuntimeError, match="the vector has 5 elements but the parameters need 6"):
        nn.utils.vector_to_parameters(lightgrad.zeros(5), [p])
    with pytest.raises(RuntimeError, match=r"expected a 1-D vector, got shape \(2, 3\)"):
        nn.utils.vector_to_parameters(lightgrad.zeros(2, 3), [p])
    with pytest.raises(RuntimeError, match="non-empty"):
        nn.utils.parameters_to_vector([])
    with pytest.raises(TypeError, match="got an element of type int"):
        nn.utils.parameters_to_vector([p, 3])
