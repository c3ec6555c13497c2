"""Handwritten digits: an MLP on the 8x8 images, with a DataLoader and a train/test split.

The 1797 8x8 digit images (read from scikit-learn's installed copy; nothing is downloaded) are
scaled to ``[0, 1]``, flattened to 64 features and split 80/20 with ``random_split``. A
64-128-10 ReLU network is trained with minibatches from a shuffling ``DataLoader``,
``CrossEntropyLoss`` on the 10 logits and Adam, its learning rate annealed along a cosine to 0
over the run (``lr_scheduler.CosineAnnealingLR``, stepped once per epoch); then it is scored on
the 360 test images it never saw (>= 95 % expected; about 98 % in practice).

Run: ``python examples/digits_mlp.py`` or ``lightgrad examples digits_mlp``.
Needs scikit-learn for the data file: ``pip install lightgrad[examples]``.
"""

from __future__ import annotations

import lightgrad
from lightgrad import nn, optim
from lightgrad.datasets import load_digits
from lightgrad.utils.data import DataLoader, TensorDataset, random_split

HIDDEN = 128
EPOCHS = 12
BATCH_SIZE = 64
LEARNING_RATE = 0.01
TEST_SIZE = 360
TARGET = 0.95


def evaluate(model: nn.Module, loader: DataLoader) -> float:
    """Fraction of correctly classified images."""
    model.eval()
    correct = total = 0
    with lightgrad.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            total += len(labels)
    model.train()
    return correct / total


def main() -> dict:
    lightgrad.manual_seed(0)
    X, y = load_digits()  # float32 (1797, 64) in 0..16, int64 (1797,)
    dataset = TensorDataset(lightgrad.from_numpy(X / 16.0), lightgrad.from_numpy(y))
    train_set, test_set = random_split(dataset, [len(dataset) - TEST_SIZE, TEST_SIZE],
                                       generator=lightgrad.Generator().manual_seed(0))
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True,
                              generator=lightgrad.Generator().manual_seed(1))
    test_loader = DataLoader(test_set, batch_size=256)

    model = nn.Sequential(
        nn.Linear(64, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, 10),  # one logit per digit
    )
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)

    for epoch in range(EPOCHS):
        total = 0.0
        for images, labels in train_loader:  # (64, 64), (64,)
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
        scheduler.step()
        if epoch % 3 == 0 or epoch == EPOCHS - 1:
            print(f"epoch {epoch:2d}  loss {total / len(train_set):.4f}  "
                  f"test accuracy {evaluate(model, test_loader):.1%}")

    train_acc, test_acc = evaluate(model, train_loader), evaluate(model, test_loader)
    print(f"train accuracy {train_acc:.1%}  test accuracy {test_acc:.1%} "
          f"({len(train_set)} training / {len(test_set)} test images)")
    assert test_acc >= TARGET, f"digits not learned: test accuracy {test_acc:.3f} < {TARGET}"
    return {"accuracy": test_acc, "train_accuracy": train_acc, "loss": total / len(train_set),
            "train": len(train_set), "test": len(test_set)}


if __name__ == "__main__":
    main()
