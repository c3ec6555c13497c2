"""Safe save/load: safetensors arrays + JSON structure, atomic writes."""

from __future__ import annotations

__all__: list[str] = []
