"""Loss functions (nn.functional): fused cross-entropy and the rest."""

from __future__ import annotations

__all__: list[str] = []
