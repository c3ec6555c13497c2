"""nn.init: parameter initializers with PyTorch's names and distributions."""

from __future__ import annotations

__all__: list[str] = []
