"""Embedding against torch: ``F.embedding`` as OpCase rows (repeated indices in every
accumulation regime, padding_idx, scale_grad_by_freq, int32 indices, float64 gradcheck),
``max_norm`` renormalization in place, and ``nn.Embedding``: initialization, padding row,
``from_pretrained``, state dicts, repr and errors."""

from __future__ import annotations

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from tests.helpers import OpCase, _compare, case_id, check_case, check_raises, tol
from tests.nn.test_init import assert_moments, assert_same_distribution
from tests.nn.test_module import check_module

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

E = ("Embedding",)


def _emb(**kw):
    return lambda lib, w, idx: lib.nn.functional.embedding(idx, w, **kw)


def table(v, d, *idx_shape, dtype=np.int64, transposed=False):
    """A (v, d) weight and indices of ``idx_shape`` drawn from [0, v)."""
    def make(r):
        w = r.standard_normal((d, v)).T if transposed else r.standard_normal((v, d))
        return [w, r.integers(0, v, idx_shape).astype(dtype)]
    return make


EMBEDDING_CASES = [
    OpCase("emb_2d_indices", _emb(), table(7, 3, 2, 4), covers=E, kind="movement"),
    OpCase("emb_1d_indices", _emb(), table(5, 4, 6), covers=E, kind="movement"),
    OpCase("emb_0d_index", _emb(), table(5, 3), covers=E, kind="movement"),
    OpCase("emb_empty_indices", _emb(), table(5, 3, 0), covers=E, kind="movement"),
    OpCase("emb_int32_indices", _emb(), table(6, 2, 3, 3, dtype=np.int32), covers=E,
           kind="movement"),
    OpCase("emb_transposed_weight", _emb(), table(6, 4, 5, transposed=True), covers=E,
           kind="movement"),
    OpCase("emb_transposed_indices", _emb(),
           lambda r: [r.standard_normal((6, 2)), r.integers(0, 6, (3, 4)).T], covers=E,
           kind="movement"),
    # the three accumulation regimes of the weight gradient (ops.indexing._index_add_rows):
    # few indices into many rows (sorted segment sums), many indices per row (bincount), and a
    # run of more than 32 repeats of one index (reduceat)
    OpCase("emb_repeats_sorted_path", _emb(),
           lambda r: [r.standard_normal((12, 2)), np.array([3, 7, 3, 0, 3, 11, 7, 5])],
           covers=E, kind="movement"),
    OpCase("emb_repeats_bincount_path", _emb(), table(3, 4, 4, 5), covers=E, kind="movement"),
    OpCase("emb_long_run", _emb(),
           lambda r: [r.standard_normal((10, 2)),
                      np.concatenate([np.full(40, 4), np.arange(10), [4, 1]])],
           covers=E, kind="movement"),
    # padding_idx and scale_grad_by_freq deliberately change the gradient (torch documents
    # that it differs from the numerical one): parity with torch only, no gradcheck
    OpCase("emb_padding_idx", _emb(padding_idx=2),
           lambda r: [r.standard_normal((5, 3)), np.array([[2, 1, 2], [0, 2, 4]])], covers=E,
           kind="movement", gradcheck=False),
    OpCase("emb_negative_padding_idx", _emb(padding_idx=-1),
           lambda r: [r.standard_normal((4, 2)), np.array([3, 3, 1, 0, 3])], covers=E,
           kind="movement", gradcheck=False),
    OpCase("emb_scale_grad_by_freq", _emb(scale_grad_by_freq=True),
           lambda r: [r.standard_normal((6, 3)), np.array([[1, 1, 4], [1, 5, 4]])], covers=E,
           kind="movement", gradcheck=False),
    OpCase("emb_scale_grad_by_freq_padding", _emb(scale_grad_by_freq=True, padding_idx=0),
           lambda r: [r.standard_normal((4, 2)), np.array([0, 0, 1, 3, 1])], covers=E,
           kind="movement", gradcheck=False),
    OpCase("emb_sparse_flag_dense_grad", _emb(sparse=False), table(4, 2, 3), covers=E,
           kind="movement"),
    # max_norm rescales the weight in place, so a numerical gradient check cannot apply
    OpCase("emb_max_norm", _emb(max_norm=1.0), table(6, 3, 2, 3), covers=E, kind="movement",
           gradcheck=False),
    OpCase("emb_max_norm_p1", _emb(max_norm=1.5, norm_type=1.0), table(6, 3, 4), covers=E,
           kind="movement", gradcheck=False),
]


@pytest.mark.parametrize("case", EMBEDDING_CASES, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


def test_integer_weight_forward_only():
    """An integer table is looked up as is (no gradient), as in torch."""
    w = np.arange(12).reshape(4, 3)
    idx = np.array([3, 0])
    out = lightgrad.nn.functional.embedding(lightgrad.tensor(idx), lightgrad.tensor(w))
    ref = torch.nn.functional.embedding(torch.tensor(idx), torch.tensor(w))
    _compare("int table", out, ref, 0, 0)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")], ids=["l2", "l1", "l3",
                                                                             "linf"])
def test_max_norm_renormalizes_weight_in_place(norm_type, rng):
    """Only the rows looked up and over the limit change (to norm max_norm, scale
    max_norm / (norm + 1e-7)), exactly as torch.embedding_renorm_; the version counter moves."""
    w = rng.standard_normal((8, 4)).astype(np.float32) * 2
    idx = np.array([[1, 5, 1], [6, 0, 5]])
    lw = lightgrad.tensor(w.copy(), requires_grad=True)
    tw = torch.tensor(w.copy(), requires_grad=True)
    v0 = lw._version
    lo = lightgrad.nn.functional.embedding(lightgrad.tensor(idx), lw, max_norm=1.2,
                                           norm_type=norm_type)
    to = torch.nn.functional.embedding(torch.tensor(idx), tw, max_norm=1.2, norm_type=norm_type)
    _compare("output", lo, to, *tol("elementwise", np.float32))
    _compare("renormalized weight", lw.detach(), tw.detach(), *tol("elementwise", np.float32))
    untouched = [2, 3, 4, 7]
    np.testing.assert_array_equal(lw.detach().numpy()[untouched], w[untouched])
    norms = np.linalg.norm(lw.detach().numpy()[[0, 1, 5, 6]], ord=norm_type, axis=1)
    assert (norms <= 1.2 + 1e-5).all()
    assert lw._version > v0
    g = rng.standard_normal(tuple(to.shape)).astype(np.float32)
    (lo * lightgrad.tensor(g)).sum().backward()
    (to * torch.from_numpy(g)).sum().backward()
    _compare("weight grad", lw.grad, tw.grad, *tol("backward", np.float32))


def _f(lib):
    return lib.nn.functional


RAISES = [
    ("float_indices", lambda lib, w, i: _f(lib).embedding(i, w),
     [np.ones((5, 3)), np.array([1.0, 2.0])], "expected indices of dtype int64.*got float64"),
    ("int16_indices", lambda lib, w, i: _f(lib).embedding(i, w),
     [np.ones((5, 3)), np.array([1, 2], dtype=np.int16)], "expected indices of dtype int64"),
    ("index_too_large", lambda lib, w, i: _f(lib).embedding(i, w),
     [np.ones((5, 3)), np.array([[0, 5], [1, 2]])],
     r"index 5 is out of range .*num_embeddings=5"),
    ("negative_index", lambda lib, w, i: _f(lib).embedding(i, w),
     [np.ones((5, 3)), np.array([0, -1])], r"index -1 is out of range .*num_embeddings=5"),
    ("weight_not_2d", lambda lib, w, i: _f(lib).embedding(i, w),
     [np.ones(5), np.array([1])], r"'weight' must be 2-D.*\(5,\)"),
    ("padding_idx_out_of_range", lambda lib, w, i: _f(lib).embedding(i, w, padding_idx=5),
     [np.ones((5, 3)), np.array([1])], "Padding_idx must be within num_embeddings"),
    ("negative_padding_idx_out_of_range",
     lambda lib, w, i: _f(lib).embedding(i, w, padding_idx=-6),
     [np.ones((5, 3)), np.array([1])], "Padding_idx must be within num_embeddings"),
]


@pytest.mark.parametrize("name,fn,inputs,match", RAISES, ids=[r[0] for r in RAISES])
def test_raises(name, fn, inputs, match):
    check_raises(fn, inputs, match=match)


# ----------------------------------------------------------------------------- nn.Embedding
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 1}, {"padding_idx": -2},
                                {"scale_grad_by_freq": True}, {"max_norm": 1.5}],
                         ids=["plain", "padding", "negative_padding", "freq", "max_norm"])
def test_embedding_module_parity(kw, rng):
    lg_mod = nn.Embedding(9, 4, **kw)
    th_mod = torch.nn.Embedding(9, 4, **kw)
    idx = rng.integers(0, 9, (5, 6))
    idx[0, :3] = 7  # repeated indices
    check_module(lg_mod, th_mod, [idx], rng, kind="movement", modes=(True,))


def test_embedding_init_and_padding_row(rng):
    """weight ~ N(0, 1) like torch's (moments and a KS test against torch's draw); the padding
    row starts at zero and never gets a gradient."""
    emb = nn.Embedding(500, 40, padding_idx=3)
    w = emb.weight.detach().numpy()
    assert w.dtype == np.float32 and emb.weight.requires_grad
    np.testing.assert_array_equal(w[3], 0)
    rest = np.delete(w, 3, axis=0)
    assert_moments(rest, 0.0, 1.0, 3.0, "Embedding.weight")
    assert_same_distribution(rest.ravel(),
                             torch.nn.Embedding(500, 40).weight.detach().numpy().ravel(),
                             "Embedding.weight")
    out = emb(lightgrad.tensor([[3, 4, 3]]))
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], 0)
    out.sum().backward()
    g = emb.weight.grad.numpy()
    np.testing.assert_array_equal(g[3], 0)
    np.testing.assert_array_equal(g[4], 1)
    assert nn.Embedding(3, 2, dtype=lightgrad.float64).weight.dtype == np.float64


def test_embedding_seeded_init_is_reproducible():
    lightgrad.manual_seed(7)
    a = nn.Embedding(4, 3).weight.detach().numpy().copy()
    lightgrad.manual_seed(7)
    b = nn.Embedding(4, 3).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_embedding_from_pretrained():
    w = lightgrad.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    emb = nn.Embedding.from_pretrained(w)
    assert emb.weight.data is w.data  # shared, not copied
    assert not emb.weight.requires_grad
    assert (emb.num_embeddings, emb.embedding_dim) == (3, 2)
    out = emb(lightgrad.tensor([2, 0]))
    assert out.tolist() == [[5.0, 6.0], [1.0, 2.0]] and not out.requires_grad
    trainable = nn.Embedding.from_pretrained(lightgrad.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                             freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad
    assert trainable.weight.tolist()[0] == [1.0, 2.0]  # the padding row is not zeroed
    trainable(lightgrad.tensor([0, 1, 1])).sum().backward()
    assert trainable.weight.grad.tolist() == [[0.0, 0.0], [2.0, 2.0]]
    th = torch.nn.Embedding.from_pretrained(torch.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                            freeze=False, padding_idx=0)
    assert repr(trainable) == repr(th)
    with pytest.raises(ValueError, match="expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(lightgrad.ones(3))


def test_embedding_loads_torch_state_dict(rng):
    th_mod = torch.nn.Embedding(6, 3)
    lg_mod = nn.Embedding(6, 3)
    lg_mod.load_state_dict(th_mod.state_dict())
    idx = rng.integers(0, 6, (2, 5))
    _compare("output", lg_mod(lightgrad.tensor(idx)), th_mod(torch.tensor(idx)), 0, 0)
    assert list(lg_mod.state_dict()) == list(th_mod.state_dict()) == ["weight"]


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 0}, {"max_norm": 2.0, "norm_type": 1.0},
                                {"scale_grad_by_freq": True, "sparse": True},
                                {"padding_idx": -1, "max_norm": 1.0}])
def test_embedding_repr(kw):
    assert repr(nn.Embedding(10, 3, **kw)) == repr(torch.nn.Embedding(10, 3, **kw))


MODULE_RAISES = [
    ("index_out_of_range", lambda lib: lib.nn.Embedding(10, 3)(lib.tensor([[1, 10]])),
     IndexError, r"index 10 is out of range .*num_embeddings=10"),
    ("float_input", lambda lib: lib.nn.Embedding(10, 3)(lib.tensor([1.0])),
     RuntimeError, "expected indices of dtype int64"),
    ("padding_idx_too_large", lambda lib: lib.nn.Embedding(10, 3, padding_idx=10),
     ValueError, "Padding_idx must be within num_embeddings"),
    ("weight_shape_mismatch", lambda lib: lib.nn.Embedding(4, 3, _weight=lib.ones(3, 3)),
     ValueError, "Shape of weight .* does not match num_embeddings and embedding_dim"),
]


@pytest.mark.parametrize("name,fn,exc,match", MODULE_RAISES, ids=[r[0] for r in MODULE_RAISES])
def test_module_raises(name, fn, exc, match):
    with pytest.raises(Exception):
        fn(torch)
    with pytest.raises(exc, match=match):
        fn(lightgrad)
