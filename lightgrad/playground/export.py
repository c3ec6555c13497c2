"""'Export as Python': a standalone lightgrad script that reproduces a playground setup.

The script builds the same data, the same network (same initial weights) and trains it with the
same batches, dropout masks and optimizer as :class:`~.session.TrainingSession`, so after ``N``
epochs it reaches the loss the page showed at epoch ``N``. It needs only lightgrad and NumPy.

Only validated :class:`~.settings.Settings` go in: every value written into the script is an
enumerated name chosen from a fixed table or a number's ``repr``, never text from a request.

Example:
    >>> from lightgrad.playground.settings import Settings
    >>> script = export_script(Settings(dataset="xor"), epochs=20)
    >>> "from lightgrad.datasets import make_xor" in script
    True
    >>> namespace = {}
    >>> exec(compile(script, "playground_xor.py", "exec"), namespace)
    >>> sorted(namespace["main"](epochs=2, verbose=False))
    ['epochs', 'test_accuracy', 'test_loss', 'train_accuracy', 'train_loss']
"""

from __future__ import annotations

from .session import ACTIVATION_MODULES, GENERATORS
from .settings import BOUNDS, Settings

__all__ = ["export_filename", "export_script"]

_FEATURE_CODE = {"x1": "x1", "x2": "x2", "x1sq": "x1 * x1", "x2sq": "x2 * x2",
                 "x1x2": "x1 * x2", "sinx1": "np.sin(x1)", "sinx2": "np.sin(x2)"}
_FEATURE_TEXT = {"x1": "X1", "x2": "X2", "x1sq": "X1^2", "x2sq": "X2^2", "x1x2": "X1*X2",
                 "sinx1": "sin(X1)", "sinx2": "sin(X2)"}
_OPTIMIZER_CODE = {
    "sgd": "lightgrad.optim.SGD(model.parameters(), lr=LEARNING_RATE)",
    "momentum": "lightgrad.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=0.9)",
    "adam": "lightgrad.optim.Adam(model.parameters(), lr=LEARNING_RATE)",
    "rmsprop": "lightgrad.optim.RMSprop(model.parameters(), lr=LEARNING_RATE)",
}
_OPTIMIZER_TEXT = {"sgd": "SGD", "momentum": "SGD with momentum 0.9", "adam": "Adam",
                   "rmsprop": "RMSprop"}


def export_filename(settings: Settings) -> str:
    """The download's file name, e.g. ``playground_spiral.py``."""
    return f"playground_{settings.dataset}.py"


def export_script(settings: Settings, epochs: int = 500) -> str:
    """The Python source of a script reproducing ``settings`` (trains ``epochs`` by default).

    Args:
        settings: a validated setup.
        epochs: the script's default number of epochs (1 to 100000; ``--epochs`` overrides).

    Returns:
        The script's text. Run it with ``python script.py [--epochs N] [--save PATH]``; import
        it and call ``main(epochs=..., save=None, verbose=True)`` for its metrics dict.
    """
    lo, hi = BOUNDS["epochs"]
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not lo <= epochs <= hi:
        raise ValueError(f"export_script: epochs must be an integer from {lo:g} to {hi:g}, got "
                         f"{epochs!r}")
    s = settings
    gen = GENERATORS[s.dataset].__name__
    classify = s.problem == "classification"
    act = ACTIVATION_MODULES[s.activation]
    widths = [len(s.features), *s.layers]
    model_lines = []
    for i, n in enumerate(s.layers):
        line = f"        nn.Linear({widths[i]}, {n}), nn.{act}(),"
        if s.dropout > 0:
            line += " nn.Dropout(DROPOUT),"
        model_lines.append(line)
    model_lines.append(f"        nn.Linear({widths[-1]}, 1),")
    feature_cols = ", ".join(_FEATURE_CODE[f] for f in s.features)
    shape = " -> ".join(str(w) for w in [*widths, 1])
    reg_text = {"none": "none", "l1": f"L1, rate {s.reg_rate!r}",
                "l2": f"L2, rate {s.reg_rate!r}"}[s.reg]
    penalty_import = {"none": "", "l1": "from lightgrad.optim.regularization import l1_penalty\n",
                      "l2": "from lightgrad.optim.regularization import l2_penalty\n"}[s.reg]
    penalty_line = {
        "none": "",
        "l1": "            loss = loss + REG_RATE * l1_penalty(weights)  # L1 on the weights\n",
        "l2": "            loss = loss + REG_RATE / 2 * l2_penalty(weights)  # L2 on the weights\n",
    }[s.reg]
    weights_line = "" if s.reg == "none" else \
        "    weights = [m.weight for m in model if isinstance(m, nn.Linear)]  # not the biases\n"
    accuracy_eval = (
        "    if not CLASSIFY:\n"
        "        return metrics\n"
        "    for name, out, target in ((\"train\", out_train, y_train), (\"test\", out_test, "
        "y_test)):\n"
        "        correct = ((out.numpy() > 0) == (target.numpy() > 0.5)).mean()\n"
        "        metrics[f\"{name}_accuracy\"] = float(correct)\n"
    )
    loss_ctor = "nn.BCEWithLogitsLoss()" if classify else "nn.MSELoss()"
    return f'''#!/usr/bin/env python3
"""A lightgrad playground setup, exported as a script.

Data: {s.dataset} ({s.problem}), {s.points} points, noise {s.noise} %, {s.ratio} % for training.
Network: {", ".join(_FEATURE_TEXT[f] for f in s.features)} -> {shape}, {s.activation} hidden \
activation{f", dropout {s.dropout!r}" if s.dropout > 0 else ""}.
Training: {_OPTIMIZER_TEXT[s.optimizer]}, learning rate {s.lr!r}, batch size {s.batch}, \
regularization {reg_text}, seed {s.seed}.

It trains exactly as the playground page did (same data, initial weights, batches and dropout
masks): epoch N here reaches the loss the page showed at epoch N.

    python {export_filename(s)} [--epochs N] [--save model.safetensors]
"""

import argparse

import numpy as np

import lightgrad
from lightgrad import nn
from lightgrad.datasets import {gen}
{penalty_import}from lightgrad.utils.data import DataLoader, TensorDataset

SEED = {s.seed}
POINTS = {s.points}
NOISE = {s.noise}  # percent
TRAIN_POINTS = {s.n_train}  # the first {s.ratio} % of the (shuffled) points
BATCH_SIZE = {s.batch}
LEARNING_RATE = {s.lr!r}
REG_RATE = {s.reg_rate!r}
DROPOUT = {s.dropout!r}
CLASSIFY = {classify!r}
EPOCHS = {epochs}


def features(X):
    """The input features of points X, shape (n, 2): {", ".join(s.features)}."""
    x1, x2 = X[:, 0], X[:, 1]
    return np.stack([{feature_cols}], axis=1).astype(np.float32, copy=False)


def build_model():
    """The network; its initial weights come from lightgrad's (seeded) default generator."""
    return nn.Sequential(
{chr(10).join(model_lines)}
    )


def evaluate(model, loss_fn, x_train, y_train, x_test, y_test):
    """Losses (and accuracies) on the train and test points, in eval mode."""
    model.eval()
    with lightgrad.no_grad():
        out_train, out_test = model(x_train).squeeze(1), model(x_test).squeeze(1)
        metrics = {{"train_loss": float(loss_fn(out_train, y_train)),
                   "test_loss": float(loss_fn(out_test, y_test))}}
    model.train()
{accuracy_eval}    return metrics


def main(epochs=EPOCHS, save=None, verbose=True):
    lightgrad.manual_seed(SEED)
    X, y = {gen}(n=POINTS, noise=NOISE / 100, seed=SEED)
    x = lightgrad.tensor(features(X))
    target = lightgrad.tensor(y.astype(np.float32))
    x_train, y_train = x[:TRAIN_POINTS], target[:TRAIN_POINTS]
    x_test, y_test = x[TRAIN_POINTS:], target[TRAIN_POINTS:]

    model = build_model()
    optimizer = {_OPTIMIZER_CODE[s.optimizer]}
    loss_fn = {loss_ctor}
{weights_line}    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH_SIZE,
                        shuffle=True)

    for epoch in range(1, epochs + 1):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb).squeeze(1), yb)
{penalty_line}            loss.backward()
            optimizer.step()
        if verbose and (epoch % 100 == 0 or epoch == epochs):
            m = evaluate(model, loss_fn, x_train, y_train, x_test, y_test)
            print(f"epoch {{epoch}}: train loss {{m['train_loss']:.4f}}, "
                  f"test loss {{m['test_loss']:.4f}}")

    metrics = {{"epochs": epochs, **evaluate(model, loss_fn, x_train, y_train, x_test, y_test)}}
    if verbose:
        print(" ".join(f"{{k}}={{v:.4g}}" if isinstance(v, float) else f"{{k}}={{v}}"
                       for k, v in metrics.items()))
    if save:
        lightgrad.save(model.state_dict(), save)
        if verbose:
            print(f"saved the model's state_dict to {{save}}")
    return metrics


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train the exported playground setup.")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="epochs to train")
    parser.add_argument("--save", default=None, help="save the trained state_dict to this file")
    args = parser.parse_args()
    main(epochs=args.epochs, save=args.save)
'''
