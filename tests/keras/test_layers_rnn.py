"""Keras recurrent layers: Keras's equations and masking semantics (a NumPy transcription of
Keras's backend loop), PyTorch parity with mapped weights, weight layouts, wrappers, configs and
a masked text classifier."""

import json

import numpy as np
import pytest

import lightgrad
from lightgrad import keras
from lightgrad.keras.saving.serialization import deserialize_layer, serialize_layer

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch
L = keras.layers


def npy(t):
    return t.detach().numpy()


def lg64(a, rg=False):
    return lightgrad.tensor(np.asarray(a, np.float64), requires_grad=rg)


# ----------------------------------------------------------------------------- the reference
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def keras_step(kind, x, states, kernel, recurrent, bias, act=np.tanh):
    """One step of Keras's LSTMCell / GRUCell (reset_after=True) / SimpleRNNCell."""
    h = states[0]
    H = h.shape[1]
    if kind == "lstm":
        z = x @ kernel + h @ recurrent + (0 if bias is None else bias)
        i, f, c, o = (z[:, k * H:(k + 1) * H] for k in range(4))
        c2 = sigmoid(f) * states[1] + sigmoid(i) * np.tanh(c)
        h2 = sigmoid(o) * np.tanh(c2)
        return h2, [h2, c2]
    if kind == "gru":
        mx = x @ kernel + (0 if bias is None else bias[0])
        mh = h @ recurrent + (0 if bias is None else bias[1])
        xz, xr, xh = (mx[:, k * H:(k + 1) * H] for k in range(3))
        hz, hr, hh = (mh[:, k * H:(k + 1) * H] for k in range(3))
        z, r = sigmoid(xz + hz), sigmoid(xr + hr)
        cand = np.tanh(xh + r * hh)
        h2 = z * h + (1 - z) * cand
        return h2, [h2]
    h2 = act(x @ kernel + h @ recurrent + (0 if bias is None else bias))
    return h2, [h2]


def keras_rnn(kind, x, weights, mask=None, go_backwards=False, zero_output_for_mask=False,
              initial=None, act=np.tanh):
    """Keras's ``backend.rnn`` loop: masked steps keep the states and output the previous
    output (or zeros); ``go_backwards`` reverses inputs and mask, outputs in processing order.
    Returns (outputs (N, T, H), last output, final states)."""
    kernel, recurrent = weights[0], weights[1]
    bias = weights[2] if len(weights) > 2 else None
    n, t, _ = x.shape
    H = recurrent.shape[0]
    k = 2 if kind == "lstm" else 1
    states = [np.zeros((n, H)) for _ in range(k)] if initial is None else list(initial)
    xs = list(x.transpose(1, 0, 2))
    ms = None if mask is None else list(mask.T)
    if go_backwards:
        xs.reverse()
        if ms is not None:
            ms.reverse()
    outs = []
    for step in range(t):
        out, new = keras_step(kind, xs[step], states, kernel, recurrent, bias, act)
        if ms is not None:
            m = ms[step][:, None]
            out = np.where(m, out, 0.0 if zero_output_for_mask else states[0])
            new = [np.where(m, a, b) for a, b in zip(new, states)]
        outs.append(out)
        states = new
    outs = np.stack(outs, 1)
    return outs, outs[:, -1], states


def random_weights(kind, features, units, rng, use_bias=True):
    g = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    w = [rng.standard_normal((features, g * units)) * 0.5,
         rng.standard_normal((units, g * units)) * 0.5]
    if use_bias:
        w.append(rng.standard_normal((2, 3 * units) if kind == "gru" else (g * units,)) * 0.5)
    return w


def make(kind, units, **kw):
    cls = {"lstm": L.LSTM, "gru": L.GRU, "rnn": L.SimpleRNN}[kind]
    return cls(units, dtype="float64", **kw)


def right_mask(lengths, t):
    return np.arange(t)[None, :] < np.asarray(lengths)[:, None]


def left_mask(lengths, t):
    return right_mask(lengths, t)[:, ::-1].copy()


def mixed_mask(t):
    """Right padding, left padding, a block in the middle, nothing, everything."""
    m = np.zeros((5, t), bool)
    m[0, :3], m[1, t - 2:], m[2, 1:t - 1], m[4] = True, True, True, True
    return m


# ----------------------------------------------------------------------------- Keras equations
KINDS = ["lstm", "gru", "rnn"]
MODES = [  # (return_sequences, go_backwards, mask, zero_output_for_mask, initial_state)
    (True, False, None, False, False), (False, False, None, False, True),
    (True, True, None, False, False), (True, False, "right", False, False),
    (False, False, "right", False, True), (True, True, "right", False, True),
    (True, False, "right", True, False), (True, True, "right", True, False),
    (False, True, "right", False, False), (True, False, "left", False, True),
    (False, True, "left", False, False), (True, True, "mixed", False, True),
    (True, False, "mixed", True, False), (False, False, "mixed", False, False),
]


def mode_id(m):
    return f"seq{int(m[0])}-back{int(m[1])}-{m[2]}-zero{int(m[3])}-init{int(m[4])}"


@pytest.mark.parametrize("mode", MODES, ids=mode_id)
@pytest.mark.parametrize("kind", KINDS)
def test_layers_follow_keras_equations_and_masking(kind, mode, rng):
    seqs, back, masked, zero, init = mode
    n, t, f, h = 5, 6, 3, 5
    x = rng.standard_normal((n, t, f))
    weights = random_weights(kind, f, h, rng)
    layer = make(kind, h, return_sequences=seqs, return_state=True, go_backwards=back,
                 zero_output_for_mask=zero)
    layer(lg64(x))
    layer.set_weights(weights)
    mask = {None: None, "right": right_mask([6, 3, 1, 0, 2], t),
            "left": left_mask([6, 3, 1, 0, 2], t), "mixed": mixed_mask(t)}[masked]
    k = 2 if kind == "lstm" else 1
    initial = [rng.standard_normal((n, h)) for _ in range(k)] if init else None
    got = layer(lg64(x), mask=None if mask is None else lightgrad.tensor(mask),
                initial_state=None if initial is None else [lg64(s) for s in initial])
    outs, last, states = keras_rnn(kind, x, weights, mask, back, zero, initial)
    want_out = outs if seqs else last
    assert len(got) == 1 + k
    np.testing.assert_allclose(npy(got[0]), want_out, rtol=1e-10, atol=1e-12)
    for g, w in zip(got[1:], states):
        np.testing.assert_allclose(npy(g), w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_masked_gradients_pass_a_float64_gradcheck(kind, rng):
    from lightgrad.autograd import gradcheck

    layer = make(kind, 2, return_sequences=True, go_backwards=(kind == "gru"))
    x = lg64(rng.standard_normal((3, 4, 2)), rg=True)
    layer(x)
    mask = lightgrad.tensor(np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 1, 1, 0]], bool))
    assert gradcheck(lambda v: layer(v, mask=mask), (x,))


# ----------------------------------------------------------------------------- torch parity
def torch_module(kind, f, h, weights):
    """The torch module with Keras-layout weights mapped onto it."""
    g = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
    m = cls(f, h, batch_first=True).double()
    perm = np.arange(g * h)
    if kind == "gru":  # Keras z, r, h -> torch r, z, n
        perm = np.concatenate([np.arange(h, 2 * h), np.arange(h), np.arange(2 * h, 3 * h)])
    kernel, recurrent, bias = weights
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.tensor(kernel[:, perm].T))
        m.weight_hh_l0.copy_(torch.tensor(recurrent[:, perm].T))
        if kind == "gru":
            m.bias_ih_l0.copy_(torch.tensor(bias[0][perm]))
            m.bias_hh_l0.copy_(torch.tensor(bias[1][perm]))
        else:
            m.bias_ih_l0.copy_(torch.tensor(bias))
            m.bias_hh_l0.zero_()
    return m, perm


@pytest.mark.parametrize("kind", KINDS)
def test_forward_and_gradients_match_torch_with_mapped_weights(kind, rng):
    n, t, f, h = 3, 7, 4, 5
    x = rng.standard_normal((n, t, f))
    weights = random_weights(kind, f, h, rng)
    layer = make(kind, h, return_sequences=True)
    xl = lg64(x, rg=True)
    layer(xl)
    layer.set_weights(weights)
    y = layer(xl)
    m, perm = torch_module(kind, f, h, weights)
    xt = torch.tensor(x, requires_grad=True)
    yt, _ = m(xt)
    np.testing.assert_allclose(npy(y), npy(yt), rtol=1e-10, atol=1e-12)
    up = rng.standard_normal((n, t, h))
    y.backward(lg64(up))
    yt.backward(torch.tensor(up))
    np.testing.assert_allclose(npy(xl.grad), npy(xt.grad), rtol=1e-9, atol=1e-11)
    # weight gradients, in Keras's layout
    np.testing.assert_allclose(npy(layer.cell.weight_ih_l0.grad).T[:, perm],
                               npy(m.weight_ih_l0.grad).T[:, perm], rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(npy(layer.cell.weight_hh_l0.grad),
                               npy(m.weight_hh_l0.grad), rtol=1e-9, atol=1e-11)
    # Keras's single bias gets torch's b_ih gradient (b_ih and b_hh get the same one)
    np.testing.assert_allclose(npy(layer.cell.bias_ih_l0.grad), npy(m.bias_ih_l0.grad),
                               rtol=1e-9, atol=1e-11)


def test_packed_masking_matches_torch_pack_padded(rng):
    x = rng.standard_normal((4, 6, 3))
    weights = random_weights("lstm", 3, 4, rng)
    layer = make("lstm", 4, return_sequences=True, return_state=True,
                 zero_output_for_mask=True)
    xl = lg64(x, rg=True)
    layer(xl)
    layer.set_weights(weights)
    lengths = [2, 6, 4, 1]
    out, h, c = layer(xl, mask=lightgrad.tensor(right_mask(lengths, 6)))
    m, _ = torch_module("lstm", 3, 4, weights)
    xt = torch.tensor(x, requires_grad=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(xt, lengths, batch_first=True,
                                                     enforce_sorted=False)
    ot, (ht, ct) = m(packed)
    ot, _ = torch.nn.utils.rnn.pad_packed_sequence(ot, batch_first=True, total_length=6)
    np.testing.assert_allclose(npy(out), npy(ot), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(npy(h), npy(ht[0]), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(npy(c), npy(ct[0]), rtol=1e-10, atol=1e-12)
    up = rng.standard_normal((4, 6, 4))
    (out * lg64(up)).sum().backward()
    (ot * torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(npy(xl.grad), npy(xt.grad), rtol=1e-9, atol=1e-11)


# ----------------------------------------------------------------------------- weights
def test_weight_layouts_round_trip_and_keras_initialization(rng):
    lstm = L.LSTM(5)
    lstm(np.zeros((2, 3, 4), np.float32))
    kernel, recurrent, bias = lstm.get_weights()
    assert (kernel.shape, recurrent.shape, bias.shape) == ((4, 20), (5, 20), (20,))
    np.testing.assert_array_equal(bias, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(5), atol=1e-5)  # orthogonal
    limit = np.sqrt(6 / (4 + 20))
    assert np.abs(kernel).max() <= limit
    assert lstm.count_params() == 4 * 20 + 5 * 20 + 20  # Keras's count: one bias
    assert lstm.cell.bias_hh_l0 is None
    np.testing.assert_array_equal(npy(lstm.kernel), kernel)
    np.testing.assert_array_equal(npy(lstm.bias), bias)
    assert L.LSTM(5, unit_forget_bias=False, bias_initializer="ones").build((None, 3, 4)) \
        is None

    gru = L.GRU(3)
    gru(np.zeros((2, 3, 4), np.float32))
    new = [w.astype(np.float32) for w in random_weights("gru", 4, 3, rng)]
    gru.set_weights(new)
    for got, want in zip(gru.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(npy(gru.kernel), new[0])
    np.testing.assert_array_equal(npy(gru.recurrent_kernel), new[1])
    np.testing.assert_array_equal(npy(gru.bias), new[2])
    assert gru.count_params() == 4 * 9 + 3 * 9 + 2 * 9
    # the z block of Keras's kernel is torch's second (z) block
    np.testing.assert_array_equal(npy(gru.cell.weight_ih_l0)[3:6], new[0][:, :3].T)
    with pytest.raises(ValueError, match=r"\(2, 9\)"):
        gru.set_weights(new[:2] + [new[2].ravel()])
    rnn = L.SimpleRNN(3, use_bias=False)
    rnn(np.zeros((2, 3, 4), np.float32))
    assert [w.shape for w in rnn.get_weights()] == [(4, 3), (3, 3)]


def test_setting_keras_weights_reproduces_a_keras_computation_in_float32(rng):
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    for kind in KINDS:
        weights = random_weights(kind, 3, 4, rng)
        cls = {"lstm": L.LSTM, "gru": L.GRU, "rnn": L.SimpleRNN}[kind]
        layer = cls(4)
        layer(x)
        layer.set_weights([w.astype(np.float32) for w in weights])
        _, last, _ = keras_rnn(kind, x.astype(np.float64), weights)
        np.testing.assert_allclose(npy(layer(x)), last, rtol=1e-4, atol=1e-5)


def test_simple_rnn_relu_and_dropout_masks_shared_over_time(rng):
    # relu SimpleRNN with an identity kernel and no recurrence outputs relu(dropped inputs):
    # the dropout mask of each (sequence, feature) must be the same at every step
    layer = L.SimpleRNN(6, activation="relu", dropout=0.5, return_sequences=True,
                        kernel_initializer="identity", recurrent_initializer="zeros")
    x = np.ones((8, 5, 6), np.float32)
    layer(x)
    y = npy(layer(x, training=True))
    assert set(np.unique(y)) <= {0.0, 2.0} and 0 < (y == 0).mean() < 1
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1], y.shape))
    np.testing.assert_array_equal(npy(layer(x, training=False)), x)  # inference: no dropout
    layer.eval()
    np.testing.assert_array_equal(npy(layer(x)), x)


# ----------------------------------------------------------------------------- errors
def test_unsupported_options_raise_naming_the_argument():
    with pytest.raises(NotImplementedError, match="activation='relu'"):
        L.LSTM(4, activation="relu")
    with pytest.raises(NotImplementedError, match="recurrent_activation='hard_sigmoid'"):
        L.GRU(4, recurrent_activation="hard_sigmoid")
    with pytest.raises(NotImplementedError, match="activation='sigmoid'"):
        L.SimpleRNN(4, activation="sigmoid")
    with pytest.raises(NotImplementedError, match="recurrent_dropout"):
        L.LSTM(4, recurrent_dropout=0.2)
    with pytest.raises(NotImplementedError, match="reset_after=False"):
        L.GRU(4, reset_after=False)
    with pytest.raises(NotImplementedError, match="stateful"):
        L.LSTM(4, stateful=True)
    with pytest.raises(ValueError, match="units"):
        L.LSTM(0)
    layer = L.LSTM(3)
    x = np.zeros((2, 4, 3), np.float32)
    with pytest.raises(NotImplementedError, match="contiguous block"):
        layer(x, mask=np.array([[True, False, True, True], [True] * 4]))
    with pytest.raises(ValueError, match="initial state"):
        layer(x, initial_state=[np.zeros((2, 3), np.float32)])
    with pytest.raises(ValueError, match="built for 3 input features"):
        layer(np.zeros((2, 4, 5), np.float32))
    with pytest.raises(ValueError, match="timesteps"):
        L.GRU(3)(np.zeros((2, 3), np.float32))


# ----------------------------------------------------------------------------- wrappers
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merges_a_forward_and_a_backward_layer(merge_mode, rng):
    x = rng.standard_normal((3, 5, 2))
    mask = right_mask([5, 3, 2], 5)
    bi = L.Bidirectional(L.GRU(4, return_sequences=True, dtype="float64"),
                         merge_mode=merge_mode)
    bi(lg64(x))
    wf, wb = random_weights("gru", 2, 4, rng), random_weights("gru", 2, 4, rng)
    bi.set_weights(wf + wb)
    assert bi.forward_layer.name.startswith("forward_")
    assert bi.backward_layer.go_backwards and not bi.forward_layer.go_backwards
    got = bi(lg64(x), mask=lightgrad.tensor(mask))
    yf, _, _ = keras_rnn("gru", x, wf, mask, zero_output_for_mask=True)
    yb, _, _ = keras_rnn("gru", x, wb, mask, go_backwards=True, zero_output_for_mask=True)
    yb = yb[:, ::-1]
    want = {"concat": np.concatenate([yf, yb], -1), "sum": yf + yb, "mul": yf * yb,
            "ave": (yf + yb) / 2, None: None}[merge_mode]
    if merge_mode is None:
        np.testing.assert_allclose(npy(got[0]), yf, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(npy(got[1]), yb, rtol=1e-10, atol=1e-12)
    else:
        np.testing.assert_allclose(npy(got), want, rtol=1e-10, atol=1e-12)
        assert np.all(npy(got)[1, 3:] == 0)  # masked steps are zeros in both directions
    for a, b in zip(bi.get_weights(), wf + wb):
        np.testing.assert_array_equal(a, b)


def test_bidirectional_states_and_last_outputs(rng):
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    bi = L.Bidirectional(L.LSTM(3, return_state=True))
    out, hf, cf, hb, cb = bi(x)
    assert out.shape == (2, 6)
    np.testing.assert_allclose(npy(out), np.concatenate([npy(hf), npy(hb)], -1), rtol=1e-6)
    # the backward half is an LSTM run on the reversed sequence
    back = L.LSTM(3)
    back(x)
    back.set_weights(bi.backward_layer.get_weights())
    np.testing.assert_allclose(npy(hb), npy(back(x[:, ::-1].copy())), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="merge mode"):
        L.Bidirectional(L.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="go_backwards"):
        L.Bidirectional(L.LSTM(3), backward_layer=L.LSTM(3))


def test_time_distributed_applies_the_layer_to_each_step(rng):
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    td = L.TimeDistributed(L.Dense(4, activation="tanh"))
    y = npy(td(x))
    kernel, bias = td.get_weights()
    np.testing.assert_allclose(y, np.tanh(x @ kernel + bias), rtol=1e-5, atol=1e-6)
    assert td.count_params() == 16
    td.set_weights([np.ones((3, 4), np.float32), np.zeros(4, np.float32)])
    np.testing.assert_allclose(npy(td(x)), np.tanh(x.sum(-1, keepdims=True) * np.ones(4)),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="at least rank 3"):
        td(np.zeros((2, 3), np.float32))


# ----------------------------------------------------------------------------- configs
CONFIG_LAYERS = [
    lambda: L.LSTM(4, return_sequences=True, go_backwards=True, dropout=0.1,
                   unit_forget_bias=False, kernel_regularizer="l2"),
    lambda: L.GRU(3, return_state=True, use_bias=False, recurrent_initializer="glorot_uniform"),
    lambda: L.SimpleRNN(2, activation="relu", zero_output_for_mask=True),
    lambda: L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="sum"),
    lambda: L.Bidirectional(L.GRU(3), merge_mode=None),
    lambda: L.TimeDistributed(L.Dense(2, activation="relu")),
]


@pytest.mark.parametrize("make_layer", CONFIG_LAYERS, ids=[str(i) for i in
                                                           range(len(CONFIG_LAYERS))])
def test_config_round_trips(make_layer):
    layer = make_layer()
    cfg = layer.get_config()
    spec = serialize_layer(layer)
    json.dumps(spec)
    again = deserialize_layer(json.loads(json.dumps(spec)))
    assert again.get_config() == cfg
    assert type(layer).from_config(cfg).get_config() == cfg


# ----------------------------------------------------------------------------- models
def test_an_lstm_text_classifier_trains_and_ignores_padding(rng):
    vocab, t = 20, 8
    n = 128
    lengths = rng.integers(2, t + 1, n)
    x = np.zeros((n, t), np.int64)
    y = np.zeros(n, np.float32)
    for i in range(n):
        x[i, :lengths[i]] = rng.integers(1, vocab, lengths[i])
        y[i] = float((x[i, :lengths[i]] >= 10).sum() * 2 > lengths[i])  # mostly high tokens
    model = keras.Sequential([
        keras.Input(shape=(t,), dtype="int64"),
        L.Embedding(vocab, 8, mask_zero=True),
        L.LSTM(16),
        L.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, epochs=12, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < 0.7 * hist.history["loss"][0]
    assert hist.history["accuracy"][-1] >= 0.8
    # a padded sequence gives exactly the prediction of the same sequence unpadded
    short = x[lengths == 3][:4]
    trimmed = npy(model(short[:, :3]))
    np.testing.assert_allclose(npy(model(short)), trimmed, rtol=1e-5, atol=1e-6)
    # and so does the same sequence padded at the start (Keras's pad_sequences default)
    pre = np.concatenate([np.zeros((len(short), t - 3), np.int64), short[:, :3]], 1)
    np.testing.assert_allclose(npy(model(pre)), trimmed, rtol=1e-5, atol=1e-6)


def test_bidirectional_masked_classifier_in_a_sequential(rng):
    x = rng.integers(1, 10, (6, 7))
    x[:, 4:] = 0  # every sequence has 4 tokens, padded to 7
    model = keras.Sequential([
        L.Embedding(10, 4, mask_zero=True),
        L.Bidirectional(L.LSTM(3, return_sequences=True)),
        L.GlobalAveragePooling1D(),
        L.Dense(2, activation="softmax"),
    ])
    padded = npy(model(x))
    np.testing.assert_allclose(padded, npy(model(x[:, :4])), rtol=1e-5, atol=1e-6)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, np.arange(6) % 2, epochs=1, verbose=0)


def test_functional_model_with_states_and_time_distributed(rng):
    inputs = keras.Input(shape=(5, 3))
    seq = L.LSTM(4, return_sequences=True)(inputs)
    per_step = L.TimeDistributed(L.Dense(2))(seq)
    model = keras.Model(inputs, per_step)
    x = rng.standard_normal((3, 5, 3)).astype(np.float32)
    a = model.predict(x, verbose=0)
    assert a.shape == (3, 5, 2)
    again = deserialize_layer(json.loads(json.dumps(serialize_layer(model))))
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(x, verbose=0), a, rtol=1e-6)
    # a layer's several outputs as model outputs
    states_in = keras.Input(shape=(5, 3))
    out, h, c = L.LSTM(4, return_state=True)(states_in)
    m2 = keras.Model(states_in, [out, h, c])
    o, hh, cc = m2.predict(x, verbose=0)
    assert o.shape == hh.shape == cc.shape == (3, 4)
    np.testing.assert_allclose(o, hh, rtol=1e-6)
