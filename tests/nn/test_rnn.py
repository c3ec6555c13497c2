"""nn.RNN / nn.LSTM / nn.GRU and the cells against torch.nn (TESTING.md layer 5).

Every configuration copies the lightgrad module's parameters into the torch module, runs both
on the same input (and initial states), and compares the output, the final states, the input
and initial-state gradients and EVERY parameter gradient (random upstream gradients on each
output) within the "sequence" tolerance row, in float32 and float64.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from tests.helpers import _compare, tol
from tests.nn.test_module import TORCH_DTYPE, copy_params_to_torch

pytestmark = [pytest.mark.torch,
              pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")]
torch = pytest.importorskip("torch")

T, N, I, H = 4, 3, 5, 4
lru = lightgrad.nn.utils.rnn
tru = torch.nn.utils.rnn


def _make(cls, **kw):
    """The lightgrad module and its torch twin (parameters copied across)."""
    lg_mod = getattr(nn, cls)(I, H, **kw)
    th_mod = getattr(torch.nn, cls)(I, H, **kw)
    copy_params_to_torch(lg_mod, th_mod)
    return lg_mod, th_mod


def _states(lg_mod, rng, batch=N, unbatched=False):
    D = 2 if lg_mod.bidirectional else 1
    L = lg_mod.num_layers
    P = lg_mod.proj_size or H
    lead = (L * D,) if unbatched else (L * D, batch)
    h = rng.uniform(-0.5, 0.5, lead + (P,))
    if isinstance(lg_mod, nn.LSTM):
        return [h, rng.uniform(-0.5, 0.5, lead + (H,))]
    return [h]


def _flat_outputs(lib, out, hidden):
    if isinstance(out, lib.nn.utils.rnn.PackedSequence):
        out = lib.nn.utils.rnn.pad_packed_sequence(out)[0]
    hs = list(hidden) if isinstance(hidden, tuple) else [hidden]
    return [out] + hs


def check_rnn(cls, kw, rng, *, init=True, packed=None, unbatched=False, train=False,
              h_n_only=False, dtypes=(np.float32, np.float64)):
    """Parity of ``cls(I, H, **kw)`` on one input; ``packed``: the lengths (sorted or not)."""
    lg_mod, th_mod = _make(cls, **kw)
    bf = kw.get("batch_first", False)
    shape = (T, I) if unbatched else ((N, T, I) if bf else (T, N, I))
    x = rng.uniform(-1, 1, shape)
    states = _states(lg_mod, rng, unbatched=unbatched) if init else []
    for dt in dtypes:
        lg_mod.to(dt)
        th_mod.to(TORCH_DTYPE[dt])
        lg_mod.train(train)
        th_mod.train(train)
        lg_mod.zero_grad()
        th_mod.zero_grad()
        arrays = [a.astype(dt) for a in [x] + states]
        lg_in = [lightgrad.tensor(a, requires_grad=True) for a in arrays]
        th_in = [torch.tensor(a, requires_grad=True) for a in arrays]
        outs = []
        for lib, ins, mod in ((lightgrad, lg_in, lg_mod), (torch, th_in, th_mod)):
            xin = ins[0]
            if packed is not None:
                sort = list(packed) == sorted(packed, reverse=True)
                xin = lib.nn.utils.rnn.pack_padded_sequence(xin, packed, batch_first=bf,
                                                            enforce_sorted=sort)
            hx = None
            if init:
                hx = tuple(ins[1:]) if cls == "LSTM" else ins[1]
            out, hidden = mod(xin, hx)
            if packed is not None:
                assert isinstance(out, lib.nn.utils.rnn.PackedSequence)
            outs.append(_flat_outputs(lib, out, hidden))
        lo, to = outs
        what = f"{cls}({kw}) {np.dtype(dt)}"
        _compare(f"{what} outputs", lo, to, *tol("sequence", dt))
        lg_loss = th_loss = 0
        pick = [1] if h_n_only else range(len(lo))
        for k in pick:
            g = rng.standard_normal(tuple(to[k].shape)).astype(dt)
            lg_loss = lg_loss + (lo[k] * lightgrad.tensor(g)).sum()
            th_loss = th_loss + (to[k] * torch.from_numpy(g)).sum()
        lg_loss.backward()
        th_loss.backward()
        rt = tol("sequence", dt)
        for k, (li, ti) in enumerate(zip(lg_in, th_in)):
            _compare(f"{what} grad of input {k}", li.grad, ti.grad, *rt)
        th_params = dict(th_mod.named_parameters())
        lg_params = dict(lg_mod.named_parameters())
        assert list(lg_params) == list(th_params), f"{what}: parameter names/order differ"
        for name, p in lg_params.items():
            assert p.grad is not None, f"{what}: {name} got no gradient"
            _compare(f"{what} grad of {name}", p.grad, th_params[name].grad, *rt)


CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"num_layers": 3, "bidirectional": True, "batch_first": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"num_layers": 3, "batch_first": True, "bias": False}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("GRU", {"num_layers": 3, "bias": False}),
    ("GRU", {"num_layers": 2, "dropout": 0.4}),  # dropout: compared in eval mode
    ("LSTM", {"num_layers": 3, "dropout": 0.5, "bidirectional": True}),
]


def _cid(c):
    cls, kw = c
    return cls + "".join(f"-{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("config", CONFIGS, ids=_cid)
def test_parity(config, rng):
    check_rnn(*config, rng)


@pytest.mark.parametrize("config", CONFIGS[::2], ids=_cid)
def test_parity_no_initial_state(config, rng):
    check_rnn(*config, rng, init=False, dtypes=(np.float32,))


@pytest.mark.parametrize("config", CONFIGS, ids=_cid)
def test_parity_packed(config, rng):
    """Variable lengths (unsorted, so the initial and final states are permuted too); the
    final states are those after each sequence's own last element."""
    check_rnn(*config, rng, packed=[2, 4, 1])


@pytest.mark.parametrize("config", [("LSTM", {"num_layers": 2}), ("GRU", {"bidirectional": True}),
                                    ("RNN", {"batch_first": True})], ids=_cid)
def test_parity_packed_sorted_no_init(config, rng):
    check_rnn(*config, rng, packed=[4, 4, 2], init=False)


@pytest.mark.parametrize("config", [("RNN", {"bidirectional": True}),
                                    ("LSTM", {"num_layers": 2, "batch_first": True}),
                                    ("GRU", {"num_layers": 2, "bidirectional": True})],
                         ids=_cid)
def test_parity_unbatched(config, rng):
    check_rnn(*config, rng, unbatched=True)
    check_rnn(*config, rng, unbatched=True, init=False, dtypes=(np.float64,))


@pytest.mark.parametrize("config", [("LSTM", {"num_layers": 2, "bidirectional": True}),
                                    ("GRU", {"num_layers": 2}), ("RNN", {"num_layers": 3})],
                         ids=_cid)
def test_loss_on_h_n_only(config, rng):
    """A classifier reading h_n alone: every gradient still flows (through all layers)."""
    check_rnn(*config, rng, h_n_only=True)
    check_rnn(*config, rng, h_n_only=True, packed=[3, 1, 4], dtypes=(np.float64,))


def test_train_mode_without_dropout_matches(rng):
    check_rnn("LSTM", {"num_layers": 2}, rng, train=True, dtypes=(np.float64,))


def test_dropout_between_layers_in_training(rng):
    lightgrad.manual_seed(3)
    m = nn.GRU(I, H, num_layers=3, dropout=0.5)
    x = lightgrad.tensor(rng.uniform(-1, 1, (T, N, I)).astype(np.float32), requires_grad=True)
    m.eval()
    ref, _ = m(x)
    m.train()
    a, h_a = m(x)
    b, _ = m(x)
    assert not np.allclose(a.detach().numpy(), ref.detach().numpy())
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())  # fresh masks per call
    h_a.sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    # the first layer's state does not depend on the dropout
    np.testing.assert_allclose(h_a[0].detach().numpy(), m.eval()(x)[1][0].detach().numpy(),
                               rtol=1e-6)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(I, H, dropout=0.2)


def test_gradcheck_module(rng):
    """float64 gradcheck of a 2-layer bidirectional LSTM with a projection on packed input,
    w.r.t. the input and the initial states (the parameters are compared with torch above)."""
    m = nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2).double()
    x = lightgrad.tensor(rng.uniform(-1, 1, (3, 2, 2)), requires_grad=True)
    h0 = lightgrad.tensor(rng.uniform(-0.5, 0.5, (4, 2, 2)), requires_grad=True)
    c0 = lightgrad.tensor(rng.uniform(-0.5, 0.5, (4, 2, 3)), requires_grad=True)

    def fn(x, h0, c0):
        p = lru.pack_padded_sequence(x, [1, 3], enforce_sorted=False)
        out, (h, c) = m(p, (h0, c0))
        return lru.pad_packed_sequence(out)[0], h, c

    assert lightgrad.autograd.gradcheck(fn, [x, h0, c0], eps=1e-6, atol=1e-5, rtol=1e-3)


# ----------------------------------------------------------------------------- state, init, repr
@pytest.mark.parametrize("config", CONFIGS, ids=_cid)
def test_state_dict_from_torch(config):
    cls, kw = config
    th_mod = getattr(torch.nn, cls)(I, H, **kw)
    lg_mod = getattr(nn, cls)(I, H, **kw)
    lg_mod.load_state_dict(th_mod.state_dict())
    th_sd = th_mod.state_dict()
    lg_sd = lg_mod.state_dict()
    assert list(lg_sd) == list(th_sd)
    for k, v in th_sd.items():
        np.testing.assert_array_equal(lg_sd[k].numpy(), v.numpy())
    assert repr(lg_mod) == repr(th_mod)
    assert [[p.shape for p in ws] for ws in lg_mod.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in th_mod.all_weights]


def test_default_init():
    m = nn.LSTM(7, 50, num_layers=2, bidirectional=True)
    bound = 1 / math.sqrt(50)
    vals = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert vals.dtype == np.float32
    assert vals.min() >= -bound and vals.max() <= bound
    assert abs(vals.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(vals.mean()) < 0.02 * bound
    lightgrad.manual_seed(5)
    a = nn.GRU(3, 4).weight_ih_l0.detach().numpy().copy()
    lightgrad.manual_seed(5)
    np.testing.assert_array_equal(a, nn.GRU(3, 4).weight_ih_l0.detach().numpy())
    c = nn.GRUCell(3, 16)
    assert all(float(p.abs().max()) <= 0.25 for p in c.parameters())


def test_reprs():
    for lg_mod, th_mod in [
        (nn.RNN(3, 4, nonlinearity="relu", bias=False), torch.nn.RNN(3, 4, nonlinearity="relu",
                                                                     bias=False)),
        (nn.LSTM(3, 4, proj_size=2, batch_first=True), torch.nn.LSTM(3, 4, proj_size=2,
                                                                     batch_first=True)),
        (nn.GRU(3, 4, 2, dropout=0.1), torch.nn.GRU(3, 4, 2, dropout=0.1)),
        (nn.RNNCell(3, 4, nonlinearity="relu"), torch.nn.RNNCell(3, 4, nonlinearity="relu")),
        (nn.LSTMCell(3, 4, bias=False), torch.nn.LSTMCell(3, 4, bias=False)),
        (nn.GRUCell(3, 4), torch.nn.GRUCell(3, 4)),
    ]:
        assert repr(lg_mod) == repr(th_mod)


def test_dtype_and_float64_module(rng):
    m = nn.GRU(I, H, dtype=lightgrad.float64)
    out, h = m(lightgrad.tensor(rng.uniform(-1, 1, (T, N, I))))
    assert out.dtype == lightgrad.float64 and h.dtype == lightgrad.float64


# ----------------------------------------------------------------------------- cells
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}),
         ("LSTMCell", {}), ("GRUCell", {}), ("GRUCell", {"bias": False})]


@pytest.mark.parametrize("config", CELLS, ids=_cid)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_cell_parity(config, batched, with_state, rng):
    cls, kw = config
    lg_mod = getattr(nn, cls)(I, H, **kw)
    th_mod = getattr(torch.nn, cls)(I, H, **kw)
    copy_params_to_torch(lg_mod, th_mod)
    lead = (N,) if batched else ()
    x = rng.uniform(-1, 1, lead + (I,))
    states = [rng.uniform(-0.5, 0.5, lead + (H,)) for _ in range(2 if cls == "LSTMCell" else 1)]
    for dt in (np.float32, np.float64):
        lg_mod.to(dt)
        th_mod.to(TORCH_DTYPE[dt])
        lg_mod.zero_grad()
        th_mod.zero_grad()
        arrays = [a.astype(dt) for a in [x] + (states if with_state else [])]
        lg_in = [lightgrad.tensor(a, requires_grad=True) for a in arrays]
        th_in = [torch.tensor(a, requires_grad=True) for a in arrays]
        res = []
        for ins, mod in ((lg_in, lg_mod), (th_in, th_mod)):
            if not with_state:
                res.append(mod(ins[0]))
            elif cls == "LSTMCell":
                res.append(mod(ins[0], tuple(ins[1:])))
            else:
                res.append(mod(ins[0], ins[1]))
        lo, to = ([r] if not isinstance(r, tuple) else list(r) for r in res)
        _compare(f"{cls} {dt}", lo, to, *tol("sequence", dt))
        lg_loss = th_loss = 0
        for a, b in zip(lo, to):
            g = rng.standard_normal(tuple(b.shape)).astype(dt)
            lg_loss = lg_loss + (a * lightgrad.tensor(g)).sum()
            th_loss = th_loss + (b * torch.from_numpy(g)).sum()
        lg_loss.backward()
        th_loss.backward()
        for li, ti in zip(lg_in, th_in):
            _compare(f"{cls} input grad", li.grad, ti.grad, *tol("sequence", dt))
        tp = dict(th_mod.named_parameters())
        for name, p in lg_mod.named_parameters():
            _compare(f"{cls} grad of {name}", p.grad, tp[name].grad, *tol("sequence", dt))


def test_cells_step_by_step_equal_the_fused_layer(rng):
    """Loading a layer's weights into cells and looping over time reproduces the layer."""
    for cls, cell_cls in (("LSTM", "LSTMCell"), ("GRU", "GRUCell"), ("RNN", "RNNCell")):
        layer = getattr(nn, cls)(I, H).double()
        cell = getattr(nn, cell_cls)(I, H).double()
        cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
        x = lightgrad.tensor(rng.uniform(-1, 1, (T, N, I)))
        out, hidden = layer(x)
        state = None
        for t in range(T):
            state = cell(x[t], state)
            h = state[0] if cls == "LSTM" else state
            np.testing.assert_allclose(h.detach().numpy(), out[t].detach().numpy(), rtol=1e-12,
                                       atol=1e-14)
        h_n = hidden[0] if cls == "LSTM" else hidden
        np.testing.assert_allclose(h.detach().numpy(), h_n[0].detach().numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- bad input
def test_errors():
    m = nn.LSTM(I, H, num_layers=2)
    x = lightgrad.zeros(T, N, I + 1)
    with pytest.raises(RuntimeError, match=r"LSTM\(input_size=5\): input.size\(-1\) must be "
                                           r"equal to input_size. Expected 5, got 6"):
        m(x)
    x = lightgrad.zeros(T, N, I)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 3, 4\), got "
                                           r"\[2, 2, 4\]"):
        m(x, (lightgrad.zeros(2, 2, H), lightgrad.zeros(2, N, H)))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(2, 3, 4\), got "
                                           r"\[1, 3, 4\]"):
        m(x, (lightgrad.zeros(2, N, H), lightgrad.zeros(1, N, H)))
    g = nn.GRU(I, H)
    with pytest.raises(RuntimeError, match=r"GRU: Expected hidden size \(1, 3, 4\), got "
                                           r"\[1, 3, 5\]"):
        g(x, lightgrad.zeros(1, N, H + 1))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D"):
        g(x, lightgrad.zeros(N, H))
    with pytest.raises(ValueError, match=r"input dtype \(float64\) does not match weight dtype "
                                         r"\(float32\)"):
        g(x.double())
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        g(lightgrad.zeros(1, T, N, I))
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.RNN(3, 0)
    c = nn.GRUCell(I, H)
    with pytest.raises(RuntimeError, match=r"GRUCell\(input_size=5\): input has 4 features"):
        c(lightgrad.zeros(N, I - 1))
    with pytest.raises(RuntimeError, match=r"hidden has shape \(2, 4\), expected \(3, 4\)"):
        c(lightgrad.zeros(N, I), lightgrad.zeros(2, H))
    with pytest.raises(ValueError, match="Expected input to be 1D or 2D, got 3D"):
        c(lightgrad.zeros(1, N, I))


def test_torch_rejects_the_same_inputs():
    """The error rows above are errors in PyTorch too."""
    m = torch.nn.LSTM(I, H, num_layers=2)
    with pytest.raises(RuntimeError):
        m(torch.zeros(T, N, I + 1))
    with pytest.raises(RuntimeError):
        m(torch.zeros(T, N, I), (torch.zeros(2, 2, H), torch.zeros(2, N, H)))
    with pytest.raises(ValueError):
        torch.nn.GRU(I, H)(torch.zeros(T, N, I).double())


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_parity_twenty_steps(cls, rng):
    """The tolerance row covers up to 20 steps: a longer, wider sequence in float32."""
    lg_mod = getattr(nn, cls)(6, 16, num_layers=2, bidirectional=True)
    th_mod = getattr(torch.nn, cls)(6, 16, num_layers=2, bidirectional=True)
    copy_params_to_torch(lg_mod, th_mod)
    x = rng.uniform(-1, 1, (20, 5, 6)).astype(np.float32)
    lx, tx = lightgrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo, lh = lg_mod(lx)
    to, th = th_mod(tx)
    lo = [lo] + (list(lh) if cls == "LSTM" else [lh])
    to = [to] + (list(th) if cls == "LSTM" else [th])
    rt = tol("sequence", np.float32)
    _compare(f"{cls} 20 steps", lo, to, *rt)
    gs = [rng.standard_normal(tuple(t.shape)).astype(np.float32) for t in to]
    sum((a * lightgrad.tensor(g)).sum() for a, g in zip(lo, gs)).backward()
    sum((b * torch.from_numpy(g)).sum() for b, g in zip(to, gs)).backward()
    _compare(f"{cls} 20 steps grad x", lx.grad, tx.grad, *rt)
    tp = dict(th_mod.named_parameters())
    for name, p in lg_mod.named_parameters():
        _compare(f"{cls} 20 steps grad of {name}", p.grad, tp[name].grad, *rt)


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_encoder_decoder_states_flow(cls, rng):
    """An encoder's final states feed a decoder (seq2seq): the loss reaches the encoder only
    through h_n (and c_n); every gradient matches torch."""
    mods = []
    for lib in (lightgrad, torch):
        enc = getattr(lib.nn, cls)(3, 5, num_layers=2)
        dec = getattr(lib.nn, cls)(4, 5, num_layers=2, batch_first=True)
        mods.append((enc, dec))
    (le, ld), (te, td) = mods
    copy_params_to_torch(le, te)
    copy_params_to_torch(ld, td)
    xs = rng.uniform(-1, 1, (6, 2, 3)).astype(np.float32)
    ys = rng.uniform(-1, 1, (2, 4, 4)).astype(np.float32)
    outs = []
    for lib, (enc, dec) in zip((lightgrad, torch), mods):
        _, state = enc(lib.tensor(xs))
        out, _ = dec(lib.tensor(ys), state)
        (out ** 2).sum().backward()
        outs.append(out)
    rt = tol("sequence", np.float32)
    _compare(f"{cls} decoder output", outs[0], outs[1], *rt)
    for lm, tm in zip(mods[0], mods[1]):
        tp = dict(tm.named_parameters())
        for name, p in lm.named_parameters():
            _compare(f"{cls} grad of {name}", p.grad, tp[name].grad, *rt)
