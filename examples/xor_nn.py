"""XOR the PyTorch way: ``nn.Sequential``, a loss module and an optimizer.

The same problem as ``xor_mlp.py``, written as a PyTorch user would write it (with ``torch``
in place of ``lightgrad`` the model code is the same). The data is the TensorFlow playground's
"Exclusive or": points in four squares, class 1 where exactly one coordinate is positive, so no
straight line separates the classes and one hidden layer is needed. The network

    logit = W2 tanh(W1 x + b1) + b2

is trained full-batch with ``BCEWithLogitsLoss`` (a stable sigmoid + binary cross-entropy) and
``SGD`` with momentum. It is scored on a fresh sample of the set and on the truth table itself at
the corners ``(+-3, +-3)``, and the decision boundary is saved as ``xor_boundary.png``.

Run: ``python examples/xor_nn.py [--out DIR]`` or ``lightgrad examples xor_nn`` (the picture then
goes to ``$LIGHTGRAD_EXAMPLES_OUT`` or a temporary folder; the path is printed).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

import lightgrad
from lightgrad import nn, optim
from lightgrad.datasets import make_xor

HIDDEN = 8
STEPS = 500
LEARNING_RATE = 0.1
MOMENTUM = 0.9


def output_dir(out_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where pictures go: ``out_dir``, else ``$LIGHTGRAD_EXAMPLES_OUT``, else a temp folder."""
    chosen = out_dir or os.environ.get("LIGHTGRAD_EXAMPLES_OUT")
    path = Path(chosen) if chosen else Path(tempfile.gettempdir()) / "lightgrad-examples"
    path.mkdir(parents=True, exist_ok=True)
    return path


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with lightgrad.no_grad():
        predicted = (model(lightgrad.from_numpy(X)).squeeze(1) > 0).long()
    return float((predicted.numpy() == y).mean())


def build_model() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(2, HIDDEN),
        nn.Tanh(),
        nn.Linear(HIDDEN, 1),  # one logit: class 1 when > 0
    )


def train(model: nn.Module, X: np.ndarray, y: np.ndarray, steps: int = STEPS,
          log_every: int = 100) -> list[float]:
    """Full-batch training; returns the loss before each step."""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    inputs = lightgrad.from_numpy(X)
    targets = lightgrad.from_numpy(y).float().unsqueeze(1)  # (N, 1), like the output
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(f"step {step:4d}  loss {losses[-1]:.4f}")
    return losses


def main(out_dir: str | os.PathLike[str] | None = None) -> dict:
    lightgrad.manual_seed(0)
    X, y = make_xor(n=400, seed=0)  # float32 (400, 2), int64 (400,)
    X_test, y_test = make_xor(n=400, seed=1)
    model = build_model()
    losses = train(model, X, y)

    train_acc, test_acc = accuracy(model, X, y), accuracy(model, X_test, y_test)
    corners = np.array([[-3, -3], [-3, 3], [3, -3], [3, 3]], dtype=np.float32)
    truth = np.array([0, 1, 1, 0])  # XOR of the signs
    corners_ok = round(accuracy(model, corners, truth) * len(truth))
    print(f"train accuracy {train_acc:.1%}  test accuracy {test_acc:.1%}  "
          f"truth table {corners_ok}/4")

    from lightgrad.viz import plot_decision_boundary

    png = output_dir(out_dir) / "xor_boundary.png"
    plot_decision_boundary(model, X_test, y_test, path=png,
                           title=f"XOR, 2-{HIDDEN}-1 tanh MLP (test set)")
    print(f"decision boundary saved to {png}")

    assert corners_ok == 4, f"the truth table is not learned: {corners_ok}/4 corners right"
    assert test_acc >= 0.95, f"XOR not learned: test accuracy {test_acc:.3f}"
    return {"accuracy": test_acc, "train_accuracy": train_acc, "truth_table": corners_ok,
            "loss": losses[-1], "png": str(png)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="folder for xor_boundary.png (default: .)")
    main(parser.parse_args().out)
