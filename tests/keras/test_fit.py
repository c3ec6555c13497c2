"""The Keras face trains with exactly the math of a hand-written lightgrad loop."""

import numpy as np
import pytest

import lightgrad
from lightgrad import keras, nn
from lightgrad.nn import functional as F


def _data(n=96, seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, 5)).astype(np.float32)
    y = (x[:, 0] - x[:, 1] > 0).astype(np.float32)
    return x, y


def test_fit_equals_the_hand_written_loop():
    x, y = _data()
    lightgrad.manual_seed(0)
    model = keras.Sequential([keras.Input(shape=(5,)),
                              keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(1, activation="sigmoid")])
    init = model.get_weights()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  loss="binary_crossentropy")
    model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)

    # the same network and updates, written by hand with lightgrad.nn and lightgrad.optim
    l1, l2 = nn.Linear(5, 8), nn.Linear(8, 1)
    with lightgrad.no_grad():
        l1.weight.copy_(lightgrad.tensor(init[0].T))
        l1.bias.copy_(lightgrad.tensor(init[1]))
        l2.weight.copy_(lightgrad.tensor(init[2].T))
        l2.bias.copy_(lightgrad.tensor(init[3]))
    opt = lightgrad.optim.SGD([*l1.parameters(), *l2.parameters()], lr=0.1, momentum=0.9)
    eps = 1e-7
    for _ in range(3):
        for i in range(0, len(x), 16):
            xb, yb = lightgrad.tensor(x[i:i + 16]), lightgrad.tensor(y[i:i + 16]).reshape(-1, 1)
            p = F.sigmoid(l2(F.tanh(l1(xb)))).clamp(eps, 1 - eps)
            loss = -(yb * p.log() + (1 - yb) * (1 - p).log()).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    got = model.get_weights()
    want = [l1.weight.detach().numpy().T, l1.bias.detach().numpy(),
            l2.weight.detach().numpy().T, l2.bias.detach().numpy()]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_history_keys_and_validation():
    x, y = _data()
    model = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=(5,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 2 for v in h.history.values())
    assert h.epoch == [0, 1]
    h2 = model.fit(x, y, epochs=1, validation_data=(x[:10], y[:10]), verbose=0)
    assert "val_loss" in h2.history
    loss, acc = model.evaluate(x, y, verbose=0)
    assert 0 <= acc <= 1 and loss > 0
    assert model.predict(x[:7], verbose=0).shape == (7, 1)


def test_functional_and_subclassed_models_train():
    x, y = _data()
    inp = keras.Input(shape=(5,))
    h = keras.layers.Dense(6, activation="relu")(inp)
    out = keras.layers.Dense(2, activation="softmax")(h)
    model = keras.Model(inp, out)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y.astype(int), epochs=2, verbose=0)
    assert hist.history["loss"][1] < hist.history["loss"][0] * 1.05

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = keras.layers.Dense(6, activation="relu")
            self.d2 = keras.layers.Dense(1)

        def call(self, inputs, training=None):
            return self.d2(self.d1(inputs))

    net = Net()
    net.compile("sgd", "mse")
    net.fit(x, y, epochs=1, verbose=0)
    assert len(net.trainable_weights) == 4


def test_dense_keras_layouts_and_config_round_trip():
    layer = keras.layers.Dense(3, activation="relu", kernel_regularizer=keras.regularizers.L2(0.1))
    layer(np.ones((2, 4), np.float32))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (4, 3) and bias.shape == (3,)
    cfg = layer.get_config()
    clone = keras.layers.Dense.from_config({**cfg, "name": "other"})
    assert clone.units == 3 and clone.get_config()["activation"] == "relu"
    expected = 0.1 * float((kernel ** 2).sum())
    assert layer.losses[0].item() == pytest.approx(expected, rel=1e-5)


def test_errors_are_clear():
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.ones((4, 3)), np.ones(4), verbose=0)
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(np.ones((4, 3)), np.ones(5), verbose=0)
    with pytest.raises(ValueError, match="units"):
        keras.layers.Dense(0)
    with pytest.raises(ValueError, match="Unknown loss"):
        model.compile("sgd", "nope")
