"""LeNet-5 on Fashion-MNIST: convolution, pooling, then fully connected layers.

LeCun's LeNet-5 (1998) in today's PyTorch form: two convolution + pooling stages turn a 28x28
image into 16 feature maps of 5x5, which are flattened into three fully connected layers

    1@28x28 --conv 5x5, pad 2--> 6@28x28 --pool 2--> 6@14x14
            --conv 5x5--------->16@10x10 --pool 2--> 16@5x5 --flatten--> 400 -> 120 -> 84 -> 10

with ReLU and max pooling (``classic=True`` gives the original tanh and average pooling).
61,706 parameters. The 60,000 training images of Fashion-MNIST (clothing in 10 classes, read from
the Debian package ``dataset-fashion-mnist``; nothing is downloaded) are scaled to ``[0, 1]`` and
normalized by ``transforms.Normalize``; the network is trained for 5 epochs with Adam and
``CrossEntropyLoss``, the learning rate following a one-cycle schedule, then scored on the
10,000 test images (target >= 89 %; 90.0 % measured, in 75 s on a shared 2-core machine).

The code is PyTorch's: with ``torch``/``torchvision`` in place of ``lightgrad`` it runs as is,
but for torchvision's ``FashionMNIST``, which needs a ``root`` folder (and ``download=True``).

Run: ``python examples/lenet5_fashion.py [--quick]`` or ``lightgrad examples lenet5_fashion``.
Needs the data: ``apt-get install dataset-fashion-mnist`` (or ``make data``).
"""

from __future__ import annotations

import argparse
import time

import lightgrad
import lightgrad.nn.functional as F
from lightgrad import nn, optim
from lightgrad import transforms as T
from lightgrad.datasets import FashionMNIST
from lightgrad.utils.data import DataLoader, Subset

EPOCHS = 5
BATCH_SIZE = 64
LEARNING_RATE = 2e-3  # the one-cycle schedule's peak
TARGET = 0.89
MEAN, STD = 0.2860, 0.3530  # of the training pixels, after scaling to [0, 1]
QUICK_TRAIN, QUICK_TEST, QUICK_EPOCHS = 1024, 512, 2  # the smoke run


class LeNet5(nn.Module):
    """LeNet-5 for 28x28 images: conv 6@5x5 (pad 2), pool, conv 16@5x5, pool, 120, 84, classes.

    Args:
        num_classes: number of outputs (logits).
        classic: the 1998 network's tanh and average pooling instead of ReLU and max pooling.
    """

    def __init__(self, num_classes: int = 10, classic: bool = False) -> None:
        super().__init__()
        self.classic = classic
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5, padding=2)  # (N, 6, 28, 28)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)  # (N, 16, 10, 10)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: lightgrad.Tensor) -> lightgrad.Tensor:
        act = F.tanh if self.classic else F.relu
        pool = F.avg_pool2d if self.classic else F.max_pool2d
        x = pool(act(self.conv1(x)), 2)  # (N, 6, 14, 14)
        x = pool(act(self.conv2(x)), 2)  # (N, 16, 5, 5)
        x = x.flatten(1)  # (N, 400)
        x = act(self.fc1(x))
        x = act(self.fc2(x))
        return self.fc3(x)  # logits


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


def train_epoch(model: nn.Module, loader: DataLoader, optimizer: optim.Optimizer,
                scheduler: optim.lr_scheduler.LRScheduler | None = None) -> tuple[float, float]:
    """One pass over ``loader``; returns the mean loss and the accuracy on the batches seen."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    total_loss, correct, total = 0.0, 0, 0
    for images, labels in loader:
        optimizer.zero_grad()
        logits = model(images)
        loss = loss_fn(logits, labels)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total_loss += loss.item() * len(labels)
        correct += (logits.argmax(dim=1) == labels).sum().item()
        total += len(labels)
    return total_loss / total, correct / total


def main(quick: bool = False, epochs: int | None = None) -> dict:
    """Train LeNet-5 on Fashion-MNIST and score it on the test set.

    Args:
        quick: a smoke run (1,024 training and 512 test images, 2 epochs; no target).
        epochs: override the number of epochs.
    """
    lightgrad.manual_seed(0)
    epochs = epochs or (QUICK_EPOCHS if quick else EPOCHS)
    transform = T.Compose([T.ToTensor(), T.Normalize((MEAN,), (STD,))])
    train_set = FashionMNIST(train=True, transform=transform)
    test_set = FashionMNIST(train=False, transform=transform)
    if quick:
        train_set = Subset(train_set, range(QUICK_TRAIN))
        test_set = Subset(test_set, range(QUICK_TEST))
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True,
                              generator=lightgrad.Generator().manual_seed(1))
    test_loader = DataLoader(test_set, batch_size=1000)

    model = LeNet5()
    print(f"LeNet-5, {sum(p.numel() for p in model.parameters()):,} parameters; "
          f"{len(train_set):,} training / {len(test_set):,} test images")
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE, epochs=epochs,
                                              steps_per_epoch=len(train_loader))
    start = time.perf_counter()
    for epoch in range(epochs):
        loss, train_acc = train_epoch(model, train_loader, optimizer, scheduler)
        test_acc = evaluate(model, test_loader)
        print(f"epoch {epoch + 1}  loss {loss:.4f}  train accuracy {train_acc:.1%}  "
              f"test accuracy {test_acc:.1%}  ({time.perf_counter() - start:.0f} s)")
    seconds = time.perf_counter() - start

    print(f"test accuracy {test_acc:.2%} after {epochs} epochs ({seconds:.0f} s of training)")
    if not quick:
        assert test_acc >= TARGET, f"LeNet-5: test accuracy {test_acc:.4f} < {TARGET}"
    return {"accuracy": test_acc, "train_accuracy": train_acc, "loss": loss, "epochs": epochs,
            "seconds": seconds, "train": len(train_set), "test": len(test_set)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()
    main(quick=args.quick, epochs=args.epochs)
