"""A small ResNet on Fashion-MNIST: residual blocks with batch norm let a deeper net train.

Each residual block (He et al., 2015) computes ``relu(F(x) + shortcut(x))`` with
``F = conv 3x3 - BN - ReLU - conv 3x3 - BN``: the block only has to learn a correction to its
input, and the identity path carries the gradient straight back through the stack. Where a block
halves the image (stride 2) and widens the channels, the shortcut is a strided 1x1 convolution
with batch norm, so that both paths have the same shape. The network, ResNet-14:

    conv 3x3 (16) - BN - ReLU - max pool 2                           16@14x14
    stage 1: 2 blocks of 16 channels                                 16@14x14
    stage 2: 2 blocks of 32 channels, the first with stride 2        32@7x7
    stage 3: 2 blocks of 64 channels, the first with stride 2        64@4x4
    global average pool (AdaptiveAvgPool2d(1)) - flatten - linear    10

13 convolutions and a linear layer on the longest path (175,000 parameters, 13 times LeNet-5's
arithmetic per image). To keep the run to a few minutes on a laptop CPU it trains on a
12,000-image subset of Fashion-MNIST's training set for 4 epochs (Adam with a one-cycle learning
rate and a little weight decay), and is scored on the full 10,000-image test set (target
>= 88 %; 89.15 % measured, in 3.4 minutes on a shared 2-core machine).

Run: ``python examples/resnet_fashion.py [--quick]`` or ``lightgrad examples resnet_fashion``.
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

N_TRAIN = 12_000
EPOCHS = 4
BATCH_SIZE = 64
LEARNING_RATE = 0.005  # the one-cycle schedule's peak
WEIGHT_DECAY = 1e-4
WIDTHS = (16, 32, 64)
BLOCKS = 2  # per stage
TARGET = 0.88
MEAN, STD = 0.2860, 0.3530
QUICK_TRAIN, QUICK_TEST, QUICK_EPOCHS = 512, 256, 2  # the smoke run


class BasicBlock(nn.Module):
    """``relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))``, as in torchvision's ResNet.

    Args:
        in_channels, out_channels: channels in and out.
        stride: 2 halves the height and width (in the first convolution and the shortcut).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        # no bias before a batch norm: its shift (beta) does that job
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.shortcut: nn.Module = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: lightgrad.Tensor) -> lightgrad.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """A stem convolution, stages of :class:`BasicBlock` (each stage after the first halves the
    size), global average pooling and a linear classifier.

    Args:
        widths: channels of each stage.
        blocks: residual blocks per stage.
        in_channels: image channels.
        num_classes: number of logits.
    """

    def __init__(self, widths: tuple[int, ...] = WIDTHS, blocks: int = BLOCKS,
                 in_channels: int = 1, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 28x28 -> 14x14: the blocks work at 14, 7 and 4 pixels
        )
        layers: list[nn.Module] = []
        channels = widths[0]
        for stage, width in enumerate(widths):
            for b in range(blocks):
                stride = 2 if stage > 0 and b == 0 else 1
                layers.append(BasicBlock(channels, width, stride))
                channels = width
        self.stages = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)
        for m in self.modules():  # torchvision's initialization of the convolutions
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: lightgrad.Tensor) -> lightgrad.Tensor:
        x = self.stages(self.stem(x))
        return self.fc(self.pool(x).flatten(1))


def evaluate(model: nn.Module, loader: DataLoader) -> float:
    """Fraction of correctly classified images (batch norm in eval mode)."""
    model.eval()
    correct = total = 0
    with lightgrad.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            total += len(labels)
    model.train()
    return correct / total


def count_layers(model: nn.Module) -> int:
    """Convolutions and linear layers on the longest path (shortcut convolutions excluded)."""
    return sum(isinstance(m, nn.Conv2d | nn.Linear) for name, m in model.named_modules()
               if "shortcut" not in name)


def main(quick: bool = False, epochs: int | None = None, n_train: int | None = None) -> dict:
    """Train the ResNet on a subset of Fashion-MNIST and score it on the test set.

    Args:
        quick: a smoke run (512 training and 256 test images, 2 epochs; no target).
        epochs: override the number of epochs.
        n_train: override the number of training images.
    """
    lightgrad.manual_seed(0)
    epochs = epochs or (QUICK_EPOCHS if quick else EPOCHS)
    n_train = n_train or (QUICK_TRAIN if quick else N_TRAIN)
    transform = T.Compose([T.ToTensor(), T.Normalize((MEAN,), (STD,))])
    full_train = FashionMNIST(train=True, transform=transform)
    # a class-balanced random subset: a seeded permutation of the 60,000 images
    order = lightgrad.randperm(len(full_train), generator=lightgrad.Generator().manual_seed(0))
    train_set = Subset(full_train, order[:n_train].tolist())
    test_set = FashionMNIST(train=False, transform=transform)
    if quick:
        test_set = Subset(test_set, range(QUICK_TEST))
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True,
                              generator=lightgrad.Generator().manual_seed(1))
    test_loader = DataLoader(test_set, batch_size=500)

    model = ResNet()
    n_params = sum(p.numel() for p in model.parameters())
    depth = count_layers(model)
    print(f"ResNet-{depth}: {n_params:,} parameters; {len(train_set):,} training / "
          f"{len(test_set):,} test images")
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE, epochs=epochs,
                                              steps_per_epoch=len(train_loader))
    start = time.perf_counter()
    for epoch in range(epochs):
        total_loss = correct = 0.0
        for images, labels in train_loader:
            optimizer.zero_grad()
            logits = model(images)
            loss = loss_fn(logits, labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(labels)
            correct += (logits.argmax(dim=1) == labels).sum().item()
        loss, train_acc = total_loss / len(train_set), correct / len(train_set)
        test_acc = evaluate(model, test_loader)
        print(f"epoch {epoch + 1}  loss {loss:.4f}  train accuracy {train_acc:.1%}  "
              f"test accuracy {test_acc:.1%}  ({time.perf_counter() - start:.0f} s)")
    seconds = time.perf_counter() - start

    print(f"ResNet-{depth}: test accuracy {test_acc:.2%} after {epochs} epochs on "
          f"{len(train_set):,} images ({seconds:.0f} s of training)")
    if not quick:
        assert test_acc >= TARGET, f"ResNet: test accuracy {test_acc:.4f} < {TARGET}"
    return {"accuracy": test_acc, "train_accuracy": train_acc, "loss": loss, "depth": depth,
            "parameters": n_params, "epochs": epochs, "seconds": seconds,
            "train": len(train_set), "test": len(test_set)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--n-train", type=int, default=None)
    args = parser.parse_args()
    main(quick=args.quick, epochs=args.epochs, n_train=args.n_train)
