"""The Keras-style examples run as Keras scripts: a quick smoke run of each (the full runs, with
their targets, are ``make examples``) and checks that they use the Keras face as Keras does."""

import numpy as np
import pytest

from lightgrad import cli, keras
from lightgrad.datasets.paths import DatasetNotFoundError


def load(name):
    return cli.load_example(name)


def test_keras_mnist_cnn_is_the_classic_keras_convnet():
    ex = load("keras_mnist_cnn")
    model = ex.build_model()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "Conv2D", "MaxPooling2D", "Dropout", "Flatten", "Dense",
                     "Dropout", "Dense"]
    assert model.input_shape == (None, 28, 28, 1)  # channels last
    # Keras's parameter count for this network: 320 + 18,496 + 1,179,776 + 1,290
    assert model.count_params() == 1_199_882
    assert model.layers[2].pool_size == (2, 2)
    assert [layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"] == \
        [0.25, 0.5]


def test_keras_mnist_cnn_quick_run_trains():
    ex = load("keras_mnist_cnn")
    try:
        m = ex.main(quick=True, verbose=0)
    except DatasetNotFoundError as e:  # the npm digits are installed by `make data`
        pytest.skip(str(e))
    assert m["train"] == 384 and m["test"] == 128 and m["epochs"] == 1
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(m["history"])
    assert np.isfinite(m["loss"]) and m["loss"] < 2.3  # below chance level (ln 10) already
    assert 0.2 < m["accuracy"] <= 1.0  # far above the 10 % of guessing, even after 6 steps


def test_keras_mnist_cnn_is_seeded():
    ex = load("keras_mnist_cnn")
    keras.utils.set_random_seed(0)
    a = ex.build_model().get_weights()
    keras.utils.set_random_seed(0)
    b = ex.build_model().get_weights()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_the_lightgrad_command_finds_the_keras_examples():
    assert "keras_mnist_cnn" in cli.available_examples()


# ----------------------------------------------------------------------------- RNN (seed 002)
def test_keras_rnn_is_an_embedding_lstm_classifier_with_a_padding_mask():
    ex = load("keras_rnn")
    model = ex.build_model(vocab_size=500)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Embedding", "LSTM", "Dense"]
    emb, lstm, head = model.layers
    assert emb.mask_zero and lstm.units == 64 and not lstm.return_sequences
    assert model.input_shape == (None, ex.MAX_LEN)
    # Keras's counts: 500 * 32 embeddings, 4 * 64 * (32 + 64 + 1) LSTM, 64 + 1 output
    assert model.count_params() == 16_000 + 24_832 + 65
    # the padding (zeros in front, as pad_sequences puts them) changes no prediction
    x = np.random.default_rng(0).integers(1, 500, (3, ex.MAX_LEN))
    x[:, :ex.MAX_LEN - 9] = 0
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               model.predict(x[:, -9:], verbose=0), rtol=1e-5, atol=1e-6)


def test_keras_rnn_quick_run_trains_saves_and_reloads():
    ex = load("keras_rnn")
    try:
        m = ex.main(quick=True, verbose=0)
    except DatasetNotFoundError as e:  # the SpamAssassin corpus is installed by `make data`
        pytest.skip(str(e))
    assert m["train"] == 400 and m["test"] == 100 and m["epochs"] == 1
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(m["history"])
    assert np.isfinite(m["loss"]) and 0.0 <= m["accuracy"] <= 1.0
    assert m["reloaded_same"] is True


# ----------------------------------------------------------------------------- MLP (seed 002)
def test_keras_mlp_is_a_regularized_mlp():
    ex = load("keras_mlp")
    model = ex.build_model()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "Dropout", "Dense", "Dense"]
    assert model.count_params() == 64 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10
    assert [type(layer.kernel_regularizer).__name__ for layer in model.layers[::2]] == \
        ["L2", "L2"]
    assert model.layers[-1].get_config()["activation"] == "softmax"


def test_keras_mlp_quick_run_trains_saves_and_reloads(tmp_path):
    pytest.importorskip("sklearn")  # the digits file ships with scikit-learn
    ex = load("keras_mlp")
    plot = tmp_path / "history.png"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        plot = None
    m = ex.main(quick=True, verbose=0, plot=None if plot is None else str(plot))
    assert m["train"] == 320 and m["test"] == 80 and m["epochs"] == 3
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(m["history"])
    h = m["history"]["loss"]
    assert h[-1] < h[0]  # it learns within 3 epochs
    assert m["accuracy"] > 0.3  # far above the 10 % of guessing
    assert m["reloaded_same"] is True
    if plot is not None:
        assert plot.stat().st_size > 1000


def test_the_lightgrad_command_finds_every_keras_example():
    assert {"keras_mnist_cnn", "keras_rnn", "keras_mlp"} <= set(cli.available_examples())
