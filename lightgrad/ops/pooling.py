"""Pooling ops: max/avg pooling, adaptive pooling, max_unpool."""

from __future__ import annotations

__all__: list[str] = []
