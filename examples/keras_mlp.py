"""An MLP on tabular features, written as a Keras script on ``lightgrad.keras``.

The MLP use case of the Keras workflow, step by step:

1. develop: ``Dense(64, relu) - Dropout(0.2) - Dense(32, relu) - Dense(10, softmax)`` on the
   64 pixel-intensity features of the 1,797 8x8 handwritten digits (UCI optdigits, read from
   scikit-learn's installed copy), scaled to [0, 1];
2. evaluate: a random 80/20 train/test split (seeded), ``validation_split=0.2`` during
   ``fit`` and ``model.evaluate`` on the held-out test rows;
3. regularize and tune: L2 weight decay on the hidden kernels (``kernel_regularizer``),
   ``Dropout``, and ``EarlyStopping(monitor="val_loss", patience=10,
   restore_best_weights=True)`` picking the epoch;
4. save and reload: ``model.save("digits_mlp.keras")`` and ``keras.models.load_model`` give
   the same predictions;
5. plot the history: ``lightgrad.viz.plot_history`` (loss and accuracy, training against
   validation) when matplotlib is installed and a ``plot`` path is given.

Adam (learning rate 3e-3), sparse categorical cross-entropy, batches of 32, at most 60 epochs.
Target: >= 96 % test accuracy (the 10 classes are balanced: guessing gives 10 %).

Run: ``python examples/keras_mlp.py [--quick] [--plot history.png]`` or
``lightgrad examples keras_mlp``. Needs scikit-learn for the data file
(``pip install lightgrad[examples]``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from lightgrad import keras
from lightgrad.datasets import load_digits

EPOCHS = 60
BATCH_SIZE = 32
LEARNING_RATE = 3e-3
L2 = 1e-4
TEST_FRACTION = 0.2
TARGET = 0.96


def build_model(num_features: int = 64, num_classes: int = 10) -> keras.Sequential:
    """Two ReLU hidden layers with L2 weight decay and dropout, a softmax output."""
    layers, regularizers = keras.layers, keras.regularizers
    return keras.Sequential([
        keras.Input(shape=(num_features,)),
        layers.Dense(64, activation="relu", kernel_regularizer=regularizers.L2(L2)),
        layers.Dropout(0.2),
        layers.Dense(32, activation="relu", kernel_regularizer=regularizers.L2(L2)),
        layers.Dense(num_classes, activation="softmax"),
    ], name="digits_mlp")


def load_data(quick: bool = False) -> tuple:
    """``(x_train, y_train), (x_test, y_test)``: float32 features in [0, 1], int64 labels."""
    x, y = load_digits()  # (1797, 64) intensities 0..16, digits 0..9
    order = np.random.default_rng(0).permutation(len(x))
    if quick:
        order = order[:400]
    x, y = (x[order] / 16.0).astype(np.float32), y[order]
    n_test = int(len(x) * TEST_FRACTION)
    return (x[n_test:], y[n_test:]), (x[:n_test], y[:n_test])


def main(quick: bool = False, epochs: int | None = None, verbose: int | str = "auto",
         plot: str | None = None) -> dict:
    """Train, evaluate, save and reload the MLP; optionally plot its history.

    Args:
        quick: a smoke run (400 rows, 3 epochs; no target).
        epochs: override the maximum number of epochs.
        verbose: ``fit``'s progress display (0 silent, 1 progress bar, 2 one line per epoch).
        plot: write the training-history picture there (needs matplotlib).
    """
    keras.utils.set_random_seed(0)
    epochs = epochs or (3 if quick else EPOCHS)
    (x_train, y_train), (x_test, y_test) = load_data(quick)
    print(f"{len(x_train):,} training / {len(x_test):,} test rows of {x_train.shape[1]} "
          "features")

    model = build_model(x_train.shape[1])
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10,
                                         restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs,
                        validation_split=0.2, callbacks=[stop], verbose=verbose)
    seconds = time.perf_counter() - start
    ran = len(history.history["loss"])
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.2%} on {len(x_test):,} rows after "
          f"{ran} epochs ({seconds:.1f} s of training)")

    with tempfile.TemporaryDirectory() as tmp:  # save, reload, predict the same
        path = Path(tmp) / "digits_mlp.keras"
        model.save(path)
        reloaded = keras.models.load_model(path)
        same = bool(np.array_equal(reloaded.predict(x_test, verbose=0),
                                   model.predict(x_test, verbose=0)))
    print(f"saved and reloaded: {'the same' if same else 'DIFFERENT'} predictions")
    if plot is not None:
        from lightgrad.viz import plot_history

        plot_history(history, path=plot, title="Keras MLP on the 8x8 digits")
        print(f"history plot: {plot}")
    if not quick:
        assert accuracy >= TARGET, f"Keras MLP: test accuracy {accuracy:.4f} < {TARGET}"
    return {"accuracy": float(accuracy), "loss": float(loss), "epochs": ran, "seconds": seconds,
            "train": len(x_train), "test": len(x_test), "reloaded_same": same,
            "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "params": model.count_params()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--plot", default=None, help="write the history picture there (PNG)")
    args = parser.parse_args()
    main(quick=args.quick, epochs=args.epochs, plot=args.plot)
