"""The Keras layer base (lightgrad/keras/layers/layer.py): Keras 3's default names and its
activity regularization (penalties per output, divided by the batch size, cleared per call)."""

import numpy as np
import pytest

from lightgrad import keras

L = keras.layers


# ----------------------------------------------------------------------------- names
NAMES = [
    (lambda: L.Conv2D(2, 3), "conv2d"), (lambda: L.Conv2DTranspose(2, 3), "conv2d_transpose"),
    (lambda: L.Conv1D(2, 3), "conv1d"), (lambda: L.LSTM(2), "lstm"),
    (lambda: L.MaxPooling2D(), "max_pooling2d"),
    (lambda: L.GlobalAveragePooling2D(), "global_average_pooling2d"),
    (lambda: L.SimpleRNN(2), "simple_rnn"), (lambda: L.GRU(2), "gru"),
    (lambda: L.UpSampling2D(), "up_sampling2d"), (lambda: L.ZeroPadding2D(), "zero_padding2d"),
    (lambda: L.Dense(1), "dense"), (lambda: L.BatchNormalization(), "batch_normalization"),
    (lambda: L.MultiHeadAttention(2, 2), "multi_head_attention"),
    (lambda: L.Embedding(3, 2), "embedding"), (lambda: keras.Sequential(), "sequential"),
]


@pytest.mark.parametrize("make,name", NAMES, ids=[n for _, n in NAMES])
def test_default_names_are_keras_snake_case(make, name):
    keras.utils.clear_session()
    assert make().name == name
    assert make().name == f"{name}_1"


def test_custom_classes_are_named_by_keras_rule():
    keras.utils.clear_session()

    class Conv3DBlock(keras.layers.Layer):
        def call(self, inputs):
            return inputs

    class MyRNNModel2D(keras.Model):
        def call(self, inputs):
            return inputs

    assert Conv3DBlock().name == "conv3d_block"
    assert MyRNNModel2D().name == "my_rnn_model2d"
    inp = keras.Input(shape=(2,))
    assert keras.Model(inp, L.Dense(1)(inp)).name == "functional"  # Keras 3's Functional


# ----------------------------------------------------------------------------- activity
def test_activity_regularizer_value_is_keras_3s():
    # Keras's own documented example (keras.regularizers): 0.25 from the kernel L1 penalty,
    # 0.01 * sum(10^2 over 5x5) / batch 5 = 5 from the activity L2 penalty
    layer = L.Dense(5, kernel_initializer="ones", kernel_regularizer=keras.regularizers.L1(0.01),
                    activity_regularizer=keras.regularizers.L2(0.01))
    layer(np.ones((5, 5), np.float32) * 2.0)
    assert sorted(float(v.item()) for v in layer.losses) == pytest.approx([0.25, 5.0])
    # the penalties are those of the latest call only
    layer(np.ones((2, 5), np.float32))
    # outputs of 5: 0.01 * (10 * 25) / batch 2
    assert sorted(float(v.item()) for v in layer.losses) == pytest.approx([0.25, 1.25])


def test_activity_penalty_enters_the_training_loss():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(3,)),
                              L.Dense(2, activity_regularizer=keras.regularizers.L2(0.1))])
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    y = np.zeros((8, 2), np.float32)
    out = model.predict(x, verbose=0)
    mse = float((out ** 2).mean())
    penalty = 0.1 * float((out ** 2).sum()) / 8
    assert model.evaluate(x, y, batch_size=8, verbose=0) == pytest.approx(mse + penalty,
                                                                           rel=1e-5)


def test_activity_penalty_per_output_and_per_call():
    lstm = L.LSTM(3, return_state=True, activity_regularizer=keras.regularizers.L1(0.5))
    x = np.random.default_rng(1).standard_normal((4, 5, 2)).astype(np.float32)
    outs = lstm(x)
    want = sorted(0.5 * float(np.abs(o.detach().numpy()).sum()) / 4 for o in outs)
    assert sorted(float(v.item()) for v in lstm.losses) == pytest.approx(want, rel=1e-5)
    # a layer shared by two calls of one model counts both calls, once per model call
    shared = L.Dense(2, activity_regularizer=keras.regularizers.L2(1.0))
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    model = keras.Model([a, b], L.Add()([shared(a), shared(b)]))
    xa, xb = np.ones((2, 3), np.float32), -2 * np.ones((2, 3), np.float32)
    ya, yb = (shared(v).detach().numpy() for v in (xa, xb))
    want = sorted([float((ya ** 2).sum()) / 2, float((yb ** 2).sum()) / 2])
    for _ in range(2):
        model([xa, xb])
    assert sorted(float(v.item()) for v in model.losses) == pytest.approx(want, rel=1e-5)


def test_any_layer_takes_an_activity_regularizer_and_keeps_it_in_its_config():
    layer = L.Activation("relu", activity_regularizer="l2")
    out = layer(np.array([[1.0, -2.0, 3.0]], np.float32))
    assert float(layer.losses[0].item()) == pytest.approx(0.01 * 10.0)
    assert out.shape == (1, 3)
    cfg = layer.get_config()
    assert cfg["activity_regularizer"] == {"class_name": "L2", "config": {"l2": 0.01}}
    again = L.Activation.from_config(cfg)
    again(np.array([[1.0, -2.0, 3.0]], np.float32))
    assert float(again.losses[0].item()) == pytest.approx(0.1)
