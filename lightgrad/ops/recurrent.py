"""Fused recurrent ops: whole-sequence RNN/LSTM/GRU layers with hand-written BPTT."""

from __future__ import annotations

__all__: list[str] = []
