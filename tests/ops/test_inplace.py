"""In-place ops on views of tensors in the graph (CopySlices), and stale views."""

import numpy as np
import pytest

import lightgrad
from tests.helpers import OpCase, case_id, check_case, torch

pytestmark = pytest.mark.torch


def _row_iadd(lib, x, w):
    y = x * 1
    y[0] += w
    return y


def _view_chain(lib, x, w):
    y = x * 2
    y[1][1:] = w[:2]  # a view of a view, then setitem
    y[:, 0].mul_(w[2])  # in-place on a strided column view, with a differentiable value
    return y.t() * 3


def _transpose_view_copy(lib, x, w):
    y = x + 0
    y.t()[0].copy_(w[:2])  # writes column 0 through a transposed view
    return y


def _unsqueeze_inplace(lib, x, w):
    y = x * w
    y.unsqueeze(0).add_(1.5)  # a view covering the whole base
    return y


def _inplace_on_buffer_then_grad(lib, x, w):
    out = lib.zeros(3, 2, dtype=x.dtype)  # a plain buffer, filled row by row
    for t in range(3):
        out[t] = x[t] * w[t]
    return out


CASES = [
    OpCase("view_row_iadd", _row_iadd, lambda r: [r.standard_normal((2, 3)),
                                                  r.standard_normal((3,))],
           covers=("CopySlices", "BasicIndex", "Add")),
    OpCase("view_of_view_setitem_and_mul_", _view_chain,
           lambda r: [r.standard_normal((3, 3)), r.standard_normal((3,))],
           covers=("CopySlices", "BasicIndex")),
    OpCase("transposed_view_copy_", _transpose_view_copy,
           lambda r: [r.standard_normal((2, 3)), r.standard_normal((3,))],
           covers=("CopySlices", "Permute")),
    OpCase("whole_view_add_", _unsqueeze_inplace,
           lambda r: [r.standard_normal((2, 3)), r.standard_normal((3,))],
           covers=("CopySlices", "Reshape", "Mul")),
    OpCase("setitem_rows_of_a_buffer", _inplace_on_buffer_then_grad,
           lambda r: [r.standard_normal((3, 2)), r.standard_normal((3, 1))],
           covers=("IndexPut",)),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


def test_stale_view_is_replayed_from_its_base():
    """A view taken before an in-place change of its base sees the change (as in PyTorch)."""
    grads = []
    for lib in (lightgrad, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        v = y.reshape(2, 1)
        y.mul_(3)
        (v * lib.tensor([[1.0], [10.0]])).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(grads[0], [6.0, 60.0])


def test_view_used_before_the_change_keeps_its_old_history():
    grads = []
    for lib in (lightgrad, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        z = y[0] + 1  # uses the view before y changes; Add saves nothing
        y.mul_(3)
        z.backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_view_saved_then_base_changed_raises():
    x = lightgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y[0] * y[1]  # Mul saves both views
    y.mul_(3)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_view_inplace_invalidates_saved_output():
    for lib in (lightgrad, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()  # Exp saves its output
        y.unsqueeze(0).add_(1.5)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_inplace_on_view_of_leaf_requiring_grad_raises():
    p = lightgrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"mul_: a view of a leaf Variable"):
        p[0].mul_(2)
    with pytest.raises(RuntimeError):
        torch.tensor([1.0, 2.0], requires_grad=True)[0].mul_(2)


def test_inplace_on_view_under_no_grad_writes_through():
    p = lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with lightgrad.no_grad():
        p[0].mul_(10)
        p.t()[1] += 1
    np.testing.assert_array_equal(p.detach().numpy(), [[10.0, 21.0], [3.0, 5.0]])
    assert p.is_leaf and p.requires_grad
