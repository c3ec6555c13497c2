"""Datasets, samplers and DataLoader (torch.utils.data)."""

from __future__ import annotations

__all__: list[str] = []
