"""Text processing: tokenizers, Vocab, pad_sequences, one-hot encoding."""

from __future__ import annotations

__all__: list[str] = []
