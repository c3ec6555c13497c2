"""Normalization ops: batch_norm, layer_norm, group_norm (fused Functions)."""

from __future__ import annotations

__all__: list[str] = []
