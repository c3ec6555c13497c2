"""Dropout ops (filled in by the nn-layers work)."""

from __future__ import annotations

__all__: list[str] = []
