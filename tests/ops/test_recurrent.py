"""Fused recurrent layers (ops/recurrent.py) against PyTorch's ``_VF`` layer functions, the
composed cell functions, and the packing Functions.

Each layer Function runs one layer in one direction; PyTorch's ``torch.rnn_tanh`` /
``torch.lstm`` / ``torch.gru`` run the same layer (a reverse layer is the forward layer on the
time-flipped sequence). Packed rows use their ``batch_sizes`` overloads. Every row is compared
forward and backward (outputs AND final states, random upstream gradients on each) in float32 and
float64, then gradchecked in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import lightgrad
from lightgrad.nn import functional as F
from tests.helpers import OpCase, case_id, check_case, check_raises

pytestmark = [pytest.mark.torch,
              pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")]
torch = pytest.importorskip("torch")

T, N, I, H = 3, 2, 2, 3
BS = [3, 2, 1]  # packed batch sizes: lengths 3, 2, 1 (6 rows)


def _w(r, gates, i=I, h=H, p=None):
    """(w_ih, w_hh, b_ih, b_hh) for a layer with ``gates`` gate blocks."""
    p = p or h
    return [r.uniform(-0.8, 0.8, (gates * h, i)), r.uniform(-0.8, 0.8, (gates * h, p)),
            r.uniform(-0.5, 0.5, gates * h), r.uniform(-0.5, 0.5, gates * h)]


def _relu_w(r):
    """RNN-relu weights and inputs with every pre-activation well away from 0 (kinks)."""
    x = r.uniform(0.5, 1.0, (T, N, I))
    h0 = r.uniform(0.2, 0.6, (N, H))
    w_ih = r.uniform(0.1, 0.5, (H, I)) * np.array([[1], [-1], [1]])
    w_hh = r.uniform(0.05, 0.2, (H, H)) * np.array([[1], [-1], [1]])
    b = np.array([0.3, -0.3, 0.3])
    return [x, h0, w_ih, w_hh, b, b / 2]


# ----------------------------------------------------------------------------- torch twins
def _th_flip(fn, x, *rest):
    """A reverse layer in torch: the forward layer on the time-flipped input."""
    out = fn(x.flip(0), *rest)
    return (out[0].flip(0),) + tuple(out[1:])


def _th_rnn(act, reverse=False, bias=True):
    def fn(lib, x, h, *w):
        if lib is lightgrad:
            f = F.rnn_tanh if act == "tanh" else F.rnn_relu
            return f(x, h, *w, reverse=reverse)
        run = torch.rnn_tanh if act == "tanh" else torch.rnn_relu

        def layer(xx, hh, *ww):
            out, hn = run(xx, hh[None], list(ww), bias, 1, 0.0, False, False, False)
            return out, hn[0]
        return _th_flip(layer, x, h, *w) if reverse else layer(x, h, *w)
    return fn


def _lstm(reverse=False, bias=True, proj=False):
    def fn(lib, x, h, c, *w):
        if lib is lightgrad:
            wi, wh = w[0], w[1]
            b = w[2:4] if bias else (None, None)
            wr = w[-1] if proj else None
            return F.lstm(x, h, c, wi, wh, *b, wr, reverse=reverse)

        def layer(xx, hh, cc, *ww):
            out, hn, cn = torch.lstm(xx, (hh[None], cc[None]), list(ww), bias, 1, 0.0, False,
                                     False, False)
            return out, hn[0], cn[0]
        return _th_flip(layer, x, h, c, *w) if reverse else layer(x, h, c, *w)
    return fn


def _gru(reverse=False, bias=True):
    def fn(lib, x, h, *w):
        if lib is lightgrad:
            return F.gru(x, h, *w, reverse=reverse)

        def layer(xx, hh, *ww):
            out, hn = torch.gru(xx, hh[None], list(ww), bias, 1, 0.0, False, False, False)
            return out, hn[0]
        return _th_flip(layer, x, h, *w) if reverse else layer(x, h, *w)
    return fn


def _packed(mode):
    """A forward layer over packed rows (batch sizes ``BS``)."""
    def fn(lib, x, h, *rest):
        if lib is lightgrad:
            if mode == "lstm":
                return F.lstm(x, h, *rest, batch_sizes=BS)
            return getattr(F, mode)(x, h, *rest, batch_sizes=BS)
        bs = torch.tensor(BS)
        if mode == "lstm":
            c, w = rest[0], list(rest[1:])
            out, hn, cn = torch.lstm(x, bs, (h[None], c[None]), w, True, 1, 0.0, False, False)
            return out, hn[0], cn[0]
        out, hn = getattr(torch, mode)(x, bs, h[None], list(rest), True, 1, 0.0, False, False)
        return out, hn[0]
    return fn


def _x(r, t=T, n=N, i=I):
    return r.uniform(-1, 1, (t, n, i))


def _h(r, n=N, h=H):
    return r.uniform(-0.5, 0.5, (n, h))


LAYER_CASES = [
    OpCase("rnn_tanh", _th_rnn("tanh"), lambda r: [_x(r), _h(r), *_w(r, 1)],
           covers=("RNNLayer", "RecurrentState"), kind="sequence"),
    OpCase("rnn_tanh_reverse", _th_rnn("tanh", True), lambda r: [_x(r), _h(r), *_w(r, 1)],
           covers=("RNNLayer", "RecurrentState"), kind="sequence"),
    OpCase("rnn_tanh_no_bias", _th_rnn("tanh", bias=False), lambda r: [_x(r), _h(r),
                                                                      *_w(r, 1)[:2]],
           covers=("RNNLayer",), kind="sequence"),
    OpCase("rnn_relu", _th_rnn("relu"), _relu_w, covers=("RNNLayer",), kind="sequence"),
    OpCase("rnn_relu_reverse", _th_rnn("relu", True), _relu_w, covers=("RNNLayer",),
           kind="sequence"),
    OpCase("lstm", _lstm(), lambda r: [_x(r), _h(r), _h(r), *_w(r, 4)],
           covers=("LSTMLayer", "RecurrentState"), kind="sequence"),
    OpCase("lstm_reverse", _lstm(True), lambda r: [_x(r), _h(r), _h(r), *_w(r, 4)],
           covers=("LSTMLayer", "RecurrentState"), kind="sequence"),
    OpCase("lstm_no_bias", _lstm(bias=False), lambda r: [_x(r), _h(r), _h(r), *_w(r, 4)[:2]],
           covers=("LSTMLayer",), kind="sequence"),
    OpCase("lstm_proj", _lstm(proj=True),
           lambda r: [_x(r), _h(r, h=2), _h(r), *_w(r, 4, p=2), r.uniform(-0.8, 0.8, (2, H))],
           covers=("LSTMLayer",), kind="sequence"),
    OpCase("lstm_proj_reverse", _lstm(True, proj=True),
           lambda r: [_x(r), _h(r, h=2), _h(r), *_w(r, 4, p=2), r.uniform(-0.8, 0.8, (2, H))],
           covers=("LSTMLayer",), kind="sequence"),
    OpCase("gru", _gru(), lambda r: [_x(r), _h(r), *_w(r, 3)],
           covers=("GRULayer", "RecurrentState"), kind="sequence"),
    OpCase("gru_reverse", _gru(True), lambda r: [_x(r), _h(r), *_w(r, 3)],
           covers=("GRULayer",), kind="sequence"),
    OpCase("gru_no_bias", _gru(bias=False), lambda r: [_x(r), _h(r), *_w(r, 3)[:2]],
           covers=("GRULayer",), kind="sequence"),
    # transposed (non-contiguous) weights and input
    OpCase("gru_transposed_weights", _gru(),
           lambda r: [_x(r, i=3).transpose(1, 0, 2).copy().transpose(1, 0, 2), _h(r),
                      r.uniform(-0.8, 0.8, (3, 3 * H)).T, r.uniform(-0.8, 0.8, (H, 3 * H)).T,
                      *_w(r, 3)[2:]],
           covers=("GRULayer",), kind="sequence"),
    # packed rows, lengths 3, 2, 1: the final states come from each sequence's own last step
    OpCase("rnn_tanh_packed", _packed("rnn_tanh"),
           lambda r: [r.uniform(-1, 1, (6, I)), _h(r, n=3), *_w(r, 1)],
           covers=("RNNLayer", "RecurrentState"), kind="sequence"),
    OpCase("lstm_packed", _packed("lstm"),
           lambda r: [r.uniform(-1, 1, (6, I)), _h(r, n=3), _h(r, n=3), *_w(r, 4)],
           covers=("LSTMLayer", "RecurrentState"), kind="sequence"),
    OpCase("gru_packed", _packed("gru"),
           lambda r: [r.uniform(-1, 1, (6, I)), _h(r, n=3), *_w(r, 3)],
           covers=("GRULayer", "RecurrentState"), kind="sequence"),
    # only the final state is used (the output sequence gets no gradient)
    OpCase("lstm_h_n_only", lambda lib, *a: _lstm()(lib, *a)[1],
           lambda r: [_x(r), _h(r), _h(r), *_w(r, 4)], covers=("LSTMLayer", "RecurrentState"),
           kind="sequence"),
    OpCase("lstm_c_n_only", lambda lib, *a: _lstm(True)(lib, *a)[2],
           lambda r: [_x(r), _h(r), _h(r), *_w(r, 4)], covers=("LSTMLayer", "RecurrentState"),
           kind="sequence"),
    OpCase("gru_h_n_only", lambda lib, *a: _gru(True)(lib, *a)[1],
           lambda r: [_x(r), _h(r), *_w(r, 3)], covers=("GRULayer", "RecurrentState"),
           kind="sequence"),
    OpCase("rnn_h_n_only_packed", lambda lib, *a: _packed("rnn_tanh")(lib, *a)[1],
           lambda r: [r.uniform(-1, 1, (6, I)), _h(r, n=3), *_w(r, 1)],
           covers=("RNNLayer", "RecurrentState"), kind="sequence"),
    # initial state not given (zeros): only x and the weights get gradients
    OpCase("lstm_no_initial_state", lambda lib, x, *w: F.lstm(x, None, None, *w),
           lambda r: [_x(r), *_w(r, 4)], covers=("LSTMLayer",), kind="sequence",
           torch_fn=lambda lib, x, *w: (lambda o: (o[0], o[1][0], o[2][0]))(
               torch.lstm(x, (torch.zeros(1, N, H, dtype=x.dtype),) * 2, list(w), True, 1, 0.0,
                          False, False, False))),
    # a size-0 batch
    OpCase("gru_empty_batch", _gru(), lambda r: [_x(r, n=0), _h(r, n=0), *_w(r, 3)],
           covers=("GRULayer",), kind="sequence", gradcheck=False),
]


# ----------------------------------------------------------------------------- cells
def _cell(name):
    def fn(lib, x, h, *w):
        f = getattr(F if lib is lightgrad else torch, name)
        return f(x, h, *w)
    return fn


CELL_CASES = [
    OpCase("rnn_tanh_cell", _cell("rnn_tanh_cell"), lambda r: [_h(r, h=I), _h(r), *_w(r, 1)],
           kind="sequence"),
    OpCase("rnn_relu_cell", _cell("rnn_relu_cell"),
           lambda r: [r.uniform(0.5, 1, (N, I)), r.uniform(0.5, 1, (N, H)),
                      r.uniform(0.1, 0.5, (H, I)), r.uniform(0.1, 0.5, (H, H))],
           kind="sequence"),
    OpCase("lstm_cell",
           lambda lib, x, h, c, *w: (F.lstm_cell if lib is lightgrad else torch.lstm_cell)(
               x, (h, c), *w),
           lambda r: [_h(r, h=I), _h(r), _h(r), *_w(r, 4)], kind="sequence"),
    OpCase("gru_cell", _cell("gru_cell"), lambda r: [_h(r, h=I), _h(r), *_w(r, 3)],
           kind="sequence"),
]


# ----------------------------------------------------------------------------- packing
def _utils(lib):
    return lib.nn.utils.rnn


PACK_CASES = [
    OpCase("pack_padded_sequence",
           lambda lib, x: _utils(lib).pack_padded_sequence(x, [4, 2, 1]).data,
           lambda r: [r.standard_normal((5, 3, 2))], covers=("PackPadded",), kind="movement"),
    OpCase("pack_padded_sequence_batch_first_unsorted",
           lambda lib, x: _utils(lib).pack_padded_sequence(
               x, [2, 4, 1], batch_first=True, enforce_sorted=False).data,
           lambda r: [r.standard_normal((3, 4))], covers=("PackPadded",), kind="movement"),
    OpCase("pad_packed_sequence",
           lambda lib, x: _utils(lib).pad_packed_sequence(
               _utils(lib).pack_padded_sequence(x, [1, 3, 2], enforce_sorted=False),
               batch_first=True, padding_value=-1.5, total_length=5),
           lambda r: [r.standard_normal((3, 3, 2))], covers=("PackPadded", "PadPacked"),
           kind="movement"),
    OpCase("pad_sequence",
           lambda lib, a, b, c: _utils(lib).pad_sequence([a, b, c]),
           lambda r: [r.standard_normal((2, 3)), r.standard_normal((4, 3)),
                      r.standard_normal((1, 3))], covers=("PadPacked",), kind="movement"),
    OpCase("pad_sequence_left_batch_first",
           lambda lib, a, b: _utils(lib).pad_sequence([a, b], batch_first=True,
                                                      padding_value=2.0, padding_side="left"),
           lambda r: [r.standard_normal(2), r.standard_normal(4)], covers=("PadPacked",),
           kind="movement"),
    OpCase("pad_sequence_int",
           lambda lib, a, b: _utils(lib).pad_sequence([a, b], batch_first=True),
           lambda r: [r.integers(0, 9, 3), r.integers(0, 9, 1)], covers=("PadPacked",),
           kind="movement"),
]


@pytest.mark.parametrize("case", LAYER_CASES + CELL_CASES + PACK_CASES, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- gradchecks
@pytest.mark.parametrize("mode", ["rnn_tanh", "lstm", "gru"])
def test_gradcheck_packed_reverse(mode, rng):
    """Packed rows in the reverse direction: new sequences join mid-way with their initial
    state (the gather path), and every output, h_n and c_n is checked."""
    g = {"rnn_tanh": 1, "lstm": 4, "gru": 3}[mode]
    arrays = [rng.uniform(-1, 1, (6, I)), _h(rng, n=3)]
    if mode == "lstm":
        arrays.append(_h(rng, n=3))
    arrays += _w(rng, g)
    ins = [lightgrad.tensor(a, requires_grad=True) for a in arrays]

    def fn(*ts):
        f = getattr(F, mode)
        return f(*ts, reverse=True, batch_sizes=[3, 2, 1])

    assert lightgrad.autograd.gradcheck(fn, ins, eps=1e-6, atol=1e-5, rtol=1e-3)


def test_gradcheck_lstm_proj_packed(rng):
    arrays = [rng.uniform(-1, 1, (5, I)), _h(rng, n=2, h=2), _h(rng, n=2), *_w(rng, 4, p=2),
              rng.uniform(-0.8, 0.8, (2, H))]
    ins = [lightgrad.tensor(a, requires_grad=True) for a in arrays]
    for rev in (False, True):
        assert lightgrad.autograd.gradcheck(
            lambda *ts: F.lstm(*ts, reverse=rev, batch_sizes=[2, 2, 1]), ins, eps=1e-6,
            atol=1e-5, rtol=1e-3)


# ----------------------------------------------------------------------------- fused vs composed
@pytest.mark.parametrize("mode", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("packed", [False, True])
def test_fused_matches_composed_cells(mode, reverse, packed, rng):
    """The fused layer equals a Python loop of the composed cell functions: outputs, final
    states, and the gradients of x, h0 (c0) and every weight, for a random upstream gradient."""
    g = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}[mode]
    lengths = [5, 3, 3, 1] if packed else [5] * 4
    Tn, Nn = 5, 4
    x = rng.uniform(-1, 1, (Tn, Nn, I))
    arrays = [x, _h(rng, n=Nn)] + ([_h(rng, n=Nn)] if mode == "lstm" else []) + _w(rng, g)
    up = [rng.standard_normal((Tn, Nn, H)), rng.standard_normal((Nn, H)),
          rng.standard_normal((Nn, H))]
    cell = getattr(F, f"{mode}_cell")

    def fused(ts):
        xs, h0 = ts[0], ts[1]
        rest = ts[2:]
        if packed:
            pk = lightgrad.nn.utils.rnn.pack_padded_sequence(xs, lengths)
            outs = getattr(F, mode)(pk.data, h0, *rest, reverse=reverse,
                                    batch_sizes=pk.batch_sizes)
            out = lightgrad.nn.utils.rnn.pad_packed_sequence(
                lightgrad.nn.utils.rnn.PackedSequence(outs[0], pk.batch_sizes))[0]
            return (out,) + tuple(outs[1:])
        return getattr(F, mode)(xs, h0, *rest, reverse=reverse)

    def composed(ts):
        xs, h0 = ts[0], ts[1]
        c0 = ts[2] if mode == "lstm" else None
        w = ts[3:] if mode == "lstm" else ts[2:]
        outs: list = [None] * Tn
        finals_h: list = [None] * Nn
        finals_c: list = [None] * Nn
        for b in range(Nn):  # one sequence at a time: its own length
            L = lengths[b]
            h = h0[b:b + 1]
            c = c0[b:b + 1] if c0 is not None else None
            seq = []
            steps = range(L - 1, -1, -1) if reverse else range(L)
            for t in steps:
                if mode == "lstm":
                    h, c = cell(xs[t, b:b + 1], (h, c), *w)
                else:
                    h = cell(xs[t, b:b + 1], h, *w)
                seq.append((t, h))
            finals_h[b], finals_c[b] = h, c
            for t, hh in seq:
                outs[t] = (outs[t] or {}) | {b: hh}
        zero = lightgrad.zeros(1, H, dtype=xs.dtype)
        out = lightgrad.stack([lightgrad.cat([outs[t].get(b, zero) for b in range(Nn)], 0)
                               for t in range(Tn)], 0)
        res = (out, lightgrad.cat(finals_h, 0))
        if mode == "lstm":
            res = res + (lightgrad.cat(finals_c, 0),)
        return res

    results = []
    for f in (fused, composed):
        ts = [lightgrad.tensor(a, requires_grad=True) for a in arrays]
        outs = f(ts)
        loss = sum((o * lightgrad.tensor(u)).sum() for o, u in zip(outs, up))
        loss.backward()
        results.append(([o.detach().numpy() for o in outs], [t.grad.numpy() for t in ts]))
    (fo, fg), (co, cg) = results
    for k, (a, b) in enumerate(zip(fo, co)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"output {k}")
    for k, (a, b) in enumerate(zip(fg, cg)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=f"grad of input {k}")


# ----------------------------------------------------------------------------- engine details
def test_grad_only_through_h_n_and_both(rng):
    """A loss on h_n alone, on the output alone, and on both give the sum of the parts, and a
    graph kept with retain_graph gives the same gradients on a second backward."""
    arrays = [_x(rng), _h(rng), _h(rng), *_w(rng, 4)]
    ts = [lightgrad.tensor(a, requires_grad=True) for a in arrays]
    out, h_n, c_n = F.lstm(*ts)
    gs = []
    for loss in ((h_n * 2).sum(), (out ** 2).sum(), c_n.sum(),
                 (h_n * 2).sum() + (out ** 2).sum() + c_n.sum()):
        grads = lightgrad.autograd.grad(loss, ts, retain_graph=True)
        gs.append([g.numpy() for g in grads])
    for k in range(len(ts)):
        np.testing.assert_allclose(gs[3][k], gs[0][k] + gs[1][k] + gs[2][k], rtol=1e-12,
                                   atol=1e-12)


def test_no_grad_and_inplace_output_check(rng):
    ts = [lightgrad.tensor(a, requires_grad=True) for a in [_x(rng), _h(rng), *_w(rng, 3)]]
    with lightgrad.no_grad():
        out, h_n = F.gru(*ts)
    assert not out.requires_grad and not h_n.requires_grad
    out2, h2 = F.gru(*ts)
    np.testing.assert_array_equal(out.numpy(), out2.detach().numpy())
    out2.mul_(2)  # the saved output was modified: backward must refuse
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out2.sum().backward()


# ----------------------------------------------------------------------------- bad input
def test_errors():
    r = np.random.default_rng(0)
    w = [lightgrad.tensor(a) for a in _w(r, 4)]
    x = lightgrad.tensor(_x(r, i=3))
    with pytest.raises(RuntimeError, match=r"lstm: input has 3 features but weight_ih expects 2"
                                           r" \(input shape \(3, 2, 3\), weight_ih shape "
                                           r"\(12, 2\)\)"):
        F.lstm(x, None, None, *w)
    x = lightgrad.tensor(_x(r))
    with pytest.raises(RuntimeError, match=r"lstm: expected hx of shape \(2, 3\), got \(3, 3\)"):
        F.lstm(x, lightgrad.zeros(3, 3, dtype=lightgrad.float64), None, *w)
    with pytest.raises(RuntimeError, match=r"gru: weight_hh must have shape \(12, 4\) to match "
                                           r"weight_ih \(12, 2\), got \(12, 3\)"):
        F.gru(x, None, *w)
    with pytest.raises(TypeError, match="dtype float32 does not match the input dtype float64"):
        F.lstm(x, None, None, w[0].float(), *w[1:])
    with pytest.raises(RuntimeError, match="must be 3-D"):
        F.rnn_tanh(lightgrad.zeros(2, 2, dtype=lightgrad.float64), None,
                   *[lightgrad.tensor(a) for a in _w(r, 1)])
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
        F.gru(lightgrad.zeros(0, 2, 2, dtype=lightgrad.float64), None,
              *[lightgrad.tensor(a) for a in _w(r, 3)])
    packed = lightgrad.zeros(6, 2, dtype=lightgrad.float64)
    with pytest.raises(RuntimeError, match=r"batch_sizes sum to 5 but the packed input has 6"):
        F.lstm(packed, None, None, *w, batch_sizes=[3, 2])
    with pytest.raises(RuntimeError, match=r"non-increasing, got \[2, 3, 1\]"):
        F.lstm(packed, None, None, *w, batch_sizes=[2, 3, 1])


def test_pack_errors():
    x = np.zeros((4, 3, 2))
    u = _utils
    check_raises(lambda lib, a: u(lib).pack_padded_sequence(a, [1, 2, 3]), [x],
                 match=r"must be sorted in decreasing order")
    check_raises(lambda lib, a: u(lib).pack_padded_sequence(a, [3, 2]), [x],
                 match=r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 "
                       r"\(batch_size=3")
    check_raises(lambda lib, a: u(lib).pack_padded_sequence(a, [3, 2, 0]), [x],
                 match="greater than 0")
    check_raises(lambda lib, a: u(lib).pad_packed_sequence(u(lib).pack_padded_sequence(
        a, [4, 2, 1]), total_length=3), [x], match="total_length=3")
    check_raises(lambda lib, a, b: u(lib).pad_sequence([a, b]), [np.zeros((2, 3)),
                                                                np.zeros((2, 4))],
                 match=r"trailing dimensions must match")


def test_packed_sequence_helpers():
    u = lightgrad.nn.utils.rnn
    seqs = [lightgrad.tensor([1.0, 2.0]), lightgrad.tensor([3.0, 4.0, 5.0]),
            lightgrad.tensor([6.0])]
    p = u.pack_sequence(seqs, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_sequence([torch.tensor(s.numpy()) for s in seqs],
                                          enforce_sorted=False)
    for a, b in zip(p, tp):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    back = u.unpack_sequence(p)
    assert [s.tolist() for s in back] == [s.tolist() for s in seqs]
    padded, lengths = u.pad_packed_sequence(p)
    assert lengths.tolist() == [2, 3, 1] and lengths.dtype == lightgrad.int64
    assert [s.tolist() for s in u.unpad_sequence(padded, lengths)] == [s.tolist() for s in seqs]
    assert p.double().data.dtype == lightgrad.float64 and not p.is_cuda
    assert u.invert_permutation(lightgrad.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert u.invert_permutation(None) is None
    q = u.PackedSequence(p.data, p.batch_sizes, p.sorted_indices)
    assert q.unsorted_indices.tolist() == p.unsorted_indices.tolist()
