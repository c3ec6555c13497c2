"""Attention modules against PyTorch: ``nn.MultiheadAttention`` (self/cross attention,
batch_first, masks, need_weights, kdim/vdim, bias_kv, zero_attn, unbatched), parameter names,
init and torch state dicts; the courses' ``AdditiveAttention`` / ``DotProductAttention`` /
``MultiplicativeAttention`` against the same math written with torch ops.

Also home of :func:`module_parity`, the tuple-output module-parity helper that
``tests/nn/test_transformer.py`` uses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from tests.helpers import _compare, tol
from tests.nn.test_module import TORCH_DTYPE, copy_params_to_torch

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


# ----------------------------------------------------------------------------- parity helper
def _outputs(out):
    return list(out) if isinstance(out, tuple | list) else [out]


def module_parity(lg_mod, th_mod, arrays, rng, *, call=None, dtypes=(np.float32, np.float64),
                  modes=(True, False), kind="sequence", nondiff=()):
    """Copy lightgrad's parameters into ``th_mod``; run both on ``arrays`` (NumPy; floating ones
    cast to each dtype and requiring grad unless their index is in ``nondiff``) in each
    training mode; compare every output (``None`` must match ``None``), the input gradients and
    every parameter gradient, with a random upstream gradient on each output. Tolerances: the
    ``kind`` row (TESTING.md's 'sequence' row for attention and transformers)."""
    call = call or (lambda m, lib, *xs: m(*xs))
    for dt in dtypes:
        lg_mod.to(dt)
        th_mod.to(TORCH_DTYPE[dt])
        copy_params_to_torch(lg_mod, th_mod)
        rt = tol(kind, dt)
        for train in modes:
            lg_mod.train(train)
            th_mod.train(train)
            lg_mod.zero_grad()
            th_mod.zero_grad()
            cast = [a.astype(dt) if a.dtype.kind == "f" else a for a in arrays]
            rg = [a.dtype.kind == "f" and i not in nondiff for i, a in enumerate(cast)]
            lg_in = [lightgrad.tensor(a, requires_grad=r) for a, r in zip(cast, rg)]
            th_in = [torch.tensor(a, requires_grad=r) for a, r in zip(cast, rg)]
            what = f"{type(lg_mod).__name__} ({np.dtype(dt)}, train={train})"
            lo, to = _outputs(call(lg_mod, lightgrad, *lg_in)), _outputs(call(th_mod, torch,
                                                                              *th_in))
            assert len(lo) == len(to), f"{what}: {len(lo)} outputs != torch {len(to)}"
            lg_loss = th_loss = None
            for i, (a, b) in enumerate(zip(lo, to)):
                if b is None:
                    assert a is None, f"{what}: output {i} should be None"
                    continue
                _compare(f"{what} output {i}", a, b, *rt)
                g = rng.standard_normal(tuple(b.shape)).astype(dt)
                la, tb = (a * lightgrad.tensor(g)).sum(), (b * torch.from_numpy(g)).sum()
                lg_loss = la if lg_loss is None else lg_loss + la
                th_loss = tb if th_loss is None else th_loss + tb
            lg_loss.backward()
            th_loss.backward()
            for i, (li, ti) in enumerate(zip(lg_in, th_in)):
                if rg[i]:
                    tg = ti.grad if ti.grad is not None else torch.zeros_like(ti)
                    lgr = li.grad if li.grad is not None else lightgrad.zeros_like(li)
                    _compare(f"{what} grad of input {i}", lgr, tg, *rt)
            th_params = dict(th_mod.named_parameters())
            lg_params = dict(lg_mod.named_parameters())
            assert lg_params.keys() == th_params.keys(), f"{what}: parameter names differ"
            for name, p in lg_params.items():
                tp = th_params[name]
                if tp.grad is None:
                    assert p.grad is None or not p.grad.numpy().any(), f"{what}: {name}.grad"
                    continue
                assert p.grad is not None, f"{what}: {name} got no gradient"
                _compare(f"{what} grad of {name}", p.grad, tp.grad, *rt)


def both(factory, seed=0):
    """The same module built by ``factory(lib)`` in lightgrad and torch."""
    lightgrad.manual_seed(seed)
    torch.manual_seed(seed)
    return factory(lightgrad), factory(torch)


def padding_mask(rng, n, s):
    """(N, S) bool, True = padding; key 0 is always real (no query loses every key)."""
    m = rng.random((n, s)) > 0.6
    m[:, 0] = False
    return m


def forbid_mask(rng, shape):
    """attn_mask (bool, True = may NOT attend) that leaves key 0 visible."""
    m = rng.random(shape) > 0.6
    m[..., 0] = False
    return m


# ----------------------------------------------------------------------------- MultiheadAttention
E, H = 8, 2


def mha(**kw):
    return lambda lib: lib.nn.MultiheadAttention(E, H, **kw)


def self_attn(**kw):
    return lambda m, lib, x, *masks: m(x, x, x, **dict(zip(kw.get("masks", ()), masks)),
                                       **{k: v for k, v in kw.items() if k != "masks"})


def cross_attn(**kw):
    return lambda m, lib, q, k, v, *masks: m(q, k, v, **dict(zip(kw.get("masks", ()), masks)),
                                             **{k_: v_ for k_, v_ in kw.items() if k_ != "masks"})


def test_mha_self_attention_seq_first(rng):
    module_parity(*both(mha()), [rng.standard_normal((5, 3, E))], rng, call=self_attn())


def test_mha_self_attention_batch_first_key_padding(rng):
    x, kpm = rng.standard_normal((3, 5, E)), padding_mask(rng, 3, 5)
    module_parity(*both(mha(batch_first=True)), [x, kpm], rng,
                  call=self_attn(masks=("key_padding_mask",)))


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_cross_attention_2d_mask(rng, need_weights):
    arrays = [rng.standard_normal((2, 4, E)), rng.standard_normal((2, 6, E)),
              rng.standard_normal((2, 6, E)), forbid_mask(rng, (4, 6)), padding_mask(rng, 2, 6)]
    module_parity(*both(mha(batch_first=True)), arrays, rng,
                  call=cross_attn(masks=("attn_mask", "key_padding_mask"),
                                  need_weights=need_weights))


@pytest.mark.parametrize("average", [True, False])
def test_mha_3d_float_masks_per_head_weights(rng, average):
    arrays = [rng.standard_normal((4, 2, E)), rng.standard_normal((5, 2, E)),
              rng.standard_normal((5, 2, E)), rng.standard_normal((2 * H, 4, 5)),
              rng.standard_normal((2, 5))]
    module_parity(*both(mha()), arrays, rng, nondiff=(3, 4),
                  call=cross_attn(masks=("attn_mask", "key_padding_mask"),
                                  average_attn_weights=average))


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_kdim_vdim(rng, need_weights):
    arrays = [rng.standard_normal((3, 2, E)), rng.standard_normal((5, 2, 3)),
              rng.standard_normal((5, 2, 6)), padding_mask(rng, 2, 5)]
    module_parity(*both(mha(kdim=3, vdim=6)), arrays, rng,
                  call=cross_attn(masks=("key_padding_mask",), need_weights=need_weights))


def test_mha_separate_weights_are_named_like_torch():
    lg_mod, th_mod = both(mha(kdim=3, vdim=6))
    assert [n for n, _ in lg_mod.named_parameters()] == [n for n, _ in th_mod.named_parameters()]
    assert lg_mod.in_proj_weight is None and lg_mod.q_proj_weight.shape == (E, E)
    assert lg_mod.k_proj_weight.shape == (E, 3) and lg_mod.v_proj_weight.shape == (E, 6)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_bias_kv_zero_attn(rng, need_weights):
    arrays = [rng.standard_normal((3, 2, E)), forbid_mask(rng, (3, 3)), padding_mask(rng, 2, 3)]
    module_parity(*both(mha(add_bias_kv=True, add_zero_attn=True)), arrays, rng,
                  call=self_attn(masks=("attn_mask", "key_padding_mask"),
                                 need_weights=need_weights))


def test_mha_no_bias(rng):
    module_parity(*both(mha(bias=False, batch_first=True)), [rng.standard_normal((2, 3, E))],
                  rng, call=self_attn())


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched(rng, need_weights):
    arrays = [rng.standard_normal((4, E)), rng.standard_normal((5, E)),
              rng.standard_normal((5, E)), padding_mask(rng, 1, 5)[0],
              rng.standard_normal((H, 4, 5))]
    module_parity(*both(mha(batch_first=True)), arrays, rng, nondiff=(4,),
                  call=cross_attn(masks=("key_padding_mask", "attn_mask"),
                                  need_weights=need_weights))


def test_mha_causal_hint(rng):
    causal = np.triu(np.ones((5, 5), bool), 1)
    module_parity(*both(mha(batch_first=True)), [rng.standard_normal((2, 5, E)), causal], rng,
                  call=self_attn(masks=("attn_mask",), need_weights=False, is_causal=True))


def test_mha_dropout_eval_matches_torch_and_train_is_seeded(rng):
    lg_mod, th_mod = both(mha(dropout=0.5, batch_first=True))
    x = rng.standard_normal((2, 4, E))
    module_parity(lg_mod, th_mod, [x], rng, call=self_attn(), modes=(False,))
    lg_mod.train().to(np.float64)
    xt = lightgrad.tensor(x)
    outs = []
    for seed in (3, 3, 4):
        lightgrad.manual_seed(seed)
        outs.append(lg_mod(xt, xt, xt)[1].detach().numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.allclose(outs[0], outs[2])
    # dropout zeroes weights and rescales the kept ones by 1 / (1 - p)
    lg_mod.eval()
    clean = lg_mod(xt, xt, xt, average_attn_weights=False)[1].detach().numpy()
    lg_mod.train()
    lightgrad.manual_seed(5)
    dropped = lg_mod(xt, xt, xt, average_attn_weights=False)[1].detach().numpy()
    kept = dropped != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(dropped[kept], clean[kept] * 2, 1e-12, 1e-12)


def test_mha_gradcheck(rng):
    m = lightgrad.nn.MultiheadAttention(4, 2, batch_first=True).double()
    x = lightgrad.tensor(rng.standard_normal((1, 3, 4)), requires_grad=True)
    kv = lightgrad.tensor(rng.standard_normal((1, 2, 4)), requires_grad=True)
    assert lightgrad.autograd.gradcheck(lambda a, b: m(a, b, b), [x, kv])
    assert lightgrad.autograd.gradcheck(lambda a, b: m(a, b, b, need_weights=False)[0], [x, kv])


def test_mha_loads_torch_state_dict(rng):
    th_mod = torch.nn.MultiheadAttention(E, H, add_bias_kv=True, kdim=5, vdim=3).double()
    lg_mod = lightgrad.nn.MultiheadAttention(E, H, add_bias_kv=True, kdim=5, vdim=3).double()
    lg_mod.load_state_dict(th_mod.state_dict())
    q, k, v = (rng.standard_normal(s) for s in ((4, 2, E), (6, 2, 5), (6, 2, 3)))
    a = lg_mod(*(lightgrad.tensor(t) for t in (q, k, v)))
    b = th_mod(*(torch.tensor(t) for t in (q, k, v)))
    np.testing.assert_allclose(a[0].detach().numpy(), b[0].detach().numpy(),
                               *tol("sequence", np.float64))
    np.testing.assert_allclose(a[1].detach().numpy(), b[1].detach().numpy(),
                               *tol("sequence", np.float64))
    assert list(lg_mod.state_dict()) == list(th_mod.state_dict())


def test_mha_init_like_torch():
    e = 64
    m = lightgrad.nn.MultiheadAttention(e, 4, add_bias_kv=True)
    w = m.in_proj_weight.detach().numpy()
    bound = math.sqrt(6 / (e + 3 * e))  # xavier_uniform_ on (3E, E)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert not m.in_proj_bias.detach().numpy().any()
    assert not m.out_proj.bias.detach().numpy().any()
    ow = m.out_proj.weight.detach().numpy()  # Linear's default: U(-1/sqrt(E), 1/sqrt(E))
    assert np.abs(ow).max() <= 1 / math.sqrt(e)
    bk = np.concatenate([lightgrad.nn.MultiheadAttention(e, 4, add_bias_kv=True)
                         .bias_k.detach().numpy().ravel() for _ in range(20)])
    assert abs(bk.std() - 1 / math.sqrt(e)) < 0.15 / math.sqrt(e)  # xavier_normal_, fans E, E
    assert m.in_proj_weight.dtype == lightgrad.float32
    assert lightgrad.nn.MultiheadAttention(8, 2, dtype=lightgrad.float64).in_proj_weight.dtype \
        == lightgrad.float64


def test_mha_repr_matches_torch():
    lg_mod, th_mod = both(mha())
    assert repr(lg_mod) == repr(th_mod)


MHA_ERRORS = [
    ("not_divisible", lambda lib: lib.nn.MultiheadAttention(10, 3), r"divisible.*10.*3"),
    ("zero_heads", lambda lib: lib.nn.MultiheadAttention(8, 0), r"greater than 0"),
]


@pytest.mark.parametrize("name, make, match", MHA_ERRORS, ids=[e[0] for e in MHA_ERRORS])
def test_mha_constructor_errors(name, make, match):
    with pytest.raises(Exception):
        make(torch)
    with pytest.raises(ValueError, match=match):
        make(lightgrad)


def _call_errors():
    x = np.zeros((5, 2, E), np.float32)
    return [
        ("query_features", lambda lib, m: m(*[lib.tensor(np.zeros((5, 2, 7), np.float32))] * 3),
         r"query has 7 features, expected 8 \(shape \(5, 2, 7\)\)"),
        ("attn_mask_2d", lambda lib, m: m(*[lib.tensor(x)] * 3,
                                          attn_mask=lib.tensor(np.zeros((5, 4), bool))),
         r"2-D attn_mask is \(5, 4\), but should be \(5, 5\)"),
        ("attn_mask_3d", lambda lib, m: m(*[lib.tensor(x)] * 3,
                                          attn_mask=lib.tensor(np.zeros((2, 5, 5), bool))),
         r"3-D attn_mask is \(2, 5, 5\), but should be \(4, 5, 5\)"),
        ("key_padding", lambda lib, m: m(*[lib.tensor(x)] * 3,
                                         key_padding_mask=lib.tensor(np.zeros((5, 2), bool))),
         r"key_padding_mask.*\(2, 5\).*\(5, 2\)"),
        ("key_value_len", lambda lib, m: m(lib.tensor(x), lib.tensor(x),
                                           lib.tensor(np.zeros((4, 2, E), np.float32))),
         r"key and value.*\(5, 2, 8\).*\(4, 2, 8\)"),
        ("batch", lambda lib, m: m(lib.tensor(x), *[lib.tensor(np.zeros((5, 3, E), np.float32))]
                                   * 2), r"batch size.*\(5, 2, 8\).*\(5, 3, 8\)"),
        ("int_mask", lambda lib, m: m(*[lib.tensor(x)] * 3,
                                      key_padding_mask=lib.tensor(np.zeros((2, 5), np.int64))),
         r"bool and floating"),
    ]


@pytest.mark.parametrize("case", _call_errors(), ids=lambda c: c[0])
def test_mha_call_errors(case):
    _, fn, match = case
    lg_mod, th_mod = both(mha())
    with pytest.raises(Exception):
        fn(torch, th_mod)
    with pytest.raises((RuntimeError, ValueError, TypeError), match=match):
        fn(lightgrad, lg_mod)


# ----------------------------------------------------------------------------- courses' modules
class TorchAttention(torch.nn.Module):
    """The three single-head scores written with torch ops (parameter names as lightgrad's)."""

    def __init__(self, score, q_size=None, k_size=None, hidden=None, scale=None):
        super().__init__()
        self.score, self.scale = score, scale
        if score == "additive":
            self.W_q = torch.nn.Linear(q_size, hidden, bias=False)
            self.W_k = torch.nn.Linear(k_size, hidden, bias=False)
            self.w_v = torch.nn.Linear(hidden, 1, bias=False)
        elif score == "multiplicative":
            self.W = torch.nn.Linear(k_size, q_size, bias=False)

    def forward(self, q, k, v, keep=None):
        single = q.dim() == 2
        if single:
            q = q.unsqueeze(1)
        if self.score == "additive":
            s = self.w_v(torch.tanh(self.W_q(q).unsqueeze(2) + self.W_k(k).unsqueeze(1)))
            s = s.squeeze(-1)
        elif self.score == "multiplicative":
            s = q @ self.W(k).transpose(1, 2)
        else:
            scale = self.scale if self.scale is not None else 1 / math.sqrt(q.shape[-1])
            s = q @ k.transpose(1, 2) * scale
        if keep is not None:
            s = s.masked_fill(~keep, float("-inf"))
        w = torch.softmax(s, dim=-1)
        c = w @ v
        return (c.squeeze(1), w.squeeze(1)) if single else (c, w)


COURSE = {
    "additive": (lambda lib: lib.nn.AdditiveAttention(3, 5, 6),
                 lambda: TorchAttention("additive", 3, 5, 6)),
    "dot": (lambda lib: lib.nn.DotProductAttention(), lambda: TorchAttention("dot")),
    "dot_scale1": (lambda lib: lib.nn.DotProductAttention(scale=1.0),
                   lambda: TorchAttention("dot", scale=1.0)),
    "multiplicative": (lambda lib: lib.nn.MultiplicativeAttention(3, 5),
                       lambda: TorchAttention("multiplicative", 3, 5)),
}


def _course_pair(name):
    make_lg, make_th = COURSE[name]
    lightgrad.manual_seed(0)
    return make_lg(lightgrad), make_th()


def _k_size(name):
    return 3 if name.startswith("dot") else 5


@pytest.mark.parametrize("name", list(COURSE))
def test_course_attention_parity(name, rng):
    k_size = _k_size(name)
    lens = np.array([4, 2])
    keep = np.arange(4)[None, None, :] < lens[:, None, None]  # (N, 1, S)
    arrays = [rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 4, k_size)),
              rng.standard_normal((2, 4, 2)), keep]

    def call(m, lib, q, k, v, keep):
        if lib is torch:
            return m(q, k, v, keep)
        return m(q, k, v, valid_lens=lightgrad.tensor(lens))
    module_parity(*_course_pair(name), arrays, rng, call=call)


@pytest.mark.parametrize("name", list(COURSE))
def test_course_attention_single_query_and_mask(name, rng):
    k_size = _k_size(name)
    keep = np.array([[True, True, False, True, False], [True, False, False, False, False]])
    arrays = [rng.standard_normal((2, 3)), rng.standard_normal((2, 5, k_size)),
              rng.standard_normal((2, 5, 4)), keep]

    def call(m, lib, q, k, v, keep):
        if lib is torch:
            return m(q, k, v, keep[:, None, :])
        return m(q, k, v, mask=keep)
    module_parity(*_course_pair(name), arrays, rng, call=call)


@pytest.mark.parametrize("name", list(COURSE))
def test_course_attention_gradcheck(name, rng):
    m = _course_pair(name)[0].double()
    q = lightgrad.tensor(rng.standard_normal((1, 2, 3)), requires_grad=True)
    k = lightgrad.tensor(rng.standard_normal((1, 3, _k_size(name))), requires_grad=True)
    v = lightgrad.tensor(rng.standard_normal((1, 3, 2)), requires_grad=True)
    lens = lightgrad.tensor([[3, 2]])
    assert lightgrad.autograd.gradcheck(lambda a, b, c: m(a, b, c, valid_lens=lens), [q, k, v])


def test_course_attention_value_defaults_to_key_and_dead_rows_are_zero(rng):
    attn = nn.AdditiveAttention(4, 4, 8)
    q, k = lightgrad.randn(2, 3, 4), lightgrad.randn(2, 5, 4)
    c1, w1 = attn(q, k)
    c2, _ = attn(q, k, k)
    np.testing.assert_array_equal(c1.detach().numpy(), c2.detach().numpy())
    np.testing.assert_allclose(w1.detach().numpy().sum(-1), 1.0, 1e-6)
    c, w = attn(q, k, valid_lens=lightgrad.tensor([[5, 0, 2], [1, 1, 1]]))
    assert not np.isnan(c.detach().numpy()).any()
    np.testing.assert_array_equal(w.detach().numpy()[0, 1], 0.0)
    np.testing.assert_array_equal(c.detach().numpy()[0, 1], 0.0)
    np.testing.assert_array_equal(w.detach().numpy()[0, 2, 2:], 0.0)
    # mask (N, S) and valid_lens (N,) say the same thing
    lens = lightgrad.tensor([3, 1])
    mask = lightgrad.arange(5)[None, :] < lens[:, None]
    a = attn(q, k, valid_lens=lens)[0].detach().numpy()
    b = attn(q, k, mask=mask)[0].detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_course_attention_dropout_train_and_eval():
    attn = nn.DotProductAttention(dropout=0.5)
    q, k = lightgrad.randn(2, 3, 4), lightgrad.randn(2, 6, 4)
    lightgrad.manual_seed(1)
    w_train = attn(q, k)[1]  # weights are returned before dropout
    attn.eval()
    np.testing.assert_allclose(w_train.numpy(), attn(q, k)[1].numpy(), 1e-6)
    attn.train()
    lightgrad.manual_seed(1)
    c1 = attn(q, k)[0].numpy()
    lightgrad.manual_seed(1)
    np.testing.assert_array_equal(c1, attn(q, k)[0].numpy())
    attn.eval()
    assert not np.allclose(c1, attn(q, k)[0].numpy())


def test_course_attention_repr_and_params():
    assert repr(nn.AdditiveAttention(3, 5, 6)) == (
        "AdditiveAttention(\n  query_size=3, key_size=5, num_hiddens=6\n"
        "  (W_q): Linear(in_features=3, out_features=6, bias=False)\n"
        "  (W_k): Linear(in_features=5, out_features=6, bias=False)\n"
        "  (w_v): Linear(in_features=6, out_features=1, bias=False)\n"
        "  (dropout): Dropout(p=0.0, inplace=False)\n)")
    assert [n for n, _ in nn.MultiplicativeAttention(3, 5).named_parameters()] == ["W.weight"]
    assert list(nn.DotProductAttention().parameters()) == []


COURSE_ERRORS = [
    ("query_size", lambda: nn.AdditiveAttention(3, 5, 6)(lightgrad.zeros(2, 4, 4),
                                                         lightgrad.zeros(2, 6, 5)),
     RuntimeError, r"AdditiveAttention\(query_size=3.*query has 4 features.*\(2, 4, 4\)"),
    ("key_size", lambda: nn.MultiplicativeAttention(3, 5)(lightgrad.zeros(2, 4, 3),
                                                          lightgrad.zeros(2, 6, 4)),
     RuntimeError, r"key has 4 features, expected 5 \(shape \(2, 6, 4\)\)"),
    ("lengths", lambda: nn.DotProductAttention()(lightgrad.zeros(2, 4, 3),
                                                 lightgrad.zeros(2, 6, 3),
                                                 lightgrad.zeros(2, 5, 3)),
     RuntimeError, r"\(2, 6, 3\).*\(2, 5, 3\)"),
    ("dot_sizes", lambda: nn.DotProductAttention()(lightgrad.zeros(2, 4, 3),
                                                   lightgrad.zeros(2, 6, 2)),
     RuntimeError, r"same size.*\(2, 4, 3\).*\(2, 6, 2\)"),
    ("mask_shape", lambda: nn.DotProductAttention()(
        lightgrad.zeros(2, 4, 3), lightgrad.zeros(2, 6, 3),
        mask=lightgrad.ones(3, 6, dtype=lightgrad.bool)),
     RuntimeError, r"mask of shape \(3, 6\).*\(2, 6\)"),
    ("mask_dtype", lambda: nn.DotProductAttention()(
        lightgrad.zeros(2, 4, 3), lightgrad.zeros(2, 6, 3), mask=lightgrad.ones(2, 6)),
     TypeError, r"bool"),
    ("valid_lens_shape", lambda: nn.DotProductAttention()(
        lightgrad.zeros(2, 4, 3), lightgrad.zeros(2, 6, 3), valid_lens=lightgrad.tensor([1])),
     RuntimeError, r"valid_lens.*\(1,\)"),
    ("both_masks", lambda: nn.DotProductAttention()(
        lightgrad.zeros(2, 4, 3), lightgrad.zeros(2, 6, 3),
        mask=lightgrad.ones(2, 6, dtype=lightgrad.bool), valid_lens=lightgrad.tensor([1, 2])),
     ValueError, r"not both"),
    ("sizes_positive", lambda: nn.AdditiveAttention(0, 3, 3), ValueError, r"query_size"),
]


@pytest.mark.parametrize("name, fn, exc, match", COURSE_ERRORS, ids=[e[0] for e in COURSE_ERRORS])
def test_course_attention_errors(name, fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()
