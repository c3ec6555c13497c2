"""Functional models (lightgrad/keras/models/model.py): layers with several outputs whose outputs
feed other layers, symbolic tensors in keyword arguments (the Keras seq2seq), and Keras mask
propagation through the graph (the same outputs as a Sequential)."""

import numpy as np
import pytest

from lightgrad import keras

L = keras.layers


def npy(t):
    return t.detach().numpy()


@pytest.fixture
def rng(request):
    return np.random.default_rng(abs(hash(request.node.name)) % 2**32)


# ----------------------------------------------------------------------------- seq2seq
def seq2seq(units=8, features=5, vocab=6):
    """Keras's classic encoder-decoder: the encoder LSTM's final states start the decoder."""
    enc_in = keras.Input(shape=(None, features), name="encoder_inputs")
    # return_sequences too, so that picking the wrong element (the sequence) cannot pass
    _, h, c = L.LSTM(units, return_sequences=True, return_state=True, name="encoder")(enc_in)
    dec_in = keras.Input(shape=(None, vocab), name="decoder_inputs")
    dec_seq = L.LSTM(units, return_sequences=True, name="decoder")(dec_in, initial_state=[h, c])
    out = L.Dense(vocab, activation="softmax", name="head")(dec_seq)
    return keras.Model([enc_in, dec_in], out)


def test_seq2seq_encoder_states_feed_the_decoder(rng):
    keras.utils.set_random_seed(1)
    model = seq2seq()
    x_enc = rng.standard_normal((4, 7, 5)).astype(np.float32)
    x_dec = rng.standard_normal((4, 3, 6)).astype(np.float32)
    got = model.predict([x_enc, x_dec], verbose=0)
    assert got.shape == (4, 3, 6)
    # the same layers called by hand: the decoder starts from the encoder's (h, c), in order
    enc, dec, head = (model.get_layer(n) for n in ("encoder", "decoder", "head"))
    _, h, c = enc(x_enc)
    want = npy(head(dec(x_dec, initial_state=[h, c])))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    swapped = npy(head(dec(x_dec, initial_state=[c, h])))
    assert not np.allclose(got, swapped, atol=1e-4)
    # the decoder depends on the encoder input only through the states
    assert [layer.name for layer in model.layers] == \
        ["encoder_inputs", "decoder_inputs", "encoder", "decoder", "head"]


def test_seq2seq_fits_predicts_saves_and_reloads(rng, tmp_path):
    keras.utils.set_random_seed(2)
    model = seq2seq()
    n = 32
    x_enc = rng.standard_normal((n, 7, 5)).astype(np.float32)
    x_dec = rng.standard_normal((n, 3, 6)).astype(np.float32)
    # the target depends on the encoder input: the states must carry it through
    y = (x_enc[:, :3, :1] > 0).astype(np.int64)[..., 0]  # (n, 3) classes 0/1
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy")
    hist = model.fit([x_enc, x_dec], y, epochs=6, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    pred = model.predict([x_enc, x_dec], verbose=0)
    path = tmp_path / "seq2seq.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_array_equal(again.predict([x_enc, x_dec], verbose=0), pred)
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    # the reloaded graph keeps the states wired as keyword inputs of the decoder
    spec = [s for s in again.get_config()["layers"] if s["name"] == "decoder"][0]
    refs = [r["config"]["keras_history"] for r in spec["inbound_nodes"][0]["kwargs"]
            ["initial_state"]]
    assert refs == [["encoder", 0, 1], ["encoder", 0, 2]]


def test_several_outputs_each_feed_their_own_consumer(rng):
    inp = keras.Input(shape=(5, 3))
    seq, h, c = L.LSTM(4, return_sequences=True, return_state=True, name="rnn")(inp)
    pooled = L.GlobalAveragePooling1D()(seq)  # consumes element 0
    merged = L.Concatenate()([pooled, h, L.Dense(2, name="on_c")(c)])  # elements 1 and 2
    model = keras.Model(inp, merged)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    s, hh, cc = (npy(t) for t in model.get_layer("rnn")(x))
    want = np.concatenate([s.mean(1), hh, npy(model.get_layer("on_c")(cc))], 1)
    np.testing.assert_allclose(npy(model(x)), want, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- masks
def padded_tokens(rng, n=6, t=7, vocab=12):
    """Token sequences padded with zeros at the start (Keras's pad_sequences) and the same
    sequences trimmed to their common length."""
    x = rng.integers(1, vocab, (n, t))
    x[:, :3] = 0
    return x, x[:, 3:]


def text_layers(middle=()):
    return [L.Embedding(12, 4, mask_zero=True), *middle, L.LSTM(5),
            L.Dense(2, activation="softmax")]


def functional_of(layers, t=None):
    inp = keras.Input(shape=(t,), dtype="int64")
    x = inp
    for layer in layers:
        x = layer(x)
    return keras.Model(inp, x)


def test_functional_masks_equal_the_sequential(rng):
    x, trimmed = padded_tokens(rng)
    seq = keras.Sequential(text_layers())
    seq_out = npy(seq(x))
    fun = functional_of(text_layers())
    fun.set_weights(seq.get_weights())
    np.testing.assert_allclose(npy(fun(x)), seq_out, rtol=1e-6, atol=1e-7)
    # the mask is really applied: the padding changes nothing
    np.testing.assert_allclose(npy(fun(x)), npy(fun(trimmed)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fun.predict(x, verbose=0), seq_out, rtol=1e-6, atol=1e-7)


MASKING = [
    lambda: L.Dense(4), lambda: L.Dropout(0.5), lambda: L.Activation("tanh"),
    lambda: L.BatchNormalization(), lambda: L.LayerNormalization(),
    lambda: L.GaussianNoise(0.3),
]


@pytest.mark.parametrize("make", MASKING, ids=lambda f: type(f()).__name__)
def test_masking_layers_pass_the_mask_on(make, rng):
    layer = make()
    assert layer.supports_masking is True
    mask = rng.random((3, 5)) > 0.5
    assert layer.compute_mask(np.zeros((3, 5, 4), np.float32), mask) is mask
    x, trimmed = padded_tokens(rng)
    for model in (keras.Sequential(text_layers([make()])),
                  functional_of(text_layers([make()]))):
        # between the Embedding and the LSTM: the LSTM still sees the padding mask
        np.testing.assert_allclose(npy(model(x, training=False)),
                                   npy(model(trimmed, training=False)), rtol=1e-5, atol=1e-6)


def test_layers_without_masking_support_drop_the_mask(rng):
    assert L.Flatten().supports_masking is False
    assert L.Flatten().compute_mask(np.zeros((2, 3)), np.ones((2, 3), bool)) is None
    assert L.Reshape((6,)).compute_mask(np.zeros((2, 3, 2)), np.ones((2, 3), bool)) is None


def test_masks_follow_several_outputs_and_explicit_masks(rng):
    x, trimmed = padded_tokens(rng)
    inp = keras.Input(shape=(None,), dtype="int64")
    emb = L.Embedding(12, 4, mask_zero=True)(inp)
    seq, h, _ = L.LSTM(5, return_sequences=True, return_state=True)(emb)
    pooled = L.GlobalAveragePooling1D()(seq)  # the sequence keeps the mask: a masked mean
    model = keras.Model(inp, [pooled, h])
    (p_pad, h_pad), (p_trim, h_trim) = model(x), model(trimmed)
    np.testing.assert_allclose(npy(p_pad), npy(p_trim), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npy(h_pad), npy(h_trim), rtol=1e-5, atol=1e-6)
    # a mask passed to the model applies to its input
    dense_in = keras.Input(shape=(7, 3))
    out = L.LSTM(4)(L.Dense(3)(dense_in))
    m2 = keras.Model(dense_in, out)
    feats = rng.standard_normal((6, 7, 3)).astype(np.float32)
    mask = np.arange(7)[None, :].repeat(6, 0) >= 3
    np.testing.assert_allclose(npy(m2(feats, mask=mask)), npy(m2(feats[:, 3:])), rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(ValueError, match="one mask per input"):
        m2(feats, mask=[mask, mask])


# ---------------------------------------------------------------- training-mode resolution
def test_a_direct_call_runs_in_inference_mode_as_in_keras():
    model = keras.Sequential([keras.Input((50,)), keras.layers.Dropout(0.5)])
    x = np.ones((4, 50), np.float32)
    np.testing.assert_array_equal(model(x).numpy(), x)  # inference: identity
    dropped = model(x, training=True).numpy()
    assert (dropped == 0).any() and set(np.unique(dropped)) <= {0.0, 2.0}
    np.testing.assert_array_equal(model(x).numpy(), x)  # and back to inference
    assert model.training  # the model's own mode is restored


def test_batch_normalization_direct_call_uses_the_moving_statistics():
    bn = keras.layers.BatchNormalization()
    x = np.random.default_rng(0).normal(3.0, 2.0, (64, 3)).astype(np.float32)
    np.testing.assert_allclose(bn(x).detach().numpy(), x / np.sqrt(1 + 1e-3), rtol=1e-5)
    out = bn(x, training=True).detach().numpy()  # batch statistics: standardized
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)


def test_nested_layers_inherit_the_outer_training_flag():
    seen = []

    class Probe(keras.layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.probe = Probe()
            self.out = keras.layers.Dense(1)

        def call(self, inputs):  # passes no training flag down, as Keras code often does
            return self.out(self.probe(inputs))

    net = Net()
    x = np.ones((8, 2), np.float32)
    net(x)
    net(x, training=True)
    assert seen == [False, True]
    net.compile(optimizer="sgd", loss="mse")
    seen.clear()
    net.fit(x, np.ones((8, 1), np.float32), epochs=2, batch_size=8, verbose=0)
    assert seen[-2:] == [True, True]  # the two training steps
    seen.clear()
    net.predict(x, verbose=0)
    net.evaluate(x, np.ones((8, 1), np.float32), verbose=0)
    assert seen == [False, False]
