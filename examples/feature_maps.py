"""What a CNN's first layers learn: the filters of the first convolution and the feature maps.

LeNet-5 (as in ``lenet5_fashion.py``) is trained briefly, one epoch over the 60,000
Fashion-MNIST training images (about 85 % test accuracy). Then, for one test image, forward hooks
(``module.register_forward_hook``, as in PyTorch) capture what each convolution stage produces,
and one picture, ``feature_maps.png``, shows

* the image;
* the 6 learned 5x5 filters of ``conv1`` (blue negative, red positive): edge and stripe
  detectors of various orientations, and blob detectors;
* the 6 feature maps ``relu(conv1(image))``, 28x28: each filter's response at every position
  (bright where the image has what the filter looks for);
* the 16 feature maps of the second stage, ``relu(conv2(...))``, 10x10: combinations of the
  first stage's features, coarser and more abstract.

Run: ``python examples/feature_maps.py [--quick] [--out DIR]`` or ``lightgrad examples
feature_maps`` (the picture goes to ``$LIGHTGRAD_EXAMPLES_OUT`` or a temporary folder).
Needs the data: ``apt-get install dataset-fashion-mnist`` (or ``make data``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import lightgrad
import lightgrad.nn.functional as F
from lightgrad import nn, optim
from lightgrad import transforms as T
from lightgrad.datasets import FashionMNIST
from lightgrad.utils.data import DataLoader, Subset

N_TRAIN = 60_000  # the whole training set, once
BATCH_SIZE = 64
LEARNING_RATE = 2e-3
TARGET = 0.8  # after one short epoch
MEAN, STD = 0.2860, 0.3530
IMAGE_INDEX = 0  # the test image whose feature maps are drawn (an ankle boot)


def output_dir(out_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where pictures go: ``out_dir``, else ``$LIGHTGRAD_EXAMPLES_OUT``, else a temp folder."""
    chosen = out_dir or os.environ.get("LIGHTGRAD_EXAMPLES_OUT")
    path = Path(chosen) if chosen else Path(tempfile.gettempdir()) / "lightgrad-examples"
    path.mkdir(parents=True, exist_ok=True)
    return path


class LeNet5(nn.Module):
    """LeNet-5 with ReLU and max pooling; ``act1``/``act2`` are modules so hooks can see them."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.act2 = nn.ReLU()
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: lightgrad.Tensor) -> lightgrad.Tensor:
        x = F.max_pool2d(self.act1(self.conv1(x)), 2)  # 6@14x14
        x = F.max_pool2d(self.act2(self.conv2(x)), 2)  # 16@5x5
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc3(F.relu(self.fc2(x)))


def train_briefly(model: nn.Module, loader: DataLoader) -> float:
    """One epoch of Adam; returns the mean loss."""
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    total = count = 0.0
    for images, labels in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        count += len(labels)
    return total / count


def evaluate(model: nn.Module, loader: DataLoader) -> float:
    model.eval()
    correct = total = 0
    with lightgrad.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            total += len(labels)
    model.train()
    return correct / total


def capture(model: nn.Module, image: lightgrad.Tensor,
            layers: dict[str, nn.Module]) -> dict[str, np.ndarray]:
    """Run ``image`` (1, C, H, W) through ``model`` and return each named layer's output,
    caught by forward hooks (removed again afterwards)."""
    seen: dict[str, np.ndarray] = {}

    def hook_for(name: str) -> Any:
        def hook(module: nn.Module, inputs: Any, output: lightgrad.Tensor) -> None:
            seen[name] = output.detach().numpy()[0]
        return hook

    handles = [m.register_forward_hook(hook_for(name)) for name, m in layers.items()]
    model.eval()
    try:
        with lightgrad.no_grad():
            model(image)
    finally:
        for h in handles:
            h.remove()
        model.train()
    return seen


def plot_feature_maps(image: np.ndarray, filters: np.ndarray, maps1: np.ndarray,
                      maps2: np.ndarray, title: str, path: Path) -> None:
    """The image, the first layer's filters, and both stages' feature maps in one figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 5.6))
    FigureCanvasAgg(fig)
    # rows: filters, conv1 maps, conv2 maps (2 rows of 8); the image top left
    grid = fig.add_gridspec(4, 8, hspace=0.35, wspace=0.15, top=0.86, bottom=0.02)

    def show(ax: Any, a: np.ndarray, label: str, **kw: Any) -> None:
        ax.imshow(a, interpolation="nearest", **kw)
        ax.set_title(label, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])

    show(fig.add_subplot(grid[0:2, 0:2]), image, title, cmap="gray")
    limit = float(np.abs(filters).max())
    for k in range(len(filters)):
        show(fig.add_subplot(grid[0, 2 + k]), filters[k, 0], f"conv1 filter {k}",
             cmap="bwr", vmin=-limit, vmax=limit)
        show(fig.add_subplot(grid[1, 2 + k]), maps1[k], f"conv1 map {k}", cmap="viridis")
    for k in range(len(maps2)):
        show(fig.add_subplot(grid[2 + k // 8, k % 8]), maps2[k], f"conv2 map {k}",
             cmap="viridis")
    fig.suptitle("LeNet-5 after one epoch: the first layer's 5x5 filters (blue < 0 < red), "
                 "their 28x28 feature maps\nof the image, and the second stage's 16 feature "
                 "maps (10x10), all after ReLU", fontsize=10)
    fig.savefig(path, dpi=90)


def main(quick: bool = False, out_dir: str | os.PathLike[str] | None = None) -> dict:
    """Train LeNet-5 briefly, then draw its first filters and the feature maps of one image.

    Args:
        quick: a smoke run (512 training and 256 test images; no target).
        out_dir: folder for ``feature_maps.png``.
    """
    lightgrad.manual_seed(0)
    transform = T.Compose([T.ToTensor(), T.Normalize((MEAN,), (STD,))])
    train_set = Subset(FashionMNIST(train=True, transform=transform),
                       range(512 if quick else N_TRAIN))
    test_set = FashionMNIST(train=False, transform=transform)
    if quick:
        test_set = Subset(test_set, range(256))
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True,
                              generator=lightgrad.Generator().manual_seed(1))

    model = LeNet5()
    initial_filters = model.conv1.weight.detach().numpy().copy()
    start = time.perf_counter()
    loss = train_briefly(model, train_loader)
    seconds = time.perf_counter() - start
    accuracy = evaluate(model, DataLoader(test_set, batch_size=1000))
    print(f"trained one epoch on {len(train_set):,} images in {seconds:.0f} s: loss {loss:.3f}, "
          f"test accuracy {accuracy:.1%}")

    image, label = test_set[IMAGE_INDEX]  # (1, 28, 28) normalized, its class
    maps = capture(model, image.unsqueeze(0), {"conv1": model.act1, "conv2": model.act2})
    filters = model.conv1.weight.detach().numpy()  # (6, 1, 5, 5)
    change = float(np.linalg.norm(filters - initial_filters) / np.linalg.norm(initial_filters))
    active = float((maps["conv1"] > 0).mean())  # the share of positions each filter fires at
    print(f"conv1 filters moved {change:.0%} from their initial values in training; "
          f"{active:.0%} of the first feature maps' pixels are active")

    png = output_dir(out_dir) / "feature_maps.png"
    raw = image.numpy()[0] * STD + MEAN  # undo the normalization for display
    try:
        plot_feature_maps(raw, filters, maps["conv1"], maps["conv2"],
                          f"input: {FashionMNIST.classes[label]}", png)
        print(f"filters and feature maps saved to {png}")
    except ImportError:
        print("matplotlib is not installed: no picture (pip install lightgrad[examples])")
        png = None
    if not quick:
        assert accuracy >= TARGET, f"feature_maps: test accuracy {accuracy:.3f} < {TARGET}"
    return {"accuracy": accuracy, "loss": loss, "filter_change": change,
            "conv1_maps": list(maps["conv1"].shape), "conv2_maps": list(maps["conv2"].shape),
            "active_fraction": active, "seconds": seconds, "png": str(png) if png else None}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    parser.add_argument("--out", default=".", help="folder for feature_maps.png (default: .)")
    args = parser.parse_args()
    main(quick=args.quick, out_dir=args.out)
