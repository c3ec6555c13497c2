"""The two-spiral problem: an MLP trained with a DataLoader and Adam, and its decision boundary.

Two interleaved spirals (the TensorFlow playground's "Spiral", 1.75 turns each, with a little
noise) are the classic stress test for a small network: the boundary between them winds around the
centre, far from anything a linear model or a single hidden unit can draw. A 2-32-32-1 tanh MLP
learns it from minibatches:

    for epoch: for (x, y) in DataLoader(TensorDataset(X, y), batch_size=50, shuffle=True):
        loss = BCEWithLogitsLoss(model(x), y); zero_grad; backward; Adam step

It reaches >= 95 % accuracy on a fresh sample of spirals, and the decision boundary (the seeds'
"classification boundary") is saved as ``spiral_boundary.png``.

Run: ``python examples/spiral.py [--out DIR]`` or ``lightgrad examples spiral`` (the picture then
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
from lightgrad.datasets import make_spiral
from lightgrad.utils.data import DataLoader, TensorDataset

HIDDEN = 32
EPOCHS = 100
BATCH_SIZE = 50
LEARNING_RATE = 0.02
NOISE = 0.1
TARGET = 0.95


def output_dir(out_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where pictures go: ``out_dir``, else ``$LIGHTGRAD_EXAMPLES_OUT``, else a temp folder."""
    chosen = out_dir or os.environ.get("LIGHTGRAD_EXAMPLES_OUT")
    path = Path(chosen) if chosen else Path(tempfile.gettempdir()) / "lightgrad-examples"
    path.mkdir(parents=True, exist_ok=True)
    return path


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with lightgrad.no_grad():
        predicted = (model(lightgrad.from_numpy(X)).squeeze(1) > 0).long()
    model.train()
    return float((predicted.numpy() == y).mean())


def main(out_dir: str | os.PathLike[str] | None = None) -> dict:
    lightgrad.manual_seed(0)
    X, y = make_spiral(n=500, noise=NOISE, seed=0)  # float32 (500, 2), int64 (500,)
    X_test, y_test = make_spiral(n=500, noise=NOISE, seed=1)  # same spirals, fresh noise

    dataset = TensorDataset(lightgrad.from_numpy(X), lightgrad.from_numpy(y).float())
    loader = DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True,
                        generator=lightgrad.Generator().manual_seed(0))
    model = nn.Sequential(
        nn.Linear(2, HIDDEN), nn.Tanh(),
        nn.Linear(HIDDEN, HIDDEN), nn.Tanh(),
        nn.Linear(HIDDEN, 1),  # one logit per point
    )
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)

    for epoch in range(EPOCHS):
        total = 0.0
        for xb, yb in loader:  # (50, 2), (50,)
            optimizer.zero_grad()
            loss = loss_fn(model(xb).squeeze(1), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        if epoch % 20 == 0 or epoch == EPOCHS - 1:
            print(f"epoch {epoch:3d}  loss {total / len(dataset):.4f}  "
                  f"accuracy {accuracy(model, X, y):.1%}")

    train_acc, test_acc = accuracy(model, X, y), accuracy(model, X_test, y_test)
    print(f"train accuracy {train_acc:.1%}  test accuracy {test_acc:.1%}")

    from lightgrad.viz import plot_decision_boundary

    png = output_dir(out_dir) / "spiral_boundary.png"
    plot_decision_boundary(model, X_test, y_test, path=png,
                           title=f"two spirals, 2-{HIDDEN}-{HIDDEN}-1 tanh MLP (test set)")
    print(f"decision boundary saved to {png}")

    assert test_acc >= TARGET, f"spirals not separated: test accuracy {test_acc:.3f} < {TARGET}"
    return {"accuracy": test_acc, "train_accuracy": train_acc, "loss": total / len(dataset),
            "png": str(png)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="folder for spiral_boundary.png (default: .)")
    main(parser.parse_args().out)
