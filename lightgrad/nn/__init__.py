"""Neural-network building blocks (``torch.nn``). The engine issue provides ``functional``'s
activations and softmax; layers and losses arrive with the nn issue."""

from . import functional

__all__ = ["functional"]
