"""Attention ops against PyTorch: ``scaled_dot_product_attention`` (masks bool/float, causal,
scale, grouped-query, batch dims, empty sizes), ``multi_head_attention_forward`` (both the
weights path and the fused path), ``masked_softmax``, ``generate_square_subsequent_mask``;
dropout reproducibility, fully masked rows, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import lightgrad
import lightgrad.nn.functional as LF
from tests.helpers import OpCase, case_id, check_case, check_raises, tol

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

SDPA = ("ScaledDotProductAttention",)


def sdpa(**kw):
    return lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v, **kw)


def sdpa_mask(**kw):
    return lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=m, **kw)


def qkv(qs, ks, vs):
    return lambda r: [r.standard_normal(qs), r.standard_normal(ks), r.standard_normal(vs)]


def keep_mask(r, shape):
    """A boolean mask (True = attend) with at least one key per query row."""
    m = r.random(shape) > 0.4
    m[..., 0] = True
    return m


def _dead_rows_mask(r):
    m = keep_mask(r, (3, 5))
    m[1] = False  # query 1 sees nothing: zeros out, zero gradient
    return m


def _float_mask_with_dead_row(r):
    m = r.standard_normal((2, 3, 5))
    m[0, 2] = -np.inf
    m[1, 0, 1:3] = -np.inf
    return m


def _mha_inputs(r, L=2, S=3, N=2, E=4, kdim=None, vdim=None):
    kdim = kdim or E
    vdim = vdim or E
    return [r.standard_normal((L, N, E)), r.standard_normal((S, N, kdim)),
            r.standard_normal((S, N, vdim)), r.standard_normal((3 * E, E)) * 0.5,
            r.standard_normal(3 * E) * 0.1, r.standard_normal((E, E)) * 0.5,
            r.standard_normal(E) * 0.1]


def mha(need_weights=True, average=True, **kw):
    """F.multi_head_attention_forward over (q, k, v, in_w, in_b, out_w, out_b[, masks...])."""
    def fn(lib, q, k, v, w, b, ow, ob, *masks):
        names = kw.get("masks", ())
        extra = dict(zip(names, masks))
        out, weights = lib.nn.functional.multi_head_attention_forward(
            q, k, v, q.shape[-1], 2, w, b, None, None, False, 0.0, ow, ob, training=True,
            need_weights=need_weights, average_attn_weights=average,
            is_causal=kw.get("is_causal", False), **extra)
        assert (weights is None) == (not need_weights)
        return (out, weights) if need_weights else out  # (the helper cannot compare None)
    return fn


def _mha_masked(r):
    kpm = r.random((2, 3)) > 0.6
    kpm[:, 0] = False
    am = r.random((2, 3)) > 0.7
    am[:, 1] = False
    return _mha_inputs(r) + [kpm, am]


def _mha_float_masks(r):
    return _mha_inputs(r) + [r.standard_normal((2, 3)), r.standard_normal((4, 2, 3))]


def _mha_separate(lib, q, k, v, wq, wk, wv, b, ow, ob):
    return lib.nn.functional.multi_head_attention_forward(
        q, k, v, 4, 2, None, b, None, None, False, 0.0, ow, ob, need_weights=True,
        use_separate_proj_weight=True, q_proj_weight=wq, k_proj_weight=wk, v_proj_weight=wv)


def _mha_bias_kv(lib, q, k, v, w, b, ow, ob, bk, bv, kpm):
    return lib.nn.functional.multi_head_attention_forward(
        q, k, v, 4, 2, w, b, bk, bv, True, 0.0, ow, ob, key_padding_mask=kpm,
        need_weights=True, average_attn_weights=False)


def _torch_masked_softmax(lib, x, m):
    return torch.softmax(x.masked_fill(~m, float("-inf")), dim=-1).nan_to_num(0.0)


def _masked_rows(r):
    m = r.random((4, 5)) > 0.5
    m[0] = False
    m[1:, 2] = True
    return [r.standard_normal((4, 5)), m]


CASES = [
    # ---- scaled_dot_product_attention
    OpCase("sdpa_3d", sdpa(), qkv((2, 3, 4), (2, 5, 4), (2, 5, 6)), covers=SDPA, kind="softmax"),
    OpCase("sdpa_2d_unbatched", sdpa(), qkv((3, 4), (5, 4), (5, 2)), covers=SDPA,
           kind="softmax"),
    OpCase("sdpa_4d_broadcast_batch", sdpa(), qkv((2, 2, 3, 4), (1, 2, 5, 4), (2, 1, 5, 3)),
           covers=SDPA, kind="softmax"),
    OpCase("sdpa_5d", sdpa(), qkv((2, 1, 2, 2, 3), (2, 1, 2, 3, 3), (2, 1, 2, 3, 2)),
           covers=SDPA, kind="softmax"),
    OpCase("sdpa_noncontiguous_T",
           sdpa(), lambda r: [r.standard_normal((4, 3)).T, r.standard_normal((4, 5)).T,
                              r.standard_normal((2, 5)).T], covers=SDPA, kind="softmax"),
    OpCase("sdpa_bool_mask", sdpa_mask(), lambda r: qkv((2, 3, 4), (2, 5, 4), (2, 5, 3))(r)
           + [keep_mask(r, (3, 5))], covers=SDPA, kind="softmax"),
    OpCase("sdpa_bool_mask_batched", sdpa_mask(), lambda r: qkv((2, 2, 3, 4), (2, 2, 4, 4),
                                                                (2, 2, 4, 3))(r)
           + [keep_mask(r, (2, 1, 3, 4))], covers=SDPA, kind="softmax"),
    OpCase("sdpa_bool_mask_fully_masked_row", sdpa_mask(),
           lambda r: qkv((2, 3, 4), (2, 5, 4), (2, 5, 3))(r) + [_dead_rows_mask(r)],
           covers=SDPA, kind="softmax"),
    OpCase("sdpa_float_mask", sdpa_mask(), lambda r: qkv((2, 3, 4), (2, 5, 4), (2, 5, 3))(r)
           + [r.standard_normal((3, 5))], covers=SDPA, kind="softmax"),
    OpCase("sdpa_float_mask_inf", sdpa_mask(), lambda r: qkv((2, 3, 4), (2, 5, 4), (2, 5, 3))(r)
           + [_float_mask_with_dead_row(r)], covers=SDPA, kind="softmax"),
    OpCase("sdpa_float_mask_broadcast_key_padding", sdpa_mask(),
           lambda r: qkv((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3))(r)
           + [r.standard_normal((2, 1, 1, 5))], covers=SDPA, kind="softmax"),
    OpCase("sdpa_causal_square", sdpa(is_causal=True), qkv((2, 4, 3), (2, 4, 3), (2, 4, 2)),
           covers=SDPA, kind="softmax"),
    OpCase("sdpa_causal_rect", sdpa(is_causal=True), qkv((2, 4, 3), (2, 6, 3), (2, 6, 2)),
           covers=SDPA, kind="softmax"),
    OpCase("sdpa_causal_more_queries", sdpa(is_causal=True), qkv((2, 5, 3), (2, 3, 3),
                                                               (2, 3, 2)),
           covers=SDPA, kind="softmax"),
    OpCase("sdpa_scale_kw", sdpa(scale=0.3, dropout_p=0.0), qkv((2, 3, 4), (2, 5, 4), (2, 5, 3)),
           covers=SDPA, kind="softmax"),
    OpCase("sdpa_gqa", sdpa(enable_gqa=True), qkv((1, 4, 3, 2), (1, 2, 4, 2), (1, 2, 4, 3)),
           covers=SDPA, kind="softmax"),
    OpCase("sdpa_gqa_mask", sdpa_mask(enable_gqa=True),
           lambda r: qkv((1, 4, 2, 2), (1, 2, 3, 2), (1, 2, 3, 2))(r)
           + [r.standard_normal((4, 2, 3))], covers=SDPA, kind="softmax"),
    OpCase("sdpa_gqa_3d", sdpa(enable_gqa=True), qkv((6, 2, 2), (2, 3, 2), (2, 3, 2)),
           covers=SDPA, kind="softmax"),
    OpCase("sdpa_gqa_equal_heads", sdpa(enable_gqa=True), qkv((2, 3, 2), (2, 4, 2), (2, 4, 3)),
           covers=SDPA, kind="softmax"),
    OpCase("sdpa_empty_queries", sdpa(), qkv((2, 0, 4), (2, 5, 4), (2, 5, 3)), covers=SDPA,
           kind="softmax"),
    OpCase("sdpa_empty_keys", sdpa(), qkv((2, 3, 4), (2, 0, 4), (2, 0, 3)), covers=SDPA,
           kind="softmax"),
    OpCase("sdpa_empty_batch", sdpa(), qkv((0, 3, 4), (0, 5, 4), (0, 5, 3)), covers=SDPA,
           kind="softmax"),
    # ---- multi_head_attention_forward (need_weights: AttentionWeights; else fused SDPA)
    OpCase("mha_need_weights", mha(), _mha_inputs, covers=("AttentionWeights",),
           kind="softmax"),
    OpCase("mha_need_weights_per_head", mha(average=False), _mha_inputs,
           covers=("AttentionWeights",), kind="softmax"),
    OpCase("mha_fused", mha(need_weights=False), _mha_inputs, covers=SDPA, kind="softmax"),
    OpCase("mha_bool_masks_weights", mha(masks=("key_padding_mask", "attn_mask")), _mha_masked,
           covers=("AttentionWeights",), kind="softmax"),
    OpCase("mha_bool_masks_fused", mha(need_weights=False,
                                       masks=("key_padding_mask", "attn_mask")), _mha_masked,
           covers=SDPA, kind="softmax"),
    OpCase("mha_float_masks_3d_weights", mha(masks=("key_padding_mask", "attn_mask")),
           _mha_float_masks, covers=("AttentionWeights",), kind="softmax"),
    OpCase("mha_float_masks_3d_fused", mha(need_weights=False,
                                           masks=("key_padding_mask", "attn_mask")),
           _mha_float_masks, covers=SDPA, kind="softmax"),
    OpCase("mha_causal_hint", mha(need_weights=False, masks=("attn_mask",), is_causal=True),
           lambda r: _mha_inputs(r, S=2) + [np.triu(np.full((2, 2), -np.inf), 1)],
           covers=SDPA, kind="softmax", nondiff=(7,)),
    OpCase("mha_separate_proj", _mha_separate,
           lambda r: [r.standard_normal((2, 2, 4)), r.standard_normal((3, 2, 3)),
                      r.standard_normal((3, 2, 5)), r.standard_normal((4, 4)) * 0.5,
                      r.standard_normal((4, 3)) * 0.5, r.standard_normal((4, 5)) * 0.5,
                      r.standard_normal(12) * 0.1, r.standard_normal((4, 4)) * 0.5,
                      r.standard_normal(4) * 0.1],
           covers=("AttentionWeights",), kind="softmax"),
    OpCase("mha_bias_kv_zero_attn", _mha_bias_kv,
           lambda r: _mha_inputs(r) + [r.standard_normal((1, 1, 4)), r.standard_normal((1, 1, 4)),
                                       np.array([[False, True, False], [False, False, True]])],
           covers=("AttentionWeights",), kind="softmax"),
    OpCase("mha_unbatched", mha(),
           lambda r: [a[:, 0] if i < 3 else a for i, a in enumerate(_mha_inputs(r))],
           covers=("AttentionWeights",), kind="softmax"),
    # ---- masked_softmax (lightgrad addition; torch composed from masked_fill + softmax)
    OpCase("masked_softmax", lambda lib, x, m: LF.masked_softmax(x, m), _masked_rows,
           covers=("MaskedSoftmax",), kind="softmax", torch_fn=_torch_masked_softmax),
    OpCase("masked_softmax_broadcast_mask_dim0",
           lambda lib, x, m: LF.masked_softmax(x, m, dim=0),
           lambda r: [r.standard_normal((4, 3)), np.array([[True], [False], [True], [True]])],
           covers=("MaskedSoftmax",), kind="softmax",
           torch_fn=lambda lib, x, m: torch.softmax(x.masked_fill(~m, float("-inf")), dim=0)),
    OpCase("masked_softmax_no_mask", lambda lib, x: LF.masked_softmax(x, None),
           lambda r: [r.standard_normal((2, 3, 4)).transpose(0, 2, 1)],
           covers=("MaskedSoftmax",), kind="softmax",
           torch_fn=lambda lib, x: torch.softmax(x, dim=-1)),
]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- errors
def _q(*s):
    return np.zeros(s, dtype=np.float32)


ERRORS = [
    ("sdpa_1d", lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v),
     [_q(4), _q(4), _q(4)], r"at least 2-D.*\(4,\)"),
    ("sdpa_E_mismatch", sdpa(), [_q(2, 3, 4), _q(2, 5, 3), _q(2, 5, 6)],
     r"embedding size E.*\(2, 3, 4\).*\(2, 5, 3\)"),
    ("sdpa_S_mismatch", sdpa(), [_q(2, 3, 4), _q(2, 5, 4), _q(2, 4, 6)],
     r"sequence length S.*\(2, 5, 4\).*\(2, 4, 6\)"),
    ("sdpa_batch_mismatch", sdpa(), [_q(2, 3, 4), _q(3, 5, 4), _q(3, 5, 6)],
     r"batch dims.*\(2, 3, 4\)"),
    ("sdpa_heads_without_gqa", sdpa(), [_q(2, 4, 3, 4), _q(2, 2, 5, 4), _q(2, 2, 5, 6)],
     r"enable_gqa"),
    ("sdpa_gqa_not_dividing", sdpa(enable_gqa=True), [_q(2, 4, 3, 4), _q(2, 3, 5, 4),
                                                      _q(2, 3, 5, 6)], r"divide"),
    ("sdpa_dtype_mismatch", sdpa(), [_q(2, 3, 4), _q(2, 5, 4).astype(np.float64), _q(2, 5, 6)],
     r"same dtype.*float64"),
    ("sdpa_integer_inputs", sdpa(), [np.zeros((2, 3, 4), np.int64)] * 3, r"floating"),
    ("sdpa_mask_shape", sdpa_mask(), [_q(2, 3, 4), _q(2, 5, 4), _q(2, 5, 6),
                                      np.ones((3, 4), bool)],
     r"attn_mask of shape \(3, 4\).*\(2, 3, 5\)"),
    ("sdpa_mask_int_dtype", sdpa_mask(), [_q(2, 3, 4), _q(2, 5, 4), _q(2, 5, 6),
                                          np.ones((3, 5), np.int64)], r"attn_mask dtype"),
    ("sdpa_mask_other_float", sdpa_mask(), [_q(2, 3, 4), _q(2, 5, 4), _q(2, 5, 6),
                                            np.ones((3, 5), np.float64)], r"attn_mask dtype"),
    ("sdpa_causal_and_mask", sdpa_mask(is_causal=True), [_q(2, 3, 4), _q(2, 5, 4), _q(2, 5, 6),
                                                         np.ones((3, 5), bool)], r"is_causal"),
    ("mha_embed_not_divisible",
     lambda lib, q, w, b, ow: lib.nn.functional.multi_head_attention_forward(
         q, q, q, 6, 4, w, b, None, None, False, 0.0, ow, None),
     [_q(2, 1, 6), _q(18, 6), _q(18), _q(6, 6)], r"not divisible"),
    ("mha_attn_mask_2d_shape",
     lambda lib, q, w, b, ow, m: lib.nn.functional.multi_head_attention_forward(
         q, q, q, 4, 2, w, b, None, None, False, 0.0, ow, None, attn_mask=m),
     [_q(3, 2, 4), _q(12, 4), _q(12), _q(4, 4), np.zeros((3, 4), bool)],
     r"2-D attn_mask is \(3, 4\), but should be \(3, 3\)"),
    ("mha_attn_mask_3d_shape",
     lambda lib, q, w, b, ow, m: lib.nn.functional.multi_head_attention_forward(
         q, q, q, 4, 2, w, b, None, None, False, 0.0, ow, None, attn_mask=m),
     [_q(3, 2, 4), _q(12, 4), _q(12), _q(4, 4), np.zeros((2, 3, 3), bool)],
     r"3-D attn_mask is \(2, 3, 3\), but should be \(4, 3, 3\)"),
    ("mha_key_padding_shape",
     lambda lib, q, w, b, ow, m: lib.nn.functional.multi_head_attention_forward(
         q, q, q, 4, 2, w, b, None, None, False, 0.0, ow, None, key_padding_mask=m),
     [_q(3, 2, 4), _q(12, 4), _q(12), _q(4, 4), np.zeros((2, 4), bool)],
     r"key_padding_mask.*\(2, 3\).*\(2, 4\)"),
    ("mha_wrong_embed_dim",
     lambda lib, q, w, b, ow: lib.nn.functional.multi_head_attention_forward(
         q, q, q, 8, 2, w, b, None, None, False, 0.0, ow, None),
     [_q(3, 2, 4), _q(12, 4), _q(12), _q(4, 4)], r"embedding dimension of 8.*\(3, 2, 4\)"),
    ("mha_causal_without_mask",
     lambda lib, q, w, b, ow: lib.nn.functional.multi_head_attention_forward(
         q, q, q, 4, 2, w, b, None, None, False, 0.0, ow, None, is_causal=True),
     [_q(3, 2, 4), _q(12, 4), _q(12), _q(4, 4)], r"Need attn_mask"),
    ("mha_4d_query",
     lambda lib, q, w, b, ow: lib.nn.functional.multi_head_attention_forward(
         q, q, q, 4, 2, w, b, None, None, False, 0.0, ow, None),
     [_q(1, 3, 2, 4), _q(12, 4), _q(12), _q(4, 4)], r"2-D or batched 3-D.*\(1, 3, 2, 4\)"),
]


@pytest.mark.parametrize("name, fn, inputs, match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, fn, inputs, match):
    check_raises(fn, inputs, match=match)


def test_lightgrad_only_errors():
    q = lightgrad.zeros(2, 3, 4)
    with pytest.raises(ValueError, match=r"between 0 and 1, but got 1.5"):
        LF.scaled_dot_product_attention(q, q, q, dropout_p=1.5)
    with pytest.raises(TypeError, match=r"scale must be a number"):
        LF.scaled_dot_product_attention(q, q, q, scale="big")
    with pytest.raises(RuntimeError, match=r"mask of shape \(3, 3\).*\(2, 3, 4\)"):
        LF.masked_softmax(q, lightgrad.ones(3, 3, dtype=lightgrad.bool))
    with pytest.raises(RuntimeError, match=r"bool tensor"):
        LF.masked_softmax(q, lightgrad.ones(3, 4))
    with pytest.raises(ValueError, match=r"non-negative int"):
        LF.generate_square_subsequent_mask(-1)


# ----------------------------------------------------------------------------- behaviour
def test_fully_masked_rows_are_zero_like_torch_sdpa(rng):
    q, k, v = (rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6)))
    m = np.ones((3, 5), bool)
    m[2] = False
    lq = lightgrad.tensor(q, requires_grad=True)
    out = LF.scaled_dot_product_attention(lq, lightgrad.tensor(k), lightgrad.tensor(v),
                                          attn_mask=lightgrad.tensor(m))
    tout = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v), attn_mask=torch.tensor(m))
    assert not np.isnan(out.detach().numpy()).any()
    np.testing.assert_array_equal(out.detach().numpy()[:, 2], 0.0)
    np.testing.assert_allclose(out.detach().numpy(), tout.numpy(), *tol("softmax", np.float64))
    out.sum().backward()
    np.testing.assert_array_equal(lq.grad.numpy()[:, 2], 0.0)


def test_mha_need_weights_fully_masked_rows_zero_where_torch_gives_nan(rng):
    """Documented difference: torch's need_weights path gives NaN for a query with every key
    masked; lightgrad gives zeros in both paths (torch's fused path also gives zeros)."""
    args = [rng.standard_normal(a.shape) for a in _mha_inputs(rng)]
    am = np.zeros((2, 3), bool)
    am[1] = True  # query 1 may attend to nothing
    lg_out, lg_w = LF.multi_head_attention_forward(
        *[lightgrad.tensor(a) for a in args[:3]], 4, 2, *[lightgrad.tensor(a) for a in args[3:5]],
        None, None, False, 0.0, *[lightgrad.tensor(a) for a in args[5:]],
        attn_mask=lightgrad.tensor(am))
    th_out, th_w = torch.nn.functional.multi_head_attention_forward(
        *[torch.tensor(a) for a in args[:3]], 4, 2, *[torch.tensor(a) for a in args[3:5]],
        None, None, False, 0.0, *[torch.tensor(a) for a in args[5:]],
        attn_mask=torch.tensor(am))
    assert torch.isnan(th_w[:, 1]).all()
    np.testing.assert_array_equal(lg_w.numpy()[:, 1], 0.0)
    np.testing.assert_allclose(lg_w.numpy()[:, 0], th_w.numpy()[:, 0], 1e-7, 1e-7)
    np.testing.assert_allclose(lg_out.numpy()[0], th_out.numpy()[0], 1e-7, 1e-7)
    fused, _ = LF.multi_head_attention_forward(
        *[lightgrad.tensor(a) for a in args[:3]], 4, 2, *[lightgrad.tensor(a) for a in args[3:5]],
        None, None, False, 0.0, *[lightgrad.tensor(a) for a in args[5:]],
        attn_mask=lightgrad.tensor(am), need_weights=False)
    np.testing.assert_allclose(fused.numpy(), lg_out.numpy(), 1e-7, 1e-7)


def _reference_dropout_attention(q, k, v, p, seed):
    """The same draw as the op (lightgrad's generator, u >= p keeps), composed in NumPy."""
    lightgrad.manual_seed(seed)
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    keep = lightgrad.backend.get_rng(None).random(w.shape, dtype=np.float32) >= p
    return (w * keep / (1 - p)) @ v


def test_sdpa_dropout_reproducible_and_exact(rng):
    q, k, v = (rng.standard_normal(s) for s in ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)))
    lq, lk, lv = (lightgrad.tensor(a) for a in (q, k, v))
    lightgrad.manual_seed(7)
    a = LF.scaled_dot_product_attention(lq, lk, lv, dropout_p=0.4).numpy()
    lightgrad.manual_seed(7)
    b = LF.scaled_dot_product_attention(lq, lk, lv, dropout_p=0.4).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, _reference_dropout_attention(q, k, v, 0.4, 7), 1e-12, 1e-12)
    c = LF.scaled_dot_product_attention(lq, lk, lv, dropout_p=0.4).numpy()
    assert not np.allclose(a, c)
    zero = LF.scaled_dot_product_attention(lq, lk, lv, dropout_p=1.0)
    np.testing.assert_array_equal(zero.numpy(), 0.0)


def test_sdpa_dropout_gradcheck(rng):
    ins = [lightgrad.tensor(rng.standard_normal(s), requires_grad=True)
           for s in ((1, 2, 3), (1, 3, 3), (1, 3, 2))]

    def f(q, k, v):
        lightgrad.manual_seed(3)  # the same dropout mask at every evaluation
        return LF.scaled_dot_product_attention(q, k, v, dropout_p=0.3)

    assert lightgrad.autograd.gradcheck(f, ins, eps=1e-6, atol=1e-5, rtol=1e-3)


def test_sdpa_gqa_dropout_and_grouping_match_repeat_interleave(rng):
    q, k, v = (rng.standard_normal(s) for s in ((1, 4, 3, 2), (1, 2, 5, 2), (1, 2, 5, 3)))
    lq, lk, lv = (lightgrad.tensor(a, requires_grad=True) for a in (q, k, v))
    out = LF.scaled_dot_product_attention(lq, lk, lv, enable_gqa=True)
    ref = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k).repeat_interleave(2, -3),
        torch.tensor(v).repeat_interleave(2, -3))
    np.testing.assert_allclose(out.detach().numpy(), ref.numpy(), 1e-7, 1e-7)
    lightgrad.manual_seed(1)
    d = LF.scaled_dot_product_attention(lq, lk, lv, enable_gqa=True, dropout_p=0.5)
    assert d.shape == (1, 4, 3, 3)


def test_sdpa_output_dtype_and_no_grad(rng):
    q = lightgrad.tensor(rng.standard_normal((2, 3, 4)).astype(np.float32))
    out = LF.scaled_dot_product_attention(q, q, q)
    assert out.dtype == lightgrad.float32 and not out.requires_grad
    with lightgrad.no_grad():
        qg = q.detach().requires_grad_()
        assert not LF.scaled_dot_product_attention(qg, qg, qg).requires_grad


@pytest.mark.parametrize("sz", [0, 1, 4])
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_generate_square_subsequent_mask(sz, dtype):
    lg_dt = None if dtype is None else getattr(lightgrad, dtype)
    th_dt = None if dtype is None else getattr(torch, dtype)
    a = LF.generate_square_subsequent_mask(sz, dtype=lg_dt)
    b = torch.nn.Transformer.generate_square_subsequent_mask(sz, dtype=th_dt)
    assert a.dtype == torch.empty(0, dtype=b.dtype).numpy().dtype
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(
        lightgrad.nn.Transformer.generate_square_subsequent_mask(sz, dtype=lg_dt).numpy(),
        b.numpy())


def test_causal_equals_explicit_mask(rng):
    q, k, v = (lightgrad.tensor(rng.standard_normal(s)) for s in ((2, 4, 3), (2, 4, 3), (2, 4, 5)))
    a = LF.scaled_dot_product_attention(q, k, v, is_causal=True)
    m = LF.generate_square_subsequent_mask(4, dtype=lightgrad.float64)
    b = LF.scaled_dot_product_attention(q, k, v, attn_mask=m)
    c = LF.scaled_dot_product_attention(q, k, v, attn_mask=lightgrad.tensor(np.tri(4, dtype=bool)))
    np.testing.assert_allclose(a.numpy(), b.numpy(), 1e-12, 1e-12)
    np.testing.assert_allclose(a.numpy(), c.numpy(), 1e-12, 1e-12)
