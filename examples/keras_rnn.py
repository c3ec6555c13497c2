"""Spam or ham with an LSTM, written as a Keras script on ``lightgrad.keras``.

The RNN use case of the Keras workflow (develop, evaluate, save and reload, plot the history),
as Keras's classic sequence-classification LSTM::

    Embedding(V, 32, mask_zero=True) - LSTM(64, dropout=0.2) - Dense(1, sigmoid)

on the SpamAssassin public corpus (6,046 emails, 32 % spam; ``load_spam_assassin`` keeps the
subject and the body, not the headers that give the two collections away), split 80/20 at
random (seeded). Words become indices (the training set's 10,000 most frequent words, seen at
least twice; 0 = padding, 1 = unknown) and ``keras.utils.pad_sequences`` keeps the last 120
words of each email, zeros in front. ``mask_zero=True`` makes the LSTM skip the padding, so a
short email ends with its own last word. Compiled with Adam, binary cross-entropy and
accuracy; ``fit`` for 5 epochs of batches of 64 with 10 % of the training emails for
validation; scored with ``evaluate``; saved as ``.keras`` and reloaded (the reloaded model
gives the same predictions). Target: >= 96 % test accuracy (the majority class alone: 69 %).

Only the import differs from a Keras script (``from lightgrad import keras``); the text is
tokenized with ``lightgrad.text`` (Keras 3 would use a ``TextVectorization`` layer).

Run: ``python examples/keras_rnn.py [--quick]`` or ``lightgrad examples keras_rnn``.
Needs the corpus: ``make data`` (see ``lightgrad.datasets.load_spam_assassin``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from lightgrad import keras
from lightgrad.datasets import load_spam_assassin
from lightgrad.text import Vocab, WordTokenizer

MAX_LEN = 120
MAX_WORDS = 10_000
EMBED, UNITS = 32, 64
EPOCHS = 5
BATCH_SIZE = 64
TEST_FRACTION = 0.2
TARGET = 0.96


def build_model(vocab_size: int) -> keras.Sequential:
    """Embedding with a padding mask, one LSTM layer, a sigmoid unit."""
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(MAX_LEN,), dtype="int64"),
        layers.Embedding(vocab_size, EMBED, mask_zero=True),  # (N, 120, 32) + mask (N, 120)
        layers.LSTM(UNITS, dropout=0.2),  # the state after each email's last word: (N, 64)
        layers.Dense(1, activation="sigmoid"),  # P(spam)
    ], name="spam_lstm")


def load_data(quick: bool = False) -> tuple:
    """``(x_train, y_train), (x_test, y_test), vocab_size``: padded word indices (int64) and
    0/1 labels (1 = spam)."""
    texts, labels = load_spam_assassin()
    order = np.random.default_rng(0).permutation(len(texts))
    if quick:
        order = order[:500]
    texts, labels = [texts[i] for i in order], labels[order].astype(np.float32)
    n_test = int(len(texts) * TEST_FRACTION)
    tokenize = WordTokenizer()
    tokens = [tokenize(t) for t in texts]
    vocab = Vocab.build(tokens[n_test:], min_freq=2, max_size=MAX_WORDS)  # training words only
    x = keras.utils.pad_sequences([vocab.encode(t) for t in tokens], maxlen=MAX_LEN,
                                  dtype="int64")
    return (x[n_test:], labels[n_test:]), (x[:n_test], labels[:n_test]), len(vocab)


def main(quick: bool = False, epochs: int | None = None, verbose: int | str = "auto") -> dict:
    """Train the LSTM on 80 % of the emails, score it on the other 20 %, save and reload it.

    Args:
        quick: a smoke run (500 emails, 1 epoch; no target).
        epochs: override the number of epochs.
        verbose: ``fit``'s progress display (0 silent, 1 progress bar, 2 one line per epoch).
    """
    keras.utils.set_random_seed(0)
    epochs = epochs or (1 if quick else EPOCHS)
    (x_train, y_train), (x_test, y_test), vocab_size = load_data(quick)
    majority = float(max(y_test.mean(), 1 - y_test.mean()))
    print(f"{len(x_train):,} training / {len(x_test):,} test emails ({y_test.mean():.0%} spam), "
          f"{vocab_size:,} words")

    model = build_model(vocab_size)
    model.summary()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs,
                        validation_split=0.1, verbose=verbose)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.2%} (majority class {majority:.1%}) "
          f"after {epochs} epochs ({seconds:.0f} s of training)")

    with tempfile.TemporaryDirectory() as tmp:  # save, reload, predict the same
        path = Path(tmp) / "spam_lstm.keras"
        model.save(path)
        reloaded = keras.models.load_model(path)
        same = bool(np.array_equal(reloaded.predict(x_test, verbose=0),
                                   model.predict(x_test, verbose=0)))
    print(f"saved and reloaded: {'the same' if same else 'DIFFERENT'} predictions")
    if not quick:
        assert accuracy >= TARGET, f"Keras spam LSTM: test accuracy {accuracy:.4f} < {TARGET}"
    return {"accuracy": float(accuracy), "loss": float(loss), "majority": majority,
            "epochs": epochs, "seconds": seconds, "train": len(x_train), "test": len(x_test),
            "vocab": vocab_size, "reloaded_same": same,
            "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "params": model.count_params()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()
    main(quick=args.quick, epochs=args.epochs)
