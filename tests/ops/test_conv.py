"""conv1d/2d/3d, conv_transpose1d/2d/3d, unfold and fold against PyTorch: parity (forward,
input, weight and bias gradients, float32 and float64) over a grid of strides, paddings,
dilations, groups and kernel sizes, float64 gradchecks on small cases, the seeds' worked
example, saved-tensor checks and errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import lightgrad
from tests.helpers import OpCase, case_id, check_case, check_raises

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


def normal(*shapes):
    return lambda r: [r.standard_normal(s) for s in shapes]


def F(lib):
    return lib.nn.functional


# ----------------------------------------------------------------------------- hand-written rows
# small shapes (gradcheck runs on the float64 copy: <= ~60 elements in all)
CONV_CASES = [
    OpCase("conv1d", lambda lib, x, w, b: F(lib).conv1d(x, w, b),
           normal((2, 2, 5), (3, 2, 2), (3,)), covers=("Convolution",), kind="matmul"),
    OpCase("conv1d_stride_pad_dil", lambda lib, x, w: F(lib).conv1d(x, w, None, 2, 2, 2),
           normal((1, 2, 7), (2, 2, 3)), covers=("Convolution",), kind="matmul"),
    OpCase("conv1d_unbatched_same", lambda lib, x, w: F(lib).conv1d(x, w, padding="same"),
           normal((2, 6), (3, 2, 4)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d", lambda lib, x, w, b: F(lib).conv2d(x, w, b),
           normal((1, 2, 4, 4), (2, 2, 2, 2), (2,)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_stride2_pad1", lambda lib, x, w, b: F(lib).conv2d(x, w, b, 2, 1),
           normal((1, 1, 5, 5), (2, 1, 3, 3), (2,)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_dilation2_asym",
           lambda lib, x, w: F(lib).conv2d(x, w, stride=(1, 2), padding=(0, 1), dilation=(2, 1)),
           normal((1, 1, 6, 5), (1, 1, 2, 3)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_depthwise_same", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding="same",
                                                                        groups=2),
           normal((1, 2, 4, 4), (4, 1, 3, 3), (4,)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_same_even_kernel_dilated",
           lambda lib, x, w: F(lib).conv2d(x, w, padding="same", dilation=(1, 3)),
           normal((1, 1, 5, 6), (1, 1, 2, 2)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_groups2", lambda lib, x, w: F(lib).conv2d(x, w, groups=2, padding=1),
           normal((1, 4, 3, 3), (2, 2, 2, 2)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_1x1", lambda lib, x, w, b: F(lib).conv2d(x, w, b),
           normal((2, 3, 2, 3), (2, 3, 1, 1), (2,)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_1x1_stride2", lambda lib, x, w: F(lib).conv2d(x, w, stride=2),
           normal((2, 2, 3, 4), (3, 2, 1, 1)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_1x1_T", lambda lib, x, w: F(lib).conv2d(x.transpose(0, 1), w),
           normal((3, 2, 2, 2), (2, 3, 1, 1)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_noncontig_input_weight",
           lambda lib, x, w: F(lib).conv2d(x.permute(3, 2, 1, 0), w.transpose(2, 3), padding=1),
           normal((4, 3, 2, 1), (2, 2, 3, 2)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_unbatched", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=1),
           normal((2, 3, 3), (2, 2, 2, 2), (2,)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_keywords",
           lambda lib, x, w, b: F(lib).conv2d(input=x, weight=w, bias=b, stride=(2, 1),
                                              padding=[1, 0], dilation=(1, 2), groups=1),
           normal((1, 2, 4, 5), (2, 2, 2, 2), (2,)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_input_no_grad", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=2),
           normal((2, 1, 4, 4), (2, 1, 5, 5), (2,)), covers=("Convolution",), kind="matmul",
           nondiff=(0,)),
    OpCase("conv2d_weight_no_grad", lambda lib, x, w: F(lib).conv2d(x, w, stride=2),
           normal((1, 2, 5, 5), (2, 2, 3, 3)), covers=("Convolution",), kind="matmul",
           nondiff=(1,)),
    OpCase("conv2d_batch0", lambda lib, x, w, b: F(lib).conv2d(x, w, b),
           normal((0, 2, 4, 4), (3, 2, 3, 3), (3,)), covers=("Convolution",), kind="matmul"),
    OpCase("conv2d_int64", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=1),
           lambda r: [r.integers(-5, 5, (1, 2, 4, 4)), r.integers(-3, 3, (2, 2, 3, 3)),
                      r.integers(-3, 3, (2,))], covers=("Convolution",)),
    OpCase("conv3d", lambda lib, x, w, b: F(lib).conv3d(x, w, b),
           normal((1, 1, 3, 3, 3), (2, 1, 2, 2, 2), (2,)), covers=("Convolution",),
           kind="matmul"),
    OpCase("conv3d_stride_pad_groups",
           lambda lib, x, w: F(lib).conv3d(x, w, stride=(1, 2, 1), padding=(1, 0, 1), groups=2),
           normal((1, 2, 3, 4, 2), (2, 1, 2, 2, 2)), covers=("Convolution",), kind="matmul"),
]

TRANSPOSE_CASES = [
    OpCase("conv_transpose1d", lambda lib, x, w, b: F(lib).conv_transpose1d(x, w, b),
           normal((2, 2, 4), (2, 3, 3), (3,)), covers=("ConvolutionTranspose",), kind="matmul"),
    OpCase("conv_transpose1d_stride_pad_outpad",
           lambda lib, x, w: F(lib).conv_transpose1d(x, w, None, 3, 1, 2),
           normal((1, 2, 4), (2, 2, 3)), covers=("ConvolutionTranspose",), kind="matmul"),
    OpCase("conv_transpose2d", lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b),
           normal((1, 2, 3, 3), (2, 2, 2, 2), (2,)), covers=("ConvolutionTranspose",),
           kind="matmul"),
    OpCase("conv_transpose2d_stride2_pad1_outpad1",
           lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b, 2, 1, 1),
           normal((1, 2, 3, 3), (2, 1, 3, 3), (1,)), covers=("ConvolutionTranspose",),
           kind="matmul"),
    OpCase("conv_transpose2d_groups_dilation",
           lambda lib, x, w: F(lib).conv_transpose2d(x, w, stride=(1, 2), padding=(1, 0),
                                                     output_padding=(1, 0), groups=2,
                                                     dilation=(2, 1)),
           normal((1, 4, 3, 2), (4, 1, 2, 2)), covers=("ConvolutionTranspose",), kind="matmul"),
    OpCase("conv_transpose2d_unbatched_T",
           lambda lib, x, w: F(lib).conv_transpose2d(x.transpose(1, 2), w, stride=2),
           normal((2, 3, 2), (2, 2, 2, 2)), covers=("ConvolutionTranspose",), kind="matmul"),
    OpCase("conv_transpose2d_keywords_input_no_grad",
           lambda lib, x, w, b: F(lib).conv_transpose2d(input=x, weight=w, bias=b, stride=2,
                                                        padding=0, output_padding=1, groups=1,
                                                        dilation=1),
           normal((2, 1, 3, 3), (1, 2, 2, 2), (2,)), covers=("ConvolutionTranspose",),
           kind="matmul", nondiff=(0,)),
    OpCase("conv_transpose2d_batch0", lambda lib, x, w: F(lib).conv_transpose2d(x, w, stride=2),
           normal((0, 2, 3, 3), (2, 3, 2, 2)), covers=("ConvolutionTranspose",), kind="matmul"),
    OpCase("conv_transpose3d", lambda lib, x, w, b: F(lib).conv_transpose3d(x, w, b, 2),
           normal((1, 2, 2, 2, 2), (2, 1, 2, 2, 2), (1,)), covers=("ConvolutionTranspose",),
           kind="matmul"),
]

FOLD_CASES = [
    OpCase("unfold", lambda lib, x: F(lib).unfold(x, 2),
           normal((1, 2, 3, 4)), covers=("Unfold",), kind="movement"),
    OpCase("unfold_all_args", lambda lib, x: F(lib).unfold(x, (2, 3), dilation=(2, 1),
                                                           padding=1, stride=(1, 2)),
           normal((2, 1, 4, 5)), covers=("Unfold",), kind="movement"),
    OpCase("unfold_unbatched_T", lambda lib, x: F(lib).unfold(x.transpose(1, 2), 2, stride=2),
           normal((2, 5, 4)), covers=("Unfold",), kind="movement"),
    OpCase("unfold_1x1_is_a_copy", lambda lib, x: F(lib).unfold(x, 1) * 1.0,
           normal((2, 3, 2, 2)), covers=("Unfold",), kind="movement"),
    OpCase("unfold_batch0", lambda lib, x: F(lib).unfold(x, 2),
           normal((0, 2, 3, 3)), covers=("Unfold",), kind="movement"),
    OpCase("fold", lambda lib, x: F(lib).fold(x, (3, 4), 2),
           normal((1, 8, 6)), covers=("Fold",), kind="reduction"),
    OpCase("fold_all_args", lambda lib, x: F(lib).fold(x, output_size=(4, 5), kernel_size=(2, 3),
                                                       dilation=(2, 1), padding=1,
                                                       stride=(1, 2)),
           normal((2, 6, 12)), covers=("Fold",), kind="reduction"),
    OpCase("fold_unbatched_1x1", lambda lib, x: F(lib).fold(x, 3, 1),
           normal((2, 9)), covers=("Fold",), kind="reduction"),
    OpCase("fold_stride_ge_kernel", lambda lib, x: F(lib).fold(x, (5, 5), 2, stride=3),
           normal((1, 4, 4)), covers=("Fold",), kind="reduction"),
]


# ----------------------------------------------------------------------------- the grid
def _grid_cases() -> list[OpCase]:
    """stride 1/2/3 x padding 0/1/2/"same"/"valid" x dilation 1/2 x groups 1/2/depthwise, with
    kernels 1..4 (odd and even), bias on/off, batch 1 or 2, odd spatial sizes and every 4th
    input transposed (non-contiguous); forward and backward parity only (gradcheck is done on
    the small rows above)."""
    cases = []
    combos = itertools.product((1, 2, 3), (0, 1, 2, "same", "valid"), (1, 2),
                               ("g1", "g2", "dw"))
    for i, (stride, pad, dil, grp) in enumerate(combos):
        if pad == "same" and stride != 1:
            continue
        k = (1, 3, 2, 4, 3)[i % 5]
        kw = (3, 1, 2, 3, 2)[i % 5]
        if grp == "g1":
            c, oc, groups = 3, 4, 1
        elif grp == "g2":
            c, oc, groups = 4, 6, 2
        else:
            c, oc, groups = 3, 6, 3
        n = 1 + i % 2
        h, w = 9 + 2 * (i % 3), 7 + (i % 4)
        bias = i % 3 != 0
        transposed = i % 4 == 3
        xs = (n, c, w, h) if transposed else (n, c, h, w)
        shapes = [xs, (oc, c // groups, k, kw)] + ([(oc,)] if bias else [])

        def fn(lib, x, wt, *b, _s=stride, _p=pad, _d=dil, _g=groups, _t=transposed):
            x = x.transpose(2, 3) if _t else x
            return F(lib).conv2d(x, wt, b[0] if b else None, _s, _p, _d, _g)

        cid = (f"grid_s{stride}_p{pad}_d{dil}_{grp}_k{k}x{kw}_n{n}_{h}x{w}"
               f"{'_bias' if bias else ''}{'_T' if transposed else ''}")
        cases.append(OpCase(cid, fn, normal(*shapes), covers=("Convolution",), kind="matmul",
                            gradcheck=False))
    return cases


def _transpose_grid_cases() -> list[OpCase]:
    """conv_transpose2d over stride 1/2/3 x padding 0/1 x output_padding x dilation 1/2 x
    groups 1/2 (parity only)."""
    cases = []
    for i, (stride, pad, dil, groups) in enumerate(itertools.product((1, 2, 3), (0, 1), (1, 2),
                                                                     (1, 2))):
        k = (1, 2, 3)[i % 3]
        opad = max(stride, dil) - 1
        c, oc = 2 * groups, 3 * groups
        shapes = [(1 + i % 2, c, 4 + i % 3, 3 + i % 2), (c, oc // groups, k, k + 1), (oc,)]

        def fn(lib, x, wt, b, _s=stride, _p=pad, _o=opad, _d=dil, _g=groups):
            return F(lib).conv_transpose2d(x, wt, b, _s, _p, _o, _g, _d)

        cases.append(OpCase(f"tgrid_s{stride}_p{pad}_op{opad}_d{dil}_g{groups}_k{k}", fn,
                            normal(*shapes), covers=("ConvolutionTranspose",), kind="matmul",
                            gradcheck=False))
    return cases


GRID_CASES = _grid_cases()
TRANSPOSE_GRID_CASES = _transpose_grid_cases()


@pytest.mark.parametrize("case", CONV_CASES + TRANSPOSE_CASES + FOLD_CASES, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


@pytest.mark.parametrize("case", GRID_CASES + TRANSPOSE_GRID_CASES, ids=case_id)
def test_grid_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- worked examples
def test_seed_worked_example():
    """Seed 001's figure: a 5x5 image and a 3x3 filter give a 3x3 feature map."""
    x = lightgrad.tensor([[3., 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2],
                          [2, 0, 0, 0, 1]])
    k = lightgrad.tensor([[0., 1, 2], [2, 2, 0], [0, 1, 2]])
    out = lightgrad.nn.functional.conv2d(x[None, None], k[None, None])
    np.testing.assert_array_equal(out.numpy()[0, 0], [[12, 12, 17], [10, 17, 19], [9, 6, 14]])


def test_fold_of_unfold_counts_block_coverage(rng):
    x = lightgrad.tensor(rng.standard_normal((2, 3, 5, 6)))
    F_ = lightgrad.nn.functional
    cols = F_.unfold(x, 3, padding=1)
    ones = F_.fold(F_.unfold(lightgrad.ones(2, 3, 5, 6, dtype=x.dtype), 3, padding=1), (5, 6), 3,
                   padding=1)
    np.testing.assert_allclose(F_.fold(cols, (5, 6), 3, padding=1).numpy(),
                               (x * ones).numpy(), rtol=1e-12)


def test_conv_equals_unfold_matmul(rng):
    """conv2d == weight @ unfold(x): the im2col identity PyTorch documents."""
    F_ = lightgrad.nn.functional
    x = lightgrad.tensor(rng.standard_normal((2, 3, 6, 5)))
    w = lightgrad.tensor(rng.standard_normal((4, 3, 3, 2)))
    y = (w.reshape(4, -1) @ F_.unfold(x, (3, 2), padding=1, stride=2)).reshape(2, 4, 3, 3)
    np.testing.assert_allclose(F_.conv2d(x, w, padding=1, stride=2).numpy(), y.numpy(),
                               rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- autograd details
def test_1x1_conv_detects_inplace_change_of_input(rng):
    """A 1x1 stride-1 convolution uses the input itself as its im2col matrix: changing the
    input in place after the forward must be caught at backward, as PyTorch does."""
    F_ = lightgrad.nn.functional
    a = lightgrad.tensor(rng.standard_normal((2, 3, 4, 4)), requires_grad=True)
    w = lightgrad.tensor(rng.standard_normal((5, 3, 1, 1)), requires_grad=True)
    x = a * 1.0
    y = F_.conv2d(x, w)
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_output_does_not_alias_input(rng):
    F_ = lightgrad.nn.functional
    x = lightgrad.tensor(rng.standard_normal((1, 2, 3, 3)))
    for out in (F_.unfold(x, 1), F_.conv2d(x, lightgrad.ones(2, 2, 1, 1, dtype=x.dtype))):
        assert not np.shares_memory(out.numpy(), x.numpy())
    cols = lightgrad.tensor(rng.standard_normal((1, 2, 9)))
    assert not np.shares_memory(F_.fold(cols, 3, 1).numpy(), cols.numpy())


def test_float32_stays_float32(rng):
    F_ = lightgrad.nn.functional
    x = lightgrad.tensor(rng.standard_normal((2, 3, 5, 5)), dtype=lightgrad.float32,
                         requires_grad=True)
    w = lightgrad.tensor(rng.standard_normal((4, 3, 3, 3)), dtype=lightgrad.float32,
                         requires_grad=True)
    b = lightgrad.zeros(4, requires_grad=True)
    for y in (F_.conv2d(x, w, b, padding=1),
              F_.conv_transpose2d(x, w.transpose(0, 1), b, stride=2)):
        assert y.dtype == lightgrad.float32
        y.sum().backward()
        assert x.grad.dtype == w.grad.dtype == b.grad.dtype == lightgrad.float32
        x.grad = w.grad = b.grad = None


def test_large_weight_gradient_is_chunked_over_the_batch(rng, monkeypatch):
    """The weight gradient sums per-sample products in batch chunks when their stack would be
    large; force tiny chunks and compare with torch."""
    import lightgrad.ops.conv as conv

    monkeypatch.setattr(conv, "_DW_CHUNK_ELEMS", 50)
    x, w = rng.standard_normal((5, 4, 5, 5)), rng.standard_normal((6, 2, 3, 3))
    g = rng.standard_normal((5, 6, 3, 3))
    lw = lightgrad.tensor(w, requires_grad=True)
    lightgrad.nn.functional.conv2d(lightgrad.tensor(x), lw, groups=2).backward(lightgrad.tensor(g))
    tw = torch.tensor(w, requires_grad=True)
    torch.nn.functional.conv2d(torch.tensor(x), tw, groups=2).backward(torch.tensor(g))
    np.testing.assert_allclose(lw.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- errors
def _c2(**kw):
    return lambda lib, x, w: F(lib).conv2d(x, w, **kw)


ERROR_ROWS = [
    ("channels", _c2(), [(1, 4, 32, 32), (6, 3, 5, 5)],
     r"conv2d: expected input with 3 channels \(weight shape \(6, 3, 5, 5\)\) but got input "
     r"of shape \(1, 4, 32, 32\)"),
    ("channels_groups", _c2(groups=2), [(1, 3, 8, 8), (6, 1, 3, 3)],
     r"conv2d: expected input with 2 channels \(weight shape \(6, 1, 3, 3\), groups=2\)"),
    ("input_5d", _c2(), [(1, 1, 3, 8, 8), (6, 1, 3, 3)],
     r"conv2d: expected 3-D \(unbatched\) or 4-D \(batched\) input, but got input of shape "
     r"\(1, 1, 3, 8, 8\)"),
    ("input_2d", _c2(), [(8, 8), (6, 1, 3, 3)], r"conv2d: .*input of shape \(8, 8\)"),
    ("weight_3d", _c2(), [(1, 3, 8, 8), (6, 3, 3)],
     r"conv2d: weight must be 4-D .*got weight of shape \(6, 3, 3\)"),
    ("kernel_too_big", _c2(), [(1, 3, 8, 8), (6, 3, 9, 9)],
     r"conv2d: kernel size \(9, 9\) .*padded input size \(8, 8\)"),
    ("kernel_too_big_dilated", _c2(dilation=4), [(1, 3, 8, 8), (6, 3, 3, 3)],
     r"conv2d: kernel size \(3, 3\) \(dilated \(9, 9\)\)"),
    ("groups_not_dividing_out", _c2(groups=2), [(1, 4, 8, 8), (5, 2, 3, 3)],
     r"conv2d: Given groups=2, expected weight to be divisible by 2 at dimension 0, but got "
     r"weight of shape \(5, 2, 3, 3\)"),
    ("groups_zero", _c2(groups=0), [(1, 3, 8, 8), (6, 3, 3, 3)], r"conv2d: non-positive groups"),
    ("same_strided", _c2(padding="same", stride=2), [(1, 3, 8, 8), (6, 3, 3, 3)],
     r"conv2d: padding='same' is not supported for strided convolutions"),
    ("bad_padding_string", _c2(padding="full"), [(1, 3, 8, 8), (6, 3, 3, 3)],
     r"conv2d: Invalid padding string 'full'"),
    ("negative_padding", _c2(padding=-1), [(1, 3, 8, 8), (6, 3, 3, 3)],
     r"conv2d: negative padding"),
    ("zero_stride", _c2(stride=0), [(1, 3, 8, 8), (6, 3, 3, 3)],
     r"conv2d: stride must be positive"),
    ("zero_dilation", _c2(dilation=0), [(1, 3, 8, 8), (6, 3, 3, 3)],
     r"conv2d: dilation must be positive"),
    ("stride_len3", _c2(stride=(1, 1, 1)), [(1, 3, 8, 8), (6, 3, 3, 3)],
     r"conv2d: expected stride to be a single integer value or a list of 2 values"),
    ("float_stride", _c2(stride=1.5), [(1, 3, 8, 8), (6, 3, 3, 3)], r"conv2d: .*'stride'"),
    ("bias_shape", lambda lib, x, w, b: F(lib).conv2d(x, w, b), [(1, 3, 8, 8), (6, 3, 3, 3), (5,)],
     r"conv2d: expected bias to be 1-D with 6 elements .*bias of shape \(5,\)"),
    ("conv1d_4d_input", lambda lib, x, w: F(lib).conv1d(x, w), [(1, 3, 8, 8), (6, 3, 3)],
     r"conv1d: expected 2-D \(unbatched\) or 3-D \(batched\) input"),
    ("conv3d_channels", lambda lib, x, w: F(lib).conv3d(x, w), [(1, 2, 4, 4, 4), (1, 3, 2, 2, 2)],
     r"conv3d: expected input with 3 channels"),
    ("transpose_channels", lambda lib, x, w: F(lib).conv_transpose2d(x, w),
     [(1, 3, 8, 8), (4, 2, 3, 3)],
     r"conv_transpose2d: expected input with 4 channels \(weight shape \(4, 2, 3, 3\)\)"),
    ("transpose_output_padding", lambda lib, x, w: F(lib).conv_transpose2d(
        x, w, stride=2, output_padding=2), [(1, 3, 4, 4), (3, 2, 3, 3)],
     r"conv_transpose2d: output padding must be smaller than either stride or dilation"),
    ("transpose_output_too_small", lambda lib, x, w: F(lib).conv_transpose2d(x, w, padding=1),
     [(1, 3, 1, 1), (3, 2, 1, 1)], r"conv_transpose2d: .*output size .*\(-1, -1\) is too small"),
    ("transpose_padding_string", lambda lib, x, w: F(lib).conv_transpose2d(x, w, padding="same"),
     [(1, 3, 4, 4), (3, 2, 3, 3)], r"conv_transpose2d: argument 'padding'"),
    ("transpose_groups", lambda lib, x, w: F(lib).conv_transpose2d(x, w, groups=2),
     [(1, 3, 4, 4), (3, 2, 3, 3)], r"conv_transpose2d: Given groups=2"),
    ("unfold_kernel_too_big", lambda lib, x: F(lib).unfold(x, 5), [(1, 3, 4, 4)],
     r"unfold: Given input with spatial size \(4, 4\), kernel_size=\(5, 5\)"),
    ("unfold_5d", lambda lib, x: F(lib).unfold(x, 2), [(1, 1, 3, 4, 4)],
     r"unfold: expected 3-D \(unbatched\) or 4-D \(batched\) input"),
    ("fold_blocks", lambda lib, x: F(lib).fold(x, (8, 8), 3), [(1, 27, 35)],
     r"fold: .*number of sliding blocks 6 \* 6 = 36, but got input.size\(2\)=35"),
    ("fold_channels", lambda lib, x: F(lib).fold(x, (8, 8), 3), [(1, 26, 36)],
     r"fold: Expected size of input's dimension 1 to be divisible by the product of "
     r"kernel_size"),
]


@pytest.mark.parametrize("row", ERROR_ROWS, ids=lambda r: r[0])
def test_errors(row, rng):
    _, fn, shapes, match = row
    check_raises(fn, [rng.standard_normal(s) for s in shapes], match=match)


def test_dtype_mismatch_errors(rng):
    x, w = rng.standard_normal((1, 3, 5, 5)), rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    check_raises(lambda lib, x, w: F(lib).conv2d(x, w), [x, w],
                 match=r"conv2d: input and weight must have the same dtype, but got float64 "
                       r"and float32")
    b = rng.standard_normal(2)
    check_raises(lambda lib, x, w, b: F(lib).conv2d(x, w, b), [x.astype(np.float32), w, b],
                 match=r"conv2d: input and bias must have the same dtype")


def test_not_a_tensor():
    with pytest.raises(TypeError, match="conv2d: argument 'input' must be a Tensor"):
        lightgrad.nn.functional.conv2d("x", lightgrad.ones(1, 1, 1, 1))


# ----------------------------------------------------------------------------- internal paths
PATH_CONFIGS = [  # (op, x shape, w shape, kwargs)
    ("conv2d", (5, 4, 7, 6), (6, 2, 3, 3), dict(padding=1, groups=2)),
    ("conv2d", (3, 3, 6, 7), (4, 3, 2, 3), dict(stride=(2, 1), dilation=(1, 2))),
    ("conv2d", (4, 2, 5, 5), (3, 2, 1, 1), dict()),
    ("conv1d", (3, 2, 9), (4, 2, 3), dict(padding=2)),
    ("conv3d", (2, 2, 4, 4, 3), (3, 2, 2, 2, 2), dict(padding=(1, 0, 1))),
    ("conv_transpose2d", (5, 4, 4, 3), (4, 3, 3, 3), dict(stride=2, padding=1, groups=2)),
    ("conv_transpose2d", (3, 2, 4, 4), (2, 3, 3, 2), dict(dilation=2)),
]


@pytest.mark.parametrize("engine", ["batch_major", "channels_major"])
@pytest.mark.parametrize("path", ["whole", "chunked", "regular_col2im", "chunked_regular_col2im"])
@pytest.mark.parametrize("cfg", PATH_CONFIGS, ids=lambda c: f"{c[0]}_{c[1]}_{c[2]}_{c[3]}")
def test_chunked_and_flat_paths(cfg, path, engine, rng, monkeypatch):
    """Both product engines (batch-major for small layers, channels-major for big ones), the
    cache-blocked (batch-chunked) products and the two col2im strategies agree with torch:
    force each on small inputs."""
    import lightgrad.ops.conv as conv

    monkeypatch.setattr(conv, "_BIG_GEMM", 0 if engine == "channels_major" else 1 << 62)
    if "chunked" in path:
        monkeypatch.setattr(conv, "_CHUNK_BYTES", 64)
        monkeypatch.setattr(conv, "_CHUNK_ABOVE", 0)
        monkeypatch.setattr(conv, "_COL2IM_CHUNK_ABOVE", 0)
    if "regular" in path:
        monkeypatch.setattr(conv, "_ROWS_SHORT", 0)
    op, xs, ws, kw = cfg
    case = OpCase(f"{op}_{path}_{engine}", lambda lib, x, w, b: getattr(F(lib), op)(x, w, b, **kw),
                  normal(xs, ws, (ws[1] * kw.get("groups", 1) if "transpose" in op else ws[0],)),
                  kind="matmul", gradcheck=False)
    check_case(case, rng)


@pytest.fixture
def blas_two_threads():
    """NumPy's BLAS allowed 2 threads for the test (so lightgrad may use its second thread);
    skipped where NumPy's OpenBLAS cannot be found."""
    import lightgrad.backend_kernels as bk

    bk.host_pair_ok()  # looks the library up
    if not bk._blas_api:
        pytest.skip("NumPy's OpenBLAS not found: no two-thread paths")
    get, set_ = bk._blas_api[:2]
    n = get()
    set_(2)
    yield
    set_(n)


@pytest.mark.parametrize("flat", [True, False])
@pytest.mark.parametrize("cfg", PATH_CONFIGS, ids=lambda c: f"{c[0]}_{c[1]}_{c[2]}_{c[3]}")
def test_two_thread_split_matches_one_thread(cfg, flat, rng, monkeypatch, blas_two_threads):
    """The channels-major engine split over two threads (batch halves, BLAS at one thread
    each) gives the same output and input gradient as one thread, and the weight gradient up
    to the order of its sum over the batch; forced on small inputs."""
    import lightgrad.backend_kernels as bk
    import lightgrad.ops.conv as conv

    pairs = []
    real = bk.host_pair
    monkeypatch.setattr(bk, "host_pair", lambda a, b: (pairs.append(1), real(a, b)))
    monkeypatch.setattr(conv, "_BIG_GEMM", 0)
    monkeypatch.setattr(conv, "_CHUNK_BYTES", 64)
    monkeypatch.setattr(conv, "_CHUNK_ABOVE", 0)
    monkeypatch.setattr(conv, "_COL2IM_CHUNK_ABOVE", 0)
    if not flat:
        monkeypatch.setattr(conv, "_ROWS_SHORT", 0)
    op, xs, ws, kw = cfg
    bs = (ws[1] * kw.get("groups", 1) if "transpose" in op else ws[0],)
    x0, w0, b0 = (rng.standard_normal(s) for s in (xs, ws, bs))
    g0 = None
    res = []
    for split in (False, True):
        monkeypatch.setattr(conv, "_SPLIT_ABOVE", 0 if split else 1 << 62)
        pairs.clear()
        x, w, b = (lightgrad.tensor(a, requires_grad=True) for a in (x0, w0, b0))
        y = getattr(lightgrad.nn.functional, op)(x, w, b, **kw)
        if g0 is None:
            g0 = rng.standard_normal(tuple(y.shape))
        y.backward(lightgrad.tensor(g0))
        res.append((y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()))
        # forward, input gradient, weight gradient (one pass with the input gradient when
        # transposed)
        assert len(pairs) == (0 if not split else 2 if "transpose" in op else 3)
    (y1, gx1, gw1, gb1), (y2, gx2, gw2, gb2) = res
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(gb1, gb2)
    np.testing.assert_array_equal(gx1, gx2)
    np.testing.assert_allclose(gw1, gw2, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_grad", [True, False])
@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("cfg", [c for c in PATH_CONFIGS if "transpose" not in c[0]],
                         ids=lambda c: f"{c[0]}_{c[1]}_{c[2]}_{c[3]}")
def test_small_layer_pair_split_matches_one_thread(cfg, chunked, x_grad, rng, monkeypatch,
                                                   blas_two_threads):
    """A small-layer (batch-major) convolution split over two threads, forward and backward
    (batch halves, BLAS at one thread each), gives the same output, input and bias gradients
    as one thread and the weight gradient up to the order of its sum over the batch; with the
    columns kept by the forward or redone in backward (chunked), and without an input
    gradient (LeNet-5's first layer). Forced on small inputs."""
    import lightgrad.backend_kernels as bk
    import lightgrad.ops.conv as conv

    pairs = []
    real = bk.host_pair
    monkeypatch.setattr(bk, "host_pair", lambda a, b: (pairs.append(1), real(a, b)))
    monkeypatch.setattr(conv, "_BIG_GEMM", 1 << 62)
    if chunked:
        monkeypatch.setattr(conv, "_CHUNK_BYTES", 64)
        monkeypatch.setattr(conv, "_CHUNK_ABOVE", 0)
    op, xs, ws, kw = cfg
    x0, w0, b0 = (rng.standard_normal(s) for s in (xs, ws, (ws[0],)))
    g0 = None
    res = []
    for split in (False, True):
        monkeypatch.setattr(conv, "_PAIR_ABOVE", 0 if split else 1 << 62)
        pairs.clear()
        x = lightgrad.tensor(x0, requires_grad=x_grad)
        w, b = (lightgrad.tensor(a, requires_grad=True) for a in (w0, b0))
        y = getattr(lightgrad.nn.functional, op)(x, w, b, **kw)
        if g0 is None:
            g0 = rng.standard_normal(tuple(y.shape))
        y.backward(lightgrad.tensor(g0))
        res.append((y.detach().numpy(), x.grad.numpy() if x_grad else None, w.grad.numpy(),
                    b.grad.numpy()))
        assert len(pairs) == (2 if split else 0)  # forward, backward
    (y1, gx1, gw1, gb1), (y2, gx2, gw2, gb2) = res
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(gb1, gb2)
    if x_grad:
        np.testing.assert_array_equal(gx1, gx2)
    np.testing.assert_allclose(gw1, gw2, rtol=1e-12, atol=1e-12)


def test_small_layer_pair_split_sees_in_place_change_of_its_input(monkeypatch,
                                                                  blas_two_threads):
    """A 1x1 convolution's columns are views of its input: split over two threads, the
    forward keeps the input itself for backward, so changing it in place is an error as
    without the split."""
    import lightgrad.ops.conv as conv

    monkeypatch.setattr(conv, "_BIG_GEMM", 1 << 62)
    monkeypatch.setattr(conv, "_PAIR_ABOVE", 0)
    x = lightgrad.randn(4, 3, 5, 5)
    w = lightgrad.randn(2, 3, 1, 1, requires_grad=True)
    y = lightgrad.nn.functional.conv2d(x, w)
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
