"""Image transforms and augmentation (torchvision.transforms names)."""

from __future__ import annotations

__all__: list[str] = []
