"""Image datasets: IDX reader, MNIST, FashionMNIST."""

from __future__ import annotations

__all__: list[str] = []
