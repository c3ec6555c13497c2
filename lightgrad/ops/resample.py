"""Resampling ops: interpolate, pixel_shuffle/unshuffle."""

from __future__ import annotations

__all__: list[str] = []
